/*
 * imap.h: the IMAP grammar once (RFC 3501 §9, RFC 9051 §9), shared by
 * `mimap serve' and the `mimap' client.  A pure codec: it parses bytes
 * given as (pointer, length) and encodes into a struct buf; it does no
 * I/O and keeps no state outside the structs the caller owns.
 *
 *   imap.c        the parser: commands (server side) and response lines
 *                 (client side) as a tree of values, literals included;
 *                 the command and response-code tables
 *   imap_value.c  values read as astring, nstring, number, flag
 *   imap_enc.c    writing: atom / quoted / literal chosen per string,
 *                 mailbox names, status lines
 *   imap_date.c   date and date-time (RFC 3501 §9)
 *   imap_seq.c    sequence sets (RFC 3501 §9, RFC 5182 "$")
 *   imap_utf7.c   modified UTF-7 mailbox names (RFC 3501 §5.1.3), UTF-8
 *
 * Every parser is total: it never reads past the length it is given,
 * returns an error for anything malformed, and is bounded by the limits
 * in bounds.h (IMAP_*).
 *
 * ------------------------------------------------------------------
 * Reading a command or a response: literals
 *
 * IMAP lines may continue after literals: a line ending in "{n}" CRLF
 * (synchronizing), "{n+}" CRLF (non-synchronizing, RFC 7888) or
 * "~{n}" CRLF (literal8, RFC 3516) is followed by n octets and then the
 * rest of the command, which may hold more literals.  The caller owns
 * one buffer for the command; it appends one line (with its CRLF) and
 * calls imap_parse() on the whole buffer, which starts with the command
 * (after IMAP_PARSE_OK, the caller drops p->used octets before it reads
 * the next one: a client may have sent more).  The parser is resumable:
 * it keeps its place in struct imap_parser, so each call only looks at
 * the bytes appended since the last one (the buffer may move between
 * calls, as a struct buf does when it grows, but what it held must not
 * change).  imap_parse() returns
 *
 *   IMAP_PARSE_OK            the command is complete: p->used octets of
 *                            the buffer (through the final CRLF).
 *   IMAP_PARSE_NEED_LITERAL  the buffer ends just after a literal
 *                            header; p->lit says its size and kind.
 *                            A server answers "+ Ready" for a
 *                            synchronizing one.  Then the caller either
 *                              - appends the p->lit.size octets and the
 *                                next line and calls imap_parse() again
 *                                (the literal is "held": it lives in the
 *                                buffer and the value points into it), or
 *                              - reads the octets somewhere else (a
 *                                spool file), calls imap_parser_take(),
 *                                appends only the next line and calls
 *                                imap_parse() again; the literal's value
 *                                then has IMAP_VF_TAKEN, s NULL, len its
 *                                size and lit_index its number in the
 *                                command, for the caller to find it.
 *   IMAP_PARSE_INCOMPLETE    no CRLF yet, or a held literal's octets are
 *                            not all there: append more and call again.
 *   < 0                      an error (imap_parse_text() words it).
 *
 * Large literals are never forced into memory: p->lit.message is 1 when
 * the literal is a message (APPEND's message, CATENATE's TEXT and
 * UTF8's literal8 (RFC 3502, RFC 4469, RFC 6855) on the server;
 * BODY[...], BINARY[...] and RFC822* data of a FETCH response on the
 * client), and such a literal is not bounded by literal_max: the
 * caller applies its own limit (APPENDLIMIT, RFC 7889) and streams it
 * with imap_parser_take() when it is large; p->lit.fits says whether
 * holding it would stay within the parser's bounds.  Any other literal
 * above literal_max (or a non-synchronizing one above nonsync_max)
 * fails with IMAP_PARSE_LITERAL_BIG and p->lit filled in: a server
 * answers BAD and, for a non-synchronizing literal, reads and drops its
 * octets (RFC 7888 §4) before it reads the next command.  After any
 * other error on a line that ends in a literal header,
 * imap_line_literal() tells the caller what to skip.
 *
 * A server's loop:
 *
 *	imap_parser_init(&p, IMAP_MODE_COMMAND);
 *	for each command:
 *		imap_parser_reset(&p); buf_reset(&cmd);
 *		read a line into cmd, CRLF included;
 *		while ((rc = imap_parse(&p, cmd.data, cmd.len)) > 0) {
 *			if (rc == IMAP_PARSE_NEED_LITERAL) {
 *				if (p.lit.message && (big || !p.lit.fits))
 *					spool p.lit.size octets,
 *					    imap_parser_take(&p);
 *				else
 *					(after "+ Ready" when p.lit.sync)
 *					append p.lit.size octets;
 *			}
 *			append the next line;
 *		}
 *		rc == IMAP_PARSE_OK: dispatch on p.verb with p.args;
 *		else: "tag BAD imap_parse_text(rc)" (or "* BAD" when no tag).
 *
 * A client's loop is the same with IMAP_MODE_RESPONSE; p.resp says what
 * kind of response line it was.
 */
#ifndef YUBIN_IMAP_H
#define YUBIN_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"

/* ---------------------------------------------------------------- values */

enum imap_type {
	IMAP_ATOM = 0,	/* a bare word: atom, astring, flag, sequence set,
			   "BODY[1.2]<0.10>" */
	IMAP_NUMBER,	/* a word of digits below 2^63 (num holds it) */
	IMAP_NIL,	/* the word NIL, any case (an astring "NIL" too) */
	IMAP_QUOTED,	/* a quoted string, s its content unescaped */
	IMAP_LITERAL,	/* a literal, s its octets (NULL when taken) */
	IMAP_LIST	/* a parenthesized list */
};

/* imap_value.flags */
#define IMAP_VF_JOINED	0x01	/* followed ")" with no space: "...)(" in
				   BODYSTRUCTURE, "(FROM)]" ending a
				   BODY[HEADER.FIELDS (FROM)] section */
#define IMAP_VF_TAKEN	0x02	/* literal read by the caller elsewhere */
#define IMAP_VF_BINARY	0x04	/* literal8 "~{n}" (RFC 3516) */
#define IMAP_VF_NONSYNC	0x08	/* "{n+}" (RFC 7888) */

struct imap_value {
	enum imap_type	 type;
	unsigned	 flags;		/* IMAP_VF_* */
	const char	*s;		/* the word, the unescaped quoted
					   content, the literal's octets; not
					   NUL-terminated */
	size_t		 len;		/* of s; a literal's size */
	uint64_t	 num;		/* IMAP_NUMBER: the value */
	size_t		 count;		/* IMAP_LIST: number of children */
	struct imap_value *child;	/* IMAP_LIST: the first child */
	struct imap_value *next;	/* the next value in the same list */
	size_t		 off;		/* where it starts in the buffer (a
					   literal: its first octet) */
	unsigned	 lit_index;	/* IMAP_LITERAL: 0 for the command's
					   first literal, 1 for the next... */
	/* private: where s lives until the buffer stops moving */
	size_t		 soff_;
	int		 spool_;
};

/* ---------------------------------------------------------------- parser */

enum imap_mode {
	IMAP_MODE_COMMAND = 0,	/* server: "tag SP command [SP args]" */
	IMAP_MODE_RESPONSE	/* client: "+ ...", "* ...", "tag OK ..." */
};

/* imap_parser.flags */
#define IMAP_PF_UTF8	0x01	/* quoted strings may hold UTF-8 (RFC 9051
				   §9 QUOTED-CHAR, RFC 6855 UTF8=ACCEPT);
				   it must be well formed */
#define IMAP_PF_8BIT	0x02	/* quoted strings and words may hold any
				   octet >= 0x80 (servers that send raw
				   8-bit headers in ENVELOPE) */
#define IMAP_PF_LAX	0x04	/* runs of spaces, and spaces before ")"
				   or the line end, are accepted */

/* Results of imap_parse; > 0: call again with more, < 0: an error. */
enum imap_parse_rc {
	IMAP_PARSE_OK = 0,
	IMAP_PARSE_NEED_LITERAL = 1,	/* p->lit says what comes next */
	IMAP_PARSE_INCOMPLETE = 2,	/* no CRLF yet / literal short */
	IMAP_PARSE_SYNTAX = -1,		/* not the grammar */
	IMAP_PARSE_TAG = -2,		/* no valid tag (reply "* BAD") */
	IMAP_PARSE_COMMAND = -3,	/* no valid command name */
	IMAP_PARSE_CHAR = -4,		/* NUL, control, bare CR or LF */
	IMAP_PARSE_8BIT = -5,		/* 8-bit octet where not allowed */
	IMAP_PARSE_QUOTED = -6,		/* unterminated quoted string or a
					   "\" before other than "\" or '"' */
	IMAP_PARSE_LITERAL = -7,	/* malformed literal header */
	IMAP_PARSE_LITERAL_BIG = -8,	/* literal over the bound; p->lit */
	IMAP_PARSE_DEPTH = -9,		/* lists nested too deep */
	IMAP_PARSE_ITEMS = -10,		/* too many values */
	IMAP_PARSE_TOOLONG = -11,	/* line (outside literals) too long */
	IMAP_PARSE_NOMEM = -12,		/* out of memory */
	IMAP_PARSE_MISUSE = -13		/* called again after an error or
					   after OK without a reset */
};

/* Commands (RFC 3501 §6, RFC 9051 §6 and the extensions named). */
enum imap_verb {
	IMAP_CMD_NONE = 0,	/* not a known command */
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_NOOP,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTHENTICATE,
	IMAP_CMD_LOGIN,
	IMAP_CMD_ENABLE,	/* RFC 5161 */
	IMAP_CMD_SELECT,
	IMAP_CMD_EXAMINE,
	IMAP_CMD_CREATE,
	IMAP_CMD_DELETE,
	IMAP_CMD_RENAME,
	IMAP_CMD_SUBSCRIBE,
	IMAP_CMD_UNSUBSCRIBE,
	IMAP_CMD_LIST,
	IMAP_CMD_LSUB,
	IMAP_CMD_NAMESPACE,	/* RFC 2342 */
	IMAP_CMD_STATUS,
	IMAP_CMD_APPEND,
	IMAP_CMD_IDLE,		/* RFC 2177 */
	IMAP_CMD_ID,		/* RFC 2971 */
	IMAP_CMD_NOTIFY,	/* RFC 5465 */
	IMAP_CMD_CHECK,
	IMAP_CMD_CLOSE,
	IMAP_CMD_UNSELECT,	/* RFC 3691 */
	IMAP_CMD_EXPUNGE,
	IMAP_CMD_SEARCH,
	IMAP_CMD_FETCH,
	IMAP_CMD_STORE,
	IMAP_CMD_COPY,
	IMAP_CMD_MOVE,		/* RFC 6851 */
	IMAP_CMD_SORT,		/* RFC 5256 */
	IMAP_CMD_THREAD,	/* RFC 5256 */
	IMAP_CMD_UID_EXPUNGE,	/* RFC 4315 */
	IMAP_CMD_UID_SEARCH,
	IMAP_CMD_UID_FETCH,
	IMAP_CMD_UID_STORE,
	IMAP_CMD_UID_COPY,
	IMAP_CMD_UID_MOVE,
	IMAP_CMD_UID_SORT,
	IMAP_CMD_UID_THREAD
};

/* Status of a status response (RFC 3501 §7.1). */
enum imap_status {
	IMAP_ST_NONE = 0,	/* not a status response */
	IMAP_ST_OK,
	IMAP_ST_NO,
	IMAP_ST_BAD,
	IMAP_ST_PREAUTH,
	IMAP_ST_BYE
};

/* Response codes (RFC 3501 §7.1, RFC 9051 §7.1, RFC 4315, RFC 5530,
   RFC 7162 and others); IMAP_CODE_OTHER for any other atom. */
enum imap_code {
	IMAP_CODE_NONE = 0,
	IMAP_CODE_OTHER,
	IMAP_CODE_ALERT,
	IMAP_CODE_ALREADYEXISTS,
	IMAP_CODE_APPENDUID,
	IMAP_CODE_AUTHENTICATIONFAILED,
	IMAP_CODE_AUTHORIZATIONFAILED,
	IMAP_CODE_BADCHARSET,
	IMAP_CODE_CANNOT,
	IMAP_CODE_CAPABILITY,
	IMAP_CODE_CLIENTBUG,
	IMAP_CODE_CLOSED,
	IMAP_CODE_CONTACTADMIN,
	IMAP_CODE_COPYUID,
	IMAP_CODE_CORRUPTION,
	IMAP_CODE_EXPIRED,
	IMAP_CODE_EXPUNGEISSUED,
	IMAP_CODE_HASCHILDREN,
	IMAP_CODE_HIGHESTMODSEQ,
	IMAP_CODE_INUSE,
	IMAP_CODE_LIMIT,
	IMAP_CODE_MODIFIED,
	IMAP_CODE_NOMODSEQ,
	IMAP_CODE_NONEXISTENT,
	IMAP_CODE_NOPERM,
	IMAP_CODE_OVERQUOTA,
	IMAP_CODE_PARSE,
	IMAP_CODE_PERMANENTFLAGS,
	IMAP_CODE_PRIVACYREQUIRED,
	IMAP_CODE_READ_ONLY,
	IMAP_CODE_READ_WRITE,
	IMAP_CODE_SERVERBUG,
	IMAP_CODE_TOOBIG,
	IMAP_CODE_TRYCREATE,
	IMAP_CODE_UIDNEXT,
	IMAP_CODE_UIDNOTSTICKY,
	IMAP_CODE_UIDVALIDITY,
	IMAP_CODE_UNAVAILABLE,
	IMAP_CODE_UNKNOWN_CTE,
	IMAP_CODE_UNSEEN
};

enum imap_resp_kind {
	IMAP_RESP_NONE = 0,
	IMAP_RESP_CONT,		/* "+ text" or "+ base64" */
	IMAP_RESP_UNTAGGED,	/* "* ..." */
	IMAP_RESP_TAGGED	/* "tag OK|NO|BAD ..." */
};

/* What a response line is, beside the values in p->args. */
struct imap_resp {
	enum imap_resp_kind kind;
	enum imap_status status;	/* of a status response */
	int		 has_number;	/* "* 12 EXISTS" */
	uint32_t	 number;
	const char	*name;		/* "EXISTS", "FETCH", "CAPABILITY",
					   "OK"; NULL for a continuation */
	size_t		 namelen;
	/* resp-text of a status response or a continuation: the code in
	   "[...]" and the text after it. */
	enum imap_code	 code;
	const char	*code_name;	/* "UIDVALIDITY", NULL when none */
	size_t		 code_namelen;
	const char	*code_arg;	/* what follows its name up to "]",
					   as sent; NULL when nothing */
	size_t		 code_arglen;
	/* code_arg as values when it is in the value grammar
	   ("(\Seen \*)", "3 1:4"), else NULL (free text). */
	struct imap_value *code_args;
	const char	*text;		/* after the code (a continuation's
					   base64 is here too); NULL but for
					   status and continuation */
	size_t		 textlen;
};

/* Kinds of literal header. */
struct imap_lit {
	uint64_t	 size;		/* octets */
	int		 sync;		/* "{n}": wait for "+" (server: send
					   it) before the octets */
	int		 binary;	/* "~{n}" (RFC 3516) */
	int		 message;	/* a message: see the top of the file */
	int		 fits;		/* holding it stays in the bounds */
	unsigned	 index;		/* its number in the command */
	size_t		 offset;	/* where its octets begin */
};

struct imap_chunk;

struct imap_parser {
	/* Set by imap_parser_init from the mode; a caller may lower them
	   (and set flags) before the first imap_parse. */
	enum imap_mode	 mode;
	unsigned	 flags;		/* IMAP_PF_* */
	size_t		 line_max;	/* octets outside literals, CRLFs
					   included */
	size_t		 items_max;	/* values in one command/response */
	size_t		 depth_max;	/* lists open at once */
	uint64_t	 literal_max;	/* a held literal that is not a
					   message */
	uint64_t	 nonsync_max;	/* a "{n+}" literal, 0: no bound but
					   literal_max */
	size_t		 held_max;	/* octets held for one command: its
					   lines and held literals */

	/* Results, valid after IMAP_PARSE_OK (and as far as parsed after
	   NEED_LITERAL or an error).  The strings point into the buffer
	   of the last imap_parse call (or the parser's own spool for
	   unescaped quoted strings): good while that buffer does not
	   move, and until the parser is reset or freed. */
	size_t		 used;		/* octets of the buffer taken */
	const char	*tag;		/* NULL for none ("*", "+") */
	size_t		 taglen;
	enum imap_verb	 verb;		/* command mode */
	const char	*verb_name;	/* as sent: "fetch", "uid fetch" */
	size_t		 verb_namelen;
	struct imap_value *args;	/* the first argument, NULL: none */
	size_t		 nargs;
	struct imap_resp resp;		/* response mode */
	struct imap_lit	 lit;		/* NEED_LITERAL, LITERAL_BIG */
	size_t		 err_off;	/* where an error was found */

	/* private */
	int		 state_;
	size_t		 scan_;		/* no CRLF before this offset */
	size_t		 tag_off_, verb_off_, name_off_, code_off_;
	size_t		 carg_off_, text_off_;
	const char	*base_;
	size_t		 pos_;
	size_t		 line_bytes_;
	size_t		 nitems_;
	unsigned	 nlits_;
	int		 expect_;
	int		 taken_;
	struct imap_value root_;
	struct imap_value *stack_[IMAP_LIST_DEPTH_MAX + 1];
	struct imap_value *last_[IMAP_LIST_DEPTH_MAX + 1];
	size_t		 depth_;
	struct imap_value *msglist_;	/* APPEND: CATENATE's or UTF8's list */
	int		 msgkind_;
	struct imap_chunk *rb_chunk_;	/* values rebased so far */
	size_t		 rb_used_;
	const char	*rb_base_, *rb_spool_;
	struct buf	 spool_;	/* unescaped quoted strings */
	struct imap_chunk *chunks_;
	struct imap_chunk *cur_;
};

/* Set up for a mode with the bounds of bounds.h; no memory yet. */
void	imap_parser_init(struct imap_parser *p, enum imap_mode mode);
/* Forget the last command, keep memory, bounds and flags. */
void	imap_parser_reset(struct imap_parser *p);
void	imap_parser_free(struct imap_parser *p);
/*
 * Parse the command or response line in buf[0..len) (see the top of
 * this file).  Returns an imap_parse_rc.
 */
int	imap_parse(struct imap_parser *p, const char *buf, size_t len);
/*
 * After IMAP_PARSE_NEED_LITERAL: the caller reads the literal's octets
 * itself and does not append them.  0, or -1 when no literal is
 * pending.
 */
int	imap_parser_take(struct imap_parser *p);
/* The text for an error: "unterminated quoted string". */
const char *imap_parse_text(int rc);

/*
 * Does this line (with or without its CRLF) end in a literal header?
 * 1 with *lit's size, sync and binary set, else 0.  For skipping what a
 * client sends after a command was refused.
 */
int	imap_line_literal(const char *line, size_t len, struct imap_lit *lit);

/* The command's name ("UID FETCH"); "" for IMAP_CMD_NONE. */
const char *imap_verb_name(enum imap_verb v);
/* The code's name ("READ-WRITE"); "" for NONE and OTHER. */
const char *imap_code_name(enum imap_code c);
/* "OK", "NO", ...; "" for NONE. */
const char *imap_status_name(enum imap_status s);

/* ---------------------------------------------------------------- values */

/*
 * RFC 3501 §9: ATOM-CHAR is any CHAR but "(" ")" "{" SP CTL "%" "*"
 * '"' "\" "]"; ASTRING-CHAR adds "]".  1 or 0 for an octet c.
 */
int	imap_atom_char(int c);
int	imap_astring_char(int c);
/* 1 when v is a word (atom, number or NIL) equal to name in any case. */
int	imap_is(const struct imap_value *v, const char *name);
/*
 * astring (RFC 3501 §9): a word of ASTRING-CHARs, or a string.  string:
 * quoted or literal.  nstring: a string or NIL (*s NULL, *len 0).  A
 * taken literal is no string here (its octets are elsewhere).  0 or -1.
 */
int	imap_astring(const struct imap_value *v, const char **s, size_t *len);
int	imap_string(const struct imap_value *v, const char **s, size_t *len);
int	imap_nstring(const struct imap_value *v, const char **s, size_t *len);
/*
 * list-mailbox (RFC 3501 §9, LIST's pattern): a word of list-chars
 * ("%" and "*" allowed) or a string.  0 or -1.
 */
int	imap_list_mailbox(const struct imap_value *v, const char **s,
	    size_t *len);
/*
 * Copy a string-like value (as imap_astring takes it) into out as a C
 * string.  0, or -1 when it is not one, holds a NUL, or is too long.
 */
int	imap_cstr(const struct imap_value *v, char *out, size_t outlen);

/* number (RFC 3501 §9): 32 bits; nz-number: and not 0.  0 or -1. */
int	imap_number(const struct imap_value *v, uint32_t *out);
int	imap_nz_number(const struct imap_value *v, uint32_t *out);
/* mod-sequence-value (RFC 7162 §7): 63 bits, 0 allowed when zero. */
int	imap_number64(const struct imap_value *v, int zero, uint64_t *out);
/* The same on digits at s[0..len): 1*DIGIT, no sign, no overflow. */
int	imap_parse_number(const char *s, size_t len, uint64_t max,
	    uint64_t *out);

/* System flags (RFC 3501 §2.3.2) as bits. */
#define IMAP_FLAG_SEEN		0x01
#define IMAP_FLAG_ANSWERED	0x02
#define IMAP_FLAG_FLAGGED	0x04
#define IMAP_FLAG_DELETED	0x08
#define IMAP_FLAG_DRAFT		0x10
#define IMAP_FLAG_RECENT	0x20	/* not in STORE or APPEND */
#define IMAP_FLAG_STAR		0x40	/* "\*" of PERMANENTFLAGS */

/* What imap_flag says a word is. */
enum imap_flag_kind {
	IMAP_FLAGK_BAD = -1,	/* not a flag */
	IMAP_FLAGK_SYSTEM = 0,	/* one of the bits above */
	IMAP_FLAGK_KEYWORD,	/* flag-keyword: an atom ("$Forwarded") */
	IMAP_FLAGK_EXTENSION	/* another "\Atom" (flag-extension) */
};
/*
 * One flag (RFC 3501 §9 flag, flag-perm): a word "\Seen" (any case) or
 * a keyword atom.  *bit gets the system flag's bit, 0 for others.
 * "\*" only when perm is non-zero; "\Recent" is returned, the caller
 * refuses it where the grammar does (STORE, APPEND).
 */
enum imap_flag_kind imap_flag(const struct imap_value *v, int perm,
	    unsigned *bit);
/*
 * A flag-list (RFC 3501 §9: "(" [flag *(SP flag)] ")"): *bits gets
 * the system flags, kw[0..*nkw) the keyword values (at most kwmax).
 * Extension flags are refused unless ext.  0 or -1.
 */
int	imap_flag_list(const struct imap_value *list, int perm, int ext,
	    unsigned *bits, const struct imap_value **kw, size_t kwmax,
	    size_t *nkw);

/* ---------------------------------------------------------------- seqset */

struct imap_range {
	uint32_t	lo, hi;		/* lo <= hi */
};

/*
 * A sequence-set (RFC 3501 §9, RFC 9051 §9) with "*" resolved: sorted,
 * overlapping and adjacent ranges merged.
 */
struct imap_seqset {
	struct imap_range *r;
	size_t		 n;
	size_t		 cap;		/* of r */
	int		 last;		/* "$" (RFC 5182): the caller uses
					   its saved SEARCH result */
	int		 star;		/* "*" was used */
	uint32_t	 highest;	/* largest number written (not "*"):
					   a server refuses a message
					   sequence number above its count */
};

#define IMAP_SEQSET_INIT { NULL, 0, 0, 0, 0, 0 }

/*
 * Parse s[0..len): seq-number / seq-range, comma-separated, each number
 * an nz-number of 32 bits or "*", which stands for max (the largest
 * number in use).  "5:3" is "3:5" (RFC 3501 §9 seq-range), and "9:*"
 * with max 5 is "5:9" (§6.4.8: it holds the last message).  With max 0
 * (an empty mailbox) a part that uses "*" is empty.  "$" alone sets
 * last (RFC 5182 §2.1: "$" stands alone).  At most
 * IMAP_SEQSET_RANGES_MAX parts.  set must be empty or hold an earlier
 * parse (it is emptied first).  0, or -1 (the set is left empty; errno
 * EINVAL for bad syntax, ENOMEM, EMSGSIZE for too many parts).
 */
int	imap_seqset_parse(const char *s, size_t len, uint32_t max,
	    struct imap_seqset *set);
/* Add lo:hi (either order) to the set.  0 or -1 (ENOMEM, EMSGSIZE). */
int	imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi);
int	imap_seqset_contains(const struct imap_seqset *set, uint32_t n);
/* Members in the set. */
uint64_t imap_seqset_count(const struct imap_seqset *set);
/* Append "1:3,5" (the shortest form; "$" for last; nothing for an
   empty set).  0 or -1 (errno from buf). */
int	imap_seqset_format(const struct imap_seqset *set, struct buf *out);
void	imap_seqset_free(struct imap_seqset *set);

/* ---------------------------------------------------------------- mUTF-7 */

/*
 * Mailbox names in modified UTF-7 (RFC 3501 §5.1.3), to and from UTF-8,
 * appended to out.  The decoder refuses what the encoder would never
 * write: an octet outside 0x20-0x7e, an "&" without its "-", a base64
 * run that encodes printable ASCII or a NUL, that is empty (but "&-"),
 * follows another run, or has extra or non-zero padding bits, and UTF-16
 * with a lone or reversed surrogate.  The encoder refuses ill-formed
 * UTF-8 (overlong forms, surrogates, above U+10FFFF) and NUL.
 * 0, or -1 (errno EILSEQ for bad input, or from buf; out is then cut
 * back to its length on entry).
 */
int	imap_utf7_decode(const char *s, size_t len, struct buf *out);
int	imap_utf7_encode(const char *s, size_t len, struct buf *out);
/* UTF-8 itself is checked with util_utf8_char and util_utf8_valid. */

/* ---------------------------------------------------------------- dates */

/*
 * date-time (RFC 3501 §9): "dd-Mon-yyyy hh:mm:ss +zzzz", the day
 * either 2DIGIT or SP DIGIT, given without its quotes.  *t gets the
 * time in seconds since the epoch (UTC), *zone the offset in minutes
 * east.  0 or -1 for anything malformed or out of range (day 31 of a
 * 30-day month, hour 24, zone minutes above 59).
 */
int	imap_datetime_parse(const char *s, size_t len, int64_t *t,
	    int *zone);
/*
 * Write t as a date-time (zone minutes east, within +-23:59) into out,
 * IMAP_DATETIME_LEN + 1 bytes, no quotes: "02-Dec-2026 03:49:06 +0000".
 * 0, or -1 when t is outside years 0-9999 or zone out of range.
 */
int	imap_datetime_format(int64_t t, int zone, char *out, size_t outlen);
/*
 * date (RFC 3501 §9, SEARCH's SINCE, BEFORE, ON): "d-Mon-yyyy" with 1
 * or 2 digits of day, without quotes.  *t gets 00:00:00 UTC that day.
 * 0 or -1.
 */
int	imap_date_parse(const char *s, size_t len, int64_t *t);

/* ---------------------------------------------------------------- writing */

/* imap_put_* flags */
#define IMAP_ENC_UTF8	0x01	/* the peer takes UTF-8 in quoted strings
				   (IMAP4rev2, UTF8=ACCEPT) */
#define IMAP_ENC_LITPLUS 0x02	/* a client may send "{n+}" (LITERAL+) */
#define IMAP_ENC_BINARY	0x04	/* a NUL may go out as literal8 "~{n}" */

/* How a string went out. */
enum imap_form {
	IMAP_FORM_ATOM = 0,
	IMAP_FORM_NIL,
	IMAP_FORM_QUOTED,
	IMAP_FORM_LITERAL,	/* "{n}" CRLF octets: a client sends up to
				   the CRLF, waits for "+", then the rest */
	IMAP_FORM_LITERAL_NONSYNC,
	IMAP_FORM_LITERAL8
};

/*
 * Append s[0..len) in the lightest form that carries it exactly: an
 * atom (astring only; never "NIL" nor empty), else a quoted string
 * ('"' and '\' escaped) when it is at most IMAP_QUOTED_MAX octets of
 * TEXT-CHAR (UTF-8 only with IMAP_ENC_UTF8), else a literal.  A NUL
 * needs IMAP_ENC_BINARY (literal8, RFC 3516 §4.2).  nstring: s NULL is
 * NIL.  The form used, or -1 (errno EINVAL for a NUL without binary, or
 * from buf).
 */
int	imap_put_astring(struct buf *b, const char *s, size_t len,
	    unsigned flags);
int	imap_put_string(struct buf *b, const char *s, size_t len,
	    unsigned flags);
int	imap_put_nstring(struct buf *b, const char *s, size_t len,
	    unsigned flags);
/*
 * A mailbox name given in UTF-8: as it is with IMAP_ENC_UTF8 (RFC 9051
 * §5.1, RFC 6855 §3), else in modified UTF-7; then as an astring.  The
 * form used, or -1 (errno EILSEQ for ill-formed UTF-8).
 */
int	imap_put_mailbox(struct buf *b, const char *s, size_t len,
	    unsigned flags);
/* A quoted date-time ("02-Dec-2026 03:49:06 +0000").  0 or -1. */
int	imap_put_datetime(struct buf *b, int64_t t, int zone);
/*
 * A status response line with its CRLF: "tag OK [CODE ARGS] text", tag
 * NULL for "*".  code is written as given (the caller builds its
 * arguments, e.g. "UIDVALIDITY 3"), NULL for none.  In text, CR, LF and
 * other controls become "?" and a leading "[" (which would read as a
 * code) becomes "(".  0 or -1.
 */
int	imap_put_status(struct buf *b, const char *tag, enum imap_status st,
	    const char *code, const char *text);

#endif
