/* cmd-device-ca.c: airca device-ca create: a local device CA whose key is generated on the token, signed by the root. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "util.h"

static int
device_ca_create(struct ca *ca, const char *uid, const char *label,
    unsigned days)
{
	struct ca_issue ci;
	X509_NAME *req = NULL, *subj = NULL;
	EVP_PKEY *pub = NULL, *sign = NULL;
	X509 *cert = NULL;
	json_t *extra = NULL;
	char cn[80], serial[SERIAL_HEX_MAX], fp[SHA256_HEX_LEN + 1];
	char groups[96];
	int r;

	if (registry_by_label(ca->reg, label) != NULL) {
		r = airca_errf(AIRCA_ERR_EXISTS, "label '%s' is taken by an "
		    "earlier CA of this home: choose another --label", label);
		goto out;
	}
	snprintf(cn, sizeof(cn), "fio-%s", uid);
	if ((req = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(req, NID_commonName, MBSTRING_UTF8,
	    (unsigned char *)cn, -1, -1, 0)) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = policy_subject(&ca->pol.profiles[PROFILE_DEVICE_CA], req,
	    X509_get_subject_name(ca->root), &subj)) != 0)
		goto out;
	if ((r = ca_generate_key(ca, ca->pol.ca_key, label, &pub, &sign)) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.prof = &ca->pol.profiles[PROFILE_DEVICE_CA];
	ci.subject = subj;
	ci.pubkey = pub;
	ci.issuer = ca->root;
	ci.issuer_key = ca->root_key;
	ci.days = days;
	ci.label = label;
	if ((extra = json_pack("{s:s}", "user-id", uid)) == NULL) {
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
		r = out_merge(ca->ctx->out, json_pack("{s:s,s:s,s:s,s:s}",
		    "label", label, "cn", cn, "serial", serial, "fingerprint",
		    fp));
	else
		out_result(ca->ctx->out, "device CA '%s' (CN=%s) serial %s\n  "
		    "SHA-256 %s\n  next: 'airca api device-cas --out DIR' for "
		    "the factory API's ca-crt upload", label, cn, serial,
		    groups);
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
cmd_device_ca_create_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	const char *uid = args_get(a, "user-id"), *label = args_get(a, "label");
	char deflabel[64];

	(void)ctx;
	if (label == NULL) {
		snprintf(deflabel, sizeof(deflabel), "airca-dca-%.20s", uid);
		label = deflabel;
	}
	if (strlen(label) > ca->hsm.label_max)
		return airca_errf(AIRCA_ERR_USAGE, "--label '%s' is longer than "
		    "the %zu characters HSM '%s' takes", label,
		    ca->hsm.label_max, ca->hsm.name);
	return device_ca_create(ca, uid, label,
	    (unsigned)args_number(a, "days", 0));
}

static const struct args_opt device_ca_create_opts[] = {
	{ "user-id",	ARGS_USER_ID,	"UID",	ARGS_REQUIRED, 0, 0, NULL },
	{ "label",	ARGS_LABEL,	"L",	0, 0, 0, NULL },
	{ "days",	ARGS_NUMBER,	"N",	0, 1, 36500, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_device_ca_create_entry = {
	.name = "device-ca create",
	.summary = "a local device CA: key on the token, signed by the root",
	.args = { .opts = device_ca_create_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_device_ca_create_exec,
};
