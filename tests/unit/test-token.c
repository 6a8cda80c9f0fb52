/* test-token.c: token and HSM profile against a fresh SoftHSM token of its own. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "check.h"
#include "error.h"
#include "hsm.h"
#include "token.h"
#include "util.h"

#define MODULE	"/usr/lib/softhsm/libsofthsm2.so"

static char dir[] = "/tmp/airca-test-token.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static int
init_token(const char *label)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label "
	    "'%s' --so-pin 5678 --pin 1234 >/dev/null", label);
	return system(cmd);
}

/* Load a profile written from text; returns the code. */
static int
load_text(const char *text, struct hsm_profile *p)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/p.conf", dir);
	write_file(path, text);
	return hsm_profile_load(path, p);
}

#define PROFILE_OK \
	"[hsm]\nname = test\nmodule = " MODULE "\n" \
	"[token]\nlabel = airca\n" \
	"[keys]\ngenerate = ec-p256, ec-p384 , rsa-3072\nid_len = 16\n" \
	"label_max = 32\n" \
	"[quirks]\nlogin_before_search = no\nno_rng = no\nmax_sessions = 0\n" \
	"[network]\npolicy = warn\n"

static void
test_profile(void)
{
	struct hsm_profile p;
	char want[600];

	CHECK(load_text(PROFILE_OK, &p) == 0);
	CHECK_STR(p.name, "test");
	CHECK_STR(p.module, MODULE);
	CHECK_STR(p.token_label, "airca");
	CHECK(p.key_types == ((1u << KEY_EC_P256) | (1u << KEY_EC_P384) |
	    (1u << KEY_RSA_3072)));
	CHECK(p.id_len == 16 && p.label_max == 32);
	CHECK(p.network == NET_WARN);

	/* what it cannot generate: the token and the line, in one sentence */
	CHECK(p.generate_line == 7);
	CHECK(hsm_profile_can_generate(&p, KEY_EC_P384) == 0);
	snprintf(want, sizeof(want), "token 'airca' (HSM profile 'test') "
	    "cannot generate rsa-4096 keys: %s/p.conf:7 lists only ec-p256, "
	    "ec-p384, rsa-3072; use --key with one of those", dir);
	CHECK_ERR(hsm_profile_can_generate(&p, KEY_RSA_4096), AIRCA_ERR_USAGE,
	    want);
	/* "generate" is found in [keys] only, after comments and blanks */
	CHECK(load_text("# generate = no\n[hsm]\nmodule = /x.so\n\n"
	    "[token]\nserial = 12ab\n[keys]\n; generate\nid_len = 2\n"
	    "generate\t= rsa-3072\n", &p) == 0);
	CHECK(p.generate_line == 10);
	CHECK_ERR(hsm_profile_can_generate(&p, KEY_EC_P256), AIRCA_ERR_USAGE,
	    "the token with serial 12ab (HSM profile 'p') cannot generate "
	    "ec-p256 keys");

	/* defaults: refuse, ec-p256, name from the file */
	CHECK(load_text("[hsm]\nmodule = /x.so\n[token]\nserial = 12ab\n",
	    &p) == 0);
	CHECK(p.network == NET_REFUSE);
	CHECK(p.key_types == 1u << KEY_EC_P256);
	CHECK_STR(p.name, "p");
	CHECK(p.id_len == 16);
	CHECK(p.generate_line == 0);
	CHECK_ERR(hsm_profile_can_generate(&p, KEY_RSA_3072), AIRCA_ERR_USAGE,
	    "has no [keys] generate line, which means ec-p256 only");

	snprintf(want, sizeof(want), "%s/p.conf:3: unknown section [tokn]",
	    dir);
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[tokn]\nlabel = a\n", &p),
	    AIRCA_ERR_INPUT, want);
	snprintf(want, sizeof(want), "%s/p.conf:4: unknown key 'labl' in "
	    "[token]", dir);
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabl = a\n", &p),
	    AIRCA_ERR_INPUT, want);
	snprintf(want, sizeof(want), "%s/p.conf:3: duplicate key 'module'",
	    dir);
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\nmodule = /y.so\n"
	    "[token]\nlabel = a\n", &p), AIRCA_ERR_INPUT, want);
	snprintf(want, sizeof(want), "%s/p.conf: [hsm] module is missing", dir);
	CHECK_ERR(load_text("[hsm]\nname = x\n[token]\nlabel = a\n", &p),
	    AIRCA_ERR_INPUT, want);
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "serial = 1\n", &p), AIRCA_ERR_INPUT, "exactly one of label");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n", &p), AIRCA_ERR_INPUT,
	    "exactly one of label");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[keys]\nid_len = 33\n", &p), AIRCA_ERR_INPUT, "p.conf:6: id_len");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[keys]\ngenerate = ec-p256, dsa\n", &p), AIRCA_ERR_INPUT,
	    "p.conf:6: unknown key type 'dsa'");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[network]\npolicy = maybe\n", &p), AIRCA_ERR_INPUT,
	    "p.conf:6: policy must be refuse, warn or allow");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[quirks]\nno_rng = perhaps\n", &p), AIRCA_ERR_INPUT,
	    "p.conf:6: no_rng must be yes or no");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[quirks]\nbatch_sessions = 0\n", &p), AIRCA_ERR_INPUT,
	    "p.conf:6: batch_sessions must be 1..64 or cpus");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[quirks]\nbatch_sessions = all\n", &p), AIRCA_ERR_INPUT,
	    "p.conf:6: batch_sessions must be 1..64 or cpus");
	CHECK(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[quirks]\nbatch_sessions = 3\n", &p) == 0 &&
	    p.batch_sessions == 3);
	CHECK(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[quirks]\nbatch_sessions = cpus\n", &p) == 0 &&
	    p.batch_sessions == HSM_SESSIONS_CPUS);
	CHECK_ERR(load_text("[hsm]\nmodule = x.so\n[token]\nlabel = a\n", &p),
	    AIRCA_ERR_INPUT, "p.conf:2: module must be an absolute path");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n  more\n[token]\n"
	    "label = a\n", &p), AIRCA_ERR_INPUT, "p.conf:3: indented line");
	CHECK_ERR(load_text("[hsm]\nmodule /x.so\n", &p), AIRCA_ERR_INPUT,
	    "p.conf:2: syntax error");
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\n"
	    "label = 0123456789abcdef0123456789abcdefX\n", &p),
	    AIRCA_ERR_INPUT, "p.conf:4: label is too long");
	CHECK_ERR(hsm_profile_load("/nonexistent/p.conf", &p),
	    AIRCA_ERR_NOTFOUND, "/nonexistent/p.conf");
	setenv("AIRCA_PROFILES", dir, 1);
	CHECK(load_text(PROFILE_OK, &p) == 0);
	CHECK(hsm_profile_load("p", &p) == 0);
	CHECK_STR(p.token_label, "airca");
	CHECK_ERR(hsm_profile_load("nosuch", &p), AIRCA_ERR_NOTFOUND,
	    "no HSM profile 'nosuch'");

	/* the profiles we ship parse (tests run from the top directory) */
	setenv("AIRCA_PROFILES", "hsm-profiles", 1);
	CHECK(hsm_profile_load("softhsm2", &p) == 0);
	CHECK(p.network == NET_WARN);
	CHECK(p.batch_sessions == HSM_SESSIONS_CPUS);
	CHECK(hsm_profile_load("yubihsm2", &p) == 0);
	CHECK(p.id_len == 2 && p.network == NET_REFUSE);
	CHECK(hsm_profile_load("smartcard-hsm", &p) == 0);
	CHECK_STR(p.token_label, "SmartCard-HSM (UserPIN)");
	CHECK(p.network == NET_REFUSE);
	CHECK(hsm_profile_load("opencryptoki", &p) == 0);
	CHECK(p.key_types == ((1u << KEY_RSA_3072) | (1u << KEY_RSA_4096)));
	CHECK(p.network == NET_REFUSE);
	CHECK(hsm_profile_load("tpm2-pkcs11", &p) == 0);
	CHECK(p.key_types == ((1u << KEY_EC_P256) | (1u << KEY_EC_P384) |
	    (1u << KEY_RSA_3072)));
	CHECK(p.network == NET_REFUSE);
}

/* A small certificate for pub, signed by signer with md. */
static X509 *
make_cert(EVP_PKEY *pub, EVP_PKEY *signer, const EVP_MD *md)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"airca test", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pub);
	X509_NAME_free(n);
	if (X509_sign(x, signer, md) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void
check_attrs(struct token *tok, const char *label)
{
	struct key_attrs a;

	CHECK(token_key_attrs(tok, label, &a) == 0);
	CHECK(a.token && a.private_ && a.sensitive && !a.extractable);
	CHECK(a.local && a.always_sensitive && a.never_extractable);
	CHECK(a.sign && !a.decrypt && !a.unwrap && !a.derive);
}

static void
test_token(void)
{
	struct hsm_profile p, q;
	struct token *tok = NULL, *tok2 = NULL;
	struct token_info *ti = NULL;
	struct token_key_info info[3], *keys = NULL;
	EVP_PKEY *pub[3] = { NULL, NULL, NULL }, *sk[3] = { NULL, NULL, NULL };
	EVP_PKEY *other = NULL;
	X509 *x = NULL;
	static const char *labels[3] = { "k-p256", "k-p384", "k-rsa3072" };
	static const enum key_type types[3] = { KEY_EC_P256, KEY_EC_P384,
	    KEY_RSA_3072 };
	const EVP_MD *mds[3];
	char spki[65], uri[128];
	size_t n = 0, i, k;
	bool found = false, exists = true;
	unsigned char rnd[16];

	mds[0] = EVP_sha256();
	mds[1] = EVP_sha384();
	mds[2] = EVP_sha256();
	CHECK(init_token("airca") == 0);
	CHECK(load_text(PROFILE_OK, &p) == 0);

	CHECK(token_list(MODULE, &ti, &n) == 0);
	for (i = 0; i < n; i++)
		if (ti[i].present && strcmp(ti[i].label, "airca") == 0) {
			found = true;
			CHECK(ti[i].initialized && ti[i].login_required);
			CHECK(ti[i].has_rng);
			CHECK(strlen(ti[i].serial) == 16);
			CHECK_STR(ti[i].model, "SoftHSM v2");
			CHECK_STR(ti[i].firmware, "2.6");
			q = p;
			snprintf(q.token_serial, sizeof(q.token_serial), "%s",
			    ti[i].serial);
			snprintf(uri, sizeof(uri), "pkcs11:model=SoftHSM%%20v2;"
			    "token=airca;serial=%s", ti[i].serial);
		}
	CHECK(found);
	free(ti);

	/* by serial and by URI too */
	q.token_label[0] = '\0';
	CHECK(token_open(&q, &tok) == 0);
	token_close(tok);
	tok = NULL;
	q.token_serial[0] = '\0';
	snprintf(q.token_uri, sizeof(q.token_uri), "%s", uri);
	CHECK(token_open(&q, &tok) == 0);
	token_close(tok);
	tok = NULL;
	snprintf(q.token_uri, sizeof(q.token_uri), "pkcs11:token=airca?"
	    "pin-value=1234");
	CHECK_ERR(token_open(&q, &tok), AIRCA_ERR_INPUT, "carries a PIN");
	q = p;
	snprintf(q.token_label, sizeof(q.token_label), "nosuch");
	CHECK_ERR(token_open(&q, &tok), AIRCA_ERR_NOTFOUND,
	    "no token labelled 'nosuch' in module " MODULE ": found tokens "
	    "'airca'");
	snprintf(q.module, sizeof(q.module), "/nonexistent/module.so");
	CHECK_ERR(token_open(&q, &tok), AIRCA_ERR_TOKEN,
	    "cannot load PKCS#11 module /nonexistent/module.so");

	CHECK(token_open(&p, &tok) == 0);
	if (tok == NULL)
		return;
	CHECK_STR(token_info(tok)->label, "airca");
	CHECK(!token_logged_in(tok));
	CHECK_ERR(token_login(tok, "0000", 4), AIRCA_ERR_LOGIN,
	    "wrong user PIN for token 'airca'");
	CHECK(!token_logged_in(tok));
	CHECK_ERR(token_generate(tok, KEY_EC_P256, "x", &other, NULL),
	    AIRCA_ERR_LOGIN, "log in");
	/* a PIN that is not NUL-terminated: only len bytes count */
	CHECK(token_login(tok, "1234XXXX", 4) == 0);
	/* login through libp11 shows on airca's own raw session */
	CHECK(token_logged_in(tok));
	CHECK(token_random(tok, rnd, sizeof(rnd)) == 0);

	for (k = 0; k < 3; k++) {
		CHECK(token_generate(tok, types[k], labels[k], &pub[k],
		    &info[k]) == 0);
		if (pub[k] == NULL)
			continue;
		check_attrs(tok, labels[k]);
		CHECK(info[k].type == types[k]);
		CHECK(info[k].id_len == 16);
		CHECK(info[k].has_private && info[k].has_public &&
		    !info[k].has_cert);
		CHECK_STR(info[k].label, labels[k]);
		/* the public key object gives the same key */
		CHECK(token_public_key(tok, labels[k], &other) == 0);
		CHECK(other != NULL && EVP_PKEY_eq(other, pub[k]) == 1);
		EVP_PKEY_free(other);
		other = NULL;
		/* sign through the token, verify on the host */
		CHECK(token_signing_key(tok, labels[k], &sk[k]) == 0);
		if (sk[k] == NULL)
			continue;
		x = make_cert(pub[k], sk[k], mds[k]);
		CHECK(x != NULL);
		CHECK(x != NULL && X509_verify(x, pub[k]) == 1);
		X509_free(x);
		x = NULL;
	}
	memcpy(spki, info[2].spki_sha256, sizeof(spki));
	CHECK(info[0].id_len == info[1].id_len &&
	    memcmp(info[0].id, info[1].id, info[0].id_len) != 0);

	/* label reuse is refused before anything is generated */
	CHECK_ERR(token_generate(tok, KEY_EC_P256, "k-p256", &other, NULL),
	    AIRCA_ERR_EXISTS, "already holds an object labelled 'k-p256'");
	CHECK(token_label_exists(tok, "k-p256", &exists) == 0 && exists);
	CHECK(token_label_exists(tok, "none", &exists) == 0 && !exists);
	CHECK_ERR(token_generate(tok, KEY_RSA_4096, "k-rsa4096", &other,
	    NULL), AIRCA_ERR_POLICY, "does not list rsa-4096");
	CHECK_ERR(token_generate(tok, KEY_EC_P256,
	    "0123456789abcdef0123456789abcdefX", &other, NULL),
	    AIRCA_ERR_USAGE, "1..32 printable bytes");
	CHECK_ERR(token_signing_key(tok, "none", &other), AIRCA_ERR_NOTFOUND,
	    "no private key labelled 'none'");

	/* one token per process: a second libp11 context would log us out */
	CHECK_ERR(token_open(&p, &tok2), AIRCA_ERR_STATE, "open already");
	CHECK(token_logged_in(tok));
	CHECK_ERR(token_list(MODULE, &ti, &n), AIRCA_ERR_STATE, "open already");

	/* the EVP_PKEY survives libp11's re-enumeration after new keys */
	if (sk[0] != NULL && pub[0] != NULL) {
		CHECK(token_signing_key(tok, "k-p384", &other) == 0);
		EVP_PKEY_free(other);
		other = NULL;
		x = make_cert(pub[0], sk[0], EVP_sha256());
		CHECK(x != NULL && X509_verify(x, pub[0]) == 1);
		/* store it under the key's CKA_ID */
		CHECK(x != NULL && token_store_cert(tok, "k-p256", x) == 0);
		CHECK_ERR(token_store_cert(tok, "k-p256", x), AIRCA_ERR_EXISTS,
		    "already holds a certificate");
		CHECK_ERR(token_store_cert(tok, "k-p384", x), AIRCA_ERR_CRYPTO,
		    "not key 'k-p384'");
		X509_free(x);
		x = NULL;
	}
	CHECK(token_keys(tok, &keys, &n) == 0);
	CHECK(n == 3);
	found = false;
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].label, "k-p256") != 0)
			continue;
		found = true;
		CHECK(keys[i].has_cert && keys[i].has_private &&
		    keys[i].has_public);
		CHECK(keys[i].id_len == info[0].id_len &&
		    memcmp(keys[i].id, info[0].id, info[0].id_len) == 0);
		CHECK(keys[i].type == KEY_EC_P256);
		CHECK_STR(keys[i].spki_sha256, info[0].spki_sha256);
	}
	CHECK(found);
	free(keys);
	keys = NULL;
	for (k = 0; k < 3; k++)
		EVP_PKEY_free(sk[k]);
	token_close(tok);
	tok = NULL;

	/* before login: public objects only, private keys invisible */
	CHECK(token_open(&p, &tok) == 0);
	CHECK(tok != NULL && token_keys(tok, &keys, &n) == 0);
	CHECK(n == 3);
	for (i = 0; i < n && keys != NULL; i++) {
		CHECK(!keys[i].has_private);
		if (strcmp(keys[i].label, "k-rsa3072") == 0) {
			CHECK(keys[i].type == KEY_RSA_3072);
			CHECK_STR(keys[i].spki_sha256, spki);
		}
	}
	free(keys);
	keys = NULL;
	CHECK_ERR(token_signing_key(tok, "k-p256", &other), AIRCA_ERR_LOGIN,
	    "log in");
	token_close(tok);
	tok = NULL;
	for (k = 0; k < 3; k++)
		EVP_PKEY_free(pub[k]);

	/* the host RNG makes the CKA_ID when the profile says no_rng */
	q = p;
	q.no_rng = true;
	q.id_len = 2;
	CHECK(token_open(&q, &tok2) == 0);
	CHECK(tok2 != NULL && token_login(tok2, "1234", 4) == 0);
	CHECK(tok2 != NULL && token_generate(tok2, KEY_EC_P256, "k-norng",
	    &other, &info[2]) == 0);
	CHECK(info[2].id_len == 2);
	EVP_PKEY_free(other);
	other = NULL;
	token_close(tok2);
	tok2 = NULL;

	/* two tokens labelled alike: refuse to guess */
	CHECK(init_token("airca") == 0);
	CHECK_ERR(token_open(&p, &tok), AIRCA_ERR_TOKEN,
	    "several tokens labelled 'airca'");
	token_close(tok);
}

/* Every code of the table is a sentence with its name; unknown codes too. */
static void
test_ckr_text(void)
{
	const struct token_ckr *t;
	char buf[400], want[64];
	size_t n, i, j;

	t = token_ckr_table(&n);
	CHECK(n >= 80);
	for (i = 0; i < n; i++) {
		token_ckr_text(t[i].rv, buf, sizeof(buf));
		snprintf(want, sizeof(want), " (%s)", t[i].name);
		CHECK(strncmp(t[i].name, "CKR_", 4) == 0);
		CHECK(strlen(t[i].text) >= 10);
		/* a sentence: words first, the code's name last, no bare number */
		CHECK(strlen(buf) > strlen(want) &&
		    strcmp(buf + strlen(buf) - strlen(want), want) == 0);
		CHECK(strstr(buf, "0x") == NULL);
		for (j = 0; j < i; j++)
			CHECK(t[j].rv != t[i].rv);
	}
	token_ckr_text(0x32, buf, sizeof(buf));
	CHECK_STR(buf, "the token was removed or stopped answering "
	    "(CKR_DEVICE_REMOVED)");
	token_ckr_text(0x80000042UL, buf, sizeof(buf));
	CHECK(strstr(buf, "code 0x80000042") != NULL);
	CHECK(strstr(buf, "vendor") != NULL);
	token_ckr_text(0x7777, buf, sizeof(buf));
	CHECK(strstr(buf, "code 0x7777") != NULL);
	CHECK(strncmp(buf, "the token failed with an error airca does not "
	    "know", 49) == 0);
	/* cut short, still terminated */
	token_ckr_text(0x32, buf, 8);
	CHECK(strlen(buf) == 7);
}

#define PROFILE_CUSTODY \
	"[hsm]\nname = test\nmodule = " MODULE "\n" \
	"[token]\nlabel = custody\n" \
	"[keys]\ngenerate = ec-p256\nwrap_with_trusted = yes\n"

/* Key custody against SoftHSM: what the token itself enforces. */
static void
test_custody(void)
{
	struct hsm_profile p;
	struct token *tok = NULL;
	struct key_attrs a;
	struct secret_attrs sa;
	EVP_PKEY *pub = NULL, *pub2 = NULL, *sk = NULL;
	unsigned char key[32], *blob = NULL;
	size_t blen = 0;
	char cmd[600];

	CHECK(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n", &p) ==
	    0);
	CHECK(!p.wrap_with_trusted);	/* unknown tokens: no custody */
	CHECK(load_text(PROFILE_CUSTODY, &p) == 0);
	CHECK(p.wrap_with_trusted);
	CHECK_ERR(load_text("[hsm]\nmodule = /x.so\n[token]\nlabel = a\n"
	    "[keys]\nwrap_with_trusted = maybe\n", &p), AIRCA_ERR_INPUT,
	    "wrap_with_trusted must be yes or no");
	CHECK(load_text(PROFILE_CUSTODY, &p) == 0);
	CHECK(init_token("custody") == 0);
	/* a wrapping key any user can make: not trusted */
	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module " MODULE " "
	    "--token-label custody --login --pin 1234 --keygen --key-type "
	    "AES:32 --label untrusted --usage-wrap >/dev/null 2>&1");
	CHECK(system(cmd) == 0);
	CHECK(token_open(&p, &tok) == 0);
	if (tok == NULL)
		return;
	CHECK(RAND_bytes(key, sizeof(key)) == 1);
	CHECK_ERR(token_custody_import(tok, "airca-custody", key, sizeof(key)),
	    AIRCA_ERR_LOGIN, "only the security officer can mark a key "
	    "trusted");
	CHECK_ERR(token_so_login(tok, "0000", 4), AIRCA_ERR_LOGIN,
	    "wrong SO PIN for token 'custody'");
	CHECK(token_so_login(tok, "5678", 4) == 0);
	CHECK(token_custody_import(tok, "airca-custody", key, sizeof(key)) ==
	    0);
	CHECK_ERR(token_custody_import(tok, "airca-custody", key, sizeof(key)),
	    AIRCA_ERR_EXISTS, "already holds an object labelled "
	    "'airca-custody'");
	token_so_logout(tok);
	explicit_bzero(key, sizeof(key));
	CHECK(token_secret_attrs(tok, "airca-custody", &sa) == 0);
	CHECK(sa.trusted && sa.wrap && !sa.unwrap && !sa.encrypt &&
	    !sa.decrypt && sa.sensitive && !sa.extractable && !sa.modifiable);
	CHECK(sa.value_len == 32);
	CHECK(token_secret_attrs(tok, "untrusted", &sa) == 0);
	CHECK(!sa.trusted && sa.wrap);

	CHECK(token_login(tok, "1234", 4) == 0);
	/* K-of-N: extractable only wrapped under a trusted key */
	token_set_custody(tok, true);
	CHECK(token_generate(tok, KEY_EC_P256, "wwt", &pub, NULL) == 0);
	CHECK(token_key_attrs(tok, "wwt", &a) == 0);
	CHECK(a.sensitive && a.extractable && a.wrap_with_trusted);
	CHECK(a.local && a.always_sensitive && !a.never_extractable);
	CHECK(token_signing_key(tok, "wwt", &sk) == 0);
	EVP_PKEY_free(sk);
	sk = NULL;
	/* SoftHSM enforces it: C_WrapKey under an untrusted key is refused */
	CHECK_ERR(token_custody_wrap(tok, "untrusted", "wwt", &blob, &blen),
	    AIRCA_ERR_KEYATTR, "refuses to wrap key 'wwt' under 'untrusted' "
	    "(CKR_KEY_NOT_WRAPPABLE)");
	CHECK(blob == NULL);
	CHECK(token_custody_wrap(tok, "airca-custody", "wwt", &blob, &blen) ==
	    0);
	CHECK(blob != NULL && blen > 64 && blen < 1024);
	free(blob);
	blob = NULL;

	/* key policy none: never extractable, and such a key never leaves */
	token_set_custody(tok, false);
	CHECK_ERR(token_signing_key(tok, "wwt", &sk), AIRCA_ERR_KEYATTR,
	    "EXTRACTABLE");
	CHECK(token_generate(tok, KEY_EC_P256, "never", &pub2, NULL) == 0);
	check_attrs(tok, "never");
	CHECK_ERR(token_custody_wrap(tok, "airca-custody", "never", &blob,
	    &blen), AIRCA_ERR_KEYATTR, "CKR_KEY_UNEXTRACTABLE");
	CHECK(blob == NULL);
	/* the user may not mark a key trusted: the SO logs in only alone */
	CHECK_ERR(token_so_login(tok, "5678", 4), AIRCA_ERR_STATE,
	    "the user is logged in");
	EVP_PKEY_free(pub);
	EVP_PKEY_free(pub2);
	token_close(tok);
}

int
main(void)
{
	char conf[600], tokens[512], cmd[600];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	mkdir(tokens, 0700);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	{
		char text[800];

		snprintf(text, sizeof(text), "directories.tokendir = %s\n"
		    "objectstore.backend = file\nlog.level = ERROR\n"
		    "slots.removable = false\n", tokens);
		write_file(conf, text);
	}
	setenv("SOFTHSM2_CONF", conf, 1);

	test_ckr_text();
	test_profile();
	test_token();
	test_custody();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
