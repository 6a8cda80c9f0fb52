/*
 * test-dhash.c: the scratch file (pfile) and the hash table in it (dhash),
 * and SipHash (the registry's index hash) against its reference vectors:
 * contents survive pages being evicted and read back, a table grows, keys
 * that share a hash all stay, and a write that fails (a full disk, here a
 * file size limit) is kept and returned by every later call.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dhash.h"
#include "error.h"
#include "pfile.h"
#include "siphash.h"

static char dir[] = "/tmp/airca-dhash.XXXXXX";

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void
test_pfile_evict(void)
{
	struct pfile *pf;
	uint32_t v, i, bad = 0;

	CHECK(pfile_open(dir, "test", 2, &pf) == 0);
	/* 64 pages through a cache of two: each page written back and read again */
	for (i = 0; i < 64 * 1024; i += 1024)
		if (pfile_write(pf, (uint64_t)i * 4, &i, 4) != 0)
			bad++;
	for (i = 0; i < 64 * 1024; i += 1024) {
		v = 0;
		if (pfile_read(pf, (uint64_t)i * 4, &v, 4) != 0 || v != i)
			bad++;
	}
	CHECK(bad == 0);
	/* across a page boundary, and never written bytes read as zeros */
	CHECK(pfile_write(pf, PFILE_PAGE - 2, "abcd", 4) == 0);
	{
		char b[8] = "xxxxxxx";

		CHECK(pfile_read(pf, PFILE_PAGE - 2, b, 4) == 0);
		CHECK(memcmp(b, "abcd", 4) == 0);
		CHECK(pfile_read(pf, 1u << 30, b, 8) == 0);
		CHECK(memcmp(b, "\0\0\0\0\0\0\0\0", 8) == 0);
	}
	pfile_close(pf);
	/* nothing named is left in the directory */
	CHECK(rmdir(dir) == 0 && mkdir(dir, 0700) == 0);
}

static void
test_dhash_many(void)
{
	struct dhash h;
	struct dhash_it it;
	uint32_t v, i, n = 100000, bad = 0, found;
	int r;

	CHECK(dhash_init(&h, dir, "test", 0, 4) == 0);	/* grows from 256 slots */
	for (i = 0; i < n; i++) {
		/* every 1000th key shares its hash with the key before it */
		dhash_first(&h, mix(i % 1000 == 999 ? i - 1 : i), &it);
		while ((r = dhash_next(&h, &it, &v)) == 1)
			;
		if (r != 0 || dhash_add(&h, &it, i) != 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(h.used == n && h.cap >= 2 * n);
	for (i = 0; i < n; i++) {
		found = 0;
		dhash_first(&h, mix(i % 1000 == 999 ? i - 1 : i), &it);
		while ((r = dhash_next(&h, &it, &v)) == 1)
			found |= v == i;
		if (r != 0 || !found)
			bad++;
	}
	CHECK(bad == 0);
	/* set replaces the candidate in place: newest wins */
	dhash_first(&h, mix(5), &it);
	CHECK(dhash_next(&h, &it, &v) == 1 && v == 5);
	CHECK(dhash_set(&h, &it, 777777) == 0);
	dhash_first(&h, mix(5), &it);
	CHECK(dhash_next(&h, &it, &v) == 1 && v == 777777);
	CHECK(dhash_next(&h, &it, &v) == 0);
	/* an absent hash ends on a free slot at once or after its neighbours */
	dhash_first(&h, mix(n + 1), &it);
	CHECK(dhash_next(&h, &it, &v) == 0);
	dhash_free(&h);
}

/* A write the file system refuses (EFBIG past RLIMIT_FSIZE, as ENOSPC would) sticks. */
static void
test_write_fails(void)
{
	struct rlimit old, lim;
	struct pfile *pf;
	struct dhash h;
	char page[PFILE_PAGE] = { 1 };
	uint32_t i;
	int r = 0;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 64 * 1024;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);

	CHECK(pfile_open(dir, "the test's index", 1, &pf) == 0);
	for (i = 0; i < 64 && r == 0; i++)
		r = pfile_write(pf, (uint64_t)i * PFILE_PAGE, page, sizeof(page));
	CHECK(r == AIRCA_ERR_IO);
	CHECK(strstr(airca_errmsg(), "cannot write the scratch file for the "
	    "test's index") != NULL && strstr(airca_errmsg(), "File too large"));
	CHECK(pfile_error(pf) == AIRCA_ERR_IO);
	CHECK(pfile_read(pf, 0, page, 1) == AIRCA_ERR_IO);	/* kept */
	pfile_close(pf);

	/* a table too big to reserve: refused when it is made or grows */
	CHECK_ERR(dhash_init(&h, dir, "the test's set", 100000, 1),
	    AIRCA_ERR_IO, "cannot grow the scratch file for the test's set");
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);

	CHECK_ERR(pfile_open("/nonexistent-airca-dir", "x", 1, &pf),
	    AIRCA_ERR_IO, "cannot make a scratch file for x in "
	    "/nonexistent-airca-dir");
}

/* SipHash-2-4's reference vectors (key 00..0f, message 00..len-1), whole and streamed. */
static void
test_siphash(void)
{
	unsigned char key[16], msg[64];
	struct siphash sh;
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	siphash_init(&sh, key);
	CHECK(siphash_final(&sh) == 0x726fdb47dd0e0e31ULL);
	siphash_init(&sh, key);
	siphash_update(&sh, msg, 15);
	CHECK(siphash_final(&sh) == 0xa129ca6149be45e5ULL);
	siphash_init(&sh, key);
	siphash_update(&sh, msg, 3);
	siphash_update(&sh, msg + 3, 0);
	siphash_update(&sh, msg + 3, 12);
	CHECK(siphash_final(&sh) == 0xa129ca6149be45e5ULL);
	siphash_init(&sh, key);
	siphash_update(&sh, msg, 63);
	CHECK(siphash_final(&sh) == 0x958a324ceb064572ULL);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_siphash();
	test_pfile_evict();
	test_dhash_many();
	test_write_fails();
	rmdir(dir);
	CHECK_DONE();
}
