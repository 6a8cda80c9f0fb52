/* fuzz-api.c: libFuzzer harness for bundle_parse_response(), the reader of the factory API's CSR response, and the requests in it. */
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "csr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_response resp;
	struct csr *c;
	char name[32];
	int i;

	if (bundle_parse_response("fuzz.json", data, size, &resp) != 0)
		return 0;
	/* what 'airca api sign' does next with each request it holds */
	for (i = 0; i < API_NCSR; i++) {
		c = NULL;
		if (resp.csr[i] != NULL &&
		    csr_parse((const unsigned char *)resp.csr[i],
		    resp.csr_len[i], &c) == 0)
			csr_key_name(c, name, sizeof(name));
		csr_free(c);
	}
	bundle_response_free(&resp);
	return 0;
}
