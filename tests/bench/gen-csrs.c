/*
 * gen-csrs.c: N device requests (EC P-256, CN = a random lower-case UUID,
 * OU = FACTORY), one PEM file each, fast: for the batch tests and bench.
 *   gen-csrs DIR N FACTORY [PREFIX]    writes DIR/PREFIXnnnnnnn.csr
 *   gen-csrs --one FILE CN_HEX OU      one request whose CN is the raw bytes
 *                                      CN_HEX (NULs, control bytes) as UTF8String
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

static int
one(const char *path, const char *cnhex, const char *ou)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char cn[512];
	size_t len = strlen(cnhex) / 2, i;
	unsigned int b;
	FILE *f;

	if (key == NULL || req == NULL || n == NULL || len > sizeof(cn))
		return 1;
	for (i = 0; i < len; i++) {
		if (sscanf(cnhex + 2 * i, "%2x", &b) != 1)
			return 1;
		cn[i] = (unsigned char)b;
	}
	if (!X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
	    cn, (int)len, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
	    (const unsigned char *)ou, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, n) || !X509_REQ_set_pubkey(req, key) ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (f = fopen(path, "w")) == NULL || !PEM_write_X509_REQ(f, req) ||
	    fclose(f) != 0)
		return 1;
	X509_NAME_free(n);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return 0;
}

int
main(int argc, char **argv)
{
	EVP_PKEY_CTX *kc = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	X509_NAME *n = NULL;
	unsigned char r[16];
	char uuid[40], path[4096];
	const char *prefix;
	long i, count;
	FILE *f;

	if (argc == 5 && strcmp(argv[1], "--one") == 0)
		return one(argv[2], argv[3], argv[4]);
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: gen-csrs DIR N FACTORY [PREFIX]\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	prefix = argc == 5 ? argv[4] : "dev-";
	if ((kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(kc) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_X9_62_prime256v1) != 1)
		return 1;
	for (i = 0; i < count; i++) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return 1;
		snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-%02x%02x-4%x%02x-"
		    "%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
		    r[4], r[5], r[6] & 0xf, r[7], (r[8] & 0x3f) | 0x80, r[9],
		    r[10], r[11], r[12], r[13], r[14], r[15]);
		key = NULL;
		if (EVP_PKEY_keygen(kc, &key) != 1 ||
		    (req = X509_REQ_new()) == NULL || (n = X509_NAME_new()) == NULL ||
		    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		    (unsigned char *)uuid, -1, -1, 0) ||
		    !X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
		    (unsigned char *)argv[3], -1, -1, 0) ||
		    !X509_REQ_set_subject_name(req, n) ||
		    !X509_REQ_set_pubkey(req, key) ||
		    X509_REQ_sign(req, key, EVP_sha256()) <= 0)
			return 1;
		snprintf(path, sizeof(path), "%s/%s%07ld.csr", argv[1], prefix, i);
		if ((f = fopen(path, "w")) == NULL ||
		    !PEM_write_X509_REQ(f, req) || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		X509_NAME_free(n);
		X509_REQ_free(req);
		EVP_PKEY_free(key);
	}
	EVP_PKEY_CTX_free(kc);
	return 0;
}
