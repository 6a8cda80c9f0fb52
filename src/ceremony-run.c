/*
 * ceremony-run.c: the ceremony runner shared by the CLI and the TUI: names
 * the participants, shows and confirms each step, runs it through the
 * command table (never a shell), journals every outcome, stops at the first
 * failure with the journal intact.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "airgap.h"
#include "ca.h"
#include "ceremony.h"
#include "cmd.h"
#include "error.h"
#include "hsm.h"
#include "journal.h"
#include "media.h"
#include "qr.h"
#include "util.h"

#define MAX_PARTICIPANTS	(CEREMONY_MAX_ROLES * CEREMONY_MAX_ROLE_COUNT)
#define FINGERPRINT_MAX_FILES	100000
#define ASK_TRIES		5

struct runner {
	struct ceremony *c;
	const struct ceremony_ui *ui;
	struct cmd_ctx ctx;		/* the caller's, with ceremony = id */
	char	id[96];
	struct ca ca;
	bool	home_open;
	bool	have_journal;		/* false until 'run init' made it */
	unsigned npartial;		/* run steps that were done with inputs refused by policy */
	json_t	*pending;		/* entries waiting for that journal */
	struct ceremony_participant parts[MAX_PARTICIPANTS];
	size_t	nparts;
};

int
ceremony_load(const char *path, ceremony_find_fn find, struct ceremony **cp)
{
	unsigned char *buf = NULL;
	size_t len;
	int r;

	if ((r = media_read(path, MEDIA_MAX_CONF, &buf, &len)) == 0)
		r = ceremony_parse(path, buf, len, find, cp);
	free(buf);
	return r;
}

static void
show(struct runner *rn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
show(struct runner *rn, const char *fmt, ...)
{
	char buf[CEREMONY_MAX_SAY + 512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);	/* display only: may shorten */
	va_end(ap);
	rn->ui->show(rn->ui->arg, buf);
}

/*
 * Journal an entry of the runner.  Before 'run init' has created the
 * journal, entries wait in memory with the time they happened.
 */
static int
rjournal(struct runner *rn, const char *event, json_t *data)
{
	char ts[21];
	json_t *e;

	if (rn->home_open)
		return ca_journal(&rn->ca, event, data, 0);
	if (rn->have_journal)
		return airca_errf(AIRCA_ERR_INTERNAL, "ceremony: journal closed "
		    "for %s", event);
	time_iso(now(), ts);
	if ((e = json_pack("{s:s,s:s,s:O}", "event", event, "time", ts,
	    "data", data)) == NULL || json_array_append_new(rn->pending, e))
		return AIRCA_ERR_NOMEM;
	return 0;
}

/* Open the home for the runner's own entries; flush what waited. */
static int
home_open(struct runner *rn)
{
	json_t *e, *d;
	size_t i;
	int r;

	if (rn->home_open)
		return 0;
	if ((r = ca_open(&rn->ca, &rn->ctx, "ceremony run",
	    CA_HOME | CA_WRITE)) != 0) {
		ca_close(&rn->ca, 0);
		return r;
	}
	rn->home_open = true;
	rn->have_journal = true;
	json_array_foreach(rn->pending, i, e) {
		d = json_deep_copy(json_object_get(e, "data"));
		if (d == NULL || json_object_set(d, "deferred-from",
		    json_object_get(e, "time")) != 0) {
			json_decref(d);
			return AIRCA_ERR_NOMEM;
		}
		r = ca_journal(&rn->ca, json_string_value(json_object_get(e,
		    "event")), d, 0);
		json_decref(d);
		if (r != 0)
			return r;
	}
	json_array_clear(rn->pending);
	return 0;
}

/*
 * Close the home before a command takes its lock.  The runner holds no
 * token session, so its entries are signed by the checkpoint that the next
 * command (or the seal) writes; closing the journal first keeps ca_close()
 * from warning about that each time.
 */
static void
home_close(struct runner *rn)
{
	if (!rn->home_open)
		return;
	journal_close(rn->ca.j);
	rn->ca.j = NULL;
	ca_close(&rn->ca, 0);
	rn->home_open = false;
}

static const struct ceremony_participant *
participant_by_name(const struct runner *rn, const char *name)
{
	size_t i;

	for (i = 0; i < rn->nparts; i++)
		if (strcasecmp(rn->parts[i].name, name) == 0)
			return &rn->parts[i];
	return NULL;
}

static int
name_participants(struct runner *rn)
{
	struct ceremony *c = rn->c;
	struct ceremony_participant *p;
	size_t i, tries;
	unsigned k;
	int r;

	for (i = 0; i < c->nroles; i++) {
		for (k = 0; k < c->roles[i].count; k++) {
			p = &rn->parts[rn->nparts];
			for (tries = 0;; tries++) {
				memset(p->name, 0, sizeof(p->name));
				if ((r = rn->ui->participant(rn->ui->arg,
				    c->roles[i].name, k, c->roles[i].count,
				    p->name, sizeof(p->name))) != 0)
					return r;
				if (!name_safe(p->name, 64) ||
				    strpbrk(p->name, "{}") != NULL)
					r = airca_errf(AIRCA_ERR_INPUT, "name "
					    "'%.64s': 1..64 printable "
					    "characters, no '/'", p->name);
				else if (participant_by_name(rn, p->name))
					r = airca_errf(AIRCA_ERR_INPUT, "%s "
					    "is named already: each "
					    "participant takes one role",
					    p->name);
				if (r == 0)
					break;
				if (!rn->ui->interactive || tries + 1 >= ASK_TRIES)
					return r;
				show(rn, "  %s", airca_errmsg());
			}
			p->role = i;
			rn->nparts++;
		}
	}
	return 0;
}

/* Who confirms step s: a participant of its role. */
static int
get_confirmation(struct runner *rn, const struct ceremony_step *s,
    const struct ceremony_participant **whop)
{
	const struct ceremony_participant *p;
	const char *role = rn->c->roles[s->role].name;
	char name[65];
	size_t tries;
	int r;

	for (tries = 0;; tries++) {
		memset(name, 0, sizeof(name));
		if ((r = rn->ui->confirm(rn->ui->arg, s, role, name,
		    sizeof(name))) != 0) {
			if (r == AIRCA_ERR_CANCELLED && *airca_errmsg() == '\0')
				airca_errf(r, "step %u was not confirmed", s->n);
			return r;
		}
		if ((p = participant_by_name(rn, name)) == NULL)
			r = airca_errf(AIRCA_ERR_INPUT, "'%.64s' is not a "
			    "participant of this ceremony", name);
		else if (p->role != s->role)
			r = airca_errf(AIRCA_ERR_INPUT, "%s is %s; step %u is "
			    "confirmed by the %s", p->name,
			    rn->c->roles[p->role].name, s->n, role);
		else {
			*whop = p;
			return 0;
		}
		if (!rn->ui->interactive || tries + 1 >= ASK_TRIES)
			return r;
		show(rn, "  %s", airca_errmsg());
	}
}

static void
show_sha(struct runner *rn, const char *indent, const char *what,
    const char *hex)
{
	char groups[SHA256_HEX_LEN * 5 / 4 + 1];

	hex_groups(hex, groups, sizeof(groups));
	/* 16 groups: two lines of 8, to read aloud */
	show(rn, "%s%.39s", indent, groups);
	show(rn, "%s%s", indent, groups + 40);
	if (rn->ui->sha256 != NULL)
		rn->ui->sha256(rn->ui->arg, what, hex);
}

/*
 * A hash's QR code, for a phone to compare with the online machine's.  A
 * front end with a sha256 hook draws its own (the TUI, in a pane).
 */
static void
show_qr(struct runner *rn, const char *indent, const char *hex)
{
	char **qr = NULL;
	size_t nqr = 0, i;

	if (rn->ui->sha256 != NULL || qr_lines(hex, 0, &qr, &nqr) != 0)
		return;		/* the hex is shown; the QR is an aid */
	for (i = 0; i < nqr; i++)
		show(rn, "%s%s", indent, qr[i]);
	qr_lines_free(qr, nqr);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of a directory: its sha256sum listing (regular files, sorted). */
static int
fingerprint_dir(const char *path, int dfd, char hex[SHA256_HEX_LEN + 1],
    size_t *nfilesp)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **nn, fh[SHA256_HEX_LEN + 1];
	char *list = NULL, *nl;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, i, len, llen = 0, lcap = 0, need;
	int fd, r = 0;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		r = airca_errf(AIRCA_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == FINGERPRINT_MAX_FILES) {
			r = airca_errf(AIRCA_ERR_UNSAFE, "%s: more than %d "
			    "files", path, FINGERPRINT_MAX_FILES);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = reallocarray(names, cap, sizeof(*nn))) ==
			    NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			names = nn;
		}
		if ((names[n] = xstrdup(de->d_name)) == NULL) {
			r = AIRCA_ERR_NOMEM;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if ((r = media_read_at(dfd, names[i], MEDIA_MAX_JSON, &buf,
		    &len)) != 0)
			goto out;
		sha256_hex(buf, len, fh);
		free(buf);
		buf = NULL;
		need = SHA256_HEX_LEN + 2 + strlen(names[i]) + 1;
		if (llen + need + 1 > lcap) {
			lcap = (llen + need + 1) * 2;
			if ((nl = realloc(list, lcap)) == NULL) {
				r = AIRCA_ERR_NOMEM;
				goto out;
			}
			list = nl;
		}
		llen += (size_t)snprintf(list + llen, lcap - llen, "%s  %s\n",
		    fh, names[i]);
	}
	sha256_hex(list != NULL ? list : "", llen, hex);
	*nfilesp = n;
 out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(list);
	free(buf);
	return r;
}

int
ceremony_fingerprint(const char *path, char hex[SHA256_HEX_LEN + 1],
    size_t *nfilesp)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t len;
	int dfd, r;

	if (lstat(path, &st) == -1)
		return airca_errf(errno == ENOENT ? AIRCA_ERR_NOTFOUND :
		    AIRCA_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if ((dfd = media_opendir(path)) < 0)
			return dfd;
		r = fingerprint_dir(path, dfd, hex, nfilesp);
		close(dfd);
		return r;
	}
	if ((r = media_read(path, MEDIA_MAX_JSON, &buf, &len)) != 0)
		return r;
	sha256_hex(buf, len, hex);
	*nfilesp = 1;
	free(buf);
	return 0;
}

static int
step_airgap(struct runner *rn, json_t *detail)
{
	struct hsm_profile prof;
	struct airgap_report rep;
	const char *pol;
	int r;

	if (rn->ctx.hsm == NULL)
		return airca_errf(AIRCA_ERR_USAGE, "no HSM profile: pass --hsm "
		    "PROFILE or set AIRCA_HSM (its network policy decides)");
	if ((r = hsm_profile_load(rn->ctx.hsm, &prof)) != 0)
		return r;
	pol = prof.network == NET_REFUSE ? "refuse" :
	    prof.network == NET_WARN ? "warn" : "allow";
	r = airgap_check(prof.network, &rep);
	show(rn, "  network: %s (HSM profile '%s': policy %s)", rep.summary,
	    prof.name, pol);
	json_object_set_new(detail, "interfaces", json_string(rep.summary));
	json_object_set_new(detail, "policy", json_string(pol));
	if (r == 0 && rep.nup > 0)
		show(rn, "  WARNING: interfaces are up; the profile allows it, "
		    "and the journal records it");
	return r;
}

static int
step_fingerprint(struct runner *rn, const struct ceremony_step *s,
    json_t *detail)
{
	char path[CEREMONY_MAX_VALUE * 2], hex[SHA256_HEX_LEN + 1];
	json_t *files;
	size_t i, nfiles;
	int r;

	if ((files = json_array()) == NULL)
		return AIRCA_ERR_NOMEM;
	json_object_set_new(detail, "files", files);
	for (i = 0; i < s->nargs; i++) {
		if ((r = ceremony_expand(rn->c, s->args[i], path,
		    sizeof(path))) != 0 ||
		    (r = ceremony_fingerprint(path, hex, &nfiles)) != 0)
			return r;
		show(rn, "  %s%s", path, nfiles != 1 || path[strlen(path) - 1]
		    == '/' ? " (directory: SHA-256 of its sha256sum listing)" :
		    "");
		if (nfiles != 1)
			show(rn, "    %zu files", nfiles);
		show_sha(rn, "    ", path, hex);
		show_qr(rn, "    ", hex);
		json_array_append_new(files, json_pack("{s:s,s:s,s:I}", "path",
		    path, "sha256", hex, "files", (json_int_t)nfiles));
	}
	return 0;
}

static int
step_media(struct runner *rn, const struct ceremony_step *s, json_t *detail)
{
	char path[CEREMONY_MAX_VALUE * 2];
	struct stat st;
	int r;

	if ((r = ceremony_expand(rn->c, s->args[0], path, sizeof(path))) != 0)
		return r;
	if (lstat(path, &st) == -1)
		return airca_errf(AIRCA_ERR_NOTFOUND, "%s is not there (%s): "
		    "is the media inserted and mounted?", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return airca_errf(AIRCA_ERR_UNSAFE, "%s is neither a directory "
		    "nor a regular file", path);
	show(rn, "  %s is there (%s)", path, S_ISDIR(st.st_mode) ?
	    "directory" : "file");
	json_object_set_new(detail, "path", json_string(path));
	return 0;
}

/*
 * The inputs of a run step (the values of --in): shown by SHA-256 before
 * anyone confirms, and journaled, so the room checks what the command is
 * about to read.
 */
static int
step_inputs(struct runner *rn, char **argv, int argc, json_t *detail)
{
	char hex[SHA256_HEX_LEN + 1];
	const char *path;
	json_t *inputs = NULL;
	size_t nfiles;
	int i, r;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--in") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--in=", 5) == 0)
			path = argv[i] + 5;
		else
			continue;
		if ((r = ceremony_fingerprint(path, hex, &nfiles)) != 0)
			return airca_errctx(r, "input %s", path);
		if (inputs == NULL) {
			if ((inputs = json_array()) == NULL ||
			    json_object_set_new(detail, "inputs", inputs) != 0)
				return AIRCA_ERR_NOMEM;
		}
		show(rn, "  input %s%s", path, nfiles != 1 ? " (directory: "
		    "SHA-256 of its sha256sum listing)" : "");
		if (nfiles != 1)
			show(rn, "    %zu files", nfiles);
		show_sha(rn, "    ", path, hex);
		if (json_array_append_new(inputs, json_pack("{s:s,s:s,s:I}",
		    "path", path, "sha256", hex, "files", (json_int_t)nfiles)))
			return AIRCA_ERR_NOMEM;
	}
	return 0;
}

/* Call a command's exec as the CLI would, under the ceremony id. */
static int
exec_command(struct runner *rn, const struct cmd_entry *e, int argc,
    char **argv, const char *actor)
{
	struct cmd_ctx ctx = rn->ctx;
	int r;

	ctx.actor = actor;
	home_close(rn);
	airca_errclear();
	r = rn->ui->run(&ctx, argc, argv);
	if (r != 0)
		show(rn, "  airca %s: %s%s%s", e->name, airca_strerror(r),
		    *airca_errmsg() != '\0' ? ": " : "", airca_errmsg());
	return r;
}

static int
step_run(struct runner *rn, const struct ceremony_step *s,
    const struct ceremony_participant *who, char **argv, int argc,
    json_t *detail)
{
	int r;

	r = exec_command(rn, s->cmd, argc, argv, who->name);
	json_object_set_new(detail, "exit", json_integer(airca_exit_code(r)));
	return r;
}

static int
step_seal(struct runner *rn, const struct ceremony_participant *who)
{
	const struct cmd_entry *e;
	char *argv[] = { "journal", "seal", NULL };
	int nw = 0;

	if ((e = rn->ui->find(2, argv, &nw)) == NULL || nw != 2)
		return airca_errf(AIRCA_ERR_STATE, "this airca has no 'journal "
		    "seal' command: the ceremony cannot be sealed");
	return exec_command(rn, e, 2, argv, who->name);
}

/*
 * Sign the abort.  The runner holds no token session, so its last entries
 * (the failed step, "ceremony-aborted") would stay unsigned, and 'journal
 * verify' and 'ceremony report' refuse the journal, until the next command
 * that uses the token.  One more login covers them with a checkpoint.
 * Never after a login or token failure (another try with the same PIN
 * could lock the token), and a non-interactive run without a PIN source
 * never asks.
 */
static void
sign_abort(struct runner *rn, int why)
{
	struct ca ca;
	int r;

	home_close(rn);
	if (why == AIRCA_ERR_LOGIN || why == AIRCA_ERR_TOKEN) {
		show(rn, "  the abort is not signed (the token failed): before "
		    "the next command, an officer adopts it with 'airca "
		    "journal repair --adopt --yes'");
		return;
	}
	if (!rn->ui->interactive && rn->ctx.pin.env == NULL &&
	    rn->ctx.pin.file == NULL) {
		show(rn, "  the abort is not signed (no PIN source for a "
		    "non-interactive run): before the next command, an "
		    "officer adopts it with 'airca journal repair --adopt "
		    "--yes'");
		return;
	}
	show(rn, "  signing the abort with the audit key: the token's user "
	    "PIN, once more");
	if ((r = ca_open(&ca, &rn->ctx, "ceremony run", CA_HOME | CA_WRITE |
	    CA_TOKEN)) == 0)
		r = ca_close(&ca, 0);
	else
		ca_close(&ca, r);
	if (r == 0)
		show(rn, "  the abort is signed");
	else
		show(rn, "  the abort is not signed (%s%s%s): before the next "
		    "command, an officer adopts it with 'airca journal repair "
		    "--adopt --yes'", airca_strerror(r),
		    *airca_errmsg() != '\0' ? ": " : "", airca_errmsg());
}

/* Show a step, get it confirmed, do it, journal the outcome. */
static int
run_step(struct runner *rn, const struct ceremony_step *s)
{
	const struct ceremony_participant *who = NULL;
	const char *role = rn->c->roles[s->role].name;
	char say[CEREMONY_MAX_SAY + CEREMONY_MAX_VALUE * 4], ts[21];
	char line[CEREMONY_MAX_LINE * 2];
	char **argv = NULL;
	json_t *detail = NULL, *d = NULL;
	size_t i, o;
	int argc = 0, r, r2;
	bool partial = false;

	if ((detail = json_object()) == NULL)
		return AIRCA_ERR_NOMEM;
	show(rn, "%s", "");
	show(rn, "Step %u of %zu: %s (by %s)", s->n,
	    rn->c->nsteps, ceremony_kind_name(s->kind), role);
	if ((r = ceremony_expand(rn->c, s->say, say, sizeof(say))) != 0)
		goto done;
	show(rn, "  %s", say);

	/* checks show their result before the confirmation; actions after it */
	switch (s->kind) {
	case CEREMONY_CONFIRM_CLOCK:
		time_iso(now(), ts);
		show(rn, "  this machine's clock: %s (UTC)", ts);
		json_object_set_new(detail, "clock", json_string(ts));
		break;
	case CEREMONY_CHECK_AIRGAP:
		r = step_airgap(rn, detail);
		break;
	case CEREMONY_CONFIRM_SCRIPT:
		show(rn, "  script %s, SHA-256:", rn->c->file);
		show_sha(rn, "    ", rn->c->file, rn->c->sha256);
		json_object_set_new(detail, "sha256",
		    json_string(rn->c->sha256));
		break;
	case CEREMONY_SHOW_FINGERPRINT:
		r = step_fingerprint(rn, s, detail);
		break;
	case CEREMONY_INSERT_MEDIA:
		if ((r = ceremony_expand(rn->c, s->args[0], line,
		    sizeof(line))) == 0)
			show(rn, "  media: %s", line);
		break;
	case CEREMONY_RUN:
		if ((r = ceremony_step_argv(rn->c, s, &argv, &argc)) != 0)
			break;
		o = (size_t)snprintf(line, sizeof(line), "airca");
		for (i = 0; i < (size_t)argc && o < sizeof(line); i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " %s", argv[i]);
		if (o >= sizeof(line)) {
			r = airca_errf(AIRCA_ERR_INPUT, "step %u: command "
			    "line too long", s->n);
			break;
		}
		show(rn, "  command: %s", line);
		json_object_set_new(detail, "command", json_string(line));
		r = step_inputs(rn, argv, argc, detail);
		break;
	case CEREMONY_SEAL:
	case CEREMONY_NKINDS:
		break;
	}
	if (r != 0)
		goto done;
	if ((r = get_confirmation(rn, s, &who)) != 0)
		goto done;
	show(rn, "  confirmed by %s (%s)", who->name, role);
	switch (s->kind) {
	case CEREMONY_INSERT_MEDIA:
		r = step_media(rn, s, detail);
		break;
	case CEREMONY_RUN:
		r = step_run(rn, s, who, argv, argc, detail);
		/*
		 * Some inputs refused by policy, the rest done (a batch with
		 * rejected requests): the command finished and journaled the
		 * refusals, so the ceremony goes on to its seal; the step is
		 * journaled "partial" and the run ends with exit status 3.
		 */
		if (r == AIRCA_ERR_PARTIAL) {
			show(rn, "  done, but some inputs were refused by policy "
			    "(listed with their reasons in the command's "
			    "output); the ceremony goes on");
			json_object_set_new(detail, "refused",
			    json_string(airca_errmsg()));
			rn->npartial++;
			partial = true;
			r = 0;
		}
		/* init made the home: from now on the runner journals there */
		if ((r == 0 || rn->have_journal ||
		    strcmp(s->cmd->name, "init") != 0) &&
		    (r2 = home_open(rn)) != 0 && r == 0)
			r = r2;
		break;
	case CEREMONY_SEAL:
		/* the seal is the ceremony's last entry: journal the step first */
		d = json_pack("{s:I,s:s,s:s,s:s,s:s}", "step", (json_int_t)s->n,
		    "kind", "seal", "role", role, "confirmed-by", who->name,
		    "result", "confirmed");
		if (d != NULL && !rn->ui->interactive)
			json_object_set_new(d, "interactive", json_false());
		if ((r = rjournal(rn, "ceremony-step", d)) != 0)
			break;
		if ((r = step_seal(rn, who)) != 0 && rn->have_journal &&
		    (r2 = home_open(rn)) != 0)
			show(rn, "  cannot reopen the journal: %s",
			    airca_errmsg());
		goto done_sealed;
	default:
		break;
	}
 done:
	json_decref(d);
	d = json_pack("{s:I,s:s,s:s,s:s?,s:s}", "step", (json_int_t)s->n,
	    "kind", ceremony_kind_name(s->kind), "role", role,
	    "confirmed-by", who != NULL ? who->name : NULL,
	    "result", r == 0 ? (partial ? "partial" : "ok") :
	    r == AIRCA_ERR_CANCELLED ? "declined" : "failed");
	if (d != NULL && r != 0)
		json_object_set_new(d, "reason", json_string(airca_errmsg()));
	if (d != NULL && !rn->ui->interactive)	/* every step says so */
		json_object_set_new(d, "interactive", json_false());
	if (d != NULL)
		json_object_update(d, detail);
	if (d == NULL)
		r = AIRCA_ERR_NOMEM;
	else if ((rn->home_open || !rn->have_journal) &&
	    (r2 = rjournal(rn, "ceremony-step", d)) != 0 && r == 0)
		r = r2;
 done_sealed:
	json_decref(d);
	json_decref(detail);
	ceremony_argv_free(argv);
	return r;
}

int
ceremony_run(struct ceremony *c, struct cmd_ctx *ctx,
    const struct ceremony_ui *ui, char *id, size_t idsize)
{
	struct runner *rn;
	json_t *d = NULL, *parts = NULL, *params = NULL;
	char reason[1024];
	size_t i;
	int r, r2;
	bool has_init = false;

	if ((rn = calloc(1, sizeof(*rn))) == NULL)
		return AIRCA_ERR_NOMEM;
	rn->c = c;
	rn->ui = ui;
	rn->ctx = *ctx;
	journal_new_id("ceremony", rn->id, sizeof(rn->id));
	rn->ctx.ceremony = rn->id;
	snprintf(id, idsize, "%s", rn->id);
	if ((rn->pending = json_array()) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = ceremony_params_complete(c)) != 0)
		goto out;
	for (i = 0; i < c->nsteps; i++)
		if (c->steps[i].kind == CEREMONY_RUN &&
		    strcmp(c->steps[i].cmd->name, "init") == 0)
			has_init = true;
	/* without init the home must be there before anyone signs in */
	if (!has_init && (r = home_open(rn)) != 0)
		goto out;

	show(rn, "Ceremony: %s", c->title);
	show(rn, "  id %s", rn->id);
	show(rn, "  script %s", c->file);
	show(rn, "  confirmations: %s%s", ui->source,
	    ui->interactive ? "" : " (NON-INTERACTIVE, journaled as such)");
	if ((r = name_participants(rn)) != 0)
		goto abort;
	if ((parts = json_array()) == NULL || (params = json_object()) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < rn->nparts; i++)
		json_array_append_new(parts, json_pack("{s:s,s:s}", "name",
		    rn->parts[i].name, "role", c->roles[rn->parts[i].role].name));
	for (i = 0; i < c->nparams; i++)
		json_object_set_new(params, c->params[i].name,
		    json_string(c->params[i].value));
	if ((d = json_pack("{s:s,s:s,s:s,s:O,s:O,s:b,s:s,s:I}", "script",
	    c->file, "script-sha256", c->sha256, "title", c->title,
	    "participants", parts, "params", params, "interactive",
	    ui->interactive, "confirmations", ui->source, "steps",
	    (json_int_t)c->nsteps)) == NULL) {
		r = AIRCA_ERR_NOMEM;
		goto out;
	}
	if ((r = rjournal(rn, "ceremony-opened", d)) != 0)
		goto abort;
	for (i = 0; i < c->nsteps; i++)
		if ((r = run_step(rn, &c->steps[i])) != 0)
			break;
	if (r == 0) {
		show(rn, "%s", "");
		show(rn, "Ceremony %s sealed.", rn->id);
		if (rn->npartial > 0)
			r = airca_errf(AIRCA_ERR_PARTIAL, "ceremony %s sealed; "
			    "%u step%s had inputs refused by policy (see the "
			    "step output and 'airca ceremony report')", rn->id,
			    rn->npartial, rn->npartial == 1 ? "" : "s");
		goto out;
	}
 abort:
	snprintf(reason, sizeof(reason), "%s", airca_errmsg());
	json_decref(d);
	d = json_pack("{s:I,s:s,s:s}", "step", (json_int_t)(i < c->nsteps ?
	    c->steps[i].n : 0), "error", airca_strerror(r), "reason", reason);
	show(rn, "%s", "");
	show(rn, "CEREMONY ABORTED at step %zu: %s%s%s", i < c->nsteps ?
	    (size_t)c->steps[i].n : (size_t)0, airca_strerror(r),
	    *reason != '\0' ? ": " : "", reason);
	if (d != NULL && (rn->home_open || !rn->have_journal) &&
	    (r2 = rjournal(rn, "ceremony-aborted", d)) != 0)
		show(rn, "  could not journal the abort: %s", airca_errmsg());
	else if (rn->home_open)
		sign_abort(rn, r);
	if (!rn->have_journal)
		show(rn, "  nothing was journaled: no journal exists before "
		    "'run init' succeeds");
	airca_errf(r, "%s", reason);
 out:
	home_close(rn);
	json_decref(d);
	json_decref(parts);
	json_decref(params);
	json_decref(rn->pending);
	free(rn);
	return r;
}
