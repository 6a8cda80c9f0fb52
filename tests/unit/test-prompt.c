/* test-prompt.c: PIN sources: environment (unset after use), owner-only file, hooks (told the attempt and the token's warnings); the insert-token prompt's routing. */
#include <sys/stat.h>

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

int
main(void)
{
	struct pin_source src = { NULL, NULL };
	char buf[64], path[] = "/tmp/airca-test-pin.XXXXXX";
	FILE *f;
	int fd;

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
