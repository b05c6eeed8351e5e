/*
 * server.c: the standalone listener (see server.h).  One child per
 * connection, at most max_children at once; children are reaped on
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

struct kids {
	pid_t pid[SERVER_CHILDREN_MAX];
	char addr[SERVER_CHILDREN_MAX][NET_ADDRSTR_MAX];
	size_t n;
	int stopping; /* we sent the signals: do not warn about them */
	struct fail fail[SERVER_FAIL_ADDRS];
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

static void
drop(const struct server *srv, struct kids *k, pid_t pid, int st)
{
	size_t i;
	int code;

	for (i = 0; i < k->n; i++)
		if (k->pid[i] == pid)
			break;
	if (i == k->n)
		return;
	if (WIFEXITED(st)) {
		code = WEXITSTATUS(st);
		if (code > SERVER_EXIT_FAILS &&
		    code <= SERVER_EXIT_FAILS + SERVER_EXIT_FAILS_MAX)
			fail_add(srv, k, k->addr[i], code - SERVER_EXIT_FAILS);
	}
	if (WIFSIGNALED(st) && !k->stopping)
		log_warn(srv->log, "session %ld killed by signal %d", (long)pid,
		    WTERMSIG(st));
	k->n--;
	k->pid[i] = k->pid[k->n];
	memcpy(k->addr[i], k->addr[k->n], sizeof(k->addr[i]));
}

/* Sessions open from addr. */
static size_t
from_addr(const struct kids *k, const char *addr)
{
	size_t i, n = 0;

	for (i = 0; i < k->n; i++)
		n += strcmp(k->addr[i], addr) == 0;
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
 * Wait until a child ends, a signal comes or ms milliseconds pass,
 * with the signals let in only while waiting.
 */
static void
wait_some(const sigset_t *orig, int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)pselect(0, NULL, NULL, NULL, &ts, orig);
}

/* Wait for the children until they are gone or ms passed. */
static void
wait_kids(const struct server *srv, struct kids *k, const sigset_t *orig,
    int64_t ms, int cut_short)
{
	int64_t deadline = util_now_ms() + ms;

	for (;;) {
		got_chld = 0;
		reap(srv, k);
		if (k->n == 0 || util_now_ms() >= deadline)
			return;
		if (cut_short && got_term >= 2)
			return;
		wait_some(orig, deadline - util_now_ms());
	}
}

static void
signal_kids(const struct kids *k, int sig)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		(void)kill(k->pid[i], sig);
}

static void
shutdown_kids(const struct server *srv, struct kids *k, const sigset_t *orig)
{
	pid_t pid;
	int st;

	wait_kids(srv, k, orig, (int64_t)srv->grace * 1000, 1);
	k->stopping = 1;
	if (k->n == 0)
		return;
	log_info(srv->log, "grace over: terminating %zu sessions", k->n);
	signal_kids(k, SIGTERM);
	wait_kids(srv, k, orig, SERVER_KILL_DELAY * 1000, 0);
	if (k->n == 0)
		return;
	log_warn(srv->log, "killing %zu sessions", k->n);
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

static void
child(const struct server *srv, int lfd, int fd, const sigset_t *orig)
{
	int rc;

	(void)close(lfd);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	got_term = got_chld = 0;
	(void)sigprocmask(SIG_SETMASK, orig, NULL);
	net_nodelay(fd);
	rc = srv->serve(srv->arg, fd);
	(void)close(fd);
	_exit(rc);
}

/*
 * May one more session from addr start?  As with max_children, a
 * session that has said goodbye counts until it is reaped, and a client
 * that reconnects at once must not be turned away for that: wait up to
 * SERVER_BUSY_WAIT_MS for one of its sessions to end.
 */
static int
addr_slot(const struct server *srv, struct kids *k, const char *addr,
    const sigset_t *orig)
{
	int64_t deadline = util_now_ms() + SERVER_BUSY_WAIT_MS, left;

	for (;;) {
		got_chld = 0;
		reap(srv, k);
		if (from_addr(k, addr) < (size_t)srv->max_per_addr)
			return 1;
		left = deadline - util_now_ms();
		if (left <= 0 || got_term)
			return 0;
		wait_some(orig, left < 20 ? left : 20);
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
	pid_t pid;
	int fd, fl;

	if ((fd = accept(lfd, (struct sockaddr *)&ss, &sl)) == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED)
			return;
		log_warn(srv->log, "accept: %s", strerror(errno));
		/* Out of descriptors or memory: the connection stays
		   queued and select says so at once; do not spin. */
		wait_some(orig, SERVER_ACCEPT_PAUSE_MS);
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
	if (k->n >= (size_t)max) {
		log_warn(
		    srv->log, "%zu sessions busy: connection refused", k->n);
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
	if ((pid = fork()) == -1) {
		log_err(srv->log, "fork: %s", strerror(errno));
		refuse(fd, srv->busy_line);
		return;
	}
	if (pid == 0)
		child(srv, lfd, fd, orig);
	k->pid[k->n] = pid;
	util_strlcpy(k->addr[k->n], addr, sizeof(k->addr[k->n]));
	k->n++;
	(void)close(fd);
}

int
server_run(const struct server *srv)
{
	struct kids *kp;
	struct sigaction sa, old_chld, old_term, old_int;
	sigset_t block, orig, letin;
	fd_set rset;
	char err[ERR_MAX];
	struct timespec tick = {0, 20 * 1000 * 1000};
	int64_t full_since = 0;
	int lfd, rc, fl, max = srv->max_children;

	if (max < 1)
		max = 1;
	if (max > SERVER_CHILDREN_MAX)
		max = SERVER_CHILDREN_MAX;
	if ((kp = calloc(1, sizeof(*kp))) == NULL) {
		log_err(srv->log, "%s: %s", srv->hostport, strerror(errno));
		return EX_OSERR;
	}
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
		got_chld = 0;
		reap(srv, kp);
		/*
		 * At the limit, new connections wait in the kernel's queue
		 * for a while: a session that has said goodbye counts until
		 * it is reaped, and a client that reconnects at once must
		 * not be turned away for that.  Only when no slot frees up
		 * within SERVER_BUSY_WAIT_MS are they refused.
		 */
		if (kp->n >= (size_t)max) {
			if (full_since == 0)
				full_since = util_now_ms();
			if (util_now_ms() - full_since < SERVER_BUSY_WAIT_MS) {
				(void)pselect(
				    0, NULL, NULL, NULL, &tick, &letin);
				continue;
			}
		} else
			full_since = 0;
		FD_ZERO(&rset);
		FD_SET(lfd, &rset);
		rc = pselect(lfd + 1, &rset, NULL, NULL, NULL, &letin);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			log_err(srv->log, "select: %s", strerror(errno));
			break;
		}
		if (rc > 0 && !got_term)
			accept_one(srv, kp, lfd, &letin, max);
	}
	(void)close(lfd);
	log_info(srv->log, "shutting down, %zu sessions open", kp->n);
	shutdown_kids(srv, kp, &letin);
	(void)sigaction(SIGCHLD, &old_chld, NULL);
	(void)sigaction(SIGTERM, &old_term, NULL);
	(void)sigaction(SIGINT, &old_int, NULL);
	(void)sigprocmask(SIG_SETMASK, &orig, NULL);
	free(kp);
	return 0;
}
