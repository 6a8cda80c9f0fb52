/*
 * dhash.h: an open-addressing hash table (linear probing) from a 64-bit
 * hash to a 32-bit value, in a scratch file (pfile.h), so that it does not
 * grow memory with its size.  It holds hashes, not keys: a lookup yields
 * each value stored under the same 64-bit hash, and the caller checks each
 * against its key exactly (two keys may share a hash; they then both
 * stay).
 *
 *	struct dhash_it it;
 *	uint32_t v;
 *
 *	dhash_first(h, hash, &it);
 *	while ((r = dhash_next(h, &it, &v)) == 1)
 *		if (key of v equals the key)
 *			return found v (or dhash_set(h, &it, newer));
 *	if (r == 0)
 *		r = dhash_add(h, &it, new);	(at the free slot the search ended on)
 *
 * The table grows (doubles, into a new file) at half full.
 */
#ifndef AIRCA_DHASH_H
#define AIRCA_DHASH_H

#include <stddef.h>
#include <stdint.h>

struct pfile;

struct dhash {
	struct pfile *pf;
	uint64_t cap;			/* slots, a power of two */
	uint64_t used;
	size_t	cache;			/* pages of cache */
	char	dir[4096];
	char	what[64];
};

struct dhash_it {
	uint64_t hash;
	uint64_t pos;			/* the slot next() looks at */
	uint64_t gen;			/* the table's size when the search began */
};

/* A table in a scratch file in dir, sized for expect values. */
int	dhash_init(struct dhash *h, const char *dir, const char *what,
	    size_t expect, size_t cache_pages);
void	dhash_free(struct dhash *h);

void	dhash_first(struct dhash *h, uint64_t hash, struct dhash_it *it);
/* 1: *valp is a candidate; 0: no more (it stands on a free slot); < 0: error. */
int	dhash_next(struct dhash *h, struct dhash_it *it, uint32_t *valp);
/* Replace the candidate next() last returned. */
int	dhash_set(struct dhash *h, struct dhash_it *it, uint32_t val);
/* Add val at the free slot next() ended on (returned 0). */
int	dhash_add(struct dhash *h, struct dhash_it *it, uint32_t val);

#endif
