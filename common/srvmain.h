/*
 * srvmain.h: what `mpop serve' and `mimap serve' do before and around
 * their sessions, written once: the option loop over srvopt with the
 * options both have (--preauth, --maildir, -v), the checks between
 * them, the unprivileged user (privsep), the host name, the log, the
 * TLS credentials, --preauth as root becoming the Maildir's owner, and
 * then one session on fd 0/1 (inetd, ssh) or the --listen listener,
 * each session as the program's session function or, started as root,
 * behind loginsrv's privileged parent.
 *
 * The program keeps its own options (srvmain.own, srvmain.option), its
 * usage text (srvmain.usage, mostly srvmain_usage's), its protocol's
 * "too many" lines and its session callbacks.  The library never
 * prints or exits: the usage goes out through the program's usage
 * callback, -V through util_version as in every program, and errors
 * come back as one line for the program's "PROG: " prefix.  In the
 * program:
 *
 *	srvmain_init(&m, PROG, timeout);	m.own = ...; m.session = ...
 *	if (srvmain_start(&m, argc, argv, &code, err, sizeof(err)) == -1)
 *		print err unless it is "", and exit with code;
 *	SRVMAIN_CONF_SET(&conf, &m);
 *	return srvmain_serve(&m);
 */
#ifndef YUBIN_SRVMAIN_H
#define YUBIN_SRVMAIN_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "bounds.h"
#include "log.h"
#include "loginsrv.h"
#include "privsep.h"
#include "srvopt.h"

struct tls_server;

struct srvmain {
	/* The program's, set after srvmain_init. */
	const char *prog;		/* the log's first word */
	const struct option *own;	/* its own options, or NULL */
	/*
	 * One of own's options (val its argument): 1 taken, 0 not the
	 * program's (unknown), -1 a bad value (err says why: EX_USAGE).
	 */
	int (*option)(void *arg, int ch, const char *val, char *err,
	    size_t errlen);
	/* The program's usage text on fp (-h: stdout; a bad option:
	   stderr, before err), srvopt_usage's lines included. */
	void (*usage)(FILE *fp, const struct srvopt *so);
	/* The protocol's refusals, CRLF included (srvopt_server). */
	const char *busy_line, *busy_addr_line, *banned_line;
	/* A session on rfd/wfd without privilege separation. */
	int (*session)(void *arg, int rfd, int wfd);
	/* Started as root: loginsrv's login and post callbacks, and the
	   longest password a login request may carry. */
	int (*login)(void *arg, int ps, int rfd, int wfd);
	int (*post)(void *arg, const struct passwd_entry *e, int fd,
	    const struct loginsrv_peer *peer);
	size_t pass_max;
	void *arg;			/* the session's conf */

	/* srvmain's: the options, and what srvmain_setup made of them. */
	struct srvopt so;
	int preauth;			/* --preauth */
	const char *maildir;		/* --maildir, or NULL */
	int trace;			/* -v */
	const char *hostname;		/* --hostname or this host's */
	struct log log;
	struct tls_server *tls;		/* NULL: no TLS */
	int privsep;			/* started as root: id is the login */
	struct privsep_id id;
	char host[DNS_NAME_MAX + 1];
};

/* Room for srvmain_usage's text. */
#define SRVMAIN_USAGE_MAX	(SRVOPT_USAGE_MAX + 1024)

/* Clear m; timeout is the protocol's idle timeout (srvopt_init). */
void	srvmain_init(struct srvmain *m, const char *prog, int timeout);

/*
 * The command line after "serve" (argv[0]): getopt_long over srvopt's
 * options, srvmain's and m->own; then the checks (--preauth or
 * --passwd-file, srvopt's, --user), the privsep user when started as
 * root, the host name, the log (syslog under inetd: stderr may be the
 * client's socket), the TLS credentials, SIGPIPE ignored, and --preauth
 * as root becoming the Maildir's owner.  0 to serve; -1 to exit with
 * *code, after the program prints err unless it is "" (-h, -V).
 */
int	srvmain_start(struct srvmain *m, int argc, char **argv, int *code,
	    char *err, size_t errlen);

/*
 * The usage text of "PROG serve" into buf[len] (SRVMAIN_USAGE_MAX is
 * room for it), for the program's usage callback: the two synopses,
 * what (one line saying what the server is, without its newline),
 * srvmain's options with own (the program's own options' lines, each
 * ending in a newline; "" for none) before -v, then srvopt_usage's
 * lines of the options every server takes.  Returns buf.
 */
const char *srvmain_usage(const struct srvopt *so, const char *prog,
	    const char *what, const char *own, char *buf, size_t len);

/*
 * Serve: one session on fd 0/1 (its status is not the exit code: 0),
 * or listen until SIGTERM (server_run's code).  Frees the TLS
 * credentials.
 */
int	srvmain_serve(struct srvmain *m);

/*
 * srvmain's settings into a session conf c whose fields are named alike
 * (serve_conf, imapd_conf), srvopt's session settings included.
 */
#define SRVMAIN_CONF_SET(c, m) do {					\
	SRVOPT_SESSION_SET((c), &(m)->so);				\
	(c)->lifetime = (m)->so.lifetime;				\
	(c)->preauth = (m)->preauth;					\
	(c)->maildir = (m)->maildir;					\
	(c)->hostname = (m)->hostname;					\
	(c)->log = &(m)->log;						\
	(c)->tls = (m)->tls;						\
} while (0)

#endif
