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

#include "msmtpd.h"
#include "server.h"
#include "util.h"

/* What read_command found wrong with a line. */
#define BAD_LONG 0x01 /* over SMTP_CMD_LINE_MAX */
#define BAD_CR 0x02 /* a bare CR inside */

/* BDAT chunks are read and spooled in blocks of this size. */
#define BDAT_BLOCK 16384

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
	s->relay = 0;
	s->bdat = 0;
	s->size = 0;
	s->toobig = 0;
	s->bare = 0;
	s->spool_err = 0;
	s->cr_pending = 0;
	s->cmd_err[0] = '\0';
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

/* Is a whole line already buffered?  Then more pipelined commands wait
   and the replies are held back (RFC 2920 §3.2). */
static int
line_buffered(const struct io *io)
{
	return memchr(io->rbuf + io->rpos, '\n', io->rlen - io->rpos) != NULL;
}

/*
 * One command line, without its ending, into line (cap bytes).  A line
 * ends with CRLF or a bare LF (being liberal with commands, RFC 5321
 * §4.1.1 asks for CRLF); a bare CR inside marks it bad, as does a
 * length over §4.5.3.1.4 (the rest is read and dropped).
 */
static int
read_command(struct session *s, char *line, size_t cap, size_t *len, int *bad)
{
	char piece[SMTP_CMD_LINE_MAX];
	size_t n, total = 0;
	int eol, rc;

	*bad = 0;
	for (;;) {
		rc = io_getline(&s->io, piece, sizeof(piece), &n, &eol);
		if (rc != IO_OK)
			return rc;
		if (total + n > cap - 1)
			*bad |= BAD_LONG;
		else {
			memcpy(line + total, piece, n);
			total += n;
		}
		if (eol == IO_EOL_CR)
			*bad |= BAD_CR;
		if (eol == IO_EOL_CRLF || eol == IO_EOL_LF)
			break;
	}
	line[total] = '\0';
	*len = total;
	return IO_OK;
}

static int
has_arg(struct session *s, const struct smtp_cmd *cmd)
{
	if (cmd->arglen == 0)
		return 0;
	reply(s, 1, 501, "5.5.4", "Syntax error: no arguments allowed");
	return 1;
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

static void
cmd_helo(struct session *s, const struct smtp_cmd *cmd, int esmtp)
{
	struct buf b;

	/* RFC 5321 §4.1.1.1: a domain or an address literal. */
	if (cmd->arglen > SMTP_DOMAIN_MAX ||
	    !helo_valid(cmd->arg, cmd->arglen)) {
		reply(s, 1, 501, "5.5.2", "Invalid domain name");
		return;
	}
	txn_reset(s);
	memcpy(s->helo, cmd->arg, cmd->arglen);
	s->helo[cmd->arglen] = '\0';
	s->greeted = 1;
	s->esmtp = esmtp;
	if (!esmtp) {
		reply(s, 0, 250, NULL, "%s", s->c->hostname);
		return;
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
	if (s->c->tls != NULL && !s->tls)
		buf_puts(&b, "STARTTLS\n");
	if (policy_auth_offered(s))
		buf_puts(&b, "AUTH PLAIN LOGIN\n");
	buf_puts(&b, "HELP");
	reply(s, 0, 250, NULL, "%s", buf_cstr(&b));
	buf_free(&b);
}

static void
cmd_mail(struct session *s, const struct smtp_cmd *cmd)
{
	struct smtp_path p;
	struct smtp_params pa;
	const char *enh, *text;
	int rc, code;

	if (!s->greeted) {
		reply(s, 1, 503, "5.5.1", "Send HELO or EHLO first");
		return;
	}
	if (s->in_mail) {
		reply(s, 1, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	rc = smtp_mail_parse(cmd->arg, cmd->arglen, SMTP_CMD_MAIL, 0, &p, &pa);
	if (rc != SMTP_PARSE_OK) {
		smtp_parse_reply(rc, SMTP_CMD_MAIL, &code, &enh, &text);
		reply(s, 1, code, enh, "%s", text);
		return;
	}
	if (!s->esmtp && pa.count > 0) {
		reply(s, 1, 555, "5.5.4", "MAIL parameters need EHLO");
		return;
	}
	/* DSN (RFC 3461) is not offered, so its parameters are unknown. */
	if (pa.ret != SMTP_RET_NONE || pa.envid[0] != '\0') {
		reply(s, 1, 555, "5.5.4", "DSN parameters not supported");
		return;
	}
	/* RFC 1870 §6.1: a declared size over the limit is refused now. */
	if (pa.size >= 0 && s->c->max_size > 0 && pa.size > s->c->max_size) {
		reply(s, 1, 552, "5.3.4",
		    "Message size exceeds fixed maximum message size");
		return;
	}
	s->in_mail = 1;
	util_strlcpy(s->from, p.addr, sizeof(s->from));
	s->smtputf8 = pa.smtputf8;
	s->binary = pa.body == SMTP_BODY_BINARYMIME;
	reply(s, 0, 250, "2.1.0", "Sender <%s> OK", s->from);
}

static void
cmd_rcpt(struct session *s, const struct smtp_cmd *cmd)
{
	struct smtp_path p;
	struct smtp_params pa;
	const char *enh, *text;
	char addr[SMTP_PATH_MAX + 1];
	size_t i;
	int rc, code, relay;

	if (!s->in_mail) {
		reply(s, 1, 503, "5.5.1", "Need MAIL command");
		return;
	}
	if (s->bdat) {
		reply(s, 1, 503, "5.5.1", "RCPT not allowed during BDAT");
		return;
	}
	rc = smtp_mail_parse(
	    cmd->arg, cmd->arglen, SMTP_CMD_RCPT, s->smtputf8, &p, &pa);
	if (rc != SMTP_PARSE_OK) {
		smtp_parse_reply(rc, SMTP_CMD_RCPT, &code, &enh, &text);
		reply(s, 1, code, enh, "%s", text);
		return;
	}
	if (!s->esmtp && pa.count > 0) {
		reply(s, 1, 555, "5.5.4", "RCPT parameters need EHLO");
		return;
	}
	if (pa.notify != 0 || pa.orcpt[0] != '\0') {
		reply(s, 1, 555, "5.5.4", "DSN parameters not supported");
		return;
	}
	/* RFC 5321 §4.5.3.1.10: 452 for too many recipients. */
	if (s->nrcpt >= (size_t)s->c->max_rcpt) {
		reply(s, 0, 452, "4.5.3", "Too many recipients");
		return;
	}
	relay = !policy_local(s->c, &p);
	if (relay && !s->authed) {
		reply(s, 1, 554, "5.7.1", "<%s>: Relay access denied", p.addr);
		return;
	}
	/* One delivery command per transaction: the client sends the
	   others again in a new one (as RFC 5321 §4.5.3.1.10 allows). */
	if (s->nrcpt > 0 && relay != s->relay) {
		reply(s, 0, 452, "4.5.3",
		    "Local and relayed recipients need separate "
		    "transactions");
		return;
	}
	if (p.postmaster)
		snprintf(addr, sizeof(addr), "postmaster@%s",
		    s->c->ndomains > 0 ? s->c->domains[0] : s->c->hostname);
	else
		util_strlcpy(addr, p.addr, sizeof(addr));
	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpt[i], addr) == 0)
			break;
	if (i == s->nrcpt)
		util_strlcpy(s->rcpt[s->nrcpt++], addr, sizeof(s->rcpt[0]));
	s->relay = relay;
	reply(s, 0, 250, "2.1.5", "Recipient <%s> OK", p.addr);
}

/* Can a message start now?  Replies and returns 0 when not. */
static int
data_ready(struct session *s)
{
	if (!s->in_mail) {
		reply(s, 1, 503, "5.5.1", "Need MAIL command");
		return 0;
	}
	/* RFC 5321 §3.3: no accepted RCPT, "554 no valid recipients". */
	if (s->nrcpt == 0) {
		reply(s, 1, 554, "5.5.1", "No valid recipients");
		return 0;
	}
	return 1;
}

/* Returns -1 when the connection must close. */
static int
cmd_data(struct session *s, const struct smtp_cmd *cmd)
{
	int rc;

	if (has_arg(s, cmd) || !data_ready(s))
		return 0;
	if (s->bdat) {
		reply(s, 1, 503, "5.5.1", "DATA not allowed after BDAT");
		return 0;
	}
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
cmd_bdat(struct session *s, const struct smtp_cmd *cmd)
{
	char *block;
	long long size, left;
	size_t n;
	int last, ok, rc = IO_OK;

	if (smtp_bdat_parse(cmd->arg, cmd->arglen, &size, &last) != 0) {
		reply(s, 1, 501, "5.5.4", "Syntax error in BDAT parameters");
		return 0;
	}
	ok = data_ready(s);
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
cmd_starttls(struct session *s, const struct smtp_cmd *cmd)
{
	if (has_arg(s, cmd))
		return 0;
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
dispatch(struct session *s, const char *line, size_t len)
{
	struct smtp_cmd cmd;
	const char *enh, *text;
	int rc, code;

	rc = smtp_cmd_parse(line, len, &cmd);
	if (rc != SMTP_PARSE_OK) {
		smtp_parse_reply(rc, cmd.verb, &code, &enh, &text);
		reply(s, 1, code, enh, "%s", text);
		return 0;
	}
	switch (cmd.verb) {
	case SMTP_CMD_EHLO: cmd_helo(s, &cmd, 1); break;
	case SMTP_CMD_HELO: cmd_helo(s, &cmd, 0); break;
	case SMTP_CMD_MAIL: cmd_mail(s, &cmd); break;
	case SMTP_CMD_RCPT: cmd_rcpt(s, &cmd); break;
	case SMTP_CMD_DATA: return cmd_data(s, &cmd);
	case SMTP_CMD_BDAT: return cmd_bdat(s, &cmd);
	case SMTP_CMD_RSET:
		if (has_arg(s, &cmd))
			break;
		txn_reset(s);
		reply(s, 0, 250, "2.0.0", "OK");
		break;
	case SMTP_CMD_NOOP: reply(s, 0, 250, "2.0.0", "OK"); break;
	case SMTP_CMD_QUIT:
		if (has_arg(s, &cmd))
			break;
		reply(s, 0, 221, "2.0.0", "%s closing connection",
		    s->c->hostname);
		s->quit = 1;
		break;
	case SMTP_CMD_VRFY:
		/* RFC 5321 §3.5.3: 252 when we will not say. */
		if (cmd.arglen == 0) {
			reply(s, 1, 501, "5.5.4", "VRFY needs an argument");
			break;
		}
		reply(s, 0, 252, "2.5.0",
		    "Cannot VRFY user, but will accept message and attempt "
		    "delivery");
		break;
	case SMTP_CMD_EXPN:
		reply(s, 1, 502, "5.5.1", "EXPN not implemented");
		break;
	case SMTP_CMD_HELP:
		reply(s, 0, 214, "2.0.0",
		    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT "
		    "VRFY HELP STARTTLS AUTH\nSee RFC 5321");
		break;
	case SMTP_CMD_STARTTLS: return cmd_starttls(s, &cmd);
	case SMTP_CMD_AUTH:
		if (policy_auth(s, cmd.arg, cmd.arglen) == -1)
			return -1;
		break;
	default: reply(s, 1, 500, "5.5.1", "Command unrecognized"); break;
	}
	return 0;
}

static void
session_loop(struct session *s)
{
	char line[SMTP_CMD_LINE_MAX - 1]; /* 510 octets, no CRLF */
	size_t len;
	int rc, bad;

	for (;;) {
		/* SIGTERM while we were busy (delivering, say): the
		   replies so far, then 421 (RFC 5321 §3.8). */
		if (server_terminating()) {
			session_lost(s, IO_ERR, "");
			return;
		}
		if (!line_buffered(&s->io) && io_flush(&s->io) == -1) {
			session_lost(s, IO_ERR, "");
			return;
		}
		rc = read_command(s, line, sizeof(line), &len, &bad);
		if (rc != IO_OK) {
			session_lost(s, rc, "");
			return;
		}
		if (bad & BAD_LONG)
			reply(s, 1, 500, "5.5.6", "Line too long");
		else if (bad & BAD_CR)
			reply(s, 1, 500, "5.5.2", "Bare CR in command line");
		else if (dispatch(s, line, len) == -1)
			return;
		if (s->quit)
			return;
		if (s->errors >= s->c->max_errors) {
			reply(s, 0, 421, "4.7.0", "%s Too many errors, closing",
			    s->c->hostname);
			log_info(s->c->log, "too many errors from %s[%s]",
			    s->host, s->addr);
			s->end = "too-many-errors";
			return;
		}
	}
}

int
session_run(const struct msmtpd_conf *c, int rfd, int wfd)
{
	struct session *s;
	int quit;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->rcpt = calloc((size_t)c->max_rcpt, sizeof(*s->rcpt))) == NULL) {
		log_err(c->log, "session: %s", strerror(errno));
		free(s);
		return 1;
	}
	s->c = c;
	s->spool = c->privsep ? c->spool_fd : -1; /* privsep: the parent's */
	s->end = "dropped";
	buf_init(&s->sbuf, 0);
	io_init(&s->io, rfd, wfd, c->timeout * 1000);
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
	session_loop(s);
out:
	if (s->quit)
		s->end = "quit";
	/* Logged before the last replies go out: a client that saw 221
	   finds the line there. */
	log_info(c->log,
	    "session: peer=%s[%s] helo=%s tls=%s%s%s auth=%s messages=%d "
	    "end=%s",
	    s->host, s->addr[0] != '\0' ? s->addr : "stdin",
	    s->helo[0] != '\0' ? s->helo : "-",
	    s->tls ? s->tlsi.protocol : "no", s->tls ? "/" : "",
	    s->tls ? s->tlsi.cipher : "", s->authed ? s->auth_user : "-",
	    s->accepted, s->end);
	(void)io_flush(&s->io);
	quit = s->quit;
	io_close(&s->io);
	if (s->spool != -1)
		close(s->spool);
	buf_free(&s->sbuf);
	free(s->rcpt);
	free(s);
	return quit ? 0 : 1;
}
