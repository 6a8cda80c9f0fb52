/* main.c: the airca CLI: global options, command lookup, exit statuses. */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <getopt.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"

static void
usage_all(FILE *f)
{
	int i;

	fprintf(f, "usage: airca [--home DIR] [--hsm PROFILE] [--pin-env VAR | "
	    "--pin-file F]\n"
	    "             [--actor NAME] [--json] [--quiet] COMMAND [options]\n\n"
	    "commands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-18s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	fprintf(f, "\nexit status: 0 success, 1 error, 2 usage, 3 some inputs "
	    "rejected, 4 token error,\n             5 journal verification "
	    "failed.  See airca(1).\n");
}

/* No core dumps: a dump could hold a PIN or a session handle. */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(022);
}

static const char *
login_name(void)
{
	const char *s;
	struct passwd *pw;

	if ((s = getenv("AIRCA_ACTOR")) != NULL && *s != '\0')
		return s;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_name;
	return "unknown";
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home",	required_argument, NULL, 'H' },
		{ "hsm",	required_argument, NULL, 'M' },
		{ "pin-env",	required_argument, NULL, 'e' },
		{ "pin-file",	required_argument, NULL, 'f' },
		{ "actor",	required_argument, NULL, 'a' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_ctx ctx;
	const struct cmd_entry *e;
	int ch, nwords, r;

	harden();
	setlocale(LC_ALL, "");
	memset(&ctx, 0, sizeof(ctx));
	ctx.home = getenv("AIRCA_HOME");
	ctx.hsm = getenv("AIRCA_HSM");

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			ctx.home = optarg;
			break;
		case 'M':
			ctx.hsm = optarg;
			break;
		case 'e':
			ctx.pin.env = optarg;
			break;
		case 'f':
			ctx.pin.file = optarg;
			break;
		case 'a':
			ctx.actor = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'q':
			ctx.quiet = true;
			break;
		case 'h':
			usage_all(stdout);
			return AIRCA_EXIT_OK;
		case 'V':
			printf("airca %s\n", AIRCA_VERSION);
			return AIRCA_EXIT_OK;
		default:
			usage_all(stderr);
			return AIRCA_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (ctx.actor == NULL)
		ctx.actor = login_name();
	if (argc == 0 || strcmp(argv[0], "help") == 0) {
		usage_all(argc == 0 ? stderr : stdout);
		return argc == 0 ? AIRCA_EXIT_USAGE : AIRCA_EXIT_OK;
	}
	if ((e = cmd_find(argc, argv, &nwords)) == NULL) {
		fprintf(stderr, "airca: unknown command '%s' (see airca help)\n",
		    argv[0]);
		return AIRCA_EXIT_USAGE;
	}
	airca_errclear();
	r = cmd_run(&ctx, argc, argv);
	if (r != 0) {
		const char *msg = airca_errmsg();

		fprintf(stderr, "airca %s: %s%s%s\n", e->name,
		    airca_strerror(r), *msg != '\0' ? ": " : "", msg);
	}
	return airca_exit_code(r);
}
