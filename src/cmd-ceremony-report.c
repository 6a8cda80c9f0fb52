/* cmd-ceremony-report.c: airca ceremony report: a finished ceremony's transcript, from a verified journal. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "ceremony-report.h"
#include "cmd.h"
#include "error.h"
#include "journal.h"
#include "out.h"
#include "util.h"

static void
print_line(void *arg, const char *line)
{
	out_result(arg, "%s", line);
}

static int
cmd_ceremony_report_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	struct ceremony_report *rep = NULL;
	struct journal_report jrep;
	const char *id = args_get(a, "ceremony"), *journal = args_get(a, "journal");
	const char *auditf = args_get(a, "audit-cert"), *rootf = args_get(a, "root");
	char jpath[PATH_MAX], rpath[PATH_MAX];
	X509 *root = NULL, *audit = NULL;
	json_t *o;
	int r;

	(void)ca;
	memset(&jrep, 0, sizeof(jrep));
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
	if (out_is_json(ctx->out)) {
		if ((o = ceremony_report_json(rep, &jrep)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		if ((r = out_merge(ctx->out, o)) != 0)
			goto out;
	} else if ((r = ceremony_report_render(rep, &jrep, jpath, print_line,
	    ctx->out)) != 0)
		goto out;
	if ((r = out_flush(ctx->out)) != 0)
		goto out;
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

static const struct args_opt ceremony_report_opts[] = {
	{ "ceremony",   ARGS_NAME,    "ID",   0, 0, 0, NULL },
	{ "journal",    ARGS_IN_FILE, "FILE", 0, 0, 0, NULL },
	{ "audit-cert", ARGS_IN_FILE, "F",    0, 0, 0, NULL },
	{ "root",       ARGS_IN_FILE, "F",    0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_ceremony_report_entry = {
	.name = "ceremony report",
	.summary = "print a finished ceremony's transcript from the verified "
	    "journal, with the seal's QR code (no token)",
	.args = { .opts = ceremony_report_opts },
	.flags = CMD_NO_CEREMONY,		/* reads the journal; no lock, no token */
	.exec = cmd_ceremony_report_exec,
};
