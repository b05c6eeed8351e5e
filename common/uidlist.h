/*
 * uidlist.h: the text of a Maildir's UID list ("yubin-uidlist"), parsed
 * and formatted without any I/O, and the flag masks its lines carry.
 * The file, what it promises and how it is kept are described at the
 * top of mailbox.h; this is the pure codec (and the fuzz target's
 * subject): total, bounded, never reading past the buffer.
 */
#ifndef YUBIN_UIDLIST_H
#define YUBIN_UIDLIST_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"

/*
 * Maildir info letters ("A".."Z", "a".."z" after ":2,") as a mask: bit
 * 0..25 for "A".."Z", 26..51 for "a".."z", so the letters of a mask in
 * bit order are in ASCII order, as the Maildir spec wants them.
 */
#define MAILBOX_FLAG(c) \
	((uint64_t)1 << ((c) >= 'a' ? (c) - 'a' + 26 : (c) - 'A'))
#define MAILBOX_FLAGS_ALL ((((uint64_t)1) << 52) - 1)
/* The keyword letters a..z. */
#define MAILBOX_KEYWORD_FLAGS (MAILBOX_FLAGS_ALL & ~((((uint64_t)1) << 26) - 1))
/* Room for the letters of any mask, with the NUL. */
#define MAILBOX_LETTERS_MAX 53

/* letters[0..n) as a mask: 0, or -1 (EINVAL) when a byte is not an
   ASCII letter.  Order and repeats do not matter. */
int mailbox_flags_parse(const char *letters, size_t n, uint64_t *mask);
/* The letters of mask in ASCII order into out (MAILBOX_LETTERS_MAX
   bytes); returns their count. */
size_t mailbox_flags_letters(uint64_t mask, char *out);

/* One message line of the list.  uniq points into the parsed text. */
struct mailbox_uident {
	const char *uniq;
	size_t len;
	uint32_t uid;
	long long size; /* " W=SIZE", or -1 when the line has none */
	uint64_t modseq; /* " M=": when its flags last changed (RFC 7162
			    §3.1); 0 in a version 1 list (not known) */
	uint64_t flags; /* " F=": the info letters last seen, a mask */
};

/* One expunge record: UIDs lo..hi were expunged at MODSEQ modseq. */
struct mailbox_expunged {
	uint64_t modseq;
	uint32_t lo, hi;
};

/* A whole list as parsed; mailbox_uidlist_free releases it. */
struct mailbox_uidlist {
	int version; /* 1 or 2 as read; mailbox_uidlist_format writes 2 */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq; /* 0 in a version 1 list */
	uint64_t floor; /* every expunge with a MODSEQ above it is in exp */
	struct mailbox_uident *ents; /* sorted by UNIQ bytes */
	size_t nents;
	struct mailbox_expunged *exp; /* by MODSEQ, then UID */
	size_t nexp;
	size_t lost; /* mailbox_uidlist_salvage: lines dropped */
};

/*
 * Parse the text of a UID list, p[0..n).  Strict and total: the header
 * line, then message lines with UIDs strictly ascending and below
 * UIDNEXT, then (version 2) expunge lines in canonical order (see
 * mailbox.h); every line ends in LF and is at most UIDLIST_LINE_MAX
 * bytes; numbers are decimal without leading zeros; each UNIQ a valid
 * Maildir unique part (no ",", ":", "/", space or control byte, not
 * starting with ".") and distinct; MODSEQs in 1..HIGHESTMODSEQ; flags
 * letters in ASCII order without repeats; expunged UIDs distinct and
 * none of them a message's; at most MAILBOX_MSGS_MAX message and
 * UIDLIST_EXPUNGED_MAX expunge lines.  0 with l filled (ents sorted by
 * UNIQ bytes), or -1 with errno EINVAL (corrupt: l holds no entries and
 * its header fields are the header's when the header was valid, else
 * 0) or ENOMEM.  l is overwritten, not freed first.
 */
int mailbox_uidlist_parse(const char *p, size_t n, struct mailbox_uidlist *l);
/*
 * What a corrupt list still proves (see the top of mailbox.h), total and
 * bounded like the parse: -1 with errno EINVAL when the header is not
 * intact (nothing is kept), or ENOMEM.  Otherwise 0 with the header's
 * UIDVALIDITY, UIDNEXT raised above every UID a parsed line claimed (at
 * most 2^32-1), HIGHESTMODSEQ raised to every MODSEQ a parsed line
 * claimed, the message entries kept (on valid input, exactly the
 * parse's) and in l->lost the lines dropped: cut, too long,
 * unparsable, at or above UIDNEXT, contradicted, beyond the bounds.
 * The expunge records are kept only when nothing was lost; otherwise
 * they are dropped and floor rises to HIGHESTMODSEQ.
 */
int mailbox_uidlist_salvage(const char *p, size_t n, struct mailbox_uidlist *l);
/*
 * Append the version 2 text of l to b: what mailbox_uidlist_parse
 * reads back.  Message entries are written in the order given, which
 * must be ascending UIDs below UIDNEXT with MODSEQs in
 * 1..HIGHESTMODSEQ; expunge records as given, which must be canonical.
 * -1 with errno EINVAL when l would not parse back (nothing useful is
 * then in b), or ENOMEM.
 */
int mailbox_uidlist_format(struct buf *b, const struct mailbox_uidlist *l);
/* Release what parse or salvage allocated (ents and exp). */
void mailbox_uidlist_free(struct mailbox_uidlist *l);

/*
 * Record uids[0..n) (ascending, none a message of l nor recorded
 * already) as expunged at modseq, which must exceed every MODSEQ in l;
 * runs of consecutive UIDs become one record.  Past
 * UIDLIST_EXPUNGED_MAX records the oldest MODSEQs are forgotten and the
 * floor rises to the last one forgotten.  0, or -1 (ENOMEM, EINVAL).
 */
int mailbox_uidlist_add_expunged(
    struct mailbox_uidlist *l, const uint32_t *uids, size_t n, uint64_t modseq);

#endif
