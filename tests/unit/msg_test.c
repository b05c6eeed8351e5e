/*
 * msg_test: the RFC 5322 header scanner (in memory and line by line),
 * unfolding, Date and Message-ID creation, address lists.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>

#include "msg.h"

/* "name=value|" for each field, and the body offset, into out. */
static int
fields(const char *m, char *out, size_t outlen, size_t *body)
{
	struct msg_iter it;
	struct msg_field f;
	size_t o = 0;
	int r;

	out[0] = '\0';
	msg_iter_init(&it, m, strlen(m));
	while ((r = msg_iter_next(&it, &f)) == 1)
		o += (size_t)snprintf(out + o, outlen - o, "%.*s=%s|",
		    (int)f.namelen, f.name, f.value);
	*body = it.body;
	msg_iter_free(&it);
	return r;
}

ATF_TC_WITHOUT_HEAD(iter_basic);
ATF_TC_BODY(iter_basic, tc)
{
	const char *m =
	    "Received: from a\r\n\tby b; x\r\n"
	    "Subject:  hello world  \r\nX-Empty:\r\n\r\nbody: not a field\r\n";
	char out[512];
	size_t body;

	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out,
	    "Received=from a\tby b; x|"
	    "Subject=hello world|X-Empty=|");
	ATF_CHECK_STREQ(m + body, "body: not a field\r\n");
}

ATF_TC_WITHOUT_HEAD(iter_lf_and_obs);
ATF_TC_BODY(iter_lf_and_obs, tc)
{
	const char *m = "To : a@b\nSubject: one\n two\n  three\n\nB";
	char out[512];
	size_t body;

	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out, "To=a@b|Subject=one two  three|");
	ATF_CHECK_STREQ(m + body, "B");
}

/* A line that is no header field ends the header; it is the body. */
ATF_TC_WITHOUT_HEAD(iter_non_header_line);
ATF_TC_BODY(iter_non_header_line, tc)
{
	char out[512];
	size_t body;
	const char *m = "Subject: x\nno colon here\nTo: y\n\n";

	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out, "Subject=x|");
	ATF_CHECK_STREQ(m + body, "no colon here\nTo: y\n\n");

	m = " leading fold\nSubject: x\n";
	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out, "");
	ATF_CHECK_EQ(body, 0);

	m = "From x@y Mon Nov 22\nSubject: x\n\n";
	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out, "");

	m = "Bad\x01Name: x\n";
	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out, "");

	/* No empty line: the header runs to the end. */
	m = "A: 1\nB: 2";
	ATF_REQUIRE_EQ(fields(m, out, sizeof(out), &body), 0);
	ATF_CHECK_STREQ(out, "A=1|B=2|");
	ATF_CHECK_EQ(body, strlen(m));
}

ATF_TC_WITHOUT_HEAD(scan_lines);
ATF_TC_BODY(scan_lines, tc)
{
	struct msg_scan s;
	struct msg_field f;

	msg_scan_init(&s);
	ATF_CHECK_EQ(msg_scan_line(&s, "Subject: a", 10), MSG_LINE_HEADER);
	ATF_CHECK_EQ(msg_scan_field(&s, &f), 0);
	ATF_CHECK_EQ(msg_scan_line(&s, "\tb\r\n", 4), MSG_LINE_HEADER);
	ATF_CHECK_EQ(msg_scan_field(&s, &f), 0);
	ATF_CHECK_EQ(msg_scan_line(&s, "to: c\n", 6), MSG_LINE_HEADER);
	ATF_REQUIRE_EQ(msg_scan_field(&s, &f), 1);
	ATF_CHECK(msg_field_is(&f, "SUBJECT"));
	ATF_CHECK(!msg_field_is(&f, "Subj"));
	ATF_CHECK_STREQ(f.value, "a\tb");
	ATF_CHECK_EQ(f.valuelen, 3);
	ATF_CHECK_EQ(msg_scan_line(&s, "\r\n", 2), MSG_LINE_END);
	ATF_REQUIRE_EQ(msg_scan_field(&s, &f), 1);
	ATF_CHECK(msg_field_is(&f, "To"));
	ATF_CHECK_STREQ(f.value, "c");
	ATF_CHECK_EQ(msg_scan_field(&s, &f), 0);
	ATF_CHECK_EQ(msg_scan_line(&s, "X: y", 4), MSG_LINE_BODY);
	msg_scan_free(&s);

	/* Input ends inside the header. */
	msg_scan_init(&s);
	ATF_CHECK_EQ(msg_scan_line(&s, "A: 1", 4), MSG_LINE_HEADER);
	msg_scan_eof(&s);
	ATF_REQUIRE_EQ(msg_scan_field(&s, &f), 1);
	ATF_CHECK_STREQ(f.value, "1");
	msg_scan_free(&s);
}

ATF_TC_WITHOUT_HEAD(scan_bounds);
ATF_TC_BODY(scan_bounds, tc)
{
	struct msg_scan s;
	char *line;
	size_t i;
	int r = MSG_LINE_HEADER;

	line = malloc(MSG_LINE_MAX + 10);
	ATF_REQUIRE(line != NULL);
	/* A field name longer than a line may be is refused. */
	memset(line, 'a', MSG_LINE_MAX + 5);
	line[MSG_LINE_MAX + 5] = ':';
	msg_scan_init(&s);
	ATF_CHECK_EQ(msg_scan_line(&s, line, MSG_LINE_MAX + 6), MSG_LINE_ERROR);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	msg_scan_free(&s);
	/* The header as a whole is bounded. */
	msg_scan_init(&s);
	memset(line, ' ', 990);
	memcpy(line, "X: ", 3);
	for (i = 0; i < MSG_HEADER_MAX / 990 + 2 && r == MSG_LINE_HEADER; i++)
		r = msg_scan_line(&s, line, 990);
	ATF_CHECK_EQ(r, MSG_LINE_ERROR);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	msg_scan_free(&s);
	free(line);
}

ATF_TC_WITHOUT_HEAD(unfold);
ATF_TC_BODY(unfold, tc)
{
	struct buf b;

	buf_init(&b, 0);
	ATF_REQUIRE(msg_unfold("a\r\n b\n\tc\r\nd\n", 12, &b) == 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "a b\tc\r\nd\n");
	buf_reset(&b);
	ATF_REQUIRE(msg_unfold("x\r\n", 3, &b) == 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "x\r\n");
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(date);
ATF_TC_BODY(date, tc)
{
	char d[64];

	ATF_REQUIRE(setenv("TZ", "UTC0", 1) == 0);
	tzset();
	ATF_REQUIRE(msg_date(0, d, sizeof(d)) == 0);
	ATF_CHECK_STREQ(d, "Thu, 1 Jan 1970 00:00:00 +0000");
	/* POSIX TZ: "JST-9" is 9 hours east of UTC. */
	ATF_REQUIRE(setenv("TZ", "JST-9", 1) == 0);
	tzset();
	ATF_REQUIRE(msg_date(1795372031, d, sizeof(d)) == 0);
	ATF_CHECK_STREQ(d, "Mon, 23 Nov 2026 03:27:11 +0900");
	ATF_REQUIRE(setenv("TZ", "NST+3:30", 1) == 0);
	tzset();
	ATF_REQUIRE(msg_date(0, d, sizeof(d)) == 0);
	ATF_CHECK_STREQ(d, "Wed, 31 Dec 1969 20:30:00 -0330");
	ATF_CHECK(msg_date(0, d, 10) == -1);
}

/* msg_date_parse: the forms of RFC 5322 §3.3 and §4.3. */
ATF_TC_WITHOUT_HEAD(date_parse);
ATF_TC_BODY(date_parse, tc)
{
	static const struct {
		const char *in;
		int rc;
		long long t, day;
	} v[] = {
		{ "Tue, 1 Dec 2026 10:00:00 +0100", 0, 1796115600LL,
		    1796083200LL },
		{ "1 Dec 2026 10:00:00 +0100", 0, 1796115600LL,
		    1796083200LL },
		/* 2-digit year, no seconds, a zone with minutes */
		{ "Tue, 01 Dec 26 10:00 -0030", 0, 1796121000LL,
		    1796083200LL },
		/* a comment, a month in lower case, an hour out of range */
		{ "(x) 1 dec 2026 25:00:00 +0000", 0, 1796083200LL,
		    1796083200LL },
		{ "1 Jan 99 12:00:00 +0000", 0, 915192000LL, 915148800LL },
		/* before the epoch */
		{ "1 Jan 1960 00:00:00 +0000", 0, -315619200LL,
		    -315619200LL },
		{ "soon", -1, 0, 0 },
		{ "", -1, 0, 0 },
		{ "32 Dec 2026 10:00:00 +0000", -1, 0, 0 },
		{ "1 Foo 2026 10:00:00 +0000", -1, 0, 0 },
		{ "Dec 1 2026", -1, 0, 0 },
	};
	int64_t t, day;
	size_t k;

	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		t = day = 0;
		ATF_CHECK_EQ_MSG(msg_date_parse(v[k].in, strlen(v[k].in), &t,
		    &day), v[k].rc, "%s", v[k].in);
		if (v[k].rc != 0)
			continue;
		ATF_CHECK_EQ_MSG((long long)t, v[k].t, "%s", v[k].in);
		ATF_CHECK_EQ_MSG((long long)day, v[k].day, "%s", v[k].in);
	}
}

ATF_TC_WITHOUT_HEAD(message_id);
ATF_TC_BODY(message_id, tc)
{
	char a[300], b[300], hex[20];
	unsigned long long stamp;

	ATF_REQUIRE(msg_message_id("mx.example", a, sizeof(a)) == 0);
	ATF_REQUIRE(msg_message_id("mx.example", b, sizeof(b)) == 0);
	ATF_CHECK(strcmp(a, b) != 0);
	ATF_REQUIRE_EQ(sscanf(a, "<%14llu.%16[0-9a-f]@", &stamp, hex), 2);
	ATF_CHECK(stamp > 20200101000000ULL);
	ATF_CHECK_EQ(strlen(hex), 16);
	ATF_CHECK(strcmp(a + strlen(a) - 12, "@mx.example>") == 0);
	ATF_CHECK(msg_message_id("", a, sizeof(a)) == -1);
	ATF_CHECK(msg_message_id("a..b", a, sizeof(a)) == -1);
	ATF_CHECK(msg_message_id("a b", a, sizeof(a)) == -1);
	ATF_CHECK(msg_message_id("x>y", a, sizeof(a)) == -1);
	ATF_CHECK(msg_message_id("mx.example", a, 20) == -1);
}

static int
collect(void *arg, const char *addr, size_t len)
{
	char *out = arg;
	size_t o = strlen(out);

	snprintf(out + o, 1024 - o, "%.*s|", (int)len, addr);
	return 0;
}

/* The list as "a|b|", or "ERR". */
static const char *
alist(const char *s, char *out)
{
	out[0] = '\0';
	if (msg_addr_list(s, strlen(s), collect, out) < 0)
		memcpy(out, "ERR", 4);
	return out;
}

ATF_TC_WITHOUT_HEAD(addr_list);
ATF_TC_BODY(addr_list, tc)
{
	char out[1024];

	ATF_CHECK_STREQ(alist("a@b.example", out), "a@b.example|");
	ATF_CHECK_STREQ(alist("A B <a@b.example>, c@d.example", out),
	    "a@b.example|c@d.example|");
	ATF_CHECK_STREQ(
	    alist("\"Last, First\" <x@y.example>", out), "x@y.example|");
	ATF_CHECK_STREQ(
	    alist("a@b (Comment (nested) \\) x) , , c@d", out), "a@b|c@d|");
	ATF_CHECK_STREQ(alist("team: a@b, C <c@d>;, e@f", out), "a@b|c@d|e@f|");
	ATF_CHECK_STREQ(alist("undisclosed-recipients:;", out), "");
	ATF_CHECK_STREQ(alist("<@r1,@r2:x@y>", out), "x@y|");
	ATF_CHECK_STREQ(
	    alist("\"a b\\\"c\"@q.example", out), "\"a b\\\"c\"@q.example|");
	ATF_CHECK_STREQ(alist("x@[127.0.0.1]", out), "x@[127.0.0.1]|");
	ATF_CHECK_STREQ(alist("first . last @ dom . example", out),
	    "first.last@dom.example|");
	ATF_CHECK_STREQ(alist("j\xc3\xb6rg@b\xc3\xbc.example", out),
	    "j\xc3\xb6rg@b\xc3\xbc.example|");
	ATF_CHECK_STREQ(alist("local", out), "local|");
	ATF_CHECK_STREQ(alist("", out), "");

	ATF_CHECK_STREQ(alist("John Smith", out), "ERR");
	ATF_CHECK_STREQ(alist("\"open <a@b>", out), "ERR");
	ATF_CHECK_STREQ(alist("(open a@b", out), "ERR");
	ATF_CHECK_STREQ(alist("<a@b", out), "ERR");
	ATF_CHECK_STREQ(alist("a@b>", out), "ERR");
	ATF_CHECK_STREQ(alist("g: a@b", out), "ERR");
	ATF_CHECK_STREQ(alist("g: h: a@b;;", out), "ERR");
	ATF_CHECK_STREQ(alist("@b", out), "ERR");
	ATF_CHECK_STREQ(alist("a@", out), "ERR");
	ATF_CHECK_STREQ(alist("<a@b> junk", out), "ERR");
	ATF_CHECK_STREQ(alist("a\x01@b", out), "ERR");
	/* Controls inside quotes or literals could break an SMTP line. */
	ATF_CHECK_STREQ(alist("\"a\rRCPT\"@b", out), "ERR");
	ATF_CHECK_STREQ(alist("\"a\\\nb\"@b", out), "ERR");
	ATF_CHECK_STREQ(alist("x@[1.2 .3.4]", out), "ERR");
	{
		const char nul[] = "\"a\0b\"@c";

		out[0] = '\0';
		ATF_CHECK_EQ(
		    msg_addr_list(nul, sizeof(nul) - 1, collect, out), -1);
	}
}

ATF_TC_WITHOUT_HEAD(addr_list_bounds);
ATF_TC_BODY(addr_list_bounds, tc)
{
	char *s;
	size_t i, n = 300;

	/* An address over SMTP_PATH_MAX. */
	s = malloc(MSG_ADDR_MAX * 4 + 10);
	ATF_REQUIRE(s != NULL);
	memset(s, 'a', n);
	memcpy(s + n, "@b", 3);
	ATF_CHECK_EQ(msg_addr_list(s, strlen(s), NULL, NULL), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	/* Too many addresses. */
	for (i = 0; i <= MSG_ADDR_MAX; i++)
		memcpy(s + i * 4, "a@b,", 4);
	s[(MSG_ADDR_MAX + 1) * 4 - 1] = '\0';
	ATF_CHECK_EQ(msg_addr_list(s, strlen(s), NULL, NULL), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	s[MSG_ADDR_MAX * 4 - 1] = '\0';
	ATF_CHECK_EQ(msg_addr_list(s, strlen(s), NULL, NULL), MSG_ADDR_MAX);
	free(s);
}

/* The Received counter of the loop check, fed whole and one byte at a
   time (every split must give the same count). */
ATF_TC_WITHOUT_HEAD(hops);
ATF_TC_BODY(hops, tc)
{
	static const struct {
		const char *in;
		int count, ended;
	} t[] = {
	    {"", 0, 0},
	    {"Received: a\nReceived: b\n\nReceived: body\n", 2, 1},
	    {"Received: a\r\nreceived : b\r\n\r\nReceived: c\r\n", 2, 1},
	    {"RECEIVED:x\n", 1, 0},
	    {"Subject: x\n Received: folded\n\n", 0, 1},
	    {"Received-SPF: pass\nReceivedx: y\nReceive: z\n\n", 0, 1},
	    {"X: Received: no\nReceived\n: no\n\n", 0, 1},
	    {"\nReceived: body\n", 0, 1},
	    {"Received:\rReceived: a\n\r\n", 1, 1},
	};
	struct msg_hops h;
	size_t i, j, n;
	int ended;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].in);
		msg_hops_init(&h);
		ended = msg_hops_feed(&h, t[i].in, n);
		ATF_CHECK_EQ_MSG(h.count, t[i].count, "case %zu: %d", i,
		    h.count);
		ATF_CHECK_EQ_MSG(ended, t[i].ended, "case %zu", i);
		msg_hops_init(&h);
		for (j = 0; j < n; j++)
			ended = msg_hops_feed(&h, t[i].in + j, 1);
		ATF_CHECK_EQ_MSG(h.count, t[i].count, "case %zu bytewise", i);
	}
}

/* 150 Received fields count as 150; looking stops at MSG_HEADER_MAX. */
ATF_TC_WITHOUT_HEAD(hops_bounds);
ATF_TC_BODY(hops_bounds, tc)
{
	struct msg_hops h;
	char *big;
	int i;

	msg_hops_init(&h);
	for (i = 0; i < 150; i++)
		(void)msg_hops_feed(&h, "Received: from x by y; date\n", 28);
	ATF_CHECK_EQ(h.count, 150);
	big = malloc(MSG_HEADER_MAX + 100);
	ATF_REQUIRE(big != NULL);
	memset(big, 'x', MSG_HEADER_MAX + 100);
	memcpy(big + MSG_HEADER_MAX - 1, "\nReceived: late\n", 16);
	msg_hops_init(&h);
	ATF_CHECK_EQ(msg_hops_feed(&h, big, MSG_HEADER_MAX + 100), 1);
	ATF_CHECK_EQ(h.count, 0);
	free(big);
}

/* msg_header_len: LF and CRLF, no header, a line of WSP is no empty
   line, a lone CR is no line end, none found. */
ATF_TC_WITHOUT_HEAD(header_len);
ATF_TC_BODY(header_len, tc)
{
	static const struct {
		const char *m;
		size_t want;
	} t[] = {
	    {"A: 1\nB: 2\n\nbody\n", 11},
	    {"A: 1\r\n\r\nbody", 8},
	    {"A: 1\n folded\n\n", 14},
	    {"\nbody", 1},
	    {"\r\n", 2},
	    {"A: 1\n \nB: 2\n\n", 13},
	    {"A: 1\r\r\nx", (size_t)-1},
	    {"A: 1\nB: 2\n", (size_t)-1},
	    {"A: 1", (size_t)-1},
	    {"", (size_t)-1},
	    {"A: 1\n\r", (size_t)-1},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(msg_header_len(t[i].m, strlen(t[i].m)),
		    t[i].want, "case %zu", i);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, iter_basic);
	ATF_TP_ADD_TC(tp, header_len);
	ATF_TP_ADD_TC(tp, iter_lf_and_obs);
	ATF_TP_ADD_TC(tp, iter_non_header_line);
	ATF_TP_ADD_TC(tp, scan_lines);
	ATF_TP_ADD_TC(tp, scan_bounds);
	ATF_TP_ADD_TC(tp, unfold);
	ATF_TP_ADD_TC(tp, date);
	ATF_TP_ADD_TC(tp, date_parse);
	ATF_TP_ADD_TC(tp, message_id);
	ATF_TP_ADD_TC(tp, addr_list);
	ATF_TP_ADD_TC(tp, addr_list_bounds);
	ATF_TP_ADD_TC(tp, hops);
	ATF_TP_ADD_TC(tp, hops_bounds);
	return atf_no_error();
}
