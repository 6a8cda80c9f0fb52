/* ceremony.c: the strict parser of ceremony scripts, their parameters and run-step argv. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ceremony.h"
#include "cmd.h"
#include "error.h"
#include "media.h"
#include "util.h"

static const char *const kind_names[CEREMONY_NKINDS] = {
	[CEREMONY_CONFIRM_CLOCK] = "confirm-clock",
	[CEREMONY_CHECK_AIRGAP] = "check-airgap",
	[CEREMONY_CONFIRM_SCRIPT] = "confirm-script",
	[CEREMONY_INSERT_MEDIA] = "insert-media",
	[CEREMONY_SHOW_FINGERPRINT] = "show-fingerprint",
	[CEREMONY_RUN] = "run",
	[CEREMONY_SEAL] = "seal",
};

static const char *const param_kind_names[] = {
	[PARAM_WORD] = "word",
	[PARAM_PATH] = "path",
	[PARAM_TEXT] = "text",
};

/*
 * Options a script never names: the module, slot, token and PIN come from
 * the HSM profile and the operator, the home from the command line.
 */
static const char *const forbidden_opts[] = {
	"--pin", "--so-pin", "--hsm", "--home", "--module", "--slot",
	"--token", "--actor", "--ceremony", NULL
};

#define MAX_WORDS	(CEREMONY_MAX_ARGS + 8)

struct parser {
	const char *file;
	unsigned line;
	struct ceremony *c;
	ceremony_find_fn find;
	bool	magic, in_steps;
	unsigned title_line, roles_line;
	struct ceremony_step *cur;
	bool	used[CEREMONY_MAX_PARAMS];
};

const char *
ceremony_kind_name(enum ceremony_kind k)
{
	if ((unsigned)k >= CEREMONY_NKINDS)
		return "unknown";
	return kind_names[k];
}

static int
perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation only shortens the message */
	va_end(ap);
	return airca_errf(AIRCA_ERR_INPUT, "%s:%u: %s", p->file, p->line, msg);
}

/* Role and parameter names: a lower-case letter, then [a-z0-9-]. */
static bool
ident_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > CEREMONY_MAX_NAME || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return s[n - 1] != '-';
}

/* Split s (modified in place) at runs of spaces and tabs. */
static int
split_words(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return -1;
		w[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int
param_index(const struct ceremony *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strlen(c->params[i].name) == len &&
		    strncmp(c->params[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int
role_index(const struct ceremony *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Every {name} in s is a declared parameter; braces only in placeholders. */
static int
check_placeholders(struct parser *p, const char *s)
{
	const char *o, *e;
	int i;

	for (o = s; *o != '\0'; o++) {
		if (*o == '}')
			return perr(p, "'}' without '{' (braces only enclose a "
			    "parameter name)");
		if (*o != '{')
			continue;
		if ((e = strchr(o + 1, '}')) == NULL)
			return perr(p, "'{' without '}'");
		if ((i = param_index(p->c, o + 1, (size_t)(e - o - 1))) < 0)
			return perr(p, "{%.*s}: no such parameter (declare it "
			    "with 'param NAME: description' before the first "
			    "step)", (int)(e - o - 1 > 40 ? 40 : e - o - 1),
			    o + 1);
		p->used[i] = true;
		o = e;
	}
	return 0;
}

bool
ceremony_option_forbidden(const char *w)
{
	size_t i, n;

	for (i = 0; forbidden_opts[i] != NULL; i++) {
		n = strlen(forbidden_opts[i]);
		/* "--pin", "--pin-env", "--pin-file", "--home=X" ... */
		if (strncmp(w, forbidden_opts[i], n) == 0 &&
		    (w[n] == '\0' || w[n] == '=' || w[n] == '-'))
			return true;
	}
	return false;
}

static int
parse_magic(struct parser *p, char *line)
{
	char *w[4], *end;
	unsigned long v;
	int n;

	n = split_words(line, w, 3);
	if (n != 2 || strcmp(w[0], CEREMONY_MAGIC) != 0)
		return perr(p, "not a ceremony script: the first line must be "
		    "'%s %d'", CEREMONY_MAGIC, CEREMONY_VERSION);
	v = strtoul(w[1], &end, 10);
	if (*end != '\0' || w[1][0] < '1' || w[1][0] > '9')
		return perr(p, "version '%.20s' is not a number", w[1]);
	if (v != CEREMONY_VERSION)
		return perr(p, "script format version %.20s; this airca reads "
		    "version %d only", w[1], CEREMONY_VERSION);
	p->magic = true;
	return 0;
}

static int
parse_title(struct parser *p, char *val)
{
	val = trim(val);
	if (p->title_line != 0)
		return perr(p, "second 'title:' (the first is on line %u)",
		    p->title_line);
	if (*val == '\0')
		return perr(p, "'title:' is empty");
	if (strlen(val) > CEREMONY_MAX_TITLE)
		return perr(p, "title longer than %d bytes", CEREMONY_MAX_TITLE);
	if (strpbrk(val, "{}") != NULL)
		return perr(p, "braces in the title (parameters are not "
		    "expanded there)");
	if ((p->c->title = xstrdup(val)) == NULL)
		return AIRCA_ERR_NOMEM;
	p->title_line = p->line;
	return 0;
}

/* roles: officer 2, witness 1 */
static int
parse_roles(struct parser *p, char *val)
{
	struct ceremony *c = p->c;
	char *item, *next, *w[3], *end;
	unsigned long n;
	int k;

	if (p->roles_line != 0)
		return perr(p, "second 'roles:' (the first is on line %u)",
		    p->roles_line);
	p->roles_line = p->line;
	if (*trim(val) == '\0')
		return perr(p, "'roles:' is empty (want e.g. 'roles: officer 2, "
		    "witness 1')");
	for (item = val; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		k = split_words(item, w, 2);
		if (k != 2)
			return perr(p, "each role is 'NAME COUNT' separated by "
			    "commas, e.g. 'roles: officer 2, witness 1'");
		if (!ident_ok(w[0]))
			return perr(p, "role name '%.40s': a lower-case letter "
			    "then letters, digits or '-', at most %d", w[0],
			    CEREMONY_MAX_NAME);
		n = strtoul(w[1], &end, 10);
		if (*end != '\0' || w[1][0] < '1' || w[1][0] > '9' ||
		    n > CEREMONY_MAX_ROLE_COUNT)
			return perr(p, "role %s: count '%.20s' is not 1..%d",
			    w[0], w[1], CEREMONY_MAX_ROLE_COUNT);
		if (role_index(c, w[0]) >= 0)
			return perr(p, "role '%s' named twice", w[0]);
		if (c->nroles == CEREMONY_MAX_ROLES)
			return perr(p, "more than %d roles", CEREMONY_MAX_ROLES);
		snprintf(c->roles[c->nroles].name, sizeof(c->roles[0].name),
		    "%s", w[0]);
		c->roles[c->nroles++].count = (unsigned)n;
	}
	return 0;
}

/* param NAME [word|path|text]: description */
static int
parse_param(struct parser *p, char *rest)
{
	struct ceremony *c = p->c;
	struct ceremony_param *pa;
	char *colon, *desc, *w[4];
	int n, kind = PARAM_WORD;

	if ((colon = strchr(rest, ':')) == NULL)
		return perr(p, "want 'param NAME: description' (or 'param NAME "
		    "path: ...', 'param NAME text: ...')");
	*colon = '\0';
	desc = trim(colon + 1);
	n = split_words(rest, w, 3);
	if (n < 1 || n > 2)
		return perr(p, "want 'param NAME [word|path|text]: description'");
	if (!ident_ok(w[0]))
		return perr(p, "parameter name '%.40s': a lower-case letter then "
		    "letters, digits or '-', at most %d", w[0],
		    CEREMONY_MAX_NAME);
	if (n == 2) {
		for (kind = 0; kind <= PARAM_TEXT; kind++)
			if (strcmp(w[1], param_kind_names[kind]) == 0)
				break;
		if (kind > PARAM_TEXT)
			return perr(p, "parameter %s: unknown kind '%.20s' (want "
			    "word, path or text)", w[0], w[1]);
	}
	if (*desc == '\0')
		return perr(p, "parameter %s: say what it is after the ':'",
		    w[0]);
	if (strpbrk(desc, "{}") != NULL)
		return perr(p, "braces in a parameter's description");
	if (param_index(c, w[0], strlen(w[0])) >= 0)
		return perr(p, "parameter '%s' declared twice", w[0]);
	if (c->nparams == CEREMONY_MAX_PARAMS)
		return perr(p, "more than %d parameters", CEREMONY_MAX_PARAMS);
	pa = &c->params[c->nparams];
	snprintf(pa->name, sizeof(pa->name), "%s", w[0]);
	pa->kind = (enum ceremony_param_kind)kind;
	pa->line = p->line;
	if ((pa->desc = xstrdup(desc)) == NULL)
		return AIRCA_ERR_NOMEM;
	c->nparams++;
	return 0;
}

/* The previous step is complete. */
static int
end_step(struct parser *p)
{
	unsigned line = p->line;
	int r = 0;

	if (p->cur != NULL && p->cur->say == NULL) {
		p->line = p->cur->line;
		r = perr(p, "step %u has no 'say:' line (the text read aloud)",
		    p->cur->n);
		p->line = line;
	}
	p->cur = NULL;
	return r;
}

static int
check_run(struct parser *p, struct ceremony_step *s)
{
	const struct cmd_entry *e;
	struct cmd_args a;
	size_t i;
	int nw = 0;

	for (i = 0; i < s->nargs && s->args[i][0] != '-'; i++)
		if (strchr(s->args[i], '{') != NULL)
			return perr(p, "the command's name cannot be a "
			    "parameter");
	if ((e = p->find((int)s->nargs, s->args, &nw)) == NULL || nw == 0)
		return perr(p, "'%.80s%s%.40s' is not an airca command (see "
		    "'airca help'; names match exactly)", s->args[0],
		    s->nargs > 1 && s->args[1][0] != '-' ? " " : "",
		    s->nargs > 1 && s->args[1][0] != '-' ? s->args[1] : "");
	if (strcmp(e->name, "journal seal") == 0)
		return perr(p, "use a 'seal' step, not 'run journal seal'");
	if ((e->flags & CMD_NO_CEREMONY) ||
	    strncmp(e->name, "ceremony", 8) == 0 ||
	    strcmp(e->name, "tui") == 0 || strcmp(e->name, "demo") == 0)
		return perr(p, "'run %s' is not allowed in a ceremony", e->name);
	if ((size_t)nw < s->nargs && strncmp(s->args[nw], "--", 2) != 0)
		return perr(p, "after 'run %s' comes '%.40s', which is not an "
		    "option (is the command's name misspelt?)", e->name,
		    s->args[nw]);
	for (i = (size_t)nw; i < s->nargs; i++)
		if (ceremony_option_forbidden(s->args[i]))
			return perr(p, "'%.40s': a script names no module, "
			    "slot, token, PIN or home (those come from the HSM "
			    "profile and the operator)", s->args[i]);
	/* the options as the command declares them, {param}s unchecked */
	if (args_parse(e->name, &e->args, (int)s->nargs - nw, s->args + nw,
	    ARGS_CHECK_SYNTAX | ARGS_CHECK_VALUES | ARGS_SKIP_PARAMS, &a) != 0)
		return perr(p, "%s", airca_errmsg());
	if (a.help)
		return perr(p, "'run %s --help' is not a ceremony step", e->name);
	s->cmd = e;
	s->nwords = nw;
	return 0;
}

static int
parse_step(struct parser *p, char *line)
{
	struct ceremony *c = p->c;
	struct ceremony_step *s, *ns;
	char *w[MAX_WORDS + 1], *end;
	unsigned long num;
	size_t i;
	int n, k, role;
	unsigned kind;

	n = split_words(line, w, MAX_WORDS);
	if (n < 0)
		return perr(p, "more than %d words in a step line",
		    CEREMONY_MAX_ARGS);
	if (n < 3)
		return perr(p, "want 'step N KIND [ARGUMENTS] by ROLE'");
	num = strtoul(w[1], &end, 10);
	if (*end != '\0' || w[1][0] < '1' || w[1][0] > '9' || num > 1000)
		return perr(p, "step number '%.20s' is not a number from 1",
		    w[1]);
	if (num != c->nsteps + 1)
		return perr(p, "step %lu where step %zu belongs (steps are "
		    "numbered 1, 2, 3 ... in order, each once)", num,
		    c->nsteps + 1);
	if (c->nsteps == CEREMONY_MAX_STEPS)
		return perr(p, "more than %d steps", CEREMONY_MAX_STEPS);
	for (kind = 0; kind < CEREMONY_NKINDS; kind++)
		if (strcmp(w[2], kind_names[kind]) == 0)
			break;
	if (kind == CEREMONY_NKINDS)
		return perr(p, "unknown step kind '%.40s' (want confirm-clock, "
		    "check-airgap, confirm-script, insert-media, "
		    "show-fingerprint, run or seal)", w[2]);
	if (n < 5 || strcmp(w[n - 2], "by") != 0)
		return perr(p, "step %lu: the line must end with 'by ROLE'", num);
	if ((role = role_index(c, w[n - 1])) < 0)
		return perr(p, "step %lu: role '%.40s' is not in 'roles:'", num,
		    w[n - 1]);
	for (k = 3; k < n - 2; k++)
		if (strcmp(w[k], "by") == 0)
			return perr(p, "step %lu: 'by' twice (one role "
			    "confirms a step)", num);
	k = n - 5;	/* arguments */
	switch (kind) {
	case CEREMONY_CONFIRM_CLOCK:
	case CEREMONY_CHECK_AIRGAP:
	case CEREMONY_CONFIRM_SCRIPT:
	case CEREMONY_SEAL:
		if (k != 0)
			return perr(p, "step %lu: %s takes no arguments "
			    "('%.40s' is extra)", num, kind_names[kind], w[3]);
		break;
	case CEREMONY_INSERT_MEDIA:
		if (k != 1)
			return perr(p, "step %lu: insert-media takes one path "
			    "(the directory or file the media brings)", num);
		break;
	case CEREMONY_SHOW_FINGERPRINT:
		if (k < 1 || k > 8)
			return perr(p, "step %lu: show-fingerprint takes 1 to 8 "
			    "paths", num);
		break;
	case CEREMONY_RUN:
		if (k < 1)
			return perr(p, "step %lu: run needs a command", num);
		break;
	}
	if ((ns = reallocarray(c->steps, c->nsteps + 1, sizeof(*ns))) == NULL)
		return AIRCA_ERR_NOMEM;
	c->steps = ns;
	s = &c->steps[c->nsteps++];
	memset(s, 0, sizeof(*s));
	s->n = (unsigned)num;
	s->line = p->line;
	s->kind = (enum ceremony_kind)kind;
	s->role = (size_t)role;
	p->cur = s;
	if (n - 5 > 0) {
		if ((s->args = calloc((size_t)(n - 5) + 1,
		    sizeof(*s->args))) == NULL)
			return AIRCA_ERR_NOMEM;
		for (i = 0; i < (size_t)(n - 5); i++) {
			int r;

			if ((r = check_placeholders(p, w[3 + i])) != 0)
				return r;
			if ((s->args[i] = xstrdup(w[3 + i])) == NULL)
				return AIRCA_ERR_NOMEM;
			s->nargs++;
		}
	}
	if (kind == CEREMONY_RUN)
		return check_run(p, s);
	return 0;
}

/* "  say: text" inside a step. */
static int
parse_body(struct parser *p, char *line)
{
	struct ceremony_step *s = p->cur;
	char *colon, *key, *val, *ns;
	size_t have, add;
	int r;

	if (s == NULL)
		return perr(p, "indented line outside a step (only 'say:' lines "
		    "under a 'step' line are indented)");
	key = trim(line);
	if ((colon = strchr(key, ':')) == NULL)
		return perr(p, "want 'say: TEXT' under step %u", s->n);
	*colon = '\0';
	val = trim(colon + 1);
	if (strcmp(key, "say") != 0)
		return perr(p, "unknown step key '%.40s' (want 'say:')", key);
	if (*val == '\0')
		return perr(p, "'say:' is empty");
	if ((r = check_placeholders(p, val)) != 0)
		return r;
	have = s->say != NULL ? strlen(s->say) : 0;
	add = strlen(val);
	if (have + 1 + add > CEREMONY_MAX_SAY)
		return perr(p, "step %u says more than %d bytes", s->n,
		    CEREMONY_MAX_SAY);
	if ((ns = realloc(s->say, have + add + 2)) == NULL)
		return AIRCA_ERR_NOMEM;
	if (have > 0)
		ns[have++] = ' ';
	memcpy(ns + have, val, add + 1);
	s->say = ns;
	return 0;
}

/* A top-level line: header key or step. */
static int
parse_top(struct parser *p, char *line)
{
	char *sp, *colon;
	size_t klen;
	int r;

	sp = line + strcspn(line, " \t");
	klen = (size_t)(sp - line);
	if (klen == 4 && strncmp(line, "step", 4) == 0) {
		if ((r = end_step(p)) != 0)
			return r;
		if (p->title_line == 0 || p->roles_line == 0)
			return perr(p, "'title:' and 'roles:' come before the "
			    "first step");
		p->in_steps = true;
		return parse_step(p, line);
	}
	if (p->in_steps)
		return perr(p, "'%.*s' after the first step: the header "
		    "(title:, roles:, param) comes first, and step text is "
		    "indented", (int)(klen > 40 ? 40 : klen), line);
	if (klen == 5 && strncmp(line, "param", 5) == 0)
		return parse_param(p, sp);
	if ((colon = strchr(line, ':')) != NULL && colon < sp + 1) {
		*colon = '\0';
		if (strcmp(line, "title") == 0)
			return parse_title(p, colon + 1);
		if (strcmp(line, "roles") == 0)
			return parse_roles(p, colon + 1);
	} else
		line[klen] = '\0';
	return perr(p, "unknown key '%.40s' (want title:, roles:, param or "
	    "step)", line);
}

/* A line's bytes: bounded, printable UTF-8, tabs only as indentation. */
static int
check_line(struct parser *p, const char *s, size_t len)
{
	size_t i = 0;

	if (len > CEREMONY_MAX_LINE)
		return perr(p, "line longer than %d bytes", CEREMONY_MAX_LINE);
	if (len > 0 && s[len - 1] == '\r')
		return perr(p, "carriage return: save the script with Unix "
		    "line endings");
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (memchr(s + i, '\t', len - i) != NULL)
		return perr(p, "tab inside a line: use spaces");
	if (!text_printable(s + i, len - i))
		return perr(p, "control character or invalid UTF-8");
	return 0;
}

static int
parse_line(struct parser *p, char *line)
{
	size_t i = 0;

	if (!p->magic)
		return parse_magic(p, line);
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (line[i] == '\0' || line[i] == '#')
		return 0;
	if (i > 0)
		return parse_body(p, line);
	return parse_top(p, line);
}

/* Whole-script rules, checked at the end. */
static int
parse_finish(struct parser *p)
{
	struct ceremony *c = p->c;
	size_t i, nseal = 0;
	int r;

	if (!p->magic) {
		p->line = 1;
		return perr(p, "empty file: not a ceremony script (the first "
		    "line must be '%s %d')", CEREMONY_MAGIC, CEREMONY_VERSION);
	}
	if ((r = end_step(p)) != 0)
		return r;
	if (p->title_line == 0)
		return perr(p, "no 'title:'");
	if (p->roles_line == 0)
		return perr(p, "no 'roles:'");
	if (c->nsteps == 0)
		return perr(p, "no steps");
	for (i = 0; i < c->nsteps; i++)
		if (c->steps[i].kind == CEREMONY_SEAL)
			nseal++;
	if (nseal != 1 || c->steps[c->nsteps - 1].kind != CEREMONY_SEAL) {
		p->line = c->steps[c->nsteps - 1].line;
		return perr(p, "a ceremony ends with exactly one 'seal' step, "
		    "its last");
	}
	for (i = 0; i < c->nparams; i++)
		if (!p->used[i]) {
			p->line = c->params[i].line;
			return perr(p, "parameter '%s' is never used",
			    c->params[i].name);
		}
	return 0;
}

int
ceremony_parse(const char *file, const unsigned char *buf, size_t len,
    ceremony_find_fn find, struct ceremony **cp)
{
	struct parser p;
	struct ceremony *c = NULL;
	char line[CEREMONY_MAX_LINE + 2];
	const unsigned char *s, *nl, *end = buf + len;
	size_t ll;
	int r;

	memset(&p, 0, sizeof(p));
	p.file = file;
	p.find = find;
	if (len > MEDIA_MAX_CONF) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s: larger than %d bytes: not "
		    "a ceremony script", file, MEDIA_MAX_CONF);
		goto out;
	}
	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		nl = memchr(buf, '\0', len);
		for (s = buf, p.line = 1; s < nl; s++)
			if (*s == '\n')
				p.line++;
		r = perr(&p, "NUL byte: not a text file");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->file = xstrdup(file)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	p.c = c;
	sha256_hex(buf, len, c->sha256);
	for (s = buf; s < end; s = nl + 1) {
		p.line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		ll = (size_t)(nl - s);
		if ((r = check_line(&p, (const char *)s, ll)) != 0)
			goto out;
		memcpy(line, s, ll);
		line[ll] = '\0';
		if ((r = parse_line(&p, line)) != 0)
			goto out;
	}
	if ((r = parse_finish(&p)) != 0)
		goto out;
	*cp = c;
	c = NULL;
	r = 0;
 out:
	ceremony_free(c);
	return r;
}

void
ceremony_free(struct ceremony *c)
{
	size_t i, k;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsteps; i++) {
		for (k = 0; k < c->steps[i].nargs; k++)
			free(c->steps[i].args[k]);
		free(c->steps[i].args);
		free(c->steps[i].say);
	}
	free(c->steps);
	for (i = 0; i < c->nparams; i++) {
		free(c->params[i].desc);
		free(c->params[i].value);
	}
	free(c->title);
	free(c->file);
	free(c);
}

/* Does value fit the parameter's kind? Returns NULL or why not. */
static const char *
param_value_bad(enum ceremony_param_kind kind, const char *v)
{
	size_t i, n = strlen(v);
	const char *comp;

	if (n == 0)
		return "empty";
	if (n > CEREMONY_MAX_VALUE)
		return "too long";
	if (v[0] == '-')
		return "starts with '-' (it would read as an option)";
	if (strpbrk(v, "{}") != NULL)
		return "contains a brace";
	if (!text_printable(v, n))
		return "control character or invalid UTF-8";
	switch (kind) {
	case PARAM_WORD:
		for (i = 0; i < n; i++) {
			char ch = v[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' &&
			    ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    strchr("._-:@+", ch) != NULL))
				return "not a word (letters, digits and "
				    ". _ - : @ + only)";
		}
		break;
	case PARAM_PATH:
		if (strchr(v, ' ') != NULL)
			return "a path with a space (declare the parameter "
			    "'text' if it must have one)";
		for (comp = v; comp != NULL; comp = strchr(comp, '/')) {
			if (*comp == '/')
				comp++;
			if (strncmp(comp, "..", 2) == 0 &&
			    (comp[2] == '/' || comp[2] == '\0'))
				return "a path with a '..' component";
		}
		break;
	case PARAM_TEXT:
		break;
	}
	return NULL;
}

int
ceremony_set_param(struct ceremony *c, const char *assignment)
{
	const char *eq, *why;
	struct ceremony_param *pa;
	int i;

	if ((eq = strchr(assignment, '=')) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--param '%.60s': want "
		    "NAME=VALUE", assignment);
	if ((i = param_index(c, assignment, (size_t)(eq - assignment))) < 0)
		return airca_errf(AIRCA_ERR_USAGE, "--param '%.*s': %s declares "
		    "no such parameter", (int)(eq - assignment > 40 ? 40 :
		    eq - assignment), assignment, c->file);
	pa = &c->params[i];
	if (pa->value != NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--param %s given twice",
		    pa->name);
	if ((why = param_value_bad(pa->kind, eq + 1)) != NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--param %s (%s): value %s",
		    pa->name, param_kind_names[pa->kind], why);
	if ((pa->value = xstrdup(eq + 1)) == NULL)
		return AIRCA_ERR_NOMEM;
	return 0;
}

int
ceremony_params_complete(const struct ceremony *c)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (c->params[i].value == NULL)
			return airca_errf(AIRCA_ERR_USAGE, "%s needs --param "
			    "%s=VALUE (%s)", c->file, c->params[i].name,
			    c->params[i].desc);
	return 0;
}

int
ceremony_expand(const struct ceremony *c, const char *s, char *out,
    size_t size)
{
	const char *e, *v;
	size_t o = 0, n;
	int i;

	while (*s != '\0') {
		v = s;
		n = 1;
		if (*s == '{' && (e = strchr(s, '}')) != NULL &&
		    (i = param_index(c, s + 1, (size_t)(e - s - 1))) >= 0) {
			n = (size_t)(e - s + 1);
			if (c->params[i].value != NULL)
				v = c->params[i].value;
			if (v != s) {
				if (o + strlen(v) >= size)
					goto toolong;
				memcpy(out + o, v, strlen(v));
				o += strlen(v);
				s += n;
				continue;
			}
		}
		if (o + n >= size)
			goto toolong;
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
	return 0;
 toolong:
	out[0] = '\0';
	return airca_errf(AIRCA_ERR_INPUT, "%s: text too long once its "
	    "parameters are filled in", c->file);
}

void
ceremony_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
ceremony_step_argv(const struct ceremony *c, const struct ceremony_step *s,
    char ***argvp, int *argcp)
{
	char **argv = NULL, buf[CEREMONY_MAX_VALUE * 2];
	size_t i;
	int r;

	if ((argv = calloc(s->nargs + 1, sizeof(*argv))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < s->nargs; i++) {
		if ((r = ceremony_expand(c, s->args[i], buf, sizeof(buf))) != 0)
			goto out;
		if (strchr(buf, '{') != NULL) {
			r = airca_errf(AIRCA_ERR_USAGE, "step %u: %s has no "
			    "value (--param)", s->n, s->args[i]);
			goto out;
		}
		/* a value may complete an option's name: check again */
		if (i >= (size_t)s->nwords && ceremony_option_forbidden(buf)) {
			r = airca_errf(AIRCA_ERR_INPUT, "step %u: '%.40s': a "
			    "script names no module, slot, token, PIN or home",
			    s->n, buf);
			goto out;
		}
		if ((argv[i] = xstrdup(buf)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
	}
	*argvp = argv;
	*argcp = (int)s->nargs;
	argv = NULL;
	r = 0;
 out:
	ceremony_argv_free(argv);
	return r;
}
