/*
 * pfile.h: an unnamed scratch file read and written through a small cache
 * of pages, for state that must not grow memory with the number of
 * certificates or requests: the registry's entries and indexes (a home
 * with a million certificates), a batch's duplicate sets and names (a
 * batch of a million requests).
 *
 * The file has no name (O_TMPFILE, or a name unlinked at once where the
 * file system lacks it), so an error or a kill -9 leaves nothing behind;
 * it lives in the home (or, when the home cannot hold it, in TMPDIR or
 * /tmp) and is never read by another run: what it holds is rebuilt from
 * the journal and the requests each time, so it is never trusted.
 *
 * Memory is the cache: pages (4 KiB) direct-mapped, written back when
 * another page takes their place.  A file that fits in the cache is never
 * read or written at all.  The first failed read or write is kept: every
 * later call returns it, so a caller cannot go on from a half-written
 * state.
 */
#ifndef AIRCA_PFILE_H
#define AIRCA_PFILE_H

#include <stddef.h>
#include <stdint.h>

#define PFILE_PAGE	4096

struct pfile;

/*
 * A new empty scratch file in dir (fall back to TMPDIR, then /tmp, when
 * dir is read-only), with a cache of cache_pages pages.  what names the
 * contents in errors ("the registry's index").
 */
int	pfile_open(const char *dir, const char *what, size_t cache_pages,
	    struct pfile **pfp);
void	pfile_close(struct pfile *pf);

/* Bytes [off, off + len): never written ones read as zeros. */
int	pfile_read(struct pfile *pf, uint64_t off, void *buf, size_t len);
int	pfile_write(struct pfile *pf, uint64_t off, const void *buf, size_t len);

/*
 * Allocate the file's blocks up to size (fallocate), so that writing
 * below it cannot meet a full disk later, when a page is written back
 * during a lookup.  A file system without fallocate is left as it is.
 */
int	pfile_reserve(struct pfile *pf, uint64_t size);

/* The first error (0: none). */
int	pfile_error(const struct pfile *pf);

#endif
