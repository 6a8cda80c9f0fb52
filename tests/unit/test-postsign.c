/*
 * test-postsign.c: the checks issue_cert() and issue_check() run after the
 * token signed, against a signer that misbehaves.  The token is not the
 * subject here, the checks are: X509_sign() is interposed (this binary's
 * definition wins over libcrypto's for the calls of issue.c) and, when
 * told, hands back a certificate whose signature is corrupted or whose
 * to-be-signed bytes differ from those linted at the same length, as a
 * faulty or hostile token (or a bug in the signing layer) would.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "check.h"
#include "error.h"
#include "issue.h"
#include "policy.h"

static enum {
	SIGN_PASS,		/* the real X509_sign() */
	SIGN_CORRUPT,		/* one bit of the signature value flipped */
	SIGN_OTHER_TBS,		/* the serial changed after signing: same length */
	SIGN_OTHER_ALG,		/* EC: signed with SHA-512, the TBS naming another */
} sign_mode;
static int sign_calls;

/*
 * A signature that verifies, but under another algorithm than the TBS
 * names: the TBS (ecdsa-with-SHA256 or -SHA384 inside) signed with
 * SHA-512 and the outer signatureAlgorithm set to ecdsa-with-SHA512.  Only
 * the check that the two algorithms match refuses it (RFC 5280 4.1.1.2).
 */
static void
other_alg(X509 *x, EVP_PKEY *pkey)
{
	const ASN1_BIT_STRING *csig;
	const X509_ALGOR *calg;
	unsigned char *tbs = NULL, sig[256];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *mc;
	int tlen;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return;
	if ((tlen = i2d_re_X509_tbs(x, &tbs)) <= 0 ||
	    (mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mc, NULL, EVP_sha512(), NULL, pkey) != 1 ||
	    EVP_DigestSign(mc, sig, &siglen, tbs, (size_t)tlen) != 1)
		abort();
	EVP_MD_CTX_free(mc);
	OPENSSL_free(tbs);
	X509_get0_signature(&csig, &calg, x);
	if (ASN1_BIT_STRING_set((ASN1_BIT_STRING *)csig, sig, (int)siglen) != 1 ||
	    X509_ALGOR_set0((X509_ALGOR *)calg, OBJ_nid2obj(
	    NID_ecdsa_with_SHA512), V_ASN1_UNDEF, NULL) != 1)
		abort();
	((ASN1_BIT_STRING *)csig)->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
}

int
X509_sign(X509 *x, EVP_PKEY *pkey, const EVP_MD *md)
{
	static int (*real)(X509 *, EVP_PKEY *, const EVP_MD *);
	const ASN1_BIT_STRING *csig;
	ASN1_BIT_STRING *sig;
	ASN1_INTEGER *sn;
	unsigned char *der = NULL;
	int r;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "X509_sign");
	sign_calls++;
	if ((r = real(x, pkey, md)) <= 0)
		return r;
	switch (sign_mode) {
	case SIGN_PASS:
		break;
	case SIGN_CORRUPT:
		X509_get0_signature(&csig, NULL, x);
		sig = (ASN1_BIT_STRING *)csig;
		sig->data[sig->length - 1] ^= 0x01;
		break;
	case SIGN_OTHER_ALG:
		other_alg(x, pkey);
		break;
	case SIGN_OTHER_TBS:
		sn = X509_get_serialNumber(x);
		sn->data[sn->length - 1] ^= 0x01;
		/* drop the cached encoding: the TBS is encoded anew */
		if (i2d_re_X509_tbs(x, &der) <= 0)
			abort();
		OPENSSL_free(der);
		break;
	}
	return r;
}

static struct policy pol;
static time_t t0;

static EVP_PKEY *
keygen(const char *type)
{
	EVP_PKEY *k;

	if (strcmp(type, "RSA-3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
	if (k == NULL) {
		fprintf(stderr, "keygen %s failed\n", type);
		exit(2);
	}
	return k;
}

/* Issue under profile pname (subject through the policy); r gets the result. */
static X509 *
issue(const char *pname, const char *cn, EVP_PKEY *pub, X509 *issuer,
    EVP_PKEY *sign_key, EVP_PKEY *sign_pub, bool deferred, int *rp)
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
	if (strcmp(pname, "device") == 0)
		X509_NAME_add_entry_by_txt(req, "OU", MBSTRING_UTF8,
		    (const unsigned char *)"acme", -1, -1, 0);
	if ((r = policy_subject(ip.prof, req, issuer != NULL ?
	    X509_get_subject_name(issuer) : NULL, &subject)) != 0)
		goto out;
	ip.subject = subject;
	ip.pubkey = pub;
	ip.issuer = issuer;
	ip.sign_key = sign_key;
	ip.sign_pub = sign_pub;
	ip.not_before = t0;
	ip.deferred_check = deferred;
	memset(ip.serial, 0x35, sizeof(ip.serial));
	r = issue_cert(&ip, &cert);
 out:
	X509_NAME_free(req);
	X509_NAME_free(subject);
	if (r != 0)
		fprintf(stderr, "issue %s: %s\n", pname, airca_errmsg());
	*rp = r;
	return cert;
}

/* A signer that misbehaves: nothing leaves issue_cert(), each check names why. */
static void
test_signer(const char *type)
{
	EVP_PKEY *rk = keygen(type), *dk = keygen(type), *leaf = keygen("P-256"),
	    *other = keygen(type), *dpub = NULL;
	X509 *root, *dca, *x;
	int r;

	sign_mode = SIGN_PASS;
	root = issue("root", NULL, rk, NULL, rk, NULL, false, &r);
	CHECK(root != NULL && r == 0);
	dca = issue("device-ca", "fio-u1", dk, root, rk, NULL, false, &r);
	CHECK(dca != NULL && r == 0);
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, dk, NULL, false, &r);
	CHECK(x != NULL && r == 0);	/* the harness itself is sound */
	X509_free(x);

	/* a corrupted signature: "does not verify", no certificate */
	sign_mode = SIGN_CORRUPT;
	sign_calls = 0;
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, dk, NULL, false, &r);
	CHECK(sign_calls == 1);
	CHECK(x == NULL);
	CHECK(r == AIRCA_ERR_CRYPTO && strstr(airca_errmsg(),
	    "does not verify with the issuer's public key") != NULL);
	X509_free(x);
	/* ... the root's own signature too */
	x = issue("root", NULL, rk, NULL, rk, NULL, false, &r);
	CHECK(x == NULL && r == AIRCA_ERR_CRYPTO);
	CHECK(strstr(airca_errmsg(), "does not verify") != NULL);
	X509_free(x);
	/* ... deferred (batch): issue_check() refuses it before any use */
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, dk, NULL, true, &r);
	CHECK(x != NULL && r == 0);
	if (x != NULL)
		CHECK_ERR(issue_check(x, policy_profile(&pol, "device"), dca),
		    AIRCA_ERR_CRYPTO, "does not verify with the issuer's "
		    "public key");
	X509_free(x);

	/* the token signs with another key than the one it reported */
	sign_mode = SIGN_PASS;
	CHECK(issue_signer_pub(dk, &dpub) == 0);
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, other, dpub, false, &r);
	CHECK(x == NULL);
	CHECK(r == AIRCA_ERR_CRYPTO && strstr(airca_errmsg(),
	    "does not verify with the issuer's public key") != NULL);
	X509_free(x);
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, other, dpub, true, &r);
	CHECK(x != NULL && r == 0);
	if (x != NULL)
		CHECK_ERR(issue_check(x, policy_profile(&pol, "device"), dca),
		    AIRCA_ERR_CRYPTO, "does not verify");
	X509_free(x);

	/* the signature verifies, under another algorithm than the TBS names */
	if (EVP_PKEY_get_base_id(dk) == EVP_PKEY_EC) {
		sign_mode = SIGN_OTHER_ALG;
		x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
		    dca, dk, NULL, false, &r);
		CHECK(x == NULL);
		CHECK(r == AIRCA_ERR_CRYPTO && strstr(airca_errmsg(),
		    "does not verify with the issuer's public key") != NULL);
		X509_free(x);
		x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
		    dca, dk, NULL, true, &r);
		CHECK(x != NULL && r == 0);
		if (x != NULL)
			CHECK_ERR(issue_check(x, policy_profile(&pol, "device"),
			    dca), AIRCA_ERR_CRYPTO, "does not verify with the "
			    "issuer's public key");
		X509_free(x);
		sign_mode = SIGN_PASS;
	}

	/* what was signed is not what was linted (same length) */
	sign_mode = SIGN_OTHER_TBS;
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, dk, NULL, false, &r);
	CHECK(x == NULL);
	CHECK(r == AIRCA_ERR_CRYPTO && strstr(airca_errmsg(),
	    "its TBS differs") != NULL);
	X509_free(x);
	/* the TBS comparison stays in issue_cert(), deferred or not */
	x = issue("device", "0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", leaf,
	    dca, dk, NULL, true, &r);
	CHECK(x == NULL && r == AIRCA_ERR_CRYPTO);
	CHECK(strstr(airca_errmsg(), "its TBS differs") != NULL);
	X509_free(x);
	sign_mode = SIGN_PASS;

	EVP_PKEY_free(rk);
	EVP_PKEY_free(dk);
	EVP_PKEY_free(leaf);
	EVP_PKEY_free(other);
	EVP_PKEY_free(dpub);
	X509_free(root);
	X509_free(dca);
}

int
main(void)
{
	if (policy_default("acme", &pol) != 0) {
		fprintf(stderr, "%s\n", airca_errmsg());
		return 2;
	}
	t0 = time(NULL) - 3600;
	test_signer("P-256");
	test_signer("P-384");
	test_signer("RSA-3072");
	policy_free(&pol);
	CHECK_DONE();
}
