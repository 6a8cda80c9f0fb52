/* batch.c: judging and signing a directory of device requests, with reading and writing overlapped with token signing. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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
#include "queue.h"
#include "registry.h"
#include "sbuf.h"
#include "token.h"
#include "util.h"

#define BATCH_NAME_MAX	200	/* longest input file name taken (bytes) */
#define BATCH_GROUP	128	/* journal entries per signed checkpoint while signing */

/* ---- the batch ---- */

struct batch {
	struct ca *ca;
	const struct profile *prof;
	char	calabel[65];
	char	caserial[SERIAL_HEX_MAX];
	char	caspki[SHA256_HEX_LEN + 1];	/* its key: renewals of it sign alike */
	X509	*cacert;
	X509_NAME *casubj;		/* a copy for the reader thread */
	char	indir[PATH_MAX];
	int	dirfd;
	char	*names;			/* NUL-separated entry names */
	size_t	*off;			/* offset of each name in names, sorted */
	size_t	n;
	struct dupset cns, keys;
	unsigned char *left_out;	/* bitmap of n bits: batch_leave_out(); NULL: none */
	size_t	nleft_out;
	struct manifest *man;		/* --manifest: the allow-list and mapped values; NULL: none */
	size_t	*row_user;		/* per manifest row: the item that claimed it, or NO_ROW */
};

#define NO_ROW	((size_t)-1)

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

static bool
is_left_out(const struct batch *b, size_t index)
{
	return b->left_out != NULL &&
	    (b->left_out[index / 8] & (1u << (index % 8))) != 0;
}

static const char *
batch_name(const struct batch *b, size_t i)
{
	return b->names + b->off[i];
}

static int
cmp_off(const void *a, const void *b, void *arg)
{
	const char *names = arg;

	return strcmp(names + *(const size_t *)a, names + *(const size_t *)b);
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
	DIR *d = NULL;
	struct dirent *de;
	size_t len = 0, cap = 0, n = 0, ocap = 0, l;
	char *nn;
	size_t *no;
	int fd = -1, r;

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
	if ((fd = dup(b->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		r = airca_errf(AIRCA_ERR_IO, "%s: %s", indir, strerror(errno));
		goto out;
	}
	fd = -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == BATCH_MAX_FILES) {
			r = airca_errf(AIRCA_ERR_UNSAFE, "%s holds more than %d "
			    "entries: split the batch", indir, BATCH_MAX_FILES);
			goto out;
		}
		l = strlen(de->d_name) + 1;
		if (len + l > cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nn = realloc(b->names, cap)) == NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			b->names = nn;
		}
		if (n == ocap) {
			ocap = ocap == 0 ? 1024 : ocap * 2;
			if ((no = reallocarray(b->off, ocap, sizeof(*no))) ==
			    NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			b->off = no;
		}
		memcpy(b->names + len, de->d_name, l);
		b->off[n++] = len;
		len += l;
	}
	if (errno != 0) {
		r = airca_errf(AIRCA_ERR_IO, "%s: reading the directory: %s",
		    indir, strerror(errno));
		goto out;
	}
	b->n = n;
	if (n > 0)
		qsort_r(b->off, n, sizeof(*b->off), cmp_off, b->names);
	if ((r = dupset_init(&b->cns, n)) != 0 ||
	    (r = dupset_init(&b->keys, n)) != 0)
		goto out;
	*bp = b;
	b = NULL;
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	if (d != NULL)
		closedir(d);
	batch_free(b);
	return r;
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
	free(b->names);
	free(b->off);
	free(b->left_out);
	free(b->row_user);
	manifest_free(b->man);
	dupset_free(&b->cns);
	dupset_free(&b->keys);
	free(b);
}

/* ---- judging ---- */

static void
rows_clear(struct batch *b)
{
	size_t k;

	for (k = 0; b->man != NULL && k < manifest_rows(b->man); k++)
		b->row_user[k] = NO_ROW;
}

/* A request read and judged on its own (any thread): what the reader hands on. */
struct job {
	struct batch_item it;
	struct csr *c;			/* NULL when rejected */
	unsigned char cnkey[SHA256_LEN];	/* SHA-256 of the CN */
	size_t	row;			/* the manifest row, or NO_ROW */
};

static void
job_reject(struct job *jb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
job_reject(struct job *jb, const char *fmt, ...)
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
 * Thread-safe: reads only the batch's immutable parts.
 */
static void
judge_file(struct batch *b, size_t i, struct job *jb)
{
	const struct profile *prof = b->prof;
	const char *name = batch_name(b, i);
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
	clean = escape_name(name, jb->it.file, sizeof(jb->it.file));
	if (!clean || !text_printable(name, strlen(name))) {
		job_reject(jb, "the file name holds control characters, "
		    "backslashes or bytes that are not UTF-8: not read; rename "
		    "it");
		goto out;
	}
	if (name[0] == '.') {
		job_reject(jb, "hidden file (the name starts with '.'): not "
		    "read; remove it from the media or rename it");
		goto out;
	}
	if (strlen(name) > BATCH_NAME_MAX) {
		job_reject(jb, "the file name is longer than %d bytes: not "
		    "read; rename it", BATCH_NAME_MAX);
		goto out;
	}
	airca_errclear();
	if ((r = media_read_at(b->dirfd, name, MEDIA_MAX_CSR, &buf,
	    &len)) != 0) {
		job_reject(jb, "%s", airca_errmsg()[0] != '\0' ? airca_errmsg() :
		    airca_strerror(r));
		goto out;
	}
	sha256(buf, len, jb->it.sha256);
	jb->it.have_sha = true;
	if (len == 0) {
		job_reject(jb, "empty file: no request in it");
		goto out;
	}
	if ((r = csr_parse(buf, len, &jb->c)) != 0) {
		job_reject(jb, "%s", airca_errmsg());
		goto out;
	}
	csr_key_name(jb->c, jb->it.key, sizeof(jb->it.key));
	if ((jb->c->key == CSR_KEY_RSA && (!prof->allow_rsa ||
	    jb->c->key_bits < (int)prof->min_rsa_bits)) ||
	    (jb->c->key == CSR_KEY_EC_P384 && !prof->allow_p384)) {
		job_reject(jb, "key %s is not allowed by profile %s",
		    jb->it.key, prof->name);
		goto out;
	}
	if (b->man != NULL) {
		if ((jb->row = find_row(b, jb->c)) == NO_ROW) {
			memcpy(msha, manifest_sha256(b->man), sizeof(msha));
			hex_encode(msha, sizeof(msha), hex);
			job_reject(jb, "not in the manifest: no row whose %s is "
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
		job_reject(jb, "%s", airca_errmsg());
		goto out;
	}
	if ((cn = name_cn(subj)) == NULL) {
		job_reject(jb, "no CN: a device request needs CN = the device "
		    "id");
		goto out;
	}
	if (strlen(cn) >= sizeof(jb->it.cn) || !name_safe(cn, BATCH_CN_MAX - 1) ||
	    strlen(cn) + sizeof(".pem") > BATCH_NAME_MAX) {
		job_reject(jb, "the CN cannot name an output file (it holds "
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
static void	judge_dups_rest(struct batch *, struct job *,
		    const struct reg_entry **);

/*
 * A manifest row claims one request: the first that reached it and passed
 * every other check; a later one is refused.
 */
static void
judge_dups(struct batch *b, struct job *jb, const struct reg_entry **prevp)
{
	char other[BATCH_FILE_MAX];
	size_t u;

	*prevp = NULL;
	if (jb->it.verdict == BATCH_REJECT)
		return;
	if (b->man != NULL && jb->row != NO_ROW &&
	    (u = b->row_user[jb->row]) != NO_ROW) {
		escape_name(batch_name(b, u), other, sizeof(other));
		job_reject(jb, "manifest row at line %zu (%s %s) is used by %s "
		    "too (the first one is taken): a row is one device, one "
		    "certificate", manifest_line(b->man, jb->row),
		    manifest_key_column(b->man), manifest_key(b->man, jb->row),
		    other);
		return;
	}
	judge_dups_rest(b, jb, prevp);
	if (b->man != NULL && jb->row != NO_ROW &&
	    jb->it.verdict != BATCH_REJECT)
		b->row_user[jb->row] = jb->it.index;
}

/* The rest of judge_dups(): the CNs and keys of this batch and the registry. */
static void
judge_dups_rest(struct batch *b, struct job *jb, const struct reg_entry **prevp)
{
	const struct reg_entry *e;
	char spki[SHA256_HEX_LEN + 1], other[BATCH_FILE_MAX];
	size_t first;

	*prevp = NULL;
	if (jb->it.verdict == BATCH_REJECT)
		return;
	if (dupset_put(&b->cns, jb->cnkey, jb->it.index, &first)) {
		escape_name(batch_name(b, first), other, sizeof(other));
		job_reject(jb, "duplicate in this batch: CN %s is requested by "
		    "%s too, CNs compared without case (the first one is "
		    "taken)", jb->it.cn, other);
		return;
	}
	if (dupset_put(&b->keys, jb->c->spki_sha256, jb->it.index, &first)) {
		escape_name(batch_name(b, first), other, sizeof(other));
		job_reject(jb, "duplicate in this batch: the same public key as "
		    "%s (the first one is taken)", other);
		return;
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
		return;
	}
	if (b->ca->pol.allow_renewal)
		return;
	if (e != NULL) {
		job_reject(jb, "duplicate: this public key was certified before "
		    "(serial %s, CN %s)", e->serial, e->cn != NULL ? e->cn : "-");
		return;
	}
	if ((e = registry_by_cn(b->ca->reg, b->prof->name, jb->it.cn)) != NULL)
		job_reject(jb, "duplicate: CN %s was issued before (serial %s%s%s"
		    ") and the policy does not allow renewal", jb->it.cn,
		    e->serial, strcmp(e->cn, jb->it.cn) != 0 ? ", as " : "",
		    strcmp(e->cn, jb->it.cn) != 0 ? e->cn : "");
}

/* ---- time and progress ---- */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define METER_SAMPLES	64	/* at 10 a second: more than BATCH_RATE_WINDOW */

struct meter {
	const struct batch_hooks *hooks;
	struct batch_progress p;
	double	start, last;
	/* (time, done) at each tick, for the rate over the last few seconds */
	double	st[METER_SAMPLES];
	size_t	sd[METER_SAMPLES];
	size_t	ns, head;
};

static void
meter_tick(struct meter *m, const struct batch_counts *c, bool final)
{
	double t, t0 = 0;
	size_t d0 = 0, i, k;

	if (m->hooks == NULL || m->hooks->progress == NULL)
		return;
	t = mono();
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

static void
count(struct batch_counts *c, enum batch_verdict v)
{
	if (v == BATCH_ACCEPT)
		c->accepted++;
	else if (v == BATCH_SKIP)
		c->skipped++;
	else
		c->rejected++;
}

/* Tree hash line for an item: "HEX  NAME\n", HEX 64 '-' when not read. */
static void
tree_add(EVP_MD_CTX *tree, const struct batch_item *it)
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

static void
tree_final(EVP_MD_CTX *tree, char out[SHA256_HEX_LEN + 1])
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
	m.start = m.last = mono();
	dupset_clear(&b->cns);
	dupset_clear(&b->keys);
	rows_clear(b);
	if ((jb = malloc(sizeof(*jb))) == NULL ||
	    (tc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(tc, EVP_sha256(), NULL) != 1) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		judge_file(b, i, jb);
		judge_dups(b, jb, &prev);
		csr_free(jb->c);
		jb->c = NULL;
		tree_add(tc, &jb->it);
		count(&c, jb->it.verdict);
		if (hooks != NULL && hooks->item != NULL &&
		    (r = hooks->item(hooks->arg, &jb->it)) != 0)
			goto out;
		meter_tick(&m, &c, false);
	}
	meter_tick(&m, &c, true);
	if (counts != NULL)
		*counts = c;
	if (tree != NULL)
		tree_final(tc, tree);
 out:
	free(jb);
	EVP_MD_CTX_free(tc);
	return r;
}

/* ---- signing: a reader thread, the signing loop, a writer thread ---- */

/*
 * Work for the writer thread: check and store HOME/certs/SERIAL.pem
 * (before the journal entry of the certificate is written; the signing
 * loop takes its share before a checkpoint), or write OUT/<CN>.pem =
 * leaf + device CA (after).  A store job borrows the PEM of the write job
 * that follows it.
 */
struct outjob {
	bool	store;
	X509	*cert;			/* store jobs: the certificate to check; owned */
	char	*pem;			/* the certificate's PEM; owned by write jobs */
	size_t	pemlen;
	char	serial[SERIAL_HEX_MAX];
	char	name[BATCH_CN_MAX + 8];
};
static struct outjob end_job;		/* no more */

struct signer {
	struct batch *b;
	int	outfd;
	char	outdir[PATH_MAX];
	char	*capem;			/* the device CA's PEM */
	size_t	capemlen;
	struct queue in;		/* reader -> main: struct job * */
	struct queue out;		/* main -> writer: struct outjob * */
	const char *home;
	const struct profile *prof;
	X509	*issuer;		/* the writer's own copy of the device CA */
	/*
	 * Store jobs of the group being signed, under out.mu: the writer
	 * takes them before write jobs, and the signing loop, rather than
	 * sleep until they are done before a checkpoint, takes the ones
	 * not yet started and does them itself.
	 */
	struct outjob *st[BATCH_GROUP];
	size_t	st_taken, st_n;
	size_t	stored;			/* store jobs done (under out.mu) */
	pthread_cond_t stored_cv;
	/* the writer's, read by main after the join */
	struct media_out *sums;		/* OUT/SHA256SUMS, streamed: the writer's until joined */
	int	werr;
	char	wmsg[1024];
	size_t	reused;			/* outputs already there, identical */
};

static void
reader_run(struct signer *s)
{
	struct job *jb;
	size_t i;

	for (i = 0; i < s->b->n; i++) {
		if ((jb = malloc(sizeof(*jb))) == NULL) {
			/* main sees a NULL job before the end: out of memory */
			queue_put(&s->in, NULL);
			return;
		}
		judge_file(s->b, i, jb);
		if (!queue_put(&s->in, jb)) {
			csr_free(jb->c);
			free(jb);
			return;
		}
	}
}

static void *
reader_main(void *arg)
{
	struct signer *s = arg;

	pthread_setname_np(pthread_self(), "airca-reader");
	reader_run(s);
	queue_eager(&s->in, true);	/* what is queued is all there is */
	return NULL;
}

/* Write one certificate file; an identical file from an earlier run is fine. */
static int
write_cert(struct signer *s, struct outjob *oj)
{
	char *all = NULL, hex[SHA256_HEX_LEN + 1];
	unsigned char *old = NULL;
	size_t len = oj->pemlen, oldlen;
	int r;

	if ((all = malloc(len + s->capemlen)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	memcpy(all, oj->pem, len);
	memcpy(all + len, s->capem, s->capemlen);
	len += s->capemlen;
	r = media_write_at(s->outfd, oj->name, all, len, MEDIA_NOSYNC);
	if (r == AIRCA_ERR_EXISTS) {
		if ((r = media_read_at(s->outfd, oj->name, MEDIA_MAX_CERT, &old,
		    &oldlen)) != 0)
			goto out;
		if (oldlen > oj->pemlen && memcmp(old, all, oj->pemlen) == 0 &&
		    (oldlen != len || memcmp(old, all, len) != 0)) {
			r = airca_errf(AIRCA_ERR_EXISTS, "%s/%s exists with this "
			    "certificate but another chain: the device CA's "
			    "certificate was renewed since (the same key); "
			    "choose another --out for the re-export with the "
			    "renewed chain", s->outdir, oj->name);
			goto out;
		}
		if (oldlen != len || memcmp(old, all, len) != 0) {
			r = airca_errf(AIRCA_ERR_EXISTS, "%s/%s exists and is "
			    "not this certificate: it is not from this batch; "
			    "move it away or choose another --out", s->outdir,
			    oj->name);
			goto out;
		}
		s->reused++;
	} else if (r != 0)
		goto out;
	sha256_hex(all, len, hex);
	if ((r = media_out_write(s->sums, hex, SHA256_HEX_LEN)) != 0 ||
	    (r = media_out_write(s->sums, "  ", 2)) != 0 ||
	    (r = media_out_write(s->sums, oj->name, strlen(oj->name))) != 0 ||
	    (r = media_out_write(s->sums, "\n", 1)) != 0)
		goto out;
 out:
	free(all);
	free(old);
	return r;
}

/* An error of the writer or of a store job, kept for the signing loop (the first one). */
static void
writer_fail(struct signer *s, int r)
{
	pthread_mutex_lock(&s->out.mu);
	if (s->werr == 0) {
		snprintf(s->wmsg, sizeof(s->wmsg), "%s", airca_errmsg());
		__atomic_store_n(&s->werr, r, __ATOMIC_RELEASE);
	}
	pthread_cond_signal(&s->stored_cv);
	pthread_mutex_unlock(&s->out.mu);
}

/*
 * A store job, on the writer or the signing loop (each with its own copy
 * of the issuer): checked and stored before its journal entry is written.
 */
static void
store_one(struct signer *s, struct outjob *sj, X509 *issuer)
{
	int r = 0;

	if (__atomic_load_n(&s->werr, __ATOMIC_ACQUIRE) != 0)
		r = 0;
	else if ((r = issue_check(sj->cert, s->prof, issuer)) != 0)
		airca_errctx(r, "certificate %s", sj->serial);
	else
		r = registry_store_pem(s->home, sj->serial, sj->pem, sj->pemlen,
		    MEDIA_NOSYNC);
	if (r != 0)
		writer_fail(s, r);
	pthread_mutex_lock(&s->out.mu);
	s->stored++;
	pthread_cond_signal(&s->stored_cv);
	pthread_mutex_unlock(&s->out.mu);
	X509_free(sj->cert);
	free(sj);
}

/* The signing loop hands a store job over. */
static void
store_put(struct signer *s, struct outjob *sj)
{
	pthread_mutex_lock(&s->out.mu);
	s->st[s->st_n++] = sj;
	if (s->st_n - s->st_taken >= BATCH_WAKE || s->out.eager)
		pthread_cond_signal(&s->out.nonempty);
	pthread_mutex_unlock(&s->out.mu);
}

/*
 * Before a checkpoint: every store job of the group done, the ones the
 * writer has not started done here.  Then the list is empty again.
 */
static void
store_wait(struct signer *s, X509 *issuer)
{
	struct outjob *sj;

	pthread_mutex_lock(&s->out.mu);
	queue_eager_locked(&s->out, true);
	while (s->stored < s->st_n) {
		if (s->st_taken < s->st_n) {
			sj = s->st[s->st_taken++];
			pthread_mutex_unlock(&s->out.mu);
			store_one(s, sj, issuer);
			pthread_mutex_lock(&s->out.mu);
		} else
			pthread_cond_wait(&s->stored_cv, &s->out.mu);
	}
	s->st_taken = s->st_n = s->stored = 0;
	pthread_mutex_unlock(&s->out.mu);
}

static void *
writer_main(void *arg)
{
	struct signer *s = arg;
	struct outjob *oj, *sj;
	int r;

	pthread_setname_np(pthread_self(), "airca-writer");
	for (;;) {
		sj = oj = NULL;
		pthread_mutex_lock(&s->out.mu);
		while (s->st_taken == s->st_n && !queue_ready_locked(&s->out))
			pthread_cond_wait(&s->out.nonempty, &s->out.mu);
		if (s->st_taken < s->st_n)
			sj = s->st[s->st_taken++];
		else
			oj = queue_pop_locked(&s->out);
		pthread_mutex_unlock(&s->out.mu);
		if (sj != NULL) {
			store_one(s, sj, s->issuer);
			continue;
		}
		if (oj == &end_job)
			break;
		if (__atomic_load_n(&s->werr, __ATOMIC_ACQUIRE) == 0 &&
		    (r = write_cert(s, oj)) != 0)
			writer_fail(s, r);
		free(oj->pem);
		free(oj);
	}
	return NULL;
}

/* summary.json's entry for a certificate. */
static void
summary_cert(struct sbuf *sb, const struct batch_item *it, bool first)
{
	char hex[SHA256_HEX_LEN + 1];

	hex_encode(it->sha256, SHA256_LEN, hex);
	sb_str(sb, first ? "\n    {\"file\": " : ",\n    {\"file\": ");
	sb_json(sb, it->file);
	sb_str(sb, ", \"sha256\": \"");
	sb_str(sb, hex);
	sb_str(sb, "\", \"cn\": ");
	sb_json(sb, it->cn);
	sb_str(sb, ", \"serial\": \"");
	sb_str(sb, it->serial);
	sb_str(sb, "\", \"fingerprint\": \"");
	sb_str(sb, it->fingerprint);
	sb_str(sb, it->verdict == BATCH_SKIP ? "\", \"status\": \"skipped\"}" :
	    "\", \"status\": \"signed\"}");
}

/* Start a report file of OUT, streamed; one left by an earlier run is replaced. */
static int
open_report(struct signer *s, const char *name, int flags,
    struct media_out **op)
{
	struct stat st;

	if (fstatat(s->outfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode))
			return airca_errf(AIRCA_ERR_UNSAFE, "%s/%s exists and is "
			    "not a regular file: move it away", s->outdir, name);
		ca_warn(s->b->ca, "replacing %s/%s from an earlier run of this "
		    "batch", s->outdir, name);
		flags |= MEDIA_REPLACE;
	}
	return media_out_open(s->outfd, name, flags, op);
}

/* Finish a report and list it in SHA256SUMS. */
static int
close_report(struct signer *s, struct media_out **op, const char *name)
{
	unsigned char sha[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	int r;

	r = media_out_commit(*op, sha);
	*op = NULL;
	if (r != 0)
		return r;
	hex_encode(sha, SHA256_LEN, hex);
	if ((r = media_out_write(s->sums, hex, SHA256_HEX_LEN)) != 0 ||
	    (r = media_out_write(s->sums, "  ", 2)) != 0 ||
	    (r = media_out_write(s->sums, name, strlen(name))) != 0)
		return r;
	return media_out_write(s->sums, "\n", 1);
}

static int
sb_flush(struct media_out *o, struct sbuf *sb)
{
	int r;

	if (sb->oom)
		return AIRCA_ERR_NOMEM;
	r = media_out_write(o, sb->p != NULL ? sb->p : "", sb->len);
	sb->len = 0;
	return r;
}

/*
 * Judge a request again under every rule and sign it: with the manifest
 * row its map= rules take values from.  A refusal releases the row.
 */
static int
sign_job(struct batch *b, struct job *jb, EVP_PKEY *key, json_t *extra,
    int fl, X509 **certp)
{
	struct ca_judged *j = NULL;
	struct policy_row row, *rowp = NULL;
	int r;

	if (b->man != NULL && jb->row != NO_ROW) {
		manifest_row(b->man, jb->row, &row);
		rowp = &row;
		if (json_object_set_new(extra, "manifest-line", json_integer(
		    (json_int_t)manifest_line(b->man, jb->row))) != 0)
			return AIRCA_ERR_NOMEM;
	}
	if ((r = ca_judge_csr_row(b->ca, b->prof, jb->c, b->cacert, 0, rowp,
	    NULL, NULL, 0, &j)) == 0)
		r = ca_issue_judged(b->ca, j, key, extra, fl, certp);
	ca_judged_free(j);
	if (r == AIRCA_ERR_POLICY && rowp != NULL &&
	    b->row_user[jb->row] == jb->it.index)
		b->row_user[jb->row] = NO_ROW;
	return r;
}

/* summary.json's manifest part: its hash and the rows no request claimed. */
static int
summary_manifest(struct batch *b, struct sbuf *lb, struct media_out *sum,
    size_t *unusedp)
{
	char hex[SHA256_HEX_LEN + 1], num[32];
	size_t k, n = 0;
	int r;

	*unusedp = 0;
	if (b->man == NULL)
		return 0;
	hex_encode(manifest_sha256(b->man), SHA256_LEN, hex);
	sb_str(lb, "\n  \"profile\": ");
	sb_json(lb, b->prof->name);
	sb_str(lb, ",\n  \"manifest-sha256\": \"");
	sb_str(lb, hex);
	sb_str(lb, "\",\n  \"unused-rows\": [");
	for (k = 0; k < manifest_rows(b->man); k++) {
		if (b->row_user[k] != NO_ROW)
			continue;
		snprintf(num, sizeof(num), "%zu", manifest_line(b->man, k));
		sb_str(lb, n == 0 ? "\n    {\"line\": " : ",\n    {\"line\": ");
		sb_str(lb, num);
		sb_str(lb, ", \"key\": ");
		sb_json(lb, manifest_key(b->man, k));
		sb_str(lb, "}");
		n++;
		if ((n % 256) == 0 && (r = sb_flush(sum, lb)) != 0)
			return r;
	}
	sb_str(lb, n == 0 ? "]," : "\n  ],");
	*unusedp = n;
	return sb_flush(sum, lb);
}

int
batch_sign(struct batch *b, const char *outdir, const char *expect_tree,
    const struct batch_hooks *hooks, struct batch_result *res)
{
	struct ca *ca = b->ca;
	struct signer s;
	char done[64];
	struct batch_counts c;
	struct meter m;
	const struct reg_entry *prev;
	struct job *jb = NULL;
	struct outjob *oj = NULL, *sj = NULL, *pend[BATCH_GROUP];
	struct sbuf lb = { 0 };
	struct media_out *rej = NULL, *sum = NULL;
	unsigned char outsha[SHA256_LEN];
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *tc = NULL;
	X509 *cert = NULL;
	json_t *d = NULL, *extra = NULL;
	pthread_t rt, wt;
	bool reader = false, writer = false, first = true;
	char tree[SHA256_HEX_LEN + 1], hex[SHA256_HEX_LEN + 1];
	char outtree[SHA256_HEX_LEN + 1], line[BATCH_FILE_MAX + BATCH_REASON_MAX + 4];
	unsigned long startseq = 0;
	size_t i, k, npend = 0, ndefer = 0, ndropped = 0, journaled = 0;
	size_t unused = 0;
	int homefd = -1;
	double t0 = mono();
	int r, fl = JOURNAL_NOSYNC | JOURNAL_DEFER;
	struct stat hst, ost;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	s.b = b;
	s.outfd = -1;
	queue_init(&s.in);
	queue_init(&s.out);
	pthread_cond_init(&s.stored_cv, NULL);
	s.home = ca->home;
	s.prof = b->prof;
	c.total = b->n;
	m.hooks = hooks;
	if (ca->j == NULL || ca->tok == NULL) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "batch_sign: the CA is not "
		    "open for writing with the token");
		goto out;
	}
	if ((r = path_join(s.outdir, sizeof(s.outdir), outdir, NULL)) != 0 ||
	    (r = token_signing_key(ca->tok, b->calabel, &key)) != 0)
		goto out;
	/* The input as it is now, judged as the scan would. */
	if (expect_tree != NULL) {
		if ((r = batch_scan(b, NULL, NULL, tree)) != 0)
			goto out;
		if (strcmp(tree, expect_tree) != 0) {
			r = airca_errf(AIRCA_ERR_STATE, "%s changed since it was "
			    "reviewed (tree hash %s, reviewed %s): review it "
			    "again; nothing was signed", b->indir, tree,
			    expect_tree);
			goto out;
		}
	}
	if ((r = media_mkdir(outdir)) != 0)
		goto out;
	if ((s.outfd = media_opendir(outdir)) < 0) {
		r = s.outfd;
		s.outfd = -1;
		goto out;
	}
	/* what a killed batch left in OUT: its temp files (journaled) */
	if ((r = sweep_dir(b->ca, s.outfd, outdir)) != 0)
		goto out;
	if (fstat(s.outfd, &ost) == 0 && fstat(b->dirfd, &hst) == 0 &&
	    ost.st_dev == hst.st_dev && ost.st_ino == hst.st_ino) {
		r = airca_errf(AIRCA_ERR_USAGE, "--out is the input directory: "
		    "write the certificates to another directory");
		goto out;
	}
	if ((r = cert_pem(b->cacert, &s.capem, &s.capemlen)) != 0)
		goto out;
	if ((s.issuer = X509_dup(b->cacert)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/* the reports, streamed to temp files: none appears before the end */
	if ((r = open_report(&s, "rejected.txt", MEDIA_NOSYNC, &rej)) != 0 ||
	    (r = open_report(&s, "summary.json", MEDIA_NOSYNC, &sum)) != 0 ||
	    (r = open_report(&s, "SHA256SUMS", 0, &s.sums)) != 0)
		goto out;
	sb_str(&lb, "{\n  \"ca\": \"");
	sb_str(&lb, b->caserial);
	sb_str(&lb, "\",\n  \"label\": ");
	sb_json(&lb, b->calabel);
	sb_str(&lb, ",\n  \"certificates\": [");
	if ((r = sb_flush(sum, &lb)) != 0)
		goto out;
	if ((tc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(tc, EVP_sha256(), NULL) != 1) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	dupset_clear(&b->cns);
	dupset_clear(&b->keys);
	rows_clear(b);

	/* batch-start, signed at once: a kill from here on leaves a journal that verifies */
	if ((d = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "ca", b->caserial,
	    "label", b->calabel, "in", b->indir, "out", s.outdir, "files",
	    (json_int_t)b->n, "profile", b->prof->name)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (b->man != NULL) {
		/* what the batch was signed against: the manifest's hash */
		hex_encode(manifest_sha256(b->man), SHA256_LEN, hex);
		if (json_object_set_new(d, "manifest-sha256",
		    json_string(hex)) != 0 || json_object_set_new(d,
		    "manifest-rows", json_integer((json_int_t)manifest_rows(
		    b->man))) != 0) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
	}
	if ((r = journal_append(ca->j, "batch-start", d, 0, &startseq)) != 0 ||
	    (r = journal_checkpoint(ca->j, ca->audit_key, ca->audit)) != 0)
		goto out;
	json_decref(d);
	d = NULL;

	if (pthread_create(&rt, NULL, reader_main, &s) != 0) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "cannot start the reader");
		goto out;
	}
	reader = true;
	if (pthread_create(&wt, NULL, writer_main, &s) != 0) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "cannot start the writer");
		goto out;
	}
	writer = true;
	m.start = m.last = mono();
	for (i = 0; i < b->n; i++) {
		if ((jb = queue_get(&s.in)) == NULL) {
			r = airca_errf(AIRCA_ERR_NOMEM, "reading the batch");
			goto out;
		}
		/* before the duplicate check: a request left out claims no CN or key */
		if (jb->it.verdict != BATCH_REJECT && is_left_out(b, i))
			job_reject(jb, "not approved at review: left out by "
			    "the officers; bring it in another batch if it "
			    "should be signed");
		judge_dups(b, jb, &prev);
		if (jb->it.verdict == BATCH_ACCEPT) {
			hex_encode(jb->it.sha256, SHA256_LEN, hex);
			if ((extra = json_pack("{s:s,s:s,s:I}", "input",
			    jb->it.file, "input-sha256", hex, "batch",
			    (json_int_t)startseq)) == NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			r = sign_job(b, jb, key, extra, fl | CA_ISSUE_DEFERRED,
			    &cert);
			json_decref(extra);
			extra = NULL;
			if (r == AIRCA_ERR_POLICY)
				job_reject(jb, "%s", airca_errmsg());
			else if (r != 0)
				goto out;
			else {
				if (policy_dropped(b->prof,
				    X509_REQ_get_subject_name(jb->c->req),
				    line, sizeof(line)) > 0)
					ndropped++;
				cert_serial_hex(cert, jb->it.serial,
				    sizeof(jb->it.serial));
				cert_fingerprint(cert, jb->it.fingerprint);
				ndefer++;
			}
		} else if (jb->it.verdict == BATCH_SKIP) {
			if ((r = registry_cert(ca->home, prev,
			    &cert)) != 0)
				goto out;
			cert_fingerprint(cert, hex);
			if (strcmp(hex, prev->fingerprint) != 0) {
				r = airca_errf(AIRCA_ERR_STATE, "certs/%s.pem is "
				    "not the certificate the registry lists: "
				    "run 'airca registry rebuild'", prev->serial);
				goto out;
			}
		}
		if (jb->it.verdict == BATCH_REJECT) {
			if ((r = ca_reject(ca, jb->it.file, jb->it.have_sha ?
			    jb->it.sha256 : NULL, jb->it.reason, fl)) != 0)
				goto out;
			ndefer++;
			snprintf(line, sizeof(line), "%s: %s\n", jb->it.file,
			    jb->it.reason);
			if ((r = media_out_write(rej, line, strlen(line))) != 0)
				goto out;
		} else {
			summary_cert(&lb, &jb->it, first);
			first = false;
			if ((r = sb_flush(sum, &lb)) != 0)
				goto out;
			if ((oj = calloc(1, sizeof(*oj))) == NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			if ((r = cert_pem(cert, &oj->pem, &oj->pemlen)) != 0)
				goto out;
			snprintf(oj->name, sizeof(oj->name), "%s.pem", jb->it.cn);
			pend[npend++] = oj;
			if (jb->it.verdict == BATCH_ACCEPT) {
				/* HOME/certs/SERIAL.pem, off this thread, before its journal entry */
				if ((sj = calloc(1, sizeof(*sj))) == NULL) {
					r = AIRCA_ERR_NOMEM;
					oj = NULL;
					goto out;
				}
				sj->store = true;
				sj->cert = cert;	/* checked by store_one() */
				cert = NULL;
				sj->pem = oj->pem;
				sj->pemlen = oj->pemlen;
				memcpy(sj->serial, jb->it.serial, sizeof(sj->serial));
				store_put(&s, sj);
				sj = NULL;
			}
			X509_free(cert);
			cert = NULL;
			oj = NULL;
		}
		tree_add(tc, &jb->it);
		count(&c, jb->it.verdict);
		csr_free(jb->c);
		jb->c = NULL;
		if (hooks != NULL && hooks->item != NULL &&
		    (r = hooks->item(hooks->arg, &jb->it)) != 0)
			goto out;
		free(jb);
		jb = NULL;
		/* sign what was journaled, then let its files be written */
		if (ndefer >= BATCH_GROUP || npend == BATCH_GROUP ||
		    i + 1 == b->n) {
			store_wait(&s, b->cacert);
			if (__atomic_load_n(&s.werr, __ATOMIC_ACQUIRE) != 0) {
				r = airca_errf(s.werr, "%s", s.wmsg);
				goto out;
			}
			if ((r = journal_checkpoint_flags(ca->j, ca->audit_key,
			    ca->audit, JOURNAL_NOSYNC)) != 0)
				goto out;
			journaled = c.accepted + c.skipped;
			ndefer = 0;
			for (k = 0; k < npend; k++)
				queue_put(&s.out, pend[k]);	/* the writer never stops early */
			npend = 0;
			queue_eager(&s.out, false);
		}
		if (__atomic_load_n(&s.werr, __ATOMIC_ACQUIRE) != 0) {
			r = airca_errf(s.werr, "%s", s.wmsg);
			goto out;
		}
		meter_tick(&m, &c, false);
	}
	/* the writer finishes, then the reports, one sync, SHA256SUMS, read back */
	queue_eager(&s.out, true);
	queue_put(&s.out, &end_job);
	pthread_join(wt, NULL);
	writer = false;
	pthread_join(rt, NULL);
	reader = false;
	if (s.werr != 0) {
		r = airca_errf(s.werr, "%s", s.wmsg);
		goto out;
	}
	tree_final(tc, tree);
	if (expect_tree != NULL && strcmp(tree, expect_tree) != 0) {
		r = airca_errf(AIRCA_ERR_STATE, "%s changed while it was being "
		    "signed (tree hash %s, reviewed %s): what was signed is "
		    "journaled; review and run again", b->indir, tree,
		    expect_tree);
		goto out;
	}
	{
		char num[320];

		sb_str(&lb, first ? "]," : "\n  ],");
		if ((r = sb_flush(sum, &lb)) != 0 ||
		    (r = summary_manifest(b, &lb, sum, &unused)) != 0)
			goto out;
		snprintf(num, sizeof(num), "\n  \"in-tree-sha256\": \"%s\",\n"
		    "  \"total\": %zu,\n  \"signed\": %zu,\n  \"skipped\": %zu,\n"
		    "  \"rejected\": %zu\n}\n", tree,
		    c.total, c.accepted, c.skipped, c.rejected);
		if ((r = media_out_write(sum, num, strlen(num))) != 0 ||
		    (r = close_report(&s, &rej, "rejected.txt")) != 0 ||
		    (r = close_report(&s, &sum, "summary.json")) != 0)
			goto out;
	}
	/* one sync of the output file system (and of the home's, for certs/) */
	if ((r = media_syncfs(s.outfd)) != 0)
		goto out;
	if ((homefd = media_opendir(ca->home)) < 0) {
		r = homefd;
		homefd = -1;
		goto out;
	}
	if (fstat(s.outfd, &ost) == 0 && fstat(homefd, &hst) == 0 &&
	    hst.st_dev != ost.st_dev && (r = media_syncfs(homefd)) != 0)
		goto out;
	r = media_out_commit(s.sums, outsha);
	s.sums = NULL;
	if (r != 0 || (r = media_check_sums(outdir)) != 0)
		goto out;
	hex_encode(outsha, SHA256_LEN, outtree);
	if ((d = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I}", "batch",
	    (json_int_t)startseq, "in-tree-sha256", tree, "out-tree-sha256",
	    outtree, "total", (json_int_t)c.total, "signed",
	    (json_int_t)c.accepted, "skipped", (json_int_t)c.skipped,
	    "rejected", (json_int_t)c.rejected)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if (b->man != NULL && json_object_set_new(d, "unused-rows",
	    json_integer((json_int_t)unused)) != 0) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = journal_append(ca->j, "batch-end", d, 0, NULL)) != 0 ||
	    (r = journal_checkpoint(ca->j, ca->audit_key, ca->audit)) != 0)
		goto out;
	meter_tick(&m, &c, true);
	if (ndropped > 0)
		ca_warn(ca, "profile %s dropped subject attributes that no rule "
		    "names from %zu request%s (journaled as subject-dropped on "
		    "each certificate; name them in the policy to keep them)",
		    b->prof->name, ndropped, ndropped == 1 ? "" : "s");
	if (res != NULL) {
		res->counts = c;
		res->unused_rows = unused;
		res->manifest = b->man != NULL;
		memcpy(res->in_tree, tree, sizeof(res->in_tree));
		memcpy(res->out_tree, outtree, sizeof(res->out_tree));
		res->seconds = mono() - t0;
	}
	if (c.rejected > 0) {
		batch_counts_done(&c, done, sizeof(done));
		r = airca_errf(AIRCA_ERR_PARTIAL, "%zu of %zu requests "
		    "rejected (see %s/rejected.txt); %s", c.rejected, c.total,
		    s.outdir, done);
	} else
		r = 0;
 out:
	if (reader) {
		queue_stop(&s.in);
		/* drain so the reader can finish its last put */
		pthread_join(rt, NULL);
		while (s.in.n > 0) {
			struct job *x = queue_get(&s.in);

			if (x != NULL)
				csr_free(x->c);
			free(x);
		}
	}
	if (writer) {
		/* let it finish what it has (store jobs borrow pend's PEMs) */
		queue_eager(&s.out, true);
		queue_put(&s.out, &end_job);
		pthread_join(wt, NULL);
	}
	while (s.st_taken < s.st_n) {		/* none: the writer takes them first */
		X509_free(s.st[s.st_taken]->cert);
		free(s.st[s.st_taken++]);
	}
	if (r != 0 && r != AIRCA_ERR_PARTIAL && ca->j != NULL &&
	    journal_discard_deferred(ca->j) > 0) {
		/*
		 * The group in flight may hold certificates that were not
		 * checked or stored: none of it is journaled (as if killed),
		 * and the registry in memory, which has them, is not saved;
		 * the next run catches up from the journal.
		 */
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", airca_errmsg());
		registry_free(ca->reg);
		ca->reg = NULL;
		ca->reg_dirty = false;
		airca_errf(r, "%s", msg);
	}
	if (r == AIRCA_ERR_TOKEN || r == AIRCA_ERR_LOGIN) {
		/* what the officer does next, with the token's own words first */
		char msg[1536];

		snprintf(msg, sizeof(msg), "%s", airca_errmsg());
		airca_errf(r, "%s. The batch stopped with %zu of %zu requests "
		    "signed and journaled: when the token answers again, run "
		    "the same command; it skips what was signed and finishes "
		    "the batch", msg, journaled, c.total);
	}
	for (; npend > 0; npend--) {
		free(pend[npend - 1]->pem);
		free(pend[npend - 1]);
	}
	if (jb != NULL)
		csr_free(jb->c);
	free(jb);
	if (oj != NULL)
		free(oj->pem);
	free(oj);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_MD_CTX_free(tc);
	json_decref(d);
	json_decref(extra);
	media_out_abort(rej);
	media_out_abort(sum);
	media_out_abort(s.sums);
	free(lb.p);
	free(s.capem);
	X509_free(s.issuer);
	if (s.outfd != -1)
		close(s.outfd);
	if (homefd != -1)
		close(homefd);
	queue_destroy(&s.in);
	queue_destroy(&s.out);
	pthread_cond_destroy(&s.stored_cv);
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
