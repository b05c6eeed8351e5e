/*
 * privsep.h: privilege separation for the servers (DESIGN.md "Privilege
 * separation"), after OpenSMTPD (smtpd.c, forkmda) and Dovecot (login
 * processes that proxy TLS).  No network parsing (SMTP, POP3, IMAP,
 * SASL, the TLS handshake) runs as root.
 *
 * Started as root, a server keeps a small privileged process and forks
 * the session into an unprivileged one (--user, default PRIVSEP_USER
 * when it exists, else "nobody").  The two talk over a socketpair of
 * type SOCK_SEQPACKET: one message is one datagram of at most
 * PRIVSEP_MSG_MAX bytes, a type and up to PRIVSEP_FIELDS_MAX strings,
 * each with its length in front; a message may carry one descriptor
 * (SCM_RIGHTS).  privsep_recv takes what comes from the unprivileged
 * side as hostile: a truncated datagram, lengths that do not add up,
 * a NUL inside a field, too many fields or descriptors, all make it
 * fail; the caller then bounds each field with privsep_field.
 *
 * The privileged side never parses the protocol: it answers a few
 * requests of fixed shape.
 *
 *  - msmtpd: the privileged parent creates the spool file (so the
 *    session needs no writable directory), forks the session as --user
 *    and then only runs deliveries: a request is the spool descriptor,
 *    the sender, the session's environment values and the relay flag,
 *    then one message per recipient, then "go"; it runs the delivery
 *    command (posix_spawn, argv, %F/%T, timeout) and answers the exit
 *    status and what it kept of its stderr.  It also checks AUTH
 *    passwords on request, so the passwd-file can stay root's.
 *
 *  - mpop serve (and mimap serve next): the unprivileged login process
 *    does TLS, the greeting, CAPA/STLS and USER/PASS/AUTH, and sends
 *    the credentials to the parent (Dovecot's auth process).  The
 *    parent checks them against the passwd-file, and on a bad password
 *    waits the failed-login delay before it answers no, so a login
 *    process cannot try passwords faster.  On success it forks the
 *    post-login process, which becomes the passwd line's uid/gid, opens
 *    the Maildir and says "+OK" itself (so [IN-USE] still works), and
 *    hands the login process the other end of a plaintext stream
 *    socketpair: the login process proxies TLS (or plain) bytes between
 *    the client and the post-login process with privsep_proxy (mimap
 *    serve without TLS hands the client over instead and ends:
 *    privsep_pass_client).
 *
 *  - --listen: the listener binds and accepts as root (it reads nothing
 *    from the network).  For mpop serve each connection's child is the
 *    privileged parent above.  msmtpd keeps a pool (server.h): each
 *    worker is the same pair of processes, the privileged parent
 *    taking connection after connection from the listener and passing
 *    each to its session, forgetting the last login before the next;
 *    no shared helper to multiplex.
 *
 * Not started as root, the servers run as one process, as before.
 * No chroot: the session still needs the resolver and syslog; the
 * unprivileged user owns nothing and reads no secret.
 */
#ifndef YUBIN_PRIVSEP_H
#define YUBIN_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "io.h"
#include "log.h"

/* Bytes of one message on the wire, header included. */
#define PRIVSEP_MSG_MAX 8192
/* Fields in one message. */
#define PRIVSEP_FIELDS_MAX 16
/* The unprivileged user when --user is not given and it exists. */
#define PRIVSEP_USER "yubin"
/* ... else this one. */
#define PRIVSEP_USER_FALLBACK "nobody"
/* Longest user name taken for --user. */
#define PRIVSEP_USER_MAX 64

struct privsep_msg {
	uint32_t type;
	int fd; /* received descriptor, -1 none */
	size_t n; /* fields */
	size_t len[PRIVSEP_FIELDS_MAX];
	const char *field[PRIVSEP_FIELDS_MAX]; /* NUL-terminated, in buf */
	char buf[PRIVSEP_MSG_MAX + PRIVSEP_FIELDS_MAX];
};

/* The unprivileged identity, resolved before anything is forked. */
struct privsep_id {
	char name[PRIVSEP_USER_MAX + 1];
	uid_t uid;
	gid_t gid;
};

/* A connected pair of SOCK_SEQPACKET sockets, close-on-exec.  0 or -1. */
int	privsep_socketpair(int sv[2]);

/*
 * Send one message: type, n C strings (NULL is ""), and passfd when
 * >= 0.  0, or -1 with errno (EMSGSIZE: too long or too many fields).
 */
int	privsep_send(int fd, uint32_t type, int passfd, size_t n,
	    const char *const *fields);

/*
 * Receive one message into m.  timeout_ms < 0: no timeout.  Returns 1
 * (m filled; m->fd is the caller's to close), 0 at EOF, -1 with errno:
 * EBADMSG malformed, ETIMEDOUT, EINTR (a signal: the caller looks at
 * its flags and calls again), or the socket's error.
 */
int	privsep_recv(int fd, struct privsep_msg *m, int timeout_ms);

/*
 * The privileged side waiting for the next request from child:
 * privsep_recv with no timeout, resumed after a signal; when the server
 * is told to stop (server_terminating), child gets SIGTERM, once
 * (*termed), and says its protocol's goodbye.  Returns what privsep_recv
 * does, never -1 with EINTR.
 */
int	privsep_next(int fd, struct privsep_msg *m, pid_t child, int *termed);

/* Field i of m when it exists and has at most max bytes, else NULL. */
const char *privsep_field(const struct privsep_msg *m, size_t i, size_t max);

/*
 * Look up name (NULL: PRIVSEP_USER when it exists, else
 * PRIVSEP_USER_FALLBACK).  It must not be uid 0.  0 or -1 (err: why).
 */
int	privsep_lookup(const char *name, struct privsep_id *id, char *err,
	    size_t errlen);

/* Become id for good (groups, gid, uid; checked).  0 or -1. */
int	privsep_drop(const struct privsep_id *id, char *err, size_t errlen);

/*
 * Start the unprivileged side: a socketpair, and a child that becomes
 * id for good (a child that cannot exits 1 at once, after logging why).
 * The parent keeps *fd = one end, the child gets the other.  Returns
 * the child's pid in the parent, 0 in the child, -1 with err set.
 */
pid_t	privsep_fork(const struct privsep_id *id, struct log *log, int *fd,
	    char *err, size_t errlen);

/* The privileged side keeps no copy of the network: rfd and wfd are
   made /dev/null (the descriptor numbers stay taken). */
void	privsep_forget_net(int rfd, int wfd);

/*
 * The login process after the handoff: send what net holds buffered
 * (input the client pipelined after the login) to fd, then copy bytes
 * both ways between net (TLS or plain) and fd until either side ends,
 * or nothing moves for idle_ms.  0 when fd closed, -1 on an error or a
 * timeout (net->err says why).
 */
int	privsep_proxy(struct io *net, int fd, int idle_ms);

/*
 * Without TLS there is nothing to proxy: the login process hands the
 * client itself to the post-login process and ends, one process less
 * per session (as Dovecot's login processes do).  privsep_pass_client
 * sends net's descriptors (SCM_RIGHTS) and the input it holds buffered
 * (what the client pipelined after the login) over the stream socket
 * fd, as one record: "YPC1", the length (4 octets, host order), the
 * bytes; net's buffer is wiped.  0, or -1 (net->err says why).
 * privsep_take_client, in the post-login process, reads that record
 * from fd (within timeout_ms): *rfd and *wfd (close-on-exec) and the
 * bytes into buf (IO_RBUF_SIZE octets), *len of them.  0, or -1 with
 * errno (EBADMSG: not such a record, whatever else came).
 */
int	privsep_pass_client(struct io *net, int fd);
int	privsep_take_client(int fd, int timeout_ms, int *rfd, int *wfd,
	    char *buf, size_t *len);

#endif
