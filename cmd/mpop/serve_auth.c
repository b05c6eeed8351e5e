/*
 * serve_auth.c: the AUTHORIZATION state of `mpop serve': USER/PASS
 * (RFC 1939 §7), AUTH PLAIN (RFC 5034, RFC 4616) with the [AUTH] code
 * of RFC 3206, STLS (RFC 2595), the passwd-file check (or the
 * privileged parent's) through common/login, which also keeps the
 * failed-login delay and count, and, as root, the change to the user
 * before the Maildir is opened (DESIGN.md).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "login.h"
#include "passwd.h"
#include "privsep.h"
#include "sasl.h"
#include "serve.h"
#include "server.h"
#include "util.h"

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
	if (passwd_maildir(e, s->c->maildir, dir, sizeof(dir)) == -1) {
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

/* The login's check (common/login.h) and what it leaves behind. */
struct check {
	struct sess *s;
	struct passwd_entry e; /* one process: the good user's line */
};

/*
 * The login process (privsep): the parent checks the password, waits
 * the delay after a wrong one, and on success starts the post-login
 * process, which answers the client through us.  Its answers are
 * hostile too: only the expected shapes.  An error that ends the
 * session sets s->result.
 */
static int
check_privsep(struct sess *s, const char *user, const char *pass, char *err,
    size_t errlen)
{
	struct loginsrv_peer peer;

	peer.addr = s->addr;
	peer.host = s->host;
	peer.tls = s->tls ? s->tlsi.protocol : "";
	peer.authfail = s->login.fails;
	peer.end_ms = 0;
	peer.tag = "";
	return loginsrv_ask(s->c->ps_fd, user, pass, &peer, &s->handoff_fd,
	    &s->result, err, errlen);
}

static int
check_pass(void *arg, const char *user, const char *pass, char *err,
    size_t errlen)
{
	struct check *k = arg;

	if (k->s->c->privsep)
		return check_privsep(k->s, user, pass, err, errlen);
	return passwd_check(
	    k->s->c->passwd_file, user, pass, &k->e, err, errlen);
}

/*
 * Answer a login's check (rc from login_check or login_sasl): on
 * success drop to the user (as root) and open the maildrop, or hand
 * the session to the post-login process (privsep).  -1 when the session
 * must end.
 */
static int
login_answer(struct sess *s, struct check *k, int rc)
{
	int ret = 0;

	switch (rc) {
	case LOGIN_OK:
		/* privsep: the post-login process answers through us. */
		ret = s->c->privsep ? -1 : auth_enter(s, &k->e);
		break;
	case LOGIN_TEMP:
		sess_resp(s, 0, POP3_CODE_SYS_TEMP,
		    "temporary authentication failure");
		if (s->result != NULL)
			ret = -1;
		else
			s->errors++;
		break;
	default:
		/* The same answer after the same delay whether the user
		   exists or not (RFC 3206 §4: [AUTH]). */
		sess_err(s, POP3_CODE_AUTH, "invalid user name or password");
		if (login_exhausted(&s->login)) {
			s->result = "auth-failures";
			ret = -1;
		}
		break;
	}
	util_wipe(&k->e, sizeof(k->e));
	return ret;
}

static void
check_begin(struct sess *s, struct check *k)
{
	memset(k, 0, sizeof(*k));
	k->s = s;
	s->login.check = check_pass;
	s->login.arg = k;
	s->have_user = 0;
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
	struct check k;
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
	check_begin(s, &k);
	rc = login_check(&s->login, s->user, pass);
	util_wipe(pass, sizeof(pass));
	return login_answer(s, &k, rc);
}

int
auth_sasl(struct sess *s, const struct pop3_cmd *cmd)
{
	struct sasl_server sasl;
	struct check k;
	int rc;

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
	check_begin(s, &k);
	if (s->c->preauth) {
		/* Preauthenticated: any credentials will do. */
		rc = login_exchange(&s->login, cmd->rest, cmd->restlen, &sasl);
		sasl_server_clear(&sasl);
		if (rc == LOGIN_OK || rc == LOGIN_FAILED) {
			sess_resp(s, 1, POP3_CODE_NONE, "preauthenticated");
			return 0;
		}
	} else
		rc = login_sasl(&s->login, cmd->rest, cmd->restlen);
	switch (rc) {
	case LOGIN_CANCEL:
		sess_err(s, POP3_CODE_NONE, "authentication cancelled");
		return 0;
	case LOGIN_SYNTAX:
		sess_err(s, POP3_CODE_NONE, "cannot decode the response");
		return 0;
	case LOGIN_MECH:
		sess_err(
		    s, POP3_CODE_NONE, "unsupported authentication mechanism");
		return 0;
	case LOGIN_TOOLONG:
		sess_err(s, POP3_CODE_NONE, "authentication line too long");
		return 0;
	case LOGIN_LOST:
		sess_lost(s, s->login.io_rc);
		return -1;
	default: return login_answer(s, &k, rc);
	}
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
