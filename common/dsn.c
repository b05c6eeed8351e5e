/*
 * dsn.c: delivery status notifications (see dsn.h): the report's
 * header, the text for a person, the delivery-status fields, and the
 * original (whole or its header) streamed from the queue file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "util.h"

/* Fold generated lines here when a space allows (RFC 5322 §2.1.1:
   SHOULD be at most 78), and break a longer word at DSN_FOLD_HARD,
   far under MSG_LINE_MAX. */
#define DSN_FOLD_AT 76
#define DSN_FOLD_HARD 900
/* Octets read from the original at once. */
#define DSN_CHUNK (64 * 1024)
/* Boundary candidates per pass: two hex digits after the base. */
#define DSN_CANDIDATES 256
/* Passes over the original looking for a free boundary: the first with
   the caller's token, the others with random ones. */
#define DSN_BOUNDARY_TRIES 4
/* The token's characters kept in the boundary and Message-ID. */
#define DSN_TOKEN_MAX 32
/* "=_yubin-" token "-" pass: the base of the candidates. */
#define DSN_BASE_MAX (8 + DSN_TOKEN_MAX + 2)

static int
fail(char *err, size_t errlen, int e, const char *why)
{
	util_seterr(err, errlen, "dsn: %s", why);
	errno = e;
	return -1;
}

static int
oom(char *err, size_t errlen)
{
	int e = errno;

	util_seterr(err, errlen, "dsn: %s", strerror(e));
	errno = e;
	return -1;
}

int
dsn_wanted(int notify, enum dsn_kind kind)
{
	/* RFC 3461 §4.1: NEVER alone; else the kinds named.  No NOTIFY:
	   "NOTIFY=FAILURE or NOTIFY=FAILURE,DELAY" at our discretion:
	   we warn of delays too, as sendmail does. */
	if (notify & SMTP_NOTIFY_NEVER)
		return 0;
	if (notify == 0)
		return kind == DSN_FAILURE || kind == DSN_DELAY;
	switch (kind) {
	case DSN_FAILURE: return (notify & SMTP_NOTIFY_FAILURE) != 0;
	case DSN_DELAY: return (notify & SMTP_NOTIFY_DELAY) != 0;
	case DSN_SUCCESS: return (notify & SMTP_NOTIFY_SUCCESS) != 0;
	}
	return 0;
}

enum dsn_kind
dsn_action_kind(enum dsn_action a)
{
	switch (a) {
	case DSN_ACT_FAILED: return DSN_FAILURE;
	case DSN_ACT_DELAYED: return DSN_DELAY;
	case DSN_ACT_DELIVERED:
	case DSN_ACT_RELAYED: return DSN_SUCCESS;
	}
	return DSN_FAILURE;
}

/* One report is one kind: a recipient is in it when its action is of
   that kind and its NOTIFY asks for that kind. */
static int
reported(const struct dsn *d, const struct dsn_rcpt *r)
{
	return r->addr != NULL && r->addr[0] != '\0' &&
	    dsn_action_kind(r->action) == d->kind &&
	    dsn_wanted(r->notify, d->kind);
}

size_t
dsn_count(const struct dsn *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->nr; i++)
		if (reported(d, &d->r[i]))
			n++;
	return n;
}

int
dsn_xtext_decode(const char *s, size_t n, int utf8, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			/* RFC 3461 §4: "+" HEXCHAR HEXCHAR, upper case;
			   lower case taken as well (be liberal). */
			if (n - i < 3 || (hi = util_hexval(s[i + 1])) < 0 ||
			    (lo = util_hexval(s[i + 2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			i += 2;
		} else if (c == '=' || c < 0x21 || (c > 0x7e && !utf8))
			return -1;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/*
 * Append s (at most max octets of it) cleaned for one line of a header
 * or of text: control characters and runs of white space become one
 * space, the ends are trimmed, invalid UTF-8 (any non-ASCII when ascii)
 * becomes "?".  Remote servers write reply texts: nothing of theirs may
 * end a line here, nor start one.
 */
static int
put_clean(struct buf *b, const char *s, size_t max, int ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max), i = 0, len;
	int space = 0, any = 0;

	while (i < n) {
		if (p[i] <= 0x20 || p[i] == 0x7f) {
			space = any;
			i++;
			continue;
		}
		if (space && buf_putc(b, ' ') == -1)
			return -1;
		space = 0;
		any = 1;
		len = ascii && p[i] >= 0x80
		    ? 0
		    : util_utf8_char((const char *)p + i, n - i, NULL);
		if (len == 0) {
			if (buf_putc(b, '?') == -1)
				return -1;
			i++;
			continue;
		}
		if (buf_append(b, p + i, len) == -1)
			return -1;
		i += len;
	}
	return 0;
}

/*
 * Append s[0..n) (one line, clean) starting at column col, folded: a
 * break before a space when the line would pass DSN_FOLD_AT, a word
 * longer than DSN_FOLD_HARD broken where it passes.  With indent "",
 * header folding (the continuation starts with the space, RFC 5322
 * §2.2.3; a broken word gets one); else each continuation line starts
 * with indent and the space goes.  Ends with CRLF.
 */
static int
put_folded(
    struct buf *b, const char *s, size_t n, size_t col, const char *indent)
{
	size_t pos = 0, room, hard, cut, i, ilen = strlen(indent);

	while (n - pos + col > DSN_FOLD_AT) {
		room = DSN_FOLD_AT > col ? DSN_FOLD_AT - col : 0;
		hard = DSN_FOLD_HARD > col ? DSN_FOLD_HARD - col : 1;
		cut = 0;
		for (i = pos + 1; i <= pos + room && i < n; i++)
			if (s[i] == ' ')
				cut = i;
		if (cut == 0) {
			for (i = pos + 1; i < n && i - pos <= hard; i++)
				if (s[i] == ' ') {
					cut = i;
					break;
				}
			if (cut == 0) {
				if (n - pos <= hard)
					break;
				cut = pos + hard;
			}
		}
		if (buf_append(b, s + pos, cut - pos) == -1 ||
		    buf_append(b, "\r\n", 2) == -1)
			return -1;
		pos = cut;
		if (ilen > 0) {
			while (pos < n && s[pos] == ' ')
				pos++;
			if (buf_append(b, indent, ilen) == -1)
				return -1;
			col = ilen;
		} else if (s[pos] != ' ') {
			if (buf_putc(b, ' ') == -1)
				return -1;
			col = 1;
		} else
			col = 0;
	}
	if (buf_append(b, s + pos, n - pos) == -1 ||
	    buf_append(b, "\r\n", 2) == -1)
		return -1;
	return 0;
}

/* A header field "name: value" (value clean), folded. */
static int
put_field(struct buf *b, const char *name, const char *value)
{
	size_t col = strlen(name) + 2;

	if (buf_puts(b, name) == -1 || buf_append(b, ": ", 2) == -1)
		return -1;
	return put_folded(b, value, strlen(value), col, "");
}

/* A text line: indent, then s cleaned and folded under the indent. */
static int
put_text(struct buf *b, const char *indent, const char *s, size_t max)
{
	struct buf t;
	int rc;

	buf_init(&t, 0);
	rc = buf_puts(&t, indent) == -1 || put_clean(&t, s, max, 0) == -1
	    ? -1
	    : put_folded(b, t.data, t.len, 0, indent);
	buf_free(&t);
	return rc;
}

/* RFC 5322 §3.3 date-time, in UTC, without the locale. */
static int
put_date(struct buf *b, int64_t t)
{
	static const char *const wd[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		tt = 0;
		(void)gmtime_r(&tt, &tm);
	}
	return buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
has8(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* A status code (RFC 3463 §2: class "." subject "." detail). */
static int
status_valid(const char *s)
{
	size_t i = 0, d, part;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (d = 0; s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (d < 1 || d > 3 || (part == 0 && s[i] != '.'))
			return 0;
		if (part == 0)
			i++;
	}
	return s[i] == '\0';
}

/* Does the reply text begin with its code? */
static int
starts_code(const char *p, int code)
{
	return code >= 100 && code <= 999 && p[0] == '0' + code / 100 &&
	    p[1] == '0' + code / 10 % 10 && p[2] == '0' + code % 10 &&
	    (p[3] == '\0' || p[3] == ' ' || p[3] == '-');
}

/* The status of r: its own when valid, one from the reply's text
   ("550 5.1.1 ..."), else the action's generic one. */
static void
rcpt_status(const struct dsn_rcpt *r, char *out, size_t outlen)
{
	const char *p;
	size_t n;

	if (status_valid(r->status)) {
		util_strlcpy(out, r->status, outlen);
		return;
	}
	if (r->reply != NULL && r->code != 0) {
		p = r->reply;
		if (starts_code(p, r->code))
			p += 3;
		p += strspn(p, " -");
		n = strcspn(p, " ");
		if (n > 0 && n < outlen && n < 12) {
			memcpy(out, p, n);
			out[n] = '\0';
			if (status_valid(out) && out[0] == '0' + r->code / 100)
				return;
		}
	}
	switch (r->action) {
	case DSN_ACT_FAILED: util_strlcpy(out, "5.0.0", outlen); break;
	case DSN_ACT_DELAYED: util_strlcpy(out, "4.0.0", outlen); break;
	default: util_strlcpy(out, "2.0.0", outlen); break;
	}
}

/* The Original-Recipient value "type; address" of an ORCPT, or 0 when
   it does not decode to something a header can hold. */
static int
orcpt_value(const char *orcpt, char *out, size_t outlen)
{
	char addr[SMTP_ORCPT_MAX + 1];
	size_t tlen, i;

	if (orcpt == NULL ||
	    strnlen(orcpt, SMTP_ORCPT_MAX + 1) > SMTP_ORCPT_MAX)
		return 0;
	tlen = strcspn(orcpt, ";");
	if (tlen == 0 || orcpt[tlen] != ';' || tlen > 32)
		return 0;
	for (i = 0; i < tlen; i++)
		if (!((orcpt[i] >= 'a' && orcpt[i] <= 'z') ||
			(orcpt[i] >= 'A' && orcpt[i] <= 'Z') ||
			(orcpt[i] >= '0' && orcpt[i] <= '9') ||
			orcpt[i] == '-'))
			return 0;
	/* RFC 3461 §4.2: the address is xtext; RFC 3464 §2.3.1 wants
	   it decoded.  Controls (a decoded "+0D") are not taken. */
	if (dsn_xtext_decode(orcpt + tlen + 1, strlen(orcpt + tlen + 1), 1,
		addr, sizeof(addr)) == -1 ||
	    addr[0] == '\0')
		return 0;
	for (i = 0; addr[i] != '\0'; i++)
		if ((unsigned char)addr[i] < 0x21 || addr[i] == 0x7f)
			return 0;
	if (!util_utf8_valid(addr, strlen(addr)))
		return 0;
	(void)snprintf(out, outlen, "%.*s; %s", (int)tlen, orcpt, addr);
	return 1;
}

/* ------------------------------------------------- the original */

struct scan {
	/* the boundary candidates: base XX anywhere */
	char base[DSN_BASE_MAX + 1];
	size_t blen;
	unsigned char taken[DSN_CANDIDATES / 8];
	size_t k; /* octets of base matched so far, then the XX */
	int hex; /* the first X's value */
	/* the whole original */
	int nul, barecr, barelf, eight, prevcr;
	size_t linelen, maxline;
	/* the header block, as a text/rfc822-headers part holds it */
	struct buf hdr;
	char line[MSG_LINE_MAX];
	size_t ll;
	int hdone, hfirst, h8;
	uint64_t hread;
};

/*
 * Feed c to the candidate matcher: base (any case), then two hex
 * digits, mark that candidate.  base is "=_yubin-" and letters, digits
 * and dots: "=" only at its start, so a mismatch falls back to 0 (or 1
 * on a "="), as a KMP automaton for it would.
 */
static void
cand_feed(struct scan *s, unsigned char c)
{
	int v;

	if (s->k < s->blen) {
		if ((c | 0x20) == ((unsigned char)s->base[s->k] | 0x20))
			s->k++;
		else
			s->k = c == '=';
		return;
	}
	if ((v = util_hexval(c)) < 0) {
		s->k = c == '=';
		return;
	}
	if (s->k == s->blen) {
		s->hex = v;
		s->k++;
		return;
	}
	v |= s->hex << 4;
	s->taken[v / 8] |= (unsigned char)(1u << (v % 8));
	s->k = 0;
}

/* Is this line of the header a header line (RFC 5322 §2.2: a field
   name and ":", or a continuation after one)? */
static int
hdr_line_ok(const struct scan *s)
{
	size_t i;

	if (s->ll == 0)
		return 0;
	if (s->line[0] == ' ' || s->line[0] == '\t')
		return !s->hfirst;
	for (i = 0; i < s->ll; i++) {
		if (s->line[i] == ':')
			return i > 0;
		if ((unsigned char)s->line[i] < 0x21 ||
		    (unsigned char)s->line[i] > 0x7e)
			return 0;
	}
	return 0;
}

/* A line of the original ends (or the original does): the header. */
static int
hdr_line_end(struct scan *s)
{
	if (s->hdone)
		return 0;
	if (!hdr_line_ok(s) || s->hdr.len + s->ll + 2 > DSN_HEADER_MAX) {
		s->hdone = 1;
		return 0;
	}
	s->hfirst = 0;
	if (has8(s->line, s->ll))
		s->h8 = 1;
	if (buf_append(&s->hdr, s->line, s->ll) == -1 ||
	    buf_append(&s->hdr, "\r\n", 2) == -1)
		return -1;
	s->ll = 0;
	return 0;
}

static int
scan_bytes(struct scan *s, const unsigned char *p, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (s->prevcr && c != '\n')
			s->barecr = 1;
		if (c == '\n' && !s->prevcr)
			s->barelf = 1;
		s->prevcr = c == '\r';
		/* The header part drops NULs and CRs: the matcher skips
		   them, so it sees what either form of part 3 holds. */
		if (c != '\0' && c != '\r')
			cand_feed(s, c);
		if (c == '\r' || c == '\n') {
			if (c == '\n') {
				if (s->linelen > s->maxline)
					s->maxline = s->linelen;
				s->linelen = 0;
				if (!s->hdone && hdr_line_end(s) == -1)
					return -1;
			}
			continue;
		}
		s->linelen++;
		if (c == '\0')
			s->nul = 1;
		if (c >= 0x80)
			s->eight = 1;
		if (!s->hdone && c != '\0') {
			/* A line past MSG_LINE_MAX is cut there. */
			if (s->ll < sizeof(s->line))
				s->line[s->ll++] = (char)c;
		}
	}
	if (!s->hdone) {
		s->hread += n;
		if (s->hread > MSG_HEADER_MAX)
			s->hdone = 1;
	}
	return 0;
}

/* Read [off, off + size) of fd through cb in chunks. */
static int
read_range(int fd, off_t off, uint64_t size, unsigned char *chunk,
    int (*cb)(void *, const unsigned char *, size_t), void *arg, char *err,
    size_t errlen)
{
	uint64_t done = 0;
	size_t want;
	ssize_t r;

	while (done < size) {
		want =
		    size - done < DSN_CHUNK ? (size_t)(size - done) : DSN_CHUNK;
		r = pread(fd, chunk, want, off + (off_t)done);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			int e = errno;

			util_seterr(err, errlen,
			    "dsn: reading the original: %s", strerror(e));
			errno = e;
			return -1;
		}
		if (r == 0)
			return fail(err, errlen, EIO,
			    "the original is shorter than its size");
		if (cb(arg, chunk, (size_t)r) == -1)
			return oom(err, errlen);
		done += (uint64_t)r;
	}
	return 0;
}

static int
scan_cb(void *arg, const unsigned char *p, size_t n)
{
	return scan_bytes(arg, p, n);
}

struct out {
	int fd;
};

static int
write_cb(void *arg, const unsigned char *p, size_t n)
{
	struct out *o = arg;

	return util_write_all(o->fd, p, n);
}

/* A token for the boundary and Message-ID: the caller's letters and
   digits, or random hex. */
static void
make_token(const char *given, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (given != NULL)
		for (i = 0;
		     given[i] != '\0' && o + 1 < outlen && o < DSN_TOKEN_MAX;
		     i++)
			if ((given[i] >= 'a' && given[i] <= 'z') ||
			    (given[i] >= 'A' && given[i] <= 'Z') ||
			    (given[i] >= '0' && given[i] <= '9') ||
			    given[i] == '.')
				out[o++] = given[i];
	if (o == 0)
		(void)snprintf(out, outlen, "%08x%08x", (unsigned)util_random(),
		    (unsigned)util_random());
	else
		out[o] = '\0';
}

/*
 * Scan the original and pick a boundary that occurs nowhere in it: each
 * pass marks which of 256 candidates base XX occur anywhere (any case,
 * NULs and CRs skipped), so the one taken provably occurs nowhere in
 * part 3, neither at a line's start (RFC 2046 §5.1.1) nor in a
 * boundary parameter of the original's own; our own lines in parts 1
 * and 2 never start with "--".  Candidates are fixed-length, so one is
 * never the prefix of another (parsers match boundaries by prefix).
 */
static int
scan_original(const struct dsn *d, int fd, off_t off, uint64_t size,
    struct scan *s, char *boundary, size_t blen, char *err, size_t errlen)
{
	unsigned char *chunk;
	char token[DSN_TOKEN_MAX + 1];
	int pass, i;

	if ((chunk = malloc(DSN_CHUNK)) == NULL)
		return oom(err, errlen);
	for (pass = 0; pass < DSN_BOUNDARY_TRIES; pass++) {
		make_token(pass == 0 ? d->token : NULL, token, sizeof(token));
		buf_free(&s->hdr);
		memset(s, 0, sizeof(*s));
		buf_init(&s->hdr, DSN_HEADER_MAX);
		s->hfirst = 1;
		(void)snprintf(
		    s->base, sizeof(s->base), "=_yubin-%s-%d", token, pass);
		s->blen = strlen(s->base);
		if (read_range(fd, off, size, chunk, scan_cb, s, err, errlen) ==
		    -1) {
			free(chunk);
			return -1;
		}
		/* The end of the original ends its last line. */
		if (s->prevcr)
			s->barecr = 1;
		if (s->linelen > s->maxline)
			s->maxline = s->linelen;
		if (!s->hdone && s->ll > 0 && hdr_line_end(s) == -1) {
			free(chunk);
			return oom(err, errlen);
		}
		for (i = 0; i < DSN_CANDIDATES; i++)
			if (!(s->taken[i / 8] & (1u << (i % 8)))) {
				(void)snprintf(boundary, blen, "%s%02x",
				    s->base, (unsigned)i);
				free(chunk);
				return 0;
			}
	}
	free(chunk);
	return fail(err, errlen, EEXIST, "no boundary free of the original");
}

/* ------------------------------------------------- the report */

static int
addr_ascii(const char *s)
{
	return !has8(s, strlen(s));
}

/* The human-readable part (RFC 6522 §3: the first part, for a person,
   without the need of a DSN-aware reader). */
static int
put_human1(struct buf *b, const struct dsn *d, int full, struct buf *t)
{
	const struct dsn_rcpt *r;
	size_t i;
	int n;

	if (d->kind == DSN_FAILURE) {
		if (buf_puts(b,
			"Your message could not be delivered to the recipients "
			"below.\r\n"
			"This is a permanent error: the mail system has given "
			"up and will not\r\ntry again.\r\n\r\n") == -1)
			return -1;
	} else if (d->kind == DSN_SUCCESS) {
		if (buf_puts(b,
			"As you asked, this reports that your message reached "
			"the recipients\r\nbelow.\r\n\r\n") == -1)
			return -1;
	} else if (buf_puts(b,
		       "Your message has not been delivered yet to the "
		       "recipients below.\r\n"
		       "This is only a warning: the mail system is still "
		       "trying, and you do\r\nnot need to send the message "
		       "again.\r\n\r\n") == -1)
		return -1;
	for (i = 0; i < d->nr; i++) {
		r = &d->r[i];
		if (!reported(d, r))
			continue;
		if (buf_putc(b, '<') == -1 ||
		    put_clean(b, r->addr, SMTP_PATH_MAX, 0) == -1 ||
		    buf_puts(b, ">\r\n") == -1)
			return -1;
		switch (r->action) {
		case DSN_ACT_DELIVERED:
			n = put_text(b, "    ", "Delivered.", 16);
			break;
		case DSN_ACT_RELAYED:
			n = put_text(b, "    ",
			    "Passed on to a mail system that does not report "
			    "on delivery: this is the last report you will get "
			    "for this address.",
			    256);
			break;
		default: n = 0; break;
		}
		if (n == -1)
			return -1;
		if (r->reply != NULL && r->reply[0] != '\0') {
			if (r->code != 0 && r->relay != NULL &&
			    r->relay[0] != '\0') {
				/* A relay name is ours, from DNS; still,
				   fold it as any text. */
				buf_reset(t);
				if (buf_puts(t, "The receiving server ") ==
					-1 ||
				    put_clean(t, r->relay, DSN_TEXT_MAX, 0) ==
					-1 ||
				    buf_puts(t, " said:") == -1 ||
				    put_text(b, "    ", t->data,
					DSN_TEXT_MAX + 32) == -1)
					return -1;
			} else if (r->code != 0) {
				if (buf_puts(b,
					"    The receiving server said:\r\n") ==
				    -1)
					return -1;
			} else if (buf_puts(b, "    Reason:\r\n") == -1)
				return -1;
			buf_reset(t);
			if ((r->code >= 200 && r->code <= 599 &&
				!starts_code(r->reply, r->code) &&
				buf_printf(t, "%d ", r->code) == -1) ||
			    buf_append(t, r->reply,
				strnlen(r->reply, DSN_TEXT_MAX)) == -1 ||
			    put_text(
				b, "        ", t->data, DSN_TEXT_MAX + 4) == -1)
				return -1;
		}
		if (r->action == DSN_ACT_DELAYED && r->retry_until != 0 &&
		    (buf_puts(b, "    Will be retried until ") == -1 ||
			put_date(b, r->retry_until) == -1 ||
			buf_puts(b, "\r\n") == -1))
			return -1;
		if (buf_puts(b, "\r\n") == -1)
			return -1;
	}
	if (d->kind == DSN_FAILURE) {
		if (buf_puts(b,
			"What you can do: check each address above for typing "
			"mistakes and send\r\n"
			"the message again to the corrected addresses.  If an "
			"address is right,\r\n"
			"the server's words above say why it refused; the "
			"recipient may be able\r\n"
			"to help by other means (a phone call, another "
			"address).\r\n\r\n") == -1)
			return -1;
	} else if (d->kind == DSN_DELAY &&
	    buf_puts(b,
		"What you can do: nothing for now.  If the message "
		"still cannot be\r\n"
		"delivered when the time above has passed, you will "
		"get another report.\r\n\r\n") == -1)
		return -1;
	if (buf_puts(b,
		full ? "A copy of your message is attached below."
		       "\r\n\r\n"
		     : "The header of your message is attached below."
		       "\r\n\r\n") == -1)
		return -1;
	if (buf_puts(b, "This report was written by the mail system at ") ==
		-1 ||
	    buf_puts(b, d->host) == -1 || buf_puts(b, ".\r\n") == -1)
		return -1;
	return 0;
}

static int
put_human(struct buf *b, const struct dsn *d, int full)
{
	struct buf t;
	int rc;

	buf_init(&t, 0);
	rc = put_human1(b, d, full, &t);
	buf_free(&t);
	return rc;
}

/* The remote MTA's host name out of "host[addr]" (RFC 3464 §2.3.5:
   Remote-MTA: dns; host), "" when there is none. */
static void
relay_host(const char *relay, char *out, size_t outlen)
{
	size_t n;

	out[0] = '\0';
	if (relay == NULL)
		return;
	n = strcspn(relay, "[ \t\r\n");
	if (n == 0 || n >= outlen || n > SMTP_DOMAIN_MAX)
		return;
	memcpy(out, relay, n);
	out[n] = '\0';
}

/* The machine-readable part (RFC 3464 §2.2, §2.3). */
static int
put_status(struct buf *b, const struct dsn *d, int global)
{
	const struct dsn_rcpt *r;
	char v[SMTP_ORCPT_MAX + 64], st[16], host[SMTP_DOMAIN_MAX + 1];
	struct buf t;
	size_t i;
	int ascii = !global;

	buf_init(&t, 0);
	/* §2.2.2: Reporting-MTA: dns; our host. */
	if (buf_puts(&t, "dns; ") == -1 || buf_puts(&t, d->host) == -1 ||
	    put_field(b, "Reporting-MTA", t.data) == -1)
		goto fail;
	/* §2.2.1: the ENVID as the sender gave it (decoded xtext). */
	if (d->envid != NULL && d->envid[0] != '\0') {
		buf_reset(&t);
		if (put_clean(&t, d->envid, SMTP_ENVID_MAX, 1) == -1 ||
		    (t.len > 0 &&
			put_field(b, "Original-Envelope-Id", t.data) == -1))
			goto fail;
	}
	if (d->arrival != 0) {
		buf_reset(&t);
		if (put_date(&t, d->arrival) == -1 ||
		    put_field(b, "Arrival-Date", t.data) == -1)
			goto fail;
	}
	for (i = 0; i < d->nr; i++) {
		r = &d->r[i];
		if (!reported(d, r))
			continue;
		if (buf_puts(b, "\r\n") == -1)
			goto fail;
		/* §2.3.1 (RFC 3461 §4.2): only when ORCPT was given. */
		if (orcpt_value(r->orcpt, v, sizeof(v)) &&
		    (global || addr_ascii(v))) {
			buf_reset(&t);
			if (put_clean(&t, v, sizeof(v), ascii) == -1 ||
			    put_field(b, "Original-Recipient", t.data) == -1)
				goto fail;
		}
		/* §2.3.2; RFC 6533 §3: utf-8 for a non-ASCII address. */
		buf_reset(&t);
		if (buf_puts(&t,
			addr_ascii(r->addr) ? "rfc822; " : "utf-8; ") == -1 ||
		    put_clean(&t, r->addr, SMTP_PATH_MAX, ascii) == -1 ||
		    put_field(b, "Final-Recipient", t.data) == -1)
			goto fail;
		/* §2.3.3, §2.3.4. */
		if (put_field(b, "Action",
			r->action == DSN_ACT_FAILED	     ? "failed"
			    : r->action == DSN_ACT_DELAYED   ? "delayed"
			    : r->action == DSN_ACT_DELIVERED ? "delivered"
							     : "relayed") == -1)
			goto fail;
		rcpt_status(r, st, sizeof(st));
		if (put_field(b, "Status", st) == -1)
			goto fail;
		/* §2.3.5. */
		relay_host(r->relay, host, sizeof(host));
		if (host[0] != '\0') {
			buf_reset(&t);
			if (buf_puts(&t, "dns; ") == -1 ||
			    put_clean(&t, host, sizeof(host), 1) == -1 ||
			    put_field(b, "Remote-MTA", t.data) == -1)
				goto fail;
		}
		/* §2.3.6: the SMTP reply that decided, as it came. */
		if (r->code >= 200 && r->code <= 599 && r->reply != NULL) {
			buf_reset(&t);
			if (buf_printf(&t, "smtp; ") == -1 ||
			    (!starts_code(r->reply, r->code) &&
				buf_printf(&t, "%d ", r->code) == -1) ||
			    put_clean(&t, r->reply, DSN_TEXT_MAX, ascii) ==
				-1 ||
			    put_field(b, "Diagnostic-Code", t.data) == -1)
				goto fail;
		}
		/* §2.3.7, §2.3.9. */
		if (r->last_attempt != 0) {
			buf_reset(&t);
			if (put_date(&t, r->last_attempt) == -1 ||
			    put_field(b, "Last-Attempt-Date", t.data) == -1)
				goto fail;
		}
		if (r->action == DSN_ACT_DELAYED && r->retry_until != 0) {
			buf_reset(&t);
			if (put_date(&t, r->retry_until) == -1 ||
			    put_field(b, "Will-Retry-Until", t.data) == -1)
				goto fail;
		}
	}
	buf_free(&t);
	return 0;
fail:
	buf_free(&t);
	return -1;
}

static int
from_ok(const char *from)
{
	size_t i;

	if (from == NULL || from[0] == '\0' || strcmp(from, "<>") == 0 ||
	    strlen(from) > SMTP_PATH_MAX)
		return 0;
	for (i = 0; from[i] != '\0'; i++)
		if ((unsigned char)from[i] < 0x21 || from[i] == 0x7f ||
		    from[i] == '<' || from[i] == '>')
			return 0;
	return util_utf8_valid(from, strlen(from));
}

int
dsn_write(const struct dsn *d, int msgfd, off_t off, uint64_t size, int outfd,
    unsigned *needs, char *err, size_t errlen)
{
	struct scan *s = NULL;
	struct buf b, part;
	char boundary[2 + DSN_BASE_MAX + 3], token[DSN_TOKEN_MAX + 1];
	unsigned char *chunk = NULL;
	struct out o;
	size_t i;
	int global = 0, full, eight = 0, rc = -1;
	int64_t now;

	if (needs != NULL)
		*needs = 0;
	/* RFC 3461 §6.1, RFC 5321 §4.5.5: never a report to <>. */
	if (d->from == NULL || d->from[0] == '\0' || strcmp(d->from, "<>") == 0)
		return fail(err, errlen, EINVAL,
		    "no report to the null sender <> (RFC 5321 4.5.5)");
	if (!from_ok(d->from))
		return fail(err, errlen, EINVAL, "the sender is no address");
	if (d->host == NULL || !smtp_domain_valid(d->host, strlen(d->host), 0))
		return fail(err, errlen, EINVAL, "no valid host name");
	if (d->kind != DSN_FAILURE && d->kind != DSN_DELAY &&
	    d->kind != DSN_SUCCESS)
		return fail(err, errlen, EINVAL, "no such kind of report");
	if (dsn_count(d) == 0)
		return fail(err, errlen, ENOENT,
		    "no recipient asked for this report (NOTIFY)");
	for (i = 0; i < d->nr; i++) {
		char v[SMTP_ORCPT_MAX + 64];

		if (!reported(d, &d->r[i]))
			continue;
		if (!addr_ascii(d->r[i].addr) ||
		    (orcpt_value(d->r[i].orcpt, v, sizeof(v)) &&
			!addr_ascii(v)))
			global = 1;
	}
	now = d->now != 0 ? d->now : (int64_t)time(NULL);

	buf_init(&b, 0);
	buf_init(&part, 0);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		oom(err, errlen);
		goto out;
	}
	buf_init(&s->hdr, DSN_HEADER_MAX);
	if (scan_original(d, msgfd, off, size, s, boundary, sizeof(boundary),
		err, errlen) == -1)
		goto out;
	/* RFC 3461 §4.3: RET says what "any failed DSN" returns: FULL the
	   whole, HDRS the header; no RET, our choice: the whole when
	   small.  Delay and success reports return the header.  The whole
	   only when it can go as it is (RFC 2046 §5.2.1: message/rfc822
	   is 7bit or 8bit: lines, no NUL, no bare CR or LF, RFC 5322
	   §2.1.1 lengths). */
	full = d->kind == DSN_FAILURE &&
	    (d->ret == SMTP_RET_FULL ||
		(d->ret == SMTP_RET_NONE && size <= DSN_FULL_MAX)) &&
	    !s->nul && !s->barecr && !s->barelf && s->maxline <= MSG_LINE_MAX;

	/* The header of the report. */
	if (buf_printf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
		d->host) == -1 ||
	    buf_puts(&b, "To: <") == -1 || buf_puts(&b, d->from) == -1 ||
	    buf_puts(&b, ">\r\n") == -1 ||
	    put_field(&b, "Subject",
		d->kind == DSN_FAILURE ? "Undelivered Mail Returned to Sender"
		    : d->kind == DSN_DELAY
		    ? "Delayed Mail (still being retried)"
		    : "Successful Mail Delivery Report") == -1 ||
	    buf_puts(&b, "Date: ") == -1 || put_date(&b, now) == -1)
		goto nomem;
	make_token(d->token, token, sizeof(token));
	if (buf_printf(&b, "\r\nMessage-ID: <%lld.%08x.%s.dsn@%s>\r\n",
		(long long)now, (unsigned)util_random(), token,
		d->host) == -1 ||
	    /* RFC 3834 §5: a report made by a machine. */
	    buf_puts(&b,
		"Auto-Submitted: auto-replied\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; "
		"report-type=delivery-status;\r\n"
		"\tboundary=\"") == -1 ||
	    buf_puts(&b, boundary) == -1 ||
	    buf_puts(&b,
		"\"\r\n\r\n"
		"This is a MIME-encapsulated message.\r\n\r\n") == -1)
		goto nomem;
	/* 1: for a person. */
	if (put_human(&part, d, full) == -1)
		goto nomem;
	eight |= has8(part.data, part.len);
	if (buf_printf(&b,
		"--%s\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: %s\r\n"
		"Content-Description: Notification\r\n\r\n",
		boundary, has8(part.data, part.len) ? "8bit" : "7bit") == -1 ||
	    buf_append(&b, part.data, part.len) == -1)
		goto nomem;
	/* 2: for a machine. */
	buf_reset(&part);
	if (put_status(&part, d, global) == -1)
		goto nomem;
	eight |= has8(part.data, part.len);
	if (buf_printf(&b,
		"\r\n--%s\r\n"
		"Content-Type: message/%sdelivery-status\r\n"
		"%s"
		"Content-Description: Delivery report\r\n\r\n",
		boundary, global ? "global-" : "",
		has8(part.data, part.len)
		    ? "Content-Transfer-Encoding: 8bit\r\n"
		    : "") == -1 ||
	    buf_append(&b, part.data, part.len) == -1)
		goto nomem;
	/* 3: the original (RFC 6522 §3, RFC 6533 §6.3, §6.4). */
	if (full)
		eight |= s->eight;
	else
		eight |= s->h8;
	if (buf_printf(&b,
		"\r\n--%s\r\n"
		"Content-Type: %s\r\n"
		"Content-Transfer-Encoding: %s\r\n"
		"Content-Description: %s\r\n\r\n",
		boundary,
		full ? (d->smtputf8 ? "message/global" : "message/rfc822")
		     : (d->smtputf8 ? "message/global-headers"
				    : "text/rfc822-headers"),
		(full ? s->eight : s->h8) ? "8bit" : "7bit",
		d->kind == DSN_SUCCESS ? "Message Headers"
		: full		       ? "Undelivered Message"
				       : "Undelivered Message Headers") ==
	    -1)
		goto nomem;
	if (util_write_all(outfd, b.data, b.len) == -1)
		goto wfail;
	if (full) {
		if ((chunk = malloc(DSN_CHUNK)) == NULL)
			goto nomem;
		o.fd = outfd;
		if (read_range(msgfd, off, size, chunk, write_cb, &o, err,
			errlen) == -1)
			goto out;
	} else if (util_write_all(outfd, s->hdr.data, s->hdr.len) == -1)
		goto wfail;
	buf_reset(&b);
	if (buf_printf(&b, "\r\n--%s--\r\n", boundary) == -1)
		goto nomem;
	if (util_write_all(outfd, b.data, b.len) == -1)
		goto wfail;
	if (needs != NULL) {
		if (eight)
			*needs |= DSN_NEED_8BITMIME;
		/* RFC 6531 §3.2: a UTF-8 address in the envelope, or
		   UTF-8 in headers (those of message/global). */
		if (!addr_ascii(d->from) || (d->smtputf8 && eight))
			*needs |= DSN_NEED_SMTPUTF8 | DSN_NEED_8BITMIME;
	}
	rc = 0;
	goto out;
nomem:
	oom(err, errlen);
	goto out;
wfail : {
	int e = errno;

	util_seterr(err, errlen, "dsn: writing the report: %s", strerror(e));
	errno = e;
}
out:
	if (s != NULL)
		buf_free(&s->hdr);
	free(s);
	free(chunk);
	buf_free(&b);
	buf_free(&part);
	return rc;
}
