/*
 * serve_privsep.c: `mpop serve' started as root with a passwd-file
 * (DESIGN.md "Privilege separation"): common/loginsrv's privileged
 * parent, with POP3's login process (serve_session with c->privsep set:
 * TLS, the greeting, CAPA, STLS, USER/PASS/AUTH) and post-login process
 * (serve_post_login: becomes the user, opens the Maildir, says "+OK").
 */
#include "config.h"

#include <unistd.h>

#include "loginsrv.h"
#include "serve.h"

static int
login_proc(void *arg, int ps, int rfd, int wfd)
{
	struct serve_conf lc = *(const struct serve_conf *)arg;

	lc.privsep = 1;
	lc.ps_fd = ps;
	return serve_session(&lc, rfd, wfd);
}

static int
post_proc(void *arg, const struct passwd_entry *e, int fd,
    const struct loginsrv_peer *peer)
{
	return serve_post_login(arg, e, fd, peer);
}

int
serve_privsep(
    const struct serve_conf *c, const struct privsep_id *id, int rfd, int wfd)
{
	struct loginsrv ls;

	ls.passwd_file = c->passwd_file;
	ls.auth_delay_ms = c->auth_delay_ms;
	ls.lifetime = c->lifetime;
	/* RFC 2449 §4: PASS and AUTH lines are bounded by the line. */
	ls.pass_max = POP3_CMD_LINE_MAX;
	ls.log = c->log;
	ls.login = login_proc;
	ls.post = post_proc;
	ls.arg = (void *)c;
	return loginsrv_parent(&ls, id, rfd, wfd);
}
