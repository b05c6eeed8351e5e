/*
 * serve.c: `mpop serve', a POP3 server over a Maildir.  POP3 runs on
 * fd 0/1 (inetd, systemd Accept=yes, ssh) or, with --listen, on each
 * connection of a standalone listener (common/server.c).  This file
 * reads the options and picks the mode; the protocol is in
 * serve_session.c.  Started as root, the login runs unprivileged
 * (serve_privsep.c).
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

#include "mpop.h"
#include "passwd.h"
#include "privsep.h"
#include "serve.h"
#include "server.h"
#include "util.h"

enum {
	OPT_PASSWD = 256,
	OPT_PREAUTH,
	OPT_MAILDIR,
	OPT_CERT,
	OPT_KEY,
	OPT_ONCONNECT,
	OPT_PLAINAUTH,
	OPT_LISTEN,
	OPT_MAXCLIENTS,
	OPT_MAXERRORS,
	OPT_GRACE,
	OPT_TIMEOUT,
	OPT_AUTHDELAY,
	OPT_HOSTNAME,
	OPT_LOG,
	OPT_NORESOLVE,
	OPT_NOSEEN,
	OPT_USER,
	OPT_LIFETIME
};

static const struct option longopts[] = {
    {"passwd-file", required_argument, NULL, OPT_PASSWD},
    {"preauth", no_argument, NULL, OPT_PREAUTH},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"tls-cert", required_argument, NULL, OPT_CERT},
    {"tls-key", required_argument, NULL, OPT_KEY},
    {"tls-on-connect", no_argument, NULL, OPT_ONCONNECT},
    {"allow-plain-auth", no_argument, NULL, OPT_PLAINAUTH},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"max-clients", required_argument, NULL, OPT_MAXCLIENTS},
    {"max-errors", required_argument, NULL, OPT_MAXERRORS},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"auth-delay", required_argument, NULL, OPT_AUTHDELAY},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"log", required_argument, NULL, OPT_LOG},
    {"no-resolve", no_argument, NULL, OPT_NORESOLVE},
    {"no-seen", no_argument, NULL, OPT_NOSEEN},
    {"user", required_argument, NULL, OPT_USER},
    {"max-session-time", required_argument, NULL, OPT_LIFETIME},
    {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s serve --passwd-file FILE [options]\n"
	    "       %s serve --preauth --maildir DIR [options]\n"
	    "POP3 server over a Maildir, on stdin/stdout (inetd, systemd, "
	    "ssh) or --listen.\n"
	    "  --passwd-file FILE     users: user:HASH:uid:gid:maildir\n"
	    "  --preauth              no login: serve --maildir as the "
	    "invoking user\n"
	    "  --maildir DIR          the Maildir (--preauth), or the "
	    "default for\n"
	    "                         passwd lines without one (%%u: the "
	    "user)\n"
	    "  --tls-cert FILE --tls-key FILE   offer STLS\n"
	    "  --tls-on-connect       TLS from the first byte (port 995)\n"
	    "  --allow-plain-auth     USER/PASS and AUTH without TLS\n"
	    "  --listen ADDR:PORT     listen, one process per connection\n"
	    "  --max-clients N        sessions at once with --listen "
	    "(default %d)\n"
	    "  --grace S              --listen: seconds sessions get after "
	    "SIGTERM (default %d)\n"
	    "  --max-errors N         errors before disconnect (default %d)\n"
	    "  --timeout S            autologout after S idle seconds "
	    "(default %d)\n"
	    "  --max-session-time S   a whole session (default %d; 0: none)\n"
	    "  --auth-delay MS        delay before a failed login's answer "
	    "(default %d,\n"
	    "                         doubling with each failure)\n"
	    "  --no-seen              RETR moves to cur/ without adding the "
	    "S flag\n"
	    "  --hostname NAME        name in the greeting\n"
	    "  --user NAME            as root: the login runs as NAME "
	    "(default %s,\n"
	    "                         else %s)\n"
	    "  --log stderr|syslog    (default: syslog without --listen)\n"
	    "  --no-resolve           no reverse DNS for the peer\n"
	    "  -v                     protocol trace on stderr (passwords "
	    "hidden)\n"
	    "  -h, --help  -V, --version\n",
	    PROG, PROG, SERVE_CLIENTS_DEFAULT, SERVE_GRACE,
	    SERVE_ERRORS_DEFAULT, SERVE_TIMEOUT, SESSION_LIFETIME_DEFAULT,
	    SERVE_AUTH_DELAY_MS,
	    PRIVSEP_USER, PRIVSEP_USER_FALLBACK);
}

static int die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "mpop: ..." and return code (main returns it). */
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

static int
num(const char *opt, const char *s, long long min, long long max, int *out)
{
	long long v;

	if (util_parse_num(s, min, max, 0, &v) == -1) {
		die(EX_USAGE, "%s %s: not a number in [%lld, %lld]", opt, s,
		    min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Started as root: the user of the login process; else NULL. */
struct serve_run {
	const struct serve_conf *c;
	const struct privsep_id *id;
};

static int
serve_one(const struct serve_run *r, int rfd, int wfd)
{
	if (r->id != NULL)
		return serve_privsep(r->c, r->id, rfd, wfd);
	return serve_session(r->c, rfd, wfd);
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
	static struct serve_conf c;
	static struct log lg;
	static struct privsep_id id;
	struct serve_run run;
	struct server srv;
	char host[DNS_NAME_MAX + 1], err[ERR_MAX];
	const char *cert = NULL, *key = NULL, *logto = NULL;
	const char *listen_on = NULL, *user = NULL;
	int ch, trace = 0, max_clients = SERVE_CLIENTS_DEFAULT;
	int grace = SERVE_GRACE, rc;

	c.timeout = SERVE_TIMEOUT;
	c.lifetime = SESSION_LIFETIME_DEFAULT;
	c.max_errors = SERVE_ERRORS_DEFAULT;
	c.auth_delay_ms = SERVE_AUTH_DELAY_MS;
	c.resolve = 1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hVv", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_PASSWD: c.passwd_file = optarg; break;
		case OPT_PREAUTH: c.preauth = 1; break;
		case OPT_MAILDIR: c.maildir = optarg; break;
		case OPT_CERT: cert = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_ONCONNECT: c.tls_on_connect = 1; break;
		case OPT_PLAINAUTH: c.allow_plain_auth = 1; break;
		case OPT_LISTEN: listen_on = optarg; break;
		case OPT_MAXCLIENTS:
			if (num("--max-clients", optarg, 1, SERVER_CHILDREN_MAX,
				&max_clients) == -1)
				return EX_USAGE;
			break;
		case OPT_MAXERRORS:
			if (num("--max-errors", optarg, 1, 1000,
				&c.max_errors) == -1)
				return EX_USAGE;
			break;
		case OPT_GRACE:
			if (num("--grace", optarg, 0, 3600, &grace) == -1)
				return EX_USAGE;
			break;
		case OPT_TIMEOUT:
			if (num("--timeout", optarg, 1, 86400, &c.timeout) ==
			    -1)
				return EX_USAGE;
			break;
		case OPT_LIFETIME:
			if (num("--max-session-time", optarg, 0, 86400,
				&c.lifetime) == -1)
				return EX_USAGE;
			break;
		case OPT_AUTHDELAY:
			if (num("--auth-delay", optarg, 0, 60000,
				&c.auth_delay_ms) == -1)
				return EX_USAGE;
			break;
		case OPT_HOSTNAME:
			if (optarg[0] == '\0' ||
			    strlen(optarg) > DNS_NAME_MAX ||
			    strpbrk(optarg, " \t\r\n") != NULL)
				return die(EX_USAGE,
				    "--hostname %s: not a "
				    "host name",
				    optarg);
			c.hostname = optarg;
			break;
		case OPT_LOG:
			if (strcmp(optarg, "stderr") != 0 &&
			    strcmp(optarg, "syslog") != 0)
				return die(EX_USAGE,
				    "--log %s: stderr or syslog", optarg);
			logto = optarg;
			break;
		case OPT_NORESOLVE: c.resolve = 0; break;
		case OPT_NOSEEN: c.no_seen = 1; break;
		case OPT_USER: user = optarg; break;
		case 'v': trace = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': return util_version(PROG);
		default:
			usage(stderr);
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
	if (c.preauth && c.passwd_file != NULL)
		return die(
		    EX_USAGE, "--preauth and --passwd-file exclude each other");
	if (!c.preauth && c.passwd_file == NULL)
		return die(EX_USAGE,
		    "give --passwd-file FILE, or --preauth --maildir DIR");
	if (c.preauth && listen_on != NULL)
		return die(EX_USAGE,
		    "--preauth is for one session on "
		    "stdin/stdout, not --listen");
	if ((cert == NULL) != (key == NULL))
		return die(EX_USAGE, "--tls-cert and --tls-key go together");
	if (c.tls_on_connect && cert == NULL)
		return die(EX_USAGE,
		    "--tls-on-connect needs --tls-cert and --tls-key");
	if (c.passwd_file != NULL && access(c.passwd_file, R_OK) == -1)
		return die(EX_CONFIG, "%s: %s", c.passwd_file, strerror(errno));
	if (user != NULL && c.preauth)
		return die(EX_USAGE,
		    "--user is for the login with --passwd-file, not "
		    "--preauth");
	run.c = &c;
	run.id = NULL;
	if (geteuid() == 0 && !c.preauth) {
		/* DESIGN: no network parsing as root. */
		if (privsep_lookup(user, &id, err, sizeof(err)) == -1)
			return die(EX_NOUSER, "%s", err);
		run.id = &id;
	} else if (user != NULL && geteuid() != 0) {
		struct privsep_id me;

		if (privsep_lookup(user, &me, err, sizeof(err)) == -1)
			return die(EX_NOUSER, "%s", err);
		if (me.uid != geteuid())
			return die(
			    EX_NOPERM, "--user %s: not running as root", user);
	}
	if (c.hostname == NULL) {
		util_hostname(host, sizeof(host));
		c.hostname = host;
	}
	/* Under inetd, stderr may be the client's socket: syslog.  With
	   --preauth (ssh, tests) stderr is the invoker's. */
	log_open(&lg, PROG,
	    logto != NULL ? strcmp(logto, "syslog") == 0
			  : listen_on == NULL && !c.preauth,
	    LOG_MAIL);
	lg.level = LOG_LVL_INFO;
	lg.trace = trace;
	c.log = &lg;
	if (cert != NULL &&
	    (c.tls = tls_server_new(cert, key, err, sizeof(err))) == NULL)
		return die(EX_CONFIG, "TLS: %s", err);
	(void)signal(SIGPIPE, SIG_IGN);
	if (c.preauth && geteuid() == 0 &&
	    (rc = preauth_become_owner(c.maildir)) != 0)
		return rc;
	if (listen_on == NULL) {
		server_child_signals();
		(void)serve_one(&run, 0, 1);
		rc = 0;
	} else {
		memset(&srv, 0, sizeof(srv));
		srv.hostport = listen_on;
		srv.max_children = max_clients;
		srv.grace = grace;
		srv.log = &lg;
		srv.serve = serve_conn;
		srv.busy_line = "-ERR [SYS/TEMP] too many connections, try "
				"again later\r\n";
		/* Sessions report their failed logins (serve_session). */
		srv.banned_line = "-ERR [SYS/TEMP] too many failed logins "
				  "from your address, try again later\r\n";
		srv.arg = &run;
		rc = server_run(&srv);
	}
	if (c.tls != NULL)
		tls_server_free(c.tls);
	return rc;
}
