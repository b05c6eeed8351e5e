/*
 * serve.h: the pieces of `mpop serve' shared between serve.c (its own
 * options and POP3 wording; common/srvmain does the rest of the set-up
 * and the inetd and --listen modes), serve_session.c (the session:
 * states, command loop, CAPA, answers, log), serve_auth.c (USER/PASS,
 * AUTH PLAIN, STLS, the passwd-file and the change of user) and
 * serve_maildrop.c (the maildrop and the TRANSACTION and UPDATE
 * commands), serve_privsep.c (started as root: the login and
 * post-login processes behind loginsrv's privileged parent, see
 * common/privsep.h), and with the fuzz target.
 */
#ifndef MPOP_SERVE_H
#define MPOP_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "io.h"
#include "log.h"
#include "login.h"
#include "loginsrv.h"
#include "mailbox.h"
#include "net.h"
#include "passwd.h"
#include "pop3.h"
#include "privsep.h"
#include "tls.h"

struct serve_conf {
	const char *passwd_file; /* NULL only with preauth */
	int preauth; /* no login: serve maildir as the invoking user */
	/*
	 * The Maildir: with preauth, the one served; else the default for
	 * passwd lines without a maildir field ("%u" becomes the user).
	 */
	const char *maildir;
	struct tls_server *tls; /* NULL: no STLS, no TLS on connect */
	int tls_on_connect;
	int allow_plain_auth; /* USER/PASS and AUTH without TLS */
	int timeout; /* seconds idle before autologout */
	int lifetime; /* seconds a whole session may take, 0: no limit */
	int max_errors;
	int auth_delay_ms;
	int resolve; /* reverse DNS of the peer for the log */
	int no_seen; /* RETR does not add the S flag */
	const char *hostname; /* in the greeting */
	struct log *log;
	/*
	 * The login process of a server started as root: credentials go
	 * to the privileged parent on ps_fd (serve_privsep.c), which
	 * checks them and starts the post-login process.
	 */
	int privsep;
	int ps_fd;
};

/*
 * One POP3 session on rfd/wfd (the same socket, or fd 0/1 under
 * inetd).  Returns server_exit_status of how it ended (0 after QUIT)
 * and of its failed logins, for the --listen listener.
 */
int serve_session(const struct serve_conf *c, int rfd, int wfd);


/*
 * serve_session.c: the post-login process (privsep): as the user of e,
 * open the maildrop and answer, then the TRANSACTION state on fd (the
 * plaintext end the login process proxies).  Same return as
 * serve_session.
 */
int serve_post_login(const struct serve_conf *c, const struct passwd_entry *e,
    int fd, const struct loginsrv_peer *peer);

/*
 * serve_privsep.c: started as root with a passwd-file, srvmain runs
 * loginsrv's privileged parent with POP3's login and post-login
 * processes: set them in m (m->arg is the serve_conf).
 */
struct srvmain;
void serve_privsep_init(struct srvmain *m);

/* ---------------------------------------------------------------- session */

/* RFC 1939 §3: the states of a session. */
enum sess_state { ST_AUTH, ST_TRANS, ST_UPDATE };

struct sess {
	const struct serve_conf *c;
	struct io io;
	char addr[NET_ADDRSTR_MAX];
	char host[DNS_NAME_MAX + 1];
	enum sess_state state;
	int tls;
	struct tls_info tlsi;
	char user[PASSWD_USER_MAX + 1]; /* USER given, or logged in */
	int have_user;
	struct mailbox mb;
	int mb_open;
	unsigned char *deleted; /* per message: DELE'd */
	size_t ndeleted;
	int errors; /* refused commands, for --max-errors */
	struct login login; /* the login path; login.fails: failed logins */
	int64_t end_ms; /* the session's deadline (util_now_ms), 0: none */
	const struct pop3_cmd *cmd; /* the command being dispatched */
	int quit; /* close after the answers */
	/* For the log line. */
	size_t nretr, ndele;
	long long bytes;
	const char *result; /* how the session ended */
	struct buf enc; /* encoder output */
	int handoff_fd; /* privsep: proxy to this after the login, -1 */
};

/* serve_session.c: queue one answer line (CRLF added). */
void sess_resp(struct sess *s, int ok, enum pop3_code code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
/* The same for a command the client got wrong: counts toward
   --max-errors. */
void sess_err(struct sess *s, enum pop3_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* May USER, PASS and AUTH be used now (TLS, --allow-plain-auth)? */
int sess_login_allowed(const struct sess *s);

/* Reading failed with rc (IO_EOF, IO_TIMEOUT, IO_ERR, or SIGTERM):
   queue the goodbye it gets, note how the session ended. */
void sess_lost(struct sess *s, int rc);

/* serve_auth.c: the AUTHORIZATION commands.  -1: close the session. */
int auth_user(struct sess *s, const struct pop3_cmd *cmd);
int auth_pass(struct sess *s, const struct pop3_cmd *cmd);
int auth_sasl(struct sess *s, const struct pop3_cmd *cmd);
int auth_stls(struct sess *s);
/* After a good password: become e's user, open its maildrop, answer.
   0, or -1 when the session must end. */
int auth_enter(struct sess *s, const struct passwd_entry *e);

/* serve_maildrop.c */
/* Open and lock dir, enter TRANSACTION, answer.  0, or -1 (answered). */
int maildrop_open(struct sess *s, const char *dir);
/* Messages not deleted and their size from the names (no reading). */
long long maildrop_total(struct sess *s, size_t *count);
void drop_stat(struct sess *s);
int drop_list(struct sess *s, const struct pop3_cmd *cmd, int uidl);
int drop_retr(struct sess *s, const struct pop3_cmd *cmd, int top);
void drop_dele(struct sess *s, const struct pop3_cmd *cmd);
void drop_rset(struct sess *s);
/* QUIT in TRANSACTION: the UPDATE state. */
void drop_update(struct sess *s);

#endif
