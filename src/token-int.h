/*
 * token-int.h: inside the token layer only (token.c, token-custody.c):
 * the helpers the token layer's files share.  Includes the PKCS#11 header;
 * nothing outside the token layer includes this file.
 */
#ifndef AIRCA_TOKEN_INT_H
#define AIRCA_TOKEN_INT_H

#include <p11-kit/pkcs11.h>

#include "token.h"

/* "CKR_PIN_INCORRECT", or "CKR 0x..." (a static buffer for unknown codes). */
/* rv as the officer reads it: a sentence, then the code's name (token.c). */
const char *ckr_say(CK_RV rv);

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
 * The rules a CA private key of a K-of-N home meets (token-custody.c):
 * TOKEN, PRIVATE, SENSITIVE, SIGN, no DECRYPT/UNWRAP/DERIVE, and either
 * not EXTRACTABLE (attrs_ok's rules) or EXTRACTABLE only with
 * WRAP_WITH_TRUSTED.  fresh (just generated): LOCAL and ALWAYS_SENSITIVE
 * too, and EXTRACTABLE with WRAP_WITH_TRUSTED exactly.  why lists what fails.
 */
bool	custody_attrs_ok(const struct key_attrs *a, bool fresh, char *why,
	    size_t size);

#endif
