/*
 * fuzz-ceremony-report.c: libFuzzer harness for the ceremony transcript
 * (ceremony_report_load, ceremony_report_render) on journals whose entries
 * come from the input.  The verifier refuses anything unsigned, so the
 * harness writes a real journal with a software audit key: each input line
 * "EVENT JSON" becomes an entry (data {} when the JSON is no object) of one
 * ceremony ("seal" and "checkpoint" lines are signed with the key), then a
 * checkpoint signs the rest.  Every rendered line must be
 * printable UTF-8 of bounded width: journal text never drives the terminal.
 */
#include <sys/stat.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/keys.h"

#include "ceremony-report.h"
#include "error.h"
#include "journal.h"
#include "util.h"

#define ID	"ceremony-20260101T000000Z-0000fuzz"
#define MAX_LINES	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *root, *audit;
static EVP_PKEY *audit_key, *rk;
static char home[] = "/dev/shm/airca-fuzz-report.XXXXXX";
static char path[sizeof(home) + 32];

static void
init(void)
{
	rk = test_key("ec-p256");
	audit_key = test_key("ec-p256");
	root = test_cert(rk, "Fuzz Root", NULL, rk, 1);
	audit = test_cert(audit_key, "Fuzz Audit", root, rk, 2);
	if (root == NULL || audit == NULL || mkdtemp(home) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/%s", home, JOURNAL_FILE);
}

static void
check_line(void *arg, const char *line)
{
	size_t len = strlen(line), cols = 0, i;

	(void)arg;
	for (i = 0; i < len; i++)
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			cols++;
	if (!text_printable(line, len) || cols > CEREMONY_REPORT_WIDTH) {
		fprintf(stderr, "bad transcript line (%zu columns):", cols);
		for (i = 0; i < len; i++)
			fprintf(stderr, " %02x", (unsigned char)line[i]);
		fprintf(stderr, "\n");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ceremony_report *rep = NULL;
	struct journal_report jrep;
	struct journal *j = NULL;
	char *text, *line, *save = NULL, *sp, event[64];
	char hex[SHA256_HEX_LEN + 1];
	json_t *d;
	int n = 0;

	if (root == NULL)
		init();
	unlink(path);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (journal_create(home, ID, "fuzz", NULL, &j) != 0 ||
	    journal_pin(j, rk, root, audit) != 0)
		goto out;
	for (line = strtok_r(text, "\n", &save); line != NULL && n < MAX_LINES;
	    line = strtok_r(NULL, "\n", &save), n++) {
		sp = strchr(line, ' ');
		snprintf(event, sizeof(event), "%.*s", sp != NULL ?
		    (int)(sp - line) : (int)strlen(line), line);
		d = sp != NULL ? json_loads(sp + 1, 0, NULL) : NULL;
		if (!json_is_object(d)) {
			json_decref(d);
			d = json_object();
		}
		/* signatures are made, not copied: the verifier checks them */
		if (strcmp(event, "seal") == 0)
			journal_seal(j, audit_key, audit, NULL, hex);
		else if (strcmp(event, "checkpoint") == 0)
			journal_checkpoint(j, audit_key, audit);
		else
			journal_append(j, event, d, JOURNAL_NOSYNC, NULL);
		json_decref(d);
	}
	if (journal_checkpoint(j, audit_key, audit) != 0)
		goto out;
	journal_close(j);
	j = NULL;
	if (ceremony_report_load(path, root, audit, NULL, &rep, &jrep) == 0)
		ceremony_report_render(rep, &jrep, path, check_line, NULL);
 out:
	ceremony_report_free(rep);
	journal_close(j);
	free(text);
	airca_errclear();
	return 0;
}
