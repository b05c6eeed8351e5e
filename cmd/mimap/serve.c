/*
 * serve.c: `mimap serve', an IMAP server over a Maildir++ tree.  IMAP
 * runs on fd 0/1 (inetd, systemd Accept=yes, ssh) or, with --listen,
 * on each connection of a standalone listener (common/server.c).  This
 * file has mimap serve's own options, usage and IMAP wording; the
 * options, set-up and modes both servers share are common/srvmain.c,
 * the protocol is in the imapd_*.c files.  Started as root, the login
 * runs unprivileged and the session as the user (common/loginsrv), as
 * in mpop serve.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "imapd.h"
#include "loginsrv.h"
#include "mimap.h"
#include "srvmain.h"
#include "util.h"

/* mimap serve's own options; srvmain has --preauth, --maildir and -v,
   srvopt the ones every server has. */
enum { OPT_IDLE_POLL = 256 };

static const struct option ownopts[] = {
    {"idle-poll", required_argument, NULL, OPT_IDLE_POLL},
    {NULL, 0, NULL, 0}};

static void
usage(FILE *fp, const struct srvopt *so)
{
	static const char what[] =
	    "IMAP server over a Maildir++ tree, on stdin/stdout (inetd, "
	    "systemd, ssh)\nor --listen.";
	static const char own[] =
	    "  --idle-poll S          IDLE and NOTIFY look at the folders "
	    "every S seconds,\n"
	    "                         never with inotify (NFS); 0: inotify "
	    "(default)\n";
	char buf[SRVMAIN_USAGE_MAX];

	fputs(srvmain_usage(so, PROG, what, own, buf, sizeof(buf)), fp);
}

static int
own_option(void *arg, int ch, const char *val, char *err, size_t errlen)
{
	struct imapd_conf *c = arg;
	long long n;

	if (ch != OPT_IDLE_POLL)
		return 0;
	if (srvopt_num("--idle-poll", val, 0, IMAP_IDLE_POLL_MAX, 0, &n, err,
	    errlen) == -1)
		return -1;
	c->idle_poll = (int)n;
	return 1;
}

static int
session_proc(void *arg, int rfd, int wfd)
{
	return imapd_session(arg, rfd, wfd);
}

static int
login_proc(void *arg, int ps, int rfd, int wfd)
{
	struct imapd_conf lc = *(const struct imapd_conf *)arg;

	lc.privsep = 1;
	lc.ps_fd = ps;
	return imapd_session(&lc, rfd, wfd);
}

static int
post_proc(void *arg, const struct passwd_entry *e, int fd,
    const struct loginsrv_peer *peer)
{
	return imapd_post_login(arg, e, fd, peer);
}

int
serve_main(int argc, char **argv)
{
	static struct imapd_conf c;
	static struct srvmain m;
	char err[ERR_MAX];
	int rc;

	/* RFC 3501 §5.4: the autologout timer is at least 30 minutes. */
	srvmain_init(&m, PROG, IMAPD_TIMEOUT);
	m.own = ownopts;
	m.usage = usage;
	m.option = own_option;
	m.busy_line = "* BYE [UNAVAILABLE] too many connections, try again "
	    "later\r\n";
	m.busy_addr_line = "* BYE [UNAVAILABLE] too many connections from "
	    "your address, try again later\r\n";
	m.banned_line = "* BYE [UNAVAILABLE] too many failed logins from "
	    "your address, try again later\r\n";
	m.session = session_proc;
	m.login = login_proc;
	m.post = post_proc;
	m.pass_max = SASL_FIELD_MAX;
	m.arg = &c;
	if (srvmain_start(&m, argc, argv, &rc, err, sizeof(err)) == -1) {
		if (err[0] != '\0')
			fprintf(stderr, "%s: %s\n", PROG, err);
		return rc;
	}
	SRVMAIN_CONF_SET(&c, &m);
	return srvmain_serve(&m);
}
