/* cmd-demo.c: airca demo: a whole factory ceremony on a fresh SoftHSM token in a temp home, narrated. */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cmd.h"
#include "error.h"
#include "hsm.h"
#include "media.h"
#include "out.h"
#include "token.h"
#include "util.h"

#define DEMO_PIN_ENV	"AIRCA_DEMO_PIN"

struct demo {
	struct cmd_ctx ctx;
	char	dir[256], home[300], usb[300];
	char	pin[33];
	int	step;
};

static void
say(struct demo *d, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		out_result(d->ctx.out, "\n\033[1m[%d]\033[0m %s", ++d->step, s);
	free(s);
}

/* Run one airca command as an officer would type it; the PIN comes from the environment. */
static int
run(struct demo *d, const char *line)
{
	char buf[1024], *argv[32], *p, *save = NULL;
	int argc = 0, r;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 31;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	out_result(d->ctx.out, "    $ airca %s", line);
	if (setenv(DEMO_PIN_ENV, d->pin, 1) == -1)
		return AIRCA_ERR_NOMEM;
	airca_errclear();
	r = cmd_run(&d->ctx, argc, argv);
	unsetenv(DEMO_PIN_ENV);
	if (r != 0 && r != AIRCA_ERR_PARTIAL)
		return airca_errctx(r, "demo step 'airca %s'", line);
	return 0;
}

/* A request as the factory API (or a device) would make it; software key, demo only. */
static int
write_csr(const char *path, const char *cn, const char *ou, const char *dns)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	X509_NAME *n = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem;
	char san[300];
	int r = AIRCA_ERR_CRYPTO;

	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (req = X509_REQ_new()) == NULL || (n = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
	    (const unsigned char *)ou, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, n) || !X509_REQ_set_pubkey(req, key))
		goto out;
	if (dns != NULL) {
		snprintf(san, sizeof(san), "DNS:%s", dns);
		if ((exts = sk_X509_EXTENSION_new_null()) == NULL ||
		    (ext = X509V3_EXT_conf_nid(NULL, NULL,
		    NID_subject_alt_name, san)) == NULL ||
		    !sk_X509_EXTENSION_push(exts, ext))
			goto out;
		ext = NULL;
		if (!X509_REQ_add_extensions(req, exts))
			goto out;
	}
	if (!X509_REQ_sign(req, key, EVP_sha256()) ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(bio, req))
		goto out;
	BIO_get_mem_ptr(bio, &mem);
	r = media_write(path, mem->data, mem->length, MEDIA_NOSYNC);
 out:
	if (r == AIRCA_ERR_CRYPTO)
		airca_errssl(r, "demo: making a request for %s", cn);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	BIO_free(bio);
	X509_NAME_free(n);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return r;
}

/* The API's CSR response: {"tls-csr": PEM, "ca-csr": PEM, "est-tls-csr": PEM}. */
static int
write_response(struct demo *d, const char *factory)
{
	static const char *keys[] = { "tls-csr", "ca-csr", "est-tls-csr" };
	char path[400], host[128];
	unsigned char *buf = NULL;
	size_t len;
	json_t *o = NULL;
	char *text = NULL;
	int i, r = 0;

	if ((o = json_object()) == NULL)
		return AIRCA_ERR_NOMEM;
	for (i = 0; i < 3 && r == 0; i++) {
		snprintf(path, sizeof(path), "%s/.%s.pem", d->dir, keys[i]);
		if (i == 0)
			snprintf(host, sizeof(host), "ota-lite.%s.example", factory);
		else if (i == 2)
			snprintf(host, sizeof(host), "est.%s.example", factory);
		if ((r = write_csr(path, i == 1 ? "online-device-ca" : host,
		    factory, i == 1 ? NULL : host)) != 0 ||
		    (r = media_read(path, MEDIA_MAX_CSR, &buf, &len)) != 0)
			break;
		json_object_set_new(o, keys[i], json_stringn((char *)buf, len));
		free(buf);
		buf = NULL;
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/csrs.json", d->usb);
		if ((text = json_dumps(o, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER)) == NULL)
			r = AIRCA_ERR_NOMEM;
		else
			r = media_write(path, text, strlen(text), 0);
	}
	free(text);
	json_decref(o);
	return r;
}

static int
demo_run(struct demo *d)
{
	struct hsm_profile prof;
	char so[33], line[1024], path[700], uuid[40];
	unsigned char rnd[16];
	int r, i;

	say(d, "A throw-away SoftHSM token in %s (a rehearsal token: never "
	    "for production keys).", d->dir);
	if ((r = hsm_profile_load(d->ctx.hsm, &prof)) != 0)
		return r;
	if (RAND_bytes(rnd, 16) != 1)
		return AIRCA_ERR_CRYPTO;
	hex_encode(rnd, 8, d->pin);
	hex_encode(rnd + 8, 8, so);
	r = token_init(prof.module, prof.token_label, so, d->pin);
	explicit_bzero(so, sizeof(so));
	explicit_bzero(rnd, sizeof(rnd));
	if (r != 0)
		return r;
	if ((r = run(d, "token list")) != 0)
		return r;

	say(d, "Init: the root and audit keys are generated on the token, "
	    "their attributes read back,\n    the self-signed root and the "
	    "audit certificate issued, the journal opened.");
	if ((r = run(d, "init --factory demo-factory")) != 0)
		return r;

	say(d, "A local device CA for the factory owner's user id; its key "
	    "is generated on the token too.");
	if ((r = run(d, "device-ca create --user-id demo-owner --label "
	    "dca-demo")) != 0)
		return r;

	say(d, "The factory operator brings the API's CSR response on a USB "
	    "stick (%s/csrs.json).", d->usb);
	if ((r = write_response(d, "demo-factory")) != 0)
		return r;
	snprintf(line, sizeof(line), "api sign --in %s/csrs.json --out "
	    "%s/upload", d->usb, d->usb);
	if ((r = run(d, line)) != 0)
		return r;

	if (cmd_find(2, (char *[]){ "batch", "sign", NULL }, NULL) != NULL) {
		say(d, "A batch of device requests (CN = device UUID, OU = "
		    "factory) from the stick, plus one bad one.");
		snprintf(path, sizeof(path), "%s/devices", d->usb);
		if ((r = media_mkdir(path)) != 0)
			return r;
		for (i = 0; i < 20; i++) {
			if (RAND_bytes(rnd, 16) != 1)
				return AIRCA_ERR_CRYPTO;
			snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-%02x%02x-"
			    "4%x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0],
			    rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6] & 0xf,
			    rnd[7], (rnd[8] & 0x3f) | 0x80, rnd[9], rnd[10],
			    rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
			snprintf(path, sizeof(path), "%s/devices/dev-%02d.csr",
			    d->usb, i);
			if ((r = write_csr(path, uuid, i == 7 ? "other-factory" :
			    "demo-factory", NULL)) != 0)
				return r;
		}
		snprintf(line, sizeof(line), "batch sign --ca dca-demo --in "
		    "%s/devices --out %s/device-certs", d->usb, d->usb);
		if ((r = run(d, line)) != 0)
			return r;
	}

	say(d, "Everything issued, from the registry:");
	if (cmd_find(1, (char *[]){ "list", NULL }, NULL) != NULL &&
	    (r = run(d, "list")) != 0)
		return r;
	if (cmd_find(2, (char *[]){ "journal", "verify", NULL }, NULL) != NULL) {
		say(d, "The auditor's check: the journal's chain and signatures "
		    "(no token, no PIN needed).");
		if ((r = run(d, "journal verify")) != 0)
			return r;
	}
	if (cmd_find(2, (char *[]){ "journal", "seal", NULL }, NULL) != NULL) {
		say(d, "Seal the ceremony: witnesses write down the seal hash.");
		if ((r = run(d, "journal seal")) != 0)
			return r;
	}
	say(d, "Done. Look around: %s (home: journal.jsonl, registry, "
	    "certs/; usb: what goes back online).\n    Remove it with: rm -rf %s",
	    d->dir, d->dir);
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 ? -1 : 0;
}

/* A demo that failed leaves nothing behind: its token, home and stick go. */
static void
demo_cleanup(struct out *o, const struct demo *d)
{
	if (nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == -1)
		out_warn(o, "demo: could not remove %s: %s", d->dir,
		    strerror(errno));
	else
		out_note(o, "airca demo: failed; removed %s", d->dir);
}

static int
cmd_demo_exec(struct cmd_ctx *ctx, struct ca *ca, const struct cmd_args *a)
{
	struct demo d;
	char conf[400], tokens[400], text[1024];
	int r;

	(void)ca;
	(void)a;
	memset(&d, 0, sizeof(d));
	snprintf(d.dir, sizeof(d.dir), "%s/airca-demo.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(d.dir) == NULL)
		return airca_errf(AIRCA_ERR_IO, "%s: %s", d.dir, strerror(errno));
	snprintf(d.home, sizeof(d.home), "%s/home", d.dir);
	snprintf(d.usb, sizeof(d.usb), "%s/usb", d.dir);
	snprintf(tokens, sizeof(tokens), "%s/tokens", d.dir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", d.dir);
	snprintf(text, sizeof(text), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n"
	    "slots.removable = false\n", tokens);
	if (mkdir(tokens, 0700) == -1 || mkdir(d.usb, 0755) == -1)
		r = airca_errf(AIRCA_ERR_IO, "%s: %s", d.dir, strerror(errno));
	else
		r = media_write(conf, text, strlen(text), 0);
	if (r == 0) {
		setenv("SOFTHSM2_CONF", conf, 1);
		d.ctx = *ctx;
		d.ctx.home = d.home;
		d.ctx.hsm = ctx->hsm != NULL ? ctx->hsm : "softhsm2";
		d.ctx.pin.env = DEMO_PIN_ENV;
		d.ctx.pin.file = NULL;
		out_result(ctx->out, "airca demo: a factory ceremony on a "
		    "SoftHSM token, narrated.");
		r = demo_run(&d);
	}
	explicit_bzero(d.pin, sizeof(d.pin));
	if (r != 0)
		demo_cleanup(ctx->out, &d);
	return r;
}

const struct cmd_entry cmd_demo_entry = {
	.name = "demo",
	.summary = "a whole ceremony on a fresh SoftHSM token in a temp home",
	.flags = CMD_NO_CEREMONY,	/* makes its own home and token */
	.exec = cmd_demo_exec,
};
