/*
 * token-int.h: inside the token layer only (token.c, token-ckr.c,
 * token-keys.c, token-certs.c, token-custody.c): the open token's structure
 * and the helpers the token layer's files share.  Includes the libp11 and
 * PKCS#11 headers; nothing outside the token layer includes this file.
 */
#ifndef AIRCA_TOKEN_INT_H
#define AIRCA_TOKEN_INT_H

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "token.h"

/* The module as seen through its own C_GetFunctionList. */
struct raw {
	void	*dl;
	CK_FUNCTION_LIST_PTR f;
	bool	initialized;		/* our C_Initialize succeeded */
};

struct token {
	struct hsm_profile prof;
	struct raw raw;
	PKCS11_CTX *ctx;
	bool	loaded;			/* PKCS11_CTX_load succeeded */
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;		/* the chosen one, inside slots */
	CK_SESSION_HANDLE sess;		/* our own read/write session */
	bool	have_sess;
	struct token_info info;
	bool	custody;		/* token_set_custody(): K-of-N key policy */
};

/* rv as the officer reads it: a sentence, then the code's name (token-ckr.c). */
const char *ckr_say(CK_RV rv);
/* The CK_RV libp11 put on the OpenSSL error queue; clears the queue. */
CK_RV	libp11_ckr(void);
/* A blank-padded PKCS#11 text field into a NUL-terminated, trimmed string. */
void	pad_trim(char *dst, size_t dstsize, const unsigned char *src,
	    size_t srclen);

/* The module's function list and airca's own read/write session. */
CK_FUNCTION_LIST_PTR token_fl(struct token *tok);
CK_SESSION_HANDLE token_sess(struct token *tok);
const struct hsm_profile *token_prof(const struct token *tok);

/* Every object matching tmpl, up to max handles. */
int	find_objects(struct token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
	    CK_OBJECT_HANDLE *out, size_t max, size_t *nfound);
/* The one object of class with label; NOTFOUND or several is an error. */
int	find_labelled(struct token *tok, CK_OBJECT_CLASS cls, const char *label,
	    CK_OBJECT_HANDLE *objp);
/* A variable-length attribute, *valp malloc'd; AIRCA_ERR_NOTFOUND if absent. */
int	get_attr(struct token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	    unsigned char **valp, size_t *lenp);
/* A CK_BBOOL attribute; absent reads as false. */
int	get_bool(struct token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	    bool *bp);
/* A private key's attributes. */
int	read_attrs(struct token *tok, CK_OBJECT_HANDLE obj, struct key_attrs *a);
/* The key type of an OpenSSL public key, KEY_NTYPES if none of airca's. */
enum key_type pkey_type(EVP_PKEY *pk);
/* Hex SHA-256 of pk's SubjectPublicKeyInfo DER ("" on failure). */
void	spki_sha256(EVP_PKEY *pk, char out[65]);
/* The OpenSSL key of a public key object. */
int	object_pubkey(struct token *tok, CK_OBJECT_HANDLE obj, EVP_PKEY **pkp);
/* A label the profile allows (label_max, printable). */
int	check_label(struct token *tok, const char *label);

/*
 * The rules a CA private key meets (token-keys.c): TOKEN, PRIVATE,
 * SENSITIVE, SIGN, no DECRYPT/UNWRAP/DERIVE; and by the key policy:
 * without custody, not EXTRACTABLE, ALWAYS_SENSITIVE, NEVER_EXTRACTABLE,
 * LOCAL; under K-of-N custody, EXTRACTABLE only with WRAP_WITH_TRUSTED, and
 * when fresh (just generated) EXTRACTABLE with WRAP_WITH_TRUSTED exactly,
 * ALWAYS_SENSITIVE and LOCAL.  why lists what fails.
 */
bool	key_attrs_ok(const struct key_attrs *a, bool custody, bool fresh,
	    char *why, size_t size);

#endif
