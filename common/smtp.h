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
 * set ("connection closed", "timed out", "malformed reply: ...").
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

#endif
