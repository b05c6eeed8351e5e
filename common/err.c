/*
 * err.c: error classes, their exit codes, and the ranking of exit codes
 * (see err.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <sysexits.h>

#include "err.h"

void
yerr_set(struct yerr *e, enum yerr_class cls, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
yerr_clear(struct yerr *e)
{
	e->cls = YERR_OK;
	e->msg[0] = '\0';
}

int
yerr_exit(enum yerr_class cls)
{
	switch (cls) {
	case YERR_OK: return 0;
	case YERR_TEMP: return EX_TEMPFAIL;
	case YERR_PERM:
	case YERR_TLS: return EX_UNAVAILABLE;
	case YERR_NOUSER: return EX_NOUSER;
	case YERR_NOHOST: return EX_NOHOST;
	case YERR_AUTH: return EX_NOPERM;
	case YERR_PROTO: return EX_PROTOCOL;
	case YERR_CONFIG: return EX_CONFIG;
	case YERR_USAGE: return EX_USAGE;
	case YERR_DATA: return EX_DATAERR;
	case YERR_LOCAL: return EX_OSERR;
	}
	return EX_SOFTWARE;
}

int
yerr_temporary(enum yerr_class cls)
{
	return cls == YERR_TEMP;
}

const char *
yerr_kind(enum yerr_class cls)
{
	return cls == YERR_TEMP ? "temporary" : "permanent";
}

/* Higher is more severe. */
static int
rank(int ex)
{
	switch (ex) {
	case 0: return 0;
	case EX_TEMPFAIL: return 1;
	case EX_PROTOCOL: return 2;
	case EX_UNAVAILABLE: return 3;
	case EX_NOHOST: return 4;
	case EX_NOUSER: return 5;
	default: return 6;
	}
}

int
yerr_exit_worst(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}
