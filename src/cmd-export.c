/* cmd-export.c: airca export: one certificate, or its chain leaf -> CA -> root, as PEM (or one as DER). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "crl.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "media.h"
#include "util.h"

#define MAX_CHAIN	4	/* device -> device CA -> root, with room to spare */

/*
 * The certificate a chain should carry for the issuer on record: itself,
 * or, if it was renewed (same key, same subject), the newest renewal, so
 * that the chain does not end in a certificate that expired first.
 */
static const struct reg_entry *
current_issuer(struct registry *reg, const char *serial)
{
	const struct reg_entry *e = registry_by_serial(reg, serial), *next;
	int hops;

	for (hops = 0; e != NULL && e->status == CERT_SUPERSEDED &&
	    e->superseded_by[0] != '\0' && hops < 16; hops++) {
		if ((next = registry_by_serial(reg, e->superseded_by)) == NULL)
			break;
		e = next;
	}
	return e;
}

static int
append(char **bufp, size_t *lenp, const void *data, size_t len)
{
	char *nb;

	if ((nb = realloc(*bufp, *lenp + len + 1)) == NULL)
		return AIRCA_ERR_NOMEM;
	memcpy(nb + *lenp, data, len);
	*lenp += len;
	nb[*lenp] = '\0';
	*bufp = nb;
	return 0;
}

static int
export(struct ca *ca, const char *serial, bool chain, bool der,
    const char *outfile)
{
	const struct reg_entry *e;
	X509 *x = NULL;
	unsigned char *d = NULL;
	char *buf = NULL, *pem = NULL;
	size_t len = 0, plen;
	int depth, dlen, r;

	if ((e = registry_by_serial(ca->reg, serial)) == NULL) {
		r = airca_errf(AIRCA_ERR_NOTFOUND, "serial %s: no certificate of "
		    "this home has it (see 'airca list')", serial);
		goto out;
	}
	for (depth = 0; e != NULL; depth++) {
		if (depth == MAX_CHAIN) {
			r = airca_errf(AIRCA_ERR_STATE, "the chain of %s is longer "
			    "than %d: registry damaged?", serial, MAX_CHAIN);
			goto out;
		}
		if ((r = registry_cert(ca->home, e, &x)) != 0)
			goto out;
		if (der) {
			if ((dlen = i2d_X509(x, &d)) <= 0) {
				r = airca_errssl(AIRCA_ERR_NOMEM, "DER");
				goto out;
			}
			r = append(&buf, &len, d, (size_t)dlen);
			OPENSSL_free(d);
			d = NULL;
		} else if ((r = cert_pem(x, &pem, &plen)) == 0) {
			r = append(&buf, &len, pem, plen);
			free(pem);
			pem = NULL;
		}
		X509_free(x);
		x = NULL;
		if (r != 0 || !chain || e->issuer[0] == '\0')
			break;
		if ((e = current_issuer(ca->reg, e->issuer)) == NULL) {
			r = airca_errf(AIRCA_ERR_STATE, "the issuer of %s is not "
			    "in the registry: run 'airca registry rebuild'",
			    serial);
			goto out;
		}
	}
	if (r != 0)
		goto out;
	if (outfile != NULL)
		r = media_write(outfile, buf, len, 0);
	else if (out_is_json(ca->ctx->out))
		r = out_set(ca->ctx->out, "pem", json_stringn(buf, len));
	else {
		out_write(ca->ctx->out, buf, len);
		r = out_flush(ca->ctx->out);
	}
 out:
	X509_free(x);
	OPENSSL_free(d);
	free(pem);
	free(buf);
	return r;
}

/* Before anything is opened: --der is one certificate, a chain is PEM. */
static int
cmd_export_check(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	(void)ctx;
	if (args_has(a, "chain") && args_has(a, "der"))
		return airca_errf(AIRCA_ERR_USAGE, "--der writes one "
		    "certificate; a chain is PEM (drop --der or --chain)");
	return 0;
}

static int
cmd_export_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	char serial[SERIAL_HEX_MAX];
	int r;

	(void)ctx;
	if ((r = crl_serial_parse(args_get(a, "serial"), serial)) != 0)
		return r;
	return export(ca, serial, args_has(a, "chain"), args_has(a, "der"),
	    args_get(a, "out"));
}

static const struct args_opt export_opts[] = {
	{ "serial", ARGS_SERIAL,   "HEX",  ARGS_REQUIRED, 0, 0, NULL },
	{ "chain",  ARGS_FLAG,	   NULL,   0, 0, 0, NULL },
	{ "der",    ARGS_FLAG,	   NULL,   0, 0, 0, NULL },
	{ "out",    ARGS_OUT_FILE, "FILE", 0, 0, 0, NULL },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.summary = "a certificate, or its chain leaf -> CA -> root",
	.args = { .opts = export_opts },
	.flags = CMD_HOME,
	.check = cmd_export_check,
	.exec = cmd_export_exec,
};
