/*
 * data.c: the message into the spool.  DATA (RFC 5321 §4.1.1.4) ends
 * with <CRLF>.<CRLF> and nothing else; dot-stuffing is undone (§4.5.2);
 * a bare LF or bare CR (§2.3.8: "CR and LF MUST only occur together as
 * CRLF") gets the message refused after its end, so that it can never
 * end or split a message (the "SMTP smuggling" of 2023).  BDAT chunks
 * (RFC 3030) are spooled as they come.  The spool holds the Received
 * header and the message with LF line endings, ready for the delivery
 * command's stdin.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "msmtpd.h"
#include "util.h"

/* Spool output is written out in pieces of this size. */
#define SPOOL_FLUSH (64 * 1024)
/* DATA is read in pieces of this size; longer lines come in pieces
   and pass through unchanged. */
#define DATA_PIECE 8192

int
data_spool_flush(struct session *s)
{
	if (s->sbuf.len == 0 || s->spool_err)
		return s->spool_err ? -1 : 0;
	if (util_write_all(s->spool, s->sbuf.data, s->sbuf.len) == -1) {
		log_err(s->c->log, "%s: spool: %s", s->id, strerror(errno));
		s->spool_err = 1;
	}
	buf_reset(&s->sbuf);
	return s->spool_err ? -1 : 0;
}

static void
spool_put(struct session *s, const char *p, size_t n)
{
	if (!s->hops_done)
		s->hops_done = msg_hops_feed(&s->hops, p, n);
	if (s->toobig || s->spool_err)
		return;
	if (buf_append(&s->sbuf, p, n) == -1) {
		s->spool_err = 1;
		return;
	}
	if (s->sbuf.len >= SPOOL_FLUSH)
		data_spool_flush(s);
}

/* "with" of the Received header: RFC 3848 and RFC 6531 §3.7.3. */
static const char *
protocol(const struct session *s)
{
	static const char *const p[2][4] = {
	    {"ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA"},
	    {"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"}};

	if (!s->esmtp)
		return "SMTP";
	return p[s->smtputf8 ? 1 : 0][(s->tls ? 2 : 0) + (s->authed ? 1 : 0)];
}

/* RFC 5321 §4.4 trace line, LF-terminated lines, folded with a tab. */
static int
received(struct session *s, struct buf *b)
{
	char date[64];

	if (msg_date(time(NULL), date, sizeof(date)) == -1)
		return -1;
	buf_printf(b, "Received: from %s", s->helo);
	if (s->addr[0] != '\0') {
		/* TCP-info: address-literal, or Domain FWS address-literal. */
		buf_printf(b, " (%s%s[%s%s])", s->host,
		    s->host[0] != '\0' ? " " : "",
		    strchr(s->addr, ':') != NULL ? "IPv6:" : "", s->addr);
	}
	buf_printf(b, "\n\tby %s (msmtpd) with %s id %s", s->c->hostname,
	    protocol(s), s->id);
	if (s->tls)
		buf_printf(b, "\n\t(using %s with cipher %s)", s->tlsi.protocol,
		    s->tlsi.cipher);
	if (s->authed)
		buf_puts(b, "\n\t(authenticated)");
	/* A "for" clause only with one recipient: the others stay
	   private (RFC 5321 §7.2). */
	if (s->nrcpt == 1)
		buf_printf(b, "\n\tfor <%s>", s->rcpt[0]);
	return buf_printf(b, "; %s\n", date);
}

int
data_begin(struct session *s)
{
	char err[ERR_MAX];

	snprintf(s->id, sizeof(s->id), "%08" PRIx32 "%08" PRIx32,
	    (uint32_t)time(NULL), util_random());
	if (s->spool == -1 &&
	    (s->spool = util_spool_open(PROG, err, sizeof(err))) == -1) {
		log_err(s->c->log, "spool: %s", err);
		return -1;
	}
	buf_reset(&s->sbuf);
	s->size = 0;
	s->toobig = s->bare = s->spool_err = s->cr_pending = 0;
	msg_hops_init(&s->hops);
	s->hops_done = 0;
	if (ftruncate(s->spool, 0) == -1 ||
	    lseek(s->spool, 0, SEEK_SET) == -1) {
		log_err(s->c->log, "spool: %s", strerror(errno));
		return -1;
	}
	if (received(s, &s->sbuf) == -1) {
		buf_reset(&s->sbuf);
		return -1;
	}
	s->rcvd_len = s->sbuf.len;
	return 0;
}

static void
count(struct session *s, size_t n)
{
	s->size += (long long)n;
	if (s->c->max_size > 0 && s->size > s->c->max_size)
		s->toobig = 1;
}

int
data_read_dot(struct session *s)
{
	char line[DATA_PIECE];
	size_t n;
	int rc, eol, start = 1, lstart = 1;
	const char *p;

	/* start: at the beginning of a line that follows a CRLF (or the
	   DATA command): only there can "." end the data.  lstart: at the
	   beginning of a line, where a stuffed dot is removed; also after
	   a bare LF taken as a line end (--accept-bare-lf, as Postfix's
	   "normalize" does). */
	for (;;) {
		rc = io_getline(&s->io, line, sizeof(line), &n, &eol);
		if (rc != IO_OK)
			return rc;
		if (start && eol == IO_EOL_CRLF && n == 1 && line[0] == '.')
			return IO_OK;
		p = line;
		/* RFC 5321 §4.5.2: a leading period is removed when other
		   characters follow it on the line. */
		if (lstart && line[0] == '.' && (n > 1 || eol == IO_EOL_NONE)) {
			p++;
			n--;
		}
		/* RFC 1870 §4: the size counts CRLFs but not the doubled
		   dots of the transparency. */
		count(s, n);
		session_data_deadline(s, s->size);
		spool_put(s, p, n);
		switch (eol) {
		case IO_EOL_CRLF:
			count(s, 2);
			spool_put(s, "\n", 1);
			start = lstart = 1;
			break;
		case IO_EOL_LF:
			if (!s->c->accept_bare_lf)
				s->bare = 1;
			/* Even when accepted, a bare LF never starts a
			   line where "." could end the data. */
			count(s, 1);
			spool_put(s, "\n", 1);
			start = 0;
			lstart = s->c->accept_bare_lf;
			break;
		case IO_EOL_CR:
			s->bare = 1;
			count(s, 1);
			spool_put(s, "\r", 1);
			start = lstart = 0;
			break;
		default: start = lstart = 0; break;
		}
	}
}

int
data_write_chunk(struct session *s, const char *p, size_t n, int last)
{
	size_t i, from = 0;

	count(s, n);
	if (s->cr_pending) {
		s->cr_pending = 0;
		if (n > 0 && p[0] == '\n') {
			spool_put(s, "\n", 1);
			from = 1;
		} else {
			if (!s->binary)
				s->bare = 1;
			spool_put(s, "\r", 1);
		}
	}
	for (i = from; i < n; i++) {
		if (p[i] == '\n') {
			if (!s->binary && !s->c->accept_bare_lf)
				s->bare = 1;
			continue;
		}
		if (p[i] != '\r')
			continue;
		/* CRLF becomes LF: write up to the CR, skip it. */
		spool_put(s, p + from, i - from);
		from = i + 1;
		if (i + 1 < n) {
			if (p[i + 1] == '\n') {
				i++; /* the LF goes out with what follows */
				continue;
			}
			if (!s->binary)
				s->bare = 1;
			spool_put(s, "\r", 1);
		} else if (!last)
			s->cr_pending = 1;
		else {
			if (!s->binary)
				s->bare = 1;
			spool_put(s, "\r", 1);
		}
	}
	spool_put(s, p + from, n - from);
	return 0;
}

/* One line per transaction; every value from the peer escaped, so
   none can forge a field (log_esc). */
static void
log_txn(struct session *s, int code, const char *enh, const char *text)
{
	char from[LOG_ESC_MAX], one[LOG_ESC_MAX], host[LOG_ESC_MAX];
	char helo[LOG_ESC_MAX], user[LOG_ESC_MAX], err[LOG_ESC_MAX];
	struct buf to;
	size_t i;

	buf_init(&to, 4096);
	for (i = 0; i < s->nrcpt; i++)
		if (buf_printf(&to, "%s<%s>", i > 0 ? "," : "",
			log_esc(one, sizeof(one), s->rcpt[i])) == -1) {
			buf_puts(&to, ",...");
			break;
		}
	log_info(s->c->log,
	    "%s: peer=%s[%s] helo=%s from=<%s> to=%s size=%lld tls=%s%s%s "
	    "auth=%s %s result=\"%d %s %s\"%s%s%s",
	    s->id, log_esc(host, sizeof(host), s->host),
	    s->addr[0] != '\0' ? s->addr : "stdin",
	    log_esc(helo, sizeof(helo), s->helo),
	    log_esc(from, sizeof(from), s->from), buf_cstr(&to), s->size,
	    s->tls ? s->tlsi.protocol : "no", s->tls ? "/" : "",
	    s->tls ? s->tlsi.cipher : "",
	    s->authed ? log_esc(user, sizeof(user), s->auth_user) : "-",
	    s->relay ? "relay" : "local", code, enh, text,
	    s->cmd_err[0] != '\0' ? " error=\"" : "",
	    log_esc_quoted(err, sizeof(err), s->cmd_err),
	    s->cmd_err[0] != '\0' ? "\"" : "");
	buf_free(&to);
}

int
data_finish(struct session *s)
{
	int code, st;
	const char *enh, *text;
	char why[SMTP_REPLY_LINE_MAX - 64];

	(void)data_spool_flush(s);
	if (s->toobig) {
		code = 552;
		enh = "5.3.4";
		text = "Message size exceeds fixed maximum message size";
	} else if (s->bare) {
		/* RFC 5321 §2.3.8; RFC 3463 X.6.0: a media error. */
		code = 550;
		enh = "5.6.0";
		text = "Message refused: bare LF or CR in data, "
		       "lines must end with CRLF";
	} else if (s->hops.count >= SMTP_HOPS_MAX) {
		/* RFC 5321 §6.3; RFC 3463 X.4.6: routing loop detected. */
		code = 554;
		enh = "5.4.6";
		text = "Too many Received header fields: mail loop";
	} else if (s->spool_err) {
		code = 451;
		enh = "4.3.0";
		text = "Local error writing the message, try again later";
	} else if (auth_data(s, s->rcvd_len, &code, &enh, why,
		       sizeof(why)) == 1) {
		/* --check-sender refused or deferred it. */
		text = why;
	} else if ((st = deliver_run(s)) == 0) {
		code = 250;
		enh = "2.0.0";
		text = "Message accepted for delivery";
	} else if (st == 75) {
		code = 451;
		enh = "4.3.0";
		text = "Temporary delivery failure, try again later";
	} else {
		code = 554;
		enh = "5.3.0";
		text = "Delivery failed";
	}
	log_txn(s, code, enh, text);
	if (code == 250) {
		s->accepted++;
		reply(s, 0, code, enh, "%s id=%s", text, s->id);
	} else
		reply(s, 0, code, enh, "%s", text);
	txn_reset(s);
	return 0;
}
