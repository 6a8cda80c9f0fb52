/*
 * test-crl.c: CRL reason names against RFC 5280 5.3.1's table, and the
 * last CRL number of a CA found by serial or by token label (a renewed
 * device CA keeps its label and continues its numbers).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "crl.h"
#include "error.h"
#include "registry.h"

/* RFC 5280 5.3.1 CRLReason: the names and codes, 7 unused. */
static const struct {
	int	 code;
	const char *name;
} rfc5280[] = {
	{ 0, "unspecified" },
	{ 1, "keyCompromise" },
	{ 2, "cACompromise" },
	{ 3, "affiliationChanged" },
	{ 4, "superseded" },
	{ 5, "cessationOfOperation" },
	{ 6, "certificateHold" },
	{ 8, "removeFromCRL" },
	{ 9, "privilegeWithdrawn" },
};

static void
test_reasons(void)
{
	size_t i;
	int code;

	for (i = 0; i < sizeof(rfc5280) / sizeof(rfc5280[0]); i++) {
		CHECK_STR(crl_reason_name(rfc5280[i].code), rfc5280[i].name);
		code = -1;
		CHECK(crl_reason_parse(rfc5280[i].name, &code) == 0 &&
		    code == rfc5280[i].code);
	}
	CHECK(crl_reason_name(7) == NULL);
	CHECK(crl_reason_name(-1) == NULL);
	/* aACompromise (10) concerns attribute certificates: not offered */
	CHECK(crl_reason_name(10) == NULL ||
	    strcmp(crl_reason_name(10), "aACompromise") == 0);
	CHECK_ERR(crl_reason_parse("compromised", &code), AIRCA_ERR_USAGE,
	    "use unspecified, keyCompromise");
}

static int
add_ca(struct registry *reg, const char *serial, const char *label)
{
	json_t *d = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:s}",
	    "serial", serial, "profile", "device-ca", "fingerprint",
	    "0000000000000000000000000000000000000000000000000000000000000001",
	    "spki",
	    "0000000000000000000000000000000000000000000000000000000000000002",
	    "subject", "CN=fio-x", "issuer", "11", "label", label,
	    "not-before", 1700000000, "not-after", 1900000000, "cn", "fio-x");
	int r = registry_apply(reg, "cert-issued", d);

	json_decref(d);
	return r;
}

static int
crl_issued(struct registry *reg, const char *serial, int number)
{
	json_t *d = json_pack("{s:s,s:i}", "ca", serial, "number", number);
	int r = registry_apply(reg, "crl-issued", d);

	json_decref(d);
	return r;
}

static void
test_last_number(void)
{
	char home[] = "/tmp/airca-test-crl.XXXXXX";
	struct registry *reg = NULL;
	unsigned long long last = 99;
	const struct reg_entry *e;

	CHECK(mkdtemp(home) != NULL);
	CHECK(registry_new(home, &reg) == 0);
	CHECK(add_ca(reg, "40aa01", "device-ca-1") == 0);
	CHECK(crl_issued(reg, "40aa01", 5) == 0);
	/* renewed: the same token label, a new serial */
	CHECK(add_ca(reg, "40bb02", "device-ca-1") == 0);
	CHECK(add_ca(reg, "40cc03", "device-ca-2") == 0);
	CHECK(crl_issued(reg, "40cc03", 9) == 0);

	CHECK((e = registry_by_serial(reg, "40aa01")) != NULL);
	CHECK(crl_last_number(home, reg, e, &last) == 0 && last == 5);
	/* the renewed CA continues the numbers of its label */
	CHECK((e = registry_by_serial(reg, "40bb02")) != NULL);
	last = 99;
	CHECK(crl_last_number(home, reg, e, &last) == 0);
	if (last != 5)
		fprintf(stderr, "renewed CA: last CRL number %llu, want 5\n",
		    last);
	CHECK(last == 5);
	/* another label's numbers are not its own */
	CHECK((e = registry_by_serial(reg, "40cc03")) != NULL);
	CHECK(crl_last_number(home, reg, e, &last) == 0 && last == 9);
	registry_free(reg);
	rmdir(home);
}

int
main(void)
{
	test_reasons();
	test_last_number();
	CHECK_DONE();
}
