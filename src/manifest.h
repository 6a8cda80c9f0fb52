/*
 * manifest.h: a device manifest (CSV carried on removable media, hostile
 * input): one row per expected device, a key column that a request's CN or
 * one of its SANs must equal, and columns a profile's map=COLUMN rules take
 * subject values from (WISeKey INeS mapping, and an allow-list at once).
 */
#ifndef AIRCA_MANIFEST_H
#define AIRCA_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "util.h"

#define MANIFEST_MAX_BYTES	(32 * 1024 * 1024)	/* the file */
#define MANIFEST_MAX_ROWS	1000000			/* as a batch's files */
#define MANIFEST_MAX_COLS	32
#define MANIFEST_MAX_FIELD	256			/* bytes of one value */

struct manifest;

/*
 * Read and check a manifest (RFC 4180 CSV; LF or CRLF line ends; a UTF-8
 * byte order mark at the start is skipped; lines that are entirely empty
 * are skipped).  The first line names the columns (1..MAP_COLUMN_MAX of
 * letters, digits, '_', '.', '-', none twice, at most MANIFEST_MAX_COLS);
 * the first column is the key.  Every other line is a row with exactly as
 * many fields; a field is at most MANIFEST_MAX_FIELD bytes of printable
 * UTF-8 (no control characters, line breaks or NULs), quoted with '"' or
 * not, a '"' inside a quoted field written twice.  Keys are not empty and
 * not given twice.  Any fault refuses the whole file (AIRCA_ERR_INPUT
 * naming path:line and what to fix): nothing is signed against a manifest
 * that was not read whole.  *mp is owned by the caller (manifest_free).
 */
int	manifest_load(const char *path, struct manifest **mp);

/* manifest_load() of len bytes of data already read; name is for messages. */
int	manifest_parse(const char *name, const unsigned char *data, size_t len,
	    struct manifest **mp);

void	manifest_free(struct manifest *m);

/* SHA-256 of the file's bytes, as read. */
const unsigned char *manifest_sha256(const struct manifest *m);

size_t	manifest_rows(const struct manifest *m);

/* The key column's name. */
const char *manifest_key_column(const struct manifest *m);

/* Row index whose key is key, or (size_t)-1. */
size_t	manifest_find(const struct manifest *m, const char *key);

/* Row idx's key and its line in the file (1-based). */
const char *manifest_key(const struct manifest *m, size_t idx);
size_t	manifest_line(const struct manifest *m, size_t idx);

/* Row idx as a policy_row (borrows m; valid until manifest_free). */
void	manifest_row(const struct manifest *m, size_t idx,
	    struct policy_row *row);

/* Is column col in the manifest? */
bool	manifest_has_column(const struct manifest *m, const char *col);

#endif
