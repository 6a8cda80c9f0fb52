/* cmd-init.c: airca init: the factory root of trust, set once: root and audit keys on the token, certificates, policy, journal. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "cmd.h"
#include "custody.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

static json_t *
token_json(const struct token_info *ti)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "label", ti->label,
	    "serial", ti->serial, "manufacturer", ti->manufacturer,
	    "model", ti->model, "firmware", ti->firmware,
	    "hardware", ti->hardware);
}

static int
write_cert(struct ca *ca, const char *name, X509 *cert)
{
	char path[PATH_MAX], *pem = NULL;
	size_t len;
	int r;

	if ((r = path_join(path, sizeof(path), ca->home, name)) != 0 ||
	    (r = cert_pem(cert, &pem, &len)) != 0)
		return r;
	r = media_write(path, pem, len, 0);
	free(pem);
	return r;
}

/* What init was asked for, besides the factory and the key type. */
struct init_opts {
	unsigned days;
	struct custody_policy pol;
	const char *names[CUSTODY_MAX];	/* --custodian, in order: share 1, 2, ... */
	const char *shares_to;		/* --shares-to DIR, or NULL: shown one by one */
	struct custody_policy pin_pol;	/* --pin-shares K-of-N; k == 0: a PIN as usual */
	const char *pin_names[CUSTODY_MAX]; /* --pin-custodian, in order */
};

/* "--pin-shares K-of-N": the same K and N rules as --backup, never "none". */
static int
pin_policy_parse(const char *s, struct custody_policy *p)
{
	if (custody_policy_parse(s, p) != 0 || p->k == 0)
		return airca_errf(AIRCA_ERR_USAGE, "--pin-shares '%.32s': say "
		    "K-of-N with 2 <= K <= N <= %d, e.g. 2-of-3 (with K = 1 any "
		    "one holder could log in alone)", s, CUSTODY_MAX);
	return 0;
}

/* Refuse before anything is made when the token holds a root (or custody key) already. */
static int
init_labels_free(struct ca *ca, bool custody)
{
	static const char *const labels[] = { CA_ROOT_LABEL, CA_AUDIT_LABEL,
	    CUSTODY_LABEL };
	bool exists = false;
	size_t i;
	int r;

	for (i = 0; i < (custody ? 3u : 2u) && !exists; i++)
		if ((r = token_label_exists(ca->tok, labels[i], &exists)) != 0)
			return r;
	if (exists)
		return airca_errf(AIRCA_ERR_EXISTS, "token '%s' (serial %s) "
		    "already holds a root ('%s', '%s' or '%s'): the factory "
		    "root is set once; use another token or re-initialise this "
		    "one deliberately", token_info(ca->tok)->label,
		    token_info(ca->tok)->serial, CA_ROOT_LABEL, CA_AUDIT_LABEL,
		    CUSTODY_LABEL);
	return 0;
}

/*
 * The custody key: 32 bytes of the token's RNG, split K-of-N (libgfshare,
 * coefficients from the token's RNG too), then imported by the SO as the
 * token's trusted wrapping key.  The key exists whole only in locked
 * memory, and only until it is imported; *sharesp (n shares, locked) is
 * what the custodians get.  kcheck and set get what the journal records.
 */
static int
custody_new(struct ca *ca, const struct custody_policy *pol,
    struct custody_share **sharesp, char kcheck[SHA256_HEX_LEN + 1],
    char set[9])
{
	struct custody_share *shares = NULL;
	unsigned char *key = NULL, *rnd = NULL, setid[CUSTODY_SET_ID_LEN];
	size_t rndlen = (size_t)(pol->k - 1) * CUSTODY_KEY_LEN;
	int r = AIRCA_ERR_NOMEM;

	if ((key = secret_alloc(CUSTODY_KEY_LEN)) == NULL ||
	    (rnd = secret_alloc(rndlen)) == NULL ||
	    (shares = secret_alloc(pol->n * sizeof(*shares))) == NULL)
		goto out;
	if ((r = token_random(ca->tok, key, CUSTODY_KEY_LEN)) != 0 ||
	    (r = token_random(ca->tok, rnd, rndlen)) != 0 ||
	    (r = token_random(ca->tok, setid, sizeof(setid))) != 0 ||
	    (r = custody_split(key, pol->k, pol->n, setid, rnd, shares)) != 0)
		goto out;
	custody_key_check(key, kcheck);
	hex_encode(setid, sizeof(setid), set);
	if ((r = ca_so_login(ca)) != 0)
		goto out;
	r = token_custody_import(ca->tok, CUSTODY_LABEL, key, CUSTODY_KEY_LEN);
	token_so_logout(ca->tok);
	if (r != 0)
		goto out;
	*sharesp = shares;
	shares = NULL;
	r = 0;
 out:
	secret_free(key, CUSTODY_KEY_LEN);
	secret_free(rnd, rndlen);
	secret_free(shares, pol->n * sizeof(*shares));
	return r;
}

/* custody-created: the policy, the set, the key's check value and attributes, each share's SHA-256. */
static json_t *
custody_json(struct ca *ca, const struct init_opts *o,
    const struct custody_share *shares, const char *kcheck, const char *set)
{
	struct secret_attrs sa;
	char pol[32], sha[SHA256_HEX_LEN + 1];
	json_t *d, *a;
	unsigned i;

	if (token_secret_attrs(ca->tok, CUSTODY_LABEL, &sa) != 0)
		return NULL;
	custody_policy_name(&o->pol, pol, sizeof(pol));
	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < o->pol.n; i++) {
		custody_share_sha256(&shares[i], sha);
		json_array_append_new(a, json_pack("{s:i,s:s,s:s}", "share",
		    (int)custody_share_x(&shares[i]), "name", o->names[i],
		    "share-sha256", sha));
	}
	d = json_pack("{s:s,s:i,s:i,s:s,s:s,s:{s:s,s:s,s:i,s:{s:b,s:b,s:b,s:b,"
	    "s:b,s:b,s:b}},s:o,s:s}", "key-policy", pol, "k", (int)o->pol.k,
	    "n", (int)o->pol.n, "set", set, "key-check", kcheck,
	    "custody-key", "label", CUSTODY_LABEL, "type", "aes-256",
	    "bytes", (int)sa.value_len, "attributes", "trusted", sa.trusted,
	    "wrap", sa.wrap, "unwrap", sa.unwrap, "decrypt", sa.decrypt,
	    "sensitive", sa.sensitive, "extractable", sa.extractable,
	    "modifiable", sa.modifiable, "custodians", a, "split",
	    "libgfshare GF(2^8)");
	return d;
}

/* Each custodian's share: on their own screen, or (rehearsals) into files. */
static int
custody_hand_out(const struct init_opts *o, const struct custody_share *shares)
{
	unsigned i;
	int r;

	if (o->shares_to != NULL && (r = media_mkdir(o->shares_to)) != 0)
		return r;
	for (i = 0; i < o->pol.n; i++) {
		r = o->shares_to != NULL ? custody_write_share(o->shares_to,
		    &shares[i], o->names[i]) : custody_show(&shares[i],
		    o->names[i]);
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * Quorum login: the PIN typed at init (from --pin-env, --pin-file or the
 * prompt, as always) logs in once; then a random PIN from the token's RNG
 * replaces it (quorum_replace, once its shares are handed out), so that
 * nobody ever knew the PIN the shares rebuild.  The typed and the new PIN
 * live only in locked memory, until quorum_pins_free().
 */
struct quorum_pins {
	char	*typed;			/* MEDIA_MAX_PIN bytes */
	char	*fresh;			/* CUSTODY_PIN_MAX + 1 bytes */
	size_t	 len;			/* strlen(fresh) */
	bool	 replaced;		/* C_SetPIN(typed, fresh) succeeded */
};

#define QUORUM_PIN_LEN	24	/* 62^24: 142 bits */
#define QUORUM_PIN_MIN	16

static void
quorum_pins_free(struct quorum_pins *qp)
{
	secret_free(qp->typed, MEDIA_MAX_PIN);
	secret_free(qp->fresh, CUSTODY_PIN_MAX + 1);
	qp->typed = qp->fresh = NULL;
}

/* As long as the token lets a PIN be (ulMin/MaxPinLen), up to QUORUM_PIN_LEN. */
static int
quorum_pin_length(const struct token_info *ti, size_t *lenp)
{
	size_t len = QUORUM_PIN_LEN;

	if (ti->pin_max != 0 && ti->pin_max < len)
		len = ti->pin_max;
	if (ti->pin_min > len)
		len = ti->pin_min;
	if (len < QUORUM_PIN_MIN || len > CUSTODY_PIN_MAX ||
	    (ti->pin_max != 0 && len > ti->pin_max))
		return airca_errf(AIRCA_ERR_POLICY, "--pin-shares: token '%s' "
		    "takes user PINs of %lu to %lu bytes; the random PIN that "
		    "replaces the typed one needs %d to %d: this token cannot "
		    "log in by quorum", ti->label, ti->pin_min, ti->pin_max,
		    QUORUM_PIN_MIN, CUSTODY_PIN_MAX);
	*lenp = len;
	return 0;
}

/* len characters of [A-Za-z0-9], each drawn without bias from the token's RNG. */
static int
quorum_pin_draw(struct token *tok, char *pin, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[64];
	size_t n = 0, i;
	int r;

	while (n < len) {
		if ((r = token_random(tok, rnd, sizeof(rnd))) != 0)
			goto out;
		for (i = 0; i < sizeof(rnd) && n < len; i++)
			if (rnd[i] < 4 * (sizeof(abc) - 1))
				pin[n++] = abc[rnd[i] % (sizeof(abc) - 1)];
	}
	pin[len] = '\0';
	r = 0;
 out:
	explicit_bzero(rnd, sizeof(rnd));
	return r;
}

/*
 * The typed PIN logs in; the new one is drawn and split K-of-N as the
 * custody key is: its length, the PIN and random padding from the token's
 * RNG.  Nothing is changed on the token yet.
 */
static int
quorum_new(struct ca *ca, const struct custody_policy *pol,
    struct custody_share **sharesp, char set[9], struct quorum_pins *qp)
{
	const struct token_info *ti = token_info(ca->tok);
	struct custody_share *shares = NULL;
	unsigned char *secret = NULL, *rnd = NULL, setid[CUSTODY_SET_ID_LEN];
	size_t rndlen = (size_t)(pol->k - 1) * CUSTODY_KEY_LEN;
	char what[128];
	int r = AIRCA_ERR_NOMEM;

	if ((qp->typed = secret_alloc(MEDIA_MAX_PIN)) == NULL ||
	    (qp->fresh = secret_alloc(CUSTODY_PIN_MAX + 1)) == NULL ||
	    (secret = secret_alloc(CUSTODY_KEY_LEN)) == NULL ||
	    (rnd = secret_alloc(rndlen + CUSTODY_KEY_LEN)) == NULL ||
	    (shares = secret_alloc(pol->n * sizeof(*shares))) == NULL)
		goto out;
	snprintf(what, sizeof(what), "user PIN for token '%s' (serial %s), to "
	    "be replaced by a random one split %u-of-%u", ti->label,
	    ti->serial, pol->k, pol->n);
	if ((r = prompt_pin(&ca->ctx->pin, what, qp->typed,
	    MEDIA_MAX_PIN)) != 0 ||
	    (r = token_login(ca->tok, qp->typed, strlen(qp->typed))) != 0 ||
	    (r = quorum_pin_length(token_info(ca->tok), &qp->len)) != 0 ||
	    (r = quorum_pin_draw(ca->tok, qp->fresh, qp->len)) != 0 ||
	    (r = token_random(ca->tok, rnd, rndlen + CUSTODY_KEY_LEN)) != 0 ||
	    (r = token_random(ca->tok, setid, sizeof(setid))) != 0 ||
	    (r = custody_pin_encode(qp->fresh, qp->len, rnd + rndlen,
	    secret)) != 0 ||
	    (r = custody_split(secret, pol->k, pol->n, setid, rnd,
	    shares)) != 0)
		goto out;
	hex_encode(setid, sizeof(setid), set);
	*sharesp = shares;
	shares = NULL;
	r = 0;
 out:
	secret_free(secret, CUSTODY_KEY_LEN);
	secret_free(rnd, rndlen + CUSTODY_KEY_LEN);
	secret_free(shares, pol->n * sizeof(*shares));
	return r;
}

/* pin-quorum-created: the policy, the set, the token, each share's SHA-256 and holder; never the PIN. */
static json_t *
quorum_json(struct ca *ca, const struct init_opts *o,
    const struct custody_share *shares, const char *set, size_t pinlen)
{
	const struct token_info *ti = token_info(ca->tok);
	char pol[32], sha[SHA256_HEX_LEN + 1];
	json_t *a;
	unsigned i;

	custody_policy_name(&o->pin_pol, pol, sizeof(pol));
	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < o->pin_pol.n; i++) {
		custody_share_sha256(&shares[i], sha);
		json_array_append_new(a, json_pack("{s:i,s:s,s:s}", "share",
		    (int)custody_share_x(&shares[i]), "name", o->pin_names[i],
		    "share-sha256", sha));
	}
	return json_pack("{s:s,s:i,s:i,s:s,s:{s:s,s:s},s:o,s:s,s:s,"
	    "s:{s:b,s:i,s:s,s:s}}", "pin-policy", pol, "k", (int)o->pin_pol.k,
	    "n", (int)o->pin_pol.n, "set", set, "token", "label", ti->label,
	    "serial", ti->serial, "holders", a, "split", "libgfshare GF(2^8)",
	    "secret", "length, user PIN, random padding from the token (32 "
	    "bytes)", "pin", "replaced", 1, "length", (int)pinlen, "alphabet",
	    "A-Z a-z 0-9", "source", ca->hsm.no_rng ?
	    "host RNG (no_rng)" : "token RNG");
}

/* Each holder's PIN share: on their own screen, or (rehearsals) into files. */
static int
quorum_hand_out(const struct init_opts *o, const struct custody_share *shares)
{
	unsigned i;
	int r;

	if (o->shares_to != NULL && (r = media_mkdir(o->shares_to)) != 0)
		return r;
	for (i = 0; i < o->pin_pol.n; i++) {
		r = o->shares_to != NULL ? custody_write_pin_share(o->shares_to,
		    &shares[i], o->pin_names[i]) : custody_show_pin(&shares[i],
		    o->pin_names[i]);
		if (r != 0)
			return r;
	}
	return 0;
}

/*
 * Once every holder has their share of the new PIN: C_SetPIN(typed, new),
 * then pin-quorum-created says so.  Should the journal write fail, the
 * typed PIN is set back, so that no failed init leaves a PIN that no
 * journaled share rebuilds (docs/custody.md, "Where init stops").
 */
static int
quorum_replace(struct ca *ca, const struct init_opts *o,
    const struct custody_share *pshares, const char *pset,
    struct quorum_pins *qp)
{
	char msg[1024];
	json_t *d;
	int r;

	if ((r = token_set_pin(ca->tok, qp->typed, strlen(qp->typed),
	    qp->fresh, qp->len)) != 0)
		return r;
	qp->replaced = true;
	if ((d = quorum_json(ca, o, pshares, pset, qp->len)) == NULL)
		r = airca_errf(AIRCA_ERR_NOMEM, "pin-quorum-created");
	else
		r = ca_journal(ca, "pin-quorum-created", d, 0);
	json_decref(d);
	if (r == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s", airca_errmsg());
	if (token_set_pin(ca->tok, qp->fresh, qp->len, qp->typed,
	    strlen(qp->typed)) == 0) {
		qp->replaced = false;
		return airca_errf(r, "%s; the user PIN typed at init was set "
		    "back: the PIN shares just handed out are void", msg);
	}
	return airca_errf(r, "%s; the user PIN is the new random one, which "
	    "the PIN shares just handed out rebuild, but no journal records "
	    "them: the SO must set a user PIN (C_InitPIN, see docs/custody.md)",
	    msg);
}

/* Append ", name" (" name" first) to the list in buf. */
static void
name_add(char *buf, size_t size, unsigned i, const char *name)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s %s", i ? "," : "", name);
}

static int
init_run(struct ca *ca, const char *factory, enum key_type kt,
    const struct init_opts *o)
{
	struct custody_share *shares = NULL, *pshares = NULL;
	struct quorum_pins qp = { NULL, NULL, 0, false };
	char kcheck[SHA256_HEX_LEN + 1], set[9], polname[32], pset[9];
	bool imported = false;
	unsigned days = o->days;
	struct ca_issue ci;
	const struct token_info *ti;
	X509_NAME *subj = NULL;
	EVP_PKEY *root_pub = NULL, *audit_pub = NULL;
	X509 *root = NULL, *audit = NULL;
	json_t *d = NULL, *state = NULL;
	char path[PATH_MAX], *text = NULL, fp[SHA256_HEX_LEN + 1];
	char polfp[SHA256_HEX_LEN + 1];
	char rserial[SERIAL_HEX_MAX], aserial[SERIAL_HEX_MAX], ts[21];
	char groups[96], names[CUSTODY_MAX * 80];
	int r;

	if ((r = policy_default(factory, &ca->pol)) != 0)
		goto out;
	ca->have_policy = true;
	ca->pol.ca_key = kt;
	if (days > ca->pol.profiles[PROFILE_ROOT].days) {
		r = airca_errf(AIRCA_ERR_POLICY, "--days %u is longer than the "
		    "root profile's %u days", days,
		    ca->pol.profiles[PROFILE_ROOT].days);
		goto out;
	}
	custody_policy_name(&o->pol, polname, sizeof(polname));
	if ((r = ca_token_open(ca)) != 0)
		goto out;
	if ((r = hsm_profile_can_generate(&ca->hsm, kt)) != 0)
		goto out;
	if (o->pol.k > 0) {
		/* never fall back to plain extractable keys */
		if (!ca->hsm.wrap_with_trusted) {
			r = airca_errf(AIRCA_ERR_POLICY, "--backup %s: HSM "
			    "profile '%s' does not say wrap_with_trusted = yes "
			    "under [keys]: this token is not known to keep a "
			    "key that may leave only wrapped under a trusted "
			    "key, and airca never makes plainly extractable CA "
			    "keys; use --backup none (or the HSM's own backup "
			    "scheme, see docs/custody.md)", polname,
			    ca->hsm.name);
			goto out;
		}
		/* The factory root of trust is set once: refuse before touching the token. */
		if (!ca->hsm.login_before_search &&
		    (r = init_labels_free(ca, true)) != 0)
			goto out;
		if ((r = custody_new(ca, &o->pol, &shares, kcheck, set)) != 0)
			goto out;
		imported = true;
	}
	if (o->pin_pol.k > 0)
		r = quorum_new(ca, &o->pin_pol, &pshares, pset, &qp);
	else
		r = ca_token_login(ca);
	if (r != 0 || (r = init_labels_free(ca, false)) != 0)
		goto out;
	token_set_custody(ca->tok, o->pol.k > 0);
	ti = token_info(ca->tok);
	if ((r = airgap_host(&ca->host)) != 0)
		goto out;
	d = json_pack("{s:s,s:s,s:o,s:{s:s,s:s,s:s,s:s},s:s,s:s}", "factory",
	    factory, "key-type", key_type_name(kt), "token", token_json(ti),
	    "host", "name", ca->host.hostname, "kernel", ca->host.kernel,
	    "airca", ca->host.airca_version, "binary-sha256",
	    ca->host.binary_sha256, "hsm-profile", ca->hsm.name, "key-policy",
	    polname);
	if (d == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = journal_create(ca->home, ca->session, ca->ctx->actor, d,
	    &ca->j)) != 0 ||
	    (r = registry_new(ca->home, &ca->reg)) != 0)
		goto out;
	json_decref(d);
	d = json_pack("{s:s}", "command", "init");
	if ((r = ca_journal(ca, "command", d, 0)) != 0)
		goto out;
	if (o->pol.k > 0) {
		json_decref(d);
		if ((d = custody_json(ca, o, shares, kcheck, set)) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "custody-created");
			goto out;
		}
		if ((r = ca_journal(ca, "custody-created", d, 0)) != 0)
			goto out;
	}

	if ((r = ca_generate_key(ca, kt, CA_ROOT_LABEL, &root_pub, &ca->root_key)) != 0 ||
	    (r = ca_generate_key(ca, kt, CA_AUDIT_LABEL, &audit_pub,
	    &ca->audit_key)) != 0)
		goto out;

	/* The self-signed root. */
	if ((r = policy_subject(&ca->pol.profiles[PROFILE_ROOT], NULL, NULL,
	    &subj)) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.prof = &ca->pol.profiles[PROFILE_ROOT];
	ci.subject = subj;
	ci.pubkey = root_pub;
	ci.issuer_key = ca->root_key;
	ci.days = days;
	ci.label = CA_ROOT_LABEL;
	if ((r = ca_issue(ca, &ci, &root)) != 0)
		goto out;
	X509_NAME_free(subj);
	subj = NULL;

	/* The audit certificate, signed by the root. */
	if ((r = policy_subject(&ca->pol.profiles[PROFILE_AUDIT], NULL,
	    X509_get_subject_name(root), &subj)) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.prof = &ca->pol.profiles[PROFILE_AUDIT];
	ci.subject = subj;
	ci.pubkey = audit_pub;
	ci.issuer = root;
	ci.issuer_key = ca->root_key;
	ci.label = CA_AUDIT_LABEL;
	if ((r = ca_issue(ca, &ci, &audit)) != 0)
		goto out;
	/* from here on a failure is journaled and signed like any other */
	if (X509_up_ref(root) != 1 || X509_up_ref(audit) != 1) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	ca->root = root;
	ca->audit = audit;
	if ((r = token_store_cert(ca->tok, CA_ROOT_LABEL, root)) != 0 ||
	    (r = token_store_cert(ca->tok, CA_AUDIT_LABEL, audit)) != 0)
		goto out;
	/*
	 * The root pins the audit certificate: from here on, only its
	 * signatures count in this journal (and this pin covers every entry
	 * before it, the keys' generation included).
	 */
	if ((r = journal_pin(ca->j, ca->root_key, root, audit)) != 0)
		goto out;

	/* The home: certificates, policy, state. */
	if ((r = write_cert(ca, "root.pem", root)) != 0 ||
	    (r = write_cert(ca, "audit.pem", audit)) != 0 ||
	    (r = policy_format(&ca->pol, &text)) != 0 ||
	    (r = path_join(path, sizeof(path), ca->home, CA_POLICY_FILE)) != 0 ||
	    (r = media_write(path, text, strlen(text), 0)) != 0)
		goto out;
	json_decref(d);
	sha256_hex(text, strlen(text), polfp);
	d = json_pack("{s:s,s:s}", "file", CA_POLICY_FILE, "sha256", polfp);
	if ((r = ca_journal(ca, "policy-written", d, 0)) != 0)
		goto out;
	cert_serial_hex(root, rserial, sizeof(rserial));
	cert_serial_hex(audit, aserial, sizeof(aserial));
	cert_fingerprint(root, fp);
	time_iso(now(), ts);
	state = json_pack("{s:s,s:i,s:s,s:s,s:s,s:o,s:{s:s,s:s,s:s},"
	    "s:{s:s,s:s},s:s,s:s}", "format", "airca-home", "version", 1,
	    "factory", factory, "created", ts, "hsm-profile", ca->hsm.name,
	    "token", token_json(ti), "root", "label", CA_ROOT_LABEL, "serial",
	    rserial, "fingerprint", fp, "audit", "label", CA_AUDIT_LABEL,
	    "serial", aserial, "policy-sha256", polfp, "key-policy", polname);
	free(text);
	text = NULL;
	if (state == NULL || (text = json_dumps(state, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/* journaled (custody-created, the share hashes) before any share is shown */
	if (o->pol.k > 0 && (r = custody_hand_out(o, shares)) != 0)
		goto out;
	/* the new PIN's shares are out before it is set, and journaled after */
	if (o->pin_pol.k > 0 && ((r = quorum_hand_out(o, pshares)) != 0 ||
	    (r = quorum_replace(ca, o, pshares, pset, &qp)) != 0))
		goto out;
	quorum_pins_free(&qp);
	/* last: until airca.json is there, the home is a failed init */
	if ((r = path_join(path, sizeof(path), ca->home, CA_STATE_FILE)) != 0 ||
	    (r = media_write(path, text, strlen(text), 0)) != 0)
		goto out;
	hex_groups(fp, groups, sizeof(groups));
	if (out_is_json(ca->ctx->out)) {
		if ((r = out_merge(ca->ctx->out, json_pack("{s:s,s:s,s:s,s:s,"
		    "s:s,s:s}", "factory", factory, "root-serial", rserial,
		    "root-fingerprint", fp, "audit-serial", aserial, "home",
		    ca->home, "key-policy", polname))) != 0)
			goto out;
	} else {
		out_result(ca->ctx->out, "factory root initialised for '%s' in "
		    "%s", factory, ca->home);
		out_result(ca->ctx->out, "  root  serial %s\n        SHA-256 "
		    "%s", rserial, groups);
		out_result(ca->ctx->out, "  audit serial %s", aserial);
		if (o->pol.k == 0)
			out_result(ca->ctx->out, "  keys  %s, on token '%s' "
			    "(serial %s), sensitive and not extractable",
			    key_type_name(kt), ti->label, ti->serial);
		else {
			unsigned i;

			out_result(ca->ctx->out, "  keys  %s, on token '%s' "
			    "(serial %s), sensitive; they leave it only "
			    "wrapped under the trusted custody key",
			    key_type_name(kt), ti->label, ti->serial);
			names[0] = '\0';
			for (i = 0; i < o->pol.n; i++)
				name_add(names, sizeof(names), i, o->names[i]);
			out_result(ca->ctx->out, "  custody %s, set %s:%s",
			    polname, set, names);
			if (o->shares_to != NULL)
				out_result(ca->ctx->out, "  shares written to "
				    "%s (rehearsal only: a real ceremony shows "
				    "each on its own screen)", o->shares_to);
		}
		if (o->pin_pol.k > 0) {
			unsigned i;
			char pp[32];

			custody_policy_name(&o->pin_pol, pp, sizeof(pp));
			names[0] = '\0';
			for (i = 0; i < o->pin_pol.n; i++)
				name_add(names, sizeof(names), i,
				    o->pin_names[i]);
			out_result(ca->ctx->out, "  login %s shares of the "
			    "user PIN, set %s:%s", pp, pset, names);
			if (o->shares_to != NULL)
				out_result(ca->ctx->out, "  PIN shares written "
				    "to %s/pin-share-N.txt (rehearsal only)",
				    o->shares_to);
		}
	}
	r = 0;
 out:
	if (r != 0 && imported && ca->tok != NULL)
		(void)token_secret_destroy(ca->tok, CUSTODY_LABEL);
	if (shares != NULL)
		secret_free(shares, o->pol.n * sizeof(*shares));
	if (pshares != NULL)
		secret_free(pshares, o->pin_pol.n * sizeof(*pshares));
	quorum_pins_free(&qp);
	free(text);
	json_decref(d);
	json_decref(state);
	X509_NAME_free(subj);
	EVP_PKEY_free(root_pub);
	EVP_PKEY_free(audit_pub);
	X509_free(root);
	X509_free(audit);
	return r;
}

/* --pin-shares K-of-N with --pin-custodian NAME N times, distinct names. */
static int
init_check_pin(const struct cmd_args *a, struct custody_policy *ppol)
{
	size_t i, j, np = args_count(a, "pin-custodian");
	int r;

	memset(ppol, 0, sizeof(*ppol));
	if (!args_has(a, "pin-shares")) {
		if (np > 0)
			return airca_errf(AIRCA_ERR_USAGE, "--pin-custodian goes "
			    "with --pin-shares K-of-N");
		return 0;
	}
	if ((r = pin_policy_parse(args_get(a, "pin-shares"), ppol)) != 0)
		return r;
	if (np != ppol->n)
		return airca_errf(AIRCA_ERR_USAGE, "--pin-shares %u-of-%u names "
		    "%u holders: give --pin-custodian NAME %u times (%zu given)",
		    ppol->k, ppol->n, ppol->n, ppol->n, np);
	for (i = 0; i < np; i++)
		for (j = 0; j < i; j++)
			if (strcmp(args_value(a, "pin-custodian", i),
			    args_value(a, "pin-custodian", j)) == 0)
				return airca_errf(AIRCA_ERR_USAGE, "--pin-"
				    "custodian '%s' named twice: each PIN share "
				    "goes to a different person",
				    args_value(a, "pin-custodian", i));
	return 0;
}

/*
 * The factory name is the OU of every certificate, and the key type one
 * the profile's token can generate: both checked before the home is made
 * and before the PIN.
 */
static int
cmd_init_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct hsm_profile prof;
	struct custody_policy pol, ppol;
	const char *factory = args_get(a, "factory");
	enum key_type kt = KEY_EC_P256;
	size_t i, j, nc = args_count(a, "custodian");
	int r;

	if (!policy_factory_ok(factory))
		return airca_errf(AIRCA_ERR_USAGE, "--factory '%.64s': not "
		    "usable as a factory name: 1..64 printable bytes, no '/', "
		    "',' or leading '.', no leading or trailing space", factory);
	if ((r = custody_policy_parse(args_has(a, "backup") ?
	    args_get(a, "backup") : "none", &pol)) != 0)
		return r;
	if (pol.k == 0 && nc > 0)
		return airca_errf(AIRCA_ERR_USAGE, "--custodian goes with "
		    "--backup K-of-N");
	if ((r = init_check_pin(a, &ppol)) != 0)
		return r;
	if (pol.k == 0 && ppol.k == 0 && args_has(a, "shares-to"))
		return airca_errf(AIRCA_ERR_USAGE, "--shares-to goes with "
		    "--backup K-of-N or --pin-shares K-of-N");
	if (pol.k > 0 && nc != pol.n)
		return airca_errf(AIRCA_ERR_USAGE, "--backup %u-of-%u names %u "
		    "custodians: give --custodian NAME %u times (%zu given)",
		    pol.k, pol.n, pol.n, pol.n, nc);
	for (i = 0; i < nc; i++)
		for (j = 0; j < i; j++)
			if (strcmp(args_value(a, "custodian", i),
			    args_value(a, "custodian", j)) == 0)
				return airca_errf(AIRCA_ERR_USAGE, "--custodian "
				    "'%s' named twice: each share goes to a "
				    "different person", args_value(a,
				    "custodian", i));
	/* the shares are shown at the very end: know now that they can be */
	if ((pol.k > 0 || ppol.k > 0) && !args_has(a, "shares-to")) {
		int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		bool tty = fd != -1 && isatty(fd);

		if (fd != -1)
			close(fd);
		if (!tty)
			return airca_errf(AIRCA_ERR_USAGE, "%s %u-of-%u: no "
			    "terminal to show each custodian their share on; "
			    "run init on the ceremony's terminal (--shares-to "
			    "DIR is for rehearsals only)", pol.k > 0 ?
			    "--backup" : "--pin-shares", pol.k > 0 ? pol.k :
			    ppol.k, pol.k > 0 ? pol.n : ppol.n);
	}
	if (args_has(a, "key") && (r = key_type_parse(args_get(a, "key"),
	    &kt)) != 0)
		return r;
	if (ctx->hsm == NULL || *ctx->hsm == '\0')
		return 0;	/* the login says a profile is needed */
	if ((r = hsm_profile_load(ctx->hsm, &prof)) != 0)
		return r;
	return hsm_profile_can_generate(&prof, kt);
}

/* What a failed init's journal says it made on the token (unverified: only for the refusal's words). */
struct init_leftovers {
	char	token[96];		/* "'label' (serial S)" */
	char	objects[256];		/* "key airca-root, custody key airca-custody" */
	bool	pin_replaced;		/* pin-quorum-created */
};

static void
leftover_add(struct init_leftovers *lo, const char *what, const char *label)
{
	size_t n = strlen(lo->objects);

	snprintf(lo->objects + n, sizeof(lo->objects) - n, "%s%s %.40s",
	    n ? ", " : "", what, label);
}

static void
leftover_event(struct init_leftovers *lo, json_t *e)
{
	const char *ev = json_string_value(json_object_get(e, "event"));
	json_t *d = json_object_get(e, "data"), *t;
	const char *label;

	if (ev == NULL)
		return;
	if (strcmp(ev, "journal-open") == 0 &&
	    (t = json_object_get(d, "token")) != NULL)
		snprintf(lo->token, sizeof(lo->token), "'%.32s' (serial %.16s)",
		    json_string_value(json_object_get(t, "label")) ?
		    json_string_value(json_object_get(t, "label")) : "?",
		    json_string_value(json_object_get(t, "serial")) ?
		    json_string_value(json_object_get(t, "serial")) : "?");
	else if (strcmp(ev, "key-generated") == 0 && (label =
	    json_string_value(json_object_get(d, "label"))) != NULL)
		leftover_add(lo, "key pair", label);
	else if (strcmp(ev, "custody-created") == 0)
		leftover_add(lo, "custody key", CUSTODY_LABEL);
	else if (strcmp(ev, "pin-quorum-created") == 0)
		lo->pin_replaced = true;
}

static void
leftovers_read(const char *journal, struct init_leftovers *lo)
{
	unsigned char *buf = NULL;
	char *line, *save = NULL;
	size_t len;
	json_t *e;

	memset(lo, 0, sizeof(*lo));
	snprintf(lo->token, sizeof(lo->token), "(unreadable)");
	if (media_read(journal, MEDIA_MAX_JSON, &buf, &len) != 0) {
		airca_errclear();
		return;
	}
	for (line = strtok_r((char *)buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((e = json_loads(line, 0, NULL)) != NULL)
			leftover_event(lo, e);
		json_decref(e);
	}
	free(buf);
}

/*
 * A journal without airca.json: an init that failed or was stopped.  It is
 * never overwritten; the refusal says what to move aside and what the
 * journal says that run left on the token.
 */
static int
init_failed_refusal(const char *home, const char *journal)
{
	static const char *const files[] = { JOURNAL_FILE, "registry.jsonl",
	    "root.pem", "audit.pem", CA_POLICY_FILE, "certs" };
	struct init_leftovers lo;
	char path[PATH_MAX], left[160] = "", token[1024];
	size_t i, n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		n = strlen(left);
		if (path_join(path, sizeof(path), home, files[i]) == 0 &&
		    media_exists(path))
			snprintf(left + n, sizeof(left) - n, "%s%s", n ? ", " :
			    "", files[i]);
	}
	leftovers_read(journal, &lo);
	if (lo.objects[0] == '\0')
		snprintf(token, sizeof(token), "its journal records nothing made "
		    "on token %s", lo.token);
	else
		snprintf(token, sizeof(token), "its journal records on token %s: "
		    "%s%s; a new init refuses a token that holds any of them: "
		    "delete them ('airca token keys' lists them; pkcs11-tool "
		    "--login --delete-object), let the SO re-initialise the "
		    "token, or use another token",
		    lo.token, lo.objects, lo.pin_replaced ? ", and the user PIN "
		    "replaced by the random one its PIN shares rebuild (only "
		    "the SO can set another: C_InitPIN)" : "");
	airca_errclear();
	return airca_errf(AIRCA_ERR_EXISTS, "%s holds a failed init (%s but no "
	    "%s), and an existing journal is never overwritten: move it aside "
	    "(mv %s %s.failed) or give another --home, then run init again; "
	    "that run left %s in the home, and %s (docs/custody.md, \"A failed "
	    "init\")", home, JOURNAL_FILE, CA_STATE_FILE, home, home, left,
	    token);
}

/* Makes the home itself (CMD_CREATES_HOME): there is none to open yet. */
static int
cmd_init_exec(struct cmd_ctx *ctx, struct ca *unused, const struct cmd_args *a)
{
	struct ca ca;
	struct init_opts o;
	const char *factory = args_get(a, "factory");
	enum key_type kt = KEY_EC_P256;
	char path[PATH_MAX];
	size_t i;
	int r;

	(void)unused;
	memset(&o, 0, sizeof(o));
	o.days = (unsigned)args_number(a, "days", 0);
	o.shares_to = args_get(a, "shares-to");
	for (i = 0; i < args_count(a, "custodian") && i < CUSTODY_MAX; i++)
		o.names[i] = args_value(a, "custodian", i);
	for (i = 0; i < args_count(a, "pin-custodian") && i < CUSTODY_MAX; i++)
		o.pin_names[i] = args_value(a, "pin-custodian", i);
	if (args_has(a, "pin-shares") && (r = pin_policy_parse(args_get(a,
	    "pin-shares"), &o.pin_pol)) != 0)
		return r;
	if (args_has(a, "key") && (r = key_type_parse(args_get(a, "key"),
	    &kt)) != 0)
		return r;
	if ((r = custody_policy_parse(args_has(a, "backup") ?
	    args_get(a, "backup") : "none", &o.pol)) != 0)
		return r;
	ca_begin(&ca, ctx, "init");
	if ((r = ca_home_path(ctx, ca.home, sizeof(ca.home))) != 0)
		return r;
	if (mkdir(ca.home, 0700) == -1 && errno != EEXIST)
		return airca_errf(AIRCA_ERR_IO, "%s: %s", ca.home,
		    strerror(errno));
	if ((r = ca_lock(&ca)) != 0)
		return ca_close(&ca, r);
	if ((r = path_join(path, sizeof(path), ca.home, CA_STATE_FILE)) != 0)
		return r;
	if (media_exists(path))
		r = airca_errf(AIRCA_ERR_EXISTS, "%s already holds a root "
		    "(%s exists): the factory root is set once", ca.home,
		    CA_STATE_FILE);
	else if ((r = path_join(path, sizeof(path), ca.home,
	    JOURNAL_FILE)) == 0 && media_exists(path))
		r = init_failed_refusal(ca.home, path);
	if (r == 0)
		r = init_run(&ca, factory, kt, &o);
	return ca_close(&ca, r);
}

static const struct args_opt init_opts[] = {
	{ "factory", ARGS_STRING, "NAME", ARGS_REQUIRED, 0, 0, NULL },
	{ "key",     ARGS_CHOICE, "ec-p256|ec-p384|rsa-3072|rsa-4096", 0, 0, 0,
	    "ec-p256|ec-p384|rsa-3072|rsa-4096" },
	{ "days",    ARGS_NUMBER, "N",    0,             1, 36500, NULL },
	{ "backup",  ARGS_STRING, "none|K-of-N", 0,      0, 0, NULL },
	{ "custodian", ARGS_NAME, "NAME", ARGS_MULTI,    0, 0, NULL },
	{ "pin-shares", ARGS_STRING, "K-of-N", 0,        0, 0, NULL },
	{ "pin-custodian", ARGS_NAME, "NAME", ARGS_MULTI, 0, 0, NULL },
	{ "shares-to", ARGS_OUT_DIR, "DIR", 0,           0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.summary = "create the factory root and audit keys on the token (once)",
	.args = { .opts = init_opts },
	.flags = CMD_CREATES_HOME,
	.check = cmd_init_check,
	.exec = cmd_init_exec,
};
