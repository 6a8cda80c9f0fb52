/*
 * custody.h: key custody: the home's key policy (--backup none or K-of-N),
 * the custody key split K-of-N with libgfshare, the custodians' shares as
 * typed text with a checksum per line, locked memory for the secrets, and
 * the custody state replayed from the journal.  No PKCS#11 here: the
 * token layer imports and uses the custody key (token.h).
 */
#ifndef AIRCA_CUSTODY_H
#define AIRCA_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util.h"

#define CUSTODY_KEY_LEN		32	/* AES-256 */
#define CUSTODY_MAX		16	/* custodians */
#define CUSTODY_LABEL		"airca-custody"
#define CUSTODY_NAME_MAX	64
#define CUSTODY_SHARE_LEN	40	/* version, k, n, x, set id (4), y (32) */
#define CUSTODY_SET_ID_LEN	4
#define CUSTODY_LINES		4	/* text lines of a share, 10 bytes each */
#define CUSTODY_TEXT_MAX	512	/* a share's text, header included */

/* The home's key policy, chosen once at init: k == 0 is --backup none. */
struct custody_policy {
	unsigned k, n;
};

/*
 * "none" or "K-of-N" (2 <= K <= N <= CUSTODY_MAX).  Returns 0 or
 * AIRCA_ERR_USAGE with a message naming --backup.
 */
int	custody_policy_parse(const char *s, struct custody_policy *p);

/* "none" or "2-of-3", into buf. */
void	custody_policy_name(const struct custody_policy *p, char *buf,
	    size_t size);

/*
 * Memory for secrets: its own pages, mlock'd (never swapped) and left out
 * of core dumps (MADV_DONTDUMP).  NULL (with the error set) if the pages
 * cannot be locked: raise RLIMIT_MEMLOCK rather than run with a swappable
 * key.  secret_free() wipes (explicit_bzero) before it unlocks; NULL is fine.
 */
void	*secret_alloc(size_t len);
void	secret_free(void *p, size_t len);

/* One share: the bytes a custodian holds (their text is custody_share_text()). */
struct custody_share {
	unsigned char b[CUSTODY_SHARE_LEN];
};

/* The fields of a share's bytes. */
unsigned custody_share_x(const struct custody_share *s);	/* 1..n */
unsigned custody_share_k(const struct custody_share *s);
unsigned custody_share_n(const struct custody_share *s);
/* The custody set's id as 8 hex digits, into hex[9]. */
void	custody_share_set(const struct custody_share *s, char hex[9]);

/*
 * Split key (CUSTODY_KEY_LEN bytes) into n shares (x = 1..n) of which any
 * k rebuild it, with libgfshare.  rnd holds (k - 1) * CUSTODY_KEY_LEN
 * random bytes for the polynomial's coefficients (the caller takes them
 * from the token's RNG; the host's RNG is mixed in); set_id names the set.
 * shares (n of them) should be secret_alloc()'d.  Returns 0 or an error.
 */
int	custody_split(const unsigned char *key, unsigned k, unsigned n,
	    const unsigned char set_id[CUSTODY_SET_ID_LEN],
	    const unsigned char *rnd, struct custody_share *shares);

/*
 * Rebuild the key from count shares of one set (distinct x, count >= their
 * k) into key (CUSTODY_KEY_LEN bytes, secret_alloc()'d).  Returns 0, or
 * AIRCA_ERR_INPUT naming what is wrong (too few, mixed sets, a repeat).
 */
int	custody_combine(const struct custody_share *shares, size_t count,
	    unsigned char *key);

/* SHA-256 of a share's bytes, hex: what the journal records, never the share. */
void	custody_share_sha256(const struct custody_share *s,
	    char hex[SHA256_HEX_LEN + 1]);

/*
 * The custody key's check value: SHA-256("airca custody key check v1" ||
 * key), hex.  Journaled, so that a rebuilt key is known right before it is
 * imported.
 */
void	custody_key_check(const unsigned char *key,
	    char hex[SHA256_HEX_LEN + 1]);

/*
 * A share as a custodian reads and types it: a header line naming the
 * share, set and custodian, then CUSTODY_LINES lines "n: XXXX XXXX XXXX
 * XXXX  CC" of RFC 4648 base32 with a 2-character checksum of the line
 * (its number included, so a swapped line is caught).  buf is secret
 * memory of CUSTODY_TEXT_MAX bytes.
 */
int	custody_share_text(const struct custody_share *s, const char *custodian,
	    char *buf, size_t size);

/*
 * Check one typed line (lineno 1..CUSTODY_LINES) as the custodian types it:
 * "n:" optional, blanks ignored, lower case and 0/1/8 read as O/I/B.  On
 * success out gets the line's 10 bytes.  AIRCA_ERR_INPUT with "line N: ..."
 * when the checksum does not match (a typing error) or the line is not one.
 */
int	custody_line_parse(const char *line, unsigned lineno,
	    unsigned char out[10]);

/*
 * A whole share from its text (what --shares-to wrote, or a file a
 * custodian typed): the header and blank lines are skipped; exactly
 * CUSTODY_LINES share lines.  what names the source in messages.
 */
int	custody_share_parse(const char *text, size_t len, const char *what,
	    struct custody_share *s);

/* One custodian as the journal records them. */
struct custody_holder {
	char	name[CUSTODY_NAME_MAX + 1];
	char	sha256[SHA256_HEX_LEN + 1];
	unsigned x;
};

/* The custody state, replayed from the verified journal. */
struct custody_state {
	struct custody_policy pol;	/* journal-open "key-policy" */
	bool	created;		/* custody-created seen */
	char	set_id[9];
	char	key_check[SHA256_HEX_LEN + 1];
	size_t	nholders;
	struct custody_holder holders[CUSTODY_MAX];
	char	token_serial[17];	/* custody-restored: the token now used; "" */
	unsigned long restores;
	json_t	*backups;		/* manifest SHA-256 of every backup-written */
	/*
	 * Quorum login (pin-quorum-created): the user PIN of token
	 * pin_token split K-of-N; pin_pol.k == 0 when the home has none.
	 */
	struct custody_policy pin_pol;
	char	pin_set_id[9];
	char	pin_token[17];
	size_t	npin_holders;
	struct custody_holder pin_holders[CUSTODY_MAX];
};

/* The events custody_apply() reads. */
bool	custody_event(const char *event);

/* Apply one journal event (data borrowed) to cs.  0 or AIRCA_ERR_STATE. */
int	custody_apply(struct custody_state *cs, const char *event, json_t *data);

/* The holder whose share hashes to sha (hex), or NULL. */
const struct custody_holder *custody_holder_by_sha(
	    const struct custody_state *cs, const char *sha);

void	custody_state_free(struct custody_state *cs);

/*
 * Is s a share this home's journal records (by its SHA-256)?  0 and *hp
 * (borrowed from cs) when it is; AIRCA_ERR_POLICY naming why not: a share
 * of another custody set (its set id differs), or a wrong share of this set.
 */
int	custody_check_share(const struct custody_state *cs,
	    const struct custody_share *s, const struct custody_holder **hp);

/*
 * The same for a share of the user PIN (quorum login): 0 and *hp when the
 * journal's pin-quorum-created records it; AIRCA_ERR_POLICY naming why not.
 */
int	custody_check_pin_share(const struct custody_state *cs,
	    const struct custody_share *s, const struct custody_holder **hp);

/*
 * The user PIN in the CUSTODY_KEY_LEN bytes that are split: its length,
 * the PIN, then the random bytes rnd (CUSTODY_KEY_LEN - 1 - len of them,
 * from the token's RNG) so that the journal's share hashes cannot be used
 * to guess a short PIN.  AIRCA_ERR_USAGE when the PIN is longer than
 * CUSTODY_PIN_MAX.
 */
#define CUSTODY_PIN_MAX	(CUSTODY_KEY_LEN - 1)
int	custody_pin_encode(const char *pin, size_t len,
	    const unsigned char *rnd, unsigned char *out);
/* Back: the PIN, NUL-terminated, into pin (size bytes, locked). */
int	custody_pin_decode(const unsigned char *in, char *pin, size_t size);

/* A share's text, custodian's screen and file as a share of the user PIN. */
int	custody_pin_share_text(const struct custody_share *s,
	    const char *holder, char *buf, size_t size);
int	custody_show_pin(const struct custody_share *s, const char *holder);
/* DIR/pin-share-<x>.txt, mode 0600, never over a file. */
int	custody_write_pin_share(const char *dir, const struct custody_share *s,
	    const char *holder);

/*
 * Show share s to its custodian on the terminal, one screen each: wait
 * until they alone look (Enter), the share as text and as a QR code, wait
 * until it is written down (Enter), clear the screen.  AIRCA_ERR_USAGE
 * when there is no terminal.
 */
int	custody_show(const struct custody_share *s, const char *custodian);

/* Write s as its text to DIR/share-<x>.txt (mode 0600, never over a file). */
int	custody_write_share(const char *dir, const struct custody_share *s,
	    const char *custodian);

/* Read a share from a file custody_write_share() wrote (or one typed in). */
int	custody_read_file(const char *path, struct custody_share *s);

/*
 * Read a share typed by a custodian on the terminal (no echo), line by
 * line: each line's checksum is checked as it is entered and a mistyped
 * line is asked again (at most 3 times).  what names whose share it is.
 */
int	custody_read_tty(const char *what, struct custody_share *s);

#endif
