/* ctx.h: what a command runs with: the global options, given by the CLI, a ceremony step or the TUI. */
#ifndef AIRCA_CTX_H
#define AIRCA_CTX_H

#include <stdbool.h>

#include "prompt.h"

struct batch_progress;
struct out;

#define CTX_PIN_SHARES_MAX	16	/* CUSTODY_MAX */

/* Global options, parsed by main() before the command words. */
struct cmd_ctx {
	const char *home;		/* --home DIR or $AIRCA_HOME */
	const char *hsm;		/* --hsm PROFILE or $AIRCA_HSM */
	struct pin_source pin;		/* --pin-env VAR / --pin-file F */
	struct pin_source so_pin;	/* --so-pin-env VAR / --so-pin-file F (custody: init, restore) */
	/* --pin-share-file F, repeatable: a quorum login's PIN shares (rehearsals, automation) */
	const char *pin_shares[CTX_PIN_SHARES_MAX];
	unsigned npin_shares;
	const char *actor;		/* --actor NAME, $AIRCA_ACTOR, or the login name */
	const char *ceremony;		/* ceremony id when run from a ceremony script, else NULL */
	bool	json;			/* --json */
	bool	quiet;			/* --quiet: no progress, no narration */
	/*
	 * Where the command reports (out.h): the CLI's text or JSON sink,
	 * the TUI's own; NULL is plain text on stdout and stderr.
	 */
	struct out *out;
	/*
	 * Where a long command reports its progress when a front end shows
	 * it (the TUI running a ceremony step); NULL: the command prints it
	 * on stderr, when that is a terminal or it was asked to.
	 */
	void	(*progress)(void *arg, const struct batch_progress *p);
	void	*progress_arg;
};

#endif
