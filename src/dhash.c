/* dhash.c: a hash table of (64-bit hash, 32-bit value) slots in a scratch file. */
#include <stdio.h>
#include <string.h>

#include "dhash.h"
#include "error.h"
#include "pfile.h"

/* A slot: the hash, and the value + 1 (0: free). */
struct slot {
	uint64_t hash;
	uint64_t val;
};

#define MIN_CAP	256

static uint64_t
cap_for(size_t expect)
{
	uint64_t cap = MIN_CAP;

	while (cap < (uint64_t)expect * 2 + 2)
		cap *= 2;
	return cap;
}

static int
table_new(struct dhash *h, uint64_t cap, struct pfile **pfp)
{
	int r;

	if ((r = pfile_open(h->dir, h->what, h->cache, pfp)) != 0)
		return r;
	if ((r = pfile_reserve(*pfp, cap * sizeof(struct slot))) != 0) {
		pfile_close(*pfp);
		*pfp = NULL;
	}
	return r;
}

int
dhash_init(struct dhash *h, const char *dir, const char *what, size_t expect,
    size_t cache_pages)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	snprintf(h->what, sizeof(h->what), "%s", what);
	h->cache = cache_pages;
	h->cap = cap_for(expect);
	return table_new(h, h->cap, &h->pf);
}

void
dhash_free(struct dhash *h)
{
	pfile_close(h->pf);
	h->pf = NULL;
}

static int
slot_get(struct dhash *h, struct pfile *pf, uint64_t i, struct slot *s)
{
	(void)h;
	return pfile_read(pf, i * sizeof(*s), s, sizeof(*s));
}

static int
slot_put(struct pfile *pf, uint64_t i, const struct slot *s)
{
	return pfile_write(pf, i * sizeof(*s), s, sizeof(*s));
}

void
dhash_first(struct dhash *h, uint64_t hash, struct dhash_it *it)
{
	it->hash = hash;
	it->pos = hash & (h->cap - 1);
	it->gen = h->cap;
}

int
dhash_next(struct dhash *h, struct dhash_it *it, uint32_t *valp)
{
	struct slot s;
	int r;

	if (it->gen != h->cap)
		return airca_errf(AIRCA_ERR_INTERNAL, "%s: search across a "
		    "resize", h->what);
	for (;;) {
		if ((r = slot_get(h, h->pf, it->pos, &s)) != 0)
			return r;
		if (s.val == 0)
			return 0;
		if (s.hash == it->hash) {
			*valp = (uint32_t)(s.val - 1);
			it->pos = (it->pos + 1) & (h->cap - 1);
			return 1;
		}
		it->pos = (it->pos + 1) & (h->cap - 1);
	}
}

int
dhash_set(struct dhash *h, struct dhash_it *it, uint32_t val)
{
	struct slot s = { it->hash, (uint64_t)val + 1 };

	if (it->gen != h->cap)
		return airca_errf(AIRCA_ERR_INTERNAL, "%s: set across a resize",
		    h->what);
	return slot_put(h->pf, (it->pos - 1) & (h->cap - 1), &s);
}

/* Double the table: every slot into a new file of twice the size. */
static int
grow(struct dhash *h)
{
	struct pfile *npf;
	struct slot s, t;
	uint64_t ncap = h->cap * 2, i, j;
	int r;

	if ((r = table_new(h, ncap, &npf)) != 0)
		return r;
	for (i = 0; i < h->cap; i++) {
		if ((r = slot_get(h, h->pf, i, &s)) != 0)
			goto fail;
		if (s.val == 0)
			continue;
		for (j = s.hash & (ncap - 1);; j = (j + 1) & (ncap - 1)) {
			if ((r = slot_get(h, npf, j, &t)) != 0)
				goto fail;
			if (t.val == 0)
				break;
		}
		if ((r = slot_put(npf, j, &s)) != 0)
			goto fail;
	}
	pfile_close(h->pf);
	h->pf = npf;
	h->cap = ncap;
	return 0;
fail:
	pfile_close(npf);
	return r;
}

int
dhash_add(struct dhash *h, struct dhash_it *it, uint32_t val)
{
	struct slot s = { it->hash, (uint64_t)val + 1 };
	int r;

	if (it->gen != h->cap)
		return airca_errf(AIRCA_ERR_INTERNAL, "%s: add across a resize",
		    h->what);
	if ((r = slot_put(h->pf, it->pos, &s)) != 0)
		return r;
	h->used++;
	it->gen = 0;		/* the search is over */
	if (h->used * 2 > h->cap)
		return grow(h);
	return 0;
}
