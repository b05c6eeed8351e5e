/*
 * net.c: TCP connect by name with per-address fallback and timeouts,
 * listening sockets, peer names.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <ifaddrs.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

/* A port is a number (0-65535) or a service name; keep names short. */
#define NET_PORT_MAX 32

static int
valid_port(const char *p, size_t n)
{
	size_t i;
	int digits = 1;
	long v = 0;

	if (n == 0 || n >= NET_PORT_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= '0' && c <= '9') {
			v = v * 10 + (c - '0');
			if (v > 65535)
				return 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c == '-' && i > 0))
			digits = 0;
		else
			return 0;
	}
	return digits || (p[0] < '0' || p[0] > '9');
}

static int
copy_part(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
net_split_hostport(const char *s, const char *defport, char *host,
    size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *end, *p;
	size_t slen;

	if (s == NULL || hostlen == 0 || portlen == 0)
		return -1;
	slen = strlen(s);
	if (slen == 0)
		return -1;
	if (s[0] == '[') {
		/* "[v6]" or "[v6]:port" */
		if ((end = memchr(s, ']', slen)) == NULL || end == s + 1)
			return -1;
		if (memchr(s + 1, '[', (size_t)(end - s - 1)) != NULL)
			return -1;
		if (copy_part(host, hostlen, s + 1, (size_t)(end - s - 1)) ==
		    -1)
			return -1;
		if (end[1] == '\0')
			p = NULL;
		else if (end[1] == ':')
			p = end + 2;
		else
			return -1;
	} else if ((colon = strchr(s, ':')) == NULL) {
		if (copy_part(host, hostlen, s, slen) == -1)
			return -1;
		p = NULL;
	} else if (strchr(colon + 1, ':') != NULL) {
		/* Several colons and no brackets: a bare IPv6 address. */
		if (copy_part(host, hostlen, s, slen) == -1)
			return -1;
		p = NULL;
	} else {
		if (colon == s)
			return -1;
		if (copy_part(host, hostlen, s, (size_t)(colon - s)) == -1)
			return -1;
		p = colon + 1;
	}
	if (strpbrk(host, " \t\r\n[]/") != NULL)
		return -1;
	if (p == NULL) {
		if (defport == NULL)
			return -1;
		p = defport;
	}
	if (!valid_port(p, strlen(p)))
		return -1;
	return copy_part(port, portlen, p, strlen(p));
}

void
net_sa_str(const struct sockaddr *sa, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	if (getnameinfo(sa,
		sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in),
		out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST) != 0)
		util_strlcpy(out, "?", outlen);
}

/* "127.0.0.1:25" or "[::1]:25" */
static void
sa_hostport(const struct sockaddr *sa, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	int port = 0;

	net_sa_str(sa, a, sizeof(a));
	if (sa->sa_family == AF_INET)
		port = ntohs(
		    ((const struct sockaddr_in *)(const void *)sa)->sin_port);
	else if (sa->sa_family == AF_INET6)
		port = ntohs(
		    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	if (sa->sa_family == AF_INET6)
		(void)snprintf(out, outlen, "[%s]:%d", a, port);
	else
		(void)snprintf(out, outlen, "%s:%d", a, port);
}

void
net_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* One attempt; returns the fd or -1 with a reason (no address) in why. */
static int
connect_one(const struct sockaddr *sa, socklen_t salen, int timeout_ms,
    char *why, size_t whylen)
{
	struct pollfd pfd;
	int64_t deadline;
	int fd, rc, soerr, flags;
	socklen_t len;

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		util_seterr(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, sa, salen) == 0)
		goto done;
	if (errno != EINPROGRESS && errno != EINTR) {
		util_seterr(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	deadline = util_now_ms() + timeout_ms;
	for (;;) {
		int wait = -1;

		if (timeout_ms > 0) {
			int64_t left = deadline - util_now_ms();

			if (left <= 0) {
				rc = 0;
				goto timedout;
			}
			wait = (int)left;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, wait);
		if (rc == -1 && errno == EINTR)
			continue;
		break;
	}
timedout:
	if (rc == -1) {
		util_seterr(why, whylen, "poll: %s", strerror(errno));
		goto fail;
	}
	if (rc == 0) {
		util_seterr(why, whylen, "timed out after %d ms", timeout_ms);
		goto fail;
	}
	soerr = 0;
	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr != 0) {
		util_seterr(why, whylen, "%s", strerror(soerr));
		goto fail;
	}
done:
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		util_seterr(why, whylen, "fcntl: %s", strerror(errno));
		goto fail;
	}
	net_nodelay(fd);
	return fd;
fail:
	(void)close(fd);
	return -1;
}

int
net_connect_sa(const struct sockaddr *sa, socklen_t salen, int timeout_ms,
    char *err, size_t errlen)
{
	char hp[NET_ADDRSTR_MAX], why[ERR_MAX];
	int fd;

	if ((fd = connect_one(sa, salen, timeout_ms, why, sizeof(why))) == -1) {
		sa_hostport(sa, hp, sizeof(hp));
		util_seterr(err, errlen, "%s: %s", hp, why);
	}
	return fd;
}

int
net_connect_ai(const struct addrinfo *ai, int timeout_ms, char *addr,
    size_t addrlen, char *err, size_t errlen)
{
	char hp[NET_ADDRSTR_MAX], why[ERR_MAX], all[ERR_MAX];
	int fd;

	all[0] = '\0';
	for (; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		fd = connect_one(
		    ai->ai_addr, ai->ai_addrlen, timeout_ms, why, sizeof(why));
		if (fd != -1) {
			if (addr != NULL && addrlen > 0)
				net_sa_str(ai->ai_addr, addr, addrlen);
			return fd;
		}
		sa_hostport(ai->ai_addr, hp, sizeof(hp));
		if (all[0] != '\0')
			util_strlcat(all, "; ", sizeof(all));
		util_strlcat(all, hp, sizeof(all));
		util_strlcat(all, ": ", sizeof(all));
		util_strlcat(all, why, sizeof(all));
	}
	util_seterr(err, errlen, "%s", all[0] ? all : "no usable address");
	return -1;
}

int
net_connect(const char *host, const char *port, int timeout_ms, char *addr,
    size_t addrlen, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	int rc, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		util_seterr(err, errlen, "%s port %s: %s", host, port,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	fd = net_connect_ai(res, timeout_ms, addr, addrlen, err, errlen);
	freeaddrinfo(res);
	return fd;
}

int
net_listen(const char *hostport, int backlog, char *err, size_t errlen)
{
	char host[DNS_NAME_MAX + 1], port[NET_PORT_MAX];
	char hp[NET_ADDRSTR_MAX], why[ERR_MAX];
	struct addrinfo hints, *res, *ai;
	int rc, fd = -1, one = 1;

	if (net_split_hostport(
		hostport, NULL, host, sizeof(host), port, sizeof(port)) == -1) {
		util_seterr(err, errlen,
		    "%s: not ADDR:PORT (use [v6addr]:PORT for IPv6)", hostport);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		util_seterr(err, errlen, "%s: %s", hostport,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	why[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			util_seterr(
			    why, sizeof(why), "socket: %s", strerror(errno));
			continue;
		}
		(void)setsockopt(
		    fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		sa_hostport(ai->ai_addr, hp, sizeof(hp));
		/* Name the address only when it is not what the user wrote. */
		if (strcmp(hp, hostport) != 0)
			util_seterr(
			    why, sizeof(why), "%s: %s", hp, strerror(errno));
		else
			util_seterr(why, sizeof(why), "%s", strerror(errno));
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		util_seterr(err, errlen, "listen on %s: %s", hostport,
		    why[0] ? why : "no usable address");
	return fd;
}

int
net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* Does name resolve (forward) to the address in sa?  FCrDNS. */
static int
forward_confirms(const char *name, const struct sockaddr *sa)
{
	struct addrinfo hints, *res, *ai;
	char want[NET_ADDRSTR_MAX], got[NET_ADDRSTR_MAX];
	int ok = 0;

	net_sa_str(sa, want, sizeof(want));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = sa->sa_family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
		net_sa_str(ai->ai_addr, got, sizeof(got));
		ok = strcmp(want, got) == 0;
	}
	freeaddrinfo(res);
	return ok;
}

/* The IPv4 address (network order) in sa, mapped ones too; 0 if none. */
static int
v4_of(const struct sockaddr *sa, struct in_addr *out)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		*out = ((const struct sockaddr_in *)sa)->sin_addr;
		return 1;
	}
	if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&out->s_addr, &s6->sin6_addr.s6_addr[12], 4);
		return 1;
	}
	return 0;
}

static int
same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	struct in_addr x, y;

	if (v4_of(a, &x) && v4_of(b, &y))
		return x.s_addr == y.s_addr;
	if (a->sa_family != AF_INET6 || b->sa_family != AF_INET6)
		return 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		   &((const struct sockaddr_in6 *)b)->sin6_addr,
		   sizeof(struct in6_addr)) == 0;
}

int
net_addr_is_self(const struct sockaddr *sa)
{
	struct ifaddrs *ifa, *i;
	struct in_addr v4;
	const struct in6_addr *a6;
	int self = 0;

	if (v4_of(sa, &v4)) {
		if ((ntohl(v4.s_addr) >> 24) == 127 || v4.s_addr == 0)
			return 1;
	} else if (sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_UNSPECIFIED(a6))
			return 1;
	} else
		return 0;
	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && !self; i = i->ifa_next)
		if (i->ifa_addr != NULL &&
		    (i->ifa_addr->sa_family == AF_INET ||
			i->ifa_addr->sa_family == AF_INET6))
			self = same_addr(sa, i->ifa_addr);
	freeifaddrs(ifa);
	return self;
}

int
net_peer(
    int fd, int resolve, char *addr, size_t addrlen, char *name, size_t namelen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST];

	if (addrlen > 0)
		addr[0] = '\0';
	if (namelen > 0)
		name[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return -1;
	/* An IPv4 client on a dual-stack socket: show "1.2.3.4". */
	if (ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&ss)->sin6_addr)) {
		struct sockaddr_in6 s6 = *(struct sockaddr_in6 *)&ss;
		struct sockaddr_in s4;

		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = s6.sin6_port;
		memcpy(&s4.sin_addr, &s6.sin6_addr.s6_addr[12], 4);
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, &s4, sizeof(s4));
	}
	if (addrlen > 0)
		net_sa_str((struct sockaddr *)&ss, addr, addrlen);
	if (resolve && namelen > 0 &&
	    getnameinfo((struct sockaddr *)&ss,
		ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in),
		host, sizeof(host), NULL, 0, NI_NAMEREQD) == 0 &&
	    forward_confirms(host, (struct sockaddr *)&ss))
		util_strlcpy(name, host, namelen);
	return 0;
}
