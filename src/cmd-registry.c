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
#include "issue.h"
#include "journal.h"
#include "media.h"
#include "registry.h"
#include "util.h"

struct replay {
	struct registry *reg;
	unsigned long events;
};

static int
replay_entry(void *arg, unsigned long seq, const char *event, json_t *entry)
{
	struct replay *rp = arg;
	int r;

	if (strcmp(event, "cert-issued") != 0 && strcmp(event, "cert-status") != 0)
		return 0;
	if ((r = registry_apply(rp->reg, event, json_object_get(entry,
	    "data"))) != 0)
		return airca_errctx(r, "journal seq %lu (%s)", seq, event);
	rp->events++;
	return 0;
}

/* Every certificate file must be the one the journal names, and named by it. */
static int
check_certs(const char *home, struct registry *reg)
{
	const struct reg_entry *e;
	char dir[PATH_MAX], fp[SHA256_HEX_LEN + 1], serial[SERIAL_HEX_MAX];
	X509 *x = NULL;
	DIR *d = NULL;
	struct dirent *de;
	size_t i, n;
	int r = 0;

	for (i = 0; i < registry_count(reg); i++) {
		e = registry_at(reg, i);
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
			fprintf(stderr, "airca: warning: certs/%s is not in the "
			    "journal (written before an interrupted command?)\n",
			    de->d_name);
	}
	closedir(d);
	return 0;
}

static int
cmd_registry_rebuild_exec(struct cmd_ctx *ctx, struct ca *unused,
    const struct cmd_args *a)
{
	struct ca ca;
	struct journal_report rep;
	struct replay rp;
	char path[PATH_MAX], old_hex[SHA256_HEX_LEN + 1] = "";
	char new_hex[SHA256_HEX_LEN + 1];
	unsigned char *old = NULL, *cur = NULL;
	size_t oldlen = 0, curlen = 0;
	X509 *root = NULL, *audit = NULL;
	int fd = -1, r;

	(void)unused;
	(void)a;
	memset(&rp, 0, sizeof(rp));
	ca_begin(&ca, ctx, "registry rebuild");
	if ((r = ca_home_path(ctx, ca.home, sizeof(ca.home))) != 0 ||
	    (r = ca_lock(&ca)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, "root.pem")) != 0 ||
	    (r = journal_load_cert(path, &root)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, "audit.pem")) != 0 ||
	    (r = journal_load_cert(path, &audit)) != 0 ||
	    (r = registry_new(ca.home, &rp.reg)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, JOURNAL_FILE)) != 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		r = airca_errf(AIRCA_ERR_STATE, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* The journal must verify before anything it says is written. */
	if ((r = journal_verify_fd(fd, path, root, audit, NULL, replay_entry,
	    &rp, &rep)) != 0) {
		airca_errctx(r, "the registry is rebuilt only from a journal "
		    "that verifies");
		goto out;
	}
	if ((r = check_certs(ca.home, rp.reg)) != 0 ||
	    (r = path_join(path, sizeof(path), ca.home, REGISTRY_FILE)) != 0)
		goto out;
	if (media_read(path, (size_t)1 << 30, &old, &oldlen) == 0)
		sha256_hex(old, oldlen, old_hex);
	airca_errclear();
	if ((r = registry_save(rp.reg)) != 0 ||
	    (r = media_read(path, (size_t)1 << 30, &cur, &curlen)) != 0)
		goto out;
	sha256_hex(cur, curlen, new_hex);
	printf("%s rebuilt from %lu journal entries (%lu certificate events): "
	    "%zu certificates\n  SHA-256 %s\n", path, rep.entries, rp.events,
	    registry_count(rp.reg), new_hex);
	if (old == NULL)
		printf("  there was no registry before\n");
	else if (strcmp(old_hex, new_hex) == 0)
		printf("  identical to the registry it replaced\n");
	else
		printf("  the registry it replaced differed (SHA-256 %s)\n",
		    old_hex);
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	free(old);
	free(cur);
	registry_free(rp.reg);
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
