/*
 * deliver.c: hand the spooled message to the delivery command (DESIGN:
 * msmtpd -> delivery command).  The command is an argv run by
 * common/proc (posix_spawn), never a shell: "%F" in a word is the
 * envelope sender, a word "%T" becomes one argument per recipient, "%%"
 * is "%".  The message is its stdin; stdout goes to /dev/null (under
 * inetd it would be the client); its stderr, lines joined, goes to our
 * log.  It gets SENDER RECIPIENT REMOTE_ADDR REMOTE_HOST HELO AUTH_USER
 * TLS_PROTOCOL TLS_CIPHER in its environment, and at most
 * --command-timeout seconds.
 *
 * Started as root (common/privsep.h), msmtpd is two processes: this
 * file's privileged parent (deliver_parent), which creates the spool,
 * forks the SMTP session as --user and then only answers the session's
 * requests, a delivery (the spool descriptor, the envelope and the
 * environment values, in bounded messages it checks as hostile) or an
 * AUTH password check; and the session, whose deliver_run and
 * deliver_auth_check send those requests instead of doing the work.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "msmtpd.h"
#include "net.h"
#include "passwd.h"
#include "privsep.h"
#include "proc.h"
#include "server.h"
#include "util.h"

/* Names of the variables msmtpd sets for the command (DESIGN). */
static const char *const env_ours[] = {"SENDER", "RECIPIENT", "REMOTE_ADDR",
    "REMOTE_HOST", "HELO", "AUTH_USER", "TLS_PROTOCOL", "TLS_CIPHER",
    "YUBIN_SPF", "YUBIN_DKIM", "YUBIN_DMARC", "YUBIN_IPREV",
    "YUBIN_DMARC_DISPOSITION", "YUBIN_SPF_HELO", "YUBIN_AUTH_RESULTS", NULL};
/* --check-sender: the variables of the words of auth_env, in order. */
#define AUTH_WORDS 6
static const char *const env_auth[AUTH_WORDS] = {"YUBIN_SPF", "YUBIN_DKIM",
    "YUBIN_DMARC", "YUBIN_IPREV", "YUBIN_DMARC_DISPOSITION",
    "YUBIN_SPF_HELO"};
/* The words each may be (RFC 8601 §2.7, RFC 7489 §6.3). */
static const char *const auth_words[] = {"none", "pass", "fail", "softfail",
    "neutral", "temperror", "permerror", "policy", "quarantine", "reject",
    NULL};

/*
 * auth_env as the parent takes it from the session (hostile): exactly
 * AUTH_WORDS known words.  0 and w[] pointing into buf, or -1.
 */
static int
auth_split(const char *env, char *buf, size_t buflen, const char **w)
{
	char *p, *q;
	size_t i, k;

	if (util_strlcpy(buf, env, buflen) >= buflen)
		return -1;
	for (p = buf, i = 0; i < AUTH_WORDS; i++) {
		if ((q = strchr(p, ' ')) != NULL)
			*q = '\0';
		for (k = 0; auth_words[k] != NULL; k++)
			if (strcmp(p, auth_words[k]) == 0)
				break;
		if (auth_words[k] == NULL)
			return -1;
		w[i] = p;
		if (q == NULL)
			return i + 1 == AUTH_WORDS ? 0 : -1;
		p = q + 1;
	}
	return -1;
}

static int
env_is_ours(const char *kv)
{
	size_t i, n;

	for (i = 0; env_ours[i] != NULL; i++) {
		n = strlen(env_ours[i]);
		if (strncmp(kv, env_ours[i], n) == 0 && kv[n] == '=')
			return 1;
	}
	return 0;
}

static int
env_add(char **envp, size_t *n, const char *name, const char *value)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_puts(&b, name) == -1 || buf_putc(&b, '=') == -1 ||
	    buf_puts(&b, value) == -1) {
		buf_free(&b);
		return -1;
	}
	envp[(*n)++] = buf_release(&b);
	return 0;
}

/*
 * One delivery: what the command is run with, from the session itself
 * or, in the privileged parent, from the session's request.
 */
struct deliv {
	const char *id;
	const char *from;
	const char *const *rcpt;
	const int *notify; /* each recipient's NOTIFY (RFC 3461) */
	const char *const *orcpt; /* and ORCPT, "" none */
	size_t nrcpt;
	enum smtp_ret ret; /* RET= */
	const char *envid; /* ENVID=, decoded, "" none */
	int relay;
	const char *addr, *host, *helo;
	const char *auth_user; /* NULL: not authenticated */
	const char *tls_protocol, *tls_cipher; /* NULL: no TLS */
	const char *auth_env; /* --check-sender's words, "" none */
	const char *auth_ar; /* and the Authentication-Results value */
	int spool; /* positioned at 0 */
};

/*
 * The command's environment: ours without any SENDER etc. it may have
 * had, then the session's values.  NULL when out of memory; the strings
 * from index *own on are allocated.
 */
static char **
make_env(const struct deliv *s, size_t *own)
{
	extern char **environ;
	char **envp;
	size_t n = 0, i;
	int rc = 0;

	for (i = 0; environ[i] != NULL; i++)
		;
	if ((envp = calloc(i + 9 + AUTH_WORDS + 1, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; environ[i] != NULL; i++)
		if (!env_is_ours(environ[i]))
			envp[n++] = environ[i];
	*own = n;
	rc |= env_add(envp, &n, "SENDER", s->from);
	rc |= env_add(envp, &n, "RECIPIENT", s->nrcpt > 0 ? s->rcpt[0] : "");
	rc |= env_add(envp, &n, "REMOTE_ADDR", s->addr);
	rc |= env_add(envp, &n, "REMOTE_HOST", s->host);
	rc |= env_add(envp, &n, "HELO", s->helo);
	if (s->auth_user != NULL)
		rc |= env_add(envp, &n, "AUTH_USER", s->auth_user);
	if (s->tls_protocol != NULL) {
		rc |= env_add(envp, &n, "TLS_PROTOCOL", s->tls_protocol);
		rc |= env_add(envp, &n, "TLS_CIPHER", s->tls_cipher);
	}
	if (s->auth_env != NULL && s->auth_env[0] != '\0') {
		char wb[MSMTPD_AUTH_ENV_MAX + 1];
		const char *w[AUTH_WORDS];
		size_t k;

		if (auth_split(s->auth_env, wb, sizeof(wb), w) == 0) {
			for (k = 0; k < AUTH_WORDS; k++)
				rc |= env_add(envp, &n, env_auth[k], w[k]);
			rc |= env_add(envp, &n, "YUBIN_AUTH_RESULTS",
			    s->auth_ar != NULL ? s->auth_ar : "");
		}
	}
	if (rc != 0) {
		for (i = *own; i < n; i++)
			free(envp[i]);
		free(envp);
		return NULL;
	}
	return envp;
}

/*
 * The default delivery, in this process (no exec): mdeliver's engine
 * (common/lda) with the options the default command would get
 * (`mdeliver --max-size N -f %F [--maildir DIR] -- %T'), and its
 * answer worded as mdeliver words it on stderr.  As root (the
 * privileged parent) this process writes as the one Maildir owner with
 * its effective ids switched, or through a forked child per owner when
 * there are several, and stays root for the next message.
 */
static int
run_lda(const struct msmtpd_conf *c, const struct deliv *d, char *cmd_err)
{
	static struct maildir_namer namer;
	static int have_namer;
	struct lda_opts o = c->lda;
	struct lda_result res;
	char **rv;
	size_t i;
	int rc = EX_TEMPFAIL;

	cmd_err[0] = '\0';
	if (!have_namer) {
		maildir_namer_init(&namer, NULL);
		have_namer = 1;
	}
	o.namer = &namer;
	o.sender = d->from;
	/* As root (the privileged parent): stay root for the next
	   message, and for one owner just switch the effective ids, no
	   fork (lda.h). */
	o.keep_privileges = geteuid() == 0;
	o.switch_ids = 1;
	if ((rv = calloc(d->nrcpt + 1, sizeof(*rv))) == NULL)
		return EX_TEMPFAIL;
	for (i = 0; i < d->nrcpt; i++) {
		if ((rv[i] = strdup(d->rcpt[i])) == NULL)
			goto out;
		util_lower(rv[i]);
	}
	if (o.nroots == 0 && o.template == NULL) {
		/* mdeliver's default, $HOME/Maildir: HOME unset is our
		   configuration's fault. */
		(void)snprintf(cmd_err, MSMTPD_CMD_ERR_MAX + 1,
		    "mdeliver: HOME is not set; give --maildir (exit %d)",
		    EX_CONFIG);
		rc = EX_CONFIG;
		goto out;
	}
	rc = lda_deliver(&o, d->spool, rv, d->nrcpt, &res);
	if (rc != 0)
		(void)snprintf(cmd_err, MSMTPD_CMD_ERR_MAX + 1,
		    rc == EX_TEMPFAIL ? "mdeliver: %s (will retry: exit %d)"
				      : "mdeliver: %s (exit %d)",
		    res.why, rc);
out:
	for (i = 0; i < d->nrcpt; i++)
		free(rv[i]);
	free(rv);
	return rc;
}

/*
 * With --queue (DSN offered), a local delivery owes the sender a
 * "delivered" report for the recipients whose NOTIFY has SUCCESS (RFC
 * 3461 §5.2.3 (a)): queued for the runner.  The mail is delivered
 * whatever becomes of it; a failure is logged.
 */
static void
report_delivered(const struct msmtpd_conf *c, const struct deliv *d)
{
	struct msmtpd_qmsg m;
	char err[MSMTPD_CMD_ERR_MAX + 1];
	size_t i;

	if (d->from[0] == '\0' || d->notify == NULL)
		return;
	for (i = 0; i < d->nrcpt; i++)
		if (d->notify[i] & SMTP_NOTIFY_SUCCESS)
			break;
	if (i == d->nrcpt)
		return;
	memset(&m, 0, sizeof(m));
	m.id = d->id;
	m.from = d->from;
	m.rcpt = d->rcpt;
	m.notify = d->notify;
	m.orcpt = d->orcpt;
	m.nrcpt = d->nrcpt;
	m.ret = d->ret;
	m.envid = d->envid;
	m.origin = "msmtpd";
	m.spool = d->spool;
	m.delivered = 1;
	(void)msmtpd_enqueue(c, &m, err);
}

static int run_delivery(const struct msmtpd_conf *, const struct deliv *,
    char *);

static int
run_command(const struct msmtpd_conf *c, const struct deliv *d, char *cmd_err)
{
	int rc = run_delivery(c, d, cmd_err);

	if (rc == 0 && !d->relay && session_dsn_offered(c))
		report_delivered(c, d);
	return rc;
}

/*
 * Run the delivery (or relay) command for d with common/proc: the spool
 * as stdin, /dev/null as stdout, stderr kept for the log; its own
 * process group, killed as a whole after --command-timeout.  Returns
 * its exit status (0, 75, ...), or 75 when it could not run, timed out
 * or was killed by a signal (a crash is not the message's fault: try
 * again later); cmd_err gets its stderr, lines joined by " | ".
 */
static int
run_delivery(const struct msmtpd_conf *c, const struct deliv *d, char *cmd_err)
{
	char *const *tmpl = d->relay ? c->relay : c->command;
	char **argv, **envp = NULL, how[128], found[PATH_MAX];
	const char *path;
	struct proc_spec sp;
	struct proc_result r;
	size_t na = 0, own = 0, i, j;
	int rc = EX_TEMPFAIL;

	if (!d->relay && c->lda_inproc)
		return run_lda(c, d, cmd_err);
	if (d->relay && c->queue != NULL) {
		struct msmtpd_qmsg m;
		char origin[SMTP_DOMAIN_MAX * 2 + NET_ADDRSTR_MAX + 64];

		memset(&m, 0, sizeof(m));
		(void)snprintf(origin, sizeof(origin),
		    "msmtpd [%s]%s%s%s%s", d->addr, d->helo ? " helo=" : "",
		    d->helo ? d->helo : "", d->auth_user ? " auth=" : "",
		    d->auth_user ? d->auth_user : "");
		m.id = d->id;
		m.from = d->from;
		m.rcpt = d->rcpt;
		m.notify = d->notify;
		m.orcpt = d->orcpt;
		m.nrcpt = d->nrcpt;
		m.ret = d->ret;
		m.envid = d->envid;
		m.origin = origin;
		m.spool = d->spool;
		return msmtpd_enqueue(c, &m, cmd_err);
	}
	cmd_err[0] = '\0';
	for (i = 0; tmpl[i] != NULL; i++)
		;
	if ((argv = calloc(i + d->nrcpt + 1, sizeof(*argv))) == NULL)
		return EX_TEMPFAIL;
	for (i = 0; tmpl[i] != NULL; i++) {
		if (strcmp(tmpl[i], "%T") == 0) {
			for (j = 0; j < d->nrcpt; j++)
				if ((argv[na++] = strdup(d->rcpt[j])) == NULL)
					goto out;
		} else if ((argv[na++] = util_expand_sender(
				tmpl[i], d->from)) == NULL)
			goto out;
	}
	if ((envp = make_env(d, &own)) == NULL) {
		log_err(c->log, "%s: %s", d->id, strerror(ENOMEM));
		goto out;
	}
	proc_spec_init(&sp, argv);
	sp.envp = envp;
	sp.in = PROC_FD;
	sp.in_fd = d->spool;
	sp.out = PROC_NULL;
	sp.err = PROC_CAPTURE;
	sp.err_max = MSMTPD_CMD_ERR_MAX;
	sp.timeout_ms = c->command_timeout * 1000;
	(void)proc_run(&sp, &r);
	util_strlcpy(cmd_err, r.err, MSMTPD_CMD_ERR_MAX + 1);
	(void)proc_describe(&sp, &r, how, sizeof(how));
	/* The log names the program as proc found it. */
	path = util_find_prog(argv[0], found, sizeof(found));
	switch (r.how) {
	case PROC_EXITED: rc = r.code; break;
	case PROC_NOSTART:
		/* Not there or not runnable: our configuration, not the
		   mail's fault, so try again later (DESIGN: nothing lost). */
		(void)snprintf(cmd_err, MSMTPD_CMD_ERR_MAX + 1, "%s: %s: %s",
		    PROG, path, how);
		log_err(c->log, "%s: %s: %s", d->id, path, how);
		break;
	case PROC_TIMEDOUT:
	case PROC_SIGNALED:
		log_err(c->log, "%s: %s: %s", d->id, path, how);
		break;
	}
	if (r.how != PROC_EXITED)
		rc = yerr_exit(proc_class(&r));
out:
	if (envp != NULL) {
		for (i = own; envp[i] != NULL; i++)
			free(envp[i]);
		free(envp);
	}
	for (i = 0; i < na; i++)
		free(argv[i]);
	free(argv);
	return rc;
}

/* ---------------------------------------------------------------- privsep */

/*
 * Requests of the session (unprivileged) to the parent (root).  A
 * delivery is DELIVER, one RCPT per recipient (address, NOTIFY bits,
 * ORCPT), then GO; the answer is
 * RESULT (exit status, first stderr line).  AUTH (user, password) gets
 * AUTH_OK, AUTH_NO (after --auth-delay) or AUTH_TEMP.
 */
enum {
	PS_DELIVER = 1,
	PS_RCPT,
	PS_GO,
	PS_RESULT,
	PS_AUTH,
	PS_AUTH_OK,
	PS_AUTH_NO,
	PS_AUTH_TEMP,
	PS_CONN, /* pool: parent -> session, a connection (fd) */
	PS_DONE /* pool: session -> parent, it ended: status */
};
/* DELIVER: id, from, relay ("0" or "1"), addr, host, helo, auth user,
   TLS protocol, TLS cipher ("" when not authenticated or no TLS: never
   a value then), the number of recipients, RET ("", "full", "hdrs"),
   ENVID (decoded, "" none), the --check-sender words and
   Authentication-Results value ("" none); the spool descriptor. */
#define PS_DELIVER_FIELDS 14
/* RCPT: the address, NOTIFY (SMTP_NOTIFY_* bits in decimal), ORCPT. */
#define PS_RCPT_FIELDS 3

/* The session asks the parent: 0 and the answer, or -1 (logged). */
static int
ask(const struct msmtpd_conf *c, struct privsep_msg *m)
{
	int rc;

	do
		rc = privsep_recv(c->ps_fd, m, -1);
	while (rc == -1 && errno == EINTR);
	if (rc == 1)
		return 0;
	log_err(c->log, "privsep: %s",
	    rc == 0 ? "the privileged parent went away" : strerror(errno));
	return -1;
}

static int
send_fields(const struct msmtpd_conf *c, uint32_t type, int fd, size_t n,
    const char *const *f)
{
	if (privsep_send(c->ps_fd, type, fd, n, f) == 0)
		return 0;
	log_err(c->log, "privsep: send: %s", strerror(errno));
	return -1;
}

/* The session: ask the parent to run the delivery. */
static int
deliver_ask(struct session *s)
{
	const struct msmtpd_conf *c = s->c;
	struct privsep_msg m;
	const char *f[PS_DELIVER_FIELDS];
	const char *st, *er;
	char nr[16];
	long long v;
	size_t i;

	(void)snprintf(nr, sizeof(nr), "%zu", s->nrcpt);
	f[0] = s->id;
	f[1] = s->from;
	f[2] = s->relay ? "1" : "0";
	f[3] = s->addr;
	f[4] = s->host;
	f[5] = s->helo;
	f[6] = s->authed ? s->auth_user : "";
	f[7] = s->tls ? s->tlsi.protocol : "";
	f[8] = s->tls ? s->tlsi.cipher : "";
	f[9] = nr;
	f[10] = s->ret == SMTP_RET_FULL ? "full"
	    : s->ret == SMTP_RET_HDRS	 ? "hdrs"
					 : "";
	f[11] = s->envid;
	f[12] = s->auth_env;
	f[13] = s->auth_ar;
	if (send_fields(c, PS_DELIVER, s->spool, PS_DELIVER_FIELDS, f) == -1)
		return EX_TEMPFAIL;
	for (i = 0; i < s->nrcpt; i++) {
		(void)snprintf(nr, sizeof(nr), "%d", s->rdsn[i].notify);
		f[0] = s->rcpt[i];
		f[1] = nr;
		f[2] = s->rdsn[i].orcpt;
		if (send_fields(c, PS_RCPT, -1, PS_RCPT_FIELDS, f) == -1)
			return EX_TEMPFAIL;
	}
	if (send_fields(c, PS_GO, -1, 0, NULL) == -1 || ask(c, &m) == -1)
		return EX_TEMPFAIL;
	if (m.fd != -1)
		(void)close(m.fd);
	if (m.type != PS_RESULT || (st = privsep_field(&m, 0, 3)) == NULL ||
	    (er = privsep_field(&m, 1, MSMTPD_CMD_ERR_MAX)) == NULL ||
	    util_parse_num(st, 0, 255, 0, &v) == -1) {
		log_err(c->log, "privsep: unexpected answer to a delivery");
		return EX_TEMPFAIL;
	}
	util_strlcpy(s->cmd_err, er, sizeof(s->cmd_err));
	return (int)v;
}

int
deliver_run(struct session *s)
{
	struct deliv d;
	const char **rv, **ov;
	int *nv;
	size_t i;
	int rc = EX_TEMPFAIL;

	s->cmd_err[0] = '\0';
	if (data_spool_flush(s) == -1 || lseek(s->spool, 0, SEEK_SET) == -1)
		return EX_TEMPFAIL;
	if (s->c->sink != NULL)
		return s->c->sink(s->c->sink_arg, s->spool);
	if (s->c->privsep)
		return deliver_ask(s);
	rv = calloc(s->nrcpt + 1, sizeof(*rv));
	ov = calloc(s->nrcpt + 1, sizeof(*ov));
	nv = calloc(s->nrcpt + 1, sizeof(*nv));
	if (rv == NULL || ov == NULL || nv == NULL)
		goto out;
	for (i = 0; i < s->nrcpt; i++) {
		rv[i] = s->rcpt[i];
		nv[i] = s->rdsn[i].notify;
		ov[i] = s->rdsn[i].orcpt;
	}
	memset(&d, 0, sizeof(d));
	d.id = s->id;
	d.from = s->from;
	d.rcpt = rv;
	d.notify = nv;
	d.orcpt = ov;
	d.ret = s->ret;
	d.envid = s->envid;
	d.nrcpt = s->nrcpt;
	d.relay = s->relay;
	d.addr = s->addr;
	d.host = s->host;
	d.helo = s->helo;
	d.auth_user = s->authed ? s->auth_user : NULL;
	d.tls_protocol = s->tls ? s->tlsi.protocol : NULL;
	d.tls_cipher = s->tls ? s->tlsi.cipher : NULL;
	d.auth_env = s->auth_env;
	d.auth_ar = s->auth_ar;
	d.spool = s->spool;
	rc = run_command(s->c, &d, s->cmd_err);
out:
	free(rv);
	free(ov);
	free(nv);
	return rc;
}

int
deliver_auth_check(struct session *s, const char *user, const char *pass,
    struct passwd_entry *e, char *err, size_t errlen)
{
	const struct msmtpd_conf *c = s->c;
	struct privsep_msg m;
	const char *f[2];

	if (!c->privsep)
		return passwd_check(c->passwd_file, user, pass, e, err, errlen);
	memset(e, 0, sizeof(*e));
	f[0] = user;
	f[1] = pass;
	if (send_fields(c, PS_AUTH, -1, 2, f) == -1 || ask(c, &m) == -1) {
		util_seterr(err, errlen, "privileged parent unreachable");
		return -1;
	}
	if (m.fd != -1)
		(void)close(m.fd);
	switch (m.type) {
	case PS_AUTH_OK: return 1;
	case PS_AUTH_NO: return 0;
	default:
		util_seterr(err, errlen, "cannot check the password");
		return -1;
	}
}

/* ---------------------------------------------------------------- parent */

/* A field that is there, at most max bytes, and no control bytes. */
static const char *
field(const struct privsep_msg *m, size_t i, size_t max)
{
	const char *f = privsep_field(m, i, max);
	size_t k;

	if (f == NULL)
		return NULL;
	for (k = 0; k < m->len[i]; k++)
		if ((unsigned char)f[k] < 0x20 || f[k] == 0x7f)
			return NULL;
	return f;
}

/*
 * An address the session could have taken: a path of RFC 5321 whose
 * canonical form is a itself (from: "" for "<>"), and never one that
 * could be read as an option (DESIGN: refused at the door; we check
 * again).
 */
static int
path_ok(const char *a, int flags)
{
	struct smtp_path p;
	char w[SMTP_PATH_MAX + 3];
	size_t n = strlen(a), used;

	if (n > SMTP_PATH_MAX || a[0] == '-')
		return 0;
	w[0] = '<';
	memcpy(w + 1, a, n);
	w[n + 1] = '>';
	w[n + 2] = '\0';
	return smtp_path_parse(w, n + 2, flags | SMTP_PATH_UTF8, &p, &used) ==
	    SMTP_PARSE_OK &&
	    used == n + 2 && strcmp(p.addr, a) == 0;
}

/* Printable US-ASCII and space only (ENVID, RFC 3461 §4.4). */
static int
printable(const char *f)
{
	for (; *f != '\0'; f++)
		if ((unsigned char)*f < 0x20 || (unsigned char)*f > 0x7e)
			return 0;
	return 1;
}

/* No control characters (UTF-8 allowed): a value for the
   environment. */
static int
no_controls(const char *f)
{
	for (; *f != '\0'; f++)
		if ((unsigned char)*f < 0x20 || *f == 0x7f)
			return 0;
	return 1;
}

/* "" is "none" for the optional ones. */
static const char *
opt(const char *f)
{
	return f[0] == '\0' ? NULL : f;
}

/* What the parent collects of one delivery request. */
struct req {
	struct privsep_msg head; /* DELIVER: its fields stay here */
	char (*rcpt)[SMTP_PATH_MAX + 1];
	const char **rv;
	struct msmtpd_rdsn *rdsn;
	int *nv;
	const char **ov;
	size_t nrcpt, want;
};

static void
req_free(struct req *r)
{
	if (r->head.fd != -1)
		(void)close(r->head.fd);
	r->head.fd = -1;
	free(r->rcpt);
	free(r->rv);
	free(r->rdsn);
	free(r->nv);
	free(r->ov);
	r->rcpt = NULL;
	r->rv = NULL;
	r->rdsn = NULL;
	r->nv = NULL;
	r->ov = NULL;
	r->nrcpt = r->want = 0;
}

/* DELIVER: check the head.  0, or -1 (malformed). */
static int
req_begin(const struct msmtpd_conf *c, struct req *r, struct privsep_msg *m,
    const char *authed)
{
	struct stat st;
	long long n;
	const char *nr, *from;
	size_t k;

	if (m->n != PS_DELIVER_FIELDS || m->fd == -1 ||
	    fstat(m->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    field(m, 0, sizeof(((struct session *)0)->id) - 1) == NULL ||
	    (from = field(m, 1, SMTP_PATH_MAX)) == NULL ||
	    !path_ok(from, SMTP_PATH_REVERSE) || field(m, 2, 1) == NULL ||
	    (strcmp(m->field[2], "0") != 0 && strcmp(m->field[2], "1") != 0) ||
	    field(m, 3, NET_ADDRSTR_MAX - 1) == NULL ||
	    field(m, 4, SMTP_DOMAIN_MAX) == NULL ||
	    field(m, 5, SMTP_DOMAIN_MAX) == NULL ||
	    field(m, 6, SASL_FIELD_MAX) == NULL ||
	    field(m, 7, sizeof(((struct tls_info *)0)->protocol) - 1) == NULL ||
	    field(m, 8, sizeof(((struct tls_info *)0)->cipher) - 1) == NULL ||
	    (nr = field(m, 9, 10)) == NULL ||
	    util_parse_num(nr, 1, c->max_rcpt, 0, &n) == -1 ||
	    field(m, 10, 4) == NULL ||
	    (m->field[10][0] != '\0' && strcmp(m->field[10], "full") != 0 &&
		strcmp(m->field[10], "hdrs") != 0) ||
	    field(m, 11, SMTP_ENVID_MAX) == NULL || !printable(m->field[11]) ||
	    field(m, 12, MSMTPD_AUTH_ENV_MAX) == NULL ||
	    field(m, 13, MSMTPD_AUTH_AR_MAX) == NULL ||
	    !no_controls(m->field[13]))
		return -1;
	/* DSN parameters only where DSN is offered (session.c). */
	if ((m->field[10][0] != '\0' || m->field[11][0] != '\0') &&
	    !session_dsn_offered(c))
		return -1;
	/* Relaying and the AUTH_USER the command sees need a login this
	   process approved: a subverted session cannot claim one. */
	if ((strcmp(m->field[2], "1") == 0 || m->field[6][0] != '\0') &&
	    (authed[0] == '\0' || strcmp(m->field[6], authed) != 0))
		return -1;
	r->head = *m;
	for (k = 0; k < m->n; k++)
		r->head.field[k] = r->head.buf + (m->field[k] - m->buf);
	m->fd = -1; /* r->head has it now */
	r->want = (size_t)n;
	r->nrcpt = 0;
	if ((r->rcpt = calloc(r->want, sizeof(*r->rcpt))) == NULL ||
	    (r->rv = calloc(r->want + 1, sizeof(*r->rv))) == NULL ||
	    (r->rdsn = calloc(r->want, sizeof(*r->rdsn))) == NULL ||
	    (r->nv = calloc(r->want, sizeof(*r->nv))) == NULL ||
	    (r->ov = calloc(r->want, sizeof(*r->ov))) == NULL)
		return -1;
	return 0;
}

/* RCPT: one recipient, a valid forward-path, not an option; its
   NOTIFY (NEVER alone, RFC 3461 §4.1) and ORCPT (§4.2), only where DSN
   is offered. */
static int
req_rcpt(const struct msmtpd_conf *c, struct req *r,
    const struct privsep_msg *m)
{
	const char *a, *nf, *o;
	long long n;

	if (r->rcpt == NULL || r->nrcpt == r->want ||
	    m->n != PS_RCPT_FIELDS || m->fd != -1 ||
	    (a = field(m, 0, SMTP_PATH_MAX)) == NULL || a[0] == '\0' ||
	    !path_ok(a, SMTP_PATH_FORWARD) || (nf = field(m, 1, 2)) == NULL ||
	    util_parse_num(nf, 0, SMTP_NOTIFY_NEVER | SMTP_NOTIFY_SUCCESS |
		SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, 0, &n) == -1 ||
	    ((n & SMTP_NOTIFY_NEVER) && n != SMTP_NOTIFY_NEVER) ||
	    (o = field(m, 2, SMTP_ORCPT_MAX)) == NULL ||
	    (o[0] != '\0' && !smtp_orcpt_valid(o, strlen(o))) ||
	    ((n != 0 || o[0] != '\0') && !session_dsn_offered(c)))
		return -1;
	util_strlcpy(r->rcpt[r->nrcpt], a, sizeof(r->rcpt[0]));
	r->rv[r->nrcpt] = r->rcpt[r->nrcpt];
	r->rdsn[r->nrcpt].notify = (int)n;
	util_strlcpy(r->rdsn[r->nrcpt].orcpt, o, sizeof(r->rdsn[0].orcpt));
	r->nv[r->nrcpt] = (int)n;
	r->ov[r->nrcpt] = r->rdsn[r->nrcpt].orcpt;
	r->nrcpt++;
	return 0;
}

/* GO: run it and answer. */
static int
req_go(const struct msmtpd_conf *c, struct req *r, int ps)
{
	const struct privsep_msg *h = &r->head;
	struct deliv d;
	char cmd_err[MSMTPD_CMD_ERR_MAX + 1], num[8];
	const char *f[2];
	int st;

	if (r->rcpt == NULL || r->nrcpt != r->want)
		return -1;
	memset(&d, 0, sizeof(d));
	d.id = h->field[0];
	d.from = h->field[1];
	d.relay = h->field[2][0] == '1';
	d.addr = h->field[3];
	d.host = h->field[4];
	d.helo = h->field[5];
	d.auth_user = opt(h->field[6]);
	d.tls_protocol = opt(h->field[7]);
	d.tls_cipher = opt(h->field[8]);
	if (d.tls_cipher == NULL)
		d.tls_cipher = "";
	d.rcpt = r->rv;
	d.notify = r->nv;
	d.orcpt = r->ov;
	d.nrcpt = r->nrcpt;
	d.ret = strcmp(h->field[10], "full") == 0 ? SMTP_RET_FULL
	    : strcmp(h->field[10], "hdrs") == 0	  ? SMTP_RET_HDRS
						  : SMTP_RET_NONE;
	d.envid = h->field[11];
	d.auth_env = h->field[12];
	d.auth_ar = h->field[13];
	d.spool = h->fd;
	if (lseek(d.spool, 0, SEEK_SET) == -1) {
		log_err(c->log, "%s: spool: %s", d.id, strerror(errno));
		st = EX_TEMPFAIL;
		cmd_err[0] = '\0';
	} else
		st = run_command(c, &d, cmd_err);
	(void)snprintf(num, sizeof(num), "%d", st & 0xff);
	f[0] = num;
	f[1] = cmd_err;
	req_free(r);
	return privsep_send(ps, PS_RESULT, -1, 2, f);
}

/* AUTH: check, wait the delay after a failure, answer. */
static int
auth_answer(const struct msmtpd_conf *c, const struct privsep_msg *m, int ps,
    int *failures, char *authed, size_t authedlen)
{
	struct passwd_entry e;
	const char *user, *pass;
	char er[ERR_MAX];
	int rc, type;

	if (m->n != 2 || m->fd != -1 || c->passwd_file == NULL ||
	    (user = privsep_field(m, 0, SASL_FIELD_MAX)) == NULL ||
	    (pass = privsep_field(m, 1, SASL_FIELD_MAX)) == NULL)
		return -1;
	/* No more guesses than a session may make (policy.c). */
	rc = *failures >= MSMTPD_AUTH_FAILS_MAX
	    ? 0
	    : passwd_check(c->passwd_file, user, pass, &e, er, sizeof(er));
	util_wipe(&e, sizeof(e));
	if (rc == 1) {
		type = PS_AUTH_OK;
		util_strlcpy(authed, user, authedlen);
	}
	else if (rc == 0) {
		/* The session's backoff (common/login.h), kept here. */
		(*failures)++;
		(void)util_sleep_ms(
		    login_backoff_ms(c->auth_delay_ms, *failures),
		    server_terminating);
		type = PS_AUTH_NO;
	} else {
		log_err(c->log, "passwd-file: %s", er);
		type = PS_AUTH_TEMP;
	}
	return privsep_send(ps, (uint32_t)type, -1, 0, NULL);
}

/* The spool, made here so that the session needs no writable directory. */
static int
make_spool(const struct msmtpd_conf *c)
{
	char err[ERR_MAX];
	int fd;

	if ((fd = util_spool_open(PROG, err, sizeof(err))) == -1)
		log_err(c->log, "spool: %s", err);
	return fd;
}

/* What the parent knows of the connection being served. */
struct conn {
	struct req r;
	char authed[SASL_FIELD_MAX + 1]; /* the login we approved */
	int failures; /* failed logins */
	int status; /* the session's, from DONE (pool) */
};

static void
conn_begin(struct conn *k)
{
	memset(k, 0, sizeof(*k));
	k->r.head.fd = -1;
}

/*
 * Answer the session's requests for one connection.  1 when the session
 * said DONE (pool; k->status), 0 when it went away, -1 when it sent
 * something malformed (logged).
 */
static int
parent_loop(const struct msmtpd_conf *c, int ps, pid_t pid, int *termed,
    struct conn *k)
{
	struct privsep_msg m;
	const char *f;
	long long v;
	uint32_t type;
	int rc, ret = 0;

	for (;;) {
		/* On SIGTERM the session answers 421 and ends. */
		rc = privsep_next(ps, &m, pid, termed);
		if (rc == 0)
			break;
		if (rc == -1) {
			log_err(
			    c->log, "privsep: session: %s", strerror(errno));
			ret = -1;
			break;
		}
		switch (m.type) {
		case PS_DELIVER:
			req_free(&k->r);
			rc = req_begin(c, &k->r, &m, k->authed);
			break;
		case PS_RCPT: rc = req_rcpt(c, &k->r, &m); break;
		case PS_GO: rc = req_go(c, &k->r, ps); break;
		case PS_AUTH:
			rc = auth_answer(c, &m, ps, &k->failures, k->authed,
			    sizeof(k->authed));
			break;
		case PS_DONE:
			rc = m.n == 1 && m.fd == -1 &&
				(f = privsep_field(&m, 0, 3)) != NULL &&
				util_parse_num(f, 0, 255, 0, &v) == 0
			    ? 1
			    : -1;
			if (rc == 1)
				k->status = (int)v;
			break;
		default: rc = -1; break;
		}
		type = m.type;
		if (m.fd != -1)
			(void)close(m.fd);
		util_wipe(&m, sizeof(m));
		if (rc == -1) {
			log_err(c->log,
			    "privsep: malformed request from the session");
			ret = -1;
			break;
		}
		if (type == PS_DONE) {
			ret = 1;
			break;
		}
	}
	req_free(&k->r);
	util_wipe(k->authed, sizeof(k->authed));
	return ret;
}

/* Pool: the session process, serving the connections the parent passes
   on until it closes the channel or SIGTERM. */
static int
pool_session(const struct msmtpd_conf *c, int ps)
{
	struct privsep_msg m;
	char num[8];
	const char *f[1];
	int rc, st;

	for (;;) {
		if (server_terminating())
			return 0;
		rc = privsep_recv(ps, &m, -1);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc == 0 ? 0 : 1;
		if (m.type != PS_CONN || m.fd == -1) {
			if (m.fd != -1)
				(void)close(m.fd);
			log_err(c->log, "privsep: unexpected message");
			return 1;
		}
		st = session_run(c, m.fd, m.fd);
		(void)close(m.fd);
		(void)snprintf(num, sizeof(num), "%d", st & 0xff);
		f[0] = num;
		if (send_fields(c, PS_DONE, -1, 1, f) == -1)
			return 1;
	}
}

/*
 * The privileged parent's start: the spool, and the session forked as
 * the unprivileged user, serving rfd/wfd, or with pool the connections
 * the parent passes on (the listener's channel, chan, is not the
 * session's).  The session's pid, or -1 (logged).
 */
static pid_t
parent_start(const struct msmtpd_conf *c, const struct privsep_id *id,
    int rfd, int wfd, int pool, int chan, int *ps)
{
	struct msmtpd_conf sc;
	char er[ERR_MAX];
	pid_t pid;
	int spool;

	if ((spool = make_spool(c)) == -1)
		return -1;
	if ((pid = privsep_fork(id, c->log, ps, er, sizeof(er))) == -1) {
		log_err(c->log, "%s", er);
		close(spool);
		return -1;
	}
	if (pid == 0) {
		/* The session: SMTP, TLS and SASL, never as root. */
		sc = *c;
		sc.privsep = 1;
		sc.ps_fd = *ps;
		sc.spool_fd = spool;
		if (chan != -1)
			(void)close(chan);
		_exit(pool ? pool_session(&sc, *ps)
			   : session_run(&sc, rfd, wfd));
	}
	(void)close(spool);
	return pid;
}

/* The end: no more requests; the session's exit status. */
static int
parent_end(int ps, pid_t pid, int bad, int termed)
{
	pid_t w;
	int st = 0;

	(void)close(ps);
	if (bad)
		(void)kill(pid, SIGKILL);
	while ((w = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
		if (server_terminating() && !termed) {
			(void)kill(pid, SIGTERM);
			termed = 1;
		}
	return w == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int
deliver_parent(
    const struct msmtpd_conf *c, const struct privsep_id *id, int rfd, int wfd)
{
	struct conn k;
	pid_t pid;
	int ps, rc, termed = 0;

	if ((pid = parent_start(c, id, rfd, wfd, 0, -1, &ps)) == -1)
		return 1;
	/* The network is the session's: keep no copy. */
	privsep_forget_net(rfd, wfd);
	conn_begin(&k);
	/* A DONE is not expected here: the session just ends. */
	rc = parent_loop(c, ps, pid, &termed, &k);
	/* The session's status: how it ended and its failed logins, for
	   the listener (server_exit_status). */
	return parent_end(ps, pid, rc != 0, termed);
}

int
deliver_parent_pool(
    const struct msmtpd_conf *c, const struct privsep_id *id, int chan)
{
	struct conn k;
	const char *f[1] = {""};
	pid_t pid;
	int ps, fd, rc = 0, termed = 0;

	if ((pid = parent_start(c, id, -1, -1, 1, chan, &ps)) == -1)
		return 1;
	while (server_take(chan, &fd) == 1) {
		/* A new client: nothing of the last one's login stays. */
		conn_begin(&k);
		rc = privsep_send(ps, PS_CONN, fd, 1, f);
		(void)close(fd);
		if (rc == -1) {
			log_err(c->log, "privsep: session: %s",
			    strerror(errno));
			(void)server_done(chan, 1);
			break;
		}
		rc = parent_loop(c, ps, pid, &termed, &k);
		(void)server_done(chan, rc == 1 ? k.status : 1);
		if (rc != 1)
			break;
	}
	(void)close(chan);
	(void)parent_end(ps, pid, rc == -1, termed);
	return 0;
}
