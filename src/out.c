/* out.c: the output sink: text for a terminal or pipe, one JSON document under --json, or a front end's hook; the only file that writes to stdout. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "out.h"

/*
 * A NULL sink (a unit test's bare cmd_ctx, a core caller without a
 * command) is the plain text one on stdout and stderr.
 */
static struct out *
sink(struct out *o)
{
	static struct out plain;

	if (o != NULL)
		return o;
	if (plain.res == NULL)
		out_init_text(&plain, stdout, stderr);
	return &plain;
}

void
out_init_text(struct out *o, FILE *res, FILE *msg)
{
	memset(o, 0, sizeof(*o));
	o->mode = OUT_TEXT;
	o->res = res;
	o->msg = msg;
}

void
out_init_hook(struct out *o, out_hook_fn hook, void *arg)
{
	memset(o, 0, sizeof(*o));
	o->mode = OUT_HOOK;
	o->hook = hook;
	o->arg = arg;
}

int
out_set_json(struct out *o)
{
	o = sink(o);
	if (o->mode != OUT_TEXT)
		return 0;
	if ((o->doc = json_object()) == NULL)
		return AIRCA_ERR_NOMEM;
	o->mode = OUT_JSON;
	return 0;
}

void
out_set_quiet(struct out *o, bool quiet)
{
	o = sink(o);
	o->quiet = quiet;
}

bool
out_is_json(const struct out *o)
{
	return o != NULL && o->mode == OUT_JSON;
}

bool
out_is_text(const struct out *o)
{
	return o == NULL || o->mode == OUT_TEXT;
}

/* Append a string to the document's array key (made on first use). */
static void
doc_append(struct out *o, const char *key, const char *s, size_t len)
{
	json_t *a;

	if ((a = json_object_get(o->doc, key)) == NULL) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o->doc, key, a) != 0)
			return;
	}
	json_array_append_new(a, json_stringn(s, len));
}

/* Hand text (lines, the last without its newline) to the hook or the document. */
static void
lines(struct out *o, enum out_kind kind, const char *s, size_t len)
{
	char line[4096];
	const char *nl, *end = s + len;
	size_t n;

	while (s < end) {
		if ((nl = memchr(s, '\n', end - s)) == NULL)
			nl = end;
		n = nl - s;
		if (o->mode == OUT_JSON)
			doc_append(o, kind == OUT_WARN ? "warnings" : "output",
			    s, n);
		else if (o->hook != NULL) {
			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			memcpy(line, s, n);
			line[n] = '\0';
			o->hook(o->arg, kind, line);
		}
		s = nl + 1;
	}
}

static void
vsay(struct out *o, enum out_kind kind, const char *fmt, va_list ap)
{
	char *s = NULL;
	int n;

	if ((n = vasprintf(&s, fmt, ap)) < 0)
		return;
	switch (o->mode) {
	case OUT_TEXT:
	case OUT_JSON:
		if (kind == OUT_RESULT && o->mode == OUT_TEXT) {
			fprintf(o->res, "%s\n", s);
			break;
		}
		if (kind == OUT_RESULT) {
			lines(o, kind, s, n);
			break;
		}
		if (kind == OUT_WARN) {
			fflush(o->res);
			fprintf(o->msg, "airca: warning: %s\n", s);
			if (o->mode == OUT_JSON)
				lines(o, kind, s, n);
		} else
			fprintf(o->msg, "%s\n", s);
		break;
	case OUT_HOOK:
		lines(o, kind, s, n);
		break;
	}
	free(s);
}

void
out_result(struct out *o, const char *fmt, ...)
{
	va_list ap;

	o = sink(o);
	va_start(ap, fmt);
	vsay(o, OUT_RESULT, fmt, ap);
	va_end(ap);
}

void
out_write(struct out *o, const void *buf, size_t len)
{
	o = sink(o);
	if (o->mode == OUT_TEXT)
		fwrite(buf, 1, len, o->res);
	else
		lines(o, OUT_RESULT, buf, len);
}

void
out_note(struct out *o, const char *fmt, ...)
{
	va_list ap;

	o = sink(o);
	if (o->quiet)
		return;
	if (o->mode != OUT_HOOK)
		fflush(o->res);
	va_start(ap, fmt);
	vsay(o, OUT_NOTE, fmt, ap);
	va_end(ap);
}

void
out_progress(struct out *o, bool last, const char *fmt, ...)
{
	va_list ap;
	char line[512];
	bool tty;

	o = sink(o);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (o->mode == OUT_HOOK) {
		if (last)
			o->hook(o->arg, OUT_NOTE, line);
		return;
	}
	tty = out_is_tty(o);
	fprintf(o->msg, "%s  %s%s", tty ? "\r" : "progress:", line,
	    tty && !last ? "\033[K" : "\n");
	fflush(o->msg);
}

bool
out_is_tty(const struct out *o)
{
	if (o == NULL)
		return isatty(STDERR_FILENO);
	return o->mode != OUT_HOOK && o->msg != NULL && isatty(fileno(o->msg));
}

void
out_vwarn(struct out *o, const char *fmt, va_list ap)
{
	o = sink(o);
	vsay(o, OUT_WARN, fmt, ap);
}

void
out_warn(struct out *o, const char *fmt, ...)
{
	va_list ap;

	o = sink(o);
	va_start(ap, fmt);
	vsay(o, OUT_WARN, fmt, ap);
	va_end(ap);
}

int
out_set(struct out *o, const char *key, json_t *v)
{
	o = sink(o);
	if (v == NULL)
		return AIRCA_ERR_NOMEM;
	if (o->mode != OUT_JSON) {
		json_decref(v);
		return 0;
	}
	return json_object_set_new(o->doc, key, v) == 0 ? 0 : AIRCA_ERR_NOMEM;
}

int
out_merge(struct out *o, json_t *v)
{
	const char *key;
	json_t *x;

	o = sink(o);
	if (v == NULL)
		return AIRCA_ERR_NOMEM;
	if (o->mode == OUT_JSON && json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (json_object_set(o->doc, key, x) != 0) {
				json_decref(v);
				return AIRCA_ERR_NOMEM;
			}
		}
	}
	json_decref(v);
	return 0;
}

int
out_flush(struct out *o)
{
	o = sink(o);
	if (o->mode != OUT_TEXT)
		return 0;
	if (fflush(o->res) != 0 || ferror(o->res))
		return airca_errf(AIRCA_ERR_IO, "standard output: %s",
		    strerror(errno));
	return 0;
}

int
out_finish(struct out *o, const char *name, int r)
{
	const char *msg = airca_errmsg();
	char line[4096];

	o = sink(o);
	switch (o->mode) {
	case OUT_TEXT:
		fflush(o->res);
		if (r != 0)
			fprintf(o->msg, "airca%s%s: %s%s%s\n", name != NULL ?
			    " " : "", name != NULL ? name : "",
			    airca_strerror(r), *msg != '\0' ? ": " : "", msg);
		break;
	case OUT_JSON:
		if (o->finished)
			break;
		o->finished = true;
		if (r != 0) {
			/* the officer reading the terminal sees it too */
			fprintf(o->msg, "airca%s%s: %s%s%s\n", name != NULL ?
			    " " : "", name != NULL ? name : "",
			    airca_strerror(r), *msg != '\0' ? ": " : "", msg);
			json_object_set_new(o->doc, "error", json_pack(
			    "{s:s,s:s}", "code", airca_strerror(r), "message",
			    msg));
		}
		json_object_set_new(o->doc, "exit",
		    json_integer(airca_exit_code(r)));
		json_dumpf(o->doc, o->res, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);
		fputc('\n', o->res);
		fflush(o->res);
		json_decref(o->doc);
		o->doc = NULL;
		break;
	case OUT_HOOK:
		if (r != 0) {
			snprintf(line, sizeof(line), "%s%s%s", airca_strerror(r),
			    *msg != '\0' ? ": " : "", msg);
			o->hook(o->arg, OUT_ERROR, line);
		}
		break;
	}
	return r;
}

void
out_free(struct out *o)
{
	if (o == NULL)
		return;
	json_decref(o->doc);
	o->doc = NULL;
}
