/*
 * srvmain.c: the options, set-up and modes of mpop serve and mimap
 * serve, written once (srvmain.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "passwd.h"
#include "server.h"
#include "srvmain.h"
#include "tls.h"
#include "util.h"

/* srvmain's own options (below srvopt's, above a program's enum). */
enum { OPT_PREAUTH = 0x800, OPT_MAILDIR };

static const struct option mainopts[] = {
    {"preauth", no_argument, NULL, OPT_PREAUTH},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
};
#define MAINOPTS_N (sizeof(mainopts) / sizeof(mainopts[0]))

void
srvmain_init(struct srvmain *m, const char *prog, int timeout)
{
	memset(m, 0, sizeof(*m));
	m->prog = prog;
	srvopt_init(&m->so, timeout, 0);
}

const char *
srvmain_usage(const struct srvopt *so, const char *prog, const char *what,
    const char *own, char *buf, size_t len)
{
	char so_usage[SRVOPT_USAGE_MAX];

	(void)snprintf(buf, len,
	    "usage: %s serve --passwd-file FILE [options]\n"
	    "       %s serve --preauth --maildir DIR [options]\n"
	    "%s\n"
	    "  --preauth              no login: serve --maildir as the "
	    "invoking user\n"
	    "  --maildir DIR          the Maildir (--preauth), or the "
	    "default for\n"
	    "                         passwd lines without one (%%u: the "
	    "user)\n"
	    "%s"
	    "  -v                     protocol trace on stderr (passwords "
	    "hidden)\n"
	    "Options every server takes:\n"
	    "%s",
	    prog, prog, what, own,
	    srvopt_usage(so, so_usage, sizeof(so_usage)));
	return buf;
}

/* mainopts, then the program's, then the terminator, into out[cap]. */
static int
own_table(const struct srvmain *m, struct option *out, size_t cap)
{
	size_t n = 0, k;

	for (k = 0; k < MAINOPTS_N; k++) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = mainopts[k];
	}
	for (k = 0; m->own != NULL && m->own[k].name != NULL; k++) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = m->own[k];
	}
	memset(&out[n], 0, sizeof(out[n]));
	return 0;
}

/* The options.  0 to go on, -1 with *code (as srvmain_start). */
static int
args(struct srvmain *m, int argc, char **argv, int *code, char *err,
    size_t errlen)
{
	struct option own[SRVOPT_LONGOPTS_MAX];
	struct option longopts[SRVOPT_LONGOPTS_MAX];
	int ch, rc;

	if (own_table(m, own, SRVOPT_LONGOPTS_MAX) == -1 ||
	    srvopt_longopts(&m->so, own, longopts, SRVOPT_LONGOPTS_MAX) ==
		-1) {
		util_seterr(err, errlen, "too many options");
		*code = EX_SOFTWARE;
		return -1;
	}
	*code = EX_USAGE;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hVv", longopts, NULL)) != -1) {
		if ((rc = srvopt_take(&m->so, ch, optarg, err, errlen)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case OPT_PREAUTH: m->preauth = 1; continue;
		case OPT_MAILDIR: m->maildir = optarg; continue;
		case 'v': m->trace = 1; continue;
		case 'h':
			m->usage(stdout, &m->so);
			*code = 0;
			return -1;
		case 'V':
			*code = util_version(m->prog);
			return -1;
		default:
			break;
		}
		rc = ch != '?' && m->option != NULL
		    ? m->option(m->arg, ch, optarg, err, errlen)
		    : 0;
		if (rc == 1)
			continue;
		if (rc == -1)
			return -1;
		m->usage(stderr, &m->so);
		util_seterr(err, errlen,
		    "serve: %s: unknown option or missing argument",
		    argv[optind - 1]);
		return -1;
	}
	if (optind < argc) {
		util_seterr(err, errlen, "serve: unexpected argument: %s",
		    argv[optind]);
		return -1;
	}
	return 0;
}

/* Which login: --preauth, or --passwd-file.  0 or EX_USAGE. */
static int
check_mode(const struct srvmain *m, char *err, size_t errlen)
{
	const char *why = NULL;

	if (m->preauth && m->maildir == NULL)
		why = "--preauth needs --maildir DIR";
	else if (m->preauth && m->so.passwd_file != NULL)
		why = "--preauth and --passwd-file exclude each other";
	else if (!m->preauth && m->so.passwd_file == NULL)
		why = "give --passwd-file FILE, or --preauth --maildir DIR";
	else if (m->preauth && m->so.listen != NULL)
		why = "--preauth is for one session on stdin/stdout, not "
		      "--listen";
	if (why == NULL)
		return 0;
	util_seterr(err, errlen, "%s", why);
	return EX_USAGE;
}

/* The privsep user: looked up when started as root, else --user must
   be who we are.  0 or an exit code. */
static int
check_user(struct srvmain *m, char *err, size_t errlen)
{
	struct privsep_id me;

	if (geteuid() == 0 && !m->preauth) {
		/* DESIGN: no network parsing as root. */
		if (privsep_lookup(m->so.user, &m->id, err, errlen) == -1)
			return EX_NOUSER;
		m->privsep = 1;
	} else if (m->so.user != NULL && geteuid() != 0) {
		if (privsep_lookup(m->so.user, &me, err, errlen) == -1)
			return EX_NOUSER;
		if (me.uid != geteuid()) {
			util_seterr(err, errlen,
			    "--user %s: not running as root", m->so.user);
			return EX_NOPERM;
		}
	}
	return 0;
}

/*
 * --preauth started as root: serve the Maildir as its owner (as
 * mdeliver delivers), never as root.  0 or an exit code.
 */
static int
preauth_become_owner(const char *maildir, char *err, size_t errlen)
{
	struct stat st;
	char er[ERR_MAX];

	if (stat(maildir, &st) == -1) {
		util_seterr(err, errlen, "%s: %s", maildir, strerror(errno));
		return EX_NOINPUT;
	}
	if (st.st_uid == 0) {
		util_seterr(err, errlen,
		    "%s: owned by root; as root --preauth serves a Maildir "
		    "as its owner, and never as root",
		    maildir);
		return EX_NOPERM;
	}
	if (passwd_drop_privileges(st.st_uid, st.st_gid, er, sizeof(er)) ==
	    -1) {
		util_seterr(err, errlen, "%s: %s", maildir, er);
		return EX_OSERR;
	}
	return 0;
}

/* After the options: 0, or an exit code with err. */
static int
setup(struct srvmain *m, char *err, size_t errlen)
{
	char er[ERR_MAX];
	int rc;

	if ((rc = check_mode(m, err, errlen)) != 0 ||
	    (rc = srvopt_check(&m->so, err, errlen)) != 0)
		return rc;
	if (m->so.user != NULL && m->preauth) {
		util_seterr(err, errlen,
		    "--user is for the login with --passwd-file, not "
		    "--preauth");
		return EX_USAGE;
	}
	if ((rc = check_user(m, err, errlen)) != 0)
		return rc;
	m->hostname = m->so.hostname;
	if (m->hostname == NULL) {
		util_hostname(m->host, sizeof(m->host));
		m->hostname = m->host;
	}
	/* Under inetd, stderr may be the client's socket: syslog.  With
	   --preauth (ssh, tests) stderr is the invoker's. */
	log_open(&m->log, m->prog,
	    srvopt_syslog(&m->so, m->so.listen == NULL && !m->preauth),
	    LOG_MAIL);
	m->log.level = LOG_LVL_INFO;
	m->log.trace = m->trace;
	if (m->so.cert != NULL && (m->tls = tls_server_new(m->so.cert,
	    m->so.key, er, sizeof(er))) == NULL) {
		util_seterr(err, errlen, "TLS: %s", er);
		return EX_CONFIG;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (m->preauth && geteuid() == 0)
		return preauth_become_owner(m->maildir, err, errlen);
	return 0;
}

int
srvmain_start(struct srvmain *m, int argc, char **argv, int *code,
    char *err, size_t errlen)
{
	err[0] = '\0';
	if (args(m, argc, argv, code, err, errlen) == -1)
		return -1;
	if ((*code = setup(m, err, errlen)) != 0)
		return -1;
	return 0;
}

/* One connection on rfd/wfd: the session, or loginsrv's parent. */
static int
serve_one(struct srvmain *m, int rfd, int wfd)
{
	struct loginsrv ls;

	if (!m->privsep)
		return m->session(m->arg, rfd, wfd);
	ls.passwd_file = m->so.passwd_file;
	ls.auth_delay_ms = m->so.auth_delay_ms;
	ls.lifetime = m->so.lifetime;
	ls.pass_max = m->pass_max;
	ls.log = &m->log;
	ls.login = m->login;
	ls.post = m->post;
	ls.arg = m->arg;
	return loginsrv_parent(&ls, &m->id, rfd, wfd);
}

static int
serve_conn(void *arg, int fd)
{
	server_child_signals();
	return serve_one(arg, fd, fd);
}

int
srvmain_serve(struct srvmain *m)
{
	struct server srv;
	int rc;

	if (m->so.listen == NULL) {
		server_child_signals();
		(void)serve_one(m, 0, 1);
		rc = 0;
	} else {
		srvopt_server(&m->so, &srv, m->busy_line, m->busy_addr_line,
		    m->banned_line);
		srv.log = &m->log;
		srv.serve = serve_conn;
		srv.arg = m;
		rc = server_run(&srv);
	}
	if (m->tls != NULL)
		tls_server_free(m->tls);
	m->tls = NULL;
	return rc;
}
