/*
 * net_test: host:port splitting, connect with per-address fallback and
 * its error text, listening on port 0, peer names.  Loopback only.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "net.h"
#include "util.h"

struct split_case {
	const char *in;
	const char *defport;
	int rc;
	const char *host;
	const char *port;
};

static const struct split_case split_cases[] = {
    {"mail.example.org:25", "587", 0, "mail.example.org", "25"},
    {"mail.example.org", "587", 0, "mail.example.org", "587"},
    {"127.0.0.1:2525", NULL, 0, "127.0.0.1", "2525"},
    {"[::1]:25", NULL, 0, "::1", "25"},
    {"[::1]", "25", 0, "::1", "25"},
    {"::1", "25", 0, "::1", "25"},
    {"fe80::1:2", "25", 0, "fe80::1:2", "25"},
    {"localhost:0", NULL, 0, "localhost", "0"},
    {"localhost:smtp", NULL, 0, "localhost", "smtp"},
    {"localhost:65535", NULL, 0, "localhost", "65535"},
    /* malformed */
    {"", "25", -1, NULL, NULL},
    {":25", NULL, -1, NULL, NULL},
    {"host:", NULL, -1, NULL, NULL},
    {"host", NULL, -1, NULL, NULL}, /* no port, no default */
    {"host:65536", NULL, -1, NULL, NULL},
    {"host:25x", NULL, -1, NULL, NULL},
    {"host:-1", NULL, -1, NULL, NULL},
    {"[::1", "25", -1, NULL, NULL},
    {"[]:25", NULL, -1, NULL, NULL},
    {"[::1]25", NULL, -1, NULL, NULL},
    {"[::1]:", NULL, -1, NULL, NULL},
    {"[[::1]]:25", NULL, -1, NULL, NULL},
    {"ho st:25", NULL, -1, NULL, NULL},
    {"host:2 5", NULL, -1, NULL, NULL},
};

ATF_TC_WITHOUT_HEAD(split_hostport);
ATF_TC_BODY(split_hostport, tc)
{
	char host[64], port[16];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];

		rc = net_split_hostport(
		    c->in, c->defport, host, sizeof(host), port, sizeof(port));
		ATF_CHECK_MSG(
		    rc == c->rc, "\"%s\": rc %d, want %d", c->in, rc, c->rc);
		if (rc == 0 && c->rc == 0) {
			ATF_CHECK_MSG(strcmp(host, c->host) == 0,
			    "\"%s\": host \"%s\"", c->in, host);
			ATF_CHECK_MSG(strcmp(port, c->port) == 0,
			    "\"%s\": port \"%s\"", c->in, port);
		}
	}
}

ATF_TC_WITHOUT_HEAD(split_hostport_bounds);
ATF_TC_BODY(split_hostport_bounds, tc)
{
	char host[8], port[4];

	ATF_CHECK_EQ(net_split_hostport("abcdefg:25", NULL, host, sizeof(host),
			 port, sizeof(port)),
	    0);
	ATF_CHECK_EQ(net_split_hostport("abcdefgh:25", NULL, host, sizeof(host),
			 port, sizeof(port)),
	    -1);
	ATF_CHECK_EQ(net_split_hostport("a:2525", NULL, host, sizeof(host),
			 port, sizeof(port)),
	    -1);
}

/*
 * A port on 127.0.0.1 that refuses: bound but not listening, and kept
 * bound so nobody else can take it while the test runs.
 */
static int
refusing_port(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	}
	ATF_REQUIRE((fd = socket(family, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(fd, (struct sockaddr *)&ss, len) == 0);
	*port = net_local_port(fd);
	ATF_REQUIRE(*port > 0);
	return fd;
}

ATF_TC_WITHOUT_HEAD(connect_refused);
ATF_TC_BODY(connect_refused, tc)
{
	char err[ERR_MAX], want[64], port[16], addr[64];
	int hold, p, fd;

	hold = refusing_port(AF_INET, &p);
	(void)snprintf(port, sizeof(port), "%d", p);
	fd = net_connect(
	    "127.0.0.1", port, 2000, addr, sizeof(addr), err, sizeof(err));
	ATF_CHECK_EQ(fd, -1);
	(void)snprintf(
	    want, sizeof(want), "127.0.0.1:%d: Connection refused", p);
	ATF_CHECK_MSG(strcmp(err, want) == 0, "err \"%s\"", err);
	(void)close(hold);
}

ATF_TC_WITHOUT_HEAD(connect_bad_name);
ATF_TC_BODY(connect_bad_name, tc)
{
	char err[ERR_MAX];

	/* RFC 6761 §6.4: .invalid never resolves. */
	ATF_CHECK_EQ(net_connect("no-such-host.invalid", "25", 2000, NULL, 0,
			 err, sizeof(err)),
	    -1);
	ATF_CHECK_MSG(strstr(err, "no-such-host.invalid") != NULL, "%s", err);
}

static struct addrinfo *
ai_new(struct addrinfo *ai, struct sockaddr_storage *ss, int family, int port,
    struct addrinfo *next)
{
	memset(ai, 0, sizeof(*ai));
	memset(ss, 0, sizeof(*ss));
	ai->ai_family = family;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)ss;
	ai->ai_next = next;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ai->ai_addrlen = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		ai->ai_addrlen = sizeof(*s6);
	}
	return ai;
}

/*
 * A host with two addresses: the first refuses, the second listens.
 * (The list is built by hand: /etc/hosts may give "localhost" only one
 * address, and the test must not depend on it.)
 */
ATF_TC_WITHOUT_HEAD(connect_fallback);
ATF_TC_BODY(connect_fallback, tc)
{
	struct addrinfo a1, a2;
	struct sockaddr_storage s1, s2;
	char err[ERR_MAX], addr[64], want[64], lport[16];
	int hold, dead, live, lfd, fd, afd;

	hold = refusing_port(AF_INET6, &dead);
	lfd = net_listen("127.0.0.1:0", 5, err, sizeof(err));
	ATF_REQUIRE_MSG(lfd != -1, "%s", err);
	live = net_local_port(lfd);
	ai_new(&a1, &s1, AF_INET6, dead, ai_new(&a2, &s2, AF_INET, live, NULL));
	addr[0] = '\0';
	fd = net_connect_ai(&a1, 2000, addr, sizeof(addr), err, sizeof(err));
	ATF_REQUIRE_MSG(fd != -1, "%s", err);
	ATF_CHECK_STREQ(addr, "127.0.0.1");
	ATF_REQUIRE((afd = accept(lfd, NULL, NULL)) != -1);
	ATF_CHECK(write(fd, "x", 1) == 1);
	(void)close(afd);
	(void)close(fd);

	/* Both dead: the error names each address and why. */
	(void)close(lfd);
	ai_new(&a2, &s2, AF_INET, live, NULL);
	ATF_CHECK_EQ(net_connect_ai(&a1, 2000, NULL, 0, err, sizeof(err)), -1);
	(void)snprintf(
	    want, sizeof(want), "[::1]:%d: Connection refused; ", dead);
	ATF_CHECK_MSG(strstr(err, want) == err, "err \"%s\"", err);
	(void)snprintf(lport, sizeof(lport), "127.0.0.1:%d: ", live);
	ATF_CHECK_MSG(strstr(err, lport) != NULL, "err \"%s\"", err);
	(void)close(hold);
}

/* A full accept queue drops SYNs: the connect must give up in time. */
ATF_TC_WITHOUT_HEAD(connect_timeout);
ATF_TC_BODY(connect_timeout, tc)
{
	char err[ERR_MAX], port[16];
	int lfd, fds[16], i, n = 0, fd = -1;
	int64_t t0, dt = 0;

	lfd = net_listen("127.0.0.1:0", 0, err, sizeof(err));
	ATF_REQUIRE_MSG(lfd != -1, "%s", err);
	(void)snprintf(port, sizeof(port), "%d", net_local_port(lfd));
	for (i = 0; i < 16; i++) {
		t0 = util_now_ms();
		fd = net_connect(
		    "127.0.0.1", port, 300, NULL, 0, err, sizeof(err));
		dt = util_now_ms() - t0;
		if (fd == -1)
			break;
		fds[n++] = fd;
	}
	if (fd != -1)
		atf_tc_skip("this kernel never fills the accept queue");
	ATF_CHECK_MSG(strstr(err, "timed out") != NULL, "%s", err);
	ATF_CHECK_MSG(dt >= 250 && dt < 3000, "took %lld ms", (long long)dt);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	(void)close(lfd);
}

static void
listen_and_talk(const char *hostport, const char *host, const char *want)
{
	char err[ERR_MAX], port[16], addr[64], paddr[64], name[256];
	int lfd, fd, afd, flags, p;

	lfd = net_listen(hostport, 5, err, sizeof(err));
	ATF_REQUIRE_MSG(lfd != -1, "%s: %s", hostport, err);
	ATF_CHECK((fcntl(lfd, F_GETFD) & FD_CLOEXEC) != 0);
	p = net_local_port(lfd);
	ATF_REQUIRE(p > 0);
	(void)snprintf(port, sizeof(port), "%d", p);
	fd =
	    net_connect(host, port, 2000, addr, sizeof(addr), err, sizeof(err));
	ATF_REQUIRE_MSG(fd != -1, "%s", err);
	ATF_CHECK_STREQ(addr, want);
	ATF_CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	flags = fcntl(fd, F_GETFL);
	ATF_CHECK((flags & O_NONBLOCK) == 0);
	ATF_REQUIRE((afd = accept(lfd, NULL, NULL)) != -1);
	ATF_CHECK_EQ(
	    net_peer(afd, 0, paddr, sizeof(paddr), name, sizeof(name)), 0);
	ATF_CHECK_STREQ(paddr, want);
	ATF_CHECK_STREQ(name, "");
	ATF_CHECK(write(fd, "ping", 4) == 4);
	ATF_CHECK(read(afd, paddr, 4) == 4 && memcmp(paddr, "ping", 4) == 0);
	(void)close(afd);
	(void)close(fd);
	(void)close(lfd);
}

ATF_TC_WITHOUT_HEAD(listen_v4);
ATF_TC_BODY(listen_v4, tc)
{
	listen_and_talk("127.0.0.1:0", "127.0.0.1", "127.0.0.1");
}

ATF_TC_WITHOUT_HEAD(listen_v6);
ATF_TC_BODY(listen_v6, tc)
{
	char err[ERR_MAX];
	int fd;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		atf_tc_skip("no IPv6 here: %s", strerror(errno));
	(void)close(fd);
	(void)err;
	listen_and_talk("[::1]:0", "::1", "::1");
}

ATF_TC_WITHOUT_HEAD(listen_errors);
ATF_TC_BODY(listen_errors, tc)
{
	char err[ERR_MAX], hp[64];
	int lfd, p;

	ATF_CHECK_EQ(net_listen("127.0.0.1", 5, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "ADDR:PORT") != NULL, "%s", err);
	lfd = net_listen("127.0.0.1:0", 5, err, sizeof(err));
	ATF_REQUIRE(lfd != -1);
	p = net_local_port(lfd);
	(void)snprintf(hp, sizeof(hp), "127.0.0.1:%d", p);
	ATF_CHECK_EQ(net_listen(hp, 5, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "Address already in use") != NULL &&
		strstr(err, hp) != NULL,
	    "%s", err);
	(void)close(lfd);
}

ATF_TC_WITHOUT_HEAD(peer_not_socket);
ATF_TC_BODY(peer_not_socket, tc)
{
	char addr[64], name[64];
	int fds[2];

	/* Under inetd in a test, fd 0 may be a pipe. */
	ATF_REQUIRE(pipe(fds) == 0);
	ATF_CHECK_EQ(
	    net_peer(fds[0], 1, addr, sizeof(addr), name, sizeof(name)), -1);
	ATF_CHECK_STREQ(addr, "");
	(void)close(fds[0]);
	(void)close(fds[1]);
}

ATF_TC_WITHOUT_HEAD(peer_resolve);
ATF_TC_BODY(peer_resolve, tc)
{
	char err[ERR_MAX], port[16], addr[64], name[256];
	int lfd, fd, afd;

	lfd = net_listen("127.0.0.1:0", 5, err, sizeof(err));
	ATF_REQUIRE_MSG(lfd != -1, "%s", err);
	(void)snprintf(port, sizeof(port), "%d", net_local_port(lfd));
	fd = net_connect("localhost", port, 2000, NULL, 0, err, sizeof(err));
	ATF_REQUIRE_MSG(fd != -1, "%s", err);
	ATF_REQUIRE((afd = accept(lfd, NULL, NULL)) != -1);
	ATF_CHECK_EQ(
	    net_peer(afd, 1, addr, sizeof(addr), name, sizeof(name)), 0);
	ATF_CHECK_STREQ(addr, "127.0.0.1");
	/* 127.0.0.1 maps back to some name that maps to 127.0.0.1. */
	if (name[0] != '\0') {
		struct addrinfo hints, *res;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		ATF_CHECK(getaddrinfo(name, NULL, &hints, &res) == 0);
		freeaddrinfo(res);
	}
	(void)close(afd);
	(void)close(fd);
	(void)close(lfd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, split_hostport);
	ATF_TP_ADD_TC(tp, split_hostport_bounds);
	ATF_TP_ADD_TC(tp, connect_refused);
	ATF_TP_ADD_TC(tp, connect_bad_name);
	ATF_TP_ADD_TC(tp, connect_fallback);
	ATF_TP_ADD_TC(tp, connect_timeout);
	ATF_TP_ADD_TC(tp, listen_v4);
	ATF_TP_ADD_TC(tp, listen_v6);
	ATF_TP_ADD_TC(tp, listen_errors);
	ATF_TP_ADD_TC(tp, peer_not_socket);
	ATF_TP_ADD_TC(tp, peer_resolve);
	return atf_no_error();
}
