/*
 * msgcache.h: the per-folder message cache of mimap serve.
 *
 * What FETCH ENVELOPE/BODY/BODYSTRUCTURE, SEARCH on header fields and
 * SORT/THREAD need of a message, kept in one file in the folder
 * (MSGCACHE_NAME beside cur/ and new/) so that a warm command reads no
 * message file.  It is only a cache, never the truth (DESIGN.md, IMAP):
 * delete it and nothing is lost; a missing, unreadable, truncated,
 * corrupt or foreign-version file is ignored and rewritten.
 *
 * Format (version 2), bytes:
 *
 *	"yubin-cache 2\n"
 *	record*		"R " SIZE " " DISK " " LEN " " UNIQ "\n"
 *			PAYLOAD(LEN) "#" CHECK "\n"
 *	PAYLOAD		item*, each TAG LEN ":" BYTES(LEN)
 *
 * SIZE is the message's wire size (RFC822.SIZE), DISK its size in
 * octets on disk, UNIQ the stable part of its Maildir name (up to the
 * first "," or ":").  A record is used only when its UNIQ and its sizes
 * match the message's (the wire size when the folder knows it, else the
 * size on disk, from ",S=" or stat(2)): a file replaced under the same
 * UNIQ with another size is never served stale (Maildir files are never
 * rewritten in place).  TAG is one letter: 'E' the ENVELOPE,
 * 'B' the BODY, 'S' the BODYSTRUCTURE (as mime writes them), 'D' the
 * message's first Date field as msg_date_parse reads it, "T DAY" (two
 * decimal numbers, "-" before a negative one: the time and the day
 * SORT and SEARCH SENT* use; no 'D' item: no Date field, or one that
 * does not parse), 'H' a
 * header field of the message header as "Name:value" (unfolded, as
 * msg.h gives it; RFC 2047 words kept: SEARCH decodes them as
 * mime_search_header does, which keeps answers byte for byte those of
 * a cold run), for the fields of msgcache_field_cached(), in message
 * order.  Numbers are decimal without leading zeros.  CHECK is 16
 * lowercase hex digits, FNV-1a (64 bits) of the record from its "R" to
 * the end of its payload: a record damaged in place (a bit flipped, a
 * write cut short or overlapping) is caught; it is no defence against
 * a forger, who would need to write the user's own Maildir anyway.
 * Version 1 (no 'D' items) is a foreign version: ignored and rebuilt.
 * The parse is total: the first record that does not parse ends the
 * file (what came before is kept), a record or a file past its bound in
 * bounds.h is dropped.  Memory: the file is read whole (a session
 * holding a folder of 5,000 ordinary messages holds about 5 MB).
 *
 * Writing: msgcache_save writes every record of a message still in the
 * folder to a temporary file (MSGCACHE_NAME ".PID.tmp") and renames it
 * over the cache.  No fsync: a cache lost or cut short in a crash is
 * ignored and rebuilt.  No lock: rename(2) is atomic, so a reader sees
 * a whole old or whole new file; with concurrent writers the last
 * rename wins and what the others learnt is learnt again later.
 */
#ifndef YUBIN_MSGCACHE_H
#define YUBIN_MSGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mime.h"
#include "msg.h"

#define MSGCACHE_NAME "yubin-cache"
#define MSGCACHE_MAGIC "yubin-cache 2\n"

struct msgcache;

/* What a record holds; pointers into the cache, valid until the next
   msgcache_put, msgcache_load or msgcache_free.  NULL: not held. */
struct msgcache_rec {
	uint64_t size; /* wire */
	uint64_t disk;
	const char *env, *body, *bs;
	size_t envlen, bodylen, bslen;
	const char *hdr; /* the 'H' items, to walk with msgcache_fields */
	size_t hdrlen;
	int have_date; /* a 'D' item: date and day hold it */
	int64_t date, day;
};

/* A cache for folder directory dir (nothing read yet).  NULL: ENOMEM. */
struct msgcache *msgcache_new(const char *dir);
void msgcache_free(struct msgcache *c);
/* The folder it is for. */
const char *msgcache_dir(const struct msgcache *c);

/*
 * Parse a cache file's bytes p[0..n) into c (records are added; a
 * malformed tail is ignored).  The number of records kept, or -1
 * (ENOMEM).
 */
long msgcache_parse(struct msgcache *c, const char *p, size_t n);
/* Read the folder's file once (later calls do nothing); a file that
   cannot be read is an empty cache.  0 or -1 (ENOMEM). */
int msgcache_load(struct msgcache *c);

/* The length of the UNIQ of Maildir file name (base name). */
size_t msgcache_uniq(const char *name);

/* 1 and *r when a record for uniq is held whose wire size is size and
   whose disk size is disk (MSGCACHE_UNKNOWN: not compared; one of the
   two must be known), else 0. */
#define MSGCACHE_UNKNOWN UINT64_MAX
int msgcache_get(struct msgcache *c, const char *uniq, size_t ulen,
    uint64_t size, uint64_t disk, struct msgcache_rec *r);
/*
 * Learn message m (parsed from the whole file) under uniq: its sizes
 * are m->size and m->len.  0 (held, or not cacheable: over
 * MSGCACHE_RECORD_MAX), -1 (ENOMEM).
 */
int msgcache_put(struct msgcache *c, const char *uniq, size_t ulen,
    const struct mime_msg *m);
/* Was something learnt since the last save? */
int msgcache_dirty(const struct msgcache *c);

/* Is header field name (any case) among those a record holds? */
int msgcache_field_cached(const char *name, size_t n);
/*
 * Call cb for each header field of r, as mime_header_walk does (off and
 * end are 0; value NUL-terminated).  A non-zero return stops the walk
 * and is returned; -1 on ENOMEM.
 */
int msgcache_fields(const struct msgcache_rec *r, mime_field_cb cb,
    void *arg);
/* mime_search_header on a record: 1, 0 or -1 (ENOMEM). */
int msgcache_search_header(const struct msgcache_rec *r, const char *field,
    const char *needle, size_t nn);

/*
 * The records whose (uniq, size) keep(arg, uniq, ulen, size) says are
 * still wanted, as a cache file, into out.  0 or -1 (ENOMEM).
 */
typedef int (*msgcache_keep_cb)(void *arg, const char *uniq, size_t ulen,
    uint64_t size);
int msgcache_write(struct msgcache *c, msgcache_keep_cb keep, void *arg,
    struct buf *out);
/* msgcache_write into the folder's file (temp file, rename); clears
   dirty.  0 or -1 (errno; the cache is only a cache: callers ignore
   it). */
int msgcache_save(struct msgcache *c, msgcache_keep_cb keep, void *arg);

#endif
