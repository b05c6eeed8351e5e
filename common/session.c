/*
 * session.c: the server session skeleton (see session.h).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "net.h"
#include "server.h"
#include "session.h"
#include "tls.h"
#include "util.h"

const struct session_cmd *
session_find(const struct session_proto *p, int verb)
{
	const struct session_cmd *c;

	for (c = p->cmds; c->run != NULL; c++)
		if (c->verb == verb)
			return c;
	return NULL;
}

int
session_dispatch(const struct session_proto *p, void *sess, int verb,
    const char *arg, size_t len)
{
	const struct session_cmd *c;
	unsigned state;

	if ((c = session_find(p, verb)) == NULL) {
		p->unknown(sess, verb);
		return 0;
	}
	/* The syntax first, then the sequence (RFC 5321 §4.3.2 501
	   before 503). */
	if ((c->flags & SESSION_NOARG) && len > 0) {
		p->bad_arg(sess, c);
		return 0;
	}
	state = p->state(sess);
	if (state >= 32 || (c->states & SESSION_IN(state)) == 0) {
		p->bad_state(sess, c);
		return 0;
	}
	return c->run(sess, arg, len);
}

void
session_run_loop(const struct session_loop *l)
{
	char line[SESSION_LINE_MAX + 1];
	size_t cap = l->line_max < SESSION_LINE_MAX ? l->line_max
						    : SESSION_LINE_MAX;
	size_t len = 0;
	int rc, flags;

	for (;;) {
		/* SIGTERM while we were busy (delivering, say): the
		   replies so far, then the protocol's goodbye. */
		if (server_terminating()) {
			l->lost(l->sess, IO_ERR);
			break;
		}
		/* RFC 2920 §3.2: while the client pipelines, the replies
		   wait for the last command it sent. */
		if (!io_line_ready(l->io) && io_flush(l->io) == -1) {
			l->lost(l->sess, IO_ERR);
			break;
		}
		io_deadline_in(l->io, l->line_ms, l->end_ms);
		if (l->wait != NULL && !io_line_ready(l->io) &&
		    l->wait(l->sess) == -1) {
			l->lost(l->sess, IO_ERR);
			break;
		}
		rc = io_getline_max(l->io, line, cap + 1, &len, &flags);
		if (rc != IO_OK) {
			l->lost(l->sess, rc);
			break;
		}
		rc = l->line(l->sess, line, len, flags);
		util_wipe(line, len);
		if (rc == -1 || l->done(l->sess))
			break;
	}
	/* What is left of the session lives within its lifetime. */
	io_deadline_in(l->io, -1, l->end_ms);
}

int64_t
session_io_init(
    struct io *io, int rfd, int wfd, int timeout, int lifetime, struct log *log)
{
	io_init(io, rfd, wfd, timeout * 1000);
	io->stop = server_terminating;
	io->deadline =
	    lifetime > 0 ? util_now_ms() + (int64_t)lifetime * 1000 : 0;
	if (log != NULL && log->trace) {
		io->log = log;
		io->from_peer_is_client = 1;
	}
	return io->deadline;
}

int
session_accept(struct io *io, int rfd, int resolve, struct tls_server *tls,
    struct log *log, char addr[NET_ADDRSTR_MAX], char host[DNS_NAME_MAX + 1],
    struct tls_info *ti)
{
	if (net_peer(rfd, resolve, addr, NET_ADDRSTR_MAX, host,
	    DNS_NAME_MAX + 1) == -1) {
		addr[0] = '\0';
		host[0] = '\0';
	}
	if (tls == NULL)
		return 0;
	if (io_starttls_server(io, tls) == -1) {
		log_info(log, "%s: TLS handshake failed: %s",
		    addr[0] != '\0' ? addr : "local", io->err);
		return -1;
	}
	tls_info(io->tls, ti);
	return 1;
}
