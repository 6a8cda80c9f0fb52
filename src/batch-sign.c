/*
 * batch-sign.c: signing a judged directory of requests (batch_sign), with
 * reading and writing overlapped with token signing: a reader thread
 * judges each request on its own (batch.c), the signing loop judges it
 * against the batch and draws its serial, signing threads (one a token
 * session, batch-window.c) build and sign it, the signing loop records it
 * in request order, a writer thread stores and writes the certificates;
 * the journal is checkpointed every group.  batch_sign() runs in phases
 * (open, start, per request judge/record/checkpoint, finish, report,
 * cleanup) over one struct bsign.  Over 1,000 lines on purpose: the order
 * in which a request is judged, journaled, checked, stored, checkpointed
 * and written is what makes a killed batch resumable, and it reads in one
 * place only (the signing threads, which touch none of it, are in
 * batch-window.c).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "batch.h"
#include "batch-int.h"
#include "ca.h"
#include "csr.h"
#include "error.h"
#include "issue.h"
#include "journal.h"
#include "manifest.h"
#include "media.h"
#include "policy.h"
#include "queue.h"
#include "registry.h"
#include "sbuf.h"
#include "sweep.h"
#include "token.h"
#include "util.h"

#define BATCH_GROUP	128	/* journal entries per signed checkpoint while signing */

/* ---- signing: a reader thread, the signing loop, a writer thread ---- */

/*
 * Work for the writer thread: check and store HOME/certs/SERIAL.pem
 * (before the journal entry of the certificate is written; the signing
 * loop takes its share before a checkpoint), or write OUT/<CN>.pem =
 * leaf + device CA (after).  A store job borrows the PEM of the write job
 * that follows it.
 */
struct outjob {
	bool	store;
	X509	*cert;			/* store jobs: the certificate to check; owned */
	char	*pem;			/* the certificate's PEM; owned by write jobs */
	size_t	pemlen;
	char	serial[SERIAL_HEX_MAX];
	char	name[BATCH_CN_MAX + 8];
};
static struct outjob end_job;		/* no more */

struct signer {
	struct batch *b;
	int	outfd;
	int	certsfd;		/* HOME/certs */
	char	outdir[PATH_MAX];
	char	*capem;			/* the device CA's PEM */
	size_t	capemlen;
	struct queue in;		/* reader -> main: struct job * */
	struct queue out;		/* main -> writer: struct outjob * */
	const char *home;
	const struct profile *prof;
	X509	*issuer;		/* the writer's own copy of the device CA */
	/*
	 * Store jobs of the group being signed, under out.mu: the writer
	 * takes them before write jobs, and the signing loop, rather than
	 * sleep until they are done before a checkpoint, takes the ones
	 * not yet started and does them itself.
	 */
	struct outjob *st[BATCH_GROUP];
	size_t	st_taken, st_n;
	size_t	stored;			/* store jobs done (under out.mu) */
	pthread_cond_t stored_cv;
	/* the writer's, read by main after the join */
	struct media_out *sums;		/* OUT/SHA256SUMS, streamed: the writer's until joined */
	int	werr;
	char	wmsg[1024];
	size_t	reused;			/* outputs already there, identical */
};

static void
reader_run(struct signer *s)
{
	struct job *jb;
	size_t i;

	for (i = 0; i < s->b->n; i++) {
		if ((jb = malloc(sizeof(*jb))) == NULL) {
			/* main sees a NULL job before the end: out of memory */
			queue_put(&s->in, NULL);
			return;
		}
		if (batch_judge_file(s->b, i, jb) != 0) {
			/* the names' scratch file failed: main says why */
			free(jb);
			queue_put(&s->in, NULL);
			return;
		}
		if (!queue_put(&s->in, jb)) {
			csr_free(jb->c);
			free(jb);
			return;
		}
	}
}

static void *
reader_main(void *arg)
{
	struct signer *s = arg;

	pthread_setname_np(pthread_self(), "airca-reader");
	reader_run(s);
	queue_eager(&s->in, true);	/* what is queued is all there is */
	return NULL;
}

/* Write one certificate file; an identical file from an earlier run is fine. */
static int
write_cert(struct signer *s, struct outjob *oj)
{
	char *all = NULL, hex[SHA256_HEX_LEN + 1];
	unsigned char *old = NULL;
	size_t len = oj->pemlen, oldlen;
	int r;

	if ((all = malloc(len + s->capemlen)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	memcpy(all, oj->pem, len);
	memcpy(all + len, s->capem, s->capemlen);
	len += s->capemlen;
	r = media_write_at(s->outfd, oj->name, all, len, MEDIA_NOSYNC);
	if (r == AIRCA_ERR_EXISTS) {
		if ((r = media_read_at(s->outfd, oj->name, MEDIA_MAX_CERT, &old,
		    &oldlen)) != 0)
			goto out;
		if (oldlen > oj->pemlen && memcmp(old, all, oj->pemlen) == 0 &&
		    (oldlen != len || memcmp(old, all, len) != 0)) {
			r = airca_errf(AIRCA_ERR_EXISTS, "%s/%s exists with this "
			    "certificate but another chain: the device CA's "
			    "certificate was renewed since (the same key); "
			    "choose another --out for the re-export with the "
			    "renewed chain", s->outdir, oj->name);
			goto out;
		}
		if (oldlen != len || memcmp(old, all, len) != 0) {
			r = airca_errf(AIRCA_ERR_EXISTS, "%s/%s exists and is "
			    "not this certificate: it is not from this batch; "
			    "move it away or choose another --out", s->outdir,
			    oj->name);
			goto out;
		}
		s->reused++;
	} else if (r != 0)
		goto out;
	sha256_hex(all, len, hex);
	if ((r = media_out_write(s->sums, hex, SHA256_HEX_LEN)) != 0 ||
	    (r = media_out_write(s->sums, "  ", 2)) != 0 ||
	    (r = media_out_write(s->sums, oj->name, strlen(oj->name))) != 0 ||
	    (r = media_out_write(s->sums, "\n", 1)) != 0)
		goto out;
 out:
	free(all);
	free(old);
	return r;
}

/* An error of the writer or of a store job, kept for the signing loop (the first one). */
static void
writer_fail(struct signer *s, int r)
{
	pthread_mutex_lock(&s->out.mu);
	if (s->werr == 0) {
		snprintf(s->wmsg, sizeof(s->wmsg), "%s", airca_errmsg());
		__atomic_store_n(&s->werr, r, __ATOMIC_RELEASE);
	}
	pthread_cond_signal(&s->stored_cv);
	pthread_mutex_unlock(&s->out.mu);
}

/*
 * A store job, on the writer or the signing loop (each with its own copy
 * of the issuer): checked and stored before its journal entry is written.
 */
static void
store_one(struct signer *s, struct outjob *sj, X509 *issuer)
{
	int r = 0;

	if (__atomic_load_n(&s->werr, __ATOMIC_ACQUIRE) != 0)
		r = 0;
	else if ((r = issue_check(sj->cert, s->prof, issuer)) != 0)
		airca_errctx(r, "certificate %s", sj->serial);
	else
		r = registry_store_pem_at(s->certsfd, sj->serial, sj->pem,
		    sj->pemlen, MEDIA_NOSYNC);
	if (r != 0)
		writer_fail(s, r);
	pthread_mutex_lock(&s->out.mu);
	s->stored++;
	pthread_cond_signal(&s->stored_cv);
	pthread_mutex_unlock(&s->out.mu);
	X509_free(sj->cert);
	free(sj);
}

/* The signing loop hands a store job over. */
static void
store_put(struct signer *s, struct outjob *sj)
{
	pthread_mutex_lock(&s->out.mu);
	s->st[s->st_n++] = sj;
	if (s->st_n - s->st_taken >= BATCH_WAKE || s->out.eager)
		pthread_cond_signal(&s->out.nonempty);
	pthread_mutex_unlock(&s->out.mu);
}

/*
 * Before a checkpoint: every store job of the group done, the ones the
 * writer has not started done here.  Then the list is empty again.
 */
static void
store_wait(struct signer *s, X509 *issuer)
{
	struct outjob *sj;

	pthread_mutex_lock(&s->out.mu);
	queue_eager_locked(&s->out, true);
	while (s->stored < s->st_n) {
		if (s->st_taken < s->st_n) {
			sj = s->st[s->st_taken++];
			pthread_mutex_unlock(&s->out.mu);
			store_one(s, sj, issuer);
			pthread_mutex_lock(&s->out.mu);
		} else
			pthread_cond_wait(&s->stored_cv, &s->out.mu);
	}
	s->st_taken = s->st_n = s->stored = 0;
	pthread_mutex_unlock(&s->out.mu);
}

static void *
writer_main(void *arg)
{
	struct signer *s = arg;
	struct outjob *oj, *sj;
	int r;

	pthread_setname_np(pthread_self(), "airca-writer");
	for (;;) {
		sj = oj = NULL;
		pthread_mutex_lock(&s->out.mu);
		while (s->st_taken == s->st_n && !queue_ready_locked(&s->out))
			pthread_cond_wait(&s->out.nonempty, &s->out.mu);
		if (s->st_taken < s->st_n)
			sj = s->st[s->st_taken++];
		else
			oj = queue_pop_locked(&s->out);
		pthread_mutex_unlock(&s->out.mu);
		if (sj != NULL) {
			store_one(s, sj, s->issuer);
			continue;
		}
		if (oj == &end_job)
			break;
		if (__atomic_load_n(&s->werr, __ATOMIC_ACQUIRE) == 0 &&
		    (r = write_cert(s, oj)) != 0)
			writer_fail(s, r);
		free(oj->pem);
		free(oj);
	}
	return NULL;
}

/* summary.json's entry for a certificate. */
static void
summary_cert(struct sbuf *sb, const struct batch_item *it, bool first)
{
	char hex[SHA256_HEX_LEN + 1];

	hex_encode(it->sha256, SHA256_LEN, hex);
	sb_str(sb, first ? "\n    {\"file\": " : ",\n    {\"file\": ");
	sb_json(sb, it->file);
	sb_str(sb, ", \"sha256\": \"");
	sb_str(sb, hex);
	sb_str(sb, "\", \"cn\": ");
	sb_json(sb, it->cn);
	sb_str(sb, ", \"serial\": \"");
	sb_str(sb, it->serial);
	sb_str(sb, "\", \"fingerprint\": \"");
	sb_str(sb, it->fingerprint);
	sb_str(sb, it->verdict == BATCH_SKIP ? "\", \"status\": \"skipped\"}" :
	    "\", \"status\": \"signed\"}");
}

/* Start a report file of OUT, streamed; one left by an earlier run is replaced. */
static int
open_report(struct signer *s, const char *name, int flags,
    struct media_out **op)
{
	struct stat st;

	if (fstatat(s->outfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode))
			return airca_errf(AIRCA_ERR_UNSAFE, "%s/%s exists and is "
			    "not a regular file: move it away", s->outdir, name);
		ca_warn(s->b->ca, "replacing %s/%s from an earlier run of this "
		    "batch", s->outdir, name);
		flags |= MEDIA_REPLACE;
	}
	return media_out_open(s->outfd, name, flags, op);
}

/* Finish a report and list it in SHA256SUMS. */
static int
close_report(struct signer *s, struct media_out **op, const char *name)
{
	unsigned char sha[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	int r;

	r = media_out_commit(*op, sha);
	*op = NULL;
	if (r != 0)
		return r;
	hex_encode(sha, SHA256_LEN, hex);
	if ((r = media_out_write(s->sums, hex, SHA256_HEX_LEN)) != 0 ||
	    (r = media_out_write(s->sums, "  ", 2)) != 0 ||
	    (r = media_out_write(s->sums, name, strlen(name))) != 0)
		return r;
	return media_out_write(s->sums, "\n", 1);
}

/*
 * Judge a request again under every rule, with the manifest row its map=
 * rules take values from, and draw its serial: ready to be signed.  A
 * refusal releases the row.
 */
static int
sign_prepare(struct batch *b, struct slot *sl, EVP_PKEY *key, int fl)
{
	struct job *jb = sl->jb;
	struct policy_row row, *rowp = NULL;
	int r;

	if (b->man != NULL && jb->row != NO_ROW) {
		manifest_row(b->man, jb->row, &row);
		rowp = &row;
	}
	if ((r = ca_judge_csr_row(b->ca, b->prof, jb->c, b->cacert, 0, rowp,
	    NULL, NULL, 0, &sl->j)) == 0)
		r = ca_judged_params(b->ca, sl->j, key, fl, &sl->ip);
	/* a duplicate lookup that failed judged nothing */
	if (r == 0)
		r = registry_error(b->ca->reg);
	if (r != 0) {
		ca_judged_free(sl->j);
		sl->j = NULL;
	}
	if (r == AIRCA_ERR_POLICY && rowp != NULL &&
	    b->row_user[jb->row] == jb->it.index)
		b->row_user[jb->row] = NO_ROW;
	return r;
}

/* summary.json's manifest part: its hash and the rows no request claimed. */
static int
summary_manifest(struct batch *b, struct sbuf *lb, struct media_out *sum,
    size_t *unusedp)
{
	char hex[SHA256_HEX_LEN + 1], num[32];
	size_t k, n = 0;
	int r;

	*unusedp = 0;
	if (b->man == NULL)
		return 0;
	hex_encode(manifest_sha256(b->man), SHA256_LEN, hex);
	sb_str(lb, "\n  \"profile\": ");
	sb_json(lb, b->prof->name);
	sb_str(lb, ",\n  \"manifest-sha256\": \"");
	sb_str(lb, hex);
	sb_str(lb, "\",\n  \"unused-rows\": [");
	for (k = 0; k < manifest_rows(b->man); k++) {
		if (b->row_user[k] != NO_ROW)
			continue;
		snprintf(num, sizeof(num), "%zu", manifest_line(b->man, k));
		sb_str(lb, n == 0 ? "\n    {\"line\": " : ",\n    {\"line\": ");
		sb_str(lb, num);
		sb_str(lb, ", \"key\": ");
		sb_json(lb, manifest_key(b->man, k));
		sb_str(lb, "}");
		n++;
		if ((n % 256) == 0 && (r = sb_flush(sum, lb)) != 0)
			return r;
	}
	sb_str(lb, n == 0 ? "]," : "\n  ],");
	*unusedp = n;
	return sb_flush(sum, lb);
}

/*
 * One run of batch_sign(), cut into its phases: open (the input checked
 * against the review, OUT opened and swept, the reports started), start
 * (batch-start journaled and signed, the threads started), then for each
 * request judge, record and, every group, checkpoint; finish (the writer
 * joined, the reports and SHA256SUMS committed, batch-end journaled) and
 * report (the counts, a partial batch an error); cleanup on every path.
 */
struct bsign {
	struct batch *b;
	struct ca *ca;
	const char *outdir, *expect_tree;
	const struct batch_hooks *hooks;
	struct signer s;
	struct batch_counts c;
	struct meter m;
	struct job *jb;
	struct outjob *oj, *pend[BATCH_GROUP];
	struct sbuf lb;
	struct media_out *rej, *sum;
	EVP_PKEY *key;
	EVP_MD_CTX *tc;
	X509	*cert;
	json_t	*d, *extra;
	pthread_t rt, wt;
	struct signers sg;
	size_t	next, done;		/* requests judged, recorded */
	bool	reader, writer, first;
	char	tree[SHA256_HEX_LEN + 1], outtree[SHA256_HEX_LEN + 1];
	unsigned long startseq;
	size_t	npend, ndefer, ndropped, journaled, unused;
	int	homefd;
	double	t0;
	int	fl;
};

static void
sign_init(struct bsign *g, struct batch *b, const char *outdir,
    const char *expect_tree, const struct batch_hooks *hooks)
{
	memset(g, 0, sizeof(*g));
	g->b = b;
	g->ca = b->ca;
	g->outdir = outdir;
	g->expect_tree = expect_tree;
	g->hooks = hooks;
	g->first = true;
	g->homefd = -1;
	g->t0 = batch_mono();
	g->fl = JOURNAL_NOSYNC | JOURNAL_DEFER;
	g->s.b = b;
	g->s.outfd = -1;
	g->s.certsfd = -1;
	queue_init(&g->s.in);
	queue_init(&g->s.out);
	pthread_cond_init(&g->s.stored_cv, NULL);
	window_init(&g->sg);
	g->s.home = g->ca->home;
	g->s.prof = b->prof;
	g->c.total = b->n;
	g->m.hooks = hooks;
}

/*
 * The input checked against the review, OUT opened and swept, the reports
 * started.
 */
static int
sign_open(struct bsign *g)
{
	struct batch *b = g->b;
	struct ca *ca = g->ca;
	struct stat hst, ost;
	int r;

	if (ca->j == NULL || ca->tok == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "batch_sign: the CA is "
		    "not open for writing with the token");
	if ((r = path_join(g->s.outdir, sizeof(g->s.outdir), g->outdir,
	    NULL)) != 0 ||
	    (r = token_signing_key(ca->tok, b->calabel, &g->key)) != 0)
		return r;
	/* The input as it is now, judged as the scan would. */
	if (g->expect_tree != NULL) {
		if ((r = batch_scan(b, NULL, NULL, g->tree)) != 0)
			return r;
		if (strcmp(g->tree, g->expect_tree) != 0)
			return airca_errf(AIRCA_ERR_STATE, "%s changed since it "
			    "was reviewed (tree hash %s, reviewed %s): review "
			    "it again; nothing was signed", b->indir, g->tree,
			    g->expect_tree);
	}
	if ((r = media_mkdir(g->outdir)) != 0)
		return r;
	if ((g->s.outfd = media_opendir(g->outdir)) < 0) {
		r = g->s.outfd;
		g->s.outfd = -1;
		return r;
	}
	/* what a killed batch left in OUT: its temp files (journaled) */
	if ((r = sweep_dir(b->ca, g->s.outfd, g->outdir)) != 0)
		return r;
	if (fstat(g->s.outfd, &ost) == 0 && fstat(b->dirfd, &hst) == 0 &&
	    ost.st_dev == hst.st_dev && ost.st_ino == hst.st_ino)
		return airca_errf(AIRCA_ERR_USAGE, "--out is the input "
		    "directory: write the certificates to another directory");
	if ((g->s.certsfd = registry_certs_open(ca->home)) < 0) {
		r = g->s.certsfd;
		g->s.certsfd = -1;
		return r;
	}
	if ((r = cert_pem(b->cacert, &g->s.capem, &g->s.capemlen)) != 0)
		return r;
	if ((g->s.issuer = X509_dup(b->cacert)) == NULL)
		return AIRCA_ERR_NOMEM;
	/* the reports, streamed to temp files: none appears before the end */
	if ((r = open_report(&g->s, "rejected.txt", MEDIA_NOSYNC,
	    &g->rej)) != 0 ||
	    (r = open_report(&g->s, "summary.json", MEDIA_NOSYNC,
	    &g->sum)) != 0 ||
	    (r = open_report(&g->s, "SHA256SUMS", 0, &g->s.sums)) != 0)
		return r;
	sb_str(&g->lb, "{\n  \"ca\": \"");
	sb_str(&g->lb, b->caserial);
	sb_str(&g->lb, "\",\n  \"label\": ");
	sb_json(&g->lb, b->calabel);
	sb_str(&g->lb, ",\n  \"certificates\": [");
	if ((r = sb_flush(g->sum, &g->lb)) != 0)
		return r;
	if ((g->tc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(g->tc, EVP_sha256(), NULL) != 1)
		return AIRCA_ERR_NOMEM;
	return batch_dups_clear(b);
}

/*
 * The signing threads, one for each session the token and its profile
 * allow (b->sessions asked; a limit below it is said).
 */
static int
sign_start_signers(struct bsign *g)
{
	char why[512];
	unsigned n;
	int r;

	if ((r = token_sign_sessions(g->ca->tok, g->b->sessions, &n, why,
	    sizeof(why))) != 0)
		return r;
	if (why[0] != '\0')
		ca_warn(g->ca, "%s", why);
	return window_start(&g->sg, n, g->b->cacert, g->key);
}

/* The signing threads stopped (what they have queued is dropped), the window let go. */
static void
sign_stop_signers(struct bsign *g)
{
	window_stop(&g->sg);
	for (; g->done < g->next; g->done++)
		slot_free(&g->sg.win[g->done % SIGN_WINDOW]);
}

/*
 * batch-start, signed at once: a kill from here on leaves a journal that
 * verifies; then the threads.
 */
static int
sign_start(struct bsign *g)
{
	struct batch *b = g->b;
	struct ca *ca = g->ca;
	char hex[SHA256_HEX_LEN + 1];
	int r;

	if ((g->d = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "ca", b->caserial,
	    "label", b->calabel, "in", b->indir, "out", g->s.outdir, "files",
	    (json_int_t)b->n, "profile", b->prof->name)) == NULL)
		return AIRCA_ERR_NOMEM;
	if (b->man != NULL) {
		/* what the batch was signed against: the manifest's hash */
		hex_encode(manifest_sha256(b->man), SHA256_LEN, hex);
		if (json_object_set_new(g->d, "manifest-sha256",
		    json_string(hex)) != 0 || json_object_set_new(g->d,
		    "manifest-rows", json_integer((json_int_t)manifest_rows(
		    b->man))) != 0)
			return AIRCA_ERR_NOMEM;
	}
	if ((r = journal_append(ca->j, "batch-start", g->d, 0,
	    &g->startseq)) != 0 ||
	    (r = journal_checkpoint(ca->j, ca->audit_key, ca->audit)) != 0)
		return r;
	json_decref(g->d);
	g->d = NULL;

	if (pthread_create(&g->rt, NULL, reader_main, &g->s) != 0)
		return airca_errf(AIRCA_ERR_INTERNAL, "cannot start the reader");
	g->reader = true;
	if (pthread_create(&g->wt, NULL, writer_main, &g->s) != 0)
		return airca_errf(AIRCA_ERR_INTERNAL, "cannot start the writer");
	g->writer = true;
	if ((r = sign_start_signers(g)) != 0)
		return r;
	g->m.start = g->m.last = batch_mono();
	return 0;
}

/*
 * Request i judged against the batch so far: accepted, its serial drawn
 * and handed to the signing threads; skipped, its earlier certificate
 * loaded; refused, as it is.
 */
static int
sign_stage(struct bsign *g, size_t i)
{
	struct batch *b = g->b;
	struct slot *sl = &g->sg.win[i % SIGN_WINDOW];
	const struct reg_entry *prev;
	char hex[SHA256_HEX_LEN + 1];
	struct job *jb;
	int r;

	memset(sl, 0, sizeof(*sl));
	if ((jb = sl->jb = queue_get(&g->s.in)) == NULL)
		return batch_reader_error(b);
	/* before the duplicate check: a request left out claims no CN or key */
	if (jb->it.verdict != BATCH_REJECT && batch_is_left_out(b, i))
		batch_job_reject(jb, "not approved at review: left out by the "
		    "officers; bring it in another batch if it should be "
		    "signed");
	/* no entry the registry handed out for an earlier request is held */
	registry_release(b->ca->reg);
	if ((r = batch_judge_dups(b, jb, &prev)) != 0 ||
	    (r = registry_error(b->ca->reg)) != 0)
		return r;
	if (jb->it.verdict == BATCH_ACCEPT) {
		r = sign_prepare(b, sl, g->key, g->fl);
		if (r == 0) {
			slot_submit(&g->sg, sl);
			return 0;
		}
		if (r != AIRCA_ERR_POLICY)
			return r;
		batch_job_reject(jb, "%s", airca_errmsg());
	} else if (jb->it.verdict == BATCH_SKIP) {
		if ((r = registry_cert(g->ca->home, prev, &sl->cert)) != 0)
			return r;
		cert_fingerprint(sl->cert, hex);
		if (strcmp(hex, prev->fingerprint) != 0)
			return airca_errf(AIRCA_ERR_STATE, "certs/%s.pem is not "
			    "the certificate the registry lists: run 'airca "
			    "registry rebuild'", prev->serial);
	}
	slot_set_ready(&g->sg, sl);
	return 0;
}

/* A signed request journaled (deferred), in request order. */
static int
sign_accepted(struct bsign *g, struct slot *sl)
{
	struct batch *b = g->b;
	struct job *jb = g->jb;
	char hex[SHA256_HEX_LEN + 1];
	char line[BATCH_FILE_MAX + BATCH_REASON_MAX + 4];
	int r;

	if (sl->r != 0)
		return airca_errf(sl->r, "%s", sl->msg);
	hex_encode(jb->it.sha256, SHA256_LEN, hex);
	if ((g->extra = json_pack("{s:s,s:s,s:I}", "input", jb->it.file,
	    "input-sha256", hex, "batch", (json_int_t)g->startseq)) == NULL)
		return AIRCA_ERR_NOMEM;
	if (b->man != NULL && jb->row != NO_ROW && json_object_set_new(
	    g->extra, "manifest-line", json_integer((json_int_t)manifest_line(
	    b->man, jb->row))) != 0)
		return AIRCA_ERR_NOMEM;
	r = ca_judged_record(b->ca, sl->j, g->key, g->extra, g->fl, g->cert);
	json_decref(g->extra);
	g->extra = NULL;
	if (r != 0)
		return r;
	if (policy_dropped(b->prof, X509_REQ_get_subject_name(jb->c->req),
	    line, sizeof(line)) > 0)
		g->ndropped++;
	cert_serial_hex(g->cert, jb->it.serial, sizeof(jb->it.serial));
	cert_fingerprint(g->cert, jb->it.fingerprint);
	g->ndefer++;
	return 0;
}

/*
 * A certificate into summary.json and the group's pending writes; an
 * accepted one also to be stored.
 */
static int
sign_record_cert(struct bsign *g)
{
	struct job *jb = g->jb;
	struct outjob *oj, *sj;
	int r;

	summary_cert(&g->lb, &jb->it, g->first);
	g->first = false;
	if ((r = sb_flush(g->sum, &g->lb)) != 0)
		return r;
	if ((oj = g->oj = calloc(1, sizeof(*oj))) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = cert_pem(g->cert, &oj->pem, &oj->pemlen)) != 0)
		return r;
	snprintf(oj->name, sizeof(oj->name), "%s.pem", jb->it.cn);
	g->pend[g->npend++] = oj;
	if (jb->it.verdict == BATCH_ACCEPT) {
		/* HOME/certs/SERIAL.pem, off this thread, before its journal entry */
		if ((sj = calloc(1, sizeof(*sj))) == NULL) {
			g->oj = NULL;
			return AIRCA_ERR_NOMEM;
		}
		sj->store = true;
		sj->cert = g->cert;	/* checked by store_one() */
		g->cert = NULL;
		sj->pem = oj->pem;
		sj->pemlen = oj->pemlen;
		memcpy(sj->serial, jb->it.serial, sizeof(sj->serial));
		store_put(&g->s, sj);
	}
	X509_free(g->cert);
	g->cert = NULL;
	g->oj = NULL;
	return 0;
}

/*
 * The judged request recorded: rejected.txt and journaled, or a
 * certificate; then counted and let go.
 */
static int
sign_record(struct bsign *g)
{
	struct job *jb = g->jb;
	char line[BATCH_FILE_MAX + BATCH_REASON_MAX + 4];
	int r;

	if (jb->it.verdict == BATCH_REJECT) {
		if ((r = ca_reject(g->ca, jb->it.file, jb->it.have_sha ?
		    jb->it.sha256 : NULL, jb->it.reason, g->fl)) != 0)
			return r;
		g->ndefer++;
		snprintf(line, sizeof(line), "%s: %s\n", jb->it.file,
		    jb->it.reason);
		if ((r = media_out_write(g->rej, line, strlen(line))) != 0)
			return r;
	} else if ((r = sign_record_cert(g)) != 0)
		return r;
	batch_tree_add(g->tc, &jb->it);
	batch_count(&g->c, jb->it.verdict);
	csr_free(jb->c);
	jb->c = NULL;
	if (g->hooks != NULL && g->hooks->item != NULL &&
	    (r = g->hooks->item(g->hooks->arg, &jb->it)) != 0)
		return r;
	free(jb);
	g->jb = NULL;
	return 0;
}

/*
 * Sign what was journaled, sync it, then let its files be written: a
 * certificate reaches the output only once its entry is on the disk (a
 * journal that cannot be synced later is cut back to its last sync, and
 * would otherwise lose entries whose files are out).
 */
static int
sign_checkpoint(struct bsign *g)
{
	struct ca *ca = g->ca;
	size_t k;
	int r;

	store_wait(&g->s, g->b->cacert);
	if (__atomic_load_n(&g->s.werr, __ATOMIC_ACQUIRE) != 0)
		return airca_errf(g->s.werr, "%s", g->s.wmsg);
	if ((r = journal_checkpoint(ca->j, ca->audit_key, ca->audit)) != 0)
		return r;
	g->journaled = g->c.accepted + g->c.skipped;
	g->ndefer = 0;
	for (k = 0; k < g->npend; k++)
		queue_put(&g->s.out, g->pend[k]);	/* the writer never stops early */
	g->npend = 0;
	queue_eager(&g->s.out, false);
	return 0;
}

/*
 * Request i, once signed (or judged), recorded in request order, and at
 * the end of a group checkpointed.
 */
static int
sign_item(struct bsign *g, size_t i)
{
	struct slot *sl = &g->sg.win[i % SIGN_WINDOW];
	int r;

	slot_wait(&g->sg, sl);
	/* a signature made alone (issue_sign_digest): its certificate put together here */
	if (sl->r == 0 && sl->j != NULL && sl->cert == NULL && sl->tbs != NULL &&
	    (sl->r = issue_assemble(sl->tbs, &sl->cert)) != 0)
		snprintf(sl->msg, sizeof(sl->msg), "%s", airca_errmsg());
	g->jb = sl->jb;
	sl->jb = NULL;
	g->cert = sl->cert;
	sl->cert = NULL;
	r = sl->j != NULL ? sign_accepted(g, sl) : 0;
	ca_judged_free(sl->j);
	issue_tbs_free(sl->tbs);
	sl->j = NULL;
	sl->tbs = NULL;
	if (r != 0 || (r = sign_record(g)) != 0)
		return r;
	if ((g->ndefer >= BATCH_GROUP || g->npend == BATCH_GROUP ||
	    i + 1 == g->b->n) && (r = sign_checkpoint(g)) != 0)
		return r;
	if (__atomic_load_n(&g->s.werr, __ATOMIC_ACQUIRE) != 0)
		return airca_errf(g->s.werr, "%s", g->s.wmsg);
	batch_meter_tick(&g->m, &g->c, false);
	return 0;
}

/*
 * Every request: the signing loop records what is signed, and judges
 * ahead while the window has room, so the signing threads never wait.
 */
static int
sign_all(struct bsign *g)
{
	size_t n = g->b->n;
	int r;

	while (g->done < n) {
		if (g->done == g->next || (g->next < n &&
		    g->next - g->done < SIGN_WINDOW && !slot_ready(&g->sg,
		    &g->sg.win[g->done % SIGN_WINDOW]))) {
			g->next++;
			if ((r = sign_stage(g, g->next - 1)) != 0)
				return r;
			continue;
		}
		if (!slot_ready(&g->sg, &g->sg.win[g->done % SIGN_WINDOW]) &&
		    window_help(&g->sg))
			continue;
		if ((r = sign_item(g, g->done)) != 0)
			return r;
		g->done++;
	}
	return 0;
}

/* summary.json's end: the manifest's part, the tree hash and the counts. */
static int
sign_summary_end(struct bsign *g)
{
	char num[320];
	int r;

	sb_str(&g->lb, g->first ? "]," : "\n  ],");
	if ((r = sb_flush(g->sum, &g->lb)) != 0 ||
	    (r = summary_manifest(g->b, &g->lb, g->sum, &g->unused)) != 0)
		return r;
	snprintf(num, sizeof(num), "\n  \"in-tree-sha256\": \"%s\",\n"
	    "  \"total\": %zu,\n  \"signed\": %zu,\n  \"skipped\": %zu,\n"
	    "  \"rejected\": %zu\n}\n", g->tree,
	    g->c.total, g->c.accepted, g->c.skipped, g->c.rejected);
	if ((r = media_out_write(g->sum, num, strlen(num))) != 0 ||
	    (r = close_report(&g->s, &g->rej, "rejected.txt")) != 0)
		return r;
	return close_report(&g->s, &g->sum, "summary.json");
}

/*
 * The writer finishes, then the reports, one sync, SHA256SUMS, read back,
 * batch-end.
 */
static int
sign_finish(struct bsign *g)
{
	struct batch *b = g->b;
	struct ca *ca = g->ca;
	unsigned char outsha[SHA256_LEN];
	struct stat hst, ost;
	int r;

	queue_eager(&g->s.out, true);
	queue_put(&g->s.out, &end_job);
	pthread_join(g->wt, NULL);
	g->writer = false;
	pthread_join(g->rt, NULL);
	g->reader = false;
	if (g->s.werr != 0)
		return airca_errf(g->s.werr, "%s", g->s.wmsg);
	batch_tree_final(g->tc, g->tree);
	if (g->expect_tree != NULL && strcmp(g->tree, g->expect_tree) != 0)
		return airca_errf(AIRCA_ERR_STATE, "%s changed while it was "
		    "being signed (tree hash %s, reviewed %s): what was signed "
		    "is journaled; review and run again", b->indir, g->tree,
		    g->expect_tree);
	if ((r = sign_summary_end(g)) != 0)
		return r;
	/* one sync of the output file system (and of the home's, for certs/) */
	if ((r = media_syncfs(g->s.outfd)) != 0)
		return r;
	if ((g->homefd = media_opendir(ca->home)) < 0) {
		r = g->homefd;
		g->homefd = -1;
		return r;
	}
	if (fstat(g->s.outfd, &ost) == 0 && fstat(g->homefd, &hst) == 0 &&
	    hst.st_dev != ost.st_dev && (r = media_syncfs(g->homefd)) != 0)
		return r;
	r = media_out_commit(g->s.sums, outsha);
	g->s.sums = NULL;
	if (r != 0 || (r = media_check_sums(g->outdir)) != 0)
		return r;
	hex_encode(outsha, SHA256_LEN, g->outtree);
	if ((g->d = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I}", "batch",
	    (json_int_t)g->startseq, "in-tree-sha256", g->tree,
	    "out-tree-sha256", g->outtree, "total", (json_int_t)g->c.total,
	    "signed", (json_int_t)g->c.accepted, "skipped",
	    (json_int_t)g->c.skipped, "rejected",
	    (json_int_t)g->c.rejected)) == NULL)
		return AIRCA_ERR_NOMEM;
	if (b->man != NULL && json_object_set_new(g->d, "unused-rows",
	    json_integer((json_int_t)g->unused)) != 0)
		return AIRCA_ERR_NOMEM;
	if ((r = journal_append(ca->j, "batch-end", g->d, 0, NULL)) != 0)
		return r;
	return journal_checkpoint(ca->j, ca->audit_key, ca->audit);
}

/* The counts to the caller; a batch with rejections is partial. */
static int
sign_report(struct bsign *g, struct batch_result *res)
{
	char done[64];

	batch_meter_tick(&g->m, &g->c, true);
	if (g->ndropped > 0)
		ca_warn(g->ca, "profile %s dropped subject attributes that no "
		    "rule names from %zu request%s (journaled as "
		    "subject-dropped on each certificate; name them in the "
		    "policy to keep them)", g->b->prof->name, g->ndropped,
		    g->ndropped == 1 ? "" : "s");
	if (res != NULL) {
		res->counts = g->c;
		res->unused_rows = g->unused;
		res->manifest = g->b->man != NULL;
		memcpy(res->in_tree, g->tree, sizeof(res->in_tree));
		memcpy(res->out_tree, g->outtree, sizeof(res->out_tree));
		res->seconds = batch_mono() - g->t0;
	}
	if (g->c.rejected == 0)
		return 0;
	batch_counts_done(&g->c, done, sizeof(done));
	return airca_errf(AIRCA_ERR_PARTIAL, "%zu of %zu requests rejected "
	    "(see %s/rejected.txt); %s", g->c.rejected, g->c.total,
	    g->s.outdir, done);
}

/* The threads stopped and joined, on any path. */
static void
sign_stop_threads(struct bsign *g)
{
	struct signer *s = &g->s;

	if (g->reader) {
		queue_stop(&s->in);
		/* drain so the reader can finish its last put */
		pthread_join(g->rt, NULL);
		while (s->in.n > 0) {
			struct job *x = queue_get(&s->in);

			if (x != NULL)
				csr_free(x->c);
			free(x);
		}
	}
	if (g->writer) {
		/* let it finish what it has (store jobs borrow pend's PEMs) */
		queue_eager(&s->out, true);
		queue_put(&s->out, &end_job);
		pthread_join(g->wt, NULL);
	}
	while (s->st_taken < s->st_n) {		/* none: the writer takes them first */
		X509_free(s->st[s->st_taken]->cert);
		free(s->st[s->st_taken++]);
	}
}

/*
 * After an error: the group in flight dropped, and what the officer does
 * next.
 */
static void
sign_error(struct bsign *g, int r)
{
	struct ca *ca = g->ca;

	if (r != AIRCA_ERR_PARTIAL && ca->j != NULL &&
	    journal_discard_deferred(ca->j) > 0) {
		/*
		 * The group in flight may hold certificates that were not
		 * checked or stored: none of it is journaled (as if killed),
		 * and the registry in memory, which has them, is not saved;
		 * the next run catches up from the journal.
		 */
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", airca_errmsg());
		registry_free(ca->reg);
		ca->reg = NULL;
		ca->reg_dirty = false;
		airca_errf(r, "%s", msg);
	}
	if (r == AIRCA_ERR_TOKEN || r == AIRCA_ERR_LOGIN) {
		/* what the officer does next, with the token's own words first */
		char msg[1536];

		snprintf(msg, sizeof(msg), "%s", airca_errmsg());
		airca_errf(r, "%s. The batch stopped with %zu of %zu requests "
		    "signed and journaled: when the token answers again, run "
		    "the same command; it skips what was signed and finishes "
		    "the batch", msg, g->journaled, g->c.total);
	}
}

/* Everything let go, on any path; r passed through. */
static int
sign_cleanup(struct bsign *g, int r)
{
	sign_stop_signers(g);
	sign_stop_threads(g);
	if (r != 0)
		sign_error(g, r);
	for (; g->npend > 0; g->npend--) {
		free(g->pend[g->npend - 1]->pem);
		free(g->pend[g->npend - 1]);
	}
	if (g->jb != NULL)
		csr_free(g->jb->c);
	free(g->jb);
	if (g->oj != NULL)
		free(g->oj->pem);
	free(g->oj);
	X509_free(g->cert);
	EVP_PKEY_free(g->key);
	EVP_MD_CTX_free(g->tc);
	json_decref(g->d);
	json_decref(g->extra);
	media_out_abort(g->rej);
	media_out_abort(g->sum);
	media_out_abort(g->s.sums);
	free(g->lb.p);
	free(g->s.capem);
	X509_free(g->s.issuer);
	if (g->s.outfd != -1)
		close(g->s.outfd);
	if (g->s.certsfd != -1)
		close(g->s.certsfd);
	if (g->homefd != -1)
		close(g->homefd);
	queue_destroy(&g->s.in);
	queue_destroy(&g->s.out);
	pthread_cond_destroy(&g->s.stored_cv);
	window_destroy(&g->sg);
	return r;
}

int
batch_sign(struct batch *b, const char *outdir, const char *expect_tree,
    const struct batch_hooks *hooks, struct batch_result *res)
{
	struct bsign g;
	int r;

	sign_init(&g, b, outdir, expect_tree, hooks);
	if ((r = sign_open(&g)) == 0 && (r = sign_start(&g)) == 0)
		r = sign_all(&g);
	if (r == 0 && (r = sign_finish(&g)) == 0)
		r = sign_report(&g, res);
	return sign_cleanup(&g, r);
}
