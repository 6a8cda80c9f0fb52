/* policy.h: certificate profiles and subject rules; the policy file may tighten, never loosen, the defaults. */
#ifndef AIRCA_POLICY_H
#define AIRCA_POLICY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "hsm.h"

enum profile_id {
	PROFILE_ROOT = 0,
	PROFILE_TLS,
	PROFILE_EST_TLS,
	PROFILE_ONLINE_CA,
	PROFILE_DEVICE_CA,
	PROFILE_DEVICE,
	PROFILE_AUDIT,
	PROFILE_COUNT
};

enum rule_presence {
	RULE_DROP = 0,		/* attribute not named: dropped from the output */
	RULE_OPTIONAL,		/* copied if present */
	RULE_SUPPLIED,		/* must be present; copied */
};

#define RULE_VALUE_MAX		256
#define RULE_DEFAULT_MAX	64
#define PROFILE_MAX_RULES	8

struct subject_rule {
	int	nid;				/* NID_commonName, NID_organizationalUnitName, ... */
	enum rule_presence presence;
	bool	fixed;				/* fixed=V: output V; a CSR value must equal V */
	bool	match;				/* match: equal to the issuer's value */
	bool	has_pattern;			/* pattern=REGEX (POSIX ERE, anchored) */
	char	value[RULE_VALUE_MAX];		/* the fixed value or the pattern source */
	regex_t	re;				/* compiled pattern */
	size_t	max;				/* max=N bytes (default RULE_DEFAULT_MAX) */
};

enum san_mode {
	SAN_NONE = 0,		/* no SAN; requested SANs ignored */
	SAN_DNS_SOME,		/* DNS names from the CSR, at least one */
	SAN_DNS_ONE,		/* exactly one DNS name from the CSR */
};

/* extendedKeyUsage bits */
#define EKU_SERVER	0x01
#define EKU_CLIENT	0x02
/*
 * id-kp-documentSigning (RFC 9336, 1.3.6.1.5.5.7.3.36): the audit
 * certificate's alone.  The journal verifiers accept checkpoint signatures
 * only from a certificate that carries it, and no policy file can give it
 * to another profile (the lint refuses it anywhere else).
 */
#define EKU_DOCSIGN	0x04
#define EKU_DOCSIGN_OID	"1.3.6.1.5.5.7.3.36"

struct profile {
	enum profile_id id;
	const char *name;		/* "root", "tls", "est-tls", "online-ca", "device-ca", "device", "audit" */
	enum profile_id issuer;		/* PROFILE_ROOT for self-signed root; PROFILE_DEVICE_CA for device */
	struct subject_rule rules[PROFILE_MAX_RULES];	/* in output order (CN before OU) */
	size_t	nrules;
	bool	ca;			/* basicConstraints CA:TRUE (always critical) */
	int	pathlen;		/* -1: none */
	unsigned key_usage;		/* KU_* bits of <openssl/x509v3.h>, always critical */
	unsigned eku;			/* EKU_* bits; 0: no extension */
	enum san_mode san;
	unsigned days;			/* validity, never past the issuer's notAfter */
	unsigned min_rsa_bits;		/* smallest RSA key accepted in a CSR (2048) */
	bool	allow_p384;		/* EC P-384 accepted in a CSR */
	bool	allow_rsa;		/* RSA accepted in a CSR */
};

struct policy {
	int	version;		/* 1 */
	char	factory[65];		/* the factory name: OU everywhere */
	enum key_type ca_key;		/* key type for CA keys generated on the token */
	bool	allow_renewal;		/* a device CN already issued may be issued again */
	unsigned crl_next_update_minutes;	/* default 15 (what the factory API expects) */
	struct profile profiles[PROFILE_COUNT];
};

/*
 * Is f usable as the factory name, the OU of every certificate and a value
 * in the policy file: 1..64 printable bytes, no '/', ',' or leading '.', no
 * leading or trailing space.
 */
bool	policy_factory_ok(const char *f);

/*
 * The default policy of DESIGN.md's profile table for factory name, which
 * must pass name_safe() and be 1..64 bytes.
 */
int	policy_default(const char *factory, struct policy *pol);

/*
 * Read a policy file (INI): start from the defaults for its factory, then
 * apply the file's settings, each of which may only tighten (shorter days,
 * stricter presence, shorter max, a pattern, a larger min RSA size).  An
 * attempt to loosen, an unknown section or key, or a bad regex is an error
 * naming the line.  Owns compiled regexes: call policy_free().
 */
int	policy_load(const char *path, struct policy *pol);

/* Write the policy as the INI text policy_load() reads; *textp malloc'd. */
int	policy_format(const struct policy *pol, char **textp);

void	policy_free(struct policy *pol);

/* The profile named name, or NULL. */
const struct profile *policy_profile(const struct policy *pol, const char *name);

/*
 * Apply the profile's subject rules to a requested subject (NULL for none)
 * and the issuer's subject (NULL when self-signed): returns in *outp a new
 * X509_NAME with only the ruled attributes, in rule order, all UTF8String.
 * Refuses (AIRCA_ERR_POLICY) with a reason naming the attribute and the
 * rule: missing supplied attribute, value not equal to fixed/issuer's,
 * pattern mismatch, longer than max, empty, control characters or NULs,
 * invalid UTF-8, an attribute given twice.
 */
int	policy_subject(const struct profile *prof, const X509_NAME *req,
	    const X509_NAME *issuer, X509_NAME **outp);

/*
 * The attributes of the requested subject req that the profile's rules
 * drop (an attribute no rule names): their short names, comma-separated,
 * in buf (truncated to len; "" for none).  Returns how many; never fails.
 * Callers journal the list and warn: nothing is dropped silently.
 */
int	policy_dropped(const struct profile *prof, const X509_NAME *req,
	    char *buf, size_t len);

/*
 * The SAN DNS names the profile takes from names (n of them): checks the
 * count against san mode (AIRCA_ERR_POLICY with reason otherwise) and that
 * each is a valid host name (letters, digits, '-', '.', optional leading
 * "*." label).
 */
int	policy_dns(const struct profile *prof, char *const *names, size_t n);

#endif
