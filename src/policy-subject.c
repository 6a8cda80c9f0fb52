/*
 * policy-subject.c: a profile's subject rules applied to a requested subject
 * (fixed, match, default, map=COLUMN from a manifest row, pattern, max), and
 * the requested attributes they drop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "error.h"
#include "policy.h"
#include "policy-int.h"
#include "util.h"

/*
 * Profiles whose subject airca builds itself (keys generated on the token):
 * a fixed or match rule always puts its value in the subject.  For profiles
 * that sign a CSR, a fixed value is a constraint on what the CSR carries.
 */
static bool
profile_generated(enum profile_id id)
{
	return id == PROFILE_ROOT || id == PROFILE_DEVICE_CA ||
	    id == PROFILE_AUDIT;
}

/*
 * The value of an attribute as NUL-terminated UTF-8 (malloc'd), refusing
 * NULs, control characters and invalid UTF-8; the reason names sn.
 */
static int
string_utf8(const ASN1_STRING *s, const char *sn, const char *whose,
    char **outp)
{
	unsigned char *u = NULL;
	char *v = NULL;
	int n, r = AIRCA_ERR_INTERNAL;

	if ((n = ASN1_STRING_to_UTF8(&u, s)) < 0) {
		ERR_clear_error();
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s is not valid UTF-8 (or "
		    "not a string type)", whose, sn);
		goto out;
	}
	if (memchr(u, '\0', (size_t)n) != NULL) {
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s contains a NUL byte",
		    whose, sn);
		goto out;
	}
	switch (text_class((const char *)u, (size_t)n)) {
	case 1:
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s contains control "
		    "characters or invisible ones (bidi controls, zero-width "
		    "characters)", whose, sn);
		goto out;
	case 2:
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s is not valid UTF-8",
		    whose, sn);
		goto out;
	}
	if ((v = malloc((size_t)n + 1)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(v, u, (size_t)n);
	v[n] = '\0';
	*outp = v;
	r = 0;
 out:
	OPENSSL_free(u);
	return r;
}

/* The issuer's single value of nid as UTF-8, for a match rule. */
static int
issuer_value(const X509_NAME *issuer, int nid, const char *sn, char **outp)
{
	int i;

	if (issuer == NULL)
		return airca_errf(AIRCA_ERR_POLICY, "%s: the rule is match, but "
		    "the certificate is self-signed and has no issuer", sn);
	if ((i = X509_NAME_get_index_by_NID(issuer, nid, -1)) < 0)
		return airca_errf(AIRCA_ERR_POLICY, "%s: the rule is match, but "
		    "the issuer has no %s", sn, sn);
	if (X509_NAME_get_index_by_NID(issuer, nid, i) >= 0)
		return airca_errf(AIRCA_ERR_POLICY, "%s: the rule is match, but "
		    "the issuer has %s twice", sn, sn);
	return string_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer,
	    i)), sn, "the issuer's ", outp);
}

/* The row's value of column col: NULL if absent or empty; *known if the column exists. */
static const char *
row_value(const struct policy_row *row, const char *col, bool *known)
{
	size_t i;

	*known = false;
	for (i = 0; row != NULL && i < row->n; i++) {
		if (strcmp(row->cols[i], col) != 0)
			continue;
		*known = true;
		return row->vals[i] != NULL && row->vals[i][0] != '\0' ?
		    row->vals[i] : NULL;
	}
	return NULL;
}

/* A map=COLUMN rule's value in *mvp, checked against the request's (rv). */
static int
mapped_value(const struct profile *prof, const struct subject_rule *rule,
    const char *sn, const struct policy_row *row, const char *rv,
    const char **mvp)
{
	const char *mv;
	bool known;

	if (row == NULL)
		return airca_errf(AIRCA_ERR_POLICY, "%s is mapped from manifest "
		    "column '%s' (map=%s): sign under profile %s with 'airca "
		    "batch sign --manifest FILE'", sn, rule->map, rule->map,
		    prof->name);
	mv = row_value(row, rule->map, &known);
	if (!known)
		return airca_errf(AIRCA_ERR_POLICY, "the manifest has no column "
		    "'%s', which profile %s maps into %s", rule->map,
		    prof->name, sn);
	if (rv != NULL && mv == NULL)
		return airca_errf(AIRCA_ERR_POLICY, "%s is '%s' in the request "
		    "but the manifest row has none (map=%s)", sn, rv, rule->map);
	if (rv != NULL && strcmp(rv, mv) != 0)
		return airca_errf(AIRCA_ERR_POLICY, "%s is '%s' in the request "
		    "but '%s' in the manifest row (map=%s)", sn, rv, mv,
		    rule->map);
	*mvp = mv;
	return 0;
}

int
policy_subject(const struct profile *prof, const X509_NAME *req,
    const X509_NAME *issuer, X509_NAME **outp)
{
	return policy_subject_row(prof, req, issuer, NULL, outp);
}

int
policy_subject_row(const struct profile *prof, const X509_NAME *req,
    const X509_NAME *issuer, const struct policy_row *row, X509_NAME **outp)
{
	char *vals[PROFILE_MAX_RULES] = { NULL };
	char *ival = NULL;
	const struct subject_rule *rule;
	const struct attr *a;
	const X509_NAME_ENTRY *e;
	X509_NAME *out = NULL;
	const char *sn, *v, *mv;
	size_t k, len;
	int i, n, nid, r = AIRCA_ERR_INTERNAL;
	bool generated = profile_generated(prof->id) ||
	    prof->kind != KIND_BUILTIN;

	/* the requested values of the ruled attributes, each at most once */
	n = req != NULL ? X509_NAME_entry_count(req) : 0;
	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(req, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		for (k = 0; k < prof->nrules; k++)
			if (prof->rules[k].nid == nid &&
			    prof->rules[k].presence != RULE_DROP)
				break;
		if (k == prof->nrules)
			continue;	/* not named by a rule: dropped */
		sn = OBJ_nid2sn(nid);
		if (vals[k] != NULL) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s given twice", sn);
			goto out;
		}
		if ((r = string_utf8(X509_NAME_ENTRY_get_data(e), sn, "",
		    &vals[k])) != 0)
			goto out;
	}

	if ((out = X509_NAME_new()) == NULL) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "X509_NAME_new");
		goto out;
	}
	for (k = 0; k < prof->nrules; k++) {
		rule = &prof->rules[k];
		sn = OBJ_nid2sn(rule->nid);
		a = policy_attr_by_nid(rule->nid);
		if (rule->presence == RULE_DROP || a == NULL)
			continue;
		if (rule->match) {
			free(ival);
			ival = NULL;
			if ((vals[k] != NULL || generated) && (r =
			    issuer_value(issuer, rule->nid, sn, &ival)) != 0)
				goto out;
		}
		mv = NULL;
		if (rule->map[0] != '\0' && (r = mapped_value(prof, rule, sn,
		    row, vals[k], &mv)) != 0)
			goto out;
		if ((v = rule->map[0] != '\0' ? mv : vals[k]) == NULL) {
			if (generated && rule->fixed)
				v = rule->value;
			else if (generated && rule->match)
				v = ival;
			else if (rule->has_default)
				v = rule->def;
			else if (rule->presence == RULE_SUPPLIED) {
				r = rule->map[0] != '\0' ?
				    airca_errf(AIRCA_ERR_POLICY, "%s missing: "
				    "the manifest row has no value in column "
				    "'%s' (map=%s, supplied)", sn, rule->map,
				    rule->map) :
				    airca_errf(AIRCA_ERR_POLICY, "%s missing "
				    "(supplied)", sn);
				goto out;
			} else
				continue;
		}
		len = strlen(v);
		if (len == 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is empty", sn);
			goto out;
		}
		if (len > rule->max) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is longer than %zu "
			    "bytes (max=%zu)", sn, rule->max, rule->max);
			goto out;
		}
		if (rule->fixed && strcmp(v, rule->value) != 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is '%s' but the "
			    "policy requires '%s' (fixed)", sn, v, rule->value);
			goto out;
		}
		if (rule->match && strcmp(v, ival) != 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is '%s' but the "
			    "issuer's is '%s' (match)", sn, v, ival);
			goto out;
		}
		if (rule->has_pattern && regexec(&rule->re, v, 0, NULL, 0) != 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s '%s' does not match "
			    "pattern %s", sn, v, rule->value);
			goto out;
		}
		if (a->printable && !policy_printable(v)) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s '%s' has characters "
			    "a PrintableString cannot hold", sn, v);
			goto out;
		}
		if (!X509_NAME_add_entry_by_NID(out, rule->nid, a->printable ?
		    V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
		    (const unsigned char *)v, (int)len, -1, 0)) {
			r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot add %s", sn);
			goto out;
		}
	}
	*outp = out;
	out = NULL;
	r = 0;
 out:
	for (k = 0; k < PROFILE_MAX_RULES; k++)
		free(vals[k]);
	free(ival);
	X509_NAME_free(out);
	return r;
}

int
policy_dropped(const struct profile *prof, const X509_NAME *req, char *buf,
    size_t len)
{
	const char *sn;
	size_t k, used = 0, n;
	int i, nid, count = 0;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; req != NULL && i < X509_NAME_entry_count(req); i++) {
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(
		    X509_NAME_get_entry(req, i)));
		for (k = 0; k < prof->nrules; k++)
			if (prof->rules[k].nid == nid &&
			    prof->rules[k].presence != RULE_DROP)
				break;
		if (k < prof->nrules)
			continue;
		/* a name the policy knows, or the OID in dotted form */
		sn = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown attribute";
		n = strlen(sn) + (count > 0 ? 2 : 0);
		if (used + n + 1 < len) {
			snprintf(buf + used, len - used, "%s%s",
			    count > 0 ? ", " : "", sn);
			used += n;
		}
		count++;
	}
	return count;
}
