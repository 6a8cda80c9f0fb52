/*
 * tui-draw.c: the drawing room: the only code that calls curses (ncursesw);
 * lays out the screens from the state, translates keys.  Over 1,000 lines on
 * purpose: it is the only file that includes curses (layout.sh checks it),
 * and every string reaches the terminal through its static put_mark(),
 * which draws invalid bytes and control characters as '?' and marks what
 * does not fit.  Names from requests, file names and journal lines are
 * hostile; a second file that includes curses would be a second way to the
 * terminal around that.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "error.h"
#include "hsm.h"
#include "tui.h"
#include "util.h"

#define QR_COLS		45	/* a SHA-256 in hex: version 5 with the quiet zone */
#define LEFT_COLS	34

static SCREEN *scr;
static FILE *scr_out, *scr_in;
static bool colour;

enum { PAIR_OK = 1, PAIR_WARN, PAIR_ERR, PAIR_BAR };

static attr_t
cls_attr(enum tui_class c)
{
	switch (c) {
	case TC_BOLD:
		return A_BOLD;
	case TC_DIM:
		return colour ? A_DIM : A_NORMAL;
	case TC_OK:
		return colour ? COLOR_PAIR(PAIR_OK) : A_NORMAL;
	case TC_WARN:
		return colour ? COLOR_PAIR(PAIR_WARN) | A_BOLD : A_BOLD;
	case TC_ERR:
		return colour ? COLOR_PAIR(PAIR_ERR) | A_BOLD : A_BOLD;
	case TC_SEL:
		return A_REVERSE;
	default:
		return A_NORMAL;
	}
}

/* A key row with the whole SPKI SHA-256: label, type, flags, 64 hex digits. */
#define KEYROW_FULL	(24 + 1 + 9 + 1 + 13 + 2 + 64)

/*
 * Draw UTF-8 s at (y, x), at most w columns; returns the bytes used.
 * Invalid bytes and control characters are drawn as '?'.  With mark, a
 * string that does not fit ends in a visible marker ('>' in the last
 * column) instead of being cut silently; put_wrapped() draws without it
 * and carries on at the byte returned.
 */
static size_t
put_mark(int y, int x, int w, attr_t attr, const char *s, bool mark)
{
	wchar_t buf[512];
	unsigned char cwid[512];
	size_t kb[512];
	mbstate_t ms;
	size_t n = 0, k, used = 0, len = strlen(s);
	int cols = 0, cw;
	wchar_t wc;

	if (w <= 0 || y < 0 || y >= LINES)
		return 0;
	memset(&ms, 0, sizeof(ms));
	while (used < len && n < sizeof(buf) / sizeof(buf[0]) - 1) {
		k = mbrtowc(&wc, s + used, len - used, &ms);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ms, 0, sizeof(ms));
			wc = L'?';
			k = 1;
		}
		if ((cw = wcwidth(wc)) < 0) {
			wc = L'?';
			cw = 1;
		}
		if (cols + cw > w)
			break;
		cwid[n] = (unsigned char)cw;
		kb[n] = k;
		buf[n++] = wc;
		cols += cw;
		used += k;
	}
	if (mark && used < len && s[used + strspn(s + used, " ")] != '\0') {
		while (n > 0 && cols + 1 > w) {
			n--;
			cols -= cwid[n];
			used -= kb[n];
		}
		buf[n++] = L'>';
	}
	buf[n] = L'\0';
	attron(attr);
	mvaddnwstr(y, x, buf, (int)n);
	attroff(attr);
	return used;
}

static size_t
put(int y, int x, int w, attr_t attr, const char *s)
{
	return put_mark(y, x, w, attr, s, true);
}

/*
 * Draw s wrapped into lines of w columns from row y, at most maxrows;
 * continuation lines keep the first line's indent.  Returns rows used.
 */
static int
put_wrapped(int y, int x, int w, int maxrows, attr_t attr, const char *s)
{
	char tmp[1024];
	size_t used, len = strlen(s), cut, ind = strspn(s, " ");
	int rows = 0, lw = w;

	if (ind > 8 || (int)ind >= w / 2)
		ind = 0;
	while (rows < maxrows) {
		if (len <= (size_t)lw || rows + 1 == maxrows) {
			put(y + rows, rows ? x + (int)ind : x, lw, attr, s);
			return rows + 1;
		}
		/* break at the last space that fits */
		for (cut = (size_t)lw; cut > 0 && s[cut] != ' '; cut--)
			;
		if (cut == 0 || cut <= strspn(s, " ")) {
			used = put_mark(y + rows, rows ? x + (int)ind : x, lw,
			    attr, s, false);
			if (used == 0)
				return rows + 1;
			s += used;
			len -= used;
		} else {
			snprintf(tmp, sizeof(tmp), "%.*s", (int)cut, s);
			put(y + rows, rows ? x + (int)ind : x, lw, attr, tmp);
			s += cut + 1;
			len -= cut + 1;
		}
		rows++;
		lw = w - (int)ind;
		if (len == 0)
			return rows;
	}
	return rows;
}

/* Rows s takes wrapped at w columns (as put_wrapped() draws it, for ASCII). */
static int
wrapped_rows(int w, const char *s)
{
	size_t len = strlen(s), cut, ind = strspn(s, " ");
	int rows = 1, lw = w;

	if (ind > 8 || (int)ind >= w / 2)
		ind = 0;
	while (len > (size_t)lw) {
		for (cut = (size_t)lw; cut > 0 && s[cut] != ' '; cut--)
			;
		if (cut == 0 || cut <= strspn(s, " ")) {
			s += lw;
			len -= (size_t)lw;
		} else {
			s += cut + 1;
			len -= cut + 1;
		}
		rows++;
		lw = w - (int)ind;
	}
	return rows;
}

static void
hline_at(int y)
{
	mvhline(y, 0, ACS_HLINE, COLS);
}

/* ---- pieces ---- */

static void
title_bar(struct tui *t)
{
	char buf[64], clock[16];
	time_t now_t;
	struct tm tm;
	int x = 0, i;

	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	attroff(A_REVERSE);
	x += (int)put(0, 0, COLS, A_REVERSE | A_BOLD, " airca ");
	static const char *const tabs[SCR_N] = { "Home", "Token", "Certs",
	    "Journal", "Ceremony", "Batch" };

	for (i = 0; i < SCR_N && x < COLS; i++) {
		snprintf(buf, sizeof(buf), i == (int)t->screen ? "[%d %s]" :
		    " %d %s ", i + 1, tabs[i]);
		put(0, x, COLS - x, i == (int)t->screen ? A_BOLD : A_REVERSE,
		    buf);
		x += (int)strlen(buf);
	}
	/* the clock the witness compares with the reference clock, live */
	now_t = time(NULL);
	gmtime_r(&now_t, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S UTC", &tm);
	if (x + 14 < COLS)
		put(0, COLS - 13, 13, A_REVERSE, clock);
}

static void
status_line(struct tui *t)
{
	attr_t a = cls_attr(t->status_cls);

	move(LINES - 1, 0);
	clrtoeol();
	put(LINES - 1, 0, COLS, a, t->status);
}

/* The field's rows: the prompt at y and y + 1, the input at y + 2; returns the cursor column or -1. */
static int
field_rows(struct tui *t, int y, int x, int w)
{
	struct tui_field *f = t->field;
	const char *shown;
	int used;

	/* a one-row prompt sits right above the input row (y + 2) */
	put_wrapped(wrapped_rows(w, f->prompt) > 1 ? y : y + 1, x, w, 2,
	    A_BOLD, f->prompt);
	y++;
	move(y + 1, x);
	put(y + 1, x, w, A_BOLD, "> ");
	if (f->secret) {
		/* nothing of a PIN is drawn, not even its length */
		if (!t->field_focus)
			put(y + 1, x + 2, w - 2, A_DIM, "(Enter or i: type)");
		return t->field_focus ? x + 2 : -1;
	}
	shown = f->buf;
	if (f->len > (size_t)(w - 4))
		shown = f->buf + f->len - (size_t)(w - 4);
	used = (int)put(y + 1, x + 2, w - 3, A_NORMAL, shown);
	if (!t->field_focus) {
		put(y + 1, x + 3 + used, w - 4 - used, cls_attr(TC_DIM),
		    "(Enter or i: type; q: abort)");
		return -1;
	}
	return x + 2 + used;
}

static void
draw_qr_pane(struct tui *t, const struct tui_qr *q, const char *title)
{
	char groups[SHA256_HEX_LEN * 5 / 4 + 1];
	int y = 1, i, qx = COLS - QR_COLS, w = qx - 1;
	size_t k;

	if (w > LEFT_COLS + 20)
		w = LEFT_COLS + 20;
	y += put_wrapped(y, 0, w, 2, A_BOLD, title);
	if (q->lines == NULL) {
		put(y + 1, 0, w, A_DIM, "(no SHA-256 shown yet)");
		return;
	}
	y += put_wrapped(y, 0, w, 3, A_NORMAL, q->label);
	y++;
	hex_groups(q->hex, groups, sizeof(groups));
	/* 4 groups a line, to read aloud */
	for (i = 0; i < 4; i++) {
		char line[24];

		snprintf(line, sizeof(line), "%.19s", groups + i * 20);
		put(y++, 1, w - 1, A_BOLD, line);
	}
	for (k = 0; k < q->n && (int)k < LINES - 1; k++)
		put((int)k, qx, QR_COLS, A_NORMAL, q->lines[k]);
	(void)t;
}

/* ---- screens ---- */

static void
draw_home(struct tui *t)
{
	char groups[SHA256_HEX_LEN * 5 / 4 + 1], buf[512];
	int y = 2, w = COLS - 14;
	size_t i;

	if (t->home_err[0] != '\0') {
		put(y++, 1, COLS - 2, cls_attr(TC_ERR), "No CA home:");
		y += put_wrapped(y, 1, COLS - 2, 4, A_NORMAL, t->home_err);
		y++;
		put(y++, 1, COLS - 2, A_NORMAL, "Run the root initialization "
		    "ceremony (5, root-init) to create it.");
		y++;
	} else {
		put(y, 1, 12, A_BOLD, "Factory");
		put(y++, 14, w, A_NORMAL, t->factory);
	}
	put(y, 1, 12, A_BOLD, "HSM profile");
	put(y++, 14, w, A_NORMAL, t->hsm_name);
	put(y, 1, 12, A_BOLD, "Token");
	if (t->tok != NULL) {
		const struct token_info *ti = token_info(t->tok);

		snprintf(buf, sizeof(buf), "'%s' serial %s, open, %s", ti->label,
		    ti->serial, token_logged_in(t->tok) ? "logged in" :
		    "not logged in");
	} else
		snprintf(buf, sizeof(buf), "%s, not logged in (2: token "
		    "screen)", t->token_line[0] ? t->token_line : "?");
	put(y++, 14, w, A_NORMAL, buf);
	if (t->home_err[0] == '\0') {
		y++;
		put(y++, 1, COLS - 2, A_BOLD, "CA tree");
		for (i = 0; i < t->tree.n && y < LINES - 8; i++)
			put(y++, 3, COLS - 4, cls_attr(t->tree.v[i].cls),
			    t->tree.v[i].text);
		if (i < t->tree.n)
			put(y++, 3, COLS - 4, A_DIM, "... (3: all certificates)");
	}
	y++;
	put(y, 1, 12, A_BOLD, "Journal");
	if (t->jhead[0] != '\0') {
		hex_groups(t->jhead, groups, sizeof(groups));
		snprintf(buf, sizeof(buf), "%lu entries, head:", t->jentries);
		put(y++, 14, w, A_NORMAL, buf);
		snprintf(buf, sizeof(buf), "%.39s", groups);
		put(y++, 14, w, A_NORMAL, buf);
		put(y++, 14, w, A_NORMAL, groups + 40);
	} else
		put(y++, 14, w, A_DIM, "(no journal)");
	put(y, 1, 12, A_BOLD, "Last seal");
	if (t->seal_hex[0] != '\0') {
		hex_groups(t->seal_hex, groups, sizeof(groups));
		snprintf(buf, sizeof(buf), "seq %lu at %s", t->seal_seq,
		    t->seal_time);
		put(y++, 14, w, A_NORMAL, buf);
		snprintf(buf, sizeof(buf), "%.39s", groups);
		put(y++, 14, w, A_NORMAL, buf);
		put(y++, 14, w, A_NORMAL, groups + 40);
	} else
		put(y++, 14, w, A_DIM, "(none yet)");
}

static void
scroll_into_view(struct tui *t, size_t n, int h)
{
	size_t *sel = &t->sel[t->screen], *top = &t->top[t->screen];

	if (h <= 0)
		return;
	if (*sel >= n)
		*sel = n > 0 ? n - 1 : 0;
	if (*sel < *top)
		*top = *sel;
	if (*sel >= *top + (size_t)h)
		*top = *sel - (size_t)h + 1;
	if (*top + (size_t)h > n)
		*top = n > (size_t)h ? n - (size_t)h : 0;
}

static void
draw_token(struct tui *t)
{
	char buf[512], groups[SHA256_HEX_LEN * 5 / 4 + 1], fl[128];
	int y = 1, hslots, hkeys, i;
	size_t k;
	const struct token_key_info *ki;

	if (t->tok != NULL) {
		const struct token_info *ti = token_info(t->tok);

		snprintf(buf, sizeof(buf), "Token '%s' serial %s (%s): %s",
		    ti->label, ti->serial, ti->model, token_logged_in(t->tok) ?
		    "logged in" : "not logged in (l: log in)");
		put(y++, 1, COLS - 2, token_logged_in(t->tok) ?
		    cls_attr(TC_OK) : A_BOLD, buf);
	} else
		put(y++, 1, COLS - 2, A_BOLD, "Token not open (r: open it)");
	if (t->token_err[0] != '\0')
		y += put_wrapped(y, 1, COLS - 2, 2, cls_attr(TC_ERR),
		    t->token_err);
	y++;
	hslots = 5;
	put(y++, 1, COLS - 2, t->pane[SCR_TOKEN] == 0 ? A_BOLD | A_UNDERLINE :
	    A_BOLD, "Slots and tokens");
	for (k = 0, i = 0; k < t->nslots && i < hslots; k++, i++) {
		const struct token_info *s = &t->slots[k];

		token_flag_words(s->flags, fl, sizeof(fl));
		snprintf(buf, sizeof(buf), "slot %-10lu %-16.32s %-16.16s "
		    "%-12.16s %s", s->slot_id, s->present ? s->label : "(empty)",
		    s->present ? s->serial : "", s->present ? s->model : "",
		    s->present ? fl : "");
		put(y++, 2, COLS - 3, t->pane[SCR_TOKEN] == 0 &&
		    k == t->sel[SCR_TOKEN] ? A_REVERSE : A_NORMAL, buf);
	}
	y++;
	put(y++, 1, COLS - 2, t->pane[SCR_TOKEN] == 1 ? A_BOLD | A_UNDERLINE :
	    A_BOLD, "Key objects  (label, key type, private/public/cert, "
	    "SPKI SHA-256)");
	hkeys = LINES - 1 - y - 4;
	if (t->pane[SCR_TOKEN] == 1)
		scroll_into_view(t, t->nkeys, hkeys);
	for (k = t->pane[SCR_TOKEN] == 1 ? t->top[SCR_TOKEN] : 0, i = 0;
	    k < t->nkeys && i < hkeys; k++, i++) {
		ki = &t->keys[k];
		/* the whole SPKI hash where it fits, else its start marked "..." */
		snprintf(buf, sizeof(buf), "%-24.40s %-9s %s%s%s  %.*s%s",
		    ki->label, key_type_name(ki->type) ? key_type_name(ki->type)
		    : "?", ki->has_private ? "priv " : "     ", ki->has_public ?
		    "pub " : "    ", ki->has_cert ? "cert" : "    ",
		    COLS - 3 >= KEYROW_FULL ? 64 : 16, ki->spki_sha256,
		    COLS - 3 >= KEYROW_FULL ? "" : "...");
		put(y++, 2, COLS - 3, t->pane[SCR_TOKEN] == 1 &&
		    k == t->sel[SCR_TOKEN] ? A_REVERSE : A_NORMAL, buf);
	}
	if (t->nkeys == 0 && t->tok != NULL)
		put(y++, 2, COLS - 3, A_DIM, "(no key objects visible)");
	if (t->pane[SCR_TOKEN] == 1 && t->sel[SCR_TOKEN] < t->nkeys) {
		ki = &t->keys[t->sel[SCR_TOKEN]];
		hex_groups(ki->spki_sha256, groups, sizeof(groups));
		snprintf(buf, sizeof(buf), "SPKI SHA-256 of %s:", ki->label);
		put(LINES - 5, 1, COLS - 2, A_BOLD, buf);
		snprintf(buf, sizeof(buf), "%.39s", groups);
		put(LINES - 4, 3, COLS - 4, A_NORMAL, buf);
		put(LINES - 3, 3, COLS - 4, A_NORMAL, groups + 40);
	} else
		put(LINES - 3, 1, COLS - 2, A_DIM, "Tab: key objects pane "
		    "(shows the full SPKI SHA-256)");
}

static void
draw_cert_detail(struct tui *t)
{
	const struct reg_entry *e;
	char buf[256], nb[21], na[21], groups[SHA256_HEX_LEN * 5 / 4 + 1];
	int y = 1, w = COLS - QR_COLS - 1, i;

	if (t->nshown == 0)
		return;
	e = t->rows_all[t->shown[t->sel[SCR_CERTS]]].e;
	put(y++, 0, w, A_BOLD, "Certificate");
	y += put_wrapped(y, 1, w - 1, 3, A_NORMAL, e->subject);
	snprintf(buf, sizeof(buf), "profile %s, %s%s%s", e->profile,
	    cert_status_name(e->status), t->rows_all[t->shown[t->sel[
	    SCR_CERTS]]].mark[0] ? ", " : "",
	    t->rows_all[t->shown[t->sel[SCR_CERTS]]].mark);
	put(y++, 1, w - 1, cls_attr(t->rows_all[t->shown[t->sel[
	    SCR_CERTS]]].cls), buf);
	if (e->label[0] != '\0') {
		snprintf(buf, sizeof(buf), "token key %s", e->label);
		put(y++, 1, w - 1, A_NORMAL, buf);
	}
	snprintf(buf, sizeof(buf), "subject hash %s", t->detail_hash);
	put(y++, 1, w - 1, A_NORMAL, buf);
	put(y++, 1, w - 1, A_BOLD, "serial");
	y += put_wrapped(y, 2, w - 2, 2, A_NORMAL, e->serial);
	if (e->issuer[0] != '\0') {
		put(y++, 1, w - 1, A_BOLD, "issuer serial");
		y += put_wrapped(y, 2, w - 2, 2, A_NORMAL, e->issuer);
	}
	time_iso(e->not_before, nb);
	time_iso(e->not_after, na);
	snprintf(buf, sizeof(buf), "from  %s", nb);
	put(y++, 1, w - 1, A_NORMAL, buf);
	snprintf(buf, sizeof(buf), "until %s", na);
	put(y++, 1, w - 1, A_NORMAL, buf);
	put(y++, 1, w - 1, A_BOLD, "SHA-256 fingerprint");
	hex_groups(e->fingerprint, groups, sizeof(groups));
	for (i = 0; i < 4 && y < LINES - 1; i++) {
		snprintf(buf, sizeof(buf), "%.19s", groups + i * 20);
		put(y++, 2, w - 2, A_NORMAL, buf);
	}
	if (y < LINES - 1)
		put_wrapped(y, 1, w - 1, LINES - 1 - y, cls_attr(t->detail_cls),
		    t->detail_check);
	for (i = 0; (size_t)i < t->qr_cert.n && i < LINES - 1; i++)
		put(i, COLS - QR_COLS, QR_COLS, A_NORMAL, t->qr_cert.lines[i]);
}

static void
draw_certs(struct tui *t)
{
	char buf[512];
	int y = 1, h, i;
	size_t k;
	const struct tui_cert_row *row;

	if (t->detail) {
		draw_cert_detail(t);
		return;
	}
	if (t->search[0] != '\0')
		snprintf(buf, sizeof(buf), "Certificates: %zu of %zu match "
		    "'%s'  (/ to search again)", t->nshown, t->nrows_all,
		    t->search);
	else
		snprintf(buf, sizeof(buf), "Certificates: %zu, sorted by expiry"
		    "  (/ search, Enter details)", t->nrows_all);
	put(y++, 1, COLS - 2, A_BOLD, buf);
	snprintf(buf, sizeof(buf), "%-9s %-10s %-7s %-8s %s", "TYPE",
	    "EXPIRES", "", "STATUS", "CN (or subject), token key label");
	put(y++, 1, COLS - 2, A_UNDERLINE, buf);
	h = LINES - 1 - y - (t->field != NULL ? 4 : 0);
	scroll_into_view(t, t->nshown, h);
	for (k = t->top[SCR_CERTS], i = 0; k < t->nshown && i < h; k++, i++) {
		row = &t->rows_all[t->shown[k]];
		/* the CN says which; the whole subject is in the details */
		snprintf(buf, sizeof(buf), "%-9s %s %-7s %-8s %s%s%s",
		    row->e->profile, row->expires, row->mark,
		    cert_status_name(row->e->status), row->e->cn != NULL ?
		    row->e->cn : row->e->subject, row->e->label[0] ? "  " : "",
		    row->e->label);
		put(y, 1, COLS - 2, k == t->sel[SCR_CERTS] ? A_REVERSE |
		    cls_attr(row->cls) : cls_attr(row->cls), buf);
		y++;
	}
	if (t->nshown == 0)
		put(y, 2, COLS - 3, A_DIM, t->nrows_all ? "(nothing matches)" :
		    "(no certificates)");
}

static void
draw_journal(struct tui *t)
{
	char buf[128];
	int y = 1, h, i;
	size_t k;

	snprintf(buf, sizeof(buf), "Journal: %lu entries  (v verify, Up/Down "
	    "scroll)", t->jentries);
	put(y++, 1, COLS - 2, A_BOLD, buf);
	put(y++, 1, COLS - 2, A_UNDERLINE, "  SEQ TIME                 EVENT  "
	    "          ACTOR      DATA");
	h = LINES - 1 - y - 6;
	scroll_into_view(t, t->jlines.n, h);
	for (k = t->top[SCR_JOURNAL], i = 0; k < t->jlines.n && i < h; k++,
	    i++)
		put(y++, 1, COLS - 2, k == t->sel[SCR_JOURNAL] ? A_REVERSE :
		    cls_attr(t->jlines.v[k].cls), t->jlines.v[k].text);
	/* the selected entry in full (as far as 3 rows go) */
	if (t->sel[SCR_JOURNAL] < t->jlines.n) {
		hline_at(LINES - 7);
		put_wrapped(LINES - 6, 1, COLS - 2, 3, A_NORMAL,
		    t->jlines.v[t->sel[SCR_JOURNAL]].text);
	}
	if (t->verify[0] != '\0')
		put_wrapped(LINES - 3, 1, COLS - 2, 2, cls_attr(t->verify_cls),
		    t->verify);
	else
		put(LINES - 3, 1, COLS - 2, A_DIM, "(not verified in this "
		    "session: v)");
}

static void
draw_scripts(struct tui *t)
{
	char buf[512];
	int y = 1, h, i;
	size_t k;

	snprintf(buf, sizeof(buf), "Ceremony scripts in %.400s", t->scripts_dir[0] ?
	    t->scripts_dir : "(none found: set AIRCA_SCRIPTS)");
	y += put_wrapped(y, 1, COLS - 2, 3, A_BOLD, buf);
	y++;
	h = LINES - 1 - y - 4;
	scroll_into_view(t, t->nscripts, h);
	for (k = t->top[SCR_CEREMONY], i = 0; k < t->nscripts && i < h; k++,
	    i++) {
		const char *base = strrchr(t->scripts[k].path, '/');

		snprintf(buf, sizeof(buf), "%-26s %s", base ? base + 1 :
		    t->scripts[k].path, t->scripts[k].title ?
		    t->scripts[k].title : t->scripts[k].err);
		put(y++, 2, COLS - 3, k == t->sel[SCR_CEREMONY] ? A_REVERSE :
		    t->scripts[k].title ? A_NORMAL : cls_attr(TC_ERR), buf);
	}
	put(LINES - 4, 1, COLS - 2, A_NORMAL, "Enter: run the selected "
	    "script (parameters, participants, then each step).");
	if (t->cer_result[0] != '\0')
		put_wrapped(LINES - 3, 1, COLS - 2, 2,
		    cls_attr(t->cer_result_cls), t->cer_result);
}

static void
draw_log(struct tui *t, int y0, int y1)
{
	int w = COLS - 2, y, h = y1 - y0, rows, i;
	size_t k, first;

	if (h <= 0 || t->log.n == 0)
		return;
	if (t->log_follow) {
		/* from the bottom up */
		y = y1;
		for (k = t->log.n; k > 0 && y > y0; k--) {
			rows = wrapped_rows(w, t->log.v[k - 1].text);
			if (y - rows < y0)
				break;
			y -= rows;
		}
		first = k;
		t->sel[SCR_CEREMONY] = first;
	} else
		first = t->sel[SCR_CEREMONY];
	y = y0;
	for (k = first; k < t->log.n && y < y1; k++) {
		i = put_wrapped(y, 1, w, y1 - y, cls_attr(t->log.v[k].cls),
		    t->log.v[k].text);
		y += i;
	}
}

/* A bar, the count, the measured rate and the time left (batch screen, ceremony step). */
static void
draw_progress(const struct batch_progress *p, int y)
{
	char buf[160];
	int w = COLS - 2 - 50, fill, i;
	size_t total = p->counts.total ? p->counts.total : 1;

	if (w < 10)
		w = 10;
	fill = (int)((double)w * (double)p->done / (double)total);
	if (fill > w)
		fill = w;
	move(y, 0);
	clrtoeol();
	move(y, 1);
	addch('[');
	for (i = 0; i < w; i++)
		addch(i < fill ? '#' : '.');
	addch(']');
	buf[0] = ' ';
	batch_progress_text(p, buf + 1, sizeof(buf) - 1);
	put(y, w + 3, COLS - w - 4, A_BOLD, buf);
}

static void
draw_ceremony(struct tui *t, int *cy, int *cx)
{
	int bottom = LINES - 1 - (t->field != NULL ? 4 : 0) - 1;

	if (!t->cer_open && !t->cer_ran) {
		draw_scripts(t);
		return;
	}
	if (t->pane[SCR_CEREMONY] == 1) {
		char title[96];

		if (t->nqr_cer > 1)
			snprintf(title, sizeof(title), "QR code %zu of %zu "
			    "(Left/Right; Tab: the log)", t->qr_at + 1,
			    t->nqr_cer);
		else
			snprintf(title, sizeof(title), "QR code (Tab: back to "
			    "the log)");
		draw_qr_pane(t, &t->qr_cer[t->qr_at], title);
		if (t->field != NULL) {
			int x = 0, w = COLS - QR_COLS - 1;
			int y = LINES - 1 - 5;

			put_wrapped(y, x, w, 3, A_BOLD, t->field->prompt);
			*cx = -1;
			put(y + 3, x, w, A_BOLD, "> ");
			if (!t->field->secret) {
				size_t used = put(y + 3, x + 2, w - 2, A_NORMAL,
				    t->field->buf);

				*cx = x + 2 + (int)used;
			} else
				*cx = x + 2;
			*cy = y + 3;
			if (!t->field_focus)
				*cx = -1;
		}
		return;
	}
	if (t->cer_step[0] != '\0' && t->cer_open)
		put(1, 1, COLS - 2, A_BOLD | A_UNDERLINE, t->cer_step);
	else if (t->cer_result[0] != '\0')
		put(1, 1, COLS - 2, cls_attr(t->cer_result_cls), t->cer_result);
	/* a step that reports progress (batch sign) keeps the last row */
	if (t->cer_open && t->cer_have_prog) {
		draw_log(t, 2, bottom);
		draw_progress(&t->cer_prog, bottom);
	} else
		draw_log(t, 2, bottom + 1);
}

static void
draw_batch(struct tui *t)
{
	const struct tui_batch *b = t->batch;
	const struct batch_item *it;
	char buf[1024], hex[SHA256_HEX_LEN + 1], file[BATCH_FILE_MAX + 2];
	int y = 1, h, i, fw;
	size_t k;

	if (b == NULL) {
		put(y++, 1, COLS - 2, A_BOLD, "Batch review");
		y++;
		put_wrapped(y, 1, COLS - 2, 6, A_NORMAL, "Enter: review a "
		    "directory of device CSRs for a local device CA.  Every "
		    "request is read and judged against the device profile "
		    "(CN, key type, rule result and reason); nothing is signed "
		    "until the approved batch is signed with s.");
		return;
	}
	snprintf(buf, sizeof(buf), "Batch %.200s for %s: %zu requests, %zu to "
	    "sign, %zu signed before, %zu rejected, %zu approved", b->indir,
	    b->calabel, b->counts.total, b->counts.accepted, b->counts.skipped,
	    b->counts.rejected, tui_batch_approved(b));
	y += put_wrapped(y, 1, COLS - 2, 2, A_BOLD, buf);
	/* the FILE column takes the longest name the width allows (CN is a
	 * UUID, 36); a name still longer ends in '>' rather than cut short */
	for (fw = 16, k = 0; k < b->nitems; k++)
		if ((int)strlen(b->items[k].file) > fw)
			fw = (int)strlen(b->items[k].file);
	if (fw > COLS - 2 - 57)
		fw = COLS - 2 - 57 < 16 ? 16 : COLS - 2 - 57;
	snprintf(buf, sizeof(buf), "OK  %-*s %-36s %-8s %s", fw, "FILE", "CN",
	    "KEY", "RESULT");
	put(y++, 1, COLS - 2, A_UNDERLINE, buf);
	h = LINES - 1 - y - 7;
	scroll_into_view(t, b->nitems, h);
	for (k = t->top[SCR_BATCH], i = 0; k < b->nitems && i < h; k++, i++) {
		it = &b->items[k];
		if ((int)strlen(it->file) > fw)
			snprintf(file, sizeof(file), "%.*s>", fw - 1, it->file);
		else
			snprintf(file, sizeof(file), "%s", it->file);
		snprintf(buf, sizeof(buf), "[%c] %-*s %-36.36s %-8.8s %s",
		    b->approved[k] ? 'x' : it->verdict == BATCH_ACCEPT ? ' ' :
		    '-', fw, file, it->cn[0] ? it->cn : "-", it->key[0] ?
		    it->key : "-", batch_verdict_name(it->verdict));
		put(y++, 1, COLS - 2, k == t->sel[SCR_BATCH] ? A_REVERSE :
		    cls_attr(it->verdict == BATCH_REJECT ? TC_ERR :
		    it->verdict == BATCH_SKIP ? TC_DIM : TC_NORMAL), buf);
	}
	if (b->counts.total > b->nitems)
		put(y, 1, COLS - 2, A_DIM, "(more requests than the list "
		    "holds: counted above)");
	/* the selected request: verdict and reason (2 rows), its whole
	 * SHA-256 on a row of its own, never cut by a long reason */
	hline_at(LINES - 8);
	if (t->sel[SCR_BATCH] < b->nitems) {
		it = &b->items[t->sel[SCR_BATCH]];
		snprintf(buf, sizeof(buf), "%s: %s%s%.400s", it->file,
		    batch_verdict_name(it->verdict), it->reason[0] ? ": " : "",
		    it->reason);
		put_wrapped(LINES - 7, 1, COLS - 2, 2, cls_attr(it->verdict ==
		    BATCH_REJECT ? TC_ERR : TC_NORMAL), buf);
		if (it->have_sha) {
			hex_encode(it->sha256, SHA256_LEN, hex);
			snprintf(buf, sizeof(buf), "file SHA-256 %s", hex);
			put_wrapped(LINES - 5, 1, COLS - 2, 1, A_NORMAL, buf);
		}
	}
	if (b->have_prog)
		draw_progress(&b->prog, LINES - 4);
	if (b->result[0] != '\0' && !b->signing)
		put_wrapped(LINES - 3, 1, COLS - 2, 2, cls_attr(b->result_cls),
		    b->result);
}

static void
draw_help(struct tui *t)
{
	const char *const *lines = tui_help(t);
	int n = 0, w = 74, h, y0, x0, i;
	char title[64];

	while (lines[n] != NULL)
		n++;
	h = n + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	y0 = (LINES - h) / 2;
	x0 = (COLS - w) / 2;
	for (i = 0; i < h; i++) {
		move(y0 + i, x0);
		attron(A_REVERSE);
		hline(' ', w);
		attroff(A_REVERSE);
	}
	snprintf(title, sizeof(title), " Help: %s ",
	    tui_screen_name(t->screen));
	put(y0, x0 + 2, w - 4, A_REVERSE | A_BOLD, title);
	for (i = 0; i < n && i < h - 3; i++)
		put(y0 + 2 + i, x0 + 2, w - 4, A_REVERSE, lines[i]);
	put(y0 + h - 1, x0 + 2, w - 4, A_REVERSE, "(any key closes this help)");
}

static void
draw_question(struct tui *t)
{
	int w = 70, h = 5, y0 = (LINES - 5) / 2, x0 = (COLS - 70) / 2, i;

	for (i = 0; i < h; i++) {
		move(y0 + i, x0);
		attron(A_REVERSE);
		hline(' ', w);
		attroff(A_REVERSE);
	}
	put_wrapped(y0 + 1, x0 + 2, w - 4, 3, A_REVERSE | A_BOLD, t->question);
}

void
tui_draw(struct tui *t)
{
	int cy = -1, cx = -1;

	t->rows = LINES;
	t->cols = COLS;
	erase();
	if (COLS < TUI_MIN_COLS || LINES < TUI_MIN_ROWS) {
		char buf[96];

		snprintf(buf, sizeof(buf), "airca tui needs %dx%d (now %dx%d)",
		    TUI_MIN_COLS, TUI_MIN_ROWS, COLS, LINES);
		put(0, 0, COLS, A_BOLD, buf);
		curs_set(0);
		refresh();
		return;
	}
	title_bar(t);
	switch (t->screen) {
	case SCR_HOME:
		draw_home(t);
		break;
	case SCR_TOKEN:
		draw_token(t);
		break;
	case SCR_CERTS:
		draw_certs(t);
		break;
	case SCR_JOURNAL:
		draw_journal(t);
		break;
	case SCR_CEREMONY:
		draw_ceremony(t, &cy, &cx);
		break;
	case SCR_BATCH:
	default:
		draw_batch(t);
		break;
	}
	if (t->field != NULL && !(t->screen == SCR_CEREMONY &&
	    t->pane[SCR_CEREMONY] == 1 && (t->cer_open || t->cer_ran))) {
		/* a rule, the prompt (two rows at most), the input row */
		int i;

		for (i = LINES - 5; i < LINES - 1; i++) {
			move(i, 0);
			clrtoeol();
		}
		hline_at(LINES - 5);
		cx = field_rows(t, LINES - 4, 0, COLS);
		cy = LINES - 2;
	}
	status_line(t);
	if (t->help)
		draw_help(t);
	if (t->question != NULL)
		draw_question(t);
	if (cx >= 0 && t->field_focus && !t->help && t->question == NULL) {
		curs_set(1);
		move(cy, cx);
	} else
		curs_set(0);
	refresh();
}

int
tui_draw_key(void)
{
	struct pollfd pfd;
	int ch;

	/* a second without a key: TK_NONE, and the clock is redrawn */
	if ((ch = getch()) == ERR) {
		pfd.fd = fileno(scr_in);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 1 &&
		    (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0)
			return TK_EOF;	/* the terminal has gone */
		return TK_NONE;
	}
	switch (ch) {
	case KEY_RESIZE:
		return TK_RESIZE;
	case KEY_UP:
		return TK_UP;
	case KEY_DOWN:
		return TK_DOWN;
	case KEY_LEFT:
		return TK_LEFT;
	case KEY_RIGHT:
		return TK_RIGHT;
	case KEY_PPAGE:
		return TK_PGUP;
	case KEY_NPAGE:
		return TK_PGDN;
	case KEY_HOME:
		return TK_HOME;
	case KEY_END:
		return TK_END;
	case KEY_ENTER:
	case '\r':
	case '\n':
		return TK_ENTER;
	case 27:
		return TK_ESC;
	case '\t':
	case KEY_BTAB:
		return TK_TAB;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		return TK_BACKSPACE;
	case KEY_F(1):
		return TK_F1;
	case 3:
		return TK_CTRL_C;
	default:
		if (ch >= KEY_MIN)
			return TK_NONE;
		return ch & 0xff;
	}
}

int
tui_draw_init(struct tui *t)
{
	const char *nc = getenv("NO_COLOR");
	int ofd = -1, ifd = -1;

	(void)t;
	/* curses keeps its own descriptors: fd 1 and 2 then go to /dev/null */
	if ((ofd = dup(STDOUT_FILENO)) == -1 || (ifd = dup(STDIN_FILENO)) == -1 ||
	    (scr_out = fdopen(ofd, "w")) == NULL ||
	    (scr_in = fdopen(ifd, "r")) == NULL) {
		if (scr_out == NULL && ofd != -1)
			close(ofd);
		if (scr_in == NULL && ifd != -1)
			close(ifd);
		if (scr_out != NULL)
			fclose(scr_out);
		scr_out = NULL;
		return airca_errf(AIRCA_ERR_IO, "terminal: %s", strerror(errno));
	}
	if ((scr = newterm(NULL, scr_out, scr_in)) == NULL) {
		fclose(scr_out);
		fclose(scr_in);
		scr_out = scr_in = NULL;
		return airca_errf(AIRCA_ERR_USAGE, "cannot start curses on "
		    "this terminal (TERM=%s)", getenv("TERM") ?
		    getenv("TERM") : "unset");
	}
	set_term(scr);
	set_escdelay(25);
	/* raw: Ctrl-C is a key (quit, asked first in a ceremony), not a kill */
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	timeout(1000);
	colour = (nc == NULL || *nc == '\0') && has_colors();
	if (colour) {
		start_color();
		use_default_colors();
		init_pair(PAIR_OK, COLOR_GREEN, -1);
		init_pair(PAIR_WARN, COLOR_YELLOW, -1);
		init_pair(PAIR_ERR, COLOR_RED, -1);
		init_pair(PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
	}
	return 0;
}

void
tui_draw_end(void)
{
	if (scr == NULL)
		return;
	endwin();
	delscreen(scr);
	scr = NULL;
	if (scr_out != NULL)
		fclose(scr_out);
	if (scr_in != NULL)
		fclose(scr_in);
	scr_out = scr_in = NULL;
}
