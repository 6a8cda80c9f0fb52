/*
 * dupset.c: a compact open-addressing set, 16 bytes of a SHA-256 -> the
 * index of the item that had it; batch.c finds duplicate CNs and keys in
 * a batch with it.
 */
#include <stdlib.h>
#include <string.h>

#include "dupset.h"
#include "error.h"

int
dupset_init(struct dupset *s, size_t n)
{
	size_t cap = n + n / 2 + 64;

	s->cap = cap;
	s->key = calloc(cap, KEYLEN);
	s->idx = calloc(cap, sizeof(*s->idx));
	return s->key != NULL && s->idx != NULL ? 0 : AIRCA_ERR_NOMEM;
}

void
dupset_free(struct dupset *s)
{
	free(s->key);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}

void
dupset_clear(struct dupset *s)
{
	memset(s->idx, 0, s->cap * sizeof(*s->idx));
}

/* The index of the item that put key in (and true), or insert idx (false). */
bool
dupset_put(struct dupset *s, const unsigned char *key, size_t idx,
    size_t *firstp)
{
	uint64_t h;
	size_t i;

	memcpy(&h, key, sizeof(h));
	for (i = h % s->cap; s->idx[i] != 0; i = (i + 1) % s->cap) {
		if (memcmp(s->key[i], key, KEYLEN) == 0) {
			*firstp = s->idx[i] - 1;
			return true;
		}
	}
	memcpy(s->key[i], key, KEYLEN);
	s->idx[i] = (uint32_t)idx + 1;
	return false;
}
