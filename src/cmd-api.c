/* cmd-api.c: airca api sign / api device-cas: the factory API's CSRs signed, and its upload body written. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "bundle.h"
#include "ca.h"
#include "cmd.h"
#include "csr.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

/* Append the PEM of cert to *bufp (realloc'd). */
static int
pem_append(char **bufp, size_t *lenp, X509 *cert)
{
	char *pem = NULL, *nb;
	size_t len;
	int r;

	if ((r = cert_pem(cert, &pem, &len)) != 0)
		return r;
	if ((nb = realloc(*bufp, *lenp + len + 1)) == NULL) {
		free(pem);
		return AIRCA_ERR_NOMEM;
	}
	memcpy(nb + *lenp, pem, len);
	*lenp += len;
	nb[*lenp] = '\0';
	*bufp = nb;
	free(pem);
	return 0;
}

#define API_MAX_DROPS	16
#define API_MAX_CURRENT	64	/* device CAs in the API's list */

/* What the officers brought and confirmed: --current FILE, --drop SERIAL. */
struct api_current {
	const char *path;			/* NULL: airca's records alone */
	const char *drop[API_MAX_DROPS];
	size_t	ndrop;
};

static bool
drop_named(const struct api_current *cur, const char *serial)
{
	size_t i;

	for (i = 0; i < cur->ndrop; i++)
		if (strcasecmp(cur->drop[i], serial) == 0)
			return true;
	return false;
}

static bool
in_list(X509 *const *list, size_t n, const char *fp)
{
	char f[SHA256_HEX_LEN + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		cert_fingerprint(list[i], f);
		if (strcmp(f, fp) == 0)
			return true;
	}
	return false;
}

/*
 * The API's current device CAs: the ca-crt of its GET (what fioctl keys ca
 * show --json prints, client/foundries_pki.go CaCerts), each verified as
 * signed by this home's root; its root-crt, if there, must be this root.
 */
static int
current_read(struct ca *ca, const char *path, X509 **list, size_t *np)
{
	static const char *const known[] = { "root-crt", "ca-crt", "tls-crt",
	    "est-tls-crt", "ca-revoke-crl", "disabled-ca-serials",
	    "change-meta", NULL };
	unsigned char *buf = NULL;
	json_t *root = NULL, *v;
	json_error_t jerr;
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *rk;
	const char *key;
	char serial[SERIAL_HEX_MAX];
	size_t len, n = 0, k;
	int r;

	if ((r = media_read(path, MEDIA_MAX_JSON, &buf, &len)) != 0)
		goto out;
	if ((root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || !json_is_object(root)) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: not the JSON object the "
		    "factory API's GET returns (fioctl keys ca show --json)%s%s",
		    path, root == NULL ? ": " : "", root == NULL ? jerr.text : "");
		goto out;
	}
	json_object_foreach(root, key, v) {
		for (k = 0; known[k] != NULL && strcmp(known[k], key) != 0; k++)
			;
		if (known[k] == NULL) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: unknown key "
			    "\"%.64s\": the API's certificates hold root-crt, "
			    "ca-crt, tls-crt, est-tls-crt, ca-revoke-crl, "
			    "disabled-ca-serials, change-meta (docs/api.md)",
			    path, key);
			goto out;
		}
	}
	if ((v = json_object_get(root, "root-crt")) != NULL &&
	    json_is_string(v) && json_string_length(v) > 0) {
		if ((bio = BIO_new_mem_buf(json_string_value(v),
		    (int)json_string_length(v))) == NULL ||
		    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
		    X509_cmp(x, ca->root) != 0) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: root-crt is not "
			    "this home's root: the file is another factory's, "
			    "or the API's root was replaced", path);
			goto out;
		}
		X509_free(x);
		x = NULL;
		BIO_free(bio);
		bio = NULL;
	}
	v = json_object_get(root, "ca-crt");
	if (v == NULL || !json_is_string(v)) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s has no ca-crt: the API's "
		    "list of device CAs is what --current is for", path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(json_string_value(v),
	    (int)json_string_length(v))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	rk = X509_get0_pubkey(ca->root);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		cert_serial_hex(x, serial, sizeof(serial));
		if (X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(ca->root)) != 0 || rk == NULL ||
		    X509_verify(x, rk) != 1) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: ca-crt serial %s is "
			    "not signed by this home's root", path, serial);
			goto out;
		}
		if (n == API_MAX_CURRENT) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: more than %d device "
			    "CAs in ca-crt", path, API_MAX_CURRENT);
			goto out;
		}
		list[n++] = x;
		x = NULL;
	}
	ERR_clear_error();
	*np = n;
	n = 0;
	r = 0;
 out:
	while (n > 0)
		X509_free(list[--n]);
	X509_free(x);
	BIO_free(bio);
	json_decref(root);
	free(buf);
	return r;
}

/*
 * ca-crt from the API's current list (cur->path) plus airca's changes: the
 * API's CAs in its order, but those airca revoked or superseded, which are
 * dropped only when named with --drop (refused otherwise, naming them);
 * then airca's device CAs not revoked that the API lacks.  Without
 * --current: airca's device CAs alone.
 */
static int
device_cas_merged(struct ca *ca, const struct api_current *cur, char **pemp,
    size_t *lenp, size_t *np)
{
	X509 *list[API_MAX_CURRENT], *x = NULL;
	const struct reg_entry *e;
	char *buf = NULL, fp[SHA256_HEX_LEN + 1], serial[SERIAL_HEX_MAX];
	char undropped[512] = "";
	size_t i, len = 0, n = 0, nl = 0;
	int r;

	if (cur->path == NULL)
		return registry_device_cas_pem(ca->reg, pemp, lenp, np);
	if ((r = current_read(ca, cur->path, list, &nl)) != 0)
		return r;
	for (i = 0; i < nl; i++) {
		cert_serial_hex(list[i], serial, sizeof(serial));
		cert_fingerprint(list[i], fp);
		e = registry_by_serial(ca->reg, serial);
		if (e != NULL && strcmp(e->fingerprint, fp) == 0 &&
		    (e->status == CERT_REVOKED || e->status == CERT_SUPERSEDED)) {
			if (!drop_named(cur, serial)) {
				snprintf(undropped + strlen(undropped),
				    sizeof(undropped) - strlen(undropped),
				    "%s%s (%s)", undropped[0] != '\0' ? ", " :
				    "", serial, cert_status_name(e->status));
				continue;
			}
			ca_warn(ca, "dropping %s (%s here) from the API's "
			    "device CAs, as --drop says", serial,
			    cert_status_name(e->status));
			continue;
		}
		if (e == NULL)
			ca_warn(ca, "device CA %s is in the API's list but not "
			    "in this home's records: kept", serial);
		if ((r = pem_append(&buf, &len, list[i])) != 0)
			goto out;
		n++;
	}
	if (undropped[0] != '\0') {
		r = airca_errf(AIRCA_ERR_INPUT, "the upload would drop device "
		    "CA%s the API lists: %s; its devices could no longer "
		    "register: confirm each with --drop SERIAL, or leave it in "
		    "the API", strchr(undropped, ',') ? "s" : "", undropped);
		goto out;
	}
	for (i = 0; i < registry_count(ca->reg); i++) {
		if ((e = registry_peek(ca->reg, i)) == NULL) {
			r = registry_error(ca->reg);
			goto out;
		}
		if ((strcmp(e->profile, "online-ca") != 0 &&
		    strcmp(e->profile, "device-ca") != 0) ||
		    e->status == CERT_REVOKED || e->status == CERT_SUPERSEDED ||
		    in_list(list, nl, e->fingerprint))
			continue;
		if ((r = registry_cert(ca->home, e, &x)) != 0 ||
		    (r = pem_append(&buf, &len, x)) != 0)
			goto out;
		X509_free(x);
		x = NULL;
		n++;
	}
	*pemp = buf;
	*lenp = len;
	*np = n;
	buf = NULL;
	r = 0;
 out:
	while (nl > 0)
		X509_free(list[--nl]);
	X509_free(x);
	free(buf);
	return r;
}

/* Mark valid certificates of profile as superseded by serial (TLS rotation). */
static int
supersede(struct ca *ca, const char *profile, const char *newserial)
{
	const struct reg_entry *e;
	char old[SERIAL_HEX_MAX];
	json_t *d;
	size_t i;
	int r;

	for (i = 0; i < registry_count(ca->reg); i++) {
		if ((e = registry_peek(ca->reg, i)) == NULL)
			return registry_error(ca->reg);
		if (strcmp(e->profile, profile) != 0 ||
		    e->status != CERT_VALID || strcmp(e->serial, newserial) == 0)
			continue;
		snprintf(old, sizeof(old), "%s", e->serial);
		if ((d = json_pack("{s:s,s:s,s:i,s:I,s:s}", "serial", old,
		    "status", "superseded", "reason", 4 /* superseded */,
		    "status-time", (json_int_t)now(), "superseded-by",
		    newserial)) == NULL)
			return AIRCA_ERR_NOMEM;
		r = ca_journal(ca, "cert-status", d, 0);
		if (r == 0)
			r = registry_apply(ca->reg, "cert-status", d);
		json_decref(d);
		if (r != 0)
			return r;
		ca->reg_dirty = true;
	}
	return 0;
}

static int
write_upload(struct ca *ca, const char *outdir, json_t *upload,
    struct bundle *b)
{
	json_t *d = NULL;
	char *text = NULL;
	int r;

	if ((text = json_dumps(upload, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = bundle_add(b, "upload.json", text, strlen(text))) != 0 ||
	    (r = bundle_commit(b)) != 0)
		goto out;
	if ((d = json_pack("{s:s,s:o}", "dir", outdir, "files",
	    bundle_manifest(b))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	r = ca_journal(ca, "files-written", d, 0);
 out:
	json_decref(d);
	free(text);
	return r;
}

/*
 * Judge request i of the response (parse, then every rule of ca_judge_csr)
 * without changing any state.  A refusal (AIRCA_ERR_INPUT or _POLICY) is
 * journaled "csr-rejected" and added to reasons, and *nrejp counted; any
 * other error is returned.
 */
static int
api_judge(struct ca *ca, const struct api_response *resp, enum api_csr i,
    struct ca_judge_set *set, struct csr **cp, struct ca_judged **jp,
    char *reasons, size_t rlen, size_t *nrejp)
{
	const struct profile *prof;
	unsigned char sha[SHA256_LEN];
	char what[4200];
	size_t used;
	int r;

	prof = policy_profile(&ca->pol, api_csr_profile(i));
	if ((r = csr_parse((unsigned char *)resp->csr[i], resp->csr_len[i],
	    cp)) == 0)
		r = ca_judge_csr(ca, prof, *cp, ca->root, 0, api_csr_key(i),
		    set, CA_JUDGE_REEXPORT, jp);
	if (r != AIRCA_ERR_POLICY && r != AIRCA_ERR_INPUT)
		return r;
	snprintf(what, sizeof(what), "%s:%s", resp->path, api_csr_key(i));
	sha256(resp->csr[i], resp->csr_len[i], sha);
	used = strlen(reasons);
	snprintf(reasons + used, rlen - used, "%s%s: %s", *nrejp > 0 ? "; " :
	    "", api_csr_key(i), airca_errmsg());
	(*nrejp)++;
	return ca_reject(ca, what, sha, airca_errmsg(), 0);
}

/* Journal the requests answered with certificates issued before: "api-reexported". */
static int
api_reexported(struct ca *ca, const char *in, const char *hex,
    X509 *const *cert, const bool *again)
{
	char serial[SERIAL_HEX_MAX], fp[SHA256_HEX_LEN + 1];
	char serials[API_NCSR * SERIAL_HEX_MAX] = "";
	json_t *d = NULL, *certs;
	int i, r;

	if ((d = json_pack("{s:s,s:s,s:[]}", "input", in, "input-sha256", hex,
	    "certs")) == NULL)
		return AIRCA_ERR_NOMEM;
	certs = json_object_get(d, "certs");
	for (i = 0; i < API_NCSR; i++) {
		if (!again[i])
			continue;
		cert_serial_hex(cert[i], serial, sizeof(serial));
		cert_fingerprint(cert[i], fp);
		if (json_array_append_new(certs, json_pack("{s:s,s:s,s:s,s:s}",
		    "field", api_csr_key(i), "profile", api_csr_profile(i),
		    "serial", serial, "fingerprint", fp)) != 0) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		snprintf(serials + strlen(serials), sizeof(serials) -
		    strlen(serials), "%s%s", serials[0] != '\0' ? " " : "",
		    serial);
	}
	/* serials as one string too: what a transcript shows of any event */
	if (json_object_set_new(d, "serials", json_string(serials)) != 0) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	r = ca_journal(ca, "api-reexported", d, 0);
 out:
	json_decref(d);
	return r;
}

/*
 * What the officers mean to do with the API's response: the three fioctl
 * commands that ask the API for CSRs (docs/api.md).  The response does not
 * say which; the home's journal (root-crt ever written to an upload
 * bundle?) and the officers do.
 */
enum api_intent {
	INTENT_NONE = 0,	/* not stated: decided from the home's state */
	INTENT_FIRST_TIME,	/* fioctl keys ca create: root-crt, tls-crt, ca-crt */
	INTENT_ROTATE_TLS,	/* fioctl keys ca rotate-tls: tls-crt; keys est: est-tls-crt */
	INTENT_ADD_ONLINE_CA,	/* fioctl keys ca add-device-ca --online-ca: ca-crt */
};

static const char *const intent_flag[] = {
	[INTENT_NONE] = "",
	[INTENT_FIRST_TIME] = "--first-time",
	[INTENT_ROTATE_TLS] = "--rotate-tls",
	[INTENT_ADD_ONLINE_CA] = "--add-online-ca",
};

/* Why --current has no place in a TLS rotation. */
static const char current_rotate_msg[] = "--current is the API's list of "
    "device CAs, the start of the ca-crt that a first-time setup or "
    "--add-online-ca uploads; a TLS rotation uploads tls-crt (or "
    "est-tls-crt) alone and leaves the API's device CAs as they are (fioctl "
    "keys ca rotate-tls and keys est authorize send no ca-crt): leave "
    "--current out";

/*
 * The intent for resp, from the stated one and the home's state; refuses
 * (AIRCA_ERR_INPUT) a response or a statement that contradicts either.
 * A re-run on the very response whose bundle first held root-crt is still
 * the first-time setup (its files are re-exported).
 */
static int
api_intent(struct ca *ca, const struct api_response *resp,
    enum api_intent stated, enum api_intent *intentp)
{
	const char *first = NULL;
	char hex[SHA256_HEX_LEN + 1];
	bool set_up, tls = resp->csr[API_TLS] != NULL;
	bool online = resp->csr[API_CA] != NULL;
	bool est = resp->csr[API_EST] != NULL;
	enum api_intent intent = stated;

	hex_encode(resp->sha256, SHA256_LEN, hex);
	set_up = registry_root_exported(ca->reg, &first) > 0 &&
	    strcmp(first, hex) != 0;
	if (intent == INTENT_NONE) {
		if (!set_up)
			intent = INTENT_FIRST_TIME;
		else if ((tls || est) && !online)
			intent = INTENT_ROTATE_TLS;
		else if (online && !tls && !est)
			intent = INTENT_ADD_ONLINE_CA;
		else
			return airca_errf(AIRCA_ERR_INPUT, "%s holds tls-csr and "
			    "ca-csr, but this home's root was written to an "
			    "upload bundle before (the factory's PKI is set "
			    "up): state what this is with --rotate-tls or "
			    "--add-online-ca, and bring a response that asks "
			    "for that alone", resp->path);
	}
	if (intent == INTENT_FIRST_TIME && set_up)
		return airca_errf(AIRCA_ERR_INPUT, "--first-time, but this "
		    "home's root was already written to an upload bundle (see "
		    "'airca journal show', event root-crt-exported): the "
		    "factory's PKI is set up; use --rotate-tls or "
		    "--add-online-ca");
	if (intent != INTENT_FIRST_TIME && !set_up)
		return airca_errf(AIRCA_ERR_INPUT, "%s, but this home never "
		    "wrote root-crt to an upload bundle: the factory's PKI is "
		    "not set up yet; run the first-time setup (--first-time, "
		    "as fioctl keys ca create)", intent_flag[intent]);
	/* fioctl keys est authorize asks for est-tls-csr alone: a rotation */
	if ((intent == INTENT_FIRST_TIME && !tls) ||
	    (intent == INTENT_ROTATE_TLS && !tls && !est))
		return airca_errf(AIRCA_ERR_INPUT, "%s: %s has no tls-csr, "
		    "which the API always returns for %s; bring the response "
		    "to the matching request", intent_flag[intent], resp->path,
		    intent == INTENT_FIRST_TIME ? "keys ca create" :
		    "keys ca rotate-tls");
	if (intent == INTENT_ROTATE_TLS && online)
		return airca_errf(AIRCA_ERR_INPUT, "--rotate-tls: %s holds a "
		    "ca-csr, which a TLS rotation does not ask for; sign it "
		    "with --add-online-ca from its own response", resp->path);
	if (intent == INTENT_ADD_ONLINE_CA && (!online || tls || est))
		return airca_errf(AIRCA_ERR_INPUT, "--add-online-ca: %s must "
		    "hold ca-csr alone (it has%s%s%s)", resp->path,
		    online ? " ca-csr" : " no ca-csr", tls ? ", tls-csr" : "",
		    est ? ", est-tls-csr" : "");
	*intentp = intent;
	return 0;
}

/* Journal that root-crt went into the bundle in outdir: "root-crt-exported". */
static int
root_exported(struct ca *ca, const char *in, const char *hex,
    const char *outdir)
{
	char serial[SERIAL_HEX_MAX];
	json_t *d;
	int r;

	cert_serial_hex(ca->root, serial, sizeof(serial));
	if ((d = json_pack("{s:s,s:s,s:s,s:s}", "serial", serial, "input", in,
	    "input-sha256", hex, "dir", outdir)) == NULL)
		return AIRCA_ERR_NOMEM;
	r = ca_journal(ca, "root-crt-exported", d, 0);
	if (r == 0)
		r = registry_apply(ca->reg, "root-crt-exported", d);
	json_decref(d);
	return r;
}

static int
api_sign(struct ca *ca, const char *in, const char *outdir,
    enum api_intent stated, const struct api_current *cur)
{
	struct api_response resp;
	struct ca_judge_set set;
	struct csr *c[API_NCSR] = { NULL, NULL, NULL };
	struct ca_judged *jd[API_NCSR] = { NULL, NULL, NULL };
	X509 *cert[API_NCSR] = { NULL, NULL, NULL };
	bool again[API_NCSR] = { false, false, false };
	const struct profile *prof;
	struct bundle b;
	const char *names[BUNDLE_MAX_FILES];
	json_t *upload = NULL, *extra = NULL;
	char *pem = NULL, *cas = NULL, hex[SHA256_HEX_LEN + 1];
	char serial[SERIAL_HEX_MAX], reasons[2048] = "";
	size_t len, caslen = 0, ncas = 0, nn = 0, nrej = 0, nagain = 0;
	enum api_intent intent;
	char intentmsg[1024] = "";
	bool root, cacrt;
	int i, r, rint;

	bundle_init(&b, outdir);
	memset(&resp, 0, sizeof(resp));
	memset(&set, 0, sizeof(set));
	if ((r = bundle_read_response(in, &resp)) != 0)
		goto out;
	/* a contradiction is told after the requests' own refusals, if any */
	intent = INTENT_NONE;
	if ((rint = api_intent(ca, &resp, stated, &intent)) == 0 &&
	    intent == INTENT_ROTATE_TLS && cur->path != NULL)
		rint = airca_errf(AIRCA_ERR_INPUT, "this is a TLS rotation (the "
		    "home is set up and %s asks for no ca-csr): %s", in,
		    current_rotate_msg);
	if (rint != 0)
		snprintf(intentmsg, sizeof(intentmsg), "%s", airca_errmsg());
	/* the PATCH fields of fioctl's matching command (docs/api.md) */
	root = intent == INTENT_FIRST_TIME;
	cacrt = intent == INTENT_FIRST_TIME || intent == INTENT_ADD_ONLINE_CA;
	/* --current judged (verified, nothing dropped unconfirmed) before any signing */
	if (rint == 0 && cacrt && cur->path != NULL) {
		if ((r = device_cas_merged(ca, cur, &cas, &caslen, &ncas)) != 0)
			goto out;
		free(cas);
		cas = NULL;
	}

	/* The outputs must all be free before anything is signed. */
	if (root)
		names[nn++] = "root.pem";
	for (i = 0; i < API_NCSR; i++)
		if (resp.csr[i] != NULL)
			names[nn++] = api_csr_file(i);
	if (cacrt)
		names[nn++] = "device-cas.pem";
	names[nn++] = "upload.json";
	if ((r = media_mkdir(outdir)) != 0 ||
	    (r = bundle_check_free(outdir, names, nn)) != 0)
		goto out;

	/*
	 * All or nothing: every request judged under every rule, and against
	 * the others, before anything is signed, journaled as issued or
	 * superseded.
	 */
	for (i = 0; i < API_NCSR; i++)
		if (resp.csr[i] != NULL && (r = api_judge(ca, &resp, i, &set,
		    &c[i], &jd[i], reasons, sizeof(reasons), &nrej)) != 0)
			goto out;
	if (nrej > 0) {
		r = airca_errf(AIRCA_ERR_POLICY, "%s: nothing signed, %zu "
		    "request%s refused: %s", in, nrej, nrej > 1 ? "s" : "",
		    reasons);
		goto out;
	}
	if (rint != 0) {
		r = airca_errf(rint, "%s", intentmsg);
		goto out;
	}

	/* Issued, or re-exported when this response was signed before. */
	hex_encode(resp.sha256, SHA256_LEN, hex);
	for (i = 0; i < API_NCSR; i++) {
		if (jd[i] == NULL)
			continue;
		if (ca_judged_verdict(jd[i]) == CA_VERDICT_REEXPORT) {
			if ((cert[i] = X509_dup(ca_judged_cert(jd[i]))) == NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			again[i] = true;
			nagain++;
			continue;
		}
		json_decref(extra);
		if ((extra = json_pack("{s:s,s:s,s:s}", "input", in,
		    "input-sha256", hex, "field", api_csr_key(i))) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		if ((r = ca_issue_judged(ca, jd[i], ca->root_key, extra, 0,
		    &cert[i])) != 0)
			goto out;
	}
	if (nagain > 0 && (r = api_reexported(ca, in, hex, cert, again)) != 0)
		goto out;
	/* TLS rotation: the previous server certificates are retired (again: no-op) */
	for (i = 0; i < API_NCSR; i++) {
		if (cert[i] == NULL || i == API_CA)
			continue;
		prof = policy_profile(&ca->pol, api_csr_profile(i));
		cert_serial_hex(cert[i], serial, sizeof(serial));
		if ((r = supersede(ca, prof->name, serial)) != 0)
			goto out;
	}

	/* The files, and the PATCH body in the API's field order. */
	if ((upload = json_object()) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (root) {
		if ((r = cert_pem(ca->root, &pem, &len)) != 0 ||
		    (r = bundle_add(&b, "root.pem", pem, len)) != 0)
			goto out;
		json_object_set_new(upload, "root-crt", json_string(pem));
		free(pem);
		pem = NULL;
	}
	for (i = 0; i < API_NCSR; i++) {
		if (cert[i] == NULL)
			continue;
		if ((r = cert_pem(cert[i], &pem, &len)) != 0 ||
		    (r = bundle_add(&b, api_csr_file(i), pem, len)) != 0)
			goto out;
		if (i == API_TLS)
			json_object_set_new(upload, "tls-crt", json_string(pem));
		free(pem);
		pem = NULL;
	}
	if (cacrt) {
		if ((r = device_cas_merged(ca, cur, &cas, &caslen, &ncas)) != 0)
			goto out;
		/* as fioctl: an empty ca-crt is left out (omitempty) */
		if (ncas > 0) {
			if ((r = bundle_add(&b, "device-cas.pem", cas,
			    caslen)) != 0)
				goto out;
			json_object_set_new(upload, "ca-crt", json_string(cas));
		}
	}
	if (cert[API_EST] != NULL) {
		if ((r = cert_pem(cert[API_EST], &pem, &len)) != 0)
			goto out;
		json_object_set_new(upload, "est-tls-crt", json_string(pem));
	}
	if ((r = write_upload(ca, outdir, upload, &b)) != 0 ||
	    (root && (r = root_exported(ca, in, hex, outdir)) != 0))
		goto out;
	if (!ca->ctx->quiet && !out_is_json(ca->ctx->out)) {
		for (i = 0; i < API_NCSR; i++) {
			if (cert[i] == NULL)
				continue;
			cert_serial_hex(cert[i], serial, sizeof(serial));
			out_result(ca->ctx->out, "%-12s %s: %s/%s (serial %s)",
			    api_csr_key(i), again[i] ? "signed before, "
			    "re-exported" : "signed", outdir, api_csr_file(i),
			    serial);
		}
		if (cacrt)
			out_result(ca->ctx->out, "ca-crt       %zu device CA%s "
			    "(online and local, not revoked)", ncas, ncas == 1 ?
			    "" : "s");
		out_result(ca->ctx->out, "upload       %s/upload.json  (PATCH "
		    "body; SHA256SUMS beside it)", outdir);
	}
	r = 0;
 out:
	for (i = 0; i < API_NCSR; i++) {
		ca_judged_free(jd[i]);
		csr_free(c[i]);
		X509_free(cert[i]);
	}
	free(pem);
	free(cas);
	json_decref(upload);
	json_decref(extra);
	bundle_free(&b);
	bundle_response_free(&resp);
	return r;
}

static int
api_device_cas(struct ca *ca, const char *outdir, const struct api_current *cur)
{
	struct bundle b;
	const char *names[] = { "device-cas.pem", "upload.json" };
	json_t *upload = NULL;
	char *cas = NULL;
	size_t caslen = 0, ncas = 0;
	int r;

	bundle_init(&b, outdir);
	if ((r = media_mkdir(outdir)) != 0 ||
	    (r = bundle_check_free(outdir, names, 2)) != 0 ||
	    (r = device_cas_merged(ca, cur, &cas, &caslen, &ncas)) != 0)
		goto out;
	if (ncas == 0) {
		r = airca_errf(AIRCA_ERR_STATE, "no device CA to upload: "
		    "create one with 'airca device-ca create' or sign the API's "
		    "ca-csr with 'airca api sign'");
		goto out;
	}
	if ((r = bundle_add(&b, "device-cas.pem", cas, caslen)) != 0)
		goto out;
	if ((upload = json_pack("{s:s}", "ca-crt", cas)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = write_upload(ca, outdir, upload, &b)) != 0)
		goto out;
	if (!ca->ctx->quiet && !out_is_json(ca->ctx->out))
		out_result(ca->ctx->out, "ca-crt: %zu device CA%s in "
		    "%s/upload.json", ncas, ncas == 1 ? "" : "s", outdir);
 out:
	json_decref(upload);
	free(cas);
	bundle_free(&b);
	return r;
}

/*
 * Before the PIN: an upload.json in --out would stop the command later; one
 * intent at most; --drop only with --current, and not more than we keep.
 */
static int
cmd_api_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	static const char *const intents[] = { "first-time", "rotate-tls",
	    "add-online-ca" };
	char path[PATH_MAX];
	const char *given = NULL;
	size_t i;
	int r;

	(void)ctx;
	for (i = 0; i < sizeof(intents) / sizeof(intents[0]); i++) {
		if (args_find_opt(a->spec, intents[i], strlen(intents[i])) ==
		    NULL || !args_has(a, intents[i]))
			continue;
		if (given != NULL)
			return airca_errf(AIRCA_ERR_USAGE, "--%s and --%s "
			    "contradict each other: state one intent (see "
			    "'airca api sign --help')", given, intents[i]);
		given = intents[i];
	}
	if (given != NULL && strcmp(given, "rotate-tls") == 0 &&
	    args_has(a, "current"))
		return airca_errf(AIRCA_ERR_USAGE, "%s", current_rotate_msg);
	if (args_count(a, "drop") > 0 && !args_has(a, "current"))
		return airca_errf(AIRCA_ERR_USAGE, "--drop names a CA of the "
		    "API's current list: give that list with --current FILE");
	if (args_count(a, "drop") > API_MAX_DROPS)
		return airca_errf(AIRCA_ERR_USAGE, "at most %d --drop options",
		    API_MAX_DROPS);
	if ((r = path_join(path, sizeof(path), args_get(a, "out"),
	    "upload.json")) != 0)
		return r;
	if (media_exists(path))
		return airca_errf(AIRCA_ERR_EXISTS, "%s exists; airca never "
		    "overwrites an output: move it away or choose another --out",
		    path);
	return 0;
}

/* --json: the files written to outdir with their SHA-256, from its SHA256SUMS. */
static int
print_files_json(struct cmd_ctx *ctx, const char *outdir)
{
	char path[PATH_MAX], *line, *save = NULL, *text = NULL;
	unsigned char *buf = NULL;
	json_t *o = NULL, *files;
	size_t len;
	int r;

	if ((r = path_join(path, sizeof(path), outdir, "SHA256SUMS")) != 0 ||
	    (r = media_read(path, MEDIA_MAX_CONF, &buf, &len)) != 0)
		goto out;
	if ((text = strndup((char *)buf, len)) == NULL ||
	    (o = json_pack("{s:s,s:{}}", "out", outdir, "files")) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	files = json_object_get(o, "files");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > SHA256_HEX_LEN + 2) {
			line[SHA256_HEX_LEN] = '\0';
			json_object_set_new(files, line + SHA256_HEX_LEN + 2,
			    json_string(line));
		}
	r = out_merge(ctx->out, o);
	o = NULL;
 out:
	json_decref(o);
	free(text);
	free(buf);
	return r;
}

/* --current and its --drop serials, as api_sign and api_device_cas take them. */
static void
current_from_args(const struct cmd_args *a, struct api_current *cur)
{
	size_t i, n = args_count(a, "drop");

	cur->path = args_get(a, "current");
	cur->ndrop = 0;
	for (i = 0; i < n && i < API_MAX_DROPS; i++)
		cur->drop[cur->ndrop++] = args_value(a, "drop", i);
}

static int
cmd_api_sign_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	struct api_current cur = { NULL, { NULL }, 0 };
	enum api_intent intent = INTENT_NONE;
	int r;

	if (args_has(a, "first-time"))
		intent = INTENT_FIRST_TIME;
	else if (args_has(a, "rotate-tls"))
		intent = INTENT_ROTATE_TLS;
	else if (args_has(a, "add-online-ca"))
		intent = INTENT_ADD_ONLINE_CA;
	current_from_args(a, &cur);
	if ((r = api_sign(ca, args_get(a, "in"), args_get(a, "out"), intent,
	    &cur)) == 0 && out_is_json(ctx->out))
		r = print_files_json(ctx, args_get(a, "out"));
	return r;
}

static int
cmd_api_device_cas_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct api_current cur = { NULL, { NULL }, 0 };
	int r;

	current_from_args(a, &cur);
	if ((r = api_device_cas(ca, args_get(a, "out"), &cur)) == 0 &&
	    out_is_json(ctx->out))
		r = print_files_json(ctx, args_get(a, "out"));
	return r;
}

static const struct args_opt api_sign_opts[] = {
	{ "in",	 ARGS_IN_FILE, "RESPONSE.json", ARGS_REQUIRED, 0, 0, NULL },
	{ "out", ARGS_OUT_DIR, "DIR",		ARGS_REQUIRED, 0, 0, NULL },
	{ "first-time",	   ARGS_FLAG, NULL,	0, 0, 0, NULL },
	{ "rotate-tls",	   ARGS_FLAG, NULL,	0, 0, 0, NULL },
	{ "add-online-ca", ARGS_FLAG, NULL,	0, 0, 0, NULL },
	{ "current", ARGS_IN_FILE, "FILE",	0, 0, 0, NULL },
	{ "drop",    ARGS_SERIAL,  "SERIAL",	ARGS_MULTI, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct args_opt api_device_cas_opts[] = {
	{ "out", ARGS_OUT_DIR, "DIR",		ARGS_REQUIRED, 0, 0, NULL },
	{ "current", ARGS_IN_FILE, "FILE",	0, 0, 0, NULL },
	{ "drop",    ARGS_SERIAL,  "SERIAL",	ARGS_MULTI, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_api_sign_entry = {
	.name = "api sign",
	.summary = "sign the factory API's CSRs; write upload.json",
	.args = { .opts = api_sign_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = cmd_api_check,
	.exec = cmd_api_sign_exec,
};

const struct cmd_entry cmd_api_device_cas_entry = {
	.name = "api device-cas",
	.summary = "upload.json with every device CA not revoked (ca-crt)",
	.args = { .opts = api_device_cas_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = cmd_api_check,
	.exec = cmd_api_device_cas_exec,
};
