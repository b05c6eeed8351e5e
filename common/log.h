/*
 * log.h: messages to stderr ("prog: what: why") or syslog, and a protocol
 * trace that never shows a secret (AUTH exchanges, PASS, LOGIN).
 *
 * The caller owns the struct log; nothing here is global.
 */
#ifndef YUBIN_LOG_H
#define YUBIN_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

struct log {
	const char	*prog;		/* program name, first word of a line */
	int		 use_syslog;	/* 0: stderr, 1: syslog(3) */
	int		 level;		/* messages above this are dropped */
	int		 trace;		/* protocol trace on (stderr) */
	int		 trace_time;	/* prefix trace lines with a timestamp */
	int		 in_auth;	/* trace state: inside a SASL exchange */
};

/* facility is a syslog(3) facility (LOG_MAIL); used when use_syslog. */
void	log_open(struct log *l, const char *prog, int use_syslog,
	    int facility);
/*
 * A value from the network (an address, a HELO name, a user name, a
 * peer's error text) as one field of a log line: bytes below 0x21,
 * 0x7f, '"', '\\', '<' and '>' become "\\xHH"; UTF-8 is kept.  So
 * MAIL FROM:<"x> auth=admin z=<"@x.org> cannot forge a field.  Writes
 * into out (NUL-terminated, cut with "..." when it does not fit) and
 * returns out.  LOG_ESC_MAX holds any SMTP path escaped.
 */
#define LOG_ESC_MAX	1100
const char *log_esc(char *out, size_t outlen, const char *s);
/* The same for a value between double quotes: spaces are kept. */
const char *log_esc_quoted(char *out, size_t outlen, const char *s);

void	log_msg(struct log *l, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
#define log_err(l, ...)		log_msg((l), LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(l, ...)	log_msg((l), LOG_LVL_WARN, __VA_ARGS__)
#define log_info(l, ...)	log_msg((l), LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(l, ...)	log_msg((l), LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * Trace one protocol line (without its line ending) when l->trace is set.
 * from_client tells the direction: client lines are checked for secrets
 * (SMTP/POP3 AUTH and the SASL lines after it, POP3 PASS, IMAP LOGIN and
 * AUTHENTICATE) and shown redacted.
 */
void	log_trace(struct log *l, int from_client, const char *line,
	    size_t len);
/*
 * The redaction alone, for tests and for callers that log elsewhere:
 * writes the line as it may be shown into out (NUL-terminated).
 * Updates l->in_auth like log_trace.
 */
void	log_redact(struct log *l, int from_client, const char *line,
	    size_t len, char *out, size_t outlen);

#endif
