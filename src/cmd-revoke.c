/* cmd-revoke.c: airca revoke: mark leaf certificates revoked (or on hold) in the registry, for their issuer's next CRL. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "crl.h"
#include "error.h"
#include "issue.h"
#include "util.h"

#define MAX_SERIALS	256

static bool
leaf_profile(const char *p)
{
	return strcmp(p, "tls") == 0 || strcmp(p, "est-tls") == 0 ||
	    strcmp(p, "device") == 0;
}

/* The status a reason leads to, and whether e may go there. */
static int
check_leaf(struct ca *ca, const char *serial, int reason,
    const struct reg_entry **ep, enum cert_status *top)
{
	const struct reg_entry *e;

	if ((e = registry_by_serial(ca->reg, serial)) == NULL)
		return airca_errf(AIRCA_ERR_NOTFOUND, "serial %s: no certificate "
		    "of this home has it (see 'airca list')", serial);
	if (!leaf_profile(e->profile))
		return airca_errf(AIRCA_ERR_INPUT, "serial %s is a %s "
		    "certificate (%s): 'airca revoke' takes tls, est-tls and "
		    "device certificates; use 'airca device-ca revoke|disable' "
		    "for device CAs; the root and the audit certificate are "
		    "not revoked this way", serial, e->profile, e->subject);
	switch (reason) {
	case CRL_REASON_CA_COMPROMISE:
		return airca_errf(AIRCA_ERR_USAGE, "cACompromise is for CA "
		    "certificates; %s is a %s certificate", serial, e->profile);
	case CRL_REASON_HOLD:
		if (e->status != CERT_VALID)
			return airca_errf(AIRCA_ERR_INPUT, "serial %s is %s: only "
			    "a valid certificate can be put on hold", serial,
			    cert_status_name(e->status));
		*top = CERT_HOLD;
		break;
	case CRL_REASON_REMOVE:
		if (e->status != CERT_HOLD)
			return airca_errf(AIRCA_ERR_INPUT, "serial %s is %s, not "
			    "on hold: removeFromCRL lifts a hold only", serial,
			    cert_status_name(e->status));
		*top = CERT_VALID;
		break;
	default:
		if (e->status == CERT_REVOKED)
			return airca_errf(AIRCA_ERR_INPUT, "serial %s is already "
			    "revoked (reason %s)", serial,
			    crl_reason_name(e->reason) != NULL ?
			    crl_reason_name(e->reason) : "?");
		*top = CERT_REVOKED;
		break;
	}
	*ep = e;
	return 0;
}

static int
revoke(struct ca *ca, char *const *serials, size_t n, int reason)
{
	const struct reg_entry *e, *issuer;
	enum cert_status *to = NULL;
	json_t *d = NULL;
	char serial[SERIAL_HEX_MAX];
	time_t when = now();
	size_t i;
	int r;

	if ((to = calloc(n, sizeof(*to))) == NULL)
		return AIRCA_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if ((r = check_leaf(ca, serials[i], reason, &e, &to[i])) != 0)
			goto out;
	for (i = 0; i < n; i++) {
		snprintf(serial, sizeof(serial), "%s", serials[i]);
		json_decref(d);
		if ((d = json_pack("{s:s,s:s,s:i,s:I}", "serial", serial,
		    "status", cert_status_name(to[i]), "reason", reason,
		    "status-time", (json_int_t)when)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		if ((r = ca_journal(ca, "cert-status", d, 0)) != 0 ||
		    (r = registry_apply(ca->reg, "cert-status", d)) != 0)
			goto out;
		ca->reg_dirty = true;
		e = registry_by_serial(ca->reg, serial);
		issuer = e != NULL ? registry_by_serial(ca->reg, e->issuer) :
		    NULL;
		if (!ca->ctx->quiet)
			printf("%-8s %s  %s  (%s); next: 'airca crl --ca %s "
			    "--out FILE'\n", cert_status_name(to[i]), serial,
			    e != NULL && e->cn != NULL ? e->cn : "-",
			    crl_reason_name(reason), issuer != NULL &&
			    issuer->label[0] != '\0' ? issuer->label : "LABEL");
	}
	r = 0;
 out:
	json_decref(d);
	free(to);
	return r;
}

static int
cmd_revoke_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "serial",	required_argument, NULL, 's' },
		{ "reason",	required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca ca;
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t n = 0, i, j;
	int ch, r, reason = CRL_REASON_UNSPECIFIED;

	if ((serials = calloc((size_t)argc, sizeof(*serials))) == NULL ||
	    (list = calloc((size_t)argc, sizeof(*list))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto done;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((r = crl_serial_parse(optarg, serials[n])) != 0)
				goto done;
			n++;
			break;
		case 'r':
			if ((r = crl_reason_parse(optarg, &reason)) != 0)
				goto done;
			break;
		default:
			r = cmd_usage(&cmd_revoke_entry);
			goto done;
		}
	}
	for (; optind < argc && n > 0; optind++) {
		if ((r = crl_serial_parse(argv[optind], serials[n])) != 0)
			goto done;
		n++;
	}
	if (optind != argc || n == 0) {
		r = cmd_usage(&cmd_revoke_entry);
		goto done;
	}
	if (n > MAX_SERIALS) {
		r = airca_errf(AIRCA_ERR_USAGE, "at most %d serials at once",
		    MAX_SERIALS);
		goto done;
	}
	for (i = 0; i < n; i++) {
		list[i] = serials[i];
		for (j = 0; j < i; j++)
			if (strcmp(serials[i], serials[j]) == 0) {
				r = airca_errf(AIRCA_ERR_USAGE, "serial %s is "
				    "named twice", serials[i]);
				goto done;
			}
	}
	if ((r = ca_open(&ca, ctx, "revoke", CA_HOME | CA_WRITE |
	    CA_TOKEN)) == 0)
		r = revoke(&ca, list, n, reason);
	r = ca_close(&ca, r);
 done:
	free(serials);
	free(list);
	return r;
}

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.usage = "--serial HEX... [--reason keyCompromise|superseded|"
	    "cessationOfOperation|affiliationChanged|certificateHold|"
	    "privilegeWithdrawn|removeFromCRL|unspecified]",
	.summary = "revoke (or hold) tls, est-tls or device certificates",
	.exec_argv = cmd_revoke_exec,
};
