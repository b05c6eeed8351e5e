/*
 * listen.c: --listen ADDR:PORT.  One child per connection, at most
 * --max-clients at once (one more gets "421 4.7.0" and is closed);
 * children are reaped on SIGCHLD.  SIGTERM (or SIGINT) stops listening,
 * lets the children finish for --grace seconds, then terminates them.
 * Signals are blocked except inside pselect(2), so none is lost between
 * a check and the wait.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "msmtpd.h"
#include "util.h"

/* Children kept track of (--max-clients is bounded by this). */
#define LISTEN_CHILDREN_MAX 1024

static volatile sig_atomic_t got_term, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static size_t
reap(pid_t *kids, size_t nkids)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < nkids; i++)
			if (kids[i] == pid) {
				kids[i] = kids[--nkids];
				break;
			}
	}
	return nkids;
}

static void
refuse(const struct msmtpd_conf *c, int fd)
{
	char msg[SMTP_REPLY_LINE_MAX];
	int n;

	n = snprintf(msg, sizeof(msg),
	    "421 4.7.0 %s Too many connections, try again later\r\n",
	    c->hostname);
	if (n > 0 && (size_t)n < sizeof(msg))
		(void)send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
shutdown_children(pid_t *kids, size_t nkids, int grace)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int64_t deadline = util_now_ms() + (int64_t)grace * 1000;
	size_t i;

	while (nkids > 0 && util_now_ms() < deadline) {
		nanosleep(&ts, NULL);
		nkids = reap(kids, nkids);
	}
	for (i = 0; i < nkids; i++)
		(void)kill(kids[i], SIGTERM);
	deadline = util_now_ms() + 2000;
	while (nkids > 0 && util_now_ms() < deadline) {
		nanosleep(&ts, NULL);
		nkids = reap(kids, nkids);
	}
	for (i = 0; i < nkids; i++)
		(void)kill(kids[i], SIGKILL);
	while (nkids > 0 && waitpid(-1, NULL, 0) > 0)
		nkids = reap(kids, nkids);
}

int
listen_run(const struct msmtpd_conf *c, const char *hostport, int max_clients,
    int grace)
{
	struct sigaction sa;
	sigset_t block, orig;
	fd_set rset;
	pid_t kids[LISTEN_CHILDREN_MAX], pid;
	size_t nkids = 0;
	char err[ERR_MAX];
	int lfd, fd, rc;

	if (max_clients > LISTEN_CHILDREN_MAX)
		max_clients = LISTEN_CHILDREN_MAX;
	if ((lfd = net_listen(hostport, 128, err, sizeof(err))) == -1) {
		log_err(c->log, "%s", err);
		return EX_UNAVAILABLE;
	}
	if (drop_privileges(c) == -1) {
		close(lfd);
		return EX_NOPERM;
	}
	if (lfd >= FD_SETSIZE) {
		log_err(c->log, "%s: descriptor too large", hostport);
		close(lfd);
		return EX_OSERR;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_info(
	    c->log, "listening on %s (port %d)", hostport, net_local_port(lfd));
	while (!got_term) {
		got_chld = 0;
		nkids = reap(kids, nkids);
		FD_ZERO(&rset);
		FD_SET(lfd, &rset);
		rc = pselect(lfd + 1, &rset, NULL, NULL, NULL, &orig);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			log_err(c->log, "select: %s", strerror(errno));
			break;
		}
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				log_warn(c->log, "accept: %s", strerror(errno));
			continue;
		}
		/* The delivery command must not inherit the socket. */
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		nkids = reap(kids, nkids);
		if (nkids >= (size_t)max_clients) {
			log_warn(
			    c->log, "too many clients (%zu), refused", nkids);
			refuse(c, fd);
			continue;
		}
		if ((pid = fork()) == -1) {
			log_err(c->log, "fork: %s", strerror(errno));
			refuse(c, fd);
			continue;
		}
		if (pid == 0) {
			close(lfd);
			signal(SIGCHLD, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			sigprocmask(SIG_SETMASK, &orig, NULL);
			net_nodelay(fd);
			rc = session_run(c, fd, fd);
			close(fd);
			_exit(rc == 0 ? 0 : 1);
		}
		kids[nkids++] = pid;
		close(fd);
	}
	close(lfd);
	log_info(c->log, "shutting down, %zu sessions open", nkids);
	shutdown_children(kids, nkids, grace);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return 0;
}
