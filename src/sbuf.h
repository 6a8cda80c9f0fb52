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
/*
 * s as jansson's json_dumps() with JSON_ENSURE_ASCII writes it, byte for
 * byte (\", \\, \b \f \n \r \t, other controls and all but ASCII as
 * \uXXXX, upper-case, surrogate pairs past the BMP): for files that were
 * written by jansson before.  s must be UTF-8 as sb_utf8_valid() judges it
 * (json_string() refuses anything else).
 */
void	sb_json_ascii(struct sbuf *b, const char *s);
bool	sb_utf8_valid(const char *s);
int	sb_flush(struct media_out *o, struct sbuf *sb);

#endif
