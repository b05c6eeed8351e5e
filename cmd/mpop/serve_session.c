/*
 * serve_session.c: one POP3 session of `mpop serve': the states of
 * RFC 1939 §3 (AUTHORIZATION, TRANSACTION, UPDATE) as a command table
 * run by common/session's loop (a deadline per line, one for the
 * session), CAPA (RFC 2449), answers, the trace and the session's log
 * line.  The login is in serve_auth.c (over common/login), the maildrop
 * commands in serve_maildrop.c.
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
#include "session.h"
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

/*
 * The states as the command table sees them (RFC 1939 §3): before the
 * login, after it, and after a --preauth greeting (TRANSACTION, where
 * USER, PASS and AUTH still answer for clients that log in anyway).
 * UPDATE runs within QUIT and is never seen here.
 */
enum { TS_AUTH, TS_TRANS, TS_PREAUTH };
#define TRANS_STATES (SESSION_IN(TS_TRANS) | SESSION_IN(TS_PREAUTH))
#define LOGIN_STATES (SESSION_IN(TS_AUTH) | SESSION_IN(TS_PREAUTH))

static unsigned
pop3_state(void *v)
{
	const struct sess *s = v;

	if (s->state == ST_AUTH)
		return TS_AUTH;
	return s->c->preauth ? TS_PREAUTH : TS_TRANS;
}

/* The one place that says why a command does not fit the state. */
static void
bad_state(void *v, const struct session_cmd *c)
{
	struct sess *s = v;

	(void)c;
	if (s->state == ST_AUTH)
		sess_err(s, POP3_CODE_NONE, "not allowed before login");
	else
		sess_err(s, POP3_CODE_NONE, "not allowed after login");
}

static void
bad_arg(void *v, const struct session_cmd *c)
{
	(void)c;
	sess_err(v, POP3_CODE_NONE, "%s", pop3_parse_text(POP3_PARSE_NARGS));
}

static void
unknown(void *v, int verb)
{
	(void)verb;
	sess_err(v, POP3_CODE_NONE, "%s", pop3_parse_text(POP3_PARSE_UNKNOWN));
}

/* QUIT, CAPA, STLS, APOP: the commands of every state, and those of
   AUTHORIZATION that are not the login. */
static int
cmd_session(void *v, const char *arg, size_t len)
{
	struct sess *s = v;

	(void)arg;
	(void)len;
	switch (s->cmd->verb) {
	case POP3_CMD_QUIT:
		if (s->state == ST_TRANS) {
			drop_update(s);
			return 0;
		}
		sess_resp(s, 1, POP3_CODE_NONE, "bye");
		s->result = "quit";
		s->quit = 1;
		return 0;
	case POP3_CMD_CAPA: cmd_capa(s); return 0;
	case POP3_CMD_STLS: return auth_stls(s);
	default:
		/* APOP is not offered: it needs the passwords in the
		   clear on the server. */
		sess_err(s, POP3_CODE_NONE, "APOP not supported");
		return 0;
	}
}

/* USER, PASS and AUTH: with --preauth any name and password will do. */
static int
cmd_login(void *v, const char *arg, size_t len)
{
	struct sess *s = v;

	(void)arg;
	(void)len;
	if (s->cmd->verb == POP3_CMD_AUTH)
		return auth_sasl(s, s->cmd);
	if (s->c->preauth) {
		sess_resp(s, 1, POP3_CODE_NONE, "preauthenticated");
		return 0;
	}
	if (s->cmd->verb == POP3_CMD_USER)
		return auth_user(s, s->cmd);
	return auth_pass(s, s->cmd);
}

/* The TRANSACTION commands (serve_maildrop.c). */
static int
cmd_drop(void *v, const char *arg, size_t len)
{
	struct sess *s = v;

	(void)arg;
	(void)len;
	switch (s->cmd->verb) {
	case POP3_CMD_STAT: drop_stat(s); return 0;
	case POP3_CMD_LIST: return drop_list(s, s->cmd, 0);
	case POP3_CMD_UIDL: return drop_list(s, s->cmd, 1);
	case POP3_CMD_RETR: return drop_retr(s, s->cmd, 0);
	case POP3_CMD_TOP: return drop_retr(s, s->cmd, 1);
	case POP3_CMD_DELE: drop_dele(s, s->cmd); return 0;
	case POP3_CMD_RSET: drop_rset(s); return 0;
	default: sess_resp(s, 1, POP3_CODE_NONE, "%s", ""); return 0;
	}
}

/* pop3_cmd_parse checks the arguments: no SESSION_NOARG here. */
static const struct session_cmd pop3_cmds[] = {
    {POP3_CMD_USER, LOGIN_STATES, 0, cmd_login},
    {POP3_CMD_PASS, LOGIN_STATES, 0, cmd_login},
    {POP3_CMD_AUTH, LOGIN_STATES, 0, cmd_login},
    {POP3_CMD_APOP, SESSION_IN(TS_AUTH), 0, cmd_session},
    {POP3_CMD_STLS, SESSION_IN(TS_AUTH), 0, cmd_session},
    {POP3_CMD_CAPA, SESSION_ANY, 0, cmd_session},
    {POP3_CMD_QUIT, SESSION_ANY, 0, cmd_session},
    {POP3_CMD_STAT, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_LIST, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_RETR, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_DELE, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_NOOP, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_RSET, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_TOP, TRANS_STATES, 0, cmd_drop},
    {POP3_CMD_UIDL, TRANS_STATES, 0, cmd_drop},
    {0, 0, 0, NULL}};

static const struct session_proto pop3_proto = {
    pop3_cmds, pop3_state, unknown, bad_state, bad_arg};

/* A command line (session_run_loop's line hook).  -1 ends the session. */
static int
on_line(void *v, char *line, size_t len, int flags)
{
	struct sess *s = v;
	struct pop3_cmd cmd;
	int rc;

	/* The trace hides PASS and the SASL lines (log_redact). */
	if (s->c->log != NULL && s->c->log->trace)
		log_trace(s->c->log, 1, line, len);
	/* The answer (a long RETR) is bounded by the idle timeout and the
	   session's lifetime, not by the command's deadline. */
	io_deadline_in(&s->io, -1, s->end_ms);
	/* RFC 1939 asks for CRLF; a bare LF is forgiven, a bare CR
	   dropped. */
	if (flags & IO_LINE_LONG) {
		sess_err(s, POP3_CODE_NONE, "line too long");
		return 0;
	}
	rc = pop3_cmd_parse(line, len, &cmd);
	if (rc != POP3_PARSE_OK) {
		sess_err(s, POP3_CODE_NONE, "%s", pop3_parse_text(rc));
		return 0;
	}
	s->cmd = &cmd;
	rc = session_dispatch(&pop3_proto, s, (int)cmd.verb, cmd.rest,
	    cmd.restlen);
	s->cmd = NULL;
	if (rc == -1 && s->result == NULL)
		/* SIGTERM in the middle of a RETR: no terminator, so the
		   client cannot take a cut message whole. */
		s->result = server_terminating() ? "shutdown" : "error";
	return rc;
}

void
sess_lost(struct sess *s, int rc)
{
	if (server_terminating()) {
		sess_resp(s, 0, POP3_CODE_SYS_TEMP, "server shutting down");
		s->result = "shutdown";
	} else if (rc == IO_TIMEOUT) {
		/* RFC 1939 §3: close without a response and without
		   entering UPDATE. */
		s->result = "timeout";
	} else {
		s->result = rc == IO_EOF ? "dropped" : "error";
		if (rc == IO_ERR)
			log_info(s->c->log, "%s: %s", s->addr, s->io.err);
	}
}

static void
on_lost(void *v, int rc)
{
	sess_lost(v, rc);
}

static int
on_done(void *v)
{
	struct sess *s = v;

	if (s->quit)
		return 1;
	if (s->errors >= s->c->max_errors) {
		sess_resp(s, 0, POP3_CODE_NONE, "too many errors, closing");
		s->result = "too-many-errors";
		return 1;
	}
	return 0;
}

static void
session_loop(struct sess *s)
{
	struct session_loop loop;

	loop.io = &s->io;
	loop.sess = s;
	/* RFC 2449 §4: 255 octets with the CRLF. */
	loop.line_max = POP3_CMD_LINE_MAX - 2;
	loop.line_ms = s->c->timeout * 1000;
	loop.end_ms = s->end_ms;
	loop.line = on_line;
	loop.lost = on_lost;
	loop.done = on_done;
	loop.wait = NULL;
	session_run_loop(&loop);
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
	    s->login.fails, s->result != NULL ? s->result : "dropped");
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
	s->end_ms =
	    session_io_init(&s->io, rfd, wfd, c->timeout, c->lifetime, c->log);
	/* RFC 5034 §4: "+ " and the base64 challenge; privsep: the
	   parent waits after a wrong password. */
	login_init_server(&s->login, &s->io, c->log, s->host, s->addr, "+ ",
	    c->timeout * 1000, s->end_ms, c->auth_delay_ms, c->privsep,
	    server_terminating);
	return s;
}

/* Log the session (unless it went on in a post-login process), free. */
static int
sess_end(struct sess *s)
{
	int quit, fails = s->login.fails;

	(void)io_flush(&s->io);
	quit = s->quit;
	if (s->handoff_fd != -1) {
		/* The login process: the session goes on in the post-login
		   process, which logs it; we pass bytes until it ends. */
		loginsrv_handoff(&s->io, s->handoff_fd, 0, s->c->timeout,
		    s->c->log, s->addr);
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
	return server_exit_status(!quit, fails);
}

int
serve_post_login(const struct serve_conf *c, const struct passwd_entry *e,
    int fd, const struct loginsrv_peer *peer)
{
	struct sess *s;

	if ((s = sess_new(c, fd, fd)) == NULL)
		return 1;
	s->tls = loginsrv_peer_take(peer, s->addr, s->host, &s->tlsi,
	    &s->login.fails, &s->end_ms, &s->io);
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
	int tls;

	if ((s = sess_new(c, rfd, wfd)) == NULL)
		return 1;
	/* RFC 8314 §3.3: TLS from the first byte (port 995). */
	if ((tls = session_accept(&s->io, rfd, c->resolve,
	    c->tls_on_connect ? c->tls : NULL, c->log, s->addr, s->host,
	    &s->tlsi)) == -1) {
		s->result = "tls-failed";
		goto out;
	}
	s->tls = tls;
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
