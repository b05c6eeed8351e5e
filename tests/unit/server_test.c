/*
 * server_test: the standalone listener.  A forked server_run on a free
 * loopback port with tiny serve callbacks: it serves, refuses one
 * connection too many with the busy line, reaps its children, stops
 * accepting on SIGTERM, gives sessions their grace, then SIGTERM (seen
 * by server_terminating()) and SIGKILL for a session that ignores it;
 * a port it cannot bind gives EX_UNAVAILABLE and says why.  The same in
 * pool mode, where one worker serves connection after connection and
 * is replaced after max_use, and failed logins come over the channel.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "util.h"

#define BUSY "421 busy, try later\r\n"
#define BANNED "421 banned\r\n"

struct srvtest {
	pid_t pid; /* the server_run process */
	int logfd; /* its stderr, read end */
	int port;
	char log[8192]; /* what it logged so far */
	size_t loglen;
};

/*
 * The greeting a session sends: its pid, whether the fd is close-on-exec
 * and whether SIGTERM is blocked (server.h: "signals unblocked").
 */
static void
greet(int fd)
{
	char line[128];
	sigset_t cur;
	int n;

	sigprocmask(SIG_SETMASK, NULL, &cur);
	n = snprintf(line, sizeof(line), "hello %ld cloexec=%d blocked=%d\r\n",
	    (long)getpid(), (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	    sigismember(&cur, SIGTERM));
	(void)util_write_all(fd, line, (size_t)n);
}

/* Echo until EOF; on SIGTERM say "bye" and end with status 3. */
static int
serve_echo(void *arg, int fd)
{
	char buf[512];
	ssize_t n;

	(void)arg;
	server_child_signals();
	greet(fd);
	for (;;) {
		/* A SIGTERM that came before the read must not be slept
		   through (as io.c does with io->stop). */
		n = server_terminating() ? -1 : read(fd, buf, sizeof(buf));
		if (n == -1 && server_terminating())
			errno = EINTR;
		if (n > 0) {
			(void)util_write_all(fd, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR && server_terminating()) {
			(void)util_write_all(fd, "bye\r\n", 5);
			return 3;
		}
		if (errno != EINTR)
			return 1;
	}
}

/* A session whose client says "fail" had SERVER_FAIL_MAX failed
   logins; else serve_echo. */
static int
serve_failing(void *arg, int fd)
{
	char buf[16];
	ssize_t n;

	(void)arg;
	greet(fd);
	n = read(fd, buf, sizeof(buf));
	if (n >= 4 && memcmp(buf, "fail", 4) == 0)
		return server_exit_status(1, SERVER_FAIL_MAX);
	return 0;
}

/* Pool mode: the callbacks of the tests, connection after connection. */
static int (*pool_serve)(void *, int);

static int
work(void *arg, int chan)
{
	int fd, st;

	server_child_signals();
	while (server_take(chan, &fd) == 1) {
		st = pool_serve(arg, fd);
		(void)close(fd);
		if (server_done(chan, st) == -1)
			return 1;
	}
	return 0;
}

/* A session that ignores SIGTERM: only SIGKILL ends it. */
static int
serve_stubborn(void *arg, int fd)
{
	char buf[512];
	ssize_t n;

	(void)arg;
	(void)signal(SIGTERM, SIG_IGN);
	greet(fd);
	while ((n = read(fd, buf, sizeof(buf))) != 0)
		if (n == -1 && errno != EINTR)
			break;
	return 0;
}

/* Append what the server logged within ms; 1 when `want' is in it. */
static int
log_wait(struct srvtest *t, const char *want, int ms)
{
	int64_t deadline = util_now_ms() + ms;
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		t->log[t->loglen] = '\0';
		if (want != NULL && strstr(t->log, want) != NULL)
			return 1;
		if (util_now_ms() >= deadline ||
		    t->loglen + 1 >= sizeof(t->log))
			return 0;
		pfd.fd = t->logfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(deadline - util_now_ms())) <= 0)
			continue;
		n = read(t->logfd, t->log + t->loglen,
		    sizeof(t->log) - 1 - t->loglen);
		if (n <= 0)
			return want != NULL && strstr(t->log, want) != NULL;
		t->loglen += (size_t)n;
	}
}

/* ready callback: no descriptor left, so every accept(2) fails. */
static int
ready_no_fds(void *arg)
{
	struct rlimit rl;
	int lowest;

	(void)arg;
	if ((lowest = dup(0)) == -1)
		return 1;
	(void)close(lowest);
	rl.rlim_cur = rl.rlim_max = (rlim_t)lowest;
	return setrlimit(RLIMIT_NOFILE, &rl) == -1 ? 1 : 0;
}

/* Set by a test: the caller of server_run has SIGTERM blocked. */
static int caller_blocks_term;
/* Set by a test: pool mode with this max_use. */
static int pool_max_use;

static void
start_with(struct srvtest *t, int max, int grace, int (*serve)(void *, int),
    int (*ready)(void *))
{
	struct server srv;
	struct log lg;
	sigset_t set;
	const char *p;
	int pfd[2];

	memset(t, 0, sizeof(*t));
	ATF_REQUIRE(pipe(pfd) == 0);
	ATF_REQUIRE((t->pid = fork()) != -1);
	if (t->pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 2);
		close(pfd[1]);
		log_open(&lg, "srvtest", 0, 0);
		lg.level = LOG_LVL_INFO;
		if (caller_blocks_term) {
			sigemptyset(&set);
			sigaddset(&set, SIGTERM);
			sigprocmask(SIG_BLOCK, &set, NULL);
		}
		memset(&srv, 0, sizeof(srv));
		srv.hostport = "127.0.0.1:0";
		srv.max_children = max;
		srv.grace = grace;
		srv.log = &lg;
		srv.serve = serve;
		if (pool_max_use > 0) {
			pool_serve = serve;
			srv.work = work;
			srv.max_use = pool_max_use;
		}
		srv.ready = ready;
		srv.busy_line = BUSY;
		srv.banned_line = BANNED;
		_exit(server_run(&srv));
	}
	close(pfd[1]);
	t->logfd = pfd[0];
	ATF_REQUIRE_MSG(
	    log_wait(t, ")\n", 5000), "no \"listening\" line: %s", t->log);
	ATF_REQUIRE_MSG((p = strstr(t->log, "(port ")) != NULL, "%s", t->log);
	t->port = atoi(p + 6);
	ATF_REQUIRE(t->port > 0);
}

static void
start(struct srvtest *t, int max, int grace, int (*serve)(void *, int))
{
	start_with(t, max, grace, serve, NULL);
}

/* The server's exit status within ms, or -1 (then it is killed). */
static int
finish(struct srvtest *t, int ms)
{
	int64_t deadline = util_now_ms() + ms;
	pid_t r;
	int st;

	while ((r = waitpid(t->pid, &st, WNOHANG)) == 0 &&
	    util_now_ms() < deadline)
		usleep(10000);
	if (r != t->pid) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		return -1;
	}
	(void)log_wait(t, NULL, 2000); /* to EOF */
	close(t->logfd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
dial(const struct srvtest *t)
{
	char port[16], err[ERR_MAX];
	int fd;

	snprintf(port, sizeof(port), "%d", t->port);
	fd = net_connect("127.0.0.1", port, 3000, NULL, 0, err, sizeof(err));
	return fd;
}

/* Read one line (up to LF) within ms: its length, 0 at EOF, -1 none. */
static int
get_line(int fd, char *out, size_t outlen, int ms)
{
	int64_t deadline = util_now_ms() + ms;
	struct pollfd pfd;
	size_t n = 0;
	ssize_t r;

	while (n + 1 < outlen) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(deadline - util_now_ms())) <= 0 ||
		    util_now_ms() > deadline)
			return -1;
		if ((r = read(fd, out + n, 1)) <= 0) {
			out[n] = '\0';
			return n == 0 && r == 0 ? 0 : -1;
		}
		if (out[n++] == '\n')
			break;
	}
	out[n] = '\0';
	return (int)n;
}

/* The session's pid from its greeting. */
static pid_t
hello(int fd)
{
	char line[128];

	ATF_REQUIRE_MSG(
	    get_line(fd, line, sizeof(line), 3000) > 0, "no greeting");
	ATF_REQUIRE_MSG(strncmp(line, "hello ", 6) == 0, "%s", line);
	return (pid_t)atol(line + 6);
}

/* Wait until pid is gone from the process table (reaped, not zombie). */
static int
gone(pid_t pid, int ms)
{
	int64_t deadline = util_now_ms() + ms;

	while (util_now_ms() < deadline) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		usleep(10000);
	}
	return 0;
}

ATF_TC_WITHOUT_HEAD(serves);
ATF_TC_BODY(serves, tc)
{
	struct srvtest t;
	char line[128];
	int a, b;

	/* Even a caller that blocks SIGTERM gets it handled, and the
	   sessions run with it unblocked (server.h). */
	caller_blocks_term = 1;
	start(&t, 4, 1, serve_echo);
	caller_blocks_term = 0;
	ATF_REQUIRE((a = dial(&t)) != -1);
	ATF_REQUIRE((b = dial(&t)) != -1);
	ATF_REQUIRE(get_line(a, line, sizeof(line), 3000) > 0);
	ATF_CHECK_MSG(strstr(line, " cloexec=1 blocked=0\r\n") != NULL,
	    "child setup: %s", line);
	ATF_REQUIRE(get_line(b, line, sizeof(line), 3000) > 0);
	ATF_REQUIRE(util_write_all(a, "ping a\n", 7) == 0);
	ATF_REQUIRE(util_write_all(b, "ping b\n", 7) == 0);
	ATF_REQUIRE(get_line(b, line, sizeof(line), 3000) > 0);
	ATF_CHECK_STREQ(line, "ping b\n");
	ATF_REQUIRE(get_line(a, line, sizeof(line), 3000) > 0);
	ATF_CHECK_STREQ(line, "ping a\n");
	close(a);
	close(b);
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
	ATF_CHECK_MSG(strstr(t.log, "shutting down") != NULL, "%s", t.log);
}

ATF_TC_WITHOUT_HEAD(busy_and_reaped);
ATF_TC_BODY(busy_and_reaped, tc)
{
	struct srvtest t;
	char line[128];
	pid_t first;
	int a, b, c;

	start(&t, 1, 1, serve_echo);
	ATF_REQUIRE((a = dial(&t)) != -1);
	first = hello(a);
	/* One more than max_children: the busy line, then EOF. */
	ATF_REQUIRE((b = dial(&t)) != -1);
	ATF_REQUIRE(get_line(b, line, sizeof(line), 3000) > 0);
	ATF_CHECK_STREQ(line, BUSY);
	ATF_CHECK_EQ(get_line(b, line, sizeof(line), 3000), 0);
	close(b);
	ATF_CHECK(log_wait(&t, "connection refused", 3000));
	/* The first session ends: reaped at once (no zombie), and its
	   place is free again. */
	close(a);
	ATF_CHECK_MSG(gone(first, 3000), "session %ld not reaped", (long)first);
	ATF_REQUIRE((c = dial(&t)) != -1);
	ATF_CHECK(hello(c) != first);
	ATF_REQUIRE(util_write_all(c, "again\n", 6) == 0);
	ATF_REQUIRE(get_line(c, line, sizeof(line), 3000) > 0);
	ATF_CHECK_STREQ(line, "again\n");
	close(c);
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
}

static void
sigterm_grace(void)
{
	struct srvtest t;
	char line[128];
	int64_t t0, waited;
	pid_t kid;
	int a, b;

	start(&t, 4, 1, serve_echo);
	ATF_REQUIRE((a = dial(&t)) != -1);
	kid = hello(a);
	t0 = util_now_ms();
	kill(t.pid, SIGTERM);
	ATF_REQUIRE(log_wait(&t, "shutting down, 1 sessions open", 3000));
	/* No longer accepting. */
	b = dial(&t);
	ATF_CHECK_MSG(b == -1, "connected after SIGTERM");
	if (b != -1)
		close(b);
	/* The idle session is told after the grace (1 s), not before. */
	ATF_REQUIRE(get_line(a, line, sizeof(line), 4000) > 0);
	waited = util_now_ms() - t0;
	ATF_CHECK_STREQ(line, "bye\r\n");
	ATF_CHECK_MSG(
	    waited >= 900, "SIGTERM after %lld ms", (long long)waited);
	ATF_CHECK_EQ(get_line(a, line, sizeof(line), 3000), 0);
	close(a);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
	ATF_CHECK(gone(kid, 1000));
	ATF_CHECK_MSG(strstr(t.log, "grace over") != NULL, "%s", t.log);
	ATF_CHECK_MSG(strstr(t.log, "killing") == NULL, "%s", t.log);
}

ATF_TC_WITHOUT_HEAD(sigterm_grace);
ATF_TC_BODY(sigterm_grace, tc)
{
	sigterm_grace();
}

ATF_TC_WITHOUT_HEAD(second_signal_cuts_grace);
ATF_TC_BODY(second_signal_cuts_grace, tc)
{
	struct srvtest t;
	char line[128];
	int64_t t0;
	int a;

	start(&t, 4, 60, serve_echo);
	ATF_REQUIRE((a = dial(&t)) != -1);
	(void)hello(a);
	t0 = util_now_ms();
	kill(t.pid, SIGTERM);
	ATF_REQUIRE(log_wait(&t, "shutting down", 3000));
	kill(t.pid, SIGINT);
	ATF_REQUIRE(get_line(a, line, sizeof(line), 4000) > 0);
	ATF_CHECK_STREQ(line, "bye\r\n");
	ATF_CHECK(util_now_ms() - t0 < 4000);
	close(a);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
}

ATF_TC_WITHOUT_HEAD(sigkill_fallback);
ATF_TC_BODY(sigkill_fallback, tc)
{
	struct srvtest t;
	char line[128];
	int64_t t0, took;
	pid_t kid;
	int a;

	start(&t, 4, 0, serve_stubborn);
	ATF_REQUIRE((a = dial(&t)) != -1);
	kid = hello(a);
	t0 = util_now_ms();
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 6000), 0);
	took = util_now_ms() - t0;
	/* SIGTERM at once (grace 0), ignored; SIGKILL 2 s later. */
	ATF_CHECK_MSG(
	    took >= 1800 && took < 5000, "took %lld ms", (long long)took);
	ATF_CHECK_MSG(gone(kid, 1000), "session %ld still there", (long)kid);
	ATF_CHECK_EQ(get_line(a, line, sizeof(line), 3000), 0);
	ATF_CHECK_MSG(strstr(t.log, "killing 1 sessions") != NULL, "%s", t.log);
	ATF_CHECK_MSG(strstr(t.log, "killed by signal") == NULL, "%s", t.log);
	close(a);
}

/* accept(2) failing (EMFILE) must not spin: one warning per pause. */
ATF_TC_WITHOUT_HEAD(accept_emfile);
ATF_TC_BODY(accept_emfile, tc)
{
	struct srvtest t;
	const char *p;
	int a, n = 0;

	start_with(&t, 4, 0, serve_echo, ready_no_fds);
	ATF_REQUIRE((a = dial(&t)) != -1);
	(void)log_wait(&t, "nothing", 1000);
	for (p = t.log; (p = strstr(p, "accept: ")) != NULL; p++)
		n++;
	ATF_CHECK_MSG(n >= 1 && n <= 20, "%d accept warnings in 1 s", n);
	ATF_CHECK_MSG(strstr(t.log, strerror(EMFILE)) != NULL, "%s", t.log);
	close(a);
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
}

static int ready_called;

static int
ready_count(void *arg)
{
	(void)arg;
	ready_called++;
	return EX_NOPERM;
}

/* Run server_run in this process with stderr in a file; its result. */
static int
run_here(struct server *srv, char *log, size_t loglen)
{
	struct log lg;
	int save, fd, rc;
	ssize_t n;

	log_open(&lg, "srvtest", 0, 0);
	lg.level = LOG_LVL_INFO;
	srv->log = &lg;
	ATF_REQUIRE((fd = open("log", O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	fflush(stderr);
	save = dup(2);
	dup2(fd, 2);
	rc = server_run(srv);
	fflush(stderr);
	dup2(save, 2);
	close(save);
	n = pread(fd, log, loglen - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

ATF_TC_WITHOUT_HEAD(bind_failure);
ATF_TC_BODY(bind_failure, tc)
{
	struct server srv;
	char hp[64], err[ERR_MAX], log[1024];
	int lfd, rc;

	ATF_REQUIRE_MSG(
	    (lfd = net_listen("127.0.0.1:0", 4, err, sizeof(err))) != -1, "%s",
	    err);
	snprintf(hp, sizeof(hp), "127.0.0.1:%d", net_local_port(lfd));
	memset(&srv, 0, sizeof(srv));
	srv.hostport = hp;
	srv.max_children = 2;
	srv.serve = serve_echo;
	srv.ready = ready_count;
	ready_called = 0;
	rc = run_here(&srv, log, sizeof(log));
	close(lfd);
	ATF_CHECK_EQ(rc, EX_UNAVAILABLE);
	ATF_CHECK_EQ(ready_called, 0);
	ATF_CHECK_MSG(strstr(log, hp) != NULL, "log: %s", log);
	ATF_CHECK_MSG(
	    strstr(log, strerror(EADDRINUSE)) != NULL, "log: %s", log);
	ATF_CHECK_MSG(strstr(log, "listening") == NULL, "log: %s", log);
}

ATF_TC_WITHOUT_HEAD(ready_refuses);
ATF_TC_BODY(ready_refuses, tc)
{
	struct server srv;
	char log[1024];

	memset(&srv, 0, sizeof(srv));
	srv.hostport = "127.0.0.1:0";
	srv.max_children = 2;
	srv.serve = serve_echo;
	srv.ready = ready_count;
	ready_called = 0;
	ATF_CHECK_EQ(run_here(&srv, log, sizeof(log)), EX_NOPERM);
	ATF_CHECK_EQ(ready_called, 1);
	ATF_CHECK_MSG(strstr(log, "listening") == NULL, "log: %s", log);
}

/* Pool: one worker serves one connection after the other, and is
   replaced after max_use of them. */
ATF_TC_WITHOUT_HEAD(pool_reuse);
ATF_TC_BODY(pool_reuse, tc)
{
	struct srvtest t;
	char line[128];
	pid_t w1, w2;
	int a, i;

	pool_max_use = 3;
	start(&t, 2, 1, serve_echo);
	pool_max_use = 0;
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE((a = dial(&t)) != -1);
		if (i == 0)
			w1 = hello(a);
		else
			ATF_CHECK_EQ(hello(a), w1);
		ATF_REQUIRE(util_write_all(a, "x\n", 2) == 0);
		ATF_REQUIRE(get_line(a, line, sizeof(line), 3000) > 0);
		close(a);
		/* Its end reaches the listener before the next one. */
		usleep(50000);
	}
	ATF_CHECK_MSG(gone(w1, 3000), "worker %ld not replaced", (long)w1);
	ATF_REQUIRE((a = dial(&t)) != -1);
	w2 = hello(a);
	ATF_CHECK(w2 != w1);
	close(a);
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
	ATF_CHECK(gone(w2, 1000));
}

/* Pool: max_children counts connections, not workers; the busy line,
   then the worker that is free again takes the next. */
ATF_TC_WITHOUT_HEAD(pool_busy);
ATF_TC_BODY(pool_busy, tc)
{
	struct srvtest t;
	char line[128];
	pid_t w;
	int a, b, c;

	pool_max_use = 100;
	start(&t, 1, 1, serve_echo);
	pool_max_use = 0;
	ATF_REQUIRE((a = dial(&t)) != -1);
	w = hello(a);
	ATF_REQUIRE((b = dial(&t)) != -1);
	ATF_REQUIRE(get_line(b, line, sizeof(line), 3000) > 0);
	ATF_CHECK_STREQ(line, BUSY);
	close(b);
	close(a);
	/* Its end reaches the listener. */
	usleep(100000);
	ATF_REQUIRE((c = dial(&t)) != -1);
	ATF_CHECK_EQ(hello(c), w);
	close(c);
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
}

/* Pool: a session in a worker gets the grace, then SIGTERM, as a
   child per connection does. */
ATF_TC_WITHOUT_HEAD(pool_sigterm_grace);
ATF_TC_BODY(pool_sigterm_grace, tc)
{
	pool_max_use = 100;
	sigterm_grace();
	pool_max_use = 0;
}

/* Pool: idle workers end at once on SIGTERM, no grace to wait. */
ATF_TC_WITHOUT_HEAD(pool_idle_stop);
ATF_TC_BODY(pool_idle_stop, tc)
{
	struct srvtest t;
	int64_t t0;
	pid_t w;
	int a;

	pool_max_use = 100;
	start(&t, 4, 30, serve_echo);
	pool_max_use = 0;
	ATF_REQUIRE((a = dial(&t)) != -1);
	w = hello(a);
	close(a);
	usleep(100000);
	t0 = util_now_ms();
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
	ATF_CHECK_MSG(util_now_ms() - t0 < 3000, "took %lld ms",
	    (long long)(util_now_ms() - t0));
	ATF_CHECK(gone(w, 1000));
}

/* A session that says hello and ends at once. */
static int
serve_hello(void *arg, int fd)
{
	(void)arg;
	greet(fd);
	return 0;
}

/* Pool: when a session ends its connection is closed: no copy stays
   in a worker (a new one is forked while the connection waits). */
ATF_TC_WITHOUT_HEAD(pool_closes);
ATF_TC_BODY(pool_closes, tc)
{
	struct srvtest t;
	char line[128];
	int a, i;

	pool_max_use = 100;
	start(&t, 4, 1, serve_hello);
	pool_max_use = 0;
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE((a = dial(&t)) != -1);
		(void)hello(a);
		ATF_CHECK_EQ_MSG(get_line(a, line, sizeof(line), 3000), 0,
		    "connection %d not closed", i);
		close(a);
	}
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
}

/* Pool: failed logins told over the channel get the address banned. */
ATF_TC_WITHOUT_HEAD(pool_ban);
ATF_TC_BODY(pool_ban, tc)
{
	struct srvtest t;
	char line[128];
	int a;

	pool_max_use = 100;
	start(&t, 2, 1, serve_failing);
	pool_max_use = 0;
	ATF_REQUIRE((a = dial(&t)) != -1);
	(void)hello(a);
	ATF_REQUIRE(util_write_all(a, "fail\n", 5) == 0);
	ATF_CHECK(get_line(a, line, sizeof(line), 3000) <= 0);
	close(a);
	ATF_REQUIRE(log_wait(&t, "failed logins: refusing", 3000));
	ATF_REQUIRE((a = dial(&t)) != -1);
	ATF_REQUIRE(get_line(a, line, sizeof(line), 3000) > 0);
	ATF_CHECK_STREQ(line, BANNED);
	close(a);
	kill(t.pid, SIGTERM);
	ATF_CHECK_EQ(finish(&t, 5000), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pool_reuse);
	ATF_TP_ADD_TC(tp, pool_busy);
	ATF_TP_ADD_TC(tp, pool_sigterm_grace);
	ATF_TP_ADD_TC(tp, pool_idle_stop);
	ATF_TP_ADD_TC(tp, pool_ban);
	ATF_TP_ADD_TC(tp, pool_closes);
	ATF_TP_ADD_TC(tp, serves);
	ATF_TP_ADD_TC(tp, busy_and_reaped);
	ATF_TP_ADD_TC(tp, sigterm_grace);
	ATF_TP_ADD_TC(tp, second_signal_cuts_grace);
	ATF_TP_ADD_TC(tp, sigkill_fallback);
	ATF_TP_ADD_TC(tp, accept_emfile);
	ATF_TP_ADD_TC(tp, bind_failure);
	ATF_TP_ADD_TC(tp, ready_refuses);
	return atf_no_error();
}
