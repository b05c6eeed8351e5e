/*
 * maildir.h: Maildir (https://cr.yp.to/proto/maildir.html) and Maildir++
 * folders: creating them, unique names, durable delivery into new/, and
 * parsing the names found in new/ and cur/.
 *
 * Delivery is tmp/NAME (O_EXCL, 0600) -> write -> fsync -> close ->
 * link into new/NAME,S=SIZE,W=WIRESIZE (rename where the filesystem has
 * no link) -> fsync of new/ -> unlink of tmp/NAME.  SIZE is the bytes
 * on disk; WIRESIZE the bytes with CRLF line ends, as POP3 LIST (RFC
 * 1939 §5) and IMAP RFC822.SIZE (RFC 3501 §2.3.4) report them: each LF
 * not preceded by CR counts two.  Readers get both without opening the
 * file.  A transaction over several
 * files writes and fsyncs every tmp file before the first link, and
 * undoes the links already made when a later one fails: all or none.
 *
 * A file being delivered holds a descriptor of its Maildir directory;
 * tmp/ and new/ are reached from it with openat(2), linkat(2) and
 * unlinkat(2), never through a symbolic link (O_NOFOLLOW|O_DIRECTORY):
 * a tmp/ or new/ that is a symbolic link is refused with ELOOP and the
 * message "DIR/tmp: is a symbolic link (refused)", and nothing is
 * written through it.
 *
 * Every function that can fail returns 0 or -1 with errno set and, when
 * err is not NULL, a "path: reason" line in err (ERR_MAX is enough).
 * Nothing here is global: the caller owns every struct.
 */
#ifndef YUBIN_MAILDIR_H
#define YUBIN_MAILDIR_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"

/* Escaped host name kept in unique names, so names stay well under
 * MAILDIR_NAME_MAX with ",S=", ",W=" and ":2,FLAGS" added. */
#define MAILDIR_HOST_MAX 64
/* Flags in ":2,": one letter each, ASCII letters only. */
#define MAILDIR_FLAGS_MAX 52

/* Makes unique names; one per process (or per thread), owned by the
 * caller.  The counter gives the Q<n> part. */
struct maildir_namer {
	char host[MAILDIR_HOST_MAX + 1]; /* escaped */
	long pid;
	unsigned long seq;
};

/* Fill in host (escaped) and pid.  host NULL means gethostname(). */
void maildir_namer_init(struct maildir_namer *nm, const char *host);
/*
 * Escape a host name for a unique name: "/" -> "\057", ":" -> "\072"
 * (and "\" -> "\134" so the escape is reversible), cut at a whole
 * character so the result has at most MAILDIR_HOST_MAX bytes.
 */
void maildir_host_escape(const char *host, char *out, size_t outlen);
/* Next unique name "SECONDS.M<usec>P<pid>Q<n>.<host>": 0 or -1. */
int maildir_unique(struct maildir_namer *nm, char *out, size_t outlen);

/*
 * Create a Maildir: dir itself (and missing parents) plus tmp, new and
 * cur, all mode 0700.  Existing directories are fine.
 */
int maildir_create(const char *dir, char *err, size_t errlen);
/*
 * Check a Maildir++ folder name ("Lists.yubin"): not empty, no "/", no
 * leading or trailing ".", no "..", no control bytes, bounded.  "INBOX"
 * (any case) is valid and means the Maildir itself.  0 or -1.
 */
int maildir_folder_valid(const char *name);
/* root/.NAME (root itself for INBOX) into out: 0, or -1 (ENAMETOOLONG,
 * EINVAL for a bad name). */
int maildir_folder_path(
    const char *root, const char *name, char *out, size_t outlen);
/* Create the folder as a Maildir with its "maildirfolder" marker file;
 * the root Maildir is created too when missing. */
int maildir_create_folder(
    const char *root, const char *name, char *err, size_t errlen);

/* One message being delivered into one Maildir. */
enum maildir_state {
	MAILDIR_NONE = 0, /* nothing on disk */
	MAILDIR_OPEN, /* tmp file open for writing */
	MAILDIR_SYNCED, /* tmp file written, fsynced, closed */
	MAILDIR_LINKED, /* in new/, tmp file still there */
	MAILDIR_MOVED, /* in new/, tmp file gone (renamed) */
	MAILDIR_DONE /* in new/, new/ fsynced, tmp removed */
};

struct maildir_file {
	char dir[PATH_MAX]; /* the Maildir */
	char name[MAILDIR_NAME_MAX + 1]; /* unique name */
	char final[MAILDIR_NAME_MAX + 1]; /* name in new/ */
	int dfd; /* the Maildir directory, -1 when none */
	int fd; /* the tmp file while MAILDIR_OPEN */
	off_t size; /* bytes written */
	off_t wire; /* the same with every bare LF counted as CRLF */
	int last; /* last byte written, -1 before the first */
	enum maildir_state state;
	int in_cur; /* committed into cur/ (maildir_commit_cur) */
};

/*
 * Open dir/tmp/NAME with a fresh unique name (dir itself may be reached
 * through a symbolic link; tmp/ may not).  On failure errno tells why
 * (ENOENT: no such Maildir, ELOOP: a symbolic link) and f holds nothing
 * to clean up.
 */
int maildir_open(struct maildir_file *f, const char *dir,
    struct maildir_namer *nm, char *err, size_t errlen);
/*
 * The same from dfd, a directory descriptor of the Maildir that the
 * caller opened (as it sees fit: O_NOFOLLOW, checked owner); f keeps a
 * duplicate of it until the file is done or aborted.  dir names the
 * Maildir in messages.
 */
int maildir_open_at(struct maildir_file *f, int dfd, const char *dir,
    struct maildir_namer *nm, char *err, size_t errlen);
/*
 * Check that the open file's new/ can be reached (a directory, not a
 * symbolic link) and written by us, so that a transaction fails before
 * its first link rather than at it.  0 or -1.
 */
int maildir_check_new(const struct maildir_file *f, char *err, size_t errlen);
/* Append to the tmp file (full write, EINTR retried); counts size and
 * wire size (a CRLF split between two calls is seen as one). */
int maildir_write(
    struct maildir_file *f, const void *p, size_t n, char *err, size_t errlen);
/* fsync and close the tmp file. */
int maildir_sync(struct maildir_file *f, char *err, size_t errlen);
/*
 * Make synced files visible in new/ as NAME,S=SIZE,W=WIRESIZE: link
 * each (or
 * rename where link is not supported: EXDEV, EPERM, ENOSYS, EOPNOTSUPP,
 * EMLINK), fsync each distinct new/ once, then unlink the tmp files.
 * All or none: when a file is not synced, or a link or fsync fails,
 * the files already in new/ are removed again and every file is aborted
 * (maildir_abort: tmp files unlinked), and -1 is returned.  A reader
 * that moved a message to cur/ in that instant keeps it (the unlink in
 * new/ finds nothing): the MTA's retry then gives a duplicate, never a
 * loss.
 */
int maildir_commit(
    struct maildir_file *const *files, size_t n, char *err, size_t errlen);
/*
 * The same for one file that goes straight into cur/ as
 * NAME,S=SIZE,W=WIRESIZE:2,FLAGS (flags: ASCII letters, normalised;
 * may be ""), for a message that arrives with flags (IMAP APPEND): the
 * Maildir spec keeps new/ for mail without info.  cur/ is fsynced.
 */
int maildir_commit_cur(
    struct maildir_file *f, const char *flags, char *err, size_t errlen);
/*
 * The same into new/ as NAME,S=SIZE,W=WIRESIZE:2,FLAGS: for IMAP COPY
 * and APPEND, whose messages must be \Recent (RFC 3501 §6.4.7,
 * §6.3.11) whatever their flags, and \Recent is the rename out of new/
 * (see common/mailbox.h).  Readers take the info of a new/ name
 * (Dovecot and mutt do).  new/ is fsynced.
 */
int maildir_commit_new_info(
    struct maildir_file *f, const char *flags, char *err, size_t errlen);
/*
 * Take a committed (DONE) file out of new/ again and fsync new/; dfd is
 * a descriptor of the same Maildir the caller kept across the commit
 * (it stays open).  For a transaction spread over processes: each one
 * commits its part and takes it back when another part failed.  A
 * reader that moved the message to cur/ in the meantime keeps it (the
 * retry gives a duplicate, never a loss: ENOENT is not an error).
 */
int maildir_revoke(struct maildir_file *f, int dfd, char *err, size_t errlen);
/* Undo whatever f holds: close, unlink tmp and new entries.  Safe on any
 * state; f ends MAILDIR_NONE (a DONE file is left alone).  A file that
 * is DONE holds no descriptor. */
void maildir_abort(struct maildir_file *f);

/*
 * A name as found in new/ or cur/, parsed without copying:
 *   UNIQ[,S=size][,W=vsize][,other...][:2,FLAGS]
 * uniq_len covers UNIQ (up to the first "," or ":"), base_len everything
 * before the ":" (what stays the same when flags change).
 */
struct maildir_name {
	size_t uniq_len;
	size_t base_len;
	long long size; /* ,S=; -1 when absent or unreadable */
	long long vsize; /* ,W=; -1 when absent or unreadable */
	int info; /* 0 no ":", 1 ":1,...", 2 ":2,...", 3 other */
	char flags[MAILDIR_FLAGS_MAX + 1]; /* sorted, unique */
};

/*
 * Parse name[0..len).  Total: -1 (EINVAL) for an empty name, one longer
 * than MAILDIR_NAME_MAX, one holding "/" or NUL or starting with ".", an
 * empty UNIQ, or ":2," flags that are not ASCII letters.  Flags given
 * out of order or twice are accepted and normalised.  ":1," and other
 * experimental info is kept as info 1 (or 3 for unknown) with no flags.
 */
int maildir_name_parse(const char *name, size_t len, struct maildir_name *out);
/* Sort and de-duplicate flags in place; -1 if one is not a letter. */
int maildir_flags_normalise(char *flags);
/* The name with its info replaced by ":2,FLAGS" (flags normalised). */
int maildir_name_with_flags(
    const char *name, size_t len, const char *flags, char *out, size_t outlen);

#endif
