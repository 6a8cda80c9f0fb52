/* fuzz-ceremony.c: libFuzzer harness for the ceremony script parser, parameters and run-step argv. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ceremony.h"
#include "cmd.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	return 0;
}

/* A fixed command table: the parser's lookup, not the commands, is fuzzed. */
static const struct cmd_entry fz_entries[] = {
	{ .name = "init", .exec_argv = fz_exec },
	{ .name = "device-ca create", .exec_argv = fz_exec },
	{ .name = "api sign", .exec_argv = fz_exec },
	{ .name = "batch sign", .exec_argv = fz_exec },
	{ .name = "journal seal", .exec_argv = fz_exec },
	{ .name = "ceremony run", .exec_argv = fz_exec },
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
