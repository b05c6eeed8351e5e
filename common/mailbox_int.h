/*
 * mailbox_int.h: what the files of the mailbox module share and nobody
 * else uses: mailbox.c (scan, UID list, open), mailbox_msg.c (one
 * message), mailbox_view.c (the IMAP session's view), mailbox_store.c
 * (STORE, EXPUNGE), mailbox_copy.c (APPEND, COPY, MOVE) and uidlist.c.
 */
#ifndef YUBIN_MAILBOX_INT_H
#define YUBIN_MAILBOX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mailbox.h"
#include "uidlist.h"

/* Tries at a file renamed under us again and again before giving up. */
#define MB_RELOCATE_TRIES 3

extern const char *const mb_subname[2];

/* Byte order of two strings of known length (shorter first on a tie). */
int mb_ucmp(const char *a, size_t al, const char *b, size_t bl);
/* A UNIQ the list can hold: no space, control byte, ",", ":" or "/",
 * not empty, not starting with ".", at most MAILDIR_NAME_MAX bytes. */
int mb_uniq_bytes_ok(const char *p, size_t len);
/* "path: strerror(errno)" into err; -1 with errno kept. */
int mb_fail(char *err, size_t errlen, const char *path);
/* "DIR/A" or "DIR/A/B" into out; -1 (ENAMETOOLONG). */
int mb_pathf(
    char *out, size_t outlen, const char *dir, const char *a, const char *b);
/* The info letters of a stored name as a mask (0 without ":2,"). */
uint64_t mb_name_flags(const char *name);
/* The UNIQ length of a stored name. */
size_t mb_uniq_len(const char *name);

/* The UID list as read from disk. */
enum { MB_LIST_OK, MB_LIST_MISSING, MB_LIST_BAD, MB_LIST_SALVAGED };

struct mb_list {
	struct buf text;
	struct mailbox_uidlist u;
	int state; /* MB_LIST_* */
	unsigned char *seen; /* per u.ents[]: matched a file (merge) */
};

/* Read and parse DIR's UID list into l (l->state says how it went); -1
 * only for trouble that may pass (no memory, no descriptors). */
int mb_list_read(const char *dir, struct mb_list *l, char *err, size_t errlen);
void mb_list_free(struct mb_list *l);
/* Write u (entries in any order: sorted here by UID) as DIR's list. */
int mb_list_write(
    const char *dir, struct mailbox_uidlist *u, char *err, size_t errlen);
/*
 * For a change to an open mailbox's list: take the list lock, read the
 * list and, when it is missing, damaged or of version 1, bring it up to
 * date first (a full scan under the lock).  0 with *lfd held and l a
 * version 2 list; -1 with ESTALE when its UIDVALIDITY is no longer
 * want_validity (0: any), or another error (lock released).
 */
int mb_list_begin(const char *dir, uint32_t want_validity, struct mb_list *l,
    int *lfd, char *err, size_t errlen);
/* The entry of l with this UNIQ (l->u.ents sorted by UNIQ), or NULL. */
struct mailbox_uident *mb_list_find(
    struct mb_list *l, const char *uniq, size_t len);

/* Open dir with its UID list lock already held by the caller (lfd). */
int mb_open_locked(
    struct mailbox *mb, const char *dir, int lfd, char *err, size_t errlen);
/* The messages in new/ from index from on move to cur/: \Recent for this
 * session when our rename wins (see mailbox.h). */
void mb_claim_recent(struct mailbox *mb, size_t from);
/* Stat new/, cur/ and the list into mb's stamp (see mailbox_sync). */
void mb_stamp(struct mailbox *mb);

/*
 * Call fn for every wanted entry of new/ and then cur/ (new/ first: a
 * message moved in between is seen at least once): regular files with
 * a valid Maildir name whose UNIQ the list can hold.  fn returns 0 to
 * go on, -1 with errno set (reported as "DIR/sub: why"), or -2 when it
 * wrote err itself.  0, or -1 with err set.
 */
typedef int mb_walk_fn(void *arg, int sub, const char *name, size_t len,
    const struct maildir_name *mn, char *err, size_t errlen);
int mb_walk(
    const char *dir, mb_walk_fn *fn, void *arg, char *err, size_t errlen);

/* Message i of mb (mailbox_msg.c). */
size_t mb_find_uniq(const struct mailbox *mb, const char *u, size_t ulen);
int mb_rename_entry(
    struct mailbox *mb, size_t k, int sub, const char *name, size_t len);
int mb_relocate(struct mailbox *mb, size_t i, char *err, size_t errlen);

#endif
