/*
 * sasl_test: base64 (strict decoding), the client responses of PLAIN,
 * LOGIN, XOAUTH2 and OAUTHBEARER, and the server state machine for PLAIN
 * and LOGIN (initial responses, authzid, cancel, malformed input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "bounds.h"
#include "buf.h"
#include "sasl.h"

/* Decode b64 (must succeed) into out; returns the length. */
static size_t
dec(const char *b64, char *out, size_t cap)
{
	size_t n;

	ATF_REQUIRE_MSG(sasl_b64_decode(b64, strlen(b64), out, cap, &n) == 0,
	    "cannot decode \"%s\"", b64);
	return n;
}

ATF_TC_WITHOUT_HEAD(b64_vectors);
ATF_TC_BODY(b64_vectors, tc)
{
	/* RFC 4648 §10. */
	static const char *v[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="},
	    {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"}};
	struct buf b;
	char out[64];
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_init(&b, 0);
		ATF_CHECK_EQ(sasl_b64_encode(v[i][0], strlen(v[i][0]), &b), 0);
		ATF_CHECK_STREQ(buf_cstr(&b), v[i][1]);
		buf_free(&b);
		n = dec(v[i][1], out, sizeof(out));
		ATF_CHECK(n == strlen(v[i][0]) && memcmp(out, v[i][0], n) == 0);
	}
	/* Binary, all byte values, round trip; no line breaks. */
	{
		unsigned char all[256], back[256];

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		buf_init(&b, 0);
		ATF_REQUIRE_EQ(sasl_b64_encode(all, sizeof(all), &b), 0);
		ATF_CHECK(strchr(buf_cstr(&b), '\n') == NULL);
		ATF_CHECK_EQ(b.len, 344);
		ATF_REQUIRE_EQ(
		    sasl_b64_decode(b.data, b.len, back, sizeof(back), &n), 0);
		ATF_CHECK(n == 256 && memcmp(all, back, 256) == 0);
		buf_free(&b);
	}
}

ATF_TC_WITHOUT_HEAD(b64_strict);
ATF_TC_BODY(b64_strict, tc)
{
	static const char *bad[] = {"Zg", "Zg=", "Zm9",
	    "Z===", "====", "Zg==Zg==", "Zm 9v", "Zm9v\n", "Zm9v\r\n", "Zm9*",
	    "Zm=v", "Zh==", /* non-zero pad bits (RFC 4648 §3.5) */
	    "Zm9=", /* idem */
	    "Zm9vYmFy====", "-_-_"};
	char out[64];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(sasl_b64_decode(bad[i], strlen(bad[i]), out,
				  sizeof(out), &n) == -1,
		    "\"%s\" accepted", bad[i]);
	/* The output bound is honoured. */
	ATF_CHECK_EQ(sasl_b64_decode("Zm9vYmFy", 8, out, 5, &n), -1);
	ATF_CHECK_EQ(sasl_b64_decode("Zm9vYmFy", 8, out, 6, &n), 0);
	ATF_CHECK_EQ(n, 6);
	/* The input length is honoured (no NUL needed). */
	ATF_CHECK_EQ(sasl_b64_decode("Zm9vYmFyXXXX", 8, out, 6, &n), 0);
}

ATF_TC_WITHOUT_HEAD(mech_names);
ATF_TC_BODY(mech_names, tc)
{
	ATF_CHECK_EQ(sasl_mech_parse("plain", 5), SASL_MECH_PLAIN);
	ATF_CHECK_EQ(sasl_mech_parse("LOGIN", 5), SASL_MECH_LOGIN);
	ATF_CHECK_EQ(sasl_mech_parse("XOAUTH2", 7), SASL_MECH_XOAUTH2);
	ATF_CHECK_EQ(sasl_mech_parse("OAuthBearer", 11), SASL_MECH_OAUTHBEARER);
	ATF_CHECK_EQ(sasl_mech_parse("CRAM-MD5", 8), SASL_MECH_NONE);
	ATF_CHECK_EQ(sasl_mech_parse("PLAINX", 5), SASL_MECH_PLAIN);
	ATF_CHECK_EQ(sasl_mech_parse("PLAINX", 6), SASL_MECH_NONE);
	ATF_CHECK_STREQ(sasl_mech_name(SASL_MECH_OAUTHBEARER), "OAUTHBEARER");
}

/* Start a client and return the decoded initial response. */
static size_t
client_ir(struct sasl_client *c, enum sasl_mech m, const char *user,
    const char *secret, char *out, size_t cap)
{
	struct buf b;
	char err[256];
	size_t n;

	buf_init(&b, 0);
	ATF_REQUIRE_EQ_MSG(
	    sasl_client_start(c, m, user, secret, &b, err, sizeof(err)),
	    SASL_CONTINUE, "%s", err);
	n = b.len == 0 ? 0 : dec(buf_cstr(&b), out, cap);
	buf_free(&b);
	return n;
}

ATF_TC_WITHOUT_HEAD(client_plain);
ATF_TC_BODY(client_plain, tc)
{
	struct sasl_client c;
	struct buf b;
	char out[1024], err[256];
	size_t n;

	/* RFC 4616 §4 example: "\0tim\0tanstaaftanstaaf". */
	memset(&c, 0, sizeof(c));
	buf_init(&b, 0);
	ATF_REQUIRE_EQ(sasl_client_start(&c, SASL_MECH_PLAIN, "tim",
			   "tanstaaftanstaaf", &b, err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	buf_free(&b);
	memset(&c, 0, sizeof(c));
	c.authzid = "Ursel";
	n = client_ir(
	    &c, SASL_MECH_PLAIN, "Kurt", "xipj3plmq", out, sizeof(out));
	ATF_CHECK(n == 20 && memcmp(out, "Ursel\0Kurt\0xipj3plmq", 20) == 0);
	/* Fields are bounded and must not be empty or hold control bytes. */
	memset(&c, 0, sizeof(c));
	buf_init(&b, 0);
	ATF_CHECK_EQ(sasl_client_start(
			 &c, SASL_MECH_PLAIN, "", "x", &b, err, sizeof(err)),
	    SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(sasl_client_start(&c, SASL_MECH_PLAIN, "u", "a\nb", &b,
			 err, sizeof(err)),
	    SASL_ERR_SYNTAX);
	memset(out, 'p', 256);
	out[256] = '\0';
	ATF_CHECK_EQ(sasl_client_start(
			 &c, SASL_MECH_PLAIN, "u", out, &b, err, sizeof(err)),
	    SASL_ERR_SYNTAX);
	ATF_CHECK(strstr(err, "password") != NULL);
	ATF_CHECK(strstr(err, "ppp") == NULL);
	out[255] = '\0';
	ATF_CHECK_EQ(sasl_client_start(
			 &c, SASL_MECH_PLAIN, "u", out, &b, err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_EQ(sasl_client_start(
			 &c, SASL_MECH_NONE, "u", "p", &b, err, sizeof(err)),
	    SASL_ERR_MECH);
	/* PLAIN has nothing more to say. */
	ATF_CHECK(sasl_client_step(&c, "", 0, &b, err, sizeof(err)) < 0);
	buf_free(&b);
	sasl_client_clear(&c);
	ATF_CHECK(c.secret == NULL && c.user == NULL);
}

ATF_TC_WITHOUT_HEAD(client_login);
ATF_TC_BODY(client_login, tc)
{
	struct sasl_client c;
	struct buf b;
	char err[256];

	memset(&c, 0, sizeof(c));
	buf_init(&b, 0);
	ATF_REQUIRE_EQ(sasl_client_start(&c, SASL_MECH_LOGIN, "alice", "s3cret",
			   &b, err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_EQ(b.len, 0);
	ATF_CHECK_EQ(
	    sasl_client_step(&c, "VXNlcm5hbWU6", 12, &b, err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "YWxpY2U=");
	buf_reset(&b);
	ATF_CHECK_EQ(
	    sasl_client_step(&c, "UGFzc3dvcmQ6", 12, &b, err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "czNjcmV0");
	buf_reset(&b);
	ATF_CHECK(
	    sasl_client_step(&c, "UGFzc3dvcmQ6", 12, &b, err, sizeof(err)) < 0);
	/* A challenge that is not base64 is refused. */
	memset(&c, 0, sizeof(c));
	ATF_REQUIRE_EQ(sasl_client_start(&c, SASL_MECH_LOGIN, "alice", "s3cret",
			   &b, err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK(
	    sasl_client_step(&c, "User name?", 10, &b, err, sizeof(err)) < 0);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(client_oauth);
ATF_TC_BODY(client_oauth, tc)
{
	static const char xo[] =
	    "user=someuser@example.com\001auth=Bearer "
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001";
	static const char ob[] = "n,a=user@example.com,\001host=server."
				 "example.com\001port=143\001auth=Bearer "
				 "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="
				 "\001\001";
	static const char ob2[] = "n,a=a=3Db=2Cc,\001auth=Bearer t\001\001";
	struct sasl_client c;
	struct buf b;
	char out[1024], err[256];
	size_t n;

	/* Google's XOAUTH2 example. */
	memset(&c, 0, sizeof(c));
	n = client_ir(&c, SASL_MECH_XOAUTH2, "someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", out, sizeof(out));
	ATF_CHECK(n == sizeof(xo) - 1 && memcmp(out, xo, n) == 0);
	/* An error challenge gets an empty answer. */
	buf_init(&b, 0);
	ATF_CHECK_EQ(sasl_client_step(&c, "eyJzdGF0dXMiOiI0MDEifQ==", 24, &b,
			 err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_EQ(b.len, 0);
	ATF_CHECK(sasl_client_step(&c, "", 0, &b, err, sizeof(err)) < 0);
	/* RFC 7628 §4.1 example. */
	memset(&c, 0, sizeof(c));
	c.host = "server.example.com";
	c.port = 143;
	n = client_ir(&c, SASL_MECH_OAUTHBEARER, "user@example.com",
	    "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==", out, sizeof(out));
	ATF_CHECK(n == sizeof(ob) - 1 && memcmp(out, ob, n) == 0);
	/* RFC 7628 §3.2.3: the answer to an error is %x01. */
	ATF_CHECK_EQ(sasl_client_step(&c, "eyJzdGF0dXMiOiI0MDEifQ==", 24, &b,
			 err, sizeof(err)),
	    SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "AQ==");
	buf_free(&b);
	/* RFC 5801 saslname escapes '=' and ','. */
	memset(&c, 0, sizeof(c));
	n = client_ir(
	    &c, SASL_MECH_OAUTHBEARER, "a=b,c", "t", out, sizeof(out));
	ATF_CHECK(n == sizeof(ob2) - 1 && memcmp(out, ob2, n) == 0);
	/* Tokens may be long (over 255), but not unbounded. */
	{
		char *tok = malloc(SASL_LINE_MAX);

		ATF_REQUIRE(tok != NULL);
		memset(tok, 't', 2000);
		tok[2000] = '\0';
		memset(&c, 0, sizeof(c));
		buf_init(&b, 0);
		ATF_CHECK_EQ(sasl_client_start(&c, SASL_MECH_XOAUTH2, "u", tok,
				 &b, err, sizeof(err)),
		    SASL_CONTINUE);
		ATF_CHECK(b.len > 2000 && b.len <= SASL_LINE_MAX);
		buf_reset(&b);
		memset(tok, 't', SASL_LINE_MAX - 1);
		tok[SASL_LINE_MAX - 1] = '\0';
		ATF_CHECK_EQ(sasl_client_start(&c, SASL_MECH_XOAUTH2, "u", tok,
				 &b, err, sizeof(err)),
		    SASL_ERR_SYNTAX);
		buf_free(&b);
		free(tok);
	}
}

/* Server helpers: run start/step and check the result. */
static int
srv_start(struct sasl_server *s, const char *arg, struct buf *out)
{
	char err[256];

	buf_reset(out);
	return sasl_server_start(s, arg, strlen(arg), out, err, sizeof(err));
}

static int
srv_step(struct sasl_server *s, const char *line, struct buf *out)
{
	char err[256];

	buf_reset(out);
	return sasl_server_step(s, line, strlen(line), out, err, sizeof(err));
}

/* True when the whole struct is zero bytes but mech/step. */
static int
wiped(const struct sasl_server *s)
{
	size_t i;

	for (i = 0; i < sizeof(s->user); i++)
		if (s->user[i] != '\0' || s->pass[i] != '\0')
			return 0;
	return 1;
}

ATF_TC_WITHOUT_HEAD(server_plain);
ATF_TC_BODY(server_plain, tc)
{
	struct sasl_server s;
	struct buf b;

	buf_init(&b, 0);
	/* With an initial response ("\0tim\0tanstaaftanstaaf"). */
	ATF_CHECK_EQ(
	    srv_start(&s, "PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &b), SASL_DONE);
	ATF_CHECK_STREQ(s.user, "tim");
	ATF_CHECK_STREQ(s.pass, "tanstaaftanstaaf");
	sasl_server_clear(&s);
	ATF_CHECK(wiped(&s));
	/* Without: an empty challenge, then the response. */
	ATF_CHECK_EQ(srv_start(&s, "plain", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(b.len, 0);
	ATF_CHECK_EQ(
	    srv_step(&s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &b), SASL_DONE);
	ATF_CHECK_STREQ(s.user, "tim");
	/* No step after the end. */
	ATF_CHECK(srv_step(&s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &b) < 0);
	/* authzid equal to the user: fine ("tim\0tim\0pw"). */
	ATF_CHECK_EQ(srv_start(&s, "PLAIN dGltAHRpbQBwdw==", &b), SASL_DONE);
	ATF_CHECK_STREQ(s.user, "tim");
	ATF_CHECK_STREQ(s.pass, "pw");
	/* A different authzid fails ("Ursel\0Kurt\0xipj3plmq"), and the
	   password is not left behind. */
	ATF_CHECK_EQ(
	    srv_start(&s, "PLAIN VXJzZWwAS3VydAB4aXBqM3BsbXE=", &b), SASL_FAIL);
	ATF_CHECK(wiped(&s));
	/* Malformed: one NUL ("tim\0pw"), three NULs, empty user
	   ("\0\0pw"), empty password ("\0tim\0"), not base64, "=". */
	ATF_CHECK_EQ(srv_start(&s, "PLAIN dGltAHB3", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "PLAIN AHRpbQBwdwB4", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "PLAIN AABwdw==", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "PLAIN AHRpbQA=", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "PLAIN ***", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "PLAIN =", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "PLAINX", &b), SASL_ERR_MECH);
	ATF_CHECK_EQ(srv_start(&s, "CRAM-MD5", &b), SASL_ERR_MECH);
	ATF_CHECK_EQ(srv_start(&s, "XOAUTH2 abcd", &b), SASL_ERR_MECH);
	ATF_CHECK(wiped(&s));
	/* "*" cancels (RFC 4954 §4). */
	ATF_CHECK_EQ(srv_start(&s, "PLAIN", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "*", &b), SASL_ERR_CANCEL);
	ATF_CHECK(srv_step(&s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &b) < 0);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(server_plain_bounds);
ATF_TC_BODY(server_plain_bounds, tc)
{
	struct sasl_server s;
	struct buf msg, line, out;
	char err[256];
	char field[SASL_FIELD_MAX + 2];

	buf_init(&out, 0);
	memset(field, 'u', sizeof(field));
	/* 255-octet user and password pass; 256 do not (RFC 4616 §2). */
	for (int extra = 0; extra < 2; extra++) {
		buf_init(&msg, 0);
		buf_init(&line, 0);
		ATF_REQUIRE(buf_putc(&msg, '\0') == 0);
		ATF_REQUIRE(buf_append(&msg, field, 255 + extra) == 0);
		ATF_REQUIRE(buf_putc(&msg, '\0') == 0);
		ATF_REQUIRE(buf_append(&msg, field, 255) == 0);
		ATF_REQUIRE(buf_puts(&line, "PLAIN ") == 0);
		ATF_REQUIRE(sasl_b64_encode(msg.data, msg.len, &line) == 0);
		ATF_CHECK_EQ(sasl_server_start(&s, line.data, line.len, &out,
				 err, sizeof(err)),
		    extra ? SASL_ERR_SYNTAX : SASL_DONE);
		if (!extra)
			ATF_CHECK_EQ(strlen(s.user), 255);
		buf_free(&msg);
		buf_free(&line);
	}
	buf_free(&out);
	sasl_server_clear(&s);
}

ATF_TC_WITHOUT_HEAD(server_login);
ATF_TC_BODY(server_login, tc)
{
	struct sasl_server s;
	struct buf b;

	buf_init(&b, 0);
	ATF_CHECK_EQ(srv_start(&s, "LOGIN", &b), SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "VXNlcm5hbWU6");
	ATF_CHECK_EQ(srv_step(&s, "YWxpY2U=", &b), SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "UGFzc3dvcmQ6");
	ATF_CHECK_EQ(srv_step(&s, "czNjcmV0", &b), SASL_DONE);
	ATF_CHECK_STREQ(s.user, "alice");
	ATF_CHECK_STREQ(s.pass, "s3cret");
	sasl_server_clear(&s);
	ATF_CHECK(wiped(&s));
	/* With the user name as initial response. */
	ATF_CHECK_EQ(srv_start(&s, "login YWxpY2U=", &b), SASL_CONTINUE);
	ATF_CHECK_STREQ(buf_cstr(&b), "UGFzc3dvcmQ6");
	ATF_CHECK_EQ(srv_step(&s, "czNjcmV0", &b), SASL_DONE);
	ATF_CHECK_STREQ(s.user, "alice");
	/* Cancel at the password prompt wipes the user. */
	ATF_CHECK_EQ(srv_start(&s, "LOGIN", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "YWxpY2U=", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "*", &b), SASL_ERR_CANCEL);
	ATF_CHECK(wiped(&s));
	/* Bad base64, an empty user, a NUL in the password. */
	ATF_CHECK_EQ(srv_start(&s, "LOGIN", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "YWxpY2U", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "LOGIN", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "", &b), SASL_ERR_SYNTAX);
	ATF_CHECK_EQ(srv_start(&s, "LOGIN", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "YWxpY2U=", &b), SASL_CONTINUE);
	ATF_CHECK_EQ(srv_step(&s, "cwBw", &b), SASL_ERR_SYNTAX);
	/* A step without a start. */
	sasl_server_clear(&s);
	ATF_CHECK_EQ(srv_step(&s, "YWxpY2U=", &b), SASL_ERR_SYNTAX);
	buf_free(&b);
}

/* Client and server of this module talk to each other. */
ATF_TC_WITHOUT_HEAD(client_server);
ATF_TC_BODY(client_server, tc)
{
	static const char *users[] = {"bob", "b\xc3\xb6rje@example.org", "x y"};
	struct sasl_client c;
	struct sasl_server s;
	struct buf cb, sb, line;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		buf_init(&cb, 0);
		buf_init(&sb, 0);
		buf_init(&line, 0);
		memset(&c, 0, sizeof(c));
		ATF_REQUIRE_EQ(sasl_client_start(&c, SASL_MECH_PLAIN, users[i],
				   "pässword", &cb, err, sizeof(err)),
		    SASL_CONTINUE);
		ATF_REQUIRE(buf_printf(&line, "PLAIN %s", buf_cstr(&cb)) == 0);
		ATF_CHECK_EQ(sasl_server_start(&s, line.data, line.len, &sb,
				 err, sizeof(err)),
		    SASL_DONE);
		ATF_CHECK_STREQ(s.user, users[i]);
		ATF_CHECK_STREQ(s.pass, "pässword");
		/* LOGIN, prompt by prompt. */
		buf_reset(&cb);
		memset(&c, 0, sizeof(c));
		ATF_REQUIRE_EQ(sasl_client_start(&c, SASL_MECH_LOGIN, users[i],
				   "pw2", &cb, err, sizeof(err)),
		    SASL_CONTINUE);
		rc = sasl_server_start(&s, "LOGIN", 5, &sb, err, sizeof(err));
		while (rc == SASL_CONTINUE) {
			buf_reset(&cb);
			ATF_REQUIRE_EQ(sasl_client_step(&c, sb.data, sb.len,
					   &cb, err, sizeof(err)),
			    SASL_CONTINUE);
			buf_reset(&sb);
			rc = sasl_server_step(
			    &s, cb.data, cb.len, &sb, err, sizeof(err));
		}
		ATF_CHECK_EQ(rc, SASL_DONE);
		ATF_CHECK_STREQ(s.user, users[i]);
		ATF_CHECK_STREQ(s.pass, "pw2");
		sasl_server_clear(&s);
		buf_free(&cb);
		buf_free(&sb);
		buf_free(&line);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, b64_vectors);
	ATF_TP_ADD_TC(tp, b64_strict);
	ATF_TP_ADD_TC(tp, mech_names);
	ATF_TP_ADD_TC(tp, client_plain);
	ATF_TP_ADD_TC(tp, client_login);
	ATF_TP_ADD_TC(tp, client_oauth);
	ATF_TP_ADD_TC(tp, server_plain);
	ATF_TP_ADD_TC(tp, server_plain_bounds);
	ATF_TP_ADD_TC(tp, server_login);
	ATF_TP_ADD_TC(tp, client_server);
	return atf_no_error();
}
