/*
 * imapd_auth.c: the not-authenticated state (RFC 3501 §6.2): STARTTLS,
 * LOGIN and AUTHENTICATE (PLAIN, with SASL-IR, RFC 4959) through the one
 * login path (common/login), and entering the authenticated state as
 * the user.  Started as root, this runs in the login process, which
 * asks the privileged parent (common/loginsrv) and, after a good login,
 * proxies to the post-login process that answers the LOGIN itself.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd.h"
#include "passwd.h"
#include "sasl.h"
#include "server.h"
#include "util.h"

int
imapd_enter(struct imapd *s, const struct passwd_entry *e)
{
	char dir[PATH_MAX], er[ERR_MAX], code[2048];
	struct stat st;
	struct buf b;

	/* DESIGN: a server running as root becomes the user before it
	   touches a Maildir. */
	if (passwd_become(e, er, sizeof(er)) == -1) {
		log_err(s->c->log, "%s: %s", e->user, er);
		imapd_no(s, "SERVERBUG", "cannot switch to the user");
		s->result = "privilege-error";
		return -1;
	}
	if (passwd_maildir(e, s->c->maildir, dir, sizeof(dir)) == -1 ||
	    stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_err(s->c->log, "%s: no Maildir (passwd-file or --maildir)",
		    e->user);
		imapd_no(s, "UNAVAILABLE", "no mailbox for this user");
		s->result = "no-maildir";
		return -1;
	}
	util_strlcpy(s->user, e->user, sizeof(s->user));
	util_strlcpy(s->root, dir, sizeof(s->root));
	s->state = IMAPD_AUTH;
	/* RFC 3501 §6.2.3: the capabilities change with the login. */
	buf_init(&b, sizeof(code) - 1);
	(void)buf_puts(&b, "CAPABILITY ");
	imapd_capabilities(s, &b);
	util_strlcpy(code, buf_cstr(&b), sizeof(code));
	buf_free(&b);
	imapd_ok(s, code, "logged in");
	return 0;
}

/* The login's check (common/login.h) and what it leaves behind. */
struct check {
	struct imapd *s;
	struct passwd_entry e; /* one process: the good user's line */
};

static int
check_pass(void *arg, const char *user, const char *pass, char *err,
    size_t errlen)
{
	struct check *k = arg;
	struct imapd *s = k->s;
	struct loginsrv_peer peer;

	if (!s->c->privsep)
		return passwd_check(
		    s->c->passwd_file, user, pass, &k->e, err, errlen);
	peer.addr = s->addr;
	peer.host = s->host;
	/* Never "" with TLS: "" tells the post-login process the client
	   comes to it (privsep_take_client), not through a proxy. */
	peer.tls = !s->tls ? ""
	    : s->tlsi.protocol[0] != '\0' ? s->tlsi.protocol : "TLS";
	peer.authfail = s->login.fails;
	peer.end_ms = 0;
	peer.tag = s->tag != NULL ? s->tag : "*";
	return loginsrv_ask(s->c->ps_fd, user, pass, &peer, &s->handoff_fd,
	    &s->result, err, errlen);
}

static void
check_begin(struct imapd *s, struct check *k)
{
	memset(k, 0, sizeof(*k));
	k->s = s;
	s->login.check = check_pass;
	s->login.arg = k;
}

/* What a login's check gave: 0 to go on, -1 to end the session. */
static int
login_answer(struct imapd *s, struct check *k, int rc)
{
	int ret = 0;

	switch (rc) {
	case LOGIN_OK:
		/* privsep: the post-login process answers through us. */
		ret = s->c->privsep ? 0 : imapd_enter(s, &k->e);
		break;
	case LOGIN_TEMP:
		imapd_no(s, "UNAVAILABLE", "temporary authentication failure");
		if (s->result != NULL)
			ret = -1;
		break;
	default:
		/* The same answer after the same delay whether the user
		   exists or not (RFC 5530 AUTHENTICATIONFAILED). */
		imapd_no(s, "AUTHENTICATIONFAILED",
		    "invalid user name or password");
		if (login_exhausted(&s->login)) {
			imapd_untagged(s, "BYE too many failed logins");
			s->result = "auth-failures";
			ret = -1;
		}
		break;
	}
	util_wipe(&k->e, sizeof(k->e));
	return ret;
}

/* May a password be sent now?  RFC 3501 §6.2.3 LOGINDISABLED. */
static int
login_allowed(struct imapd *s)
{
	if (s->tls || s->c->allow_plain_auth)
		return 1;
	imapd_no(s, "PRIVACYREQUIRED",
	    "no login without TLS; use STARTTLS first");
	return 0;
}

int
imapd_login(struct imapd *s)
{
	const struct imap_value *u = imapd_arg(s, 0), *p = imapd_arg(s, 1);
	char user[SASL_FIELD_MAX + 1], pass[SASL_FIELD_MAX + 1];
	struct check k;
	int rc;

	if (s->p.nargs != 2 || imap_cstr(u, user, sizeof(user)) == -1 ||
	    imap_cstr(p, pass, sizeof(pass)) == -1) {
		imapd_bad(s, NULL, "LOGIN takes a user name and a password");
		return 0;
	}
	if (!login_allowed(s)) {
		util_wipe(pass, sizeof(pass));
		return 0;
	}
	if (s->c->preauth) {
		util_wipe(pass, sizeof(pass));
		imapd_bad(s, NULL, "already authenticated");
		return 0;
	}
	check_begin(s, &k);
	rc = login_check(&s->login, user, pass);
	util_wipe(pass, sizeof(pass));
	return login_answer(s, &k, rc);
}

int
imapd_authenticate(struct imapd *s)
{
	const struct imap_value *m = imapd_arg(s, 0), *ir = imapd_arg(s, 1);
	char arg[SASL_LINE_MAX + 64];
	struct check k;
	int rc;

	if (s->p.nargs < 1 || s->p.nargs > 2 || m->type != IMAP_ATOM ||
	    (ir != NULL && ir->type != IMAP_ATOM) ||
	    m->len + (ir != NULL ? ir->len + 1 : 0) >= sizeof(arg)) {
		imapd_bad(s, NULL,
		    "AUTHENTICATE takes a mechanism and an initial "
		    "response");
		return 0;
	}
	if (!login_allowed(s))
		return 0;
	memcpy(arg, m->s, m->len);
	arg[m->len] = '\0';
	if (ir != NULL) {
		arg[m->len] = ' ';
		memcpy(arg + m->len + 1, ir->s, ir->len);
		arg[m->len + 1 + ir->len] = '\0';
	}
	check_begin(s, &k);
	rc = login_sasl(&s->login, arg, strlen(arg));
	util_wipe(arg, sizeof(arg));
	switch (rc) {
	case LOGIN_CANCEL:
		imapd_bad(s, NULL, "authentication cancelled");
		return 0;
	case LOGIN_SYNTAX:
		imapd_bad(s, NULL, "cannot decode the response");
		return 0;
	case LOGIN_MECH:
		imapd_no(s, "CANNOT", "unsupported authentication mechanism");
		return 0;
	case LOGIN_TOOLONG:
		imapd_bad(s, NULL, "authentication line too long");
		return 0;
	case LOGIN_LOST:
		s->result = "lost";
		return -1;
	default: return login_answer(s, &k, rc);
	}
}

int
imapd_starttls(struct imapd *s)
{
	if (s->c->tls == NULL) {
		imapd_bad(s, NULL, "STARTTLS not available");
		return 0;
	}
	if (s->tls) {
		imapd_bad(s, NULL, "TLS is already active");
		return 0;
	}
	imapd_ok(s, NULL, "begin TLS negotiation now");
	/* io_starttls_server flushes the answer, then drops every byte
	   that came before the handshake (RFC 3501 §6.2.1). */
	if (io_starttls_server(&s->io, s->c->tls) == -1) {
		log_info(s->c->log, "%s: TLS handshake failed: %s",
		    s->addr[0] != '\0' ? s->addr : "local", s->io.err);
		s->result = "tls-failed";
		return -1;
	}
	tls_info(s->io.tls, &s->tlsi);
	s->tls = 1;
	return 0;
}
