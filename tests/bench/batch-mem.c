/*
 * batch-mem.c: the batch's own memory, apart from the registry's: a
 * directory of requests opened (names sorted, duplicate sets made) and
 * scanned (every request read, judged and put in the sets, as batch sign
 * does before signing it), nothing signed, so the registry does not grow.
 *   batch-mem LABEL DIR     (AIRCA_HOME)
 * Prints, in KiB, the RSS and its peak before (the CA open), the peak after
 * batch_open and after batch_scan, then the requests: the last peak minus
 * the RSS before is what the batch holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "ca.h"
#include "error.h"

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"). */
static long
status_kib(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	struct batch_counts c;
	struct batch *b = NULL;
	struct cmd_ctx ctx;
	struct ca ca;
	long before, hwm0, opened;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: batch-mem LABEL DIR\n");
		return 2;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.home = getenv("AIRCA_HOME");
	ctx.actor = "bench";
	if ((r = ca_open(&ca, &ctx, "bench", CA_HOME)) != 0) {
		fprintf(stderr, "batch-mem: %s\n", airca_errmsg());
		return 1;
	}
	before = status_kib("VmRSS");
	hwm0 = status_kib("VmHWM");
	if ((r = batch_open(&ca, argv[1], argv[2], &b)) == 0) {
		opened = status_kib("VmHWM");
		r = batch_scan(b, NULL, &c, NULL);
	}
	if (r != 0) {
		fprintf(stderr, "batch-mem: %s\n", airca_errmsg());
		batch_free(b);
		ca_close(&ca, r);
		return 1;
	}
	printf("%ld %ld %ld %ld %zu\n", before, hwm0, opened,
	    status_kib("VmHWM"), c.total);
	batch_free(b);
	return ca_close(&ca, 0) != 0;
}
