/* keytype.c: names of the CA key types ("ec-p256" ...) used by the CLI, policy and HSM profiles. */
#include <string.h>

#include "error.h"
#include "hsm.h"

static const char *const key_type_names[KEY_NTYPES] = {
	[KEY_EC_P256] = "ec-p256",
	[KEY_EC_P384] = "ec-p384",
	[KEY_RSA_3072] = "rsa-3072",
	[KEY_RSA_4096] = "rsa-4096",
};

const char *
key_type_name(enum key_type t)
{
	if ((unsigned)t >= KEY_NTYPES)
		return NULL;
	return key_type_names[t];
}

int
key_type_parse(const char *name, enum key_type *typep)
{
	unsigned i;

	for (i = 0; name != NULL && i < KEY_NTYPES; i++) {
		if (strcmp(name, key_type_names[i]) == 0) {
			*typep = (enum key_type)i;
			return 0;
		}
	}
	return airca_errf(AIRCA_ERR_USAGE, "unknown key type '%.40s': use "
	    "ec-p256, ec-p384, rsa-3072 or rsa-4096", name ? name : "");
}
