/*
 * args.h: a command's declared options and the one parser that checks a
 * command line against them (tmux's arguments.c), before anything is opened.
 */
#ifndef AIRCA_ARGS_H
#define AIRCA_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* What an option's argument is, and so what the parser checks about it. */
enum args_type {
	ARGS_FLAG,		/* no argument */
	ARGS_STRING,		/* printable text */
	ARGS_IN_FILE,		/* an existing regular file (not a symlink) */
	ARGS_IN_DIR,		/* an existing directory (not a symlink) */
	ARGS_OUT_FILE,		/* must not exist; its directory must */
	ARGS_OUT_DIR,		/* a directory or nothing yet; its parent must exist */
	ARGS_SERIAL,		/* a certificate serial: crl_serial_parse() */
	ARGS_HEX,		/* hex, 1..128 digits (a seal hash) */
	ARGS_NUMBER,		/* decimal in [min, max] */
	ARGS_LABEL,		/* a token label: 1..32 printable, no '/', no leading '.' */
	ARGS_PROFILE,		/* a profile a request can be signed under */
	ARGS_USER_ID,		/* the factory API's user id: [A-Za-z0-9._-], 1..60 */
	ARGS_CHOICE,		/* one of choices ("a|b|c") */
	ARGS_NAME,		/* a word: 1..64 printable, no '/' */
};

#define ARGS_REQUIRED	0x01	/* must be given */
#define ARGS_MULTI	0x02	/* may be given more than once */

/* One declared option, "--name META". */
struct args_opt {
	const char *name;		/* without "--"; NULL ends a list */
	enum args_type type;
	const char *meta;		/* the argument's word in usage ("FILE") */
	unsigned flags;			/* ARGS_REQUIRED, ARGS_MULTI */
	long long min, max;		/* ARGS_NUMBER */
	const char *choices;		/* ARGS_CHOICE */
};

/* What a command takes: options, then between pos_min and pos_max words. */
struct args_spec {
	const struct args_opt *opts;	/* NULL-name terminated; NULL for none */
	enum args_type pos_type;	/* checked like an option's argument */
	const char *pos_meta;		/* "SCRIPT"; NULL: words not shown in usage */
	int	pos_min, pos_max;
};

#define ARGS_MAX	64

/* A parsed command line: values borrow argv's strings. */
struct cmd_args {
	const struct args_spec *spec;
	struct {
		const struct args_opt *opt;
		const char *value;	/* NULL for an ARGS_FLAG */
	} v[ARGS_MAX];
	size_t	n;
	const char *pos[ARGS_MAX];	/* positional words, in order */
	int	npos;
	bool	help;			/* --help or -h was given */
	bool	json;			/* --json was given after the command words */
};

/* args_parse() how: */
#define ARGS_CHECK_SYNTAX	0x01	/* names, arity, required, repeats */
#define ARGS_CHECK_VALUES	0x02	/* numbers, serials, labels, choices */
#define ARGS_CHECK_FILES	0x04	/* inputs exist, outputs are free */
#define ARGS_CHECK_ALL		0x07
#define ARGS_SKIP_PARAMS	0x08	/* a value holding '{' (a ceremony parameter) is not checked */

/*
 * Parse argv[0..argc) (options and positional words, after the command's
 * name) against spec for the command called cmdname (named in messages).
 * "--opt VALUE" and "--opt=VALUE", options and words in any order; "--"
 * ends the options.  --help / -h set
 * a->help and stop every other check; --json sets a->json.  Returns 0 or
 * AIRCA_ERR_USAGE (unknown option, with a suggestion; missing argument or
 * option; value out of range), AIRCA_ERR_NOTFOUND (an input missing),
 * AIRCA_ERR_EXISTS (an output there already), AIRCA_ERR_UNSAFE (a symlink
 * or a device where a file or directory should be), each with a message
 * naming the option and what to do.  *a borrows argv.
 */
int	args_parse(const char *cmdname, const struct args_spec *spec, int argc,
	    char *const *argv, int how, struct cmd_args *a);

/*
 * Lookups by the declared name (without "--").  A name the spec does not
 * declare is a bug: it aborts.  args_get: the last value given or NULL;
 * args_has: given at all; args_count: how many times; args_value: the i-th
 * value; args_number: an ARGS_NUMBER's value, or def when not given.
 */
const char *args_get(const struct cmd_args *a, const char *name);
bool	args_has(const struct cmd_args *a, const char *name);
size_t	args_count(const struct cmd_args *a, const char *name);
const char *args_value(const struct cmd_args *a, const char *name, size_t i);
long long args_number(const struct cmd_args *a, const char *name,
	    long long def);

/*
 * The usage line of spec ("--in FILE --out DIR [--days N]"), into out
 * (always NUL-terminated).  Returns 0, or AIRCA_ERR_INTERNAL if it did not fit.
 */
int	args_usage(const struct args_spec *spec, char *out, size_t len);

/* The declared option called name, or NULL. */
const struct args_opt *args_find_opt(const struct args_spec *spec,
	    const char *name, size_t len);

#endif
