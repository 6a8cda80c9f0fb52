/* keystore.c: device key pairs made in memory, seeded from the token's RNG, and the PKCS#12 that carries each. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#include "error.h"
#include "keystore.h"

int
keystore_keygen(const unsigned char *seed, size_t seedlen, EVP_PKEY **keyp)
{
	EVP_PKEY *k;

	if (seed == NULL || seedlen < 32)
		return airca_errf(AIRCA_ERR_INTERNAL, "keystore_keygen: no seed "
		    "from the token");
	/* mixed into the DRBG, counted as full entropy (it is the token's) */
	RAND_add(seed, (int)seedlen, (double)seedlen);
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot generate a device "
		    "key");
	*keyp = k;
	return 0;
}

int
keystore_p12(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
    const char *name, const char *pass, unsigned char **derp, size_t *lenp)
{
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int len, r;

	/* no MAC here (-1): it is set below with SHA-256 explicitly */
	if ((p12 = PKCS12_create(pass, name, key, cert, chain,
	    NID_aes_256_cbc, NID_aes_256_cbc, KEYSTORE_PBKDF2_ITER, -1,
	    0)) == NULL ||
	    !PKCS12_set_mac(p12, pass, -1, NULL, 0, KEYSTORE_PBKDF2_ITER,
	    EVP_sha256())) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot build the PKCS#12 of "
		    "%s", name);
		goto out;
	}
	if ((len = i2d_PKCS12(p12, &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot encode the PKCS#12 of "
		    "%s", name);
		goto out;
	}
	*derp = der;
	*lenp = (size_t)len;
	der = NULL;
	r = 0;
 out:
	OPENSSL_free(der);
	PKCS12_free(p12);
	return r;
}
