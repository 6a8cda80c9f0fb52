/* datadir.c: find the shipped data directories relative to the installed binary, the prefix, or the source tree. */
#include <sys/stat.h>

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"
#include "error.h"

#ifndef AIRCA_DATADIR
#define AIRCA_DATADIR	"/usr/local/share/airca"
#endif

/* Add dir (resolved if it exists) unless it is already listed. */
static void
add(char dirs[][PATH_MAX], size_t *n, size_t max, const char *dir)
{
	char real[PATH_MAX];
	const char *p = dir;
	size_t i;

	if (*n >= max || strlen(dir) >= PATH_MAX)
		return;
	if (realpath(dir, real) != NULL)
		p = real;
	for (i = 0; i < *n; i++)
		if (strcmp(dirs[i], p) == 0)
			return;
	memcpy(dirs[*n], p, strlen(p) + 1);
	(*n)++;
}

size_t
datadir_list(const char *sub, char dirs[][PATH_MAX], size_t max)
{
	char exe[PATH_MAX], bin[PATH_MAX], dir[PATH_MAX];
	size_t n = 0;
	bool have_bin = false;
	int len;

	if (realpath("/proc/self/exe", exe) != NULL) {
		snprintf(bin, sizeof(bin), "%s", dirname(exe));
		have_bin = true;
	}
	if (have_bin) {
		len = snprintf(dir, sizeof(dir), "%s/../share/airca/%s", bin, sub);
		if (len > 0 && (size_t)len < sizeof(dir))
			add(dirs, &n, max, dir);
	}
	len = snprintf(dir, sizeof(dir), "%s/%s", AIRCA_DATADIR, sub);
	if (len > 0 && (size_t)len < sizeof(dir))
		add(dirs, &n, max, dir);
	if (have_bin) {
		struct stat st;

		len = snprintf(dir, sizeof(dir), "%s/../%s", bin, sub);
		if (len > 0 && (size_t)len < sizeof(dir) &&
		    stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			add(dirs, &n, max, dir);
		len = snprintf(dir, sizeof(dir), "%s/../../%s", bin, sub);
		if (len > 0 && (size_t)len < sizeof(dir) &&
		    stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			add(dirs, &n, max, dir);
	}
	return n;
}

int
datadir_find(const char *sub, char *out, size_t size)
{
	char dirs[DATADIR_MAX][PATH_MAX], tried[1024] = "";
	struct stat st;
	size_t i, n, tl;

	n = datadir_list(sub, dirs, DATADIR_MAX);
	for (i = 0; i < n; i++) {
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    strlen(dirs[i]) < size) {
			memcpy(out, dirs[i], strlen(dirs[i]) + 1);
			return 0;
		}
		tl = strlen(tried);
		snprintf(tried + tl, sizeof(tried) - tl, "%s%s",
		    tl ? ", " : "", dirs[i]);
	}
	return airca_errf(AIRCA_ERR_NOTFOUND, "no %s directory (looked in %s)",
	    sub, tried);
}
