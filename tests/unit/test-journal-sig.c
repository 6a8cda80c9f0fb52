/*
 * test-journal-sig.c: journals whose signed entries are wrong in each way
 * a verifier must notice, made with the keys themselves (software keys),
 * so that only the check under test can refuse them: a checkpoint whose
 * head is not the hash it covers, signature bytes that are not DER, an
 * unknown or mismatched algorithm, an audit pin signed by the audit key
 * or naming another key, an audit certificate without documentSigning;
 * and the writer's own check that the token's signature verifies.  Each
 * case pins a mutant of tests/mutants/mutants.tsv.
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

static char tmpdir[] = "/tmp/airca-test-jsig.XXXXXX";

/* The journal's lines, without their newlines. */
struct lines {
	char	*l[32];
	size_t	n;
};

static void
lines_read(const char *path, struct lines *ls)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	memset(ls, 0, sizeof(*ls));
	while (f != NULL && (n = getline(&line, &cap, f)) > 0 && ls->n < 32) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		ls->l[ls->n++] = strdup(line);
	}
	free(line);
	if (f != NULL)
		fclose(f);
}

static void
lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->l[i]);
	memset(ls, 0, sizeof(*ls));
}

static void
lines_write(const char *path, const struct lines *ls)
{
	FILE *f = fopen(path, "w");
	size_t i;

	for (i = 0; i < ls->n; i++)
		fprintf(f, "%s\n", ls->l[i]);
	fclose(f);
}

/* Replace the first `from` in line i by `to` (any length). */
static void
edit(struct lines *ls, size_t i, const char *from, const char *to)
{
	char *p = strstr(ls->l[i], from), *n;
	size_t off;

	if (p == NULL) {
		fprintf(stderr, "edit: line %zu lacks %s\n", i + 1, from);
		abort();
	}
	off = (size_t)(p - ls->l[i]);
	if ((n = malloc(strlen(ls->l[i]) - strlen(from) + strlen(to) + 1)) ==
	    NULL)
		abort();
	memcpy(n, ls->l[i], off);
	strcpy(n + off, to);
	strcat(n, p + strlen(from));
	free(ls->l[i]);
	ls->l[i] = n;
}

/* Set line i's "sig" to base64 text b64. */
static void
set_sig(struct lines *ls, size_t i, const char *b64)
{
	char *msg, *n, *line = ls->l[i];
	size_t mlen, off, slen;

	if (journal_sig_message(line, strlen(line), &msg, &mlen, &off,
	    &slen) != 0)
		abort();
	free(msg);
	if ((n = malloc(strlen(line) - slen + strlen(b64) + 1)) == NULL)
		abort();
	memcpy(n, line, off);
	strcpy(n + off, b64);
	strcat(n, line + off + slen);
	free(ls->l[i]);
	ls->l[i] = n;
}

/* Sign line i again, as its writer would with key and md: a real signature. */
static void
resign(struct lines *ls, size_t i, EVP_PKEY *key, const EVP_MD *md)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	unsigned char sig[1024];
	char b64[1400], *msg;
	size_t mlen, off, slen, siglen = sizeof(sig);

	set_sig(ls, i, "");
	if (journal_sig_message(ls->l[i], strlen(ls->l[i]), &msg, &mlen, &off,
	    &slen) != 0 || mc == NULL ||
	    EVP_DigestSignInit(mc, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(mc, sig, &siglen, (unsigned char *)msg, mlen) != 1)
		abort();
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	free(msg);
	EVP_MD_CTX_free(mc);
	set_sig(ls, i, b64);
}

static int
verify_lines(const struct lines *ls, struct keys *k, X509 *audit,
    struct journal_report *rep)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/copy.jsonl", tmpdir);
	lines_write(path, ls);
	return journal_verify(path, k->root, audit != NULL ? audit : k->audit,
	    NULL, rep);
}

/* Verify ls: AIRCA_ERR_VERIFY at seq saying needle. */
#define CHECK_BAD(ls, k, audit, seq, needle) do {			\
	struct journal_report rep_;					\
	memset(&rep_, 0, sizeof(rep_));					\
	CHECK_ERR(verify_lines((ls), (k), (audit), &rep_),		\
	    AIRCA_ERR_VERIFY, (needle));				\
	if (rep_.bad_seq != (unsigned long)(seq)) {			\
		check_failed++;						\
		fprintf(stderr, "%s:%d: bad_seq %lu, want %lu (%s)\n",	\
		    __FILE__, __LINE__, rep_.bad_seq,			\
		    (unsigned long)(seq), rep_.what);			\
	} else								\
		check_passed++;						\
} while (0)

static json_t *
entry_data(int i)
{
	return json_pack("{s:s,s:i}", "note", "entry", "n", i);
}

/*
 * open, 2 entries, audit-pin (seq 4), 2 entries, checkpoint (seq 7);
 * with pin_last the journal ends at the pin.
 */
static int
make_journal(const char *home, struct keys *k, X509 *audit, bool pin_last)
{
	struct journal *j = NULL;
	json_t *d;
	int i, r;

	if ((r = journal_create(home, "cer-1", "alice", NULL, &j)) != 0)
		return r;
	for (i = 0; i < 2 && r == 0; i++) {
		d = entry_data(i);
		r = journal_append(j, "command", d, 0, NULL);
		json_decref(d);
	}
	if (r == 0)
		r = journal_pin(j, k->root_key, k->root, audit);
	for (i = 2; i < 4 && r == 0 && !pin_last; i++) {
		d = entry_data(i);
		r = journal_append(j, "command", d, 0, NULL);
		json_decref(d);
	}
	if (r == 0 && !pin_last)
		r = journal_checkpoint(j, k->audit_key, audit);
	journal_close(j);
	return r;
}

static void
home_path(char *out, size_t len, const char *name, const char *file)
{
	snprintf(out, len, "%s/%s%s%s", tmpdir, name, file ? "/" : "",
	    file ? file : "");
}

/* The checkpoint (line 7) wrong in each way, re-signed by the audit key. */
static void
test_checkpoint(const char *type)
{
	struct keys k;
	struct lines ls;
	struct journal_report rep;
	char home[256], path[256], fake[SHA256_HEX_LEN + 1];
	const EVP_MD *md, *othermd;
	bool big;

	CHECK(keys_make(&k, type));
	big = strcmp(type, "ec-p384") == 0;
	md = big ? EVP_sha384() : EVP_sha256();
	othermd = big ? EVP_sha256() : EVP_sha384();
	home_path(home, sizeof(home), type, NULL);
	mkdir(home, 0700);
	home_path(path, sizeof(path), type, JOURNAL_FILE);
	CHECK(make_journal(home, &k, k.audit, false) == 0);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0);
	CHECK(rep.pinned_seq == 4 && rep.checkpoints == 1);
	lines_read(path, &ls);
	CHECK(ls.n == 7 && strstr(ls.l[6], "\"event\":\"checkpoint\"") != NULL);

	/* the harness is sound: a re-signed, unchanged line verifies */
	resign(&ls, 6, k.audit_key, md);
	CHECK(verify_lines(&ls, &k, NULL, &rep) == 0);

	/* head: not the SHA-256 of entry 6, though signed by the audit key */
	sha256_hex("another entry", 13, fake);
	{
		char from[80], to[80];
		char *p = strstr(ls.l[6], "\"head\":\"");

		CHECK(p != NULL);
		snprintf(from, sizeof(from), "%.*s", 8 + SHA256_HEX_LEN, p);
		snprintf(to, sizeof(to), "\"head\":\"%s", fake);
		edit(&ls, 6, from, to);
	}
	resign(&ls, 6, k.audit_key, md);
	CHECK_BAD(&ls, &k, NULL, 7, "head is not the SHA-256 of entry 6");
	lines_free(&ls);

	/* signature bytes that are not a signature at all (not DER) */
	lines_read(path, &ls);
	set_sig(&ls, 6, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB");
	CHECK_BAD(&ls, &k, NULL, 7, "checkpoint signature does not verify "
	    "with the pinned audit certificate's key");
	/* a DER signature, wrong: a byte of r changed (base64 digit 20) */
	lines_free(&ls);
	lines_read(path, &ls);
	{
		char *p = strstr(ls.l[6], "\"sig\":\"");

		CHECK(p != NULL);
		p += 7 + 20;
		*p = *p == 'B' ? 'C' : 'B';
	}
	CHECK_BAD(&ls, &k, NULL, 7, "signature does not verify");
	lines_free(&ls);

	/* an algorithm name the format does not have, signed as sha256 */
	lines_read(path, &ls);
	edit(&ls, 6, big ? "\"alg\":\"sha384\"" : "\"alg\":\"sha256\"",
	    "\"alg\":\"sha512\"");
	resign(&ls, 6, k.audit_key, md);
	CHECK_BAD(&ls, &k, NULL, 7, "alg is neither sha256 nor sha384");
	lines_free(&ls);

	/* alg names the other digest and the signature uses it: valid */
	lines_read(path, &ls);
	edit(&ls, 6, big ? "\"alg\":\"sha384\"" : "\"alg\":\"sha256\"",
	    big ? "\"alg\":\"sha256\"" : "\"alg\":\"sha384\"");
	resign(&ls, 6, k.audit_key, othermd);
	CHECK(verify_lines(&ls, &k, NULL, &rep) == 0);
	/* ... but a signature made with another digest than alg says: refused */
	resign(&ls, 6, k.audit_key, md);
	CHECK_BAD(&ls, &k, NULL, 7, "signature does not verify");
	lines_free(&ls);

	/*
	 * Not canonical at the same length: \u00e9 where the writer makes
	 * \u00E9 (the last line, unsigned: the chain and signatures stay
	 * right, only the form check can refuse it).
	 */
	{
		struct journal *j = NULL;
		json_t *d = json_pack("{s:s}", "note", "caf\xc3\xa9");

		CHECK(journal_open(home, "cli-2", "bob", &j) == 0);
		CHECK(journal_append(j, "command", d, 0, NULL) == 0);
		json_decref(d);
		journal_close(j);
	}
	lines_read(path, &ls);
	CHECK(ls.n == 8 && strstr(ls.l[7], "caf\\u00E9") != NULL);
	CHECK_ERR(verify_lines(&ls, &k, NULL, &rep), AIRCA_ERR_VERIFY,
	    "1 entry after the last signature");
	edit(&ls, 7, "caf\\u00E9", "caf\\u00e9");
	CHECK_BAD(&ls, &k, NULL, 8, "not in canonical form");
	lines_free(&ls);
	keys_free(&k);
}

/* The audit pin (line 4) wrong in each way. */
static void
test_pin(void)
{
	struct keys k;
	struct lines ls;
	struct journal_report rep;
	char home[256], path[256], home2[256], path2[256];
	X509 *noeku = NULL;
	int i;

	CHECK(keys_make(&k, "ec-p256"));
	home_path(home, sizeof(home), "pin", NULL);
	mkdir(home, 0700);
	home_path(path, sizeof(path), "pin", JOURNAL_FILE);
	CHECK(make_journal(home, &k, k.audit, true) == 0);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0 &&
	    rep.pinned_seq == 4);
	lines_read(path, &ls);
	CHECK(ls.n == 4 && strstr(ls.l[3], "\"event\":\"audit-pin\"") != NULL);

	/* the audit key pins itself: only the root's key may */
	resign(&ls, 3, k.audit_key, EVP_sha256());
	CHECK_BAD(&ls, &k, NULL, 4, "audit-pin signature does not verify with "
	    "the root certificate's key");
	lines_free(&ls);

	/* audit-spki that is not the audit certificate's key, root-signed */
	lines_read(path, &ls);
	{
		char *p = strstr(ls.l[3], "\"audit-spki\":\"");

		CHECK(p != NULL);
		p += 14;
		*p = *p == '0' ? '1' : '0';
	}
	resign(&ls, 3, k.root_key, EVP_sha256());
	CHECK_BAD(&ls, &k, NULL, 4, "audit-pin: audit-spki is not the SHA-256");
	lines_free(&ls);

	/*
	 * A certificate of the root without documentSigning (a gateway's,
	 * a device CA's), pinned by the root's key: not an audit certificate.
	 */
	noeku = X509_dup(k.audit);
	CHECK(noeku != NULL);
	while ((i = X509_get_ext_by_NID(noeku, NID_ext_key_usage, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(noeku, i));
	CHECK(X509_sign(noeku, k.root_key, EVP_sha256()) > 0);
	home_path(home2, sizeof(home2), "noeku", NULL);
	mkdir(home2, 0700);
	home_path(path2, sizeof(path2), "noeku", JOURNAL_FILE);
	CHECK(make_journal(home2, &k, noeku, false) == 0);
	CHECK_ERR(journal_verify(path2, k.root, noeku, NULL, &rep),
	    AIRCA_ERR_VERIFY, "lacks the documentSigning purpose");
	CHECK(rep.bad_seq == 4);

	X509_free(noeku);
	keys_free(&k);
}

/* Format 1 (the fixture): signature bytes that are not DER. */
static void
test_v1(void)
{
	static const char *dir = "tests/fixtures/journal-v1";
	struct lines ls;
	struct journal_report rep;
	struct keys k;
	char path[256];
	FILE *f;
	size_t last;

	memset(&k, 0, sizeof(k));
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "run from the top of the tree: %s\n", path);
		CHECK(0);
		return;
	}
	k.root = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/audit.pem", dir);
	CHECK((f = fopen(path, "r")) != NULL);
	k.audit = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	CHECK(k.root != NULL && k.audit != NULL);
	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0 &&
	    rep.version == 1 && rep.pinned_seq == 0);
	lines_read(path, &ls);
	last = ls.n - 1;
	CHECK(verify_lines(&ls, &k, NULL, &rep) == 0);
	set_sig(&ls, last, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB");
	CHECK_BAD(&ls, &k, NULL, last + 1, "signature does not verify with the "
	    "audit certificate's key");
	lines_free(&ls);
	keys_free(&k);
}

/*
 * The writer checks what the token signed before it writes it: a token
 * that signs with another key than its certificate's.  Last: the
 * process stays usable, but nothing may have been written.
 */
static void
test_writer(void)
{
	struct keys k;
	struct journal *j = NULL;
	struct stat before, after;
	struct journal_report rep;
	EVP_PKEY *other = test_key("ec-p256");
	char home[256], path[256];

	CHECK(keys_make(&k, "ec-p256"));
	home_path(home, sizeof(home), "writer", NULL);
	mkdir(home, 0700);
	home_path(path, sizeof(path), "writer", JOURNAL_FILE);
	CHECK(journal_create(home, "cer-1", "alice", NULL, &j) == 0);
	CHECK(stat(path, &before) == 0);
	CHECK_ERR(journal_pin(j, other, k.root, k.audit), AIRCA_ERR_CRYPTO,
	    "the journal signature does not verify with the certificate it "
	    "names");
	CHECK(journal_pin(j, k.root_key, k.root, k.audit) == 0);
	CHECK(journal_append(j, "command", NULL, 0, NULL) == 0);
	CHECK(stat(path, &before) == 0);
	CHECK_ERR(journal_checkpoint(j, other, k.audit), AIRCA_ERR_CRYPTO,
	    "the journal signature does not verify with the certificate it "
	    "names");
	CHECK(stat(path, &after) == 0 && after.st_size == before.st_size);
	CHECK(journal_checkpoint(j, k.audit_key, k.audit) == 0);
	journal_close(j);
	CHECK(journal_verify(path, k.root, k.audit, NULL, &rep) == 0 &&
	    rep.checkpoints == 1);
	EVP_PKEY_free(other);
	keys_free(&k);
}

/*
 * A failed write stops every later write of the process, also entries
 * that another handle held back (JOURNAL_DEFER) and writes at its
 * journal_sync(): in a child, as the refusal is process-wide.
 */
static void
test_failed_flush(void)
{
	struct journal *j = NULL, *j2 = NULL;
	struct stat st0, st1;
	struct rlimit rl;
	char home[256], path[256], home2[256], path2[256], big[8192];
	pid_t pid;
	json_t *d;
	int status = 0, fails = 0;

	home_path(home, sizeof(home), "held", NULL);
	home_path(path, sizeof(path), "held", JOURNAL_FILE);
	home_path(home2, sizeof(home2), "full", NULL);
	home_path(path2, sizeof(path2), "full", JOURNAL_FILE);
	mkdir(home, 0700);
	mkdir(home2, 0700);
	CHECK(journal_create(home, "cer-1", "alice", NULL, &j) == 0);
	journal_close(j);
	j = NULL;
	CHECK(journal_create(home2, "cer-1", "alice", NULL, &j2) == 0);
	journal_close(j2);
	j2 = NULL;
	CHECK(stat(path, &st0) == 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fflush(stderr);
	if ((pid = fork()) == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (journal_open(home, "cli-h", "eve", &j) != 0 ||
		    journal_append(j, "command", NULL, JOURNAL_DEFER, NULL) != 0 ||
		    journal_open(home2, "cli-f", "eve", &j2) != 0)
			_exit(10);
		if (stat(path2, &st1) != 0)
			_exit(11);
		rl.rlim_cur = rl.rlim_max = (rlim_t)st1.st_size + 100;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(12);
		d = json_pack("{s:s}", "note", big);
		if (journal_append(j2, "command", d, 0, NULL) == 0)
			_exit(13);
		json_decref(d);
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		setrlimit(RLIMIT_FSIZE, &rl);
		if (!journal_failed())
			fails |= 1;
		/* the held entry of the other handle is not written now */
		if (journal_sync(j) == 0 || strstr(airca_errmsg(),
		    "refused: an earlier append of this airca failed") == NULL)
			fails |= 2;
		journal_close(j);
		journal_close(j2);
		if (stat(path, &st1) != 0 || st1.st_size != st0.st_size)
			fails |= 4;
		_exit(fails);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "failed flush child: status %d\n", status);
	CHECK(stat(path, &st1) == 0 && st1.st_size == st0.st_size);
}

int
main(void)
{
	char cmd[300];

	(void)test_write_pem;	/* keys.h: unused here */
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_checkpoint("ec-p256");
	test_checkpoint("ec-p384");
	test_pin();
	test_v1();
	test_writer();
	test_failed_flush();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	CHECK_DONE();
}
