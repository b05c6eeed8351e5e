/*
 * smtp_client.h: the SMTP client engine (RFC 5321), after OpenSMTPD's
 * smtp_client.c and msmtp's smtp.h.  A session is a sequence of
 * explicit phases that the caller runs in order over a connection it
 * made itself (net):
 *
 *   smtp_client_init       the session over a connected fd
 *   smtp_client_greeting   TLS first when on-connect (RFC 8314), the 220
 *   smtp_client_ehlo       EHLO, or HELO from a server without EHLO
 *   smtp_client_starttls   STARTTLS (RFC 3207) as opts->tls says
 *   smtp_client_open       the three above, and EHLO again after TLS
 *   smtp_client_auth       AUTH (RFC 4954) through common/sasl
 *   smtp_client_txn        one transaction: MAIL, RCPT for each
 *                          recipient, DATA or BDAT (RFC 3030), with or
 *                          without PIPELINING (RFC 2920), the final reply
 *   smtp_client_rset       before each further transaction
 *   smtp_client_quit       QUIT, unless the link failed
 *   smtp_client_close      free the session (the fd stays the caller's)
 *
 * Several transactions may run on one session, RSET between them.  A
 * failure carries a class (err.h) in c->err; each recipient gets its
 * own result.  The engine never prints or exits: notes and the protocol
 * trace go to opts->log when the caller gives one.
 */
#ifndef YUBIN_SMTP_CLIENT_H
#define YUBIN_SMTP_CLIENT_H

#include <stddef.h>

#include "err.h"
#include "io.h"
#include "log.h"
#include "sasl.h"
#include "smtp.h"
#include "tls.h"

enum smtp_client_tls {
	SMTP_CLIENT_TLS_OFF = 0,
	SMTP_CLIENT_TLS_STARTTLS,	/* required unless tls_optional */
	SMTP_CLIENT_TLS_ON_CONNECT	/* TLS from the first byte */
};

struct smtp_client_opts {
	const char	*host;		/* the server's name: TLS name check,
					   OAUTHBEARER host=, messages */
	int		 port;		/* OAUTHBEARER port=, 0: none */
	const char	*ehlo;		/* our name for EHLO and HELO */
	int		 no_helo;	/* no HELO when EHLO is refused */
	enum smtp_client_tls tls;
	int		 tls_optional;	/* STARTTLS not offered: go on in
					   clear (RFC 7435) */
	struct tls_client_opts tlso;	/* hostname NULL: host; fail is
					   the engine's */
	/* AUTH: mech SASL_MECH_NONE picks PLAIN, else LOGIN. */
	int		 auth;		/* 0: no AUTH */
	enum sasl_mech	 mech;
	const char	*user;
	int		 allow_plain_auth; /* AUTH over a clear connection */
	/*
	 * The secret (password or token), asked for only when AUTH goes
	 * ahead: 0, or -1 with e set.  The engine wipes out after use.
	 */
	int		(*secret)(void *arg, char *out, size_t outlen,
			    struct yerr *e);
	void		*secret_arg;
	int		 timeout_ms;	/* for each reply */
	int		 final_timeout_ms; /* the reply after the data
					   (RFC 5321 §4.5.3.2.6); 0: timeout_ms */
	int		 chunking;	/* BDAT when the server offers it */
	struct log	*log;		/* notes and trace; NULL: none */
};

/*
 * The message of a transaction.  write queues all of it to io with
 * CRLF line ends, dot-stuffed when dot (DATA), as is when not (BDAT;
 * exactly size bytes then).  The engine adds the final ".".  0, or -1
 * with err set.
 */
struct smtp_client_msg {
	unsigned long long size;	/* RFC 1870: CRLF, no stuffing */
	int		 eightbit;	/* BODY=8BITMIME when offered */
	int		(*write)(void *arg, struct io *io, int dot, char *err,
			    size_t errlen);
	void		*arg;
};

struct smtp_client_rcpt {
	const char	*addr;		/* in: the forward-path, no <> */
	int		 notify;	/* in: SMTP_NOTIFY_* (RFC 3461), 0 */
	const char	*orcpt;		/* in: the original recipient for
					   ORCPT (RFC 3461 §4.2), NULL: addr */
	const char	*orcpt_param;	/* in: ORCPT as received ("type;
					   xtext"), passed on identical (RFC
					   3461 §5.2.1 (d)), even without
					   NOTIFY; NULL: orcpt */
	/* Out: YERR_OK when accepted after the data, else the class; msg
	   is the reply that decided ("550 5.1.1 ...") or our reason. */
	struct yerr	 res;
	int		 code;		/* that reply's code, 0: none */
	int		 in_txn;	/* (the engine's) RCPT was accepted */
};

struct smtp_client_txn {
	const char	*from;		/* reverse-path, "" for <> */
	enum smtp_ret	 ret;		/* DSN RET= when offered */
	const char	*envid;		/* DSN ENVID=, NULL: none */
	const struct smtp_client_msg *msg;
	struct smtp_client_rcpt *rcpt;
	int		 nrcpt;		/* 1..SMTP_RCPT_MAX */
};

/* Why a phase would not go on, beyond the class: a caller's hint. */
enum smtp_client_stop {
	SMTP_CLIENT_STOP_NONE = 0,
	SMTP_CLIENT_STOP_NO_STARTTLS,	/* required, not offered */
	SMTP_CLIENT_STOP_CLEAR_AUTH,	/* AUTH without TLS, not allowed */
	SMTP_CLIENT_STOP_NO_USER,	/* AUTH without a user name */
	SMTP_CLIENT_STOP_NO_MECH	/* no mechanism we may use offered */
};

struct smtp_client {
	struct io	 io;
	struct smtp_reply reply;	/* the last reply read */
	struct smtp_ehlo ehlo;		/* offered, as of the last EHLO */
	const struct smtp_client_opts *o;
	struct tls_client_opts tlso;
	int		 helo;		/* the server took HELO, not EHLO */
	int		 dead;		/* the link failed: no more commands */
	int		 tls_failed;	/* a TLS handshake failed */
	int		 tls_fail;	/* its enum tls_fail */
	struct yerr	 err;		/* the last failure */
	enum smtp_client_stop stop;	/* set with some of them */
};

/* The class a reply means: 4xx temporary, 5xx permanent (X.1.1 no
   such user, X.1.2 no such host, RFC 3463), anything else protocol. */
enum yerr_class smtp_client_reply_class(const struct smtp_reply *r);

void	smtp_client_init(struct smtp_client *c, int fd,
	    const struct smtp_client_opts *o);
/*
 * The phases.  Each returns 0, or -1 with c->err set: c->reply.code is
 * the reply that refused, or 0 when the link failed.  c->dead after a
 * failed link or a 421 (RFC 5321 §3.8).
 */
int	smtp_client_greeting(struct smtp_client *c);
int	smtp_client_ehlo(struct smtp_client *c);
/*
 * With opts->tls STARTTLS: 0 when TLS is up, or when the server offers
 * no STARTTLS and opts->tls_optional (c->io.tls stays NULL); a failed
 * handshake sets c->tls_failed.  Other modes: 0, nothing done.  The
 * caller runs smtp_client_ehlo again after TLS (RFC 3207 §4.2).
 */
int	smtp_client_starttls(struct smtp_client *c);
int	smtp_client_open(struct smtp_client *c);
/* opts->auth 0: 0, nothing done. */
int	smtp_client_auth(struct smtp_client *c);
/*
 * One transaction.  Every recipient gets its result.  0 when the
 * session may go on (RSET, then another transaction), -1 when it is
 * over (c->err; recipients that had no reply of their own get its
 * class and "host: why").
 */
int	smtp_client_txn(struct smtp_client *c, struct smtp_client_txn *t);
int	smtp_client_rset(struct smtp_client *c);
int	smtp_client_quit(struct smtp_client *c);
void	smtp_client_close(struct smtp_client *c);

#endif
