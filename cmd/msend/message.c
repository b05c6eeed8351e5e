/*
 * message.c: the message msend reads on stdin.  The header is kept in
 * memory as read (so that Bcc can be dropped and Date, Message-ID added);
 * the body is kept in memory up to SPOOL_MEM_MAX and in an unlinked temp
 * file past that, so that a large message is held once.  On the wire,
 * LF becomes CRLF, lines starting with "." are doubled (RFC 5321
 * §4.5.2), and every other byte (8-bit included) goes as it is.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "msend.h"
#include "dns.h"
#include "msg.h"
#include "util.h"

#define READ_CHUNK (64 * 1024)

void
message_init(struct message *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->head, MSG_HEADER_MAX + READ_CHUNK + 2);
	buf_init(&m->add, 0);
	buf_init(&m->sig, 0);
	buf_init(&m->body, 0);
	m->fd = -1;
}

void
message_free(struct message *m)
{
	buf_free(&m->head);
	buf_free(&m->add);
	buf_free(&m->sig);
	buf_free(&m->body);
	free(m->f);
	if (m->fd != -1)
		(void)close(m->fd);
	m->f = NULL;
	m->fd = -1;
}

/* ------------------------------------------------------------ the spool */

static int
spool_tmpfile(struct message *m, char *err, size_t errlen)
{
	char why[ERR_MAX];
	int fd;

	/* Close-on-exec: passwordeval's command must not get the message. */
	if ((fd = util_spool_open(PROG, why, sizeof(why))) == -1) {
		util_seterr(err, errlen, "temp file: %s", why);
		return -1;
	}
	if (util_write_all(fd, m->body.data, m->body.len) == -1) {
		util_seterr(err, errlen, "temp file: %s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	buf_free(&m->body);
	m->fd = fd;
	return 0;
}

static int
spool_add(struct message *m, const char *p, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	if (m->fd == -1 && m->body.len + n > SPOOL_MEM_MAX &&
	    spool_tmpfile(m, err, errlen) == -1)
		return -1;
	if (m->fd != -1) {
		if (util_write_all(m->fd, p, n) == -1) {
			util_seterr(
			    err, errlen, "temp file: %s", strerror(errno));
			return -1;
		}
	} else if (buf_append(&m->body, p, n) == -1) {
		util_seterr(err, errlen, "message: %s", strerror(errno));
		return -1;
	}
	m->body_len += n;
	return 0;
}

/* Forget the last n bytes of the body (the "." line that ended it). */
static int
spool_cut(struct message *m, size_t n, char *err, size_t errlen)
{
	m->body_len -= n;
	if (m->fd == -1) {
		buf_truncate(&m->body, (size_t)m->body_len);
		return 0;
	}
	if (ftruncate(m->fd, (off_t)m->body_len) == -1 ||
	    lseek(m->fd, 0, SEEK_END) == -1) {
		util_seterr(err, errlen, "temp file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Call fn on the body in pieces (one for a body in memory). */
static int
spool_each(struct message *m, int (*fn)(void *, const char *, size_t),
    void *arg, char *err, size_t errlen)
{
	char blk[READ_CHUNK];
	uint64_t off = 0;
	ssize_t r;

	if (m->fd == -1)
		return m->body.len > 0 ? fn(arg, m->body.data, m->body.len) : 0;
	while (off < m->body_len) {
		r = pread(m->fd, blk, sizeof(blk), (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			util_seterr(err, errlen, "temp file: %s",
			    r == 0 ? "shorter than written" : strerror(errno));
			return -1;
		}
		if (fn(arg, blk, (size_t)r) == -1)
			return -1;
		off += (uint64_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------ reading */

struct reader {
	struct message *m;
	const struct msend_opts *o;
	int (*add)(void *, const char *, size_t);
	void *arg;
	size_t lpos; /* next header line in head */
	int in_head;
	int bol; /* body: at a line start */
	int dot; /* 1 "." seen, 2 ".\r" seen */
	int ended; /* "." line ended the input */
	struct msg_scan scan;
	size_t done_f; /* raw fields completed */
	int ex;
	char *err;
	size_t errlen;
};

static int
is_field(const struct msg_field *f, const char *name, int resent)
{
	char full[32];

	(void)snprintf(
	    full, sizeof(full), "%s%s", resent ? "Resent-" : "", name);
	return msg_field_is(f, full);
}

static int
field_done(struct reader *rd, const struct msg_field *f)
{
	struct message *m = rd->m;
	struct hfield *h;
	int i;

	if (rd->done_f >= m->nf)
		return 0; /* cannot happen: fields come in order */
	h = &m->f[rd->done_f++];
	if (msg_field_is(f, "Received"))
		m->hops++;
	if (msg_field_is(f, "Date"))
		m->have_date = 1;
	else if (msg_field_is(f, "Message-ID"))
		m->have_msgid = 1;
	else if (msg_field_is(f, "From"))
		m->have_from = 1;
	if (msg_field_is(f, "Bcc") || msg_field_is(f, "Resent-Bcc"))
		h->drop = 1;
	/* Ours replace the message's: one of each (RFC 8058 §3.1). */
	if (rd->o->nunsub > 0 && (msg_field_is(f, "List-Unsubscribe") ||
				     msg_field_is(f, "List-Unsubscribe-Post")))
		h->drop = 1;
	if (f->namelen > 7 && util_casecmp_n(f->name, "Resent-", 7) == 0)
		m->have_resent = 1;
	if (!rd->o->read_rcpts)
		return 0;
	for (i = 0; i < 2; i++) {
		if (!is_field(f, "To", i) && !is_field(f, "Cc", i) &&
		    !is_field(f, "Bcc", i))
			continue;
		/* Kept with a mark: the Resent- choice is made at the end. */
		h->drop |= i ? 4 : 2;
	}
	return 0;
}

/* Collect the addresses of the To/Cc/Bcc (or Resent-) fields. */
static int
take_rcpts(struct reader *rd)
{
	struct message *m = rd->m;
	struct buf v = BUF_INIT;
	size_t i, colon;
	int mark = m->have_resent ? 4 : 2, n;
	const char *p;

	/*
	 * RFC 5322 §3.6.6: Resent- fields are added when a message is
	 * reintroduced; then they, not the original To/Cc/Bcc, say where
	 * it goes (as Postfix's sendmail -t does).
	 */
	for (i = 0; i < m->nf; i++) {
		if ((m->f[i].drop & mark) == 0)
			continue;
		p = m->head.data + m->f[i].off;
		for (colon = 0; colon < m->f[i].len && p[colon] != ':'; colon++)
			;
		buf_reset(&v);
		if (msg_unfold(p + colon + 1, m->f[i].len - colon - 1, &v) ==
		    -1) {
			buf_free(&v);
			util_seterr(
			    rd->err, rd->errlen, "header: %s", strerror(errno));
			return EX_OSERR;
		}
		n = msg_addr_list(
		    v.data != NULL ? v.data : "", v.len, rd->add, rd->arg);
		if (n == -1) {
			util_seterr(rd->err, rd->errlen,
			    "-t: cannot parse the addresses in \"%.*s\"",
			    (int)(colon < 40 ? colon : 40), p);
			buf_free(&v);
			return EX_DATAERR;
		}
	}
	buf_free(&v);
	for (i = 0; i < m->nf; i++)
		m->f[i].drop &= 1;
	return 0;
}

static int
new_field(struct message *m, size_t off)
{
	struct hfield *nf;
	size_t cap;

	if (m->nf == m->capf) {
		cap = m->capf ? m->capf * 2 : 32;
		if ((nf = reallocarray(m->f, cap, sizeof(*nf))) == NULL)
			return -1;
		m->f = nf;
		m->capf = cap;
	}
	m->f[m->nf].off = off;
	m->f[m->nf].len = 0;
	m->f[m->nf].drop = 0;
	m->nf++;
	return 0;
}

/* Body bytes: look for the "." line that ends input without -i. */
static int
body_bytes(struct reader *rd, const char *p, size_t n)
{
	size_t i, cut;

	if (!rd->o->dot_ends)
		return spool_add(rd->m, p, n, rd->err, rd->errlen);
	for (i = 0; i < n; i++) {
		if (rd->dot == 1 && p[i] == '\r') {
			rd->dot = 2;
		} else if (rd->dot > 0 && p[i] == '\n') {
			/* The ".\n" line is not part of the message. */
			cut = (size_t)rd->dot;
			if (spool_add(rd->m, p, i, rd->err, rd->errlen) == -1)
				return -1;
			rd->ended = 1;
			return spool_cut(rd->m, cut, rd->err, rd->errlen);
		} else {
			rd->dot = rd->bol && p[i] == '.' ? 1 : 0;
		}
		rd->bol = p[i] == '\n';
	}
	return spool_add(rd->m, p, n, rd->err, rd->errlen);
}

/* Scan the complete header lines in head; move the body part on. */
static int
head_lines(struct reader *rd, int eof)
{
	struct message *m = rd->m;
	struct msg_field f;
	const char *nl;
	size_t end, rest;
	int kind;

	while (rd->in_head && rd->lpos < m->head.len) {
		nl = memchr(
		    m->head.data + rd->lpos, '\n', m->head.len - rd->lpos);
		if (nl == NULL && !eof) {
			if (m->head.len - rd->lpos > MSG_LINE_MAX * 64) {
				util_seterr(rd->err, rd->errlen,
				    "header line longer than %d bytes",
				    MSG_LINE_MAX * 64);
				rd->ex = EX_DATAERR;
				return -1;
			}
			return 0;
		}
		if (nl == NULL) {
			/* The last line has no LF: give it one. */
			if (buf_putc(&m->head, '\n') == -1)
				goto toolong;
			nl = m->head.data + m->head.len - 1;
		}
		end = (size_t)(nl - m->head.data) + 1;
		kind = msg_scan_line(
		    &rd->scan, m->head.data + rd->lpos, end - rd->lpos);
		if (kind == MSG_LINE_ERROR)
			goto toolong;
		if (kind == MSG_LINE_HEADER && m->head.data[rd->lpos] != ' ' &&
		    m->head.data[rd->lpos] != '\t' &&
		    new_field(m, rd->lpos) == -1)
			goto toolong;
		while (msg_scan_field(&rd->scan, &f))
			(void)field_done(rd, &f);
		if (kind == MSG_LINE_HEADER) {
			m->f[m->nf - 1].len = end - m->f[m->nf - 1].off;
			rd->lpos = end;
			continue;
		}
		/* The header ended: an empty line, or a body line. */
		if (kind == MSG_LINE_BODY)
			end = rd->lpos;
		rd->in_head = 0;
		rest = m->head.len - end;
		if (body_bytes(rd, m->head.data + end, rest) == -1) {
			rd->ex = EX_IOERR;
			return -1;
		}
		buf_truncate(&m->head, rd->lpos);
	}
	return 0;
toolong:
	util_seterr(rd->err, rd->errlen, "header: %s",
	    errno == EMSGSIZE ? "longer than the limit" : strerror(errno));
	rd->ex = errno == EMSGSIZE ? EX_DATAERR : EX_OSERR;
	return -1;
}

int
message_read(struct message *m, int fd, const struct msend_opts *o,
    int (*add)(void *arg, const char *addr, size_t len), void *arg, char *err,
    size_t errlen)
{
	struct reader rd;
	struct msg_field f;
	char chunk[READ_CHUNK];
	ssize_t r;
	int rc = 0;

	memset(&rd, 0, sizeof(rd));
	m->unsub = o->unsub;
	m->nunsub = o->nunsub;
	rd.m = m;
	rd.o = o;
	rd.add = add;
	rd.arg = arg;
	rd.in_head = 1;
	rd.bol = 1;
	rd.err = err;
	rd.errlen = errlen;
	msg_scan_init(&rd.scan);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			util_seterr(err, errlen, "reading the message: %s",
			    strerror(errno));
			rc = EX_IOERR;
			goto out;
		}
		if (r == 0)
			break;
		if (rd.in_head) {
			if (buf_append(&m->head, chunk, (size_t)r) == -1) {
				util_seterr(err, errlen,
				    "header longer than %d bytes",
				    MSG_HEADER_MAX);
				rc = EX_DATAERR;
				goto out;
			}
			if (head_lines(&rd, 0) == -1) {
				rc = rd.ex;
				goto out;
			}
		} else if (body_bytes(&rd, chunk, (size_t)r) == -1) {
			rc = EX_IOERR;
			goto out;
		}
		if (rd.ended)
			break;
	}
	if (rd.in_head) {
		if (head_lines(&rd, 1) == -1) {
			rc = rd.ex;
			goto out;
		}
		rd.in_head = 0;
	}
	msg_scan_eof(&rd.scan);
	while (msg_scan_field(&rd.scan, &f))
		(void)field_done(&rd, &f);
	if (m->hops >= SMTP_HOPS_MAX) {
		/* RFC 5321 §6.3: a message that went round this often is
		   in a loop; sending it on would feed the loop. */
		util_seterr(err, errlen,
		    "the message has %d Received header fields (at most "
		    "%d): a mail loop",
		    m->hops, SMTP_HOPS_MAX - 1);
		rc = EX_DATAERR;
		goto out;
	}
	if (o->read_rcpts)
		rc = take_rcpts(&rd);
out:
	msg_scan_free(&rd.scan);
	return rc;
}

/* ------------------------------------------------------------ measuring */

struct measure {
	uint64_t size;
	int eightbit;
	int cr; /* last byte was CR */
	int nl; /* last byte was LF (or nothing yet) */
	int bare_cr;
};

static int
measure_fn(void *arg, const char *p, size_t n)
{
	struct measure *ms = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (ms->cr && c != '\n')
			ms->bare_cr = 1;
		if (c == '\n' && !ms->cr)
			ms->size++; /* LF becomes CRLF */
		if (c >= 0x80)
			ms->eightbit = 1;
		ms->cr = c == '\r';
		ms->nl = c == '\n';
	}
	ms->size += n;
	return 0;
}

/* A display name as a quoted-string when it needs one (RFC 5322 §3.2.4). */
static int
put_phrase(struct buf *b, const char *s)
{
	const char *p;
	int rc = 0;

	if (strpbrk(s, "()<>[]:;@\\,.\"") == NULL)
		return buf_puts(b, s);
	rc |= buf_putc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			rc |= buf_putc(b, '\\');
		rc |= buf_putc(b, *p);
	}
	rc |= buf_putc(b, '"');
	return rc;
}

int
message_prepare(struct message *m, const char *from, const char *fullname,
    const char *domain, char *err, size_t errlen)
{
	struct measure ms;
	char date[64], id[SMTP_DOMAIN_MAX + 64];
	const char *at;
	size_t i;
	int rc = 0;

	buf_reset(&m->add);
	/* RFC 6409 §8.1-8.3: a submission server may add these. */
	if (!m->have_from && from != NULL && from[0] != '\0') {
		rc |= buf_puts(&m->add, "From: ");
		if (fullname != NULL && fullname[0] != '\0' &&
		    strpbrk(fullname, "\r\n") == NULL) {
			rc |= put_phrase(&m->add, fullname);
			rc |= buf_printf(&m->add, " <%s>\r\n", from);
		} else
			rc |= buf_printf(&m->add, "%s\r\n", from);
	}
	if (!m->have_date) {
		if (msg_date(time(NULL), date, sizeof(date)) == -1) {
			util_seterr(err, errlen, "Date: %s", strerror(errno));
			return EX_SOFTWARE;
		}
		rc |= buf_printf(&m->add, "Date: %s\r\n", date);
	}
	if (!m->have_msgid) {
		at = from != NULL ? strrchr(from, '@') : NULL;
		if ((at == NULL ||
			msg_message_id(at + 1, id, sizeof(id)) == -1) &&
		    msg_message_id(domain, id, sizeof(id)) == -1 &&
		    msg_message_id("localhost", id, sizeof(id)) == -1) {
			util_seterr(
			    err, errlen, "Message-ID: %s", strerror(errno));
			return EX_SOFTWARE;
		}
		rc |= buf_printf(&m->add, "Message-ID: %s\r\n", id);
	}
	/* RFC 8058 §3.1: the URIs (on one line: sign_fields takes ours a
	   line each), and the one-click key. */
	for (i = 0; i < (size_t)m->nunsub; i++)
		rc |= buf_printf(&m->add, "%s<%s>",
		    i == 0 ? "List-Unsubscribe: " : ", ", m->unsub[i]);
	if (m->nunsub > 0)
		rc |= buf_puts(&m->add, "\r\nList-Unsubscribe-Post: "
					"List-Unsubscribe=One-Click\r\n");
	if (rc != 0) {
		util_seterr(err, errlen, "header: %s", strerror(errno));
		return EX_OSERR;
	}
	memset(&ms, 0, sizeof(ms));
	ms.nl = 1;
	for (i = 0; i < m->nf; i++)
		if (!m->f[i].drop)
			(void)measure_fn(
			    &ms, m->head.data + m->f[i].off, m->f[i].len);
	if (ms.cr)
		ms.bare_cr = 1;
	ms.size += m->add.len + 2; /* and the empty line */
	ms.nl = 1;
	if (spool_each(m, measure_fn, &ms, err, errlen) == -1)
		return EX_IOERR;
	if (ms.cr)
		ms.bare_cr = 1;
	if (ms.bare_cr) {
		/* A lone CR is not a line ending (RFC 5322 §2.3) and would
		 * become one, or be refused, at the next hop. */
		util_seterr(err, errlen,
		    "the message holds a CR that is not followed by LF");
		return EX_DATAERR;
	}
	m->body_nl = ms.nl;
	if (!ms.nl)
		ms.size += 2;
	m->size = ms.size;
	m->eightbit = ms.eightbit;
	return 0;
}

/* ------------------------------------------------------------ DKIM */

/* The fields as they go out: the header read (but Bcc), then ours. */
static struct dkim_hdr *
sign_fields(struct message *m, int *nf)
{
	struct dkim_hdr *f;
	const char *p, *end;
	size_t i, n = m->nf + 8;
	int k = 0;

	for (i = 0; i < m->add.len; i++)
		if (m->add.data[i] == '\n')
			n++;
	if ((f = calloc(n, sizeof(*f))) == NULL)
		return NULL;
	for (i = 0; i < m->nf; i++)
		if (!m->f[i].drop) {
			f[k].p = m->head.data + m->f[i].off;
			f[k].len = m->f[i].len;
			k++;
		}
	/* What message_prepare adds is one line a field. */
	for (p = m->add.data, end = p + m->add.len; p != NULL && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 :
		    (size_t)(end - p);

		f[k].p = p;
		f[k].len = len;
		k++;
		p += len;
	}
	*nf = k;
	return f;
}

static int
from_cb(void *arg, const char *addr, size_t len)
{
	char *out = arg;
	const char *at = NULL;
	size_t n;

	for (n = 0; n < len; n++)
		if (addr[n] == '@')
			at = addr + n;
	if (at == NULL)
		return 1;
	n = len - (size_t)(at + 1 - addr);
	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return 1;
	memcpy(out, at + 1, n);
	out[n] = '\0';
	return 1; /* the first address is enough */
}

/* The domain of the (first) From: address, into out; 0 or -1. */
static int
from_domain(const struct dkim_hdr *f, int nf, char *out)
{
	struct buf v = BUF_INIT;
	char ascii[SMTP_DOMAIN_MAX + 1], why[ERR_MAX];
	const char *colon;
	int i;

	out[0] = '\0';
	for (i = 0; i < nf; i++) {
		if (f[i].len < 5 || util_casecmp_n(f[i].p, "From:", 5) != 0)
			continue;
		colon = f[i].p + 4;
		if (msg_unfold(colon + 1, f[i].len - 5, &v) == 0)
			(void)msg_addr_list(v.data != NULL ? v.data : "",
			    v.len, from_cb, out);
		break;
	}
	buf_free(&v);
	/* d= is in A-labels (RFC 6376 §3.5, RFC 8616 §4); none when the
	   domain is not one. */
	if (out[0] == '\0' ||
	    dns_to_ascii(out, ascii, sizeof(ascii), why, sizeof(why)) == -1) {
		out[0] = '\0';
		return -1;
	}
	util_strlcpy(out, ascii, SMTP_DOMAIN_MAX + 1);
	util_lower(out);
	return 0;
}

struct bhs {
	struct dkim_bh *h[2]; /* by body canonicalization */
};

static int
bh_fn(void *arg, const char *p, size_t n)
{
	struct bhs *b = arg;

	if (dkim_bh_update(b->h[0], p, n) == -1 ||
	    dkim_bh_update(b->h[1], p, n) == -1)
		return -1;
	return 0;
}

/* The fields --list-unsubscribe adds, as h= names them. */
static const char *const unsub_fields[] = {
    "list-unsubscribe", "list-unsubscribe-post"};

int
message_sign(struct message *m, const struct msend_signer *s, int n,
    char *err, size_t errlen)
{
	struct dkim_sign_opts o;
	struct dkim_hdr *f;
	struct bhs b = {{NULL, NULL}};
	unsigned char hash[2][32];
	char fdom[SMTP_DOMAIN_MAX + 1], why[ERR_MAX];
	int nf, i, rc = EX_SOFTWARE;

	buf_reset(&m->sig);
	if (n == 0)
		return 0;
	if ((f = sign_fields(m, &nf)) == NULL) {
		util_seterr(err, errlen, "DKIM: %s", strerror(errno));
		return EX_OSERR;
	}
	/* One pass over the body for both canonicalizations. */
	if ((b.h[0] = dkim_bh_new(DKIM_SIMPLE, -1)) == NULL ||
	    (b.h[1] = dkim_bh_new(DKIM_RELAXED, -1)) == NULL) {
		util_seterr(err, errlen, "DKIM: %s", strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	if (spool_each(m, bh_fn, &b, err, errlen) == -1) {
		rc = EX_IOERR;
		goto out;
	}
	if (dkim_bh_final(b.h[0], hash[0], NULL) == -1 ||
	    dkim_bh_final(b.h[1], hash[1], NULL) == -1) {
		util_seterr(err, errlen, "DKIM: the body hash failed");
		goto out;
	}
	(void)from_domain(f, nf, fdom);
	for (i = 0; i < n; i++) {
		memset(&o, 0, sizeof(o));
		o.domain = s[i].domain != NULL ? s[i].domain : fdom;
		if (o.domain[0] == '\0') {
			util_seterr(err, errlen, "DKIM (%s): no domain to sign "
			    "for: the From: field has no address with a "
			    "domain (give --dkim-domain)", s[i].file);
			rc = EX_DATAERR;
			goto out;
		}
		o.selector = s[i].selector;
		o.hcanon = s[i].hcanon;
		o.bcanon = s[i].bcanon;
		o.t = time(NULL);
		o.expire = s[i].expire;
		/* RFC 8058 §4: the signature covers both fields. */
		if (m->nunsub > 0) {
			o.oversign = unsub_fields;
			o.noversign = 2;
		}
		if (dkim_sign(s[i].k, &o, f, nf, hash[o.bcanon], &m->sig, why,
			sizeof(why)) == -1) {
			util_seterr(err, errlen, "DKIM (%s): %s", s[i].file,
			    why);
			goto out;
		}
	}
	m->size += m->sig.len;
	rc = 0;
out:
	if (rc != 0)
		buf_reset(&m->sig);
	dkim_bh_free(b.h[0]);
	dkim_bh_free(b.h[1]);
	free(f);
	return rc;
}

int
message_unsub_uri(const char *uri, char *err, size_t errlen)
{
	const char *p, *rest;
	int kind;

	if (util_casecmp_n(uri, "https://", 8) == 0) {
		kind = 1;
		rest = uri + 8;
	} else if (util_casecmp_n(uri, "mailto:", 7) == 0) {
		kind = 2;
		rest = uri + 7;
	} else {
		util_seterr(err, errlen, "not an https: or mailto: URI");
		return 0;
	}
	if (*rest == '\0' || *rest == '/' || *rest == '?') {
		util_seterr(err, errlen, "no %s after the scheme",
		    kind == 1 ? "host" : "address");
		return 0;
	}
	for (p = uri; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '<' || *p == '>' || *p == '"') {
			util_seterr(err, errlen,
			    "holds a space, '<', '>', '\"' or a byte that is "
			    "not printable ASCII (percent-encode it)");
			return 0;
		}
	return kind;
}

/* ------------------------------------------------------------ sending */

struct conv {
	struct io *io;
	int dot; /* dot-stuff */
	int bol;
	int cr;
};

static int
conv_fn(void *arg, const char *p, size_t n)
{
	struct conv *c = arg;
	const char *nl;
	size_t k;
	int crlf;

	while (n > 0) {
		/* RFC 5321 §4.5.2: a line starting with "." gets one more. */
		if (c->bol && c->dot && p[0] == '.' &&
		    io_write(c->io, ".", 1) == -1)
			return -1;
		c->bol = 0;
		if ((nl = memchr(p, '\n', n)) == NULL) {
			c->cr = p[n - 1] == '\r';
			return io_write(c->io, p, n);
		}
		k = (size_t)(nl - p);
		crlf = k > 0 ? p[k - 1] == '\r' : c->cr;
		if (crlf) {
			if (io_write(c->io, p, k + 1) == -1)
				return -1;
		} else if (io_write(c->io, p, k) == -1 ||
		    io_write(c->io, "\r\n", 2) == -1)
			return -1;
		c->bol = 1;
		c->cr = 0;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

int
message_send(
    struct message *m, struct io *io, int dot, char *err, size_t errlen)
{
	struct conv c;
	size_t i;

	c.io = io;
	c.dot = dot;
	c.bol = 1;
	c.cr = 0;
	if (m->sig.len > 0 && io_write(io, m->sig.data, m->sig.len) == -1)
		goto fail;
	for (i = 0; i < m->nf; i++)
		if (!m->f[i].drop &&
		    conv_fn(&c, m->head.data + m->f[i].off, m->f[i].len) == -1)
			goto fail;
	if (io_write(io, m->add.data, m->add.len) == -1 ||
	    io_write(io, "\r\n", 2) == -1)
		goto fail;
	c.bol = 1;
	c.cr = 0;
	if (spool_each(m, conv_fn, &c, err, errlen) == -1) {
		if (io->err[0] != '\0')
			util_seterr(err, errlen, "%s", io->err);
		return -1;
	}
	if (!m->body_nl && io_write(io, "\r\n", 2) == -1)
		goto fail;
	return 0;
fail:
	util_seterr(err, errlen, "%s", io->err);
	return -1;
}
