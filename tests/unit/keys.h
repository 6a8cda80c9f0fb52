/* keys.h: software root and audit keys and certificates for tests that do not need a token. */
#ifndef AIRCA_TEST_KEYS_H
#define AIRCA_TEST_KEYS_H

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* "ec-p256", "ec-p384" or "rsa-2048"; NULL on failure. */
static EVP_PKEY *
test_key(const char *type)
{
	if (strcmp(type, "ec-p384") == 0)
		return EVP_EC_gen("P-384");
	if (strcmp(type, "rsa-2048") == 0)
		return EVP_RSA_gen(2048);
	return EVP_EC_gen("P-256");
}

static int
test_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key named cn, signed by ikey (issuer NULL: self-signed CA). */
static X509 *
test_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	bool ca = issuer == NULL;

	if (x == NULL || n == NULL ||
	    !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) ||
	    !X509_set_pubkey(x, key) ||
	    !test_ext(x, x, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE") ||
	    !test_ext(x, x, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature") ||
	    /* leaves are audit certificates: documentSigning (RFC 9336) */
	    (!ca && !test_ext(x, x, NID_ext_key_usage, "1.3.6.1.5.5.7.3.36")) ||
	    !test_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !test_ext(x, issuer != NULL ? issuer : x,
	    NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(x, ikey, EVP_PKEY_get_bits(ikey) > 256 &&
	    EVP_PKEY_get_base_id(ikey) == EVP_PKEY_EC ? EVP_sha384() :
	    EVP_sha256()) == 0) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(n);
	return x;
}

static int
test_write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return 0;
	ok = PEM_write_X509(f, x);
	return fclose(f) == 0 && ok;
}

/* A software root and an audit certificate it issued, of one key type. */
struct keys {
	EVP_PKEY *root_key, *audit_key;
	X509 *root, *audit;
};

static inline bool
keys_make(struct keys *k, const char *type)
{
	memset(k, 0, sizeof(*k));
	return (k->root_key = test_key(type)) != NULL &&
	    (k->audit_key = test_key(type)) != NULL &&
	    (k->root = test_cert(k->root_key, "Test Root", NULL, k->root_key,
	    1)) != NULL &&
	    (k->audit = test_cert(k->audit_key, "Test Audit", k->root,
	    k->root_key, 2)) != NULL;
}

static inline void
keys_free(struct keys *k)
{
	EVP_PKEY_free(k->root_key);
	EVP_PKEY_free(k->audit_key);
	X509_free(k->root);
	X509_free(k->audit);
}

#endif
