/* cmd.h: the one command table that the CLI, ceremony scripts and the TUI use. */
#ifndef AIRCA_CMD_H
#define AIRCA_CMD_H

#include <stdbool.h>

#include "prompt.h"

/* Global options, parsed by main() before the command words. */
struct cmd_ctx {
	const char *home;		/* --home DIR or $AIRCA_HOME */
	const char *hsm;		/* --hsm PROFILE or $AIRCA_HSM */
	struct pin_source pin;		/* --pin-env VAR / --pin-file F */
	const char *actor;		/* --actor NAME, $AIRCA_ACTOR, or the login name */
	const char *ceremony;		/* ceremony id when run from a ceremony script, else NULL */
	bool	json;			/* --json */
	bool	quiet;			/* --quiet: no progress, no narration */
};

struct cmd_entry {
	const char *name;		/* "batch sign": matched word by word, exactly */
	const char *usage;		/* options after the name */
	const char *summary;		/* one line for help */
	/*
	 * argv[0] is the last word of the name; options follow (getopt_long
	 * with optind = 1).  Returns 0 or a negative airca_err; the detail is
	 * printed by the caller.
	 */
	int	(*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* NULL-terminated table, in help order (cmd.c). */
extern const struct cmd_entry *const cmd_table[];

/* Every command file defines one entry; cmd.c lists them. */
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_token_list_entry;
extern const struct cmd_entry cmd_token_keys_entry;
extern const struct cmd_entry cmd_check_airgap_entry;
extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_device_ca_create_entry;
extern const struct cmd_entry cmd_sign_entry;
extern const struct cmd_entry cmd_batch_sign_entry;
extern const struct cmd_entry cmd_api_sign_entry;
extern const struct cmd_entry cmd_api_device_cas_entry;
extern const struct cmd_entry cmd_journal_show_entry;
extern const struct cmd_entry cmd_journal_verify_entry;
extern const struct cmd_entry cmd_journal_seal_entry;
extern const struct cmd_entry cmd_journal_repair_entry;
extern const struct cmd_entry cmd_registry_rebuild_entry;
extern const struct cmd_entry cmd_ceremony_run_entry;
extern const struct cmd_entry cmd_ceremony_print_entry;
extern const struct cmd_entry cmd_ceremony_check_entry;
extern const struct cmd_entry cmd_ceremony_report_entry;
extern const struct cmd_entry cmd_demo_entry;
extern const struct cmd_entry cmd_device_ca_revoke_entry;
extern const struct cmd_entry cmd_device_ca_disable_entry;
extern const struct cmd_entry cmd_device_ca_enable_entry;
extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_crl_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_renew_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_tui_entry;		/* tui/tui.c */

/*
 * The entry whose name equals the first words of argv (the longest
 * match wins: "device-ca create" before "device-ca"); *nwordsp says how
 * many words it took.  NULL if none matches exactly.
 */
const struct cmd_entry *cmd_find(int argc, char *const *argv, int *nwordsp);

/*
 * Run the command named by the first words of argv with ctx (the CLI,
 * ceremony steps and the demo all come through here): exact lookup, getopt
 * reset, exec.  Unknown command: AIRCA_ERR_USAGE.
 */
int	cmd_run(struct cmd_ctx *ctx, int argc, char **argv);

/* Print "usage: airca NAME USAGE" to stderr and return AIRCA_ERR_USAGE. */
int	cmd_usage(const struct cmd_entry *e);

#endif
