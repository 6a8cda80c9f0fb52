/* test-custody.c: the key policy, the K-of-N split and rebuild, the shares' text and its checksums, custody state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "check.h"
#include "custody.h"
#include "error.h"

static void
test_policy(void)
{
	struct custody_policy p;
	char buf[32];

	CHECK(custody_policy_parse("none", &p) == 0 && p.k == 0);
	CHECK(custody_policy_parse("2-of-3", &p) == 0 && p.k == 2 && p.n == 3);
	custody_policy_name(&p, buf, sizeof(buf));
	CHECK_STR(buf, "2-of-3");
	CHECK(custody_policy_parse("16-of-16", &p) == 0);
	CHECK_ERR(custody_policy_parse("1-of-3", &p), AIRCA_ERR_USAGE,
	    "2 <= K <= N <= 16");
	CHECK_ERR(custody_policy_parse("3-of-2", &p), AIRCA_ERR_USAGE, "K-of-N");
	CHECK_ERR(custody_policy_parse("2-of-17", &p), AIRCA_ERR_USAGE,
	    "<= 16");
	CHECK_ERR(custody_policy_parse("2of3", &p), AIRCA_ERR_USAGE,
	    "'none' or K-of-N");
	CHECK_ERR(custody_policy_parse("2-of-3x", &p), AIRCA_ERR_USAGE,
	    "K-of-N");
	CHECK_ERR(custody_policy_parse("-2-of-3", &p), AIRCA_ERR_USAGE,
	    "K-of-N");
}

/* Every K-subset of an N-split rebuilds the key; K-1 shares never do. */
static void
test_split(void)
{
	struct custody_share *sh, pick[5];
	unsigned char *key, *got, rnd[4 * CUSTODY_KEY_LEN], set[4] = { 1, 2, 3, 4 };
	unsigned m, i, c;
	char hex[9];

	CHECK((sh = secret_alloc(5 * sizeof(*sh))) != NULL);
	CHECK((key = secret_alloc(CUSTODY_KEY_LEN)) != NULL);
	CHECK((got = secret_alloc(CUSTODY_KEY_LEN)) != NULL);
	if (sh == NULL || key == NULL || got == NULL)
		return;
	CHECK(RAND_bytes(key, CUSTODY_KEY_LEN) == 1);
	CHECK(RAND_bytes(rnd, sizeof(rnd)) == 1);
	CHECK(custody_split(key, 3, 5, set, rnd, sh) == 0);
	custody_share_set(&sh[0], hex);
	CHECK_STR(hex, "01020304");
	for (i = 0; i < 5; i++) {
		CHECK(custody_share_x(&sh[i]) == i + 1);
		CHECK(custody_share_k(&sh[i]) == 3 && custody_share_n(&sh[i]) == 5);
	}
	for (m = 0; m < 32; m++) {
		for (c = 0, i = 0; i < 5; i++)
			if (m & (1u << i))
				pick[c++] = sh[i];
		if (c < 3) {
			if (c > 0)
				CHECK_ERR(custody_combine(pick, c, got),
				    AIRCA_ERR_INPUT, "of the 3 the custody key "
				    "needs");
			continue;
		}
		memset(got, 0, CUSTODY_KEY_LEN);
		CHECK(custody_combine(pick, c, got) == 0);
		CHECK(memcmp(got, key, CUSTODY_KEY_LEN) == 0);
	}
	/* a changed share rebuilds another key (the journal's hashes catch it first) */
	pick[0] = sh[0];
	pick[1] = sh[1];
	pick[2] = sh[2];
	pick[2].b[20] ^= 1;
	CHECK(custody_combine(pick, 3, got) == 0);
	CHECK(memcmp(got, key, CUSTODY_KEY_LEN) != 0);
	/* repeats and mixed sets */
	pick[2] = sh[0];
	CHECK_ERR(custody_combine(pick, 3, got), AIRCA_ERR_INPUT, "given twice");
	pick[2] = sh[2];
	pick[2].b[5] ^= 1;
	CHECK_ERR(custody_combine(pick, 3, got), AIRCA_ERR_INPUT,
	    "another custody set");
	secret_free(sh, 5 * sizeof(*sh));
	secret_free(key, CUSTODY_KEY_LEN);
	secret_free(got, CUSTODY_KEY_LEN);
}

/* The text round-trips; every single mistyped character of a line is caught by its checksum. */
static void
test_text(void)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	struct custody_share s, t;
	unsigned char key[CUSTODY_KEY_LEN], rnd[CUSTODY_KEY_LEN], set[4] = { 9 };
	unsigned char line[10];
	struct custody_share sh[2];
	char text[CUSTODY_TEXT_MAX], l2[64], *p, *nl, lower[CUSTODY_TEXT_MAX];
	size_t i, j, caught = 0, tried = 0;

	CHECK(RAND_bytes(key, sizeof(key)) == 1 && RAND_bytes(rnd,
	    sizeof(rnd)) == 1);
	CHECK(custody_split(key, 2, 2, set, rnd, sh) == 0);
	s = sh[1];
	CHECK(custody_share_text(&s, "bob", text, sizeof(text)) == 0);
	CHECK(strncmp(text, "airca custody share 2 of 2 (any 2 rebuild the key), "
	    "set 09000000, custodian bob\n", 78) == 0);
	CHECK(custody_share_parse(text, strlen(text), "t", &t) == 0);
	CHECK(memcmp(s.b, t.b, sizeof(s.b)) == 0);
	/* lower case, no blanks, no line numbers */
	for (i = 0, j = 0; text[i] != '\0'; i++)
		lower[j++] = (char)(text[i] >= 'A' && text[i] <= 'Z' ?
		    text[i] + 32 : text[i]);
	lower[j] = '\0';
	CHECK(custody_share_parse(lower, strlen(lower), "t", &t) == 0);
	CHECK(memcmp(s.b, t.b, sizeof(s.b)) == 0);
	/* line 2, every position, every other character */
	p = strchr(text, '\n') + 1;
	p = strchr(p, '\n') + 1;
	nl = strchr(p, '\n');
	for (i = 3; p + i < nl; i++) {
		if (p[i] == ' ')
			continue;
		for (j = 0; j < 32; j++) {
			if (b32[j] == p[i] || (p[i] == 'O' && b32[j] == 'O'))
				continue;
			snprintf(l2, sizeof(l2), "%.*s", (int)(nl - p), p);
			l2[i] = b32[j];
			tried++;
			if (custody_line_parse(l2, 2, line) == AIRCA_ERR_INPUT &&
			    strstr(airca_errmsg(), "line 2: the checksum does "
			    "not match") != NULL)
				caught++;
		}
	}
	/* 10 bits of checksum: a single substitution slips through ~1/1024 */
	CHECK(tried > 500);
	CHECK(caught * 100 >= tried * 99);
	snprintf(l2, sizeof(l2), "%.*s", (int)(nl - p), p);
	CHECK(custody_line_parse(l2, 2, line) == 0);
	CHECK_ERR(custody_line_parse(l2, 3, line), AIRCA_ERR_INPUT,
	    "this is line 2 of the share; type line 3");
	CHECK_ERR(custody_line_parse(l2 + 3, 3, line), AIRCA_ERR_INPUT,
	    "line 3: the checksum does not match");
	CHECK_ERR(custody_line_parse("2: ABCD", 2, line), AIRCA_ERR_INPUT,
	    "line 2: 4 characters");
	CHECK_ERR(custody_line_parse("2: ABCD EFGH IJKL MN9P  AA", 2, line),
	    AIRCA_ERR_INPUT, "'9' is not a share character");
	CHECK_ERR(custody_share_parse(text, 60, "t", &t), AIRCA_ERR_INPUT,
	    "0 share lines, not 4");
	explicit_bzero(text, sizeof(text));
}

static void
test_state(void)
{
	struct custody_state cs;
	const struct custody_holder *h;
	struct custody_share s;
	char sha[65], kc[65];
	json_t *d;

	memset(&cs, 0, sizeof(cs));
	memset(&s, 0, sizeof(s));
	s.b[0] = 1; s.b[1] = 2; s.b[2] = 3; s.b[3] = 2; s.b[4] = 0xab;
	custody_share_sha256(&s, sha);
	memset(kc, 'a', 64);
	kc[64] = '\0';
	d = json_pack("{s:s}", "factory", "acme");
	CHECK(custody_apply(&cs, "journal-open", d) == 0 && cs.pol.k == 0);
	json_decref(d);
	d = json_pack("{s:s}", "key-policy", "2-of-3");
	CHECK(custody_apply(&cs, "journal-open", d) == 0 && cs.pol.k == 2);
	json_decref(d);
	d = json_pack("{s:s,s:s,s:[{s:i,s:s,s:s},{s:i,s:s,s:s},{s:i,s:s,s:s}]}",
	    "set", "ab000000", "key-check", kc, "custodians", "share", 1,
	    "name", "alice", "share-sha256", kc, "share", 2, "name", "bob",
	    "share-sha256", sha, "share", 3, "name", "carol", "share-sha256",
	    kc);
	CHECK(custody_apply(&cs, "custody-created", d) == 0 && cs.created);
	CHECK_ERR(custody_apply(&cs, "custody-created", d), AIRCA_ERR_STATE,
	    "twice");
	json_decref(d);
	CHECK(custody_check_share(&cs, &s, &h) == 0 && strcmp(h->name, "bob") ==
	    0);
	s.b[20] ^= 1;
	CHECK_ERR(custody_check_share(&cs, &s, &h), AIRCA_ERR_POLICY,
	    "share 2 of set ab000000 does not match the SHA-256 the journal "
	    "records");
	s.b[4] = 0xac;
	CHECK_ERR(custody_check_share(&cs, &s, &h), AIRCA_ERR_POLICY,
	    "share 2 is a share of another custody set (set ac000000; this "
	    "home's set is ab000000)");
	d = json_pack("{s:{s:s}}", "token", "serial", "1234");
	CHECK(custody_apply(&cs, "custody-restored", d) == 0);
	CHECK_STR(cs.token_serial, "1234");
	json_decref(d);
	custody_state_free(&cs);
}

/* Quorum login: the PIN padded, split and rebuilt; its shares checked against pin-quorum-created. */
static void
test_pin_quorum(void)
{
	struct custody_state cs;
	const struct custody_holder *h;
	struct custody_share sh[3], pick[3];
	unsigned char secret[CUSTODY_KEY_LEN], back[CUSTODY_KEY_LEN];
	unsigned char pad[CUSTODY_KEY_LEN], rnd[CUSTODY_KEY_LEN];
	unsigned char set[CUSTODY_SET_ID_LEN] = { 0xcd, 0, 0, 1 };
	char pin[CUSTODY_PIN_MAX + 1], sha[3][65], text[CUSTODY_TEXT_MAX];
	char longpin[40];
	const char *head = "airca PIN share 2 of 3 (any 2 rebuild the user "
	    "PIN), set cd000001, holder erik\n";
	json_t *d;
	unsigned i;

	CHECK(RAND_bytes(pad, sizeof(pad)) == 1 &&
	    RAND_bytes(rnd, sizeof(rnd)) == 1);
	CHECK(custody_pin_encode("1234-test-pin", 13, pad, secret) == 0);
	CHECK(secret[0] == 13 && memcmp(secret + 1, "1234-test-pin", 13) == 0 &&
	    memcmp(secret + 14, pad, CUSTODY_KEY_LEN - 14) == 0);
	memset(longpin, 'x', 32);
	CHECK_ERR(custody_pin_encode(longpin, 32, pad, secret),
	    AIRCA_ERR_USAGE, "1 to 31");
	CHECK(custody_split(secret, 2, 3, set, rnd, sh) == 0);
	pick[0] = sh[2];
	pick[1] = sh[0];
	CHECK(custody_combine(pick, 2, back) == 0);
	CHECK(custody_pin_decode(back, pin, sizeof(pin)) == 0);
	CHECK_STR(pin, "1234-test-pin");
	CHECK(custody_pin_share_text(&sh[1], "erik", text, sizeof(text)) == 0);
	CHECK(strncmp(text, head, strlen(head)) == 0);
	CHECK(custody_share_parse(text, strlen(text), "t", &pick[0]) == 0 &&
	    memcmp(&pick[0], &sh[1], sizeof(pick[0])) == 0);
	memset(back, 0, sizeof(back));
	CHECK_ERR(custody_pin_decode(back, pin, sizeof(pin)), AIRCA_ERR_INPUT,
	    "do not rebuild a PIN");

	memset(&cs, 0, sizeof(cs));
	for (i = 0; i < 3; i++)
		custody_share_sha256(&sh[i], sha[i]);
	d = json_pack("{s:s,s:s,s:{s:s},s:[{s:i,s:s,s:s},{s:i,s:s,s:s},"
	    "{s:i,s:s,s:s}]}", "pin-policy", "2-of-3", "set", "cd000001",
	    "token", "serial", "42", "holders", "share", 1, "name", "dora",
	    "share-sha256", sha[0], "share", 2, "name", "erik", "share-sha256",
	    sha[1], "share", 3, "name", "fay", "share-sha256", sha[2]);
	CHECK(custody_event("pin-quorum-created"));
	CHECK(custody_apply(&cs, "pin-quorum-created", d) == 0 &&
	    cs.pin_pol.k == 2 && cs.npin_holders == 3);
	CHECK_STR(cs.pin_token, "42");
	CHECK_ERR(custody_apply(&cs, "pin-quorum-created", d), AIRCA_ERR_STATE,
	    "twice");
	json_decref(d);
	CHECK(custody_check_pin_share(&cs, &sh[1], &h) == 0 &&
	    strcmp(h->name, "erik") == 0);
	/* the same set, another split (the PIN split again): refused by its hash */
	CHECK(RAND_bytes(rnd, sizeof(rnd)) == 1);
	CHECK(custody_split(secret, 2, 3, set, rnd, pick) == 0);
	CHECK_ERR(custody_check_pin_share(&cs, &pick[1], &h), AIRCA_ERR_POLICY,
	    "PIN share 2 of set cd000001 does not match the SHA-256 the "
	    "journal records");
	/* a share of another set (a custody share, another home's PIN) */
	pick[1].b[4] = 0xce;
	CHECK_ERR(custody_check_pin_share(&cs, &pick[1], &h), AIRCA_ERR_POLICY,
	    "share 2 is not a share of this home's user PIN (set ce000001");
	custody_state_free(&cs);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(pin, sizeof(pin));
}

int
main(void)
{
	test_policy();
	test_split();
	test_text();
	test_state();
	test_pin_quorum();
	CHECK_DONE();
}
