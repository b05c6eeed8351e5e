/*
 * srvopt.c: the options every server has, parsed once (srvopt.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "privsep.h"
#include "smtp.h"
#include "srvopt.h"
#include "util.h"

/* A number option: its bounds and its field. */
#define NUM(lo, hi, field) 1, lo, hi, offsetof(struct srvopt, field)
#define NONUM 0, 0, 0, 0

static const struct def {
	const char *name;
	int has_arg;
	int id;
	const char *arg;	/* in the usage line */
	const char *text;	/* numbers: " (default N)" follows */
	int num;		/* 1: an int in [min, max] at off */
	long long min, max;
	size_t off;
} defs[] = {
    {"inetd", no_argument, SRVOPT_INETD, NULL,
	"the protocol on stdin/stdout (inetd, systemd, ssh)", NONUM},
    {"listen", required_argument, SRVOPT_LISTEN, "ADDR:PORT",
	"listen, one process per connection", NONUM},
    {"tls-cert", required_argument, SRVOPT_CERT, "FILE",
	"certificate chain (PEM), with --tls-key: STARTTLS/STLS", NONUM},
    {"tls-key", required_argument, SRVOPT_KEY, "FILE",
	"its private key (PEM)", NONUM},
    {"tls-on-connect", no_argument, SRVOPT_ONCONNECT, NULL,
	"TLS from the first byte (ports 465, 995, 993)", NONUM},
    {"allow-plain-auth", no_argument, SRVOPT_PLAINAUTH, NULL,
	"passwords accepted without TLS", NONUM},
    {"passwd-file", required_argument, SRVOPT_PASSWD, "FILE",
	"users: user:HASH:uid:gid:maildir", NONUM},
    {"max-clients", required_argument, SRVOPT_MAXCLIENTS, "N",
	"--listen: sessions at once",
	NUM(1, SERVER_CHILDREN_MAX, max_clients)},
    {"max-per-address", required_argument, SRVOPT_PERADDR, "N",
	"--listen: sessions from one address",
	NUM(1, SERVER_CHILDREN_MAX, max_per_addr)},
    {"max-errors", required_argument, SRVOPT_MAXERRORS, "N",
	"errors before disconnect",
	NUM(1, SRVOPT_ERRORS_MAX, max_errors)},
    {"timeout", required_argument, SRVOPT_TIMEOUT, "S",
	"idle seconds before disconnect",
	NUM(1, SRVOPT_TIMEOUT_MAX, timeout)},
    {"max-session-time", required_argument, SRVOPT_LIFETIME, "S",
	"a whole session, 0: no limit",
	NUM(0, SRVOPT_TIMEOUT_MAX, lifetime)},
    {"auth-delay", required_argument, SRVOPT_AUTHDELAY, "MS",
	"delay before a failed login's answer",
	NUM(0, SRVOPT_AUTH_DELAY_MAX, auth_delay_ms)},
    {"log", required_argument, SRVOPT_LOG, "stderr|syslog",
	"where to log (default: syslog unless --listen)", NONUM},
    {"no-resolve", no_argument, SRVOPT_NORESOLVE, NULL,
	"no reverse DNS for the peer", NONUM},
    {"grace", required_argument, SRVOPT_GRACE, "S",
	"--listen: time sessions get after SIGTERM",
	NUM(0, SRVOPT_GRACE_MAX, grace)},
    {"user", required_argument, SRVOPT_USER, "NAME",
	"as root: the network side runs as NAME", NONUM},
    {"hostname", required_argument, SRVOPT_HOSTNAME, "NAME",
	"this host's name in the greeting", NONUM},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const struct option help_version[] = {
    {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
};

void
srvopt_init(struct srvopt *so, int timeout, unsigned int flags)
{
	memset(so, 0, sizeof(*so));
	so->flags = flags;
	so->max_clients = SRVOPT_CLIENTS_DEFAULT;
	so->max_per_addr = SERVER_PER_ADDR_DEFAULT;
	so->max_errors = SRVOPT_ERRORS_DEFAULT;
	so->timeout = so->timeout_default = timeout;
	so->lifetime = SESSION_LIFETIME_DEFAULT;
	so->auth_delay_ms = SRVOPT_AUTH_DELAY_DEFAULT;
	so->resolve = 1;
	so->grace = SRVOPT_GRACE_DEFAULT;
}

static int
offered(const struct srvopt *so, int id)
{
	return (so->omit & SRVOPT_BIT(id)) == 0;
}

int
srvopt_longopts(const struct srvopt *so, const struct option *own,
    struct option *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < NDEFS; i++) {
		if (!offered(so, defs[i].id))
			continue;
		if (n + 1 >= cap)
			return -1;
		out[n].name = defs[i].name;
		out[n].has_arg = defs[i].has_arg;
		out[n].flag = NULL;
		out[n++].val = defs[i].id;
	}
	for (i = 0; i < 2; i++) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = help_version[i];
	}
	for (; own != NULL && own->name != NULL; own++) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *own;
	}
	memset(&out[n], 0, sizeof(out[n]));
	return 0;
}

int
srvopt_num(const char *opt, const char *s, long long min, long long max,
    int suffix, long long *out, char *err, size_t errlen)
{
	if (util_parse_num(s, min, max, suffix, out) == 0)
		return 0;
	util_seterr(err, errlen, "%s %s: not a number in [%lld, %lld]",
	    opt, s, min, max);
	return -1;
}

static const struct def *
find_def(int id)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (defs[i].id == id)
			return &defs[i];
	return NULL;
}

static int *
num_field(struct srvopt *so, const struct def *d)
{
	return (int *)(void *)((char *)so + d->off);
}

static int
take_num(struct srvopt *so, const struct def *d, const char *arg,
    char *err, size_t errlen)
{
	char opt[32];
	long long v;

	(void)snprintf(opt, sizeof(opt), "--%s", d->name);
	if (srvopt_num(opt, arg, d->min, d->max, 0, &v, err, errlen) == -1)
		return -1;
	*num_field(so, d) = (int)v;
	return 0;
}

int
srvopt_take(struct srvopt *so, int ch, const char *arg, char *err,
    size_t errlen)
{
	const struct def *d;

	if (ch < SRVOPT_INETD || ch >= SRVOPT_END ||
	    (d = find_def(ch)) == NULL)
		return 0;
	if (d->num)
		return take_num(so, d, arg, err, errlen) == 0 ? 1 : -1;
	switch (ch) {
	case SRVOPT_INETD: so->inetd = 1; break;
	case SRVOPT_LISTEN: so->listen = arg; break;
	case SRVOPT_CERT: so->cert = arg; break;
	case SRVOPT_KEY: so->key = arg; break;
	case SRVOPT_ONCONNECT: so->tls_on_connect = 1; break;
	case SRVOPT_PLAINAUTH: so->allow_plain_auth = 1; break;
	case SRVOPT_PASSWD: so->passwd_file = arg; break;
	case SRVOPT_NORESOLVE: so->resolve = 0; break;
	case SRVOPT_USER: so->user = arg; break;
	case SRVOPT_LOG:
		if (strcmp(arg, "stderr") != 0 && strcmp(arg, "syslog") != 0) {
			util_seterr(err, errlen,
			    "--log %s: stderr or syslog", arg);
			return -1;
		}
		so->log = arg;
		break;
	case SRVOPT_HOSTNAME:
		/* In greetings and Received: a domain (RFC 5321 §4.1.2). */
		if (!smtp_domain_valid(arg, strlen(arg), 0)) {
			util_seterr(err, errlen,
			    "--hostname %s: not a domain", arg);
			return -1;
		}
		so->hostname = arg;
		break;
	}
	return 1;
}

int
srvopt_check(const struct srvopt *so, char *err, size_t errlen)
{
	if (so->inetd && so->listen != NULL) {
		util_seterr(err, errlen,
		    "--inetd and --listen exclude each other");
		return EX_USAGE;
	}
	if ((so->flags & SRVOPT_MODE_REQUIRED) && !so->inetd &&
	    so->listen == NULL) {
		util_seterr(err, errlen,
		    "give one of --inetd or --listen ADDR:PORT");
		return EX_USAGE;
	}
	if ((so->cert == NULL) != (so->key == NULL)) {
		util_seterr(err, errlen,
		    "--tls-cert and --tls-key go together");
		return EX_USAGE;
	}
	if (so->tls_on_connect && so->cert == NULL) {
		util_seterr(err, errlen,
		    "--tls-on-connect needs --tls-cert and --tls-key");
		return EX_USAGE;
	}
	if (so->passwd_file != NULL && access(so->passwd_file, R_OK) == -1) {
		util_seterr(err, errlen, "%s: %s", so->passwd_file,
		    strerror(errno));
		return EX_CONFIG;
	}
	return 0;
}

const char *
srvopt_usage(const struct srvopt *so, char *buf, size_t len)
{
	struct srvopt dflt;
	struct buf b;
	char left[40];
	size_t i;

	srvopt_init(&dflt, so->timeout_default, so->flags);
	buf_init(&b, len > 0 ? len - 1 : 0);
	for (i = 0; i < NDEFS; i++) {
		const struct def *d = &defs[i];

		if (!offered(so, d->id))
			continue;
		(void)snprintf(left, sizeof(left), "--%s%s%s", d->name,
		    d->arg != NULL ? " " : "", d->arg != NULL ? d->arg : "");
		(void)buf_printf(&b, "  %-22s %s", left, d->text);
		if (d->num)
			(void)buf_printf(&b, " (default %d)",
			    *num_field(&dflt, d));
		if (d->id == SRVOPT_USER)
			(void)buf_printf(&b, "\n  %-22s (default %s, else %s)",
			    "", PRIVSEP_USER, PRIVSEP_USER_FALLBACK);
		(void)buf_putc(&b, '\n');
	}
	(void)buf_puts(&b, "  -h, --help  -V, --version\n");
	(void)util_strlcpy(buf, buf_cstr(&b), len);
	buf_free(&b);
	return buf;
}

int
srvopt_syslog(const struct srvopt *so, int dflt)
{
	if (so->log == NULL)
		return dflt;
	return strcmp(so->log, "syslog") == 0;
}

void
srvopt_server(const struct srvopt *so, struct server *srv, const char *busy,
    const char *busy_addr, const char *banned)
{
	memset(srv, 0, sizeof(*srv));
	srv->hostport = so->listen;
	srv->max_children = so->max_clients;
	srv->max_per_addr = so->max_per_addr;
	srv->grace = so->grace;
	srv->busy_line = busy;
	srv->busy_addr_line = busy_addr;
	srv->banned_line = banned;
}
