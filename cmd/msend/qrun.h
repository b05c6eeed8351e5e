/*
 * qrun.h: the queue runner of msend (--flush): qrun.c scans the queue,
 * picks what is due, groups it by destination site, expires, bounces
 * and removes; qsite.c delivers to one site.
 */
#ifndef MSEND_QRUN_H
#define MSEND_QRUN_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "log.h"
#include "msend.h"
#include "net.h"
#include "queue.h"

/* The queue's policy (defaults in qrun.c; msend.conf may change them). */
struct qpolicy {
	int64_t max_age; /* seconds in the queue, then a bounce */
	int64_t delay_warn; /* a delay notice after this long; 0: none */
	double retry_first; /* seconds before the second try */
	double retry_factor; /* each wait this many times the last */
	double retry_max; /* seconds, the longest wait */
	double jitter; /* each wait is off by up to this fraction */
	int msgs_per_conn; /* messages in one session; 0: no limit */
};

/* A message's recipients bound for one site. */
struct qitem {
	char id[QUEUE_ID_MAX + 1];
	size_t *r; /* recipient indices */
	size_t nr;
	int done;
};

/* A destination: the smarthost, a --route host, or a set of MX hosts. */
struct qsite {
	char name[512]; /* "smarthost host:port", "mx a.example,b.example" */
	char host[SMTP_DOMAIN_MAX + 1]; /* a named host */
	char port[16];
	struct dns_mx_result *mx; /* NULL: a named host */
	int self_ok; /* --route DOMAIN=[mx]: its MX even here */
	struct qitem *items;
	size_t nitems, capitems;
	/* the last failure, for what is left */
	char last_why[ERR_MAX + 512];
	char last_relay[SMTP_DOMAIN_MAX + NET_ADDRSTR_MAX + 4];
};

struct qrun {
	struct queue *q;
	const struct qpolicy *p;
	const struct routing *rt;
	const struct session *base;
	struct log *log;
	char site_name[512]; /* the site at hand, for the log */
	unsigned long txns; /* in the session at hand */
	/* counts of this pass */
	unsigned long nsent, ndeferred, nbounced, nmsgs;
	size_t total; /* recipients due at the start */
	int64_t start_ms;
	int progress; /* a line on the terminal */
};

/* qrun.c */
extern const struct qpolicy qpolicy_default;
/* msend --flush DIR: one pass (the top of qrun.c); with now_all every
   waiting recipient is due (--retry-now).  An exit code. */
int queue_flush(const char *dir, const struct routing *rt,
    const struct session *base, const struct qpolicy *p, struct log *log,
    int progress, int now_all);
int64_t qrun_now(void);
/* Seconds before try number tries + 1. */
int64_t qrun_backoff(const struct qpolicy *p, unsigned tries);
/* "45s", "12m", "3h05m", "2d04h". */
void qrun_span(int64_t s, char *out, size_t len);
int qrun_connect_ms(const struct qrun *qr);
void qrun_progress(struct qrun *qr);

/* qsite.c */
void qsite_deliver(struct qrun *qr, struct qsite *s);
/* Defer (or fail, perm) what is left of s with why. */
void qsite_defer(struct qrun *qr, struct qsite *s, int perm, const char *why);

#endif
