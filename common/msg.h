/*
 * msg.h: RFC 5322 message header scanning, address lists, and the Date
 * and Message-ID fields a sender adds.
 *
 * The scanner takes a header line by line (streamed from a socket or a
 * file) or a whole message in memory, and gives back complete fields:
 * the name, and the value unfolded (RFC 5322 §2.2.3: a line break
 * followed by white space is removed) with the white space around it
 * trimmed.  It stops at the empty line that ends the header, or at the
 * first line that cannot belong to a header (that line is then the first
 * body line, as Postfix's cleanup treats it).
 *
 * The caller owns every struct; nothing here is global.
 */
#ifndef YUBIN_MSG_H
#define YUBIN_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounds.h"
#include "buf.h"

/* A field name: RFC 5322 §3.6.8 says nothing of length; 998 bounds it
 * with the line. */
#define MSG_NAME_MAX MSG_LINE_MAX
/* A field value, unfolded: bounded by the header as a whole. */
#define MSG_FIELD_MAX MSG_HEADER_MAX

struct msg_field {
	const char *name; /* not NUL-terminated: use namelen */
	size_t namelen;
	const char *value; /* unfolded, trimmed; NUL-terminated */
	size_t valuelen;
};

/* What msg_scan_line() made of a line. */
enum msg_line {
	MSG_LINE_ERROR = -1, /* errno: EMSGSIZE (bounds), ENOMEM */
	MSG_LINE_HEADER = 0, /* part of the header; see msg_scan_field */
	MSG_LINE_END = 1, /* the empty line ending the header */
	MSG_LINE_BODY = 2 /* not a header line: the header has ended
			   * and this line is the body's first */
};

struct msg_scan {
	struct buf cur; /* field being collected: "name:value" */
	struct buf ready; /* a complete field, not yet taken */
	size_t cur_namelen;
	size_t ready_namelen;
	int has_ready;
	int done; /* header ended */
	size_t total; /* header bytes seen */
};

void msg_scan_init(struct msg_scan *s);
void msg_scan_free(struct msg_scan *s);
/*
 * Feed one line, with or without its line ending (CRLF or LF).  After
 * each call, take the field it may have completed with msg_scan_field.
 * Lines after the header has ended return MSG_LINE_BODY.  A field name
 * is printable ASCII but ":" (RFC 5322 §3.6.8), white space before the
 * ":" is allowed (obsolete syntax, §4.5).  The header is bounded by
 * MSG_HEADER_MAX bytes.
 */
int msg_scan_line(struct msg_scan *s, const char *line, size_t len);
/* Input ended (no more lines): completes the last field. */
void msg_scan_eof(struct msg_scan *s);
/* 1 and *f filled when a complete field waits (valid until the next
 * call on s), else 0. */
int msg_scan_field(struct msg_scan *s, struct msg_field *f);

/*
 * Count the Received fields of a header fed as a byte stream in any
 * pieces (LF or CRLF line ends), for the loop check of RFC 5321 §6.3.
 * Looking stops at the empty line that ends the header, or after
 * MSG_HEADER_MAX bytes.  A field name may have white space before its
 * colon (RFC 5322 §4.5).  Total: any bytes are fine.
 */
struct msg_hops {
	int state;
	size_t idx; /* bytes of "Received" matched */
	size_t seen; /* header bytes looked at */
	int count;
};

void msg_hops_init(struct msg_hops *h);
/* Feed bytes; returns 1 once the header has ended (feeding more does
 * nothing), else 0.  h->count is the number of Received fields. */
int msg_hops_feed(struct msg_hops *h, const char *p, size_t n);

/* Iterate over the header of a message in memory. */
struct msg_iter {
	const char *p;
	size_t len;
	size_t off; /* where the next line starts */
	size_t body; /* body offset once the header ended */
	int state; /* 0 scanning, 1 ended, -1 error */
	struct msg_scan scan;
};

void msg_iter_init(struct msg_iter *it, const char *p, size_t len);
/* 1 and a field; 0 at the end of the header (it->body is where the body
 * starts: after the empty line, or at the first non-header line); -1 on
 * error (errno). */
int msg_iter_next(struct msg_iter *it, struct msg_field *f);
void msg_iter_free(struct msg_iter *it);

/*
 * The length of the header section at the top of m[0..len): the lines
 * up to and with the first empty one (LF or CRLF ended), whatever they
 * hold.  (size_t)-1 when m has no empty line (a reader with more to
 * come should read on; at the end, all of it is header).
 */
size_t msg_header_len(const char *m, size_t len);

/* 1 when the field's name is name (ASCII case-insensitive). */
int msg_field_is(const struct msg_field *f, const char *name);

/*
 * Unfold a raw field value (as it stands in the message, line breaks
 * included): CRLF or LF followed by WSP is removed (RFC 5322 §2.2.3);
 * other bytes are kept.  Appends to out; 0 or -1 (errno from buf).
 */
int msg_unfold(const char *in, size_t len, struct buf *out);

/*
 * RFC 5322 §3.3 date-time for t in the local zone with a numeric
 * offset: "Sun, 22 Nov 2026 18:22:06 +0100".  0, or -1 (EINVAL/ERANGE).
 */
int msg_date(time_t t, char *out, size_t outlen);
/*
 * Read an RFC 5322 §3.3 date-time (a Date field's unfolded value), the
 * obsolete forms of §4.3 too (2-digit years, no day of week, comments):
 * *t the time (UTC), *day 00:00 UTC of the date as written (time and
 * zone disregarded, as IMAP's SENTON wants); a time out of range counts
 * as 00:00:00.  0, or -1 when no day, month and year can be read.
 */
int msg_date_parse(const char *s, size_t n, int64_t *t, int64_t *day);
/* RFC 5322 §3.6.4 msg-id "<YYYYMMDDhhmmss.RANDOM@domain>", unique by
 * time and 64 random bits.  0, or -1 (ERANGE, or EINVAL for a domain
 * that is not a dot-atom). */
int msg_message_id(const char *domain, char *out, size_t outlen);

/*
 * Parse an RFC 5322 §3.4 address-list (an unfolded To/Cc/Bcc value):
 * mailboxes, "Name <addr>", groups "Name: a, b;", comments, quoted
 * strings, and the obsolete forms of §4.4 (empty list elements, routes
 * "<@a,@b:x@y>").  cb gets each addr-spec ("local@domain", a quoted local
 * part kept quoted, comments and folding white space gone) and may
 * return non-zero to stop.  Returns the number of addresses, or -1
 * (EINVAL: malformed; EMSGSIZE: an address over SMTP_PATH_MAX or more
 * than MSG_ADDR_MAX addresses).
 */
#define MSG_ADDR_MAX 1000
int msg_addr_list(const char *s, size_t len,
    int (*cb)(void *arg, const char *addr, size_t addrlen), void *arg);

#endif
