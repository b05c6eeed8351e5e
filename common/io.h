/*
 * io.h: buffered line I/O over a plain fd pair or a TLS session, with a
 * hard line-length bound, line-ending reporting, idle timeouts and full
 * writes.  The same calls work before and after STARTTLS.
 */
#ifndef YUBIN_IO_H
#define YUBIN_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "log.h"
#include "tls.h"

#define IO_RBUF_SIZE	16384

/* Results of io_getline and io_read. */
enum io_rc {
	IO_OK = 0,
	IO_EOF = -1,		/* peer closed, nothing more */
	IO_TIMEOUT = -2,	/* idle longer than the timeout */
	IO_ERR = -3,		/* read/TLS error; io->err says what */
	IO_TOOLONG = -4		/* not returned by io_getline (see below) */
};

/* How the line that io_getline returned ended. */
enum io_eol {
	IO_EOL_CRLF = 0,	/* "\r\n": the only ending the protocols allow */
	IO_EOL_LF,		/* bare "\n" */
	IO_EOL_CR,		/* bare "\r" not followed by "\n" */
	IO_EOL_NONE		/* no ending: the chunk filled cap, or EOF hit
				   mid-line; more of the same line follows */
};

struct io {
	int		 rfd, wfd;
	struct tls	*tls;		/* NULL: plain */
	int		 timeout_ms;	/* idle timeout for reads and writes */
	struct log	*log;		/* protocol trace (may be NULL) */
	int		 from_peer_is_client; /* for log_trace direction */
	char		 rbuf[IO_RBUF_SIZE];
	size_t		 rpos, rlen;
	struct buf	 wbuf;		/* pending output, sent by io_flush */
	int		 eof;
	char		 err[256];
	/*
	 * Optional, set after io_init (a server's SIGTERM, see server.h).
	 * When stop() returns non-zero before a read waits for input, or
	 * when a signal interrupts a wait, the read gives up with IO_ERR
	 * (a write, only when interrupted, with -1), errno EINTR and err
	 * "interrupted".  Input already buffered is still returned, and
	 * output can still be flushed (the "421" a server says).  NULL:
	 * interrupted waits are resumed.
	 */
	int		(*stop)(void);
	/*
	 * Optional: an absolute deadline (util_now_ms() clock), 0 for
	 * none.  Past it, a read or write that would wait fails with
	 * IO_TIMEOUT (err "deadline passed"); input already buffered is
	 * still returned.  The idle timeout restarts with every byte, so
	 * only a deadline stops a peer that trickles a byte at a time.
	 */
	int64_t		 deadline;
};

void	io_init(struct io *io, int rfd, int wfd, int timeout_ms);
/* Set io->deadline to now + ms, or to limit when that is sooner (limit
   0: no limit); ms < 0 leaves only limit. */
void	io_deadline_in(struct io *io, int64_t ms, int64_t limit);
/* Free buffers and the TLS session (sends close_notify); fds stay open. */
void	io_close(struct io *io);

/*
 * Read one line into line (cap bytes, NUL-terminated, without its
 * ending).  *len gets its length and *eol how it ended.  A line longer
 * than cap-1 comes back in pieces, each with IO_EOL_NONE but the last,
 * so a caller can both enforce a limit and pass long lines through.
 * A line containing NUL bytes is returned as is (check *len).
 * Returns IO_OK, IO_EOF (nothing read), IO_TIMEOUT or IO_ERR.
 */
int	io_getline(struct io *io, char *line, size_t cap, size_t *len,
	    int *eol);
/* What io_getline_max found wrong with a line. */
#define IO_LINE_LONG	0x01	/* longer than cap - 1: the rest dropped */
#define IO_LINE_CR	0x02	/* a bare CR inside (dropped) */
/*
 * One whole command line (or SASL response) for a server: read up to
 * its CRLF or bare LF (a bare CR does not end it: it is dropped and
 * flagged), into line (cap bytes, NUL-terminated, without the ending).
 * A longer line is read to its end and only its first cap - 1 bytes
 * kept.  The pieces read on the way are wiped (a PASS line).  IO_OK
 * with *flags, or IO_EOF, IO_TIMEOUT, IO_ERR.
 */
int	io_getline_max(struct io *io, char *line, size_t cap, size_t *len,
	    int *flags);
/* Is a whole line already buffered?  Then a server holds its replies
   back while the client pipelines (RFC 2920 §3.2). */
int	io_line_ready(const struct io *io);
/*
 * Read exactly n bytes (BDAT chunks): IO_OK, or EOF/TIMEOUT/ERR.
 */
int	io_read_exact(struct io *io, void *p, size_t n);
/* Bytes already buffered (read but not consumed): pipelining detection. */
size_t	io_buffered(const struct io *io);
/* Drop the buffered input (RFC 3207 §4.2 after STARTTLS). */
void	io_discard_input(struct io *io);

/* Queue output; io_flush sends it with one write per call where it can. */
int	io_write(struct io *io, const void *p, size_t n);
int	io_puts(struct io *io, const char *s);
int	io_printf(struct io *io, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Queue a protocol line, append CRLF, and trace it. */
int	io_line(struct io *io, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Send everything queued.  0 or -1 (io->err says why). */
int	io_flush(struct io *io);

/*
 * STARTTLS: flush output, drop buffered input, and run the handshake on
 * the same fds.  0 or -1 (io->err says why).
 */
int	io_starttls_client(struct io *io, const struct tls_client_opts *o);
int	io_starttls_server(struct io *io, struct tls_server *srv);

#endif
