/* error.c: error codes, their exit statuses and the officer-facing detail message. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "error.h"

/* Per thread: the batch reader and writer threads judge and write on their own. */
static _Thread_local char errbuf[2048];

const char *
airca_strerror(int code)
{
	switch (code) {
	case AIRCA_OK:			return "success";
	case AIRCA_ERR_INTERNAL:	return "internal error";
	case AIRCA_ERR_NOMEM:		return "out of memory";
	case AIRCA_ERR_USAGE:		return "usage error";
	case AIRCA_ERR_IO:		return "input/output error";
	case AIRCA_ERR_EXISTS:		return "already exists";
	case AIRCA_ERR_NOTFOUND:	return "not found";
	case AIRCA_ERR_INPUT:		return "malformed input";
	case AIRCA_ERR_UNSAFE:		return "unsafe input refused";
	case AIRCA_ERR_POLICY:		return "refused by policy";
	case AIRCA_ERR_TOKEN:		return "token error";
	case AIRCA_ERR_LOGIN:		return "token login failed";
	case AIRCA_ERR_KEYATTR:		return "key attributes not acceptable";
	case AIRCA_ERR_CRYPTO:		return "cryptographic failure";
	case AIRCA_ERR_LINT:		return "certificate lint failed";
	case AIRCA_ERR_STATE:		return "CA home in wrong state";
	case AIRCA_ERR_JOURNAL:		return "journal error";
	case AIRCA_ERR_VERIFY:		return "journal verification failed";
	case AIRCA_ERR_NETWORK:		return "network interface up";
	case AIRCA_ERR_CANCELLED:	return "cancelled";
	case AIRCA_ERR_PARTIAL:		return "some inputs rejected";
	}
	return "unknown error";
}

int
airca_exit_code(int code)
{
	switch (code) {
	case AIRCA_OK:
		return AIRCA_EXIT_OK;
	case AIRCA_ERR_USAGE:
		return AIRCA_EXIT_USAGE;
	case AIRCA_ERR_PARTIAL:
		return AIRCA_EXIT_PARTIAL;
	case AIRCA_ERR_TOKEN:
	case AIRCA_ERR_LOGIN:
	case AIRCA_ERR_KEYATTR:
		return AIRCA_EXIT_TOKEN;
	case AIRCA_ERR_VERIFY:
		return AIRCA_EXIT_VERIFY;
	}
	return AIRCA_EXIT_ERROR;
}

int
airca_errf(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return code;
}

int
airca_errctx(int code, const char *fmt, ...)
{
	char tmp[sizeof(errbuf)];
	size_t n, m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	n = strlen(tmp);
	if (errbuf[0] != '\0' && n + 3 < sizeof(tmp)) {
		memcpy(tmp + n, ": ", 2);
		n += 2;
		m = strlen(errbuf);
		if (m > sizeof(tmp) - 1 - n)
			m = sizeof(tmp) - 1 - n;
		memcpy(tmp + n, errbuf, m);
		n += m;
		tmp[n] = '\0';
	}
	memcpy(errbuf, tmp, n + 1);
	return code;
}

int
airca_errssl(int code, const char *fmt, ...)
{
	char reason[256] = "";
	unsigned long e;
	size_t n;
	va_list ap;

	if ((e = ERR_peek_error()) != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	n = strlen(errbuf);
	if (reason[0] != '\0' && n < sizeof(errbuf))
		snprintf(errbuf + n, sizeof(errbuf) - n, " (%s)", reason);
	return code;
}

const char *
airca_errmsg(void)
{
	return errbuf;
}

void
airca_errclear(void)
{
	errbuf[0] = '\0';
}
