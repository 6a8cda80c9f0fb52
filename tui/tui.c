/* tui.c: airca tui: the command entry, the event loop, modal prompts, and what core commands print kept off the screen. */
#include <sys/mman.h>

#include <errno.h>
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
		tui_capture_drain(t);
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

		tui_capture_drain(t);
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

/* Lines core commands printed: into the ceremony log while one runs, else the status line. */
static void
capture_line(struct tui *t, const char *line)
{
	const char *p;

	/* QR codes printed by commands: the TUI draws its own (Tab) */
	if (strstr(line, "\xe2\x96\x88") != NULL ||
	    strstr(line, "\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80") != NULL)
		return;
	for (p = line; *p == ' '; p++)
		;
	if (*p == '\0' && !t->cer_open)
		return;
	if (t->cer_open)
		tui_text_add(&t->log, strncmp(p, "airca: warning", 14) == 0 ?
		    TC_WARN : TC_DIM, "%s", line);
	else if (*p != '\0')
		tui_status(t, strncmp(p, "airca: warning", 14) == 0 ? TC_WARN :
		    TC_NORMAL, "%s", p);
}

void
tui_capture_drain(struct tui *t)
{
	char buf[4096];
	ssize_t n;
	size_t i;

	if (t->capfd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	while ((n = pread(t->capfd, buf, sizeof(buf), t->capoff)) > 0) {
		t->capoff += n;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] == '\n' || t->cappartlen + 1 >=
			    sizeof(t->cappart)) {
				t->cappart[t->cappartlen] = '\0';
				capture_line(t, t->cappart);
				t->cappartlen = 0;
				if (buf[i] == '\n')
					continue;
			}
			if ((unsigned char)buf[i] >= 0x20 || buf[i] == '\t')
				t->cappart[t->cappartlen++] = buf[i] == '\t' ?
				    ' ' : buf[i];
		}
	}
}

/*
 * Keep what the core prints (commands narrate on stdout, warn on stderr)
 * off the curses screen: fd 1 and 2 go to a memory file that the loop
 * reads into the log; curses gets the terminal through its own fds.
 */
static int
capture_start(struct tui *t, int saved[2])
{
	fflush(stdout);
	fflush(stderr);
	saved[0] = saved[1] = -1;
	if ((t->capfd = memfd_create("airca-tui-output", MFD_CLOEXEC)) == -1 ||
	    (saved[0] = dup(STDOUT_FILENO)) == -1 ||
	    (saved[1] = dup(STDERR_FILENO)) == -1 ||
	    dup2(t->capfd, STDOUT_FILENO) == -1 ||
	    dup2(t->capfd, STDERR_FILENO) == -1)
		return airca_errf(AIRCA_ERR_IO, "cannot capture output: %s",
		    strerror(errno));
	return 0;
}

static void
capture_stop(struct tui *t, int saved[2])
{
	fflush(stdout);
	fflush(stderr);
	if (saved[0] != -1) {
		dup2(saved[0], STDOUT_FILENO);
		close(saved[0]);
	}
	if (saved[1] != -1) {
		dup2(saved[1], STDERR_FILENO);
		close(saved[1]);
	}
	if (t->capfd != -1)
		close(t->capfd);
	t->capfd = -1;
}

static int
cmd_tui_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	struct tui *t = NULL;
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
	t->capfd = -1;
	t->answer = -1;
	if ((r = tui_draw_init(t)) != 0)
		goto out;
	drawing = true;
	if ((r = capture_start(t, saved)) != 0)
		goto out;
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
		capture_stop(t, saved);
	}
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
