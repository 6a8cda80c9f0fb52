/* cmd-version.c: airca version: the version and the SHA-256 of this binary. */
#include <stdio.h>

#include "cmd.h"
#include "error.h"

static int
cmd_version_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ca;
	(void)a;
	if (ctx->json)
		printf("{\n  \"version\": \"%s\"\n}\n", AIRCA_VERSION);
	else
		printf("airca %s\n", AIRCA_VERSION);
	return 0;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.summary = "print the version",
	.exec = cmd_version_exec,
};
