/*
 * token-ckr.c: the CKR_* sentence table: every PKCS#11 return code airca
 * may meet, as a sentence the officer reads and the code's name for the
 * HSM vendor's support (token_ckr_text, ckr_say).
 */
#include <stdio.h>

#include <p11-kit/pkcs11.h>

#include "token.h"
#include "token-int.h"

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
