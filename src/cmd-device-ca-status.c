/* cmd-device-ca-status.c: airca device-ca revoke|disable|enable: the factory API's ca-revoke-crl, signed by the root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "ca.h"
#include "cmd.h"
#include "crl.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

#define CA_REVOKE_CRL	"ca-revoke.crl.pem"
#define MAX_SERIALS	256

enum dca_op { DCA_REVOKE, DCA_DISABLE, DCA_ENABLE };

static const struct {
	const char *verb;		/* "revoke" */
	const char *done;		/* "revoked" */
	int	reason;			/* in the CRL */
	enum cert_status to;		/* the registry status after */
} ops[] = {
	[DCA_REVOKE] =	{ "revoke",  "revoked",  CRL_REASON_PRIVILEGE_WITHDRAWN, CERT_REVOKED },
	[DCA_DISABLE] =	{ "disable", "disabled", CRL_REASON_HOLD,		 CERT_HOLD },
	[DCA_ENABLE] =	{ "enable",  "enabled",  CRL_REASON_REMOVE,		 CERT_VALID },
};

/* One named device CA, checked before anything changes. */
struct target {
	char	serial[SERIAL_HEX_MAX];
	char	cn[80];
	bool	change;			/* false: already in the wanted state, listed again */
};

/*
 * May op apply to e?  Sets *changep; refuses (with the reason) what the
 * factory API could not undo or what makes no sense: a revoked CA cannot
 * come back, a superseded certificate is not the one in use.  Those two are
 * well-formed requests the rules refuse (AIRCA_ERR_POLICY), not malformed
 * input: the officer reads "refused by policy: ... revocation is final".
 */
static int
check_target(struct ca *ca, enum dca_op op, const char *serial,
    const struct reg_entry **ep, bool *changep)
{
	const struct reg_entry *e;
	char root[SERIAL_HEX_MAX];

	cert_serial_hex(ca->root, root, sizeof(root));
	if ((e = registry_by_serial(ca->reg, serial)) == NULL)
		return airca_errf(AIRCA_ERR_NOTFOUND, "serial %s: no certificate "
		    "of this home has it (see 'airca list --profile "
		    "device-ca')", serial);
	if (strcmp(e->profile, "root") == 0 || strcmp(serial, root) == 0)
		return airca_errf(AIRCA_ERR_INPUT, "serial %s is the root "
		    "itself: the root cannot %s itself; a compromised root "
		    "needs a new root ceremony", serial, ops[op].verb);
	if ((strcmp(e->profile, "device-ca") != 0 &&
	    strcmp(e->profile, "online-ca") != 0) ||
	    strcmp(e->issuer, root) != 0)
		return airca_errf(AIRCA_ERR_INPUT, "serial %s is a %s "
		    "certificate (%s), not a device CA of this root: 'device-ca "
		    "%s' takes device CA serials only; revoke other "
		    "certificates with 'airca revoke'", serial, e->profile,
		    e->subject, ops[op].verb);
	*changep = e->status != ops[op].to;
	switch (op) {
	case DCA_REVOKE:
		break;
	case DCA_DISABLE:
	case DCA_ENABLE:
		if (e->status == CERT_REVOKED)
			return airca_errf(AIRCA_ERR_POLICY, "device CA %s (%s) is "
			    "revoked: revocation is final and it cannot be %s; "
			    "create a new device CA instead", serial, e->subject,
			    ops[op].done);
		if (e->status == CERT_SUPERSEDED)
			return airca_errf(AIRCA_ERR_POLICY, "device CA %s (%s) "
			    "was superseded by %s: %s the certificate in use",
			    serial, e->subject, e->superseded_by, ops[op].verb);
		break;
	}
	*ep = e;
	return 0;
}

static int
device_ca_status(struct ca *ca, enum dca_op op, char *const *serials,
    size_t n, const char *outdir)
{
	static const char *const names[] = { CA_REVOKE_CRL, "upload.json" };
	const struct reg_entry *e = NULL, *rootent;
	struct target *t = NULL;
	struct crl_entry *ce = NULL;
	struct bundle b;
	char root[SERIAL_HEX_MAX], *pem = NULL, *text = NULL;
	size_t i, len;
	unsigned long long number = 0;
	json_t *d = NULL, *upload = NULL, *list = NULL;
	time_t when = now();
	int r;

	bundle_init(&b, outdir);
	if ((t = calloc(n, sizeof(*t))) == NULL ||
	    (ce = calloc(n, sizeof(*ce))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}

	/* everything is checked before anything changes */
	for (i = 0; i < n; i++) {
		if ((r = check_target(ca, op, serials[i], &e, &t[i].change)) != 0)
			goto out;
		snprintf(t[i].serial, sizeof(t[i].serial), "%s", e->serial);
		snprintf(t[i].cn, sizeof(t[i].cn), "%s", e->cn != NULL ?
		    e->cn : "-");
		snprintf(ce[i].serial, sizeof(ce[i].serial), "%s", e->serial);
		ce[i].reason = ops[op].reason;
		/* listed again unchanged: the date it took effect */
		ce[i].when = !t[i].change && op != DCA_ENABLE &&
		    e->status_time != 0 ? e->status_time : when;
	}
	cert_serial_hex(ca->root, root, sizeof(root));
	if ((rootent = registry_by_serial(ca->reg, root)) == NULL) {
		r = airca_errf(AIRCA_ERR_STATE, "the root (serial %s) is not in "
		    "the registry: run 'airca registry rebuild'", root);
		goto out;
	}
	if ((r = media_mkdir(outdir)) != 0 ||
	    (r = bundle_check_free(outdir, names, 2)) != 0)
		goto out;

	/* the CRL (signed, verified, journaled), then the statuses */
	if ((r = crl_issue(ca, rootent, ca->root, ca->root_key, ce, n,
	    "device-ca revoke", &pem, &len, &number)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!t[i].change)
			continue;
		json_decref(d);
		if ((d = json_pack("{s:s,s:s,s:i,s:I,s:I}", "serial",
		    t[i].serial, "status", cert_status_name(ops[op].to),
		    "reason", ops[op].reason, "status-time", (json_int_t)when,
		    "crl-number", (json_int_t)number)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		if ((r = ca_journal(ca, "cert-status", d, 0)) != 0 ||
		    (r = registry_apply(ca->reg, "cert-status", d)) != 0)
			goto out;
		ca->reg_dirty = true;
	}

	/* the files for the factory API */
	if ((upload = json_pack("{s:s}", "ca-revoke-crl", pem)) == NULL ||
	    (text = json_dumps(upload, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = bundle_add(&b, CA_REVOKE_CRL, pem, len)) != 0 ||
	    (r = bundle_add(&b, "upload.json", text, strlen(text))) != 0 ||
	    (r = bundle_commit(&b)) != 0)
		goto out;
	json_decref(d);
	if ((d = json_pack("{s:s,s:o}", "dir", outdir, "files",
	    bundle_manifest(&b))) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_journal(ca, "files-written", d, 0)) != 0)
		goto out;

	if (out_is_json(ca->ctx->out)) {
		if ((list = json_array()) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < n; i++)
			json_array_append_new(list, json_pack("{s:s,s:s,s:s,"
			    "s:b}", "serial", t[i].serial, "cn", t[i].cn,
			    "status", cert_status_name(ops[op].to), "changed",
			    t[i].change));
		json_decref(d);
		d = json_pack("{s:I,s:s,s:o}", "crl-number", (json_int_t)number,
		    "reason", crl_reason_name(ops[op].reason), "device-cas",
		    list);
		list = NULL;
		r = out_merge(ca->ctx->out, d);
		d = NULL;
		if (r != 0)
			goto out;
	} else if (!ca->ctx->quiet) {
		for (i = 0; i < n; i++)
			out_result(ca->ctx->out, "%-8s %s  %s%s", ops[op].done,
			    t[i].serial, t[i].cn, t[i].change ? "" : "  "
			    "(already; listed again)");
		out_result(ca->ctx->out, "CRL number %llu, reason %s (%d): "
		    "%s/%s\nupload     %s/upload.json  (ca-revoke-crl; "
		    "SHA256SUMS beside it)", number,
		    crl_reason_name(ops[op].reason), ops[op].reason, outdir,
		    CA_REVOKE_CRL, outdir);
	}
	r = 0;
 out:
	free(t);
	free(ce);
	free(pem);
	free(text);
	json_decref(d);
	json_decref(upload);
	json_decref(list);
	bundle_free(&b);
	return r;
}

/*
 * The serials of --serial (and of the words after it: "--serial A B C"),
 * in the registry's form, each once.  *serialsp and *listp (pointers into
 * it) are owned by the caller, set only on success.
 */
static int
serials_parse(const struct cmd_args *a, char (**serialsp)[SERIAL_HEX_MAX],
    char ***listp, size_t *np)
{
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t nopt = args_count(a, "serial"), n = 0, i, j;
	int r;

	if (nopt + (size_t)a->npos > MAX_SERIALS) {
		r = airca_errf(AIRCA_ERR_USAGE, "at most %d serials at once",
		    MAX_SERIALS);
		goto out;
	}
	if ((serials = calloc(nopt + (size_t)a->npos, sizeof(*serials))) ==
	    NULL || (list = calloc(nopt + (size_t)a->npos, sizeof(*list))) ==
	    NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nopt + (size_t)a->npos; i++) {
		if ((r = crl_serial_parse(i < nopt ? args_value(a, "serial", i) :
		    a->pos[i - nopt], serials[n])) != 0)
			goto out;
		list[n] = serials[n];
		for (j = 0; j < n; j++)
			if (strcmp(serials[n], serials[j]) == 0) {
				r = airca_errf(AIRCA_ERR_USAGE, "serial %s is "
				    "named twice", serials[n]);
				goto out;
			}
		n++;
	}
	*serialsp = serials;
	*listp = list;
	*np = n;
	serials = NULL;
	list = NULL;
	r = 0;
 out:
	free(serials);
	free(list);
	return r;
}

/* Before the PIN: every serial well formed and named once. */
static int
device_ca_status_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t n;
	int r;

	(void)ctx;
	r = serials_parse(a, &serials, &list, &n);
	free(serials);
	free(list);
	return r;
}

static int
device_ca_status_run(enum dca_op op, struct ca *ca, const struct cmd_args *a)
{
	char (*serials)[SERIAL_HEX_MAX] = NULL;
	char **list = NULL;
	size_t n;
	int r;

	if ((r = serials_parse(a, &serials, &list, &n)) == 0)
		r = device_ca_status(ca, op, list, n, args_get(a, "out"));
	free(serials);
	free(list);
	return r;
}

static int
cmd_device_ca_revoke_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	(void)ctx;
	return device_ca_status_run(DCA_REVOKE, ca, a);
}

static int
cmd_device_ca_disable_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	(void)ctx;
	return device_ca_status_run(DCA_DISABLE, ca, a);
}

static int
cmd_device_ca_enable_exec(struct cmd_ctx *ctx, struct ca *ca,
    const struct cmd_args *a)
{
	(void)ctx;
	return device_ca_status_run(DCA_ENABLE, ca, a);
}

static const struct args_opt device_ca_status_opts[] = {
	{ "serial", ARGS_SERIAL,  "HEX", ARGS_REQUIRED | ARGS_MULTI, 0, 0, NULL },
	{ "out",    ARGS_OUT_DIR, "DIR", ARGS_REQUIRED, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* "--serial A B C": more serials as words, not shown in the usage */
#define DEVICE_CA_STATUS_ARGS { .opts = device_ca_status_opts, \
	.pos_type = ARGS_SERIAL, .pos_meta = NULL, .pos_min = 0, \
	.pos_max = MAX_SERIALS }

const struct cmd_entry cmd_device_ca_revoke_entry = {
	.name = "device-ca revoke",
	.summary = "revoke device CAs for good: CRL (privilegeWithdrawn) for the API",
	.args = DEVICE_CA_STATUS_ARGS,
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = device_ca_status_check,
	.exec = cmd_device_ca_revoke_exec,
};

const struct cmd_entry cmd_device_ca_disable_entry = {
	.name = "device-ca disable",
	.summary = "put device CAs on hold: CRL (certificateHold) for the API",
	.args = DEVICE_CA_STATUS_ARGS,
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = device_ca_status_check,
	.exec = cmd_device_ca_disable_exec,
};

const struct cmd_entry cmd_device_ca_enable_entry = {
	.name = "device-ca enable",
	.summary = "lift a hold: CRL (removeFromCRL) for the API",
	.args = DEVICE_CA_STATUS_ARGS,
	.flags = CMD_HOME | CMD_WRITE | CMD_TOKEN,
	.check = device_ca_status_check,
	.exec = cmd_device_ca_enable_exec,
};
