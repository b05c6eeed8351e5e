/*
 * smtp_test: reply lines, multi-line replies, enhanced status codes,
 * replies read over io, EHLO capabilities, dot-stuffing; server side:
 * commands, paths, ESMTP parameters, the reply writer.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "io.h"
#include "smtp.h"
#include "util.h"

struct pl_case {
	const char *in;
	int rc;
	int code;
	int last;
	const char *text;
};

static const struct pl_case pl_cases[] = {
    {"250 OK", 0, 250, 1, "OK"},
    {"250-SIZE 1000", 0, 250, 0, "SIZE 1000"},
    {"250", 0, 250, 1, ""},
    {"250 ", 0, 250, 1, ""},
    {"550-", 0, 550, 0, ""},
    {"421 4.3.2 Shutting down", 0, 421, 1, "4.3.2 Shutting down"},
    {"354 End data with <CR><LF>.<CR><LF>", 0, 354, 1,
	"End data with <CR><LF>.<CR><LF>"},
    {"599 x", 0, 599, 1, "x"},
    {"", -1, 0, 0, NULL},
    {"2", -1, 0, 0, NULL},
    {"25", -1, 0, 0, NULL},
    {"2500 x", -1, 0, 0, NULL},
    {"250x", -1, 0, 0, NULL},
    {"250\tok", -1, 0, 0, NULL},
    {"150 x", -1, 0, 0, NULL},
    {"650 x", -1, 0, 0, NULL},
    {"050 x", -1, 0, 0, NULL},
    {"abc", -1, 0, 0, NULL},
    {"25a ok", -1, 0, 0, NULL},
    {"2a0 ok", -1, 0, 0, NULL},
    {" 250 ok", -1, 0, 0, NULL},
    {"HTTP/1.1 400 Bad Request", -1, 0, 0, NULL},
};

ATF_TC_WITHOUT_HEAD(parse_line);
ATF_TC_BODY(parse_line, tc)
{
	struct smtp_reply_line l;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(pl_cases) / sizeof(pl_cases[0]); i++) {
		const struct pl_case *c = &pl_cases[i];

		memset(&l, 0, sizeof(l));
		rc = smtp_reply_parse_line(c->in, strlen(c->in), &l);
		ATF_CHECK_MSG(rc == c->rc, "\"%s\": rc %d", c->in, rc);
		if (rc != 0 || c->rc != 0)
			continue;
		ATF_CHECK_MSG(
		    l.code == c->code, "\"%s\": code %d", c->in, l.code);
		ATF_CHECK_MSG(
		    l.last == c->last, "\"%s\": last %d", c->in, l.last);
		ATF_CHECK_MSG(l.textlen == strlen(c->text) &&
			memcmp(l.text, c->text, l.textlen) == 0,
		    "\"%s\": text \"%.*s\"", c->in, (int)l.textlen, l.text);
	}
}

/* The length is what counts: no reading past it, NULs are data. */
ATF_TC_WITHOUT_HEAD(parse_line_bounded);
ATF_TC_BODY(parse_line_bounded, tc)
{
	struct smtp_reply_line l;
	char *p;

	ATF_REQUIRE((p = malloc(3)) != NULL);
	memcpy(p, "250", 3); /* no NUL after it */
	ATF_CHECK_EQ(smtp_reply_parse_line(p, 3, &l), 0);
	ATF_CHECK_EQ(l.last, 1);
	ATF_CHECK_EQ(smtp_reply_parse_line(p, 2, &l), -1);
	free(p);
	ATF_CHECK_EQ(smtp_reply_parse_line("250 a\0b", 7, &l), 0);
	ATF_CHECK_EQ(l.textlen, 3);
}

static int
add(struct smtp_reply *r, const char *line)
{
	struct smtp_reply_line l;

	if (smtp_reply_parse_line(line, strlen(line), &l) == -1)
		return -2;
	return smtp_reply_add(r, &l);
}

ATF_TC_WITHOUT_HEAD(multiline);
ATF_TC_BODY(multiline, tc)
{
	struct smtp_reply r;
	char s[256];

	smtp_reply_init(&r);
	ATF_CHECK_EQ(add(&r, "250-mx.example.org Hello"), 0);
	ATF_CHECK_EQ(add(&r, "250-PIPELINING"), 0);
	ATF_CHECK_EQ(add(&r, "250 8BITMIME"), 1);
	ATF_CHECK_EQ(r.code, 250);
	ATF_CHECK_EQ(r.nlines, 3);
	ATF_CHECK_STREQ(smtp_reply_text(&r, 0), "mx.example.org Hello");
	ATF_CHECK_STREQ(smtp_reply_text(&r, 1), "PIPELINING");
	ATF_CHECK_STREQ(smtp_reply_text(&r, 2), "8BITMIME");
	ATF_CHECK_STREQ(smtp_reply_text(&r, 3), "");
	ATF_CHECK_STREQ(smtp_reply_text(&r, -1), "");
	ATF_CHECK_STREQ(r.enh, "");
	smtp_reply_str(&r, s, sizeof(s));
	ATF_CHECK_STREQ(s, "250 mx.example.org Hello PIPELINING 8BITMIME");
	smtp_reply_free(&r);
}

ATF_TC_WITHOUT_HEAD(multiline_code_mismatch);
ATF_TC_BODY(multiline_code_mismatch, tc)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	ATF_CHECK_EQ(add(&r, "250-first"), 0);
	ATF_CHECK_EQ(add(&r, "251 second"), -1);
	ATF_CHECK_EQ(add(&r, "550-third"), -1);
	ATF_CHECK_EQ(r.nlines, 1);
	smtp_reply_free(&r);
}

ATF_TC_WITHOUT_HEAD(multiline_too_many);
ATF_TC_BODY(multiline_too_many, tc)
{
	struct smtp_reply r;
	int i;

	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		ATF_REQUIRE_EQ(add(&r, "250-x"), 0);
	ATF_CHECK_EQ(add(&r, "250 last"), -1);
	ATF_CHECK_EQ(r.nlines, SMTP_REPLY_LINES_MAX);
	smtp_reply_free(&r);
}

struct enh_case {
	const char *line;
	const char *enh;
};

static const struct enh_case enh_cases[] = {
    {"250 2.1.0 Ok", "2.1.0"},
    {"550 5.1.1 <x@example.org>: Recipient address rejected", "5.1.1"},
    {"450 4.7.1 Greylisted, try again", "4.7.1"},
    {"250 2.0.0", "2.0.0"},
    {"250 2.100.100 big but legal", "2.100.100"},
    {"250 2.012.003 leading zeros", "2.012.003"},
    {"550 2.1.1 wrong class", ""},
    {"250 5.1.1 wrong class", ""},
    {"354 3.0.0 class 3 does not exist", ""},
    {"250 2.1000.0 subject too long", ""},
    {"250 2.1.1000 detail too long", ""},
    {"250 2.1.0x glued", ""},
    {"250 2..0 empty subject", ""},
    {"250 2.1. empty detail", ""},
    {"250 2.1 two parts", ""},
    {"250 2.1", ""},
    {"250 2", ""},
    {"250 Ok", ""},
    {"250", ""},
    {"250 .2.1.0", ""},
    {"250 22.1.0 x", ""},
};

ATF_TC_WITHOUT_HEAD(enhanced_codes);
ATF_TC_BODY(enhanced_codes, tc)
{
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(enh_cases) / sizeof(enh_cases[0]); i++) {
		smtp_reply_init(&r);
		ATF_CHECK_EQ(add(&r, enh_cases[i].line), 1);
		ATF_CHECK_MSG(strcmp(r.enh, enh_cases[i].enh) == 0,
		    "\"%s\": enh \"%s\", want \"%s\"", enh_cases[i].line, r.enh,
		    enh_cases[i].enh);
		smtp_reply_free(&r);
	}
	/* Only the first line's code counts. */
	smtp_reply_init(&r);
	ATF_CHECK_EQ(add(&r, "250-mx.example.org"), 0);
	ATF_CHECK_EQ(add(&r, "250 2.0.0 Ok"), 1);
	ATF_CHECK_STREQ(r.enh, "");
	smtp_reply_free(&r);
}

ATF_TC_WITHOUT_HEAD(reply_str);
ATF_TC_BODY(reply_str, tc)
{
	struct smtp_reply r;
	char s[512], small[12];

	smtp_reply_init(&r);
	ATF_CHECK_EQ(add(&r,
			 "550-5.1.1 The email account that you tried to "
			 "reach does not exist."),
	    0);
	ATF_CHECK_EQ(add(&r, "550-5.1.1 Please try double-checking."), 0);
	ATF_CHECK_EQ(add(&r, "550 5.1.1 x12si gsmtp"), 1);
	ATF_CHECK_STREQ(r.enh, "5.1.1");
	smtp_reply_str(&r, s, sizeof(s));
	ATF_CHECK_STREQ(s,
	    "550 5.1.1 The email account that you tried to "
	    "reach does not exist. Please try double-checking. x12si gsmtp");
	smtp_reply_str(&r, small, sizeof(small));
	ATF_CHECK_STREQ(small, "550 5.1.1 T");
	smtp_reply_free(&r);
	/* Control bytes from the peer are not passed to a terminal. */
	smtp_reply_init(&r);
	ATF_CHECK_EQ(add(&r, "554 bad\033[31m"), 1);
	smtp_reply_str(&r, s, sizeof(s));
	ATF_CHECK_STREQ(s, "554 bad?[31m");
	smtp_reply_free(&r);
	smtp_reply_init(&r);
	smtp_reply_str(&r, s, sizeof(s));
	ATF_CHECK_STREQ(s, "(no reply)");
	smtp_reply_free(&r);
}

/* Feed text through a pipe and read replies from it. */
static void
pipe_io(struct io *io, int fds[2], const char *text, size_t len)
{
	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE(write(fds[1], text, len) == (ssize_t)len);
	(void)close(fds[1]);
	io_init(io, fds[0], -1, 2000);
}

ATF_TC_WITHOUT_HEAD(read_reply);
ATF_TC_BODY(read_reply, tc)
{
	static const char in[] = "220 mx.example.org ESMTP\r\n"
				 "250-mx.example.org\r\n"
				 "250-SIZE 1000\r\n"
				 "250 2.0.0 HELP\n" /* bare LF: tolerated */
				 "354 go\r\n"
				 "250-a\r\n"; /* cut off */
	struct smtp_reply r;
	struct io io;
	char err[ERR_MAX];
	int fds[2];

	pipe_io(&io, fds, in, sizeof(in) - 1);
	smtp_reply_init(&r);
	ATF_REQUIRE_MSG(
	    smtp_read_reply(&io, &r, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(r.code, 220);
	ATF_CHECK_EQ(r.nlines, 1);
	ATF_REQUIRE_MSG(
	    smtp_read_reply(&io, &r, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(r.code, 250);
	ATF_CHECK_EQ(r.nlines, 3);
	ATF_CHECK_STREQ(smtp_reply_text(&r, 1), "SIZE 1000");
	ATF_CHECK_STREQ(r.enh, "");
	ATF_REQUIRE(smtp_read_reply(&io, &r, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(r.code, 354);
	ATF_CHECK_EQ(r.nlines, 1); /* reset between replies */
	ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "connection closed in the middle of a reply");
	ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "connection closed");
	smtp_reply_free(&r);
	io_close(&io);
	(void)close(fds[0]);
}

struct bad_case {
	const char *in;
	const char *err;
};

static const struct bad_case bad_cases[] = {
    {"250-a\r\n251 b\r\n",
	"malformed reply: code changed from 250 to "
	"251 within a multi-line reply"},
    {"hello\r\n", "malformed reply: \"hello\""},
    {"250-a\r\nbad\033\r\n", "malformed reply: \"bad?\""},
    {"250 cut", "connection closed in the middle of a reply line"},
    {"", "connection closed"},
};

ATF_TC_WITHOUT_HEAD(read_reply_bad);
ATF_TC_BODY(read_reply_bad, tc)
{
	struct smtp_reply r;
	struct io io;
	char err[ERR_MAX];
	size_t i;
	int fds[2];

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		pipe_io(&io, fds, bad_cases[i].in, strlen(bad_cases[i].in));
		smtp_reply_init(&r);
		ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), -1);
		ATF_CHECK_MSG(strcmp(err, bad_cases[i].err) == 0,
		    "case %zu: \"%s\"", i, err);
		smtp_reply_free(&r);
		io_close(&io);
		(void)close(fds[0]);
	}
}

/* Lines past 512 are tolerated up to the read bound, and no further. */
ATF_TC_WITHOUT_HEAD(read_reply_long_lines);
ATF_TC_BODY(read_reply_long_lines, tc)
{
	struct smtp_reply r;
	struct io io;
	char err[ERR_MAX];
	char *in;
	size_t n;
	int fds[2], i;

	ATF_REQUIRE((in = malloc(3 * SMTP_REPLY_LINE_READ_MAX)) != NULL);
	/* 2000-byte line: accepted. */
	memcpy(in, "550 ", 4);
	memset(in + 4, 'x', 1996);
	memcpy(in + 2000, "\r\n", 2);
	pipe_io(&io, fds, in, 2002);
	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), 0);
	ATF_CHECK_EQ(strlen(smtp_reply_text(&r, 0)), 1996);
	io_close(&io);
	(void)close(fds[0]);
	/* One byte over the bound: refused. */
	n = SMTP_REPLY_LINE_READ_MAX + 1;
	memcpy(in, "550 ", 4);
	memset(in + 4, 'x', n - 4);
	memcpy(in + n, "\r\n", 2);
	pipe_io(&io, fds, in, n + 2);
	ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "line longer than") != NULL, "%s", err);
	io_close(&io);
	(void)close(fds[0]);
	/* Too many lines. */
	for (i = 0, n = 0; i <= SMTP_REPLY_LINES_MAX; i++) {
		memcpy(in + n, "250-x\r\n", 7);
		n += 7;
	}
	pipe_io(&io, fds, in, n);
	ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "more than") != NULL, "%s", err);
	io_close(&io);
	(void)close(fds[0]);
	smtp_reply_free(&r);
	free(in);
}

ATF_TC_WITHOUT_HEAD(read_reply_timeout);
ATF_TC_BODY(read_reply_timeout, tc)
{
	struct smtp_reply r;
	struct io io;
	char err[ERR_MAX];
	int fds[2];

	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE(write(fds[1], "250-first\r\n", 11) == 11);
	io_init(&io, fds[0], -1, 200);
	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_read_reply(&io, &r, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "timed out waiting for a reply");
	smtp_reply_free(&r);
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

static void
ehlo_from(const char *text, struct smtp_ehlo *e)
{
	struct smtp_reply r;
	struct io io;
	char err[ERR_MAX];
	int fds[2];

	pipe_io(&io, fds, text, strlen(text));
	smtp_reply_init(&r);
	ATF_REQUIRE_MSG(
	    smtp_read_reply(&io, &r, err, sizeof(err)) == 0, "%s", err);
	smtp_ehlo_parse(&r, e);
	smtp_reply_free(&r);
	io_close(&io);
	(void)close(fds[0]);
}

ATF_TC_WITHOUT_HEAD(ehlo_postfix);
ATF_TC_BODY(ehlo_postfix, tc)
{
	struct smtp_ehlo e;

	ehlo_from("250-mx.example.org\r\n"
		  "250-PIPELINING\r\n"
		  "250-SIZE 10240000\r\n"
		  "250-VRFY\r\n"
		  "250-ETRN\r\n"
		  "250-STARTTLS\r\n"
		  "250-AUTH PLAIN LOGIN\r\n"
		  "250-AUTH=PLAIN LOGIN\r\n"
		  "250-ENHANCEDSTATUSCODES\r\n"
		  "250-8BITMIME\r\n"
		  "250-DSN\r\n"
		  "250-SMTPUTF8\r\n"
		  "250 CHUNKING\r\n",
	    &e);
	ATF_CHECK_EQ(e.pipelining, 1);
	ATF_CHECK_EQ(e.size, 1);
	ATF_CHECK_EQ(e.size_max, 10240000);
	ATF_CHECK_EQ(e.starttls, 1);
	ATF_CHECK_STREQ(e.auth, "PLAIN LOGIN");
	ATF_CHECK_EQ(e.enhancedstatuscodes, 1);
	ATF_CHECK_EQ(e.eightbitmime, 1);
	ATF_CHECK_EQ(e.dsn, 1);
	ATF_CHECK_EQ(e.smtputf8, 1);
	ATF_CHECK_EQ(e.chunking, 1);
	ATF_CHECK(smtp_ehlo_has_auth(&e, "PLAIN"));
	ATF_CHECK(smtp_ehlo_has_auth(&e, "login"));
	ATF_CHECK(!smtp_ehlo_has_auth(&e, "PLAI"));
	ATF_CHECK(!smtp_ehlo_has_auth(&e, "CRAM-MD5"));
	ATF_CHECK(!smtp_ehlo_has_auth(&e, ""));
}

ATF_TC_WITHOUT_HEAD(ehlo_variants);
ATF_TC_BODY(ehlo_variants, tc)
{
	struct smtp_ehlo e;

	/* Lower case, old AUTH= only, SIZE without a number. */
	ehlo_from("250-host says hi\r\n"
		  "250-starttls\r\n"
		  "250-size\r\n"
		  "250 auth=cram-md5 xoauth2\r\n",
	    &e);
	ATF_CHECK_EQ(e.starttls, 1);
	ATF_CHECK_EQ(e.size, 1);
	ATF_CHECK_EQ(e.size_max, 0);
	ATF_CHECK_STREQ(e.auth, "CRAM-MD5 XOAUTH2");
	ATF_CHECK_EQ(e.pipelining, 0);
	/* Look-alikes are not the keywords; the greeting is not parsed. */
	ehlo_from("250-STARTTLS\r\n"
		  "250-STARTTLSX\r\n"
		  "250-SIZEX 100\r\n"
		  "250-SIZE junk\r\n"
		  "250 AUTH PL@IN TOOLONGMECHANISMNAMEXXX GSSAPI\r\n",
	    &e);
	ATF_CHECK_EQ(e.starttls, 0);
	ATF_CHECK_EQ(e.size, 1);
	ATF_CHECK_EQ(e.size_max, 0);
	ATF_CHECK_STREQ(e.auth, "GSSAPI");
	/* Only a 250 counts. */
	ehlo_from("502-mx\r\n502 STARTTLS\r\n", &e);
	ATF_CHECK_EQ(e.starttls, 0);
	/* A single-line EHLO reply: no extensions. */
	ehlo_from("250 mx.example.org\r\n", &e);
	ATF_CHECK_EQ(e.starttls + e.size + e.pipelining + e.chunking, 0);
	ATF_CHECK_STREQ(e.auth, "");
}

ATF_TC_WITHOUT_HEAD(dotstuff);
ATF_TC_BODY(dotstuff, tc)
{
	static const char *lines[] = {
	    "hello", ".", "..x", "", ".hidden", "a.b"};
	struct io io;
	char b[256];
	ssize_t n;
	size_t i;
	int fds[2];

	ATF_REQUIRE(pipe(fds) == 0);
	io_init(&io, -1, fds[1], 2000);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ATF_CHECK_EQ(
		    smtp_dotstuff_line(&io, lines[i], strlen(lines[i])), 0);
	ATF_CHECK_EQ(smtp_dotstuff_line(&io, "x\r\n.\r\ny", 8), -1);
	ATF_CHECK_EQ(smtp_dotstuff_line(&io, "x\n.", 3), -1);
	ATF_CHECK_EQ(smtp_dotstuff_end(&io), 0);
	ATF_CHECK_EQ(io_flush(&io), 0);
	n = read(fds[0], b, sizeof(b) - 1);
	ATF_REQUIRE(n >= 0);
	b[n] = '\0';
	ATF_CHECK_STREQ(b,
	    "hello\r\n..\r\n...x\r\n\r\n..hidden\r\na.b\r\n"
	    ".\r\n");
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

/* ------------------------------------------------------------ server side */

struct cmd_case {
	const char *in;
	int rc;
	enum smtp_verb verb;
	const char *arg;
};

static const struct cmd_case cmd_cases[] = {
    {"EHLO client.example", SMTP_PARSE_OK, SMTP_CMD_EHLO, "client.example"},
    {"ehlo client.example", SMTP_PARSE_OK, SMTP_CMD_EHLO, "client.example"},
    {"HeLo  x.example  ", SMTP_PARSE_OK, SMTP_CMD_HELO, "x.example"},
    {"MAIL FROM:<a@b.example>", SMTP_PARSE_OK, SMTP_CMD_MAIL, "<a@b.example>"},
    {"mail from:<a@b.example> SIZE=10", SMTP_PARSE_OK, SMTP_CMD_MAIL,
	"<a@b.example> SIZE=10"},
    {"MAIL FROM: <a@b.example>", SMTP_PARSE_OK, SMTP_CMD_MAIL, "<a@b.example>"},
    {"RCPT TO:<c@d.example>", SMTP_PARSE_OK, SMTP_CMD_RCPT, "<c@d.example>"},
    {"Rcpt To: <c@d.example>", SMTP_PARSE_OK, SMTP_CMD_RCPT, "<c@d.example>"},
    {"DATA", SMTP_PARSE_OK, SMTP_CMD_DATA, ""},
    {"data ", SMTP_PARSE_OK, SMTP_CMD_DATA, ""},
    {"BDAT 100 LAST", SMTP_PARSE_OK, SMTP_CMD_BDAT, "100 LAST"},
    {"RSET", SMTP_PARSE_OK, SMTP_CMD_RSET, ""},
    {"NOOP", SMTP_PARSE_OK, SMTP_CMD_NOOP, ""},
    {"NOOP anything at all", SMTP_PARSE_OK, SMTP_CMD_NOOP, "anything at all"},
    {"QUIT", SMTP_PARSE_OK, SMTP_CMD_QUIT, ""},
    {"VRFY postmaster", SMTP_PARSE_OK, SMTP_CMD_VRFY, "postmaster"},
    {"EXPN staff", SMTP_PARSE_OK, SMTP_CMD_EXPN, "staff"},
    {"HELP", SMTP_PARSE_OK, SMTP_CMD_HELP, ""},
    {"HELP MAIL", SMTP_PARSE_OK, SMTP_CMD_HELP, "MAIL"},
    {"STARTTLS", SMTP_PARSE_OK, SMTP_CMD_STARTTLS, ""},
    {"AUTH PLAIN AGEAYg==", SMTP_PARSE_OK, SMTP_CMD_AUTH, "PLAIN AGEAYg=="},
    /* Errors. */
    {"", SMTP_PARSE_UNKNOWN, SMTP_CMD_NONE, NULL},
    {"FOO bar", SMTP_PARSE_UNKNOWN, SMTP_CMD_NONE, NULL},
    {"MAILFROM:<a@b>", SMTP_PARSE_UNKNOWN, SMTP_CMD_NONE, NULL},
    {"EHLO\tx", SMTP_PARSE_UNKNOWN, SMTP_CMD_NONE, NULL},
    {"GET / HTTP/1.1", SMTP_PARSE_UNKNOWN, SMTP_CMD_NONE, NULL},
    {"EHLO", SMTP_PARSE_SYNTAX, SMTP_CMD_EHLO, NULL},
    {"HELO ", SMTP_PARSE_SYNTAX, SMTP_CMD_HELO, NULL},
    {"MAIL", SMTP_PARSE_SYNTAX, SMTP_CMD_MAIL, NULL},
    {"MAIL <a@b.example>", SMTP_PARSE_SYNTAX, SMTP_CMD_MAIL, NULL},
    {"MAIL FROM:", SMTP_PARSE_SYNTAX, SMTP_CMD_MAIL, NULL},
    {"MAIL TO:<a@b.example>", SMTP_PARSE_SYNTAX, SMTP_CMD_MAIL, NULL},
    {"RCPT FROM:<a@b.example>", SMTP_PARSE_SYNTAX, SMTP_CMD_RCPT, NULL},
    {"RCPT TO", SMTP_PARSE_SYNTAX, SMTP_CMD_RCPT, NULL},
    {"DATA now", SMTP_PARSE_SYNTAX, SMTP_CMD_DATA, NULL},
    {"QUIT please", SMTP_PARSE_SYNTAX, SMTP_CMD_QUIT, NULL},
    {"STARTTLS x", SMTP_PARSE_SYNTAX, SMTP_CMD_STARTTLS, NULL},
    {"AUTH", SMTP_PARSE_SYNTAX, SMTP_CMD_AUTH, NULL},
    {"BDAT", SMTP_PARSE_SYNTAX, SMTP_CMD_BDAT, NULL},
};

ATF_TC_WITHOUT_HEAD(cmd_parse);
ATF_TC_BODY(cmd_parse, tc)
{
	struct smtp_cmd c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *k = &cmd_cases[i];

		rc = smtp_cmd_parse(k->in, strlen(k->in), &c);
		ATF_CHECK_EQ_MSG(rc, k->rc, "\"%s\": rc %d", k->in, rc);
		ATF_CHECK_EQ_MSG(
		    c.verb, k->verb, "\"%s\": verb %d", k->in, c.verb);
		if (k->arg != NULL && rc == SMTP_PARSE_OK)
			ATF_CHECK_MSG(c.arglen == strlen(k->arg) &&
				memcmp(c.arg, k->arg, c.arglen) == 0,
			    "\"%s\": arg \"%.*s\"", k->in, (int)c.arglen,
			    c.arg);
	}
	/* A NUL inside the line is refused, and the length is honoured. */
	ATF_CHECK_EQ(smtp_cmd_parse("NOOP a\0b", 8, &c), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(smtp_cmd_parse("QUITxyz", 4, &c), SMTP_PARSE_OK);
	ATF_CHECK_EQ(c.verb, SMTP_CMD_QUIT);
	ATF_CHECK_STREQ(smtp_verb_name(SMTP_CMD_STARTTLS), "STARTTLS");
	ATF_CHECK_STREQ(smtp_verb_name(SMTP_CMD_NONE), "");
}

struct path_case {
	const char *in;
	int flags;
	int rc;
	const char *addr; /* normalised, when rc is OK */
	size_t used; /* 0: the whole input */
};

#define RV SMTP_PATH_REVERSE
#define FW SMTP_PATH_FORWARD
#define U8 SMTP_PATH_UTF8

static const struct path_case path_cases[] = {
    {"<a@b.example>", RV, SMTP_PARSE_OK, "a@b.example", 0},
    {"<First.Last@Example.ORG>", FW, SMTP_PARSE_OK, "First.Last@example.org",
	0},
    {"<a+tag@b.example> SIZE=1", RV, SMTP_PARSE_OK, "a+tag@b.example", 17},
    {"<>", RV, SMTP_PARSE_OK, "", 0},
    {"<>", FW, SMTP_PARSE_ADDR, NULL, 0},
    {"<Postmaster>", FW, SMTP_PARSE_OK, "Postmaster", 0},
    {"<POSTMASTER>", FW, SMTP_PARSE_OK, "Postmaster", 0},
    {"<Postmaster>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<postmaster@b.example>", FW, SMTP_PARSE_OK, "postmaster@b.example", 0},
    /* Source routes are dropped (RFC 5321 Appendix C). */
    {"<@r1.example,@r2.example:u@b.example>", RV, SMTP_PARSE_OK, "u@b.example",
	0},
    {"<@[192.0.2.1]:u@b.example>", FW, SMTP_PARSE_OK, "u@b.example", 0},
    {"<@r1.example u@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<@:u@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<@r1.example,:u@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    /* Quoted local parts: unquoted when they need no quotes. */
    {"<\"plain\"@b.example>", RV, SMTP_PARSE_OK, "plain@b.example", 0},
    {"<\"john doe\"@b.example>", RV, SMTP_PARSE_OK, "\"john doe\"@b.example",
	0},
    {"<\"a\\\"b\"@b.example>", RV, SMTP_PARSE_OK, "\"a\\\"b\"@b.example", 0},
    {"<\"\\x\"@b.example>", RV, SMTP_PARSE_OK, "x@b.example", 0},
    {"<\"a>b\"@b.example>", RV, SMTP_PARSE_OK, "\"a>b\"@b.example", 0},
    {"<\"a..b\"@b.example>", RV, SMTP_PARSE_OK, "\"a..b\"@b.example", 0},
    {"<\"unterminated@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<\"tab\there\"@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    /* Address literals. */
    {"<u@[192.0.2.1]>", FW, SMTP_PARSE_OK, "u@[192.0.2.1]", 0},
    {"<u@[IPv6:2001:db8::1]>", FW, SMTP_PARSE_OK, "u@[IPv6:2001:db8::1]", 0},
    {"<u@[300.1.1.1]>", FW, SMTP_PARSE_ADDR, NULL, 0},
    {"<u@[2001:db8::1]>", FW, SMTP_PARSE_ADDR, NULL, 0},
    {"<u@[x-tag:stuff]>", FW, SMTP_PARSE_ADDR, NULL, 0},
    {"<u@[192.0.2.1>", FW, SMTP_PARSE_ADDR, NULL, 0},
    /* Syntax errors. */
    {"a@b.example", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@b.example", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<.a@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a.@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a..b@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a b@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a(b)@b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@b..example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@-b.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@b-.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@b.example.>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@b_c.example>", RV, SMTP_PARSE_ADDR, NULL, 0},
    {"<a@b.example >", RV, SMTP_PARSE_ADDR, NULL, 0},
    /* SMTPUTF8 (RFC 6531): only when the caller allows it. */
    {"<jos\xc3\xa9@b.example>", RV, SMTP_PARSE_UTF8, NULL, 0},
    {"<jos\xc3\xa9@b.example>", RV | U8, SMTP_PARSE_OK, "jos\xc3\xa9@b.example",
	0},
    {"<u@\xe4\xbe\x8b\xe5\xad\x90.example>", FW, SMTP_PARSE_UTF8, NULL, 0},
    {"<u@\xe4\xbe\x8b\xe5\xad\x90.example>", FW | U8, SMTP_PARSE_OK,
	"u@\xe4\xbe\x8b\xe5\xad\x90.example", 0},
    {"<\"j\xc3\xa9 x\"@b.example>", FW, SMTP_PARSE_UTF8, NULL, 0},
    /* Malformed UTF-8 is never accepted: overlong, surrogate, cut. */
    {"<\xc0\xafx@b.example>", RV | U8, SMTP_PARSE_ADDR, NULL, 0},
    {"<\xed\xa0\x80x@b.example>", RV | U8, SMTP_PARSE_ADDR, NULL, 0},
    {"<x\xc3@b.example>", RV | U8, SMTP_PARSE_ADDR, NULL, 0},
    {"<x@b\xff.example>", RV | U8, SMTP_PARSE_ADDR, NULL, 0},
};

ATF_TC_WITHOUT_HEAD(path_parse);
ATF_TC_BODY(path_parse, tc)
{
	struct smtp_path p;
	size_t i, used;
	int rc;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *k = &path_cases[i];

		rc = smtp_path_parse(k->in, strlen(k->in), k->flags, &p, &used);
		ATF_CHECK_EQ_MSG(
		    rc, k->rc, "\"%s\": rc %d, want %d", k->in, rc, k->rc);
		if (rc != SMTP_PARSE_OK || k->rc != SMTP_PARSE_OK)
			continue;
		ATF_CHECK_STREQ_MSG(p.addr, k->addr, "\"%s\"", k->in);
		ATF_CHECK_EQ_MSG(used, k->used ? k->used : strlen(k->in),
		    "\"%s\": used %zu", k->in, used);
	}
	rc = smtp_path_parse("<>", 2, RV, &p, &used);
	ATF_CHECK(rc == SMTP_PARSE_OK && p.null && !p.postmaster);
	rc = smtp_path_parse("<postmaster>", 12, FW, &p, &used);
	ATF_CHECK(rc == SMTP_PARSE_OK && p.postmaster && !p.null);
	rc = smtp_path_parse("<\"a b\"@X.Example>", 17, FW, &p, &used);
	ATF_CHECK(rc == SMTP_PARSE_OK && p.quoted);
	ATF_CHECK_STREQ(p.local, "\"a b\"");
	ATF_CHECK_STREQ(p.domain, "x.example");
	rc = smtp_path_parse("<j\xc3\xa9@x.example>", 15, FW | U8, &p, &used);
	ATF_CHECK(rc == SMTP_PARSE_OK && p.utf8);
	/* The length given is the end: no reading past it. */
	ATF_CHECK_EQ(smtp_path_parse("<a@b.example>", 12, RV, &p, &used),
	    SMTP_PARSE_ADDR);
	ATF_CHECK_EQ(smtp_path_parse("<", 1, RV, &p, &used), SMTP_PARSE_ADDR);
	ATF_CHECK_EQ(smtp_path_parse("", 0, RV, &p, &used), SMTP_PARSE_ADDR);
}

ATF_TC_WITHOUT_HEAD(path_bounds);
ATF_TC_BODY(path_bounds, tc)
{
	char in[1024], label[64];
	struct smtp_path p;
	size_t used, n;

	/* Local part: 64 octets pass, 65 do not (RFC 5321 §4.5.3.1.1). */
	n = (size_t)snprintf(in, sizeof(in), "<%.*s@b.example>", 64,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa");
	ATF_CHECK_EQ(smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_OK);
	ATF_CHECK_EQ(strlen(p.local), 64);
	n = (size_t)snprintf(in, sizeof(in), "<%.*s@b.example>", 65,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa");
	ATF_CHECK_EQ(
	    smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_PATHLONG);
	/* A quoted local part counts its normalised, quoted form. */
	n = (size_t)snprintf(in, sizeof(in), "<\"%.*s\"@b.example>", 62,
	    "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
	    "a a a a a a a a");
	ATF_CHECK_EQ(smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_OK);
	ATF_CHECK_EQ(strlen(p.local), 64);
	n = (size_t)snprintf(in, sizeof(in), "<\"%.*s\"@b.example>", 63,
	    "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
	    "a a a a a a a a");
	ATF_CHECK_EQ(
	    smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_PATHLONG);
	/* Labels: 63 octets pass, 64 do not. */
	memset(label, 'l', 63);
	label[63] = '\0';
	n = (size_t)snprintf(in, sizeof(in), "<a@%s.example>", label);
	ATF_CHECK_EQ(smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_OK);
	n = (size_t)snprintf(in, sizeof(in), "<a@%sl.example>", label);
	ATF_CHECK_EQ(smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_ADDR);
	/* The whole path: 256 octets with brackets pass, 257 do not. */
	n = (size_t)snprintf(in, sizeof(in), "<a@%s.%s.%s.%.*s>", label, label,
	    label, 60, label);
	ATF_CHECK_EQ(n, 256);
	ATF_CHECK_EQ(smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_OK);
	n = (size_t)snprintf(in, sizeof(in), "<ab@%s.%s.%s.%.*s>", label, label,
	    label, 60, label);
	ATF_CHECK_EQ(n, 257);
	ATF_CHECK_EQ(
	    smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_PATHLONG);
	/* A long source route makes the path too long, too. */
	n = (size_t)snprintf(in, sizeof(in), "<@%s.%s.%s.%s:a@b.example>",
	    label, label, label, label);
	ATF_CHECK_EQ(
	    smtp_path_parse(in, n, RV, &p, &used), SMTP_PARSE_PATHLONG);
	/* No '>' within bounds in a long line. */
	memset(in, 'a', sizeof(in));
	in[0] = '<';
	ATF_CHECK(smtp_path_parse(in, sizeof(in), RV, &p, &used) < 0);
}

ATF_TC_WITHOUT_HEAD(domain_valid);
ATF_TC_BODY(domain_valid, tc)
{
	static const char *good[] = {"example.org", "mail.Example.ORG", "a",
	    "x1-y2.example", "123.example", "[192.0.2.1]", "[IPv6:::1]",
	    "[ipv6:2001:db8::2]", "localhost"};
	static const char *bad[] = {"", ".", "a..b", "-a.example", "a-.example",
	    "a.example.", "a_b.example", "a b", "[192.0.2.1", "[192.0.2]",
	    "[::1]", "[IPv6:nope]", "[]", "exa\xc3\xa9.org", "x\x01y"};
	char big[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_MSG(smtp_domain_valid(good[i], strlen(good[i]), 0),
		    "\"%s\" refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!smtp_domain_valid(bad[i], strlen(bad[i]), 0),
		    "\"%s\" accepted", bad[i]);
	ATF_CHECK(smtp_domain_valid("exa\xc3\xa9.org", 9, 1));
	ATF_CHECK(!smtp_domain_valid("exa\xc3.org", 8, 1));
	/* 255 octets pass, 256 do not (RFC 5321 §4.5.3.1.2). */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (i % 64 == 63) ? '.' : 'd';
	ATF_CHECK(smtp_domain_valid(big, 255, 0));
	ATF_CHECK(!smtp_domain_valid(big, 256, 0));
}

ATF_TC_WITHOUT_HEAD(params_parse);
ATF_TC_BODY(params_parse, tc)
{
	struct smtp_params p;

#define PP(str, verb, u8) \
	smtp_params_parse((str), strlen(str), (verb), (u8), &p)

	ATF_CHECK_EQ(PP("", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.size, -1);
	ATF_CHECK_EQ(p.body, SMTP_BODY_NONE);
	ATF_CHECK_EQ(p.count, 0);
	ATF_CHECK_EQ(PP(" SIZE=12345 body=8bitmime SMTPUTF8", SMTP_CMD_MAIL, 0),
	    SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.size, 12345);
	ATF_CHECK_EQ(p.body, SMTP_BODY_8BITMIME);
	ATF_CHECK_EQ(p.smtputf8, 1);
	ATF_CHECK_EQ(p.count, 3);
	ATF_CHECK_EQ(PP(" BODY=7BIT", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.body, SMTP_BODY_7BIT);
	ATF_CHECK_EQ(PP(" BODY=BINARYMIME", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.body, SMTP_BODY_BINARYMIME);
	/* SIZE: 1*20DIGIT, huge values saturate (and are then refused by
	   the size check, not the parser). */
	ATF_CHECK_EQ(
	    PP(" SIZE=99999999999999999999", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK(p.size > (1LL << 60));
	ATF_CHECK_EQ(PP(" SIZE=999999999999999999999", SMTP_CMD_MAIL, 0),
	    SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" SIZE=12k", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" SIZE=-1", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" SIZE", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" SIZE=", SMTP_CMD_MAIL, 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(PP(" BODY=9BIT", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" SMTPUTF8=yes", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" SIZE=1 size=2", SMTP_CMD_MAIL, 0), SMTP_PARSE_MANY);
	/* DSN (RFC 3461). */
	ATF_CHECK_EQ(PP(" RET=hdrs ENVID=QQ314159+2Bx", SMTP_CMD_MAIL, 0),
	    SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.ret, SMTP_RET_HDRS);
	ATF_CHECK_STREQ(p.envid, "QQ314159+2Bx");
	ATF_CHECK_EQ(PP(" RET=FULL", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.ret, SMTP_RET_FULL);
	ATF_CHECK_EQ(PP(" RET=BODY", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" ENVID=a+2", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" ENVID=a+2b", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" ENVID=a+zz", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" NOTIFY=SUCCESS,failure,DELAY ORCPT=rfc822;b+40c.d",
			 SMTP_CMD_RCPT, 0),
	    SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.notify,
	    SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY);
	ATF_CHECK_STREQ(p.orcpt, "rfc822;b+40c.d");
	ATF_CHECK_EQ(PP(" NOTIFY=NEVER", SMTP_CMD_RCPT, 0), SMTP_PARSE_OK);
	ATF_CHECK_EQ(p.notify, SMTP_NOTIFY_NEVER);
	ATF_CHECK_EQ(
	    PP(" NOTIFY=NEVER,DELAY", SMTP_CMD_RCPT, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(
	    PP(" NOTIFY=DELAY,DELAY", SMTP_CMD_RCPT, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(
	    PP(" NOTIFY=SUCCESS,", SMTP_CMD_RCPT, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" ORCPT=rfc822", SMTP_CMD_RCPT, 0), SMTP_PARSE_VALUE);
	ATF_CHECK_EQ(PP(" ORCPT=;x", SMTP_CMD_RCPT, 0), SMTP_PARSE_VALUE);
	/* AUTH= (RFC 4954 §5). */
	ATF_CHECK_EQ(PP(" AUTH=<>", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK_STREQ(p.auth, "<>");
	ATF_CHECK_EQ(
	    PP(" AUTH=e+3Dmc2@example.com", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	ATF_CHECK_STREQ(p.auth, "e+3Dmc2@example.com");
	ATF_CHECK_EQ(PP(" AUTH=a+", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	/* Each verb has its own set: the other's are unknown (555). */
	ATF_CHECK_EQ(PP(" NOTIFY=NEVER", SMTP_CMD_MAIL, 0), SMTP_PARSE_PARAM);
	ATF_CHECK_STREQ(p.unknown, "NOTIFY");
	ATF_CHECK_EQ(PP(" SIZE=1", SMTP_CMD_RCPT, 0), SMTP_PARSE_PARAM);
	ATF_CHECK_EQ(
	    PP(" X-FOO=bar SIZE=1", SMTP_CMD_MAIL, 0), SMTP_PARSE_PARAM);
	ATF_CHECK_STREQ(p.unknown, "X-FOO");
	ATF_CHECK_EQ(p.size, 1);
	/* A bad value elsewhere on the line wins over the unknown one. */
	ATF_CHECK_EQ(
	    PP(" X-FOO=bar SIZE=x", SMTP_CMD_MAIL, 0), SMTP_PARSE_VALUE);
	/* Syntax. */
	ATF_CHECK_EQ(PP("SIZE=1", SMTP_CMD_MAIL, 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(PP(" -X=1", SMTP_CMD_MAIL, 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(PP(" SIZE=1=2", SMTP_CMD_MAIL, 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(PP(" X=a\tb", SMTP_CMD_MAIL, 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(PP(" X=caf\xc3\xa9", SMTP_CMD_MAIL, 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(PP(" X=caf\xc3\xa9", SMTP_CMD_MAIL, 1), SMTP_PARSE_PARAM);
	ATF_CHECK_EQ(
	    PP(" SIZE=1  BODY=7BIT ", SMTP_CMD_MAIL, 0), SMTP_PARSE_OK);
	/* Bounded count. */
	ATF_CHECK_EQ(PP(" A=1 B=1 C=1 D=1 E=1 F=1 G=1 H=1 I=1 J=1 K=1 L=1 M=1 "
			"N=1 O=1 P=1",
			 SMTP_CMD_MAIL, 0),
	    SMTP_PARSE_PARAM);
	ATF_CHECK_EQ(PP(" A=1 B=1 C=1 D=1 E=1 F=1 G=1 H=1 I=1 J=1 K=1 L=1 M=1 "
			"N=1 O=1 P=1 Q=1",
			 SMTP_CMD_MAIL, 0),
	    SMTP_PARSE_MANY);
#undef PP
}

ATF_TC_WITHOUT_HEAD(envid_bound);
ATF_TC_BODY(envid_bound, tc)
{
	char in[400];
	struct smtp_params p;
	size_t n;

	/* RFC 3461 §4.4: 100 characters; xtext "+XX" counts as one. */
	n = (size_t)snprintf(in, sizeof(in), " ENVID=");
	memset(in + n, 'e', 100);
	in[n + 100] = '\0';
	ATF_CHECK_EQ(smtp_params_parse(in, strlen(in), SMTP_CMD_MAIL, 0, &p),
	    SMTP_PARSE_OK);
	ATF_CHECK_EQ(strlen(p.envid), 100);
	in[n + 100] = 'e';
	in[n + 101] = '\0';
	ATF_CHECK_EQ(smtp_params_parse(in, strlen(in), SMTP_CMD_MAIL, 0, &p),
	    SMTP_PARSE_VALUE);
	for (n = 7; n + 3 < 7 + 300; n += 3)
		memcpy(in + n, "+2B", 3);
	in[n] = '\0';
	ATF_CHECK_EQ(smtp_params_parse(in, strlen(in), SMTP_CMD_MAIL, 0, &p),
	    SMTP_PARSE_OK);
	ATF_CHECK_EQ(strlen(p.envid), 297);
}

/* A MAIL or RCPT line through smtp_cmd_parse and smtp_mail_parse. */
static int
mp(const char *line, int u8, struct smtp_path *p, struct smtp_params *pa)
{
	struct smtp_cmd c;

	if (smtp_cmd_parse(line, strlen(line), &c) != SMTP_PARSE_OK)
		return 99;
	return smtp_mail_parse(c.arg, c.arglen, c.verb, u8, p, pa);
}

ATF_TC_WITHOUT_HEAD(mail_parse);
ATF_TC_BODY(mail_parse, tc)
{
	struct smtp_path p;
	struct smtp_params pa;

#define MP(line, u8) mp((line), (u8), &p, &pa)

	ATF_CHECK_EQ(MP("MAIL FROM:<a@b.example> SIZE=100", 0), 0);
	ATF_CHECK_STREQ(p.addr, "a@b.example");
	ATF_CHECK_EQ(pa.size, 100);
	ATF_CHECK_EQ(MP("MAIL FROM: <a@b.example>", 0), 0);
	ATF_CHECK_EQ(MP("MAIL FROM:<>", 0), 0);
	ATF_CHECK(p.null);
	ATF_CHECK_EQ(MP("MAIL FROM:<> SIZE=1", 0), 0);
	ATF_CHECK_EQ(MP("MAIL FROM:<>SIZE=1", 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(MP("MAIL FROM:a@b.example", 0), SMTP_PARSE_ADDR);
	ATF_CHECK_EQ(MP("RCPT TO:<Postmaster>", 0), 0);
	ATF_CHECK(p.postmaster);
	ATF_CHECK_EQ(MP("RCPT TO:<>", 0), SMTP_PARSE_ADDR);
	ATF_CHECK_EQ(MP("RCPT TO:<c@d.example> NOTIFY=FAILURE", 0), 0);
	ATF_CHECK_EQ(pa.notify, SMTP_NOTIFY_FAILURE);
	ATF_CHECK_EQ(MP("RCPT TO:<c@d.example> FOO=1", 0), SMTP_PARSE_PARAM);
	ATF_CHECK_STREQ(pa.unknown, "FOO");
	/* RFC 6531: a UTF-8 sender needs SMTPUTF8 on the same MAIL. */
	ATF_CHECK_EQ(
	    MP("MAIL FROM:<jos\xc3\xa9@b.example>", 0), SMTP_PARSE_UTF8);
	ATF_CHECK_EQ(MP("MAIL FROM:<jos\xc3\xa9@b.example> SMTPUTF8", 0), 0);
	ATF_CHECK(p.utf8 && pa.smtputf8);
	ATF_CHECK_EQ(
	    MP("MAIL FROM:<a@b.example> X=caf\xc3\xa9", 0), SMTP_PARSE_UTF8);
	ATF_CHECK_EQ(MP("MAIL FROM:<a@b.example> X=caf\xc3\xa9 SMTPUTF8", 0),
	    SMTP_PARSE_PARAM);
	ATF_CHECK_EQ(
	    MP("RCPT TO:<a@b.example> X=caf\xc3\xa9", 0), SMTP_PARSE_SYNTAX);
	ATF_CHECK_EQ(MP("RCPT TO:<jos\xc3\xa9@b.example>", 0), SMTP_PARSE_UTF8);
	ATF_CHECK_EQ(MP("RCPT TO:<jos\xc3\xa9@b.example>", 1), 0);
	ATF_CHECK_EQ(
	    MP("RCPT TO:<x@\xe4\xbe\x8b.example>", 0), SMTP_PARSE_UTF8);
#undef MP
}

ATF_TC_WITHOUT_HEAD(bdat_parse);
ATF_TC_BODY(bdat_parse, tc)
{
	long long size;
	int last;

	ATF_CHECK_EQ(smtp_bdat_parse("1000", 4, &size, &last), 0);
	ATF_CHECK(size == 1000 && last == 0);
	ATF_CHECK_EQ(smtp_bdat_parse("0 LAST", 6, &size, &last), 0);
	ATF_CHECK(size == 0 && last == 1);
	ATF_CHECK_EQ(smtp_bdat_parse("7 last", 6, &size, &last), 0);
	ATF_CHECK(size == 7 && last == 1);
	ATF_CHECK(smtp_bdat_parse("", 0, &size, &last) < 0);
	ATF_CHECK(smtp_bdat_parse("x", 1, &size, &last) < 0);
	ATF_CHECK(smtp_bdat_parse("10 LASTX", 8, &size, &last) < 0);
	ATF_CHECK(smtp_bdat_parse("10 FIRST", 8, &size, &last) < 0);
	ATF_CHECK(smtp_bdat_parse("-1", 2, &size, &last) < 0);
	ATF_CHECK(
	    smtp_bdat_parse("99999999999999999999", 20, &size, &last) < 0);
}

ATF_TC_WITHOUT_HEAD(parse_reply_codes);
ATF_TC_BODY(parse_reply_codes, tc)
{
	const char *enh, *text;
	int code;

	smtp_parse_reply(SMTP_PARSE_PARAM, SMTP_CMD_MAIL, &code, &enh, &text);
	ATF_CHECK_EQ(code, 555);
	ATF_CHECK_STREQ(enh, "5.5.4");
	smtp_parse_reply(SMTP_PARSE_UNKNOWN, SMTP_CMD_NONE, &code, &enh, &text);
	ATF_CHECK_EQ(code, 500);
	ATF_CHECK_STREQ(enh, "5.5.1");
	smtp_parse_reply(SMTP_PARSE_ADDR, SMTP_CMD_MAIL, &code, &enh, &text);
	ATF_CHECK(code == 501 && strcmp(enh, "5.1.7") == 0);
	smtp_parse_reply(SMTP_PARSE_ADDR, SMTP_CMD_RCPT, &code, &enh, &text);
	ATF_CHECK(code == 501 && strcmp(enh, "5.1.3") == 0);
	smtp_parse_reply(SMTP_PARSE_UTF8, SMTP_CMD_RCPT, &code, &enh, &text);
	ATF_CHECK(code == 553 && strcmp(enh, "5.6.7") == 0);
	smtp_parse_reply(SMTP_PARSE_SYNTAX, SMTP_CMD_DATA, &code, &enh, &text);
	ATF_CHECK(code == 501 && strcmp(enh, "5.5.2") == 0);
	ATF_CHECK(text != NULL && text[0] != '\0');
}

/* Run f on an io writing into a pipe; return what came out. */
static void
read_all(int fd, char *b, size_t cap)
{
	ssize_t n;
	size_t o = 0;

	while (o + 1 < cap && (n = read(fd, b + o, cap - 1 - o)) > 0)
		o += (size_t)n;
	b[o] = '\0';
}

ATF_TC_WITHOUT_HEAD(reply_send);
ATF_TC_BODY(reply_send, tc)
{
	struct io io;
	char b[8192], longtext[700];
	int fds[2];
	char *p, *q;

	ATF_REQUIRE(pipe(fds) == 0);
	io_init(&io, -1, fds[1], 2000);
	ATF_CHECK_EQ(
	    smtp_reply_send(&io, 250, "2.1.0", "Sender <%s> OK", "a@b.example"),
	    0);
	ATF_CHECK_EQ(smtp_reply_send(&io, 250, NULL,
			 "mx.example greets %s\nPIPELINING\nSIZE %d\n8BITMIME",
			 "client", 1000),
	    0);
	ATF_CHECK_EQ(smtp_reply_send(&io, 354, "",
			 "End data with <CR><LF>."
			 "<CR><LF>"),
	    0);
	ATF_CHECK_EQ(smtp_reply_send(&io, 550, "5.1.1", "No such user\n"), 0);
	ATF_CHECK_EQ(smtp_reply_send(&io, 221, "2.0.0", "%s", ""), 0);
	ATF_CHECK_EQ(smtp_reply_send(&io, 421, "4.4.2", "a\n\nb"), 0);
	/* A CR would let text inject a line: nothing is queued. */
	ATF_CHECK_EQ(
	    smtp_reply_send(&io, 250, NULL, "x%s", "\r\n250 evil"), -1);
	ATF_CHECK_EQ(smtp_reply_send(&io, 250, NULL, "one\ntwo%s", "\r"), -1);
	ATF_CHECK_EQ(smtp_reply_send(&io, 99, NULL, "bad"), -1);
	ATF_CHECK_EQ(io_flush(&io), 0);
	(void)close(fds[1]);
	read_all(fds[0], b, sizeof(b));
	ATF_CHECK_STREQ(b,
	    "250 2.1.0 Sender <a@b.example> OK\r\n"
	    "250-mx.example greets client\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 1000\r\n"
	    "250 8BITMIME\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "550 5.1.1 No such user\r\n"
	    "221 2.0.0 \r\n"
	    "421-4.4.2 a\r\n"
	    "421-4.4.2 \r\n"
	    "421 4.4.2 b\r\n");
	io_close(&io);
	(void)close(fds[0]);

	/* Long text is cut to 512 octets with CRLF (§4.5.3.1.5). */
	ATF_REQUIRE(pipe(fds) == 0);
	io_init(&io, -1, fds[1], 2000);
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	ATF_CHECK_EQ(
	    smtp_reply_send(&io, 500, "5.5.2", "%s\n%s", longtext, "end"), 0);
	ATF_CHECK_EQ(io_flush(&io), 0);
	(void)close(fds[1]);
	read_all(fds[0], b, sizeof(b));
	p = strstr(b, "\r\n");
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(p + 2 - b, SMTP_REPLY_LINE_MAX);
	ATF_CHECK_EQ(strncmp(b, "500-5.5.2 xxx", 13), 0);
	q = p + 2;
	ATF_CHECK_STREQ(q, "500 5.5.2 end\r\n");
	io_close(&io);
	(void)close(fds[0]);
}

/* ORCPT values (RFC 3461 §4.2), as the parser and msmtpd's privileged
   parent check them. */
ATF_TC_WITHOUT_HEAD(orcpt_valid);
ATF_TC_BODY(orcpt_valid, tc)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
	    {"rfc822;a@b.example", 1},
	    {"rfc822;a+2Bb@c.example", 1},
	    {"utf-8;a+40b", 1},
	    {"x-foo;z", 1},
	    {"rfc822;", 0}, /* no address */
	    {";a@b", 0}, /* no type */
	    {"rfc822", 0}, /* no ";" */
	    {"rfc 822;a@b", 0}, /* the type is an atom */
	    {"rfc822;a b", 0}, /* xtext has no space */
	    {"rfc822;a=b", 0}, /* nor "=" */
	    {"rfc822;a+2", 0}, /* a cut "+XX" */
	    {"rfc822;a+2g", 0}, /* "+XX" is hex */
	    {"rfc822;a\xc3\xa9", 0}, /* 8-bit */
	    {"", 0},
	};
	char big[SMTP_ORCPT_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(smtp_orcpt_valid(t[i].in, strlen(t[i].in)),
		    t[i].ok, "row %zu: %s", i, t[i].in);
	/* At most SMTP_ORCPT_MAX octets in all. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "rfc822;", 7);
	ATF_CHECK_EQ(smtp_orcpt_valid(big, SMTP_ORCPT_MAX), 1);
	ATF_CHECK_EQ(smtp_orcpt_valid(big, SMTP_ORCPT_MAX + 1), 0);
	/* The length given is the value: a NUL inside is not xtext. */
	ATF_CHECK_EQ(smtp_orcpt_valid("rfc822;a\0b", 10), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_line);
	ATF_TP_ADD_TC(tp, parse_line_bounded);
	ATF_TP_ADD_TC(tp, multiline);
	ATF_TP_ADD_TC(tp, multiline_code_mismatch);
	ATF_TP_ADD_TC(tp, multiline_too_many);
	ATF_TP_ADD_TC(tp, enhanced_codes);
	ATF_TP_ADD_TC(tp, reply_str);
	ATF_TP_ADD_TC(tp, read_reply);
	ATF_TP_ADD_TC(tp, read_reply_bad);
	ATF_TP_ADD_TC(tp, read_reply_long_lines);
	ATF_TP_ADD_TC(tp, read_reply_timeout);
	ATF_TP_ADD_TC(tp, ehlo_postfix);
	ATF_TP_ADD_TC(tp, ehlo_variants);
	ATF_TP_ADD_TC(tp, dotstuff);
	ATF_TP_ADD_TC(tp, cmd_parse);
	ATF_TP_ADD_TC(tp, path_parse);
	ATF_TP_ADD_TC(tp, path_bounds);
	ATF_TP_ADD_TC(tp, domain_valid);
	ATF_TP_ADD_TC(tp, params_parse);
	ATF_TP_ADD_TC(tp, envid_bound);
	ATF_TP_ADD_TC(tp, orcpt_valid);
	ATF_TP_ADD_TC(tp, mail_parse);
	ATF_TP_ADD_TC(tp, bdat_parse);
	ATF_TP_ADD_TC(tp, parse_reply_codes);
	ATF_TP_ADD_TC(tp, reply_send);
	return atf_no_error();
}
