/*
 * sbuf.c: a growing text buffer that remembers running out of memory
 * (checked once, when it is flushed), and JSON strings in it; batch-sign.c
 * streams summary.json through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "media.h"
#include "sbuf.h"

void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* s as a JSON string (quotes included); s is already printable. */
void
sb_json(struct sbuf *b, const char *s)
{
	char esc[8];

	sb_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			sb_add(b, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			sb_add(b, esc, 6);
		} else
			sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

/* The buffer written to o and emptied; one that ran out of memory is an error. */
int
sb_flush(struct media_out *o, struct sbuf *sb)
{
	int r;

	if (sb->oom)
		return AIRCA_ERR_NOMEM;
	r = media_out_write(o, sb->p != NULL ? sb->p : "", sb->len);
	sb->len = 0;
	return r;
}
