/*
 * pop3.h: the POP3 protocol pieces shared by the server (`mpop serve')
 * and the client (`mpop fetch'): command line parsing (RFC 1939 §3,
 * RFC 2449 §4), response lines with RESP-CODES (RFC 2449 §8, RFC 3206),
 * the multi-line encoder for RETR and TOP (CRLF line ends, byte-stuffing
 * and the terminating ".", RFC 1939 §3), unique-id checks (RFC 1939 §7),
 * and the client-side parsers for status and listing lines.
 *
 * Every parser is total: it takes a pointer and a length, returns an
 * error for anything malformed, and never reads past len.  Nothing here
 * keeps state outside the structs the caller owns.
 */
#ifndef YUBIN_POP3_H
#define YUBIN_POP3_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"

/* ---------------------------------------------------------------- server */

enum pop3_verb {
	POP3_CMD_NONE = 0,
	POP3_CMD_USER,
	POP3_CMD_PASS,
	POP3_CMD_APOP,
	POP3_CMD_STAT,
	POP3_CMD_LIST,
	POP3_CMD_RETR,
	POP3_CMD_DELE,
	POP3_CMD_NOOP,
	POP3_CMD_RSET,
	POP3_CMD_QUIT,
	POP3_CMD_TOP,
	POP3_CMD_UIDL,
	POP3_CMD_CAPA,
	POP3_CMD_STLS,
	POP3_CMD_AUTH
};

/* Arguments one command may take (TOP msg n). */
#define POP3_ARGS_MAX 2

/* Results of pop3_cmd_parse; pop3_parse_text() words them for -ERR. */
enum pop3_parse_rc {
	POP3_PARSE_OK = 0,
	POP3_PARSE_UNKNOWN = -1, /* keyword well formed but not known */
	POP3_PARSE_KEYWORD = -2, /* not 3-4 letters */
	POP3_PARSE_CHAR = -3, /* NUL, control or other non-printable */
	POP3_PARSE_ARGLEN = -4, /* an argument over POP3_ARG_MAX */
	POP3_PARSE_NARGS = -5, /* too few or too many arguments */
	POP3_PARSE_TOOLONG = -6 /* line over POP3_CMD_LINE_MAX - 2 */
};

struct pop3_cmd {
	enum pop3_verb verb;
	char keyword[POP3_KEYWORD_MAX + 1]; /* upper-cased, "" if bad */
	int nargs;
	const char *arg[POP3_ARGS_MAX]; /* into the line, not terminated */
	size_t arglen[POP3_ARGS_MAX];
	/*
	 * Everything after the keyword and its one space, as sent: the
	 * argument of USER, PASS (RFC 1939 §7: a password may hold
	 * spaces) and AUTH ("MECH [initial-response]").  These three are
	 * bounded by the line (RFC 2449 §4), not by POP3_ARG_MAX: real
	 * user names and passwords are longer than 40 characters.
	 */
	const char *rest;
	size_t restlen;
};

/*
 * Parse one command line (without its CRLF).  RFC 1939 §3: a keyword
 * of 3 or 4 letters, any case, then arguments separated by spaces (runs
 * of spaces and trailing spaces are accepted), printable ASCII, each up
 * to 40 characters.  The count of arguments is checked against the verb
 * (LIST/UIDL 0-1, RETR/DELE 1, TOP 2, USER/PASS 1+, AUTH 0+, others 0).
 * USER and PASS may hold bytes >= 0x80 (UTF-8 names and passwords);
 * control characters are refused everywhere.
 */
int pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *cmd);
/* The text after "-ERR " for a parse error. */
const char *pop3_parse_text(int rc);

/*
 * A message number or a line count (RFC 1939 §5 "msg", TOP's "n"):
 * 1*DIGIT, no sign, at most 10 digits, value <= max.  0 or -1.
 */
int pop3_num_parse(
    const char *s, size_t len, unsigned long max, unsigned long *out);

/* RESP-CODES (RFC 2449 §8; AUTH and SYS from RFC 3206). */
enum pop3_code {
	POP3_CODE_NONE = 0,
	POP3_CODE_AUTH, /* [AUTH]: credentials are wrong */
	POP3_CODE_IN_USE, /* [IN-USE]: the maildrop is locked */
	POP3_CODE_SYS_TEMP, /* [SYS/TEMP]: try again later */
	POP3_CODE_SYS_PERM, /* [SYS/PERM]: a problem that will not pass */
	POP3_CODE_LOGIN_DELAY /* [LOGIN-DELAY] */
};
/* "AUTH", "IN-USE", ...; "" for POP3_CODE_NONE. */
const char *pop3_code_name(enum pop3_code code);

/*
 * One response line without CRLF into out: "+OK text" (ok) or
 * "-ERR [CODE] text".  Control characters in text become '?', and the
 * line is cut to fit POP3_RESP_LINE_MAX with its CRLF (RFC 2449 §4).
 * out must hold POP3_RESP_LINE_MAX - 1 bytes.  Returns the length.
 */
size_t pop3_resp_format(char *out, size_t outlen, int ok, enum pop3_code code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The multi-line encoder for RETR and TOP (RFC 1939 §3, §7): message
 * bytes from a file with LF or CRLF line ends go out with CRLF; a line
 * that begins with "." gets another one in front; a bare CR passes as
 * it is.  For TOP, the header, the blank line and `top' body lines are
 * sent and the rest dropped.  Feed the file in chunks of any size (a
 * CRLF or a line start split between chunks is handled), then call
 * pop3_enc_end for the terminating ".CRLF" (with a CRLF first when the
 * message did not end with a line end).
 */
struct pop3_enc {
	long long top; /* body lines left to send; -1: whole message */
	int bol; /* at the beginning of a line */
	int cr; /* a CR ended the last chunk, its LF may follow */
	int in_body; /* past the blank line after the header */
	int linelen; /* bytes of the current line (0, 1, more) */
	int done; /* TOP has all it needs: stop reading */
	long long octets; /* message octets produced (CRLF, unstuffed) */
};
/* top: -1 for RETR, else the n of "TOP msg n". */
void pop3_enc_init(struct pop3_enc *e, long long top);
/* Append the wire form of p[0..n) to out.  0, or -1 (errno from buf). */
int pop3_enc_chunk(
    struct pop3_enc *e, const char *p, size_t n, struct buf *out);
/* Append the end: a CRLF if mid-line, then ".\r\n".  0 or -1. */
int pop3_enc_end(struct pop3_enc *e, struct buf *out);

/* RFC 1939 §7: a unique-id is 1-70 characters in 0x21-0x7E. */
int pop3_uidl_valid(const char *s, size_t len);
/*
 * The unique-id mpop serve gives a message: UIDVALIDITY and UID of the
 * maildir UID list as "%08x%08x" (16 characters; stable across sessions
 * and new/ -> cur/ renames, changed with the UID list).  out must hold
 * 17 bytes.
 */
#define POP3_UIDL_LEN 16
void pop3_uidl_make(
    uint32_t uidvalidity, uint32_t uid, char *out, size_t outlen);

/* ---------------------------------------------------------------- client */

enum pop3_resp_kind {
	POP3_RESP_OK = 0, /* "+OK" */
	POP3_RESP_ERR, /* "-ERR" */
	POP3_RESP_CONT /* "+ base64" (RFC 5034 §4, SASL challenge) */
};

struct pop3_resp {
	enum pop3_resp_kind kind;
	char code[POP3_RESP_LINE_MAX]; /* "IN-USE", "SYS/TEMP", "" none */
	enum pop3_code known; /* code as an enum, NONE if unknown */
	const char *text; /* after the status and the code, into line */
	size_t textlen;
};

/*
 * Parse a status line (without CRLF): "+OK[ text]", "-ERR[ [CODE]
 * text]" (RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level)
 * "]"; a malformed bracket is left in text), or "+ [base64]".  The
 * status is case-insensitive.  0, or -1 when the line is neither.
 */
int pop3_resp_parse(const char *line, size_t len, struct pop3_resp *r);

/*
 * One line of a LIST scan listing or of UIDL (RFC 1939 §5, §7), or the
 * text after "+OK " of "LIST n" / "UIDL n": "msg size[ anything]" and
 * "msg unique-id".  0 or -1.  uid must hold POP3_UIDL_MAX + 1 bytes.
 */
int pop3_list_line_parse(
    const char *line, size_t len, unsigned long *msg, long long *size);
int pop3_uidl_line_parse(
    const char *line, size_t len, unsigned long *msg, char *uid, size_t uidlen);
/* The text after "+OK " of STAT: "nn mm" (RFC 1939 §5).  0 or -1. */
int pop3_stat_parse(
    const char *line, size_t len, unsigned long *count, long long *size);
/*
 * Is this line of a multi-line response its end (".")?  When not, *skip
 * is 1 for a byte-stuffed line (drop its first "."), else 0.
 */
int pop3_multiline_end(const char *line, size_t len, int *skip);

#endif
