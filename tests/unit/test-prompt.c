/* test-prompt.c: PIN sources: environment (unset after use), owner-only file, hook. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "prompt.h"

static int
hook(void *arg, const char *what, char *buf, size_t size)
{
	(void)what;
	snprintf(buf, size, "%s", (const char *)arg);
	return 0;
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
	prompt_set_pin_hook(NULL, NULL);
	CHECK_DONE();
}
