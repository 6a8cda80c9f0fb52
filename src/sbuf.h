/* sbuf.h: a growing text buffer (the batch's streamed reports), flushed to a media_out. */
#ifndef AIRCA_SBUF_H
#define AIRCA_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct media_out;

struct sbuf {
	char	*p;
	size_t	len, cap;
	bool	oom;
};

void	sb_add(struct sbuf *b, const char *s, size_t n);
void	sb_str(struct sbuf *b, const char *s);
void	sb_json(struct sbuf *b, const char *s);
int	sb_flush(struct media_out *o, struct sbuf *sb);

#endif
