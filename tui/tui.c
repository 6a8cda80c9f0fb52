/* tui.c: airca tui: the command entry, the event loop, modal prompts, and the sink commands report through. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"
#include "prompt.h"
#include "tui.h"

void
tui_loop(struct tui *t)
{
	struct tui_act act;
	int key;

	while (!t->quit) {
		tui_draw(t);
		if ((key = tui_draw_key()) == TK_RESIZE)
			continue;	/* the next tui_draw() lays out anew */
		if (key == TK_EOF) {
			t->quit = true;
			t->cer_abort = true;
			break;
		}
		act = tui_input(t, key);
		tui_apply(t, act);
	}
}

int
tui_prompt(struct tui *t, const char *prompt, bool secret, bool esc_cancels,
    char *buf, size_t size)
{
	struct tui_field f, *saved = t->field;
	bool saved_focus = t->field_focus;
	int r;

	memset(&f, 0, sizeof(f));
	snprintf(f.prompt, sizeof(f.prompt), "%s", prompt);
	f.secret = secret;
	f.leave_cancels = esc_cancels;
	t->field = &f;
	t->field_focus = true;
	/* an abort ends the ceremony's fields; a PIN (to sign it) is still asked */
	while (!f.done && !f.cancelled && !t->quit &&
	    !(t->cer_abort && !secret)) {
		int key;

		tui_draw(t);
		if ((key = tui_draw_key()) == TK_RESIZE)
			continue;
		if (key == TK_EOF) {
			t->quit = true;
			t->cer_abort = true;
			break;
		}
		tui_apply(t, tui_input(t, key));
	}
	if (f.done && f.len < size) {
		memcpy(buf, f.buf, f.len);
		buf[f.len] = '\0';
		r = 0;
	} else if (f.done)
		r = airca_errf(AIRCA_ERR_INPUT, "answer longer than %zu bytes",
		    size - 1);
	else
		r = airca_errf(AIRCA_ERR_CANCELLED, "%s", t->cer_abort ?
		    "aborted from the terminal UI" : "cancelled");
	explicit_bzero(&f, sizeof(f));
	t->field = saved;
	t->field_focus = saved_focus;
	/* the core works on now (a login, a batch): show that the field is gone */
	if (r == 0 && secret)
		tui_status(t, TC_NORMAL, "PIN entered: the token is at work ...");
	tui_draw(t);
	return r;
}

bool
tui_ask(struct tui *t, const char *question)
{
	const char *saved = t->question;
	bool yes;

	t->question = question;
	t->answer = -1;
	while (t->answer < 0) {
		int key;

		tui_draw(t);
		if ((key = tui_draw_key()) == TK_RESIZE)
			continue;
		if (key == TK_EOF) {
			t->answer = 1;
			break;
		}
		tui_apply(t, tui_input(t, key));
	}
	yes = t->answer == 1;
	t->question = saved;
	t->answer = -1;
	tui_draw(t);
	return yes;
}

/*
 * The TUI's sink: what a command reports (result lines, notes, warnings,
 * the error), typed, into the ceremony log while one runs, else the
 * status line.  Nothing reaches the curses screen through fd 1 or 2.
 */
static void
tui_out_line(void *arg, enum out_kind kind, const char *line)
{
	struct tui *t = arg;
	enum tui_class cls;
	const char *p;

	/* QR codes printed by commands: the TUI draws its own (Tab) */
	if (strstr(line, "\xe2\x96\x88") != NULL ||
	    strstr(line, "\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80") != NULL)
		return;
	for (p = line; *p == ' '; p++)
		;
	if (*p == '\0' && !t->cer_open)
		return;
	switch (kind) {
	case OUT_WARN:
		cls = TC_WARN;
		break;
	case OUT_ERROR:
		cls = TC_ERR;
		break;
	default:
		cls = t->cer_open ? TC_DIM : TC_NORMAL;
		break;
	}
	if (t->cer_open)
		tui_text_add(&t->log, cls, "%s%s", kind == OUT_WARN ?
		    "warning: " : "", line);
	else
		tui_status(t, cls, "%s%s", kind == OUT_WARN ? "warning: " : "",
		    p);
}

/*
 * While curses runs, fd 1 and 2 point at /dev/null: airca itself reports
 * only through the sink, but foreign libraries (OpenSSL, libp11, a
 * PKCS#11 module such as SoftHSM) may write to stderr and would corrupt
 * the screen.  curses has its own duplicates of the terminal.
 */
static int
quiet_fds(int saved[2])
{
	int fd;

	saved[0] = saved[1] = -1;
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1 ||
	    (saved[0] = dup(STDOUT_FILENO)) == -1 ||
	    (saved[1] = dup(STDERR_FILENO)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1 || dup2(fd, STDERR_FILENO) == -1) {
		if (fd != -1)
			close(fd);
		return airca_errf(AIRCA_ERR_IO, "/dev/null: %s",
		    strerror(errno));
	}
	close(fd);
	return 0;
}

static void
restore_fds(int saved[2])
{
	if (saved[0] != -1) {
		dup2(saved[0], STDOUT_FILENO);
		close(saved[0]);
	}
	if (saved[1] != -1) {
		dup2(saved[1], STDERR_FILENO);
		close(saved[1]);
	}
}

static int
cmd_tui_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	struct tui *t = NULL;
	struct out *cli_out = ctx->out;
	int saved[2] = { -1, -1 }, r;
	bool drawing = false;

	(void)ca;
	(void)a;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return airca_errf(AIRCA_ERR_USAGE, "airca tui needs a terminal "
		    "(for scripts: airca ceremony run --confirm-file F)");
	/* QR codes are Unicode half blocks: an ASCII rendering of two
	 * characters a module would need 45 rows, so refuse plainly */
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		return airca_errf(AIRCA_ERR_USAGE, "airca tui needs a UTF-8 "
		    "locale to draw QR codes (this one's character set is "
		    "%.40s): run it as LANG=C.UTF-8 airca tui",
		    nl_langinfo(CODESET));
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return AIRCA_ERR_NOMEM;
	t->answer = -1;
	out_init_hook(&t->out, tui_out_line, t);
	if ((r = tui_draw_init(t)) != 0)
		goto out;
	drawing = true;
	if ((r = quiet_fds(saved)) != 0)
		goto out;
	/* every command the TUI runs (and ca_open, ca_warn) reports here */
	ctx->out = &t->out;
	prompt_set_pin_request_hook(tui_pin_hook, t);
	prompt_set_token_hook(tui_token_hook, t);
	if ((r = tui_state_init(t, ctx)) != 0)
		goto out;
	tui_loop(t);
	r = 0;
 out:
	prompt_set_pin_request_hook(NULL, NULL);
	prompt_set_token_hook(NULL, NULL);
	if (t != NULL) {
		tui_state_free(t);
		out_free(&t->out);
	}
	ctx->out = cli_out;
	restore_fds(saved);
	if (drawing)
		tui_draw_end();
	free(t);
	return r;
}

const struct cmd_entry cmd_tui_entry = {
	.name = "tui",
	.summary = "the officers' terminal UI: token, certificates, journal, "
	    "ceremonies, batch review",
	.flags = CMD_NO_CEREMONY,
	.exec = cmd_tui_exec,
};
