/*
 * serve_auth.c: the AUTHORIZATION state of `mpop serve': USER/PASS
 * (RFC 1939 §7), AUTH PLAIN (RFC 5034, RFC 4616) with the [AUTH] code
 * of RFC 3206, STLS (RFC 2595), the passwd-file check and, as root, the
 * change to the user before the Maildir is opened (DESIGN.md).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passwd.h"
#include "privsep.h"
#include "sasl.h"
#include "serve.h"
#include "server.h"
#include "util.h"

/*
 * The Maildir of an entry: its maildir field, else --maildir with "%u"
 * replaced by the user name.  0 or -1.
 */
static int
maildir_of(const struct sess *s, const struct passwd_entry *e, char *out,
    size_t outlen)
{
	const char *t = e->maildir[0] != '\0' ? e->maildir : s->c->maildir;
	struct buf b;
	int rc = 0;

	if (t == NULL || t[0] == '\0')
		return -1;
	buf_init(&b, outlen - 1);
	for (; *t != '\0' && rc == 0; t++) {
		if (t[0] == '%' && t[1] == 'u' && e->maildir[0] == '\0') {
			rc = buf_puts(&b, e->user);
			t++;
		} else
			rc = buf_putc(&b, *t);
	}
	if (rc == 0)
		util_strlcpy(out, buf_cstr(&b), outlen);
	buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- login */

int
auth_enter(struct sess *s, const struct passwd_entry *e)
{
	char dir[PATH_MAX], er[ERR_MAX];
	int was_root = geteuid() == 0;

	if (passwd_become(e, er, sizeof(er)) == -1) {
		/* DESIGN: a server running as root becomes the user before
		   it touches the Maildir. */
		log_err(s->c->log, "%s: %s", e->user, er);
		sess_resp(
		    s, 0, POP3_CODE_SYS_PERM, "cannot switch to the user");
		s->result = "privilege-error";
		return -1;
	}
	if (maildir_of(s, e, dir, sizeof(dir)) == -1) {
		log_err(s->c->log,
		    "%s: no maildir in the passwd-file and no --maildir",
		    e->user);
		sess_resp(
		    s, 0, POP3_CODE_SYS_PERM, "no maildrop for this user");
		s->result = "no-maildir";
		return -1;
	}
	util_strlcpy(s->user, e->user, sizeof(s->user));
	/* Once the privileges are gone no other user may log in: a
	   failure to open ends the session. */
	if (maildrop_open(s, dir) == -1 && was_root)
		return -1;
	return 0;
}

/*
 * The login process (privsep): the parent checks the password, and on
 * success starts the post-login process, which answers the client
 * through us.  Its answers are hostile too: only the expected shapes.
 */
static int
login_privsep(struct sess *s, const char *user, const char *pass)
{
	struct privsep_msg m;
	char nfail[16];
	const char *f[SERVE_PS_LOGIN_FIELDS];
	int rc;

	(void)snprintf(nfail, sizeof(nfail), "%d", s->authfail);
	f[0] = user;
	f[1] = pass;
	f[2] = s->addr;
	f[3] = s->host;
	f[4] = s->tls ? s->tlsi.protocol : "";
	f[5] = nfail;
	if (privsep_send(s->c->ps_fd, SERVE_PS_LOGIN, -1, SERVE_PS_LOGIN_FIELDS,
		f) == -1) {
		log_err(s->c->log, "privsep: send: %s", strerror(errno));
		goto temp;
	}
	do
		rc = privsep_recv(s->c->ps_fd, &m, -1);
	while (rc == -1 && errno == EINTR && !server_terminating());
	if (rc != 1) {
		log_err(s->c->log, "privsep: %s",
		    rc == 0 ? "the parent went away" : strerror(errno));
		goto temp;
	}
	if (m.type == SERVE_PS_OK && m.fd != -1) {
		s->handoff_fd = m.fd;
		s->result = "logged-in";
		return -1;
	}
	if (m.fd != -1)
		(void)close(m.fd);
	if (m.type == SERVE_PS_NO) {
		/* The parent waited the delay already. */
		s->authfail++;
		sess_err(s, POP3_CODE_AUTH, "invalid user name or password");
		return 0;
	}
	if (m.type == SERVE_PS_TEMP) {
		sess_resp(s, 0, POP3_CODE_SYS_TEMP,
		    "temporary authentication failure");
		s->errors++;
		return 0;
	}
	log_err(s->c->log, "privsep: unexpected answer %u", m.type);
temp:
	sess_resp(s, 0, POP3_CODE_SYS_TEMP, "temporary authentication failure");
	s->result = "privsep-error";
	return -1;
}

/*
 * Check user and pass; on success drop to the user (as root) and open
 * the maildrop.  Answers the client.  -1 when the session must end.
 */
static int
login(struct sess *s, const char *user, const char *pass)
{
	struct passwd_entry e;
	char er[ERR_MAX];
	int rc, ret = 0;

	s->have_user = 0;
	if (s->c->privsep)
		return login_privsep(s, user, pass);
	rc = passwd_check(s->c->passwd_file, user, pass, &e, er, sizeof(er));
	if (rc == -1) {
		log_err(s->c->log, "passwd-file: %s", er);
		sess_resp(s, 0, POP3_CODE_SYS_TEMP,
		    "temporary authentication failure");
		s->errors++;
	} else if (rc == 0) {
		/* The same answer after the same delay whether the user
		   exists or not (RFC 3206 §4: [AUTH]). */
		s->authfail++;
		(void)util_sleep_ms(s->c->auth_delay_ms, server_terminating);
		sess_err(s, POP3_CODE_AUTH, "invalid user name or password");
	} else
		ret = auth_enter(s, &e);
	util_wipe(&e, sizeof(e));
	return ret;
}

int
auth_user(struct sess *s, const struct pop3_cmd *cmd)
{
	if (!sess_login_allowed(s)) {
		sess_err(s, POP3_CODE_AUTH,
		    "plaintext login not allowed without TLS, use STLS");
		return 0;
	}
	if (cmd->arglen[0] > PASSWD_USER_MAX) {
		sess_err(s, POP3_CODE_AUTH, "user name too long");
		return 0;
	}
	memcpy(s->user, cmd->arg[0], cmd->arglen[0]);
	s->user[cmd->arglen[0]] = '\0';
	s->have_user = 1;
	/* RFC 1939 §7: never tell whether the name exists. */
	sess_resp(s, 1, POP3_CODE_NONE, "send PASS");
	return 0;
}

int
auth_pass(struct sess *s, const struct pop3_cmd *cmd)
{
	char pass[POP3_CMD_LINE_MAX];
	int rc;

	if (!sess_login_allowed(s)) {
		sess_err(s, POP3_CODE_AUTH,
		    "plaintext login not allowed without TLS, use STLS");
		return 0;
	}
	if (!s->have_user) {
		sess_err(s, POP3_CODE_NONE, "send USER first");
		return 0;
	}
	memcpy(pass, cmd->arg[0], cmd->arglen[0]);
	pass[cmd->arglen[0]] = '\0';
	rc = login(s, s->user, pass);
	util_wipe(pass, sizeof(pass));
	return rc;
}

static int
read_sasl_line(
    struct sess *s, char *line, size_t cap, size_t *len, int *toolong)
{
	return sess_read_line(s, line, cap, len, toolong);
}

int
auth_sasl(struct sess *s, const struct pop3_cmd *cmd)
{
	struct sasl_server sasl;
	struct buf out;
	char line[SASL_LINE_MAX + 1], er[ERR_MAX];
	size_t n;
	int rc, toolong, ret = 0;

	if (!sess_login_allowed(s)) {
		sess_err(s, POP3_CODE_AUTH,
		    "authentication not allowed without TLS, use STLS");
		return 0;
	}
	if (cmd->nargs == 0) {
		/* The mechanism list of RFC 1734, which clients still
		   probe for. */
		sess_resp(s, 1, POP3_CODE_NONE, "methods follow");
		(void)io_line(&s->io, "PLAIN");
		(void)io_line(&s->io, ".");
		return 0;
	}
	if (sasl_mech_parse(cmd->arg[0], cmd->arglen[0]) != SASL_MECH_PLAIN) {
		sess_err(
		    s, POP3_CODE_NONE, "unsupported authentication mechanism");
		return 0;
	}
	buf_init(&out, SASL_LINE_MAX);
	memset(&sasl, 0, sizeof(sasl));
	rc = sasl_server_start(
	    &sasl, cmd->rest, cmd->restlen, &out, er, sizeof(er));
	while (rc == SASL_CONTINUE) {
		/* RFC 5034 §4: "+ " and the base64 challenge. */
		(void)io_line(&s->io, "+ %s", buf_cstr(&out));
		buf_reset(&out);
		if (io_flush(&s->io) == -1) {
			ret = -1;
			goto out;
		}
		rc = read_sasl_line(s, line, sizeof(line), &n, &toolong);
		if (rc != IO_OK) {
			ret = -1;
			goto out;
		}
		if (toolong) {
			sess_err(
			    s, POP3_CODE_NONE, "authentication line too long");
			goto out;
		}
		rc = sasl_server_step(&sasl, line, n, &out, er, sizeof(er));
		util_wipe(line, n);
	}
	switch (rc) {
	case SASL_DONE: break;
	case SASL_ERR_CANCEL:
		sess_err(s, POP3_CODE_NONE, "authentication cancelled");
		goto out;
	case SASL_ERR_SYNTAX:
		sess_err(s, POP3_CODE_NONE, "cannot decode the response");
		goto out;
	case SASL_ERR_MECH:
		sess_err(
		    s, POP3_CODE_NONE, "unsupported authentication mechanism");
		goto out;
	default:
		/* Preauthenticated: any credentials will do. */
		if (s->c->preauth)
			break;
		s->authfail++;
		(void)util_sleep_ms(s->c->auth_delay_ms, server_terminating);
		sess_err(s, POP3_CODE_AUTH, "invalid user name or password");
		goto out;
	}
	if (s->c->preauth)
		sess_resp(s, 1, POP3_CODE_NONE, "preauthenticated");
	else
		ret = login(s, sasl.user, sasl.pass);
out:
	sasl_server_clear(&sasl);
	buf_free(&out);
	return ret;
}

int
auth_stls(struct sess *s)
{
	if (s->c->tls == NULL) {
		sess_err(s, POP3_CODE_NONE, "STLS not available");
		return 0;
	}
	if (s->tls) {
		sess_err(s, POP3_CODE_NONE, "TLS is already active");
		return 0;
	}
	sess_resp(s, 1, POP3_CODE_NONE, "begin TLS negotiation");
	/* io_starttls_server flushes the answer, then drops every byte
	   that came before the handshake: nothing pipelined after STLS
	   runs (RFC 2595 §4, RFC 3207 §4.2). */
	if (io_starttls_server(&s->io, s->c->tls) == -1) {
		log_info(s->c->log, "%s: TLS handshake failed: %s", s->addr,
		    s->io.err);
		s->result = "tls-failed";
		return -1;
	}
	tls_info(s->io.tls, &s->tlsi);
	s->tls = 1;
	/* Forget what the client said in the clear. */
	s->have_user = 0;
	s->user[0] = '\0';
	return 0;
}
