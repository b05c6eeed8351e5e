/*
 * session.h: the skeleton every server's session shares (DESIGN.md,
 * "session"): the command loop, and a command table per protocol that
 * says which commands each state allows, after OpenSMTPD's
 * smtp_session.c and Dovecot's imap-commands.c, so that no handler
 * checks the state itself.
 *
 * The protocol's codec (smtp, pop3, imap) parses a line into a verb
 * number and an argument; session_dispatch finds the verb in the
 * table, refuses it when it takes no argument and got one, or when the
 * session's state is not among those the entry allows, and else runs
 * it.  session_run_loop reads bounded command lines with a
 * deadline each (a client that trickles a byte at a time holds nothing
 * for long), holds the replies back while the client pipelines, and
 * ends the session on SIGTERM, a read error, or when the protocol says.
 * For mpop serve and mimap serve, session_io_init sets up the
 * client's io with its deadlines, and before the greeting
 * session_accept learns who the client is and runs the TLS handshake
 * of TLS on connect.
 *
 * Nothing here is global; the protocol owns its session struct.
 */
#ifndef YUBIN_SESSION_H
#define YUBIN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "tls.h"

/* The longest command line a loop reads: IMAP's IMAP_CMD_LINE_MAX
   (bounds.h) is the longest; SMTP and POP3 ask far less, RFC 5321
   §4.5.3.1.4, RFC 2449 §4, and cut it with their own line_max. */
#define SESSION_LINE_MAX IMAP_CMD_LINE_MAX

/* A state's bit in session_cmd.states: states are small numbers. */
#define SESSION_IN(state) (1u << (state))
#define SESSION_ANY 0xffffffffu

/* session_cmd.flags */
#define SESSION_NOARG 0x01 /* an argument is a syntax error */

struct session_cmd {
	int verb; /* the codec's number for it */
	unsigned states; /* SESSION_IN() of each state it is allowed in */
	unsigned flags;
	/* Run it: 0 to go on, -1 to end the session (replies queued). */
	int (*run)(void *sess, const char *arg, size_t len);
};

struct session_proto {
	const struct session_cmd *cmds; /* ends with run == NULL */
	/* The session's state now. */
	unsigned (*state)(void *sess);
	/* Reply to a verb not in the table. */
	void (*unknown)(void *sess, int verb);
	/* Reply to a command the state does not allow. */
	void (*bad_state)(void *sess, const struct session_cmd *c);
	/* Reply to an argument given to a SESSION_NOARG command. */
	void (*bad_arg)(void *sess, const struct session_cmd *c);
};

/* The table entry for verb, NULL when none. */
const struct session_cmd *session_find(const struct session_proto *p,
    int verb);
/*
 * Check verb against the table and the state, and run it: what run
 * returned, or 0 after a refusal was queued.
 */
int session_dispatch(const struct session_proto *p, void *sess, int verb,
    const char *arg, size_t len);

struct session_loop {
	struct io *io;
	void *sess;
	size_t line_max; /* bytes of a line without its ending */
	int line_ms; /* a whole command line must come within this */
	int64_t end_ms; /* the session's deadline (util_now_ms), 0: none */
	/*
	 * A line came (flags from io_getline_max: IO_LINE_LONG, IO_LINE_CR,
	 * its content cut to line_max then).  0 to go on, -1 to end.
	 */
	int (*line)(void *sess, char *line, size_t len, int flags);
	/* Reading failed: rc is IO_EOF, IO_TIMEOUT or IO_ERR (also for
	   SIGTERM, server_terminating()).  Queue the goodbye. */
	void (*lost)(void *sess, int rc);
	/* After each line: non-zero ends the session (QUIT, errors). */
	int (*done)(void *sess);
	/*
	 * Optional (NULL: none): called when no line is buffered, before
	 * the read; it may wait for input until io->deadline and meanwhile
	 * send what the protocol lets a server send unasked (IMAP NOTIFY).
	 * 0 to read, -1 to end the session (lost() is called).
	 */
	int (*wait)(void *sess);
};

/* Serve commands until the session ends.  The line buffer is wiped. */
void session_run_loop(const struct session_loop *l);

/*
 * A server session's io on rfd/wfd (io_init), first of all: a read
 * waits timeout seconds, SIGTERM stops it (server_terminating), the
 * whole session may take lifetime seconds from now (0: no limit), and
 * when log traces (log may be NULL) the protocol goes to it, the
 * client's lines marked as the peer's.  Returns the session's deadline
 * (util_now_ms, 0: none), already io->deadline, for the protocol's
 * session_loop.end_ms and login.
 */
int64_t session_io_init(struct io *io, int rfd, int wfd, int timeout,
    int lifetime, struct log *log);

/*
 * A session's start on io (read side rfd): the client's address and
 * name (reverse DNS with resolve) into addr and host, both "" when rfd
 * is not a socket; then with tls (the caller passes its credentials
 * only for TLS on connect, RFC 8314 §3.3) the handshake, its protocol
 * and cipher into ti.  1: TLS is on; 0: no TLS asked; -1: the handshake
 * failed, logged as "ADDR: TLS handshake failed: why" (the session
 * ends: no greeting).
 */
int session_accept(struct io *io, int rfd, int resolve,
    struct tls_server *tls, struct log *log, char addr[NET_ADDRSTR_MAX],
    char host[DNS_NAME_MAX + 1], struct tls_info *ti);

#endif
