/*
 * ca.h: the CA home (HOME/airca.json, policy.conf, root.pem, audit.pem,
 * journal, registry, certs/) and the token session that goes with it.
 * Commands open a struct ca with what they need, and close it with their
 * result so that every command ends on a signed journal checkpoint.
 */
#ifndef AIRCA_CA_H
#define AIRCA_CA_H

#include <limits.h>
#include <stdbool.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "airgap.h"
#include "ctx.h"
#include "hsm.h"
#include "journal.h"
#include "policy.h"
#include "registry.h"
#include "token.h"

#define CA_STATE_FILE	"airca.json"
#define CA_POLICY_FILE	"policy.conf"
#define CA_ROOT_LABEL	"airca-root"
#define CA_AUDIT_LABEL	"airca-audit"

/* ca_open() flags */
#define CA_HOME		0x01	/* an initialised home: state, policy, root, audit, registry */
#define CA_WRITE	0x02	/* lock the home and open the journal for appending */
#define CA_TOKEN	0x04	/* open the token, check the air gap, log in, find root and audit keys */
#define CA_NOSTATE	0x08	/* with CA_HOME: no registry (journal repair, which works on a journal that does not verify) */

struct ca {
	struct cmd_ctx *ctx;
	const char *command;		/* the command name, for the journal */
	char	home[PATH_MAX];
	int	lockfd;
	json_t	*state;			/* airca.json */
	struct hsm_profile hsm;
	bool	have_hsm;
	struct policy pol;
	bool	have_policy;
	struct token *tok;
	struct journal *j;
	struct registry *reg;
	/*
	 * Without the replayed state (CA_NOSTATE), during the login only: the
	 * custody facts of the signed entries (ca.c ca_custody_scan), so that
	 * a quorum home logs in by its shares there too.
	 */
	const struct custody_state *scan;
	bool	reg_dirty;
	X509	*root, *audit;		/* certificates */
	EVP_PKEY *root_key, *audit_key;	/* token keys (CA_TOKEN) */
	EVP_PKEY *pub_of, *pub;		/* ca_issue's cache: pub is the public half of pub_of */
	struct host_info host;
	char	session[96];		/* ceremony id or a fresh session id */
};

/* Resolve --home / AIRCA_HOME (required) into ca->home. */
int	ca_home_path(struct cmd_ctx *ctx, char *out, size_t len);

/*
 * What an auditor verifies with, for 'journal verify' and 'ceremony
 * report': the journal (journal, else HOME/journal.jsonl) and the root and
 * audit certificates (rootf / auditf, else root.pem and audit.pem next to
 * the journal named, else in HOME), loaded.  Needs no token and no lock.
 * jpath and rpath (PATH_MAX bytes each) get the paths used; *rootp and
 * *auditp are owned by the caller, set only on success.
 */
int	ca_evidence_load(struct cmd_ctx *ctx, const char *journal,
	    const char *auditf, const char *rootf, char *jpath, char *rpath,
	    X509 **rootp, X509 **auditp);

/* Set up an empty ca for command (session id, no files opened). */
void	ca_begin(struct ca *ca, struct cmd_ctx *ctx, const char *command);

/* Take the home's lock (HOME/.lock, flock): one airca at a time per home. */
int	ca_lock(struct ca *ca);

/*
 * Open what flags ask for.  On error everything opened so far is closed
 * again (ca_close is still safe to call).  command names the command in the
 * journal ("api sign").
 */
int	ca_open(struct ca *ca, struct cmd_ctx *ctx, const char *command,
	    unsigned flags);

/*
 * Load the HSM profile, open the token, check the air gap (journaling a
 * warning if the profile allows), prompt for the PIN and log in; the PIN is
 * wiped before this returns.  Used by ca_open(CA_TOKEN) and by init.
 */
int	ca_token_login(struct ca *ca);

/*
 * The first half of ca_token_login(): the HSM profile loaded, the air gap
 * checked, the token opened (asking for it), not logged in.  ca_token_login()
 * then logs in on the token it finds open.
 */
int	ca_token_open(struct ca *ca);

/*
 * Log in as the security officer (custody: init, restore), the SO PIN from
 * --so-pin-env / --so-pin-file or a no-echo prompt, wiped before this
 * returns.  One try: a wrong SO PIN is an error.  token_so_logout() ends it.
 */
int	ca_so_login(struct ca *ca);

/*
 * Journal an event (data borrowed).  Fails if the journal is not open.
 * JOURNAL_NOSYNC flags pass through.
 */
int	ca_journal(struct ca *ca, const char *event, json_t *data, int flags);

/*
 * Issue one certificate: serial from the token's RNG, issue_cert(), store
 * HOME/certs/SERIAL.pem, journal "cert-issued" (with extra merged into its
 * data), update the registry.  *certp owned by the caller.
 */
struct ca_issue {
	const struct profile *prof;
	const X509_NAME *subject;
	EVP_PKEY *pubkey;
	char *const *dns;
	size_t	ndns;
	const struct san_ip *ip;	/* user profiles that take IP addresses, URIs */
	size_t	nip;
	char *const *uri;
	size_t	nuri;
	X509	*issuer;		/* NULL: self-signed */
	EVP_PKEY *issuer_key;
	unsigned days;			/* 0: the profile's */
	const char *label;		/* token label of the subject key (CAs made here) */
	json_t	*extra;			/* merged into the journal data; borrowed */
	int	journal_flags;
};
int	ca_issue(struct ca *ca, const struct ca_issue *ci, X509 **certp);
/*
 * ca_issue() in its three steps, for signing on other threads: the
 * parameters (the profile's days checked, a serial drawn from the token)
 * in the caller's order; issue_cert() on any thread; then the record (the
 * cert-issued event journaled, the registry updated) again in order.
 */
struct issue_params;
int	ca_issue_params(struct ca *ca, const struct ca_issue *ci,
	    struct issue_params *ip);
int	ca_issue_record(struct ca *ca, const struct ca_issue *ci, X509 *cert);

/*
 * In journal_flags of ca_issue/ca_sign_csr, with JOURNAL_DEFER: do not run
 * issue_check() nor store HOME/certs/SERIAL.pem; the caller does both
 * (issue_check, registry_store_pem) before the deferred journal entry is
 * written, i.e. before the next checkpoint, and stops if the check fails.
 */
#define CA_ISSUE_DEFERRED	0x100

/*
 * Generate a CA key pair on the token (token_generate checks its
 * attributes), journal "key-generated" with the attributes read back, and
 * hand out the public key and the signing key.
 */
int	ca_generate_key(struct ca *ca, enum key_type type, const char *label,
	    EVP_PKEY **pubp, EVP_PKEY **signp);

/*
 * A request judged under every rule of a profile by ca_judge_csr(): the
 * only thing ca_issue_judged() signs, so that signing a request nobody
 * judged does not compile.  Opaque; free with ca_judged_free().
 */
struct csr;
struct ca_judged;

enum ca_verdict {
	CA_VERDICT_ISSUE = 0,		/* sign it: ca_issue_judged() */
	CA_VERDICT_REEXPORT,		/* certified before, the same: ca_judged_cert() */
};

/*
 * Requests judged together (one API response): a public key may appear in
 * only one of them.  Zero it before the first ca_judge_csr().
 */
#define CA_JUDGE_SET_MAX	8
struct ca_judge_set {
	size_t	n;
	const char *what[CA_JUDGE_SET_MAX];	/* borrowed: the request's name */
	unsigned char spki[CA_JUDGE_SET_MAX][SHA256_LEN];
};

/* ca_judge_csr() flags */
#define CA_JUDGE_REEXPORT	0x01	/* the same request certified before under the same
					   profile (valid, same issuer, subject and names) is
					   judged CA_VERDICT_REEXPORT instead of refused */

/*
 * Judge a parsed request c (borrowed; it must outlive *jp) under prof with
 * issuer as the issuer, changing no state: days (0: the profile's) within
 * the profile's, the profile's key rules, the subject rules, SAN DNS names,
 * the key not in set (when not NULL; what names the request there and in
 * messages, e.g. "tls-csr"), the key never certified under another profile
 * (any status), and duplicates under the same profile (device: a CN or key
 * issued before is refused unless the policy allows renewal; other
 * profiles: a key certified before is refused, or re-exported with
 * CA_JUDGE_REEXPORT).  A refusal is AIRCA_ERR_POLICY with the reason (the
 * caller journals "csr-rejected"); AIRCA_ERR_STATE when the registry and
 * HOME/certs disagree.  On success *jp is owned by the caller.
 */
int	ca_judge_csr(struct ca *ca, const struct profile *prof, struct csr *c,
	    X509 *issuer, unsigned days, const char *what,
	    struct ca_judge_set *set, unsigned flags, struct ca_judged **jp);

/*
 * ca_judge_csr() with the manifest row (borrowed, NULL for none) that the
 * profile's map=COLUMN rules take their values from.
 */
int	ca_judge_csr_row(struct ca *ca, const struct profile *prof,
	    struct csr *c, X509 *issuer, unsigned days,
	    const struct policy_row *row, const char *what,
	    struct ca_judge_set *set, unsigned flags, struct ca_judged **jp);

/*
 * The issuer of a user-defined profile (its issuer = root or LABEL): the
 * certificate and the token key.  calabel, if not NULL (--ca), must name
 * the same CA.  Both owned by the caller.
 */
int	ca_profile_issuer(struct ca *ca, const struct profile *prof,
	    const char *calabel, X509 **issuerp, EVP_PKEY **keyp);

enum ca_verdict ca_judged_verdict(const struct ca_judged *j);
/* CA_VERDICT_REEXPORT: the certificate issued before (borrowed from j), checked against the registry. */
X509	*ca_judged_cert(const struct ca_judged *j);
void	ca_judged_free(struct ca_judged *j);

/*
 * Issue a request judged CA_VERDICT_ISSUE (ca_issue(), signed with
 * issuer_key, the key of the issuer it was judged with).  *certp owned by
 * the caller.
 */
int	ca_issue_judged(struct ca *ca, const struct ca_judged *j,
	    EVP_PKEY *issuer_key, json_t *extra, int journal_flags,
	    X509 **certp);

/*
 * ca_issue_judged() in the steps of ca_issue_params() and
 * ca_issue_record(), always deferred (CA_ISSUE_DEFERRED): batch signing
 * draws the serial in request order, signs with issue_cert() on a
 * signing thread, and records in request order.
 */
int	ca_judged_params(struct ca *ca, const struct ca_judged *j,
	    EVP_PKEY *issuer_key, int journal_flags, struct issue_params *ip);
int	ca_judged_record(struct ca *ca, const struct ca_judged *j,
	    EVP_PKEY *issuer_key, json_t *extra, int journal_flags,
	    X509 *cert);

/*
 * ca_judge_csr() (no set, no re-export) then ca_issue_judged(): one
 * request judged and issued.  A refusal is AIRCA_ERR_POLICY with the
 * reason; the caller journals "csr-rejected".
 */
int	ca_sign_csr(struct ca *ca, const struct profile *prof, struct csr *c,
	    X509 *issuer, EVP_PKEY *issuer_key, unsigned days, json_t *extra,
	    int journal_flags, X509 **certp);

/* Journal a rejected request: file, its SHA-256, the reason. */
int	ca_reject(struct ca *ca, const char *file, const unsigned char *sha,
	    const char *reason, int journal_flags);

/* The device CA (or root) whose token key has label; its certificate from the registry. */
int	ca_find_ca(struct ca *ca, const char *label, const struct reg_entry **ep,
	    X509 **certp);

/*
 * Close: with a journal open, a failed command (r != 0) is journaled
 * ("command-failed" with the reason), then everything unsigned is covered
 * by a signed checkpoint (when the audit key is at hand), the registry is
 * saved, the token closed (logout; libp11 forgets the PIN) and the lock
 * released.  Returns r, or the first error of closing if r was 0.
 */
int	ca_close(struct ca *ca, int r);

/* A warning through the command's sink (out_warn: "airca: warning: ..."). */
void	ca_warn(struct ca *ca, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
