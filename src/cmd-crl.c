/* cmd-crl.c: airca crl: the full CRL of a CA (the root or a local device CA) from the registry, for relying parties. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "crl.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

/* Is serial a certificate of the CA key labelled label (any of its renewals)? */
static bool
issued_by(struct registry *reg, const char *issuer, const char *label,
    const char *caserial)
{
	const struct reg_entry *e;

	if (strcmp(issuer, caserial) == 0)
		return true;
	return (e = registry_by_serial(reg, issuer)) != NULL &&
	    label[0] != '\0' && strcmp(e->label, label) == 0;
}

static int
crl_of(struct ca *ca, const char *label, const char *outfile)
{
	const struct reg_entry *cae, *e;
	struct crl_entry *ce = NULL;
	X509 *cacert = NULL;
	EVP_PKEY *key = NULL;
	json_t *d = NULL;
	char caserial[SERIAL_HEX_MAX], calabel[65], *pem = NULL;
	char sha[SHA256_HEX_LEN + 1];
	size_t i, n = 0, len;
	unsigned long long number;
	int r;

	if ((r = ca_find_ca(ca, label, &cae, &cacert)) != 0)
		goto out;
	snprintf(caserial, sizeof(caserial), "%s", cae->serial);
	snprintf(calabel, sizeof(calabel), "%s", cae->label);
	if (cae->status == CERT_REVOKED)
		ca_warn(ca, "CA '%s' (serial %s) is revoked: relying parties "
		    "that check the root's CRL refuse everything under it "
		    "already", label, caserial);
	if (strcmp(cae->profile, "root") == 0) {
		if ((key = ca->root_key) == NULL) {
			r = AIRCA_ERR_INTERNAL;
			goto out;
		}
		EVP_PKEY_up_ref(key);
	} else if ((r = token_signing_key(ca->tok, calabel, &key)) != 0)
		goto out;
	if ((ce = calloc(registry_count(ca->reg) + 1, sizeof(*ce))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/* revoked and held certificates this key issued; superseded ones stay valid */
	for (i = 0; i < registry_count(ca->reg); i++) {
		if ((e = registry_peek(ca->reg, i)) == NULL) {
			r = registry_error(ca->reg);
			goto out;
		}
		if ((e->status != CERT_REVOKED && e->status != CERT_HOLD) ||
		    e->issuer[0] == '\0' ||
		    !issued_by(ca->reg, e->issuer, calabel, caserial))
			continue;
		snprintf(ce[n].serial, sizeof(ce[n].serial), "%s", e->serial);
		ce[n].when = e->status_time;
		ce[n].reason = crl_reason_name(e->reason) != NULL &&
		    e->reason != CRL_REASON_REMOVE ? e->reason :
		    CRL_REASON_UNSPECIFIED;
		n++;
	}
	/* an issuer lookup that failed is no "not issued by this CA" */
	if ((r = registry_error(ca->reg)) != 0)
		goto out;
	if (media_exists(outfile)) {
		r = airca_errf(AIRCA_ERR_EXISTS, "%s exists; airca never "
		    "overwrites an output: move it away or choose another --out",
		    outfile);
		goto out;
	}
	if ((r = crl_issue(ca, cae, cacert, key, ce, n, "crl", &pem, &len,
	    &number)) != 0 ||
	    (r = media_write(outfile, pem, len, 0)) != 0)
		goto out;
	sha256_hex(pem, len, sha);
	if ((d = json_pack("{s:{s:s}}", "files", outfile, sha)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "files-written", d, 0)) != 0)
		goto out;
	if (out_is_json(ca->ctx->out)) {
		json_decref(d);
		d = json_pack("{s:s,s:s,s:I,s:I,s:s}", "ca", label, "serial",
		    caserial, "crl-number", (json_int_t)number, "entries",
		    (json_int_t)n, "out", outfile);
		r = out_merge(ca->ctx->out, d);
		d = NULL;
		if (r != 0)
			goto out;
	} else if (!ca->ctx->quiet)
		out_result(ca->ctx->out, "%s: CRL of '%s' (serial %s), number "
		    "%llu, %zu entr%s, next update in %u minutes", outfile,
		    label, caserial, number, n, n == 1 ? "y" : "ies",
		    ca->pol.crl_next_update_minutes);
	r = 0;
 out:
	free(ce);
	free(pem);
	json_decref(d);
	X509_free(cacert);
	EVP_PKEY_free(key);
	return r;
}

static int
cmd_crl_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ctx;
	return crl_of(ca, args_get(a, "ca"), args_get(a, "out"));
}

static const struct args_opt crl_opts[] = {
	{ "ca",	 ARGS_NAME,	"LABEL", ARGS_REQUIRED, 0, 0, NULL },
	{ "out", ARGS_OUT_FILE,	"FILE",	 ARGS_REQUIRED, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_crl_entry = {
	.name = "crl",
	.summary = "the full CRL of the root or a local device CA",
	.args = { .opts = crl_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_crl_exec,
};
