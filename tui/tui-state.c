/* tui-state.c: what the terminal UI shows and why: home, certificates, journal; actions applied to that state (no curses). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "ca.h"
#include "error.h"
#include "hsm.h"
#include "journal.h"
#include "qr.h"
#include "registry.h"
#include "tui.h"
#include "util.h"

static const char *const screen_names[SCR_N] = {
	"Home", "Token", "Certificates", "Journal", "Ceremony", "Batch",
};

const char *
tui_screen_name(enum tui_screen s)
{
	return s < SCR_N ? screen_names[s] : "?";
}

void
tui_status(struct tui *t, enum tui_class cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof(t->status), fmt, ap);
	va_end(ap);
	t->status_cls = cls;
}

/* ---- lines ---- */

int
tui_text_add(struct tui_text *x, enum tui_class cls, const char *fmt, ...)
{
	struct tui_line *nv;
	va_list ap;
	char *s;
	int n;

	if (x->n >= TUI_MAX_LINES)
		return AIRCA_ERR_NOMEM;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return AIRCA_ERR_NOMEM;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;

		if ((nv = reallocarray(x->v, cap, sizeof(*nv))) == NULL) {
			free(s);
			return AIRCA_ERR_NOMEM;
		}
		x->v = nv;
		x->cap = cap;
	}
	x->v[x->n].text = s;
	x->v[x->n].cls = cls;
	x->n++;
	return 0;
}

void
tui_text_clear(struct tui_text *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].text);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

int
tui_qr_set(struct tui_qr *q, const char *label, const char *hex)
{
	int r;

	tui_qr_clear(q);
	snprintf(q->label, sizeof(q->label), "%s", label);
	snprintf(q->hex, sizeof(q->hex), "%s", hex);
	if ((r = qr_lines(hex, 0, &q->lines, &q->n)) != 0) {
		q->lines = NULL;
		q->n = 0;
	}
	return r;
}

void
tui_qr_clear(struct tui_qr *q)
{
	if (q->lines != NULL)
		qr_lines_free(q->lines, q->n);
	memset(q, 0, sizeof(*q));
}

void
tui_qr_push(struct tui *t, const char *label, const char *hex)
{
	size_t i;

	if (t->nqr_cer == TUI_QR_KEEP) {
		tui_qr_clear(&t->qr_cer[0]);
		for (i = 1; i < TUI_QR_KEEP; i++)
			t->qr_cer[i - 1] = t->qr_cer[i];
		memset(&t->qr_cer[TUI_QR_KEEP - 1], 0, sizeof(t->qr_cer[0]));
		t->nqr_cer--;
	}
	tui_qr_set(&t->qr_cer[t->nqr_cer], label, hex);
	t->qr_at = t->nqr_cer++;
}

void
tui_qr_reset(struct tui *t)
{
	size_t i;

	for (i = 0; i < TUI_QR_KEEP; i++)
		tui_qr_clear(&t->qr_cer[i]);
	t->nqr_cer = t->qr_at = 0;
}

/* ---- home: the CA home, registry tree and journal summary ---- */

static int
row_cmp(const void *a, const void *b)
{
	const struct tui_cert_row *x = a, *y = b;

	if (x->e->not_after != y->e->not_after)
		return x->e->not_after < y->e->not_after ? -1 : 1;
	return strcmp(x->e->serial, y->e->serial);
}

static void
cert_rows(struct tui *t)
{
	const struct reg_entry *e;
	time_t tnow = now();
	struct tm tm;
	size_t i, n;

	free(t->rows_all);
	t->rows_all = NULL;
	t->nrows_all = 0;
	if (t->reg == NULL || (n = registry_count(t->reg)) == 0)
		return;
	if ((t->rows_all = calloc(n, sizeof(*t->rows_all))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct tui_cert_row *row = &t->rows_all[i];

		if ((e = registry_at(t->reg, i)) == NULL)
			break;		/* a scratch file failed: the rows so far */
		row->e = e;
		gmtime_r(&e->not_after, &tm);
		strftime(row->expires, sizeof(row->expires), "%Y-%m-%d", &tm);
		if (e->not_after <= tnow) {
			row->cls = TC_ERR;
			row->mark = "EXPIRED";
		} else if (e->not_after - tnow < (time_t)TUI_SOON_DAYS * 86400 &&
		    e->status == CERT_VALID) {
			row->cls = TC_WARN;
			row->mark = "soon";
		} else {
			row->cls = e->status == CERT_VALID ? TC_NORMAL : TC_DIM;
			row->mark = "";
		}
	}
	t->nrows_all = n = i;
	qsort(t->rows_all, n, sizeof(*t->rows_all), row_cmp);
}

static bool
row_matches(const struct tui_cert_row *row, const char *q)
{
	const struct reg_entry *e = row->e;

	return *q == '\0' || strcasestr(e->subject, q) != NULL ||
	    strcasestr(e->serial, q) != NULL || strcasestr(e->label, q) != NULL ||
	    strcasestr(e->profile, q) != NULL ||
	    strcasestr(e->fingerprint, q) != NULL ||
	    strcasestr(cert_status_name(e->status), q) != NULL ||
	    strcasestr(row->mark, q) != NULL;
}

static void
cert_filter(struct tui *t)
{
	size_t i;

	free(t->shown);
	t->shown = NULL;
	t->nshown = 0;
	if (t->nrows_all == 0 ||
	    (t->shown = calloc(t->nrows_all, sizeof(*t->shown))) == NULL)
		return;
	for (i = 0; i < t->nrows_all; i++)
		if (row_matches(&t->rows_all[i], t->search))
			t->shown[t->nshown++] = i;
	if (t->sel[SCR_CERTS] >= t->nshown)
		t->sel[SCR_CERTS] = t->nshown > 0 ? t->nshown - 1 : 0;
}

static const char *
short_name(const struct reg_entry *e)
{
	return e->cn != NULL ? e->cn : e->subject;
}

static void
tree_add(struct tui *t, const char *branch, const struct reg_entry *e,
    size_t devices)
{
	struct tm tm;
	char exp[11], extra[64] = "";
	enum tui_class cls = TC_NORMAL;

	gmtime_r(&e->not_after, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%d", &tm);
	if (e->not_after <= now())
		cls = TC_ERR;
	else if (e->not_after - now() < (time_t)TUI_SOON_DAYS * 86400)
		cls = TC_WARN;
	else if (e->status != CERT_VALID)
		cls = TC_DIM;
	if (strcmp(e->profile, "device-ca") == 0)
		snprintf(extra, sizeof(extra), "  %zu device%s", devices,
		    devices == 1 ? "" : "s");
	tui_text_add(&t->tree, cls, "%s%-*.40s %-9s exp %s %s%s%s", branch,
	    *branch != '\0' ? 20 : 23, short_name(e), e->profile, exp, cert_status_name(e->status),
	    cls == TC_ERR ? " EXPIRED" : cls == TC_WARN ? " soon" : "", extra);
}

static void
home_tree(struct tui *t)
{
	const struct reg_entry *root = NULL, *e, *kids[256];
	size_t i, k, n, nk = 0, others = 0, devs;

	tui_text_clear(&t->tree);
	if (t->reg == NULL)
		return;
	n = registry_count(t->reg);
	for (i = 0; i < n; i++) {
		if ((e = registry_at(t->reg, i)) == NULL)
			break;
		if (strcmp(e->profile, "root") == 0 && (root == NULL ||
		    e->status == CERT_VALID))
			root = e;
	}
	if (root == NULL) {
		tui_text_add(&t->tree, TC_DIM, "(no root in the registry)");
		return;
	}
	for (i = 0; i < n; i++) {
		if ((e = registry_at(t->reg, i)) == NULL)
			break;
		if (e == root || strcmp(e->issuer, root->serial) != 0)
			continue;
		if ((strcmp(e->profile, "device-ca") == 0 ||
		    strcmp(e->profile, "online-ca") == 0) &&
		    nk < sizeof(kids) / sizeof(kids[0]))
			kids[nk++] = e;
		else
			others++;
	}
	tree_add(t, "", root, 0);
	for (k = 0; k < nk; k++) {
		devs = 0;
		for (i = 0; i < n; i++)
			if ((e = registry_at(t->reg, i)) != NULL &&
			    strcmp(e->issuer, kids[k]->serial) == 0)
				devs++;
		tree_add(t, k + 1 < nk || others > 0 ?
		    "\xe2\x94\x9c\xe2\x94\x80 " : "\xe2\x94\x94\xe2\x94\x80 ",
		    kids[k], devs);
	}
	if (nk == 0)
		tui_text_add(&t->tree, TC_DIM, "%s(no device CAs yet)",
		    others > 0 ? "\xe2\x94\x9c\xe2\x94\x80 " :
		    "\xe2\x94\x94\xe2\x94\x80 ");
	if (others > 0)
		tui_text_add(&t->tree, TC_DIM, "\xe2\x94\x94\xe2\x94\x80 "
		    "%zu other certificate%s (TLS, audit): see 3", others,
		    others == 1 ? "" : "s");
}

/* One journal line as a row of the journal view. */
static void
journal_row(struct tui *t, const char *line, size_t len, unsigned long lineno)
{
	json_t *o, *data;
	json_error_t jerr;
	const char *ev, *tm, *actor;
	char *d = NULL;

	if ((o = json_loadb(line, len, 0, &jerr)) == NULL ||
	    !json_is_object(o)) {
		tui_text_add(&t->jlines, TC_ERR, "line %lu: not a JSON object "
		    "(journal verify says more)", lineno);
		json_decref(o);
		return;
	}
	if ((data = json_object_get(o, "data")) != NULL)
		d = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII |
		    JSON_PRESERVE_ORDER);
	ev = json_string_value(json_object_get(o, "event"));
	tm = json_string_value(json_object_get(o, "time"));
	actor = json_string_value(json_object_get(o, "actor"));
	tui_text_add(&t->jlines, ev != NULL && journal_event_signed(ev) ?
	    TC_OK : TC_NORMAL, "%5lld %.20s %-16.24s %-10.16s %.400s",
	    (long long)json_integer_value(json_object_get(o, "seq")),
	    tm != NULL ? tm : "?", ev != NULL ? ev : "?",
	    actor != NULL ? actor : "?", d != NULL ? d : "");
	free(d);
	json_decref(o);
}

/* A seal line (the journal's keys come in a fixed order): its seq, time and hash. */
static void
journal_seal_line(struct tui *t, const char *line, size_t len)
{
	json_t *o;
	json_error_t jerr;
	const char *ev, *tm;

	if ((o = json_loadb(line, len, 0, &jerr)) == NULL)
		return;
	ev = json_string_value(json_object_get(o, "event"));
	tm = json_string_value(json_object_get(o, "time"));
	if (ev != NULL && strcmp(ev, "seal") == 0) {
		t->seal_seq = (unsigned long)json_integer_value(
		    json_object_get(o, "seq"));
		snprintf(t->seal_time, sizeof(t->seal_time), "%s",
		    tm != NULL ? tm : "?");
		sha256_hex(line, len, t->seal_hex);
	}
	json_decref(o);
}

/*
 * Read the journal once: count its entries, find the last seal, hash the
 * last line, and keep the last TUI_JOURNAL_VIEW lines for the view (a
 * journal of many batches has millions of entries; 'airca journal show'
 * prints them all).
 */
static void
journal_load(struct tui *t, const char *home)
{
	struct journal_reader *rd = NULL;
	char path[PATH_MAX], *line, **ring = NULL;
	size_t len, *lens = NULL, i, n = 0, first;
	bool complete, incomplete = false;
	int r = 0;

	tui_text_clear(&t->jlines);
	t->jentries = 0;
	t->jhead[0] = t->seal_hex[0] = t->seal_time[0] = '\0';
	t->seal_seq = 0;
	if ((ring = calloc(TUI_JOURNAL_VIEW, sizeof(*ring))) == NULL ||
	    (lens = calloc(TUI_JOURNAL_VIEW, sizeof(*lens))) == NULL ||
	    path_join(path, sizeof(path), home, JOURNAL_FILE) != 0 ||
	    journal_reader_open(path, &rd) != 0)
		goto out;
	while ((r = journal_reader_next(rd, &line, &len, &complete)) == 1) {
		if (!complete) {
			incomplete = true;
			break;
		}
		t->jentries++;
		if (strstr(line, "\"event\":\"seal\"") != NULL)
			journal_seal_line(t, line, len);
		i = n % TUI_JOURNAL_VIEW;
		free(ring[i]);
		if ((ring[i] = malloc(len + 1)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			break;
		}
		memcpy(ring[i], line, len + 1);
		lens[i] = len;
		n++;
	}
	first = n > TUI_JOURNAL_VIEW ? n - TUI_JOURNAL_VIEW : 0;
	if (first > 0)
		tui_text_add(&t->jlines, TC_DIM, "      (the first %zu entries "
		    "are not listed here: airca journal show)", first);
	for (i = first; i < n; i++)
		journal_row(t, ring[i % TUI_JOURNAL_VIEW],
		    lens[i % TUI_JOURNAL_VIEW], (unsigned long)i + 1);
	if (n > 0)
		sha256_hex(ring[(n - 1) % TUI_JOURNAL_VIEW],
		    lens[(n - 1) % TUI_JOURNAL_VIEW], t->jhead);
	if (incomplete)
		tui_text_add(&t->jlines, TC_ERR, "line %zu: incomplete (an "
		    "interrupted append: airca journal repair)", n + 1);
	if (r < 0)
		tui_text_add(&t->jlines, TC_ERR, "%s", airca_errmsg());
 out:
	if (ring != NULL)
		for (i = 0; i < TUI_JOURNAL_VIEW; i++)
			free(ring[i]);
	free(ring);
	free(lens);
	journal_reader_close(rd);
}

void
tui_reload(struct tui *t)
{
	struct ca ca;
	struct hsm_profile prof;
	json_t *tok;
	int r;

	registry_free(t->reg);
	t->reg = NULL;
	t->home_err[0] = t->factory[0] = '\0';
	airca_errclear();
	if (t->ctx->hsm != NULL && hsm_profile_load(t->ctx->hsm, &prof) == 0)
		snprintf(t->hsm_name, sizeof(t->hsm_name), "%s", prof.name);
	else
		snprintf(t->hsm_name, sizeof(t->hsm_name), "%s",
		    t->ctx->hsm != NULL ? "(cannot load)" : "(none: --hsm)");
	if ((r = ca_open(&ca, t->ctx, "tui", CA_HOME)) != 0) {
		snprintf(t->home_err, sizeof(t->home_err), "%s%s%s",
		    airca_strerror(r), *airca_errmsg() ? ": " : "",
		    airca_errmsg());
	} else {
		snprintf(t->factory, sizeof(t->factory), "%s",
		    json_string_value(json_object_get(ca.state, "factory")) ?
		    json_string_value(json_object_get(ca.state, "factory")) :
		    "?");
		tok = json_object_get(ca.state, "token");
		snprintf(t->token_line, sizeof(t->token_line), "'%s' serial %s",
		    json_string_value(json_object_get(tok, "label")) ?
		    json_string_value(json_object_get(tok, "label")) : "?",
		    json_string_value(json_object_get(tok, "serial")) ?
		    json_string_value(json_object_get(tok, "serial")) : "?");
		t->reg = ca.reg;
		ca.reg = NULL;
	}
	ca_close(&ca, 0);
	cert_rows(t);
	cert_filter(t);
	home_tree(t);
	if (t->ctx->home != NULL)
		journal_load(t, t->ctx->home);
	airca_errclear();
}

/* ---- journal verify ---- */

static void
journal_verify_now(struct tui *t)
{
	struct journal_report rep;
	char jp[PATH_MAX], rp[PATH_MAX], ap[PATH_MAX];
	X509 *root = NULL, *audit = NULL;
	int r;

	memset(&rep, 0, sizeof(rep));
	airca_errclear();
	if (t->ctx->home == NULL) {
		r = airca_errf(AIRCA_ERR_USAGE, "no CA home (--home)");
		goto out;
	}
	if ((r = path_join(jp, sizeof(jp), t->ctx->home, JOURNAL_FILE)) != 0 ||
	    (r = path_join(rp, sizeof(rp), t->ctx->home, "root.pem")) != 0 ||
	    (r = path_join(ap, sizeof(ap), t->ctx->home, "audit.pem")) != 0 ||
	    (r = journal_load_cert(rp, &root)) != 0 ||
	    (r = journal_load_cert(ap, &audit)) != 0)
		goto out;
	r = journal_verify(jp, root, audit, NULL, &rep);
 out:
	if (r == 0) {
		snprintf(t->verify, sizeof(t->verify), "journal verified: %lu "
		    "entries, %lu checkpoints, %lu seals, head %.16s...",
		    rep.entries, rep.checkpoints, rep.seals, rep.head);
		t->verify_cls = TC_OK;
	} else if (r == AIRCA_ERR_VERIFY) {
		snprintf(t->verify, sizeof(t->verify), "journal verification "
		    "FAILED at seq %lu (line %lu): %.400s", rep.bad_seq,
		    rep.bad_line, rep.what);
		t->verify_cls = TC_ERR;
	} else {
		snprintf(t->verify, sizeof(t->verify), "cannot verify: %s%s%s",
		    airca_strerror(r), *airca_errmsg() ? ": " : "",
		    airca_errmsg());
		t->verify_cls = TC_ERR;
	}
	tui_status(t, t->verify_cls, "%s", t->verify);
	X509_free(root);
	X509_free(audit);
}

/* ---- help ---- */

static const char *const help_common[] = {
	"1-6          screens: Home Token Certificates Journal Ceremony Batch",
	"Up/Down j/k  move; PgUp/PgDn, g/G top and bottom",
	"Tab          next pane; Enter open; Esc back",
	"r            reload from the CA home",
	"?            this help (any key closes it); q quit",
	NULL
};

static const char *const help_home[] = {
	"Home: the factory, the token, the CA tree (root, then device CAs",
	"with expiry and how many devices each signed), the journal head",
	"and the last seal.  Expired certificates say EXPIRED, those that",
	"expire within 30 days say 'soon' (and are coloured when colour is on).",
	"", NULL
};
static const char *const help_token[] = {
	"Token: slots and tokens of the HSM profile's module, and the key",
	"objects on the chosen token (label, key type, SPKI SHA-256).",
	"l  log in: the PIN is typed into a field that shows nothing",
	"o  log out and close the token (ceremony steps open it themselves)",
	"", NULL
};
static const char *const help_certs[] = {
	"Certificates: what 'airca list' shows, sorted by expiry.",
	"/      search (subject, serial, label, profile, status); empty clears",
	"Enter  details: fingerprint as hex and as a QR code; Esc back",
	"", NULL
};
static const char *const help_journal[] = {
	"Journal: every entry, oldest first (signed entries highlighted).",
	"v  verify the chain and every signature now, and show the result",
	"", NULL
};
static const char *const help_ceremony[] = {
	"Ceremony: pick a script from ceremony-scripts/ and press Enter.",
	"Parameters are asked first, then each participant by name and role;",
	"each step shows its text and inputs and waits for the named role",
	"to type their name.  Tab shows the last SHA-256 as a QR code;",
	"Left/Right there go through the ceremony's last 8.",
	"In a field: Enter submits, Esc leaves it (Enter or i goes back),",
	"F1 this help.  q outside the field aborts the ceremony (asked first).",
	"", NULL
};
static const char *const help_batch[] = {
	"Batch: review device CSRs before signing: CN, key type, rule result.",
	"Enter  scan a directory (asks the device CA label and directories)",
	"Space  approve or unapprove one request;  a  approve all valid ones",
	"s      sign the approved requests (PIN asked), with progress",
	"", NULL
};

const char *const *
tui_help(const struct tui *t)
{
	static const char *lines[40];
	const char *const *per[SCR_N] = { help_home, help_token, help_certs,
	    help_journal, help_ceremony, help_batch };
	const char *const *p;
	size_t n = 0;

	for (p = per[t->screen]; *p != NULL && n < 30; p++)
		lines[n++] = *p;
	for (p = help_common; *p != NULL && n < 39; p++)
		lines[n++] = *p;
	lines[n] = NULL;
	return lines;
}

/* ---- actions ---- */

size_t
tui_list_len(const struct tui *t, enum tui_screen s)
{
	switch (s) {
	case SCR_TOKEN:
		return t->pane[SCR_TOKEN] == 0 ? t->nslots : t->nkeys;
	case SCR_CERTS:
		return t->nshown;
	case SCR_JOURNAL:
		return t->jlines.n;
	case SCR_CEREMONY:
		return t->cer_open || t->cer_ran ? t->log.n : t->nscripts;
	case SCR_BATCH:
		return tui_batch_len(t);
	default:
		return 0;
	}
}

static bool
is_log(const struct tui *t)
{
	return t->screen == SCR_CEREMONY && (t->cer_open || t->cer_ran);
}

static void
move(struct tui *t, long delta)
{
	size_t n = tui_list_len(t, t->screen), *sel = &t->sel[t->screen];
	long v;

	if (is_log(t)) {
		/* the log scrolls; sel is its top line */
		if (t->log_follow)
			*sel = t->log.n > (size_t)(t->rows - 6) && t->rows > 6 ?
			    t->log.n - (size_t)(t->rows - 6) : 0;
		t->log_follow = false;
	}
	if (n == 0)
		return;
	v = (long)*sel + delta;
	if (v < 0)
		v = 0;
	if (v >= (long)n)
		v = (long)n - 1;
	*sel = (size_t)v;
	if (is_log(t) && t->rows > 6 && *sel + (size_t)(t->rows - 6) >= n)
		t->log_follow = true;
}

static void
field_apply(struct tui *t, struct tui_act act)
{
	struct tui_field *f = t->field;

	switch (act.a) {
	case ACT_FIELD_CHAR:
		if (f->len + 1 < sizeof(f->buf))
			f->buf[f->len++] = (char)act.arg;
		break;
	case ACT_FIELD_BS:
		/* a whole UTF-8 character */
		while (f->len > 0 && ((unsigned char)f->buf[f->len - 1] &
		    0xc0) == 0x80)
			f->buf[--f->len] = '\0';
		if (f->len > 0)
			f->buf[--f->len] = '\0';
		break;
	case ACT_FIELD_SUBMIT:
		f->done = true;
		break;
	case ACT_FIELD_LEAVE:
		if (f->leave_cancels)
			f->cancelled = true;
		else
			t->field_focus = false;
		break;
	default:
		break;
	}
}

static void
search(struct tui *t)
{
	char q[TUI_FIELD_MAX];

	if (tui_prompt(t, "Search (Enter: filter, empty: all, Esc: keep):",
	    false, true, q, sizeof(q)) != 0)
		return;
	snprintf(t->search, sizeof(t->search), "%s", q);
	t->sel[SCR_CERTS] = 0;
	cert_filter(t);
	tui_status(t, TC_NORMAL, "%zu of %zu certificates%s%s%s", t->nshown,
	    t->nrows_all, *q ? " match '" : "", q, *q ? "'" : "");
}

/*
 * The stored certificate behind a registry entry: its subject hash (what
 * 'airca list' shows, and c_rehash names files by) and whether its DER
 * still has the fingerprint the registry recorded.
 */
static void
cert_check(struct tui *t, const struct reg_entry *e)
{
	unsigned char *der = NULL;
	char fp[SHA256_HEX_LEN + 1];
	unsigned long h;
	X509 *x = NULL;
	int len, ok = 0;

	snprintf(t->detail_hash, sizeof(t->detail_hash), "--------");
	t->detail_check[0] = '\0';
	airca_errclear();
	if (t->ctx->home == NULL ||
	    registry_load_cert(t->ctx->home, e->serial, &x) != 0) {
		snprintf(t->detail_check, sizeof(t->detail_check), "stored "
		    "certificate unreadable: %.200s", airca_errmsg());
		t->detail_cls = TC_ERR;
		goto out;
	}
	h = X509_NAME_hash_ex(X509_get_subject_name(x), NULL, NULL, &ok);
	if (ok == 1)
		snprintf(t->detail_hash, sizeof(t->detail_hash), "%08lx", h);
	if ((len = i2d_X509(x, &der)) <= 0) {
		snprintf(t->detail_check, sizeof(t->detail_check), "stored "
		    "certificate does not encode");
		t->detail_cls = TC_ERR;
		goto out;
	}
	sha256_hex(der, (size_t)len, fp);
	if (strcmp(fp, e->fingerprint) == 0) {
		snprintf(t->detail_check, sizeof(t->detail_check), "stored "
		    "file matches the registry");
		t->detail_cls = TC_OK;
	} else {
		snprintf(t->detail_check, sizeof(t->detail_check), "stored "
		    "file DIFFERS from the registry's fingerprint");
		t->detail_cls = TC_ERR;
	}
 out:
	OPENSSL_free(der);
	X509_free(x);
	airca_errclear();
}

static void
cert_open(struct tui *t)
{
	const struct reg_entry *e;
	char label[128];

	if (t->nshown == 0)
		return;
	e = t->rows_all[t->shown[t->sel[SCR_CERTS]]].e;
	cert_check(t, e);
	snprintf(label, sizeof(label), "SHA-256 fingerprint of %.60s",
	    short_name(e));
	if (tui_qr_set(&t->qr_cert, label, e->fingerprint) != 0)
		tui_status(t, TC_ERR, "QR code: %s", airca_errmsg());
	t->detail = true;
}

void
tui_apply(struct tui *t, struct tui_act act)
{
	if (t->question != NULL) {
		if (act.a == ACT_YES || act.a == ACT_NO)
			t->answer = act.a == ACT_YES;
		return;
	}
	if (t->field != NULL && t->field_focus && act.a >= ACT_FIELD_CHAR &&
	    act.a <= ACT_FIELD_LEAVE) {
		field_apply(t, act);
		return;
	}
	if (t->screen == SCR_BATCH && (act.a == ACT_OPEN || act.a == ACT_TOGGLE ||
	    act.a == ACT_ALL || act.a == ACT_SIGN || act.a == ACT_BACK)) {
		tui_batch_apply(t, act);
		return;
	}
	switch (act.a) {
	case ACT_QUIT:
		t->help = false;
		if (!t->cer_open)
			t->quit = true;
		else if (tui_ask(t, "A ceremony is open. Abort it (journaled as "
		    "aborted) and quit? [y/N]")) {
			/* the runner journals the abort, then we quit */
			t->cer_abort = true;
			t->quit_after = true;
		}
		break;
	case ACT_HELP:
		t->help = !t->help;
		break;
	case ACT_QR_PREV:
		if (t->qr_at > 0)
			t->qr_at--;
		break;
	case ACT_QR_NEXT:
		if (t->qr_at + 1 < t->nqr_cer)
			t->qr_at++;
		break;
	case ACT_SCREEN:
		if (t->cer_open && act.arg != SCR_CEREMONY) {
			tui_status(t, TC_WARN, "a ceremony is open: finish it, "
			    "or abort it (Esc, then q)");
			break;
		}
		if (act.arg >= 0 && act.arg < SCR_N) {
			t->screen = (enum tui_screen)act.arg;
			t->help = false;
			if (t->screen == SCR_TOKEN && t->slots == NULL)
				tui_token_refresh(t);
		}
		break;
	case ACT_PANE:
		if (t->screen == SCR_TOKEN || t->screen == SCR_CEREMONY)
			t->pane[t->screen] = !t->pane[t->screen];
		break;
	case ACT_UP:
		move(t, -1);
		break;
	case ACT_DOWN:
		move(t, 1);
		break;
	case ACT_PGUP:
		move(t, -(t->rows > 8 ? t->rows - 8 : 1));
		break;
	case ACT_PGDN:
		move(t, t->rows > 8 ? t->rows - 8 : 1);
		break;
	case ACT_TOP:
		move(t, -(long)TUI_MAX_LINES);
		break;
	case ACT_BOTTOM:
		move(t, (long)TUI_MAX_LINES);
		break;
	case ACT_OPEN:
		if (t->field != NULL && !t->field_focus) {
			t->field_focus = true;
			t->screen = SCR_CEREMONY;
		} else if (t->screen == SCR_CERTS && !t->detail)
			cert_open(t);
		else if (t->screen == SCR_CEREMONY && !t->cer_open &&
		    !t->cer_ran)
			tui_ceremony_start(t);
		break;
	case ACT_BACK:
		if (t->screen == SCR_CERTS && t->detail) {
			t->detail = false;
			tui_qr_clear(&t->qr_cert);
		} else if (t->screen == SCR_CEREMONY && t->cer_ran &&
		    !t->cer_open) {
			t->cer_ran = false;
			t->pane[SCR_CEREMONY] = 0;
			t->sel[SCR_CEREMONY] = 0;
		}
		break;
	case ACT_SEARCH:
		if (t->screen == SCR_CERTS && !t->detail)
			search(t);
		break;
	case ACT_REFRESH:
		if (t->cer_open)
			break;
		tui_reload(t);
		if (t->screen == SCR_TOKEN)
			tui_token_refresh(t);
		if (t->screen == SCR_CEREMONY)
			tui_ceremony_scan(t);
		tui_status(t, TC_NORMAL, "reloaded");
		break;
	case ACT_LOGIN:
		if (t->screen == SCR_TOKEN && !t->cer_open)
			tui_token_login(t);
		break;
	case ACT_LOGOUT:
		if (t->screen == SCR_TOKEN && !t->cer_open) {
			tui_token_close(t);
			tui_token_refresh(t);
			tui_status(t, TC_NORMAL, "logged out, token closed");
		}
		break;
	case ACT_VERIFY:
		if (t->screen == SCR_JOURNAL && !t->cer_open) {
			tui_reload(t);
			journal_verify_now(t);
		}
		break;
	default:
		break;
	}
}

int
tui_state_init(struct tui *t, struct cmd_ctx *ctx)
{
	t->ctx = ctx;
	t->screen = SCR_HOME;
	t->log_follow = true;
	tui_reload(t);
	tui_ceremony_scan(t);
	tui_status(t, TC_NORMAL, "? help   1-6 screens   q quit");
	return 0;
}

void
tui_state_free(struct tui *t)
{
	size_t i;

	tui_token_close(t);
	free(t->slots);
	free(t->keys);
	tui_batch_free(t);
	registry_free(t->reg);
	free(t->rows_all);
	free(t->shown);
	tui_text_clear(&t->tree);
	tui_text_clear(&t->jlines);
	tui_text_clear(&t->log);
	tui_qr_clear(&t->qr_cert);
	tui_qr_reset(t);
	for (i = 0; i < t->nscripts; i++) {
		free(t->scripts[i].path);
		free(t->scripts[i].title);
		free(t->scripts[i].err);
	}
	free(t->scripts);
}
