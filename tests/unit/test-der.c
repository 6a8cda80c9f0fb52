/* test-der.c: certificates and requests parsed with the key left undecoded, and keys decoded the legacy way, give what d2i gives. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "der.h"
#include "error.h"

/* A self-signed certificate for key. */
static X509 *
self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (x == NULL || n == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 7) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"der", -1, -1, 0) ||
	    !X509_set_subject_name(x, n) || !X509_set_issuer_name(x, n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_set_pubkey(x, key) || X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(n);
	return x;
}

/* The SubjectPublicKeyInfo of key, parsed back as der_x509_req() would hold it. */
static X509_PUBKEY *
spki_of(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_PUBKEY *x = NULL;
	int len;

	if ((len = i2d_PUBKEY(key, &der)) > 0) {
		p = der;
		x = d2i_X509_PUBKEY(NULL, &p, len);
	}
	OPENSSL_free(der);
	return x;
}

/* A signed request for key, as DER. */
static int
req_der(EVP_PKEY *key, unsigned char **derp)
{
	X509_REQ *req = X509_REQ_new();
	int len = -1;

	if (req != NULL && X509_REQ_set_pubkey(req, key) &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0)
		len = i2d_X509_REQ(req, derp);
	X509_REQ_free(req);
	return len;
}

/* der_pubkey(): the same key; legacy for P-256, P-384 and RSA only. */
static void
test_keys(void)
{
	static const struct {
		const char *type, *arg;
		bool legacy;
	} k[] = {
		{ "EC", "P-256", true },
		{ "EC", "P-384", true },
		{ "RSA", NULL, true },
		{ "EC", "secp256k1", false },
		{ "ED25519", NULL, false },
	};
	EVP_PKEY *key, *got;
	X509_PUBKEY *spki = NULL;
	EC_KEY *ec;
	size_t i;
	bool legacy;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		key = strcmp(k[i].type, "RSA") == 0 ? EVP_RSA_gen(2048) :
		    k[i].arg != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, k[i].type,
		    k[i].arg) : EVP_PKEY_Q_keygen(NULL, NULL, k[i].type);
		CHECK(key != NULL && (spki = spki_of(key)) != NULL);
		got = NULL;
		legacy = !k[i].legacy;
		CHECK(der_pubkey(spki, &got, &legacy) == 0);
		CHECK(legacy == k[i].legacy);
		CHECK(got != NULL && EVP_PKEY_eq(got, key) == 1);
		CHECK(got != NULL && (EVP_PKEY_get0_provider(got) == NULL) ==
		    k[i].legacy);
		EVP_PKEY_free(got);
		X509_PUBKEY_free(spki);
		EVP_PKEY_free(key);
	}

	/* explicit curve parameters (even P-256's) go the slow way */
	key = EVP_EC_gen("P-256");
	ec = EVP_PKEY_get1_EC_KEY(key);
	EC_KEY_set_asn1_flag(ec, OPENSSL_EC_EXPLICIT_CURVE);
	EVP_PKEY_free(key);
	key = EVP_PKEY_new();
	EVP_PKEY_assign_EC_KEY(key, ec);
	CHECK((spki = spki_of(key)) != NULL);
	got = NULL;
	CHECK(der_pubkey(spki, &got, &legacy) == 0 && !legacy);
	EVP_PKEY_free(got);
	X509_PUBKEY_free(spki);
	EVP_PKEY_free(key);
}

/* A point that is not on the curve does not decode. */
static void
test_bad_point(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *got = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_PUBKEY *spki = NULL;
	bool legacy;
	int len = 0;

	CHECK(key != NULL && (len = i2d_PUBKEY(key, &der)) > 0);
	if (len <= 0)
		return;
	der[len - 1] ^= 0x01;		/* y changed: off the curve */
	p = der;
	CHECK((spki = d2i_X509_PUBKEY(NULL, &p, len)) != NULL);
	ERR_clear_error();
	CHECK_ERR(der_pubkey(spki, &got, &legacy), AIRCA_ERR_INPUT,
	    "does not decode");
	CHECK(got == NULL);
	X509_PUBKEY_free(spki);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

/* Requests and certificates: no key decoded, the rest as d2i gives it. */
static void
test_parse(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *got = NULL;
	unsigned char *der = NULL, *again = NULL;
	const unsigned char *p;
	X509_REQ *req;
	X509 *ca, *x;
	bool legacy;
	int len = 0;

	CHECK(key != NULL && (len = req_der(key, &der)) > 0);
	p = der;
	CHECK((req = der_x509_req(&p, len)) != NULL && p == der + len);
	CHECK(X509_REQ_get0_pubkey(req) == NULL);
	ERR_clear_error();
	CHECK(der_pubkey(X509_REQ_get_X509_PUBKEY(req), &got, &legacy) == 0);
	CHECK(X509_REQ_verify(req, got) == 1);
	CHECK(i2d_X509_REQ(req, &again) == len && memcmp(again, der, len) == 0);
	p = der;
	CHECK(der_x509_req(&p, len - 1) == NULL);	/* truncated */
	ERR_clear_error();
	X509_REQ_free(req);
	EVP_PKEY_free(got);
	got = NULL;
	OPENSSL_free(der);
	OPENSSL_free(again);
	der = again = NULL;

	CHECK((ca = self_signed(key)) != NULL);
	CHECK((len = i2d_X509(ca, &der)) > 0);
	p = der;
	CHECK((x = der_x509(&p, len)) != NULL && p == der + len);
	CHECK(X509_get0_pubkey(x) == NULL);
	ERR_clear_error();
	CHECK(X509_verify(x, key) == 1);
	CHECK(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_subject_name(ca)) == 0);
	CHECK(i2d_X509(x, &again) == len && memcmp(again, der, len) == 0);
	CHECK(der_pubkey(X509_get_X509_PUBKEY(x), &got, &legacy) == 0 &&
	    legacy && EVP_PKEY_eq(got, key) == 1);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(got);
	OPENSSL_free(der);
	OPENSSL_free(again);
	EVP_PKEY_free(key);
}

int
main(void)
{
	test_keys();
	test_bad_point();
	test_parse();
	CHECK_DONE();
}
