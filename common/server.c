/*
 * server.c: the standalone listener (see server.h).  One child per
 * connection, or a pool of workers that connections are passed to; at
 * most max_children sessions at once; children are reaped on
 * SIGCHLD.  SIGTERM or SIGINT stops accepting, gives the children
 * `grace' seconds (a second signal cuts the grace short), then sends
 * them SIGTERM and, two seconds later, SIGKILL.  SIGCHLD, SIGTERM and
 * SIGINT are blocked except inside pselect(2), so none is lost between
 * a check of a flag and the wait.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "net.h"
#include "privsep.h"
#include "server.h"
#include "util.h"

/* Seconds between SIGTERM and SIGKILL for children at shutdown. */
#define SERVER_KILL_DELAY 2
/* Pause after accept(2) failed for want of resources (EMFILE). */
#define SERVER_ACCEPT_PAUSE_MS 100

/*
 * The flags the handlers set: the only state outside the caller's
 * struct (a handler can reach nothing else).  In the parent, got_term
 * counts SIGTERM/SIGINT (1: stop accepting, 2: end the grace early); in
 * a child after server_child_signals() it tells that SIGTERM came.
 */
static volatile sig_atomic_t got_term, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (got_term < 2)
		got_term++;
}

static void
on_child_term(int sig)
{
	(void)sig;
	got_term = 1;
}

void
server_child_signals(void)
{
	struct sigaction sa;

	got_term = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child_term;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
	(void)sigaction(SIGTERM, &sa, NULL);
}

int
server_terminating(void)
{
	return got_term != 0;
}

/* Exit statuses from SERVER_EXIT_FAILS + 1 on carry failed logins. */
#define SERVER_EXIT_FAILS 10
#define SERVER_EXIT_FAILS_MAX 100

int
server_exit_status(int failed, int failed_logins)
{
	if (failed_logins <= 0)
		return failed ? 1 : 0;
	if (failed_logins > SERVER_EXIT_FAILS_MAX)
		failed_logins = SERVER_EXIT_FAILS_MAX;
	return SERVER_EXIT_FAILS + failed_logins;
}

/* An address with failed logins (SERVER_FAIL_MAX). */
struct fail {
	char addr[NET_ADDRSTR_MAX];
	int count;
	int64_t last; /* util_now_ms of the last failure */
};

/*
 * A child: a session (a child per connection) or a pool worker.  A
 * worker's chan is the listener's end of its channel, -1 once closed
 * (the worker is retiring: it ends when it reads end of file).
 */
struct kid {
	pid_t pid;
	char addr[NET_ADDRSTR_MAX]; /* the session's peer, "" when idle */
	int busy; /* serving a connection */
	int chan;
	int uses; /* connections the worker has served */
	int64_t idle_since; /* util_now_ms, idle workers */
};

struct kids {
	struct kid kid[SERVER_CHILDREN_MAX];
	size_t n;
	int stopping; /* we sent the signals: do not warn about them */
	int max_use; /* pool: connections per worker */
	struct fail fail[SERVER_FAIL_ADDRS];
};

/* Messages on a worker's channel. */
enum {
	SERVER_MSG_CONN = 1, /* listener -> worker: a connection (fd), peer */
	SERVER_MSG_DONE /* worker -> listener: it ended, status */
};

/* The failure record of addr; with add, a new one (the oldest record
   makes room).  NULL when none. */
static struct fail *
fail_find(struct kids *k, const char *addr, int add)
{
	struct fail *f, *victim = NULL;
	int64_t now = util_now_ms();
	size_t i;

	for (i = 0; i < SERVER_FAIL_ADDRS; i++) {
		f = &k->fail[i];
		if (f->count > 0 &&
		    now - f->last > (int64_t)SERVER_FAIL_WINDOW * 1000)
			f->count = 0; /* forgiven */
		if (f->count > 0 && strcmp(f->addr, addr) == 0)
			return f;
		/* A free record, else the one idle longest. */
		if (victim == NULL ||
		    (victim->count > 0 &&
			(f->count == 0 || f->last < victim->last)))
			victim = f;
	}
	if (!add)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	util_strlcpy(victim->addr, addr, sizeof(victim->addr));
	return victim;
}

static void
fail_add(const struct server *srv, struct kids *k, const char *addr, int n)
{
	struct fail *f;

	if (addr[0] == '\0' || (f = fail_find(k, addr, 1)) == NULL)
		return;
	f->count += n;
	f->last = util_now_ms();
	if (f->count >= SERVER_FAIL_MAX && f->count - n < SERVER_FAIL_MAX)
		log_warn(srv->log,
		    "%s: %d failed logins: refusing its connections for %d s",
		    addr, f->count, SERVER_FAIL_WINDOW);
}

/* Count the failed logins a session's status carries. */
static void
status_fails(const struct server *srv, struct kids *k, const char *addr,
    int code)
{
	if (code > SERVER_EXIT_FAILS &&
	    code <= SERVER_EXIT_FAILS + SERVER_EXIT_FAILS_MAX)
		fail_add(srv, k, addr, code - SERVER_EXIT_FAILS);
}

static void
chan_close(struct kid *w)
{
	if (w->chan != -1)
		(void)close(w->chan);
	w->chan = -1;
}

static void
drop(const struct server *srv, struct kids *k, pid_t pid, int st)
{
	struct kid *w;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->kid[i].pid == pid)
			break;
	if (i == k->n)
		return;
	w = &k->kid[i];
	/* A worker's sessions told their status over the channel. */
	if (srv->work == NULL && WIFEXITED(st))
		status_fails(srv, k, w->addr, WEXITSTATUS(st));
	if (WIFSIGNALED(st) && !k->stopping)
		log_warn(srv->log, "%s %ld killed by signal %d",
		    srv->work != NULL ? "worker" : "session", (long)pid,
		    WTERMSIG(st));
	else if (srv->work != NULL && w->busy && !k->stopping)
		log_warn(srv->log, "worker %ld ended during a session",
		    (long)pid);
	chan_close(w);
	k->n--;
	if (i != k->n)
		*w = k->kid[k->n];
}

/* Sessions open from addr. */
static size_t
from_addr(const struct kids *k, const char *addr)
{
	size_t i, n = 0;

	for (i = 0; i < k->n; i++)
		n += k->kid[i].busy && strcmp(k->kid[i].addr, addr) == 0;
	return n;
}

/* Sessions open. */
static size_t
busy(const struct kids *k)
{
	size_t i, n = 0;

	for (i = 0; i < k->n; i++)
		n += k->kid[i].busy != 0;
	return n;
}

/* Collect every child that ended; warn about one that crashed. */
static void
reap(const struct server *srv, struct kids *k)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		drop(srv, k, pid, st);
}

static void
refuse(int fd, const char *line)
{
	if (line != NULL)
		(void)send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(fd);
}

/*
 * A message on worker w's channel: a session ended (DONE), or the
 * worker is going (end of file, or nonsense: it is not asked again).
 */
static void
chan_read(const struct server *srv, struct kids *k, struct kid *w)
{
	struct privsep_msg m;
	const char *f;
	long long v;
	int rc;

	rc = privsep_recv(w->chan, &m, 0);
	if (rc == -1 && (errno == EINTR || errno == ETIMEDOUT ||
	    errno == EAGAIN))
		return;
	if (rc == 1 && m.fd != -1)
		(void)close(m.fd);
	if (rc == 1 && m.type == SERVER_MSG_DONE && w->busy &&
	    (f = privsep_field(&m, 0, 3)) != NULL &&
	    util_parse_num(f, 0, 255, 0, &v) == 0) {
		status_fails(srv, k, w->addr, (int)v);
		w->busy = 0;
		w->addr[0] = '\0';
		w->uses++;
		w->idle_since = util_now_ms();
		/* Replaced after max_use (Postfix's max_use); at
		   shutdown, every idle worker ends. */
		if (w->uses >= k->max_use || got_term)
			chan_close(w);
		return;
	}
	if (rc == 1)
		log_warn(srv->log, "worker %ld: unexpected message",
		    (long)w->pid);
	/* It ends (or must): it counts as busy until it is reaped. */
	chan_close(w);
}

/*
 * Wait until a child ends, a signal comes, a worker says something or
 * ms milliseconds pass (ms < 0: no limit), with the signals let in only
 * while waiting; then reap and read the channels.  With lfd >= 0, also
 * until a connection waits there: returns 1 then, else 0.
 */
static int
wait_some(const struct server *srv, struct kids *k, const sigset_t *orig,
    int64_t ms, int lfd)
{
	struct timespec ts, *tp = NULL;
	fd_set rset;
	size_t i;
	int maxfd = -1, rc;

	FD_ZERO(&rset);
	if (lfd >= 0) {
		FD_SET(lfd, &rset);
		maxfd = lfd;
	}
	for (i = 0; i < k->n; i++)
		if (k->kid[i].chan != -1) {
			FD_SET(k->kid[i].chan, &rset);
			if (k->kid[i].chan > maxfd)
				maxfd = k->kid[i].chan;
		}
	if (ms >= 0) {
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		tp = &ts;
	}
	got_chld = 0;
	rc = pselect(maxfd + 1, &rset, NULL, NULL, tp, orig);
	if (rc > 0)
		for (i = 0; i < k->n; i++)
			if (k->kid[i].chan != -1 &&
			    FD_ISSET(k->kid[i].chan, &rset))
				chan_read(srv, k, &k->kid[i]);
	reap(srv, k);
	return rc > 0 && lfd >= 0 && FD_ISSET(lfd, &rset);
}

/* Wait for the children until they are gone or ms passed. */
static void
wait_kids(const struct server *srv, struct kids *k, const sigset_t *orig,
    int64_t ms, int cut_short)
{
	int64_t deadline = util_now_ms() + ms;

	for (;;) {
		reap(srv, k);
		if (k->n == 0 || util_now_ms() >= deadline)
			return;
		if (cut_short && got_term >= 2)
			return;
		(void)wait_some(srv, k, orig, deadline - util_now_ms(), -1);
	}
}

static void
signal_kids(const struct kids *k, int sig)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		(void)kill(k->kid[i].pid, sig);
}

static void
shutdown_kids(const struct server *srv, struct kids *k, const sigset_t *orig)
{
	pid_t pid;
	size_t i;
	int st;

	/* Idle workers end now; busy ones after their session. */
	for (i = 0; i < k->n; i++)
		if (!k->kid[i].busy)
			chan_close(&k->kid[i]);
	wait_kids(srv, k, orig, (int64_t)srv->grace * 1000, 1);
	k->stopping = 1;
	if (k->n == 0)
		return;
	log_info(srv->log, "grace over: terminating %zu sessions", busy(k));
	signal_kids(k, SIGTERM);
	wait_kids(srv, k, orig, SERVER_KILL_DELAY * 1000, 0);
	if (k->n == 0)
		return;
	log_warn(srv->log, "killing %zu sessions", busy(k));
	signal_kids(k, SIGKILL);
	while (k->n > 0) {
		if ((pid = waitpid(-1, &st, 0)) == -1) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: none left to wait for */
		}
		drop(srv, k, pid, st);
	}
}

/* In a new child: the listener's descriptors closed, signals back. */
static void
child_setup(struct kids *k, int lfd, const sigset_t *orig)
{
	size_t i;

	(void)close(lfd);
	for (i = 0; i < k->n; i++)
		if (k->kid[i].chan != -1)
			(void)close(k->kid[i].chan);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	got_term = got_chld = 0;
	(void)sigprocmask(SIG_SETMASK, orig, NULL);
}

/* A child per connection: the session. */
static void
child(const struct server *srv, struct kids *k, int lfd, int fd,
    const sigset_t *orig)
{
	int rc;

	child_setup(k, lfd, orig);
	net_nodelay(fd);
	rc = srv->serve(srv->arg, fd);
	(void)close(fd);
	_exit(rc);
}

/*
 * A new pool worker, idle, or NULL (logged).  Its channel must fit in
 * select's set, like the listening socket.  conn, the connection being
 * handed over, is not the worker's to inherit: it comes over the
 * channel (a copy kept would hold the connection open after the
 * session closed it).
 */
static struct kid *
spawn(const struct server *srv, struct kids *k, int lfd, int conn,
    const sigset_t *orig)
{
	struct kid *w;
	pid_t pid;
	int sv[2];

	if (k->n == SERVER_CHILDREN_MAX)
		return NULL;
	if (privsep_socketpair(sv) == -1) {
		log_err(srv->log, "socketpair: %s", strerror(errno));
		return NULL;
	}
	if (sv[0] >= FD_SETSIZE) {
		log_err(srv->log, "worker channel: descriptor %d too large "
		    "for select", sv[0]);
		(void)close(sv[0]);
		(void)close(sv[1]);
		return NULL;
	}
	if ((pid = fork()) == -1) {
		log_err(srv->log, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return NULL;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		(void)close(conn);
		child_setup(k, lfd, orig);
		_exit(srv->work(srv->arg, sv[1]));
	}
	(void)close(sv[1]);
	w = &k->kid[k->n++];
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->chan = sv[0];
	w->idle_since = util_now_ms();
	return w;
}

/*
 * Pool: pass fd to an idle worker (the one idle longest is left to
 * expire: take the most recent), or a new one.  0, or -1 (fd is still
 * ours).
 */
static int
hand_over(const struct server *srv, struct kids *k, int lfd, int fd,
    const char *addr, const sigset_t *orig)
{
	const char *f[1];
	struct kid *w;
	size_t i;
	int tries;

	f[0] = addr;
	for (tries = 0; tries < 3; tries++) {
		w = NULL;
		for (i = 0; i < k->n; i++)
			if (!k->kid[i].busy && k->kid[i].chan != -1 &&
			    (w == NULL ||
				k->kid[i].idle_since > w->idle_since))
				w = &k->kid[i];
		if (w == NULL && (w = spawn(srv, k, lfd, fd, orig)) == NULL)
			return -1;
		if (privsep_send(w->chan, SERVER_MSG_CONN, fd, 1, f) == 0) {
			w->busy = 1;
			util_strlcpy(w->addr, addr, sizeof(w->addr));
			return 0;
		}
		/* Gone meanwhile: it is reaped later; try another. */
		chan_close(w);
	}
	return -1;
}

/* Pool: close the channels of workers idle longer than SERVER_IDLE_MAX
   (they end); the time until the next one expires, or -1. */
static int64_t
expire_idle(struct kids *k)
{
	int64_t now = util_now_ms(), left, next = -1;
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (k->kid[i].busy || k->kid[i].chan == -1)
			continue;
		left = k->kid[i].idle_since + SERVER_IDLE_MAX * 1000 - now;
		if (left <= 0)
			chan_close(&k->kid[i]);
		else if (next == -1 || left < next)
			next = left;
	}
	return next;
}

/*
 * May one more session from addr start?  As with max_children, a
 * session that has said goodbye counts until it is reaped (or its
 * worker said so), and a client that reconnects at once must not be
 * turned away for that: wait up to SERVER_BUSY_WAIT_MS for one of its
 * sessions to end.
 */
static int
addr_slot(const struct server *srv, struct kids *k, const char *addr,
    const sigset_t *orig)
{
	int64_t deadline = util_now_ms() + SERVER_BUSY_WAIT_MS, left;

	for (;;) {
		reap(srv, k);
		if (from_addr(k, addr) < (size_t)srv->max_per_addr)
			return 1;
		left = deadline - util_now_ms();
		if (left <= 0 || got_term)
			return 0;
		(void)wait_some(srv, k, orig, left < 20 ? left : 20, -1);
	}
}

/* Accept one connection and hand it to a child (or refuse it). */
static void
accept_one(const struct server *srv, struct kids *k, int lfd,
    const sigset_t *orig, int max)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[NET_ADDRSTR_MAX];
	struct fail *f;
	struct kid *w;
	pid_t pid;
	size_t nb;
	int fd, fl;

	if ((fd = accept(lfd, (struct sockaddr *)&ss, &sl)) == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED)
			return;
		log_warn(srv->log, "accept: %s", strerror(errno));
		/* Out of descriptors or memory: the connection stays
		   queued and select says so at once; do not spin. */
		(void)wait_some(srv, k, orig, SERVER_ACCEPT_PAUSE_MS, -1);
		return;
	}
	/* Programs the session runs must not inherit the socket; the
	   listening socket is non-blocking, the session's must not be. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if ((fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	reap(srv, k);
	addr[0] = '\0';
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
		net_sa_str((struct sockaddr *)&ss, addr, sizeof(addr));
	if ((nb = busy(k)) >= (size_t)max ||
	    (srv->work == NULL && k->n == SERVER_CHILDREN_MAX)) {
		log_warn(srv->log, "%zu sessions busy: connection refused", nb);
		refuse(fd, srv->busy_line);
		return;
	}
	if (addr[0] != '\0' && (f = fail_find(k, addr, 0)) != NULL &&
	    f->count >= SERVER_FAIL_MAX) {
		log_info(srv->log, "%s: connection refused: %d failed logins",
		    addr, f->count);
		refuse(fd, srv->banned_line);
		return;
	}
	if (addr[0] != '\0' && srv->max_per_addr > 0 &&
	    !addr_slot(srv, k, addr, orig)) {
		log_info(srv->log,
		    "%s: connection refused: %d sessions from it already",
		    addr, srv->max_per_addr);
		refuse(fd, srv->busy_addr_line);
		return;
	}
	if (srv->work != NULL) {
		if (hand_over(srv, k, lfd, fd, addr, orig) == -1)
			refuse(fd, srv->busy_line);
		else
			(void)close(fd);
		return;
	}
	if ((pid = fork()) == -1) {
		log_err(srv->log, "fork: %s", strerror(errno));
		refuse(fd, srv->busy_line);
		return;
	}
	if (pid == 0)
		child(srv, k, lfd, fd, orig);
	w = &k->kid[k->n++];
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->chan = -1;
	w->busy = 1;
	util_strlcpy(w->addr, addr, sizeof(w->addr));
	(void)close(fd);
}

int
server_take(int chan, int *fd)
{
	struct privsep_msg m;
	int rc;

	*fd = -1;
	for (;;) {
		if (server_terminating())
			return 0;
		rc = privsep_recv(chan, &m, -1);
		if (rc == -1 && errno == EINTR)
			continue;
		break;
	}
	if (rc <= 0)
		return rc == 0 || server_terminating() ? 0 : -1;
	if (m.type != SERVER_MSG_CONN || m.fd == -1) {
		if (m.fd != -1)
			(void)close(m.fd);
		errno = EBADMSG;
		return -1;
	}
	net_nodelay(m.fd);
	*fd = m.fd;
	return 1;
}

int
server_done(int chan, int status)
{
	char num[8];
	const char *f[1];

	(void)snprintf(num, sizeof(num), "%d", status & 0xff);
	f[0] = num;
	return privsep_send(chan, SERVER_MSG_DONE, -1, 1, f);
}

int
server_run(const struct server *srv)
{
	struct kids *kp;
	struct sigaction sa, old_chld, old_term, old_int;
	sigset_t block, orig, letin;
	char err[ERR_MAX];
	int64_t full_since = 0, ms;
	int lfd, rc, fl, max = srv->max_children;

	if (max < 1)
		max = 1;
	if (max > SERVER_CHILDREN_MAX)
		max = SERVER_CHILDREN_MAX;
	if ((kp = calloc(1, sizeof(*kp))) == NULL) {
		log_err(srv->log, "%s: %s", srv->hostport, strerror(errno));
		return EX_OSERR;
	}
	kp->max_use = srv->max_use > 0 ? srv->max_use : SERVER_MAX_USE_DEFAULT;
	if ((lfd = net_listen(
		 srv->hostport, SERVER_BACKLOG, err, sizeof(err))) == -1) {
		log_err(srv->log, "%s", err);
		free(kp);
		return EX_UNAVAILABLE;
	}
	if (lfd >= FD_SETSIZE) {
		log_err(srv->log, "%s: descriptor %d too large for select",
		    srv->hostport, lfd);
		(void)close(lfd);
		free(kp);
		return EX_OSERR;
	}
	/* A connection reset between select and accept must not block. */
	if ((fl = fcntl(lfd, F_GETFL)) != -1)
		(void)fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
	if (srv->ready != NULL && (rc = srv->ready(srv->arg)) != 0) {
		(void)close(lfd);
		free(kp);
		return rc;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &block, &orig);
	/* What pselect lets in, and the children's mask: ours unblocked
	   even if the caller had blocked them. */
	letin = orig;
	sigdelset(&letin, SIGCHLD);
	sigdelset(&letin, SIGTERM);
	sigdelset(&letin, SIGINT);
	got_term = got_chld = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_mask = block;
	(void)sigaction(SIGCHLD, &sa, &old_chld);
	(void)sigaction(SIGTERM, &sa, &old_term);
	(void)sigaction(SIGINT, &sa, &old_int);
	log_info(srv->log, "listening on %s (port %d)", srv->hostport,
	    net_local_port(lfd));
	/* Nothing buffered may be written twice by the children. */
	(void)fflush(NULL);
	while (!got_term) {
		reap(srv, kp);
		ms = srv->work != NULL ? expire_idle(kp) : -1;
		/*
		 * At the limit, new connections wait in the kernel's queue
		 * for a while: a session that has said goodbye counts until
		 * it is reaped (or its worker says so), and a client that
		 * reconnects at once must not be turned away for that.  Only
		 * when no slot frees up within SERVER_BUSY_WAIT_MS are they
		 * refused.
		 */
		if (busy(kp) >= (size_t)max) {
			if (full_since == 0)
				full_since = util_now_ms();
			if (util_now_ms() - full_since <
			    SERVER_BUSY_WAIT_MS) {
				(void)wait_some(srv, kp, &letin, 20, -1);
				continue;
			}
		} else
			full_since = 0;
		if (wait_some(srv, kp, &letin, ms, lfd) && !got_term)
			accept_one(srv, kp, lfd, &letin, max);
	}
	(void)close(lfd);
	log_info(srv->log, "shutting down, %zu sessions open", busy(kp));
	shutdown_kids(srv, kp, &letin);
	(void)sigaction(SIGCHLD, &old_chld, NULL);
	(void)sigaction(SIGTERM, &old_term, NULL);
	(void)sigaction(SIGINT, &old_int, NULL);
	(void)sigprocmask(SIG_SETMASK, &orig, NULL);
	free(kp);
	return 0;
}
