/*
 * token.c: the PKCS#11 token's module and slots: loading the module
 * (libp11, and the module's own function list for the raw calls), listing
 * and initialising tokens, picking one by its pkcs11: URI, opening and
 * closing it, login, the token's random generator, and OpenSSL errors
 * from libp11 as sentences.  Keys are in token-keys.c, certificates in
 * token-certs.c, the CKR_* sentence table in token-ckr.c, K-of-N custody in
 * token-custody.c; what they share is in token-int.h.  Only the token
 * layer (src/token*.c, token-int.h) includes libp11 or PKCS#11 headers.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "token.h"
#include "token-int.h"
#include "util.h"

#define PIN_MAX		256

/*
 * Modules loaded in this process (0 or 1).  A second libp11 context on the
 * same module would close every session of the first one (a silent logout,
 * measured with SoftHSM) and its unload would C_Finalize the module under
 * the first, so one token_open() or token_list() at a time.
 */
static unsigned int modules_loaded;

/* The open token's label, for messages about signatures made through it. */
static char open_label[33];

/* A token picked by a pkcs11: URI (RFC 7512), token attributes only. */
struct uri_sel {
	char	token[33], manufacturer[33], model[17], serial[17];
	char	slot_desc[65];
	bool	has_token, has_manufacturer, has_model, has_serial;
	bool	has_slot_desc, has_slot_id;
	unsigned long slot_id;
};

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
void
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
CK_RV
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
	if (tinfo.ulMinPinLen != CK_UNAVAILABLE_INFORMATION)
		ti->pin_min = tinfo.ulMinPinLen;
	if (tinfo.ulMaxPinLen != CK_UNAVAILABLE_INFORMATION)
		ti->pin_max = tinfo.ulMaxPinLen;
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
token_set_pin(struct token *tok, const char *old, size_t oldlen,
    const char *new, size_t newlen)
{
	CK_RV rv;

	if (oldlen == 0 || oldlen > PIN_MAX || newlen == 0 || newlen > PIN_MAX)
		return airca_errf(AIRCA_ERR_LOGIN, "token '%s': a PIN to change "
		    "is empty or too long", tok->info.label);
	if (!token_logged_in(tok))
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': the user PIN is "
		    "changed only after a login", tok->info.label);
	/* on our session, never PKCS11_change_pin(): no copy of a PIN kept */
	rv = tok->raw.f->C_SetPIN(tok->sess, (CK_UTF8CHAR_PTR)old,
	    (CK_ULONG)oldlen, (CK_UTF8CHAR_PTR)new, (CK_ULONG)newlen);
	wipe_stack();
	ERR_clear_error();
	switch (rv) {
	case CKR_OK:
		return 0;
	case CKR_PIN_INCORRECT:
		return airca_errf(AIRCA_ERR_LOGIN, "token '%s' refused to change "
		    "the user PIN: the old PIN is wrong (%s)", tok->info.label,
		    ckr_say(rv));
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_INVALID:
		return airca_errf(AIRCA_ERR_LOGIN, "token '%s' refuses the new "
		    "PIN's length or characters: %s; the PIN is unchanged",
		    tok->info.label, ckr_say(rv));
	default:
		return airca_errf(AIRCA_ERR_TOKEN, "token '%s': C_SetPIN "
		    "failed: %s; the user PIN is unchanged", tok->info.label,
		    ckr_say(rv));
	}
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

/*
 * Without --sessions: the profile's batch_sessions, else the default.  A
 * token that signs on this machine's processors (SoftHSM) gets half of
 * them: the reader, the signing loop and the writer need the rest, and
 * more signing threads than free processors only add switches between
 * them (2 cores, 10,000 requests: one session 3,800/s, four 3,500/s).
 */
static unsigned
default_sessions(const struct hsm_profile *p)
{
	long ncpu;

	if (p->batch_sessions == 0)
		return TOKEN_SIGN_SESSIONS_DEFAULT;
	if (p->batch_sessions != HSM_SESSIONS_CPUS)
		return p->batch_sessions;
	if ((ncpu = sysconf(_SC_NPROCESSORS_ONLN)) < 2)
		return 1;
	return ncpu / 2 > TOKEN_SIGN_SESSIONS_MAX ? TOKEN_SIGN_SESSIONS_MAX :
	    (unsigned)(ncpu / 2);
}

int
token_sign_sessions(struct token *tok, unsigned want, unsigned *gotp,
    char *why, size_t whysize)
{
	CK_SESSION_HANDLE probe[TOKEN_SIGN_SESSIONS_MAX];
	unsigned n, cap, asked, k, got = 0;
	CK_RV rv = CKR_OK;

	*gotp = 1;
	if (whysize > 0)
		why[0] = '\0';
	asked = want != 0 ? want : default_sessions(&tok->prof);
	n = asked > TOKEN_SIGN_SESSIONS_MAX ? TOKEN_SIGN_SESSIONS_MAX : asked;
	if (n < asked)
		snprintf(why, whysize, "libp11 keeps at most %u sessions a "
		    "slot: signing on %u sessions, not %u", 16,
		    TOKEN_SIGN_SESSIONS_MAX, asked);
	/* max_sessions 2 is refused at token_open(); 0 is no limit */
	if (tok->prof.max_sessions > 2 && (cap = tok->prof.max_sessions - 2) <
	    n) {
		n = cap;
		if (want != 0)
			snprintf(why, whysize, "HSM profile %s allows %u "
			    "sessions (max_sessions) and airca keeps 2 for its "
			    "own work: signing on %u sessions, not %u",
			    tok->prof.path, tok->prof.max_sessions, n, asked);
	}
	/* what the token opens now, beside the sessions already open */
	for (k = 0; k < n; k++) {
		if ((rv = tok->raw.f->C_OpenSession(tok->info.slot_id,
		    CKF_SERIAL_SESSION, NULL, NULL, &probe[k])) != CKR_OK)
			break;
		got++;
	}
	for (k = 0; k < got; k++)
		tok->raw.f->C_CloseSession(probe[k]);
	if (got < n) {
		snprintf(why, whysize, "token '%s' opens only %u more "
		    "session%s now (%s): signing on %u session%s, not %u",
		    tok->info.label, got, got == 1 ? "" : "s", ckr_say(rv),
		    got > 0 ? got : 1, got > 1 ? "s" : "", n);
		n = got > 0 ? got : 1;
	}
	*gotp = n;
	return 0;
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
