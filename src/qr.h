/* qr.h: QR codes as lines of UTF-8 text, two module rows per text row (Unicode half blocks). */
#ifndef AIRCA_QR_H
#define AIRCA_QR_H

#include <stddef.h>

#define QR_QUIET	4	/* modules of quiet zone around the code */

/* qr_lines() flags */
#define QR_INVERT	0x01	/* draw dark modules as blocks (dark text on a light background) */

/*
 * Encode text (8-bit mode, error correction level M, smallest version
 * that fits: a SHA-256 in hex takes version 5, 37 modules, 45 with the
 * quiet zone, 23 text rows) and draw it.  By default light modules are
 * drawn as blocks, for the usual light-on-dark terminal.  On success
 * *linesp is an array of *np malloc'd NUL-terminated UTF-8 strings, all
 * the same width in columns; free it with qr_lines_free().
 */
int	qr_lines(const char *text, int flags, char ***linesp, size_t *np);
void	qr_lines_free(char **lines, size_t n);

#endif
