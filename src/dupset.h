/*
 * dupset.h: the batch's duplicate check, a set of keys (16 bytes of a
 * SHA-256: a CN or a public key) -> the first item that had it, kept in
 * scratch files (pfile.h, dhash.h) so that it does not grow memory with
 * the number of requests: a hash table of the keys' first 8 bytes, and
 * each item's whole key at KEYLEN * index for the exact check.
 */
#ifndef AIRCA_DUPSET_H
#define AIRCA_DUPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhash.h"

#define KEYLEN		16	/* bytes of SHA-256 kept per CN or key in the duplicate sets */

struct pfile;

struct dupset {
	struct dhash h;
	struct pfile *keys;		/* item i's key at KEYLEN * i */
	bool	open;
	bool	used;			/* an item put since the files were made */
	size_t	n;			/* items at most */
	size_t	cache;			/* pages of cache, each file */
	char	dir[4096];
	char	what[64];
};

/*
 * An empty set for items 0..n-1, its files in dir (pfile.h: TMPDIR when
 * dir is read-only); what names it in errors ("the batch's CNs").
 */
int	dupset_init(struct dupset *s, const char *dir, const char *what,
	    size_t n, size_t cache_pages);
void	dupset_free(struct dupset *s);
/* Empty again (new files, if anything was put). */
int	dupset_clear(struct dupset *s);
/*
 * 1 and *firstp the item that put key in first; 0 and item idx put in;
 * < 0 an error of the scratch files (kept: every later call returns it).
 */
int	dupset_put(struct dupset *s, const unsigned char *key, size_t idx,
	    size_t *firstp);

#endif
