/*
 * msmtpd.h: the pieces of msmtpd shared between its files: the
 * configuration main.c builds from the options, and the session state
 * the SMTP state machine (session.c, data.c), the policy (policy.c) and
 * the delivery (deliver.c) work on.
 */
#ifndef MSMTPD_H
#define MSMTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"
#include "buf.h"
#include "io.h"
#include "lda.h"
#include "log.h"
#include "login.h"
#include "msg.h"
#include "net.h"
#include "passwd.h"
#include "privsep.h"
#include "sasl.h"
#include "smtp.h"
#include "tls.h"

#define PROG "msmtpd"

/* Words of a --command / --relay-command argv (before %T expands). */
#define MSMTPD_ARGV_MAX 64
/* --domain options kept. */
#define MSMTPD_DOMAINS_MAX 64
/* Upper bound for --max-recipients (RFC 5321 §4.5.3.1.8 asks >= 100). */
#define MSMTPD_RCPT_LIMIT 10000
/* Seconds a delivery command may run before it is killed (then 451). */
#define MSMTPD_COMMAND_TIMEOUT 600
/* RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for a
   command, and §4.5.3.2.5/6 the client 3 and 10 minutes on DATA. */
#define MSMTPD_TIMEOUT SMTP_TIMEOUT_SERVER
#define MSMTPD_DATA_TIMEOUT SMTP_TIMEOUT_DATA_BLOCK
/* Failed AUTH exchanges before 421 and disconnect (the delay doubles
   with each, from --auth-delay up to 8 times it: common/login.h). */
#define MSMTPD_AUTH_FAILS_MAX LOGIN_FAILS_MAX
/* Bytes our Received header adds to a message at most: helo, host and
   hostname are 255 each, the address 46, the TLS names 64 each, the
   recipient 256, the date and the words around them well under 500. */
#define MSMTPD_RECEIVED_MAX 2048
/* Milliseconds the last replies (221, 421) get to go out after the
   session's deadline. */
#define MSMTPD_GOODBYE_MS 10000
/* --check-sender: the results' words for the environment, and the
   Authentication-Results value (one line), at most. */
#define MSMTPD_AUTH_ENV_MAX 80
#define MSMTPD_AUTH_AR_MAX 2048
/* Bytes of a delivery command's stderr kept for the log line. */
#define MSMTPD_CMD_ERR_MAX 400

struct msmtpd_conf {
	const char *hostname;
	char *command[MSMTPD_ARGV_MAX + 1]; /* NULL-terminated */
	/* No --command: deliveries run mdeliver's engine (common/lda)
	   in-process with these options, as the default command would. */
	int lda_inproc;
	const char *lda_roots[1];
	struct lda_opts lda;
	int default_command; /* command is our mdeliver: refuse at RCPT
				what it cannot take */
	char *relay[MSMTPD_ARGV_MAX + 1];
	const char *queue; /* --queue: relayed mail into this queue */
	const char *domains[MSMTPD_DOMAINS_MAX];
	size_t ndomains;
	const char *passwd_file;
	struct tls_server *tls; /* NULL: no STARTTLS */
	int tls_on_connect;
	int allow_plain_auth;
	int accept_bare_lf;
	long long max_size; /* bytes of message, 0: none */
	int max_rcpt;
	int max_errors;
	int timeout; /* seconds, commands */
	int data_timeout; /* seconds, DATA/BDAT blocks */
	int command_timeout; /* seconds, delivery command */
	int lifetime; /* seconds a whole session may take */
	int max_use; /* --listen: connections per worker, 0 default */
	long long data_rate; /* DATA/BDAT bytes a second, at least */
	int auth_delay_ms;
	int resolve; /* reverse DNS of the peer */
	/* --check-sender (auth.c): SPF, iprev, DKIM, DMARC over the DNS
	   (dns_server, NULL: resolv.conf), the results in an
	   Authentication-Results field and the command's environment. */
	int check_sender;
	int reject_spf_fail; /* 550 5.7.23 at MAIL FROM */
	int reject_dmarc; /* 550 5.7.1 for a DMARC reject */
	int defer_temperror; /* 451 when a check could not be made */
	const char *dns_server;
	int dns_timeout; /* seconds a query, 0: DNS_TIMEOUT */
	const char *user; /* --user: drop root to this user */
	struct log *log;
	/*
	 * Tests and the fuzz target: when set, called instead of running
	 * a command, with the spool fd (positioned at 0); returns what a
	 * command's exit status would be.
	 */
	int (*sink)(void *arg, int fd);
	void *sink_arg;
	/*
	 * Started as root: the session runs unprivileged and asks the
	 * privileged parent (deliver.c) on ps_fd to deliver and to check
	 * passwords; the parent made the spool, spool_fd.
	 */
	int privsep;
	int ps_fd;
	int spool_fd;
	/* Started as root: the session's user (privsep); NULL: one
	   process. */
	const struct privsep_id *ps_id;
};

/* A recipient's DSN parameters (RFC 3461 §4.1, §4.2), offered with
   --queue. */
struct msmtpd_rdsn {
	int notify; /* SMTP_NOTIFY_* bits, 0: none given */
	char orcpt[SMTP_ORCPT_MAX + 1]; /* "type;xtext" as sent, "" none */
};

struct session {
	const struct msmtpd_conf *c;
	struct io io;
	char addr[NET_ADDRSTR_MAX];
	char host[SMTP_DOMAIN_MAX + 1];
	char helo[SMTP_DOMAIN_MAX + 1];
	int greeted; /* HELO or EHLO done */
	int esmtp; /* EHLO */
	int tls;
	struct tls_info tlsi;
	int authed;
	int auth_fails; /* failed AUTH exchanges */
	char auth_user[SASL_FIELD_MAX + 1];
	int errors;
	int quit; /* close after the replies */
	const char *end; /* how the session ended, for its log line */
	int accepted; /* messages answered with 250 */
	int64_t end_ms; /* the session's deadline (util_now_ms) */
	int64_t data_t0; /* when the message data began */
	/* The transaction (RFC 5321 §3.3). */
	int in_mail;
	char from[SMTP_PATH_MAX + 1];
	int smtputf8;
	int binary; /* BODY=BINARYMIME */
	char (*rcpt)[SMTP_PATH_MAX + 1];
	struct msmtpd_rdsn *rdsn; /* each recipient's NOTIFY, ORCPT */
	size_t nrcpt;
	enum smtp_ret ret; /* RET= (RFC 3461 §4.3) */
	char envid[SMTP_ENVID_MAX + 1]; /* ENVID=, xtext-decoded, "" none */
	int relay; /* recipients are relayed */
	int bdat; /* BDAT chunks under way */
	/* The message being received. */
	int spool; /* unlinked temp file, -1 none */
	struct buf sbuf; /* pending spool output */
	long long size; /* message bytes as received */
	int toobig;
	int bare; /* bare LF/CR seen */
	int spool_err;
	int cr_pending; /* BDAT: a CR ended the last chunk */
	struct msg_hops hops; /* Received fields (loop check) */
	int hops_done; /* the header has ended */
	char id[24];
	char cmd_err[MSMTPD_CMD_ERR_MAX + 1];
	/* --check-sender (auth.c) */
	struct auth_state *auth;
	size_t rcvd_len; /* our Received field at the spool's start */
	/* "SPF DKIM DMARC IPREV DISPOSITION", "" when not checked */
	char auth_env[MSMTPD_AUTH_ENV_MAX + 1];
	/* the Authentication-Results value, unfolded */
	char auth_ar[MSMTPD_AUTH_AR_MAX + 1];
};

/* session.c: one SMTP session on rfd/wfd.  Returns what
   server_exit_status makes of how it ended (0 after QUIT) and of its
   failed logins. */
int session_run(const struct msmtpd_conf *c, int rfd, int wfd);
/* Queue a reply; 5xx replies to commands count as errors (count=1). */
int reply(struct session *s, int count, int code, const char *enh,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void txn_reset(struct session *s);
/* A read failed with rc (IO_TIMEOUT, IO_EOF, IO_ERR): queue the 421 a
   timeout or a shutdown gets, note how the session ended. */
void session_lost(struct session *s, int rc, const char *where);

/* Before reading a command line (or a SASL line): the whole line
   within --timeout, and within the session's lifetime. */
void session_line_deadline(struct session *s);
/* While message data comes: --data-timeout plus bytes / --data-min-rate
   since it began, and within the session's lifetime. */
void session_data_deadline(struct session *s, long long bytes);

/* data.c: the message (DATA and BDAT) into the spool. */
int data_begin(struct session *s);
int data_read_dot(struct session *s);
int data_write_chunk(struct session *s, const char *p, size_t n, int last);
int data_spool_flush(struct session *s);
/* After the data ended: check, deliver, reply, reset the transaction. */
int data_finish(struct session *s);

/* deliver.c: run the delivery (or relay) command over the spool.
   Returns the exit status (0, 75, ...), or 75 when it could not run. */
int deliver_run(struct session *s);
/* AUTH: passwd_check, or with privsep the parent's (1, 0, -1). */
int deliver_auth_check(struct session *s, const char *user, const char *pass,
    struct passwd_entry *e, char *err, size_t errlen);
/*
 * Started as root: the privileged parent.  Forks the session as id on
 * rfd/wfd and runs its deliveries and password checks.  Returns what
 * the session returned (session_run), or 1.
 */
int deliver_parent(
    const struct msmtpd_conf *c, const struct privsep_id *id, int rfd, int wfd);
/*
 * --listen, as root: a pool worker (server.h) made of the same two
 * processes, serving the connections the listener passes over chan one
 * after the other; the parent forgets each login when the next
 * connection comes.
 */
int deliver_parent_pool(
    const struct msmtpd_conf *c, const struct privsep_id *id, int chan);

/* auth.c: --check-sender.  At MAIL FROM (after its checks): iprev and
   SPF; 0, or -1 when the command got its refusal.  After the data,
   before the delivery (rcvd_len: our Received field's bytes at the
   spool's start): DKIM and DMARC, the Authentication-Results field
   into the spool; 0, or 1 with the reply to give instead of
   delivering. */
struct auth_state;
int auth_mail(struct session *s);
int auth_data(struct session *s, size_t rcvd_len, int *code,
    const char **enh, char *text, size_t textlen);
void auth_free(struct session *s);

/* session.c: DSN (RFC 3461) is offered where it can be honoured: with
   --queue, which relays through the queue runner (see msmtpd.8). */
int session_dsn_offered(const struct msmtpd_conf *c);

/* policy.c */
int policy_local(const struct msmtpd_conf *c, const struct smtp_path *p);
int policy_auth_offered(const struct session *s);
/* AUTH: returns 1 authenticated, 0 not (reply sent). */
int policy_auth(struct session *s, const char *arg, size_t len);

/* main.c: not root, --user must be who we are (as root the session
   drops: deliver_parent).  0 or -1. */
int drop_privileges(const struct msmtpd_conf *c);

/* enqueue.c: relayed mail into the queue (--queue). */
struct msmtpd_qmsg {
	const char *id;
	const char *from;
	const char *const *rcpt;
	const int *notify; /* each recipient's NOTIFY bits (RFC 3461) */
	const char *const *orcpt; /* each one's ORCPT, NULL or "": none */
	size_t nrcpt;
	enum smtp_ret ret; /* RET= */
	const char *envid; /* ENVID=, xtext-decoded; NULL or "": none */
	const char *origin; /* who sent it, for msend --list */
	int spool; /* LF line ends, our Received first */
	int delivered; /* not the message: the "delivered" report about
			  it (RFC 3461 §5.2.3 (a)) to its sender, for the
			  recipients whose NOTIFY has SUCCESS */
};
/* Is DIR a queue msmtpd may write (as root: not root's)?  0 or -1. */
int msmtpd_queue_check(const char *dir, char *err, size_t errlen);
/* Queue m (or with m->delivered its report) in c->queue durably.  An
   exit code as a delivery command's would be (0, 75); cmd_err says why
   not. */
int msmtpd_enqueue(const struct msmtpd_conf *c, const struct msmtpd_qmsg *m,
    char *cmd_err);

#endif
