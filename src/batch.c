/*
 * batch.c: a directory of device requests opened (under a built-in or a
 * user profile, with a manifest), scanned and judged, each request on its
 * own and against the batch (duplicate CNs and keys, earlier
 * certificates), and the progress meter; signing it is batch-sign.c's.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "batch.h"
#include "batch-int.h"
#include "ca.h"
#include "csr.h"
#include "dupset.h"
#include "error.h"
#include "issue.h"
#include "journal.h"
#include "manifest.h"
#include "media.h"
#include "sweep.h"
#include "policy.h"
#include "registry.h"
#include "token.h"
#include "util.h"

#define BATCH_NAME_MAX	200	/* longest input file name taken (bytes) */
#define BATCH_NAME_BUF	256	/* a directory entry's name and its NUL */
#define DUPSET_CACHE	256	/* pages of cache of each duplicate set's table (1 MiB) */

/* ---- the batch ---- */

const char *
batch_verdict_name(enum batch_verdict v)
{
	switch (v) {
	case BATCH_ACCEPT:	return "accept";
	case BATCH_SKIP:	return "skip";
	case BATCH_REJECT:	return "reject";
	}
	return "unknown";
}

size_t
batch_total(const struct batch *b)
{
	return b->n;
}

int
batch_leave_out(struct batch *b, size_t index)
{
	if (index >= b->n)
		return airca_errf(AIRCA_ERR_INTERNAL, "batch: no request %zu "
		    "(the batch has %zu)", index, b->n);
	if (b->left_out == NULL &&
	    (b->left_out = calloc((b->n + 7) / 8, 1)) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((b->left_out[index / 8] & (1u << (index % 8))) == 0)
		b->nleft_out++;
	b->left_out[index / 8] |= (unsigned char)(1u << (index % 8));
	return 0;
}

bool
batch_is_left_out(const struct batch *b, size_t index)
{
	return b->left_out != NULL &&
	    (b->left_out[index / 8] & (1u << (index % 8))) != 0;
}

/* The name of request i, from the scratch file (any thread). */
static int
batch_name(struct batch *b, size_t i, char name[BATCH_NAME_BUF])
{
	return bnames_get(b->names, i, name, BATCH_NAME_BUF);
}

/*
 * A file name for display: printable UTF-8 kept, anything else (control
 * bytes, invalid UTF-8, backslash) as \xNN; cut with "..." when long.
 * Returns true when the name needed no escaping.
 */
static bool
escape_name(const char *s, char *out, size_t outlen)
{
	size_t i, o = 0, n = strlen(s), k;
	unsigned char c;
	bool clean = true;

	for (i = 0; i < n; ) {
		c = (unsigned char)s[i];
		k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ?
		    3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (o + 8 >= outlen) {
			if (outlen >= 4)
				memcpy(out + (o < outlen - 4 ? o : outlen - 4),
				    "...", 4);
			return false;
		}
		if (k == 0 || i + k > n || c == '\\' ||
		    !text_printable(s + i, k)) {
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
			i++;
			clean = false;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return clean;
}

/* The same for a reason (from a parser or the policy: may quote the request). */
static void
escape_text(const char *s, char *out, size_t outlen)
{
	escape_name(s, out, outlen);
}

int
batch_open(struct ca *ca, const char *calabel, const char *indir,
    struct batch **bp)
{
	return batch_open_profile(ca, NULL, calabel, indir, NULL, bp);
}

/* The issuer of a user profile's batch: its CA, valid, and its label on the token. */
static int
open_user_issuer(struct batch *b, const char *calabel)
{
	struct ca *ca = b->ca;
	const struct profile *prof = b->prof;
	const struct reg_entry *e;
	const char *label = prof->issuer_label;
	int r;

	if (prof->ca)
		return airca_errf(AIRCA_ERR_USAGE, "--profile %s is a CA kind: "
		    "an intermediate CA is made with 'airca ca create'",
		    prof->name);
	if (calabel != NULL && strcmp(calabel, label) != 0 &&
	    !(strcmp(label, "root") == 0 && strcmp(calabel, CA_ROOT_LABEL) == 0))
		return airca_errf(AIRCA_ERR_USAGE, "--ca %s: profile %s is "
		    "issued by %s (its issuer in policy.conf)", calabel,
		    prof->name, label);
	if (strcmp(label, "root") == 0)
		label = CA_ROOT_LABEL;
	snprintf(b->calabel, sizeof(b->calabel), "%s", label);
	if ((r = ca_find_ca(ca, label, &e, &b->cacert)) != 0)
		return r;
	if (e->status != CERT_VALID)
		return airca_errf(AIRCA_ERR_STATE, "CA '%s' (serial %s) is %s: "
		    "it signs nothing", label, e->serial,
		    cert_status_name(e->status));
	snprintf(b->caserial, sizeof(b->caserial), "%s", e->serial);
	snprintf(b->caspki, sizeof(b->caspki), "%s", e->spki);
	return 0;
}

/* The manifest, checked against the profile's map= columns. */
static int
open_manifest(struct batch *b, const char *manifest)
{
	const struct profile *prof = b->prof;
	size_t k, n;
	int r;

	if (manifest == NULL) {
		if (policy_maps(prof))
			return airca_errf(AIRCA_ERR_USAGE, "profile %s maps "
			    "subject values from a manifest: give --manifest "
			    "FILE", prof->name);
		return 0;
	}
	if ((r = manifest_load(manifest, &b->man)) != 0)
		return r;
	for (k = 0; k < prof->nrules; k++)
		if (prof->rules[k].map[0] != '\0' &&
		    !manifest_has_column(b->man, prof->rules[k].map))
			return airca_errf(AIRCA_ERR_INPUT, "manifest %s has no "
			    "column '%s', which profile %s maps into %s",
			    manifest, prof->rules[k].map, prof->name,
			    OBJ_nid2sn(prof->rules[k].nid));
	n = manifest_rows(b->man);
	if ((b->row_user = calloc(n, sizeof(*b->row_user))) == NULL)
		return AIRCA_ERR_NOMEM;
	for (k = 0; k < n; k++)
		b->row_user[k] = NO_ROW;
	return 0;
}

int
batch_open_profile(struct ca *ca, const char *profname, const char *calabel,
    const char *indir, const char *manifest, struct batch **bp)
{
	struct batch *b = NULL;
	const struct reg_entry *e;
	int r;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return AIRCA_ERR_NOMEM;
	b->ca = ca;
	b->dirfd = -1;
	if (profname != NULL && strcmp(profname, "device") != 0) {
		if ((b->prof = policy_profile(&ca->pol, profname)) == NULL ||
		    b->prof->kind == KIND_BUILTIN) {
			r = airca_errf(AIRCA_ERR_USAGE, "--profile %s: batch "
			    "sign takes device or a user-defined profile of "
			    "%s/%s", profname, ca->home, CA_POLICY_FILE);
			goto out;
		}
		if ((r = open_user_issuer(b, calabel)) != 0)
			goto out;
		goto issuer_done;
	}
	if (calabel == NULL) {
		r = airca_errf(AIRCA_ERR_USAGE, "profile device needs --ca "
		    "LABEL: the local device CA that signs");
		goto out;
	}
	if (strlen(calabel) >= sizeof(b->calabel)) {
		r = airca_errf(AIRCA_ERR_USAGE, "--ca: a label is at most %zu "
		    "bytes", sizeof(b->calabel) - 1);
		goto out;
	}
	snprintf(b->calabel, sizeof(b->calabel), "%s", calabel);
	if ((b->prof = policy_profile(&ca->pol, "device")) == NULL) {
		r = airca_errf(AIRCA_ERR_STATE, "the policy has no device "
		    "profile");
		goto out;
	}
	if ((r = ca_find_ca(ca, calabel, &e, &b->cacert)) != 0)
		goto out;
	if (strcmp(e->profile, "device-ca") != 0) {
		r = airca_errf(AIRCA_ERR_USAGE, "--ca %s is the root: device "
		    "certificates are signed by a local device CA (airca "
		    "device-ca create)", calabel);
		goto out;
	}
	if (e->status != CERT_VALID) {
		r = airca_errf(AIRCA_ERR_STATE, "device CA '%s' (serial %s) is "
		    "%s: it signs nothing", calabel, e->serial,
		    cert_status_name(e->status));
		goto out;
	}
	snprintf(b->caserial, sizeof(b->caserial), "%s", e->serial);
	snprintf(b->caspki, sizeof(b->caspki), "%s", e->spki);
 issuer_done:
	if ((r = open_manifest(b, manifest)) != 0)
		goto out;
	if ((b->casubj = X509_NAME_dup(X509_get_subject_name(b->cacert))) ==
	    NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = path_join(b->indir, sizeof(b->indir), indir, NULL)) != 0)
		goto out;
	if ((b->dirfd = media_opendir(indir)) < 0) {
		r = b->dirfd;
		b->dirfd = -1;
		goto out;
	}
	/* the names and the duplicate sets in scratch files in the home */
	if ((r = bnames_build(b->dirfd, indir, ca->home, &b->names)) != 0)
		goto out;
	b->n = bnames_count(b->names);
	if ((r = dupset_init(&b->cns, ca->home, "the batch's duplicate CNs",
	    b->n, DUPSET_CACHE)) != 0 ||
	    (r = dupset_init(&b->keys, ca->home, "the batch's duplicate keys",
	    b->n, DUPSET_CACHE)) != 0)
		goto out;
	*bp = b;
	b = NULL;
	r = 0;
 out:
	batch_free(b);
	return r;
}

void
batch_set_sessions(struct batch *b, unsigned n)
{
	b->sessions = n;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	if (b->dirfd != -1)
		close(b->dirfd);
	X509_free(b->cacert);
	X509_NAME_free(b->casubj);
	bnames_free(b->names);
	free(b->left_out);
	free(b->row_user);
	manifest_free(b->man);
	dupset_free(&b->cns);
	dupset_free(&b->keys);
	free(b);
}

/* ---- judging ---- */

void
batch_rows_clear(struct batch *b)
{
	size_t k;

	for (k = 0; b->man != NULL && k < manifest_rows(b->man); k++)
		b->row_user[k] = NO_ROW;
}

int
batch_dups_clear(struct batch *b)
{
	int r;

	batch_rows_clear(b);
	if ((r = dupset_clear(&b->cns)) != 0)
		return r;
	return dupset_clear(&b->keys);
}

int
batch_reader_error(struct batch *b)
{
	int r;

	if ((r = bnames_error(b->names)) != 0)
		return r;
	return airca_errf(AIRCA_ERR_NOMEM, "reading the batch");
}

void
batch_job_reject(struct job *jb, const char *fmt, ...)
{
	char tmp[BATCH_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	escape_text(tmp, jb->it.reason, sizeof(jb->it.reason));
	jb->it.verdict = BATCH_REJECT;
	csr_free(jb->c);
	jb->c = NULL;
}

/*
 * The manifest row of a request: the one whose key is the request's CN, or
 * else one of its SAN DNS names, URIs or IP addresses.  NO_ROW if none.
 */
static size_t
find_row(const struct batch *b, const struct csr *c)
{
	char *cn, ipbuf[64];
	size_t row = NO_ROW, i;

	if ((cn = name_cn(X509_REQ_get_subject_name(c->req))) != NULL)
		row = manifest_find(b->man, cn);
	free(cn);
	for (i = 0; row == NO_ROW && i < c->ndns; i++)
		row = manifest_find(b->man, c->dns[i]);
	for (i = 0; row == NO_ROW && i < c->nuri; i++)
		row = manifest_find(b->man, c->uri[i]);
	for (i = 0; row == NO_ROW && i < c->nip; i++) {
		san_ip_str(&c->ip[i], ipbuf, sizeof(ipbuf));
		row = manifest_find(b->man, ipbuf);
	}
	return row;
}

/*
 * Everything about request i that does not depend on the others or on the
 * registry: the name, the file, the request, the key, the subject rules.
 * Thread-safe: reads only the batch's immutable parts and its names
 * (under their lock).  Not 0 only when the name cannot be read back from
 * its scratch file: the batch cannot go on.
 */
int
batch_judge_file(struct batch *b, size_t i, struct job *jb)
{
	const struct profile *prof = b->prof;
	char name[BATCH_NAME_BUF];
	unsigned char *buf = NULL, msha[SHA256_LEN];
	X509_NAME *subj = NULL;
	struct policy_row row, *rowp = NULL;
	char *cn = NULL, *p, hex[SHA256_HEX_LEN + 1];
	size_t len;
	bool clean;
	int r;

	memset(jb, 0, sizeof(*jb));
	jb->row = NO_ROW;
	jb->it.index = i;
	jb->it.verdict = BATCH_ACCEPT;
	if ((r = batch_name(b, i, name)) != 0)
		return r;
	clean = escape_name(name, jb->it.file, sizeof(jb->it.file));
	if (!clean || !text_printable(name, strlen(name))) {
		batch_job_reject(jb, "the file name holds control characters, "
		    "backslashes or bytes that are not UTF-8: not read; rename "
		    "it");
		goto out;
	}
	if (name[0] == '.') {
		batch_job_reject(jb, "hidden file (the name starts with '.'): not "
		    "read; remove it from the media or rename it");
		goto out;
	}
	if (strlen(name) > BATCH_NAME_MAX) {
		batch_job_reject(jb, "the file name is longer than %d bytes: not "
		    "read; rename it", BATCH_NAME_MAX);
		goto out;
	}
	airca_errclear();
	if ((r = media_read_at(b->dirfd, name, MEDIA_MAX_CSR, &buf,
	    &len)) != 0) {
		batch_job_reject(jb, "%s", airca_errmsg()[0] != '\0' ? airca_errmsg() :
		    airca_strerror(r));
		goto out;
	}
	sha256(buf, len, jb->it.sha256);
	jb->it.have_sha = true;
	if (len == 0) {
		batch_job_reject(jb, "empty file: no request in it");
		goto out;
	}
	if ((r = csr_parse(buf, len, &jb->c)) != 0) {
		batch_job_reject(jb, "%s", airca_errmsg());
		goto out;
	}
	csr_key_name(jb->c, jb->it.key, sizeof(jb->it.key));
	if ((jb->c->key == CSR_KEY_RSA && (!prof->allow_rsa ||
	    jb->c->key_bits < (int)prof->min_rsa_bits)) ||
	    (jb->c->key == CSR_KEY_EC_P384 && !prof->allow_p384)) {
		batch_job_reject(jb, "key %s is not allowed by profile %s",
		    jb->it.key, prof->name);
		goto out;
	}
	if (b->man != NULL) {
		if ((jb->row = find_row(b, jb->c)) == NO_ROW) {
			memcpy(msha, manifest_sha256(b->man), sizeof(msha));
			hex_encode(msha, sizeof(msha), hex);
			batch_job_reject(jb, "not in the manifest: no row whose %s is "
			    "the request's CN or one of its subjectAltNames "
			    "(manifest SHA-256 %.16s...): an unlisted device "
			    "is not signed", manifest_key_column(b->man), hex);
			goto out;
		}
		manifest_row(b->man, jb->row, &row);
		rowp = &row;
	}
	if ((r = policy_subject_row(prof, X509_REQ_get_subject_name(
	    jb->c->req), b->casubj, rowp, &subj)) != 0 ||
	    (prof->kind != KIND_BUILTIN && (r = policy_san(prof, jb->c->dns,
	    jb->c->ndns, jb->c->ip, jb->c->nip, jb->c->uri, jb->c->nuri,
	    jb->c->bad_ip, jb->c->bad_uri)) != 0)) {
		batch_job_reject(jb, "%s", airca_errmsg());
		goto out;
	}
	if ((cn = name_cn(subj)) == NULL) {
		batch_job_reject(jb, "no CN: a device request needs CN = the device "
		    "id");
		goto out;
	}
	if (strlen(cn) >= sizeof(jb->it.cn) || !name_safe(cn, BATCH_CN_MAX - 1) ||
	    strlen(cn) + sizeof(".pem") > BATCH_NAME_MAX) {
		batch_job_reject(jb, "the CN cannot name an output file (it holds "
		    "'/', starts with '.', or is too long): tighten the CN "
		    "pattern in the policy");
		goto out;
	}
	memcpy(jb->it.cn, cn, strlen(cn) + 1);	/* fits: checked above */
	/* UUIDs that differ only in case are one device (registry.h) */
	for (p = cn; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	sha256(cn, strlen(cn), jb->cnkey);
	if (jb->c->asks_ca || jb->c->nexts > 0 || jb->c->has_other_san)
		snprintf(jb->it.reason, sizeof(jb->it.reason), "the request "
		    "asks for %d extension%s%s: ignored, the certificate gets "
		    "profile %s only", jb->c->nexts,
		    jb->c->nexts == 1 ? "" : "s", jb->c->asks_ca ?
		    " (CA:TRUE among them)" : "", prof->name);
 out:
	free(cn);
	X509_NAME_free(subj);
	free(buf);
	return 0;
}

/* Did this batch's device CA key sign as issuer (this certificate of it, or one it renewed)? */
static bool
same_ca_key(const struct batch *b, const char *issuer)
{
	const struct reg_entry *ie;

	if (strcmp(issuer, b->caserial) == 0)
		return true;
	ie = registry_by_serial(b->ca->reg, issuer);
	return ie != NULL && strcmp(ie->profile, "device-ca") == 0 &&
	    strcmp(ie->spki, b->caspki) == 0;
}

/*
 * What depends on the order and on the registry (main thread only):
 * duplicates in the batch, and requests this CA signed before (SKIP) or
 * that repeat an issued CN or key.  Sets *prevp for SKIP.
 */
static int	judge_dups_rest(struct batch *, struct job *,
		    const struct reg_entry **);

/* The name of request i for a message, escaped. */
static int
other_name(struct batch *b, size_t i, char other[BATCH_FILE_MAX])
{
	char name[BATCH_NAME_BUF];
	int r;

	if ((r = batch_name(b, i, name)) != 0)
		return r;
	escape_name(name, other, BATCH_FILE_MAX);
	return 0;
}

/*
 * A manifest row claims one request: the first that reached it and passed
 * every other check; a later one is refused.  Not 0 only on an error of
 * the scratch files (the batch cannot go on).
 */
int
batch_judge_dups(struct batch *b, struct job *jb, const struct reg_entry **prevp)
{
	char other[BATCH_FILE_MAX];
	size_t u;
	int r;

	*prevp = NULL;
	if (jb->it.verdict == BATCH_REJECT)
		return 0;
	if (b->man != NULL && jb->row != NO_ROW &&
	    (u = b->row_user[jb->row]) != NO_ROW) {
		if ((r = other_name(b, u, other)) != 0)
			return r;
		batch_job_reject(jb, "manifest row at line %zu (%s %s) is used by %s "
		    "too (the first one is taken): a row is one device, one "
		    "certificate", manifest_line(b->man, jb->row),
		    manifest_key_column(b->man), manifest_key(b->man, jb->row),
		    other);
		return 0;
	}
	if ((r = judge_dups_rest(b, jb, prevp)) != 0)
		return r;
	if (b->man != NULL && jb->row != NO_ROW &&
	    jb->it.verdict != BATCH_REJECT)
		b->row_user[jb->row] = jb->it.index;
	return 0;
}

/* The rest of batch_judge_dups(): the CNs and keys of this batch and the registry. */
static int
judge_dups_rest(struct batch *b, struct job *jb, const struct reg_entry **prevp)
{
	const struct reg_entry *e;
	char spki[SHA256_HEX_LEN + 1], other[BATCH_FILE_MAX];
	size_t first;
	int r;

	*prevp = NULL;
	if (jb->it.verdict == BATCH_REJECT)
		return 0;
	if ((r = dupset_put(&b->cns, jb->cnkey, jb->it.index, &first)) < 0)
		return r;
	if (r == 1) {
		if ((r = other_name(b, first, other)) != 0)
			return r;
		batch_job_reject(jb, "duplicate in this batch: CN %s is requested by "
		    "%s too, CNs compared without case (the first one is "
		    "taken)", jb->it.cn, other);
		return 0;
	}
	if ((r = dupset_put(&b->keys, jb->c->spki_sha256, jb->it.index,
	    &first)) < 0)
		return r;
	if (r == 1) {
		if ((r = other_name(b, first, other)) != 0)
			return r;
		batch_job_reject(jb, "duplicate in this batch: the same public key as "
		    "%s (the first one is taken)", other);
		return 0;
	}
	hex_encode(jb->c->spki_sha256, SHA256_LEN, spki);
	e = registry_by_spki(b->ca->reg, b->prof->name, spki);
	if (e != NULL && e->cn != NULL && strcmp(e->cn, jb->it.cn) == 0 &&
	    same_ca_key(b, e->issuer) && e->status == CERT_VALID) {
		jb->it.verdict = BATCH_SKIP;
		snprintf(jb->it.reason, sizeof(jb->it.reason), "signed before "
		    "(serial %s): re-exported", e->serial);
		snprintf(jb->it.serial, sizeof(jb->it.serial), "%s", e->serial);
		snprintf(jb->it.fingerprint, sizeof(jb->it.fingerprint), "%s",
		    e->fingerprint);
		*prevp = e;
		return 0;
	}
	if (b->ca->pol.allow_renewal)
		return 0;
	if (e != NULL) {
		batch_job_reject(jb, "duplicate: this public key was certified before "
		    "(serial %s, CN %s)", e->serial, e->cn != NULL ? e->cn : "-");
		return 0;
	}
	if ((e = registry_by_cn(b->ca->reg, b->prof->name, jb->it.cn)) != NULL)
		batch_job_reject(jb, "duplicate: CN %s was issued before (serial %s%s%s"
		    ") and the policy does not allow renewal", jb->it.cn,
		    e->serial, strcmp(e->cn, jb->it.cn) != 0 ? ", as " : "",
		    strcmp(e->cn, jb->it.cn) != 0 ? e->cn : "");
	return 0;
}

/* ---- time and progress ---- */

double
batch_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
batch_meter_tick(struct meter *m, const struct batch_counts *c, bool final)
{
	double t, t0 = 0;
	size_t d0 = 0, i, k;

	if (m->hooks == NULL || m->hooks->progress == NULL)
		return;
	t = batch_mono();
	if (!final && t - m->last < 0.1)
		return;
	m->last = t;
	m->p.counts = *c;
	m->p.done = c->accepted + c->skipped + c->rejected;
	m->p.elapsed = t - m->start;
	m->p.final = final;
	/* the oldest sample still inside the window, else the start */
	t0 = m->start;
	for (i = 0; i < m->ns; i++) {
		k = (m->head + METER_SAMPLES - m->ns + i) % METER_SAMPLES;
		if (t - m->st[k] <= BATCH_RATE_WINDOW) {
			t0 = m->st[k];
			d0 = m->sd[k];
			break;
		}
	}
	m->st[m->head] = t;
	m->sd[m->head] = m->p.done;
	m->head = (m->head + 1) % METER_SAMPLES;
	if (m->ns < METER_SAMPLES)
		m->ns++;
	m->p.rate = t - t0 > 0 ? (double)(m->p.done - d0) / (t - t0) : 0;
	/*
	 * The last requests are recorded in a burst as the signing window
	 * empties: the window may hold no progress at the end, but the run
	 * had some.
	 */
	if (final && m->p.rate == 0 && m->p.elapsed > 0)
		m->p.rate = (double)m->p.done / m->p.elapsed;
	m->p.eta = m->p.rate > 0 && m->p.done >= 16 && m->p.elapsed >= 0.5 ?
	    (double)(c->total - m->p.done) / m->p.rate : -1;
	m->hooks->progress(m->hooks->arg, &m->p);
}

/* "42s", "3m05s", "1h02m" */
static void
duration_text(double s, char *buf, size_t size)
{
	unsigned long n = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (n < 60)
		snprintf(buf, size, "%lus", n);
	else if (n < 3600)
		snprintf(buf, size, "%lum%02lus", n / 60, n % 60);
	else
		snprintf(buf, size, "%luh%02lum", n / 3600, n % 3600 / 60);
}

void
batch_progress_text(const struct batch_progress *p, char *buf, size_t size)
{
	char left[32];
	int n;

	n = snprintf(buf, size, "%zu/%zu", p->done, p->counts.total);
	if (n < 0 || (size_t)n >= size)
		return;
	if (p->rate > 0)
		n += snprintf(buf + n, size - (size_t)n, "  %.0f/s", p->rate);
	if (n < 0 || (size_t)n >= size)
		return;
	if (p->final)
		snprintf(buf + n, size - (size_t)n, "  done in %.1fs",
		    p->elapsed);
	else if (p->done >= p->counts.total)
		snprintf(buf + n, size - (size_t)n, "  finishing");
	else if (p->eta >= 0) {
		duration_text(p->eta, left, sizeof(left));
		snprintf(buf + n, size - (size_t)n, "  about %s left", left);
	}
}

void
batch_count(struct batch_counts *c, enum batch_verdict v)
{
	if (v == BATCH_ACCEPT)
		c->accepted++;
	else if (v == BATCH_SKIP)
		c->skipped++;
	else
		c->rejected++;
}

/* Tree hash line for an item: "HEX  NAME\n", HEX 64 '-' when not read. */
void
batch_tree_add(EVP_MD_CTX *tree, const struct batch_item *it)
{
	char hex[SHA256_HEX_LEN + 1];

	if (it->have_sha)
		hex_encode(it->sha256, SHA256_LEN, hex);
	else {
		memset(hex, '-', SHA256_HEX_LEN);
		hex[SHA256_HEX_LEN] = '\0';
	}
	EVP_DigestUpdate(tree, hex, SHA256_HEX_LEN);
	EVP_DigestUpdate(tree, "  ", 2);
	EVP_DigestUpdate(tree, it->file, strlen(it->file));
	EVP_DigestUpdate(tree, "\n", 1);
}

void
batch_tree_final(EVP_MD_CTX *tree, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int mdlen = sizeof(md);

	EVP_DigestFinal_ex(tree, md, &mdlen);
	hex_encode(md, sizeof(md), out);
}

int
batch_scan(struct batch *b, const struct batch_hooks *hooks,
    struct batch_counts *counts, char tree[SHA256_HEX_LEN + 1])
{
	struct batch_counts c;
	struct meter m;
	const struct reg_entry *prev;
	struct job *jb = NULL;
	EVP_MD_CTX *tc = NULL;
	size_t i;
	int r = 0;

	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	c.total = b->n;
	m.hooks = hooks;
	m.start = m.last = batch_mono();
	if ((r = batch_dups_clear(b)) != 0)
		goto out;
	if ((jb = malloc(sizeof(*jb))) == NULL ||
	    (tc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(tc, EVP_sha256(), NULL) != 1) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		registry_release(b->ca->reg);
		if ((r = batch_judge_file(b, i, jb)) == 0 &&
		    (r = batch_judge_dups(b, jb, &prev)) == 0)
			r = registry_error(b->ca->reg);
		csr_free(jb->c);
		jb->c = NULL;
		if (r != 0)
			goto out;
		batch_tree_add(tc, &jb->it);
		batch_count(&c, jb->it.verdict);
		if (hooks != NULL && hooks->item != NULL &&
		    (r = hooks->item(hooks->arg, &jb->it)) != 0)
			goto out;
		batch_meter_tick(&m, &c, false);
	}
	batch_meter_tick(&m, &c, true);
	if (counts != NULL)
		*counts = c;
	if (tree != NULL)
		batch_tree_final(tc, tree);
 out:
	free(jb);
	EVP_MD_CTX_free(tc);
	return r;
}

void
batch_counts_done(const struct batch_counts *c, char *buf, size_t size)
{
	if (c->accepted == 0 && c->skipped == 0)
		snprintf(buf, size, "none signed");
	else if (c->skipped == 0)
		snprintf(buf, size, "%zu signed", c->accepted);
	else
		snprintf(buf, size, "%zu signed, %zu signed before",
		    c->accepted, c->skipped);
}
