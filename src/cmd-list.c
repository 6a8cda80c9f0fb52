/* cmd-list.c: airca list: the issued certificates, one a line, sorted by expiry; reads the registry only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "util.h"

struct row {
	const struct reg_entry *e;
	unsigned long hash;		/* X509_NAME_hash_ex of the subject */
	bool	have_hash;
	bool	expired;
	char	status[32];
	char	expires[11];		/* YYYY-MM-DD */
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->e->not_after != y->e->not_after)
		return x->e->not_after < y->e->not_after ? -1 : 1;
	return strcmp(x->e->serial, y->e->serial);
}

/* OpenSSL's subject hash (what c_rehash names files by), from the stored certificate. */
static bool
subject_hash(struct ca *ca, const char *serial, unsigned long *hashp)
{
	X509 *x = NULL;
	int ok = 0;

	if (registry_load_cert(ca->home, serial, &x) == 0)
		*hashp = X509_NAME_hash_ex(X509_get_subject_name(x), NULL, NULL,
		    &ok);
	X509_free(x);
	if (!ok)
		ca_warn(ca, "certificate %s: %s", serial, airca_errmsg()[0] ?
		    airca_errmsg() : "cannot hash its subject");
	airca_errclear();
	return ok == 1;
}

static int
list(struct ca *ca, const char *profile, long days)
{
	struct row *rows = NULL;
	const struct reg_entry *e;
	json_t *arr = NULL, *o;
	char hash[9], na[21];
	time_t t = now(), limit;
	size_t i, n = 0, wsub = 7, wtype = 4, wid = 5;
	struct tm tm;
	int r = 0;

	limit = days >= 0 ? t + (time_t)days * 86400 : 0;
	if ((rows = calloc(registry_count(ca->reg) + 1, sizeof(*rows))) ==
	    NULL)
		return AIRCA_ERR_NOMEM;
	for (i = 0; i < registry_count(ca->reg); i++) {
		/* looked at through a peek: only the rows shown are kept */
		if ((e = registry_peek(ca->reg, i)) == NULL) {
			r = registry_error(ca->reg);
			goto out;
		}
		if (profile != NULL && strcmp(e->profile, profile) != 0)
			continue;
		/* --expiring: what must be renewed; revoked and superseded need not be */
		if (days >= 0 && (e->not_after >= limit ||
		    e->status == CERT_REVOKED || e->status == CERT_SUPERSEDED))
			continue;
		if ((e = registry_at(ca->reg, i)) == NULL) {
			r = registry_error(ca->reg);
			goto out;
		}
		rows[n].e = e;
		rows[n].expired = e->not_after <= t;
		rows[n].have_hash = subject_hash(ca, e->serial, &rows[n].hash);
		snprintf(rows[n].status, sizeof(rows[n].status), "%s%s",
		    rows[n].expired && e->status == CERT_VALID ? "" :
		    cert_status_name(e->status), !rows[n].expired ? "" :
		    e->status == CERT_VALID ? "EXPIRED" : ",EXPIRED");
		gmtime_r(&e->not_after, &tm);
		strftime(rows[n].expires, sizeof(rows[n].expires), "%Y-%m-%d",
		    &tm);
		if (strlen(e->subject) > wsub)
			wsub = strlen(e->subject);
		if (strlen(e->profile) > wtype)
			wtype = strlen(e->profile);
		if (strlen(e->label) > wid)
			wid = strlen(e->label);
		n++;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);

	if (out_is_json(ca->ctx->out)) {
		if ((arr = json_array()) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			e = rows[i].e;
			snprintf(hash, sizeof(hash), "%08lx", rows[i].hash);
			time_iso(e->not_after, na);
			if ((o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,"
			    "s:b}", "profile", e->profile, "subject-hash",
			    rows[i].have_hash ? hash : "", "not-after", na,
			    "days-left", (json_int_t)((e->not_after - t) /
			    86400), "subject", e->subject, "label", e->label,
			    "serial", e->serial, "status",
			    cert_status_name(e->status), "expired",
			    rows[i].expired)) == NULL ||
			    json_array_append_new(arr, o) != 0) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
		}
		r = out_set(ca->ctx->out, "certificates", arr);
		arr = NULL;
		goto out;
	}
	if (n == 0) {
		if (days >= 0)
			out_note(ca->ctx->out, "nothing expires within %ld "
			    "days", days);
		else
			out_note(ca->ctx->out, "no certificates");
		goto out;
	}
	if (!ca->ctx->quiet)
		out_result(ca->ctx->out, "%-*s %-8s %-10s %-*s %-*s %s",
		    (int)wtype, "TYPE", "HASH", "EXPIRES", (int)wsub, "SUBJECT",
		    (int)wid, "LABEL", "STATUS      SERIAL");
	for (i = 0; i < n; i++) {
		e = rows[i].e;
		if (rows[i].have_hash)
			snprintf(hash, sizeof(hash), "%08lx", rows[i].hash);
		else
			snprintf(hash, sizeof(hash), "--------");
		out_result(ca->ctx->out, "%-*s %s %s %-*s %-*s %-11s %s",
		    (int)wtype, e->profile, hash, rows[i].expires, (int)wsub,
		    e->subject, (int)wid, e->label[0] != '\0' ? e->label : "-",
		    rows[i].status, e->serial);
	}
 out:
	json_decref(arr);
	free(rows);
	return r;
}

static int
cmd_list_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	const char *profile = args_get(a, "profile");

	(void)ctx;
	if (profile != NULL && policy_profile(&ca->pol, profile) == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "--profile '%.40s': one of "
		    "root, tls, est-tls, online-ca, device-ca, device, audit",
		    profile);
	return list(ca, profile, (long)args_number(a, "expiring", -1));
}

static const struct args_opt list_opts[] = {
	{ "expiring", ARGS_NUMBER, "DAYS", 0, 0, 36500, NULL },
	{ "profile",  ARGS_NAME,   "P",	   0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.summary = "issued certificates, sorted by expiry",
	.args = { .opts = list_opts },
	.flags = CMD_HOME,
	.exec = cmd_list_exec,
};
