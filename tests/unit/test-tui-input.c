/* test-tui-input.c: the TUI's input room: which action a key is, by what has the focus (question, field, help, screen). */
#include <stdbool.h>
#include <string.h>

#include "check.h"

#include "tui.h"

static struct tui t;
static struct tui_field f;

static enum tui_action
a(int key)
{
	return tui_input(&t, key).a;
}

int
main(int argc, char **argv)
{
	struct tui_act x;

	(void)argc;
	(void)argv;
	memset(&t, 0, sizeof(t));

	/* a screen: terminal habits */
	t.screen = SCR_CERTS;
	CHECK(a('q') == ACT_QUIT);
	CHECK(a('?') == ACT_HELP);
	CHECK(a(TK_F1) == ACT_HELP);
	CHECK(a('j') == ACT_DOWN && a(TK_DOWN) == ACT_DOWN);
	CHECK(a('k') == ACT_UP && a(TK_UP) == ACT_UP);
	CHECK(a(TK_TAB) == ACT_PANE);
	CHECK(a(TK_ENTER) == ACT_OPEN && a(TK_ESC) == ACT_BACK);
	CHECK(a('/') == ACT_SEARCH);
	x = tui_input(&t, '4');
	CHECK(x.a == ACT_SCREEN && x.arg == SCR_JOURNAL);
	CHECK(a('7') == ACT_NONE);
	CHECK(a(' ') == ACT_PGDN);		/* space pages ... */
	t.screen = SCR_BATCH;
	CHECK(a(' ') == ACT_TOGGLE);		/* ... but approves on the batch screen */
	CHECK(a('a') == ACT_ALL && a('s') == ACT_SIGN);
	CHECK(a(TK_NONE) == ACT_NONE);		/* the clock tick */

	/* help up: any key closes it, q still quits */
	t.help = true;
	CHECK(a('x') == ACT_HELP);
	CHECK(a('q') == ACT_QUIT);
	CHECK(a(TK_NONE) == ACT_NONE);		/* the clock tick does not close it */
	CHECK(a(TK_RESIZE) == ACT_NONE);
	t.help = false;

	/* a field with the focus: every printable byte is typed, q and ? too */
	t.field = &f;
	t.field_focus = true;
	x = tui_input(&t, 'q');
	CHECK(x.a == ACT_FIELD_CHAR && x.arg == 'q');
	CHECK(a('?') == ACT_FIELD_CHAR && a('1') == ACT_FIELD_CHAR);
	CHECK(a(0xc3) == ACT_FIELD_CHAR);	/* UTF-8 bytes of a name */
	CHECK(a(0x1b) == ACT_NONE);		/* a raw ESC byte; drawing sends TK_ESC */
	CHECK(a(TK_ESC) == ACT_FIELD_LEAVE);
	CHECK(a(TK_ENTER) == ACT_FIELD_SUBMIT);
	CHECK(a(TK_BACKSPACE) == ACT_FIELD_BS);
	CHECK(a(TK_F1) == ACT_HELP);
	CHECK(a(TK_TAB) == ACT_PANE);		/* the QR pane while confirming */
	CHECK(a(0x07) == ACT_NONE && a(0x7f) == ACT_NONE);	/* no control bytes typed */

	/* the field without the focus (Esc'd): keys are the screen's again */
	t.field_focus = false;
	t.screen = SCR_CEREMONY;
	CHECK(a('q') == ACT_QUIT);
	CHECK(a(TK_ENTER) == ACT_OPEN && a('i') == ACT_OPEN);

	/* the ceremony's QR pane: Left/Right go through the codes */
	t.cer_open = true;
	t.pane[SCR_CEREMONY] = 1;
	CHECK(a(TK_LEFT) == ACT_QR_PREV && a(TK_RIGHT) == ACT_QR_NEXT);
	t.field_focus = true;
	CHECK(a(TK_LEFT) == ACT_QR_PREV);

	/* Ctrl-C quits from a field too (asked first in a ceremony) */
	CHECK(a(TK_CTRL_C) == ACT_QUIT);

	/* a question: only y/n/Esc */
	t.question = "Abort?";
	CHECK(a('y') == ACT_YES && a('Y') == ACT_YES);
	CHECK(a('n') == ACT_NO && a(TK_ESC) == ACT_NO);
	CHECK(a('q') == ACT_NONE && a(TK_ENTER) == ACT_NONE);
	CHECK(a(TK_CTRL_C) == ACT_NO);

	CHECK_DONE();
}
