/* ca.c: opening and closing a CA home with its journal, registry and token session. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "custody.h"
#include "csr.h"
#include "error.h"
#include "issue.h"
#include "media.h"
#include "out.h"
#include "prompt.h"
#include "quorum.h"
#include "replay.h"
#include "sweep.h"
#include "util.h"

#define CA_PIN_ATTEMPTS		3	/* PINs typed by officers, one login */
#define CA_TOKEN_ATTEMPTS	10	/* "insert token" asked at most */

void
ca_warn(struct ca *ca, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vwarn(ca != NULL && ca->ctx != NULL ? ca->ctx->out : NULL, fmt,
	    ap);
	va_end(ap);
}

int
ca_home_path(struct cmd_ctx *ctx, char *out, size_t len)
{
	if (ctx->home == NULL || ctx->home[0] == '\0')
		return airca_errf(AIRCA_ERR_USAGE, "no CA home: pass --home DIR "
		    "or set AIRCA_HOME");
	return path_join(out, len, ctx->home, NULL);
}

int
ca_evidence_load(struct cmd_ctx *ctx, const char *journal, const char *auditf,
    const char *rootf, char *jpath, char *rpath, X509 **rootp, X509 **auditp)
{
	char dir[PATH_MAX], tmp[PATH_MAX], apath[PATH_MAX];
	X509 *root = NULL, *audit = NULL;
	int r;

	/* defaults next to a journal named (an auditor's copy), else the home */
	if (journal != NULL) {
		if ((r = path_join(tmp, sizeof(tmp), journal, NULL)) != 0 ||
		    (r = path_join(dir, sizeof(dir), dirname(tmp), NULL)) != 0 ||
		    (r = path_join(jpath, PATH_MAX, journal, NULL)) != 0)
			goto out;
	} else if ((r = ca_home_path(ctx, dir, sizeof(dir))) != 0 ||
	    (r = path_join(jpath, PATH_MAX, dir, JOURNAL_FILE)) != 0)
		goto out;
	if ((r = path_join(apath, sizeof(apath), auditf != NULL ? auditf :
	    dir, auditf != NULL ? NULL : "audit.pem")) != 0 ||
	    (r = path_join(rpath, PATH_MAX, rootf != NULL ? rootf : dir,
	    rootf != NULL ? NULL : "root.pem")) != 0 ||
	    (r = journal_load_cert(rpath, &root)) != 0 ||
	    (r = journal_load_cert(apath, &audit)) != 0)
		goto out;
	*rootp = root;
	*auditp = audit;
	root = audit = NULL;
	r = 0;
 out:
	X509_free(root);
	X509_free(audit);
	return r;
}

static int
load_pem_cert(const char *home, const char *name, X509 **certp)
{
	char path[PATH_MAX];
	unsigned char *buf = NULL;
	size_t len;
	BIO *bio = NULL;
	int r;

	if ((r = path_join(path, sizeof(path), home, name)) != 0 ||
	    (r = media_read(path, MEDIA_MAX_CERT, &buf, &len)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (*certp = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		r = airca_errssl(AIRCA_ERR_STATE, "%s: not a PEM certificate",
		    path);
 out:
	BIO_free(bio);
	free(buf);
	return r;
}

static int
ca_load_home(struct ca *ca)
{
	char path[PATH_MAX];
	unsigned char *buf = NULL;
	size_t len;
	json_error_t jerr;
	int r;

	if ((r = path_join(path, sizeof(path), ca->home, CA_STATE_FILE)) != 0)
		goto out;
	if ((r = media_read(path, MEDIA_MAX_CONF, &buf, &len)) != 0) {
		if (r == AIRCA_ERR_NOTFOUND)
			r = airca_errf(AIRCA_ERR_STATE, "%s is not an airca "
			    "home (no %s): run 'airca init' first, or check "
			    "--home/AIRCA_HOME", ca->home, CA_STATE_FILE);
		goto out;
	}
	if ((ca->state = json_loadb((char *)buf, len, 0, &jerr)) == NULL ||
	    !json_is_object(ca->state)) {
		r = airca_errf(AIRCA_ERR_STATE, "%s:%d: %s", path, jerr.line,
		    jerr.text);
		goto out;
	}
	if ((r = path_join(path, sizeof(path), ca->home, CA_POLICY_FILE)) != 0 ||
	    (r = policy_load(path, &ca->pol)) != 0)
		goto out;
	ca->have_policy = true;
	if ((r = load_pem_cert(ca->home, "root.pem", &ca->root)) != 0 ||
	    (r = load_pem_cert(ca->home, "audit.pem", &ca->audit)) != 0)
		goto out;
 out:
	free(buf);
	return r;
}

int
ca_lock(struct ca *ca)
{
	char path[PATH_MAX];
	int r;

	if ((r = path_join(path, sizeof(path), ca->home, ".lock")) != 0)
		return r;
	if ((ca->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return airca_errf(AIRCA_ERR_IO, "%s: %s", path, strerror(errno));
	if (flock(ca->lockfd, LOCK_EX | LOCK_NB) == -1)
		return airca_errf(AIRCA_ERR_STATE, "another airca is working "
		    "on %s; wait for it to finish", ca->home);
	return 0;
}

static const char *
state_str(json_t *state, const char *obj, const char *key)
{
	json_t *v = json_object_get(json_object_get(state, obj), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The key on the token must be the one in the certificate. */
static int
ca_match_key(struct ca *ca, const char *label, X509 *cert)
{
	EVP_PKEY *pub = NULL;
	int r;

	if ((r = token_public_key(ca->tok, label, &pub)) != 0)
		return r;
	if (EVP_PKEY_eq(pub, X509_get0_pubkey(cert)) != 1)
		r = airca_errf(AIRCA_ERR_STATE, "the token's key '%s' is not "
		    "the key of the certificate in %s: wrong token or wrong "
		    "home", label, ca->home);
	EVP_PKEY_free(pub);
	return r;
}

/*
 * Open the profile's token; when it is not there, ask for it ("insert
 * token 'LABEL'") and look again, as long as someone answers.
 */
static int
ca_token_wait(struct ca *ca)
{
	char	what[600], reason[1024], answer[700];
	unsigned attempt;
	int r, r2;

	if (ca->hsm.token_uri[0] != '\0')
		snprintf(what, sizeof(what), "Insert the token matching %s",
		    ca->hsm.token_uri);
	else if (ca->hsm.token_serial[0] != '\0')
		snprintf(what, sizeof(what), "Insert the token with serial %s",
		    ca->hsm.token_serial);
	else
		snprintf(what, sizeof(what), "Insert token '%s'",
		    ca->hsm.token_label);
	for (attempt = 1;; attempt++) {
		if ((r = token_open(&ca->hsm, &ca->tok)) != AIRCA_ERR_NOTFOUND)
			return r;
		snprintf(reason, sizeof(reason), "%s", airca_errmsg());
		if (attempt > CA_TOKEN_ATTEMPTS)
			return airca_errf(r, "%s (asked %u times)", reason,
			    CA_TOKEN_ATTEMPTS);
		if ((r2 = prompt_token(&ca->ctx->pin, what, attempt)) ==
		    AIRCA_ERR_NOTFOUND)	/* no one to ask */
			return airca_errf(r, "%s", reason);
		if (r2 != 0) {
			snprintf(answer, sizeof(answer), "%s", airca_errmsg());
			return airca_errf(r2, "%s: %s", answer, reason);
		}
	}
}

int
ca_token_open(struct ca *ca)
{
	struct airgap_report rep;
	json_t *d = NULL;
	int r;

	if (ca->ctx->hsm == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "no HSM profile: pass --hsm "
		    "PROFILE or set AIRCA_HSM (see hsm-profiles/)");
	if ((r = hsm_profile_load(ca->ctx->hsm, &ca->hsm)) != 0)
		return r;
	ca->have_hsm = true;
	if ((r = airgap_check(ca->hsm.network, &rep)) != 0)
		return r;
	if (rep.nup > 0) {
		ca_warn(ca, "network interfaces up: %s (HSM profile '%s' "
		    "allows it: policy %s)", rep.summary, ca->hsm.name,
		    ca->hsm.network == NET_WARN ? "warn" : "allow");
		if (ca->j != NULL) {
			d = json_pack("{s:s,s:s}", "interfaces", rep.summary,
			    "policy", ca->hsm.network == NET_WARN ? "warn" :
			    "allow");
			r = ca_journal(ca, "airgap-warning", d, JOURNAL_DEFER);
			json_decref(d);
			if (r != 0)
				return r;
		}
	}
	return ca_token_wait(ca);
}

int
ca_so_login(struct ca *ca)
{
	const struct token_info *ti = token_info(ca->tok);
	char pin[MEDIA_MAX_PIN], what[128];
	int r;

	snprintf(what, sizeof(what), "SO PIN for token '%s' (serial %s)",
	    ti->label, ti->serial);
	r = prompt_pin(&ca->ctx->so_pin, what, pin, sizeof(pin));
	if (r == 0)
		r = token_so_login(ca->tok, pin, strlen(pin));
	explicit_bzero(pin, sizeof(pin));
	return r;
}

int
ca_token_login(struct ca *ca)
{
	struct pin_source *ps = &ca->ctx->pin;
	const struct token_info *ti;
	struct pin_request req;
	char pin[MEDIA_MAX_PIN], what[128], previous[512];
	unsigned attempt;
	int r;

	if (ca->tok == NULL && (r = ca_token_open(ca)) != 0)
		return r;
	/* init --pin-shares: K holders bring shares, nobody types the PIN */
	if (quorum_applies(ca))
		return quorum_login(ca);
	ti = token_info(ca->tok);
	snprintf(what, sizeof(what), "user PIN for token '%s' (serial %s)",
	    ti->label, ti->serial);
	/*
	 * A PIN typed by an officer may be typed again after a wrong one;
	 * a PIN given in advance is never tried twice (it would only count
	 * down the token's retry counter).
	 */
	for (attempt = 1; attempt <= CA_PIN_ATTEMPTS; attempt++) {
		ti = token_info(ca->tok);
		req.what = what;
		req.attempt = attempt;
		req.attempts = CA_PIN_ATTEMPTS;
		req.count_low = ti->pin_count_low;
		req.final_try = ti->pin_final_try;
		req.previous = attempt > 1 ? previous : NULL;
		r = prompt_pin_request(ps, &req, pin, sizeof(pin));
		if (r == 0)
			r = token_login(ca->tok, pin, strlen(pin));
		explicit_bzero(pin, sizeof(pin));
		if (r != AIRCA_ERR_LOGIN || prompt_pin_automatic(ps) ||
		    token_info(ca->tok)->pin_locked)
			break;
		snprintf(previous, sizeof(previous), "%s", airca_errmsg());
	}
	return r;
}

void
ca_begin(struct ca *ca, struct cmd_ctx *ctx, const char *command)
{
	memset(ca, 0, sizeof(*ca));
	ca->ctx = ctx;
	ca->command = command;
	ca->lockfd = -1;
	if (ctx->ceremony != NULL)
		snprintf(ca->session, sizeof(ca->session), "%s", ctx->ceremony);
	else
		journal_new_id("cli", ca->session, sizeof(ca->session));
}

/*
 * A policy change is a state change: when HOME/policy.conf is not the
 * file last recorded (airca.json "policy-sha256", written by init and by
 * this), journal "policy-changed" with both hashes and the effective
 * policy, then record the new hash.  Called once the token (and so the
 * audit key) is open, so that the entry is signed when the command ends.  The policy has already been loaded,
 * so it only tightens the defaults.  Killed in between, the next command
 * journals the same change again (harmless: same hashes).
 */
static int
ca_policy_check(struct ca *ca)
{
	char path[PATH_MAX], hex[SHA256_HEX_LEN + 1];
	unsigned char *buf = NULL;
	char *text = NULL, *state = NULL;
	const char *prev;
	json_t *d = NULL, *v;
	size_t len;
	int r;

	if ((r = path_join(path, sizeof(path), ca->home, CA_POLICY_FILE)) != 0 ||
	    (r = media_read(path, MEDIA_MAX_CONF, &buf, &len)) != 0)
		goto out;
	sha256_hex(buf, len, hex);
	v = json_object_get(ca->state, "policy-sha256");
	prev = json_is_string(v) ? json_string_value(v) : NULL;
	if (prev != NULL && strcmp(prev, hex) == 0) {
		r = 0;
		goto out;
	}
	if ((r = policy_format(&ca->pol, &text)) != 0)
		goto out;
	if ((d = json_pack("{s:s,s:s,s:s?,s:s}", "file", CA_POLICY_FILE,
	    "sha256", hex, "previous-sha256", prev, "effective",
	    strlen(text) < JOURNAL_MAX_LINE / 2 ? text : "(too long to "
	    "journal: see the file by its SHA-256)")) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "policy-changed", d, 0)) != 0)
		goto out;
	ca_warn(ca, "%s changed since it was last recorded (SHA-256 %s, was "
	    "%s): the change is journaled", path, hex, prev != NULL ? prev :
	    "not recorded");
	if (json_object_set_new(ca->state, "policy-sha256",
	    json_string(hex)) != 0 ||
	    (state = json_dumps(ca->state, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = path_join(path, sizeof(path), ca->home, CA_STATE_FILE)) != 0 ||
	    (r = media_write(path, state, strlen(state), MEDIA_REPLACE)) != 0)
		goto out;
	r = 0;
 out:
	json_decref(d);
	free(text);
	free(state);
	free(buf);
	return r;
}

/*
 * The state: the registry replayed from the verified journal, never read
 * from registry.jsonl.  A tail of entries that no signature covers and
 * that this process did not write stops a command that writes (it would
 * sign them); one that only reads leaves them out and warns.  A cache that
 * does not say what the journal says is reported and, by a writing
 * command, rewritten when it closes.
 */
static int
ca_load_state(struct ca *ca, bool writing)
{
	struct replay_result res;
	bool match, body;
	int r;

	if ((r = replay_journal(ca->home, ca->root, ca->audit, &ca->reg,
	    &res)) != 0) {
		if (r == AIRCA_ERR_VERIFY)
			r = airca_errf(AIRCA_ERR_VERIFY, "%s; nothing is done "
			    "on a journal that does not verify (see 'airca "
			    "journal verify'; for an incomplete last line or an "
			    "unsigned tail, 'airca journal repair')",
			    airca_errmsg());
		return r;
	}
	if (res.tail_n > 0 && !res.tail_applied) {
		if (writing)
			return airca_errf(AIRCA_ERR_JOURNAL, "%s/%s ends in %lu "
			    "entr%s (seq %lu..%lu) that no signature covers and "
			    "that this airca did not write: %s.  airca never "
			    "signs what it did not write: an officer must look "
			    "at them with 'airca journal repair' and adopt or "
			    "discard them (journaled, signed)", ca->home,
			    JOURNAL_FILE, res.tail_n, res.tail_n == 1 ? "y" :
			    "ies", res.tail_from, res.tail_from + res.tail_n - 1,
			    res.tail_list);
		ca_warn(ca, "%s/%s ends in %lu unsigned entr%s (seq %lu..): "
		    "left out of what is shown; see 'airca journal repair'",
		    ca->home, JOURNAL_FILE, res.tail_n, res.tail_n == 1 ? "y" :
		    "ies", res.tail_from);
	}
	if ((r = registry_cache_matches(ca->reg, &match, &body)) != 0)
		return r;
	if (!match && writing)
		ca->reg_dirty = true;	/* rewritten when the command ends */
	if (!body) {
		ca_warn(ca, "%s/%s is not what the journal says (stale after "
		    "an interrupted command, or edited): ignored%s; the "
		    "journal is the source of truth", ca->home, REGISTRY_FILE,
		    writing ? " and rewritten from the journal" : "");
	}
	return 0;
}
/*
 * Without the replayed state (journal repair opens the home CA_NOSTATE: its
 * journal does not replay), the custody facts the token checks need, from
 * the entries before the unsigned tail: the key policy (journal-open), the
 * token a restore moved the home to (custody-restored) and the quorum of
 * the user PIN (pin-quorum-created: the login takes shares).  The keys must
 * still match root.pem and audit.pem (ca_match_key) whatever this says.
 */
static int
ca_custody_scan(struct ca *ca, struct custody_state *cs)
{
	struct journal_tail t;
	struct journal_reader *rd = NULL;
	char path[PATH_MAX], *line;
	const char *ev;
	json_t *e = NULL;
	size_t len;
	bool complete;
	int r, n;

	memset(&t, 0, sizeof(t));
	if ((r = journal_tail_unsigned(ca->home, &t)) != 0 ||
	    (r = path_join(path, sizeof(path), ca->home, JOURNAL_FILE)) != 0 ||
	    (r = journal_reader_open(path, &rd)) != 0)
		goto out;
	while ((n = journal_reader_next(rd, &line, &len, &complete)) == 1 &&
	    complete && (e = json_loadb(line, len, 0, NULL)) != NULL) {
		if (t.n > 0 && json_integer_value(json_object_get(e, "seq")) >=
		    (json_int_t)t.from)
			break;
		ev = json_string_value(json_object_get(e, "event"));
		if (ev != NULL && custody_event(ev) && (r = custody_apply(cs,
		    ev, json_object_get(e, "data"))) != 0)
			goto out;
		json_decref(e);
		e = NULL;
	}
	r = n < 0 ? n : 0;
 out:
	json_decref(e);
	json_decref(t.list);
	if (rd != NULL)
		journal_reader_close(rd);
	return r;
}

/* What ca_open(CA_HOME) refuses when group- or world-writable (StrictModes). */
static const char *const ca_trusted_files[] = { CA_STATE_FILE, CA_POLICY_FILE,
    "root.pem", "audit.pem", JOURNAL_FILE, REGISTRY_FILE, "certs", NULL };

int
ca_open(struct ca *ca, struct cmd_ctx *ctx, const char *command,
    unsigned flags)
{
	struct custody_state scan;
	const char *serial;
	json_t *d = NULL;
	int r;

	memset(&scan, 0, sizeof(scan));

	ca_begin(ca, ctx, command);
	if ((r = ca_home_path(ctx, ca->home, sizeof(ca->home))) != 0)
		goto out;
	/* StrictModes: nobody else may have rewritten what the CA trusts */
	if ((flags & CA_HOME) &&
	    (r = media_check_private(ca->home, ca_trusted_files)) != 0)
		goto out;
	if ((flags & CA_WRITE) && (r = ca_lock(ca)) != 0)
		goto out;
	if ((flags & CA_HOME) && (r = ca_load_home(ca)) != 0)
		goto out;
	if (flags & CA_WRITE) {
		if ((r = journal_open(ca->home, ca->session, ctx->actor,
		    &ca->j)) != 0 ||
		    (r = airgap_host(&ca->host)) != 0)
			goto out;
		d = json_pack("{s:s,s:s,s:s,s:s,s:s}", "command", command,
		    "host", ca->host.hostname, "kernel", ca->host.kernel,
		    "airca", ca->host.airca_version,
		    "binary-sha256", ca->host.binary_sha256);
		/*
		 * Deferred (as the air-gap warning): written with the
		 * command's first real entry or its checkpoint, so that a
		 * command killed during the token login leaves no unsigned
		 * tail behind.
		 */
		if ((r = ca_journal(ca, "command", d, JOURNAL_DEFER)) != 0 ||
		    (r = sweep_home(ca)) != 0)
			goto out;
	}
	if ((flags & CA_HOME) && !(flags & CA_NOSTATE) &&
	    (r = ca_load_state(ca, (flags & CA_WRITE) != 0)) != 0)
		goto out;
	if (flags & CA_TOKEN) {
		/* not replayed: the quorum and key policy from the signed entries */
		if (ca->reg == NULL && (flags & CA_HOME)) {
			if ((r = ca_custody_scan(ca, &scan)) != 0)
				goto out;
			ca->scan = &scan;
		}
		r = ca_token_login(ca);
		ca->scan = NULL;
		if (r != 0)
			goto out;
		serial = state_str(ca->state, "token", "serial");
		if (ca->reg != NULL) {
			const struct custody_state *cs =
			    registry_custody(ca->reg);

			/* K-of-N: keys may be extractable, wrap-with-trusted */
			token_set_custody(ca->tok, cs->pol.k > 0);
			/* restored onto another token: that one is the home's now */
			if (cs->token_serial[0] != '\0')
				serial = cs->token_serial;
		} else if (flags & CA_HOME) {
			token_set_custody(ca->tok, scan.pol.k > 0);
			if (scan.token_serial[0] != '\0')
				serial = scan.token_serial;
		}
		if (serial != NULL &&
		    strcmp(serial, token_info(ca->tok)->serial) != 0) {
			r = airca_errf(AIRCA_ERR_STATE, "this home belongs to "
			    "token serial %s, but the HSM profile picked token "
			    "serial %s", serial, token_info(ca->tok)->serial);
			goto out;
		}
		if ((r = ca_match_key(ca, CA_ROOT_LABEL, ca->root)) != 0 ||
		    (r = ca_match_key(ca, CA_AUDIT_LABEL, ca->audit)) != 0 ||
		    (r = token_signing_key(ca->tok, CA_ROOT_LABEL,
		    &ca->root_key)) != 0 ||
		    (r = token_signing_key(ca->tok, CA_AUDIT_LABEL,
		    &ca->audit_key)) != 0)
			goto out;
		/*
		 * Every command that signs comes through here: a changed
		 * policy is journaled before anything is signed under it, and
		 * with the audit key at hand its entry is signed at the close.
		 */
		if ((flags & CA_HOME) && (flags & CA_WRITE) &&
		    (r = ca_policy_check(ca)) != 0)
			goto out;
	}
 out:
	custody_state_free(&scan);
	json_decref(d);
	return r;
}

int
ca_journal(struct ca *ca, const char *event, json_t *data, int flags)
{
	if (ca->j == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "journal not open for %s",
		    event);
	/* a lookup that failed may have let a duplicate through: nothing more is written */
	if (ca->reg != NULL && registry_error(ca->reg) != 0)
		return airca_errf(registry_error(ca->reg), "%s (nothing judged "
		    "after it is journaled: no %s)", registry_errmsg(ca->reg),
		    event);
	return journal_append(ca->j, event, data, flags, NULL);
}

int
ca_issue_params(struct ca *ca, const struct ca_issue *ci,
    struct issue_params *ip)
{
	int r;

	if (ci->days > ci->prof->days)
		return airca_errf(AIRCA_ERR_POLICY, "--days %u is longer than "
		    "profile %s allows (%u)", ci->days, ci->prof->name,
		    ci->prof->days);
	memset(ip, 0, sizeof(*ip));
	ip->prof = ci->prof;
	ip->subject = ci->subject;
	ip->pubkey = ci->pubkey;
	ip->dns = ci->dns;
	ip->ndns = ci->ndns;
	ip->ip = ci->ip;
	ip->nip = ci->nip;
	ip->uri = ci->uri;
	ip->nuri = ci->nuri;
	ip->issuer = ci->issuer;
	ip->sign_key = ci->issuer_key;
	if (ca->pub_of != ci->issuer_key) {
		EVP_PKEY_free(ca->pub_of);
		EVP_PKEY_free(ca->pub);
		ca->pub_of = ca->pub = NULL;
		if ((r = issue_signer_pub(ci->issuer_key, &ca->pub)) != 0)
			return r;
		EVP_PKEY_up_ref(ci->issuer_key);	/* so the pointer stays this key's */
		ca->pub_of = ci->issuer_key;
	}
	ip->sign_pub = ca->pub;
	ip->deferred_check = (ci->journal_flags & CA_ISSUE_DEFERRED) != 0 &&
	    (ci->journal_flags & JOURNAL_DEFER) != 0;
	ip->not_before = now();
	ip->days = ci->days;
	return token_random(ca->tok, ip->serial, sizeof(ip->serial));
}

int
ca_issue_record(struct ca *ca, const struct ca_issue *ci, X509 *cert)
{
	json_t *ev = NULL;
	bool deferred;
	int r;

	deferred = (ci->journal_flags & CA_ISSUE_DEFERRED) != 0 &&
	    (ci->journal_flags & JOURNAL_DEFER) != 0;
	/* judged against a registry that failed to look: not kept */
	if (ca->reg != NULL && registry_error(ca->reg) != 0)
		return airca_errf(registry_error(ca->reg), "%s",
		    registry_errmsg(ca->reg));
	if ((ev = registry_cert_event(cert, ci->prof->name, ci->issuer,
	    ci->label)) == NULL)
		return AIRCA_ERR_NOMEM;
	if (ci->extra != NULL)
		json_object_update(ev, ci->extra);
	if ((!deferred && (r = registry_store_cert(ca->home, cert,
	    (ci->journal_flags & (JOURNAL_NOSYNC | JOURNAL_DEFER)) ?
	    MEDIA_NOSYNC : 0)) != 0) ||
	    (r = ca_journal(ca, "cert-issued", ev,
	    ci->journal_flags & ~CA_ISSUE_DEFERRED)) != 0 ||
	    (r = registry_apply(ca->reg, "cert-issued", ev)) != 0)
		goto out;
	ca->reg_dirty = true;
 out:
	json_decref(ev);
	return r;
}

int
ca_issue(struct ca *ca, const struct ca_issue *ci, X509 **certp)
{
	struct issue_params ip;
	X509 *cert = NULL;
	int r;

	if ((r = ca_issue_params(ca, ci, &ip)) != 0 ||
	    (r = issue_cert(&ip, &cert)) != 0 ||
	    (r = ca_issue_record(ca, ci, cert)) != 0)
		goto out;
	*certp = cert;
	cert = NULL;
 out:
	X509_free(cert);
	return r;
}

int
ca_find_ca(struct ca *ca, const char *label, const struct reg_entry **ep,
    X509 **certp)
{
	const struct reg_entry *e;

	const struct profile *p;

	if ((e = registry_by_label(ca->reg, label)) == NULL ||
	    (strcmp(e->profile, "device-ca") != 0 &&
	    strcmp(e->profile, "root") != 0 &&
	    ((p = policy_profile(&ca->pol, e->profile)) == NULL ||
	    p->kind != KIND_INTERMEDIATE_CA)))
		return airca_errf(AIRCA_ERR_NOTFOUND, "no CA labelled '%s' in "
		    "this home (see 'airca list --profile device-ca')", label);
	if (ep != NULL)
		*ep = e;
	return registry_cert(ca->home, e, certp);
}

int
ca_profile_issuer(struct ca *ca, const struct profile *prof,
    const char *calabel, X509 **issuerp, EVP_PKEY **keyp)
{
	const char *label = prof->issuer_label;
	const struct reg_entry *e;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int r;

	if (calabel != NULL && strcmp(calabel, label) != 0 &&
	    !(strcmp(label, "root") == 0 &&
	    strcmp(calabel, CA_ROOT_LABEL) == 0))
		return airca_errf(AIRCA_ERR_USAGE, "--ca %s: profile %s is "
		    "issued by %s (its issuer in policy.conf)", calabel,
		    prof->name, label);
	if (strcmp(label, "root") == 0) {
		if ((x = X509_dup(ca->root)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		k = ca->root_key;
		EVP_PKEY_up_ref(k);
	} else {
		if ((r = ca_find_ca(ca, label, &e, &x)) != 0 ||
		    (r = token_signing_key(ca->tok, label, &k)) != 0) {
			r = airca_errctx(r, "the issuer of profile %s",
			    prof->name);
			goto out;
		}
		if (e->status != CERT_VALID) {
			r = airca_errf(AIRCA_ERR_POLICY, "CA '%s' (serial %s), "
			    "the issuer of profile %s, is %s: it signs nothing",
			    label, e->serial, prof->name,
			    cert_status_name(e->status));
			goto out;
		}
	}
	*issuerp = x;
	*keyp = k;
	x = NULL;
	k = NULL;
	r = 0;
 out:
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

int
ca_close(struct ca *ca, int r)
{
	json_t *d;
	char first[1024];
	int r2 = 0;

	/* the officer sees the first cause, whatever closing runs into */
	snprintf(first, sizeof(first), "%s", r != 0 ? airca_errmsg() : "");

	/*
	 * After a failed journal write nothing more is appended or signed
	 * (the journal refuses it): the first cause stays the message.
	 */
	/*
	 * Refused for a tail it did not write, or failed before it had the
	 * audit key (a wrong PIN, no token): it adds nothing to the journal,
	 * since what it would add could never be signed by it.  Its deferred
	 * entries ("command", an air-gap warning) are dropped unwritten.
	 */
	if (ca->j != NULL && (journal_failed() ||
	    journal_foreign(ca->j, NULL) > 0 ||
	    (r != 0 && ca->audit_key == NULL))) {
		size_t pending = journal_unsigned(ca->j);

		if (journal_discard_deferred(ca->j) == pending ||
		    journal_failed() || journal_foreign(ca->j, NULL) > 0) {
			journal_close(ca->j);
			ca->j = NULL;
		}
	}
	if (ca->j != NULL && !journal_failed() &&
	    journal_foreign(ca->j, NULL) == 0) {
		if (r != 0) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s", airca_errmsg());
			d = json_pack("{s:s,s:s}", "error", airca_strerror(r),
			    "reason", msg);
			/* deferred: if the token cannot sign it, it goes unwritten */
			if (journal_append(ca->j, "command-failed", d,
			    JOURNAL_DEFER, NULL) != 0)
				r2 = AIRCA_ERR_JOURNAL;
			json_decref(d);
			if (r2 == 0)
				airca_errf(r, "%s", msg);
		}
		if (ca->audit_key != NULL && r2 == 0)
			r2 = journal_checkpoint(ca->j, ca->audit_key, ca->audit);
		/*
		 * A failed command whose token went away (removed, no session
		 * left): what it would add can never be signed, so none of it
		 * is written; the journal ends on its last signature.
		 */
		if (r != 0 && r2 != 0 && journal_discard_deferred(ca->j) > 0) {
			ca_warn(ca, "this failure is not journaled: %s",
			    airca_errmsg());
			r2 = 0;
		}
		else if (journal_unsigned(ca->j) > 0 && ca->audit_key == NULL &&
		    r == 0)
			ca_warn(ca, "%zu journal entries wait for the next "
			    "signed checkpoint (no token session)",
			    journal_unsigned(ca->j));
		/* the cache says which journal entry it reflects */
		/* everything journaled is on the media before it is reported */
		if (r2 == 0)
			r2 = journal_sync(ca->j);
		if (ca->reg != NULL && r2 == 0 && !journal_failed()) {
			registry_set_head(ca->reg, journal_seq(ca->j),
			    journal_head(ca->j));
			r2 = registry_save(ca->reg);
		}
	}
	journal_close(ca->j);
	ca->j = NULL;
	registry_free(ca->reg);
	ca->reg = NULL;
	EVP_PKEY_free(ca->root_key);
	EVP_PKEY_free(ca->audit_key);
	ca->root_key = ca->audit_key = NULL;
	EVP_PKEY_free(ca->pub_of);
	EVP_PKEY_free(ca->pub);
	ca->pub_of = ca->pub = NULL;
	token_close(ca->tok);
	ca->tok = NULL;
	X509_free(ca->root);
	X509_free(ca->audit);
	ca->root = ca->audit = NULL;
	if (ca->have_policy)
		policy_free(&ca->pol);
	ca->have_policy = false;
	json_decref(ca->state);
	ca->state = NULL;
	if (ca->lockfd != -1)
		close(ca->lockfd);
	ca->lockfd = -1;
	if (r == 0 && r2 != 0)
		return r2;
	if (r != 0)
		airca_errf(r, "%s", first);
	return r;
}

static json_t *
key_json(const struct token_key_info *ki, const struct key_attrs *a)
{
	char id[2 * TOKEN_ID_MAX + 1];

	hex_encode(ki->id, ki->id_len, id);
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:b,s:b,s:b,s:b,s:b,s:b,s:b,"
	    "s:b,s:b,s:b}}", "label", ki->label, "type",
	    key_type_name(ki->type), "id", id, "spki", ki->spki_sha256,
	    "attributes", "token", a->token, "private", a->private_,
	    "sensitive", a->sensitive, "extractable", a->extractable, "local",
	    a->local, "always-sensitive", a->always_sensitive,
	    "never-extractable", a->never_extractable, "decrypt", a->decrypt,
	    "unwrap", a->unwrap, "wrap-with-trusted", a->wrap_with_trusted);
}

/* Generate a CA key pair on the token and journal it with its attributes. */
int
ca_generate_key(struct ca *ca, enum key_type type, const char *label, EVP_PKEY **pubp,
    EVP_PKEY **signp)
{
	struct token_key_info ki;
	struct key_attrs a;
	json_t *d = NULL;
	int r;

	if ((ca->have_hsm && (r = hsm_profile_can_generate(&ca->hsm, type))
	    != 0) ||
	    (r = token_generate(ca->tok, type, label, pubp, &ki)) != 0 ||
	    (r = token_key_attrs(ca->tok, label, &a)) != 0)
		goto out;
	if ((d = key_json(&ki, &a)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "key-generated", d, 0)) != 0 ||
	    (r = token_signing_key(ca->tok, label, signp)) != 0)
		goto out;
 out:
	json_decref(d);
	return r;
}
