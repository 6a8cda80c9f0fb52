/* journal-read.c: reading the journal one bounded line at a time, for verify, show and replay. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "journal.h"

/* Room for one maximal line, its newline and a good read after it. */
#define READER_BUF	(4 * JOURNAL_MAX_LINE)

struct journal_reader {
	int	fd;
	bool	own;			/* close fd at the end */
	char	name[PATH_MAX];
	char	*buf;
	size_t	start, end;		/* unread bytes are buf[start..end) */
	bool	eof;
	unsigned long lineno;		/* of the line last returned */
};

int
journal_reader_fd(int fd, const char *name, struct journal_reader **rp)
{
	struct journal_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(READER_BUF + 1)) == NULL) {
		free(r);
		return AIRCA_ERR_NOMEM;
	}
	r->fd = fd;
	snprintf(r->name, sizeof(r->name), "%s", name);
	*rp = r;
	return 0;
}

int
journal_reader_open(const char *path, struct journal_reader **rp)
{
	struct stat st;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return airca_errf(AIRCA_ERR_NOTFOUND, "%s: no such "
			    "journal", path);
		return airca_errf(AIRCA_ERR_IO, "%s: %s", path,
		    errno == ELOOP ? "a symbolic link (refused)" :
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return airca_errf(AIRCA_ERR_UNSAFE, "%s: not a regular file",
		    path);
	}
	if ((r = journal_reader_fd(fd, path, rp)) != 0) {
		close(fd);
		return r;
	}
	(*rp)->own = true;
	return 0;
}

int
journal_reader_next(struct journal_reader *r, char **linep, size_t *lenp,
    bool *completep)
{
	char *nl;
	size_t len;
	ssize_t n;

	for (;;) {
		if ((nl = memchr(r->buf + r->start, '\n', r->end - r->start)) !=
		    NULL) {
			len = (size_t)(nl - (r->buf + r->start));
			r->lineno++;
			if (len >= JOURNAL_MAX_LINE)
				return airca_errf(AIRCA_ERR_VERIFY, "%s: line "
				    "%lu is %zu bytes, longer than a journal "
				    "line may be (%d)", r->name, r->lineno,
				    len, JOURNAL_MAX_LINE - 1);
			*nl = '\0';
			*linep = r->buf + r->start;
			*lenp = len;
			*completep = true;
			r->start += len + 1;
			return 1;
		}
		if (r->end - r->start >= JOURNAL_MAX_LINE)
			return airca_errf(AIRCA_ERR_VERIFY, "%s: line %lu is "
			    "longer than a journal line may be (%d)", r->name,
			    r->lineno + 1, JOURNAL_MAX_LINE - 1);
		if (r->eof) {
			if (r->end == r->start)
				return 0;
			r->lineno++;
			r->buf[r->end] = '\0';
			*linep = r->buf + r->start;
			*lenp = r->end - r->start;
			*completep = false;
			r->start = r->end;
			return 1;
		}
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		n = read(r->fd, r->buf + r->end, READER_BUF - r->end);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return airca_errf(AIRCA_ERR_IO, "%s: %s", r->name,
			    strerror(errno));
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

unsigned long
journal_reader_lineno(const struct journal_reader *r)
{
	return r->lineno;
}

const char *
journal_reader_name(const struct journal_reader *r)
{
	return r->name;
}

void
journal_reader_close(struct journal_reader *r)
{
	if (r == NULL)
		return;
	if (r->own)
		close(r->fd);
	free(r->buf);
	free(r);
}
