/* test-media.c: hostile files on media are refused; writes are atomic, never overwrite, and verified. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "media.h"
#include "util.h"

static char top[] = "/tmp/airca-test-media.XXXXXX";

/*
 * Faults injected into the library linked into this test: these definitions
 * take the place of libc's for the whole binary (the library is static), and
 * call through to the real ones unless armed.
 *   fail_dir_fsync: fsync() of a directory fails with that errno.
 *   corrupt_write:  posix_fadvise() (called after the file's fsync, before it
 *                   is read back) flips the file's first byte: the media
 *                   hands back different bytes of the same length.
 *   fail_datasync:  fdatasync() fails with that errno.
 *   fail_readback:  preadv() (the read-back of a written temp file) fails
 *                   with that errno.
 */
static int fail_dir_fsync, fail_datasync, fail_readback;
static bool corrupt_write;

ssize_t
preadv(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	static ssize_t (*real)(int, const struct iovec *, int, off_t);

	if (fail_readback != 0) {
		errno = fail_readback;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "preadv");
	return real(fd, iov, iovcnt, off);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (fail_datasync != 0) {
		errno = fail_datasync;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}

int
fsync(int fd)
{
	static int (*real)(int);
	struct stat st;

	if (fail_dir_fsync != 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = fail_dir_fsync;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

int
posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	static int (*real)(int, off_t, off_t, int);

	/* every corrupted write starts with 'o': 'O' is the same length */
	if (corrupt_write && pwrite(fd, "O", 1, 0) != 1)
		abort();
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "posix_fadvise");
	return real(fd, off, len, advice);
}

static char *
path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", top, name);
	return buf[i];
}

static void
put(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(name);
		exit(2);
	}
}

/* Entries of dir whose name starts with '.' (temp files), besides . and .. */
static int
hidden_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.') {
			fprintf(stderr, "left behind: %s/%s\n", dir, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Bytes this process has read through read() so far, or -1. */
static long long
rchar(void)
{
	char line[128];
	long long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/io", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "rchar: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static bool
read_is(const char *p, const char *want)
{
	unsigned char *d = NULL;
	size_t len = 0;
	bool ok;

	ok = media_read(p, 1024, &d, &len) == 0 && len == strlen(want) &&
	    memcmp(d, want, len) == 0;
	free(d);
	return ok;
}

static void
test_read_caps(void)
{
	unsigned char big[101], *d = NULL;
	size_t len = 99;
	long long before, after;
	int fd;

	memset(big, 'a', sizeof(big));
	put("max", big, 100);
	put("over", big, 101);
	put("empty", "", 0);

	CHECK(media_read(path("max"), 100, &d, &len) == 0);
	CHECK(len == 100 && d != NULL && d[100] == '\0');
	free(d);
	d = NULL;

	CHECK_ERR(media_read(path("over"), 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "over is 101 bytes, more than the 100 bytes");
	CHECK(d == NULL);

	CHECK(media_read(path("empty"), 100, &d, &len) == 0);
	CHECK(len == 0 && d != NULL && d[0] == '\0');
	free(d);
	d = NULL;

	/* A 1 GiB (sparse) file is refused from its size, without reading. */
	fd = open(path("huge"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd != -1 && ftruncate(fd, 1L << 30) == 0);
	close(fd);
	before = rchar();
	CHECK_ERR(media_read(path("huge"), MEDIA_MAX_CSR, &d, &len),
	    AIRCA_ERR_UNSAFE, "1073741824 bytes, more than the 65536 bytes");
	after = rchar();
	if (before >= 0 && after >= 0)
		CHECK(after - before < 4096);
	unlink(path("huge"));

	/* /proc files say size 0 but hold more: the read loop is bounded. */
	CHECK_ERR(media_read("/proc/self/status", 64, &d, &len),
	    AIRCA_ERR_UNSAFE, "grew past 64 bytes");
	CHECK(d == NULL);
}

static void
test_read_hostile(void)
{
	unsigned char *d = NULL;
	size_t len;
	struct sockaddr_un sun;
	int s;

	put("target", "x", 1);
	CHECK(symlink("target", path("link")) == 0);
	CHECK_ERR(media_read(path("link"), 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "is a symbolic link");
	CHECK(symlink("/nonexistent", path("dangling")) == 0);
	CHECK_ERR(media_read(path("dangling"), 100, &d, &len),
	    AIRCA_ERR_UNSAFE, "is a symbolic link");

	/* A FIFO with no writer must be refused, not block. */
	CHECK(mkfifo(path("fifo"), 0644) == 0);
	alarm(10);
	CHECK_ERR(media_read(path("fifo"), 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "is a FIFO (named pipe), not a regular file");
	alarm(0);

	CHECK(mkdir(path("dir"), 0755) == 0);
	CHECK_ERR(media_read(path("dir"), 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "dir is a directory, not a regular file");
	CHECK_ERR(media_read("/dev/null", 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "/dev/null is a character device");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path("sock"));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(s != -1 && bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK_ERR(media_read(path("sock"), 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "is a socket");
	close(s);

	CHECK_ERR(media_read("../x", 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "../x has a '..' component");
	CHECK_ERR(media_read(path("dir/../target"), 100, &d, &len),
	    AIRCA_ERR_UNSAFE, "has a '..' component");
	CHECK_ERR(media_read(path(".."), 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "'..' component");
	/* "..." and "..x" are ordinary names. */
	put("..x", "y", 1);
	CHECK(read_is(path("..x"), "y"));

	CHECK_ERR(media_read(path("missing"), 100, &d, &len),
	    AIRCA_ERR_NOTFOUND, "missing does not exist");
	CHECK(d == NULL);

	/* Names on media may hold terminal escapes: never echoed raw. */
	put("esc\033[2Jx", "z", 1);
	CHECK_ERR(media_read(path("esc\033[2Jx/y"), 100, &d, &len),
	    AIRCA_ERR_NOTFOUND, "esc?[2Jx/y");
}

static void
test_read_at(void)
{
	unsigned char *d = NULL;
	size_t len = 0;
	int dfd;

	CHECK((dfd = media_opendir(top)) >= 0);
	CHECK(media_read_at(dfd, "target", 100, &d, &len) == 0);
	CHECK(len == 1 && d != NULL && d[0] == 'x');
	free(d);
	d = NULL;
	CHECK_ERR(media_read_at(dfd, "link", 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "link is a symbolic link");
	CHECK_ERR(media_read_at(dfd, "dir/x", 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "not a plain file name");
	CHECK_ERR(media_read_at(dfd, "..", 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "is not a file name");
	CHECK_ERR(media_read_at(dfd, "fifo", 100, &d, &len), AIRCA_ERR_UNSAFE,
	    "FIFO");
	close(dfd);
}

static void
test_write(void)
{
	static const char data[] = "-----BEGIN CERTIFICATE-----\n";
	struct stat st;
	int dfd;

	CHECK(media_mkdir(path("out")) == 0);
	CHECK(media_write(path("out/a.pem"), data, strlen(data), 0) == 0);
	CHECK(read_is(path("out/a.pem"), data));
	CHECK(stat(path("out/a.pem"), &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK(hidden_entries(path("out")) == 0);

	/* An existing output is never overwritten, and stays as it was. */
	CHECK_ERR(media_write(path("out/a.pem"), "other", 5, 0), AIRCA_ERR_EXISTS,
	    "out/a.pem exists; airca never overwrites an output: move it away "
	    "or choose another --out");
	CHECK(read_is(path("out/a.pem"), data));
	CHECK(hidden_entries(path("out")) == 0);

	/* Nor through a symlink, nor a dangling one. */
	CHECK(symlink("/tmp/airca-nowhere", path("out/l.pem")) == 0);
	CHECK_ERR(media_write(path("out/l.pem"), "x", 1, 0), AIRCA_ERR_EXISTS,
	    "l.pem exists");
	CHECK(!media_exists("/tmp/airca-nowhere"));

	/* MEDIA_REPLACE replaces, privately when asked. */
	CHECK(media_write(path("out/a.pem"), "new", 3,
	    MEDIA_REPLACE | MEDIA_PRIVATE) == 0);
	CHECK(read_is(path("out/a.pem"), "new"));
	CHECK(stat(path("out/a.pem"), &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(media_write(path("out/nosync"), "n", 1, MEDIA_NOSYNC) == 0);
	CHECK(read_is(path("out/nosync"), "n"));
	CHECK(media_write(path("out/zero"), "", 0, 0) == 0);
	CHECK(read_is(path("out/zero"), ""));

	/* A failure after the temp file exists leaves no temp file. */
	CHECK(mkdir(path("out/isdir"), 0755) == 0);
	CHECK_ERR(media_write(path("out/isdir"), "x", 1, MEDIA_REPLACE),
	    AIRCA_ERR_IO, "cannot move the new");
	CHECK(hidden_entries(path("out")) == 0);

	CHECK_ERR(media_write(path("out/../b.pem"), "x", 1, 0), AIRCA_ERR_UNSAFE,
	    "'..' component");
	CHECK_ERR(media_write(path("out/"), "x", 1, 0), AIRCA_ERR_USAGE,
	    "give a file name");
	CHECK_ERR(media_write(path("nodir/x"), "x", 1, 0), AIRCA_ERR_NOTFOUND,
	    "nodir does not exist");

	CHECK((dfd = media_opendir(path("out"))) >= 0);
	CHECK(media_write_at(dfd, "c.pem", "c", 1, 0) == 0);
	CHECK(read_is(path("out/c.pem"), "c"));
	CHECK_ERR(media_write_at(dfd, "c.pem", "d", 1, 0), AIRCA_ERR_EXISTS,
	    "c.pem exists; airca never overwrites");
	CHECK_ERR(media_write_at(dfd, "x/c.pem", "d", 1, 0), AIRCA_ERR_UNSAFE,
	    "not a plain file name");
	close(dfd);
	CHECK(hidden_entries(path("out")) == 0);
}

static void
test_dirs(void)
{
	CHECK(media_mkdir(path("d2")) == 0);
	CHECK(media_mkdir(path("d2")) == 0);
	CHECK(symlink("d2", path("d2link")) == 0);
	CHECK_ERR(media_mkdir(path("d2link")), AIRCA_ERR_UNSAFE,
	    "d2link is a symbolic link");
	CHECK_ERR(media_opendir(path("d2link")), AIRCA_ERR_UNSAFE,
	    "d2link is a symbolic link");
	CHECK_ERR(media_mkdir(path("target")), AIRCA_ERR_EXISTS,
	    "target exists and is a file, not a directory");
	CHECK_ERR(media_opendir(path("target")), AIRCA_ERR_UNSAFE,
	    "target is a file, not a directory");
	CHECK_ERR(media_opendir(path("none")), AIRCA_ERR_NOTFOUND,
	    "none does not exist");
	CHECK(media_fsync_dir(path("d2")) == 0);
	CHECK(media_exists(path("d2")));
	CHECK(media_exists(path("dangling")));
	CHECK(!media_exists(path("none")));
}

static void
test_sums(void)
{
	const char *names[] = { "a.pem", "upload.json" };
	const char *bad[] = { "a.pem", "../x" };
	char want[512], ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1];
	char cmd[600];
	unsigned char *d = NULL;
	size_t len = 0;

	CHECK(media_mkdir(path("sums")) == 0);
	CHECK(media_write(path("sums/a.pem"), "AAAA\n", 5, 0) == 0);
	CHECK(media_write(path("sums/upload.json"), "{}\n", 3, 0) == 0);
	CHECK(media_write_sums(path("sums"), names, 2) == 0);
	sha256_hex("AAAA\n", 5, ha);
	sha256_hex("{}\n", 3, hb);
	snprintf(want, sizeof(want), "%s  a.pem\n%s  upload.json\n", ha, hb);
	CHECK(media_read(path("sums/SHA256SUMS"), 4096, &d, &len) == 0);
	CHECK_STR((char *)d, want);
	free(d);
	CHECK(media_check_sums(path("sums")) == 0);
	/* sha256sum -c agrees. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum --quiet -c SHA256SUMS",
	    path("sums"));
	CHECK(system(cmd) == 0);

	/* Written once: not again. */
	CHECK_ERR(media_write_sums(path("sums"), names, 2), AIRCA_ERR_EXISTS,
	    "SHA256SUMS exists");
	CHECK_ERR(media_write_sums(path("sums"), bad, 2), AIRCA_ERR_UNSAFE,
	    "not a plain file name");

	/* A file changed after it was written is caught. */
	put("sums/upload.json", "{ }\n", 4);
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_IO,
	    "upload.json does not match its SHA-256 in SHA256SUMS");
	put("sums/upload.json", "{}\n", 3);
	CHECK(media_check_sums(path("sums")) == 0);
	unlink(path("sums/a.pem"));
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_IO,
	    "a.pem is listed in SHA256SUMS but missing");

	/* A tampered list cannot send the check out of the directory. */
	snprintf(want, sizeof(want), "%s  ../target\n", ha);
	put("sums/SHA256SUMS", want, strlen(want));
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_UNSAFE,
	    "SHA256SUMS line 1: '../target' is not a plain file name");
	snprintf(want, sizeof(want), "%s  upload.json\n%s  ..\n", hb, ha);
	put("sums/SHA256SUMS", want, strlen(want));
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_UNSAFE,
	    "SHA256SUMS line 2: '..' is not a file name");
	put("sums/SHA256SUMS", "nothex  a.pem\n", 14);
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_INPUT,
	    "line 1 is not \"SHA256  NAME\"");
	put("sums/SHA256SUMS", "", 0);
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_INPUT,
	    "lists no files");
	unlink(path("sums/SHA256SUMS"));
	CHECK(symlink("../target", path("sums/SHA256SUMS")) == 0);
	CHECK_ERR(media_check_sums(path("sums")), AIRCA_ERR_UNSAFE,
	    "SHA256SUMS is a symbolic link");
	CHECK(hidden_entries(path("sums")) == 0);
}

static int
rm(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Streamed writes: big files, no overwrite, replace, abort leaves nothing. */
static void
test_stream(void)
{
	struct media_out *o = NULL;
	unsigned char sha[SHA256_LEN], want[SHA256_LEN], *back = NULL;
	char *big;
	size_t len, n = 300000, i;
	DIR *d;
	struct dirent *de;
	int dfd, ntmp = 0;

	CHECK(media_mkdir(path("st")) == 0);
	CHECK((dfd = media_opendir(path("st"))) >= 0);
	CHECK((big = malloc(n)) != NULL);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 23);
	sha256(big, n, want);
	CHECK(media_out_open(dfd, "big.txt", 0, &o) == 0);
	for (i = 0; i < n; i += 7000)	/* uneven pieces across the buffer */
		CHECK(media_out_write(o, big + i, n - i < 7000 ? n - i : 7000) == 0);
	CHECK(!media_exists(path("st/big.txt")));	/* nothing before commit */
	CHECK(media_out_commit(o, sha) == 0);
	CHECK(memcmp(sha, want, SHA256_LEN) == 0);
	CHECK(media_read(path("st/big.txt"), n, &back, &len) == 0 && len == n &&
	    memcmp(back, big, n) == 0);
	free(back);
	CHECK_ERR(media_out_open(dfd, "big.txt", 0, &o), AIRCA_ERR_EXISTS,
	    "exists");
	CHECK(media_out_open(dfd, "big.txt", MEDIA_REPLACE | MEDIA_NOSYNC,
	    &o) == 0);
	CHECK(media_out_write(o, "new\n", 4) == 0);
	CHECK(media_out_commit(o, NULL) == 0);
	CHECK(media_read(path("st/big.txt"), n, &back, &len) == 0 && len == 4);
	free(back);
	CHECK(media_out_open(dfd, "gone.txt", 0, &o) == 0);
	CHECK(media_out_write(o, "x", 1) == 0);
	media_out_abort(o);
	CHECK(!media_exists(path("st/gone.txt")));
	CHECK_ERR(media_out_open(dfd, "../x", 0, &o), AIRCA_ERR_UNSAFE, "");
	CHECK((d = opendir(path("st"))) != NULL);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, MEDIA_TMP_PREFIX,
		    strlen(MEDIA_TMP_PREFIX)) == 0)
			ntmp++;
	closedir(d);
	CHECK(ntmp == 0);
	close(dfd);
	free(big);

	/* a SHA256SUMS longer than the window media_check_sums() reads in */
	{
		static char names[1500][32];
		const char *np[1500];
		char buf[64];
		FILE *f;

		CHECK(media_mkdir(path("many")) == 0);
		CHECK((dfd = media_opendir(path("many"))) >= 0);
		for (i = 0; i < 1500; i++) {
			snprintf(names[i], sizeof(names[i]),
			    "file-with-a-longish-name-%04zu", i);
			snprintf(buf, sizeof(buf), "content %zu\n", i);
			CHECK(media_write_at(dfd, names[i], buf, strlen(buf),
			    MEDIA_NOSYNC) == 0);
			np[i] = names[i];
		}
		close(dfd);
		CHECK(media_write_sums(path("many"), np, 1500) == 0);
		CHECK(media_check_sums(path("many")) == 0);
		CHECK((f = fopen(path("many/file-with-a-longish-name-1499"),
		    "a")) != NULL);
		fputs("x", f);
		fclose(f);
		CHECK_ERR(media_check_sums(path("many")), AIRCA_ERR_IO,
		    "file-with-a-longish-name-1499 does not match");
	}
}

/*
 * Replacing a file never removes the previous content on a late failure:
 * the file in place is the old content (read-back differs) or the complete
 * new content (directory sync failed after the rename).
 */
static void
test_replace_faults(void)
{
	struct media_out *o = NULL;
	int dfd;

	CHECK(media_mkdir(path("rf")) == 0);
	CHECK(media_write(path("rf/airca.json"), "old", 3, 0) == 0);

	/* read-back differs (same length): nothing renamed, old kept */
	corrupt_write = true;
	CHECK_ERR(media_write(path("rf/airca.json"), "ox", 2, MEDIA_REPLACE),
	    AIRCA_ERR_IO, "reads back different from what was written");
	corrupt_write = false;
	CHECK(read_is(path("rf/airca.json"), "old"));
	CHECK(hidden_entries(path("rf")) == 0);

	/* the read-back itself fails: nothing renamed, old kept, no temp left */
	fail_readback = EIO;
	CHECK_ERR(media_write(path("rf/airca.json"), "new", 3, MEDIA_REPLACE),
	    AIRCA_ERR_IO, "reading back what was written to");
	CHECK(strstr(airca_errmsg(), "Input/output error") != NULL);
	CHECK_ERR(media_write(path("rf/fresh.pem"), "x", 1, MEDIA_NOSYNC),
	    AIRCA_ERR_IO, "Input/output error");
	fail_readback = 0;
	CHECK(read_is(path("rf/airca.json"), "old"));
	CHECK(!media_exists(path("rf/fresh.pem")));
	CHECK(hidden_entries(path("rf")) == 0);

	/* the directory sync fails after the rename: the new content stays */
	fail_dir_fsync = EIO;
	CHECK_ERR(media_write(path("rf/airca.json"), "new", 3, MEDIA_REPLACE),
	    AIRCA_ERR_IO, "Input/output error");
	CHECK(strstr(airca_errmsg(), "holds the new, verified content") !=
	    NULL);
	fail_dir_fsync = 0;
	CHECK(read_is(path("rf/airca.json"), "new"));
	CHECK(hidden_entries(path("rf")) == 0);

	/* a new file whose directory cannot be synced is not left behind */
	fail_dir_fsync = ENOSPC;
	CHECK_ERR(media_write(path("rf/out.pem"), "x", 1, 0), AIRCA_ERR_IO,
	    "No space left on device");
	fail_dir_fsync = 0;
	CHECK(!media_exists(path("rf/out.pem")));
	CHECK(hidden_entries(path("rf")) == 0);

	/* the same for the streaming writer (registry.jsonl) */
	CHECK((dfd = media_opendir(path("rf"))) >= 0);
	CHECK(media_write_at(dfd, "registry.jsonl", "old\n", 4, 0) == 0);
	CHECK(media_out_open(dfd, "registry.jsonl", MEDIA_REPLACE, &o) == 0);
	CHECK(media_out_write(o, "oops\n", 5) == 0);
	corrupt_write = true;
	CHECK_ERR(media_out_commit(o, NULL), AIRCA_ERR_IO,
	    "reads back different");
	corrupt_write = false;
	CHECK(read_is(path("rf/registry.jsonl"), "old\n"));
	CHECK(media_out_open(dfd, "registry.jsonl", MEDIA_REPLACE, &o) == 0);
	CHECK(media_out_write(o, "new\n", 4) == 0);
	fail_dir_fsync = EIO;
	CHECK_ERR(media_out_commit(o, NULL), AIRCA_ERR_IO,
	    "Input/output error");
	fail_dir_fsync = 0;
	CHECK(read_is(path("rf/registry.jsonl"), "new\n"));
	CHECK(media_out_open(dfd, "new.jsonl", 0, &o) == 0);
	CHECK(media_out_write(o, "x", 1) == 0);
	fail_dir_fsync = EIO;
	CHECK_ERR(media_out_commit(o, NULL), AIRCA_ERR_IO, "was removed again");
	fail_dir_fsync = 0;
	CHECK(!media_exists(path("rf/new.jsonl")));
	close(dfd);
	CHECK(hidden_entries(path("rf")) == 0);
}

/* The append-only output (keygen's passwords): whole records only. */
static void
test_log(void)
{
	struct media_log *l = NULL;
	unsigned char sha[SHA256_LEN], want[SHA256_LEN];

	CHECK(media_mkdir(path("lg")) == 0);
	CHECK(media_log_open(path("lg/pw.csv"), 0, &l) == 0);
	CHECK(media_log_append(l, "file,password\n", 14) == 0);
	CHECK(media_log_append(l, "a.p12,1\n", 8) == 0);
	/* on the media before the caller goes on, not at close */
	CHECK(read_is(path("lg/pw.csv"), "file,password\na.p12,1\n"));
	/* a record that cannot be synced is cut off again */
	fail_datasync = ENOSPC;
	CHECK_ERR(media_log_append(l, "b.p12,2\n", 8), AIRCA_ERR_IO,
	    "No space left on device");
	fail_datasync = 0;
	CHECK(read_is(path("lg/pw.csv"), "file,password\na.p12,1\n"));
	CHECK(media_log_close(l, sha) == 0);
	sha256("file,password\na.p12,1\n", 22, want);
	CHECK(memcmp(sha, want, SHA256_LEN) == 0);
	/* an existing output is never written to */
	CHECK_ERR(media_log_open(path("lg/pw.csv"), 0, &l), AIRCA_ERR_EXISTS,
	    "exists");
	CHECK(read_is(path("lg/pw.csv"), "file,password\na.p12,1\n"));
	CHECK(symlink("pw.csv", path("lg/link.csv")) == 0);
	CHECK(media_log_open(path("lg/link.csv"), 0, &l) != 0);
	/* bad media: the read-back at close differs */
	CHECK(media_log_open(path("lg/bad.csv"), 0, &l) == 0);
	CHECK(media_log_append(l, "oops\n", 5) == 0);
	corrupt_write = true;
	CHECK_ERR(media_log_close(l, NULL), AIRCA_ERR_IO,
	    "reads back different");
	corrupt_write = false;
	CHECK(hidden_entries(path("lg")) == 0);
}

/* A dead process's pid, or -1. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid == -1 || waitpid(pid, NULL, 0) != pid)
		return -1;
	return pid;
}

/* Temp files carry the writer's pid; those of dead writers are swept. */
static void
test_sweep(void)
{
	char dead[128], live[128], mine[128], other[128], **names = NULL;
	size_t n = 99;
	pid_t pid;
	int dfd;

	CHECK(media_mkdir(path("sw")) == 0);
	CHECK((pid = dead_pid()) > 0);
	snprintf(dead, sizeof(dead), MEDIA_TMP_PREFIX "%ld.a.pem.AbCdEf",
	    (long)pid);
	snprintf(live, sizeof(live), MEDIA_TMP_PREFIX "%ld.b.pem.AbCdEf",
	    (long)getppid());
	snprintf(mine, sizeof(mine), MEDIA_TMP_PREFIX "%ld.c.pem.AbCdEf",
	    (long)getpid());
	snprintf(other, sizeof(other), ".airca-tmp.x%ld.d", (long)pid);
	CHECK((dfd = media_opendir(path("sw"))) >= 0);
	CHECK(media_write_at(dfd, dead, "d", 1, 0) == 0);
	CHECK(media_write_at(dfd, live, "l", 1, 0) == 0);
	CHECK(media_write_at(dfd, mine, "m", 1, 0) == 0);
	CHECK(media_write_at(dfd, other, "o", 1, 0) == 0);
	CHECK(media_write_at(dfd, "keep.pem", "k", 1, 0) == 0);
	CHECK(media_sweep_stale(dfd, path("sw"), &names, &n) == 0);
	CHECK(n == 1 && names != NULL && strcmp(names[0], dead) == 0);
	media_names_free(names, n);
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/%s", path("sw"), dead);
		CHECK(!media_exists(p));
		snprintf(p, sizeof(p), "%s/%s", path("sw"), live);
		CHECK(media_exists(p));
		snprintf(p, sizeof(p), "%s/%s", path("sw"), mine);
		CHECK(media_exists(p));
		snprintf(p, sizeof(p), "%s/%s", path("sw"), other);
		CHECK(media_exists(p));
	}
	CHECK(media_sweep_stale(dfd, path("sw"), &names, &n) == 0);
	CHECK(n == 0 && names == NULL);
	close(dfd);

	/* a temp file of a live writer carries its pid in its name */
	{
		struct media_out *o = NULL;
		char want[64];
		struct dirent *de;
		DIR *d;
		int found = 0;

		CHECK(media_mkdir(path("pid")) == 0);
		CHECK((dfd = media_opendir(path("pid"))) >= 0);
		CHECK(media_out_open(dfd, "r.jsonl", 0, &o) == 0);
		snprintf(want, sizeof(want), MEDIA_TMP_PREFIX "%ld.r.jsonl.",
		    (long)getpid());
		CHECK((d = opendir(path("pid"))) != NULL);
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, want, strlen(want)) == 0)
				found++;
		closedir(d);
		CHECK(found == 1);
		media_out_abort(o);
		close(dfd);
		CHECK(hidden_entries(path("pid")) == 0);
	}
}

/* StrictModes: group- or world-writable homes and files are refused. */
static void
test_private(void)
{
	static const char *const names[] = { "airca.json", "certs",
	    "missing.pem", NULL };

	CHECK(mkdir(path("home"), 0700) == 0);
	CHECK(media_write(path("home/airca.json"), "{}", 2, 0) == 0);
	CHECK(mkdir(path("home/certs"), 0755) == 0);
	CHECK(media_check_private(path("home"), names) == 0);
	CHECK(chmod(path("home"), 0777) == 0);
	CHECK_ERR(media_check_private(path("home"), names), AIRCA_ERR_UNSAFE,
	    "is world-writable (mode 0777)");
	CHECK(strstr(airca_errmsg(), "run 'chmod go-w ") != NULL &&
	    strstr(airca_errmsg(), "/home'") != NULL);
	CHECK(chmod(path("home"), 0755) == 0);
	CHECK(chmod(path("home/airca.json"), 0664) == 0);
	CHECK_ERR(media_check_private(path("home"), names), AIRCA_ERR_UNSAFE,
	    "home/airca.json is group-writable (mode 0664)");
	CHECK(chmod(path("home/airca.json"), 0644) == 0);
	CHECK(chmod(path("home/certs"), 0775) == 0);
	CHECK_ERR(media_check_private(path("home"), names), AIRCA_ERR_UNSAFE,
	    "chmod go-w");
	CHECK(chmod(path("home/certs"), 0755) == 0);
	CHECK(media_check_private(path("home"), names) == 0);
	if (geteuid() == 0) {
		CHECK(chown(path("home/airca.json"), 12345, 12345) == 0);
		CHECK_ERR(media_check_private(path("home"), names),
		    AIRCA_ERR_UNSAFE, "is owned by uid 12345, not by you");
		CHECK(chown(path("home/airca.json"), 0, 0) == 0);
	}
	CHECK(media_check_private(path("home"), names) == 0);
}

int
main(void)
{
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_read_caps();
	test_read_hostile();
	test_read_at();
	test_write();
	test_dirs();
	test_sums();
	test_stream();
	test_replace_faults();
	test_log();
	test_sweep();
	test_private();
	nftw(top, rm, 16, FTW_DEPTH | FTW_PHYS);
	CHECK_DONE();
}
