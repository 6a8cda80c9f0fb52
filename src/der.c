/*
 * der.c: certificates and requests from DER with the public key left
 * undecoded; EC and RSA keys by their legacy methods; ECDSA signatures of
 * signed DER checked on the key itself.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "der.h"
#include "error.h"

/*
 * A library context holding only the null provider: X509_PUBKEY, decoded
 * in it, finds no key manager and so no decoder, and keeps only the
 * algorithm and the key bits.  Made once, shared by every thread, never
 * freed (reachable until exit).
 */
static OSSL_LIB_CTX *keyless;
static pthread_once_t keyless_once = PTHREAD_ONCE_INIT;

static void
keyless_init(void)
{
	OSSL_LIB_CTX *ctx;

	if ((ctx = OSSL_LIB_CTX_new()) == NULL)
		goto fail;
	if (OSSL_PROVIDER_load(ctx, "null") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		goto fail;
	}
	keyless = ctx;
	return;
 fail:
	ERR_clear_error();	/* der_x509() then parses as d2i_X509() does */
}

/*
 * P-256 and P-384, built once: d2i_EC_PUBKEY() builds the curve's group
 * for every key (its Montgomery contexts and all), a third of the cost of
 * decoding it.  EC_KEY_set_group() copies them; they are never changed.
 */
static EC_GROUP *curve_p256, *curve_p384;
static pthread_once_t curves_once = PTHREAD_ONCE_INIT;

static void
curves_init(void)
{
	curve_p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	curve_p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
	ERR_clear_error();	/* a NULL curve: d2i_EC_PUBKEY() builds its own */
}

static OSSL_LIB_CTX *
keyless_ctx(void)
{
	pthread_once(&keyless_once, keyless_init);
	return keyless;
}

X509 *
der_x509(const unsigned char **pp, long len)
{
	OSSL_LIB_CTX *ctx = keyless_ctx();

	if (ctx == NULL)
		return d2i_X509(NULL, pp, len);
	return (X509 *)ASN1_item_d2i_ex(NULL, pp, len, ASN1_ITEM_rptr(X509),
	    ctx, NULL);
}

X509_REQ *
der_x509_req(const unsigned char **pp, long len)
{
	OSSL_LIB_CTX *ctx = keyless_ctx();

	if (ctx == NULL)
		return d2i_X509_REQ(NULL, pp, len);
	return (X509_REQ *)ASN1_item_d2i_ex(NULL, pp, len,
	    ASN1_ITEM_rptr(X509_REQ), ctx, NULL);
}

/* EC on P-256 or P-384 by name (no explicit parameters; *curvep), or rsaEncryption. */
static int
spki_kind(const X509_PUBKEY *spki, int *curvep)
{
	ASN1_OBJECT *alg;
	X509_ALGOR *palg;
	const void *pval;
	int ptype, curve;

	if (!X509_PUBKEY_get0_param(&alg, NULL, NULL, &palg, spki))
		return NID_undef;
	switch (OBJ_obj2nid(alg)) {
	case NID_X9_62_id_ecPublicKey:
		X509_ALGOR_get0(NULL, &ptype, &pval, palg);
		if (ptype != V_ASN1_OBJECT)
			return NID_undef;
		curve = OBJ_obj2nid(pval);
		if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1)
			return NID_undef;
		*curvep = curve;
		return EVP_PKEY_EC;
	case NID_rsaEncryption:
		return EVP_PKEY_RSA;
	}
	return NID_undef;
}

int
der_pubkey(const X509_PUBKEY *spki, EVP_PKEY **pkeyp, bool *legacyp)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	const unsigned char *pk;
	EVP_PKEY *pkey = NULL;
	const EC_GROUP *group;
	EC_KEY *ec = NULL;
	RSA *rsa = NULL;
	int kind, curve = NID_undef, pklen, len, r = AIRCA_ERR_INTERNAL;

	pthread_once(&curves_once, curves_init);
	if ((len = i2d_X509_PUBKEY(spki, &der)) <= 0)
		goto bad;
	p = der;
	/* legacy methods: EC_KEY_oct2key() (as o2i_ECPublicKey), d2i_RSA_PUBKEY() */
	switch ((kind = spki_kind(spki, &curve))) {
	case EVP_PKEY_EC:
		group = curve == NID_secp384r1 ? curve_p384 : curve_p256;
		if ((pkey = EVP_PKEY_new()) == NULL)
			goto bad;
		if (group == NULL)
			ec = d2i_EC_PUBKEY(NULL, &p, len);
		else if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL,
		    spki) || (ec = EC_KEY_new()) == NULL ||
		    EC_KEY_set_group(ec, group) != 1 ||
		    EC_KEY_oct2key(ec, pk, (size_t)pklen, NULL) != 1)
			goto bad;
		else
			p = der + len;
		if (ec == NULL || p != der + len ||
		    EVP_PKEY_assign_EC_KEY(pkey, ec) != 1)
			goto bad;
		ec = NULL;
		break;
	case EVP_PKEY_RSA:
		if ((pkey = EVP_PKEY_new()) == NULL ||
		    (rsa = d2i_RSA_PUBKEY(NULL, &p, len)) == NULL ||
		    p != der + len || EVP_PKEY_assign_RSA(pkey, rsa) != 1)
			goto bad;
		rsa = NULL;
		break;
	default:
		if ((pkey = d2i_PUBKEY(NULL, &p, len)) == NULL ||
		    p != der + len)
			goto bad;
		break;
	}
	*pkeyp = pkey;
	pkey = NULL;
	*legacyp = kind != NID_undef;
	r = 0;
	goto out;
 bad:
	ERR_clear_error();
	r = airca_errf(AIRCA_ERR_INPUT, "the public key does not decode");
 out:
	EC_KEY_free(ec);
	RSA_free(rsa);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	return r;
}

/* ---- ECDSA signatures over signed DER, without EVP's per-call setup ---- */

/*
 * One DER header at p (len bytes left): the tag, the header's length and
 * the body's; false unless definite, at most four length bytes, and the
 * body inside len.  The inputs here are DER already judged (a request's
 * der_walk) or made here (a certificate), so no more is asked.
 */
static bool
tlv(const unsigned char *p, size_t len, unsigned char *tagp, size_t *hlp,
    size_t *bodyp)
{
	size_t n, k, body;

	if (len < 2 || p[1] == 0x80)
		return false;
	if (p[1] < 0x80) {
		*hlp = 2;
		body = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n > 4 || len < 2 + n)
			return false;
		for (body = 0, k = 0; k < n; k++)
			body = body << 8 | p[2 + k];
		*hlp = 2 + n;
	}
	if (body > len - *hlp)
		return false;
	*tagp = p[0];
	*bodyp = body;
	return true;
}

/* AlgorithmIdentifier DER of ecdsa-with-SHA256/384/512, parameters absent (RFC 5758 3.2) */
static const unsigned char ecdsa_alg[3][12] = {
	{ 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 },
	{ 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 },
	{ 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 },
};
static EVP_MD *ecdsa_md[3];
static pthread_once_t ecdsa_md_once = PTHREAD_ONCE_INIT;

static void
ecdsa_md_init(void)
{
	static const char *const names[3] = { "SHA256", "SHA384", "SHA512" };
	int i;

	for (i = 0; i < 3; i++)
		ecdsa_md[i] = EVP_MD_fetch(NULL, names[i], NULL);
	ERR_clear_error();	/* a NULL digest: the generic path */
}

bool
der_signed_parts(const unsigned char *der, size_t len, struct der_signed *ds)
{
	unsigned char tag;
	size_t hl, body, off;

	/* SEQUENCE { SEQUENCE data, AlgorithmIdentifier, BIT STRING } and nothing after */
	if (!tlv(der, len, &tag, &hl, &body) || tag != 0x30 ||
	    hl + body != len)
		return false;
	off = hl;
	if (!tlv(der + off, len - off, &tag, &hl, &body) || tag != 0x30)
		return false;
	ds->tbs = der + off;
	ds->tbslen = hl + body;
	off += ds->tbslen;
	if (!tlv(der + off, len - off, &tag, &hl, &body) || tag != 0x30)
		return false;
	ds->alg = der + off;
	ds->alglen = hl + body;
	off += ds->alglen;
	if (!tlv(der + off, len - off, &tag, &hl, &body) || tag != 0x03 ||
	    off + hl + body != len || body < 1)
		return false;
	ds->bits = der + off + hl;
	ds->bitslen = body;
	return true;
}

int
der_signed_verify(const unsigned char *der, size_t len, const EVP_PKEY *pub)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	struct der_signed ds;
	unsigned int mdlen;
	const EC_KEY *ec;
	int k, ok;

	if (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC ||
	    (ec = EVP_PKEY_get0_EC_KEY(pub)) == NULL) {
		ERR_clear_error();
		return DER_VERIFY_OTHER;
	}
	/* unused bits in the signature: OpenSSL says why */
	if (!der_signed_parts(der, len, &ds) || ds.bitslen < 2 ||
	    ds.bits[0] != 0)
		return DER_VERIFY_OTHER;
	for (k = 0; k < 3; k++)
		if (ds.alglen == sizeof(ecdsa_alg[k]) &&
		    memcmp(ds.alg, ecdsa_alg[k], ds.alglen) == 0)
			break;
	pthread_once(&ecdsa_md_once, ecdsa_md_init);
	if (k == 3 || ecdsa_md[k] == NULL || ds.bitslen - 1 > INT_MAX)
		return DER_VERIFY_OTHER;
	if (EVP_Digest(ds.tbs, ds.tbslen, md, &mdlen, ecdsa_md[k], NULL) != 1) {
		ERR_clear_error();
		return DER_VERIFY_OTHER;
	}
	/* as the provider's ECDSA does: the signature must be DER, nothing after it */
	ok = ECDSA_verify(0, md, (int)mdlen, ds.bits + 1, (int)(ds.bitslen - 1),
	    (EC_KEY *)ec) == 1;
	if (!ok)
		ERR_clear_error();
	return ok ? 1 : 0;
}
