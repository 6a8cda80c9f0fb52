/* cmd-renew.c: airca renew: re-issue certificates that expire soon, from the public key and subject on record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "bundle.h"
#include "ca.h"
#include "cmd.h"
#include "crl.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

/* One certificate to renew; registry pointers move as entries are added, so keep the serial. */
struct cand {
	char	serial[SERIAL_HEX_MAX];
	char	file[80];		/* OUT/<CN or serial>.pem */
	time_t	not_after;
	bool	ca;			/* device-ca or online-ca: renewed first */
	bool	api;			/* the factory API holds it (api_field) */
	char	newserial[SERIAL_HEX_MAX];	/* "" until renewed */
};

/*
 * The field of the factory API's PATCH body (upload.json) that carries a
 * renewed certificate of profile p, as the fioctl command that changes it
 * sends it (docs/api.md); NULL when the API does not hold it (devices).
 */
static const char *
api_field(const char *p)
{
	if (strcmp(p, "tls") == 0)
		return "tls-crt";	/* keys ca rotate-tls */
	if (strcmp(p, "est-tls") == 0)
		return "est-tls-crt";	/* keys est authorize */
	if (strcmp(p, "device-ca") == 0 || strcmp(p, "online-ca") == 0)
		return "ca-crt";	/* keys ca update: the whole list */
	return NULL;
}

static bool
leaf_profile(const char *p)
{
	return strcmp(p, "tls") == 0 || strcmp(p, "est-tls") == 0 ||
	    strcmp(p, "device") == 0;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->ca != y->ca)
		return x->ca ? -1 : 1;
	if (x->not_after != y->not_after)
		return x->not_after < y->not_after ? -1 : 1;
	return strcmp(x->serial, y->serial);
}

/* The SAN dNSNames of cert, malloc'd strings. */
static int
cert_dns(X509 *cert, char ***dnsp, size_t *np)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	char **dns = NULL;
	size_t n = 0;
	int i, len, r = 0;

	*dnsp = NULL;
	*np = 0;
	if ((gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return 0;
	if ((dns = calloc((size_t)sk_GENERAL_NAME_num(gens) + 1,
	    sizeof(*dns))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		len = ASN1_STRING_length(g->d.dNSName);
		if ((dns[n] = strndup((const char *)ASN1_STRING_get0_data(
		    g->d.dNSName), (size_t)len)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		if (strlen(dns[n++]) != (size_t)len) {
			r = airca_errf(AIRCA_ERR_STATE, "a SAN DNS name holds a "
			    "NUL byte");
			goto out;
		}
	}
	*dnsp = dns;
	*np = n;
	dns = NULL;
 out:
	if (dns != NULL) {
		for (i = 0; dns[i] != NULL; i++)
			free(dns[i]);
		free(dns);
	}
	GENERAL_NAMES_free(gens);
	return r;
}

static void
dns_free(char **dns, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(dns[i]);
	free(dns);
}

/* Follow renewals to the certificate of an issuer key that is in use now. */
static const struct reg_entry *
current(struct registry *reg, const char *serial)
{
	const struct reg_entry *e = registry_by_serial(reg, serial), *next;
	int hops;

	for (hops = 0; e != NULL && e->status == CERT_SUPERSEDED &&
	    e->superseded_by[0] != '\0' && hops < 16; hops++) {
		if ((next = registry_by_serial(reg, e->superseded_by)) == NULL)
			break;
		e = next;
	}
	return e;
}

/* Append the PEM of x to *bufp. */
static int
pem_append(char **bufp, size_t *lenp, X509 *x)
{
	char *pem = NULL, *nb;
	size_t len;
	int r;

	if ((r = cert_pem(x, &pem, &len)) != 0)
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

/*
 * Renew one certificate.  AIRCA_ERR_POLICY (with the reason) when it cannot
 * be renewed as it stands (issuer revoked or on hold, today's policy
 * refuses the subject); *newserial gets the new serial.
 */
static int
renew_one(struct ca *ca, const struct cand *c, const char *outdir,
    char newserial[SERIAL_HEX_MAX])
{
	const struct reg_entry *e, *ie;
	const struct profile *prof;
	X509 *old = NULL, *issuer = NULL, *cert = NULL;
	EVP_PKEY *ikey = NULL;
	X509_NAME *subj = NULL;
	struct ca_issue ci;
	json_t *extra = NULL, *d = NULL;
	char **dns = NULL, *pem = NULL, path[4096], label[65], root[SERIAL_HEX_MAX];
	size_t ndns = 0, len = 0;
	bool ca_profile;
	int r, rr;

	if ((e = registry_by_serial(ca->reg, c->serial)) == NULL ||
	    (prof = policy_profile(&ca->pol, e->profile)) == NULL) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "renew: %s vanished",
		    c->serial);
		goto out;
	}
	if (prof->kind != KIND_BUILTIN) {
		/* its SANs and manifest values came from a request, not the record */
		r = airca_errf(AIRCA_ERR_POLICY, "profile %s is user-defined: "
		    "its certificates are not renewed here; sign a new request "
		    "under it", prof->name);
		goto out;
	}
	snprintf(label, sizeof(label), "%s", e->label);
	ca_profile = prof->id == PROFILE_DEVICE_CA ||
	    prof->id == PROFILE_ONLINE_CA;
	cert_serial_hex(ca->root, root, sizeof(root));
	if (strcmp(e->issuer, root) == 0) {
		if ((issuer = X509_dup(ca->root)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		ikey = ca->root_key;
		EVP_PKEY_up_ref(ikey);
	} else {
		if ((ie = current(ca->reg, e->issuer)) == NULL ||
		    ie->label[0] == '\0') {
			r = airca_errf(AIRCA_ERR_POLICY, "its issuer %s is not a "
			    "CA of this home's token", e->issuer);
			goto out;
		}
		if (ie->status != CERT_VALID) {
			r = airca_errf(AIRCA_ERR_POLICY, "its issuer '%s' "
			    "(serial %s) is %s", ie->label, ie->serial,
			    cert_status_name(ie->status));
			goto out;
		}
		snprintf(path, sizeof(path), "%s", ie->label);
		if ((r = registry_cert(ca->home, ie, &issuer)) != 0 ||
		    (r = token_signing_key(ca->tok, path, &ikey)) != 0)
			goto out;
	}
	if ((r = registry_cert(ca->home, e, &old)) != 0)
		goto out;
	/* today's policy, applied to the subject and names on record */
	if ((r = policy_subject(prof, X509_get_subject_name(old),
	    X509_get_subject_name(issuer), &subj)) != 0)
		goto out;
	if (prof->san != SAN_NONE &&
	    ((r = cert_dns(old, &dns, &ndns)) != 0 ||
	    (r = policy_dns(prof, dns, ndns)) != 0))
		goto out;
	if ((extra = json_pack("{s:s}", "renews", c->serial)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	memset(&ci, 0, sizeof(ci));
	ci.prof = prof;
	ci.subject = subj;
	ci.pubkey = X509_get0_pubkey(old);
	ci.dns = prof->san != SAN_NONE ? dns : NULL;
	ci.ndns = prof->san != SAN_NONE ? ndns : 0;
	ci.issuer = issuer;
	ci.issuer_key = ikey;
	ci.label = ca_profile ? label : NULL;
	ci.extra = extra;
	if (ci.pubkey == NULL) {
		r = airca_errssl(AIRCA_ERR_STATE, "certificate %s: no public "
		    "key", c->serial);
		goto out;
	}
	if ((r = ca_issue(ca, &ci, &cert)) != 0)
		goto out;
	cert_serial_hex(cert, newserial, SERIAL_HEX_MAX);

	/* the link old -> new, and the old one superseded */
	if ((d = json_pack("{s:s,s:s,s:s}", "old", c->serial, "new",
	    newserial, "profile", prof->name)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "cert-renewed", d, 0)) != 0)
		goto out;
	json_decref(d);
	if ((d = json_pack("{s:s,s:s,s:i,s:I,s:s}", "serial", c->serial,
	    "status", "superseded", "reason", CRL_REASON_SUPERSEDED,
	    "status-time", (json_int_t)now(), "superseded-by",
	    newserial)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "cert-status", d, 0)) != 0 ||
	    (r = registry_apply(ca->reg, "cert-status", d)) != 0)
		goto out;
	ca->reg_dirty = true;
	/* a device CA's certificate lives beside its key on the token */
	if (prof->id == PROFILE_DEVICE_CA && label[0] != '\0' &&
	    (rr = token_store_cert(ca->tok, label, cert)) != 0) {
		if (rr != AIRCA_ERR_EXISTS)
			ca_warn(ca, "the renewed certificate of '%s' is in "
			    "the home but not on the token: %s", label,
			    airca_errmsg());
		else
			out_note(ca->ctx->out, "note: the token keeps the "
			    "earlier certificate of key '%s' (the same key); "
			    "the renewed one is in the home", label);
		airca_errclear();
	}

	/* OUT/<name>.pem: the certificate, then its chain */
	if ((r = pem_append(&pem, &len, cert)) != 0 ||
	    (r = pem_append(&pem, &len, issuer)) != 0 ||
	    (X509_cmp(issuer, ca->root) != 0 &&
	    (r = pem_append(&pem, &len, ca->root)) != 0))
		goto out;
	if ((r = path_join(path, sizeof(path), outdir, c->file)) != 0 ||
	    (r = media_write(path, pem, len, 0)) != 0)
		goto out;
	r = 0;
 out:
	X509_free(old);
	X509_free(issuer);
	X509_free(cert);
	EVP_PKEY_free(ikey);
	X509_NAME_free(subj);
	json_decref(extra);
	json_decref(d);
	dns_free(dns, ndns);
	free(pem);
	return r;
}

/*
 * OUT/upload.json for what the API must learn of: the renewed tls-crt,
 * est-tls-crt, and ca-crt (every device CA of this home not revoked or
 * superseded: the renewed certificate replaces the old one).  *namep is
 * "upload.json" when written, NULL when nothing renewed is the API's.
 */
static int
renew_upload(struct ca *ca, const struct cand *c, size_t n,
    const char *outdir, const char **namep, unsigned char **bufp,
    size_t *blenp)
{
	const struct reg_entry *e;
	const char *f;
	json_t *upload = NULL, *v;
	X509 *x = NULL;
	char *pem = NULL, *text = NULL, path[4096], fields[256];
	size_t i, len, ncas, flen;
	bool cas = false;
	int r;

	*namep = NULL;
	if ((upload = json_object()) == NULL)
		return AIRCA_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (c[i].newserial[0] == '\0' ||
		    (e = registry_by_serial(ca->reg, c[i].newserial)) == NULL ||
		    (f = api_field(e->profile)) == NULL)
			continue;
		if (strcmp(f, "ca-crt") == 0) {
			cas = true;
			continue;
		}
		/* sorted by expiry: the last one of a field is the newest */
		if ((r = registry_cert(ca->home, e, &x)) != 0 ||
		    (r = cert_pem(x, &pem, &len)) != 0)
			goto out;
		json_object_set_new(upload, f, json_string(pem));
		free(pem);
		pem = NULL;
		X509_free(x);
		x = NULL;
	}
	if (cas) {
		if ((r = registry_device_cas_pem(ca->reg, &pem, &len,
		    &ncas)) != 0)
			goto out;
		if (ncas > 0)
			json_object_set_new(upload, "ca-crt", json_string(pem));
	}
	r = 0;
	if (json_object_size(upload) == 0)
		goto out;
	if (registry_root_exported(ca->reg, NULL) == 0) {
		out_note(ca->ctx->out, "note: no upload.json: this home's root "
		    "was never written to an upload bundle, so the "
		    "factory API holds nothing to renew; the first-time "
		    "setup ('airca api sign') uploads these");
		goto out;
	}
	if ((text = json_dumps(upload, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = path_join(path, sizeof(path), outdir, "upload.json")) != 0 ||
	    (r = media_write(path, text, strlen(text), 0)) != 0)
		goto out;
	*namep = "upload.json";
	if ((r = media_read(path, MEDIA_MAX_JSON, bufp, blenp)) != 0)
		goto out;
	if (!ca->ctx->quiet) {
		fields[0] = '\0';
		json_object_foreach(upload, f, v) {
			flen = strlen(fields);
			snprintf(fields + flen, sizeof(fields) - flen, " %s",
			    f);
		}
		out_result(ca->ctx->out, "upload   %s/upload.json  (PATCH "
		    "body:%s)", outdir, fields);
	}
 out:
	X509_free(x);
	free(pem);
	free(text);
	json_decref(upload);
	return r;
}

static int
renew(struct ca *ca, long days, const char *profile, const char *outdir)
{
	const struct reg_entry *e;
	struct cand *c = NULL;
	const char **names = NULL, **made = NULL;
	json_t *files = NULL, *d = NULL;
	char newserial[SERIAL_HEX_MAX], hex[SHA256_HEX_LEN + 1], path[4096];
	unsigned char *buf = NULL;
	time_t limit = now() + (time_t)days * 86400;
	const char *upname = NULL;
	size_t i, j, n = 0, nn, nok = 0, nrej = 0, blen, nmade = 0;
	bool explicit_ca;
	int r, rr;

	if ((c = calloc(registry_count(ca->reg) + 1, sizeof(*c))) == NULL ||
	    (names = calloc(registry_count(ca->reg) + 2,
	    sizeof(*names))) == NULL ||
	    (made = calloc(registry_count(ca->reg) + 2,
	    sizeof(*made))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	explicit_ca = profile != NULL && (strcmp(profile, "device-ca") == 0 ||
	    strcmp(profile, "online-ca") == 0);
	for (i = 0; i < registry_count(ca->reg); i++) {
		if ((e = registry_peek(ca->reg, i)) == NULL) {
			r = registry_error(ca->reg);
			goto out;
		}
		if (e->status != CERT_VALID || e->not_after >= limit ||
		    (profile != NULL && strcmp(e->profile, profile) != 0))
			continue;
		if (!leaf_profile(e->profile) && !explicit_ca) {
			out_note(ca->ctx->out, "skipped  %s %s (%s): %s",
			    e->profile, e->serial, e->subject,
			    strcmp(e->profile, "root") == 0 ||
			    strcmp(e->profile, "audit") == 0 ?
			    "not renewed by airca renew" :
			    "a CA: renew it with --profile explicitly");
			continue;
		}
		snprintf(c[n].serial, sizeof(c[n].serial), "%s", e->serial);
		c[n].not_after = e->not_after;
		c[n].ca = !leaf_profile(e->profile);
		c[n].api = api_field(e->profile) != NULL;
		if (e->cn != NULL && name_safe(e->cn, 64) &&
		    strchr(e->cn, ' ') == NULL)
			snprintf(c[n].file, sizeof(c[n].file), "%s.pem", e->cn);
		else
			snprintf(c[n].file, sizeof(c[n].file), "%s.pem",
			    e->serial);
		n++;
	}
	if (n == 0) {
		if (!ca->ctx->quiet)
			out_result(ca->ctx->out, "nothing to renew: no "
			    "%s%scertificate expires within %ld days",
			    profile != NULL ? profile : "", profile != NULL ?
			    " " : "", days);
		r = 0;
		goto out;
	}
	/* two with one CN (or a CN that looks like a serial): by serial */
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j && strcmp(c[i].file, c[j].file) == 0)
				snprintf(c[i].file, sizeof(c[i].file), "%s.pem",
				    c[i].serial);
	qsort(c, n, sizeof(*c), cand_cmp);
	nn = n;
	for (i = 0; i < n; i++) {
		names[i] = c[i].file;
		if (c[i].api && nn == n)
			names[nn++] = "upload.json";
	}
	if ((r = media_mkdir(outdir)) != 0 ||
	    (r = bundle_check_free(outdir, names, nn)) != 0)
		goto out;

	if ((files = json_object()) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = renew_one(ca, &c[i], outdir, newserial);
		if (r == 0) {
			snprintf(c[i].newserial, sizeof(c[i].newserial), "%s",
			    newserial);
			made[nmade++] = c[i].file;
		}
		if (r == AIRCA_ERR_POLICY) {
			out_note(ca->ctx->out, "refused  %s: %s", c[i].serial,
			    airca_errmsg());
			json_decref(d);
			if ((d = json_pack("{s:s,s:s}", "serial", c[i].serial,
			    "reason", airca_errmsg())) == NULL ||
			    (rr = ca_journal(ca, "renew-rejected", d, 0)) != 0) {
				r = d == NULL ? AIRCA_ERR_NOMEM : rr;
				goto out;
			}
			nrej++;
			continue;
		}
		if (r != 0)
			goto out;
		if ((r = path_join(path, sizeof(path), outdir, c[i].file)) != 0 ||
		    (r = media_read(path, MEDIA_MAX_CERT, &buf, &blen)) != 0)
			goto out;
		sha256_hex(buf, blen, hex);
		free(buf);
		buf = NULL;
		json_object_set_new(files, c[i].file, json_string(hex));
		names[nok++] = c[i].file;
		if (!ca->ctx->quiet)
			out_result(ca->ctx->out, "renewed  %s -> %s  %s/%s",
			    c[i].serial, newserial, outdir, c[i].file);
	}
	if (nok > 0) {
		r = renew_upload(ca, c, n, outdir, &upname, &buf, &blen);
		if (upname != NULL)
			made[nmade++] = upname;
		if (r != 0)
			goto out;
		if (upname != NULL) {
			sha256_hex(buf, blen, hex);
			free(buf);
			buf = NULL;
			json_object_set_new(files, upname, json_string(hex));
			names[nok++] = upname;
		}
		if ((r = media_write_sums(outdir, names, nok)) != 0)
			goto out;
		made[nmade++] = "SHA256SUMS";
		if ((r = media_check_sums(outdir)) != 0)
			goto out;
		json_decref(d);
		if ((d = json_pack("{s:s,s:O}", "dir", outdir, "files",
		    files)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		if ((r = ca_journal(ca, "files-written", d, 0)) != 0)
			goto out;
		nmade = 0;	/* journaled: the bundle is complete */
	}
	if (nrej > 0) {
		r = airca_errf(AIRCA_ERR_PARTIAL, "%zu renewed, %zu refused "
		    "(reasons above and in the journal)", nok, nrej);
		goto out;
	}
	r = 0;
 out:
	/*
	 * a failed renewal leaves none of its files: no upload without its
	 * sums (the certificates are in the journal and 'airca export')
	 */
	for (i = 0; i < nmade; i++)
		if (path_join(path, sizeof(path), outdir, made[i]) == 0)
			(void)unlink(path);
	free(made);
	free(buf);
	free(c);
	free(names);
	json_decref(files);
	json_decref(d);
	return r;
}

/* The root and the audit certificate are not renewed here: say why. */
static int
cmd_renew_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char *profile = args_get(a, "profile");
	static const struct args_opt popt = { "profile", ARGS_PROFILE, "P", 0,
	    0, 0, NULL };

	(void)ctx;
	if (profile == NULL)
		return 0;
	if (strcmp(profile, "root") == 0)
		return airca_errf(AIRCA_ERR_USAGE, "the root is not renewed: "
		    "every device, gateway and the factory API trust it as it "
		    "is, and a new root certificate is a new trust anchor to "
		    "roll out; that is a root ceremony of its own");
	if (strcmp(profile, "audit") == 0)
		return airca_errf(AIRCA_ERR_USAGE, "the audit certificate is "
		    "not renewed here: journal verification is pinned to it "
		    "(audit.pem); it lives 7300 days, as long as the root");
	return args_check_value(&popt, profile);
}

static int
cmd_renew_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	const char *profile = args_get(a, "profile");

	(void)ctx;
	if (profile != NULL && policy_profile(&ca->pol, profile) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--profile '%.40s': one of "
		    "tls, est-tls, device, device-ca, online-ca", profile);
	return renew(ca, (long)args_number(a, "expiring", -1), profile,
	    args_get(a, "out"));
}

/* --profile is checked in cmd_renew_check: root and audit get their reasons. */
static const struct args_opt renew_opts[] = {
	{ "expiring", ARGS_NUMBER,  "DAYS", ARGS_REQUIRED, 0, 36500, NULL },
	{ "out",      ARGS_OUT_DIR, "DIR",  ARGS_REQUIRED, 0, 0, NULL },
	{ "profile",  ARGS_STRING,  "P",    0,             0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_renew_entry = {
	.name = "renew",
	.summary = "re-issue certificates that expire within DAYS (same key)",
	.args = { .opts = renew_opts },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = cmd_renew_check,
	.exec = cmd_renew_exec,
};
