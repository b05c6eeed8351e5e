/*
 * pop3.c: POP3 command parsing, response lines, the RETR/TOP encoder,
 * unique-ids, and the client-side status and listing parsers.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pop3.h"
#include "util.h"

/* Argument counts each verb takes: min, max. */
static const struct {
	const char *kw;
	enum pop3_verb verb;
	int min, max;
} verbs[] = {
    {"USER", POP3_CMD_USER, 1, 1},
    {"PASS", POP3_CMD_PASS, 1, 1},
    {"APOP", POP3_CMD_APOP, 2, 2},
    {"STAT", POP3_CMD_STAT, 0, 0},
    {"LIST", POP3_CMD_LIST, 0, 1},
    {"RETR", POP3_CMD_RETR, 1, 1},
    {"DELE", POP3_CMD_DELE, 1, 1},
    {"NOOP", POP3_CMD_NOOP, 0, 0},
    {"RSET", POP3_CMD_RSET, 0, 0},
    {"QUIT", POP3_CMD_QUIT, 0, 0},
    {"TOP", POP3_CMD_TOP, 2, 2},
    {"UIDL", POP3_CMD_UIDL, 0, 1},
    {"CAPA", POP3_CMD_CAPA, 0, 0},
    {"STLS", POP3_CMD_STLS, 0, 0},
    {"AUTH", POP3_CMD_AUTH, 0, 2},
};

static int
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int
pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *cmd)
{
	size_t i, k, j;
	int v = -1, utf8;

	memset(cmd, 0, sizeof(*cmd));
	cmd->rest = line + len;
	/* RFC 2449 §4: 255 octets with the CRLF. */
	if (len > POP3_CMD_LINE_MAX - 2)
		return POP3_PARSE_TOOLONG;
	for (k = 0; k < len && line[k] != ' '; k++)
		if (!is_alpha((unsigned char)line[k]))
			break;
	if (k < len && line[k] != ' ') {
		/* A keyword character that is not a letter. */
		unsigned char c = (unsigned char)line[k];

		return c < 0x20 || c == 0x7f ? POP3_PARSE_CHAR
					     : POP3_PARSE_KEYWORD;
	}
	/* RFC 1939 §3: keywords are three or four characters long. */
	if (k < 3 || k > POP3_KEYWORD_MAX)
		return POP3_PARSE_KEYWORD;
	for (i = 0; i < k; i++) {
		char c = line[i];

		cmd->keyword[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
	}
	cmd->keyword[k] = '\0';
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].kw, cmd->keyword) == 0) {
			v = (int)i;
			break;
		}
	if (v == -1)
		return POP3_PARSE_UNKNOWN;
	cmd->verb = verbs[v].verb;
	if (k < len) {
		cmd->rest = line + k + 1;
		cmd->restlen = len - k - 1;
	}
	/* Printable ASCII (RFC 1939 §3); UTF-8 only in names and
	   passwords, which real clients send. */
	utf8 = cmd->verb == POP3_CMD_USER || cmd->verb == POP3_CMD_PASS;
	for (i = 0; i < cmd->restlen; i++) {
		unsigned char c = (unsigned char)cmd->rest[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			return POP3_PARSE_CHAR;
	}
	if (cmd->verb == POP3_CMD_USER || cmd->verb == POP3_CMD_PASS) {
		size_t n = cmd->restlen;

		/* The whole rest is the one argument; trailing spaces are
		   dropped from a user name, kept in a password. */
		if (cmd->verb == POP3_CMD_USER)
			while (n > 0 && cmd->rest[n - 1] == ' ')
				n--;
		if (n == 0 ||
		    (cmd->verb == POP3_CMD_USER &&
			memchr(cmd->rest, ' ', n) != NULL))
			return POP3_PARSE_NARGS;
		cmd->nargs = 1;
		cmd->arg[0] = cmd->rest;
		cmd->arglen[0] = n;
		return POP3_PARSE_OK;
	}
	for (i = 0; i < cmd->restlen;) {
		if (cmd->rest[i] == ' ') {
			i++;
			continue;
		}
		for (j = i; j < cmd->restlen && cmd->rest[j] != ' '; j++)
			;
		if (cmd->nargs == POP3_ARGS_MAX)
			return POP3_PARSE_NARGS;
		/* AUTH's initial response is bounded by the line only
		   (RFC 5034 §4). */
		if (j - i > POP3_ARG_MAX && cmd->verb != POP3_CMD_AUTH)
			return POP3_PARSE_ARGLEN;
		cmd->arg[cmd->nargs] = cmd->rest + i;
		cmd->arglen[cmd->nargs] = j - i;
		cmd->nargs++;
		i = j;
	}
	if (cmd->nargs < verbs[v].min || cmd->nargs > verbs[v].max)
		return POP3_PARSE_NARGS;
	return POP3_PARSE_OK;
}

const char *
pop3_parse_text(int rc)
{
	switch (rc) {
	case POP3_PARSE_OK: return "OK";
	case POP3_PARSE_UNKNOWN: return "unknown command";
	case POP3_PARSE_KEYWORD: return "malformed command";
	case POP3_PARSE_CHAR: return "invalid character in command";
	case POP3_PARSE_ARGLEN: return "argument too long";
	case POP3_PARSE_NARGS: return "wrong number of arguments";
	case POP3_PARSE_TOOLONG: return "line too long";
	default: return "syntax error";
	}
}

int
pop3_num_parse(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *const code_names[] = {
    "", "AUTH", "IN-USE", "SYS/TEMP", "SYS/PERM", "LOGIN-DELAY"};

const char *
pop3_code_name(enum pop3_code code)
{
	if ((unsigned)code >= sizeof(code_names) / sizeof(code_names[0]))
		return "";
	return code_names[code];
}

size_t
pop3_resp_format(
    char *out, size_t outlen, int ok, enum pop3_code code, const char *fmt, ...)
{
	char text[POP3_RESP_LINE_MAX];
	va_list ap;
	size_t n, i, max;
	int r;

	if (outlen == 0)
		return 0;
	va_start(ap, fmt);
	r = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (r < 0)
		text[0] = '\0';
	if (ok)
		r = snprintf(out, outlen, "+OK");
	else if (code != POP3_CODE_NONE)
		r = snprintf(out, outlen, "-ERR [%s]", pop3_code_name(code));
	else
		r = snprintf(out, outlen, "-ERR");
	n = r < 0 ? 0 : (size_t)r >= outlen ? outlen - 1 : (size_t)r;
	/* RFC 2449 §4: 512 octets with the CRLF. */
	max = outlen - 1 < POP3_RESP_LINE_MAX - 2 ? outlen - 1
						  : POP3_RESP_LINE_MAX - 2;
	if (text[0] != '\0' && n < max)
		out[n++] = ' ';
	for (i = 0; text[i] != '\0' && n < max; i++) {
		unsigned char c = (unsigned char)text[i];

		out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
	return n;
}

/* ---------------------------------------------------------------- encoder */

void
pop3_enc_init(struct pop3_enc *e, long long top)
{
	memset(e, 0, sizeof(*e));
	e->top = top;
	e->bol = 1;
}

/* A line ended (its CRLF is out). */
static void
end_line(struct pop3_enc *e)
{
	e->octets += 2;
	e->bol = 1;
	if (!e->in_body) {
		/* RFC 1939 §7 TOP: the header ends at the first empty line,
		   which is sent; then n lines of the body. */
		if (e->linelen == 0) {
			e->in_body = 1;
			if (e->top == 0)
				e->done = 1;
		}
	} else if (e->top > 0 && --e->top == 0)
		e->done = 1;
	e->linelen = 0;
}

int
pop3_enc_chunk(struct pop3_enc *e, const char *p, size_t n, struct buf *out)
{
	size_t i = 0, j;

	while (i < n && !e->done) {
		char c = p[i];

		if (e->cr) {
			/* A CR ended the previous byte run. */
			e->cr = 0;
			if (c == '\n') {
				if (buf_append(out, "\r\n", 2) == -1)
					return -1;
				i++;
				end_line(e);
				continue;
			}
			/* A bare CR is passed on as it is. */
			if (buf_putc(out, '\r') == -1)
				return -1;
			e->octets++;
			e->bol = 0;
			e->linelen = 1;
			continue;
		}
		if (c == '\r') {
			e->cr = 1;
			i++;
			continue;
		}
		if (c == '\n') {
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
			i++;
			end_line(e);
			continue;
		}
		/* RFC 1939 §3: a line that starts with "." is byte-stuffed. */
		if (e->bol && c == '.' && buf_putc(out, '.') == -1)
			return -1;
		for (j = i; j < n && p[j] != '\r' && p[j] != '\n'; j++)
			;
		if (buf_append(out, p + i, j - i) == -1)
			return -1;
		e->octets += (long long)(j - i);
		e->bol = 0;
		e->linelen = 1;
		i = j;
	}
	return 0;
}

int
pop3_enc_end(struct pop3_enc *e, struct buf *out)
{
	if (e->cr && !e->done) {
		if (buf_putc(out, '\r') == -1)
			return -1;
		e->octets++;
		e->bol = 0;
	}
	e->cr = 0;
	/* The terminator must start a line: end an unterminated last
	   line first (not part of the message octets). */
	if (!e->bol && buf_append(out, "\r\n", 2) == -1)
		return -1;
	e->bol = 1;
	return buf_append(out, ".\r\n", 3);
}

/* ---------------------------------------------------------------- UIDL */

int
pop3_uidl_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > POP3_UIDL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

void
pop3_uidl_make(uint32_t uidvalidity, uint32_t uid, char *out, size_t outlen)
{
	snprintf(out, outlen, "%08x%08x", (unsigned)uidvalidity, (unsigned)uid);
}

/* ---------------------------------------------------------------- client */

/* RFC 2449 §8: rchar = %x21-2E / %x30-5C / %x5E-7F. */
static int
is_rchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7f && c != '/' && c != ']';
}

/* A resp-code at s: its length through "]", or 0 when malformed. */
static size_t
resp_code_len(const char *s, size_t len)
{
	size_t i, level = 0;

	if (len < 3 || s[0] != '[')
		return 0;
	for (i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ']')
			return level > 0 ? i + 1 : 0;
		if (c == '/') {
			if (level == 0)
				return 0;
			level = 0;
		} else if (is_rchar(c))
			level++;
		else
			return 0;
	}
	return 0;
}

int
pop3_resp_parse(const char *line, size_t len, struct pop3_resp *r)
{
	size_t off, cl, i;

	memset(r, 0, sizeof(*r));
	if (len >= 3 && util_casecmp_n(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' ')) {
		r->kind = POP3_RESP_OK;
		off = 3;
	} else if (len >= 4 && util_casecmp_n(line, "-ERR", 4) == 0 &&
	    (len == 4 || line[4] == ' ')) {
		r->kind = POP3_RESP_ERR;
		off = 4;
	} else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		r->kind = POP3_RESP_CONT;
		off = 1;
	} else
		return -1;
	if (off < len)
		off++; /* the space */
	r->text = line + off;
	r->textlen = len - off;
	if (r->kind == POP3_RESP_CONT)
		return 0;
	if ((cl = resp_code_len(r->text, r->textlen)) > 0 &&
	    cl - 2 < sizeof(r->code)) {
		memcpy(r->code, r->text + 1, cl - 2);
		r->code[cl - 2] = '\0';
		for (i = 1; i < sizeof(code_names) / sizeof(code_names[0]); i++)
			if (strlen(code_names[i]) == cl - 2 &&
			    util_casecmp_n(r->code, code_names[i], cl - 2) == 0)
				r->known = (enum pop3_code)i;
		r->text += cl;
		r->textlen -= cl;
		if (r->textlen > 0 && r->text[0] == ' ') {
			r->text++;
			r->textlen--;
		}
	}
	return 0;
}

/* Digits at s[*i]: up to max digits into *v.  0 or -1. */
static int
digits(const char *s, size_t len, size_t *i, size_t maxd, long long *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (*i - start == maxd)
			return -1;
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
	}
	return *i > start ? 0 : -1;
}

static void
spaces(const char *s, size_t len, size_t *i)
{
	while (*i < len && s[*i] == ' ')
		(*i)++;
}

/* "a b[ anything]": two numbers.  RFC 1939 §5 puts no rule on what may
   follow the second in a scan listing. */
static int
two_numbers(const char *line, size_t len, long long *a, long long *b)
{
	size_t i = 0;

	spaces(line, len, &i);
	if (digits(line, len, &i, 10, a) == -1 || i == len || line[i] != ' ')
		return -1;
	spaces(line, len, &i);
	/* 18 digits: every size fits a long long. */
	if (digits(line, len, &i, 18, b) == -1)
		return -1;
	if (i < len && line[i] != ' ')
		return -1;
	return 0;
}

int
pop3_list_line_parse(
    const char *line, size_t len, unsigned long *msg, long long *size)
{
	long long a, b;

	if (two_numbers(line, len, &a, &b) == -1 || a == 0)
		return -1;
	*msg = (unsigned long)a;
	*size = b;
	return 0;
}

int
pop3_stat_parse(
    const char *line, size_t len, unsigned long *count, long long *size)
{
	long long a, b;

	if (two_numbers(line, len, &a, &b) == -1)
		return -1;
	*count = (unsigned long)a;
	*size = b;
	return 0;
}

int
pop3_uidl_line_parse(
    const char *line, size_t len, unsigned long *msg, char *uid, size_t uidlen)
{
	size_t i = 0, start, end;
	long long a;

	spaces(line, len, &i);
	if (digits(line, len, &i, 10, &a) == -1 || a == 0 || i == len ||
	    line[i] != ' ')
		return -1;
	spaces(line, len, &i);
	start = i;
	while (i < len && line[i] != ' ')
		i++;
	end = i;
	spaces(line, len, &i);
	if (i != len || !pop3_uidl_valid(line + start, end - start) ||
	    end - start >= uidlen)
		return -1;
	memcpy(uid, line + start, end - start);
	uid[end - start] = '\0';
	*msg = (unsigned long)a;
	return 0;
}

int
pop3_multiline_end(const char *line, size_t len, int *skip)
{
	*skip = 0;
	if (len == 1 && line[0] == '.')
		return 1;
	*skip = len > 0 && line[0] == '.';
	return 0;
}
