/*
 * enqueue.c: msmtpd --queue DIR: relayed mail goes into the outbound
 * queue (common/queue) instead of to --relay-command, and the client
 * gets its 250 once the message is on disk there; `msend --run' or
 * `msend --flush' takes it from there.
 *
 * With --queue msmtpd offers DSN (RFC 3461), and a local delivery whose
 * recipients asked for it (NOTIFY=SUCCESS) owes the sender a
 * "delivered" report (§5.2.3 (a)): it is queued here too, from <>, for
 * the runner to send.
 *
 * The queue belongs to the owner of its directory, who runs msend on
 * it: started as root, msmtpd's privileged parent writes each message
 * from a child that has become that owner (never root: a root-owned
 * queue is refused, since its runner would parse the network as root).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "dsn.h"
#include "msmtpd.h"
#include "queue.h"
#include "util.h"

/* The spool (LF line ends, our Received first) as the queue keeps a
   message: CRLF line ends. */
static int
write_crlf(void *arg, int fd, char *err, size_t errlen)
{
	const int *spool = arg;
	char in[32768], out[65536 + 2];
	ssize_t n;
	size_t i, o;
	off_t at = 0;
	int cr = 0;

	for (;;) {
		if ((n = pread(*spool, in, sizeof(in), at)) == -1) {
			util_seterr(err, errlen, "spool: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		at += n;
		for (i = o = 0; i < (size_t)n; i++) {
			if (in[i] == '\n' && !cr)
				out[o++] = '\r';
			cr = in[i] == '\r';
			out[o++] = in[i];
		}
		if (util_write_all(fd, out, o) == -1) {
			util_seterr(err, errlen, "%s", strerror(errno));
			return -1;
		}
	}
}

/* Has the spool an octet over 127 (BODY=8BITMIME for the next hop)? */
static int
eightbit(int spool)
{
	unsigned char b[32768];
	ssize_t n, i;
	off_t at = 0;

	while ((n = pread(spool, b, sizeof(b), at)) > 0) {
		for (i = 0; i < n; i++)
			if (b[i] & 0x80)
				return 1;
		at += n;
	}
	return 0;
}

/* Queue it from this process.  An exit code; cmd_err says why not. */
static int
enqueue_here(const struct msmtpd_conf *c, const struct msmtpd_qmsg *m,
    char *cmd_err)
{
	struct queue q;
	struct queue_env e;
	char err[ERR_MAX];
	size_t i;
	int ex = 0, spool = m->spool;

	queue_env_init(&e);
	if ((e.from = strdup(m->from)) == NULL ||
	    (e.origin = strdup(m->origin)) == NULL ||
	    (m->envid != NULL && m->envid[0] != '\0' &&
		(e.envid = strdup(m->envid)) == NULL))
		goto nomem;
	/* RFC 3461 §5.2.1: the DSN parameters go with it to the next hop
	   (or, when it takes no DSN, the runner reports "relayed"). */
	e.ret = m->ret;
	e.eightbit = eightbit(m->spool);
	e.smtputf8 = !util_is_ascii(m->from);
	for (i = 0; i < m->nrcpt; i++) {
		if (!util_is_ascii(m->rcpt[i]))
			e.smtputf8 = 1;
		if (queue_env_add(&e, m->rcpt[i],
			m->notify != NULL ? m->notify[i] : 0,
			m->orcpt != NULL ? m->orcpt[i] : NULL) == -1)
			goto nomem;
	}
	if (queue_open(&q, c->queue, 1, err, sizeof(err)) == -1) {
		ex = EX_TEMPFAIL;
		goto fail;
	}
	if (queue_add(&q, &e, write_crlf, &spool, err, sizeof(err)) == -1)
		ex = EX_TEMPFAIL;
	queue_close(&q);
	if (ex != 0)
		goto fail;
	log_info(c->log, "%s: queued as %s in %s", m->id, e.id, c->queue);
	queue_env_free(&e);
	return 0;
nomem:
	(void)util_strlcpy(err, strerror(ENOMEM), sizeof(err));
	ex = EX_TEMPFAIL;
fail:
	(void)snprintf(cmd_err, MSMTPD_CMD_ERR_MAX + 1, "queue: %.380s", err);
	log_err(c->log, "%s: queue: %s", m->id, err);
	queue_env_free(&e);
	return ex;
}

/* The report's text: dsn_write over the original made CRLF. */
struct report {
	const struct dsn *d;
	int fd;
	uint64_t size;
};

static int
write_report(void *arg, int fd, char *err, size_t errlen)
{
	const struct report *rp = arg;

	return dsn_write(rp->d, rp->fd, 0, rp->size, fd, NULL, err, errlen);
}

/*
 * Queue from this process the "delivered" report about m (delivered
 * here) for its recipients that asked for it.  An exit code as
 * enqueue_here's.
 */
static int
report_here(const struct msmtpd_conf *c, const struct msmtpd_qmsg *m,
    char *cmd_err)
{
	struct dsn_rcpt *dr;
	struct dsn d;
	struct report rp;
	struct queue q;
	struct queue_env b;
	char err[ERR_MAX], origin[128], tmpname[64], ea[LOG_ESC_MAX];
	int64_t now = (int64_t)time(NULL);
	off_t end;
	size_t i, n = 0;
	int ex = EX_TEMPFAIL, crlf = -1, spool = m->spool;

	err[0] = '\0';
	queue_env_init(&b);
	if ((dr = calloc(m->nrcpt > 0 ? m->nrcpt : 1, sizeof(*dr))) == NULL)
		goto nomem;
	for (i = 0; i < m->nrcpt; i++) {
		if (m->notify == NULL ||
		    !(m->notify[i] & SMTP_NOTIFY_SUCCESS))
			continue;
		dr[n].addr = m->rcpt[i];
		dr[n].orcpt = m->orcpt != NULL && m->orcpt[i] != NULL &&
			m->orcpt[i][0] != '\0'
		    ? m->orcpt[i]
		    : NULL;
		dr[n].notify = m->notify[i];
		dr[n].action = DSN_ACT_DELIVERED;
		dr[n].status = "2.0.0";
		dr[n].last_attempt = now;
		n++;
	}
	memset(&d, 0, sizeof(d));
	d.host = c->hostname;
	d.envid = m->envid != NULL && m->envid[0] != '\0' ? m->envid : NULL;
	d.arrival = now;
	d.from = m->from;
	d.ret = m->ret;
	d.eightbit = eightbit(m->spool);
	/* As enqueue_here would mark the original (RFC 6531). */
	d.smtputf8 = !util_is_ascii(m->from);
	for (i = 0; i < m->nrcpt; i++)
		if (!util_is_ascii(m->rcpt[i]))
			d.smtputf8 = 1;
	d.kind = DSN_SUCCESS;
	d.r = dr;
	d.nr = n;
	d.token = m->id;
	if (m->from[0] == '\0' || dsn_count(&d) == 0) {
		ex = 0; /* never to <> (RFC 3461 §5.2); no one asked */
		goto out;
	}
	if (queue_open(&q, c->queue, 1, err, sizeof(err)) == -1)
		goto fail;
	/* The original as a queue file holds it, for its header: a file
	   in the queue's tmp/ (ours; the name no ID can have), unlinked
	   at once. */
	(void)snprintf(tmpname, sizeof(tmpname), ".report.%ld",
	    (long)getpid());
	if ((crlf = openat(q.tfd, tmpname,
		 O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) ==
	    -1) {
		util_seterr(err, sizeof(err), "%s/tmp/%s: %s", c->queue,
		    tmpname, strerror(errno));
		queue_close(&q);
		goto fail;
	}
	(void)unlinkat(q.tfd, tmpname, 0);
	if (write_crlf(&spool, crlf, err, sizeof(err)) == -1) {
		queue_close(&q);
		goto fail;
	}
	if ((end = lseek(crlf, 0, SEEK_END)) == -1) {
		util_seterr(err, sizeof(err), "spool: %s", strerror(errno));
		queue_close(&q);
		goto fail;
	}
	rp.d = &d;
	rp.fd = crlf;
	rp.size = (uint64_t)end;
	(void)snprintf(origin, sizeof(origin),
	    "msmtpd delivered report for %s", m->id);
	if ((b.from = strdup("")) == NULL ||
	    (b.origin = strdup(origin)) == NULL ||
	    queue_env_add(&b, m->from, SMTP_NOTIFY_NEVER, NULL) == -1) {
		queue_close(&q);
		goto nomem;
	}
	b.eightbit = d.eightbit;
	b.smtputf8 = d.smtputf8;
	if (queue_add(&q, &b, write_report, &rp, err, sizeof(err)) == 0)
		ex = 0;
	queue_close(&q);
	if (ex != 0)
		goto fail;
	log_info(c->log, "%s: delivered report to <%s> queued as %s in %s",
	    m->id, log_esc(ea, sizeof(ea), m->from), b.id, c->queue);
	goto out;
nomem:
	(void)util_strlcpy(err, strerror(ENOMEM), sizeof(err));
fail:
	(void)snprintf(cmd_err, MSMTPD_CMD_ERR_MAX + 1, "queue: %.380s", err);
	log_err(c->log, "%s: the delivered report to <%s>: queue: %s", m->id,
	    log_esc(ea, sizeof(ea), m->from), err);
out:
	if (crlf != -1)
		(void)close(crlf);
	queue_env_free(&b);
	free(dr);
	return ex;
}

int
msmtpd_queue_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == -1) {
		util_seterr(err, errlen, "--queue %s: %s (msend --queue %s "
		    "--list, run as the queue's owner, makes it)", dir,
		    strerror(errno), dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		util_seterr(err, errlen, "--queue %s: not a directory", dir);
		return -1;
	}
	if (geteuid() == 0 && st.st_uid == 0) {
		util_seterr(err, errlen, "--queue %s: owned by root; give it "
		    "to the user msend --run runs as (chown -R)", dir);
		return -1;
	}
	return 0;
}

int
msmtpd_enqueue(const struct msmtpd_conf *c, const struct msmtpd_qmsg *m,
    char *cmd_err)
{
	struct stat st;
	char err[ERR_MAX];
	int p[2], st_, ex;
	ssize_t n;
	pid_t pid;

	cmd_err[0] = '\0';
	if (geteuid() != 0)
		return m->delivered ? report_here(c, m, cmd_err)
				    : enqueue_here(c, m, cmd_err);
	if (msmtpd_queue_check(c->queue, err, sizeof(err)) == -1 ||
	    stat(c->queue, &st) == -1) {
		(void)util_strlcpy(cmd_err, err, MSMTPD_CMD_ERR_MAX + 1);
		log_err(c->log, "%s: %s", m->id, err);
		return EX_TEMPFAIL;
	}
	if (pipe(p) == -1)
		return EX_TEMPFAIL;
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return EX_TEMPFAIL;
	}
	if (pid == 0) {
		(void)close(p[0]);
		/* The owner's own group, never root's. */
		const struct passwd *pw = getpwuid(st.st_uid);
		gid_t gid = pw != NULL ? pw->pw_gid : st.st_gid;

		if (gid == 0 || setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
		    setuid(st.st_uid) != 0 || getuid() == 0 ||
		    getgid() == 0) {
			(void)snprintf(cmd_err, MSMTPD_CMD_ERR_MAX + 1,
			    "queue: cannot become its owner: %s",
			    strerror(errno));
			ex = EX_TEMPFAIL;
		} else
			ex = m->delivered ? report_here(c, m, cmd_err)
					  : enqueue_here(c, m, cmd_err);
		(void)util_write_all(p[1], cmd_err, strlen(cmd_err));
		_exit(ex);
	}
	(void)close(p[1]);
	n = read(p[0], cmd_err, MSMTPD_CMD_ERR_MAX);
	cmd_err[n > 0 ? n : 0] = '\0';
	(void)close(p[0]);
	while (waitpid(pid, &st_, 0) == -1)
		if (errno != EINTR)
			return EX_TEMPFAIL;
	return WIFEXITED(st_) ? WEXITSTATUS(st_) : EX_TEMPFAIL;
}
