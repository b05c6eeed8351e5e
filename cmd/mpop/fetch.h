/*
 * fetch.h: the parts of `mpop fetch' (fetch_main.c: options and the
 * account; fetch.c: the POP3 session on libcurl; fetch_deliver.c: a
 * message into the Maildir or an MDA).  The password comes from
 * common/secret.
 */
#ifndef MPOP_FETCH_H
#define MPOP_FETCH_H

#include <stddef.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "buf.h"
#include "maildir.h"
#include "state.h"

/* Where Return-Path is looked for (for %F): the head of the message. */
#define FETCH_HEADER_PEEK (64 * 1024)

/* Messages delivered into the Maildir before the journal and new/ are
   synced (and DELE sent): fewer syncs, a few more messages to fetch
   again after a crash at worst. */
#define FETCH_BATCH 64
/* Bytes of one batch, so a batch of big messages syncs sooner. */
#define FETCH_BATCH_BYTES (32L * 1024 * 1024)
/* Idle time allowed (seconds): RFC 1939 §3 lets the server wait 10
   minutes; a client that waits 5 has given it enough. */
#define FETCH_TIMEOUT 300
/* Passes over the listing in one run (a pass ends early after an -ERR
   for one message, which libcurl answers by closing the connection). */
#define FETCH_PASSES_MAX 16
/* Messages given up on in one run (-ERR, MDA failure, too large). */
#define FETCH_SKIP_MAX 1024
/* A UIDL or LIST body: one line per message. */
#define FETCH_LISTING_MAX ((size_t)LISTING_MAX * (POP3_UIDL_MAX + 24))
#define URL_MAX 2048

/* Words of an --mda command. */
#define FETCH_ARGV_MAX 64
/* Seconds an --mda command may run for one message; then its process
   group is killed and the run stops with exit 75 (as msmtpd's
   --command-timeout default). */
#define FETCH_MDA_TIMEOUT 600

/* fetch_deliver.c */

/* Where the bytes of one message go while it is retrieved. */
struct sink {
	struct maildir_file mf; /* with a Maildir */
	int spool; /* with an MDA: an unlinked temp file, reused */
	int use_maildir;
	int cr; /* the last chunk ended in a CR */
	char tail[2]; /* the last two bytes libcurl gave */
	long long raw; /* bytes libcurl gave */
	long long size; /* bytes written (LF line ends) */
	long long max; /* largest message taken; 0: no bound */
	int too_big;
	int err_no; /* a write failed: errno */
	char err[512];
};

/* A spool file for the MDA in $TMPDIR (or /tmp).  0 or -1. */
int sink_spool_open(struct sink *s, char *err, size_t errlen);
/* Start one message: a new Maildir tmp file, or the spool emptied. */
int sink_start(struct sink *s, const char *maildir, struct maildir_namer *nm,
    char *err, size_t errlen);
/*
 * Take n bytes of the message as libcurl gives them (dot-stuffing and
 * the final "." already removed): CRLF becomes LF (a CRLF split between
 * two calls too), a bare CR stays.  0, or -1 with s->err set.
 */
int sink_write(struct sink *s, const char *p, size_t n);
/* The message is complete (a Maildir file is left open, unsynced). */
int sink_end(struct sink *s, char *err, size_t errlen);
/* Drop the message (Maildir: its tmp file). */
void sink_abort(struct sink *s);

/*
 * Run the MDA with the spooled message on stdin: argv words with "%F"
 * expanded to the envelope sender (the message's Return-Path, else
 * empty).  Returns its exit status (0 delivered, 75 try later, other
 * failures), or -1 when it could not be run or died by a signal (err
 * says why; counts as temporary).
 */
int mda_run(char *const *tmpl, int spool, char *err, size_t errlen);
/* The address in the message's Return-Path (first FETCH_HEADER_PEEK
   bytes), or "" when there is none. */
void mda_sender(int spool, char *out, size_t outlen);

/* fetch.c */

/* What the transfer callbacks write into. */
enum sinkmode { TO_NOWHERE = 0, TO_BODY, TO_MESSAGE };

struct batch_msg {
	struct maildir_file mf;
	char uidl[POP3_UIDL_MAX + 1];
	unsigned long num;
};

struct fetch {
	/* options */
	const char *user, *passwordeval, *maildir, *state_path, *trust;
	char *mda[FETCH_ARGV_MAX + 1];
	int del, all, quiet, tls_off;
	long long limit, max_size;
	long timeout;

	/* account */
	char label[URL_MAX]; /* pop3s://host:port, for messages */
	char base[URL_MAX]; /* the URL without user, ending in "/" */
	char host[URL_MAX];
	char urluser[URL_MAX];
	int implicit_tls;

	CURL *c;
	char curlerr[CURL_ERROR_SIZE];
	char last[POP3_RESP_LINE_MAX]; /* last -ERR line of a command */
	enum sinkmode mode;
	struct buf body;
	struct sink sink;
	struct maildir_namer nm;
	struct state st;
	struct listing l;

	struct batch_msg *batch;
	size_t nbatch;
	long long batch_bytes;

	char *skip[FETCH_SKIP_MAX];
	size_t nskip;

	long long nfetched, ndeleted, bytes, todo;
	int fail_rc; /* worst per-message failure: exit code at the end */
	int progress;
};

/* "mpop: pop3s://host:port: why" on stderr. */
void fetch_complain(struct fetch *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The run: open the state, log in with user and secret (wiped once
 * libcurl has it), fetch, deliver, delete, QUIT, record.  Returns the
 * exit code.
 */
int fetch_run(struct fetch *f, const char *user, char *secret);

#endif
