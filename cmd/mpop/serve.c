/*
 * serve.c: `mpop serve', a POP3 server over a Maildir.  POP3 runs on
 * fd 0/1 (inetd, systemd Accept=yes, ssh) or, with --listen, on each
 * connection of a standalone listener (common/server.c).  This file
 * has mpop serve's own options, usage and POP3 wording; the options,
 * set-up and modes both servers share are common/srvmain.c, the
 * protocol is in serve_session.c.  Started as root, the login runs
 * unprivileged (serve_privsep.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "mpop.h"
#include "serve.h"
#include "srvmain.h"
#include "util.h"

/* mpop serve's own options; srvmain has --preauth, --maildir and -v,
   srvopt the ones every server has. */
enum { OPT_NOSEEN = 256 };

static const struct option ownopts[] = {
    {"no-seen", no_argument, NULL, OPT_NOSEEN},
    {NULL, 0, NULL, 0}};

static void
usage(FILE *fp, const struct srvopt *so)
{
	static const char what[] =
	    "POP3 server over a Maildir, on stdin/stdout (inetd, systemd, "
	    "ssh) or --listen.";
	static const char own[] =
	    "  --no-seen              RETR moves to cur/ without adding the "
	    "S flag\n";
	char buf[SRVMAIN_USAGE_MAX];

	fputs(srvmain_usage(so, PROG, what, own, buf, sizeof(buf)), fp);
}

static int
own_option(void *arg, int ch, const char *val, char *err, size_t errlen)
{
	struct serve_conf *c = arg;

	(void)val;
	(void)err;
	(void)errlen;
	if (ch != OPT_NOSEEN)
		return 0;
	c->no_seen = 1;
	return 1;
}

static int
session_proc(void *arg, int rfd, int wfd)
{
	return serve_session(arg, rfd, wfd);
}

int
serve_main(int argc, char **argv)
{
	static struct serve_conf c;
	static struct srvmain m;
	char err[ERR_MAX];
	int rc;

	/* RFC 1939 §3: the autologout timer is at least 10 minutes. */
	srvmain_init(&m, PROG, POP3_TIMEOUT_SERVER);
	m.own = ownopts;
	m.usage = usage;
	m.option = own_option;
	m.busy_line =
	    "-ERR [SYS/TEMP] too many connections, try again later\r\n";
	m.busy_addr_line = "-ERR [SYS/TEMP] too many connections from your "
	    "address, try again later\r\n";
	m.banned_line = "-ERR [SYS/TEMP] too many failed logins from your "
	    "address, try again later\r\n";
	m.session = session_proc;
	serve_privsep_init(&m);
	m.arg = &c;
	if (srvmain_start(&m, argc, argv, &rc, err, sizeof(err)) == -1) {
		if (err[0] != '\0')
			fprintf(stderr, "%s: %s\n", PROG, err);
		return rc;
	}
	SRVMAIN_CONF_SET(&c, &m);
	return srvmain_serve(&m);
}
