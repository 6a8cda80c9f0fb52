/* csr.h: certificate requests from outside: parse, verify the self-signature, extract subject, SANs, key. */
#ifndef AIRCA_CSR_H
#define AIRCA_CSR_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "util.h"

#define CSR_MAX_DNS	32	/* SAN DNS names read from one request */
#define CSR_MAX_NAME	253	/* one DNS name */
#define CSR_MAX_IP	8	/* SAN IP addresses read from one request */
#define CSR_MAX_URI	8	/* SAN URIs read from one request */
#define CSR_MAX_URI_LEN	255	/* one URI */

/* An IP address of a subjectAltName: 4 (IPv4) or 16 (IPv6) bytes. */
struct san_ip {
	unsigned char addr[16];
	size_t	len;
};

enum csr_key {
	CSR_KEY_EC_P256 = 0,
	CSR_KEY_EC_P384,
	CSR_KEY_RSA,
};

struct csr {
	X509_REQ *req;			/* owned; parsed with der_x509_req(): its own
					   X509_REQ_get0_pubkey() is NULL, use pub */
	EVP_PKEY *pub;			/* the request's key, checked; owned (pub_owned) */
	EVP_PKEY *pub_owned;
	enum csr_key key;
	int	key_bits;		/* 256, 384, or the RSA modulus size */
	unsigned char spki_sha256[SHA256_LEN];	/* SHA-256 of the SubjectPublicKeyInfo DER */
	unsigned char file_sha256[SHA256_LEN];	/* SHA-256 of the input bytes */
	char	**dns;			/* SAN dNSName values, owned; ndns entries */
	size_t	ndns;
	struct san_ip ip[CSR_MAX_IP];	/* SAN iPAddress values; nip entries */
	size_t	nip;
	char	**uri;			/* SAN URI values (printable ASCII), owned; nuri entries */
	size_t	nuri;
	bool	bad_ip, bad_uri;	/* an IP address or URI that could not be read */
	bool	has_other_san;		/* SAN entries that are not dNSName (copied only by
					   user profiles that take IP addresses or URIs) */
	int	nexts;			/* extensions requested (never copied except SAN DNS) */
	bool	asks_ca;		/* requested basicConstraints CA:TRUE (ignored, reported) */
};

/*
 * Parse one request from data: exactly one PEM "CERTIFICATE REQUEST" (or
 * "NEW CERTIFICATE REQUEST") block with nothing but whitespace around it,
 * or DER that uses every byte.  Refuses (AIRCA_ERR_INPUT, with a specific
 * reason in the detail) empty input, garbage, truncated data, several
 * requests, a certificate or key instead of a request, an encoding that is
 * not DER ("the request is not DER: ...": BER lengths or constructed
 * strings at any level, a BOOLEAN not 0x00/0xff, a DEFAULT critical FALSE
 * written out, a request or a decoded extension that re-encodes
 * differently), a self-signature other than ECDSA or RSA PKCS#1 v1.5 with
 * SHA-256/384/512 (MD5, SHA-1, RSASSA-PSS named), a self-signature that
 * does not verify, an unsupported key (EC curves other than P-256/P-384,
 * RSA under 2048 bits or over 8192, anything else), SAN DNS names that are not
 * printable IA5 or longer than CSR_MAX_NAME, more than CSR_MAX_DNS names.
 * Subject attributes are NOT judged here (that is policy's job).
 * On success *csrp is owned by the caller (csr_free).
 */
int	csr_parse(const unsigned char *data, size_t len, struct csr **csrp);

void	csr_free(struct csr *c);

/* "EC P-256", "RSA 3072" ... for messages. */
const char *csr_key_name(const struct csr *c, char *buf, size_t len);

#endif
