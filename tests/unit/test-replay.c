/*
 * test-replay.c: replay applies an unsigned tail only when this process
 * wrote it; a line appended by someone else (chain correct, unsigned) is
 * reported and changes nothing; a certificate file replaced in the home
 * is refused by registry_cert() (software keys).
 */
#include <sys/stat.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "keys.h"

#include "error.h"
#include "journal.h"
#include "registry.h"
#include "replay.h"
#include "util.h"

static char tmpdir[] = "/tmp/airca-test-replay.XXXXXX";
static EVP_PKEY *root_key, *audit_key;
static X509 *root, *audit;

static json_t *
issued(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "profile",
	    "device", "serial", "40aa01", "fingerprint",
	    "0000000000000000000000000000000000000000000000000000000000000001",
	    "spki",
	    "0000000000000000000000000000000000000000000000000000000000000002",
	    "subject", "CN=dev", "cn", "dev", "issuer", "11", "not-before",
	    1700000000, "not-after", 1900000000);
}

static json_t *
revoked(void)
{
	return json_pack("{s:s,s:s,s:i,s:i}", "serial", "40aa01", "status",
	    "revoked", "reason", 1, "status-time", 1750000000);
}

/* A signed journal with one issued certificate. */
static void
make_home(const char *home)
{
	struct journal *j = NULL;
	json_t *d = issued();

	mkdir(home, 0700);
	CHECK(journal_create(home, "cer-1", "alice", NULL, &j) == 0);
	CHECK(journal_pin(j, root_key, root, audit) == 0);
	CHECK(journal_append(j, "cert-issued", d, 0, NULL) == 0);
	CHECK(journal_checkpoint(j, audit_key, audit) == 0);
	journal_close(j);
	json_decref(d);
}

static enum cert_status
status_after_replay(const char *home, struct replay_result *res)
{
	struct registry *reg = NULL;
	const struct reg_entry *e;
	enum cert_status s = CERT_SUPERSEDED;

	CHECK(replay_journal(home, root, audit, &reg, res) == 0);
	if (reg != NULL && (e = registry_by_serial(reg, "40aa01")) != NULL)
		s = e->status;
	registry_free(reg);
	return s;
}

int
main(void)
{
	struct replay_result res;
	struct journal *j = NULL;
	char home[300], path[320], h[SHA256_HEX_LEN + 1], line[512];
	FILE *f;
	json_t *d;

	if (mkdtemp(tmpdir) == NULL)
		return 2;
	root_key = test_key("ec-p256");
	audit_key = test_key("ec-p256");
	root = test_cert(root_key, "Test Root", NULL, root_key, 1);
	audit = test_cert(audit_key, "Test Audit", root, root_key, 2);
	if (root == NULL || audit == NULL)
		return 2;

	/* someone else's line, its chain right: reported, not applied */
	snprintf(home, sizeof(home), "%s/hand", tmpdir);
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);
	make_home(home);
	CHECK(status_after_replay(home, &res) == CERT_VALID);
	{
		/* the hash of the last line (after the last newline) */
		char *all = NULL, *lp;
		size_t cap = 0;
		ssize_t n;

		f = fopen(path, "r");
		lp = NULL;
		while ((n = getline(&all, &cap, f)) > 0) {
			free(lp);
			lp = strndup(all, (size_t)n - 1);
		}
		fclose(f);
		sha256_hex(lp, strlen(lp), h);
		free(lp);
		free(all);
	}
	snprintf(line, sizeof(line), "{\"seq\":5,\"time\":"
	    "\"2026-01-01T00:00:00Z\",\"ceremony\":\"x\",\"event\":"
	    "\"cert-status\",\"actor\":\"mallory\",\"data\":{\"serial\":"
	    "\"40aa01\",\"status\":\"revoked\",\"reason\":1,\"status-time\":"
	    "1750000000},\"prev\":\"%s\"}\n", h);
	CHECK((f = fopen(path, "a")) != NULL);
	fputs(line, f);
	fclose(f);
	CHECK(status_after_replay(home, &res) == CERT_VALID);
	CHECK(res.tail_from == 5 && res.tail_n == 1 && !res.tail_applied);
	CHECK(strstr(res.tail_list, "cert-status") != NULL);

	/* the same change written by this process: applied */
	snprintf(home, sizeof(home), "%s/own", tmpdir);
	make_home(home);
	CHECK(journal_open(home, "cli-2", "bob", &j) == 0);
	d = revoked();
	CHECK(journal_append(j, "cert-status", d, 0, NULL) == 0);
	json_decref(d);
	journal_close(j);
	CHECK(status_after_replay(home, &res) == CERT_REVOKED);
	CHECK(res.tail_from == 5 && res.tail_n == 1 && res.tail_applied);

	/* a certificate file replaced in the home is not the journal's */
	{
		struct registry *reg = NULL;
		const struct reg_entry *e;
		X509 *x = NULL;
		char certs[400], pem[420];

		snprintf(certs, sizeof(certs), "%s/certs", home);
		mkdir(certs, 0700);
		snprintf(pem, sizeof(pem), "%s/40aa01.pem", certs);
		CHECK(test_write_pem(pem, audit));
		CHECK(replay_journal(home, root, audit, &reg, &res) == 0);
		CHECK(reg != NULL &&
		    (e = registry_by_serial(reg, "40aa01")) != NULL);
		if (reg != NULL && e != NULL)
			CHECK_ERR(registry_cert(home, e, &x), AIRCA_ERR_STATE,
			    "is not the certificate the journal issued");
		CHECK(x == NULL);
		X509_free(x);
		registry_free(reg);
	}

	snprintf(line, sizeof(line), "rm -rf %s", tmpdir);
	if (system(line) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(audit_key);
	X509_free(root);
	X509_free(audit);
	CHECK_DONE();
}
