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

int
policy_auth(struct session *s, const char *arg, size_t len)
{
	struct sasl_server sasl;
	struct passwd_entry e;
	struct buf out;
	char line[SASL_LINE_MAX + 1], err[ERR_MAX], user[LOG_ESC_MAX];
	size_t n;
	int rc, flags, ret = 0;

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
	buf_init(&out, SASL_LINE_MAX);
	memset(&sasl, 0, sizeof(sasl));
	rc = sasl_server_start(&sasl, arg, len, &out, err, sizeof(err));
	while (rc == SASL_CONTINUE) {
		reply(s, 0, 334, NULL, "%s", buf_cstr(&out));
		buf_reset(&out);
		if (io_flush(&s->io) == -1) {
			ret = -1;
			goto out;
		}
		session_line_deadline(s);
		rc = io_getline_max(&s->io, line, sizeof(line), &n, &flags);
		if (rc != IO_OK) {
			session_lost(s, rc, "in AUTH ");
			ret = -1;
			goto out;
		}
		if (flags & IO_LINE_LONG) {
			reply(s, 1, 500, "5.5.6",
			    "Authentication exchange line is too long");
			goto out;
		}
		rc = sasl_server_step(&sasl, line, n, &out, err, sizeof(err));
		util_wipe(line, n);
	}
	switch (rc) {
	case SASL_DONE: break;
	case SASL_ERR_MECH:
		reply(s, 1, 504, "5.5.4", "Unrecognized authentication type");
		goto out;
	case SASL_ERR_CANCEL:
		reply(s, 1, 501, "5.0.0", "Authentication cancelled");
		goto out;
	case SASL_ERR_SYNTAX:
		reply(s, 1, 501, "5.5.2", "Cannot decode response");
		goto out;
	default: goto fail;
	}
	rc = deliver_auth_check(s, sasl.user, sasl.pass, &e, err, sizeof(err));
	if (rc == 1) {
		s->authed = 1;
		util_strlcpy(s->auth_user, sasl.user, sizeof(s->auth_user));
		log_info(s->c->log, "%s[%s]: authenticated as %s", s->host,
		    s->addr, log_esc(user, sizeof(user), s->auth_user));
		reply(s, 0, 235, "2.7.0", "Authentication successful");
		ret = 1;
		goto out;
	}
	if (rc == -1) {
		log_err(s->c->log, "passwd-file: %s", err);
		reply(s, 0, 454, "4.7.0", "Temporary authentication failure");
		goto out;
	}
fail:
	/* The same answer, after the same delay, whether the user exists
	   or not (passwd_check takes the same time for both).  The delay
	   doubles with each failure of the session; after a few the
	   session ends, and the listener counts them per address
	   (server_exit_status).  This line is the one for fail2ban. */
	s->auth_fails++;
	log_info(s->c->log, "%s[%s]: authentication failed for user=%s",
	    s->host, s->addr,
	    sasl.user[0] != '\0' ? log_esc(user, sizeof(user), sasl.user)
				 : "-");
	(void)util_sleep_ms(s->c->auth_delay_ms
		<< (s->auth_fails < 4 ? s->auth_fails - 1 : 3),
	    NULL);
	reply(s, 1, 535, "5.7.8", "Authentication credentials invalid");
	if (s->auth_fails >= MSMTPD_AUTH_FAILS_MAX) {
		reply(s, 0, 421, "4.7.0", "%s Too many failed logins, closing",
		    s->c->hostname);
		s->end = "auth-failures";
		ret = -1;
	}
out:
	sasl_server_clear(&sasl);
	util_wipe(&e, sizeof(e));
	buf_free(&out);
	return ret;
}
