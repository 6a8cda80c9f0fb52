/*
 * policy-san.c: the subjectAltName rules: DNS names of the built-in
 * profiles, and the DNS names, IP addresses and URIs of user-defined ones.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "csr.h"
#include "error.h"
#include "policy.h"
#include "policy-int.h"

#define DNS_MAX_NAME		253
#define DNS_MAX_LABEL		63

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
		    prof->name, what, policy_san_type_names[t]);
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
