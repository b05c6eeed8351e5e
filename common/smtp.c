/*
 * smtp.c: SMTP reply parsing with enhanced status codes, EHLO capability
 * parsing, dot-stuffing; and the server side: command, path and
 * ESMTP parameter parsing, reply writing.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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
	r->malformed = 0;
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
			if (len == sizeof(line) - 1) {
				r->malformed = 1;
				util_seterr(err, errlen,
				    "malformed reply: "
				    "line longer than %d bytes",
				    SMTP_REPLY_LINE_READ_MAX);
			} else
				util_seterr(err, errlen,
				    "connection closed "
				    "in the middle of a reply line");
			return -1;
		}
		/* A bare LF or CR is tolerated from servers (§4.5.3.1). */
		if (io->log != NULL)
			log_trace(io->log, io->from_peer_is_client, line, len);
		if (smtp_reply_parse_line(line, len, &l) == -1) {
			r->malformed = 1;
			quote_line(line, len, shown, sizeof(shown));
			util_seterr(
			    err, errlen, "malformed reply: \"%s\"", shown);
			return -1;
		}
		if (r->nlines > 0 && l.code != r->code) {
			r->malformed = 1;
			util_seterr(err, errlen,
			    "malformed reply: code changed "
			    "from %03d to %03d within a multi-line reply",
			    r->code, l.code);
			return -1;
		}
		if (r->nlines >= SMTP_REPLY_LINES_MAX) {
			r->malformed = 1;
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

/* ------------------------------------------------------------ server side */

static const struct {
	enum smtp_verb verb;
	const char *name;
} verbs[] = {
    {SMTP_CMD_EHLO, "EHLO"},
    {SMTP_CMD_HELO, "HELO"},
    {SMTP_CMD_MAIL, "MAIL"},
    {SMTP_CMD_RCPT, "RCPT"},
    {SMTP_CMD_DATA, "DATA"},
    {SMTP_CMD_BDAT, "BDAT"},
    {SMTP_CMD_RSET, "RSET"},
    {SMTP_CMD_NOOP, "NOOP"},
    {SMTP_CMD_QUIT, "QUIT"},
    {SMTP_CMD_VRFY, "VRFY"},
    {SMTP_CMD_EXPN, "EXPN"},
    {SMTP_CMD_HELP, "HELP"},
    {SMTP_CMD_STARTTLS, "STARTTLS"},
    {SMTP_CMD_AUTH, "AUTH"},
};

const char *
smtp_verb_name(enum smtp_verb v)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "";
}

static int
isalpha_c(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
isalnum_c(int c)
{
	return isalpha_c(c) || isdigit_c(c);
}

static int
tolower_c(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd)
{
	size_t i, vl, k;
	const char *kw;

	cmd->verb = SMTP_CMD_NONE;
	cmd->arg = line + len;
	cmd->arglen = 0;
	if (memchr(line, '\0', len) != NULL)
		return SMTP_PARSE_SYNTAX;
	/* RFC 5321 §2.4: verbs are case-insensitive, 4 letters or more. */
	for (vl = 0; vl < len && isalpha_c((unsigned char)line[vl]); vl++)
		;
	if (vl < len && line[vl] != ' ')
		return SMTP_PARSE_UNKNOWN;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == vl &&
		    util_casecmp_n(line, verbs[i].name, vl) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return SMTP_PARSE_UNKNOWN;
	cmd->verb = verbs[i].verb;
	/* Liberal (§4.5.3.1): extra spaces around the argument. */
	for (i = vl; i < len && line[i] == ' '; i++)
		;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (cmd->verb == SMTP_CMD_MAIL || cmd->verb == SMTP_CMD_RCPT) {
		/* §4.1.1.2 "MAIL FROM:" Reverse-path, §4.1.1.3 "RCPT TO:". */
		if (i == vl)
			return SMTP_PARSE_SYNTAX;
		kw = cmd->verb == SMTP_CMD_MAIL ? "FROM:" : "TO:";
		k = strlen(kw);
		if (len - i < k || util_casecmp_n(line + i, kw, k) != 0)
			return SMTP_PARSE_SYNTAX;
		/* "MAIL FROM: <a>" is common; accept the space. */
		for (i += k; i < len && line[i] == ' '; i++)
			;
		if (i == len)
			return SMTP_PARSE_SYNTAX;
	}
	cmd->arg = line + i;
	cmd->arglen = len - i;
	switch (cmd->verb) {
	case SMTP_CMD_DATA:
	case SMTP_CMD_RSET:
	case SMTP_CMD_QUIT:
	case SMTP_CMD_STARTTLS:
		/* §4.1.1.4, §4.1.1.5, §4.1.1.10; RFC 3207 §4. */
		if (cmd->arglen != 0)
			return SMTP_PARSE_SYNTAX;
		break;
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
	case SMTP_CMD_BDAT:
	case SMTP_CMD_AUTH:
	case SMTP_CMD_VRFY:
	case SMTP_CMD_EXPN:
		if (cmd->arglen == 0)
			return SMTP_PARSE_SYNTAX;
		break;
	default: break;
	}
	return SMTP_PARSE_OK;
}

/* RFC 5322 §3.2.3 atext, with UTF-8 handled by the caller. */
static int
atext_c(int c)
{
	return isalnum_c(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/*
 * RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str]; RFC 6531 §3.3 allows a
 * U-label.  Labels are at most DNS_LABEL_MAX octets.
 */
static int
domain_name_valid(const char *s, size_t len, int utf8)
{
	size_t i = 0, start, k;
	const unsigned char *u = (const unsigned char *)s;

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return 0;
	while (i < len) {
		start = i;
		while (i < len && s[i] != '.') {
			if (u[i] >= 0x80) {
				if (!utf8 ||
				    (k = util_utf8_char(s + i, len - i, NULL)) ==
					0)
					return 0;
				i += k;
				continue;
			}
			if (!isalnum_c(u[i]) && u[i] != '-')
				return 0;
			i++;
		}
		if (i == start || i - start > DNS_LABEL_MAX ||
		    s[start] == '-' || s[i - 1] == '-')
			return 0;
		if (i < len) {
			i++; /* the dot */
			if (i == len)
				return 0; /* trailing dot */
		}
	}
	return 1;
}

/* RFC 5321 §4.1.3: [IPv4] or [IPv6:...]; General-address-literal no. */
static int
addr_literal_valid(const char *s, size_t len)
{
	char tmp[64];
	unsigned char bin[16];
	size_t i;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' ||
	    len - 2 >= sizeof(tmp))
		return 0;
	memcpy(tmp, s + 1, len - 2);
	tmp[len - 2] = '\0';
	for (i = 0; i < len - 2; i++)
		if (tmp[i] == '\0')
			return 0;
	if (util_casecmp_n(tmp, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, tmp + 5, bin) == 1;
	return inet_pton(AF_INET, tmp, bin) == 1;
}

int
smtp_domain_valid(const char *s, size_t len, int utf8)
{
	if (len > 0 && s[0] == '[')
		return addr_literal_valid(s, len);
	return domain_name_valid(s, len, utf8);
}

/* Is s (len bytes) a Dot-string: Atom *("." Atom)? Sets *hi on UTF-8. */
static int
dot_string_valid(const unsigned char *s, size_t len, int utf8, int *hi)
{
	size_t i = 0, k;
	int atom = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		if (s[i] == '.') {
			if (atom == 0)
				return 0;
			atom = 0;
			i++;
			continue;
		}
		if (s[i] >= 0x80) {
			/* RFC 6531 §3.3: atext =/ UTF8-non-ascii. */
			if (!utf8 || (k = util_utf8_char((const char *)s + i,
					  len - i, NULL)) == 0)
				return 0;
			*hi = 1;
			i += k;
		} else if (atext_c(s[i]))
			i++;
		else
			return 0;
		atom++;
	}
	return atom > 0;
}

/* Where a domain or literal ends in s: at '>' (or ',' / ':' in routes). */
static size_t
domain_end(const char *s, size_t len, const char *stops)
{
	size_t i;

	if (len > 0 && s[0] == '[') {
		for (i = 0; i < len && s[i] != ']'; i++)
			;
		return i < len ? i + 1 : len;
	}
	for (i = 0; i < len && strchr(stops, s[i]) == NULL; i++)
		;
	return i;
}

/*
 * Parse the local part at s: a Dot-string or a Quoted-string (RFC 5321
 * §4.1.2).  Writes the normalised form to p->local and returns the bytes
 * taken, or 0 with *rc set.
 */
static size_t
parse_local(const char *s, size_t len, int flags, struct smtp_path *p, int *rc)
{
	char raw[SMTP_LOCALPART_MAX + 1];
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n = 0, k, o;
	int hi = 0, ok;

	*rc = SMTP_PARSE_ADDR;
	if (len > 0 && s[0] == '"') {
		/* qtextSMTP = %d32-33 / %d35-91 / %d93-126; quoted-pairSMTP
		   = "\" %d32-126; RFC 6531 §3.3 adds UTF8-non-ascii. */
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (u[i] == '\\') {
				if (++i >= len || u[i] < 32 || u[i] > 126)
					return 0;
				k = 1;
			} else if (u[i] >= 0x80) {
				if ((k = util_utf8_char(s + i, len - i, NULL)) ==
				    0)
					return 0;
				if (!(flags & SMTP_PATH_UTF8)) {
					*rc = SMTP_PARSE_UTF8;
					return 0;
				}
				hi = 1;
			} else if (u[i] < 32 || u[i] > 126)
				return 0;
			else
				k = 1;
			if (n + k > SMTP_LOCALPART_MAX) {
				*rc = SMTP_PARSE_PATHLONG;
				return 0;
			}
			memcpy(raw + n, s + i, k);
			n += k;
			i += k - 1;
		}
		if (i >= len)
			return 0;
		i++; /* closing quote */
		raw[n] = '\0';
		/* §4.1.2: a sender SHOULD NOT quote what needs no quotes;
		   the unquoted form is the same mailbox. */
		if (dot_string_valid((const unsigned char *)raw, n, 1, &hi)) {
			memcpy(p->local, raw, n + 1);
			p->quoted = 0;
		} else {
			o = 0;
			p->local[o++] = '"';
			for (k = 0; k < n; k++) {
				if (o + 3 > sizeof(p->local)) {
					*rc = SMTP_PARSE_PATHLONG;
					return 0;
				}
				if (raw[k] == '"' || raw[k] == '\\')
					p->local[o++] = '\\';
				p->local[o++] = raw[k];
			}
			if (o + 2 > sizeof(p->local)) {
				*rc = SMTP_PARSE_PATHLONG;
				return 0;
			}
			p->local[o++] = '"';
			p->local[o] = '\0';
			p->quoted = 1;
		}
		p->utf8 |= hi;
		return i;
	}
	for (i = 0; i < len && s[i] != '@' && s[i] != '>'; i++)
		;
	ok = dot_string_valid(u, i, 1, &hi);
	if (!ok)
		return 0;
	if (hi && !(flags & SMTP_PATH_UTF8)) {
		*rc = SMTP_PARSE_UTF8;
		return 0;
	}
	if (i > SMTP_LOCALPART_MAX) {
		*rc = SMTP_PARSE_PATHLONG;
		return 0;
	}
	memcpy(p->local, s, i);
	p->local[i] = '\0';
	p->quoted = 0;
	p->utf8 |= hi;
	return i;
}

static int
has_high(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

int
smtp_path_parse(
    const char *s, size_t len, int flags, struct smtp_path *p, size_t *used)
{
	size_t i, end, n, dl;
	int rc, utf8 = (flags & SMTP_PATH_UTF8) != 0;

	memset(p, 0, sizeof(*p));
	*used = 0;
	if (len == 0 || s[0] != '<')
		return SMTP_PARSE_ADDR;
	/* §4.5.3.1.3: the whole path, punctuation included, is bounded. */
	for (end = 1; end < len && end <= SMTP_PATH_MAX && s[end] != '>'; end++)
		;
	if (end > SMTP_PATH_MAX - 1)
		return end < len ? SMTP_PARSE_PATHLONG : SMTP_PARSE_ADDR;
	if (end >= len)
		return SMTP_PARSE_ADDR;
	/* A '>' inside a quoted local part is legal: find the real end
	   below, bounded by the same limit. */
	if (end == 1) {
		if (!(flags & SMTP_PATH_REVERSE))
			return SMTP_PARSE_ADDR;
		p->null = 1;
		*used = 2;
		return SMTP_PARSE_OK;
	}
	i = 1;
	/* §4.1.2 A-d-l: "@" Domain *( "," "@" Domain ) ":", dropped
	   (Appendix C). */
	if (s[i] == '@') {
		for (;;) {
			if (i >= len || s[i] != '@')
				return SMTP_PARSE_ADDR;
			i++;
			n = domain_end(s + i, len - i, ",:>");
			if (!smtp_domain_valid(s + i, n, utf8))
				return has_high(s + i, n) && !utf8
				    ? SMTP_PARSE_UTF8
				    : SMTP_PARSE_ADDR;
			i += n;
			if (i < len && s[i] == ',') {
				i++;
				continue;
			}
			if (i < len && s[i] == ':') {
				i++;
				break;
			}
			return SMTP_PARSE_ADDR;
		}
	}
	/* §4.1.1.3: "<Postmaster>" without a domain, case-insensitive. */
	if ((flags & SMTP_PATH_FORWARD) && i == 1 && len - i >= 11 &&
	    util_casecmp_n(s + i, "Postmaster>", 11) == 0) {
		p->postmaster = 1;
		util_strlcpy(p->local, "Postmaster", sizeof(p->local));
		util_strlcpy(p->addr, "Postmaster", sizeof(p->addr));
		*used = i + 11;
		return SMTP_PARSE_OK;
	}
	n = parse_local(s + i, len - i, flags, p, &rc);
	if (n == 0)
		return rc;
	i += n;
	if (i >= len || s[i] != '@')
		return SMTP_PARSE_ADDR;
	i++;
	n = domain_end(s + i, len - i, ">");
	if (i + n >= len || s[i + n] != '>')
		return SMTP_PARSE_ADDR;
	if (n > SMTP_DOMAIN_MAX)
		return SMTP_PARSE_PATHLONG;
	if (!smtp_domain_valid(s + i, n, utf8))
		return has_high(s + i, n) && !utf8 ? SMTP_PARSE_UTF8
						   : SMTP_PARSE_ADDR;
	if (i + n + 1 > SMTP_PATH_MAX)
		return SMTP_PARSE_PATHLONG;
	memcpy(p->domain, s + i, n);
	p->domain[n] = '\0';
	/* Domains are case-insensitive (§2.4); literals keep "IPv6". */
	if (p->domain[0] != '[')
		for (dl = 0; dl < n; dl++)
			p->domain[dl] =
			    (char)tolower_c((unsigned char)p->domain[dl]);
	p->utf8 |= has_high(p->domain, n);
	if ((size_t)snprintf(p->addr, sizeof(p->addr), "%s@%s", p->local,
		p->domain) >= sizeof(p->addr))
		return SMTP_PARSE_PATHLONG;
	*used = i + n + 1;
	return SMTP_PARSE_OK;
}

/* RFC 3461 §4: xtext = *( xchar / hexchar ), hexchar = "+" 2HEXCHAR
   (upper case).  Returns the decoded length, or -1. */
static long
xtext_len(const char *s, size_t len)
{
	size_t i;
	long n = 0;
	unsigned char c;

	for (i = 0; i < len; i++, n++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			if (len - i < 3)
				return -1;
			if (!(isdigit_c((unsigned char)s[i + 1]) ||
				(s[i + 1] >= 'A' && s[i + 1] <= 'F')) ||
			    !(isdigit_c((unsigned char)s[i + 2]) ||
				(s[i + 2] >= 'A' && s[i + 2] <= 'F')))
				return -1;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return -1;
	}
	return n;
}

static int
copy_value(char *dst, size_t dstsize, const char *v, size_t vl)
{
	if (vl >= dstsize)
		return -1;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
	return 0;
}

/* NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 §4.1). */
static int
parse_notify(const char *v, size_t vl, int *out)
{
	static const struct {
		const char *name;
		int bit;
	} kw[] = {{"NEVER", SMTP_NOTIFY_NEVER},
	    {"SUCCESS", SMTP_NOTIFY_SUCCESS}, {"FAILURE", SMTP_NOTIFY_FAILURE},
	    {"DELAY", SMTP_NOTIFY_DELAY}};
	size_t i = 0, s, k;
	int bits = 0;

	while (i <= vl) {
		s = i;
		while (i < vl && v[i] != ',')
			i++;
		for (k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
			if (keyword_is(v + s, i - s, kw[k].name))
				break;
		if (k == sizeof(kw) / sizeof(kw[0]) || (bits & kw[k].bit))
			return -1;
		bits |= kw[k].bit;
		i++;
	}
	if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
		return -1;
	*out = bits;
	return 0;
}

int
smtp_orcpt_valid(const char *v, size_t vl)
{
	size_t i;

	/* RFC 3461 §4.2: addr-type ";" xtext, addr-type an atom; the
	   whole at most SMTP_ORCPT_MAX. */
	if (vl > SMTP_ORCPT_MAX)
		return 0;
	for (i = 0; i < vl && v[i] != ';'; i++)
		if (!atext_c((unsigned char)v[i]))
			return 0;
	return i > 0 && i < vl && xtext_len(v + i + 1, vl - i - 1) > 0;
}

/* One parameter; seen tracks repeats.  Returns an smtp_parse_rc. */
static int
param_one(const char *kw, size_t kl, const char *v, size_t vl, int hasv,
    enum smtp_verb verb, struct smtp_params *p, unsigned *seen)
{
	enum {
		P_SIZE = 1,
		P_BODY = 2,
		P_SMTPUTF8 = 4,
		P_RET = 8,
		P_ENVID = 16,
		P_AUTH = 32,
		P_NOTIFY = 64,
		P_ORCPT = 128
	};
	unsigned bit = 0;
	size_t i, k;
	long xl;

	if (verb == SMTP_CMD_MAIL) {
		if (keyword_is(kw, kl, "SIZE"))
			bit = P_SIZE;
		else if (keyword_is(kw, kl, "BODY"))
			bit = P_BODY;
		else if (keyword_is(kw, kl, "SMTPUTF8"))
			bit = P_SMTPUTF8;
		else if (keyword_is(kw, kl, "RET"))
			bit = P_RET;
		else if (keyword_is(kw, kl, "ENVID"))
			bit = P_ENVID;
		else if (keyword_is(kw, kl, "AUTH"))
			bit = P_AUTH;
	} else if (verb == SMTP_CMD_RCPT) {
		if (keyword_is(kw, kl, "NOTIFY"))
			bit = P_NOTIFY;
		else if (keyword_is(kw, kl, "ORCPT"))
			bit = P_ORCPT;
	}
	if (bit == 0) {
		if (p->unknown[0] == '\0') {
			k = kl < sizeof(p->unknown) - 1
			    ? kl
			    : sizeof(p->unknown) - 1;
			memcpy(p->unknown, kw, k);
			p->unknown[k] = '\0';
		}
		return SMTP_PARSE_PARAM;
	}
	if (*seen & bit)
		return SMTP_PARSE_MANY;
	*seen |= bit;
	/* SMTPUTF8 takes no value (RFC 6531 §3.4); the others need one. */
	if ((bit == P_SMTPUTF8) == hasv)
		return SMTP_PARSE_VALUE;
	switch (bit) {
	case P_SIZE:
		/* RFC 1870 §3: size-value ::= 1*20DIGIT. */
		if (vl == 0 || vl > 20)
			return SMTP_PARSE_VALUE;
		p->size = 0;
		for (i = 0; i < vl; i++) {
			if (!isdigit_c((unsigned char)v[i]))
				return SMTP_PARSE_VALUE;
			if (p->size <= (LLONG_MAX - 9) / 10)
				p->size = p->size * 10 + (v[i] - '0');
			else
				p->size = LLONG_MAX; /* too big anyway */
		}
		break;
	case P_BODY:
		if (keyword_is(v, vl, "7BIT"))
			p->body = SMTP_BODY_7BIT;
		else if (keyword_is(v, vl, "8BITMIME"))
			p->body = SMTP_BODY_8BITMIME;
		else if (keyword_is(v, vl, "BINARYMIME"))
			p->body = SMTP_BODY_BINARYMIME;
		else
			return SMTP_PARSE_VALUE;
		break;
	case P_SMTPUTF8: p->smtputf8 = 1; break;
	case P_RET:
		if (keyword_is(v, vl, "FULL"))
			p->ret = SMTP_RET_FULL;
		else if (keyword_is(v, vl, "HDRS"))
			p->ret = SMTP_RET_HDRS;
		else
			return SMTP_PARSE_VALUE;
		break;
	case P_ENVID:
		xl = xtext_len(v, vl);
		if (xl <= 0 || xl > SMTP_ENVID_MAX ||
		    copy_value(p->envid, sizeof(p->envid), v, vl) == -1)
			return SMTP_PARSE_VALUE;
		break;
	case P_AUTH:
		/* RFC 4954 §5: AUTH=<> or AUTH=xtext (a mailbox). */
		if (!(vl == 2 && v[0] == '<' && v[1] == '>') &&
		    xtext_len(v, vl) <= 0)
			return SMTP_PARSE_VALUE;
		if (copy_value(p->auth, sizeof(p->auth), v, vl) == -1)
			return SMTP_PARSE_VALUE;
		break;
	case P_NOTIFY:
		if (parse_notify(v, vl, &p->notify) == -1)
			return SMTP_PARSE_VALUE;
		break;
	case P_ORCPT:
		if (!smtp_orcpt_valid(v, vl) ||
		    copy_value(p->orcpt, sizeof(p->orcpt), v, vl) == -1)
			return SMTP_PARSE_VALUE;
		break;
	}
	return SMTP_PARSE_OK;
}

int
smtp_params_parse(const char *s, size_t len, enum smtp_verb verb, int utf8,
    struct smtp_params *p)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, ks, kl, vs, vl, k;
	unsigned seen = 0;
	int rc, hasv, first = SMTP_PARSE_OK;

	memset(p, 0, sizeof(*p));
	p->size = -1;
	while (i < len) {
		/* §4.1.2: Mail-parameters = esmtp-param *(SP esmtp-param);
		   runs of spaces are tolerated. */
		if (s[i] != ' ')
			return SMTP_PARSE_SYNTAX;
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		if (++p->count > SMTP_PARAMS_MAX)
			return SMTP_PARSE_MANY;
		/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
		ks = i;
		if (!isalnum_c(u[i]))
			return SMTP_PARSE_SYNTAX;
		while (i < len && (isalnum_c(u[i]) || u[i] == '-'))
			i++;
		kl = i - ks;
		hasv = 0;
		vs = vl = 0;
		if (i < len && s[i] == '=') {
			hasv = 1;
			vs = ++i;
			/* esmtp-value = 1*(%d33-60 / %d62-126); RFC 6531
			   §3.3 adds UTF8-non-ascii. */
			while (i < len && s[i] != ' ') {
				if (u[i] >= 0x80) {
					if (!utf8 ||
					    (k = util_utf8_char(s + i, len - i,
						 NULL)) == 0)
						return SMTP_PARSE_SYNTAX;
					i += k;
					continue;
				}
				if (u[i] < 33 || u[i] > 126 || u[i] == '=')
					return SMTP_PARSE_SYNTAX;
				i++;
			}
			vl = i - vs;
			if (vl == 0)
				return SMTP_PARSE_SYNTAX;
		} else if (i < len && s[i] != ' ')
			return SMTP_PARSE_SYNTAX;
		rc = param_one(s + ks, kl, s + vs, vl, hasv, verb, p, &seen);
		/* An unknown parameter is answered 555 unless the line has
		   a worse error; keep parsing to find it. */
		if (rc == SMTP_PARSE_PARAM) {
			if (first == SMTP_PARSE_OK)
				first = rc;
		} else if (rc != SMTP_PARSE_OK)
			return rc;
	}
	return first;
}

int
smtp_mail_parse(const char *arg, size_t len, enum smtp_verb verb, int utf8,
    struct smtp_path *path, struct smtp_params *params)
{
	size_t used;
	int rc, flags;

	if (verb == SMTP_CMD_MAIL)
		flags = SMTP_PATH_REVERSE | SMTP_PATH_UTF8;
	else if (verb == SMTP_CMD_RCPT)
		flags = SMTP_PATH_FORWARD | (utf8 ? SMTP_PATH_UTF8 : 0);
	else
		return SMTP_PARSE_SYNTAX;
	rc = smtp_path_parse(arg, len, flags, path, &used);
	if (rc != SMTP_PARSE_OK) {
		memset(params, 0, sizeof(*params));
		params->size = -1;
		return rc;
	}
	rc = smtp_params_parse(arg + used, len - used, verb,
	    verb == SMTP_CMD_MAIL || utf8, params);
	if (rc != SMTP_PARSE_OK && rc != SMTP_PARSE_PARAM)
		return rc;
	/* RFC 6531 §3.4: a UTF-8 reverse-path (or UTF-8 in a parameter
	   value, §3.3) needs SMTPUTF8 on the same MAIL. */
	if (verb == SMTP_CMD_MAIL && !params->smtputf8 &&
	    (path->utf8 || has_high(arg + used, len - used)))
		return SMTP_PARSE_UTF8;
	return rc;
}

int
smtp_bdat_parse(const char *arg, size_t len, long long *size, int *last)
{
	size_t i;
	long long v = 0;

	*size = 0;
	*last = 0;
	/* RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [SP end-marker];
	   chunk-size = 1*DIGIT; end-marker = "LAST". */
	for (i = 0; i < len && isdigit_c((unsigned char)arg[i]); i++) {
		v = v * 10 + (arg[i] - '0');
		if (v > SMTP_BDAT_MAX)
			return SMTP_PARSE_SYNTAX;
	}
	if (i == 0)
		return SMTP_PARSE_SYNTAX;
	if (i < len) {
		if (arg[i] != ' ' ||
		    !keyword_is(arg + i + 1, len - i - 1, "LAST"))
			return SMTP_PARSE_SYNTAX;
		*last = 1;
	}
	*size = v;
	return SMTP_PARSE_OK;
}

void
smtp_parse_reply(
    int rc, enum smtp_verb verb, int *code, const char **enh, const char **text)
{
	int rcpt = verb == SMTP_CMD_RCPT;

	switch (rc) {
	case SMTP_PARSE_OK:
		*code = 250;
		*enh = "2.0.0";
		*text = "OK";
		break;
	case SMTP_PARSE_UNKNOWN:
		*code = 500;
		*enh = "5.5.1";
		*text = "Command unrecognized";
		break;
	case SMTP_PARSE_ADDR:
		/* RFC 3463 §3.2: X.1.3 destination, X.1.7 sender syntax. */
		*code = 501;
		*enh = rcpt ? "5.1.3" : "5.1.7";
		*text = rcpt ? "Bad recipient address syntax"
			     : "Bad sender address syntax";
		break;
	case SMTP_PARSE_PATHLONG:
		/* RFC 5321 §4.5.3.1.10: "501 Path too long". */
		*code = 501;
		*enh = rcpt ? "5.1.3" : "5.1.7";
		*text = "Path too long";
		break;
	case SMTP_PARSE_UTF8:
		/* RFC 6531 §3.7.4.1 (and RFC 6531 §3.5). */
		*code = 553;
		*enh = "5.6.7";
		*text = "Non-ASCII address needs SMTPUTF8";
		break;
	case SMTP_PARSE_PARAM:
		/* RFC 5321 §4.1.1.11. */
		*code = 555;
		*enh = "5.5.4";
		*text = rcpt ? "RCPT TO parameter not recognized"
			     : "MAIL FROM parameter not recognized";
		break;
	case SMTP_PARSE_VALUE:
		*code = 501;
		*enh = "5.5.4";
		*text = "Invalid parameter value";
		break;
	case SMTP_PARSE_MANY:
		*code = 501;
		*enh = "5.5.4";
		*text = "Too many or repeated parameters";
		break;
	default:
		*code = 501;
		*enh = "5.5.2";
		*text = "Syntax error in parameters or arguments";
		break;
	}
}

int
smtp_reply_send(struct io *io, int code, const char *enh, const char *fmt, ...)
{
	struct buf text;
	va_list ap;
	size_t start = io->wbuf.len, s, e, room, pre;
	const char *t;
	int rc, last;

	if (code < 200 || code > 599) {
		util_seterr(
		    io->err, sizeof(io->err), "bad reply code %d", code);
		return -1;
	}
	if (enh != NULL && enh[0] == '\0')
		enh = NULL;
	buf_init(&text, SMTP_REPLY_LINES_MAX * SMTP_REPLY_LINE_MAX);
	va_start(ap, fmt);
	rc = buf_vprintf(&text, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		buf_free(&text);
		util_seterr(
		    io->err, sizeof(io->err), "reply: %s", strerror(errno));
		return -1;
	}
	t = buf_cstr(&text);
	/* One trailing newline is not an empty last line. */
	e = text.len;
	if (e > 0 && t[e - 1] == '\n')
		e--;
	if (memchr(t, '\r', text.len) != NULL ||
	    memchr(t, '\0', text.len) != NULL) {
		buf_free(&text);
		util_seterr(io->err, sizeof(io->err),
		    "refusing to send a reply with CR or NUL in it");
		return -1;
	}
	/* §4.5.3.1.5: 512 octets with CRLF: "ddd-" + enh + " " + text. */
	pre = 4 + (enh != NULL ? strlen(enh) + 1 : 0);
	room =
	    SMTP_REPLY_LINE_MAX - 2 > pre ? SMTP_REPLY_LINE_MAX - 2 - pre : 0;
	s = 0;
	do {
		const char *nl = memchr(t + s, '\n', e - s);
		size_t ll = nl != NULL ? (size_t)(nl - (t + s)) : e - s;

		last = nl == NULL;
		rc = io_line(io, "%03d%c%s%s%.*s", code, last ? ' ' : '-',
		    enh != NULL ? enh : "", enh != NULL ? " " : "",
		    (int)(ll < room ? ll : room), t + s);
		if (rc == -1) {
			buf_truncate(&io->wbuf, start);
			buf_free(&text);
			return -1;
		}
		s += ll + 1;
	} while (!last);
	buf_free(&text);
	return 0;
}
