/*
 * io.c: buffered line I/O over a plain fd pair or a TLS session, with a
 * hard line-length bound, line-ending reporting, idle timeouts and full
 * writes.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

/* Queued output past this is sent at once, so bulk writes stay bounded. */
#define IO_WBUF_FLUSH (64 * 1024)

void
io_init(struct io *io, int rfd, int wfd, int timeout_ms)
{
	memset(io, 0, sizeof(*io));
	io->rfd = rfd;
	io->wfd = wfd;
	io->timeout_ms = timeout_ms;
	buf_init(&io->wbuf, 0);
}

void
io_close(struct io *io)
{
	if (io->tls != NULL) {
		tls_close(io->tls);
		io->tls = NULL;
	}
	buf_free(&io->wbuf);
	io->rpos = io->rlen = 0;
}

/* A signal came: give up (io->stop says so) or go on? */
static int
io_stopped(struct io *io)
{
	if (io->stop == NULL || !io->stop())
		return 0;
	util_seterr(io->err, sizeof(io->err), "interrupted");
	errno = EINTR;
	return 1;
}

void
io_deadline_in(struct io *io, int64_t ms, int64_t limit)
{
	int64_t d = ms >= 0 ? util_now_ms() + ms : 0;

	if (limit > 0 && (d == 0 || limit < d))
		d = limit;
	io->deadline = d;
}

/*
 * The wait allowed now, in ms: the idle timeout, cut to what is left
 * before the deadline; -1 none.  0 with err set when the deadline has
 * passed.
 */
static int
io_allowed(struct io *io)
{
	int64_t left;
	int t = io->timeout_ms > 0 ? io->timeout_ms : -1;

	if (io->deadline == 0)
		return t;
	left = io->deadline - util_now_ms();
	if (left <= 0) {
		util_seterr(io->err, sizeof(io->err), "deadline passed");
		return 0;
	}
	return t == -1 || left < t ? (int)left : t;
}

/* poll(2) one fd with the idle timeout and the deadline: 1 ready, 0
   timed out, -1 error. */
static int
io_wait(struct io *io, int fd, short events)
{
	struct pollfd pfd;
	int allowed = io_allowed(io);
	int64_t deadline = util_now_ms() + allowed;
	int rc, wait;

	for (;;) {
		wait = -1;
		if (allowed >= 0) {
			int64_t left = deadline - util_now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, wait);
		if (rc == -1 && errno == EINTR) {
			if (io_stopped(io))
				return -1;
			continue;
		}
		if (rc == -1)
			util_seterr(io->err, sizeof(io->err), "poll: %s",
			    strerror(errno));
		return rc > 0 ? 1 : rc;
	}
}

/*
 * Read more input after what is buffered.  Returns the number of bytes
 * added (>0), IO_EOF, IO_TIMEOUT or IO_ERR.
 */
static int
io_fill(struct io *io)
{
	ssize_t n;
	int w;

	if (io->eof)
		return IO_EOF;
	if (io->rpos > 0) {
		memmove(io->rbuf, io->rbuf + io->rpos, io->rlen - io->rpos);
		io->rlen -= io->rpos;
		io->rpos = 0;
	}
	if (io->rlen == sizeof(io->rbuf)) {
		util_seterr(io->err, sizeof(io->err), "read buffer full");
		return IO_ERR;
	}
	for (;;) {
		/* A signal that came before we wait must not be slept
		   through: look at the flag first. */
		if (io_stopped(io))
			return IO_ERR;
		if (io->tls != NULL) {
			if ((w = io_allowed(io)) == 0)
				return IO_TIMEOUT;
			n = tls_read(io->tls, io->rbuf + io->rlen,
			    sizeof(io->rbuf) - io->rlen, w, io->err,
			    sizeof(io->err));
			if (n == -1)
				return errno == ETIMEDOUT ? IO_TIMEOUT : IO_ERR;
		} else {
			if ((w = io_wait(io, io->rfd, POLLIN)) == 0) {
				if (io->deadline == 0 ||
				    util_now_ms() < io->deadline)
					util_seterr(io->err, sizeof(io->err),
					    "timed out after %d ms",
					    io->timeout_ms);
				else
					util_seterr(io->err, sizeof(io->err),
					    "deadline passed");
				return IO_TIMEOUT;
			}
			if (w == -1)
				return IO_ERR;
			n = read(io->rfd, io->rbuf + io->rlen,
			    sizeof(io->rbuf) - io->rlen);
			if (n == -1) {
				if (errno == EINTR && io_stopped(io))
					return IO_ERR;
				if (errno == EINTR || errno == EAGAIN)
					continue;
				util_seterr(io->err, sizeof(io->err),
				    "read: %s", strerror(errno));
				return IO_ERR;
			}
		}
		break;
	}
	if (n == 0) {
		io->eof = 1;
		return IO_EOF;
	}
	io->rlen += (size_t)n;
	return (int)n;
}

static void
take(struct io *io, char *line, size_t n, size_t skip, size_t *len, int *eol,
    int how)
{
	memcpy(line, io->rbuf + io->rpos, n);
	line[n] = '\0';
	io->rpos += n + skip;
	*len = n;
	*eol = how;
}

int
io_getline(struct io *io, char *line, size_t cap, size_t *len, int *eol)
{
	size_t avail, max, scan, i;
	const char *p;
	int rc;

	*len = 0;
	*eol = IO_EOL_NONE;
	if (cap < 2) {
		util_seterr(io->err, sizeof(io->err), "line buffer too small");
		return IO_ERR;
	}
	max = cap - 1;
	for (;;) {
		avail = io->rlen - io->rpos;
		p = io->rbuf + io->rpos;
		/* An ending may sit right after max bytes of content. */
		scan = avail < max + 1 ? avail : max + 1;
		for (i = 0; i < scan; i++)
			if (p[i] == '\n' || p[i] == '\r')
				break;
		if (i < scan && p[i] == '\n') {
			take(io, line, i, 1, len, eol, IO_EOL_LF);
			return IO_OK;
		}
		if (i < scan && i + 1 < avail) {
			if (p[i + 1] == '\n')
				take(io, line, i, 2, len, eol, IO_EOL_CRLF);
			else
				take(io, line, i, 1, len, eol, IO_EOL_CR);
			return IO_OK;
		}
		if (i < scan && io->eof) {
			/* CR and then the end of input: a bare CR. */
			take(io, line, i, 1, len, eol, IO_EOL_CR);
			return IO_OK;
		}
		if (i == scan && avail > max) {
			/* No ending within cap: hand out a piece. */
			take(io, line, max, 0, len, eol, IO_EOL_NONE);
			return IO_OK;
		}
		/*
		 * Need more: either a CR is the last byte we have (CRLF or
		 * bare CR is decided by the next byte), or no ending yet.
		 */
		if (io->rpos == 0 && io->rlen == sizeof(io->rbuf)) {
			/* cap is larger than our buffer: give what we have. */
			take(io, line, i, 0, len, eol, IO_EOL_NONE);
			return IO_OK;
		}
		rc = io_fill(io);
		if (rc == IO_EOF) {
			avail = io->rlen - io->rpos;
			if (avail == 0)
				return IO_EOF;
			if (i < scan)
				continue; /* the CR case above */
			/* EOF in the middle of a line. */
			take(io, line, avail, 0, len, eol, IO_EOL_NONE);
			return IO_OK;
		}
		if (rc < 0)
			return rc;
	}
}

int
io_getline_max(struct io *io, char *line, size_t cap, size_t *len,
    int *flags)
{
	char piece[512];
	size_t n, k, total = 0;
	int eol, rc;

	*flags = 0;
	*len = 0;
	if (cap < 1) {
		util_seterr(io->err, sizeof(io->err), "line buffer too small");
		return IO_ERR;
	}
	line[0] = '\0';
	for (;;) {
		rc = io_getline(io, piece, sizeof(piece), &n, &eol);
		if (rc != IO_OK)
			return rc;
		k = n;
		if (total + n > cap - 1) {
			*flags |= IO_LINE_LONG;
			k = cap - 1 - total;
		}
		memcpy(line + total, piece, k);
		total += k;
		util_wipe(piece, n);
		if (eol == IO_EOL_CR)
			*flags |= IO_LINE_CR;
		if (eol == IO_EOL_CRLF || eol == IO_EOL_LF)
			break;
	}
	line[total] = '\0';
	*len = total;
	return IO_OK;
}

int
io_line_ready(const struct io *io)
{
	return memchr(io->rbuf + io->rpos, '\n', io->rlen - io->rpos) != NULL;
}

int
io_read_exact(struct io *io, void *p, size_t n)
{
	char *c = p;
	size_t avail, k;
	int rc;

	while (n > 0) {
		avail = io->rlen - io->rpos;
		if (avail == 0) {
			if ((rc = io_fill(io)) < 0)
				return rc;
			continue;
		}
		k = avail < n ? avail : n;
		memcpy(c, io->rbuf + io->rpos, k);
		io->rpos += k;
		c += k;
		n -= k;
	}
	return IO_OK;
}

size_t
io_buffered(const struct io *io)
{
	return io->rlen - io->rpos + tls_pending(io->tls);
}

void
io_discard_input(struct io *io)
{
	io->rpos = io->rlen = 0;
}

int
io_write(struct io *io, const void *p, size_t n)
{
	if (buf_append(&io->wbuf, p, n) == -1) {
		util_seterr(
		    io->err, sizeof(io->err), "output: %s", strerror(errno));
		return -1;
	}
	if (io->wbuf.len >= IO_WBUF_FLUSH)
		return io_flush(io);
	return 0;
}

int
io_puts(struct io *io, const char *s)
{
	return io_write(io, s, strlen(s));
}

int
io_printf(struct io *io, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&io->wbuf, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		util_seterr(
		    io->err, sizeof(io->err), "output: %s", strerror(errno));
		return -1;
	}
	if (io->wbuf.len >= IO_WBUF_FLUSH)
		return io_flush(io);
	return 0;
}

int
io_line(struct io *io, const char *fmt, ...)
{
	va_list ap;
	size_t start = io->wbuf.len;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&io->wbuf, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		util_seterr(
		    io->err, sizeof(io->err), "output: %s", strerror(errno));
		return -1;
	}
	/* A CR or LF inside would let data inject a protocol line. */
	if (memchr(io->wbuf.data + start, '\r', io->wbuf.len - start) != NULL ||
	    memchr(io->wbuf.data + start, '\n', io->wbuf.len - start) != NULL) {
		buf_truncate(&io->wbuf, start);
		util_seterr(io->err, sizeof(io->err),
		    "refusing to send a line with CR or LF in it");
		return -1;
	}
	if (io->log != NULL)
		log_trace(io->log, !io->from_peer_is_client,
		    io->wbuf.data + start, io->wbuf.len - start);
	if (buf_append(&io->wbuf, "\r\n", 2) == -1) {
		buf_truncate(&io->wbuf, start);
		util_seterr(
		    io->err, sizeof(io->err), "output: %s", strerror(errno));
		return -1;
	}
	if (io->wbuf.len >= IO_WBUF_FLUSH)
		return io_flush(io);
	return 0;
}

/*
 * One write on the plain fd: send(2) so that a closed socket is EPIPE,
 * not SIGPIPE, and so that a full socket buffer is EAGAIN (back to poll
 * and its timeout) rather than a block without end; write(2) when the fd
 * is a pipe or a file.
 */
static ssize_t
plain_write(int fd, const void *p, size_t n)
{
	ssize_t w;

	w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w == -1 && errno == ENOTSOCK)
		w = write(fd, p, n);
	return w;
}

int
io_flush(struct io *io)
{
	ssize_t w;
	int rc;

	if (io->wbuf.len == 0)
		return 0;
	if (io->tls != NULL) {
		if ((rc = io_allowed(io)) == 0 ||
		    tls_write(io->tls, io->wbuf.data, io->wbuf.len, rc,
			io->err, sizeof(io->err)) == -1)
			return -1;
		buf_reset(&io->wbuf);
		return 0;
	}
	while (io->wbuf.len > 0) {
		if ((rc = io_wait(io, io->wfd, POLLOUT)) == 0) {
			util_seterr(io->err, sizeof(io->err),
			    "write timed out after %d ms", io->timeout_ms);
			return -1;
		}
		if (rc == -1)
			return -1;
		w = plain_write(io->wfd, io->wbuf.data, io->wbuf.len);
		if (w == -1) {
			if (errno == EINTR && io_stopped(io))
				return -1;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			util_seterr(io->err, sizeof(io->err), "write: %s",
			    strerror(errno));
			return -1;
		}
		buf_consume(&io->wbuf, (size_t)w);
	}
	return 0;
}

/* RFC 3207 §4.2: nothing received before the handshake may be used. */
static int
starttls_prepare(struct io *io)
{
	if (io->tls != NULL) {
		util_seterr(io->err, sizeof(io->err), "TLS already active");
		return -1;
	}
	if (io_flush(io) == -1)
		return -1;
	io_discard_input(io);
	return 0;
}

int
io_starttls_client(struct io *io, const struct tls_client_opts *o)
{
	if (starttls_prepare(io) == -1)
		return -1;
	io->tls = tls_client(
	    io->rfd, io->wfd, o, io->timeout_ms, io->err, sizeof(io->err));
	tls_set_stop(io->tls, io->stop);
	return io->tls != NULL ? 0 : -1;
}

int
io_starttls_server(struct io *io, struct tls_server *srv)
{
	if (starttls_prepare(io) == -1)
		return -1;
	io->tls = tls_server(
	    io->rfd, io->wfd, srv, io->timeout_ms, io->err, sizeof(io->err));
	tls_set_stop(io->tls, io->stop);
	return io->tls != NULL ? 0 : -1;
}
