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
#include "out.h"

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


/* --json before the command words (ctx.json) or anywhere after them. */
static bool
json_wanted(bool json, int argc, char **argv)
{
	int i;

	for (i = 0; !json && i < argc; i++)
		json = strcmp(argv[i], "--json") == 0;
	return json;
}

/* No such command, under --json: the one document says so (and stderr). */
static int
unknown_json(int argc, char **argv)
{
	struct out out;
	int r;

	out_init_text(&out, stdout, stderr);
	if ((r = out_set_json(&out)) != 0)
		return airca_exit_code(r);
	if (cmd_help_group(NULL, 1, argv) > 0)
		r = airca_errf(AIRCA_ERR_USAGE, "no command '%s%s%s' (see airca "
		    "%s --help)", argv[0], argc > 1 ? " " : "", argc > 1 ?
		    argv[1] : "", argv[0]);
	else
		r = airca_errf(AIRCA_ERR_USAGE, "unknown command '%s' (see "
		    "airca help)", argv[0]);
	out_finish(&out, NULL, r);
	out_free(&out);
	return airca_exit_code(r);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home",	required_argument, NULL, 'H' },
		{ "hsm",	required_argument, NULL, 'M' },
		{ "pin-env",	required_argument, NULL, 'e' },
		{ "pin-file",	required_argument, NULL, 'f' },
		{ "pin-share-file", required_argument, NULL, 'S' },
		{ "so-pin-env",	required_argument, NULL, 'E' },
		{ "so-pin-file", required_argument, NULL, 'F' },
		{ "actor",	required_argument, NULL, 'a' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_ctx ctx;
	struct out out;
	const struct cmd_entry *e;
	int ch, nwords, r;

	harden();
	setlocale(LC_ALL, "");
	memset(&ctx, 0, sizeof(ctx));
	ctx.home = getenv("AIRCA_HOME");
	ctx.hsm = getenv("AIRCA_HSM");

	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
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
		case 'S':
			if (ctx.npin_shares == CTX_PIN_SHARES_MAX) {
				fprintf(stderr, "airca: --pin-share-file given "
				    "more than %d times\n", CTX_PIN_SHARES_MAX);
				return AIRCA_EXIT_USAGE;
			}
			ctx.pin_shares[ctx.npin_shares++] = optarg;
			break;
		case 'E':
			ctx.so_pin.env = optarg;
			break;
		case 'F':
			ctx.so_pin.file = optarg;
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
		case 'h':	/* -h, --help */
			cmd_help_all(stdout);
			return AIRCA_EXIT_OK;
		case 'V':
			printf("airca %s\n", AIRCA_VERSION);
			return AIRCA_EXIT_OK;
		default:
			cmd_help_all(stderr);
			return AIRCA_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (ctx.actor == NULL)
		ctx.actor = login_name();
	if (argc == 0) {
		cmd_help_all(stderr);
		return AIRCA_EXIT_USAGE;
	}
	if ((e = cmd_find(argc, argv, &nwords)) == NULL) {
		/* "airca device-ca [--help]": the group's commands */
		for (nwords = 0; nwords < argc && argv[nwords][0] != '-';)
			nwords++;
		if (nwords > 0 && nwords < argc && (strcmp(argv[nwords],
		    "--help") == 0 || strcmp(argv[nwords], "-h") == 0) &&
		    cmd_help_group(stdout, nwords, argv) > 0)
			return AIRCA_EXIT_OK;
		if (json_wanted(ctx.json, argc, argv))
			return unknown_json(argc, argv);
		if (cmd_help_group(NULL, 1, argv) > 0) {
			fprintf(stderr, "airca: no command '%s%s%s'; the %s "
			    "commands are:\n", argv[0], argc > 1 ? " " : "",
			    argc > 1 ? argv[1] : "", argv[0]);
			cmd_help_group(stderr, 1, argv);
		} else
			fprintf(stderr, "airca: unknown command '%s' (see "
			    "airca help)\n", argv[0]);
		return AIRCA_EXIT_USAGE;
	}
	/* the sink: JSON from here when --json came first, else from cmd_run */
	out_init_text(&out, stdout, stderr);
	out_set_quiet(&out, ctx.quiet);
	ctx.out = &out;
	airca_errclear();
	if (ctx.json && (r = out_set_json(&out)) != 0)
		return airca_exit_code(r);
	r = cmd_run(&ctx, argc, argv);
	out_finish(&out, e->name, r);
	out_free(&out);
	return airca_exit_code(r);
}
