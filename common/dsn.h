/*
 * dsn.h: delivery status notifications (RFC 3464) as the queue runner
 * sends them: a bounce when recipients failed for good, a delay notice
 * while they wait.  One report is one message (RFC 5322, CRLF line
 * ends), multipart/report; report-type=delivery-status (RFC 6522):
 *
 *	1. text/plain: what happened, to which addresses, what the remote
 *	   server said and what to do, for a person;
 *	2. message/delivery-status (RFC 3464 §2.2, §2.3: the per-message
 *	   fields, then a group per recipient), or
 *	   message/global-delivery-status (RFC 6533 §6) when an address
 *	   is not ASCII;
 *	3. the original: in a failure report (RFC 3461 §4.3: RET is
 *	   about "any failed DSN"), message/rfc822 (message/global, RFC
 *	   6533 §6.3, for an SMTPUTF8 original) when RET=FULL, or when RET
 *	   is absent and the original is at most DSN_FULL_MAX octets; else
 *	   text/rfc822-headers (RFC 6522 §4; message/global-headers for
 *	   SMTPUTF8): the original's header block only, at most
 *	   DSN_HEADER_MAX.  An original that cannot go whole (a NUL, a
 *	   bare CR or LF, a line over MSG_LINE_MAX) goes as its header.
 *
 * The report's own envelope sender MUST be the null reverse-path <>
 * (RFC 3461 §6.1, RFC 5321 §4.5.5), so that no report is ever sent
 * about a report; the caller sends it so, to the original's reverse-
 * path.  Nor is a report ever sent to <>: dsn_write refuses a null
 * original sender (RFC 3461 §6.1, RFC 5321 §4.5.5).
 *
 * The original is hostile input: it is read in bounded chunks from a
 * file (never whole into memory), the header taken is bounded, the
 * boundary is checked against every line of it, and the caller's
 * strings (reply texts come from remote servers) are cut and cleaned of
 * control characters.  The library never prints or exits: -1 with
 * "dsn: why" in err (ERR_MAX) and errno set.
 */
#ifndef YUBIN_DSN_H
#define YUBIN_DSN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"
#include "smtp.h"

/* What a report (or one recipient's line in it) tells. */
enum dsn_kind {
	DSN_FAILURE = 0, /* failed for good: a bounce */
	DSN_DELAY, /* not yet delivered, still being retried */
	DSN_SUCCESS /* delivered or relayed (only on NOTIFY=SUCCESS) */
};

/* RFC 3464 §2.3.3 Action. */
enum dsn_action {
	DSN_ACT_FAILED = 0,
	DSN_ACT_DELAYED,
	DSN_ACT_DELIVERED,
	DSN_ACT_RELAYED
};

/* One recipient of the report.  Strings are the caller's (NULL: none). */
struct dsn_rcpt {
	const char *addr; /* the forward-path tried (Final-Recipient) */
	const char *orcpt; /* RFC 3461 §4.2 ORCPT "type;xtext", or NULL */
	int notify; /* SMTP_NOTIFY_* bits, 0: NOTIFY not given */
	enum dsn_action action;
	const char *status; /* RFC 3463 "5.1.1"; NULL: from the action */
	const char *relay; /* the remote MTA, "host[addr]" or "host" */
	int code; /* the SMTP reply code, 0: not an SMTP reply */
	const char *reply; /* the reply text (code and status may lead,
			    * lines joined), or our own reason (code 0) */
	int64_t last_attempt; /* seconds; 0: none */
	int64_t retry_until; /* seconds; 0: none (delay notices) */
};

struct dsn {
	const char *host; /* our host name: Reporting-MTA, From, Message-ID */
	const char *envid; /* RFC 3461 ENVID, xtext-decoded; NULL: none */
	int64_t arrival; /* when the original was queued (seconds) */
	const char *from; /* the original's envelope sender: To: */
	enum smtp_ret ret;
	int eightbit; /* the original had BODY=8BITMIME (for the record:
		       * *needs comes from the octets the report holds) */
	int smtputf8; /* the original had SMTPUTF8 */
	enum dsn_kind kind; /* what this report is about: only the
			     * recipients whose action is of this kind
			     * (and whose NOTIFY asks for it) are in it */
	const struct dsn_rcpt *r;
	size_t nr;
	int64_t now; /* the report's Date (seconds); 0: time(2) */
	const char *token; /* unique text for Message-ID and boundary
			    * (the queue ID); NULL: random */
};

/* dsn_write's *needs: what the report asks of the next hop. */
#define DSN_NEED_8BITMIME 0x01 /* 8-bit octets: BODY=8BITMIME (RFC 6152) */
#define DSN_NEED_SMTPUTF8 0x02 /* UTF-8 header or address (RFC 6531) */

/*
 * Whether a recipient with NOTIFY bits notify (SMTP_NOTIFY_*, 0 when
 * NOTIFY was not given) wants a report of kind: RFC 3461 §4.1: NEVER
 * wants none; otherwise only the kinds named; no NOTIFY at all means
 * FAILURE, and DELAY at the MTA's discretion (we send delay notices).
 * 1 or 0.
 */
int dsn_wanted(int notify, enum dsn_kind kind);
/* The kind of report an action belongs to. */
enum dsn_kind dsn_action_kind(enum dsn_action a);
/* The recipients of d that the report would name: their action is of
   d->kind and dsn_wanted(notify, d->kind). */
size_t dsn_count(const struct dsn *d);

/*
 * Decode RFC 3461 §4 xtext ("+" HEXCHAR HEXCHAR for octets outside
 * 0x21-0x7e and "+" "="; other characters as they are) from s[0..n)
 * into out (outlen octets with the NUL).  0, or -1 for a bad "+XX", an
 * encoded NUL, a raw octet outside 0x21-0x7e (UTF-8 taken when utf8,
 * RFC 6533 §3) or no room.
 */
int dsn_xtext_decode(
    const char *s, size_t n, int utf8, char *out, size_t outlen);

/*
 * Write the report d about the original at [off, off + size) of msgfd
 * (as a queue file holds it: CRLF line ends, not dot-stuffed) to outfd:
 * a whole message, CRLF line ends, ready to be sent with MAIL FROM:<>.
 * The recipients named are those of dsn_count.  *needs (may be NULL)
 * gets DSN_NEED_* bits.  0, or -1 with err and errno: EINVAL (the null
 * sender, a sender or host that is no address or name, no such kind),
 * ENOENT (no recipient for this report), EIO (the original is shorter
 * than size), EEXIST (no boundary free of the original: never in
 * practice), ENOMEM, or pread(2)/write(2)'s errno.  On error, part of
 * the report may have been written: write to a file, not a socket.
 */
int dsn_write(const struct dsn *d, int msgfd, off_t off, uint64_t size,
    int outfd, unsigned *needs, char *err, size_t errlen);

#endif
