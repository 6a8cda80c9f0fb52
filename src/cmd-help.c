/* cmd-help.c: airca help [COMMAND...]: every command, a group's, or one command's usage, from the table. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "error.h"

void
cmd_help_all(FILE *f)
{
	int i;

	fprintf(f, "usage: airca [--home DIR] [--hsm PROFILE] [--pin-env VAR | "
	    "--pin-file F]\n"
	    "             [--pin-share-file F ...] [--so-pin-env VAR | "
	    "--so-pin-file F]\n"
	    "             [--actor NAME] [--json] [--quiet] COMMAND "
	    "[options]\n\n"
	    "commands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-18s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	fprintf(f, "\n'airca help COMMAND' or 'airca COMMAND --help' for one "
	    "command's options.\n");
	fprintf(f, "\nexit status: 0 success, 1 error, 2 usage, 3 some inputs "
	    "rejected, 4 token error,\n             5 journal verification "
	    "failed.  See airca(1).\n");
}

int
cmd_help_group(FILE *f, int argc, char *const *argv)
{
	char usage[512];
	const char *name;
	size_t len;
	int i, k, n = 0;

	for (i = 0; cmd_table[i] != NULL; i++) {
		name = cmd_table[i]->name;
		for (k = 0; k < argc; k++) {
			len = strlen(argv[k]);
			if (strncmp(name, argv[k], len) != 0 ||
			    (name[len] != ' ' && name[len] != '\0'))
				break;
			name += len + (name[len] == ' ');
		}
		if (k < argc || *name == '\0')
			continue;
		if (n++ == 0 && f != NULL)
			fprintf(f, "commands:\n");
		if (f == NULL)
			continue;
		cmd_usage_line(cmd_table[i], usage, sizeof(usage));
		fprintf(f, "  airca %s %s\n      %s\n", cmd_table[i]->name,
		    usage, cmd_table[i]->summary);
	}
	return n;
}

struct group {
	int	argc;
	char	**argv;
	int	n;
};

static void
help_all(FILE *f, const void *arg)
{
	(void)arg;
	cmd_help_all(f);
}

static void
help_entry(FILE *f, const void *arg)
{
	cmd_help(arg, f);
}

static void
help_group(FILE *f, const void *arg)
{
	struct group *g = (struct group *)arg;

	g->n = cmd_help_group(f, g->argc, g->argv);
}

static int
cmd_help_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	const struct cmd_entry *e;
	char *words[ARGS_MAX];
	struct group g;
	int i, nwords;

	(void)ca;
	if (a->npos == 0) {
		cmd_help_print(ctx->out, help_all, NULL);
		return 0;
	}
	for (i = 0; i < a->npos; i++)
		words[i] = (char *)a->pos[i];
	if ((e = cmd_find(a->npos, words, &nwords)) != NULL &&
	    nwords == a->npos) {
		cmd_help_print(ctx->out, help_entry, e);
		return 0;
	}
	g.argc = a->npos;
	g.argv = words;
	g.n = 0;
	if (cmd_help_group(NULL, a->npos, words) > 0) {
		cmd_help_print(ctx->out, help_group, &g);
		return 0;
	}
	return airca_errf(AIRCA_ERR_USAGE, "no command '%s%s%s' (see 'airca "
	    "help')", words[0], a->npos > 1 ? " " : "",
	    a->npos > 1 ? words[1] : "");
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.summary = "every command, or one command's usage and options",
	.args = { .pos_type = ARGS_NAME, .pos_meta = "COMMAND",
	    .pos_min = 0, .pos_max = 4 },
	.flags = CMD_NO_CEREMONY,
	.exec = cmd_help_exec,
};
