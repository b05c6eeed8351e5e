/*
 * log.c: stderr/syslog messages and the redacting protocol trace.
 */
#include "config.h"

#include <sys/time.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX 1024
#define REDACTED "[redacted]"

void
log_open(struct log *l, const char *prog, int use_syslog, int facility)
{
	memset(l, 0, sizeof(*l));
	l->prog = prog;
	l->use_syslog = use_syslog;
	l->level = LOG_LVL_INFO;
	if (use_syslog)
		openlog(prog, LOG_PID | LOG_NDELAY, facility);
}

static int
syslog_prio(int level)
{
	switch (level) {
	case LOG_LVL_ERR: return LOG_ERR;
	case LOG_LVL_WARN: return LOG_WARNING;
	case LOG_LVL_INFO: return LOG_INFO;
	default: return LOG_DEBUG;
	}
}

/* Replace control characters so one message stays one line. */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static const char *
esc(char *out, size_t outlen, const char *s, int space)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, mark = 0, lead;
	unsigned char c;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (o + 3 < outlen)
			mark = o; /* room for "..." after this point */
		if ((c < 0x21 && !(c == ' ' && space)) || c == 0x7f ||
		    c == '"' || c == '\\' || c == '<' || c == '>') {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		}
	}
	if (*s != '\0') {
		/* Cut: on a whole escape and a whole UTF-8 character. */
		o = mark;
		lead = o;
		while (lead > 0 && ((unsigned char)out[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && (c = (unsigned char)out[lead - 1]) >= 0xc0 &&
		    o - (lead - 1) < (size_t)(c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2))
			o = lead - 1;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *
log_esc(char *out, size_t outlen, const char *s)
{
	return esc(out, outlen, s, 0);
}

const char *
log_esc_quoted(char *out, size_t outlen, const char *s)
{
	return esc(out, outlen, s, 1);
}

void
log_msg(struct log *l, int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	if (level > l->level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sanitize(line);
	if (l->use_syslog)
		syslog(syslog_prio(level), "%s", line);
	else
		(void)fprintf(stderr, "%s: %s\n", l->prog, line);
}

/* Does line start with word (case-insensitive) followed by SP or end? */
static int
starts_word(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len < n || strncasecmp(line, word, n) != 0)
		return 0;
	return len == n || line[n] == ' ';
}

/* Copy at most keep bytes of line, then the redaction mark. */
static void
keep_prefix(const char *line, size_t len, size_t keep, char *out, size_t outlen)
{
	if (keep > LOG_LINE_MAX)
		keep = LOG_LINE_MAX;
	if (keep >= len) /* nothing secret follows the kept words */
		(void)snprintf(out, outlen, "%.*s", (int)len, line);
	else
		(void)snprintf(
		    out, outlen, "%.*s%s", (int)keep, line, REDACTED);
	sanitize(out);
}

/* Offset just past the n-th space-separated word (n >= 1), or len. */
static size_t
after_words(const char *line, size_t len, int n)
{
	size_t i = 0;

	while (n-- > 0) {
		while (i < len && line[i] != ' ')
			i++;
		while (i < len && line[i] == ' ')
			i++;
	}
	return i;
}

void
log_redact(struct log *l, int from_client, const char *line, size_t len,
    char *out, size_t outlen)
{
	size_t n;

	if (outlen == 0)
		return;
	if (!from_client) {
		/* SMTP 334 and IMAP/POP3 "+ " continue a SASL exchange. */
		if (l->in_auth && !(len >= 3 && memcmp(line, "334", 3) == 0) &&
		    !(len >= 1 && line[0] == '+' &&
			(len == 1 || line[1] == ' ')))
			l->in_auth = 0;
		n = len < outlen - 1 ? len : outlen - 1;
		memcpy(out, line, n);
		out[n] = '\0';
		sanitize(out);
		return;
	}
	if (l->in_auth) {
		/* A client line inside SASL is a credential, or "*" to abort.
		 */
		if (len == 1 && line[0] == '*')
			util_strlcpy(out, "*", outlen);
		else
			util_strlcpy(out, REDACTED, outlen);
		return;
	}
	if (starts_word(line, len, "AUTH")) {
		/* SMTP/POP3 "AUTH MECH [initial-response]". */
		l->in_auth = 1;
		keep_prefix(line, len, after_words(line, len, 2), out, outlen);
		return;
	}
	if (starts_word(line, len, "PASS")) {
		keep_prefix(line, len, 5, out, outlen);
		return;
	}
	n = after_words(line, len, 1); /* IMAP: skip the tag */
	if (starts_word(line + n, len - n, "LOGIN")) {
		keep_prefix(line, len, after_words(line, len, 3), out, outlen);
		return;
	}
	if (starts_word(line + n, len - n, "AUTHENTICATE")) {
		l->in_auth = 1;
		keep_prefix(line, len, after_words(line, len, 3), out, outlen);
		return;
	}
	n = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, line, n);
	out[n] = '\0';
	sanitize(out);
}

void
log_trace(struct log *l, int from_client, const char *line, size_t len)
{
	char shown[LOG_LINE_MAX];
	char stamp[32] = "";
	struct timeval tv;
	struct tm tm;

	if (!l->trace)
		return;
	log_redact(l, from_client, line, len, shown, sizeof(shown));
	if (l->trace_time) {
		(void)gettimeofday(&tv, NULL);
		(void)localtime_r(&tv.tv_sec, &tm);
		(void)snprintf(stamp, sizeof(stamp), "%02d:%02d:%02d.%03ld ",
		    tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (long)(tv.tv_usec / 1000));
	}
	(void)fprintf(
	    stderr, "%s%s %s\n", stamp, from_client ? "C:" : "S:", shown);
}
