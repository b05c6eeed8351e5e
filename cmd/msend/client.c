/*
 * client.c: one SMTP session of msend (RFC 5321): greeting, EHLO,
 * STARTTLS (RFC 3207), AUTH (RFC 4954), then one transaction.  With
 * PIPELINING (RFC 2920) MAIL, every RCPT and DATA leave in one write;
 * with CHUNKING (RFC 3030) the message goes as one "BDAT n LAST".  Each
 * recipient ends up accepted, failed for good, or failed for now.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "msend.h"
#include "tls.h"
#include "util.h"

struct conn {
	struct io io;
	struct smtp_reply r;
	struct smtp_ehlo e;
	const struct session *s;
	int ex; /* of the last failure */
	int dead; /* no QUIT: the link failed */
	int tls_failed; /* the STARTTLS handshake */
	char err[ERR_MAX];
};

void
rcpts_fail(struct rcpt **r, int n, int state, int ex, const char *fmt, ...)
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
		r[i]->state = state;
		r[i]->ex = ex;
		r[i]->in_txn = 0;
		util_strlcpy(r[i]->why, why, sizeof(r[i]->why));
	}
}

/* The exit code a reply means (DESIGN: sysexits). */
static int
reply_ex(const struct smtp_reply *r)
{
	if (r->code >= 400 && r->code < 500)
		return EX_TEMPFAIL;
	if (r->code >= 500 && r->code < 600) {
		/* RFC 3463 §3.2: X.1.1 bad mailbox, X.1.2 bad system. */
		if (strcmp(r->enh, "5.1.1") == 0)
			return EX_NOUSER;
		if (strcmp(r->enh, "5.1.2") == 0)
			return EX_NOHOST;
		return EX_UNAVAILABLE;
	}
	return EX_PROTOCOL;
}

static int
reply_state(const struct smtp_reply *r)
{
	return r->code >= 400 && r->code < 500 ? RS_TEMP : RS_PERM;
}

/* One recipient takes the outcome of reply r. */
static void
rcpt_reply(struct rcpt *rc, const struct smtp_reply *r)
{
	smtp_reply_str(r, rc->why, sizeof(rc->why));
	rc->state = reply_state(r);
	rc->ex = reply_ex(r);
	rc->in_txn = 0;
}

/* Every pending recipient fails with the connection's trouble. */
static void
conn_fail(struct conn *c, struct rcpt **r, int n)
{
	rcpts_fail(r, n, c->ex == EX_TEMPFAIL ? RS_TEMP : RS_PERM, c->ex,
	    "%s: %s", c->s->host, c->err);
}

static int
read_reply(struct conn *c)
{
	char e[ERR_MAX];

	if (smtp_read_reply(&c->io, &c->r, e, sizeof(e)) == 0)
		return 0;
	c->ex = strncmp(e, "malformed", 9) == 0 ? EX_PROTOCOL : EX_TEMPFAIL;
	c->dead = 1;
	util_strlcpy(c->err, e, sizeof(c->err));
	return -1;
}

static int
flush(struct conn *c)
{
	if (io_flush(&c->io) == 0)
		return 0;
	c->ex = EX_TEMPFAIL;
	c->dead = 1;
	util_seterr(c->err, sizeof(c->err), "%s", c->io.err);
	return -1;
}

/* Send a command, read its reply; -1 on trouble (c->err). */
static int
command(struct conn *c, const char *cmd)
{
	if (io_line(&c->io, "%s", cmd) == -1) {
		c->ex = EX_SOFTWARE;
		util_strlcpy(c->err, c->io.err, sizeof(c->err));
		return -1;
	}
	if (flush(c) == -1)
		return -1;
	return read_reply(c);
}

/* A reply that should have been code class want: say what came. */
static int
unexpected(struct conn *c, const char *what)
{
	char line[SMTP_REPLY_LINE_MAX];

	smtp_reply_str(&c->r, line, sizeof(line));
	util_seterr(c->err, sizeof(c->err), "%s: %s", what, line);
	c->ex = reply_ex(&c->r);
	return -1;
}

static int
ehlo(struct conn *c)
{
	char cmd[SMTP_CMD_LINE_MAX];

	memset(&c->e, 0, sizeof(c->e));
	(void)snprintf(cmd, sizeof(cmd), "EHLO %s", c->s->ehlo);
	if (command(c, cmd) == -1)
		return -1;
	if (c->r.code == 250) {
		smtp_ehlo_parse(&c->r, &c->e);
		return 0;
	}
	if (c->r.code < 500 || c->r.code > 504)
		return unexpected(c, "EHLO");
	/* RFC 5321 §4.1.4: an old server; HELO, and no extensions. */
	(void)snprintf(cmd, sizeof(cmd), "HELO %s", c->s->ehlo);
	if (command(c, cmd) == -1)
		return -1;
	return c->r.code == 250 ? 0 : unexpected(c, "HELO");
}

static void
tls_opts(const struct session *s, struct tls_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hostname = s->host;
	o->trust_file = s->trust_file;
	o->fingerprint = s->fingerprint;
	o->cert_file = s->cert;
	o->key_file = s->key;
	o->priorities = s->priorities;
	o->no_verify = !s->tls_verify;
}

static void
tls_report(struct conn *c)
{
	struct tls_info ti;

	if (c->s->log == NULL || !c->s->log->trace || c->io.tls == NULL)
		return;
	tls_info(c->io.tls, &ti);
	log_info(c->s->log,
	    "TLS: %s, %s; certificate %s, issuer %s, "
	    "SHA-256 %s, expires %s; %s%s",
	    ti.protocol, ti.cipher, ti.subject, ti.issuer, ti.fingerprint,
	    ti.not_after, ti.verified ? "verified" : "NOT verified: ",
	    ti.verified ? "" : ti.verify_msg);
}

static int
tls_fail(struct conn *c)
{
	util_strlcpy(c->err, c->io.err, sizeof(c->err));
	c->dead = 1;
	/* A certificate we do not trust stays untrusted on a retry. */
	c->ex = strstr(c->err, "certificate") != NULL ? EX_UNAVAILABLE
						      : EX_TEMPFAIL;
	return -1;
}

/* Greeting, EHLO, TLS.  0, or -1 with c->err and c->ex. */
static int
open_session(struct conn *c)
{
	const struct session *s = c->s;
	struct tls_client_opts to;

	tls_opts(s, &to);
	if (s->tls == TLSM_ON_CONNECT) {
		if (io_starttls_client(&c->io, &to) == -1)
			return tls_fail(c);
		tls_report(c);
	}
	if (read_reply(c) == -1)
		return -1;
	if (c->r.code != 220)
		return unexpected(c, "greeting");
	if (ehlo(c) == -1)
		return -1;
	if (s->tls != TLSM_STARTTLS)
		return 0;
	if (!c->e.starttls) {
		if (!s->tls_required) {
			if (s->log != NULL)
				log_info(s->log,
				    "%s offers no STARTTLS: "
				    "sending in clear",
				    s->host);
			return 0;
		}
		util_seterr(c->err, sizeof(c->err),
		    "the server does not "
		    "offer STARTTLS, which is required (--tls=off to send "
		    "without TLS)");
		c->ex = EX_UNAVAILABLE;
		return -1;
	}
	if (command(c, "STARTTLS") == -1)
		return -1;
	if (c->r.code != 220)
		return unexpected(c, "STARTTLS");
	if (io_starttls_client(&c->io, &to) == -1) {
		c->tls_failed = 1;
		return tls_fail(c);
	}
	tls_report(c);
	/* RFC 3207 §4.2: forget what the server said before TLS. */
	return ehlo(c);
}

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

static int
queue_mail(struct conn *c, struct message *m, const char *from, int utf8)
{
	const struct msend_opts *o = c->s->o;
	struct buf b = BUF_INIT;
	int rc = 0;

	rc |= buf_printf(&b, "MAIL FROM:<%s>", from);
	if (c->e.size)
		rc |= buf_printf(&b, " SIZE=%llu", (unsigned long long)m->size);
	if (m->eightbit && c->e.eightbitmime)
		rc |= buf_puts(&b, " BODY=8BITMIME");
	if (utf8)
		rc |= buf_puts(&b, " SMTPUTF8");
	if (c->e.dsn && o->dsn_ret != SMTP_RET_NONE)
		rc |= buf_puts(&b,
		    o->dsn_ret == SMTP_RET_FULL ? " RET=FULL" : " RET=HDRS");
	if (c->e.dsn && o->dsn_envid != NULL) {
		rc |= buf_puts(&b, " ENVID=");
		rc |= put_xtext(&b, o->dsn_envid);
	}
	if (rc == 0)
		rc = io_line(&c->io, "%s", b.data);
	buf_free(&b);
	return rc;
}

static int
queue_rcpt(struct conn *c, const struct rcpt *r)
{
	int n = c->s->o->dsn_notify;
	struct buf b = BUF_INIT;
	int rc = 0;

	rc |= buf_printf(&b, "RCPT TO:<%s>", r->addr);
	if (c->e.dsn && n != 0) {
		rc |= buf_puts(&b, " NOTIFY=");
		if (n & SMTP_NOTIFY_NEVER)
			rc |= buf_puts(&b, "NEVER");
		else
			rc |= buf_printf(&b, "%s%s%s",
			    n & SMTP_NOTIFY_SUCCESS ? "SUCCESS," : "",
			    n & SMTP_NOTIFY_FAILURE ? "FAILURE," : "",
			    n & SMTP_NOTIFY_DELAY ? "DELAY," : "");
		if (b.data[b.len - 1] == ',')
			buf_truncate(&b, b.len - 1);
		if (!r->utf8) {
			rc |= buf_puts(&b, " ORCPT=rfc822;");
			rc |= put_xtext(&b, r->addr);
		}
	}
	if (rc == 0)
		rc = io_line(&c->io, "%s", b.data);
	buf_free(&b);
	return rc;
}

/* The transaction.  Recipients' states are set here. */
static void
transaction(
    struct conn *c, struct message *m, const char *from, struct rcpt **r, int n)
{
	const struct session *s = c->s;
	int i, utf8 = 0, pipe, bdat, accepted = 0, mail_ok;

	c->err[0] = '\0';
	for (i = 0; i < n; i++) {
		utf8 |= r[i]->utf8;
		r[i]->state = RS_PENDING; /* a result of this try, now */
	}
	for (i = 0; from[i] != '\0'; i++)
		utf8 |= (unsigned char)from[i] >= 0x80;
	if (utf8 && !c->e.smtputf8) {
		rcpts_fail(r, n, RS_PERM, EX_UNAVAILABLE,
		    "%s: an address is "
		    "not ASCII and the server does not offer SMTPUTF8",
		    s->host);
		return;
	}
	/* RFC 1870 §6: do not send what the server said it will refuse. */
	if (c->e.size && c->e.size_max > 0 &&
	    m->size > (unsigned long long)c->e.size_max) {
		rcpts_fail(r, n, RS_PERM, EX_UNAVAILABLE,
		    "%s: the message "
		    "is %llu bytes; the server takes at most %lld (SIZE)",
		    s->host, (unsigned long long)m->size, c->e.size_max);
		return;
	}
	if (m->eightbit && !c->e.eightbitmime && s->log != NULL)
		log_info(s->log, "%s: 8-bit message, but no 8BITMIME offered",
		    s->host);
	pipe = c->e.pipelining;
	bdat = c->e.chunking && s->chunking;
	if (queue_mail(c, m, from, utf8) == -1)
		goto ioerr;
	if (!pipe && (flush(c) == -1 || read_reply(c) == -1))
		goto fail;
	for (i = 0; i < n && pipe; i++)
		if (queue_rcpt(c, r[i]) == -1)
			goto ioerr;
	/* RFC 2920 §3.1: DATA ends the group; BDAT waits for the RCPTs. */
	if (pipe && !bdat && io_line(&c->io, "DATA") == -1)
		goto ioerr;
	if (pipe && (flush(c) == -1 || read_reply(c) == -1))
		goto fail;
	/* The MAIL reply. */
	mail_ok = c->r.code / 100 == 2;
	if (!mail_ok) {
		util_strlcpy(c->err, "", sizeof(c->err));
		for (i = 0; i < n; i++)
			rcpt_reply(r[i], &c->r);
		if (!pipe)
			goto done;
	}
	for (i = 0; i < n; i++) {
		if (!pipe) {
			if (queue_rcpt(c, r[i]) == -1)
				goto ioerr;
			if (flush(c) == -1)
				goto fail;
		}
		if (read_reply(c) == -1)
			goto fail;
		if (!mail_ok)
			continue;
		if (c->r.code / 100 == 2) { /* 250, 251, 252 */
			r[i]->in_txn = 1;
			accepted++;
		} else
			rcpt_reply(r[i], &c->r);
	}
	if (bdat) {
		if (accepted == 0)
			goto done;
		if (io_line(&c->io, "BDAT %llu LAST",
			(unsigned long long)m->size) == -1 ||
		    message_send(m, &c->io, 0, c->err, sizeof(c->err)) == -1)
			goto ioerr;
	} else {
		if (!pipe) {
			if (accepted == 0)
				goto done;
			if (io_line(&c->io, "DATA") == -1 || flush(c) == -1)
				goto fail;
		}
		if (read_reply(c) == -1)
			goto fail;
		if (c->r.code != 354) {
			for (i = 0; i < n; i++)
				if (r[i]->in_txn)
					rcpt_reply(r[i], &c->r);
			goto done;
		}
		if (accepted == 0) {
			/* RFC 2920 §3.1 says the server must refuse DATA
			 * then; one that did not gets an empty message. */
			if (smtp_dotstuff_end(&c->io) == -1 || flush(c) == -1 ||
			    read_reply(c) == -1)
				goto fail;
			goto done;
		}
		if (message_send(m, &c->io, 1, c->err, sizeof(c->err)) == -1 ||
		    smtp_dotstuff_end(&c->io) == -1)
			goto ioerr;
	}
	/* RFC 5321 §4.5.3.2.6: the server may take 10 minutes for it. */
	c->io.timeout_ms = s->final_timeout_ms;
	if (flush(c) == -1 || read_reply(c) == -1)
		goto fail;
	c->io.timeout_ms = s->timeout_ms;
	for (i = 0; i < n; i++) {
		if (!r[i]->in_txn)
			continue;
		if (c->r.code / 100 == 2) {
			r[i]->state = RS_OK;
			smtp_reply_str(&c->r, r[i]->why, sizeof(r[i]->why));
			r[i]->in_txn = 0;
		} else
			rcpt_reply(r[i], &c->r);
	}
done:
	return;
ioerr:
	c->ex = EX_TEMPFAIL;
	c->dead = 1;
	if (c->err[0] == '\0')
		util_strlcpy(c->err, c->io.err, sizeof(c->err));
fail:
	/* Those with a reply of their own keep it (a 421 to MAIL). */
	for (i = 0; i < n; i++) {
		if (r[i]->in_txn)
			r[i]->state = RS_PENDING;
		if (r[i]->state != RS_PENDING)
			continue;
		r[i]->state = c->ex == EX_TEMPFAIL ? RS_TEMP : RS_PERM;
		r[i]->ex = c->ex;
		r[i]->in_txn = 0;
		util_strlcpy(r[i]->why, s->host, sizeof(r[i]->why));
		util_strlcat(r[i]->why, ": ", sizeof(r[i]->why));
		util_strlcat(r[i]->why, c->err, sizeof(r[i]->why));
	}
}

static void
conn_init(struct conn *c, int fd, const struct session *s)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	io_init(&c->io, fd, fd, s->timeout_ms);
	if (s->log != NULL && s->log->trace)
		c->io.log = s->log;
	smtp_reply_init(&c->r);
}

static void
conn_close(struct conn *c, int fd)
{
	char e[ERR_MAX];

	if (!c->dead && io_line(&c->io, "QUIT") == 0 && io_flush(&c->io) == 0)
		(void)smtp_read_reply(&c->io, &c->r, e, sizeof(e));
	io_close(&c->io);
	smtp_reply_free(&c->r);
	(void)close(fd);
}

int
client_deliver(int fd, const struct session *s, struct message *m,
    const char *from, struct rcpt **r, int n)
{
	struct conn c;
	int ex, port, off;

	conn_init(&c, fd, s);
	if (open_session(&c) == -1) {
		conn_fail(&c, r, n);
		conn_close(&c, fd);
		return c.tls_failed ? -1 : 0;
	}
	if (s->acct != NULL) {
		port = s->port != NULL ? atoi(s->port) : 0;
		ex = auth_run(
		    &c.io, &c.e, s->acct, s->host, port, c.err, sizeof(c.err));
		if (ex != 0) {
			c.ex = ex;
			conn_fail(&c, r, n);
			conn_close(&c, fd);
			return 0;
		}
	}
	/* RFC 5321 §4.5.3.1.8: 100 recipients a transaction is safe. */
	for (off = 0; off < n && !c.dead; off += SMTP_RCPT_MAX) {
		/* A transaction that ended early may leave MAIL in force. */
		if (off > 0 && command(&c, "RSET") == -1)
			break;
		if (off > 0 && c.r.code != 250) {
			(void)unexpected(&c, "RSET");
			break;
		}
		transaction(&c, m, from, r + off,
		    n - off < SMTP_RCPT_MAX ? n - off : SMTP_RCPT_MAX);
	}
	if (off < n)
		conn_fail(&c, r + off, n - off);
	conn_close(&c, fd);
	return 0;
}

int
client_serverinfo(int fd, const struct session *s)
{
	struct conn c;
	struct tls_info ti;
	int i;

	conn_init(&c, fd, s);
	if (open_session(&c) == -1) {
		fprintf(stderr, "%s: %s: %s\n", PROG, s->host, c.err);
		conn_close(&c, fd);
		return c.ex;
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
	for (i = 0; i < c.r.nlines; i++)
		printf("    %s\n", smtp_reply_text(&c.r, i));
	if (c.e.size)
		printf("Maximum message size: %lld bytes\n", c.e.size_max);
	conn_close(&c, fd);
	return 0;
}
