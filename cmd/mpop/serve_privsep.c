/*
 * serve_privsep.c: `mpop serve' started as root with a passwd-file
 * (DESIGN.md "Privilege separation"): common/loginsrv's privileged
 * parent (run by common/srvmain), with POP3's login process
 * (serve_session with c->privsep set: TLS, the greeting, CAPA, STLS,
 * USER/PASS/AUTH) and post-login process
 * (serve_post_login: becomes the user, opens the Maildir, says "+OK").
 */
#include "config.h"

#include <unistd.h>

#include "loginsrv.h"
#include "serve.h"
#include "srvmain.h"

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

void
serve_privsep_init(struct srvmain *m)
{
	m->login = login_proc;
	m->post = post_proc;
	/* RFC 2449 §4: PASS and AUTH lines are bounded by the line. */
	m->pass_max = POP3_CMD_LINE_MAX;
}
