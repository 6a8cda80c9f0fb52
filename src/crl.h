/*
 * crl.h: revocation lists of a CA (the root, or a local device CA): built
 * from entries, signed by the CA's token key, verified, numbered.
 *
 * CRL numbers grow per CA key and never repeat.  The last number is kept
 * twice: in the registry (the crl-number of the CA's certificate, set by the
 * journal's "crl-issued" events, so 'registry rebuild' restores it) and in
 * HOME/crl/SERIAL.number (replaced atomically after each CRL).  The next
 * number is one above the larger of the two, taken over every certificate
 * of the same key (a renewed device CA keeps counting), so losing the state
 * file, or the registry, cannot make a number go backwards.
 */
#ifndef AIRCA_CRL_H
#define AIRCA_CRL_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "registry.h"

#define CRL_DIR		"crl"

/* RFC 5280 CRLReason values airca uses. */
#define CRL_REASON_UNSPECIFIED		0
#define CRL_REASON_KEY_COMPROMISE	1
#define CRL_REASON_CA_COMPROMISE	2
#define CRL_REASON_AFFILIATION_CHANGED	3
#define CRL_REASON_SUPERSEDED		4
#define CRL_REASON_CESSATION		5
#define CRL_REASON_HOLD			6
#define CRL_REASON_REMOVE		8
#define CRL_REASON_PRIVILEGE_WITHDRAWN	9

/* One revoked certificate. */
struct crl_entry {
	char	serial[SERIAL_HEX_MAX];	/* hex, as in the registry */
	time_t	when;			/* revocationDate */
	int	reason;			/* CRLReason; 0 (unspecified) is left out of the entry */
};

/* "keyCompromise", ...; NULL for a value airca does not use. */
const char *crl_reason_name(int reason);
/* Parse an RFC 5280 reason name; returns 0 or AIRCA_ERR_USAGE naming the choices. */
int	crl_reason_parse(const char *name, int *reasonp);

/*
 * Parse a serial as typed by an officer (hex, either case, ':' between
 * bytes allowed as openssl prints them) into the registry's form (lower
 * case, the DER content bytes).  AIRCA_ERR_USAGE naming the string if it is
 * not hex or longer than 20 bytes.
 */
int	crl_serial_parse(const char *in, char out[SERIAL_HEX_MAX]);

struct crl_params {
	X509	*issuer;		/* the CA certificate: issuer name, AKI, verification */
	EVP_PKEY *sign_key;		/* its private key (token) */
	unsigned long long number;	/* cRLNumber, > 0 */
	time_t	this_update;
	unsigned next_minutes;		/* nextUpdate = thisUpdate + this */
	const struct crl_entry *entries;
	size_t	n;
};

/*
 * Build a v2 CRL (issuer = the CA's subject, thisUpdate, nextUpdate,
 * cRLNumber, AKI = the CA's SKI; each entry with its revocationDate and
 * reasonCode), sign it with SHA-256 (SHA-384 for a P-384 CA), parse the DER
 * back and verify it with the CA certificate's public key.  The signing key
 * must be the certificate's.  *crlp owned by the caller.
 */
int	crl_sign(const struct crl_params *p, X509_CRL **crlp);

/* PEM and DER of a CRL, malloc'd / OPENSSL_malloc'd respectively. */
int	crl_pem(X509_CRL *crl, char **pemp, size_t *lenp);

/*
 * The last CRL number of the CA whose registry entry is ca (0: none yet):
 * the larger of HOME/crl/SERIAL.number and the registry's crl-number over
 * every certificate with the same key label (or serial, unlabelled).  A
 * state file that does not parse is an error (AIRCA_ERR_STATE) naming it.
 */
int	crl_last_number(const char *home, struct registry *reg,
	    const struct reg_entry *ca, unsigned long long *lastp);

/*
 * Issue the next CRL of a CA: number = last + 1, crl_sign(), journal
 * "crl-issued" {ca, label, number, entries (count), this-update,
 * next-update, sha256 (of the DER), purpose}, apply it to the registry and
 * replace HOME/crl/SERIAL.number.  nextUpdate follows the policy
 * (crl_next_update_minutes).  On success *pemp (malloc'd) holds the PEM
 * and *nump the number.
 */
struct ca;
int	crl_issue(struct ca *ca, const struct reg_entry *cae, X509 *cacert,
	    EVP_PKEY *key, const struct crl_entry *entries, size_t n,
	    const char *purpose, char **pemp, size_t *lenp,
	    unsigned long long *nump);

#endif
