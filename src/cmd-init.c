/* cmd-init.c: airca init: the factory root of trust, set once: root and audit keys on the token, certificates, policy, journal. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
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

static int
init_run(struct ca *ca, const char *factory, enum key_type kt, unsigned days)
{
	struct ca_issue ci;
	const struct token_info *ti;
	X509_NAME *subj = NULL;
	EVP_PKEY *root_pub = NULL, *audit_pub = NULL;
	X509 *root = NULL, *audit = NULL;
	json_t *d = NULL, *state = NULL;
	char path[PATH_MAX], *text = NULL, fp[SHA256_HEX_LEN + 1];
	char polfp[SHA256_HEX_LEN + 1];
	char rserial[SERIAL_HEX_MAX], aserial[SERIAL_HEX_MAX], ts[21];
	char groups[96];
	bool exists;
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
	if ((r = ca_token_login(ca)) != 0)
		goto out;
	if ((r = hsm_profile_can_generate(&ca->hsm, kt)) != 0)
		goto out;
	/* The factory root of trust is set once: refuse before touching the token. */
	if ((r = token_label_exists(ca->tok, CA_ROOT_LABEL, &exists)) != 0)
		goto out;
	if (!exists && (r = token_label_exists(ca->tok, CA_AUDIT_LABEL,
	    &exists)) != 0)
		goto out;
	if (exists) {
		r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' (serial %s) "
		    "already holds a root ('%s' or '%s'): the factory root is "
		    "set once; use another token or re-initialise this one "
		    "deliberately", token_info(ca->tok)->label,
		    token_info(ca->tok)->serial, CA_ROOT_LABEL, CA_AUDIT_LABEL);
		goto out;
	}
	ti = token_info(ca->tok);
	if ((r = airgap_host(&ca->host)) != 0)
		goto out;
	d = json_pack("{s:s,s:s,s:o,s:{s:s,s:s,s:s,s:s},s:s}", "factory",
	    factory, "key-type", key_type_name(kt), "token", token_json(ti),
	    "host", "name", ca->host.hostname, "kernel", ca->host.kernel,
	    "airca", ca->host.airca_version, "binary-sha256",
	    ca->host.binary_sha256, "hsm-profile", ca->hsm.name);
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
	    "s:{s:s,s:s},s:s}", "format", "airca-home", "version", 1, "factory",
	    factory, "created", ts, "hsm-profile", ca->hsm.name, "token",
	    token_json(ti), "root", "label", CA_ROOT_LABEL, "serial", rserial,
	    "fingerprint", fp, "audit", "label", CA_AUDIT_LABEL, "serial",
	    aserial, "policy-sha256", polfp);
	free(text);
	text = NULL;
	if (state == NULL || (text = json_dumps(state, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = path_join(path, sizeof(path), ca->home, CA_STATE_FILE)) != 0 ||
	    (r = media_write(path, text, strlen(text), 0)) != 0)
		goto out;
	hex_groups(fp, groups, sizeof(groups));
	if (ca->ctx->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "factory",
		    factory, "root-serial", rserial, "root-fingerprint", fp,
		    "audit-serial", aserial, "home", ca->home);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		printf("factory root initialised for '%s' in %s\n", factory,
		    ca->home);
		printf("  root  serial %s\n        SHA-256 %s\n", rserial,
		    groups);
		printf("  audit serial %s\n", aserial);
		printf("  keys  %s, on token '%s' (serial %s), sensitive and "
		    "not extractable\n", key_type_name(kt), ti->label,
		    ti->serial);
	}
	r = 0;
 out:
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

/*
 * The factory name is the OU of every certificate, and the key type one
 * the profile's token can generate: both checked before the home is made
 * and before the PIN.
 */
static int
cmd_init_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct hsm_profile prof;
	const char *factory = args_get(a, "factory");
	enum key_type kt = KEY_EC_P256;
	int r;

	if (!policy_factory_ok(factory))
		return airca_errf(AIRCA_ERR_USAGE, "--factory '%.64s': not "
		    "usable as a factory name: 1..64 printable bytes, no '/', "
		    "',' or leading '.', no leading or trailing space", factory);
	if (args_has(a, "key") && (r = key_type_parse(args_get(a, "key"),
	    &kt)) != 0)
		return r;
	if (ctx->hsm == NULL || *ctx->hsm == '\0')
		return 0;	/* the login says a profile is needed */
	if ((r = hsm_profile_load(ctx->hsm, &prof)) != 0)
		return r;
	return hsm_profile_can_generate(&prof, kt);
}

/* Makes the home itself (CMD_CREATES_HOME): there is none to open yet. */
static int
cmd_init_exec(struct cmd_ctx *ctx, struct ca *unused, const struct cmd_args *a)
{
	struct ca ca;
	const char *factory = args_get(a, "factory");
	enum key_type kt = KEY_EC_P256;
	char path[PATH_MAX];
	unsigned long days = (unsigned long)args_number(a, "days", 0);
	int r;

	(void)unused;
	if (args_has(a, "key") && (r = key_type_parse(args_get(a, "key"),
	    &kt)) != 0)
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
		r = airca_errf(AIRCA_ERR_EXISTS, "%s has a journal already "
		    "(an earlier init failed?): use a new, empty home", ca.home);
	if (r == 0)
		r = init_run(&ca, factory, kt, (unsigned)days);
	return ca_close(&ca, r);
}

static const struct args_opt init_opts[] = {
	{ "factory", ARGS_STRING, "NAME", ARGS_REQUIRED, 0, 0, NULL },
	{ "key",     ARGS_CHOICE, "ec-p256|ec-p384|rsa-3072|rsa-4096", 0, 0, 0,
	    "ec-p256|ec-p384|rsa-3072|rsa-4096" },
	{ "days",    ARGS_NUMBER, "N",    0,             1, 36500, NULL },
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
