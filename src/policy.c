/*
 * policy.c: the built-in certificate profiles (docs/profiles.md), the policy
 * file that may only tighten them, subject and SAN rules.  Over 1,000 lines
 * on purpose: the built-ins, the parser and the tighten-only comparison live
 * together so that every rule the file may set is checked against the
 * built-in it tightens in one place.
 */
#include <sys/stat.h>

#include <errno.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "error.h"
#include "media.h"
#include "policy.h"
#include "util.h"

#define POLICY_MAX_FILE		(256 * 1024)	/* as media.h's MEDIA_MAX_CONF */
#define POLICY_MAX_LINE		1024		/* bytes on one line, newline included */
#define DNS_MAX_NAME		253
#define DNS_MAX_LABEL		63
#define ERRLEN			512

static const char *const profile_names[PROFILE_COUNT] = {
	[PROFILE_ROOT] = "root",
	[PROFILE_TLS] = "tls",
	[PROFILE_EST_TLS] = "est-tls",
	[PROFILE_ONLINE_CA] = "online-ca",
	[PROFILE_DEVICE_CA] = "device-ca",
	[PROFILE_DEVICE] = "device",
	[PROFILE_AUDIT] = "audit",
};

/*
 * Subject attributes a rule may name, with the upper bounds of RFC 5280
 * Appendix A.  countryName and serialNumber are PrintableString in X.520
 * and RFC 5280; every other attribute is written as UTF8String.
 */
static const struct attr {
	const char *key;
	int	nid;
	size_t	ub;
	bool	printable;
} attrs[] = {
	{ "CN",			NID_commonName,			64,	false },
	{ "OU",			NID_organizationalUnitName,	64,	false },
	{ "O",			NID_organizationName,		64,	false },
	{ "C",			NID_countryName,		2,	true },
	{ "L",			NID_localityName,		128,	false },
	{ "ST",			NID_stateOrProvinceName,	128,	false },
	{ "serialNumber",	NID_serialNumber,		64,	true },
	/* lmp-device-register --production: businessCategory=production */
	{ "businessCategory",	NID_businessCategory,		128,	false },
};
#define NATTRS	(sizeof(attrs) / sizeof(attrs[0]))

/* Keys of a [profile NAME] section besides the attributes; bit i of seen[]. */
static const char *const profile_keys[] = {
	"days", "min_rsa_bits", "allow_rsa", "allow_p384",
};
#define NPROFILE_KEYS	(sizeof(profile_keys) / sizeof(profile_keys[0]))

/*
 * Keys of a user-defined [profile NAME]; bit i of seen_user[], the
 * attributes after them.
 */
static const char *const user_keys[] = {
	"kind", "issuer", "days", "min_rsa_bits", "allow_rsa", "allow_p384",
	"san_dns", "san_ip", "san_uri", "keygen",
};
#define NUSER_KEYS	(sizeof(user_keys) / sizeof(user_keys[0]))

/*
 * What a policy file may never set: the kind (or the built-in profile)
 * fixes the extensions.  Named so that the refusal says why.
 */
static const char *const extension_keys[] = {
	"basicConstraints", "basic_constraints", "keyUsage", "key_usage",
	"extendedKeyUsage", "extended_key_usage", "extKeyUsage",
	"ext_key_usage", "eku", "ku", "ca", "pathlen", "path_len",
	"nsCertType", "extensions", "keyCertSign", "cRLSign",
};
#define NEXTENSION_KEYS	(sizeof(extension_keys) / sizeof(extension_keys[0]))

/*
 * The kinds of user-defined profiles.  Leaves: CA:FALSE and
 * digitalSignature alone (TLS 1.2 ECDHE and TLS 1.3 sign with the key;
 * no RSA key transport), the purposes that name the role, and the SAN
 * types a peer checks for that role: a server is found by DNS name or IP
 * address, a client or device by a URI (SPIFFE, 802.1AR) or a DNS name.
 * device-identity is an IEEE 802.1AR DevID: no extendedKeyUsage, so that
 * one identity serves EAP-TLS, TLS and the rest.  intermediate-ca is
 * issued by the root with pathlen:0 and signs certificates and CRLs.
 */
static const struct kind_def kinds[KIND_COUNT] = {
	[KIND_SERVER] = { "server", false, -1, KU_DIGITAL_SIGNATURE,
	    EKU_SERVER, SAN_T_DNS | SAN_T_IP | SAN_T_URI },
	[KIND_CLIENT] = { "client", false, -1, KU_DIGITAL_SIGNATURE,
	    EKU_CLIENT, SAN_T_DNS | SAN_T_URI },
	[KIND_SERVER_CLIENT] = { "server-client", false, -1,
	    KU_DIGITAL_SIGNATURE, EKU_SERVER | EKU_CLIENT,
	    SAN_T_DNS | SAN_T_IP | SAN_T_URI },
	[KIND_INTERMEDIATE_CA] = { "intermediate-ca", true, 0,
	    KU_KEY_CERT_SIGN | KU_CRL_SIGN, 0, 0 },
	[KIND_DEVICE_IDENTITY] = { "device-identity", false, -1,
	    KU_DIGITAL_SIGNATURE, 0, SAN_T_URI },
};

static const char *const san_type_names[3] = { "san_dns", "san_ip", "san_uri" };

static const char *const policy_keys[] = {
	"version", "factory", "ca_key", "allow_renewal", "crl_next_update_minutes",
};
#define NPOLICY_KEYS	(sizeof(policy_keys) / sizeof(policy_keys[0]))

static const char device_ca_cn_pattern[] = "^fio-[A-Za-z0-9._-]{1,60}$";
static const char device_cn_pattern[] =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

const struct kind_def *
policy_kind(enum profile_kind kind)
{
	if (kind <= KIND_BUILTIN || kind >= KIND_COUNT)
		return NULL;
	return &kinds[kind];
}

bool
policy_kind_ok(const struct profile *prof)
{
	const struct kind_def *k;
	unsigned t;

	if (prof->kind == KIND_BUILTIN)
		return prof->id != PROFILE_USER;
	if (prof->id != PROFILE_USER || (k = policy_kind(prof->kind)) == NULL)
		return false;
	for (t = 0; t < 3; t++)
		if (prof->san_rule[t] != RULE_DROP && !(k->san_types & (1U << t)))
			return false;
	return prof->ca == k->ca && prof->pathlen == k->pathlen &&
	    prof->key_usage == k->key_usage && prof->eku == k->eku &&
	    prof->san == SAN_NONE && (!prof->unlimited || !k->ca) &&
	    (!prof->keygen || !k->ca);
}

/* What a kind gives, for messages: "CA:FALSE, keyUsage ..., ...". */
static void
kind_describe(const struct kind_def *k, char *buf, size_t len)
{
	snprintf(buf, len, "CA:%s%s, keyUsage %s, %s%s%s",
	    k->ca ? "TRUE" : "FALSE", k->ca ? " pathlen:0" : "",
	    k->ca ? "keyCertSign + cRLSign" : "digitalSignature",
	    k->eku == 0 ? "no extendedKeyUsage" : "extendedKeyUsage ",
	    (k->eku & EKU_SERVER) ? "serverAuth" : "",
	    (k->eku & EKU_CLIENT) ? ((k->eku & EKU_SERVER) ?
	    " + clientAuth" : "clientAuth") : "");
}

static int
kind_parse(const char *s)
{
	int i;

	for (i = KIND_BUILTIN + 1; i < KIND_COUNT; i++)
		if (strcmp(s, kinds[i].name) == 0)
			return i;
	return -1;
}

static const struct attr *
attr_by_nid(int nid)
{
	size_t i;

	for (i = 0; i < NATTRS; i++)
		if (attrs[i].nid == nid)
			return &attrs[i];
	return NULL;
}

static const struct attr *
attr_by_key(const char *key)
{
	size_t i;

	for (i = 0; i < NATTRS; i++)
		if (strcmp(attrs[i].key, key) == 0)
			return &attrs[i];
	return NULL;
}

/*
 * Profiles whose subject airca builds itself (keys generated on the token):
 * a fixed or match rule always puts its value in the subject.  For profiles
 * that sign a CSR, a fixed value is a constraint on what the CSR carries.
 */
static bool
profile_generated(enum profile_id id)
{
	return id == PROFILE_ROOT || id == PROFILE_DEVICE_CA ||
	    id == PROFILE_AUDIT;
}

/* The characters of ASN.1 PrintableString. */
static bool
printable_string(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr(" '()+,-./:=?", *s) != NULL)
			continue;
		return false;
	}
	return true;
}

/*
 * Compile src (POSIX ERE, written as ^...$) into re, anchored as a whole
 * so that an alternation cannot escape the anchors.  err gets the reason.
 */
static int
pattern_compile(const char *src, regex_t *re, char *err, size_t errlen)
{
	char wrapped[RULE_VALUE_MAX + 8], why[128];
	size_t len = strlen(src);
	int e;

	if (len < 2 || len >= RULE_VALUE_MAX) {
		snprintf(err, errlen, "pattern must be 2..%d bytes",
		    RULE_VALUE_MAX - 1);
		return -1;
	}
	if (src[0] != '^' || src[len - 1] != '$') {
		snprintf(err, errlen, "pattern '%s' must start with ^ and end "
		    "with $", src);
		return -1;
	}
	snprintf(wrapped, sizeof(wrapped), "^(%s)$", src);
	if ((e = regcomp(re, wrapped, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(e, re, why, sizeof(why));
		regfree(re);
		snprintf(err, errlen, "bad pattern '%s': %s", src, why);
		return -1;
	}
	return 0;
}

static void
rule_set(struct subject_rule *r, int nid, enum rule_presence presence,
    const char *fixed)
{
	memset(r, 0, sizeof(*r));
	r->nid = nid;
	r->presence = presence;
	r->max = RULE_DEFAULT_MAX;
	if (fixed != NULL) {
		r->fixed = true;
		snprintf(r->value, sizeof(r->value), "%s", fixed);
	}
}

static int
rule_set_pattern(struct subject_rule *r, const char *src)
{
	char err[ERRLEN];

	if (r->has_pattern) {
		regfree(&r->re);
		r->has_pattern = false;
	}
	if (pattern_compile(src, &r->re, err, sizeof(err)) != 0)
		return airca_errf(AIRCA_ERR_INTERNAL, "%s", err);
	snprintf(r->value, sizeof(r->value), "%s", src);
	r->has_pattern = true;
	return 0;
}

bool
policy_factory_ok(const char *f)
{
	size_t len;

	if (f == NULL || !name_safe(f, 64))
		return false;
	len = strlen(f);
	return strchr(f, ',') == NULL && f[0] != ' ' && f[len - 1] != ' ' &&
	    text_class(f, len) == 0;
}

int
policy_default(const char *factory, struct policy *pol)
{
	struct profile *p;
	int r, i;

	memset(pol, 0, sizeof(*pol));
	if (!policy_factory_ok(factory))
		return airca_errf(AIRCA_ERR_INPUT, "factory name '%.64s' is "
		    "not usable: 1..64 printable bytes, no '/', ',' or leading "
		    "'.', no leading or trailing space", factory ? factory : "");
	pol->version = 1;
	snprintf(pol->factory, sizeof(pol->factory), "%s", factory);
	pol->ca_key = KEY_EC_P256;
	pol->allow_renewal = false;
	pol->crl_next_update_minutes = 15;

	for (i = 0; i < PROFILE_COUNT; i++) {
		p = &pol->profiles[i];
		p->id = (enum profile_id)i;
		snprintf(p->name, sizeof(p->name), "%s", profile_names[i]);
		p->issuer = i == PROFILE_DEVICE ? PROFILE_DEVICE_CA : PROFILE_ROOT;
		p->pathlen = -1;
		p->days = 3650;
		p->min_rsa_bits = 2048;
		p->allow_p384 = true;
		p->allow_rsa = true;
		p->nrules = 2;
		/* every profile: CN then OU; OU is the factory name */
		rule_set(&p->rules[0], NID_commonName, RULE_SUPPLIED, NULL);
		rule_set(&p->rules[1], NID_organizationalUnitName, RULE_SUPPLIED,
		    factory);
	}

	p = &pol->profiles[PROFILE_ROOT];
	rule_set(&p->rules[0], NID_commonName, RULE_SUPPLIED, "Factory-CA");
	p->ca = true;
	p->key_usage = KU_KEY_CERT_SIGN | KU_CRL_SIGN;
	p->eku = EKU_SERVER | EKU_CLIENT;
	p->days = 7300;

	p = &pol->profiles[PROFILE_TLS];
	p->rules[1].presence = RULE_OPTIONAL;
	p->key_usage = KU_DIGITAL_SIGNATURE;
	p->eku = EKU_SERVER;
	p->san = SAN_DNS_SOME;

	p = &pol->profiles[PROFILE_EST_TLS];
	p->rules[1].presence = RULE_OPTIONAL;
	p->key_usage = KU_DIGITAL_SIGNATURE;
	p->eku = EKU_SERVER;
	p->san = SAN_DNS_ONE;

	/* the API's ca-csr carries OU = factory: required and checked */
	p = &pol->profiles[PROFILE_ONLINE_CA];
	p->ca = true;
	p->pathlen = 0;
	p->key_usage = KU_KEY_CERT_SIGN;

	p = &pol->profiles[PROFILE_DEVICE_CA];
	p->ca = true;
	p->pathlen = 0;
	p->key_usage = KU_KEY_CERT_SIGN | KU_CRL_SIGN;
	if ((r = rule_set_pattern(&p->rules[0], device_ca_cn_pattern)) != 0)
		goto fail;

	p = &pol->profiles[PROFILE_DEVICE];
	p->key_usage = KU_DIGITAL_SIGNATURE;
	p->eku = EKU_CLIENT;
	if ((r = rule_set_pattern(&p->rules[0], device_cn_pattern)) != 0)
		goto fail;
	/*
	 * lmp-device-register --production marks a production device only by
	 * businessCategory=production in its subject: kept when present.
	 */
	rule_set(&p->rules[2], NID_businessCategory, RULE_OPTIONAL,
	    "production");
	p->nrules = 3;

	p = &pol->profiles[PROFILE_AUDIT];
	rule_set(&p->rules[0], NID_commonName, RULE_SUPPLIED, "airca audit");
	p->key_usage = KU_DIGITAL_SIGNATURE;
	p->eku = EKU_DOCSIGN;
	p->days = 7300;
	return 0;
 fail:
	policy_free(pol);
	return r;
}

static void
profile_free(struct profile *p)
{
	size_t k;

	for (k = 0; k < p->nrules; k++) {
		struct subject_rule *r = &p->rules[k];

		if (r->has_pattern) {
			regfree(&r->re);
			r->has_pattern = false;
		}
	}
}

void
policy_free(struct policy *pol)
{
	size_t i;

	if (pol == NULL)
		return;
	for (i = 0; i < PROFILE_COUNT; i++)
		profile_free(&pol->profiles[i]);
	for (i = 0; i < pol->nuser && i < POLICY_MAX_USER; i++)
		profile_free(&pol->user[i]);
}

const struct profile *
policy_profile(const struct policy *pol, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < PROFILE_COUNT; i++)
		if (strcmp(pol->profiles[i].name, name) == 0)
			return &pol->profiles[i];
	for (i = 0; name != NULL && i < pol->nuser; i++)
		if (strcmp(pol->user[i].name, name) == 0)
			return &pol->user[i];
	return NULL;
}

bool
policy_maps(const struct profile *prof)
{
	size_t k;

	for (k = 0; k < prof->nrules; k++)
		if (prof->rules[k].map[0] != '\0')
			return true;
	return false;
}

/* ---- the policy file ---- */

/* A user-defined profile as the first passes see it. */
struct user_pre {
	char	name[PROFILE_NAME_MAX + 1];
	size_t	line;			/* its [profile NAME] header */
	int	kind;			/* pass 1: -1 until kind = */
	char	issuer[65];		/* pass 1: "root" unless issuer = */
	unsigned seen;			/* pass 2: bits of user_keys[], then attrs[] */
};

struct load_ctx {
	const char *path;
	struct user_pre users[POLICY_MAX_USER];
	size_t	nusers;
	struct policy *pol;
	struct policy def;		/* the defaults, to judge tightening */
	char	factory[65];		/* pass 1: [policy] factory */
	bool	have_factory, have_version;
	unsigned seen_policy;		/* bit per policy_keys[] */
	unsigned seen[PROFILE_COUNT];	/* bits: profile_keys[], then attrs[] */
	char	err[ERRLEN];		/* the handler's reason; line from inih */
};

/* Decimal in min..max, digits only. */
static bool
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool
parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0)
		*out = false;
	else
		return false;
	return true;
}

static int
fail(struct load_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct load_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return 0;	/* inih: stop here, report this line */
}

static int
policy_key(struct load_ctx *c, const char *name, const char *value)
{
	struct policy *pol = c->pol;
	unsigned long v;
	size_t i;

	for (i = 0; i < NPOLICY_KEYS; i++)
		if (strcmp(name, policy_keys[i]) == 0)
			break;
	if (i == NPOLICY_KEYS)
		return fail(c, "unknown key '%.64s' in [policy]", name);
	if (c->seen_policy & (1U << i))
		return fail(c, "%s given twice in [policy]", name);
	c->seen_policy |= 1U << i;

	if (strcmp(name, "version") == 0) {
		if (strcmp(value, "1") != 0)
			return fail(c, "version = %.32s: this airca reads "
			    "version 1 only", value);
		c->have_version = true;
	} else if (strcmp(name, "factory") == 0) {
		/* applied in pass 1; checked there too */
	} else if (strcmp(name, "ca_key") == 0) {
		if (key_type_parse(value, &pol->ca_key) != 0)
			return fail(c, "ca_key = %.32s: use ec-p256, ec-p384, "
			    "rsa-3072 or rsa-4096", value);
	} else if (strcmp(name, "allow_renewal") == 0) {
		if (!parse_bool(value, &pol->allow_renewal))
			return fail(c, "allow_renewal = %.32s: use yes or no",
			    value);
	} else if (strcmp(name, "crl_next_update_minutes") == 0) {
		if (!parse_uint(value, 1, 10080, &v))
			return fail(c, "crl_next_update_minutes = %.32s: "
			    "1..10080 (a week)", value);
		pol->crl_next_update_minutes = (unsigned)v;
	}
	return 1;
}

struct rule_terms {
	bool	fixed, match, supplied, optional, has_max, pattern;
	bool	has_default, map;	/* user-defined profiles only */
	bool	has_any;		/* a term was read */
	char	defv[129];
	char	mapv[MAP_COLUMN_MAX + 1];
	char	value[RULE_VALUE_MAX];
	char	source[RULE_VALUE_MAX];
	size_t	max;
};

bool
policy_column_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > MAP_COLUMN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

/* One term other than pattern=; err gets the reason. */
static bool
parse_term(const char *term, struct rule_terms *t, char *err, size_t errlen)
{
	unsigned long n;

	if (strncmp(term, "fixed=", 6) == 0) {
		if (t->fixed) {
			snprintf(err, errlen, "fixed given twice");
			return false;
		}
		if (term[6] == '\0' || strlen(term + 6) >= sizeof(t->value)) {
			snprintf(err, errlen, "fixed= needs a value of 1..%d "
			    "bytes", RULE_VALUE_MAX - 1);
			return false;
		}
		memcpy(t->value, term + 6, strlen(term + 6) + 1);
		t->fixed = true;
	} else if (strncmp(term, "default=", 8) == 0) {
		if (t->has_default) {
			snprintf(err, errlen, "default given twice");
			return false;
		}
		if (term[8] == '\0' || strlen(term + 8) >= sizeof(t->defv)) {
			snprintf(err, errlen, "default= needs a value of 1..%zu "
			    "bytes", sizeof(t->defv) - 1);
			return false;
		}
		memcpy(t->defv, term + 8, strlen(term + 8) + 1);
		t->has_default = true;
	} else if (strncmp(term, "map=", 4) == 0) {
		if (t->map) {
			snprintf(err, errlen, "map given twice");
			return false;
		}
		if (!policy_column_ok(term + 4)) {
			snprintf(err, errlen, "%.64s: map= names a manifest "
			    "column: 1..%d letters, digits, '_', '.' or '-'",
			    term, MAP_COLUMN_MAX);
			return false;
		}
		memcpy(t->mapv, term + 4, strlen(term + 4) + 1);
		t->map = true;
	} else if (strncmp(term, "max=", 4) == 0) {
		if (t->has_max) {
			snprintf(err, errlen, "max given twice");
			return false;
		}
		if (!parse_uint(term + 4, 1, RULE_VALUE_MAX - 1, &n)) {
			snprintf(err, errlen, "%.64s: max is a number 1..%d",
			    term, RULE_VALUE_MAX - 1);
			return false;
		}
		t->max = n;
		t->has_max = true;
	} else if (strcmp(term, "match") == 0) {
		if (t->match) {
			snprintf(err, errlen, "match given twice");
			return false;
		}
		t->match = true;
	} else if (strcmp(term, "supplied") == 0 ||
	    strcmp(term, "optional") == 0) {
		if (t->supplied || t->optional) {
			snprintf(err, errlen, "presence given twice");
			return false;
		}
		if (term[0] == 's')
			t->supplied = true;
		else
			t->optional = true;
	} else {
		snprintf(err, errlen, "unknown term '%.64s' (use fixed=V, "
		    "match, supplied, optional, max=N, pattern=REGEX; in a "
		    "user-defined profile also default=V, map=COLUMN)", term);
		return false;
	}
	return true;
}

/*
 * Terms separated by commas, each at most once.  A pattern ends at the
 * first comma after which the rest of the line reads as terms; otherwise
 * it takes the rest of the line, commas included.  So a pattern with
 * commas is written last (policy_format() always does).
 */
static bool
parse_list(const char *s, struct rule_terms *t, bool allow_pattern, char *err,
    size_t errlen)
{
	struct rule_terms tmp;
	char term[RULE_VALUE_MAX + 16], junk[ERRLEN];
	const char *end, *rest, *comma;
	size_t len;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (allow_pattern && strncmp(s, "pattern=", 8) == 0) {
			if (t->pattern) {
				snprintf(err, errlen, "pattern given twice");
				return false;
			}
			rest = s + 8;
			end = rest + strlen(rest);
			for (comma = strchr(rest, ','); comma != NULL;
			    comma = strchr(comma + 1, ',')) {
				tmp = *t;
				if (parse_list(comma + 1, &tmp, false, junk,
				    sizeof(junk))) {
					*t = tmp;
					end = comma;
					break;
				}
			}
			len = (size_t)(end - rest);
			while (len > 0 && (rest[len - 1] == ' ' ||
			    rest[len - 1] == '\t'))
				len--;
			if (len >= sizeof(t->source)) {
				snprintf(err, errlen, "pattern longer than %d "
				    "bytes", RULE_VALUE_MAX - 1);
				return false;
			}
			memcpy(t->source, rest, len);
			t->source[len] = '\0';
			t->pattern = true;
			return true;
		}
		if ((end = strchr(s, ',')) == NULL)
			end = s + strlen(s);
		len = (size_t)(end - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, *end == '\0' && *s == '\0' &&
			    t->has_any ? "trailing comma" : "empty term");
			return false;
		}
		if (len >= sizeof(term)) {
			snprintf(err, errlen, "term longer than %d bytes",
			    RULE_VALUE_MAX);
			return false;
		}
		memcpy(term, s, len);
		term[len] = '\0';
		if (!parse_term(term, t, err, errlen))
			return false;
		t->has_any = true;
		if (*end == '\0')
			return true;
		s = end + 1;
	}
}

static int
parse_terms(struct load_ctx *c, const char *key, const char *v,
    struct rule_terms *t)
{
	char err[ERRLEN];

	memset(t, 0, sizeof(*t));
	if (!parse_list(v, t, true, err, sizeof(err)))
		return fail(c, "%s: %s", key, err);
	if (t->fixed && t->match)
		return fail(c, "%s: fixed and match exclude each other", key);
	if (t->fixed && t->pattern)
		return fail(c, "%s: fixed and pattern exclude each other", key);
	return 1;
}

/*
 * One attribute rule of a profile, judged against the default rule for
 * the same attribute (d, or NULL where the default drops the attribute).
 */
static int
profile_rule(struct load_ctx *c, struct profile *prof,
    const struct profile *defp, const struct attr *a, const char *value)
{
	struct rule_terms t;
	struct subject_rule *r = NULL;
	const struct subject_rule *d = NULL;
	enum rule_presence presence;
	bool fixed, match, has_pattern, keep_pattern;
	const char *fixedval = "", *source = "";
	char err[ERRLEN];
	size_t i, max;
	regex_t re;
	int cls;

	if (!parse_terms(c, a->key, value, &t))
		return 0;
	if (t.has_default || t.map)
		return fail(c, "%s: default= and map= are for user-defined "
		    "profiles; built-in profile %s may only be tightened",
		    a->key, prof->name);
	for (i = 0; i < defp->nrules; i++)
		if (defp->rules[i].nid == a->nid)
			d = &defp->rules[i];
	for (i = 0; i < prof->nrules; i++)
		if (prof->rules[i].nid == a->nid)
			r = &prof->rules[i];

	presence = d != NULL ? d->presence : RULE_DROP;
	if (t.supplied)
		presence = RULE_SUPPLIED;
	else if (t.optional)
		presence = RULE_OPTIONAL;
	if (d != NULL && d->presence == RULE_SUPPLIED &&
	    presence == RULE_OPTIONAL)
		return fail(c, "%s: optional would loosen the default "
		    "(supplied): the policy may only tighten", a->key);
	if (d == NULL && presence == RULE_DROP)
		return fail(c, "%s: the default drops this attribute; to add "
		    "it, say optional or supplied, and max=N", a->key);

	max = d != NULL ? d->max : 0;
	if (t.has_max) {
		if (d != NULL && t.max > d->max)
			return fail(c, "%s: max=%zu would loosen the default "
			    "max=%zu", a->key, t.max, d->max);
		max = t.max;
	}
	if (max == 0)
		return fail(c, "%s: the default drops this attribute; to add "
		    "it, give max=N", a->key);
	if (max > a->ub)
		return fail(c, "%s: max=%zu is above the upper bound of %s "
		    "(%zu bytes, RFC 5280)", a->key, max, a->key, a->ub);

	fixed = d != NULL && d->fixed;
	match = d != NULL && d->match;
	if (fixed)
		fixedval = d->value;
	if (t.fixed) {
		/* the factory's own name reaches the OU through factory = */
		if (match)
			return fail(c, "%s: the default is match; fixed may not "
			    "replace it", a->key);
		if (fixed && strcmp(t.value, d->value) != 0)
			return fail(c, "%s: fixed=%s may not change the default "
			    "fixed=%s", a->key, t.value, d->value);
		fixed = true;
		fixedval = t.value;
	}
	if (t.match) {
		if (fixed)
			return fail(c, "%s: the default is fixed=%s; match may "
			    "not replace it", a->key, fixedval);
		match = true;
	}
	if (fixed) {
		cls = text_class(fixedval, strlen(fixedval));
		if (cls != 0)
			return fail(c, "%s: fixed value has control characters "
			    "or is not UTF-8", a->key);
		if (strlen(fixedval) > max)
			return fail(c, "%s: fixed value is longer than max=%zu",
			    a->key, max);
		if (a->printable && !printable_string(fixedval))
			return fail(c, "%s: fixed value is not a PrintableString",
			    a->key);
	}

	/*
	 * A pattern may be set or replaced: the device CN pattern (and the
	 * device-ca one) are configurable by design, and a pattern only
	 * narrows what supplied or optional already allow.
	 */
	has_pattern = d != NULL && d->has_pattern;
	keep_pattern = false;
	if (has_pattern)
		source = d->value;
	if (t.pattern) {
		if (fixed)
			return fail(c, "%s: the default is fixed=%s; a pattern "
			    "may not replace it", a->key, fixedval);
		if (pattern_compile(t.source, &re, err, sizeof(err)) != 0)
			return fail(c, "%s: %s", a->key, err);
		regfree(&re);
		has_pattern = true;
		source = t.source;
	} else if (t.fixed && has_pattern) {
		/* fixed is tighter than a pattern, if the value fits it */
		if (regexec(&d->re, fixedval, 0, NULL, 0) != 0)
			return fail(c, "%s: fixed=%s does not match the default "
			    "pattern %s", a->key, fixedval, d->value);
		has_pattern = false;
	} else if (has_pattern && r != NULL && r->has_pattern)
		keep_pattern = true;

	if (r == NULL) {
		if (prof->nrules >= PROFILE_MAX_RULES)
			return fail(c, "%s: too many rules in profile %s",
			    a->key, prof->name);
		r = &prof->rules[prof->nrules++];
		memset(r, 0, sizeof(*r));
		r->nid = a->nid;
	}
	if (r->has_pattern && !keep_pattern) {
		regfree(&r->re);
		r->has_pattern = false;
	}
	r->presence = presence;
	r->max = max;
	r->fixed = fixed;
	r->match = match;
	if (fixed)
		snprintf(r->value, sizeof(r->value), "%s", fixedval);
	else if (has_pattern && !keep_pattern) {
		if (pattern_compile(source, &r->re, err, sizeof(err)) != 0)
			return fail(c, "%s: %s", a->key, err);
		snprintf(r->value, sizeof(r->value), "%s", source);
		r->has_pattern = true;
	} else if (!has_pattern)
		r->value[0] = '\0';
	return 1;
}

/* Is name one of the keys that would set an extension? */
static bool
extension_key(const char *name)
{
	size_t i;

	for (i = 0; i < NEXTENSION_KEYS; i++)
		if (strcasecmp(name, extension_keys[i]) == 0)
			return true;
	return false;
}

static int
profile_key(struct load_ctx *c, enum profile_id id, const char *name,
    const char *value)
{
	struct profile *prof = &c->pol->profiles[id];
	const struct profile *defp = &c->def.profiles[id];
	const struct attr *a;
	unsigned long v;
	unsigned bit;
	size_t i;
	bool b;

	if (extension_key(name))
		return fail(c, "%.64s: the extensions of built-in profile %s "
		    "are fixed (docs/profiles.md); a policy file cannot set "
		    "basicConstraints, keyUsage or extendedKeyUsage", name,
		    prof->name);
	for (i = 0; i < NPROFILE_KEYS; i++)
		if (strcmp(name, profile_keys[i]) == 0)
			break;
	if (i < NPROFILE_KEYS) {
		bit = i;
		a = NULL;
	} else if ((a = attr_by_key(name)) != NULL)
		bit = NPROFILE_KEYS + (unsigned)(a - attrs);
	else
		return fail(c, "unknown key '%.64s' in [profile %s] (days, "
		    "min_rsa_bits, allow_rsa, allow_p384, or an attribute: CN, "
		    "OU, O, C, L, ST, serialNumber)", name, prof->name);
	if (c->seen[id] & (1U << bit))
		return fail(c, "%s given twice in [profile %s]", name,
		    prof->name);
	c->seen[id] |= 1U << bit;

	if (a != NULL)
		return profile_rule(c, prof, defp, a, value);
	if (strcmp(name, "days") == 0) {
		if (!parse_uint(value, 1, 100000, &v))
			return fail(c, "days = %.32s: a number of days", value);
		if (v > defp->days)
			return fail(c, "days = %lu would loosen the default %u: "
			    "the policy may only shorten it", v, defp->days);
		prof->days = (unsigned)v;
	} else if (strcmp(name, "min_rsa_bits") == 0) {
		if (!parse_uint(value, 1, 16384, &v))
			return fail(c, "min_rsa_bits = %.32s: a number of bits",
			    value);
		if (v < defp->min_rsa_bits || v > 8192)
			return fail(c, "min_rsa_bits = %lu: %u..8192 (the "
			    "policy may only raise it)", v, defp->min_rsa_bits);
		prof->min_rsa_bits = (unsigned)v;
	} else {
		bool def = strcmp(name, "allow_rsa") == 0 ? defp->allow_rsa :
		    defp->allow_p384;

		if (!parse_bool(value, &b))
			return fail(c, "%s = %.32s: use yes or no", name, value);
		if (b && !def)
			return fail(c, "%s = yes would loosen the default (no)",
			    name);
		if (strcmp(name, "allow_rsa") == 0)
			prof->allow_rsa = b;
		else
			prof->allow_p384 = b;
	}
	return 1;
}

/* ---- user-defined profiles ---- */

/* 1..15 of [a-z0-9-], starting with a letter, not a built-in name. */
static bool
user_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > PROFILE_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* The user profile of section "profile NAME", or -1. */
static int
user_index(const struct load_ctx *c, const char *section)
{
	size_t i;

	if (strncmp(section, "profile ", 8) != 0)
		return -1;
	for (i = 0; i < c->nusers; i++)
		if (strcmp(section + 8, c->users[i].name) == 0)
			return (int)i;
	return -1;
}

/* Check a subject value from the file (fixed= or default=) against its rule. */
static int
rule_value_ok(struct load_ctx *c, const struct attr *a, const char *what,
    const char *v, size_t max)
{
	if (text_class(v, strlen(v)) != 0)
		return fail(c, "%s: %s value has control characters or is not "
		    "UTF-8", a->key, what);
	if (strlen(v) > max)
		return fail(c, "%s: %s value is longer than max=%zu", a->key,
		    what, max);
	if (a->printable && !printable_string(v))
		return fail(c, "%s: %s value is not a PrintableString", a->key,
		    what);
	return 1;
}

/*
 * One attribute rule of a user profile.  Its rules are what the file
 * says, in the file's order: supplied (the default presence), optional,
 * fixed=V and match (the certificate always carries the value; a request
 * value must equal it), default=V (an absent optional attribute), map=COLUMN
 * (the device's manifest row), max=N, pattern=REGEX.
 */
static int
user_rule(struct load_ctx *c, struct profile *prof, const struct attr *a,
    const char *value)
{
	struct rule_terms t;
	struct subject_rule *r;
	char err[ERRLEN];
	size_t max;

	if (!parse_terms(c, a->key, value, &t))
		return 0;
	if (t.map && (t.fixed || t.match))
		return fail(c, "%s: map= and fixed=/match exclude each other",
		    a->key);
	if (t.has_default && (t.fixed || t.match))
		return fail(c, "%s: default= and fixed=/match exclude each "
		    "other", a->key);
	if (t.has_default && t.supplied)
		return fail(c, "%s: default= fills an absent attribute, and a "
		    "supplied one is never absent: say optional", a->key);
	if ((t.fixed || t.match) && t.optional)
		return fail(c, "%s: fixed=/match always put the value in the "
		    "certificate: optional does not apply", a->key);
	if (a->nid == NID_commonName && t.optional && !t.has_default)
		return fail(c, "CN: every certificate names its subject by CN: "
		    "say supplied, or give default=, fixed= or map=");
	max = t.has_max ? t.max : (a->ub < RULE_DEFAULT_MAX ? a->ub :
	    RULE_DEFAULT_MAX);
	if (max > a->ub)
		return fail(c, "%s: max=%zu is above the upper bound of %s "
		    "(%zu bytes, RFC 5280)", a->key, max, a->key, a->ub);
	if (t.fixed && !rule_value_ok(c, a, "fixed", t.value, max))
		return 0;
	if (t.has_default && !rule_value_ok(c, a, "default", t.defv, max))
		return 0;
	if (prof->nrules >= PROFILE_MAX_RULES)
		return fail(c, "%s: too many rules in profile %s", a->key,
		    prof->name);
	r = &prof->rules[prof->nrules];
	memset(r, 0, sizeof(*r));
	r->nid = a->nid;
	r->presence = t.optional || t.has_default ? RULE_OPTIONAL :
	    RULE_SUPPLIED;
	r->max = max;
	r->fixed = t.fixed;
	r->match = t.match;
	if (t.fixed)
		snprintf(r->value, sizeof(r->value), "%s", t.value);
	if (t.has_default) {
		r->has_default = true;
		snprintf(r->def, sizeof(r->def), "%s", t.defv);
	}
	if (t.map)
		snprintf(r->map, sizeof(r->map), "%s", t.mapv);
	if (t.pattern) {
		if (t.fixed)
			return fail(c, "%s: fixed and pattern exclude each "
			    "other", a->key);
		if (pattern_compile(t.source, &r->re, err, sizeof(err)) != 0)
			return fail(c, "%s: %s", a->key, err);
		snprintf(r->value, sizeof(r->value), "%s", t.source);
		r->has_pattern = true;
		prof->nrules++;		/* policy_free() frees the regex */
		if (t.has_default && regexec(&r->re, t.defv, 0, NULL, 0) != 0)
			return fail(c, "%s: default=%s does not match pattern "
			    "%s", a->key, t.defv, t.source);
		return 1;
	}
	prof->nrules++;
	return 1;
}

static int
user_key(struct load_ctx *c, size_t u, const char *name, const char *value)
{
	struct profile *prof = &c->pol->user[u];
	struct user_pre *up = &c->users[u];
	const struct kind_def *k = policy_kind(prof->kind);
	const struct attr *a = NULL;
	unsigned long v;
	unsigned bit, t;
	char what[160];
	size_t i;
	bool b;

	if (k == NULL)
		return fail(c, "[profile %s] has no kind", prof->name);
	if (extension_key(name)) {
		kind_describe(k, what, sizeof(what));
		return fail(c, "%.64s: a policy file cannot set "
		    "basicConstraints, keyUsage or extendedKeyUsage: kind %s "
		    "gives %s; choose the kind that fits (server, client, "
		    "server-client, intermediate-ca, device-identity)", name,
		    k->name, what);
	}
	for (i = 0; i < NUSER_KEYS; i++)
		if (strcmp(name, user_keys[i]) == 0)
			break;
	if (i < NUSER_KEYS)
		bit = (unsigned)i;
	else if ((a = attr_by_key(name)) != NULL)
		bit = NUSER_KEYS + (unsigned)(a - attrs);
	else
		return fail(c, "unknown key '%.64s' in [profile %s] (kind, "
		    "issuer, days, min_rsa_bits, allow_rsa, allow_p384, "
		    "san_dns, san_ip, san_uri, keygen, or an attribute: CN, OU, O, C, "
		    "L, ST, serialNumber, businessCategory)", name, prof->name);
	if (up->seen & (1U << bit))
		return fail(c, "%s given twice in [profile %s]", name,
		    prof->name);
	up->seen |= 1U << bit;

	if (a != NULL)
		return user_rule(c, prof, a, value);
	if (strcmp(name, "kind") == 0)
		return 1;	/* read in pass 1 */
	if (strcmp(name, "issuer") == 0) {
		if (k->ca && strcmp(prof->issuer_label, "root") != 0)
			return fail(c, "issuer = %.64s: kind %s is issued by "
			    "the root alone (every CA below the root has "
			    "pathlen:0, so it may sign no other CA)", value,
			    k->name);
		return 1;	/* read in pass 1 */
	}
	if (strcmp(name, "days") == 0) {
		if (strcmp(value, "unlimited") == 0) {
			/*
			 * A CA may not outlive its issuer; every issuer of a
			 * CA here (the root) is dated.
			 */
			if (k->ca)
				return fail(c, "days = unlimited: kind %s is a "
				    "CA, and a CA may not outlive its issuer; "
				    "issuer %s is dated (only a leaf kind may "
				    "be unlimited, RFC 5280 4.1.2.5)", k->name,
				    prof->issuer_label);
			prof->unlimited = true;
			prof->days = 0;
			return 1;
		}
		if (!parse_uint(value, 1, 36500, &v))
			return fail(c, "days = %.32s: a number of days "
			    "(1..36500) or unlimited", value);
		prof->days = (unsigned)v;
	} else if (strcmp(name, "min_rsa_bits") == 0) {
		if (!parse_uint(value, 2048, 8192, &v))
			return fail(c, "min_rsa_bits = %.32s: 2048..8192",
			    value);
		prof->min_rsa_bits = (unsigned)v;
	} else if (strcmp(name, "allow_rsa") == 0 ||
	    strcmp(name, "allow_p384") == 0) {
		if (!parse_bool(value, &b))
			return fail(c, "%s = %.32s: use yes or no", name, value);
		if (name[6] == 'r')
			prof->allow_rsa = b;
		else
			prof->allow_p384 = b;
	} else if (strcmp(name, "keygen") == 0) {
		if (strcmp(value, "allowed") == 0) {
			if (k->ca)
				return fail(c, "keygen = allowed: kind %s is a "
				    "CA, whose key is made on the token ('airca "
				    "ca create'), never in memory", k->name);
			prof->keygen = true;
		} else if (strcmp(value, "no") == 0)
			prof->keygen = false;
		else
			return fail(c, "keygen = %.32s: use allowed or no",
			    value);
	} else {
		/* san_dns, san_ip, san_uri */
		t = (unsigned)(i - 6);
		if (strcmp(value, "no") == 0) {
			prof->san_rule[t] = RULE_DROP;
			return 1;
		}
		if (strcmp(value, "optional") != 0 &&
		    strcmp(value, "required") != 0)
			return fail(c, "%s = %.32s: use no, optional or "
			    "required", name, value);
		if (!(k->san_types & (1U << t)))
			return fail(c, "%s = %s: kind %s takes no %s in "
			    "subjectAltName (%s)", name, value, k->name,
			    t == 0 ? "DNS names" : t == 1 ? "IP addresses" :
			    "URIs", t == 0 ? "DNS names are for server, client "
			    "and server-client" : t == 1 ? "IP addresses are "
			    "for server and server-client" : "URIs are for "
			    "leaf kinds");
		prof->san_rule[t] = value[0] == 'r' ? RULE_SUPPLIED :
		    RULE_OPTIONAL;
	}
	return 1;
}

/* After pass 1: each user profile set up with what its kind fixes. */
static void
user_setup(struct load_ctx *c)
{
	const struct kind_def *k;
	struct profile *p;
	size_t u;

	for (u = 0; u < c->nusers; u++) {
		p = &c->pol->user[u];
		memset(p, 0, sizeof(*p));
		p->id = PROFILE_USER;
		snprintf(p->name, sizeof(p->name), "%s", c->users[u].name);
		p->issuer = PROFILE_ROOT;
		p->pathlen = -1;
		p->min_rsa_bits = 2048;
		p->allow_p384 = true;
		p->allow_rsa = true;
		snprintf(p->issuer_label, sizeof(p->issuer_label), "%s",
		    c->users[u].issuer);
		if ((k = policy_kind((enum profile_kind)c->users[u].kind)) ==
		    NULL)
			continue;	/* refused after pass 2, at its header */
		p->kind = (enum profile_kind)c->users[u].kind;
		p->ca = k->ca;
		p->pathlen = k->pathlen;
		p->key_usage = k->key_usage;
		p->eku = k->eku;
	}
	c->pol->nuser = c->nusers;
}

/* After pass 2: what a user profile must have, refused at its header. */
static int
user_finish(struct load_ctx *c)
{
	const struct profile *p;
	size_t u, k;

	for (u = 0; u < c->nusers; u++) {
		p = &c->pol->user[u];
		if (c->users[u].kind < 0)
			return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: [profile "
			    "%s] has no kind (kind = server, client, "
			    "server-client, intermediate-ca or "
			    "device-identity)", c->path, c->users[u].line,
			    p->name);
		if (!(c->users[u].seen & (1U << 2)))
			return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: [profile "
			    "%s] has no days (days = N, or days = unlimited "
			    "for a leaf)", c->path, c->users[u].line, p->name);
		for (k = 0; k < p->nrules; k++)
			if (p->rules[k].nid == NID_commonName)
				break;
		if (k == p->nrules)
			return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: [profile "
			    "%s] has no CN rule (e.g. CN = supplied, max=64)",
			    c->path, c->users[u].line, p->name);
		if (!policy_kind_ok(p))
			return airca_errf(AIRCA_ERR_INTERNAL, "%s:%zu: [profile "
			    "%s] is not what its kind fixes", c->path,
			    c->users[u].line, p->name);
	}
	return 0;
}

static int
section_profile(const char *section)
{
	size_t i;

	if (strncmp(section, "profile ", 8) != 0)
		return -1;
	for (i = 0; i < PROFILE_COUNT; i++)
		if (strcmp(section + 8, profile_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
handler_pass1(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *c = user;
	struct user_pre *up;
	int u, k;

	if ((u = user_index(c, section)) >= 0) {
		up = &c->users[u];
		if (strcmp(name, "kind") == 0) {
			if ((k = kind_parse(value)) < 0)
				return fail(c, "kind = %.32s: use server, client, "
				    "server-client, intermediate-ca or "
				    "device-identity", value);
			if (up->kind >= 0)
				return fail(c, "kind given twice in [profile "
				    "%s]", up->name);
			up->kind = k;
		} else if (strcmp(name, "issuer") == 0) {
			if (strcmp(value, "root") == 0 ||
			    strcmp(value, "airca-root") == 0)
				value = "root";
			else if (!name_safe(value, 32) ||
			    strcmp(value, "airca-audit") == 0)
				return fail(c, "issuer = %.64s: root, or the "
				    "label of a CA on the token (1..32 "
				    "printable characters, no '/')", value);
			snprintf(up->issuer, sizeof(up->issuer), "%s", value);
		}
		return 1;
	}
	if (strcmp(section, "policy") == 0 && strcmp(name, "factory") == 0 &&
	    !c->have_factory) {
		if (!policy_factory_ok(value))
			return fail(c, "factory = %.64s: 1..64 printable bytes, "
			    "no '/', ',' or leading '.'", value);
		snprintf(c->factory, sizeof(c->factory), "%s", value);
		c->have_factory = true;
	}
	return 1;
}

static int
handler_pass2(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *c = user;
	int id;

	if (strcmp(section, "policy") == 0)
		return policy_key(c, name, value);
	if ((id = section_profile(section)) >= 0)
		return profile_key(c, (enum profile_id)id, name, value);
	if ((id = user_index(c, section)) >= 0)
		return user_key(c, (size_t)id, name, value);
	if (section[0] == '\0')
		return fail(c, "'%.64s' outside a section", name);
	return fail(c, "unknown section [%.64s]", section);
}

/*
 * Before inih sees the text: refuse what it would silently accept or cut,
 * namely over-long lines (it truncates them) and unknown section names of
 * sections without keys (it never reports them).
 */
static int
prescan(struct load_ctx *c, const char *path, const char *text)
{
	struct user_pre *up;
	size_t i;
	const char *line = text, *nl, *p, *close;
	size_t lineno = 1, len;
	char name[80];

	for (; *line != '\0'; line = nl + 1, lineno++) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		len = (size_t)(nl - line);
		if (len + 1 > POLICY_MAX_LINE - 3)
			return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: line longer "
			    "than %d bytes", path, lineno, POLICY_MAX_LINE - 4);
		for (p = line; p < nl && (*p == ' ' || *p == '\t'); p++)
			;
		if (p < nl && *p == '[') {
			close = memchr(p, ']', (size_t)(nl - p));
			if (close == NULL || (size_t)(close - p - 1) >=
			    sizeof(name))
				return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: bad "
				    "section header", path, lineno);
			memcpy(name, p + 1, (size_t)(close - p - 1));
			name[close - p - 1] = '\0';
			if (strcmp(name, "policy") == 0 ||
			    section_profile(name) >= 0)
				goto next;
			if (strncmp(name, "profile ", 8) != 0 ||
			    !user_name_ok(name + 8))
				return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: "
				    "unknown section [%s] (use [policy] or "
				    "[profile NAME] with NAME a built-in profile "
				    "(root, tls, est-tls, online-ca, device-ca, "
				    "device, audit) or a new one of 1..%d "
				    "lower-case letters, digits and '-', "
				    "starting with a letter)", path, lineno,
				    name, PROFILE_NAME_MAX);
			for (i = 0; i < c->nusers; i++)
				if (strcmp(c->users[i].name, name + 8) == 0)
					return airca_errf(AIRCA_ERR_INPUT,
					    "%s:%zu: [%s] given twice (first "
					    "at line %zu)", path, lineno, name,
					    c->users[i].line);
			if (c->nusers == POLICY_MAX_USER)
				return airca_errf(AIRCA_ERR_INPUT, "%s:%zu: more "
				    "than %d user-defined profiles", path,
				    lineno, POLICY_MAX_USER);
			up = &c->users[c->nusers++];
			memcpy(up->name, name + 8, strlen(name + 8) + 1);
			up->line = lineno;
			up->kind = -1;
			snprintf(up->issuer, sizeof(up->issuer), "root");
		}
 next:
		if (*nl == '\0')
			break;
	}
	return 0;
}

/*
 * Run inih with the settings this file format needs: comments only on
 * their own lines (a ';' inside a pattern is data), no continuation lines,
 * our line limit, stop at the first error so that its line is the one
 * reported.  Debian's libinih makes these run-time globals; they are
 * restored afterwards for the other readers of INI (hsm profiles).
 */
static int
ini_run(const char *text, ini_handler h, void *user)
{
	bool inline_comments = ini_allow_inline_comments;
	bool multiline = ini_allow_multiline;
	bool stop = ini_stop_on_first_error;
	bool no_value = ini_allow_no_value;
	int max_line = ini_max_line, r;

	ini_allow_inline_comments = false;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	ini_allow_no_value = false;
	ini_max_line = POLICY_MAX_LINE;
	r = ini_parse_string(text, h, user);
	ini_allow_inline_comments = inline_comments;
	ini_allow_multiline = multiline;
	ini_stop_on_first_error = stop;
	ini_allow_no_value = no_value;
	ini_max_line = max_line;
	return r;
}

/* The policy file through media: bounded, no symlink, regular file, no NUL. */
static int
read_file(const char *path, char **textp)
{
	unsigned char *buf = NULL;
	size_t len;
	int r;

	if ((r = media_read(path, POLICY_MAX_FILE, &buf, &len)) != 0)
		return r;
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return airca_errf(AIRCA_ERR_INPUT, "%s: contains a NUL byte",
		    path);
	}
	*textp = (char *)buf;
	return 0;
}

int
policy_load(const char *path, struct policy *pol)
{
	struct load_ctx *c = NULL;
	char *text = NULL;
	int r = AIRCA_ERR_INTERNAL, line;
	bool pol_set = false;

	memset(pol, 0, sizeof(*pol));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	c->path = path;
	c->pol = pol;
	if ((r = read_file(path, &text)) != 0 ||
	    (r = prescan(c, path, text)) != 0)
		goto out;

	/* pass 1: the factory name, which the defaults depend on */
	if ((line = ini_run(text, handler_pass1, c)) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d: %s", path, line,
		    c->err[0] != '\0' ? c->err :
		    "expected 'key = value', '[section]' or a comment");
		goto out;
	}
	if (!c->have_factory) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: [policy] factory is "
		    "missing", path);
		goto out;
	}
	if ((r = policy_default(c->factory, &c->def)) != 0 ||
	    (r = policy_default(c->factory, pol)) != 0)
		goto out;
	pol_set = true;
	user_setup(c);

	/* pass 2: every setting, each judged against the defaults */
	if ((line = ini_run(text, handler_pass2, c)) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s:%d: %s", path, line,
		    c->err[0] != '\0' ? c->err : "syntax error");
		goto out;
	}
	if (!c->have_version) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: [policy] version is "
		    "missing (version = 1)", path);
		goto out;
	}
	if ((r = user_finish(c)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0 && pol_set) {
		policy_free(pol);
		memset(pol, 0, sizeof(*pol));
	}
	if (c != NULL) {
		policy_free(&c->def);
		free(c);
	}
	free(text);
	return r;
}

/* ---- writing the effective policy ---- */

struct sbuf {
	char	*s;
	size_t	len, cap;
	bool	failed;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *n;
	int w;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		w = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)w < b->cap - b->len) {
			b->len += (size_t)w;
			return;
		}
		if ((n = realloc(b->s, b->cap * 2 + (size_t)w)) == NULL) {
			b->failed = true;
			return;
		}
		b->s = n;
		b->cap = b->cap * 2 + (size_t)w;
	}
}

static void
format_user(struct sbuf *b, const struct profile *p)
{
	const struct subject_rule *r;
	const struct attr *a;
	const struct kind_def *k = policy_kind(p->kind);
	size_t i;

	sb_printf(b, "\n[profile %s]\nkind = %s\nissuer = %s\n", p->name,
	    k != NULL ? k->name : "?", p->issuer_label);
	if (p->unlimited)
		sb_printf(b, "days = unlimited\n");
	else
		sb_printf(b, "days = %u\n", p->days);
	sb_printf(b, "min_rsa_bits = %u\nallow_rsa = %s\nallow_p384 = %s\n",
	    p->min_rsa_bits, p->allow_rsa ? "yes" : "no",
	    p->allow_p384 ? "yes" : "no");
	for (i = 0; i < 3; i++)
		if (p->san_rule[i] != RULE_DROP)
			sb_printf(b, "%s = %s\n", san_type_names[i],
			    p->san_rule[i] == RULE_SUPPLIED ? "required" :
			    "optional");
	if (p->keygen)
		sb_printf(b, "keygen = allowed\n");
	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		if ((a = attr_by_nid(r->nid)) == NULL)
			continue;
		sb_printf(b, "%s = ", a->key);
		if (r->fixed)
			sb_printf(b, "fixed=%s, ", r->value);
		else if (r->match)
			sb_printf(b, "match, ");
		sb_printf(b, "%s", r->presence == RULE_SUPPLIED ? "supplied" :
		    "optional");
		if (r->has_default)
			sb_printf(b, ", default=%s", r->def);
		if (r->map[0] != '\0')
			sb_printf(b, ", map=%s", r->map);
		sb_printf(b, ", max=%zu", r->max);
		if (r->has_pattern)
			sb_printf(b, ", pattern=%s", r->value);
		sb_printf(b, "\n");
	}
}

int
policy_format(const struct policy *pol, char **textp)
{
	struct sbuf b = { NULL, 0, 0, false };
	const struct profile *p;
	const struct subject_rule *r;
	const struct attr *a;
	size_t i, k;
	const char *sep;

	if ((b.s = malloc(4096)) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
	b.cap = 4096;
	b.s[0] = '\0';
	sb_printf(&b, "# airca policy: the effective profiles. Each setting "
	    "may only tighten the\n# defaults of DESIGN.md; see "
	    "docs/profiles.md.\n\n[policy]\nversion = %d\nfactory = %s\n"
	    "ca_key = %s\nallow_renewal = %s\ncrl_next_update_minutes = %u\n",
	    pol->version, pol->factory, key_type_name(pol->ca_key),
	    pol->allow_renewal ? "yes" : "no", pol->crl_next_update_minutes);
	for (i = 0; i < PROFILE_COUNT; i++) {
		p = &pol->profiles[i];
		sb_printf(&b, "\n[profile %s]\ndays = %u\nmin_rsa_bits = %u\n"
		    "allow_rsa = %s\nallow_p384 = %s\n", p->name, p->days,
		    p->min_rsa_bits, p->allow_rsa ? "yes" : "no",
		    p->allow_p384 ? "yes" : "no");
		for (k = 0; k < p->nrules; k++) {
			r = &p->rules[k];
			if (r->presence == RULE_DROP ||
			    (a = attr_by_nid(r->nid)) == NULL)
				continue;
			sb_printf(&b, "%s = ", a->key);
			sep = "";
			if (r->fixed) {
				sb_printf(&b, "fixed=%s", r->value);
				sep = ", ";
			} else if (r->match) {
				sb_printf(&b, "match");
				sep = ", ";
			}
			sb_printf(&b, "%s%s, max=%zu", sep,
			    r->presence == RULE_SUPPLIED ? "supplied" :
			    "optional", r->max);
			if (r->has_pattern)
				sb_printf(&b, ", pattern=%s", r->value);
			sb_printf(&b, "\n");
		}
	}
	for (i = 0; i < pol->nuser; i++)
		format_user(&b, &pol->user[i]);
	if (b.failed) {
		free(b.s);
		return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
	}
	*textp = b.s;
	return 0;
}

/* ---- subjects ---- */

/*
 * The value of an attribute as NUL-terminated UTF-8 (malloc'd), refusing
 * NULs, control characters and invalid UTF-8; the reason names sn.
 */
static int
string_utf8(const ASN1_STRING *s, const char *sn, const char *whose,
    char **outp)
{
	unsigned char *u = NULL;
	char *v = NULL;
	int n, r = AIRCA_ERR_INTERNAL;

	if ((n = ASN1_STRING_to_UTF8(&u, s)) < 0) {
		ERR_clear_error();
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s is not valid UTF-8 (or "
		    "not a string type)", whose, sn);
		goto out;
	}
	if (memchr(u, '\0', (size_t)n) != NULL) {
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s contains a NUL byte",
		    whose, sn);
		goto out;
	}
	switch (text_class((const char *)u, (size_t)n)) {
	case 1:
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s contains control "
		    "characters or invisible ones (bidi controls, zero-width "
		    "characters)", whose, sn);
		goto out;
	case 2:
		r = airca_errf(AIRCA_ERR_POLICY, "%s%s is not valid UTF-8",
		    whose, sn);
		goto out;
	}
	if ((v = malloc((size_t)n + 1)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(v, u, (size_t)n);
	v[n] = '\0';
	*outp = v;
	r = 0;
 out:
	OPENSSL_free(u);
	return r;
}

/* The issuer's single value of nid as UTF-8, for a match rule. */
static int
issuer_value(const X509_NAME *issuer, int nid, const char *sn, char **outp)
{
	int i;

	if (issuer == NULL)
		return airca_errf(AIRCA_ERR_POLICY, "%s: the rule is match, but "
		    "the certificate is self-signed and has no issuer", sn);
	if ((i = X509_NAME_get_index_by_NID(issuer, nid, -1)) < 0)
		return airca_errf(AIRCA_ERR_POLICY, "%s: the rule is match, but "
		    "the issuer has no %s", sn, sn);
	if (X509_NAME_get_index_by_NID(issuer, nid, i) >= 0)
		return airca_errf(AIRCA_ERR_POLICY, "%s: the rule is match, but "
		    "the issuer has %s twice", sn, sn);
	return string_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer,
	    i)), sn, "the issuer's ", outp);
}

/* The row's value of column col: NULL if absent or empty; *known if the column exists. */
static const char *
row_value(const struct policy_row *row, const char *col, bool *known)
{
	size_t i;

	*known = false;
	for (i = 0; row != NULL && i < row->n; i++) {
		if (strcmp(row->cols[i], col) != 0)
			continue;
		*known = true;
		return row->vals[i] != NULL && row->vals[i][0] != '\0' ?
		    row->vals[i] : NULL;
	}
	return NULL;
}

/* A map=COLUMN rule's value in *mvp, checked against the request's (rv). */
static int
mapped_value(const struct profile *prof, const struct subject_rule *rule,
    const char *sn, const struct policy_row *row, const char *rv,
    const char **mvp)
{
	const char *mv;
	bool known;

	if (row == NULL)
		return airca_errf(AIRCA_ERR_POLICY, "%s is mapped from manifest "
		    "column '%s' (map=%s): sign under profile %s with 'airca "
		    "batch sign --manifest FILE'", sn, rule->map, rule->map,
		    prof->name);
	mv = row_value(row, rule->map, &known);
	if (!known)
		return airca_errf(AIRCA_ERR_POLICY, "the manifest has no column "
		    "'%s', which profile %s maps into %s", rule->map,
		    prof->name, sn);
	if (rv != NULL && mv == NULL)
		return airca_errf(AIRCA_ERR_POLICY, "%s is '%s' in the request "
		    "but the manifest row has none (map=%s)", sn, rv, rule->map);
	if (rv != NULL && strcmp(rv, mv) != 0)
		return airca_errf(AIRCA_ERR_POLICY, "%s is '%s' in the request "
		    "but '%s' in the manifest row (map=%s)", sn, rv, mv,
		    rule->map);
	*mvp = mv;
	return 0;
}

int
policy_subject(const struct profile *prof, const X509_NAME *req,
    const X509_NAME *issuer, X509_NAME **outp)
{
	return policy_subject_row(prof, req, issuer, NULL, outp);
}

int
policy_subject_row(const struct profile *prof, const X509_NAME *req,
    const X509_NAME *issuer, const struct policy_row *row, X509_NAME **outp)
{
	char *vals[PROFILE_MAX_RULES] = { NULL };
	char *ival = NULL;
	const struct subject_rule *rule;
	const struct attr *a;
	const X509_NAME_ENTRY *e;
	X509_NAME *out = NULL;
	const char *sn, *v, *mv;
	size_t k, len;
	int i, n, nid, r = AIRCA_ERR_INTERNAL;
	bool generated = profile_generated(prof->id) ||
	    prof->kind != KIND_BUILTIN;

	/* the requested values of the ruled attributes, each at most once */
	n = req != NULL ? X509_NAME_entry_count(req) : 0;
	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(req, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		for (k = 0; k < prof->nrules; k++)
			if (prof->rules[k].nid == nid &&
			    prof->rules[k].presence != RULE_DROP)
				break;
		if (k == prof->nrules)
			continue;	/* not named by a rule: dropped */
		sn = OBJ_nid2sn(nid);
		if (vals[k] != NULL) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s given twice", sn);
			goto out;
		}
		if ((r = string_utf8(X509_NAME_ENTRY_get_data(e), sn, "",
		    &vals[k])) != 0)
			goto out;
	}

	if ((out = X509_NAME_new()) == NULL) {
		r = airca_errssl(AIRCA_ERR_NOMEM, "X509_NAME_new");
		goto out;
	}
	for (k = 0; k < prof->nrules; k++) {
		rule = &prof->rules[k];
		sn = OBJ_nid2sn(rule->nid);
		a = attr_by_nid(rule->nid);
		if (rule->presence == RULE_DROP || a == NULL)
			continue;
		if (rule->match) {
			free(ival);
			ival = NULL;
			if ((vals[k] != NULL || generated) && (r =
			    issuer_value(issuer, rule->nid, sn, &ival)) != 0)
				goto out;
		}
		mv = NULL;
		if (rule->map[0] != '\0' && (r = mapped_value(prof, rule, sn,
		    row, vals[k], &mv)) != 0)
			goto out;
		if ((v = rule->map[0] != '\0' ? mv : vals[k]) == NULL) {
			if (generated && rule->fixed)
				v = rule->value;
			else if (generated && rule->match)
				v = ival;
			else if (rule->has_default)
				v = rule->def;
			else if (rule->presence == RULE_SUPPLIED) {
				r = rule->map[0] != '\0' ?
				    airca_errf(AIRCA_ERR_POLICY, "%s missing: "
				    "the manifest row has no value in column "
				    "'%s' (map=%s, supplied)", sn, rule->map,
				    rule->map) :
				    airca_errf(AIRCA_ERR_POLICY, "%s missing "
				    "(supplied)", sn);
				goto out;
			} else
				continue;
		}
		len = strlen(v);
		if (len == 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is empty", sn);
			goto out;
		}
		if (len > rule->max) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is longer than %zu "
			    "bytes (max=%zu)", sn, rule->max, rule->max);
			goto out;
		}
		if (rule->fixed && strcmp(v, rule->value) != 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is '%s' but the "
			    "policy requires '%s' (fixed)", sn, v, rule->value);
			goto out;
		}
		if (rule->match && strcmp(v, ival) != 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s is '%s' but the "
			    "issuer's is '%s' (match)", sn, v, ival);
			goto out;
		}
		if (rule->has_pattern && regexec(&rule->re, v, 0, NULL, 0) != 0) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s '%s' does not match "
			    "pattern %s", sn, v, rule->value);
			goto out;
		}
		if (a->printable && !printable_string(v)) {
			r = airca_errf(AIRCA_ERR_POLICY, "%s '%s' has characters "
			    "a PrintableString cannot hold", sn, v);
			goto out;
		}
		if (!X509_NAME_add_entry_by_NID(out, rule->nid, a->printable ?
		    V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
		    (const unsigned char *)v, (int)len, -1, 0)) {
			r = airca_errssl(AIRCA_ERR_CRYPTO, "cannot add %s", sn);
			goto out;
		}
	}
	*outp = out;
	out = NULL;
	r = 0;
 out:
	for (k = 0; k < PROFILE_MAX_RULES; k++)
		free(vals[k]);
	free(ival);
	X509_NAME_free(out);
	return r;
}

int
policy_dropped(const struct profile *prof, const X509_NAME *req, char *buf,
    size_t len)
{
	const char *sn;
	size_t k, used = 0, n;
	int i, nid, count = 0;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; req != NULL && i < X509_NAME_entry_count(req); i++) {
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(
		    X509_NAME_get_entry(req, i)));
		for (k = 0; k < prof->nrules; k++)
			if (prof->rules[k].nid == nid &&
			    prof->rules[k].presence != RULE_DROP)
				break;
		if (k < prof->nrules)
			continue;
		/* a name the policy knows, or the OID in dotted form */
		sn = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown attribute";
		n = strlen(sn) + (count > 0 ? 2 : 0);
		if (used + n + 1 < len) {
			snprintf(buf + used, len - used, "%s%s",
			    count > 0 ? ", " : "", sn);
			used += n;
		}
		count++;
	}
	return count;
}

/* ---- SAN DNS names ---- */

static int
dns_check(const struct profile *prof, size_t idx, const char *name)
{
	const char *p = name, *label, *dot;
	size_t len = strlen(name), llen;
	bool digits;

	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return airca_errf(AIRCA_ERR_POLICY, "DNS name #%zu has "
			    "a space, control or non-ASCII byte", idx + 1);
	if (len == 0)
		return airca_errf(AIRCA_ERR_POLICY, "DNS name #%zu is empty",
		    idx + 1);
	if (len > DNS_MAX_NAME)
		return airca_errf(AIRCA_ERR_POLICY, "DNS name #%zu is longer "
		    "than %d bytes", idx + 1, DNS_MAX_NAME);
	p = name;
	if (strncmp(p, "*.", 2) == 0) {
		if (prof->id != PROFILE_TLS)
			return airca_errf(AIRCA_ERR_POLICY, "DNS name '%s': "
			    "profile %s takes no wildcard", name, prof->name);
		p += 2;
		if (strchr(p, '.') == NULL)
			return airca_errf(AIRCA_ERR_POLICY, "DNS name '%s': a "
			    "wildcard needs at least two labels after '*.'",
			    name);
	}
	for (label = p;; label = dot + 1) {
		if ((dot = strchr(label, '.')) == NULL)
			dot = label + strlen(label);
		llen = (size_t)(dot - label);
		if (llen == 0)
			return airca_errf(AIRCA_ERR_POLICY, "DNS name '%s' has "
			    "an empty label", name);
		if (llen > DNS_MAX_LABEL)
			return airca_errf(AIRCA_ERR_POLICY, "DNS name '%s' has "
			    "a label longer than %d bytes", name, DNS_MAX_LABEL);
		if (label[0] == '-' || label[llen - 1] == '-')
			return airca_errf(AIRCA_ERR_POLICY, "DNS name '%s' has "
			    "a label that starts or ends with '-'", name);
		digits = true;
		for (p = label; p < dot; p++) {
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-'))
				return airca_errf(AIRCA_ERR_POLICY, "DNS name "
				    "'%s' has '%c': letters, digits, '-' and "
				    "'.' only", name, *p);
			if (*p < '0' || *p > '9')
				digits = false;
		}
		if (*dot == '\0')
			break;
	}
	/* no top-level domain is all digits: that is an IP address */
	if (digits)
		return airca_errf(AIRCA_ERR_POLICY, "DNS name '%s' looks like "
		    "an IP address", name);
	return 0;
}

int
policy_dns(const struct profile *prof, char *const *names, size_t n)
{
	size_t i, j;
	int r;

	if (prof->san == SAN_NONE)
		return 0;	/* the profile takes no SAN: requested ones ignored */
	if (n == 0)
		return airca_errf(AIRCA_ERR_POLICY, "profile %s needs at least "
		    "one DNS name in the request's subjectAltName", prof->name);
	if (prof->san == SAN_DNS_ONE && n != 1)
		return airca_errf(AIRCA_ERR_POLICY, "profile %s takes exactly "
		    "one DNS name, the request has %zu", prof->name, n);
	if (n > CSR_MAX_DNS)
		return airca_errf(AIRCA_ERR_POLICY, "%zu DNS names: at most %d",
		    n, CSR_MAX_DNS);
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			return airca_errf(AIRCA_ERR_INTERNAL, "DNS name #%zu "
			    "is NULL", i + 1);
		if ((r = dns_check(prof, i, names[i])) != 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcasecmp(names[i], names[j]) == 0)
				return airca_errf(AIRCA_ERR_POLICY, "DNS name "
				    "'%s' given twice", names[i]);
	}
	return 0;
}

/* ---- SAN rules of user-defined profiles ---- */

void
san_ip_str(const struct san_ip *ip, char *buf, size_t len)
{
	if (ip->len == 4 || ip->len == 16) {
		if (inet_ntop(ip->len == 4 ? AF_INET : AF_INET6, ip->addr, buf,
		    (socklen_t)len) != NULL)
			return;
	}
	snprintf(buf, len, "(an address of %zu bytes)", ip->len);
}

/* A URI: scheme ":" rest, printable ASCII without spaces, at most 255 bytes. */
static int
uri_check(size_t idx, const char *u)
{
	size_t n = strlen(u), i;
	const char *colon = strchr(u, ':');

	if (n == 0 || n > 255)
		return airca_errf(AIRCA_ERR_POLICY, "URI #%zu is empty or longer "
		    "than 255 bytes", idx + 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return airca_errf(AIRCA_ERR_POLICY, "URI #%zu has a space, "
			    "control or non-ASCII byte", idx + 1);
	if (colon == NULL || colon == u || colon[1] == '\0' ||
	    !isalpha((unsigned char)u[0]))
		return airca_errf(AIRCA_ERR_POLICY, "URI '%s' has no scheme "
		    "(scheme:rest, RFC 3986)", u);
	for (i = 1; u + i < colon; i++)
		if (!isalnum((unsigned char)u[i]) && strchr("+.-", u[i]) == NULL)
			return airca_errf(AIRCA_ERR_POLICY, "URI '%s' has a bad "
			    "scheme", u);
	return 0;
}

static int
san_count(const struct profile *prof, int t, size_t n, const char *what)
{
	if (prof->san_rule[t] == RULE_SUPPLIED && n == 0)
		return airca_errf(AIRCA_ERR_POLICY, "profile %s needs at least "
		    "one %s in the request's subjectAltName (%s = required)",
		    prof->name, what, san_type_names[t]);
	if (n > CSR_MAX_DNS)
		return airca_errf(AIRCA_ERR_POLICY, "%zu %ss: at most %d", n,
		    what, CSR_MAX_DNS);
	return 0;
}

int
policy_san(const struct profile *prof, char *const *dns, size_t ndns,
    const struct san_ip *ip, size_t nip, char *const *uri, size_t nuri,
    bool bad_ip, bool bad_uri)
{
	char a[64];
	size_t i, j;
	int r;

	if (prof->kind == KIND_BUILTIN)
		return policy_dns(prof, dns, ndns);
	if (prof->san_rule[0] != RULE_DROP) {
		if ((r = san_count(prof, 0, ndns, "DNS name")) != 0)
			return r;
		for (i = 0; i < ndns; i++) {
			if ((r = dns_check(prof, i, dns[i])) != 0)
				return r;
			for (j = 0; j < i; j++)
				if (strcasecmp(dns[i], dns[j]) == 0)
					return airca_errf(AIRCA_ERR_POLICY,
					    "DNS name '%s' given twice", dns[i]);
		}
	}
	if (prof->san_rule[1] != RULE_DROP) {
		if (bad_ip)
			return airca_errf(AIRCA_ERR_POLICY, "an IP address in "
			    "the request's subjectAltName is neither 4 (IPv4) "
			    "nor 16 (IPv6) bytes");
		if ((r = san_count(prof, 1, nip, "IP address")) != 0)
			return r;
		for (i = 0; i < nip; i++) {
			if (ip[i].len != 4 && ip[i].len != 16)
				return airca_errf(AIRCA_ERR_POLICY, "IP address "
				    "#%zu is neither 4 nor 16 bytes", i + 1);
			for (j = 0; j < i; j++)
				if (ip[i].len == ip[j].len && memcmp(ip[i].addr,
				    ip[j].addr, ip[i].len) == 0) {
					san_ip_str(&ip[i], a, sizeof(a));
					return airca_errf(AIRCA_ERR_POLICY, "IP "
					    "address %s given twice", a);
				}
		}
	}
	if (prof->san_rule[2] != RULE_DROP) {
		if (bad_uri)
			return airca_errf(AIRCA_ERR_POLICY, "a URI in the "
			    "request's subjectAltName is not a printable "
			    "IA5String of 1..255 bytes");
		if ((r = san_count(prof, 2, nuri, "URI")) != 0)
			return r;
		for (i = 0; i < nuri; i++) {
			if ((r = uri_check(i, uri[i])) != 0)
				return r;
			for (j = 0; j < i; j++)
				if (strcmp(uri[i], uri[j]) == 0)
					return airca_errf(AIRCA_ERR_POLICY, "URI "
					    "'%s' given twice", uri[i]);
		}
	}
	return 0;
}
