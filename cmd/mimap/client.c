/*
 * client.c: the IMAP client engine of `mimap' over common/io (TLS by
 * common/tls) and the codec of common/imap in response mode.
 *
 * A command goes out as "TAG text CRLF"; a synchronizing literal in
 * the text waits for the server's "+" before its octets (LITERAL+ is
 * used where offered).  Responses are read a line at a time into one
 * buffer and parsed; a literal is held in the buffer, unless it is a
 * message literal (a FETCH's BODY[]) and a sink is set: then its octets
 * go to the sink as they come and the parser is told it was taken.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "mimap.h"
#include "net.h"
#include "sasl.h"
#include "secret.h"
#include "util.h"

void
client_complain(const struct copts *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", PROG, o->label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
client_word(const struct imap_value *v, const char *s)
{
	const char *p;
	size_t n;

	if (v == NULL)
		return 0;
	if (v->type == IMAP_ATOM) { /* a flag "\Sent" too */
		p = v->s;
		n = v->len;
	} else if (imap_astring(v, &p, &n) == -1)
		return 0;
	return n == strlen(s) && util_casecmp_n(p, s, n) == 0;
}

int
client_str(const struct imap_value *v, char *out, size_t outlen)
{
	if (v != NULL && v->type == IMAP_NIL) {
		out[0] = '\0';
		return 0;
	}
	return v == NULL ? -1 : imap_cstr(v, out, outlen);
}

/* ---------------------------------------------------------------- URL */

int
client_url(struct copts *o, const char *url, char *err, size_t errlen)
{
	const char *rest, *at, *slash;
	char hp[CLIENT_URL_MAX];
	size_t i, j, n;

	if (strncmp(url, "imap://", 7) == 0) {
		rest = url + 7;
		o->implicit_tls = 0;
	} else if (strncmp(url, "imaps://", 8) == 0) {
		rest = url + 8;
		o->implicit_tls = 1;
	} else {
		util_seterr(err, errlen, "%s: not an imap:// or imaps:// URL",
		    url);
		return -1;
	}
	slash = strchr(rest, '/');
	if (slash != NULL && slash[1] != '\0') {
		util_seterr(err, errlen,
		    "%s: a server URL has no path (use --folder)", url);
		return -1;
	}
	n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (n >= sizeof(hp) || n == 0) {
		util_seterr(err, errlen, "%s: not a valid URL", url);
		return -1;
	}
	memcpy(hp, rest, n);
	hp[n] = '\0';
	if ((at = strrchr(hp, '@')) != NULL) {
		n = (size_t)(at - hp);
		for (i = j = 0; i < n && j + 1 < sizeof(o->urluser); i++) {
			if (hp[i] == ':') {
				util_seterr(err, errlen,
				    "a password in the URL would show in "
				    "ps(1): use --passwordeval or ~/.netrc");
				return -1;
			}
			if (hp[i] == '%' && i + 2 < n &&
			    util_hexval(hp[i + 1]) >= 0 && util_hexval(hp[i + 2]) >= 0) {
				o->urluser[j++] =
				    (char)(util_hexval(hp[i + 1]) * 16 +
					util_hexval(hp[i + 2]));
				i += 2;
			} else
				o->urluser[j++] = hp[i];
		}
		o->urluser[j] = '\0';
		memmove(hp, at + 1, strlen(at + 1) + 1);
	}
	if (net_split_hostport(hp, o->implicit_tls ? "993" : "143", o->host,
		sizeof(o->host), o->port, sizeof(o->port)) == -1 ||
	    o->host[0] == '\0') {
		util_seterr(err, errlen, "%s: not a valid URL", url);
		return -1;
	}
	(void)snprintf(o->label, sizeof(o->label), "%s://%s%s%s:%s",
	    o->implicit_tls ? "imaps" : "imap",
	    strchr(o->host, ':') != NULL ? "[" : "", o->host,
	    strchr(o->host, ':') != NULL ? "]" : "", o->port);
	return 0;
}

int
client_login_info(
    struct copts *o, const char **user, char *secret, size_t secretlen)
{
	char err[ERR_MAX];
	int rc;

	*user = o->user != NULL ? o->user :
	    o->urluser[0] != '\0' ? o->urluser : NULL;
	if (*user == NULL || (*user)[0] == '\0') {
		fprintf(stderr, "%s: no user name: --user U or imap://U@%s\n",
		    PROG, o->host);
		return 64;
	}
	if ((rc = secret_get(o->passwordeval, o->host, *user, secret,
		 secretlen, err, sizeof(err))) != 0) {
		client_complain(o, "%s", err);
		return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- I/O */

static int
io_failed(struct iclient *c, int rc, const char *what)
{
	if (rc == IO_EOF)
		yerr_set(&c->err, YERR_TEMP, "%s: the server closed the "
		    "connection%s", what, c->bye ? " (BYE)" : "");
	else if (rc == IO_TIMEOUT)
		yerr_set(&c->err, YERR_TEMP, "%s: timed out", what);
	else
		yerr_set(&c->err, YERR_TEMP, "%s: %s", what, c->io.err);
	return -1;
}

int
client_send(struct iclient *c, const char *p, size_t n)
{
	if (io_write(&c->io, p, n) == -1 || io_flush(&c->io) == -1) {
		yerr_set(&c->err, YERR_TEMP, "write: %s", c->io.err);
		return -1;
	}
	return 0;
}

/* Append one line, CRLF included, to c->rb. */
static int
read_line(struct iclient *c)
{
	size_t len;
	int eol, rc;

	for (;;) {
		rc = io_getline(&c->io, c->line, sizeof(c->line), &len, &eol);
		if (rc != IO_OK)
			return io_failed(c, rc, "read");
		if (buf_append(&c->rb, c->line, len) == -1) {
			yerr_set(&c->err, YERR_PROTO,
			    "a response longer than %zu bytes", c->rb.max);
			return -1;
		}
		if (eol == IO_EOL_NONE)
			continue;
		if (buf_append(&c->rb, "\r\n", 2) == -1) {
			yerr_set(&c->err, YERR_PROTO, "a response too long");
			return -1;
		}
		return 0;
	}
}

/* A message literal to the sink. */
static int
stream_literal(struct iclient *c, uint64_t size)
{
	char b[16384];
	size_t n;
	int rc;

	if (c->sink->begin(c, c->sink->arg, size) == -1)
		return -1;
	while (size > 0) {
		n = size > sizeof(b) ? sizeof(b) : (size_t)size;
		if ((rc = io_read_exact(&c->io, b, n)) != IO_OK)
			return io_failed(c, rc, "read");
		if (c->sink->write(c, c->sink->arg, b, n) == -1)
			return -1;
		size -= n;
	}
	return 0;
}

static int
hold_literal(struct iclient *c, uint64_t size)
{
	size_t old = c->rb.len;
	int rc;

	if (size > c->rb.max || buf_reserve(&c->rb, (size_t)size) == -1) {
		yerr_set(&c->err, YERR_PROTO, "a literal of %llu bytes",
		    (unsigned long long)size);
		return -1;
	}
	if ((rc = io_read_exact(&c->io, c->rb.data + old, (size_t)size)) !=
	    IO_OK)
		return io_failed(c, rc, "read");
	c->rb.len = old + (size_t)size;
	return 0;
}

int
client_read(struct iclient *c)
{
	int rc;

	imap_parser_reset(&c->p);
	buf_reset(&c->rb);
	if (read_line(c) == -1)
		return -1;
	for (;;) {
		rc = imap_parse(&c->p, c->rb.data, c->rb.len);
		if (rc == IMAP_PARSE_OK)
			break;
		if (rc == IMAP_PARSE_NEED_LITERAL) {
			if (c->p.lit.message && c->sink != NULL) {
				if (stream_literal(c, c->p.lit.size) == -1)
					return -1;
				(void)imap_parser_take(&c->p);
			} else if (hold_literal(c, c->p.lit.size) == -1)
				return -1;
		} else if (rc < 0) {
			yerr_set(&c->err, YERR_PROTO,
			    "a response the client cannot parse: %s",
			    imap_parse_text(rc));
			return -1;
		}
		if (read_line(c) == -1)
			return -1;
	}
	if (c->p.resp.kind == IMAP_RESP_UNTAGGED &&
	    c->p.resp.status == IMAP_ST_BYE)
		c->bye = 1;
	return 0;
}

/* Capabilities from a CAPABILITY response's values or a code's. */
static void
take_caps(struct iclient *c, const struct imap_value *v)
{
	const char *s;
	size_t n;

	c->caps = 0;
	for (; v != NULL; v = v->next) {
		if (imap_astring(v, &s, &n) == -1)
			continue;
		if (client_word(v, "IMAP4rev1") || client_word(v, "IMAP4rev2"))
			c->caps |= CAP_IMAP4REV1;
		else if (client_word(v, "STARTTLS"))
			c->caps |= CAP_STARTTLS;
		else if (client_word(v, "LOGINDISABLED"))
			c->caps |= CAP_LOGINDISABLED;
		else if (client_word(v, "AUTH=PLAIN"))
			c->caps |= CAP_AUTH_PLAIN;
		else if (client_word(v, "SASL-IR"))
			c->caps |= CAP_SASL_IR;
		else if (client_word(v, "IDLE"))
			c->caps |= CAP_IDLE;
		else if (client_word(v, "UIDPLUS"))
			c->caps |= CAP_UIDPLUS;
		else if (client_word(v, "LITERAL+"))
			c->caps |= CAP_LITERALPLUS;
		else if (client_word(v, "SPECIAL-USE"))
			c->caps |= CAP_SPECIAL_USE;
		else if (client_word(v, "LIST-STATUS"))
			c->caps |= CAP_LIST_STATUS;
		else if (client_word(v, "CONDSTORE"))
			c->caps |= CAP_CONDSTORE;
		else if (client_word(v, "QRESYNC"))
			c->caps |= CAP_QRESYNC | CAP_CONDSTORE;
		else if (client_word(v, "NOTIFY"))
			c->caps |= CAP_NOTIFY;
	}
}

/* The "[CAPABILITY ...]" code of a status response, if any. */
static int
code_caps(struct iclient *c)
{
	if (c->p.resp.code != IMAP_CODE_CAPABILITY)
		return 0;
	take_caps(c, c->p.resp.code_args);
	return 1;
}

static void
keep_text(struct iclient *c)
{
	size_t n = c->p.resp.textlen;

	if (n >= sizeof(c->last))
		n = sizeof(c->last) - 1;
	if (c->p.resp.text != NULL)
		memcpy(c->last, c->p.resp.text, n);
	else
		n = 0;
	c->last[n] = '\0';
	for (n = 0; c->last[n] != '\0'; n++)
		if ((unsigned char)c->last[n] < 0x20)
			c->last[n] = '?';
}

/* Wait for "+" (a synchronizing literal, AUTHENTICATE); untagged
   responses go to fn.  1 for "+", 0 when the command ended (tagged:
   its status is returned through *st), -1. */
static int
wait_cont(struct iclient *c, iuntagged_fn fn, void *arg, int *st)
{
	for (;;) {
		if (client_read(c) == -1)
			return -1;
		switch (c->p.resp.kind) {
		case IMAP_RESP_CONT: return 1;
		case IMAP_RESP_TAGGED:
			keep_text(c);
			*st = c->p.resp.status;
			return 0;
		default:
			if (fn != NULL && fn(c, arg) == -1)
				return -1;
		}
	}
}

/* Read up to the tagged response of c->tag. */
static int
finish(struct iclient *c, iuntagged_fn fn, void *arg)
{
	for (;;) {
		if (client_read(c) == -1)
			return -1;
		switch (c->p.resp.kind) {
		case IMAP_RESP_TAGGED:
			if (c->p.taglen != strlen(c->tag) ||
			    memcmp(c->p.tag, c->tag, c->p.taglen) != 0) {
				yerr_set(&c->err, YERR_PROTO,
				    "a response with a tag never sent");
				return -1;
			}
			keep_text(c);
			(void)code_caps(c);
			return c->p.resp.status;
		case IMAP_RESP_CONT:
			yerr_set(&c->err, YERR_PROTO,
			    "a continuation nobody asked for");
			return -1;
		default:
			if (c->p.resp.name != NULL &&
			    c->p.resp.namelen == 10 &&
			    util_casecmp_n(c->p.resp.name, "CAPABILITY", 10) ==
				0)
				take_caps(c, c->p.args);
			if (fn != NULL && fn(c, arg) == -1)
				return -1;
		}
	}
}

/* Where the next literal header "{n}" CRLF or "{n+}" CRLF ends in
   cmd[from..len): sets *lit the octets and *sync; 0 when none. */
static size_t
next_literal(const char *cmd, size_t from, size_t len, uint64_t *lit,
    int *sync)
{
	size_t i, j;

	for (i = from; i + 1 < len; i++) {
		if (cmd[i] != '\r' || cmd[i + 1] != '\n' || i == 0 ||
		    cmd[i - 1] != '}')
			continue;
		j = i - 1;
		*sync = 1;
		if (j > 0 && cmd[j - 1] == '+') {
			*sync = 0;
			j--;
		}
		while (j > from && cmd[j - 1] >= '0' && cmd[j - 1] <= '9')
			j--;
		if (j == from || cmd[j - 1] != '{')
			continue;
		if (imap_parse_number(cmd + j, i - 1 - (*sync ? 0 : 1) - j,
			UINT64_MAX, lit) == -1)
			continue;
		return i + 2;
	}
	return 0;
}

/* -v: the command on stderr up to its first literal, never a login. */
static void
trace(struct iclient *c, const char *cmd, size_t len)
{
	size_t n;

	if ((len >= 5 && util_casecmp_n(cmd, "LOGIN", 5) == 0) ||
	    (len >= 12 && util_casecmp_n(cmd, "AUTHENTICATE", 12) == 0)) {
		fprintf(stderr, "%s: > %s (login)\n", PROG, c->tag);
		return;
	}
	for (n = 0; n < len && n < 200 && cmd[n] != '{' && cmd[n] != '\r';
	     n++)
		;
	fprintf(stderr, "%s: > %s %.*s\n", PROG, c->tag, (int)n, cmd);
}

int
client_cmd(struct iclient *c, iuntagged_fn fn, void *arg, const char *cmd,
    size_t len)
{
	size_t pos = 0, end;
	uint64_t lit;
	int sync, st;

	(void)snprintf(c->tag, sizeof(c->tag), "Y%u", ++c->tagn);
	if (c->o != NULL && c->o->verbose)
		trace(c, cmd, len);
	if (io_puts(&c->io, c->tag) == -1 || io_puts(&c->io, " ") == -1)
		goto wfail;
	while ((end = next_literal(cmd, pos, len, &lit, &sync)) != 0 &&
	    lit <= len - end) {
		if (io_write(&c->io, cmd + pos, end - pos) == -1)
			goto wfail;
		if (sync) {
			if (io_flush(&c->io) == -1)
				goto wfail;
			switch (wait_cont(c, fn, arg, &st)) {
			case -1: return -1;
			case 0: return st;
			default: break;
			}
		}
		if (io_write(&c->io, cmd + end, (size_t)lit) == -1)
			goto wfail;
		pos = end + (size_t)lit;
	}
	if (io_write(&c->io, cmd + pos, len - pos) == -1 ||
	    io_puts(&c->io, "\r\n") == -1 || io_flush(&c->io) == -1)
		goto wfail;
	return finish(c, fn, arg);
wfail:
	yerr_set(&c->err, YERR_TEMP, "write: %s", c->io.err);
	return -1;
}

int
client_cmdf(struct iclient *c, iuntagged_fn fn, void *arg, const char *fmt,
    ...)
{
	char b[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b)) {
		yerr_set(&c->err, YERR_LOCAL, "a command too long");
		return -1;
	}
	return client_cmd(c, fn, arg, b, (size_t)n);
}

int
client_refused(struct iclient *c, int st, const char *what)
{
	if (st == -1)
		return -1;
	yerr_set(&c->err, st == IMAP_ST_NO ? YERR_PERM : YERR_PROTO,
	    "%s: %s %s", what, imap_status_name((enum imap_status)st),
	    c->last);
	return -1;
}

/* ---------------------------------------------------------------- open */

static int
tls_up(struct iclient *c)
{
	int fail = TLS_FAIL_HANDSHAKE;

	c->tlso.fail = &fail;
	if (io_starttls_client(&c->io, &c->tlso) == -1) {
		yerr_set(&c->err,
		    fail == TLS_FAIL_CERT ? YERR_TLS :
		    fail == TLS_FAIL_SETUP ? YERR_CONFIG : YERR_TEMP,
		    "TLS: %s", c->io.err);
		return -1;
	}
	c->tls_on = 1;
	return 0;
}

static int
greeting(struct iclient *c)
{
	if (client_read(c) == -1)
		return -1;
	if (c->p.resp.kind != IMAP_RESP_UNTAGGED ||
	    (c->p.resp.status != IMAP_ST_OK &&
		c->p.resp.status != IMAP_ST_PREAUTH)) {
		keep_text(c);
		yerr_set(&c->err,
		    c->p.resp.status == IMAP_ST_BYE ? YERR_TEMP : YERR_PROTO,
		    "greeting: %s", c->last);
		return -1;
	}
	c->preauth = c->p.resp.status == IMAP_ST_PREAUTH;
	if (!code_caps(c)) {
		int st = client_cmdf(c, NULL, NULL, "CAPABILITY");
		if (st != IMAP_ST_OK)
			return client_refused(c, st, "CAPABILITY");
	}
	return 0;
}

static int
auth_plain(struct iclient *c, const char *user, const char *secret)
{
	struct sasl_client sc;
	struct buf b, cmd;
	char err[ERR_MAX];
	int rc = -1, st;

	memset(&sc, 0, sizeof(sc));
	buf_init(&b, SECRET_MAX * 2 + 1024);
	buf_init(&cmd, SECRET_MAX * 2 + 1024);
	if (sasl_client_start(&sc, SASL_MECH_PLAIN, user, secret, &b, err,
		sizeof(err)) != SASL_CONTINUE) {
		yerr_set(&c->err, YERR_CONFIG, "AUTHENTICATE PLAIN: %s", err);
		goto out;
	}
	if (c->caps & CAP_SASL_IR) {
		if (buf_puts(&cmd, "AUTHENTICATE PLAIN ") == -1 ||
		    buf_append(&cmd, b.data, b.len) == -1)
			goto nomem;
		st = client_cmd(c, NULL, NULL, cmd.data, cmd.len);
	} else {
		(void)snprintf(c->tag, sizeof(c->tag), "Y%u", ++c->tagn);
		if (buf_printf(&cmd, "%s AUTHENTICATE PLAIN\r\n", c->tag) ==
		    -1)
			goto nomem;
		if (client_send(c, cmd.data, cmd.len) == -1)
			goto out;
		switch (wait_cont(c, NULL, NULL, &st)) {
		case -1: goto out;
		case 1:
			buf_reset(&cmd);
			if (buf_append(&cmd, b.data, b.len) == -1 ||
			    buf_puts(&cmd, "\r\n") == -1)
				goto nomem;
			if (client_send(c, cmd.data, cmd.len) == -1)
				goto out;
			st = finish(c, NULL, NULL);
			break;
		default: break;
		}
	}
	if (st == IMAP_ST_OK)
		rc = 0;
	else if (st != -1)
		yerr_set(&c->err, st == IMAP_ST_NO ? YERR_AUTH : YERR_PROTO,
		    "AUTHENTICATE PLAIN: %s", c->last);
	goto out;
nomem:
	yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
out:
	util_wipe(b.data, b.cap);
	util_wipe(cmd.data, cmd.cap);
	buf_free(&b);
	buf_free(&cmd);
	sasl_client_clear(&sc);
	return rc;
}

static int
auth_login(struct iclient *c, const char *user, const char *secret)
{
	struct buf cmd;
	unsigned fl = c->caps & CAP_LITERALPLUS ? IMAP_ENC_LITPLUS : 0;
	int rc = -1, st;

	buf_init(&cmd, SECRET_MAX * 2 + 1024);
	if (buf_puts(&cmd, "LOGIN ") == -1 ||
	    imap_put_astring(&cmd, user, strlen(user), fl) == -1 ||
	    buf_putc(&cmd, ' ') == -1 ||
	    imap_put_astring(&cmd, secret, strlen(secret), fl) == -1) {
		yerr_set(&c->err, YERR_CONFIG,
		    "LOGIN: the user name or password cannot be sent");
		goto out;
	}
	st = client_cmd(c, NULL, NULL, cmd.data, cmd.len);
	if (st == IMAP_ST_OK)
		rc = 0;
	else if (st != -1)
		yerr_set(&c->err, st == IMAP_ST_NO ? YERR_AUTH : YERR_PROTO,
		    "LOGIN: %s", c->last);
out:
	util_wipe(cmd.data, cmd.cap);
	buf_free(&cmd);
	return rc;
}

int
client_open(
    struct iclient *c, const struct copts *o, const char *user, char *secret)
{
	char err[ERR_MAX];
	int st, rc;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->fd = -1;
	buf_init(&c->rb, IMAP_RESP_LINE_MAX + (size_t)MSG_SIZE_DEFAULT);
	imap_parser_init(&c->p, IMAP_MODE_RESPONSE);
	c->p.flags |= IMAP_PF_8BIT | IMAP_PF_UTF8 | IMAP_PF_LAX;
	c->fd = net_connect(o->host, o->port, (int)o->timeout * 1000, NULL, 0,
	    err, sizeof(err));
	if (c->fd == -1) {
		yerr_set(&c->err, YERR_TEMP, "%s", err);
		return -1;
	}
	io_init(&c->io, c->fd, c->fd, (int)o->timeout * 1000);
	c->tlso.hostname = o->host;
	c->tlso.trust_file = o->trust;
	if (o->implicit_tls && tls_up(c) == -1)
		return -1;
	if (greeting(c) == -1)
		return -1;
	if (!o->implicit_tls && !o->tls_off) {
		if (!(c->caps & CAP_STARTTLS)) {
			yerr_set(&c->err, YERR_TLS,
			    "the server offers no STARTTLS (--tls=off to go "
			    "on without TLS)");
			return -1;
		}
		st = client_cmdf(c, NULL, NULL, "STARTTLS");
		if (st != IMAP_ST_OK) {
			if (st != -1)
				yerr_set(&c->err, YERR_TLS, "STARTTLS: %s",
				    c->last);
			return -1;
		}
		if (tls_up(c) == -1)
			return -1;
		/* RFC 9051 §6.2.1: capabilities again after TLS. */
		st = client_cmdf(c, NULL, NULL, "CAPABILITY");
		if (st != IMAP_ST_OK)
			return client_refused(c, st, "CAPABILITY");
	}
	if (c->preauth)
		return 0;
	if (c->caps & CAP_AUTH_PLAIN)
		rc = auth_plain(c, user, secret);
	else if (c->caps & CAP_LOGINDISABLED) {
		yerr_set(&c->err, YERR_AUTH,
		    "the server takes neither LOGIN nor AUTHENTICATE PLAIN");
		return -1;
	} else
		rc = auth_login(c, user, secret);
	/* The command went out through the write buffer. */
	if (c->io.wbuf.data != NULL)
		util_wipe(c->io.wbuf.data, c->io.wbuf.cap);
	return rc;
}

void
client_close(struct iclient *c)
{
	if (c->fd != -1 && !c->bye && c->err.cls == YERR_OK)
		(void)client_cmdf(c, NULL, NULL, "LOGOUT");
	io_close(&c->io);
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
	imap_parser_free(&c->p);
	buf_free(&c->rb);
}

/* ---------------------------------------------------------------- SELECT */

static int
on_select(struct iclient *c, void *arg)
{
	struct imap_resp *r = &c->p.resp;
	struct imap_seqset set = IMAP_SEQSET_INIT;
	struct imap_value *a;
	uint64_t m;
	uint32_t v;
	size_t i;

	(void)arg;
	if (c->o != NULL && c->o->verbose && c->rb.len < 300)
		fprintf(stderr, "%s: < %.*s", PROG, (int)c->rb.len,
		    c->rb.data);
	if (r->has_number && r->namelen == 6 &&
	    util_casecmp_n(r->name, "EXISTS", 6) == 0) {
		c->exists = r->number;
		c->exists_seen = 1;
	}
	/* "* VANISHED (EARLIER) 3:5,9" (QRESYNC) */
	if (c->vanished != NULL && !r->has_number && r->namelen == 8 &&
	    util_casecmp_n(r->name, "VANISHED", 8) == 0) {
		a = c->p.args;
		if (a != NULL && a->type == IMAP_LIST)
			a = a->next;
		if (a != NULL && a->type != IMAP_LIST &&
		    imap_seqset_parse(a->s, a->len, UINT32_MAX, &set) == 0) {
			for (i = 0; i < set.n; i++)
				if (imap_seqset_add(c->vanished, set.r[i].lo,
					set.r[i].hi) == -1)
					break;
		}
		imap_seqset_free(&set);
	}
	if (r->status == IMAP_ST_OK && r->code == IMAP_CODE_NOMODSEQ)
		c->highestmodseq = 0;
	if (r->status == IMAP_ST_OK && r->code == IMAP_CODE_HIGHESTMODSEQ &&
	    r->code_args != NULL &&
	    imap_number64(r->code_args, 0, &m) == 0)
		c->highestmodseq = m;
	if (r->status == IMAP_ST_OK && r->code_args != NULL &&
	    imap_number(r->code_args, &v) == 0) {
		if (r->code == IMAP_CODE_UIDVALIDITY)
			c->uidvalidity = v;
		else if (r->code == IMAP_CODE_UIDNEXT)
			c->uidnext = v;
	}
	return 0;
}

int
client_select(struct iclient *c, const char *folder, int rw)
{
	return client_select_p(c, folder, rw, NULL);
}

int
client_select_p(
    struct iclient *c, const char *folder, int rw, const char *params)
{
	struct buf cmd;
	char what[600];
	int st;

	c->exists = c->uidvalidity = c->uidnext = 0;
	c->highestmodseq = 0;
	buf_init(&cmd, 64 * 1024);
	if (buf_puts(&cmd, rw ? "SELECT " : "EXAMINE ") == -1 ||
	    imap_put_mailbox(&cmd, folder, strlen(folder),
		c->caps & CAP_LITERALPLUS ? IMAP_ENC_LITPLUS : 0) == -1) {
		buf_free(&cmd);
		yerr_set(&c->err, YERR_USAGE, "%s: not a folder name", folder);
		return -1;
	}
	if (params != NULL && buf_puts(&cmd, params) == -1) {
		buf_free(&cmd);
		yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
		return -1;
	}
	st = client_cmd(c, on_select, NULL, cmd.data, cmd.len);
	buf_free(&cmd);
	if (st == IMAP_ST_OK && c->uidvalidity == 0) {
		yerr_set(&c->err, YERR_PROTO, "%s: no UIDVALIDITY", folder);
		return -1;
	}
	if (st != IMAP_ST_OK) {
		(void)snprintf(what, sizeof(what), "%s %s",
		    rw ? "SELECT" : "EXAMINE", folder);
		return client_refused(c, st, what);
	}
	return 0;
}
