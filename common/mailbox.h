/*
 * mailbox.h: a Maildir opened the way POP3 and IMAP servers see it: the
 * messages in new/ and cur/, each with a UID, a MODSEQ, a size and its
 * flags, kept in the UID list that mpop serve and mimap serve share.
 * For POP3 an open is a snapshot (retrieving moves a message from new/
 * to cur/, deleting unlinks it durably); for IMAP it is also the
 * session's view, brought up to date by mailbox_sync at command
 * boundaries, with flag changes that record a MODSEQ (STORE), expunges
 * that are remembered for QRESYNC, and APPEND, COPY and MOVE that give
 * UIDs at once (UIDPLUS).
 *
 * THE UID LIST is the file "yubin-uidlist" in the Maildir (or folder)
 * directory, version 2:
 *
 *     yubin-uidlist 2 UIDVALIDITY UIDNEXT HIGHESTMODSEQ FLOOR\n
 *     UID UNIQ[ W=SIZE] M=MODSEQ[ F=FLAGS]\n    one per message
 *     X MODSEQ UID[:UID]\n                      expunge records
 *
 * Message lines come first, UIDs strictly ascending and below UIDNEXT;
 * the expunge records follow, ordered by MODSEQ and then UID.  UNIQ is
 * the unique part of the file name (up to the first "," or ":"), which
 * stays the same when a message moves from new/ to cur/ or its flags
 * change; so a UID (and the POP3 UIDL made from it) is stable across
 * sessions and renames.  W= is the wire size (below), M= the MODSEQ
 * at which the message arrived or its flags last changed, F= the info
 * letters (":2,FLAGS", ASCII order) last seen with it (absent: none).
 * "X M LO:HI" says UIDs LO..HI were expunged at MODSEQ M (one UID: "X M
 * UID"); runs of one MODSEQ never touch, no UID is recorded twice or is
 * a message's.  Every record with a MODSEQ above FLOOR is kept: at most
 * UIDLIST_EXPUNGED_MAX (bounds.h), the oldest MODSEQs forgotten first
 * and FLOOR raised to the last forgotten.  HIGHESTMODSEQ is at least 1
 * and at least every MODSEQ in the file; FLOOR at most HIGHESTMODSEQ.
 * Numbers are decimal without leading zeros (FLOOR may be 0), MODSEQs
 * positive 63-bit (RFC 7162 §7).
 *
 * Version 1 lists (before MODSEQs: "yubin-uidlist 1 UIDVALIDITY
 * UIDNEXT" and "UID UNIQ[ W=SIZE]" lines) are read as they are and
 * upgraded at the next open: every message gets MODSEQ 1 with the flags
 * its file has then, HIGHESTMODSEQ and FLOOR become 1 (what was
 * expunged before is not known).  A version 2 list is read as corrupt
 * by builds before it, which then start a new UIDVALIDITY.
 *
 * The file names' ":2,FLAGS" are the truth for flags; the list
 * remembers, per message, the flags last seen and the MODSEQ at which
 * they changed.  Any open or sync that finds a file's flags differ from
 * the remembered ones (another IMAP session, mpop serve, a MUA renaming
 * files) gives the message HIGHESTMODSEQ+1 and records it; so do new
 * messages; messages found gone (deleted by anyone) become expunge
 * records at HIGHESTMODSEQ+1.  One such pass uses one MODSEQ for all it
 * records (RFC 7162 §3.1: changes made together may share one).  New
 * files get UIDNEXT, UIDNEXT+1, ... in the order of their names, runs
 * of digits compared by value (delivery order for names made by
 * maildir_unique).  The list is rewritten (temp file, fsync, rename,
 * fsync of the directory) under an fcntl(2) lock on
 * "yubin-uidlist.lock", only when it changed; a MODSEQ is written to
 * disk before any caller reports it, so HIGHESTMODSEQ never goes back
 * (RFC 7162 §3.1: MODSEQs only grow).  A first list starts UIDVALIDITY
 * at the current time, HIGHESTMODSEQ at 1 and FLOOR at 0.
 *
 * A damaged list keeps the UIDs it can still prove (RFC 3501 §2.3.1.1: a
 * UID may never name another message under the same UIDVALIDITY, while a
 * message given a new, higher UID is only a duplicate for a POP3 client
 * that keeps mail on the server).  When the header is intact, the
 * message lines that parse, lie below its UIDNEXT and HIGHESTMODSEQ and
 * are contradicted by no other line (UIDs before them lower, after them
 * higher, UNIQ named once) keep their UIDs and MODSEQs and the
 * UIDVALIDITY stays; every other message gets a new UID from UIDNEXT
 * up, and UIDNEXT and HIGHESTMODSEQ first rise above any value a
 * dropped line claimed, so no UID or MODSEQ seen in the file is ever
 * given again (mb->repaired).  A repaired list forgets its expunge
 * records: FLOOR rises to the repair's MODSEQ, since a UID whose line
 * was lost vanished without a record.  A list whose header is lost,
 * that cannot be read, or whose UIDs ran out is rebuilt with a new
 * UIDVALIDITY (mb->reset).  So is a missing list: Maildir names carry
 * no UID (as with Dovecot; other MUAs rename files and would not keep
 * one), so once the list is deleted nothing proves any UID; a first
 * open (no lock file yet) is not a reset.  Every new UIDVALIDITY is
 * greater than the last (RFC 3501 §2.3.1.1): the lock file's mtime
 * keeps the last one given, for when the list is gone.
 *
 * Sizes: LIST and RFC822.SIZE need the exact wire size (CRLF line ends,
 * each bare LF counting two).  mdeliver puts it in the name (",W=");
 * for a file another MDA wrote (procmail, maildrop: "time.M.P.host"),
 * mailbox_size reads the file once and mailbox_save_sizes records the
 * result in the file's line of the UID list (" W=SIZE"), so later
 * sessions read no message to LIST it.  The list, not a rename to add
 * ",W=": a rename under a concurrent reader makes its open fail with
 * ENOENT and sends it searching, and a POP3 session that only LISTs
 * should not rename files it does not own the flags of.  Message files
 * are never rewritten in place (Maildir), so a size keyed by UNIQ stays
 * true.
 *
 * Scanning reads new/ before cur/ and keeps one entry per UNIQ (the one in
 * cur/), so a message moved between the two readdir passes is seen once,
 * never lost.  A UID is forgotten only when a second scan, under the lock,
 * does not find its file either (readdir may miss a file renamed while it
 * runs).  Files whose UNIQ holds a space or control byte cannot be listed
 * and are skipped.  Only mailbox_size reads message bodies, once a file.
 *
 * \RECENT (RFC 3501 §2.3.2) is given by one rename: a message is recent
 * in the session whose rename(2) of it from new/ to cur/ succeeds.  A
 * SELECT (MAILBOX_SELECT) moves every message of new/ to cur/, and so
 * does each mailbox_sync of that session for mail that arrives later;
 * rename(2) of one source succeeds once, so two sessions never both get
 * \Recent for one message, and no lock is needed.  EXAMINE (an open
 * without MAILBOX_SELECT) moves nothing and sees nothing recent, so a
 * later SELECT still gets it.  The races, and what they give: another
 * program that moves new/ mail to cur/ (mpop serve on RETR, a MUA)
 * takes the \Recent with it, and no IMAP session sees the message as
 * recent; a session that dies between its rename and its report takes
 * \Recent with it (RFC 3501 makes \Recent advisory; RFC 9051 dropped
 * it); a crash may undo the unsynced rename and make a message recent
 * once more.  APPEND and COPY put every message into new/, a flagged one
 * with its ":2,FLAGS" info in the new/ name (readers, Dovecot and mutt
 * among them, take the info of a new/ name), so that it is \Recent to
 * the one session that has the target selected and syncs it first, the
 * copying session included (RFC 3501 §6.4.7: "the \Recent flag SHOULD
 * be set in the copy"; §6.3.11 APPEND likewise).
 *
 * AN IMAP SERVER calls, per selected folder (dir from folder_path):
 *  - SELECT: mailbox_open(MAILBOX_SELECT); EXAMINE: mailbox_open(0).
 *    EXISTS is mb->n, RECENT mb->nrecent, UIDVALIDITY, UIDNEXT and
 *    HIGHESTMODSEQ (mb->highestmodseq) are in mb; FLAGS and
 *    PERMANENTFLAGS come from keywords_load (\* unless keywords_full).
 *    With QRESYNC, mailbox_vanished(since, known UIDs) gives VANISHED
 *    (EARLIER) and msgs[].modseq > since the FETCHes.
 *  - At every command boundary and when IDLE wakes (inotify on new/,
 *    cur/ and the directory itself, or a poll): mailbox_sync.  Then
 *    FETCH (FLAGS MODSEQ) for messages with msgs[i].changed (clearing
 *    it), EXISTS/RECENT when mb->n grew, and -- only where RFC 3501
 *    §7.4.1 allows EXPUNGE (not during FETCH, STORE, SEARCH; UID
 *    commands too) -- mailbox_take_expunged, sending "* N EXPUNGE" for
 *    each seqs[] in the order given (or VANISHED uids).  Report the
 *    changed FETCHes before any HIGHESTMODSEQ: mb->highestmodseq already
 *    covers them, and is held back while expunges wait.
 *  - FETCH: mailbox_open_msg (ENOENT: expunged by someone else: NO for
 *    it), mailbox_size, mailbox_internaldate, msgs[i].flags/modseq.
 *  - STORE: keywords_mask(create) for the names, then mailbox_store
 *    (scope keywords_scope for FLAGS); FETCH for STORED and SAME ones
 *    (MODSEQ too), [MODIFIED set] for the MODIFIED ones.
 *  - EXPUNGE / UID EXPUNGE / CLOSE: mailbox_remove of the \Deleted
 *    messages (letter T), then mailbox_take_expunged (CLOSE: silently).
 *  - APPEND: maildir_open/maildir_write/maildir_sync into the target's
 *    tmp/, keywords_mask(create) in the target, mailbox_append:
 *    APPENDUID validity uid.
 *  - COPY: keywords_map to the target, mailbox_copy: COPYUID validity
 *    (source UIDs) (uids).  MOVE: mailbox_move, COPYUID in an untagged
 *    OK, then mailbox_take_expunged.
 *  - Any call that returns ESTALE: the folder got a new UIDVALIDITY
 *    under the session; end it (BYE).
 *
 * Every function that can fail returns 0 or -1 with errno set and, when
 * err is not NULL, a "path: reason" line in err.
 */
#ifndef YUBIN_MAILBOX_H
#define YUBIN_MAILBOX_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounds.h"
#include "buf.h"
#include "maildir.h"
#include "uidlist.h"

/* Messages a mailbox may hold; more is refused (EFBIG) rather than
   scanned without bound. */
#define MAILBOX_MSGS_MAX 1000000
/* Octets of file names a view holds (its pool, renames included): a
   message's name_off is 32 bits.  A view past it fails (EFBIG). */
#define MAILBOX_NAMES_MAX ((size_t)UINT32_MAX)
/* Seconds to wait for the UID list lock before giving up (EAGAIN). */
#define MAILBOX_LOCK_WAIT 30
/* Seconds mailbox_save_sizes waits for the lock (a cache may wait). */
#define MAILBOX_SAVE_WAIT 2
/* A directory or list changed this few seconds before it was stamped
   may change again within the same timestamp: mailbox_sync does not
   trust such a stamp (filesystem clocks are coarse). */
#define MAILBOX_STAMP_SLACK 2
/* The same in milliseconds for times with a fraction of a second
   (ext4, XFS, btrfs, tmpfs: the kernel's clock tick, a few ms at most,
   is the grain): a folder just changed (a SELECT moves new/ to cur/)
   is trusted again after this, not after seconds of rescans. */
#define MAILBOX_STAMP_SLACK_MS 100

#define MAILBOX_UIDLIST "yubin-uidlist"
#define MAILBOX_UIDLIST_LOCK "yubin-uidlist.lock"
/* The POP3 session lock (RFC 1939 §8: the maildrop is locked from
   AUTHORIZATION to UPDATE); an fcntl(2) lock, so it dies with the
   process that held it and is never stale. */
#define MAILBOX_POP3_LOCK "yubin-pop3.lock"

enum mailbox_sub { MAILBOX_NEW = 0, MAILBOX_CUR = 1 };

/* One message of the view: 48 bytes (a session holds one per message
   of the selected folder), the wide fields first. */
struct mailbox_msg {
	long long size; /* wire size (CRLF); -1 until known */
	long long disk; /* bytes on disk (",S=" or stat); -1 until known */
	/* Added for IMAP: */
	uint64_t flags; /* the info letters as a mask (MAILBOX_FLAG) */
	uint64_t modseq; /* RFC 7162 mod-sequence of the flags */
	uint32_t name_off; /* file name in mb->names, NUL-terminated (the
			      pool stays below MAILBOX_NAMES_MAX) */
	uint32_t uid;
	unsigned char sub; /* enum mailbox_sub */
	unsigned char gone; /* vanished under us (another client) */
	unsigned char learned; /* size counted, not yet in the UID list */
	/* Added for IMAP: */
	unsigned char recent; /* \Recent in this session (see above) */
	unsigned char expunged; /* expunged (by anyone) but still in the
				   view until mailbox_take_expunged */
	unsigned char changed; /* flags or MODSEQ changed by someone
				  else since the client was told */
};

/* What new/, cur/ and the UID list looked like (mailbox_sync). */
struct mailbox_stamp {
	long long sec[3], nsec[3], csec[3], cnsec[3], ino[3], size[3];
	int ok; /* old enough to be trusted */
};

struct mailbox {
	char dir[PATH_MAX];
	struct mailbox_msg *msgs; /* ascending UID; index = sequence - 1 */
	size_t n;
	struct buf names; /* string pool for the file names */
	uint32_t uidvalidity;
	uint32_t uidnext;
	int lockfd; /* POP3 lock, -1 when not held */
	/* Added with the implementation (after the fixed fields): */
	int locked; /* lockfd holds the POP3 lock (a zeroed mb holds none) */
	int reset; /* the UID list was unreadable, lost its header, ran out
		      of UIDs or was deleted, and was rebuilt with a new
		      UIDVALIDITY; err then says so, for a log */
	int repaired; /* the UID list was corrupt: the UIDs it proves were
			 kept with its UIDVALIDITY; err says how many */
	size_t *byuniq; /* message indexes in UNIQ order (renamed files) */
	/* Added for IMAP: */
	int select; /* opened with MAILBOX_SELECT (read-write view) */
	uint64_t highestmodseq; /* what the session may report (RFC 7162
				   §3.1.2.1): held back while expunges
				   wait to be reported */
	uint64_t modseq; /* the list's HIGHESTMODSEQ as last seen */
	size_t nexpunged; /* messages with expunged set */
	size_t nrecent; /* messages with recent set */
	struct mailbox_stamp stamp;
};

/*
 * Flags for mailbox_open.  The POP3 lock is a classic fcntl(2) lock: it
 * belongs to the process, so it keeps out other processes (one session
 * per process, as inetd and --listen run them), not a second open of the
 * same Maildir in the same process.
 */
#define MAILBOX_POP3_EXCL 0x1 /* take the POP3 lock; EWOULDBLOCK: in use */
#define MAILBOX_SELECT 0x2 /* IMAP SELECT: claim \Recent (new/ -> cur/) */

/*
 * Open the Maildir dir: take the POP3 lock when asked (errno
 * EWOULDBLOCK when another session holds it), scan new/ then cur/,
 * bring the UID list up to date and fill mb (flags and MODSEQ of every
 * message included).  With MAILBOX_SELECT, move new/ to cur/ and mark
 * what this session won as recent.  ENOENT when dir is not a Maildir
 * (no cur/ or new/).  An IMAP EXAMINE is an open without flags.
 */
int mailbox_open(
    struct mailbox *mb, const char *dir, int flags, char *err, size_t errlen);
/* Release everything (and the lock). Safe on a zeroed or closed mb. */
void mailbox_close(struct mailbox *mb);
/*
 * Give the Maildir dir (which must exist) a UID list when it has none,
 * with a UIDVALIDITY of at least min_validity (for a folder made again
 * under an old name: see folders.h); *validity gets the folder's.
 */
int mailbox_create_list(const char *dir, uint32_t min_validity,
    uint32_t *validity, char *err, size_t errlen);

/* The file name of message i (NULL when i is out of range), and
   "DIR/new/NAME" or "DIR/cur/NAME". */
const char *mailbox_name(const struct mailbox *mb, size_t i);
int mailbox_path(const struct mailbox *mb, size_t i, char *out, size_t outlen);

/*
 * The wire size of message i (what POP3 LIST and IMAP RFC822.SIZE
 * report): ",W=" from the name or the size the UID list remembers;
 * else the file is read once and its bare LFs counted (cached in mb,
 * and kept by mailbox_save_sizes).  -1 with errno when the file is gone.
 */
long long mailbox_size(struct mailbox *mb, size_t i);
/*
 * A size without reading the body, for the totals POP3 STAT needs on
 * a large mailbox: the wire size when known, else ",S=", else stat(2).
 */
long long mailbox_size_quick(struct mailbox *mb, size_t i);
/*
 * Record the sizes mailbox_size counted in the UID list, under its
 * lock (waiting up to MAILBOX_SAVE_WAIT seconds), when the list still
 * has the UIDVALIDITY and UIDs of the open.  0 (also when there was
 * nothing to do or the list changed under us), or -1 with err set.
 */
int mailbox_save_sizes(struct mailbox *mb, char *err, size_t errlen);

/*
 * Open message i for reading (O_RDONLY | O_CLOEXEC).  When the file is
 * gone because another client renamed it (flags changed, moved to cur/)
 * its directory is searched for the same UNIQ and the entry updated;
 * ENOENT only when it is truly gone (then msgs[i].gone is set): for
 * IMAP, a message expunged by another session while this one fetches
 * it (RFC 3501 §7.4.1: the server answers NO for it).
 */
int mailbox_open_msg(struct mailbox *mb, size_t i, char *err, size_t errlen);
/* The internal date of message i (RFC 3501 §2.3.3): its file's mtime,
   which APPEND sets and COPY keeps.  -1 with errno when gone. */
int mailbox_internaldate(struct mailbox *mb, size_t i, struct timespec *ts,
    char *err, size_t errlen);

/*
 * Move message i from new/ to cur/ as NAME:2,FLAGS (flags may be "").
 * A message already in cur/ gets its flags replaced (rename within
 * cur/).  The rename is not fsynced: losing it in a crash only makes
 * the message "new" again.  No MODSEQ is recorded (POP3): the next
 * open or sync by anyone records the change.
 */
int mailbox_set_flags(
    struct mailbox *mb, size_t i, const char *flags, char *err, size_t errlen);
/* Current flags of message i (from its name; "" in new/). */
const char *mailbox_flags(
    const struct mailbox *mb, size_t i, char *out, size_t outlen);

/*
 * Delete messages idx[0..n): unlink each (a file already gone is not
 * an error), then fsync new/ and cur/ so the deletions are durable
 * before the caller says +OK.  Returns 0, or -1 after trying them all
 * (err names the first failure).  POP3: the UID list learns of it at
 * the next open (IMAP uses mailbox_remove).
 */
int mailbox_expunge(
    struct mailbox *mb, const size_t *idx, size_t n, char *err, size_t errlen);

/* Index of the message with this UID, or (size_t)-1. */
size_t mailbox_find_uid(const struct mailbox *mb, uint32_t uid);

/* ---------------------------------------------------------------- */
/* IMAP: the session's view (mailbox_view.c). */

/* What one mailbox_sync found. */
struct mailbox_sync_info {
	size_t added; /* new messages at the end of the view: EXISTS */
	size_t expunged; /* newly marked expunged: EXPUNGE when allowed */
	size_t changed; /* newly marked changed: FETCH (FLAGS MODSEQ) */
	int scanned; /* 0: the stamps said nothing changed */
};

/*
 * Bring the view up to date with the Maildir, at a command boundary or
 * when IDLE wakes.  Cheap when nothing changed: new/, cur/ and the UID
 * list are stat(2)ed and compared with the last stamp (mtime, ctime,
 * inode, size; a stamp taken within MAILBOX_STAMP_SLACK seconds of a
 * change is not trusted, MAILBOX_STAMP_SLACK_MS when the times have a
 * fraction of a second).  Otherwise the Maildir is scanned and the
 * list updated as an open does, and then:
 *  - messages that arrived are appended to msgs (UIDs above all in the
 *    view; in a SELECT view they are moved to cur/ and may be recent);
 *  - messages gone are marked expunged but STAY in the view, with their
 *    sequence numbers, until mailbox_take_expunged (RFC 3501 §7.4.1: no
 *    EXPUNGE during FETCH, STORE or SEARCH); opening one gives ENOENT;
 *  - messages whose flags or MODSEQ differ from the view's get the new
 *    ones and are marked changed.
 * -1 with errno ESTALE when the list got a new UIDVALIDITY (the view
 * is void: the server should end the session, RFC 3501 §2.3.1.1).
 */
int mailbox_sync(struct mailbox *mb, struct mailbox_sync_info *info, char *err,
    size_t errlen);
/*
 * Remove the messages marked expunged from the view.  Their sequence
 * numbers as the client knew them go to seqs in DESCENDING order, so
 * that each is still right when sent in that order as "* N EXPUNGE";
 * their UIDs to uids, ascending (VANISHED).  Either may be NULL; each
 * needs room for mb->nexpunged.  Returns how many were removed.
 */
size_t mailbox_take_expunged(
    struct mailbox *mb, uint32_t *seqs, uint32_t *uids);

/* A run of UIDs, lo <= hi. */
struct mailbox_range {
	uint32_t lo, hi;
};

/*
 * The UIDs in set[0..nset) (any order) expunged after MODSEQ since,
 * for VANISHED (EARLIER) (RFC 7162 §3.2.5.1, §3.2.6, §3.2.10): exact
 * when the list still has every record above since (since >= FLOOR);
 * else every UID of the set below UIDNEXT that is not a message (the
 * RFC lets the server send UIDs the client does not know).  UIDs in the
 * view (even those waiting to be reported) are never included.  0 with
 * *out (malloc(3)ed runs, ascending, not touching; free it) and *nout.
 */
int mailbox_vanished(struct mailbox *mb, uint64_t since,
    const struct mailbox_range *set, size_t nset, struct mailbox_range **out,
    size_t *nout, char *err, size_t errlen);

/* ---------------------------------------------------------------- */
/* IMAP: changes (mailbox_store.c). */

enum mailbox_store_op {
	MAILBOX_STORE_REPLACE, /* FLAGS: the scope's letters become flags */
	MAILBOX_STORE_ADD, /* +FLAGS */
	MAILBOX_STORE_REMOVE /* -FLAGS */
};

struct mailbox_store {
	enum mailbox_store_op op;
	uint64_t flags; /* letters to set, add or remove (MAILBOX_FLAG) */
	uint64_t scope; /* REPLACE: the letters IMAP shows (system flags
			   and named keywords); others in the file stay */
	int conditional; /* UNCHANGEDSINCE given (RFC 7162 §3.1.3) */
	uint64_t unchangedsince; /* 0 is valid: it always fails */
};

/* Per message outcome of mailbox_store. */
enum mailbox_store_result {
	MAILBOX_STORED = 0, /* flags changed, new MODSEQ */
	MAILBOX_STORE_SAME, /* already so: nothing written */
	MAILBOX_STORE_MODIFIED, /* changed since UNCHANGEDSINCE: MODIFIED */
	MAILBOX_STORE_GONE /* expunged */
};

/*
 * STORE on messages idx[0..n): under the list lock, each message's
 * flags are read from its file (the truth: a rename by anyone since the
 * last sync counts as a change after any UNCHANGEDSINCE), the condition
 * checked, the file renamed within cur/ (new/ -> cur/ when needed) and
 * cur/ fsynced, then the list written with one new MODSEQ for all that
 * changed.  result[k] (n bytes) says what happened to idx[k]; the view
 * gets the new flags and MODSEQ of STORED messages (and the current
 * ones of SAME messages).  *modseq: the MODSEQ given, 0 when none.
 * -1 (nothing or part done, err says why) on trouble; ESTALE as in
 * mailbox_sync.
 */
int mailbox_store(struct mailbox *mb, const size_t *idx, size_t n,
    const struct mailbox_store *st, unsigned char *result, uint64_t *modseq,
    char *err, size_t errlen);
/*
 * EXPUNGE for IMAP: under the list lock, unlink messages idx[0..n) and
 * fsync new/ and cur/ (as mailbox_expunge), then drop their lines from
 * the list and record their UIDs at a new MODSEQ (*modseq, 0 when
 * nothing was removed).  The view marks them expunged: report them with
 * mailbox_take_expunged.  -1 after doing what could be done.
 */
int mailbox_remove(struct mailbox *mb, const size_t *idx, size_t n,
    uint64_t *modseq, char *err, size_t errlen);

/* ---------------------------------------------------------------- */
/* IMAP: APPEND, COPY, MOVE (mailbox_copy.c). */

/*
 * APPEND: f is a message the caller wrote into dir's tmp/ with
 * maildir_open, maildir_write and maildir_sync (MAILDIR_SYNCED).  Its
 * mtime becomes *date (INTERNALDATE; NULL keeps the current time), it
 * goes to new/ (with ":2,FLAGS" when it has flags: \Recent, see above)
 * durably, and gets its
 * UID at once under dir's list lock (RFC 4315 APPENDUID: *validity and
 * *uid).  On failure f is aborted.
 */
int mailbox_append(const char *dir, struct maildir_file *f, uint64_t flags,
    const time_t *date, uint32_t *validity, uint32_t *uid, char *err,
    size_t errlen);
/*
 * COPY messages idx[0..n) of src into the Maildir dstdir: a hard link
 * under a fresh unique name (nm) when both are on one filesystem, else
 * a copy written and fsynced the Maildir way with the same mtime; flags
 * kept, keyword letters translated by kwmap (kwmap[k] is the target
 * index of letter 'a'+k, or 0xff to drop it; NULL keeps them: same
 * keyword file).  Every copy goes to new/ (with its info when it has
 * flags: \Recent, see above).  All or none: a message that is gone (ENOENT, the
 * server's NO [EXPUNGEISSUED]) or any failure removes the copies made.
 * The target's new/ and cur/ are fsynced, then every copy gets its UID
 * under the target's list lock: uids[k] for idx[k] (ascending in the
 * order given) and *validity, for COPYUID (RFC 4315).
 */
int mailbox_copy(struct mailbox *src, const size_t *idx, size_t n,
    const char *dstdir, const unsigned char *kwmap, struct maildir_namer *nm,
    uint32_t *validity, uint32_t *uids, char *err, size_t errlen);
/*
 * MOVE (RFC 6851): mailbox_copy, then mailbox_remove of the originals
 * (*modseq as there).  The server sends COPYUID, then the expunges.
 */
int mailbox_move(struct mailbox *src, const size_t *idx, size_t n,
    const char *dstdir, const unsigned char *kwmap, struct maildir_namer *nm,
    uint32_t *validity, uint32_t *uids, uint64_t *modseq, char *err,
    size_t errlen);

#endif
