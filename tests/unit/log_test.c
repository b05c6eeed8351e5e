/*
 * log_test: the trace shows protocol lines but never a secret.
 */
#include <string.h>

#include <atf-c.h>

#include "log.h"

/* One call per check: ATF_CHECK_STREQ evaluates its arguments twice. */
#define CHECK_REDACT(l, from_client, line, want) \
	do { \
		char out_[1024]; \
		log_redact((l), (from_client), (line), strlen(line), out_, \
		    sizeof(out_)); \
		ATF_CHECK_STREQ_MSG(out_, (want), "%s -> %s", (line), out_); \
	} while (0)

ATF_TC_WITHOUT_HEAD(smtp_auth_plain);
ATF_TC_BODY(smtp_auth_plain, tc)
{
	struct log l;

	log_open(&l, "t", 0, 0);
	CHECK_REDACT(&l, 1, "EHLO me", "EHLO me");
	CHECK_REDACT(
	    &l, 1, "AUTH PLAIN AHVzZXIAc2VjcmV0", "AUTH PLAIN [redacted]");
	CHECK_REDACT(&l, 0, "235 2.7.0 ok", "235 2.7.0 ok");
	CHECK_REDACT(&l, 1, "MAIL FROM:<a@b>", "MAIL FROM:<a@b>");
}

ATF_TC_WITHOUT_HEAD(smtp_auth_login);
ATF_TC_BODY(smtp_auth_login, tc)
{
	struct log l;

	log_open(&l, "t", 0, 0);
	CHECK_REDACT(&l, 1, "auth login", "auth login");
	CHECK_REDACT(&l, 0, "334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6");
	CHECK_REDACT(&l, 1, "dXNlcg==", "[redacted]");
	CHECK_REDACT(&l, 0, "334 UGFzc3dvcmQ6", "334 UGFzc3dvcmQ6");
	CHECK_REDACT(&l, 1, "c2VjcmV0", "[redacted]");
	CHECK_REDACT(&l, 0, "235 ok", "235 ok");
	CHECK_REDACT(&l, 1, "QUIT", "QUIT");
}

ATF_TC_WITHOUT_HEAD(pop_imap);
ATF_TC_BODY(pop_imap, tc)
{
	struct log l;

	log_open(&l, "t", 0, 0);
	CHECK_REDACT(&l, 1, "USER joe", "USER joe");
	CHECK_REDACT(&l, 1, "PASS hunter2", "PASS [redacted]");
	CHECK_REDACT(&l, 1, "a1 LOGIN joe hunter2", "a1 LOGIN joe [redacted]");
	CHECK_REDACT(&l, 1, "a2 AUTHENTICATE PLAIN", "a2 AUTHENTICATE PLAIN");
	CHECK_REDACT(&l, 0, "+ ", "+ ");
	CHECK_REDACT(&l, 1, "AGpvZQBodW50ZXIy", "[redacted]");
	CHECK_REDACT(&l, 0, "a2 OK done", "a2 OK done");
	CHECK_REDACT(&l, 1, "a3 SELECT INBOX", "a3 SELECT INBOX");
}

ATF_TC_WITHOUT_HEAD(control_chars);
ATF_TC_BODY(control_chars, tc)
{
	struct log l;

	log_open(&l, "t", 0, 0);
	CHECK_REDACT(&l, 0, "250 a\033[2Jb", "250 a?[2Jb");
}

/* Values from the network stay one field of a log line. */
ATF_TC_WITHOUT_HEAD(escape);
ATF_TC_BODY(escape, tc)
{
	static const struct {
		const char *in;
		size_t outlen;
		const char *want;
	} t[] = {
	    {"a@b.example", 64, "a@b.example"},
	    {"\"x> auth=admin result=\\\"250 ok\\\" z=<\"@x.org", 128,
		"\\x22x\\x3e\\x20auth=admin\\x20result=\\x5c\\x22250\\x20ok"
		"\\x5c\\x22\\x20z=\\x3c\\x22@x.org"},
	    {"a\r\nb\tc\x7f", 64, "a\\x0d\\x0ab\\x09c\\x7f"},
	    {"j\xc3\xbcrgen@example.org", 64, "j\xc3\xbcrgen@example.org"},
	    {"", 8, ""},
	    /* cut: "..." after whole escapes and characters */
	    {"abcdefghij", 8, "abcd..."},
	    {"ab\"cdefgh", 10, "ab\\x22..."},
	    {"ab\"cdefgh", 9, "ab..."},
	    {"ab\xc3\xbc\xc3\xbcxyz", 9, "ab\xc3\xbc..."},
	    {"abc\xc3\xbc\xc3\xbcxyz", 8, "abc..."},
	    {"abc", 4, ""},
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 0x80, sizeof(out)); /* continuation bytes */
		log_esc(out, t[i].outlen, t[i].in);
		ATF_CHECK_STREQ_MSG(out, t[i].want, "case %zu: %s", i, out);
		ATF_CHECK_MSG(strlen(out) < t[i].outlen, "case %zu", i);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, smtp_auth_plain);
	ATF_TP_ADD_TC(tp, smtp_auth_login);
	ATF_TP_ADD_TC(tp, pop_imap);
	ATF_TP_ADD_TC(tp, control_chars);
	ATF_TP_ADD_TC(tp, escape);
	return atf_no_error();
}
