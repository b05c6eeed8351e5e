/*
 * privsep.c: the privileged and unprivileged halves of a server and
 * the socketpair between them (see privsep.h).
 *
 * The wire format of one message (one SOCK_SEQPACKET datagram), all
 * numbers 32-bit in host order (both ends are the same program):
 *
 *	type, n, len[0] ... len[n-1], the n fields' bytes back to back
 *
 * and at most one descriptor in an SCM_RIGHTS control message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "passwd.h"
#include "privsep.h"
#include "server.h"
#include "tls.h"
#include "util.h"

/* Bytes copied at a time by privsep_proxy. */
#define PROXY_CHUNK 16384

int
privsep_socketpair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int
privsep_send(
    int fd, uint32_t type, int passfd, size_t n, const char *const *fields)
{
	unsigned char msg[PRIVSEP_MSG_MAX];
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	size_t off, i, l;
	ssize_t w;

	if (n > PRIVSEP_FIELDS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	off = 8 + 4 * n;
	put32(msg, type);
	put32(msg + 4, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const char *f = fields[i] != NULL ? fields[i] : "";

		l = strlen(f);
		if (l > sizeof(msg) - off) {
			util_wipe(msg, sizeof(msg));
			errno = EMSGSIZE;
			return -1;
		}
		put32(msg + 8 + 4 * i, (uint32_t)l);
		memcpy(msg + off, f, l);
		off += l;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = msg;
	iov.iov_len = off;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	do
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (w == -1 && errno == EINTR);
	/* The fields may be secrets (a password on its way to be checked). */
	util_wipe(msg, off);
	if (w == -1)
		return -1;
	if ((size_t)w != off) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Close every descriptor a control message brought. */
static int
take_fds(struct msghdr *mh, int *fd)
{
	struct cmsghdr *c;
	size_t i, k;
	int f, bad = 0;

	*fd = -1;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd == -1 && !bad)
				*fd = f;
			else {
				(void)close(f);
				bad = 1;
			}
		}
	}
	if (bad && *fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
	return bad ? -1 : 0;
}

/* Check the raw datagram and lay its fields out in m->buf. */
static int
parse(struct privsep_msg *m, const unsigned char *p, size_t len)
{
	size_t n, i, off, total = 0, at = 0;
	uint32_t l;

	if (len < 8)
		return -1;
	m->type = get32(p);
	n = get32(p + 4);
	if (n > PRIVSEP_FIELDS_MAX || len < 8 + 4 * n)
		return -1;
	off = 8 + 4 * n;
	for (i = 0; i < n; i++) {
		l = get32(p + 8 + 4 * i);
		if (l > len - off - total)
			return -1;
		total += l;
	}
	if (off + total != len)
		return -1;
	for (i = 0; i < n; i++) {
		l = get32(p + 8 + 4 * i);
		if (memchr(p + off, '\0', l) != NULL)
			return -1;
		memcpy(m->buf + at, p + off, l);
		m->buf[at + l] = '\0';
		m->field[i] = m->buf + at;
		m->len[i] = l;
		at += l + 1;
		off += l;
	}
	m->n = n;
	return 0;
}

int
privsep_recv(int fd, struct privsep_msg *m, int timeout_ms)
{
	unsigned char raw[PRIVSEP_MSG_MAX + 1];
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	struct pollfd pfd;
	ssize_t r;
	int w, bad;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (timeout_ms >= 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((w = poll(&pfd, 1, timeout_ms)) == -1)
			return -1;
		if (w == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = raw;
	iov.iov_len = sizeof(raw);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if ((r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	bad = take_fds(&mh, &m->fd) == -1;
	if (r == 0 && !bad && m->fd == -1)
		return 0;
	if (bad || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    parse(m, raw, (size_t)r) == -1) {
		util_wipe(raw, sizeof(raw));
		if (m->fd != -1)
			(void)close(m->fd);
		util_wipe(m, sizeof(*m));
		m->fd = -1;
		errno = EBADMSG;
		return -1;
	}
	util_wipe(raw, (size_t)r);
	return 1;
}

int
privsep_next(int fd, struct privsep_msg *m, pid_t child, int *termed)
{
	int rc;

	for (;;) {
		if (server_terminating() && !*termed) {
			(void)kill(child, SIGTERM);
			*termed = 1;
		}
		rc = privsep_recv(fd, m, -1);
		if (rc != -1 || errno != EINTR)
			return rc;
	}
}

const char *
privsep_field(const struct privsep_msg *m, size_t i, size_t max)
{
	if (i >= m->n || m->len[i] > max)
		return NULL;
	return m->field[i];
}

int
privsep_lookup(
    const char *name, struct privsep_id *id, char *err, size_t errlen)
{
	struct passwd *pw;

	if (name == NULL) {
		name = PRIVSEP_USER;
		if (getpwnam(name) == NULL)
			name = PRIVSEP_USER_FALLBACK;
	}
	if (strlen(name) > PRIVSEP_USER_MAX) {
		util_seterr(err, errlen, "--user: name too long");
		return -1;
	}
	if ((pw = getpwnam(name)) == NULL) {
		util_seterr(err, errlen, "--user %s: no such user", name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		util_seterr(err, errlen,
		    "--user %s: is uid 0, give an unprivileged user", name);
		return -1;
	}
	util_strlcpy(id->name, name, sizeof(id->name));
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	return 0;
}

int
privsep_drop(const struct privsep_id *id, char *err, size_t errlen)
{
	char e[ERR_MAX];

	if (passwd_drop_privileges(id->uid, id->gid, e, sizeof(e)) == -1) {
		util_seterr(err, errlen, "--user %s: %s", id->name, e);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- proxy */

/* Read what the client sent: >0 bytes, 0 EOF, -1 error. */
static ssize_t
net_read(struct io *net, char *p, size_t n, int idle_ms)
{
	ssize_t r;

	if (net->tls != NULL)
		return tls_read(
		    net->tls, p, n, idle_ms, net->err, sizeof(net->err));
	do
		r = read(net->rfd, p, n);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		util_seterr(
		    net->err, sizeof(net->err), "read: %s", strerror(errno));
	return r;
}

/*
 * Client to session: up[] holds bytes read from the client that the
 * session has not taken yet.  fd is non-blocking, so a session busy
 * writing a long answer while the client pipelines more than a socket
 * buffer holds cannot deadlock with us: we stop reading the client and
 * go on passing the session's output until it takes its input again.
 */
struct up {
	char buf[IO_RBUF_SIZE > PROXY_CHUNK ? IO_RBUF_SIZE : PROXY_CHUNK];
	size_t off, len;
	int closed; /* the client is done, or the session stopped reading */
};

/* Push what up holds into fd without blocking.  0, or -1 (closed). */
static int
up_push(struct up *u, int fd)
{
	ssize_t w;

	while (u->off < u->len) {
		w = write(fd, u->buf + u->off, u->len - u->off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0) {
			/* The session stopped reading (it said why, and we
			   still pass that on). */
			u->closed = 1;
			break;
		}
		u->off += (size_t)w;
	}
	util_wipe(u->buf, u->len);
	u->off = u->len = 0;
	return u->closed ? -1 : 0;
}

int
privsep_proxy(struct io *net, int fd, int idle_ms)
{
	struct up u;
	char buf[PROXY_CHUNK];
	struct pollfd pfd[2];
	size_t nfd;
	ssize_t r;
	int w, fl, net_ready, rc = -1;

	memset(&u, 0, sizeof(u));
	/* SIGTERM is the post-login process's to answer: we pass its
	   last line on, so our reads and writes are not interrupted. */
	net->stop = NULL;
	if (net->tls != NULL)
		tls_set_stop(net->tls, NULL);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		util_seterr(
		    net->err, sizeof(net->err), "proxy: %s", strerror(errno));
		return -1;
	}
	if (io_flush(net) == -1)
		return -1;
	/* What the client pipelined after its login goes first. */
	u.len = net->rlen - net->rpos;
	memcpy(u.buf, net->rbuf + net->rpos, u.len);
	util_wipe(net->rbuf, net->rlen);
	net->rpos = net->rlen = 0;
	(void)up_push(&u, fd);
	for (;;) {
		net_ready = 0;
		pfd[0].fd = fd;
		pfd[0].events = POLLIN | (u.len > 0 ? POLLOUT : 0);
		pfd[0].revents = 0;
		nfd = 1;
		if (u.closed || u.len > 0)
			; /* read no more from the client for now */
		else if (net->tls != NULL && tls_pending(net->tls) > 0)
			net_ready = 1;
		else {
			pfd[1].fd = net->rfd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfd = 2;
		}
		w = poll(pfd, nfd, net_ready ? 0 : idle_ms);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			util_seterr(net->err, sizeof(net->err), "poll: %s",
			    strerror(errno));
			break;
		}
		if (w == 0 && !net_ready) {
			util_seterr(net->err, sizeof(net->err),
			    "proxy: idle for %d ms", idle_ms);
			break;
		}
		if (nfd == 2 && pfd[1].revents != 0)
			net_ready = 1;
		if ((pfd[0].revents & POLLOUT) != 0)
			(void)up_push(&u, fd);
		if ((pfd[0].revents & ~POLLOUT) != 0) {
			r = read(fd, buf, sizeof(buf));
			if (r == -1 &&
			    (errno == EINTR || errno == EAGAIN ||
				errno == EWOULDBLOCK))
				continue;
			if (r <= 0) {
				/* The post-login process ended (a reset:
				   it left input unread, which is fine). */
				if (r == 0 || errno == ECONNRESET)
					rc = 0;
				else
					util_seterr(net->err, sizeof(net->err),
					    "proxy: %s", strerror(errno));
				break;
			}
			if (io_write(net, buf, (size_t)r) == -1 ||
			    io_flush(net) == -1)
				break;
		}
		if (net_ready) {
			r = net_read(net, u.buf, sizeof(u.buf), idle_ms);
			if (r <= 0) {
				/* The client went (or said all it will):
				   the session reads EOF, and we pass on
				   what it still says. */
				(void)shutdown(fd, SHUT_WR);
				u.closed = 1;
				continue;
			}
			u.off = 0;
			u.len = (size_t)r;
			(void)up_push(&u, fd);
		}
	}
	util_wipe(&u, sizeof(u));
	util_wipe(buf, sizeof(buf));
	return rc;
}

pid_t
privsep_fork(const struct privsep_id *id, struct log *log, int *fd, char *err,
    size_t errlen)
{
	char why[ERR_MAX];
	int sv[2];
	pid_t pid;

	if (privsep_socketpair(sv) == -1) {
		util_seterr(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		util_seterr(err, errlen, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		if (privsep_drop(id, why, sizeof(why)) == -1) {
			log_err(log, "%s", why);
			_exit(1);
		}
		*fd = sv[1];
		return 0;
	}
	(void)close(sv[1]);
	*fd = sv[0];
	return pid;
}

void
privsep_forget_net(int rfd, int wfd)
{
	int fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return;
	(void)dup2(fd, rfd);
	(void)dup2(fd, wfd);
	if (fd != rfd && fd != wfd)
		(void)close(fd);
}

/* ---------------------------------------------------------------- */
/* Handing a plaintext client over. */

#define CLIENT_MAGIC "YPC1"
#define CLIENT_HDR 8

int
privsep_pass_client(struct io *net, int fd)
{
	unsigned char hdr[CLIENT_HDR];
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov[2];
	struct cmsghdr *c;
	int fds[2];
	size_t len, total;
	ssize_t w;

	if (io_flush(net) == -1)
		return -1;
	len = net->rlen - net->rpos;
	memcpy(hdr, CLIENT_MAGIC, 4);
	put32(hdr + 4, (uint32_t)len);
	fds[0] = net->rfd;
	fds[1] = net->wfd;
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = net->rbuf + net->rpos;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	total = sizeof(hdr) + len;
	do
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (w == -1 && errno == EINTR);
	util_wipe(net->rbuf, net->rlen);
	net->rpos = net->rlen = 0;
	if (w == -1 || (size_t)w != total) {
		/* A local socketpair takes 16 KB at once; a short write
		   would leave a record the other side refuses. */
		util_seterr(net->err, sizeof(net->err), "handoff: %s",
		    w == -1 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

int
privsep_take_client(int fd, int timeout_ms, int *rfd, int *wfd, char *buf,
    size_t *len)
{
	unsigned char hdr[CLIENT_HDR];
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov[2];
	struct cmsghdr *c;
	struct pollfd pfd;
	size_t got = 0, want = sizeof(hdr), k, i, nfd = 0;
	ssize_t r;
	int fds[2] = {-1, -1}, f, bad = 0, w;
	uint32_t n = 0;

	*rfd = *wfd = -1;
	*len = 0;
	while (got < want) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((w = poll(&pfd, 1, timeout_ms)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (w == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		memset(&mh, 0, sizeof(mh));
		memset(&cm, 0, sizeof(cm));
		if (got < sizeof(hdr)) {
			iov[0].iov_base = hdr + got;
			iov[0].iov_len = sizeof(hdr) - got;
			iov[1].iov_base = buf;
			iov[1].iov_len = IO_RBUF_SIZE;
			mh.msg_iovlen = 2;
		} else {
			iov[0].iov_base = buf + (got - sizeof(hdr));
			iov[0].iov_len = want - got;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		if ((r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		/* The descriptors come with the record's first octets, and
		   only there: two of them, nothing else. */
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS ||
			    c->cmsg_len < CMSG_LEN(0)) {
				bad = 1;
				continue;
			}
			k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k; i++) {
				memcpy(&f, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(int));
				if (got == 0 && nfd < 2)
					fds[nfd++] = f;
				else {
					(void)close(f);
					bad = 1;
				}
			}
		}
		if (r == 0 || bad || (mh.msg_flags & MSG_CTRUNC) != 0)
			goto bad;
		got += (size_t)r;
		if (got >= sizeof(hdr) && want == sizeof(hdr)) {
			n = get32(hdr + 4);
			if (memcmp(hdr, CLIENT_MAGIC, 4) != 0 ||
			    n > IO_RBUF_SIZE || nfd != 2)
				goto bad;
			want = sizeof(hdr) + n;
		}
		if (got > want)
			goto bad; /* more than the record: not expected */
	}
	*rfd = fds[0];
	*wfd = fds[1];
	*len = n;
	return 0;
bad:
	errno = EBADMSG;
fail:
	f = errno;
	if (fds[0] != -1)
		(void)close(fds[0]);
	if (fds[1] != -1)
		(void)close(fds[1]);
	util_wipe(buf, IO_RBUF_SIZE);
	errno = f;
	return -1;
}
