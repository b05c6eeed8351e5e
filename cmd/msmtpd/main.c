/*
 * msmtpd: an SMTP server for inetd (the session on fd 0/1) or a
 * standalone listener, handing every accepted message to a delivery
 * command (by default mdeliver).  main.c: options and modes.  Started
 * as root, the session runs as --user and a privileged parent runs the
 * deliveries (deliver.c, common/privsep.h).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "dns.h"
#include "msmtpd.h"
#include "passwd.h"
#include "privsep.h"
#include "secret.h"
#include "server.h"
#include "srvopt.h"
#include "util.h"

/* msmtpd's own options; the servers' common ones are srvopt's. */
enum {
	OPT_MAILDIR = 256,
	OPT_COMMAND,
	OPT_RELAY,
	OPT_QUEUE,
	OPT_DOMAIN,
	OPT_BARELF,
	OPT_MAXSIZE,
	OPT_MAXRCPT,
	OPT_DATATIMEOUT,
	OPT_CMDTIMEOUT,
	OPT_DATARATE,
	OPT_MAXUSE,
	OPT_CHECK,
	OPT_REJSPF,
	OPT_REJDMARC,
	OPT_DEFER,
	OPT_DNS,
	OPT_DNSTIMEOUT
};

static const struct option ownopts[] = {
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"command", optional_argument, NULL, OPT_COMMAND},
    {"relay-command", optional_argument, NULL, OPT_RELAY},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"accept-bare-lf", no_argument, NULL, OPT_BARELF},
    {"max-size", required_argument, NULL, OPT_MAXSIZE},
    {"max-recipients", required_argument, NULL, OPT_MAXRCPT},
    {"data-timeout", required_argument, NULL, OPT_DATATIMEOUT},
    {"command-timeout", required_argument, NULL, OPT_CMDTIMEOUT},
    {"data-min-rate", required_argument, NULL, OPT_DATARATE},
    {"max-use", required_argument, NULL, OPT_MAXUSE},
    {"check-sender", no_argument, NULL, OPT_CHECK},
    {"reject-spf-fail", no_argument, NULL, OPT_REJSPF},
    {"reject-dmarc", no_argument, NULL, OPT_REJDMARC},
    {"defer-temperror", no_argument, NULL, OPT_DEFER},
    {"dns-server", required_argument, NULL, OPT_DNS},
    {"dns-timeout", required_argument, NULL, OPT_DNSTIMEOUT},
    {NULL, 0, NULL, 0}};

static void
usage(FILE *fp, const struct srvopt *so)
{
	char so_usage[SRVOPT_USAGE_MAX];

	fprintf(fp,
	    "usage: %s --inetd | --listen ADDR:PORT [options]\n"
	    "SMTP server: each message goes to a delivery command.\n"
	    "  --command ARGV... ';'  delivery command (default: mdeliver "
	    "-f %%F -- %%T);\n"
	    "                         %%F sender, %%T recipients, no shell;\n"
	    "  --command 'ARGV...'    the same as one word split at spaces\n"
	    "  --relay-command ARGV... ';'  for relayed mail (default: msend "
	    "-i -f %%F -- %%T)\n"
	    "  --queue DIR            relayed mail into the queue DIR "
	    "(msend --run\n"
	    "                         delivers it)\n"
	    "  --maildir DIR          passed to the default mdeliver command\n"
	    "  --domain D             local domain (repeatable; none: all "
	    "local)\n"
	    "  --accept-bare-lf       take a bare LF in DATA as a line end\n"
	    "  --max-size N           largest message (default %ld; 0: no "
	    "limit)\n"
	    "  --max-recipients N     recipients per message (default %d)\n"
	    "  --data-timeout S       DATA/BDAT block timeout (default %d)\n"
	    "  --data-min-rate N      DATA/BDAT bytes/s after that (default "
	    "%d; 0: none)\n"
	    "  --command-timeout S    delivery command timeout (default %d)\n"
	    "  --max-use N            --listen: connections a session "
	    "process serves\n"
	    "                         before it is replaced (default %d)\n"
	    "  --check-sender         SPF, iprev, DKIM, DMARC, said in an\n"
	    "                         Authentication-Results header\n"
	    "  --reject-spf-fail      SPF fail: 550 at MAIL FROM\n"
	    "  --reject-dmarc         DMARC fail with p=reject: 550 after "
	    "the data\n"
	    "  --defer-temperror      a check the DNS could not answer: "
	    "451\n"
	    "  --dns-server ADDR[:PORT]  DNS server for the checks\n"
	    "  --dns-timeout S        seconds a DNS query (default %d)\n"
	    "Options every server takes:\n",
	    PROG, MSG_SIZE_DEFAULT, SMTP_RCPT_MAX, MSMTPD_DATA_TIMEOUT,
	    DATA_MIN_RATE_DEFAULT, MSMTPD_COMMAND_TIMEOUT,
	    SERVER_MAX_USE_DEFAULT, DNS_TIMEOUT);
	fputs(srvopt_usage(so, so_usage, sizeof(so_usage)), fp);
}

static void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) __attribute__((noreturn));

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static long long
num(const char *opt, const char *s, long long min, long long max, int suf)
{
	char err[ERR_MAX];
	long long v;

	if (srvopt_num(opt, s, min, max, suf, &v, err, sizeof(err)) == -1)
		die(EX_USAGE, "%s", err);
	return v;
}

int
drop_privileges(const struct msmtpd_conf *c)
{
	struct passwd *pw;

	/* As root, the session drops (privsep); here only the check that
	   an unprivileged msmtpd is who --user says. */
	if (c->user == NULL || geteuid() == 0)
		return 0;
	if ((pw = getpwnam(c->user)) == NULL) {
		log_err(c->log, "--user %s: no such user", c->user);
		return -1;
	}
	if (geteuid() == pw->pw_uid)
		return 0;
	log_err(c->log, "--user %s: not running as root", c->user);
	return -1;
}

/* --listen: after the port is bound, before the first accept. */
/*
 * Can we (as the user we run as now) keep a message in the spool
 * directory?  Said once at start rather than as a 451 to every message.
 */
static int
spool_check(const struct msmtpd_conf *c)
{
	char err[ERR_MAX];
	int fd;

	if ((fd = util_spool_open(PROG, err, sizeof(err))) == -1) {
		log_err(c->log, "spool directory (TMPDIR): %s", err);
		return -1;
	}
	(void)close(fd);
	return 0;
}

static int
listen_ready(void *arg)
{
	if (drop_privileges(arg) == -1)
		return EX_NOPERM;
	return spool_check(arg) == -1 ? EX_CONFIG : 0;
}

/* One connection: as root, a privileged parent and the session as
   --user; else the session. */
static int
serve_one(const struct msmtpd_conf *c, int rfd, int wfd)
{
	if (c->ps_id != NULL)
		return deliver_parent(c, c->ps_id, rfd, wfd);
	return session_run(c, rfd, wfd);
}

/* --listen: one session in the child server_run forked. */
static int
listen_serve(void *arg, int fd)
{
	/* SIGTERM after the grace: the session answers 421 and ends. */
	server_child_signals();
	return serve_one(arg, fd, fd);
}

/*
 * --listen: a pool worker (server.h), serving connection after
 * connection: as root the privileged parent and its session, else the
 * sessions in this process.
 */
static int
listen_work(void *arg, int chan)
{
	const struct msmtpd_conf *c = arg;
	int fd, st;

	server_child_signals();
	if (c->ps_id != NULL)
		return deliver_parent_pool(c, c->ps_id, chan);
	while (server_take(chan, &fd) == 1) {
		st = session_run(c, fd, fd);
		(void)close(fd);
		if (server_done(chan, st) == -1)
			break;
	}
	return 0;
}

static int
listen_run(const struct msmtpd_conf *c, const struct srvopt *so)
{
	struct server srv;
	char busy[SMTP_REPLY_LINE_MAX], busy_addr[SMTP_REPLY_LINE_MAX];
	char banned[SMTP_REPLY_LINE_MAX];

	(void)snprintf(busy, sizeof(busy),
	    "421 4.7.0 %s Too many connections, try again later\r\n",
	    c->hostname);
	(void)snprintf(busy_addr, sizeof(busy_addr),
	    "421 4.7.0 %s Too many connections from your address, try "
	    "again later\r\n",
	    c->hostname);
	(void)snprintf(banned, sizeof(banned),
	    "421 4.7.0 %s Too many failed logins from your address, try "
	    "again later\r\n",
	    c->hostname);
	srvopt_server(so, &srv, busy, busy_addr, banned);
	srv.log = c->log;
	srv.ready = listen_ready;
	srv.serve = listen_serve;
	srv.work = listen_work;
	srv.max_use = c->max_use;
	srv.arg = (void *)c;
	return server_run(&srv);
}

/* mdeliver's default Maildir, $HOME/Maildir, or NULL without HOME. */
static const char *
home_maildir(char *out, size_t outlen)
{
	const char *home = getenv("HOME");

	if (home == NULL || *home == '\0' ||
	    (size_t)snprintf(out, outlen, "%s/Maildir", home) >= outlen)
		return NULL;
	return out;
}

/* Room for a delivery's descriptors (lda.h): the soft limit raised
   towards the hard one, best effort. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= LDA_FDS_WANTED)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		rl.rlim_max > LDA_FDS_WANTED
	    ? LDA_FDS_WANTED
	    : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * DESIGN: no address is ever read as an option.  Recipients are refused
 * at RCPT when they start with "-", and the command must stop its
 * option parsing before them too: %T only after a word "--".
 */
static void
check_argv(const char *opt, char *const *out)
{
	size_t i;
	int dashes = 0;

	for (i = 0; out[i] != NULL; i++) {
		if (strcmp(out[i], "--") == 0)
			dashes = 1;
		else if (strcmp(out[i], "%T") == 0 && !dashes)
			die(EX_USAGE,
			    "%s: %%T must follow a word \"--\", or a "
			    "recipient could be taken as an option "
			    "(e.g. mdeliver -f %%F -- %%T)",
			    opt);
	}
}

/*
 * --command and --relay-command take an argv (util_argv_take): the words
 * up to an argument ";", or one word split at white space.  A %T only
 * as a word by itself, after "--".
 */
static void
take_argv(const char *opt, const char *arg, int argc, char **argv, char **out)
{
	char err[ERR_MAX], *copy;
	size_t i;

	/* copy holds the words for the life of the program. */
	if (util_argv_take(arg, argc, argv, &optind, out, MSMTPD_ARGV_MAX,
		&copy, err, sizeof(err)) == -1)
		die(EX_USAGE, "%s: %s", opt, err);
	for (i = 0; out[i] != NULL; i++)
		if (strstr(out[i], "%T") != NULL && strcmp(out[i], "%T") != 0)
			die(EX_USAGE, "%s: %%T must be a word by itself", opt);
	check_argv(opt, out);
}

static void
default_argv(char **out, const char *prog, const char *maildir,
    const char *max_size)
{
	size_t n = 0;

	out[n++] = (char *)prog;
	if (max_size != NULL) {
		out[n++] = "--max-size";
		out[n++] = (char *)max_size;
	}
	/* sendmail's -i: a line "." in the message (sent as ".." and
	   unstuffed) must not end msend's input, or the rest is lost. */
	if (strcmp(prog, "msend") == 0)
		out[n++] = "-i";
	if (maildir != NULL) {
		out[n++] = "--maildir";
		out[n++] = (char *)maildir;
	}
	out[n++] = "-f";
	out[n++] = "%F";
	/* "--": a recipient may start with "-" (RFC 5321 atext). */
	out[n++] = "--";
	out[n++] = "%T";
	out[n] = NULL;
}

int
main(int argc, char **argv)
{
	static struct msmtpd_conf c;
	static struct log lg;
	static struct privsep_id id;
	struct srvopt so;
	struct option longopts[SRVOPT_LONGOPTS_MAX];
	char host[SMTP_DOMAIN_MAX + 1], err[ERR_MAX], mdsize[32];
	static char hmd[PATH_MAX];
	const char *maildir = NULL;
	int ch, have_cmd = 0, have_relay = 0, rc;
	struct sockaddr_storage dss;
	socklen_t dsslen;

	(void)secret_no_core_dumps(); /* AUTH passwords pass through us */
	srvopt_init(&so, MSMTPD_TIMEOUT, SRVOPT_MODE_REQUIRED);
	if (srvopt_longopts(&so, ownopts, longopts, SRVOPT_LONGOPTS_MAX) == -1)
		die(EX_SOFTWARE, "too many options for SRVOPT_LONGOPTS_MAX");
	c.max_size = MSG_SIZE_DEFAULT;
	c.max_rcpt = SMTP_RCPT_MAX;
	c.data_timeout = MSMTPD_DATA_TIMEOUT;
	c.command_timeout = MSMTPD_COMMAND_TIMEOUT;
	c.data_rate = DATA_MIN_RATE_DEFAULT;
	if (argc > 0) /* getopt's messages read "prog: why" */
		argv[0] = (char *)PROG;
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		if ((rc = srvopt_take(&so, ch, optarg, err, sizeof(err))) == -1)
			die(EX_USAGE, "%s", err);
		if (rc == 1)
			continue;
		switch (ch) {
		case OPT_MAILDIR: maildir = optarg; break;
		case OPT_COMMAND:
			take_argv("--command", optarg, argc, argv, c.command);
			have_cmd = 1;
			break;
		case OPT_RELAY:
			take_argv(
			    "--relay-command", optarg, argc, argv, c.relay);
			have_relay = 1;
			break;
		case OPT_QUEUE: c.queue = optarg; break;
		case OPT_DOMAIN:
			if (c.ndomains == MSMTPD_DOMAINS_MAX)
				die(EX_USAGE, "--domain: at most %d",
				    MSMTPD_DOMAINS_MAX);
			if (!smtp_domain_valid(optarg, strlen(optarg), 1))
				die(EX_USAGE, "--domain %s: not a domain",
				    optarg);
			c.domains[c.ndomains++] = optarg;
			break;
		case OPT_BARELF: c.accept_bare_lf = 1; break;
		case OPT_MAXSIZE:
			c.max_size =
			    num("--max-size", optarg, 0, (long long)1 << 50, 1);
			break;
		case OPT_MAXRCPT:
			c.max_rcpt = (int)num("--max-recipients", optarg, 1,
			    MSMTPD_RCPT_LIMIT, 0);
			break;
		case OPT_DATATIMEOUT:
			c.data_timeout = (int)num("--data-timeout", optarg, 1,
			    SRVOPT_TIMEOUT_MAX, 0);
			break;
		case OPT_CMDTIMEOUT:
			c.command_timeout = (int)num("--command-timeout",
			    optarg, 1, SRVOPT_TIMEOUT_MAX, 0);
			break;
		case OPT_DATARATE:
			c.data_rate = num("--data-min-rate", optarg, 0,
			    (long long)1 << 40, 1);
			break;
		case OPT_MAXUSE:
			c.max_use = (int)num("--max-use", optarg, 1,
			    SERVER_MAX_USE_MAX, 0);
			break;
		case OPT_CHECK: c.check_sender = 1; break;
		case OPT_REJSPF: c.reject_spf_fail = 1; break;
		case OPT_REJDMARC: c.reject_dmarc = 1; break;
		case OPT_DEFER: c.defer_temperror = 1; break;
		case OPT_DNS:
			if (dns_parse_server(optarg, &dss, &dsslen, err,
				sizeof(err)) == -1)
				die(EX_USAGE, "--dns-server %s: %s", optarg,
				    err);
			c.dns_server = optarg;
			break;
		case OPT_DNSTIMEOUT:
			c.dns_timeout =
			    (int)num("--dns-timeout", optarg, 1, 60, 0);
			break;
		case 'h': usage(stdout, &so); return 0;
		case 'V': return util_version(PROG);
		default: usage(stderr, &so); return EX_USAGE;
		}
	}
	if (optind < argc)
		die(EX_USAGE, "unexpected argument: %s", argv[optind]);
	if (have_cmd && maildir != NULL)
		die(EX_USAGE,
		    "--maildir is for the default command; with "
		    "--command put it in the command");
	if ((c.reject_spf_fail || c.reject_dmarc || c.defer_temperror ||
		c.dns_server != NULL || c.dns_timeout != 0) &&
	    !c.check_sender)
		die(EX_USAGE, "--reject-spf-fail, --reject-dmarc, "
		    "--defer-temperror and --dns-*: only with --check-sender");
	if ((rc = srvopt_check(&so, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	if (c.queue != NULL && have_relay)
		die(EX_USAGE, "--queue and --relay-command: one or the other");
	if (c.queue != NULL &&
	    msmtpd_queue_check(c.queue, err, sizeof(err)) == -1)
		die(EX_CONFIG, "%s", err);
	SRVOPT_SESSION_SET(&c, &so);
	c.lifetime = so.lifetime;
	c.user = so.user;
	if (!have_cmd) {
		/* mdeliver must take what we accepted: the message with
		   our Received header in front (RFC 1870 counts the
		   message alone), and as many recipients. */
		if (c.max_size > 0)
			(void)snprintf(mdsize, sizeof(mdsize), "%lld",
			    c.max_size + MSMTPD_RECEIVED_MAX);
		else
			util_strlcpy(mdsize, "0", sizeof(mdsize));
		if (c.max_rcpt > MDELIVER_RCPT_MAX)
			die(EX_USAGE,
			    "--max-recipients %d: the default delivery "
			    "command (mdeliver) takes at most %d",
			    c.max_rcpt, MDELIVER_RCPT_MAX);
		default_argv(c.command, "mdeliver", maildir, mdsize);
		c.default_command = 1;
		/* The same delivery without an exec (deliver.c). */
		c.lda_inproc = 1;
		c.lda.max_size =
		    c.max_size > 0 ? c.max_size + MSMTPD_RECEIVED_MAX : 0;
		if (maildir == NULL)
			maildir = home_maildir(hmd, sizeof(hmd));
		if (maildir != NULL) {
			c.lda_roots[0] = maildir;
			c.lda.roots = c.lda_roots;
			c.lda.nroots = 1;
		}
		/* Past a file size limit write(2) fails (EFBIG: 451)
		   instead of SIGXFSZ killing the delivery midway. */
		(void)signal(SIGXFSZ, SIG_IGN);
		raise_fd_limit();
	}
	if (!have_relay)
		default_argv(c.relay, "msend", NULL, NULL);
	if (c.hostname == NULL) {
		util_hostname(host, sizeof(host));
		c.hostname = host;
	}
	/* Under inetd, stderr is often the client's socket: syslog. */
	log_open(&lg, PROG, srvopt_syslog(&so, so.inetd), LOG_MAIL);
	lg.level = LOG_LVL_INFO;
	c.log = &lg;
	if (so.cert != NULL && (c.tls = tls_server_new(so.cert, so.key, err,
	    sizeof(err))) == NULL)
		die(EX_CONFIG, "TLS: %s", err);
	if (geteuid() == 0) {
		/* DESIGN: no SMTP, TLS or SASL parsing as root. */
		if (privsep_lookup(c.user, &id, err, sizeof(err)) == -1)
			die(EX_NOPERM, "%s", err);
		c.ps_id = &id;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (so.inetd) {
		(void)signal(SIGCHLD, SIG_DFL);
		if (drop_privileges(&c) == -1)
			return EX_NOPERM;
		/* inetd or systemd stopping us: 421, not a silent close. */
		server_child_signals();
		(void)serve_one(&c, 0, 1);
		rc = 0;
	} else
		rc = listen_run(&c, &so);
	if (c.tls != NULL)
		tls_server_free(c.tls);
	return rc;
}
