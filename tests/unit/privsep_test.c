/*
 * privsep_test: the messages between the privileged and unprivileged
 * halves of a server: fields and a descriptor across, and every kind of
 * hostile datagram refused; the user lookup; the proxy.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "io.h"
#include "privsep.h"

/* Send raw bytes as one datagram. */
static void
raw_send(int fd, const void *p, size_t n)
{
	ATF_REQUIRE(send(fd, p, n, 0) == (ssize_t)n);
}

static size_t
mk(unsigned char *p, uint32_t type, uint32_t n, const uint32_t *lens,
    const char *data, size_t dlen)
{
	size_t off = 8 + 4 * (size_t)n;

	memcpy(p, &type, 4);
	memcpy(p + 4, &n, 4);
	memcpy(p + 8, lens, 4 * (size_t)n);
	memcpy(p + off, data, dlen);
	return off + dlen;
}

ATF_TC_WITHOUT_HEAD(round_trip);
ATF_TC_BODY(round_trip, tc)
{
	const char *f[] = {"alice", "", "s3cret:with:colons", NULL};
	struct privsep_msg m;
	int sv[2];

	ATF_REQUIRE(privsep_socketpair(sv) == 0);
	ATF_REQUIRE(privsep_send(sv[0], 7, -1, 4, f) == 0);
	ATF_REQUIRE_EQ(privsep_recv(sv[1], &m, 1000), 1);
	ATF_CHECK_EQ(m.type, 7);
	ATF_CHECK_EQ(m.fd, -1);
	ATF_REQUIRE_EQ(m.n, 4);
	ATF_CHECK_STREQ(m.field[0], "alice");
	ATF_CHECK_STREQ(m.field[1], "");
	ATF_CHECK_STREQ(m.field[2], "s3cret:with:colons");
	ATF_CHECK_STREQ(m.field[3], "");
	ATF_CHECK_EQ(m.len[2], 18);
	/* Bounds per field. */
	ATF_CHECK(privsep_field(&m, 0, 5) != NULL);
	ATF_CHECK(privsep_field(&m, 0, 4) == NULL);
	ATF_CHECK(privsep_field(&m, 4, 100) == NULL);
	/* No fields at all. */
	ATF_REQUIRE(privsep_send(sv[0], 9, -1, 0, NULL) == 0);
	ATF_REQUIRE_EQ(privsep_recv(sv[1], &m, 1000), 1);
	ATF_CHECK_EQ(m.type, 9);
	ATF_CHECK_EQ(m.n, 0);
	/* EOF. */
	close(sv[0]);
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), 0);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(pass_fd);
ATF_TC_BODY(pass_fd, tc)
{
	const char *f[] = {"x"};
	struct privsep_msg m;
	char b[8];
	int sv[2], p[2];

	ATF_REQUIRE(privsep_socketpair(sv) == 0);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE(privsep_send(sv[0], 1, p[1], 1, f) == 0);
	close(p[1]);
	ATF_REQUIRE_EQ(privsep_recv(sv[1], &m, 1000), 1);
	ATF_REQUIRE(m.fd >= 0);
	ATF_CHECK(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
	ATF_REQUIRE(write(m.fd, "hi", 2) == 2);
	close(m.fd);
	ATF_REQUIRE(read(p[0], b, sizeof(b)) == 2);
	ATF_CHECK(memcmp(b, "hi", 2) == 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(hostile);
ATF_TC_BODY(hostile, tc)
{
	unsigned char p[PRIVSEP_MSG_MAX + 64];
	uint32_t lens[PRIVSEP_FIELDS_MAX + 1];
	struct privsep_msg m;
	size_t n;
	int sv[2];

	ATF_REQUIRE(privsep_socketpair(sv) == 0);
	/* Shorter than the header. */
	raw_send(sv[0], "abc", 3);
	errno = 0;
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	/* A length past the end. */
	lens[0] = 10;
	n = mk(p, 1, 1, lens, "abc", 3);
	raw_send(sv[0], p, n);
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	/* A huge length (wraps if added carelessly). */
	lens[0] = 0xffffffffu;
	lens[1] = 4;
	n = mk(p, 1, 2, lens, "abcd", 4);
	raw_send(sv[0], p, n);
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	/* Trailing bytes the lengths do not cover. */
	lens[0] = 2;
	n = mk(p, 1, 1, lens, "abcd", 4);
	raw_send(sv[0], p, n);
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	/* A NUL inside a field. */
	lens[0] = 3;
	n = mk(p, 1, 1, lens, "a\0c", 3);
	raw_send(sv[0], p, n);
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	/* Too many fields. */
	memset(lens, 0, sizeof(lens));
	n = mk(p, 1, PRIVSEP_FIELDS_MAX + 1, lens, "", 0);
	raw_send(sv[0], p, n);
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	/* Longer than PRIVSEP_MSG_MAX: truncated, refused. */
	memset(p, 'x', sizeof(p));
	lens[0] = sizeof(p) - 12;
	memcpy(p, "\1\0\0\0\1\0\0\0", 8);
	memcpy(p + 8, lens, 4);
	raw_send(sv[0], p, sizeof(p));
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 1000), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	/* And a good one still comes through after all that. */
	lens[0] = 2;
	n = mk(p, 5, 1, lens, "ok", 2);
	raw_send(sv[0], p, n);
	ATF_REQUIRE_EQ(privsep_recv(sv[1], &m, 1000), 1);
	ATF_CHECK_EQ(m.type, 5);
	ATF_CHECK_STREQ(m.field[0], "ok");
	/* Nothing there: a timeout. */
	ATF_CHECK_EQ(privsep_recv(sv[1], &m, 50), -1);
	ATF_CHECK_EQ(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(too_long_to_send);
ATF_TC_BODY(too_long_to_send, tc)
{
	char *big;
	const char *f[1];
	int sv[2];

	ATF_REQUIRE((big = malloc(PRIVSEP_MSG_MAX)) != NULL);
	memset(big, 'a', PRIVSEP_MSG_MAX - 1);
	big[PRIVSEP_MSG_MAX - 1] = '\0';
	f[0] = big;
	ATF_REQUIRE(privsep_socketpair(sv) == 0);
	errno = 0;
	ATF_CHECK_EQ(privsep_send(sv[0], 1, -1, 1, f), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	ATF_CHECK_EQ(privsep_send(sv[0], 1, -1, PRIVSEP_FIELDS_MAX + 1, f), -1);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(lookup);
ATF_TC_BODY(lookup, tc)
{
	struct privsep_id id;
	char err[256];

	ATF_CHECK_EQ(privsep_lookup("root", &id, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "uid 0") != NULL);
	ATF_CHECK_EQ(
	    privsep_lookup("no-such-user-here", &id, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "no-such-user-here") != NULL);
	/* The default: yubin, else nobody. */
	if (privsep_lookup(NULL, &id, err, sizeof(err)) == 0) {
		ATF_CHECK(strcmp(id.name, PRIVSEP_USER) == 0 ||
		    strcmp(id.name, PRIVSEP_USER_FALLBACK) == 0);
		ATF_CHECK(id.uid != 0);
	}
}

ATF_TC_WITHOUT_HEAD(proxy);
ATF_TC_BODY(proxy, tc)
{
	struct io net;
	char b[64];
	int client[2], inner[2];
	pid_t pid;
	ssize_t r;
	int st;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, client) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, inner) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		/* The login process: "STAT" was pipelined after the login
		   and is already in its buffer. */
		close(client[0]);
		close(inner[1]);
		io_init(&net, client[1], client[1], 5000);
		memcpy(net.rbuf, "STAT\r\n", 6);
		net.rlen = 6;
		_exit(privsep_proxy(&net, inner[0], 5000) == 0 ? 0 : 1);
	}
	close(client[1]);
	close(inner[0]);
	/* The post-login side gets the buffered line first. */
	ATF_REQUIRE(read(inner[1], b, sizeof(b)) == 6);
	ATF_CHECK(memcmp(b, "STAT\r\n", 6) == 0);
	ATF_REQUIRE(write(inner[1], "+OK 0 0\r\n", 9) == 9);
	ATF_REQUIRE((r = read(client[0], b, sizeof(b))) == 9);
	ATF_CHECK(memcmp(b, "+OK 0 0\r\n", 9) == 0);
	ATF_REQUIRE(write(client[0], "QUIT\r\n", 6) == 6);
	ATF_REQUIRE(read(inner[1], b, sizeof(b)) == 6);
	ATF_CHECK(memcmp(b, "QUIT\r\n", 6) == 0);
	ATF_REQUIRE(write(inner[1], "+OK bye\r\n", 9) == 9);
	close(inner[1]);
	ATF_REQUIRE(read(client[0], b, sizeof(b)) == 9);
	ATF_CHECK_EQ(read(client[0], b, sizeof(b)), 0);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(client[0]);
}

/*
 * The client pipelines more than the socket buffers hold while the
 * session writes a long answer without reading: the proxy must go on
 * passing the answer (a client that reads while it writes gets it all).
 */
ATF_TC_WITHOUT_HEAD(proxy_both_ways);
ATF_TC_BODY(proxy_both_ways, tc)
{
	enum { N = 4 * 1024 * 1024 };
	struct io net;
	struct pollfd pfd;
	static char b[65536];
	size_t sent = 0, got = 0, n;
	int client[2], inner[2], st;
	pid_t pid, cpid;
	ssize_t r;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, client) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, inner) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		/* The login process. */
		alarm(30);
		close(client[0]);
		close(inner[1]);
		io_init(&net, client[1], client[1], 20000);
		_exit(privsep_proxy(&net, inner[0], 20000) == 0 ? 0 : 1);
	}
	close(client[1]);
	close(inner[0]);
	ATF_REQUIRE((cpid = fork()) != -1);
	if (cpid == 0) {
		/* The client: writes N bytes and reads N, both at once. */
		alarm(30);
		close(inner[1]);
		(void)fcntl(client[0], F_SETFL, O_NONBLOCK);
		memset(b, 'c', sizeof(b));
		while (sent < N || got < N) {
			pfd.fd = client[0];
			pfd.events = POLLIN | (sent < N ? POLLOUT : 0);
			if (poll(&pfd, 1, 20000) <= 0)
				_exit(2);
			if ((pfd.revents & POLLOUT) != 0) {
				n = N - sent < sizeof(b) ? N - sent : sizeof(b);
				if ((r = write(client[0], b, n)) > 0)
					sent += (size_t)r;
			}
			if ((pfd.revents & (POLLIN | POLLHUP)) != 0) {
				if ((r = read(client[0], b, sizeof(b))) <= 0)
					_exit(3);
				got += (size_t)r;
				memset(b, 'c', sizeof(b));
			}
		}
		_exit(0);
	}
	close(client[0]);
	/* The session: all of its answer first, then its input. */
	alarm(60);
	memset(b, 's', sizeof(b));
	for (sent = 0; sent < N; sent += (size_t)r)
		ATF_REQUIRE(
		    (r = write(inner[1], b,
			 N - sent < sizeof(b) ? N - sent : sizeof(b))) > 0);
	for (got = 0; got < N; got += (size_t)r)
		ATF_REQUIRE((r = read(inner[1], b, sizeof(b))) > 0);
	close(inner[1]);
	ATF_REQUIRE(waitpid(cpid, &st, 0) == cpid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Without TLS: the client's descriptors and its pipelined input go to
 * the post-login side whole; anything but such a record is refused. */
ATF_TC_WITHOUT_HEAD(pass_client);
ATF_TC_BODY(pass_client, tc)
{
	struct io net;
	char buf[IO_RBUF_SIZE], b[16];
	unsigned char junk[12];
	uint32_t big = IO_RBUF_SIZE + 1;
	int up[2], down[2], inner[2], rfd, wfd;
	size_t n;

	/* Separate read and write descriptors, as inetd's 0 and 1 may be. */
	ATF_REQUIRE(pipe(up) == 0);
	ATF_REQUIRE(pipe(down) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, inner) == 0);
	io_init(&net, up[0], down[1], 5000);
	memcpy(net.rbuf, "xxa2 NOOP\r\n", 11);
	net.rpos = 2;
	net.rlen = 11;
	ATF_REQUIRE_EQ(privsep_pass_client(&net, inner[0]), 0);
	ATF_CHECK_EQ(net.rlen, 0);
	ATF_REQUIRE_EQ(privsep_take_client(inner[1], 5000, &rfd, &wfd, buf,
	    &n), 0);
	ATF_REQUIRE_EQ(n, 9);
	ATF_CHECK(memcmp(buf, "a2 NOOP\r\n", 9) == 0);
	ATF_CHECK(fcntl(rfd, F_GETFD) & FD_CLOEXEC);
	/* They are the client's: what it writes comes on rfd, what we
	   write on wfd reaches it. */
	ATF_REQUIRE(write(up[1], "a3", 2) == 2);
	ATF_REQUIRE(read(rfd, b, sizeof(b)) == 2);
	ATF_REQUIRE(write(wfd, "* OK", 4) == 4);
	ATF_REQUIRE(read(down[0], b, sizeof(b)) == 4);
	ATF_CHECK(memcmp(b, "* OK", 4) == 0);
	close(rfd);
	close(wfd);
	/* Nothing buffered: a record of its header only. */
	io_init(&net, up[0], down[1], 5000);
	ATF_REQUIRE_EQ(privsep_pass_client(&net, inner[0]), 0);
	ATF_REQUIRE_EQ(privsep_take_client(inner[1], 5000, &rfd, &wfd, buf,
	    &n), 0);
	ATF_CHECK_EQ(n, 0);
	close(rfd);
	close(wfd);
	/* No descriptors, a bad magic, a length past the buffer: refused;
	   nothing at all: a timeout. */
	memcpy(junk, "YPC1", 4);
	memset(junk + 4, 0, 8);
	ATF_REQUIRE(write(inner[0], junk, 8) == 8);
	ATF_CHECK_EQ(privsep_take_client(inner[1], 5000, &rfd, &wfd, buf,
	    &n), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	memcpy(junk, "XXXX", 4);
	ATF_REQUIRE(write(inner[0], junk, 8) == 8);
	ATF_CHECK_EQ(privsep_take_client(inner[1], 5000, &rfd, &wfd, buf,
	    &n), -1);
	memcpy(junk, "YPC1", 4);
	memcpy(junk + 4, &big, 4);
	ATF_REQUIRE(write(inner[0], junk, 8) == 8);
	ATF_CHECK_EQ(privsep_take_client(inner[1], 5000, &rfd, &wfd, buf,
	    &n), -1);
	ATF_CHECK_EQ(privsep_take_client(inner[1], 100, &rfd, &wfd, buf,
	    &n), -1);
	ATF_CHECK_EQ(errno, ETIMEDOUT);
	close(inner[0]);
	ATF_CHECK_EQ(privsep_take_client(inner[1], 5000, &rfd, &wfd, buf,
	    &n), -1);
	close(inner[1]);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, round_trip);
	ATF_TP_ADD_TC(tp, pass_fd);
	ATF_TP_ADD_TC(tp, hostile);
	ATF_TP_ADD_TC(tp, too_long_to_send);
	ATF_TP_ADD_TC(tp, lookup);
	ATF_TP_ADD_TC(tp, proxy);
	ATF_TP_ADD_TC(tp, proxy_both_ways);
	ATF_TP_ADD_TC(tp, pass_client);
	return atf_no_error();
}
