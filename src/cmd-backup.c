/* cmd-backup.c: airca backup: every CA key wrapped under the trusted custody key, into a bundle (K-of-N homes only). */
#include "backup.h"
#include "cmd.h"

static int
cmd_backup_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ctx;
	return backup_write(ca, args_get(a, "out"));
}

static const struct args_opt backup_opts[] = {
	{ "out", ARGS_OUT_DIR, "DIR", ARGS_REQUIRED, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_backup_entry = {
	.name = "backup",
	.summary = "wrap every CA key under the custody key into a bundle "
	    "(--backup K-of-N homes)",
	.args = { .opts = backup_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_backup_exec,
};
