/* test-csr.c: requests made in-process with software keys; every refusal has its own reason. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "csr.h"
#include "error.h"
#include "util.h"

struct buf {
	unsigned char *p;
	size_t len;
};

/* What a test request asks for. */
struct ask {
	const char *const *dns;		/* SAN dNSName values */
	const int *dnslen;		/* their lengths (NUL inside), or NULL */
	int	ndns;
	bool	ip;			/* add an iPAddress SAN entry */
	bool	ca;			/* basicConstraints CA:TRUE */
	bool	dup_san;		/* the SAN extension twice */
};

static EVP_PKEY *
keygen(const char *type, const char *arg)
{
	EVP_PKEY *k;

	if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(arg));
	else if (arg != NULL)
		k = EVP_PKEY_Q_keygen(NULL, NULL, type, arg);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	if (k == NULL) {
		fprintf(stderr, "keygen %s %s failed\n", type, arg ? arg : "");
		exit(2);
	}
	return k;
}

static X509_EXTENSION *
san_ext(const struct ask *a)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g;
	ASN1_IA5STRING *s;
	ASN1_OCTET_STRING *ip;
	X509_EXTENSION *ext;
	int i;

	for (i = 0; i < a->ndns; i++) {
		g = GENERAL_NAME_new();
		s = ASN1_IA5STRING_new();
		ASN1_STRING_set(s, a->dns[i], a->dnslen != NULL ?
		    a->dnslen[i] : (int)strlen(a->dns[i]));
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	if (a->ip) {
		g = GENERAL_NAME_new();
		ip = a2i_IPADDRESS("192.0.2.1");
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		sk_GENERAL_NAME_push(gens, g);
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	GENERAL_NAMES_free(gens);
	return ext;
}

static X509_REQ *
make_req(EVP_PKEY *k, const struct ask *a)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	BASIC_CONSTRAINTS *bc;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	const EVP_MD *md = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256();

	X509_REQ_set_version(req, X509_REQ_VERSION_1);
	X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)"device-1", -1, -1, 0);
	X509_REQ_set_subject_name(req, nm);
	X509_NAME_free(nm);
	X509_REQ_set_pubkey(req, k);
	if (a != NULL) {
		if (a->ndns > 0 || a->ip) {
			sk_X509_EXTENSION_push(exts, san_ext(a));
			if (a->dup_san)
				sk_X509_EXTENSION_push(exts, san_ext(a));
		}
		if (a->ca) {
			bc = BASIC_CONSTRAINTS_new();
			bc->ca = 0xff;
			sk_X509_EXTENSION_push(exts,
			    X509V3_EXT_i2d(NID_basic_constraints, 1, bc));
			BASIC_CONSTRAINTS_free(bc);
		}
		if (sk_X509_EXTENSION_num(exts) > 0)
			X509_REQ_add_extensions(req, exts);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (X509_REQ_sign(req, k, md) <= 0) {
		fprintf(stderr, "X509_REQ_sign failed\n");
		exit(2);
	}
	return req;
}

static struct buf
bio_buf(BIO *bio)
{
	struct buf b;
	char *p;
	long n = BIO_get_mem_data(bio, &p);

	b.len = (size_t)n;
	b.p = malloc(b.len + 1);
	memcpy(b.p, p, b.len);
	BIO_free(bio);
	return b;
}

static struct buf
req_pem(X509_REQ *req, bool old_label)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (old_label)
		PEM_write_bio_X509_REQ_NEW(bio, req);
	else
		PEM_write_bio_X509_REQ(bio, req);
	return bio_buf(bio);
}

static struct buf
req_der(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());

	i2d_X509_REQ_bio(bio, req);
	return bio_buf(bio);
}

static struct buf
cat(struct buf a, const void *p, size_t len)
{
	struct buf b;

	b.len = a.len + len;
	b.p = malloc(b.len + 1);
	memcpy(b.p, a.p, a.len);
	memcpy(b.p + a.len, p, len);
	return b;
}

static struct buf
self_signed_cert(EVP_PKEY *k, bool der)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	BIO *bio = BIO_new(BIO_s_mem());

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)"not a request", -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	if (der)
		i2d_X509_bio(bio, x);
	else
		PEM_write_bio_X509(bio, x);
	X509_NAME_free(nm);
	X509_free(x);
	return bio_buf(bio);
}

/* Parse b, expecting a refusal with needle in the message. */
#define REFUSED(b, needle) do {						\
	struct csr *refused_c_ = NULL;					\
	CHECK_ERR(csr_parse((b).p, (b).len, &refused_c_),		\
	    AIRCA_ERR_INPUT, (needle));					\
	CHECK(refused_c_ == NULL);					\
	csr_free(refused_c_);						\
} while (0)

static void
test_good(EVP_PKEY *p256, EVP_PKEY *p384, EVP_PKEY *rsa)
{
	static const char *const dns[] = { "a.example.com", "b.example.com" };
	struct ask a = { .dns = dns, .ndns = 2, .ip = true, .ca = true };
	unsigned char spki[SHA256_LEN], file[SHA256_LEN], *der = NULL;
	struct csr *c = NULL;
	struct buf b, b2;
	X509_REQ *req;
	char name[32];
	int n;

	/* P-256, PEM, with SANs and a CA request. */
	req = make_req(p256, &a);
	b = req_pem(req, false);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	if (c != NULL) {
		CHECK(c->key == CSR_KEY_EC_P256 && c->key_bits == 256);
		CHECK_STR(csr_key_name(c, name, sizeof(name)), "EC P-256");
		CHECK(c->ndns == 2);
		if (c->ndns == 2) {
			CHECK_STR(c->dns[0], "a.example.com");
			CHECK_STR(c->dns[1], "b.example.com");
		}
		CHECK(c->has_other_san);
		CHECK(c->asks_ca);
		CHECK(c->nexts == 2);
		CHECK(c->req != NULL && c->pub != NULL);
		n = i2d_PUBKEY(p256, &der);
		sha256(der, (size_t)n, spki);
		OPENSSL_free(der);
		CHECK(memcmp(c->spki_sha256, spki, SHA256_LEN) == 0);
		sha256(b.p, b.len, file);
		CHECK(memcmp(c->file_sha256, file, SHA256_LEN) == 0);
	}
	csr_free(c);
	c = NULL;

	/* Whitespace around the block is fine. */
	b2 = cat((struct buf){ (unsigned char *)"\r\n  \n", 5 }, b.p, b.len);
	free(b.p);
	b = cat(b2, "\n\n \t", 4);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	csr_free(c);
	c = NULL;
	free(b.p);
	free(b2.p);
	X509_REQ_free(req);

	/* P-384, DER, no extensions. */
	req = make_req(p384, NULL);
	b = req_der(req);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	if (c != NULL) {
		CHECK(c->key == CSR_KEY_EC_P384 && c->key_bits == 384);
		CHECK_STR(csr_key_name(c, name, sizeof(name)), "EC P-384");
		CHECK(c->ndns == 0 && c->dns == NULL && !c->has_other_san);
		CHECK(c->nexts == 0 && !c->asks_ca);
	}
	csr_free(c);
	c = NULL;
	free(b.p);
	X509_REQ_free(req);

	/* RSA 2048, the old "NEW CERTIFICATE REQUEST" label. */
	a.ip = false;
	a.ca = false;
	a.ndns = 1;
	req = make_req(rsa, &a);
	b = req_pem(req, true);
	CHECK(strstr((char *)b.p, "NEW CERTIFICATE REQUEST") != NULL);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	if (c != NULL) {
		CHECK(c->key == CSR_KEY_RSA && c->key_bits == 2048);
		CHECK_STR(csr_key_name(c, name, sizeof(name)), "RSA 2048");
		CHECK(c->ndns == 1 && !c->has_other_san && c->nexts == 1);
	}
	csr_free(c);
	free(b.p);
	X509_REQ_free(req);
}

static void
test_keys(EVP_PKEY *p256)
{
	EVP_PKEY *k;
	X509_REQ *req;
	struct buf b;

	k = keygen("RSA", "1024");
	req = make_req(k, NULL);
	b = req_pem(req, false);
	REFUSED(b, "the key is RSA 1024 bits: airca accepts EC P-256, "
	    "EC P-384 or RSA 2048 to 8192 bits");
	free(b.p);
	X509_REQ_free(req);
	EVP_PKEY_free(k);

	k = keygen("EC", "secp256k1");
	req = make_req(k, NULL);
	b = req_der(req);
	REFUSED(b, "the key is on EC curve secp256k1");
	free(b.p);
	X509_REQ_free(req);
	EVP_PKEY_free(k);

	k = keygen("ED25519", NULL);
	req = make_req(k, NULL);
	b = req_pem(req, false);
	REFUSED(b, "the key is ED25519");
	free(b.p);
	X509_REQ_free(req);
	EVP_PKEY_free(k);

	/* A request whose self-signature was made by another key. */
	k = keygen("EC", "P-256");
	req = make_req(p256, NULL);
	X509_REQ_set_pubkey(req, k);
	b = req_der(req);
	REFUSED(b, "the self-signature does not verify");
	free(b.p);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
test_tampered(EVP_PKEY *p256, EVP_PKEY *rsa)
{
	static const char *const dns[] = { "a.example.com" };
	struct ask a = { .dns = dns, .ndns = 1 };
	X509_REQ *req;
	struct buf b;
	unsigned char *hit;

	/* A byte of the signature flipped (EC: the last byte of s). */
	req = make_req(p256, &a);
	b = req_der(req);
	b.p[b.len - 1] ^= 0x01;
	REFUSED(b, "the self-signature does not verify");
	b.p[b.len - 1] ^= 0x01;
	/* A byte of the signed part flipped: the DNS name. */
	hit = memmem(b.p, b.len, "a.example", 9);
	CHECK(hit != NULL);
	if (hit != NULL) {
		*hit = 'b';
		REFUSED(b, "the self-signature does not verify");
	}
	free(b.p);
	X509_REQ_free(req);

	req = make_req(rsa, &a);
	b = req_der(req);
	b.p[b.len - 10] ^= 0x80;
	REFUSED(b, "the self-signature does not verify");
	free(b.p);
	X509_REQ_free(req);
}

static void
test_shapes(EVP_PKEY *p256)
{
	struct buf pem, der, b, cert;
	X509_REQ *req;
	BIO *bio;
	struct buf key;

	req = make_req(p256, NULL);
	pem = req_pem(req, false);
	der = req_der(req);

	REFUSED(((struct buf){ (unsigned char *)"", 0 }),
	    "the file is empty");
	REFUSED(((struct buf){ NULL, 0 }), "the file is empty");
	REFUSED(((struct buf){ (unsigned char *)" \n\t\r\n", 5 }),
	    "only whitespace");
	REFUSED(((struct buf){ (unsigned char *)"hello world\n", 12 }),
	    "this is not a certificate request: neither PEM nor DER");
	REFUSED(((struct buf){ (unsigned char *)"0\n", 2 }),
	    "this is not a certificate request: neither PEM nor DER");

	/* Truncated DER: the header says more than the file has. */
	b = der;
	b.len = der.len / 2;
	REFUSED(b, "the request is truncated: its DER says");
	b.len = 3;
	REFUSED(b, "truncated");
	b.len = 1;
	REFUSED(b, "this is not a certificate request");

	/* Truncated PEM. */
	b = pem;
	b.len = pem.len / 2;
	REFUSED(b, "the PEM block is damaged or truncated");

	/* Bad base64 inside. */
	b = cat(pem, "", 0);
	b.p[40] = '*';
	REFUSED(b, "base64");
	free(b.p);

	/* Two PEM requests, two DER requests. */
	b = cat(pem, pem.p, pem.len);
	REFUSED(b, "the file holds several PEM blocks: put one request per file");
	free(b.p);
	b = cat(der, der.p, der.len);
	REFUSED(b, "the file holds several requests: put one request per file");
	free(b.p);

	/* Trailing garbage. */
	b = cat(pem, "garbage\n", 8);
	REFUSED(b, "the file holds 8 bytes of other data after the request");
	free(b.p);
	b = cat(der, "\0\0\0", 3);
	REFUSED(b, "the file holds 3 bytes of other data after the request");
	free(b.p);

	/* Text before the block. */
	b = cat((struct buf){ (unsigned char *)"Subject: x\n", 11 }, pem.p,
	    pem.len);
	REFUSED(b, "other text before the PEM block");
	free(b.p);
	b = cat((struct buf){ (unsigned char *)"-----BEGIN oops\n", 16 },
	    pem.p, pem.len);
	REFUSED(b, "other text before the PEM block");
	free(b.p);

	/* A certificate, PEM and DER. */
	cert = self_signed_cert(p256, false);
	REFUSED(cert, "this is a certificate, not a certificate request");
	free(cert.p);
	cert = self_signed_cert(p256, true);
	REFUSED(cert, "this is a certificate, not a certificate request");
	free(cert.p);

	/* A private key, alone or after the request: say so and warn. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, p256, NULL, NULL, 0, NULL, NULL);
	key = bio_buf(bio);
	REFUSED(key, "this is a private key (PEM PRIVATE KEY), not a "
	    "certificate request: a private key should never leave");
	b = cat(pem, key.p, key.len);
	REFUSED(b, "a private key follows the request in this file");
	free(b.p);
	free(key.p);
	bio = BIO_new(BIO_s_mem());
	i2d_PKCS8PrivateKey_bio(bio, p256, NULL, NULL, 0, NULL, NULL);
	key = bio_buf(bio);
	REFUSED(key, "this is a private key (DER)");
	free(key.p);

	/* Another PEM type. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(bio, p256);
	key = bio_buf(bio);
	REFUSED(key, "this is a public key, not a certificate request");
	free(key.p);

	free(pem.p);
	free(der.p);
	X509_REQ_free(req);
}

static void
test_san(EVP_PKEY *p256)
{
	static const char *const nul[] = { "a.example.com\0.evil.com" };
	static const int nullen[] = { 24 };
	static const char *const space[] = { "ok.example.com", "a b.com" };
	static const char *const ctl[] = { "a\033[2J.com" };
	static const char *const hi[] = { "caf\xc3\xa9.com" };
	static const char *const empty[] = { "" };
	const char *many[CSR_MAX_DNS + 1];
	char longname[CSR_MAX_NAME + 2], names[CSR_MAX_DNS + 1][24];
	struct ask a = { 0 };
	struct csr *c = NULL;
	X509_REQ *req;
	struct buf b;
	int i;

#define SAN_REFUSED(dnsv, n, lens, needle) do {				\
	a.dns = (dnsv);							\
	a.ndns = (n);							\
	a.dnslen = (lens);						\
	req = make_req(p256, &a);					\
	b = req_der(req);						\
	REFUSED(b, (needle));						\
	free(b.p);							\
	X509_REQ_free(req);						\
} while (0)

	SAN_REFUSED(nul, 1, nullen, "DNS name 1 in subjectAltName holds a NUL "
	    "at byte 14: only printable ASCII is allowed");
	SAN_REFUSED(space, 2, NULL, "DNS name 2 in subjectAltName holds a "
	    "space at byte 2");
	SAN_REFUSED(ctl, 1, NULL, "holds a control character at byte 2");
	SAN_REFUSED(hi, 1, NULL, "holds a non-ASCII byte at byte 4");
	SAN_REFUSED(empty, 1, NULL, "DNS name 1 in subjectAltName is empty");

	memset(longname, 'a', sizeof(longname));
	longname[CSR_MAX_NAME + 1] = '\0';
	many[0] = longname;
	SAN_REFUSED(many, 1, NULL, "DNS name 1 in subjectAltName is 254 bytes "
	    "long: at most 253");
	longname[CSR_MAX_NAME] = '\0';

	for (i = 0; i <= CSR_MAX_DNS; i++) {
		snprintf(names[i], sizeof(names[i]), "h%d.example", i);
		many[i] = names[i];
	}
	SAN_REFUSED(many, CSR_MAX_DNS + 1, NULL, "the request has more than "
	    "32 DNS names in subjectAltName");

	/* Exactly 32, one of them 253 bytes long: accepted. */
	many[CSR_MAX_DNS - 1] = longname;
	a.dns = many;
	a.ndns = CSR_MAX_DNS;
	a.dnslen = NULL;
	req = make_req(p256, &a);
	b = req_pem(req, false);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	CHECK(c != NULL && c->ndns == CSR_MAX_DNS);
	if (c != NULL && c->ndns == CSR_MAX_DNS) {
		CHECK_STR(c->dns[0], "h0.example");
		CHECK(strlen(c->dns[CSR_MAX_DNS - 1]) == CSR_MAX_NAME);
	}
	csr_free(c);
	free(b.p);
	X509_REQ_free(req);

	/* The SAN extension twice. */
	a.ndns = 1;
	a.dup_san = true;
	req = make_req(p256, &a);
	b = req_der(req);
	REFUSED(b, "the request asks for extension X509v3 Subject "
	    "Alternative Name twice");
	free(b.p);
	X509_REQ_free(req);
#undef SAN_REFUSED
}

int
main(void)
{
	EVP_PKEY *p256, *p384, *rsa;

	p256 = keygen("EC", "P-256");
	p384 = keygen("EC", "P-384");
	rsa = keygen("RSA", "2048");
	test_good(p256, p384, rsa);
	test_keys(p256);
	test_tampered(p256, rsa);
	test_shapes(p256);
	test_san(p256);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	CHECK_DONE();
}
