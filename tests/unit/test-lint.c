/*
 * test-lint.c: lint rules that issue_cert() never breaks itself, so only a
 * certificate changed after issue shows that the rule is there: each case
 * pins a mutant of tests/mutants/mutants.tsv (software keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "error.h"
#include "issue.h"
#include "policy.h"

static struct policy pol;
static time_t t0;

static EVP_PKEY *
keygen(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (k == NULL) {
		fprintf(stderr, "keygen failed\n");
		exit(2);
	}
	return k;
}

static X509 *
issue(const char *pname, const char *cn, const char *ou, EVP_PKEY *pub,
    X509 *issuer, EVP_PKEY *sign_key, unsigned char fill)
{
	struct issue_params ip;
	X509_NAME *req = X509_NAME_new(), *subject = NULL;
	X509 *cert = NULL;
	int r;

	memset(&ip, 0, sizeof(ip));
	ip.prof = policy_profile(&pol, pname);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(req, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0);
	if (ou != NULL)
		X509_NAME_add_entry_by_txt(req, "OU", MBSTRING_UTF8,
		    (const unsigned char *)ou, -1, -1, 0);
	if ((r = policy_subject(ip.prof, req, issuer != NULL ?
	    X509_get_subject_name(issuer) : NULL, &subject)) == 0) {
		ip.subject = subject;
		ip.pubkey = pub;
		ip.issuer = issuer;
		ip.sign_key = sign_key;
		ip.not_before = t0;
		memset(ip.serial, fill, sizeof(ip.serial));
		r = issue_cert(&ip, &cert);
	}
	if (r != 0)
		fprintf(stderr, "issue %s: %s\n", pname, airca_errmsg());
	X509_NAME_free(req);
	X509_NAME_free(subject);
	return cert;
}

static void
replace_ext(X509 *x, int nid, void *value, int crit)
{
	int i;

	while ((i = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	if (value != NULL)
		CHECK(X509_add1_ext_i2d(x, nid, value, crit, 0) == 1);
}

/* A CA certificate whose pathlen is not the profile's: absent (unlimited), or set where the profile has none. */
static void
test_pathlen(X509 *root, X509 *devca)
{
	const struct profile *proot = policy_profile(&pol, "root");
	const struct profile *pdc = policy_profile(&pol, "device-ca");
	BASIC_CONSTRAINTS *bc;
	X509 *x;

	/* the profiles this test relies on */
	CHECK(pdc->ca && pdc->pathlen == 0);
	CHECK(proot->ca && proot->pathlen == -1);

	/* a device CA with no pathlen could certify further CAs */
	x = X509_dup(devca);
	bc = BASIC_CONSTRAINTS_new();
	bc->ca = 1;
	replace_ext(x, NID_basic_constraints, bc, 1);
	CHECK_ERR(issue_lint(x, pdc, root), AIRCA_ERR_LINT,
	    "lint: basicConstraints: pathlen -1, the profile wants 0");
	BASIC_CONSTRAINTS_free(bc);
	X509_free(x);

	/* a root with pathlen 0 could not certify its device CAs */
	x = X509_dup(root);
	bc = BASIC_CONSTRAINTS_new();
	bc->ca = 1;
	bc->pathlen = ASN1_INTEGER_new();
	ASN1_INTEGER_set(bc->pathlen, 0);
	replace_ext(x, NID_basic_constraints, bc, 1);
	CHECK_ERR(issue_lint(x, proot, NULL), AIRCA_ERR_LINT,
	    "lint: basicConstraints: pathlen 0, the profile wants -1");
	BASIC_CONSTRAINTS_free(bc);
	X509_free(x);
}

/* A certificate that outlives its issuer, its notBefore well inside. */
static void
test_outlives(X509 *devca, X509 *dev)
{
	const struct profile *pdev = policy_profile(&pol, "device");
	time_t ina;
	struct tm tm;
	X509 *x;

	CHECK(ASN1_TIME_to_tm(X509_get0_notAfter(devca), &tm) == 1);
	ina = timegm(&tm);
	x = X509_dup(dev);
	CHECK(ASN1_TIME_set(X509_getm_notBefore(x), ina - 10 * 86400) != NULL);
	CHECK(ASN1_TIME_set(X509_getm_notAfter(x), ina + 86400) != NULL);
	CHECK_ERR(issue_lint(x, pdev, devca), AIRCA_ERR_LINT,
	    "lint: validity: notAfter is after the issuer's notAfter");
	/* a day less: inside the issuer's validity, the lint passes */
	CHECK(ASN1_TIME_set(X509_getm_notAfter(x), ina - 86400) != NULL);
	CHECK(issue_lint(x, pdev, devca) == 0);
	X509_free(x);
}

/* A subjectKeyIdentifier of the right length that is not the key's. */
static void
test_ski(X509 *devca, X509 *dev)
{
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	unsigned char id[20];
	X509 *x;

	memset(id, 0x5a, sizeof(id));
	ASN1_OCTET_STRING_set(ski, id, sizeof(id));
	x = X509_dup(dev);
	replace_ext(x, NID_subject_key_identifier, ski, 0);
	CHECK_ERR(issue_lint(x, policy_profile(&pol, "device"), devca),
	    AIRCA_ERR_LINT, "lint: subjectKeyIdentifier: not the SHA-1 of the "
	    "public key");
	ASN1_OCTET_STRING_free(ski);
	X509_free(x);
}

int
main(void)
{
	EVP_PKEY *rk, *dk, *lk;
	X509 *root, *devca, *dev;

	if (policy_default("acme", &pol) != 0) {
		fprintf(stderr, "%s\n", airca_errmsg());
		return 2;
	}
	t0 = time(NULL) - 3600;
	rk = keygen();
	dk = keygen();
	lk = keygen();
	root = issue("root", NULL, NULL, rk, NULL, rk, 1);
	devca = issue("device-ca", "fio-lint", NULL, dk, root, rk, 2);
	dev = issue("device", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "acme", lk,
	    devca, dk, 3);
	if (root == NULL || devca == NULL || dev == NULL)
		return 2;
	CHECK(issue_lint(devca, policy_profile(&pol, "device-ca"), root) == 0);
	CHECK(issue_lint(dev, policy_profile(&pol, "device"), devca) == 0);
	test_pathlen(root, devca);
	test_outlives(devca, dev);
	test_ski(devca, dev);
	X509_free(root);
	X509_free(devca);
	X509_free(dev);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(dk);
	EVP_PKEY_free(lk);
	policy_free(&pol);
	CHECK_DONE();
}
