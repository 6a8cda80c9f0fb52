/*
 * batch-int.h: the inside of a batch, shared by batch.c (opening,
 * scanning and judging a directory of requests) and batch-sign.c
 * (signing it); nothing else includes it.
 */
#ifndef AIRCA_BATCH_INT_H
#define AIRCA_BATCH_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "batch.h"
#include "ca.h"
#include "dupset.h"
#include "manifest.h"

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
	char	*names;			/* NUL-separated entry names */
	size_t	*off;			/* offset of each name in names, sorted */
	size_t	n;
	struct dupset cns, keys;
	unsigned char *left_out;	/* bitmap of n bits: batch_leave_out(); NULL: none */
	size_t	nleft_out;
	struct manifest *man;		/* --manifest: the allow-list and mapped values; NULL: none */
	size_t	*row_user;		/* per manifest row: the item that claimed it, or NO_ROW */
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

bool	batch_is_left_out(const struct batch *b, size_t index);
void	batch_rows_clear(struct batch *b);
void	batch_job_reject(struct job *jb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	batch_judge_file(struct batch *b, size_t i, struct job *jb);
void	batch_judge_dups(struct batch *b, struct job *jb,
	    const struct reg_entry **prevp);
double	batch_mono(void);
void	batch_meter_tick(struct meter *m, const struct batch_counts *c,
	    bool final);
void	batch_count(struct batch_counts *c, enum batch_verdict v);
void	batch_tree_add(EVP_MD_CTX *tree, const struct batch_item *it);
void	batch_tree_final(EVP_MD_CTX *tree, char out[SHA256_HEX_LEN + 1]);

#endif
