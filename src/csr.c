/*
 * csr.c: certificate requests from outside: one PEM or DER request,
 * self-signed, with a key airca accepts.  Over 1,000 lines on purpose: every
 * check a hostile request passes is here, in the order it is applied, so a
 * reviewer reads the whole gate in one file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "der.h"
#include "error.h"
#include "util.h"

#define CSR_MAX_BYTES	(1024 * 1024)	/* far above any real request */
#define CSR_MAX_EXTS	64
#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	8192
#define PEM_BEGIN	"-----BEGIN "
#define KEYS_ACCEPTED	"airca accepts EC P-256, EC P-384 or RSA 2048 to 8192 bits"
#define PRIVKEY_WARNING	"a private key should never leave the device that " \
	"made it: treat this key as exposed, and do not use this media again " \
	"before it is wiped"

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static bool
all_space(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_space(p[i]))
			return false;
	return true;
}

/* Only printable ASCII and whitespace: text, never DER (which has tag bytes below 0x20). */
static bool
looks_text(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_space(p[i]) && (p[i] < 0x20 || p[i] > 0x7e))
			return false;
	return true;
}

/* A PEM type from the input, fit for a message. */
static const char *
pem_type(const char *name, char *buf, size_t len)
{
	if (strlen(name) >= len || !text_printable(name, strlen(name)))
		snprintf(buf, len, "(unreadable)");
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

/* Refuse a PEM block that is not a request, naming what it is. */
static int
check_pem_type(const char *name)
{
	char buf[64];

	if (strcmp(name, PEM_STRING_X509_REQ) == 0 ||
	    strcmp(name, PEM_STRING_X509_REQ_OLD) == 0)
		return 0;
	if (strstr(name, "PRIVATE KEY") != NULL)
		return airca_errf(AIRCA_ERR_INPUT, "this is a private key "
		    "(PEM %s), not a certificate request: " PRIVKEY_WARNING,
		    pem_type(name, buf, sizeof(buf)));
	if (strcmp(name, PEM_STRING_X509) == 0 ||
	    strcmp(name, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(name, PEM_STRING_X509_TRUSTED) == 0)
		return airca_errf(AIRCA_ERR_INPUT, "this is a certificate, not "
		    "a certificate request: ask for the request (.csr) the "
		    "device or service made");
	if (strstr(name, "PUBLIC KEY") != NULL)
		return airca_errf(AIRCA_ERR_INPUT, "this is a public key, not "
		    "a certificate request: a request also proves that its "
		    "maker holds the private key");
	return airca_errf(AIRCA_ERR_INPUT, "this is a PEM block of type "
	    "\"%s\", not a certificate request", pem_type(name, buf,
	    sizeof(buf)));
}

/* Exactly one PEM request block at p, nothing but whitespace after it. */
static int
parse_pem(const unsigned char *p, size_t len, X509_REQ **reqp,
    unsigned char **derp, size_t *derlenp)
{
	char *name = NULL, *header = NULL, *rest = NULL;
	unsigned char *der = NULL;
	const unsigned char *q;
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	long derlen = 0, restlen;
	int r, reason;

	if ((bio = BIO_new_mem_buf(p, (int)len)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "reading the request");
		goto out;
	}
	if (!PEM_read_bio(bio, &name, &header, &der, &derlen)) {
		reason = ERR_GET_REASON(ERR_peek_last_error());
		if (reason == PEM_R_BAD_BASE64_DECODE)
			r = airca_errf(AIRCA_ERR_INPUT, "the PEM block is "
			    "damaged: its base64 does not decode");
		else if (reason == PEM_R_NO_START_LINE)
			r = airca_errf(AIRCA_ERR_INPUT, "the PEM BEGIN line is "
			    "malformed");
		else
			r = airca_errf(AIRCA_ERR_INPUT, "the PEM block is "
			    "damaged or truncated: its END line is missing or "
			    "does not match the BEGIN line");
		goto out;
	}
	/* PEM_read_bio() skips lines it does not like: the block must be first. */
	if (len < strlen(PEM_BEGIN) + strlen(name) + 5 ||
	    memcmp(p + strlen(PEM_BEGIN), name, strlen(name)) != 0 ||
	    memcmp(p + strlen(PEM_BEGIN) + strlen(name), "-----", 5) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "the file holds other text "
		    "before the PEM block: it must hold only the request");
		goto out;
	}
	restlen = BIO_get_mem_data(bio, &rest);
	if (restlen > 0 &&
	    memmem(rest, (size_t)restlen, "PRIVATE KEY-----", 16) != NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "a private key follows the "
		    "request in this file: " PRIVKEY_WARNING);
		goto out;
	}
	if ((r = check_pem_type(name)) != 0)
		goto out;
	if (restlen > 0 && !all_space((unsigned char *)rest, (size_t)restlen)) {
		if (memmem(rest, (size_t)restlen, PEM_BEGIN,
		    strlen(PEM_BEGIN)) != NULL)
			r = airca_errf(AIRCA_ERR_INPUT, "the file holds "
			    "several PEM blocks: put one request per file");
		else
			r = airca_errf(AIRCA_ERR_INPUT, "the file holds %ld "
			    "bytes of other data after the request: it must "
			    "hold only the request", restlen);
		goto out;
	}
	if (header != NULL && header[0] != '\0') {
		r = airca_errf(AIRCA_ERR_INPUT, "the PEM block has headers "
		    "(encrypted or legacy PEM): a request has none");
		goto out;
	}
	q = der;
	if ((req = der_x509_req(&q, derlen)) == NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "the PEM block is labelled a "
		    "request but does not decode as one");
		goto out;
	}
	if (q != der + derlen) {
		r = airca_errf(AIRCA_ERR_INPUT, "the PEM block holds %ld "
		    "bytes of other data after the request",
		    (long)(der + derlen - q));
		goto out;
	}
	*reqp = req;
	req = NULL;
	*derp = der;
	*derlenp = (size_t)derlen;
	der = NULL;
	r = 0;
 out:
	X509_REQ_free(req);
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	return r;
}

/*
 * The size of the DER SEQUENCE at p (header included), from its header, so
 * that truncation and trailing data get their own reasons.
 */
static int
der_outer_len(const unsigned char *p, size_t len, size_t *totalp)
{
	size_t hdr, body = 0, i, n;

	if (len < 2 || p[0] != 0x30)
		return airca_errf(AIRCA_ERR_INPUT, "this is not a certificate "
		    "request: neither PEM nor DER");
	if (p[1] < 0x80) {
		hdr = 2;
		body = p[1];
	} else if (p[1] == 0x80)
		return airca_errf(AIRCA_ERR_INPUT, "the request is not DER: "
		    "an indefinite length (BER) at byte 0");
	else {
		n = p[1] & 0x7f;
		if (n > 4)
			return airca_errf(AIRCA_ERR_INPUT, "this is not a "
			    "certificate request: its DER length is absurd");
		hdr = 2 + n;
		if (len < hdr)
			return airca_errf(AIRCA_ERR_INPUT, "the request is "
			    "truncated: the file ends inside its DER header");
		for (i = 0; i < n; i++)
			body = body << 8 | p[2 + i];
	}
	if (body > len - hdr)
		return airca_errf(AIRCA_ERR_INPUT, "the request is truncated: "
		    "its DER says %zu bytes but the file has %zu", hdr + body,
		    len);
	*totalp = hdr + body;
	return 0;
}

/* Say what a DER object that is not a request is. */
static int
der_not_req(const unsigned char *p, size_t len)
{
	const unsigned char *q;
	EVP_PKEY *pkey;
	X509 *x;

	q = p;
	if ((x = d2i_X509(NULL, &q, (long)len)) != NULL) {
		X509_free(x);
		return airca_errf(AIRCA_ERR_INPUT, "this is a certificate, not "
		    "a certificate request: ask for the request (.csr) the "
		    "device or service made");
	}
	q = p;
	if ((pkey = d2i_AutoPrivateKey(NULL, &q, (long)len)) != NULL) {
		EVP_PKEY_free(pkey);
		return airca_errf(AIRCA_ERR_INPUT, "this is a private key "
		    "(DER), not a certificate request: " PRIVKEY_WARNING);
	}
	return airca_errf(AIRCA_ERR_INPUT, "this is not a certificate "
	    "request: the DER does not decode as one");
}

/* One DER request using every byte. */
static int
parse_der(const unsigned char *p, size_t len, X509_REQ **reqp)
{
	const unsigned char *q;
	X509_REQ *req = NULL, *next = NULL;
	size_t total, total2;
	int r;

	if ((r = der_outer_len(p, len, &total)) != 0)
		goto out;
	q = p;
	if ((req = der_x509_req(&q, (long)total)) == NULL) {
		r = der_not_req(p, total);
		goto out;
	}
	if (q != p + total) {
		r = airca_errf(AIRCA_ERR_INPUT, "the request's DER is "
		    "malformed: its content is shorter than its length");
		goto out;
	}
	if (total < len) {
		q = p + total;
		if (der_outer_len(q, len - total, &total2) == 0 &&
		    (next = der_x509_req(&q, (long)total2)) != NULL)
			r = airca_errf(AIRCA_ERR_INPUT, "the file holds "
			    "several requests: put one request per file");
		else
			r = airca_errf(AIRCA_ERR_INPUT, "the file holds %zu "
			    "bytes of other data after the request: it must "
			    "hold only the request", len - total);
		goto out;
	}
	*reqp = req;
	req = NULL;
	r = 0;
 out:
	X509_REQ_free(req);
	X509_REQ_free(next);
	return r;
}

/*
 * The request's encoding, structurally: every length definite and in its
 * shortest form, primitive types in primitive form, at every level of
 * constructed values (OCTET and BIT STRING contents are judged where they
 * are decoded).  NULL, or what is wrong, with its byte offset in *offp.
 */
static const char *
der_walk(const unsigned char *p, size_t len, size_t base, int depth,
    size_t *offp)
{
	size_t i = 0, hl, n, k, body;
	unsigned char tag;
	const char *why;

	while (i < len) {
		*offp = base + i;
		tag = p[i];
		if ((tag & 0x1f) == 0x1f)
			return "a tag number above 30, which no request uses";
		if (len - i < 2)
			return "a value cut short";
		if (p[i + 1] == 0x80)
			return "an indefinite length (BER)";
		if (p[i + 1] < 0x80) {
			hl = 2;
			body = p[i + 1];
		} else {
			n = p[i + 1] & 0x7f;
			if (n > 4 || len - i < 2 + n)
				return "a malformed length";
			if (p[i + 2] == 0)
				return "a length with leading zero bytes (BER)";
			for (body = 0, k = 0; k < n; k++)
				body = body << 8 | p[i + 2 + k];
			if (body < 0x80)
				return "a long-form length for a short value "
				    "(BER)";
			hl = 2 + n;
		}
		if (body > len - i - hl)
			return "a length past the end of its container";
		/* OpenSSL keeps a BOOLEAN's byte as it came: judged here */
		if (tag == 0x01 && (body != 1 ||
		    (p[i + hl] != 0x00 && p[i + hl] != 0xff)))
			return "a BOOLEAN that is not 0x00 or 0xff (BER)";
		if (tag & 0x20) {
			/* universal and constructed: only SEQUENCE and SET in DER */
			if ((tag & 0xc0) == 0 && tag != 0x30 && tag != 0x31)
				return "a constructed string or primitive type "
				    "(BER)";
			if (depth >= 32)
				return "values nested more than 32 deep";
			if ((why = der_walk(p + i + hl, body, base + i + hl,
			    depth + 1, offp)) != NULL)
				return why;
		}
		i += hl + body;
	}
	return NULL;
}

static int
check_der_shape(const unsigned char *der, size_t len)
{
	const char *why;
	size_t off = 0;

	if ((why = der_walk(der, len, 0, 0, &off)) != NULL)
		return airca_errf(AIRCA_ERR_INPUT, "the request is not DER: %s "
		    "at byte %zu of its encoding", why, off);
	return 0;
}

/*
 * Decoded values that re-encode differently are not DER either (attributes
 * out of DER's SET OF order, BIT STRING padding bits set): the request,
 * re-encoded by OpenSSL, must be the input byte for byte.  OpenSSL keeps
 * the signed part's bytes as they came for the signature;
 * i2d_re_X509_REQ_tbs() has it encoded afresh.  It still copies the
 * subject name's and the attributes' values' bytes as they came (and a
 * BOOLEAN's byte, and an OPTIONAL critical FALSE): der_walk() and
 * read_extensions() judge those.  Called after the self-signature was
 * verified over the bytes as they came.
 */
static int
check_der_reencode(struct csr *c, const unsigned char *der, size_t len)
{
	unsigned char *re = NULL;
	size_t i;
	int n, r;

	if (i2d_re_X509_REQ_tbs(c->req, NULL) <= 0 ||
	    (n = i2d_X509_REQ(c->req, &re)) <= 0) {
		r = airca_errssl(AIRCA_ERR_INPUT, "the request cannot be "
		    "encoded again");
		goto out;
	}
	if ((size_t)n != len || memcmp(re, der, len) != 0) {
		for (i = 0; i < len && i < (size_t)n && re[i] == der[i]; i++)
			;
		r = airca_errf(AIRCA_ERR_INPUT, "the request is not DER: its "
		    "encoding differs from the DER of the same values from "
		    "byte %zu on (BER, or values written in a non-canonical "
		    "form)", i);
		goto out;
	}
	r = 0;
 out:
	OPENSSL_free(re);
	return r;
}

/* An extension value (or the whole extension request) must be the DER of what it decodes to. */
static int
check_inner_der(const char *what, const unsigned char *in, int inlen,
    unsigned char *re, int relen)
{
	const char *why;
	size_t off = 0;
	int r = 0;

	if (relen <= 0)
		r = airca_errf(AIRCA_ERR_INPUT, "the %s cannot be encoded again",
		    what);
	else if (inlen <= 0 || (why = der_walk(in, (size_t)inlen, 0, 0,
	    &off)) != NULL)
		r = airca_errf(AIRCA_ERR_INPUT, "the request is not DER: its %s "
		    "has %s at byte %zu of its value", what, inlen <= 0 ?
		    "no value" : why, off);
	else if (relen != inlen || memcmp(in, re, (size_t)inlen) != 0)
		r = airca_errf(AIRCA_ERR_INPUT, "the request is not DER: its %s "
		    "re-encodes differently (BER, or values written in a "
		    "non-canonical form)", what);
	OPENSSL_free(re);
	return r;
}

/*
 * DER leaves DEFAULT values out (X.690 11.5), but OpenSSL keeps an
 * extension's critical FALSE when written out: look for it in the
 * extension request's bytes (their shape already walked).
 */
static int
check_no_default_critical(const unsigned char *p, size_t len)
{
	size_t body, hl, ehl, ebody, ohl, obody, i;

	hl = 2;			/* the walk passed: definite, minimal lengths */
	if (len < 2 || p[0] != 0x30)
		return 0;
	if (p[1] & 0x80)
		hl += p[1] & 0x7f;
	for (i = hl; i + 2 <= len; i += ehl + ebody) {
		ehl = 2;
		ebody = p[i + 1];
		if (p[i + 1] & 0x80) {
			ehl += p[i + 1] & 0x7f;
			for (ebody = 0, body = 0; body < (size_t)(p[i + 1] &
			    0x7f); body++)
				ebody = ebody << 8 | p[i + 2 + body];
		}
		if (i + ehl + 2 > len || p[i + ehl] != 0x06)
			break;
		ohl = 2;
		obody = p[i + ehl + 1];
		if (obody & 0x80)
			break;	/* no extension OID is that long */
		if (i + ehl + ohl + obody + 3 <= len &&
		    memcmp(p + i + ehl + ohl + obody, "\x01\x01\x00", 3) == 0)
			return airca_errf(AIRCA_ERR_INPUT, "the request is not "
			    "DER: an extension writes out critical FALSE, its "
			    "DEFAULT (BER)");
	}
	return 0;
}

/*
 * The self-signature's algorithm: ECDSA with an EC key, RSA PKCS#1 v1.5
 * with an RSA key, each with SHA-256, SHA-384 or SHA-512; named otherwise.
 */
static int
check_sig_alg(const struct csr *c)
{
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	const void *pval;
	char name[80];
	int ptype, nid, md = NID_undef, pk = NID_undef;
	bool ec = false, rsa = false;

	X509_REQ_get0_signature(c->req, NULL, &alg);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	switch ((nid = OBJ_obj2nid(obj))) {
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
		ec = true;
		break;
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		rsa = true;
		break;
	}
	if (OBJ_obj2txt(name, sizeof(name), obj, 0) <= 0 ||
	    !text_printable(name, strlen(name)))
		snprintf(name, sizeof(name), "an unknown algorithm");
	if (!ec && !rsa) {
		if (nid != NID_undef)
			OBJ_find_sigid_algs(nid, &md, &pk);
		return airca_errf(AIRCA_ERR_INPUT, "the request is self-signed "
		    "with %s%s: airca accepts ECDSA or RSA (PKCS#1 v1.5) with "
		    "SHA-256, SHA-384 or SHA-512", name,
		    md == NID_md5 || md == NID_sha1 || md == NID_md5_sha1 ?
		    " (a broken digest: such a signature proves nothing)" :
		    nid == NID_rsassaPss ? " (RSASSA-PSS is not accepted)" :
		    "");
	}
	/* RFC 5758 3.2: no parameters for ECDSA; RFC 4055 5: NULL for RSA */
	if ((ec && ptype != V_ASN1_UNDEF) ||
	    (rsa && ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF))
		return airca_errf(AIRCA_ERR_INPUT, "the request's signature "
		    "algorithm %s has parameters it must not have", name);
	if ((ec && c->key == CSR_KEY_RSA) || (rsa && c->key != CSR_KEY_RSA))
		return airca_errf(AIRCA_ERR_INPUT, "the request is self-signed "
		    "with %s, which its %s key cannot make", name,
		    c->key == CSR_KEY_RSA ? "RSA" : "EC");
	return 0;
}

static int
check_rsa_exponent(const EVP_PKEY *pub)
{
	BIGNUM *e = NULL;
	int r;

	if (!EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e)) {
		r = airca_errf(AIRCA_ERR_INPUT, "the RSA key's public exponent "
		    "cannot be read");
		goto out;
	}
	/* CA/Browser Forum BR 6.1.6: odd and at least 3. */
	if (!BN_is_odd(e) || (BN_num_bits(e) <= 2 && BN_get_word(e) < 3)) {
		r = airca_errf(AIRCA_ERR_INPUT, "the RSA key's public exponent "
		    "is even or less than 3: it is not a usable key");
		goto out;
	}
	r = 0;
 out:
	BN_free(e);
	return r;
}

/*
 * The request's key, into c->pub (owned, as c->pub_owned): EC P-256 and
 * P-384 on a named curve and RSA as legacy keys (*legacyp true), anything
 * else as OpenSSL's decoders give it, to be named or judged by
 * check_key().
 */
static int
decode_key(struct csr *c, bool *legacyp)
{
	if (der_pubkey(X509_REQ_get_X509_PUBKEY(c->req), &c->pub_owned,
	    legacyp) != 0)
		return airca_errf(AIRCA_ERR_INPUT, "the request's public key "
		    "cannot be decoded");
	c->pub = c->pub_owned;
	return 0;
}

/* Do the EC key's algorithm parameters name a curve (an OID), not spell it out? */
static bool
spki_named_curve(const X509_PUBKEY *spki)
{
	X509_ALGOR *palg;
	const void *pval;
	int ptype;

	if (spki == NULL || !X509_PUBKEY_get0_param(NULL, NULL, NULL, &palg,
	    spki))
		return false;
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	return ptype == V_ASN1_OBJECT;
}

/* The key: EC P-256 or P-384, RSA 2048..8192; anything else refused by name. */
static int
check_key(struct csr *c)
{
	char group[64];
	const char *type;
	size_t glen = 0;
	int nid, bits;

	switch (EVP_PKEY_get_base_id(c->pub)) {
	case EVP_PKEY_EC:
		/*
		 * The SubjectPublicKeyInfo must name its curve (RFC 5480
		 * 2.1.1): OpenSSL maps explicit parameters equal to P-256 to
		 * "prime256v1", and the certificate would carry them.
		 */
		if (!spki_named_curve(X509_REQ_get_X509_PUBKEY(c->req)) ||
		    !EVP_PKEY_get_group_name(c->pub, group, sizeof(group),
		    &glen))
			return airca_errf(AIRCA_ERR_INPUT, "the EC key has "
			    "explicit curve parameters, not a named curve: "
			    KEYS_ACCEPTED);
		if ((nid = OBJ_sn2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1) {
			c->key = CSR_KEY_EC_P256;
			c->key_bits = 256;
		} else if (nid == NID_secp384r1) {
			c->key = CSR_KEY_EC_P384;
			c->key_bits = 384;
		} else
			return airca_errf(AIRCA_ERR_INPUT, "the key is on EC "
			    "curve %s: " KEYS_ACCEPTED, group);
		return 0;
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(c->pub);
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
			return airca_errf(AIRCA_ERR_INPUT, "the key is RSA "
			    "%d bits: " KEYS_ACCEPTED, bits);
		c->key = CSR_KEY_RSA;
		c->key_bits = bits;
		return check_rsa_exponent(c->pub);
	}
	if ((type = EVP_PKEY_get0_type_name(c->pub)) == NULL &&
	    (type = OBJ_nid2sn(EVP_PKEY_get_base_id(c->pub))) == NULL)
		type = "of an unknown type";
	return airca_errf(AIRCA_ERR_INPUT, "the key is %s: " KEYS_ACCEPTED,
	    type);
}

/*
 * The self-signature over the request's bytes as they came: ECDSA on the
 * key itself where der_signed_verify() can (check_sig_alg() and
 * check_key() passed), else X509_REQ_verify().
 */
static int
check_signature(struct csr *c, const unsigned char *der, size_t len)
{
	int v;

	if ((v = der_signed_verify(der, len, c->pub)) == DER_VERIFY_OTHER)
		v = X509_REQ_verify(c->req, c->pub);
	if (v != 1)
		return airca_errf(AIRCA_ERR_INPUT, "the self-signature does not "
		    "verify: the request was altered, or not signed by its key");
	return 0;
}

/*
 * A SAN iPAddress or URI: kept for user profiles that take them.  One that
 * cannot be read (an address not 4 or 16 bytes, a URI that is not
 * printable ASCII of 1..255 bytes) or one too many is only noted: the
 * built-in profiles never copy them, and a profile that takes the type
 * refuses the request with the reason.
 */
static int
read_san_other(struct csr *c, const GENERAL_NAME *gen)
{
	const unsigned char *d;
	int len, k;

	if (gen->type == GEN_IPADD) {
		len = ASN1_STRING_length(gen->d.iPAddress);
		if ((len != 4 && len != 16) || c->nip == CSR_MAX_IP) {
			c->bad_ip = true;
			return 0;
		}
		memcpy(c->ip[c->nip].addr, ASN1_STRING_get0_data(
		    gen->d.iPAddress), (size_t)len);
		c->ip[c->nip++].len = (size_t)len;
		return 0;
	}
	d = ASN1_STRING_get0_data(gen->d.uniformResourceIdentifier);
	len = ASN1_STRING_length(gen->d.uniformResourceIdentifier);
	if (ASN1_STRING_type(gen->d.uniformResourceIdentifier) !=
	    V_ASN1_IA5STRING || len <= 0 || len > CSR_MAX_URI_LEN ||
	    c->nuri == CSR_MAX_URI) {
		c->bad_uri = true;
		return 0;
	}
	for (k = 0; k < len; k++)
		if (d[k] <= 0x20 || d[k] >= 0x7f) {
			c->bad_uri = true;
			return 0;
		}
	if (c->uri == NULL &&
	    (c->uri = calloc(CSR_MAX_URI, sizeof(*c->uri))) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "reading URIs");
	if ((c->uri[c->nuri] = strndup((const char *)d, (size_t)len)) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "reading URIs");
	c->nuri++;
	return 0;
}

/* SAN dNSName values (printable IA5, bounded); note anything else. */
static int
read_san(struct csr *c, X509_EXTENSION *ext)
{
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *gen;
	const unsigned char *d;
	unsigned char *re;
	int i, k, n, len, relen, r;

	if ((gens = X509V3_EXT_d2i(ext)) == NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "the subjectAltName extension "
		    "is malformed");
		goto out;
	}
	re = NULL;
	relen = i2d_GENERAL_NAMES(gens, &re);
	if ((r = check_inner_der("subjectAltName extension",
	    ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)),
	    ASN1_STRING_length(X509_EXTENSION_get_data(ext)), re, relen)) != 0)
		goto out;
	n = sk_GENERAL_NAME_num(gens);
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type == GEN_IPADD || gen->type == GEN_URI) {
			c->has_other_san = true;
			if ((r = read_san_other(c, gen)) != 0)
				goto out;
			continue;
		}
		if (gen->type != GEN_DNS) {
			c->has_other_san = true;
			continue;
		}
		if (ASN1_STRING_type(gen->d.dNSName) != V_ASN1_IA5STRING) {
			r = airca_errf(AIRCA_ERR_INPUT, "DNS name %zu in "
			    "subjectAltName is not an IA5String", c->ndns + 1);
			goto out;
		}
		d = ASN1_STRING_get0_data(gen->d.dNSName);
		len = ASN1_STRING_length(gen->d.dNSName);
		if (len <= 0) {
			r = airca_errf(AIRCA_ERR_INPUT, "DNS name %zu in "
			    "subjectAltName is empty", c->ndns + 1);
			goto out;
		}
		if (len > CSR_MAX_NAME) {
			r = airca_errf(AIRCA_ERR_INPUT, "DNS name %zu in "
			    "subjectAltName is %d bytes long: at most %d",
			    c->ndns + 1, len, CSR_MAX_NAME);
			goto out;
		}
		for (k = 0; k < len; k++) {
			if (d[k] > 0x20 && d[k] < 0x7f)
				continue;
			r = airca_errf(AIRCA_ERR_INPUT, "DNS name %zu in "
			    "subjectAltName holds %s at byte %d: only printable "
			    "ASCII is allowed", c->ndns + 1,
			    d[k] == 0 ? "a NUL" : d[k] == ' ' ? "a space" :
			    d[k] < 0x80 ? "a control character" :
			    "a non-ASCII byte", k + 1);
			goto out;
		}
		if (c->ndns == CSR_MAX_DNS) {
			r = airca_errf(AIRCA_ERR_INPUT, "the request has more "
			    "than %d DNS names in subjectAltName", CSR_MAX_DNS);
			goto out;
		}
		if (c->dns == NULL &&
		    (c->dns = calloc(CSR_MAX_DNS, sizeof(*c->dns))) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "reading DNS names");
			goto out;
		}
		if ((c->dns[c->ndns] = strndup((const char *)d,
		    (size_t)len)) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "reading DNS names");
			goto out;
		}
		c->ndns++;
	}
	r = 0;
 out:
	GENERAL_NAMES_free(gens);
	return r;
}

static int
read_basic_constraints(struct csr *c, X509_EXTENSION *ext)
{
	BASIC_CONSTRAINTS *bc;
	unsigned char *re = NULL;
	int relen, r;

	if ((bc = X509V3_EXT_d2i(ext)) == NULL)
		return airca_errf(AIRCA_ERR_INPUT, "the basicConstraints "
		    "extension is malformed");
	if (bc->ca)
		c->asks_ca = true;
	relen = i2d_BASIC_CONSTRAINTS(bc, &re);
	r = check_inner_der("basicConstraints extension",
	    ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)),
	    ASN1_STRING_length(X509_EXTENSION_get_data(ext)), re, relen);
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

/* Index of the only extension request attribute, -1 if none. */
static int
ext_req_attr(const X509_REQ *req, int *idxp)
{
	static const int nids[] = { NID_ext_req, NID_ms_ext_req };
	int found = 0, idx = -1, i, k;

	for (k = 0; k < 2; k++) {
		for (i = -1; (i = X509_REQ_get_attr_by_NID(req, nids[k], i))
		    >= 0; ) {
			idx = i;
			found++;
		}
	}
	if (found > 1)
		return airca_errf(AIRCA_ERR_INPUT, "the request has %d "
		    "extension request attributes: at most one is allowed",
		    found);
	*idxp = idx;
	return 0;
}

static int
read_extensions(struct csr *c)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext;
	ASN1_TYPE *val;
	unsigned char *re;
	char oid[80];
	int idx = -1, i, j, n, relen, r;

	if ((r = ext_req_attr(c->req, &idx)) != 0)
		goto out;
	if (idx < 0) {
		r = 0;
		goto out;
	}
	if ((n = X509_ATTRIBUTE_count(X509_REQ_get_attr(c->req, idx))) != 1) {
		r = airca_errf(AIRCA_ERR_INPUT, "the extension request holds "
		    "%d values: it must hold one", n);
		goto out;
	}
	if ((exts = X509_REQ_get_extensions(c->req)) == NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "the extension request is "
		    "malformed");
		goto out;
	}
	/* OpenSSL keeps the attribute's value as the bytes that came */
	val = X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(c->req, idx), 0);
	if (val == NULL || val->type != V_ASN1_SEQUENCE) {
		r = airca_errf(AIRCA_ERR_INPUT, "the extension request is "
		    "not a SEQUENCE");
		goto out;
	}
	if ((r = check_no_default_critical(ASN1_STRING_get0_data(
	    val->value.sequence), (size_t)ASN1_STRING_length(
	    val->value.sequence))) != 0)
		goto out;
	re = NULL;
	relen = i2d_X509_EXTENSIONS(exts, &re);
	if ((r = check_inner_der("extension request",
	    ASN1_STRING_get0_data(val->value.sequence),
	    ASN1_STRING_length(val->value.sequence), re, relen)) != 0)
		goto out;
	if ((n = sk_X509_EXTENSION_num(exts)) > CSR_MAX_EXTS) {
		r = airca_errf(AIRCA_ERR_INPUT, "the request asks for %d "
		    "extensions: at most %d", n, CSR_MAX_EXTS);
		goto out;
	}
	c->nexts = n;
	for (i = 0; i < n; i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		for (j = 0; j < i; j++) {
			if (OBJ_cmp(X509_EXTENSION_get_object(ext),
			    X509_EXTENSION_get_object(
			    sk_X509_EXTENSION_value(exts, j))) != 0)
				continue;
			OBJ_obj2txt(oid, sizeof(oid),
			    X509_EXTENSION_get_object(ext), 0);
			r = airca_errf(AIRCA_ERR_INPUT, "the request asks for "
			    "extension %s twice", oid);
			goto out;
		}
		switch (OBJ_obj2nid(X509_EXTENSION_get_object(ext))) {
		case NID_subject_alt_name:
			if ((r = read_san(c, ext)) != 0)
				goto out;
			break;
		case NID_basic_constraints:
			if ((r = read_basic_constraints(c, ext)) != 0)
				goto out;
			break;
		}
	}
	r = 0;
 out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

/*
 * Hold the checked key as a legacy EVP_PKEY (EC_KEY or RSA inside): OpenSSL
 * 3.0 encodes a provider key through its encoder machinery, which makes
 * X509_set_pubkey() and i2d_PUBKEY() some fifty times slower than the
 * legacy method (measured: 350 us against 7 us), and batch signing does
 * both once per certificate.  The encoding is the same.
 */
static int
own_legacy_key(struct csr *c)
{
	EVP_PKEY *leg = NULL;
	EC_KEY *ec = NULL;
	RSA *rsa = NULL;
	int ok = 0;

	if ((leg = EVP_PKEY_new()) == NULL)
		goto out;
	switch (EVP_PKEY_get_base_id(c->pub)) {
	case EVP_PKEY_EC:
		ok = (ec = EVP_PKEY_get1_EC_KEY(c->pub)) != NULL &&
		    EVP_PKEY_assign_EC_KEY(leg, ec) == 1;
		if (ok)
			ec = NULL;
		break;
	case EVP_PKEY_RSA:
		ok = (rsa = EVP_PKEY_get1_RSA(c->pub)) != NULL &&
		    EVP_PKEY_assign_RSA(leg, rsa) == 1;
		if (ok)
			rsa = NULL;
		break;
	}
 out:
	EC_KEY_free(ec);
	RSA_free(rsa);
	if (!ok) {
		EVP_PKEY_free(leg);
		return airca_errssl(AIRCA_ERR_INPUT, "the request's public key "
		    "cannot be read");
	}
	EVP_PKEY_free(c->pub_owned);
	c->pub_owned = leg;
	c->pub = leg;
	return 0;
}

static int
hash_spki(struct csr *c)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_PUBKEY(c->pub, &der)) <= 0)
		return airca_errf(AIRCA_ERR_INPUT, "the request's public key "
		    "cannot be encoded");
	sha256(der, (size_t)n, c->spki_sha256);
	OPENSSL_free(der);
	return 0;
}

int
csr_parse(const unsigned char *data, size_t len, struct csr **csrp)
{
	struct csr *c = NULL;
	X509_REQ *req = NULL;
	unsigned char *pemder = NULL;
	const unsigned char *der = NULL;
	size_t i = 0, derlen = 0;
	long version;
	bool legacy;
	int r;

	ERR_set_mark();
	if (data == NULL || len == 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "the file is empty: it holds "
		    "no certificate request");
		goto out;
	}
	if (len > CSR_MAX_BYTES) {
		r = airca_errf(AIRCA_ERR_INPUT, "%zu bytes is too large for a "
		    "certificate request", len);
		goto out;
	}
	if (data[0] == 0x30 && !looks_text(data, len)) {
		if ((r = parse_der(data, len, &req)) == 0) {
			der = data;
			derlen = len;
		}
	} else {
		while (i < len && is_space(data[i]))
			i++;
		if (i == len)
			r = airca_errf(AIRCA_ERR_INPUT, "the file holds only "
			    "whitespace: no certificate request");
		else if (len - i >= strlen(PEM_BEGIN) &&
		    memcmp(data + i, PEM_BEGIN, strlen(PEM_BEGIN)) == 0)
			r = parse_pem(data + i, len - i, &req, &pemder, &derlen);
		else if (memmem(data, len, PEM_BEGIN, strlen(PEM_BEGIN)) != NULL)
			r = airca_errf(AIRCA_ERR_INPUT, "the file holds other "
			    "text before the PEM block: it must hold only the "
			    "request");
		else
			r = airca_errf(AIRCA_ERR_INPUT, "this is not a "
			    "certificate request: neither PEM nor DER");
	}
	if (r != 0)
		goto out;
	if (pemder != NULL)
		der = pemder;
	if ((r = check_der_shape(der, derlen)) != 0)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "reading the request");
		goto out;
	}
	c->req = req;
	req = NULL;
	if ((version = X509_REQ_get_version(c->req)) != X509_REQ_VERSION_1) {
		r = airca_errf(AIRCA_ERR_INPUT, "the request has version %ld: "
		    "only version 1 (0) exists", version);
		goto out;
	}
	if ((r = decode_key(c, &legacy)) != 0 ||
	    (r = check_key(c)) != 0 ||
	    (r = check_sig_alg(c)) != 0 ||
	    (r = check_signature(c, der, derlen)) != 0 ||
	    (r = check_der_reencode(c, der, derlen)) != 0 ||
	    (r = read_extensions(c)) != 0 ||
	    (!legacy && (r = own_legacy_key(c)) != 0) ||
	    (r = hash_spki(c)) != 0)
		goto out;
	sha256(data, len, c->file_sha256);
	*csrp = c;
	c = NULL;
	r = 0;
 out:
	X509_REQ_free(req);
	OPENSSL_free(pemder);
	csr_free(c);
	ERR_pop_to_mark();
	return r;
}

void
csr_free(struct csr *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ndns; i++)
		free(c->dns[i]);
	free(c->dns);
	for (i = 0; i < c->nuri; i++)
		free(c->uri[i]);
	free(c->uri);
	EVP_PKEY_free(c->pub_owned);
	X509_REQ_free(c->req);
	free(c);
}

const char *
csr_key_name(const struct csr *c, char *buf, size_t len)
{
	if (len == 0)
		return "";
	if (c == NULL)
		snprintf(buf, len, "no key");
	else if (c->key == CSR_KEY_EC_P256)
		snprintf(buf, len, "EC P-256");
	else if (c->key == CSR_KEY_EC_P384)
		snprintf(buf, len, "EC P-384");
	else
		snprintf(buf, len, "RSA %d", c->key_bits);
	return buf;
}
