/*
 * issue-lint.c: the lint every certificate passes before it is signed and
 * again once it is (issue_cert(), issue_check()), and issue_lint() for one
 * already made: RFC 5280 and the profile's rules, each refusal naming the
 * field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "error.h"
#include "issue.h"
#include "issue-int.h"
#include "policy.h"
#include "util.h"

#define SERIAL_MAX	20	/* RFC 5280 4.1.2.2: at most 20 octets */

static int
lint_serial(X509 *cert)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	const unsigned char *d;
	int i, len, derlen;

	if (sn == NULL)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: missing");
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: negative");
	d = ASN1_STRING_get0_data(sn);
	len = ASN1_STRING_length(sn);
	for (i = 0; i < len && d[i] == 0; i++)
		;
	if (i == len)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: zero");
	/* content octets of the DER INTEGER, sign octet included */
	derlen = len + ((d[0] & 0x80) ? 1 : 0);
	if (derlen > SERIAL_MAX)
		return airca_errf(AIRCA_ERR_LINT, "lint: serial: %d octets, "
		    "more than %d", derlen, SERIAL_MAX);
	return 0;
}

/* UTCTime through 2049, GeneralizedTime from 2050, in seconds with Z. */
static int
lint_time(const ASN1_TIME *t, const char *what)
{
	struct tm tm;
	int type, len;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: %s is not a "
		    "valid time", what);
	}
	type = ASN1_STRING_type(t);
	len = ASN1_STRING_length(t);
	if ((tm.tm_year + 1900 < 2050 ?
	    (type != V_ASN1_UTCTIME || len != 13) :
	    (type != V_ASN1_GENERALIZEDTIME || len != 15)) ||
	    ASN1_STRING_get0_data(t)[len - 1] != 'Z')
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: %s is not "
		    "encoded as RFC 5280 4.1.2.5 requires", what);
	return 0;
}

static int
lint_validity(X509 *cert, const struct profile *prof, X509 *issuer)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert);
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	int r, pday, psec;
	bool unlimited;

	if ((r = lint_time(nb, "notBefore")) != 0 ||
	    (r = lint_time(na, "notAfter")) != 0)
		return r;
	if (ASN1_TIME_compare(nb, na) != -1)
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: notBefore is "
		    "not before notAfter");
	/* RFC 5280 4.1.2.5: no well-defined expiration is 99991231235959Z */
	unlimited = ASN1_STRING_length(na) == 15 &&
	    memcmp(ASN1_STRING_get0_data(na), "99991231235959Z", 15) == 0;
	if (prof->unlimited) {
		if (!unlimited)
			return airca_errf(AIRCA_ERR_LINT, "lint: validity: "
			    "profile %s is unlimited but notAfter is not "
			    "99991231235959Z", prof->name);
		if (prof->ca || prof->kind == KIND_BUILTIN)
			return airca_errf(AIRCA_ERR_LINT, "lint: validity: "
			    "profile %s may not be unlimited: only a leaf of a "
			    "user-defined profile may", prof->name);
	} else if (!ASN1_TIME_diff(&pday, &psec, nb, na) || pday < 0 ||
	    (pday > (int)prof->days) ||
	    (pday == (int)prof->days && psec > 0))
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: longer than "
		    "the %u days of profile %s", prof->days, prof->name);
	if (issuer == NULL)
		return 0;
	if (ASN1_TIME_compare(nb, X509_get0_notBefore(issuer)) < 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: notBefore is "
		    "before the issuer's notBefore");
	/*
	 * Never past the issuer's notAfter, except an unlimited leaf: an
	 * IEEE 802.1AR device identity has no well-defined expiration
	 * whatever its issuer's (a CA never outlives its issuer).
	 */
	if (ASN1_TIME_compare(na, X509_get0_notAfter(issuer)) > 0 &&
	    !(prof->unlimited && unlimited && !prof->ca))
		return airca_errf(AIRCA_ERR_LINT, "lint: validity: notAfter is "
		    "after the issuer's notAfter");
	return 0;
}

static bool
nid_printable(int nid)
{
	return nid == NID_countryName || nid == NID_serialNumber;
}

static int
lint_subject(X509 *cert, const struct profile *prof)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	const X509_NAME_ENTRY *e;
	const ASN1_STRING *s;
	const char *sn;
	char v[RULE_VALUE_MAX];
	int i, n, nid, len, last_set = -1;
	size_t k, last = 0;
	bool seen[PROFILE_MAX_RULES] = { false };

	if ((n = X509_NAME_entry_count(name)) <= 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: subject: empty");
	if (X509_NAME_get_index_by_NID(name, NID_commonName, -1) < 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: subject: no CN");
	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(name, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		sn = nid != NID_undef ? OBJ_nid2sn(nid) : "an attribute";
		if (X509_NAME_ENTRY_set(e) == last_set)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s "
			    "shares a multi-valued RDN", sn);
		last_set = X509_NAME_ENTRY_set(e);
		s = X509_NAME_ENTRY_get_data(e);
		if (ASN1_STRING_type(s) != (nid_printable(nid) ?
		    V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING))
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "a %s, not a %s", sn,
			    ASN1_tag2str(ASN1_STRING_type(s)), nid_printable(nid) ?
			    "PRINTABLESTRING" : "UTF8STRING");
		len = ASN1_STRING_length(s);
		if (len <= 0 || len >= (int)sizeof(v) ||
		    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) ||
		    !text_printable((const char *)ASN1_STRING_get0_data(s),
		    (size_t)len))
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "empty, too long, or not printable UTF-8", sn);
		memcpy(v, ASN1_STRING_get0_data(s), (size_t)len);
		v[len] = '\0';
		for (k = 0; k < prof->nrules; k++)
			if (prof->rules[k].nid == nid &&
			    prof->rules[k].presence != RULE_DROP)
				break;
		if (k == prof->nrules)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "not named by profile %s", sn, prof->name);
		if (seen[k] || (i > 0 && k < last))
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s "
			    "twice or out of the profile's order", sn);
		seen[k] = true;
		last = k;
		if ((size_t)len > prof->rules[k].max)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "longer than max=%zu", sn, prof->rules[k].max);
		if (prof->rules[k].fixed && strcmp(v, prof->rules[k].value) != 0)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s is "
			    "not the fixed '%s'", sn, prof->rules[k].value);
		if (prof->rules[k].has_pattern &&
		    regexec(&prof->rules[k].re, v, 0, NULL, 0) != 0)
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s does "
			    "not match pattern %s", sn, prof->rules[k].value);
	}
	for (k = 0; k < prof->nrules; k++)
		if (prof->rules[k].presence == RULE_SUPPLIED && !seen[k])
			return airca_errf(AIRCA_ERR_LINT, "lint: subject: %s "
			    "missing", OBJ_nid2sn(prof->rules[k].nid));
	return 0;
}

/* Decode extension nid: present once, criticality crit (-1: either). */
static int
lint_ext(X509 *cert, int nid, bool want, int want_crit, void **valp)
{
	X509_EXTENSION *ext;
	int idx, crit;

	*valp = NULL;
	idx = X509_get_ext_by_NID(cert, nid, -1);
	if (idx < 0) {
		if (want)
			return airca_errf(AIRCA_ERR_LINT, "lint: %s: missing",
			    OBJ_nid2sn(nid));
		return 0;
	}
	if (!want)
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: present but the "
		    "profile has none", OBJ_nid2sn(nid));
	if (X509_get_ext_by_NID(cert, nid, idx) >= 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: present twice",
		    OBJ_nid2sn(nid));
	ext = X509_get_ext(cert, idx);
	crit = X509_EXTENSION_get_critical(ext);
	if (want_crit >= 0 && crit != want_crit)
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: must %sbe critical",
		    OBJ_nid2sn(nid), want_crit ? "" : "not ");
	if ((*valp = X509V3_EXT_d2i(ext)) == NULL) {
		ERR_clear_error();
		return airca_errf(AIRCA_ERR_LINT, "lint: %s: cannot be decoded",
		    OBJ_nid2sn(nid));
	}
	return 0;
}

static unsigned
ku_mask(const ASN1_BIT_STRING *ku, bool *extrap)
{
	unsigned mask = 0;
	int i;

	*extrap = false;
	for (i = 0; i < ASN1_STRING_length(ku) * 8; i++) {
		if (!ASN1_BIT_STRING_get_bit(ku, i))
			continue;
		if ((size_t)i < NKU_BITS)
			mask |= issue_ku_bits[i].mask;
		else
			*extrap = true;
	}
	return mask;
}

static int
lint_usage(X509 *cert, const struct profile *prof)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	unsigned mask, want, got;
	size_t i;
	char oid[80];
	long pathlen;
	bool extra;
	int k, nid, r;

	/* a user profile is held to its kind, whatever its fields say */
	if (!policy_kind_ok(prof)) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: profile %s is not the "
		    "vetted set of its kind", prof->name);
		goto out;
	}
	if ((r = lint_ext(cert, NID_basic_constraints, true, 1,
	    (void **)&bc)) != 0)
		goto out;
	if ((bc->ca != 0) != prof->ca) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: basicConstraints: CA:%s "
		    "but profile %s is %sa CA", bc->ca ? "TRUE" : "FALSE",
		    prof->name, prof->ca ? "" : "not ");
		goto out;
	}
	pathlen = bc->pathlen != NULL ? ASN1_INTEGER_get(bc->pathlen) : -1;
	if ((bc->pathlen != NULL && (!bc->ca || pathlen < 0)) ||
	    pathlen != prof->pathlen) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: basicConstraints: "
		    "pathlen %ld, the profile wants %d", pathlen, prof->pathlen);
		goto out;
	}

	if ((r = lint_ext(cert, NID_key_usage, true, 1, (void **)&ku)) != 0)
		goto out;
	mask = ku_mask(ku, &extra);
	if (mask == 0 || extra) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: keyUsage: %s",
		    extra ? "unknown bits set" : "no bits set");
		goto out;
	}
	if (((mask & KU_KEY_CERT_SIGN) != 0) != (bc->ca != 0)) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: keyUsage: keyCertSign is "
		    "%sset but the certificate is %sa CA (RFC 5280 4.2.1.3)",
		    mask & KU_KEY_CERT_SIGN ? "" : "not ", bc->ca ? "" : "not ");
		goto out;
	}
	if (mask != prof->key_usage) {
		for (i = 0; i < NKU_BITS; i++)
			if ((mask ^ prof->key_usage) & issue_ku_bits[i].mask)
				break;
		r = airca_errf(AIRCA_ERR_LINT, "lint: keyUsage: %s is %s the "
		    "profile's", issue_ku_bits[i].name,
		    mask & issue_ku_bits[i].mask ? "set, not in" : "missing from");
		goto out;
	}

	if ((r = lint_ext(cert, NID_ext_key_usage, prof->eku != 0, 0,
	    (void **)&eku)) != 0)
		goto out;
	got = 0;
	for (k = 0; eku != NULL && k < sk_ASN1_OBJECT_num(eku); k++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, k));
		want = nid == NID_server_auth ? EKU_SERVER :
		    nid == NID_client_auth ? EKU_CLIENT : 0;
		if (want == 0 && OBJ_obj2txt(oid, sizeof(oid),
		    sk_ASN1_OBJECT_value(eku, k), 1) > 0 &&
		    strcmp(oid, EKU_DOCSIGN_OID) == 0) {
			/* the journal trusts this purpose: the audit profile's alone */
			if (prof->id != PROFILE_AUDIT) {
				r = airca_errf(AIRCA_ERR_LINT, "lint: "
				    "extendedKeyUsage: documentSigning (%s) is "
				    "the audit certificate's alone, not profile "
				    "%s's", EKU_DOCSIGN_OID, prof->name);
				goto out;
			}
			want = EKU_DOCSIGN;
		}
		if (want == 0 || (got & want)) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: extendedKeyUsage: "
			    "%s is not the profile's, or given twice",
			    nid != NID_undef ? OBJ_nid2sn(nid) : "a purpose");
			goto out;
		}
		got |= want;
	}
	if (got != prof->eku) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: extendedKeyUsage: not the "
		    "profile's purposes");
		goto out;
	}
	r = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	return r;
}

/* A user profile's subjectAltName: only the types it takes, as policy_san() judges them. */
static int
lint_san_user(X509 *cert, const struct profile *prof)
{
	GENERAL_NAMES *san = NULL;
	const GENERAL_NAME *gen;
	char *dns[CSR_MAX_DNS], *uri[CSR_MAX_URI];
	struct san_ip ips[CSR_MAX_IP];
	const ASN1_STRING *v;
	size_t ndns = 0, nuri = 0, nip = 0;
	int i, n, t, r;
	bool any = false, req = false;

	for (t = 0; t < 3; t++) {
		any |= prof->san_rule[t] != RULE_DROP;
		req |= prof->san_rule[t] == RULE_SUPPLIED;
	}
	if (X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) < 0) {
		if (req)
			return airca_errf(AIRCA_ERR_LINT, "lint: "
			    "subjectAltName: missing, and profile %s requires "
			    "one", prof->name);
		return 0;
	}
	if ((r = lint_ext(cert, NID_subject_alt_name, any, 0,
	    (void **)&san)) != 0)
		goto out;
	n = sk_GENERAL_NAME_num(san);
	if (n <= 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: empty");
		goto out;
	}
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(san, i);
		t = gen->type == GEN_DNS ? 0 : gen->type == GEN_IPADD ? 1 :
		    gen->type == GEN_URI ? 2 : -1;
		if (t < 0 || prof->san_rule[t] == RULE_DROP) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "an entry of a type profile %s does not take",
			    prof->name);
			goto out;
		}
		v = t == 1 ? gen->d.iPAddress : gen->d.ia5;
		if (ASN1_STRING_length(v) <= 0 || (t != 1 &&
		    memchr(ASN1_STRING_get0_data(v), '\0',
		    (size_t)ASN1_STRING_length(v)) != NULL)) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "entry #%d is empty or has a NUL", i + 1);
			goto out;
		}
		if ((t == 0 && ndns == CSR_MAX_DNS) ||
		    (t == 1 && nip == CSR_MAX_IP) ||
		    (t == 2 && nuri == CSR_MAX_URI) ||
		    (t == 1 && ASN1_STRING_length(v) != 4 &&
		    ASN1_STRING_length(v) != 16)) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "too many entries, or a bad IP address");
			goto out;
		}
		if (t == 1) {
			memcpy(ips[nip].addr, ASN1_STRING_get0_data(v),
			    (size_t)ASN1_STRING_length(v));
			ips[nip++].len = (size_t)ASN1_STRING_length(v);
			continue;
		}
		if ((t == 0 ? (dns[ndns] = strndup((const char *)
		    ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v))) :
		    (uri[nuri] = strndup((const char *)ASN1_STRING_get0_data(v),
		    (size_t)ASN1_STRING_length(v)))) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (t == 0)
			ndns++;
		else
			nuri++;
	}
	if ((r = policy_san(prof, dns, ndns, ips, nip, uri, nuri, false,
	    false)) != 0) {
		r = airca_errctx(AIRCA_ERR_LINT, "lint: subjectAltName");
		goto out;
	}
	r = 0;
 out:
	while (ndns > 0)
		free(dns[--ndns]);
	while (nuri > 0)
		free(uri[--nuri]);
	GENERAL_NAMES_free(san);
	return r;
}

static int
lint_san(X509 *cert, const struct profile *prof)
{
	GENERAL_NAMES *san = NULL;
	const GENERAL_NAME *gen;
	char *names[CSR_MAX_DNS];
	const ASN1_IA5STRING *ia5;
	int i, n, r;
	size_t count = 0;

	if (prof->kind != KIND_BUILTIN)
		return lint_san_user(cert, prof);
	if ((r = lint_ext(cert, NID_subject_alt_name, prof->san != SAN_NONE, 0,
	    (void **)&san)) != 0 || san == NULL)
		goto out;
	n = sk_GENERAL_NAME_num(san);
	if (n > CSR_MAX_DNS) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: %d names, "
		    "too many", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(san, i);
		if (gen->type != GEN_DNS) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "an entry that is not a dNSName");
			goto out;
		}
		ia5 = gen->d.dNSName;
		if (ASN1_STRING_length(ia5) <= 0 ||
		    memchr(ASN1_STRING_get0_data(ia5), '\0',
		    (size_t)ASN1_STRING_length(ia5)) != NULL) {
			r = airca_errf(AIRCA_ERR_LINT, "lint: subjectAltName: "
			    "dNSName #%d is empty or has a NUL", i + 1);
			goto out;
		}
		if ((names[count] = strndup((const char *)
		    ASN1_STRING_get0_data(ia5),
		    (size_t)ASN1_STRING_length(ia5))) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		count++;
	}
	if ((r = policy_dns(prof, names, count)) != 0) {
		r = airca_errctx(AIRCA_ERR_LINT, "lint: subjectAltName");
		goto out;
	}
	r = 0;
 out:
	while (count > 0)
		free(names[--count]);
	GENERAL_NAMES_free(san);
	return r;
}

static int
lint_keyids(X509 *cert, X509 *issuer)
{
	ASN1_OCTET_STRING *ski = NULL, *iski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	unsigned char id[SHA1_LEN];
	int crit, r;

	if ((r = lint_ext(cert, NID_subject_key_identifier, true, 0,
	    (void **)&ski)) != 0 || (r = issue_key_id(cert, id)) != 0)
		goto out;
	if (ASN1_STRING_length(ski) != SHA1_LEN ||
	    memcmp(ASN1_STRING_get0_data(ski), id, SHA1_LEN) != 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: subjectKeyIdentifier: not "
		    "the SHA-1 of the public key (RFC 5280 method 1)");
		goto out;
	}
	if ((r = lint_ext(cert, NID_authority_key_identifier, true, 0,
	    (void **)&aki)) != 0)
		goto out;
	if (aki->keyid == NULL || aki->issuer != NULL || aki->serial != NULL) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: authorityKeyIdentifier: "
		    "must hold the keyIdentifier only");
		goto out;
	}
	if (issuer != NULL && (iski = X509_get_ext_d2i(issuer,
	    NID_subject_key_identifier, &crit, NULL)) == NULL) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: authorityKeyIdentifier: "
		    "the issuer has no subjectKeyIdentifier");
		goto out;
	}
	if (ASN1_OCTET_STRING_cmp(aki->keyid, iski != NULL ? iski : ski) != 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: authorityKeyIdentifier: "
		    "not the issuer's subjectKeyIdentifier");
		goto out;
	}
	r = 0;
 out:
	ASN1_OCTET_STRING_free(ski);
	ASN1_OCTET_STRING_free(iski);
	AUTHORITY_KEYID_free(aki);
	return r;
}

/* The issuer must be a CA that may sign this certificate. */
static int
lint_issuer(X509 *cert, const struct profile *prof, X509 *issuer)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	bool extra;
	int crit, r;

	if (X509_NAME_cmp(X509_get_issuer_name(cert), issuer != NULL ?
	    X509_get_subject_name(issuer) : X509_get_subject_name(cert)) != 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: issuer: the issuer name is "
		    "not the issuer's subject");
		goto out;
	}
	if (issuer == NULL) {
		r = 0;
		goto out;
	}
	bc = X509_get_ext_d2i(issuer, NID_basic_constraints, &crit, NULL);
	ku = X509_get_ext_d2i(issuer, NID_key_usage, &crit, NULL);
	if (bc == NULL || !bc->ca || ku == NULL ||
	    !(ku_mask(ku, &extra) & KU_KEY_CERT_SIGN)) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: issuer: not a CA with "
		    "keyCertSign");
		goto out;
	}
	if (prof->ca && bc->pathlen != NULL &&
	    ASN1_INTEGER_get(bc->pathlen) == 0) {
		r = airca_errf(AIRCA_ERR_LINT, "lint: issuer: pathlen 0 allows "
		    "no CA below it");
		goto out;
	}
	r = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	return r;
}

static int
lint_keys(X509 *cert, EVP_PKEY *pub, const struct profile *prof,
    X509 *issuer)
{
	const X509_ALGOR *inner = X509_get0_tbs_sigalg(cert), *outer;
	const ASN1_BIT_STRING *sig;
	const ASN1_OBJECT *obj;
	const void *pval;
	const EVP_MD *md;
	EVP_PKEY *ipub;
	int bits, ptype, want, nid;

	if (pub == NULL) {
		ERR_clear_error();
		return airca_errf(AIRCA_ERR_LINT, "lint: public key: cannot be "
		    "read");
	}
	switch (issue_key_kind(pub, &bits)) {
	case KIND_P256:
		break;
	case KIND_P384:
		if (!prof->allow_p384)
			return airca_errf(AIRCA_ERR_LINT, "lint: public key: EC "
			    "P-384 not allowed in profile %s", prof->name);
		break;
	case KIND_RSA:
		if (!prof->allow_rsa || bits < (int)prof->min_rsa_bits)
			return airca_errf(AIRCA_ERR_LINT, "lint: public key: RSA "
			    "%d not allowed in profile %s", bits, prof->name);
		break;
	case KIND_NONE:
		return airca_errf(AIRCA_ERR_LINT, "lint: public key: not EC "
		    "P-256, P-384 or RSA");
	}

	ipub = issuer != NULL ? X509_get0_pubkey(issuer) : pub;
	if (ipub == NULL || issue_sig_alg(ipub, &md, &want) != 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: signature: the issuer's "
		    "key is not one airca signs with");
	X509_ALGOR_get0(&obj, &ptype, &pval, inner);
	nid = OBJ_obj2nid(obj);
	if (nid != want || ptype != (want == NID_sha256WithRSAEncryption ?
	    V_ASN1_NULL : V_ASN1_UNDEF))
		return airca_errf(AIRCA_ERR_LINT, "lint: signature: %s, but the "
		    "issuer's key signs with %s", nid != NID_undef ?
		    OBJ_nid2sn(nid) : "none", OBJ_nid2sn(want));
	X509_get0_signature(&sig, &outer, cert);
	X509_ALGOR_get0(&obj, &ptype, &pval, outer);
	if (OBJ_obj2nid(obj) != NID_undef && X509_ALGOR_cmp(outer, inner) != 0)
		return airca_errf(AIRCA_ERR_LINT, "lint: signature: the outer "
		    "algorithm differs from the TBS one");
	return 0;
}

/* Only the profile's extensions. */
static int
lint_ext_list(X509 *cert, const struct profile *prof)
{
	int i, n, nid;

	n = X509_get_ext_count(cert);
	for (i = 0; i < n; i++) {
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(cert,
		    i)));
		if (nid == NID_basic_constraints || nid == NID_key_usage ||
		    nid == NID_subject_key_identifier ||
		    nid == NID_authority_key_identifier ||
		    (nid == NID_ext_key_usage && prof->eku != 0) ||
		    (nid == NID_subject_alt_name && (prof->san != SAN_NONE ||
		    prof->kind != KIND_BUILTIN)))
			continue;
		return airca_errf(AIRCA_ERR_LINT, "lint: extensions: %s is not "
		    "in profile %s", nid != NID_undef ? OBJ_nid2sn(nid) :
		    "an unknown extension", prof->name);
	}
	return 0;
}

/* The lint, with the certificate's public key given (issue_lint: its own). */
int
issue_lint_cert(X509 *cert, EVP_PKEY *pub, const struct profile *prof,
    X509 *issuer)
{
	const ASN1_BIT_STRING *iuid, *suid;
	int r;

	if (cert == NULL || prof == NULL)
		return airca_errf(AIRCA_ERR_INTERNAL, "issue_lint: no cert");
	if (X509_get_version(cert) != X509_VERSION_3)
		return airca_errf(AIRCA_ERR_LINT, "lint: version: not v3");
	X509_get0_uids(cert, &iuid, &suid);
	if (iuid != NULL || suid != NULL)
		return airca_errf(AIRCA_ERR_LINT, "lint: version: unique "
		    "identifiers are not allowed");
	if ((r = lint_serial(cert)) != 0 ||
	    (r = lint_validity(cert, prof, issuer)) != 0 ||
	    (r = lint_subject(cert, prof)) != 0 ||
	    (r = lint_issuer(cert, prof, issuer)) != 0 ||
	    (r = lint_ext_list(cert, prof)) != 0 ||
	    (r = lint_usage(cert, prof)) != 0 ||
	    (r = lint_san(cert, prof)) != 0 ||
	    (r = lint_keyids(cert, issuer)) != 0 ||
	    (r = lint_keys(cert, pub, prof, issuer)) != 0)
		return r;
	return 0;
}

int
issue_lint(X509 *cert, const struct profile *prof, X509 *issuer)
{
	EVP_PKEY *pub = NULL;

	if (cert != NULL && (pub = X509_get0_pubkey(cert)) == NULL)
		ERR_clear_error();
	return issue_lint_cert(cert, pub, prof, issuer);
}
