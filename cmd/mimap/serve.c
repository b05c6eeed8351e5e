/*
 * serve.c: `mimap serve', an IMAP server over a Maildir++ tree.  IMAP
 * runs on fd 0/1 (inetd, systemd Accept=yes, ssh) or, with --listen,
 * on each connection of a standalone listener (common/server.c).  This
 * file reads the options and picks the mode; the protocol is in the
 * imapd_*.c files.  Started as root, the login runs unprivileged and
 * the session as the user (common/loginsrv), as in mpop serve.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "imapd.h"
#include "loginsrv.h"
#include "mimap.h"
#include "passwd.h"
#include "privsep.h"
#include "server.h"
#include "srvopt.h"
#include "util.h"

/* mimap serve's own options; the servers' common ones are srvopt's. */
enum { OPT_PREAUTH = 256, OPT_MAILDIR };

static const struct option ownopts[] = {
    {"preauth", no_argument, NULL, OPT_PREAUTH},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {NULL, 0, NULL, 0}};

static void
usage(FILE *fp, const struct srvopt *so)
{
	char so_usage[SRVOPT_USAGE_MAX];

	fprintf(fp,
	    "usage: %s serve --passwd-file FILE [options]\n"
	    "       %s serve --preauth --maildir DIR [options]\n"
	    "IMAP server over a Maildir++ tree, on stdin/stdout (inetd, "
	    "systemd, ssh) or --listen.\n"
	    "  --preauth              no login: serve --maildir as the "
	    "invoking user\n"
	    "  --maildir DIR          the Maildir (--preauth), or the "
	    "default for\n"
	    "                         passwd lines without one (%%u: the "
	    "user)\n"
	    "  -v                     protocol trace on stderr (passwords "
	    "hidden)\n"
	    "Options every server takes:\n",
	    PROG, PROG);
	fputs(srvopt_usage(so, so_usage, sizeof(so_usage)), fp);
}

static int die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "mimap: ..." and return code (main returns it). */
static int
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Started as root: the user of the login process; else NULL. */
struct serve_run {
	const struct imapd_conf *c;
	const struct privsep_id *id;
};

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

static int
serve_one(const struct serve_run *r, int rfd, int wfd)
{
	struct loginsrv ls;

	if (r->id == NULL)
		return imapd_session(r->c, rfd, wfd);
	ls.passwd_file = r->c->passwd_file;
	ls.auth_delay_ms = r->c->auth_delay_ms;
	ls.lifetime = r->c->lifetime;
	ls.pass_max = SASL_FIELD_MAX;
	ls.log = r->c->log;
	ls.login = login_proc;
	ls.post = post_proc;
	ls.arg = (void *)r->c;
	return loginsrv_parent(&ls, r->id, rfd, wfd);
}

static int
serve_conn(void *arg, int fd)
{
	server_child_signals();
	return serve_one(arg, fd, fd);
}

/*
 * --preauth started as root: serve the Maildir as its owner (as
 * mdeliver delivers), never as root.  0 or an exit code.
 */
static int
preauth_become_owner(const char *maildir)
{
	struct stat st;
	char er[ERR_MAX];

	if (stat(maildir, &st) == -1)
		return die(EX_NOINPUT, "%s: %s", maildir, strerror(errno));
	if (st.st_uid == 0)
		return die(EX_NOPERM,
		    "%s: owned by root; as root --preauth serves a Maildir "
		    "as its owner, and never as root",
		    maildir);
	if (passwd_drop_privileges(st.st_uid, st.st_gid, er, sizeof(er)) == -1)
		return die(EX_OSERR, "%s: %s", maildir, er);
	return 0;
}

int
serve_main(int argc, char **argv)
{
	static struct imapd_conf c;
	static struct log lg;
	static struct privsep_id id;
	struct serve_run run;
	struct server srv;
	struct srvopt so;
	struct option longopts[SRVOPT_LONGOPTS_MAX];
	char host[DNS_NAME_MAX + 1], err[ERR_MAX];
	int ch, trace = 0, rc;

	/* RFC 3501 §5.4: the autologout timer is at least 30 minutes. */
	srvopt_init(&so, IMAPD_TIMEOUT, 0);
	if (srvopt_longopts(&so, ownopts, longopts, SRVOPT_LONGOPTS_MAX) == -1)
		return die(EX_SOFTWARE, "too many options");
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hVv", longopts, NULL)) != -1) {
		if ((rc = srvopt_take(&so, ch, optarg, err, sizeof(err))) == -1)
			return die(EX_USAGE, "%s", err);
		if (rc == 1)
			continue;
		switch (ch) {
		case OPT_PREAUTH: c.preauth = 1; break;
		case OPT_MAILDIR: c.maildir = optarg; break;
		case 'v': trace = 1; break;
		case 'h': usage(stdout, &so); return 0;
		case 'V': return util_version(PROG);
		default:
			usage(stderr, &so);
			return die(EX_USAGE,
			    "serve: %s: unknown option or "
			    "missing argument",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return die(
		    EX_USAGE, "serve: unexpected argument: %s", argv[optind]);
	if (c.preauth && c.maildir == NULL)
		return die(EX_USAGE, "--preauth needs --maildir DIR");
	if (c.preauth && so.passwd_file != NULL)
		return die(
		    EX_USAGE, "--preauth and --passwd-file exclude each other");
	if (!c.preauth && so.passwd_file == NULL)
		return die(EX_USAGE,
		    "give --passwd-file FILE, or --preauth --maildir DIR");
	if (c.preauth && so.listen != NULL)
		return die(EX_USAGE,
		    "--preauth is for one session on "
		    "stdin/stdout, not --listen");
	if ((rc = srvopt_check(&so, err, sizeof(err))) != 0)
		return die(rc, "%s", err);
	if (so.user != NULL && c.preauth)
		return die(EX_USAGE,
		    "--user is for the login with --passwd-file, not "
		    "--preauth");
	SRVOPT_SESSION_SET(&c, &so);
	c.lifetime = so.lifetime;
	run.c = &c;
	run.id = NULL;
	if (geteuid() == 0 && !c.preauth) {
		/* DESIGN: no network parsing as root. */
		if (privsep_lookup(so.user, &id, err, sizeof(err)) == -1)
			return die(EX_NOUSER, "%s", err);
		run.id = &id;
	} else if (so.user != NULL && geteuid() != 0) {
		struct privsep_id me;

		if (privsep_lookup(so.user, &me, err, sizeof(err)) == -1)
			return die(EX_NOUSER, "%s", err);
		if (me.uid != geteuid())
			return die(
			    EX_NOPERM, "--user %s: not running as root", so.user);
	}
	if (c.hostname == NULL) {
		util_hostname(host, sizeof(host));
		c.hostname = host;
	}
	/* Under inetd, stderr may be the client's socket: syslog.  With
	   --preauth (ssh, tests) stderr is the invoker's. */
	log_open(&lg, PROG, srvopt_syslog(&so, so.listen == NULL && !c.preauth),
	    LOG_MAIL);
	lg.level = LOG_LVL_INFO;
	lg.trace = trace;
	c.log = &lg;
	if (so.cert != NULL && (c.tls = tls_server_new(so.cert, so.key, err,
	    sizeof(err))) == NULL)
		return die(EX_CONFIG, "TLS: %s", err);
	(void)signal(SIGPIPE, SIG_IGN);
	if (c.preauth && geteuid() == 0 &&
	    (rc = preauth_become_owner(c.maildir)) != 0)
		return rc;
	if (so.listen == NULL) {
		server_child_signals();
		(void)serve_one(&run, 0, 1);
		rc = 0;
	} else {
		srvopt_server(&so, &srv,
		    "* BYE [UNAVAILABLE] too many connections, try again "
		    "later\r\n",
		    "* BYE [UNAVAILABLE] too many connections from your "
		    "address, try again later\r\n",
		    "* BYE [UNAVAILABLE] too many failed logins from your "
		    "address, try again later\r\n");
		srv.log = &lg;
		srv.serve = serve_conn;
		srv.arg = &run;
		rc = server_run(&srv);
	}
	if (c.tls != NULL)
		tls_server_free(c.tls);
	return rc;
}
