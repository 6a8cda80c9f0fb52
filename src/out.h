/* out.h: the output sink, the one way a command reports: text, one JSON document, or a front end's hook. */
#ifndef AIRCA_OUT_H
#define AIRCA_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/*
 * What a line is.  A result is what the command produced (standard output
 * in text mode); a note is narration (standard error, silenced by
 * --quiet); a warning is printed "airca: warning: ..." on standard error
 * and never silenced; an error is the failure cmd_run's caller reports.
 */
enum out_kind {
	OUT_RESULT,
	OUT_NOTE,
	OUT_WARN,
	OUT_ERROR,
};

/*
 * A front end's sink (the TUI): called once per line, without the newline
 * and without the "airca: warning: " prefix; kind says what it is.
 */
typedef void	(*out_hook_fn)(void *arg, enum out_kind kind, const char *line);

enum out_mode {
	OUT_TEXT,		/* results on res, the rest on msg */
	OUT_JSON,		/* one document on res at out_finish() */
	OUT_HOOK,		/* every line to hook(arg, kind, line) */
};

/*
 * The sink.  Every function below takes NULL as the plain text sink on
 * stdout and stderr (a unit test's bare cmd_ctx).  Carried in struct cmd_ctx (ctx->out); every command and
 * every core function that reports writes here and nowhere else.  Only
 * out.c touches the fields.
 */
struct out {
	enum out_mode mode;
	bool	quiet;			/* --quiet: no notes */
	FILE	*res;			/* text and JSON: where results go (stdout) */
	FILE	*msg;			/* text and JSON: notes and warnings (stderr) */
	out_hook_fn hook;		/* hook mode */
	void	*arg;
	json_t	*doc;			/* JSON: the document being built */
	bool	finished;		/* JSON: the document was printed */
};

/* A text sink: results on res, notes and warnings on msg. */
void	out_init_text(struct out *o, FILE *res, FILE *msg);

/* A front end's sink: every line to hook.  JSON fields are dropped. */
void	out_init_hook(struct out *o, out_hook_fn hook, void *arg);

/*
 * Turn a text sink into a JSON sink (--json, before or after the command
 * words): from now on results are data, and out_finish() prints one JSON
 * object on res.  Returns 0 or AIRCA_ERR_NOMEM.  A hook sink stays one.
 */
int	out_set_json(struct out *o);

/* --quiet: notes are dropped (results, warnings and errors are not). */
void	out_set_quiet(struct out *o, bool quiet);

/* Is this a JSON sink (a command should build data, not text)? */
bool	out_is_json(const struct out *o);

/* Is it text for the user on a terminal or pipe (not JSON, not a hook)? */
bool	out_is_text(const struct out *o);

/*
 * One or more result lines (a trailing newline is added).  Text: on res.
 * JSON: appended, line by line, to the document's "output" array (for
 * results that have no fields of their own).  Hook: OUT_RESULT lines.
 */
void	out_result(struct out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Result bytes as they are (a PEM, a transcript): text: written to res
 * unchanged; JSON: appended to "output" line by line; hook: lines.
 */
void	out_write(struct out *o, const void *buf, size_t len);

/* Narration ("signed 4 of 9 ..."), one or more lines; nothing under --quiet. */
void	out_note(struct out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Progress of a long command (one line, no newline), on msg: rewritten in
 * place on a terminal, "progress: ..." lines otherwise; last ends it.
 * Also under --json and --quiet (the command decides whether to show it:
 * see out_is_tty).  Hook: an OUT_NOTE line when last.
 */
void	out_progress(struct out *o, bool last, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Do notes and progress reach a terminal (text or JSON sink, msg a tty)? */
bool	out_is_tty(const struct out *o);

/*
 * A warning: "airca: warning: ..." on msg (also under --json and
 * --quiet), and in JSON appended to the document's "warnings" array.
 */
void	out_warn(struct out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	out_vwarn(struct out *o, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/*
 * Set key of the JSON document to v (stolen, also on failure; NULL is
 * AIRCA_ERR_NOMEM).  Outside JSON mode v is freed and nothing happens.
 * Returns 0 or AIRCA_ERR_NOMEM.
 */
int	out_set(struct out *o, const char *key, json_t *v);

/*
 * Set every key of object v (stolen) in the document, in v's order: for a
 * command that builds its result as one object.  Returns 0 or
 * AIRCA_ERR_NOMEM.
 */
int	out_merge(struct out *o, json_t *v);

/*
 * Results written so far reached their file (text: res flushed without
 * error)?  Returns 0 or AIRCA_ERR_IO ("standard output: ...").
 */
int	out_flush(struct out *o);

/*
 * The end of a command, with its result r (0 or a negative airca_err whose
 * detail is airca_errmsg()) and its name (NULL: "airca: ..." alone).
 * Text: a failure is printed "airca NAME: what: detail" on msg.  JSON: a
 * failure adds "error" {"code", "message"} to the document, "exit" gets
 * the exit status, and the one document is printed on res.  Hook: a
 * failure is an OUT_ERROR line.  Returns r.
 */
int	out_finish(struct out *o, const char *name, int r);

/* Free what the sink holds (the JSON document if not printed). */
void	out_free(struct out *o);

#endif
