/* prompt.c: where PINs come from: an environment variable, a file, a front end's hook or a no-echo prompt on /dev/tty. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"
#include "prompt.h"
#include "util.h"

#define PIN_FILE_MAX	256	/* bytes read from a PIN file */

static pin_hook_fn pin_hook;
static void *pin_hook_arg;
static pin_request_fn pin_request_hook;
static void *pin_request_arg;
static token_hook_fn token_hook;
static void *token_hook_arg;

#define TOKEN_ANSWER_MAX	64

/* The terminal state to restore from a signal handler. */
static volatile sig_atomic_t tty_restore_fd = -1;
static struct termios tty_saved;

#define PIN_MAX_ENV	256

static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

void
prompt_set_pin_hook(pin_hook_fn fn, void *arg)
{
	pin_hook = fn;
	pin_hook_arg = arg;
}

void
prompt_set_pin_request_hook(pin_request_fn fn, void *arg)
{
	pin_request_hook = fn;
	pin_request_arg = arg;
}

void
prompt_set_token_hook(token_hook_fn fn, void *arg)
{
	token_hook = fn;
	token_hook_arg = arg;
}

bool
prompt_pin_automatic(const struct pin_source *src)
{
	return src != NULL && (src->env != NULL || src->file != NULL);
}

/*
 * A PIN taken from the environment is removed from it at once (no later
 * getenv(), no child) and kept here, so that a ceremony running several
 * token steps in one process can log in again.  Only for --pin-env (files
 * are re-read, prompts re-asked).  The copy lives in a page of its own:
 * locked (never swapped), left out of core dumps (MADV_DONTDUMP), not
 * inherited (MADV_WIPEONFORK), and wiped at exit.
 */
static char *env_pin;		/* PIN_MAX_ENV bytes, or NULL */
static char env_var[128];
static bool env_cached;

static void
env_pin_wipe(void)
{
	if (env_pin != NULL)
		explicit_bzero(env_pin, PIN_MAX_ENV);
	env_cached = false;
}

/* The page for env_pin; false if there is none (the PIN is then not kept). */
static bool
env_pin_page(void)
{
	long pg;
	void *p;

	if (env_pin != NULL)
		return true;
	if ((pg = sysconf(_SC_PAGESIZE)) < PIN_MAX_ENV)
		return false;
	p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	if (madvise(p, (size_t)pg, MADV_DONTDUMP) == -1) {
		munmap(p, (size_t)pg);
		return false;
	}
	(void)madvise(p, (size_t)pg, MADV_WIPEONFORK);
	(void)mlock(p, (size_t)pg);	/* best effort: RLIMIT_MEMLOCK */
	env_pin = p;
	atexit(env_pin_wipe);
	return true;
}

static int
pin_from_env(const char *var, char *buf, size_t size)
{
	char *v;
	size_t len;
	int r;

	if (env_cached && strcmp(var, env_var) == 0 &&
	    (v = getenv(var)) == NULL) {
		len = strnlen(env_pin, PIN_MAX_ENV);
		if (len >= size)
			return airca_errf(AIRCA_ERR_USAGE, "--pin-env %s: longer "
			    "than %zu bytes", var, size - 1);
		memcpy(buf, env_pin, len + 1);
		return 0;
	}
	if ((v = getenv(var)) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--pin-env %s: the variable "
		    "is not set", var);
	len = strlen(v);
	if (len == 0)
		r = airca_errf(AIRCA_ERR_USAGE, "--pin-env %s: the variable is "
		    "empty", var);
	else if (len >= size || len >= PIN_MAX_ENV)
		r = airca_errf(AIRCA_ERR_USAGE, "--pin-env %s: longer than %zu "
		    "bytes", var, size - 1);
	else {
		memcpy(buf, v, len + 1);
		env_pin_wipe();
		if (env_pin_page() && strlen(var) < sizeof(env_var)) {
			memcpy(env_pin, v, len + 1);
			snprintf(env_var, sizeof(env_var), "%s", var);
			env_cached = true;
		}
		r = 0;
	}
	/* no child process, no later getenv() gets it */
	explicit_bzero(v, len);
	unsetenv(var);
	return r;
}

static int
pin_from_file(const char *path, char *buf, size_t size)
{
	char tmp[PIN_FILE_MAX + 1];
	struct stat st;
	size_t len = 0, n;
	ssize_t got;
	int fd = -1, r = AIRCA_ERR_INTERNAL;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) ==
	    -1) {
		r = airca_errf(errno == ELOOP ? AIRCA_ERR_UNSAFE : AIRCA_ERR_IO,
		    "--pin-file %s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (a symlink: name the file itself)" : "");
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "--pin-file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "--pin-file %s: not a regular "
		    "file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "--pin-file %s: mode %04o lets "
		    "group or others at the PIN: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (len < sizeof(tmp)) {
		if ((got = read(fd, tmp + len, sizeof(tmp) - len)) == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "--pin-file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	for (n = 0; n < len && tmp[n] != '\n' && tmp[n] != '\r'; n++)
		;
	if (n == len && len == sizeof(tmp)) {
		r = airca_errf(AIRCA_ERR_INPUT, "--pin-file %s: first line "
		    "longer than %d bytes", path, PIN_FILE_MAX);
		goto out;
	}
	if (n == 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "--pin-file %s: the first line "
		    "is empty", path);
		goto out;
	}
	if (n >= size || memchr(tmp, '\0', n) != NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "--pin-file %s: the PIN is "
		    "longer than %zu bytes or holds a NUL byte", path, size - 1);
		goto out;
	}
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	r = 0;
 out:
	explicit_bzero(tmp, sizeof(tmp));
	if (fd != -1)
		close(fd);
	return r;
}

/* Put the terminal back, then die of the signal as if we had not caught it. */
static void
tty_signal(int sig)
{
	int fd = tty_restore_fd;

	if (fd != -1)
		tcsetattr(fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * One line from the terminal fd into buf (size bytes, NUL-terminated,
 * without its newline).  Bytes past the buffer are read and dropped, and
 * *toolongp says so.  End of input is AIRCA_ERR_CANCELLED with eofmsg.
 */
static int
tty_read_line(int fd, char *buf, size_t size, bool *toolongp,
    const char *eofmsg)
{
	ssize_t got;
	size_t len = 0;
	char c;

	int r;

	*toolongp = false;
	for (;;) {
		if ((got = read(fd, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "/dev/tty: %s",
			    strerror(errno));
			break;
		}
		if (got == 0) {
			r = airca_errf(AIRCA_ERR_CANCELLED, "%s", eofmsg);
			break;
		}
		if (c == '\n' || c == '\r') {
			r = 0;
			break;
		}
		if (len + 1 < size)
			buf[len++] = c;
		else
			*toolongp = true;
	}
	buf[len] = '\0';
	explicit_bzero(&c, sizeof(c));	/* the last byte of a PIN read */
	return r;
}

static int
pin_from_tty(const char *what, char *buf, size_t size)
{
	struct sigaction sa, old[NSIGNALS];
	struct termios noecho;
	size_t i;
	bool saved = false, handlers = false, toolong = false;
	int fd = -1, r = AIRCA_ERR_INTERNAL;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    !isatty(fd)) {
		r = airca_errf(AIRCA_ERR_USAGE, "no PIN source: use --pin-env "
		    "VAR or --pin-file F, or run on a terminal");
		goto out;
	}
	if (tcgetattr(fd, &tty_saved) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "/dev/tty: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++)
		sigaction(tty_signals[i], &sa, &old[i]);
	handlers = true;
	tty_restore_fd = fd;
	noecho = tty_saved;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	noecho.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &noecho) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "/dev/tty: cannot turn echo off: "
		    "%s", strerror(errno));
		goto out;
	}
	saved = true;
	dprintf(fd, "%s: ", what);
	if ((r = tty_read_line(fd, buf, size, &toolong, "no PIN entered")) != 0)
		goto out;
	if (toolong) {
		r = airca_errf(AIRCA_ERR_INPUT, "the PIN is longer than %zu "
		    "bytes", size - 1);
		goto out;
	}
	if (buf[0] == '\0') {
		r = airca_errf(AIRCA_ERR_CANCELLED, "no PIN entered");
		goto out;
	}
	r = 0;
 out:
	if (saved) {
		tcsetattr(fd, TCSAFLUSH, &tty_saved);
		dprintf(fd, "\n");
	}
	tty_restore_fd = -1;
	if (handlers)
		for (i = 0; i < NSIGNALS; i++)
			sigaction(tty_signals[i], &old[i], NULL);
	if (r != 0)
		explicit_bzero(buf, size);
	if (fd != -1)
		close(fd);
	return r;
}

int
prompt_pin(const struct pin_source *src, const char *what, char *buf,
    size_t size)
{
	int r;

	if (size < 2)
		return airca_errf(AIRCA_ERR_INTERNAL, "PIN buffer too small");
	buf[0] = '\0';
	if (src != NULL && src->env != NULL)
		r = pin_from_env(src->env, buf, size);
	else if (src != NULL && src->file != NULL)
		r = pin_from_file(src->file, buf, size);
	else if (pin_hook != NULL) {
		r = pin_hook(pin_hook_arg, what, buf, size);
		if (r == 0 && (memchr(buf, '\0', size) == NULL || buf[0] == '\0'))
			r = airca_errf(AIRCA_ERR_CANCELLED, "no PIN entered");
	} else
		r = pin_from_tty(what, buf, size);
	if (r != 0)
		explicit_bzero(buf, size);
	wipe_stack();	/* what the sources' callees left (see util.h) */
	return r;
}

int
prompt_pin_request(const struct pin_source *src,
    const struct pin_request *req, char *buf, size_t size)
{
	char what[1024];
	int r;

	if (prompt_pin_automatic(src) || pin_request_hook == NULL) {
		/* the request in words, for an older hook and the terminal */
		if (req->attempt <= 1 && !req->count_low && !req->final_try)
			snprintf(what, sizeof(what), "%s", req->what);
		else
			/* a hook shows one line; the terminal gets two */
			snprintf(what, sizeof(what), "%s%s%s, attempt %u of "
			    "%u%s", req->previous != NULL ? req->previous : "",
			    req->previous == NULL ? "" : pin_hook != NULL &&
			    !prompt_pin_automatic(src) ? "; " : "\n", req->what,
			    req->attempt, req->attempts, req->final_try ?
			    " (FINAL TRY: one more wrong PIN locks the token)" :
			    req->count_low ? " (the token has counted wrong "
			    "PINs: few tries are left)" : "");
		return prompt_pin(src, what, buf, size);
	}
	if (size < 2)
		return airca_errf(AIRCA_ERR_INTERNAL, "PIN buffer too small");
	buf[0] = '\0';
	r = pin_request_hook(pin_request_arg, req, buf, size);
	if (r == 0 && (memchr(buf, '\0', size) == NULL || buf[0] == '\0'))
		r = airca_errf(AIRCA_ERR_CANCELLED, "no PIN entered");
	if (r != 0)
		explicit_bzero(buf, size);
	wipe_stack();
	return r;
}

/* "Insert ... and press Enter": an empty line looks again, "q" or EOF gives up. */
static int
token_from_tty(const char *what)
{
	char answer[TOKEN_ANSWER_MAX], eofmsg[256];
	bool toolong;
	int fd, r;

	if (!isatty(STDIN_FILENO) ||
	    (fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return AIRCA_ERR_NOTFOUND;
	dprintf(fd, "%s, then press Enter (or type q and Enter to cancel): ",
	    what);
	snprintf(eofmsg, sizeof(eofmsg), "%s: no answer (end of input)", what);
	if ((r = tty_read_line(fd, answer, sizeof(answer), &toolong,
	    eofmsg)) != 0)
		goto out;
	r = strcmp(answer, "q") == 0 ? airca_errf(AIRCA_ERR_CANCELLED,
	    "%s: cancelled", what) : 0;
 out:
	close(fd);
	return r;
}

int
prompt_token(const struct pin_source *src, const char *what,
    unsigned attempt)
{
	int r;

	if (token_hook != NULL) {
		airca_errclear();
		r = token_hook(token_hook_arg, what, attempt);
		if (r != 0 && r != AIRCA_ERR_CANCELLED)
			r = AIRCA_ERR_CANCELLED;
		if (r != 0 && *airca_errmsg() == '\0')
			airca_errf(r, "%s: cancelled", what);
		return r;
	}
	if (prompt_pin_automatic(src))
		return AIRCA_ERR_NOTFOUND;	/* automation: report, never wait */
	/* a front end that asks for PINs owns the terminal: no tty prompt under it */
	if (pin_hook != NULL || pin_request_hook != NULL)
		return AIRCA_ERR_NOTFOUND;
	return token_from_tty(what);
}

bool
prompt_front_end(void)
{
	return pin_hook != NULL || pin_request_hook != NULL;
}
