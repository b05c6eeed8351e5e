/*
 * imap_fuzz: the IMAP codec on hostile bytes.  The first octet picks
 * options (lowered bounds, UTF-8, 8-bit, lax spacing, when to take a
 * literal instead of holding it); the rest is read as
 *
 *   - a stream of commands, as a server reads them: a line at a time,
 *     literals held or taken; every tree is checked (pointers inside
 *     the buffer or the spool, counts, depth, bounds), and each parsed
 *     command is written back with the codec's writers and parsed again
 *     to the same tree;
 *   - a stream of responses, as a client reads them, checked the same
 *     way but for the write-back;
 *   - a sequence set: sorted, merged, and formatted back to the same
 *     set;
 *   - a modified UTF-7 name: what decodes encodes back to the very same
 *     octets (there is one spelling of a name), and UTF-8 that encodes
 *     decodes back;
 *   - a date-time that parses formats back to one that parses the same;
 *   - a string written as an astring and read back as the same string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define OPT_LOW 0x01 /* small bounds, so the fuzzer reaches them */
#define OPT_UTF8 0x02
#define OPT_8BIT 0x04
#define OPT_LAX 0x08
#define OPT_TAKE 0x10 /* take every literal it may */

static void
set_bounds(struct imap_parser *p, unsigned opt)
{
	if (opt & OPT_UTF8)
		p->flags |= IMAP_PF_UTF8;
	if (opt & OPT_8BIT)
		p->flags |= IMAP_PF_8BIT;
	if (opt & OPT_LAX)
		p->flags |= IMAP_PF_LAX;
	if (opt & OPT_LOW) {
		p->line_max = 300;
		p->items_max = 40;
		p->depth_max = 6;
		p->literal_max = 100;
		p->nonsync_max = 50;
		p->held_max = 600;
	}
}

/* Is s[0..len) inside [lo, lo + n]? */
static int
inside(const char *s, size_t len, const char *lo, size_t n)
{
	return lo != NULL && s >= lo && s <= lo + n &&
	    len <= (size_t)(lo + n - s);
}

/* Every value of a tree keeps its promises; the number of values. */
static size_t
check_tree(const struct imap_parser *p, const struct imap_value *v,
    const char *buf, size_t len, size_t depth)
{
	size_t items = 0, kids;
	const struct imap_value *c;

	for (; v != NULL; v = v->next) {
		items++;
		switch (v->type) {
		case IMAP_LIST:
			if (depth + 1 > p->depth_max)
				abort();
			kids = 0;
			for (c = v->child; c != NULL; c = c->next)
				kids++;
			if (kids != v->count)
				abort();
			items += check_tree(p, v->child, buf, len, depth + 1);
			break;
		case IMAP_LITERAL:
			if (v->flags & IMAP_VF_TAKEN) {
				if (v->s != NULL)
					abort();
				break;
			}
			if (!inside(v->s, v->len, buf, len) ||
			    v->off != (size_t)(v->s - buf))
				abort();
			break;
		case IMAP_QUOTED:
			/* In the line, or unescaped in the spool. */
			if (!inside(v->s, v->len, buf, len) &&
			    !inside(
				v->s, v->len, p->spool_.data, p->spool_.len))
				abort();
			break;
		case IMAP_NUMBER:
			if (v->num > IMAP_NUMBER64_MAX)
				abort();
			/* FALLTHROUGH */
		case IMAP_NIL:
		case IMAP_ATOM:
			if (v->len == 0 || !inside(v->s, v->len, buf, len) ||
			    v->off != (size_t)(v->s - buf))
				abort();
			break;
		default: abort();
		}
	}
	return items;
}

static void
check_result(const struct imap_parser *p, const char *buf, size_t len)
{
	size_t items;

	items = check_tree(p, p->args, buf, len, 0);
	if (items > p->items_max)
		abort();
	if (p->tag != NULL && !inside(p->tag, p->taglen, buf, len))
		abort();
	if (p->mode == IMAP_MODE_COMMAND) {
		if (p->verb_name != NULL &&
		    !inside(p->verb_name, p->verb_namelen, buf, len))
			abort();
		return;
	}
	if (p->resp.name != NULL &&
	    !inside(p->resp.name, p->resp.namelen, buf, len))
		abort();
	if (p->resp.code_name != NULL &&
	    !inside(p->resp.code_name, p->resp.code_namelen, buf, len))
		abort();
	if (p->resp.code_arg != NULL &&
	    !inside(p->resp.code_arg, p->resp.code_arglen, buf, len))
		abort();
	if (p->resp.text != NULL &&
	    !inside(p->resp.text, p->resp.textlen, buf, len))
		abort();
	if (p->resp.code_args != NULL)
		(void)check_tree(p, p->resp.code_args, buf, len, 0);
}

/* ---------------------------------------------------------------- write */

/* enc: the writers' flags the reading parser takes (a parser without
   IMAP_PF_UTF8 refuses UTF-8 in a quoted string). */
static void
write_values(const struct imap_value *v, struct buf *out, unsigned enc)
{
	int first = 1;

	for (; v != NULL; v = v->next, first = 0) {
		if (!first && !(v->flags & IMAP_VF_JOINED))
			buf_putc(out, ' ');
		switch (v->type) {
		case IMAP_LIST:
			buf_putc(out, '(');
			write_values(v->child, out, enc);
			buf_putc(out, ')');
			break;
		case IMAP_QUOTED:
		case IMAP_LITERAL:
			if (v->flags & IMAP_VF_TAKEN)
				buf_puts(out, "{0}\r\n");
			else if (imap_put_string(out, v->s, v->len, enc) < 0)
				abort();
			break;
		default: buf_append(out, v->s, v->len); break;
		}
	}
}

/* Two trees hold the same (a taken literal is read back as "{0}"). */
static int
same(const struct imap_value *a, const struct imap_value *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		int sa = a->type == IMAP_QUOTED || a->type == IMAP_LITERAL;
		int sb = b->type == IMAP_QUOTED || b->type == IMAP_LITERAL;

		if ((a->flags & IMAP_VF_JOINED) != (b->flags & IMAP_VF_JOINED))
			return 0;
		if (sa || sb) {
			if (!sa || !sb)
				return 0;
			if (a->flags & IMAP_VF_TAKEN) {
				if (b->len != 0)
					return 0;
				continue;
			}
			if (a->len != b->len ||
			    (a->len > 0 && memcmp(a->s, b->s, a->len) != 0))
				return 0;
			continue;
		}
		if (a->type != b->type)
			return 0;
		if (a->type == IMAP_LIST) {
			if (a->count != b->count || !same(a->child, b->child))
				return 0;
			continue;
		}
		if (a->len != b->len || memcmp(a->s, b->s, a->len) != 0 ||
		    a->num != b->num)
			return 0;
	}
	return a == NULL && b == NULL;
}

/* Write a parsed command back and parse it again: the same tree. */
static void
round_trip(const struct imap_parser *p, unsigned opt)
{
	struct imap_parser q;
	struct buf out = BUF_INIT;
	int rc;

	buf_append(&out, p->tag, p->taglen);
	buf_putc(&out, ' ');
	buf_append(&out, p->verb_name, p->verb_namelen);
	if (p->args != NULL) {
		buf_putc(&out, ' ');
		write_values(p->args, &out,
		    IMAP_ENC_BINARY |
			((opt & (OPT_UTF8 | OPT_8BIT)) ? IMAP_ENC_UTF8 : 0));
	}
	buf_puts(&out, "\r\n");

	imap_parser_init(&q, IMAP_MODE_COMMAND);
	set_bounds(&q, opt & ~OPT_LOW);
	/* Quoted strings may come back as literals and the other way
	   round: the line's length changes, the tree does not. */
	q.line_max = q.held_max = out.len + 1;
	q.nonsync_max = 0;
	q.literal_max = out.len;
	while (
	    (rc = imap_parse(&q, out.data, out.len)) == IMAP_PARSE_NEED_LITERAL)
		;
	if (rc != IMAP_PARSE_OK || q.verb != p->verb || q.taglen != p->taglen ||
	    memcmp(q.tag, p->tag, q.taglen) != 0 || !same(p->args, q.args))
		abort();
	imap_parser_free(&q);
	buf_free(&out);
}

/* ---------------------------------------------------------------- streams */

/* The next line of d[*at..n) through its LF (or the end) into b. */
static void
next_line(const char *d, size_t n, size_t *at, struct buf *b)
{
	const char *nl = memchr(d + *at, '\n', n - *at);
	size_t k = nl != NULL ? (size_t)(nl - (d + *at)) + 1 : n - *at;

	if (buf_append(b, d + *at, k) == -1)
		abort();
	*at += k;
}

static void
stream(enum imap_mode mode, unsigned opt, const char *d, size_t n)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	size_t at = 0, k, rounds = 0;
	int rc;

	imap_parser_init(&p, mode);
	set_bounds(&p, opt);
	while (at < n && rounds++ < 64) {
		imap_parser_reset(&p);
		buf_reset(&b);
		next_line(d, n, &at, &b);
		for (;;) {
			rc = imap_parse(&p, b.data, b.len);
			if (rc == IMAP_PARSE_NEED_LITERAL) {
				if (p.lit.offset != b.len)
					abort();
				k = p.lit.size < n - at ? (size_t)p.lit.size
							: n - at;
				if ((opt & OPT_TAKE) || !p.lit.fits ||
				    p.lit.size > 64) {
					if (imap_parser_take(&p) != 0)
						abort();
				} else if (buf_append(&b, d + at, k) == -1)
					abort();
				at += k;
				continue;
			}
			if (rc == IMAP_PARSE_INCOMPLETE && at < n) {
				next_line(d, n, &at, &b);
				continue;
			}
			break;
		}
		if (b.len > 0)
			check_result(&p, b.data, b.len);
		if (rc == IMAP_PARSE_OK) {
			if (p.used != b.len)
				abort();
			if (mode == IMAP_MODE_COMMAND)
				round_trip(&p, opt);
		} else if (rc < 0) {
			struct imap_lit l;

			if (imap_parse_text(rc)[0] == '\0' ||
			    imap_parse(&p, b.data, b.len) != IMAP_PARSE_MISUSE)
				abort();
			(void)imap_line_literal(b.data, b.len, &l);
		}
	}
	imap_parser_free(&p);
	buf_free(&b);
}

/* ---------------------------------------------------------------- pieces */

static void
seqset(const char *s, size_t n, uint32_t max)
{
	struct imap_seqset a = IMAP_SEQSET_INIT, b = IMAP_SEQSET_INIT;
	struct buf out = BUF_INIT;
	size_t i;

	if (imap_seqset_parse(s, n, max, &a) == 0) {
		for (i = 0; i < a.n; i++) {
			if (a.r[i].lo == 0 || a.r[i].lo > a.r[i].hi)
				abort();
			/* Sorted, apart, not touching. */
			if (i > 0 && (uint64_t)a.r[i - 1].hi + 1 >= a.r[i].lo)
				abort();
			if (!imap_seqset_contains(&a, a.r[i].lo) ||
			    !imap_seqset_contains(&a, a.r[i].hi) ||
			    imap_seqset_contains(&a, a.r[i].lo - 1))
				abort();
		}
		if (imap_seqset_format(&a, &out) != 0)
			abort();
		if (a.n > 0 || a.last) {
			if (imap_seqset_parse(out.data, out.len, max, &b) !=
				0 ||
			    b.n != a.n || b.last != a.last ||
			    (a.n > 0 &&
				memcmp(a.r, b.r, a.n * sizeof(a.r[0])) != 0))
				abort();
		}
		(void)imap_seqset_count(&a);
	} else if (a.n != 0)
		abort();
	imap_seqset_free(&a);
	imap_seqset_free(&b);
	buf_free(&out);
}

static void
utf7(const char *s, size_t n)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	/* One spelling: decoded and encoded back, the same octets. */
	if (imap_utf7_decode(s, n, &a) == 0) {
		if (!util_utf8_valid(a.data != NULL ? a.data : "", a.len) ||
		    imap_utf7_encode(a.data != NULL ? a.data : "", a.len, &b) !=
			0 ||
		    b.len != n || (n > 0 && memcmp(b.data, s, n) != 0))
			abort();
	} else if (a.len != 0)
		abort();
	buf_reset(&a);
	buf_reset(&b);
	if (imap_utf7_encode(s, n, &a) == 0) {
		if (imap_utf7_decode(a.data != NULL ? a.data : "", a.len, &b) !=
			0 ||
		    b.len != n || (n > 0 && memcmp(b.data, s, n) != 0))
			abort();
	} else if (util_utf8_valid(s, n) && memchr(s, '\0', n) == NULL)
		abort();
	buf_free(&a);
	buf_free(&b);
}

static void
dates(const char *s, size_t n)
{
	char out[IMAP_DATETIME_LEN + 1];
	int64_t t, t2;
	int zone, zone2;

	if (imap_datetime_parse(s, n, &t, &zone) == 0) {
		if (imap_datetime_format(t, zone, out, sizeof(out)) != 0 ||
		    imap_datetime_parse(out, strlen(out), &t2, &zone2) != 0 ||
		    t2 != t || zone2 != zone)
			abort();
	}
	(void)imap_date_parse(s, n, &t);
}

static void
write_read(const char *s, size_t n, unsigned opt)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	const char *got;
	size_t glen;
	int rc;

	buf_puts(&b, "A1 X ");
	if (imap_put_astring(&b, s, n,
		IMAP_ENC_BINARY | ((opt & OPT_UTF8) ? IMAP_ENC_UTF8 : 0)) < 0)
		abort();
	buf_puts(&b, "\r\n");
	imap_parser_init(&p, IMAP_MODE_COMMAND);
	if (opt & OPT_UTF8)
		p.flags |= IMAP_PF_UTF8;
	p.line_max = p.held_max = b.len + 1;
	while ((rc = imap_parse(&p, b.data, b.len)) == IMAP_PARSE_NEED_LITERAL)
		;
	if (rc != IMAP_PARSE_OK || imap_astring(p.args, &got, &glen) != 0 ||
	    glen != n || (n > 0 && memcmp(got, s, n) != 0) ||
	    p.args->next != NULL)
		abort();
	imap_parser_free(&p);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d + 1;
	unsigned opt;
	uint32_t max;

	if (n == 0)
		return 0;
	opt = d[0];
	n--;
	stream(IMAP_MODE_COMMAND, opt, s, n);
	stream(IMAP_MODE_RESPONSE, opt, s, n);
	max = opt & 0x20 ? 0 : opt & 0x40 ? UINT32_MAX : 100;
	seqset(s, n, max);
	utf7(s, n);
	dates(s, n);
	if (n <= 2048)
		write_read(s, n, opt);
	return 0;
}
