/* fuzz-csr.c: libFuzzer harness for csr_parse(), the parser of requests from outside. */
#include <stddef.h>
#include <stdint.h>

#include "csr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csr *c = NULL;
	char name[32];

	if (csr_parse(data, size, &c) == 0) {
		/* Touch what callers use, so the sanitizers see it. */
		csr_key_name(c, name, sizeof(name));
		if (c->ndns > 0)
			(void)c->dns[c->ndns - 1][0];
	}
	csr_free(c);
	return 0;
}
