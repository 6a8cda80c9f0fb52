/* test-meter.c: batch progress (batch_meter_tick): the rate a batch's last line shows. */
#include <string.h>
#include <time.h>

#include "check.h"
#include "batch-int.h"

static struct batch_progress last;

static void
record(void *arg, const struct batch_progress *p)
{
	(void)arg;
	last = *p;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The last requests recorded in one burst as the signing window empties:
 * a tick with all of them done, then the final one at once.  The final
 * line still shows the run's rate, not none.
 */
static void
test_final_after_burst(void)
{
	struct batch_hooks hooks = { NULL, record, NULL };
	struct batch_counts c = { 14, 0, 0, 0 };
	struct meter m;
	char text[128];

	memset(&m, 0, sizeof(m));
	m.hooks = &hooks;
	m.start = m.last = batch_mono();
	sleep_ms(120);
	c.accepted = 14;
	batch_meter_tick(&m, &c, false);
	CHECK(last.done == 14 && !last.final);
	batch_meter_tick(&m, &c, true);
	CHECK(last.final);
	CHECK(last.rate > 0);
	batch_progress_text(&last, text, sizeof(text));
	CHECK(strstr(text, "/s  done in ") != NULL);
}

/* A token that stalls mid-batch: no progress over the window is a rate of 0 (no time left shown). */
static void
test_stalled(void)
{
	struct batch_hooks hooks = { NULL, record, NULL };
	struct batch_counts c = { 100, 0, 0, 0 };
	struct meter m;

	memset(&m, 0, sizeof(m));
	m.hooks = &hooks;
	m.start = m.last = batch_mono();
	sleep_ms(120);
	c.accepted = 20;
	batch_meter_tick(&m, &c, false);
	sleep_ms(120);
	batch_meter_tick(&m, &c, false);
	CHECK(!last.final);
	CHECK(last.rate == 0);
}

int
main(void)
{
	test_final_after_burst();
	test_stalled();
	CHECK_DONE();
}
