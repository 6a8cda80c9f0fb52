/* cmd-batch-sign.c: airca batch sign: every device request in a directory, signed by a local device CA or a user profile's issuer, optionally against a manifest. */
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "media.h"
#include "out.h"
#include "util.h"

/* Progress through the sink: rewritten on a terminal, else a line a second. */
struct progress_out {
	struct out *out;
	bool	tty;
	double	last;		/* elapsed at the last line written (not a tty) */
};

static void
show_progress(void *arg, const struct batch_progress *p)
{
	struct progress_out *po = arg;
	char line[160];
	bool end = p->final;

	if (!po->tty && !end && p->elapsed - po->last < 1.0)
		return;
	po->last = p->elapsed;
	batch_progress_text(p, line, sizeof(line));
	out_progress(po->out, end, "%s  (%zu signed, %zu skipped, %zu "
	    "rejected)", line, p->counts.accepted, p->counts.skipped,
	    p->counts.rejected);
}

static int
print_result(struct cmd_ctx *ctx, const char *out, const struct batch_result *res)
{
	json_t *o;

	if (out_is_json(ctx->out)) {
		o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:f}", "out", out,
		    "total", (json_int_t)res->counts.total,
		    "signed", (json_int_t)res->counts.accepted,
		    "skipped", (json_int_t)res->counts.skipped,
		    "rejected", (json_int_t)res->counts.rejected,
		    "in-tree-sha256", res->in_tree,
		    "out-tree-sha256", res->out_tree, "seconds", res->seconds);
		if (res->manifest)
			json_object_set_new(o, "unused-rows",
			    json_integer((json_int_t)res->unused_rows));
		return out_merge(ctx->out, o);
	}
	out_result(ctx->out, "%s: %zu signed, %zu skipped (signed before), %zu "
	    "rejected, of %zu requests in %.1fs", out, res->counts.accepted,
	    res->counts.skipped, res->counts.rejected, res->counts.total,
	    res->seconds);
	out_result(ctx->out, "  input tree  SHA-256 %s\n  SHA256SUMS  SHA-256 "
	    "%s", res->in_tree, res->out_tree);
	if (res->counts.rejected > 0)
		out_result(ctx->out, "  reasons in %s/rejected.txt", out);
	if (res->manifest && res->unused_rows > 0)
		out_result(ctx->out, "  %zu manifest row%s had no request "
		    "(listed in %s/summary.json)", res->unused_rows,
		    res->unused_rows == 1 ? "" : "s", out);
	return 0;
}

static int
cmd_batch_sign_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	char done[64];
	struct batch *b = NULL;
	struct batch_hooks hooks;
	struct batch_result res;
	struct progress_out po;
	const char *out = args_get(a, "out");
	int r, rr;

	memset(&hooks, 0, sizeof(hooks));
	memset(&res, 0, sizeof(res));
	memset(&po, 0, sizeof(po));
	po.out = ctx->out;
	po.tty = out_is_tty(ctx->out);
	if (ctx->progress != NULL) {
		hooks.progress = ctx->progress;
		hooks.arg = ctx->progress_arg;
	} else if (args_has(a, "progress") ||
	    (po.tty && !ctx->quiet && !out_is_json(ctx->out))) {
		hooks.progress = show_progress;
		hooks.arg = &po;
	}
	if ((r = batch_open_profile(ca, args_get(a, "profile"), args_get(a,
	    "ca"), args_get(a, "in"), args_get(a, "manifest"), &b)) == 0) {
		batch_set_sessions(b, (unsigned)args_number(a, "sessions", 0));
		r = batch_sign(b, out, NULL, &hooks, &res);
	}
	batch_free(b);
	if ((r == 0 || r == AIRCA_ERR_PARTIAL) &&
	    (rr = print_result(ctx, out, &res)) != 0)
		r = rr;
	/* a partial batch is a finished command: cmd_run closes it as one */
	if (r == AIRCA_ERR_PARTIAL) {
		batch_counts_done(&res.counts, done, sizeof(done));
		r = airca_errf(AIRCA_ERR_PARTIAL, "%zu of %zu requests "
		    "rejected (see %s/rejected.txt); %s",
		    res.counts.rejected, res.counts.total, out, done);
	}
	return r;
}

/* The device profile needs its device CA; a user profile names its issuer. */
static int
cmd_batch_sign_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char *profile = args_get(a, "profile");

	(void)ctx;
	if ((profile == NULL || strcmp(profile, "device") == 0) &&
	    args_get(a, "ca") == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--ca LABEL is required: the "
		    "local device CA that signs (or --profile NAME, a profile "
		    "of policy.conf, which names its issuer)");
	return 0;
}

static const struct args_opt batch_sign_opts[] = {
	{ "ca",	      ARGS_LABEL,   "LABEL", 0,		    0, 0, NULL },
	{ "in",	      ARGS_IN_DIR,  "DIR",   ARGS_REQUIRED, 0, 0, NULL },
	{ "out",      ARGS_OUT_DIR, "DIR",   ARGS_REQUIRED, 0, 0, NULL },
	{ "profile",  ARGS_PROFILE, "NAME",  0,		    0, 0, NULL },
	{ "manifest", ARGS_IN_FILE, "CSV",   0,		    0, 0, NULL },
	{ "progress", ARGS_FLAG,    NULL,    0,		    0, 0, NULL },
	{ "sessions", ARGS_NUMBER,  "N",     0,		    1, 64, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_batch_sign_entry = {
	.name = "batch sign",
	.summary = "sign every device request in a directory",
	.args = { .opts = batch_sign_opts },
	.check = cmd_batch_sign_check,
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_batch_sign_exec,
};
