/* tui-batch.c: the batch review screen (until src/batch.h lands: a pointer to 'batch sign'). */
#include "tui.h"

void
tui_batch_apply(struct tui *t, struct tui_act act)
{
	(void)act;
	tui_status(t, TC_WARN, "batch review needs 'batch sign' in this build");
}

void
tui_batch_free(struct tui *t)
{
	(void)t;
}

size_t
tui_batch_len(const struct tui *t)
{
	(void)t;
	return 0;
}
