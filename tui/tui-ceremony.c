/* tui-ceremony.c: the ceremony screen: pick a script, enter its parameters, and be ceremony_run()'s front end (the same runner as 'airca ceremony run'). */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony.h"
#include "cmd.h"
#include "datadir.h"
#include "error.h"
#include "tui.h"
#include "util.h"

#define PARAM_TRIES	5

static int
script_cmp(const void *a, const void *b)
{
	const struct tui_script *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/*
 * Where the scripts are: $AIRCA_SCRIPTS, ./ceremony-scripts (the PKI
 * engineer's prepared set), then datadir_list(): beside the installed
 * binary, the compiled-in prefix, the source tree (resolved, no "..").
 */
static bool
scripts_dir(char *out, size_t size)
{
	char dirs[2 + DATADIR_MAX][PATH_MAX];
	const char *env;
	struct stat st;
	size_t i, nd = 0;

	if ((env = getenv("AIRCA_SCRIPTS")) != NULL && *env != '\0')
		snprintf(dirs[nd++], PATH_MAX, "%s", env);
	snprintf(dirs[nd++], PATH_MAX, "ceremony-scripts");
	nd += datadir_list("ceremony-scripts", dirs + nd, DATADIR_MAX);
	for (i = 0; i < nd; i++)
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    strlen(dirs[i]) < size) {
			memcpy(out, dirs[i], strlen(dirs[i]) + 1);
			return true;
		}
	return false;
}

void
tui_ceremony_scan(struct tui *t)
{
	struct tui_script *v = NULL, *nv;
	struct ceremony *c = NULL;
	struct dirent *de;
	DIR *d = NULL;
	char path[PATH_MAX];
	size_t i, n = 0, cap = 0, len;

	for (i = 0; i < t->nscripts; i++) {
		free(t->scripts[i].path);
		free(t->scripts[i].title);
		free(t->scripts[i].err);
	}
	free(t->scripts);
	t->scripts = NULL;
	t->nscripts = 0;
	if (!scripts_dir(t->scripts_dir, sizeof(t->scripts_dir)) ||
	    (d = opendir(t->scripts_dir)) == NULL) {
		t->scripts_dir[0] = '\0';
		return;
	}
	while ((de = readdir(d)) != NULL && n < 256) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 10 ||
		    strcmp(de->d_name + len - 9, ".ceremony") != 0)
			continue;
		if (path_join(path, sizeof(path), t->scripts_dir,
		    de->d_name) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].path = xstrdup(path);
		airca_errclear();
		if (ceremony_load(path, cmd_find, &c) == 0)
			v[n].title = xstrdup(c->title);
		else
			v[n].err = xstrdup(airca_errmsg());
		ceremony_free(c);
		c = NULL;
		if (v[n].path == NULL) {
			free(v[n].title);
			free(v[n].err);
			continue;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), script_cmp);
	t->scripts = v;
	t->nscripts = n;
	airca_errclear();
}

/* ---- the runner's front end ---- */

static enum tui_class
line_class(const char *text)
{
	if (strncmp(text, "CEREMONY ABORTED", 16) == 0 ||
	    strncmp(text, "  airca ", 8) == 0)
		return TC_ERR;
	if (strncmp(text, "Step ", 5) == 0 || strncmp(text, "Ceremony", 8) == 0)
		return TC_BOLD;
	if (strncmp(text, "  WARNING", 9) == 0)
		return TC_WARN;
	if (strncmp(text, "  confirmed by", 14) == 0)
		return TC_OK;
	return TC_NORMAL;
}

static void
cer_show(void *arg, const char *text)
{
	struct tui *t = arg;

	tui_text_add(&t->log, line_class(text), "%s", text);
	if (strncmp(text, "Step ", 5) == 0) {
		snprintf(t->cer_step, sizeof(t->cer_step), "%s", text);
		t->cer_have_prog = false;
	}
	tui_draw(t);		/* long steps: the room sees progress */
}

/* A step's command reports progress (batch sign): the bar on the last row. */
static void
cer_progress(void *arg, const struct batch_progress *p)
{
	struct tui *t = arg;

	t->cer_prog = *p;
	t->cer_have_prog = true;
	tui_draw(t);
}

static int
cer_participant(void *arg, const char *role, unsigned nth, unsigned count,
    char *name, size_t size)
{
	struct tui *t = arg;
	char prompt[160];
	int r;

	snprintf(prompt, sizeof(prompt), "Name of %s %u of %u:", role, nth + 1,
	    count);
	do {
		if ((r = tui_prompt(t, prompt, false, false, name, size)) != 0)
			return r;
	} while (name[0] == '\0');
	tui_text_add(&t->log, TC_NORMAL, "  %s %u: %s", role, nth + 1, name);
	return 0;
}

static int
cer_confirm(void *arg, const struct ceremony_step *s, const char *role,
    char *name, size_t size)
{
	struct tui *t = arg;
	char prompt[200];
	int r;

	snprintf(prompt, sizeof(prompt), "Step %u: the %s types their name to "
	    "confirm ('abort' aborts):", s->n, role);
	do {
		if ((r = tui_prompt(t, prompt, false, false, name, size)) != 0)
			return r;
	} while (name[0] == '\0');
	if (strcmp(name, "abort") == 0)
		return airca_errf(AIRCA_ERR_CANCELLED, "step %u aborted in the "
		    "terminal UI", s->n);
	return 0;
}

static void
cer_sha256(void *arg, const char *what, const char *hex)
{
	struct tui *t = arg;
	char label[256];

	snprintf(label, sizeof(label), "SHA-256 of %s", what);
	tui_qr_push(t, label, hex);
	tui_text_add(&t->log, TC_DIM, "    (Tab: this SHA-256 as a QR code)");
}

/* Ask the script's parameters; 0 when all are set. */
static int
ask_params(struct tui *t, struct ceremony *c)
{
	char prompt[CEREMONY_MAX_VALUE], value[CEREMONY_MAX_VALUE];
	char assign[CEREMONY_MAX_NAME + CEREMONY_MAX_VALUE + 2];
	size_t i, tries;
	int r = 0;

	for (i = 0; i < c->nparams; i++) {
		for (tries = 0;; tries++) {
			snprintf(prompt, sizeof(prompt), "%s (%s):",
			    c->params[i].name, c->params[i].desc);
			if ((r = tui_prompt(t, prompt, false, true, value,
			    sizeof(value))) != 0)
				return r;
			snprintf(assign, sizeof(assign), "%s=%s",
			    c->params[i].name, value);
			airca_errclear();
			if ((r = ceremony_set_param(c, assign)) == 0)
				break;
			tui_status(t, TC_ERR, "%s", airca_errmsg());
			if (tries + 1 >= PARAM_TRIES)
				return r;
		}
		tui_text_add(&t->log, TC_NORMAL, "  parameter %s = %s",
		    c->params[i].name, c->params[i].value);
	}
	return 0;
}

void
tui_ceremony_start(struct tui *t)
{
	struct ceremony *c = NULL;
	struct ceremony_ui ui;
	const struct tui_script *s;
	char id[96], groups[SHA256_HEX_LEN * 5 / 4 + 1], label[160];
	char reason[512];
	int r;

	if (t->nscripts == 0) {
		tui_status(t, TC_WARN, "no ceremony scripts found (set "
		    "AIRCA_SCRIPTS or run from the directory that holds "
		    "ceremony-scripts/)");
		return;
	}
	s = &t->scripts[t->sel[SCR_CEREMONY]];
	airca_errclear();
	if ((r = ceremony_load(s->path, cmd_find, &c)) != 0) {
		tui_status(t, TC_ERR, "%s", airca_errmsg());
		return;
	}
	tui_text_clear(&t->log);
	tui_qr_reset(t);
	t->cer_result[0] = t->cer_step[0] = '\0';
	t->cer_ran = true;
	t->log_follow = true;
	t->pane[SCR_CEREMONY] = 0;
	tui_text_add(&t->log, TC_BOLD, "%s (%s)", c->title, s->path);
	if ((r = ask_params(t, c)) != 0) {
		snprintf(t->cer_result, sizeof(t->cer_result), "not started: "
		    "%s", airca_errmsg());
		t->cer_result_cls = TC_WARN;
		t->cer_ran = false;
		goto out;
	}
	/* the steps' commands open the token themselves: one at a time */
	tui_token_close(t);
	memset(&ui, 0, sizeof(ui));
	ui.arg = t;
	ui.interactive = true;
	ui.source = "keyboard (terminal UI)";
	ui.show = cer_show;
	ui.find = cmd_find;
	ui.run = cmd_run;
	ui.participant = cer_participant;
	ui.confirm = cer_confirm;
	ui.sha256 = cer_sha256;
	t->cer_open = true;
	t->cer_abort = false;
	t->cer_have_prog = false;
	airca_errclear();
	/* the steps run under a copy of ctx: they report progress here */
	t->ctx->progress = cer_progress;
	t->ctx->progress_arg = t;
	r = ceremony_run(c, t->ctx, &ui, id, sizeof(id));
	t->ctx->progress = NULL;
	t->ctx->progress_arg = NULL;
	snprintf(reason, sizeof(reason), "%s", airca_errmsg());
	t->cer_open = false;
	t->cer_step[0] = '\0';
	tui_reload(t);
	if (r == 0 || r == AIRCA_ERR_PARTIAL) {
		hex_groups(t->seal_hex, groups, sizeof(groups));
		tui_text_add(&t->log, TC_OK, "Seal SHA-256 (journal seq %lu):",
		    t->seal_seq);
		tui_text_add(&t->log, TC_OK, "  %.39s", groups);
		tui_text_add(&t->log, TC_OK, "  %s", groups + 40);
		tui_text_add(&t->log, TC_DIM, "  (Tab: the seal as a QR code; "
		    "Esc: back to the scripts)");
		snprintf(label, sizeof(label), "seal of %s", id);
		tui_qr_push(t, label, t->seal_hex);
		snprintf(t->cer_result, sizeof(t->cer_result), "Ceremony %s "
		    "sealed.%s", id, r == AIRCA_ERR_PARTIAL ? " Some inputs "
		    "were refused by policy: see the log and the ceremony "
		    "report." : "");
		t->cer_result_cls = r == 0 ? TC_OK : TC_WARN;
	} else {
		snprintf(t->cer_result, sizeof(t->cer_result), "CEREMONY "
		    "ABORTED (journal intact; Esc: back): %s%s%.400s",
		    airca_strerror(r), *reason ? ": " : "", reason);
		t->cer_result_cls = TC_ERR;
	}
	tui_status(t, t->cer_result_cls, "%s", t->cer_result);
	t->log_follow = true;
	if (t->quit_after)
		t->quit = true;
 out:
	ceremony_free(c);
}
