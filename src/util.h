/* util.h: small helpers shared by the core: hex, SHA-256, time, wiping. */
#ifndef AIRCA_UTIL_H
#define AIRCA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SHA256_LEN	32
#define SHA256_HEX_LEN	64

/* Lower-case hex of len bytes into out, which holds 2*len+1 bytes. */
void	hex_encode(const unsigned char *in, size_t len, char *out);

/*
 * Decode hex (either case, even length, no separators) into out (max bytes).
 * Returns 0 and sets *lenp, or AIRCA_ERR_INPUT (detail names the string).
 */
int	hex_decode(const char *hex, unsigned char *out, size_t max, size_t *lenp);

/* SHA-256 of data; hex form into out[65]. */
void	sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);
void	sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

/* The time now, UTC ISO 8601 with seconds: "2026-11-22T07:44:31Z" (out[21]). */
time_t	now(void);
void	time_iso(time_t t, char out[21]);

/* Wipe then free; NULL is fine. */
void	wipe_free(void *p, size_t len);
void	wipe_free_str(char *s);

/*
 * Zero WIPE_STACK_BYTES of the stack below the caller: the frames that
 * returned after a secret went through them (a PKCS#11 module, libcrypto,
 * and the dynamic linker's lazy-binding trampoline, which saves the vector
 * registers that strlen() or memcpy() left a PIN in).  Calls no other
 * function, so no trampoline runs under it.
 */
#define WIPE_STACK_BYTES	(64 * 1024)
void	wipe_stack(void);

/* strdup that returns NULL on failure (caller maps to AIRCA_ERR_NOMEM). */
char	*xstrdup(const char *s);

/*
 * A name is safe for a file name, a journal line or the screen: 1..max
 * bytes, printable ASCII or UTF-8 without control characters, no '/',
 * not "." or "..", no leading '.'.
 */
bool	name_safe(const char *s, size_t max);

/*
 * Printable: valid UTF-8 (no overlong forms, no surrogates), no control
 * characters (C0, DEL, C1), and none of the invisible characters that can
 * make one name look like another (bidi controls, zero-width characters,
 * line/paragraph separators, soft hyphen).
 */
bool	text_printable(const char *s, size_t len);

/*
 * The same check, saying what is wrong: 0 printable; 1 valid UTF-8 with
 * control or invisible characters; 2 not valid UTF-8 (which wins).
 */
int	text_class(const char *s, size_t len);

/* Hex groups for reading aloud: "a1b2 c3d4 ..." (groups of 4); out holds 5*len/2+1. */
void	hex_groups(const char *hex, char *out, size_t outlen);

/*
 * out = "a/b" (b may be NULL: out = a).  AIRCA_ERR_INPUT if it does not fit
 * (detail names the path).
 */
int	path_join(char *out, size_t size, const char *a, const char *b);

#endif
