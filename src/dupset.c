/*
 * dupset.c: the batch's duplicate sets (16 bytes of a SHA-256 -> the
 * first item that had it) in two scratch files: a dhash of the first 8
 * bytes, and the items' keys by index for the exact comparison.
 */
#include <stdio.h>
#include <string.h>

#include "dupset.h"
#include "error.h"
#include "pfile.h"

/*
 * Pages of cache of the keys by index: written in order, read back only
 * for a candidate of the table (a duplicate, or 8 bytes shared by chance).
 */
#define KEYS_CACHE	16

static int
open_files(struct dupset *s)
{
	int r;

	if ((r = dhash_init(&s->h, s->dir, s->what, s->n, s->cache)) != 0)
		return r;
	s->open = true;
	if ((r = pfile_open(s->dir, s->what, KEYS_CACHE, &s->keys)) != 0)
		return r;
	/* no write-back of a key can meet a full disk later */
	return pfile_reserve(s->keys, (uint64_t)s->n * KEYLEN);
}

int
dupset_init(struct dupset *s, const char *dir, const char *what, size_t n,
    size_t cache_pages)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->n = n;
	s->cache = cache_pages;
	return open_files(s);
}

static void
close_files(struct dupset *s)
{
	if (s->open)
		dhash_free(&s->h);
	s->open = false;
	pfile_close(s->keys);
	s->keys = NULL;
}

void
dupset_free(struct dupset *s)
{
	close_files(s);
}

int
dupset_clear(struct dupset *s)
{
	if (s->open && s->keys != NULL && !s->used)
		return 0;
	close_files(s);
	s->used = false;
	return open_files(s);
}

int
dupset_put(struct dupset *s, const unsigned char *key, size_t idx,
    size_t *firstp)
{
	unsigned char other[KEYLEN];
	struct dhash_it it;
	uint64_t h;
	uint32_t v;
	int r;

	if (!s->open || s->keys == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "%s: not open", s->what);
	if (idx >= s->n || idx > UINT32_MAX)
		return airca_errf(AIRCA_ERR_INTERNAL, "%s: no item %zu",
		    s->what, idx);
	memcpy(&h, key, sizeof(h));
	dhash_first(&s->h, h, &it);
	while ((r = dhash_next(&s->h, &it, &v)) == 1) {
		if ((r = pfile_read(s->keys, (uint64_t)v * KEYLEN, other,
		    KEYLEN)) != 0)
			return r;
		if (memcmp(other, key, KEYLEN) == 0) {
			*firstp = v;
			return 1;
		}
	}
	if (r != 0)
		return r;
	s->used = true;
	/* the key before the slot: a candidate is always readable */
	if ((r = pfile_write(s->keys, (uint64_t)idx * KEYLEN, key,
	    KEYLEN)) != 0)
		return r;
	return dhash_add(&s->h, &it, (uint32_t)idx);
}
