/* issue.h: build a certificate from a public key, a subject and a profile; lint it; sign it with a token key; verify it. */
#ifndef AIRCA_ISSUE_H
#define AIRCA_ISSUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "csr.h"
#include "policy.h"

#define SERIAL_LEN	16

struct issue_params {
	const struct profile *prof;
	const X509_NAME *subject;	/* final subject (policy_subject()); copied */
	EVP_PKEY *pubkey;		/* subject public key */
	char *const *dns;		/* SAN dNSNames (already through policy_dns()) */
	size_t	ndns;
	const struct san_ip *ip;	/* SAN iPAddresses, URIs (user profiles that take them, */
	size_t	nip;			/* already through policy_san()) */
	char *const *uri;
	size_t	nuri;
	X509	*issuer;		/* issuer certificate; NULL: self-signed (root) */
	EVP_PKEY *sign_key;		/* issuer's private key (token) */
	EVP_PKEY *sign_pub;		/* its public half from issue_signer_pub(); NULL: derived here */
	unsigned char serial[SERIAL_LEN];	/* random bytes; issue makes them a positive 16-byte INTEGER */
	time_t	not_before;		/* usually now() */
	unsigned days;			/* 0: the profile's days */
	bool	deferred_check;		/* skip the checks after signing: see issue_check() */
};

/*
 * Build the to-be-signed certificate (v3, subject, validity clipped to the
 * issuer's notAfter (an unlimited profile: 99991231235959Z, which only a
 * leaf may have past its issuer's), extensions of the profile, SKI = SHA-1 of the key
 * bit string, AKI = issuer's SKI; digest SHA-256, SHA-384 for P-384
 * issuers), lint it (RFC 5280 and profile rules; AIRCA_ERR_LINT naming the
 * rule), sign it with sign_key, verify the signature with the issuer
 * certificate's public key (the self-signed root with its own), check
 * that the signed TBS is byte-identical to the linted one and that the
 * signer's public key equals the issuer certificate's.  On success *certp
 * is owned by the caller.
 */
int	issue_cert(const struct issue_params *ip, X509 **certp);

/*
 * issue_cert() in two steps, for signing on other threads: the
 * certificate built and linted (*tp; the issuer, issuer public key and
 * signing key of ip are borrowed until it is freed), then signed and
 * checked (issue_sign, once).  issue_cert() is the two in a row.
 */
struct issue_tbs;
int	issue_build(const struct issue_params *ip, struct issue_tbs **tp);
int	issue_sign(struct issue_tbs *t, X509 **certp);
void	issue_tbs_free(struct issue_tbs *t);

/*
 * issue_sign() split once more, for a slow token on one session: the
 * token's signature alone, of the digest of the linted TBS that
 * issue_build() took (issue_sign_digest, on the signing thread: nothing
 * but EVP_PKEY_sign), and the certificate put together from the TBS, its
 * signature algorithm and the signature (issue_assemble, elsewhere).
 * Only where issue_check() runs after (deferred_check) and the key is EC
 * (issue_sign_split); else issue_sign().
 */
bool	issue_sign_split(const struct issue_tbs *t);
int	issue_sign_digest(struct issue_tbs *t);
int	issue_assemble(struct issue_tbs *t, X509 **certp);

/*
 * The checks issue_cert() runs after signing, for a certificate made with
 * deferred_check (batch signing runs them on its writer thread, before the
 * certificate is journaled or written): its DER parses back whole, its
 * signature verifies with the issuer certificate's key (self-signed: its
 * own), and it passes the lint.  The TBS comparison stays in issue_cert().
 */
int	issue_check(X509 *cert, const struct profile *prof, X509 *issuer);

/*
 * The public half of a signing key (a token key), as a key of the default
 * provider, for issue_params.sign_pub: deriving it is a good part of the
 * cost of one certificate, so batch signing does it once.  *pubp owned by
 * the caller.
 */
int	issue_signer_pub(EVP_PKEY *sign_key, EVP_PKEY **pubp);

/* Lint an already-built certificate against a profile and issuer (NULL: self). */
int	issue_lint(X509 *cert, const struct profile *prof, X509 *issuer);

/* Hex serial (lower case, no leading zeros beyond the DER), SHA-256 fingerprint of DER. */
void	cert_serial_hex(const X509 *cert, char *out, size_t outlen);
void	cert_fingerprint(const X509 *cert, char out[65]);

/* SHA-256 of the SubjectPublicKeyInfo DER, hex: of a key, and as a certificate holds it. */
int	pubkey_spki_sha256(EVP_PKEY *pkey, char out[65]);
int	cert_spki_sha256(X509 *cert, char out[65]);

/* Subject as a one-line RFC 2253 string (malloc'd), and the CN (malloc'd or NULL). */
char	*name_oneline(const X509_NAME *name);
char	*name_cn(const X509_NAME *name);

/* PEM of a certificate, malloc'd. */
int	cert_pem(X509 *cert, char **pemp, size_t *lenp);

#endif
