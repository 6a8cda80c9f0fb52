/*
 * p11shim.c: a PKCS#11 module for tests that loads the real module
 * (P11SHIM_MODULE) and wraps its function list, injecting the faults and
 * the latency real HSMs have and SoftHSM has not.  Configured by the
 * environment; tests/p11shim/README.md lists the knobs.
 */
#include <sys/prctl.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

/* Every function of a version 2 list, in struct order. */
#define FUNCS(X) \
	X(C_Initialize) X(C_Finalize) X(C_GetInfo) X(C_GetFunctionList) \
	X(C_GetSlotList) X(C_GetSlotInfo) X(C_GetTokenInfo) \
	X(C_GetMechanismList) X(C_GetMechanismInfo) X(C_InitToken) \
	X(C_InitPIN) X(C_SetPIN) X(C_OpenSession) X(C_CloseSession) \
	X(C_CloseAllSessions) X(C_GetSessionInfo) X(C_GetOperationState) \
	X(C_SetOperationState) X(C_Login) X(C_Logout) X(C_CreateObject) \
	X(C_CopyObject) X(C_DestroyObject) X(C_GetObjectSize) \
	X(C_GetAttributeValue) X(C_SetAttributeValue) X(C_FindObjectsInit) \
	X(C_FindObjects) X(C_FindObjectsFinal) X(C_EncryptInit) X(C_Encrypt) \
	X(C_EncryptUpdate) X(C_EncryptFinal) X(C_DecryptInit) X(C_Decrypt) \
	X(C_DecryptUpdate) X(C_DecryptFinal) X(C_DigestInit) X(C_Digest) \
	X(C_DigestUpdate) X(C_DigestKey) X(C_DigestFinal) X(C_SignInit) \
	X(C_Sign) X(C_SignUpdate) X(C_SignFinal) X(C_SignRecoverInit) \
	X(C_SignRecover) X(C_VerifyInit) X(C_Verify) X(C_VerifyUpdate) \
	X(C_VerifyFinal) X(C_VerifyRecoverInit) X(C_VerifyRecover) \
	X(C_DigestEncryptUpdate) X(C_DecryptDigestUpdate) \
	X(C_SignEncryptUpdate) X(C_DecryptVerifyUpdate) X(C_GenerateKey) \
	X(C_GenerateKeyPair) X(C_WrapKey) X(C_UnwrapKey) X(C_DeriveKey) \
	X(C_SeedRandom) X(C_GenerateRandom) X(C_GetFunctionStatus) \
	X(C_CancelFunction) X(C_WaitForSlotEvent)

enum fn {
#define X(f) I_##f,
	FUNCS(X)
#undef X
	NFUNCS
};

static const char *fn_names[NFUNCS] = {
#define X(f) #f,
	FUNCS(X)
#undef X
};

static const struct {
	const char *name;
	CK_RV rv;
} rv_names[] = {
	{ "CKR_OK", CKR_OK },
	{ "CKR_HOST_MEMORY", CKR_HOST_MEMORY },
	{ "CKR_SLOT_ID_INVALID", CKR_SLOT_ID_INVALID },
	{ "CKR_GENERAL_ERROR", CKR_GENERAL_ERROR },
	{ "CKR_FUNCTION_FAILED", CKR_FUNCTION_FAILED },
	{ "CKR_ARGUMENTS_BAD", CKR_ARGUMENTS_BAD },
	{ "CKR_DATA_INVALID", CKR_DATA_INVALID },
	{ "CKR_DATA_LEN_RANGE", CKR_DATA_LEN_RANGE },
	{ "CKR_DEVICE_ERROR", CKR_DEVICE_ERROR },
	{ "CKR_DEVICE_MEMORY", CKR_DEVICE_MEMORY },
	{ "CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED },
	{ "CKR_FUNCTION_CANCELED", CKR_FUNCTION_CANCELED },
	{ "CKR_FUNCTION_NOT_SUPPORTED", CKR_FUNCTION_NOT_SUPPORTED },
	{ "CKR_KEY_HANDLE_INVALID", CKR_KEY_HANDLE_INVALID },
	{ "CKR_KEY_FUNCTION_NOT_PERMITTED", CKR_KEY_FUNCTION_NOT_PERMITTED },
	{ "CKR_MECHANISM_INVALID", CKR_MECHANISM_INVALID },
	{ "CKR_OBJECT_HANDLE_INVALID", CKR_OBJECT_HANDLE_INVALID },
	{ "CKR_OPERATION_ACTIVE", CKR_OPERATION_ACTIVE },
	{ "CKR_OPERATION_NOT_INITIALIZED", CKR_OPERATION_NOT_INITIALIZED },
	{ "CKR_PIN_INCORRECT", CKR_PIN_INCORRECT },
	{ "CKR_PIN_EXPIRED", CKR_PIN_EXPIRED },
	{ "CKR_PIN_LOCKED", CKR_PIN_LOCKED },
	{ "CKR_SESSION_CLOSED", CKR_SESSION_CLOSED },
	{ "CKR_SESSION_COUNT", CKR_SESSION_COUNT },
	{ "CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID },
	{ "CKR_SESSION_READ_ONLY", CKR_SESSION_READ_ONLY },
	{ "CKR_TEMPLATE_INCONSISTENT", CKR_TEMPLATE_INCONSISTENT },
	{ "CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT },
	{ "CKR_TOKEN_NOT_RECOGNIZED", CKR_TOKEN_NOT_RECOGNIZED },
	{ "CKR_TOKEN_WRITE_PROTECTED", CKR_TOKEN_WRITE_PROTECTED },
	{ "CKR_USER_NOT_LOGGED_IN", CKR_USER_NOT_LOGGED_IN },
	{ "CKR_RANDOM_NO_RNG", CKR_RANDOM_NO_RNG },
	{ "CKR_BUFFER_TOO_SMALL", CKR_BUFFER_TOO_SMALL },
	{ "CKR_CRYPTOKI_NOT_INITIALIZED", CKR_CRYPTOKI_NOT_INITIALIZED },
	{ "CKR_FUNCTION_REJECTED", CKR_FUNCTION_REJECTED },
};

/* "N" (the Nth only) or "N+" (the Nth and every later one); 0: never. */
struct nth {
	unsigned long n;
	bool	on;			/* N+ */
};

#define FAIL_MAX	16
struct fail {
	enum fn	fn;
	struct nth at;
	CK_RV	rv;
};

#define SESS_MAX	256
struct sess {
	bool	used;
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slot;
	unsigned long gen;		/* the removal generation it was opened in */
	pthread_mutex_t mu;		/* serialises signing on this session */
	struct timespec t_init;		/* when its C_SignInit began */
	bool	have_init;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CK_RV load_rv = CKR_GENERAL_ERROR;
static void *module_dl;
static CK_FUNCTION_LIST_PTR real;
static CK_FUNCTION_LIST wrapped;

static struct fail fails[FAIL_MAX];
static size_t nfails;
static unsigned long calls[NFUNCS];
static unsigned long max_sessions;	/* P11SHIM_MAX_SESSIONS, 0: no cap */
static unsigned long delay_ms;		/* P11SHIM_SIGN_DELAY_MS */
static unsigned long vanish_after;	/* P11SHIM_VANISH_AFTER: signatures */
static const char *removed_file;	/* P11SHIM_REMOVED: token out while it exists */
static struct nth corrupt_at;		/* P11SHIM_CORRUPT_SIGN */
static struct nth wrong_key_at;		/* P11SHIM_WRONG_KEY */
static bool lie_sensitive;		/* P11SHIM_LIE_SENSITIVE */
static bool lie_wwt;			/* P11SHIM_LIE_WWT */
static bool lie_local;			/* P11SHIM_LIE_LOCAL */
static bool lie_always;			/* P11SHIM_LIE_ALWAYS_SENSITIVE */
static bool quiet_lock;			/* P11SHIM_QUIET_LOCK: no CKF_USER_PIN_LOCKED */
static const char *stats_file;		/* P11SHIM_STATS */
static int log_fd = -1;			/* P11SHIM_LOG */
static bool log_time;			/* P11SHIM_LOG_TIME: lines start with seconds and thread */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;	/* everything below */
static struct sess sessions[SESS_MAX];
static unsigned long nopen, peak, signatures, sign_inits, gen;
static bool vanished, was_removed, pin_locked;

static void
shim_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("p11shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool
parse_ulong(const char *s, unsigned long *vp)
{
	char *end;

	errno = 0;
	*vp = strtoul(s, &end, 0);
	return *s != '\0' && *end == '\0' && errno == 0;
}

static bool
parse_nth(const char *s, struct nth *t)
{
	char buf[32];
	size_t len = strlen(s);

	memset(t, 0, sizeof(*t));
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len + 1);
	if (buf[len - 1] == '+') {
		t->on = true;
		buf[len - 1] = '\0';
	}
	return parse_ulong(buf, &t->n) && t->n > 0;
}

static bool
nth_hit(const struct nth *t, unsigned long count)
{
	return t->n > 0 && (count == t->n || (t->on && count > t->n));
}

static bool
parse_rv(const char *s, CK_RV *rvp)
{
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (strcmp(s, rv_names[i].name) == 0) {
			*rvp = rv_names[i].rv;
			return true;
		}
	if (!parse_ulong(s, &v))
		return false;
	*rvp = v;
	return true;
}

/* P11SHIM_FAIL=FUNC:N[+]:CKR_X[,FUNC:N[+]:CKR_X...] */
static bool
parse_fails(const char *spec)
{
	char buf[1024], *item, *save = NULL, *c1, *c2;
	size_t i;

	if (strlen(spec) >= sizeof(buf))
		return false;
	memcpy(buf, spec, strlen(spec) + 1);
	for (item = strtok_r(buf, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if (nfails == FAIL_MAX || (c1 = strchr(item, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			return false;
		*c1++ = '\0';
		*c2++ = '\0';
		for (i = 0; i < NFUNCS; i++)
			if (strcmp(item, fn_names[i]) == 0)
				break;
		if (i == NFUNCS || !parse_nth(c1, &fails[nfails].at) ||
		    !parse_rv(c2, &fails[nfails].rv))
			return false;
		fails[nfails++].fn = (enum fn)i;
	}
	return true;
}

static bool
env_ulong(const char *name, unsigned long *vp)
{
	const char *v = getenv(name);

	*vp = 0;
	if (v == NULL || *v == '\0')
		return true;
	if (parse_ulong(v, vp))
		return true;
	shim_warn("%s=%s: not a number", name, v);
	return false;
}

static bool
env_nth(const char *name, struct nth *t)
{
	const char *v = getenv(name);

	memset(t, 0, sizeof(*t));
	if (v == NULL || *v == '\0')
		return true;
	if (parse_nth(v, t))
		return true;
	shim_warn("%s=%s: want N or N+", name, v);
	return false;
}

static void
load(void)
{
	CK_C_GetFunctionList getfl;
	const char *module = getenv("P11SHIM_MODULE"), *v;
	size_t i;

	if (module == NULL || *module == '\0') {
		shim_warn("P11SHIM_MODULE is not set: name the real PKCS#11 "
		    "module");
		return;
	}
	if ((v = getenv("P11SHIM_FAIL")) != NULL && *v != '\0' &&
	    !parse_fails(v)) {
		shim_warn("P11SHIM_FAIL=%s: want FUNC:N[+]:CKR_NAME[,...]", v);
		return;
	}
	if (!env_ulong("P11SHIM_MAX_SESSIONS", &max_sessions) ||
	    !env_ulong("P11SHIM_SIGN_DELAY_MS", &delay_ms) ||
	    !env_ulong("P11SHIM_VANISH_AFTER", &vanish_after) ||
	    !env_nth("P11SHIM_CORRUPT_SIGN", &corrupt_at) ||
	    !env_nth("P11SHIM_WRONG_KEY", &wrong_key_at))
		return;
	if ((v = getenv("P11SHIM_REMOVED")) != NULL && *v != '\0')
		removed_file = v;
	if ((v = getenv("P11SHIM_STATS")) != NULL && *v != '\0')
		stats_file = v;
	lie_sensitive = (v = getenv("P11SHIM_LIE_SENSITIVE")) != NULL &&
	    strcmp(v, "1") == 0;
	lie_wwt = (v = getenv("P11SHIM_LIE_WWT")) != NULL &&
	    strcmp(v, "1") == 0;
	lie_local = (v = getenv("P11SHIM_LIE_LOCAL")) != NULL &&
	    strcmp(v, "1") == 0;
	lie_always = (v = getenv("P11SHIM_LIE_ALWAYS_SENSITIVE")) != NULL &&
	    strcmp(v, "1") == 0;
	quiet_lock = (v = getenv("P11SHIM_QUIET_LOCK")) != NULL &&
	    strcmp(v, "1") == 0;
	log_time = getenv("P11SHIM_LOG_TIME") != NULL;
	if ((v = getenv("P11SHIM_LOG")) != NULL && *v != '\0' &&
	    (log_fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		shim_warn("P11SHIM_LOG=%s: %s", v, strerror(errno));
		return;
	}
	for (i = 0; i < SESS_MAX; i++)
		pthread_mutex_init(&sessions[i].mu, NULL);
	if ((module_dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		shim_warn("cannot load %s: %s", module, dlerror());
		return;
	}
	if ((getfl = (CK_C_GetFunctionList)dlsym(module_dl, "C_GetFunctionList")) ==
	    NULL || getfl(&real) != CKR_OK || real == NULL) {
		shim_warn("%s: no usable C_GetFunctionList", module);
		return;
	}
	load_rv = CKR_OK;
}

static void
write_stats(void)
{
	char buf[256];
	int fd, n;

	if (stats_file == NULL)
		return;
	n = snprintf(buf, sizeof(buf), "sessions_peak %lu\nsessions_open %lu\n"
	    "signatures %lu\nlogins %lu\n", peak, nopen, signatures,
	    calls[I_C_Login]);
	if ((fd = open(stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return;
	if (write(fd, buf, (size_t)n) != n)
		shim_warn("%s: short write", stats_file);
	close(fd);
}

__attribute__((destructor)) static void
shim_fini(void)
{
	pthread_mutex_lock(&mu);
	write_stats();
	pthread_mutex_unlock(&mu);
}

/* Is the token out?  A new removal kills every session opened before it. */
static bool
removed_locked(void)
{
	bool out = vanished || (removed_file != NULL &&
	    access(removed_file, F_OK) == 0);

	if (out && !was_removed)
		gen++;
	was_removed = out;
	return out;
}

static bool
removed(void)
{
	bool out;

	pthread_mutex_lock(&mu);
	out = removed_locked();
	pthread_mutex_unlock(&mu);
	return out;
}

static struct sess *
sess_find(CK_SESSION_HANDLE h)
{
	size_t i;

	for (i = 0; i < SESS_MAX; i++)
		if (sessions[i].used && sessions[i].h == h)
			return &sessions[i];
	return NULL;
}

static CK_RV
done(enum fn f, CK_RV rv)
{
	char line[96];
	int n;

	if (log_fd != -1) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (log_time)
			n = snprintf(line, sizeof(line), "%ld.%06ld %ld %s 0x%lx\n",
			    (long)ts.tv_sec, ts.tv_nsec / 1000, (long)gettid(),
			    fn_names[f], (unsigned long)rv);
		else
			n = snprintf(line, sizeof(line), "%s 0x%lx\n",
			    fn_names[f], (unsigned long)rv);
		if (write(log_fd, line, (size_t)n) != n)
			shim_warn("short write to P11SHIM_LOG");
	}
	return rv;
}

/* Count the call; an injected failure for it, or CKR_OK. */
static CK_RV
pre(enum fn f)
{
	unsigned long n;
	size_t i;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&mu);
	n = ++calls[f];
	for (i = 0; i < nfails; i++)
		if (fails[i].fn == f && nth_hit(&fails[i].at, n)) {
			rv = fails[i].rv;
			break;
		}
	if (f == I_C_Login && rv == CKR_PIN_LOCKED && !quiet_lock)
		pin_locked = true;
	pthread_mutex_unlock(&mu);
	return rv;
}

static CK_RV
pre_slot(enum fn f)
{
	CK_RV rv;

	if ((rv = pre(f)) != CKR_OK)
		return rv;
	return removed() ? CKR_TOKEN_NOT_PRESENT : CKR_OK;
}

/* A removed token, or a session that did not survive its removal. */
static CK_RV
pre_session_state(CK_SESSION_HANDLE h)
{
	struct sess *s;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&mu);
	if (removed_locked())
		rv = CKR_DEVICE_REMOVED;
	else if ((s = sess_find(h)) != NULL && s->gen != gen)
		rv = CKR_SESSION_HANDLE_INVALID;
	pthread_mutex_unlock(&mu);
	return rv;
}

static CK_RV
pre_session(enum fn f, CK_SESSION_HANDLE h)
{
	CK_RV rv;

	if ((rv = pre(f)) != CKR_OK)
		return rv;
	return pre_session_state(h);
}

/* ---- wrappers that only count, inject and check presence ---- */

#define UNPAREN(...) __VA_ARGS__

#define PLAIN(fn, decl, args) \
static CK_RV \
w_##fn decl \
{ \
	CK_RV rv; \
	if ((rv = pre(I_##fn)) != CKR_OK) \
		return done(I_##fn, rv); \
	return done(I_##fn, real->fn args); \
}

/* decl and args in parentheses, each starting with a comma (or empty) */
#define SLOT(fn, decl, args) \
static CK_RV \
w_##fn(CK_SLOT_ID slot UNPAREN decl) \
{ \
	CK_RV rv; \
	if ((rv = pre_slot(I_##fn)) != CKR_OK) \
		return done(I_##fn, rv); \
	return done(I_##fn, real->fn(slot UNPAREN args)); \
}

#define SESS(fn, decl, args) \
static CK_RV \
w_##fn(CK_SESSION_HANDLE h UNPAREN decl) \
{ \
	CK_RV rv; \
	if ((rv = pre_session(I_##fn, h)) != CKR_OK) \
		return done(I_##fn, rv); \
	return done(I_##fn, real->fn(h UNPAREN args)); \
}

#define BUF2	(, CK_BYTE_PTR a, CK_ULONG al, CK_BYTE_PTR b, CK_ULONG_PTR bl)
#define BUF2A	(, a, al, b, bl)
#define BUF	(, CK_BYTE_PTR b, CK_ULONG l)
#define BUFP	(, CK_BYTE_PTR b, CK_ULONG_PTR l)
#define BUFA	(, b, l)
#define MECH	(, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
#define MECHA	(, m, k)

PLAIN(C_GetInfo, (CK_INFO_PTR info), (info))
PLAIN(C_WaitForSlotEvent, (CK_FLAGS fl, CK_SLOT_ID_PTR slot, CK_VOID_PTR r),
    (fl, slot, r))
SLOT(C_GetMechanismList, (, CK_MECHANISM_TYPE_PTR l, CK_ULONG_PTR n), (, l, n))
SLOT(C_GetMechanismInfo, (, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO_PTR i),
    (, t, i))
SLOT(C_InitToken, (, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR lab),
    (, pin, len, lab))
SESS(C_InitPIN, (, CK_UTF8CHAR_PTR pin, CK_ULONG len), (, pin, len))
SESS(C_SetPIN, (, CK_UTF8CHAR_PTR o, CK_ULONG ol, CK_UTF8CHAR_PTR n,
    CK_ULONG nl), (, o, ol, n, nl))
SESS(C_GetSessionInfo, (, CK_SESSION_INFO_PTR i), (, i))
SESS(C_GetOperationState, BUFP, BUFA)
SESS(C_SetOperationState, (, CK_BYTE_PTR s, CK_ULONG l, CK_OBJECT_HANDLE e,
    CK_OBJECT_HANDLE k), (, s, l, e, k))
SESS(C_Logout, (), ())
SESS(C_CreateObject, (, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR o), (, t, n, o))
SESS(C_CopyObject, (, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR no), (, o, t, n, no))
SESS(C_DestroyObject, (, CK_OBJECT_HANDLE o), (, o))
SESS(C_GetObjectSize, (, CK_OBJECT_HANDLE o, CK_ULONG_PTR n), (, o, n))
SESS(C_SetAttributeValue, (, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n), (, o, t, n))
SESS(C_FindObjectsInit, (, CK_ATTRIBUTE_PTR t, CK_ULONG n), (, t, n))
SESS(C_FindObjects, (, CK_OBJECT_HANDLE_PTR o, CK_ULONG m, CK_ULONG_PTR n),
    (, o, m, n))
SESS(C_FindObjectsFinal, (), ())
SESS(C_EncryptInit, MECH, MECHA)
SESS(C_Encrypt, BUF2, BUF2A)
SESS(C_EncryptUpdate, BUF2, BUF2A)
SESS(C_EncryptFinal, BUFP, BUFA)
SESS(C_DecryptInit, MECH, MECHA)
SESS(C_Decrypt, BUF2, BUF2A)
SESS(C_DecryptUpdate, BUF2, BUF2A)
SESS(C_DecryptFinal, BUFP, BUFA)
SESS(C_DigestInit, (, CK_MECHANISM_PTR m), (, m))
SESS(C_Digest, BUF2, BUF2A)
SESS(C_DigestUpdate, BUF, BUFA)
SESS(C_DigestKey, (, CK_OBJECT_HANDLE k), (, k))
SESS(C_DigestFinal, BUFP, BUFA)
SESS(C_SignUpdate, BUF, BUFA)
SESS(C_SignFinal, BUFP, BUFA)
SESS(C_SignRecoverInit, MECH, MECHA)
SESS(C_SignRecover, BUF2, BUF2A)
SESS(C_VerifyInit, MECH, MECHA)
SESS(C_Verify, (, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG sl),
    (, d, dl, s, sl))
SESS(C_VerifyUpdate, BUF, BUFA)
SESS(C_VerifyFinal, BUF, BUFA)
SESS(C_VerifyRecoverInit, MECH, MECHA)
SESS(C_VerifyRecover, BUF2, BUF2A)
SESS(C_DigestEncryptUpdate, BUF2, BUF2A)
SESS(C_DecryptDigestUpdate, BUF2, BUF2A)
SESS(C_SignEncryptUpdate, BUF2, BUF2A)
SESS(C_DecryptVerifyUpdate, BUF2, BUF2A)
SESS(C_GenerateKey, (, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR k), (, m, t, n, k))
SESS(C_GenerateKeyPair, (, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt,
    CK_ULONG pn, CK_ATTRIBUTE_PTR st, CK_ULONG sn, CK_OBJECT_HANDLE_PTR pk,
    CK_OBJECT_HANDLE_PTR sk), (, m, pt, pn, st, sn, pk, sk))
SESS(C_WrapKey, (, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w,
    CK_OBJECT_HANDLE k, CK_BYTE_PTR b, CK_ULONG_PTR l), (, m, w, k, b, l))
SESS(C_UnwrapKey, (, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w, CK_BYTE_PTR b,
    CK_ULONG l, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
    (, m, w, b, l, t, n, k))
SESS(C_DeriveKey, (, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b,
    CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), (, m, b, t, n, k))
SESS(C_SeedRandom, BUF, BUFA)
SESS(C_GenerateRandom, BUF, BUFA)
SESS(C_GetFunctionStatus, (), ())
SESS(C_CancelFunction, (), ())

/* ---- wrappers with behaviour of their own ---- */

static CK_RV
w_C_Initialize(CK_VOID_PTR args)
{
	CK_RV rv;

	if ((rv = pre(I_C_Initialize)) != CKR_OK)
		return done(I_C_Initialize, rv);
	return done(I_C_Initialize, real->C_Initialize(args));
}

static CK_RV
w_C_Finalize(CK_VOID_PTR r)
{
	CK_RV rv;

	if ((rv = pre(I_C_Finalize)) != CKR_OK)
		return done(I_C_Finalize, rv);
	pthread_mutex_lock(&mu);
	write_stats();
	pthread_mutex_unlock(&mu);
	return done(I_C_Finalize, real->C_Finalize(r));
}

static CK_RV
w_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR lp)
{
	if (lp == NULL)
		return CKR_ARGUMENTS_BAD;
	*lp = &wrapped;
	return CKR_OK;
}

/* A removed token leaves its slots empty. */
static CK_RV
w_C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR l, CK_ULONG_PTR n)
{
	CK_RV rv;

	if ((rv = pre(I_C_GetSlotList)) != CKR_OK)
		return done(I_C_GetSlotList, rv);
	if (present && removed() && n != NULL) {
		*n = 0;
		return done(I_C_GetSlotList, CKR_OK);
	}
	return done(I_C_GetSlotList, real->C_GetSlotList(present, l, n));
}

static CK_RV
w_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR si)
{
	CK_RV rv;

	if ((rv = pre(I_C_GetSlotInfo)) != CKR_OK)
		return done(I_C_GetSlotInfo, rv);
	rv = real->C_GetSlotInfo(slot, si);
	if (rv == CKR_OK && removed())
		si->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
	return done(I_C_GetSlotInfo, rv);
}

/* The session cap and a locked PIN show in the token's own info. */
static CK_RV
w_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR ti)
{
	CK_RV rv;

	if ((rv = pre_slot(I_C_GetTokenInfo)) != CKR_OK)
		return done(I_C_GetTokenInfo, rv);
	if ((rv = real->C_GetTokenInfo(slot, ti)) == CKR_OK) {
		pthread_mutex_lock(&mu);
		if (max_sessions > 0) {
			ti->ulMaxSessionCount = max_sessions;
			ti->ulMaxRwSessionCount = max_sessions;
			ti->ulSessionCount = nopen;
			ti->ulRwSessionCount = nopen;
		}
		if (pin_locked)
			ti->flags |= CKF_USER_PIN_LOCKED;
		pthread_mutex_unlock(&mu);
	}
	return done(I_C_GetTokenInfo, rv);
}

static CK_RV
w_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS fl, CK_VOID_PTR app,
    CK_NOTIFY notify, CK_SESSION_HANDLE_PTR hp)
{
	CK_SESSION_HANDLE h;
	size_t i;
	CK_RV rv;

	if ((rv = pre_slot(I_C_OpenSession)) != CKR_OK)
		return done(I_C_OpenSession, rv);
	pthread_mutex_lock(&mu);
	if (max_sessions > 0 && nopen >= max_sessions) {
		pthread_mutex_unlock(&mu);
		return done(I_C_OpenSession, CKR_SESSION_COUNT);
	}
	for (i = 0; i < SESS_MAX && sessions[i].used; i++)
		;
	if (i == SESS_MAX) {
		pthread_mutex_unlock(&mu);
		return done(I_C_OpenSession, CKR_SESSION_COUNT);
	}
	if ((rv = real->C_OpenSession(slot, fl, app, notify, &h)) == CKR_OK) {
		sessions[i].used = true;
		sessions[i].h = h;
		sessions[i].slot = slot;
		sessions[i].gen = gen;
		if (++nopen > peak) {
			peak = nopen;
			write_stats();
		}
		*hp = h;
	}
	pthread_mutex_unlock(&mu);
	return done(I_C_OpenSession, rv);
}

static CK_RV
w_C_CloseSession(CK_SESSION_HANDLE h)
{
	struct sess *s;
	CK_RV rv, prv;

	prv = pre_session(I_C_CloseSession, h);
	/* the real session goes whatever the shim answers */
	pthread_mutex_lock(&mu);
	rv = real->C_CloseSession(h);
	if ((s = sess_find(h)) != NULL) {
		s->used = false;
		nopen--;
	}
	pthread_mutex_unlock(&mu);
	return done(I_C_CloseSession, prv != CKR_OK ? prv : rv);
}

static CK_RV
w_C_CloseAllSessions(CK_SLOT_ID slot)
{
	size_t i;
	CK_RV rv, prv;

	prv = pre(I_C_CloseAllSessions);
	pthread_mutex_lock(&mu);
	rv = real->C_CloseAllSessions(slot);
	for (i = 0; i < SESS_MAX; i++)
		if (sessions[i].used && sessions[i].slot == slot) {
			sessions[i].used = false;
			nopen--;
		}
	pthread_mutex_unlock(&mu);
	return done(I_C_CloseAllSessions, prv != CKR_OK ? prv : rv);
}

static CK_RV
w_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin,
    CK_ULONG len)
{
	CK_RV rv;

	if ((rv = pre_session(I_C_Login, h)) != CKR_OK)
		return done(I_C_Login, rv);
	return done(I_C_Login, real->C_Login(h, u, pin, len));
}

/* Another private key of the same type, or k itself. */
static CK_OBJECT_HANDLE
other_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
	};
	CK_OBJECT_HANDLE objs[16], pick = k;
	CK_ULONG n = 0, i;

	if (real->C_GetAttributeValue(h, k, &a, 1) != CKR_OK ||
	    real->C_FindObjectsInit(h, tmpl, 2) != CKR_OK)
		return k;
	if (real->C_FindObjects(h, objs, 16, &n) != CKR_OK)
		n = 0;
	real->C_FindObjectsFinal(h);
	for (i = 0; i < n; i++)
		if (objs[i] != k) {
			pick = objs[i];
			break;
		}
	return pick;
}

static CK_RV
w_C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	struct sess *s;
	unsigned long n;
	CK_RV rv;

	if ((rv = pre_session(I_C_SignInit, h)) != CKR_OK)
		return done(I_C_SignInit, rv);
	pthread_mutex_lock(&mu);
	n = ++sign_inits;
	if ((s = sess_find(h)) != NULL) {
		/* a signature's time starts here: the module's C_SignInit is part of it */
		clock_gettime(CLOCK_MONOTONIC, &s->t_init);
		s->have_init = true;
	}
	pthread_mutex_unlock(&mu);
	if (nth_hit(&wrong_key_at, n))
		k = other_key(h, k);
	return done(I_C_SignInit, real->C_SignInit(h, m, k));
}

/*
 * Until ms after t0: a signature takes delay_ms in all, from its
 * C_SignInit to the end of its C_Sign, the real module's own time
 * included (SoftHSM re-reads the key's object file at each C_SignInit),
 * so the token signs 1000 / delay_ms a second on a session (what a slow
 * HSM's data sheet says), not fewer.
 */
static void
sleep_until(const struct timespec *t0, unsigned long ms)
{
	struct timespec ts = *t0;
	int slack;

	/*
	 * A token's answer wakes the caller when it arrives; a timer wakes
	 * it up to the thread's timer slack (50 us) late.  Sleep exactly.
	 */
	slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);

	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
	if (slack > 0)
		prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
}

/* End the signing operation of an injected C_Sign failure, as a token would. */
static void
finish_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl)
{
	CK_BYTE buf[1024];
	CK_ULONG len = sizeof(buf);

	real->C_Sign(h, d, dl, buf, &len);
}

/*
 * A signature takes delay_ms, one at a time on a session and in parallel
 * across sessions.  The VANISH_AFTERth signature is the token's last.
 */
static CK_RV
w_C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig,
    CK_ULONG_PTR sl)
{
	struct timespec t0;
	struct sess *s;
	unsigned long n;
	int fd;
	CK_RV rv;

	if ((rv = pre(I_C_Sign)) != CKR_OK) {
		/* a failed C_Sign ends the operation (PKCS#11 5.12) */
		finish_sign(h, d, dl);
		return done(I_C_Sign, rv);
	}
	if ((rv = pre_session_state(h)) != CKR_OK)
		return done(I_C_Sign, rv);
	if (sig == NULL)	/* a length query */
		return done(I_C_Sign, real->C_Sign(h, d, dl, sig, sl));
	pthread_mutex_lock(&mu);
	s = sess_find(h);
	pthread_mutex_unlock(&mu);
	if (s != NULL)
		pthread_mutex_lock(&s->mu);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&mu);
	if (s != NULL && s->have_init) {
		t0 = s->t_init;		/* from C_SignInit: its time counts too */
		s->have_init = false;
	}
	pthread_mutex_unlock(&mu);
	rv = real->C_Sign(h, d, dl, sig, sl);
	if (delay_ms > 0)
		sleep_until(&t0, delay_ms);
	if (s != NULL)
		pthread_mutex_unlock(&s->mu);
	if (rv != CKR_OK)
		return done(I_C_Sign, rv);
	pthread_mutex_lock(&mu);
	n = ++signatures;
	if (vanish_after > 0 && n == vanish_after) {
		if (removed_file != NULL &&
		    (fd = open(removed_file, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600)) != -1)
			close(fd);
		else
			vanished = true;
	}
	pthread_mutex_unlock(&mu);
	if (nth_hit(&corrupt_at, n) && *sl > 0)
		sig[*sl / 4] ^= 0x5a;
	return done(I_C_Sign, rv);
}

/*
 * A token that says a key is not sensitive, not wrap-with-trusted, not
 * generated on it (LOCAL) or not always sensitive, when it is.
 */
static bool
lie_about(CK_ATTRIBUTE_TYPE type)
{
	return (lie_sensitive && type == CKA_SENSITIVE) ||
	    (lie_wwt && type == CKA_WRAP_WITH_TRUSTED) ||
	    (lie_local && type == CKA_LOCAL) ||
	    (lie_always && type == CKA_ALWAYS_SENSITIVE);
}

static CK_RV
w_C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_ULONG i;
	CK_RV rv;

	if ((rv = pre_session(I_C_GetAttributeValue, h)) != CKR_OK)
		return done(I_C_GetAttributeValue, rv);
	rv = real->C_GetAttributeValue(h, o, t, n);
	if (rv == CKR_OK)
		for (i = 0; i < n; i++)
			if (lie_about(t[i].type) && t[i].pValue != NULL &&
			    t[i].ulValueLen == sizeof(CK_BBOOL))
				*(CK_BBOOL *)t[i].pValue = CK_FALSE;
	return done(I_C_GetAttributeValue, rv);
}

static void
build(void)
{
	load();
	if (load_rv != CKR_OK)
		return;
	wrapped.version = real->version;
#define X(f) wrapped.f = w_##f;
	FUNCS(X)
#undef X
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR lp)
{
	pthread_once(&once, build);
	if (load_rv != CKR_OK)
		return load_rv;
	return w_C_GetFunctionList(lp);
}
