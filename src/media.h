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

/* Temp files are named MEDIA_TMP_PREFIX "<pid>.<name>.<random>". */
#define MEDIA_TMP_PREFIX	".airca-tmp."

/*
 * Write data to path atomically, in this order: O_EXCL temp file in the same
 * directory (named after the writer's pid, see media_sweep_stale()), write,
 * fsync, read the temp file back and compare its bytes with data, rename
 * (renameat2 RENAME_NOREPLACE; a plain rename with MEDIA_REPLACE), fsync the
 * directory.  An existing path is an error (AIRCA_ERR_EXISTS, detail names
 * the file) unless MEDIA_REPLACE.  Errors name the file and the first cause
 * (strerror: "No space left on device", "Input/output error").
 *
 * On any failure the temp file is removed.  With MEDIA_REPLACE the file at
 * path is then either the previous content (a failure before the rename) or
 * the complete, verified new content (only the directory sync after the
 * rename failed): it is never removed.  Without MEDIA_REPLACE nothing is left
 * under path: a new file whose directory cannot be synced is removed again,
 * so that a failed command leaves no output it did not vouch for.
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
 * does what media_write() does after writing, in the same order: fsync
 * unless MEDIA_NOSYNC, read the temp file back in chunks and compare its
 * SHA-256 with what was written (*sha gets it; may be NULL), rename (without
 * replacing unless MEDIA_REPLACE), fsync the directory.  commit and abort
 * free o; on any failure nothing is left under the temp name, and name holds
 * what media_write() promises: with MEDIA_REPLACE the previous or the
 * complete new content, never nothing; without it, nothing.
 */
struct media_out;
int	media_out_open(int dirfd, const char *name, int flags,
	    struct media_out **op);
int	media_out_write(struct media_out *o, const void *data, size_t len);
int	media_out_commit(struct media_out *o, unsigned char *sha);
void	media_out_abort(struct media_out *o);

/*
 * Append-only output, for records that must be on the media before the
 * caller writes what depends on them (keygen: a keystore's password before
 * the keystore).  media_log_open() creates path (O_EXCL, never a symlink;
 * an existing file is AIRCA_ERR_EXISTS) and syncs its directory;
 * media_log_append() writes one record and fdatasync()s it before it
 * returns, and after a failure cuts the file back to its last whole record;
 * media_log_close() syncs, reads the file back, compares its SHA-256 with
 * what was appended (*sha gets it; may be NULL) and frees l.
 * media_log_free() frees l after a failure.  Unlike media_write(), a failed
 * command leaves the records appended so far: they are what its other
 * outputs need.
 */
struct media_log;
int	media_log_open(const char *path, int flags, struct media_log **lp);
int	media_log_append(struct media_log *l, const void *data, size_t len);
int	media_log_close(struct media_log *l, unsigned char *sha);
void	media_log_free(struct media_log *l);

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

/*
 * Remove the temp files (MEDIA_TMP_PREFIX "<pid>.…") of writers that are
 * gone (kill(pid, 0) fails with ESRCH) from the open directory dirfd
 * (borrowed; label names it in messages), and sync the directory if any
 * was removed.  Temp files of live processes, of this process, and anything
 * that is not a regular file are left alone.  On success *namesp is a
 * malloc'd array of the *np names removed (NULL and 0 if none), freed with
 * media_names_free().  Returns 0 or AIRCA_ERR_IO / AIRCA_ERR_NOMEM.
 */
int	media_sweep_stale(int dirfd, const char *label, char ***namesp,
	    size_t *np);
void	media_names_free(char **names, size_t n);

/*
 * StrictModes: refuse (AIRCA_ERR_UNSAFE) the directory dir, and each of the
 * names (a NULL-terminated list of entries of dir; a missing one is fine),
 * when it is group- or world-writable or owned by someone other than the
 * current user or root.  The message names the path and the command that
 * fixes it ("chmod go-w PATH").  Symbolic links are not followed (airca
 * opens none).  Returns 0 or the error.
 */
int	media_check_private(const char *dir, const char *const *names);

#endif
