/* cmd.h: the one command table that the CLI, ceremony scripts and the TUI use. */
#ifndef AIRCA_CMD_H
#define AIRCA_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "args.h"
#include "ctx.h"

struct ca;
struct out;

/* What a command needs; cmd_run() provides it before exec. */
#define CMD_HOME		0x01	/* an initialised home, opened for exec */
#define CMD_WRITE		0x02	/* the home locked and its journal open for appending */
#define CMD_TOKEN		0x04	/* the token opened and logged in (asks for the PIN) */
#define CMD_CREATES_HOME	0x08	/* makes the home (init): exec opens what it makes */
#define CMD_NO_CEREMONY		0x10	/* not allowed as a ceremony step */
#define CMD_HOME_RAW		0x20	/* an initialised home that exec opens itself (repairs) */

struct cmd_entry {
	const char *name;		/* "batch sign": matched word by word, exactly */
	const char *summary;		/* one line for help */
	struct args_spec args;		/* declared options and positional words */
	unsigned flags;			/* CMD_* */
	/*
	 * Optional: checks that need more than one option (before any
	 * prompt, nothing opened).  Returns 0 or a negative airca_err.
	 */
	int	(*check)(struct cmd_ctx *ctx, const struct cmd_args *args);
	/*
	 * Run with the parsed, checked arguments.  ca is open as .flags ask
	 * (NULL without CMD_HOME); cmd_run closes it.  Returns 0 or a negative
	 * airca_err whose detail the caller prints.
	 */
	int	(*exec)(struct cmd_ctx *ctx, struct ca *ca,
		    const struct cmd_args *args);
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
extern const struct cmd_entry cmd_ca_create_entry;
extern const struct cmd_entry cmd_sign_entry;
extern const struct cmd_entry cmd_keygen_entry;
extern const struct cmd_entry cmd_batch_sign_entry;
extern const struct cmd_entry cmd_api_sign_entry;
extern const struct cmd_entry cmd_api_device_cas_entry;
extern const struct cmd_entry cmd_journal_show_entry;
extern const struct cmd_entry cmd_journal_verify_entry;
extern const struct cmd_entry cmd_journal_seal_entry;
extern const struct cmd_entry cmd_journal_repair_entry;
extern const struct cmd_entry cmd_registry_rebuild_entry;
extern const struct cmd_entry cmd_backup_entry;
extern const struct cmd_entry cmd_restore_entry;
extern const struct cmd_entry cmd_custody_check_entry;
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
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_tui_entry;		/* tui/tui.c */

/*
 * The entry whose name equals the first words of argv (the longest
 * match wins: "device-ca create" before "device-ca"); *nwordsp says how
 * many words it took.  NULL if none matches exactly.
 */
const struct cmd_entry *cmd_find(int argc, char *const *argv, int *nwordsp);

/*
 * Run the command named by the first words of argv with ctx (the CLI,
 * ceremony steps and the demo all come through here): exact lookup;
 * "--json" anywhere sets ctx->json and makes ctx->out a JSON sink (the
 * caller prints the document: out_finish); "--help" prints the usage
 * through the sink and returns 0; the options parsed and checked against
 * the declaration (args_parse, files included) and the entry's check, all
 * before anything is opened or asked; a missing home named as such; the
 * home opened and the token logged in as the flags say; exec; the home
 * closed with exec's result.  Unknown command: AIRCA_ERR_USAGE.
 */
int	cmd_run(struct cmd_ctx *ctx, int argc, char **argv);

/* The usage line of e (options after the name), into out. */
void	cmd_usage_line(const struct cmd_entry *e, char *out, size_t len);

/* Print e's help (usage, summary, options) to f. */
void	cmd_help(const struct cmd_entry *e, FILE *f);

/*
 * What fn(f, arg) prints (help text to a FILE), through the sink o as
 * result lines.
 */
void	cmd_help_print(struct out *o, void (*fn)(FILE *, const void *),
	    const void *arg);

/* Every command with its summary, and the exit statuses, to f (cmd-help.c). */
void	cmd_help_all(FILE *f);

/*
 * The commands whose names start with the words argv[0..argc) ("device-ca"
 * lists device-ca create, revoke, ...) with their usage, to f (NULL: only
 * count them).  Returns how many there are (cmd-help.c).
 */
int	cmd_help_group(FILE *f, int argc, char *const *argv);

#endif
