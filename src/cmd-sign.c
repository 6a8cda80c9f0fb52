/* cmd-sign.c: airca sign: one request under any CSR profile (built-in or policy.conf's), signed by its issuer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "csr.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

static int
sign_one(struct ca *ca, const char *profname, const char *in, const char *out,
    const char *calabel, unsigned days)
{
	const struct profile *prof;
	struct csr *c = NULL;
	unsigned char *buf = NULL, sha[SHA256_LEN];
	size_t len;
	X509 *issuer = NULL, *cert = NULL;
	EVP_PKEY *ikey = NULL;
	json_t *extra = NULL, *d = NULL;
	char *pem = NULL, serial[SERIAL_HEX_MAX], fp[SHA256_HEX_LEN + 1];
	char hex[SHA256_HEX_LEN + 1], reason[1024];
	int r, rr;

	if ((prof = policy_profile(&ca->pol, profname)) == NULL ||
	    prof->id == PROFILE_ROOT || prof->id == PROFILE_AUDIT) {
		r = airca_errf(AIRCA_ERR_USAGE, "--profile %s: use tls, est-tls, "
		    "online-ca, device-ca or device, or a profile of %s/%s",
		    profname, ca->home, CA_POLICY_FILE);
		goto out;
	}
	if (prof->kind == KIND_INTERMEDIATE_CA) {
		r = airca_errf(AIRCA_ERR_USAGE, "--profile %s: an intermediate "
		    "CA's key is made on the token: use 'airca ca create "
		    "--profile %s --label L'", profname, profname);
		goto out;
	}
	if (prof->kind != KIND_BUILTIN) {
		if ((r = ca_profile_issuer(ca, prof, calabel, &issuer,
		    &ikey)) != 0)
			goto out;
	} else if (prof->id == PROFILE_DEVICE) {
		if (calabel == NULL) {
			r = airca_errf(AIRCA_ERR_USAGE, "profile device needs "
			    "--ca LABEL: the local device CA that signs");
			goto out;
		}
		if ((r = ca_find_ca(ca, calabel, NULL, &issuer)) != 0 ||
		    (r = token_signing_key(ca->tok, calabel, &ikey)) != 0)
			goto out;
	} else {
		if (calabel != NULL && strcmp(calabel, CA_ROOT_LABEL) != 0) {
			r = airca_errf(AIRCA_ERR_USAGE, "profile %s is signed by "
			    "the root; --ca is for device certificates", prof->name);
			goto out;
		}
		if ((issuer = X509_dup(ca->root)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		ikey = ca->root_key;
		EVP_PKEY_up_ref(ikey);
	}
	if ((r = media_read(in, MEDIA_MAX_CSR, &buf, &len)) != 0)
		goto out;
	sha256(buf, len, sha);
	if ((r = csr_parse(buf, len, &c)) != 0) {
		snprintf(reason, sizeof(reason), "%s", airca_errmsg());
		goto reject;
	}
	hex_encode(sha, sizeof(sha), hex);
	if ((extra = json_pack("{s:s,s:s}", "input", in, "input-sha256",
	    hex)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_sign_csr(ca, prof, c, issuer, ikey, days, extra, 0,
	    &cert)) != 0) {
		if (r != AIRCA_ERR_POLICY)
			goto out;
		snprintf(reason, sizeof(reason), "%s", airca_errmsg());
		goto reject;
	}
	if ((r = cert_pem(cert, &pem, &len)) != 0 ||
	    (r = media_write(out, pem, len, 0)) != 0)
		goto out;
	cert_serial_hex(cert, serial, sizeof(serial));
	cert_fingerprint(cert, fp);
	sha256_hex(pem, len, hex);
	if ((d = json_pack("{s:{s:s}}", "files", out, hex)) == NULL ||
	    (r = ca_journal(ca, "files-written", d, 0)) != 0)
		goto out;
	r = 0;
	if (out_is_json(ca->ctx->out))
		r = out_merge(ca->ctx->out, json_pack("{s:s,s:s,s:s,s:s}",
		    "profile", prof->name, "serial", serial, "fingerprint", fp,
		    "out", out));
	else
		out_result(ca->ctx->out, "%s: signed as %s, serial %s\n"
		    "  SHA-256 %s", out, prof->name, serial, fp);
	goto out;
 reject:
	if ((rr = ca_reject(ca, in, sha, reason, 0)) != 0)
		r = rr;
	else
		r = airca_errf(r == AIRCA_ERR_POLICY ? AIRCA_ERR_POLICY :
		    AIRCA_ERR_INPUT, "%s rejected: %s", in, reason);
 out:
	free(pem);
	free(buf);
	json_decref(extra);
	json_decref(d);
	csr_free(c);
	X509_free(issuer);
	X509_free(cert);
	EVP_PKEY_free(ikey);
	return r;
}

static int
cmd_sign_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ctx;
	return sign_one(ca, args_get(a, "profile"), args_get(a, "in"),
	    args_get(a, "out"), args_get(a, "ca"),
	    (unsigned)args_number(a, "days", 0));
}

static const struct args_opt sign_opts[] = {
	{ "profile",	ARGS_PROFILE,	"P",	 ARGS_REQUIRED, 0, 0, NULL },
	{ "in",		ARGS_IN_FILE,	"CSR",	 ARGS_REQUIRED, 0, 0, NULL },
	{ "out",	ARGS_OUT_FILE,	"CERT",	 ARGS_REQUIRED, 0, 0, NULL },
	{ "ca",		ARGS_LABEL,	"LABEL", 0, 0, 0, NULL },
	{ "days",	ARGS_NUMBER,	"N",	 0, 1, 36500, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_sign_entry = {
	.name = "sign",
	.summary = "sign one request under a profile",
	.args = { .opts = sign_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_sign_exec,
};
