/* check.h: the tiny assert helper of the unit tests. */
#ifndef AIRCA_CHECK_H
#define AIRCA_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed, check_passed;

#define CHECK(cond) do {						\
	if (cond)							\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a_ = (a), *check_b_ = (b);			\
	if (check_a_ != NULL && check_b_ != NULL &&			\
	    strcmp(check_a_, check_b_) == 0)				\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__,	\
		    __LINE__, check_a_ ? check_a_ : "(null)",		\
		    check_b_ ? check_b_ : "(null)");			\
	}								\
} while (0)

/* A substring of the last error detail. */
#define CHECK_ERR(call, code, needle) do {				\
	int check_r_ = (call);						\
	if (check_r_ == (code) &&					\
	    strstr(airca_errmsg(), (needle)) != NULL)			\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "%s:%d: %s returned %d (%s), want %d "	\
		    "with \"%s\"\n", __FILE__, __LINE__, #call,		\
		    check_r_, airca_errmsg(), (code), (needle));	\
	}								\
} while (0)

#define CHECK_DONE() do {						\
	printf("%s: %d passed, %d failed\n", __FILE__, check_passed,	\
	    check_failed);						\
	return check_failed ? 1 : 0;					\
} while (0)

#endif
