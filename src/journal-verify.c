/* journal-verify.c: checking a journal line by line: structure, sequence, hash chain, signatures, seals. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "journal.h"
#include "policy.h"
#include "util.h"

#define MAX_SIG_B64	1024	/* RSA-4096 is 684 characters */

static const char *const entry_keys[] = {
	"seq", "time", "ceremony", "event", "actor", "data", "prev"
};

/* The last keys of a checkpoint's or seal's data, in this order. */
static const char *const sig_keys[] = {
	"from", "to", "head", "audit-cert", "alg", "sig"
};

/* Format 2: the keys of an audit-pin's data, exactly, in this order. */
static const char *const pin_keys[] = {
	"from", "to", "head", "audit-cert", "audit-spki", "audit-serial",
	"root-cert", "alg", "sig"
};

struct verify {
	struct journal_report *rep;
	EVP_PKEY *pub;			/* the audit key (borrowed from the cert) */
	EVP_PKEY *root_pub;		/* the root's key (borrowed) */
	X509	*audit;			/* borrowed */
	char	root_fp[SHA256_HEX_LEN + 1];
	char	audit_spki[SHA256_HEX_LEN + 1];
	const char *line_bytes;		/* the line being checked, for format 2 signatures */
	size_t	line_len;
	const char *seal;		/* normalised seal hex or NULL */
	unsigned long line;		/* line being checked */
	unsigned long prevseq;		/* seq of the line before */
	char	prevhash[SHA256_HEX_LEN + 1];
	char	hash[SHA256_HEX_LEN + 1];	/* of this line */
};

bool
journal_event_signed(const char *event)
{
	return strcmp(event, "checkpoint") == 0 || strcmp(event, "seal") == 0 ||
	    strcmp(event, "audit-pin") == 0;
}

/* Record the first bad entry and return AIRCA_ERR_VERIFY. */
static int
bad(struct verify *v, unsigned long seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct verify *v, unsigned long seq, const char *fmt, ...)
{
	struct journal_report *rep = v->rep;
	va_list ap;

	rep->bad_seq = seq;
	rep->bad_line = v->line;
	va_start(ap, fmt);
	vsnprintf(rep->what, sizeof(rep->what), fmt, ap);
	va_end(ap);
	if (seq != 0 && v->line != 0)
		return airca_errf(AIRCA_ERR_VERIFY, "seq %lu (line %lu): %s",
		    seq, v->line, rep->what);
	if (v->line != 0)
		return airca_errf(AIRCA_ERR_VERIFY, "line %lu: %s", v->line,
		    rep->what);
	return airca_errf(AIRCA_ERR_VERIFY, "%s", rep->what);
}

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

/* "2026-11-22T07:44:31Z" */
static bool
is_time(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') :
		    s[i] != pat[i])
			return false;
	}
	return s[i] == '\0';
}

static bool
is_event_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return i > 0 && i <= 32;
}

/* Is it printable ASCII?  Returns the 1-based column of the first other byte, 0 if all are. */
static size_t
bad_byte(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return i + 1;
	return 0;
}

/* The seq a line claims, for messages about a line that failed earlier checks. */
static unsigned long
claimed_seq(json_t *e)
{
	json_t *v = json_object_get(e, "seq");

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (unsigned long)json_integer_value(v);
	return 0;
}

/* Line 1: format magic and a version this verifier knows. */
static int
check_open(struct verify *v, json_t *e)
{
	json_t *d = json_object_get(e, "data"), *fmt, *ver;

	fmt = json_object_get(d, "format");
	ver = json_object_get(d, "version");
	if (!json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), JOURNAL_FORMAT) != 0)
		return bad(v, 1, "not an airca journal: line 1 lacks "
		    "data.format \"%s\"", JOURNAL_FORMAT);
	if (!json_is_integer(ver) || json_integer_value(ver) < 1)
		return bad(v, 1, "line 1 lacks a format version");
	if (json_object_size(d) > 0 && json_integer_value(ver) >= 2 &&
	    (strcmp(json_object_iter_key(json_object_iter(d)), "format") != 0 ||
	    strcmp(json_object_iter_key(json_object_iter_next(d,
	    json_object_iter(d))), "version") != 0))
		return bad(v, 1, "line 1's data must start with format, version");
	v->rep->version = (long)json_integer_value(ver);
	if (json_integer_value(ver) > JOURNAL_VERSION)
		return bad(v, 1, "journal format version %lld is newer than "
		    "this airca understands (%d): verify it with a newer airca",
		    (long long)json_integer_value(ver), JOURNAL_VERSION);
	return 0;
}

/* Keys in order, types, printable names; sets *seqp. */
static int
check_shape(struct verify *v, json_t *e, unsigned long *seqp)
{
	void *it;
	json_t *val;
	const char *key, *s;
	size_t i = 0;
	unsigned long seq = claimed_seq(e);

	for (it = json_object_iter(e); it != NULL;
	    it = json_object_iter_next(e, it), i++) {
		key = json_object_iter_key(it);
		if (i >= sizeof(entry_keys) / sizeof(entry_keys[0]))
			return bad(v, seq, "unexpected key \"%.40s\" after "
			    "\"prev\"", key);
		if (strcmp(key, entry_keys[i]) != 0)
			return bad(v, seq, "key \"%.40s\" where \"%s\" was "
			    "expected (keys are seq, time, ceremony, event, "
			    "actor, data, prev in this order)", key,
			    entry_keys[i]);
	}
	if (i != sizeof(entry_keys) / sizeof(entry_keys[0]))
		return bad(v, seq, "key \"%s\" is missing", entry_keys[i]);
	val = json_object_get(e, "seq");
	if (!json_is_integer(val) || json_integer_value(val) < 1)
		return bad(v, seq, "seq is not a positive integer");
	if (!json_is_string(val = json_object_get(e, "time")) ||
	    !is_time(json_string_value(val)))
		return bad(v, seq, "time is not a UTC time "
		    "(YYYY-MM-DDTHH:MM:SSZ)");
	if (!json_is_string(json_object_get(e, "ceremony")) ||
	    !json_is_string(json_object_get(e, "actor")))
		return bad(v, seq, "ceremony and actor must be strings");
	if (!json_is_string(val = json_object_get(e, "event")) ||
	    !is_event_name(json_string_value(val)))
		return bad(v, seq, "event is not a name (1 to 32 of a-z, 0-9, "
		    "'-')");
	if (!json_is_object(json_object_get(e, "data")))
		return bad(v, seq, "data is not an object");
	val = json_object_get(e, "prev");
	if (!json_is_null(val) && (!json_is_string(val) ||
	    !is_hex64(s = json_string_value(val))))
		return bad(v, seq, "prev is neither null nor a SHA-256 in "
		    "lower-case hex");
	*seqp = seq;
	return 0;
}

static int
check_seq(struct verify *v, json_t *e, unsigned long seq)
{
	unsigned long want = v->line;
	json_t *prev = json_object_get(e, "prev");
	int r;

	if (seq == v->prevseq && v->line > 1)
		return bad(v, seq, "seq %lu appears twice (lines %lu and %lu): "
		    "an entry was inserted", seq, v->line - 1, v->line);
	if (seq == want + 1)
		return bad(v, want, "found seq %lu where %lu was expected: "
		    "entry %lu is missing (deleted) or the entries were "
		    "reordered", seq, want, want);
	if (seq > want)
		return bad(v, want, "found seq %lu where %lu was expected: "
		    "entries %lu..%lu are missing (deleted) or the entries "
		    "were reordered", seq, want, want, seq - 1);
	if (seq < want)
		return bad(v, want, "found seq %lu where %lu was expected: an "
		    "entry was inserted or the entries were reordered", seq,
		    want);
	if (v->line == 1) {
		if (!json_is_null(prev))
			return bad(v, seq, "the first entry's prev must be null");
		return 0;
	}
	if (!json_is_string(prev))
		return bad(v, seq, "prev is null: only the first entry has no "
		    "prev (was an entry inserted?)");
	if (strcmp(json_string_value(prev), v->prevhash) != 0) {
		/* the entry before is to blame: name its line */
		v->line--;
		r = bad(v, seq - 1, "entry %lu was changed: its SHA-256 "
		    "%.16s... is not the prev recorded by entry %lu (%.16s...; "
		    "or that prev was changed)", seq - 1, v->prevhash, seq,
		    json_string_value(prev));
		v->line++;
		return r;
	}
	return 0;
}

/* Base64 (with padding) to bytes; returns length or -1. */
static int
b64_decode(const char *s, unsigned char *out, size_t max)
{
	size_t len = strlen(s), pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > MAX_SIG_B64 ||
	    len / 4 * 3 > max)
		return -1;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) < 0)
		return -1;
	return n - (int)pad;
}

/* The fields every signed entry has, checked against the journal so far. */
struct sig_fields {
	unsigned long from, to;
	const char *head, *fp, *alg, *sig;
};

static int
sig_fields(struct verify *v, json_t *d, unsigned long seq, const char *event,
    struct sig_fields *f)
{
	struct journal_report *rep = v->rep;
	json_t *val;
	unsigned long want_from;

	if (!json_is_integer(val = json_object_get(d, "from")) ||
	    json_integer_value(val) < 1)
		return bad(v, seq, "%s from is not a seq", event);
	f->from = (unsigned long)json_integer_value(val);
	if (!json_is_integer(val = json_object_get(d, "to")) ||
	    json_integer_value(val) < 1)
		return bad(v, seq, "%s to is not a seq", event);
	f->to = (unsigned long)json_integer_value(val);
	if (!json_is_string(val = json_object_get(d, "head")) ||
	    !is_hex64(f->head = json_string_value(val)) ||
	    !json_is_string(val = json_object_get(d, "audit-cert")) ||
	    !is_hex64(f->fp = json_string_value(val)))
		return bad(v, seq, "%s head and audit-cert must be SHA-256s "
		    "in lower-case hex", event);
	if (!json_is_string(val = json_object_get(d, "alg")) ||
	    ((f->alg = json_string_value(val)), strcmp(f->alg, "sha256") != 0 &&
	    strcmp(f->alg, "sha384") != 0))
		return bad(v, seq, "%s alg is neither sha256 nor sha384", event);
	if (!json_is_string(val = json_object_get(d, "sig")))
		return bad(v, seq, "%s sig is not a string", event);
	f->sig = json_string_value(val);
	if (f->to != seq - 1)
		return bad(v, seq, "%s covers up to seq %lu, but a signature "
		    "covers the entry just before it (%lu)", event, f->to,
		    seq - 1);
	want_from = rep->last_signed + 1 <= f->to ? rep->last_signed + 1 :
	    f->to;
	if (f->from != want_from)
		return bad(v, seq, "%s claims to cover from seq %lu, but the "
		    "entries since the last signature start at %lu", event,
		    f->from, want_from);
	if (strcmp(f->head, v->prevhash) != 0)
		return bad(v, seq, "%s head is not the SHA-256 of entry %lu",
		    event, f->to);
	return 0;
}

static int
check_signature(struct verify *v, json_t *e, unsigned long seq,
    const char *event)
{
	struct journal_report *rep = v->rep;
	json_t *d = json_object_get(e, "data");
	void *it;
	const char *key, *head, *fp, *alg, *sig;
	size_t nkeys = json_object_size(d), i, skip;
	struct sig_fields f;
	unsigned long to;
	unsigned char sigbin[MAX_SIG_B64];
	char msg[160];
	const EVP_MD *md;
	EVP_MD_CTX *mc = NULL;
	int siglen, mlen, r;

	if (strcmp(event, "audit-pin") == 0)
		return bad(v, seq, "audit-pin in a format 1 journal");
	if (nkeys < 6)
		return bad(v, seq, "%s data lacks from, to, head, audit-cert, "
		    "alg or sig", event);
	skip = nkeys - 6;
	for (i = 0, it = json_object_iter(d); it != NULL;
	    it = json_object_iter_next(d, it), i++) {
		key = json_object_iter_key(it);
		if (i >= skip && strcmp(key, sig_keys[i - skip]) != 0)
			return bad(v, seq, "%s data must end with from, to, "
			    "head, audit-cert, alg, sig in this order", event);
	}
	if ((r = sig_fields(v, d, seq, event, &f)) != 0)
		return r;
	to = f.to;
	head = f.head;
	fp = f.fp;
	alg = f.alg;
	sig = f.sig;
	if (strcmp(fp, rep->audit_fp) != 0)
		return bad(v, seq, "%s was made with another audit certificate "
		    "(SHA-256 %.16s...), not the one given (%.16s...)", event,
		    fp, rep->audit_fp);
	if ((siglen = b64_decode(sig, sigbin, sizeof(sigbin))) <= 0)
		return bad(v, seq, "%s sig is not base64", event);
	if ((mlen = journal_signed_message(to, head, msg, sizeof(msg))) < 0)
		return mlen;
	md = strcmp(alg, "sha384") == 0 ? EVP_sha384() : EVP_sha256();
	if ((mc = EVP_MD_CTX_new()) == NULL)
		return AIRCA_ERR_NOMEM;
	r = EVP_DigestVerifyInit(mc, NULL, md, NULL, v->pub) == 1 &&
	    EVP_DigestVerify(mc, sigbin, (size_t)siglen,
	    (const unsigned char *)msg, (size_t)mlen) == 1;
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	if (!r)
		return bad(v, seq, "%s signature does not verify with the audit "
		    "certificate's key", event);
	rep->last_signed = seq;
	if (strcmp(event, "seal") == 0) {
		rep->seals++;
		if (v->seal != NULL && strcmp(v->seal, v->hash) == 0)
			rep->seal_seq = seq;
	} else
		rep->checkpoints++;
	return 0;
}

/* The keys of d, exactly keys[0..n) in this order? */
static bool
keys_exactly(json_t *d, const char *const *keys, size_t n)
{
	void *it;
	size_t i = 0;

	for (it = json_object_iter(d); it != NULL;
	    it = json_object_iter_next(d, it), i++)
		if (i >= n || strcmp(json_object_iter_key(it), keys[i]) != 0)
			return false;
	return i == n;
}

static int
verify_sig(EVP_PKEY *pub, const char *alg, const unsigned char *sig,
    size_t siglen, const char *msg, size_t mlen)
{
	const EVP_MD *md = strcmp(alg, "sha384") == 0 ? EVP_sha384() :
	    EVP_sha256();
	EVP_MD_CTX *mc;
	int ok;

	if ((mc = EVP_MD_CTX_new()) == NULL)
		return AIRCA_ERR_NOMEM;
	ok = EVP_DigestVerifyInit(mc, NULL, md, NULL, pub) == 1 &&
	    EVP_DigestVerify(mc, sig, siglen, (const unsigned char *)msg,
	    mlen) == 1;
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	return ok ? 1 : 0;
}

/* Does cert carry id-kp-documentSigning (the audit profile's purpose)? */
static bool
has_docsign(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku;
	char oid[80];
	bool found = false;
	int k;

	if ((eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL)) ==
	    NULL)
		return false;
	for (k = 0; k < sk_ASN1_OBJECT_num(eku); k++)
		if (OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, k),
		    1) > 0 && strcmp(oid, EKU_DOCSIGN_OID) == 0)
			found = true;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/*
 * Format 2: checkpoints, seals and audit pins.  The signature covers the
 * whole line with "sig":"" (journal_sig_message); checkpoint and seal
 * signatures count only with the audit certificate pinned by the root,
 * pins only with the root's key.
 */
static int
check_signature_v2(struct verify *v, json_t *e, unsigned long seq,
    const char *event)
{
	struct journal_report *rep = v->rep;
	json_t *d = json_object_get(e, "data"), *val;
	const char *fp, *alg, *sig, *s;
	bool pin = strcmp(event, "audit-pin") == 0;
	size_t nkeys = json_object_size(d), i, skip, mlen, sigoff, sl;
	struct sig_fields f;
	unsigned char sigbin[MAX_SIG_B64];
	char *msg = NULL;
	void *it;
	int siglen, r;

	if (pin) {
		if (!keys_exactly(d, pin_keys, sizeof(pin_keys) /
		    sizeof(pin_keys[0])))
			return bad(v, seq, "audit-pin data must be exactly from, "
			    "to, head, audit-cert, audit-spki, audit-serial, "
			    "root-cert, alg, sig in this order");
	} else if (strcmp(event, "checkpoint") == 0) {
		if (!keys_exactly(d, sig_keys, 6))
			return bad(v, seq, "checkpoint data must be exactly "
			    "from, to, head, audit-cert, alg, sig in this order");
	} else {
		if (nkeys < 6)
			return bad(v, seq, "%s data lacks from, to, head, "
			    "audit-cert, alg or sig", event);
		skip = nkeys - 6;
		for (i = 0, it = json_object_iter(d); it != NULL;
		    it = json_object_iter_next(d, it), i++)
			if (i >= skip && strcmp(json_object_iter_key(it),
			    sig_keys[i - skip]) != 0)
				return bad(v, seq, "%s data must end with from, "
				    "to, head, audit-cert, alg, sig in this "
				    "order", event);
	}
	if ((r = sig_fields(v, d, seq, event, &f)) != 0)
		return r;
	fp = f.fp;
	alg = f.alg;
	sig = f.sig;
	if (pin) {
		if (!json_is_string(val = json_object_get(d, "root-cert")) ||
		    strcmp(json_string_value(val), v->root_fp) != 0)
			return bad(v, seq, "audit-pin names another root "
			    "certificate than the one given (SHA-256 %.16s...)",
			    v->root_fp);
		if (strcmp(fp, rep->audit_fp) != 0)
			return bad(v, seq, "the root pinned audit certificate "
			    "SHA-256 %.16s..., not the one given (%.16s...): "
			    "the audit certificate was substituted, or give "
			    "the one pinned", fp, rep->audit_fp);
		if (!json_is_string(val = json_object_get(d, "audit-spki")) ||
		    strcmp(json_string_value(val), v->audit_spki) != 0 ||
		    !json_is_string(val = json_object_get(d, "audit-serial")) ||
		    (s = json_string_value(val))[0] == '\0')
			return bad(v, seq, "audit-pin: audit-spki is not the "
			    "SHA-256 of the audit certificate's key, or "
			    "audit-serial is missing");
		if (!has_docsign(v->audit))
			return bad(v, seq, "the pinned audit certificate lacks "
			    "the documentSigning purpose (%s) that only the "
			    "audit profile carries", EKU_DOCSIGN_OID);
	} else {
		if (rep->pinned_seq == 0)
			return bad(v, seq, "%s before any audit-pin: a format 2 "
			    "journal trusts only the audit certificate that the "
			    "root pinned", event);
		if (strcmp(fp, rep->audit_fp) != 0)
			return bad(v, seq, "%s was made with another audit "
			    "certificate (SHA-256 %.16s...), not the one pinned "
			    "at seq %lu (%.16s...)", event, fp, rep->pinned_seq,
			    rep->audit_fp);
	}
	if ((siglen = b64_decode(sig, sigbin, sizeof(sigbin))) <= 0)
		return bad(v, seq, "%s sig is not base64", event);
	if ((r = journal_sig_message(v->line_bytes, v->line_len, &msg, &mlen,
	    &sigoff, &sl)) != 0) {
		airca_errclear();
		return bad(v, seq, "%s: the line must hold exactly one \"sig\" "
		    "key", event);
	}
	r = verify_sig(pin ? v->root_pub : v->pub, alg, sigbin,
	    (size_t)siglen, msg, mlen);
	free(msg);
	if (r < 0)
		return r;
	if (r == 0)
		return bad(v, seq, "%s signature does not verify with the %s "
		    "key", event, pin ? "root certificate's" :
		    "pinned audit certificate's");
	rep->last_signed = seq;
	if (pin)
		rep->pinned_seq = seq;
	else if (strcmp(event, "seal") == 0) {
		rep->seals++;
		if (v->seal != NULL && strcmp(v->seal, v->hash) == 0)
			rep->seal_seq = seq;
	} else
		rep->checkpoints++;
	return 0;
}

/* Format 2 lines are canonical: exactly what the writer makes of their JSON. */
static int
check_canonical(struct verify *v, json_t *e, const char *line, size_t len)
{
	char *again;
	bool same;

	if ((again = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII)) == NULL)
		return AIRCA_ERR_NOMEM;
	same = strlen(again) == len && memcmp(again, line, len) == 0;
	free(again);
	if (!same)
		return bad(v, claimed_seq(e), "the line is not in canonical form "
		    "(compact JSON, keys in order, as airca writes it): it was "
		    "rewritten by something else");
	return 0;
}

static int
check_line(struct verify *v, const char *line, size_t len, json_t **ep,
    unsigned long *seqp)
{
	json_t *e = NULL;
	json_error_t jerr;
	unsigned long seq = 0;
	const char *event;
	size_t col;
	int r;

	if ((col = bad_byte(line, len)) != 0) {
		r = bad(v, v->line, "byte %zu is not printable ASCII (0x%02x): "
		    "the journal is ASCII only", col,
		    (unsigned char)line[col - 1]);
		goto out;
	}
	if ((e = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(e)) {
		r = bad(v, v->line, "not a JSON object: %s (column %d)",
		    e == NULL ? jerr.text : "another JSON value",
		    e == NULL ? jerr.column : 1);
		goto out;
	}
	if (v->line == 1 && (r = check_open(v, e)) != 0)
		goto out;
	if ((r = check_shape(v, e, &seq)) != 0 ||
	    (r = check_seq(v, e, seq)) != 0)
		goto out;
	event = json_string_value(json_object_get(e, "event"));
	if ((v->line == 1) != (strcmp(event, "journal-open") == 0)) {
		r = bad(v, seq, v->line == 1 ? "the first entry must be "
		    "\"journal-open\"" : "\"journal-open\" after the first "
		    "entry: the journal was spliced");
		goto out;
	}
	if (v->rep->version >= 2 && (r = check_canonical(v, e, line, len)) != 0)
		goto out;
	if (v->rep->version >= 2 && journal_event_signed(event)) {
		v->line_bytes = line;
		v->line_len = len;
		if ((r = check_signature_v2(v, e, seq, event)) != 0)
			goto out;
	} else if (journal_event_signed(event) &&
	    (r = check_signature(v, e, seq, event)) != 0)
		goto out;
	*ep = e;
	e = NULL;
	*seqp = seq;
	r = 0;
 out:
	json_decref(e);
	return r;
}

/* The audit certificate must chain to the root; fingerprint it. */
static int
check_audit_cert(struct verify *v, X509 *root, X509 *audit)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *xs = NULL;
	unsigned char md[SHA256_LEN], md2[SHA256_LEN], *der = NULL;
	unsigned int mdlen = sizeof(md);
	int derlen, r = AIRCA_ERR_NOMEM;

	if (X509_digest(audit, EVP_sha256(), md, &mdlen) != 1)
		goto out;
	hex_encode(md, sizeof(md), v->rep->audit_fp);
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, root) != 1 ||
	    (xs = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(xs, store, audit, NULL) != 1)
		goto out;
	X509_STORE_CTX_set_flags(xs, X509_V_FLAG_NO_CHECK_TIME |
	    X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(xs) != 1) {
		r = bad(v, 0, "the audit certificate does not chain to the "
		    "root: %s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(xs)));
		goto out;
	}
	if ((v->pub = X509_get0_pubkey(audit)) == NULL ||
	    (v->root_pub = X509_get0_pubkey(root)) == NULL) {
		r = bad(v, 0, "the audit or root certificate has no usable "
		    "public key");
		goto out;
	}
	mdlen = sizeof(md);
	if (X509_digest(root, EVP_sha256(), md, &mdlen) != 1 ||
	    (derlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(audit), &der)) <= 0) {
		r = AIRCA_ERR_CRYPTO;
		goto out;
	}
	sha256(der, (size_t)derlen, md2);
	hex_encode(md, sizeof(md), v->root_fp);
	hex_encode(md2, sizeof(md2), v->audit_spki);
	v->audit = audit;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_STORE_CTX_free(xs);
	X509_STORE_free(store);
	return r;
}

/* "A1B2 c3d4 ..." to lower-case hex without spaces. */
static int
seal_normalise(struct verify *v, const char *in, char out[SHA256_HEX_LEN + 1])
{
	size_t o = 0;

	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == ':' || *in == '-')
			continue;
		if (o == SHA256_HEX_LEN)
			return bad(v, 0, "--seal: more than 64 hex digits");
		if (*in >= 'A' && *in <= 'F')
			out[o++] = (char)(*in - 'A' + 'a');
		else if ((*in >= '0' && *in <= '9') || (*in >= 'a' && *in <= 'f'))
			out[o++] = *in;
		else
			return airca_errf(AIRCA_ERR_USAGE, "--seal: '%c' is not "
			    "a hex digit", *in);
	}
	out[o] = '\0';
	if (o != SHA256_HEX_LEN)
		return airca_errf(AIRCA_ERR_USAGE, "--seal: %zu hex digits, a "
		    "seal hash has 64", o);
	return 0;
}

int
journal_verify_fd(int fd, const char *name, X509 *root, X509 *audit,
    const char *seal_hex, journal_entry_fn fn, void *arg,
    struct journal_report *rep)
{
	struct verify v;
	struct journal_reader *rd = NULL;
	char sealbuf[SHA256_HEX_LEN + 1], *line;
	size_t len;
	bool complete;
	json_t *e = NULL;
	unsigned long seq = 0, unsigned_n;
	int r, got;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	v.rep = rep;
	if (seal_hex != NULL) {
		if ((r = seal_normalise(&v, seal_hex, sealbuf)) != 0)
			goto out;
		v.seal = sealbuf;
	}
	if ((r = check_audit_cert(&v, root, audit)) != 0 ||
	    (r = journal_reader_fd(fd, name, &rd)) != 0)
		goto out;
	while ((got = journal_reader_next(rd, &line, &len, &complete)) == 1) {
		v.line = journal_reader_lineno(rd);
		if (!complete) {
			r = bad(&v, v.line, "the last line is incomplete (%zu "
			    "bytes without a newline: an append was "
			    "interrupted); 'airca journal repair' removes it, "
			    "journaling what it removed", len);
			goto out;
		}
		sha256_hex(line, len, v.hash);
		if ((r = check_line(&v, line, len, &e, &seq)) != 0)
			goto out;
		if (fn != NULL && (r = fn(arg, seq, json_string_value(
		    json_object_get(e, "event")), e)) != 0)
			goto out;
		json_decref(e);
		e = NULL;
		v.prevseq = seq;
		memcpy(v.prevhash, v.hash, sizeof(v.prevhash));
		rep->entries++;
		if (v.seal != NULL && rep->seal_seq != seq &&
		    strcmp(v.seal, v.hash) == 0) {
			r = bad(&v, seq, "the --seal hash is this entry's, which "
			    "is not a seal");
			goto out;
		}
	}
	if ((r = got) != 0) {
		rep->bad_line = journal_reader_lineno(rd) + 1;
		snprintf(rep->what, sizeof(rep->what), "%s", airca_errmsg());
		goto out;
	}
	v.line = 0;
	if (rep->entries == 0) {
		r = bad(&v, 0, "%s is empty", name);
		goto out;
	}
	memcpy(rep->head, v.prevhash, sizeof(rep->head));
	unsigned_n = v.prevseq - rep->last_signed;
	if (unsigned_n > 0) {
		v.line = rep->last_signed + 1;
		rep->unsigned_tail = unsigned_n;
		r = bad(&v, rep->last_signed + 1, "%lu entr%s after the last "
		    "signature at seq %lu %s unsigned", unsigned_n,
		    unsigned_n > 1 ? "ies" : "y", rep->last_signed,
		    unsigned_n > 1 ? "are" : "is");
		goto out;
	}
	if (v.seal != NULL && rep->seal_seq == 0) {
		r = bad(&v, 0, "seal not found: the journal was truncated or is "
		    "not the one sealed (no seal line has SHA-256 %s)", v.seal);
		goto out;
	}
	r = 0;
 out:
	json_decref(e);
	journal_reader_close(rd);
	return r;
}

int
journal_verify(const char *path, X509 *root, X509 *audit,
    const char *seal_hex, struct journal_report *rep)
{
	struct stat st;
	int fd, r;

	memset(rep, 0, sizeof(*rep));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return airca_errf(AIRCA_ERR_NOTFOUND, "%s: no such "
			    "journal", path);
		return airca_errf(AIRCA_ERR_IO, "%s: %s", path,
		    errno == ELOOP ? "a symbolic link (refused)" :
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s: not a regular file", path);
	else
		r = journal_verify_fd(fd, path, root, audit, seal_hex, NULL,
		    NULL, rep);
	close(fd);
	return r;
}

int
journal_load_cert(const char *path, X509 **certp)
{
	enum { MAX_PEM = 64 * 1024 };
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	BIO *bio = NULL;
	X509 *x = NULL;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return airca_errf(errno == ENOENT ? AIRCA_ERR_NOTFOUND :
		    AIRCA_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_PEM) {
		r = airca_errf(AIRCA_ERR_UNSAFE, "%s: not a regular file of at "
		    "most %d bytes", path, MAX_PEM);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)got)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		r = airca_errssl(AIRCA_ERR_INPUT, "%s: not a PEM certificate",
		    path);
		goto out;
	}
	*certp = x;
	x = NULL;
	r = 0;
 out:
	X509_free(x);
	BIO_free(bio);
	free(buf);
	close(fd);
	return r;
}
