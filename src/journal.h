/*
 * journal.h: the append-only, hash-chained journal HOME/journal.jsonl, signed
 * at checkpoints by the audit key in the token.  The only writer of it.
 * The format is specified in docs/journal.md.
 */
#ifndef AIRCA_JOURNAL_H
#define AIRCA_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util.h"

#define JOURNAL_FORMAT		"airca-journal"
#define JOURNAL_VERSION		1
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
 * Append one entry {seq, time, ceremony, event, actor, data, prev}.  data is
 * borrowed (not stolen) and may be NULL (then {}).  Written with one write()
 * and fdatasync() unless JOURNAL_NOSYNC, in which case journal_sync() must
 * follow before the work is reported done.  Returns 0; *seqp (may be NULL)
 * gets the seq.
 */
#define JOURNAL_NOSYNC	0x01
int	journal_append(struct journal *j, const char *event, json_t *data,
	    int flags, unsigned long *seqp);
int	journal_sync(struct journal *j);

/*
 * Sign every entry since the last checkpoint: append a "checkpoint" entry
 * whose signature covers the SHA-256 of the entry before it (and so, by
 * the chain, every entry before).  Nothing to cover is a no-op.  key is the
 * audit key (token), cert its certificate.
 */
int	journal_checkpoint(struct journal *j, EVP_PKEY *key, X509 *cert);

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

/* The message a checkpoint or seal signs: "airca-journal-v1 SEQ HEAD\n". */
int	journal_signed_message(unsigned long seq, const char *head, char *buf,
	    size_t len);

/* A fresh ceremony/session id: "PREFIX-YYYYMMDDTHHMMSSZ-XXXXXXXX". */
void	journal_new_id(const char *prefix, char *out, size_t len);

#endif
