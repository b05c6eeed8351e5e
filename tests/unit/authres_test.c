/*
 * authres_test: common/authres (RFC 8601): the authserv-id of a field
 * value (comments before it, a quoted-string, a version after it, what
 * is not one) and whether a field claims ours, and mailboxes as
 * pvalues.
 */
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "authres.h"
#include "buf.h"

ATF_TC_WITHOUT_HEAD(servid);
ATF_TC_BODY(servid, tc)
{
	static const struct {
		const char *in;
		const char *id; /* NULL: none */
	} t[] = {
	    {" mx.test; spf=pass", "mx.test"},
	    {"mx.test;spf=pass", "mx.test"},
	    {" mx.test 1; dkim=pass", "mx.test"}, /* authres-version */
	    {"\r\n\tmx.test;\r\n\tspf=pass\r\n", "mx.test"},
	    {" (forged) mx.test; dkim=pass", "mx.test"},
	    {" (a (nested \\) one)) mx.test; none", "mx.test"},
	    {" \"mx.test\"; none", "mx.test"},
	    {" \"mx\\\".test\"; none", "mx\".test"},
	    {" mx.test(c); none", "mx.test"},
	    {" MX.Test.; none", "MX.Test."},
	    {" ; spf=pass", NULL},
	    {"", NULL},
	    {"   ", NULL},
	    {" (never closed mx.test; spf=pass", NULL},
	    {" \"never closed; spf=pass", NULL},
	    {" \"mx\001.test\"; none", NULL},
	    {" ((((((((((((((((((deep)))))))))))))))))) mx.test;", NULL},
	};
	char out[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = authres_servid(t[i].in, strlen(t[i].in), out, sizeof(out));
		if (t[i].id == NULL)
			ATF_CHECK_EQ_MSG(rc, -1, "%zu: got \"%s\"", i, out);
		else {
			ATF_CHECK_EQ_MSG(rc, 0, "%zu: none", i);
			if (rc == 0)
				ATF_CHECK_STREQ_MSG(out, t[i].id, "%zu", i);
		}
	}
	/* Too long for out. */
	ATF_CHECK_EQ(authres_servid(" mx.test;", 9, out, 4), -1);
}

ATF_TC_WITHOUT_HEAD(claims);
ATF_TC_BODY(claims, tc)
{
	static const struct {
		const char *in;
		const char *id;
		int ours;
	} t[] = {
	    {" mx.test; dkim=pass", "mx.test", 1},
	    {" MX.TEST; dkim=pass", "mx.test", 1},
	    {" mx.test.; dkim=pass", "mx.test", 1},
	    {" mx.test; dkim=pass", "mx.test.", 1},
	    {" (c) \"mx.test\" 1; dkim=pass", "mx.test", 1},
	    {" mx.test.example; dkim=pass", "mx.test", 0},
	    {" x.mx.test; dkim=pass", "mx.test", 0},
	    {" mx.tes; dkim=pass", "mx.test", 0},
	    {" elsewhere.test; spf=pass", "mx.test", 0},
	    {" (mx.test) other.test; spf=pass", "mx.test", 0},
	    {" (unclosed mx.test; spf=pass", "mx.test", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(
		    authres_claims(t[i].in, strlen(t[i].in), t[i].id),
		    t[i].ours, "%zu \"%s\"", i, t[i].in);
}

ATF_TC_WITHOUT_HEAD(mailbox);
ATF_TC_BODY(mailbox, tc)
{
	static const struct {
		const char *in;
		const char *out;
	} t[] = {
	    {"joe@example.org", "joe@example.org"},
	    {"j.o+e@example.org", "j.o+e@example.org"},
	    {"\"j o\"@example.org", "\"j o\"@example.org"},
	    {"j o;e@example.org", "\"j o;e\"@example.org"},
	    {"a\"b@example.org", "\"a\\\"b\"@example.org"},
	    {"x\ty@example.org", "\"x?y\"@example.org"},
	    {"x\177y@example.org", "\"x?y\"@example.org"},
	    {"postmaster", "postmaster"},
	    {"\303\251@example.org", "\303\251@example.org"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		ATF_CHECK_EQ(authres_put_mailbox(&b, t[i].in), 0);
		ATF_CHECK_STREQ_MSG(buf_cstr(&b), t[i].out, "%zu", i);
		buf_free(&b);
	}
}

ATF_TC_WITHOUT_HEAD(quoted);
ATF_TC_BODY(quoted, tc)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} t[] = {
	    {"body hash did not verify", 100, "\"body hash did not verify\""},
	    {"a \"b\" \\c", 100, "\"a \\\"b\\\" \\\\c\""},
	    {"line\r\nbreak", 100, "\"line??break\""},
	    {"abcdef", 3, "\"abc...\""},
	    {"abc", 3, "\"abc\""},
	    {"", 3, "\"\""},
	    /* ASCII only: "§" spelt out, other 8-bit octets as '?' */
	    {"refused (RFC 8301 \xc2\xa7" "3.1)", 100,
		"\"refused (RFC 8301 section 3.1)\""},
	    {"b\xc3\xbc" "cher", 100, "\"b??cher\""},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		ATF_CHECK_EQ(authres_put_quoted(&b, t[i].in, t[i].max), 0);
		ATF_CHECK_STREQ_MSG(buf_cstr(&b), t[i].out, "%zu", i);
		buf_free(&b);
	}
	ATF_CHECK_EQ(authres_plain("good.test"), 1);
	ATF_CHECK_EQ(authres_plain("sel_1-a"), 1);
	ATF_CHECK_EQ(authres_plain(""), 0);
	ATF_CHECK_EQ(authres_plain("a; dkim=pass"), 0);
	ATF_CHECK_EQ(authres_plain("a b"), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, quoted);
	ATF_TP_ADD_TC(tp, servid);
	ATF_TP_ADD_TC(tp, claims);
	ATF_TP_ADD_TC(tp, mailbox);
	return atf_no_error();
}
