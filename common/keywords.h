/*
 * keywords.h: IMAP flags as Maildir info letters (the ":2,FLAGS" of a
 * file name, sorted ASCII as the Maildir spec asks).  System flags
 * (RFC 3501 §2.3.2) are the spec's upper-case letters:
 *
 *     \Seen S    \Answered R    \Flagged F    \Deleted T    \Draft D
 *
 * Keywords are the letters a..z, named per folder in the file
 * "dovecot-keywords" in the folder's directory, in Dovecot's format so
 * that Dovecot and mimap serve can share a Maildir: one line per
 * keyword, "N NAME\n", N in 0..25 standing for the letter 'a'+N.  A
 * folder holds at most 26 keywords; when all are taken, PERMANENTFLAGS
 * must stop advertising \* (keywords_full).  Names are IMAP atoms (RFC
 * 3501 §9 flag-keyword: no space, control byte, "(", ")", "{", "%",
 * "*", '"', "\" or "]"), at most KEYWORD_NAME_MAX bytes, and matched
 * without regard to ASCII case (so "$Junk" and "$junk" are one keyword,
 * spelt as first created).  Reading is lenient, as Dovecot's: lines
 * that do not parse, numbers out of range, names that are not atoms,
 * and second uses of a number or a name are ignored.  New keywords are
 * given the lowest free letters under an fcntl(2) lock on
 * "yubin-keywords.lock" (not the UID list lock: a STORE allocates its
 * keywords first and takes the list lock after), and the file is
 * replaced atomically (temp file, fsync, rename, fsync of the
 * directory).  Dovecot locks the file its own way (a dot-lock), so the
 * two servers should not create keywords in one folder at the same
 * instant; each reads the other's file.
 *
 * Other letters in a file name (P, the Maildir "passed" flag, and any
 * other upper-case letter; lower-case letters no line names) are not
 * shown to IMAP clients and are kept as they are by STORE FLAGS
 * (keywords_scope gives the letters IMAP controls).
 */
#ifndef YUBIN_KEYWORDS_H
#define YUBIN_KEYWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"

#define KEYWORDS_FILE "dovecot-keywords"
#define KEYWORDS_LOCK "yubin-keywords.lock"
#define KEYWORDS_N 26

/* A folder's keywords: name[k] for the letter 'a'+k ("" when free). */
struct keywords {
	char name[KEYWORDS_N][KEYWORD_NAME_MAX + 1];
	unsigned count; /* names in use */
};

/* The info letter of a system flag ("\\Seen": 'S', any ASCII case), or
   0 when name is none of the five (\Recent is not stored). */
int keywords_system_letter(const char *name);
/* The name of a system flag letter ("\\Seen" for 'S'), or NULL. */
const char *keywords_system_name(int letter);
/* 1 when name may be a keyword (see above), else 0. */
int keywords_valid(const char *name);

/* The keyword file text p[0..n) into kw (total, lenient). */
void keywords_parse(const char *p, size_t n, struct keywords *kw);
/* kw as keyword file text, appended to b. */
int keywords_format(const struct keywords *kw, struct buf *b);
/* Read dir's keyword file (none: no keywords). */
int keywords_load(
    struct keywords *kw, const char *dir, char *err, size_t errlen);
/* The index (letter 'a'+index) of the keyword name, or -1. */
int keywords_find(const struct keywords *kw, const char *name);
/* 1 when no letter is free: PERMANENTFLAGS without \* (RFC 3501 §7.1). */
int keywords_full(const struct keywords *kw);
/* The letters IMAP shows: the five system flags and named keywords. */
uint64_t keywords_scope(const struct keywords *kw);
/*
 * Make sure names[0..n) (valid keywords) have letters in dir: under the
 * lock, the file is read again (another session may have added some),
 * the missing names get the lowest free letters and the file is
 * replaced; kw is left as the file now is.  -1 with ENOSPC when a name
 * found no free letter (the others are kept), EINVAL for a bad name.
 */
int keywords_add(struct keywords *kw, const char *dir, const char *const *names,
    size_t n, char *err, size_t errlen);
/*
 * IMAP flag names (system flags with their "\", keywords) as a mask of
 * letters (MAILBOX_FLAG bits of uidlist.h).  create: missing keywords
 * are added (keywords_add; STORE, APPEND); else they are left out (a
 * keyword no message can have).  -1 with EINVAL for a "\" name that is
 * not a storable system flag or a name that is no atom (err names it),
 * ENOSPC as keywords_add.
 */
int keywords_mask(struct keywords *kw, const char *dir,
    const char *const *names, size_t n, int create, uint64_t *mask, char *err,
    size_t errlen);
/*
 * The IMAP names of the letters in mask (system flags first, then
 * keywords; letters without a name left out), separated by spaces,
 * appended to b: the inside of a FLAGS list.
 */
int keywords_names(const struct keywords *kw, uint64_t mask, struct buf *b);
/*
 * For COPY and MOVE between folders: map[k] becomes the index in dst of
 * the keyword src names at 'a'+k, for every keyword letter in used
 * (allocated in dstdir as needed), or 0xff when src has no name for it
 * or dst has no letter left.  The map is mailbox_copy's kwmap.
 */
int keywords_map(const struct keywords *src, uint64_t used,
    struct keywords *dst, const char *dstdir, unsigned char map[KEYWORDS_N],
    char *err, size_t errlen);

#endif
