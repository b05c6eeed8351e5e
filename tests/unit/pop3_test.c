/*
 * pop3_test: command parsing, numbers, response lines, the RETR/TOP
 * encoder (against a reference built line by line, with the input split
 * at every position), unique-ids, and the client-side parsers.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "bounds.h"
#include "buf.h"
#include "pop3.h"

struct cmd_case {
	const char *in;
	int rc;
	enum pop3_verb verb;
	int nargs;
	const char *a0, *a1;
};

#define A40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct cmd_case cmd_cases[] = {
    {"STAT", 0, POP3_CMD_STAT, 0, NULL, NULL},
    {"stat", 0, POP3_CMD_STAT, 0, NULL, NULL},
    {"sTaT ", 0, POP3_CMD_STAT, 0, NULL, NULL},
    {"STAT 1", POP3_PARSE_NARGS, POP3_CMD_STAT, 0, NULL, NULL},
    {"LIST", 0, POP3_CMD_LIST, 0, NULL, NULL},
    {"LIST 1", 0, POP3_CMD_LIST, 1, "1", NULL},
    {"LIST  12  ", 0, POP3_CMD_LIST, 1, "12", NULL},
    {"LIST 1 2", POP3_PARSE_NARGS, POP3_CMD_LIST, 0, NULL, NULL},
    {"RETR 3", 0, POP3_CMD_RETR, 1, "3", NULL},
    {"RETR", POP3_PARSE_NARGS, POP3_CMD_RETR, 0, NULL, NULL},
    {"DELE 7", 0, POP3_CMD_DELE, 1, "7", NULL},
    {"TOP 1 10", 0, POP3_CMD_TOP, 2, "1", "10"},
    {"top 1", POP3_PARSE_NARGS, POP3_CMD_TOP, 0, NULL, NULL},
    {"TOP 1 2 3", POP3_PARSE_NARGS, POP3_CMD_TOP, 0, NULL, NULL},
    {"UIDL", 0, POP3_CMD_UIDL, 0, NULL, NULL},
    {"UIDL 2", 0, POP3_CMD_UIDL, 1, "2", NULL},
    {"NOOP", 0, POP3_CMD_NOOP, 0, NULL, NULL},
    {"RSET", 0, POP3_CMD_RSET, 0, NULL, NULL},
    {"QUIT", 0, POP3_CMD_QUIT, 0, NULL, NULL},
    {"CAPA", 0, POP3_CMD_CAPA, 0, NULL, NULL},
    {"STLS", 0, POP3_CMD_STLS, 0, NULL, NULL},
    {"AUTH", 0, POP3_CMD_AUTH, 0, NULL, NULL},
    {"AUTH PLAIN", 0, POP3_CMD_AUTH, 1, "PLAIN", NULL},
    {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", 0, POP3_CMD_AUTH, 2, "PLAIN",
	"AGFsaWNlAHNlY3JldA=="},
    {"AUTH PLAIN " A40 A40, 0, POP3_CMD_AUTH, 2, "PLAIN", A40 A40},
    {"AUTH PLAIN a b", POP3_PARSE_NARGS, POP3_CMD_AUTH, 0, NULL, NULL},
    {"APOP u 0123", 0, POP3_CMD_APOP, 2, "u", "0123"},
    {"USER alice", 0, POP3_CMD_USER, 1, "alice", NULL},
    {"USER alice  ", 0, POP3_CMD_USER, 1, "alice", NULL},
    {"USER " A40 A40, 0, POP3_CMD_USER, 1, A40 A40, NULL},
    {"USER j\xc3\xbcrgen", 0, POP3_CMD_USER, 1, "j\xc3\xbcrgen", NULL},
    {"USER a b", POP3_PARSE_NARGS, POP3_CMD_USER, 0, NULL, NULL},
    {"USER", POP3_PARSE_NARGS, POP3_CMD_USER, 0, NULL, NULL},
    {"USER ", POP3_PARSE_NARGS, POP3_CMD_USER, 0, NULL, NULL},
    {"PASS se cret ", 0, POP3_CMD_PASS, 1, "se cret ", NULL},
    {"PASS  x", 0, POP3_CMD_PASS, 1, " x", NULL},
    {"PASS", POP3_PARSE_NARGS, POP3_CMD_PASS, 0, NULL, NULL},
    {"LIST " A40, 0, POP3_CMD_LIST, 1, A40, NULL},
    {"LIST " A40 "a", POP3_PARSE_ARGLEN, POP3_CMD_LIST, 0, NULL, NULL},
    {"RETR \xc3\xa9", POP3_PARSE_CHAR, POP3_CMD_RETR, 0, NULL, NULL},
    {"RETR 1\t", POP3_PARSE_CHAR, POP3_CMD_RETR, 0, NULL, NULL},
    {"PASS a\x7f", POP3_PARSE_CHAR, POP3_CMD_PASS, 0, NULL, NULL},
    {"STAT\t", POP3_PARSE_CHAR, POP3_CMD_NONE, 0, NULL, NULL},
    {"FOO", POP3_PARSE_UNKNOWN, POP3_CMD_NONE, 0, NULL, NULL},
    {"XTND 1", POP3_PARSE_UNKNOWN, POP3_CMD_NONE, 0, NULL, NULL},
    {"HELO", POP3_PARSE_UNKNOWN, POP3_CMD_NONE, 0, NULL, NULL},
    {"STATS", POP3_PARSE_KEYWORD, POP3_CMD_NONE, 0, NULL, NULL},
    {"ST", POP3_PARSE_KEYWORD, POP3_CMD_NONE, 0, NULL, NULL},
    {"", POP3_PARSE_KEYWORD, POP3_CMD_NONE, 0, NULL, NULL},
    {" STAT", POP3_PARSE_KEYWORD, POP3_CMD_NONE, 0, NULL, NULL},
    {"ST4T", POP3_PARSE_KEYWORD, POP3_CMD_NONE, 0, NULL, NULL},
    {"GET / HTTP/1.0", POP3_PARSE_UNKNOWN, POP3_CMD_NONE, 0, NULL, NULL},
};

ATF_TC_WITHOUT_HEAD(cmd_parse);
ATF_TC_BODY(cmd_parse, tc)
{
	struct pop3_cmd c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *t = &cmd_cases[i];

		rc = pop3_cmd_parse(t->in, strlen(t->in), &c);
		ATF_CHECK_EQ_MSG(rc, t->rc, "%s: rc %d", t->in, rc);
		if (rc != 0 && rc != POP3_PARSE_UNKNOWN)
			continue;
		ATF_CHECK_EQ_MSG(c.verb, t->verb, "%s: verb %d", t->in, c.verb);
		if (rc != 0)
			continue;
		ATF_CHECK_EQ_MSG(
		    c.nargs, t->nargs, "%s: nargs %d", t->in, c.nargs);
		if (t->a0 != NULL)
			ATF_CHECK_MSG(c.arglen[0] == strlen(t->a0) &&
				memcmp(c.arg[0], t->a0, c.arglen[0]) == 0,
			    "%s: arg0 %.*s", t->in, (int)c.arglen[0], c.arg[0]);
		if (t->a1 != NULL)
			ATF_CHECK_MSG(c.arglen[1] == strlen(t->a1) &&
				memcmp(c.arg[1], t->a1, c.arglen[1]) == 0,
			    "%s: arg1 %.*s", t->in, (int)c.arglen[1], c.arg[1]);
	}
	/* The keyword comes back upper-cased even when unknown. */
	ATF_CHECK_EQ(pop3_cmd_parse("xtnd", 4, &c), POP3_PARSE_UNKNOWN);
	ATF_CHECK_STREQ(c.keyword, "XTND");
	/* NUL bytes are seen (length, not strlen). */
	ATF_CHECK_EQ(pop3_cmd_parse("RETR 1\0x", 8, &c), POP3_PARSE_CHAR);
	ATF_CHECK_EQ(pop3_cmd_parse("ST\0T", 4, &c), POP3_PARSE_CHAR);
	/* AUTH's rest is the whole argument text. */
	ATF_REQUIRE_EQ(pop3_cmd_parse("AUTH PLAIN =", 12, &c), 0);
	ATF_CHECK(c.restlen == 7 && memcmp(c.rest, "PLAIN =", 7) == 0);
	ATF_CHECK_STREQ(pop3_parse_text(POP3_PARSE_UNKNOWN), "unknown command");
}

ATF_TC_WITHOUT_HEAD(cmd_line_limit);
ATF_TC_BODY(cmd_line_limit, tc)
{
	char line[POP3_CMD_LINE_MAX + 8];
	struct pop3_cmd c;

	/* RFC 2449 §4: 255 octets with CRLF, so 253 without. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PASS ", 5);
	ATF_CHECK_EQ(pop3_cmd_parse(line, POP3_CMD_LINE_MAX - 2, &c), 0);
	ATF_CHECK_EQ(c.arglen[0], POP3_CMD_LINE_MAX - 7);
	ATF_CHECK_EQ(pop3_cmd_parse(line, POP3_CMD_LINE_MAX - 1, &c),
	    POP3_PARSE_TOOLONG);
}

ATF_TC_WITHOUT_HEAD(num_parse);
ATF_TC_BODY(num_parse, tc)
{
	unsigned long v = 99;

	ATF_CHECK(pop3_num_parse("1", 1, 10, &v) == 0 && v == 1);
	ATF_CHECK(pop3_num_parse("0", 1, 10, &v) == 0 && v == 0);
	ATF_CHECK(pop3_num_parse("010", 3, 10, &v) == 0 && v == 10);
	ATF_CHECK(pop3_num_parse("11", 2, 10, &v) == -1);
	ATF_CHECK(pop3_num_parse("", 0, 10, &v) == -1);
	ATF_CHECK(pop3_num_parse("-1", 2, 10, &v) == -1);
	ATF_CHECK(pop3_num_parse("+1", 2, 10, &v) == -1);
	ATF_CHECK(pop3_num_parse("1a", 2, 10, &v) == -1);
	ATF_CHECK(pop3_num_parse("4294967295", 10, 4294967295UL, &v) == 0 &&
	    v == 4294967295UL);
	ATF_CHECK(
	    pop3_num_parse("99999999999", 11, (unsigned long)-1, &v) == -1);
	/* Only len bytes are read. */
	ATF_CHECK(pop3_num_parse("12x", 2, 100, &v) == 0 && v == 12);
}

ATF_TC_WITHOUT_HEAD(resp_format);
ATF_TC_BODY(resp_format, tc)
{
	char out[POP3_RESP_LINE_MAX - 1], big[1000];
	size_t n;

	n = pop3_resp_format(
	    out, sizeof(out), 1, POP3_CODE_NONE, "%d %d", 2, 320);
	ATF_CHECK_STREQ(out, "+OK 2 320");
	ATF_CHECK_EQ(n, 9);
	pop3_resp_format(out, sizeof(out), 1, POP3_CODE_NONE, "%s", "");
	ATF_CHECK_STREQ(out, "+OK");
	pop3_resp_format(
	    out, sizeof(out), 0, POP3_CODE_IN_USE, "maildrop locked");
	ATF_CHECK_STREQ(out, "-ERR [IN-USE] maildrop locked");
	pop3_resp_format(out, sizeof(out), 0, POP3_CODE_AUTH, "invalid");
	ATF_CHECK_STREQ(out, "-ERR [AUTH] invalid");
	pop3_resp_format(out, sizeof(out), 0, POP3_CODE_SYS_TEMP, "x");
	ATF_CHECK_STREQ(out, "-ERR [SYS/TEMP] x");
	pop3_resp_format(out, sizeof(out), 0, POP3_CODE_SYS_PERM, "x");
	ATF_CHECK_STREQ(out, "-ERR [SYS/PERM] x");
	pop3_resp_format(out, sizeof(out), 0, POP3_CODE_NONE, "no\r\nINJ");
	ATF_CHECK_STREQ(out, "-ERR no??INJ");
	/* RFC 2449 §4: 512 with CRLF. */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = pop3_resp_format(out, sizeof(out), 0, POP3_CODE_NONE, "%s", big);
	ATF_CHECK_EQ(n, POP3_RESP_LINE_MAX - 2);
	ATF_CHECK_EQ(strlen(out), POP3_RESP_LINE_MAX - 2);
	/* A small buffer is never overrun. */
	n = pop3_resp_format(out, 8, 0, POP3_CODE_SYS_TEMP, "abc");
	ATF_CHECK_EQ(n, 7);
	ATF_CHECK_STREQ(out, "-ERR [S");
	ATF_CHECK_STREQ(pop3_code_name(POP3_CODE_LOGIN_DELAY), "LOGIN-DELAY");
}

/*
 * The reference: split at LF, drop one CR before each LF, stuff a
 * leading ".", end each line with CRLF; TOP keeps the lines through the
 * first empty one and then top more.  octets: file bytes plus one for
 * each LF without a CR before it.
 */
static void
reference(
    const char *in, size_t n, long long top, struct buf *out, long long *octets)
{
	size_t i = 0, j, end;
	int body = 0, stop = 0;

	*octets = 0;
	for (i = 0; i < n; i++)
		*octets += 1 + (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'));
	for (i = 0; i < n && !stop; i = j) {
		int lf;

		for (j = i; j < n && in[j] != '\n'; j++)
			;
		lf = j < n;
		end = j;
		if (lf && end > i && in[end - 1] == '\r')
			end--;
		if (lf)
			j++;
		if (end > i && in[i] == '.')
			buf_putc(out, '.');
		buf_append(out, in + i, end - i);
		buf_append(out, "\r\n", 2);
		if (top < 0)
			continue;
		if (body && top-- == 1)
			stop = 1;
		else if (!body && end == i && lf) {
			body = 1;
			if (top == 0)
				stop = 1;
		}
	}
	buf_append(out, ".\r\n", 3);
}

static void
encode(const char *in, size_t n, long long top, const size_t *cuts,
    size_t ncuts, struct buf *out, long long *octets)
{
	struct pop3_enc e;
	size_t prev = 0, k;

	pop3_enc_init(&e, top);
	for (k = 0; k <= ncuts; k++) {
		size_t at = k < ncuts ? cuts[k] : n;

		ATF_REQUIRE_EQ(
		    pop3_enc_chunk(&e, in + prev, at - prev, out), 0);
		prev = at;
	}
	ATF_REQUIRE_EQ(pop3_enc_end(&e, out), 0);
	*octets = e.octets;
}

static const char *const enc_inputs[] = {
    "",
    "a",
    "a\n",
    "a\r\n",
    "Subject: x\n\nbody\n",
    "Subject: x\r\n\r\nbody\r\n",
    ".\n",
    "..\n",
    ".a\n.\n..\nx.\n",
    "\n.\n",
    "h: 1\n\n.\n.x\n\n\nl3\nl4",
    "h: 1\r\n\r\n.\r\n.x\r\n\r\n\r\nl3\r\nl4\r\n",
    "bare\rcr\r\r\n.\r.\n\r",
    "no blank line\nat all\n.stuffed\n",
    "x\r",
    "\r\n",
    "\r\r\n\n",
    "mixed\r\nends\nhere\r\n\nbody\r\n.dot\nlast",
    "h:1\n\n\n\n\n",
};

static void
check_one(
    const char *in, size_t n, long long top, const size_t *cuts, size_t ncuts)
{
	struct buf want, got;
	long long wo, go;

	buf_init(&want, 0);
	buf_init(&got, 0);
	reference(in, n, top, &want, &wo);
	encode(in, n, top, cuts, ncuts, &got, &go);
	if (want.len != got.len || memcmp(want.data, got.data, got.len) != 0)
		atf_tc_fail_nonfatal("input \"%s\" top %lld cut %zu/%zu: "
				     "got %zu bytes, want %zu",
		    in, top, ncuts > 0 ? cuts[0] : 0, ncuts > 1 ? cuts[1] : 0,
		    got.len, want.len);
	if (top < 0 && wo != go)
		atf_tc_fail_nonfatal(
		    "input \"%s\": octets %lld, want %lld", in, go, wo);
	buf_free(&want);
	buf_free(&got);
}

ATF_TC_WITHOUT_HEAD(enc_every_split);
ATF_TC_BODY(enc_every_split, tc)
{
	static const long long tops[] = {-1, 0, 1, 2, 3, 100};
	size_t i, t, a, b, cuts[2];

	for (i = 0; i < sizeof(enc_inputs) / sizeof(enc_inputs[0]); i++) {
		const char *in = enc_inputs[i];
		size_t n = strlen(in);

		for (t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
			check_one(in, n, tops[t], NULL, 0);
			for (a = 0; a <= n; a++) {
				cuts[0] = a;
				check_one(in, n, tops[t], cuts, 1);
				for (b = a; b <= n; b++) {
					cuts[1] = b;
					check_one(in, n, tops[t], cuts, 2);
				}
			}
		}
	}
}

ATF_TC_WITHOUT_HEAD(enc_exact);
ATF_TC_BODY(enc_exact, tc)
{
	struct buf out;
	long long oct;
	size_t cut = 1;

	/* Hand-written expectations, not the reference. */
	buf_init(&out, 0);
	encode("A: b\n\n.x\n..\nend", 15, -1, NULL, 0, &out, &oct);
	ATF_CHECK_STREQ(
	    buf_cstr(&out), "A: b\r\n\r\n..x\r\n...\r\nend\r\n.\r\n");
	ATF_CHECK_EQ(oct, 15 + 4);
	buf_reset(&out);
	encode("A: b\r\n\r\nl1\r\nl2\r\nl3\r\n", 22, 2, &cut, 1, &out, &oct);
	ATF_CHECK_STREQ(buf_cstr(&out), "A: b\r\n\r\nl1\r\nl2\r\n.\r\n");
	buf_reset(&out);
	encode("A: b\n\nl1\n", 9, 0, NULL, 0, &out, &oct);
	ATF_CHECK_STREQ(buf_cstr(&out), "A: b\r\n\r\n.\r\n");
	buf_reset(&out);
	/* A CR split from its LF: one CRLF, not CR CR LF. */
	cut = 2;
	encode("a\r\nb\n", 5, -1, &cut, 1, &out, &oct);
	ATF_CHECK_STREQ(buf_cstr(&out), "a\r\nb\r\n.\r\n");
	ATF_CHECK_EQ(oct, 6);
	buf_reset(&out);
	encode("", 0, -1, NULL, 0, &out, &oct);
	ATF_CHECK_STREQ(buf_cstr(&out), ".\r\n");
	ATF_CHECK_EQ(oct, 0);
	buf_free(&out);
}

ATF_TC_WITHOUT_HEAD(enc_large);
ATF_TC_BODY(enc_large, tc)
{
	struct buf in, want, got;
	long long wo, go;
	size_t i, cuts[64];

	/* 1 MB of mixed lines in 64 uneven chunks. */
	buf_init(&in, 0);
	buf_init(&want, 0);
	buf_init(&got, 0);
	for (i = 0; in.len < 1024 * 1024; i++)
		buf_printf(&in, "%s%zu%s", i % 7 == 0 ? "." : "line ", i,
		    i % 3 == 0 ? "\r\n" : "\n");
	for (i = 0; i < 64; i++)
		cuts[i] = (in.len / 64) * i + (i * 37) % 101;
	reference(in.data, in.len, -1, &want, &wo);
	encode(in.data, in.len, -1, cuts, 64, &got, &go);
	ATF_CHECK_EQ(want.len, got.len);
	ATF_CHECK(memcmp(want.data, got.data, got.len) == 0);
	ATF_CHECK_EQ(wo, go);
	buf_free(&in);
	buf_free(&want);
	buf_free(&got);
}

ATF_TC_WITHOUT_HEAD(uidl);
ATF_TC_BODY(uidl, tc)
{
	char u[POP3_UIDL_LEN + 1], long70[71], long71[72];

	pop3_uidl_make(0x5f5e100, 42, u, sizeof(u));
	ATF_CHECK_STREQ(u, "05f5e1000000002a");
	pop3_uidl_make(0xffffffffu, 0xffffffffu, u, sizeof(u));
	ATF_CHECK_STREQ(u, "ffffffffffffffff");
	ATF_CHECK(pop3_uidl_valid(u, strlen(u)));
	memset(long70, '~', 70);
	long70[70] = '\0';
	memset(long71, '!', 71);
	long71[71] = '\0';
	ATF_CHECK(pop3_uidl_valid(long70, 70));
	ATF_CHECK(!pop3_uidl_valid(long71, 71));
	ATF_CHECK(!pop3_uidl_valid("", 0));
	ATF_CHECK(!pop3_uidl_valid("a b", 3));
	ATF_CHECK(!pop3_uidl_valid("a\x7f", 2));
	ATF_CHECK(!pop3_uidl_valid("\xc3\xa9", 2));
}

ATF_TC_WITHOUT_HEAD(resp_parse);
ATF_TC_BODY(resp_parse, tc)
{
	struct pop3_resp r;

#define TXT(r) ((int)(r).textlen), (r).text
	ATF_REQUIRE_EQ(pop3_resp_parse("+OK 2 320", 9, &r), 0);
	ATF_CHECK(r.kind == POP3_RESP_OK && r.textlen == 5 &&
	    memcmp(r.text, "2 320", 5) == 0);
	ATF_REQUIRE_EQ(pop3_resp_parse("+ok", 3, &r), 0);
	ATF_CHECK(r.kind == POP3_RESP_OK && r.textlen == 0);
	ATF_REQUIRE_EQ(pop3_resp_parse("-ERR [IN-USE] locked", 20, &r), 0);
	ATF_CHECK(r.kind == POP3_RESP_ERR);
	ATF_CHECK_STREQ(r.code, "IN-USE");
	ATF_CHECK_EQ(r.known, POP3_CODE_IN_USE);
	ATF_CHECK_MSG(
	    r.textlen == 6 && memcmp(r.text, "locked", 6) == 0, "%.*s", TXT(r));
	ATF_REQUIRE_EQ(pop3_resp_parse("-ERR [sys/temp]", 15, &r), 0);
	ATF_CHECK_EQ(r.known, POP3_CODE_SYS_TEMP);
	ATF_CHECK_EQ(r.textlen, 0);
	ATF_REQUIRE_EQ(pop3_resp_parse("-ERR [AUTH/X-Y] no", 18, &r), 0);
	ATF_CHECK_STREQ(r.code, "AUTH/X-Y");
	ATF_CHECK_EQ(r.known, POP3_CODE_NONE);
	/* Malformed codes stay in the text. */
	ATF_REQUIRE_EQ(pop3_resp_parse("-ERR [] x", 9, &r), 0);
	ATF_CHECK(r.code[0] == '\0' && r.textlen == 4);
	ATF_REQUIRE_EQ(pop3_resp_parse("-ERR [A//B] x", 13, &r), 0);
	ATF_CHECK(r.code[0] == '\0');
	ATF_REQUIRE_EQ(pop3_resp_parse("-ERR [open", 10, &r), 0);
	ATF_CHECK(r.code[0] == '\0' && r.textlen == 5);
	ATF_REQUIRE_EQ(pop3_resp_parse("+ ", 2, &r), 0);
	ATF_CHECK(r.kind == POP3_RESP_CONT && r.textlen == 0);
	ATF_REQUIRE_EQ(pop3_resp_parse("+ YWJj", 6, &r), 0);
	ATF_CHECK(r.kind == POP3_RESP_CONT && r.textlen == 4);
	ATF_REQUIRE_EQ(pop3_resp_parse("+", 1, &r), 0);
	ATF_CHECK(r.kind == POP3_RESP_CONT);
	ATF_CHECK_EQ(pop3_resp_parse("+OKAY", 5, &r), -1);
	ATF_CHECK_EQ(pop3_resp_parse("-ERROR", 6, &r), -1);
	ATF_CHECK_EQ(pop3_resp_parse("", 0, &r), -1);
	ATF_CHECK_EQ(pop3_resp_parse("220 smtp", 8, &r), -1);
	ATF_CHECK_EQ(pop3_resp_parse("-ER", 3, &r), -1);
}

ATF_TC_WITHOUT_HEAD(listing_parse);
ATF_TC_BODY(listing_parse, tc)
{
	char uid[POP3_UIDL_MAX + 1];
	unsigned long m;
	long long sz;

	ATF_CHECK(pop3_list_line_parse("1 320", 5, &m, &sz) == 0 && m == 1 &&
	    sz == 320);
	ATF_CHECK(pop3_list_line_parse("12 0 extra", 10, &m, &sz) == 0 &&
	    m == 12 && sz == 0);
	ATF_CHECK(pop3_list_line_parse("0 1", 3, &m, &sz) == -1);
	ATF_CHECK(pop3_list_line_parse("1", 1, &m, &sz) == -1);
	ATF_CHECK(pop3_list_line_parse("1 ", 2, &m, &sz) == -1);
	ATF_CHECK(pop3_list_line_parse("1 2x", 4, &m, &sz) == -1);
	ATF_CHECK(pop3_list_line_parse("a 2", 3, &m, &sz) == -1);
	ATF_CHECK(pop3_list_line_parse("1 -2", 4, &m, &sz) == -1);
	ATF_CHECK(
	    pop3_list_line_parse("1 9999999999999999999", 21, &m, &sz) == -1);
	ATF_CHECK(
	    pop3_uidl_line_parse("3 abc-1.x", 9, &m, uid, sizeof(uid)) == 0 &&
	    m == 3);
	ATF_CHECK_STREQ(uid, "abc-1.x");
	ATF_CHECK(pop3_uidl_line_parse("3 abc ", 6, &m, uid, sizeof(uid)) == 0);
	ATF_CHECK(pop3_uidl_line_parse("3 a b", 5, &m, uid, sizeof(uid)) == -1);
	ATF_CHECK(pop3_uidl_line_parse("3 ", 2, &m, uid, sizeof(uid)) == -1);
	ATF_CHECK(pop3_uidl_line_parse("3 abcd", 6, &m, uid, 4) == -1);
	ATF_CHECK(pop3_uidl_line_parse("x abc", 5, &m, uid, sizeof(uid)) == -1);
	ATF_CHECK(
	    pop3_stat_parse("2 320", 5, &m, &sz) == 0 && m == 2 && sz == 320);
	ATF_CHECK(pop3_stat_parse("0 0", 3, &m, &sz) == 0 && m == 0);
	ATF_CHECK(pop3_stat_parse("2", 1, &m, &sz) == -1);
}

ATF_TC_WITHOUT_HEAD(multiline_end);
ATF_TC_BODY(multiline_end, tc)
{
	int skip;

	ATF_CHECK(pop3_multiline_end(".", 1, &skip) == 1);
	ATF_CHECK(pop3_multiline_end("..", 2, &skip) == 0 && skip == 1);
	ATF_CHECK(pop3_multiline_end(".x", 2, &skip) == 0 && skip == 1);
	ATF_CHECK(pop3_multiline_end("x.", 2, &skip) == 0 && skip == 0);
	ATF_CHECK(pop3_multiline_end("", 0, &skip) == 0 && skip == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cmd_parse);
	ATF_TP_ADD_TC(tp, cmd_line_limit);
	ATF_TP_ADD_TC(tp, num_parse);
	ATF_TP_ADD_TC(tp, resp_format);
	ATF_TP_ADD_TC(tp, enc_every_split);
	ATF_TP_ADD_TC(tp, enc_exact);
	ATF_TP_ADD_TC(tp, enc_large);
	ATF_TP_ADD_TC(tp, uidl);
	ATF_TP_ADD_TC(tp, resp_parse);
	ATF_TP_ADD_TC(tp, listing_parse);
	ATF_TP_ADD_TC(tp, multiline_end);
	return atf_no_error();
}
