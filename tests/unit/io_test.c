/*
 * io_test: line reading (endings, bounds, NUL, EOF), timeouts, full
 * writes, and the same over TLS including the STARTTLS input flush.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "certs.h"
#include "io.h"
#include "log.h"
#include "util.h"

#define MAXL 8

struct exp_line {
	const char *text;
	size_t len;
	int eol;
};

struct line_case {
	const char *name;
	const char *in;
	size_t inlen;
	size_t cap;
	struct exp_line out[MAXL];
	int nout;
};

#define S(x) x, sizeof(x) - 1

static const struct line_case cases[] = {
    {"mixed endings", S("a\r\nb\nc\rd\r\n"), 64,
	{{S("a"), IO_EOL_CRLF}, {S("b"), IO_EOL_LF}, {S("c"), IO_EOL_CR},
	    {S("d"), IO_EOL_CRLF}},
	4},
    {"eof mid-line", S("abc"), 64, {{S("abc"), IO_EOL_NONE}}, 1},
    {"cr then eof", S("abc\r"), 64, {{S("abc"), IO_EOL_CR}}, 1},
    {"empty input", S(""), 64, {{NULL, 0, 0}}, 0},
    {"long line in pieces", S("abcdefgh\r\n"), 4,
	{{S("abc"), IO_EOL_NONE}, {S("def"), IO_EOL_NONE},
	    {S("gh"), IO_EOL_CRLF}},
	3},
    {"exactly cap-1 then crlf", S("abc\r\nx\r\n"), 4,
	{{S("abc"), IO_EOL_CRLF}, {S("x"), IO_EOL_CRLF}}, 2},
    {"exactly cap then crlf", S("abcd\r\n"), 4,
	{{S("abc"), IO_EOL_NONE}, {S("d"), IO_EOL_CRLF}}, 2},
    {"cap-1 then bare cr", S("abc\rd"), 4,
	{{S("abc"), IO_EOL_CR}, {S("d"), IO_EOL_NONE}}, 2},
    {"nul inside", S("a\0b\r\n\0\n"), 64,
	{{S("a\0b"), IO_EOL_CRLF}, {S("\0"), IO_EOL_LF}}, 2},
    {"empty lines", S("\r\n\r\n\n\r"), 64,
	{{S(""), IO_EOL_CRLF}, {S(""), IO_EOL_CRLF}, {S(""), IO_EOL_LF},
	    {S(""), IO_EOL_CR}},
	4},
    {"cr cr lf", S("a\r\r\nb"), 64,
	{{S("a"), IO_EOL_CR}, {S(""), IO_EOL_CRLF}, {S("b"), IO_EOL_NONE}}, 3},
    {"lf cr", S("\n\rx\r\n"), 64,
	{{S(""), IO_EOL_LF}, {S(""), IO_EOL_CR}, {S("x"), IO_EOL_CRLF}}, 3},
    {"smallest cap", S("ab\r\n"), 2,
	{{S("a"), IO_EOL_NONE}, {S("b"), IO_EOL_CRLF}}, 2},
};

static void
check_line(const struct line_case *c, int i, int rc, const char *line,
    size_t len, int eol, const char *how)
{
	const struct exp_line *e = &c->out[i];

	ATF_CHECK_MSG(
	    rc == IO_OK, "%s (%s): line %d: rc %d", c->name, how, i, rc);
	ATF_CHECK_MSG(len == e->len && memcmp(line, e->text, len) == 0,
	    "%s (%s): line %d: got %zu bytes \"%.*s\"", c->name, how, i, len,
	    (int)len, line);
	ATF_CHECK_MSG(eol == e->eol, "%s (%s): line %d: eol %d, want %d",
	    c->name, how, i, eol, e->eol);
	ATF_CHECK_MSG(line[len] == '\0', "%s: not NUL-terminated", c->name);
}

/* All input written at once, then EOF. */
ATF_TC_WITHOUT_HEAD(lines_table);
ATF_TC_BODY(lines_table, tc)
{
	char line[64];
	size_t len, k;
	struct io io;
	int fds[2], eol, rc, i;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct line_case *c = &cases[k];

		ATF_REQUIRE(pipe(fds) == 0);
		ATF_REQUIRE(
		    write(fds[1], c->in, c->inlen) == (ssize_t)c->inlen);
		(void)close(fds[1]);
		io_init(&io, fds[0], -1, 2000);
		for (i = 0; i < c->nout; i++) {
			memset(line, 'X', sizeof(line));
			rc = io_getline(&io, line, c->cap, &len, &eol);
			check_line(c, i, rc, line, len, eol, "at once");
		}
		rc = io_getline(&io, line, c->cap, &len, &eol);
		ATF_CHECK_MSG(rc == IO_EOF, "%s: want EOF at the end, rc %d",
		    c->name, rc);
		io_close(&io);
		(void)close(fds[0]);
	}
}

/*
 * The same input arriving one byte at a time: every split point,
 * including a CR that is the last byte read (CRLF or bare CR is only
 * known at the next byte).  A short timeout stands for "nothing more yet".
 */
ATF_TC_WITHOUT_HEAD(lines_bytewise);
ATF_TC_BODY(lines_bytewise, tc)
{
	char line[64];
	size_t len, k, j;
	struct io io;
	int fds[2], eol, rc, i;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct line_case *c = &cases[k];

		ATF_REQUIRE(pipe(fds) == 0);
		io_init(&io, fds[0], -1, 1);
		i = 0;
		for (j = 0; j <= c->inlen; j++) {
			if (j < c->inlen)
				ATF_REQUIRE(write(fds[1], c->in + j, 1) == 1);
			else {
				(void)close(fds[1]);
				io.timeout_ms = 2000;
			}
			for (;;) {
				rc = io_getline(&io, line, c->cap, &len, &eol);
				if (rc == IO_TIMEOUT || rc == IO_EOF)
					break;
				ATF_REQUIRE_MSG(i < c->nout,
				    "%s: extra line "
				    "\"%.*s\"",
				    c->name, (int)len, line);
				check_line(
				    c, i, rc, line, len, eol, "bytewise");
				i++;
			}
			if (j < c->inlen)
				ATF_CHECK_MSG(rc == IO_TIMEOUT,
				    "%s: rc %d "
				    "before the end",
				    c->name, rc);
			else
				ATF_CHECK_MSG(rc == IO_EOF,
				    "%s: rc %d at the "
				    "end",
				    c->name, rc);
		}
		ATF_CHECK_MSG(
		    i == c->nout, "%s: %d lines, want %d", c->name, i, c->nout);
		io_close(&io);
		(void)close(fds[0]);
	}
}

/* A CR at the end of what arrived waits for the next byte. */
ATF_TC_WITHOUT_HEAD(cr_waits_for_next_byte);
ATF_TC_BODY(cr_waits_for_next_byte, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol;

	ATF_REQUIRE(pipe(fds) == 0);
	io_init(&io, fds[0], -1, 100);
	ATF_REQUIRE(write(fds[1], "abc\r", 4) == 4);
	ATF_CHECK_EQ(
	    io_getline(&io, line, sizeof(line), &len, &eol), IO_TIMEOUT);
	ATF_REQUIRE(write(fds[1], "\nxy\r", 4) == 4);
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_EQ(eol, IO_EOL_CRLF);
	ATF_CHECK_STREQ(line, "abc");
	ATF_CHECK_EQ(
	    io_getline(&io, line, sizeof(line), &len, &eol), IO_TIMEOUT);
	ATF_REQUIRE(write(fds[1], "z", 1) == 1);
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_EQ(eol, IO_EOL_CR);
	ATF_CHECK_STREQ(line, "xy");
	(void)close(fds[1]);
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_EQ(eol, IO_EOL_NONE);
	ATF_CHECK_STREQ(line, "z");
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_EOF);
	io_close(&io);
	(void)close(fds[0]);
}

/* A line longer than the read buffer and a cap larger than it. */
ATF_TC_WITHOUT_HEAD(huge_line);
ATF_TC_BODY(huge_line, tc)
{
	enum { N = 40000 };
	static char in[N + 2], got[N + 1], line[N + 1];
	size_t len, total = 0;
	struct io io;
	int fds[2], eol = IO_EOL_NONE, pieces = 0;
	pid_t pid;

	memset(in, 'q', N);
	in[7] = '\0'; /* a NUL for good measure */
	memcpy(in + N, "\r\n", 2);
	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(fds[0]);
		_exit(util_write_all(fds[1], in, sizeof(in)) == 0 ? 0 : 1);
	}
	(void)close(fds[1]);
	io_init(&io, fds[0], -1, 5000);
	while (eol == IO_EOL_NONE) {
		ATF_REQUIRE_EQ(
		    io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
		ATF_REQUIRE(total + len <= N);
		memcpy(got + total, line, len);
		total += len;
		pieces++;
	}
	ATF_CHECK_EQ(eol, IO_EOL_CRLF);
	ATF_CHECK_EQ(total, N);
	ATF_CHECK(memcmp(got, in, N) == 0);
	ATF_CHECK(pieces >= 2); /* the buffer is smaller than the line */
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_EOF);
	io_close(&io);
	(void)close(fds[0]);
	(void)waitpid(pid, NULL, 0);
}

ATF_TC_WITHOUT_HEAD(read_timeout);
ATF_TC_BODY(read_timeout, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol;
	int64_t t0, dt;

	ATF_REQUIRE(pipe(fds) == 0);
	io_init(&io, fds[0], -1, 300);
	t0 = util_now_ms();
	ATF_CHECK_EQ(
	    io_getline(&io, line, sizeof(line), &len, &eol), IO_TIMEOUT);
	dt = util_now_ms() - t0;
	ATF_CHECK_MSG(dt >= 250 && dt < 3000, "took %lld ms", (long long)dt);
	ATF_CHECK_MSG(strstr(io.err, "timed out") != NULL, "%s", io.err);
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

/* A peer that trickles a byte every 50 ms never trips a 1 s idle
   timeout; the deadline stops it, and buffered input still comes. */
ATF_TC_WITHOUT_HEAD(read_deadline);
ATF_TC_BODY(read_deadline, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol, i;
	int64_t t0, dt;
	pid_t pid;

	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(fds[0]);
		if (write(fds[1], "ok\r\n", 4) != 4)
			_exit(1);
		for (i = 0; i < 100; i++) {
			if (write(fds[1], "x", 1) != 1)
				_exit(0);
			(void)usleep(50 * 1000);
		}
		_exit(0);
	}
	(void)close(fds[1]);
	io_init(&io, fds[0], -1, 1000);
	(void)usleep(100 * 1000);
	io_deadline_in(&io, 0, 0); /* passed already */
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "ok");
	io_deadline_in(&io, 400, 0);
	t0 = util_now_ms();
	ATF_CHECK_EQ(
	    io_getline(&io, line, sizeof(line), &len, &eol), IO_TIMEOUT);
	dt = util_now_ms() - t0;
	ATF_CHECK_MSG(dt >= 350 && dt < 1500, "took %lld ms", (long long)dt);
	ATF_CHECK_MSG(strstr(io.err, "deadline") != NULL, "%s", io.err);
	/* A limit sooner than now + ms wins. */
	io_deadline_in(&io, 60000, util_now_ms() + 100);
	ATF_CHECK(io.deadline <= util_now_ms() + 100);
	io_deadline_in(&io, -1, 0);
	ATF_CHECK_EQ(io.deadline, 0);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	io_close(&io);
	(void)close(fds[0]);
}

ATF_TC_WITHOUT_HEAD(write_timeout);
ATF_TC_BODY(write_timeout, tc)
{
	static char chunk[65536];
	struct io io;
	int sv[2], i, rc = 0;
	int64_t t0, dt;

	(void)signal(SIGPIPE, SIG_IGN);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	io_init(&io, -1, sv[0], 300);
	t0 = util_now_ms();
	/* Nobody reads sv[1]: the socket buffer fills, then we time out. */
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = io_write(&io, chunk, sizeof(chunk));
	if (rc == 0)
		rc = io_flush(&io);
	dt = util_now_ms() - t0;
	ATF_CHECK_EQ(rc, -1);
	ATF_CHECK_MSG(strstr(io.err, "timed out") != NULL, "%s", io.err);
	ATF_CHECK_MSG(dt < 5000, "took %lld ms", (long long)dt);
	io_close(&io);
	(void)close(sv[0]);
	(void)close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(write_closed_peer);
ATF_TC_BODY(write_closed_peer, tc)
{
	struct io io;
	int sv[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	(void)close(sv[1]);
	io_init(&io, -1, sv[0], 1000);
	/* No SIGPIPE handler set: the write must not kill us. */
	ATF_REQUIRE(io_puts(&io, "hello\r\n") == 0);
	ATF_CHECK_EQ(io_flush(&io), -1);
	ATF_CHECK_MSG(strstr(io.err, "Broken pipe") != NULL, "%s", io.err);
	io_close(&io);
	(void)close(sv[0]);
}

ATF_TC_WITHOUT_HEAD(read_exact);
ATF_TC_BODY(read_exact, tc)
{
	char b[16], line[64];
	size_t len;
	struct io io;
	int fds[2], eol;

	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE(write(fds[1], "BDAT 5\r\nhel\0oQUIT\r\nab", 21) == 21);
	(void)close(fds[1]);
	io_init(&io, fds[0], -1, 2000);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "BDAT 5");
	ATF_CHECK_EQ(io_buffered(&io), 13);
	ATF_REQUIRE_EQ(io_read_exact(&io, b, 5), IO_OK);
	ATF_CHECK(memcmp(b, "hel\0o", 5) == 0);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "QUIT");
	ATF_CHECK_EQ(io_read_exact(&io, b, 5), IO_EOF);
	io_close(&io);
	(void)close(fds[0]);
}

ATF_TC_WITHOUT_HEAD(discard_input);
ATF_TC_BODY(discard_input, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol;

	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE(write(fds[1], "one\r\ntwo\r\n", 10) == 10);
	io_init(&io, fds[0], -1, 100);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_EQ(io_buffered(&io), 5);
	io_discard_input(&io);
	ATF_CHECK_EQ(io_buffered(&io), 0);
	ATF_CHECK_EQ(
	    io_getline(&io, line, sizeof(line), &len, &eol), IO_TIMEOUT);
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

/* io_line appends CRLF, refuses CR/LF inside, and traces what it sends. */
ATF_TC_WITHOUT_HEAD(line_and_trace);
ATF_TC_BODY(line_and_trace, tc)
{
	char b[256], trace[512];
	struct log lg;
	struct io io;
	ssize_t n;
	int fds[2], tfd, saved;

	ATF_REQUIRE(pipe(fds) == 0);
	log_open(&lg, "io_test", 0, 0);
	lg.trace = 1;
	io_init(&io, -1, fds[1], 1000);
	io.log = &lg;
	io.from_peer_is_client = 1; /* we are the server */
	ATF_REQUIRE(
	    (tfd = open("trace", O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	saved = dup(2);
	ATF_REQUIRE(dup2(tfd, 2) == 2);
	ATF_CHECK_EQ(io_line(&io, "250 %s", "ok"), 0);
	ATF_CHECK_EQ(io_line(&io, "250 %s", "evil\r\nRCPT TO:<x>"), -1);
	ATF_CHECK_EQ(io_printf(&io, "%d-%s\r\n", 250, "raw"), 0);
	ATF_CHECK_EQ(io_flush(&io), 0);
	(void)fflush(stderr);
	ATF_REQUIRE(dup2(saved, 2) == 2);
	(void)close(saved);
	n = read(fds[0], b, sizeof(b) - 1);
	ATF_REQUIRE(n >= 0);
	b[n] = '\0';
	ATF_CHECK_STREQ(b, "250 ok\r\n250-raw\r\n");
	n = pread(tfd, trace, sizeof(trace) - 1, 0);
	ATF_REQUIRE(n >= 0);
	trace[n] = '\0';
	ATF_CHECK_MSG(strstr(trace, "S: 250 ok") != NULL, "trace: %s", trace);
	ATF_CHECK_MSG(strstr(trace, "RCPT") == NULL, "trace: %s", trace);
	(void)close(tfd);
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

/* ------------------------------------------------------------ TLS */

static char dir[PATH_MAX];

static void
setup_certs(void)
{
	char err[ERR_MAX];

	(void)signal(SIGPIPE, SIG_IGN);
	ATF_REQUIRE(getcwd(dir, sizeof(dir)) != NULL);
	if (certs_make(dir, err, sizeof(err)) == -1)
		atf_tc_fail("making certificates: %s", err);
}

static struct tls_server *
server_creds(void)
{
	char cert[PATH_MAX], key[PATH_MAX], err[ERR_MAX];
	struct tls_server *srv;

	certs_path(dir, "server.pem", cert, sizeof(cert));
	certs_path(dir, "server-key.pem", key, sizeof(key));
	srv = tls_server_new(cert, key, err, sizeof(err));
	if (srv == NULL)
		atf_tc_fail("%s", err);
	return srv;
}

static void
client_opts(struct tls_client_opts *o, char *ca, size_t calen)
{
	certs_path(dir, "ca.pem", ca, calen);
	memset(o, 0, sizeof(*o));
	o->hostname = "localhost";
	o->trust_file = ca;
}

static int
wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Child helper: read a line, compare, or exit with code. */
static void
child_expect(struct io *io, const char *want, int code)
{
	char line[256];
	size_t len;
	int eol;

	if (io_getline(io, line, sizeof(line), &len, &eol) != IO_OK ||
	    eol != IO_EOL_CRLF || strcmp(line, want) != 0) {
		(void)fprintf(stderr, "child: wanted \"%s\", got \"%s\" (%s)\n",
		    want, line, io->err);
		_exit(code);
	}
}

/*
 * RFC 3207 §4.2: the client pipelines a command right after STARTTLS in
 * plaintext.  The server must drop it, and read the first command from
 * the TLS layer.
 */
ATF_TC_WITHOUT_HEAD(starttls_server_drops_pipelined);
ATF_TC_BODY(starttls_server_drops_pipelined, tc)
{
	static const char inj[] =
	    "STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n";
	struct tls_client_opts o;
	struct tls_server *srv;
	char ca[PATH_MAX], line[256];
	size_t len;
	struct io io;
	int sv[2], eol;
	pid_t pid;

	setup_certs();
	srv = server_creds();
	client_opts(&o, ca, sizeof(ca));
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(sv[0]);
		io_init(&io, sv[1], sv[1], 5000);
		if (write(sv[1], inj, sizeof(inj) - 1) != sizeof(inj) - 1)
			_exit(10);
		child_expect(&io, "220 2.0.0 Ready to start TLS", 11);
		if (io_starttls_client(&io, &o) == -1) {
			(void)fprintf(stderr, "child: %s\n", io.err);
			_exit(12);
		}
		if (io_line(&io, "EHLO after") == -1 || io_flush(&io) == -1)
			_exit(13);
		child_expect(&io, "250 ok", 14);
		io_close(&io);
		_exit(0);
	}
	(void)close(sv[1]);
	io_init(&io, sv[0], sv[0], 5000);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_REQUIRE_STREQ(line, "STARTTLS");
	/* The injected command is in our buffer: the test means something. */
	ATF_REQUIRE_MSG(io_buffered(&io) == sizeof(inj) - 1 - 10,
	    "buffered %zu", io_buffered(&io));
	ATF_REQUIRE(io_line(&io, "220 2.0.0 Ready to start TLS") == 0);
	ATF_REQUIRE_MSG(io_starttls_server(&io, srv) == 0, "%s", io.err);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "EHLO after");
	ATF_REQUIRE(io_line(&io, "250 ok") == 0 && io_flush(&io) == 0);
	ATF_CHECK_EQ(wait_child(pid), 0);
	io_close(&io);
	(void)close(sv[0]);
	tls_server_free(srv);
}

/* The other way: a server that sends a forged reply after its 220. */
ATF_TC_WITHOUT_HEAD(starttls_client_drops_pipelined);
ATF_TC_BODY(starttls_client_drops_pipelined, tc)
{
	static const char inj[] = "220 go ahead\r\n250 forged\r\n";
	struct tls_client_opts o;
	struct tls_server *srv;
	struct tls_info info;
	char ca[PATH_MAX], line[256];
	size_t len;
	struct io io;
	int sv[2], eol;
	pid_t pid;

	setup_certs();
	srv = server_creds();
	client_opts(&o, ca, sizeof(ca));
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(sv[0]);
		io_init(&io, sv[1], sv[1], 5000);
		child_expect(&io, "STARTTLS", 10);
		if (write(sv[1], inj, sizeof(inj) - 1) != sizeof(inj) - 1)
			_exit(11);
		if (io_starttls_server(&io, srv) == -1) {
			(void)fprintf(stderr, "child: %s\n", io.err);
			_exit(12);
		}
		if (io_line(&io, "250 real") == -1 || io_flush(&io) == -1)
			_exit(13);
		io_close(&io);
		_exit(0);
	}
	(void)close(sv[1]);
	io_init(&io, sv[0], sv[0], 5000);
	ATF_REQUIRE(io_line(&io, "STARTTLS") == 0 && io_flush(&io) == 0);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_REQUIRE_STREQ(line, "220 go ahead");
	ATF_REQUIRE_MSG(io_starttls_client(&io, &o) == 0, "%s", io.err);
	tls_info(io.tls, &info);
	ATF_CHECK_EQ(info.verified, 1);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "250 real");
	ATF_CHECK_EQ(wait_child(pid), 0);
	io_close(&io);
	(void)close(sv[0]);
	tls_server_free(srv);
}

#define BULK (6 * 1024 * 1024)

static unsigned char
pattern(size_t i, int seed)
{
	return (unsigned char)((i * 131 + (i >> 9) + (size_t)seed) & 0xff);
}

/* Several MB each way through TLS; reads by lines and by counts. */
ATF_TC_WITHOUT_HEAD(tls_bulk);
ATF_TC_BODY(tls_bulk, tc)
{
	struct tls_client_opts o;
	struct tls_server *srv;
	char ca[PATH_MAX], line[256];
	unsigned char *b;
	size_t len, i;
	struct io io;
	int sv[2], eol;
	pid_t pid;

	setup_certs();
	srv = server_creds();
	client_opts(&o, ca, sizeof(ca));
	ATF_REQUIRE((b = malloc(BULK)) != NULL);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(sv[0]);
		io_init(&io, sv[1], sv[1], 10000);
		if (io_starttls_server(&io, srv) == -1)
			_exit(10);
		child_expect(&io, "BDAT 6291456", 11);
		if (io_read_exact(&io, b, BULK) != IO_OK)
			_exit(12);
		for (i = 0; i < BULK; i++)
			if (b[i] != pattern(i, 1))
				_exit(13);
		for (i = 0; i < BULK; i++)
			b[i] = pattern(i, 2);
		if (io_line(&io, "250 got it") == -1 ||
		    io_write(&io, b, BULK) == -1 || io_flush(&io) == -1)
			_exit(14);
		io_close(&io);
		_exit(0);
	}
	(void)close(sv[1]);
	io_init(&io, sv[0], sv[0], 10000);
	ATF_REQUIRE_MSG(io_starttls_client(&io, &o) == 0, "%s", io.err);
	for (i = 0; i < BULK; i++)
		b[i] = pattern(i, 1);
	ATF_REQUIRE(io_line(&io, "BDAT %d", BULK) == 0);
	/* In uneven slices, as a client streaming a message would. */
	for (i = 0; i < BULK; i += 7777)
		ATF_REQUIRE_MSG(io_write(&io, b + i,
				    BULK - i < 7777 ? BULK - i : 7777) == 0,
		    "%s", io.err);
	ATF_REQUIRE_MSG(io_flush(&io) == 0, "%s", io.err);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "250 got it");
	memset(b, 0, BULK);
	ATF_REQUIRE_EQ(io_read_exact(&io, b, BULK), IO_OK);
	for (i = 0; i < BULK; i++)
		if (b[i] != pattern(i, 2))
			break;
	ATF_CHECK_EQ(i, BULK);
	ATF_CHECK_EQ(wait_child(pid), 0);
	io_close(&io);
	(void)close(sv[0]);
	free(b);
	tls_server_free(srv);
}

/* Line endings and a silent peer, over TLS. */
ATF_TC_WITHOUT_HEAD(tls_lines_timeout);
ATF_TC_BODY(tls_lines_timeout, tc)
{
	struct tls_client_opts o;
	struct tls_server *srv;
	char ca[PATH_MAX], line[8];
	size_t len;
	struct io io;
	int sv[2], eol;
	int64_t t0, dt;
	pid_t pid;

	setup_certs();
	srv = server_creds();
	client_opts(&o, ca, sizeof(ca));
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(sv[0]);
		io_init(&io, sv[1], sv[1], 5000);
		if (io_starttls_server(&io, srv) == -1)
			_exit(10);
		if (io_puts(&io, "a\r\nb\nc\rtoolongline\r") == -1 ||
		    io_flush(&io) == -1)
			_exit(11);
		/* The LF of the last CRLF comes later, in its own record. */
		(void)usleep(100 * 1000);
		if (io_puts(&io, "\n") == -1 || io_flush(&io) == -1)
			_exit(12);
		(void)sleep(30);
		_exit(0);
	}
	(void)close(sv[1]);
	io_init(&io, sv[0], sv[0], 5000);
	ATF_REQUIRE_MSG(io_starttls_client(&io, &o) == 0, "%s", io.err);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK(strcmp(line, "a") == 0 && eol == IO_EOL_CRLF);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK(strcmp(line, "b") == 0 && eol == IO_EOL_LF);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK(strcmp(line, "c") == 0 && eol == IO_EOL_CR);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK(strcmp(line, "toolong") == 0 && eol == IO_EOL_NONE);
	ATF_REQUIRE_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_MSG(strcmp(line, "line") == 0 && eol == IO_EOL_CRLF,
	    "\"%s\" %d", line, eol);
	io.timeout_ms = 300;
	t0 = util_now_ms();
	ATF_CHECK_EQ(
	    io_getline(&io, line, sizeof(line), &len, &eol), IO_TIMEOUT);
	dt = util_now_ms() - t0;
	ATF_CHECK_MSG(dt >= 250 && dt < 3000, "took %lld ms", (long long)dt);
	(void)kill(pid, SIGKILL);
	(void)wait_child(pid);
	io_close(&io);
	(void)close(sv[0]);
	tls_server_free(srv);
}

/* A signal in a wait: io->stop decides between giving up and going on. */
static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static int
stop_alarmed(void)
{
	return alarmed;
}

static int
never_stop(void)
{
	return 0;
}

/* SIGALRM (no SA_RESTART, so waits see EINTR) after ms milliseconds. */
static void
alarm_in(int ms)
{
	struct sigaction sa;
	struct itimerval it;

	alarmed = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ATF_REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = ms * 1000;
	ATF_REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

ATF_TC_WITHOUT_HEAD(stop_on_signal);
ATF_TC_BODY(stop_on_signal, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol, rc;
	int64_t t0, dt;

	ATF_REQUIRE(pipe(fds) == 0);
	io_init(&io, fds[0], -1, 5000);
	io.stop = stop_alarmed;
	alarm_in(100);
	t0 = util_now_ms();
	rc = io_getline(&io, line, sizeof(line), &len, &eol);
	dt = util_now_ms() - t0;
	ATF_CHECK_EQ(rc, IO_ERR);
	ATF_CHECK_EQ(errno, EINTR);
	ATF_CHECK_STREQ(io.err, "interrupted");
	ATF_CHECK_MSG(dt >= 80 && dt < 2000, "took %lld ms", (long long)dt);
	/* Input that came meanwhile is still there to read. */
	ATF_REQUIRE(write(fds[1], "next\r\n", 6) == 6);
	io.stop = NULL;
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "next");
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

/* The flag already set (the signal came while we were busy): a read
   that would wait gives up at once; what is buffered still comes. */
ATF_TC_WITHOUT_HEAD(stop_before_wait);
ATF_TC_BODY(stop_before_wait, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol;
	int64_t t0, dt;

	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE(write(fds[1], "one\r\ntwo\r\n", 10) == 10);
	io_init(&io, fds[0], -1, 5000);
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "one");
	io.stop = stop_alarmed;
	alarmed = 1;
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK_STREQ(line, "two");
	t0 = util_now_ms();
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_ERR);
	dt = util_now_ms() - t0;
	ATF_CHECK_STREQ(io.err, "interrupted");
	ATF_CHECK_MSG(dt < 1000, "took %lld ms", (long long)dt);
	io_close(&io);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

ATF_TC_WITHOUT_HEAD(signal_resumes);
ATF_TC_BODY(signal_resumes, tc)
{
	char line[64];
	size_t len;
	struct io io;
	int fds[2], eol;
	pid_t pid;

	ATF_REQUIRE(pipe(fds) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(fds[0]);
		(void)usleep(400 * 1000);
		_exit(write(fds[1], "late\r\n", 6) == 6 ? 0 : 1);
	}
	(void)close(fds[1]);
	io_init(&io, fds[0], -1, 5000);
	io.stop = never_stop;
	alarm_in(100);
	ATF_CHECK_EQ(io_getline(&io, line, sizeof(line), &len, &eol), IO_OK);
	ATF_CHECK(alarmed);
	ATF_CHECK_STREQ(line, "late");
	ATF_CHECK_EQ(wait_child(pid), 0);
	io_close(&io);
	(void)close(fds[0]);
}

/* The same over TLS: a silent TLS peer, SIGTERM-like stop. */
ATF_TC_WITHOUT_HEAD(tls_stop_on_signal);
ATF_TC_BODY(tls_stop_on_signal, tc)
{
	struct tls_client_opts o;
	struct tls_server *srv;
	char ca[PATH_MAX], line[64];
	size_t len;
	struct io io;
	int sv[2], eol, rc;
	int64_t t0, dt;
	pid_t pid;

	setup_certs();
	srv = server_creds();
	client_opts(&o, ca, sizeof(ca));
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(sv[0]);
		io_init(&io, sv[1], sv[1], 5000);
		if (io_starttls_server(&io, srv) == -1)
			_exit(10);
		(void)sleep(30);
		_exit(0);
	}
	(void)close(sv[1]);
	io_init(&io, sv[0], sv[0], 5000);
	io.stop = stop_alarmed;
	alarmed = 0;
	ATF_REQUIRE_MSG(io_starttls_client(&io, &o) == 0, "%s", io.err);
	alarm_in(100);
	t0 = util_now_ms();
	rc = io_getline(&io, line, sizeof(line), &len, &eol);
	dt = util_now_ms() - t0;
	ATF_CHECK_EQ(rc, IO_ERR);
	ATF_CHECK_EQ(errno, EINTR);
	ATF_CHECK_MSG(dt >= 80 && dt < 2000, "took %lld ms", (long long)dt);
	(void)kill(pid, SIGKILL);
	(void)wait_child(pid);
	io_close(&io);
	(void)close(sv[0]);
	tls_server_free(srv);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, lines_table);
	ATF_TP_ADD_TC(tp, lines_bytewise);
	ATF_TP_ADD_TC(tp, cr_waits_for_next_byte);
	ATF_TP_ADD_TC(tp, huge_line);
	ATF_TP_ADD_TC(tp, read_timeout);
	ATF_TP_ADD_TC(tp, read_deadline);
	ATF_TP_ADD_TC(tp, write_timeout);
	ATF_TP_ADD_TC(tp, write_closed_peer);
	ATF_TP_ADD_TC(tp, read_exact);
	ATF_TP_ADD_TC(tp, discard_input);
	ATF_TP_ADD_TC(tp, line_and_trace);
	ATF_TP_ADD_TC(tp, stop_on_signal);
	ATF_TP_ADD_TC(tp, stop_before_wait);
	ATF_TP_ADD_TC(tp, signal_resumes);
	ATF_TP_ADD_TC(tp, tls_stop_on_signal);
	ATF_TP_ADD_TC(tp, starttls_server_drops_pipelined);
	ATF_TP_ADD_TC(tp, starttls_client_drops_pipelined);
	ATF_TP_ADD_TC(tp, tls_bulk);
	ATF_TP_ADD_TC(tp, tls_lines_timeout);
	return atf_no_error();
}
