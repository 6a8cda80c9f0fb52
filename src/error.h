/* error.h: the one error enum of airca, and the officer-facing detail message. */
#ifndef AIRCA_ERROR_H
#define AIRCA_ERROR_H

#include <stdarg.h>

/*
 * Functions return 0 on success or one of these negative codes.  A code
 * says what kind of failure it is (and so the exit status); the detail
 * message set with airca_errf() says which file, which field and what to do.
 */
enum airca_err {
	AIRCA_OK		=   0,
	AIRCA_ERR_INTERNAL	=  -1,	/* a bug: should never happen */
	AIRCA_ERR_NOMEM		=  -2,
	AIRCA_ERR_USAGE		=  -3,	/* bad command line */
	AIRCA_ERR_IO		=  -4,	/* read/write/fsync failed */
	AIRCA_ERR_EXISTS	=  -5,	/* an output (or a root) exists already */
	AIRCA_ERR_NOTFOUND	=  -6,	/* file, key, serial, label not found */
	AIRCA_ERR_INPUT		=  -7,	/* malformed input: file unreadable as what it should be */
	AIRCA_ERR_UNSAFE	=  -8,	/* hostile input: symlink, device, path trick, too big */
	AIRCA_ERR_POLICY	=  -9,	/* well-formed input refused by policy */
	AIRCA_ERR_TOKEN		= -10,	/* PKCS#11 / token failure */
	AIRCA_ERR_LOGIN		= -11,	/* PIN wrong or login refused */
	AIRCA_ERR_KEYATTR	= -12,	/* key on token lacks the required attributes */
	AIRCA_ERR_CRYPTO	= -13,	/* OpenSSL failure, signature does not verify */
	AIRCA_ERR_LINT		= -14,	/* to-be-signed certificate fails the lint */
	AIRCA_ERR_STATE		= -15,	/* CA home in the wrong state (not initialised, ...) */
	AIRCA_ERR_JOURNAL	= -16,	/* journal cannot be written / refuses to grow */
	AIRCA_ERR_VERIFY	= -17,	/* journal verification failed */
	AIRCA_ERR_NETWORK	= -18,	/* a network interface is up and policy refuses */
	AIRCA_ERR_CANCELLED	= -19,	/* an officer declined or aborted */
	AIRCA_ERR_PARTIAL	= -20,	/* some inputs rejected by policy, the rest done */
};

/* Exit statuses of the CLI (DESIGN.md). */
#define AIRCA_EXIT_OK		0
#define AIRCA_EXIT_ERROR	1
#define AIRCA_EXIT_USAGE	2
#define AIRCA_EXIT_PARTIAL	3
#define AIRCA_EXIT_TOKEN	4
#define AIRCA_EXIT_VERIFY	5

/* Short fixed text for a code ("token error"); never NULL. */
const char *airca_strerror(int code);

/* The exit status a code maps to. */
int airca_exit_code(int code);

/*
 * Record a detail message for the officer and return code, so that
 *	return airca_errf(AIRCA_ERR_INPUT, "%s: not a CSR", path);
 * works.  A later call replaces the message.  Callers that add context
 * to an error from below use airca_errctx() ("while signing x.csr: ...").
 */
int airca_errf(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int airca_errctx(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append the OpenSSL error queue (first reason) to the detail message and clear it. */
int airca_errssl(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The current detail message of this thread, or "" if none.  Owned by the error module. */
const char *airca_errmsg(void);
void airca_errclear(void);

#endif
