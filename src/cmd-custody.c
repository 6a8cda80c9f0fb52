/* cmd-custody.c: airca custody check: a custodian's share checked against the journal, nothing rebuilt. */
#include "backup.h"
#include "cmd.h"

static int
cmd_custody_check_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	(void)ctx;
	return backup_custody_check(ca, args_get(a, "share-file"));
}

static const struct args_opt custody_check_opts[] = {
	{ "share-file", ARGS_IN_FILE, "F", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_custody_check_entry = {
	.name = "custody check",
	.summary = "a custodian confirms their share matches the journal "
	    "(journaled, nothing rebuilt)",
	.args = { .opts = custody_check_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_custody_check_exec,
};
