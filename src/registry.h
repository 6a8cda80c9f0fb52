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

/*
 * The string fields that many entries share (profile, issuer, label,
 * superseded_by) point into the registry's pool of interned strings: never
 * NULL ("" when empty), valid while the registry is.  A registry holds
 * 100,000 device certificates in about 30 MB this way.
 */
struct reg_entry {
	char	serial[SERIAL_HEX_MAX];
	const char *profile;			/* at most 15 bytes */
	const char *issuer;			/* issuer's serial; "" when self-signed */
	const char *label;			/* token key label for CAs made here, else "" (at most 64 bytes) */
	char	fingerprint[SHA256_HEX_LEN + 1];	/* SHA-256 of the DER */
	char	spki[SHA256_HEX_LEN + 1];	/* SHA-256 of the SubjectPublicKeyInfo */
	char	*subject;			/* RFC 2253, owned */
	char	*cn;				/* owned, may be NULL */
	time_t	not_before, not_after;
	enum cert_status status;
	int	reason;				/* CRL reason when revoked/on hold */
	time_t	status_time;
	const char *superseded_by;		/* serial, or "" */
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
const struct reg_entry *registry_at(const struct registry *reg, size_t i);

/*
 * Lookups; NULL when absent.  Several entries may share a CN or key: the
 * newest is returned.  CNs are compared without ASCII case (device UUIDs
 * that differ only in case are one device; DNS names are case-insensitive).
 */
const struct reg_entry *registry_by_serial(const struct registry *reg, const char *serial);
const struct reg_entry *registry_by_cn(const struct registry *reg, const char *profile, const char *cn);
const struct reg_entry *registry_by_spki(const struct registry *reg, const char *profile, const char *spki);
const struct reg_entry *registry_by_label(const struct registry *reg, const char *label);

/* HOME/certs/SERIAL.pem: write (never replace) and read back. */
int	registry_store_cert(const char *home, X509 *cert, int media_flags);
/* The same from the certificate's PEM (any thread: batch writes it off the signing loop). */
int	registry_store_pem(const char *home, const char *serial, const char *pem,
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
int	registry_device_cas_pem(const struct registry *reg, char **pemp,
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
