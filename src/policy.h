/* policy.h: certificate profiles and subject rules; the policy file may tighten, never loosen, the defaults. */
#ifndef AIRCA_POLICY_H
#define AIRCA_POLICY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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
	PROFILE_COUNT,
	PROFILE_USER = 100,	/* a [profile NAME] of the file, of a kind below */
};

/*
 * The kinds of a user-defined profile.  Each is a vetted, fixed set of
 * basicConstraints, keyUsage, extendedKeyUsage and the SAN types it may
 * take (policy_kind()); a policy file names a kind and cannot set any of
 * these itself.  KIND_BUILTIN: one of the seven profiles above.
 */
enum profile_kind {
	KIND_BUILTIN = 0,
	KIND_SERVER,
	KIND_CLIENT,
	KIND_SERVER_CLIENT,
	KIND_INTERMEDIATE_CA,
	KIND_DEVICE_IDENTITY,
	KIND_COUNT
};

enum rule_presence {
	RULE_DROP = 0,		/* attribute not named: dropped from the output */
	RULE_OPTIONAL,		/* copied if present */
	RULE_SUPPLIED,		/* must be present; copied */
};

#define RULE_VALUE_MAX		256
#define RULE_DEFAULT_MAX	64
#define PROFILE_MAX_RULES	8
#define PROFILE_NAME_MAX	15	/* bytes of a profile name (the registry's bound) */
#define POLICY_MAX_USER		16	/* user-defined profiles in one policy */
#define MAP_COLUMN_MAX		32	/* bytes of a manifest column name */
#define UNLIMITED_NOT_AFTER	((time_t)253402300799LL)	/* 9999-12-31T23:59:59Z */

struct subject_rule {
	int	nid;				/* NID_commonName, NID_organizationalUnitName, ... */
	enum rule_presence presence;
	bool	fixed;				/* fixed=V: output V; a CSR value must equal V */
	bool	match;				/* match: equal to the issuer's value */
	bool	has_pattern;			/* pattern=REGEX (POSIX ERE, anchored) */
	char	value[RULE_VALUE_MAX];		/* the fixed value or the pattern source */
	regex_t	re;				/* compiled pattern */
	size_t	max;				/* max=N bytes (default RULE_DEFAULT_MAX) */
	bool	has_default;			/* default=V (user profiles): used when absent */
	char	def[129];
	char	map[MAP_COLUMN_MAX + 1];	/* map=COLUMN (user profiles): "" for none */
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

/* SAN types of a user profile, for san_dns, san_ip, san_uri */
#define SAN_T_DNS	0x01
#define SAN_T_IP	0x02
#define SAN_T_URI	0x04

/* What a kind fixes: the lint holds a user profile to exactly this. */
struct kind_def {
	const char *name;		/* "server", "client", ... */
	bool	ca;
	int	pathlen;
	unsigned key_usage;		/* KU_* bits */
	unsigned eku;			/* EKU_* bits */
	unsigned san_types;		/* SAN_T_* the kind may take */
};

struct profile {
	enum profile_id id;		/* PROFILE_USER for a user-defined profile */
	char	name[PROFILE_NAME_MAX + 1];	/* "root", "tls", ..., or the user profile's */
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
	/* user-defined profiles only */
	enum profile_kind kind;		/* KIND_BUILTIN for the seven */
	char	issuer_label[65];	/* "root" or the token label of the issuing CA */
	bool	unlimited;		/* days = unlimited: notAfter 99991231235959Z; days is 0 */
	enum rule_presence san_rule[3];	/* DNS, IP, URI: RULE_DROP (not taken), optional, supplied */
	bool	keygen;			/* keygen = allowed: airca keygen may make its keys */
};

struct policy {
	int	version;		/* 1 */
	char	factory[65];		/* the factory name: OU everywhere */
	enum key_type ca_key;		/* key type for CA keys generated on the token */
	bool	allow_renewal;		/* a device CN already issued may be issued again */
	unsigned crl_next_update_minutes;	/* default 15 (what the factory API expects) */
	struct profile profiles[PROFILE_COUNT];
	struct profile user[POLICY_MAX_USER];	/* [profile NAME] sections of other names */
	size_t	nuser;
};

/* The definition of kind (KIND_SERVER .. KIND_DEVICE_IDENTITY), or NULL. */
const struct kind_def *policy_kind(enum profile_kind kind);

/*
 * Does a user-defined profile carry exactly its kind's basicConstraints,
 * keyUsage and extendedKeyUsage, and only SAN types the kind takes?  A
 * built-in profile is always true.
 */
bool	policy_kind_ok(const struct profile *prof);

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

/* The profile named name (built-in or user-defined), or NULL. */
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
 * A device's row of a manifest, for map=COLUMN rules: n column names and
 * their values (borrowed).  An empty value is an absent one.
 */
struct policy_row {
	const char *const *cols;
	const char *const *vals;
	size_t	n;
};

/*
 * policy_subject() with the row (NULL: none) that map=COLUMN rules take
 * their values from.  A user profile's fixed and match rules put their
 * value in the subject, default=V fills an absent optional attribute, and
 * map=COLUMN takes the row's value (a requested value must equal it).  A
 * profile with a map rule and no row is refused with the reason.
 */
int	policy_subject_row(const struct profile *prof, const X509_NAME *req,
	    const X509_NAME *issuer, const struct policy_row *row,
	    X509_NAME **outp);

/* Does the profile take a value from a manifest column (a map= rule)? */
bool	policy_maps(const struct profile *prof);

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

struct san_ip;		/* csr.h */

/*
 * The SAN rules of a user-defined profile (san_dns, san_ip, san_uri): each
 * type the profile takes is checked (DNS names as policy_dns(), no
 * wildcard; IP addresses 4 or 16 bytes; URIs printable ASCII with a
 * scheme, at most 255 bytes), none given twice, and a required type
 * present.  Types the profile does not take are not copied and not
 * judged.  bad_ip / bad_uri: the request held an IP address or URI that
 * could not be read (the reason names it when the profile takes the type).
 * AIRCA_ERR_POLICY with the reason; a built-in profile goes to policy_dns().
 */
int	policy_san(const struct profile *prof, char *const *dns, size_t ndns,
	    const struct san_ip *ip, size_t nip, char *const *uri, size_t nuri,
	    bool bad_ip, bool bad_uri);

/* "192.0.2.1" or "2001:db8::1" for messages; buf of 46 bytes. */
void	san_ip_str(const struct san_ip *ip, char *buf, size_t len);

/* A manifest column name (map=COLUMN, a manifest header): 1..MAP_COLUMN_MAX of [A-Za-z0-9_.-]. */
bool	policy_column_ok(const char *s);

#endif
