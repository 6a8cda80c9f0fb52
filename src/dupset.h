/* dupset.h: a compact set of keys (16 bytes of a SHA-256) -> the item that had it, for the batch's duplicate checks. */
#ifndef AIRCA_DUPSET_H
#define AIRCA_DUPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYLEN		16	/* bytes of SHA-256 kept per CN or key in the duplicate sets */

struct dupset {
	unsigned char (*key)[KEYLEN];
	uint32_t *idx;			/* item index + 1; 0: empty */
	size_t	cap;			/* 1.5 times the items: never more than 2/3 full */
};

int	dupset_init(struct dupset *s, size_t n);
void	dupset_free(struct dupset *s);
void	dupset_clear(struct dupset *s);
bool	dupset_put(struct dupset *s, const unsigned char *key, size_t idx,
	    size_t *firstp);

#endif
