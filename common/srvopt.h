/*
 * srvopt.h: the options every server has (msmtpd, mpop serve, mimap
 * serve), parsed once: --inetd / --listen, TLS, the passwd-file, the
 * listener's limits, the session's timeouts and the log.  The program
 * concatenates srvopt's getopt_long entries with its own
 * (srvopt_longopts), offers every option character to srvopt_take
 * first and handles what it leaves, then calls srvopt_check.  The
 * library never prints or exits: errors come back as one line for the
 * program's "PROG: " prefix, e.g.
 * "--timeout 0: not a number in [1, 86400]".
 */
#ifndef YUBIN_SRVOPT_H
#define YUBIN_SRVOPT_H

#include <getopt.h>
#include <stddef.h>

#include "bounds.h"
#include "server.h"

/* Defaults and bounds (the idle timeout's default is the protocol's,
   given to srvopt_init: RFC 5321 §4.5.3.2.7, RFC 1939 §3). */
#define SRVOPT_CLIENTS_DEFAULT	20	/* --max-clients */
#define SRVOPT_ERRORS_DEFAULT	10	/* --max-errors */
#define SRVOPT_ERRORS_MAX	1000
#define SRVOPT_TIMEOUT_MAX	86400	/* --timeout, --max-session-time */
#define SRVOPT_AUTH_DELAY_DEFAULT 1000	/* --auth-delay, milliseconds */
#define SRVOPT_AUTH_DELAY_MAX	60000
#define SRVOPT_GRACE_DEFAULT	10	/* --grace, seconds */
#define SRVOPT_GRACE_MAX	3600
/* Room for the usage text. */
#define SRVOPT_USAGE_MAX	2048
/* Room for srvopt's entries, a program's own and the terminator. */
#define SRVOPT_LONGOPTS_MAX	64

/* getopt_long values of the shared options (above any program's). */
enum srvopt_id {
	SRVOPT_INETD = 0x1000,
	SRVOPT_LISTEN,
	SRVOPT_CERT,
	SRVOPT_KEY,
	SRVOPT_ONCONNECT,
	SRVOPT_PLAINAUTH,
	SRVOPT_PASSWD,
	SRVOPT_MAXCLIENTS,
	SRVOPT_PERADDR,
	SRVOPT_MAXERRORS,
	SRVOPT_TIMEOUT,
	SRVOPT_LIFETIME,
	SRVOPT_AUTHDELAY,
	SRVOPT_LOG,
	SRVOPT_NORESOLVE,
	SRVOPT_GRACE,
	SRVOPT_USER,
	SRVOPT_HOSTNAME,
	SRVOPT_END
};
/* A bit of srvopt.omit: the program does not offer that option. */
#define SRVOPT_BIT(id)	(1UL << ((id) - SRVOPT_INETD))

/* srvopt_init flags. */
#define SRVOPT_MODE_REQUIRED 0x1 /* one of --inetd, --listen (msmtpd) */

struct srvopt {
	unsigned int flags;
	unsigned long omit;	/* SRVOPT_BIT()s left out of the table */
	int inetd;		/* the protocol on fd 0/1 */
	const char *listen;	/* ADDR:PORT, or NULL */
	const char *cert, *key;	/* both or neither */
	int tls_on_connect;
	int allow_plain_auth;
	const char *passwd_file;
	int max_clients;	/* --listen: sessions at once */
	int max_per_addr;	/* --listen: sessions from one address */
	int max_errors;
	int timeout;		/* seconds idle */
	int timeout_default;	/* the protocol's, for the usage */
	int lifetime;		/* seconds for a whole session; 0: none */
	int auth_delay_ms;
	const char *log;	/* "stderr", "syslog", or NULL */
	int resolve;		/* reverse DNS of the peer */
	int grace;		/* --listen: seconds after SIGTERM */
	const char *user;	/* privsep: the unprivileged user */
	const char *hostname;	/* NULL: the program asks util_hostname */
};

/* The defaults; timeout is the protocol's idle timeout in seconds. */
void	srvopt_init(struct srvopt *so, int timeout, unsigned int flags);

/*
 * Fill out[cap] with srvopt's entries (but those in so->omit), then
 * own's up to its {NULL, 0, NULL, 0}, then the terminator.  -h/--help
 * and -V/--version are srvopt's entries too ('h', 'V'), for the
 * program to answer.  0, or -1 when cap is too small.
 */
int	srvopt_longopts(const struct srvopt *so, const struct option *own,
	    struct option *out, size_t cap);

/*
 * One option from getopt_long: 1 taken, 0 not srvopt's (the program's,
 * 'h', 'V', '?'), -1 a bad value (err says why).
 */
int	srvopt_take(struct srvopt *so, int ch, const char *arg, char *err,
	    size_t errlen);

/*
 * After the last option: the cross-checks (cert and key together,
 * --tls-on-connect needs them, --inetd or --listen), then the
 * passwd-file readable.  0, or EX_USAGE or EX_CONFIG with err.
 */
int	srvopt_check(const struct srvopt *so, char *err, size_t errlen);

/*
 * A number in [min, max] (with suffix: K, M or G, util_parse_num) for
 * the option opt, with the one message all servers give:
 * "--opt VALUE: not a number in [MIN, MAX]".  0 or -1.
 */
int	srvopt_num(const char *opt, const char *s, long long min,
	    long long max, int suffix, long long *out, char *err,
	    size_t errlen);

/* The usage lines of the options offered (one text for every server),
   with their defaults, into buf[len] (SRVOPT_USAGE_MAX is room for all).
   Returns buf. */
const char *srvopt_usage(const struct srvopt *so, char *buf, size_t len);

/* Log to syslog?  --log, else dflt (the program's: under inetd stderr
   may be the client's socket). */
int	srvopt_syslog(const struct srvopt *so, int dflt);

/*
 * The session's settings into a program's conf c whose fields are named
 * alike (msmtpd_conf, serve_conf).
 */
#define SRVOPT_SESSION_SET(c, so) do {					\
	(c)->tls_on_connect = (so)->tls_on_connect;			\
	(c)->allow_plain_auth = (so)->allow_plain_auth;			\
	(c)->timeout = (so)->timeout;					\
	(c)->max_errors = (so)->max_errors;				\
	(c)->auth_delay_ms = (so)->auth_delay_ms;			\
	(c)->resolve = (so)->resolve;					\
	(c)->hostname = (so)->hostname;					\
	(c)->passwd_file = (so)->passwd_file;				\
} while (0)

/*
 * The listener from the settings: srv is cleared, then hostport,
 * max_children, max_per_addr and grace set; the protocol's lines
 * (CRLF included) for busy, busy from one address and banned.  The
 * caller sets log, ready, serve and arg.
 */
void	srvopt_server(const struct srvopt *so, struct server *srv,
	    const char *busy, const char *busy_addr, const char *banned);

#endif
