/* hsm.c: read an HSM profile (hsm-profiles/NAME.conf) into struct hsm_profile. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "datadir.h"
#include "error.h"
#include "hsm.h"
#include "util.h"

#define HSM_PROFILE_MAX		(256 * 1024)
#define HSM_ID_LEN_DEFAULT	16
#define HSM_ID_LEN_MAX		32
#define HSM_LABEL_MAX_DEFAULT	32
#define HSM_LABEL_MAX_MAX	64

/* Keys seen so far, to refuse duplicates. */
enum seen {
	SEEN_NAME = 1 << 0, SEEN_MODULE = 1 << 1, SEEN_LABEL = 1 << 2,
	SEEN_SERIAL = 1 << 3, SEEN_URI = 1 << 4, SEEN_GENERATE = 1 << 5,
	SEEN_ID_LEN = 1 << 6, SEEN_LABEL_MAX = 1 << 7, SEEN_LBS = 1 << 8,
	SEEN_NO_RNG = 1 << 9, SEEN_MAX_SESS = 1 << 10, SEEN_POLICY = 1 << 11,
	SEEN_WWT = 1 << 12, SEEN_BATCH_SESS = 1 << 13,
};

struct parse_state {
	struct hsm_profile *p;
	unsigned seen;
	char	why[512];		/* the first error, without FILE:LINE */
	int	failed;
};

static int bad(struct parse_state *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failed) {
		va_start(ap, fmt);
		vsnprintf(st->why, sizeof(st->why), fmt, ap);
		va_end(ap);
		st->failed = 1;
	}
	return 0;		/* inih records the line number */
}

static int
parse_bool(const char *v, bool *bp)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*bp = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*bp = false;
	else
		return -1;
	return 0;
}

static int
parse_uint(const char *v, unsigned long lo, unsigned long hi, size_t *np)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*np = n;
	return 0;
}

static int
copy_value(struct parse_state *st, const char *name, const char *v,
    char *dst, size_t size)
{
	if (*v == '\0')
		return bad(st, "%s is empty", name);
	if (strlen(v) >= size) {
		return bad(st, "%s is too long (at most %zu bytes)", name,
		    size - 1);
	}
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

static int
parse_generate(struct parse_state *st, const char *v)
{
	char buf[256], *s, *tok, *save = NULL;
	enum key_type t;
	size_t n;

	if (strlen(v) >= sizeof(buf))
		return bad(st, "generate is too long");
	memcpy(buf, v, strlen(v) + 1);
	st->p->key_types = 0;
	for (s = buf; (tok = strtok_r(s, ",", &save)) != NULL; s = NULL) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		n = strlen(tok);
		while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
			tok[--n] = '\0';
		if (key_type_parse(tok, &t) != 0)
			return bad(st, "unknown key type '%s' in generate "
			    "(use ec-p256, ec-p384, rsa-3072, rsa-4096)", tok);
		if (st->p->key_types & (1u << t))
			return bad(st, "key type '%s' listed twice", tok);
		st->p->key_types |= 1u << t;
	}
	if (st->p->key_types == 0)
		return bad(st, "generate lists no key type");
	return 1;
}

/* Mark key k seen; refuse it the second time. */
static int
once(struct parse_state *st, unsigned k, const char *section, const char *name)
{
	if (st->seen & k)
		return bad(st, "duplicate key '%s' in [%s]", name, section);
	st->seen |= k;
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse_state *st = user;
	struct hsm_profile *p = st->p;
	size_t n;

	if (st->failed)
		return 0;
	if (strcmp(section, "hsm") == 0) {
		if (strcmp(name, "name") == 0)
			return once(st, SEEN_NAME, section, name) &&
			    copy_value(st, name, v, p->name, sizeof(p->name));
		if (strcmp(name, "module") == 0) {
			if (!once(st, SEEN_MODULE, section, name))
				return 0;
			if (*v != '/')
				return bad(st, "module must be an absolute path "
				    "(not '%s')", v);
			return copy_value(st, name, v, p->module,
			    sizeof(p->module));
		}
	} else if (strcmp(section, "token") == 0) {
		if (strcmp(name, "label") == 0)
			return once(st, SEEN_LABEL, section, name) &&
			    copy_value(st, name, v, p->token_label,
			    sizeof(p->token_label));
		if (strcmp(name, "serial") == 0)
			return once(st, SEEN_SERIAL, section, name) &&
			    copy_value(st, name, v, p->token_serial,
			    sizeof(p->token_serial));
		if (strcmp(name, "uri") == 0) {
			if (!once(st, SEEN_URI, section, name))
				return 0;
			if (strncmp(v, "pkcs11:", 7) != 0)
				return bad(st, "uri must start with 'pkcs11:' "
				    "(RFC 7512)");
			return copy_value(st, name, v, p->token_uri,
			    sizeof(p->token_uri));
		}
	} else if (strcmp(section, "keys") == 0) {
		if (strcmp(name, "generate") == 0)
			return once(st, SEEN_GENERATE, section, name) &&
			    parse_generate(st, v);
		if (strcmp(name, "id_len") == 0) {
			if (!once(st, SEEN_ID_LEN, section, name))
				return 0;
			if (parse_uint(v, 1, HSM_ID_LEN_MAX, &n) != 0)
				return bad(st, "id_len must be 1..32, not '%s'",
				    v);
			p->id_len = n;
			return 1;
		}
		if (strcmp(name, "label_max") == 0) {
			if (!once(st, SEEN_LABEL_MAX, section, name))
				return 0;
			if (parse_uint(v, 1, HSM_LABEL_MAX_MAX, &n) != 0)
				return bad(st, "label_max must be 1..64, not "
				    "'%s'", v);
			p->label_max = n;
			return 1;
		}
		if (strcmp(name, "wrap_with_trusted") == 0) {
			if (!once(st, SEEN_WWT, section, name))
				return 0;
			if (parse_bool(v, &p->wrap_with_trusted) != 0)
				return bad(st, "%s must be yes or no, not '%s'",
				    name, v);
			return 1;
		}
	} else if (strcmp(section, "quirks") == 0) {
		if (strcmp(name, "login_before_search") == 0) {
			if (!once(st, SEEN_LBS, section, name))
				return 0;
			if (parse_bool(v, &p->login_before_search) != 0)
				return bad(st, "%s must be yes or no, not '%s'",
				    name, v);
			return 1;
		}
		if (strcmp(name, "no_rng") == 0) {
			if (!once(st, SEEN_NO_RNG, section, name))
				return 0;
			if (parse_bool(v, &p->no_rng) != 0)
				return bad(st, "%s must be yes or no, not '%s'",
				    name, v);
			return 1;
		}
		if (strcmp(name, "max_sessions") == 0) {
			if (!once(st, SEEN_MAX_SESS, section, name))
				return 0;
			if (parse_uint(v, 0, 1024, &n) != 0)
				return bad(st, "max_sessions must be 0..1024 "
				    "(0: no limit), not '%s'", v);
			p->max_sessions = (unsigned)n;
			return 1;
		}
		if (strcmp(name, "batch_sessions") == 0) {
			if (!once(st, SEEN_BATCH_SESS, section, name))
				return 0;
			if (strcmp(v, "cpus") == 0)
				p->batch_sessions = HSM_SESSIONS_CPUS;
			else if (parse_uint(v, 1, 64, &n) == 0)
				p->batch_sessions = (unsigned)n;
			else
				return bad(st, "batch_sessions must be 1..64 or "
				    "cpus (half this machine's processors), not "
				    "'%s'", v);
			return 1;
		}
	} else if (strcmp(section, "network") == 0) {
		if (strcmp(name, "policy") == 0) {
			if (!once(st, SEEN_POLICY, section, name))
				return 0;
			if (strcmp(v, "refuse") == 0)
				p->network = NET_REFUSE;
			else if (strcmp(v, "warn") == 0)
				p->network = NET_WARN;
			else if (strcmp(v, "allow") == 0)
				p->network = NET_ALLOW;
			else
				return bad(st, "policy must be refuse, warn or "
				    "allow, not '%s'", v);
			return 1;
		}
	} else
		return bad(st, "unknown section [%s] (known: hsm, token, keys, "
		    "quirks, network)", section);
	return bad(st, "unknown key '%s' in [%s]", name, section);
}

static bool
section_known(const char *name, size_t len)
{
	static const char *const known[] = {
		"hsm", "token", "keys", "quirks", "network"
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == len && memcmp(known[i], name, len) == 0)
			return true;
	return false;
}

/*
 * What inih would take silently or report late: NUL bytes, lines longer
 * than its line buffer (it would split them), indented lines (it would join
 * them to the previous value), unknown sections (inih reports the first key
 * under them, not the header).  Returns the bad line number or 0.
 */
static int
prescan(const char *buf, size_t len, char *why, size_t whysize)
{
	size_t i, k, start = 0, end;
	int line = 1;

	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] == '\0') {
			snprintf(why, whysize, "NUL byte");
			return line;
		}
		if (i < len && buf[i] != '\n')
			continue;
		if (i - start + 3 > (size_t)ini_max_line) {
			snprintf(why, whysize, "line too long");
			return line;
		}
		k = start;
		while (k < i && (buf[k] == ' ' || buf[k] == '\t' ||
		    buf[k] == '\r'))
			k++;
		if (k > start && k < i && buf[k] != '#' && buf[k] != ';') {
			snprintf(why, whysize, "indented line (continuation "
			    "lines are not allowed; remove the leading blanks)");
			return line;
		}
		if (k == start && k < i && buf[k] == '[') {
			for (end = k + 1; end < i && buf[end] != ']'; end++)
				;
			if (end < i && !section_known(buf + k + 1,
			    end - k - 1)) {
				snprintf(why, whysize, "unknown section [%.*s] "
				    "(known: hsm, token, keys, quirks, network)",
				    (int)(end - k - 1 > 40 ? 40 : end - k - 1),
				    buf + k + 1);
				return line;
			}
		}
		start = i + 1;
		line++;
	}
	return 0;
}

/*
 * The line of "generate" in [keys], for the messages that quote it (inih
 * does not pass line numbers to the handler).  0 if there is none.
 */
static int
generate_line(const char *buf)
{
	const char *s = buf, *e, *k;
	int line = 1;
	bool in_keys = false;

	for (; *s != '\0'; s = e + 1, line++) {
		if ((e = strchr(s, '\n')) == NULL)
			e = s + strlen(s);
		if (*s == '[')
			in_keys = strncmp(s, "[keys]", 6) == 0;
		else if (in_keys && strncmp(s, "generate", 8) == 0) {
			for (k = s + 8; k < e && (*k == ' ' || *k == '\t'); k++)
				;
			if (k < e && (*k == '=' || *k == ':'))
				return line;
		}
		if (*e == '\0')
			break;
	}
	return 0;
}

static void
token_selection(const struct hsm_profile *p, char *buf, size_t size)
{
	if (p->token_label[0] != '\0')
		snprintf(buf, size, "token '%s'", p->token_label);
	else if (p->token_serial[0] != '\0')
		snprintf(buf, size, "the token with serial %s", p->token_serial);
	else
		snprintf(buf, size, "token %.200s", p->token_uri);
}

int
hsm_profile_can_generate(const struct hsm_profile *p, enum key_type kt)
{
	char tok[256], list[64] = "";
	size_t n;
	int t;

	if (p->key_types & (1u << kt))
		return 0;
	for (t = 0; t < KEY_NTYPES; t++) {
		if (!(p->key_types & (1u << t)))
			continue;
		n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "",
		    key_type_name((enum key_type)t));
	}
	token_selection(p, tok, sizeof(tok));
	if (p->generate_line == 0)
		return airca_errf(AIRCA_ERR_USAGE, "%s (HSM profile '%s') cannot "
		    "generate %s keys: %s has no [keys] generate line, which "
		    "means %s only; use --key %s, or list what the token "
		    "generates in the profile after a rehearsal", tok, p->name,
		    key_type_name(kt), p->path, list, list);
	return airca_errf(AIRCA_ERR_USAGE, "%s (HSM profile '%s') cannot "
	    "generate %s keys: %s:%d lists only %s; use --key with one of "
	    "those", tok, p->name, key_type_name(kt), p->path,
	    p->generate_line, list);
}

/* Read path (regular file, no symlink, bounded) into a NUL-terminated buffer. */
static int
read_profile(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, r = AIRCA_ERR_INTERNAL;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK))
	    == -1) {
		r = airca_errf(errno == ENOENT ? AIRCA_ERR_NOTFOUND :
		    errno == ELOOP ? AIRCA_ERR_UNSAFE : AIRCA_ERR_IO,
		    "HSM profile %s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (a symlink: name the file itself)" : "");
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "HSM profile %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "HSM profile %s: not a regular "
		    "file", path);
		goto out;
	}
	if (st.st_size > HSM_PROFILE_MAX) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "HSM profile %s: larger than "
		    "%d bytes", path, HSM_PROFILE_MAX);
		goto out;
	}
	if ((buf = malloc(HSM_PROFILE_MAX + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	while (len < HSM_PROFILE_MAX + 1) {
		if ((n = read(fd, buf + len, HSM_PROFILE_MAX + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "HSM profile %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > HSM_PROFILE_MAX) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "HSM profile %s: larger than "
		    "%d bytes", path, HSM_PROFILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	if (fd != -1)
		close(fd);
	return r;
}

/* Find NAME.conf along the search path of hsm.h; path gets the file. */
static int
find_profile(const char *name, char *path, size_t size)
{
	char dirs[1 + DATADIR_MAX][PATH_MAX], tried[1024] = "";
	const char *env;
	size_t i, nd = 0, tl;
	struct stat st;

	if (!name_safe(name, 64))
		return airca_errf(AIRCA_ERR_USAGE, "'%.64s' is not an HSM "
		    "profile name: use a name like softhsm2 or a path", name);
	if ((env = getenv("AIRCA_PROFILES")) != NULL && *env != '\0')
		snprintf(dirs[nd++], PATH_MAX, "%s", env);
	nd += datadir_list("hsm-profiles", dirs + nd, DATADIR_MAX);
	for (i = 0; i < nd; i++) {
		if ((size_t)snprintf(path, size, "%s/%s.conf", dirs[i], name)
		    >= size)
			continue;
		if (stat(path, &st) == 0)
			return 0;
		tl = strlen(tried);
		if (tl + 3 + strlen(dirs[i]) < sizeof(tried))
			snprintf(tried + tl, sizeof(tried) - tl, "%s%.*s",
			    tl ? ", " : "", (int)(sizeof(tried) - tl - 3),
			    dirs[i]);
	}
	return airca_errf(AIRCA_ERR_NOTFOUND, "no HSM profile '%s' (looked in "
	    "%s): give a path or set AIRCA_PROFILES", name, tried);
}

int
hsm_profile_load(const char *name_or_path, struct hsm_profile *p)
{
	struct parse_state st;
	struct hsm_profile prof;
	char path[PATH_MAX], *buf = NULL, *base;
	char why[128];
	size_t len = 0, n;
	int r = AIRCA_ERR_INTERNAL, line, nsel;

	memset(&prof, 0, sizeof(prof));
	memset(&st, 0, sizeof(st));
	if (name_or_path == NULL || *name_or_path == '\0') {
		r = airca_errf(AIRCA_ERR_USAGE, "no HSM profile: use --hsm "
		    "PROFILE or set AIRCA_HSM");
		goto out;
	}
	if (strchr(name_or_path, '/') != NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s", name_or_path)
		    >= sizeof(path)) {
			r = airca_errf(AIRCA_ERR_USAGE, "HSM profile path too "
			    "long");
			goto out;
		}
	} else if ((r = find_profile(name_or_path, path, sizeof(path))) != 0)
		goto out;
	if ((r = read_profile(path, &buf, &len)) != 0)
		goto out;
	if ((line = prescan(buf, len, why, sizeof(why))) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d: %s", path, line, why);
		goto out;
	}

	prof.id_len = HSM_ID_LEN_DEFAULT;
	prof.label_max = HSM_LABEL_MAX_DEFAULT;
	prof.key_types = 1u << KEY_EC_P256;
	prof.network = NET_REFUSE;
	st.p = &prof;
	if ((line = ini_parse_string(buf, handler, &st)) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d: %s", path, line,
		    st.failed ? st.why : "syntax error (expected [section] "
		    "or key = value)");
		goto out;
	}
	if (!(st.seen & SEEN_MODULE)) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: [hsm] module is missing "
		    "(the PKCS#11 module's path)", path);
		goto out;
	}
	nsel = !!(st.seen & SEEN_LABEL) + !!(st.seen & SEEN_SERIAL) +
	    !!(st.seen & SEEN_URI);
	if (nsel != 1) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: [token] needs exactly one "
		    "of label, serial or uri (found %d)", path, nsel);
		goto out;
	}
	if (!(st.seen & SEEN_NAME)) {
		/* the file's base name, without .conf */
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
		    path;
		n = strlen(base);
		if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
			n -= 5;
		if (n >= sizeof(prof.name))
			n = sizeof(prof.name) - 1;
		memcpy(prof.name, base, n);
		prof.name[n] = '\0';
	}
	memcpy(prof.path, path, strlen(path) + 1);
	if (st.seen & SEEN_GENERATE)
		prof.generate_line = generate_line(buf);
	*p = prof;
	r = 0;
 out:
	free(buf);
	return r;
}
