/*
 * batch-int.h: the inside of a batch, shared by batch.c (opening,
 * scanning and judging a directory of requests), batch-sign.c (signing
 * it) and batch-window.c (its signing threads); nothing else includes it.
 */
#ifndef AIRCA_BATCH_INT_H
#define AIRCA_BATCH_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "batch.h"
#include "ca.h"
#include "dupset.h"
#include "issue.h"
#include "manifest.h"
#include "token.h"

struct batch {
	struct ca *ca;
	const struct profile *prof;
	char	calabel[65];
	char	caserial[SERIAL_HEX_MAX];
	char	caspki[SHA256_HEX_LEN + 1];	/* its key: renewals of it sign alike */
	X509	*cacert;
	X509_NAME *casubj;		/* a copy for the reader thread */
	char	indir[PATH_MAX];
	int	dirfd;
	struct bnames *names;		/* the entries' names, sorted (batch-names.c) */
	size_t	n;
	struct dupset cns, keys;	/* in scratch files (dupset.h) */
	unsigned char *left_out;	/* bitmap of n bits: batch_leave_out(); NULL: none */
	size_t	nleft_out;
	struct manifest *man;		/* --manifest: the allow-list and mapped values; NULL: none */
	size_t	*row_user;		/* per manifest row: the item that claimed it, or NO_ROW */
	unsigned sessions;		/* signing sessions asked (batch_set_sessions); 0: the default */
};

#define NO_ROW	((size_t)-1)

/* A request read and judged on its own (any thread): what the reader hands on. */
struct job {
	struct batch_item it;
	struct csr *c;			/* NULL when rejected */
	unsigned char cnkey[SHA256_LEN];	/* SHA-256 of the CN */
	size_t	row;			/* the manifest row, or NO_ROW */
};

#define METER_SAMPLES	64	/* at 10 a second: more than BATCH_RATE_WINDOW */

struct meter {
	const struct batch_hooks *hooks;
	struct batch_progress p;
	double	start, last;
	/* (time, done) at each tick, for the rate over the last few seconds */
	double	st[METER_SAMPLES];
	size_t	sd[METER_SAMPLES];
	size_t	ns, head;
};

/*
 * The input directory's entry names, sorted in byte order, in a scratch
 * file in scratch (batch-names.c): bounded memory whatever their number
 * and lengths.  Names per sorted run: BATCH_NAME_CHUNK, or
 * AIRCA_TEST_BATCH_CHUNK in a test (docs/hacking.md).
 */
#define BATCH_NAME_CHUNK	32768

struct bnames;

int	bnames_build(int dirfd, const char *indir, const char *scratch,
	    struct bnames **bnp);
size_t	bnames_count(const struct bnames *bn);
/* Name i into buf (256 bytes suffice); any thread; a scratch file's error is kept. */
int	bnames_get(struct bnames *bn, size_t i, char *buf, size_t size);
/* The error bnames_get() kept (raised again, for another thread), or 0. */
int	bnames_error(struct bnames *bn);
void	bnames_free(struct bnames *bn);

bool	batch_is_left_out(const struct batch *b, size_t index);
void	batch_rows_clear(struct batch *b);
/* The duplicate sets and the manifest's rows empty, for a new pass over the batch. */
int	batch_dups_clear(struct batch *b);
/* Why the reader stopped early: the names' scratch file, or memory. */
int	batch_reader_error(struct batch *b);
void	batch_job_reject(struct job *jb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	batch_judge_file(struct batch *b, size_t i, struct job *jb);
int	batch_judge_dups(struct batch *b, struct job *jb,
	    const struct reg_entry **prevp);
double	batch_mono(void);
void	batch_meter_tick(struct meter *m, const struct batch_counts *c,
	    bool final);
void	batch_count(struct batch_counts *c, enum batch_verdict v);
void	batch_tree_add(EVP_MD_CTX *tree, const struct batch_item *it);
void	batch_tree_final(EVP_MD_CTX *tree, char out[SHA256_HEX_LEN + 1]);

/* ---- the signing window (batch-window.c) ---- */

/*
 * The signing window: requests judged in request order (their serials
 * drawn in that order), signed by the signing threads, one a token
 * session, in any order, and recorded (journaled, stored, written) in
 * request order again.  The token signs while the signing loop judges,
 * builds and records the others.
 */
#define SIGN_WINDOW	64	/* requests between judged and recorded */

struct slot {
	struct job *jb;
	struct ca_judged *j;		/* accepted: judged, its serial drawn */
	struct issue_params ip;
	struct issue_tbs *tbs;		/* built and linted, to be signed */
	X509	*cert;			/* signed (accepted) or issued before (skipped) */
	int	r;			/* the signing thread's error */
	char	msg[1024];
	bool	ready;			/* under signers.mu */
};

struct signers;

struct sworker {
	struct signers *sg;
	X509	*issuer;		/* its own copy of the device CA */
	EVP_PKEY *pub;			/* its own public half of the signing key */
	pthread_t t;
	bool	started;
};

/* A ring of at most SIGN_WINDOW slots. */
struct ring {
	struct slot *v[SIGN_WINDOW];
	size_t	head, n;
};

struct signers {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct ring build;		/* judged: to be built, then signed */
	struct ring sign;		/* built (by the signing loop): to be signed */
	bool	stop;
	struct sworker w[TOKEN_SIGN_SESSIONS_MAX];
	unsigned nw;
	struct slot win[SIGN_WINDOW];	/* request i in win[i % SIGN_WINDOW] */
};

/* The window empty, no thread started; then up to n signing threads. */
void	window_init(struct signers *sg);
int	window_start(struct signers *sg, unsigned n, X509 *cacert,
	    EVP_PKEY *key);
/* The threads stopped (what is queued is not signed) and joined; the slots are the caller's. */
void	window_stop(struct signers *sg);
void	window_destroy(struct signers *sg);
/* A judged request to be built and signed; one ready as it is; is it, wait for it, let it go. */
void	slot_submit(struct signers *sg, struct slot *sl);
void	slot_set_ready(struct signers *sg, struct slot *sl);
bool	slot_ready(struct signers *sg, struct slot *sl);
void	slot_wait(struct signers *sg, struct slot *sl);
void	slot_free(struct slot *sl);
bool	window_help(struct signers *sg);

#endif
