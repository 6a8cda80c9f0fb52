/* tui-token.c: the token screen (slots, tokens, key objects), log in with a no-echo PIN field, and the PIN hook the core asks through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody.h"
#include "error.h"
#include "hsm.h"
#include "prompt.h"
#include "registry.h"
#include "token.h"
#include "tui.h"

#define PIN_MAX	256

void
tui_token_close(struct tui *t)
{
	token_close(t->tok);
	t->tok = NULL;
	free(t->keys);
	t->keys = NULL;
	t->nkeys = 0;
}

static void
token_err(struct tui *t, int r, const char *what)
{
	snprintf(t->token_err, sizeof(t->token_err), "%s: %s%s%s", what,
	    airca_strerror(r), *airca_errmsg() ? ": " : "", airca_errmsg());
	tui_status(t, TC_ERR, "%s", t->token_err);
}

void
tui_token_refresh(struct tui *t)
{
	struct hsm_profile prof;
	struct token_info *slots = NULL;
	struct token_key_info *keys = NULL;
	size_t n = 0, nk = 0;
	int r;

	t->token_err[0] = '\0';
	airca_errclear();
	if (t->ctx->hsm == NULL) {
		snprintf(t->token_err, sizeof(t->token_err), "no HSM profile: "
		    "start with --hsm PROFILE or set AIRCA_HSM");
		return;
	}
	if ((r = hsm_profile_load(t->ctx->hsm, &prof)) != 0) {
		token_err(t, r, "HSM profile");
		return;
	}
	if (t->tok == NULL) {
		/* listing is refused while a token is open: list, then open */
		if ((r = token_list(prof.module, &slots, &n)) != 0) {
			token_err(t, r, "token list");
			return;
		}
		free(t->slots);
		t->slots = slots;
		t->nslots = n;
		if ((r = token_open(&prof, &t->tok)) != 0) {
			t->tok = NULL;
			token_err(t, r, "open the token");
			return;
		}
	}
	if ((r = token_keys(t->tok, &keys, &nk)) != 0) {
		token_err(t, r, "key objects");
		return;
	}
	free(t->keys);
	t->keys = keys;
	t->nkeys = nk;
	if (t->sel[SCR_TOKEN] >= tui_list_len(t, SCR_TOKEN))
		t->sel[SCR_TOKEN] = 0;
}

void
tui_token_login(struct tui *t)
{
	const struct token_info *ti;
	struct pin_request req;
	char what[128], *pin = NULL;
	int r;

	if (t->tok == NULL)
		tui_token_refresh(t);
	if (t->tok == NULL)
		return;
	if (token_logged_in(t->tok)) {
		tui_status(t, TC_NORMAL, "already logged in");
		return;
	}
	ti = token_info(t->tok);
	/* init --pin-shares: K holders' shares, which only the CLI asks for yet */
	if (t->reg != NULL) {
		const struct custody_state *cs = registry_custody(t->reg);

		if (cs->pin_pol.k > 0 && strcmp(cs->pin_token, ti->serial) == 0) {
			snprintf(t->token_err, sizeof(t->token_err), "login: "
			    "this home logs in with %u of the %u shares of its "
			    "user PIN (set %s); the TUI cannot ask for them yet: "
			    "use the command line", cs->pin_pol.k,
			    cs->pin_pol.n, cs->pin_set_id);
			tui_status(t, TC_ERR, "%s", t->token_err);
			return;
		}
	}
	snprintf(what, sizeof(what), "User PIN for token '%s'", ti->label);
	/* calloc'd, not on the stack: wiped and freed on every path below */
	if ((pin = calloc(1, PIN_MAX)) == NULL)
		return;
	airca_errclear();
	memset(&req, 0, sizeof(req));
	req.what = what;
	req.attempt = req.attempts = 1;
	req.count_low = ti->pin_count_low;
	req.final_try = ti->pin_final_try;
	/* the request hook (tui_pin_hook) asks: never the terminal under curses */
	if ((r = prompt_pin_request(&t->ctx->pin, &req, pin, PIN_MAX)) == 0)
		r = token_login(t->tok, pin, strlen(pin));
	explicit_bzero(pin, PIN_MAX);
	free(pin);
	if (r != 0) {
		token_err(t, r, "login");
		return;
	}
	tui_token_refresh(t);
	tui_status(t, TC_OK, "logged in to '%s': %zu key objects visible",
	    ti->label, t->nkeys);
}

int
tui_pin_hook(void *arg, const struct pin_request *req, char *buf, size_t size)
{
	struct tui *t = arg;
	char prompt[512], extra[320] = "";
	size_t o = 0;

	if (req->attempt > 1 || req->attempts > 1)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " attempt "
		    "%u of %u.", req->attempt, req->attempts);
	if (req->final_try && o < sizeof(extra))
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " FINAL "
		    "TRY: one more wrong PIN locks the token.");
	else if (req->count_low && o < sizeof(extra))
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " The "
		    "token has counted wrong PINs.");
	if (req->previous != NULL && o < sizeof(extra))
		snprintf(extra + o, sizeof(extra) - o, " (%.200s)",
		    req->previous);
	snprintf(prompt, sizeof(prompt), "%s (not shown; Esc cancels):%s",
	    req->what, extra);
	if (req->final_try || req->previous != NULL)
		tui_status(t, TC_WARN, "%s", extra + 1);
	return tui_prompt(t, prompt, true, true, buf, size);
}

int
tui_token_hook(void *arg, const char *what, unsigned attempt)
{
	struct tui *t = arg;
	char q[384];

	snprintf(q, sizeof(q), "%s%s. Insert it, then y to look again; n gives "
	    "up. [y/N]", what, attempt > 1 ? " (still not found)" : "");
	return tui_ask(t, q) ? 0 : airca_errf(AIRCA_ERR_CANCELLED, "the token "
	    "was not inserted");
}
