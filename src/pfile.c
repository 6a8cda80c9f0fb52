/* pfile.c: an unnamed scratch file behind a direct-mapped cache of pages. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "media.h"
#include "pfile.h"

#define NO_PAGE	UINT64_MAX

struct pfile {
	int	fd;
	int	err;			/* the first error, kept */
	char	dir[PATH_MAX];
	char	what[64];
	size_t	npages;			/* cache lines, a power of two */
	uint64_t *tag;			/* page held by each line, or NO_PAGE */
	bool	*dirty;
	unsigned char *data;		/* npages * PFILE_PAGE */
};

/* O_TMPFILE in dir; a named file unlinked at once where there is none. */
static int
scratch_open(const char *dir)
{
	char path[PATH_MAX];
	int fd, n;

	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -1;
	n = snprintf(path, sizeof(path), "%s/" MEDIA_TMP_PREFIX "%ld.scratch.XXXXXX",
	    dir, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	if (unlink(path) == -1) {
		n = errno;
		close(fd);
		errno = n;
		return -1;
	}
	return fd;
}

static int
pf_fail(struct pfile *pf, const char *verb, int e)
{
	pf->err = airca_errf(AIRCA_ERR_IO, "cannot %s the scratch file for %s "
	    "in %s: %s (it holds no state of its own: free space there, or "
	    "set TMPDIR for a read-only home, and run the command again)",
	    verb, pf->what, pf->dir, strerror(e));
	return pf->err;
}

/*
 * The cache asked, or fewer pages when a test sets AIRCA_TEST_SCRATCH_PAGES
 * (docs/hacking.md): pages are then written back and read again in a
 * batch of a few hundred requests, where a fault can be injected.
 */
static size_t
cache_size(size_t asked)
{
	const char *s = getenv("AIRCA_TEST_SCRATCH_PAGES");
	unsigned long v;
	char *end;

	if (s == NULL || *s == '\0')
		return asked;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v >= asked)
		return asked;
	return (size_t)v;
}

int
pfile_open(const char *dir, const char *what, size_t cache_pages,
    struct pfile **pfp)
{
	const char *alt[3];
	struct pfile *pf;
	size_t i, n = 1;
	int fd = -1, e = 0;

	*pfp = NULL;
	alt[0] = dir;
	alt[1] = getenv("TMPDIR");
	alt[2] = "/tmp";
	for (i = 0; i < 3 && fd == -1; i++) {
		if (alt[i] == NULL || alt[i][0] == '\0')
			continue;
		if ((fd = scratch_open(alt[i])) == -1) {
			if (i == 0)
				e = errno;
			if (errno != EROFS && errno != EACCES && errno != EPERM)
				break;
		} else
			dir = alt[i];
	}
	if (fd == -1)
		return airca_errf(AIRCA_ERR_IO, "cannot make a scratch file for "
		    "%s in %s: %s (free space there and run the command again)",
		    what, alt[0], strerror(e != 0 ? e : errno));
	cache_pages = cache_size(cache_pages);
	while (n < cache_pages)
		n *= 2;
	if ((pf = calloc(1, sizeof(*pf))) == NULL ||
	    (pf->tag = calloc(n, sizeof(*pf->tag))) == NULL ||
	    (pf->dirty = calloc(n, sizeof(*pf->dirty))) == NULL ||
	    (pf->data = malloc(n * PFILE_PAGE)) == NULL) {
		if (pf != NULL) {
			free(pf->tag);
			free(pf->dirty);
		}
		free(pf);
		close(fd);
		return AIRCA_ERR_NOMEM;
	}
	pf->fd = fd;
	pf->npages = n;
	for (i = 0; i < n; i++)
		pf->tag[i] = NO_PAGE;
	snprintf(pf->dir, sizeof(pf->dir), "%s", dir);
	snprintf(pf->what, sizeof(pf->what), "%s", what);
	*pfp = pf;
	return 0;
}

void
pfile_close(struct pfile *pf)
{
	if (pf == NULL)
		return;
	close(pf->fd);
	free(pf->tag);
	free(pf->dirty);
	free(pf->data);
	free(pf);
}

int
pfile_error(const struct pfile *pf)
{
	return pf->err;
}

static int
write_back(struct pfile *pf, size_t line)
{
	const unsigned char *p = pf->data + line * PFILE_PAGE;
	off_t off = (off_t)(pf->tag[line] * PFILE_PAGE);
	size_t done = 0;
	ssize_t w;

	while (done < PFILE_PAGE) {
		if ((w = pwrite(pf->fd, p + done, PFILE_PAGE - done,
		    off + (off_t)done)) == -1) {
			if (errno == EINTR)
				continue;
			return pf_fail(pf, "write", errno);
		}
		if (w == 0)
			return pf_fail(pf, "write", EIO);
		done += (size_t)w;
	}
	pf->dirty[line] = false;
	return 0;
}

static int
read_in(struct pfile *pf, size_t line, uint64_t page)
{
	unsigned char *p = pf->data + line * PFILE_PAGE;
	size_t done = 0;
	ssize_t n;

	while (done < PFILE_PAGE) {
		if ((n = pread(pf->fd, p + done, PFILE_PAGE - done,
		    (off_t)(page * PFILE_PAGE + done))) == -1) {
			if (errno == EINTR)
				continue;
			return pf_fail(pf, "read", errno);
		}
		if (n == 0)
			break;		/* past the end: zeros */
		done += (size_t)n;
	}
	memset(p + done, 0, PFILE_PAGE - done);
	pf->tag[line] = page;
	return 0;
}

/* The cached bytes of page, loaded (and the line's previous page written back) if need be. */
static unsigned char *
page_get(struct pfile *pf, uint64_t page, bool dirty)
{
	size_t line = (size_t)(page & (pf->npages - 1));

	if (pf->tag[line] != page) {
		if (pf->tag[line] != NO_PAGE && pf->dirty[line] &&
		    write_back(pf, line) != 0)
			return NULL;
		pf->tag[line] = NO_PAGE;
		if (read_in(pf, line, page) != 0)
			return NULL;
	}
	if (dirty)
		pf->dirty[line] = true;
	return pf->data + line * PFILE_PAGE;
}

static int
pf_io(struct pfile *pf, uint64_t off, unsigned char *rbuf,
    const unsigned char *wbuf, size_t len)
{
	unsigned char *p;
	size_t in, n;

	if (pf->err != 0)
		return pf->err;
	if (off > UINT64_MAX - len)
		return airca_errf(AIRCA_ERR_INTERNAL, "scratch offset overflow");
	while (len > 0) {
		in = (size_t)(off % PFILE_PAGE);
		n = PFILE_PAGE - in < len ? PFILE_PAGE - in : len;
		if ((p = page_get(pf, off / PFILE_PAGE, wbuf != NULL)) == NULL)
			return pf->err;
		if (wbuf != NULL) {
			memcpy(p + in, wbuf, n);
			wbuf += n;
		} else {
			memcpy(rbuf, p + in, n);
			rbuf += n;
		}
		off += n;
		len -= n;
	}
	return 0;
}

int
pfile_read(struct pfile *pf, uint64_t off, void *buf, size_t len)
{
	return pf_io(pf, off, buf, NULL, len);
}

int
pfile_write(struct pfile *pf, uint64_t off, const void *buf, size_t len)
{
	return pf_io(pf, off, NULL, buf, len);
}

int
pfile_reserve(struct pfile *pf, uint64_t size)
{
	int e;

	if (pf->err != 0)
		return pf->err;
	if ((e = posix_fallocate(pf->fd, 0, (off_t)size)) == 0 ||
	    e == EOPNOTSUPP || e == EINVAL)
		return 0;
	return pf_fail(pf, "grow", e);
}
