/* test-csr.c: requests made in-process with software keys; every refusal has its own reason. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
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

/* ---- strict DER and signature algorithms ---- */

/* A DER header for tag and length n, minimal; its size. */
static size_t
put_hdr(unsigned char *out, unsigned char tag, size_t n)
{
	out[0] = tag;
	if (n < 0x80) {
		out[1] = (unsigned char)n;
		return 2;
	}
	if (n < 0x100) {
		out[1] = 0x81;
		out[2] = (unsigned char)n;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (unsigned char)(n >> 8);
	out[3] = (unsigned char)n;
	return 4;
}

/* The size of the header of the TLV at p, and its content length. */
static size_t
get_hdr(const unsigned char *p, size_t *bodyp)
{
	size_t n, k;

	if (p[1] < 0x80) {
		*bodyp = p[1];
		return 2;
	}
	n = p[1] & 0x7f;
	for (*bodyp = 0, k = 0; k < n; k++)
		*bodyp = *bodyp << 8 | p[2 + k];
	return 2 + n;
}

/* The signed part of req, as DER. */
static struct buf
tbs_of(X509_REQ *req)
{
	struct buf b = { NULL, 0 };
	unsigned char *p = NULL;
	int n = i2d_re_X509_REQ_tbs(req, &p);

	b.len = (size_t)n;
	b.p = malloc(b.len + 1);
	memcpy(b.p, p, b.len);
	OPENSSL_free(p);
	return b;
}

/* A request made of tbs (any bytes, BER or not), signed with k and SHA-256. */
static struct buf
sign_tbs(EVP_PKEY *k, struct buf tbs)
{
	static const unsigned char ecdsa256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const unsigned char rsa256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
	    0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
	bool ec = EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024], *body, *p;
	size_t siglen = sizeof(sig), alglen = ec ? sizeof(ecdsa256) :
	    sizeof(rsa256), blen, n;
	struct buf b;

	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, tbs.p, tbs.len) != 1) {
		fprintf(stderr, "signing a crafted request failed\n");
		exit(2);
	}
	EVP_MD_CTX_free(ctx);
	body = malloc(tbs.len + alglen + siglen + 16);
	memcpy(body, tbs.p, tbs.len);
	memcpy(body + tbs.len, ec ? ecdsa256 : rsa256, alglen);
	p = body + tbs.len + alglen;
	n = put_hdr(p, 0x03, siglen + 1);
	p[n] = 0x00;
	memcpy(p + n + 1, sig, siglen);
	blen = tbs.len + alglen + n + 1 + siglen;
	b.p = malloc(blen + 8);
	n = put_hdr(b.p, 0x30, blen);
	memcpy(b.p + n, body, blen);
	b.len = n + blen;
	free(body);
	return b;
}

/* tbs with content bytes [off, off + del) replaced by ins, its header made again. */
static struct buf
tbs_splice(struct buf tbs, size_t off, size_t del, const void *ins,
    size_t inslen)
{
	size_t body, hl = get_hdr(tbs.p, &body), nlen = body - del + inslen;
	unsigned char *c = malloc(nlen + 1);
	struct buf b;

	memcpy(c, tbs.p + hl, off);
	memcpy(c + off, ins, inslen);
	memcpy(c + off + inslen, tbs.p + hl + off + del, body - off - del);
	b.p = malloc(nlen + 8);
	hl = put_hdr(b.p, 0x30, nlen);
	memcpy(b.p + hl, c, nlen);
	b.len = hl + nlen;
	free(c);
	return b;
}

/* The n-th (0-based) occurrence of needle in b, or NULL. */
static unsigned char *
nth(struct buf b, const void *needle, size_t len, int n)
{
	unsigned char *p = b.p, *hit;

	for (;;) {
		hit = memmem(p, b.len - (size_t)(p - b.p), needle, len);
		if (hit == NULL || n-- == 0)
			return hit;
		p = hit + 1;
	}
}

/* req signed again with md (ECDSA or RSA PKCS#1 v1.5; pss: RSASSA-PSS). */
static struct buf
signed_with(EVP_PKEY *k, const EVP_MD *md, bool pss)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	X509_REQ *req = make_req(k, NULL);
	struct buf b;

	if (EVP_DigestSignInit(ctx, &pctx, md, NULL, k) != 1 ||
	    (pss && EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1) ||
	    X509_REQ_sign_ctx(req, ctx) <= 0) {
		fprintf(stderr, "signing with another digest failed\n");
		exit(2);
	}
	EVP_MD_CTX_free(ctx);
	b = req_der(req);
	X509_REQ_free(req);
	return b;
}

static void
test_strict(EVP_PKEY *p256, EVP_PKEY *rsa)
{
	static const unsigned char ff[] = { 0x01, 0x01, 0xff };
	static const unsigned char vlong[] = { 0x02, 0x81, 0x01, 0x00 };
	struct ask a = { .ca = true };
	struct buf der, tbs, b, t2, body;
	unsigned char *hit, *att, tmp[512];
	size_t hl, n, bl, off, l1, l2, h1, h2;
	struct csr *c = NULL;
	X509_REQ *req;

	/* The outer length in long form with a leading zero: BER. */
	req = make_req(p256, NULL);
	der = req_der(req);
	hl = get_hdr(der.p, &n);
	b.p = malloc(der.len + 8);
	b.p[0] = 0x30;
	b.p[1] = 0x83;
	b.p[2] = 0x00;
	b.p[3] = (unsigned char)(n >> 8);
	b.p[4] = (unsigned char)n;
	memcpy(b.p + 5, der.p + hl, n);
	b.len = 5 + n;
	REFUSED(b, "the request is not DER: a length with leading zero bytes "
	    "(BER) at byte 0");
	free(b.p);

	/* The signed part with an indefinite length, signed as it is. */
	tbs = tbs_of(req);
	hl = get_hdr(tbs.p, &n);
	body.p = malloc(n + 4);
	body.p[0] = 0x30;
	body.p[1] = 0x80;
	memcpy(body.p + 2, tbs.p + hl, n);
	body.p[2 + n] = body.p[3 + n] = 0;
	body.len = n + 4;
	b = sign_tbs(p256, body);
	REFUSED(b, "the request is not DER: an indefinite length (BER) at "
	    "byte");
	free(b.p);
	free(body.p);

	/* The version INTEGER with a long-form length, signed. */
	CHECK(memcmp(tbs.p + hl, "\x02\x01\x00", 3) == 0);
	t2 = tbs_splice(tbs, 0, 3, vlong, sizeof(vlong));
	b = sign_tbs(p256, t2);
	REFUSED(b, "the request is not DER: a long-form length for a short "
	    "value (BER) at byte");
	free(b.p);
	free(t2.p);
	/* crafted but DER: the helpers make a request that parses */
	b = sign_tbs(p256, tbs);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	csr_free(c);
	c = NULL;
	free(b.p);
	free(tbs.p);
	free(der.p);
	X509_REQ_free(req);

	/*
	 * A BOOLEAN TRUE written 0x01: DER says 0xff.  The first in the
	 * signed part is basicConstraints' critical flag (in the extension
	 * request), the second its cA (inside the extension's value).
	 */
	req = make_req(p256, &a);
	tbs = tbs_of(req);
	CHECK(nth(tbs, ff, 3, 1) != NULL && nth(tbs, ff, 3, 2) == NULL);
	if ((hit = nth(tbs, ff, 3, 0)) != NULL) {
		hit[2] = 0x01;
		b = sign_tbs(p256, tbs);
		REFUSED(b, "the request is not DER: a BOOLEAN that is not 0x00 "
		    "or 0xff (BER) at byte");
		free(b.p);
		hit[2] = 0xff;
	}
	if ((hit = nth(tbs, ff, 3, 1)) != NULL) {
		hit[2] = 0x01;
		b = sign_tbs(p256, tbs);
		REFUSED(b, "the request is not DER: its basicConstraints "
		    "extension has a BOOLEAN that is not 0x00 or 0xff (BER) at "
		    "byte 2 of its value");
		free(b.p);
		hit[2] = 0xff;
	}
	free(tbs.p);
	X509_REQ_free(req);

	/*
	 * An extension request written by hand: basicConstraints with its
	 * DEFAULT critical FALSE written out, then a SAN with a long-form
	 * length inside its value.  OpenSSL keeps the attribute's bytes.
	 */
	req = make_req(p256, NULL);
	X509_REQ_add1_attr_by_NID(req, NID_ext_req, V_ASN1_SEQUENCE,
	    (const unsigned char *)"\x30\x0e\x30\x0c\x06\x03\x55\x1d\x13"
	    "\x01\x01\x00\x04\x02\x30\x00", 16);
	X509_REQ_sign(req, p256, EVP_sha256());
	b = req_der(req);
	REFUSED(b, "the request is not DER: an extension writes out critical "
	    "FALSE, its DEFAULT (BER)");
	free(b.p);
	X509_REQ_free(req);
	req = make_req(p256, NULL);
	X509_REQ_add1_attr_by_NID(req, NID_ext_req, V_ASN1_SEQUENCE,
	    (const unsigned char *)"\x30\x17\x30\x15\x06\x03\x55\x1d\x11"
	    "\x04\x0e\x30\x81\x0b\x82\x09\x61\x2e\x65\x78\x61\x6d"
	    "\x70\x6c\x65", 25);
	X509_REQ_sign(req, p256, EVP_sha256());
	b = req_der(req);
	REFUSED(b, "the request is not DER: its subjectAltName extension has a "
	    "long-form length for a short value (BER) at byte 0 of its value");
	free(b.p);
	X509_REQ_free(req);

	/* Two attributes out of DER's SET OF order (a challengePassword too). */
	req = make_req(p256, &a);
	X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
	    MBSTRING_ASC, (const unsigned char *)"pw", -1);
	tbs = tbs_of(req);
	/* version, subject, key, then [0] the attributes */
	hl = get_hdr(tbs.p, &n);
	for (off = hl, n = 0; n < 3; n++) {
		off += get_hdr(tbs.p + off, &bl);
		off += bl;
	}
	CHECK(tbs.p[off] == 0xa0);
	att = tbs.p + off + get_hdr(tbs.p + off, &bl);
	h1 = get_hdr(att, &l1);
	h2 = get_hdr(att + h1 + l1, &l2);
	CHECK(h1 + l1 + h2 + l2 == bl && bl <= sizeof(tmp));
	if (h1 + l1 + h2 + l2 == bl && bl <= sizeof(tmp)) {
		memcpy(tmp, att + h1 + l1, h2 + l2);
		memcpy(tmp + h2 + l2, att, h1 + l1);
		memcpy(att, tmp, bl);
		b = sign_tbs(p256, tbs);
		REFUSED(b, "the request is not DER: its encoding differs from "
		    "the DER of the same values from byte");
		free(b.p);
	}
	free(tbs.p);
	X509_REQ_free(req);

	/* Self-signatures with broken digests, or RSASSA-PSS: named. */
	b = signed_with(p256, EVP_sha1(), false);
	REFUSED(b, "the request is self-signed with ecdsa-with-SHA1 (a broken "
	    "digest: such a signature proves nothing): airca accepts ECDSA or "
	    "RSA (PKCS#1 v1.5) with SHA-256, SHA-384 or SHA-512");
	free(b.p);
	b = signed_with(rsa, EVP_sha1(), false);
	REFUSED(b, "the request is self-signed with sha1WithRSAEncryption (a "
	    "broken digest");
	free(b.p);
	b = signed_with(rsa, EVP_md5(), false);
	REFUSED(b, "the request is self-signed with md5WithRSAEncryption (a "
	    "broken digest");
	free(b.p);
	b = signed_with(rsa, EVP_sha256(), true);
	REFUSED(b, "(RSASSA-PSS is not accepted)");
	free(b.p);
	/* SHA-384 and SHA-512 are fine, with either key */
	b = signed_with(p256, EVP_sha512(), false);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	csr_free(c);
	c = NULL;
	free(b.p);
	b = signed_with(rsa, EVP_sha384(), false);
	CHECK(csr_parse(b.p, b.len, &c) == 0);
	csr_free(c);
	free(b.p);
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
	test_strict(p256, rsa);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	CHECK_DONE();
}
