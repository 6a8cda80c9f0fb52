/* cmd-journal.c: airca journal show, verify, seal and repair. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "journal.h"
#include "media.h"
#include "out.h"
#include "qr.h"
#include "util.h"

/* Print s with anything but printable ASCII as '?': journal text never drives the terminal. */
static void
put_safe(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++)
		fputc((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ?
		    s[i] : '?', f);
	if (s[i] != '\0')
		fputs("...", f);
}

/*
 * A result line built with stdio (put_safe, summary): line_begin gives the
 * FILE (NULL: out of memory), line_end hands the line to the sink.
 */
struct line {
	FILE	*f;
	char	*buf;
	size_t	 len;
};

static FILE *
line_begin(struct line *l)
{
	l->buf = NULL;
	l->len = 0;
	return l->f = open_memstream(&l->buf, &l->len);
}

static int
line_end(struct out *o, struct line *l)
{
	int r = AIRCA_ERR_NOMEM;

	if (l->f != NULL && fclose(l->f) == 0) {
		out_result(o, "%s", l->buf);
		r = 0;
	}
	free(l->buf);
	return r;
}

static const char *
dstr(json_t *d, const char *key)
{
	json_t *v = json_object_get(d, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One short line about data: the fields an officer looks for. */
static void
summary(FILE *f, const char *event, json_t *d)
{
	static const char *const keys[] = {
		"command", "serial", "cn", "profile", "label", "status",
		"reason", "file", "dir", "error", "factory", "removed-bytes",
		NULL
	};
	const char *k, *s;
	json_t *v, *fv;
	int i, n = 0;

	if (journal_event_signed(event)) {
		fprintf(f, "signs %lld..%lld head %.16s",
		    (long long)json_integer_value(json_object_get(d, "from")),
		    (long long)json_integer_value(json_object_get(d, "to")),
		    (s = dstr(d, "head")) != NULL ? s : "?");
		return;
	}
	for (i = 0; keys[i] != NULL; i++) {
		v = json_object_get(d, keys[i]);
		if (json_is_string(v)) {
			fprintf(f, "%s%s=", n++ ? " " : "", keys[i]);
			put_safe(f, json_string_value(v), 60);
		} else if (json_is_integer(v))
			fprintf(f, "%s%s=%lld", n++ ? " " : "", keys[i],
			    (long long)json_integer_value(v));
	}
	if (json_is_object(v = json_object_get(d, "files")))
		json_object_foreach(v, k, fv) {
			fprintf(f, "%sfile=", n++ ? " " : "");
			put_safe(f, k, 60);
		}
}

static int
show_line(struct out *o, const char *line, size_t len, unsigned long lineno)
{
	struct line l;
	json_t *e, *v;
	json_error_t jerr;
	const char *event;
	FILE *f;
	int r;

	if ((e = json_loadb(line, len, 0, &jerr)) == NULL || !json_is_object(e)) {
		out_result(o, "line %lu: not a journal entry (%s)", lineno,
		    e == NULL ? jerr.text : "not an object");
		json_decref(e);
		return 0;
	}
	if ((f = line_begin(&l)) == NULL) {
		json_decref(e);
		return AIRCA_ERR_NOMEM;
	}
	v = json_object_get(e, "event");
	event = json_is_string(v) ? json_string_value(v) : "?";
	fprintf(f, "%6lld  ", (long long)json_integer_value(json_object_get(e,
	    "seq")));
	put_safe(f, (v = json_object_get(e, "time")) != NULL &&
	    json_is_string(v) ? json_string_value(v) : "?", 20);
	fprintf(f, "  %-16.16s  ", event);
	put_safe(f, json_is_string(v = json_object_get(e, "actor")) ?
	    json_string_value(v) : "?", 16);
	fputs("  ", f);
	summary(f, event, json_object_get(e, "data"));
	r = line_end(o, &l);
	json_decref(e);
	return r;
}

/* One entry as data (--json): the line parsed, or why it is not an entry. */
static int
json_line(json_t *entries, const char *line, size_t len,
    unsigned long lineno)
{
	json_t *e;
	json_error_t jerr;

	if ((e = json_loadb(line, len, 0, &jerr)) == NULL ||
	    !json_is_object(e)) {
		json_decref(e);
		e = json_pack("{s:I,s:s}", "line", (json_int_t)lineno,
		    "not-an-entry", e == NULL ? jerr.text : "not an object");
	}
	return json_array_append_new(entries, e) == 0 ? 0 : AIRCA_ERR_NOMEM;
}

static int
journal_path(struct cmd_ctx *ctx, const char *journal, char *out, size_t len)
{
	char home[PATH_MAX];
	int r;

	if (journal != NULL)
		return path_join(out, len, journal, NULL);
	if ((r = ca_home_path(ctx, home, sizeof(home))) != 0)
		return r;
	return path_join(out, len, home, JOURNAL_FILE);
}

static int
cmd_journal_show_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct journal_reader *rd = NULL;
	const char *journal = args_get(a, "journal");
	char path[PATH_MAX], *line;
	unsigned long since = (unsigned long)args_number(a, "since", 0), lineno;
	size_t len;
	bool json = out_is_json(ctx->out), complete;
	json_t *entries = NULL;
	int r, rr;

	(void)ca;
	if ((r = journal_path(ctx, journal, path, sizeof(path))) != 0 ||
	    (r = journal_reader_open(path, &rd)) != 0)
		goto out;
	if (json && (entries = json_array()) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	while ((r = journal_reader_next(rd, &line, &len, &complete)) == 1) {
		/* lines are entries: line N holds seq N in a sound journal */
		lineno = journal_reader_lineno(rd);
		if (lineno < since)
			continue;
		if (!complete && json)
			out_warn(ctx->out, "line %lu: incomplete (%zu bytes "
			    "without a newline: an interrupted append; see "
			    "'airca journal repair')", lineno, len);
		else if (!complete)
			out_result(ctx->out, "line %lu: incomplete (%zu bytes "
			    "without a newline: an interrupted append; see "
			    "'airca journal repair')", lineno, len);
		else if ((rr = json ? json_line(entries, line, len, lineno) :
		    show_line(ctx->out, line, len, lineno)) != 0) {
			r = rr;
			goto out;
		}
	}
	if (r == 0 && json) {
		r = out_set(ctx->out, "entries", entries);
		entries = NULL;
	} else if (r == 0)
		out_note(ctx->out, "(shown as written; 'airca journal verify' "
		    "checks it)");
 out:
	json_decref(entries);
	journal_reader_close(rd);
	return r;
}

/*
 * --seal as witnesses copied it: 64 hex digits, either case, grouped with
 * spaces, ':' or '-' (journal_verify() reads it the same way).
 */
static int
cmd_journal_verify_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char *p = args_get(a, "seal");
	size_t n = 0;

	(void)ctx;
	if (p == NULL)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == ':' || *p == '-')
			continue;
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		    (*p >= 'A' && *p <= 'F')))
			return airca_errf(AIRCA_ERR_USAGE, "--seal: '%c' is not "
			    "a hex digit", *p);
		n++;
	}
	if (n != SHA256_HEX_LEN)
		return airca_errf(AIRCA_ERR_USAGE, "--seal: %zu hex digits, a "
		    "seal hash has 64", n);
	return 0;
}

static int
cmd_journal_verify_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct journal_report rep;
	bool allow_unpinned = args_has(a, "allow-unpinned");
	const char *journal = args_get(a, "journal");
	const char *auditf = args_get(a, "audit-cert");
	const char *rootf = args_get(a, "root"), *seal = args_get(a, "seal");
	char jpath[PATH_MAX], rpath[PATH_MAX], groups[96];
	X509 *root = NULL, *audit = NULL;
	json_t *o;
	int r, rr;

	(void)ca;
	if ((r = ca_evidence_load(ctx, journal, auditf, rootf, jpath, rpath,
	    &root, &audit)) != 0)
		goto out;
	r = journal_verify(jpath, root, audit, seal, &rep);
	/*
	 * Format 1 trusted any certificate the root issued as the audit
	 * certificate: never reported as pinned, and not OK unless asked.
	 */
	if (r == 0 && rep.pinned_seq == 0 && !allow_unpinned) {
		snprintf(rep.what, sizeof(rep.what), "journal format %ld does "
		    "not pin the audit certificate: any certificate the root "
		    "issued would verify it, so it proves less; check it with "
		    "--allow-unpinned, knowing that", rep.version);
		rep.bad_seq = rep.bad_line = 1;
		r = airca_errf(AIRCA_ERR_VERIFY, "%s", rep.what);
	}
	if (out_is_json(ctx->out) && (r == 0 || r == AIRCA_ERR_VERIFY)) {
		if (r == 0)
			o = json_pack("{s:b,s:s,s:I,s:I,s:I,s:s,s:s}", "ok", 1,
			    "journal", jpath, "entries", (json_int_t)rep.entries,
			    "checkpoints", (json_int_t)rep.checkpoints, "seals",
			    (json_int_t)rep.seals, "head", rep.head,
			    "audit-cert", rep.audit_fp);
		else
			o = json_pack("{s:b,s:s,s:I,s:I,s:s}", "ok", 0,
			    "journal", jpath, "seq", (json_int_t)rep.bad_seq,
			    "line", (json_int_t)rep.bad_line, "what", rep.what);
		if (o != NULL && r == 0)
			json_object_set_new(o, "pinned-seq",
			    json_integer((json_int_t)rep.pinned_seq));
		if (o != NULL && r == 0 && seal != NULL)
			json_object_set_new(o, "seal-seq",
			    json_integer((json_int_t)rep.seal_seq));
		if ((rr = out_merge(ctx->out, o)) != 0)
			r = rr;
	}
	if (r != 0 || out_is_json(ctx->out))
		goto out;
	out_result(ctx->out, "journal OK: %s", jpath);
	out_result(ctx->out, "  entries      %lu (format version %ld)",
	    rep.entries, rep.version);
	out_result(ctx->out, "  signatures   %lu checkpoint%s, %lu seal%s, all "
	    "by the audit certificate", rep.checkpoints, rep.checkpoints == 1 ?
	    "" : "s", rep.seals, rep.seals == 1 ? "" : "s");
	hex_groups(rep.audit_fp, groups, sizeof(groups));
	out_result(ctx->out, "  audit cert   SHA-256 %s\n               chains "
	    "to %s", groups, rpath);
	if (rep.pinned_seq > 0)
		out_result(ctx->out, "               pinned by the root at seq "
		    "%lu", rep.pinned_seq);
	else
		out_result(ctx->out, "               NOT PINNED (format %ld): "
		    "any certificate of the root would have verified",
		    rep.version);
	if (seal != NULL)
		out_result(ctx->out, "  seal         found at seq %lu",
		    rep.seal_seq);
	out_result(ctx->out, "  head         %s", rep.head);
 out:
	X509_free(root);
	X509_free(audit);
	return r;
}

static int
cmd_journal_seal_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	char hex[SHA256_HEX_LEN + 1], groups[96], **qr = NULL;
	size_t nqr = 0, i;
	int r;

	(void)a;
	if ((r = journal_seal(ca->j, ca->audit_key, ca->audit, NULL, hex)) != 0)
		goto out;
	hex_groups(hex, groups, sizeof(groups));
	if (out_is_json(ctx->out)) {
		r = out_merge(ctx->out, json_pack("{s:I,s:s}", "seq",
		    (json_int_t)journal_seq(ca->j), "seal", hex));
		goto out;
	}
	out_result(ctx->out, "journal sealed at seq %lu\n\n  seal  %s\n",
	    journal_seq(ca->j), groups);
	if (qr_lines(hex, 0, &qr, &nqr) == 0) {
		for (i = 0; i < nqr; i++)
			out_result(ctx->out, "  %s", qr[i]);
		out_result(ctx->out, "%s", "");
	}
	out_result(ctx->out, "Witnesses: write down or photograph the seal.  "
	    "Later, check the journal against it:\n  airca journal verify "
	    "--seal %s", hex);
 out:
	qr_lines_free(qr, nqr);
	return r;
}

/* Show the incomplete tail the way it would be removed. */
static void
show_tail(struct out *o, const char *home, off_t off, const char *tail,
    size_t len, const char *hex)
{
	struct line l;
	FILE *f;

	out_result(o, "the last line of %s/%s is incomplete (an append was "
	    "interrupted):\n  %zu bytes at offset %lld, SHA-256 %s",
	    home, JOURNAL_FILE, len, (long long)off, hex);
	if ((f = line_begin(&l)) == NULL)
		return;
	fputs("  ", f);
	put_safe(f, tail, 400);
	line_end(o, &l);
}

/* Show the unsigned tail: each entry by seq, event, actor and line hash. */
static void
show_unsigned(struct out *o, const char *home, const struct journal_tail *t)
{
	json_t *e;
	size_t i;

	out_result(o, "%s/%s ends in %lu entr%s that no signature covers (seq "
	    "%lu..%lu; written by a command that was killed or failed, or "
	    "by someone else):", home, JOURNAL_FILE, t->n, t->n == 1 ? "y" :
	    "ies", t->from, t->from + t->n - 1);
	json_array_foreach(t->list, i, e) {
		out_result(o, "  seq %-6lld %-20.32s by %-12.40s sha256 %s",
		    (long long)json_integer_value(json_object_get(e, "seq")),
		    json_string_value(json_object_get(e, "event")),
		    json_string_value(json_object_get(e, "actor")),
		    json_string_value(json_object_get(e, "sha256")));
	}
	out_result(o, "  ('airca journal show --since %lu' prints them whole)",
	    t->from);
}

/*
 * Discard: the tail's bytes are kept beside the journal for the auditor
 * (HOME/journal-discarded-FROM-TO.jsonl, never overwritten), then cut.
 */
static int
discard_tail(struct ca *ca, const struct journal_tail *t, char *saved,
    size_t savedlen)
{
	char path[PATH_MAX];
	unsigned char *buf = NULL;
	ssize_t n;
	off_t pos;
	int fd = -1, r;

	if ((r = path_join(path, sizeof(path), ca->home, JOURNAL_FILE)) != 0)
		goto out;
	if ((buf = malloc((size_t)(t->end - t->off) + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (pos = t->off; pos < t->end; pos += n)
		if ((n = pread(fd, buf + (pos - t->off), (size_t)(t->end - pos),
		    pos)) <= 0) {
			r = airca_errf(AIRCA_ERR_IO, "%s: read failed", path);
			goto out;
		}
	snprintf(saved, savedlen, "journal-discarded-%lu-%lu.jsonl", t->from,
	    t->from + t->n - 1);
	if ((r = path_join(path, sizeof(path), ca->home, saved)) != 0 ||
	    (r = media_write(path, buf, (size_t)(t->end - t->off), 0)) != 0 ||
	    (r = journal_cut(ca->home, t)) != 0)
		goto out;
 out:
	if (fd != -1)
		close(fd);
	free(buf);
	return r;
}

static int
cmd_journal_repair_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	(void)ctx;
	if (args_has(a, "adopt") && args_has(a, "discard"))
		return airca_errf(AIRCA_ERR_USAGE, "--adopt and --discard "
		    "exclude each other: the unsigned entries are either signed "
		    "as they are or removed");
	return 0;
}

/*
 * The framework checked that the home exists (CMD_HOME_RAW); the repair
 * opens it itself: without --yes only to look (no lock, no token), with
 * --yes as CA_NOSTATE | CA_TOKEN, since a journal that needs repair does
 * not verify and ca_open() would refuse it.
 */
static int
cmd_journal_repair_exec(struct cmd_ctx *ctx, struct ca *unused,
    const struct cmd_args *a)
{
	struct ca ca;
	struct journal_tail t;
	char *tail = NULL, hex[SHA256_HEX_LEN + 1], saved[96];
	unsigned char sha[SHA256_LEN];
	size_t len = 0;
	off_t off;
	bool yes = args_has(a, "yes"), adopt = args_has(a, "adopt");
	bool discard = args_has(a, "discard");
	json_t *d = NULL;
	int r;

	(void)unused;
	memset(&t, 0, sizeof(t));
	if (!yes) {
		/* Look only: no lock, no token. */
		ca_begin(&ca, ctx, "journal repair");
		if ((r = ca_home_path(ctx, ca.home, sizeof(ca.home))) != 0 ||
		    (r = journal_tail_check(ca.home, &off, &tail, &len)) != 0 ||
		    (r = journal_tail_unsigned(ca.home, &t)) != 0)
			goto out;
		if (len == 0 && t.n == 0) {
			out_result(ctx->out, "%s/%s ends on a complete, signed "
			    "line: nothing to repair", ca.home, JOURNAL_FILE);
			goto out;
		}
		if (len > 0) {
			sha256_hex(tail, len, hex);
			show_tail(ctx->out, ca.home, off, tail, len, hex);
		}
		if (t.n > 0)
			show_unsigned(ctx->out, ca.home, &t);
		r = airca_errf(AIRCA_ERR_CANCELLED, "nothing removed: %s%s; the "
		    "repair is journaled and signed, so it needs the token",
		    len > 0 ? "'airca journal repair --yes' removes the "
		    "incomplete line" : "", t.n == 0 ? "" : len > 0 ?
		    ", with --adopt or --discard it also settles the unsigned "
		    "entries" : "the officers decide about the unsigned entries: "
		    "'airca journal repair --adopt --yes' signs them as adopted, "
		    "'--discard --yes' removes them (kept in a file beside the "
		    "journal)");
		goto out;
	}
	/* The token first: a repair that cannot be signed is not started. */
	if ((r = ca_open(&ca, ctx, "journal repair", CA_HOME | CA_NOSTATE |
	    CA_TOKEN)) != 0 ||
	    (r = ca_lock(&ca)) != 0 ||
	    (r = journal_tail_check(ca.home, &off, &tail, &len)) != 0 ||
	    (r = journal_tail_unsigned(ca.home, &t)) != 0)
		goto done;
	if (len == 0 && t.n == 0) {
		out_result(ctx->out, "%s/%s ends on a complete, signed line: "
		    "nothing to repair", ca.home, JOURNAL_FILE);
		goto done;
	}
	if (t.n > 0) {
		show_unsigned(ctx->out, ca.home, &t);
		if (!adopt && !discard) {
			r = airca_errf(AIRCA_ERR_CANCELLED, "nothing removed: "
			    "decide about the unsigned entries with --adopt "
			    "(signed as they are) or --discard (removed, kept "
			    "in a file beside the journal)");
			goto done;
		}
	}
	if (len > 0) {
		sha256(tail, len, sha);
		hex_encode(sha, sizeof(sha), hex);
		show_tail(ctx->out, ca.home, off, tail, len, hex);
		if ((r = journal_truncate(ca.home, off, sha)) != 0)
			goto done;
	}
	if (t.n > 0 && discard && (r = discard_tail(&ca, &t, saved,
	    sizeof(saved))) != 0)
		goto done;
	if ((r = journal_open_flags(ca.home, ca.session, ctx->actor,
	    t.n > 0 && adopt ? JOURNAL_OPEN_ADOPT : 0, &ca.j)) != 0)
		goto done;
	if (len > 0) {
		if ((d = json_pack("{s:s,s:I,s:I,s:s,s:I}", "command",
		    "journal repair", "after-seq", (json_int_t)journal_seq(ca.j),
		    "offset", (json_int_t)off, "removed-sha256", hex,
		    "removed-bytes", (json_int_t)len)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto done;
		}
		if ((r = ca_journal(&ca, "journal-repaired", d, 0)) != 0)
			goto done;
		json_decref(d);
		d = NULL;
		out_result(ctx->out, "incomplete line removed; journaled as "
		    "seq %lu (\"journal-repaired\")", journal_seq(ca.j));
	}
	if (t.n > 0 && (adopt || discard)) {
		hex_encode(t.sha, sizeof(t.sha), hex);
		if ((d = json_pack("{s:I,s:I,s:I,s:s,s:O}", "from",
		    (json_int_t)t.from, "to", (json_int_t)(t.from + t.n - 1),
		    "bytes", (json_int_t)(t.end - t.off), "sha256", hex,
		    "entries", t.list)) == NULL ||
		    (discard && json_object_set_new(d, "saved-as",
		    json_string(saved)) != 0)) {
			r = AIRCA_ERR_NOMEM;
			goto done;
		}
		if ((r = ca_journal(&ca, adopt ? "journal-tail-adopted" :
		    "journal-tail-discarded", d, 0)) != 0)
			goto done;
		out_result(ctx->out, "%lu unsigned entr%s %s; journaled as seq "
		    "%lu (\"%s\"), signed now", t.n, t.n == 1 ? "y" : "ies",
		    adopt ? "adopted" : "discarded", journal_seq(ca.j), adopt ?
		    "journal-tail-adopted" : "journal-tail-discarded");
		if (discard)
			out_result(ctx->out, "  the discarded lines are kept "
			    "in %s/%s", ca.home, saved);
	}
 done:
	json_decref(d);
	json_decref(t.list);
	free(tail);
	return ca_close(&ca, r);
 out:
	json_decref(t.list);
	free(tail);
	return r;
}

static const struct args_opt journal_show_opts[] = {
	{ "since",   ARGS_NUMBER,  "SEQ",  0, 0, 1000000000000LL, NULL },
	{ "journal", ARGS_IN_FILE, "FILE", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_journal_show_entry = {
	.name = "journal show",
	.summary = "print the journal, one entry a line",
	.args = { .opts = journal_show_opts },
	.exec = cmd_journal_show_exec,	/* reads --journal or the home's, no lock */
};

static const struct args_opt journal_verify_opts[] = {
	{ "journal",        ARGS_IN_FILE, "FILE", 0, 0, 0, NULL },
	{ "audit-cert",     ARGS_IN_FILE, "F",    0, 0, 0, NULL },
	{ "root",           ARGS_IN_FILE, "F",    0, 0, 0, NULL },
	{ "seal",           ARGS_STRING,  "HEX",  0, 0, 0, NULL },
	{ "allow-unpinned", ARGS_FLAG,    NULL,   0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct args_opt journal_repair_opts[] = {
	{ "yes",     ARGS_FLAG, NULL, 0, 0, 0, NULL },
	{ "adopt",   ARGS_FLAG, NULL, 0, 0, 0, NULL },
	{ "discard", ARGS_FLAG, NULL, 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_journal_verify_entry = {
	.name = "journal verify",
	.summary = "check the journal's chain and signatures (no token)",
	.args = { .opts = journal_verify_opts },
	.check = cmd_journal_verify_check,
	.exec = cmd_journal_verify_exec,	/* no home lock, no token */
};

const struct cmd_entry cmd_journal_seal_entry = {
	.name = "journal seal",
	.summary = "sign a seal entry; show its hash and QR code for witnesses",
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_journal_seal_exec,
};

const struct cmd_entry cmd_journal_repair_entry = {
	.name = "journal repair",
	.summary = "remove an incomplete last line; adopt or discard an "
	    "unsigned tail (journaled, signed)",
	.args = { .opts = journal_repair_opts },
	.flags = CMD_HOME_RAW,
	.check = cmd_journal_repair_check,
	.exec = cmd_journal_repair_exec,
};
