/*
 * journal.c: appending to the hash-chained journal and signing its
 * checkpoints and seals.  Over 1,000 lines on purpose: the writer's state
 * (seq, head, pending lines, which entries this process wrote, the failed
 * flag that stops every later append) is static here, so that nothing but
 * this file can append to the journal or decide what a checkpoint signs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "error.h"
#include "journal.h"
#include "token.h"
#include "util.h"

struct journal {
	int	fd;
	char	path[PATH_MAX];
	char	ceremony[96];
	char	actor[128];
	off_t	size;			/* bytes in the file after the last good write */
	off_t	synced;			/* of those, known to be on disk */
	unsigned long seq;		/* last seq in the file */
	char	head[SHA256_HEX_LEN + 1];	/* hash of the last line */
	char	last_event[32];
	size_t	nunsigned;		/* entries since the last checkpoint/seal */
	unsigned long foreign;		/* of those, found at open and not written by this process */
	unsigned long foreign_from;	/* the first of them */
	bool	dirty;			/* NOSYNC appends not yet synced */
	char	*pend;			/* JOURNAL_DEFER lines, written with the next signed entry */
	size_t	pendlen, pendcap;
	/* the state before the first deferred line, for journal_discard_deferred() */
	unsigned long pend_seq;
	char	pend_head[SHA256_HEX_LEN + 1];
	char	pend_last_event[32];
	size_t	pend_nunsigned;
};

/*
 * What this process wrote and no signature covers yet: entries own_from
 * to own_seq of the journal file (own_dev, own_ino), the last with hash
 * own_head.  A journal opened again in the same process (the ceremony
 * runner and the commands it runs, the TUI) may sign those; any other
 * unsigned entry it finds was written by someone else and is never signed
 * (journal_foreign()).  Process-wide because handles come and go.
 */
static struct {
	bool	valid;
	dev_t	dev;
	ino_t	ino;
	unsigned long from, seq;
	char	head[SHA256_HEX_LEN + 1];
} own;

/* The first failed write of this process: every later append is refused. */
static int	failed_r;
static char	failed_msg[512];

bool
journal_failed(void)
{
	return failed_r != 0;
}

static int
journal_refuse_failed(const char *what)
{
	return airca_errf(AIRCA_ERR_JOURNAL, "journal: %s refused: an earlier "
	    "append of this airca failed (%s); nothing more is written until "
	    "it is restarted", what, failed_msg);
}

void
journal_new_id(const char *prefix, char *out, size_t len)
{
	unsigned char rnd[4];
	char ts[21], compact[17], hex[9];
	size_t i, o = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), hex);
	time_iso(now(), ts);
	for (i = 0; ts[i] != '\0' && o < sizeof(compact) - 1; i++)
		if (ts[i] != '-' && ts[i] != ':')
			compact[o++] = ts[i];
	compact[o] = '\0';
	snprintf(out, len, "%s-%s-%s", prefix, compact, hex);
}

int
journal_signed_message(unsigned long seq, const char *head, char *buf,
    size_t len)
{
	int n;

	n = snprintf(buf, len, "airca-journal-v1 %lu %s\n", seq, head);
	if (n < 0 || (size_t)n >= len)
		return airca_errf(AIRCA_ERR_INTERNAL, "signed message too long");
	return n;
}

static struct journal *
journal_alloc(const char *home, const char *ceremony, const char *actor)
{
	struct journal *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = -1;
	snprintf(j->path, sizeof(j->path), "%s/%s", home, JOURNAL_FILE);
	snprintf(j->ceremony, sizeof(j->ceremony), "%s", ceremony);
	snprintf(j->actor, sizeof(j->actor), "%s", actor);
	return j;
}

/*
 * The seq of the last checkpoint or seal, scanning back from the end of the
 * file (size bytes, ending in a newline): the entries after it are the ones
 * the next signature covers.  0 if there is none.
 */
static int
journal_last_signed(struct journal *j, int fd, off_t size,
    unsigned long *sigseqp)
{
	enum { BLK = 64 * 1024 };
	char *win = NULL, *line, *nl;
	size_t wlen = 0, chunk, llen;
	off_t pos = size;
	ssize_t n;
	json_t *e = NULL, *v;
	int r = AIRCA_ERR_NOMEM;

	*sigseqp = 0;
	if ((win = malloc(BLK + JOURNAL_MAX_LINE + 1)) == NULL)
		goto out;
	for (;;) {
		/* win[0..wlen) ends with the newline of the last unscanned line */
		nl = wlen > 1 ? memrchr(win, '\n', wlen - 1) : NULL;
		if (nl == NULL && pos > 0) {
			if (wlen > JOURNAL_MAX_LINE) {
				r = airca_errf(AIRCA_ERR_JOURNAL, "%s: a line "
				    "longer than %d bytes; run 'airca journal "
				    "verify'", j->path, JOURNAL_MAX_LINE);
				goto out;
			}
			chunk = pos > BLK ? BLK : (size_t)pos;
			memmove(win + chunk, win, wlen);
			pos -= (off_t)chunk;
			for (llen = 0; llen < chunk; llen += (size_t)n) {
				n = pread(fd, win + llen, chunk - llen,
				    pos + (off_t)llen);
				if (n <= 0) {
					r = airca_errf(AIRCA_ERR_IO, "%s: read "
					    "failed", j->path);
					goto out;
				}
			}
			wlen += chunk;
			continue;
		}
		line = nl != NULL ? nl + 1 : win;
		llen = (size_t)(win + wlen - 1 - line);
		if (llen > 0) {
			e = json_loadb(line, llen, 0, NULL);
			v = json_object_get(e, "event");
			if (json_is_string(v) &&
			    journal_event_signed(json_string_value(v))) {
				v = json_object_get(e, "seq");
				if (json_is_integer(v) && json_integer_value(v) > 0)
					*sigseqp = (unsigned long)
					    json_integer_value(v);
				break;
			}
			json_decref(e);
			e = NULL;
		}
		if (nl == NULL)
			break;
		wlen = (size_t)(line - win);
	}
	r = 0;
 out:
	json_decref(e);
	free(win);
	return r;
}

/*
 * Read the tail of the file: the last complete line must end the file.
 * Sets seq, head and last_event.
 */
static int
journal_read_tail(struct journal *j)
{
	struct stat st;
	char *buf = NULL, *line, *end;
	off_t off;
	size_t want, got = 0;
	ssize_t n;
	json_t *root = NULL, *v;
	json_error_t jerr;
	unsigned long sigseq;
	int r = AIRCA_ERR_JOURNAL;

	if (fstat(j->fd, &st) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "%s: %s", j->path, strerror(errno));
		goto out;
	}
	if (st.st_size == 0) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s is empty: the journal "
		    "lost its first entry; do not continue, call the auditor",
		    j->path);
		goto out;
	}
	want = st.st_size > JOURNAL_MAX_LINE + 1 ? JOURNAL_MAX_LINE + 1 :
	    (size_t)st.st_size;
	off = st.st_size - (off_t)want;
	if ((buf = malloc(want + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	while (got < want) {
		n = pread(j->fd, buf + got, want - got, off + (off_t)got);
		if (n <= 0) {
			r = airca_errf(AIRCA_ERR_IO, "%s: read failed", j->path);
			goto out;
		}
		got += (size_t)n;
	}
	buf[want] = '\0';
	if (buf[want - 1] != '\n') {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s ends in an incomplete "
		    "line (an append was interrupted): airca will not build on "
		    "it; an officer must run 'airca journal repair', which "
		    "journals the truncation", j->path);
		goto out;
	}
	buf[want - 1] = '\0';
	end = buf + want - 1;
	if ((line = memrchr(buf, '\n', (size_t)(end - buf))) != NULL)
		line++;
	else if (off == 0)
		line = buf;
	else {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: last line longer than "
		    "%d bytes", j->path, JOURNAL_MAX_LINE);
		goto out;
	}
	sha256_hex(line, (size_t)(end - line), j->head);
	if ((root = json_loadb(line, (size_t)(end - line), 0, &jerr)) == NULL ||
	    !json_is_integer(v = json_object_get(root, "seq"))) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: last line is not a "
		    "journal entry; run 'airca journal verify'", j->path);
		goto out;
	}
	j->seq = (unsigned long)json_integer_value(v);
	if (json_is_string(v = json_object_get(root, "event")))
		snprintf(j->last_event, sizeof(j->last_event), "%s",
		    json_string_value(v));
	if ((r = journal_last_signed(j, j->fd, st.st_size, &sigseq)) != 0)
		goto out;
	if (sigseq > j->seq) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: the last signature "
		    "(seq %lu) is after the last entry (seq %lu); run 'airca "
		    "journal verify'", j->path, sigseq, j->seq);
		goto out;
	}
	j->nunsigned = j->seq - sigseq;
	j->size = j->synced = st.st_size;
	if (j->nunsigned > 0 && !(own.valid && own.dev == st.st_dev &&
	    own.ino == st.st_ino && own.from == sigseq + 1 &&
	    own.seq == j->seq && strcmp(own.head, j->head) == 0)) {
		j->foreign = j->nunsigned;
		j->foreign_from = sigseq + 1;
	}
	r = 0;
 out:
	json_decref(root);
	free(buf);
	return r;
}

/* Line 1 must be a journal-open of the version this airca writes. */
static int
journal_check_version(struct journal *j, int fd)
{
	char *buf = NULL, *nl;
	ssize_t n;
	json_t *e = NULL, *d;
	int r = AIRCA_ERR_NOMEM;

	if ((buf = malloc(JOURNAL_MAX_LINE + 1)) == NULL)
		goto out;
	if ((n = pread(fd, buf, JOURNAL_MAX_LINE, 0)) <= 0) {
		r = airca_errf(AIRCA_ERR_IO, "%s: read failed", j->path);
		goto out;
	}
	if ((nl = memchr(buf, '\n', (size_t)n)) == NULL ||
	    (e = json_loadb(buf, (size_t)(nl - buf), 0, NULL)) == NULL ||
	    !json_is_object(d = json_object_get(e, "data")) ||
	    !json_is_integer(json_object_get(d, "version"))) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: line 1 is not a "
		    "journal-open entry; run 'airca journal verify'", j->path);
		goto out;
	}
	if (json_integer_value(json_object_get(d, "version")) !=
	    JOURNAL_VERSION) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s is journal format %lld; "
		    "this airca writes format %d only (format 1 does not pin "
		    "the audit certificate to the root): keep it as evidence, "
		    "verify it with 'airca journal verify --allow-unpinned', "
		    "and start a new home", j->path, (long long)
		    json_integer_value(json_object_get(d, "version")),
		    JOURNAL_VERSION);
		goto out;
	}
	r = 0;
 out:
	json_decref(e);
	free(buf);
	return r;
}

static int
journal_fd_open(struct journal *j, int oflags)
{
	if ((j->fd = open(j->path, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC | oflags, 0644)) == -1) {
		if (errno == ENOENT)
			return airca_errf(AIRCA_ERR_STATE, "%s does not exist: "
			    "is this an airca home? (airca init creates it)",
			    j->path);
		if (errno == EEXIST)
			return airca_errf(AIRCA_ERR_EXISTS, "%s exists already",
			    j->path);
		return airca_errf(AIRCA_ERR_JOURNAL, "%s: %s", j->path,
		    strerror(errno));
	}
	return 0;
}

int
journal_open(const char *home, const char *ceremony, const char *actor,
    struct journal **jp)
{
	return journal_open_flags(home, ceremony, actor, 0, jp);
}

int
journal_open_flags(const char *home, const char *ceremony, const char *actor,
    int flags, struct journal **jp)
{
	struct journal *j;
	int r, rfd;

	if (failed_r != 0)
		return journal_refuse_failed("opening the journal");
	if ((j = journal_alloc(home, ceremony, actor)) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = journal_fd_open(j, 0)) != 0)
		goto out;
	/* pread needs a readable descriptor */
	if ((rfd = open(j->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: %s", j->path,
		    strerror(errno));
		goto out;
	}
	{
		int wfd = j->fd;

		j->fd = rfd;
		r = journal_read_tail(j);
		if (r == 0)
			r = journal_check_version(j, rfd);
		j->fd = wfd;
		close(rfd);
	}
	if (r != 0)
		goto out;
	if (flags & JOURNAL_OPEN_ADOPT)
		j->foreign = 0;		/* an officer adopts them: journaled by the caller */
	*jp = j;
	j = NULL;
 out:
	journal_close(j);
	return r;
}

/* Build the line for an entry (without newline) at time ts; *linep malloc'd. */
static int
journal_format(struct journal *j, const char *event, json_t *data,
    const char *ts, char **linep)
{
	json_t *e = NULL;
	int r = AIRCA_ERR_NOMEM;

	if ((e = json_object()) == NULL ||
	    json_object_set_new(e, "seq", json_integer((json_int_t)j->seq + 1)) ||
	    json_object_set_new(e, "time", json_string(ts)) ||
	    json_object_set_new(e, "ceremony", json_string(j->ceremony)) ||
	    json_object_set_new(e, "event", json_string(event)) ||
	    json_object_set_new(e, "actor", json_string(j->actor)) ||
	    json_object_set(e, "data", data != NULL ? data : json_object()) ||
	    json_object_set_new(e, "prev", j->seq == 0 ? json_null() :
	    json_string(j->head)))
		goto out;
	if (data == NULL)
		json_decref(json_object_get(e, "data"));
	if ((*linep = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII)) == NULL)
		goto out;
	r = 0;
 out:
	json_decref(e);
	return r;
}

/*
 * The first failure of a write or sync: cut the file back to off (what
 * is known good), so that no partial line is left, and refuse every later
 * append of this process.  The message names the cause (ENOSPC, EIO).
 */
static int
journal_fail(struct journal *j, const char *what, int err, off_t off)
{
	const char *cut;

	if (ftruncate(j->fd, off) == 0 && fdatasync(j->fd) == 0) {
		j->size = off;
		cut = "the partial write was removed";
	} else
		cut = "removing the partial write failed too: the last line may "
		    "be incomplete";
	if (snprintf(failed_msg, sizeof(failed_msg), "%s: %s: %s", j->path,
	    what, strerror(err)) >= (int)sizeof(failed_msg))
		snprintf(failed_msg, sizeof(failed_msg), "%s: %s", what,
		    strerror(err));
	failed_r = AIRCA_ERR_JOURNAL;
	own.valid = false;
	return airca_errf(AIRCA_ERR_JOURNAL, "%s (%s); nothing more is "
	    "written by this airca.  Fix the cause (free space, check the "
	    "disk), then run 'airca journal repair': it shows this command's "
	    "unsigned entries and journals what is done with them", failed_msg,
	    cut);
}

/* write() all of buf at the end of the file, across short writes; cut back on failure. */
static int
journal_write_all(struct journal *j, const char *buf, size_t len)
{
	off_t start = j->size;
	size_t left = len;
	ssize_t n;

	if (failed_r != 0)
		return journal_refuse_failed("append");
	while (left > 0) {
		if ((n = write(j->fd, buf, left)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return journal_fail(j, "append failed", n < 0 ? errno :
			    ENOSPC, start);
		}
		buf += n;
		left -= (size_t)n;
	}
	j->size = start + (off_t)len;
	return 0;
}

/* fdatasync; on failure cut back to what the last good sync left on disk. */
static int
journal_datasync(struct journal *j)
{
	if (fdatasync(j->fd) == -1)
		return journal_fail(j, "fsync failed", errno, j->synced);
	j->synced = j->size;
	j->dirty = false;
	return 0;
}

/* Record lines first..last (hash head) as this process's, unsigned unless signed. */
static void
journal_own(struct journal *j, unsigned long first, bool signed_)
{
	struct stat st;

	if (signed_ || fstat(j->fd, &st) == -1) {
		own.valid = false;
		return;
	}
	if (!own.valid || own.dev != st.st_dev || own.ino != st.st_ino ||
	    own.seq + 1 != first) {
		own.valid = true;
		own.dev = st.st_dev;
		own.ino = st.st_ino;
		own.from = first;
	}
	own.seq = j->seq;
	memcpy(own.head, j->head, sizeof(own.head));
}

/* Go back to the state before the first deferred line. */
static void
journal_unpend(struct journal *j)
{
	if (j->pendlen == 0)
		return;
	j->seq = j->pend_seq;
	memcpy(j->head, j->pend_head, sizeof(j->head));
	memcpy(j->last_event, j->pend_last_event, sizeof(j->last_event));
	j->nunsigned = j->pend_nunsigned;
	j->pendlen = 0;
}

/*
 * Write the deferred lines, if any, then line (NULL: none) in one
 * write().  On failure the deferred lines are dropped and seq and head go
 * back to what the file holds.
 */
static int
journal_flush(struct journal *j, const char *line, size_t len)
{
	size_t need;
	char *nb;
	int r;

	if (j->pendlen == 0)
		return line != NULL ? journal_write_all(j, line, len) : 0;
	if (line != NULL) {
		need = j->pendlen + len;
		if (need > j->pendcap) {
			if ((nb = realloc(j->pend, need)) == NULL) {
				journal_unpend(j);
				return AIRCA_ERR_NOMEM;
			}
			j->pend = nb;
			j->pendcap = need;
		}
		memcpy(j->pend + j->pendlen, line, len);
		j->pendlen = need;
	}
	if ((r = journal_write_all(j, j->pend, j->pendlen)) != 0) {
		journal_unpend(j);
		return r;
	}
	j->pendlen = 0;
	return 0;
}

static int
journal_write_line(struct journal *j, const char *event, char *line, int flags)
{
	size_t len = strlen(line), need;
	unsigned long first = j->pendlen > 0 ? j->pend_seq + 1 : j->seq + 1;
	char *nb;
	int r;

	if (failed_r != 0)
		return journal_refuse_failed(event);
	if (len >= JOURNAL_MAX_LINE)
		return airca_errf(AIRCA_ERR_JOURNAL, "journal entry '%s' is "
		    "%zu bytes, more than the %d a line may have", event, len,
		    JOURNAL_MAX_LINE);
	line[len] = '\n';
	if (flags & JOURNAL_DEFER) {
		if (j->pendlen == 0) {
			j->pend_seq = j->seq;
			memcpy(j->pend_head, j->head, sizeof(j->pend_head));
			memcpy(j->pend_last_event, j->last_event,
			    sizeof(j->pend_last_event));
			j->pend_nunsigned = j->nunsigned;
		}
		need = j->pendlen + len + 1;
		if (need > j->pendcap) {
			if ((nb = realloc(j->pend, need * 2)) == NULL) {
				line[len] = '\0';
				return AIRCA_ERR_NOMEM;
			}
			j->pend = nb;
			j->pendcap = need * 2;
		}
		memcpy(j->pend + j->pendlen, line, len + 1);
		j->pendlen = need;
		r = 0;
	} else
		r = journal_flush(j, line, len + 1);
	line[len] = '\0';
	if (r != 0)
		return r;
	j->seq++;
	sha256_hex(line, len, j->head);
	snprintf(j->last_event, sizeof(j->last_event), "%s", event);
	if (flags & JOURNAL_DEFER)
		return 0;
	journal_own(j, first, journal_event_signed(event));
	if (flags & JOURNAL_NOSYNC)
		j->dirty = true;
	else if ((r = journal_datasync(j)) != 0)
		return r;
	return 0;
}

int
journal_append(struct journal *j, const char *event, json_t *data, int flags,
    unsigned long *seqp)
{
	char *line = NULL, ts[21];
	int r;

	time_iso(now(), ts);
	if ((r = journal_format(j, event, data, ts, &line)) != 0 ||
	    (r = journal_write_line(j, event, line, flags)) != 0)
		goto out;
	j->nunsigned++;
	if (seqp != NULL)
		*seqp = j->seq;
 out:
	free(line);
	return r;
}

size_t
journal_discard_deferred(struct journal *j)
{
	size_t n;

	if (j->pendlen == 0)
		return 0;
	n = j->seq - j->pend_seq;
	journal_unpend(j);
	return n;
}

int
journal_sync(struct journal *j)
{
	unsigned long first = j->pend_seq + 1;
	bool had = j->pendlen > 0;
	int r;

	if ((r = journal_flush(j, NULL, 0)) != 0)
		return r;
	if (had) {
		journal_own(j, first, false);
		j->dirty = true;
	}
	if (j->dirty && (r = journal_datasync(j)) != 0)
		return r;
	return 0;
}

int
journal_create(const char *home, const char *ceremony, const char *actor,
    json_t *data, struct journal **jp)
{
	struct journal *j;
	json_t *d = NULL;
	char dirpath[PATH_MAX];
	int r = AIRCA_ERR_NOMEM, dfd;

	if ((j = journal_alloc(home, ceremony, actor)) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = journal_fd_open(j, O_CREAT | O_EXCL)) != 0)
		goto out;
	if ((d = json_object()) == NULL ||
	    json_object_set_new(d, "format", json_string(JOURNAL_FORMAT)) ||
	    json_object_set_new(d, "version", json_integer(JOURNAL_VERSION)) ||
	    (data != NULL && json_object_update(d, data))) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = journal_append(j, "journal-open", d, 0, NULL)) != 0)
		goto out;
	/* the new journal's directory entry must be on the media too */
	snprintf(dirpath, sizeof(dirpath), "%s", home);
	if ((dfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: fsync of the directory "
		    "after creating the journal failed: %s", dirpath,
		    strerror(errno));
		if (dfd != -1)
			close(dfd);
		goto out;
	}
	close(dfd);
	*jp = j;
	j = NULL;
	r = 0;
 out:
	json_decref(d);
	journal_close(j);
	return r;
}

int
journal_sig_message(const char *line, size_t len, char **msgp, size_t *msglenp,
    size_t *sigoffp, size_t *siglenp)
{
	static const char key[] = "\"sig\":\"";
	const char *p, *found = NULL, *end;
	size_t klen = sizeof(key) - 1, plen = sizeof(JOURNAL_SIG_PREFIX) - 1;
	char *msg;

	for (p = line; (p = memmem(p, len - (size_t)(p - line), key, klen)) !=
	    NULL; p += klen) {
		if (found != NULL)
			return airca_errf(AIRCA_ERR_VERIFY, "more than one "
			    "\"sig\" key in a signed entry");
		found = p;
	}
	if (found == NULL)
		return airca_errf(AIRCA_ERR_VERIFY, "no \"sig\" in a signed entry");
	found += klen;
	if ((end = memchr(found, '"', len - (size_t)(found - line))) == NULL)
		return airca_errf(AIRCA_ERR_VERIFY, "unterminated \"sig\"");
	if ((msg = malloc(plen + len + 1)) == NULL)
		return AIRCA_ERR_NOMEM;
	memcpy(msg, JOURNAL_SIG_PREFIX, plen);
	memcpy(msg + plen, line, (size_t)(found - line));
	memcpy(msg + plen + (size_t)(found - line), end,
	    len - (size_t)(end - line));
	*msglenp = plen + len - (size_t)(end - found);
	msg[*msglenp] = '\0';
	*msgp = msg;
	*sigoffp = (size_t)(found - line);
	*siglenp = (size_t)(end - found);
	return 0;
}

static const EVP_MD *
sign_md(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_get_bits(key) > 256)
		return EVP_sha384();
	return EVP_sha256();
}

/*
 * Sign msg with key, check the signature with cert's key, and set
 * data.sig (base64).
 */
static int
journal_sign(EVP_PKEY *key, X509 *cert, const char *msg, size_t mlen,
    json_t *data)
{
	EVP_MD_CTX *mc = NULL;
	const EVP_MD *md = sign_md(key);
	unsigned char *sig = NULL;
	char *b64 = NULL;
	size_t siglen = 0;
	int r = AIRCA_ERR_CRYPTO, n;

	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mc, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(mc, NULL, &siglen, (const unsigned char *)msg,
	    mlen) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(mc, sig, &siglen, (const unsigned char *)msg,
	    mlen) != 1) {
		r = token_errssl(AIRCA_ERR_TOKEN, "the token did not sign the "
		    "journal entry");
		goto out;
	}
	EVP_MD_CTX_free(mc);
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mc, NULL, md, NULL, X509_get0_pubkey(cert)) != 1 ||
	    EVP_DigestVerify(mc, sig, siglen, (const unsigned char *)msg,
	    mlen) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the journal signature does "
		    "not verify with the certificate it names");
		goto out;
	}
	if ((b64 = malloc(4 * ((siglen + 2) / 3) + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	b64[n] = '\0';
	if (json_object_set_new(data, "sig", json_string(b64))) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	r = 0;
 out:
	free(b64);
	free(sig);
	EVP_MD_CTX_free(mc);
	return r;
}

static void
cert_sha256(X509 *cert, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int mdlen = sizeof(md);

	X509_digest(cert, EVP_sha256(), md, &mdlen);
	hex_encode(md, sizeof(md), hex);
}

/*
 * Write a signed entry.  d (owned by the caller) is its data without
 * "alg" and "sig"; they are added last.  The signature covers the whole
 * line with "sig":"" (JOURNAL_SIG_PREFIX first): every byte but the
 * signature's own, so the chain (prev) and every field of the entry.
 */
static int
journal_signed_write(struct journal *j, const char *event, EVP_PKEY *key,
    X509 *cert, json_t *d, int flags)
{
	char *line = NULL, *msg = NULL, ts[21];
	size_t mlen, sigoff, siglen;
	int r;

	if (failed_r != 0)
		return journal_refuse_failed(event);
	if (j->foreign > 0)
		return airca_errf(AIRCA_ERR_JOURNAL, "%s: entries %lu..%lu were "
		    "not written by this airca and no signature covers them: "
		    "they are never signed without an officer's decision; run "
		    "'airca journal repair'", j->path, j->foreign_from,
		    j->foreign_from + j->foreign - 1);
	time_iso(now(), ts);
	if (json_object_set_new(d, "alg", json_string(sign_md(key) ==
	    EVP_sha384() ? "sha384" : "sha256")) ||
	    json_object_set_new(d, "sig", json_string(""))) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = journal_format(j, event, d, ts, &line)) != 0 ||
	    (r = journal_sig_message(line, strlen(line), &msg, &mlen, &sigoff,
	    &siglen)) != 0 ||
	    (r = journal_sign(key, cert, msg, mlen, d)) != 0)
		goto out;
	free(line);
	line = NULL;
	if ((r = journal_format(j, event, d, ts, &line)) != 0 ||
	    (r = journal_write_line(j, event, line, flags & JOURNAL_NOSYNC)) != 0)
		goto out;
	j->nunsigned = 0;
 out:
	free(msg);
	free(line);
	return r;
}

static int
journal_signed_entry(struct journal *j, const char *event, EVP_PKEY *key,
    X509 *cert, json_t *extra, char *hexout, int flags)
{
	json_t *d = NULL;
	char certfp[SHA256_HEX_LEN + 1];
	unsigned long first = j->seq - j->nunsigned + 1;
	int r = AIRCA_ERR_NOMEM;

	if (key == NULL || cert == NULL) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "journal %s without the "
		    "audit key and certificate", event);
		goto out;
	}
	if (!(flags & JOURNAL_NOSYNC) && j->pendlen == 0 &&
	    (r = journal_sync(j)) != 0)
		goto out;
	r = AIRCA_ERR_NOMEM;
	cert_sha256(cert, certfp);
	/* The signature fields end data, in this order (docs/journal.md). */
	if ((d = json_object()) == NULL ||
	    (extra != NULL && json_object_update(d, extra)))
		goto out;
	json_object_del(d, "from");
	json_object_del(d, "to");
	json_object_del(d, "head");
	json_object_del(d, "audit-cert");
	json_object_del(d, "alg");
	json_object_del(d, "sig");
	if (json_object_set_new(d, "from", json_integer((json_int_t)
	    (j->nunsigned > 0 ? first : j->seq))) ||
	    json_object_set_new(d, "to", json_integer((json_int_t)j->seq)) ||
	    json_object_set_new(d, "head", json_string(j->head)) ||
	    json_object_set_new(d, "audit-cert", json_string(certfp)))
		goto out;
	if ((r = journal_signed_write(j, event, key, cert, d, flags)) != 0)
		goto out;
	if (hexout != NULL)
		snprintf(hexout, SHA256_HEX_LEN + 1, "%s", j->head);
 out:
	json_decref(d);
	return r;
}

int
journal_pin(struct journal *j, EVP_PKEY *root_key, X509 *root, X509 *audit)
{
	json_t *d = NULL;
	unsigned char spki[SHA256_LEN];
	char afp[SHA256_HEX_LEN + 1], rfp[SHA256_HEX_LEN + 1];
	char spkihex[SHA256_HEX_LEN + 1], serial[80];
	unsigned char *der = NULL;
	BIGNUM *bn = NULL;
	char *bnhex = NULL;
	int len, r = AIRCA_ERR_NOMEM;

	if ((r = journal_sync(j)) != 0)
		goto out;
	r = AIRCA_ERR_NOMEM;
	cert_sha256(audit, afp);
	cert_sha256(root, rfp);
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(audit), &der)) <= 0)
		goto out;
	sha256(der, (size_t)len, spki);
	hex_encode(spki, sizeof(spki), spkihex);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(audit), NULL)) ==
	    NULL || (bnhex = BN_bn2hex(bn)) == NULL)
		goto out;
	snprintf(serial, sizeof(serial), "%s", bnhex);
	if ((d = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "from",
	    (json_int_t)(j->nunsigned > 0 ? j->seq - j->nunsigned + 1 : j->seq),
	    "to", (json_int_t)j->seq, "head", j->head, "audit-cert", afp,
	    "audit-spki", spkihex, "audit-serial", serial, "root-cert",
	    rfp)) == NULL)
		goto out;
	/* root-signed: it covers the entries before it like a checkpoint */
	r = journal_signed_write(j, "audit-pin", root_key, root, d, 0);
 out:
	OPENSSL_free(bnhex);
	BN_free(bn);
	OPENSSL_free(der);
	json_decref(d);
	return r;
}

int
journal_checkpoint(struct journal *j, EVP_PKEY *key, X509 *cert)
{
	return journal_checkpoint_flags(j, key, cert, 0);
}

int
journal_checkpoint_flags(struct journal *j, EVP_PKEY *key, X509 *cert,
    int flags)
{
	if (j->nunsigned == 0)
		return 0;
	return journal_signed_entry(j, "checkpoint", key, cert, NULL, NULL,
	    flags);
}

int
journal_seal(struct journal *j, EVP_PKEY *key, X509 *cert, json_t *data,
    char hex_out[SHA256_HEX_LEN + 1])
{
	return journal_signed_entry(j, "seal", key, cert, data, hex_out, 0);
}

size_t
journal_unsigned(const struct journal *j)
{
	return j->nunsigned;
}

unsigned long
journal_seq(const struct journal *j)
{
	return j->seq;
}

const char *
journal_head(const struct journal *j)
{
	return j->head;
}

const char *
journal_ceremony(const struct journal *j)
{
	return j->ceremony;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1) {
		if (failed_r == 0)
			journal_sync(j);
		close(j->fd);
	}
	free(j->pend);
	free(j);
}

int
journal_tail_check(const char *home, off_t *offp, char **tailp, size_t *lenp)
{
	struct stat st;
	char path[PATH_MAX], *buf = NULL, *nl;
	size_t want, got;
	off_t off;
	ssize_t n;
	int fd = -1, r;

	*tailp = NULL;
	*lenp = 0;
	if ((r = path_join(path, sizeof(path), home, JOURNAL_FILE)) != 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		r = airca_errf(errno == ENOENT ? AIRCA_ERR_STATE : AIRCA_ERR_IO,
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s: not a regular file", path);
		goto out;
	}
	want = st.st_size > JOURNAL_MAX_LINE + 1 ? JOURNAL_MAX_LINE + 1 :
	    (size_t)st.st_size;
	off = st.st_size - (off_t)want;
	if ((buf = malloc(want + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (got = 0; got < want; got += (size_t)n) {
		if ((n = pread(fd, buf + got, want - got, off + (off_t)got)) <= 0) {
			r = airca_errf(AIRCA_ERR_IO, "%s: read failed", path);
			goto out;
		}
	}
	buf[want] = '\0';
	if (want == 0 || buf[want - 1] == '\n') {
		*offp = st.st_size;
		r = 0;
		goto out;
	}
	if ((nl = memrchr(buf, '\n', want)) == NULL) {
		r = airca_errf(AIRCA_ERR_JOURNAL, off == 0 ? "%s has no "
		    "complete line: it cannot be repaired; keep it for the "
		    "auditor" : "%s: the incomplete last line is longer than a "
		    "journal line may be: this is not an interrupted append; "
		    "keep it for the auditor", path);
		goto out;
	}
	*lenp = (size_t)(buf + want - (nl + 1));
	*offp = st.st_size - (off_t)*lenp;
	memmove(buf, nl + 1, *lenp);
	buf[*lenp] = '\0';
	*tailp = buf;
	buf = NULL;
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	free(buf);
	return r;
}

/* Cut HOME/journal.jsonl at off and sync it (the callers checked what goes). */
static int
journal_cut_at(const char *home, off_t off)
{
	char path[PATH_MAX];
	int fd = -1, r;

	if ((r = path_join(path, sizeof(path), home, JOURNAL_FILE)) != 0)
		return r;
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    ftruncate(fd, off) == -1 || fsync(fd) == -1)
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: truncating failed: %s",
		    path, strerror(errno));
	if (fd != -1)
		close(fd);
	return r;
}

int
journal_truncate(const char *home, off_t off, const unsigned char sha[SHA256_LEN])
{
	char *tail = NULL;
	unsigned char md[SHA256_LEN];
	size_t len;
	off_t now_off;
	int r;

	if ((r = journal_tail_check(home, &now_off, &tail, &len)) != 0)
		goto out;
	if (tail != NULL)
		sha256(tail, len, md);
	if (tail == NULL || now_off != off || memcmp(md, sha, SHA256_LEN) != 0) {
		r = airca_errf(AIRCA_ERR_STATE, "the journal's tail changed "
		    "since it was shown: nothing removed; run 'airca journal "
		    "repair' again");
		goto out;
	}
	r = journal_cut_at(home, off);
 out:
	free(tail);
	return r;
}

unsigned long
journal_foreign(const struct journal *j, unsigned long *fromp)
{
	if (fromp != NULL)
		*fromp = j->foreign_from;
	return j->foreign;
}

bool
journal_tail_own(const char *path, unsigned long from, unsigned long seq,
    const char *head)
{
	struct stat st;

	return own.valid && stat(path, &st) == 0 && own.dev == st.st_dev &&
	    own.ino == st.st_ino && own.from == from && own.seq == seq &&
	    strcmp(own.head, head) == 0;
}

int
journal_tail_unsigned(const char *home, struct journal_tail *t)
{
	struct journal_reader *rd = NULL;
	char path[PATH_MAX], hex[SHA256_HEX_LEN + 1], *line;
	EVP_MD_CTX *mc = NULL;
	json_t *e = NULL, *list = NULL, *ent;
	off_t off = 0, start = 0;
	size_t len;
	unsigned long lineno = 0, first = 1;
	bool complete;
	int got, r = AIRCA_ERR_NOMEM;

	memset(t, 0, sizeof(*t));
	if ((r = path_join(path, sizeof(path), home, JOURNAL_FILE)) != 0 ||
	    (r = journal_reader_open(path, &rd)) != 0)
		goto out;
	r = AIRCA_ERR_NOMEM;
	if ((list = json_array()) == NULL)
		goto out;
	/* the offset and seq where the last run of unsigned lines starts */
	while ((got = journal_reader_next(rd, &line, &len, &complete)) == 1) {
		lineno++;
		if (!complete)
			break;		/* an incomplete line: repaired apart */
		if ((e = json_loadb(line, len, 0, NULL)) == NULL) {
			r = airca_errf(AIRCA_ERR_JOURNAL, "%s:%lu does not parse: "
			    "run 'airca journal verify'", path, lineno);
			goto out;
		}
		off += (off_t)len + 1;
		if (journal_event_signed(json_string_value(json_object_get(e,
		    "event")))) {
			json_array_clear(list);
			start = off;
			first = lineno + 1;
		} else {
			sha256_hex(line, len, hex);
			if ((ent = json_pack("{s:I,s:s,s:s,s:s}", "seq",
			    json_object_get(e, "seq") != NULL ?
			    json_integer_value(json_object_get(e, "seq")) : 0,
			    "event", json_string_value(json_object_get(e,
			    "event")) != NULL ? json_string_value(
			    json_object_get(e, "event")) : "?", "actor",
			    json_string_value(json_object_get(e, "actor")) !=
			    NULL ? json_string_value(json_object_get(e,
			    "actor")) : "?", "sha256", hex)) == NULL ||
			    json_array_append_new(list, ent) != 0)
				goto out;
		}
		json_decref(e);
		e = NULL;
	}
	if (got < 0) {
		r = got;
		goto out;
	}
	t->off = start;
	t->end = off;
	t->from = first;
	t->n = json_array_size(list);
	/* the SHA-256 of the tail's bytes, to cut exactly what was shown */
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(mc, EVP_sha256(), NULL) != 1)
		goto out;
	journal_reader_close(rd);
	rd = NULL;
	{
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		char buf[65536];
		off_t pos = start;
		ssize_t n;

		if (fd == -1) {
			r = airca_errf(AIRCA_ERR_IO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		while (pos < off && (n = pread(fd, buf, (size_t)(off - pos) <
		    sizeof(buf) ? (size_t)(off - pos) : sizeof(buf), pos)) > 0) {
			EVP_DigestUpdate(mc, buf, (size_t)n);
			pos += n;
		}
		close(fd);
		if (pos != off || EVP_DigestFinal_ex(mc, t->sha, NULL) != 1) {
			r = airca_errf(AIRCA_ERR_IO, "%s: read failed", path);
			goto out;
		}
	}
	t->list = list;
	list = NULL;
	r = 0;
 out:
	EVP_MD_CTX_free(mc);
	json_decref(e);
	json_decref(list);
	journal_reader_close(rd);
	return r;
}

int
journal_cut(const char *home, const struct journal_tail *t)
{
	struct journal_tail now;
	int r;

	if ((r = journal_tail_unsigned(home, &now)) != 0)
		goto out;
	if (now.off != t->off || now.end != t->end ||
	    memcmp(now.sha, t->sha, SHA256_LEN) != 0) {
		r = airca_errf(AIRCA_ERR_STATE, "the journal's unsigned tail "
		    "changed since it was shown: nothing removed; run 'airca "
		    "journal repair' again");
		goto out;
	}
	r = journal_cut_at(home, t->off);
 out:
	json_decref(now.list);
	return r;
}
