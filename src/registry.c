/* registry.c: the index of issued certificates, kept in step with the journal. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "custody.h"
#include "error.h"
#include "issue.h"
#include "journal.h"
#include "media.h"
#include "registry.h"

/* Open-addressing map from a key (derived from an entry) to entry index + 1. */
enum map_kind { MAP_SERIAL, MAP_CN, MAP_SPKI, MAP_LABEL, MAP_NKINDS };

struct map {
	size_t	*slots;
	size_t	cap;			/* power of two */
	size_t	used;			/* keys in it (the label map stays small) */
};

/* Interned strings: open addressing of owned copies. */
struct pool {
	char	**s;
	size_t	n, cap;			/* cap a power of two, or 0 */
};

struct registry {
	char	home[PATH_MAX];
	unsigned long jseq;			/* the journal entry it reflects */
	char	jhead[SHA256_HEX_LEN + 1];
	struct reg_entry *e;
	size_t	n, cap;
	struct map maps[MAP_NKINDS];
	struct pool pool;
	/* "root-crt-exported": the response whose bundle first held root-crt */
	unsigned long root_exports;
	char	root_export_sha[SHA256_HEX_LEN + 1];
	struct custody_state custody;		/* key policy, custodians, restores */
};

static uint64_t
hash_str2(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; b != NULL && *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

/* The key parts of entry e for a map kind; false if it has none. */
static bool
entry_key(const struct reg_entry *e, enum map_kind k, const char **a,
    const char **b)
{
	switch (k) {
	case MAP_SERIAL:
		*a = e->serial;
		*b = NULL;
		return true;
	case MAP_CN:
		*a = e->profile;
		*b = e->cn;
		return e->cn != NULL;
	case MAP_SPKI:
		*a = e->profile;
		*b = e->spki;
		return true;
	case MAP_LABEL:
		*a = e->label;
		*b = NULL;
		return e->label[0] != '\0';
	default:
		return false;
	}
}

/*
 * The hash of a map key (a, b).  A CN (MAP_CN's b) is hashed without ASCII
 * case: device UUIDs are case-insensitive (RFC 4122; the reference
 * registration service makes the certificate serial from the UUID's hex),
 * so 0F8E... and 0f8e... are one device.
 */
static uint64_t
hash_key(enum map_kind k, const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned char c;

	if (k != MAP_CN || b == NULL)
		return hash_str2(a, b);
	for (; *a != '\0'; a++)	/* as hash_str2, b folded to lower case */
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *b != '\0'; b++) {
		c = (unsigned char)*b;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

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

static bool
key_eq(enum map_kind k, const char *a1, const char *b1, const char *a2,
    const char *b2)
{
	return strcmp(a1, a2) == 0 &&
	    ((b1 == NULL && b2 == NULL) ||
	    (b1 != NULL && b2 != NULL && (k == MAP_CN ?
	    ascii_caseeq(b1, b2) : strcmp(b1, b2) == 0)));
}

static size_t
map_find(const struct registry *reg, enum map_kind k, const char *a,
    const char *b)
{
	const struct map *m = &reg->maps[k];
	const char *ea, *eb;
	size_t i, idx;

	if (m->cap == 0)
		return 0;
	for (i = hash_key(k, a, b) & (m->cap - 1); (idx = m->slots[i]) != 0;
	    i = (i + 1) & (m->cap - 1)) {
		if (entry_key(&reg->e[idx - 1], k, &ea, &eb) &&
		    key_eq(k, a, b, ea, eb))
			return idx;
	}
	return 0;
}

/* Insert (or replace, so the newest wins) entry idx (0-based). */
static int
map_put(struct registry *reg, enum map_kind k, size_t idx)
{
	struct map *m = &reg->maps[k];
	const char *a, *b, *ea, *eb;
	size_t i, j, *old, oldcap, cur;

	if (!entry_key(&reg->e[idx], k, &a, &b))
		return 0;
	if (m->cap == 0 || (m->used + 1) * 2 > m->cap) {
		old = m->slots;
		oldcap = m->cap;
		m->cap = oldcap == 0 ? 1024 : oldcap * 2;
		if ((m->slots = calloc(m->cap, sizeof(size_t))) == NULL) {
			m->slots = old;
			m->cap = oldcap;
			return AIRCA_ERR_NOMEM;
		}
		for (j = 0; j < oldcap; j++) {
			if (old[j] == 0)
				continue;
			entry_key(&reg->e[old[j] - 1], k, &ea, &eb);
			for (i = hash_key(k, ea, eb) & (m->cap - 1);
			    m->slots[i] != 0; i = (i + 1) & (m->cap - 1))
				;
			m->slots[i] = old[j];
		}
		free(old);
	}
	for (i = hash_key(k, a, b) & (m->cap - 1); (cur = m->slots[i]) != 0;
	    i = (i + 1) & (m->cap - 1)) {
		if (entry_key(&reg->e[cur - 1], k, &ea, &eb) &&
		    key_eq(k, a, b, ea, eb))
			break;
	}
	if (m->slots[i] == 0)
		m->used++;
	m->slots[i] = idx + 1;
	return 0;
}

const char *
cert_status_name(enum cert_status s)
{
	switch (s) {
	case CERT_VALID:	return "valid";
	case CERT_REVOKED:	return "revoked";
	case CERT_HOLD:		return "hold";
	case CERT_SUPERSEDED:	return "superseded";
	}
	return "unknown";
}

static int
status_parse(const char *s, enum cert_status *st)
{
	if (strcmp(s, "valid") == 0)
		*st = CERT_VALID;
	else if (strcmp(s, "revoked") == 0)
		*st = CERT_REVOKED;
	else if (strcmp(s, "hold") == 0)
		*st = CERT_HOLD;
	else if (strcmp(s, "superseded") == 0)
		*st = CERT_SUPERSEDED;
	else
		return AIRCA_ERR_INPUT;
	return 0;
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* s interned in reg's pool (s shorter than max), or NULL: too long or no memory. */
static const char *
intern(struct registry *reg, const char *s, size_t max)
{
	struct pool *p = &reg->pool;
	char **ns;
	size_t i, j, ncap;

	if (strlen(s) >= max)
		return NULL;
	if (s[0] == '\0')
		return "";
	if (p->cap == 0 || p->n * 2 >= p->cap) {
		ncap = p->cap == 0 ? 64 : p->cap * 2;
		if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
			return NULL;
		for (j = 0; j < p->cap; j++) {
			if (p->s[j] == NULL)
				continue;
			for (i = hash_str2(p->s[j], NULL) & (ncap - 1);
			    ns[i] != NULL; i = (i + 1) & (ncap - 1))
				;
			ns[i] = p->s[j];
		}
		free(p->s);
		p->s = ns;
		p->cap = ncap;
	}
	for (i = hash_str2(s, NULL) & (p->cap - 1); p->s[i] != NULL;
	    i = (i + 1) & (p->cap - 1))
		if (strcmp(p->s[i], s) == 0)
			return p->s[i];
	if ((p->s[i] = xstrdup(s)) == NULL)
		return NULL;
	p->n++;
	return p->s[i];
}

static bool
copy_field(char *dst, size_t size, const char *src)
{
	if (src == NULL || strlen(src) >= size)
		return false;
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

static int
entry_from_json(struct registry *reg, json_t *d, struct reg_entry *e)
{
	const char *s;
	json_t *v;

	memset(e, 0, sizeof(*e));
	e->profile = e->issuer = e->label = e->superseded_by = "";
	if (!copy_field(e->serial, sizeof(e->serial), jstr(d, "serial")) ||
	    (s = jstr(d, "profile")) == NULL ||
	    (e->profile = intern(reg, s, 16)) == NULL ||
	    !copy_field(e->fingerprint, sizeof(e->fingerprint),
	    jstr(d, "fingerprint")) ||
	    !copy_field(e->spki, sizeof(e->spki), jstr(d, "spki")) ||
	    (s = jstr(d, "subject")) == NULL ||
	    !json_is_integer(json_object_get(d, "not-before")) ||
	    !json_is_integer(json_object_get(d, "not-after")))
		return airca_errf(AIRCA_ERR_INPUT, "certificate record lacks "
		    "serial, profile, fingerprint, spki, subject or validity");
	if ((s = jstr(d, "issuer")) != NULL &&
	    (e->issuer = intern(reg, s, SERIAL_HEX_MAX)) == NULL)
		return airca_errf(AIRCA_ERR_INPUT, "bad issuer serial");
	if ((s = jstr(d, "label")) != NULL &&
	    (e->label = intern(reg, s, 65)) == NULL)
		return airca_errf(AIRCA_ERR_INPUT, "bad label");
	e->not_before = (time_t)json_integer_value(json_object_get(d, "not-before"));
	e->not_after = (time_t)json_integer_value(json_object_get(d, "not-after"));
	if ((s = jstr(d, "status")) != NULL && status_parse(s, &e->status) != 0)
		return airca_errf(AIRCA_ERR_INPUT, "bad status '%s'", s);
	if (json_is_integer(v = json_object_get(d, "reason")))
		e->reason = (int)json_integer_value(v);
	if (json_is_integer(v = json_object_get(d, "status-time")))
		e->status_time = (time_t)json_integer_value(v);
	if ((s = jstr(d, "superseded-by")) != NULL &&
	    (e->superseded_by = intern(reg, s, SERIAL_HEX_MAX)) == NULL)
		e->superseded_by = "";
	if (json_is_integer(v = json_object_get(d, "crl-number")) &&
	    json_integer_value(v) > 0)
		e->crl_number = (unsigned long long)json_integer_value(v);
	if ((e->subject = xstrdup(jstr(d, "subject"))) == NULL ||
	    ((s = jstr(d, "cn")) != NULL && (e->cn = xstrdup(s)) == NULL)) {
		free(e->subject);
		return AIRCA_ERR_NOMEM;
	}
	return 0;
}

static json_t *
entry_to_json(const struct reg_entry *e)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "serial", json_string(e->serial));
	json_object_set_new(o, "profile", json_string(e->profile));
	if (e->issuer[0] != '\0')
		json_object_set_new(o, "issuer", json_string(e->issuer));
	if (e->label[0] != '\0')
		json_object_set_new(o, "label", json_string(e->label));
	json_object_set_new(o, "fingerprint", json_string(e->fingerprint));
	json_object_set_new(o, "spki", json_string(e->spki));
	json_object_set_new(o, "subject", json_string(e->subject));
	if (e->cn != NULL)
		json_object_set_new(o, "cn", json_string(e->cn));
	json_object_set_new(o, "not-before", json_integer(e->not_before));
	json_object_set_new(o, "not-after", json_integer(e->not_after));
	json_object_set_new(o, "status", json_string(cert_status_name(e->status)));
	if (e->status != CERT_VALID) {
		json_object_set_new(o, "reason", json_integer(e->reason));
		json_object_set_new(o, "status-time", json_integer(e->status_time));
	}
	if (e->superseded_by[0] != '\0')
		json_object_set_new(o, "superseded-by",
		    json_string(e->superseded_by));
	if (e->crl_number > 0)
		json_object_set_new(o, "crl-number",
		    json_integer((json_int_t)e->crl_number));
	return o;
}

static int
registry_add(struct registry *reg, struct reg_entry *e)
{
	struct reg_entry *ne;
	size_t ncap;
	int k, r;

	if (map_find(reg, MAP_SERIAL, e->serial, NULL) != 0)
		return airca_errf(AIRCA_ERR_STATE, "serial %s is already in "
		    "the registry", e->serial);
	if (reg->n == reg->cap) {
		ncap = reg->cap == 0 ? 256 : reg->cap * 2;
		if ((ne = reallocarray(reg->e, ncap, sizeof(*ne))) == NULL)
			return AIRCA_ERR_NOMEM;
		reg->e = ne;
		reg->cap = ncap;
	}
	reg->e[reg->n++] = *e;
	for (k = 0; k < MAP_NKINDS; k++)
		if ((r = map_put(reg, (enum map_kind)k, reg->n - 1)) != 0)
			return r;
	memset(e, 0, sizeof(*e));	/* ownership of strings moved */
	return 0;
}

int
registry_new(const char *home, struct registry **regp)
{
	struct registry *reg;
	int r;

	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = path_join(reg->home, sizeof(reg->home), home, NULL)) != 0) {
		free(reg);
		return r;
	}
	*regp = reg;
	return 0;
}

void
registry_free(struct registry *reg)
{
	size_t i;
	int k;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++) {
		free(reg->e[i].subject);
		free(reg->e[i].cn);
	}
	for (k = 0; k < MAP_NKINDS; k++)
		free(reg->maps[k].slots);
	for (i = 0; i < reg->pool.cap; i++)
		free(reg->pool.s[i]);
	free(reg->pool.s);
	free(reg->e);
	custody_state_free(&reg->custody);
	free(reg);
}

int
registry_apply(struct registry *reg, const char *event, json_t *data)
{
	struct reg_entry e, *cur;
	const char *serial, *s;
	size_t idx;
	int r;

	if (custody_event(event))
		return custody_apply(&reg->custody, event, data);
	if (strcmp(event, "cert-issued") == 0) {
		if ((r = entry_from_json(reg, data, &e)) != 0)
			return r;
		if ((r = registry_add(reg, &e)) != 0) {
			free(e.subject);
			free(e.cn);
		}
		return r;
	}
	if (strcmp(event, "cert-status") == 0) {
		if ((serial = jstr(data, "serial")) == NULL ||
		    (idx = map_find(reg, MAP_SERIAL, serial, NULL)) == 0)
			return airca_errf(AIRCA_ERR_STATE, "status change for "
			    "unknown serial %s", serial ? serial : "(none)");
		cur = &reg->e[idx - 1];
		if ((s = jstr(data, "status")) == NULL ||
		    status_parse(s, &cur->status) != 0)
			return airca_errf(AIRCA_ERR_STATE, "bad status");
		cur->reason = (int)json_integer_value(json_object_get(data,
		    "reason"));
		cur->status_time = (time_t)json_integer_value(
		    json_object_get(data, "status-time"));
		if ((s = jstr(data, "superseded-by")) != NULL &&
		    (s = intern(reg, s, SERIAL_HEX_MAX)) != NULL)
			cur->superseded_by = s;
		return 0;
	}
	if (strcmp(event, "root-crt-exported") == 0) {
		if ((s = jstr(data, "input-sha256")) == NULL)
			return airca_errf(AIRCA_ERR_STATE, "root-crt-exported "
			    "without input-sha256");
		if (reg->root_exports++ == 0)
			snprintf(reg->root_export_sha,
			    sizeof(reg->root_export_sha), "%s", s);
		return 0;
	}
	if (strcmp(event, "crl-issued") == 0) {
		json_int_t num = json_integer_value(json_object_get(data,
		    "number"));

		if ((serial = jstr(data, "ca")) == NULL ||
		    (idx = map_find(reg, MAP_SERIAL, serial, NULL)) == 0)
			return airca_errf(AIRCA_ERR_STATE, "CRL of unknown CA "
			    "serial %s", serial ? serial : "(none)");
		cur = &reg->e[idx - 1];
		if (num <= 0 || (unsigned long long)num <= cur->crl_number)
			return airca_errf(AIRCA_ERR_STATE, "CRL number %lld of "
			    "CA %s is not above its last one (%llu)",
			    (long long)num, serial, cur->crl_number);
		cur->crl_number = (unsigned long long)num;
		return 0;
	}
	return 0;
}

void
registry_set_head(struct registry *reg, unsigned long seq, const char *head)
{
	reg->jseq = seq;
	snprintf(reg->jhead, sizeof(reg->jhead), "%s", head);
}

/*
 * The file's lines, one at a time, to emit: first a header naming the
 * journal entry the registry reflects, then one line a certificate.
 */
static int
registry_emit(struct registry *reg, int (*emit)(void *, const char *, size_t),
    void *arg)
{
	char *line = NULL;
	size_t i;
	json_t *ent;
	int r = AIRCA_ERR_NOMEM;

	for (i = 0; i <= reg->n; i++) {
		if (i == 0)
			ent = json_pack("{s:s,s:i,s:I,s:s}", "registry",
			    "airca-registry-cache", "version", 2, "journal-seq",
			    (json_int_t)reg->jseq, "journal-head", reg->jhead);
		else
			ent = entry_to_json(&reg->e[i - 1]);
		if (ent == NULL)
			goto out;
		line = json_dumps(ent, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_ENSURE_ASCII);
		json_decref(ent);
		if (line == NULL)
			goto out;
		if ((r = emit(arg, line, strlen(line))) != 0 ||
		    (r = emit(arg, "\n", 1)) != 0)
			goto out;
		free(line);
		line = NULL;
	}
	r = 0;
 out:
	free(line);
	return r;
}

static int
emit_out(void *arg, const char *buf, size_t len)
{
	return media_out_write(arg, buf, len);
}

/* Streamed: a registry of 100,000 certificates is never built in memory as text. */
int
registry_save(struct registry *reg)
{
	struct media_out *o = NULL;
	int dirfd, r;

	if ((dirfd = media_opendir(reg->home)) < 0)
		return dirfd;
	if ((r = media_out_open(dirfd, REGISTRY_FILE, MEDIA_REPLACE, &o)) != 0 ||
	    (r = registry_emit(reg, emit_out, o)) != 0)
		goto out;
	r = media_out_commit(o, NULL);
	o = NULL;
 out:
	media_out_abort(o);
	close(dirfd);
	return r;
}

struct emit_sha {
	EVP_MD_CTX *all, *body;
	bool	in_header;
};

static int
emit_sha2(void *arg, const char *buf, size_t len)
{
	struct emit_sha *es = arg;

	if (EVP_DigestUpdate(es->all, buf, len) != 1 ||
	    (!es->in_header && EVP_DigestUpdate(es->body, buf, len) != 1))
		return AIRCA_ERR_CRYPTO;
	if (len == 1 && buf[0] == '\n')
		es->in_header = false;
	return 0;
}

int
registry_cache_matches(struct registry *reg, bool *matchp, bool *bodyp)
{
	struct emit_sha es = { NULL, NULL, true };
	EVP_MD_CTX *fa = NULL, *fb = NULL;
	unsigned char want[SHA256_LEN], wantb[SHA256_LEN], got[SHA256_LEN];
	unsigned char gotb[SHA256_LEN], buf[65536], *nl;
	char path[PATH_MAX];
	bool header = true;
	ssize_t n;
	size_t off;
	int fd = -1, r = AIRCA_ERR_NOMEM;

	*matchp = *bodyp = false;
	if ((r = path_join(path, sizeof(path), reg->home, REGISTRY_FILE)) != 0)
		return r;
	r = AIRCA_ERR_NOMEM;
	if ((es.all = EVP_MD_CTX_new()) == NULL ||
	    (es.body = EVP_MD_CTX_new()) == NULL ||
	    (fa = EVP_MD_CTX_new()) == NULL || (fb = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(es.all, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(es.body, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(fa, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(fb, EVP_sha256(), NULL) != 1)
		goto out;
	if ((r = registry_emit(reg, emit_sha2, &es)) != 0 ||
	    EVP_DigestFinal_ex(es.all, want, NULL) != 1 ||
	    EVP_DigestFinal_ex(es.body, wantb, NULL) != 1) {
		r = r != 0 ? r : AIRCA_ERR_CRYPTO;
		goto out;
	}
	r = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto out;	/* no cache, or not a file: it does not match */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(fa, buf, (size_t)n);
		off = 0;
		if (header && (nl = memchr(buf, '\n', (size_t)n)) != NULL) {
			header = false;
			off = (size_t)(nl - buf) + 1;
		}
		if (!header)
			EVP_DigestUpdate(fb, buf + off, (size_t)n - off);
	}
	if (n == 0 && EVP_DigestFinal_ex(fa, got, NULL) == 1 &&
	    EVP_DigestFinal_ex(fb, gotb, NULL) == 1) {
		*matchp = memcmp(want, got, sizeof(want)) == 0;
		*bodyp = !header && memcmp(wantb, gotb, sizeof(wantb)) == 0;
	}
 out:
	if (fd != -1)
		close(fd);
	EVP_MD_CTX_free(es.all);
	EVP_MD_CTX_free(es.body);
	EVP_MD_CTX_free(fa);
	EVP_MD_CTX_free(fb);
	return r;
}

unsigned long
registry_root_exported(const struct registry *reg, const char **shap)
{
	if (shap != NULL)
		*shap = reg->root_exports > 0 ? reg->root_export_sha : NULL;
	return reg->root_exports;
}

size_t
registry_count(const struct registry *reg)
{
	return reg->n;
}

const struct reg_entry *
registry_at(const struct registry *reg, size_t i)
{
	return i < reg->n ? &reg->e[i] : NULL;
}

const struct reg_entry *
registry_by_serial(const struct registry *reg, const char *serial)
{
	size_t idx = map_find(reg, MAP_SERIAL, serial, NULL);

	return idx != 0 ? &reg->e[idx - 1] : NULL;
}

const struct reg_entry *
registry_by_cn(const struct registry *reg, const char *profile, const char *cn)
{
	size_t idx = map_find(reg, MAP_CN, profile, cn);

	return idx != 0 ? &reg->e[idx - 1] : NULL;
}

const struct reg_entry *
registry_by_spki(const struct registry *reg, const char *profile,
    const char *spki)
{
	size_t idx = map_find(reg, MAP_SPKI, profile, spki);

	return idx != 0 ? &reg->e[idx - 1] : NULL;
}

const struct reg_entry *
registry_by_label(const struct registry *reg, const char *label)
{
	size_t idx = map_find(reg, MAP_LABEL, label, NULL);

	return idx != 0 ? &reg->e[idx - 1] : NULL;
}

int
registry_store_cert(const char *home, X509 *cert, int media_flags)
{
	char serial[SERIAL_HEX_MAX], *pem = NULL;
	size_t len;
	int r;

	cert_serial_hex(cert, serial, sizeof(serial));
	if ((r = cert_pem(cert, &pem, &len)) != 0)
		return r;
	r = registry_store_pem(home, serial, pem, len, media_flags);
	free(pem);
	return r;
}

int
registry_store_pem(const char *home, const char *serial, const char *pem,
    size_t len, int media_flags)
{
	char dir[PATH_MAX], path[PATH_MAX], name[SERIAL_HEX_MAX + 4];
	int r;

	if (!name_safe(serial, SERIAL_HEX_MAX - 1))
		return airca_errf(AIRCA_ERR_INTERNAL, "bad serial");
	snprintf(name, sizeof(name), "%s.pem", serial);
	if ((r = path_join(dir, sizeof(dir), home, "certs")) != 0 ||
	    (r = media_mkdir(dir)) != 0 ||
	    (r = path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	return media_write(path, pem, len, media_flags);
}

int
registry_load_cert(const char *home, const char *serial, X509 **certp)
{
	char path[PATH_MAX];
	unsigned char *buf = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *x = NULL;
	int r;

	if (!name_safe(serial, SERIAL_HEX_MAX - 1))
		return airca_errf(AIRCA_ERR_INPUT, "bad serial");
	if (snprintf(path, sizeof(path), "%s/certs/%s.pem", home, serial) >=
	    (int)sizeof(path))
		return airca_errf(AIRCA_ERR_INPUT, "path too long");
	if ((r = media_read(path, MEDIA_MAX_CERT, &buf, &len)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		r = airca_errssl(AIRCA_ERR_STATE, "%s: not a certificate", path);
		goto out;
	}
	*certp = x;
	x = NULL;
	r = 0;
 out:
	X509_free(x);
	BIO_free(bio);
	free(buf);
	return r;
}

static time_t
asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

json_t *
registry_cert_event(X509 *cert, const char *profile, X509 *issuer,
    const char *label)
{
	char serial[SERIAL_HEX_MAX], fp[SHA256_HEX_LEN + 1];
	char spki[SHA256_HEX_LEN + 1], *subject = NULL, *cn = NULL;
	json_t *o = NULL;

	cert_serial_hex(cert, serial, sizeof(serial));
	cert_fingerprint(cert, fp);
	if (cert_spki_sha256(cert, spki) != 0 ||
	    (subject = name_oneline(X509_get_subject_name(cert))) == NULL ||
	    (o = json_object()) == NULL)
		goto out;
	cn = name_cn(X509_get_subject_name(cert));
	json_object_set_new(o, "profile", json_string(profile));
	json_object_set_new(o, "serial", json_string(serial));
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_object_set_new(o, "spki", json_string(spki));
	json_object_set_new(o, "subject", json_string(subject));
	if (cn != NULL)
		json_object_set_new(o, "cn", json_string(cn));
	json_object_set_new(o, "not-before",
	    json_integer(asn1_time_t(X509_get0_notBefore(cert))));
	json_object_set_new(o, "not-after",
	    json_integer(asn1_time_t(X509_get0_notAfter(cert))));
	if (issuer != NULL && issuer != cert) {
		cert_serial_hex(issuer, serial, sizeof(serial));
		json_object_set_new(o, "issuer", json_string(serial));
	}
	if (label != NULL && label[0] != '\0')
		json_object_set_new(o, "label", json_string(label));
 out:
	free(subject);
	free(cn);
	return o;
}

int
registry_cert(const char *home, const struct reg_entry *e, X509 **certp)
{
	char fp[SHA256_HEX_LEN + 1];
	X509 *x = NULL;
	int r;

	if ((r = registry_load_cert(home, e->serial, &x)) != 0)
		return r;
	cert_fingerprint(x, fp);
	if (strcmp(fp, e->fingerprint) != 0) {
		X509_free(x);
		return airca_errf(AIRCA_ERR_STATE, "%s/certs/%s.pem is not the "
		    "certificate the journal issued (its SHA-256 is %s, the "
		    "journal's %s): the file was replaced; restore it from a "
		    "copy ('airca registry rebuild' lists every such file)",
		    home, e->serial, fp, e->fingerprint);
	}
	*certp = x;
	return 0;
}

int
registry_device_cas_pem(const struct registry *reg, char **pemp,
    size_t *lenp, size_t *np)
{
	const struct reg_entry *e;
	X509 *x = NULL;
	char *buf = NULL, *pem = NULL, *nb;
	size_t i, len = 0, plen, n = 0;
	int r = 0;

	for (i = 0; i < reg->n; i++) {
		e = &reg->e[i];
		if ((strcmp(e->profile, "online-ca") != 0 &&
		    strcmp(e->profile, "device-ca") != 0) ||
		    e->status == CERT_REVOKED || e->status == CERT_SUPERSEDED)
			continue;
		if ((r = registry_cert(reg->home, e, &x)) != 0 ||
		    (r = cert_pem(x, &pem, &plen)) != 0)
			goto out;
		if ((nb = realloc(buf, len + plen + 1)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		buf = nb;
		memcpy(buf + len, pem, plen);
		len += plen;
		buf[len] = '\0';
		free(pem);
		pem = NULL;
		X509_free(x);
		x = NULL;
		n++;
	}
	*pemp = buf;
	*lenp = len;
	*np = n;
	buf = NULL;
 out:
	X509_free(x);
	free(pem);
	free(buf);
	return r;
}

const struct custody_state *
registry_custody(const struct registry *reg)
{
	return &reg->custody;
}
