/* cmd-registry.c: airca registry rebuild: the registry replayed from a verified journal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "cmd.h"
#include "error.h"
#include "out.h"
#include "issue.h"
#include "journal.h"
#include "media.h"
#include "registry.h"
#include "replay.h"
#include "util.h"

/* Every certificate file must be the one the journal names, and named by it. */
static int
check_certs(struct out *o, const char *home, struct registry *reg)
{
	const struct reg_entry *e;
	char dir[PATH_MAX], fp[SHA256_HEX_LEN + 1], serial[SERIAL_HEX_MAX];
	X509 *x = NULL;
	DIR *d = NULL;
	struct dirent *de;
	size_t i, n;
	int r = 0;

	for (i = 0; i < registry_count(reg); i++) {
		if ((e = registry_peek(reg, i)) == NULL)
			return registry_error(reg);
		if ((r = registry_load_cert(home, e->serial, &x)) != 0)
			return airca_errctx(r, "certificate %s of the journal",
			    e->serial);
		cert_fingerprint(x, fp);
		X509_free(x);
		x = NULL;
		if (strcmp(fp, e->fingerprint) != 0)
			return airca_errf(AIRCA_ERR_STATE, "certs/%s.pem is not "
			    "the certificate the journal issued (SHA-256 %s, "
			    "journal says %s)", e->serial, fp, e->fingerprint);
	}
	if ((r = path_join(dir, sizeof(dir), home, "certs")) != 0)
		return r;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || n - 4 >= sizeof(serial) ||
		    strcmp(de->d_name + n - 4, ".pem") != 0)
			continue;
		memcpy(serial, de->d_name, n - 4);
		serial[n - 4] = '\0';
		if (registry_by_serial(reg, serial) == NULL)
			out_warn(o, "certs/%s is not in the journal (written "
			    "before an interrupted command?)", de->d_name);
	}
	closedir(d);
	return 0;
}

static int
cmd_registry_rebuild_exec(struct cmd_ctx *ctx, struct ca *unused,
    const struct cmd_args *a)
{
	struct ca ca;
	struct replay_result res;
	struct registry *reg = NULL;
	char path[PATH_MAX], old_hex[SHA256_HEX_LEN + 1] = "";
	char new_hex[SHA256_HEX_LEN + 1];
	unsigned char *old = NULL, *cur = NULL;
	size_t oldlen = 0, curlen = 0;
	X509 *root = NULL, *audit = NULL;
	bool same, body;
	int r;

	(void)unused;
	(void)a;
	ca_begin(&ca, ctx, "registry rebuild");
	if ((r = ca_home_path(ctx, ca.home, sizeof(ca.home))) != 0 ||
	    (r = ca_lock(&ca)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, "root.pem")) != 0 ||
	    (r = journal_load_cert(path, &root)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, "audit.pem")) != 0 ||
	    (r = journal_load_cert(path, &audit)) != 0)
		goto out;
	/* The journal must verify before anything it says is written. */
	if ((r = replay_journal(ca.home, root, audit, &reg, &res)) != 0) {
		airca_errctx(r, "the registry is rebuilt only from a journal "
		    "that verifies");
		goto out;
	}
	if (res.tail_n > 0 && !res.tail_applied) {
		r = airca_errf(AIRCA_ERR_JOURNAL, "the journal ends in %lu "
		    "unsigned entries (seq %lu..): %s; the registry is rebuilt "
		    "only from signed entries: run 'airca journal repair' first",
		    res.tail_n, res.tail_from, res.tail_list);
		goto out;
	}
	if ((r = check_certs(ctx->out, ca.home, reg)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, REGISTRY_FILE)) != 0)
		goto out;
	if (media_read(path, (size_t)1 << 30, &old, &oldlen) == 0)
		sha256_hex(old, oldlen, old_hex);
	airca_errclear();
	if ((r = registry_cache_matches(reg, &same, &body)) != 0 ||
	    (r = registry_save(reg)) != 0 ||
	    (r = media_read(path, (size_t)1 << 30, &cur, &curlen)) != 0)
		goto out;
	sha256_hex(cur, curlen, new_hex);
	out_result(ctx->out, "%s rebuilt from %lu journal entries (%lu state "
	    "events): %zu certificates\n  SHA-256 %s", path, res.rep.entries,
	    res.events, registry_count(reg), new_hex);
	if (old == NULL)
		out_result(ctx->out, "  there was no registry before");
	else if (strcmp(old_hex, new_hex) == 0)
		out_result(ctx->out, "  identical to the registry it replaced");
	else if (body)
		out_result(ctx->out, "  identical to the registry it replaced "
		    "but for its header (now at journal seq %lu)",
		    res.rep.entries);
	else
		out_result(ctx->out, "  the registry it replaced differed "
		    "(SHA-256 %s)", old_hex);
	r = 0;
 out:
	free(old);
	free(cur);
	registry_free(reg);
	X509_free(root);
	X509_free(audit);
	return ca_close(&ca, r);
}

const struct cmd_entry cmd_registry_rebuild_entry = {
	.name = "registry rebuild",
	.summary = "rebuild registry.jsonl from the verified journal",
	.flags = CMD_HOME_RAW,		/* opens and locks the home itself */
	.exec = cmd_registry_rebuild_exec,
};
