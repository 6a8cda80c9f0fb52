/* cmd-version.c: airca version: the version and the SHA-256 of this binary. */
#include <stdio.h>

#include "cmd.h"
#include "error.h"
#include "out.h"

static int
cmd_version_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ca;
	(void)a;
	if (out_is_json(ctx->out))
		return out_set(ctx->out, "version", json_string(AIRCA_VERSION));
	out_result(ctx->out, "airca %s", AIRCA_VERSION);
	return 0;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.summary = "print the version",
	.exec = cmd_version_exec,
};
