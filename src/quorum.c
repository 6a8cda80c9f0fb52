/* quorum.c: quorum login: K of N shares of the user PIN, each checked against the journal, rebuilt in locked memory for one login. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "custody.h"
#include "error.h"
#include "out.h"
#include "quorum.h"
#include "registry.h"

static const struct custody_state *
quorum_state(struct ca *ca)
{
	return ca->reg != NULL ? registry_custody(ca->reg) : ca->scan;
}

bool
quorum_applies(struct ca *ca)
{
	const struct custody_state *cs = quorum_state(ca);

	return cs != NULL && cs->pin_pol.k > 0 && ca->tok != NULL &&
	    strcmp(cs->pin_token, token_info(ca->tok)->serial) == 0;
}

/* A share file is a secret, as a --pin-file is: nobody else may read it. */
static int
quorum_read_file(const char *path, struct custody_share *s)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return airca_errf(AIRCA_ERR_IO, "--pin-share-file %s: %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return airca_errf(AIRCA_ERR_UNSAFE, "--pin-share-file %s: not a "
		    "regular file", path);
	if ((st.st_mode & 077) != 0)
		return airca_errf(AIRCA_ERR_UNSAFE, "--pin-share-file %s: mode "
		    "%04o lets group or others at the share: chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
	return custody_read_file(path, s);
}

/* K shares, each checked against the journal's hash as it comes in. */
static int
quorum_collect(struct ca *ca, const struct custody_state *cs,
    struct custody_share *sh, size_t *np)
{
	const struct custody_holder *h;
	size_t n, i, nfiles = ca->ctx->npin_shares;
	size_t want = nfiles > 0 ? nfiles : cs->pin_pol.k;
	char what[128];
	int r;

	if (nfiles > 0 && nfiles < cs->pin_pol.k)
		return airca_errf(AIRCA_ERR_POLICY, "%zu PIN share%s given: "
		    "this home logs in with %u of the %u shares of its user "
		    "PIN (set %s); bring %zu more holder%s", nfiles,
		    nfiles == 1 ? "" : "s", cs->pin_pol.k, cs->pin_pol.n,
		    cs->pin_set_id, cs->pin_pol.k - nfiles,
		    cs->pin_pol.k - nfiles == 1 ? "" : "s");
	for (n = 0; n < want; n++) {
		if (nfiles > 0)
			r = quorum_read_file(ca->ctx->pin_shares[n], &sh[n]);
		else {
			snprintf(what, sizeof(what), "User PIN share %zu of "
			    "the %u needed", n + 1, cs->pin_pol.k);
			r = custody_read_tty(what, &sh[n]);
			if (r == AIRCA_ERR_USAGE)
				r = airca_errf(AIRCA_ERR_USAGE, "this home logs "
				    "in with %u of the %u shares of its user PIN "
				    "(set %s) and there is no terminal to type "
				    "them on: give --pin-share-file F %u times",
				    cs->pin_pol.k, cs->pin_pol.n, cs->pin_set_id,
				    cs->pin_pol.k);
		}
		if (r != 0)
			return r;
		if ((r = custody_check_pin_share(cs, &sh[n], &h)) != 0)
			return nfiles > 0 ? airca_errctx(r, "--pin-share-file %s",
			    ca->ctx->pin_shares[n]) : r;
		for (i = 0; i < n; i++)
			if (custody_share_x(&sh[i]) == custody_share_x(&sh[n]))
				return airca_errf(AIRCA_ERR_POLICY, "PIN share "
				    "%u (holder %s) was given twice: each holder "
				    "counts once", h->x, h->name);
		if (nfiles == 0)
			out_note(ca->ctx->out, "PIN share %u of set %s: holder "
			    "%s, matches the journal", h->x, cs->pin_set_id,
			    h->name);
	}
	*np = n;
	return 0;
}

int
quorum_login(struct ca *ca)
{
	const struct custody_state *cs = quorum_state(ca);
	struct custody_share *sh = NULL;
	unsigned char *secret = NULL;
	char *pin = NULL;
	size_t n = 0, shlen = CUSTODY_MAX * sizeof(*sh);
	int r;

	if (ca->ctx->pin.env != NULL || ca->ctx->pin.file != NULL)
		return airca_errf(AIRCA_ERR_USAGE, "this home logs in with %u "
		    "of the %u shares of its user PIN (set %s), not with a "
		    "PIN: drop --pin-env/--pin-file and give --pin-share-file "
		    "F %u times, or type the shares", cs->pin_pol.k,
		    cs->pin_pol.n, cs->pin_set_id, cs->pin_pol.k);
	if (ca->ctx->npin_shares == 0 && prompt_front_end())
		return airca_errf(AIRCA_ERR_USAGE, "this home logs in with %u "
		    "of the %u shares of its user PIN (set %s): the TUI cannot "
		    "ask for PIN shares yet; use the command line (airca "
		    "COMMAND, the holders type their shares)", cs->pin_pol.k,
		    cs->pin_pol.n, cs->pin_set_id);
	if ((sh = secret_alloc(shlen)) == NULL ||
	    (secret = secret_alloc(CUSTODY_KEY_LEN)) == NULL ||
	    (pin = secret_alloc(CUSTODY_PIN_MAX + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = quorum_collect(ca, cs, sh, &n)) != 0 ||
	    (r = custody_combine(sh, n, secret)) != 0 ||
	    (r = custody_pin_decode(secret, pin, CUSTODY_PIN_MAX + 1)) != 0)
		goto out;
	r = token_login(ca->tok, pin, strlen(pin));
 out:
	secret_free(pin, CUSTODY_PIN_MAX + 1);
	secret_free(secret, CUSTODY_KEY_LEN);
	secret_free(sh, shlen);
	return r;
}
