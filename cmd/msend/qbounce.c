/*
 * qbounce.c: the queue's reports to senders (common/dsn, RFC 3464): a
 * bounce for the recipients that failed for good, a delay notice for
 * those still waiting after queue_delay_warn, a "relayed" report for
 * those that asked for one (NOTIFY=SUCCESS) and went to a server that
 * does not offer DSN (RFC 3461 §5.2.2 (b)).  A report is itself a
 * queued message, from <> (RFC 3461 §6.1, RFC 5321 §4.5.5: so that it
 * can never bounce back), to the original's envelope sender.  Only when
 * it is on disk does the original's journal record it ("B", "W"): a
 * crash between the two sends a report twice, never not at all.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsn.h"
#include "qrun.h"
#include "util.h"

struct report {
	const struct dsn *d;
	int fd; /* the original's queue file */
	off_t off;
	uint64_t size;
};

static int
write_report(void *arg, int outfd, char *err, size_t errlen)
{
	const struct report *rp = arg;

	return dsn_write(rp->d, rp->fd, rp->off, rp->size, outfd, NULL, err,
	    errlen);
}

static const char *
report_name(enum dsn_kind kind)
{
	return kind == DSN_DELAY ? "delay notice"
	    : kind == DSN_SUCCESS ? "relayed report"
				  : "bounce";
}

int
qbounce_send(struct qrun *qr, const struct queue_env *e, int fd,
    enum dsn_kind kind, const size_t *idx, size_t n)
{
	struct dsn_rcpt *dr;
	struct dsn d;
	struct report rp;
	struct queue_env b;
	char err[ERR_MAX], origin[QUEUE_ID_MAX + 32], ea[LOG_ESC_MAX];
	int64_t now = qrun_now();
	size_t i;
	int rc = -1;

	if (e->from[0] == '\0')
		return 0; /* never a report about a report */
	if ((dr = calloc(n > 0 ? n : 1, sizeof(*dr))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct queue_rcpt *r = &e->r[idx[i]];

		dr[i].addr = r->addr;
		dr[i].orcpt = r->orcpt;
		dr[i].notify = r->notify;
		dr[i].action = kind == DSN_DELAY ? DSN_ACT_DELAYED
		    : kind == DSN_SUCCESS	 ? DSN_ACT_RELAYED
						 : DSN_ACT_FAILED;
		dr[i].status = r->status[0] ? r->status : NULL;
		dr[i].relay = r->relay;
		dr[i].code = r->code;
		dr[i].reply = r->reply;
		dr[i].last_attempt = r->tries > 0 ? now : 0;
		dr[i].retry_until =
		    kind == DSN_DELAY ? e->created + qr->p->max_age : 0;
	}
	memset(&d, 0, sizeof(d));
	d.host = qr->base->ehlo;
	d.envid = e->envid;
	d.arrival = e->created;
	d.from = e->from;
	d.ret = e->ret;
	d.eightbit = e->eightbit;
	d.smtputf8 = e->smtputf8;
	d.kind = kind;
	d.r = dr;
	d.nr = n;
	d.token = e->id;
	if (dsn_count(&d) == 0) {
		rc = 0; /* no one asked for it (NOTIFY) */
		goto out;
	}
	rp.d = &d;
	rp.fd = fd;
	rp.off = e->msg_off;
	rp.size = e->size;
	queue_env_init(&b);
	(void)snprintf(origin, sizeof(origin), "msend %s for %s",
	    report_name(kind), e->id);
	if ((b.from = strdup("")) == NULL ||
	    (b.origin = strdup(origin)) == NULL ||
	    queue_env_add(&b, e->from, SMTP_NOTIFY_NEVER, NULL) == -1) {
		queue_env_free(&b);
		goto out;
	}
	/* The report may hold the original's 8-bit text. */
	b.eightbit = e->eightbit;
	b.smtputf8 = e->smtputf8 || !util_is_ascii(e->from);
	if (queue_add(qr->q, &b, write_report, &rp, err, sizeof(err)) == -1)
		log_err(qr->log, "%s: the %s to <%s> cannot be queued: %s",
		    e->id, report_name(kind),
		    log_esc(ea, sizeof(ea), e->from), err);
	else {
		log_info(qr->log, "%s: %s to <%s> queued as %s", e->id,
		    report_name(kind),
		    log_esc(ea, sizeof(ea), e->from), b.id);
		rc = 0;
	}
	queue_env_free(&b);
out:
	free(dr);
	return rc;
}
