/* tui-input.c: keys to actions, by what has the focus (a question, a field, help, a screen). */
#include "tui.h"

static struct tui_act
act(enum tui_action a, int arg)
{
	struct tui_act x = { a, arg };

	return x;
}

static struct tui_act
question_key(int key)
{
	if (key == 'y' || key == 'Y')
		return act(ACT_YES, 0);
	if (key == 'n' || key == 'N' || key == TK_ESC)
		return act(ACT_NO, 0);
	return act(ACT_NONE, 0);
}

static struct tui_act
field_key(int key)
{
	switch (key) {
	case TK_ENTER:
		return act(ACT_FIELD_SUBMIT, 0);
	case TK_ESC:
		return act(ACT_FIELD_LEAVE, 0);
	case TK_BACKSPACE:
		return act(ACT_FIELD_BS, 0);
	case TK_F1:
		return act(ACT_HELP, 0);
	case TK_TAB:
		return act(ACT_PANE, 0);
	case TK_PGUP:
		return act(ACT_PGUP, 0);
	case TK_PGDN:
		return act(ACT_PGDN, 0);
	case TK_UP:
		return act(ACT_UP, 0);
	case TK_DOWN:
		return act(ACT_DOWN, 0);
	default:
		break;
	}
	if (key >= 0x20 && key < 0x100 && key != 0x7f)
		return act(ACT_FIELD_CHAR, key);
	return act(ACT_NONE, 0);
}

/* The ceremony's QR pane is up: Left/Right go through its codes. */
static bool
qr_pane(const struct tui *t)
{
	return t->screen == SCR_CEREMONY && t->pane[SCR_CEREMONY] == 1 &&
	    (t->cer_open || t->cer_ran);
}

struct tui_act
tui_input(const struct tui *t, int key)
{
	if (t->question != NULL)
		return question_key(key == TK_CTRL_C ? TK_ESC : key);
	/* Ctrl-C is q from anywhere: it asks first while a ceremony is open */
	if (key == TK_CTRL_C)
		return act(ACT_QUIT, 0);
	if (qr_pane(t) && !t->help && (key == TK_LEFT || key == TK_RIGHT))
		return act(key == TK_LEFT ? ACT_QR_PREV : ACT_QR_NEXT, 0);
	if (t->field != NULL && t->field_focus && !t->help)
		return field_key(key);
	/* help stays up until a key: the clock tick and a resize are not keys */
	if (t->help && (key == TK_NONE || key == TK_RESIZE))
		return act(ACT_NONE, 0);
	if (t->help)
		return key == 'q' ? act(ACT_QUIT, 0) : act(ACT_HELP, 0);
	switch (key) {
	case 'q':
		return act(ACT_QUIT, 0);
	case '?':
	case TK_F1:
		return act(ACT_HELP, 0);
	case '1': case '2': case '3': case '4': case '5': case '6':
		return act(ACT_SCREEN, key - '1');
	case TK_TAB:
		return act(ACT_PANE, 0);
	case TK_UP:
	case 'k':
		return act(ACT_UP, 0);
	case TK_DOWN:
	case 'j':
		return act(ACT_DOWN, 0);
	case TK_PGUP:
		return act(ACT_PGUP, 0);
	case TK_PGDN:
	case ' ':
		if (key == ' ' && t->screen == SCR_BATCH)
			return act(ACT_TOGGLE, 0);
		return act(ACT_PGDN, 0);
	case TK_HOME:
	case 'g':
		return act(ACT_TOP, 0);
	case TK_END:
	case 'G':
		return act(ACT_BOTTOM, 0);
	case TK_ENTER:
	case 'i':
		return act(ACT_OPEN, 0);
	case TK_ESC:
	case TK_LEFT:
		return act(ACT_BACK, 0);
	case '/':
		return act(ACT_SEARCH, 0);
	case 'r':
		return act(ACT_REFRESH, 0);
	case 'l':
		return act(ACT_LOGIN, 0);
	case 'o':
		return act(ACT_LOGOUT, 0);
	case 'v':
		return act(ACT_VERIFY, 0);
	case 'a':
		return act(ACT_ALL, 0);
	case 's':
		return act(ACT_SIGN, 0);
	default:
		return act(ACT_NONE, 0);
	}
}
