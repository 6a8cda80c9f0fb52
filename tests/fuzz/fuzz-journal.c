/*
 * fuzz-journal.c: libFuzzer harness for the journal line reader and
 * verifier (journal_verify_fd) on arbitrary file contents.  The keys are
 * made once per run, so seeds' signatures do not verify: the harness
 * explores framing, JSON shape, seq, chain and checkpoint fields.
 */
#include <sys/mman.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/keys.h"

#include "error.h"
#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *root, *audit;

static void
init(void)
{
	EVP_PKEY *rk = test_key("ec-p256"), *ak = test_key("ec-p256");

	root = test_cert(rk, "Fuzz Root", NULL, rk, 1);
	audit = test_cert(ak, "Fuzz Audit", root, rk, 2);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ak);
	if (root == NULL || audit == NULL)
		abort();
}

static int
count(void *arg, unsigned long seq, const char *event, json_t *entry)
{
	(void)seq;
	(void)entry;
	if (event == NULL)
		abort();
	(*(unsigned long *)arg)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_report rep;
	struct journal_reader *rd = NULL;
	unsigned long n = 0;
	char *line;
	size_t len;
	bool complete;
	int fd;

	if (root == NULL)
		init();
	if ((fd = memfd_create("journal", MFD_CLOEXEC)) == -1)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	journal_verify_fd(fd, "fuzz", root, audit, NULL, count, &n, &rep);
	if (n > rep.entries + 1 || strlen(rep.what) >= sizeof(rep.what))
		abort();
	lseek(fd, 0, SEEK_SET);
	if (journal_reader_fd(fd, "fuzz", &rd) == 0) {
		while (journal_reader_next(rd, &line, &len, &complete) == 1)
			if (strlen(line) > len)
				abort();
		journal_reader_close(rd);
	}
	close(fd);
	airca_errclear();
	return 0;
}
