/* cmd-ceremony-report.c: airca ceremony report: a finished ceremony's transcript, from a verified journal. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "ceremony-report.h"
#include "cmd.h"
#include "error.h"
#include "journal.h"
#include "util.h"

static void
print_line(void *arg, const char *line)
{
	fprintf(arg, "%s\n", line);
}

static int
cmd_ceremony_report_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ceremony",	required_argument, NULL, 'c' },
		{ "journal",	required_argument, NULL, 'f' },
		{ "audit-cert",	required_argument, NULL, 'a' },
		{ "root",	required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct ceremony_report *rep = NULL;
	struct journal_report jrep;
	const char *id = NULL, *journal = NULL, *auditf = NULL, *rootf = NULL;
	char jpath[PATH_MAX], rpath[PATH_MAX];
	X509 *root = NULL, *audit = NULL;
	json_t *o;
	int ch, r;

	memset(&jrep, 0, sizeof(jrep));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			id = optarg;
			break;
		case 'f':
			journal = optarg;
			break;
		case 'a':
			auditf = optarg;
			break;
		case 'r':
			rootf = optarg;
			break;
		default:
			return cmd_usage(&cmd_ceremony_report_entry);
		}
	}
	if (optind != argc)
		return cmd_usage(&cmd_ceremony_report_entry);
	if ((r = ca_evidence_load(ctx, journal, auditf, rootf, jpath, rpath,
	    &root, &audit)) != 0)
		goto out;
	r = ceremony_report_load(jpath, root, audit, id, &rep, &jrep);
	if (r == AIRCA_ERR_VERIFY) {
		if (jrep.unsigned_tail > 0)
			r = airca_errf(r, "%s does not verify: its last %lu "
			    "entr%s (from seq %lu) %s not signed yet.  A ceremony "
			    "that stopped leaves its last entries unsigned when "
			    "the token could not sign them; airca signs nothing "
			    "it did not write, so an officer looks at them with "
			    "'airca journal repair' and adopts them ('--adopt "
			    "--yes', with the token), then report again", jpath,
			    jrep.unsigned_tail,
			    jrep.unsigned_tail == 1 ? "y" : "ies",
			    jrep.last_signed + 1, jrep.unsigned_tail == 1 ?
			    "is" : "are");
		else
			r = airca_errf(r, "%s does not verify, so no transcript "
			    "is printed from it: %s", jpath, airca_errmsg());
		goto out;
	}
	if (r != 0)
		goto out;
	if (ctx->json) {
		if ((o = ceremony_report_json(rep, &jrep)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else if ((r = ceremony_report_render(rep, &jrep, jpath, print_line,
	    stdout)) != 0)
		goto out;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		r = airca_errf(AIRCA_ERR_IO, "stdout: %s", strerror(errno));
		goto out;
	}
	if (ceremony_report_seal(rep) == NULL)
		r = airca_errf(AIRCA_ERR_NOTFOUND, "ceremony %s was not "
		    "sealed (no seal entry): the transcript above is of a "
		    "ceremony that did not complete", ceremony_report_id(rep));
 out:
	ceremony_report_free(rep);
	X509_free(root);
	X509_free(audit);
	return r;
}

const struct cmd_entry cmd_ceremony_report_entry = {
	.name = "ceremony report",
	.usage = "[--ceremony ID] [--journal FILE] [--audit-cert F] [--root F]",
	.summary = "print a finished ceremony's transcript from the verified "
	    "journal, with the seal's QR code (no token)",
	.flags = CMD_NO_CEREMONY,
	.exec_argv = cmd_ceremony_report_exec,
};
