/*
 * token-custody.c: the token layer's part of key custody: SO login, the
 * trusted custody key, wrapping CA keys under it, unwrapping them onto a
 * new token.  Part of the token layer (PKCS#11 headers through token-int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "error.h"
#include "token-int.h"
#include "util.h"

#define PIN_MAX		256
#define WRAPPED_MAX	(16 * 1024)	/* an RSA-4096 PKCS#8 wrapped is ~2.4k */

static const unsigned char oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

int
token_so_login(struct token *tok, const char *pin, size_t len)
{
	const struct token_info *ti = token_info(tok);
	CK_RV rv;

	if (len == 0 || len > PIN_MAX || memchr(pin, '\0', len) != NULL)
		return airca_errf(AIRCA_ERR_LOGIN, "the SO PIN for token '%s' "
		    "is empty, too long or holds a NUL byte", ti->label);
	if (token_logged_in(tok))
		return airca_errf(AIRCA_ERR_STATE, "token '%s': the user is "
		    "logged in; the SO logs in before", ti->label);
	rv = token_fl(tok)->C_Login(token_sess(tok), CKU_SO,
	    (CK_UTF8CHAR_PTR)pin, (CK_ULONG)len);
	wipe_stack();
	switch (rv) {
	case CKR_OK:
		return 0;
	case CKR_PIN_INCORRECT:
		return airca_errf(AIRCA_ERR_LOGIN, "wrong SO PIN for token "
		    "'%s'", ti->label);
	case CKR_PIN_LOCKED:
		return airca_errf(AIRCA_ERR_LOGIN, "the SO PIN of token '%s' "
		    "is locked", ti->label);
	default:
		return airca_errf(AIRCA_ERR_LOGIN, "SO login to token '%s' "
		    "refused: %s", ti->label, ckr_say(rv));
	}
}

void
token_so_logout(struct token *tok)
{
	CK_SESSION_INFO si;

	if (token_fl(tok)->C_GetSessionInfo(token_sess(tok), &si) == CKR_OK &&
	    si.state == CKS_RW_SO_FUNCTIONS)
		token_fl(tok)->C_Logout(token_sess(tok));
}

static int
find_secret(struct token *tok, const char *label, CK_OBJECT_HANDLE *hp)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE h[2];
	size_t n;
	int r;

	if ((r = find_objects(tok, tmpl, 2, h, 2, &n)) != 0)
		return r;
	if (n == 0)
		return airca_errf(AIRCA_ERR_NOTFOUND, "no secret key labelled "
		    "'%s' on token '%s'", label, token_info(tok)->label);
	if (n > 1)
		return airca_errf(AIRCA_ERR_TOKEN, "several secret keys "
		    "labelled '%s' on token '%s'", label,
		    token_info(tok)->label);
	*hp = h[0];
	return 0;
}

static int
secret_attrs(struct token *tok, CK_OBJECT_HANDLE h, struct secret_attrs *a)
{
	CK_ULONG vl = 0;
	CK_ATTRIBUTE at = { CKA_VALUE_LEN, &vl, sizeof(vl) };
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = get_bool(tok, h, CKA_TRUSTED, &a->trusted)) != 0 ||
	    (r = get_bool(tok, h, CKA_WRAP, &a->wrap)) != 0 ||
	    (r = get_bool(tok, h, CKA_UNWRAP, &a->unwrap)) != 0 ||
	    (r = get_bool(tok, h, CKA_ENCRYPT, &a->encrypt)) != 0 ||
	    (r = get_bool(tok, h, CKA_DECRYPT, &a->decrypt)) != 0 ||
	    (r = get_bool(tok, h, CKA_SENSITIVE, &a->sensitive)) != 0 ||
	    (r = get_bool(tok, h, CKA_EXTRACTABLE, &a->extractable)) != 0)
		return r;
	/* absent CKA_MODIFIABLE means modifiable (the default) */
	a->modifiable = true;
	{
		CK_BBOOL b = CK_TRUE;
		CK_ATTRIBUTE m = { CKA_MODIFIABLE, &b, sizeof(b) };

		if (token_fl(tok)->C_GetAttributeValue(token_sess(tok), h, &m,
		    1) == CKR_OK)
			a->modifiable = b == CK_TRUE;
	}
	if (token_fl(tok)->C_GetAttributeValue(token_sess(tok), h, &at, 1) ==
	    CKR_OK)
		a->value_len = vl;
	return 0;
}

int
token_secret_attrs(struct token *tok, const char *label, struct secret_attrs *a)
{
	CK_OBJECT_HANDLE h;
	int r;

	if ((r = find_secret(tok, label, &h)) != 0)
		return r;
	return secret_attrs(tok, h, a);
}

int
token_secret_destroy(struct token *tok, const char *label)
{
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int r;

	if ((r = find_secret(tok, label, &h)) != 0)
		return r;
	if ((rv = token_fl(tok)->C_DestroyObject(token_sess(tok), h)) !=
	    CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot destroy "
		    "'%s': %s", token_info(tok)->label, label, ckr_say(rv));
	return 0;
}

/* A secret key's id: fresh random bytes of the profile's id_len. */
static int
new_id(struct token *tok, unsigned char *id, size_t *lenp)
{
	size_t len = token_prof(tok)->id_len;
	int r;

	if (len == 0 || len > TOKEN_ID_MAX)
		return airca_errf(AIRCA_ERR_INPUT, "HSM profile %s: id_len %zu "
		    "out of range", token_prof(tok)->path, len);
	if ((r = token_random(tok, id, len)) != 0)
		return r;
	id[0] |= 1;	/* never all zero (YubiHSM 2 reads that as "pick one") */
	*lenp = len;
	return 0;
}

int
token_custody_import(struct token *tok, const char *label,
    const unsigned char *key, size_t len)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char id[TOKEN_ID_MAX];
	size_t idlen = 0;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_TRUSTED, &yes, sizeof(yes) },
		{ CKA_WRAP, &yes, sizeof(yes) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_SIGN, &no, sizeof(no) },
		{ CKA_VERIFY, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_MODIFIABLE, &no, sizeof(no) },
		{ CKA_COPYABLE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, id, 0 },
		{ CKA_VALUE, (void *)key, len },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	struct secret_attrs a;
	CK_SESSION_INFO si;
	bool exists;
	char why[256];
	size_t n;
	CK_RV rv;
	int r = AIRCA_ERR_INTERNAL;

	why[0] = '\0';
	if ((r = check_label(tok, label)) != 0 ||
	    (r = token_label_exists(tok, label, &exists)) != 0)
		goto out;
	if (exists) {
		r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' already holds an "
		    "object labelled '%s'", token_info(tok)->label, label);
		goto out;
	}
	if (token_fl(tok)->C_GetSessionInfo(token_sess(tok), &si) != CKR_OK ||
	    si.state != CKS_RW_SO_FUNCTIONS) {
		r = airca_errf(AIRCA_ERR_LOGIN, "token '%s': only the security "
		    "officer can mark a key trusted: log in as SO first",
		    token_info(tok)->label);
		goto out;
	}
	if ((r = new_id(tok, id, &idlen)) != 0)
		goto out;
	t[17].ulValueLen = idlen;
	if ((rv = token_fl(tok)->C_CreateObject(token_sess(tok), t,
	    sizeof(t) / sizeof(t[0]), &h)) != CKR_OK) {
		h = CK_INVALID_HANDLE;
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s' cannot import the "
		    "custody key as a trusted wrapping key: %s%s",
		    token_info(tok)->label, ckr_say(rv),
		    rv == CKR_ATTRIBUTE_TYPE_INVALID ||
		    rv == CKR_ATTRIBUTE_VALUE_INVALID ||
		    rv == CKR_TEMPLATE_INCONSISTENT ? "; this token does not "
		    "support trusted wrapping keys: set wrap_with_trusted = no "
		    "in its HSM profile and initialise with --backup none" :
		    "");
		goto out;
	}
	if ((r = secret_attrs(tok, h, &a)) != 0)
		goto out;
#define RULE(cond, text) do { \
	if (!(cond)) { \
		n = strlen(why); \
		snprintf(why + n, sizeof(why) - n, "%s%s", n ? ", " : "", \
		    text); \
	} \
} while (0)
	RULE(a.trusted, "not TRUSTED");
	RULE(a.wrap, "cannot WRAP");
	RULE(!a.unwrap, "can UNWRAP");
	RULE(!a.encrypt && !a.decrypt, "can ENCRYPT or DECRYPT");
	RULE(a.sensitive, "not SENSITIVE");
	RULE(!a.extractable, "EXTRACTABLE");
	RULE(!a.modifiable, "MODIFIABLE");
	RULE(a.value_len == len, "of another length");
#undef RULE
	if (why[0] != '\0') {
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s' made a custody "
		    "key that is %s; it was destroyed. This token cannot keep "
		    "K-of-N custody: initialise with --backup none",
		    token_info(tok)->label, why);
		goto out;
	}
	h = CK_INVALID_HANDLE;
	r = 0;
 out:
	if (h != CK_INVALID_HANDLE)
		token_fl(tok)->C_DestroyObject(token_sess(tok), h);
	explicit_bzero(id, sizeof(id));
	return r;
}

int
token_custody_wrap(struct token *tok, const char *wrapper, const char *label,
    unsigned char **blobp, size_t *lenp)
{
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_HANDLE hw, hk;
	CK_ULONG len = 0;
	unsigned char *blob = NULL;
	const char *lab = token_info(tok)->label;
	CK_RV rv;
	int r = AIRCA_ERR_INTERNAL;

	if (!token_logged_in(tok)) {
		r = airca_errf(AIRCA_ERR_LOGIN, "token '%s': log in before "
		    "wrapping keys", lab);
		goto out;
	}
	if ((r = find_secret(tok, wrapper, &hw)) != 0 ||
	    (r = find_labelled(tok, CKO_PRIVATE_KEY, label, &hk)) != 0)
		goto out;
	rv = token_fl(tok)->C_WrapKey(token_sess(tok), &mech, hw, hk, NULL,
	    &len);
	if (rv == CKR_OK && (len == 0 || len > WRAPPED_MAX))
		rv = CKR_FUNCTION_FAILED;
	if (rv == CKR_OK) {
		if ((blob = malloc(len)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		rv = token_fl(tok)->C_WrapKey(token_sess(tok), &mech, hw, hk,
		    blob, &len);
	}
	switch (rv) {
	case CKR_OK:
		break;
	case CKR_KEY_NOT_WRAPPABLE:
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s' refuses to wrap "
		    "key '%s' under '%s' (CKR_KEY_NOT_WRAPPABLE): the key may "
		    "leave only wrapped under a key the security officer "
		    "marked trusted", lab, label, wrapper);
		goto out;
	case CKR_KEY_UNEXTRACTABLE:
		r = airca_errf(AIRCA_ERR_KEYATTR, "token '%s' refuses to wrap "
		    "key '%s' (CKR_KEY_UNEXTRACTABLE): it was generated never "
		    "to leave the token", lab, label);
		goto out;
	case CKR_MECHANISM_INVALID:
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s' cannot wrap with "
		    "CKM_AES_KEY_WRAP_PAD (CKR_MECHANISM_INVALID): it cannot "
		    "keep K-of-N custody", lab);
		goto out;
	default:
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': wrapping '%s' "
		    "under '%s' failed: %s", lab, label, wrapper,
		    ckr_say(rv));
		goto out;
	}
	*blobp = blob;
	*lenp = len;
	blob = NULL;
	r = 0;
 out:
	free(blob);
	return r;
}

/* A session-only AES key that may only unwrap: the rebuilt custody key. */
static int
unwrap_key(struct token *tok, const unsigned char *key, size_t len,
    CK_OBJECT_HANDLE *hp)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_UNWRAP, &yes, sizeof(yes) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_SIGN, &no, sizeof(no) },
		{ CKA_VERIFY, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_MODIFIABLE, &no, sizeof(no) },
		{ CKA_COPYABLE, &no, sizeof(no) },
		{ CKA_VALUE, (void *)key, len },
	};
	CK_RV rv;

	if ((rv = token_fl(tok)->C_CreateObject(token_sess(tok), t,
	    sizeof(t) / sizeof(t[0]), hp)) != CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s' cannot take the "
		    "rebuilt custody key: %s", token_info(tok)->label,
		    ckr_say(rv));
	return 0;
}

/* The public key object of cert, labelled and identified as its private key. */
static int
make_public(struct token *tok, const struct token_unwrap *u,
    CK_OBJECT_HANDLE *hp)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[9];
	EVP_PKEY *pk = X509_get0_pubkey(u->cert);
	unsigned char pt[160], os[162], *nb = NULL, *eb = NULL;
	size_t ptlen = 0, nt = 0;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	enum key_type type;
	CK_RV rv;
	int r = AIRCA_ERR_INTERNAL;

	if (pk == NULL || (type = pkey_type(pk)) == KEY_NTYPES) {
		r = airca_errf(AIRCA_ERR_INPUT, "the certificate of '%s' holds "
		    "no key airca uses", u->label);
		goto out;
	}
	kt = type == KEY_EC_P256 || type == KEY_EC_P384 ? CKK_EC : CKK_RSA;
	t[nt++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	t[nt++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	t[nt++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	t[nt++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &no, sizeof(no) };
	t[nt++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	t[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)u->label,
	    strlen(u->label) };
	t[nt++] = (CK_ATTRIBUTE){ CKA_ID, (void *)u->id, u->id_len };
	if (kt == CKK_EC) {
		if (EVP_PKEY_get_octet_string_param(pk,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen) != 1 ||
		    ptlen + 2 > sizeof(os) || ptlen > 127) {
			r = airca_errssl(AIRCA_ERR_CRYPTO, "the EC point of "
			    "'%s'", u->label);
			goto out;
		}
		os[0] = 0x04;
		os[1] = (unsigned char)ptlen;
		memcpy(os + 2, pt, ptlen);
		if (type == KEY_EC_P256)
			t[nt++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS,
			    (void *)oid_p256, sizeof(oid_p256) };
		else
			t[nt++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS,
			    (void *)oid_p384, sizeof(oid_p384) };
		t[nt++] = (CK_ATTRIBUTE){ CKA_EC_POINT, os, ptlen + 2 };
	} else {
		int nl, el;

		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N,
		    &bn_n) != 1 || EVP_PKEY_get_bn_param(pk,
		    OSSL_PKEY_PARAM_RSA_E, &bn_e) != 1 ||
		    (nl = BN_num_bytes(bn_n)) <= 0 ||
		    (el = BN_num_bytes(bn_e)) <= 0 ||
		    (nb = malloc((size_t)nl)) == NULL ||
		    (eb = malloc((size_t)el)) == NULL) {
			r = airca_errssl(AIRCA_ERR_CRYPTO, "the RSA key of "
			    "'%s'", u->label);
			goto out;
		}
		BN_bn2bin(bn_n, nb);
		BN_bn2bin(bn_e, eb);
		t[nt++] = (CK_ATTRIBUTE){ CKA_MODULUS, nb, (CK_ULONG)nl };
		t[nt++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, eb,
		    (CK_ULONG)el };
	}
	if ((rv = token_fl(tok)->C_CreateObject(token_sess(tok), t, nt, hp)) !=
	    CKR_OK) {
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot store the "
		    "public key of '%s': %s", token_info(tok)->label, u->label,
		    ckr_say(rv));
		goto out;
	}
	r = 0;
 out:
	BN_free(bn_n);
	BN_free(bn_e);
	free(nb);
	free(eb);
	ERR_clear_error();
	return r;
}

static int
unwrap_one(struct token *tok, CK_OBJECT_HANDLE hk, const struct token_unwrap *u,
    CK_OBJECT_HANDLE *hprivp, CK_OBJECT_HANDLE *hpubp)
{
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	EVP_PKEY *pk = X509_get0_pubkey(u->cert);
	enum key_type type = pk != NULL ? pkey_type(pk) : KEY_NTYPES;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)u->label, strlen(u->label) },
		{ CKA_ID, (void *)u->id, u->id_len },
	};
	struct key_attrs a;
	char why[256];
	CK_RV rv;
	int r;

	if (type == KEY_NTYPES)
		return airca_errf(AIRCA_ERR_INPUT, "the certificate of '%s' "
		    "holds no key airca uses", u->label);
	kt = type == KEY_EC_P256 || type == KEY_EC_P384 ? CKK_EC : CKK_RSA;
	if ((rv = token_fl(tok)->C_UnwrapKey(token_sess(tok), &mech, hk,
	    (CK_BYTE_PTR)u->blob, u->blob_len, t, sizeof(t) / sizeof(t[0]),
	    hprivp)) != CKR_OK) {
		*hprivp = CK_INVALID_HANDLE;
		return airca_errf(AIRCA_ERR_INPUT, "token '%s' cannot unwrap "
		    "key '%s': %s; %s", token_info(tok)->label, u->label,
		    ckr_say(rv), rv == CKR_WRAPPED_KEY_INVALID ||
		    rv == CKR_ENCRYPTED_DATA_INVALID ||
		    rv == CKR_WRAPPED_KEY_LEN_RANGE ? "the blob was not "
		    "wrapped under this custody key, or was changed" :
		    "see the token's log");
	}
	if ((r = read_attrs(tok, *hprivp, &a)) != 0)
		return r;
	if (!key_attrs_ok(&a, true, false, why, sizeof(why)) || !a.extractable ||
	    !a.wrap_with_trusted)
		return airca_errf(AIRCA_ERR_KEYATTR, "token '%s' unwrapped key "
		    "'%s' as %s%s", token_info(tok)->label, u->label, why,
		    why[0] ? "" : "not EXTRACTABLE with WRAP_WITH_TRUSTED");
	return make_public(tok, u, hpubp);
}

int
token_custody_unwrap(struct token *tok, const unsigned char *key, size_t len,
    const struct token_unwrap *items, size_t n)
{
	CK_OBJECT_HANDLE hk = CK_INVALID_HANDLE, *made = NULL;
	size_t i, nmade = 0;
	bool exists;
	int r = AIRCA_ERR_INTERNAL;

	if (!token_logged_in(tok) || !token_custody(tok)) {
		r = airca_errf(AIRCA_ERR_STATE, "token '%s': unwrapping needs a "
		    "user login and the K-of-N key policy",
		    token_info(tok)->label);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = check_label(tok, items[i].label)) != 0 ||
		    (r = token_label_exists(tok, items[i].label, &exists)) != 0)
			goto out;
		if (exists) {
			r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' already "
			    "holds an object labelled '%s': restore onto a "
			    "freshly initialised token", token_info(tok)->label,
			    items[i].label);
			goto out;
		}
	}
	if ((made = calloc(2 * n + 1, sizeof(*made))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = unwrap_key(tok, key, len, &hk)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		CK_OBJECT_HANDLE hpriv = CK_INVALID_HANDLE;
		CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE;

		r = unwrap_one(tok, hk, &items[i], &hpriv, &hpub);
		if (hpriv != CK_INVALID_HANDLE)
			made[nmade++] = hpriv;
		if (hpub != CK_INVALID_HANDLE)
			made[nmade++] = hpub;
		if (r != 0)
			goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = token_store_cert(tok, items[i].label,
		    items[i].cert)) != 0)
			goto out;
	nmade = 0;
	r = 0;
 out:
	if (hk != CK_INVALID_HANDLE)
		token_fl(tok)->C_DestroyObject(token_sess(tok), hk);
	for (i = 0; i < nmade; i++)
		token_fl(tok)->C_DestroyObject(token_sess(tok), made[i]);
	free(made);
	return r;
}
