/* cmd-keygen.c: airca keygen: device key pairs made in memory for a keygen profile, each certified and carried in its own PKCS#12. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "keystore.h"
#include "media.h"
#include "util.h"

#define KEYGEN_MAX	10000

/* What keygen needs of a profile: allowed, a leaf, no SAN or manifest to fill. */
static int
keygen_profile(struct ca *ca, const char *name, const struct profile **profp)
{
	const struct profile *prof;
	int t;

	if ((prof = policy_profile(&ca->pol, name)) == NULL ||
	    prof->kind == KIND_BUILTIN || !prof->keygen)
		return airca_errf(AIRCA_ERR_POLICY, "--profile %s: keygen "
		    "takes a profile of %s/%s with keygen = allowed (device "
		    "keys are made outside the device only where the policy "
		    "says so)", name, ca->home, CA_POLICY_FILE);
	if (policy_maps(prof))
		return airca_errf(AIRCA_ERR_POLICY, "profile %s maps subject "
		    "values from a manifest: keygen has none", prof->name);
	for (t = 0; t < 3; t++)
		if (prof->san_rule[t] == RULE_SUPPLIED)
			return airca_errf(AIRCA_ERR_POLICY, "profile %s "
			    "requires a subjectAltName: keygen makes none",
			    prof->name);
	*profp = prof;
	return 0;
}

/* CN = PREFIX-<16 hex digits of the token's RNG>. */
static int
device_cn(struct ca *ca, const char *prefix, char *cn, size_t len)
{
	unsigned char id[8];
	char hex[17];
	int r;

	if ((r = token_random(ca->tok, id, sizeof(id))) != 0)
		return r;
	hex_encode(id, sizeof(id), hex);
	if ((size_t)snprintf(cn, len, "%s-%s", prefix, hex) >= len)
		return airca_errf(AIRCA_ERR_USAGE, "--cn-prefix is too long");
	return 0;
}

/*
 * One device: its key made in memory from the token's RNG, its certificate
 * through ca_issue (lint, sign, verify, lint; journaled with the public
 * key), its PKCS#12 under a fresh random password written to the output,
 * journaled by hash.  The password's row goes to pwl, on the media before
 * the keystore is written: a keystore never exists without its password,
 * whenever the run stops.  The key is freed (cleared) before this returns.
 */
static int
keygen_one(struct ca *ca, const struct profile *prof, X509 *issuer,
    EVP_PKEY *ikey, STACK_OF(X509) *chain, const char *prefix,
    const char *outdir, struct media_log *pwl, char *cn, size_t cnlen)
{
	char pw[2 * KEYSTORE_PASS_BYTES + 1], row[128 + sizeof(pw)];
	struct ca_issue ci;
	unsigned char seed[KEYSTORE_SEED_LEN], pass[KEYSTORE_PASS_BYTES];
	unsigned char *der = NULL;
	EVP_PKEY *key = NULL;
	X509_NAME *req = NULL, *subj = NULL;
	X509 *cert = NULL;
	json_t *extra = NULL, *d = NULL;
	char path[4096], hex[SHA256_HEX_LEN + 1], serial[SERIAL_HEX_MAX];
	size_t len;
	int r;

	if ((r = device_cn(ca, prefix, cn, cnlen)) != 0)
		goto out;
	if ((req = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(req, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = policy_subject(prof, req, X509_get_subject_name(issuer),
	    &subj)) != 0)
		goto out;
	if ((r = token_random(ca->tok, seed, sizeof(seed))) != 0 ||
	    (r = keystore_keygen(seed, sizeof(seed), &key)) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.prof = prof;
	ci.subject = subj;
	ci.pubkey = key;
	ci.issuer = issuer;
	ci.issuer_key = ikey;
	/* the journal gets the public key (spki in cert-issued), never the key */
	if ((extra = json_pack("{s:s}", "keygen", "in memory, seeded from "
	    "the token's RNG")) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	ci.extra = extra;
	if ((r = ca_issue(ca, &ci, &cert)) != 0)
		goto out;
	if ((r = token_random(ca->tok, pass, sizeof(pass))) != 0)
		goto out;
	hex_encode(pass, sizeof(pass), pw);
	if ((r = keystore_p12(key, cert, chain, cn, pw, &der, &len)) != 0)
		goto out;
	if ((r = path_join(path, sizeof(path), outdir, cn)) != 0 ||
	    strlen(path) + 5 > sizeof(path) ||
	    (size_t)snprintf(row, sizeof(row), "%s.p12,%s\n", cn, pw) >=
	    sizeof(row)) {
		r = r != 0 ? r : airca_errf(AIRCA_ERR_USAGE, "--out is too long");
		goto out;
	}
	strcat(path, ".p12");
	if ((r = media_log_append(pwl, row, strlen(row))) != 0 ||
	    (r = media_write(path, der, len, 0)) != 0)
		goto out;
	sha256_hex(der, len, hex);
	cert_serial_hex(cert, serial, sizeof(serial));
	if ((d = json_pack("{s:{s:s},s:s}", "files", path, hex, "keystore",
	    serial)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	r = ca_journal(ca, "files-written", d, 0);
 out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(row, sizeof(row));
	OPENSSL_free(der);
	EVP_PKEY_free(key);	/* EC: the private scalar is cleared */
	X509_NAME_free(req);
	X509_NAME_free(subj);
	X509_free(cert);
	json_decref(extra);
	json_decref(d);
	return r;
}

static int
keygen(struct ca *ca, const char *name, unsigned count, const char *outdir,
    const char *pwfile, const char *prefix)
{
	const struct profile *prof = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *issuer = NULL;
	EVP_PKEY *ikey = NULL;
	struct media_log *pwl = NULL;
	unsigned char sha[SHA256_LEN];
	char cn[96], hex[SHA256_HEX_LEN + 1];
	json_t *d = NULL;
	unsigned i;
	int r;

	if ((r = keygen_profile(ca, name, &prof)) != 0 ||
	    (r = ca_profile_issuer(ca, prof, NULL, &issuer, &ikey)) != 0)
		goto out;
	if (prefix == NULL)
		prefix = prof->name;
	if ((chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, issuer) || !X509_up_ref(issuer)) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (X509_cmp(issuer, ca->root) != 0 &&
	    (!sk_X509_push(chain, ca->root) || !X509_up_ref(ca->root))) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/*
	 * the passwords: their own file, meant for another stick than the
	 * keystores, each row on it before its keystore is written
	 */
	if ((r = media_mkdir(outdir)) != 0 ||
	    (r = media_log_open(pwfile, 0, &pwl)) != 0 ||
	    (r = media_log_append(pwl, "file,password\n", 14)) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((r = keygen_one(ca, prof, issuer, ikey, chain, prefix,
		    outdir, pwl, cn, sizeof(cn))) != 0)
			goto out;
		if (!ca->ctx->quiet && !out_is_json(ca->ctx->out))
			out_result(ca->ctx->out, "%s/%s.p12", outdir, cn);
	}
	r = media_log_close(pwl, sha);
	pwl = NULL;
	if (r != 0)
		goto out;
	hex_encode(sha, sizeof(sha), hex);
	if ((d = json_pack("{s:{s:s},s:I}", "files", pwfile, hex, "passwords",
	    (json_int_t)count)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "files-written", d, 0)) != 0)
		goto out;
	if (out_is_json(ca->ctx->out))
		r = out_merge(ca->ctx->out, json_pack("{s:I,s:s,s:s}",
		    "keystores", (json_int_t)count, "out", outdir, "passwords",
		    pwfile));
	else if (!ca->ctx->quiet)
		out_result(ca->ctx->out, "%u keystores in %s (PKCS#12, "
		    "AES-256/PBKDF2); their passwords in %s: carry it on "
		    "another stick", count, outdir, pwfile);
 out:
	media_log_free(pwl);
	sk_X509_pop_free(chain, X509_free);
	X509_free(issuer);
	EVP_PKEY_free(ikey);
	json_decref(d);
	return r;
}

/* The passwords never land beside the keystores. */
static int
cmd_keygen_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char *out = args_get(a, "out"), *pw = args_get(a, "passwords");
	size_t n = strlen(out);

	(void)ctx;
	while (n > 1 && out[n - 1] == '/')
		n--;
	if (strncmp(pw, out, n) == 0 && pw[n] == '/')
		return airca_errf(AIRCA_ERR_USAGE, "--passwords %s is inside "
		    "--out: the passwords go to another place (another stick) "
		    "than the keystores", pw);
	return 0;
}

static int
cmd_keygen_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ctx;
	return keygen(ca, args_get(a, "profile"),
	    (unsigned)args_number(a, "count", 0), args_get(a, "out"),
	    args_get(a, "passwords"), args_get(a, "cn-prefix"));
}

static const struct args_opt keygen_opts[] = {
	{ "profile",	ARGS_PROFILE,	"NAME",	ARGS_REQUIRED, 0, 0, NULL },
	{ "count",	ARGS_NUMBER,	"N",	ARGS_REQUIRED, 1, KEYGEN_MAX, NULL },
	{ "out",	ARGS_OUT_DIR,	"DIR",	ARGS_REQUIRED, 0, 0, NULL },
	{ "passwords",	ARGS_OUT_FILE,	"CSV",	ARGS_REQUIRED, 0, 0, NULL },
	{ "cn-prefix",	ARGS_NAME,	"P",	0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_keygen_entry = {
	.name = "keygen",
	.summary = "device key pairs made in memory, each certified, in a "
	    "PKCS#12 of its own",
	.args = { .opts = keygen_opts },
	.check = cmd_keygen_check,
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.exec = cmd_keygen_exec,
};
