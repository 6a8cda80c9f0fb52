/*
 * test-core-link.c: libairca.a links alone.  The Makefile links this with
 * every object of the archive (--whole-archive) and nothing of the CLI or
 * the TUI, so one core file that referred to cmd_run, cmd_table or a
 * command entry would fail the build.
 */
#include <stdio.h>

#include "error.h"

int	main(void);

int
main(void)
{
	printf("libairca.a links alone (%s)\n", airca_strerror(AIRCA_OK));
	return 0;
}
