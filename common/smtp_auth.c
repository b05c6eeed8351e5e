/*
 * smtp_auth.c: the AUTH phase of the SMTP client engine (RFC 4954):
 * which mechanism, the secret from the caller, and the exchange through
 * the sasl module.  See smtp_client.h.
 */
#include "config.h"

#include <string.h>

#include "secret.h"
#include "smtp_client.h"
#include "util.h"

/* Pick the mechanism: what was asked, or PLAIN/LOGIN for any. */
static int
pick_mech(struct smtp_client *c, enum sasl_mech *m)
{
	const struct smtp_ehlo *e = &c->ehlo;

	if (e->auth[0] == '\0') {
		yerr_set(&c->err, YERR_PERM, "the server offers no AUTH");
		return -1;
	}
	if (c->o->mech == SASL_MECH_NONE) {
		/* PLAIN is one round trip; LOGIN is the fallback. */
		if (smtp_ehlo_has_auth(e, "PLAIN"))
			*m = SASL_MECH_PLAIN;
		else if (smtp_ehlo_has_auth(e, "LOGIN"))
			*m = SASL_MECH_LOGIN;
		else {
			yerr_set(&c->err, YERR_PERM,
			    "the server offers AUTH %s", e->auth);
			c->stop = SMTP_CLIENT_STOP_NO_MECH;
			return -1;
		}
		return 0;
	}
	*m = c->o->mech;
	if (!smtp_ehlo_has_auth(e, sasl_mech_name(*m))) {
		yerr_set(&c->err, YERR_PERM,
		    "the server does not offer AUTH %s (it offers %s)",
		    sasl_mech_name(*m), e->auth);
		return -1;
	}
	return 0;
}

/* Flush what was queued (rc: how the queueing went). */
static int
flushed(struct smtp_client *c, int rc)
{
	if (rc == -1 || io_flush(&c->io) == -1) {
		c->dead = 1;
		yerr_set(&c->err, YERR_TEMP, "AUTH: %s", c->io.err);
		return -1;
	}
	return 0;
}

static int
exchange(struct smtp_client *c, struct sasl_client *sc, enum sasl_mech mech,
    const char *secret)
{
	struct buf out = BUF_INIT;
	char line[SMTP_REPLY_LINE_MAX], e[ERR_MAX];
	const char *name = sasl_mech_name(mech), *t;
	int rc, steps = 0, ret = -1;

	buf_init(&out, SASL_LINE_MAX);
	if (sasl_client_start(sc, mech, c->o->user, secret, &out, e,
		sizeof(e)) != SASL_CONTINUE) {
		yerr_set(&c->err, YERR_CONFIG, "%s", e);
		goto out;
	}
	/* RFC 4954 §4: an initial response that makes the line too long
	   waits for the server's empty challenge. */
	if (out.len == 0 || out.len + 6 + strlen(name) > SMTP_CMD_LINE_MAX - 2)
		rc = io_line(&c->io, "AUTH %s", name);
	else {
		rc = io_line(&c->io, "AUTH %s %s", name, out.data);
		util_wipe(out.data, out.len);
		buf_reset(&out);
	}
	if (flushed(c, rc) == -1)
		goto out;
	for (;;) {
		if (smtp_read_reply(&c->io, &c->reply, e, sizeof(e)) == -1) {
			c->dead = 1;
			yerr_set(&c->err,
			    c->reply.malformed ? YERR_PROTO : YERR_TEMP, "%s",
			    e);
			goto out;
		}
		if (c->reply.code == 235)
			break;
		if (c->reply.code != 334 || ++steps > 4) {
			smtp_reply_str(&c->reply, line, sizeof(line));
			yerr_set(&c->err,
			    c->reply.code >= 400 && c->reply.code < 500
				? YERR_TEMP
				: YERR_AUTH,
			    "AUTH %s failed: %s", name, line);
			if (c->reply.code == 421)
				c->dead = 1;
			goto out;
		}
		if (out.len == 0) {
			t = smtp_reply_text(&c->reply, 0);
			if (sasl_client_step(sc, t, strlen(t), &out, e,
				sizeof(e)) != SASL_CONTINUE) {
				/* RFC 4954 §4: "*" cancels the exchange;
				   its 501 keeps the replies in step. */
				yerr_set(&c->err, YERR_PROTO, "AUTH %s: %s",
				    name, e);
				if (io_line(&c->io, "*") == -1 ||
				    io_flush(&c->io) == -1 ||
				    smtp_read_reply(&c->io, &c->reply, e,
					sizeof(e)) == -1)
					c->dead = 1;
				goto out;
			}
		}
		rc = io_line(&c->io, "%s", out.data != NULL ? out.data : "");
		if (out.data != NULL)
			util_wipe(out.data, out.len);
		buf_reset(&out);
		if (flushed(c, rc) == -1)
			goto out;
	}
	ret = 0;
out:
	if (out.data != NULL)
		util_wipe(out.data, out.cap);
	buf_free(&out);
	return ret;
}

int
smtp_client_auth(struct smtp_client *c)
{
	const struct smtp_client_opts *o = c->o;
	struct sasl_client sc;
	enum sasl_mech mech;
	char secret[SECRET_MAX + 1];
	int rc;

	c->stop = SMTP_CLIENT_STOP_NONE;
	if (!o->auth)
		return 0;
	if (c->io.tls == NULL && !o->allow_plain_auth) {
		yerr_set(&c->err, YERR_PERM,
		    "refusing to authenticate over an unencrypted "
		    "connection");
		c->stop = SMTP_CLIENT_STOP_CLEAR_AUTH;
		return -1;
	}
	if (o->user == NULL || o->user[0] == '\0') {
		yerr_set(&c->err, YERR_CONFIG, "AUTH needs a user name");
		c->stop = SMTP_CLIENT_STOP_NO_USER;
		return -1;
	}
	if (pick_mech(c, &mech) == -1)
		return -1;
	if (o->secret == NULL) {
		yerr_set(&c->err, YERR_CONFIG, "AUTH: no secret");
		return -1;
	}
	if (o->secret(o->secret_arg, secret, sizeof(secret), &c->err) == -1) {
		util_wipe(secret, sizeof(secret));
		return -1;
	}
	memset(&sc, 0, sizeof(sc));
	sc.host = o->host;
	sc.port = o->port;
	rc = exchange(c, &sc, mech, secret);
	sasl_client_clear(&sc);
	util_wipe(secret, sizeof(secret));
	return rc;
}
