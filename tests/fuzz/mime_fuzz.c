/*
 * mime_fuzz: any bytes as a message.  The part tree must be consistent
 * (ranges nested and in order, sizes the wire sizes of their ranges,
 * every part found again by its section number), BODY, BODYSTRUCTURE and
 * ENVELOPE must be well-formed IMAP, every section must fetch with its
 * span's size and cut partials consistently, decoded text must be valid
 * UTF-8, and streaming decoders must agree with one-piece decoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Parts whose sections are fetched, per input. */
#define VISIT_MAX 200

/* s must be one IMAP parenthesized list (RFC 3501 §9: nil, numbers,
 * quoted strings of 7-bit text, literals without NUL). */
static void
check_imap(const char *s, size_t n)
{
	size_t i = 0, len;
	int depth = 0;
	unsigned char c;

	if (n == 0 || s[0] != '(')
		abort();
	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '(') {
			depth++;
			i++;
		} else if (c == ')') {
			if (--depth < 0)
				abort();
			i++;
			if (depth == 0 && i != n)
				abort();
		} else if (c == ' ') {
			i++;
		} else if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				c = (unsigned char)s[i];
				if (c == '\\')
					c = (unsigned char)s[++i];
				if (c == '\0' || c == '\r' || c == '\n' ||
				    c >= 0x80)
					abort();
			}
			if (i >= n)
				abort();
			i++;
		} else if (c == '{') {
			for (len = 0, i++; i < n && s[i] >= '0' && s[i] <= '9';
			     i++)
				len = len * 10 + (size_t)(s[i] - '0');
			if (i + 3 > n || memcmp(s + i, "}\r\n", 3) != 0)
				abort();
			i += 3;
			if (len > n - i || memchr(s + i, '\0', len) != NULL)
				abort();
			i += len;
		} else if (n - i >= 3 && memcmp(s + i, "NIL", 3) == 0) {
			i += 3;
		} else if (c >= '0' && c <= '9') {
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		} else
			abort();
	}
	if (depth != 0)
		abort();
}

static void
check_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len, k;
	uint32_t c;

	while (i < n) {
		c = u[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c < 0xe0)
			len = 2;
		else if (c >= 0xe0 && c < 0xf0)
			len = 3;
		else if (c >= 0xf0 && c < 0xf5)
			len = 4;
		else
			abort();
		if (n - i < len)
			abort();
		c &= 0x3f >> (len - 1);
		for (k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				abort();
			c = (c << 6) | (u[i + k] & 0x3f);
		}
		if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			abort();
		i += len;
	}
}

struct ctx {
	const struct mime_msg *m;
	size_t visits, seen;
	uint64_t pstart, pcount; /* a partial from the input */
	struct buf out, cut;
};

/* Fetch a section: its size is its span's, a partial is a substring. */
static void
fetch(struct ctx *c, const char *spec)
{
	struct mime_section s;
	struct mime_span sp;
	size_t off, len;
	int r;

	if (mime_section_parse(&s, spec, strlen(spec)) != 0)
		abort();
	buf_reset(&c->out);
	r = mime_fetch(c->m, &s, 0, UINT64_MAX, 0, &c->out);
	if (r == 0) {
		if (memchr(c->out.data != NULL ? c->out.data : "", '\0',
			c->out.len) != NULL)
			abort();
		if (mime_section_span(c->m, &s, &sp) == 1 &&
		    sp.size != c->out.len)
			abort();
		buf_reset(&c->cut);
		if (mime_fetch(c->m, &s, c->pstart, c->pcount, 0, &c->cut) != 0)
			abort();
		mime_partial(c->out.len, c->pstart, c->pcount, &off, &len);
		if (c->cut.len != len ||
		    (len > 0 &&
			memcmp(c->cut.data, c->out.data + off, len) != 0))
			abort();
	}
	mime_section_free(&s);
}

static void
envelope(struct ctx *c, const struct mime_part *pt)
{
	buf_reset(&c->out);
	if (mime_envelope(c->m, pt, &c->out) != 0)
		abort();
	check_imap(c->out.data, c->out.len);
}

/* Fetch what IMAP can ask of part pt, named path. */
static void
visit(struct ctx *c, const struct mime_part *pt, char *path, size_t plen)
{
	const struct mime_part *q, *found;
	struct mime_section s;
	char spec[600];
	size_t i;

	if (c->visits++ >= VISIT_MAX || plen > 400)
		return;
	/* The number finds the part again. */
	if (mime_section_parse(&s, path, plen) != 0)
		abort();
	found = mime_part_find(c->m, s.part, s.npart);
	if (!s.beyond && found != pt)
		abort();
	mime_section_free(&s);
	fetch(c, path);
	(void)snprintf(spec, sizeof(spec), "%s.MIME", path);
	fetch(c, spec);
	if (pt->kind == MIME_MESSAGE) {
		(void)snprintf(spec, sizeof(spec), "%s.HEADER", path);
		fetch(c, spec);
		(void)snprintf(spec, sizeof(spec), "%s.TEXT", path);
		fetch(c, spec);
		(void)snprintf(spec, sizeof(spec),
		    "%s.HEADER.FIELDS (Subject From \"Content-Type\")", path);
		fetch(c, spec);
		(void)snprintf(
		    spec, sizeof(spec), "%s.HEADER.FIELDS.NOT (To)", path);
		fetch(c, spec);
		envelope(c, pt->child);
	}
	q = pt->kind == MIME_MESSAGE ? pt->child : pt;
	if (q->kind == MIME_MULTIPART) {
		for (i = 1, q = q->child; q != NULL; q = q->next, i++) {
			(void)snprintf(spec, sizeof(spec), "%s.%zu", path, i);
			visit(c, q, spec, strlen(spec));
		}
	} else if (pt->kind == MIME_MESSAGE) {
		(void)snprintf(spec, sizeof(spec), "%s.1", path);
		visit(c, q, spec, strlen(spec));
	}
}

/* Every part's ranges lie in its parent's body, in order; sizes are the
 * wire sizes of the ranges. */
static size_t
check_tree(
    const struct mime_msg *m, const struct mime_part *pt, size_t lo, size_t hi)
{
	const struct mime_part *c;
	size_t count = 1, lines, prev, nchild = 0;

	if (pt->depth > MIME_DEPTH_MAX || pt->hdr_off < lo ||
	    pt->hdr_off + pt->hdr_len > pt->body_off ||
	    pt->body_off + pt->body_len > hi || pt->body_off > hi)
		abort();
	if (pt->hdr_size !=
		mime_wire_size(m->p + pt->hdr_off, pt->hdr_len, &lines) ||
	    pt->hdr_lines != lines)
		abort();
	if (pt->body_size !=
		mime_wire_size(m->p + pt->body_off, pt->body_len, &lines) ||
	    pt->body_lines != lines)
		abort();
	if (pt->kind == MIME_MESSAGE &&
	    (pt->child == NULL || pt->child->next != NULL ||
		pt->child->hdr_off != pt->body_off))
		abort();
	if (pt->kind == MIME_LEAF && pt->child != NULL)
		abort();
	if (pt->kind == MIME_MULTIPART && pt->boundary == NULL)
		abort();
	prev = pt->body_off;
	for (c = pt->child; c != NULL; c = c->next) {
		if (c->parent != pt || c->depth != pt->depth + 1 ||
		    c->hdr_off < prev)
			abort();
		count +=
		    check_tree(m, c, pt->body_off, pt->body_off + pt->body_len);
		prev = c->body_off + c->body_len;
		nchild++;
	}
	if (nchild != pt->nchild)
		abort();
	return count;
}

static void
decoders(const char *p, size_t n)
{
	struct buf a, b;
	struct mime_qp q;
	struct mime_b64 b64;
	size_t cut = n / 3, i;

	buf_init(&a, 0);
	buf_init(&b, 0);
	/* Streaming in three pieces = one piece. */
	for (i = 0; i < 2; i++) {
		buf_reset(&a);
		buf_reset(&b);
		if (mime_decode_body(
			i ? MIME_CTE_QP : MIME_CTE_BASE64, p, n, &a) != 0)
			abort();
		if (i) {
			mime_qp_init(&q);
			if (mime_qp_feed(&q, p, cut, &b) != 0 ||
			    mime_qp_feed(&q, p + cut, cut, &b) != 0 ||
			    mime_qp_feed(&q, p + 2 * cut, n - 2 * cut, &b) !=
				0 ||
			    mime_qp_end(&q, &b) != 0)
				abort();
		} else {
			mime_b64_init(&b64);
			if (mime_b64_feed(&b64, p, cut, &b) != 0 ||
			    mime_b64_feed(&b64, p + cut, n - cut, &b) != 0)
				abort();
		}
		if (a.len != b.len ||
		    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
			abort();
		if (a.len > n)
			abort();
	}
	buf_reset(&a);
	if (mime_decode_words(p, n, &a) != 0)
		abort();
	check_utf8(a.data, a.len);
	buf_reset(&a);
	if (mime_to_utf8(p, n < 12 ? n : 12, p, n, &a) < 0)
		abort();
	check_utf8(a.data, a.len);
	/* An ASCII substring is found again whatever folding does around
	 * it (a cut UTF-8 sequence would not be). */
	if (n > 4 && (unsigned char)p[n / 2] < 0x80 &&
	    (unsigned char)p[n / 2 + 1] < 0x80 &&
	    (unsigned char)p[n / 2 + 2] < 0x80 &&
	    mime_match(p, n, p + n / 2, 3) != 1)
		abort();
	buf_free(&a);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	const struct mime_part *pt;
	struct mime_msg m;
	struct ctx c;
	char path[16];
	size_t i;

	if (mime_parse(&m, p, n) != 0)
		return 0;
	if (m.root == NULL || m.root->hdr_off != 0 ||
	    m.size != mime_wire_size(p, n, NULL) || m.nparts > MIME_PARTS_MAX)
		abort();
	if (check_tree(&m, m.root, 0, n) != m.nparts)
		abort();

	memset(&c, 0, sizeof(c));
	c.m = &m;
	buf_init(&c.out, 0);
	buf_init(&c.cut, 0);
	c.pstart = n > 0 ? d[0] : 0;
	c.pcount = n > 1 ? d[1] : UINT64_MAX;

	if (mime_bodystructure(&m, m.root, 1, &c.out) != 0)
		abort();
	check_imap(c.out.data, c.out.len);
	buf_reset(&c.out);
	if (mime_bodystructure(&m, m.root, 0, &c.out) != 0)
		abort();
	check_imap(c.out.data, c.out.len);
	envelope(&c, m.root);

	fetch(&c, "");
	fetch(&c, "HEADER");
	fetch(&c, "TEXT");
	fetch(&c, "HEADER.FIELDS (From To Subject Content-Type)");
	fetch(&c, "HEADER.FIELDS.NOT (Received)");
	if (m.root->kind == MIME_MULTIPART) {
		for (i = 1, pt = m.root->child; pt != NULL;
		     pt = pt->next, i++) {
			(void)snprintf(path, sizeof(path), "%zu", i);
			visit(&c, pt, path, strlen(path));
		}
	} else
		visit(&c, m.root, "1", 1);

	/* The text of every text part is UTF-8. */
	for (pt = m.root, i = 0; pt != NULL && i < VISIT_MAX; i++) {
		buf_reset(&c.out);
		if (mime_part_text(&m, pt, &c.out) < 0)
			abort();
		check_utf8(c.out.data, c.out.len);
		if (pt->child != NULL)
			pt = pt->child;
		else {
			while (pt != NULL && pt->next == NULL)
				pt = pt->parent;
			if (pt != NULL)
				pt = pt->next;
		}
	}
	if (mime_search(&m, MIME_S_BODY | MIME_S_HEADER, p + n / 2,
		n - n / 2 < 4 ? n - n / 2 : 4) < 0)
		abort();
	if (mime_search_header(&m, "subject", "a", 1) < 0)
		abort();

	/* The input as a section spec too. */
	{
		struct mime_section s;
		size_t sl = n < 300 ? n : 300;

		if (mime_section_parse(&s, p, sl) == 0)
			(void)mime_fetch(&m, &s, 0, 64, 0, &c.out);
		mime_section_free(&s);
	}
	buf_free(&c.out);
	buf_free(&c.cut);
	mime_free(&m);
	decoders(p, n < 65536 ? n : 65536);
	return 0;
}
