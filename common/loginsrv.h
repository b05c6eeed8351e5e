/*
 * loginsrv.h: the privileged side of a server whose sessions log in and
 * then become the user (mpop serve, mimap serve), after Dovecot's login
 * processes and notqmail's qmail-popup -> qmail-pop3d (DESIGN.md
 * "Privilege separation", common/privsep.h).  One design for POP3 and
 * IMAP:
 *
 *  - the privileged parent stays root and reads nothing from the
 *    network.  It forks
 *  - the login process, as the unprivileged id: TLS, the greeting, the
 *    pre-login commands and the SASL exchange (the protocol's code,
 *    ls->login); each login attempt comes to the parent as one request
 *    (loginsrv_ask), which checks it against the passwd-file and, after
 *    a wrong password, waits the failed-login backoff before it answers
 *    no, so a login process cannot guess faster than a session may;
 *  - after a good password, the post-login process (ls->post), which
 *    first becomes the passwd line's uid/gid, then opens the mailbox and
 *    answers the login itself, on a plaintext stream socketpair whose
 *    other end goes to the login process: from then on that one only
 *    proxies bytes between the client (TLS or plain) and the post-login
 *    process (privsep_proxy); or, without TLS (mimap serve), hands the
 *    client itself over that socketpair (privsep_pass_client) and
 *    ends.
 *
 * The parent forwards SIGTERM to the process that talks to the client,
 * and returns the session's status with the failed logins it saw folded
 * in, for the listener (server_exit_status).
 */
#ifndef YUBIN_LOGINSRV_H
#define YUBIN_LOGINSRV_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "passwd.h"
#include "privsep.h"
#include "tls.h"

/* What the post-login process learns of the session, for its log and
   its deadline. */
struct loginsrv_peer {
	const char *addr, *host; /* the client */
	const char *tls; /* TLS protocol, "" without TLS */
	int authfail; /* failed logins before this one */
	int64_t end_ms; /* the session's deadline (util_now_ms), 0: none */
	/* What the post-login process needs to answer the login: IMAP's
	   command tag; "" for POP3.  At most LOGINSRV_TAG_MAX bytes. */
	const char *tag;
};
#define LOGINSRV_TAG_MAX 128

struct loginsrv {
	const char *passwd_file;
	int auth_delay_ms; /* the first failed login's delay */
	int lifetime; /* seconds the whole session may take, 0: no limit */
	size_t pass_max; /* longest password a request may carry */
	struct log *log;
	/*
	 * In the login process (already the unprivileged id): the session
	 * before the login on rfd/wfd, asking the parent over ps.  Its
	 * return value is the process's exit status.
	 */
	int (*login)(void *arg, int ps, int rfd, int wfd);
	/*
	 * In the post-login process, still root: become e's user first
	 * (passwd_become or the like), then serve the client on fd.  Its
	 * return value is the process's exit status.
	 */
	int (*post)(void *arg, const struct passwd_entry *e, int fd,
	    const struct loginsrv_peer *peer);
	void *arg;
};

/*
 * The privileged parent of one connection on rfd/wfd (which it forgets
 * at once: the network is the login process's).  Returns the status
 * of the process that ended the session, with the failed logins.
 */
int	loginsrv_parent(const struct loginsrv *ls, const struct privsep_id *id,
	    int rfd, int wfd);

/*
 * In the login process: one login attempt of user with pass, for the
 * parent to check.  1: good, *handoff is the post-login process's end
 * (loginsrv_handoff) and *result, how the session ends for its log,
 * "logged-in"; 0: wrong (the parent has waited the delay); -1: could
 * not be checked, err says why: *result is "privsep-error" when the
 * parent is unreachable (the session must end), and left alone when
 * the parent only could not read the passwd-file (a temporary
 * failure).
 */
int	loginsrv_ask(int ps, const char *user, const char *pass,
	    const struct loginsrv_peer *peer, int *handoff,
	    const char **result, char *err, size_t errlen);

/*
 * In the login process after a good login (loginsrv_ask's *handoff,
 * fd): the session goes on in the post-login process, which logs it.
 * With pass (no TLS) the client itself goes over to it
 * (privsep_pass_client); else the bytes are proxied both ways until it
 * ends (privsep_proxy, idle for at most timeout seconds and a minute).
 * fd is closed; a failure is logged as "ADDR: why" (addr, or "local"
 * when "").
 */
void	loginsrv_handoff(struct io *io, int fd, int pass, int timeout,
	    struct log *log, const char *addr);

/*
 * In the post-login process: what the login process knew of the session
 * into the session's own: the client's address and name into addr and
 * host, the TLS protocol into ti, the failed logins so far into
 * *authfail; the session's deadline *end_ms, and io's, become the
 * login's when that is sooner.  1 when the client talks TLS, else 0.
 */
int	loginsrv_peer_take(const struct loginsrv_peer *peer,
	    char addr[NET_ADDRSTR_MAX], char host[DNS_NAME_MAX + 1],
	    struct tls_info *ti, int *authfail, int64_t *end_ms,
	    struct io *io);

#endif
