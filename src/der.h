/*
 * der.h: certificates and requests decoded from DER without the public
 * key, and EC/RSA public keys decoded by their legacy methods.
 *
 * OpenSSL 3.0 decodes the key inside every d2i_X509() and d2i_X509_REQ()
 * through its provider decoders, and sets up a decoder context for each
 * one: some 1.2 million instructions (~80 us) for a P-256 key, more than
 * the ECDSA verification of the same object.  Batch signing parses one
 * request and one certificate per device, so it parses through here.
 */
#ifndef AIRCA_DER_H
#define AIRCA_DER_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * As d2i_X509() and d2i_X509_REQ() (advance *pp; NULL if the DER does not
 * decode), except that the public key is left undecoded:
 * X509_get0_pubkey() and X509_REQ_get0_pubkey() of the result are NULL
 * (or, if OpenSSL cannot set up the context this needs, the key as d2i
 * gives it); der_pubkey() gives the key.  Everything else (names, extensions, signature, re-encoding,
 * X509_verify() with a given key) is as d2i gives it.  The caller owns the
 * result.
 */
X509	*der_x509(const unsigned char **pp, long len);
X509_REQ *der_x509_req(const unsigned char **pp, long len);

/*
 * The key of a SubjectPublicKeyInfo.  EC on the named curve P-256 or
 * P-384 (the point checked on the curve) and rsaEncryption keys are
 * decoded by their legacy methods, into a legacy EVP_PKEY (*legacyp
 * true); any other key through OpenSSL's decoders (*legacyp false), so
 * that the caller can name or judge it.  Returns 0 and sets *pkeyp (owned
 * by the caller), or AIRCA_ERR_INPUT when the key does not decode.
 */
int	der_pubkey(const X509_PUBKEY *spki, EVP_PKEY **pkeyp, bool *legacyp);

/*
 * The signature of a signed object's DER (a certificate or a request:
 * SEQUENCE { data, AlgorithmIdentifier, BIT STRING }) over the data's
 * bytes as they are, checked with pub: 1 if it verifies, 0 if not.
 * Handles ECDSA with SHA-256, SHA-384 or SHA-512 (no parameters) and an
 * EC key, with ECDSA_verify() on the key itself: X509_verify() and
 * X509_REQ_verify() set up a digest-verify context for each call, and
 * export a legacy key to the provider first (its group built again): a
 * quarter of a verification's cost.  Anything else, or a DER shape it does
 * not expect, gives DER_VERIFY_OTHER, for OpenSSL's generic verification
 * (which then names what is wrong).  It checks nothing but the signature:
 * that the certificate's inner signature algorithm matches the outer one,
 * or that the algorithm fits the profile, is the caller's.
 */
#define DER_VERIFY_OTHER	(-1)

/*
 * The three parts of a signed object's DER (a certificate, a request):
 * SEQUENCE { SEQUENCE data, AlgorithmIdentifier, BIT STRING } and nothing
 * after it; each span (tag and length included, bits: the BIT STRING's
 * content, its unused-bits byte first) points into der.  False unless
 * exactly that shape, with definite lengths.
 */
struct der_signed {
	const unsigned char *tbs, *alg, *bits;
	size_t	tbslen, alglen, bitslen;
};
bool	der_signed_parts(const unsigned char *der, size_t len,
	    struct der_signed *ds);
int	der_signed_verify(const unsigned char *der, size_t len,
	    const EVP_PKEY *pub);

#endif
