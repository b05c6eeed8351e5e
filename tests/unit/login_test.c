/*
 * login_test: the login path (common/login): the backoff, the SASL
 * exchange over io (challenges after the protocol's prompt, "*",
 * over-long responses, mechanisms not offered, a deadline), the check
 * through the caller's function, and the failure bookkeeping.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "login.h"
#include "util.h"

struct fake {
	int calls, answer;
	char user[64], pass[64];
};

static int
check(void *arg, const char *user, const char *pass, char *err,
    size_t errlen)
{
	struct fake *f = arg;

	f->calls++;
	util_strlcpy(f->user, user, sizeof(f->user));
	util_strlcpy(f->pass, pass, sizeof(f->pass));
	if (f->answer == -1)
		util_seterr(err, errlen, "cannot read it");
	return f->answer;
}

/* "\0alice\0s3cret", and "bob" asking to be "alice". */
#define PLAIN_ALICE "PLAIN AGFsaWNlAHMzY3JldA=="
#define PLAIN_AUTHZID "PLAIN Ym9iAGFsaWNlAHBhc3M="

static struct log quiet;

/* A login over one end of a socketpair; the client writes to sv[1]. */
static void
setup(struct login *l, struct io *io, struct fake *f, int sv[2],
    const char *client)
{
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	if (client[0] != '\0')
		ATF_REQUIRE(write(sv[1], client, strlen(client)) ==
		    (ssize_t)strlen(client));
	io_init(io, sv[0], sv[0], 2000);
	log_open(&quiet, "login_test", 0, 0);
	quiet.level = -1;
	memset(l, 0, sizeof(*l));
	memset(f, 0, sizeof(*f));
	f->answer = 1;
	l->io = io;
	l->log = &quiet;
	l->host = "client.test";
	l->addr = "192.0.2.1";
	l->prompt = "+ ";
	l->mechs = 1u << SASL_MECH_PLAIN | 1u << SASL_MECH_LOGIN;
	l->line_ms = 2000;
	l->fails_max = LOGIN_FAILS_MAX;
	l->check = check;
	l->arg = f;
}

/* What the server sent. */
static void
sent(struct io *io, int sv[2], char *out, size_t cap)
{
	ssize_t n;

	(void)io_flush(io);
	(void)shutdown(sv[0], SHUT_WR);
	n = read(sv[1], out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	io_close(io);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(backoff);
ATF_TC_BODY(backoff, tc)
{
	ATF_CHECK_EQ(login_backoff_ms(100, 0), 0);
	ATF_CHECK_EQ(login_backoff_ms(100, 1), 100);
	ATF_CHECK_EQ(login_backoff_ms(100, 2), 200);
	ATF_CHECK_EQ(login_backoff_ms(100, 3), 400);
	ATF_CHECK_EQ(login_backoff_ms(100, 4), 800);
	ATF_CHECK_EQ(login_backoff_ms(100, 100), 800);
	ATF_CHECK_EQ(login_backoff_ms(0, 3), 0);
	ATF_CHECK_EQ(login_backoff_ms(60000, 1000000), 480000);
}

ATF_TC_WITHOUT_HEAD(plain_and_login);
ATF_TC_BODY(plain_and_login, tc)
{
	struct login l;
	struct io io;
	struct fake f;
	char out[512];
	int sv[2];

	/* PLAIN with its initial response: no challenge. */
	setup(&l, &io, &f, sv, "");
	ATF_CHECK_EQ(login_sasl(&l, PLAIN_ALICE, strlen(PLAIN_ALICE)),
	    LOGIN_OK);
	ATF_CHECK_STREQ(l.user, "alice");
	ATF_CHECK_STREQ(f.pass, "s3cret");
	sent(&io, sv, out, sizeof(out));
	ATF_CHECK_STREQ(out, "");
	/* LOGIN: two challenges after the prompt. */
	setup(&l, &io, &f, sv, "Ym9i\r\ncGFzcw==\r\n");
	l.prompt = "334 ";
	ATF_CHECK_EQ(login_sasl(&l, "LOGIN", strlen("LOGIN")), LOGIN_OK);
	ATF_CHECK_STREQ(f.user, "bob");
	ATF_CHECK_STREQ(f.pass, "pass");
	sent(&io, sv, out, sizeof(out));
	ATF_CHECK_STREQ(out, "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n");
	ATF_CHECK_EQ(l.fails, 0);
}

ATF_TC_WITHOUT_HEAD(refusals);
ATF_TC_BODY(refusals, tc)
{
	struct login l;
	struct io io;
	struct fake f;
	char out[512], longline[SASL_LINE_MAX + 100];
	int sv[2];

	/* A mechanism the server does not offer, one nobody knows. */
	setup(&l, &io, &f, sv, "");
	l.mechs = 1u << SASL_MECH_PLAIN;
	ATF_CHECK_EQ(login_sasl(&l, "LOGIN", strlen("LOGIN")), LOGIN_MECH);
	ATF_CHECK_EQ(login_sasl(&l, "CRAM-MD5", 8), LOGIN_MECH);
	sent(&io, sv, out, sizeof(out));
	ATF_CHECK_STREQ(out, "");
	/* "*" cancels; bad base64. */
	setup(&l, &io, &f, sv, "*\r\n!!!!\r\n");
	ATF_CHECK_EQ(login_sasl(&l, "PLAIN", strlen("PLAIN")), LOGIN_CANCEL);
	ATF_CHECK_EQ(login_sasl(&l, "PLAIN", strlen("PLAIN")), LOGIN_SYNTAX);
	sent(&io, sv, out, sizeof(out));
	ATF_CHECK_STREQ(out, "+ \r\n+ \r\n");
	ATF_CHECK_EQ(f.calls, 0);
	ATF_CHECK_EQ(l.fails, 0);
	/* An over-long response is read to its end and refused. */
	memset(longline, 'A', sizeof(longline));
	memcpy(longline + sizeof(longline) - 3, "\r\n", 3);
	setup(&l, &io, &f, sv, "");
	ATF_REQUIRE(write(sv[1], longline, strlen(longline)) ==
	    (ssize_t)strlen(longline));
	ATF_CHECK_EQ(login_sasl(&l, "PLAIN", strlen("PLAIN")), LOGIN_TOOLONG);
	sent(&io, sv, out, sizeof(out));
	/* The peer goes away in the middle. */
	setup(&l, &io, &f, sv, "");
	(void)shutdown(sv[1], SHUT_WR);
	ATF_CHECK_EQ(login_sasl(&l, "PLAIN", strlen("PLAIN")), LOGIN_LOST);
	ATF_CHECK_EQ(l.io_rc, IO_EOF);
	sent(&io, sv, out, sizeof(out));
}

ATF_TC_WITHOUT_HEAD(deadline);
ATF_TC_BODY(deadline, tc)
{
	struct login l;
	struct io io;
	struct fake f;
	char out[512];
	int64_t t0;
	int sv[2];

	/* A response that never ends: cut at line_ms. */
	setup(&l, &io, &f, sv, "AGFs");
	l.line_ms = 300;
	t0 = util_now_ms();
	ATF_CHECK_EQ(login_sasl(&l, "PLAIN", strlen("PLAIN")), LOGIN_LOST);
	ATF_CHECK_EQ(l.io_rc, IO_TIMEOUT);
	ATF_CHECK(util_now_ms() - t0 < 1500);
	sent(&io, sv, out, sizeof(out));
}

ATF_TC_WITHOUT_HEAD(failures);
ATF_TC_BODY(failures, tc)
{
	struct login l;
	struct io io;
	struct fake f;
	char out[512];
	int64_t t0, took;
	int sv[2];

	setup(&l, &io, &f, sv, "");
	l.delay_ms = 50;
	f.answer = 0;
	t0 = util_now_ms();
	ATF_CHECK_EQ(login_check(&l, "alice", "wrong"), LOGIN_FAILED);
	ATF_CHECK(!login_exhausted(&l));
	/* An authzid PLAIN will not take is a failure too. */
	ATF_CHECK_EQ(login_sasl(&l, PLAIN_AUTHZID, strlen(PLAIN_AUTHZID)),
	    LOGIN_FAILED);
	ATF_CHECK_EQ(f.calls, 1);
	ATF_CHECK(!login_exhausted(&l));
	ATF_CHECK_EQ(login_check(&l, "nobody", "x"), LOGIN_FAILED);
	took = util_now_ms() - t0;
	/* 50 + 100 + 200 ms. */
	ATF_CHECK_MSG(took >= 350, "took %lld ms", (long long)took);
	ATF_CHECK_EQ(l.fails, 3);
	ATF_CHECK(login_exhausted(&l));
	/* The check waited already (the privileged parent): no delay;
	   a check that cannot be made is not a failure. */
	l.check_waits = 1;
	t0 = util_now_ms();
	ATF_CHECK_EQ(login_check(&l, "alice", "wrong"), LOGIN_FAILED);
	ATF_CHECK(util_now_ms() - t0 < 300);
	f.answer = -1;
	ATF_CHECK_EQ(login_check(&l, "alice", "x"), LOGIN_TEMP);
	ATF_CHECK_EQ(l.fails, 4);
	sent(&io, sv, out, sizeof(out));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, backoff);
	ATF_TP_ADD_TC(tp, plain_and_login);
	ATF_TP_ADD_TC(tp, refusals);
	ATF_TP_ADD_TC(tp, deadline);
	ATF_TP_ADD_TC(tp, failures);
	return atf_no_error();
}
