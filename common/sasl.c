/*
 * sasl.c: base64 through GnuTLS (used as a utility library here), SASL
 * client responses (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) and the server
 * side of PLAIN and LOGIN.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "sasl.h"
#include "util.h"

/* Largest decoded SASL message we build or accept (RFC 4954 §4 line). */
#define SASL_MSG_MAX (SASL_LINE_MAX / 4 * 3)

static int
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : 63;
}

int
sasl_b64_encode(const void *in, size_t n, struct buf *out)
{
	gnutls_datum_t d, r = {NULL, 0};
	int rc;

	if (n == 0)
		return 0;
	if (n > SASL_MSG_MAX * 16) {
		errno = EMSGSIZE;
		return -1;
	}
	d.data = (unsigned char *)(uintptr_t)in;
	d.size = (unsigned int)n;
	if (gnutls_base64_encode2(&d, &r) < 0) {
		errno = EINVAL;
		return -1;
	}
	rc = buf_append(out, r.data, r.size);
	gnutls_free(r.data);
	return rc;
}

int
sasl_b64_decode(const char *in, size_t n, void *out, size_t cap, size_t *outlen)
{
	gnutls_datum_t d, r = {NULL, 0};
	size_t i, pad = 0, need;
	int last;

	*outlen = 0;
	if (n == 0)
		return 0;
	/* RFC 4648 §3.3/§3.5: nothing outside the alphabet, whole quanta,
	   padding only at the end, and zero pad bits. */
	if (n % 4 != 0 || n > SASL_LINE_MAX * 16)
		return -1;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!b64_char((unsigned char)in[i]))
			return -1;
	if (pad > 0) {
		last = b64_val((unsigned char)in[n - pad - 1]);
		if ((pad == 1 && (last & 0x03) != 0) ||
		    (pad == 2 && (last & 0x0f) != 0))
			return -1;
	}
	need = n / 4 * 3 - pad;
	if (need > cap)
		return -1;
	d.data = (unsigned char *)(uintptr_t)in;
	d.size = (unsigned int)n;
	if (gnutls_base64_decode2(&d, &r) < 0)
		return -1;
	if (r.size != need) {
		util_wipe(r.data, r.size);
		gnutls_free(r.data);
		return -1;
	}
	memcpy(out, r.data, r.size);
	*outlen = r.size;
	util_wipe(r.data, r.size);
	gnutls_free(r.data);
	return 0;
}

static const struct {
	enum sasl_mech mech;
	const char *name;
} mechs[] = {
    {SASL_MECH_PLAIN, "PLAIN"},
    {SASL_MECH_LOGIN, "LOGIN"},
    {SASL_MECH_XOAUTH2, "XOAUTH2"},
    {SASL_MECH_OAUTHBEARER, "OAUTHBEARER"},
};

enum sasl_mech
sasl_mech_parse(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (strlen(mechs[i].name) == len &&
		    util_casecmp_n(name, mechs[i].name, len) == 0)
			return mechs[i].mech;
	return SASL_MECH_NONE;
}

const char *
sasl_mech_name(enum sasl_mech m)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].mech == m)
			return mechs[i].name;
	return "";
}

/* Encode the message in m (then wiped) into out. */
static int
encode_msg(struct buf *m, struct buf *out, char *err, size_t errlen)
{
	int rc;

	rc = sasl_b64_encode(m->data, m->len, out);
	if (m->data != NULL)
		util_wipe(m->data, m->cap);
	buf_free(m);
	if (rc == -1) {
		util_seterr(err, errlen, "SASL response: %s", strerror(errno));
		return SASL_ERR_SYNTAX;
	}
	return SASL_CONTINUE;
}

/* A field for a client message: bounded, no NUL, no control bytes. */
static int
field_ok(const char *what, const char *s, size_t max, int ctl_ok, char *err,
    size_t errlen)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0) {
		util_seterr(err, errlen, "SASL: empty %s", what);
		return 0;
	}
	if (n > max) {
		util_seterr(
		    err, errlen, "SASL: %s longer than %zu bytes", what, max);
		return 0;
	}
	for (i = 0; i < n && !ctl_ok; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			util_seterr(err, errlen,
			    "SASL: %s contains a control character", what);
			return 0;
		}
	return 1;
}

/* RFC 5801 §4 saslname: "=" and "," are written "=3D" and "=2C". */
static int
put_saslname(struct buf *m, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '=') {
			if (buf_puts(m, "=3D") == -1)
				return -1;
		} else if (*s == ',') {
			if (buf_puts(m, "=2C") == -1)
				return -1;
		} else if (buf_putc(m, *s) == -1)
			return -1;
	}
	return 0;
}

int
sasl_client_start(struct sasl_client *c, enum sasl_mech mech, const char *user,
    const char *secret, struct buf *out, char *err, size_t errlen)
{
	struct buf m;
	int rc = 0;

	c->mech = mech;
	c->step = 0;
	c->user = user;
	c->secret = secret;
	if (!field_ok("user name", user, SASL_FIELD_MAX, 0, err, errlen))
		return SASL_ERR_SYNTAX;
	/* Tokens are longer than passwords; a whole line bounds them. */
	if (!field_ok(mech == SASL_MECH_XOAUTH2 || mech == SASL_MECH_OAUTHBEARER
		    ? "token"
		    : "password",
		secret,
		mech == SASL_MECH_XOAUTH2 || mech == SASL_MECH_OAUTHBEARER
		    ? SASL_MSG_MAX - 2 * SASL_FIELD_MAX - 64
		    : SASL_FIELD_MAX,
		0, err, errlen))
		return SASL_ERR_SYNTAX;
	if (c->authzid != NULL && c->authzid[0] != '\0' &&
	    !field_ok(
		"authorization id", c->authzid, SASL_FIELD_MAX, 0, err, errlen))
		return SASL_ERR_SYNTAX;
	buf_init(&m, SASL_MSG_MAX);
	switch (mech) {
	case SASL_MECH_PLAIN:
		/* RFC 4616 §2: [authzid] UTF8NUL authcid UTF8NUL passwd. */
		if (c->authzid != NULL)
			rc |= buf_puts(&m, c->authzid);
		rc |= buf_putc(&m, '\0');
		rc |= buf_puts(&m, user);
		rc |= buf_putc(&m, '\0');
		rc |= buf_puts(&m, secret);
		break;
	case SASL_MECH_LOGIN:
		/* No initial response: wait for "Username:". */
		buf_free(&m);
		return SASL_CONTINUE;
	case SASL_MECH_XOAUTH2:
		/* Google's XOAUTH2: "user=" U ^A "auth=Bearer " T ^A ^A. */
		rc |= buf_printf(
		    &m, "user=%s\001auth=Bearer %s\001\001", user, secret);
		break;
	case SASL_MECH_OAUTHBEARER:
		/* RFC 7628 §3.1: gs2-header kvsep *(kvpair) kvsep, with
		   gs2-header "n,a=" saslname ","; the user is the authzid. */
		rc |= buf_puts(&m, "n,a=");
		rc |= put_saslname(&m,
		    c->authzid != NULL && c->authzid[0] ? c->authzid : user);
		rc |= buf_puts(&m, ",\001");
		if (c->host != NULL && c->host[0] != '\0')
			rc |= buf_printf(&m, "host=%s\001", c->host);
		if (c->port > 0)
			rc |= buf_printf(&m, "port=%d\001", c->port);
		rc |= buf_printf(&m, "auth=Bearer %s\001\001", secret);
		break;
	default:
		buf_free(&m);
		util_seterr(err, errlen, "SASL: mechanism not supported");
		return SASL_ERR_MECH;
	}
	if (rc != 0) {
		util_wipe(m.data, m.cap);
		buf_free(&m);
		util_seterr(err, errlen, "SASL: response too long");
		return SASL_ERR_SYNTAX;
	}
	c->step = 1;
	return encode_msg(&m, out, err, errlen);
}

int
sasl_client_step(struct sasl_client *c, const char *chal, size_t n,
    struct buf *out, char *err, size_t errlen)
{
	char dec[SASL_FIELD_MAX + 1];
	size_t dl;
	const char *s;

	switch (c->mech) {
	case SASL_MECH_LOGIN:
		/* The prompts are "Username:" and "Password:" by custom;
		   servers vary the words, so go by order, but refuse a
		   challenge that is not base64. */
		if (sasl_b64_decode(chal, n, dec, sizeof(dec) - 1, &dl) == -1) {
			util_seterr(err, errlen,
			    "SASL LOGIN: server challenge is not base64");
			return SASL_ERR_SYNTAX;
		}
		if (c->step > 1) {
			util_seterr(err, errlen,
			    "SASL LOGIN: more challenges than expected");
			return SASL_ERR_SYNTAX;
		}
		s = c->step == 0 ? c->user : c->secret;
		c->step++;
		if (sasl_b64_encode(s, strlen(s), out) == -1) {
			util_seterr(
			    err, errlen, "SASL response: %s", strerror(errno));
			return SASL_ERR_SYNTAX;
		}
		return SASL_CONTINUE;
	case SASL_MECH_XOAUTH2:
	case SASL_MECH_OAUTHBEARER:
		/* An error challenge (JSON): answer so the server sends its
		   final reply; RFC 7628 §3.2.3 wants %x01. */
		if (c->step != 1) {
			util_seterr(err, errlen,
			    "SASL %s: more challenges than expected",
			    sasl_mech_name(c->mech));
			return SASL_ERR_SYNTAX;
		}
		c->step++;
		if (c->mech == SASL_MECH_OAUTHBEARER &&
		    sasl_b64_encode("\001", 1, out) == -1)
			return SASL_ERR_SYNTAX;
		return SASL_CONTINUE;
	default:
		util_seterr(err, errlen, "SASL %s: unexpected challenge",
		    sasl_mech_name(c->mech));
		return SASL_ERR_SYNTAX;
	}
}

void
sasl_client_clear(struct sasl_client *c)
{
	memset(c, 0, sizeof(*c));
}

/* Base64 of "Username:" and "Password:", the customary LOGIN prompts. */
#define LOGIN_USER_PROMPT "VXNlcm5hbWU6"
#define LOGIN_PASS_PROMPT "UGFzc3dvcmQ6"

/* Copy a decoded field: 1..SASL_FIELD_MAX bytes, no NUL. */
static int
take_field(char *dst, const char *src, size_t n)
{
	if (n == 0 || n > SASL_FIELD_MAX || memchr(src, '\0', n) != NULL)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd. */
static int
plain_message(
    struct sasl_server *s, const char *m, size_t n, char *err, size_t errlen)
{
	const char *z1, *z2;
	size_t zl, ul, pl;

	z1 = memchr(m, '\0', n);
	if (z1 == NULL)
		goto bad;
	zl = (size_t)(z1 - m);
	z2 = memchr(z1 + 1, '\0', n - zl - 1);
	if (z2 == NULL)
		goto bad;
	ul = (size_t)(z2 - z1 - 1);
	pl = n - zl - 1 - ul - 1;
	if (zl > SASL_FIELD_MAX || take_field(s->user, z1 + 1, ul) == -1 ||
	    take_field(s->pass, z2 + 1, pl) == -1)
		goto bad;
	/* An authzid other than the user would be a proxy login, which
	   no yubin server grants. */
	if (zl != 0 && (zl != ul || memcmp(m, z1 + 1, ul) != 0)) {
		util_wipe(s->pass, sizeof(s->pass));
		util_seterr(err, errlen,
		    "authorization identity differs from the user");
		return SASL_FAIL;
	}
	return SASL_DONE;
bad:
	util_wipe(s->user, sizeof(s->user));
	util_wipe(s->pass, sizeof(s->pass));
	util_seterr(err, errlen, "malformed PLAIN message");
	return SASL_ERR_SYNTAX;
}

/* Decode one client line into dec (wiped by the caller). */
static int
client_line(const char *line, size_t len, char *dec, size_t cap, size_t *dl,
    char *err, size_t errlen)
{
	/* RFC 4954 §4: "*" cancels the exchange. */
	if (len == 1 && line[0] == '*') {
		util_seterr(err, errlen, "authentication cancelled");
		return SASL_ERR_CANCEL;
	}
	if (len > SASL_LINE_MAX ||
	    sasl_b64_decode(line, len, dec, cap, dl) == -1) {
		util_seterr(err, errlen, "cannot decode the response");
		return SASL_ERR_SYNTAX;
	}
	return 0;
}

static int
server_feed(struct sasl_server *s, const char *line, size_t len,
    struct buf *out, char *err, size_t errlen)
{
	/* PLAIN: 3 fields of SASL_FIELD_MAX and two NULs. */
	char dec[3 * SASL_FIELD_MAX + 3];
	size_t dl;
	int rc;

	rc = client_line(line, len, dec, sizeof(dec), &dl, err, errlen);
	if (rc != 0) {
		sasl_server_clear(s);
		return rc;
	}
	switch (s->mech) {
	case SASL_MECH_PLAIN:
		rc = plain_message(s, dec, dl, err, errlen);
		break;
	case SASL_MECH_LOGIN:
		if (s->step == 0) {
			if (take_field(s->user, dec, dl) == -1) {
				util_seterr(err, errlen, "malformed user name");
				rc = SASL_ERR_SYNTAX;
				break;
			}
			s->step = 1;
			rc = buf_puts(out, LOGIN_PASS_PROMPT) == -1
			    ? SASL_ERR_SYNTAX
			    : SASL_CONTINUE;
		} else if (take_field(s->pass, dec, dl) == -1) {
			util_seterr(err, errlen, "malformed password");
			rc = SASL_ERR_SYNTAX;
		} else
			rc = SASL_DONE;
		break;
	default:
		util_seterr(err, errlen, "no SASL exchange in progress");
		rc = SASL_ERR_SYNTAX;
		break;
	}
	util_wipe(dec, sizeof(dec));
	if (rc < 0)
		sasl_server_clear(s);
	else if (rc == SASL_DONE)
		s->step = 2;
	return rc;
}

int
sasl_server_start(struct sasl_server *s, const char *arg, size_t len,
    struct buf *out, char *err, size_t errlen)
{
	size_t ml, i;

	sasl_server_clear(s);
	for (ml = 0; ml < len && arg[ml] != ' '; ml++)
		;
	s->mech = sasl_mech_parse(arg, ml);
	if (s->mech != SASL_MECH_PLAIN && s->mech != SASL_MECH_LOGIN) {
		s->mech = SASL_MECH_NONE;
		util_seterr(err, errlen, "mechanism not supported");
		return SASL_ERR_MECH;
	}
	for (i = ml; i < len && arg[i] == ' '; i++)
		;
	if (i == len) {
		/* No initial response: PLAIN sends an empty challenge
		   (RFC 4954 §4), LOGIN asks for the user name. */
		if (buf_puts(out,
			s->mech == SASL_MECH_LOGIN ? LOGIN_USER_PROMPT : "") ==
		    -1) {
			sasl_server_clear(s);
			return SASL_ERR_SYNTAX;
		}
		return SASL_CONTINUE;
	}
	if (i == ml) {
		sasl_server_clear(s);
		util_seterr(err, errlen, "malformed AUTH command");
		return SASL_ERR_SYNTAX;
	}
	/* "=" is an empty initial response; an empty PLAIN or LOGIN
	   message is malformed either way. */
	if (len - i == 1 && arg[i] == '=') {
		sasl_server_clear(s);
		util_seterr(err, errlen, "empty initial response");
		return SASL_ERR_SYNTAX;
	}
	return server_feed(s, arg + i, len - i, out, err, errlen);
}

int
sasl_server_step(struct sasl_server *s, const char *line, size_t len,
    struct buf *out, char *err, size_t errlen)
{
	if (s->mech == SASL_MECH_NONE || s->step > 1) {
		util_seterr(err, errlen, "no SASL exchange in progress");
		return SASL_ERR_SYNTAX;
	}
	return server_feed(s, line, len, out, err, errlen);
}

void
sasl_server_clear(struct sasl_server *s)
{
	util_wipe(s, sizeof(*s));
	s->mech = SASL_MECH_NONE;
	s->step = 0;
}
