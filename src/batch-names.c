/*
 * batch-names.c: the file names of a batch's input directory, sorted in
 * byte order (strcmp) and kept in a scratch file (pfile.h), so that a
 * batch of a million requests, or of names that all share a long prefix,
 * holds a bounded amount of memory for them: an external merge sort.  The
 * directory is read once; each run of at most BNAMES_CHUNK names (and
 * BNAMES_RUN_BYTES bytes) is sorted in memory and, when there is more
 * than one, written to a first scratch file; the runs are then merged
 * into the store, a second scratch file: n + 1 offsets of 8 bytes, then
 * the names, NUL-separated, in order.  A batch of one run (up to 32,768
 * names) is written to the store directly.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "batch-int.h"
#include "error.h"
#include "pfile.h"

#define BNAMES_RUN_BYTES	(1024 * 1024)	/* name bytes of a run held in memory */
#define BNAMES_NAME		256		/* a directory entry's name and its NUL */
#define BNAMES_CURSOR		1024		/* a run's bytes read at a time while merging */
#define BNAMES_CACHE		128		/* pages of cache of the store */
#define BNAMES_RUNS_CACHE	16		/* of the runs: written and read in order */

struct bnames {
	pthread_mutex_t mu;
	struct pfile *pf;		/* the store */
	size_t	n;
	uint64_t base;			/* where the names start: 8 * (n + 1) */
	int	err;			/* the first error of the store, kept with its message */
	char	msg[1024];
};

/* One run being read while merging. */
struct cursor {
	uint64_t pos, end;		/* the next name, the run's end */
	uint64_t bstart;		/* buf holds [bstart, bstart + blen) */
	size_t	blen;
	char	buf[BNAMES_CURSOR];
};

/* What is being built: one run in memory, the runs written so far. */
struct builder {
	const char *indir;
	const char *dir;		/* for the scratch files */
	size_t	chunk;
	char	*rb;			/* the run in memory */
	size_t	rlen;
	uint32_t *ro;			/* its names' offsets in rb */
	size_t	rn;
	struct pfile *runs;		/* the runs written */
	uint64_t *rstart;		/* run k is [rstart[k], rstart[k + 1]) */
	size_t	nruns, runcap;
	uint64_t bytes;			/* every name with its NUL */
	size_t	n;
};

/* Names per run: BATCH_NAME_CHUNK, or a test's AIRCA_TEST_BATCH_CHUNK (docs/hacking.md). */
static size_t
chunk_size(void)
{
	const char *s = getenv("AIRCA_TEST_BATCH_CHUNK");
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return BATCH_NAME_CHUNK;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > BATCH_NAME_CHUNK)
		return BATCH_NAME_CHUNK;
	return (size_t)v;
}

static int
cmp_ro(const void *a, const void *b, void *arg)
{
	const char *rb = arg;

	return strcmp(rb + *(const uint32_t *)a, rb + *(const uint32_t *)b);
}

/* The run in memory sorted and appended to the runs file. */
static int
spill(struct builder *bd)
{
	uint64_t pos, *ns;
	size_t k, l;
	int r;

	if (bd->rn == 0)
		return 0;
	qsort_r(bd->ro, bd->rn, sizeof(*bd->ro), cmp_ro, bd->rb);
	if (bd->runs == NULL && (r = pfile_open(bd->dir, "the batch's file "
	    "names (sorting)", BNAMES_RUNS_CACHE, &bd->runs)) != 0)
		return r;
	if (bd->nruns + 2 > bd->runcap) {
		bd->runcap = bd->runcap == 0 ? 16 : bd->runcap * 2;
		if ((ns = reallocarray(bd->rstart, bd->runcap,
		    sizeof(*ns))) == NULL)
			return AIRCA_ERR_NOMEM;
		bd->rstart = ns;
	}
	pos = bd->nruns == 0 ? 0 : bd->rstart[bd->nruns];
	bd->rstart[bd->nruns] = pos;
	/* the blocks first: a page written back later cannot meet a full disk */
	if ((r = pfile_reserve(bd->runs, pos + bd->rlen)) != 0)
		return r;
	for (k = 0; k < bd->rn; k++) {
		l = strlen(bd->rb + bd->ro[k]) + 1;
		if ((r = pfile_write(bd->runs, pos, bd->rb + bd->ro[k], l)) != 0)
			return r;
		pos += l;
	}
	bd->rstart[++bd->nruns] = pos;
	bd->rn = bd->rlen = 0;
	return 0;
}

/* Every entry of the directory but . and .., in runs. */
static int
read_dir(struct builder *bd, int dirfd)
{
	struct dirent *de;
	DIR *d = NULL;
	size_t l;
	int fd, r = 0;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		r = airca_errf(AIRCA_ERR_IO, "%s: %s", bd->indir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (bd->n == BATCH_MAX_FILES) {
			r = airca_errf(AIRCA_ERR_UNSAFE, "%s holds more than %d "
			    "entries: split the batch", bd->indir,
			    BATCH_MAX_FILES);
			goto out;
		}
		l = strnlen(de->d_name, BNAMES_NAME - 1) + 1;
		if ((bd->rn == bd->chunk || bd->rlen + l > BNAMES_RUN_BYTES) &&
		    (r = spill(bd)) != 0)
			goto out;
		memcpy(bd->rb + bd->rlen, de->d_name, l - 1);
		bd->rb[bd->rlen + l - 1] = '\0';
		bd->ro[bd->rn++] = (uint32_t)bd->rlen;
		bd->rlen += l;
		bd->bytes += l;
		bd->n++;
	}
	if (errno != 0)
		r = airca_errf(AIRCA_ERR_IO, "%s: reading the directory: %s",
		    bd->indir, strerror(errno));
 out:
	closedir(d);
	return r;
}

/* Name k of the store, at *pos. */
static int
put_name(struct bnames *bn, size_t k, uint64_t *pos, const char *name)
{
	uint64_t off = *pos - bn->base;
	size_t l = strlen(name) + 1;
	int r;

	if ((r = pfile_write(bn->pf, 8 * (uint64_t)k, &off, 8)) != 0 ||
	    (r = pfile_write(bn->pf, *pos, name, l)) != 0)
		return r;
	*pos += l;
	return 0;
}

/* The cursor's current name; NULL at the run's end.  *rp: an error. */
static const char *
cursor_name(struct pfile *runs, struct cursor *c, int *rp)
{
	size_t in;

	*rp = 0;
	if (c->pos >= c->end)
		return NULL;
	if (c->bstart == UINT64_MAX || (c->pos + BNAMES_NAME > c->bstart +
	    c->blen && c->bstart + c->blen < c->end)) {
		c->bstart = c->pos;
		c->blen = c->end - c->pos < BNAMES_CURSOR ?
		    (size_t)(c->end - c->pos) : BNAMES_CURSOR;
		if ((*rp = pfile_read(runs, c->bstart, c->buf, c->blen)) != 0)
			return NULL;
	}
	in = (size_t)(c->pos - c->bstart);
	if (memchr(c->buf + in, '\0', c->blen - in) == NULL) {
		*rp = airca_errf(AIRCA_ERR_INTERNAL, "the batch's sorted names: "
		    "a run is cut");
		return NULL;
	}
	return c->buf + in;
}

static int
cursor_cmp(struct cursor *cs, size_t a, size_t b)
{
	return strcmp(cs[a].buf + (cs[a].pos - cs[a].bstart),
	    cs[b].buf + (cs[b].pos - cs[b].bstart));
}

/* Restore the heap (smallest name on top) below slot i. */
static void
sift_down(struct cursor *cs, size_t *heap, size_t nh, size_t i)
{
	size_t l, s, t;

	for (;;) {
		s = i;
		l = 2 * i + 1;
		if (l < nh && cursor_cmp(cs, heap[l], heap[s]) < 0)
			s = l;
		if (l + 1 < nh && cursor_cmp(cs, heap[l + 1], heap[s]) < 0)
			s = l + 1;
		if (s == i)
			return;
		t = heap[i];
		heap[i] = heap[s];
		heap[s] = t;
		i = s;
	}
}

/* The runs merged into the store, in byte order. */
static int
merge(struct builder *bd, struct bnames *bn, uint64_t *pos)
{
	struct cursor *cs;
	const char *name;
	size_t *heap, nh = 0, k, i, top;
	int r = 0;

	cs = calloc(bd->nruns, sizeof(*cs));
	heap = calloc(bd->nruns, sizeof(*heap));
	if (cs == NULL || heap == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < bd->nruns; i++) {
		cs[i].pos = bd->rstart[i];
		cs[i].end = bd->rstart[i + 1];
		cs[i].bstart = UINT64_MAX;
		if (cursor_name(bd->runs, &cs[i], &r) != NULL)
			heap[nh++] = i;
		else if (r != 0)
			goto out;
	}
	for (i = nh / 2; i-- > 0; )
		sift_down(cs, heap, nh, i);
	for (k = 0; nh > 0; k++) {
		top = heap[0];
		name = cs[top].buf + (cs[top].pos - cs[top].bstart);
		if ((r = put_name(bn, k, pos, name)) != 0)
			goto out;
		cs[top].pos += strlen(name) + 1;
		if (cursor_name(bd->runs, &cs[top], &r) == NULL) {
			if (r != 0)
				goto out;
			heap[0] = heap[--nh];
		}
		sift_down(cs, heap, nh, 0);
	}
	if (k != bn->n)
		r = airca_errf(AIRCA_ERR_INTERNAL, "the batch's sorted names: "
		    "%zu of %zu merged", k, bn->n);
 out:
	free(cs);
	free(heap);
	return r;
}

/* The store: the names in order, from the one run in memory or merged from the runs. */
static int
write_store(struct builder *bd, struct bnames *bn)
{
	uint64_t pos, end;
	size_t k;
	int r;

	bn->n = bd->n;
	bn->base = pos = 8 * ((uint64_t)bd->n + 1);
	end = bn->base + bd->bytes;
	if ((r = pfile_open(bd->dir, "the batch's file names", BNAMES_CACHE,
	    &bn->pf)) != 0 || (r = pfile_reserve(bn->pf, end)) != 0)
		return r;
	if (bd->runs == NULL) {
		qsort_r(bd->ro, bd->rn, sizeof(*bd->ro), cmp_ro, bd->rb);
		for (k = 0; k < bd->rn; k++)
			if ((r = put_name(bn, k, &pos, bd->rb + bd->ro[k])) != 0)
				return r;
	} else if ((r = spill(bd)) != 0 || (r = merge(bd, bn, &pos)) != 0)
		return r;
	end -= bn->base;
	return pfile_write(bn->pf, 8 * (uint64_t)bd->n, &end, 8);
}

int
bnames_build(int dirfd, const char *indir, const char *scratch,
    struct bnames **bnp)
{
	struct builder bd;
	struct bnames *bn;
	int r;

	*bnp = NULL;
	memset(&bd, 0, sizeof(bd));
	bd.indir = indir;
	bd.dir = scratch;
	bd.chunk = chunk_size();
	if ((bn = calloc(1, sizeof(*bn))) == NULL)
		return AIRCA_ERR_NOMEM;
	pthread_mutex_init(&bn->mu, NULL);
	if ((bd.rb = malloc(BNAMES_RUN_BYTES)) == NULL ||
	    (bd.ro = calloc(bd.chunk, sizeof(*bd.ro))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = read_dir(&bd, dirfd)) != 0 || (r = write_store(&bd, bn)) != 0)
		goto out;
	*bnp = bn;
	bn = NULL;
 out:
	free(bd.rb);
	free(bd.ro);
	free(bd.rstart);
	pfile_close(bd.runs);
	bnames_free(bn);
	return r;
}

size_t
bnames_count(const struct bnames *bn)
{
	return bn->n;
}

/* Name i into buf (size at least BNAMES_NAME); any thread. */
int
bnames_get(struct bnames *bn, size_t i, char *buf, size_t size)
{
	uint64_t o[2];
	int r;

	pthread_mutex_lock(&bn->mu);
	if (bn->err != 0) {
		r = airca_errf(bn->err, "%s", bn->msg);
		goto out;
	}
	if (i >= bn->n) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "the batch has no file %zu",
		    i);
		goto out;
	}
	if ((r = pfile_read(bn->pf, 8 * (uint64_t)i, o, sizeof(o))) != 0)
		goto fail;
	if (o[1] <= o[0] || o[1] - o[0] > size) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "the batch's file name %zu "
		    "does not fit", i);
		goto out;
	}
	if ((r = pfile_read(bn->pf, bn->base + o[0], buf,
	    (size_t)(o[1] - o[0]))) != 0)
		goto fail;
	buf[o[1] - o[0] - 1] = '\0';
	goto out;
 fail:
	bn->err = r;
	snprintf(bn->msg, sizeof(bn->msg), "%s", airca_errmsg());
 out:
	pthread_mutex_unlock(&bn->mu);
	return r;
}

int
bnames_error(struct bnames *bn)
{
	int r = 0;

	pthread_mutex_lock(&bn->mu);
	if (bn->err != 0)
		r = airca_errf(bn->err, "%s", bn->msg);
	pthread_mutex_unlock(&bn->mu);
	return r;
}

void
bnames_free(struct bnames *bn)
{
	if (bn == NULL)
		return;
	pfile_close(bn->pf);
	pthread_mutex_destroy(&bn->mu);
	free(bn);
}
