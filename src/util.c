/* util.c: hex, SHA-256, time and wiping helpers shared by the core. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "error.h"
#include "util.h"

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *hex, unsigned char *out, size_t max, size_t *lenp)
{
	size_t n = strlen(hex), i;
	int hi, lo;

	if (n == 0 || n % 2 != 0)
		return airca_errf(AIRCA_ERR_INPUT,
		    "'%.80s' is not hex: it needs an even number of digits", hex);
	if (n / 2 > max)
		return airca_errf(AIRCA_ERR_INPUT,
		    "'%.80s' is too long: at most %zu bytes", hex, max);
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval((unsigned char)hex[2 * i])) < 0 ||
		    (lo = hexval((unsigned char)hex[2 * i + 1])) < 0)
			return airca_errf(AIRCA_ERR_INPUT,
			    "'%.80s' is not hex: bad digit at position %zu",
			    hex, hi < 0 ? 2 * i + 1 : 2 * i + 2);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*lenp = n / 2;
	return 0;
}

void
sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int olen = SHA256_LEN;

	EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL);
}

void
sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];

	sha256(data, len, md);
	hex_encode(md, sizeof(md), out);
}

time_t
now(void)
{
	return time(NULL);
}

void
time_iso(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void __attribute__((noinline))
wipe_stack(void)
{
	unsigned char dead[WIPE_STACK_BYTES];
	volatile unsigned char *p = dead;
	size_t i;

	for (i = 0; i < sizeof(dead); i++)
		p[i] = 0;
}

void
wipe_free_str(char *s)
{
	if (s != NULL)
		wipe_free(s, strlen(s));
}

char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/*
 * Characters that change how text around them looks without being seen:
 * bidirectional controls (a CN could read as another one on screen or on
 * paper), zero-width characters, line and paragraph separators.
 */
static bool
invisible(uint32_t cp)
{
	return cp == 0x00ad ||			/* soft hyphen */
	    cp == 0x061c ||			/* Arabic letter mark */
	    (cp >= 0x200b && cp <= 0x200f) ||	/* zero-width, LRM, RLM */
	    (cp >= 0x2028 && cp <= 0x202e) ||	/* separators, embeddings, overrides */
	    (cp >= 0x2060 && cp <= 0x2064) ||	/* word joiner, invisible operators */
	    (cp >= 0x2066 && cp <= 0x2069) ||	/* isolates */
	    cp == 0xfeff;			/* zero-width no-break space */
}

int
text_class(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, need, k;
	uint32_t cp;
	int ctl = 0;

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				ctl = 1;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
		} else
			return 2;
		if (need >= len - i)
			return 2;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 2;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* overlong, surrogates, out of range */
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 2;
		if ((cp >= 0x80 && cp < 0xa0) || invisible(cp))
			ctl = 1;
		i += need + 1;
	}
	return ctl;
}

bool
text_printable(const char *s, size_t len)
{
	return text_class(s, len) == 0;
}

bool
name_safe(const char *s, size_t max)
{
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len > max)
		return false;
	if (s[0] == '.' || strchr(s, '/') != NULL || strchr(s, '\\') != NULL)
		return false;
	return text_printable(s, len);
}

void
hex_groups(const char *hex, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (outlen == 0)
		return;
	for (i = 0; hex[i] != '\0' && o + 2 < outlen; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

int
path_join(char *out, size_t size, const char *a, const char *b)
{
	int n;

	if (b != NULL)
		n = snprintf(out, size, "%s/%s", a, b);
	else
		n = snprintf(out, size, "%s", a);
	if (n < 0 || (size_t)n >= size)
		return airca_errf(AIRCA_ERR_INPUT, "path too long: %.80s/%.80s...",
		    a, b != NULL ? b : "");
	return 0;
}
