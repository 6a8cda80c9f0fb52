/* backup.c: the K-of-N backup bundle: CA keys wrapped under the custody key, restored onto a fresh token with K shares. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "backup.h"
#include "custody.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "registry.h"
#include "util.h"

/* One key of the bundle. */
struct bkey {
	char	label[65];
	unsigned char id[TOKEN_ID_MAX];
	size_t	id_len;
	char	spki[SHA256_HEX_LEN + 1];
	X509	*cert;
	unsigned char *blob;
	size_t	blob_len;
};

static void
bkeys_free(struct bkey *k, size_t n)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < n; i++) {
		X509_free(k[i].cert);
		free(k[i].blob);
	}
	free(k);
}

static const struct custody_state *
custody_of(struct ca *ca)
{
	return registry_custody(ca->reg);
}

/* A label safe as a file name in the bundle (as ARGS_LABEL). */
static bool
label_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 64 && s[0] != '.' && strchr(s, '/') == NULL &&
	    text_printable(s, len);
}

/* The home's CA keys: every label the registry knows, with its current certificate. */
static int
home_keys(struct ca *ca, struct bkey **kp, size_t *np)
{
	const struct reg_entry *e, *cur;
	struct bkey *k = NULL;
	size_t i, j, n = 0, cnt = registry_count(ca->reg);
	bool seen;
	int r = AIRCA_ERR_INTERNAL;

	if ((k = calloc(cnt > 0 ? cnt : 1, sizeof(*k))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		if ((e = registry_at(ca->reg, i)) == NULL) {
			r = registry_error(ca->reg);
			goto out;
		}
		if (e->label[0] == '\0')
			continue;
		for (seen = false, j = 0; j < n && !seen; j++)
			seen = strcmp(k[j].label, e->label) == 0;
		if (seen)
			continue;
		if (!label_ok(e->label) || n == BACKUP_KEYS_MAX) {
			r = airca_errf(AIRCA_ERR_STATE, "key label '%.64s' "
			    "cannot be backed up", e->label);
			goto out;
		}
		if ((cur = registry_by_label(ca->reg, e->label)) == NULL)
			cur = e;
		snprintf(k[n].label, sizeof(k[n].label), "%s", e->label);
		snprintf(k[n].spki, sizeof(k[n].spki), "%s", cur->spki);
		if ((r = registry_cert(ca->home, cur, &k[n].cert)) != 0)
			goto out;
		n++;
	}
	*kp = k;
	*np = n;
	k = NULL;
	r = 0;
 out:
	bkeys_free(k, cnt);
	return r;
}

static int
write_file(const char *dir, const char *name, const void *data, size_t len,
    char sha[SHA256_HEX_LEN + 1])
{
	char path[PATH_MAX];
	int r;

	if ((r = path_join(path, sizeof(path), dir, name)) != 0 ||
	    (r = media_write(path, data, len, 0)) != 0)
		return r;
	sha256_hex(data, len, sha);
	return 0;
}

static json_t *
key_entry(const struct bkey *k, const char *certsha, const char *blobsha)
{
	char id[2 * TOKEN_ID_MAX + 1], name[96], cname[96];
	EVP_PKEY *pk = X509_get0_pubkey(k->cert);
	const char *type = "other";

	hex_encode(k->id, k->id_len, id);
	snprintf(name, sizeof(name), "%s.wrapped", k->label);
	snprintf(cname, sizeof(cname), "%s.pem", k->label);
	if (pk != NULL && EVP_PKEY_is_a(pk, "EC"))
		type = EVP_PKEY_get_bits(pk) == 384 ? "ec-p384" : "ec-p256";
	else if (pk != NULL && EVP_PKEY_is_a(pk, "RSA"))
		type = EVP_PKEY_get_bits(pk) == 4096 ? "rsa-4096" : "rsa-3072";
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "label", k->label,
	    "id", id, "type", type, "spki-sha256", k->spki, "cert", cname,
	    "cert-sha256", certsha, "blob", name, "blob-sha256", blobsha);
}

/*
 * A failed backup leaves none of the files it wrote (no bundle the journal
 * does not record): they were written in this order, nmade of them.
 */
static void
backup_unwind(const char *dir, const struct bkey *k, size_t nk, size_t nmade)
{
	char path[PATH_MAX], name[96];
	size_t f;

	for (f = 0; f < nmade; f++) {
		if (f < 2 * nk)
			snprintf(name, sizeof(name), "%s.%s", k[f / 2].label,
			    f % 2 == 0 ? "wrapped" : "pem");
		else
			snprintf(name, sizeof(name), "%s", f == 2 * nk ?
			    BACKUP_MANIFEST : "SHA256SUMS");
		if (path_join(path, sizeof(path), dir, name) == 0)
			(void)unlink(path);
	}
}

int
backup_write(struct ca *ca, const char *dir)
{
	const struct custody_state *cs = custody_of(ca);
	struct token_key_info *tk = NULL;
	struct bkey *k = NULL;
	json_t *man = NULL, *arr = NULL, *d = NULL, *jk = NULL;
	const char **names = NULL;
	char *pem = NULL, *text = NULL, name[96], csha[SHA256_HEX_LEN + 1];
	char bsha[SHA256_HEX_LEN + 1], msha[SHA256_HEX_LEN + 1], pol[32], ts[21];
	size_t nk = 0, ntk = 0, i, j, plen, nn = 0, nmade = 0;
	int r = AIRCA_ERR_INTERNAL;

	custody_policy_name(&cs->pol, pol, sizeof(pol));
	if (cs->pol.k == 0 || !cs->created) {
		r = airca_errf(AIRCA_ERR_POLICY, "this home's key policy is "
		    "'none' (init --backup none): its CA keys were generated "
		    "never to leave token '%s', so there is nothing a backup "
		    "could hold; the key policy is chosen once, at init",
		    token_info(ca->tok)->label);
		goto out;
	}
	if ((r = home_keys(ca, &k, &nk)) != 0 ||
	    (r = token_keys(ca->tok, &tk, &ntk)) != 0)
		goto out;
	if ((r = media_mkdir(dir)) != 0)
		goto out;
	if ((arr = json_array()) == NULL || (jk = json_array()) == NULL ||
	    (names = calloc(2 * nk + 1, sizeof(*names))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nk; i++) {
		for (j = 0; j < ntk; j++)
			if (tk[j].has_private &&
			    strcmp(tk[j].label, k[i].label) == 0)
				break;
		if (j == ntk || strcmp(tk[j].spki_sha256, k[i].spki) != 0) {
			r = airca_errf(AIRCA_ERR_STATE, "token '%s' holds no "
			    "private key '%s' whose public key is the one the "
			    "journal certified", token_info(ca->tok)->label,
			    k[i].label);
			goto out;
		}
		memcpy(k[i].id, tk[j].id, tk[j].id_len);
		k[i].id_len = tk[j].id_len;
		if ((r = token_custody_wrap(ca->tok, CUSTODY_LABEL, k[i].label,
		    &k[i].blob, &k[i].blob_len)) != 0)
			goto out;
		snprintf(name, sizeof(name), "%s.wrapped", k[i].label);
		if ((r = write_file(dir, name, k[i].blob, k[i].blob_len,
		    bsha)) != 0)
			goto out;
		nmade++;
		free(pem);
		pem = NULL;
		if ((r = cert_pem(k[i].cert, &pem, &plen)) != 0)
			goto out;
		snprintf(name, sizeof(name), "%s.pem", k[i].label);
		if ((r = write_file(dir, name, pem, plen, csha)) != 0)
			goto out;
		nmade++;
		if (json_array_append_new(arr, key_entry(&k[i], csha,
		    bsha)) != 0 ||
		    json_array_append_new(jk, json_pack("{s:s,s:s,s:s}",
		    "label", k[i].label, "spki-sha256", k[i].spki,
		    "blob-sha256", bsha)) != 0) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
	}
	time_iso(now(), ts);
	man = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:I,"
	    "s:s},s:O}", "format", BACKUP_FORMAT, "version", BACKUP_VERSION,
	    "created", ts, "factory", ca->pol.factory, "key-policy", pol,
	    "set", cs->set_id, "key-check", cs->key_check, "mechanism",
	    "CKM_AES_KEY_WRAP_PAD", "token", "label",
	    token_info(ca->tok)->label, "serial", token_info(ca->tok)->serial,
	    "journal", "seq", (json_int_t)journal_seq(ca->j), "head",
	    journal_head(ca->j), "keys", arr);
	if (man == NULL || (text = json_dumps(man, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = write_file(dir, BACKUP_MANIFEST, text, strlen(text),
	    msha)) != 0)
		goto out;
	nmade++;
	names[nn++] = BACKUP_MANIFEST;
	for (i = 0; i < nk; i++) {
		json_t *e = json_array_get(arr, i);

		names[nn++] = json_string_value(json_object_get(e, "blob"));
		names[nn++] = json_string_value(json_object_get(e, "cert"));
	}
	if ((r = media_write_sums(dir, names, nn)) != 0)
		goto out;
	nmade++;
	/* the bundle is on the media: journal it before saying so */
	d = json_pack("{s:s,s:s,s:s,s:O,s:{s:s,s:s}}", "manifest-sha256", msha,
	    "set", cs->set_id, "key-policy", pol, "keys", jk, "token", "label",
	    token_info(ca->tok)->label, "serial", token_info(ca->tok)->serial);
	if (d == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "backup-written", d, 0)) != 0)
		goto out;
	nmade = 0;	/* journaled: the bundle is this home's */
	if (out_is_json(ca->ctx->out)) {
		if ((r = out_merge(ca->ctx->out, json_pack("{s:s,s:s,s:i,s:s}",
		    "out", dir, "manifest-sha256", msha, "keys", (int)nk, "set",
		    cs->set_id))) != 0)
			goto out;
	} else {
		out_result(ca->ctx->out, "backup of %zu key%s written to %s "
		    "(custody %s, set %s)", nk, nk == 1 ? "" : "s", dir, pol,
		    cs->set_id);
		for (i = 0; i < nk; i++)
			out_result(ca->ctx->out, "  %s  SPKI SHA-256 %s",
			    k[i].label, k[i].spki);
		out_result(ca->ctx->out, "  manifest SHA-256 %s", msha);
		out_result(ca->ctx->out, "  useless without %u of the %u "
		    "custodians' shares", cs->pol.k, cs->pol.n);
	}
	r = 0;
 out:
	if (r != 0)
		backup_unwind(dir, k, nk, nmade);
	free(pem);
	free(text);
	free(names);
	free(tk);
	json_decref(man);
	json_decref(arr);
	json_decref(jk);
	json_decref(d);
	bkeys_free(k, nk);
	return r;
}

/* --- restore --- */

static int
read_in(const char *dir, const char *name, size_t max, unsigned char **bufp,
    size_t *lenp)
{
	char path[PATH_MAX];
	int r;

	if ((r = path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	return media_read(path, max, bufp, lenp);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The home's certificate for label, as the journal issued it. */
static int
home_cert(struct ca *ca, const char *label, X509 **certp)
{
	const struct reg_entry *e;

	if ((e = registry_by_label(ca->reg, label)) == NULL)
		return airca_errf(AIRCA_ERR_INPUT, "the bundle holds key '%s', "
		    "which this home's journal never made", label);
	return registry_cert(ca->home, e, certp);
}

/* One key of the manifest, checked against its files and the home. */
static int
bundle_key(struct ca *ca, const char *dir, json_t *e, struct bkey *k)
{
	const char *label = jstr(e, "label"), *id = jstr(e, "id");
	const char *spki = jstr(e, "spki-sha256");
	const char *bsha = jstr(e, "blob-sha256"), *csha = jstr(e, "cert-sha256");
	unsigned char *pem = NULL;
	char name[96], sha[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	size_t len = 0;
	X509 *home = NULL;
	BIO *bio = NULL;
	unsigned char *der = NULL;
	int r = AIRCA_ERR_INTERNAL, dl;

	if (label == NULL || !label_ok(label) || id == NULL || spki == NULL ||
	    bsha == NULL || csha == NULL || strlen(id) > 2 * TOKEN_ID_MAX ||
	    hex_decode(id, k->id, sizeof(k->id), &k->id_len) != 0 ||
	    k->id_len == 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s: a key entry is "
		    "malformed", dir, BACKUP_MANIFEST);
		goto out;
	}
	snprintf(k->label, sizeof(k->label), "%s", label);
	snprintf(k->spki, sizeof(k->spki), "%s", spki);
	snprintf(name, sizeof(name), "%s.wrapped", label);
	if ((r = read_in(dir, name, BACKUP_BLOB_MAX, &k->blob,
	    &k->blob_len)) != 0)
		goto out;
	sha256_hex(k->blob, k->blob_len, sha);
	if (strcmp(sha, bsha) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s is not the blob the "
		    "backup wrote (SHA-256 %s, the manifest says %s): the "
		    "bundle was changed", dir, name, sha, bsha);
		goto out;
	}
	snprintf(name, sizeof(name), "%s.pem", label);
	if ((r = read_in(dir, name, MEDIA_MAX_CERT, &pem, &len)) != 0)
		goto out;
	sha256_hex(pem, len, sha);
	if (strcmp(sha, csha) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s is not the certificate "
		    "the backup wrote: the bundle was changed", dir, name);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (k->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		r = airca_errssl(AIRCA_ERR_INPUT, "%s/%s: not a PEM "
		    "certificate", dir, name);
		goto out;
	}
	if ((r = home_cert(ca, label, &home)) != 0)
		goto out;
	if (X509_cmp(home, k->cert) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s is not the certificate "
		    "this home's journal issued for '%s': a bundle of another "
		    "home", dir, name, label);
		goto out;
	}
	if ((dl = i2d_PUBKEY(X509_get0_pubkey(k->cert), &der)) <= 0) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "%s: public key", name);
		goto out;
	}
	sha256_hex(der, (size_t)dl, got);
	if (strcmp(got, spki) != 0) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s: the manifest's SPKI "
		    "SHA-256 for '%s' is not its certificate's", dir,
		    BACKUP_MANIFEST, label);
		goto out;
	}
	r = 0;
 out:
	OPENSSL_free(der);
	BIO_free(bio);
	X509_free(home);
	free(pem);
	return r;
}

/* The bundle in dir, checked: its manifest is one the journal records. */
static int
bundle_read(struct ca *ca, const char *dir, char msha[SHA256_HEX_LEN + 1],
    struct bkey **kp, size_t *np)
{
	const struct custody_state *cs = custody_of(ca);
	unsigned char *buf = NULL;
	size_t len = 0, i, n = 0;
	json_t *man = NULL, *keys, *v;
	json_error_t jerr;
	struct bkey *k = NULL;
	bool known = false;
	int r = AIRCA_ERR_INTERNAL;

	if ((r = media_check_sums(dir)) != 0)
		goto out;
	if ((r = read_in(dir, BACKUP_MANIFEST, MEDIA_MAX_JSON, &buf,
	    &len)) != 0)
		goto out;
	sha256_hex(buf, len, msha);
	json_array_foreach(cs->backups, i, v)
		if (strcmp(json_string_value(v), msha) == 0)
			known = true;
	if (!known) {
		r = airca_errf(AIRCA_ERR_POLICY, "%s/%s (SHA-256 %s) is not a "
		    "backup this home's journal records: a bundle of another "
		    "home, or one that was changed", dir, BACKUP_MANIFEST,
		    msha);
		goto out;
	}
	if ((man = json_loadb((const char *)buf, len, 0, &jerr)) == NULL ||
	    jstr(man, "format") == NULL ||
	    strcmp(jstr(man, "format"), BACKUP_FORMAT) != 0 ||
	    json_integer_value(json_object_get(man, "version")) !=
	    BACKUP_VERSION) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s: not an airca backup "
		    "manifest of version %d", dir, BACKUP_MANIFEST,
		    BACKUP_VERSION);
		goto out;
	}
	if (jstr(man, "set") == NULL || strcmp(jstr(man, "set"),
	    cs->set_id) != 0 || jstr(man, "key-check") == NULL ||
	    strcmp(jstr(man, "key-check"), cs->key_check) != 0) {
		r = airca_errf(AIRCA_ERR_POLICY, "%s/%s: the bundle was wrapped "
		    "under custody set %s, not this home's set %s", dir,
		    BACKUP_MANIFEST, jstr(man, "set") ? jstr(man, "set") : "?",
		    cs->set_id);
		goto out;
	}
	keys = json_object_get(man, "keys");
	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > BACKUP_KEYS_MAX) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s/%s: no keys", dir,
		    BACKUP_MANIFEST);
		goto out;
	}
	if ((k = calloc(json_array_size(keys), sizeof(*k))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(keys, i, v) {
		n = i + 1;
		if ((r = bundle_key(ca, dir, v, &k[i])) != 0)
			goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(k[i].label, CA_ROOT_LABEL) == 0)
			break;
	if (i == n || registry_by_label(ca->reg, CA_AUDIT_LABEL) == NULL) {
		r = airca_errf(AIRCA_ERR_INPUT, "%s: the bundle lacks the root "
		    "or the audit key", dir);
		goto out;
	}
	*kp = k;
	*np = n;
	k = NULL;
	r = 0;
 out:
	bkeys_free(k, n);
	json_decref(man);
	free(buf);
	return r;
}

/* K shares, each checked against the journal as it comes in. */
static int
collect_shares(struct ca *ca, const char *const *files, size_t nfiles,
    struct custody_share *sh, size_t *np, json_t *used)
{
	const struct custody_state *cs = custody_of(ca);
	const struct custody_holder *h;
	size_t n = 0, i, want = nfiles > 0 ? nfiles : cs->pol.k;
	char what[128];
	int r;

	if (nfiles > 0 && nfiles < cs->pol.k)
		return airca_errf(AIRCA_ERR_POLICY, "%zu share%s given: "
		    "custody set %s needs %u of its %u shares", nfiles,
		    nfiles == 1 ? "" : "s", cs->set_id, cs->pol.k, cs->pol.n);
	if (want > CUSTODY_MAX)
		return airca_errf(AIRCA_ERR_USAGE, "at most %d shares",
		    CUSTODY_MAX);
	for (n = 0; n < want; n++) {
		if (nfiles > 0)
			r = custody_read_file(files[n], &sh[n]);
		else {
			snprintf(what, sizeof(what), "Share %zu of the %u "
			    "needed", n + 1, cs->pol.k);
			r = custody_read_tty(what, &sh[n]);
		}
		if (r == 0)
			r = custody_check_share(cs, &sh[n], &h);
		if (r != 0)
			return r;
		for (i = 0; i < n; i++)
			if (custody_share_x(&sh[i]) == custody_share_x(&sh[n]))
				return airca_errf(AIRCA_ERR_POLICY, "share %u "
				    "(custodian %s) was given twice: each "
				    "custodian counts once", h->x, h->name);
		if (nfiles == 0)
			out_note(ca->ctx->out, "share %u of set %s: custodian "
			    "%s, matches the journal", h->x, cs->set_id,
			    h->name);
		json_array_append_new(used, json_pack("{s:i,s:s}", "share",
		    (int)h->x, "name", h->name));
	}
	*np = n;
	return 0;
}

/* Sign a random message with the restored key; verify with its certificate. */
static int
test_signature(struct ca *ca, const char *label, X509 *cert, EVP_PKEY **keyp)
{
	unsigned char msg[32], sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *key = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if ((r = token_signing_key(ca->tok, label, &key)) != 0)
		goto out;
	if (RAND_bytes(msg, sizeof(msg)) != 1 ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1) {
		r = airca_errssl(AIRCA_ERR_TOKEN, "the restored key '%s' cannot "
		    "sign", label);
		goto out;
	}
	EVP_MD_CTX_free(md);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)) != 1) {
		r = airca_errssl(AIRCA_ERR_CRYPTO, "the restored key '%s' signs, "
		    "but its signature does not verify with its certificate",
		    label);
		goto out;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return r;
}

static json_t *
token_json(const struct token_info *ti)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "label", ti->label, "serial",
	    ti->serial, "manufacturer", ti->manufacturer, "model", ti->model);
}

int
backup_restore(struct ca *ca, const char *dir, const char *const *share_files,
    size_t nfiles)
{
	const struct custody_state *cs = custody_of(ca);
	struct custody_share *sh = NULL;
	struct token_unwrap *items = NULL;
	struct bkey *k = NULL;
	unsigned char *key = NULL;
	char msha[SHA256_HEX_LEN + 1], kcheck[SHA256_HEX_LEN + 1];
	json_t *used = NULL, *jk = NULL, *d = NULL;
	size_t nk = 0, ns = 0, i;
	bool imported = false, exists;
	EVP_PKEY *sk = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if (cs->pol.k == 0 || !cs->created) {
		r = airca_errf(AIRCA_ERR_POLICY, "this home's key policy is "
		    "'none': its keys were never backed up and cannot be "
		    "restored");
		goto out;
	}
	if ((used = json_array()) == NULL || (jk = json_array()) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	/* everything checked before a token is touched */
	if ((r = bundle_read(ca, dir, msha, &k, &nk)) != 0)
		goto out;
	if ((sh = secret_alloc(CUSTODY_MAX * sizeof(*sh))) == NULL ||
	    (key = secret_alloc(CUSTODY_KEY_LEN)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = collect_shares(ca, share_files, nfiles, sh, &ns, used)) != 0 ||
	    (r = custody_combine(sh, ns, key)) != 0)
		goto out;
	secret_free(sh, CUSTODY_MAX * sizeof(*sh));
	sh = NULL;
	custody_key_check(key, kcheck);
	if (strcmp(kcheck, cs->key_check) != 0) {
		r = airca_errf(AIRCA_ERR_POLICY, "the shares rebuild a key "
		    "whose check value is not the journal's: nothing was "
		    "imported");
		goto out;
	}
	if ((r = ca_token_open(ca)) != 0)
		goto out;
	if (!ca->hsm.wrap_with_trusted) {
		r = airca_errf(AIRCA_ERR_POLICY, "HSM profile '%s' does not say "
		    "wrap_with_trusted = yes: keys of a K-of-N home are "
		    "restored only onto a token that keeps them wrap-with-"
		    "trusted", ca->hsm.name);
		goto out;
	}
	if ((r = token_label_exists(ca->tok, CUSTODY_LABEL, &exists)) != 0)
		goto out;
	if (!exists && (r = token_label_exists(ca->tok, CA_ROOT_LABEL,
	    &exists)) != 0)
		goto out;
	if (exists) {
		r = airca_errf(AIRCA_ERR_EXISTS, "token '%s' (serial %s) holds "
		    "a custody key or a root already: restore onto a freshly "
		    "initialised token", token_info(ca->tok)->label,
		    token_info(ca->tok)->serial);
		goto out;
	}
	if ((r = ca_so_login(ca)) != 0)
		goto out;
	r = token_custody_import(ca->tok, CUSTODY_LABEL, key, CUSTODY_KEY_LEN);
	token_so_logout(ca->tok);
	if (r != 0)
		goto out;
	imported = true;
	if ((r = ca_token_login(ca)) != 0)
		goto out;
	token_set_custody(ca->tok, true);
	if ((items = calloc(nk, sizeof(*items))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nk; i++) {
		items[i].label = k[i].label;
		items[i].id = k[i].id;
		items[i].id_len = k[i].id_len;
		items[i].blob = k[i].blob;
		items[i].blob_len = k[i].blob_len;
		items[i].cert = k[i].cert;
	}
	if ((r = token_custody_unwrap(ca->tok, key, CUSTODY_KEY_LEN, items,
	    nk)) != 0)
		goto out;
	secret_free(key, CUSTODY_KEY_LEN);
	key = NULL;
	for (i = 0; i < nk; i++) {
		if ((r = test_signature(ca, k[i].label, k[i].cert, &sk)) != 0)
			goto out;
		if (strcmp(k[i].label, CA_ROOT_LABEL) == 0 &&
		    ca->root_key == NULL)
			ca->root_key = sk;
		else if (strcmp(k[i].label, CA_AUDIT_LABEL) == 0 &&
		    ca->audit_key == NULL)
			ca->audit_key = sk;
		else
			EVP_PKEY_free(sk);
		sk = NULL;
		json_array_append_new(jk, json_pack("{s:s,s:s,s:s}", "label",
		    k[i].label, "spki-sha256", k[i].spki, "test-signature",
		    "verified"));
	}
	imported = false;	/* the token is the home's now: keep its custody key */
	d = json_pack("{s:o,s:s,s:s,s:O,s:O}", "token",
	    token_json(token_info(ca->tok)), "manifest-sha256", msha, "set",
	    cs->set_id, "shares", used, "keys", jk);
	if (d == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "custody-restored", d, 0)) != 0)
		goto out;
	if (out_is_json(ca->ctx->out)) {
		if ((r = out_merge(ca->ctx->out, json_pack("{s:s,s:i,s:s}",
		    "token-serial", token_info(ca->tok)->serial, "keys",
		    (int)nk, "manifest-sha256", msha))) != 0)
			goto out;
	} else {
		out_result(ca->ctx->out, "restored %zu key%s onto token '%s' "
		    "(serial %s) from %s", nk, nk == 1 ? "" : "s",
		    token_info(ca->tok)->label, token_info(ca->tok)->serial,
		    dir);
		for (i = 0; i < nk; i++)
			out_result(ca->ctx->out, "  %s  SPKI SHA-256 %s  test "
			    "signature verified", k[i].label, k[i].spki);
		out_result(ca->ctx->out, "  this home now uses token serial %s",
		    token_info(ca->tok)->serial);
	}
	r = 0;
 out:
	if (imported && ca->tok != NULL)
		(void)token_secret_destroy(ca->tok, CUSTODY_LABEL);
	EVP_PKEY_free(sk);
	secret_free(sh, CUSTODY_MAX * sizeof(*sh));
	secret_free(key, CUSTODY_KEY_LEN);
	free(items);
	bkeys_free(k, nk);
	json_decref(used);
	json_decref(jk);
	json_decref(d);
	return r;
}

int
backup_custody_check(struct ca *ca, const char *path)
{
	const struct custody_state *cs = custody_of(ca);
	const struct custody_holder *h = NULL;
	struct custody_share *s = NULL;
	json_t *d = NULL;
	int r = AIRCA_ERR_INTERNAL;

	if (!cs->created) {
		r = airca_errf(AIRCA_ERR_POLICY, "this home's key policy is "
		    "'none': it has no custodians and no shares");
		goto out;
	}
	if ((s = secret_alloc(sizeof(*s))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	r = path != NULL ? custody_read_file(path, s) :
	    custody_read_tty("Your share", s);
	if (r == 0)
		r = custody_check_share(cs, s, &h);
	if (r != 0)
		goto out;
	d = json_pack("{s:s,s:i,s:s,s:s}", "set", cs->set_id, "share",
	    (int)h->x, "name", h->name, "result", "matches");
	if (d == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "custody-checked", d, 0)) != 0)
		goto out;
	out_result(ca->ctx->out, "share %u of custody set %s (%u-of-%u) "
	    "matches the journal's record for custodian %s", h->x, cs->set_id,
	    cs->pol.k, cs->pol.n, h->name);
	r = 0;
 out:
	secret_free(s, sizeof(*s));
	json_decref(d);
	return r;
}
