/*
 * qrun.h: the queue runner of msend (--flush): qrun.c scans the queue,
 * picks what is due, groups it by destination site, expires, bounces
 * and removes; qsite.c delivers to one site.
 */
#ifndef MSEND_QRUN_H
#define MSEND_QRUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dns.h"
#include "dsn.h"
#include "mtasts.h"
#include "log.h"
#include "msend.h"
#include "net.h"
#include "queue.h"

/* A site's own limits (msend.conf "site NAME ..."): 0 / -1 not set. */
#define QPOLICY_SITES_MAX 64
struct qsitepol {
	char name[SMTP_DOMAIN_MAX + 1];
	int conns;
	double rate; /* -1: not set, 0: none */
	int mpc;
};

/* The queue's policy (defaults and settings in qpolicy.c). */
struct qpolicy {
	int64_t max_age; /* seconds in the queue, then a bounce */
	int64_t delay_warn; /* a delay notice after this long; 0: none */
	double retry_first; /* seconds before the second try */
	double retry_factor; /* each wait this many times the last */
	double retry_max; /* seconds, the longest wait */
	double jitter; /* each wait is off by up to this fraction */
	int msgs_per_conn; /* messages in one session; 0: no limit */
	int site_conns; /* connections to one site at once */
	int total_conns; /* connections at once in all */
	double site_rate; /* messages a second to one site; 0: no limit */
	struct qsitepol sites[QPOLICY_SITES_MAX];
	size_t nsites;
};

/* A message's recipients bound for one site. */
struct qitem {
	char id[QUEUE_ID_MAX + 1];
	size_t *r; /* recipient indices */
	size_t nr;
	int done;
	int null_sender; /* a bounce: not held back by the site's rate */
};

/* A destination: the smarthost, a --route host, or a set of MX hosts. */
struct qsite {
	char name[512]; /* "smarthost host:port", "mx a.example,b.example" */
	char host[SMTP_DOMAIN_MAX + 1]; /* a named host */
	char port[16];
	struct dns_mx_result *mx; /* NULL: a named host */
	int self_ok; /* --route DOMAIN=[mx]: its MX even here */
	const struct qsitepol *pol; /* its own limits, or NULL */
	/* TLS rules of the site's first domain: its MTA-STS policy
	   (RFC 8461), and the name DANE-TA certificates may carry. */
	struct mtasts_policy *sts; /* NULL: none (or mode none) */
	char domain[SMTP_DOMAIN_MAX + 1];
	int64_t pace_ms; /* a worker: at least this between messages */
	int64_t last_ms; /* when its last message started */
	struct qitem *items;
	size_t nitems, capitems;
	size_t next; /* items[0..next) are handed to workers */
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
	/* MTA-STS: the policy cache (DIR/mta-sts), and how to fetch */
	char sts_dir[QUEUE_PATH_MAX + 16];
	const struct mtasts_fetch_opts *sts_opts; /* NULL: no MTA-STS */
	struct dns_resolver *dns; /* the pass's, for TLSA lookups */
	char site_name[512]; /* the site at hand, for the log */
	unsigned long txns; /* in the session at hand */
	/* counts of this pass */
	unsigned long nsent, ndeferred, nbounced, nmsgs;
	unsigned long ntemp, n421; /* back-pressure seen (a worker's) */
	size_t total; /* recipients due at the start */
	int64_t start_ms;
	int progress; /* a line on the terminal */
};

/* qpolicy.c */
extern const struct qpolicy qpolicy_default;
/* Apply msend.conf's "key value" lines (struct account's qpolicy) to p.
   0, or -1 with err "key value: why". */
int qpolicy_parse(struct qpolicy *p, const char *lines, char *err,
    size_t errlen);
/* The "site" entry for a destination (its domain, its MX hosts). */
const struct qsitepol *qpolicy_site(const struct qpolicy *p,
    const char *domain, const struct dns_mx_result *mx);
/* Seconds before try number tries + 1. */
int64_t qrun_backoff(const struct qpolicy *p, unsigned tries);

/* qrun.c */
/* msend --flush DIR: one pass (the top of qrun.c); with now_all every
   waiting recipient is due (--retry-now).  An exit code. */
int queue_flush(const char *dir, const struct routing *rt,
    const struct session *base, const struct qpolicy *p, struct log *log,
    int progress, int now_all);
/* msend --run DIR: deliver as mail is due, until SIGTERM; poll_s > 0:
   scan every poll_s seconds instead of watching with inotify. */
int queue_run(const char *dir, const struct routing *rt,
    const struct session *base, const struct qpolicy *p, struct log *log,
    int poll_s);
int64_t qrun_now(void);
/* "45s", "12m", "3h05m", "2d04h". */
void qrun_span(int64_t s, char *out, size_t len);
int qrun_connect_ms(const struct qrun *qr);
void qrun_progress(struct qrun *qr);

/* qsched.c: connections at once (forked workers), limits, pacing. */
#define QSCHED_WORKERS_MAX 256
#define QSCHED_THROTTLE_MAX 256
struct qworker {
	pid_t pid;
	int fd; /* its report */
	char site[512];
	char **ids; /* messages it has */
	size_t nids;
	double rate; /* the site's rate when it started */
};
struct qthrottle {
	char site[512];
	double rate;
	int64_t until;
};
struct qsched {
	struct qworker w[QSCHED_WORKERS_MAX];
	size_t nw;
	struct qthrottle thr[QSCHED_THROTTLE_MAX];
	size_t nthr;
	/* The messages of workers reaped since the caller last looked:
	   to finish (qrun.c frees them). */
	char **done;
	size_t ndone, capdone;
};
/* Start workers for the sites' items (from each site's next on) within
   the limits; with block, wait for slots until every item is handed
   out. */
void qsched_dispatch(struct qrun *qr, struct qsched *sc, struct qsite *sites,
    size_t nsites, int block);
/* Reap finished workers (with block, at least one), add their counts.
   The number reaped. */
int qsched_reap(struct qrun *qr, struct qsched *sc, int block);
/* Is message id with a worker now? */
int qsched_busy(const struct qsched *sc, const char *id);
void qsched_free_worker(struct qworker *w);
/* SIGTERM or SIGINT came (qrun.c): start nothing new. */
int qsched_stop_requested(void);

/* qbounce.c: a report (kind DSN_FAILURE, DSN_DELAY, or DSN_SUCCESS:
   "relayed") to e's sender about its recipients idx[0..n), queued from
   <>; nothing for a message
   from <> or when no recipient's NOTIFY asks for it.  0 (done), or -1
   (logged: try again later).  fd: e's file, for the original. */
int qbounce_send(struct qrun *qr, const struct queue_env *e, int fd,
    enum dsn_kind kind, const size_t *idx, size_t n);

/* qsite.c */
void qsite_deliver(struct qrun *qr, struct qsite *s);
/* Defer (or fail, perm) what is left of s with why. */
void qsite_defer(struct qrun *qr, struct qsite *s, int perm, const char *why);

#endif
