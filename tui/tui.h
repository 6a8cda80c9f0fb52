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
#include "cmd.h"
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
	char	cer_result[512];
	enum tui_class cer_result_cls;
	struct tui_qr qr_cer[TUI_QR_KEEP];	/* the SHA-256s shown, newest last */
	size_t	nqr_cer;
	size_t	qr_at;			/* the one in the QR pane */

	/* batch review */
	struct tui_batch *batch;

	/* what core commands print, captured off the screen */
	int	capfd;
	off_t	capoff;
	char	cappart[1024];		/* a line not yet ended */
	size_t	cappartlen;
};

/* ---- tui.c: the loop and modal input (no curses) ---- */

/* Run the loop until *stop is true or the operator quits. */
void	tui_loop(struct tui *t, const bool *stop);

/*
 * Ask for a line in a field below the current screen: 0 and buf filled
 * (NUL-terminated), or AIRCA_ERR_CANCELLED (Esc, or quitting).  secret:
 * nothing typed is drawn; the field is wiped after.
 */
int	tui_prompt(struct tui *t, const char *prompt, bool secret,
	    bool esc_cancels, char *buf, size_t size);

/* A yes/no question; true for yes. */
bool	tui_ask(struct tui *t, const char *question);

/* Move what core commands printed into the ceremony log / status line. */
void	tui_capture_drain(struct tui *t);

/* ---- tui-state.c: what is on screen ---- */
int	tui_state_init(struct tui *t, struct cmd_ctx *ctx);
void	tui_state_free(struct tui *t);
void	tui_apply(struct tui *t, struct tui_act act);
void	tui_status(struct tui *t, enum tui_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reload home, registry, journal summary (after anything changed them). */
void	tui_reload(struct tui *t);
/* Lines of the list shown on screen s (for scrolling). */
size_t	tui_list_len(const struct tui *t, enum tui_screen s);
/* Help text for the current screen: NULL-terminated lines. */
const char *const *tui_help(const struct tui *t);
const char *tui_screen_name(enum tui_screen s);

int	tui_text_add(struct tui_text *x, enum tui_class cls, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
void	tui_text_clear(struct tui_text *x);
int	tui_qr_set(struct tui_qr *q, const char *label, const char *hex);
void	tui_qr_clear(struct tui_qr *q);
/* Add to the ceremony's QR codes (the oldest drops off) and show it. */
void	tui_qr_push(struct tui *t, const char *label, const char *hex);
void	tui_qr_reset(struct tui *t);

/* tui-token.c: the token screen and the PIN hook */
void	tui_token_refresh(struct tui *t);
void	tui_token_login(struct tui *t);
void	tui_token_close(struct tui *t);
struct pin_request;
int	tui_pin_hook(void *arg, const struct pin_request *req, char *buf,
	    size_t size);
int	tui_token_hook(void *arg, const char *what, unsigned attempt);

/* tui-ceremony.c: the ceremony screen, a front end of ceremony_run() */
void	tui_ceremony_scan(struct tui *t);
void	tui_ceremony_start(struct tui *t);

/* tui-batch.c: the batch review screen */
void	tui_batch_apply(struct tui *t, struct tui_act act);
void	tui_batch_free(struct tui *t);
size_t	tui_batch_len(const struct tui *t);
size_t	tui_batch_approved(const struct tui_batch *b);

/* ---- tui-input.c: keys to actions ---- */
struct tui_act tui_input(const struct tui *t, int key);

/* ---- tui-draw.c: the only code that calls curses ---- */
int	tui_draw_init(struct tui *t);
void	tui_draw(struct tui *t);
int	tui_draw_key(void);
void	tui_draw_end(void);

#endif
