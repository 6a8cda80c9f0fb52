/* cmd-restore.c: airca restore: a backup bundle unwrapped onto a fresh token, once K custodians bring their shares. */
#include "backup.h"
#include "cmd.h"
#include "custody.h"
#include "error.h"

/*
 * The home is opened for writing but not its token: the keys are not on
 * the new token yet.  backup_restore() opens the token the HSM profile
 * names, and hands the restored audit key to the close.
 */
static int
cmd_restore_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	const char *files[CUSTODY_MAX];
	size_t i, n = args_count(a, "share-file");

	(void)ctx;
	if (n > CUSTODY_MAX)
		return airca_errf(AIRCA_ERR_USAGE, "--share-file given %zu "
		    "times: at most %d", n, CUSTODY_MAX);
	for (i = 0; i < n; i++)
		files[i] = args_value(a, "share-file", i);
	return backup_restore(ca, args_get(a, "from"), files, n);
}

static const struct args_opt restore_opts[] = {
	{ "from",       ARGS_IN_DIR,  "DIR", ARGS_REQUIRED, 0, 0, NULL },
	{ "share-file", ARGS_IN_FILE, "F",   ARGS_MULTI,    0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_restore_entry = {
	.name = "restore",
	.summary = "restore a backup bundle onto a fresh token with K "
	    "custodians' shares",
	.args = { .opts = restore_opts },
	.flags = CMD_HOME | CMD_WRITE,
	.exec = cmd_restore_exec,
};
