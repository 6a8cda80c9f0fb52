/* args.c: the one parser of command options, checking them against the command's declaration. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "crl.h"
#include "error.h"
#include "util.h"

/* Profiles a request can be signed under (root and audit are made by init). */
static const char *const signable_profiles[] = {
	"tls", "est-tls", "online-ca", "device-ca", "device", NULL
};

/* The shape of a user-defined profile's name (policy-user.c judges the rest). */
static bool
profile_name_syntax(const char *v)
{
	size_t n = strlen(v), i;

	if (n == 0 || n > 15 || v[0] < 'a' || v[0] > 'z' ||
	    strcmp(v, "root") == 0 || strcmp(v, "audit") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return false;
	return true;
}

const struct args_opt *
args_find_opt(const struct args_spec *spec, const char *name, size_t len)
{
	const struct args_opt *o;

	if (spec->opts == NULL)
		return NULL;
	for (o = spec->opts; o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/* Edit distance of a[0..la) and b, capped at 9 (only small ones matter). */
static size_t
distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), i, j, prev[65], cur[65];

	if (la > 64 || lb > 64)
		return 9;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			if (ins < cur[j])
				cur[j] = ins;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb] > 9 ? 9 : prev[lb];
}

/* The declared option nearest to name (distance 2 or less, or a prefix). */
static const struct args_opt *
suggest(const struct args_spec *spec, const char *name, size_t len)
{
	const struct args_opt *o, *best = NULL;
	size_t d, bestd = 3;

	if (spec->opts == NULL || len == 0)
		return NULL;
	for (o = spec->opts; o->name != NULL; o++) {
		d = distance(name, len, o->name);
		if (d >= 3 && strncmp(o->name, name, len) == 0)
			d = 2;
		if (d < bestd) {
			best = o;
			bestd = d;
		}
	}
	return best;
}

static int
unknown_option(const char *cmdname, const struct args_spec *spec,
    const char *word, size_t len)
{
	const struct args_opt *o;
	char list[512] = "";
	size_t used;

	if ((o = suggest(spec, word + 2, len - 2)) != NULL)
		return airca_errf(AIRCA_ERR_USAGE, "unknown option %.*s for "
		    "'%s'; did you mean --%s?", (int)(len > 80 ? 80 : len),
		    word, cmdname, o->name);
	if (spec->opts == NULL || spec->opts[0].name == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "unknown option %.*s: '%s' "
		    "takes no options", (int)(len > 80 ? 80 : len), word,
		    cmdname);
	for (o = spec->opts; o->name != NULL; o++) {
		used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s--%s",
		    used > 0 ? ", " : "", o->name);
	}
	return airca_errf(AIRCA_ERR_USAGE, "unknown option %.*s for '%s' "
	    "(it takes %s)", (int)(len > 80 ? 80 : len), word, cmdname, list);
}

static bool
hex_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static bool
user_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 60)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static bool
choice_ok(const char *choices, const char *v)
{
	const char *p = choices, *bar;
	size_t len;

	for (;;) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(v) == len && strncmp(p, v, len) == 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

/* "--opt" or "SCRIPT" for messages. */
static void
what_name(const struct args_opt *o, const char *pos_meta, char *out,
    size_t len)
{
	if (o != NULL)
		snprintf(out, len, "--%s", o->name);
	else
		snprintf(out, len, "%s", pos_meta != NULL ? pos_meta : "argument");
}

/* The syntax of one value. */
static int
check_value(enum args_type type, const struct args_opt *o, const char *what,
    const char *v)
{
	const char *const *pp;
	char *end, serial[SERIAL_HEX_MAX];
	long long n;

	switch (type) {
	case ARGS_FLAG:
		return 0;
	case ARGS_STRING:
	case ARGS_IN_FILE:
	case ARGS_IN_DIR:
	case ARGS_OUT_FILE:
	case ARGS_OUT_DIR:
		if (v[0] == '\0' || !text_printable(v, strlen(v)))
			return airca_errf(AIRCA_ERR_USAGE, "%s: give a "
			    "non-empty value without control characters", what);
		return 0;
	case ARGS_SERIAL:
		return crl_serial_parse(v, serial);
	case ARGS_HEX:
		if (!hex_ok(v, 128))
			return airca_errf(AIRCA_ERR_USAGE, "%s '%.80s': give "
			    "hex digits, as airca printed them", what, v);
		return 0;
	case ARGS_NUMBER:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 ||
		    (o != NULL && (n < o->min || n > o->max)))
			return airca_errf(AIRCA_ERR_USAGE, "%s %.40s: out of "
			    "range; give a whole number from %lld to %lld", what,
			    v, o != NULL ? o->min : 0, o != NULL ? o->max : 0);
		return 0;
	case ARGS_LABEL:
		if (!name_safe(v, 32))
			return airca_errf(AIRCA_ERR_USAGE, "%s '%.80s': 1..32 "
			    "printable characters, no '/', not starting with "
			    "'.'", what, v);
		return 0;
	case ARGS_NAME:
		if (!name_safe(v, 64))
			return airca_errf(AIRCA_ERR_USAGE, "%s '%.80s': 1..64 "
			    "printable characters, no '/', not starting with "
			    "'.'", what, v);
		return 0;
	case ARGS_PROFILE:
		for (pp = signable_profiles; *pp != NULL; pp++)
			if (strcmp(*pp, v) == 0)
				return 0;
		/* a user-defined profile: the policy judges it once loaded */
		if (profile_name_syntax(v))
			return 0;
		return airca_errf(AIRCA_ERR_USAGE, "%s %.80s: use tls, "
		    "est-tls, online-ca, device-ca or device, or a profile of "
		    "policy.conf (1..15 lower-case letters, digits and '-')",
		    what, v);
	case ARGS_USER_ID:
		if (!user_id_ok(v))
			return airca_errf(AIRCA_ERR_USAGE, "%s '%.80s': use the "
			    "owner's user id from the factory API (letters, "
			    "digits, '.', '_', '-'; at most 60)", what, v);
		return 0;
	case ARGS_CHOICE:
		if (o == NULL || o->choices == NULL || !choice_ok(o->choices, v))
			return airca_errf(AIRCA_ERR_USAGE, "%s %.80s: give one "
			    "of %s", what, v, o != NULL && o->choices != NULL ?
			    o->choices : "the documented values");
		return 0;
	}
	return airca_errf(AIRCA_ERR_INTERNAL, "%s: unknown argument type", what);
}

/* The directory part of path ("." if none), into dir. */
static int
parent_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, len, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return airca_errf(AIRCA_ERR_USAGE, "%.80s...: path too long", path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

static int
check_parent(const char *what, const char *v)
{
	char dir[PATH_MAX];
	struct stat st;
	int r;

	if ((r = parent_of(v, dir, sizeof(dir))) != 0)
		return r;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return airca_errf(AIRCA_ERR_NOTFOUND, "%s %s: directory %s does "
		    "not exist; create it or choose another path", what, v, dir);
	return 0;
}

/* What the file system says about one value. */
static int
check_file(enum args_type type, const char *what, const char *v)
{
	struct stat st;

	switch (type) {
	case ARGS_IN_FILE:
	case ARGS_IN_DIR:
		if (lstat(v, &st) != 0)
			return airca_errf(AIRCA_ERR_NOTFOUND, "%s %s: %s; check "
			    "the path (is the medium mounted?)", what, v,
			    strerror(errno));
		if (S_ISLNK(st.st_mode))
			return airca_errf(AIRCA_ERR_UNSAFE, "%s %s is a symbolic "
			    "link; airca reads only the real %s", what, v,
			    type == ARGS_IN_FILE ? "file" : "directory");
		if (type == ARGS_IN_FILE && !S_ISREG(st.st_mode))
			return airca_errf(AIRCA_ERR_UNSAFE, "%s %s is not a "
			    "regular file", what, v);
		if (type == ARGS_IN_DIR && !S_ISDIR(st.st_mode))
			return airca_errf(AIRCA_ERR_USAGE, "%s %s is not a "
			    "directory", what, v);
		return 0;
	case ARGS_OUT_FILE:
		if (lstat(v, &st) == 0)
			return airca_errf(AIRCA_ERR_EXISTS, "%s exists; airca "
			    "never overwrites an output: move it away or choose "
			    "another %s", v, what);
		return check_parent(what, v);
	case ARGS_OUT_DIR:
		if (lstat(v, &st) == 0) {
			if (S_ISLNK(st.st_mode))
				return airca_errf(AIRCA_ERR_UNSAFE, "%s %s is a "
				    "symbolic link; give the real directory",
				    what, v);
			if (!S_ISDIR(st.st_mode))
				return airca_errf(AIRCA_ERR_EXISTS, "%s %s exists "
				    "and is not a directory: move it away or "
				    "choose another %s", what, v, what);
			return 0;
		}
		return check_parent(what, v);
	default:
		return 0;
	}
}

static int
check_one(enum args_type type, const struct args_opt *o, const char *pos_meta,
    const char *v, int how)
{
	char what[80];
	int r;

	if ((how & ARGS_SKIP_PARAMS) && strchr(v, '{') != NULL)
		return 0;
	what_name(o, pos_meta, what, sizeof(what));
	if ((how & ARGS_CHECK_VALUES) && (r = check_value(type, o, what, v)) != 0)
		return r;
	if ((how & ARGS_CHECK_FILES) && (r = check_file(type, what, v)) != 0)
		return r;
	return 0;
}

int
args_check_value(const struct args_opt *o, const char *v)
{
	return check_one(o->type, o, NULL, v, ARGS_CHECK_VALUES);
}

static int
add_pos(const char *cmdname, struct cmd_args *a, const char *w)
{
	if (a->npos == ARGS_MAX)
		return airca_errf(AIRCA_ERR_USAGE, "too many arguments for '%s'",
		    cmdname);
	a->pos[a->npos++] = w;
	return 0;
}

int
args_parse(const char *cmdname, const struct args_spec *spec, int argc,
    char *const *argv, int how, struct cmd_args *a)
{
	const struct args_opt *o;
	const char *w, *eq, *v;
	char usage[512], full[640];
	size_t i, k, len;
	int j, r;

	memset(a, 0, sizeof(*a));
	a->spec = spec;
	for (j = 0; j < argc; j++) {
		if (strcmp(argv[j], "--") == 0)
			break;
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			a->help = true;
			return 0;
		}
	}
	for (j = 0; j < argc; j++) {
		w = argv[j];
		if (strcmp(w, "--") == 0) {
			while (++j < argc)
				if ((r = add_pos(cmdname, a, argv[j])) != 0)
					return r;
			break;
		}
		if (w[0] != '-' || w[1] == '\0') {
			if ((r = add_pos(cmdname, a, w)) != 0)
				return r;
			continue;
		}
		if (w[1] != '-')
			return airca_errf(AIRCA_ERR_USAGE, "unknown option %.80s "
			    "for '%s': airca's options are long (--name)", w,
			    cmdname);
		if (strcmp(w, "--json") == 0) {
			a->json = true;
			continue;
		}
		eq = strchr(w + 2, '=');
		len = eq != NULL ? (size_t)(eq - w) : strlen(w);
		if ((o = args_find_opt(spec, w + 2, len - 2)) == NULL)
			return unknown_option(cmdname, spec, w, len);
		if (o->type == ARGS_FLAG) {
			if (eq != NULL)
				return airca_errf(AIRCA_ERR_USAGE, "--%s takes no "
				    "value", o->name);
			v = NULL;
		} else if (eq != NULL)
			v = eq + 1;
		else if (j + 1 < argc)
			v = argv[++j];
		else
			return airca_errf(AIRCA_ERR_USAGE, "--%s needs %s %s "
			    "after it", o->name, o->meta != NULL ? "a" : "a value",
			    o->meta != NULL ? o->meta : "");
		if (!(o->flags & ARGS_MULTI))
			for (k = 0; k < a->n; k++)
				if (a->v[k].opt == o)
					return airca_errf(AIRCA_ERR_USAGE, "--%s "
					    "given twice for '%s'", o->name,
					    cmdname);
		if (a->n == ARGS_MAX)
			return airca_errf(AIRCA_ERR_USAGE, "too many options "
			    "for '%s'", cmdname);
		a->v[a->n].opt = o;
		a->v[a->n].value = v;
		a->n++;
	}
	if (how & ARGS_CHECK_SYNTAX) {
		/* "airca NAME USAGE", without a space before nothing */
		if (args_usage(spec, usage, sizeof(usage)) != 0)
			usage[0] = '\0';
		snprintf(full, sizeof(full), "airca %s%s%s", cmdname,
		    usage[0] != '\0' ? " " : "", usage);
		if (a->npos > spec->pos_max) {
			if (spec->pos_max == 0)
				return airca_errf(AIRCA_ERR_USAGE, "'%s' takes no "
				    "argument '%.80s' (usage: %s)", cmdname,
				    a->pos[0], full);
			return airca_errf(AIRCA_ERR_USAGE, "too many arguments "
			    "for '%s' (usage: %s)", cmdname, full);
		}
		if (a->npos < spec->pos_min)
			return airca_errf(AIRCA_ERR_USAGE, "'%s' needs %s "
			    "(usage: %s)", cmdname, spec->pos_meta, full);
		for (o = spec->opts; o != NULL && o->name != NULL; o++) {
			if (!(o->flags & ARGS_REQUIRED))
				continue;
			for (k = 0; k < a->n && a->v[k].opt != o; k++)
				;
			if (k == a->n)
				return airca_errf(AIRCA_ERR_USAGE, "'%s' needs "
				    "--%s %s (usage: %s)", cmdname, o->name,
				    o->meta != NULL ? o->meta : "", full);
		}
	}
	for (i = 0; i < a->n; i++)
		if (a->v[i].value != NULL && (r = check_one(a->v[i].opt->type,
		    a->v[i].opt, NULL, a->v[i].value, how)) != 0)
			return r;
	for (j = 0; j < a->npos; j++)
		if ((r = check_one(spec->pos_type, NULL, spec->pos_meta,
		    a->pos[j], how)) != 0)
			return r;
	return 0;
}

static const struct args_opt *
must_find(const struct cmd_args *a, const char *name)
{
	const struct args_opt *o;

	if ((o = args_find_opt(a->spec, name, strlen(name))) == NULL) {
		/* a command asked for an option it does not declare: a bug */
		fprintf(stderr, "airca: internal error: option --%s is not "
		    "declared\n", name);
		abort();
	}
	return o;
}

const char *
args_get(const struct cmd_args *a, const char *name)
{
	const struct args_opt *o = must_find(a, name);
	const char *v = NULL;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].opt == o)
			v = a->v[i].value;
	return v;
}

size_t
args_count(const struct cmd_args *a, const char *name)
{
	const struct args_opt *o = must_find(a, name);
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if (a->v[i].opt == o)
			n++;
	return n;
}

bool
args_has(const struct cmd_args *a, const char *name)
{
	return args_count(a, name) > 0;
}

const char *
args_value(const struct cmd_args *a, const char *name, size_t idx)
{
	const struct args_opt *o = must_find(a, name);
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if (a->v[i].opt == o && n++ == idx)
			return a->v[i].value;
	return NULL;
}

long long
args_number(const struct cmd_args *a, const char *name, long long def)
{
	const char *v = args_get(a, name);

	return v != NULL ? strtoll(v, NULL, 10) : def;
}

int
args_usage(const struct args_spec *spec, char *out, size_t len)
{
	const struct args_opt *o;
	size_t used = 0;
	int n;

	out[0] = '\0';
	for (o = spec->opts; o != NULL && o->name != NULL; o++) {
		const char *meta = o->type == ARGS_CHOICE && o->meta == NULL ?
		    o->choices : o->meta;
		bool req = (o->flags & ARGS_REQUIRED) != 0;

		n = snprintf(out + used, len - used, "%s%s--%s%s%s%s%s",
		    used > 0 ? " " : "", req ? "" : "[", o->name,
		    meta != NULL ? " " : "", meta != NULL ? meta : "",
		    (o->flags & ARGS_MULTI) ? "..." : "", req ? "" : "]");
		if (n < 0 || (size_t)n >= len - used)
			return AIRCA_ERR_INTERNAL;
		used += (size_t)n;
	}
	if (spec->pos_max > 0 && spec->pos_meta != NULL) {
		n = snprintf(out + used, len - used, "%s%s%s%s%s",
		    used > 0 ? " " : "", spec->pos_min > 0 ? "" : "[",
		    spec->pos_meta, spec->pos_max > 1 ? "..." : "",
		    spec->pos_min > 0 ? "" : "]");
		if (n < 0 || (size_t)n >= len - used)
			return AIRCA_ERR_INTERNAL;
	}
	return 0;
}
