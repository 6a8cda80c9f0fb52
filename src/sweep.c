/* sweep.c: temp files left by a killed airca are removed at the next run, and journaled. */
#include <limits.h>
#include <unistd.h>

#include <jansson.h>

#include "ca.h"
#include "crl.h"
#include "error.h"
#include "media.h"
#include "sweep.h"
#include "util.h"

int
sweep_dir(struct ca *ca, int dirfd, const char *dir)
{
	char **names = NULL;
	json_t *d = NULL, *files;
	size_t i, n = 0;
	int r;

	if ((r = media_sweep_stale(dirfd, dir, &names, &n)) != 0 || n == 0)
		goto out;
	if ((d = json_pack("{s:s,s:[]}", "dir", dir, "files")) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "journaling removed temp files");
		goto out;
	}
	files = json_object_get(d, "files");
	for (i = 0; i < n; i++) {
		if (json_array_append_new(files, json_string(names[i])) != 0) {
			r = airca_errf(AIRCA_ERR_NOMEM, "journaling removed "
			    "temp files");
			goto out;
		}
	}
	ca_warn(ca, "removed %zu temporary file%s that a killed airca left "
	    "in %s", n, n == 1 ? "" : "s", dir);
	r = ca_journal(ca, "temp-removed", d, JOURNAL_DEFER);
 out:
	json_decref(d);
	media_names_free(names, n);
	return r;
}

int
sweep_home(struct ca *ca)
{
	static const char *const sub[] = { NULL, "certs", CRL_DIR };
	char path[PATH_MAX];
	size_t i;
	int fd = -1, r = 0;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if ((r = path_join(path, sizeof(path), ca->home, sub[i])) != 0)
			goto out;
		if ((fd = media_opendir(path)) < 0) {
			if (fd == AIRCA_ERR_NOTFOUND && sub[i] != NULL) {
				airca_errclear();
				continue;
			}
			r = fd;
			goto out;
		}
		r = sweep_dir(ca, fd, path);
		close(fd);
		fd = -1;
		if (r != 0)
			goto out;
	}
 out:
	if (fd >= 0)
		close(fd);
	return r;
}
