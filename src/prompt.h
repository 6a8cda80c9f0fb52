/* prompt.h: where PINs come from (env var, file, no-echo prompt) and confirmations. */
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
 * Get a PIN for what ("user PIN for token 'airca'") from src: the named
 * environment variable (which is then unset), the file (mode must not be
 * world-readable; first line), the hook, or a no-echo prompt on /dev/tty.
 * buf is size bytes; the PIN is NUL-terminated, without newline.  Caller
 * wipes buf (explicit_bzero) right after use.
 */
int	prompt_pin(const struct pin_source *src, const char *what, char *buf,
	    size_t size);

#endif
