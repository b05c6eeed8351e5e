/*
 * client.c: msend's use of the SMTP client engine (common/smtp_client):
 * the settings of an attempt become the engine's options, the message
 * its source, the recipients its recipients, 100 to a transaction
 * (RFC 5321 §4.5.3.1.8) with RSET between; and --serverinfo.  Where the
 * secret for AUTH comes from (password, passwordeval, ~/.netrc, a
 * prompt on the terminal) is decided here too.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "msend.h"
#include "secret.h"
#include "smtp_client.h"
#include "util.h"

void
rcpts_fail(struct rcpt **r, int n, enum yerr_class cls, const char *fmt, ...)
{
	va_list ap;
	char why[ERR_MAX];
	int i;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (i = 0; i < n; i++) {
		if (r[i]->state != RS_PENDING && r[i]->state != RS_TEMP)
			continue;
		r[i]->state = yerr_temporary(cls) ? RS_TEMP : RS_PERM;
		r[i]->cls = cls;
		util_strlcpy(r[i]->why, why, sizeof(r[i]->why));
	}
}

/* The secret for AUTH, asked for only when the server takes AUTH. */
static int
get_secret(void *arg, char *out, size_t outlen, struct yerr *e)
{
	const struct session *s = arg;
	const struct account *a = s->acct;
	int ex;

	if (a->password != NULL) {
		if (util_strlcpy(out, a->password, outlen) < outlen)
			return 0;
		yerr_set(e, YERR_CONFIG, "the password is too long");
		return -1;
	}
	ex = secret_get(a->passwordeval, s->host, a->user, out, outlen, e->msg,
	    sizeof(e->msg));
	if (ex == 0)
		return 0;
	if (ex == EX_CONFIG)
		e->cls = YERR_CONFIG;
	else if (ex == EX_TEMPFAIL) /* passwordeval timed out: retry */
		e->cls = YERR_TEMP;
	else
		e->cls = YERR_LOCAL;
	return -1;
}

/* The engine's options for one attempt. */
static void
client_opts(const struct session *s, struct smtp_client_opts *o)
{
	static const struct {
		int mode;
		enum sasl_mech mech;
	} map[] = {
	    {AUTHM_ON, SASL_MECH_NONE},
	    {AUTHM_PLAIN, SASL_MECH_PLAIN},
	    {AUTHM_LOGIN, SASL_MECH_LOGIN},
	    {AUTHM_XOAUTH2, SASL_MECH_XOAUTH2},
	    {AUTHM_OAUTHBEARER, SASL_MECH_OAUTHBEARER},
	};
	const struct account *a = s->acct;
	size_t i;
	int mode;

	memset(o, 0, sizeof(*o));
	o->host = s->host;
	o->port = s->port != NULL ? atoi(s->port) : 0;
	o->ehlo = s->ehlo;
	o->tls = s->tls == TLSM_ON_CONNECT ? SMTP_CLIENT_TLS_ON_CONNECT
	    : s->tls == TLSM_STARTTLS	   ? SMTP_CLIENT_TLS_STARTTLS
					   : SMTP_CLIENT_TLS_OFF;
	o->tls_optional = !s->tls_required;
	o->tlso.trust_file = s->trust_file;
	o->tlso.fingerprint = s->fingerprint;
	o->tlso.cert_file = s->cert;
	o->tlso.key_file = s->key;
	o->tlso.priorities = s->priorities;
	o->tlso.no_verify = !s->tls_verify;
	o->tlso.tlsa = s->tlsa;
	o->tlso.ntlsa = s->ntlsa;
	o->tlso.dane_names = s->dane_names;
	if (a != NULL) {
		mode = a->auth;
		if (mode == AUTHM_UNSET)
			mode = a->user != NULL ? AUTHM_ON : AUTHM_OFF;
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].mode == mode) {
				o->auth = 1;
				o->mech = map[i].mech;
			}
		o->user = a->user;
		o->allow_plain_auth = a->allow_plain_auth == 1;
		o->secret = get_secret;
		o->secret_arg = (void *)s;
	}
	o->timeout_ms = s->timeout_ms;
	o->final_timeout_ms = s->final_timeout_ms;
	o->chunking = s->chunking;
	o->log = s->log;
}

/* What to do about a refusal of the engine, in msend's options. */
static const char *
hint(enum smtp_client_stop stop)
{
	switch (stop) {
	case SMTP_CLIENT_STOP_NO_STARTTLS:
		return " (--tls=off to send without TLS)";
	case SMTP_CLIENT_STOP_CLEAR_AUTH:
		return " (use TLS, or --allow-plain-auth)";
	case SMTP_CLIENT_STOP_NO_USER:
		return " (--user, or user in the config file)";
	case SMTP_CLIENT_STOP_NO_MECH:
		return "; msend knows PLAIN and LOGIN (and XOAUTH2, "
		       "OAUTHBEARER when asked for)";
	default: return "";
	}
}

static int
write_message(void *arg, struct io *io, int dot, char *err, size_t errlen)
{
	return message_send(arg, io, dot, err, errlen);
}

/* One transaction for r[0..n), n <= SMTP_RCPT_MAX.  -1: the session is
   over. */
static int
transaction(struct smtp_client *c, const struct session *s,
    const struct smtp_client_msg *msg, const char *from, struct rcpt **r, int n)
{
	struct smtp_client_rcpt rc[SMTP_RCPT_MAX];
	struct smtp_client_txn t;
	int i, ret;

	memset(&t, 0, sizeof(t));
	t.from = from;
	t.ret = s->o->dsn_ret;
	t.envid = s->o->dsn_envid;
	t.msg = msg;
	t.rcpt = rc;
	t.nrcpt = n;
	for (i = 0; i < n; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].addr = r[i]->addr;
		rc[i].notify = s->o->dsn_notify;
	}
	ret = smtp_client_txn(c, &t);
	for (i = 0; i < n; i++) {
		r[i]->cls = rc[i].res.cls;
		r[i]->state = rc[i].res.cls == YERR_OK ? RS_OK
		    : yerr_temporary(rc[i].res.cls)    ? RS_TEMP
						       : RS_PERM;
		util_strlcpy(r[i]->why, rc[i].res.msg, sizeof(r[i]->why));
	}
	return ret;
}

int
client_begin(struct csession *cs, int fd, const struct session *s)
{
	memset(cs, 0, sizeof(*cs));
	cs->s = s;
	cs->fd = fd;
	client_opts(s, &cs->o);
	smtp_client_init(&cs->c, fd, &cs->o);
	if (smtp_client_open(&cs->c) == 0 && smtp_client_auth(&cs->c) == 0)
		return 0;
	(void)snprintf(cs->why, sizeof(cs->why), "%s: %s%s", s->host,
	    cs->c.err.msg, hint(cs->c.stop));
	cs->tls_failed = cs->c.tls_failed && s->tls == TLSM_STARTTLS;
	return -1;
}

void
client_end(struct csession *cs)
{
	(void)smtp_client_quit(&cs->c);
	smtp_client_close(&cs->c);
	(void)close(cs->fd);
	cs->fd = -1;
}

int
client_deliver(int fd, const struct session *s, struct message *m,
    const char *from, struct rcpt **r, int n)
{
	struct smtp_client_msg msg;
	struct csession cs;
	int off, tls_failed = 0;

	memset(&msg, 0, sizeof(msg));
	msg.size = m->size;
	msg.eightbit = m->eightbit;
	msg.write = write_message;
	msg.arg = m;
	if (client_begin(&cs, fd, s) == -1) {
		rcpts_fail(r, n, cs.c.err.cls, "%s", cs.why);
		tls_failed = cs.tls_failed;
		off = n;
	} else
		for (off = 0; off < n; off += SMTP_RCPT_MAX) {
			/* One that ended early may leave MAIL in force. */
			if (off > 0 && smtp_client_rset(&cs.c) == -1)
				break;
			if (transaction(&cs.c, s, &msg, from, r + off,
				n - off < SMTP_RCPT_MAX
				    ? n - off
				    : SMTP_RCPT_MAX) == -1) {
				off += SMTP_RCPT_MAX;
				break;
			}
		}
	if (off < n)
		rcpts_fail(r + off, n - off, cs.c.err.cls, "%s: %s", s->host,
		    cs.c.err.msg);
	client_end(&cs);
	return tls_failed ? -1 : 0;
}

int
client_serverinfo(int fd, const struct session *s)
{
	struct smtp_client_opts o;
	struct smtp_client c;
	struct tls_info ti;
	int i;

	client_opts(s, &o);
	smtp_client_init(&c, fd, &o);
	if (smtp_client_open(&c) == -1) {
		fprintf(stderr, "%s: %s: %s%s\n", PROG, s->host, c.err.msg,
		    hint(c.stop));
		smtp_client_close(&c);
		(void)close(fd);
		return yerr_exit(c.err.cls);
	}
	printf("SMTP server at %s\n", s->host);
	if (c.io.tls != NULL) {
		tls_info(c.io.tls, &ti);
		printf("TLS:\n"
		       "    protocol:    %s\n"
		       "    cipher:      %s\n"
		       "    subject:     %s\n"
		       "    issuer:      %s\n"
		       "    SHA-256:     %s\n"
		       "    expires:     %s\n"
		       "    verified:    %s%s%s\n",
		    ti.protocol, ti.cipher, ti.subject, ti.issuer,
		    ti.fingerprint, ti.not_after, ti.verified ? "yes" : "no",
		    ti.verified ? "" : ": ", ti.verified ? "" : ti.verify_msg);
	} else
		printf("TLS: none\n");
	printf("Greeting and capabilities (EHLO):\n");
	for (i = 0; i < c.reply.nlines; i++)
		printf("    %s\n", smtp_reply_text(&c.reply, i));
	if (c.ehlo.size)
		printf("Maximum message size: %lld bytes\n", c.ehlo.size_max);
	(void)smtp_client_quit(&c);
	smtp_client_close(&c);
	(void)close(fd);
	return 0;
}
