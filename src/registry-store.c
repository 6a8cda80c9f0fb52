/*
 * registry-store.c: the registry's entries in scratch files (pfile.h):
 * one fixed record an entry in issue order, their subjects, CNs and
 * labels, four hash tables (dhash.h) from a key's SipHash to entry
 * indexes, each candidate checked exactly; and the copies handed out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "registry-int.h"
#include "siphash.h"

/* Equal without ASCII case (the locale's case rules play no part). */
static bool
ascii_caseeq(const char *x, const char *y)
{
	unsigned char c, d;

	for (;; x++, y++) {
		c = (unsigned char)*x;
		d = (unsigned char)*y;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (d >= 'A' && d <= 'Z')
			d = (unsigned char)(d - 'A' + 'a');
		if (c != d)
			return false;
		if (c == '\0')
			return true;
	}
}

/*
 * The hash of a map key (a, b): SipHash under a key drawn for this
 * registry, so that CNs chosen by whoever wrote the requests cannot pile
 * up on one slot (and it costs a tenth of a SHA-256 through EVP).  A CN (MAP_CN's b) is
 * hashed without ASCII case: device UUIDs are case-insensitive (RFC 4122;
 * the reference registration service makes the certificate serial from
 * the UUID's hex), so 0F8E... and 0f8e... are one device.
 */
static int
hash_key(struct registry *reg, enum map_kind k, const char *a, const char *b,
    uint64_t *hp)
{
	struct siphash sh;
	unsigned char kind = (unsigned char)k, sep = 0xff;
	char buf[256];
	size_t i, n;

	siphash_init(&sh, reg->hkey);
	siphash_update(&sh, &kind, 1);
	siphash_update(&sh, a, strlen(a));
	siphash_update(&sh, &sep, 1);
	for (i = 0; b != NULL && b[i] != '\0'; i += n) {
		for (n = 0; n < sizeof(buf) && b[i + n] != '\0'; n++)
			buf[n] = k == MAP_CN && b[i + n] >= 'A' &&
			    b[i + n] <= 'Z' ? (char)(b[i + n] - 'A' + 'a') :
			    b[i + n];
		siphash_update(&sh, buf, n);
	}
	*hp = siphash_final(&sh);
	return 0;
}

/* The first scratch file error sticks: the registry is then unusable. */
int
reg_fail(struct registry *reg, int r)
{
	if (r != 0 && reg->err == 0) {
		reg->err = r;
		snprintf(reg->errmsg, sizeof(reg->errmsg), "%s", airca_errmsg());
	}
	return r;
}

int
registry_error(const struct registry *reg)
{
	return reg->err;
}

const char *
registry_errmsg(const struct registry *reg)
{
	return reg->errmsg;
}

int
reg_rec_get(struct registry *reg, size_t idx, struct rec *rc)
{
	return reg_fail(reg, pfile_read(reg->recs, (uint64_t)idx * sizeof(*rc),
	    rc, sizeof(*rc)));
}

int
reg_rec_put(struct registry *reg, size_t idx, const struct rec *rc)
{
	return reg_fail(reg, pfile_write(reg->recs,
	    (uint64_t)idx * sizeof(*rc), rc, sizeof(*rc)));
}

/* One of the strings of rc (0 subject, 1 CN, 2 label), malloc'd; NULL CN when it has none. */
static int
rec_str(struct registry *reg, const struct rec *rc, int which, char **sp)
{
	uint64_t off = rc->strs;
	uint32_t len;
	char *s;
	int r;

	*sp = NULL;
	if (which >= 1)
		off += rc->subject_len + 1;
	if (which == 2 && rc->cn_len != NO_CN)
		off += rc->cn_len + 1;
	len = which == 0 ? rc->subject_len : which == 1 ? rc->cn_len :
	    rc->label_len;
	if (which == 1 && len == NO_CN)
		return 0;
	if ((s = malloc((size_t)len + 1)) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = reg_fail(reg, pfile_read(reg->strs, off, s, len))) != 0) {
		free(s);
		return r;
	}
	s[len] = '\0';
	*sp = s;
	return 0;
}

/* Does entry idx have key (a, b) of kind k? */
static int
rec_has_key(struct registry *reg, enum map_kind k, size_t idx, const char *a,
    const char *b, bool *eqp)
{
	struct rec rc;
	char *s = NULL;
	int r;

	*eqp = false;
	if ((r = reg_rec_get(reg, idx, &rc)) != 0)
		return r;
	switch (k) {
	case MAP_SERIAL:
		*eqp = strcmp(rc.serial, a) == 0;
		return 0;
	case MAP_SPKI:
		*eqp = strcmp(rc.profile, a) == 0 && strcmp(rc.spki, b) == 0;
		return 0;
	case MAP_CN:
		if (strcmp(rc.profile, a) != 0 || rc.cn_len == NO_CN)
			return 0;
		if ((r = rec_str(reg, &rc, 1, &s)) != 0)
			return r;
		*eqp = ascii_caseeq(s, b);
		break;
	case MAP_LABEL:
		if ((r = rec_str(reg, &rc, 2, &s)) != 0)
			return r;
		*eqp = strcmp(s, a) == 0;
		break;
	default:
		break;
	}
	free(s);
	return 0;
}

/*
 * Find key (a, b) in map k: *idxp its entry index + 1 (0: absent).  With
 * add, an absent key gets entry idx, a present one is moved to it (the
 * newest wins).
 */
int
reg_map_find(struct registry *reg, enum map_kind k, const char *a, const char *b,
    size_t *idxp, bool add, size_t idx)
{
	struct dhash *m = &reg->maps[k];
	struct dhash_it it;
	uint64_t h = 0;
	uint32_t v;
	bool eq;
	int r;

	*idxp = 0;
	if (!reg->open) {
		if (add)
			return airca_errf(AIRCA_ERR_INTERNAL, "registry not open");
		return 0;
	}
	if ((r = hash_key(reg, k, a, b, &h)) != 0)
		return reg_fail(reg, r);
	dhash_first(m, h, &it);
	while ((r = dhash_next(m, &it, &v)) == 1) {
		if ((r = rec_has_key(reg, k, v, a, b, &eq)) != 0)
			return reg_fail(reg, r);
		if (!eq)
			continue;
		*idxp = (size_t)v + 1;
		if (add)
			r = dhash_set(m, &it, (uint32_t)idx);
		return reg_fail(reg, r);
	}
	if (r == 0 && add)
		r = dhash_add(m, &it, (uint32_t)idx);
	return reg_fail(reg, r);
}

/* Make the scratch files, sized for about expect entries. */
int
reg_open(struct registry *reg, size_t expect)
{
	static const char *what[MAP_NKINDS] = { "the registry's serials",
	    "the registry's CNs", "the registry's keys", "the registry's labels" };
	int k, r;

	if (reg->err != 0)
		return reg->err;
	if ((r = pfile_open(reg->home, "the registry", REC_CACHE,
	    &reg->recs)) != 0 ||
	    (r = pfile_open(reg->home, "the registry's names", REC_CACHE,
	    &reg->strs)) != 0)
		return reg_fail(reg, r);
	for (k = 0; k < MAP_NKINDS; k++)
		if ((r = dhash_init(&reg->maps[k], reg->home, what[k],
		    k == MAP_LABEL ? 0 : expect, MAP_CACHE)) != 0)
			return reg_fail(reg, r);
	for (k = 0; k < MAP_NKINDS; k++)
		reg->filled[k] = k == MAP_SERIAL || !reg->bulk;
	reg->open = true;
	return 0;
}

int
reg_index(struct registry *reg, enum map_kind k, const struct rec *rc,
    const char *cn, const char *label, size_t idx)
{
	size_t got;

	switch (k) {
	case MAP_SERIAL:
		return reg_map_find(reg, k, rc->serial, NULL, &got, true, idx);
	case MAP_SPKI:
		return reg_map_find(reg, k, rc->profile, rc->spki, &got, true,
		    idx);
	case MAP_CN:
		return cn == NULL ? 0 : reg_map_find(reg, k, rc->profile, cn,
		    &got, true, idx);
	case MAP_LABEL:
		return label[0] == '\0' ? 0 : reg_map_find(reg, k, label, NULL,
		    &got, true, idx);
	default:
		return airca_errf(AIRCA_ERR_INTERNAL, "no such registry map");
	}
}

/*
 * Map k filled from every record, in issue order (so the newest of a key
 * wins, as when filled one certificate at a time): a replay fills only
 * the serials' map, which it needs itself, and leaves the CNs', keys' and
 * labels' to the first lookup, which most commands never make.
 */
static int
fill(struct registry *reg, enum map_kind k)
{
	struct rec rc;
	char *cn = NULL, *label = NULL;
	size_t idx;
	int r = 0;

	for (idx = 0; idx < reg->n && r == 0; idx++) {
		if ((r = reg_rec_get(reg, idx, &rc)) != 0 ||
		    (k == MAP_CN && (r = rec_str(reg, &rc, 1, &cn)) != 0) ||
		    (k == MAP_LABEL && (r = rec_str(reg, &rc, 2, &label)) != 0))
			break;
		r = reg_index(reg, k, &rc, cn, label, idx);
		free(cn);
		free(label);
		cn = label = NULL;
	}
	if (r == 0)
		reg->filled[k] = true;
	return reg_fail(reg, r);
}


void
reg_entry_free(struct reg_entry *e)
{
	if (e == NULL)
		return;
	free(e->subject);
	free(e->cn);
	free(e);
}

/* The copy of an entry's record and strings that callers are handed. */
static int
entry_make(struct registry *reg, const struct rec *rc, struct reg_entry **ep)
{
	struct reg_entry *e;
	char *label = NULL;
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return AIRCA_ERR_NOMEM;
	memcpy(e->serial, rc->serial, sizeof(e->serial));
	memcpy(e->profile, rc->profile, sizeof(e->profile));
	memcpy(e->issuer, rc->issuer, sizeof(e->issuer));
	memcpy(e->superseded_by, rc->superseded_by, sizeof(e->superseded_by));
	memcpy(e->fingerprint, rc->fingerprint, sizeof(e->fingerprint));
	memcpy(e->spki, rc->spki, sizeof(e->spki));
	e->status = (enum cert_status)rc->status;
	e->reason = rc->reason;
	e->not_before = (time_t)rc->not_before;
	e->not_after = (time_t)rc->not_after;
	e->status_time = (time_t)rc->status_time;
	e->crl_number = rc->crl_number;
	if ((r = rec_str(reg, rc, 0, &e->subject)) != 0 ||
	    (r = rec_str(reg, rc, 1, &e->cn)) != 0 ||
	    (r = rec_str(reg, rc, 2, &label)) != 0)
		goto fail;
	memcpy(e->label, label, rc->label_len + 1);
	free(label);
	*ep = e;
	return 0;
 fail:
	reg_entry_free(e);
	return r;
}

struct reg_entry **
reg_memo_slot(struct registry *reg, size_t idx, bool *foundp)
{
	struct memo *m = &reg->memo;
	size_t i;

	*foundp = false;
	if (m->cap == 0)
		return NULL;
	for (i = (idx * 0x9e3779b97f4a7c15ULL) & (m->cap - 1); m->idx[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->idx[i] == idx + 1) {
			*foundp = true;
			return &m->e[i];
		}
	return &m->e[i];
}

static int
memo_put(struct registry *reg, size_t idx, struct reg_entry *e)
{
	struct memo *m = &reg->memo, old = reg->memo;
	struct reg_entry **slot;
	size_t j;
	bool found;

	if (m->cap == 0 || (m->n + 1) * 2 > m->cap) {
		m->cap = old.cap == 0 ? 64 : old.cap * 2;
		m->idx = calloc(m->cap, sizeof(*m->idx));
		m->e = calloc(m->cap, sizeof(*m->e));
		if (m->idx == NULL || m->e == NULL) {
			free(m->idx);
			free(m->e);
			*m = old;
			return AIRCA_ERR_NOMEM;
		}
		m->n = 0;
		for (j = 0; j < old.cap; j++) {
			if (old.idx[j] == 0)
				continue;
			slot = reg_memo_slot(reg, old.idx[j] - 1, &found);
			m->idx[slot - m->e] = old.idx[j];
			*slot = old.e[j];
			m->n++;
		}
		free(old.idx);
		free(old.e);
	}
	slot = reg_memo_slot(reg, idx, &found);
	m->idx[slot - m->e] = idx + 1;
	*slot = e;
	m->n++;
	return 0;
}

/* Entry idx as a caller's copy (made once, kept until registry_release()); NULL on an error (kept in reg->err). */
static const struct reg_entry *
entry_at(struct registry *reg, size_t idx)
{
	struct reg_entry **slot, *e;
	struct rec rc;
	bool found;

	if (idx >= reg->n || reg->err != 0)
		return NULL;
	slot = reg_memo_slot(reg, idx, &found);
	if (found)
		return *slot;
	if (reg_rec_get(reg, idx, &rc) != 0)
		return NULL;
	if (reg_fail(reg, entry_make(reg, &rc, &e)) != 0)
		return NULL;
	if (reg_fail(reg, memo_put(reg, idx, e)) != 0) {
		reg_entry_free(e);
		return NULL;
	}
	return e;
}

void
registry_release(struct registry *reg)
{
	struct memo *m = &reg->memo;
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->idx[i] != 0)
			reg_entry_free(m->e[i]);
	free(m->idx);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/*
 * Entry i as a copy the caller frees (reg_entry_free), not kept: what walks
 * every entry (the cache file, the device CA list) stays in bounded memory.
 */
int
reg_entry_copy(struct registry *reg, size_t i, struct reg_entry **ep)
{
	struct rec rc;
	int r;

	*ep = NULL;
	if (reg->err != 0)
		return reg->err;
	if ((r = reg_rec_get(reg, i, &rc)) != 0)
		return r;
	return reg_fail(reg, entry_make(reg, &rc, ep));
}

size_t
registry_count(const struct registry *reg)
{
	return reg->n;
}

const struct reg_entry *
registry_at(struct registry *reg, size_t i)
{
	return entry_at(reg, i);
}

const struct reg_entry *
registry_peek(struct registry *reg, size_t i)
{
	reg_entry_free(reg->peek);
	reg->peek = NULL;
	if (i >= reg->n || reg_entry_copy(reg, i, &reg->peek) != 0)
		return NULL;
	return reg->peek;
}

static const struct reg_entry *
lookup(struct registry *reg, enum map_kind k, const char *a, const char *b)
{
	size_t idx;

	if (reg->err != 0 || (reg->open && !reg->filled[k] &&
	    fill(reg, k) != 0) || reg_map_find(reg, k, a, b, &idx, false, 0) != 0 ||
	    idx == 0)
		return NULL;
	return entry_at(reg, idx - 1);
}

const struct reg_entry *
registry_by_serial(struct registry *reg, const char *serial)
{
	return lookup(reg, MAP_SERIAL, serial, NULL);
}

const struct reg_entry *
registry_by_cn(struct registry *reg, const char *profile, const char *cn)
{
	return lookup(reg, MAP_CN, profile, cn);
}

const struct reg_entry *
registry_by_spki(struct registry *reg, const char *profile, const char *spki)
{
	return lookup(reg, MAP_SPKI, profile, spki);
}

const struct reg_entry *
registry_by_label(struct registry *reg, const char *label)
{
	return lookup(reg, MAP_LABEL, label, NULL);
}
