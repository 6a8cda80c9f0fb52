/* test-util.c: text and name checks that guard what reaches the screen, a file name or the journal. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "util.h"

#define PR(s)	text_printable((s), sizeof(s) - 1)

static void
test_text_printable(void)
{
	CHECK(PR("device 01"));
	CHECK(PR("Jos\xc3\xa9 M\xc3\xbcller"));		/* é ü */
	CHECK(PR("\xe6\x9d\xb1\xe4\xba\xac"));		/* 東京 */
	CHECK(PR("\xf0\x9f\x94\x91"));			/* U+1F511, 4 bytes */
	CHECK(PR(""));

	CHECK(!PR("a\tb"));
	CHECK(!PR("a\nb"));
	CHECK(!PR("a\x7f"));
	CHECK(!PR("a\xc2\x85"));			/* NEL, C1 */
	CHECK(!PR("\xc0\xaf"));				/* overlong '/' */
	CHECK(!PR("\xed\xa0\x80"));			/* surrogate */
	CHECK(!PR("\xe6\x9d"));				/* truncated */
	CHECK(!PR("\xff"));
	CHECK(!text_printable("a\0b", 3));

	/* invisible and bidi characters: a name that reads as another */
	CHECK(!PR("fio-\xe2\x80\xae" "dcba"));		/* U+202E RIGHT-TO-LEFT OVERRIDE */
	CHECK(!PR("a\xe2\x80\x8b" "b"));		/* U+200B ZERO WIDTH SPACE */
	CHECK(!PR("a\xe2\x80\x8f"));			/* U+200F RLM */
	CHECK(!PR("a\xe2\x81\xa6" "b"));		/* U+2066 LRI */
	CHECK(!PR("a\xe2\x81\xa0" "b"));		/* U+2060 WORD JOINER */
	CHECK(!PR("a\xe2\x80\xa8" "b"));		/* U+2028 LINE SEPARATOR */
	CHECK(!PR("\xef\xbb\xbf" "abc"));		/* U+FEFF BOM */
	CHECK(!PR("a\xc2\xad" "b"));			/* U+00AD SOFT HYPHEN */
	CHECK(!PR("a\xd8\x9c"));			/* U+061C ALM */
	/* neighbours of the refused ranges stay allowed */
	CHECK(PR("a\xe2\x80\x90" "b"));			/* U+2010 HYPHEN */
	CHECK(PR("a\xe2\x80\xaf" "b"));			/* U+202F NARROW NBSP */
	CHECK(PR("a\xe2\x81\xb0"));			/* U+2070 SUPERSCRIPT ZERO */
}

static void
test_name_safe(void)
{
	CHECK(name_safe("0f1e2d3c-aaaa-4bbb-8ccc-000000000001", 64));
	CHECK(!name_safe("", 64));
	CHECK(!name_safe(NULL, 64));
	CHECK(!name_safe(".hidden", 64));
	CHECK(!name_safe("..", 64));
	CHECK(!name_safe("a/b", 64));
	CHECK(!name_safe("a\\b", 64));
	CHECK(!name_safe("abcdef", 5));
	CHECK(!name_safe("cert\xe2\x80\xae" "mep.exe", 64));
}

int
main(void)
{
	test_text_printable();
	test_name_safe();
	CHECK_DONE();
}
