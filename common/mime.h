/*
 * mime.h: the MIME structure of a message (RFC 2045, RFC 2046), as the
 * IMAP server and SEARCH need it: the part tree with offsets and wire
 * sizes, section addressing (RFC 3501 §6.4.5, RFC 9051 §6.4.5),
 * ENVELOPE and BODY/BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2),
 * and decoding (RFC 2047 words, base64, quoted-printable, charsets) for
 * SEARCH and display.
 *
 * A pure library: no I/O, no printing, no exit.  Input is a whole
 * message in memory, with LF or CRLF line ends, or both mixed.  The
 * parse never fails on malformed input (only on memory): like Dovecot,
 * a part whose boundary never comes extends to the end, a part without
 * a valid Content-Type is text/plain; charset=us-ascii (RFC 2045 §5.2),
 * and the limits of bounds.h (MIME_DEPTH_MAX, MIME_PARTS_MAX, the
 * header size of msg.h) turn what lies past them into opaque leaves.
 *
 * Sizes.  Every size here is an IMAP size: octets as they go on the wire,
 * with every line end a CRLF.  A stored LF that has no CR before it
 * counts two octets; a CRLF counts two; a lone CR is an ordinary octet
 * (as Dovecot counts).  A file stored with LF line ends and the same
 * file with CRLF give identical sizes, line counts and BODYSTRUCTUREs.
 * Lines are the LFs in the range (RFC 3501 body-fld-lines), so a last
 * line without a line end is not counted.
 *
 * A message/rfc822 part is parsed as a message whatever its transfer
 * encoding claims (RFC 2046 §5.2.1 allows only 7bit, 8bit, binary).
 * Content-* fields count without MIME-Version (as Dovecot by default).
 *
 * The header of a part is scanned with msg.h's scanner: it ends at the
 * empty line, at the first line that cannot be a header line, or at a
 * boundary line of an enclosing multipart.  The line end before a
 * boundary line belongs to the boundary (RFC 2046 §5.1.1), not to the
 * part before it.  Boundary lines match by prefix, the longest of the
 * open boundaries winning, as in Dovecot's message parser.
 *
 * The caller owns every struct.  struct mime_msg points into the
 * message it was parsed from, which must outlive it.
 */
#ifndef YUBIN_MIME_H
#define YUBIN_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "msg.h"

/* A Content-Type or Content-Disposition parameter. */
struct mime_param {
	const char *name;  /* as written; "name*" for an RFC 2231 extended
			    * value, continuations (name*0, name*1...) joined */
	const char *value; /* unquoted; an extended value stays encoded
			    * ("charset'lang'%XX..."), as IMAP shows it */
};

enum mime_kind {
	MIME_LEAF = 0,	/* a body of its own */
	MIME_MULTIPART, /* children are the body parts */
	MIME_MESSAGE	/* message/rfc822 or message/global: one child, the
			 * encapsulated message (its header and body) */
};

/* Content-Transfer-Encoding (RFC 2045 §6.1). */
enum mime_cte {
	MIME_CTE_7BIT = 0, /* also when absent or invalid */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_OTHER /* a token we do not know: decoded as is */
};

/* struct mime_part flags. */
#define MIME_P_TEXT 0x01    /* text/ media type (or the default): lines */
#define MIME_P_DEFAULT 0x02 /* no valid Content-Type: the default type */
#define MIME_P_OPAQUE 0x04  /* a multipart or message not parsed (no
			     * boundary, MIME_DEPTH_MAX, MIME_PARTS_MAX):
			     * shown as application/octet-stream */
#define MIME_P_BLANK 0x08   /* the header ended with an empty line */

struct mime_part {
	struct mime_part *parent;
	struct mime_part *child; /* first child */
	struct mime_part *next;	 /* next sibling */
	size_t nchild;
	unsigned int depth; /* the root is 0 */
	enum mime_kind kind;
	unsigned int flags; /* MIME_P_* */
	enum mime_cte cte;

	/* Where the part lies in the message (raw offsets and lengths).
	 * The header includes the empty line ending it. */
	size_t hdr_off, hdr_len;
	size_t body_off, body_len;
	/* Octets on the wire (CRLF line ends) and lines (LFs). */
	size_t hdr_size, hdr_lines;
	size_t body_size, body_lines;

	/* Content-* fields, the first of each name; NULL when absent.
	 * Values are unfolded and trimmed, NULs replaced by 0x80. */
	const char *type, *subtype; /* as written; NULL: MIME_P_DEFAULT */
	struct mime_param *params;
	size_t nparams;
	const char *encoding; /* the Content-Transfer-Encoding token */
	const char *id, *description, *md5, *location;
	const char *disposition;
	struct mime_param *dparams;
	size_t ndparams;
	const char **language;
	size_t nlanguage;
	const char *boundary; /* a multipart's, cut to MIME_BOUNDARY_MAX */
};

/* struct mime_msg flags: a limit was reached, some structure is opaque. */
#define MIME_M_DEPTH 0x01 /* MIME_DEPTH_MAX */
#define MIME_M_PARTS 0x02 /* MIME_PARTS_MAX */
#define MIME_M_HEADER 0x04 /* a header past msg.h's bounds: fields lost */

struct mime_chunk;

struct mime_msg {
	const char *p; /* the message: not owned */
	size_t len;
	size_t size; /* RFC822.SIZE: the whole message on the wire */
	struct mime_part *root;
	size_t nparts;
	unsigned int flags; /* MIME_M_* */
	struct mime_chunk *arena; /* private */
};

/*
 * Parse the message p[0..len).  0, or -1 with errno ENOMEM (m is then
 * empty, mime_free still fine).  Any bytes are a message.
 */
int mime_parse(struct mime_msg *m, const char *p, size_t len);
void mime_free(struct mime_msg *m);

/* The value of parameter name (ASCII case-insensitive, plain names only:
 * continuations are joined already), or NULL. */
const char *mime_param(const struct mime_param *params, size_t n,
    const char *name);
/*
 * The value of parameter name as UTF-8: an RFC 2231 extended "name*" is
 * %-decoded and converted from its charset; else the plain value, and
 * RFC 2047 words in it decoded (mailers do put them there).  1 when
 * found (appended to out), 0 when not, -1 (errno from buf).
 */
int mime_param_utf8(const struct mime_param *params, size_t n,
    const char *name, struct buf *out);

/*
 * Walk the header fields of part pt (its own header: for the root, the
 * message header; for a message/rfc822 part, the MIME header of the
 * part, its child holds the encapsulated header).  cb gets each field
 * (unfolded, as msg.h gives it) and its raw extent p[off..end) with its
 * line ends; a non-zero return stops the walk and is returned.  0, or
 * -1 (ENOMEM).
 */
typedef int (*mime_field_cb)(void *arg, const struct msg_field *f,
    size_t off, size_t end);
int mime_header_walk(const struct mime_msg *m, const struct mime_part *pt,
    mime_field_cb cb, void *arg);

/* ------------------------------------------------------------ sections */

enum mime_sec {
	MIME_SEC_BODY = 0,   /* "" (whole message) or "1.2" (a part body) */
	MIME_SEC_HEADER,     /* [part.]HEADER */
	MIME_SEC_FIELDS,     /* [part.]HEADER.FIELDS (names) */
	MIME_SEC_FIELDS_NOT, /* [part.]HEADER.FIELDS.NOT (names) */
	MIME_SEC_TEXT,	     /* [part.]TEXT */
	MIME_SEC_MIME	     /* part.MIME */
};

/* Part numbers a section may name: one per level of nesting. */
#define MIME_SECTION_PARTS_MAX (MIME_DEPTH_MAX + 1)

struct mime_section {
	uint32_t part[MIME_SECTION_PARTS_MAX];
	size_t npart;
	int beyond; /* more or larger numbers than kept: no such part */
	enum mime_sec what;
	size_t nfields;
	struct buf fields; /* the names, each followed by a NUL */
};

/*
 * Parse a section-spec, the text between "[" and "]" of BODY[...]:
 * "", "1.2.3", "HEADER", "1.TEXT", "3.MIME", "HEADER.FIELDS (From To)",
 * "2.HEADER.FIELDS.NOT (\"X-A\" b)" (keywords in any case; names are
 * atoms or quoted strings; at most MIME_FIELDS_MAX).  0, or -1 with
 * errno EINVAL (not the grammar of RFC 3501 §9: the server says BAD),
 * EMSGSIZE (too many names) or ENOMEM.  mime_section_free after
 * either.
 */
int mime_section_parse(struct mime_section *s, const char *spec, size_t len);
void mime_section_free(struct mime_section *s);

/* The part a path of numbers names (RFC 3501 §6.4.5: for a message that
 * is not multipart, "1" is the message itself; a number under a
 * message/rfc822 part counts in the encapsulated message), or NULL. */
const struct mime_part *mime_part_find(const struct mime_msg *m,
    const uint32_t *path, size_t n);

struct mime_span {
	size_t off, len; /* raw bytes of the message */
	size_t size;	 /* their size on the wire (CRLF) */
};

/*
 * Where section s lies: 1 and *sp for a range of the message (convert it
 * with mime_wire_copy); 0 when the section is built (HEADER.FIELDS and
 * .NOT: use mime_fetch); -1 with errno ENOENT when the part does not
 * exist, or HEADER/TEXT name a part that is not message/rfc822 (the
 * server answers NIL, or "" as Dovecot does).
 */
int mime_section_span(const struct mime_msg *m, const struct mime_section *s,
    struct mime_span *sp);

/* mime_fetch / mime_wire_copy flags. */
#define MIME_F_KEEP_NUL 0x01 /* keep NULs (BINARY); default: NUL -> 0x80,
			      * as IMAP literals allow no NUL (RFC 3501 §4.3;
			      * Dovecot does the same) */

/*
 * Append section s of m to out as it goes on the wire: CRLF line ends,
 * NULs as 0x80, cut to the partial <start.count> (count UINT64_MAX: the
 * rest).  HEADER.FIELDS[.NOT] gives the selected fields in message
 * order, with their folding, then the empty line when the header had
 * one (RFC 3501 §6.4.5).  0, or -1 with errno ENOENT (as
 * mime_section_span), ENOMEM or EMSGSIZE (from out).
 */
int mime_fetch(const struct mime_msg *m, const struct mime_section *s,
    uint64_t start, uint64_t count, unsigned int flags, struct buf *out);

/* Cut the partial <start.count> out of size octets (RFC 3501 §6.4.5: a
 * start past the end gives an empty string). */
void mime_partial(size_t size, uint64_t start, uint64_t count, size_t *off,
    size_t *len);

/*
 * Append the wire form of raw bytes p[0..n) (which begin at a line
 * start), cut to wire octets [vstart, vstart + vcount).  0 or -1 (errno
 * from buf).
 */
int mime_wire_copy(struct buf *out, const char *p, size_t n, size_t vstart,
    size_t vcount, unsigned int flags);
/* The wire size and line count of raw bytes p[0..n). */
size_t mime_wire_size(const char *p, size_t n, size_t *lines);

/* ------------------------------------------------- ENVELOPE, BODYSTRUCTURE */

/*
 * Append an IMAP nstring: NIL for s == NULL; a quoted string when s is
 * short 7-bit text without CR, LF or NUL; else a literal {n}\r\n with
 * NULs as 0x80.  The one place yubin's mime writes IMAP strings (to
 * become common/imap's writer).  0 or -1 (errno from buf).
 */
int mime_imap_nstring(struct buf *out, const char *s, size_t n);

/*
 * Append the ENVELOPE of an entity with a message header (the root, or
 * the child of a MIME_MESSAGE part) as a parenthesized list:
 * (date subject from sender reply-to to cc bcc in-reply-to message-id).
 * Strings are the raw field values (RFC 2047 words kept), the first
 * field of each name; sender and reply-to default to from (RFC 3501
 * §7.4.2).  Addresses follow RFC 5322 §3.4 and the obsolete forms of §4.4
 * leniently, as Dovecot: (name route mailbox host), a group as
 * (NIL NIL "name" NIL) ... (NIL NIL NIL NIL), a missing local part or
 * domain as "MISSING_MAILBOX" / "MISSING_DOMAIN", a broken <...> as host
 * "SYNTAX_ERROR"; at most MSG_ADDR_MAX addresses a field.
 * 0 or -1 (errno from buf).
 */
int mime_envelope(const struct mime_msg *m, const struct mime_part *pt,
    struct buf *out);

/*
 * Append the BODYSTRUCTURE (extended != 0) or BODY of part pt (the root
 * for the message's) as a parenthesized list, as Dovecot writes it: the
 * media type as written (defaults "text" "plain"), text parts get
 * ("charset" "us-ascii") when they name no charset, the encoding
 * defaults to "7bit", sizes are wire sizes, a multipart without parts
 * shows one empty text/plain part.  Extension data: md5, disposition,
 * language, location (multiparts: parameters, disposition, language,
 * location).  0 or -1 (errno from buf).
 */
int mime_bodystructure(const struct mime_msg *m, const struct mime_part *pt,
    int extended, struct buf *out);

/* ------------------------------------------------------------ decoding */

/*
 * Decode a header value for display and SEARCH: RFC 2047 encoded words
 * (B and Q; utf-8, us-ascii, iso-8859-1 here, other charsets through
 * iconv(3)) become UTF-8; white space between two encoded words goes
 * (§6.2), and adjacent words of one charset are joined before their
 * bytes are converted (a character split over two words survives).  A
 * word in a charset we cannot convert stays as written.  Other bytes
 * are copied; invalid UTF-8 becomes U+FFFD, so the output is valid
 * UTF-8.  CR and LF (folding) become nothing.  0 or -1 (errno from buf).
 */
int mime_decode_words(const char *s, size_t n, struct buf *out);

/* Streaming base64 (RFC 2045 §6.8): characters outside the alphabet are
 * skipped, "=" ends a quantum (what follows is decoded on). */
struct mime_b64 {
	uint32_t acc;
	int bits;
};
void mime_b64_init(struct mime_b64 *st);
int mime_b64_feed(struct mime_b64 *st, const char *in, size_t n,
    struct buf *out);

/* Streaming quoted-printable (RFC 2045 §6.7): "=XX" (either case),
 * soft line breaks "=" [WSP] LF/CRLF (and a last "=": the line end
 * of a part's last line is its boundary's), trailing white space on a
 * line dropped (rule 3), a broken "=" kept as is.  Line ends are kept. */
#define MIME_QP_WSP_MAX 256 /* white space held while a line end may come */
struct mime_qp {
	int state;
	char hex;
	size_t nwsp;
	char wsp[MIME_QP_WSP_MAX];
};
void mime_qp_init(struct mime_qp *st);
int mime_qp_feed(struct mime_qp *st, const char *in, size_t n,
    struct buf *out);
int mime_qp_end(struct mime_qp *st, struct buf *out);

/* Decode a whole body of encoding cte (7bit, 8bit, binary, other: a
 * copy).  0 or -1 (errno from buf). */
int mime_decode_body(enum mime_cte cte, const char *in, size_t n,
    struct buf *out);

/*
 * Convert text in charset (RFC 2978 name, any case) to UTF-8.  us-ascii
 * and utf-8 are taken as UTF-8, iso-8859-1 is converted here, others
 * through iconv(3) when the system has it.  Invalid or unconvertible
 * bytes become U+FFFD.  0; 1 when the charset is unknown (the text was
 * copied as UTF-8, invalid bytes as U+FFFD); -1 (errno from buf).
 */
int mime_to_utf8(const char *charset, size_t clen, const char *in, size_t n,
    struct buf *out);

/*
 * The decoded text of a text/ part (or a default text/plain) as UTF-8:
 * its transfer encoding undone, its charset converted.  HTML stays
 * HTML.  1 when appended, 0 when pt is not a text part (nothing
 * appended), -1 (errno from buf).
 */
int mime_part_text(const struct mime_msg *m, const struct mime_part *pt,
    struct buf *out);

/*
 * Case folding for SEARCH (RFC 3501 §6.4.4: substring, case-insensitive).
 * Folded: ASCII A-Z; Latin-1 À-Þ (not ×) and µ to μ; Latin Extended-A
 * upper case letters to lower, ſ to s, Ÿ to ÿ; Greek Α-Ϋ and the
 * accented capitals, ς to σ; Cyrillic Ѐ-Я.  These are the simple
 * mappings of Unicode's CaseFolding.txt for those blocks; other scripts,
 * and full foldings (ß to ss, İ), are not folded.  No normalization
 * (NFC/NFD) either.  Invalid UTF-8 is copied byte for byte.
 */
int mime_fold(const char *s, size_t n, struct buf *out);
/* 1 when needle occurs in hay after folding both, else 0; -1 (ENOMEM).
 * The empty needle is in everything. */
int mime_match(const char *hay, size_t hn, const char *needle, size_t nn);

/* What mime_search looks in. */
#define MIME_S_BODY 0x01   /* SEARCH BODY: text of every text/ part */
#define MIME_S_HEADER 0x02 /* the message header, decoded, "Name: value"
			    * a line; with BODY that is SEARCH TEXT */
/* 1 when needle is in the decoded text of m, 0 when not, -1 (ENOMEM). */
int mime_search(const struct mime_msg *m, unsigned int where,
    const char *needle, size_t nn);
/* SEARCH HEADER/SUBJECT/FROM...: 1 when a field of the message header
 * named field (any case) holds needle in its decoded value. */
int mime_search_header(const struct mime_msg *m, const char *field,
    const char *needle, size_t nn);

#endif
