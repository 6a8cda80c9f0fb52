/*
 * judge.c: judging a certificate request once, with a type that proves it
 * was judged (struct ca_judged: the profile's limits, the subject the
 * policy builds, one key per profile, duplicates and re-exports), and
 * issuing what was judged (ca_issue_judged, ca_sign_csr); a refused
 * request is journaled by ca_reject.  Opening and closing the CA home is
 * ca.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ca.h"
#include "csr.h"
#include "error.h"
#include "issue.h"
#include "util.h"

struct ca_judged {
	enum ca_verdict verdict;
	const struct profile *prof;
	struct csr *c;			/* borrowed */
	X509	*issuer;		/* borrowed */
	X509_NAME *subj;		/* the subject the policy builds */
	unsigned days;
	X509	*prev;			/* CA_VERDICT_REEXPORT: the certificate */
};

enum ca_verdict
ca_judged_verdict(const struct ca_judged *j)
{
	return j->verdict;
}

X509 *
ca_judged_cert(const struct ca_judged *j)
{
	return j->prev;
}

void
ca_judged_free(struct ca_judged *j)
{
	if (j == NULL)
		return;
	X509_NAME_free(j->subj);
	X509_free(j->prev);
	free(j);
}

/* Does cert carry exactly the SAN DNS names dns (in order), and nothing else in a SAN? */
static bool
same_dns(X509 *cert, char *const *dns, size_t ndns)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	size_t n;
	int i;
	bool ok = true;

	if ((gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return ndns == 0;
	n = (size_t)sk_GENERAL_NAME_num(gens);
	if (n != ndns)
		ok = false;
	for (i = 0; ok && i < (int)n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		ok = g->type == GEN_DNS &&
		    (size_t)ASN1_STRING_length(g->d.dNSName) ==
		    strlen(dns[i]) && memcmp(ASN1_STRING_get0_data(
		    g->d.dNSName), dns[i], strlen(dns[i])) == 0;
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

/*
 * The key was certified before under the same profile (e): re-export the
 * certificate if the caller allows it and it is what this request would
 * get again (valid, same issuer, subject and names); else refuse.
 */
static int
judge_again(struct ca *ca, struct ca_judged *j, const struct reg_entry *e,
    unsigned flags)
{
	char fp[SHA256_HEX_LEN + 1], iss[SERIAL_HEX_MAX];
	X509 *x = NULL;
	int r;

	cert_serial_hex(j->issuer, iss, sizeof(iss));
	if (!(flags & CA_JUDGE_REEXPORT) || e->status != CERT_VALID) {
		r = airca_errf(AIRCA_ERR_POLICY, "duplicate: this public key "
		    "was certified before under profile %s (serial %s, %s): a "
		    "key gets one certificate per profile; 'airca export "
		    "--serial %s' writes it again, a new certificate needs a "
		    "request with a new key", j->prof->name, e->serial,
		    cert_status_name(e->status), e->serial);
		goto out;
	}
	if ((r = registry_load_cert(ca->home, e->serial, &x)) != 0)
		goto out;
	cert_fingerprint(x, fp);
	if (strcmp(fp, e->fingerprint) != 0) {
		r = airca_errf(AIRCA_ERR_STATE, "certs/%s.pem is not the "
		    "certificate the registry lists: run 'airca registry "
		    "rebuild'", e->serial);
		goto out;
	}
	if (strcmp(e->issuer, iss) != 0 ||
	    X509_NAME_cmp(j->subj, X509_get_subject_name(x)) != 0 ||
	    !same_dns(x, j->prof->san != SAN_NONE ? j->c->dns : NULL,
	    j->prof->san != SAN_NONE ? j->c->ndns : 0)) {
		r = airca_errf(AIRCA_ERR_POLICY, "duplicate: this public key "
		    "was certified before under profile %s (serial %s) with "
		    "another issuer, subject or DNS names: a key gets one "
		    "certificate per profile; a new certificate needs a request "
		    "with a new key", j->prof->name, e->serial);
		goto out;
	}
	j->verdict = CA_VERDICT_REEXPORT;
	j->prev = x;
	x = NULL;
	r = 0;
 out:
	X509_free(x);
	return r;
}

int
ca_judge_csr(struct ca *ca, const struct profile *prof, struct csr *c,
    X509 *issuer, unsigned days, const char *what, struct ca_judge_set *set,
    unsigned flags, struct ca_judged **jp)
{
	return ca_judge_csr_row(ca, prof, c, issuer, days, NULL, what, set,
	    flags, jp);
}

/* A certificate of this key under another profile than prof, or NULL. */
static const struct reg_entry *
other_profile_spki(struct ca *ca, const struct profile *prof,
    const char *spki)
{
	const struct reg_entry *prev;
	size_t k;

	for (k = 0; k < PROFILE_COUNT + ca->pol.nuser; k++) {
		const struct profile *p = k < PROFILE_COUNT ?
		    &ca->pol.profiles[k] : &ca->pol.user[k - PROFILE_COUNT];

		if (p == prof || (prev = registry_by_spki(ca->reg, p->name,
		    spki)) == NULL)
			continue;
		return prev;
	}
	return NULL;
}

int
ca_judge_csr_row(struct ca *ca, const struct profile *prof, struct csr *c,
    X509 *issuer, unsigned days, const struct policy_row *row,
    const char *what, struct ca_judge_set *set, unsigned flags,
    struct ca_judged **jp)
{
	struct ca_judged *j = NULL;
	const struct reg_entry *prev;
	char spki[SHA256_HEX_LEN + 1], *cn = NULL, keyname[32];
	size_t i;
	int r;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	j->prof = prof;
	j->c = c;
	j->issuer = issuer;
	j->days = days;
	if (prof->unlimited && days != 0) {
		r = airca_errf(AIRCA_ERR_POLICY, "--days %u: profile %s is "
		    "unlimited (notAfter 99991231235959Z)", days, prof->name);
		goto out;
	}
	if (days > prof->days) {
		r = airca_errf(AIRCA_ERR_POLICY, "--days %u is longer than "
		    "profile %s allows (%u)", days, prof->name, prof->days);
		goto out;
	}
	if ((c->key == CSR_KEY_RSA && (!prof->allow_rsa ||
	    c->key_bits < (int)prof->min_rsa_bits)) ||
	    (c->key == CSR_KEY_EC_P384 && !prof->allow_p384)) {
		r = airca_errf(AIRCA_ERR_POLICY, "key %s is not allowed by "
		    "profile %s", csr_key_name(c, keyname, sizeof(keyname)),
		    prof->name);
		goto out;
	}
	if (set != NULL) {
		for (i = 0; i < set->n; i++) {
			if (memcmp(set->spki[i], c->spki_sha256,
			    SHA256_LEN) != 0)
				continue;
			r = airca_errf(AIRCA_ERR_POLICY, "duplicate: the same "
			    "public key as %s in this response: one key is "
			    "never certified for two purposes", set->what[i]);
			goto out;
		}
		if (set->n < CA_JUDGE_SET_MAX) {
			set->what[set->n] = what != NULL ? what : "another request";
			memcpy(set->spki[set->n++], c->spki_sha256, SHA256_LEN);
		}
	}
	if ((r = policy_subject_row(prof, X509_REQ_get_subject_name(c->req),
	    X509_get_subject_name(issuer), row, &j->subj)) != 0)
		goto out;
	if ((prof->san != SAN_NONE || prof->kind != KIND_BUILTIN) &&
	    (r = policy_san(prof, c->dns, c->ndns, c->ip, c->nip, c->uri,
	    c->nuri, c->bad_ip, c->bad_uri)) != 0)
		goto out;
	/* one key, one profile: whatever became of the other certificate */
	hex_encode(c->spki_sha256, SHA256_LEN, spki);
	if ((prev = other_profile_spki(ca, prof, spki)) != NULL) {
		r = airca_errf(AIRCA_ERR_POLICY, "this public key is already "
		    "certified under profile %s (serial %s, %s): one key is "
		    "never certified for two profiles; ask for a request with a "
		    "new key", prev->profile, prev->serial,
		    cert_status_name(prev->status));
		goto out;
	}
	if (prof->id == PROFILE_DEVICE) {
		if (!ca->pol.allow_renewal) {
			cn = name_cn(j->subj);
			if (cn != NULL && (prev = registry_by_cn(ca->reg,
			    prof->name, cn)) != NULL) {
				r = airca_errf(AIRCA_ERR_POLICY, "duplicate: CN "
				    "%s was issued before (serial %s) and the "
				    "policy does not allow renewal", cn,
				    prev->serial);
				goto out;
			}
			if ((prev = registry_by_spki(ca->reg, prof->name,
			    spki)) != NULL) {
				r = airca_errf(AIRCA_ERR_POLICY, "duplicate: this "
				    "public key was certified before (serial %s, "
				    "CN %s)", prev->serial, prev->cn != NULL ?
				    prev->cn : "-");
				goto out;
			}
		}
	} else if ((prev = registry_by_spki(ca->reg, prof->name, spki)) !=
	    NULL && (r = judge_again(ca, j, prev, flags)) != 0)
		goto out;
	*jp = j;
	j = NULL;
	r = 0;
 out:
	free(cn);
	ca_judged_free(j);
	return r;
}

/*
 * The ca_issue of a judged request; unless evp is NULL, with the
 * subject attributes the profile drops added to extra (*evp: the copy,
 * the caller frees it).
 */
static int
judged_ci(struct ca *ca, const struct ca_judged *j, EVP_PKEY *issuer_key,
    json_t *extra, int journal_flags, struct ca_issue *ci, json_t **evp)
{
	char dropped[256];
	json_t *ev = NULL;

	if (evp != NULL)
		*evp = NULL;
	if (j->verdict != CA_VERDICT_ISSUE)
		return airca_errf(AIRCA_ERR_INTERNAL, "a request judged a "
		    "re-export cannot be issued again");
	/* what the profile drops from the request is journaled, never silent */
	if (evp != NULL && policy_dropped(j->prof, X509_REQ_get_subject_name(
	    j->c->req), dropped, sizeof(dropped)) > 0) {
		if ((ev = extra != NULL ? json_deep_copy(extra) :
		    json_object()) == NULL ||
		    json_object_set_new(ev, "subject-dropped",
		    json_string(dropped)) != 0) {
			json_decref(ev);
			return AIRCA_ERR_NOMEM;
		}
		extra = ev;
		*evp = ev;
		if (!(journal_flags & CA_ISSUE_DEFERRED))
			ca_warn(ca, "profile %s drops %s from the request's "
			    "subject (no rule names it); journaled as "
			    "subject-dropped", j->prof->name, dropped);
	}
	memset(ci, 0, sizeof(*ci));
	ci->prof = j->prof;
	ci->subject = j->subj;
	ci->pubkey = j->c->pub;
	ci->dns = j->prof->san != SAN_NONE ? j->c->dns : NULL;
	ci->ndns = j->prof->san != SAN_NONE ? j->c->ndns : 0;
	if (j->prof->kind != KIND_BUILTIN) {
		/* add_user_san() takes only the types the profile takes */
		ci->dns = j->c->dns;
		ci->ndns = j->c->ndns;
		ci->ip = j->c->ip;
		ci->nip = j->c->nip;
		ci->uri = j->c->uri;
		ci->nuri = j->c->nuri;
	}
	ci->issuer = j->issuer;
	ci->issuer_key = issuer_key;
	ci->days = j->days;
	ci->extra = extra;
	ci->journal_flags = journal_flags;
	return 0;
}

int
ca_issue_judged(struct ca *ca, const struct ca_judged *j, EVP_PKEY *issuer_key,
    json_t *extra, int journal_flags, X509 **certp)
{
	struct ca_issue ci;
	json_t *ev = NULL;
	int r;

	if ((r = judged_ci(ca, j, issuer_key, extra, journal_flags, &ci,
	    &ev)) == 0)
		r = ca_issue(ca, &ci, certp);
	json_decref(ev);
	return r;
}

int
ca_judged_params(struct ca *ca, const struct ca_judged *j,
    EVP_PKEY *issuer_key, int journal_flags, struct issue_params *ip)
{
	struct ca_issue ci;
	int r;

	/* no extra yet: the record step adds it */
	if ((r = judged_ci(ca, j, issuer_key, NULL, journal_flags |
	    CA_ISSUE_DEFERRED, &ci, NULL)) == 0)
		r = ca_issue_params(ca, &ci, ip);
	return r;
}

int
ca_judged_record(struct ca *ca, const struct ca_judged *j,
    EVP_PKEY *issuer_key, json_t *extra, int journal_flags, X509 *cert)
{
	struct ca_issue ci;
	json_t *ev = NULL;
	int r;

	if ((r = judged_ci(ca, j, issuer_key, extra, journal_flags |
	    CA_ISSUE_DEFERRED, &ci, &ev)) == 0)
		r = ca_issue_record(ca, &ci, cert);
	json_decref(ev);
	return r;
}

int
ca_sign_csr(struct ca *ca, const struct profile *prof, struct csr *c,
    X509 *issuer, EVP_PKEY *issuer_key, unsigned days, json_t *extra,
    int journal_flags, X509 **certp)
{
	struct ca_judged *j = NULL;
	int r;

	if ((r = ca_judge_csr(ca, prof, c, issuer, days, NULL, NULL, 0,
	    &j)) == 0)
		r = ca_issue_judged(ca, j, issuer_key, extra, journal_flags,
		    certp);
	ca_judged_free(j);
	return r;
}

int
ca_reject(struct ca *ca, const char *file, const unsigned char *sha,
    const char *reason, int journal_flags)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *d;
	int r;

	if (sha != NULL)
		hex_encode(sha, SHA256_LEN, hex);
	d = json_pack("{s:s,s:s,s:s}", "file", file, "sha256",
	    sha != NULL ? hex : "", "reason", reason);
	if (d == NULL)
		return AIRCA_ERR_NOMEM;
	r = ca_journal(ca, "csr-rejected", d, journal_flags);
	json_decref(d);
	return r;
}
