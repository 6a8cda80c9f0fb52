/* replay.c: the registry replayed from the verified journal, the one way state is made. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "custody.h"
#include "error.h"
#include "replay.h"
#include "util.h"

struct replay {
	struct registry *reg;
	json_t	*pending;		/* entries no signature covers yet */
	unsigned long events;
};

static bool
state_event(const char *event)
{
	return strcmp(event, "cert-issued") == 0 ||
	    strcmp(event, "cert-status") == 0 ||
	    strcmp(event, "crl-issued") == 0 ||
	    strcmp(event, "root-crt-exported") == 0 || custody_event(event);
}

static int
apply_pending(struct replay *rp)
{
	json_t *e;
	size_t i;
	const char *event;
	int r;

	json_array_foreach(rp->pending, i, e) {
		event = json_string_value(json_object_get(e, "event"));
		if (!state_event(event))
			continue;
		if ((r = registry_apply(rp->reg, event, json_object_get(e,
		    "data"))) != 0)
			return airca_errctx(r, "journal seq %lld (%s)",
			    (long long)json_integer_value(json_object_get(e,
			    "seq")), event);
		rp->events++;
	}
	json_array_clear(rp->pending);
	return 0;
}

static int
replay_entry(void *arg, unsigned long seq, const char *event, json_t *entry)
{
	struct replay *rp = arg;

	(void)seq;
	if (journal_event_signed(event))
		return apply_pending(rp);
	if (json_array_append(rp->pending, entry) != 0)
		return AIRCA_ERR_NOMEM;
	return 0;
}

/* "seq N EVENT sha256 HEX" for the first few entries of the tail. */
static void
tail_describe(struct replay *rp, struct replay_result *res)
{
	json_t *e;
	size_t i, o = 0;
	char *line, hex[SHA256_HEX_LEN + 1];
	int n;

	res->tail_list[0] = '\0';
	json_array_foreach(rp->pending, i, e) {
		if (i == 4) {
			snprintf(res->tail_list + o, sizeof(res->tail_list) - o,
			    "; and %zu more", json_array_size(rp->pending) - i);
			break;
		}
		if ((line = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_ENSURE_ASCII)) == NULL)
			break;
		sha256_hex(line, strlen(line), hex);
		free(line);
		n = snprintf(res->tail_list + o, sizeof(res->tail_list) - o,
		    "%sseq %lld %.32s sha256 %s", i > 0 ? "; " : "",
		    (long long)json_integer_value(json_object_get(e, "seq")),
		    json_string_value(json_object_get(e, "event")), hex);
		if (n < 0 || (size_t)n >= sizeof(res->tail_list) - o)
			break;
		o += (size_t)n;
	}
}

int
replay_journal(const char *home, X509 *root, X509 *audit,
    struct registry **regp, struct replay_result *res)
{
	struct replay rp;
	struct stat st;
	char path[PATH_MAX];
	int fd = -1, r;

	memset(res, 0, sizeof(*res));
	memset(&rp, 0, sizeof(rp));
	if ((rp.pending = json_array()) == NULL)
		return AIRCA_ERR_NOMEM;
	if ((r = registry_new(home, &rp.reg)) != 0 ||
	    (r = path_join(path, sizeof(path), home, JOURNAL_FILE)) != 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		r = airca_errf(errno == ENOENT ? AIRCA_ERR_STATE : AIRCA_ERR_IO,
		    "%s: %s", path, errno == ELOOP ? "a symbolic link "
		    "(refused)" : strerror(errno));
		goto out;
	}
	/* a cert-issued line is some 600 bytes: the indexes sized once, not grown */
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		registry_expect(rp.reg, (size_t)(st.st_size / 512));
	r = journal_verify_fd(fd, path, root, audit, NULL, replay_entry, &rp,
	    &res->rep);
	if (r == AIRCA_ERR_VERIFY && res->rep.unsigned_tail > 0 &&
	    res->rep.unsigned_tail == json_array_size(rp.pending)) {
		/* all that is wrong is a tail no signature covers (yet) */
		res->tail_from = res->rep.last_signed + 1;
		res->tail_n = res->rep.unsigned_tail;
		tail_describe(&rp, res);
		airca_errclear();
		r = 0;
		if (journal_tail_own(path, res->tail_from, res->rep.entries,
		    res->rep.head)) {
			if ((r = apply_pending(&rp)) != 0)
				goto out;
			res->tail_applied = true;
		}
	}
	if (r != 0)
		goto out;
	registry_set_head(rp.reg, res->rep.entries, res->rep.head);
	res->events = rp.events;
	*regp = rp.reg;
	rp.reg = NULL;
 out:
	if (fd != -1)
		close(fd);
	json_decref(rp.pending);
	registry_free(rp.reg);
	return r;
}
