/*
 * journal.h: the append-only, hash-chained journal HOME/journal.jsonl, signed
 * at checkpoints by the audit key in the token.  The only writer of it.
 * The format is specified in docs/journal.md.
 */
#ifndef AIRCA_JOURNAL_H
#define AIRCA_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util.h"

#define JOURNAL_FORMAT		"airca-journal"
#define JOURNAL_VERSION		2
/* Signed entries sign this, then the line with "sig":"" (format 2). */
#define JOURNAL_SIG_PREFIX	"airca-journal-v2\n"
#define JOURNAL_MAX_LINE	(64 * 1024)
#define JOURNAL_FILE		"journal.jsonl"

struct journal;

/*
 * Create HOME/journal.jsonl (must not exist) and write its first entry,
 * "journal-open", carrying the format magic and version plus data.
 */
int	journal_create(const char *home, const char *ceremony, const char *actor,
	    json_t *data, struct journal **jp);

/*
 * Open for appending.  Reads the last line: a journal whose last line is
 * incomplete (a crash mid-append) is refused (AIRCA_ERR_JOURNAL: run
 * 'airca journal repair') and so is one whose last line does not parse.
 */
int	journal_open(const char *home, const char *ceremony, const char *actor,
	    struct journal **jp);

/*
 * The same with flags.  A journal whose last entries no signature covers
 * and that this process did not write (a line appended by hand, or what a
 * killed command left) opens, but journal_foreign() counts them and every
 * signed entry is refused while they are there: nothing is signed that
 * its writer did not write.  JOURNAL_OPEN_ADOPT: an officer has adopted
 * them ('journal repair --adopt', which journals the decision first).
 * A journal of another format version than JOURNAL_VERSION is refused.
 * After a failed write of this process every open is refused.
 */
#define JOURNAL_OPEN_ADOPT	0x01
int	journal_open_flags(const char *home, const char *ceremony,
	    const char *actor, int flags, struct journal **jp);

/*
 * Are entries from..seq of the journal at path, the last with line hash
 * head, ones that this process wrote and no signature covers yet?
 */
bool	journal_tail_own(const char *path, unsigned long from,
	    unsigned long seq, const char *head);

/* Unsigned entries found at open that this process did not write; *fromp the first. */
unsigned long journal_foreign(const struct journal *j, unsigned long *fromp);

/*
 * Has a write or sync of the journal failed in this process?  Then the
 * file was cut back to its last good line and every later append,
 * checkpoint and open is refused (the message names the first cause).
 */
bool	journal_failed(void);

/*
 * Append one entry {seq, time, ceremony, event, actor, data, prev}.  data is
 * borrowed (not stolen) and may be NULL (then {}).  Written with one write()
 * and fdatasync() unless JOURNAL_NOSYNC, in which case journal_sync() must
 * follow before the work is reported done.  Returns 0; *seqp (may be NULL)
 * gets the seq.
 */
#define JOURNAL_NOSYNC	0x01
/*
 * JOURNAL_DEFER: the entry is chained (seq, head) but held in memory and
 * written in one write() together with the next signed entry, so that a
 * process killed in between leaves none of them, rather than an unsigned
 * tail.  Any later append without the flag, journal_sync() and
 * journal_close() write what is held.  Implies JOURNAL_NOSYNC.
 */
#define JOURNAL_DEFER	0x02
int	journal_append(struct journal *j, const char *event, json_t *data,
	    int flags, unsigned long *seqp);
int	journal_sync(struct journal *j);

/*
 * Drop the deferred entries not written yet, as if they had never been
 * appended (seq and head go back): for a batch that stops before the work
 * they record was finished.  Returns how many were dropped.
 */
size_t	journal_discard_deferred(struct journal *j);

/*
 * Sign every entry since the last checkpoint: append a "checkpoint" entry
 * whose signature covers the SHA-256 of the entry before it (and so, by
 * the chain, every entry before).  Nothing to cover is a no-op.  key is the
 * audit key (token), cert its certificate.
 */
int	journal_checkpoint(struct journal *j, EVP_PKEY *key, X509 *cert);
/* With JOURNAL_NOSYNC: no fdatasync (a later signed entry or journal_sync() does it). */
int	journal_checkpoint_flags(struct journal *j, EVP_PKEY *key, X509 *cert,
	    int flags);

/*
 * Pin the audit certificate: an "audit-pin" entry signed by the root key
 * (root_key, root its certificate) that names audit's SHA-256, its key's
 * and its serial.  Verifiers accept checkpoint and seal signatures only
 * from the certificate pinned last.  It covers the entries before it as a
 * checkpoint does.  Written by init, right after the audit certificate.
 */
int	journal_pin(struct journal *j, EVP_PKEY *root_key, X509 *root,
	    X509 *audit);

/*
 * The message a format-2 signature covers: JOURNAL_SIG_PREFIX, then the
 * line with the value of its one "sig" key emptied.  *msgp malloc'd;
 * *sigoffp and *siglenp locate the value in line.  AIRCA_ERR_VERIFY when
 * the line has no "sig" key or more than one.
 */
int	journal_sig_message(const char *line, size_t len, char **msgp,
	    size_t *msglenp, size_t *sigoffp, size_t *siglenp);

/*
 * Seal the ceremony: a signed "seal" entry.  hex_out (65 bytes) gets the
 * SHA-256 of the seal line, which witnesses record on paper.
 */
int	journal_seal(struct journal *j, EVP_PKEY *key, X509 *cert,
	    json_t *data, char hex_out[SHA256_HEX_LEN + 1]);

/* Entries appended since open and not yet covered by a checkpoint. */
size_t	journal_unsigned(const struct journal *j);
unsigned long journal_seq(const struct journal *j);	/* last seq written */
const char *journal_head(const struct journal *j);	/* hex SHA-256 of the last line */
const char *journal_ceremony(const struct journal *j);

void	journal_close(struct journal *j);

/*
 * The message a checkpoint or seal signs: "airca-journal-v1 SEQ HEAD\n"
 * (the prefix names format version 1, whatever JOURNAL_VERSION becomes).
 * Returns its length, or a negative error if len is too small.
 */
int	journal_signed_message(unsigned long seq, const char *head, char *buf,
	    size_t len);

/* A fresh ceremony/session id: "PREFIX-YYYYMMDDTHHMMSSZ-XXXXXXXX". */
void	journal_new_id(const char *prefix, char *out, size_t len);

/*
 * Repair (journal.c): a journal whose last line is incomplete.
 * journal_tail_check() reads HOME/journal.jsonl and reports the
 * incomplete tail: *offp the offset where it starts (the end of the last
 * complete line), *tailp (malloc'd, owned by the caller, NUL-terminated)
 * and *lenp its bytes.  A journal that ends on a complete line gives
 * *lenp = 0 and *tailp = NULL.  A journal without one complete line is
 * AIRCA_ERR_JOURNAL: it cannot be repaired.
 * journal_truncate() cuts the file at off (after checking that the bytes
 * from off to the end still have SHA-256 sha) and syncs it.  The caller
 * holds the home's lock and journals "journal-repaired" right after.
 */
int	journal_tail_check(const char *home, off_t *offp, char **tailp,
	    size_t *lenp);
int	journal_truncate(const char *home, off_t off,
	    const unsigned char sha[SHA256_LEN]);

/*
 * The run of complete lines after the last signed entry (an unsigned
 * tail), for 'journal repair': off..end its bytes, from the first seq, n
 * entries, list [{seq, event, actor, sha256}] (owned by the caller:
 * json_decref), sha the SHA-256 of its bytes.  n == 0: none.
 * journal_cut() truncates the journal at t->off after checking that the
 * tail is still byte for byte the one in t.  The caller holds the lock
 * and journals what it did right after.
 */
struct journal_tail {
	off_t	off, end;
	unsigned long from, n;
	json_t	*list;
	unsigned char sha[SHA256_LEN];
};
int	journal_tail_unsigned(const char *home, struct journal_tail *t);
int	journal_cut(const char *home, const struct journal_tail *t);

/*
 * Reading (journal-read.c): a line reader that never holds more than one
 * line (at most JOURNAL_MAX_LINE bytes) and a bounded buffer.
 */
struct journal_reader;

/* Open path for reading (O_NOFOLLOW, a regular file).  *rp owned by the caller. */
int	journal_reader_open(const char *path, struct journal_reader **rp);

/* Read from fd (borrowed, not closed); name is for messages. */
int	journal_reader_fd(int fd, const char *name, struct journal_reader **rp);

/*
 * The next line: returns 1 and sets *linep (NUL-terminated, without its
 * "\n", valid until the next call), *lenp and *completep (false when the
 * file ends without a newline: an interrupted append); 0 at end of file;
 * AIRCA_ERR_VERIFY for a line of JOURNAL_MAX_LINE bytes or more;
 * AIRCA_ERR_IO.
 */
int	journal_reader_next(struct journal_reader *r, char **linep,
	    size_t *lenp, bool *completep);
unsigned long journal_reader_lineno(const struct journal_reader *r);
const char *journal_reader_name(const struct journal_reader *r);
void	journal_reader_close(struct journal_reader *r);

/*
 * Verification (journal-verify.c).  Checks, streaming line by line:
 * every line complete, printable ASCII, a JSON object with exactly the
 * keys seq, time, ceremony, event, actor, data, prev in that order and of
 * the right types; seq 1, 2, 3, ...; prev the SHA-256 of the line before
 * (null on line 1); line 1 a "journal-open" with the format magic and a
 * version this airca knows; every checkpoint and seal: from/to covering
 * exactly the entries since the signature before, head the hash of line
 * `to`, audit-cert the SHA-256 of audit's DER, and the signature valid
 * with audit's key; audit chains to root (X509_verify_cert, root the only
 * trust anchor, validity times not checked: the journal outlives them);
 * the last line a checkpoint or seal.  With seal_hex (64 hex digits,
 * either case; spaces allowed) a seal line with that SHA-256 must exist.
 */
struct journal_report {
	unsigned long entries;		/* lines read and verified */
	unsigned long checkpoints;
	unsigned long seals;
	unsigned long last_signed;	/* seq of the last checkpoint or seal */
	unsigned long seal_seq;		/* with seal_hex: the seq of that seal */
	unsigned long pinned_seq;	/* format 2: the seq of the audit-pin (0: format 1, unpinned) */
	long	version;		/* format version of line 1 */
	char	head[SHA256_HEX_LEN + 1];	/* SHA-256 of the last line */
	char	audit_fp[SHA256_HEX_LEN + 1];	/* SHA-256 of the audit cert DER */
	/* With AIRCA_ERR_VERIFY: the first bad entry and what is wrong. */
	unsigned long bad_seq;		/* 0 when no entry is to blame */
	unsigned long bad_line;		/* 0 likewise */
	unsigned long unsigned_tail;	/* entries after the last signature, when that is all that is wrong */
	char	what[512];
};

/*
 * Called for every entry once its line has passed the checks above (but
 * before the signature that covers it has been seen: act on the entries
 * only when journal_verify_fd() returns 0).  entry is borrowed.  A
 * non-zero return stops verification and is returned.
 */
typedef int (*journal_entry_fn)(void *arg, unsigned long seq,
	    const char *event, json_t *entry);

/*
 * Returns 0 (rep filled in), AIRCA_ERR_VERIFY (rep->bad_seq, bad_line,
 * what; the detail message says the same), or another error for what is
 * not the journal's fault (unreadable file: AIRCA_ERR_IO/NOTFOUND).
 */
int	journal_verify(const char *path, X509 *root, X509 *audit,
	    const char *seal_hex, struct journal_report *rep);
int	journal_verify_fd(int fd, const char *name, X509 *root, X509 *audit,
	    const char *seal_hex, journal_entry_fn fn, void *arg,
	    struct journal_report *rep);

/*
 * Read a PEM certificate (root.pem, audit.pem) for verification: a regular
 * file (O_NOFOLLOW) of at most 64 KiB.  *certp owned by the caller.
 */
int	journal_load_cert(const char *path, X509 **certp);

/* Is event one that carries a signature ("checkpoint", "seal")? */
bool	journal_event_signed(const char *event);

#endif
