/* tui-batch.c: the batch review screen: batch_scan() judges a directory of device requests, the officers approve, batch_sign() signs with progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "ca.h"
#include "error.h"
#include "tui.h"

size_t
tui_batch_len(const struct tui *t)
{
	return t->batch != NULL ? t->batch->nitems : 0;
}

size_t
tui_batch_approved(const struct tui_batch *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->nitems; i++)
		if (b->approved[i])
			n++;
	return n;
}

void
tui_batch_free(struct tui *t)
{
	if (t->batch == NULL)
		return;
	free(t->batch->items);
	free(t->batch->approved);
	free(t->batch);
	t->batch = NULL;
}

static int
scan_item(void *arg, const struct batch_item *it)
{
	struct tui_batch *b = arg;
	struct batch_item *ni;
	bool *na;
	size_t cap;

	if (b->nitems == TUI_BATCH_MAX_ITEMS)
		return 0;		/* counted by the scan, not listed */
	if (b->nitems == b->cap) {
		cap = b->cap ? b->cap * 2 : 64;
		if ((ni = reallocarray(b->items, cap, sizeof(*ni))) == NULL)
			return AIRCA_ERR_NOMEM;
		b->items = ni;
		if ((na = reallocarray(b->approved, cap, sizeof(*na))) == NULL)
			return AIRCA_ERR_NOMEM;
		b->approved = na;
		b->cap = cap;
	}
	b->items[b->nitems] = *it;
	b->approved[b->nitems] = false;
	b->nitems++;
	return 0;
}

static void
batch_progress(void *arg, const struct batch_progress *p)
{
	struct tui *t = arg;

	t->batch->prog = *p;
	t->batch->have_prog = true;
	tui_draw(t);		/* the room watches the count grow */
}

/* Ask the CA label and the input directory, then judge every request. */
static void
batch_review(struct tui *t)
{
	struct tui_batch *b;
	struct batch_hooks hooks;
	struct batch *bt = NULL;
	struct ca ca;
	int r;

	tui_batch_free(t);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return;
	t->batch = b;		/* owned by t from here on */
	if (tui_prompt(t, "Device CA token label (its LABEL on screen 3, e.g. "
	    "airca-dca-USERID):", false, true, b->calabel,
	    sizeof(b->calabel)) != 0 ||
	    tui_prompt(t, "Directory of device CSRs (on the removable media):",
	    false, true, b->indir, sizeof(b->indir)) != 0) {
		tui_batch_free(t);
		return;
	}
	tui_status(t, TC_NORMAL, "reading and judging %s ...", b->indir);
	tui_draw(t);
	memset(&hooks, 0, sizeof(hooks));
	hooks.item = scan_item;
	hooks.arg = b;
	airca_errclear();
	if ((r = ca_open(&ca, t->ctx, "batch review", CA_HOME)) == 0 &&
	    (r = batch_open(&ca, b->calabel, b->indir, &bt)) == 0)
		r = batch_scan(bt, &hooks, &b->counts, b->tree);
	batch_free(bt);
	if (r != 0) {
		snprintf(b->result, sizeof(b->result), "cannot review: %s%s%.400s",
		    airca_strerror(r), *airca_errmsg() ? ": " : "",
		    airca_errmsg());
		b->result_cls = TC_ERR;
		b->nitems = 0;
	} else {
		b->scanned = true;
		snprintf(b->result, sizeof(b->result), "%zu requests: %zu to "
		    "sign, %zu signed before, %zu rejected.  Space approves one, "
		    "a all; s signs.", b->counts.total, b->counts.accepted,
		    b->counts.skipped, b->counts.rejected);
		b->result_cls = b->counts.rejected ? TC_WARN : TC_OK;
	}
	ca_close(&ca, 0);
	tui_status(t, b->result_cls, "%s", b->result);
	t->sel[SCR_BATCH] = t->top[SCR_BATCH] = 0;
}

static void
batch_sign_now(struct tui *t)
{
	struct tui_batch *b = t->batch;
	struct batch_hooks hooks;
	struct batch_result res;
	struct batch *bt = NULL;
	struct ca ca;
	char q[PATH_MAX + 256];
	size_t i, unapproved = 0, approved;
	int r;

	for (i = 0; i < b->nitems; i++)
		if (b->items[i].verdict == BATCH_ACCEPT && !b->approved[i])
			unapproved++;
	approved = tui_batch_approved(b);
	if (approved == 0) {
		tui_status(t, TC_WARN, "nothing approved: Space approves a "
		    "request, a approves all");
		return;
	}
	/*
	 * Requests the policy accepts but the officers did not approve are
	 * left out (batch_leave_out): rejected "not approved at review",
	 * journaled, listed in rejected.txt.  A review that did not hold every
	 * request cannot say which ones were seen, so it signs nothing.
	 */
	if (b->counts.total > b->nitems) {
		tui_status(t, TC_WARN, "the review holds %zu of %zu requests: "
		    "split the batch", b->nitems, b->counts.total);
		return;
	}
	if (tui_prompt(t, "Output directory for the certificates (on the "
	    "media; must not exist yet or hold this batch):", false, true,
	    b->outdir, sizeof(b->outdir)) != 0)
		return;
	if (unapproved > 0)
		snprintf(q, sizeof(q), "Sign %zu requests with %s into %.200s, "
		    "leaving out %zu not approved? The token's PIN is asked "
		    "next. [y/N]", approved, b->calabel, b->outdir, unapproved);
	else
		snprintf(q, sizeof(q), "Sign %zu requests with %s into %.200s? "
		    "The token's PIN is asked next. [y/N]", approved, b->calabel,
		    b->outdir);
	if (!tui_ask(t, q))
		return;
	tui_token_close(t);	/* one token session per process */
	memset(&hooks, 0, sizeof(hooks));
	memset(&res, 0, sizeof(res));
	hooks.progress = batch_progress;
	hooks.arg = t;
	b->signing = true;
	b->have_prog = false;
	airca_errclear();
	if ((r = ca_open(&ca, t->ctx, "batch sign", CA_HOME | CA_WRITE |
	    CA_TOKEN)) == 0 &&
	    (r = batch_open(&ca, b->calabel, b->indir, &bt)) == 0) {
		for (i = 0; r == 0 && i < b->nitems; i++)
			if (b->items[i].verdict == BATCH_ACCEPT &&
			    !b->approved[i])
				r = batch_leave_out(bt, b->items[i].index);
		if (r == 0)
			r = batch_sign(bt, b->outdir, b->tree, &hooks, &res);
	}
	batch_free(bt);
	b->signing = false;
	if (r == 0 || r == AIRCA_ERR_PARTIAL) {
		snprintf(b->result, sizeof(b->result), "signed %zu, skipped %zu, "
		    "rejected %zu of %zu in %.1fs into %.200s; SHA256SUMS "
		    "SHA-256 %.16s...", res.counts.accepted, res.counts.skipped,
		    res.counts.rejected, res.counts.total, res.seconds,
		    b->outdir, res.out_tree);
		b->result_cls = r == 0 ? TC_OK : TC_WARN;
		r = ca_close(&ca, 0);
	} else {
		snprintf(b->result, sizeof(b->result), "batch stopped: %s%s"
		    "%.400s", airca_strerror(r), *airca_errmsg() ? ": " : "",
		    airca_errmsg());
		b->result_cls = TC_ERR;
		ca_close(&ca, r);
	}
	tui_status(t, b->result_cls, "%s", b->result);
	b->scanned = false;	/* signed: a new review for the next one */
	tui_reload(t);
}

void
tui_batch_apply(struct tui *t, struct tui_act act)
{
	struct tui_batch *b = t->batch;
	size_t i;

	if (t->cer_open) {
		tui_status(t, TC_WARN, "a ceremony is open");
		return;
	}
	switch (act.a) {
	case ACT_OPEN:
		batch_review(t);
		break;
	case ACT_BACK:
		tui_batch_free(t);
		break;
	case ACT_TOGGLE:
		if (b == NULL || !b->scanned || t->sel[SCR_BATCH] >= b->nitems)
			break;
		i = t->sel[SCR_BATCH];
		if (b->items[i].verdict != BATCH_ACCEPT) {
			tui_status(t, TC_WARN, "%s is %s: only requests the "
			    "policy accepts can be approved", b->items[i].file,
			    batch_verdict_name(b->items[i].verdict));
			break;
		}
		b->approved[i] = !b->approved[i];
		if (t->sel[SCR_BATCH] + 1 < b->nitems)
			t->sel[SCR_BATCH]++;
		tui_status(t, TC_NORMAL, "%zu of %zu approved",
		    tui_batch_approved(b), b->counts.accepted);
		break;
	case ACT_ALL:
		if (b == NULL || !b->scanned)
			break;
		for (i = 0; i < b->nitems; i++)
			b->approved[i] = b->items[i].verdict == BATCH_ACCEPT;
		tui_status(t, TC_NORMAL, "%zu of %zu approved",
		    tui_batch_approved(b), b->counts.accepted);
		break;
	case ACT_SIGN:
		if (b == NULL || !b->scanned)
			tui_status(t, TC_WARN, "review a batch first (Enter)");
		else
			batch_sign_now(t);
		break;
	default:
		break;
	}
}
