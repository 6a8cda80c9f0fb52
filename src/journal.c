/* journal.c: appending to the hash-chained journal and signing its checkpoints and seals. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "error.h"
#include "journal.h"
#include "util.h"

struct journal {
	int	fd;
	char	path[PATH_MAX];
	char	ceremony[96];
	char	actor[128];
	unsigned long seq;		/* last seq in the file */
	char	head[SHA256_HEX_LEN + 1];	/* hash of the last line */
	char	last_event[32];
	size_t	nunsigned;		/* entries since the last checkpoint/seal */
	bool	dirty;			/* NOSYNC appends not yet synced */
	char	*pend;			/* JOURNAL_DEFER lines, written with the next signed entry */
	size_t	pendlen, pendcap;
	/* the state before the first deferred line, for journal_discard_deferred() */
	unsigned long pend_seq;
	char	pend_head[SHA256_HEX_LEN + 1];
	char	pend_last_event[32];
	size_t	pend_nunsigned;
};

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
	r = 0;
 out:
	json_decref(root);
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
	struct journal *j;
	int r, rfd;

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
		j->fd = wfd;
		close(rfd);
	}
	if (r != 0)
		goto out;
	*jp = j;
	j = NULL;
 out:
	journal_close(j);
	return r;
}

/* Build the line for an entry (without newline); *linep malloc'd. */
static int
journal_format(struct journal *j, const char *event, json_t *data,
    char **linep)
{
	json_t *e = NULL;
	char ts[21];
	int r = AIRCA_ERR_NOMEM;

	time_iso(now(), ts);
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

/* write() all of buf, across short writes. */
static int
journal_write_all(struct journal *j, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(j->fd, buf, len)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return airca_errf(AIRCA_ERR_JOURNAL, "%s: append failed "
			    "(%s); the last line may be incomplete: stop and "
			    "run 'airca journal verify'", j->path, n < 0 ?
			    strerror(errno) : "short write");
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the deferred lines, if any, then line (NULL: none) in one write(). */
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
			if ((nb = realloc(j->pend, need)) == NULL)
				return AIRCA_ERR_NOMEM;
			j->pend = nb;
			j->pendcap = need;
		}
		memcpy(j->pend + j->pendlen, line, len);
		j->pendlen = need;
	}
	r = journal_write_all(j, j->pend, j->pendlen);
	j->pendlen = 0;
	return r;
}

static int
journal_write_line(struct journal *j, const char *event, char *line, int flags)
{
	size_t len = strlen(line), need;
	char *nb;
	int r;

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
	if (flags & (JOURNAL_NOSYNC | JOURNAL_DEFER))
		j->dirty = true;
	else if (fdatasync(j->fd) == -1)
		return airca_errf(AIRCA_ERR_JOURNAL, "%s: fsync failed: %s",
		    j->path, strerror(errno));
	j->seq++;
	sha256_hex(line, len, j->head);
	snprintf(j->last_event, sizeof(j->last_event), "%s", event);
	return 0;
}

int
journal_append(struct journal *j, const char *event, json_t *data, int flags,
    unsigned long *seqp)
{
	char *line = NULL;
	int r;

	if ((r = journal_format(j, event, data, &line)) != 0 ||
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
	j->seq = j->pend_seq;
	memcpy(j->head, j->pend_head, sizeof(j->head));
	memcpy(j->last_event, j->pend_last_event, sizeof(j->last_event));
	j->nunsigned = j->pend_nunsigned;
	j->pendlen = 0;
	return n;
}

int
journal_sync(struct journal *j)
{
	int r;

	if ((r = journal_flush(j, NULL, 0)) != 0)
		return r;
	if (j->dirty && fdatasync(j->fd) == -1)
		return airca_errf(AIRCA_ERR_JOURNAL, "%s: fsync failed: %s",
		    j->path, strerror(errno));
	j->dirty = false;
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
	snprintf(dirpath, sizeof(dirpath), "%s", home);
	if ((dfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	*jp = j;
	j = NULL;
	r = 0;
 out:
	json_decref(d);
	journal_close(j);
	return r;
}

static const EVP_MD *
sign_md(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_get_bits(key) > 256)
		return EVP_sha384();
	return EVP_sha256();
}

/* Sign "airca-journal-v1 SEQ HEAD\n" and check it with the certificate. */
static int
journal_sign(EVP_PKEY *key, X509 *cert, unsigned long seq, const char *head,
    json_t *data)
{
	EVP_MD_CTX *mc = NULL;
	const EVP_MD *md = sign_md(key);
	unsigned char *sig = NULL;
	char msg[160], *b64 = NULL;
	size_t siglen = 0;
	int r = AIRCA_ERR_CRYPTO, n, mlen;

	if ((mlen = journal_signed_message(seq, head, msg, sizeof(msg))) < 0) {
		r = mlen;
		goto out;
	}
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mc, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(mc, NULL, &siglen, (unsigned char *)msg, (size_t)mlen) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(mc, sig, &siglen, (unsigned char *)msg, (size_t)mlen) != 1) {
		r = airca_errssl(AIRCA_ERR_TOKEN, "the audit key did not sign "
		    "the journal checkpoint");
		goto out;
	}
	EVP_MD_CTX_free(mc);
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mc, NULL, md, NULL, X509_get0_pubkey(cert)) != 1 ||
	    EVP_DigestVerify(mc, sig, siglen, (unsigned char *)msg, (size_t)mlen) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "journal checkpoint "
		    "signature does not verify with the audit certificate");
		goto out;
	}
	if ((b64 = malloc(4 * ((siglen + 2) / 3) + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	b64[n] = '\0';
	if (json_object_set_new(data, "alg", json_string(md == EVP_sha384() ?
	    "sha384" : "sha256")) ||
	    json_object_set_new(data, "sig", json_string(b64))) {
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

static int
journal_signed_entry(struct journal *j, const char *event, EVP_PKEY *key,
    X509 *cert, json_t *extra, char *hexout, int flags)
{
	json_t *d = NULL;
	unsigned char der_md[SHA256_LEN];
	char certfp[SHA256_HEX_LEN + 1], *line = NULL;
	unsigned int mdlen = sizeof(der_md);
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
	X509_digest(cert, EVP_sha256(), der_md, &mdlen);
	hex_encode(der_md, sizeof(der_md), certfp);
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
	if ((r = journal_sign(key, cert, j->seq, j->head, d)) != 0 ||
	    (r = journal_format(j, event, d, &line)) != 0 ||
	    (r = journal_write_line(j, event, line,
	    flags & JOURNAL_NOSYNC)) != 0)
		goto out;
	j->nunsigned = 0;
	if (hexout != NULL)
		snprintf(hexout, SHA256_HEX_LEN + 1, "%s", j->head);
 out:
	free(line);
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

int
journal_truncate(const char *home, off_t off, const unsigned char sha[SHA256_LEN])
{
	char path[PATH_MAX], *tail = NULL;
	unsigned char md[SHA256_LEN];
	size_t len;
	off_t now_off;
	int fd = -1, r;

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
	if ((r = path_join(path, sizeof(path), home, JOURNAL_FILE)) != 0)
		goto out;
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    ftruncate(fd, off) == -1 || fsync(fd) == -1) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "%s: truncating failed: %s",
		    path, strerror(errno));
		goto out;
	}
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	free(tail);
	return r;
}
