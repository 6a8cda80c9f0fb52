/* test-policy.c: default profiles, the policy file (tighten only), subject and SAN rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "error.h"
#include "csr.h"
#include "policy.h"

static char tmpdir[] = "/tmp/airca-test-policy.XXXXXX";
static int nfile;

/* Write text to a fresh file; the path is static until the next call. */
static const char *
write_policy(const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p%d.ini", tmpdir, nfile++);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

#define HEAD "[policy]\nversion = 1\nfactory = acme\n"

/* Load text expecting code and a reason containing needle (":LINE: ..."). */
static int
load_text(const char *text, struct policy *pol)
{
	return policy_load(write_policy(text), pol);
}

#define CHECK_LOAD_FAILS(text, needle) do {				\
	struct policy p_;						\
	CHECK_ERR(load_text((text), &p_), AIRCA_ERR_INPUT, (needle));	\
} while (0)

static X509_NAME *
mkname(const char *first, ...)
{
	X509_NAME *n = X509_NAME_new();
	const char *field, *value;
	va_list ap;

	va_start(ap, first);
	for (field = first; field != NULL; field = va_arg(ap, const char *)) {
		value = va_arg(ap, const char *);
		X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8,
		    (const unsigned char *)value, -1, -1, 0);
	}
	va_end(ap);
	return n;
}

/* A name entry with an explicit string type and raw bytes. */
static void
add_raw(X509_NAME *n, int nid, int type, const void *bytes, int len)
{
	CHECK(X509_NAME_add_entry_by_NID(n, nid, type, (const unsigned char *)
	    bytes, len, -1, 0) == 1);
}

static const char *
entry_value(const X509_NAME *n, int i, int *typep, int *nidp)
{
	const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
	static char buf[300];
	const ASN1_STRING *s;

	if (e == NULL)
		return "(none)";
	s = X509_NAME_ENTRY_get_data(e);
	*typep = ASN1_STRING_type(s);
	*nidp = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
	snprintf(buf, sizeof(buf), "%.*s", ASN1_STRING_length(s),
	    (const char *)ASN1_STRING_get0_data(s));
	return buf;
}

static void
check_entry(const X509_NAME *n, int i, int nid, const char *value)
{
	int type = -1, got = -1;

	CHECK_STR(entry_value(n, i, &type, &got), value);
	CHECK(got == nid);
	CHECK(type == V_ASN1_UTF8STRING);
}

static void
test_defaults(void)
{
	struct policy pol;
	const struct profile *p;

	CHECK_ERR(policy_default("", &pol), AIRCA_ERR_INPUT, "factory");
	CHECK_ERR(policy_default("a/b", &pol), AIRCA_ERR_INPUT, "factory");
	CHECK_ERR(policy_default("a,b", &pol), AIRCA_ERR_INPUT, "factory");
	CHECK(policy_default("acme", &pol) == 0);
	CHECK(pol.version == 1);
	CHECK_STR(pol.factory, "acme");
	CHECK(pol.ca_key == KEY_EC_P256);
	CHECK(!pol.allow_renewal);
	CHECK(pol.crl_next_update_minutes == 15);
	CHECK(policy_profile(&pol, "nope") == NULL);

	p = policy_profile(&pol, "root");
	CHECK(p != NULL && p->id == PROFILE_ROOT && p->issuer == PROFILE_ROOT);
	CHECK(p->ca && p->pathlen == -1);
	CHECK(p->key_usage == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
	CHECK(p->eku == (EKU_SERVER | EKU_CLIENT) && p->san == SAN_NONE);
	CHECK(p->days == 7300 && p->nrules == 2);
	CHECK(p->rules[0].nid == NID_commonName && p->rules[0].fixed);
	CHECK_STR(p->rules[0].value, "Factory-CA");
	CHECK(p->rules[1].nid == NID_organizationalUnitName && p->rules[1].fixed);
	CHECK_STR(p->rules[1].value, "acme");

	p = policy_profile(&pol, "tls");
	CHECK(!p->ca && p->key_usage == KU_DIGITAL_SIGNATURE);
	CHECK(p->eku == EKU_SERVER && p->san == SAN_DNS_SOME && p->days == 3650);
	CHECK(p->rules[0].presence == RULE_SUPPLIED && !p->rules[0].fixed);
	CHECK(p->rules[1].presence == RULE_OPTIONAL && p->rules[1].fixed);

	p = policy_profile(&pol, "est-tls");
	CHECK(!p->ca && p->eku == EKU_SERVER && p->san == SAN_DNS_ONE);

	p = policy_profile(&pol, "online-ca");
	CHECK(p->ca && p->pathlen == 0 && p->key_usage == KU_KEY_CERT_SIGN);
	CHECK(p->eku == 0 && p->san == SAN_NONE && p->days == 3650);
	CHECK(p->rules[1].presence == RULE_SUPPLIED && p->rules[1].fixed);

	p = policy_profile(&pol, "device-ca");
	CHECK(p->ca && p->pathlen == 0);
	CHECK(p->key_usage == (KU_KEY_CERT_SIGN | KU_CRL_SIGN) && p->eku == 0);
	CHECK(p->rules[0].has_pattern);
	CHECK_STR(p->rules[0].value, "^fio-[A-Za-z0-9._-]{1,60}$");

	p = policy_profile(&pol, "device");
	CHECK(p->issuer == PROFILE_DEVICE_CA && !p->ca);
	CHECK(p->key_usage == KU_DIGITAL_SIGNATURE && p->eku == EKU_CLIENT);
	CHECK(p->rules[0].has_pattern && p->rules[1].fixed &&
	    p->rules[1].presence == RULE_SUPPLIED);

	p = policy_profile(&pol, "audit");
	CHECK(!p->ca && p->key_usage == KU_DIGITAL_SIGNATURE &&
	    p->eku == EKU_DOCSIGN);
	CHECK(p->days == 7300);
	CHECK_STR(p->rules[0].value, "airca audit");
	for (int i = 0; i < PROFILE_COUNT; i++) {
		CHECK(pol.profiles[i].min_rsa_bits == 2048);
		CHECK(pol.profiles[i].allow_rsa && pol.profiles[i].allow_p384);
	}
	policy_free(&pol);
}

static void
test_subject(void)
{
	struct policy pol;
	const struct profile *tls, *dev, *devca, *root, *audit, *online;
	X509_NAME *req, *out = NULL, *iss;
	unsigned char bmp[] = { 0, 'w', 0, 'w', 0, 'w', 0, '.', 0, 0xe9 };
	char longcn[80];

	CHECK(policy_default("acme", &pol) == 0);
	tls = policy_profile(&pol, "tls");
	dev = policy_profile(&pol, "device");
	devca = policy_profile(&pol, "device-ca");
	root = policy_profile(&pol, "root");
	audit = policy_profile(&pol, "audit");
	online = policy_profile(&pol, "online-ca");
	iss = mkname("CN", "fio-42", "OU", "acme", NULL);

	/* order CN, OU; other attributes dropped; UTF8String out */
	req = X509_NAME_new();
	add_raw(req, NID_organizationName, V_ASN1_PRINTABLESTRING, "Evil", 4);
	add_raw(req, NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
	    "acme", 4);
	add_raw(req, NID_commonName, V_ASN1_PRINTABLESTRING, "api.example.com",
	    15);
	CHECK(policy_subject(tls, req, iss, &out) == 0);
	CHECK(X509_NAME_entry_count(out) == 2);
	check_entry(out, 0, NID_commonName, "api.example.com");
	check_entry(out, 1, NID_organizationalUnitName, "acme");
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);

	/* tls: OU optional */
	req = mkname("CN", "api.example.com", NULL);
	CHECK(policy_subject(tls, req, iss, &out) == 0);
	CHECK(X509_NAME_entry_count(out) == 1);
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);

	/* BMPString converted to UTF-8 */
	req = X509_NAME_new();
	add_raw(req, NID_commonName, V_ASN1_BMPSTRING, bmp, sizeof(bmp));
	CHECK(policy_subject(tls, req, iss, &out) == 0);
	check_entry(out, 0, NID_commonName, "www.\xc3\xa9");
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);

	req = mkname("CN", "api", "OU", "evil", NULL);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "OU is 'evil' but the policy requires 'acme' (fixed)");
	X509_NAME_free(req);

	req = mkname("OU", "acme", NULL);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN missing (supplied)");
	CHECK_ERR(policy_subject(tls, NULL, iss, &out), AIRCA_ERR_POLICY,
	    "CN missing (supplied)");
	X509_NAME_free(req);

	memset(longcn, 'a', 65);
	longcn[65] = '\0';
	req = X509_NAME_new();
	add_raw(req, NID_commonName, V_ASN1_UTF8STRING, longcn, 65);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN is longer than 64 bytes (max=64)");
	X509_NAME_free(req);

	req = mkname("CN", "a\x01" "b", NULL);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN contains control characters");
	X509_NAME_free(req);

	/* a right-to-left override would let a CN read differently on screen */
	req = mkname("CN", "a\xe2\x80\xae" "b", NULL);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN contains control characters");
	X509_NAME_free(req);

	req = X509_NAME_new();
	add_raw(req, NID_commonName, V_ASN1_UTF8STRING, "ab\0cd", 5);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN contains a NUL byte");
	X509_NAME_free(req);

	req = X509_NAME_new();
	add_raw(req, NID_commonName, V_ASN1_UTF8STRING, "ab\xff", 3);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN is not valid UTF-8");
	X509_NAME_free(req);

	req = X509_NAME_new();
	add_raw(req, NID_commonName, V_ASN1_UTF8STRING, "\xc0\xaf", 2);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN is not valid UTF-8");
	X509_NAME_free(req);

	req = mkname("CN", "a", "CN", "b", NULL);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN given twice");
	X509_NAME_free(req);

	req = X509_NAME_new();
	add_raw(req, NID_commonName, V_ASN1_UTF8STRING, "", 0);
	CHECK_ERR(policy_subject(tls, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN is empty");
	X509_NAME_free(req);

	/* device: lower-case UUID, OU must be present */
	req = mkname("CN", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "OU", "acme",
	    "L", "Somewhere", NULL);
	CHECK(policy_subject(dev, req, iss, &out) == 0);
	CHECK(X509_NAME_entry_count(out) == 2);
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);
	req = mkname("CN", "0F8E2B1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B", "OU", "acme",
	    NULL);
	/* lmp-device-register accepts upper-case UUIDs ([a-fA-F0-9]) */
	CHECK(policy_subject(dev, req, iss, &out) == 0);
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);
	req = mkname("CN", "0G8E2B1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B", "OU", "acme",
	    NULL);
	CHECK_ERR(policy_subject(dev, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN '0G8E2B1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B' does not match pattern "
	    "^[0-9a-fA-F]{8}-");
	X509_NAME_free(req);
	req = mkname("CN", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", NULL);
	CHECK_ERR(policy_subject(dev, req, iss, &out), AIRCA_ERR_POLICY,
	    "OU missing (supplied)");
	X509_NAME_free(req);
	/* the anchors hold around an alternation-free pattern with a suffix */
	req = mkname("CN", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5bX", "OU",
	    "acme", NULL);
	CHECK_ERR(policy_subject(dev, req, iss, &out), AIRCA_ERR_POLICY,
	    "does not match pattern");
	X509_NAME_free(req);

	/* online-ca: the API's ca-csr carries OU = factory */
	req = mkname("CN", "online-ca", NULL);
	CHECK_ERR(policy_subject(online, req, iss, &out), AIRCA_ERR_POLICY,
	    "OU missing (supplied)");
	X509_NAME_free(req);

	/* generated profiles: fixed values always in the output */
	CHECK(policy_subject(root, NULL, NULL, &out) == 0);
	check_entry(out, 0, NID_commonName, "Factory-CA");
	check_entry(out, 1, NID_organizationalUnitName, "acme");
	X509_NAME_free(out);
	out = NULL;
	CHECK(policy_subject(audit, NULL, iss, &out) == 0);
	check_entry(out, 0, NID_commonName, "airca audit");
	check_entry(out, 1, NID_organizationalUnitName, "acme");
	X509_NAME_free(out);
	out = NULL;
	req = mkname("CN", "fio-user.42_x", NULL);
	CHECK(policy_subject(devca, req, iss, &out) == 0);
	check_entry(out, 0, NID_commonName, "fio-user.42_x");
	check_entry(out, 1, NID_organizationalUnitName, "acme");
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);
	req = mkname("CN", "fio-", NULL);
	CHECK_ERR(policy_subject(devca, req, iss, &out), AIRCA_ERR_POLICY,
	    "CN 'fio-' does not match pattern ^fio-");
	X509_NAME_free(req);
	req = mkname("CN", "fio-a/b", NULL);
	CHECK_ERR(policy_subject(devca, req, iss, &out), AIRCA_ERR_POLICY,
	    "does not match pattern");
	X509_NAME_free(req);
	req = mkname("CN", "fio-a", "OU", "other", NULL);
	CHECK_ERR(policy_subject(devca, req, iss, &out), AIRCA_ERR_POLICY,
	    "OU is 'other' but the policy requires 'acme' (fixed)");
	X509_NAME_free(req);
	CHECK(out == NULL);

	X509_NAME_free(iss);
	policy_free(&pol);
}

static void
test_match(void)
{
	struct policy pol;
	X509_NAME *req, *iss, *out = NULL;
	const struct profile *dev;

	CHECK(load_text(HEAD "[profile device]\nO = match, optional, max=64\n"
	    "[profile root]\nO = match, optional, max=64\n", &pol) == 0);
	dev = policy_profile(&pol, "device");
	CHECK(dev->nrules == 4 && dev->rules[3].match);
	iss = mkname("CN", "fio-1", "OU", "acme", "O", "Acme Inc", NULL);

	req = mkname("CN", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "OU", "acme",
	    "O", "Acme Inc", NULL);
	CHECK(policy_subject(dev, req, iss, &out) == 0);
	CHECK(X509_NAME_entry_count(out) == 3);
	check_entry(out, 2, NID_organizationName, "Acme Inc");
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);

	req = mkname("CN", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "OU", "acme",
	    "O", "Other", NULL);
	CHECK_ERR(policy_subject(dev, req, iss, &out), AIRCA_ERR_POLICY,
	    "O is 'Other' but the issuer's is 'Acme Inc' (match)");
	X509_NAME_free(req);

	/* optional and absent: left out */
	req = mkname("CN", "0f8e2b1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "OU", "acme",
	    NULL);
	CHECK(policy_subject(dev, req, iss, &out) == 0);
	CHECK(X509_NAME_entry_count(out) == 2);
	X509_NAME_free(out);
	out = NULL;
	X509_NAME_free(req);

	/* self-signed: nothing to match */
	CHECK_ERR(policy_subject(policy_profile(&pol, "root"), NULL, NULL, &out),
	    AIRCA_ERR_POLICY, "O: the rule is match, but the certificate is "
	    "self-signed");
	X509_NAME_free(iss);
	policy_free(&pol);
}

static void
test_dns(void)
{
	struct policy pol;
	const struct profile *tls, *est, *dev;
	char label64[80], long254[300];
	char *ok[] = { "api.example.com", "*.example.com", "x-1.Example.org" };
	char *wild[] = { "*.example.com" };
	char *dup[] = { "a.example.com", "A.Example.com" };
	char *bad[1];

	CHECK(policy_default("acme", &pol) == 0);
	tls = policy_profile(&pol, "tls");
	est = policy_profile(&pol, "est-tls");
	dev = policy_profile(&pol, "device");

	CHECK(policy_dns(tls, ok, 3) == 0);
	CHECK(policy_dns(dev, ok, 3) == 0);	/* SAN_NONE: ignored */
	CHECK_ERR(policy_dns(tls, ok, 0), AIRCA_ERR_POLICY,
	    "needs at least one DNS name");
	CHECK(policy_dns(est, ok, 1) == 0);
	CHECK_ERR(policy_dns(est, ok, 2), AIRCA_ERR_POLICY,
	    "takes exactly one DNS name, the request has 2");
	CHECK_ERR(policy_dns(est, wild, 1), AIRCA_ERR_POLICY,
	    "takes no wildcard");
	CHECK_ERR(policy_dns(tls, dup, 2), AIRCA_ERR_POLICY, "given twice");

#define BAD(name, needle) do {						\
	bad[0] = (name);						\
	CHECK_ERR(policy_dns(tls, bad, 1), AIRCA_ERR_POLICY, (needle));	\
} while (0)
	BAD("", "is empty");
	BAD("-a.example.com", "starts or ends with '-'");
	BAD("a-.example.com", "starts or ends with '-'");
	BAD("a..example.com", "empty label");
	BAD("example.com.", "empty label");
	BAD("a_b.example.com", "has '_'");
	BAD("a b.example.com", "space, control or non-ASCII");
	BAD("caf\xc3\xa9.example", "non-ASCII");
	BAD("*.com", "at least two labels");
	BAD("a.*.example.com", "has '*'");
	BAD("**.example.com", "has '*'");
	BAD("10.0.0.1", "looks like an IP address");
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".com");
	BAD(label64, "longer than 63 bytes");
	memset(long254, 0, sizeof(long254));
	for (int i = 0; i < 254; i++)
		long254[i] = i % 2 ? '.' : 'a';
	long254[253] = 'b';
	BAD(long254, "longer than 253 bytes");
#undef BAD
	policy_free(&pol);
}

/* Two policies are the same (regexes compared by their source). */
static bool
policy_equal(const struct policy *a, const struct policy *b)
{
	size_t i, k;

	if (a->version != b->version || strcmp(a->factory, b->factory) != 0 ||
	    a->ca_key != b->ca_key || a->allow_renewal != b->allow_renewal ||
	    a->crl_next_update_minutes != b->crl_next_update_minutes)
		return false;
	for (i = 0; i < PROFILE_COUNT; i++) {
		const struct profile *p = &a->profiles[i], *q = &b->profiles[i];

		if (p->id != q->id || strcmp(p->name, q->name) != 0 ||
		    p->issuer != q->issuer || p->nrules != q->nrules ||
		    p->ca != q->ca || p->pathlen != q->pathlen ||
		    p->key_usage != q->key_usage || p->eku != q->eku ||
		    p->san != q->san || p->days != q->days ||
		    p->min_rsa_bits != q->min_rsa_bits ||
		    p->allow_p384 != q->allow_p384 ||
		    p->allow_rsa != q->allow_rsa)
			return false;
		for (k = 0; k < p->nrules; k++) {
			const struct subject_rule *r = &p->rules[k];
			const struct subject_rule *s = &q->rules[k];

			if (r->nid != s->nid || r->presence != s->presence ||
			    r->fixed != s->fixed || r->match != s->match ||
			    r->has_pattern != s->has_pattern ||
			    strcmp(r->value, s->value) != 0 || r->max != s->max)
				return false;
		}
	}
	return true;
}

static void
round_trip(const struct policy *pol)
{
	struct policy back;
	char *text = NULL, *text2 = NULL;

	CHECK(policy_format(pol, &text) == 0);
	CHECK(load_text(text, &back) == 0 || (fprintf(stderr, "%s\n%s\n",
	    airca_errmsg(), text), 0));
	CHECK(policy_equal(pol, &back));
	CHECK(policy_format(&back, &text2) == 0);
	CHECK_STR(text, text2);
	policy_free(&back);
	free(text);
	free(text2);
}

static void
test_file(void)
{
	struct policy pol, def;
	const struct profile *p;
	struct policy *none = NULL;
	char *text;

	(void)none;
	/* the example of the design, and each tightening there is */
	CHECK(load_text(
	    "# the factory's policy\n"
	    "[policy]\n"
	    "version = 1\n"
	    "factory = acme\n"
	    "ca_key = ec-p384\n"
	    "allow_renewal = yes\n"
	    "crl_next_update_minutes = 60\n"
	    "\n"
	    "[profile device]\n"
	    "days = 1825\n"
	    "; a comment\n"
	    "CN = pattern=^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
	    "[0-9a-f]{12}$, max=36\n"
	    "OU = fixed=acme\n"
	    "min_rsa_bits = 3072\n"
	    "allow_rsa = no\n"
	    "allow_p384 = no\n"
	    "[profile tls]\n"
	    "OU = supplied, max=32\n"
	    "O = optional, max=40\n"
	    "C = fixed=DE, supplied, max=2\n"
	    "[profile device-ca]\n"
	    "CN = pattern=^fio-[a-z0-9]{1,8};x|^fio-y$\n", &pol) == 0 ||
	    (fprintf(stderr, "%s\n", airca_errmsg()), 0));
	CHECK(pol.ca_key == KEY_EC_P384 && pol.allow_renewal);
	CHECK(pol.crl_next_update_minutes == 60);
	p = policy_profile(&pol, "device");
	CHECK(p->days == 1825 && p->min_rsa_bits == 3072);
	CHECK(!p->allow_rsa && !p->allow_p384);
	CHECK(p->rules[0].max == 36 && p->rules[0].has_pattern);
	p = policy_profile(&pol, "tls");
	CHECK(p->nrules == 4 && p->rules[1].presence == RULE_SUPPLIED);
	CHECK(p->rules[1].max == 32 && p->rules[1].fixed);
	CHECK(p->rules[2].nid == NID_organizationName && p->rules[2].max == 40);
	CHECK(p->rules[3].nid == NID_countryName && p->rules[3].fixed);
	p = policy_profile(&pol, "device-ca");
	/* ';' is data, and the anchors hold across the alternation */
	CHECK_STR(p->rules[0].value, "^fio-[a-z0-9]{1,8};x|^fio-y$");
	CHECK(regexec(&p->rules[0].re, "fio-ab;x", 0, NULL, 0) == 0);
	CHECK(regexec(&p->rules[0].re, "fio-ab;xEVIL", 0, NULL, 0) != 0);
	CHECK(regexec(&p->rules[0].re, "EVILfio-y", 0, NULL, 0) != 0);
	round_trip(&pol);

	/* C is PrintableString in the output */
	{
		X509_NAME *req = mkname("CN", "api", "OU", "acme", "C", "DE",
		    NULL), *out = NULL;
		const X509_NAME_ENTRY *e;

		CHECK(policy_subject(policy_profile(&pol, "tls"), req, NULL,
		    &out) == 0);
		CHECK(X509_NAME_entry_count(out) == 3);
		e = X509_NAME_get_entry(out, 2);
		CHECK(e != NULL && ASN1_STRING_type(X509_NAME_ENTRY_get_data(e))
		    == V_ASN1_PRINTABLESTRING);
		X509_NAME_free(out);
		X509_NAME_free(req);
	}
	policy_free(&pol);

	/* a comma inside a pattern: pattern= takes the rest of the line */
	CHECK(load_text(HEAD "[profile device]\nCN = max=20, pattern=^[a-z]{1,8}"
	    "(,[a-z]{1,8})?$\n", &pol) == 0);
	p = policy_profile(&pol, "device");
	CHECK(regexec(&p->rules[0].re, "abc,def", 0, NULL, 0) == 0);
	CHECK(p->rules[0].max == 20);
	round_trip(&pol);
	policy_free(&pol);

	/* fixed may replace a default pattern when the value fits it */
	CHECK(load_text(HEAD "[profile device-ca]\nCN = fixed=fio-one\n",
	    &pol) == 0);
	p = policy_profile(&pol, "device-ca");
	CHECK(p->rules[0].fixed && !p->rules[0].has_pattern);
	round_trip(&pol);
	policy_free(&pol);

	/* the defaults round trip, for another factory too */
	CHECK(policy_default("acme", &def) == 0);
	round_trip(&def);
	CHECK(policy_format(&def, &text) == 0);
	CHECK(strstr(text, "[profile device]\ndays = 3650\n") != NULL);
	CHECK(strstr(text, "OU = fixed=acme, supplied, max=64\n") != NULL);
	free(text);
	policy_free(&def);
	CHECK(policy_default("Acme Factory 2", &def) == 0);
	round_trip(&def);
	policy_free(&def);

	/* loosening refused, with the line */
	CHECK_LOAD_FAILS(HEAD "[profile tls]\ndays = 4000\n", ":5: days = 4000 "
	    "would loosen the default 3650");
	CHECK_LOAD_FAILS(HEAD "[profile root]\ndays = 7301\n", ":5: days");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCN = max=65\n", ":5: CN: max=65 "
	    "would loosen the default max=64");
	CHECK_LOAD_FAILS(HEAD "\n[profile device]\nCN = optional\n", ":6: CN: "
	    "optional would loosen the default (supplied)");
	CHECK_LOAD_FAILS(HEAD "[profile device]\nOU = fixed=evil\n", ":5: OU: "
	    "fixed=evil may not change the default fixed=acme");
	CHECK_LOAD_FAILS(HEAD "[profile root]\nCN = fixed=My Root\n", ":5: CN: "
	    "fixed=My Root may not change the default fixed=Factory-CA");
	CHECK_LOAD_FAILS(HEAD "[profile root]\nCN = match\n", ":5: CN: the "
	    "default is fixed=Factory-CA; match may not replace it");
	CHECK_LOAD_FAILS(HEAD "[profile root]\nOU = pattern=^a$\n", ":5: OU: "
	    "the default is fixed=acme; a pattern may not replace it");
	CHECK_LOAD_FAILS(HEAD "[profile device-ca]\nCN = fixed=bob\n", ":5: CN: "
	    "fixed=bob does not match the default pattern");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nmin_rsa_bits = 1024\n", ":5: "
	    "min_rsa_bits = 1024");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nO = optional\n", ":5: O: the "
	    "default drops this attribute; to add it, give max=N");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nO = max=10\n", ":5: O: the default "
	    "drops this attribute; to add it, say optional or supplied");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nC = optional, max=3\n", ":5: C: "
	    "max=3 is above the upper bound");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nC = fixed=D?E, optional, max=2\n",
	    ":5: C: fixed value is longer than max=2");
	CHECK_LOAD_FAILS(HEAD "crl_next_update_minutes = 0\n", ":4: "
	    "crl_next_update_minutes = 0: 1..10080");
	CHECK_LOAD_FAILS(HEAD "crl_next_update_minutes = 10081\n", ":4: crl");

	/* malformed files */
	CHECK_LOAD_FAILS(HEAD "[profile nosuch]\n", ":4: [profile nosuch] has "
	    "no kind");
	CHECK_LOAD_FAILS(HEAD "[profile No_Such]\n", ":4: unknown section "
	    "[profile No_Such]");
	CHECK_LOAD_FAILS(HEAD "[extra]\nx = 1\n", ":4: unknown section [extra]");
	CHECK_LOAD_FAILS(HEAD "colour = blue\n", ":4: unknown key 'colour' in "
	    "[policy]");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCNN = supplied\n", ":5: unknown "
	    "key 'CNN'");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\ndays = 10\ndays = 11\n", ":6: days "
	    "given twice in [profile tls]");
	CHECK_LOAD_FAILS(HEAD "factory = other\n", ":4: factory given twice");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\ndays = 12x\n", ":5: days = 12x");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\ndays = -1\n", ":5: days = -1");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\ndays = 0\n", ":5: days = 0");
	CHECK_LOAD_FAILS(HEAD "[profile device]\nCN = pattern=^([a-z]$\n",
	    ":5: CN: bad pattern");
	CHECK_LOAD_FAILS(HEAD "[profile device]\nCN = pattern=[a-z]+\n",
	    ":5: CN: pattern '[a-z]+' must start with ^ and end with $");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCN = max=0\n", ":5: CN: max=0");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCN = supplied,,max=3\n", ":5: CN: "
	    "empty term");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCN = max=3,\n", ":5: CN: trailing "
	    "comma");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCN = sometimes\n", ":5: CN: "
	    "unknown term 'sometimes'");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nCN = optional, supplied\n",
	    ":5: CN: presence given twice");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nO = fixed=a, match, optional, "
	    "max=4\n", ":5: O: fixed and match exclude each other");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nallow_rsa = maybe\n", ":5: "
	    "allow_rsa = maybe: use yes or no");
	CHECK_LOAD_FAILS(HEAD "ca_key = dsa\n", ":4: ca_key = dsa");
	CHECK_LOAD_FAILS(HEAD "allow_renewal = 1\n", ":4: allow_renewal");
	CHECK_LOAD_FAILS("[policy]\nversion = 2\nfactory = acme\n", ":2: "
	    "version = 2");
	CHECK_LOAD_FAILS("[policy]\nfactory = acme\n", "version is missing");
	CHECK_LOAD_FAILS("[policy]\nversion = 1\n", "factory is missing");
	CHECK_LOAD_FAILS("[policy]\nversion = 1\nfactory = a/b\n", ":3: factory");
	CHECK_LOAD_FAILS(HEAD "just words\n", ":4: expected 'key = value'");
	/* indentation is not a continuation line */
	CHECK(load_text(HEAD "[profile tls]\n  days = 10\n", &pol) == 0);
	CHECK(policy_profile(&pol, "tls")->days == 10);
	policy_free(&pol);
	CHECK_LOAD_FAILS("version = 1\n[policy]\nfactory = acme\n",
	    ":1: 'version' outside a section");
	{
		char longline[1400];

		snprintf(longline, sizeof(longline), HEAD "[profile device]\n"
		    "CN = pattern=^%01100d$\n", 0);
		CHECK_LOAD_FAILS(longline, ":5: line longer than");
	}
	CHECK_ERR(policy_load("/nonexistent/policy.ini", &pol),
	    AIRCA_ERR_NOTFOUND, "/nonexistent/policy.ini");
	CHECK_ERR(policy_load(tmpdir, &pol), AIRCA_ERR_UNSAFE,
	    "not a regular file");
}

#define SRV "[profile web]\nkind = server\nissuer = root\ndays = 825\n"

/* User-defined profiles: kinds fix the extensions; the file's refusals name the line. */
static void
test_user(void)
{
	struct policy pol;
	const struct profile *p;
	X509_NAME *req, *out;
	const char *cols[] = { "uuid", "serial" }, *vals[2];
	struct policy_row row = { cols, vals, 2 };
	int type, nid;

	CHECK(load_text(HEAD SRV "CN = supplied, max=64\nO = fixed=Acme\n"
	    "san_dns = required\nsan_ip = optional\n"
	    "[profile ines]\nkind = device-identity\ndays = unlimited\n"
	    "CN = supplied, pattern=^dev-[0-9]+$\nserialNumber = map=serial\n"
	    "C = optional, default=CH\nsan_uri = optional\n"
	    "[profile sub]\nissuer = root\nkind = intermediate-ca\ndays = 3000\n"
	    "CN = supplied\n", &pol) == 0 ||
	    (fprintf(stderr, "%s\n", airca_errmsg()), 0));
	p = policy_profile(&pol, "web");
	CHECK(p != NULL && p->id == PROFILE_USER && p->kind == KIND_SERVER &&
	    !p->ca && p->key_usage == KU_DIGITAL_SIGNATURE &&
	    p->eku == EKU_SERVER && p->days == 825 &&
	    p->san_rule[0] == RULE_SUPPLIED && p->san_rule[1] == RULE_OPTIONAL &&
	    p->san_rule[2] == RULE_DROP && policy_kind_ok(p) &&
	    strcmp(p->issuer_label, "root") == 0);
	p = policy_profile(&pol, "ines");
	CHECK(p != NULL && p->unlimited && p->eku == 0 && policy_maps(p));
	p = policy_profile(&pol, "sub");
	CHECK(p != NULL && p->ca && p->pathlen == 0 &&
	    p->key_usage == (KU_KEY_CERT_SIGN | KU_CRL_SIGN) && policy_kind_ok(p));
	CHECK(policy_profile(&pol, "nosuch") == NULL);
	round_trip(&pol);

	/* fixed= puts its value in, map= takes the row's, default= fills in */
	p = policy_profile(&pol, "web");
	req = mkname("CN", "gw.example", NULL);
	CHECK(policy_subject(p, req, NULL, &out) == 0);
	CHECK_STR(entry_value(out, 1, &type, &nid), "Acme");
	X509_NAME_free(out);
	X509_NAME_free(req);
	p = policy_profile(&pol, "ines");
	req = mkname("CN", "dev-1", NULL);
	CHECK_ERR(policy_subject(p, req, NULL, &out), AIRCA_ERR_POLICY,
	    "serialNumber is mapped from manifest column 'serial'");
	vals[0] = "dev-1";
	vals[1] = "SN0001";
	CHECK(policy_subject_row(p, req, NULL, &row, &out) == 0);
	CHECK_STR(entry_value(out, 1, &type, &nid), "SN0001");
	CHECK(type == V_ASN1_PRINTABLESTRING && nid == NID_serialNumber);
	CHECK_STR(entry_value(out, 2, &type, &nid), "CH");
	X509_NAME_free(out);
	X509_NAME_free(req);
	req = mkname("CN", "dev-1", "serialNumber", "OTHER", NULL);
	CHECK_ERR(policy_subject_row(p, req, NULL, &row, &out),
	    AIRCA_ERR_POLICY, "serialNumber is 'OTHER' in the request but "
	    "'SN0001' in the manifest row (map=serial)");
	X509_NAME_free(req);
	req = mkname("CN", "dev-1", NULL);
	vals[1] = "";
	CHECK_ERR(policy_subject_row(p, req, NULL, &row, &out),
	    AIRCA_ERR_POLICY, "the manifest row has no value in column 'serial'");
	X509_NAME_free(req);

	/* SAN rules by type: web takes DNS (required) and IP, not URIs */
	{
		char *dns[] = { "gw.example", "GW.example" }, *uri[] = {
		    "spiffe://acme/x", "no-scheme", "spiffe://acme/x" };
		struct san_ip ip[2] = { { { 127, 0, 0, 1 }, 4 },
		    { { 127, 0, 0, 1 }, 4 } };

		p = policy_profile(&pol, "web");
		CHECK(policy_san(p, dns, 1, ip, 1, NULL, 0, false, false) == 0);
		CHECK_ERR(policy_san(p, NULL, 0, ip, 1, NULL, 0, false, false),
		    AIRCA_ERR_POLICY, "profile web needs at least one DNS name "
		    "in the request's subjectAltName (san_dns = required)");
		CHECK_ERR(policy_san(p, dns, 2, NULL, 0, NULL, 0, false, false),
		    AIRCA_ERR_POLICY, "DNS name 'GW.example' given twice");
		CHECK_ERR(policy_san(p, dns, 1, ip, 2, NULL, 0, false, false),
		    AIRCA_ERR_POLICY, "IP address 127.0.0.1 given twice");
		CHECK_ERR(policy_san(p, dns, 1, NULL, 0, NULL, 0, true, false),
		    AIRCA_ERR_POLICY, "neither 4 (IPv4) nor 16 (IPv6) bytes");
		/* URIs are not taken: not judged, not copied */
		CHECK(policy_san(p, dns, 1, NULL, 0, uri, 3, false, true) == 0);
		p = policy_profile(&pol, "ines");
		CHECK(policy_san(p, NULL, 0, NULL, 0, uri, 1, false, false) == 0);
		CHECK_ERR(policy_san(p, NULL, 0, NULL, 0, uri, 2, false, false),
		    AIRCA_ERR_POLICY, "URI 'no-scheme' has no scheme");
		CHECK_ERR(policy_san(p, NULL, 0, NULL, 0, uri, 1, false, true),
		    AIRCA_ERR_POLICY, "a URI in the request's subjectAltName is "
		    "not a printable IA5String");
		uri[1] = "urn:dev:1";
		CHECK_ERR(policy_san(p, NULL, 0, NULL, 0, uri, 3, false, false),
		    AIRCA_ERR_POLICY, "URI 'spiffe://acme/x' given twice");
		/* a wildcard is the built-in tls profile's alone */
		dns[0] = "*.acme.example";
		p = policy_profile(&pol, "web");
		CHECK_ERR(policy_san(p, dns, 1, NULL, 0, NULL, 0, false, false),
		    AIRCA_ERR_POLICY, "profile web takes no wildcard");
	}
	policy_free(&pol);

	/* forbidden combinations, each refused at its line */
	CHECK_LOAD_FAILS(HEAD "[profile cli]\nkind = client\ndays = 10\n"
	    "keyUsage = keyCertSign\n", ":7: keyUsage: a policy file cannot "
	    "set basicConstraints, keyUsage or extendedKeyUsage: kind client "
	    "gives CA:FALSE, keyUsage digitalSignature, extendedKeyUsage "
	    "clientAuth");
	CHECK_LOAD_FAILS(HEAD "[profile cli]\nkind = client\nbasicConstraints "
	    "= CA:TRUE\n", ":6: basicConstraints: a policy file cannot set");
	CHECK_LOAD_FAILS(HEAD "[profile tls]\nextendedKeyUsage = clientAuth\n",
	    ":5: extendedKeyUsage: the extensions of built-in profile tls are "
	    "fixed");
	CHECK_LOAD_FAILS(HEAD "[profile sub]\nkind = intermediate-ca\n"
	    "days = unlimited\n", ":6: days = unlimited: kind intermediate-ca "
	    "is a CA, and a CA may not outlive its issuer");
	CHECK_LOAD_FAILS(HEAD "[profile sub]\nkind = intermediate-ca\n"
	    "issuer = dca1\n", ":6: issuer = dca1: kind intermediate-ca is "
	    "issued by the root alone");
	CHECK_LOAD_FAILS(HEAD "[profile cli]\nkind = client\nsan_ip = optional\n",
	    ":6: san_ip = optional: kind client takes no IP addresses");
	CHECK_LOAD_FAILS(HEAD "[profile dev]\nkind = device-identity\n"
	    "san_dns = required\n", ":6: san_dns = required: kind "
	    "device-identity takes no DNS names");
	CHECK_LOAD_FAILS(HEAD "[profile x]\nkind = router\n", ":5: kind = "
	    "router: use server, client");
	CHECK_LOAD_FAILS(HEAD SRV "CN = supplied\n[profile web]\nkind = client\n",
	    ":9: [profile web] given twice (first at line 4)");
	CHECK_LOAD_FAILS(HEAD "[profile web]\nkind = server\nCN = supplied\n",
	    ":4: [profile web] has no days");
	CHECK_LOAD_FAILS(HEAD SRV "O = supplied\n", ":4: [profile web] has no "
	    "CN rule");
	CHECK_LOAD_FAILS(HEAD SRV "CN = optional\n", ":8: CN: every "
	    "certificate names its subject by CN");
	CHECK_LOAD_FAILS(HEAD SRV "CN = supplied, default=x\n", ":8: CN: "
	    "default= fills an absent attribute");
	CHECK_LOAD_FAILS(HEAD SRV "C = fixed=CH, map=country\n", ":8: C: map= "
	    "and fixed=/match exclude each other");
	CHECK_LOAD_FAILS(HEAD SRV "CN = supplied, map=a b\n", ":8: CN: map=a b: "
	    "map= names a manifest column");
	CHECK_LOAD_FAILS(HEAD "[profile device]\nCN = supplied, default=x\n",
	    ":5: CN: default= and map= are for user-defined profiles");
	CHECK_LOAD_FAILS(HEAD SRV "days = 10\n", ":8: days given twice");
	CHECK_LOAD_FAILS(HEAD SRV "min_rsa_bits = 1024\n", ":8: min_rsa_bits = "
	    "1024: 2048..8192");
	CHECK_LOAD_FAILS(HEAD "[profile web]\nkind = server\ndays = 0\n",
	    ":6: days = 0: a number of days (1..36500) or unlimited");
	CHECK_LOAD_FAILS(HEAD "[profile web]\nkind = server\nissuer = a/b\n",
	    ":6: issuer = a/b: root, or the label of a CA");
	CHECK_LOAD_FAILS(HEAD "[profile sub]\nkind = intermediate-ca\n"
	    "keygen = allowed\n", ":6: keygen = allowed: kind intermediate-ca "
	    "is a CA, whose key is made on the token");
	CHECK_LOAD_FAILS(HEAD SRV "keygen = maybe\n", ":8: keygen = maybe: use "
	    "allowed or no");
	CHECK_LOAD_FAILS(HEAD "[profile averyveryverylongname]\nkind = server\n",
	    ":4: unknown section [profile averyveryverylongname]");
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_defaults();
	test_subject();
	test_match();
	test_dns();
	test_file();
	test_user();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	CHECK_DONE();
}
