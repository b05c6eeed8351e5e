/*
 * session_test: the command table (verbs, states, arguments), the
 * command loop (bounded lines, deadlines, pipelined replies held back)
 * and a session's start (its io and deadline, the peer, TLS on
 * connect).
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <atf-c.h>

#include "certs.h"
#include "server.h"
#include "session.h"
#include "util.h"

enum { V_NONE, V_A, V_B, V_C };
enum { S0, S1, S2 };

struct fake {
	unsigned state;
	char said[256];
	int lines, lost_rc, quit;
	struct io *io;
};

static void
say(struct fake *f, const char *what)
{
	util_strlcat(f->said, what, sizeof(f->said));
	util_strlcat(f->said, ";", sizeof(f->said));
}

static int
run_a(void *v, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	say(v, "a");
	return 0;
}

static int
run_b(void *v, const char *arg, size_t len)
{
	char w[64];

	(void)snprintf(w, sizeof(w), "b(%.*s)", (int)len, arg);
	say(v, w);
	return 0;
}

static int
run_c(void *v, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	say(v, "c");
	return -1;
}

static unsigned
state(void *v)
{
	return ((struct fake *)v)->state;
}

static void
unknown(void *v, int verb)
{
	char w[32];

	(void)snprintf(w, sizeof(w), "unknown %d", verb);
	say(v, w);
}

static void
bad_state(void *v, const struct session_cmd *c)
{
	char w[32];

	(void)snprintf(w, sizeof(w), "state %d", c->verb);
	say(v, w);
}

static void
bad_arg(void *v, const struct session_cmd *c)
{
	char w[32];

	(void)snprintf(w, sizeof(w), "arg %d", c->verb);
	say(v, w);
}

static const struct session_cmd cmds[] = {
    {V_A, SESSION_IN(S0) | SESSION_IN(S1), SESSION_NOARG, run_a},
    {V_B, SESSION_IN(S1), 0, run_b},
    {V_C, SESSION_ANY, 0, run_c},
    {0, 0, 0, NULL}};
static const struct session_proto proto = {
    cmds, state, unknown, bad_state, bad_arg};

ATF_TC_WITHOUT_HEAD(dispatch);
ATF_TC_BODY(dispatch, tc)
{
	static const struct {
		unsigned state;
		int verb;
		const char *arg;
		int rc;
		const char *said;
	} t[] = {
	    {S0, V_A, "", 0, "a;"},
	    {S1, V_A, "", 0, "a;"},
	    {S2, V_A, "", 0, "state 1;"},
	    {S2, V_A, "x", 0, "arg 1;"}, /* syntax before sequence */
	    {S0, V_A, "x", 0, "arg 1;"},
	    {S0, V_B, "y", 0, "state 2;"},
	    {S1, V_B, "y", 0, "b(y);"},
	    {S2, V_C, "", -1, "c;"},
	    {S0, V_NONE, "", 0, "unknown 0;"},
	    {S1, 99, "", 0, "unknown 99;"},
	    {31, V_C, "", -1, "c;"}, /* SESSION_ANY */
	    {31, V_B, "", 0, "state 2;"},
	    {32, V_C, "", 0, "state 3;"}, /* no such state */
	};
	struct fake f;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.state = t[i].state;
		rc = session_dispatch(&proto, &f, t[i].verb, t[i].arg,
		    strlen(t[i].arg));
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu", i);
		ATF_CHECK_STREQ_MSG(f.said, t[i].said, "case %zu", i);
	}
	ATF_CHECK(session_find(&proto, V_B) == &cmds[1]);
	ATF_CHECK(session_find(&proto, 7) == NULL);
}

static int
on_line(void *v, char *line, size_t len, int flags)
{
	struct fake *f = v;
	char w[64];

	f->lines++;
	(void)snprintf(w, sizeof(w), "%s%s%.*s",
	    (flags & IO_LINE_LONG) ? "long:" : "",
	    (flags & IO_LINE_CR) ? "cr:" : "", (int)len, line);
	say(f, w);
	if (strcmp(line, "QUIT") == 0)
		f->quit = 1;
	(void)io_line(f->io, "ok %d", f->lines);
	return 0;
}

static void
on_lost(void *v, int rc)
{
	((struct fake *)v)->lost_rc = rc;
}

static int
on_done(void *v)
{
	return ((struct fake *)v)->quit;
}

/* Lines in, their bounds, the replies of pipelined lines in one write. */
ATF_TC_WITHOUT_HEAD(loop);
ATF_TC_BODY(loop, tc)
{
	struct session_loop l;
	struct fake f;
	struct io io;
	char out[256];
	int sv[2];
	ssize_t n;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE(write(sv[1], "one\r\ntoolongline\r\nb\rc\nQUIT\r\nX\r\n",
			31) == 31);
	io_init(&io, sv[0], sv[0], 2000);
	memset(&f, 0, sizeof(f));
	f.io = &io;
	memset(&l, 0, sizeof(l));
	l.io = &io;
	l.sess = &f;
	l.line_max = 8;
	l.line_ms = 1000;
	l.line = on_line;
	l.lost = on_lost;
	l.done = on_done;
	session_run_loop(&l);
	ATF_CHECK_STREQ(f.said, "one;long:toolongl;cr:bc;QUIT;");
	ATF_CHECK_EQ(f.lost_rc, 0);
	(void)io_flush(&io);
	n = read(sv[1], out, sizeof(out) - 1);
	ATF_REQUIRE(n > 0);
	out[n] = '\0';
	/* All four replies in one write: the client pipelined. */
	ATF_CHECK_STREQ(out, "ok 1\r\nok 2\r\nok 3\r\nok 4\r\n");
	io_close(&io);
	(void)close(sv[0]);
	(void)close(sv[1]);
}

/* A peer that sends half a line and stops: the line deadline ends it. */
ATF_TC_WITHOUT_HEAD(loop_deadline);
ATF_TC_BODY(loop_deadline, tc)
{
	struct session_loop l;
	struct fake f;
	struct io io;
	int sv[2];
	int64_t t0, dt;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE(write(sv[1], "NOOP\r\nhal", 9) == 9);
	io_init(&io, sv[0], sv[0], 5000);
	memset(&f, 0, sizeof(f));
	f.io = &io;
	memset(&l, 0, sizeof(l));
	l.io = &io;
	l.sess = &f;
	l.line_max = 100;
	l.line_ms = 300;
	l.line = on_line;
	l.lost = on_lost;
	l.done = on_done;
	t0 = util_now_ms();
	session_run_loop(&l);
	dt = util_now_ms() - t0;
	ATF_CHECK_STREQ(f.said, "NOOP;");
	ATF_CHECK_EQ(f.lost_rc, IO_TIMEOUT);
	ATF_CHECK_MSG(dt >= 250 && dt < 2500, "took %lld ms", (long long)dt);
	io_close(&io);
	(void)close(sv[0]);
	(void)close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(io_init);
ATF_TC_BODY(io_init, tc)
{
	static const struct {
		int timeout, lifetime, log, trace;
	} t[] = {
	    {600, 0, 0, 0},
	    {1800, 0, 1, 0},
	    {60, 3600, 1, 1},
	    {5, 10, 0, 1},
	};
	struct log lg;
	struct io io;
	int64_t t0, end;
	size_t i;
	int p[2];

	ATF_REQUIRE(pipe(p) == 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		log_open(&lg, "session_test", 0, LOG_MAIL);
		lg.trace = t[i].trace;
		t0 = util_now_ms();
		end = session_io_init(&io, p[0], p[1], t[i].timeout,
		    t[i].lifetime, t[i].log ? &lg : NULL);
		ATF_CHECK_EQ_MSG(io.rfd, p[0], "case %zu", i);
		ATF_CHECK_EQ_MSG(io.wfd, p[1], "case %zu", i);
		ATF_CHECK_EQ_MSG(
		    io.timeout_ms, t[i].timeout * 1000, "case %zu", i);
		ATF_CHECK_MSG(io.stop == server_terminating, "case %zu", i);
		ATF_CHECK_EQ_MSG(io.deadline, end, "case %zu", i);
		if (t[i].lifetime == 0)
			ATF_CHECK_EQ_MSG(end, 0, "case %zu", i);
		else
			ATF_CHECK_MSG(end >= t0 + t[i].lifetime * 1000 &&
				end <= util_now_ms() + t[i].lifetime * 1000,
			    "case %zu", i);
		ATF_CHECK_MSG(io.log == (t[i].log && t[i].trace ? &lg : NULL),
		    "case %zu", i);
		ATF_CHECK_EQ_MSG(io.from_peer_is_client, t[i].log && t[i].trace,
		    "case %zu", i);
		io_close(&io);
	}
	(void)close(p[0]);
	(void)close(p[1]);
}

ATF_TC_WITHOUT_HEAD(accept_plain);
ATF_TC_BODY(accept_plain, tc)
{
	char addr[NET_ADDRSTR_MAX] = "x", host[DNS_NAME_MAX + 1] = "y";
	struct tls_info ti;
	struct log lg;
	struct io io;
	int p[2];

	log_open(&lg, "session_test", 0, LOG_MAIL);
	ATF_REQUIRE(pipe(p) == 0);
	io_init(&io, p[0], p[1], 1000);
	/* Not a socket (a pipe, as under test): no address; no TLS. */
	ATF_CHECK_EQ(session_accept(&io, p[0], 0, NULL, &lg, addr, host, &ti),
	    0);
	ATF_CHECK_STREQ(addr, "");
	ATF_CHECK_STREQ(host, "");
	io_close(&io);
}

ATF_TC_WITHOUT_HEAD(accept_tls_failed);
ATF_TC_BODY(accept_tls_failed, tc)
{
	char addr[NET_ADDRSTR_MAX], host[DNS_NAME_MAX + 1];
	char dir[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], err[ERR_MAX];
	char logged[512];
	struct tls_server *srv;
	struct tls_info ti;
	struct log lg;
	struct io io;
	ssize_t n;
	int sv[2], fd, saved;

	(void)signal(SIGPIPE, SIG_IGN);
	ATF_REQUIRE(getcwd(dir, sizeof(dir)) != NULL);
	if (certs_make(dir, err, sizeof(err)) == -1)
		atf_tc_fail("making certificates: %s", err);
	certs_path(dir, "server.pem", cert, sizeof(cert));
	certs_path(dir, "server-key.pem", key, sizeof(key));
	ATF_REQUIRE(
	    (srv = tls_server_new(cert, key, err, sizeof(err))) != NULL);
	log_open(&lg, "session_test", 0, LOG_MAIL);
	/* A client that speaks plain text to a TLS port, then leaves. */
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE(write(sv[1], "EHLO x\r\n", 8) == 8);
	(void)shutdown(sv[1], SHUT_WR);
	io_init(&io, sv[0], sv[0], 5000);
	ATF_REQUIRE((fd = open("log", O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
	    -1);
	saved = dup(2);
	ATF_REQUIRE(dup2(fd, 2) == 2);
	ATF_CHECK_EQ(session_accept(&io, sv[0], 0, srv, &lg, addr, host, &ti),
	    -1);
	(void)fflush(stderr);
	(void)dup2(saved, 2);
	(void)close(fd);
	ATF_REQUIRE((fd = open("log", O_RDONLY)) != -1);
	n = read(fd, logged, sizeof(logged) - 1);
	(void)close(fd);
	logged[n > 0 ? n : 0] = '\0';
	ATF_CHECK_MSG(strncmp(logged,
			  "session_test: local: TLS handshake failed: ",
			  43) == 0,
	    "logged: %s", logged);
	io_close(&io);
	(void)close(sv[1]);
	tls_server_free(srv);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dispatch);
	ATF_TP_ADD_TC(tp, loop);
	ATF_TP_ADD_TC(tp, loop_deadline);
	ATF_TP_ADD_TC(tp, io_init);
	ATF_TP_ADD_TC(tp, accept_plain);
	ATF_TP_ADD_TC(tp, accept_tls_failed);
	return atf_no_error();
}
