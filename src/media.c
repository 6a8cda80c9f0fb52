/*
 * media.c: bounded reads of hostile files and atomic, verified writes on
 * removable media.  Over 1,000 lines on purpose: every read and write of a
 * stick or the home goes through the same static path, name and file-kind
 * checks (check_path, open_regular, write_common), and keeping them static in
 * one file means no other file can reach around them.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "error.h"
#include "media.h"
#include "siphash.h"
#include "util.h"

#define SUMS_NAME	"SHA256SUMS"
#define MEDIA_MAX_SUMS	(256 * 1024 * 1024)	/* ~2,500,000 lines, read in windows */
#define TMP_PREFIX	MEDIA_TMP_PREFIX	/* ".airca-tmp." */
#define TMP_SUFFIX_LEN	6
#define TMP_PID_MAX	10		/* digits of a pid_t */
/* ".airca-tmp.<pid>.<name>.<suffix>" */
#define TMP_EXTRA	(sizeof(TMP_PREFIX) - 1 + TMP_PID_MAX + 2 + TMP_SUFFIX_LEN)
#define TMP_TRIES	100
#define SHOW_MAX	256
#define HASH_CHUNK	(64 * 1024)

/*
 * A file name fit for a message: names come from the media and may hold
 * terminal escapes, so anything unprintable is shown as '?'.
 */
static const char *
show(const char *s, char buf[SHOW_MAX])
{
	size_t i, len = strnlen(s, SHOW_MAX - 1);

	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!text_printable(buf, len)) {
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c < 0x20 || c >= 0x7f)
				buf[i] = '?';
		}
	}
	return buf;
}

/* What a file that is not a regular file is, for messages. */
static const char *
file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO (named pipe)";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

/* True if some component of path is "..". */
static bool
has_dotdot(const char *path)
{
	const char *p = path, *slash;
	size_t len;

	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (slash == NULL)
			return false;
		p = slash + 1;
	}
}

static int
check_path(const char *path)
{
	char sh[SHOW_MAX];

	if (path == NULL || *path == '\0')
		return airca_errf(AIRCA_ERR_USAGE, "an empty path was given");
	if (has_dotdot(path))
		return airca_errf(AIRCA_ERR_UNSAFE, "%s has a '..' component: "
		    "airca refuses paths that climb out of a directory; "
		    "give the path without '..'", show(path, sh));
	return 0;
}

/* name is one path component: not empty, no '/', not "." or "..". */
static int
check_name(const char *name)
{
	char sh[SHOW_MAX];
	size_t len;

	if (name == NULL || (len = strlen(name)) == 0)
		return airca_errf(AIRCA_ERR_UNSAFE, "an empty file name was given");
	if (strchr(name, '/') != NULL)
		return airca_errf(AIRCA_ERR_UNSAFE, "'%s' is not a plain file "
		    "name: it contains '/'", show(name, sh));
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return airca_errf(AIRCA_ERR_UNSAFE, "'%s' is not a file name",
		    name);
	if (len > NAME_MAX)
		return airca_errf(AIRCA_ERR_UNSAFE, "'%.40s...' is %zu bytes "
		    "long: file names have at most %d", show(name, sh), len,
		    NAME_MAX);
	return 0;
}

/*
 * A name fit for a SHA256SUMS line: one component, printable, and none of
 * the characters sha256sum would escape.
 */
static int
check_sums_name(const char *name)
{
	char sh[SHOW_MAX];
	int r;

	if ((r = check_name(name)) != 0)
		return r;
	if (strchr(name, '\\') != NULL || !text_printable(name, strlen(name)))
		return airca_errf(AIRCA_ERR_UNSAFE, "'%s' has a backslash or "
		    "a control character: it cannot be listed in " SUMS_NAME,
		    show(name, sh));
	return 0;
}

static int
exists_error(const char *label)
{
	char sh[SHOW_MAX];

	return airca_errf(AIRCA_ERR_EXISTS, "%s exists; airca never "
	    "overwrites an output: move it away or choose another --out",
	    show(label, sh));
}

/* Map a failed open or stat of label to an error. */
static int
open_error(const char *label, int err)
{
	char sh[SHOW_MAX];

	show(label, sh);
	switch (err) {
	case ELOOP:
		return airca_errf(AIRCA_ERR_UNSAFE, "%s is a symbolic link: "
		    "airca does not follow links on media; copy the file "
		    "itself", sh);
	case ENOENT:
		return airca_errf(AIRCA_ERR_NOTFOUND, "%s does not exist: "
		    "check the name and that the media is mounted", sh);
	case ENOTDIR:
		return airca_errf(AIRCA_ERR_NOTFOUND, "%s: a component of the "
		    "path is not a directory; check the path", sh);
	case EACCES:
	case EPERM:
		return airca_errf(AIRCA_ERR_IO, "%s: permission denied; check "
		    "the file's permissions and the mount options", sh);
	}
	return airca_errf(AIRCA_ERR_IO, "cannot open %s: %s; check the media",
	    sh, strerror(err));
}

static int
not_regular(const char *label, mode_t m)
{
	char sh[SHOW_MAX];

	return airca_errf(AIRCA_ERR_UNSAFE, "%s is %s, not a regular file: "
	    "airca reads only regular files from media; copy the file itself",
	    show(label, sh), file_kind(m));
}

/*
 * Open path (relative to dirfd) for reading if it is a regular file.  The
 * lstat comes first so that a device or FIFO is never opened at all (opening
 * some devices has effects); the fstat after the open is the one that counts.
 */
static int
open_regular(int dirfd, const char *path, const char *label, int *fdp,
    struct stat *stp)
{
	struct stat st;
	int fd = -1, r;

	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		r = open_error(label, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = not_regular(label, st.st_mode);
		goto out;
	}
	fd = openat(dirfd, path,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		r = open_error(label, errno);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "cannot stat %s: %s", label,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = not_regular(label, st.st_mode);
		goto out;
	}
	*fdp = fd;
	*stp = st;
	fd = -1;
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	return r;
}

static int
read_common(int dirfd, const char *path, const char *label, size_t max,
    unsigned char **datap, size_t *lenp)
{
	char sh[SHOW_MAX];
	unsigned char *buf = NULL, *nbuf;
	size_t cap, len = 0;
	struct stat st;
	ssize_t n;
	int fd = -1, r;

	if (max >= SIZE_MAX / 2) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "read cap %zu too large",
		    max);
		goto out;
	}
	if ((r = open_regular(dirfd, path, label, &fd, &st)) != 0)
		goto out;
	show(label, sh);
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s is %jd bytes, more than "
		    "the %zu bytes airca reads here: is it the right file?",
		    sh, (intmax_t)st.st_size, max);
		goto out;
	}
	/* One byte more than the size so that a file that grew shows it. */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "reading %s", sh);
		goto out;
	}
	for (;;) {
		if (len > max) {
			r = airca_errf(AIRCA_ERR_UNSAFE, "%s grew past %zu "
			    "bytes while it was read: is something writing "
			    "to the media? Remove it and try again", sh, max);
			goto out;
		}
		if (len == cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				r = airca_errf(AIRCA_ERR_NOMEM, "reading %s",
				    sh);
				goto out;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "reading %s failed: %s; "
			    "check the media", sh, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*datap = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	free(buf);
	return r;
}

int
media_read(const char *path, size_t max, unsigned char **datap, size_t *lenp)
{
	int r;

	if ((r = check_path(path)) != 0)
		return r;
	return read_common(AT_FDCWD, path, path, max, datap, lenp);
}

int
media_read_at(int dirfd, const char *name, size_t max,
    unsigned char **datap, size_t *lenp)
{
	int r;

	if ((r = check_name(name)) != 0)
		return r;
	return read_common(dirfd, name, name, max, datap, lenp);
}

/* SHA-256 of a regular file, streamed (no size cap). */
static int
hash_at(int dirfd, const char *name, const char *label,
    unsigned char out[SHA256_LEN])
{
	char sh[SHOW_MAX];
	/* small files (a batch's certificates) are read into the stack */
	unsigned char small[16 * 1024], *buf = small;
	size_t cap = sizeof(small);
	EVP_MD_CTX *ctx = NULL;
	unsigned int olen = SHA256_LEN;
	struct stat st;
	ssize_t n;
	int fd = -1, r;

	if ((r = open_regular(dirfd, name, label, &fd, &st)) != 0)
		goto out;
	if (st.st_size >= (off_t)sizeof(small)) {
		cap = HASH_CHUNK;
		buf = malloc(cap);
	}
	if (buf == NULL || (ctx = EVP_MD_CTX_new()) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "hashing %s", show(label, sh));
		goto out;
	}
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		r = airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
		goto out;
	}
	for (;;) {
		n = read(fd, buf, cap);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "reading %s failed: %s; "
			    "check the media", show(label, sh), strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
			r = airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, out, &olen)) {
		r = airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
		goto out;
	}
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	EVP_MD_CTX_free(ctx);
	if (buf != small)
		free(buf);
	return r;
}

/*
 * This process's pid, asked once (glibc no longer caches it, and a batch
 * names two temp files per certificate); a child of fork() asks again.
 */
static pid_t cached_pid;

static void
forget_pid(void)
{
	__atomic_store_n(&cached_pid, 0, __ATOMIC_RELAXED);
}

static void
register_forget_pid(void)
{
	(void)pthread_atfork(NULL, NULL, forget_pid);
}

static pid_t
own_pid(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pid_t pid;

	(void)pthread_once(&once, register_forget_pid);
	if ((pid = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED)) == 0) {
		pid = getpid();
		__atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

/*
 * The random part of a temp name: a per-thread counter through SipHash
 * under a key drawn once a thread from RAND_bytes(), as unpredictable as
 * RAND_bytes() for each name (nobody can make the next name exist first),
 * without a trip through the DRBG and its fork check for every file.
 */
static int
temp_suffix(char suffix[TMP_SUFFIX_LEN + 1])
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static __thread unsigned char key[16];
	static __thread uint64_t count;
	struct siphash sh;
	uint64_t v;
	int k;

	if (count == 0) {
		if (RAND_bytes(key, sizeof(key)) != 1)
			return airca_errssl(AIRCA_ERR_INTERNAL,
			    "no random bytes for a temporary name");
		count = 1;
	}
	siphash_init(&sh, key);
	siphash_update(&sh, &count, sizeof(count));
	v = siphash_final(&sh);
	count++;
	for (k = 0; k < TMP_SUFFIX_LEN; k++) {
		suffix[k] = chars[v % (sizeof(chars) - 1)];
		v /= sizeof(chars) - 1;
	}
	suffix[TMP_SUFFIX_LEN] = '\0';
	return 0;
}

/*
 * Create ".airca-tmp.PID.NAME.XXXXXX" next to name with O_EXCL, open for
 * reading too (the read-back goes through the same descriptor): hidden, and
 * recognisable with its writer's pid, so that media_sweep_stale() can tell
 * the temp files of a killed run from those of a live one.
 */
static int
make_temp(int dirfd, const char *name, const char *label, mode_t mode,
    char tmp[NAME_MAX + 1], int *fdp)
{
	char sh[SHOW_MAX], suffix[TMP_SUFFIX_LEN + 1];
	int i, fd, n, r;

	for (i = 0; i < TMP_TRIES; i++) {
		if ((r = temp_suffix(suffix)) != 0)
			return r;
		n = snprintf(tmp, NAME_MAX + 1, TMP_PREFIX "%ld.%s.%s",
		    (long)own_pid(), name, suffix);
		if (n < 0 || n > NAME_MAX)
			return airca_errf(AIRCA_ERR_INTERNAL, "temporary name "
			    "for %s too long", show(label, sh));
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
		if (fd != -1) {
			*fdp = fd;
			return 0;
		}
		if (errno != EEXIST)
			return airca_errf(AIRCA_ERR_IO, "cannot create a "
			    "temporary file next to %s: %s; check that the "
			    "media is writable and not full", show(label, sh),
			    strerror(errno));
	}
	return airca_errf(AIRCA_ERR_IO, "cannot create a temporary file next "
	    "to %s: every name tried exists", show(label, sh));
}

static int
write_all(int fd, const void *data, size_t len, const char *label)
{
	const unsigned char *p = data;
	char sh[SHOW_MAX];
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return airca_errf(AIRCA_ERR_IO, "writing %s failed: "
			    "%s; check that the media is writable and not full",
			    show(label, sh), strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Move tmp to name unless name exists.  renameat2(RENAME_NOREPLACE) where the
 * file system has it; else link(), which fails on an existing name; else (FAT
 * has no hard links) a check before a plain rename, racy only against
 * another writer on the same media, which a ceremony machine does not have.
 */
static int
rename_noreplace(int dirfd, const char *tmp, const char *name,
    const char *label)
{
	char sh[SHOW_MAX];
	struct stat st;

	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return exists_error(label);
	if (errno != EINVAL && errno != ENOSYS)
		goto fail;
	if (linkat(dirfd, tmp, dirfd, name, 0) == 0) {
		unlinkat(dirfd, tmp, 0);
		return 0;
	}
	if (errno == EEXIST)
		return exists_error(label);
	if (errno != EPERM && errno != EOPNOTSUPP)
		goto fail;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return exists_error(label);
	if (errno == ENOENT && renameat(dirfd, tmp, dirfd, name) == 0)
		return 0;
 fail:
	return airca_errf(AIRCA_ERR_IO, "cannot move the new %s into place: "
	    "%s; check the media", show(label, sh), strerror(errno));
}

static int
fsync_dirfd(int dirfd, const char *label)
{
	char sh[SHOW_MAX];
	int fd = dirfd, r;

	if (dirfd == AT_FDCWD &&
	    (fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return airca_errf(AIRCA_ERR_IO, "cannot open the directory of "
		    "%s: %s", show(label, sh), strerror(errno));
	/* Some file systems cannot sync a directory (EINVAL): nothing to do. */
	if (fsync(fd) == -1 && errno != EINVAL)
		r = airca_errf(AIRCA_ERR_IO, "syncing the directory of %s "
		    "failed: %s; check the media", show(label, sh),
		    strerror(errno));
	else
		r = 0;
	if (fd != dirfd)
		close(fd);
	return r;
}

/*
 * Read the temp file back through its own descriptor (after fsync and
 * dropping its cached pages, from the media) and compare its bytes with what
 * was written: before the rename, so that bad media never replaces a good
 * file.  With preadv(), not pread(): in a trace (and to strace's fault
 * injection, which counts calls per syscall) the read-backs stay apart
 * from the scratch files' pread64 calls (pfile.c).
 */
static int
verify_temp(int fd, const char *label, const void *data, size_t len)
{
	char sh[SHOW_MAX];
	unsigned char small[8192], *back = small;
	/* one byte more than written, so that a longer file shows it */
	size_t cap = len + 1, got = 0;
	struct iovec iov;
	ssize_t n;
	int r;

	if (cap > sizeof(small) && (back = malloc(cap)) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "reading back %s",
		    show(label, sh));
	while (got < cap) {
		iov.iov_base = back + got;
		iov.iov_len = cap - got;
		n = preadv(fd, &iov, 1, (off_t)got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = airca_errf(AIRCA_ERR_IO, "reading back what was "
			    "written to %s failed: %s; the media may be "
			    "failing; use another", show(label, sh),
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != len || (len > 0 && memcmp(back, data, len) != 0)) {
		r = airca_errf(AIRCA_ERR_IO, "%s reads back different from "
		    "what was written (%zu bytes read, %zu written): the media "
		    "may be failing; use another", show(label, sh), got, len);
		goto out;
	}
	r = 0;
 out:
	if (back != small)
		free(back);
	return r;
}

/*
 * The directory sync after the rename failed.  A replaced file is complete
 * and verified where it is, and the old content is gone: it stays, and the
 * message says so.  A new file is removed, so that a failed command leaves
 * no output it has not vouched for.
 */
static int
after_rename_failed(int dirfd, const char *name, const char *label, int flags,
    int r)
{
	char sh[SHOW_MAX];

	if (flags & MEDIA_REPLACE)
		return airca_errctx(r, "%s holds the new, verified content, but "
		    "its directory entry may not be on the media yet",
		    show(label, sh));
	unlinkat(dirfd, name, 0);
	return airca_errctx(r, "%s was removed again", show(label, sh));
}

/*
 * The one order of a write: temp file, write, fsync, read back and compare,
 * rename (without replacing, unless MEDIA_REPLACE), fsync the directory.
 * Nothing is unlinked after a rename that replaced a file.
 */
static int
write_common(int dirfd, const char *name, const char *label,
    const void *data, size_t len, int flags)
{
	char tmp[NAME_MAX + 1], sh[SHOW_MAX];
	mode_t mode = (flags & MEDIA_PRIVATE) ? 0600 : 0644;
	bool have_tmp = false;
	int fd = -1, r;

	show(label, sh);
	if ((r = check_name(name)) != 0)
		goto out;
	if (strlen(name) + TMP_EXTRA > NAME_MAX) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s: the file name is too "
		    "long to write safely (at most %zu bytes)", sh,
		    (size_t)NAME_MAX - TMP_EXTRA);
		goto out;
	}
	/* an existing name is refused by the rename (RENAME_NOREPLACE) */
	if ((r = make_temp(dirfd, name, label, mode, tmp, &fd)) != 0)
		goto out;
	have_tmp = true;
	/* The exact mode, whatever the umask. */
	if (fchmod(fd, mode) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "cannot set the mode of %s: %s",
		    sh, strerror(errno));
		goto out;
	}
	if ((r = write_all(fd, data, len, label)) != 0)
		goto out;
	if (!(flags & MEDIA_NOSYNC)) {
		if (fsync(fd) == -1) {
			r = airca_errf(AIRCA_ERR_IO, "syncing %s to the media "
			    "failed: %s; check the media", sh, strerror(errno));
			goto out;
		}
		/* Drop the cached pages so the read-back comes from the media. */
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	if ((r = verify_temp(fd, label, data, len)) != 0)
		goto out;
	r = close(fd);
	fd = -1;
	if (r == -1) {
		r = airca_errf(AIRCA_ERR_IO, "writing %s failed on close: %s; "
		    "check the media", sh, strerror(errno));
		goto out;
	}
	if (flags & MEDIA_REPLACE) {
		if (renameat(dirfd, tmp, dirfd, name) == -1) {
			r = airca_errf(AIRCA_ERR_IO, "cannot move the new %s "
			    "into place: %s; the previous content is kept", sh,
			    strerror(errno));
			goto out;
		}
	} else if ((r = rename_noreplace(dirfd, tmp, name, label)) != 0)
		goto out;
	have_tmp = false;
	if (!(flags & MEDIA_NOSYNC) && (r = fsync_dirfd(dirfd, label)) != 0) {
		r = after_rename_failed(dirfd, name, label, flags, r);
		goto out;
	}
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	if (have_tmp)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/* ---- streaming writes: for files too big to build in memory first ---- */

struct media_out {
	int	dirfd;			/* borrowed */
	int	fd;
	int	flags;
	char	name[NAME_MAX + 1];
	char	tmp[NAME_MAX + 1];
	EVP_MD_CTX *md;
	char	buf[HASH_CHUNK];
	size_t	buflen;
};

void
media_out_abort(struct media_out *o)
{
	if (o == NULL)
		return;
	if (o->fd != -1)
		close(o->fd);
	/* the temp file, unless it was renamed into place */
	if (o->tmp[0] != '\0')
		unlinkat(o->dirfd, o->tmp, 0);
	EVP_MD_CTX_free(o->md);
	free(o);
}

int
media_out_open(int dirfd, const char *name, int flags, struct media_out **op)
{
	struct media_out *o = NULL;
	struct stat st;
	mode_t mode = (flags & MEDIA_PRIVATE) ? 0600 : 0644;
	int r;

	if ((r = check_name(name)) != 0)
		return r;
	if (strlen(name) + TMP_EXTRA > NAME_MAX)
		return airca_errf(AIRCA_ERR_UNSAFE, "%s: the file name is too "
		    "long to write safely", name);
	if (!(flags & MEDIA_REPLACE)) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return exists_error(name);
		if (errno != ENOENT)
			return open_error(name, errno);
	}
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(o->md, EVP_sha256(), NULL)) {
		if (o != NULL)
			EVP_MD_CTX_free(o->md);
		free(o);
		return airca_errf(AIRCA_ERR_NOMEM, "writing %s", name);
	}
	o->dirfd = dirfd;
	o->fd = -1;
	o->flags = flags;
	memcpy(o->name, name, strlen(name) + 1);
	if ((r = make_temp(dirfd, name, name, mode, o->tmp, &o->fd)) != 0) {
		o->fd = -1;
		o->tmp[0] = '\0';	/* not ours: never unlink it */
		media_out_abort(o);
		return r;
	}
	if (fchmod(o->fd, mode) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "cannot set the mode of %s: %s",
		    name, strerror(errno));
		media_out_abort(o);
		return r;
	}
	*op = o;
	return 0;
}

static int
out_flush(struct media_out *o)
{
	int r;

	if (o->buflen == 0)
		return 0;
	if ((r = write_all(o->fd, o->buf, o->buflen, o->name)) != 0)
		return r;
	o->buflen = 0;
	return 0;
}

int
media_out_write(struct media_out *o, const void *data, size_t len)
{
	const char *p = data;
	size_t n;
	int r;

	if (!EVP_DigestUpdate(o->md, data, len))
		return airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
	while (len > 0) {
		if (o->buflen == sizeof(o->buf) && (r = out_flush(o)) != 0)
			return r;
		n = sizeof(o->buf) - o->buflen;
		if (n > len)
			n = len;
		memcpy(o->buf + o->buflen, p, n);
		o->buflen += n;
		p += n;
		len -= n;
	}
	return 0;
}

int
media_out_commit(struct media_out *o, unsigned char *sha)
{
	unsigned char want[SHA256_LEN], got[SHA256_LEN];
	unsigned int mdlen = SHA256_LEN;
	int r;

	if ((r = out_flush(o)) != 0)
		goto out;
	if (!EVP_DigestFinal_ex(o->md, want, &mdlen)) {
		r = airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
		goto out;
	}
	if (!(o->flags & MEDIA_NOSYNC)) {
		if (fsync(o->fd) == -1) {
			r = airca_errf(AIRCA_ERR_IO, "syncing %s to the media "
			    "failed: %s; check the media", o->name,
			    strerror(errno));
			goto out;
		}
		(void)posix_fadvise(o->fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	r = close(o->fd);
	o->fd = -1;
	if (r == -1) {
		r = airca_errf(AIRCA_ERR_IO, "writing %s failed on close: %s; "
		    "check the media", o->name, strerror(errno));
		goto out;
	}
	/* read the temp back in chunks (it may be larger than memory should hold) */
	if ((r = hash_at(o->dirfd, o->tmp, o->name, got)) != 0) {
		r = airca_errctx(AIRCA_ERR_IO, "reading back what was written");
		goto out;
	}
	if (memcmp(want, got, sizeof(want)) != 0) {
		r = airca_errf(AIRCA_ERR_IO, "%s reads back different from "
		    "what was written: the media may be failing; use another",
		    o->name);
		goto out;
	}
	if (o->flags & MEDIA_REPLACE) {
		if (renameat(o->dirfd, o->tmp, o->dirfd, o->name) == -1) {
			r = airca_errf(AIRCA_ERR_IO, "cannot move the new %s "
			    "into place: %s; the previous content is kept",
			    o->name, strerror(errno));
			goto out;
		}
	} else if ((r = rename_noreplace(o->dirfd, o->tmp, o->name,
	    o->name)) != 0)
		goto out;
	o->tmp[0] = '\0';
	if (!(o->flags & MEDIA_NOSYNC) &&
	    (r = fsync_dirfd(o->dirfd, o->name)) != 0) {
		r = after_rename_failed(o->dirfd, o->name, o->name, o->flags,
		    r);
		goto out;
	}
	if (sha != NULL)
		memcpy(sha, want, SHA256_LEN);
	r = 0;
 out:
	media_out_abort(o);
	return r;
}

/* ---- append-only outputs: each record on the media before the next step ---- */

static int	split_path(const char *, char **, const char **);

struct media_log {
	int	dirfd;
	int	fd;
	off_t	len;			/* bytes on the media */
	EVP_MD_CTX *md;
	char	*label;			/* the path, for messages */
	char	name[NAME_MAX + 1];
};

void
media_log_free(struct media_log *l)
{
	if (l == NULL)
		return;
	if (l->fd != -1)
		close(l->fd);
	if (l->dirfd != -1)
		close(l->dirfd);
	EVP_MD_CTX_free(l->md);
	free(l->label);
	free(l);
}

int
media_log_open(const char *path, int flags, struct media_log **lp)
{
	struct media_log *l = NULL;
	mode_t mode = (flags & MEDIA_PRIVATE) ? 0600 : 0644;
	const char *base;
	char sh[SHOW_MAX], *dir = NULL;
	int r;

	if ((r = check_path(path)) != 0 ||
	    (r = split_path(path, &dir, &base)) != 0 ||
	    (r = check_name(base)) != 0)
		goto out;
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->label = strdup(path)) == NULL ||
	    (l->md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(l->md, EVP_sha256(), NULL)) {
		r = airca_errf(AIRCA_ERR_NOMEM, "writing %s", show(path, sh));
		goto out;
	}
	l->fd = -1;
	memcpy(l->name, base, strlen(base) + 1);
	if ((l->dirfd = media_opendir(dir)) < 0) {
		r = l->dirfd;
		goto out;
	}
	l->fd = openat(l->dirfd, base, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_APPEND, mode);
	if (l->fd == -1) {
		r = errno == EEXIST ? exists_error(path) : airca_errf(
		    AIRCA_ERR_IO, "cannot create %s: %s; check that the media "
		    "is writable and not full", show(path, sh),
		    strerror(errno));
		goto out;
	}
	if (fchmod(l->fd, mode) == -1 ||
	    (r = fsync_dirfd(l->dirfd, path)) != 0) {
		if (r == 0)
			r = airca_errf(AIRCA_ERR_IO, "cannot set the mode of "
			    "%s: %s", show(path, sh), strerror(errno));
		unlinkat(l->dirfd, base, 0);
		goto out;
	}
	*lp = l;
	l = NULL;
	r = 0;
 out:
	media_log_free(l);
	free(dir);
	return r;
}

int
media_log_append(struct media_log *l, const void *data, size_t len)
{
	char sh[SHOW_MAX];
	int r;

	if ((r = write_all(l->fd, data, len, l->label)) == 0 &&
	    fdatasync(l->fd) == -1)
		r = airca_errf(AIRCA_ERR_IO, "syncing %s to the media failed: "
		    "%s; check the media", show(l->label, sh),
		    strerror(errno));
	if (r != 0) {
		/* no half record: what follows it is not written */
		if (ftruncate(l->fd, l->len) == 0)
			(void)fdatasync(l->fd);
		return r;
	}
	if (!EVP_DigestUpdate(l->md, data, len))
		return airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
	l->len += (off_t)len;
	return 0;
}

int
media_log_close(struct media_log *l, unsigned char *sha)
{
	unsigned char want[SHA256_LEN], got[SHA256_LEN];
	unsigned int mdlen = SHA256_LEN;
	char sh[SHOW_MAX];
	int r;

	show(l->label, sh);
	if (!EVP_DigestFinal_ex(l->md, want, &mdlen)) {
		r = airca_errssl(AIRCA_ERR_INTERNAL, "SHA-256");
		goto out;
	}
	if (fsync(l->fd) == -1) {
		r = airca_errf(AIRCA_ERR_IO, "syncing %s to the media failed: "
		    "%s; check the media", sh, strerror(errno));
		goto out;
	}
	(void)posix_fadvise(l->fd, 0, 0, POSIX_FADV_DONTNEED);
	r = close(l->fd);
	l->fd = -1;
	if (r == -1) {
		r = airca_errf(AIRCA_ERR_IO, "writing %s failed on close: %s; "
		    "check the media", sh, strerror(errno));
		goto out;
	}
	if ((r = hash_at(l->dirfd, l->name, l->label, got)) != 0) {
		r = airca_errctx(AIRCA_ERR_IO, "reading back what was written");
		goto out;
	}
	if (memcmp(got, want, SHA256_LEN) != 0) {
		r = airca_errf(AIRCA_ERR_IO, "%s reads back different from "
		    "what was appended: the media may be failing; use another",
		    sh);
		goto out;
	}
	if (sha != NULL)
		memcpy(sha, want, SHA256_LEN);
	r = 0;
 out:
	media_log_free(l);
	return r;
}

int
media_write_at(int dirfd, const char *name, const void *data, size_t len,
    int flags)
{
	return write_common(dirfd, name, name, data, len, flags);
}

/* Split path into its directory (malloc'd) and the last component. */
static int
split_path(const char *path, char **dirp, const char **basep)
{
	const char *slash = strrchr(path, '/');
	char sh[SHOW_MAX], *dir;

	if (slash != NULL && slash[1] == '\0')
		return airca_errf(AIRCA_ERR_USAGE, "%s ends in '/': give a "
		    "file name", show(path, sh));
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "splitting %s",
		    show(path, sh));
	*dirp = dir;
	*basep = slash != NULL ? slash + 1 : path;
	return 0;
}

int
media_write(const char *path, const void *data, size_t len, int flags)
{
	const char *base;
	char *dir = NULL;
	int dirfd = -1, r;

	if ((r = check_path(path)) != 0 ||
	    (r = split_path(path, &dir, &base)) != 0)
		goto out;
	if ((dirfd = media_opendir(dir)) < 0) {
		r = dirfd;
		goto out;
	}
	r = write_common(dirfd, base, path, data, len, flags);
 out:
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	return r;
}

int
media_mkdir(const char *path)
{
	char sh[SHOW_MAX], *parent = NULL;
	const char *base;
	struct stat st;
	int r;

	if ((r = check_path(path)) != 0)
		goto out;
	show(path, sh);
	if (mkdir(path, 0755) == 0) {
		/* Make the new entry durable before files go into it. */
		if ((r = split_path(path, &parent, &base)) == 0)
			r = media_fsync_dir(parent);
		goto out;
	}
	if (errno != EEXIST) {
		if (errno == ENOENT)
			r = airca_errf(AIRCA_ERR_NOTFOUND, "cannot create %s: "
			    "its parent directory does not exist", sh);
		else
			r = airca_errf(AIRCA_ERR_IO, "cannot create %s: %s; "
			    "check the media", sh, strerror(errno));
		goto out;
	}
	if (lstat(path, &st) == -1) {
		r = open_error(path, errno);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s is a symbolic link: airca "
		    "does not follow links on media; give a real directory",
		    sh);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = airca_errf(AIRCA_ERR_EXISTS, "%s exists and is %s, not a "
		    "directory: move it away or choose another --out", sh,
		    S_ISREG(st.st_mode) ? "a file" : file_kind(st.st_mode));
		goto out;
	}
	r = 0;
 out:
	free(parent);
	return r;
}

int
media_opendir(const char *path)
{
	char sh[SHOW_MAX];
	struct stat st;
	int fd, r;

	if ((r = check_path(path)) != 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	show(path, sh);
	if (errno == ENOTDIR && lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return airca_errf(AIRCA_ERR_UNSAFE, "%s is a symbolic "
			    "link: airca does not follow links on media; give "
			    "a real directory", sh);
		return airca_errf(AIRCA_ERR_UNSAFE, "%s is %s, not a "
		    "directory", sh, S_ISREG(st.st_mode) ? "a file" :
		    file_kind(st.st_mode));
	}
	return open_error(path, errno);
}

int
media_fsync_dir(const char *path)
{
	int fd, r;

	if ((fd = media_opendir(path)) < 0)
		return fd;
	r = fsync_dirfd(fd, path);
	close(fd);
	return r;
}

int
media_syncfs(int fd)
{
	if (syncfs(fd) == -1)
		return airca_errf(AIRCA_ERR_IO, "syncing the file system "
		    "failed: %s; do not remove the media, check it",
		    strerror(errno));
	return 0;
}

bool
media_exists(const char *path)
{
	struct stat st;

	return path != NULL && lstat(path, &st) == 0;
}

int
media_write_sums(const char *dir, const char *const *names, size_t n)
{
	char label[PATH_MAX], hex[SHA256_HEX_LEN + 1], *buf = NULL;
	unsigned char md[SHA256_LEN];
	size_t i, len = 0, cap, linemax = SHA256_HEX_LEN + 2 + NAME_MAX + 1;
	int dirfd = -1, r;

	if (n == 0 || n > SIZE_MAX / linemax) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "%zu files for " SUMS_NAME,
		    n);
		goto out;
	}
	if ((dirfd = media_opendir(dir)) < 0) {
		r = dirfd;
		goto out;
	}
	cap = n * linemax;
	if ((buf = malloc(cap)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "writing " SUMS_NAME);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = check_sums_name(names[i])) != 0)
			goto out;
		snprintf(label, sizeof(label), "%s/%s", dir, names[i]);
		if ((r = hash_at(dirfd, names[i], label, md)) != 0)
			goto out;
		hex_encode(md, sizeof(md), hex);
		len += (size_t)snprintf(buf + len, cap - len, "%s  %s\n", hex,
		    names[i]);
	}
	snprintf(label, sizeof(label), "%s/%s", dir, SUMS_NAME);
	r = write_common(dirfd, SUMS_NAME, label, buf, len, 0);
 out:
	if (dirfd >= 0)
		close(dirfd);
	free(buf);
	return r;
}

int
media_check_sums(const char *dir)
{
	char label[PATH_MAX], sh[SHOW_MAX], ssh[SHOW_MAX];
	char hex[SHA256_HEX_LEN + 1];
	char name[NAME_MAX + 1];
	unsigned char *buf = NULL, want[SHA256_LEN], got[SHA256_LEN];
	const unsigned char *p, *end, *eol;
	size_t len = 0, dlen, nlen, lineno = 0, win = HASH_CHUNK + NAME_MAX + 80;
	struct stat st;
	ssize_t n;
	bool eof = false;
	int dirfd = -1, fd = -1, r;

	if ((dirfd = media_opendir(dir)) < 0) {
		r = dirfd;
		goto out;
	}
	snprintf(label, sizeof(label), "%s/%s", dir, SUMS_NAME);
	show(label, ssh);
	/* read in windows: a batch's SHA256SUMS has 100,000 lines and more */
	if ((r = open_regular(dirfd, SUMS_NAME, label, &fd, &st)) != 0)
		goto out;
	if (st.st_size < 0 || (uintmax_t)st.st_size > MEDIA_MAX_SUMS) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s is %jd bytes, more than "
		    "the %d bytes airca reads", ssh, (intmax_t)st.st_size,
		    MEDIA_MAX_SUMS);
		goto out;
	}
	if ((buf = malloc(win)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "reading %s", ssh);
		goto out;
	}
	for (;;) {
		if (!eof) {
			if ((n = read(fd, buf + len, win - len)) == -1) {
				if (errno == EINTR)
					continue;
				r = airca_errf(AIRCA_ERR_IO, "reading %s failed: %s; "
				    "check the media", ssh, strerror(errno));
				goto out;
			}
			if (n == 0)
				eof = true;
			len += (size_t)n;
		}
		for (p = buf, end = buf + len; p < end; p = eol + 1) {
			if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL) {
				if (!eof)
					break;
				eol = end;
			}
			lineno++;
			if ((size_t)(eol - p) < SHA256_HEX_LEN + 3 ||
			    p[SHA256_HEX_LEN] != ' ' ||
			    (p[SHA256_HEX_LEN + 1] != ' ' &&
			    p[SHA256_HEX_LEN + 1] != '*')) {
				r = airca_errf(AIRCA_ERR_INPUT, "%s line %zu is not "
				    "\"SHA256  NAME\": the file is damaged", ssh, lineno);
				goto out;
			}
			memcpy(hex, p, SHA256_HEX_LEN);
			hex[SHA256_HEX_LEN] = '\0';
			if (hex_decode(hex, want, sizeof(want), &dlen) != 0 ||
			    dlen != sizeof(want)) {
				r = airca_errf(AIRCA_ERR_INPUT, "%s line %zu: the "
				    "SHA-256 is not 64 hex digits: the file is damaged",
				    ssh, lineno);
				goto out;
			}
			nlen = (size_t)(eol - p) - SHA256_HEX_LEN - 2;
			if (nlen > NAME_MAX ||
			    memchr(p + SHA256_HEX_LEN + 2, '\0', nlen) != NULL) {
				r = airca_errf(AIRCA_ERR_UNSAFE, "%s line %zu: the file "
				    "name is too long or holds a NUL byte", ssh, lineno);
				goto out;
			}
			memcpy(name, p + SHA256_HEX_LEN + 2, nlen);
			name[nlen] = '\0';
			if ((r = check_sums_name(name)) != 0) {
				r = airca_errctx(r, "%s line %zu", ssh, lineno);
				goto out;
			}
			snprintf(label, sizeof(label), "%s/%s", dir, name);
			if ((r = hash_at(dirfd, name, label, got)) != 0) {
				if (r == AIRCA_ERR_NOTFOUND)
					r = airca_errf(AIRCA_ERR_IO, "%s is listed in "
					    SUMS_NAME " but missing: do not use this "
					    "media", show(label, sh));
				goto out;
			}
			if (memcmp(want, got, sizeof(want)) != 0) {
				r = airca_errf(AIRCA_ERR_IO, "%s does not match its "
				    "SHA-256 in " SUMS_NAME ": it changed after it was "
				    "written; do not use this media",
				    show(label, sh));
				goto out;
			}
		}
		len = (size_t)(end - (p < end ? p : end));
		memmove(buf, p < end ? p : end, len);
		if (eof)
			break;
		if (len == win) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s line %zu is too long: the "
			    "file is damaged", ssh, lineno + 1);
			goto out;
		}
	}
	if (lineno == 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s lists no files", ssh);
		goto out;
	}
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(buf);
	return r;
}

/* The pid in a temp file name of ours, or -1 if name is not one. */
static long
temp_pid(const char *name)
{
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0)
		return -1;
	p = name + sizeof(TMP_PREFIX) - 1;
	if (*p < '1' || *p > '9')
		return -1;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || *end != '.' || end - p > TMP_PID_MAX || pid <= 0 ||
	    (long)(pid_t)pid != pid)
		return -1;
	return pid;
}

void
media_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
media_sweep_stale(int dirfd, const char *label, char ***namesp, size_t *np)
{
	char sh[SHOW_MAX], **names = NULL, **nn;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	size_t n = 0, cap = 0;
	long pid;
	int fd, r;

	show(label, sh);
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		r = airca_errf(AIRCA_ERR_IO, "cannot list %s: %s", sh,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				r = airca_errf(AIRCA_ERR_IO, "cannot list %s: "
				    "%s", sh, strerror(errno));
				goto out;
			}
			break;
		}
		if ((pid = temp_pid(de->d_name)) == -1 ||
		    (pid_t)pid == own_pid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;	/* alive (or not ours to signal): in use */
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nn = reallocarray(names, cap, sizeof(*nn))) == NULL) {
				r = airca_errf(AIRCA_ERR_NOMEM, "listing %s",
				    sh);
				goto out;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "listing %s", sh);
			goto out;
		}
		if (unlinkat(dirfd, de->d_name, 0) == -1) {
			r = airca_errf(AIRCA_ERR_IO, "cannot remove the stale "
			    "temporary file %s/%s: %s; remove it by hand", sh,
			    names[n], strerror(errno));
			free(names[n]);
			goto out;
		}
		n++;
	}
	if (n > 0 && (r = fsync_dirfd(dirfd, label)) != 0)
		goto out;
	*namesp = n > 0 ? names : NULL;
	*np = n;
	if (n == 0)
		free(names);
	names = NULL;
	n = 0;
	r = 0;
 out:
	if (d != NULL)
		closedir(d);
	media_names_free(names, n);
	return r;
}

/* One path of media_check_private(); st from lstat. */
static int
check_private_one(const char *path, const struct stat *st)
{
	char sh[SHOW_MAX];
	uid_t me = geteuid();

	if (S_ISLNK(st->st_mode))
		return 0;
	show(path, sh);
	if (st->st_uid != me && st->st_uid != 0)
		return airca_errf(AIRCA_ERR_UNSAFE, "%s is owned by uid %ju, "
		    "not by you (uid %ju) or root: someone else could rewrite "
		    "the CA's state; check who put it there, then run "
		    "'chown %ju %s'", sh, (uintmax_t)st->st_uid,
		    (uintmax_t)me, (uintmax_t)me, sh);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return airca_errf(AIRCA_ERR_UNSAFE, "%s is %s-writable (mode "
		    "%04o): anyone %s could rewrite the CA's state, so airca "
		    "refuses it; run 'chmod go-w %s' and try again", sh,
		    (st->st_mode & S_IWOTH) ? "world" : "group",
		    (unsigned)(st->st_mode & 07777),
		    (st->st_mode & S_IWOTH) ? "on this machine" : "in its group",
		    sh);
	return 0;
}

int
media_check_private(const char *dir, const char *const *names)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int dirfd = -1, r;

	if ((dirfd = media_opendir(dir)) < 0) {
		r = dirfd;
		goto out;
	}
	if (fstat(dirfd, &st) == -1) {
		r = open_error(dir, errno);
		goto out;
	}
	if ((r = check_private_one(dir, &st)) != 0)
		goto out;
	for (i = 0; names != NULL && names[i] != NULL; i++) {
		if ((r = check_name(names[i])) != 0)
			goto out;
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >=
		    (int)sizeof(path)) {
			r = airca_errf(AIRCA_ERR_USAGE, "%s: path too long", dir);
			goto out;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			r = open_error(path, errno);
			goto out;
		}
		if ((r = check_private_one(path, &st)) != 0)
			goto out;
	}
	r = 0;
 out:
	if (dirfd >= 0)
		close(dirfd);
	return r;
}
