/*
 * server.h: the standalone listener shared by the servers (msmtpd
 * --listen, mpop serve --listen, mimap serve --listen).  DESIGN: servers
 * are inetd-first; this gives them the same shape when they listen
 * themselves.  Two ways to run the sessions:
 *
 *  - a child per connection (serve): the fork is the session's; right
 *    when a session changes its uid for good (POP3 and IMAP after the
 *    login);
 *  - a pool (work, after Postfix's prefork with max_use): up to
 *    max_children worker processes, each serving connections one after
 *    the other, replaced after max_use connections or SERVER_IDLE_MAX
 *    idle seconds.  The listener still accepts every connection itself
 *    and passes it over the worker's channel (SCM_RIGHTS), so the
 *    limits below hold the same in both ways; the worker says when the
 *    connection ended, with what serve would have returned.
 *
 * At most max_children sessions at once
 * (more wait in the listen queue; when no session ends within
 * SERVER_BUSY_WAIT_MS they are refused with the protocol's "busy" line
 * and closed),
 * children reaped as they end, SIGTERM/SIGINT stop accepting, children
 * get `grace' seconds to finish, then SIGTERM (a session answers it with
 * its protocol's shutdown line, e.g. "421 4.3.2" or "-ERR [SYS/TEMP]"),
 * then SIGKILL two seconds later.
 *
 * The only state outside the caller's struct is the pair of
 * sig_atomic_t flags the signal handlers set (a handler can reach
 * nothing else); they are file-local to server.c.
 */
#ifndef YUBIN_SERVER_H
#define YUBIN_SERVER_H

#include <stddef.h>

#include "log.h"

/* Children kept track of: the bound for any max_children. */
#define SERVER_CHILDREN_MAX 1024
/* How long connections wait in the queue when max_children are busy
   before they are refused, milliseconds. */
#define SERVER_BUSY_WAIT_MS 1000
/* Pending connections in the kernel's queue (listen(2) backlog). */
#define SERVER_BACKLOG 128
/* Pool: connections a worker serves before it is replaced (Postfix's
   max_use), unless told otherwise; and seconds an idle worker waits
   for one before it ends (Postfix's max_idle). */
#define SERVER_MAX_USE_DEFAULT 100
#define SERVER_MAX_USE_MAX 100000
#define SERVER_IDLE_MAX 100
/* Sessions from one client address at once, unless told otherwise. */
#define SERVER_PER_ADDR_DEFAULT 10
/*
 * Password guessing: an address whose sessions failed this many logins
 * within SERVER_FAIL_WINDOW seconds gets its connections refused (the
 * banned_line) until that many seconds pass without a new failure.  The
 * listener remembers SERVER_FAIL_ADDRS addresses, the oldest forgotten
 * first.  Sessions tell it through their exit status
 * (server_exit_status).
 */
#define SERVER_FAIL_MAX 10
#define SERVER_FAIL_WINDOW 900
#define SERVER_FAIL_ADDRS 1024

struct server {
	const char *hostport; /* ADDR:PORT, [v6]:PORT */
	int max_children;
	int grace; /* seconds after SIGTERM */
	struct log *log;
	/*
	 * Called once after the socket is bound and before the first
	 * accept (drop root here); non-zero stops with that exit code.
	 * May be NULL.
	 */
	int (*ready)(void *arg);
	/*
	 * In the child: serve the connection on fd (FD_CLOEXEC set, TCP
	 * nodelay on, signals back to default and unblocked).  The return
	 * value becomes the child's exit status.
	 */
	int (*serve)(void *arg, int fd);
	/*
	 * Pool mode when not NULL (serve is then unused): runs in each
	 * worker process (signals as for serve), which takes connections
	 * with server_take(chan) and reports each one's end with
	 * server_done; the return value becomes the worker's exit status.
	 * max_use: connections per worker (0: SERVER_MAX_USE_DEFAULT).
	 */
	int (*work)(void *arg, int chan);
	int max_use;
	/* The line sent (non-blocking, best effort) to a connection that
	   is refused because max_children are busy, CRLF included. */
	const char *busy_line;
	/* More than max_per_addr sessions from one address (0: no limit)
	   get busy_addr_line; an address banned for failed logins gets
	   banned_line.  NULL lines: closed without a word. */
	int max_per_addr;
	const char *busy_addr_line;
	const char *banned_line;
	void *arg;
};

/*
 * What serve() returns: ok (0) or not (1), with the number of failed
 * logins of the session folded in for the listener to count.
 */
int server_exit_status(int failed, int failed_logins);

/*
 * Listen and serve until SIGTERM or SIGINT.  Returns 0 after a clean
 * shutdown, or an exit code from <sysexits.h> when the address cannot
 * be bound (EX_UNAVAILABLE, after logging "ADDR:PORT: why").  Logs
 * "listening on ADDR (port N)" once bound, so tests can wait on it.
 */
int server_run(const struct server *srv);

/*
 * In a pool worker: wait for the next connection.  1 and *fd (FD_CLOEXEC,
 * blocking, TCP nodelay on), 0 when the worker is to end (the listener
 * closed the channel: max_use reached, idle too long, shutting down; or
 * SIGTERM came, see server_child_signals), -1 on a malformed message.
 */
int server_take(int chan, int *fd);

/* In a pool worker: the connection taken last has ended (the worker
   has closed it); status as serve would return.  0 or -1. */
int server_done(int chan, int status);

/*
 * For a child's session loop: install a SIGTERM handler that sets a
 * flag (no SA_RESTART, so a blocked read returns EINTR), and test it.
 */
void server_child_signals(void);
int server_terminating(void);

#endif
