/*
 * policy-user.c: user-defined profiles ([profile NAME] of a new name): the
 * kinds and the vetted basicConstraints, keyUsage, extendedKeyUsage and SAN
 * types each fixes, and the keys of such a section, each judged against its
 * kind.
 */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "policy.h"
#include "policy-int.h"
#include "util.h"

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

int
policy_kind_parse(const char *s)
{
	int i;

	for (i = KIND_BUILTIN + 1; i < KIND_COUNT; i++)
		if (strcmp(s, kinds[i].name) == 0)
			return i;
	return -1;
}

/* 1..15 of [a-z0-9-], starting with a letter, not a built-in name. */
bool
policy_user_name_ok(const char *s)
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
int
policy_user_index(const struct load_ctx *c, const char *section)
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
	if (a->printable && !policy_printable(v))
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

	if (!policy_parse_terms(c, a->key, value, &t))
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
		if (policy_pattern_compile(t.source, &r->re, err,
		    sizeof(err)) != 0)
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

int
policy_user_key(struct load_ctx *c, size_t u, const char *name,
    const char *value)
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
	if (policy_extension_key(name)) {
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
	else if ((a = policy_attr_by_key(name)) != NULL)
		bit = NUSER_KEYS + (unsigned)(a - policy_attrs);
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
		if (!policy_parse_uint(value, 1, 36500, &v))
			return fail(c, "days = %.32s: a number of days "
			    "(1..36500) or unlimited", value);
		prof->days = (unsigned)v;
	} else if (strcmp(name, "min_rsa_bits") == 0) {
		if (!policy_parse_uint(value, 2048, 8192, &v))
			return fail(c, "min_rsa_bits = %.32s: 2048..8192",
			    value);
		prof->min_rsa_bits = (unsigned)v;
	} else if (strcmp(name, "allow_rsa") == 0 ||
	    strcmp(name, "allow_p384") == 0) {
		if (!policy_parse_bool(value, &b))
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
void
policy_user_setup(struct load_ctx *c)
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
int
policy_user_finish(struct load_ctx *c)
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
