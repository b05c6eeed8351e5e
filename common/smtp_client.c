/*
 * smtp_client.c: the SMTP client engine (see smtp_client.h): greeting,
 * EHLO with the HELO fallback (RFC 5321 §4.1.4), STARTTLS (RFC 3207),
 * and transactions.  With PIPELINING (RFC 2920) MAIL, every RCPT and
 * DATA leave in one write; with CHUNKING (RFC 3030) the message goes as
 * one "BDAT n LAST".  AUTH is in smtp_auth.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "smtp_client.h"
#include "util.h"

enum yerr_class
smtp_client_reply_class(const struct smtp_reply *r)
{
	if (r->code >= 400 && r->code < 500)
		return YERR_TEMP;
	if (r->code >= 500 && r->code < 600) {
		/* RFC 3463 §3.2: X.1.1 bad mailbox, X.1.2 bad system. */
		if (strcmp(r->enh, "5.1.1") == 0)
			return YERR_NOUSER;
		if (strcmp(r->enh, "5.1.2") == 0)
			return YERR_NOHOST;
		return YERR_PERM;
	}
	return YERR_PROTO;
}

void
smtp_client_init(
    struct smtp_client *c, int fd, const struct smtp_client_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	io_init(&c->io, fd, fd, o->timeout_ms);
	if (o->log != NULL && o->log->trace)
		c->io.log = o->log;
	smtp_reply_init(&c->reply);
	c->tlso = o->tlso;
	if (c->tlso.hostname == NULL)
		c->tlso.hostname = o->host;
	c->tlso.fail = &c->tls_fail;
}

/* The link failed: no more commands on it. */
static int
link_failed(struct smtp_client *c, enum yerr_class cls, const char *what,
    const char *why)
{
	c->dead = 1;
	c->reply.code = 0; /* no reply to go by */
	c->reply.nlines = 0;
	if (what != NULL)
		yerr_set(&c->err, cls, "%s: %s", what, why);
	else
		yerr_set(&c->err, cls, "%s", why);
	return -1;
}

static int
read_reply(struct smtp_client *c)
{
	char e[ERR_MAX];

	if (smtp_read_reply(&c->io, &c->reply, e, sizeof(e)) == 0) {
		/* RFC 5321 §3.8: 421, and the server closes. */
		if (c->reply.code == 421)
			c->dead = 1;
		return 0;
	}
	return link_failed(
	    c, c->reply.malformed ? YERR_PROTO : YERR_TEMP, NULL, e);
}

static int
flush(struct smtp_client *c)
{
	if (io_flush(&c->io) == 0)
		return 0;
	return link_failed(c, YERR_TEMP, NULL, c->io.err);
}

/* Queue a line: only a line too long for the buffer fails. */
static int
queue(struct smtp_client *c, const char *line)
{
	if (io_line(&c->io, "%s", line) == 0)
		return 0;
	return link_failed(c, YERR_LOCAL, NULL, c->io.err);
}

/* Send a command, read its reply; -1 on trouble (c->err). */
static int
command(struct smtp_client *c, const char *cmd)
{
	if (queue(c, cmd) == -1 || flush(c) == -1)
		return -1;
	return read_reply(c);
}

/* A reply that should have been another: say what came. */
static int
unexpected(struct smtp_client *c, const char *what)
{
	char line[SMTP_REPLY_LINE_MAX];

	smtp_reply_str(&c->reply, line, sizeof(line));
	yerr_set(
	    &c->err, smtp_client_reply_class(&c->reply), "%s: %s", what, line);
	return -1;
}

static void
tls_report(struct smtp_client *c)
{
	struct log *log = c->o->log;
	struct tls_info ti;

	if (log == NULL || !log->trace || c->io.tls == NULL)
		return;
	tls_info(c->io.tls, &ti);
	log_info(log,
	    "TLS: %s, %s; certificate %s, issuer %s, "
	    "SHA-256 %s, expires %s; %s%s",
	    ti.protocol, ti.cipher, ti.subject, ti.issuer, ti.fingerprint,
	    ti.not_after, ti.verified ? "verified" : "NOT verified: ",
	    ti.verified ? "" : ti.verify_msg);
}

/* A handshake failed: a certificate we do not trust stays untrusted on
   a retry, and a setup of ours stays wrong; the link may do better. */
static int
tls_failed(struct smtp_client *c)
{
	static const enum yerr_class cls[] = {
	    [TLS_FAIL_HANDSHAKE] = YERR_TEMP,
	    [TLS_FAIL_CERT] = YERR_TLS,
	    [TLS_FAIL_SETUP] = YERR_CONFIG,
	};

	c->tls_failed = 1;
	return link_failed(c,
	    c->tls_fail >= 0 && c->tls_fail <= TLS_FAIL_SETUP ? cls[c->tls_fail]
							      : YERR_TEMP,
	    NULL, c->io.err);
}

int
smtp_client_greeting(struct smtp_client *c)
{
	c->stop = SMTP_CLIENT_STOP_NONE;
	if (c->o->tls == SMTP_CLIENT_TLS_ON_CONNECT) {
		if (io_starttls_client(&c->io, &c->tlso) == -1)
			return tls_failed(c);
		tls_report(c);
	}
	if (read_reply(c) == -1)
		return -1;
	return c->reply.code == 220 ? 0 : unexpected(c, "greeting");
}

int
smtp_client_ehlo(struct smtp_client *c)
{
	char cmd[SMTP_CMD_LINE_MAX];

	c->stop = SMTP_CLIENT_STOP_NONE;
	memset(&c->ehlo, 0, sizeof(c->ehlo));
	c->helo = 0;
	(void)snprintf(cmd, sizeof(cmd), "EHLO %s", c->o->ehlo);
	if (command(c, cmd) == -1)
		return -1;
	if (c->reply.code == 250) {
		smtp_ehlo_parse(&c->reply, &c->ehlo);
		return 0;
	}
	if (c->o->no_helo || c->reply.code < 500 || c->reply.code > 504)
		return unexpected(c, "EHLO");
	/* RFC 5321 §4.1.4: an old server; HELO, and no extensions. */
	(void)snprintf(cmd, sizeof(cmd), "HELO %s", c->o->ehlo);
	if (command(c, cmd) == -1)
		return -1;
	if (c->reply.code != 250)
		return unexpected(c, "HELO");
	c->helo = 1;
	return 0;
}

int
smtp_client_starttls(struct smtp_client *c)
{
	const struct smtp_client_opts *o = c->o;

	c->stop = SMTP_CLIENT_STOP_NONE;
	if (o->tls != SMTP_CLIENT_TLS_STARTTLS || c->io.tls != NULL)
		return 0;
	if (!c->ehlo.starttls) {
		if (o->tls_optional) {
			if (o->log != NULL)
				log_info(o->log,
				    "%s offers no STARTTLS: sending in clear",
				    o->host);
			return 0;
		}
		yerr_set(&c->err, YERR_TLS,
		    "the server does not offer STARTTLS, which is required");
		c->stop = SMTP_CLIENT_STOP_NO_STARTTLS;
		return -1;
	}
	if (command(c, "STARTTLS") == -1)
		return -1;
	if (c->reply.code != 220)
		return unexpected(c, "STARTTLS");
	if (io_starttls_client(&c->io, &c->tlso) == -1)
		return tls_failed(c);
	tls_report(c);
	return 0;
}

int
smtp_client_open(struct smtp_client *c)
{
	if (smtp_client_greeting(c) == -1 || smtp_client_ehlo(c) == -1)
		return -1;
	if (c->o->tls != SMTP_CLIENT_TLS_STARTTLS)
		return 0;
	if (smtp_client_starttls(c) == -1)
		return -1;
	/* RFC 3207 §4.2: forget what the server said before TLS. */
	return c->io.tls != NULL ? smtp_client_ehlo(c) : 0;
}

/* ---------------------------------------------------------------- txn */

/* RFC 3461 §4: xtext for ENVID and ORCPT. */
static int
put_xtext(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 33 || ch > 126 || ch == '+' || ch == '=')
			rc |= buf_printf(b, "+%02X", ch);
		else
			rc |= buf_putc(b, (char)ch);
	}
	return rc;
}

/* Queue the command built in b (rc: how the building went); free b. */
static int
queue_buf(struct smtp_client *c, struct buf *b, int rc)
{
	rc = rc == 0 ? queue(c, b->data)
		     : link_failed(c, YERR_LOCAL, NULL, "out of memory");
	buf_free(b);
	return rc;
}

static int
queue_mail(struct smtp_client *c, const struct smtp_client_txn *t, int utf8)
{
	const struct smtp_ehlo *e = &c->ehlo;
	struct buf b = BUF_INIT;
	int rc = 0;

	rc |= buf_printf(&b, "MAIL FROM:<%s>", t->from);
	if (e->size)
		rc |= buf_printf(&b, " SIZE=%llu", t->msg->size);
	if (t->msg->eightbit && e->eightbitmime)
		rc |= buf_puts(&b, " BODY=8BITMIME");
	if (utf8)
		rc |= buf_puts(&b, " SMTPUTF8");
	if (e->dsn && t->ret != SMTP_RET_NONE)
		rc |= buf_puts(
		    &b, t->ret == SMTP_RET_FULL ? " RET=FULL" : " RET=HDRS");
	if (e->dsn && t->envid != NULL) {
		rc |= buf_puts(&b, " ENVID=");
		rc |= put_xtext(&b, t->envid);
	}
	return queue_buf(c, &b, rc);
}

static int
queue_rcpt(struct smtp_client *c, const struct smtp_client_rcpt *r)
{
	const char *orcpt = r->orcpt != NULL ? r->orcpt : r->addr;
	int n = r->notify;
	struct buf b = BUF_INIT;
	int rc = 0;

	rc |= buf_printf(&b, "RCPT TO:<%s>", r->addr);
	if (c->ehlo.dsn && n != 0) {
		rc |= buf_puts(&b, " NOTIFY=");
		if (n & SMTP_NOTIFY_NEVER)
			rc |= buf_puts(&b, "NEVER");
		else
			rc |= buf_printf(&b, "%s%s%s",
			    n & SMTP_NOTIFY_SUCCESS ? "SUCCESS," : "",
			    n & SMTP_NOTIFY_FAILURE ? "FAILURE," : "",
			    n & SMTP_NOTIFY_DELAY ? "DELAY," : "");
		if (rc == 0 && b.data[b.len - 1] == ',')
			buf_truncate(&b, b.len - 1);
		if (r->orcpt_param == NULL && util_is_ascii(orcpt)) {
			rc |= buf_puts(&b, " ORCPT=rfc822;");
			rc |= put_xtext(&b, orcpt);
		}
	}
	if (c->ehlo.dsn && r->orcpt_param != NULL &&
	    r->orcpt_param[0] != '\0') {
		rc |= buf_puts(&b, " ORCPT=");
		rc |= buf_puts(&b, r->orcpt_param);
	}
	return queue_buf(c, &b, rc);
}

/* One recipient takes the outcome of the last reply. */
static void
rcpt_reply(struct smtp_client *c, struct smtp_client_rcpt *r)
{
	if (c->reply.code / 100 == 2)
		yerr_clear(&r->res);
	else
		r->res.cls = smtp_client_reply_class(&c->reply);
	smtp_reply_str(&c->reply, r->res.msg, sizeof(r->res.msg));
	r->code = c->reply.code;
	r->in_txn = 0;
}

/* Every recipient of t fails for the same reason. */
static void
rcpts_fail(struct smtp_client_txn *t, enum yerr_class cls, const char *why)
{
	int i;

	for (i = 0; i < t->nrcpt; i++) {
		yerr_set(&t->rcpt[i].res, cls, "%s", why);
		t->rcpt[i].code = 0;
		t->rcpt[i].in_txn = 0;
	}
}

/* Before MAIL: what the server said it will refuse.  0, or -1 with
   every recipient failed. */
static int
txn_check(struct smtp_client *c, struct smtp_client_txn *t, int utf8)
{
	char why[ERR_MAX];

	if (utf8 && !c->ehlo.smtputf8) {
		(void)snprintf(why, sizeof(why),
		    "%s: an address is not ASCII and the server does not "
		    "offer SMTPUTF8",
		    c->o->host);
		rcpts_fail(t, YERR_PERM, why);
		return -1;
	}
	/* RFC 1870 §6: do not send what the server said it will refuse. */
	if (c->ehlo.size && c->ehlo.size_max > 0 &&
	    t->msg->size > (unsigned long long)c->ehlo.size_max) {
		(void)snprintf(why, sizeof(why),
		    "%s: the message is %llu bytes; the server takes at most "
		    "%lld (SIZE)",
		    c->o->host, t->msg->size, c->ehlo.size_max);
		rcpts_fail(t, YERR_PERM, why);
		return -1;
	}
	if (t->msg->eightbit && !c->ehlo.eightbitmime && c->o->log != NULL)
		log_info(c->o->log,
		    "%s: 8-bit message, but no 8BITMIME offered", c->o->host);
	return 0;
}

/* The link failed in the transaction: those with a reply of their own
   keep it (a 421 to MAIL); the rest take the link's failure. */
static int
txn_fail(struct smtp_client *c, struct smtp_client_txn *t)
{
	struct smtp_client_rcpt *r;
	int i;

	for (i = 0; i < t->nrcpt; i++) {
		r = &t->rcpt[i];
		if (r->code != 0 && !r->in_txn)
			continue;
		r->in_txn = 0;
		r->code = 0;
		yerr_set(&r->res, c->err.cls, "%s: %s", c->o->host, c->err.msg);
	}
	return -1;
}

/* After the replies: a 421 ends the session. */
static int
txn_end(struct smtp_client *c)
{
	if (!c->dead)
		return 0;
	if (c->err.cls == YERR_OK)
		(void)unexpected(c, "the server closes");
	return -1;
}

/* The message after DATA's 354, or after BDAT; the final reply. */
static int
txn_data(struct smtp_client *c, struct smtp_client_txn *t, int bdat)
{
	const struct smtp_client_msg *m = t->msg;
	char e[ERR_MAX];
	int i;

	if (bdat && io_line(&c->io, "BDAT %llu LAST", m->size) == -1)
		return link_failed(c, YERR_LOCAL, NULL, c->io.err);
	if (m->write(m->arg, &c->io, !bdat, e, sizeof(e)) == -1)
		return link_failed(c, YERR_TEMP, NULL, e);
	if (!bdat && smtp_dotstuff_end(&c->io) == -1)
		return link_failed(c, YERR_TEMP, NULL, c->io.err);
	/* RFC 5321 §4.5.3.2.6: the server may take 10 minutes for it. */
	if (c->o->final_timeout_ms > 0)
		c->io.timeout_ms = c->o->final_timeout_ms;
	i = flush(c) == -1 || read_reply(c) == -1;
	c->io.timeout_ms = c->o->timeout_ms;
	if (i)
		return -1;
	for (i = 0; i < t->nrcpt; i++)
		if (t->rcpt[i].in_txn)
			rcpt_reply(c, &t->rcpt[i]);
	return 0;
}

int
smtp_client_txn(struct smtp_client *c, struct smtp_client_txn *t)
{
	int i, utf8, pipe, bdat, accepted = 0, mail_ok;

	c->stop = SMTP_CLIENT_STOP_NONE;
	utf8 = !util_is_ascii(t->from);
	for (i = 0; i < t->nrcpt; i++) {
		utf8 |= !util_is_ascii(t->rcpt[i].addr);
		yerr_clear(&t->rcpt[i].res);
		t->rcpt[i].code = 0;
		t->rcpt[i].in_txn = 0;
	}
	yerr_clear(&c->err);
	if (c->dead) {
		yerr_set(&c->err, YERR_TEMP, "the connection is closed");
		return txn_fail(c, t);
	}
	if (txn_check(c, t, utf8) == -1)
		return 0;
	pipe = c->ehlo.pipelining;
	bdat = c->ehlo.chunking && c->o->chunking;
	if (queue_mail(c, t, utf8) == -1)
		return txn_fail(c, t);
	if (!pipe && (flush(c) == -1 || read_reply(c) == -1))
		return txn_fail(c, t);
	for (i = 0; i < t->nrcpt && pipe; i++)
		if (queue_rcpt(c, &t->rcpt[i]) == -1)
			return txn_fail(c, t);
	/* RFC 2920 §3.1: DATA ends the group; BDAT waits for the RCPTs. */
	if (pipe && !bdat && queue(c, "DATA") == -1)
		return txn_fail(c, t);
	if (pipe && (flush(c) == -1 || read_reply(c) == -1))
		return txn_fail(c, t);
	/* The MAIL reply. */
	mail_ok = c->reply.code / 100 == 2;
	if (!mail_ok) {
		(void)unexpected(c, "MAIL");
		for (i = 0; i < t->nrcpt; i++)
			rcpt_reply(c, &t->rcpt[i]);
		if (!pipe)
			return txn_end(c);
	}
	for (i = 0; i < t->nrcpt; i++) {
		if (!pipe &&
		    (queue_rcpt(c, &t->rcpt[i]) == -1 || flush(c) == -1))
			return txn_fail(c, t);
		if (read_reply(c) == -1)
			return txn_fail(c, t);
		if (!mail_ok)
			continue;
		if (c->reply.code / 100 == 2) { /* 250, 251, 252 */
			t->rcpt[i].in_txn = 1;
			accepted++;
		} else
			rcpt_reply(c, &t->rcpt[i]);
		if (c->dead) /* a 421: the rest get nothing */
			break;
	}
	if (c->dead) {
		(void)unexpected(c, "RCPT");
		return txn_fail(c, t);
	}
	if (bdat) {
		if (accepted == 0)
			return 0;
		return txn_data(c, t, 1) == -1 ? txn_fail(c, t) : txn_end(c);
	}
	if (!pipe) {
		if (accepted == 0)
			return 0;
		if (command(c, "DATA") == -1)
			return txn_fail(c, t);
	} else if (read_reply(c) == -1)
		return txn_fail(c, t);
	if (c->reply.code != 354) {
		if (mail_ok)
			(void)unexpected(c, "DATA");
		for (i = 0; i < t->nrcpt; i++)
			if (t->rcpt[i].in_txn)
				rcpt_reply(c, &t->rcpt[i]);
		return txn_end(c);
	}
	if (accepted == 0) {
		/* RFC 2920 §3.1 says the server must refuse DATA then; one
		   that did not gets an empty message. */
		if (smtp_dotstuff_end(&c->io) == -1 || flush(c) == -1 ||
		    read_reply(c) == -1)
			return txn_fail(c, t);
		return txn_end(c);
	}
	return txn_data(c, t, 0) == -1 ? txn_fail(c, t) : txn_end(c);
}

int
smtp_client_rset(struct smtp_client *c)
{
	c->stop = SMTP_CLIENT_STOP_NONE;
	if (c->dead) {
		yerr_set(&c->err, YERR_TEMP, "RSET: the connection is closed");
		return -1;
	}
	if (command(c, "RSET") == -1)
		return -1;
	return c->reply.code == 250 ? 0 : unexpected(c, "RSET");
}

int
smtp_client_quit(struct smtp_client *c)
{
	if (c->dead)
		return 0;
	c->dead = 1;
	if (command(c, "QUIT") == -1)
		return -1;
	return c->reply.code == 221 ? 0 : unexpected(c, "QUIT");
}

void
smtp_client_close(struct smtp_client *c)
{
	io_close(&c->io);
	smtp_reply_free(&c->reply);
}
