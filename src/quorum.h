/* quorum.h: quorum login: the token's user PIN rebuilt from K of its N shares (init --pin-shares), never typed whole. */
#ifndef AIRCA_QUORUM_H
#define AIRCA_QUORUM_H

#include <stdbool.h>

struct ca;

/*
 * Does this login take PIN shares?  True when the home's journal has a
 * pin-quorum-created for the token that is open (a token restored onto
 * has its own PIN, asked as usual).
 */
bool	quorum_applies(struct ca *ca);

/*
 * Log in with K PIN shares: --pin-share-file F (K of them, or more) or
 * typed on the terminal, each checked against the journal as it comes in;
 * the PIN is rebuilt in locked memory, used once and wiped.  Refused when
 * a front end (the TUI) owns the terminal and no share files were given,
 * and when --pin-env or --pin-file is given.
 */
int	quorum_login(struct ca *ca);

#endif
