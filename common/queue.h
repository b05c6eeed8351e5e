/*
 * queue.h: the outbound queue (DESIGN.md "The queue"): a directory
 * written the Maildir way, one file per message, no database, safe on a
 * shared file system.
 *
 *	DIR/tmp/ID	a message being queued (never read by a runner)
 *	DIR/q/ID	a queued message
 *
 * A queue file is the envelope, a blank line, the message, then a
 * journal of what became of each recipient, appended:
 *
 *	yubin-queue 1
 *	id ID
 *	created SECONDS
 *	size BYTES		the message's, 20 digits
 *	from WORD		the reverse-path ("-": <>)
 *	envid WORD		RFC 3461 ENVID, xtext-decoded ("-": none)
 *	ret full|hdrs|-		RFC 3461 RET
 *	body 7bit|8bitmime	RFC 6152
 *	smtputf8 0|1		RFC 6531
 *	origin WORD		who queued it ("msend uid 1000", "msmtpd
 *				[192.0.2.1]"), for the listing
 *	rcpt WORD NOTIFY WORD	a forward-path, RFC 3461 NOTIFY (letters
 *				N, S, F, D; "-": none), ORCPT ("type;xtext",
 *				"-": none); one line each, in order
 *	(blank line)
 *	the message, BYTES octets, CRLF line ends, not dot-stuffed: what
 *	goes after DATA (or in BDAT), signed and altered at enqueue time
 *	R IDX STATE TRIES NEXT CODE STATUS RELAY REPLY
 *		recipient IDX (from 0): STATE P (deferred: try again at
 *		NEXT, seconds), S (sent: the server took it), T (sent to
 *		a server that did not offer DSN, and NOTIFY has SUCCESS:
 *		a "relayed" DSN is owed, RFC 3461 §5.2.2 (b)), F (failed
 *		for good: a bounce is owed); TRIES so far; the reply CODE
 *		and enhanced STATUS ("-"), the RELAY "host[addr]" ("-"),
 *		the REPLY text (all words as buf_put_word writes them)
 *	W IDX		a delay notice went out for recipient IDX
 *	B IDX		the report owed for recipient IDX is queued: its
 *			bounce (F) or its "relayed" DSN (T)
 *	B		(the same for every recipient failed so far)
 *
 * WORDs are encoded as buf_put_word does.  Each journal line is
 * appended and fdatasynced as soon as the reply it records is read, so
 * a recipient the server took is never sent again after a crash (but
 * for the window between the server's reply and that sync).  A line
 * cut short by a crash (no final LF) is ignored and cut off before the
 * next append.  The last line for a recipient wins.
 *
 * Enqueue: tmp/ID (O_EXCL, 0600) -> envelope, message -> the size
 * patched in -> fsync -> link into q/ID -> fsync of q/ -> unlink of
 * tmp/ID.  A message is deleted (an unlink, not synced: the journal
 * already says it is done) once no recipient is pending and its
 * reports owed (F, T) are queued.
 *
 * A runner works on a message under an fcntl(2) lock of its file (not
 * across a rename: queue_lock checks that the file it locked is still
 * the one in q/).  The library never prints or exits; failures come as
 * -1 with "path: why" in err (ERR_MAX) and errno set.
 */
#ifndef YUBIN_QUEUE_H
#define YUBIN_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"
#include "buf.h"
#include "smtp.h"

#define QUEUE_MAGIC "yubin-queue 1"
/* Digits of the size field (patched in place once the message is in). */
#define QUEUE_SIZE_DIGITS 20

enum queue_rstate {
	QUEUE_PENDING = 0, /* not tried, or deferred until next */
	QUEUE_SENT, /* the server took it (2xx after the data) */
	QUEUE_FAILED /* failed for good: a bounce is owed */
};

struct queue_rcpt {
	char *addr; /* the forward-path, no <> */
	int notify; /* SMTP_NOTIFY_* bits, 0: none given */
	char *orcpt; /* "type;xtext" (RFC 3461 §4.2), NULL: none */
	/* what became of it */
	enum queue_rstate state;
	unsigned tries;
	int64_t next; /* seconds: the next try (PENDING), 0: at once */
	int code; /* the last reply's code, 0: none */
	char status[16]; /* its enhanced status code, "" none */
	char *relay; /* "host[addr]" of the last try, NULL: none */
	char *reply; /* the last reply (lines joined), or our reason */
	int warned; /* a delay notice went out */
	int relayed; /* sent (QUEUE_SENT) to a server that did not offer
			DSN, NOTIFY has SUCCESS: a "relayed" DSN is owed */
	int bounced; /* its report owed (failed: a bounce; relayed: a
			"relayed" DSN) is queued */
};

struct queue_env {
	char id[QUEUE_ID_MAX + 1];
	int64_t created;
	char *from; /* "" for <> */
	char *envid; /* NULL: none */
	enum smtp_ret ret;
	int eightbit; /* BODY=8BITMIME */
	int smtputf8;
	char *origin; /* NULL: none */
	struct queue_rcpt *r;
	size_t nr, capr;
	int bounced; /* a "B" line without IDX was read */
	/* where things are in the file (queue_load) */
	uint64_t size; /* the message's bytes */
	off_t msg_off; /* where the message starts */
	off_t end; /* the end of the last whole journal line */
};

/* An ID names a file in q/ and is one word: letters, digits, ".", "_",
   "-", not first ".", at most QUEUE_ID_MAX.  1 or 0. */
int queue_id_valid(const char *id);
void queue_env_init(struct queue_env *e);
void queue_env_free(struct queue_env *e);
/* Add a recipient (addr copied; orcpt may be NULL).  0 or -1 (ENOMEM,
   or EINVAL: over QUEUE_RCPT_MAX). */
int queue_env_add(
    struct queue_env *e, const char *addr, int notify, const char *orcpt);
/* Set recipient i's outcome: state, reply (code, status, text, relay
   may be NULL).  0 or -1 (ENOMEM). */
int queue_env_set(struct queue_env *e, size_t i, enum queue_rstate st,
    int64_t next, int code, const char *status, const char *relay,
    const char *reply);

/* The codec (no I/O; the fuzz target's door). */
/*
 * Format the envelope (through the blank line), with the size field
 * holding size.  0 or -1 (ENOMEM).
 */
int queue_env_format(const struct queue_env *e, uint64_t size, struct buf *b);
/*
 * Parse an envelope from p[0..n): the header through its blank line.
 * Fills e (from queue_env_init) but the journal's fields.  The header's
 * length (the message's offset), 0 when p holds no blank line yet, or
 * -1 with err set for a malformed header.
 */
ssize_t queue_env_parse(
    struct queue_env *e, const char *p, size_t n, char *err, size_t errlen);
/* A journal line for recipient i as it stands now ("R ..."). */
int queue_journal_rcpt(const struct queue_env *e, size_t i, struct buf *b);
/*
 * Apply the journal in p[0..n) to e.  The length of the whole lines
 * taken (a last line without LF is left), or -1 with err set for a
 * malformed line (a file to look at, not to guess at).
 */
ssize_t queue_journal_apply(
    struct queue_env *e, const char *p, size_t n, char *err, size_t errlen);

/* The store. */
struct queue {
	char dir[QUEUE_PATH_MAX];
	int dfd, tfd, qfd; /* DIR, DIR/tmp, DIR/q */
	unsigned long seq; /* the Q part of new IDs */
	/* queue_hold: messages written in tmp/, not yet synced or linked */
	int hold;
	struct queue_held {
		char id[QUEUE_ID_MAX + 1];
		int fd;
	} held[QUEUE_HOLD_MAX];
	size_t nheld;
};

/*
 * Open (create when create and missing, mode 0700) the queue DIR.
 * 0 or -1 with err.
 */
int queue_open(struct queue *q, const char *dir, int create, char *err,
    size_t errlen);
void queue_close(struct queue *q);

/*
 * Queue a message: e's envelope (e->id is set here), then the message
 * as write(arg, fd) writes it (CRLF line ends, not stuffed; 0, or -1
 * with err set), durably as the top of this file says.  0, or -1 with
 * err set and errno (ENOSPC, EDQUOT: try again later) and nothing left
 * behind.
 */
int queue_add(struct queue *q, struct queue_env *e,
    int (*write)(void *arg, int fd, char *err, size_t errlen), void *arg,
    char *err, size_t errlen);

/*
 * Group commit, for many messages from one process: after queue_hold,
 * queue_add writes each message whole in tmp/ but neither syncs nor
 * links it (at most QUEUE_HOLD_MAX: then it fails with EAGAIN);
 * queue_commit syncs them all, links them into q/ and syncs q/ once.
 * The same durability, with two syncs a batch instead of two a
 * message.  All or nothing: 0, every held message queued; or -1 with
 * err and errno, none of them queued.  queue_close drops what is held.
 */
void queue_hold(struct queue *q);
int queue_commit(struct queue *q, char *err, size_t errlen);

/*
 * The IDs in q/, sorted (oldest first: IDs begin with the time).  *ids
 * is an array of n strings; free it with queue_ids_free.  0 or -1.
 */
int queue_ids(struct queue *q, char ***ids, size_t *n, char *err,
    size_t errlen);
void queue_ids_free(char **ids, size_t n);

/*
 * Open q/ID and read its envelope and journal into e (from
 * queue_env_init).  With lock, take its write lock first (wait: block
 * until it is free; else EWOULDBLOCK when another runner has it), and
 * make sure the file locked is still q/ID.  *fdp: the open file (the
 * lock's holder: close it to unlock).  0, or -1 with err (ENOENT: gone
 * meanwhile: delivered or deleted by another runner).
 */
int queue_load(struct queue *q, const char *id, int lock, int wait,
    struct queue_env *e, int *fdp, char *err, size_t errlen);
/*
 * Append the journal lines in b (queue_journal_rcpt, "W", "B") to the
 * locked file fd of e, cutting a torn last line off first, and
 * fdatasync.  e->end moves.  0 or -1 with err.
 */
int queue_append(struct queue_env *e, int fd, const struct buf *b, char *err,
    size_t errlen);
/*
 * Rewrite the locked file with the journal compacted (one line per
 * recipient that has an outcome): a new file in tmp/, fsync, rename
 * over q/ID, fsync of q/.  *fdp becomes the new file, locked.  0 or -1.
 */
int queue_compact(struct queue *q, struct queue_env *e, int *fdp, char *err,
    size_t errlen);
/* Remove q/ID (and fsync q/).  0 or -1 (ENOENT is success). */
int queue_remove(struct queue *q, const char *id, char *err, size_t errlen);

/* Recipients still pending (state QUEUE_PENDING). */
size_t queue_pending(const struct queue_env *e);

#endif
