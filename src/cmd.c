/* cmd.c: the command table, exact lookup of multi-word names, and cmd_run: parse, check, open, exec, close. */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "util.h"


const struct cmd_entry *const cmd_table[] = {
	&cmd_token_list_entry,
	&cmd_token_keys_entry,
	&cmd_check_airgap_entry,
	&cmd_init_entry,
	&cmd_device_ca_create_entry,
	&cmd_ca_create_entry,
	&cmd_device_ca_revoke_entry,
	&cmd_device_ca_disable_entry,
	&cmd_device_ca_enable_entry,
	&cmd_api_sign_entry,
	&cmd_api_device_cas_entry,
	&cmd_sign_entry,
	&cmd_keygen_entry,
	&cmd_batch_sign_entry,
	&cmd_list_entry,
	&cmd_export_entry,
	&cmd_renew_entry,
	&cmd_revoke_entry,
	&cmd_crl_entry,
	&cmd_journal_show_entry,
	&cmd_journal_verify_entry,
	&cmd_journal_seal_entry,
	&cmd_journal_repair_entry,
	&cmd_registry_rebuild_entry,
	&cmd_backup_entry,
	&cmd_restore_entry,
	&cmd_custody_check_entry,
	&cmd_ceremony_run_entry,
	&cmd_ceremony_print_entry,
	&cmd_ceremony_check_entry,
	&cmd_ceremony_report_entry,
	&cmd_tui_entry,
	&cmd_demo_entry,
	&cmd_version_entry,
	&cmd_help_entry,
	NULL
};

/* Does name (space separated words) equal argv[0..k)? Returns k or 0. */
static int
name_matches(const char *name, int argc, char *const *argv)
{
	const char *p = name, *sp;
	size_t len;
	int k = 0;

	while (*p != '\0') {
		if (k >= argc)
			return 0;
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (strlen(argv[k]) != len || strncmp(argv[k], p, len) != 0)
			return 0;
		k++;
		p += len;
		if (*p == ' ')
			p++;
	}
	return k;
}

const struct cmd_entry *
cmd_find(int argc, char *const *argv, int *nwordsp)
{
	const struct cmd_entry *best = NULL;
	int i, k, bestk = 0;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if ((k = name_matches(cmd_table[i]->name, argc, argv)) > bestk) {
			best = cmd_table[i];
			bestk = k;
		}
	}
	if (nwordsp != NULL)
		*nwordsp = bestk;
	return best;
}

void
cmd_usage_line(const struct cmd_entry *e, char *out, size_t len)
{
	if (args_usage(&e->args, out, len) != 0)
		snprintf(out, len, "[options]");
}

void
cmd_help(const struct cmd_entry *e, FILE *f)
{
	const struct args_opt *o;
	char usage[512];

	cmd_usage_line(e, usage, sizeof(usage));
	fprintf(f, "usage: airca [global options] %s%s%s\n\n  %s\n", e->name,
	    usage[0] != '\0' ? " " : "", usage, e->summary);
	if (e->args.opts != NULL && e->args.opts[0].name != NULL) {
		fprintf(f, "\noptions:\n");
		for (o = e->args.opts; o->name != NULL; o++)
			fprintf(f, "  --%s%s%s%s\n", o->name,
			    o->meta != NULL ? " " : "",
			    o->meta != NULL ? o->meta : "",
			    (o->flags & ARGS_REQUIRED) ? "  (required)" : "");
	}
	if (e->flags & CMD_TOKEN)
		fprintf(f, "\nLogs in to the token: the PIN is asked for after "
		    "every option and file is checked.\n");
	fprintf(f, "\nSee airca(1) for the global options and exit statuses.\n");
}

void
cmd_help_print(struct out *o, void (*fn)(FILE *, const void *),
    const void *arg)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	fn(f, arg);
	if (fclose(f) == 0)
		out_write(o, buf, len);
	free(buf);
}

static void
help_one(FILE *f, const void *arg)
{
	cmd_help(arg, f);
}

/* A home that cmd_run would open must be there, with its airca.json. */
static int
home_present(struct cmd_ctx *ctx)
{
	char home[PATH_MAX], state[PATH_MAX];
	struct stat st;
	int r;

	if ((r = ca_home_path(ctx, home, sizeof(home))) != 0 ||
	    (r = path_join(state, sizeof(state), home, CA_STATE_FILE)) != 0)
		return r;
	if (stat(state, &st) != 0)
		return airca_errf(AIRCA_ERR_STATE, "no airca home at %s: run "
		    "'airca init' or set AIRCA_HOME", home);
	return 0;
}

static int
run_parsed(struct cmd_ctx *ctx, const struct cmd_entry *e,
    const struct cmd_args *a)
{
	struct ca ca;
	char msg[2048];
	unsigned caflags = 0;
	int r, rc;

	if (e->check != NULL && (r = e->check(ctx, a)) != 0)
		return r;
	if ((e->flags & CMD_HOME_RAW) && (r = home_present(ctx)) != 0)
		return r;
	if (!(e->flags & CMD_HOME))
		return e->exec(ctx, NULL, a);
	if ((r = home_present(ctx)) != 0)
		return r;
	caflags = CA_HOME;
	if (e->flags & CMD_WRITE)
		caflags |= CA_WRITE;
	if (e->flags & CMD_TOKEN)
		caflags |= CA_TOKEN;
	if ((r = ca_open(&ca, ctx, e->name, caflags)) == 0)
		r = e->exec(ctx, &ca, a);
	if (r != AIRCA_ERR_PARTIAL)
		return ca_close(&ca, r);
	/* some inputs refused, the rest done: a finished command */
	snprintf(msg, sizeof(msg), "%s", airca_errmsg());
	if ((rc = ca_close(&ca, 0)) != 0)
		return rc;
	return airca_errf(AIRCA_ERR_PARTIAL, "%s", msg);
}

int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *e;
	struct cmd_args a;
	int i, nwords, r;

	if (argc < 1 || (e = cmd_find(argc, argv, &nwords)) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "unknown command '%s'",
		    argc > 0 ? argv[0] : "");
	/* --json after the command words: the document also holds a usage error */
	for (i = nwords; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = true;
			if ((r = out_set_json(ctx->out)) != 0)
				return r;
		}
	if ((r = args_parse(e->name, &e->args, argc - nwords, argv + nwords,
	    ARGS_CHECK_ALL, &a)) != 0)
		return r;
	if (a.help) {
		cmd_help_print(ctx->out, help_one, e);
		return 0;
	}
	return run_parsed(ctx, e, &a);
}
