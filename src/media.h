/* media.h: every file airca reads from or writes to removable media or its home. */
#ifndef AIRCA_MEDIA_H
#define AIRCA_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#define MEDIA_MAX_CSR		(64 * 1024)	/* a CSR file */
#define MEDIA_MAX_JSON		(1024 * 1024)	/* an API response */
#define MEDIA_MAX_CERT		(64 * 1024)
#define MEDIA_MAX_CONF		(256 * 1024)	/* policy, profile, script */
#define MEDIA_MAX_PIN		(256)

/* media_write() flags */
#define MEDIA_REPLACE	0x01	/* replace an existing file (CA home state only, never outputs) */
#define MEDIA_NOSYNC	0x02	/* skip per-file fsync; caller syncs the file system once (batch) */
#define MEDIA_PRIVATE	0x04	/* mode 0600 instead of 0644 */

/*
 * Read a whole regular file of at most max bytes.  Opens with O_NOFOLLOW
 * (a symlink is refused), refuses anything but a regular file (device, FIFO,
 * socket, directory) before reading, refuses a path with a ".." component,
 * and refuses a file larger than max without reading it (AIRCA_ERR_UNSAFE).
 * On success *datap is malloc'd (NUL-terminated, not counted in *lenp),
 * owned by the caller.
 */
int	media_read(const char *path, size_t max, unsigned char **datap, size_t *lenp);

/* The same, for name (one component, no '/') inside an open directory. */
int	media_read_at(int dirfd, const char *name, size_t max,
	    unsigned char **datap, size_t *lenp);

/*
 * Write data to path atomically: O_EXCL temp file in the same directory,
 * write, fsync, rename without replacing (renameat2 RENAME_NOREPLACE),
 * fsync the directory, then read back and compare SHA-256.  An existing
 * path is an error (AIRCA_ERR_EXISTS, detail names the file) unless
 * MEDIA_REPLACE.  On any failure nothing is left under path or the temp name.
 */
int	media_write(const char *path, const void *data, size_t len, int flags);

/* As media_write(), inside an open directory. */
int	media_write_at(int dirfd, const char *name, const void *data, size_t len,
	    int flags);

/*
 * Streaming write, for a file too big to build in memory (a registry of
 * 100,000 certificates, a batch's summary): media_out_open() makes the
 * O_EXCL temp file next to name in dirfd (dirfd borrowed; name must not
 * exist unless MEDIA_REPLACE), media_out_write() appends, media_out_commit()
 * does what media_write() does after writing: fsync unless MEDIA_NOSYNC,
 * rename (without replacing unless MEDIA_REPLACE), fsync the directory,
 * read back in chunks and compare SHA-256 (*sha gets it; may be NULL).
 * commit and abort free o; on any failure nothing is left under the temp
 * name (nor under name, unless it was being replaced).
 */
struct media_out;
int	media_out_open(int dirfd, const char *name, int flags,
	    struct media_out **op);
int	media_out_write(struct media_out *o, const void *data, size_t len);
int	media_out_commit(struct media_out *o, unsigned char *sha);
void	media_out_abort(struct media_out *o);

/*
 * Create the output directory if missing (mode 0755); an existing one must
 * be a real directory, not a symlink.  Returns 0.
 */
int	media_mkdir(const char *path);

/* Open a directory for reading or writing with O_NOFOLLOW|O_DIRECTORY. Returns fd >= 0 or error. */
int	media_opendir(const char *path);

/* fsync a directory; syncfs() the file system holding fd. */
int	media_fsync_dir(const char *path);
int	media_syncfs(int fd);

/* True if path exists (lstat). */
bool	media_exists(const char *path);

/*
 * Write SHA256SUMS in dir for the given file names (sha256sum format,
 * "HEX  name\n"), atomically; names are written in the order given.
 */
int	media_write_sums(const char *dir, const char *const *names, size_t n);

/*
 * Check every line of dir/SHA256SUMS against the files (read back).  Returns
 * 0 or AIRCA_ERR_IO naming the first file that differs.
 */
int	media_check_sums(const char *dir);

#endif
