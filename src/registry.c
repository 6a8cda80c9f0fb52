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
#include <openssl/rand.h>

#include "custody.h"
#include "error.h"
#include "issue.h"
#include "journal.h"
#include "media.h"
#include "pfile.h"
#include "registry-int.h"
#include "sbuf.h"

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

static bool
copy_field(char *dst, size_t size, const char *src)
{
	if (src == NULL || strlen(src) >= size)
		return false;
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

/* A cert-issued event's data as a record; *subjectp, *cnp, *labelp point into d. */
static int
rec_from_json(json_t *d, struct rec *rc, const char **subjectp,
    const char **cnp, const char **labelp)
{
	enum cert_status st = CERT_VALID;
	const char *s;
	json_t *v;

	memset(rc, 0, sizeof(*rc));
	if (!copy_field(rc->serial, sizeof(rc->serial), jstr(d, "serial")) ||
	    !copy_field(rc->profile, sizeof(rc->profile), jstr(d, "profile")) ||
	    !copy_field(rc->fingerprint, sizeof(rc->fingerprint),
	    jstr(d, "fingerprint")) ||
	    !copy_field(rc->spki, sizeof(rc->spki), jstr(d, "spki")) ||
	    (*subjectp = jstr(d, "subject")) == NULL ||
	    !json_is_integer(json_object_get(d, "not-before")) ||
	    !json_is_integer(json_object_get(d, "not-after")))
		return airca_errf(AIRCA_ERR_INPUT, "certificate record lacks "
		    "serial, profile, fingerprint, spki, subject or validity");
	if ((s = jstr(d, "issuer")) != NULL &&
	    !copy_field(rc->issuer, sizeof(rc->issuer), s))
		return airca_errf(AIRCA_ERR_INPUT, "bad issuer serial");
	if ((*labelp = jstr(d, "label")) == NULL)
		*labelp = "";
	if (strlen(*labelp) >= REG_LABEL_MAX)
		return airca_errf(AIRCA_ERR_INPUT, "bad label");
	rc->not_before = json_integer_value(json_object_get(d, "not-before"));
	rc->not_after = json_integer_value(json_object_get(d, "not-after"));
	if ((s = jstr(d, "status")) != NULL && status_parse(s, &st) != 0)
		return airca_errf(AIRCA_ERR_INPUT, "bad status '%s'", s);
	rc->status = (int32_t)st;
	if (json_is_integer(v = json_object_get(d, "reason")))
		rc->reason = (int32_t)json_integer_value(v);
	if (json_is_integer(v = json_object_get(d, "status-time")))
		rc->status_time = json_integer_value(v);
	if ((s = jstr(d, "superseded-by")) != NULL)
		copy_field(rc->superseded_by, sizeof(rc->superseded_by), s);
	if (json_is_integer(v = json_object_get(d, "crl-number")) &&
	    json_integer_value(v) > 0)
		rc->crl_number = (uint64_t)json_integer_value(v);
	*cnp = jstr(d, "cn");
	if (strlen(*subjectp) >= MEDIA_MAX_CERT ||
	    (*cnp != NULL && strlen(*cnp) >= MEDIA_MAX_CERT))
		return airca_errf(AIRCA_ERR_INPUT, "subject or CN too long");
	return 0;
}


static int
registry_add(struct registry *reg, json_t *d)
{
	const char *subject = NULL, *cn = NULL, *label = NULL;
	struct rec rc;
	size_t idx, got;
	uint64_t at;
	int k, r;

	if (reg->err != 0)
		return reg->err;
	if ((r = rec_from_json(d, &rc, &subject, &cn, &label)) != 0)
		return r;
	if (!reg->open && (r = reg_open(reg, reg->expect)) != 0)
		return r;
	if (reg->n >= UINT32_MAX - 1)
		return airca_errf(AIRCA_ERR_STATE, "the registry is full");
	if ((r = reg_map_find(reg, MAP_SERIAL, rc.serial, NULL, &got, false,
	    0)) != 0)
		return r;
	if (got != 0)
		return airca_errf(AIRCA_ERR_STATE, "serial %s is already in "
		    "the registry", rc.serial);
	idx = reg->n;
	rc.strs = at = reg->strs_end;
	rc.subject_len = (uint32_t)strlen(subject);
	rc.cn_len = cn != NULL ? (uint32_t)strlen(cn) : NO_CN;
	rc.label_len = (uint32_t)strlen(label);
	if ((r = reg_fail(reg, pfile_write(reg->strs, at, subject,
	    rc.subject_len + 1))) != 0)
		return r;
	at += rc.subject_len + 1;
	if (cn != NULL) {
		if ((r = reg_fail(reg, pfile_write(reg->strs, at, cn,
		    rc.cn_len + 1))) != 0)
			return r;
		at += rc.cn_len + 1;
	}
	if ((r = reg_fail(reg, pfile_write(reg->strs, at, label,
	    rc.label_len + 1))) != 0 ||
	    (r = reg_rec_put(reg, idx, &rc)) != 0)
		return r;
	reg->strs_end = at + rc.label_len + 1;
	reg->n++;
	/* indexed only once the record is there: the maps check against it */
	for (k = 0; k < MAP_NKINDS; k++)
		if (reg->filled[k] && (r = reg_index(reg, (enum map_kind)k, &rc,
		    cn, label, idx)) != 0)
			return reg_fail(reg, r);
	return 0;
}

void
registry_expect(struct registry *reg, size_t n)
{
	reg->expect = n;
	reg->bulk = true;
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
	if (RAND_bytes(reg->hkey, sizeof(reg->hkey)) != 1) {
		free(reg);
		return airca_errssl(AIRCA_ERR_CRYPTO, "cannot draw the registry's "
		    "index key");
	}
	*regp = reg;
	return 0;
}

void
registry_free(struct registry *reg)
{
	int k;

	if (reg == NULL)
		return;
	registry_release(reg);
	reg_entry_free(reg->peek);
	for (k = 0; k < MAP_NKINDS; k++)
		dhash_free(&reg->maps[k]);
	pfile_close(reg->recs);
	pfile_close(reg->strs);
	custody_state_free(&reg->custody);
	free(reg);
}

/* A change to entry idx's record, made in its caller's copy too. */
static int
rec_update(struct registry *reg, size_t idx, const struct rec *rc)
{
	struct reg_entry **slot, *e;
	bool found;
	int r;

	if ((r = reg_rec_put(reg, idx, rc)) != 0)
		return r;
	slot = reg_memo_slot(reg, idx, &found);
	if (found) {
		e = *slot;
		e->status = (enum cert_status)rc->status;
		e->reason = rc->reason;
		e->status_time = (time_t)rc->status_time;
		memcpy(e->superseded_by, rc->superseded_by,
		    sizeof(e->superseded_by));
		e->crl_number = rc->crl_number;
	}
	return 0;
}

/*
 * The record an event names by serial (data's key), for a change: its
 * index (idx - 1) and a copy; "<unknown> SERIAL" if there is none.
 */
static int
rec_named(struct registry *reg, json_t *data, const char *key,
    const char *unknown, const char **serialp, size_t *idxp, struct rec *rc)
{
	const char *serial;
	int r;

	if ((serial = jstr(data, key)) == NULL)
		serial = "(none)";
	*serialp = serial;
	if ((r = reg_map_find(reg, MAP_SERIAL, serial, NULL, idxp, false,
	    0)) != 0)
		return r;
	if (*idxp == 0)
		return airca_errf(AIRCA_ERR_STATE, "%s %s", unknown, serial);
	return reg_rec_get(reg, *idxp - 1, rc);
}

int
registry_apply(struct registry *reg, const char *event, json_t *data)
{
	enum cert_status st;
	struct rec rc;
	const char *serial, *s;
	size_t idx;
	int r;

	if (custody_event(event))
		return custody_apply(&reg->custody, event, data);
	if (reg->err != 0 && (strcmp(event, "cert-issued") == 0 ||
	    strcmp(event, "cert-status") == 0 ||
	    strcmp(event, "crl-issued") == 0))
		return reg->err;
	if (strcmp(event, "cert-issued") == 0)
		return registry_add(reg, data);
	if (strcmp(event, "cert-status") == 0) {
		if ((r = rec_named(reg, data, "serial", "status change for "
		    "unknown serial", &serial, &idx, &rc)) != 0)
			return r;
		if ((s = jstr(data, "status")) == NULL ||
		    status_parse(s, &st) != 0)
			return airca_errf(AIRCA_ERR_STATE, "bad status");
		rc.status = (int32_t)st;
		rc.reason = (int32_t)json_integer_value(json_object_get(data,
		    "reason"));
		rc.status_time = json_integer_value(json_object_get(data,
		    "status-time"));
		if ((s = jstr(data, "superseded-by")) != NULL)
			copy_field(rc.superseded_by, sizeof(rc.superseded_by),
			    s);
		return rec_update(reg, idx - 1, &rc);
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

		if ((r = rec_named(reg, data, "ca", "CRL of unknown CA serial",
		    &serial, &idx, &rc)) != 0)
			return r;
		if (num <= 0 || (uint64_t)num <= rc.crl_number)
			return airca_errf(AIRCA_ERR_STATE, "CRL number %lld of "
			    "CA %s is not above its last one (%llu)",
			    (long long)num, serial,
			    (unsigned long long)rc.crl_number);
		rc.crl_number = (uint64_t)num;
		return rec_update(reg, idx - 1, &rc);
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
 * A JSON member: "key":value, after a comma unless first.  A string that
 * is not UTF-8 leaves its member out, as json_object_set_new() did with
 * the NULL json_string() gave it, so that the file stays byte for byte
 * what jansson wrote (registry_cache_matches() compares the bytes).
 */
static void
member_str(struct sbuf *sb, const char *key, const char *v, bool *first)
{
	if (!sb_utf8_valid(v))
		return;
	sb_str(sb, *first ? "{\"" : ",\"");
	sb_str(sb, key);
	sb_str(sb, "\":");
	sb_json_ascii(sb, v);
	*first = false;
}

static void
member_int(struct sbuf *sb, const char *key, long long v, bool *first)
{
	char num[32];

	sb_str(sb, *first ? "{\"" : ",\"");
	sb_str(sb, key);
	snprintf(num, sizeof(num), "\":%lld", v);
	sb_str(sb, num);
	*first = false;
}

/*
 * An entry's line, without its newline: what json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) made of the entry's object,
 * written directly (jansson's objects and dump took ten times as long, for
 * every certificate of the home at the end of every command).
 */
static void
entry_line(struct sbuf *sb, const struct reg_entry *e)
{
	bool first = true;

	member_str(sb, "serial", e->serial, &first);
	member_str(sb, "profile", e->profile, &first);
	if (e->issuer[0] != '\0')
		member_str(sb, "issuer", e->issuer, &first);
	if (e->label[0] != '\0')
		member_str(sb, "label", e->label, &first);
	member_str(sb, "fingerprint", e->fingerprint, &first);
	member_str(sb, "spki", e->spki, &first);
	member_str(sb, "subject", e->subject, &first);
	if (e->cn != NULL)
		member_str(sb, "cn", e->cn, &first);
	member_int(sb, "not-before", (long long)e->not_before, &first);
	member_int(sb, "not-after", (long long)e->not_after, &first);
	member_str(sb, "status", cert_status_name(e->status), &first);
	if (e->status != CERT_VALID) {
		member_int(sb, "reason", e->reason, &first);
		member_int(sb, "status-time", (long long)e->status_time,
		    &first);
	}
	if (e->superseded_by[0] != '\0')
		member_str(sb, "superseded-by", e->superseded_by, &first);
	if (e->crl_number > 0)
		member_int(sb, "crl-number", (long long)e->crl_number, &first);
	sb_str(sb, first ? "{}" : "}");
}

/*
 * The file's lines, one at a time, to emit: first a header naming the
 * journal entry the registry reflects, then one line a certificate.
 */
static int
registry_emit(struct registry *reg, int (*emit)(void *, const char *, size_t),
    void *arg)
{
	struct sbuf sb = { NULL, 0, 0, false };
	struct reg_entry *e = NULL;
	bool first = true;
	size_t i;
	int r = 0;

	member_str(&sb, "registry", "airca-registry-cache", &first);
	member_int(&sb, "version", 2, &first);
	member_int(&sb, "journal-seq", (long long)reg->jseq, &first);
	member_str(&sb, "journal-head", reg->jhead, &first);
	sb_str(&sb, "}\n");
	for (i = 0; i < reg->n && r == 0; i++) {
		/* one emit for many lines: the sink hashes what it gets */
		if (sb.len >= 60 * 1024) {
			r = sb.oom ? AIRCA_ERR_NOMEM : emit(arg, sb.p, sb.len);
			sb.len = 0;
			if (r != 0)
				break;
		}
		if ((r = reg_entry_copy(reg, i, &e)) != 0)
			break;
		entry_line(&sb, e);
		sb_str(&sb, "\n");
		reg_entry_free(e);
		e = NULL;
	}
	if (r == 0)
		r = sb.oom ? AIRCA_ERR_NOMEM : emit(arg, sb.p, sb.len);
	free(sb.p);
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
	const char *nl;
	size_t off = 0;

	if (EVP_DigestUpdate(es->all, buf, len) != 1)
		return AIRCA_ERR_CRYPTO;
	/* the body: everything after the header's line */
	if (es->in_header) {
		if ((nl = memchr(buf, '\n', len)) == NULL)
			return 0;
		es->in_header = false;
		off = (size_t)(nl - buf) + 1;
	}
	if (off < len && EVP_DigestUpdate(es->body, buf + off, len - off) != 1)
		return AIRCA_ERR_CRYPTO;
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
registry_certs_open(const char *home)
{
	char dir[PATH_MAX];
	int r;

	if ((r = path_join(dir, sizeof(dir), home, "certs")) != 0 ||
	    (r = media_mkdir(dir)) != 0)
		return r;
	return media_opendir(dir);
}

int
registry_store_pem_at(int certsfd, const char *serial, const char *pem,
    size_t len, int media_flags)
{
	char name[SERIAL_HEX_MAX + 4];

	if (!name_safe(serial, SERIAL_HEX_MAX - 1))
		return airca_errf(AIRCA_ERR_INTERNAL, "bad serial");
	snprintf(name, sizeof(name), "%s.pem", serial);
	return media_write_at(certsfd, name, pem, len, media_flags);
}

int
registry_store_pem(const char *home, const char *serial, const char *pem,
    size_t len, int media_flags)
{
	int fd, r;

	if ((fd = registry_certs_open(home)) < 0)
		return fd;
	r = registry_store_pem_at(fd, serial, pem, len, media_flags);
	close(fd);
	return r;
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
registry_device_cas_pem(struct registry *reg, char **pemp,
    size_t *lenp, size_t *np)
{
	struct reg_entry *e = NULL;
	X509 *x = NULL;
	char *buf = NULL, *pem = NULL, *nb;
	size_t i, len = 0, plen, n = 0;
	int r = 0;

	for (i = 0; i < reg->n; i++) {
		reg_entry_free(e);
		if ((r = reg_entry_copy(reg, i, &e)) != 0)
			goto out;
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
	reg_entry_free(e);
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
