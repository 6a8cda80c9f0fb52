/*
 * issue-int.h: inside issue.c (building and signing) and issue-lint.c (the
 * lint) only: what the builder and the lint share, so that a certificate
 * is checked against the very tables and choices that built it.  Nothing
 * else includes it; the interface is issue.h.
 */
#ifndef AIRCA_ISSUE_INT_H
#define AIRCA_ISSUE_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "policy.h"

#define SHA1_LEN	20

enum key_kind {
	KIND_NONE = 0,
	KIND_P256,
	KIND_P384,
	KIND_RSA,
};

/* The key usage bits in BIT STRING order (RFC 5280 4.2.1.3), as KU_* masks. */
struct ku_bit {
	unsigned mask;
	const char *name;
};
#define NKU_BITS	9
extern const struct ku_bit issue_ku_bits[NKU_BITS];

/* What kind of key this is: P-256, P-384, RSA (any size), or none we use. */
enum key_kind issue_key_kind(const EVP_PKEY *pkey, int *bitsp);

/*
 * The signature algorithm an issuer key signs with: ECDSA with SHA-256
 * (P-256) or SHA-384 (P-384), RSA PKCS#1 v1.5 with SHA-256 (2048 and up);
 * AIRCA_ERR_CRYPTO naming the key otherwise.
 */
int	issue_sig_alg(const EVP_PKEY *issuer_key, const EVP_MD **mdp,
	    int *nidp);

/* subjectKeyIdentifier method 1: SHA-1 of the subjectPublicKey BIT STRING. */
int	issue_key_id(const X509 *x, unsigned char out[SHA1_LEN]);

/*
 * The lint (issue-lint.c), with the certificate's public key given
 * (issue_lint(): its own); issuer NULL for a self-signed root.
 * AIRCA_ERR_LINT naming the field.
 */
int	issue_lint_cert(X509 *cert, EVP_PKEY *pub, const struct profile *prof,
	    X509 *issuer);

#endif
