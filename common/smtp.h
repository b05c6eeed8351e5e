/*
 * smtp.h: the SMTP protocol pieces shared by the client (msend,
 * mxlookup --probe) and the server (msmtpd): reply parsing with enhanced
 * status codes, EHLO capability parsing, dot-stuffing.
 */
#ifndef YUBIN_SMTP_H
#define YUBIN_SMTP_H

#include <stddef.h>

#include "buf.h"
#include "io.h"
#include "bounds.h"

/* One reply, all lines joined. */
struct smtp_reply {
	int		code;		/* 3 digits, 0 if none parsed */
	char		enh[16];	/* "2.1.0" (RFC 3463), "" if absent */
	int		nlines;
	/* Text of each line after "ddd-"/"ddd ", NUL-separated, in text;
	   line i starts at text.data + off[i]. */
	struct buf	text;
	size_t		off[SMTP_REPLY_LINES_MAX];
	int		malformed;	/* smtp_read_reply failed on the reply
					   itself (a protocol error), not on
					   the connection */
};

/* Result of parsing one reply line. */
struct smtp_reply_line {
	int		 code;
	int		 last;		/* "ddd " (1) or "ddd-" (0) */
	const char	*text;		/* after the separator */
	size_t		 textlen;
};

void	smtp_reply_init(struct smtp_reply *r);
void	smtp_reply_free(struct smtp_reply *r);
/*
 * Parse one reply line (without CRLF).  RFC 5321 §4.2: "ddd" alone, "ddd "
 * or "ddd-" then text.  0 or -1 when the line is not a reply line.
 */
int	smtp_reply_parse_line(const char *line, size_t len,
	    struct smtp_reply_line *out);
/*
 * Add a parsed line to r.  Returns 1 when the reply is complete, 0 when
 * more lines follow, -1 on a protocol error (code changed between lines,
 * too many lines).  enh is taken from the first line when it has one.
 */
int	smtp_reply_add(struct smtp_reply *r, const struct smtp_reply_line *l);
/*
 * Read a whole reply from io (idle timeout from io).  0, or -1 with err
 * set ("connection closed", "timed out", "malformed reply: ...") and
 * r->malformed 1 when the peer broke the grammar or a bound (RFC 5321
 * §4.2, §4.5.3.1.5), 0 when the connection failed.
 */
int	smtp_read_reply(struct io *io, struct smtp_reply *r, char *err,
	    size_t errlen);
/* Line i of the reply's text. */
const char *smtp_reply_text(const struct smtp_reply *r, int i);
/* The whole reply as one line for messages: "550 5.1.1 No such user". */
void	smtp_reply_str(const struct smtp_reply *r, char *out, size_t outlen);

/* What an EHLO reply offers (RFC 5321 §4.1.1.1 and the extensions). */
struct smtp_ehlo {
	int		starttls;	/* RFC 3207 */
	int		pipelining;	/* RFC 2920 */
	int		size;		/* RFC 1870 */
	long long	size_max;	/* 0 when SIZE has no number */
	int		eightbitmime;	/* RFC 6152 */
	int		smtputf8;	/* RFC 6531 */
	int		enhancedstatuscodes; /* RFC 2034 */
	int		chunking;	/* RFC 3030 */
	int		dsn;		/* RFC 3461 */
	char		auth[256];	/* RFC 4954 mechanisms, space-separated,
					   upper-case; "" if no AUTH */
};
/* Fill e from a 250 reply to EHLO (line 0 is the greeting, skipped). */
void	smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e);
/* Is mech (e.g. "PLAIN") among e->auth? */
int	smtp_ehlo_has_auth(const struct smtp_ehlo *e, const char *mech);

/*
 * Dot-stuffing, RFC 5321 §4.5.2.  smtp_dotstuff_line queues one line of
 * message text to io with a leading "." doubled and CRLF appended;
 * smtp_dotstuff_end queues the final ".\r\n".
 */
int	smtp_dotstuff_line(struct io *io, const char *line, size_t len);
int	smtp_dotstuff_end(struct io *io);

/*
 * Server side (msmtpd): command lines, paths and ESMTP parameters
 * (RFC 5321 §4.1), and the reply writer.  Every parser takes a pointer
 * and a length, is total, and never writes past its output struct.
 */
enum smtp_verb {
	SMTP_CMD_NONE = 0,	/* not a known command */
	SMTP_CMD_EHLO,
	SMTP_CMD_HELO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH
};

/*
 * Results of the server-side parsers.  smtp_parse_reply() gives the
 * reply a server sends for each.
 */
enum smtp_parse_rc {
	SMTP_PARSE_OK = 0,
	SMTP_PARSE_UNKNOWN = -1,	/* 500 5.5.1 command unrecognized */
	SMTP_PARSE_SYNTAX = -2,		/* 501 5.5.2 syntax error */
	SMTP_PARSE_ADDR = -3,		/* 501 5.1.7/5.1.3 bad address */
	SMTP_PARSE_PATHLONG = -4,	/* 501 5.1.7/5.1.3 path too long */
	SMTP_PARSE_UTF8 = -5,		/* 553 5.6.7 UTF-8 without SMTPUTF8 */
	SMTP_PARSE_PARAM = -6,		/* 555 5.5.4 unknown parameter */
	SMTP_PARSE_VALUE = -7,		/* 501 5.5.4 bad parameter value */
	SMTP_PARSE_MANY = -8		/* 501 5.5.4 too many/repeated params */
};

/* One command line, split.  arg points into the parsed line. */
struct smtp_cmd {
	enum smtp_verb	 verb;
	const char	*arg;	/* after the verb (after "FROM:"/"TO:" for
				   MAIL/RCPT), spaces around it dropped */
	size_t		 arglen;
};

/*
 * Parse a command line (without its CRLF).  The verb is case-insensitive;
 * MAIL needs "FROM:" and RCPT "TO:" (RFC 5321 §4.1.1.2/§4.1.1.3), with or
 * without spaces after the colon.  DATA, RSET, QUIT and STARTTLS take no
 * argument; EHLO, HELO, BDAT and AUTH need one.  Returns SMTP_PARSE_OK,
 * SMTP_PARSE_UNKNOWN (verb not known; cmd->verb is SMTP_CMD_NONE) or
 * SMTP_PARSE_SYNTAX.  A NUL byte in the line is a syntax error.
 */
int	smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd);
/* The verb's name in upper case ("MAIL"); "" for SMTP_CMD_NONE. */
const char *smtp_verb_name(enum smtp_verb v);

/* Flags for smtp_path_parse. */
#define SMTP_PATH_REVERSE	0x01	/* MAIL: "<>" allowed */
#define SMTP_PATH_FORWARD	0x02	/* RCPT: "<Postmaster>" allowed */
#define SMTP_PATH_UTF8		0x04	/* RFC 6531: UTF-8 allowed */

/* A reverse-path or forward-path (RFC 5321 §4.1.2). */
struct smtp_path {
	int	null;		/* "<>" */
	int	postmaster;	/* "<Postmaster>" (no domain) */
	int	utf8;		/* has non-ASCII (RFC 6531) */
	int	quoted;		/* local part needs its quotes */
	char	local[SMTP_LOCALPART_MAX + 1];	/* as sent on the wire:
						   quoted when needed */
	char	domain[SMTP_DOMAIN_MAX + 1];	/* ASCII part lower-cased;
						   "[...]" for a literal */
	char	addr[SMTP_PATH_MAX + 1];	/* "local@domain", "" for <>,
						   "Postmaster" */
};

/*
 * Parse a path in angle brackets at the start of s (len bytes).  A
 * source route "@a,@b:" is accepted and dropped (RFC 5321 §4.1.2,
 * Appendix C).  A quoted local part is unquoted when its content is a
 * Dot-string, else kept quoted with only '"' and '\' escaped.  *used
 * gets the bytes taken (through '>').  Returns SMTP_PARSE_OK,
 * SMTP_PARSE_ADDR, SMTP_PARSE_PATHLONG or SMTP_PARSE_UTF8.
 */
int	smtp_path_parse(const char *s, size_t len, int flags,
	    struct smtp_path *p, size_t *used);

/*
 * A domain or address literal ([IPv4], [IPv6:...]) as HELO/EHLO or a
 * path carries (RFC 5321 §4.1.2, §4.1.3); UTF-8 labels when utf8.
 * 1 when valid, 0 when not.
 */
int	smtp_domain_valid(const char *s, size_t len, int utf8);

/* BODY= values (RFC 6152, RFC 3030). */
enum smtp_body {
	SMTP_BODY_NONE = 0,
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME
};
/* RET= (RFC 3461 §4.3). */
enum smtp_ret {
	SMTP_RET_NONE = 0,
	SMTP_RET_FULL,
	SMTP_RET_HDRS
};
/* NOTIFY= bits (RFC 3461 §4.1); 0 when absent. */
#define SMTP_NOTIFY_NEVER	0x01
#define SMTP_NOTIFY_SUCCESS	0x02
#define SMTP_NOTIFY_FAILURE	0x04
#define SMTP_NOTIFY_DELAY	0x08

/* ESMTP parameters of MAIL or RCPT, checked and decoded. */
struct smtp_params {
	long long	size;		/* SIZE= (RFC 1870), -1 when absent */
	enum smtp_body	body;
	int		smtputf8;	/* SMTPUTF8 (RFC 6531 §3.4) */
	enum smtp_ret	ret;
	int		notify;		/* SMTP_NOTIFY_* bits */
	/* xtext values as sent (RFC 3461 §4), "" when absent. */
	char		envid[SMTP_ENVID_MAX * 3 + 1];
	char		orcpt[SMTP_ORCPT_MAX + 1];	/* "type;xtext" */
	char		auth[SMTP_ORCPT_MAX + 1];	/* AUTH= (RFC 4954 §5):
							   "<>" or xtext */
	int		count;
	char		unknown[32];	/* first unknown keyword (for 555) */
};

/*
 * Parse the parameters after a path: *( SP esmtp-param ), verb
 * SMTP_CMD_MAIL or SMTP_CMD_RCPT (each takes its own set; the other's
 * are unknown).  Keywords are case-insensitive; none may repeat; at most
 * SMTP_PARAMS_MAX.  utf8: esmtp-values may carry UTF-8 (RFC 6531 §3.3).
 * Returns SMTP_PARSE_OK, SMTP_PARSE_PARAM (p->unknown names it),
 * SMTP_PARSE_VALUE, SMTP_PARSE_MANY or SMTP_PARSE_SYNTAX.
 */
int	smtp_params_parse(const char *s, size_t len, enum smtp_verb verb,
	    int utf8, struct smtp_params *p);

/*
 * An ORCPT value (RFC 3461 §4.2): addr-type ";" xtext, at most
 * SMTP_ORCPT_MAX octets, as smtp_params_parse takes it (p->orcpt).
 * 1 when valid, 0 when not.
 */
int	smtp_orcpt_valid(const char *s, size_t len);

/*
 * The argument of MAIL FROM: or RCPT TO: (cmd->arg): a path, then
 * parameters.  For MAIL, UTF-8 in the path is allowed only with the
 * SMTPUTF8 parameter; for RCPT, utf8 says whether the transaction's
 * MAIL had it.  Returns an smtp_parse_rc.
 */
int	smtp_mail_parse(const char *arg, size_t len, enum smtp_verb verb,
	    int utf8, struct smtp_path *path, struct smtp_params *params);

/* BDAT chunk-size [SP "LAST"] (RFC 3030 §2).  0 or SMTP_PARSE_SYNTAX. */
int	smtp_bdat_parse(const char *arg, size_t len, long long *size,
	    int *last);

/*
 * What a server answers for a parse result rc of a command verb (the
 * path codes differ for MAIL and RCPT, RFC 3463 X.1.7/X.1.3).
 */
void	smtp_parse_reply(int rc, enum smtp_verb verb, int *code,
	    const char **enh, const char **text);

/*
 * Queue a reply: the formatted text is split at '\n' into lines
 * "250-..." and a last "250 ..." (RFC 5321 §4.2.1), each with enh
 * (RFC 2034 §4) when it is neither NULL nor "".  A line is cut to fit
 * SMTP_REPLY_LINE_MAX; a CR in the text fails.  Nothing is queued on
 * failure.  The caller flushes (io_flush), so pipelined replies go out
 * in one write.  0 or -1 (io->err says why).
 */
int	smtp_reply_send(struct io *io, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
