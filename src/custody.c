/* custody.c: the key policy, the custody key's K-of-N shares (libgfshare) and their typed text, locked memory, custody state from the journal. */
#include <sys/mman.h>

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libgfshare.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "custody.h"
#include "error.h"
#include "media.h"
#include "prompt.h"
#include "qr.h"

#define SHARE_VERSION	1
#define LINE_BYTES	(CUSTODY_SHARE_LEN / CUSTODY_LINES)	/* 10 */
#define LINE_CHARS	16					/* base32 of 10 bytes */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
custody_policy_parse(const char *s, struct custody_policy *p)
{
	unsigned k, n;
	int end = 0;

	memset(p, 0, sizeof(*p));
	if (strcmp(s, "none") == 0)
		return 0;
	if (sscanf(s, "%u-of-%u%n", &k, &n, &end) != 2 ||
	    (size_t)end != strlen(s) || !isdigit((unsigned char)s[0]))
		return airca_errf(AIRCA_ERR_USAGE, "--backup '%.32s': say "
		    "'none' or K-of-N, e.g. 2-of-3", s);
	if (k < 2 || k > n || n > CUSTODY_MAX)
		return airca_errf(AIRCA_ERR_USAGE, "--backup %u-of-%u: K-of-N "
		    "needs 2 <= K <= N <= %d (with K = 1 any one custodian "
		    "could restore the keys alone)", k, n, CUSTODY_MAX);
	p->k = k;
	p->n = n;
	return 0;
}

void
custody_policy_name(const struct custody_policy *p, char *buf, size_t size)
{
	if (p->k == 0)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "%u-of-%u", p->k, p->n);
}

void *
secret_alloc(size_t len)
{
	void *p;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), sz = (len + pg - 1) / pg * pg;

	if ((p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		airca_errf(AIRCA_ERR_NOMEM, "cannot map memory for a secret");
		return NULL;
	}
	if (mlock(p, sz) != 0) {
		munmap(p, sz);
		airca_errf(AIRCA_ERR_NOMEM, "cannot lock memory for a secret "
		    "(mlock): raise the memlock limit (ulimit -l); airca "
		    "never holds the custody key in memory that may be "
		    "swapped out");
		return NULL;
	}
	madvise(p, sz, MADV_DONTDUMP);
	return p;
}

void
secret_free(void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), sz = (len + pg - 1) / pg * pg;

	if (p == NULL)
		return;
	explicit_bzero(p, sz);
	munlock(p, sz);
	munmap(p, sz);
}

unsigned
custody_share_x(const struct custody_share *s)
{
	return s->b[3];
}

unsigned
custody_share_k(const struct custody_share *s)
{
	return s->b[1];
}

unsigned
custody_share_n(const struct custody_share *s)
{
	return s->b[2];
}

void
custody_share_set(const struct custody_share *s, char hex[9])
{
	hex_encode(s->b + 4, CUSTODY_SET_ID_LEN, hex);
}

/*
 * libgfshare asks this for the polynomial's coefficients (and for bytes to
 * scribble over its context when it is freed).  The host's RNG, with the
 * token's bytes mixed in while a split is under way.
 */
static const unsigned char *fill_from;
static size_t fill_left;
static bool fill_failed;

static void
custody_fill_rand(unsigned char *buf, unsigned int len)
{
	unsigned int i;

	/* no host randomness: the split is refused (fill_failed), never weak */
	if (RAND_priv_bytes(buf, (int)len) != 1) {
		fill_failed = true;
		memset(buf, 0, len);
	}
	for (i = 0; i < len && fill_left > 0; i++, fill_left--)
		buf[i] ^= *fill_from++;
}

int
custody_split(const unsigned char *key, unsigned k, unsigned n,
    const unsigned char set_id[CUSTODY_SET_ID_LEN], const unsigned char *rnd,
    struct custody_share *shares)
{
	gfshare_ctx *g = NULL;
	unsigned char xs[CUSTODY_MAX], *secret = NULL;
	unsigned i;
	int r = AIRCA_ERR_INTERNAL;

	if (k < 2 || k > n || n > CUSTODY_MAX)
		return airca_errf(AIRCA_ERR_INTERNAL, "split %u of %u", k, n);
	if ((secret = secret_alloc(CUSTODY_KEY_LEN)) == NULL)
		return AIRCA_ERR_NOMEM;
	memcpy(secret, key, CUSTODY_KEY_LEN);
	for (i = 0; i < n; i++)
		xs[i] = (unsigned char)(i + 1);
	gfshare_fill_rand = custody_fill_rand;
	fill_from = rnd;
	fill_left = (size_t)(k - 1) * CUSTODY_KEY_LEN;
	fill_failed = false;
	if ((g = gfshare_ctx_init_enc(xs, n, (unsigned char)k,
	    CUSTODY_KEY_LEN)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "libgfshare cannot split");
		goto out;
	}
	gfshare_ctx_enc_setsecret(g, secret);
	if (fill_failed) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the host RNG failed while "
		    "splitting the custody key");
		goto out;
	}
	if (fill_left != 0) {
		r = airca_errf(AIRCA_ERR_INTERNAL, "libgfshare took fewer "
		    "random bytes than the polynomial needs");
		goto out;
	}
	for (i = 0; i < n; i++) {
		shares[i].b[0] = SHARE_VERSION;
		shares[i].b[1] = (unsigned char)k;
		shares[i].b[2] = (unsigned char)n;
		shares[i].b[3] = xs[i];
		memcpy(shares[i].b + 4, set_id, CUSTODY_SET_ID_LEN);
		gfshare_ctx_enc_getshare(g, (unsigned char)i, shares[i].b + 8);
	}
	r = 0;
 out:
	fill_from = NULL;
	fill_left = 0;
	if (g != NULL)
		gfshare_ctx_free(g);
	secret_free(secret, CUSTODY_KEY_LEN);
	return r;
}

int
custody_combine(const struct custody_share *shares, size_t count,
    unsigned char *key)
{
	gfshare_ctx *g = NULL;
	unsigned char xs[CUSTODY_MAX], *buf = NULL;
	char set0[9], set[9];
	size_t i, j;
	unsigned k;
	int r = AIRCA_ERR_INTERNAL;

	if (count == 0)
		return airca_errf(AIRCA_ERR_INPUT, "no shares");
	k = custody_share_k(&shares[0]);
	custody_share_set(&shares[0], set0);
	if (count < k)
		return airca_errf(AIRCA_ERR_INPUT, "%zu share%s of the %u the "
		    "custody key needs: bring %zu more custodian%s", count,
		    count == 1 ? "" : "s", k, k - count, k - count == 1 ? "" :
		    "s");
	if (count > CUSTODY_MAX)
		return airca_errf(AIRCA_ERR_INPUT, "%zu shares: at most %d",
		    count, CUSTODY_MAX);
	for (i = 0; i < count; i++) {
		custody_share_set(&shares[i], set);
		if (shares[i].b[0] != SHARE_VERSION ||
		    custody_share_k(&shares[i]) != k ||
		    strcmp(set, set0) != 0)
			return airca_errf(AIRCA_ERR_INPUT, "share %zu is of "
			    "another custody set (set %s, not %s)", i + 1, set,
			    set0);
		xs[i] = (unsigned char)custody_share_x(&shares[i]);
		for (j = 0; j < i; j++)
			if (xs[j] == xs[i])
				return airca_errf(AIRCA_ERR_INPUT, "share %u was "
				    "given twice: each custodian's share "
				    "counts once", xs[i]);
	}
	if ((buf = secret_alloc(CUSTODY_KEY_LEN)) == NULL)
		return AIRCA_ERR_NOMEM;
	gfshare_fill_rand = custody_fill_rand;
	if ((g = gfshare_ctx_init_dec(xs, (unsigned)count, CUSTODY_KEY_LEN)) ==
	    NULL) {
		r = airca_errf(AIRCA_ERR_NOMEM, "libgfshare cannot combine");
		goto out;
	}
	for (i = 0; i < count; i++) {
		memcpy(buf, shares[i].b + 8, CUSTODY_KEY_LEN);
		gfshare_ctx_dec_giveshare(g, (unsigned char)i, buf);
	}
	gfshare_ctx_dec_extract(g, key);
	r = 0;
 out:
	if (g != NULL)
		gfshare_ctx_free(g);
	secret_free(buf, CUSTODY_KEY_LEN);
	return r;
}

void
custody_share_sha256(const struct custody_share *s,
    char hex[SHA256_HEX_LEN + 1])
{
	sha256_hex(s->b, sizeof(s->b), hex);
}

void
custody_key_check(const unsigned char *key, char hex[SHA256_HEX_LEN + 1])
{
	static const char tag[] = "airca custody key check v1";
	unsigned char buf[sizeof(tag) - 1 + CUSTODY_KEY_LEN];

	memcpy(buf, tag, sizeof(tag) - 1);
	memcpy(buf + sizeof(tag) - 1, key, CUSTODY_KEY_LEN);
	sha256_hex(buf, sizeof(buf), hex);
	explicit_bzero(buf, sizeof(buf));
}

/* The 10-bit checksum of line lineno holding bytes b, as 2 base32 characters. */
static void
line_sum(unsigned lineno, const unsigned char *b, char out[2])
{
	unsigned char in[1 + 16 + LINE_BYTES], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	unsigned v;

	in[0] = (unsigned char)lineno;
	memcpy(in + 1, "airca-share-line", 16);
	memcpy(in + 17, b, LINE_BYTES);
	EVP_Digest(in, sizeof(in), md, &mdlen, EVP_sha256(), NULL);
	v = ((unsigned)md[0] << 2) | (md[1] >> 6);
	out[0] = b32[(v >> 5) & 31];
	out[1] = b32[v & 31];
	explicit_bzero(in, sizeof(in));
	explicit_bzero(md, sizeof(md));
}

/* 10 bytes as 16 base32 characters. */
static void
b32_line(const unsigned char *b, char out[LINE_CHARS])
{
	unsigned i, acc = 0, bits = 0, o = 0;

	for (i = 0; i < LINE_BYTES; i++) {
		acc = (acc << 8) | b[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= (1u << bits) - 1;
	}
	acc = 0;
}

/* The header names what the share rebuilds: the custody key or the user PIN. */
static int
share_text(const struct custody_share *s, bool pin, const char *custodian,
    char *buf, size_t size)
{
	char c[LINE_CHARS], sum[2], set[9];
	size_t o;
	unsigned l;
	int n;

	custody_share_set(s, set);
	n = snprintf(buf, size, "airca %s share %u of %u (any %u rebuild "
	    "the %s), set %s, %s %s\n", pin ? "PIN" : "custody",
	    custody_share_x(s), custody_share_n(s), custody_share_k(s),
	    pin ? "user PIN" : "key", set, pin ? "holder" : "custodian",
	    custodian);
	if (n < 0 || (size_t)n >= size)
		return airca_errf(AIRCA_ERR_INTERNAL, "share text too long");
	o = (size_t)n;
	for (l = 0; l < CUSTODY_LINES; l++) {
		b32_line(s->b + l * LINE_BYTES, c);
		line_sum(l + 1, s->b + l * LINE_BYTES, sum);
		n = snprintf(buf + o, size - o, "%u: %.4s %.4s %.4s %.4s  "
		    "%.2s\n", l + 1, c, c + 4, c + 8, c + 12, sum);
		if (n < 0 || (size_t)n >= size - o)
			return airca_errf(AIRCA_ERR_INTERNAL, "share text too "
			    "long");
		o += (size_t)n;
	}
	explicit_bzero(c, sizeof(c));
	return 0;
}

int
custody_share_text(const struct custody_share *s, const char *custodian,
    char *buf, size_t size)
{
	return share_text(s, false, custodian, buf, size);
}

int
custody_pin_share_text(const struct custody_share *s, const char *holder,
    char *buf, size_t size)
{
	return share_text(s, true, holder, buf, size);
}

static int
b32_val(int ch)
{
	const char *p;

	ch = toupper(ch);
	if (ch == '0')
		ch = 'O';
	else if (ch == '1')
		ch = 'I';
	else if (ch == '8')
		ch = 'B';
	if (ch == '\0' || (p = strchr(b32, ch)) == NULL)
		return -1;
	return (int)(p - b32);
}

int
custody_line_parse(const char *line, unsigned lineno, unsigned char out[10])
{
	char ch[LINE_CHARS + 2], sum[2];
	const char *p = line;
	unsigned n = 0, i, acc = 0, bits = 0, o = 0;
	int v;

	/* "3:" first is the line's number, which must be this one */
	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)p[0]) && p[1] == ':') {
		if ((unsigned)(p[0] - '0') != lineno)
			return airca_errf(AIRCA_ERR_INPUT, "line %u: this is "
			    "line %c of the share; type line %u", lineno, p[0],
			    lineno);
		p += 2;
	}
	for (; *p != '\0' && *p != '\n' && *p != '\r'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '-')
			continue;
		if (n == sizeof(ch))
			return airca_errf(AIRCA_ERR_INPUT, "line %u: too many "
			    "characters (16 of the share, then 2 of the "
			    "checksum)", lineno);
		if (b32_val((unsigned char)*p) < 0)
			return airca_errf(AIRCA_ERR_INPUT, "line %u: '%c' is not "
			    "a share character (A-Z, 2-7)", lineno,
			    isprint((unsigned char)*p) ? *p : '?');
		ch[n++] = *p;
	}
	if (n != sizeof(ch))
		return airca_errf(AIRCA_ERR_INPUT, "line %u: %u characters; a "
		    "share line has 16, then 2 of the checksum", lineno, n);
	for (i = 0; i < LINE_CHARS; i++) {
		v = b32_val((unsigned char)ch[i]);
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			out[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
			acc &= (1u << bits) - 1;
		}
	}
	line_sum(lineno, out, sum);
	v = toupper((unsigned char)ch[LINE_CHARS]) == sum[0] &&
	    toupper((unsigned char)ch[LINE_CHARS + 1]) == sum[1];
	/* 0/1/8 typed for O/I/B in the checksum too */
	if (!v && b32_val((unsigned char)ch[LINE_CHARS]) ==
	    b32_val(sum[0]) && b32_val((unsigned char)ch[LINE_CHARS + 1]) ==
	    b32_val(sum[1]))
		v = 1;
	explicit_bzero(ch, sizeof(ch));
	if (!v) {
		explicit_bzero(out, LINE_BYTES);
		return airca_errf(AIRCA_ERR_INPUT, "line %u: the checksum does "
		    "not match: a typing error in this line; type it again",
		    lineno);
	}
	return 0;
}

int
custody_share_parse(const char *text, size_t len, const char *what,
    struct custody_share *s)
{
	char line[128];
	const char *p = text, *end = text + len, *nl;
	unsigned got = 0;
	size_t l;
	int r = 0;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		l = (size_t)(nl - p);
		if (l >= sizeof(line)) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: a line is too long "
			    "for a custody share", what);
			goto out;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p = nl < end ? nl + 1 : end;
		if (strspn(line, " \t\r") == l || line[0] == '#' ||
		    strncmp(line, "airca custody share", 19) == 0 ||
		    strncmp(line, "airca PIN share", 15) == 0)
			continue;
		if (got == CUSTODY_LINES) {
			r = airca_errf(AIRCA_ERR_INPUT, "%s: more than %d share "
			    "lines", what, CUSTODY_LINES);
			goto out;
		}
		if ((r = custody_line_parse(line, got + 1, s->b + got *
		    LINE_BYTES)) != 0) {
			r = airca_errctx(r, "%s", what);
			goto out;
		}
		got++;
	}
	if (got != CUSTODY_LINES) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: %u share lines, not %d",
		    what, got, CUSTODY_LINES);
		goto out;
	}
	if (s->b[0] != SHARE_VERSION || custody_share_x(s) == 0 ||
	    custody_share_x(s) > custody_share_n(s) ||
	    custody_share_k(s) < 2 || custody_share_k(s) > custody_share_n(s)) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: not an airca custody share "
		    "(version %u, share %u of %u, k %u)", what, s->b[0],
		    custody_share_x(s), custody_share_n(s), custody_share_k(s));
		goto out;
	}
 out:
	explicit_bzero(line, sizeof(line));
	if (r != 0)
		explicit_bzero(s, sizeof(*s));
	return r;
}

bool
custody_event(const char *event)
{
	return strcmp(event, "journal-open") == 0 ||
	    strcmp(event, "custody-created") == 0 ||
	    strcmp(event, "backup-written") == 0 ||
	    strcmp(event, "custody-restored") == 0 ||
	    strcmp(event, "pin-quorum-created") == 0;
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
apply_created(struct custody_state *cs, json_t *data)
{
	json_t *hs = json_object_get(data, "custodians"), *h;
	const char *s, *name, *sha;
	size_t i;

	if (cs->pol.k == 0 || cs->created)
		return airca_errf(AIRCA_ERR_STATE, "custody-created in a home "
		    "whose key policy is not K-of-N, or twice");
	if ((s = jstr(data, "set")) == NULL || strlen(s) != 8 ||
	    !json_is_array(hs) || json_array_size(hs) != cs->pol.n)
		return airca_errf(AIRCA_ERR_STATE, "custody-created without a "
		    "set id or with %zu custodians for %u", json_array_size(hs),
		    cs->pol.n);
	memcpy(cs->set_id, s, 9);
	if ((s = jstr(data, "key-check")) == NULL ||
	    strlen(s) != SHA256_HEX_LEN)
		return airca_errf(AIRCA_ERR_STATE, "custody-created without "
		    "key-check");
	memcpy(cs->key_check, s, SHA256_HEX_LEN + 1);
	json_array_foreach(hs, i, h) {
		name = jstr(h, "name");
		sha = jstr(h, "share-sha256");
		if (name == NULL || sha == NULL || strlen(name) >
		    CUSTODY_NAME_MAX || strlen(sha) != SHA256_HEX_LEN)
			return airca_errf(AIRCA_ERR_STATE, "custody-created: "
			    "custodian %zu malformed", i + 1);
		snprintf(cs->holders[i].name, sizeof(cs->holders[i].name),
		    "%s", name);
		memcpy(cs->holders[i].sha256, sha, SHA256_HEX_LEN + 1);
		cs->holders[i].x = (unsigned)json_integer_value(
		    json_object_get(h, "share"));
	}
	cs->nholders = i;
	cs->created = true;
	return 0;
}

/* The holders of a set (custody-created "custodians", pin-quorum-created "holders"). */
static int
apply_holders(json_t *hs, const char *event, struct custody_holder *holders,
    size_t *np)
{
	json_t *h;
	const char *name, *sha;
	size_t i;

	json_array_foreach(hs, i, h) {
		name = jstr(h, "name");
		sha = jstr(h, "share-sha256");
		if (i >= CUSTODY_MAX || name == NULL || sha == NULL ||
		    strlen(name) > CUSTODY_NAME_MAX ||
		    strlen(sha) != SHA256_HEX_LEN)
			return airca_errf(AIRCA_ERR_STATE, "%s: holder %zu "
			    "malformed", event, i + 1);
		snprintf(holders[i].name, sizeof(holders[i].name), "%s", name);
		memcpy(holders[i].sha256, sha, SHA256_HEX_LEN + 1);
		holders[i].x = (unsigned)json_integer_value(
		    json_object_get(h, "share"));
	}
	*np = i;
	return 0;
}

static int
apply_pin_quorum(struct custody_state *cs, json_t *data)
{
	json_t *hs = json_object_get(data, "holders");
	const char *s, *serial;

	if (cs->pin_pol.k != 0)
		return airca_errf(AIRCA_ERR_STATE, "pin-quorum-created twice");
	if ((s = jstr(data, "pin-policy")) == NULL ||
	    custody_policy_parse(s, &cs->pin_pol) != 0 ||
	    cs->pin_pol.k == 0 || !json_is_array(hs) ||
	    json_array_size(hs) != cs->pin_pol.n ||
	    (s = jstr(data, "set")) == NULL || strlen(s) != 8 ||
	    (serial = jstr(json_object_get(data, "token"), "serial")) ==
	    NULL || strlen(serial) >= sizeof(cs->pin_token)) {
		memset(&cs->pin_pol, 0, sizeof(cs->pin_pol));
		return airca_errf(AIRCA_ERR_STATE, "pin-quorum-created without "
		    "a policy, a set, the token's serial or its N holders");
	}
	memcpy(cs->pin_set_id, s, 9);
	memcpy(cs->pin_token, serial, strlen(serial) + 1);
	return apply_holders(hs, "pin-quorum-created", cs->pin_holders,
	    &cs->npin_holders);
}

int
custody_apply(struct custody_state *cs, const char *event, json_t *data)
{
	const char *s;

	if (strcmp(event, "journal-open") == 0) {
		if ((s = jstr(data, "key-policy")) == NULL)
			return 0;	/* before custody: never extractable */
		if (custody_policy_parse(s, &cs->pol) != 0)
			return airca_errf(AIRCA_ERR_STATE, "journal-open: "
			    "key-policy '%.32s' unknown", s);
		return 0;
	}
	if (strcmp(event, "custody-created") == 0)
		return apply_created(cs, data);
	if (strcmp(event, "pin-quorum-created") == 0)
		return apply_pin_quorum(cs, data);
	if (strcmp(event, "backup-written") == 0) {
		if ((s = jstr(data, "manifest-sha256")) == NULL)
			return airca_errf(AIRCA_ERR_STATE, "backup-written "
			    "without manifest-sha256");
		if (cs->backups == NULL && (cs->backups = json_array()) == NULL)
			return AIRCA_ERR_NOMEM;
		return json_array_append_new(cs->backups, json_string(s)) == 0 ?
		    0 : AIRCA_ERR_NOMEM;
	}
	if (strcmp(event, "custody-restored") == 0) {
		s = jstr(json_object_get(data, "token"), "serial");
		if (s == NULL || strlen(s) >= sizeof(cs->token_serial))
			return airca_errf(AIRCA_ERR_STATE, "custody-restored "
			    "without the token's serial");
		memcpy(cs->token_serial, s, strlen(s) + 1);
		cs->restores++;
		return 0;
	}
	return 0;
}

const struct custody_holder *
custody_holder_by_sha(const struct custody_state *cs, const char *sha)
{
	size_t i;

	for (i = 0; i < cs->nholders; i++)
		if (strcmp(cs->holders[i].sha256, sha) == 0)
			return &cs->holders[i];
	return NULL;
}

void
custody_state_free(struct custody_state *cs)
{
	json_decref(cs->backups);
	memset(cs, 0, sizeof(*cs));
}

int
custody_check_share(const struct custody_state *cs,
    const struct custody_share *s, const struct custody_holder **hp)
{
	const struct custody_holder *h;
	char sha[SHA256_HEX_LEN + 1], set[9];

	custody_share_set(s, set);
	custody_share_sha256(s, sha);
	if (!cs->created)
		return airca_errf(AIRCA_ERR_STATE, "this home has no custody "
		    "set (key policy none)");
	if (strcmp(set, cs->set_id) != 0)
		return airca_errf(AIRCA_ERR_POLICY, "share %u is a share of "
		    "another custody set (set %s; this home's set is %s)",
		    custody_share_x(s), set, cs->set_id);
	if ((h = custody_holder_by_sha(cs, sha)) == NULL ||
	    h->x != custody_share_x(s))
		return airca_errf(AIRCA_ERR_POLICY, "share %u of set %s does "
		    "not match the SHA-256 the journal records for it: a wrong "
		    "or altered share", custody_share_x(s), set);
	*hp = h;
	return 0;
}

int
custody_check_pin_share(const struct custody_state *cs,
    const struct custody_share *s, const struct custody_holder **hp)
{
	char sha[SHA256_HEX_LEN + 1], set[9];
	size_t i;

	custody_share_set(s, set);
	custody_share_sha256(s, sha);
	if (cs->pin_pol.k == 0)
		return airca_errf(AIRCA_ERR_STATE, "this home has no quorum "
		    "login (init without --pin-shares)");
	if (strcmp(set, cs->pin_set_id) != 0)
		return airca_errf(AIRCA_ERR_POLICY, "share %u is not a share of "
		    "this home's user PIN (set %s; the PIN's set is %s): a "
		    "share of another set, or a custody share",
		    custody_share_x(s), set, cs->pin_set_id);
	for (i = 0; i < cs->npin_holders; i++)
		if (strcmp(cs->pin_holders[i].sha256, sha) == 0 &&
		    cs->pin_holders[i].x == custody_share_x(s)) {
			*hp = &cs->pin_holders[i];
			return 0;
		}
	return airca_errf(AIRCA_ERR_POLICY, "PIN share %u of set %s does not "
	    "match the SHA-256 the journal records for it: a wrong or altered "
	    "share", custody_share_x(s), set);
}

int
custody_pin_encode(const char *pin, size_t len, const unsigned char *rnd,
    unsigned char *out)
{
	if (len == 0 || len > CUSTODY_PIN_MAX)
		return airca_errf(AIRCA_ERR_USAGE, "--pin-shares: the user PIN "
		    "is %zu bytes; a PIN split into shares has 1 to %d: set a "
		    "shorter PIN on the token first", len, CUSTODY_PIN_MAX);
	out[0] = (unsigned char)len;
	memcpy(out + 1, pin, len);
	memcpy(out + 1 + len, rnd, CUSTODY_KEY_LEN - 1 - len);
	return 0;
}

int
custody_pin_decode(const unsigned char *in, char *pin, size_t size)
{
	size_t len = in[0];

	if (len == 0 || len > CUSTODY_PIN_MAX || len >= size ||
	    memchr(in + 1, '\0', len) != NULL)
		return airca_errf(AIRCA_ERR_INPUT, "the PIN shares given do not "
		    "rebuild a PIN: shares of one set, checked against the "
		    "journal, always do; this is a bug or a changed journal");
	memcpy(pin, in + 1, len);
	pin[len] = '\0';
	return 0;
}

static int
show_share(const struct custody_share *s, bool pin, const char *custodian);

int
custody_show(const struct custody_share *s, const char *custodian)
{
	return show_share(s, false, custodian);
}

int
custody_show_pin(const struct custody_share *s, const char *holder)
{
	return show_share(s, true, holder);
}

static int
show_share(const struct custody_share *s, bool pin, const char *custodian)
{
	char *text = NULL, **lines = NULL, line[8];
	size_t nl = 0, i;
	int fd = -1, r = AIRCA_ERR_INTERNAL;
	ssize_t got;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    !isatty(fd)) {
		r = airca_errf(AIRCA_ERR_USAGE, "no terminal to show custodian "
		    "%s their share on (use --shares-to DIR only in rehearsals)",
		    custodian);
		goto out;
	}
	if ((text = secret_alloc(CUSTODY_TEXT_MAX)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = share_text(s, pin, custodian, text,
	    CUSTODY_TEXT_MAX)) != 0 ||
	    (r = qr_lines(strchr(text, '\n') + 1, 0, &lines, &nl)) != 0)
		goto out;
	dprintf(fd, "\033[H\033[2J\033[3J");
	dprintf(fd, "%s share %u of %u is for %s.\n\nEveryone but %s "
	    "looks away now. %s: press Enter to see your share.",
	    pin ? "User PIN" : "Custody", custody_share_x(s),
	    custody_share_n(s), custodian, custodian, custodian);
	while ((got = read(fd, line, 1)) == 1 && line[0] != '\n')
		;
	dprintf(fd, "\033[H\033[2J\033[3J%s\n", text);
	for (i = 0; i < nl; i++)
		dprintf(fd, "%s\n", lines[i]);
	dprintf(fd, "\nWrite the four lines down exactly (the last two "
	    "characters of each line are its checksum), or keep the QR code "
	    "printed, in a sealed envelope. The share is shown once.\nPress "
	    "Enter when done: the screen is cleared.");
	while ((got = read(fd, line, 1)) == 1 && line[0] != '\n')
		;
	dprintf(fd, "\033[H\033[2J\033[3J");
	r = 0;
 out:
	if (lines != NULL) {
		for (i = 0; i < nl; i++)
			explicit_bzero(lines[i], strlen(lines[i]));
		qr_lines_free(lines, nl);
	}
	secret_free(text, CUSTODY_TEXT_MAX);
	if (fd != -1)
		close(fd);
	return r;
}

static int
write_share(const char *dir, const struct custody_share *s, bool pin,
    const char *custodian)
{
	char path[PATH_MAX], name[32], *text = NULL;
	int r;

	snprintf(name, sizeof(name), "%sshare-%u.txt", pin ? "pin-" : "",
	    custody_share_x(s));
	if ((text = secret_alloc(CUSTODY_TEXT_MAX)) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = path_join(path, sizeof(path), dir, name)) == 0 &&
	    (r = share_text(s, pin, custodian, text, CUSTODY_TEXT_MAX)) == 0)
		r = media_write(path, text, strlen(text), MEDIA_PRIVATE);
	secret_free(text, CUSTODY_TEXT_MAX);
	return r;
}

int
custody_write_share(const char *dir, const struct custody_share *s,
    const char *custodian)
{
	return write_share(dir, s, false, custodian);
}

int
custody_write_pin_share(const char *dir, const struct custody_share *s,
    const char *holder)
{
	return write_share(dir, s, true, holder);
}

int
custody_read_file(const char *path, struct custody_share *s)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = media_read(path, CUSTODY_TEXT_MAX, &buf, &len)) != 0)
		return r;
	r = custody_share_parse((const char *)buf, len, path, s);
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

int
custody_read_tty(const char *what, struct custody_share *s)
{
	struct pin_source none = { NULL, NULL };
	char *line = NULL, prompt[256];
	unsigned l, tries;
	int r = 0;

	if ((line = secret_alloc(256)) == NULL)
		return AIRCA_ERR_NOMEM;
	for (l = 1; l <= CUSTODY_LINES; l++) {
		for (tries = 1; ; tries++) {
			snprintf(prompt, sizeof(prompt), "%s, line %u of %d "
			    "(16 characters, then the 2 of the checksum)", what,
			    l, CUSTODY_LINES);
			if ((r = prompt_pin(&none, prompt, line, 256)) != 0) {
				if (r == AIRCA_ERR_USAGE)
					r = airca_errf(AIRCA_ERR_USAGE, "no "
					    "terminal to type a share on: run "
					    "on the ceremony's terminal, or give "
					    "--share-file F (rehearsals)");
				goto out;
			}
			r = custody_line_parse(line, l, s->b + (l - 1) *
			    LINE_BYTES);
			explicit_bzero(line, 256);
			if (r == 0)
				break;
			if (tries == 3)
				goto out;
			fprintf(stderr, "airca: %s (try %u of 3)\n",
			    airca_errmsg(), tries + 1);
		}
	}
	if (s->b[0] != SHARE_VERSION || custody_share_x(s) == 0 ||
	    custody_share_x(s) > custody_share_n(s))
		r = airca_errf(AIRCA_ERR_INPUT, "%s: not an airca custody "
		    "share", what);
 out:
	if (r != 0)
		explicit_bzero(s, sizeof(*s));
	secret_free(line, 256);
	return r;
}
