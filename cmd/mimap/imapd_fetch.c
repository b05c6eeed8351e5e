/*
 * imapd_fetch.c: FETCH and UID FETCH (RFC 3501 §6.4.5, RFC 9051 §6.4.5,
 * CONDSTORE RFC 7162 §3.1.4): the macros ALL, FAST and FULL, and UID,
 * FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE,
 * BODY[section]<partial>, BODY.PEEK[...], RFC822, RFC822.HEADER,
 * RFC822.TEXT, MODSEQ, BINARY[section]<partial>, BINARY.PEEK and
 * BINARY.SIZE (RFC 3516), the CHANGEDSINCE modifier and, with QRESYNC,
 * VANISHED (RFC 7162 §3.1.4.1, §3.2.6), and the saved search result
 * "$" (RFC 5182).  The message is read once per FETCH line and
 * parsed by common/mime only when an item needs its structure; BODY[]
 * without .PEEK sets \Seen (not in a read-only folder) and the FLAGS go
 * with the answer (RFC 3501 §6.4.5).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imapd.h"
#include "mime.h"
#include "util.h"

/* Items of one FETCH. */
#define FETCH_ITEMS_MAX 64

enum item_kind {
	IT_UID,
	IT_FLAGS,
	IT_INTERNALDATE,
	IT_SIZE,
	IT_ENVELOPE,
	IT_BODY, /* BODY without a section: the non-extensible form */
	IT_BODYSTRUCTURE,
	IT_SECTION, /* BODY[...] / BODY.PEEK[...] / RFC822* */
	IT_MODSEQ,
	IT_BINARY, /* BINARY[part] / BINARY.PEEK[part] (RFC 3516) */
	IT_BINARY_SIZE /* BINARY.SIZE[part] */
};

struct item {
	enum item_kind kind;
	int peek;
	const char *name; /* how the answer names it: "BODY[1.2]<0>" */
	struct mime_section sec;
	int have_sec;
	int partial; /* <start.count> given */
	uint64_t start, count;
	char label[256];
};

struct fetch {
	struct item it[FETCH_ITEMS_MAX];
	size_t n;
	int need_msg; /* an item reads the message */
	int sets_seen; /* BODY[] without PEEK, RFC822, RFC822.TEXT */
};

static void
fetch_free(struct fetch *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->it[i].have_sec)
			mime_section_free(&f->it[i].sec);
}

static struct item *
add(struct fetch *f, enum item_kind k, const char *label)
{
	struct item *it;

	if (f->n == FETCH_ITEMS_MAX)
		return NULL;
	it = &f->it[f->n++];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	util_strlcpy(it->label, label, sizeof(it->label));
	if (k == IT_ENVELOPE || k == IT_BODY || k == IT_BODYSTRUCTURE ||
	    k == IT_SECTION || k == IT_BINARY || k == IT_BINARY_SIZE)
		f->need_msg = 1;
	return it;
}

/*
 * A section item from its text "BODY[spec]<p>" / "BODY.PEEK[spec]" /
 * "BINARY..." (not taken).  0 or -1 (bad).
 */
static int
add_section(struct fetch *f, const char *t, size_t len)
{
	const char *lb, *rb, *end = t + len, *dot;
	struct item *it;
	uint64_t a, b;
	int peek = 0;
	enum item_kind kind = IT_SECTION;
	const char *word = "BODY";

	if (len > 10 && strncasecmp(t, "BODY.PEEK[", 10) == 0)
		peek = 1;
	else if (len > 12 && strncasecmp(t, "BINARY.PEEK[", 12) == 0) {
		peek = 1;
		kind = IT_BINARY;
		word = "BINARY";
	} else if (len > 12 && strncasecmp(t, "BINARY.SIZE[", 12) == 0) {
		peek = 1;
		kind = IT_BINARY_SIZE;
		word = "BINARY.SIZE";
	} else if (len > 7 && strncasecmp(t, "BINARY[", 7) == 0) {
		kind = IT_BINARY;
		word = "BINARY";
	} else if (!(len > 5 && strncasecmp(t, "BODY[", 5) == 0))
		return -1;
	lb = memchr(t, '[', len);
	for (rb = end; rb > lb && rb[-1] != ']'; rb--)
		;
	if (rb <= lb + 0 || rb[-1] != ']')
		return -1;
	rb--;
	if ((it = add(f, kind, "")) == NULL)
		return -1;
	it->peek = peek;
	if (mime_section_parse(&it->sec, lb + 1, (size_t)(rb - lb - 1)) ==
	    -1) {
		it->have_sec = 1;
		return -1;
	}
	it->have_sec = 1;
	it->count = UINT64_MAX;
	/* RFC 3516 §3: section-binary is part numbers only. */
	if (kind != IT_SECTION && it->sec.what != MIME_SEC_BODY)
		return -1;
	if (rb + 1 < end) {
		if (kind == IT_BINARY_SIZE)
			return -1;
		/* "<start.count>" (RFC 3501 §6.4.5) */
		if (rb[1] != '<' || end[-1] != '>' ||
		    (dot = memchr(rb + 2, '.', (size_t)(end - rb - 3))) ==
			NULL ||
		    imap_parse_number(rb + 2, (size_t)(dot - rb - 2),
			UINT32_MAX, &a) == -1 ||
		    imap_parse_number(dot + 1, (size_t)(end - dot - 2),
			UINT32_MAX, &b) == -1 ||
		    b == 0)
			return -1;
		it->partial = 1;
		it->start = a;
		it->count = b;
	}
	/* The answer names the item as asked, without PEEK and with only
	   the start of the partial (RFC 3501 §7.4.2). */
	(void)snprintf(it->label, sizeof(it->label), "%s[%.*s]", word,
	    (int)(rb - lb - 1), lb + 1);
	if (it->partial) {
		size_t l = strlen(it->label);

		(void)snprintf(it->label + l, sizeof(it->label) - l, "<%llu>",
		    (unsigned long long)it->start);
	}
	if (!peek)
		f->sets_seen = 1;
	return 0;
}

/* An RFC822* item as the section it is. */
static int
add_rfc822(struct fetch *f, const char *spec, const char *label, int seen)
{
	struct item *it;

	if ((it = add(f, IT_SECTION, label)) == NULL)
		return -1;
	it->have_sec = 1;
	if (mime_section_parse(&it->sec, spec, strlen(spec)) == -1)
		return -1;
	it->count = UINT64_MAX;
	it->peek = !seen;
	if (seen)
		f->sets_seen = 1;
	return 0;
}

/* One fetch-att; *v is moved past what it took (a section spans up to
   three values).  0 or -1 (BAD). */
static int
one_item(struct imapd *s, struct fetch *f, const struct imap_value **vp)
{
	const struct imap_value *v = *vp, *w;
	const char *t = v->s;
	size_t len = v->len;

	if (v->type != IMAP_ATOM)
		return -1;
	if (memchr(t, '[', len) != NULL && memchr(t, ']', len) == NULL) {
		/* BODY[HEADER.FIELDS (A B)]<p>: atom, list, joined atom;
		   the item is the octets from the first to the last, in
		   the command buffer. */
		if ((w = v->next) == NULL || w->type != IMAP_LIST ||
		    (w = w->next) == NULL || w->type != IMAP_ATOM ||
		    !(w->flags & IMAP_VF_JOINED) || w->len == 0 ||
		    w->s[0] != ']' || w->s < t ||
		    w->s + w->len > s->cmd.data + s->cmd.len)
			return -1;
		len = (size_t)(w->s + w->len - t);
		*vp = w;
		return add_section(f, t, len);
	}
	if (memchr(t, '[', len) != NULL)
		return add_section(f, t, len);
	if (imap_is(v, "UID"))
		return add(f, IT_UID, "UID") == NULL ? -1 : 0;
	if (imap_is(v, "FLAGS"))
		return add(f, IT_FLAGS, "FLAGS") == NULL ? -1 : 0;
	if (imap_is(v, "INTERNALDATE"))
		return add(f, IT_INTERNALDATE, "INTERNALDATE") == NULL ? -1 : 0;
	if (imap_is(v, "RFC822.SIZE"))
		return add(f, IT_SIZE, "RFC822.SIZE") == NULL ? -1 : 0;
	if (imap_is(v, "ENVELOPE"))
		return add(f, IT_ENVELOPE, "ENVELOPE") == NULL ? -1 : 0;
	if (imap_is(v, "BODY"))
		return add(f, IT_BODY, "BODY") == NULL ? -1 : 0;
	if (imap_is(v, "BODYSTRUCTURE"))
		return add(f, IT_BODYSTRUCTURE, "BODYSTRUCTURE") == NULL ? -1 : 0;
	if (imap_is(v, "MODSEQ")) {
		imapd_condstore_on(s); /* RFC 7162 §3.1 */
		return add(f, IT_MODSEQ, "MODSEQ") == NULL ? -1 : 0;
	}
	if (imap_is(v, "RFC822"))
		return add_rfc822(f, "", "RFC822", 1);
	if (imap_is(v, "RFC822.HEADER"))
		return add_rfc822(f, "HEADER", "RFC822.HEADER", 0);
	if (imap_is(v, "RFC822.TEXT"))
		return add_rfc822(f, "TEXT", "RFC822.TEXT", 1);
	return -1;
}

/* The fetch items: a macro, one item, or a list of them. */
static int
parse_items(struct imapd *s, const struct imap_value *v, struct fetch *f,
    const struct imap_value **last)
{
	const struct imap_value *q;

	*last = v;

	if (v->type == IMAP_ATOM &&
	    (imap_is(v, "ALL") || imap_is(v, "FAST") || imap_is(v, "FULL"))) {
		/* RFC 3501 §6.4.5 */
		(void)add(f, IT_FLAGS, "FLAGS");
		(void)add(f, IT_INTERNALDATE, "INTERNALDATE");
		(void)add(f, IT_SIZE, "RFC822.SIZE");
		if (!imap_is(v, "FAST"))
			(void)add(f, IT_ENVELOPE, "ENVELOPE");
		if (imap_is(v, "FULL"))
			(void)add(f, IT_BODY, "BODY");
		return 0;
	}
	if (v->type != IMAP_LIST) {
		/* One item, which may span values: BODY[HEADER.FIELDS
		   (From)] is an atom, a list and a joined atom. */
		if (one_item(s, f, &v) == -1)
			return -1;
		*last = v;
		return 0;
	}
	if (v->count == 0)
		return -1;
	for (q = v->child; q != NULL; q = q->next)
		if (one_item(s, f, &q) == -1)
			return -1;
	return 0;
}

/* The whole file of message i into b (bounded by its size). */
static int
read_msg(struct imapd *s, size_t i, struct buf *b)
{
	char err[ERR_MAX];
	int fd, rc;

	if ((fd = mailbox_open_msg(&s->mb, i, err, sizeof(err))) == -1)
		return -1;
	buf_reset(b);
	rc = buf_read_fd(b, fd);
	(void)close(fd);
	return rc;
}

/* Append n octets as a literal. */
static void
put_literal(struct buf *out, const char *p, size_t n)
{
	(void)buf_printf(out, "{%zu}\r\n", n);
	(void)buf_append(out, p, n);
}

/* Append n octets as a literal, literal8 "~{n}" when they hold a NUL
   (RFC 3516 §4.2). */
static void
put_literal8(struct buf *out, const char *p, size_t n)
{
	if (memchr(p, '\0', n) != NULL)
		(void)buf_putc(out, '~');
	put_literal(out, p, n);
}

/*
 * The decoded content of section sec (part numbers only) into out, for
 * BINARY (RFC 3516): a leaf's body with its transfer encoding undone;
 * the whole message, or a part that is not a leaf, as it is (NULs
 * kept).  0, -1 with errno ENOENT (no such part), EPROTO (an encoding
 * we do not know: UNKNOWN-CTE), ENOMEM.
 */
static int
binary_content(const struct mime_msg *m, const struct mime_section *sec,
    struct buf *out)
{
	const struct mime_part *pt;
	struct buf d;
	int rc;

	if (sec->npart == 0)
		return mime_fetch(m, sec, 0, UINT64_MAX, MIME_F_KEEP_NUL, out);
	if (sec->beyond ||
	    (pt = mime_part_find(m, sec->part, sec->npart)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (pt->kind != MIME_LEAF)
		return mime_fetch(m, sec, 0, UINT64_MAX, MIME_F_KEEP_NUL, out);
	switch (pt->cte) {
	case MIME_CTE_OTHER:
		errno = EPROTO;
		return -1;
	case MIME_CTE_BASE64:
		return mime_decode_body(pt->cte, m->p + pt->body_off,
		    pt->body_len, out);
	case MIME_CTE_QP:
		/* decoded, then its line ends as CRLF */
		buf_init(&d, 0);
		rc = mime_decode_body(pt->cte, m->p + pt->body_off,
		    pt->body_len, &d);
		if (rc == 0)
			rc = mime_wire_copy(out, d.data != NULL ? d.data : "",
			    d.len, 0, SIZE_MAX, MIME_F_KEEP_NUL);
		buf_free(&d);
		return rc;
	case MIME_CTE_BINARY:
		/* RFC 3516 §4: binary is octets, with no lines to
		   convert: the body exactly as stored. */
		return buf_append(out, m->p + pt->body_off, pt->body_len);
	default:
		return mime_wire_copy(out, m->p + pt->body_off, pt->body_len,
		    0, SIZE_MAX, MIME_F_KEEP_NUL);
	}
}

/* Do the items read the message only as a whole (BODY[], RFC822, with
   or without a partial)?  Then it needs no MIME parse. */
static int
whole_only(const struct fetch *f)
{
	size_t k;

	for (k = 0; k < f->n; k++) {
		const struct item *it = &f->it[k];

		if (it->kind == IT_ENVELOPE || it->kind == IT_BODY ||
		    it->kind == IT_BODYSTRUCTURE || it->kind == IT_BINARY ||
		    it->kind == IT_BINARY_SIZE)
			return 0;
		if (it->kind == IT_SECTION &&
		    (it->sec.npart != 0 || it->sec.what != MIME_SEC_BODY))
			return 0;
	}
	return 1;
}

/* Can the cache record r answer every item of f?  Then the message is
   not read. */
static int
cache_serves(const struct fetch *f, const struct msgcache_rec *r)
{
	size_t k;

	for (k = 0; k < f->n; k++)
		switch (f->it[k].kind) {
		case IT_ENVELOPE:
			if (r->env == NULL)
				return 0;
			break;
		case IT_BODY:
			if (r->body == NULL)
				return 0;
			break;
		case IT_BODYSTRUCTURE:
			if (r->bs == NULL)
				return 0;
			break;
		case IT_SECTION:
		case IT_BINARY:
		case IT_BINARY_SIZE:
			return 0;
		default:
			break;
		}
	return 1;
}

/*
 * One "* N FETCH (...)" for message i.  0, 1 (the message is gone: said
 * nothing), -1 (a server error, logged).
 */
static int
fetch_one(struct imapd *s, struct fetch *f, size_t i, struct buf *msg,
    int add_uid, int add_flags, int add_modseq)
{
	struct mime_msg m;
	struct msgcache_rec cr;
	struct buf part;
	struct timespec ts;
	char date[IMAP_DATETIME_LEN + 1], err[ERR_MAX];
	struct tm tm;
	long long size;
	size_t k, first;
	int parsed = 0, rc = 0, cached = 0;

	memset(&m, 0, sizeof(m));
	/* The cache is looked at (and read) only for items it holds. */
	if (f->need_msg && !whole_only(f) && imapd_cache_get(s, i, &cr) &&
	    cache_serves(f, &cr))
		cached = 1;
	else if (f->need_msg) {
		if (read_msg(s, i, msg) == -1)
			return errno == ENOENT ? 1 : -1;
		/* BODY[] and RFC822 alone need no structure: the file goes
		   out with CRLF line ends, unparsed. */
		if (!whole_only(f) &&
		    mime_parse(&m, msg->data != NULL ? msg->data : "",
			msg->len) == -1)
			return -1;
		parsed = !whole_only(f);
		if (parsed && !imapd_cache_get(s, i, &cr))
			imapd_cache_put(s, i, &m);
	}
	buf_init(&part, 0);
	buf_reset(&s->out);
	(void)buf_printf(&s->out, "* %zu FETCH (", i + 1);
	first = s->out.len;
#define SEP() do { if (s->out.len > first) (void)buf_putc(&s->out, ' '); } while (0)
	if (add_uid) {
		(void)buf_printf(&s->out, "UID %u", s->mb.msgs[i].uid);
	}
	for (k = 0; k < f->n && rc == 0; k++) {
		struct item *it = &f->it[k];

		if (it->kind == IT_UID && add_uid)
			continue;
		SEP();
		switch (it->kind) {
		case IT_UID:
			(void)buf_printf(&s->out, "UID %u", s->mb.msgs[i].uid);
			break;
		case IT_FLAGS:
			(void)buf_puts(&s->out, "FLAGS ");
			(void)imapd_put_flags(s, i, &s->out);
			break;
		case IT_MODSEQ:
			(void)buf_printf(&s->out, "MODSEQ (%llu)",
			    (unsigned long long)s->mb.msgs[i].modseq);
			break;
		case IT_INTERNALDATE:
			if (mailbox_internaldate(&s->mb, i, &ts, err,
				sizeof(err)) == -1) {
				rc = errno == ENOENT ? 1 : -1;
				break;
			}
			(void)localtime_r(&ts.tv_sec, &tm);
			if (imap_datetime_format((int64_t)ts.tv_sec,
				(int)(tm.tm_gmtoff / 60), date,
				sizeof(date)) == -1)
				(void)imap_datetime_format(
				    (int64_t)ts.tv_sec, 0, date, sizeof(date));
			(void)buf_printf(&s->out, "INTERNALDATE \"%s\"", date);
			break;
		case IT_SIZE:
			if ((size = parsed   ? (long long)m.size
				    : cached ? (long long)cr.size
					     : mailbox_size(&s->mb, i)) < 0) {
				rc = errno == ENOENT ? 1 : -1;
				break;
			}
			(void)buf_printf(&s->out, "RFC822.SIZE %lld", size);
			break;
		case IT_ENVELOPE:
			(void)buf_puts(&s->out, "ENVELOPE ");
			if (cached)
				(void)buf_append(&s->out, cr.env, cr.envlen);
			else
				(void)mime_envelope(&m, m.root, &s->out);
			break;
		case IT_BODY:
		case IT_BODYSTRUCTURE:
			(void)buf_printf(&s->out, "%s ", it->label);
			if (cached && it->kind == IT_BODY)
				(void)buf_append(&s->out, cr.body, cr.bodylen);
			else if (cached)
				(void)buf_append(&s->out, cr.bs, cr.bslen);
			else
				(void)mime_bodystructure(&m, m.root,
				    it->kind == IT_BODYSTRUCTURE, &s->out);
			break;
		case IT_SECTION:
			buf_reset(&part);
			(void)buf_printf(&s->out, "%s ", it->label);
			if (!parsed) {
				/* The whole message (whole_only). */
				if (mime_wire_copy(&part,
					msg->data != NULL ? msg->data : "",
					msg->len,
					it->start > SIZE_MAX ? SIZE_MAX
							     : (size_t)it->start,
					it->count > SIZE_MAX ? SIZE_MAX
							     : (size_t)it->count,
					0) == -1) {
					rc = -1;
					break;
				}
			} else if (mime_fetch(&m, &it->sec, it->start,
				       it->count, 0, &part) == -1) {
				if (errno == ENOENT) {
					/* No such part: NIL, as Dovecot
					   answers "" or NIL. */
					(void)buf_puts(&s->out, "NIL");
					break;
				}
				rc = -1;
				break;
			}
			put_literal(&s->out, part.data != NULL ? part.data : "",
			    part.len);
			break;
		case IT_BINARY:
		case IT_BINARY_SIZE:
			buf_reset(&part);
			(void)buf_printf(&s->out, "%s ", it->label);
			if (binary_content(&m, &it->sec, &part) == -1) {
				if (errno == ENOENT) {
					(void)buf_puts(&s->out, "NIL");
					break;
				}
				rc = errno == EPROTO ? 2 : -1;
				break;
			}
			if (it->kind == IT_BINARY_SIZE) {
				(void)buf_printf(&s->out, "%zu", part.len);
				break;
			}
			{
				size_t off, len;

				mime_partial(part.len, it->start, it->count,
				    &off, &len);
				put_literal8(&s->out,
				    part.data != NULL ? part.data + off : "",
				    len);
			}
			break;
		}
	}
	if (rc == 0 && add_flags) {
		SEP();
		(void)buf_puts(&s->out, "FLAGS ");
		(void)imapd_put_flags(s, i, &s->out);
	}
	if (rc == 0 && add_modseq) {
		SEP();
		(void)buf_printf(&s->out, "MODSEQ (%llu)",
		    (unsigned long long)s->mb.msgs[i].modseq);
	}
#undef SEP
	(void)buf_puts(&s->out, ")\r\n");
	if (rc == 0)
		imapd_send_out(s);
	else
		buf_reset(&s->out);
	buf_free(&part);
	if (parsed)
		mime_free(&m);
	return rc;
}

/* Set \Seen on message i (BODY[] without PEEK).  1 when it changed. */
static int
mark_seen(struct imapd *s, size_t i)
{
	struct mailbox_store st;
	unsigned char res;
	uint64_t modseq;
	char err[ERR_MAX];

	if (s->readonly || (s->mb.msgs[i].flags & MAILBOX_FLAG('S')))
		return 0;
	memset(&st, 0, sizeof(st));
	st.op = MAILBOX_STORE_ADD;
	st.flags = MAILBOX_FLAG('S');
	st.scope = keywords_scope(&s->kw);
	if (mailbox_store(&s->mb, &i, 1, &st, &res, &modseq, err,
		sizeof(err)) == -1) {
		log_warn(s->c->log, "%s: %s", s->user, err);
		return 0;
	}
	return res == MAILBOX_STORED;
}

/*
 * The fetch modifiers (RFC 4466 §2.4): CHANGEDSINCE n (RFC 7162
 * §3.1.4.1) and VANISHED (§3.2.6, UID FETCH with QRESYNC only).  0 or
 * -1 (BAD).
 */
static int
modifiers(struct imapd *s, const struct imap_value *v, int *changed,
    uint64_t *since, int *vanished)
{
	const struct imap_value *q;

	if (v == NULL)
		return 0;
	if (v->type != IMAP_LIST || v->child == NULL || v->next != NULL)
		return -1;
	for (q = v->child; q != NULL; q = q->next) {
		if (imap_is(q, "CHANGEDSINCE") && !*changed) {
			if ((q = q->next) == NULL ||
			    imap_number64(q, 1, since) == -1)
				return -1;
			*changed = 1;
		} else if (imap_is(q, "VANISHED") && !*vanished)
			*vanished = 1;
		else
			return -1;
	}
	if (*vanished && (!s->uid || !s->qresync || !*changed))
		return -1;
	return 0;
}

/* RFC 7162 §3.2.6: "* VANISHED (EARLIER) uids" for the UIDs of ss
   expunged after since. */
static void
send_vanished(struct imapd *s, const struct imap_seqset *ss, uint64_t since)
{
	struct mailbox_range *set, *out = NULL;
	struct imap_seqset v = IMAP_SEQSET_INIT;
	char err[ERR_MAX];
	size_t i, nout = 0;

	if (ss->n == 0 || (set = calloc(ss->n, sizeof(*set))) == NULL)
		return;
	for (i = 0; i < ss->n; i++) {
		set[i].lo = ss->r[i].lo;
		set[i].hi = ss->r[i].hi;
	}
	if (mailbox_vanished(&s->mb, since, set, ss->n, &out, &nout, err,
		sizeof(err)) == -1) {
		log_warn(s->c->log, "%s: %s", s->user, err);
		free(set);
		return;
	}
	for (i = 0; i < nout; i++)
		(void)imap_seqset_add(&v, out[i].lo, out[i].hi);
	if (v.n > 0) {
		buf_reset(&s->out);
		(void)buf_puts(&s->out, "* VANISHED (EARLIER) ");
		(void)imap_seqset_format(&v, &s->out);
		(void)buf_puts(&s->out, "\r\n");
		imapd_send_out(s);
	}
	imap_seqset_free(&v);
	free(out);
	free(set);
}

int
imapd_fetch(struct imapd *s)
{
	const struct imap_value *set = imapd_arg(s, 0), *items = imapd_arg(s, 1);
	struct imap_seqset ss = IMAP_SEQSET_INIT;
	struct fetch *f;
	struct buf msg;
	uint32_t max;
	uint64_t since = 0;
	size_t i, k, gone = 0, unknown_cte = 0;
	const struct imap_value *last;
	int rc, seen, changed = 0, vanished = 0, has_modseq = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	max = s->uid ? (s->mb.n > 0 ? s->mb.msgs[s->mb.n - 1].uid : 0)
		     : (uint32_t)s->mb.n;
	if (set == NULL || items == NULL ||
	    (set->type != IMAP_ATOM && set->type != IMAP_NUMBER) ||
	    parse_items(s, items, f, &last) == -1 ||
	    modifiers(s, last->next, &changed, &since, &vanished) == -1 ||
	    imap_seqset_parse(set->s, set->len, max, &ss) == -1) {
		imapd_bad(s, NULL, "bad FETCH arguments");
		goto out;
	}
	/* RFC 5182: "$" is the saved search result. */
	if (ss.last && imapd_search_saved(s, s->uid, &ss) == -1) {
		imapd_no(s, "SERVERBUG", "out of memory");
		goto out;
	}
	if (changed) {
		/* RFC 7162 §3.1.4.1: MODSEQ goes with each answer. */
		imapd_condstore_on(s);
		for (k = 0; k < f->n; k++)
			if (f->it[k].kind == IT_MODSEQ)
				has_modseq = 1;
	}
	if (vanished)
		send_vanished(s, &ss, since);
	/* RFC 9051 §6.4.5: a sequence number past the last is an error;
	   UIDs that do not exist are simply not there. */
	if (!s->uid && ss.highest > s->mb.n) {
		imapd_bad(s, NULL, "no such message sequence number");
		goto out;
	}
	buf_init(&msg, 0);
	for (i = 0; i < s->mb.n; i++) {
		if (!imap_seqset_contains(&ss,
			s->uid ? s->mb.msgs[i].uid : (uint32_t)(i + 1)))
			continue;
		if (changed && s->mb.msgs[i].modseq <= since)
			continue;
		seen = f->sets_seen && mark_seen(s, i);
		rc = fetch_one(s, f, i, &msg, s->uid, seen,
		    changed && !has_modseq);
		if (rc == 1)
			gone++;
		else if (rc == 2)
			unknown_cte++;
		else if (rc == -1) {
			buf_free(&msg);
			log_err(s->c->log, "%s: fetch %zu: %s", s->user, i + 1,
			    strerror(errno));
			imapd_no(s, "SERVERBUG", "cannot read a message");
			goto out;
		}
		s->nfetch++;
		/* Out they go once a good amount is there: not a write per
		   message, nor a whole folder's bodies in memory. */
		if (s->io.wbuf.len >= IMAPD_OUT_CHUNK &&
		    io_flush(&s->io) == -1)
			break;
	}
	buf_free(&msg);
	imapd_cache_save(s);
	/* No EXPUNGE during FETCH (RFC 3501 §7.4.1). */
	if (imapd_sync(s, 0) == -1) {
		fetch_free(f);
		free(f);
		imap_seqset_free(&ss);
		return -1;
	}
	if (unknown_cte > 0)
		imapd_no(s, "UNKNOWN-CTE",
		    "a part has a transfer encoding this server cannot decode");
	else if (gone > 0)
		/* RFC 2180 §4.1.2: the others fetched, a tagged NO;
		   Dovecot's words, which clients (imaptest) know. */
		imapd_no(s, "EXPUNGEISSUED",
		    "some of the requested messages no longer exist");
	else
		imapd_ok(s, NULL, "%s completed", s->uid ? "UID FETCH" : "FETCH");
out:
	fetch_free(f);
	free(f);
	imap_seqset_free(&ss);
	return 0;
}

/*
 * NOTIFY (RFC 5465 §5.2): the fetch-att list v (parsed from s->cmd) for
 * the selected folder's messages from index from on, untagged, each
 * with its UID; no tagged answer.  Items that would set \Seen are
 * refused: a notification must not change the folder.  With from at
 * s->mb.n or past it, only checks v.  0, or -1: bad items.
 */
int
imapd_fetch_notify(struct imapd *s, const struct imap_value *v, size_t from)
{
	const struct imap_value *last;
	struct fetch *f;
	struct buf msg;
	size_t i;
	int rc = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (v->type != IMAP_LIST || parse_items(s, v, f, &last) == -1 ||
	    f->sets_seen)
		rc = -1;
	else {
		buf_init(&msg, 0);
		for (i = from; i < s->mb.n; i++)
			if (fetch_one(s, f, i, &msg, 1, 0, 0) == -1)
				break;
		buf_free(&msg);
	}
	fetch_free(f);
	free(f);
	return rc;
}
