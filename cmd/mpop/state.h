/*
 * state.h: what `mpop fetch' remembers about one account, and the
 * server's listings it compares that with.
 *
 * The state file is a journal of text lines:
 *
 *	yubin-mpop-state 1	the first line
 *	F uidl			fetched (delivered, durably)
 *	P uidl uniq		about to be linked into the Maildir under the
 *				unique name uniq (an intent, fdatasynced
 *				before the link)
 *
 * A run appends to it; at its start pending entries are resolved
 * (delivered when new/ or cur/ holds a name with that unique part,
 * else forgotten and fetched again); at its end the file is rewritten
 * (temp, fsync, rename, fsync of the directory) with F lines pruned of
 * what the server no longer has.  A last line without its
 * newline is a write cut short by a crash: it is ignored.
 */
#ifndef MPOP_STATE_H
#define MPOP_STATE_H

#include <limits.h>
#include <stddef.h>

#include "bounds.h"
#include "maildir.h"

#define STATE_MAGIC "yubin-mpop-state 1"
/* One line: "P " uidl " " uniq "\n" (RFC 1939 §7: uidl <= 70). */
#define STATE_LINE_MAX (2 + POP3_UIDL_MAX + 1 + MAILDIR_NAME_MAX + 1)
/* Entries kept for one account: far more than any POP3 mailbox holds. */
#define STATE_ENTRIES_MAX 1000000
/* The file itself: every entry once, plus a journal of a long run. */
#define STATE_FILE_MAX ((size_t)STATE_ENTRIES_MAX * 2 * STATE_LINE_MAX)
/* Messages in one listing (RFC 1939 §5 puts no bound; we do). */
#define LISTING_MAX STATE_ENTRIES_MAX

/* Flags of an entry. */
#define ST_FETCHED 0x01 /* delivered */
#define ST_PENDING 0x02 /* "P" seen, not resolved (uniq set) */
#define ST_ONSERVER 0x04 /* in this run's UIDL listing */

struct state_ent {
	char *uidl; /* NULL: empty slot */
	char *uniq; /* for ST_PENDING */
	unsigned flags;
};

struct state {
	char path[PATH_MAX];
	int fd; /* journal, O_APPEND; -1 when not open */
	int lockfd; /* PATH.lock, flock(2)ed; -1 when not open */
	struct state_ent *tab; /* open addressing, cap a power of two */
	size_t cap;
	size_t n; /* entries in use */
	size_t npending;
	size_t appended; /* records written since the last rewrite */
	int torn; /* the file ended in a cut line */
};

void state_init(struct state *st);
void state_free(struct state *st);

/*
 * Parse a whole state file in memory into st (entries added to what st
 * holds).  Total: any byte string gives 0 or -1 with "line N: why" in
 * err; never reads past len.
 */
int state_parse(
    struct state *st, const char *p, size_t len, char *err, size_t errlen);

/*
 * Open (creating with its directory when missing) and lock the state
 * file, and load it.  Returns 0, or an exit code (sysexits.h) with err
 * set: EX_TEMPFAIL when another run holds the lock, EX_CONFIG when the
 * file is not a state file or is damaged, EX_CANTCREAT/EX_IOERR.
 */
int state_open(struct state *st, const char *path, char *err, size_t errlen);

struct state_ent *state_find(const struct state *st, const char *uidl);
/* Add (or find) an entry; NULL and errno on failure. */
struct state_ent *state_add(struct state *st, const char *uidl);

/* Append "P uidl uniq" / "F uidl" to the journal (no sync). 0 or -1. */
int state_put_pending(struct state *st, const char *uidl, const char *uniq,
    char *err, size_t errlen);
int state_put_fetched(
    struct state *st, const char *uidl, char *err, size_t errlen);
/* fdatasync the journal.  0 or -1. */
int state_sync(struct state *st, char *err, size_t errlen);

/*
 * Resolve pending entries against the Maildir dir: fetched when new/ or
 * cur/ holds a name whose unique part is the entry's (its leftover in
 * tmp/ is removed), else forgotten.  dir NULL forgets them all (they
 * will be fetched again).  0 or -1.
 */
int state_resolve(struct state *st, const char *dir, char *err, size_t errlen);
/*
 * Rewrite the file with one "F" line per fetched entry (and, when
 * prune is set, only for those flagged ST_ONSERVER) and one "P" line per
 * pending one: temp file, fsync, rename, fsync of the directory; the
 * journal is reopened on it.
 */
int state_rewrite(struct state *st, int prune, char *err, size_t errlen);
/* Entries that prune would drop. */
size_t state_prunable(const struct state *st);
/* Close the journal and the lock. */
void state_close(struct state *st);

/* A server listing (UIDL, or LIST for sizes), parsed in place. */
struct listing_item {
	unsigned long num; /* message number */
	long long size; /* from LIST; -1 unknown */
	char uidl[POP3_UIDL_MAX + 1];
};

struct listing {
	struct listing_item *item;
	size_t n;
	size_t cap;
};

void listing_free(struct listing *l);
/*
 * Parse the body of a UIDL response (RFC 1939 §7: "msg unique-id" lines
 * ending in CRLF or LF, the final "." already removed) into l, sorted by
 * message number (listing_parse_sizes looks them up so).  Total: 0, or
 * -1 with err for a malformed line, a message number given twice, or
 * more than LISTING_MAX lines.  A unique-id given twice is the caller's
 * to refuse: it is kept here.
 */
int listing_parse_uidl(
    struct listing *l, const char *p, size_t len, char *err, size_t errlen);
/*
 * Fill in sizes from the body of a LIST response (RFC 1939 §5 scan
 * listings); messages it does not name keep -1.  0 or -1.
 */
int listing_parse_sizes(
    struct listing *l, const char *p, size_t len, char *err, size_t errlen);

#endif
