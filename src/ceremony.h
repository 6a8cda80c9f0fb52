/*
 * ceremony.h: ceremony scripts (ceremony-scripts/NAME.ceremony): the strict
 * parser, parameters, and the runner that the CLI and the TUI share.
 * The format is specified in docs/ceremony-scripts.md.
 */
#ifndef AIRCA_CEREMONY_H
#define AIRCA_CEREMONY_H

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "util.h"

struct cmd_entry;		/* cmd.h: the command table, which the CLI owns */

#define CEREMONY_MAGIC		"airca-ceremony"
#define CEREMONY_VERSION	1
#define CEREMONY_MAX_LINE	1024	/* bytes a line, without the newline */
#define CEREMONY_MAX_STEPS	64
#define CEREMONY_MAX_ARGS	32	/* words after a step's kind */
#define CEREMONY_MAX_ROLES	8
#define CEREMONY_MAX_ROLE_COUNT	9	/* "officer 9" at most */
#define CEREMONY_MAX_PARAMS	16
#define CEREMONY_MAX_NAME	32	/* role and parameter names */
#define CEREMONY_MAX_VALUE	512	/* a parameter's value */
#define CEREMONY_MAX_SAY	4096	/* a step's text, all say: lines */
#define CEREMONY_MAX_TITLE	200

enum ceremony_kind {
	CEREMONY_CONFIRM_CLOCK = 0,
	CEREMONY_CHECK_AIRGAP,
	CEREMONY_CONFIRM_SCRIPT,
	CEREMONY_INSERT_MEDIA,
	CEREMONY_SHOW_FINGERPRINT,
	CEREMONY_RUN,
	CEREMONY_SEAL,
	CEREMONY_NKINDS
};

enum ceremony_param_kind {
	PARAM_WORD = 0,		/* letters, digits, . _ - : @ + ; no spaces */
	PARAM_PATH,		/* a path: no spaces, no ".." component */
	PARAM_TEXT,		/* printable text, spaces allowed */
};

struct ceremony_role {
	char	name[CEREMONY_MAX_NAME + 1];
	unsigned count;			/* participants of this role needed */
};

struct ceremony_param {
	char	name[CEREMONY_MAX_NAME + 1];
	enum ceremony_param_kind kind;
	char	*desc;
	char	*value;			/* NULL until ceremony_set_param() */
	unsigned line;
};

struct ceremony_step {
	unsigned n;			/* 1, 2, ... */
	unsigned line;			/* line of "step N ..." */
	enum ceremony_kind kind;
	size_t	role;			/* index into roles[] */
	char	**args;			/* words after the kind, {param}s unexpanded */
	size_t	nargs;
	const struct cmd_entry *cmd;	/* run: the command; args[0..nwords) is its name */
	int	nwords;
	char	*say;			/* say: lines joined with one space */
};

struct ceremony {
	char	*file;			/* as given to ceremony_parse() */
	char	sha256[SHA256_HEX_LEN + 1];	/* of the script's exact bytes */
	char	*title;
	struct ceremony_role roles[CEREMONY_MAX_ROLES];
	size_t	nroles;
	struct ceremony_param params[CEREMONY_MAX_PARAMS];
	size_t	nparams;
	struct ceremony_step *steps;
	size_t	nsteps;
};

/*
 * How the parser finds a run step's command: cmd_find() for the CLI (the
 * one command table); tests and the fuzzer pass their own.
 */
typedef const struct cmd_entry *(*ceremony_find_fn)(int argc,
    char *const *argv, int *nwordsp);

/*
 * Parse a script of len bytes (buf need not be NUL-terminated).  file names
 * it in errors: AIRCA_ERR_INPUT with "FILE:LINE: reason"; AIRCA_ERR_UNSAFE
 * for more than MEDIA_MAX_CONF bytes.  On success *cp is owned by the caller
 * (ceremony_free).
 */
int	ceremony_parse(const char *file, const unsigned char *buf, size_t len,
	    ceremony_find_fn find, struct ceremony **cp);

/* Read path through media_read() (bounded, no symlink) and parse it. */
int	ceremony_load(const char *path, ceremony_find_fn find,
	    struct ceremony **cp);

void	ceremony_free(struct ceremony *c);

/* "confirm-clock" ...; never NULL. */
const char *ceremony_kind_name(enum ceremony_kind k);

/*
 * Set a parameter from "name=value" (--param).  AIRCA_ERR_USAGE if the
 * name is not declared, given twice, or the value does not fit its kind.
 */
int	ceremony_set_param(struct ceremony *c, const char *assignment);

/* AIRCA_ERR_USAGE naming the first declared parameter without a value. */
int	ceremony_params_complete(const struct ceremony *c);

/*
 * Expand {name} in s into out (size bytes).  Unset parameters stay as
 * "{name}" (for the paper form).  AIRCA_ERR_INPUT if it does not fit.
 */
int	ceremony_expand(const struct ceremony *c, const char *s, char *out,
	    size_t size);

/*
 * A run step's argv after expansion: argv[0..nwords) the command's name,
 * then its options; NULL-terminated.  Refuses (AIRCA_ERR_INPUT) any word
 * that names a module, slot, PIN or home (--pin*, --hsm, --home, --module,
 * ...).  *argvp is owned by the caller (ceremony_argv_free).
 */
int	ceremony_step_argv(const struct ceremony *c,
	    const struct ceremony_step *s, char ***argvp, int *argcp);
void	ceremony_argv_free(char **argv);

/* Is opt (a word of a run step) one a script may not use? */
bool	ceremony_option_forbidden(const char *word);

/*
 * The runner.  A front end (the CLI's terminal or confirm file, the TUI)
 * supplies how participants are named and steps confirmed; the runner does
 * the rest: the ceremony id, the journal, the checks, the commands.
 */
struct ceremony_participant {
	char	name[65];
	size_t	role;
};

struct ceremony_ui {
	void	*arg;
	bool	interactive;		/* false: journaled as non-interactive */
	const char *source;		/* "keyboard", "file F", "env VAR" */
	/* Show a line of text to the room (no trailing newline needed). */
	void	(*show)(void *arg, const char *text);
	/*
	 * The nth (0-based) participant of role: fill name (size bytes).
	 * Return 0, or an error (AIRCA_ERR_CANCELLED to abort).
	 */
	int	(*participant)(void *arg, const char *role, unsigned nth,
		    unsigned count, char *name, size_t size);
	/*
	 * Step s waits for a participant of role: fill name with who
	 * confirms.  The runner checks the name (and asks again on an
	 * interactive front end).  Return 0, AIRCA_ERR_CANCELLED when declined.
	 */
	int	(*confirm)(void *arg, const struct ceremony_step *s,
		    const char *role, char *name, size_t size);
	/*
	 * Optional (NULL: not called): a SHA-256 (hex) the runner has just
	 * shown in word groups, and what it is of, for a front end that can
	 * draw it as a QR code too.
	 */
	void	(*sha256)(void *arg, const char *what, const char *hex);
	/*
	 * The command table, which the front end links (cmd_find, cmd_run):
	 * the core runs a step's command only through these.
	 */
	ceremony_find_fn find;
	int	(*run)(struct cmd_ctx *ctx, int argc, char **argv);
};

/*
 * Run c (its parameters set) under ctx, through ui.  Returns 0 when the
 * ceremony is sealed; AIRCA_ERR_PARTIAL when it is sealed but a run step
 * ended with some inputs refused by policy (the step is journaled with
 * result "partial" and the ceremony goes on); otherwise the error of the
 * step that failed (after journaling "ceremony-aborted" when a journal
 * exists).  id (size bytes)
 * gets the ceremony id.
 */
int	ceremony_run(struct ceremony *c, struct cmd_ctx *ctx,
	    const struct ceremony_ui *ui, char *id, size_t idsize);

/*
 * The SHA-256 of one file (at most max bytes) or, for a directory, of the
 * sha256sum listing of its regular files sorted by name (what
 * "cd DIR && sha256sum * | sha256sum" gives in the C locale); *nfilesp gets
 * how many files.  hex gets 65 bytes.
 */
int	ceremony_fingerprint(const char *path, char hex[SHA256_HEX_LEN + 1],
	    size_t *nfilesp);

#endif
