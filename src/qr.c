/* qr.c: drawing a QR code (libqrencode) with Unicode half blocks for terminals and the TUI. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "error.h"
#include "qr.h"

#define BLOCK_FULL	"\xe2\x96\x88"	/* U+2588 */
#define BLOCK_UPPER	"\xe2\x96\x80"	/* U+2580 */
#define BLOCK_LOWER	"\xe2\x96\x84"	/* U+2584 */

/* Is module (x, y) of the code with its quiet zone drawn with ink? */
static bool
ink(const QRcode *qr, int x, int y, int flags)
{
	bool dark = false;

	x -= QR_QUIET;
	y -= QR_QUIET;
	if (x >= 0 && y >= 0 && x < qr->width && y < qr->width)
		dark = qr->data[y * qr->width + x] & 1;
	return (flags & QR_INVERT) ? dark : !dark;
}

void
qr_lines_free(char **lines, size_t n)
{
	size_t i;

	if (lines == NULL)
		return;
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

int
qr_lines(const char *text, int flags, char ***linesp, size_t *np)
{
	QRcode *qr;
	char **lines = NULL, *p;
	size_t n = 0, rows, i;
	int size, x, y, r = AIRCA_ERR_NOMEM;
	bool top, bottom;

	if ((qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M)) == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "cannot make a QR code "
		    "of %zu bytes", strlen(text));
	size = qr->width + 2 * QR_QUIET;
	rows = (size_t)(size + 1) / 2;
	if ((lines = calloc(rows, sizeof(*lines))) == NULL)
		goto out;
	for (y = 0; y < size; y += 2) {
		/* 3 bytes a column at most, and the NUL */
		if ((p = lines[n] = malloc((size_t)size * 3 + 1)) == NULL)
			goto out;
		n++;
		for (x = 0; x < size; x++) {
			top = ink(qr, x, y, flags);
			bottom = y + 1 < size && ink(qr, x, y + 1, flags);
			if (top && bottom)
				memcpy(p, BLOCK_FULL, 3);
			else if (top)
				memcpy(p, BLOCK_UPPER, 3);
			else if (bottom)
				memcpy(p, BLOCK_LOWER, 3);
			else {
				*p++ = ' ';
				continue;
			}
			p += 3;
		}
		*p = '\0';
	}
	*linesp = lines;
	*np = n;
	lines = NULL;
	r = 0;
 out:
	if (lines != NULL)
		for (i = 0; i < n; i++)
			free(lines[i]);
	free(lines);
	QRcode_free(qr);
	return r;
}
