/* datadir.h: where airca's shipped data (HSM profiles, ceremony scripts) lives. */
#ifndef AIRCA_DATADIR_H
#define AIRCA_DATADIR_H

#include <limits.h>
#include <stddef.h>

#define DATADIR_MAX	4	/* candidates datadir_list() may return */

/*
 * The directories that may hold the shipped data directory sub
 * ("hsm-profiles", "ceremony-scripts"), most specific first:
 *   1. beside the installed binary: <bin>/../share/airca/SUB, where <bin>
 *      is the directory of /proc/self/exe resolved with realpath(3);
 *   2. the compiled-in data directory: AIRCA_DATADIR/SUB (the Makefile sets
 *      it from PREFIX; /usr/local/share/airca when built without it);
 *   3. the source tree, when the binary runs from build/ or build/san/:
 *      <bin>/../SUB, then <bin>/../../SUB.
 * A candidate that exists is returned resolved with realpath(3), so it holds
 * no "." or ".." component and media_* accept it; one that does not exist
 * is returned as written (for "looked in ..." messages) and callers stat it.
 * Duplicates are dropped.  Fills dirs[0..max) and returns the count.
 */
size_t	datadir_list(const char *sub, char dirs[][PATH_MAX], size_t max);

/*
 * The first candidate of datadir_list() that is a directory, into out
 * (size bytes).  Returns 0, or AIRCA_ERR_NOTFOUND with the places tried in
 * the error detail.
 */
int	datadir_find(const char *sub, char *out, size_t size);

#endif
