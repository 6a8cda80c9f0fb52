/*
 * token.c: the PKCS#11 token: libp11 for slots, login, signing keys and
 * certificates; a small raw PKCS#11 part (the module's own function list)
 * for key generation with an explicit template and attribute read-back.
 * The only file that includes libp11 or PKCS#11 headers.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "token.h"
#include "token-int.h"
#include "util.h"

#define PIN_MAX		256
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

/*
 * Modules loaded in this process (0 or 1).  A second libp11 context on the
 * same module would close every session of the first one (a silent logout,
 * measured with SoftHSM) and its unload would C_Finalize the module under
 * the first, so one token_open() or token_list() at a time.
 */
static unsigned int modules_loaded;

/* The open token's label, for messages about signatures made through it. */
static char open_label[33];

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

/* A token picked by a pkcs11: URI (RFC 7512), token attributes only. */
struct uri_sel {
	char	token[33], manufacturer[33], model[17], serial[17];
	char	slot_desc[65];
	bool	has_token, has_manufacturer, has_model, has_serial;
	bool	has_slot_desc, has_slot_id;
	unsigned long slot_id;
};

/*
 * Every PKCS#11 return code airca may meet, as the officer reads it: a
 * sentence, then the code's name for the HSM vendor's support.
 */
static const struct token_ckr ckr_table[] = {
	{ CKR_OK, "CKR_OK", "no error: the token did what was asked" },
	{ CKR_CANCEL, "CKR_CANCEL", "the operation was cancelled" },
	{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY", "the PKCS#11 module ran out of "
	    "memory on this computer" },
	{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", "the token's slot is "
	    "gone (reader unplugged, or HSM restarted)" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", "the token hit an "
	    "unrecoverable error: remove and re-insert it, or restart the HSM" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", "the token could not "
	    "carry out the request" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", "the module refused the "
	    "arguments airca gave it (a bug in airca or in the module)" },
	{ CKR_NO_EVENT, "CKR_NO_EVENT", "no slot event happened" },
	{ CKR_NEED_TO_CREATE_THREADS, "CKR_NEED_TO_CREATE_THREADS", "the "
	    "module needs to create threads and may not" },
	{ CKR_CANT_LOCK, "CKR_CANT_LOCK", "the module cannot lock as airca "
	    "asked" },
	{ CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY", "the token does "
	    "not let that attribute be set" },
	{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", "the token keeps "
	    "that attribute secret" },
	{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", "the token "
	    "does not know that attribute" },
	{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", "the "
	    "token refuses that attribute value" },
	{ CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED", "the token's policy "
	    "forbids that action" },
	{ CKR_DATA_INVALID, "CKR_DATA_INVALID", "the token refuses the data "
	    "it was given" },
	{ CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", "the token refuses the "
	    "data's length" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", "the token reported a "
	    "hardware or communication error" },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", "the token is out of memory "
	    "(too many objects or sessions on it)" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", "the token was removed or "
	    "stopped answering" },
	{ CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", "the token "
	    "refuses the encrypted data" },
	{ CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE", "the "
	    "token refuses the encrypted data's length" },
	{ CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED", "the operation was "
	    "cancelled on the token" },
	{ CKR_FUNCTION_NOT_PARALLEL, "CKR_FUNCTION_NOT_PARALLEL", "the token "
	    "cannot run that operation in parallel" },
	{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", "the token "
	    "does not support that operation" },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", "the key is no "
	    "longer there (token removed or reset, or the key deleted)" },
	{ CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", "the token does not "
	    "support that key size" },
	{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", "the key is "
	    "of the wrong type for that algorithm" },
	{ CKR_KEY_NOT_NEEDED, "CKR_KEY_NOT_NEEDED", "the token needs no key "
	    "for that" },
	{ CKR_KEY_CHANGED, "CKR_KEY_CHANGED", "the key changed during the "
	    "operation" },
	{ CKR_KEY_NEEDED, "CKR_KEY_NEEDED", "the token needs a key it was "
	    "not given" },
	{ CKR_KEY_INDIGESTIBLE, "CKR_KEY_INDIGESTIBLE", "the token cannot "
	    "digest that key" },
	{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
	    "the key's attributes do not allow that use" },
	{ CKR_KEY_NOT_WRAPPABLE, "CKR_KEY_NOT_WRAPPABLE", "the token will not "
	    "wrap that key" },
	{ CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE", "the key may not "
	    "leave the token" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", "the token does not "
	    "support that algorithm" },
	{ CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", "the "
	    "token refuses the algorithm's parameters" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", "the object "
	    "is no longer there (token removed or reset, or the object "
	    "deleted)" },
	{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", "another operation is "
	    "still running on that session" },
	{ CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED", "the "
	    "token lost track of the operation (was it reset?)" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", "the PIN is wrong" },
	{ CKR_PIN_INVALID, "CKR_PIN_INVALID", "the PIN has characters the "
	    "token does not accept" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", "the PIN is too short or "
	    "too long for the token" },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", "the PIN has expired: change it "
	    "with the HSM's tool" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED", "the PIN is locked after too many "
	    "wrong tries: the security officer must unlock it with the SO PIN" },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", "the session was closed "
	    "under airca" },
	{ CKR_SESSION_COUNT, "CKR_SESSION_COUNT", "the token has no free "
	    "session: too many are open (by airca or other applications); "
	    "close other applications using the token, or lower max_sessions "
	    "under [quirks] in the HSM profile" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", "the "
	    "session is no longer valid (the token was removed or reset)" },
	{ CKR_SESSION_PARALLEL_NOT_SUPPORTED,
	    "CKR_SESSION_PARALLEL_NOT_SUPPORTED", "the token does not support "
	    "parallel sessions" },
	{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY", "the session is "
	    "read-only" },
	{ CKR_SESSION_EXISTS, "CKR_SESSION_EXISTS", "a session is still open "
	    "on the token" },
	{ CKR_SESSION_READ_ONLY_EXISTS, "CKR_SESSION_READ_ONLY_EXISTS", "a "
	    "read-only session is open, so the security officer cannot log "
	    "in" },
	{ CKR_SESSION_READ_WRITE_SO_EXISTS, "CKR_SESSION_READ_WRITE_SO_EXISTS",
	    "a security officer session is open on the token: close it (the "
	    "HSM's tool) first" },
	{ CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", "the signature does "
	    "not verify" },
	{ CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE", "the signature "
	    "has the wrong length" },
	{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", "the token wants "
	    "attributes airca did not give" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", "the token "
	    "refuses this combination of attributes" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", "no token is in the "
	    "slot: it was removed, or not inserted" },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", "the module "
	    "does not recognise the token in the slot" },
	{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", "the token "
	    "is write-protected" },
	{ CKR_UNWRAPPING_KEY_HANDLE_INVALID,
	    "CKR_UNWRAPPING_KEY_HANDLE_INVALID", "the unwrapping key is not "
	    "there" },
	{ CKR_UNWRAPPING_KEY_SIZE_RANGE, "CKR_UNWRAPPING_KEY_SIZE_RANGE", "the "
	    "token refuses the unwrapping key's size" },
	{ CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
	    "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT", "the unwrapping key is of "
	    "the wrong type" },
	{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", "the user "
	    "is logged in already" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", "the token is not "
	    "logged in (was it removed or reset?)" },
	{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", "the "
	    "token has no user PIN yet: the security officer must set one" },
	{ CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", "the token does not "
	    "know that kind of user" },
	{ CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
	    "CKR_USER_ANOTHER_ALREADY_LOGGED_IN", "another user is logged in "
	    "to the token: log them out first" },
	{ CKR_USER_TOO_MANY_TYPES, "CKR_USER_TOO_MANY_TYPES", "too many kinds "
	    "of user are logged in to the token" },
	{ CKR_WRAPPED_KEY_INVALID, "CKR_WRAPPED_KEY_INVALID", "the wrapped key "
	    "is damaged or not for this token" },
	{ CKR_WRAPPED_KEY_LEN_RANGE, "CKR_WRAPPED_KEY_LEN_RANGE", "the wrapped "
	    "key has the wrong length" },
	{ CKR_WRAPPING_KEY_HANDLE_INVALID, "CKR_WRAPPING_KEY_HANDLE_INVALID",
	    "the wrapping key is not there" },
	{ CKR_WRAPPING_KEY_SIZE_RANGE, "CKR_WRAPPING_KEY_SIZE_RANGE", "the "
	    "token refuses the wrapping key's size" },
	{ CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
	    "CKR_WRAPPING_KEY_TYPE_INCONSISTENT", "the wrapping key is of the "
	    "wrong type" },
	{ CKR_RANDOM_SEED_NOT_SUPPORTED, "CKR_RANDOM_SEED_NOT_SUPPORTED", "the "
	    "token's random number generator takes no seed" },
	{ CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", "the token has no random "
	    "number generator (set no_rng = yes under [quirks] in the HSM "
	    "profile)" },
	{ CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID", "the token "
	    "does not support those key parameters" },
	{ CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", "the token does "
	    "not support that elliptic curve" },
	{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", "the module's answer "
	    "did not fit (a bug in airca or in the module)" },
	{ CKR_SAVED_STATE_INVALID, "CKR_SAVED_STATE_INVALID", "the token "
	    "refuses the saved state" },
	{ CKR_INFORMATION_SENSITIVE, "CKR_INFORMATION_SENSITIVE", "the token "
	    "keeps that information secret" },
	{ CKR_STATE_UNSAVEABLE, "CKR_STATE_UNSAVEABLE", "the token cannot save "
	    "that state" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", "the "
	    "module was not initialised (or was finalised under airca)" },
	{ CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED",
	    "the module was initialised already" },
	{ CKR_MUTEX_BAD, "CKR_MUTEX_BAD", "the module's locking failed" },
	{ CKR_MUTEX_NOT_LOCKED, "CKR_MUTEX_NOT_LOCKED", "the module's locking "
	    "failed" },
	{ CKR_FIPS_SELF_TEST_FAILED, "CKR_FIPS_SELF_TEST_FAILED", "the token "
	    "failed its self-test: do not use it until the vendor has looked "
	    "at it" },
	{ CKR_LIBRARY_LOAD_FAILED, "CKR_LIBRARY_LOAD_FAILED", "the module "
	    "could not load a library it needs" },
	{ CKR_PIN_TOO_WEAK, "CKR_PIN_TOO_WEAK", "the token finds the PIN too "
	    "weak" },
	{ CKR_PUBLIC_KEY_INVALID, "CKR_PUBLIC_KEY_INVALID", "the token refuses "
	    "the public key" },
	{ CKR_FUNCTION_REJECTED, "CKR_FUNCTION_REJECTED", "the token rejected "
	    "the request" },
};

const struct token_ckr *
token_ckr_table(size_t *np)
{
	*np = sizeof(ckr_table) / sizeof(ckr_table[0]);
	return ckr_table;
}

static const struct token_ckr *
ckr_find(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(ckr_table) / sizeof(ckr_table[0]); i++)
		if (ckr_table[i].rv == rv)
			return &ckr_table[i];
	return NULL;
}

void
token_ckr_text(unsigned long rv, char *buf, size_t size)
{
	const struct token_ckr *c;

	if ((c = ckr_find(rv)) != NULL)
		snprintf(buf, size, "%s (%s)", c->text, c->name);
	else if (rv >= CKR_VENDOR_DEFINED)
		snprintf(buf, size, "the token failed with an error of its "
		    "vendor's (code 0x%lx): look it up in the HSM's "
		    "documentation", rv);
	else
		snprintf(buf, size, "the token failed with an error airca does "
		    "not know (code 0x%lx): look it up in the PKCS#11 "
		    "specification or the HSM's documentation", rv);
}

/* A code as a sentence for a message: "the token was removed ... (CKR_...)". */
const char *
ckr_say(CK_RV rv)
{
	static _Thread_local char buf[320];

	token_ckr_text(rv, buf, sizeof(buf));
	return buf;
}

int
token_errssl(int code, const char *fmt, ...)
{
	char what[512], say[320], reason[256] = "";
	unsigned long e, first = 0;
	int lib = ERR_get_CKR_code();
	CK_RV rv = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
		if (rv == 0 && lib != 0 && ERR_GET_LIB(e) == lib)
			rv = ERR_GET_REASON(e);
	}
	if (rv != 0) {
		token_ckr_text(rv, say, sizeof(say));
		if (open_label[0] != '\0')
			return airca_errf(AIRCA_ERR_TOKEN, "token '%s': %s: %s",
			    open_label, what, say);
		return airca_errf(AIRCA_ERR_TOKEN, "%s: %s", what, say);
	}
	if (first != 0) {
		ERR_error_string_n(first, reason, sizeof(reason));
		return airca_errf(code, "%s (%s)", what, reason);
	}
	return airca_errf(code, "%s", what);
}

/* A blank-padded PKCS#11 text field into a NUL-terminated, trimmed string. */
static void
pad_trim(char *dst, size_t dstsize, const unsigned char *src, size_t srclen)
{
	size_t n = srclen < dstsize - 1 ? srclen : dstsize - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
	/* never hand control characters to a terminal */
	if (!text_printable(dst, n)) {
		size_t i;

		for (i = 0; i < n; i++)
			if ((unsigned char)dst[i] < 0x20 ||
			    (unsigned char)dst[i] >= 0x7f)
				dst[i] = '?';
	}
}

/* Pull the CK_RV libp11 put on the OpenSSL error queue; clears the queue. */
static CK_RV
libp11_ckr(void)
{
	unsigned long e;
	CK_RV rv = 0;
	int lib = ERR_get_CKR_code();

	while ((e = ERR_get_error()) != 0)
		if (rv == 0 && lib != 0 && ERR_GET_LIB(e) == lib)
			rv = ERR_GET_REASON(e);
	return rv;
}

/*
 * dlopen the module ourselves first: the same path gives the same loaded
 * instance libp11 uses, and dlerror() says why a module does not load.
 */
static int
raw_load(const char *module, struct raw *raw)
{
	CK_C_GetFunctionList getfl;
	CK_RV rv;
	const char *err;

	memset(raw, 0, sizeof(*raw));
	if (modules_loaded > 0)
		return airca_errf(AIRCA_ERR_STATE, "a token is open already in "
		    "this process: close it before opening %s again", module);
	if ((raw->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		return airca_errf(AIRCA_ERR_TOKEN, "cannot load PKCS#11 module "
		    "%s: %s; install the HSM's PKCS#11 library or fix [hsm] "
		    "module in the HSM profile", module,
		    err != NULL ? err : "unknown error");
	}
	if ((getfl = (CK_C_GetFunctionList)dlsym(raw->dl,
	    "C_GetFunctionList")) == NULL) {
		dlclose(raw->dl);
		raw->dl = NULL;
		return airca_errf(AIRCA_ERR_TOKEN, "%s is not a PKCS#11 module "
		    "(no C_GetFunctionList); fix [hsm] module in the HSM "
		    "profile", module);
	}
	if ((rv = getfl(&raw->f)) != CKR_OK || raw->f == NULL) {
		dlclose(raw->dl);
		raw->dl = NULL;
		return airca_errf(AIRCA_ERR_TOKEN, "%s: C_GetFunctionList "
		    "failed: %s", module, ckr_say(rv));
	}
	modules_loaded++;
	return 0;
}

/* After libp11 loaded the module, "already initialized" is the normal answer. */
static int
raw_init(struct raw *raw, const char *module)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = raw->f->C_Initialize(&args);
	if (rv == CKR_OK)
		raw->initialized = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return airca_errf(AIRCA_ERR_TOKEN, "%s: C_Initialize failed"
		    ": %s", module, ckr_say(rv));
	return 0;
}

static void
raw_unload(struct raw *raw)
{
	if (raw->initialized && raw->f != NULL)
		raw->f->C_Finalize(NULL);
	raw->initialized = false;
	if (raw->dl != NULL) {
		dlclose(raw->dl);
		modules_loaded--;
	}
	raw->dl = NULL;
	raw->f = NULL;
}

static int
raw_info(struct raw *raw, unsigned long slot_id, struct token_info *ti)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO tinfo;
	CK_RV rv;

	memset(ti, 0, sizeof(*ti));
	ti->slot_id = slot_id;
	if ((rv = raw->f->C_GetSlotInfo(slot_id, &si)) != CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "slot %lu: C_GetSlotInfo "
		    "failed: %s", slot_id, ckr_say(rv));
	pad_trim(ti->slot_desc, sizeof(ti->slot_desc), si.slotDescription,
	    sizeof(si.slotDescription));
	if (!(si.flags & CKF_TOKEN_PRESENT))
		return 0;
	if ((rv = raw->f->C_GetTokenInfo(slot_id, &tinfo)) != CKR_OK) {
		/* present but unreadable: list the slot, say nothing more */
		if (rv == CKR_TOKEN_NOT_PRESENT ||
		    rv == CKR_TOKEN_NOT_RECOGNIZED)
			return 0;
		return airca_errf(AIRCA_ERR_TOKEN, "slot %lu: C_GetTokenInfo "
		    "failed: %s", slot_id, ckr_say(rv));
	}
	ti->present = true;
	pad_trim(ti->label, sizeof(ti->label), tinfo.label,
	    sizeof(tinfo.label));
	pad_trim(ti->manufacturer, sizeof(ti->manufacturer),
	    tinfo.manufacturerID, sizeof(tinfo.manufacturerID));
	pad_trim(ti->model, sizeof(ti->model), tinfo.model,
	    sizeof(tinfo.model));
	pad_trim(ti->serial, sizeof(ti->serial), tinfo.serialNumber,
	    sizeof(tinfo.serialNumber));
	snprintf(ti->firmware, sizeof(ti->firmware), "%u.%u",
	    tinfo.firmwareVersion.major, tinfo.firmwareVersion.minor);
	snprintf(ti->hardware, sizeof(ti->hardware), "%u.%u",
	    tinfo.hardwareVersion.major, tinfo.hardwareVersion.minor);
	ti->flags = tinfo.flags;
	ti->initialized = (tinfo.flags & CKF_TOKEN_INITIALIZED) != 0;
	ti->login_required = (tinfo.flags & CKF_LOGIN_REQUIRED) != 0;
	ti->has_rng = (tinfo.flags & CKF_RNG) != 0;
	ti->pin_locked = (tinfo.flags & CKF_USER_PIN_LOCKED) != 0;
	ti->pin_final_try = (tinfo.flags & CKF_USER_PIN_FINAL_TRY) != 0;
	ti->pin_count_low = (tinfo.flags & CKF_USER_PIN_COUNT_LOW) != 0;
	return 0;
}

/* libp11 context with the module loaded and slots enumerated. */
static int
p11_load(const char *module, struct raw *raw, PKCS11_CTX **ctxp,
    bool *loadedp, PKCS11_SLOT **slotsp, unsigned int *nslotsp)
{
	int r;

	if ((r = raw_load(module, raw)) != 0)
		return r;
	if ((*ctxp = PKCS11_CTX_new()) == NULL)
		return AIRCA_ERR_NOMEM;
	if (PKCS11_CTX_load(*ctxp, module) != 0) {
		CK_RV rv = libp11_ckr();

		return airca_errf(AIRCA_ERR_TOKEN, "libp11 cannot load PKCS#11 "
		    "module %s: %s; check [hsm] module in the HSM profile and "
		    "the module's own configuration", module, ckr_say(rv));
	}
	*loadedp = true;
	if ((r = raw_init(raw, module)) != 0)
		return r;
	if (PKCS11_enumerate_slots(*ctxp, slotsp, nslotsp) != 0) {
		CK_RV rv = libp11_ckr();

		return airca_errf(AIRCA_ERR_TOKEN, "%s: cannot list slots: %s",
		    module, ckr_say(rv));
	}
	return 0;
}

static void
p11_unload(struct raw *raw, PKCS11_CTX *ctx, bool loaded, PKCS11_SLOT *slots,
    unsigned int nslots)
{
	if (ctx != NULL) {
		if (slots != NULL)
			PKCS11_release_all_slots(ctx, slots, nslots);
		if (loaded)
			PKCS11_CTX_unload(ctx);
		PKCS11_CTX_free(ctx);
	}
	raw_unload(raw);
	ERR_clear_error();
}

int
token_list(const char *module, struct token_info **infop, size_t *np)
{
	struct raw raw;
	PKCS11_CTX *ctx = NULL;
	PKCS11_SLOT *slots = NULL;
	unsigned int nslots = 0, i;
	struct token_info *info = NULL;
	bool loaded = false;
	int r = AIRCA_ERR_INTERNAL;

	memset(&raw, 0, sizeof(raw));
	if ((r = p11_load(module, &raw, &ctx, &loaded, &slots, &nslots)) != 0)
		goto out;
	if ((info = calloc(nslots > 0 ? nslots : 1, sizeof(*info))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nslots; i++)
		if ((r = raw_info(&raw,
		    PKCS11_get_slotid_from_slot(&slots[i]), &info[i])) != 0)
			goto out;
	*infop = info;
	*np = nslots;
	info = NULL;
	r = 0;
 out:
	free(info);
	p11_unload(&raw, ctx, loaded, slots, nslots);
	return r;
}

/*
 * Initialise the first slot whose token is not initialised yet: C_InitToken
 * with the SO PIN and label, then the user PIN.  For rehearsal tokens
 * (SoftHSM: demo, tests), so that no PIN ever passes through argv.
 */
int
token_init(const char *module, const char *label, const char *so_pin,
    const char *pin)
{
	struct raw raw;
	PKCS11_CTX *ctx = NULL;
	PKCS11_SLOT *slots = NULL, *slot = NULL;
	unsigned int nslots = 0, i;
	bool loaded = false;
	int r = AIRCA_ERR_INTERNAL;

	memset(&raw, 0, sizeof(raw));
	if ((r = p11_load(module, &raw, &ctx, &loaded, &slots, &nslots)) != 0)
		goto out;
	for (i = 0; i < nslots && slot == NULL; i++)
		if (slots[i].token != NULL && !slots[i].token->initialized)
			slot = &slots[i];
	if (slot == NULL) {
		r = airca_errf(AIRCA_ERR_TOKEN, "%s: no slot with an "
		    "uninitialised token", module);
		goto out;
	}
	if (PKCS11_init_token(slot->token, so_pin, label) != 0) {
		r = airca_errf(AIRCA_ERR_TOKEN, "C_InitToken failed: %s",
		    ckr_say(libp11_ckr()));
		goto out;
	}
	/* libp11 re-reads the slot list; find the token again by label. */
	PKCS11_release_all_slots(ctx, slots, nslots);
	slots = NULL;
	nslots = 0;
	if (PKCS11_enumerate_slots(ctx, &slots, &nslots) != 0 ||
	    (slot = PKCS11_find_token(ctx, slots, nslots)) == NULL) {
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s' not found after "
		    "initialisation", label);
		goto out;
	}
	for (i = 0; i < nslots; i++)
		if (slots[i].token != NULL &&
		    strcmp(slots[i].token->label, label) == 0)
			slot = &slots[i];
	if (PKCS11_open_session(slot, 1) != 0 ||
	    PKCS11_login(slot, 1, so_pin) != 0 ||
	    PKCS11_init_pin(slot->token, pin) != 0) {
		r = airca_errf(AIRCA_ERR_TOKEN, "setting the user PIN failed"
		    ": %s", ckr_say(libp11_ckr()));
		goto out;
	}
	PKCS11_logout(slot);
	r = 0;
 out:
	/* libp11 wipes its copy of the SO PIN (prev_pin) as the slots go */
	p11_unload(&raw, ctx, loaded, slots, nslots);
	wipe_stack();
	return r;
}

/* Percent-decode src[0..len) into dst (size bytes, NUL-terminated). */
static int
pct_decode(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, o = 0;
	unsigned char b;
	size_t n;

	for (i = 0; i < len; i++) {
		if (o + 1 >= size)
			return -1;
		if (src[i] == '%') {
			if (i + 2 >= len)
				return -1;
			if (hex_decode((char[]){ src[i + 1], src[i + 2], '\0' },
			    &b, 1, &n) != 0)
				return -1;
			dst[o++] = (char)b;
			i += 2;
		} else
			dst[o++] = src[i];
	}
	dst[o] = '\0';
	return 0;
}

static int
uri_parse(const char *uri, struct uri_sel *u)
{
	const char *p, *end, *eq, *sep;
	char name[32], val[128];
	size_t nlen;

	memset(u, 0, sizeof(*u));
	if (strncmp(uri, "pkcs11:", 7) != 0)
		goto bad;
	if (strstr(uri, "pin-value") != NULL || strstr(uri, "pin-source") !=
	    NULL)
		return airca_errf(AIRCA_ERR_INPUT, "token URI '%s' carries a "
		    "PIN: remove pin-value/pin-source from the HSM profile "
		    "(PINs come from --pin-env, --pin-file or the prompt)", uri);
	p = uri + 7;
	if ((end = strchr(p, '?')) == NULL)
		end = p + strlen(p);
	while (p < end) {
		if ((sep = memchr(p, ';', (size_t)(end - p))) == NULL)
			sep = end;
		if ((eq = memchr(p, '=', (size_t)(sep - p))) == NULL)
			goto bad;
		nlen = (size_t)(eq - p);
		if (nlen == 0 || nlen >= sizeof(name))
			goto bad;
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		if (pct_decode(eq + 1, (size_t)(sep - eq - 1), val,
		    sizeof(val)) != 0)
			goto bad;
#define URI_STR(attr, field, flag) \
	else if (strcmp(name, attr) == 0) { \
		if (strlen(val) >= sizeof(u->field)) \
			goto bad; \
		memcpy(u->field, val, strlen(val) + 1); \
		u->flag = true; \
	}
		if (0)
			;
		URI_STR("token", token, has_token)
		URI_STR("manufacturer", manufacturer, has_manufacturer)
		URI_STR("model", model, has_model)
		URI_STR("serial", serial, has_serial)
		URI_STR("slot-description", slot_desc, has_slot_desc)
		else if (strcmp(name, "slot-id") == 0) {
			char *e;

			u->slot_id = strtoul(val, &e, 10);
			if (*val == '\0' || *e != '\0')
				goto bad;
			u->has_slot_id = true;
		} else if (strcmp(name, "object") == 0 ||
		    strcmp(name, "id") == 0 || strcmp(name, "type") == 0 ||
		    strncmp(name, "library-", 8) == 0 ||
		    strcmp(name, "slot-manufacturer") == 0) {
			/* names objects or the library, not the token */
		} else
			return airca_errf(AIRCA_ERR_INPUT, "token URI '%s': "
			    "unknown attribute '%s' (RFC 7512 token attributes: "
			    "token, serial, manufacturer, model, slot-id, "
			    "slot-description)", uri, name);
#undef URI_STR
		p = sep < end ? sep + 1 : end;
	}
	return 0;
 bad:
	return airca_errf(AIRCA_ERR_INPUT, "token URI '%s' is not a valid "
	    "pkcs11: URI (RFC 7512); fix [token] uri in the HSM profile", uri);
}

static bool
uri_match(const struct uri_sel *u, const struct token_info *ti)
{
	return (!u->has_token || strcmp(u->token, ti->label) == 0) &&
	    (!u->has_manufacturer || strcmp(u->manufacturer,
	    ti->manufacturer) == 0) &&
	    (!u->has_model || strcmp(u->model, ti->model) == 0) &&
	    (!u->has_serial || strcmp(u->serial, ti->serial) == 0) &&
	    (!u->has_slot_desc || strcmp(u->slot_desc, ti->slot_desc) == 0) &&
	    (!u->has_slot_id || u->slot_id == ti->slot_id);
}

/* Pick the one token the profile names; tok->slot and tok->info. */
static int
pick_token(struct token *tok)
{
	const struct hsm_profile *p = &tok->prof;
	struct token_info ti;
	struct uri_sel u;
	char found[1024] = "", what[600], matched[256] = "", fix[32];
	size_t fl, ml;
	unsigned int i, nmatch = 0;
	bool m;
	int r;

	if (p->token_uri[0] != '\0') {
		if ((r = uri_parse(p->token_uri, &u)) != 0)
			return r;
		snprintf(what, sizeof(what), "matching '%s'", p->token_uri);
		snprintf(fix, sizeof(fix), "uri");
	} else if (p->token_serial[0] != '\0') {
		snprintf(what, sizeof(what), "with serial '%s'",
		    p->token_serial);
		snprintf(fix, sizeof(fix), "serial");
	} else {
		snprintf(what, sizeof(what), "labelled '%s'", p->token_label);
		snprintf(fix, sizeof(fix), "label");
	}
	for (i = 0; i < tok->nslots; i++) {
		if ((r = raw_info(&tok->raw,
		    PKCS11_get_slotid_from_slot(&tok->slots[i]), &ti)) != 0)
			return r;
		if (!ti.present || !ti.initialized)
			continue;
		fl = strlen(found);
		snprintf(found + fl, sizeof(found) - fl, "%s'%s' (serial %s)",
		    fl ? ", " : "", ti.label, ti.serial);
		if (p->token_uri[0] != '\0')
			m = uri_match(&u, &ti);
		else if (p->token_serial[0] != '\0')
			m = strcmp(p->token_serial, ti.serial) == 0;
		else
			m = strcmp(p->token_label, ti.label) == 0;
		if (!m)
			continue;
		ml = strlen(matched);
		snprintf(matched + ml, sizeof(matched) - ml, "%s%s (slot %lu)",
		    ml ? ", " : "", ti.serial, ti.slot_id);
		if (nmatch++ == 0) {
			tok->slot = &tok->slots[i];
			tok->info = ti;
		}
	}
	if (nmatch == 1)
		return 0;
	tok->slot = NULL;
	if (nmatch > 1)
		return airca_errf(AIRCA_ERR_TOKEN, "several tokens %s in module "
		    "%s (serials %s): give each token a unique label, or pick "
		    "one by serial in the HSM profile's [token]", what,
		    p->module, matched);
	if (found[0] == '\0')
		return airca_errf(AIRCA_ERR_NOTFOUND, "no token %s in module %s: "
		    "found no initialised token; insert the token or "
		    "initialise it", what, p->module);
	return airca_errf(AIRCA_ERR_NOTFOUND, "no token %s in module %s: found "
	    "tokens %s; check the HSM profile's [token] %s", what, p->module,
	    found, fix);
}

/*
 * Have libp11 open its session now, while we can still tell why it could
 * not: libp11 0.4.12 opens sessions lazily, and when C_OpenSession fails
 * with none pooled it waits for one forever (a hang at the first
 * signature).  So a probe session first: if the token has no second
 * session to give, say so; then libp11 takes the one just freed.
 */
static int
libp11_session(struct token *tok)
{
	CK_SESSION_HANDLE probe;
	unsigned char b;
	CK_RV rv;

	if ((rv = tok->raw.f->C_OpenSession(tok->info.slot_id,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &probe)) !=
	    CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s' gives airca one "
		    "session but it needs two (its own and libp11's): %s",
		    tok->info.label, ckr_say(rv));
	tok->raw.f->C_CloseSession(probe);
	/* any call that needs a session; its answer does not matter */
	if (PKCS11_generate_random(tok->slot, &b, 1) != 0)
		ERR_clear_error();
	return 0;
}

int
token_open(const struct hsm_profile *p, struct token **tokp)
{
	struct token *tok = NULL;
	CK_RV rv;
	int r = AIRCA_ERR_INTERNAL;

	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	tok->prof = *p;
	if (p->max_sessions == 1) {
		r = airca_errf(AIRCA_ERR_TOKEN, "HSM profile %s: max_sessions "
		    "= 1, but airca needs two sessions (libp11's and its own)",
		    p->path);
		goto out;
	}
	if ((r = p11_load(p->module, &tok->raw, &tok->ctx, &tok->loaded,
	    &tok->slots, &tok->nslots)) != 0 ||
	    (r = pick_token(tok)) != 0)
		goto out;
	/*
	 * Read/write first, and only once: libp11 0.4.12 closes every session
	 * of the slot (a silent logout, ours too) when the mode changes.
	 */
	if (PKCS11_open_session(tok->slot, 1) != 0) {
		rv = libp11_ckr();
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot open a "
		    "read/write session: %s", tok->info.label, ckr_say(rv));
		goto out;
	}
	if ((rv = tok->raw.f->C_OpenSession(tok->info.slot_id,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &tok->sess))
	    != CKR_OK) {
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot open a "
		    "read/write session: %s%s", tok->info.label, ckr_say(rv),
		    rv == CKR_TOKEN_WRITE_PROTECTED ? "; the token is write "
		    "protected" : "");
		goto out;
	}
	tok->have_sess = true;
	if ((r = libp11_session(tok)) != 0)
		goto out;
	snprintf(open_label, sizeof(open_label), "%s", tok->info.label);
	*tokp = tok;
	tok = NULL;
	r = 0;
 out:
	token_close(tok);
	return r;
}

void
token_flag_words(unsigned long flags, char *buf, size_t size)
{
	static const struct {
		CK_FLAGS flag;
		const char *word;
	} words[] = {
		{ CKF_TOKEN_INITIALIZED, "initialized" },
		{ CKF_LOGIN_REQUIRED, "login-required" },
		{ CKF_USER_PIN_INITIALIZED, "user-pin-initialized" },
		{ CKF_RNG, "rng" },
		{ CKF_WRITE_PROTECTED, "write-protected" },
		{ CKF_PROTECTED_AUTHENTICATION_PATH, "protected-auth-path" },
		{ CKF_DUAL_CRYPTO_OPERATIONS, "dual-crypto" },
		{ CKF_RESTORE_KEY_NOT_NEEDED, "restore-key-not-needed" },
		{ CKF_CLOCK_ON_TOKEN, "clock" },
		{ CKF_SECONDARY_AUTHENTICATION, "secondary-auth" },
		{ CKF_USER_PIN_COUNT_LOW, "pin-count-low" },
		{ CKF_USER_PIN_FINAL_TRY, "pin-final-try" },
		{ CKF_USER_PIN_LOCKED, "pin-locked" },
		{ CKF_USER_PIN_TO_BE_CHANGED, "pin-to-be-changed" },
		{ CKF_SO_PIN_COUNT_LOW, "so-pin-count-low" },
		{ CKF_SO_PIN_FINAL_TRY, "so-pin-final-try" },
		{ CKF_SO_PIN_LOCKED, "so-pin-locked" },
		{ CKF_SO_PIN_TO_BE_CHANGED, "so-pin-to-be-changed" },
	};
	size_t i, n;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!(flags & words[i].flag))
			continue;
		n = strlen(buf);
		snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
		    words[i].word);
	}
}

const struct token_info *
token_info(const struct token *tok)
{
	return &tok->info;
}

bool
token_logged_in(const struct token *tok)
{
	CK_SESSION_INFO si;

	if (tok == NULL || !tok->have_sess ||
	    tok->raw.f->C_GetSessionInfo(tok->sess, &si) != CKR_OK)
		return false;
	return si.state == CKS_RW_USER_FUNCTIONS ||
	    si.state == CKS_RO_USER_FUNCTIONS;
}

/* "; the PIN is now locked" and the like, from fresh token flags. */
static void
pin_state(struct token *tok, char *buf, size_t size)
{
	struct token_info ti;

	buf[0] = '\0';
	if (raw_info(&tok->raw, tok->info.slot_id, &ti) != 0)
		return;
	tok->info = ti;
	if (ti.pin_locked)
		snprintf(buf, size, "; the user PIN is now LOCKED: the security "
		    "officer must unlock it with the SO PIN (the HSM's own tool)");
	else if (ti.pin_final_try)
		snprintf(buf, size, "; FINAL TRY: one more wrong PIN locks the "
		    "token");
	else if (ti.pin_count_low)
		snprintf(buf, size, "; the token counts wrong PINs: few tries "
		    "are left");
}

int
token_login(struct token *tok, const char *pin, size_t len)
{
	CK_RV rv;
	char state[160];
	int r = AIRCA_ERR_INTERNAL;

	if (token_logged_in(tok))
		return 0;
	if (len == 0 || len > PIN_MAX || memchr(pin, '\0', len) != NULL) {
		r = airca_errf(AIRCA_ERR_LOGIN, "the PIN for token '%s' is "
		    "empty, too long or holds a NUL byte", tok->info.label);
		goto out;
	}
	/*
	 * C_Login on our own session, never PKCS11_login(): libp11 0.4.12
	 * keeps an OPENSSL_strdup() of the PIN (slot->prev_pin, to log in
	 * again after a fork) until its slots are released.  A PKCS#11 login
	 * belongs to the application, so libp11's sessions find and use the
	 * private keys all the same (docs/hsm-setup.md, "Where the PIN goes").
	 */
	rv = tok->raw.f->C_Login(tok->sess, CKU_USER, (CK_UTF8CHAR_PTR)pin,
	    (CK_ULONG)len);
	wipe_stack();
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		rv = CKR_OK;
	if (rv != CKR_OK) {
		pin_state(tok, state, sizeof(state));
		switch (rv) {
		case CKR_PIN_INCORRECT:
			r = airca_errf(AIRCA_ERR_LOGIN, "wrong user PIN for "
			    "token '%s'%s", tok->info.label, state);
			break;
		case CKR_PIN_LOCKED:
			/* whatever the flags say: a locked PIN is never retried */
			tok->info.pin_locked = true;
			r = airca_errf(AIRCA_ERR_LOGIN, "the user PIN of token "
			    "'%s' is locked: the security officer must unlock "
			    "it with the SO PIN", tok->info.label);
			break;
		case CKR_PIN_LEN_RANGE:
		case CKR_PIN_INVALID:
			r = airca_errf(AIRCA_ERR_LOGIN, "token '%s' refuses "
			    "this PIN's length or characters: %s%s",
			    tok->info.label, ckr_say(rv), state);
			break;
		case CKR_PIN_EXPIRED:
			r = airca_errf(AIRCA_ERR_LOGIN, "the user PIN of token "
			    "'%s' has expired: change it with the HSM's tool",
			    tok->info.label);
			break;
		case CKR_USER_PIN_NOT_INITIALIZED:
			r = airca_errf(AIRCA_ERR_LOGIN, "token '%s' has no user "
			    "PIN yet: the security officer must set one",
			    tok->info.label);
			break;
		default:
			r = airca_errf(AIRCA_ERR_LOGIN, "login to token '%s' "
			    "refused: %s%s", tok->info.label, ckr_say(rv),
			    state);
			break;
		}
		goto out;
	}
	if (!token_logged_in(tok)) {
		tok->raw.f->C_Logout(tok->sess);
		r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': C_Login succeeded "
		    "but the session is not logged in", tok->info.label);
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	return r;
}

int
token_random(struct token *tok, unsigned char *buf, size_t len)
{
	CK_RV rv;

	if (tok->prof.no_rng) {
		if (RAND_bytes(buf, (int)len) != 1)
			return airca_errssl(AIRCA_ERR_CRYPTO, "host RNG failed");
		return 0;
	}
	if ((rv = tok->raw.f->C_GenerateRandom(tok->sess, buf, len)) !=
	    CKR_OK)
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': C_GenerateRandom "
		    "failed: %s%s", tok->info.label, ckr_say(rv),
		    rv == CKR_RANDOM_NO_RNG || rv == CKR_FUNCTION_NOT_SUPPORTED ?
		    "; set no_rng = yes under [quirks] in the HSM profile" : "");
	return 0;
}

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

/* The rules every CA private key meets; why lists what fails. */
static bool
attrs_ok(const struct key_attrs *a, char *why, size_t size)
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
	RULE(!a->extractable, "EXTRACTABLE");
	RULE(a->always_sensitive, "not ALWAYS_SENSITIVE");
	RULE(a->never_extractable, "not NEVER_EXTRACTABLE");
	RULE(a->local, "not LOCAL (generated elsewhere)");
	RULE(a->sign, "cannot SIGN");
	RULE(!a->decrypt, "can DECRYPT");
	RULE(!a->unwrap, "can UNWRAP");
	RULE(!a->derive, "can DERIVE");
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
	if (!(tok->custody ? custody_attrs_ok(&a, true, why, sizeof(why)) :
	    attrs_ok(&a, why, sizeof(why))) || !pubtok) {
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
	if (!(tok->custody ? custody_attrs_ok(&a, false, why, sizeof(why)) :
	    attrs_ok(&a, why, sizeof(why)))) {
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

/*
 * The certificate object with the PKCS#11 v2.20 attributes only: libp11
 * adds CKA_NAME_HASH_ALGORITHM and CKA_HASH_OF_SUBJECT_PUBLIC_KEY (v2.40),
 * which openCryptoki 3.8 refuses with CKR_ATTRIBUTE_TYPE_INVALID.
 */
static CK_RV
store_cert_v220(struct token *tok, X509 *cert, const char *label,
    unsigned char *id, size_t idlen)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_HANDLE h;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *sn = NULL;
	int dlen, slen, ilen, nlen;
	CK_RV rv = CKR_HOST_MEMORY;

	dlen = i2d_X509(cert, &der);
	slen = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	ilen = i2d_X509_NAME(X509_get_issuer_name(cert), &iss);
	nlen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &sn);
	if (dlen > 0 && slen > 0 && ilen > 0 && nlen > 0) {
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_SUBJECT, subj, (CK_ULONG)slen },
			{ CKA_ISSUER, iss, (CK_ULONG)ilen },
			{ CKA_SERIAL_NUMBER, sn, (CK_ULONG)nlen },
			{ CKA_VALUE, der, (CK_ULONG)dlen },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_ID, id, idlen },
		};

		rv = tok->raw.f->C_CreateObject(tok->sess, tmpl,
		    sizeof(tmpl) / sizeof(tmpl[0]), &h);
	}
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(sn);
	return rv;
}

int
token_store_cert(struct token *tok, const char *label, X509 *cert)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_OBJECT_HANDLE obj, certs[1];
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, NULL, 0 },
	};
	unsigned char *id = NULL;
	size_t idlen = 0, n;
	EVP_PKEY *pub = NULL;
	char *lab = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if ((r = find_labelled(tok, CKO_PUBLIC_KEY, label, &obj)) != 0)
		goto out;
	if ((r = get_attr(tok, obj, CKA_ID, &id, &idlen)) != 0 ||
	    idlen == 0) {
		r = airca_errf(AIRCA_ERR_KEYATTR, "key '%s' on token '%s' has "
		    "no CKA_ID", label, tok->info.label);
		goto out;
	}
	if ((r = object_pubkey(tok, obj, &pub)) != 0)
		goto out;
	if (X509_get0_pubkey(cert) == NULL ||
	    EVP_PKEY_eq(X509_get0_pubkey(cert), pub) != 1) {
		r = airca_errf(AIRCA_ERR_CRYPTO, "the certificate's public key "
		    "is not key '%s' on token '%s'", label, tok->info.label);
		goto out;
	}
	tmpl[1].pValue = id;
	tmpl[1].ulValueLen = idlen;
	if ((r = find_objects(tok, tmpl, 2, certs, 1, &n)) != 0)
		goto out;
	if (n > 0) {
		r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' already holds a "
		    "certificate for key '%s'", tok->info.label, label);
		goto out;
	}
	if ((lab = xstrdup(label)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (PKCS11_store_certificate(tok->slot->token, cert, lab, id, idlen,
	    NULL) != 0) {
		CK_RV rv = libp11_ckr();

		/* a v2.20 module (openCryptoki 3.8) refuses libp11's v2.40 hashes */
		if (rv == CKR_ATTRIBUTE_TYPE_INVALID)
			rv = store_cert_v220(tok, cert, label, id, idlen);
		if (rv != CKR_OK) {
			r = airca_errf(AIRCA_ERR_TOKEN, "token '%s': cannot "
			    "store the certificate for '%s': %s",
			    tok->info.label, label, ckr_say(rv));
			goto out;
		}
	}
	r = 0;
 out:
	free(lab);
	free(id);
	EVP_PKEY_free(pub);
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

void
token_close(struct token *tok)
{
	if (tok == NULL)
		return;
	open_label[0] = '\0';
	/* token_login() logged in through our session: log out through it */
	if (token_logged_in(tok))
		tok->raw.f->C_Logout(tok->sess);
	if (tok->have_sess)
		tok->raw.f->C_CloseSession(tok->sess);
	tok->have_sess = false;
	p11_unload(&tok->raw, tok->ctx, tok->loaded, tok->slots, tok->nslots);
	OPENSSL_cleanse(tok, sizeof(*tok));
	free(tok);
}

/* For the rest of the token layer (token-int.h). */
CK_FUNCTION_LIST_PTR
token_fl(struct token *tok)
{
	return tok->raw.f;
}

CK_SESSION_HANDLE
token_sess(struct token *tok)
{
	return tok->sess;
}

const struct hsm_profile *
token_prof(const struct token *tok)
{
	return &tok->prof;
}

void
token_set_custody(struct token *tok, bool custody)
{
	tok->custody = custody;
}

bool
token_custody(const struct token *tok)
{
	return tok->custody;
}
