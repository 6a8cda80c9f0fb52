/*
 * batch.h: a directory of device requests (from removable media) judged,
 * then signed under the device profile by a local device CA.
 *
 * The CLI ('airca batch sign') and the TUI's batch review screen use the
 * same three steps:
 *
 *	batch_open()	find the device CA, list the input directory
 *	batch_scan()	read and judge every request, sign nothing, journal
 *			nothing: what the officers review
 *	batch_leave_out() what the officers did not approve (optional)
 *	batch_sign()	judge again, sign the accepted requests, write OUT,
 *			journal the batch; progress through a callback
 *
 * Requests are taken in byte order of their file names.  Memory stays
 * flat: one request is held at a time (a few in flight while signing);
 * the sorted list of file names and the sets of the CNs and keys seen,
 * for the duplicate check, are in scratch files in the home (pfile.h),
 * behind caches of a fixed size.  Nothing here prints: the caller shows
 * items and progress.
 */
#ifndef AIRCA_BATCH_H
#define AIRCA_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "util.h"

struct ca;

#define BATCH_MAX_FILES		1000000	/* entries in an input directory */
#define BATCH_FILE_MAX		256	/* a file name for display, escaped, NUL included */
#define BATCH_CN_MAX		65	/* CN + NUL (device profile: max 64) */
#define BATCH_REASON_MAX	512

enum batch_verdict {
	BATCH_ACCEPT = 0,	/* passes every check: will be (batch_sign: was) signed */
	BATCH_SKIP,		/* already signed by this CA (same CN and key): re-exported */
	BATCH_REJECT,		/* refused; reason says why and what to do */
};

/* One directory entry of the input and what became of it. */
struct batch_item {
	size_t	index;				/* 0-based, in name order */
	char	file[BATCH_FILE_MAX];		/* the entry's name, control bytes and
						   non-UTF-8 escaped as \xNN: safe to show */
	bool	have_sha;			/* the file was read: sha256 is its content's */
	unsigned char sha256[SHA256_LEN];
	char	cn[BATCH_CN_MAX];		/* the CN once the policy passed it, else "" */
	char	key[24];			/* "EC P-256", "RSA 2048"; "" if not parsed */
	enum batch_verdict verdict;
	char	reason[BATCH_REASON_MAX];	/* REJECT: why; SKIP: the earlier serial */
	/* ACCEPT after batch_sign, and SKIP: */
	char	serial[SERIAL_HEX_MAX];
	char	fingerprint[SHA256_HEX_LEN + 1];	/* SHA-256 of the certificate DER */
};

struct batch_counts {
	size_t	total;			/* directory entries */
	size_t	accepted;		/* signed (batch_sign) or to be signed (batch_scan) */
	size_t	skipped;
	size_t	rejected;
};

struct batch_progress {
	struct batch_counts counts;	/* so far; counts.total is the batch's */
	size_t	done;			/* items finished (accepted + skipped + rejected) */
	double	elapsed;		/* seconds since the step started */
	/*
	 * Items per second measured over the last BATCH_RATE_WINDOW seconds
	 * (since the start before that): on a slow token, the signing rate,
	 * not an average diluted by requests skipped or rejected at first.
	 */
	double	rate;
	double	eta;			/* seconds left at that rate; -1 until known */
	bool	final;			/* the last call: the step is over */
};

#define BATCH_RATE_WINDOW	5	/* seconds */

/*
 * One line for the officer: "120/400  49/s  about 6s left" (rate and time
 * left once they are known; "finishing" once every request is through,
 * "done in 4.1s" at the end).  Into buf, always
 * terminated.
 */
void	batch_progress_text(const struct batch_progress *p, char *buf,
	    size_t size);

/*
 * Called by batch_scan() and batch_sign() once per item in name order,
 * from the calling thread; it is borrowed for the call.  A non-zero return
 * stops the step and is returned (AIRCA_ERR_CANCELLED for an officer's
 * abort).
 */
typedef int	(*batch_item_fn)(void *arg, const struct batch_item *it);

/*
 * Called from the calling thread at most about ten times a second, and
 * once at the end with done == counts.total.
 */
typedef void	(*batch_progress_fn)(void *arg, const struct batch_progress *p);

struct batch_hooks {
	batch_item_fn item;		/* may be NULL */
	batch_progress_fn progress;	/* may be NULL */
	void	*arg;
};

struct batch_result {
	struct batch_counts counts;
	char	in_tree[SHA256_HEX_LEN + 1];	/* input tree hash (docs/batch.md) */
	char	out_tree[SHA256_HEX_LEN + 1];	/* SHA-256 of OUT/SHA256SUMS (batch_sign) */
	double	seconds;
	bool	manifest;			/* signed against a manifest */
	size_t	unused_rows;			/* its rows no request claimed (in summary.json) */
};

/*
 * What a finished batch did, for the officer: "none signed", "3 signed",
 * "3 signed, 2 signed before" (into buf, size bytes, always terminated).
 */
void	batch_counts_done(const struct batch_counts *c, char *buf, size_t size);

struct batch;

/*
 * Open a batch for the device CA whose token key is labelled calabel, on
 * the input directory indir.  ca must be open with CA_HOME (batch_sign
 * also needs CA_WRITE and CA_TOKEN).  Lists indir's entry names (not
 * following a symlinked indir; at most BATCH_MAX_FILES entries) and
 * sorts them; reads no file yet.  *bp is owned by the caller
 * (batch_free); ca must outlive it.
 */
int	batch_open(struct ca *ca, const char *calabel, const char *indir,
	    struct batch **bp);

/*
 * batch_open() under profile profname: NULL or "device" as batch_open()
 * (calabel the device CA), or a user-defined leaf profile of the policy,
 * signed by its issuer (calabel, if not NULL, must name it).  manifest
 * (may be NULL; required when the profile has map= rules): a device
 * manifest (manifest.h), read whole and checked here, before anything is
 * judged.  With one, a request whose CN (or else a SAN) is no row's key is
 * rejected, a row claimed by an earlier request of the batch is refused,
 * the profile's map= rules take the row's values, batch-start journals the
 * manifest's SHA-256, and summary.json lists the rows no request claimed.
 */
int	batch_open_profile(struct ca *ca, const char *profname,
	    const char *calabel, const char *indir, const char *manifest,
	    struct batch **bp);

/* Directory entries found by batch_open(). */
size_t	batch_total(const struct batch *b);

/*
 * Read and judge every request: file (regular, not a symlink, at most
 * MEDIA_MAX_CSR bytes, a visible and printable name), content (exactly one
 * PEM or DER request with a valid self-signature and an accepted key),
 * the device profile's subject rules, duplicates in the batch and in the
 * registry.  Signs nothing, writes nothing, journals nothing.  counts and
 * tree (in_tree of the result; may be NULL) are filled on success; pass
 * tree to batch_sign() so that what is signed is what was reviewed.
 * Returns 0 (whatever the verdicts), or an error that stopped the scan.
 */
int	batch_scan(struct batch *b, const struct batch_hooks *hooks,
	    struct batch_counts *counts, char tree[SHA256_HEX_LEN + 1]);

/*
 * Leave request index (0-based, name order, as batch_scan() gave it) out of
 * the coming batch_sign(): the officers did not approve it at review.  It
 * is then rejected, journaled and listed in rejected.txt like any refusal
 * ("not approved at review"), and claims no CN or key in the duplicate
 * check.  Returns 0, or AIRCA_ERR_INTERNAL for an index past the batch.
 */
int	batch_leave_out(struct batch *b, size_t index);

/*
 * Sign on at most n token sessions at once (0: the default,
 * TOKEN_SIGN_SESSIONS_DEFAULT; the HSM profile's max_sessions and what the
 * token opens may lower it, and batch_sign says so).
 */
void	batch_set_sessions(struct batch *b, unsigned n);

/*
 * Sign the batch into the directory outdir (created if missing; files of
 * an earlier run of the same batch may be there, and are checked, not
 * overwritten): OUT/<CN>.pem (leaf then device CA) for every accepted and
 * skipped request, OUT/rejected.txt ("file: reason" a line),
 * OUT/summary.json and OUT/SHA256SUMS, the file system synced once, then
 * read back against SHA256SUMS.  Journals batch-start, cert-issued and
 * csr-rejected per request, and batch-end, with signed checkpoints along
 * the way, so that a batch killed at any point leaves a journal that
 * verifies and a re-run that finishes the job.
 *
 * expect_tree (may be NULL): the tree hash batch_scan() gave; if the input
 * changed since, nothing is signed (AIRCA_ERR_STATE).  res (may be NULL)
 * is filled when the batch got to its end.  Returns 0 when every request
 * was signed or skipped, AIRCA_ERR_PARTIAL when some were rejected and the
 * rest done, or an error that stopped the batch.
 */
int	batch_sign(struct batch *b, const char *outdir, const char *expect_tree,
	    const struct batch_hooks *hooks, struct batch_result *res);

void	batch_free(struct batch *b);

/* "accept", "skip", "reject". */
const char *batch_verdict_name(enum batch_verdict v);

#endif
