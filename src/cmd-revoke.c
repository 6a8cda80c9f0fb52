/* cmd-revoke.c: airca revoke: mark leaf certificates revoked (or on hold) in the registry, for their issuer's next CRL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "crl.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "util.h"

#define MAX_SERIALS	256

static bool
leaf_profile(const char *p)
{
	return strcmp(p, "tls") == 0 || strcmp(p, "est-tls") == 0 ||
	    strcmp(p, "device") == 0;
}

/* A certificate of a user-defined profile (a leaf or an intermediate CA)? */
static const struct profile *
user_profile(struct ca *ca, const char *p)
{
	const struct profile *prof = policy_profile(&ca->pol, p);

	return prof != NULL && prof->kind != KIND_BUILTIN ? prof : NULL;
}

/* The status a reason leads to, and whether e may go there. */
static int
check_leaf(struct ca *ca, const char *serial, int reason,
    const struct reg_entry **ep, enum cert_status *top)
{
	const struct reg_entry *e;
	const struct profile *up = NULL;

	if ((e = registry_by_serial(ca->reg, serial)) == NULL)
		return airca_errf(AIRCA_ERR_NOTFOUND, "serial %s: no certificate "
		    "of this home has it (see 'airca list')", serial);
	if (!leaf_profile(e->profile) && (up = user_profile(ca,
	    e->profile)) == NULL)
		return airca_errf(AIRCA_ERR_INPUT, "serial %s is a %s "
		    "certificate (%s): 'airca revoke' takes tls, est-tls, "
		    "device certificates and those of policy.conf's own "
		    "profiles; use 'airca device-ca revoke|disable' for device "
		    "CAs; the root and the audit certificate are not revoked "
		    "this way", serial, e->profile, e->subject);
	switch (reason) {
	case CRL_REASON_CA_COMPROMISE:
		if (up != NULL && up->ca)
			goto revoked;
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
 revoked:
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
			out_result(ca->ctx->out, "%-8s %s  %s  (%s); next: "
			    "'airca crl --ca %s --out FILE'",
			    cert_status_name(to[i]), serial,
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

/*
 * The serials of --serial (and of the words after it), in the registry's
 * form, each once, and the reason.  *serialsp and *listp (pointers into
 * it) are owned by the caller, set only on success.
 */
static int
revoke_args(const struct cmd_args *a, char (**serialsp)[SERIAL_HEX_MAX],
    char ***listp, size_t *np, int *reasonp)
{
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t nopt = args_count(a, "serial"), all, n = 0, j;
	int r, reason = CRL_REASON_UNSPECIFIED;

	all = nopt + (size_t)a->npos;
	if (args_has(a, "reason") &&
	    (r = crl_reason_parse(args_get(a, "reason"), &reason)) != 0)
		goto out;
	if (all > MAX_SERIALS) {
		r = airca_errf(AIRCA_ERR_USAGE, "at most %d serials at once",
		    MAX_SERIALS);
		goto out;
	}
	if ((serials = calloc(all, sizeof(*serials))) == NULL ||
	    (list = calloc(all, sizeof(*list))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (n = 0; n < all; n++) {
		if ((r = crl_serial_parse(n < nopt ? args_value(a, "serial", n) :
		    a->pos[n - nopt], serials[n])) != 0)
			goto out;
		list[n] = serials[n];
		for (j = 0; j < n; j++)
			if (strcmp(serials[n], serials[j]) == 0) {
				r = airca_errf(AIRCA_ERR_USAGE, "serial %s is "
				    "named twice", serials[n]);
				goto out;
			}
	}
	*serialsp = serials;
	*listp = list;
	*np = n;
	*reasonp = reason;
	serials = NULL;
	list = NULL;
	r = 0;
 out:
	free(serials);
	free(list);
	return r;
}

/* Before the PIN: serials and reason well formed. */
static int
cmd_revoke_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t n;
	int r, reason;

	(void)ctx;
	r = revoke_args(a, &serials, &list, &n, &reason);
	free(serials);
	free(list);
	return r;
}

static int
cmd_revoke_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t n;
	int r, reason;

	(void)ctx;
	if ((r = revoke_args(a, &serials, &list, &n, &reason)) == 0)
		r = revoke(ca, list, n, reason);
	free(serials);
	free(list);
	return r;
}

static const struct args_opt revoke_opts[] = {
	{ "serial", ARGS_SERIAL, "HEX", ARGS_REQUIRED | ARGS_MULTI, 0, 0, NULL },
	{ "reason", ARGS_STRING, "keyCompromise|superseded|cessationOfOperation|"
	    "affiliationChanged|certificateHold|privilegeWithdrawn|"
	    "removeFromCRL|unspecified", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.summary = "revoke (or hold) tls, est-tls or device certificates",
	/* "--serial A B C": more serials as words, not shown in the usage */
	.args = { .opts = revoke_opts, .pos_type = ARGS_SERIAL,
	    .pos_meta = NULL, .pos_max = MAX_SERIALS },
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = cmd_revoke_check,
	.exec = cmd_revoke_exec,
};
