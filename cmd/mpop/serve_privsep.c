/*
 * serve_privsep.c: `mpop serve' started as root with a passwd-file
 * (DESIGN.md "Privilege separation", common/privsep.h).  This process
 * stays root and reads nothing from the network.  It forks
 *
 *  - the login process, as --user: TLS, the greeting, CAPA, STLS,
 *    USER/PASS/AUTH (serve_session with c->privsep set), which sends
 *    each login here and, once logged in, proxies bytes; and
 *  - after a good password, the post-login process, which becomes the
 *    passwd line's uid/gid, opens the Maildir, says "+OK" and runs the
 *    TRANSACTION state on a plaintext socketpair whose other end goes
 *    to the login process.
 *
 * It checks passwords (fixed-shape requests, every field bounded) and
 * keeps the failed-login delay itself, so a login process cannot try
 * passwords faster; it forwards SIGTERM to the process that talks.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "login.h"
#include "passwd.h"
#include "privsep.h"
#include "serve.h"
#include "server.h"
#include "util.h"

/*
 * One login request.  Returns the pid of the post-login process after a
 * good password, 0 when the login process may try again, -1 when the
 * request was malformed (the login process is not to be trusted).
 */
static pid_t
answer(const struct serve_conf *c, const struct privsep_msg *m, int ps,
    int *failures, int64_t end_ms)
{
	struct passwd_entry e;
	struct serve_peer peer;
	const char *user, *pass, *tls, *nfail;
	char er[ERR_MAX];
	long long nf;
	int rc, sp[2];
	pid_t pid;

	if (m->type != SERVE_PS_LOGIN || m->n != SERVE_PS_LOGIN_FIELDS ||
	    m->fd != -1 ||
	    (user = privsep_field(m, 0, PASSWD_USER_MAX)) == NULL ||
	    (pass = privsep_field(m, 1, POP3_CMD_LINE_MAX)) == NULL ||
	    (peer.addr = privsep_field(m, 2, NET_ADDRSTR_MAX - 1)) == NULL ||
	    (peer.host = privsep_field(m, 3, DNS_NAME_MAX)) == NULL ||
	    (tls = privsep_field(
		 m, 4, sizeof(((struct tls_info *)0)->protocol) - 1)) == NULL ||
	    (nfail = privsep_field(m, 5, 10)) == NULL ||
	    util_parse_num(nfail, 0, 1000000, 0, &nf) == -1) {
		log_err(c->log,
		    "privsep: malformed request from the login "
		    "process");
		return -1;
	}
	peer.tls = tls;
	peer.authfail = (int)nf;
	peer.end_ms = end_ms;
	/* No more guesses than a session may make (common/login.h). */
	rc = *failures >= LOGIN_FAILS_MAX
	    ? 0
	    : passwd_check(c->passwd_file, user, pass, &e, er, sizeof(er));
	if (rc != 1)
		util_wipe(&e, sizeof(e));
	if (rc == -1) {
		log_err(c->log, "passwd-file: %s", er);
		(void)privsep_send(ps, SERVE_PS_TEMP, -1, 0, NULL);
		return 0;
	}
	if (rc == 0) {
		(*failures)++;
		/* The same delay whether the user exists or not, and the
		   session's backoff, kept here. */
		(void)util_sleep_ms(
		    login_backoff_ms(c->auth_delay_ms, *failures),
		    server_terminating);
		(void)privsep_send(ps, SERVE_PS_NO, -1, 0, NULL);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_err(c->log, "socketpair: %s", strerror(errno));
		(void)privsep_send(ps, SERVE_PS_TEMP, -1, 0, NULL);
		util_wipe(&e, sizeof(e));
		return 0;
	}
	if ((pid = fork()) == -1) {
		log_err(c->log, "fork: %s", strerror(errno));
		(void)privsep_send(ps, SERVE_PS_TEMP, -1, 0, NULL);
		close(sp[0]);
		close(sp[1]);
		util_wipe(&e, sizeof(e));
		return 0;
	}
	if (pid == 0) {
		/* The post-login process: becomes the user first thing. */
		(void)close(ps);
		(void)close(sp[1]);
		_exit(serve_post_login(c, &e, sp[0], &peer));
	}
	util_wipe(&e, sizeof(e));
	(void)close(sp[0]);
	if (privsep_send(ps, SERVE_PS_OK, sp[1], 0, NULL) == -1) {
		log_err(c->log, "privsep: send: %s", strerror(errno));
		(void)kill(pid, SIGTERM);
	}
	(void)close(sp[1]);
	return pid;
}

int
serve_privsep(
    const struct serve_conf *c, const struct privsep_id *id, int rfd, int wfd)
{
	struct serve_conf lc;
	struct privsep_msg m;
	char er[ERR_MAX];
	pid_t login, post = -1, talker, w;
	int ps, rc, st, failures = 0, status = 1, left, termed = 0;
	int64_t end_ms = c->lifetime > 0
	    ? util_now_ms() + (int64_t)c->lifetime * 1000
	    : 0;

	if ((login = privsep_fork(id, c->log, &ps, er, sizeof(er))) == -1) {
		log_err(c->log, "%s", er);
		return 1;
	}
	if (login == 0) {
		/* The login process: POP3, TLS and SASL, never as root. */
		lc = *c;
		lc.privsep = 1;
		lc.ps_fd = ps;
		_exit(serve_session(&lc, rfd, wfd));
	}
	privsep_forget_net(rfd, wfd);
	talker = login;
	/* The login requests, until a login or the login process ends. */
	while (post == -1) {
		rc = privsep_next(ps, &m, login, &termed);
		if (rc == 0)
			break;
		if (rc == -1) {
			log_err(c->log, "privsep: login process: %s",
			    strerror(errno));
			(void)kill(login, SIGKILL);
			break;
		}
		post = answer(c, &m, ps, &failures, end_ms);
		if (m.fd != -1)
			(void)close(m.fd);
		util_wipe(&m, sizeof(m));
		if (post == -1) {
			(void)kill(login, SIGKILL);
			break;
		}
		if (post == 0)
			post = -1;
	}
	(void)close(ps);
	if (post > 0) {
		talker = post;
		termed = 0;
	}
	/* Wait for both; SIGTERM goes to the one that answers the client
	   (the login process passes the post-login one's last line). */
	left = post > 0 ? 2 : 1;
	while (left > 0) {
		if (server_terminating() && !termed) {
			(void)kill(talker, SIGTERM);
			termed = 1;
		}
		w = waitpid(-1, &st, 0);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (w == post || (w == login && post <= 0))
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		if (w == login || w == post)
			left--;
	}
	/* For the listener: how the session ended, and its failed
	   logins (at least those this process saw). */
	if (failures > 0 && status < server_exit_status(1, failures))
		status = server_exit_status(1, failures);
	return status;
}
