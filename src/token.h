/*
 * token.h: the PKCS#11 token, and the only module that talks to it.
 * Only the token layer (src/token*.c) includes libp11 or PKCS#11 headers.
 * The interface is kept narrow (list, login, generate, find, public key,
 * signing key, store certificate) so it can move into its own process
 * later.
 */
#ifndef AIRCA_TOKEN_H
#define AIRCA_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsm.h"

#define TOKEN_ID_MAX	32

struct token_info {
	unsigned long slot_id;
	char	slot_desc[65];
	bool	present;		/* a token is in the slot */
	char	label[33];		/* NUL-terminated, trailing blanks trimmed */
	char	manufacturer[33];
	char	model[17];
	char	serial[17];
	char	firmware[16];		/* "2.6" */
	char	hardware[16];
	unsigned long flags;		/* CK_TOKEN_INFO flags */
	bool	initialized;
	bool	login_required;
	bool	has_rng;
	bool	pin_locked;
	bool	pin_final_try;
	bool	pin_count_low;
	unsigned long pin_min, pin_max;	/* ulMin/MaxPinLen; 0: not said */
};

/* What C_GetAttributeValue says about a private key. */
struct key_attrs {
	bool	token, private_, sensitive, extractable, local;
	bool	always_sensitive, never_extractable;
	bool	sign, decrypt, unwrap, derive;
	bool	wrap_with_trusted;	/* may leave only wrapped under a CKA_TRUSTED key */
};

struct token_key_info {
	char	label[65];
	unsigned char id[TOKEN_ID_MAX];
	size_t	id_len;
	enum key_type type;
	bool	has_private;		/* only visible after login */
	bool	has_public;
	bool	has_cert;
	char	spki_sha256[65];	/* hex SHA-256 of the SubjectPublicKeyInfo DER */
};

struct token;

/* A PKCS#11 return code as the officer reads it. */
struct token_ckr {
	unsigned long rv;
	const char *name;		/* "CKR_DEVICE_REMOVED" */
	const char *text;		/* "the token was removed or stopped answering" */
};

/* Every code airca knows a sentence for; static, *np entries. */
const struct token_ckr *token_ckr_table(size_t *np);

/*
 * A return code as a sentence with its name in parentheses: "the token
 * was removed or stopped answering (CKR_DEVICE_REMOVED)"; a code airca
 * does not know still gets a sentence, with its value in hex.  Into buf,
 * always terminated.
 */
void	token_ckr_text(unsigned long rv, char *buf, size_t size);

/*
 * Like airca_errssl(code, fmt, ...), for a signature made through a token
 * key (X509_sign, EVP_DigestSign with an EVP_PKEY from
 * token_signing_key()): when the OpenSSL error queue holds the PKCS#11
 * code the token answered, the message names the open token and says
 * the code as a sentence, and AIRCA_ERR_TOKEN is returned.  Clears the
 * queue.
 */
int	token_errssl(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Every slot of the module with its token, if any.  *infop is a malloc'd
 * array of *np entries owned by the caller.  Returns 0 or AIRCA_ERR_TOKEN.
 */
int	token_list(const char *module, struct token_info **infop, size_t *np);

/*
 * Load the profile's module and pick its token (label, serial or pkcs11:
 * URI; exactly one token must match: none or several is an error naming
 * what was looked for and what was found).  Opens a read/write session.
 * The token is not logged in.  One token per process at a time: while one
 * is open, token_open() and token_list() return AIRCA_ERR_STATE (a second
 * libp11 context on the module closes the first one's sessions, a silent
 * logout, and its unload finalizes the module under the first).
 */
int	token_open(const struct hsm_profile *p, struct token **tokp);

/*
 * CK_TOKEN_INFO flags as words ("initialized, login-required, rng, ...")
 * into buf, separated by ", "; "" for none.  Truncates to size.
 */
void	token_flag_words(unsigned long flags, char *buf, size_t size);

/* The chosen token's slot and token info; owned by tok. */
const struct token_info *token_info(const struct token *tok);

/*
 * Log in as the user with pin (len bytes, not necessarily NUL-terminated).
 * The caller keeps and wipes its buffer.  The PIN goes to the module's
 * C_Login on airca's own session and nowhere else: no copy is made, libp11
 * never sees it (it would keep one), and the dead stack the login used is
 * overwritten before this returns.  AIRCA_ERR_LOGIN on a wrong PIN (detail
 * says so, and whether the PIN is now locked or on its final try).
 */
int	token_login(struct token *tok, const char *pin, size_t len);
bool	token_logged_in(const struct token *tok);

/*
 * C_SetPIN(old, new) on airca's session, logged in as the user: the user
 * PIN becomes new.  No copy of either PIN is kept; the stack is wiped.
 * AIRCA_ERR_TOKEN (or AIRCA_ERR_LOGIN for a PIN the token refuses) with
 * the reason; the PIN is then unchanged, as PKCS#11 says.
 */
int	token_set_pin(struct token *tok, const char *old, size_t oldlen,
	    const char *new, size_t newlen);

/*
 * Signing sessions: how many C_Sign calls batch signing may have in flight
 * at once with a key of this token (libp11 gives each signing thread a
 * session of its pool).  want is what the officer asked (0: the profile's
 * batch_sessions, else TOKEN_SIGN_SESSIONS_DEFAULT, or the profile's limit
 * if lower); the
 * profile's max_sessions minus the two sessions airca needs for its other
 * work (its own and the one that signs the journal) caps it, and so does
 * what the token opens now: that many sessions are opened and closed
 * again.  *gotp is at least 1.  When fewer than asked are possible, why
 * gets the reason as a sentence (else "").
 */
#define TOKEN_SIGN_SESSIONS_DEFAULT	4
#define TOKEN_SIGN_SESSIONS_MAX		14	/* libp11 0.4.12 pools 16 sessions a slot */
int	token_sign_sessions(struct token *tok, unsigned want, unsigned *gotp,
	    char *why, size_t whysize);

/* Random bytes from the token's RNG (host RNG if the profile says no_rng). */
int	token_random(struct token *tok, unsigned char *buf, size_t len);

/*
 * Generate a key pair on the token (logged in), with label and a fresh
 * random CKA_ID of the profile's id_len, template: TOKEN, PRIVATE,
 * SENSITIVE, !EXTRACTABLE, SIGN, !DECRYPT, !UNWRAP, !DERIVE.  Then read the
 * private key's attributes back and refuse it (destroying both objects,
 * AIRCA_ERR_KEYATTR) unless SENSITIVE, !EXTRACTABLE, ALWAYS_SENSITIVE,
 * NEVER_EXTRACTABLE, LOCAL, PRIVATE and TOKEN hold.  A label already used
 * by any object on the token is refused (AIRCA_ERR_EXISTS) before anything
 * is generated.  On success *pubp is the public key (owned by the caller)
 * and info describes the pair.
 */
int	token_generate(struct token *tok, enum key_type type, const char *label,
	    EVP_PKEY **pubp, struct token_key_info *info);

/* Read a private key's attributes by label (logged in). */
int	token_key_attrs(struct token *tok, const char *label, struct key_attrs *a);

/*
 * Objects on the token: key pairs and certificates grouped by CKA_ID.
 * Private keys are listed only when logged in.  *keysp malloc'd, caller frees.
 */
int	token_keys(struct token *tok, struct token_key_info **keysp, size_t *np);

/* True (0 + *existsp) if any object (key, public key, cert) carries label. */
int	token_label_exists(struct token *tok, const char *label, bool *existsp);

/*
 * An EVP_PKEY that signs with the private key labelled label, through the
 * token (logged in).  The key checked with token_key_attrs() rules first.
 * Owned by the caller; free it before token_close(): while it exists
 * libp11 keeps the slot and its sessions alive past the close.
 */
int	token_signing_key(struct token *tok, const char *label, EVP_PKEY **pkeyp);

/* The public key labelled label (from the public key object). */
int	token_public_key(struct token *tok, const char *label, EVP_PKEY **pkeyp);

/* Store cert on the token under the CKA_ID of the key labelled label. */
int	token_store_cert(struct token *tok, const char *label, X509 *cert);

/*
 * Initialise a fresh token (the first uninitialised slot of module) with
 * label, SO PIN and user PIN: for rehearsal tokens (demo, tests) so no PIN
 * goes through argv.  Real HSMs are initialised with their vendor's tools.
 * libp11 copies the SO PIN while this runs and wipes it before it returns.
 */
int	token_init(const char *module, const char *label, const char *so_pin,
	    const char *pin);

/*
 * Key custody (token-custody.c).  token_set_custody(tok, true): this home's
 * key policy is K-of-N, so token_generate() makes CA keys SENSITIVE,
 * EXTRACTABLE and WRAP_WITH_TRUSTED (they may leave the token only wrapped
 * under a CKA_TRUSTED key) and refuses them unless that reads back, and
 * token_signing_key() accepts such keys (and restored ones, which are not
 * LOCAL).  Off (the default): keys are never extractable.
 */
void	token_set_custody(struct token *tok, bool custody);
bool	token_custody(const struct token *tok);

/*
 * Log in as the security officer (CKU_SO) with pin, as token_login() does
 * for the user: no copy kept, the stack wiped.  The user must not be logged
 * in.  token_so_logout() ends it (and is a no-op otherwise).
 */
int	token_so_login(struct token *tok, const char *pin, size_t len);
void	token_so_logout(struct token *tok);

/*
 * As the SO: import key (len bytes, AES) as the token's custody key,
 * labelled label: a token object with CKA_TRUSTED and CKA_WRAP, and
 * nothing else it may do (no UNWRAP, ENCRYPT, DECRYPT, SIGN, DERIVE),
 * SENSITIVE, not EXTRACTABLE, not MODIFIABLE, not COPYABLE.  Read back;
 * refused and destroyed (AIRCA_ERR_KEYATTR) unless it all holds.  Public
 * (CKA_PRIVATE false): an SO may not create private objects, and the key
 * can only wrap keys that a logged-in user reaches.  A label in use is
 * AIRCA_ERR_EXISTS.
 */
int	token_custody_import(struct token *tok, const char *label,
	    const unsigned char *key, size_t len);

/* What token keys shows of a secret key (the custody key). */
struct secret_attrs {
	bool	trusted, wrap, unwrap, encrypt, decrypt, sensitive,
		extractable, modifiable;
	unsigned long value_len;
};
int	token_secret_attrs(struct token *tok, const char *label,
	    struct secret_attrs *a);

/* Destroy the secret key labelled label (a failed init's custody key). */
int	token_secret_destroy(struct token *tok, const char *label);

/*
 * Wrap the private key labelled label under the secret key labelled
 * wrapper with CKM_AES_KEY_WRAP_PAD (logged in).  *blobp malloc'd.  The
 * token decides: a key not EXTRACTABLE, or WRAP_WITH_TRUSTED under a
 * wrapper not TRUSTED, is refused (AIRCA_ERR_KEYATTR naming the CKR).
 */
int	token_custody_wrap(struct token *tok, const char *wrapper,
	    const char *label, unsigned char **blobp, size_t *lenp);

/* One key to unwrap by token_custody_unwrap(). */
struct token_unwrap {
	const char *label;
	const unsigned char *id;
	size_t	id_len;
	const unsigned char *blob;
	size_t	blob_len;
	X509	*cert;			/* its certificate: type and public key */
};

/*
 * Restore keys from a backup (logged in as the user, custody on): key (len
 * bytes) becomes a session-only unwrapping key (never on the token, gone
 * when this returns); each blob is unwrapped (CKM_AES_KEY_WRAP_PAD) into a
 * private key with label, id and the attributes token_generate() gives
 * under custody; its public key object is made from the certificate, its
 * attributes read back; then the certificates are stored.  On failure the
 * keys made by this call are destroyed.  A label already on the token is
 * AIRCA_ERR_EXISTS before anything is made.
 */
int	token_custody_unwrap(struct token *tok, const unsigned char *key,
	    size_t len, const struct token_unwrap *items, size_t n);

/* Log out (C_Logout on airca's session), release slots, unload. NULL is fine. */
void	token_close(struct token *tok);

#endif
