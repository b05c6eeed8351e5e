/*
 * session.c: the SMTP server state machine (RFC 5321 §3, §4.1) with
 * PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152),
 * SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES (RFC 2034), STARTTLS
 * (RFC 3207), AUTH (RFC 4954, in policy.c) and CHUNKING/BINARYMIME
 * (RFC 3030).  The message itself is read in data.c.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsn.h"
#include "msmtpd.h"
#include "server.h"
#include "session.h"
#include "util.h"

/* BDAT chunks are read and spooled in blocks of this size. */
#define BDAT_BLOCK 16384

/*
 * The states of RFC 5321 §3.3 as the command table sees them, derived
 * from the session each time (nothing to keep in step): before
 * HELO/EHLO, ready, MAIL given, RCPT accepted, BDAT chunks under way.
 */
enum { ST_INIT, ST_READY, ST_MAIL, ST_RCPT, ST_BDAT };
#define BDAT_STATES (SESSION_IN(ST_RCPT) | SESSION_IN(ST_BDAT))

static unsigned smtp_state(void *);
static void bad_state(void *, const struct session_cmd *);
static const struct session_proto smtp_proto;

int
reply(struct session *s, int count, int code, const char *enh, const char *fmt,
    ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, SMTP_REPLY_LINES_MAX * SMTP_REPLY_LINE_MAX);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = smtp_reply_send(&s->io, code, enh, "%s", buf_cstr(&b));
	buf_free(&b);
	if (count && code >= 500)
		s->errors++;
	return rc;
}

void
txn_reset(struct session *s)
{
	s->in_mail = 0;
	s->from[0] = '\0';
	s->smtputf8 = 0;
	s->binary = 0;
	s->nrcpt = 0;
	s->ret = SMTP_RET_NONE;
	s->envid[0] = '\0';
	s->relay = 0;
	s->bdat = 0;
	s->size = 0;
	s->toobig = 0;
	s->bare = 0;
	s->spool_err = 0;
	s->cr_pending = 0;
	s->cmd_err[0] = '\0';
	s->auth_env[0] = s->auth_ar[0] = '\0';
	buf_reset(&s->sbuf);
}

void
session_lost(struct session *s, int rc, const char *where)
{
	if (rc == IO_TIMEOUT) {
		/* RFC 5321 §4.5.3.2.7 and §3.8. */
		reply(s, 0, 421, "4.4.2", "%s Timeout exceeded, closing",
		    s->c->hostname);
		s->end = "timeout";
		log_info(s->c->log, "timeout %sfrom %s[%s]", where, s->host,
		    s->addr);
	} else if (server_terminating()) {
		/* RFC 5321 §3.8: 421 when the service shuts down; RFC 3463
		   X.3.2: system not accepting network messages. */
		reply(s, 0, 421, "4.3.2", "%s Service shutting down",
		    s->c->hostname);
		s->end = "shutdown";
	} else {
		s->end = "dropped";
		if (rc == IO_ERR)
			log_info(s->c->log, "%s[%s]: %s%s", s->host, s->addr,
			    where, s->io.err);
		else if (where[0] != '\0')
			log_info(s->c->log, "connection lost %sfrom %s[%s]",
			    where, s->host, s->addr);
	}
}

void
session_line_deadline(struct session *s)
{
	io_deadline_in(&s->io, (int64_t)s->c->timeout * 1000, s->end_ms);
}

void
session_data_deadline(struct session *s, long long bytes)
{
	int64_t d = s->data_t0 + (int64_t)s->c->data_timeout * 1000;

	if (s->c->data_rate > 0)
		d += (int64_t)(bytes / s->c->data_rate * 1000 +
		    bytes % s->c->data_rate * 1000 / s->c->data_rate);
	if (s->end_ms > 0 && s->end_ms < d)
		d = s->end_ms;
	s->io.deadline = d;
}

/*
 * RFC 5321 §4.1.4: the server must not refuse a session because the
 * EHLO name is not the client's; be as liberal with its form (host
 * names with "_" exist), but keep it one token that is safe in the
 * Received header: letters, digits, ".", "-", "_", UTF-8.
 */
static int
helo_valid(const char *s, size_t len)
{
	size_t i;

	if (smtp_domain_valid(s, len, 1))
		return 1;
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') ||
			(c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
helo(struct session *s, const char *arg, size_t len, int esmtp)
{
	struct buf b;

	/* RFC 5321 §4.1.1.1: a domain or an address literal. */
	if (len > SMTP_DOMAIN_MAX || !helo_valid(arg, len)) {
		reply(s, 1, 501, "5.5.2", "Invalid domain name");
		return 0;
	}
	txn_reset(s);
	memcpy(s->helo, arg, len);
	s->helo[len] = '\0';
	s->greeted = 1;
	s->esmtp = esmtp;
	if (!esmtp) {
		reply(s, 0, 250, NULL, "%s", s->c->hostname);
		return 0;
	}
	buf_init(&b, SMTP_REPLY_LINES_MAX * SMTP_REPLY_LINE_MAX);
	buf_printf(&b, "%s Hello %s\nPIPELINING\n", s->c->hostname, s->helo);
	if (s->c->max_size > 0)
		buf_printf(&b, "SIZE %lld\n", s->c->max_size);
	else
		buf_puts(&b, "SIZE\n");
	buf_puts(&b,
	    "8BITMIME\nSMTPUTF8\nENHANCEDSTATUSCODES\n"
	    "CHUNKING\nBINARYMIME\n");
	if (session_dsn_offered(s->c))
		buf_puts(&b, "DSN\n");
	if (s->c->tls != NULL && !s->tls)
		buf_puts(&b, "STARTTLS\n");
	if (policy_auth_offered(s))
		buf_puts(&b, "AUTH PLAIN LOGIN\n");
	buf_puts(&b, "HELP");
	reply(s, 0, 250, NULL, "%s", buf_cstr(&b));
	buf_free(&b);
	return 0;
}

static int
cmd_ehlo(void *v, const char *arg, size_t len)
{
	return helo(v, arg, len, 1);
}

static int
cmd_helo(void *v, const char *arg, size_t len)
{
	return helo(v, arg, len, 0);
}

int
session_dsn_offered(const struct msmtpd_conf *c)
{
	return c->queue != NULL;
}

/*
 * ENVID (RFC 3461 §4.4): xtext whose decoded form is printable US-ASCII
 * (graphic characters and space), at most SMTP_ENVID_MAX.  0, or -1.
 */
static int
envid_decode(const char *x, char *out, size_t outlen)
{
	size_t i;

	if (dsn_xtext_decode(x, strlen(x), 0, out, outlen) == -1 ||
	    out[0] == '\0' || strlen(out) > SMTP_ENVID_MAX)
		return -1;
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 ||
		    (unsigned char)out[i] > 0x7e)
			return -1;
	return 0;
}

static int
cmd_mail(void *v, const char *arg, size_t len)
{
	struct session *s = v;
	struct smtp_path p;
	struct smtp_params pa;
	const char *enh, *text;
	int rc, code;

	rc = smtp_mail_parse(arg, len, SMTP_CMD_MAIL, 0, &p, &pa);
	if (rc != SMTP_PARSE_OK) {
		smtp_parse_reply(rc, SMTP_CMD_MAIL, &code, &enh, &text);
		reply(s, 1, code, enh, "%s", text);
		return 0;
	}
	if (!s->esmtp && pa.count > 0) {
		reply(s, 1, 555, "5.5.4", "MAIL parameters need EHLO");
		return 0;
	}
	/* Without --queue DSN (RFC 3461) is not offered, so its
	   parameters are unknown. */
	if ((pa.ret != SMTP_RET_NONE || pa.envid[0] != '\0') &&
	    !session_dsn_offered(s->c)) {
		reply(s, 1, 555, "5.5.4", "DSN parameters not supported");
		return 0;
	}
	/* RFC 3461 §5.1 (a): a value not valid gets 501. */
	if (pa.envid[0] != '\0' &&
	    envid_decode(pa.envid, s->envid, sizeof(s->envid)) == -1) {
		s->envid[0] = '\0';
		reply(s, 1, 501, "5.5.4", "Syntax error in ENVID parameter");
		return 0;
	}
	/* RFC 1870 §6.1: a declared size over the limit is refused now. */
	if (pa.size >= 0 && s->c->max_size > 0 && pa.size > s->c->max_size) {
		reply(s, 1, 552, "5.3.4",
		    "Message size exceeds fixed maximum message size");
		return 0;
	}
	/* DESIGN: no address is ever read as an option.  "-f %F" is safe,
	   but a command may put %F elsewhere: refuse at the door. */
	if (p.addr[0] == '-') {
		reply(s, 1, 553, "5.1.7",
		    "Sender address may not start with \"-\"");
		return 0;
	}
	s->in_mail = 1;
	util_strlcpy(s->from, p.addr, sizeof(s->from));
	s->smtputf8 = pa.smtputf8;
	s->binary = pa.body == SMTP_BODY_BINARYMIME;
	s->ret = pa.ret;
	/* --check-sender: SPF and iprev, maybe a refusal. */
	if (auth_mail(s) == -1) {
		txn_reset(s);
		return 0;
	}
	reply(s, 0, 250, "2.1.0", "Sender <%s> OK", s->from);
	return 0;
}

static int
cmd_rcpt(void *v, const char *arg, size_t len)
{
	struct session *s = v;
	struct smtp_path p;
	struct smtp_params pa;
	const char *enh, *text;
	char addr[SMTP_PATH_MAX + 1];
	size_t i;
	int rc, code, relay;

	rc = smtp_mail_parse(arg, len, SMTP_CMD_RCPT, s->smtputf8, &p, &pa);
	if (rc != SMTP_PARSE_OK) {
		smtp_parse_reply(rc, SMTP_CMD_RCPT, &code, &enh, &text);
		reply(s, 1, code, enh, "%s", text);
		return 0;
	}
	if (!s->esmtp && pa.count > 0) {
		reply(s, 1, 555, "5.5.4", "RCPT parameters need EHLO");
		return 0;
	}
	if ((pa.notify != 0 || pa.orcpt[0] != '\0') &&
	    !session_dsn_offered(s->c)) {
		reply(s, 1, 555, "5.5.4", "DSN parameters not supported");
		return 0;
	}
	/* RFC 5321 §4.5.3.1.10: 452 for too many recipients. */
	if (s->nrcpt >= (size_t)s->c->max_rcpt) {
		reply(s, 0, 452, "4.5.3", "Too many recipients");
		return 0;
	}
	/* A recipient becomes an argument of the delivery command: one
	   that starts with "-" could be taken as an option (RFC 3463
	   X.1.3: bad destination mailbox address syntax). */
	if (p.addr[0] == '-') {
		reply(s, 1, 553, "5.1.3",
		    "Recipient address may not start with \"-\"");
		return 0;
	}
	relay = !policy_local(s->c, &p);
	/* What the local delivery cannot take is refused now, not after
	   DATA (mdeliver takes no quoted local part, no white space). */
	if (!relay && s->c->default_command && p.quoted) {
		reply(s, 1, 553, "5.1.3",
		    "<%s>: Quoted local parts are not delivered here",
		    p.addr);
		return 0;
	}
	if (relay && !s->authed) {
		reply(s, 1, 554, "5.7.1", "<%s>: Relay access denied", p.addr);
		return 0;
	}
	/* One delivery command per transaction: the client sends the
	   others again in a new one (as RFC 5321 §4.5.3.1.10 allows). */
	if (s->nrcpt > 0 && relay != s->relay) {
		reply(s, 0, 452, "4.5.3",
		    "Local and relayed recipients need separate "
		    "transactions");
		return 0;
	}
	if (p.postmaster)
		snprintf(addr, sizeof(addr), "postmaster@%s",
		    s->c->ndomains > 0 ? s->c->domains[0] : s->c->hostname);
	else
		util_strlcpy(addr, p.addr, sizeof(addr));
	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpt[i], addr) == 0)
			break;
	/* A repeated recipient keeps its first DSN parameters. */
	if (i == s->nrcpt) {
		s->rdsn[s->nrcpt].notify = pa.notify;
		util_strlcpy(s->rdsn[s->nrcpt].orcpt, pa.orcpt,
		    sizeof(s->rdsn[0].orcpt));
		util_strlcpy(s->rcpt[s->nrcpt++], addr, sizeof(s->rcpt[0]));
	}
	s->relay = relay;
	reply(s, 0, 250, "2.1.5", "Recipient <%s> OK", p.addr);
	return 0;
}

/* Returns -1 when the connection must close. */
static int
cmd_data(void *v, const char *arg, size_t len)
{
	struct session *s = v;
	int rc;

	(void)arg;
	(void)len;
	/* RFC 3030 §3: BINARYMIME is only sent with BDAT. */
	if (s->binary) {
		reply(s, 1, 503, "5.5.1", "BODY=BINARYMIME needs BDAT");
		return 0;
	}
	if (data_begin(s) == -1) {
		reply(s, 0, 451, "4.3.0", "Local error, try again later");
		return 0;
	}
	reply(s, 0, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if (io_flush(&s->io) == -1)
		return -1;
	s->io.timeout_ms = s->c->data_timeout * 1000;
	s->data_t0 = util_now_ms();
	session_data_deadline(s, 0);
	rc = data_read_dot(s);
	s->io.timeout_ms = s->c->timeout * 1000;
	if (rc != IO_OK) {
		session_lost(s, rc, "in DATA ");
		return -1;
	}
	return data_finish(s);
}

/* RFC 3030 §2: a chunk of exactly size octets follows BDAT, whatever the
   reply; read it (spooling it when the command is in order).
   Returns -1 when the connection must close. */
static int
cmd_bdat(void *v, const char *arg, size_t len)
{
	struct session *s = v;
	char *block;
	long long size, left;
	size_t n;
	int last, ok, rc = IO_OK;

	if (smtp_bdat_parse(arg, len, &size, &last) != 0) {
		reply(s, 1, 501, "5.5.4", "Syntax error in BDAT parameters");
		return 0;
	}
	/* The state is checked here, not by the table: the chunk follows
	   whatever the reply, and is read all the same. */
	ok = (SESSION_IN(smtp_state(s)) & BDAT_STATES) != 0;
	if (!ok)
		bad_state(s, session_find(&smtp_proto, SMTP_CMD_BDAT));
	if (ok && !s->bdat) {
		if (data_begin(s) == -1)
			s->spool_err = 1;
		s->bdat = 1;
	}
	if ((block = malloc(BDAT_BLOCK)) == NULL) {
		reply(s, 0, 421, "4.3.0", "Out of memory, closing");
		return -1;
	}
	s->io.timeout_ms = s->c->data_timeout * 1000;
	s->data_t0 = util_now_ms();
	session_data_deadline(s, size);
	for (left = size; left > 0; left -= (long long)n) {
		n = left > BDAT_BLOCK ? BDAT_BLOCK : (size_t)left;
		if ((rc = io_read_exact(&s->io, block, n)) != IO_OK)
			break;
		if (ok)
			data_write_chunk(s, block, n, 0);
	}
	free(block);
	s->io.timeout_ms = s->c->timeout * 1000;
	if (rc != IO_OK) {
		session_lost(s, rc, "in BDAT ");
		return -1;
	}
	if (!ok)
		return 0;
	if (last) {
		data_write_chunk(s, "", 0, 1);
		return data_finish(s);
	}
	if (s->toobig) {
		/* RFC 3030 §2: the transaction fails with this chunk. */
		reply(s, 0, 552, "5.3.4",
		    "Message size exceeds fixed maximum message size");
		txn_reset(s);
		return 0;
	}
	reply(s, 0, 250, "2.0.0", "%lld octets received", size);
	return 0;
}

/* Returns -1 when the connection must close. */
static int
cmd_starttls(void *v, const char *arg, size_t len)
{
	struct session *s = v;

	(void)arg;
	(void)len;
	if (s->c->tls == NULL) {
		reply(s, 0, 454, "4.7.0", "TLS not available");
		return 0;
	}
	if (s->tls) {
		reply(s, 1, 503, "5.5.1", "TLS already active");
		return 0;
	}
	reply(s, 0, 220, "2.0.0", "Ready to start TLS");
	/* io_starttls_server flushes the reply, then drops every byte
	   received before the handshake (RFC 3207 §4.2: no command
	   pipelined after STARTTLS is run). */
	if (io_starttls_server(&s->io, s->c->tls) == -1) {
		log_info(s->c->log, "TLS handshake with %s[%s] failed: %s",
		    s->host, s->addr, s->io.err);
		s->end = "tls-failed";
		return -1;
	}
	tls_info(s->io.tls, &s->tlsi);
	s->tls = 1;
	/* RFC 3207 §4.2: forget all the client said before. */
	txn_reset(s);
	s->greeted = s->esmtp = 0;
	s->helo[0] = '\0';
	s->authed = 0;
	s->auth_user[0] = '\0';
	return 0;
}

static int
cmd_rset(void *v, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	txn_reset(v);
	reply(v, 0, 250, "2.0.0", "OK");
	return 0;
}

static int
cmd_noop(void *v, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(v, 0, 250, "2.0.0", "OK");
	return 0;
}

static int
cmd_quit(void *v, const char *arg, size_t len)
{
	struct session *s = v;

	(void)arg;
	(void)len;
	reply(s, 0, 221, "2.0.0", "%s closing connection", s->c->hostname);
	s->quit = 1;
	return 0;
}

static int
cmd_vrfy(void *v, const char *arg, size_t len)
{
	(void)arg;
	/* RFC 5321 §3.5.3: 252 when we will not say. */
	if (len == 0)
		reply(v, 1, 501, "5.5.4", "VRFY needs an argument");
	else
		reply(v, 0, 252, "2.5.0",
		    "Cannot VRFY user, but will accept message and attempt "
		    "delivery");
	return 0;
}

static int
cmd_expn(void *v, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(v, 1, 502, "5.5.1", "EXPN not implemented");
	return 0;
}

static int
cmd_help(void *v, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(v, 0, 214, "2.0.0",
	    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY "
	    "HELP STARTTLS AUTH\nSee RFC 5321");
	return 0;
}

static int
cmd_auth(void *v, const char *arg, size_t len)
{
	return policy_auth(v, arg, len) == -1 ? -1 : 0;
}

static unsigned
smtp_state(void *v)
{
	const struct session *s = v;

	if (!s->greeted)
		return ST_INIT;
	if (!s->in_mail)
		return ST_READY;
	if (s->bdat)
		return ST_BDAT;
	return s->nrcpt > 0 ? ST_RCPT : ST_MAIL;
}

/* The one place that says why a command does not fit the state. */
static void
bad_state(void *v, const struct session_cmd *c)
{
	struct session *s = v;
	unsigned st = smtp_state(s);

	switch (c->verb) {
	case SMTP_CMD_MAIL:
		if (st == ST_INIT)
			reply(s, 1, 503, "5.5.1", "Send HELO or EHLO first");
		else
			reply(s, 1, 503, "5.5.1", "Nested MAIL command");
		break;
	case SMTP_CMD_RCPT:
		if (st == ST_BDAT)
			reply(s, 1, 503, "5.5.1",
			    "RCPT not allowed during BDAT");
		else
			reply(s, 1, 503, "5.5.1", "Need MAIL command");
		break;
	default: /* DATA, BDAT */
		if (st == ST_BDAT)
			reply(s, 1, 503, "5.5.1",
			    "DATA not allowed after BDAT");
		else if (st == ST_MAIL)
			/* RFC 5321 §3.3: "554 no valid recipients". */
			reply(s, 1, 554, "5.5.1", "No valid recipients");
		else
			reply(s, 1, 503, "5.5.1", "Need MAIL command");
		break;
	}
}

static void
bad_arg(void *v, const struct session_cmd *c)
{
	(void)c;
	reply(v, 1, 501, "5.5.4", "Syntax error: no arguments allowed");
}

static void
unknown(void *v, int verb)
{
	(void)verb;
	reply(v, 1, 500, "5.5.1", "Command unrecognized");
}

static const struct session_cmd smtp_cmds[] = {
    {SMTP_CMD_EHLO, SESSION_ANY, 0, cmd_ehlo},
    {SMTP_CMD_HELO, SESSION_ANY, 0, cmd_helo},
    {SMTP_CMD_MAIL, SESSION_IN(ST_READY), 0, cmd_mail},
    {SMTP_CMD_RCPT, SESSION_IN(ST_MAIL) | SESSION_IN(ST_RCPT), 0, cmd_rcpt},
    {SMTP_CMD_DATA, SESSION_IN(ST_RCPT), SESSION_NOARG, cmd_data},
    /* BDAT checks its state itself: its chunk must be read anyway. */
    {SMTP_CMD_BDAT, SESSION_ANY, 0, cmd_bdat},
    {SMTP_CMD_RSET, SESSION_ANY, SESSION_NOARG, cmd_rset},
    {SMTP_CMD_NOOP, SESSION_ANY, 0, cmd_noop},
    {SMTP_CMD_QUIT, SESSION_ANY, SESSION_NOARG, cmd_quit},
    {SMTP_CMD_VRFY, SESSION_ANY, 0, cmd_vrfy},
    {SMTP_CMD_EXPN, SESSION_ANY, 0, cmd_expn},
    {SMTP_CMD_HELP, SESSION_ANY, 0, cmd_help},
    {SMTP_CMD_STARTTLS, SESSION_ANY, SESSION_NOARG, cmd_starttls},
    {SMTP_CMD_AUTH, SESSION_ANY, 0, cmd_auth},
    {0, 0, 0, NULL}};

static const struct session_proto smtp_proto = {
    smtp_cmds, smtp_state, unknown, bad_state, bad_arg};

/* A command line (session_run_loop's line hook). */
static int
on_line(void *v, char *line, size_t len, int flags)
{
	struct session *s = v;
	struct smtp_cmd cmd;
	const char *enh, *text;
	int rc, code;

	if (flags & IO_LINE_LONG) {
		reply(s, 1, 500, "5.5.6", "Line too long");
		return 0;
	}
	if (flags & IO_LINE_CR) {
		reply(s, 1, 500, "5.5.2", "Bare CR in command line");
		return 0;
	}
	rc = smtp_cmd_parse(line, len, &cmd);
	if (rc != SMTP_PARSE_OK) {
		smtp_parse_reply(rc, cmd.verb, &code, &enh, &text);
		reply(s, 1, code, enh, "%s", text);
		return 0;
	}
	return session_dispatch(
	    &smtp_proto, s, (int)cmd.verb, cmd.arg, cmd.arglen);
}

static void
on_lost(void *v, int rc)
{
	session_lost(v, rc, "");
}

static int
on_done(void *v)
{
	struct session *s = v;

	if (s->quit)
		return 1;
	if (s->errors < s->c->max_errors)
		return 0;
	reply(s, 0, 421, "4.7.0", "%s Too many errors, closing",
	    s->c->hostname);
	log_info(s->c->log, "too many errors from %s[%s]", s->host, s->addr);
	s->end = "too-many-errors";
	return 1;
}

int
session_run(const struct msmtpd_conf *c, int rfd, int wfd)
{
	struct session *s;
	struct session_loop loop;
	char host[LOG_ESC_MAX], helo[LOG_ESC_MAX], user[LOG_ESC_MAX];
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->rcpt = calloc((size_t)c->max_rcpt, sizeof(*s->rcpt))) == NULL ||
	    (s->rdsn = calloc((size_t)c->max_rcpt, sizeof(*s->rdsn))) == NULL) {
		log_err(c->log, "session: %s", strerror(errno));
		if (s != NULL)
			free(s->rcpt);
		free(s);
		return 1;
	}
	s->c = c;
	s->spool = c->privsep ? c->spool_fd : -1; /* privsep: the parent's */
	s->end = "dropped";
	buf_init(&s->sbuf, 0);
	io_init(&s->io, rfd, wfd, c->timeout * 1000);
	s->end_ms = c->lifetime > 0
	    ? util_now_ms() + (int64_t)c->lifetime * 1000
	    : 0;
	s->io.deadline = s->end_ms;
	/* A SIGTERM (server_child_signals) ends a wait: we say 421. */
	s->io.stop = server_terminating;
	if (net_peer(rfd, c->resolve, s->addr, sizeof(s->addr), s->host,
		sizeof(s->host)) == -1) {
		s->addr[0] = '\0';
		s->host[0] = '\0';
	}
	if (c->tls != NULL && c->tls_on_connect) {
		/* RFC 8314 §3.3: TLS from the first byte. */
		if (io_starttls_server(&s->io, c->tls) == -1) {
			log_info(c->log, "TLS handshake with %s[%s] failed: %s",
			    s->host, s->addr, s->io.err);
			s->end = "tls-failed";
			goto out;
		}
		tls_info(s->io.tls, &s->tlsi);
		s->tls = 1;
	}
	reply(s, 0, 220, NULL, "%s ESMTP msmtpd", c->hostname);
	loop.io = &s->io;
	loop.sess = s;
	/* RFC 5321 §4.5.3.1.4: 512 octets with the CRLF. */
	loop.line_max = SMTP_CMD_LINE_MAX - 2;
	loop.line_ms = c->timeout * 1000;
	loop.end_ms = s->end_ms;
	loop.line = on_line;
	loop.lost = on_lost;
	loop.done = on_done;
	loop.wait = NULL;
	session_run_loop(&loop);
out:
	if (s->quit)
		s->end = "quit";
	/* Logged before the last replies go out: a client that saw 221
	   finds the line there. */
	log_info(c->log,
	    "session: peer=%s[%s] helo=%s tls=%s%s%s auth=%s messages=%d "
	    "end=%s",
	    log_esc(host, sizeof(host), s->host),
	    s->addr[0] != '\0' ? s->addr : "stdin",
	    s->helo[0] != '\0' ? log_esc(helo, sizeof(helo), s->helo) : "-",
	    s->tls ? s->tlsi.protocol : "no", s->tls ? "/" : "",
	    s->tls ? s->tlsi.cipher : "",
	    s->authed ? log_esc(user, sizeof(user), s->auth_user) : "-",
	    s->accepted, s->end);
	io_deadline_in(&s->io, MSMTPD_GOODBYE_MS, 0);
	(void)io_flush(&s->io);
	rc = server_exit_status(!s->quit, s->auth_fails);
	io_close(&s->io);
	/* privsep: the spool is the parent's, used for the next
	   connection too (the session truncates it for each message). */
	if (s->spool != -1 && !c->privsep)
		close(s->spool);
	buf_free(&s->sbuf);
	auth_free(s);
	free(s->rcpt);
	free(s->rdsn);
	free(s);
	return rc;
}
