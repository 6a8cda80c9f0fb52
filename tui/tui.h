/*
 * tui.h: the terminal UI (airca tui).  Three rooms, as in tmux: state
 * (tui-state.c and the screen files: what is on screen and why), drawing
 * (tui-draw.c: the only code that calls curses) and input (tui-input.c:
 * keys to actions).  No curses in this header.
 */
#ifndef AIRCA_TUI_H
#define AIRCA_TUI_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "batch.h"
#include "ceremony.h"
#include "ctx.h"
#include "out.h"
#include "journal.h"
#include "registry.h"
#include "token.h"

#define TUI_MIN_COLS	80
#define TUI_MIN_ROWS	24
#define TUI_FIELD_MAX	256
#define TUI_MAX_LINES	200000	/* log lines kept */
#define TUI_JOURNAL_VIEW 20000	/* journal entries listed: the newest */
#define TUI_SOON_DAYS	30	/* expiry highlighted this many days ahead */
#define TUI_QR_KEEP	8	/* a ceremony's last SHA-256s, for the QR pane */

enum tui_screen {
	SCR_HOME = 0,
	SCR_TOKEN,
	SCR_CERTS,
	SCR_JOURNAL,
	SCR_CEREMONY,
	SCR_BATCH,
	SCR_N
};

/* Keys as the input room sees them: bytes, or these (drawing translates). */
enum tui_key {
	TK_NONE = 0,
	TK_UP = 0x110000,
	TK_DOWN, TK_LEFT, TK_RIGHT, TK_PGUP, TK_PGDN, TK_HOME, TK_END,
	TK_ENTER, TK_ESC, TK_TAB, TK_BACKSPACE, TK_RESIZE, TK_F1, TK_EOF,
	TK_CTRL_C,		/* raw mode: a key, not a signal */
};

enum tui_action {
	ACT_NONE = 0,
	ACT_QUIT,		/* q: quit (asks while a ceremony is open) */
	ACT_HELP,		/* ?: toggle help for the screen */
	ACT_SCREEN,		/* 1..6: arg = screen */
	ACT_UP, ACT_DOWN, ACT_PGUP, ACT_PGDN, ACT_TOP, ACT_BOTTOM,
	ACT_PANE,		/* Tab */
	ACT_OPEN,		/* Enter */
	ACT_BACK,		/* Esc */
	ACT_SEARCH,		/* / */
	ACT_REFRESH,		/* r */
	ACT_LOGIN,		/* l */
	ACT_LOGOUT,		/* o */
	ACT_VERIFY,		/* v */
	ACT_TOGGLE,		/* space: select */
	ACT_ALL,		/* a: approve all */
	ACT_SIGN,		/* s: sign the approved */
	ACT_FIELD_CHAR,		/* arg = byte */
	ACT_FIELD_BS,
	ACT_FIELD_SUBMIT,
	ACT_FIELD_LEAVE,	/* Esc in a field */
	ACT_YES, ACT_NO,	/* dialog */
	ACT_QR_PREV, ACT_QR_NEXT,	/* Left/Right in the QR pane */
};

struct tui_act {
	enum tui_action a;
	int	arg;
};

/* Classes of text: drawing maps them to attributes (colour only as an aid). */
enum tui_class {
	TC_NORMAL = 0, TC_BOLD, TC_DIM, TC_OK, TC_WARN, TC_ERR, TC_SEL,
};

struct tui_line {
	char	*text;
	enum tui_class cls;
};

/* A growing list of lines (the ceremony log, the journal view). */
struct tui_text {
	struct tui_line *v;
	size_t	n, cap;
};

/* A text field the operator types into (names, search, the PIN). */
struct tui_field {
	char	prompt[512];
	char	buf[TUI_FIELD_MAX];
	size_t	len;
	bool	secret;			/* no echo: nothing of it is drawn */
	bool	done, cancelled;
	bool	leave_cancels;		/* Esc cancels (else: leaves to the panes) */
};

/* A QR code and what it encodes, for the QR pane. */
struct tui_qr {
	char	label[256];
	char	hex[SHA256_HEX_LEN + 1];
	char	**lines;
	size_t	n;
};

struct tui_cert_row {
	const struct reg_entry *e;
	char	expires[11];
	enum tui_class cls;		/* TC_ERR expired, TC_WARN soon */
	const char *mark;		/* "EXPIRED", "soon", "" */
};

struct tui_script {
	char	*path;
	char	*title;			/* NULL: did not parse; err says why */
	char	*err;
};

#define TUI_BATCH_MAX_ITEMS	20000	/* requests listed for review; the rest are counted */

/* The batch review: what batch_scan() judged, what the officers approved, signing progress. */
struct tui_batch {
	char	calabel[128];
	char	indir[PATH_MAX];
	char	outdir[PATH_MAX];
	struct batch_item *items;
	size_t	nitems, cap;
	bool	*approved;
	struct batch_counts counts;
	char	tree[SHA256_HEX_LEN + 1];	/* input tree hash of the scan */
	bool	scanned;
	bool	signing;
	struct batch_progress prog;
	bool	have_prog;
	char	result[512];
	enum tui_class result_cls;
};

struct tui {
	struct cmd_ctx *ctx;
	enum tui_screen screen;
	bool	help;
	bool	quit;
	int	rows, cols;		/* set by drawing */
	size_t	sel[SCR_N], top[SCR_N];
	int	pane[SCR_N];
	char	status[512];
	enum tui_class status_cls;

	/* modal input: a field, a yes/no question */
	struct tui_field *field;
	bool	field_focus;
	const char *question;
	int	answer;			/* -1 waiting, 0 no, 1 yes */

	/* home */
	char	home_err[512];
	char	factory[128];
	char	hsm_name[64];
	char	token_line[256];
	struct registry *reg;
	struct tui_text tree;
	unsigned long jentries;
	char	jhead[SHA256_HEX_LEN + 1];
	unsigned long seal_seq;
	char	seal_time[32];
	char	seal_hex[SHA256_HEX_LEN + 1];

	/* token */
	struct token *tok;
	struct token_info *slots;
	size_t	nslots;
	struct token_key_info *keys;
	size_t	nkeys;
	char	token_err[512];

	/* certificates */
	struct tui_cert_row *rows_all;
	size_t	nrows_all;
	size_t	*shown;			/* indexes into rows_all after search */
	size_t	nshown;
	char	search[TUI_FIELD_MAX];
	bool	detail;
	struct tui_qr qr_cert;
	char	detail_hash[9];		/* subject hash of the stored certificate */
	char	detail_check[256];	/* does the stored file match the registry? */
	enum tui_class detail_cls;

	/* journal */
	struct tui_text jlines;
	char	verify[512];
	enum tui_class verify_cls;

	/* ceremony */
	struct tui_script *scripts;
	size_t	nscripts;
	char	scripts_dir[PATH_MAX];
	bool	cer_open;		/* a ceremony is running */
	bool	cer_abort;		/* the operator asked to abort */
	bool	quit_after;		/* quit once the runner has journaled the abort */
	bool	cer_ran;		/* the log holds a ceremony */
	struct tui_text log;
	bool	log_follow;
	char	cer_step[256];		/* "Step 5 of 8: run (by officer)" */
	struct batch_progress cer_prog;	/* of the step running, if it reports any */
	bool	cer_have_prog;
	char	cer_result[512];
	enum tui_class cer_result_cls;
	struct tui_qr qr_cer[TUI_QR_KEEP];	/* the SHA-256s shown, newest last */
	size_t	nqr_cer;
	size_t	qr_at;			/* the one in the QR pane */

	/* batch review */
	struct tui_batch *batch;

	/* the sink commands report through while the TUI runs (tui.c) */
	struct out out;
};

/* ---- tui.c: the loop and modal input (no curses) ---- */

/*
 * The main loop: draw, read a key, map it to an action, apply it, until the
 * operator quits (or the terminal goes away).  Modal input (tui_prompt,
 * tui_ask) runs the same round from inside an action, so that the core can
 * ask its questions (the ceremony runner's callbacks, the PIN hook) while
 * it runs.
 */
void	tui_loop(struct tui *t);

/*
 * Ask for a line in a field below the current screen: 0 and buf filled
 * (NUL-terminated), or AIRCA_ERR_CANCELLED (Esc, or quitting).  secret:
 * nothing typed is drawn; the field is wiped after.
 */
int	tui_prompt(struct tui *t, const char *prompt, bool secret,
	    bool esc_cancels, char *buf, size_t size);

/* A yes/no question; true for yes. */
bool	tui_ask(struct tui *t, const char *question);


/* ---- tui-state.c: what is on screen ---- */

/* Load the home, registry, journal and scripts for ctx (borrowed); 0. */
int	tui_state_init(struct tui *t, struct cmd_ctx *ctx);
/* Close the token and free everything the state holds (not t itself). */
void	tui_state_free(struct tui *t);
/* Apply one action: the only place the state changes on a key. */
void	tui_apply(struct tui *t, struct tui_act act);
/* The status line (one line, truncated to fit). */
void	tui_status(struct tui *t, enum tui_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reload home, registry and journal summary (after anything changed them). */
void	tui_reload(struct tui *t);
/* Rows of the list shown on screen s (for scrolling). */
size_t	tui_list_len(const struct tui *t, enum tui_screen s);
/* Help for the current screen: NULL-terminated lines, static. */
const char *const *tui_help(const struct tui *t);
/* "Home", "Token", ...; never NULL. */
const char *tui_screen_name(enum tui_screen s);

/* Append a formatted line (owned by x); AIRCA_ERR_NOMEM past TUI_MAX_LINES. */
int	tui_text_add(struct tui_text *x, enum tui_class cls, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
void	tui_text_clear(struct tui_text *x);
/* Fill q with hex drawn as a QR code (qr_lines()); 0 or its error. */
int	tui_qr_set(struct tui_qr *q, const char *label, const char *hex);
void	tui_qr_clear(struct tui_qr *q);
/* Add to the ceremony's QR codes (the oldest drops off) and show it. */
void	tui_qr_push(struct tui *t, const char *label, const char *hex);
void	tui_qr_reset(struct tui *t);

/*
 * tui-token.c: the token screen.  The TUI holds the token open only on
 * that screen's behalf; ceremonies and batches close it first (one
 * libp11 context per process).  The hooks are set for the core's prompt
 * module while the TUI runs: PINs and "insert token" come here.
 */
void	tui_token_refresh(struct tui *t);
void	tui_token_login(struct tui *t);
void	tui_token_close(struct tui *t);
struct pin_request;
/* prompt's request hook: a no-echo field; 0, or AIRCA_ERR_CANCELLED on Esc. */
int	tui_pin_hook(void *arg, const struct pin_request *req, char *buf,
	    size_t size);
/* prompt's token hook: asks; 0 to look again, AIRCA_ERR_CANCELLED to give up. */
int	tui_token_hook(void *arg, const char *what, unsigned attempt);

/*
 * tui-ceremony.c: the ceremony screen.  tui_ceremony_start() asks the
 * selected script's parameters and runs ceremony_run() with this front
 * end's callbacks; it returns when the ceremony is sealed or aborted.
 */
void	tui_ceremony_scan(struct tui *t);
void	tui_ceremony_start(struct tui *t);

/*
 * tui-batch.c: the batch review screen over src/batch.h: Enter scans
 * (batch_scan(), nothing signed or journaled), Space/a approve, s signs
 * (batch_sign() with the scan's tree hash) with progress.
 */
void	tui_batch_apply(struct tui *t, struct tui_act act);
void	tui_batch_free(struct tui *t);
size_t	tui_batch_len(const struct tui *t);
size_t	tui_batch_approved(const struct tui_batch *b);

/* ---- tui-input.c: keys to actions (pure: reads the state, changes nothing) ---- */
struct tui_act tui_input(const struct tui *t, int key);

/*
 * ---- tui-draw.c: the only code that calls curses ----
 * tui_draw_init() starts ncursesw on its own copies of the terminal's
 * descriptors (fd 1 and 2 then go to /dev/null) and honours NO_COLOR; 0 or
 * AIRCA_ERR_USAGE/IO.  tui_draw() lays the whole screen out from t (it
 * sets t->rows, t->cols and keeps the selection in view).  tui_draw_key()
 * blocks for one key: a byte, or a TK_* code (TK_RESIZE after a resize,
 * TK_EOF once the terminal is gone).
 */
int	tui_draw_init(struct tui *t);
void	tui_draw(struct tui *t);
int	tui_draw_key(void);
void	tui_draw_end(void);

#endif
