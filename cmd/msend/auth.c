/*
 * auth.c: SMTP AUTH (RFC 4954) for msend: which mechanism, where the
 * secret comes from (password, passwordeval, ~/.netrc, a prompt on the
 * terminal), and the exchange itself through the sasl module.
 */
#include "config.h"

#include <string.h>
#include <sysexits.h>

#include "msend.h"
#include "sasl.h"
#include "secret.h"
#include "util.h"

/* Pick the mechanism: what was asked, or PLAIN/LOGIN for "on". */
static int
pick_mech(const struct smtp_ehlo *e, int mode, enum sasl_mech *m, char *err,
    size_t errlen)
{
	static const struct {
		int mode;
		enum sasl_mech mech;
	} map[] = {
	    {AUTHM_PLAIN, SASL_MECH_PLAIN},
	    {AUTHM_LOGIN, SASL_MECH_LOGIN},
	    {AUTHM_XOAUTH2, SASL_MECH_XOAUTH2},
	    {AUTHM_OAUTHBEARER, SASL_MECH_OAUTHBEARER},
	};
	size_t i;

	if (e->auth[0] == '\0') {
		util_seterr(err, errlen, "the server offers no AUTH");
		return -1;
	}
	if (mode == AUTHM_ON) {
		/* PLAIN is one round trip; LOGIN is the fallback. */
		if (smtp_ehlo_has_auth(e, "PLAIN"))
			*m = SASL_MECH_PLAIN;
		else if (smtp_ehlo_has_auth(e, "LOGIN"))
			*m = SASL_MECH_LOGIN;
		else {
			util_seterr(err, errlen,
			    "the server offers AUTH %s; "
			    "msend knows PLAIN and LOGIN (and XOAUTH2, "
			    "OAUTHBEARER when asked for)",
			    e->auth);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].mode == mode) {
			*m = map[i].mech;
			if (!smtp_ehlo_has_auth(e, sasl_mech_name(*m))) {
				util_seterr(err, errlen,
				    "the server does not "
				    "offer AUTH %s (it offers %s)",
				    sasl_mech_name(*m), e->auth);
				return -1;
			}
			return 0;
		}
	util_seterr(err, errlen, "no AUTH mechanism chosen");
	return -1;
}

static int
auth_exchange(struct io *io, struct sasl_client *c, enum sasl_mech mech,
    const char *user, const char *secret, char *err, size_t errlen)
{
	struct smtp_reply r;
	struct buf out = BUF_INIT;
	char line[SMTP_REPLY_LINE_MAX];
	const char *t;
	int rc, steps = 0, ex = 0;

	smtp_reply_init(&r);
	buf_init(&out, SASL_LINE_MAX);
	rc = sasl_client_start(c, mech, user, secret, &out, err, errlen);
	if (rc != SASL_CONTINUE) {
		ex = EX_CONFIG;
		goto out;
	}
	/* RFC 4954 §4: an initial response that makes the line too long
	 * waits for the server's empty challenge. */
	if (out.len == 0 ||
	    out.len + 6 + strlen(sasl_mech_name(mech)) > SMTP_CMD_LINE_MAX - 2)
		rc = io_line(io, "AUTH %s", sasl_mech_name(mech));
	else {
		rc = io_line(io, "AUTH %s %s", sasl_mech_name(mech), out.data);
		util_wipe(out.data, out.len);
		buf_reset(&out);
	}
	if (rc == -1 || io_flush(io) == -1) {
		util_seterr(err, errlen, "AUTH: %s", io->err);
		ex = EX_TEMPFAIL;
		goto out;
	}
	for (;;) {
		if (smtp_read_reply(io, &r, err, errlen) == -1) {
			ex = strncmp(err, "malformed", 9) == 0 ? EX_PROTOCOL
							       : EX_TEMPFAIL;
			goto out;
		}
		if (r.code == 235)
			break;
		if (r.code != 334 || ++steps > 4) {
			smtp_reply_str(&r, line, sizeof(line));
			util_seterr(err, errlen, "AUTH %s failed: %s",
			    sasl_mech_name(mech), line);
			ex = r.code >= 400 && r.code < 500 ? EX_TEMPFAIL
							   : EX_NOPERM;
			goto out;
		}
		if (out.len == 0) {
			t = smtp_reply_text(&r, 0);
			rc = sasl_client_step(
			    c, t, strlen(t), &out, err, errlen);
			if (rc != SASL_CONTINUE) {
				/* RFC 4954 §4: "*" cancels the exchange. */
				(void)io_line(io, "*");
				(void)io_flush(io);
				ex = EX_PROTOCOL;
				goto out;
			}
		}
		rc = io_line(io, "%s", out.data != NULL ? out.data : "");
		util_wipe(out.data, out.len);
		buf_reset(&out);
		if (rc == -1 || io_flush(io) == -1) {
			util_seterr(err, errlen, "AUTH: %s", io->err);
			ex = EX_TEMPFAIL;
			goto out;
		}
	}
out:
	if (out.data != NULL)
		util_wipe(out.data, out.cap);
	buf_free(&out);
	smtp_reply_free(&r);
	return ex;
}

int
auth_run(struct io *io, const struct smtp_ehlo *e, const struct account *a,
    const char *host, int port, char *err, size_t errlen)
{
	struct sasl_client c;
	enum sasl_mech mech;
	char secret[SECRET_MAX + 1];
	int mode = a->auth, ex;

	if (mode == AUTHM_UNSET)
		mode = a->user != NULL ? AUTHM_ON : AUTHM_OFF;
	if (mode == AUTHM_OFF)
		return 0;
	if (io->tls == NULL && a->allow_plain_auth != 1) {
		util_seterr(err, errlen,
		    "refusing to authenticate over an "
		    "unencrypted connection (use TLS, or "
		    "--allow-plain-auth)");
		return EX_UNAVAILABLE;
	}
	if (a->user == NULL || a->user[0] == '\0') {
		util_seterr(err, errlen,
		    "AUTH needs a user name (--user, or "
		    "user in the config file)");
		return EX_CONFIG;
	}
	if (pick_mech(e, mode, &mech, err, errlen) == -1)
		return EX_UNAVAILABLE;
	if (a->password != NULL)
		util_strlcpy(secret, a->password, sizeof(secret));
	else if ((ex = secret_get(a->passwordeval, host, a->user, secret,
		      sizeof(secret), err, errlen)) != 0)
		return ex;
	memset(&c, 0, sizeof(c));
	c.host = host;
	c.port = port;
	ex = auth_exchange(io, &c, mech, a->user, secret, err, errlen);
	sasl_client_clear(&c);
	util_wipe(secret, sizeof(secret));
	return ex;
}
