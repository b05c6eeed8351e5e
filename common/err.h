/*
 * err.h: typed errors.  A failure carries a class; one function maps a
 * class to its <sysexits.h> exit code, and one ranking says which of
 * several exit codes is the most severe.  No program picks an exit code
 * by matching the text of an error.
 */
#ifndef YUBIN_ERR_H
#define YUBIN_ERR_H

#include "bounds.h"

enum yerr_class {
	YERR_OK = 0,	/* no failure: exit 0 */
	YERR_TEMP,	/* 4xx, a connection that failed: try later (75) */
	YERR_PERM,	/* 5xx, refused for good (69) */
	YERR_NOUSER,	/* RFC 3463 X.1.1: no such mailbox (67) */
	YERR_NOHOST,	/* X.1.2, NXDOMAIN: no such host or domain (68) */
	YERR_TLS,	/* TLS required but not possible, or a certificate
			   not trusted: it stays so on a retry (69) */
	YERR_AUTH,	/* credentials refused (77) */
	YERR_PROTO,	/* the peer broke the protocol (76) */
	YERR_CONFIG,	/* our configuration is wrong (78) */
	YERR_USAGE,	/* the command line is wrong (64) */
	YERR_DATA,	/* the message or an address is bad (65) */
	YERR_LOCAL	/* trouble of this host: memory, a system call (71) */
};

struct yerr {
	enum yerr_class	cls;
	char		msg[ERR_MAX];
};

/* Set e to class cls and the formatted reason. */
void	yerr_set(struct yerr *e, enum yerr_class cls, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	yerr_clear(struct yerr *e);
/* The <sysexits.h> exit code of a class (0 for YERR_OK). */
int	yerr_exit(enum yerr_class cls);
/* Will it pass by itself (a retry may succeed)?  Only YERR_TEMP. */
int	yerr_temporary(enum yerr_class cls);
/* "temporary" or "permanent", for reports. */
const char *yerr_kind(enum yerr_class cls);
/*
 * The more severe of two exit codes, for a program that combines the
 * outcomes of several recipients or arguments.  Most severe first:
 * anything not below (usage, data, software, config, permission...),
 * then 67 no such user, 68 no such host, 69 unavailable, 76 protocol,
 * 75 try again later, and 0.
 */
int	yerr_exit_worst(int a, int b);

#endif
