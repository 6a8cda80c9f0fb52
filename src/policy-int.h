/*
 * policy-int.h: inside the policy files only (policy.c, policy-file.c,
 * policy-tighten.c, policy-user.c, policy-subject.c, policy-san.c): the
 * subject attribute table, the policy reader's state and the helpers those
 * files share.  Nothing else includes it; the interface is policy.h.
 */
#ifndef AIRCA_POLICY_INT_H
#define AIRCA_POLICY_INT_H

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"

#define ERRLEN			512

/*
 * Subject attributes a rule may name, with the upper bounds of RFC 5280
 * Appendix A.  countryName and serialNumber are PrintableString in X.520
 * and RFC 5280; every other attribute is written as UTF8String.
 */
struct attr {
	const char *key;
	int	nid;
	size_t	ub;
	bool	printable;
};

/* The attributes, in the order of their bits in seen[] (policy.c). */
extern const struct attr policy_attrs[];
/* The names of the built-in profiles, by enum profile_id. */
extern const char *const policy_profile_names[PROFILE_COUNT];
/* "san_dns", "san_ip", "san_uri": a user profile's SAN keys, by SAN_T_* bit. */
extern const char *const policy_san_type_names[3];

/* The attribute of nid, or of key ("CN", ...); NULL if no rule may name it. */
const struct attr *policy_attr_by_nid(int nid);
const struct attr *policy_attr_by_key(const char *key);
/* Are s's characters all of ASN.1 PrintableString? */
bool	policy_printable(const char *s);
/*
 * Compile src (POSIX ERE, written as ^...$) into re, anchored as a whole
 * so that an alternation cannot escape the anchors.  0, or -1 with the
 * reason in err; re needs regfree() only on success.
 */
int	policy_pattern_compile(const char *src, regex_t *re, char *err,
	    size_t errlen);

/* ---- the policy file's reader (policy-file.c) ---- */

/* A user-defined profile as the first passes see it. */
struct user_pre {
	char	name[PROFILE_NAME_MAX + 1];
	size_t	line;			/* its [profile NAME] header */
	int	kind;			/* pass 1: -1 until kind = */
	char	issuer[65];		/* pass 1: "root" unless issuer = */
	unsigned seen;			/* pass 2: user_keys[], policy_attrs[] */
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
	unsigned seen[PROFILE_COUNT];	/* profile_keys[], policy_attrs[] */
	char	err[ERRLEN];		/* the handler's reason; line from inih */
};

/*
 * A handler's refusal: the reason in c->err, and 0 for inih (stop here,
 * report this line).  Inline so that each file of the reader refuses the
 * same way under the same short name.
 */
static inline int
fail(struct load_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline int
fail(struct load_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return 0;	/* inih: stop here, report this line */
}

/* The terms of one attribute rule (CN = supplied, max=64, pattern=...). */
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

/* Decimal in min..max, digits only. */
bool	policy_parse_uint(const char *s, unsigned long min, unsigned long max,
	    unsigned long *out);
/* yes or no. */
bool	policy_parse_bool(const char *s, bool *out);
/*
 * The terms of key's rule v into *t (fixed and match, fixed and pattern
 * exclude each other); 1, or fail()'s 0 with the reason.
 */
int	policy_parse_terms(struct load_ctx *c, const char *key, const char *v,
	    struct rule_terms *t);

/* ---- built-in profiles' sections (policy-tighten.c) ---- */

/* Is name one of the keys that would set an extension? */
bool	policy_extension_key(const char *name);
/* One key of [profile NAME] of built-in profile id: 1, or fail()'s 0. */
int	policy_profile_key(struct load_ctx *c, enum profile_id id,
	    const char *name, const char *value);

/* ---- user-defined profiles and their kinds (policy-user.c) ---- */

/* The kind named s ("server", ...), or -1. */
int	policy_kind_parse(const char *s);
/* 1..15 of [a-z0-9-], starting with a letter, not a built-in name. */
bool	policy_user_name_ok(const char *s);
/* The user profile of section "profile NAME", or -1. */
int	policy_user_index(const struct load_ctx *c, const char *section);
/* One key of user profile u's section: 1, or fail()'s 0. */
int	policy_user_key(struct load_ctx *c, size_t u, const char *name,
	    const char *value);
/* After pass 1: each user profile set up with what its kind fixes. */
void	policy_user_setup(struct load_ctx *c);
/* After pass 2: what a user profile must have, refused at its header. */
int	policy_user_finish(struct load_ctx *c);

#endif
