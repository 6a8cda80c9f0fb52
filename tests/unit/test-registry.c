/*
 * test-registry.c: the registry kept in scratch files (registry-store.c),
 * through a cache of one page (AIRCA_TEST_SCRATCH_PAGES=1) so that every
 * lookup reads its pages back: 3,000 certificates found by serial, by CN
 * without case and by key; the newest of two with one CN wins; a status
 * change shows in an entry handed out before it; registry_peek() leaves
 * the entries handed out alone; a replay's indexes filled at the first
 * lookup agree; registry.jsonl as jansson wrote it, byte for byte; and a
 * write that fails (a file size limit
 * standing in for a full disk) sticks: lookups find nothing, every later
 * event is refused, registry_error() says why.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "registry.h"

#define N	3000

static int
issue(struct registry *reg, unsigned i, const char *cn, unsigned key)
{
	char serial[41], spki[65], fp[65], subject[128];
	json_t *d;
	int r;

	snprintf(serial, sizeof(serial), "%032x", i + 1);
	snprintf(spki, sizeof(spki), "%064x", key);
	snprintf(fp, sizeof(fp), "%064x", i + 7);
	snprintf(subject, sizeof(subject), "CN=%s,OU=acme", cn);
	d = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "serial", serial,
	    "profile", "device", "fingerprint", fp, "spki", spki, "subject",
	    subject, "cn", cn, "issuer", "aa", "not-before", 1700000000,
	    "not-after", 1900000000);
	r = registry_apply(reg, "cert-issued", d);
	json_decref(d);
	return r;
}

static void
test_many(const char *home)
{
	struct registry *reg = NULL;
	const struct reg_entry *e, *held;
	char cn[64], spki[65], serial[41];
	json_t *d;
	unsigned i, bad = 0;

	CHECK(registry_new(home, &reg) == 0);
	for (i = 0; i < N; i++) {
		snprintf(cn, sizeof(cn), "Dev-%05u", i);
		if (issue(reg, i, cn, i) != 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(registry_count(reg) == N);
	for (i = 0; i < N; i += 7) {
		snprintf(cn, sizeof(cn), "dEV-%05u", i);
		snprintf(spki, sizeof(spki), "%064x", i);
		snprintf(serial, sizeof(serial), "%032x", i + 1);
		if ((e = registry_by_cn(reg, "device", cn)) == NULL ||
		    strcmp(e->serial, serial) != 0 ||
		    (e = registry_by_spki(reg, "device", spki)) == NULL ||
		    strcmp(e->serial, serial) != 0 ||
		    (e = registry_by_serial(reg, serial)) == NULL ||
		    strcmp(e->spki, spki) != 0 || strcmp(e->cn, cn + 0) == 0 ||
		    strcmp(e->subject + 3, "Dev-") < 0)
			bad++;
		registry_release(reg);
	}
	CHECK(bad == 0);
	CHECK(registry_by_cn(reg, "other", "dev-00001") == NULL);
	CHECK(registry_by_serial(reg, "ffff") == NULL);
	CHECK(registry_error(reg) == 0);

	/* the same CN again (a renewal): the newest wins, the first stays by serial */
	CHECK(issue(reg, N, "DEV-00005", 999999) == 0);
	CHECK((e = registry_by_cn(reg, "device", "dev-00005")) != NULL &&
	    e->spki[63] == 'f');
	snprintf(serial, sizeof(serial), "%032x", 6);
	CHECK((held = registry_by_serial(reg, serial)) != NULL &&
	    held->status == CERT_VALID);
	/* a duplicate serial is refused */
	CHECK_ERR(issue(reg, 5, "x", 5), AIRCA_ERR_STATE, "is already in the registry");

	/* a status change reaches the entry handed out before it; a peek does not move it */
	d = json_pack("{s:s,s:s,s:i,s:i}", "serial", serial, "status", "revoked",
	    "reason", 1, "status-time", 1800000000);
	CHECK(registry_apply(reg, "cert-status", d) == 0);
	json_decref(d);
	CHECK(held->status == CERT_REVOKED && held->reason == 1);
	CHECK((e = registry_peek(reg, 5)) != NULL && e != held &&
	    e->status == CERT_REVOKED);
	CHECK(registry_peek(reg, 6) != NULL && held->status == CERT_REVOKED);
	CHECK(registry_by_serial(reg, serial) == held);
	registry_free(reg);
}

/*
 * A replay (registry_expect) leaves the CN, key and label indexes to the
 * first lookup: filled then in issue order, the newest of a CN wins as
 * when filled one at a time, and what is added after is found too.
 */
static void
test_bulk(const char *home)
{
	struct registry *reg = NULL;
	const struct reg_entry *e;

	CHECK(registry_new(home, &reg) == 0);
	registry_expect(reg, 10);
	CHECK(issue(reg, 0, "same", 0) == 0);
	CHECK(issue(reg, 1, "other", 1) == 0);
	CHECK(issue(reg, 2, "SAME", 2) == 0);
	CHECK((e = registry_by_cn(reg, "device", "Same")) != NULL &&
	    strcmp(e->serial, "00000000000000000000000000000003") == 0);
	CHECK(issue(reg, 3, "sAme", 3) == 0);
	CHECK((e = registry_by_cn(reg, "device", "same")) != NULL &&
	    strcmp(e->serial, "00000000000000000000000000000004") == 0);
	CHECK((e = registry_by_spki(reg, "device",
	    "0000000000000000000000000000000000000000000000000000000000000001"))
	    != NULL && strcmp(e->cn, "other") == 0);
	CHECK(registry_by_label(reg, "nolabel") == NULL);
	CHECK(registry_error(reg) == 0);
	registry_free(reg);
}

/*
 * registry.jsonl is written without jansson (entry_line): every line must
 * be what jansson's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER |
 * JSON_ENSURE_ASCII) makes of it, byte for byte, with names that need
 * every kind of escape; and the file matches itself
 * (registry_cache_matches), its body apart from the header too.
 */
static void
test_emit(const char *home)
{
	static const char *const cns[] = {
		"plain", "quote\"back\\slash/", "ctl\b\f\n\r\t\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac", "astral \xf0\x9f\x98\x80 end",
		"\xe4\xb8\xad\xe6\x96\x87", "",
	};
	struct registry *reg = NULL;
	char path[512], *line = NULL, *re;
	size_t cap = 0, n = 0, k;
	bool match, body;
	json_t *d, *o;
	ssize_t len;
	FILE *f;

	CHECK(registry_new(home, &reg) == 0);
	for (k = 0; k < sizeof(cns) / sizeof(cns[0]); k++)
		CHECK(issue(reg, (unsigned)k, cns[k], (unsigned)k) == 0);
	d = json_pack("{s:s,s:s,s:i,s:i,s:s}", "serial",
	    "00000000000000000000000000000002", "status", "superseded",
	    "reason", 4, "status-time", 1800000001, "superseded-by",
	    "00000000000000000000000000000003");
	CHECK(registry_apply(reg, "cert-status", d) == 0);
	json_decref(d);
	d = json_pack("{s:s,s:I}", "ca", "00000000000000000000000000000001",
	    "number", (json_int_t)42);
	CHECK(registry_apply(reg, "crl-issued", d) == 0);
	json_decref(d);
	registry_set_head(reg, 77, "ab\"cd");
	CHECK(registry_save(reg) == 0);
	snprintf(path, sizeof(path), "%s/registry.jsonl", home);
	CHECK((f = fopen(path, "r")) != NULL);
	while (f != NULL && (len = getline(&line, &cap, f)) > 0) {
		CHECK(line[len - 1] == '\n');
		line[len - 1] = '\0';
		n++;
		o = json_loads(line, 0, NULL);
		CHECK(o != NULL);
		re = o != NULL ? json_dumps(o, JSON_COMPACT |
		    JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
		if (re == NULL || strcmp(re, line) != 0) {
			fprintf(stderr, "line %zu:\n  %s\njansson:\n  %s\n", n,
			    line, re != NULL ? re : "(none)");
			CHECK(0);
		}
		free(re);
		json_decref(o);
	}
	if (f != NULL)
		fclose(f);
	free(line);
	CHECK(n == 1 + sizeof(cns) / sizeof(cns[0]));
	CHECK(registry_cache_matches(reg, &match, &body) == 0 && match && body);
	registry_set_head(reg, 78, "ef");
	CHECK(registry_cache_matches(reg, &match, &body) == 0 && !match && body);
	registry_free(reg);
	CHECK(unlink(path) == 0);
}

/* A write the file system refuses: RLIMIT_FSIZE gives EFBIG as a full disk gives ENOSPC. */
static void
test_write_fails(const char *home)
{
	struct registry *reg = NULL;
	struct rlimit old, lim;
	char cn[64];
	unsigned i;
	int r = 0;

	CHECK(registry_new(home, &reg) == 0);
	CHECK(issue(reg, 0, "first", 0) == 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 128 * 1024;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (i = 1; i < N && r == 0; i++) {
		snprintf(cn, sizeof(cn), "dev-%05u", i);
		r = issue(reg, i, cn, i);
	}
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK(r == AIRCA_ERR_IO);
	CHECK(registry_error(reg) == AIRCA_ERR_IO);
	CHECK(strstr(registry_errmsg(reg), "scratch file for the registry") !=
	    NULL && strstr(registry_errmsg(reg), "File too large") != NULL);
	/* kept: what was there is no longer "found", and nothing more is applied */
	CHECK(registry_by_cn(reg, "device", "first") == NULL);
	CHECK(registry_peek(reg, 0) == NULL);
	CHECK(issue(reg, N + 1, "later", N + 1) == AIRCA_ERR_IO);
	registry_free(reg);
}

int
main(void)
{
	char home[] = "/tmp/airca-test-registry.XXXXXX";

	if (mkdtemp(home) == NULL)
		return 1;
	setenv("AIRCA_TEST_SCRATCH_PAGES", "1", 1);
	test_many(home);
	test_bulk(home);
	test_emit(home);
	test_write_fails(home);
	/* nothing named is left behind */
	CHECK(rmdir(home) == 0);
	CHECK_DONE();
}
