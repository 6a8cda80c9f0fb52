/*
 * sbuf.c: a growing text buffer that remembers running out of memory
 * (checked once, when it is flushed), and JSON strings in it; batch-sign.c
 * streams summary.json through it, registry.c registry.jsonl.
 */
#include <stdint.h>
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

/*
 * One UTF-8 sequence at s: its length and code point, or 0 if it is not
 * one as jansson judges it (no overlong form, no surrogate, nothing past
 * U+10FFFF; a NUL ends the string, never a sequence).
 */
static size_t
utf8_next(const unsigned char *s, uint32_t *cpp)
{
	uint32_t c = s[0], min;
	size_t n, k;

	if (c < 0x80) {
		*cpp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cpp = c;
	return n;
}

bool
sb_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	for (; *p != '\0'; p += n)
		if ((n = utf8_next(p, &cp)) == 0)
			return false;
	return true;
}

/* jansson's two-character escapes */
static char
short_escape(uint32_t cp)
{
	switch (cp) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	}
	return '\0';
}

void
sb_json_ascii(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	char esc[16], c;
	uint32_t cp, hi, lo;
	size_t n;

	sb_add(b, "\"", 1);
	for (run = p; *p != '\0'; p += n) {
		if ((n = utf8_next(p, &cp)) == 0) {
			n = 1;			/* not reached: the caller checked */
			cp = 0xfffd;
		}
		if (cp >= 0x20 && cp < 0x80 && cp != '"' && cp != '\\')
			continue;
		sb_add(b, (const char *)run, (size_t)(p - run));
		run = p + n;
		if ((c = short_escape(cp)) != '\0') {
			esc[0] = '\\';
			esc[1] = c;
			esc[2] = '\0';
		} else if (cp < 0x10000)
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)cp);
		else {
			cp -= 0x10000;
			hi = 0xd800 | (cp >> 10);
			lo = 0xdc00 | (cp & 0x3ff);
			snprintf(esc, sizeof(esc), "\\u%04X\\u%04X", (unsigned)hi,
			    (unsigned)lo);
		}
		sb_str(b, esc);
	}
	sb_add(b, (const char *)run, (size_t)(p - run));
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
