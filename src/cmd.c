/* cmd.c: the command table and exact lookup of multi-word command names. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "error.h"


const struct cmd_entry *const cmd_table[] = {
	&cmd_token_list_entry,
	&cmd_token_keys_entry,
	&cmd_check_airgap_entry,
	&cmd_init_entry,
	&cmd_device_ca_create_entry,
	&cmd_device_ca_revoke_entry,
	&cmd_device_ca_disable_entry,
	&cmd_device_ca_enable_entry,
	&cmd_api_sign_entry,
	&cmd_api_device_cas_entry,
	&cmd_sign_entry,
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
	&cmd_ceremony_run_entry,
	&cmd_ceremony_print_entry,
	&cmd_ceremony_check_entry,
	&cmd_ceremony_report_entry,
	&cmd_tui_entry,
	&cmd_demo_entry,
	&cmd_version_entry,
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

int
cmd_usage(const struct cmd_entry *e)
{
	fprintf(stderr, "usage: airca [global options] %s %s\n", e->name,
	    e->usage);
	return airca_errf(AIRCA_ERR_USAGE, "%s: wrong arguments", e->name);
}

int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *e;
	int nwords;

	if (argc < 1 || (e = cmd_find(argc, argv, &nwords)) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "unknown command '%s'",
		    argc > 0 ? argv[0] : "");
	optind = 0;	/* glibc: full reset of getopt's state */
	opterr = 1;
	return e->exec(ctx, argc - (nwords - 1), argv + (nwords - 1));
}
