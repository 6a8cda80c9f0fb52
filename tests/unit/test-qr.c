/* test-qr.c: a SHA-256 in hex draws as QR version 5: 45 columns, 23 rows of half blocks. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#include "error.h"
#include "qr.h"

/* Columns of a UTF-8 line of spaces and 3-byte half blocks. */
static size_t
columns(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if ((*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
main(int argc, char **argv)
{
	const char *hex = "be0641bd40c68337d2683054700c0cd8f1ad3424a1313c615e902f7f381e070c";
	char **lines = NULL;
	size_t n = 0, i;
	bool same = true;

	CHECK(qr_lines(argc > 1 ? argv[1] : hex, 0, &lines, &n) == 0);
	CHECK(n == 23);
	for (i = 0; i < n; i++) {
		same = same && columns(lines[i]) == 45;
		if (argc > 1)
			printf("%s\n", lines[i]);
	}
	CHECK(same);
	/* the quiet zone: the first row is all ink (light modules) */
	CHECK(n > 0 && strncmp(lines[0], "\xe2\x96\x88\xe2\x96\x88", 6) == 0);
	qr_lines_free(lines, n);
	CHECK(qr_lines(hex, QR_INVERT, &lines, &n) == 0);
	CHECK(n > 0 && lines[0][0] == ' ');
	qr_lines_free(lines, n);
	CHECK_DONE();
}
