/*
 * gen-journal.c: a benchmark journal: N entries signed at a checkpoint
 * every K, with software keys (the token is not what is measured).
 *   gen-journal DIR N K      writes DIR/journal.jsonl, root.pem, audit.pem
 *   gen-journal --verify DIR verifies it with journal_verify() and prints seconds
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys.h"

#include "error.h"
#include "journal.h"
#include "util.h"

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
verify(const char *dir)
{
	struct journal_report rep;
	char path[1024];
	X509 *root = NULL, *audit = NULL;
	double t;
	int r;

	snprintf(path, sizeof(path), "%s/root.pem", dir);
	if ((r = journal_load_cert(path, &root)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/audit.pem", dir);
	if ((r = journal_load_cert(path, &audit)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	t = seconds();
	r = journal_verify(path, root, audit, NULL, &rep);
	printf("%lu entries %lu checkpoints %.3f s\n", rep.entries,
	    rep.checkpoints, seconds() - t);
 out:
	if (r != 0)
		fprintf(stderr, "%s\n", airca_errmsg());
	X509_free(root);
	X509_free(audit);
	return r != 0;
}

int
main(int argc, char **argv)
{
	struct journal *j = NULL;
	EVP_PKEY *rk, *ak;
	X509 *root, *audit;
	char path[1024], serial[32], cn[48], fp[SHA256_HEX_LEN + 1];
	unsigned long n, k, i;
	json_t *d;
	int r;

	if (argc == 3 && strcmp(argv[1], "--verify") == 0)
		return verify(argv[2]);
	if (argc != 4) {
		fprintf(stderr, "usage: gen-journal DIR N K | --verify DIR\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	k = strtoul(argv[3], NULL, 10);
	if ((rk = test_key("ec-p256")) == NULL ||
	    (ak = test_key("ec-p256")) == NULL ||
	    (root = test_cert(rk, "Bench Root", NULL, rk, 1)) == NULL ||
	    (audit = test_cert(ak, "Bench Audit", root, rk, 2)) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/root.pem", argv[1]);
	test_write_pem(path, root);
	snprintf(path, sizeof(path), "%s/audit.pem", argv[1]);
	test_write_pem(path, audit);
	if ((r = journal_create(argv[1], "bench", "bench", NULL, &j)) != 0 ||
	    (r = journal_pin(j, rk, root, audit)) != 0)
		goto out;
	for (i = 1; i < n && r == 0; i++) {
		if (i % k == 0) {
			r = journal_checkpoint(j, ak, audit);
			continue;
		}
		snprintf(serial, sizeof(serial), "%016lx", 0x100000UL + i);
		snprintf(cn, sizeof(cn), "device-%lu", i);
		sha256_hex(cn, strlen(cn), fp);
		d = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:s}",
		    "profile", "device", "serial", serial, "fingerprint", fp,
		    "spki", fp, "subject", cn, "cn", cn, "not-before",
		    1700000000, "not-after", 1800000000, "issuer", "01");
		r = journal_append(j, "cert-issued", d, JOURNAL_NOSYNC, NULL);
		json_decref(d);
	}
	if (r == 0)
		r = journal_checkpoint(j, ak, audit);
 out:
	if (r != 0)
		fprintf(stderr, "%s\n", airca_errmsg());
	journal_close(j);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ak);
	X509_free(root);
	X509_free(audit);
	return r != 0;
}
