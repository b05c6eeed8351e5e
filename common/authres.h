/*
 * authres.h: the Authentication-Results header field (RFC 8601), the
 * parts a receiver needs: who a field claims to come from (its
 * authserv-id, §2.2), so that fields claiming ours can be removed
 * (§5), and a pvalue for an address (§2.2).  Pure: no I/O.
 */
#ifndef YUBIN_AUTHRES_H
#define YUBIN_AUTHRES_H

#include <stddef.h>

#include "buf.h"

/*
 * The authserv-id of a field value val[0..len) (what follows the
 * colon, folded or not): CFWS (comments nested, quoted pairs in them)
 * skipped, then a token or a quoted-string, up to CFWS or ";".  Into
 * out (NUL-terminated, at most outlen - 1 octets).  0, or -1 when there
 * is none (empty, a comment or string not closed, too long).
 */
int authres_servid(const char *val, size_t len, char *out, size_t outlen);

/*
 * Does the field value val[0..len) claim authserv-id id (ASCII
 * case-insensitive, one trailing dot on either side ignored)?  1 or 0.
 * A value whose authserv-id cannot be read is not ours.
 */
int authres_claims(const char *val, size_t len, const char *id);

/*
 * Append addr ("local@domain", as an SMTP path holds it) as an RFC 8601
 * pvalue: the local part as it is when it is a dot-atom or already
 * quoted, else as a quoted-string; control characters as '?'.  0 or -1
 * (ENOMEM).
 */
int authres_put_mailbox(struct buf *b, const char *addr);

/*
 * Append s as a quoted-string (RFC 5322 §3.2.4), '"' and '\\' escaped,
 * control characters and other octets that are not ASCII as '?' (but
 * "§" as "section "), cut after max octets of s (then "...").
 * For reason= (RFC 8601 §2.2).  0 or -1 (ENOMEM).
 */
int authres_put_quoted(struct buf *b, const char *s, size_t max);

/*
 * Is s a value that can stand as it is (a non-empty RFC 2045 token of
 * letters, digits, '.', '-' and '_', as domain names and selectors
 * are)?  1 or 0.
 */
int authres_plain(const char *s);

#endif
