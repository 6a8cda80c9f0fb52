/*
 * siphash.h: SipHash-2-4 (Aumasson and Bernstein), a keyed 64-bit hash for
 * hash tables whose keys come from outside (CNs written into requests):
 * with a random key nobody can choose keys that pile up on one slot.
 * Streamed: siphash_init, any number of siphash_update, siphash_final.
 */
#ifndef AIRCA_SIPHASH_H
#define AIRCA_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;			/* the bytes of an unfinished word */
	size_t	len;			/* bytes taken in */
};

void	siphash_init(struct siphash *s, const unsigned char key[16]);
void	siphash_update(struct siphash *s, const void *data, size_t len);
uint64_t siphash_final(struct siphash *s);

#endif
