/*
 * ceremony-report.h: the transcript of a finished ceremony, read back from
 * a verified journal (no token, no PIN): who took part, what each step
 * showed and did, who confirmed it, and the seal.  Shared by the CLI
 * ('airca ceremony report') and the TUI.
 */
#ifndef AIRCA_CEREMONY_REPORT_H
#define AIRCA_CEREMONY_REPORT_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "journal.h"
#include "util.h"

#define CEREMONY_REPORT_WIDTH	80	/* columns of every rendered line */
#define CEREMONY_REPORT_OUTPUTS	100	/* entries kept per step; the rest counted */

struct ceremony_report;

/*
 * Verify the journal at path (as journal_verify() does, with root and
 * audit) and collect the entries of ceremony id, or of the last ceremony
 * in the journal when id is NULL.  Nothing is collected from a journal
 * that does not verify: that is AIRCA_ERR_VERIFY with *jrep saying where
 * (jrep->unsigned_tail > 0 when only the last entries lack a signature).
 * AIRCA_ERR_NOTFOUND when the journal holds no such ceremony.  On success
 * *rp is owned by the caller (ceremony_report_free) and *jrep filled in.
 */
int	ceremony_report_load(const char *path, X509 *root, X509 *audit,
	    const char *id, struct ceremony_report **rp,
	    struct journal_report *jrep);

/* The ceremony's id; never NULL. */
const char *ceremony_report_id(const struct ceremony_report *r);

/*
 * The hex SHA-256 of the ceremony's seal line (what 'journal seal' and the
 * runner printed), or NULL when the ceremony was not sealed.
 */
const char *ceremony_report_seal(const struct ceremony_report *r);

/*
 * Render the transcript, one line at a time through fn (lines of UTF-8
 * without a newline, at most CEREMONY_REPORT_WIDTH columns; the seal's QR
 * code in half blocks).  Text from the journal is shown with control
 * characters and invalid UTF-8 replaced by '?'.  jrep is the report of
 * ceremony_report_load().  Returns 0 or AIRCA_ERR_NOMEM.
 */
typedef void (*ceremony_line_fn)(void *arg, const char *line);
int	ceremony_report_render(const struct ceremony_report *r,
	    const struct journal_report *jrep, const char *path,
	    ceremony_line_fn fn, void *arg);

/*
 * The same as JSON (for --json and front ends): {ceremony, sealed, seal,
 * entries: {first, last}, signed-by, opened, steps, aborted, journal:
 * {entries, checkpoints, seals, audit-cert, head}}; opened, every step and
 * aborted are {seq, time, actor, data} as journaled, and each step has the
 * entries its command journaled as outputs (at most CEREMONY_REPORT_OUTPUTS
 * of a kind) with counts.  A new reference owned by the caller, or NULL.
 */
json_t	*ceremony_report_json(const struct ceremony_report *r,
	    const struct journal_report *jrep);

void	ceremony_report_free(struct ceremony_report *r);

#endif
