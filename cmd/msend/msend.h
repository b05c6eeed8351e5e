/*
 * msend.h: what the files of msend share: the settings of one account
 * (config file merged with the command line), the message read from
 * stdin, the recipients and their outcomes.  msend is options, config,
 * message reading, routing and reporting; SMTP is common/smtp_client.
 */
#ifndef MSEND_H
#define MSEND_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "dkim.h"
#include "err.h"
#include "io.h"
#include "log.h"
#include "secret.h"
#include "queue.h"
#include "smtp.h"
#include "smtp_client.h"

#define PROG "msend"

/* Longest config file we read (it holds a few accounts). */
#define CONF_FILE_MAX (256 * 1024)
/* Longest config line, key or value; accounts in one file. */
#define CONF_LINE_MAX 4096
#define CONF_NAME_MAX 64
#define CONF_ACCOUNTS_MAX 64
/* Bytes of queue policy lines an account may hold. */
#define CONF_QPOLICY_MAX (64 * 1024)
/* A message body is kept in memory up to this, then in a temp file. */
#define SPOOL_MEM_MAX (4 * 1024 * 1024)
/* --route entries. */
#define ROUTES_MAX 32
/* Seconds a command may wait for its reply unless --timeout says. */
#define MSEND_TIMEOUT SMTP_TIMEOUT_MAIL

enum tls_mode { TLSM_UNSET = 0, TLSM_OFF, TLSM_STARTTLS, TLSM_ON_CONNECT };

enum auth_mode {
	AUTHM_UNSET = 0,
	AUTHM_OFF,
	AUTHM_ON, /* pick PLAIN or LOGIN from what the server offers */
	AUTHM_PLAIN,
	AUTHM_LOGIN,
	AUTHM_XOAUTH2,
	AUTHM_OAUTHBEARER
};

/* A DKIM signature to make (--dkim-key, "dkim_key" in msend.conf). */
struct dkim_conf {
	char *key; /* the private key file */
	char *selector;
	char *domain; /* NULL: the From: address's domain */
	int alg; /* enum dkim_alg; DKIM_ALG_NONE: the key's own */
	/* c=: 0 relaxed/relaxed (the default), else 1 + hcanon * 2 +
	   bcanon (enum dkim_canon) */
	int canon;
	long expire; /* x= is t= plus this many seconds; 0: no x= */
};

/*
 * One account: strings are NULL and numbers -1 (or *_UNSET) when not
 * set, so that defaults < account < command line can be merged.
 */
struct account {
	char name[CONF_NAME_MAX + 1];
	int line; /* where it starts in the file */
	char *host;
	char *port;
	int tls; /* enum tls_mode */
	int tls_verify; /* 0: tls_certcheck off */
	char *tls_trust_file;
	char *tls_fingerprint;
	char *tls_cert;
	char *tls_key;
	char *tls_priorities;
	int auth; /* enum auth_mode */
	char *user;
	char *password;
	char *passwordeval;
	char *from;
	char *domain; /* EHLO name */
	int allow_plain_auth;
	long timeout; /* seconds */
	int chunking; /* 0: never use BDAT */
	char *dsn_notify;
	char *dsn_return;
	char *queue; /* the queue directory (msend --queue) */
	/* The queue's policy: "key value" lines (queue_*, site_*, site),
	   an account's after its defaults' (qpolicy_parse reads them in
	   order, so the account's win). */
	char *qpolicy;
	/* DKIM signatures, in order; an account that has none takes its
	   defaults' (the command line's replace the account's). */
	struct dkim_conf dkim[DKIM_SIGNERS_MAX];
	int ndkim;
};

struct conf {
	struct account defaults;
	struct account acct[CONF_ACCOUNTS_MAX];
	int nacct;
	char default_name[CONF_NAME_MAX + 1]; /* "account default : X" */
	int has_password; /* some account has "password" */
};

/* config.c */
void account_init(struct account *a);
void account_free(struct account *a);
/* Fill unset fields of dst from src. */
int account_merge(struct account *dst, const struct account *src);
void conf_init(struct conf *c);
void conf_free(struct conf *c);
/*
 * Parse a config file held in memory (name for messages).  0, or -1
 * with err "FILE:LINE: why".  Warnings (keys of msmtp we ignore) go to
 * log when it is not NULL.
 */
int conf_parse(struct conf *c, const char *data, size_t len, const char *name,
    struct log *log, char *err, size_t errlen);
/* --dkim-algorithm's word: DKIM_RSA_SHA256, DKIM_ED25519_SHA256, or
   -1. */
int msend_dkim_alg(const char *v);
/* --dkim-canonicalization's "H[/B]" (simple or relaxed, as c= of RFC
   6376 §3.5, B simple when left out): the dkim_conf.canon value, or
   -1. */
int msend_dkim_canon(const char *v);
/* --dkim-expire's "N[smhd]": seconds (1 minute to 10 years), or -1. */
long msend_dkim_expire(const char *v);
/* The account called name (NULL: the default one); NULL if none. */
const struct account *conf_account(const struct conf *c, const char *name);
/*
 * As msmtp's -f: the first account whose from is the address from, or a
 * pattern (fnmatch, as "*@example.org") it matches, case aside; NULL if
 * none.
 */
const struct account *conf_account_for_from(
    const struct conf *c, const char *from);
/* Is an account's from a pattern ('*', '?' or '[' in it)? */
int conf_from_is_pattern(const char *from);
/* A recipient and what became of it. */
enum rcpt_state {
	RS_PENDING = 0, /* not tried yet */
	RS_OK, /* accepted after the data */
	RS_TEMP, /* 4xx or connection trouble: retry elsewhere */
	RS_PERM /* 5xx or a permanent error of ours */
};

struct rcpt {
	char addr[SMTP_PATH_MAX + 1];
	int state; /* enum rcpt_state */
	enum yerr_class cls; /* what failed, when not RS_OK */
	char why[ERR_MAX]; /* the reply, or our reason */
};

/* A field of the header as read (offsets into message.head). */
struct hfield {
	size_t off, len;
	int drop; /* Bcc: not sent */
};

struct message {
	struct buf head; /* the header as read */
	struct hfield *f;
	size_t nf, capf;
	struct buf add; /* fields we add, CRLF-ended */
	struct buf sig; /* DKIM-Signature fields, CRLF-ended, go first */
	struct buf body; /* the body, when in memory */
	int fd; /* the body in a temp file, or -1 */
	uint64_t body_len;
	int have_date, have_msgid, have_from, have_resent;
	int hops; /* Received fields: RFC 5321 §6.3 loop check */
	/* Found by message_scan: */
	int eightbit; /* a byte >= 0x80 anywhere */
	uint64_t size; /* RFC 1870 size: CRLF, no stuffing */
	int body_nl; /* body empty or ends with LF */
	/* What message_prepare adds as List-Unsubscribe (message_read
	   takes it from msend_opts): nunsub URIs, 0 for none. */
	const char *const *unsub;
	int nunsub;
};

struct msend_opts {
	int read_rcpts; /* -t */
	int dot_ends; /* no -i: a "." line ends the input */
	const char *fullname; /* -F */
	const char *dsn_envid; /* -V */
	int dsn_notify; /* SMTP_NOTIFY_* bits */
	int dsn_ret; /* enum smtp_ret */
	int verbose;
	/* --list-unsubscribe: the URIs of the List-Unsubscribe field msend
	   adds, with List-Unsubscribe-Post (RFC 8058), replacing the
	   message's own */
	const char *unsub[LIST_UNSUB_MAX];
	int nunsub;
};

/* message.c */
void message_init(struct message *m);
void message_free(struct message *m);
/*
 * Read the message from fd: header in memory, body in memory or a temp
 * file.  With o->read_rcpts the To/Cc/Bcc addresses are handed to add
 * (which returns -1 to fail).  Bcc fields are dropped.  0, or an exit
 * code with err set.
 */
int message_read(struct message *m, int fd, const struct msend_opts *o,
    int (*add)(void *arg, const char *addr, size_t len), void *arg, char *err,
    size_t errlen);
/*
 * Add Date, Message-ID (and From, when from is not empty) when missing
 * (RFC 6409 §8), and List-Unsubscribe with List-Unsubscribe-Post when
 * asked (RFC 8058 §3.1), then measure the message: size, 8-bit, line
 * endings.  0, or an exit code with err set (a bare CR: EX_DATAERR).
 */
int message_prepare(struct message *m, const char *from, const char *fullname,
    const char *domain, char *err, size_t errlen);
/* A loaded DKIM key and where it signs for. */
struct msend_signer {
	struct dkim_signer *k;
	const char *selector;
	const char *domain; /* NULL: the From: domain */
	const char *file; /* for messages */
	int hcanon, bcanon; /* enum dkim_canon */
	long expire; /* seconds to x=, 0: none */
};
/*
 * Sign m (after message_prepare) with s[0..n): the DKIM-Signature
 * fields go on top, in order, for the direct send and the queue alike.
 * 0, or an exit code with err set.
 */
int message_sign(struct message *m, const struct msend_signer *s, int n,
    char *err, size_t errlen);
/*
 * Is uri one for List-Unsubscribe (RFC 2369 §2): https://HOST... or
 * mailto:..., printable ASCII without '<', '>', '"' or spaces?  1 for
 * https, 2 for mailto, or 0 with err set.
 */
int message_unsub_uri(const char *uri, char *err, size_t errlen);
/* Queue the message to io: CRLF line endings, dot-stuffed when dot. */
int message_send(
    struct message *m, struct io *io, int dot, char *err, size_t errlen);

/* The settings of one delivery attempt. */
struct session {
	const char *host; /* name for TLS and messages */
	const char *port; /* smarthost port */
	int tls; /* enum tls_mode */
	int tls_required; /* STARTTLS must succeed */
	int tls_verify;
	const char *trust_file, *fingerprint, *cert, *key, *priorities;
	const char *ehlo;
	const struct account *acct; /* auth settings, NULL: no AUTH */
	int timeout_ms;
	int final_timeout_ms; /* for the reply after the data */
	int chunking;
	const struct msend_opts *o;
	struct log *log;
	/* DANE (RFC 7672): the MX host's usable TLSA records, and the
	   names a DANE-TA certificate may carry; ntlsa 0: none. */
	const struct tls_tlsa *tlsa;
	int ntlsa;
	const char *const *dane_names;
};

/* client.c: the SMTP client engine (common/smtp_client) at work. */
/* One SMTP session over a connected fd, for several transactions. */
struct csession {
	struct smtp_client c;
	struct smtp_client_opts o;
	const struct session *s;
	int fd;
	int tls_failed; /* the STARTTLS handshake failed (opportunistic
			   TLS may try again in clear) */
	char why[ERR_MAX + SMTP_DOMAIN_MAX + 128]; /* why client_begin
						      failed, for people */
};
/* Greeting, EHLO, STARTTLS, AUTH as s says.  0, or -1 (cs->c.err,
   cs->why); client_end in both cases. */
int client_begin(struct csession *cs, int fd, const struct session *s);
/* QUIT (unless the link failed), free, close the fd. */
void client_end(struct csession *cs);
/*
 * Deliver m from sender to the pending recipients of r[0..n) over the
 * connected fd (closed on return).  Each recipient's state is set.
 * Returns -1 when the STARTTLS handshake failed (a caller doing
 * opportunistic TLS may try again without), else 0.
 */
int client_deliver(int fd, const struct session *s, struct message *m,
    const char *from, struct rcpt **r, int n);
/* --serverinfo over fd: what the server offers.  An exit code. */
int client_serverinfo(int fd, const struct session *s);
/* Set every pending recipient of r to the failure cls, why. */
void rcpts_fail(struct rcpt **r, int n, enum yerr_class cls, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* queue.c: msend's side of common/queue. */
struct qsubmit {
	const char *dir;
	struct queue *q; /* open already (--batch), or NULL */
	const char *from;
	struct rcpt *r;
	int nr;
	const struct msend_opts *o;
	struct message *m;
};
/*
 * Queue m for the pending recipients of q (their state becomes RS_OK,
 * "queued as ID"), durably.  An exit code: 0, or 75 with err set when
 * nothing was queued (a full disk), another for a queue that is not
 * there.
 */
int queue_submit(const struct qsubmit *q, char *id, size_t idlen, char *err,
    size_t errlen);
/* batch.c: the messages of --batch SOURCE. */
/*
 * Called for each message: fd is open on it (an mbox's message with its
 * separator and quoting undone), name says where it came from; fd is -1
 * when the file could not be opened (why says why).  0 goes on; any
 * other value stops batch_each, which returns it.
 */
typedef int (*batch_fn)(void *arg, int fd, const char *name, const char *why);
/*
 * Each message of path: a directory's files in name order (a Maildir's
 * new/ then cur/), or an mbox file ("-": the standard input).  0, fn's
 * value when it stopped, or -1 with err set when the source cannot be
 * read.
 */
int batch_each(const char *path, batch_fn fn, void *arg, char *err,
    size_t errlen);

/* The exit code for an errno of the queue's (sysexits.h). */
int queue_errno_exit(int e);
/* msend --list DIR (mailq): every message and recipient, why it waits.
   An exit code. */
int queue_list(const char *dir, FILE *out);

/* route.c */
struct route {
	char domain[SMTP_DOMAIN_MAX + 1];
	char host[SMTP_DOMAIN_MAX + 1];
	char port[16];
	int self_ok; /* "DOMAIN=[mx]": its MX even when it is this host */
};

struct routing {
	int direct;
	/* The queue runner's direct delivery: MTA-STS (RFC 8461) policies
	   fetched so (the CA and connect-to are for tests and debugging);
	   mta_sts 0: not looked up (--no-mta-sts). */
	int mta_sts;
	const char *mta_sts_ca;
	const char *mta_sts_connect_to;
	const char *dns_server;
	const char *port; /* port for direct delivery (25) */
	struct route routes[ROUTES_MAX];
	int nroutes;
};

/* Parse "DOMAIN=HOST:PORT" into rt.  0 or -1 with err. */
int route_add(struct routing *rt, const char *arg, char *err, size_t errlen);
/* The route for a domain: exact, else the longest "*.PARENT" above it;
   NULL: none. */
const struct route *route_find(const struct routing *rt, const char *domain);
/* Deliver to every recipient, by smarthost or direct. */
void route_deliver(const struct routing *rt, const struct session *base,
    struct message *m, const char *from, struct rcpt *r, int n);

#endif
