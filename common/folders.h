/*
 * folders.h: the folders of a Maildir++ tree as IMAP names them: LIST,
 * CREATE, DELETE, RENAME, SUBSCRIBE and special use.
 *
 * NAMES.  INBOX is the Maildir root; the folder "A/B" is the Maildir
 * ".A.B" in the root (Courier's Maildir++, as Dovecot lays it out): the
 * hierarchy delimiter is "/" on the wire and "." on disk.  Names are
 * taken and given in UTF-8 (modified UTF-7 is the IMAP codec's job) and
 * are case-sensitive, but for INBOX: a first component equal to "INBOX"
 * in any case is INBOX.  A name is refused (EINVAL), so that no name can
 * leave the tree or mean two folders, when it is empty or longer than
 * FOLDER_NAME_MAX bytes, is not valid UTF-8, holds a control character
 * (C0, DEL, C1), "%" or "*" (LIST wildcards), or a "." (the separator
 * on disk; not escaped: as with Dovecot's Maildir++ layout, a "." in a
 * name is simply not possible), or has "/" at its start or end or twice
 * in a row.  So ".." and leading dots never reach the disk.
 *
 * LIST gives INBOX, every directory ".X" in the root that is a folder
 * (lstat: a directory, not a symbolic link; with cur/ and new/, else it
 * is \Noselect), the levels above a folder that have no directory
 * (\Noselect \NonExistent, RFC 5258, as RFC 3501 §6.3.8 wants for a
 * hierarchy placeholder), \HasChildren or \HasNoChildren (RFC 3348),
 * \Subscribed, and subscribed names that do not exist (\NonExistent
 * \Subscribed, for LSUB and LIST (SUBSCRIBED)).  Entries the root holds
 * that are not folders (names starting "..", names that do not map back
 * to a valid name) are skipped.  A plain LIST shows the entries that are
 * not \NonExistent and the \NonExistent ones that have children.
 *
 * SPECIAL USE (RFC 6154) is given by name, for top-level folders, in
 * any ASCII case: "Sent", "Sent Messages", "Sent Items" \Sent; "Drafts"
 * \Drafts; "Trash", "Deleted Messages", "Deleted Items" \Trash; "Junk",
 * "Spam" \Junk; "Archive", "Archives" \Archive.
 *
 * CREATE makes the folder and every missing level above it as real
 * folders (RFC 3501 §6.3.3: superior names are created as needed),
 * each a Maildir with the "maildirfolder" marker and a fresh UID list.
 * Every UIDVALIDITY a CREATE gives is greater than any given before in
 * this tree (the mtime of "yubin-folders.lock" in the root keeps the
 * last), so a folder deleted and made again within one second still
 * gets a new one (RFC 3501 §2.3.1.1).  DELETE refuses INBOX and a folder
 * that has children (ENOTEMPTY: Maildir++ has no folder that is only a
 * name; delete the children first, as Dovecot asks); the folder's
 * directory is first renamed to "..yubin-trash.*" in the root (one
 * atomic step), then emptied and removed.  Subscriptions are left
 * alone (RFC 3501 §6.3.4).  RENAME moves the folder and its children
 * (each a rename(2); a crash between two leaves some children under the
 * old name, each whole), creates the levels above the new name, and
 * refuses a target that exists or lies below the source; the folders
 * keep their UIDVALIDITY.  RENAME of INBOX creates the new folder and
 * moves INBOX's messages (and its keyword file) there, leaving INBOX
 * empty and its children where they are (RFC 3501 §6.3.5).  CREATE,
 * DELETE, RENAME and SUBSCRIBE hold an fcntl(2) lock on
 * "yubin-folders.lock".
 *
 * SUBSCRIPTIONS are the file "subscriptions" in the root, as Dovecot
 * keeps it: either version 1 (one name per line) or version 2 (the
 * header "V\t2\n\n", then one name per line with its levels separated
 * by TAB, each level escaped with \001: \0011 for \001, \001t TAB, \001r
 * CR, \001n LF).  Both are read (a version 1 name's "." and "/" both
 * separate levels); it is always written as version 2.  Names that are
 * not valid are ignored.  SUBSCRIBE checks the name, not that the
 * folder exists (RFC 3501 §6.3.6 lets a subscription outlive it).
 */
#ifndef YUBIN_FOLDERS_H
#define YUBIN_FOLDERS_H

#include <stddef.h>

#include "bounds.h"

#define FOLDERS_SUBSCRIPTIONS "subscriptions"
#define FOLDERS_LOCK "yubin-folders.lock"

/* LIST attributes. */
#define FOLDER_NOSELECT 0x0001 /* \Noselect */
#define FOLDER_NONEXISTENT 0x0002 /* \NonExistent (RFC 5258) */
#define FOLDER_HASCHILDREN 0x0004 /* \HasChildren (RFC 3348) */
#define FOLDER_HASNOCHILDREN 0x0008 /* \HasNoChildren */
#define FOLDER_SUBSCRIBED 0x0010 /* \Subscribed (RFC 5258) */
/* Special use (RFC 6154). */
#define FOLDER_SENT 0x0100
#define FOLDER_DRAFTS 0x0200
#define FOLDER_TRASH 0x0400
#define FOLDER_JUNK 0x0800
#define FOLDER_ARCHIVE 0x1000
#define FOLDER_SPECIAL_USE 0x1f00

struct folder {
	char name[FOLDER_NAME_MAX + 1]; /* the wire name, UTF-8 */
	unsigned attrs;
};

/* A LIST: folders sorted by name bytes ("INBOX" first). */
struct folder_list {
	struct folder *v;
	size_t n;
};

/*
 * Check a wire name (see above) and write its canonical spelling (INBOX
 * upper case) to out (FOLDER_NAME_MAX + 1 bytes are enough).  0, or -1
 * with EINVAL (err says why) or ENAMETOOLONG (out too small).
 */
int folder_name_check(
    const char *name, char *out, size_t outlen, char *err, size_t errlen);
/* The Maildir of a folder: the root for INBOX, else root/.A.B. */
int folder_path(const char *root, const char *name, char *out, size_t outlen,
    char *err, size_t errlen);
/* The RFC 6154 attribute a name carries (0: none). */
unsigned folder_special_use(const char *name);
/*
 * LIST pattern matching (RFC 3501 §6.3.8): "*" matches anything, "%"
 * anything but "/"; the rest literally, INBOX in any case.  1 or 0.
 */
int folders_match(const char *pattern, const char *name);

/* Every folder of root with its attributes (see above). */
int folders_list(
    const char *root, struct folder_list *fl, char *err, size_t errlen);
void folders_free(struct folder_list *fl);

/* EEXIST when it exists (INBOX always does). */
int folder_create(const char *root, const char *name, char *err, size_t errlen);
/* ENOENT, EPERM (INBOX), ENOTEMPTY (children). */
int folder_delete(const char *root, const char *name, char *err, size_t errlen);
/* ENOENT (no source), EEXIST (target or a target child exists), EINVAL
   (target INBOX, or below the source). */
int folder_rename(const char *root, const char *from, const char *to, char *err,
    size_t errlen);
/* on: SUBSCRIBE, else UNSUBSCRIBE (a name not there is fine). */
int folder_subscribe(
    const char *root, const char *name, int on, char *err, size_t errlen);
/* The subscribed names (canonical, sorted, without duplicates) into
   fl, attrs 0. */
int folders_subscriptions(
    const char *root, struct folder_list *fl, char *err, size_t errlen);

#endif
