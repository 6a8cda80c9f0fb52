/* fuzz-ceremony.c: libFuzzer harness for the ceremony script parser, parameters and run-step argv. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "ceremony.h"
#include "cmd.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	(void)ctx;
	(void)ca;
	(void)a;
	return 0;
}

/* The options the seeds' steps use, as plain strings: the parser is fuzzed. */
static const struct args_opt fz_opts[] = {
	{ "label",   ARGS_STRING, "L",	 0, 0, 0, NULL },
	{ "profile", ARGS_STRING, "P",	 0, 0, 0, NULL },
	{ "user-id", ARGS_STRING, "UID", 0, 0, 0, NULL },
	{ "factory", ARGS_STRING, "F",	 0, 0, 0, NULL },
	{ "ca",	     ARGS_STRING, "L",	 0, 0, 0, NULL },
	{ "in",	     ARGS_STRING, "F",	 0, 0, 0, NULL },
	{ "out",     ARGS_STRING, "D",	 0, 0, 0, NULL },
	{ "days",    ARGS_NUMBER, "N",	 0, 1, 36500, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* A fixed command table: the parser's lookup, not the commands, is fuzzed. */
#define FZ(n)	{ .name = n, .args = { .opts = fz_opts }, .exec = fz_exec }
static const struct cmd_entry fz_entries[] = {
	FZ("init"),
	FZ("device-ca create"),
	FZ("api sign"),
	FZ("batch sign"),
	FZ("journal seal"),
	FZ("ceremony run"),
};

static const struct cmd_entry *
fz_find(int argc, char *const *argv, int *nwordsp)
{
	const struct cmd_entry *best = NULL;
	size_t i, len;
	int k, bestk = 0;

	for (i = 0; i < sizeof(fz_entries) / sizeof(fz_entries[0]); i++) {
		const char *p = fz_entries[i].name;

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
			best = &fz_entries[i];
			bestk = k;
		}
	}
	*nwordsp = bestk;
	return best;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ceremony *c = NULL;
	char buf[1024], assign[CEREMONY_MAX_NAME + 16], **argv;
	size_t i;
	int argc;

	if (ceremony_parse("fuzz.ceremony", data, size, fz_find, &c) != 0)
		return 0;
	for (i = 0; i < c->nparams; i++) {
		snprintf(assign, sizeof(assign), "%s=v%zu", c->params[i].name, i);
		(void)ceremony_set_param(c, assign);
	}
	(void)ceremony_params_complete(c);
	for (i = 0; i < c->nsteps; i++) {
		(void)ceremony_expand(c, c->steps[i].say, buf, sizeof(buf));
		if (c->steps[i].kind == CEREMONY_RUN &&
		    ceremony_step_argv(c, &c->steps[i], &argv, &argc) == 0)
			ceremony_argv_free(argv);
	}
	ceremony_free(c);
	return 0;
}
