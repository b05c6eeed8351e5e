/*
 * loginsrv.c: the privileged parent of a login server, the login
 * process's request and handoff, and the post-login process's take of
 * the session (see loginsrv.h).  Every request from the login
 * process is read as hostile: fixed shape, every field bounded.
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

#include "bounds.h"
#include "login.h"
#include "loginsrv.h"
#include "net.h"
#include "server.h"
#include "tls.h"
#include "util.h"

/* Messages between the login process and the privileged parent. */
enum {
	/* login -> parent: user, password, peer address, peer name, TLS
	   protocol ("" without TLS), failed logins so far, the tag. */
	LOGINSRV_LOGIN = 1,
	/* parent -> login: logged in, with the post-login process's end
	   of the plaintext socketpair: proxy to it from now on. */
	LOGINSRV_OK,
	LOGINSRV_NO, /* wrong user or password (after the delay) */
	LOGINSRV_TEMP /* the passwd-file could not be read */
};
#define LOGINSRV_LOGIN_FIELDS 7

/*
 * One login request.  Returns the pid of the post-login process after a
 * good password, 0 when the login process may try again, -1 when the
 * request was malformed (the login process is not to be trusted).
 */
static pid_t
answer(const struct loginsrv *ls, const struct privsep_msg *m, int ps,
    int *failures, int64_t end_ms)
{
	struct passwd_entry e;
	struct loginsrv_peer peer;
	const char *user, *pass, *tls, *nfail;
	char er[ERR_MAX];
	long long nf;
	int rc, sp[2];
	pid_t pid;

	if (m->type != LOGINSRV_LOGIN || m->n != LOGINSRV_LOGIN_FIELDS ||
	    m->fd != -1 ||
	    (user = privsep_field(m, 0, PASSWD_USER_MAX)) == NULL ||
	    (pass = privsep_field(m, 1, ls->pass_max)) == NULL ||
	    (peer.addr = privsep_field(m, 2, NET_ADDRSTR_MAX - 1)) == NULL ||
	    (peer.host = privsep_field(m, 3, DNS_NAME_MAX)) == NULL ||
	    (tls = privsep_field(
		 m, 4, sizeof(((struct tls_info *)0)->protocol) - 1)) == NULL ||
	    (nfail = privsep_field(m, 5, 10)) == NULL ||
	    (peer.tag = privsep_field(m, 6, LOGINSRV_TAG_MAX)) == NULL ||
	    util_parse_num(nfail, 0, 1000000, 0, &nf) == -1) {
		log_err(ls->log,
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
	    : passwd_check(ls->passwd_file, user, pass, &e, er, sizeof(er));
	if (rc != 1)
		util_wipe(&e, sizeof(e));
	if (rc == -1) {
		log_err(ls->log, "passwd-file: %s", er);
		(void)privsep_send(ps, LOGINSRV_TEMP, -1, 0, NULL);
		return 0;
	}
	if (rc == 0) {
		(*failures)++;
		/* The same delay whether the user exists or not, and the
		   session's backoff, kept here. */
		(void)util_sleep_ms(
		    login_backoff_ms(ls->auth_delay_ms, *failures),
		    server_terminating);
		(void)privsep_send(ps, LOGINSRV_NO, -1, 0, NULL);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_err(ls->log, "socketpair: %s", strerror(errno));
		(void)privsep_send(ps, LOGINSRV_TEMP, -1, 0, NULL);
		util_wipe(&e, sizeof(e));
		return 0;
	}
	if ((pid = fork()) == -1) {
		log_err(ls->log, "fork: %s", strerror(errno));
		(void)privsep_send(ps, LOGINSRV_TEMP, -1, 0, NULL);
		close(sp[0]);
		close(sp[1]);
		util_wipe(&e, sizeof(e));
		return 0;
	}
	if (pid == 0) {
		/* The post-login process: becomes the user first thing. */
		(void)close(ps);
		(void)close(sp[1]);
		_exit(ls->post(ls->arg, &e, sp[0], &peer));
	}
	util_wipe(&e, sizeof(e));
	(void)close(sp[0]);
	if (privsep_send(ps, LOGINSRV_OK, sp[1], 0, NULL) == -1) {
		log_err(ls->log, "privsep: send: %s", strerror(errno));
		(void)kill(pid, SIGTERM);
	}
	(void)close(sp[1]);
	return pid;
}

int
loginsrv_parent(const struct loginsrv *ls, const struct privsep_id *id,
    int rfd, int wfd)
{
	struct privsep_msg m;
	char er[ERR_MAX];
	pid_t login, post = -1, talker, w;
	int ps, rc, st, failures = 0, status = 1, left, termed = 0;
	int64_t end_ms = ls->lifetime > 0
	    ? util_now_ms() + (int64_t)ls->lifetime * 1000
	    : 0;

	if ((login = privsep_fork(id, ls->log, &ps, er, sizeof(er))) == -1) {
		log_err(ls->log, "%s", er);
		return 1;
	}
	if (login == 0)
		/* The login process: the protocol, TLS and SASL, never as
		   root. */
		_exit(ls->login(ls->arg, ps, rfd, wfd));
	privsep_forget_net(rfd, wfd);
	talker = login;
	/* The login requests, until a login or the login process ends. */
	while (post == -1) {
		rc = privsep_next(ps, &m, login, &termed);
		if (rc == 0)
			break;
		if (rc == -1) {
			log_err(ls->log, "privsep: login process: %s",
			    strerror(errno));
			(void)kill(login, SIGKILL);
			break;
		}
		post = answer(ls, &m, ps, &failures, end_ms);
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

int
loginsrv_ask(int ps, const char *user, const char *pass,
    const struct loginsrv_peer *peer, int *handoff, const char **result,
    char *err, size_t errlen)
{
	struct privsep_msg m;
	char nfail[16];
	const char *f[LOGINSRV_LOGIN_FIELDS];
	int rc;

	*handoff = -1;
	(void)snprintf(nfail, sizeof(nfail), "%d", peer->authfail);
	f[0] = user;
	f[1] = pass;
	f[2] = peer->addr;
	f[3] = peer->host;
	f[4] = peer->tls;
	f[5] = nfail;
	f[6] = peer->tag != NULL ? peer->tag : "";
	if (privsep_send(ps, LOGINSRV_LOGIN, -1, LOGINSRV_LOGIN_FIELDS, f) ==
	    -1) {
		util_seterr(err, errlen, "privsep: send: %s", strerror(errno));
		*result = "privsep-error";
		return -1;
	}
	do
		rc = privsep_recv(ps, &m, -1);
	while (rc == -1 && errno == EINTR && !server_terminating());
	if (rc != 1) {
		util_seterr(err, errlen, "privsep: %s",
		    rc == 0 ? "the parent went away" : strerror(errno));
		*result = "privsep-error";
		return -1;
	}
	/* The parent's answers are checked too: only the expected
	   shapes. */
	if (m.type == LOGINSRV_OK && m.fd != -1) {
		*handoff = m.fd;
		*result = "logged-in";
		return 1;
	}
	if (m.fd != -1)
		(void)close(m.fd);
	if (m.type == LOGINSRV_NO)
		return 0;
	if (m.type == LOGINSRV_TEMP) {
		util_seterr(err, errlen, "the privileged parent could not "
		    "check the password");
		return -1;
	}
	util_seterr(err, errlen, "privsep: unexpected answer %u", m.type);
	*result = "privsep-error";
	return -1;
}

void
loginsrv_handoff(struct io *io, int fd, int pass, int timeout, struct log *log,
    const char *addr)
{
	int rc;

	if (pass)
		rc = privsep_pass_client(io, fd);
	else
		rc = privsep_proxy(io, fd, (timeout + 60) * 1000);
	if (rc == -1)
		log_info(
		    log, "%s: %s", addr[0] != '\0' ? addr : "local", io->err);
	(void)close(fd);
}

int
loginsrv_peer_take(const struct loginsrv_peer *peer, char addr[NET_ADDRSTR_MAX],
    char host[DNS_NAME_MAX + 1], struct tls_info *ti, int *authfail,
    int64_t *end_ms, struct io *io)
{
	util_strlcpy(addr, peer->addr, NET_ADDRSTR_MAX);
	util_strlcpy(host, peer->host, DNS_NAME_MAX + 1);
	*authfail = peer->authfail;
	if (peer->end_ms > 0 && (*end_ms == 0 || peer->end_ms < *end_ms)) {
		*end_ms = peer->end_ms;
		io->deadline = *end_ms;
	}
	if (peer->tls[0] == '\0')
		return 0;
	util_strlcpy(ti->protocol, peer->tls, sizeof(ti->protocol));
	return 1;
}
