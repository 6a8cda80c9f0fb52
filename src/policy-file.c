/*
 * policy-file.c: reading the policy file (INI through inih, in two passes:
 * the factory name and the user profiles' kinds, then every setting), the
 * [policy] section and the terms of an attribute rule; and writing the
 * effective policy back as the text policy_load() reads.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "error.h"
#include "media.h"
#include "policy.h"
#include "policy-int.h"
#include "util.h"

#define POLICY_MAX_FILE		(256 * 1024)	/* as media.h's MEDIA_MAX_CONF */
#define POLICY_MAX_LINE		1024		/* bytes on one line, newline included */

static const char *const policy_keys[] = {
	"version", "factory", "ca_key", "allow_renewal", "crl_next_update_minutes",
};
#define NPOLICY_KEYS	(sizeof(policy_keys) / sizeof(policy_keys[0]))

/* Decimal in min..max, digits only. */
bool
policy_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
policy_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0)
		*out = false;
	else
		return false;
	return true;
}

static int
policy_key(struct load_ctx *c, const char *name, const char *value)
{
	struct policy *pol = c->pol;
	unsigned long v;
	size_t i;

	for (i = 0; i < NPOLICY_KEYS; i++)
		if (strcmp(name, policy_keys[i]) == 0)
			break;
	if (i == NPOLICY_KEYS)
		return fail(c, "unknown key '%.64s' in [policy]", name);
	if (c->seen_policy & (1U << i))
		return fail(c, "%s given twice in [policy]", name);
	c->seen_policy |= 1U << i;

	if (strcmp(name, "version") == 0) {
		if (strcmp(value, "1") != 0)
			return fail(c, "version = %.32s: this airca reads "
			    "version 1 only", value);
		c->have_version = true;
	} else if (strcmp(name, "factory") == 0) {
		/* applied in pass 1; checked there too */
	} else if (strcmp(name, "ca_key") == 0) {
		if (key_type_parse(value, &pol->ca_key) != 0)
			return fail(c, "ca_key = %.32s: use ec-p256, ec-p384, "
			    "rsa-3072 or rsa-4096", value);
	} else if (strcmp(name, "allow_renewal") == 0) {
		if (!policy_parse_bool(value, &pol->allow_renewal))
			return fail(c, "allow_renewal = %.32s: use yes or no",
			    value);
	} else if (strcmp(name, "crl_next_update_minutes") == 0) {
		if (!policy_parse_uint(value, 1, 10080, &v))
			return fail(c, "crl_next_update_minutes = %.32s: "
			    "1..10080 (a week)", value);
		pol->crl_next_update_minutes = (unsigned)v;
	}
	return 1;
}

bool
policy_column_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > MAP_COLUMN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

/* One term other than pattern=; err gets the reason. */
static bool
parse_term(const char *term, struct rule_terms *t, char *err, size_t errlen)
{
	unsigned long n;

	if (strncmp(term, "fixed=", 6) == 0) {
		if (t->fixed) {
			snprintf(err, errlen, "fixed given twice");
			return false;
		}
		if (term[6] == '\0' || strlen(term + 6) >= sizeof(t->value)) {
			snprintf(err, errlen, "fixed= needs a value of 1..%d "
			    "bytes", RULE_VALUE_MAX - 1);
			return false;
		}
		memcpy(t->value, term + 6, strlen(term + 6) + 1);
		t->fixed = true;
	} else if (strncmp(term, "default=", 8) == 0) {
		if (t->has_default) {
			snprintf(err, errlen, "default given twice");
			return false;
		}
		if (term[8] == '\0' || strlen(term + 8) >= sizeof(t->defv)) {
			snprintf(err, errlen, "default= needs a value of 1..%zu "
			    "bytes", sizeof(t->defv) - 1);
			return false;
		}
		memcpy(t->defv, term + 8, strlen(term + 8) + 1);
		t->has_default = true;
	} else if (strncmp(term, "map=", 4) == 0) {
		if (t->map) {
			snprintf(err, errlen, "map given twice");
			return false;
		}
		if (!policy_column_ok(term + 4)) {
			snprintf(err, errlen, "%.64s: map= names a manifest "
			    "column: 1..%d letters, digits, '_', '.' or '-'",
			    term, MAP_COLUMN_MAX);
			return false;
		}
		memcpy(t->mapv, term + 4, strlen(term + 4) + 1);
		t->map = true;
	} else if (strncmp(term, "max=", 4) == 0) {
		if (t->has_max) {
			snprintf(err, errlen, "max given twice");
			return false;
		}
		if (!policy_parse_uint(term + 4, 1, RULE_VALUE_MAX - 1, &n)) {
			snprintf(err, errlen, "%.64s: max is a number 1..%d",
			    term, RULE_VALUE_MAX - 1);
			return false;
		}
		t->max = n;
		t->has_max = true;
	} else if (strcmp(term, "match") == 0) {
		if (t->match) {
			snprintf(err, errlen, "match given twice");
			return false;
		}
		t->match = true;
	} else if (strcmp(term, "supplied") == 0 ||
	    strcmp(term, "optional") == 0) {
		if (t->supplied || t->optional) {
			snprintf(err, errlen, "presence given twice");
			return false;
		}
		if (term[0] == 's')
			t->supplied = true;
		else
			t->optional = true;
	} else {
		snprintf(err, errlen, "unknown term '%.64s' (use fixed=V, "
		    "match, supplied, optional, max=N, pattern=REGEX; in a "
		    "user-defined profile also default=V, map=COLUMN)", term);
		return false;
	}
	return true;
}

/*
 * Terms separated by commas, each at most once.  A pattern ends at the
 * first comma after which the rest of the line reads as terms; otherwise
 * it takes the rest of the line, commas included.  So a pattern with
 * commas is written last (policy_format() always does).
 */
static bool
parse_list(const char *s, struct rule_terms *t, bool allow_pattern, char *err,
    size_t errlen)
{
	struct rule_terms tmp;
	char term[RULE_VALUE_MAX + 16], junk[ERRLEN];
	const char *end, *rest, *comma;
	size_t len;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (allow_pattern && strncmp(s, "pattern=", 8) == 0) {
			if (t->pattern) {
				snprintf(err, errlen, "pattern given twice");
				return false;
			}
			rest = s + 8;
			end = rest + strlen(rest);
			for (comma = strchr(rest, ','); comma != NULL;
			    comma = strchr(comma + 1, ',')) {
				tmp = *t;
				if (parse_list(comma + 1, &tmp, false, junk,
				    sizeof(junk))) {
					*t = tmp;
					end = comma;
					break;
				}
			}
			len = (size_t)(end - rest);
			while (len > 0 && (rest[len - 1] == ' ' ||
			    rest[len - 1] == '\t'))
				len--;
			if (len >= sizeof(t->source)) {
				snprintf(err, errlen, "pattern longer than %d "
				    "bytes", RULE_VALUE_MAX - 1);
				return false;
			}
			memcpy(t->source, rest, len);
			t->source[len] = '\0';
			t->pattern = true;
			return true;
		}
		if ((end = strchr(s, ',')) == NULL)
			end = s + strlen(s);
		len = (size_t)(end - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, *end == '\0' && *s == '\0' &&
			    t->has_any ? "trailing comma" : "empty term");
			return false;
		}
		if (len >= sizeof(term)) {
			snprintf(err, errlen, "term longer than %d bytes",
			    RULE_VALUE_MAX);
			return false;
		}
		memcpy(term, s, len);
		term[len] = '\0';
		if (!parse_term(term, t, err, errlen))
			return false;
		t->has_any = true;
		if (*end == '\0')
			return true;
		s = end + 1;
	}
}

int
policy_parse_terms(struct load_ctx *c, const char *key, const char *v,
    struct rule_terms *t)
{
	char err[ERRLEN];

	memset(t, 0, sizeof(*t));
	if (!parse_list(v, t, true, err, sizeof(err)))
		return fail(c, "%s: %s", key, err);
	if (t->fixed && t->match)
		return fail(c, "%s: fixed and match exclude each other", key);
	if (t->fixed && t->pattern)
		return fail(c, "%s: fixed and pattern exclude each other", key);
	return 1;
}

static int
section_profile(const char *section)
{
	size_t i;

	if (strncmp(section, "profile ", 8) != 0)
		return -1;
	for (i = 0; i < PROFILE_COUNT; i++)
		if (strcmp(section + 8, policy_profile_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
handler_pass1(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *c = user;
	struct user_pre *up;
	int u, k;

	if ((u = policy_user_index(c, section)) >= 0) {
		up = &c->users[u];
		if (strcmp(name, "kind") == 0) {
			if ((k = policy_kind_parse(value)) < 0)
				return fail(c, "kind = %.32s: use server, client, "
				    "server-client, intermediate-ca or "
				    "device-identity", value);
			if (up->kind >= 0)
				return fail(c, "kind given twice in [profile "
				    "%s]", up->name);
			up->kind = k;
		} else if (strcmp(name, "issuer") == 0) {
			if (strcmp(value, "root") == 0 ||
			    strcmp(value, "airca-root") == 0)
				value = "root";
			else if (!name_safe(value, 32) ||
			    strcmp(value, "airca-audit") == 0)
				return fail(c, "issuer = %.64s: root, or the "
				    "label of a CA on the token (1..32 "
				    "printable characters, no '/')", value);
			snprintf(up->issuer, sizeof(up->issuer), "%s", value);
		}
		return 1;
	}
	if (strcmp(section, "policy") == 0 && strcmp(name, "factory") == 0 &&
	    !c->have_factory) {
		if (!policy_factory_ok(value))
			return fail(c, "factory = %.64s: 1..64 printable bytes, "
			    "no '/', ',' or leading '.'", value);
		snprintf(c->factory, sizeof(c->factory), "%s", value);
		c->have_factory = true;
	}
	return 1;
}

static int
handler_pass2(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *c = user;
	int id;

	if (strcmp(section, "policy") == 0)
		return policy_key(c, name, value);
	if ((id = section_profile(section)) >= 0)
		return policy_profile_key(c, (enum profile_id)id, name, value);
	if ((id = policy_user_index(c, section)) >= 0)
		return policy_user_key(c, (size_t)id, name, value);
	if (section[0] == '\0')
		return fail(c, "'%.64s' outside a section", name);
	return fail(c, "unknown section [%.64s]", section);
}

/*
 * Before inih sees the text: refuse what it would silently accept or cut,
 * namely over-long lines (it truncates them) and unknown section names of
 * sections without keys (it never reports them).
 */
static int
prescan(struct load_ctx *c, const char *path, const char *text)
{
	struct user_pre *up;
	size_t i;
	const char *line = text, *nl, *p, *close;
	size_t lineno = 1, len;
	char name[80];

	for (; *line != '\0'; line = nl + 1, lineno++) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		len = (size_t)(nl - line);
		if (len + 1 > POLICY_MAX_LINE - 3)
			return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: line longer "
			    "than %d bytes", path, lineno, POLICY_MAX_LINE - 4);
		for (p = line; p < nl && (*p == ' ' || *p == '\t'); p++)
			;
		if (p < nl && *p == '[') {
			close = memchr(p, ']', (size_t)(nl - p));
			if (close == NULL || (size_t)(close - p - 1) >=
			    sizeof(name))
				return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: bad "
				    "section header", path, lineno);
			memcpy(name, p + 1, (size_t)(close - p - 1));
			name[close - p - 1] = '\0';
			if (strcmp(name, "policy") == 0 ||
			    section_profile(name) >= 0)
				goto next;
			if (strncmp(name, "profile ", 8) != 0 ||
			    !policy_user_name_ok(name + 8))
				return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: "
				    "unknown section [%s] (use [policy] or "
				    "[profile NAME] with NAME a built-in profile "
				    "(root, tls, est-tls, online-ca, device-ca, "
				    "device, audit) or a new one of 1..%d "
				    "lower-case letters, digits and '-', "
				    "starting with a letter)", path, lineno,
				    name, PROFILE_NAME_MAX);
			for (i = 0; i < c->nusers; i++)
				if (strcmp(c->users[i].name, name + 8) == 0)
					return airca_errf(AIRCA_ERR_INPUT,
					    "%s:%zu: [%s] given twice (first "
					    "at line %zu)", path, lineno, name,
					    c->users[i].line);
			if (c->nusers == POLICY_MAX_USER)
				return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: more "
				    "than %d user-defined profiles", path,
				    lineno, POLICY_MAX_USER);
			up = &c->users[c->nusers++];
			memcpy(up->name, name + 8, strlen(name + 8) + 1);
			up->line = lineno;
			up->kind = -1;
			snprintf(up->issuer, sizeof(up->issuer), "root");
		}
 next:
		if (*nl == '\0')
			break;
	}
	return 0;
}

/*
 * Run inih with the settings this file format needs: comments only on
 * their own lines (a ';' inside a pattern is data), no continuation lines,
 * our line limit, stop at the first error so that its line is the one
 * reported.  Debian's libinih makes these run-time globals; they are
 * restored afterwards for the other readers of INI (hsm profiles).
 */
static int
ini_run(const char *text, ini_handler h, void *user)
{
	bool inline_comments = ini_allow_inline_comments;
	bool multiline = ini_allow_multiline;
	bool stop = ini_stop_on_first_error;
	bool no_value = ini_allow_no_value;
	int max_line = ini_max_line, r;

	ini_allow_inline_comments = false;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	ini_allow_no_value = false;
	ini_max_line = POLICY_MAX_LINE;
	r = ini_parse_string(text, h, user);
	ini_allow_inline_comments = inline_comments;
	ini_allow_multiline = multiline;
	ini_stop_on_first_error = stop;
	ini_allow_no_value = no_value;
	ini_max_line = max_line;
	return r;
}

/* The policy file through media: bounded, no symlink, regular file, no NUL. */
static int
read_file(const char *path, char **textp)
{
	unsigned char *buf = NULL;
	size_t len;
	int r;

	if ((r = media_read(path, POLICY_MAX_FILE, &buf, &len)) != 0)
		return r;
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return airca_errf(AIRCA_ERR_INPUT, "%s: contains a NUL byte",
		    path);
	}
	*textp = (char *)buf;
	return 0;
}

int
policy_load(const char *path, struct policy *pol)
{
	struct load_ctx *c = NULL;
	char *text = NULL;
	int r = AIRCA_ERR_INTERNAL, line;
	bool pol_set = false;

	memset(pol, 0, sizeof(*pol));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	c->path = path;
	c->pol = pol;
	if ((r = read_file(path, &text)) != 0 ||
	    (r = prescan(c, path, text)) != 0)
		goto out;

	/* pass 1: the factory name, which the defaults depend on */
	if ((line = ini_run(text, handler_pass1, c)) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d: %s", path, line,
		    c->err[0] != '\0' ? c->err :
		    "expected 'key = value', '[section]' or a comment");
		goto out;
	}
	if (!c->have_factory) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: [policy] factory is "
		    "missing", path);
		goto out;
	}
	if ((r = policy_default(c->factory, &c->def)) != 0 ||
	    (r = policy_default(c->factory, pol)) != 0)
		goto out;
	pol_set = true;
	policy_user_setup(c);

	/* pass 2: every setting, each judged against the defaults */
	if ((line = ini_run(text, handler_pass2, c)) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d: %s", path, line,
		    c->err[0] != '\0' ? c->err : "syntax error");
		goto out;
	}
	if (!c->have_version) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: [policy] version is "
		    "missing (version = 1)", path);
		goto out;
	}
	if ((r = policy_user_finish(c)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0 && pol_set) {
		policy_free(pol);
		memset(pol, 0, sizeof(*pol));
	}
	if (c != NULL) {
		policy_free(&c->def);
		free(c);
	}
	free(text);
	return r;
}

/* ---- writing the effective policy ---- */

struct sbuf {
	char	*s;
	size_t	len, cap;
	bool	failed;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *n;
	int w;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		w = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)w < b->cap - b->len) {
			b->len += (size_t)w;
			return;
		}
		if ((n = realloc(b->s, b->cap * 2 + (size_t)w)) == NULL) {
			b->failed = true;
			return;
		}
		b->s = n;
		b->cap = b->cap * 2 + (size_t)w;
	}
}

static void
format_user(struct sbuf *b, const struct profile *p)
{
	const struct subject_rule *r;
	const struct attr *a;
	const struct kind_def *k = policy_kind(p->kind);
	size_t i;

	sb_printf(b, "\n[profile %s]\nkind = %s\nissuer = %s\n", p->name,
	    k != NULL ? k->name : "?", p->issuer_label);
	if (p->unlimited)
		sb_printf(b, "days = unlimited\n");
	else
		sb_printf(b, "days = %u\n", p->days);
	sb_printf(b, "min_rsa_bits = %u\nallow_rsa = %s\nallow_p384 = %s\n",
	    p->min_rsa_bits, p->allow_rsa ? "yes" : "no",
	    p->allow_p384 ? "yes" : "no");
	for (i = 0; i < 3; i++)
		if (p->san_rule[i] != RULE_DROP)
			sb_printf(b, "%s = %s\n", policy_san_type_names[i],
			    p->san_rule[i] == RULE_SUPPLIED ? "required" :
			    "optional");
	if (p->keygen)
		sb_printf(b, "keygen = allowed\n");
	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		if ((a = policy_attr_by_nid(r->nid)) == NULL)
			continue;
		sb_printf(b, "%s = ", a->key);
		if (r->fixed)
			sb_printf(b, "fixed=%s, ", r->value);
		else if (r->match)
			sb_printf(b, "match, ");
		sb_printf(b, "%s", r->presence == RULE_SUPPLIED ? "supplied" :
		    "optional");
		if (r->has_default)
			sb_printf(b, ", default=%s", r->def);
		if (r->map[0] != '\0')
			sb_printf(b, ", map=%s", r->map);
		sb_printf(b, ", max=%zu", r->max);
		if (r->has_pattern)
			sb_printf(b, ", pattern=%s", r->value);
		sb_printf(b, "\n");
	}
}

int
policy_format(const struct policy *pol, char **textp)
{
	struct sbuf b = { NULL, 0, 0, false };
	const struct profile *p;
	const struct subject_rule *r;
	const struct attr *a;
	size_t i, k;
	const char *sep;

	if ((b.s = malloc(4096)) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
	b.cap = 4096;
	b.s[0] = '\0';
	sb_printf(&b, "# airca policy: the effective profiles. Each setting "
	    "may only tighten the\n# defaults of DESIGN.md; see "
	    "docs/profiles.md.\n\n[policy]\nversion = %d\nfactory = %s\n"
	    "ca_key = %s\nallow_renewal = %s\ncrl_next_update_minutes = %u\n",
	    pol->version, pol->factory, key_type_name(pol->ca_key),
	    pol->allow_renewal ? "yes" : "no", pol->crl_next_update_minutes);
	for (i = 0; i < PROFILE_COUNT; i++) {
		p = &pol->profiles[i];
		sb_printf(&b, "\n[profile %s]\ndays = %u\nmin_rsa_bits = %u\n"
		    "allow_rsa = %s\nallow_p384 = %s\n", p->name, p->days,
		    p->min_rsa_bits, p->allow_rsa ? "yes" : "no",
		    p->allow_p384 ? "yes" : "no");
		for (k = 0; k < p->nrules; k++) {
			r = &p->rules[k];
			if (r->presence == RULE_DROP ||
			    (a = policy_attr_by_nid(r->nid)) == NULL)
				continue;
			sb_printf(&b, "%s = ", a->key);
			sep = "";
			if (r->fixed) {
				sb_printf(&b, "fixed=%s", r->value);
				sep = ", ";
			} else if (r->match) {
				sb_printf(&b, "match");
				sep = ", ";
			}
			sb_printf(&b, "%s%s, max=%zu", sep,
			    r->presence == RULE_SUPPLIED ? "supplied" :
			    "optional", r->max);
			if (r->has_pattern)
				sb_printf(&b, ", pattern=%s", r->value);
			sb_printf(&b, "\n");
		}
	}
	for (i = 0; i < pol->nuser; i++)
		format_user(&b, &pol->user[i]);
	if (b.failed) {
		free(b.s);
		return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
	}
	*textp = b.s;
	return 0;
}
