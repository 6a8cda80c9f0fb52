/*
 * token-keys.c: the token's key objects: finding objects and reading their
 * attributes back, the rules a CA private key meets, public keys of key
 * objects as OpenSSL keys, key generation with an explicit template (raw
 * PKCS#11, read back after creation), signing keys through libp11, and the
 * list of key objects (token_keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "token.h"
#include "token-int.h"
#include "util.h"

#define OBJECTS_MAX	4096		/* objects token_keys looks at */
#define ATTR_MAX	(64 * 1024)	/* largest attribute value we read */
#define ID_TRIES	8

/* DER of the named curve OIDs (CKA_EC_PARAMS). */
static const unsigned char oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

/* Every object matching tmpl, up to max handles. */
int
find_objects(struct token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE *out, size_t max, size_t *nfound)
{
	CK_ULONG got;
	CK_RV rv;
	size_t total = 0;

	if ((rv = tok->raw.f->C_FindObjectsInit(tok->sess, tmpl, n)) !=
	    CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': "
		    "C_FindObjectsInit failed: %s", tok->info.label,
		    ckr_say(rv));
	while (total < max) {
		if ((rv = tok->raw.f->C_FindObjects(tok->sess, out + total,
		    max - total, &got)) != CKR_OK) {
			tok->raw.f->C_FindObjectsFinal(tok->sess);
			return airca_errf(AIRCA_ERR_TOKEN, "token '%s': "
			    "C_FindObjects failed: %s", tok->info.label,
			    ckr_say(rv));
		}
		if (got == 0)
			break;
		total += got;
	}
	tok->raw.f->C_FindObjectsFinal(tok->sess);
	*nfound = total;
	return 0;
}

/* The one object of class with label; NOTFOUND or several is an error. */
int
find_labelled(struct token *tok, CK_OBJECT_CLASS cls, const char *label,
    CK_OBJECT_HANDLE *objp)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE objs[2];
	size_t n;
	int r;
	const char *what = cls == CKO_PRIVATE_KEY ? "private key" :
	    cls == CKO_PUBLIC_KEY ? "public key" : "certificate";

	if ((r = find_objects(tok, tmpl, 2, objs, 2, &n)) != 0)
		return r;
	if (n == 0)
		return airca_errf(AIRCA_ERR_NOTFOUND, "no %s labelled '%s' on "
		    "token '%s'%s", what, label, tok->info.label,
		    cls == CKO_PRIVATE_KEY && !token_logged_in(tok) ?
		    " (private keys show only after login)" : "");
	if (n > 1)
		return airca_errf(AIRCA_ERR_TOKEN, "several %ss labelled '%s' "
		    "on token '%s': rename or remove one with the HSM's tool",
		    what, label, tok->info.label);
	*objp = objs[0];
	return 0;
}

/* A variable-length attribute; *valp malloc'd (NUL-terminated extra byte). */
int
get_attr(struct token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    unsigned char **valp, size_t *lenp)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	unsigned char *val = NULL;
	CK_RV rv;
	int r = AIRCA_ERR_INTERNAL;

	if ((rv = tok->raw.f->C_GetAttributeValue(tok->sess, obj, &a, 1)) !=
	    CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		r = rv == CKR_ATTRIBUTE_TYPE_INVALID ||
		    rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_OK ?
		    AIRCA_ERR_NOTFOUND : airca_errf(AIRCA_ERR_TOKEN,
		    "token '%s': C_GetAttributeValue failed: %s",
		    tok->info.label, ckr_say(rv));
		goto out;
	}
	if (a.ulValueLen > ATTR_MAX) {
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': attribute 0x%lx "
		    "too large (%lu bytes)", tok->info.label,
		    (unsigned long)type, (unsigned long)a.ulValueLen);
		goto out;
	}
	if ((val = calloc(1, a.ulValueLen + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	a.pValue = val;
	if ((rv = tok->raw.f->C_GetAttributeValue(tok->sess, obj, &a, 1)) !=
	    CKR_OK) {
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': "
		    "C_GetAttributeValue failed: %s", tok->info.label,
		    ckr_say(rv));
		goto out;
	}
	*valp = val;
	*lenp = a.ulValueLen;
	val = NULL;
	r = 0;
 out:
	free(val);
	return r;
}

/* A CK_BBOOL attribute; absent reads as false. */
int
get_bool(struct token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    bool *bp)
{
	CK_BBOOL b = CK_FALSE;
	CK_ATTRIBUTE a = { type, &b, sizeof(b) };
	CK_RV rv;

	rv = tok->raw.f->C_GetAttributeValue(tok->sess, obj, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) {
		*bp = false;
		return 0;
	}
	if (rv != CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': "
		    "C_GetAttributeValue(0x%lx) failed: %s", tok->info.label,
		    (unsigned long)type, ckr_say(rv));
	*bp = b == CK_TRUE;
	return 0;
}

int
read_attrs(struct token *tok, CK_OBJECT_HANDLE obj, struct key_attrs *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = get_bool(tok, obj, CKA_TOKEN, &a->token)) != 0 ||
	    (r = get_bool(tok, obj, CKA_PRIVATE, &a->private_)) != 0 ||
	    (r = get_bool(tok, obj, CKA_SENSITIVE, &a->sensitive)) != 0 ||
	    (r = get_bool(tok, obj, CKA_EXTRACTABLE, &a->extractable)) != 0 ||
	    (r = get_bool(tok, obj, CKA_LOCAL, &a->local)) != 0 ||
	    (r = get_bool(tok, obj, CKA_ALWAYS_SENSITIVE,
	    &a->always_sensitive)) != 0 ||
	    (r = get_bool(tok, obj, CKA_NEVER_EXTRACTABLE,
	    &a->never_extractable)) != 0 ||
	    (r = get_bool(tok, obj, CKA_SIGN, &a->sign)) != 0 ||
	    (r = get_bool(tok, obj, CKA_DECRYPT, &a->decrypt)) != 0 ||
	    (r = get_bool(tok, obj, CKA_UNWRAP, &a->unwrap)) != 0 ||
	    (r = get_bool(tok, obj, CKA_DERIVE, &a->derive)) != 0 ||
	    (r = get_bool(tok, obj, CKA_WRAP_WITH_TRUSTED,
	    &a->wrap_with_trusted)) != 0)
		return r;
	return 0;
}

/*
 * The rules every CA private key meets, in one list for both key policies
 * (token-int.h); why lists what fails.
 */
bool
key_attrs_ok(const struct key_attrs *a, bool custody, bool fresh, char *why,
    size_t size)
{
	size_t n;

	why[0] = '\0';
#define RULE(cond, text) do { \
	if (!(cond)) { \
		n = strlen(why); \
		snprintf(why + n, size - n, "%s%s", n ? ", " : "", text); \
	} \
} while (0)
	RULE(a->token, "not TOKEN");
	RULE(a->private_, "not PRIVATE");
	RULE(a->sensitive, "not SENSITIVE");
	if (!custody) {
		RULE(!a->extractable, "EXTRACTABLE");
		RULE(a->always_sensitive, "not ALWAYS_SENSITIVE");
		RULE(a->never_extractable, "not NEVER_EXTRACTABLE");
		RULE(a->local, "not LOCAL (generated elsewhere)");
	} else
		RULE(!a->extractable || a->wrap_with_trusted,
		    "EXTRACTABLE without WRAP_WITH_TRUSTED");
	RULE(a->sign, "cannot SIGN");
	RULE(!a->decrypt, "can DECRYPT");
	RULE(!a->unwrap, "can UNWRAP");
	RULE(!a->derive, "can DERIVE");
	if (custody && fresh) {
		RULE(a->extractable, "not EXTRACTABLE (a K-of-N home backs "
		    "its keys up)");
		RULE(a->wrap_with_trusted, "not WRAP_WITH_TRUSTED");
		RULE(a->always_sensitive, "not ALWAYS_SENSITIVE");
		RULE(a->local, "not LOCAL (generated elsewhere)");
	}
#undef RULE
	return why[0] == '\0';
}

/* The key type of an OpenSSL public key, KEY_NTYPES if none of ours. */
enum key_type
pkey_type(EVP_PKEY *pk)
{
	char group[64];
	size_t glen;

	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)
		    != 1)
			return KEY_NTYPES;
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "P-256") == 0)
			return KEY_EC_P256;
		if (strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "P-384") == 0)
			return KEY_EC_P384;
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) == 3072)
			return KEY_RSA_3072;
		if (EVP_PKEY_get_bits(pk) == 4096)
			return KEY_RSA_4096;
	}
	return KEY_NTYPES;
}

void
spki_sha256(EVP_PKEY *pk, char out[SHA256_HEX_LEN + 1])
{
	unsigned char *der = NULL;
	int len;

	out[0] = '\0';
	if ((len = i2d_PUBKEY(pk, &der)) > 0)
		sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
}

/* EC public key from CKA_EC_PARAMS and CKA_EC_POINT of a public key object. */
static int
ec_pubkey(struct token *tok, CK_OBJECT_HANDLE obj, EVP_PKEY **pkp)
{
	unsigned char *params = NULL, *point = NULL;
	const unsigned char *q;
	ASN1_OCTET_STRING *os = NULL;
	const unsigned char *pt;
	size_t plen = 0, qlen = 0, ptlen, fs;
	const char *group;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params_ossl = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if ((r = get_attr(tok, obj, CKA_EC_PARAMS, &params, &plen)) != 0 ||
	    (r = get_attr(tok, obj, CKA_EC_POINT, &point, &qlen)) != 0) {
		if (r == AIRCA_ERR_NOTFOUND)
			r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s': EC "
			    "public key without CKA_EC_PARAMS or CKA_EC_POINT",
			    tok->info.label);
		goto out;
	}
	if (plen == sizeof(oid_p256) && memcmp(params, oid_p256, plen) == 0) {
		group = "prime256v1";
		fs = 32;
	} else if (plen == sizeof(oid_p384) &&
	    memcmp(params, oid_p384, plen) == 0) {
		group = "secp384r1";
		fs = 48;
	} else {
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s': EC key on a "
		    "curve airca does not use (P-256 and P-384 only)",
		    tok->info.label);
		goto out;
	}
	/* a DER OCTET STRING around the point; some tokens give it bare */
	if (qlen == 2 * fs + 1 && point[0] == 0x04) {
		pt = point;
		ptlen = qlen;
	} else {
		q = point;
		if ((os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)qlen)) ==
		    NULL || q != point + qlen) {
			r = airca_errssl(AIRCA_ERR_KEYATTR, "token '%s': "
			    "CKA_EC_POINT is not a DER OCTET STRING",
			    tok->info.label);
			goto out;
		}
		pt = ASN1_STRING_get0_data(os);
		ptlen = (size_t)ASN1_STRING_length(os);
	}
	if (ptlen != 2 * fs + 1 || pt[0] != 0x04) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s': CKA_EC_POINT "
		    "is not an uncompressed point on %s", tok->info.label,
		    group);
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, ptlen) ||
	    (params_ossl = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params_ossl) !=
	    1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "token '%s': cannot build "
		    "the EC public key", tok->info.label);
		goto out;
	}
	*pkp = pk;
	pk = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params_ossl);
	OSSL_PARAM_BLD_free(bld);
	ASN1_OCTET_STRING_free(os);
	free(params);
	free(point);
	return r;
}

static int
rsa_pubkey(struct token *tok, CK_OBJECT_HANDLE obj, EVP_PKEY **pkp)
{
	unsigned char *mod = NULL, *exp = NULL;
	size_t mlen = 0, elen = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if ((r = get_attr(tok, obj, CKA_MODULUS, &mod, &mlen)) != 0 ||
	    (r = get_attr(tok, obj, CKA_PUBLIC_EXPONENT, &exp, &elen)) != 0) {
		if (r == AIRCA_ERR_NOTFOUND)
			r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s': RSA "
			    "public key without modulus or exponent",
			    tok->info.label);
		goto out;
	}
	if ((n = BN_bin2bn(mod, (int)mlen, NULL)) == NULL ||
	    (e = BN_bin2bn(exp, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "token '%s': cannot build "
		    "the RSA public key", tok->info.label);
		goto out;
	}
	*pkp = pk;
	pk = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(mod);
	free(exp);
	return r;
}

/* The OpenSSL key of a public key object. */
int
object_pubkey(struct token *tok, CK_OBJECT_HANDLE obj, EVP_PKEY **pkp)
{
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_RV rv;

	if ((rv = tok->raw.f->C_GetAttributeValue(tok->sess, obj, &a, 1)) !=
	    CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot read "
		    "the key type: %s", tok->info.label, ckr_say(rv));
	if (kt == CKK_EC)
		return ec_pubkey(tok, obj, pkp);
	if (kt == CKK_RSA)
		return rsa_pubkey(tok, obj, pkp);
	return airca_errf(AIRCA_ERR_KEYATTR, "token '%s': key type 0x%lx is "
	    "neither EC nor RSA", tok->info.label, (unsigned long)kt);
}

int
token_label_exists(struct token *tok, const char *label, bool *existsp)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE obj;
	size_t n;
	int r;

	if (tok->prof.login_before_search && !token_logged_in(tok))
		return airca_errf(AIRCA_ERR_LOGIN, "token '%s' shows its "
		    "objects only after login (HSM profile quirk "
		    "login_before_search): log in first", tok->info.label);
	if ((r = find_objects(tok, tmpl, 1, &obj, 1, &n)) != 0)
		return r;
	*existsp = n > 0;
	return 0;
}

/* Is an object with this CKA_ID on the token already? */
static int
id_exists(struct token *tok, const unsigned char *id, size_t len, bool *existsp)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (void *)id, len },
	};
	CK_OBJECT_HANDLE obj;
	size_t n;
	int r;

	if ((r = find_objects(tok, tmpl, 1, &obj, 1, &n)) != 0)
		return r;
	*existsp = n > 0;
	return 0;
}

static bool
id_nonzero(const unsigned char *id, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (id[i] != 0)
			return true;
	return false;
}

int
check_label(struct token *tok, const char *label)
{
	size_t len = label != NULL ? strlen(label) : 0;

	if (len == 0 || len > tok->prof.label_max || len >= 65 ||
	    !text_printable(label, len))
		return airca_errf(AIRCA_ERR_USAGE, "key label '%.64s' must be "
		    "1..%zu printable bytes (HSM profile label_max)",
		    label != NULL ? label : "", tok->prof.label_max);
	return 0;
}

int
token_generate(struct token *tok, enum key_type type, const char *label,
    EVP_PKEY **pubp, struct token_key_info *info)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0;
	CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	unsigned char id[TOKEN_ID_MAX];
	size_t idlen = tok->prof.id_len, lablen, npub;
	CK_ATTRIBUTE pub[8], priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, tok->custody ? &yes : &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, 0 },
		{ CKA_ID, id, idlen },
		/* last: passed only under custody (token_set_custody) */
		{ CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes) },
	};
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	struct key_attrs a;
	struct token_key_info ki;
	EVP_PKEY *pk = NULL;
	char why[256];
	bool exists, pubtok = false;
	CK_RV rv;
	int r = AIRCA_ERR_INTERNAL, tries;

	memset(&ki, 0, sizeof(ki));
	if ((unsigned)type >= KEY_NTYPES) {
		r = airca_errf(AIRCA_ERR_USAGE, "unknown key type %d", type);
		goto out;
	}
	if (!(tok->prof.key_types & (1u << type))) {
		r = airca_errf(AIRCA_ERR_POLICY, "HSM profile %s does not list "
		    "%s under [keys] generate", tok->prof.path,
		    key_type_name(type));
		goto out;
	}
	if ((r = check_label(tok, label)) != 0)
		goto out;
	lablen = strlen(label);
	priv[8].ulValueLen = lablen;
	if (idlen == 0 || idlen > TOKEN_ID_MAX) {
		r = airca_errf(AIRCA_ERR_INPUT, "HSM profile %s: id_len %zu out "
		    "of range", tok->prof.path, idlen);
		goto out;
	}
	if (!token_logged_in(tok)) {
		r = airca_errf(AIRCA_ERR_LOGIN, "token '%s': log in before "
		    "generating keys", tok->info.label);
		goto out;
	}
	if ((r = token_label_exists(tok, label, &exists)) != 0)
		goto out;
	if (exists) {
		r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' already holds an "
		    "object labelled '%s': choose another label",
		    tok->info.label, label);
		goto out;
	}
	for (tries = 0; ; tries++) {
		if (tries == ID_TRIES) {
			r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': no unused "
			    "%zu-byte CKA_ID after %d tries", tok->info.label,
			    idlen, ID_TRIES);
			goto out;
		}
		if ((r = token_random(tok, id, idlen)) != 0 ||
		    (r = id_exists(tok, id, idlen, &exists)) != 0)
			goto out;
		/* an all-zero ID means "pick one" to some HSMs (YubiHSM 2) */
		if (!exists && id_nonzero(id, idlen))
			break;
	}

	npub = 0;
	pub[npub++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &no, sizeof(no) };
	/*
	 * No CKA_VERIFY: airca verifies on the host, and tpm2-pkcs11 sets a
	 * public key's CKA_VERIFY from the TPM key's decrypt bit, so asking
	 * for it with CKA_DECRYPT false fails the generation (CKR_GENERAL_ERROR).
	 */
	pub[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, lablen };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ID, id, idlen };
	switch (type) {
	case KEY_EC_P256:
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS,
		    (void *)oid_p256, sizeof(oid_p256) };
		break;
	case KEY_EC_P384:
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS,
		    (void *)oid_p384, sizeof(oid_p384) };
		break;
	case KEY_RSA_3072:
	case KEY_RSA_4096:
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		bits = type == KEY_RSA_3072 ? 3072 : 4096;
		pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits,
		    sizeof(bits) };
		pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e65537,
		    sizeof(e65537) };
		break;
	default:
		r = AIRCA_ERR_INTERNAL;
		goto out;
	}
	if ((rv = tok->raw.f->C_GenerateKeyPair(tok->sess, &mech, pub, npub,
	    priv, sizeof(priv) / sizeof(priv[0]) - (tok->custody ? 0 : 1),
	    &hpub, &hpriv)) != CKR_OK) {
		hpub = hpriv = CK_INVALID_HANDLE;
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s' cannot generate a "
		    "%s key: %s%s", tok->info.label, key_type_name(type),
		    ckr_say(rv), rv == CKR_MECHANISM_INVALID ||
		    rv == CKR_KEY_SIZE_RANGE || rv == CKR_TEMPLATE_INCONSISTENT ||
		    rv == CKR_ATTRIBUTE_VALUE_INVALID ? "; remove it from [keys] "
		    "generate in the HSM profile" : "");
		goto out;
	}
	if ((r = read_attrs(tok, hpriv, &a)) != 0 ||
	    (r = get_bool(tok, hpub, CKA_TOKEN, &pubtok)) != 0)
		goto out;
	if (!key_attrs_ok(&a, tok->custody, true, why, sizeof(why)) || !pubtok) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s' made a %s key "
		    "that is %s%s; it was destroyed. This HSM cannot hold CA "
		    "keys as airca requires", tok->info.label,
		    key_type_name(type), why, pubtok ? "" :
		    " (public key not on the token)");
		goto out;
	}
	if ((r = object_pubkey(tok, hpub, &pk)) != 0)
		goto out;
	if (pkey_type(pk) != type) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s' made a key that "
		    "is not %s; it was destroyed", tok->info.label,
		    key_type_name(type));
		goto out;
	}
	memcpy(ki.label, label, lablen + 1);
	memcpy(ki.id, id, idlen);
	ki.id_len = idlen;
	ki.type = type;
	ki.has_private = ki.has_public = true;
	spki_sha256(pk, ki.spki_sha256);
	if (info != NULL)
		*info = ki;
	*pubp = pk;
	pk = NULL;
	hpub = hpriv = CK_INVALID_HANDLE;
	r = 0;
 out:
	if (hpriv != CK_INVALID_HANDLE)
		tok->raw.f->C_DestroyObject(tok->sess, hpriv);
	if (hpub != CK_INVALID_HANDLE)
		tok->raw.f->C_DestroyObject(tok->sess, hpub);
	EVP_PKEY_free(pk);
	return r;
}

int
token_key_attrs(struct token *tok, const char *label, struct key_attrs *a)
{
	CK_OBJECT_HANDLE obj;
	int r;

	if ((r = find_labelled(tok, CKO_PRIVATE_KEY, label, &obj)) != 0)
		return r;
	return read_attrs(tok, obj, a);
}

int
token_public_key(struct token *tok, const char *label, EVP_PKEY **pkeyp)
{
	CK_OBJECT_HANDLE obj;
	int r;

	if ((r = find_labelled(tok, CKO_PUBLIC_KEY, label, &obj)) != 0)
		return r;
	return object_pubkey(tok, obj, pkeyp);
}

int
token_signing_key(struct token *tok, const char *label, EVP_PKEY **pkeyp)
{
	CK_OBJECT_HANDLE obj;
	PKCS11_KEY *keys = NULL, *key = NULL;
	unsigned int nkeys = 0, i;
	unsigned char *id = NULL;
	size_t idlen = 0;
	struct key_attrs a;
	EVP_PKEY *pk = NULL, *pub = NULL;
	char why[256];
	int r = AIRCA_ERR_INTERNAL;

	if (!token_logged_in(tok)) {
		r = airca_errf(AIRCA_ERR_LOGIN, "token '%s': log in before "
		    "signing with '%s'", tok->info.label, label);
		goto out;
	}
	if ((r = find_labelled(tok, CKO_PRIVATE_KEY, label, &obj)) != 0 ||
	    (r = read_attrs(tok, obj, &a)) != 0)
		goto out;
	if (!key_attrs_ok(&a, tok->custody, false, why, sizeof(why))) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "key '%s' on token '%s' is "
		    "%s: airca signs only with keys generated on the token as "
		    "non-extractable signing keys", label, tok->info.label, why);
		goto out;
	}
	if ((r = get_attr(tok, obj, CKA_ID, &id, &idlen)) != 0 ||
	    idlen == 0) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "key '%s' on token '%s' has "
		    "no CKA_ID", label, tok->info.label);
		goto out;
	}
	if ((r = token_public_key(tok, label, &pub)) != 0)
		goto out;
	/* libp11 re-enumerates (and may move) its key array: use it now only */
	if (PKCS11_enumerate_keys(tok->slot->token, &keys, &nkeys) != 0) {
		CK_RV rv = libp11_ckr();

		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': libp11 cannot "
		    "list keys: %s", tok->info.label, ckr_say(rv));
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		if (keys[i].id_len == idlen &&
		    memcmp(keys[i].id, id, idlen) == 0 &&
		    keys[i].label != NULL && strcmp(keys[i].label, label) == 0) {
			key = &keys[i];
			break;
		}
	}
	if (key == NULL) {
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': libp11 does not "
		    "see private key '%s'", tok->info.label, label);
		goto out;
	}
	if ((pk = PKCS11_get_private_key(key)) == NULL) {
		CK_RV rv = libp11_ckr();

		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': libp11 cannot "
		    "use key '%s': %s; is its public key stored under the "
		    "same CKA_ID?", tok->info.label, label, ckr_say(rv));
		goto out;
	}
	if (EVP_PKEY_eq(pk, pub) != 1) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s': private key "
		    "'%s' does not match the public key of that label",
		    tok->info.label, label);
		goto out;
	}
	*pkeyp = pk;
	pk = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pk);
	EVP_PKEY_free(pub);
	free(id);
	ERR_clear_error();
	return r;
}

/* One object seen by token_keys. */
struct obj {
	CK_OBJECT_CLASS cls;
	unsigned char id[TOKEN_ID_MAX];
	size_t id_len;
	bool	id_long;		/* id over TOKEN_ID_MAX: kept alone */
	char	label[65];
	CK_OBJECT_HANDLE h;
	bool	done;
};

static int
read_obj(struct token *tok, CK_OBJECT_HANDLE h, struct obj *o)
{
	unsigned char *v = NULL;
	size_t len = 0;
	CK_ATTRIBUTE a = { CKA_CLASS, &o->cls, sizeof(o->cls) };
	CK_RV rv;
	int r;

	memset(o, 0, sizeof(*o));
	o->h = h;
	if ((rv = tok->raw.f->C_GetAttributeValue(tok->sess, h, &a, 1)) !=
	    CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot read an "
		    "object's class: %s", tok->info.label, ckr_say(rv));
	if ((r = get_attr(tok, h, CKA_ID, &v, &len)) == 0) {
		if (len > TOKEN_ID_MAX)
			o->id_long = true;
		else {
			memcpy(o->id, v, len);
			o->id_len = len;
		}
		free(v);
		v = NULL;
	} else if (r != AIRCA_ERR_NOTFOUND)
		return r;
	if ((r = get_attr(tok, h, CKA_LABEL, &v, &len)) == 0) {
		pad_trim(o->label, sizeof(o->label), v, len);
		free(v);
	} else if (r != AIRCA_ERR_NOTFOUND)
		return r;
	return 0;
}

/* Public key of a certificate object (CKA_VALUE). */
static EVP_PKEY *
cert_pubkey(struct token *tok, CK_OBJECT_HANDLE h)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;

	if (get_attr(tok, h, CKA_VALUE, &der, &len) == 0) {
		p = der;
		if ((x = d2i_X509(NULL, &p, (long)len)) != NULL &&
		    (pk = X509_get_pubkey(x)) == NULL)
			ERR_clear_error();
	}
	X509_free(x);
	free(der);
	ERR_clear_error();
	return pk;
}

int
token_keys(struct token *tok, struct token_key_info **keysp, size_t *np)
{
	CK_OBJECT_HANDLE *handles = NULL;
	struct obj *objs = NULL;
	struct token_key_info *keys = NULL, *k;
	EVP_PKEY *pk = NULL;
	size_t nh = 0, i, j, nk = 0;
	int r = AIRCA_ERR_INTERNAL;

	if (tok->prof.login_before_search && !token_logged_in(tok)) {
		r = airca_errf(AIRCA_ERR_LOGIN, "token '%s' shows its objects "
		    "only after login: log in first", tok->info.label);
		goto out;
	}
	if ((handles = calloc(OBJECTS_MAX, sizeof(*handles))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = find_objects(tok, NULL, 0, handles, OBJECTS_MAX, &nh)) != 0)
		goto out;
	if ((objs = calloc(nh > 0 ? nh : 1, sizeof(*objs))) == NULL ||
	    (keys = calloc(nh > 0 ? nh : 1, sizeof(*keys))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nh; i++) {
		if ((r = read_obj(tok, handles[i], &objs[i])) != 0)
			goto out;
		if (objs[i].cls != CKO_PRIVATE_KEY &&
		    objs[i].cls != CKO_PUBLIC_KEY &&
		    objs[i].cls != CKO_CERTIFICATE)
			objs[i].done = true;
	}
	/* group by CKA_ID: a key pair and its certificate share one */
	for (i = 0; i < nh; i++) {
		if (objs[i].done)
			continue;
		k = &keys[nk++];
		k->type = KEY_NTYPES;
		memcpy(k->id, objs[i].id, objs[i].id_len);
		k->id_len = objs[i].id_len;
		for (j = i; j < nh; j++) {
			struct obj *o = &objs[j];

			if (o->done || (j != i && (o->id_long ||
			    objs[i].id_long || o->id_len == 0 ||
			    o->id_len != k->id_len ||
			    memcmp(o->id, k->id, k->id_len) != 0)))
				continue;
			o->done = true;
			if (k->label[0] == '\0' || o->cls == CKO_PRIVATE_KEY)
				memcpy(k->label, o->label, sizeof(k->label));
			if (o->cls == CKO_PRIVATE_KEY)
				k->has_private = true;
			else if (o->cls == CKO_CERTIFICATE)
				k->has_cert = true;
			else
				k->has_public = true;
			if (o->cls == CKO_PRIVATE_KEY || pk != NULL)
				continue;
			if (o->cls == CKO_PUBLIC_KEY) {
				if (object_pubkey(tok, o->h, &pk) != 0)
					pk = NULL;
			} else
				pk = cert_pubkey(tok, o->h);
		}
		if (pk != NULL) {
			k->type = pkey_type(pk);
			spki_sha256(pk, k->spki_sha256);
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	airca_errclear();
	*keysp = keys;
	*np = nk;
	keys = NULL;
	r = 0;
 out:
	EVP_PKEY_free(pk);
	free(keys);
	free(objs);
	free(handles);
	return r;
}
