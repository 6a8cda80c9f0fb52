/*
 * ceremony-report.c: a finished ceremony's transcript, collected from a
 * journal that has verified (chain and signatures) and rendered as lines
 * of text for paper: participants, checks, steps with who confirmed them,
 * what each command made, failures, and the seal as hex and QR code.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ceremony-report.h"
#include "error.h"
#include "journal.h"
#include "qr.h"
#include "util.h"

#define REPORT_MAX_STEPS	256	/* steps kept; a script has at most 64 */
#define ID_MAX			128
#define LINE_MAX_BYTES		1024

struct ceremony_report {
	char	id[ID_MAX];
	bool	want;			/* id given: collect only it */
	unsigned long nentries, first_seq, last_seq;
	unsigned long last_content;	/* last entry that is not a signature */
	unsigned long signed_by;	/* the signature covering last_content */
	unsigned long nsigs;		/* checkpoints inside the ceremony */
	char	first_time[24], last_time[24];
	json_t	*open;			/* journal-open data (root init) */
	json_t	*host;			/* data of the first "command" entry */
	json_t	*opened;		/* {seq, time, actor, data} */
	json_t	*steps;			/* [{seq, time, data, outputs, counts}] */
	unsigned long steps_dropped;
	json_t	*pending;		/* {outputs, counts}: waiting for a step */
	json_t	*seal_step;		/* borrowed from steps: takes what follows */
	json_t	*aborted;		/* {seq, time, data} */
	json_t	*seal;			/* {seq, time, actor, data} */
	bool	seal_hash_pending;	/* the next line's prev is the seal's hash */
	char	seal_hex[SHA256_HEX_LEN + 1];
};

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static json_t *
outputs_new(void)
{
	return json_pack("{s:[],s:{}}", "outputs", "counts");
}

static void
report_clear(struct ceremony_report *r)
{
	json_decref(r->open);
	json_decref(r->host);
	json_decref(r->opened);
	json_decref(r->steps);
	json_decref(r->pending);
	json_decref(r->aborted);
	json_decref(r->seal);
	memset((char *)r + offsetof(struct ceremony_report, nentries), 0,
	    sizeof(*r) - offsetof(struct ceremony_report, nentries));
}

void
ceremony_report_free(struct ceremony_report *r)
{
	if (r == NULL)
		return;
	report_clear(r);
	free(r);
}

static int
report_reset(struct ceremony_report *r, const char *id)
{
	report_clear(r);
	snprintf(r->id, sizeof(r->id), "%s", id);
	if ((r->steps = json_array()) == NULL ||
	    (r->pending = outputs_new()) == NULL)
		return AIRCA_ERR_NOMEM;
	return 0;
}

/* {seq, time, actor, data} of an entry; data shared, not copied. */
static json_t *
entry_brief(unsigned long seq, json_t *e)
{
	return json_pack("{s:I,s:s?,s:s?,s:O}", "seq", (json_int_t)seq,
	    "time", jstr(e, "time"), "actor", jstr(e, "actor"), "data",
	    json_object_get(e, "data"));
}

/* Add an entry to a step's (or the pending) outputs, counted by event. */
static int
output_add(json_t *to, const char *event, unsigned long seq, json_t *e)
{
	json_t *counts = json_object_get(to, "counts");
	json_int_t n = json_integer_value(json_object_get(counts, event)) + 1;

	if (json_object_set_new(counts, event, json_integer(n)) != 0)
		return AIRCA_ERR_NOMEM;
	if (n > CEREMONY_REPORT_OUTPUTS)
		return 0;
	if (json_array_append_new(json_object_get(to, "outputs"),
	    json_pack("{s:s,s:o}", "event", event, "entry",
	    entry_brief(seq, e))) != 0)
		return AIRCA_ERR_NOMEM;
	return 0;
}

/* Move the pending outputs to step. */
static int
pending_to(struct ceremony_report *r, json_t *step)
{
	json_t *p;

	if (json_object_set(step, "outputs", json_object_get(r->pending,
	    "outputs")) != 0 || json_object_set(step, "counts",
	    json_object_get(r->pending, "counts")) != 0 ||
	    (p = outputs_new()) == NULL)
		return AIRCA_ERR_NOMEM;
	json_decref(r->pending);
	r->pending = p;
	return 0;
}

static int
collect_step(struct ceremony_report *r, unsigned long seq, json_t *e)
{
	json_t *data = json_object_get(e, "data"), *step;
	const char *kind = jstr(data, "kind");
	int rc;

	if (json_array_size(r->steps) >= REPORT_MAX_STEPS) {
		r->steps_dropped++;
		return 0;
	}
	if ((step = entry_brief(seq, e)) == NULL)
		return AIRCA_ERR_NOMEM;
	/*
	 * A command journals before the runner journals its step; the steps
	 * before 'run init' were journaled after it (deferred), so init's
	 * entries wait for init's own step.
	 */
	if (json_object_get(data, "deferred-from") == NULL)
		rc = pending_to(r, step);
	else
		rc = json_object_set_new(step, "outputs", json_array()) ||
		    json_object_set_new(step, "counts", json_object()) ?
		    AIRCA_ERR_NOMEM : 0;
	if (rc == 0 && json_array_append(r->steps, step) != 0)
		rc = AIRCA_ERR_NOMEM;
	/* the seal step is journaled first: the seal command's entries follow */
	if (rc == 0 && kind != NULL && strcmp(kind, "seal") == 0)
		r->seal_step = step;
	json_decref(step);
	return rc;
}

static int
collect(void *arg, unsigned long seq, const char *event, json_t *e)
{
	struct ceremony_report *r = arg;
	const char *cer = jstr(e, "ceremony"), *t;
	json_t *data = json_object_get(e, "data");
	int rc;

	if (r->seal_hash_pending) {
		snprintf(r->seal_hex, sizeof(r->seal_hex), "%s",
		    jstr(e, "prev") != NULL ? jstr(e, "prev") : "");
		r->seal_hash_pending = false;
	}
	if (journal_event_signed(event) && r->last_content != 0 &&
	    r->signed_by == 0 &&
	    (unsigned long long)jint(data, "to") >= r->last_content)
		r->signed_by = seq;
	if (cer == NULL)
		return 0;
	if (strcmp(cer, r->id) != 0) {
		/* without --ceremony: the last id the runner made */
		if (r->want || strncmp(cer, "ceremony-", 9) != 0)
			return 0;
		if ((rc = report_reset(r, cer)) != 0)
			return rc;
	}
	t = jstr(e, "time");
	if (r->nentries++ == 0) {
		r->first_seq = seq;
		snprintf(r->first_time, sizeof(r->first_time), "%s",
		    t != NULL ? t : "?");
	}
	r->last_seq = seq;
	snprintf(r->last_time, sizeof(r->last_time), "%s", t != NULL ? t : "?");
	if (!journal_event_signed(event)) {
		r->last_content = seq;
		r->signed_by = 0;
	}

	if (strcmp(event, "checkpoint") == 0) {
		r->nsigs++;
		return 0;
	}
	if (strcmp(event, "journal-open") == 0) {
		json_decref(r->open);
		r->open = json_incref(data);
		return 0;
	}
	if (strcmp(event, "command") == 0) {
		if (r->host == NULL && json_object_get(data, "host") != NULL)
			r->host = json_incref(data);
		return 0;
	}
	if (strcmp(event, "ceremony-opened") == 0) {
		json_decref(r->opened);
		return (r->opened = entry_brief(seq, e)) == NULL ?
		    AIRCA_ERR_NOMEM : 0;
	}
	if (strcmp(event, "ceremony-step") == 0)
		return collect_step(r, seq, e);
	if (strcmp(event, "ceremony-aborted") == 0) {
		json_decref(r->aborted);
		return (r->aborted = entry_brief(seq, e)) == NULL ?
		    AIRCA_ERR_NOMEM : 0;
	}
	if (strcmp(event, "seal") == 0) {
		json_decref(r->seal);
		r->seal_hash_pending = true;
		return (r->seal = entry_brief(seq, e)) == NULL ?
		    AIRCA_ERR_NOMEM : 0;
	}
	return output_add(r->seal_step != NULL ? r->seal_step : r->pending,
	    event, seq, e);
}

/* The journal, read only: a regular file, no symbolic link. */
static int
open_journal(const char *path, int *fdp)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return airca_errf(errno == ENOENT ? AIRCA_ERR_NOTFOUND :
		    AIRCA_ERR_IO, "%s: %s", path, errno == ENOENT ? "no such "
		    "journal" : errno == ELOOP ? "a symbolic link (refused)" :
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return airca_errf(AIRCA_ERR_UNSAFE, "%s: not a regular file",
		    path);
	}
	*fdp = fd;
	return 0;
}

int
ceremony_report_load(const char *path, X509 *root, X509 *audit,
    const char *id, struct ceremony_report **rp, struct journal_report *jrep)
{
	struct ceremony_report *r;
	int fd = -1, rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return AIRCA_ERR_NOMEM;
	if (id != NULL && (strlen(id) >= sizeof(r->id) ||
	    !name_safe(id, sizeof(r->id) - 1))) {
		rc = airca_errf(AIRCA_ERR_USAGE, "--ceremony: not a ceremony id");
		goto out;
	}
	if ((rc = report_reset(r, id != NULL ? id : "")) != 0)
		goto out;
	r->want = id != NULL;
	if ((rc = open_journal(path, &fd)) != 0)
		goto out;
	if ((rc = journal_verify_fd(fd, path, root, audit, NULL, collect, r,
	    jrep)) != 0)
		goto out;
	if (r->nentries == 0) {
		rc = id != NULL ? airca_errf(AIRCA_ERR_NOTFOUND, "%s has no "
		    "entry of ceremony %s", path, id) :
		    airca_errf(AIRCA_ERR_NOTFOUND, "%s holds no ceremony: no "
		    "entry was journaled by 'airca ceremony run'", path);
		goto out;
	}
	if (r->seal_hash_pending) {	/* the seal is the journal's last line */
		memcpy(r->seal_hex, jrep->head, sizeof(r->seal_hex));
		r->seal_hash_pending = false;
	}
	*rp = r;
	r = NULL;
 out:
	if (fd != -1)
		close(fd);
	ceremony_report_free(r);
	return rc;
}

const char *
ceremony_report_id(const struct ceremony_report *r)
{
	return r->id;
}

const char *
ceremony_report_seal(const struct ceremony_report *r)
{
	return r->seal != NULL && r->seal_hex[0] != '\0' ? r->seal_hex : NULL;
}

json_t *
ceremony_report_json(const struct ceremony_report *r,
    const struct journal_report *jrep)
{
	const char *seal = ceremony_report_seal(r);

	return json_pack("{s:s,s:b,s:s?,s:{s:I,s:I},s:I,s:O?,s:O,s:O?,"
	    "s:{s:I,s:I,s:I,s:s,s:s}}", "ceremony", r->id, "sealed",
	    seal != NULL, "seal", seal, "entries", "first",
	    (json_int_t)r->first_seq, "last", (json_int_t)r->last_seq,
	    "signed-by", (json_int_t)r->signed_by, "opened", r->opened,
	    "steps", r->steps, "aborted", r->aborted, "journal", "entries",
	    (json_int_t)jrep->entries, "checkpoints",
	    (json_int_t)jrep->checkpoints, "seals", (json_int_t)jrep->seals,
	    "audit-cert", jrep->audit_fp, "head", jrep->head);
}

/* ---- rendering ---- */

struct out {
	ceremony_line_fn fn;
	void	*arg;
};

/*
 * Journal text for the page: as is when it is printable UTF-8, otherwise
 * every byte that is not printable ASCII becomes '?'.  Cut at size bytes
 * (on a character boundary).
 */
static const char *
safe(const char *s, char *buf, size_t size)
{
	size_t i, n;

	if (s == NULL)
		s = "?";
	n = strlen(s);
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;	/* do not split a character */
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!text_printable(buf, n))
		for (i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 ||
			    (unsigned char)buf[i] >= 0x7f)
				buf[i] = '?';
	return buf;
}

/* Columns of UTF-8 text: one a character. */
static size_t
cols(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Byte length of the first ncols characters of s. */
static size_t
bytes_for(const char *s, size_t ncols)
{
	size_t i = 0, n = 0;

	while (s[i] != '\0' && n < ncols) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	return i;
}

/*
 * Emit text wrapped at the width: the first line after indent columns,
 * the rest after indent + hang.  Words longer than a line are cut.
 */
static void
wrap(struct out *o, int indent, int hang, const char *text)
{
	char line[LINE_MAX_BYTES];
	const char *p = text;
	size_t used, wl, wc, room, take, gap = 0;
	int ind = indent;

	while (*p == ' ')
		p++;
	do {
		used = (size_t)snprintf(line, sizeof(line), "%*s", ind, "");
		room = CEREMONY_REPORT_WIDTH - (size_t)ind;
		while (*p != '\0') {
			wl = strcspn(p, " ");
			wc = cols(p, wl);
			if (used > (size_t)ind) {
				/* keep the spaces between words, for columns */
				if (wc + gap > room || used + gap >= sizeof(line))
					break;
				memset(line + used, ' ', gap);
				used += gap;
				room -= gap;
			}
			if (wc > room) {	/* a long word: cut it */
				take = bytes_for(p, room);
				wc = room;
			} else
				take = wl;
			if (used + take >= sizeof(line))
				take = sizeof(line) - used - 1;
			memcpy(line + used, p, take);
			used += take;
			room -= wc;
			p += take;
			if (take < wl)
				break;
			gap = strspn(p, " ");
			p += gap;
		}
		line[used] = '\0';
		o->fn(o->arg, line);
		ind = indent + hang;
	} while (*p != '\0');
}

static void
emit(struct out *o, int indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
emit(struct out *o, int indent, const char *fmt, ...)
{
	char buf[LINE_MAX_BYTES * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);	/* display only: may shorten */
	va_end(ap);
	wrap(o, indent, 2, buf);
}

static void
rule(struct out *o, char ch)
{
	char line[CEREMONY_REPORT_WIDTH + 1];

	memset(line, ch, CEREMONY_REPORT_WIDTH);
	line[CEREMONY_REPORT_WIDTH] = '\0';
	o->fn(o->arg, line);
}

/* v is a string of exactly 64 hex digits. */
static bool
is_sha256_hex(json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL && strlen(s) == SHA256_HEX_LEN &&
	    strspn(s, "0123456789abcdefABCDEF") == SHA256_HEX_LEN;
}

/* A SHA-256 in groups of four, two lines of eight groups. */
static void
sha_lines(struct out *o, int indent, const char *hex)
{
	char groups[SHA256_HEX_LEN * 5 / 4 + 1], b[SHA256_HEX_LEN + 1];

	/* grouping splits bytes: only for what is really 64 hex digits */
	if (hex == NULL || strlen(hex) != SHA256_HEX_LEN ||
	    strspn(hex, "0123456789abcdefABCDEF") != SHA256_HEX_LEN) {
		emit(o, indent, "%s", safe(hex, b, sizeof(b)));
		return;
	}
	hex_groups(safe(hex, b, sizeof(b)), groups, sizeof(groups));
	emit(o, indent, "%.39s", groups);
	emit(o, indent, "%s", groups + 40);
}

static void
blank(struct out *o)
{
	o->fn(o->arg, "");
}

/* One entry a command made during a step. */
static void
render_output(struct out *o, const char *event, json_t *ent)
{
	json_t *d = json_object_get(ent, "data"), *files, *v;
	char a[256], b[256], c[256], d4[256];
	const char *k;

	if (strcmp(event, "key-generated") == 0) {
		emit(o, 4, "key generated on the token: %s (%s), public key "
		    "SHA-256:", safe(jstr(d, "label"), a, sizeof(a)),
		    safe(jstr(d, "type"), b, sizeof(b)));
		sha_lines(o, 6, jstr(d, "spki"));
	} else if (strcmp(event, "cert-issued") == 0 ||
	    strcmp(event, "cert-renewed") == 0) {
		emit(o, 4, "certificate %s (%s) serial %s",
		    strcmp(event, "cert-issued") == 0 ? "issued" : "renewed",
		    safe(jstr(d, "profile"), a, sizeof(a)),
		    safe(jstr(d, "serial"), c, sizeof(c)));
		emit(o, 6, "subject %s", safe(jstr(d, "subject"), b,
		    sizeof(b)));
		emit(o, 6, "SHA-256:");
		sha_lines(o, 8, jstr(d, "fingerprint"));
	} else if (strcmp(event, "csr-rejected") == 0 ||
	    strcmp(event, "renew-rejected") == 0) {
		emit(o, 4, "REJECTED %s: %s", safe(jstr(d, "file") != NULL ?
		    jstr(d, "file") : jstr(d, "serial"), a, sizeof(a)),
		    safe(jstr(d, "reason"), b, sizeof(b)));
		if (jstr(d, "sha256") != NULL && *jstr(d, "sha256") != '\0')
			sha_lines(o, 6, jstr(d, "sha256"));
	} else if (strcmp(event, "files-written") == 0) {
		emit(o, 4, "files written to %s:", safe(jstr(d, "dir"), a,
		    sizeof(a)));
		files = json_object_get(d, "files");
		json_object_foreach(files, k, v) {
			emit(o, 6, "%s", safe(k, a, sizeof(a)));
			sha_lines(o, 8, json_string_value(v));
		}
	} else if (strcmp(event, "crl-issued") == 0) {
		emit(o, 4, "CRL number %lld of %s (%s), %lld entries, SHA-256:",
		    jint(d, "number"), safe(jstr(d, "label"), a, sizeof(a)),
		    safe(jstr(d, "purpose"), b, sizeof(b)), jint(d, "entries"));
		sha_lines(o, 6, jstr(d, "sha256"));
	} else if (strcmp(event, "policy-written") == 0) {
		emit(o, 4, "policy written: %s, SHA-256:", safe(jstr(d, "file"),
		    a, sizeof(a)));
		sha_lines(o, 6, jstr(d, "sha256"));
	} else if (strcmp(event, "policy-changed") == 0) {
		emit(o, 4, "POLICY CHANGED since it was last recorded: %s, "
		    "SHA-256:", safe(jstr(d, "file"), a, sizeof(a)));
		sha_lines(o, 6, jstr(d, "sha256"));
	} else if (strcmp(event, "airgap-warning") == 0) {
		emit(o, 4, "WARNING network interfaces up: %s (HSM profile "
		    "policy %s)", safe(jstr(d, "interfaces"), a, sizeof(a)),
		    safe(jstr(d, "policy"), b, sizeof(b)));
	} else if (strcmp(event, "command-failed") == 0) {
		emit(o, 4, "COMMAND FAILED (%s): %s", safe(jstr(d, "error"), a,
		    sizeof(a)), safe(jstr(d, "reason"), b, sizeof(b)));
	} else {
		/*
		 * anything else (batch-begin, batch-end, ...): its short fields
		 * on one line, as 'journal show' does, a long one ending in
		 * "..."; then every SHA-256 whole, in groups, never cut
		 */
		char line[LINE_MAX_BYTES];
		size_t n = 0;

		line[0] = '\0';
		json_object_foreach(d, k, v) {
			if (is_sha256_hex(v) ||
			    (!json_is_string(v) && !json_is_integer(v)))
				continue;
			if (json_is_string(v)) {
				safe(json_string_value(v), d4, 61);
				if (strlen(d4) < strlen(json_string_value(v)))
					strcat(d4, "...");
			} else
				snprintf(d4, sizeof(d4), "%lld",
				    (long long)json_integer_value(v));
			n += (size_t)snprintf(line + n, n < sizeof(line) ?
			    sizeof(line) - n : 0, "%s%s=%s", n ? " " : "",
			    safe(k, a, 40), d4);
			if (n >= sizeof(line)) {
				strcpy(line + sizeof(line) - 4, "...");
				break;
			}
		}
		emit(o, 4, "%s: %s", safe(event, b, 40), line);
		json_object_foreach(d, k, v) {
			if (!is_sha256_hex(v))
				continue;
			emit(o, 6, "%s:", safe(k, a, 40));
			sha_lines(o, 8, json_string_value(v));
		}
	}
}

static void
render_outputs(struct out *o, json_t *holder)
{
	json_t *outs = json_object_get(holder, "outputs"), *counts, *v;
	const char *k;
	size_t i;

	for (i = 0; i < json_array_size(outs); i++) {
		v = json_array_get(outs, i);
		render_output(o, jstr(v, "event"), json_object_get(v, "entry"));
	}
	counts = json_object_get(holder, "counts");
	json_object_foreach(counts, k, v) {
		char a[64];

		if (json_integer_value(v) > CEREMONY_REPORT_OUTPUTS)
			emit(o, 4, "... %lld %s entries in all, the first %d "
			    "shown ('airca journal show' lists them)",
			    (long long)json_integer_value(v), safe(k, a,
			    sizeof(a)), CEREMONY_REPORT_OUTPUTS);
	}
}

static void
render_step(struct out *o, json_t *step, long long total)
{
	json_t *d = json_object_get(step, "data"), *files, *f;
	const char *res = jstr(d, "result"), *when, *s;
	char a[256], b[256], c[LINE_MAX_BYTES];
	size_t i;

	if (res == NULL)
		res = "?";
	when = jstr(d, "deferred-from") != NULL ? jstr(d, "deferred-from") :
	    jstr(step, "time");
	blank(o);
	rule(o, '-');
	emit(o, 0, "Step %lld of %lld  %s  (by the %s)  %s", jint(d, "step"),
	    total, safe(jstr(d, "kind"), a, sizeof(a)),
	    safe(jstr(d, "role"), b, sizeof(b)),
	    strcmp(res, "ok") == 0 ? "ok" : strcmp(res, "confirmed") == 0 ?
	    "confirmed" : strcmp(res, "partial") == 0 ? "done, SOME INPUTS "
	    "REFUSED" : strcmp(res, "declined") == 0 ? "DECLINED" : "FAILED");
	if (jstr(d, "confirmed-by") != NULL)
		emit(o, 2, "confirmed by %s%s; journaled %s (seq %lld)",
		    safe(jstr(d, "confirmed-by"), a, sizeof(a)),
		    json_is_false(json_object_get(d, "interactive")) ?
		    " (non-interactive)" : "", safe(when, b, sizeof(b)),
		    jint(step, "seq"));
	else
		emit(o, 2, "not confirmed; journaled %s (seq %lld)",
		    safe(when, b, sizeof(b)), jint(step, "seq"));
	if ((s = jstr(d, "clock")) != NULL)
		emit(o, 2, "clock shown (UTC): %s", safe(s, a, sizeof(a)));
	if ((s = jstr(d, "interfaces")) != NULL)
		emit(o, 2, "network interfaces up: %s; HSM profile policy: %s",
		    safe(s, a, sizeof(a)), safe(jstr(d, "policy"), b,
		    sizeof(b)));
	if ((s = jstr(d, "sha256")) != NULL) {
		emit(o, 2, "script SHA-256 shown:");
		sha_lines(o, 4, s);
	}
	if ((s = jstr(d, "path")) != NULL)
		emit(o, 2, "media: %s", safe(s, a, sizeof(a)));
	files = json_object_get(d, "files");
	for (i = 0; i < json_array_size(files); i++) {
		f = json_array_get(files, i);
		if (jint(f, "files") != 1)
			emit(o, 2, "%s (directory, %lld files: SHA-256 of its "
			    "sha256sum listing)", safe(jstr(f, "path"), c,
			    sizeof(c)), jint(f, "files"));
		else
			emit(o, 2, "%s", safe(jstr(f, "path"), c, sizeof(c)));
		sha_lines(o, 4, jstr(f, "sha256"));
	}
	if ((s = jstr(d, "command")) != NULL)
		emit(o, 2, "command: %s", safe(s, c, sizeof(c)));
	if (json_object_get(d, "inputs") != NULL) {
		files = json_object_get(d, "inputs");
		for (i = 0; i < json_array_size(files); i++) {
			f = json_array_get(files, i);
			emit(o, 2, "input %s%s", safe(jstr(f, "path"), c,
			    sizeof(c)), jint(f, "files") != 1 ? " (directory)" :
			    "");
			sha_lines(o, 4, jstr(f, "sha256"));
		}
	}
	render_outputs(o, step);
	if (json_object_get(d, "exit") != NULL)
		emit(o, 2, "exit status %lld", jint(d, "exit"));
	if ((s = jstr(d, "reason")) != NULL)
		emit(o, 2, "REASON: %s", safe(s, c, sizeof(c)));
}

static void
render_seal(struct out *o, const struct ceremony_report *r)
{
	json_t *d = json_object_get(r->seal, "data");
	char a[256], b[256], **qr = NULL;
	size_t nqr = 0, i;

	emit(o, 2, "SEALED by %s at %s, seq %lld (signs seq %lld..%lld)",
	    safe(jstr(r->seal, "actor"), a, sizeof(a)),
	    safe(jstr(r->seal, "time"), b, sizeof(b)), jint(r->seal, "seq"),
	    jint(d, "from"), jint(d, "to"));
	emit(o, 2, "Seal SHA-256, to read aloud and compare with the paper "
	    "form:");
	blank(o);
	sha_lines(o, 4, r->seal_hex);
	blank(o);
	if (qr_lines(r->seal_hex, 0, &qr, &nqr) == 0) {
		for (i = 0; i < nqr; i++) {
			snprintf(a, sizeof(a), "  %s", qr[i]);
			o->fn(o->arg, a);
		}
		blank(o);
	}
	qr_lines_free(qr, nqr);
	emit(o, 2, "Check a copy of the journal against it:");
	emit(o, 4, "airca journal verify --seal %s", r->seal_hex);
}

int
ceremony_report_render(const struct ceremony_report *r,
    const struct journal_report *jrep, const char *path,
    ceremony_line_fn fn, void *arg)
{
	struct out o = { fn, arg };
	json_t *od = json_object_get(r->opened, "data"), *parts, *p, *v;
	json_t *ad = json_object_get(r->aborted, "data");
	const char *k, *s;
	char a[LINE_MAX_BYTES], b[256], c[256], e[256];
	long long total = json_integer_value(json_object_get(od, "steps"));
	size_t i, nsteps = json_array_size(r->steps);

	rule(&o, '=');
	emit(&o, 0, "AIRCA CEREMONY TRANSCRIPT");
	emit(&o, 0, "%s", r->opened != NULL ? safe(jstr(od, "title"), a,
	    sizeof(a)) : "(ceremony not opened: it stopped while the "
	    "participants were named)");
	rule(&o, '=');
	emit(&o, 0, "Ceremony:    %s", safe(r->id, a, sizeof(a)));
	if (r->opened != NULL) {
		emit(&o, 0, "Script:      %s", safe(jstr(od, "script"), a,
		    sizeof(a)));
		emit(&o, 0, "SHA-256:");
		sha_lines(&o, 2, jstr(od, "script-sha256"));
		emit(&o, 0, "Opened:      %s", safe(jstr(od, "deferred-from") !=
		    NULL ? jstr(od, "deferred-from") : jstr(r->opened, "time"),
		    a, sizeof(a)));
	}
	emit(&o, 0, "Entries:     seq %lu..%lu, %s to %s", r->first_seq,
	    r->last_seq, r->first_time, r->last_time);
	if (r->opened != NULL) {
		v = json_object_get(od, "interactive");
		if (json_is_false(v))
			emit(&o, 0, "Confirmations: NON-INTERACTIVE, from %s "
			    "(not typed by the participants at the keyboard)",
			    safe(jstr(od, "confirmations"), a, sizeof(a)));
		else
			emit(&o, 0, "Confirmations: %s", safe(jstr(od,
			    "confirmations"), a, sizeof(a)));
	}
	if (r->host != NULL) {
		emit(&o, 0, "Host:        %s, %s, airca %s",
		    safe(jstr(r->host, "host"), a, sizeof(a)),
		    safe(jstr(r->host, "kernel"), b, sizeof(b)),
		    safe(jstr(r->host, "airca"), c, sizeof(c)));
		emit(&o, 0, "airca binary SHA-256:");
		sha_lines(&o, 2, jstr(r->host, "binary-sha256"));
	}
	if (r->open != NULL) {
		json_t *tok = json_object_get(r->open, "token");

		emit(&o, 0, "Journal opened by this ceremony: factory %s, key "
		    "type %s", safe(jstr(r->open, "factory"), a, sizeof(a)),
		    safe(jstr(r->open, "key-type"), b, sizeof(b)));
		if (tok != NULL)
			emit(&o, 0, "Token:       '%s' serial %s (%s %s)",
			    safe(jstr(tok, "label"), a, sizeof(a)),
			    safe(jstr(tok, "serial"), b, sizeof(b)),
			    safe(jstr(tok, "manufacturer"), c, sizeof(c)),
			    safe(jstr(tok, "model"), e, sizeof(e)));
	}
	blank(&o);
	emit(&o, 0, "Journal:     %s", safe(path, a, sizeof(a)));
	emit(&o, 2, "VERIFIED: %lu entries, %lu checkpoint%s, %lu seal%s, "
	    "signed by the audit certificate with SHA-256:", jrep->entries,
	    jrep->checkpoints, jrep->checkpoints == 1 ? "" : "s", jrep->seals,
	    jrep->seals == 1 ? "" : "s");
	sha_lines(&o, 4, jrep->audit_fp);
	if (r->signed_by != 0)
		emit(&o, 2, "This ceremony's entries are covered by the "
		    "signature at seq %lu.", r->signed_by);

	if (r->opened != NULL) {
		if (json_object_size(v = json_object_get(od, "params")) > 0) {
			blank(&o);
			emit(&o, 0, "PARAMETERS");
			json_object_foreach(v, k, p)
				emit(&o, 2, "%s = %s", safe(k, b, sizeof(b)),
				    safe(json_string_value(p), a, sizeof(a)));
		}
		blank(&o);
		emit(&o, 0, "PARTICIPANTS");
		parts = json_object_get(od, "participants");
		for (i = 0; i < json_array_size(parts); i++) {
			p = json_array_get(parts, i);
			safe(jstr(p, "name"), a, sizeof(a));
			/* pad by columns, not bytes: names may be UTF-8 */
			emit(&o, 2, "%-10s %s%*s  signature ____________",
			    safe(jstr(p, "role"), b, sizeof(b)), a,
			    (int)(cols(a, strlen(a)) < 40 ? 40 - cols(a,
			    strlen(a)) : 0), "");
		}
	}
	blank(&o);
	emit(&o, 0, "STEPS");
	for (i = 0; i < nsteps; i++)
		render_step(&o, json_array_get(r->steps, i), total);
	if (r->steps_dropped > 0)
		emit(&o, 2, "... %lu more step entries not shown",
		    r->steps_dropped);
	if (json_array_size(json_object_get(r->pending, "outputs")) > 0) {
		blank(&o);
		/* after an abort: the login that signed it (airgap warnings) */
		emit(&o, 0, "%s", r->aborted != NULL ? "Journaled after the "
		    "last step, while the abort was signed:" : "Journaled "
		    "after the last step:");
		render_outputs(&o, r->pending);
	}
	if (r->seal == NULL && total > 0 && (long long)nsteps < total)
		emit(&o, 2, "steps %lld..%lld of the script were not run",
		    (long long)nsteps + 1, total);

	blank(&o);
	rule(&o, '=');
	emit(&o, 0, "OUTCOME");
	if (r->seal != NULL)
		render_seal(&o, r);
	else {
		emit(&o, 2, "NOT SEALED: this ceremony did not complete.");
		if (r->aborted != NULL) {
			emit(&o, 2, "Aborted at step %lld (%s), seq %lld, %s:",
			    jint(ad, "step"), safe(jstr(ad, "error"), b,
			    sizeof(b)), jint(r->aborted, "seq"),
			    safe(jstr(r->aborted, "time"), c, sizeof(c)));
			s = jstr(ad, "reason");
			emit(&o, 4, "%s", safe(s != NULL && *s != '\0' ? s :
			    "(no reason given)", a, sizeof(a)));
		} else
			emit(&o, 2, "No abort was journaled: the ceremony may "
			    "still be running, or airca was stopped.");
	}
	blank(&o);
	emit(&o, 0, "Transcript read and checked by:");
	emit(&o, 2, "name ______________________  signature "
	    "____________________  at __:__ UTC");
	rule(&o, '=');
	return 0;
}
