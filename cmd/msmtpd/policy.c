/*
 * policy.c: who may send where.  Recipients in a --domain (or every
 * recipient when no --domain is given) are local and go to --command;
 * others are relayed with --relay-command, and only for clients that
 * authenticated (RFC 4954) with the passwd-file; AUTH is offered only
 * over TLS unless --allow-plain-auth.
 */
#include "config.h"

#include <strings.h>
#include <string.h>

#include "login.h"
#include "msmtpd.h"
#include "passwd.h"
#include "util.h"

int
policy_local(const struct msmtpd_conf *c, const struct smtp_path *p)
{
	size_t i;

	/* RFC 5321 §4.5.1: Postmaster is always accepted. */
	if (p->postmaster || c->ndomains == 0)
		return 1;
	for (i = 0; i < c->ndomains; i++)
		if (strcasecmp(c->domains[i], p->domain) == 0)
			return 1;
	return 0;
}

int
policy_auth_offered(const struct session *s)
{
	return s->c->passwd_file != NULL && (s->tls || s->c->allow_plain_auth);
}

/* The login's check: passwd_check, or the privileged parent's. */
static int
auth_check(void *arg, const char *user, const char *pass, char *err,
    size_t errlen)
{
	struct passwd_entry e;
	int rc;

	rc = deliver_auth_check(arg, user, pass, &e, err, errlen);
	util_wipe(&e, sizeof(e));
	return rc;
}

int
policy_auth(struct session *s, const char *arg, size_t len)
{
	struct login l;
	char user[LOG_ESC_MAX];
	int rc;

	if (s->c->passwd_file == NULL) {
		reply(s, 1, 502, "5.5.1", "AUTH not available");
		return 0;
	}
	if (!s->esmtp) {
		reply(s, 1, 503, "5.5.1", "Send EHLO first");
		return 0;
	}
	if (s->authed) {
		reply(s, 1, 503, "5.5.1", "Already authenticated");
		return 0;
	}
	if (s->in_mail) {
		reply(s, 1, 503, "5.5.1", "AUTH not allowed in a transaction");
		return 0;
	}
	if (!policy_auth_offered(s)) {
		/* RFC 4954 §6. */
		reply(s, 1, 538, "5.7.11",
		    "Encryption required for requested authentication "
		    "mechanism");
		return 0;
	}
	memset(&l, 0, sizeof(l));
	l.io = &s->io;
	l.log = s->c->log;
	l.host = s->host;
	l.addr = s->addr;
	l.prompt = "334 ";
	l.mechs = 1u << SASL_MECH_PLAIN | 1u << SASL_MECH_LOGIN;
	l.line_ms = s->c->timeout * 1000;
	l.end_ms = s->end_ms;
	l.delay_ms = s->c->auth_delay_ms;
	l.fails_max = MSMTPD_AUTH_FAILS_MAX;
	l.check = auth_check;
	l.arg = s;
	/* Under privsep the parent waits after a wrong password. */
	l.check_waits = s->c->privsep;
	l.fails = s->auth_fails;
	rc = login_sasl(&l, arg, len);
	s->auth_fails = l.fails;
	switch (rc) {
	case LOGIN_OK:
		s->authed = 1;
		util_strlcpy(s->auth_user, l.user, sizeof(s->auth_user));
		log_info(s->c->log, "%s[%s]: authenticated as %s", s->host,
		    s->addr, log_esc(user, sizeof(user), s->auth_user));
		reply(s, 0, 235, "2.7.0", "Authentication successful");
		rc = 1;
		break;
	case LOGIN_TEMP:
		reply(s, 0, 454, "4.7.0", "Temporary authentication failure");
		rc = 0;
		break;
	case LOGIN_MECH:
		reply(s, 1, 504, "5.5.4", "Unrecognized authentication type");
		rc = 0;
		break;
	case LOGIN_CANCEL:
		reply(s, 1, 501, "5.0.0", "Authentication cancelled");
		rc = 0;
		break;
	case LOGIN_SYNTAX:
		reply(s, 1, 501, "5.5.2", "Cannot decode response");
		rc = 0;
		break;
	case LOGIN_TOOLONG:
		reply(s, 1, 500, "5.5.6",
		    "Authentication exchange line is too long");
		rc = 0;
		break;
	case LOGIN_LOST:
		session_lost(s, l.io_rc, "in AUTH ");
		rc = -1;
		break;
	default: /* LOGIN_FAILED: counted, logged, delayed */
		reply(s, 1, 535, "5.7.8", "Authentication credentials invalid");
		rc = 0;
		if (login_exhausted(&l)) {
			reply(s, 0, 421, "4.7.0",
			    "%s Too many failed logins, closing",
			    s->c->hostname);
			s->end = "auth-failures";
			rc = -1;
		}
		break;
	}
	util_wipe(l.user, sizeof(l.user));
	return rc;
}
