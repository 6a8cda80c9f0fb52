/*
 * registry-int.h: what registry.c (events, the cache file, certificate
 * files) and registry-store.c (the entries in scratch files, their
 * indexes, the copies handed out) share.  Nothing else includes it.
 */
#ifndef AIRCA_REGISTRY_INT_H
#define AIRCA_REGISTRY_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "custody.h"
#include "dhash.h"
#include "pfile.h"
#include "registry.h"

/*
 * The entries live in scratch files (pfile.h), not on the heap: a home of
 * a million certificates replays into a few MiB of cache.  recs holds one
 * fixed record an entry, in issue order; strs the subject, CN and label of
 * each; four hash tables (dhash.h) map a key's SipHash to entry indexes, each
 * candidate checked against the record exactly.  What a caller is handed
 * (struct reg_entry) is a copy made on demand and kept until
 * registry_release() or registry_free(), so its pointer stays valid (and
 * sees later status changes) as an in-memory registry's would.
 */
enum map_kind { MAP_SERIAL, MAP_CN, MAP_SPKI, MAP_LABEL, MAP_NKINDS };

#define REC_CACHE	64	/* pages of cache of recs and strs: read and written in order */
#define MAP_CACHE	256	/* of each map: a home of 30,000 certificates stays in memory */
#define NO_CN		UINT32_MAX

/* An entry as the scratch file holds it. */
struct rec {
	char	serial[SERIAL_HEX_MAX];
	char	profile[REG_PROFILE_MAX];
	char	issuer[SERIAL_HEX_MAX];
	char	superseded_by[SERIAL_HEX_MAX];
	char	fingerprint[SHA256_HEX_LEN + 1];
	char	spki[SHA256_HEX_LEN + 1];
	int32_t	status, reason;
	int64_t	not_before, not_after, status_time;
	uint64_t crl_number;
	uint64_t strs;			/* subject, then CN, then label, in strs */
	uint32_t subject_len, cn_len, label_len;	/* cn_len NO_CN: none */
};

/* The copies handed out: entry index -> copy, until registry_release(). */
struct memo {
	size_t	*idx;			/* index + 1; 0: free */
	struct reg_entry **e;
	size_t	n, cap;			/* cap a power of two, or 0 */
};

struct registry {
	char	home[PATH_MAX];
	unsigned long jseq;			/* the journal entry it reflects */
	char	jhead[SHA256_HEX_LEN + 1];
	size_t	n;				/* entries */
	size_t	expect;				/* about how many there will be */
	struct pfile *recs, *strs;		/* NULL until the first entry */
	uint64_t strs_end;
	struct dhash maps[MAP_NKINDS];
	bool	open;				/* the files above are made */
	bool	bulk;				/* a replay: maps but the serials' left for the first lookup */
	bool	filled[MAP_NKINDS];		/* map k holds every entry */
	int	err;				/* the first scratch file error, kept */
	char	errmsg[512];			/* and its sentence */
	unsigned char hkey[16];			/* the index hash's key, random */
	struct memo memo;
	struct reg_entry *peek;			/* registry_peek()'s, replaced by the next */
	/* "root-crt-exported": the response whose bundle first held root-crt */
	unsigned long root_exports;
	char	root_export_sha[SHA256_HEX_LEN + 1];
	struct custody_state custody;		/* key policy, custodians, restores */
};


int	reg_fail(struct registry *reg, int r);
int	reg_open(struct registry *reg, size_t expect);
int	reg_rec_get(struct registry *reg, size_t idx, struct rec *rc);
int	reg_rec_put(struct registry *reg, size_t idx, const struct rec *rc);
/*
 * Find key (a, b) in map k: *idxp its entry index + 1 (0: absent).  With
 * add, an absent key gets entry idx, a present one is moved to it (the
 * newest wins).
 */
int	reg_map_find(struct registry *reg, enum map_kind k, const char *a,
	    const char *b, size_t *idxp, bool add, size_t idx);
/* Put entry idx (record rc, its CN or NULL, its label) in map k, if it has that key. */
int	reg_index(struct registry *reg, enum map_kind k, const struct rec *rc,
	    const char *cn, const char *label, size_t idx);
/* Entry i as a copy the caller frees with reg_entry_free(), not kept. */
int	reg_entry_copy(struct registry *reg, size_t i, struct reg_entry **ep);
void	reg_entry_free(struct reg_entry *e);
/* The copy of entry idx handed out, if any (*foundp), else where it would go. */
struct reg_entry **reg_memo_slot(struct registry *reg, size_t idx,
	    bool *foundp);

#endif
