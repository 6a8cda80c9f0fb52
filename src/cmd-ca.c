/* cmd-ca.c: airca ca create: an intermediate CA of a user-defined profile, its key generated on the token, signed by the root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "util.h"

/*
 * The same path as device-ca create: the key generated on the token and
 * its attributes read back and journaled (ca_generate_key), the subject
 * from the profile's rules, the certificate through ca_issue (lint, sign,
 * verify, lint), stored on the token beside its key under the label.
 */
static int
ca_create(struct ca *ca, const struct profile *prof, const char *label,
    const char *cn, unsigned days)
{
	struct ca_issue ci;
	X509_NAME *req = NULL, *subj = NULL;
	EVP_PKEY *pub = NULL, *sign = NULL;
	X509 *cert = NULL;
	json_t *extra = NULL;
	char serial[SERIAL_HEX_MAX], fp[SHA256_HEX_LEN + 1], groups[96];
	int r;

	if (registry_by_label(ca->reg, label) != NULL) {
		r = airca_errf(AIRCA_ERR_EXISTS, "label '%s' is taken by an "
		    "earlier CA of this home: choose another --label", label);
		goto out;
	}
	if (policy_maps(prof)) {
		r = airca_errf(AIRCA_ERR_POLICY, "profile %s maps subject "
		    "values from a manifest: a CA's subject comes from the "
		    "profile and --cn alone", prof->name);
		goto out;
	}
	if ((req = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(req, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/* judged before the key exists: a refused subject leaves no key */
	if ((r = policy_subject(prof, req, X509_get_subject_name(ca->root),
	    &subj)) != 0)
		goto out;
	if (days > prof->days) {
		r = airca_errf(AIRCA_ERR_POLICY, "--days %u is longer than "
		    "profile %s allows (%u)", days, prof->name, prof->days);
		goto out;
	}
	if ((r = ca_generate_key(ca, ca->pol.ca_key, label, &pub, &sign)) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.prof = prof;
	ci.subject = subj;
	ci.pubkey = pub;
	ci.issuer = ca->root;
	ci.issuer_key = ca->root_key;
	ci.days = days;
	ci.label = label;
	if ((extra = json_pack("{s:s}", "kind", "intermediate-ca")) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	ci.extra = extra;
	if ((r = ca_issue(ca, &ci, &cert)) != 0 ||
	    (r = token_store_cert(ca->tok, label, cert)) != 0)
		goto out;
	cert_serial_hex(cert, serial, sizeof(serial));
	cert_fingerprint(cert, fp);
	hex_groups(fp, groups, sizeof(groups));
	if (out_is_json(ca->ctx->out))
		r = out_merge(ca->ctx->out, json_pack("{s:s,s:s,s:s,s:s,s:s}",
		    "label", label, "profile", prof->name, "cn", cn, "serial",
		    serial, "fingerprint", fp));
	else
		out_result(ca->ctx->out, "intermediate CA '%s' (profile %s, "
		    "CN=%s) serial %s\n  SHA-256 %s\n  next: profiles with "
		    "'issuer = %s' sign under it; 'airca export --serial %s "
		    "--chain' for its chain", label, prof->name, cn, serial,
		    groups, label, serial);
 out:
	json_decref(extra);
	X509_free(cert);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(sign);
	X509_NAME_free(req);
	X509_NAME_free(subj);
	return r;
}

static int
cmd_ca_create_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	const char *name = args_get(a, "profile"), *label = args_get(a, "label");
	const char *cn = args_get(a, "cn");
	const struct profile *prof;

	(void)ctx;
	if ((prof = policy_profile(&ca->pol, name)) == NULL ||
	    prof->kind != KIND_INTERMEDIATE_CA)
		return airca_errf(AIRCA_ERR_USAGE, "--profile %s: 'ca create' "
		    "takes a profile of kind intermediate-ca from %s/%s",
		    name, ca->home, CA_POLICY_FILE);
	if (strlen(label) > ca->hsm.label_max)
		return airca_errf(AIRCA_ERR_USAGE, "--label '%s' is longer than "
		    "the %zu characters HSM '%s' takes", label,
		    ca->hsm.label_max, ca->hsm.name);
	if (strcmp(label, CA_ROOT_LABEL) == 0 ||
	    strcmp(label, CA_AUDIT_LABEL) == 0 || strcmp(label, "root") == 0)
		return airca_errf(AIRCA_ERR_USAGE, "--label %s is reserved: "
		    "choose another", label);
	return ca_create(ca, prof, label, cn != NULL ? cn : label,
	    (unsigned)args_number(a, "days", 0));
}

static const struct args_opt ca_create_opts[] = {
	{ "profile",	ARGS_PROFILE,	"NAME",	ARGS_REQUIRED, 0, 0, NULL },
	{ "label",	ARGS_LABEL,	"L",	ARGS_REQUIRED, 0, 0, NULL },
	{ "cn",		ARGS_NAME,	"CN",	0, 0, 0, NULL },
	{ "days",	ARGS_NUMBER,	"N",	0, 1, 36500, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_ca_create_entry = {
	.name = "ca create",
	.summary = "an intermediate CA of a policy profile: key on the token, "
	    "signed by the root",
	.args = { .opts = ca_create_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_ca_create_exec,
};
