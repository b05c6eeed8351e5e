/*
 * serve_session.c: one POP3 session of `mpop serve': the states of
 * RFC 1939 §3 (AUTHORIZATION, TRANSACTION, UPDATE), the command loop,
 * CAPA (RFC 2449), answers, the trace and the session's log line.  The
 * login is in serve_auth.c, the maildrop commands in serve_maildrop.c.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"
#include "server.h"
#include "util.h"

void
sess_resp(struct sess *s, int ok, enum pop3_code code, const char *fmt, ...)
{
	char text[POP3_RESP_LINE_MAX], line[POP3_RESP_LINE_MAX - 1];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pop3_resp_format(line, sizeof(line), ok, code, "%s", text);
	(void)io_line(&s->io, "%s", line);
}

void
sess_err(struct sess *s, enum pop3_code code, const char *fmt, ...)
{
	char text[POP3_RESP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sess_resp(s, 0, code, "%s", text);
	s->errors++;
}

/* May USER, PASS and AUTH be used now (RFC 2595 §4, RFC 8314)? */
int
sess_login_allowed(const struct sess *s)
{
	return s->c->preauth || s->tls || s->c->allow_plain_auth;
}

static int
line_buffered(const struct io *io)
{
	return memchr(io->rbuf + io->rpos, '\n', io->rlen - io->rpos) != NULL;
}

/*
 * One line into line (cap bytes), without its ending (CRLF or a bare
 * LF: RFC 1939 asks for CRLF, clients are forgiven the LF).  *toolong
 * when it passed cap - 1 (the rest is read and dropped).
 */
int
sess_read_line(
    struct sess *s, char *line, size_t cap, size_t *len, int *toolong)
{
	char piece[POP3_CMD_LINE_MAX];
	size_t n, total = 0;
	int eol, rc;

	*toolong = 0;
	for (;;) {
		rc = io_getline(&s->io, piece, sizeof(piece), &n, &eol);
		if (rc != IO_OK)
			return rc;
		if (total + n > cap - 1)
			*toolong = 1;
		else {
			memcpy(line + total, piece, n);
			total += n;
		}
		util_wipe(piece, n);
		if (eol == IO_EOL_CRLF || eol == IO_EOL_LF)
			break;
	}
	line[total] = '\0';
	*len = total;
	/* The trace hides PASS and the SASL lines (log_redact). */
	if (s->c->log != NULL && s->c->log->trace)
		log_trace(s->c->log, 1, line, total);
	return IO_OK;
}

static void
cmd_capa(struct sess *s)
{
	/* RFC 2449 §5; what is offered depends on the state (§6). */
	sess_resp(s, 1, POP3_CODE_NONE, "capability list follows");
	(void)io_line(&s->io, "TOP");
	(void)io_line(&s->io, "UIDL");
	(void)io_line(&s->io, "RESP-CODES");
	(void)io_line(&s->io, "AUTH-RESP-CODE");
	(void)io_line(&s->io, "PIPELINING");
	if (s->state == ST_AUTH || s->c->preauth) {
		/* RFC 2595 §4: no USER and no SASL before TLS when they
		   would be refused. */
		if (sess_login_allowed(s)) {
			(void)io_line(&s->io, "USER");
			(void)io_line(&s->io, "SASL PLAIN");
		}
		if (s->c->tls != NULL && !s->tls && s->state == ST_AUTH)
			(void)io_line(&s->io, "STLS");
	}
	(void)io_line(&s->io, "IMPLEMENTATION mpop");
	(void)io_line(&s->io, ".");
}

/* ---------------------------------------------------------------- loop */

/* Returns -1 when the connection must close. */
static int
dispatch(struct sess *s, const char *line, size_t len)
{
	struct pop3_cmd cmd;
	int rc;

	rc = pop3_cmd_parse(line, len, &cmd);
	if (rc != POP3_PARSE_OK) {
		sess_err(s, POP3_CODE_NONE, "%s", pop3_parse_text(rc));
		return 0;
	}
	/* Commands of every state. */
	switch (cmd.verb) {
	case POP3_CMD_QUIT:
		if (s->state == ST_TRANS)
			drop_update(s);
		else {
			sess_resp(s, 1, POP3_CODE_NONE, "bye");
			s->result = "quit";
			s->quit = 1;
		}
		return 0;
	case POP3_CMD_CAPA: cmd_capa(s); return 0;
	case POP3_CMD_NOOP:
		if (s->state == ST_TRANS) {
			sess_resp(s, 1, POP3_CODE_NONE, "%s", "");
			return 0;
		}
		break;
	case POP3_CMD_USER:
	case POP3_CMD_PASS:
		/* Preauthenticated: RFC 1939 clients still log in; any
		   name and password will do. */
		if (s->c->preauth) {
			sess_resp(s, 1, POP3_CODE_NONE, "preauthenticated");
			return 0;
		}
		break;
	case POP3_CMD_AUTH:
		if (s->c->preauth)
			return auth_sasl(s, &cmd);
		break;
	default: break;
	}
	if (s->state == ST_AUTH) {
		switch (cmd.verb) {
		case POP3_CMD_USER: return auth_user(s, &cmd);
		case POP3_CMD_PASS: return auth_pass(s, &cmd);
		case POP3_CMD_AUTH: return auth_sasl(s, &cmd);
		case POP3_CMD_STLS: return auth_stls(s);
		case POP3_CMD_APOP:
			sess_err(s, POP3_CODE_NONE, "APOP not supported");
			return 0;
		default:
			sess_err(s, POP3_CODE_NONE, "not allowed before login");
			return 0;
		}
	}
	switch (cmd.verb) {
	case POP3_CMD_STAT: drop_stat(s); return 0;
	case POP3_CMD_LIST: return drop_list(s, &cmd, 0);
	case POP3_CMD_UIDL: return drop_list(s, &cmd, 1);
	case POP3_CMD_RETR: return drop_retr(s, &cmd, 0);
	case POP3_CMD_TOP: return drop_retr(s, &cmd, 1);
	case POP3_CMD_DELE: drop_dele(s, &cmd); return 0;
	case POP3_CMD_RSET: drop_rset(s); return 0;
	default:
		sess_err(s, POP3_CODE_NONE, "not allowed after login");
		return 0;
	}
}

static void
session_loop(struct sess *s)
{
	char line[POP3_CMD_LINE_MAX - 1]; /* 253 octets, no CRLF */
	size_t len;
	int rc, toolong;

	for (;;) {
		if (!line_buffered(&s->io) && io_flush(&s->io) == -1) {
			s->result = "write-error";
			return;
		}
		rc = sess_read_line(s, line, sizeof(line), &len, &toolong);
		if (server_terminating()) {
			sess_resp(
			    s, 0, POP3_CODE_SYS_TEMP, "server shutting down");
			s->result = "shutdown";
			return;
		}
		if (rc == IO_TIMEOUT) {
			/* RFC 1939 §3: close without a response and without
			   entering UPDATE. */
			s->result = "timeout";
			return;
		}
		if (rc != IO_OK) {
			s->result = rc == IO_EOF ? "dropped" : "error";
			if (rc == IO_ERR)
				log_info(
				    s->c->log, "%s: %s", s->addr, s->io.err);
			return;
		}
		if (toolong)
			sess_err(s, POP3_CODE_NONE, "line too long");
		else if (dispatch(s, line, len) == -1) {
			/* SIGTERM in the middle of a RETR: no terminator,
			   so the client cannot take a cut message whole. */
			if (s->result == NULL)
				s->result =
				    server_terminating() ? "shutdown" : "error";
			return;
		}
		util_wipe(line, len);
		if (s->quit)
			return;
		if (s->errors >= s->c->max_errors) {
			sess_resp(
			    s, 0, POP3_CODE_NONE, "too many errors, closing");
			s->result = "too-many-errors";
			return;
		}
	}
}

static void
log_session(struct sess *s)
{
	char peer[DNS_NAME_MAX + NET_ADDRSTR_MAX + 4];

	if (s->addr[0] == '\0')
		util_strlcpy(peer, "[stdin]", sizeof(peer));
	else
		snprintf(peer, sizeof(peer), "%s[%s]", s->host, s->addr);
	log_info(s->c->log,
	    "session: peer=%s user=%s tls=%s retrieved=%zu deleted=%zu "
	    "bytes=%lld authfail=%d end=%s",
	    peer, s->mb_open && s->user[0] != '\0' ? s->user : "-",
	    s->tls ? s->tlsi.protocol : "no", s->nretr, s->ndele, s->bytes,
	    s->authfail, s->result != NULL ? s->result : "dropped");
}

static struct sess *
sess_new(const struct serve_conf *c, int rfd, int wfd)
{
	struct sess *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_err(c->log, "session: %s", strerror(errno));
		return NULL;
	}
	s->c = c;
	s->mb.lockfd = -1;
	s->handoff_fd = -1;
	buf_init(&s->enc, 0);
	io_init(&s->io, rfd, wfd, c->timeout * 1000);
	s->io.stop = server_terminating;
	if (c->log != NULL && c->log->trace) {
		s->io.log = c->log;
		s->io.from_peer_is_client = 1;
	}
	return s;
}

/* Log the session (unless it went on in a post-login process), free. */
static int
sess_end(struct sess *s)
{
	int quit;

	(void)io_flush(&s->io);
	quit = s->quit;
	if (s->handoff_fd != -1) {
		/* The login process: the session goes on in the post-login
		   process, which logs it; we pass bytes until it ends. */
		if (privsep_proxy(&s->io, s->handoff_fd,
			(s->c->timeout + 60) * 1000) == -1)
			log_info(s->c->log, "%s: %s",
			    s->addr[0] != '\0' ? s->addr : "local", s->io.err);
		(void)close(s->handoff_fd);
		quit = 1;
	} else
		log_session(s);
	io_close(&s->io);
	if (s->mb_open) {
		char e[ERR_MAX];

		/* Sizes LIST counted: the next session reads no file. */
		if (mailbox_save_sizes(&s->mb, e, sizeof(e)) == -1)
			log_warn(s->c->log, "%s", e);
		mailbox_close(&s->mb);
	}
	free(s->deleted);
	buf_free(&s->enc);
	util_wipe(s, sizeof(*s));
	free(s);
	return quit ? 0 : 1;
}

int
serve_post_login(const struct serve_conf *c, const struct passwd_entry *e,
    int fd, const struct serve_peer *peer)
{
	struct sess *s;

	if ((s = sess_new(c, fd, fd)) == NULL)
		return 1;
	util_strlcpy(s->addr, peer->addr, sizeof(s->addr));
	util_strlcpy(s->host, peer->host, sizeof(s->host));
	if (peer->tls[0] != '\0') {
		s->tls = 1;
		util_strlcpy(
		    s->tlsi.protocol, peer->tls, sizeof(s->tlsi.protocol));
	}
	s->authfail = peer->authfail;
	if (auth_enter(s, e) == 0)
		session_loop(s);
	else if (s->result == NULL)
		s->result = "maildrop-error";
	return sess_end(s);
}

int
serve_session(const struct serve_conf *c, int rfd, int wfd)
{
	struct sess *s;

	if ((s = sess_new(c, rfd, wfd)) == NULL)
		return 1;
	if (net_peer(rfd, c->resolve, s->addr, sizeof(s->addr), s->host,
		sizeof(s->host)) == -1) {
		s->addr[0] = '\0';
		s->host[0] = '\0';
	}
	if (c->tls != NULL && c->tls_on_connect) {
		/* RFC 8314 §3.3: TLS from the first byte (port 995). */
		if (io_starttls_server(&s->io, c->tls) == -1) {
			log_info(c->log, "%s: TLS handshake failed: %s",
			    s->addr[0] != '\0' ? s->addr : "local", s->io.err);
			s->result = "tls-failed";
			goto out;
		}
		tls_info(s->io.tls, &s->tlsi);
		s->tls = 1;
	}
	if (c->preauth) {
		struct passwd *pw = getpwuid(getuid());
		char e[ERR_MAX];

		/* The greeting is the answer to the login that the ssh or
		   pipe already did. */
		if (mailbox_open(&s->mb, c->maildir, MAILBOX_POP3_EXCL, e,
			sizeof(e)) == -1) {
			int saved = errno;

			s->result = saved == EWOULDBLOCK || saved == EAGAIN
			    ? "in-use"
			    : "maildrop-error";
			if (saved == EWOULDBLOCK || saved == EAGAIN)
				sess_resp(s, 0, POP3_CODE_IN_USE,
				    "maildrop is locked by another session");
			else {
				log_err(c->log, "%s", e);
				sess_resp(s, 0, POP3_CODE_SYS_PERM,
				    "cannot open maildrop");
			}
			goto out;
		}
		s->mb_open = 1;
		if (s->mb.reset || s->mb.repaired)
			log_warn(c->log, "%s", e);
		if ((s->deleted = calloc(s->mb.n ? s->mb.n : 1, 1)) == NULL) {
			sess_resp(s, 0, POP3_CODE_SYS_TEMP, "out of memory");
			goto out;
		}
		util_strlcpy(s->user, pw != NULL ? pw->pw_name : "preauth",
		    sizeof(s->user));
		s->state = ST_TRANS;
		sess_resp(s, 1, POP3_CODE_NONE,
		    "%s POP3 server ready, preauthenticated", c->hostname);
	} else
		sess_resp(
		    s, 1, POP3_CODE_NONE, "%s POP3 server ready", c->hostname);
	session_loop(s);
out:
	return sess_end(s);
}
