/*
 * test-bnames.c: a batch's file names sorted into a scratch file
 * (batch-names.c) come out in strcmp order, whatever the runs they were
 * sorted in and the cache they are read through, names that share a
 * 200-byte prefix and bytes above 0x7f included; the duplicate sets
 * (dupset.c) find the first item with a key, keep keys that share their
 * first 8 bytes apart, and are empty again after a clear.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch-int.h"
#include "check.h"
#include "dupset.h"
#include "error.h"

#define NFILES	1500

static char indir[] = "/tmp/airca-bnames-in.XXXXXX";
static char scratch[] = "/tmp/airca-bnames.XXXXXX";
static char *names[NFILES];
static size_t nnames;

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NFILES files with random names: short, long, a shared 200-byte prefix, high bytes. */
static void
make_files(void)
{
	static const char alpha[] = "ab.z0-\xc3\xa9\x7f~";
	char name[256], path[512];
	size_t i, k, len, pre;
	int fd;

	srandom(14);
	while (nnames < NFILES) {
		pre = random() % 3 == 0 ? 200 : 0;
		len = pre + 1 + (size_t)random() % (pre > 0 ? 40 : 60);
		memset(name, 'p', pre);
		for (k = pre; k < len; k++)
			name[k] = alpha[random() % (sizeof(alpha) - 1)];
		name[len] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", indir, name);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
			continue;	/* drawn twice */
		close(fd);
		names[nnames++] = strdup(name);
	}
	qsort(names, nnames, sizeof(*names), cmp_str);
	for (i = 1; i < nnames; i++)
		if (strcmp(names[i - 1], names[i]) >= 0)
			abort();
}

/* The store built (runs of chunk names, cache of pages pages) is the sorted list. */
static void
check_sorted(const char *chunk, const char *pages)
{
	struct bnames *bn = NULL;
	char buf[256];
	size_t i, bad = 0;
	int dfd;

	if (chunk != NULL)
		setenv("AIRCA_TEST_BATCH_CHUNK", chunk, 1);
	else
		unsetenv("AIRCA_TEST_BATCH_CHUNK");
	if (pages != NULL)
		setenv("AIRCA_TEST_SCRATCH_PAGES", pages, 1);
	else
		unsetenv("AIRCA_TEST_SCRATCH_PAGES");
	CHECK((dfd = open(indir, O_RDONLY | O_DIRECTORY)) != -1);
	CHECK(bnames_build(dfd, indir, scratch, &bn) == 0);
	close(dfd);
	if (bn == NULL)
		return;
	CHECK(bnames_count(bn) == nnames);
	for (i = 0; i < nnames; i++)
		if (bnames_get(bn, i, buf, sizeof(buf)) != 0 ||
		    strcmp(buf, names[i]) != 0)
			bad++;
	CHECK(bad == 0);
	/* out of order, as a message naming an earlier request reads it */
	CHECK(bnames_get(bn, nnames - 1, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, names[nnames - 1]) == 0);
	CHECK(bnames_get(bn, 0, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, names[0]) == 0);
	CHECK_ERR(bnames_get(bn, nnames, buf, sizeof(buf)), AIRCA_ERR_INTERNAL,
	    "no file");
	CHECK(bnames_error(bn) == 0);
	bnames_free(bn);
}

static void
test_dupset(void)
{
	unsigned char k[KEYLEN];
	struct dupset s;
	size_t first = 0, i, bad = 0;
	int r;

	setenv("AIRCA_TEST_SCRATCH_PAGES", "1", 1);
	CHECK(dupset_init(&s, scratch, "the test's CNs", 3000, 256) == 0);
	/* keys that share their first 8 bytes: all kept, none a duplicate */
	for (i = 0; i < 3000; i++) {
		memset(k, 0, sizeof(k));
		k[0] = (unsigned char)(i % 3);
		memcpy(k + 8, &i, sizeof(i));
		if (dupset_put(&s, k, i, &first) != 0)
			bad++;
	}
	CHECK(bad == 0);
	/* each again, under a later index: the first one is named */
	for (i = 0; i < 3000; i += 7) {
		memset(k, 0, sizeof(k));
		k[0] = (unsigned char)(i % 3);
		memcpy(k + 8, &i, sizeof(i));
		if (dupset_put(&s, k, 2999, &first) != 1 || first != i)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(dupset_clear(&s) == 0);
	memset(k, 0, sizeof(k));
	CHECK((r = dupset_put(&s, k, 5, &first)) == 0);
	CHECK(dupset_put(&s, k, 6, &first) == 1 && first == 5);
	CHECK_ERR(dupset_put(&s, k, 3000, &first), AIRCA_ERR_INTERNAL,
	    "no item 3000");
	dupset_free(&s);
	unsetenv("AIRCA_TEST_SCRATCH_PAGES");
}

int
main(void)
{
	char cmd[128];
	size_t i;

	if (mkdtemp(indir) == NULL || mkdtemp(scratch) == NULL)
		return 1;
	make_files();
	check_sorted(NULL, NULL);		/* one run, in memory */
	check_sorted("7", NULL);		/* 215 runs merged */
	check_sorted("1", "1");			/* a run a name, one page of cache */
	check_sorted("32768", "1");
	test_dupset();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", indir);
	if (system(cmd) != 0)
		check_failed++;
	rmdir(scratch);		/* empty: the scratch files had no name */
	CHECK(access(scratch, F_OK) == -1);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	CHECK_DONE();
}
