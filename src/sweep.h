/* sweep.h: temp files left by a killed airca are removed at the next run, and journaled. */
#ifndef AIRCA_SWEEP_H
#define AIRCA_SWEEP_H

struct ca;

/*
 * Remove the temp files of dead writers (media_sweep_stale()) from the open
 * directory dirfd (borrowed), named dir in the journal, and journal one
 * deferred "temp-removed" event { "dir": dir, "files": [names] } when any
 * was removed (ca's journal must be open).  Returns 0 or an error; a file
 * that cannot be removed is an error naming it.
 */
int	sweep_dir(struct ca *ca, int dirfd, const char *dir);

/* sweep_dir() for the home, HOME/certs and HOME/crl (those that exist). */
int	sweep_home(struct ca *ca);

#endif
