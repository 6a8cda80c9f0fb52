/* fuzz-manifest.c: libFuzzer harness for manifest_parse(), the parser of device manifests (CSV from the stick). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "manifest.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL;
	struct policy_row row;
	size_t i, n;

	if (manifest_parse("fuzz.csv", data, size, &m) == 0) {
		/* Touch what callers use, so the sanitizers see it. */
		n = manifest_rows(m);
		for (i = 0; i < n; i++) {
			manifest_row(m, i, &row);
			if (manifest_find(m, manifest_key(m, i)) != i)
				__builtin_trap();	/* keys are unique and found */
			(void)strlen(row.vals[row.n - 1]);
			(void)manifest_line(m, i);
		}
		(void)manifest_has_column(m, manifest_key_column(m));
	}
	manifest_free(m);
	return 0;
}
