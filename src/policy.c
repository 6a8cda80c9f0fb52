/*
 * policy.c: the built-in certificate profiles (docs/profiles.md) and what the
 * other policy files share: the subject attributes a rule may name, their
 * lookups, PrintableString and anchored patterns.  The policy file is read
 * in policy-file.c, its built-in sections judged in policy-tighten.c, its
 * user-defined profiles and their kinds in policy-user.c; subjects in
 * policy-subject.c, SANs in policy-san.c.
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

const char *const policy_profile_names[PROFILE_COUNT] = {
	[PROFILE_ROOT] = "root",
	[PROFILE_TLS] = "tls",
	[PROFILE_EST_TLS] = "est-tls",
	[PROFILE_ONLINE_CA] = "online-ca",
	[PROFILE_DEVICE_CA] = "device-ca",
	[PROFILE_DEVICE] = "device",
	[PROFILE_AUDIT] = "audit",
};

/* Subject attributes a rule may name (policy-int.h says what they carry). */
const struct attr policy_attrs[] = {
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
#define NATTRS	(sizeof(policy_attrs) / sizeof(policy_attrs[0]))

const char *const policy_san_type_names[3] = {
	"san_dns", "san_ip", "san_uri"
};

static const char device_ca_cn_pattern[] = "^fio-[A-Za-z0-9._-]{1,60}$";
static const char device_cn_pattern[] =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

const struct attr *
policy_attr_by_nid(int nid)
{
	size_t i;

	for (i = 0; i < NATTRS; i++)
		if (policy_attrs[i].nid == nid)
			return &policy_attrs[i];
	return NULL;
}

const struct attr *
policy_attr_by_key(const char *key)
{
	size_t i;

	for (i = 0; i < NATTRS; i++)
		if (strcmp(policy_attrs[i].key, key) == 0)
			return &policy_attrs[i];
	return NULL;
}

/* The characters of ASN.1 PrintableString. */
bool
policy_printable(const char *s)
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
int
policy_pattern_compile(const char *src, regex_t *re, char *err, size_t errlen)
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
	if (policy_pattern_compile(src, &r->re, err, sizeof(err)) != 0)
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
		snprintf(p->name, sizeof(p->name), "%s",
		    policy_profile_names[i]);
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
