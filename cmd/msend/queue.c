/*
 * queue.c: msend's side of the queue (common/queue): `msend --queue
 * DIR' (and -odq) accepts a message into it durably, exactly as it
 * would have gone out (headers added at enqueue time); `msend --list
 * DIR' (-bp, mailq) says what waits and why.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "msend.h"
#include "qrun.h"
#include "queue.h"
#include "util.h"

/* The exit code an errno of the queue's means (sysexits.h). */
static int
errno_exit(int e)
{
	switch (e) {
	case EACCES:
	case EPERM: return EX_NOPERM;
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case ENAMETOOLONG: return EX_CONFIG;
	default: return EX_TEMPFAIL; /* ENOSPC, EDQUOT, EIO: later */
	}
}

/* The message as queue_add wants it: CRLF, not stuffed. */
static int
write_message(void *arg, int fd, char *err, size_t errlen)
{
	struct message *m = arg;
	struct io io;
	int rc;

	io_init(&io, -1, fd, 0);
	rc = message_send(m, &io, 0, err, errlen);
	if (rc == 0 && io_flush(&io) == -1) {
		util_seterr(err, errlen, "%s", io.err);
		rc = -1;
	}
	io_close(&io);
	return rc;
}

/* The exit code for an errno of the queue's. */
int
queue_errno_exit(int e)
{
	return errno_exit(e);
}

int
queue_submit(const struct qsubmit *qs, char *id, size_t idlen, char *err,
    size_t errlen)
{
	const struct passwd *pw;
	struct queue q;
	struct queue_env e;
	static char origin[128]; /* once a process: --batch asks often */
	int i, ex = 0;

	queue_env_init(&e);
	if ((e.from = strdup(qs->from)) == NULL)
		goto nomem;
	if (qs->o->dsn_envid != NULL &&
	    (e.envid = strdup(qs->o->dsn_envid)) == NULL)
		goto nomem;
	e.ret = qs->o->dsn_ret;
	e.eightbit = qs->m->eightbit;
	e.smtputf8 = !util_is_ascii(qs->from);
	if (origin[0] == '\0') {
		pw = getpwuid(getuid());
		(void)snprintf(origin, sizeof(origin), "msend uid %lu%s%s",
		    (unsigned long)getuid(), pw != NULL ? " " : "",
		    pw != NULL ? pw->pw_name : "");
	}
	if ((e.origin = strdup(origin)) == NULL)
		goto nomem;
	for (i = 0; i < qs->nr; i++) {
		if (qs->r[i].state != RS_PENDING)
			continue;
		if (!util_is_ascii(qs->r[i].addr))
			e.smtputf8 = 1;
		if (queue_env_add(&e, qs->r[i].addr, qs->o->dsn_notify, NULL) ==
		    -1)
			goto nomem;
	}
	if (e.nr == 0) {
		queue_env_free(&e);
		return 0; /* every recipient was refused already */
	}
	if (qs->q == NULL && queue_open(&q, qs->dir, 1, err, errlen) == -1) {
		ex = errno_exit(errno);
		goto out;
	}
	if (queue_add(qs->q != NULL ? qs->q : &q, &e, write_message, qs->m,
		err, errlen) == -1)
		ex = errno_exit(errno);
	if (qs->q == NULL)
		queue_close(&q);
	if (ex == 0) {
		(void)util_strlcpy(id, e.id, idlen);
		for (i = 0; i < qs->nr; i++)
			if (qs->r[i].state == RS_PENDING) {
				qs->r[i].state = RS_OK;
				(void)snprintf(qs->r[i].why,
				    sizeof(qs->r[i].why), "queued as %s",
				    e.id);
			}
	}
out:
	queue_env_free(&e);
	return ex;
nomem:
	util_seterr(err, errlen, "%s", strerror(ENOMEM));
	queue_env_free(&e);
	return EX_OSERR;
}

/* ---------------------------------------------------------------- list */

/* A queue file's recipient, and why it is where it is. */
static void
list_rcpt(FILE *out, const struct queue_env *e, size_t i, int64_t now)
{
	const struct queue_rcpt *r = &e->r[i];
	char when[32];

	fprintf(out, "    %s  ", r->addr);
	switch (r->state) {
	case QUEUE_SENT:
		fputs("sent", out);
		if (r->relayed) /* RFC 3461 §5.2.2: the next hop has no DSN */
			fprintf(out, ", \"relayed\" report %s",
			    r->bounced ? "queued" : "to send");
		break;
	case QUEUE_FAILED:
		fprintf(out, "failed, %s",
		    r->bounced ? "bounce queued" : "bounce to send");
		break;
	case QUEUE_PENDING:
		if (r->tries == 0 && r->next <= now) {
			fputs("waiting for its first try", out);
			break;
		}
		qrun_span(r->next - now, when, sizeof(when));
		fprintf(out, "deferred, %u tr%s, next %s%s", r->tries,
		    r->tries == 1 ? "y" : "ies", r->next <= now ? "now" : "in ",
		    r->next <= now ? "" : when);
		if (r->warned)
			fputs(", delay notice sent", out);
		break;
	}
	fputc('\n', out);
	if (r->reply != NULL || r->relay != NULL)
		fprintf(out, "        %s%s%s\n", r->relay ? r->relay : "",
		    r->relay && r->reply ? ": " : "", r->reply ? r->reply : "");
}

int
queue_list(const char *dir, FILE *out)
{
	struct queue q;
	struct queue_env e;
	char err[ERR_MAX], age[32], **ids;
	size_t n, i, j, waiting = 0, msgs = 0;
	int64_t now = (int64_t)time(NULL);
	int fd, ex = 0;

	if (queue_open(&q, dir, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return errno_exit(errno);
	}
	if (queue_ids(&q, &ids, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		queue_close(&q);
		return errno_exit(errno);
	}
	if (n == 0)
		fprintf(out, "%s: the queue is empty\n", dir);
	else
		fprintf(out, "%-24s %10s %6s  %s\n", "ID", "Size", "Age",
		    "Sender / Recipients");
	for (i = 0; i < n; i++) {
		queue_env_init(&e);
		if (queue_load(&q, ids[i], 0, 0, &e, &fd, err, sizeof(err)) ==
		    -1) {
			queue_env_free(&e);
			if (errno == ENOENT)
				continue; /* delivered meanwhile */
			fprintf(out, "%-24s unreadable: %s\n", ids[i], err);
			ex = EX_DATAERR;
			continue;
		}
		(void)close(fd);
		msgs++;
		qrun_span(now - e.created, age, sizeof(age));
		fprintf(out, "%-24s %10" PRIu64 " %6s  <%s>%s%s\n", e.id,
		    e.size, age, e.from, e.origin ? "  " : "",
		    e.origin ? e.origin : "");
		for (j = 0; j < e.nr; j++) {
			list_rcpt(out, &e, j, now);
			if (e.r[j].state == QUEUE_PENDING)
				waiting++;
		}
		queue_env_free(&e);
	}
	if (msgs > 0)
		fprintf(out, "-- %zu message%s, %zu recipient%s waiting\n",
		    msgs, msgs == 1 ? "" : "s", waiting,
		    waiting == 1 ? "" : "s");
	queue_ids_free(ids, n);
	queue_close(&q);
	return ex;
}
