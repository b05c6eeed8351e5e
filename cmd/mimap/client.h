/*
 * client.h: the `mimap' IMAP client (list, fetch, append, idle).
 *
 *   client.c        the engine: connect, TLS (imaps:// or STARTTLS),
 *                   greeting, CAPABILITY, LOGIN / AUTHENTICATE PLAIN,
 *                   tagged commands and their responses (literals held,
 *                   or message literals streamed to a sink), LOGOUT
 *   client_main.c   the options and URL shared by the commands; list,
 *                   append, idle
 *   client_fetch.c  fetch: the session and durable delivery
 *   client_state.c  fetch's state journal (client_fetch.h)
 *
 * Failures are typed (err.h): the class gives the exit code, as for
 * `mpop fetch'.
 */
#ifndef MIMAP_CLIENT_H
#define MIMAP_CLIENT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "imap.h"
#include "io.h"
#include "tls.h"

#define CLIENT_URL_MAX 2048
#define CLIENT_LINE_MAX 16384
/* Network idle timeout, seconds (RFC 9051 §5.4 lets a server log out
   an idle client after 30 minutes; a command answer comes sooner). */
#define CLIENT_TIMEOUT 300
/* Words of an --mda command. */
#define CLIENT_ARGV_MAX 64
/* Seconds an --mda command may run for one message. */
#define CLIENT_MDA_TIMEOUT 600
/* Folders named with --folder. */
#define CLIENT_FOLDERS_MAX 256
/* Messages one UID FETCH asks for into a Maildir, and the RFC822.SIZE
   total a batch may pass: each body goes to its own tmp file, and the
   batch's journal sync and fsync of new/ are shared; what a crash may
   cost is fetching one batch again (never a loss, never twice). */
#define CLIENT_FETCH_BATCH 64
#define CLIENT_FETCH_BATCH_BYTES (32 * 1024 * 1024)

/* Capabilities the client uses. */
#define CAP_IMAP4REV1 0x001
#define CAP_STARTTLS 0x002
#define CAP_LOGINDISABLED 0x004
#define CAP_AUTH_PLAIN 0x008
#define CAP_SASL_IR 0x010
#define CAP_IDLE 0x020
#define CAP_UIDPLUS 0x040
#define CAP_LITERALPLUS 0x080
#define CAP_SPECIAL_USE 0x100
#define CAP_LIST_STATUS 0x200
#define CAP_CONDSTORE 0x400
#define CAP_QRESYNC 0x800
#define CAP_NOTIFY 0x1000

/* The options shared by the commands. */
struct copts {
	const char *user, *passwordeval, *trust;
	int tls_off, quiet;
	int verbose; /* -v: the commands sent, on stderr */
	long timeout;
	/* from the URL */
	char label[CLIENT_URL_MAX + 64]; /* imaps://host:port */
	char host[CLIENT_URL_MAX];
	char port[16];
	char urluser[CLIENT_URL_MAX];
	int implicit_tls;
};

struct iclient;

/* Streams a message literal (a FETCH's BODY[]) somewhere: begin with
   its size, then chunks; -1 stops the session (sink's own error in
   c->err). */
struct isink {
	int (*begin)(struct iclient *c, void *arg, uint64_t size);
	int (*write)(struct iclient *c, void *arg, const char *p, size_t n);
	void *arg;
};

/* Called with each untagged response of a command (c->p holds it). */
typedef int (*iuntagged_fn)(struct iclient *c, void *arg);

struct iclient {
	const struct copts *o;
	int fd;
	struct io io;
	struct tls_client_opts tlso;
	int tls_on;
	struct imap_parser p;
	struct buf rb; /* one response, literals held */
	char line[CLIENT_LINE_MAX];
	unsigned caps;
	unsigned tagn;
	char tag[16];
	int preauth, bye;
	struct isink *sink; /* message literals go here when set */
	struct yerr err;
	/* the last tagged response's text, for messages */
	char last[512];
	/* SELECT/EXAMINE results */
	uint32_t exists, uidvalidity, uidnext;
	int exists_seen; /* an EXISTS came (IDLE) */
	/* CONDSTORE/QRESYNC (RFC 7162): the SELECT's HIGHESTMODSEQ (0:
	   none or NOMODSEQ); UIDs a VANISHED named, when vanished is set */
	uint64_t highestmodseq;
	struct imap_seqset *vanished;
	int qresync_on; /* ENABLE QRESYNC was accepted */
};

/* "mimap: imaps://host:port: why" on stderr. */
void client_complain(const struct copts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Connect, TLS, greeting, capabilities, log in with secret (wiped by the
 * caller).  0, or -1 with c->err set.
 */
int client_open(
    struct iclient *c, const struct copts *o, const char *user, char *secret);
/* LOGOUT (best effort), close and free. */
void client_close(struct iclient *c);

/*
 * Send one command (its text after the tag, literals in it as
 * imap_put_* wrote them: a synchronizing literal waits for "+") and read
 * up to its tagged response; untagged responses go to fn (may be NULL).
 * Returns the tagged status (IMAP_ST_OK, _NO, _BAD) with c->last set,
 * or -1 with c->err set (connection, protocol, fn's failure).
 */
int client_cmd(struct iclient *c, iuntagged_fn fn, void *arg,
    const char *cmd, size_t len);
/* The same with a printf format (no literals). */
int client_cmdf(struct iclient *c, iuntagged_fn fn, void *arg,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Read one response into c->p (after reset).  0 or -1 (c->err). */
int client_read(struct iclient *c);
/* Send raw bytes and flush.  0 or -1. */
int client_send(struct iclient *c, const char *p, size_t n);
/* A command that did not end OK: c->err (class PERM for NO, PROTO for
   BAD) naming what.  Returns -1. */
int client_refused(struct iclient *c, int st, const char *what);

/* SELECT (rw) or EXAMINE a folder: c->exists, uidvalidity, uidnext,
   highestmodseq. */
int client_select(struct iclient *c, const char *folder, int rw);
/* The same with parameters after the name (" (CONDSTORE)"), or NULL. */
int client_select_p(
    struct iclient *c, const char *folder, int rw, const char *params);

/* Is v an atom/astring equal to s in any case? */
int client_word(const struct imap_value *v, const char *s);
/* Copy a string value into out (NIL: ""); 0 or -1. */
int client_str(const struct imap_value *v, char *out, size_t outlen);

/* Options: parse the URL into o (exits 64 on a bad one). */
int client_url(struct copts *o, const char *url, char *err, size_t errlen);
/* The user name and secret for o; 0 or an exit code (message said). */
int client_login_info(
    struct copts *o, const char **user, char *secret, size_t secretlen);

/* Everything the command line says (client_main.c parses it). */
struct cargs {
	struct copts o;
	const char *folders[CLIENT_FOLDERS_MAX];
	size_t nfolders;
	const char *maildir, *state, *flags;
	char *mda[CLIENT_ARGV_MAX + 1];
	int del, mark_seen, all_folders;
	long wait; /* idle --timeout; 0: none */
	int idle; /* fetch --idle */
	long poll; /* fetch --idle: STATUS poll of the other folders, s */
};

/* client_fetch.c: the run of `mimap fetch' (a parsed). */
int client_fetch(struct cargs *a);

/* client_main.c */
int client_list_main(int argc, char **argv);
int client_fetch_main(int argc, char **argv);
int client_append_main(int argc, char **argv);
int client_idle_main(int argc, char **argv);

#endif
