/* test-prompt.c: PIN sources: environment (unset after use), owner-only file, hooks (told the attempt and the token's warnings); the insert-token prompt's routing; no copy of a PIN left in the process after any of them, success or error. */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "prompt.h"

static char last_what[1024];

static int
hook(void *arg, const char *what, char *buf, size_t size)
{
	snprintf(last_what, sizeof(last_what), "%s", what);
	snprintf(buf, size, "%s", (const char *)arg);
	return 0;
}

static struct pin_request last_req;
static char last_prev[256];

static int
req_hook(void *arg, const struct pin_request *req, char *buf, size_t size)
{
	last_req = *req;
	snprintf(last_prev, sizeof(last_prev), "%s", req->previous != NULL ?
	    req->previous : "(none)");
	snprintf(buf, size, "%s", (const char *)arg);
	return 0;
}

static int
empty_hook(void *arg, const struct pin_request *req, char *buf, size_t size)
{
	(void)arg;
	(void)req;
	(void)size;
	buf[0] = '\0';
	return 0;
}

static unsigned token_calls, token_attempt;

static int
token_yes(void *arg, const char *what, unsigned attempt)
{
	(void)arg;
	token_calls++;
	token_attempt = attempt;
	snprintf(last_what, sizeof(last_what), "%s", what);
	return 0;
}

static int
token_no(void *arg, const char *what, unsigned attempt)
{
	(void)arg;
	(void)what;
	(void)attempt;
	return AIRCA_ERR_IO;	/* any failure of the front end is a cancel */
}

/*
 * PIN copies.  A test PIN exists in clear only where prompt.c and the
 * test's PIN source put it: the test keeps it masked (XOR MASK) and
 * unmasks it byte by byte into the one place under test.  pin_copies()
 * counts it in every readable page of the process (/proc/self/mem), and
 * first in the dead stack below its caller, read before any call of its
 * own can reuse that stack.
 */
#define MASK	0x5a
#define PIN_LEN	24

struct secret {
	unsigned char m[PIN_LEN];	/* the PIN, masked */
};

static int memfd = -1;
static unsigned char snap[128 * 1024];	/* the dead stack */
static unsigned char chunk[64 * 1024];
static char maps[256 * 1024];

static void
secret_new(struct secret *s)
{
	unsigned char r[PIN_LEN];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		abort();
	for (i = 0; i < PIN_LEN; i++)
		s->m[i] = (unsigned char)(('A' + r[i] % 26) ^ MASK);
	explicit_bzero(r, sizeof(r));
}

/* The PIN in clear into dst (PIN_LEN bytes and a NUL). */
static void
secret_put(const struct secret *s, char *dst)
{
	size_t i;

	for (i = 0; i < PIN_LEN; i++)
		dst[i] = (char)(s->m[i] ^ MASK);
	dst[PIN_LEN] = '\0';
}

/* Copies of s starting in p[0..starts) (p holds starts + PIN_LEN - 1 bytes or fewer). */
static size_t
count_in(const unsigned char *p, size_t n, size_t starts, const struct secret *s)
{
	size_t i, j, c = 0;

	for (i = 0; i < starts && i + PIN_LEN <= n; i++) {
		for (j = 0; j < PIN_LEN && p[i + j] == (s->m[j] ^ MASK); j++)
			;
		if (j == PIN_LEN)
			c++;
	}
	return c;
}

/* pread(2) with no libc frame of its own, so the dead stack stays as it is. */
static ssize_t
raw_pread(int fd, void *buf, size_t n, uintptr_t off)
{
#if defined(__x86_64__)
	long r;
	register long r10 __asm__("r10") = (long)off;

	__asm__ __volatile__("syscall" : "=a"(r) : "0"((long)SYS_pread64),
	    "D"((long)fd), "S"(buf), "d"(n), "r"(r10) : "rcx", "r11", "memory");
	return r;
#else
	return pread(fd, buf, n, (off_t)off);
#endif
}

static size_t __attribute__((noinline))
pin_copies(const struct secret *s)
{
	uintptr_t fa = (uintptr_t)__builtin_frame_address(0), lo, hi, off;
	size_t n = 0, len = 0, step;
	ssize_t got;
	char *line, *next, *end;
	int fd;

	got = raw_pread(memfd, snap, sizeof(snap), fa - sizeof(snap));
	if (got > 0)
		n += count_in(snap, (size_t)got, (size_t)got, s);
	explicit_bzero(snap, sizeof(snap));
	if ((fd = open("/proc/self/maps", O_RDONLY)) == -1)
		abort();
	while (len < sizeof(maps) - 1 &&
	    (got = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	maps[len] = '\0';
	step = sizeof(chunk) - (PIN_LEN - 1);
	for (line = maps; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lo = strtoull(line, &end, 16);
		hi = strtoull(end + 1, &end, 16);
		if (end[1] != 'r' || hi - lo > (1UL << 30) ||
		    strstr(line, "[vvar]") != NULL ||
		    strstr(line, "[vsyscall]") != NULL)
			continue;
		for (off = lo; off < hi; off += step) {
			size_t want = hi - off < sizeof(chunk) ? hi - off :
			    sizeof(chunk);

			if ((got = pread(memfd, chunk, want, (off_t)off)) <= 0)
				break;
			n += count_in(chunk, (size_t)got, off + step >= hi ?
			    (size_t)got : step, s);
			explicit_bzero(chunk, sizeof(chunk));
		}
	}
	return n;
}

static bool
all_zero(const char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (buf[i] != '\0')
			return false;
	return true;
}

/* A hook that gives the PIN and then fails (a front end cancelled late). */
static int
leaky_hook(void *arg, const struct pin_request *req, char *buf, size_t size)
{
	(void)req;
	if (size > PIN_LEN)
		secret_put(arg, buf);
	return AIRCA_ERR_CANCELLED;
}

/* A hook that fills the whole buffer with no NUL. */
static int
unterminated_hook(void *arg, const char *what, char *buf, size_t size)
{
	const struct secret *s = arg;
	size_t i;

	(void)what;
	for (i = 0; i < size; i++)
		buf[i] = (char)(s->m[i % PIN_LEN] ^ MASK);
	return 0;
}

/* The PIN into path (0600) with write(2): no stdio buffer holds it. */
static void
pin_file(const char *path, const struct secret *s, size_t pad)
{
	char clear[PIN_LEN + 1];
	int fd;
	size_t i;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	for (i = 0; i < pad; i++)	/* pad: a first line longer than allowed */
		if (write(fd, "x", 1) != 1)
			abort();
	secret_put(s, clear);
	if (write(fd, clear, PIN_LEN) != PIN_LEN || write(fd, "\n", 1) != 1)
		abort();
	explicit_bzero(clear, sizeof(clear));
	close(fd);
}

/* VAR=PIN through putenv(): setenv() would leave a copy on its stack. */
static void
pin_env(const char *var, const struct secret *s)
{
	static char entry[2][128];	/* putenv() keeps the string itself */
	static int which;
	char *e = entry[which++ % 2];
	size_t n = strlen(var);

	memcpy(e, var, n);
	e[n] = '=';
	secret_put(s, e + n + 1);
	putenv(e);
}

/*
 * Every PIN source, on its error paths and after a success: the caller's
 * buffer is all zeros after an error, and no other copy is left anywhere
 * in the process (the one --pin-env keeps for the next login excepted).
 */
static void
check_no_copies(void)
{
	struct pin_source src = { NULL, NULL };
	struct pin_request req = { "user PIN for token 'x'", 1, 3, false,
	    false, NULL };
	struct secret s;
	char buf[64], small[8], path[] = "/tmp/airca-test-pinw.XXXXXX";
	size_t n;
	int fd, r;

	if ((memfd = open("/proc/self/mem", O_RDONLY)) == -1 ||
	    (fd = mkstemp(path)) == -1)
		abort();
	close(fd);
	secret_new(&s);
	CHECK(pin_copies(&s) == 0);		/* the scanner sees no ghost */
	pin_env("AIRCA_T_W", &s);
	CHECK(pin_copies(&s) == 1);		/* and finds a real copy */

	/* --pin-env, longer than the caller's buffer: the string wiped */
	src.env = "AIRCA_T_W";
	r = prompt_pin(&src, "PIN", small, sizeof(small));
	n = pin_copies(&s);
	CHECK(r == AIRCA_ERR_USAGE);
	CHECK(all_zero(small, sizeof(small)));
	CHECK(n == 0);
	CHECK(getenv("AIRCA_T_W") == NULL);
	/* --pin-env, success: the caller's buffer and the kept copy only */
	secret_new(&s);
	pin_env("AIRCA_T_W", &s);
	r = prompt_pin(&src, "PIN", buf, sizeof(buf));
	n = pin_copies(&s);
	CHECK(r == 0 && n == 2);
	explicit_bzero(buf, sizeof(buf));
	CHECK(pin_copies(&s) == 1);
	src.env = NULL;

	/* --pin-file: too long for the caller, a first line too long, success */
	src.file = path;
	secret_new(&s);
	pin_file(path, &s, 0);
	r = prompt_pin(&src, "PIN", small, sizeof(small));
	n = pin_copies(&s);
	CHECK(r == AIRCA_ERR_INPUT);
	CHECK(all_zero(small, sizeof(small)));
	CHECK(n == 0);
	secret_new(&s);
	pin_file(path, &s, 240);
	r = prompt_pin(&src, "PIN", buf, sizeof(buf));
	n = pin_copies(&s);
	CHECK(r == AIRCA_ERR_INPUT);
	CHECK(all_zero(buf, sizeof(buf)));
	CHECK(n == 0);
	secret_new(&s);
	pin_file(path, &s, 0);
	r = prompt_pin(&src, "PIN", buf, sizeof(buf));
	n = pin_copies(&s);
	CHECK(r == 0 && n == 1);		/* the caller's buffer */
	explicit_bzero(buf, sizeof(buf));
	CHECK(pin_copies(&s) == 0);
	unlink(path);
	src.file = NULL;

	/* a hook that fills the buffer and fails, or leaves no NUL */
	secret_new(&s);
	prompt_set_pin_request_hook(leaky_hook, &s);
	r = prompt_pin_request(&src, &req, buf, sizeof(buf));
	n = pin_copies(&s);
	CHECK(r == AIRCA_ERR_CANCELLED);
	CHECK(all_zero(buf, sizeof(buf)));
	CHECK(n == 0);
	prompt_set_pin_request_hook(NULL, NULL);
	secret_new(&s);
	prompt_set_pin_hook(unterminated_hook, &s);
	r = prompt_pin(&src, "PIN", buf, sizeof(buf));
	n = pin_copies(&s);
	CHECK(r == AIRCA_ERR_CANCELLED);
	CHECK(all_zero(buf, sizeof(buf)));
	CHECK(n == 0);
	prompt_set_pin_hook(NULL, NULL);
	close(memfd);
}

/*
 * The copy --pin-env keeps for the next login is wiped when the process
 * exits.  In a fresh process (this binary again, "--exit-wipe"), whose own
 * atexit handler, registered before prompt.c's and so run after it,
 * counts the copies left.
 */
static struct secret exit_secret;

static void
exit_count(void)
{
	if (pin_copies(&exit_secret) != 0)
		_exit(3);
}

static int
exit_wipe_child(void)
{
	struct pin_source src = { NULL, NULL };
	char buf[64];

	if ((memfd = open("/proc/self/mem", O_RDONLY)) == -1)
		return 2;
	atexit(exit_count);
	secret_new(&exit_secret);
	pin_env("AIRCA_T_X", &exit_secret);
	src.env = "AIRCA_T_X";
	if (prompt_pin(&src, "PIN", buf, sizeof(buf)) != 0)
		return 4;
	explicit_bzero(buf, sizeof(buf));
	if (pin_copies(&exit_secret) != 1)	/* the kept copy, until exit */
		return 5;
	return 0;
}

static void
check_exit_wipe(const char *self)
{
	pid_t pid;
	int status = -1;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		execl(self, self, "--exit-wipe", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "exit-wipe child: status 0x%x (3: the kept PIN "
		    "was not wiped at exit)\n", status);
}

int
main(int argc, char **argv)
{
	struct pin_source src = { NULL, NULL };
	char buf[64], path[] = "/tmp/airca-test-pin.XXXXXX";
	FILE *f;
	int fd;

	if (argc > 1 && strcmp(argv[1], "--exit-wipe") == 0)
		return exit_wipe_child();
	check_no_copies();
	check_exit_wipe(argv[0]);
	setenv("AIRCA_T_PIN", "1234", 1);
	src.env = "AIRCA_T_PIN";
	CHECK(prompt_pin(&src, "PIN", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "1234");
	CHECK(getenv("AIRCA_T_PIN") == NULL);		/* unset after use */
	/* a ceremony logs in again later in the same process: kept, not re-read */
	memset(buf, 0, sizeof(buf));
	CHECK(prompt_pin(&src, "PIN", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "1234");
	CHECK(getenv("AIRCA_T_PIN") == NULL);
	src.env = "AIRCA_T_OTHER";
	CHECK_ERR(prompt_pin(&src, "PIN", buf, sizeof(buf)), AIRCA_ERR_USAGE,
	    "not set");
	src.env = "AIRCA_T_PIN";
	setenv("AIRCA_T_PIN", "", 1);
	CHECK_ERR(prompt_pin(&src, "PIN", buf, sizeof(buf)), AIRCA_ERR_USAGE,
	    "empty");
	setenv("AIRCA_T_PIN", "0123456789", 1);
	CHECK_ERR(prompt_pin(&src, "PIN", buf, 8), AIRCA_ERR_USAGE, "longer");
	CHECK(buf[0] == '\0');				/* wiped on error */

	src.env = NULL;
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return 1;
	fputs("5678\r\nsecond\n", f);
	fclose(f);
	src.file = path;
	chmod(path, 0644);
	CHECK_ERR(prompt_pin(&src, "PIN", buf, sizeof(buf)), AIRCA_ERR_UNSAFE,
	    "chmod 600");
	chmod(path, 0600);
	CHECK(prompt_pin(&src, "PIN", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "5678");
	unlink(path);

	src.file = NULL;
	prompt_set_pin_hook(hook, "from-tui");
	CHECK(prompt_pin(&src, "PIN", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "from-tui");

	/* the older hook gets the request in words from the second attempt on */
	struct pin_request req = { "user PIN for token 'x'", 1, 3, false,
	    false, NULL };
	CHECK(prompt_pin_request(&src, &req, buf, sizeof(buf)) == 0);
	CHECK_STR(last_what, "user PIN for token 'x'");
	req.attempt = 2;
	req.final_try = true;
	req.previous = "wrong user PIN for token 'x'";
	CHECK(prompt_pin_request(&src, &req, buf, sizeof(buf)) == 0);
	CHECK(strstr(last_what, "attempt 2 of 3") != NULL);
	CHECK(strstr(last_what, "FINAL TRY") != NULL);
	/* one line for a hook: "PREVIOUS; WHAT, attempt ..." */
	CHECK(strncmp(last_what, "wrong user PIN for token 'x'; user PIN", 38) == 0);
	CHECK(strchr(last_what, '\n') == NULL);
	req.final_try = false;
	req.count_low = true;
	CHECK(prompt_pin_request(&src, &req, buf, sizeof(buf)) == 0);
	CHECK(strstr(last_what, "few tries are left") != NULL);

	/* the request hook takes precedence and is told everything */
	prompt_set_pin_request_hook(req_hook, "from-request-hook");
	last_what[0] = '\0';
	CHECK(prompt_pin_request(&src, &req, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "from-request-hook");
	CHECK(last_what[0] == '\0');			/* the old hook not called */
	CHECK(last_req.attempt == 2 && last_req.attempts == 3);
	CHECK(last_req.count_low && !last_req.final_try);
	CHECK_STR(last_prev, "wrong user PIN for token 'x'");
	CHECK_STR(last_req.what, "user PIN for token 'x'");
	/* a PIN given in advance wins over any hook */
	setenv("AIRCA_T_PIN2", "env-pin", 1);
	src.env = "AIRCA_T_PIN2";
	CHECK(prompt_pin_automatic(&src));
	CHECK(prompt_pin_request(&src, &req, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "env-pin");
	src.env = NULL;
	CHECK(!prompt_pin_automatic(&src));
	/* a hook that gives nothing is a cancel, and the buffer is wiped */
	prompt_set_pin_request_hook(empty_hook, NULL);
	CHECK_ERR(prompt_pin_request(&src, &req, buf, sizeof(buf)),
	    AIRCA_ERR_CANCELLED, "no PIN entered");
	prompt_set_pin_request_hook(NULL, NULL);
	prompt_set_pin_hook(NULL, NULL);

	/* insert token: the hook, else the terminal, else nobody (NOTFOUND) */
	prompt_set_token_hook(token_yes, NULL);
	CHECK(prompt_token(&src, "Insert token 'Factory Root 2026'", 2) == 0);
	CHECK(token_calls == 1 && token_attempt == 2);
	CHECK_STR(last_what, "Insert token 'Factory Root 2026'");
	prompt_set_token_hook(token_no, NULL);
	CHECK_ERR(prompt_token(&src, "Insert token 't'", 1),
	    AIRCA_ERR_CANCELLED, "Insert token 't': cancelled");
	prompt_set_token_hook(NULL, NULL);
	/* a front end's PIN hook without a token hook: no tty prompt under it */
	prompt_set_pin_hook(hook, "x");
	CHECK(prompt_token(&src, "Insert token 't'", 1) == AIRCA_ERR_NOTFOUND);
	prompt_set_pin_hook(NULL, NULL);
	src.file = "/nonexistent";			/* automation: never waits */
	CHECK(prompt_token(&src, "Insert token 't'", 1) == AIRCA_ERR_NOTFOUND);
	src.file = NULL;
	if (freopen("/dev/null", "r", stdin) == NULL)	/* no terminal on stdin */
		return 1;
	CHECK(prompt_token(&src, "Insert token 't'", 1) == AIRCA_ERR_NOTFOUND);
	CHECK(token_calls == 1);
	CHECK_DONE();
}
