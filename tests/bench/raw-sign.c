/*
 * raw-sign.c: the physical limit for batch signing here: device
 * certificates built and signed in memory, one process, with the same
 * token key airca batch sign uses.  Nothing is read, checked or written.
 *   raw-sign LABEL CSR N     (AIRCA_HOME, AIRCA_HSM; PIN from $TEST_PIN)
 * Prints three rates: a bare OpenSSL build + X509_sign with the request's
 * key as OpenSSL 3.0 decodes it (a provider key: what openssl x509 -req
 * does), the same with the key as airca holds it (a legacy key, encoded
 * fifty times faster), and airca's own issue_cert() (build, lint, sign,
 * verify, lint again).  With --provider: the first alone (batch.sh runs it
 * between runs of airca).  With --token: the token's own signing rate on
 * one session, nothing built.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "csr.h"
#include "error.h"
#include "issue.h"
#include "media.h"
#include "policy.h"
#include "token.h"

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What any CA tool does at the least: v3, serial, names, validity, key, 3 extensions, sign. */
static int
bare(X509 *issuer, EVP_PKEY *key, X509_NAME *subj, EVP_PKEY *pub, long n)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	unsigned char sn[16];
	BIGNUM *bn;
	long i;
	X509 *x;

	for (i = 0; i < n; i++) {
		RAND_bytes(sn, sizeof(sn));
		sn[0] &= 0x7f;
		bn = BN_bin2bn(sn, sizeof(sn), NULL);
		x = X509_new();
		X509_set_version(x, X509_VERSION_3);
		BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
		X509_set_issuer_name(x, X509_get_subject_name(issuer));
		X509_set_subject_name(x, subj);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
		X509_set_pubkey(x, pub);
		X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
		    "critical,CA:FALSE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
		    "critical,digitalSignature");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage,
		    "clientAuth");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		if (X509_sign(x, key, EVP_sha256()) <= 0)
			return 1;
		X509_free(x);
		BN_free(bn);
	}
	return 0;
}

/*
 * raw-sign --token LABEL N: the token alone, one thread, one session: N
 * signatures of a digest with the key, nothing else (what the token can
 * give one session on this machine now, the ceiling of a one-session
 * batch).
 */
static int
token_alone(const char *label, long n)
{
	struct cmd_ctx ctx;
	struct ca ca;
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *pc;
	unsigned char md[32] = { 1 }, sig[512];
	size_t siglen;
	double t0;
	long i;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.home = getenv("AIRCA_HOME");
	ctx.hsm = getenv("AIRCA_HSM");
	ctx.pin.env = "TEST_PIN";
	ctx.actor = "bench";
	if ((r = ca_open(&ca, &ctx, "bench", CA_HOME | CA_TOKEN)) != 0 ||
	    (r = token_signing_key(ca.tok, label, &key)) != 0) {
		fprintf(stderr, "raw-sign: %s: %s\n", airca_strerror(r),
		    airca_errmsg());
		return 1;
	}
	t0 = seconds();
	for (i = 0; i < n; i++) {
		siglen = sizeof(sig);
		if ((pc = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
		    EVP_PKEY_sign_init(pc) <= 0 ||
		    EVP_PKEY_sign(pc, sig, &siglen, md, sizeof(md)) <= 0) {
			fprintf(stderr, "raw-sign: the token did not sign\n");
			return 1;
		}
		EVP_PKEY_CTX_free(pc);
	}
	printf("token %.1f\n", (double)n / (seconds() - t0));
	EVP_PKEY_free(key);
	return ca_close(&ca, 0) != 0;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	struct ca ca;
	struct issue_params ip;
	const struct profile *prof;
	X509 *issuer = NULL, *cert;
	EVP_PKEY *key = NULL, *spub = NULL, *ppub = NULL;
	X509_NAME *subj = NULL;
	struct csr *c = NULL;
	unsigned char *buf, *spki = NULL;
	const unsigned char *p;
	size_t len;
	int spkilen;
	double t0, t1, t2, tp;
	long n, i;
	bool only_provider = false;
	int r;

	if (argc == 4 && strcmp(argv[1], "--token") == 0)
		return token_alone(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "--provider") == 0) {
		only_provider = true;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: raw-sign [--provider] LABEL CSR N | "
		    "--token LABEL N\n");
		return 2;
	}
	n = strtol(argv[3], NULL, 10);
	memset(&ctx, 0, sizeof(ctx));
	ctx.home = getenv("AIRCA_HOME");
	ctx.hsm = getenv("AIRCA_HSM");
	ctx.pin.env = "TEST_PIN";
	ctx.actor = "bench";
	if ((r = ca_open(&ca, &ctx, "bench", CA_HOME | CA_TOKEN)) != 0 ||
	    (r = ca_find_ca(&ca, argv[1], NULL, &issuer)) != 0 ||
	    (r = token_signing_key(ca.tok, argv[1], &key)) != 0 ||
	    (r = media_read(argv[2], MEDIA_MAX_CSR, &buf, &len)) != 0 ||
	    (r = csr_parse(buf, len, &c)) != 0 ||
	    (prof = policy_profile(&ca.pol, "device")) == NULL ||
	    (r = policy_subject(prof, X509_REQ_get_subject_name(c->req),
	    X509_get_subject_name(issuer), &subj)) != 0 ||
	    (r = issue_signer_pub(key, &spub)) != 0) {
		fprintf(stderr, "raw-sign: %s: %s\n", airca_strerror(r),
		    airca_errmsg());
		return 1;
	}
	/* the request's key as d2i_X509_REQ() decodes it: a provider key */
	if ((spkilen = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(c->req),
	    &spki)) <= 0 || (p = spki, ppub = d2i_PUBKEY(NULL, &p, spkilen)) ==
	    NULL || EVP_PKEY_get0_provider(ppub) == NULL) {
		fprintf(stderr, "raw-sign: cannot decode the request's key\n");
		return 1;
	}
	tp = seconds();
	if (bare(issuer, key, subj, ppub, n) != 0)
		return 1;
	t0 = seconds();
	if (only_provider) {
		printf("provider %.0f\n", (double)n / (t0 - tp));
		n = 0;
	}
	if (bare(issuer, key, subj, c->pub, n) != 0)
		return 1;
	t1 = seconds();
	memset(&ip, 0, sizeof(ip));
	ip.prof = prof;
	ip.subject = subj;
	ip.pubkey = c->pub;
	ip.issuer = issuer;
	ip.sign_key = key;
	ip.sign_pub = spub;
	for (i = 0; i < n; i++) {
		RAND_bytes(ip.serial, sizeof(ip.serial));
		ip.not_before = time(NULL);
		if ((r = issue_cert(&ip, &cert)) != 0) {
			fprintf(stderr, "raw-sign: %s\n", airca_errmsg());
			return 1;
		}
		X509_free(cert);
	}
	t2 = seconds();
	if (!only_provider)
		printf("provider %.0f\nbare %.0f\nissue %.0f\n", (double)n / (t0 - tp),
	    (double)n / (t1 - t0),
	    (double)n / (t2 - t1));
	csr_free(c);
	X509_NAME_free(subj);
	X509_free(issuer);
	EVP_PKEY_free(key);
	EVP_PKEY_free(spub);
	EVP_PKEY_free(ppub);
	OPENSSL_free(spki);
	free(buf);
	return ca_close(&ca, 0) != 0;
}
