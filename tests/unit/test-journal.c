/*
 * test-journal.c: the journal writer and verifier with software keys:
 * a clean journal verifies, every kind of tampering is caught at the right
 * seq, seals, repair.  "test-journal --make DIR [KEYTYPE]" writes a signed
 * sample home (journal.jsonl, root.pem, audit.pem, seal.hex) for the
 * shell tests.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "keys.h"

#include "error.h"
#include "journal.h"
#include "util.h"

static char tmpdir[] = "/tmp/airca-test-journal.XXXXXX";

static json_t *
cert_event(int i)
{
	char serial[32], cn[32], fp[SHA256_HEX_LEN + 1];

	snprintf(serial, sizeof(serial), "%08x", 0x1000 + i);
	snprintf(cn, sizeof(cn), "device-%d", i);
	sha256_hex(cn, strlen(cn), fp);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "profile",
	    "device", "serial", serial, "fingerprint", fp, "spki", fp,
	    "subject", cn, "cn", cn, "not-before", 1700000000, "not-after",
	    1800000000);
}

/*
 * A journal of three commands like the CLI writes them: init (open +
 * entries + checkpoint), a token-less command that leaves its entries
 * unsigned, a command that signs them and seals.  Returns 0; seal_hex set.
 */
static int
make_journal(const char *home, struct keys *k, char seal_hex[65])
{
	struct journal *j = NULL;
	json_t *d;
	int i, r;

	d = json_pack("{s:s}", "factory", "ACME");
	r = journal_create(home, "cer-1", "alice", d, &j);
	json_decref(d);
	if (r != 0)
		return r;
	for (i = 0; i < 3 && r == 0; i++) {
		d = cert_event(i);
		r = journal_append(j, "cert-issued", d, 0, NULL);
		json_decref(d);
	}
	/* the root pins the audit certificate (as init does); it signs 1..4 */
	if (r == 0)
		r = journal_pin(j, k->root_key, k->root, k->audit);
	journal_close(j);
	j = NULL;
	/* no token: two entries wait for the next signature */
	if (r == 0)
		r = journal_open(home, "cli-2", "bob", &j);
	if (r == 0) {
		d = json_pack("{s:s}", "command", "list");
		r = journal_append(j, "command", d, 0, NULL);
		if (r == 0)
			r = journal_append(j, "command-failed", d,
			    JOURNAL_NOSYNC, NULL);
		json_decref(d);
		if (r == 0 && journal_unsigned(j) != 2)
			r = AIRCA_ERR_INTERNAL;
	}
	journal_close(j);
	j = NULL;
	if (r == 0)
		r = journal_open(home, "cli-3", "carol", &j);
	if (r == 0 && journal_unsigned(j) != 2)
		r = AIRCA_ERR_INTERNAL;
	for (i = 3; i < 6 && r == 0; i++) {
		d = cert_event(i);
		r = journal_append(j, "cert-issued", d, JOURNAL_NOSYNC, NULL);
		json_decref(d);
	}
	if (r == 0)
		r = journal_checkpoint(j, k->audit_key, k->audit);
	if (r == 0) {
		d = json_pack("{s:s,s:i}", "note", "end of ceremony", "from",
		    999);	/* a reserved key: the writer must drop it */
		r = journal_seal(j, k->audit_key, k->audit, d, seal_hex);
		json_decref(d);
	}
	journal_close(j);
	return r;
}

/* The journal's lines (with their newlines), for tampering. */
struct lines {
	char	*l[64];
	size_t	n;
};

static void
lines_read(const char *path, struct lines *ls)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	memset(ls, 0, sizeof(*ls));
	while (f != NULL && getline(&line, &cap, f) > 0 && ls->n < 64)
		ls->l[ls->n++] = strdup(line);
	free(line);
	if (f != NULL)
		fclose(f);
}

static void
lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < 64; i++)
		free(ls->l[i]);
	memset(ls, 0, sizeof(*ls));
}

static void
lines_write(const char *path, struct lines *ls)
{
	FILE *f = fopen(path, "w");
	size_t i;

	for (i = 0; i < ls->n; i++)
		fputs(ls->l[i], f);
	fclose(f);
}

/* Recompute every prev from line `from` on (what a forger without the key can do). */
static void
lines_rechain(struct lines *ls, size_t from)
{
	char h[SHA256_HEX_LEN + 1], *p;
	size_t i;

	for (i = from; i < ls->n; i++) {
		sha256_hex(ls->l[i - 1], strlen(ls->l[i - 1]) - 1, h);
		if ((p = strstr(ls->l[i], ",\"prev\":\"")) != NULL)
			memcpy(p + 9, h, SHA256_HEX_LEN);
		if ((p = strstr(ls->l[i], ",\"head\":\"")) != NULL)
			memcpy(p + 9, h, SHA256_HEX_LEN);
	}
}

static int
verify_copy(struct lines *ls, struct keys *k, const char *seal,
    struct journal_report *rep)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/copy.jsonl", tmpdir);
	lines_write(path, ls);
	return journal_verify(path, k->root, k->audit, seal, rep);
}

/* Tampered copy: must fail with AIRCA_ERR_VERIFY at seq, saying needle. */
#define CHECK_BAD(ls, k, seal, seq, needle) do {			\
	struct journal_report rep_;					\
	CHECK_ERR(verify_copy((ls), (k), (seal), &rep_),		\
	    AIRCA_ERR_VERIFY, (needle));				\
	if (rep_.bad_seq != (unsigned long)(seq)) {			\
		check_failed++;						\
		fprintf(stderr, "%s:%d: bad_seq %lu, want %lu (%s)\n",	\
		    __FILE__, __LINE__, rep_.bad_seq,			\
		    (unsigned long)(seq), rep_.what);			\
	} else								\
		check_passed++;						\
} while (0)

static void
reload(struct lines *ls, const char *path)
{
	lines_free(ls);
	lines_read(path, ls);
}

static void
test_key_type(const char *type)
{
	struct keys k, other;
	struct journal_report rep;
	struct lines ls;
	struct journal *j = NULL;
	char home[200], path[256], seal[65], *tmp, *p;
	X509 *stranger = NULL, *audit2 = NULL;
	EVP_PKEY *skey = NULL;
	size_t n;

	fprintf(stderr, "key type %s\n", type);
	CHECK(keys_make(&k, type));
	CHECK(keys_make(&other, type));
	snprintf(home, sizeof(home), "%s/%s", tmpdir, type);
	mkdir(home, 0700);
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);
	CHECK(make_journal(home, &k, seal) == 0);

	/* clean */
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0);
	CHECK(rep.entries == 12);
	CHECK(rep.checkpoints == 1);
	CHECK(rep.seals == 1);
	CHECK(rep.last_signed == 12);
	CHECK(rep.pinned_seq == 5);
	CHECK_STR(rep.head, seal);
	CHECK(journal_verify(path, k.root, k.audit, seal, &rep) == 0);
	CHECK(rep.seal_seq == 12);
	lines_read(path, &ls);
	CHECK(ls.n == 12);
	/* the writer dropped the reserved "from" of the seal's data and kept the note */
	CHECK(strstr(ls.l[11], "\"note\":\"end of ceremony\",\"from\":11,\"to\":11,") != NULL);
	/* the second checkpoint covers the token-less command's entries too */
	CHECK(strstr(ls.l[10], "\"from\":6,\"to\":10,") != NULL);

	/* a changed byte in data */
	p = strstr(ls.l[2], "device-1");
	p[7] = '9';
	CHECK_BAD(&ls, &k, NULL, 3, "entry 3 was changed");
	/* ... with the chain recomputed: the covering checkpoint catches it */
	lines_rechain(&ls, 3);
	CHECK_BAD(&ls, &k, NULL, 5, "signature does not verify");
	reload(&ls, path);

	/* a deleted line */
	free(ls.l[2]);
	memmove(&ls.l[2], &ls.l[3], (ls.n - 3) * sizeof(ls.l[0]));
	ls.n--;
	ls.l[ls.n] = NULL;
	CHECK_BAD(&ls, &k, NULL, 3, "entry 3 is missing");
	reload(&ls, path);

	/* an inserted line: a copy of entry 3 after it */
	memmove(&ls.l[4], &ls.l[3], (ls.n - 3) * sizeof(ls.l[0]));
	ls.l[3] = strdup(ls.l[2]);
	ls.n++;
	CHECK_BAD(&ls, &k, NULL, 3, "seq 3 appears twice");
	reload(&ls, path);

	/* swapped lines */
	tmp = ls.l[2];
	ls.l[2] = ls.l[3];
	ls.l[3] = tmp;
	CHECK_BAD(&ls, &k, NULL, 3, "found seq 4 where 3 was expected");
	reload(&ls, path);

	/* a truncated last line */
	n = strlen(ls.l[11]);
	ls.l[11][n - 20] = '\0';
	CHECK_BAD(&ls, &k, NULL, 12, "last line is incomplete");
	reload(&ls, path);

	/* a newer format version */
	p = strstr(ls.l[0], "\"version\":2");
	p[10] = '3';
	CHECK_BAD(&ls, &k, NULL, 1, "newer than this airca understands");
	reload(&ls, path);
	p = strstr(ls.l[0], "airca-journal");
	p[0] = 'b';
	CHECK_BAD(&ls, &k, NULL, 1, "not an airca journal");
	reload(&ls, path);

	/* keys out of order, non-ASCII, not JSON */
	p = strstr(ls.l[3], "\"time\"");
	memcpy(p, "\"tIme\"", 6);
	CHECK_BAD(&ls, &k, NULL, 4, "key \"tIme\" where \"time\"");
	reload(&ls, path);
	ls.l[3][5] = (char)0xc3;
	CHECK_BAD(&ls, &k, NULL, 4, "not printable ASCII");
	reload(&ls, path);
	ls.l[3][0] = '[';
	CHECK_BAD(&ls, &k, NULL, 4, "not a JSON object");
	reload(&ls, path);

	/* a checkpoint whose from skips entries */
	p = strstr(ls.l[10], "\"from\":6,");
	p[7] = '7';
	lines_rechain(&ls, 11);
	CHECK_BAD(&ls, &k, NULL, 11, "claims to cover from seq 7");
	reload(&ls, path);

	/* truncation after a seal: a whole number of lines gone */
	ls.n = 11;
	CHECK(verify_copy(&ls, &k, NULL, &rep) == 0);
	CHECK_BAD(&ls, &k, seal, 0, "seal not found");
	ls.n = 10;
	CHECK_BAD(&ls, &k, NULL, 6, "5 entries after the last signature at "
	    "seq 5 are unsigned");
	reload(&ls, path);
	CHECK_BAD(&ls, &k, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    0, "seal not found");
	/* the seal hash read aloud, in groups and upper case */
	{
		char groups[96], up[96];
		size_t i;

		hex_groups(seal, groups, sizeof(groups));
		for (i = 0; groups[i] != '\0'; i++)
			up[i] = (char)(groups[i] >= 'a' && groups[i] <= 'f' ?
			    groups[i] - 32 : groups[i]);
		up[i] = '\0';
		CHECK(verify_copy(&ls, &k, up, &rep) == 0 && rep.seal_seq == 12);
	}
	/* a seal hash that is a checkpoint's */
	sha256_hex(ls.l[10], strlen(ls.l[10]) - 1, path + 180);
	CHECK_BAD(&ls, &k, path + 180, 11, "not a seal");
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);

	/* an unsigned tail */
	CHECK(journal_open(home, "cli-4", "dave", &j) == 0);
	CHECK(journal_append(j, "command", NULL, 0, NULL) == 0);
	journal_close(j);
	j = NULL;
	CHECK_ERR(journal_verify(path, k.root, k.audit, NULL, &rep),
	    AIRCA_ERR_VERIFY, "1 entry after the last signature at seq 12 is "
	    "unsigned");
	CHECK(rep.bad_seq == 13);

	/* wrong audit certificate: another audit cert of the same root */
	skey = test_key(type);
	audit2 = test_cert(skey, "Test Audit 2", k.root, k.root_key, 3);
	CHECK_ERR(journal_verify(path, k.root, audit2, NULL, &rep),
	    AIRCA_ERR_VERIFY, "the audit certificate was substituted");
	CHECK(rep.bad_seq == 5);
	/* an audit certificate that does not chain to the root */
	CHECK_ERR(journal_verify(path, k.root, other.audit, NULL, &rep),
	    AIRCA_ERR_VERIFY, "does not chain to the root");
	CHECK_ERR(journal_verify(path, other.root, k.audit, NULL, &rep),
	    AIRCA_ERR_VERIFY, "does not chain to the root");
	/* a signature made with another key, the chain left intact */
	stranger = test_cert(other.audit_key, "Test Audit", k.root,
	    k.root_key, 2);
	reload(&ls, path);
	ls.n = 12;
	{
		char home2[200], path2[256], seal2[65];
		struct lines ls2;
		char *sig_a, *sig_b, *e;

		/* the same journal signed by a stranger: take its last seal sig */
		snprintf(home2, sizeof(home2), "%s/%s-other", tmpdir, type);
		mkdir(home2, 0700);
		snprintf(path2, sizeof(path2), "%s/journal.jsonl", home2);
		CHECK(make_journal(home2, &other, seal2) == 0);
		lines_read(path2, &ls2);
		sig_a = strstr(ls.l[11], "\"sig\":\"") + 7;
		sig_b = strstr(ls2.l[11], "\"sig\":\"") + 7;
		e = strchr(sig_b, '"');
		*e = '\0';
		tmp = malloc(strlen(ls.l[11]) + strlen(sig_b) + 1);
		memcpy(tmp, ls.l[11], (size_t)(sig_a - ls.l[11]));
		strcpy(tmp + (sig_a - ls.l[11]), sig_b);
		strcat(tmp, strchr(sig_a, '"'));
		free(ls.l[11]);
		ls.l[11] = tmp;
		CHECK_BAD(&ls, &k, NULL, 12, "seal signature does not verify");
		lines_free(&ls2);
	}
	/* the stranger's certificate chains to the root only if the root signed it */
	CHECK(stranger != NULL);

	lines_free(&ls);
	X509_free(stranger);
	X509_free(audit2);
	EVP_PKEY_free(skey);
	keys_free(&k);
	keys_free(&other);
}

static void
test_repair(void)
{
	struct keys k;
	struct journal *j = NULL;
	struct journal_report rep;
	char home[200], path[256], seal[65], *tail = NULL;
	unsigned char sha[SHA256_LEN];
	off_t off, size;
	size_t len;
	int fd;

	CHECK(keys_make(&k, "ec-p256"));
	snprintf(home, sizeof(home), "%s/repair", tmpdir);
	mkdir(home, 0700);
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);
	CHECK(make_journal(home, &k, seal) == 0);
	CHECK(journal_tail_check(home, &off, &tail, &len) == 0 && len == 0 &&
	    tail == NULL);
	/* a crash mid-append */
	fd = open(path, O_WRONLY | O_APPEND);
	size = lseek(fd, 0, SEEK_END);
	CHECK(write(fd, "{\"seq\":13,\"time\":\"20", 20) == 20);
	close(fd);
	CHECK_ERR(journal_open(home, "cli-5", "eve", &j), AIRCA_ERR_JOURNAL,
	    "incomplete line");
	CHECK_ERR(journal_verify(path, k.root, k.audit, NULL, &rep),
	    AIRCA_ERR_VERIFY, "last line is incomplete");
	CHECK(rep.bad_seq == 13 && rep.bad_line == 13);
	CHECK(journal_tail_check(home, &off, &tail, &len) == 0);
	CHECK(len == 20 && off == size && tail != NULL &&
	    strncmp(tail, "{\"seq\":13", 9) == 0);
	sha256(tail, len, sha);
	sha[0] ^= 1;
	CHECK_ERR(journal_truncate(home, off, sha), AIRCA_ERR_STATE,
	    "tail changed");
	sha[0] ^= 1;
	CHECK(journal_truncate(home, off, sha) == 0);
	CHECK(journal_open(home, "cli-5", "eve", &j) == 0);
	if (j != NULL) {
		json_t *d = json_pack("{s:I,s:s}", "removed-bytes",
		    (json_int_t)len, "removed-sha256", "x");

		CHECK(journal_append(j, "journal-repaired", d, 0, NULL) == 0);
		CHECK(journal_checkpoint(j, k.audit_key, k.audit) == 0);
		json_decref(d);
		journal_close(j);
	}
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0);
	CHECK(rep.entries == 14);
	free(tail);
	keys_free(&k);
}

/*
 * JOURNAL_DEFER: deferred entries reach the file only with the next
 * signed entry, in one piece; a process that dies before leaves a journal
 * that verifies; journal_discard_deferred() takes them back.
 */
/*
 * Issue 10's forgeries: a root-issued certificate that is not the pinned
 * one (a tls certificate whose key is on the gateway), a journal re-made
 * with it, a pin copied from the real journal, a checkpoint with an extra
 * key, a line appended by hand.
 */
static void
test_pinning(void)
{
	struct keys k, forger;
	struct journal_report rep;
	struct journal *j = NULL;
	struct lines ls;
	char home[200], home2[200], path[256], path2[256], seal[65], *p;
	EVP_PKEY *gw = NULL;
	X509 *gwcert = NULL;
	unsigned long from;
	json_t *d;
	FILE *f;

	CHECK(keys_make(&k, "ec-p256"));
	CHECK(keys_make(&forger, "ec-p256"));
	snprintf(home, sizeof(home), "%s/pin", tmpdir);
	mkdir(home, 0700);
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);
	CHECK(make_journal(home, &k, seal) == 0);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0 &&
	    rep.pinned_seq == 5);

	/* the gateway's certificate, issued by the same root, even with the EKU */
	gw = test_key("ec-p256");
	gwcert = test_cert(gw, "airca audit", k.root, k.root_key, 77);
	CHECK(gwcert != NULL);
	/* a whole journal re-made with the gateway's key: no pin possible */
	snprintf(home2, sizeof(home2), "%s/forged", tmpdir);
	mkdir(home2, 0700);
	snprintf(path2, sizeof(path2), "%s/journal.jsonl", home2);
	d = json_pack("{s:s}", "factory", "ACME");
	CHECK(journal_create(home2, "cer-1", "alice", d, &j) == 0);
	json_decref(d);
	CHECK(journal_checkpoint(j, gw, gwcert) == 0);
	journal_close(j);
	j = NULL;
	CHECK_ERR(journal_verify(path2, k.root, gwcert, NULL, &rep),
	    AIRCA_ERR_VERIFY, "before any audit-pin");
	/* ... pinned by another root's key: refused */
	unlink(path2);
	CHECK(journal_create(home2, "cer-1", "alice", NULL, &j) == 0);
	CHECK(journal_pin(j, forger.root_key, forger.root, gwcert) == 0);
	CHECK(journal_checkpoint(j, gw, gwcert) == 0);
	journal_close(j);
	j = NULL;
	CHECK_ERR(journal_verify(path2, k.root, gwcert, NULL, &rep),
	    AIRCA_ERR_VERIFY, "another root certificate");
	/* the real journal checked with the gateway's certificate */
	CHECK_ERR(journal_verify(path, k.root, gwcert, NULL, &rep),
	    AIRCA_ERR_VERIFY, "substituted");

	/* a key added to a checkpoint's data: every byte is signed */
	lines_read(path, &ls);
	p = strstr(ls.l[10], "\"from\":");
	CHECK(p != NULL);
	{
		char buf[4096];

		snprintf(buf, sizeof(buf), "%.*s\"x\":1,%s", (int)(p - ls.l[10]),
		    ls.l[10], p);
		free(ls.l[10]);
		ls.l[10] = strdup(buf);
	}
	lines_rechain(&ls, 11);
	CHECK_BAD(&ls, &k, NULL, 11, "checkpoint data must be exactly");
	reload(&ls, path);
	/* the seal's own data is signed too */
	p = strstr(ls.l[11], "end of ceremony");
	CHECK(p != NULL);
	p[0] = 'E';
	CHECK_BAD(&ls, &k, NULL, 12, "signature does not verify");
	reload(&ls, path);
	/* a non-canonical (spaced) last line */
	p = strstr(ls.l[11], "\"actor\":");
	{
		char buf[8192];

		snprintf(buf, sizeof(buf), "%.*s %s", (int)(p - ls.l[11]),
		    ls.l[11], p);
		free(ls.l[11]);
		ls.l[11] = strdup(buf);
	}
	CHECK_BAD(&ls, &k, NULL, 12, "not in canonical form");
	lines_free(&ls);

	/* a line appended by hand, chain correct: never signed by a writer */
	{
		char h[SHA256_HEX_LEN + 1], line[512];

		lines_read(path, &ls);
		sha256_hex(ls.l[11], strlen(ls.l[11]) - 1, h);
		snprintf(line, sizeof(line), "{\"seq\":13,\"time\":"
		    "\"2026-01-01T00:00:00Z\",\"ceremony\":\"x\",\"event\":"
		    "\"cert-status\",\"actor\":\"mallory\",\"data\":{},\"prev\":"
		    "\"%s\"}\n", h);
		lines_free(&ls);
		CHECK((f = fopen(path, "a")) != NULL);
		fputs(line, f);
		fclose(f);
	}
	CHECK(journal_open(home, "cli-9", "bob", &j) == 0);
	CHECK(journal_foreign(j, &from) == 1 && from == 13);
	CHECK(journal_append(j, "command", NULL, 0, NULL) == 0);
	CHECK_ERR(journal_checkpoint(j, k.audit_key, k.audit),
	    AIRCA_ERR_JOURNAL, "never signed without an officer's decision");
	journal_close(j);
	j = NULL;
	CHECK_ERR(journal_verify(path, k.root, k.audit, NULL, &rep),
	    AIRCA_ERR_VERIFY, "unsigned");
	/* what this process wrote itself it may sign: not the hand-made line */
	CHECK(journal_open(home, "cli-9", "bob", &j) == 0);
	CHECK(journal_foreign(j, NULL) == 2);
	journal_close(j);
	j = NULL;
	/* an officer adopts them: then they are signed */
	CHECK(journal_open_flags(home, "cli-9", "bob", JOURNAL_OPEN_ADOPT,
	    &j) == 0);
	CHECK(journal_checkpoint(j, k.audit_key, k.audit) == 0);
	journal_close(j);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0);

	EVP_PKEY_free(gw);
	X509_free(gwcert);
	keys_free(&k);
	keys_free(&forger);
}

/*
 * A write that fails (RLIMIT_FSIZE gives EFBIG as a full disk gives
 * ENOSPC) leaves no partial line, names its cause, and stops every later
 * append and signature of the process.  In a child: the refusal is
 * process-wide.
 */
static void
test_write_failure(void)
{
	struct keys k;
	struct journal_report rep;
	struct journal *j = NULL;
	struct rlimit rl;
	struct stat st0, st1;
	char home[200], path[256], seal[65], big[8192];
	pid_t pid;
	json_t *d;
	int status = 0, fails = 0;

	CHECK(keys_make(&k, "ec-p256"));
	snprintf(home, sizeof(home), "%s/full", tmpdir);
	mkdir(home, 0700);
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);
	CHECK(make_journal(home, &k, seal) == 0);
	CHECK(stat(path, &st0) == 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fflush(stderr);
	if ((pid = fork()) == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (journal_open(home, "cli-f", "eve", &j) != 0)
			_exit(10);
		d = json_pack("{s:s}", "note", "small");
		if (journal_append(j, "command", d, 0, NULL) != 0)
			_exit(11);
		json_decref(d);
		/* room for a few bytes more, not for the next entry */
		if (fstat(open(path, O_RDONLY), &st1) != 0)
			_exit(12);
		rl.rlim_cur = rl.rlim_max = (rlim_t)st1.st_size + 100;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(13);
		d = json_pack("{s:s}", "note", big);
		if (journal_append(j, "command", d, 0, NULL) == 0)
			_exit(14);
		json_decref(d);
		if (strstr(airca_errmsg(), "File too large") == NULL)
			fails |= 1;
		if (!journal_failed())
			fails |= 2;
		/* the file ends where it did: no partial line */
		if (stat(path, &st0) != 0 || st0.st_size != st1.st_size)
			fails |= 4;
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		setrlimit(RLIMIT_FSIZE, &rl);
		/* nothing more: not an append, not a checkpoint, not an open */
		if (journal_append(j, "command-failed", NULL, 0, NULL) == 0 ||
		    strstr(airca_errmsg(), "File too large") == NULL)
			fails |= 8;
		if (journal_checkpoint(j, k.audit_key, k.audit) == 0)
			fails |= 16;
		journal_close(j);
		j = NULL;
		if (journal_open(home, "cli-g", "eve", &j) == 0)
			fails |= 32;
		_exit(fails);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "write failure child: status %d\n", status);
	/* the journal is whole: its one unsigned entry is the child's */
	CHECK_ERR(journal_verify(path, k.root, k.audit, NULL, &rep),
	    AIRCA_ERR_VERIFY, "1 entry after the last signature");
	keys_free(&k);
}

static void
test_defer(void)
{
	struct keys k;
	struct journal *j = NULL;
	struct journal_report rep;
	struct stat st0, st1;
	char home[200], path[256], head[SHA256_HEX_LEN + 1];
	unsigned long seq;

	json_t *d;
	int i;

	CHECK(keys_make(&k, "ec-p256"));
	snprintf(home, sizeof(home), "%s/defer", tmpdir);
	mkdir(home, 0700);
	snprintf(path, sizeof(path), "%s/journal.jsonl", home);
	d = json_pack("{s:s}", "factory", "ACME");
	CHECK(journal_create(home, "cer-1", "alice", d, &j) == 0);
	json_decref(d);
	CHECK(journal_pin(j, k.root_key, k.root, k.audit) == 0);
	CHECK(stat(path, &st0) == 0);
	snprintf(head, sizeof(head), "%s", journal_head(j));
	for (i = 0; i < 5; i++) {
		d = cert_event(i);
		CHECK(journal_append(j, "cert-issued", d, JOURNAL_DEFER |
		    JOURNAL_NOSYNC, NULL) == 0);
		json_decref(d);
	}
	/* nothing written yet: the file verifies as it is */
	CHECK(stat(path, &st1) == 0 && st1.st_size == st0.st_size);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0);
	CHECK(journal_unsigned(j) == 5 && journal_seq(j) == 7);
	/* taken back: seq and head as before */
	seq = journal_seq(j);
	CHECK(journal_discard_deferred(j) == 5);
	CHECK(journal_seq(j) == seq - 5 && journal_unsigned(j) == 0);
	CHECK(strcmp(journal_head(j), head) == 0);
	for (i = 5; i < 8; i++) {
		d = cert_event(i);
		CHECK(journal_append(j, "cert-issued", d, JOURNAL_DEFER, NULL) ==
		    0);
		json_decref(d);
	}
	CHECK(journal_checkpoint_flags(j, k.audit_key, k.audit,
	    JOURNAL_NOSYNC) == 0);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0);
	CHECK(rep.entries == 6 && rep.checkpoints == 1 && rep.pinned_seq == 2);
	journal_close(j);
	keys_free(&k);
}

static void
test_reader(void)
{
	struct journal_reader *r = NULL;
	char path[256], *line, *big;
	size_t len;
	bool complete;
	FILE *f;

	snprintf(path, sizeof(path), "%s/long.jsonl", tmpdir);
	f = fopen(path, "w");
	big = malloc(JOURNAL_MAX_LINE + 10);
	memset(big, 'x', JOURNAL_MAX_LINE + 9);
	big[JOURNAL_MAX_LINE + 9] = '\0';
	fprintf(f, "short\n%s\n", big);
	fclose(f);
	CHECK(journal_reader_open(path, &r) == 0);
	CHECK(journal_reader_next(r, &line, &len, &complete) == 1 &&
	    len == 5 && complete && strcmp(line, "short") == 0);
	CHECK_ERR(journal_reader_next(r, &line, &len, &complete),
	    AIRCA_ERR_VERIFY, "line 2 is 65545 bytes");
	journal_reader_close(r);
	free(big);
}

/* --make DIR [TYPE]: a signed sample home for the shell tests. */
static int
make_sample(const char *dir, const char *type)
{
	struct keys k;
	char path[1024], seal[65];
	FILE *f;
	int r;

	if (!keys_make(&k, type))
		return 1;
	if ((r = make_journal(dir, &k, seal)) != 0) {
		fprintf(stderr, "make_journal: %s\n", airca_errmsg());
		return 1;
	}
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	if (!test_write_pem(path, k.root))
		return 1;
	snprintf(path, sizeof(path), "%s/audit.pem", dir);
	if (!test_write_pem(path, k.audit))
		return 1;
	snprintf(path, sizeof(path), "%s/seal.hex", dir);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "%s\n", seal);
	fclose(f);
	keys_free(&k);
	return 0;
}

int
main(int argc, char **argv)
{
	char cmd[300];

	if (argc >= 3 && strcmp(argv[1], "--make") == 0)
		return make_sample(argv[2], argc > 3 ? argv[3] : "ec-p256");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_key_type("ec-p256");
	test_key_type("ec-p384");
	test_key_type("rsa-2048");
	test_repair();
	test_pinning();
	test_write_failure();
	test_defer();
	test_reader();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	CHECK_DONE();
}
