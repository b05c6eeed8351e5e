/*
 * mailbox.h: a Maildir opened for reading, the way POP3 and IMAP servers
 * see it: the messages in new/ and cur/, each with a UID from the UID
 * list, a size, and its flags; retrieving moves a message from new/ to
 * cur/; deleting unlinks it durably.
 *
 * The UID list is the file "yubin-uidlist" in the Maildir root:
 *
 *     yubin-uidlist 1 UIDVALIDITY UIDNEXT\n
 *     UID UNIQ\n            (one per message, UIDs ascending)
 *     UID UNIQ W=SIZE\n     (the same, with the wire size remembered)
 *
 * UNIQ is the unique part of the file name (up to the first "," or ":"),
 * which stays the same when a message moves from new/ to cur/ or its flags
 * change; so a UID (and the POP3 UIDL made from it) is stable across
 * sessions and renames.  New files get UIDNEXT, UIDNEXT+1, ... in the order
 * of their names, runs of digits compared by value (delivery order for
 * names made by maildir_unique).  The list is rewritten (temp file, fsync,
 * rename, fsync of the directory) under an fcntl(2) lock on
 * "yubin-uidlist.lock" only when it changed.  A first list starts
 * UIDVALIDITY at the current time.
 *
 * A damaged list keeps the UIDs it can still prove (RFC 3501 §2.3.1.1: a
 * UID may never name another message under the same UIDVALIDITY, while a
 * message given a new, higher UID is only a duplicate for a POP3 client
 * that keeps mail on the server).  When the header is intact, the lines
 * that parse, lie below its UIDNEXT and are contradicted by no other line
 * (UIDs before them lower, after them higher, UNIQ named once) keep their
 * UIDs and the UIDVALIDITY stays; every other message gets a new UID from
 * UIDNEXT up, and UIDNEXT first rises above any UID a dropped line
 * claimed, so no UID seen in the file is ever given again
 * (mb->repaired).  A list whose header is lost, that cannot be read, or
 * whose UIDs ran out is rebuilt with a new UIDVALIDITY (mb->reset).  So
 * is a missing list: Maildir names carry no UID (as with Dovecot; other
 * MUAs rename files and would not keep one), so once the list is deleted
 * nothing proves any UID; a first open (no lock file yet) is not a reset.
 * Every new UIDVALIDITY is greater than the last (RFC 3501 §2.3.1.1): the
 * lock file's mtime keeps the last one given, for when the list is gone.
 *
 * Sizes: LIST and RFC822.SIZE need the exact wire size (CRLF line ends,
 * each bare LF counting two).  mdeliver puts it in the name (",W=");
 * for a file another MDA wrote (procmail, maildrop: "time.M.P.host"),
 * mailbox_size reads the file once and mailbox_save_sizes records the
 * result in the file's line of the UID list (" W=SIZE"), so later
 * sessions read no message to LIST it.  The list, not a rename to add
 * ",W=": a rename under a concurrent reader (another IMAP session, a
 * MUA reading the Maildir, an MDA's own filters) makes its open fail
 * with ENOENT and sends it searching, and a POP3 session that only
 * LISTs should not rename files it does not own the flags of.  Message
 * files are never rewritten in place (Maildir), so a size keyed by UNIQ
 * stays true; a list written by this version is read as corrupt by
 * builds before it (the " W=" field).
 *
 * Scanning reads new/ before cur/ and keeps one entry per UNIQ (the one in
 * cur/), so a message moved between the two readdir passes is seen once,
 * never lost.  A UID is forgotten only when a second scan, under the lock,
 * does not find its file either (readdir may miss a file renamed while it
 * runs).  Files whose UNIQ holds a space or control byte cannot be listed
 * and are skipped.  Only mailbox_size reads message bodies, once a file.
 *
 * Every function that can fail returns 0 or -1 with errno set and, when
 * err is not NULL, a "path: reason" line in err.
 */
#ifndef YUBIN_MAILBOX_H
#define YUBIN_MAILBOX_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "maildir.h"

/* Messages a mailbox may hold; more is refused (EFBIG) rather than
   scanned without bound. */
#define MAILBOX_MSGS_MAX 1000000
/* Seconds to wait for the UID list lock before giving up (EAGAIN). */
#define MAILBOX_LOCK_WAIT 30
/* Seconds mailbox_save_sizes waits for the lock (a cache may wait). */
#define MAILBOX_SAVE_WAIT 2

#define MAILBOX_UIDLIST "yubin-uidlist"
#define MAILBOX_UIDLIST_LOCK "yubin-uidlist.lock"
/* The POP3 session lock (RFC 1939 §8: the maildrop is locked from
   AUTHORIZATION to UPDATE); an fcntl(2) lock, so it dies with the
   process that held it and is never stale. */
#define MAILBOX_POP3_LOCK "yubin-pop3.lock"

enum mailbox_sub { MAILBOX_NEW = 0, MAILBOX_CUR = 1 };

struct mailbox_msg {
	size_t name_off; /* file name in mb->names, NUL-terminated */
	uint32_t uid;
	unsigned char sub; /* enum mailbox_sub */
	unsigned char gone; /* vanished under us (another client) */
	long long size; /* wire size (CRLF); -1 until known */
	long long disk; /* bytes on disk (",S=" or stat); -1 until known */
	unsigned char learned; /* size counted, not yet in the UID list */
};

struct mailbox {
	char dir[PATH_MAX];
	struct mailbox_msg *msgs; /* ascending UID */
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
};

/*
 * Flags for mailbox_open.  The POP3 lock is a classic fcntl(2) lock: it
 * belongs to the process, so it keeps out other processes (one session
 * per process, as inetd and --listen run them), not a second open of the
 * same Maildir in the same process.
 */
#define MAILBOX_POP3_EXCL 0x1 /* take the POP3 lock; EWOULDBLOCK: in use */

/*
 * Open the Maildir dir: take the POP3 lock when asked (errno
 * EWOULDBLOCK when another session holds it), scan new/ then cur/,
 * bring the UID list up to date and fill mb.  ENOENT when dir is not a
 * Maildir (no cur/ or new/).
 */
int mailbox_open(
    struct mailbox *mb, const char *dir, int flags, char *err, size_t errlen);
/* Release everything (and the lock). Safe on a zeroed or closed mb. */
void mailbox_close(struct mailbox *mb);

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
 * ENOENT only when it is truly gone (then msgs[i].gone is set).
 */
int mailbox_open_msg(struct mailbox *mb, size_t i, char *err, size_t errlen);

/*
 * Move message i from new/ to cur/ as NAME:2,FLAGS (flags may be "").
 * A message already in cur/ gets its flags replaced (rename within
 * cur/).  The rename is not fsynced: losing it in a crash only makes
 * the message "new" again.
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
 * (err names the first failure).
 */
int mailbox_expunge(
    struct mailbox *mb, const size_t *idx, size_t n, char *err, size_t errlen);

/* Index of the message with this UID, or (size_t)-1. */
size_t mailbox_find_uid(const struct mailbox *mb, uint32_t uid);

/*
 * The UID list itself, for the fuzz target and tools.  One entry points
 * into the parsed text (not NUL-terminated).
 */
struct mailbox_uident {
	const char *uniq;
	size_t len;
	uint32_t uid;
	long long size; /* " W=SIZE", or -1 when the line has none */
};

/*
 * Parse the text of a UID list, p[0..n).  Strict and total: the header
 * "yubin-uidlist 1 UIDVALIDITY UIDNEXT", then "UID UNIQ" or "UID UNIQ
 * W=SIZE" lines, every line ending in LF and at most UIDLIST_LINE_MAX
 * bytes; numbers are decimal without leading zeros, UIDs in 1..2^32-1,
 * SIZE 0 or up to UIDLIST_SIZE_DIGITS digits; UIDs strictly ascending
 * and below UIDNEXT; each UNIQ a valid Maildir unique part (no ",", ":",
 * "/", space or control byte, not starting with ".") and distinct; at
 * most MAILBOX_MSGS_MAX lines.  0 with *ents (malloc(3)ed, sorted by
 * UNIQ bytes; free(3) it) and *nents, or -1 with errno EINVAL (corrupt:
 * *uidvalidity and *uidnext are then the header's when the header was
 * valid, else 0) or ENOMEM.
 */
int mailbox_uidlist_parse(const char *p, size_t n, uint32_t *uidvalidity,
    uint32_t *uidnext, struct mailbox_uident **ents, size_t *nents);
/*
 * What a corrupt list still proves (see the top of this file), total
 * and bounded like the parse: -1 with errno EINVAL when the header is
 * not intact (nothing is kept), or ENOMEM.  Otherwise 0 with the
 * header's UIDVALIDITY, UIDNEXT raised above every UID a parsed line
 * claimed (at most 2^32-1), the entries kept (sorted by UNIQ, as the
 * parse gives them; on valid input, exactly the parse's) and in *lost
 * the lines dropped: cut, too long, unparsable, at or above UIDNEXT,
 * contradicted, beyond MAILBOX_MSGS_MAX.
 */
int mailbox_uidlist_salvage(const char *p, size_t n, uint32_t *uidvalidity,
    uint32_t *uidnext, struct mailbox_uident **ents, size_t *nents,
    size_t *lost);
/*
 * Append the UID list text for ents[0..n) (in the order given; the file
 * wants ascending UIDs) to b: what mailbox_uidlist_parse reads back.
 */
int mailbox_uidlist_format(struct buf *b, uint32_t uidvalidity,
    uint32_t uidnext, const struct mailbox_uident *ents, size_t n);

#endif
