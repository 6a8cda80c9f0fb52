/*
 * test-media-race.c: media.c against what changes on the media between its
 * check and its use.  Two libc calls are interposed (this binary's
 * definitions win over libc's for the calls of media.c):
 *   renameat2(): when race_name is set and the call moves a temp file to
 *                it, another writer creates race_name first: the output
 *                appears after the existence check, before the rename.
 *   openat():    when swap_name is set and a read opens it, it is first
 *                replaced by a symlink to a secret: a hostile stick swaps
 *                the file after the lstat that found it regular.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "media.h"

static char tmpdir[] = "/tmp/airca-test-mrace.XXXXXX";
static const char *race_name;	/* base name the racer creates */
static const char *swap_name;	/* base name swapped for a symlink */
static char swap_target[512];
static int races, swaps;

static const char *
base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

int
renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
    unsigned int flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned int);
	int fd;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "renameat2");
	if (race_name != NULL && strcmp(base(newpath), race_name) == 0) {
		fd = openat(newdirfd, newpath, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd == -1 || write(fd, "racer", 5) != 5)
			abort();
		close(fd);
		races++;
	}
	return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	char tmp[600];
	mode_t mode = 0;
	va_list ap;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "openat");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (swap_name != NULL && (flags & O_ACCMODE) == O_RDONLY &&
	    strcmp(base(path), swap_name) == 0) {
		snprintf(tmp, sizeof(tmp), "%s/.swap", tmpdir);
		if (symlink(swap_target, tmp) != 0 ||
		    renameat(AT_FDCWD, tmp, dirfd, path) != 0)
			abort();
		swaps++;
	}
	return real(dirfd, path, flags, mode);
}

static char *
path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static bool
content_is(const char *p, const char *want)
{
	char buf[64];
	ssize_t n;
	int fd;

	if ((fd = open(p, O_RDONLY)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

/* Entries whose name starts with '.' (temp files left behind). */
static int
hidden_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

/* The output appears between the existence check and the rename. */
static void
test_rename_race(void)
{
	struct media_out *o = NULL;
	int dfd;

	CHECK(media_mkdir(path("out")) == 0);
	race_name = "device.pem";
	races = 0;
	CHECK_ERR(media_write(path("out/device.pem"), "ours", 4, 0),
	    AIRCA_ERR_EXISTS, "exists; airca never overwrites an output");
	CHECK(races == 1);
	CHECK(content_is(path("out/device.pem"), "racer"));
	CHECK(hidden_entries(path("out")) == 0);

	/* the streaming writer too */
	race_name = "bundle.tar";
	CHECK((dfd = media_opendir(path("out"))) >= 0);
	CHECK(media_out_open(dfd, "bundle.tar", 0, &o) == 0);
	CHECK(media_out_write(o, "ours", 4) == 0);
	CHECK_ERR(media_out_commit(o, NULL), AIRCA_ERR_EXISTS,
	    "exists; airca never overwrites an output");
	CHECK(races == 2);
	CHECK(content_is(path("out/bundle.tar"), "racer"));
	CHECK(hidden_entries(path("out")) == 0);
	close(dfd);
	race_name = NULL;

	/* without a racer the same writes succeed (the harness is sound) */
	CHECK(media_write(path("out/other.pem"), "ours", 4, 0) == 0);
	CHECK(content_is(path("out/other.pem"), "ours"));
}

/* A regular file at the lstat, a symlink to a secret at the open. */
static void
test_symlink_swap(void)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int fd;

	CHECK(media_mkdir(path("usb")) == 0);
	snprintf(swap_target, sizeof(swap_target), "%s", path("secret"));
	CHECK((fd = open(swap_target, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	CHECK(write(fd, "SECRET", 6) == 6);
	close(fd);
	CHECK((fd = open(path("usb/req.csr"), O_WRONLY | O_CREAT | O_EXCL,
	    0644)) != -1);
	CHECK(write(fd, "csr", 3) == 3);
	close(fd);

	swap_name = "req.csr";
	swaps = 0;
	CHECK_ERR(media_read(path("usb/req.csr"), 1024, &data, &len),
	    AIRCA_ERR_UNSAFE, "is a symbolic link");
	CHECK(swaps == 1);
	CHECK(data == NULL);
	free(data);
	data = NULL;
	swap_name = NULL;

	/* a regular file is read as before (the harness is sound) */
	CHECK((fd = open(path("usb/plain.csr"), O_WRONLY | O_CREAT | O_EXCL,
	    0644)) != -1);
	CHECK(write(fd, "csr", 3) == 3);
	close(fd);
	CHECK(media_read(path("usb/plain.csr"), 1024, &data, &len) == 0 &&
	    len == 3 && memcmp(data, "csr", 3) == 0);
	free(data);
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_rename_race();
	test_symlink_swap();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	CHECK_DONE();
}
