/* cmd-ceremony.c: airca ceremony run / print / check: ceremony scripts on the terminal and on paper. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "media.h"
#include "util.h"

#define WIDTH		80
#define MAX_CONFIRM	(CEREMONY_MAX_STEPS * 4 + 128)

/* --param NAME=VALUE, at most 2 * CEREMONY_MAX_PARAMS of them: checked before anything is read. */
static int
params_check(const struct cmd_args *a)
{
	size_t i, n = args_count(a, "param");
	const char *kv;

	if (n > CEREMONY_MAX_PARAMS * 2)
		return airca_errf(AIRCA_ERR_USAGE, "--param given %zu times; at "
		    "most %d", n, CEREMONY_MAX_PARAMS * 2);
	for (i = 0; i < n; i++) {
		kv = args_value(a, "param", i);
		if (strchr(kv, '=') == NULL || kv[0] == '=')
			return airca_errf(AIRCA_ERR_USAGE, "--param '%.80s': give "
			    "NAME=VALUE", kv);
	}
	return 0;
}

static int
params_apply(struct ceremony *c, const struct cmd_args *a)
{
	size_t i, n = args_count(a, "param");
	int r;

	for (i = 0; i < n; i++)
		if ((r = ceremony_set_param(c, args_value(a, "param", i))) != 0)
			return r;
	return 0;
}

/* ---- the paper form ---- */

/* Print text wrapped at WIDTH, every line after indent spaces. */
static void
wrap(FILE *f, int indent, const char *text)
{
	const char *p = text, *sp;
	int col = indent, wl, avail = WIDTH - indent;
	bool first = true;

	fprintf(f, "%*s", indent, "");
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		sp = p + strcspn(p, " ");
		wl = (int)(sp - p);
		if (!first && col + 1 + wl > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
		}
		while (wl > avail) {	/* a word longer than a line */
			fprintf(f, "%s%.*s\n%*s", first ? "" : " ",
			    avail - (first ? 0 : 1), p, indent, "");
			p += avail - (first ? 0 : 1);
			wl -= avail - (first ? 0 : 1);
			col = indent;
			first = true;
		}
		fprintf(f, "%s%.*s", first ? "" : " ", wl, p);
		col += (first ? 0 : 1) + wl;
		first = false;
		p += wl;
	}
	fputc('\n', f);
}

static void
rule(FILE *f, char ch)
{
	int i;

	for (i = 0; i < WIDTH; i++)
		fputc(ch, f);
	fputc('\n', f);
}

static int
print_form(FILE *f, const struct ceremony *c)
{
	char groups[SHA256_HEX_LEN * 5 / 4 + 1];
	char buf[CEREMONY_MAX_SAY + CEREMONY_MAX_VALUE * 4];
	const struct ceremony_step *s;
	size_t i, k;
	unsigned n;
	int r;

	rule(f, '=');
	wrap(f, 0, "AIRCA KEY CEREMONY");
	wrap(f, 0, c->title);
	rule(f, '=');
	fprintf(f, "Script:      %s\n", c->file);
	hex_groups(c->sha256, groups, sizeof(groups));
	fprintf(f, "SHA-256:     %.39s\n             %s\n", groups, groups + 40);
	fprintf(f, "Ceremony id: ____________________________________________\n");
	fprintf(f, "Date (UTC):  ____-__-__   Place: ____________________________\n");
	if (c->nparams > 0) {
		fprintf(f, "\nPARAMETERS\n");
		for (i = 0; i < c->nparams; i++) {
			snprintf(buf, sizeof(buf), "%s: %s", c->params[i].name,
			    c->params[i].desc);
			wrap(f, 2, buf);
			if (c->params[i].value != NULL) {
				snprintf(buf, sizeof(buf), "value: %s",
				    c->params[i].value);
				wrap(f, 4, buf);
			} else
				fprintf(f, "    value: "
				    "____________________________________\n");
		}
	}
	fprintf(f, "\nPARTICIPANTS\n");
	for (i = 0; i < c->nroles; i++)
		for (n = 1; n <= c->roles[i].count; n++)
			fprintf(f, "  %-10.10s %u  name ______________________  "
			    "signature __________________\n",
			    c->roles[i].name, n);
	fprintf(f, "\nSTEPS (the named role confirms each step; write the "
	    "name and the time)\n");
	for (i = 0; i < c->nsteps; i++) {
		s = &c->steps[i];
		fputc('\n', f);
		rule(f, '-');
		fprintf(f, "Step %u  %s  (by %s)\n", s->n,
		    ceremony_kind_name(s->kind), c->roles[s->role].name);
		if (s->nargs > 0) {
			size_t o = 0;

			o = (size_t)snprintf(buf, sizeof(buf), "%s",
			    s->kind == CEREMONY_RUN ? "airca" :
			    s->kind == CEREMONY_INSERT_MEDIA ? "media:" :
			    "files:");
			for (k = 0; k < s->nargs && o < sizeof(buf); k++) {
				char a[CEREMONY_MAX_VALUE * 2];

				if ((r = ceremony_expand(c, s->args[k], a,
				    sizeof(a))) != 0)
					return r;
				o += (size_t)snprintf(buf + o, sizeof(buf) - o,
				    " %s", a);
			}
			if (o >= sizeof(buf))
				return airca_errf(AIRCA_ERR_INPUT, "step %u: "
				    "too long to print", s->n);
			wrap(f, 2, buf);
		}
		if ((r = ceremony_expand(c, s->say, buf, sizeof(buf))) != 0)
			return r;
		wrap(f, 2, buf);
		switch (s->kind) {
		case CEREMONY_CONFIRM_CLOCK:
			fprintf(f, "  clock shown (UTC): ____-__-__ __:__:__   "
			    "reference clock: __:__:__\n");
			break;
		case CEREMONY_CHECK_AIRGAP:
			fprintf(f, "  interfaces shown: "
			    "________________________________________\n");
			break;
		case CEREMONY_SHOW_FINGERPRINT:
			for (k = 0; k < s->nargs; k++)
				fprintf(f, "  SHA-256 #%zu: ____ ____ ____ ____ "
				    "____ ____ ____ ____\n"
				    "              ____ ____ ____ ____ ____ "
				    "____ ____ ____\n", k + 1);
			break;
		case CEREMONY_SEAL:
			fprintf(f, "  seal SHA-256: ____ ____ ____ ____ ____ "
			    "____ ____ ____\n"
			    "                ____ ____ ____ ____ ____ ____ "
			    "____ ____\n");
			break;
		default:
			break;
		}
		fprintf(f, "  [ ] confirmed by ____________________________ "
		    "at __:__ UTC\n");
	}
	fputc('\n', f);
	rule(f, '=');
	fprintf(f, "Ceremony completed and sealed: [ ] yes  [ ] no, aborted "
	    "at step ____\n");
	fprintf(f, "Reason if aborted: "
	    "____________________________________________________________\n");
	fprintf(f, "\nWitness signature: ____________________________   "
	    "at __:__ UTC\n");
	rule(f, '=');
	return 0;
}

static int
cmd_ceremony_params_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	(void)ctx;
	return params_check(a);
}

static int
cmd_ceremony_print_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct ceremony *c = NULL;
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	(void)ca;
	if ((r = ceremony_load(a->pos[0], cmd_find, &c)) != 0 ||
	    (r = params_apply(c, a)) != 0)
		goto out;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	r = print_form(f, c);
	if (fclose(f) != 0 && r == 0)
		r = AIRCA_ERR_NOMEM;
	if (r == 0) {
		out_write(ctx->out, buf, len);
		r = out_flush(ctx->out);
	}
 out:
	free(buf);
	ceremony_free(c);
	return r;
}

static const struct args_opt ceremony_print_opts[] = {
	{ "param", ARGS_STRING, "NAME=VALUE", ARGS_MULTI, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_ceremony_print_entry = {
	.name = "ceremony print",
	.summary = "print a ceremony script as a paper form with sign-off lines",
	.args = { .opts = ceremony_print_opts, .pos_type = ARGS_IN_FILE,
	    .pos_meta = "SCRIPT", .pos_min = 1, .pos_max = 1 },
	.flags = CMD_NO_CEREMONY,
	.check = cmd_ceremony_params_check,
	.exec = cmd_ceremony_print_exec,
};

static int
cmd_ceremony_check_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct ceremony *c = NULL;
	char groups[SHA256_HEX_LEN * 5 / 4 + 1];
	int i, r = 0;

	(void)ca;
	for (i = 0; i < a->npos && r == 0; i++) {
		if ((r = ceremony_load(a->pos[i], cmd_find, &c)) != 0)
			break;
		hex_groups(c->sha256, groups, sizeof(groups));
		out_result(ctx->out, "%s: ok, %zu steps: %s\n  SHA-256 %s",
		    a->pos[i], c->nsteps, c->title, groups);
		ceremony_free(c);
		c = NULL;
	}
	return r;
}

const struct cmd_entry cmd_ceremony_check_entry = {
	.name = "ceremony check",
	.summary = "check ceremony scripts strictly, without running them",
	.args = { .pos_type = ARGS_IN_FILE, .pos_meta = "SCRIPT", .pos_min = 1,
	    .pos_max = ARGS_MAX },
	.flags = CMD_NO_CEREMONY,
	.exec = cmd_ceremony_check_exec,
};

/* ---- ceremony run: the terminal, or a confirm file ---- */

enum conf_kind { CONF_PARTICIPANT, CONF_CONFIRM, CONF_DECLINE };

struct conf_line {
	enum conf_kind kind;
	unsigned line;
	unsigned step;
	char	role[CEREMONY_MAX_NAME + 1];
	char	name[65];
};

struct term {
	const struct ceremony *c;
	struct out *out;		/* where the room's lines go */
	FILE	*tty;			/* interactive */
	const char *what;		/* "file F" / "env VAR" */
	struct conf_line *lines;	/* non-interactive */
	size_t	nlines, next;
};

/* Columns of UTF-8 text: one a character (QR half blocks are 3 bytes, 1 column). */
static size_t
text_cols(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
term_show(void *arg, const char *text)
{
	struct term *t = arg;
	int indent = (int)strspn(text, " ");
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	if (text_cols(text) <= WIDTH)	/* fits: as is (a QR code keeps its rows) */
		out_result(t->out, "%s", text);
	else if ((f = open_memstream(&buf, &len)) != NULL) {
		if (indent > 8)
			indent = 8;
		wrap(f, indent, text + indent);
		if (fclose(f) == 0)
			out_write(t->out, buf, len);
		free(buf);
	}
	out_flush(t->out);
}

/* One line from the terminal, without its newline; EOF is a cancel. */
static int
tty_line(struct term *t, const char *prompt, char *buf, size_t size)
{
	size_t n;

	fprintf(t->tty, "%s", prompt);
	fflush(t->tty);
	if (fgets(buf, (int)size, t->tty) == NULL)
		return airca_errf(AIRCA_ERR_CANCELLED, "no answer (end of "
		    "input)");
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == size - 1) {
		int ch;

		while ((ch = fgetc(t->tty)) != EOF && ch != '\n')
			;
		buf[0] = '\0';	/* too long: will be refused as a name */
		return airca_errf(AIRCA_ERR_INPUT, "answer too long");
	}
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return 0;
}

static int
tty_participant(void *arg, const char *role, unsigned nth, unsigned count,
    char *name, size_t size)
{
	struct term *t = arg;
	char prompt[128];
	int r;

	snprintf(prompt, sizeof(prompt), "Name of %s %u of %u: ", role, nth + 1,
	    count);
	do {
		if ((r = tty_line(t, prompt, name, size)) != 0 &&
		    r != AIRCA_ERR_INPUT)
			return r;
	} while (name[0] == '\0');
	return 0;
}

static int
tty_confirm(void *arg, const struct ceremony_step *s, const char *role,
    char *name, size_t size)
{
	struct term *t = arg;
	char prompt[160];
	int r;

	snprintf(prompt, sizeof(prompt), "Step %u, for the %s: type your "
	    "name to confirm (or 'abort'): ", s->n, role);
	do {
		if ((r = tty_line(t, prompt, name, size)) != 0 &&
		    r != AIRCA_ERR_INPUT)
			return r;
	} while (name[0] == '\0');
	if (strcmp(name, "abort") == 0)
		return airca_errf(AIRCA_ERR_CANCELLED, "step %u aborted at the "
		    "keyboard", s->n);
	return 0;
}

static int
file_participant(void *arg, const char *role, unsigned nth, unsigned count,
    char *name, size_t size)
{
	struct term *t = arg;
	size_t i;
	unsigned k = 0;

	(void)count;
	for (i = 0; i < t->nlines; i++) {
		if (t->lines[i].kind != CONF_PARTICIPANT ||
		    strcmp(t->lines[i].role, role) != 0)
			continue;
		if (k++ == nth) {
			snprintf(name, size, "%s", t->lines[i].name);
			return 0;
		}
	}
	return airca_errf(AIRCA_ERR_CANCELLED, "%s names %u %s(s); the script "
	    "needs %u", t->what, k, role, count);
}

static int
file_confirm(void *arg, const struct ceremony_step *s, const char *role,
    char *name, size_t size)
{
	struct term *t = arg;
	const struct conf_line *l;

	(void)role;
	while (t->next < t->nlines &&
	    t->lines[t->next].kind == CONF_PARTICIPANT)
		t->next++;
	if (t->next == t->nlines)
		return airca_errf(AIRCA_ERR_CANCELLED, "%s has no confirmation "
		    "for step %u", t->what, s->n);
	l = &t->lines[t->next++];
	if (l->step != s->n)
		return airca_errf(AIRCA_ERR_CANCELLED, "%s line %u is for step "
		    "%u, but step %u is next", t->what, l->line, l->step, s->n);
	snprintf(name, size, "%s", l->name);
	if (l->kind == CONF_DECLINE)
		return airca_errf(AIRCA_ERR_CANCELLED, "step %u declined by %s",
		    s->n, l->name);
	return 0;
}

/*
 * The confirm file: "participant ROLE NAME", then "confirm N NAME" or
 * "decline N NAME", one a line ('#' comments); in an environment variable
 * ';' also ends a line.  Roles and counts must match the script.
 */
static int
conf_parse(struct term *t, const char *text, bool semicolons)
{
	const struct ceremony *c = t->c;
	struct conf_line *l;
	char buf[256], *w, *rest, *end;
	const char *p = text, *e;
	unsigned lineno = 0, k;
	size_t len, i, n;

	if ((t->lines = calloc(MAX_CONFIRM, sizeof(*t->lines))) == NULL)
		return AIRCA_ERR_NOMEM;
	while (*p != '\0') {
		lineno++;
		len = strcspn(p, semicolons ? "\n;" : "\n");
		e = p + len;
		if (len >= sizeof(buf))
			return airca_errf(AIRCA_ERR_INPUT, "%s:%u: line too "
			    "long", t->what, lineno);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p = *e != '\0' ? e + 1 : e;
		if (!text_printable(buf, len))
			return airca_errf(AIRCA_ERR_INPUT, "%s:%u: control "
			    "character or invalid UTF-8", t->what, lineno);
		w = buf + strspn(buf, " ");
		if (*w == '\0' || *w == '#')
			continue;
		if (t->nlines == MAX_CONFIRM)
			return airca_errf(AIRCA_ERR_INPUT, "%s: too many lines",
			    t->what);
		l = &t->lines[t->nlines];
		l->line = lineno;
		rest = w + strcspn(w, " ");
		if (*rest != '\0')
			*rest++ = '\0';
		rest += strspn(rest, " ");
		if (strcmp(w, "participant") == 0)
			l->kind = CONF_PARTICIPANT;
		else if (strcmp(w, "confirm") == 0)
			l->kind = CONF_CONFIRM;
		else if (strcmp(w, "decline") == 0)
			l->kind = CONF_DECLINE;
		else
			return airca_errf(AIRCA_ERR_INPUT, "%s:%u: '%.20s': want "
			    "participant, confirm or decline", t->what, lineno,
			    w);
		w = rest;
		rest = w + strcspn(w, " ");
		if (*rest != '\0')
			*rest++ = '\0';
		rest += strspn(rest, " ");
		n = strlen(rest);
		while (n > 0 && rest[n - 1] == ' ')
			rest[--n] = '\0';
		if (*w == '\0' || *rest == '\0' || n >= sizeof(l->name))
			return airca_errf(AIRCA_ERR_INPUT, "%s:%u: want "
			    "'participant ROLE NAME' or 'confirm STEP NAME'",
			    t->what, lineno);
		snprintf(l->name, sizeof(l->name), "%s", rest);
		if (l->kind == CONF_PARTICIPANT) {
			for (i = 0; i < c->nroles; i++)
				if (strcmp(c->roles[i].name, w) == 0)
					break;
			if (i == c->nroles)
				return airca_errf(AIRCA_ERR_INPUT, "%s:%u: the "
				    "script has no role '%.32s'", t->what,
				    lineno, w);
			snprintf(l->role, sizeof(l->role), "%s", w);
		} else {
			errno = 0;
			l->step = (unsigned)strtoul(w, &end, 10);
			if (errno || *end != '\0' || l->step == 0)
				return airca_errf(AIRCA_ERR_INPUT, "%s:%u: step "
				    "'%.20s' is not a number", t->what, lineno,
				    w);
		}
		t->nlines++;
	}
	for (i = 0; i < c->nroles; i++) {
		for (k = 0, n = 0; n < t->nlines; n++)
			if (t->lines[n].kind == CONF_PARTICIPANT &&
			    strcmp(t->lines[n].role, c->roles[i].name) == 0)
				k++;
		if (k != c->roles[i].count)
			return airca_errf(AIRCA_ERR_INPUT, "%s names %u %s(s); "
			    "the script needs %u", t->what, k, c->roles[i].name,
			    c->roles[i].count);
	}
	return 0;
}

/* One source of confirmations, and a variable that is there: before anything is loaded. */
static int
cmd_ceremony_run_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char *cenv = args_get(a, "confirm-env");
	int r;

	(void)ctx;
	if ((r = params_check(a)) != 0)
		return r;
	if (cenv != NULL && args_has(a, "confirm-file"))
		return airca_errf(AIRCA_ERR_USAGE, "--confirm-file and "
		    "--confirm-env exclude each other: give the confirmations "
		    "one way");
	if (cenv != NULL && getenv(cenv) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--confirm-env %s: the "
		    "variable is not set", cenv);
	return 0;
}

static int
cmd_ceremony_run_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct ceremony *c = NULL;
	struct ceremony_ui ui;
	struct term t;
	const char *cfile = args_get(a, "confirm-file");
	const char *cenv = args_get(a, "confirm-env"), *text;
	unsigned char *buf = NULL;
	char what[PATH_MAX + 16], id[96];
	size_t len;
	int r;

	(void)ca;
	memset(&t, 0, sizeof(t));
	if ((r = ceremony_load(a->pos[0], cmd_find, &c)) != 0 ||
	    (r = params_apply(c, a)) != 0 ||
	    (r = ceremony_params_complete(c)) != 0)
		goto out;
	t.c = c;
	t.out = ctx->out;
	memset(&ui, 0, sizeof(ui));
	ui.arg = &t;
	ui.show = term_show;
	ui.find = cmd_find;
	ui.run = cmd_run;
	if (cfile != NULL || cenv != NULL) {
		if (cfile != NULL) {
			snprintf(what, sizeof(what), "file %s", cfile);
			if ((r = media_read(cfile, MEDIA_MAX_CONF, &buf,
			    &len)) != 0)
				goto out;
			if (memchr(buf, '\0', len) != NULL) {
				r = airca_errf(AIRCA_ERR_INPUT, "%s: NUL byte",
				    cfile);
				goto out;
			}
			text = (const char *)buf;
		} else {
			snprintf(what, sizeof(what), "env %s", cenv);
			if ((text = getenv(cenv)) == NULL) {
				r = airca_errf(AIRCA_ERR_USAGE, "--confirm-env "
				    "%s: the variable is not set", cenv);
				goto out;
			}
		}
		t.what = what;
		if ((r = conf_parse(&t, text, cenv != NULL)) != 0)
			goto out;
		ui.interactive = false;
		ui.source = what;
		ui.participant = file_participant;
		ui.confirm = file_confirm;
	} else {
		if ((t.tty = fopen("/dev/tty", "r+e")) == NULL) {
			r = airca_errf(AIRCA_ERR_USAGE, "no terminal (/dev/tty: "
			    "%s): give confirmations with --confirm-file F or "
			    "--confirm-env VAR", strerror(errno));
			goto out;
		}
		ui.interactive = true;
		ui.source = "keyboard";
		ui.participant = tty_participant;
		ui.confirm = tty_confirm;
	}
	r = ceremony_run(c, ctx, &ui, id, sizeof(id));
 out:
	if (t.tty != NULL)
		fclose(t.tty);
	free(t.lines);
	free(buf);
	ceremony_free(c);
	return r;
}

static const struct args_opt ceremony_run_opts[] = {
	{ "param",        ARGS_STRING,  "NAME=VALUE", ARGS_MULTI, 0, 0, NULL },
	{ "confirm-file", ARGS_IN_FILE, "F",          0,          0, 0, NULL },
	{ "confirm-env",  ARGS_NAME,    "VAR",        0,          0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_ceremony_run_entry = {
	.name = "ceremony run",
	.summary = "run a ceremony script, participants confirming each step",
	.args = { .opts = ceremony_run_opts, .pos_type = ARGS_IN_FILE,
	    .pos_meta = "SCRIPT", .pos_min = 1, .pos_max = 1 },
	.flags = CMD_NO_CEREMONY,
	.check = cmd_ceremony_run_check,
	.exec = cmd_ceremony_run_exec,
};
