/*
 * test-csr-rsa.c: RSA public exponents a request may not carry (even, or
 * less than 3; CA/Browser Forum BR 6.1.6).  No key with such an exponent
 * can be generated, so the request holds the modulus of a real key with
 * another exponent, signed by that real key: the exponent check must
 * refuse it by name before the signature check does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "check.h"
#include "csr.h"
#include "error.h"

/* The public key (n of rsa, exponent e). */
static EVP_PKEY *
with_exponent(EVP_PKEY *rsa, unsigned long e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pub = NULL;
	BIGNUM *n = NULL, *bn_e = BN_new();

	if (bld == NULL || ctx == NULL || bn_e == NULL ||
	    !EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !BN_set_word(bn_e, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		fprintf(stderr, "cannot build an RSA key with e=%lu\n", e);
		exit(2);
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(bn_e);
	return pub;
}

/* A DER request for CN device-1 holding pub, signed by signer. */
static unsigned char *
request(EVP_PKEY *pub, EVP_PKEY *signer, int *lenp)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	unsigned char *der = NULL;

	X509_REQ_set_version(req, X509_REQ_VERSION_1);
	X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)"device-1", -1, -1, 0);
	X509_REQ_set_subject_name(req, nm);
	X509_NAME_free(nm);
	X509_REQ_set_pubkey(req, signer);
	if (X509_REQ_sign(req, signer, EVP_sha256()) <= 0)
		exit(2);
	X509_REQ_set_pubkey(req, pub);
	*lenp = i2d_X509_REQ(req, &der);
	X509_REQ_free(req);
	return der;
}

static void
refused(EVP_PKEY *rsa, unsigned long e, const char *needle)
{
	EVP_PKEY *pub = with_exponent(rsa, e);
	struct csr *c = NULL;
	unsigned char *der;
	int len;

	der = request(pub, rsa, &len);
	CHECK(len > 0);
	CHECK_ERR(csr_parse(der, (size_t)len, &c), AIRCA_ERR_INPUT, needle);
	CHECK(c == NULL);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
}

int
main(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	struct csr *c = NULL;
	unsigned char *der;
	int len;

	if (rsa == NULL)
		return 2;
	/* the real key, signed by itself: accepted (the harness is sound) */
	der = request(rsa, rsa, &len);
	CHECK(csr_parse(der, (size_t)len, &c) == 0 && c != NULL);
	csr_free(c);
	OPENSSL_free(der);
	/* odd but not the key's: the signature check refuses it */
	refused(rsa, 3, "the self-signature does not verify");
	/* even, small and large; 1: refused for the exponent, by name */
	refused(rsa, 65536, "public exponent is even or less than 3");
	refused(rsa, 65538, "public exponent is even or less than 3");
	refused(rsa, 2, "public exponent is even or less than 3");
	refused(rsa, 1, "public exponent is even or less than 3");
	EVP_PKEY_free(rsa);
	CHECK_DONE();
}
