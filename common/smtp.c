/*
 * smtp.c: SMTP reply parsing with enhanced status codes, EHLO capability
 * parsing, dot-stuffing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "smtp.h"
#include "util.h"

/* RFC 3463 §2: class "." subject "." detail; subject and detail 1-3 digits. */
#define ENH_PART_MAX 3
/* RFC 4422 §3.1: a SASL mechanism name is 1 to 20 characters. */
#define SASL_MECH_MAX 20

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(
	    &r->text, SMTP_REPLY_LINES_MAX * (SMTP_REPLY_LINE_READ_MAX + 1));
}

void
smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
}

static void
smtp_reply_reset(struct smtp_reply *r)
{
	buf_reset(&r->text);
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
}

static int
isdigit_c(int c)
{
	return c >= '0' && c <= '9';
}

int
smtp_reply_parse_line(const char *line, size_t len, struct smtp_reply_line *out)
{
	/*
	 * RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
	 * Reply-code [ SP textstring ] CRLF; Reply-code = %x32-35 %x30-35
	 * %x30-39.  The second digit is taken loosely (0-9) as clients do.
	 */
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    !isdigit_c((unsigned char)line[1]) ||
	    !isdigit_c((unsigned char)line[2]))
		return -1;
	out->code =
	    (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3) {
		out->last = 1;
		out->text = line + 3;
		out->textlen = 0;
		return 0;
	}
	if (line[3] == ' ')
		out->last = 1;
	else if (line[3] == '-')
		out->last = 0;
	else
		return -1;
	out->text = line + 4;
	out->textlen = len - 4;
	return 0;
}

/*
 * RFC 3463 §2 / RFC 2034 §4: "class.subject.detail" at the start of the
 * text, followed by a space or the end.  class must match the reply's
 * first digit (a 2.x.x in a 550 is not an enhanced code).  Returns the
 * length of the code, 0 when there is none.
 */
static size_t
enh_code(const char *t, size_t n, int code, char *out, size_t outlen)
{
	size_t i = 0, d;
	int part;

	if (n < 5 || t[0] != '0' + code / 100 ||
	    (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (d = 0; i < n && isdigit_c((unsigned char)t[i]) &&
		     d <= ENH_PART_MAX;
		     d++, i++)
			;
		if (d == 0 || d > ENH_PART_MAX)
			return 0;
		if (part == 0) {
			if (i >= n || t[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && t[i] != ' ')
		return 0;
	if (out != NULL) {
		if (i >= outlen)
			return 0;
		memcpy(out, t, i);
		out[i] = '\0';
	}
	return i;
}

int
smtp_reply_add(struct smtp_reply *r, const struct smtp_reply_line *l)
{
	if (r->nlines == 0) {
		r->code = l->code;
		if (enh_code(l->text, l->textlen, l->code, r->enh,
			sizeof(r->enh)) == 0)
			r->enh[0] = '\0';
	} else if (l->code != r->code)
		return -1;
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return -1;
	r->off[r->nlines] = r->text.len;
	if (buf_append(&r->text, l->text, l->textlen) == -1 ||
	    buf_putc(&r->text, '\0') == -1) {
		buf_truncate(&r->text, r->off[r->nlines]);
		return -1;
	}
	r->nlines++;
	return l->last ? 1 : 0;
}

const char *
smtp_reply_text(const struct smtp_reply *r, int i)
{
	if (i < 0 || i >= r->nlines || r->text.data == NULL)
		return "";
	return r->text.data + r->off[i];
}

/* Append s to out for a person to read: control bytes become '?'. */
static void
put_clean(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && *o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		out[(*o)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[*o] = '\0';
}

void
smtp_reply_str(const struct smtp_reply *r, char *out, size_t outlen)
{
	char code[8];
	const char *t;
	size_t o = 0, n, skip;
	int i;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (r->nlines == 0) {
		util_strlcpy(out, "(no reply)", outlen);
		return;
	}
	(void)snprintf(code, sizeof(code), "%03d", r->code);
	put_clean(out, outlen, &o, code, strlen(code));
	for (i = 0; i < r->nlines; i++) {
		t = smtp_reply_text(r, i);
		n = strlen(t);
		skip = 0;
		/* Later lines repeat the enhanced code: show it once. */
		if (i > 0 && r->enh[0] != '\0' &&
		    enh_code(t, n, r->code, NULL, 0) == strlen(r->enh) &&
		    strncmp(t, r->enh, strlen(r->enh)) == 0) {
			skip = strlen(r->enh);
			while (skip < n && t[skip] == ' ')
				skip++;
		}
		if (n - skip == 0)
			continue;
		put_clean(out, outlen, &o, " ", 1);
		put_clean(out, outlen, &o, t + skip, n - skip);
	}
}

/* Printable text of a bad line for an error message. */
static void
quote_line(const char *line, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	put_clean(out, outlen, &o, line, len > 80 ? 80 : len);
	if (len > 80)
		util_strlcat(out, "...", outlen);
}

int
smtp_read_reply(struct io *io, struct smtp_reply *r, char *err, size_t errlen)
{
	char line[SMTP_REPLY_LINE_READ_MAX + 1], shown[100];
	struct smtp_reply_line l;
	size_t len;
	int eol, rc;

	smtp_reply_reset(r);
	for (;;) {
		rc = io_getline(io, line, sizeof(line), &len, &eol);
		if (rc == IO_EOF) {
			util_seterr(err, errlen, "%s",
			    r->nlines == 0
				? "connection closed"
				: "connection closed in the middle of a reply");
			return -1;
		}
		if (rc == IO_TIMEOUT) {
			util_seterr(err, errlen,
			    "timed out waiting for a "
			    "reply");
			return -1;
		}
		if (rc != IO_OK) {
			util_seterr(err, errlen, "%s", io->err);
			return -1;
		}
		if (eol == IO_EOL_NONE) {
			if (len == sizeof(line) - 1)
				util_seterr(err, errlen,
				    "malformed reply: "
				    "line longer than %d bytes",
				    SMTP_REPLY_LINE_READ_MAX);
			else
				util_seterr(err, errlen,
				    "connection closed "
				    "in the middle of a reply line");
			return -1;
		}
		/* A bare LF or CR is tolerated from servers (§4.5.3.1). */
		if (io->log != NULL)
			log_trace(io->log, io->from_peer_is_client, line, len);
		if (smtp_reply_parse_line(line, len, &l) == -1) {
			quote_line(line, len, shown, sizeof(shown));
			util_seterr(
			    err, errlen, "malformed reply: \"%s\"", shown);
			return -1;
		}
		if (r->nlines > 0 && l.code != r->code) {
			util_seterr(err, errlen,
			    "malformed reply: code changed "
			    "from %03d to %03d within a multi-line reply",
			    r->code, l.code);
			return -1;
		}
		if (r->nlines >= SMTP_REPLY_LINES_MAX) {
			util_seterr(err, errlen,
			    "malformed reply: more than "
			    "%d lines",
			    SMTP_REPLY_LINES_MAX);
			return -1;
		}
		rc = smtp_reply_add(r, &l);
		if (rc == -1) {
			util_seterr(err, errlen, "reply: %s", strerror(errno));
			return -1;
		}
		if (rc == 1)
			return 0;
	}
}

/* Does the keyword at t (n bytes, ending at space, '=' or end) equal kw? */
static int
keyword_is(const char *t, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	return n == k && util_casecmp_n(t, kw, k) == 0;
}

static int
mech_char(int c)
{
	/* RFC 4422 §3.1: A-Z 0-9 - _ (we take lower case and fold it). */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    isdigit_c(c) || c == '-' || c == '_';
}

static void
add_mechs(struct smtp_ehlo *e, const char *t, size_t n)
{
	char mech[SASL_MECH_MAX + 1];
	size_t i = 0, s, k, cur;

	while (i < n) {
		while (i < n && (t[i] == ' ' || t[i] == '\t'))
			i++;
		s = i;
		while (i < n && t[i] != ' ' && t[i] != '\t')
			i++;
		if (i == s || i - s > SASL_MECH_MAX)
			continue;
		for (k = s; k < i && mech_char((unsigned char)t[k]); k++)
			;
		if (k != i)
			continue;
		memcpy(mech, t + s, i - s);
		mech[i - s] = '\0';
		for (k = 0; mech[k] != '\0'; k++)
			if (mech[k] >= 'a' && mech[k] <= 'z')
				mech[k] = (char)(mech[k] - 'a' + 'A');
		if (smtp_ehlo_has_auth(e, mech))
			continue;
		cur = strlen(e->auth);
		if (cur + (cur > 0) + strlen(mech) + 1 > sizeof(e->auth))
			continue;
		if (cur > 0)
			util_strlcat(e->auth, " ", sizeof(e->auth));
		util_strlcat(e->auth, mech, sizeof(e->auth));
	}
}

void
smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e)
{
	const char *t, *arg;
	size_t n, kl, al;
	long long v;
	char num[24];
	int i;

	memset(e, 0, sizeof(*e));
	if (r->code != 250)
		return;
	/* RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param ). */
	for (i = 1; i < r->nlines; i++) {
		t = smtp_reply_text(r, i);
		n = strlen(t);
		for (kl = 0; kl < n && t[kl] != ' ' && t[kl] != '='; kl++)
			;
		arg = kl < n ? t + kl + 1 : t + n;
		al = kl < n ? n - kl - 1 : 0;
		if (keyword_is(t, kl, "STARTTLS"))
			e->starttls = 1;
		else if (keyword_is(t, kl, "PIPELINING"))
			e->pipelining = 1;
		else if (keyword_is(t, kl, "8BITMIME"))
			e->eightbitmime = 1;
		else if (keyword_is(t, kl, "SMTPUTF8"))
			e->smtputf8 = 1;
		else if (keyword_is(t, kl, "ENHANCEDSTATUSCODES"))
			e->enhancedstatuscodes = 1;
		else if (keyword_is(t, kl, "CHUNKING"))
			e->chunking = 1;
		else if (keyword_is(t, kl, "DSN"))
			e->dsn = 1;
		else if (keyword_is(t, kl, "SIZE")) {
			/* RFC 1870 §4: "SIZE" [SP number]; 0 = no limit. */
			e->size = 1;
			while (al > 0 && *arg == ' ') {
				arg++;
				al--;
			}
			if (al > 0 && al < sizeof(num)) {
				memcpy(num, arg, al);
				num[al] = '\0';
				if (util_parse_num(
					num, 0, (1LL << 53), 0, &v) == 0)
					e->size_max = v;
			}
		} else if (keyword_is(t, kl, "AUTH"))
			/* RFC 4954 §3, and the pre-standard "AUTH=" form. */
			add_mechs(e, arg, al);
	}
}

int
smtp_ehlo_has_auth(const struct smtp_ehlo *e, const char *mech)
{
	const char *p = e->auth, *s;
	size_t ml = strlen(mech);

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		s = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if ((size_t)(p - s) == ml && ml > 0 &&
		    util_casecmp_n(s, mech, ml) == 0)
			return 1;
	}
	return 0;
}

int
smtp_dotstuff_line(struct io *io, const char *line, size_t len)
{
	/* A CR or LF inside could end the data early (smuggling). */
	if (memchr(line, '\r', len) != NULL ||
	    memchr(line, '\n', len) != NULL) {
		util_seterr(io->err, sizeof(io->err),
		    "message line contains a bare CR or LF");
		return -1;
	}
	/* RFC 5321 §4.5.2: a line starting with "." gets one more. */
	if (len > 0 && line[0] == '.' && io_write(io, ".", 1) == -1)
		return -1;
	if (io_write(io, line, len) == -1)
		return -1;
	return io_write(io, "\r\n", 2);
}

int
smtp_dotstuff_end(struct io *io)
{
	return io_write(io, ".\r\n", 3);
}
