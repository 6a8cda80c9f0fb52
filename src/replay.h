/*
 * replay.h: state from the journal.  The registry (certificates, their
 * status, every CA's last CRL number) is a pure function of the verified
 * journal: this is the one function that computes it, for every command
 * that opens a home and for 'airca registry rebuild'.
 */
#ifndef AIRCA_REPLAY_H
#define AIRCA_REPLAY_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "journal.h"
#include "registry.h"

struct replay_result {
	struct journal_report rep;	/* of the verification */
	unsigned long events;		/* state events applied */
	unsigned long tail_from;	/* unsigned tail: first seq (0: none) */
	unsigned long tail_n;		/* and how many */
	bool	tail_applied;		/* the tail is this process's own and was applied */
	char	tail_list[1024];	/* "seq N EVENT sha256 HEX; ..." (the first few) */
};

/*
 * Verify HOME/journal.jsonl against root and audit (the pinned audit
 * certificate) and replay it into a new registry for HOME: every state
 * event (cert-issued, cert-status, crl-issued) through registry_apply(),
 * only once a signature covers it.  Entries after the last signature
 * (res->tail_*) are applied only when this process wrote them itself
 * (journal.h: the ceremony runner and the commands it runs); otherwise
 * they are left out and reported, and the caller decides (a command that
 * signs refuses).  Any other verification failure is returned as it is
 * (AIRCA_ERR_VERIFY with the journal's detail).  *regp owned by the
 * caller, its head set to the journal's last entry.
 */
int	replay_journal(const char *home, X509 *root, X509 *audit,
	    struct registry **regp, struct replay_result *res);

#endif
