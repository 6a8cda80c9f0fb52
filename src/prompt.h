/* prompt.h: where PINs come from (env var, file, a front end's hook, no-echo prompt), and asking for a missing token. */
#ifndef AIRCA_PROMPT_H
#define AIRCA_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

struct pin_source {
	const char *env;	/* --pin-env VAR */
	const char *file;	/* --pin-file F */
};

/*
 * A hook a front end (the TUI) sets to ask for a PIN itself: fill buf
 * (size bytes) with the PIN, NUL-terminated; return 0 or an error.
 */
typedef int (*pin_hook_fn)(void *arg, const char *what, char *buf, size_t size);
void	prompt_set_pin_hook(pin_hook_fn fn, void *arg);

/*
 * What a PIN prompt is told about the login it is for.  airca does its own
 * prompting and retries (not pkcs11-helper's hooks: see docs/hsm-setup.md,
 * "Prompts"), so the front end learns which attempt this is and what the
 * token's retry counter says (CKF_USER_PIN_COUNT_LOW, _FINAL_TRY).
 */
struct pin_request {
	const char *what;	/* "user PIN for token 'airca' (serial ...)" */
	unsigned attempt;	/* 1 for the first try */
	unsigned attempts;	/* tries airca allows in this login */
	bool	count_low;	/* the token has counted wrong PINs */
	bool	final_try;	/* one more wrong PIN locks the token */
	const char *previous;	/* why the last attempt failed; NULL on the first */
};

/*
 * A front end's PIN hook that is told the request: fill buf (size bytes),
 * NUL-terminated; return 0, or AIRCA_ERR_CANCELLED to give up.  It takes
 * precedence over a prompt_set_pin_hook() hook.  NULL removes it.
 */
typedef int (*pin_request_fn)(void *arg, const struct pin_request *req,
	    char *buf, size_t size);
void	prompt_set_pin_request_hook(pin_request_fn fn, void *arg);

/*
 * A front end's hook for a token that is not there: show what ("insert
 * token 'Factory Root 2026'") and wait for the officer.  attempt counts
 * from 1.  Return 0 to look for the token again, AIRCA_ERR_CANCELLED to
 * give up.  NULL removes it.
 */
typedef int (*token_hook_fn)(void *arg, const char *what, unsigned attempt);
void	prompt_set_token_hook(token_hook_fn fn, void *arg);

/* Has a front end (the TUI) set a PIN hook: it owns the terminal? */
bool	prompt_front_end(void);

/* A PIN given in advance (--pin-env, --pin-file): never asked again after a wrong one. */
bool	prompt_pin_automatic(const struct pin_source *src);

/*
 * Get a PIN for req, as prompt_pin() does; the request hook gets req, a
 * prompt_set_pin_hook() hook and the terminal get req->what with the
 * attempt, the token's warning and the previous failure added.
 */
int	prompt_pin_request(const struct pin_source *src,
	    const struct pin_request *req, char *buf, size_t size);

/*
 * The token is not there: ask for it through the token hook, or on the
 * terminal ("Insert token ... and press Enter") when standard input is a
 * terminal, src is not automatic and no front end has set a PIN hook (it
 * owns the terminal: set a token hook too).  Returns 0 when the officer says it
 * is in (look again), AIRCA_ERR_CANCELLED when they give up, and
 * AIRCA_ERR_NOTFOUND when there is no one to ask (CI, a closed stdin): the
 * caller reports the missing token, never waits.
 */
int	prompt_token(const struct pin_source *src, const char *what,
	    unsigned attempt);

/*
 * Get a PIN for what ("user PIN for token 'airca'") from src: the named
 * environment variable (which is then unset), the file (mode must not be
 * world-readable; first line), the hook, or a no-echo prompt on /dev/tty.
 * buf is size bytes; the PIN is NUL-terminated, without newline.  Caller
 * wipes buf (explicit_bzero) right after use.
 */
int	prompt_pin(const struct pin_source *src, const char *what, char *buf,
	    size_t size);

#endif
