/*
 * smtp_test: reply lines, multi-line replies, enhanced status codes,
 * replies read over io, EHLO capabilities, dot-stuffing.
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
	return atf_no_error();
}
