/*
 * imapd.h: what the files of `mimap serve' share (DESIGN.md "IMAP"),
 * after Dovecot's imap-commands.c and cmd-*.c: one file per group of
 * commands over one session skeleton.
 *
 *   serve.c          options, inetd and --listen, privilege separation
 *   imapd_session.c  the session: reading commands (literals included,
 *                    common/imap), the command table, answers, the
 *                    untagged updates at command boundaries, CAPABILITY,
 *                    NOOP, LOGOUT, ID, ENABLE
 *   imapd_auth.c     STARTTLS, LOGIN, AUTHENTICATE, the post-login
 *                    process
 *   imapd_select.c   SELECT, EXAMINE, CLOSE, UNSELECT, CHECK, EXPUNGE,
 *                    UID EXPUNGE
 *   imapd_list.c     LIST, LSUB, STATUS, NAMESPACE, CREATE, DELETE,
 *                    RENAME, SUBSCRIBE, UNSUBSCRIBE
 *   imapd_fetch.c    FETCH, UID FETCH
 *   imapd_store.c    STORE, COPY, MOVE and their UID forms
 *   imapd_append.c   APPEND
 *   imapd_idle.c     IDLE (inotify, or polling)
 *   imapd_notify.c   NOTIFY (RFC 5465): other folders' changes as STATUS
 *   imapd_search.c   SEARCH, UID SEARCH (ESEARCH, SEARCHRES, MODSEQ)
 *   imapd_sort.c     SORT, THREAD and their UID forms
 *
 * The state is the Maildir++ tree (common/mailbox, folders, keywords);
 * the session keeps the selected folder's view (struct mailbox), whose
 * index + 1 is the message sequence number.
 */
#ifndef MIMAP_IMAPD_H
#define MIMAP_IMAPD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "imap.h"
#include "io.h"
#include "keywords.h"
#include "log.h"
#include "login.h"
#include "loginsrv.h"
#include "mailbox.h"
#include "mime.h"
#include "msgcache.h"
#include "net.h"
#include "passwd.h"
#include "tls.h"

#define PROG "mimap"

/* RFC 3501 §5.4: the autologout timer is at least 30 minutes. */
#define IMAPD_TIMEOUT 1800
/* RFC 7889 APPENDLIMIT, and the largest message APPEND takes. */
#define IMAPD_APPEND_MAX ((long long)64 * 1024 * 1024)
/* Literal octets a second at least, after the command timeout (as
   SMTP's DATA: a client that announces a literal and trickles holds
   nothing for long). */
#define IMAPD_LITERAL_RATE 1024
/* A refused non-synchronizing literal is read past up to this size;
   a larger one ends the session (RFC 7888 §4 allows either). */
#define IMAPD_SKIP_MAX ((uint64_t)1024 * 1024)
/* A SEARCH program: at most this many keys, and NOT/OR/() nested at
   most this deep (the parser bounds lists at IMAP_LIST_DEPTH_MAX, but
   NOT NOT NOT... needs no list). */
#define IMAPD_SEARCH_KEYS_MAX 512
#define IMAPD_SEARCH_DEPTH_MAX 32
/* A long SEARCH or SORT line is written in pieces of about this size
   rather than held whole. */
#define IMAPD_OUT_CHUNK (64 * 1024)
/* NOTIFY: inotify watches one session takes (the root, new/ and cur/ of
   each folder); the rest is polled.  fs.inotify.max_user_watches
   (8192 on many kernels) is shared by all of a user's sessions and
   programs, so one session with hundreds of folders must not take it
   all. */
#define IMAPD_NOTIFY_WATCH_MAX 256

struct imapd_notify;

struct imapd_conf {
	const char *passwd_file; /* NULL only with preauth */
	int preauth; /* no login: maildir as the invoking user */
	/* The Maildir (preauth), or the default for passwd lines without
	   one ("%u" becomes the user). */
	const char *maildir;
	struct tls_server *tls; /* NULL: no STARTTLS */
	int tls_on_connect;
	int allow_plain_auth;
	int timeout; /* seconds idle before autologout */
	int lifetime; /* seconds a session may take, 0: no limit */
	int max_errors;
	int auth_delay_ms;
	int resolve;
	const char *hostname;
	struct log *log;
	/* IDLE and NOTIFY: 0, inotify where it works (else polling); N,
	   never inotify, a look every N seconds (--idle-poll, NFS). */
	int idle_poll;
	/* The login process of a server started as root (loginsrv). */
	int privsep;
	int ps_fd;
};

/* RFC 3501 §3: the states of a connection. */
enum imapd_state {
	IMAPD_NOTAUTH = 0,
	IMAPD_AUTH,
	IMAPD_SELECTED,
	IMAPD_LOGOUT
};

struct imapd {
	const struct imapd_conf *c;
	struct io io;
	char addr[NET_ADDRSTR_MAX];
	char host[DNS_NAME_MAX + 1];
	enum imapd_state state;
	int tls;
	struct tls_info tlsi;
	struct login login;
	char user[PASSWD_USER_MAX + 1]; /* logged in as */
	char root[PATH_MAX]; /* the user's Maildir (INBOX) */
	int64_t end_ms; /* the session's deadline, 0: none */
	int errors; /* BAD answers, for --max-errors */
	int quit; /* close after the answers */
	const char *result; /* how the session ended, for the log */
	int handoff_fd; /* privsep: proxy to this after the login */
	/* ENABLE (RFC 5161) */
	int utf8; /* UTF8=ACCEPT / IMAP4rev2 */
	int condstore; /* CONDSTORE enabled (or implied) */
	int qresync;
	int rev2; /* IMAP4rev2 enabled */
	/* The command being run. */
	struct imap_parser p;
	struct buf cmd; /* its octets: lines and held literals */
	int spool; /* a taken (message) literal, or -1 */
	const char *tag; /* NUL-terminated copy of p.tag */
	char tagbuf[IMAP_TAG_MAX + 1];
	int uid; /* a UID command */
	/* The selected folder. */
	struct mailbox mb;
	int mb_open;
	int readonly; /* EXAMINE */
	char folder[PATH_MAX]; /* its name, UTF-8 ("INBOX") */
	struct keywords kw;
	struct buf out; /* a response being built */
	/* For the log line. */
	size_t nfetch, nappend;
	/* SEARCHRES (RFC 5182): the saved result "$" as UIDs, for the
	   folder (directory, UIDVALIDITY) it was made in. */
	struct imap_seqset saved;
	char saved_dir[PATH_MAX];
	uint32_t saved_validity;
	/* NOTIFY (RFC 5465), NULL: none set. */
	struct imapd_notify *notify;
	/* The selected folder's message cache (imapd_cache.c), read
	   when a command first needs it; NULL until then. */
	struct msgcache *mc;
};

/* ---------------------------------------------------------------- session */

/* imapd_session.c */
int imapd_session(const struct imapd_conf *c, int rfd, int wfd);
/* privsep: the post-login process for e; tag: the LOGIN's tag. */
int imapd_post_login(const struct imapd_conf *c, const struct passwd_entry *e,
    int fd, const struct loginsrv_peer *peer);

/* Answers.  The tagged ones take the command's tag; code may be NULL
   ("READ-WRITE", "UIDVALIDITY 3").  BAD counts toward --max-errors. */
void imapd_ok(struct imapd *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imapd_no(struct imapd *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imapd_bad(struct imapd *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "* " fmt CRLF */
void imapd_untagged(struct imapd *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send s->out as it is (it holds CRLFs and literals), then empty it. */
void imapd_send_out(struct imapd *s);
/* The CAPABILITY list for the state, without "CAPABILITY". */
void imapd_capabilities(const struct imapd *s, struct buf *b);
/* A read-only view (EXAMINE): messages from index from on that are
   still in new/ show as \Recent, as a SELECT would make them. */
void imapd_examine_recent(struct imapd *s, size_t from);
/* A CONDSTORE enabling command (RFC 7162 §3.1): CONDSTORE from now on,
   and the first one says "* OK [HIGHESTMODSEQ n]". */
void imapd_condstore_on(struct imapd *s);
/* Close the selected folder (no expunge). */
void imapd_unselect(struct imapd *s);
/*
 * Tell the client what changed in the selected folder (EXISTS,
 * RECENT, FETCH FLAGS) at a command boundary; expunges too when
 * allowed (not during FETCH, STORE, SEARCH: RFC 3501 §7.4.1).  -1 when
 * the session must end (the folder went away: BYE sent).
 */
int imapd_sync(struct imapd *s, int expunges);
/* The command's arguments, or NULL when it has fewer than i + 1. */
const struct imap_value *imapd_arg(const struct imapd *s, size_t i);
/* A message's flags as an IMAP flag list "(\Seen $Label)" into b. */
int imapd_put_flags(struct imapd *s, size_t i, struct buf *b);

/* Command handlers: 0 to go on, -1 to end the session. */
int imapd_capability(struct imapd *s);
int imapd_noop(struct imapd *s);
int imapd_logout(struct imapd *s);
int imapd_id(struct imapd *s);
int imapd_enable(struct imapd *s);

/* imapd_auth.c */
int imapd_starttls(struct imapd *s);
int imapd_login(struct imapd *s);
int imapd_authenticate(struct imapd *s);
/* After a good login (one process) or in the post-login process: become
   e's user, find its Maildir, answer.  0, or -1: end the session. */
int imapd_enter(struct imapd *s, const struct passwd_entry *e);

/* imapd_select.c */
int imapd_select(struct imapd *s);
int imapd_close(struct imapd *s);
int imapd_unselect_cmd(struct imapd *s);
int imapd_check(struct imapd *s);
int imapd_expunge(struct imapd *s);
/* A folder name argument to its directory (INBOX: the root).  0, or
   -1 with NO answered. */
int imapd_folder_dir(struct imapd *s, const struct imap_value *v, char *name,
    size_t namelen, char *dir, size_t dirlen);

/* imapd_list.c */
int imapd_list(struct imapd *s);
int imapd_lsub(struct imapd *s);
int imapd_status(struct imapd *s);
int imapd_namespace(struct imapd *s);
int imapd_create(struct imapd *s);
int imapd_delete(struct imapd *s);
int imapd_rename(struct imapd *s);
int imapd_subscribe(struct imapd *s);

/* imapd_fetch.c */
int imapd_fetch(struct imapd *s);
/* NOTIFY's MessageNew fetch-att list v for messages from index from on
   (untagged, with UID; from >= s->mb.n: only check v).  0 or -1. */
int imapd_fetch_notify(struct imapd *s, const struct imap_value *v,
    size_t from);

/* Flags one STORE or APPEND may name: 5 system flags and a folder's
   KEYWORDS_N keywords, with room for names given twice. */
#define IMAPD_FLAGS_MAX 64

/* imapd_store.c */
int imapd_store(struct imapd *s);
int imapd_copy(struct imapd *s);
/* A sequence set (UIDs for a UID command) as ascending message indexes
   (*idxp, malloc(3)ed, *np of them).  0, or -1 with BAD or NO sent. */
int imapd_msgset(struct imapd *s, const struct imap_value *v, size_t **idxp,
    size_t *np);
/* Flag names (a list when list, else v and the values after it) into
   names/ptrs, at most max.  0, or -1 with BAD sent. */
int imapd_flag_names(struct imapd *s, const struct imap_value *v, int list,
    char names[][KEYWORD_NAME_MAX + 2], const char **ptrs, size_t max,
    size_t *np);
/* 1 when dir is a Maildir (new/ and cur/), else 0 (TRYCREATE). */
int imapd_folder_exists(const char *dir);
/* The process's unique-name maker for APPEND and COPY. */
struct maildir_namer *imapd_namer(void);

/* imapd_append.c */
int imapd_append(struct imapd *s);

/* imapd_idle.c */
int imapd_idle(struct imapd *s);
/* The session loop's wait between commands (sess: the struct imapd):
   with NOTIFY set, sends news until input comes or the read's deadline
   passes.  0, or -1 to end the session. */
int imapd_wait_command(void *sess);

/* imapd_notify.c */
int imapd_notify(struct imapd *s);
/* Send what changed in the folders NOTIFY watches (STATUS, LIST) at a
   command boundary or in an IDLE.  0 (never ends the session). */
int imapd_notify_check(struct imapd *s);
/* The inotify descriptor that wakes an IDLE, or -1. */
int imapd_notify_fd(const struct imapd *s);
/* 1 when the root or some watched folder has no inotify watch (poll). */
int imapd_notify_polled(const struct imapd *s);
/* 1 when SELECTED asks for MessageNew (the selected folder's news are
   sent between commands too). */
int imapd_notify_selected(const struct imapd *s);
/* Forget the NOTIFY setting (NOTIFY NONE, end of the session). */
void imapd_notify_end(struct imapd *s);

/* imapd_select.c: FLAGS and PERMANENTFLAGS of the selected folder
   (SELECT, and when a STORE or APPEND made new keywords). */
void imapd_flags_answers(struct imapd *s);
/* imapd_select.c: "* VANISHED [(EARLIER) ]uids" for n UIDs (any order
   but ascending is shortest), nothing when n is 0. */
void imapd_vanished(struct imapd *s, const uint32_t *uids, size_t n,
    int earlier);
/* imapd_search.c */
int imapd_search(struct imapd *s);
/*
 * Run the search keys from v on (CHARSET taken when charset): hit[i]
 * set for each matching message of the view (s->mb.n entries).  0, or
 * -1 after a BAD or NO answer.  *modseq: the highest MODSEQ of the
 * hits when a MODSEQ key was used, else 0.
 */
int imapd_search_run(struct imapd *s, const struct imap_value *v,
    int charset, unsigned char *hit, uint64_t *modseq);
/* Resolve "$" (RFC 5182) into set for this folder: UIDs when uid, else
   sequence numbers. */
int imapd_search_saved(struct imapd *s, int uid, struct imap_seqset *set);

/* imapd_sort.c */
int imapd_sort(struct imapd *s);
int imapd_thread(struct imapd *s);

/* imapd_cache.c: the folder's message cache (msgcache.h).  get: 1 and
   *r when message i's record is held (its wire size known and equal),
   else 0.  put: learn message i from m (parsed), ignoring failure.
   save: write the file when the command learnt something (once per
   command); free: at UNSELECT and the session's end. */
int imapd_cache_get(struct imapd *s, size_t i, struct msgcache_rec *r);
void imapd_cache_put(struct imapd *s, size_t i, const struct mime_msg *m);
void imapd_cache_save(struct imapd *s);
void imapd_cache_free(struct imapd *s);

#endif
