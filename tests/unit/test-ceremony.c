/* test-ceremony.c: the ceremony script parser: good scripts, each strictness error with its line, the shipped scripts. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ceremony.h"
#include "cmd.h"
#include "check.h"
#include "error.h"
#include "media.h"

/*
 * A fixed table, so these tests do not move when commands are added: each
 * stub declares the options the scripts below use, as plain strings.
 */
static int stub_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	(void)ctx; (void)ca; (void)a;
	return 0;
}

static const struct args_opt stub_opts[] = {
	{ "label",   ARGS_STRING, "L",	 0, 0, 0, NULL },
	{ "profile", ARGS_STRING, "P",	 0, 0, 0, NULL },
	{ "user-id", ARGS_STRING, "UID", 0, 0, 0, NULL },
	{ "factory", ARGS_STRING, "F",	 0, 0, 0, NULL },
	{ "ca",	     ARGS_STRING, "L",	 0, 0, 0, NULL },
	{ "in",	     ARGS_STRING, "F",	 0, 0, 0, NULL },
	{ "out",     ARGS_STRING, "D",	 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

#define STUB(n)	{ .name = n, .args = { .opts = stub_opts }, .exec = stub_exec }
static const struct cmd_entry stub_entries[] = {
	STUB("init"),
	STUB("device-ca create"),
	STUB("api sign"),
	STUB("sign"),
	STUB("journal seal"),
	STUB("ceremony run"),
};

static const struct cmd_entry *
stub_find(int argc, char *const *argv, int *nwordsp)
{
	const struct cmd_entry *best = NULL;
	size_t i;
	int k, bestk = 0;

	for (i = 0; i < sizeof(stub_entries) / sizeof(stub_entries[0]); i++) {
		const char *p = stub_entries[i].name;
		size_t len;

		for (k = 0; *p != '\0' && k < argc; k++) {
			len = strcspn(p, " ");
			if (strlen(argv[k]) != len ||
			    strncmp(argv[k], p, len) != 0)
				break;
			p += len;
			if (*p == ' ')
				p++;
		}
		if (*p == '\0' && k > bestk) {
			best = &stub_entries[i];
			bestk = k;
		}
	}
	*nwordsp = bestk;
	return best;
}

#define HEAD	"airca-ceremony 1\ntitle: Test\nroles: officer 2, witness 1\n"
#define SEAL(n)	"step " #n " seal by witness\n  say: Seal it.\n"

static const char good[] =
    "airca-ceremony 1\n"
    "# a comment\n"
    "title: Create a local device CA\n"
    "roles: officer 2, witness 1\n"
    "param user-id: The owner's user id\n"
    "param usb path: Where the stick is mounted\n"
    "param note text: Anything\n"
    "\n"
    "step 1 confirm-clock by witness\n"
    "  say: The witness reads the time\n"
    "  say: from the reference clock.\n"
    "step 2 check-airgap by officer\n"
    "\tsay: No network.\n"
    "step 3 confirm-script by witness\n"
    "  say: Compare {note}.\n"
    "step 4 insert-media {usb} by officer\n"
    "  say: Insert.\n"
    "step 5 show-fingerprint {usb}/a.csr {usb}/b.csr by officer\n"
    "  say: Read aloud.\n"
    "step 6   run   device-ca create --user-id {user-id} --label x-{user-id} by officer\n"
    "  say: Create it.\n"
    "step 7 seal by witness\n"
    "  say: Seal it.";		/* no final newline: accepted */

static struct ceremony *
parse(const char *text)
{
	struct ceremony *c = NULL;

	if (ceremony_parse("t.ceremony", (const unsigned char *)text,
	    strlen(text), stub_find, &c) != 0) {
		fprintf(stderr, "unexpected: %s\n", airca_errmsg());
		return NULL;
	}
	return c;
}

static int
parse_err(const char *text)
{
	struct ceremony *c = NULL;
	int r;

	r = ceremony_parse("t.ceremony", (const unsigned char *)text,
	    strlen(text), stub_find, &c);
	ceremony_free(c);
	return r;
}

#define BAD(text, needle) \
	CHECK_ERR(parse_err(text), AIRCA_ERR_INPUT, needle)

static void
test_good(void)
{
	struct ceremony *c;
	char **argv = NULL, buf[256];
	int argc = 0;

	if ((c = parse(good)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_STR(c->title, "Create a local device CA");
	CHECK(c->nroles == 2 && c->roles[0].count == 2 &&
	    strcmp(c->roles[1].name, "witness") == 0);
	CHECK(c->nparams == 3 && c->params[1].kind == PARAM_PATH);
	CHECK(c->nsteps == 7);
	CHECK_STR(c->steps[0].say, "The witness reads the time from the "
	    "reference clock.");
	CHECK(c->steps[5].kind == CEREMONY_RUN && c->steps[5].nwords == 2);
	CHECK_STR(c->steps[5].cmd->name, "device-ca create");
	CHECK(c->steps[4].nargs == 2);
	CHECK(strlen(c->sha256) == 64);

	/* parameters */
	CHECK(ceremony_params_complete(c) == AIRCA_ERR_USAGE);
	CHECK_ERR(ceremony_set_param(c, "nope=1"), AIRCA_ERR_USAGE,
	    "no such parameter");
	CHECK_ERR(ceremony_set_param(c, "user-id"), AIRCA_ERR_USAGE,
	    "NAME=VALUE");
	CHECK_ERR(ceremony_set_param(c, "user-id=a b"), AIRCA_ERR_USAGE,
	    "not a word");
	CHECK_ERR(ceremony_set_param(c, "user-id=--pin-env=X"),
	    AIRCA_ERR_USAGE, "starts with '-'");
	CHECK_ERR(ceremony_set_param(c, "user-id="), AIRCA_ERR_USAGE, "empty");
	CHECK_ERR(ceremony_set_param(c, "usb=/media/../etc"), AIRCA_ERR_USAGE,
	    "'..'");
	CHECK_ERR(ceremony_set_param(c, "usb=/media/my stick"), AIRCA_ERR_USAGE,
	    "space");
	CHECK_ERR(ceremony_set_param(c, "note=a\tb"), AIRCA_ERR_USAGE,
	    "control");
	CHECK(ceremony_set_param(c, "user-id=alice.1") == 0);
	CHECK_ERR(ceremony_set_param(c, "user-id=bob"), AIRCA_ERR_USAGE,
	    "twice");
	CHECK(ceremony_set_param(c, "usb=/media/usb") == 0);
	CHECK(ceremony_set_param(c, "note=the paper copy") == 0);
	CHECK(ceremony_params_complete(c) == 0);
	CHECK(ceremony_expand(c, c->steps[2].say, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "Compare the paper copy.");
	CHECK(ceremony_expand(c, "{usb}/x{none}", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/media/usb/x{none}");
	CHECK_ERR(ceremony_expand(c, "{note}{note}", buf, 20), AIRCA_ERR_INPUT,
	    "too long");
	CHECK(ceremony_step_argv(c, &c->steps[5], &argv, &argc) == 0);
	CHECK(argc == 6 && argv != NULL && argv[6] == NULL);
	if (argv != NULL) {
		CHECK_STR(argv[0], "device-ca");
		CHECK_STR(argv[3], "alice.1");
		CHECK_STR(argv[5], "x-alice.1");
	}
	ceremony_argv_free(argv);
	ceremony_free(c);
}

static void
test_strict(void)
{
	char *big;
	size_t len;

	/* the magic line */
	BAD("", "t.ceremony:1: empty file");
	BAD("# comment first\n", "t.ceremony:1: not a ceremony script");
	BAD("airca-ceremony\n", "t.ceremony:1: not a ceremony script");
	BAD("airca-ceremony 2\n", "t.ceremony:1: script format version 2");
	BAD("airca-ceremony 1 x\n", "t.ceremony:1: not a ceremony script");
	/* header */
	BAD(HEAD "color: red\n", "t.ceremony:4: unknown key 'color'");
	BAD(HEAD "foo bar\n", "t.ceremony:4: unknown key 'foo'");
	BAD(HEAD "title: again\n", "t.ceremony:4: second 'title:' (the first "
	    "is on line 2)");
	BAD("airca-ceremony 1\ntitle:\n", "t.ceremony:2: 'title:' is empty");
	BAD("airca-ceremony 1\nroles: officer\n", "t.ceremony:2: each role");
	BAD("airca-ceremony 1\nroles: officer 2,\n", "t.ceremony:2: each role");
	BAD("airca-ceremony 1\nroles: officer 0\n", "t.ceremony:2: role "
	    "officer: count");
	BAD("airca-ceremony 1\nroles: officer 2, officer 1\n",
	    "t.ceremony:2: role 'officer' named twice");
	BAD("airca-ceremony 1\nroles: Officer 2\n", "t.ceremony:2: role name");
	BAD(HEAD "param x y z: d\n", "t.ceremony:4: want 'param NAME");
	BAD(HEAD "param x blob: d\n", "t.ceremony:4: parameter x: unknown kind");
	BAD(HEAD "param x:\n", "t.ceremony:4: parameter x: say what it is");
	BAD(HEAD "param x: a\nparam x: b\n", "t.ceremony:5: parameter 'x' "
	    "declared twice");
	BAD(HEAD "param unused: d\n" SEAL(1), "t.ceremony:4: parameter "
	    "'unused' is never used");
	BAD("airca-ceremony 1\nroles: officer 1\nstep 1 seal by officer\n",
	    "t.ceremony:3: 'title:' and 'roles:' come before");
	BAD(HEAD, "t.ceremony:3: no steps");
	BAD("airca-ceremony 1\ntitle: x\n", "t.ceremony:2: no 'roles:'");
	/* steps */
	BAD(HEAD "step 2 seal by witness\n", "t.ceremony:4: step 2 where step 1");
	BAD(HEAD "step 1 confirm-clock by witness\n  say: a\nstep 1 seal by "
	    "witness\n", "t.ceremony:6: step 1 where step 2");
	BAD(HEAD "step 01 seal by witness\n", "t.ceremony:4: step number");
	BAD(HEAD "step x seal by witness\n", "t.ceremony:4: step number");
	BAD(HEAD "step 1 dance by witness\n", "t.ceremony:4: unknown step kind "
	    "'dance'");
	BAD(HEAD "step 1 seal\n", "t.ceremony:4: step 1: the line must end "
	    "with 'by ROLE'");
	BAD(HEAD "step 1 seal by auditor\n", "t.ceremony:4: step 1: role "
	    "'auditor' is not in 'roles:'");
	BAD(HEAD "step 1 seal now by witness\n", "t.ceremony:4: step 1: seal "
	    "takes no arguments ('now' is extra)");
	BAD(HEAD "step 1 seal by witness by officer\n", "t.ceremony:4: step 1: "
	    "'by' twice");
	BAD(HEAD "step 1 confirm-clock by witness\nstep 2 seal by witness\n"
	    "  say: x\n", "t.ceremony:4: step 1 has no 'say:'");
	BAD(HEAD "step 1 confirm-clock by witness\n  say: a\n",
	    "t.ceremony:4: a ceremony ends with exactly one 'seal'");
	BAD(HEAD SEAL(1) SEAL(2), "exactly one 'seal'");
	BAD(HEAD "  say: stray\n", "t.ceremony:4: indented line outside a step");
	BAD(HEAD SEAL(1) "  note: x\n", "t.ceremony:6: unknown step key 'note'");
	BAD(HEAD SEAL(1) "  say:\n", "t.ceremony:6: 'say:' is empty");
	BAD(HEAD SEAL(1) "  just text\n", "t.ceremony:6: want 'say: TEXT'");
	BAD(HEAD SEAL(1) "title: late\n", "t.ceremony:6: 'title:' after the "
	    "first step");
	BAD(HEAD "step 1 insert-media by officer\n", "t.ceremony:4: step 1: "
	    "insert-media takes one path");
	BAD(HEAD "step 1 show-fingerprint by officer\n", "t.ceremony:4: step 1: "
	    "show-fingerprint takes 1 to 8");
	BAD(HEAD "step 1 run by officer\n", "t.ceremony:4: step 1: run needs");
	/* run: exact command names, no token or home options */
	BAD(HEAD "step 1 run device-ca crate --user-id x by officer\n",
	    "t.ceremony:4: 'device-ca crate' is not an airca command");
	BAD(HEAD "step 1 run devices-ca create by officer\n",
	    "is not an airca command");
	BAD(HEAD "step 1 run sign extra --profile tls by officer\n",
	    "t.ceremony:4: after 'run sign' comes 'extra'");
	BAD(HEAD "step 1 run sign --pin-env X by officer\n", "t.ceremony:4: "
	    "'--pin-env': a script names no module");
	BAD(HEAD "step 1 run sign --pin-file=/x by officer\n", "names no module");
	BAD(HEAD "step 1 run sign --hsm softhsm2 by officer\n", "names no module");
	BAD(HEAD "step 1 run sign --home /tmp by officer\n", "names no module");
	BAD(HEAD "step 1 run sign --module /x.so by officer\n",
	    "names no module");
	BAD(HEAD "step 1 run journal seal by witness\n", "use a 'seal' step");
	BAD(HEAD "step 1 run ceremony run x by witness\n", "not allowed in a "
	    "ceremony");
	BAD(HEAD "param c: d\nstep 1 run {c} --x by officer\n",
	    "t.ceremony:5: the command's name cannot be a parameter");
	/* placeholders */
	BAD(HEAD SEAL(1) "  say: {nope}\n", "t.ceremony:6: {nope}: no such "
	    "parameter");
	BAD(HEAD SEAL(1) "  say: {open\n", "t.ceremony:6: '{' without '}'");
	BAD(HEAD SEAL(1) "  say: close}\n", "t.ceremony:6: '}' without '{'");
	BAD("airca-ceremony 1\ntitle: {x}\n", "t.ceremony:2: braces in the title");
	/* bytes */
	BAD(HEAD "title\r\n", "t.ceremony:4: carriage return");
	BAD(HEAD SEAL(1) "  say: a\tb\n", "t.ceremony:6: tab inside a line");
	BAD(HEAD SEAL(1) "  say: bell\a\n", "t.ceremony:6: control character");
	BAD(HEAD SEAL(1) "  say: \xc3\x28\n", "t.ceremony:6: control character "
	    "or invalid UTF-8");
	BAD(HEAD SEAL(1) "  say: \xc2\x85 (C1)\n", "invalid UTF-8");
	CHECK(parse_err(HEAD SEAL(1) "  say: caf\xc3\xa9 ok\n") == 0);
	CHECK_ERR(ceremony_parse("t.ceremony", (const unsigned char *)
	    HEAD "x\0y\n", sizeof(HEAD) + 3, stub_find, &(struct ceremony *){
	    NULL }), AIRCA_ERR_INPUT, "t.ceremony:4: NUL byte");
	if ((big = calloc(1, sizeof(HEAD SEAL(1)) + CEREMONY_MAX_LINE + 16)) != NULL) {
		len = (size_t)sprintf(big, "%s  say: ", HEAD SEAL(1));
		memset(big + len, 'a', CEREMONY_MAX_LINE);
		BAD(big, "t.ceremony:6: line longer than");
		free(big);
	}
	if ((big = calloc(1, MEDIA_MAX_CONF + 2)) != NULL) {
		memset(big, '#', MEDIA_MAX_CONF + 1);
		CHECK_ERR(ceremony_parse("t.ceremony", (unsigned char *)big,
		    MEDIA_MAX_CONF + 1, stub_find, &(struct ceremony *){ NULL }),
		    AIRCA_ERR_UNSAFE, "larger than");
		free(big);
	}
}

/* Commands another branch is adding: a shipped script may use them early. */
static const char *const pending_cmds[] = {
	"batch sign", "device-ca revoke", "device-ca disable",
	"device-ca enable", NULL
};

/*
 * Every shipped script parses against the real command table (cmd_find).
 * A command that is not in the table yet is a clearly printed SKIP, only for
 * the commands listed above.
 */
static void
test_shipped(void)
{
	DIR *d;
	struct dirent *de;
	struct ceremony *c;
	char path[512];
	unsigned char *buf;
	size_t len, i, n = 0;
	int r;
	bool skip;

	if ((d = opendir("ceremony-scripts")) == NULL) {
		fprintf(stderr, "ceremony-scripts/: run from the top of the "
		    "tree\n");
		CHECK(0);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 10 || strcmp(de->d_name + len - 9, ".ceremony") != 0)
			continue;
		snprintf(path, sizeof(path), "ceremony-scripts/%s", de->d_name);
		n++;
		c = NULL;
		buf = NULL;
		if ((r = media_read(path, MEDIA_MAX_CONF, &buf, &len)) == 0)
			r = ceremony_parse(path, buf, len, cmd_find, &c);
		free(buf);
		skip = false;
		if (r != 0 && strstr(airca_errmsg(), "is not an airca command"))
			for (i = 0; pending_cmds[i] != NULL; i++)
				if (strstr(airca_errmsg(), pending_cmds[i]))
					skip = true;
		if (skip)
			printf("SKIP %s: %s (command not in this build's "
			    "table yet)\n", path, airca_errmsg());
		else {
			if (r != 0)
				fprintf(stderr, "%s\n", airca_errmsg());
			CHECK(r == 0);
		}
		/* the shipped scripts follow the house rules */
		if (c != NULL) {
			bool clock = false, gap = false, script = false;

			for (i = 0; i < c->nsteps; i++) {
				clock |= c->steps[i].kind == CEREMONY_CONFIRM_CLOCK;
				gap |= c->steps[i].kind == CEREMONY_CHECK_AIRGAP;
				script |= c->steps[i].kind == CEREMONY_CONFIRM_SCRIPT;
			}
			CHECK(clock && gap && script);
			/* two officers first, a witness last; custody
			   ceremonies add their custodians in between */
			CHECK(c->nroles >= 2 && c->nroles <= 3 &&
			    strcmp(c->roles[0].name, "officer") == 0 &&
			    c->roles[0].count == 2 &&
			    strcmp(c->roles[c->nroles - 1].name, "witness") == 0 &&
			    (c->nroles == 2 || strcmp(c->roles[1].name,
			    "custodian") == 0));
		}
		ceremony_free(c);
	}
	closedir(d);
	CHECK(n >= 6);
}

int
main(void)
{
	test_good();
	test_strict();
	test_shipped();
	CHECK_DONE();
}
