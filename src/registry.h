/*
 * registry.h: the index of issued certificates (HOME/registry.jsonl and
 * HOME/certs/SERIAL.pem).  Every change comes from a journal event through
 * registry_apply(), so the registry can be rebuilt from the journal alone
 * (plus the certificate files) and equals what it was.
 */
#ifndef AIRCA_REGISTRY_H
#define AIRCA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "util.h"

#define REGISTRY_FILE	"registry.jsonl"
#define SERIAL_HEX_MAX	41

enum cert_status {
	CERT_VALID = 0,
	CERT_REVOKED,
	CERT_HOLD,
	CERT_SUPERSEDED,
};

#define REG_PROFILE_MAX	16	/* a profile name's bytes, its NUL included */
#define REG_LABEL_MAX	65

/*
 * A certificate as the registry hands it out: a copy of what the journal
 * recorded, owned by the registry and valid until registry_release() or
 * registry_free(); a later status change (cert-status, crl-issued) shows
 * in it.  The entries themselves are kept in scratch files, not in memory
 * (about 400 bytes each on disk): see registry.c.
 */
struct reg_entry {
	char	serial[SERIAL_HEX_MAX];
	char	profile[REG_PROFILE_MAX];
	char	issuer[SERIAL_HEX_MAX];		/* issuer's serial; "" when self-signed */
	char	label[REG_LABEL_MAX];		/* token key label for CAs made here, else "" */
	char	fingerprint[SHA256_HEX_LEN + 1];	/* SHA-256 of the DER */
	char	spki[SHA256_HEX_LEN + 1];	/* SHA-256 of the SubjectPublicKeyInfo */
	char	*subject;			/* RFC 2253 */
	char	*cn;				/* may be NULL */
	time_t	not_before, not_after;
	enum cert_status status;
	int	reason;				/* CRL reason when revoked/on hold */
	time_t	status_time;
	char	superseded_by[SERIAL_HEX_MAX];	/* serial, or "" */
	unsigned long long crl_number;		/* last CRL number this CA signed (crl-issued); 0: none */
};

struct registry;

/*
 * An empty registry for HOME.  A registry is only ever made by replaying
 * the verified journal into it (replay.h): HOME/registry.jsonl is a cache
 * that airca writes for people and tools, and never reads back.
 */
int	registry_new(const char *home, struct registry **regp);
void	registry_free(struct registry *reg);
/*
 * About n entries come next, in one go (a replay; before the first): the
 * indexes are made that big, and those only lookups use (CNs, keys,
 * labels) are filled at the first lookup, not one entry at a time.
 */
void	registry_expect(struct registry *reg, size_t n);

/* The journal entry (seq, line hash) that the registry reflects: the cache's header. */
void	registry_set_head(struct registry *reg, unsigned long seq,
	    const char *head);

/*
 * Is HOME/registry.jsonl byte for byte what registry_save() would write
 * now (*matchp), and are its certificate lines, the header aside (*bodyp)?
 * Both false when it is missing.
 */
int	registry_cache_matches(struct registry *reg, bool *matchp,
	    bool *bodyp);

/*
 * Apply one journal event (cert-issued, cert-status, ...; other events
 * are ignored) to the in-memory registry.  A crl-issued event {ca, number}
 * records the CA's last CRL number, which must grow.  Returns 0, or AIRCA_ERR_STATE
 * if the event contradicts the registry (a duplicate serial, an unknown one).
 */
int	registry_apply(struct registry *reg, const char *event, json_t *data);

/*
 * Write registry.jsonl atomically (replacing the previous one): a header
 * line {"registry":"airca-registry-cache","version":2,"journal-seq":N,
 * "journal-head":H}, then one line a certificate.
 */
int	registry_save(struct registry *reg);

size_t	registry_count(const struct registry *reg);

/*
 * How many "root-crt-exported" events the journal holds (an upload bundle
 * with root-crt was written: the factory's PKI was set up, or is being);
 * *shap, if not NULL, gets the SHA-256 hex of the first such bundle's API
 * response (owned by reg), NULL when none.
 */
unsigned long registry_root_exported(const struct registry *reg,
	    const char **shap);
const struct reg_entry *registry_at(struct registry *reg, size_t i);
/*
 * The same for a loop over every entry that keeps nothing of it: a copy
 * valid until the next registry_peek() only, so that walking a million
 * certificates holds one.
 */
const struct reg_entry *registry_peek(struct registry *reg, size_t i);

/*
 * Lookups; NULL when absent.  Several entries may share a CN or key: the
 * newest is returned.  CNs are compared without ASCII case (device UUIDs
 * that differ only in case are one device; DNS names are case-insensitive).
 */
const struct reg_entry *registry_by_serial(struct registry *reg, const char *serial);
const struct reg_entry *registry_by_cn(struct registry *reg, const char *profile, const char *cn);
const struct reg_entry *registry_by_spki(struct registry *reg, const char *profile, const char *spki);
const struct reg_entry *registry_by_label(struct registry *reg, const char *label);

/*
 * The lookups and registry_at() return NULL when the entry is absent, and
 * also when a scratch file cannot be read or written: then
 * registry_error() is not 0 and stays so, every later lookup and
 * registry_apply() fail, and ca_journal() refuses to write (a duplicate
 * check that could not look is never taken for "not issued before").
 */
int	registry_error(const struct registry *reg);
/* That first error's sentence ("" when none). */
const char *registry_errmsg(const struct registry *reg);

/*
 * Free every entry handed out so far (their pointers become invalid):
 * what a loop over a million requests calls once it holds none.
 */
void	registry_release(struct registry *reg);

/* HOME/certs/SERIAL.pem: write (never replace) and read back. */
int	registry_store_cert(const char *home, X509 *cert, int media_flags);
/* The same from the certificate's PEM (any thread: batch writes it off the signing loop). */
int	registry_store_pem(const char *home, const char *serial, const char *pem,
	    size_t len, int media_flags);
/*
 * HOME/certs made if missing and opened (a descriptor, or a negative
 * AIRCA_ERR_*), for a loop that stores many: registry_store_pem_at().
 */
int	registry_certs_open(const char *home);
int	registry_store_pem_at(int certsfd, const char *serial, const char *pem,
	    size_t len, int media_flags);
int	registry_load_cert(const char *home, const char *serial, X509 **certp);
/*
 * The certificate of entry e from HOME/certs/, refused (AIRCA_ERR_STATE)
 * unless its SHA-256 is the fingerprint the journal recorded: what is
 * signed with, exported or uploaded is what the journal issued.
 */
int	registry_cert(const char *home, const struct reg_entry *e, X509 **certp);

/*
 * The factory API's ca-crt as this home knows it: every online and local
 * device CA neither revoked nor superseded (valid or on hold), in issue
 * order, as one PEM text, each checked with registry_cert().  *pemp is
 * malloc'd (NULL when *np is 0); *np is the number of CAs.
 */
int	registry_device_cas_pem(struct registry *reg, char **pemp,
	    size_t *lenp, size_t *np);

/* "valid", "revoked", "hold", "superseded"; the CRL reason name. */
const char *cert_status_name(enum cert_status s);

/*
 * The journal data of a cert-issued event for cert: profile, serial,
 * fingerprint, spki, subject, cn, not-before/after, issuer serial, label.
 */
json_t	*registry_cert_event(X509 *cert, const char *profile, X509 *issuer,
	    const char *label);

/*
 * The custody state replayed from the journal (custody.h): the key policy
 * of journal-open, custody-created, backup-written, custody-restored.
 * Owned by reg.
 */
struct custody_state;
const struct custody_state *registry_custody(const struct registry *reg);

#endif
