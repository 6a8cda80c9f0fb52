/*
 * policy-tighten.c: a [profile NAME] section of a built-in profile: each
 * setting judged against the built-in default it may only tighten (shorter
 * days, stricter presence, shorter max, a pattern, a larger RSA size), and
 * the extensions no policy file may set.
 */
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "policy-int.h"
#include "util.h"

/* Keys of a [profile NAME] section besides the attributes; bit i of seen[]. */
static const char *const profile_keys[] = {
	"days", "min_rsa_bits", "allow_rsa", "allow_p384",
};
#define NPROFILE_KEYS	(sizeof(profile_keys) / sizeof(profile_keys[0]))

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

	if (!policy_parse_terms(c, a->key, value, &t))
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
		if (a->printable && !policy_printable(fixedval))
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
		if (policy_pattern_compile(t.source, &re, err,
		    sizeof(err)) != 0)
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
		if (policy_pattern_compile(source, &r->re, err,
		    sizeof(err)) != 0)
			return fail(c, "%s: %s", a->key, err);
		snprintf(r->value, sizeof(r->value), "%s", source);
		r->has_pattern = true;
	} else if (!has_pattern)
		r->value[0] = '\0';
	return 1;
}

/* Is name one of the keys that would set an extension? */
bool
policy_extension_key(const char *name)
{
	size_t i;

	for (i = 0; i < NEXTENSION_KEYS; i++)
		if (strcasecmp(name, extension_keys[i]) == 0)
			return true;
	return false;
}

int
policy_profile_key(struct load_ctx *c, enum profile_id id, const char *name,
    const char *value)
{
	struct profile *prof = &c->pol->profiles[id];
	const struct profile *defp = &c->def.profiles[id];
	const struct attr *a;
	unsigned long v;
	unsigned bit;
	size_t i;
	bool b;

	if (policy_extension_key(name))
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
	} else if ((a = policy_attr_by_key(name)) != NULL)
		bit = NPROFILE_KEYS + (unsigned)(a - policy_attrs);
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
		if (!policy_parse_uint(value, 1, 100000, &v))
			return fail(c, "days = %.32s: a number of days", value);
		if (v > defp->days)
			return fail(c, "days = %lu would loosen the default %u: "
			    "the policy may only shorten it", v, defp->days);
		prof->days = (unsigned)v;
	} else if (strcmp(name, "min_rsa_bits") == 0) {
		if (!policy_parse_uint(value, 1, 16384, &v))
			return fail(c, "min_rsa_bits = %.32s: a number of bits",
			    value);
		if (v < defp->min_rsa_bits || v > 8192)
			return fail(c, "min_rsa_bits = %lu: %u..8192 (the "
			    "policy may only raise it)", v, defp->min_rsa_bits);
		prof->min_rsa_bits = (unsigned)v;
	} else {
		bool def = strcmp(name, "allow_rsa") == 0 ? defp->allow_rsa :
		    defp->allow_p384;

		if (!policy_parse_bool(value, &b))
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
