/* test-issue.c: certificates per profile, chains, validity clipping, the lint, and the helpers (software keys). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "error.h"
#include "issue.h"
#include "policy.h"
#include "util.h"

static struct policy pol;
static time_t t0;

static EVP_PKEY *
keygen(const char *type)
{
	EVP_PKEY *k = NULL;

	if (strcmp(type, "P-256") == 0 || strcmp(type, "P-384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
	else if (strcmp(type, "RSA-3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(type, "RSA-2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "P-521") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	if (k == NULL) {
		fprintf(stderr, "keygen %s failed\n", type);
		exit(2);
	}
	return k;
}

static const struct profile *
prof(const char *name)
{
	return policy_profile(&pol, name);
}

static X509_NAME *
mkname(const char *cn, const char *ou)
{
	X509_NAME *n = X509_NAME_new();

	if (cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0);
	if (ou != NULL)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
		    (const unsigned char *)ou, -1, -1, 0);
	return n;
}

/*
 * Issue under profile pname: the subject goes through policy_subject(),
 * the DNS names through policy_dns().  Returns NULL (and prints) on error.
 */
static X509 *
issue(const char *pname, const char *cn, const char *ou, EVP_PKEY *pub,
    X509 *issuer, EVP_PKEY *sign_key, char *const *dns, size_t ndns,
    unsigned days, time_t not_before, unsigned char fill)
{
	struct issue_params ip;
	X509_NAME *req = NULL, *subject = NULL;
	X509 *cert = NULL;
	int r;

	memset(&ip, 0, sizeof(ip));
	ip.prof = prof(pname);
	if (cn != NULL || ou != NULL)
		req = mkname(cn, ou);
	if ((r = policy_subject(ip.prof, req, issuer != NULL ?
	    X509_get_subject_name(issuer) : NULL, &subject)) != 0 ||
	    (r = policy_dns(ip.prof, dns, ndns)) != 0)
		goto out;
	ip.subject = subject;
	ip.pubkey = pub;
	ip.dns = dns;
	ip.ndns = ip.prof->san != SAN_NONE ? ndns : 0;
	ip.issuer = issuer;
	ip.sign_key = sign_key;
	memset(ip.serial, fill, sizeof(ip.serial));
	ip.serial[15] ^= 0x5a;
	ip.not_before = not_before;
	ip.days = days;
	r = issue_cert(&ip, &cert);
 out:
	if (r != 0)
		fprintf(stderr, "issue %s: %s (%s)\n", pname, airca_strerror(r),
		    airca_errmsg());
	X509_NAME_free(req);
	X509_NAME_free(subject);
	return cert;
}

/* Criticality of extension nid: -1 absent. */
static int
ext_crit(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static long
validity_days(X509 *x)
{
	int d, s;

	ASN1_TIME_diff(&d, &s, X509_get0_notBefore(x), X509_get0_notAfter(x));
	return d;
}

/* The extensions, serial, subject encoding and signature of one cert. */
static void
check_profile(X509 *x, const struct profile *p, X509 *issuer, int signid)
{
	const ASN1_INTEGER *sn;
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	EXTENDED_KEY_USAGE *eku;
	GENERAL_NAMES *san;
	const ASN1_OCTET_STRING *ski, *aki, *iski;
	const X509_NAME *subj;
	int i, nexts = 4, crit;
	size_t k;

	if (x == NULL) {
		CHECK(x != NULL);
		return;
	}
	sn = X509_get0_serialNumber(x);
	subj = X509_get_subject_name(x);
	CHECK(X509_get_version(x) == X509_VERSION_3);
	CHECK(ASN1_STRING_type(sn) == V_ASN1_INTEGER);
	CHECK(ASN1_STRING_length(sn) == SERIAL_LEN);
	CHECK((ASN1_STRING_get0_data(sn)[0] & 0xc0) == 0x40);

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	CHECK(bc != NULL && crit == 1 && (bc->ca != 0) == p->ca);
	CHECK(bc != NULL && (p->pathlen < 0 ? bc->pathlen == NULL :
	    bc->pathlen != NULL && ASN1_INTEGER_get(bc->pathlen) == p->pathlen));
	BASIC_CONSTRAINTS_free(bc);

	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	CHECK(ku != NULL && crit == 1);
	CHECK(X509_get_key_usage(x) == p->key_usage);
	ASN1_BIT_STRING_free(ku);

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (p->eku == 0)
		CHECK(eku == NULL && crit == -1);
	else {
		nexts++;
		CHECK(eku != NULL && crit == 0);
		CHECK((int)((p->eku & EKU_SERVER) != 0) +
		    ((p->eku & EKU_CLIENT) != 0) + ((p->eku & EKU_DOCSIGN) !=
		    0) == sk_ASN1_OBJECT_num(eku));
		/* documentSigning: the audit profile's alone */
		CHECK(((p->eku & EKU_DOCSIGN) != 0) == (p->id == PROFILE_AUDIT));
		CHECK(((X509_get_extended_key_usage(x) & XKU_SSL_SERVER) != 0) ==
		    ((p->eku & EKU_SERVER) != 0));
		CHECK(((X509_get_extended_key_usage(x) & XKU_SSL_CLIENT) != 0) ==
		    ((p->eku & EKU_CLIENT) != 0));
	}
	EXTENDED_KEY_USAGE_free(eku);

	san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (p->san == SAN_NONE)
		CHECK(san == NULL && crit == -1);
	else {
		nexts++;
		CHECK(san != NULL && crit == 0);
		CHECK(san != NULL && sk_GENERAL_NAME_num(san) >= 1);
		if (p->san == SAN_DNS_ONE)
			CHECK(san != NULL && sk_GENERAL_NAME_num(san) == 1);
	}
	GENERAL_NAMES_free(san);

	CHECK(ext_crit(x, NID_subject_key_identifier) == 0);
	CHECK(ext_crit(x, NID_authority_key_identifier) == 0);
	CHECK(X509_get_ext_count(x) == nexts);
	ski = X509_get0_subject_key_id(x);
	aki = X509_get0_authority_key_id(x);
	iski = X509_get0_subject_key_id(issuer != NULL ? issuer : x);
	CHECK(ski != NULL && ASN1_STRING_length(ski) == 20);
	CHECK(aki != NULL && iski != NULL &&
	    ASN1_OCTET_STRING_cmp(aki, iski) == 0);
	{
		unsigned char md[20];
		unsigned int len = sizeof(md);
		const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);

		EVP_Digest(ASN1_STRING_get0_data(bits), (size_t)
		    ASN1_STRING_length(bits), md, &len, EVP_sha1(), NULL);
		CHECK(ski != NULL && memcmp(ASN1_STRING_get0_data(ski), md,
		    20) == 0);
	}

	/* subject in rule order, UTF8String */
	CHECK(X509_NAME_entry_count(subj) >= 1 &&
	    X509_NAME_entry_count(subj) <= (int)p->nrules);
	for (i = 0, k = 0; i < X509_NAME_entry_count(subj); i++, k++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));

		while (k < p->nrules && p->rules[k].nid != nid)
			k++;
		CHECK(k < p->nrules);	/* ruled, and in rule order */
		CHECK(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)) ==
		    V_ASN1_UTF8STRING);
	}
	CHECK(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(subj,
	    0))) == NID_commonName);
	CHECK(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(
	    issuer != NULL ? issuer : x)) == 0);
	CHECK(X509_get_signature_nid(x) == signid);
	CHECK(X509_verify(x, X509_get0_pubkey(issuer != NULL ? issuer : x))
	    == 1);
	CHECK(issue_lint(x, p, issuer) == 0);
}

static int
verify_chain(X509 *leaf, X509 *root, X509 *mid, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok;

	X509_STORE_add_cert(store, root);
	if (mid != NULL)
		sk_X509_push(untrusted, mid);
	X509_STORE_CTX_init(ctx, store, leaf, untrusted);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
	    X509_V_FLAG_X509_STRICT);
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		fprintf(stderr, "verify: %s\n", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	return ok;
}

/* The whole PKI of DESIGN.md under one CA key type. */
static void
test_pki(const char *catype, int signid)
{
	EVP_PKEY *rootk = keygen(catype), *devcak = keygen(catype);
	EVP_PKEY *devk = keygen("P-256"), *tlsk = keygen("P-256");
	EVP_PKEY *onlinek = keygen("P-256"), *auditk = keygen(catype);
	X509 *root, *devca, *dev, *tls, *est, *online, *audit;
	char *dns[] = { "api.example.com", "*.api.example.com" };
	char *one[] = { "est.example.com" };

	fprintf(stderr, "-- CA key %s\n", catype);
	root = issue("root", NULL, NULL, rootk, NULL, rootk, NULL, 0, 0, t0,
	    0xff);
	check_profile(root, prof("root"), NULL, signid);
	CHECK(validity_days(root) == 7300);	/* self-signed: not clipped */
	CHECK(X509_check_issued(root, root) == X509_V_OK);

	devca = issue("device-ca", "fio-owner42", NULL, devcak, root, rootk,
	    NULL, 0, 0, t0 + 60, 0x00);
	check_profile(devca, prof("device-ca"), root, signid);
	/* device certs are signed by the device CA, whose key type is the same */
	dev = issue("device", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "acme",
	    devk, devca, devcak, NULL, 0, 0, t0 + 120, 0x12);
	check_profile(dev, prof("device"), devca, signid);
	CHECK(verify_chain(dev, root, devca, X509_PURPOSE_SSL_CLIENT) == 1);
	CHECK(verify_chain(devca, root, NULL, X509_PURPOSE_ANY) == 1);

	tls = issue("tls", "api.example.com", NULL, tlsk, root, rootk, dns, 2,
	    0, t0 + 60, 0x34);
	check_profile(tls, prof("tls"), root, signid);
	CHECK(tls != NULL && X509_check_host(tls, "x.api.example.com", 0, 0,
	    NULL) == 1);
	CHECK(verify_chain(tls, root, NULL, X509_PURPOSE_SSL_SERVER) == 1);
	if (tls != NULL)
		CHECK(X509_NAME_entry_count(X509_get_subject_name(tls)) == 1);

	est = issue("est-tls", "est.example.com", "acme", tlsk, root, rootk, one,
	    1, 0, t0 + 60, 0x56);
	check_profile(est, prof("est-tls"), root, signid);

	online = issue("online-ca", "online-ca", "acme", onlinek, root, rootk,
	    NULL, 0, 0, t0 + 60, 0x78);
	check_profile(online, prof("online-ca"), root, signid);

	audit = issue("audit", NULL, NULL, auditk, root, rootk, NULL, 0, 0,
	    t0 + 60, 0x9a);
	check_profile(audit, prof("audit"), root, signid);

	X509_free(root);
	X509_free(devca);
	X509_free(dev);
	X509_free(tls);
	X509_free(est);
	X509_free(online);
	X509_free(audit);
	EVP_PKEY_free(rootk);
	EVP_PKEY_free(devcak);
	EVP_PKEY_free(devk);
	EVP_PKEY_free(tlsk);
	EVP_PKEY_free(onlinek);
	EVP_PKEY_free(auditk);
}

static void
test_validity_and_keys(void)
{
	EVP_PKEY *rootk = keygen("P-256"), *k = keygen("P-256");
	EVP_PKEY *other = keygen("P-256"), *p521 = keygen("P-521");
	EVP_PKEY *rsa2048 = keygen("RSA-2048");
	X509 *root, *devca, *x;
	struct issue_params ip;
	X509_NAME *subject = NULL;

	/* a short-lived root clips what it signs */
	root = issue("root", NULL, NULL, rootk, NULL, rootk, NULL, 0, 100, t0,
	    1);
	CHECK(root != NULL && validity_days(root) == 100);
	devca = issue("device-ca", "fio-x", NULL, k, root, rootk, NULL, 0, 0,
	    t0 + 3600, 2);
	CHECK(devca != NULL && ASN1_TIME_compare(X509_get0_notAfter(devca),
	    X509_get0_notAfter(root)) == 0);
	x = issue("device", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "acme",
	    rsa2048, devca, k, NULL, 0, 30, t0 + 7200, 3);
	CHECK(x != NULL && validity_days(x) == 30);
	X509_free(x);

	/* notBefore before the issuer's is refused by the lint */
	CHECK(policy_subject(prof("device-ca"), NULL, NULL, &subject) != 0);
	subject = NULL;
	memset(&ip, 0, sizeof(ip));
	ip.prof = prof("audit");
	CHECK(policy_subject(ip.prof, NULL, X509_get_subject_name(root),
	    &subject) == 0);
	ip.subject = subject;
	ip.pubkey = k;
	ip.issuer = root;
	ip.sign_key = rootk;
	ip.not_before = t0 - 10;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_LINT, "lint: validity: "
	    "notBefore is before the issuer's notBefore");
	/* an expired issuer: nothing is valid */
	ip.not_before = t0 + 200 * 86400;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_LINT, "lint: validity: "
	    "notBefore is not before notAfter");
	ip.not_before = t0 + 10;
	ip.days = 7301;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_POLICY, "7301 days is longer "
	    "than profile audit allows (7300)");
	ip.days = 0;
	/* the signing key must be the issuer certificate's */
	ip.sign_key = other;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_CRYPTO, "the signing key is "
	    "not the key of the issuer certificate");
	/* a self-signed root must sign with its own key */
	ip.prof = prof("root");
	ip.issuer = NULL;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_CRYPTO, "the signing key is "
	    "not the key of the certificate (self-signed)");
	/* only the root is self-signed, and the root is only self-signed */
	ip.prof = prof("audit");
	ip.sign_key = k;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_INTERNAL, "needs an issuer");
	ip.prof = prof("root");
	ip.issuer = root;
	ip.sign_key = rootk;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_INTERNAL, "is self-signed");
	/* keys airca does not sign with, or does not certify */
	ip.prof = prof("audit");
	ip.pubkey = p521;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_LINT, "lint: public key: not "
	    "EC P-256, P-384 or RSA");
	ip.prof = prof("root");
	ip.issuer = NULL;
	ip.pubkey = p521;
	ip.sign_key = p521;
	X509_NAME_free(subject);
	subject = NULL;
	CHECK(policy_subject(ip.prof, NULL, NULL, &subject) == 0);
	ip.subject = subject;
	CHECK_ERR(issue_cert(&ip, &x), AIRCA_ERR_CRYPTO, "not one airca signs "
	    "with");

	X509_NAME_free(subject);
	X509_free(root);
	X509_free(devca);
	EVP_PKEY_free(rootk);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(rsa2048);
}

static void
test_serial(void)
{
	EVP_PKEY *k = keygen("P-256");
	X509 *a, *b;
	char hex[64];

	a = issue("root", NULL, NULL, k, NULL, k, NULL, 0, 0, t0, 0xff);
	b = issue("root", NULL, NULL, k, NULL, k, NULL, 0, 0, t0, 0x00);
	CHECK(a != NULL && b != NULL);
	cert_serial_hex(a, hex, sizeof(hex));
	CHECK_STR(hex, "7fffffffffffffffffffffffffffffa5");
	cert_serial_hex(b, hex, sizeof(hex));
	CHECK_STR(hex, "4000000000000000000000000000005a");
	cert_serial_hex(b, hex, 10);	/* too small: empty, not cut */
	CHECK_STR(hex, "");
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(k);
}

/* Replace extension nid of x by a new one (NULL value: just delete). */
static void
replace_ext(X509 *x, int nid, void *value, int crit)
{
	int i;

	while ((i = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	if (value != NULL)
		CHECK(X509_add1_ext_i2d(x, nid, value, crit, 0) == 1);
}

static void
test_lint(void)
{
	EVP_PKEY *rootk = keygen("P-256"), *k = keygen("P-256");
	EVP_PKEY *devk = keygen("P-256");
	X509 *root, *devca, *dev, *x;
	const struct profile *pdc = prof("device-ca"), *pdev = prof("device");
	ASN1_BIT_STRING *ku;
	BASIC_CONSTRAINTS *bc;
	EXTENDED_KEY_USAGE *eku;
	GENERAL_NAMES *gens;
	AUTHORITY_KEYID *aki;
	ASN1_INTEGER *sn;
	X509_NAME *name;
	unsigned char big[21];

	root = issue("root", NULL, NULL, rootk, NULL, rootk, NULL, 0, 0, t0, 1);
	devca = issue("device-ca", "fio-lint", NULL, k, root, rootk, NULL, 0, 0,
	    t0, 2);
	dev = issue("device", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "acme",
	    devk, devca, k, NULL, 0, 0, t0, 3);
	if (root == NULL || devca == NULL || dev == NULL) {
		CHECK(0);
		return;
	}
	CHECK(issue_lint(devca, pdc, root) == 0);
	CHECK(issue_lint(dev, pdev, devca) == 0);

	/* CA:TRUE with digitalSignature only */
	x = X509_dup(devca);
	ku = ASN1_BIT_STRING_new();
	ASN1_BIT_STRING_set_bit(ku, 0, 1);
	replace_ext(x, NID_key_usage, ku, 1);
	CHECK_ERR(issue_lint(x, pdc, root), AIRCA_ERR_LINT, "lint: keyUsage: "
	    "keyCertSign is not set but the certificate is a CA");
	ASN1_BIT_STRING_free(ku);
	X509_free(x);

	/* keyUsage that is right by RFC 5280 but not the profile's */
	x = X509_dup(devca);
	ku = ASN1_BIT_STRING_new();
	ASN1_BIT_STRING_set_bit(ku, 5, 1);
	replace_ext(x, NID_key_usage, ku, 1);
	CHECK_ERR(issue_lint(x, pdc, root), AIRCA_ERR_LINT, "lint: keyUsage: "
	    "cRLSign is missing from the profile's");
	ASN1_BIT_STRING_free(ku);
	X509_free(x);

	/* missing SKI */
	x = X509_dup(devca);
	replace_ext(x, NID_subject_key_identifier, NULL, 0);
	CHECK_ERR(issue_lint(x, pdc, root), AIRCA_ERR_LINT,
	    "lint: subjectKeyIdentifier: missing");
	X509_free(x);

	/* missing or wrong AKI */
	x = X509_dup(dev);
	replace_ext(x, NID_authority_key_identifier, NULL, 0);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: authorityKeyIdentifier: missing");
	X509_free(x);
	CHECK_ERR(issue_lint(dev, pdev, root), AIRCA_ERR_LINT, "lint: issuer: "
	    "the issuer name is not the issuer's subject");
	x = X509_dup(dev);
	aki = AUTHORITY_KEYID_new();
	aki->keyid = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(aki->keyid, (const unsigned char *)"12345", 5);
	replace_ext(x, NID_authority_key_identifier, aki, 0);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: authorityKeyIdentifier: not the issuer's");
	AUTHORITY_KEYID_free(aki);
	X509_free(x);

	/* basicConstraints not critical, or CA where the profile is not */
	x = X509_dup(dev);
	bc = BASIC_CONSTRAINTS_new();
	replace_ext(x, NID_basic_constraints, bc, 0);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: basicConstraints: must be critical");
	bc->ca = 0xff;
	replace_ext(x, NID_basic_constraints, bc, 1);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: basicConstraints: CA:TRUE but profile device is not a CA");
	BASIC_CONSTRAINTS_free(bc);
	X509_free(x);

	/* pathlen 0 issuer: no CA below */
	CHECK_ERR(issue_lint(devca, pdc, devca), AIRCA_ERR_LINT,
	    "lint: issuer:");

	/* wrong EKU, SAN where the profile has none, a foreign extension */
	x = X509_dup(dev);
	eku = sk_ASN1_OBJECT_new_null();
	sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth));
	replace_ext(x, NID_ext_key_usage, eku, 0);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: extendedKeyUsage: not the profile's purposes");
	sk_ASN1_OBJECT_free(eku);
	X509_free(x);
	x = X509_dup(dev);
	gens = GENERAL_NAMES_new();
	{
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		ASN1_STRING_set(s, "evil.example.com", -1);
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	replace_ext(x, NID_subject_alt_name, gens, 0);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: extensions: subjectAltName is not in profile device");
	GENERAL_NAMES_free(gens);
	X509_free(x);
	x = X509_dup(dev);
	{
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL,
		    NID_netscape_comment, "hello");

		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: extensions: nsComment is not in profile device");
	X509_free(x);

	/* serials: zero, negative, too long */
	x = X509_dup(dev);
	sn = ASN1_INTEGER_new();
	ASN1_INTEGER_set(sn, 0);
	X509_set_serialNumber(x, sn);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: serial: "
	    "zero");
	ASN1_INTEGER_set(sn, -5);
	X509_set_serialNumber(x, sn);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: serial: "
	    "negative");
	ASN1_INTEGER_free(sn);
	sn = ASN1_INTEGER_new();
	memset(big, 0x11, sizeof(big));
	ASN1_STRING_set(sn, big, sizeof(big));
	X509_set_serialNumber(x, sn);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: serial: "
	    "21 octets");
	memset(big, 0x91, 20);
	ASN1_STRING_set(sn, big, 20);	/* 20 bytes, but 21 in DER */
	X509_set_serialNumber(x, sn);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: serial: "
	    "21 octets");
	ASN1_INTEGER_free(sn);
	X509_free(x);

	/* validity beyond the issuer's, version 1 */
	x = X509_dup(dev);
	ASN1_TIME_set(X509_getm_notAfter(x), t0 + 3651L * 86400);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: validity:");
	X509_set_version(x, X509_VERSION_1);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: version");
	X509_free(x);

	/* subject: PrintableString, missing CN, attribute not in the profile */
	x = X509_dup(dev);
	name = X509_NAME_new();
	X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", -1,
	    -1, 0);
	X509_NAME_add_entry_by_NID(name, NID_organizationalUnitName,
	    V_ASN1_UTF8STRING, (const unsigned char *)"acme", -1, -1, 0);
	X509_set_subject_name(x, name);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: subject: "
	    "CN is a PRINTABLESTRING, not a UTF8STRING");
	X509_NAME_free(name);
	name = X509_NAME_new();
	X509_NAME_add_entry_by_NID(name, NID_organizationalUnitName,
	    V_ASN1_UTF8STRING, (const unsigned char *)"acme", -1, -1, 0);
	X509_set_subject_name(x, name);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: subject: "
	    "no CN");
	X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", -1,
	    -1, 0);
	X509_set_subject_name(x, name);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: subject: "
	    "CN twice or out of the profile's order");
	X509_NAME_free(name);
	name = X509_NAME_new();
	X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", -1,
	    -1, 0);
	X509_NAME_add_entry_by_NID(name, NID_organizationalUnitName,
	    V_ASN1_UTF8STRING, (const unsigned char *)"acme", -1, -1, 0);
	X509_NAME_add_entry_by_NID(name, NID_organizationName,
	    V_ASN1_UTF8STRING, (const unsigned char *)"Evil", -1, -1, 0);
	X509_set_subject_name(x, name);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: subject: "
	    "O is not named by profile device");
	X509_NAME_free(name);
	X509_free(x);

	/* a signature algorithm that is not the issuer key's */
	x = X509_dup(dev);
	X509_ALGOR_set0((X509_ALGOR *)X509_get0_tbs_sigalg(x),
	    OBJ_nid2obj(NID_ecdsa_with_SHA384), V_ASN1_UNDEF, NULL);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT, "lint: signature: "
	    "ecdsa-with-SHA384, but the issuer's key signs with "
	    "ecdsa-with-SHA256");
	X509_free(x);

	X509_free(root);
	X509_free(devca);
	X509_free(dev);
	EVP_PKEY_free(rootk);
	EVP_PKEY_free(k);
	EVP_PKEY_free(devk);
}

/* A request as the factory API would send it, built in memory. */
static X509_REQ *
make_csr(EVP_PKEY *key, const char *cn, const char *ou, const char *o,
    const char *san, bool ask_ca)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_REQ_get_subject_name(req);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;

	X509_REQ_set_version(req, 0);
	/* PrintableString on purpose: airca re-encodes as UTF8String */
	if (o != NULL)
		X509_NAME_add_entry_by_NID(n, NID_organizationName,
		    V_ASN1_PRINTABLESTRING, (const unsigned char *)o, -1, -1, 0);
	if (cn != NULL)
		X509_NAME_add_entry_by_NID(n, NID_commonName,
		    V_ASN1_PRINTABLESTRING, (const unsigned char *)cn, -1, -1, 0);
	if (ou != NULL)
		X509_NAME_add_entry_by_NID(n, NID_organizationalUnitName,
		    V_ASN1_PRINTABLESTRING, (const unsigned char *)ou, -1, -1, 0);
	X509_REQ_set_pubkey(req, key);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		sk_X509_EXTENSION_push(exts, ext);
	}
	if (ask_ca) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
		    "critical,CA:TRUE");
		sk_X509_EXTENSION_push(exts, ext);
	}
	if (sk_X509_EXTENSION_num(exts) > 0)
		X509_REQ_add_extensions(req, exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_sign(req, key, EVP_sha256());
	return req;
}

/* What csr.c will hand over: the SAN DNS names of a request. */
static size_t
csr_dns(X509_REQ *req, char **out, size_t max)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens;
	size_t n = 0;
	int i;

	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && n < max;
	    i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			out[n++] = strndup((const char *)ASN1_STRING_get0_data(
			    g->d.dNSName), (size_t)ASN1_STRING_length(
			    g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return n;
}

static void
test_csr(void)
{
	EVP_PKEY *rootk = keygen("P-384"), *k = keygen("P-256");
	EVP_PKEY *rsa = keygen("RSA-2048");
	X509_REQ *req;
	X509 *root, *cert = NULL;
	X509_NAME *subject = NULL;
	struct issue_params ip;
	char *dns[4];
	size_t ndns, i;
	struct policy strict;
	FILE *f;
	char path[] = "/tmp/airca-test-issue-XXXXXX";
	int fd;

	root = issue("root", NULL, NULL, rootk, NULL, rootk, NULL, 0, 0, t0, 9);
	req = make_csr(k, "api.example.com", "acme", "Evil Corp",
	    "DNS:api.example.com,DNS:*.example.com,email:x@example.com", true);
	CHECK(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) == 1);
	ndns = csr_dns(req, dns, 4);
	CHECK(ndns == 2);
	CHECK(policy_subject(prof("tls"), X509_REQ_get_subject_name(req),
	    X509_get_subject_name(root), &subject) == 0);
	CHECK(policy_dns(prof("tls"), dns, ndns) == 0);
	CHECK_ERR(policy_dns(prof("est-tls"), dns, ndns), AIRCA_ERR_POLICY,
	    "exactly one");
	memset(&ip, 0, sizeof(ip));
	ip.prof = prof("tls");
	ip.subject = subject;
	ip.pubkey = X509_REQ_get0_pubkey(req);
	ip.dns = dns;
	ip.ndns = ndns;
	ip.issuer = root;
	ip.sign_key = rootk;
	memset(ip.serial, 0xa5, sizeof(ip.serial));
	ip.not_before = t0 + 5;
	CHECK(issue_cert(&ip, &cert) == 0);
	check_profile(cert, prof("tls"), root, NID_ecdsa_with_SHA384);
	if (cert != NULL) {
		char *one = name_oneline(X509_get_subject_name(cert));
		char *cn = name_cn(X509_get_subject_name(cert));
		GENERAL_NAMES *gens = X509_get_ext_d2i(cert,
		    NID_subject_alt_name, NULL, NULL);

		CHECK_STR(one, "OU=acme,CN=api.example.com");
		CHECK_STR(cn, "api.example.com");
		CHECK(gens != NULL && sk_GENERAL_NAME_num(gens) == 2);
		CHECK(X509_check_host(cert, "www.example.com", 0, 0, NULL) == 1);
		CHECK(X509_check_ca(cert) == 0);	/* CA:TRUE asked, not given */
		CHECK(verify_chain(cert, root, NULL, X509_PURPOSE_SSL_SERVER)
		    == 1);
		GENERAL_NAMES_free(gens);
		free(one);
		free(cn);
	}
	X509_free(cert);
	cert = NULL;
	X509_NAME_free(subject);
	subject = NULL;
	for (i = 0; i < ndns; i++)
		free(dns[i]);
	X509_REQ_free(req);

	/* RSA 2048 device key: fine by default, refused by a stricter policy */
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		CHECK(0);
		return;
	}
	fputs("[policy]\nversion = 1\nfactory = acme\n[profile tls]\n"
	    "min_rsa_bits = 3072\n", f);
	fclose(f);
	CHECK(policy_load(path, &strict) == 0);
	remove(path);
	req = make_csr(rsa, "rsa.example.com", NULL, NULL, "DNS:rsa.example.com",
	    false);
	ndns = csr_dns(req, dns, 4);
	CHECK(policy_subject(prof("tls"), X509_REQ_get_subject_name(req),
	    X509_get_subject_name(root), &subject) == 0);
	ip.subject = subject;
	ip.pubkey = X509_REQ_get0_pubkey(req);
	ip.ndns = ndns;
	CHECK(issue_cert(&ip, &cert) == 0);
	X509_free(cert);
	cert = NULL;
	ip.prof = policy_profile(&strict, "tls");
	CHECK_ERR(issue_cert(&ip, &cert), AIRCA_ERR_LINT, "lint: public key: "
	    "RSA 2048 not allowed in profile tls");
	/* a SAN the profile needs, missing from the parameters */
	ip.prof = prof("tls");
	ip.ndns = 0;
	CHECK_ERR(issue_cert(&ip, &cert), AIRCA_ERR_LINT, "lint: "
	    "subjectAltName: profile tls needs at least one DNS name");
	for (i = 0; i < ndns; i++)
		free(dns[i]);
	policy_free(&strict);
	X509_NAME_free(subject);
	X509_REQ_free(req);
	X509_free(root);
	EVP_PKEY_free(rootk);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rsa);
}

static void
test_helpers(void)
{
	EVP_PKEY *k = keygen("P-256");
	X509 *root;
	X509_NAME *n;
	char fp[65], spki[65], want[65], *s, *pem = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	int dlen;

	root = issue("root", NULL, NULL, k, NULL, k, NULL, 0, 0, t0, 7);
	if (root == NULL) {
		CHECK(0);
		return;
	}
	cert_fingerprint(root, fp);
	dlen = i2d_X509(root, &der);
	sha256_hex(der, (size_t)dlen, want);
	CHECK_STR(fp, want);
	OPENSSL_free(der);
	der = NULL;

	CHECK(pubkey_spki_sha256(k, spki) == 0);
	dlen = i2d_PUBKEY(k, &der);
	sha256_hex(der, (size_t)dlen, want);
	CHECK_STR(spki, want);
	OPENSSL_free(der);

	CHECK(cert_pem(root, &pem, &len) == 0);
	CHECK(pem != NULL && strncmp(pem, "-----BEGIN CERTIFICATE-----\n",
	    28) == 0 && strlen(pem) == len);
	free(pem);

	s = name_oneline(X509_get_subject_name(root));
	CHECK_STR(s, "OU=acme,CN=Factory-CA");
	free(s);
	n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Gr\xc3\xbc\xc3\x9f" "e, \"x\"", -1, -1, 0);
	s = name_oneline(n);
	CHECK_STR(s, "CN=Gr\xc3\xbc\xc3\x9f" "e\\, \\\"x\\\"");
	free(s);
	s = name_cn(n);
	CHECK_STR(s, "Gr\xc3\xbc\xc3\x9f" "e, \"x\"");
	free(s);
	X509_NAME_free(n);
	n = X509_NAME_new();
	CHECK(name_cn(n) == NULL);
	X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"a\0b", 3, -1, 0);
	CHECK(name_cn(n) == NULL);	/* embedded NUL */
	X509_NAME_free(n);

	X509_free(root);
	EVP_PKEY_free(k);
}

/*
 * deferred_check: issue_cert() returns the signed certificate unchecked,
 * issue_check() passes a good one and refuses a changed signature, a
 * wrong issuer, and one the lint refuses.
 */
static void
test_deferred_check(void)
{
	struct issue_params ip;
	EVP_PKEY *rk = keygen("P-256"), *dk = keygen("P-256"),
	    *leaf = keygen("P-256");
	X509 *root, *dca, *x = NULL, *bad;
	X509_NAME *subj = NULL, *req = mkname("0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", "acme");
	ASN1_BIT_STRING *sig;
	const ASN1_BIT_STRING *csig;
	const X509_ALGOR *alg;

	root = issue("root", NULL, NULL, rk, NULL, rk, NULL, 0, 0, t0, 1);
	dca = issue("device-ca", "fio-u1", NULL, dk, root, rk, NULL, 0, 0, t0, 2);
	CHECK(root != NULL && dca != NULL);
	CHECK(policy_subject(prof("device"), req, X509_get_subject_name(dca),
	    &subj) == 0);
	memset(&ip, 0, sizeof(ip));
	ip.prof = prof("device");
	ip.subject = subj;
	ip.pubkey = leaf;
	ip.issuer = dca;
	ip.sign_key = dk;
	ip.not_before = t0;
	ip.deferred_check = true;
	memset(ip.serial, 7, sizeof(ip.serial));
	CHECK(issue_cert(&ip, &x) == 0);
	CHECK(issue_check(x, prof("device"), dca) == 0);
	/* the wrong issuer: the signature does not verify */
	CHECK_ERR(issue_check(x, prof("device"), root), AIRCA_ERR_CRYPTO,
	    "does not verify");
	/* the lint of another profile refuses it */
	CHECK_ERR(issue_check(x, prof("tls"), dca), AIRCA_ERR_LINT, "lint");
	/* a flipped signature bit */
	CHECK((bad = X509_dup(x)) != NULL);
	X509_get0_signature(&csig, &alg, bad);
	sig = (ASN1_BIT_STRING *)csig;
	sig->data[sig->length / 2] ^= 0x01;
	CHECK_ERR(issue_check(bad, prof("device"), dca), AIRCA_ERR_CRYPTO,
	    "does not verify");
	X509_free(bad);
	X509_free(x);
	X509_free(root);
	X509_free(dca);
	X509_NAME_free(subj);
	X509_NAME_free(req);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(dk);
	EVP_PKEY_free(leaf);
}

/*
 * User-defined profiles: an unlimited leaf gets 99991231235959Z and is the
 * one certificate allowed past its issuer's notAfter; a dated leaf is
 * clipped; a profile whose fields leave its kind's set fails the lint.
 */
static void
test_user(void)
{
	struct policy up;
	struct profile *p;
	struct issue_params ip;
	EVP_PKEY *rk = keygen("P-256"), *k = keygen("P-256");
	X509 *root, *cert = NULL;
	X509_NAME *subject = NULL;
	char path[] = "/tmp/airca-test-issue-user.XXXXXX";
	FILE *f;
	int fd;

	root = issue("root", NULL, NULL, rk, NULL, rk, NULL, 0, 0, t0, 0x11);
	CHECK(root != NULL);
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		CHECK(0);
		return;
	}
	fputs("[policy]\nversion = 1\nfactory = acme\n[profile devid]\n"
	    "kind = device-identity\ndays = unlimited\nCN = supplied\n"
	    "[profile dated]\nkind = client\ndays = 36500\nCN = supplied\n",
	    f);
	fclose(f);
	CHECK(policy_load(path, &up) == 0 ||
	    (fprintf(stderr, "%s\n", airca_errmsg()), 0));
	remove(path);
	subject = mkname("dev-1", NULL);
	memset(&ip, 0, sizeof(ip));
	ip.prof = policy_profile(&up, "devid");
	ip.subject = subject;
	ip.pubkey = k;
	ip.issuer = root;
	ip.sign_key = rk;
	memset(ip.serial, 0x33, sizeof(ip.serial));
	ip.not_before = t0;
	CHECK(issue_cert(&ip, &cert) == 0 ||
	    (fprintf(stderr, "%s\n", airca_errmsg()), 0));
	if (cert != NULL) {
		const ASN1_TIME *na = X509_get0_notAfter(cert);

		CHECK(ASN1_STRING_type(na) == V_ASN1_GENERALIZEDTIME &&
		    ASN1_STRING_length(na) == 15 && memcmp(
		    ASN1_STRING_get0_data(na), "99991231235959Z", 15) == 0);
		CHECK(ASN1_TIME_compare(na, X509_get0_notAfter(root)) > 0);
		CHECK(issue_lint(cert, ip.prof, root) == 0);
		CHECK(ext_crit(cert, NID_ext_key_usage) == -1);
		/* the same certificate is refused under a dated profile */
		CHECK_ERR(issue_lint(cert, policy_profile(&up, "dated"), root),
		    AIRCA_ERR_LINT, "lint: validity: longer than the 36500 days");
		X509_free(cert);
		cert = NULL;
	}
	ip.days = 10;
	CHECK_ERR(issue_cert(&ip, &cert), AIRCA_ERR_POLICY, "profile devid is "
	    "unlimited");
	ip.days = 0;
	/* a dated leaf stays inside its issuer */
	ip.prof = policy_profile(&up, "dated");
	CHECK(issue_cert(&ip, &cert) == 0);
	if (cert != NULL)
		CHECK(ASN1_TIME_compare(X509_get0_notAfter(cert),
		    X509_get0_notAfter(root)) == 0);
	X509_free(cert);
	cert = NULL;
	/* fields that leave the kind's set: refused by the lint */
	p = (struct profile *)policy_profile(&up, "dated");
	p->key_usage |= KU_KEY_CERT_SIGN;
	CHECK_ERR(issue_cert(&ip, &cert), AIRCA_ERR_LINT, "lint: profile dated "
	    "is not the vetted set of its kind");
	p->key_usage &= ~(unsigned)KU_KEY_CERT_SIGN;
	p->unlimited = true;
	p->days = 0;
	p->ca = true;
	CHECK_ERR(issue_cert(&ip, &cert), AIRCA_ERR_LINT, "lint: validity: "
	    "profile dated may not be unlimited: only a leaf");
	X509_NAME_free(subject);
	X509_free(root);
	policy_free(&up);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(k);
}

int
main(void)
{
	if (policy_default("acme", &pol) != 0) {
		fprintf(stderr, "%s\n", airca_errmsg());
		return 2;
	}
	t0 = time(NULL) - 3600;
	test_pki("P-256", NID_ecdsa_with_SHA256);
	test_pki("P-384", NID_ecdsa_with_SHA384);
	test_pki("RSA-3072", NID_sha256WithRSAEncryption);
	test_validity_and_keys();
	test_serial();
	test_lint();
	test_csr();
	test_helpers();
	test_deferred_check();
	test_user();
	policy_free(&pol);
	CHECK_DONE();
}
