/*
 * mime.c: the MIME part tree of a message in memory, its Content-*
 * fields, and IMAP section addressing.  See mime.h.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mime_priv.h"
#include "msg.h"
#include "util.h"

/* ---------------------------------------------------------------- arena */

struct mime_chunk {
	struct mime_chunk *next;
	size_t used;
	size_t cap;
};

#define ARENA_ALIGN 16
#define ARENA_HDR \
	((sizeof(struct mime_chunk) + ARENA_ALIGN - 1) & \
	    ~(size_t)(ARENA_ALIGN - 1))
#define ARENA_CHUNK 8192

void *
mime_alloc(struct mime_msg *m, size_t n)
{
	struct mime_chunk *c = m->arena;
	char *r;
	size_t cap;

	if (n > SIZE_MAX / 4) {
		errno = ENOMEM;
		return NULL;
	}
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((c = malloc(ARENA_HDR + cap)) == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		if (m->arena != NULL && cap > ARENA_CHUNK) {
			/* A big one: the current chunk stays in front for
			 * the small ones to come. */
			c->next = m->arena->next;
			m->arena->next = c;
		} else {
			c->next = m->arena;
			m->arena = c;
		}
	}
	r = (char *)c + ARENA_HDR + c->used;
	c->used += n;
	memset(r, 0, n);
	return r;
}

char *
mime_strdup(struct mime_msg *m, const char *s, size_t n)
{
	char *r;
	size_t i;

	if ((r = mime_alloc(m, n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		r[i] = s[i] == '\0' ? (char)0x80 : s[i];
	r[n] = '\0';
	return r;
}

void
mime_free(struct mime_msg *m)
{
	struct mime_chunk *c, *next;

	for (c = m->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- lexer */

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

int
mime_is_token(int c)
{
	/* RFC 2045 §5.1: any CHAR except SPACE, CTLs and tspecials. */
	if (c <= 32 || c >= 127)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
mime_name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

void
mime_lex_cfws(struct mime_lex *lx, struct buf *comment)
{
	size_t depth;
	char c;

	while (lx->i < lx->n) {
		c = lx->s[lx->i];
		if (is_wsp((unsigned char)c) || c == '\r' || c == '\n') {
			lx->i++;
			continue;
		}
		if (c != '(')
			return;
		/* RFC 5322 §3.2.2: comments nest; quoted pairs in them. */
		if (comment != NULL)
			buf_reset(comment);
		depth = 0;
		for (; lx->i < lx->n; lx->i++) {
			c = lx->s[lx->i];
			if (c == '\\' && lx->i + 1 < lx->n) {
				lx->i++;
				if (comment != NULL)
					(void)buf_putc(comment, lx->s[lx->i]);
				continue;
			}
			if (c == '(' && depth++ == 0)
				continue;
			if (c == ')' && --depth == 0) {
				lx->i++;
				break;
			}
			if (comment != NULL && c != '\r' && c != '\n')
				(void)buf_putc(comment, c);
		}
	}
}

int
mime_lex_quoted(struct mime_lex *lx, struct buf *out)
{
	char c;

	lx->i++; /* the opening '"' */
	while (lx->i < lx->n) {
		c = lx->s[lx->i++];
		if (c == '"')
			return 0;
		if (c == '\\' && lx->i < lx->n)
			c = lx->s[lx->i++];
		else if (c == '\r' || c == '\n')
			continue; /* folding */
		if (buf_putc(out, c) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------ Content-* fields */

/* Section number of an RFC 2231 parameter name "base*N" or "base*N*":
 * the number, with *baselen and *ext set; -1 when not one. */
static int
section_of(const char *name, size_t *baselen, int *ext)
{
	const char *star = strchr(name, '*');
	const char *d;
	size_t n = strlen(name);
	int num = 0;

	if (star == NULL || star == name || star[1] < '0' || star[1] > '9')
		return -1;
	for (d = star + 1; *d >= '0' && *d <= '9'; d++) {
		num = num * 10 + (*d - '0');
		if (num >= MIME_PARAM_SECTIONS_MAX)
			return -1;
	}
	if (*d == '*' && d + 1 == name + n)
		*ext = 1;
	else if (*d == '\0')
		*ext = 0;
	else
		return -1;
	*baselen = (size_t)(star - name);
	return num;
}

/* RFC 2231 §7 attribute-char: what an extended value keeps unescaped. */
static int
is_attr_char(int c)
{
	return mime_is_token(c) && c != '*' && c != '\'' && c != '%';
}

/* Append value %-decoded (RFC 2231 §4). */
static int
pct_decode(struct buf *b, const char *v)
{
	int hi, lo;

	for (; *v != '\0'; v++) {
		if (*v == '%' && (hi = util_hexval((unsigned char)v[1])) >= 0 &&
		    (lo = util_hexval((unsigned char)v[2])) >= 0) {
			if (buf_putc(b, hi * 16 + lo) != 0)
				return -1;
			v += 2;
		} else if (buf_putc(b, *v) != 0)
			return -1;
	}
	return 0;
}

/*
 * RFC 2231 §3: join continuations "name*0", "name*1*"... (in number
 * order, up to the first missing one) into one parameter at the place of
 * the first.  When section 0 is extended the result is "name*" with an
 * encoded value (the plain sections %-encoded), else "name" with the
 * plain text.  Other parameters are kept as they are.
 */
static int
join_sections(struct mime_msg *m, struct mime_param *tmp, size_t np,
    struct mime_param **out, size_t *nout)
{
	struct mime_param *res;
	const char *sec[MIME_PARAM_SECTIONS_MAX];
	int secext[MIME_PARAM_SECTIONS_MAX];
	char used[MIME_PARAMS_MAX];
	struct buf b;
	size_t i, j, k, nres = 0, blen, blen2, nsec;
	int num, ext, ext2;
	const char *v;

	if (np == 0)
		return 0;
	if ((res = mime_alloc(m, np * sizeof(*res))) == NULL)
		return -1;
	memset(used, 0, sizeof(used));
	buf_init(&b, MSG_HEADER_MAX);
	for (i = 0; i < np; i++) {
		if (used[i])
			continue;
		num = section_of(tmp[i].name, &blen, &ext);
		if (num < 0) {
			res[nres++] = tmp[i];
			continue;
		}
		/* Collect this name's sections. */
		memset(sec, 0, sizeof(sec));
		for (j = i; j < np; j++) {
			num = section_of(tmp[j].name, &blen2, &ext2);
			if (num < 0 || blen2 != blen ||
			    strncasecmp(tmp[j].name, tmp[i].name, blen) != 0)
				continue;
			used[j] = 1;
			if (sec[num] == NULL) {
				sec[num] = tmp[j].value;
				secext[num] = ext2;
			}
		}
		for (nsec = 0;
		     nsec < MIME_PARAM_SECTIONS_MAX && sec[nsec] != NULL;
		     nsec++)
			;
		if (nsec == 0)
			continue; /* no section 0: dropped */
		buf_reset(&b);
		for (k = 0; k < nsec; k++) {
			v = sec[k];
			if (secext[0] && !secext[k]) {
				for (; *v != '\0'; v++) {
					if (is_attr_char((unsigned char)*v)
						? buf_putc(&b, *v)
						: buf_printf(&b, "%%%02X",
						      (unsigned char)*v))
						goto fail;
				}
			} else if (!secext[0] && secext[k]) {
				if (pct_decode(&b, v) != 0)
					goto fail;
			} else if (buf_puts(&b, v) != 0)
				goto fail;
		}
		res[nres].value =
		    mime_strdup(m, b.data != NULL ? b.data : "", b.len);
		buf_reset(&b);
		if (buf_append(&b, tmp[i].name, blen) != 0 ||
		    (secext[0] && buf_putc(&b, '*') != 0))
			goto fail;
		res[nres].name = mime_strdup(m, b.data, b.len);
		if (res[nres].name == NULL || res[nres].value == NULL)
			goto fail;
		nres++;
	}
	buf_free(&b);
	*out = res;
	*nout = nres;
	return 0;
fail:
	buf_free(&b);
	errno = ENOMEM;
	return -1;
}

/*
 * Parameters after a Content-Type or Content-Disposition value (RFC 2045
 * §5.1): *(";" attribute "=" value), leniently: a value that is not a
 * token nor a quoted string runs to white space, ";" or a comment, and
 * junk up to the next ";" is skipped.
 */
static int
parse_params(struct mime_msg *m, struct mime_lex *lx, struct mime_param **out,
    size_t *nout)
{
	struct mime_param tmp[MIME_PARAMS_MAX];
	struct buf b;
	size_t np = 0, n0, n1, v0;
	const char *s = lx->s;
	int c;

	buf_init(&b, MSG_HEADER_MAX);
	for (;;) {
		mime_lex_cfws(lx, NULL);
		if (lx->i >= lx->n)
			break;
		if (s[lx->i] != ';') {
			/* Junk: step over it (a quoted string whole). */
			if (s[lx->i] == '"') {
				buf_reset(&b);
				if (mime_lex_quoted(lx, &b) != 0)
					goto fail;
			} else
				lx->i++;
			continue;
		}
		lx->i++;
		mime_lex_cfws(lx, NULL);
		n0 = lx->i;
		while (lx->i < lx->n && mime_is_token((unsigned char)s[lx->i]))
			lx->i++;
		n1 = lx->i;
		if (n1 == n0)
			continue;
		mime_lex_cfws(lx, NULL);
		if (lx->i >= lx->n || s[lx->i] != '=')
			continue;
		lx->i++;
		mime_lex_cfws(lx, NULL);
		buf_reset(&b);
		if (lx->i < lx->n && s[lx->i] == '"') {
			if (mime_lex_quoted(lx, &b) != 0)
				goto fail;
		} else {
			v0 = lx->i;
			while (lx->i < lx->n) {
				c = (unsigned char)s[lx->i];
				if (c <= ' ' || c == 0x7f || c == ';' ||
				    c == '"' || c == '(')
					break;
				lx->i++;
			}
			if (buf_append(&b, s + v0, lx->i - v0) != 0)
				goto fail;
		}
		if (np == MIME_PARAMS_MAX)
			continue;
		tmp[np].name = mime_strdup(m, s + n0, n1 - n0);
		tmp[np].value =
		    mime_strdup(m, b.data != NULL ? b.data : "", b.len);
		if (tmp[np].name == NULL || tmp[np].value == NULL)
			goto fail;
		np++;
	}
	buf_free(&b);
	return join_sections(m, tmp, np, out, nout);
fail:
	buf_free(&b);
	errno = ENOMEM;
	return -1;
}

const char *
mime_param(const struct mime_param *params, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(params[i].name, name) == 0)
			return params[i].value;
	return NULL;
}

/* A token, from lx (CFWS before it skipped); its length, 0 if none. */
static size_t
lex_token(struct mime_lex *lx, const char **tp)
{
	size_t t0;

	mime_lex_cfws(lx, NULL);
	t0 = lx->i;
	while (lx->i < lx->n && mime_is_token((unsigned char)lx->s[lx->i]))
		lx->i++;
	*tp = lx->s + t0;
	return lx->i - t0;
}

/* Content-Type: type "/" subtype *(";" parameter).  Invalid: left
 * unset, so the default applies (RFC 2045 §5.2). */
static int
parse_ctype(struct mime_msg *m, struct mime_part *pt, const char *v, size_t n)
{
	struct mime_lex lx = {v, n, 0};
	const char *t, *st;
	size_t tn, stn;

	if ((tn = lex_token(&lx, &t)) == 0)
		return 0;
	mime_lex_cfws(&lx, NULL);
	if (lx.i >= n || v[lx.i] != '/')
		return 0;
	lx.i++;
	if ((stn = lex_token(&lx, &st)) == 0)
		return 0;
	if ((pt->type = mime_strdup(m, t, tn)) == NULL ||
	    (pt->subtype = mime_strdup(m, st, stn)) == NULL)
		return -1;
	return parse_params(m, &lx, &pt->params, &pt->nparams);
}

/* Content-Transfer-Encoding: one token and nothing else (RFC 2045 §6.1). */
static int
parse_cte(struct mime_msg *m, struct mime_part *pt, const char *v, size_t n)
{
	struct mime_lex lx = {v, n, 0};
	static const struct {
		const char *name;
		enum mime_cte cte;
	} ctes[] = {{"7bit", MIME_CTE_7BIT}, {"8bit", MIME_CTE_8BIT},
	    {"binary", MIME_CTE_BINARY}, {"quoted-printable", MIME_CTE_QP},
	    {"base64", MIME_CTE_BASE64}};
	const char *t;
	size_t tn, i;

	if ((tn = lex_token(&lx, &t)) == 0)
		return 0;
	mime_lex_cfws(&lx, NULL);
	if (lx.i < n)
		return 0;
	if ((pt->encoding = mime_strdup(m, t, tn)) == NULL)
		return -1;
	pt->cte = MIME_CTE_OTHER;
	for (i = 0; i < sizeof(ctes) / sizeof(ctes[0]); i++)
		if (mime_name_is(t, tn, ctes[i].name))
			pt->cte = ctes[i].cte;
	return 0;
}

/* Content-Disposition (RFC 2183 §2): type *(";" parameter). */
static int
parse_disposition(
    struct mime_msg *m, struct mime_part *pt, const char *v, size_t n)
{
	struct mime_lex lx = {v, n, 0};
	const char *t;
	size_t tn;

	if ((tn = lex_token(&lx, &t)) == 0)
		return 0;
	if ((pt->disposition = mime_strdup(m, t, tn)) == NULL)
		return -1;
	return parse_params(m, &lx, &pt->dparams, &pt->ndparams);
}

/* RFC 5322 §3.2.3 atext. */
static int
is_atext(int c)
{
	return c >= 0x80 ||
	    (c > 32 && c < 127 && strchr("()<>[]:;@\\,.\"", c) == NULL);
}

/* Content-Language (RFC 3282): 1#Language-Tag, each an atom here. */
static int
parse_language(
    struct mime_msg *m, struct mime_part *pt, const char *v, size_t n)
{
	struct mime_lex lx = {v, n, 0};
	const char *tags[MIME_LANG_MAX];
	size_t nt = 0, t0, i;

	for (;;) {
		mime_lex_cfws(&lx, NULL);
		t0 = lx.i;
		while (lx.i < n && is_atext((unsigned char)v[lx.i]))
			lx.i++;
		if (lx.i == t0)
			break;
		if (nt < MIME_LANG_MAX &&
		    (tags[nt++] = mime_strdup(m, v + t0, lx.i - t0)) == NULL)
			return -1;
		mime_lex_cfws(&lx, NULL);
		if (lx.i >= n || v[lx.i] != ',')
			break;
		lx.i++;
	}
	if (nt == 0)
		return 0;
	if ((pt->language = mime_alloc(m, nt * sizeof(*tags))) == NULL)
		return -1;
	for (i = 0; i < nt; i++)
		pt->language[i] = tags[i];
	pt->nlanguage = nt;
	return 0;
}

/* Which Content-* fields a header had: the first of each counts. */
#define SEEN_TYPE 0x01
#define SEEN_CTE 0x02
#define SEEN_DISP 0x04
#define SEEN_LANG 0x08

/* One header field of a part: note it when it is a Content-* field. */
static int
content_field(struct mime_msg *m, struct mime_part *pt, unsigned int *seen,
    const struct msg_field *f)
{
	const char *name;
	const char **sp = NULL;
	size_t nl;

	if (f->namelen < 8 || strncasecmp(f->name, "Content-", 8) != 0)
		return 0;
	name = f->name + 8;
	nl = f->namelen - 8;
	if (mime_name_is(name, nl, "Type")) {
		if (*seen & SEEN_TYPE)
			return 0;
		*seen |= SEEN_TYPE;
		return parse_ctype(m, pt, f->value, f->valuelen);
	}
	if (mime_name_is(name, nl, "Transfer-Encoding")) {
		if (*seen & SEEN_CTE)
			return 0;
		*seen |= SEEN_CTE;
		return parse_cte(m, pt, f->value, f->valuelen);
	}
	if (mime_name_is(name, nl, "Disposition")) {
		if (*seen & SEEN_DISP)
			return 0;
		*seen |= SEEN_DISP;
		return parse_disposition(m, pt, f->value, f->valuelen);
	}
	if (mime_name_is(name, nl, "Language")) {
		if (*seen & SEEN_LANG)
			return 0;
		*seen |= SEEN_LANG;
		return parse_language(m, pt, f->value, f->valuelen);
	}
	if (mime_name_is(name, nl, "ID"))
		sp = &pt->id;
	else if (mime_name_is(name, nl, "Description"))
		sp = &pt->description;
	else if (mime_name_is(name, nl, "MD5"))
		sp = &pt->md5;
	else if (mime_name_is(name, nl, "Location"))
		sp = &pt->location;
	if (sp == NULL || *sp != NULL)
		return 0;
	return (*sp = mime_strdup(m, f->value, f->valuelen)) == NULL ? -1 : 0;
}

/* ---------------------------------------------------------------- parse */

struct bnd {
	const char *s;
	size_t len;
	int open; /* 0 once its close delimiter was seen */
};

struct pctx {
	struct mime_msg *m;
	const char *p;
	size_t len;
	struct bnd b[MIME_DEPTH_MAX + 1];
	size_t nb;
	int err; /* ENOMEM met: stop */
};

/* Where an entity ended: at a boundary line, or at the end. */
struct stop {
	size_t line; /* the boundary line's offset, or len */
	size_t next; /* the offset after that line */
	size_t end; /* where what ends there ends: before the line end
		     * that precedes the boundary line (RFC 2046 §5.1.1),
		     * unless that line end was a header's empty line */
	int idx; /* its boundary in pctx.b, -1 at the end */
	int close; /* a close delimiter ("--" after the boundary) */
};

static size_t
line_end(const struct pctx *c, size_t off)
{
	const char *nl = memchr(c->p + off, '\n', c->len - off);

	return nl != NULL ? (size_t)(nl - c->p) + 1 : c->len;
}

/*
 * Is p[off..end) a boundary line of an open multipart?  RFC 2046 §5.1.1
 * delimiter "--" boundary, matched by prefix (trailing white space and
 * junk tolerated) with the longest open boundary winning, the innermost
 * among equals, as Dovecot's boundary_find.  1 and *st filled, or 0.
 */
static int
boundary_line(const struct pctx *c, size_t off, size_t end, struct stop *st)
{
	const char *s = c->p + off;
	size_t n = end - off, find, i;
	int best = -1;

	if (n < 2 || s[0] != '-' || s[1] != '-')
		return 0;
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	s += 2;
	n -= 2;
	find = n;
	if (find > 2 && s[find - 1] == '-' && s[find - 2] == '-')
		find -= 2;
	for (i = c->nb; i-- > 0;) {
		const struct bnd *b = &c->b[i];

		if (!b->open || b->len > find || memcmp(b->s, s, b->len) != 0)
			continue;
		if (best < 0 || c->b[best].len < b->len) {
			best = (int)i;
			if (b->len == find)
				break;
		}
	}
	if (best < 0)
		return 0;
	st->line = off;
	st->next = end;
	st->idx = best;
	st->close =
	    n >= c->b[best].len + 2 && memcmp(s + c->b[best].len, "--", 2) == 0;
	return 1;
}

static void
stop_at_end(const struct pctx *c, struct stop *st)
{
	st->line = st->next = st->end = c->len;
	st->idx = -1;
	st->close = 0;
}

/* The end of what comes before line: RFC 2046 §5.1.1 gives the line end
 * before a boundary line to the boundary. */
static size_t
cut_eol(const char *p, size_t lo, size_t line)
{
	if (line > lo && p[line - 1] == '\n') {
		line--;
		if (line > lo && p[line - 1] == '\r')
			line--;
	}
	return line;
}

/* Find the next boundary line at or after off (a line start). */
static void
scan_to_boundary(const struct pctx *c, size_t off, struct stop *st)
{
	size_t end, line, i;
	int open = 0;

	for (i = 0; i < c->nb; i++)
		open |= c->b[i].open;
	if (!open || c->err) {
		stop_at_end(c, st);
		return;
	}
	for (line = off; line < c->len; line = end) {
		end = line_end(c, line);
		if (c->p[line] == '-' && boundary_line(c, line, end, st)) {
			st->end = cut_eol(c->p, off, line);
			return;
		}
	}
	stop_at_end(c, st);
}

static int
is_empty_line(const char *s, size_t n)
{
	return (n == 1 && s[0] == '\n') ||
	    (n == 2 && s[0] == '\r' && s[1] == '\n');
}

/*
 * The header of pt from off: its Content-* fields noted.  Returns where
 * the body starts; *bstop when a boundary line ended the header (then
 * *st is that line).
 */
static size_t
parse_header(struct pctx *c, struct mime_part *pt, size_t off, struct stop *st,
    int *bstop)
{
	struct msg_scan sc;
	struct msg_field f;
	unsigned int seen = 0;
	size_t line = off, end;
	int k, failed = 0;

	*bstop = 0;
	msg_scan_init(&sc);
	while (line < c->len) {
		end = line_end(c, line);
		if (c->nb > 0 && boundary_line(c, line, end, st)) {
			/* The line end before it is the boundary's: Dovecot
			 * moves it out of the header likewise. */
			st->end = cut_eol(c->p, off, line);
			*bstop = 1;
			break;
		}
		if (failed) {
			/* Past the header bounds: no more fields, but the
			 * header still ends at its empty line. */
			if (is_empty_line(c->p + line, end - line)) {
				pt->flags |= MIME_P_BLANK;
				line = end;
				goto done;
			}
			line = end;
			continue;
		}
		k = msg_scan_line(&sc, c->p + line, end - line);
		while (msg_scan_field(&sc, &f))
			if (content_field(c->m, pt, &seen, &f) != 0)
				c->err = ENOMEM;
		if (k == MSG_LINE_END) {
			pt->flags |= MIME_P_BLANK;
			line = end;
			goto done;
		}
		if (k == MSG_LINE_BODY)
			goto done;
		if (k == MSG_LINE_ERROR) {
			if (errno == ENOMEM)
				c->err = ENOMEM;
			c->m->flags |= MIME_M_HEADER;
			failed = 1;
		}
		line = end;
	}
	if (!failed) {
		msg_scan_eof(&sc);
		while (msg_scan_field(&sc, &f))
			if (content_field(c->m, pt, &seen, &f) != 0)
				c->err = ENOMEM;
	}
done:
	msg_scan_free(&sc);
	return line;
}

static struct mime_part *
new_part(struct pctx *c, struct mime_part *parent, struct mime_part ***tailp)
{
	struct mime_part *pt;

	if ((pt = mime_alloc(c->m, sizeof(*pt))) == NULL) {
		c->err = ENOMEM;
		return NULL;
	}
	pt->parent = parent;
	if (parent != NULL) {
		pt->depth = parent->depth + 1;
		**tailp = pt;
		*tailp = &pt->next;
		parent->nchild++;
	}
	c->m->nparts++;
	return pt;
}

/* Decide what pt is from its Content-Type, its place and the limits. */
static void
classify(struct pctx *c, struct mime_part *pt)
{
	const char *t = pt->type, *st = pt->subtype, *b;
	size_t blen;
	int deep = pt->depth >= MIME_DEPTH_MAX;

	if (t == NULL) {
		pt->flags |= MIME_P_DEFAULT;
		/* RFC 2046 §5.1.5: in a digest the default is a message. */
		if (pt->parent != NULL && pt->parent->kind == MIME_MULTIPART &&
		    strcasecmp(pt->parent->subtype, "digest") == 0) {
			t = "message";
			st = "rfc822";
		} else {
			pt->flags |= MIME_P_TEXT;
			return;
		}
	}
	if (strcasecmp(t, "text") == 0) {
		pt->flags |= MIME_P_TEXT;
		return;
	}
	if (strcasecmp(t, "multipart") == 0) {
		b = mime_param(pt->params, pt->nparams, "boundary");
		if (b == NULL || *b == '\0') {
			pt->flags |= MIME_P_OPAQUE;
			return;
		}
		if (deep) {
			pt->flags |= MIME_P_OPAQUE;
			c->m->flags |= MIME_M_DEPTH;
			return;
		}
		blen = strlen(b);
		if (blen > MIME_BOUNDARY_MAX)
			blen = MIME_BOUNDARY_MAX;
		if ((pt->boundary = mime_strdup(c->m, b, blen)) == NULL) {
			c->err = ENOMEM;
			return;
		}
		pt->kind = MIME_MULTIPART;
		return;
	}
	if (strcasecmp(t, "message") == 0 &&
	    (strcasecmp(st, "rfc822") == 0 || strcasecmp(st, "global") == 0)) {
		if (deep || c->m->nparts >= MIME_PARTS_MAX) {
			pt->flags |= MIME_P_OPAQUE;
			c->m->flags |= deep ? MIME_M_DEPTH : MIME_M_PARTS;
			return;
		}
		pt->kind = MIME_MESSAGE;
	}
}

static void parse_entity(
    struct pctx *, struct mime_part *, size_t, struct stop *);

/* The body parts of multipart pt (RFC 2046 §5.1.1): preamble, then a
 * part after each delimiter line, up to the close delimiter and the
 * epilogue, or to a boundary of an enclosing multipart. */
static void
parse_multipart(struct pctx *c, struct mime_part *pt, struct stop *st)
{
	struct mime_part **tail = &pt->child, *child;
	size_t idx = c->nb++;

	c->b[idx].s = pt->boundary;
	c->b[idx].len = strlen(pt->boundary);
	c->b[idx].open = 1;
	scan_to_boundary(c, pt->body_off, st);
	while (st->idx == (int)idx && !c->err) {
		if (st->close) {
			c->b[idx].open = 0;
			scan_to_boundary(c, st->next, st);
			break;
		}
		if (c->m->nparts >= MIME_PARTS_MAX) {
			c->m->flags |= MIME_M_PARTS;
			scan_to_boundary(c, st->next, st);
			continue;
		}
		if ((child = new_part(c, pt, &tail)) == NULL)
			break;
		parse_entity(c, child, st->next, st);
	}
	c->nb = idx;
}

/* An entity (header and body) from off; *st gets where it ended. */
static void
parse_entity(struct pctx *c, struct mime_part *pt, size_t off, struct stop *st)
{
	struct mime_part **tail = &pt->child, *child;
	size_t body;
	int bstop;

	pt->hdr_off = off;
	body = parse_header(c, pt, off, st, &bstop);
	if (bstop) {
		/* No body: st is the boundary that ended the header. */
		pt->hdr_len = st->end - off;
		pt->body_off = st->end;
	} else {
		pt->hdr_len = body - off;
		pt->body_off = body;
	}
	classify(c, pt);
	if (c->err) {
		stop_at_end(c, st);
	} else if (pt->kind == MIME_MESSAGE) {
		if ((child = new_part(c, pt, &tail)) == NULL)
			stop_at_end(c, st);
		else if (bstop) {
			/* An empty message: no header, no body. */
			child->hdr_off = child->body_off = pt->body_off;
			classify(c, child);
		} else
			parse_entity(c, child, pt->body_off, st);
	} else if (bstop) {
		/* Nothing to look for in an empty body. */
	} else if (pt->kind == MIME_MULTIPART) {
		parse_multipart(c, pt, st);
	} else {
		scan_to_boundary(c, pt->body_off, st);
	}
	if (c->err)
		stop_at_end(c, st);
	pt->body_len = st->end - pt->body_off;
	pt->hdr_size =
	    mime_wire_size(c->p + pt->hdr_off, pt->hdr_len, &pt->hdr_lines);
	pt->body_size =
	    mime_wire_size(c->p + pt->body_off, pt->body_len, &pt->body_lines);
}

int
mime_parse(struct mime_msg *m, const char *p, size_t len)
{
	struct pctx c;
	struct stop st;

	memset(m, 0, sizeof(*m));
	m->p = p;
	m->len = len;
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.p = p;
	c.len = len;
	if ((m->root = new_part(&c, NULL, NULL)) == NULL)
		goto fail;
	parse_entity(&c, m->root, 0, &st);
	if (c.err)
		goto fail;
	m->size = mime_wire_size(p, len, NULL);
	return 0;
fail:
	mime_free(m);
	errno = ENOMEM;
	return -1;
}

/* ------------------------------------------------------------ the wire */

size_t
mime_wire_size(const char *p, size_t n, size_t *lines)
{
	const char *nl, *s = p, *end = p + n;
	size_t size = n, l = 0;

	while (s < end && (nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		l++;
		if (nl == p || nl[-1] != '\r')
			size++;
		s = nl + 1;
	}
	if (lines != NULL)
		*lines = l;
	return size;
}

int
mime_wire_copy(struct buf *out, const char *p, size_t n, size_t vstart,
    size_t vcount, unsigned int flags)
{
	char tmp[4096];
	size_t i, t = 0, v = 0, vend;
	char ch;

	vend = vcount > SIZE_MAX - vstart ? SIZE_MAX : vstart + vcount;
#define EMIT(x) \
	do { \
		if (v >= vstart) { \
			tmp[t++] = (x); \
			if (t == sizeof(tmp)) { \
				if (buf_append(out, tmp, t) != 0) \
					return -1; \
				t = 0; \
			} \
		} \
		v++; \
	} while (0)
	for (i = 0; i < n && v < vend; i++) {
		ch = p[i];
		if (ch == '\n' && (i == 0 || p[i - 1] != '\r')) {
			EMIT('\r');
			if (v >= vend)
				break;
		}
		if (ch == '\0' && !(flags & MIME_F_KEEP_NUL))
			ch = (char)0x80;
		EMIT(ch);
	}
#undef EMIT
	return buf_append(out, tmp, t);
}

void
mime_partial(
    size_t size, uint64_t start, uint64_t count, size_t *off, size_t *len)
{
	if (start >= size) {
		*off = size;
		*len = 0;
		return;
	}
	*off = (size_t)start;
	*len = size - *off;
	if (count < *len)
		*len = (size_t)count;
}

/* ---------------------------------------------------------- header walk */

int
mime_header_walk(const struct mime_msg *m, const struct mime_part *pt,
    mime_field_cb cb, void *arg)
{
	const char *p = m->p, *nl;
	size_t line = pt->hdr_off, end = pt->hdr_off + pt->hdr_len, le;
	size_t fstart = line;
	struct msg_scan sc;
	struct msg_field f;
	int k = MSG_LINE_HEADER, r = 0;

	msg_scan_init(&sc);
	while (line < end) {
		nl = memchr(p + line, '\n', end - line);
		le = nl != NULL ? (size_t)(nl - p) + 1 : end;
		k = msg_scan_line(&sc, p + line, le - line);
		if (k == MSG_LINE_ERROR) {
			r = errno == ENOMEM ? -1 : 0;
			break;
		}
		/* A field is complete when the next one (or the end)
		 * starts: it spans the lines before this one. */
		if (msg_scan_field(&sc, &f) && (r = cb(arg, &f, fstart, line)))
			break;
		if (k != MSG_LINE_HEADER)
			break;
		if (!is_wsp((unsigned char)p[line]))
			fstart = line;
		line = le;
	}
	if (line >= end && k == MSG_LINE_HEADER && r == 0) {
		msg_scan_eof(&sc);
		if (msg_scan_field(&sc, &f))
			r = cb(arg, &f, fstart, end);
	}
	msg_scan_free(&sc);
	return r;
}

/* ------------------------------------------------------------ sections */

void
mime_section_free(struct mime_section *s)
{
	buf_free(&s->fields);
	memset(s, 0, sizeof(*s));
	buf_init(&s->fields, 0);
}

/* RFC 3501 §9 ASTRING-CHAR, as a section's names may use. */
static int
is_astring_char(int c)
{
	return c > 32 && c < 127 && strchr("(){%*\"\\", c) == NULL;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")". */
static int
parse_field_list(struct mime_section *s, const char *p, size_t n)
{
	size_t i = 0, start;

	if (n == 0 || p[0] != '(')
		goto bad;
	for (i = 1;;) {
		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			goto bad;
		if (p[i] == ')') {
			i++;
			break;
		}
		start = s->fields.len;
		if (p[i] == '"') {
			for (i++; i < n && p[i] != '"'; i++) {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				if (p[i] == '\r' || p[i] == '\n' ||
				    p[i] == '\0')
					goto bad;
				if (buf_putc(&s->fields, p[i]) != 0)
					return -1;
			}
			if (i >= n)
				goto bad;
			i++;
		} else {
			while (i < n && is_astring_char((unsigned char)p[i]))
				if (buf_putc(&s->fields, p[i++]) != 0)
					return -1;
			if (i < n && p[i] != ' ' && p[i] != ')')
				goto bad;
		}
		if (s->fields.len == start ||
		    s->fields.len - start > MSG_NAME_MAX)
			goto bad;
		if (s->nfields == MIME_FIELDS_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
		if (buf_putc(&s->fields, '\0') != 0)
			return -1;
		s->nfields++;
	}
	if (i != n || s->nfields == 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static int
kw(const char *p, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n >= wl && strncasecmp(p, word, wl) == 0;
}

int
mime_section_parse(struct mime_section *s, const char *spec, size_t len)
{
	size_t i = 0, rn;
	const char *r;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	buf_init(&s->fields, MIME_FIELDS_MAX * (MSG_NAME_MAX + 1));
	/* section-part = nz-number *("." nz-number) */
	while (i < len && spec[i] >= '0' && spec[i] <= '9') {
		if (spec[i] == '0')
			goto bad;
		for (v = 0; i < len && spec[i] >= '0' && spec[i] <= '9'; i++)
			if ((v = v * 10 + (uint64_t)(spec[i] - '0')) >
			    UINT32_MAX)
				v = (uint64_t)UINT32_MAX + 1;
		if (v > UINT32_MAX || s->npart == MIME_SECTION_PARTS_MAX)
			s->beyond = 1;
		else
			s->part[s->npart++] = (uint32_t)v;
		if (i == len) {
			s->what = MIME_SEC_BODY;
			return 0;
		}
		if (spec[i++] != '.' || i == len)
			goto bad;
	}
	r = spec + i;
	rn = len - i;
	if (rn == 0) {
		s->what = MIME_SEC_BODY;
		return 0;
	}
	if (rn == 4 && kw(r, rn, "MIME") && i > 0)
		s->what = MIME_SEC_MIME;
	else if (rn == 4 && kw(r, rn, "TEXT"))
		s->what = MIME_SEC_TEXT;
	else if (rn == 6 && kw(r, rn, "HEADER"))
		s->what = MIME_SEC_HEADER;
	else if (kw(r, rn, "HEADER.FIELDS.NOT ")) {
		s->what = MIME_SEC_FIELDS_NOT;
		return parse_field_list(s, r + 18, rn - 18);
	} else if (kw(r, rn, "HEADER.FIELDS ")) {
		s->what = MIME_SEC_FIELDS;
		return parse_field_list(s, r + 14, rn - 14);
	} else
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

const struct mime_part *
mime_part_find(const struct mime_msg *m, const uint32_t *path, size_t n)
{
	const struct mime_part *pt = m->root;
	size_t i;
	uint32_t num;

	for (i = 0; i < n && pt != NULL; i++) {
		num = path[i];
		if (num == 0)
			return NULL;
		if (pt->kind == MIME_MULTIPART) {
			for (pt = pt->child; num > 1 && pt != NULL; num--)
				pt = pt->next;
		} else if (num != 1) {
			pt = NULL;
		} else if (i + 1 < n && pt->kind != MIME_MESSAGE) {
			pt = NULL;
		}
		/* A number after a message/rfc822 part counts in the
		 * message it holds. */
		if (pt != NULL && pt->kind == MIME_MESSAGE && i + 1 < n)
			pt = pt->child;
	}
	return pt;
}

/* The part a section reads from: for HEADER, TEXT and HEADER.FIELDS
 * below the top, the message a message/rfc822 part holds. */
static const struct mime_part *
resolve(const struct mime_msg *m, const struct mime_section *s)
{
	const struct mime_part *pt;

	if (s->beyond || m->root == NULL)
		goto none;
	if ((pt = mime_part_find(m, s->part, s->npart)) == NULL)
		goto none;
	switch (s->what) {
	case MIME_SEC_BODY:
	case MIME_SEC_MIME: return pt;
	default:
		if (s->npart == 0)
			return pt;
		if (pt->kind != MIME_MESSAGE || pt->child == NULL)
			goto none;
		return pt->child;
	}
none:
	errno = ENOENT;
	return NULL;
}

int
mime_section_span(const struct mime_msg *m, const struct mime_section *s,
    struct mime_span *sp)
{
	const struct mime_part *pt;

	if ((pt = resolve(m, s)) == NULL)
		return -1;
	switch (s->what) {
	case MIME_SEC_BODY:
		if (s->npart == 0) {
			sp->off = 0;
			sp->len = m->len;
			sp->size = m->size;
			return 1;
		}
		/* FALLTHROUGH */
	case MIME_SEC_TEXT:
		sp->off = pt->body_off;
		sp->len = pt->body_len;
		sp->size = pt->body_size;
		return 1;
	case MIME_SEC_HEADER:
	case MIME_SEC_MIME:
		sp->off = pt->hdr_off;
		sp->len = pt->hdr_len;
		sp->size = pt->hdr_size;
		return 1;
	default: return 0;
	}
}

struct fsel {
	const struct mime_msg *m;
	const struct mime_section *s;
	struct buf *out;
};

static int
select_field(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct fsel *fs = arg;
	const char *name = fs->s->fields.data;
	size_t i;
	int hit = 0;

	for (i = 0; i < fs->s->nfields; i++) {
		size_t nl = strlen(name);

		if (nl == f->namelen && strncasecmp(name, f->name, nl) == 0) {
			hit = 1;
			break;
		}
		name += nl + 1;
	}
	if (hit != (fs->s->what == MIME_SEC_FIELDS))
		return 0;
	if (mime_wire_copy(fs->out, fs->m->p + off, end - off, 0, SIZE_MAX,
		MIME_F_KEEP_NUL) != 0)
		return -1;
	if (end == off || fs->m->p[end - 1] != '\n')
		return buf_append(fs->out, "\r\n", 2);
	return 0;
}

int
mime_fetch(const struct mime_msg *m, const struct mime_section *s,
    uint64_t start, uint64_t count, unsigned int flags, struct buf *out)
{
	const struct mime_part *pt;
	struct mime_span sp;
	struct fsel fs;
	struct buf tmp;
	size_t off, len;
	int r;

	if ((r = mime_section_span(m, s, &sp)) < 0)
		return -1;
	if (r == 1) {
		mime_partial(sp.size, start, count, &off, &len);
		return mime_wire_copy(
		    out, m->p + sp.off, sp.len, off, len, flags);
	}
	if ((pt = resolve(m, s)) == NULL)
		return -1;
	buf_init(&tmp, 0);
	fs.m = m;
	fs.s = s;
	fs.out = &tmp;
	/* RFC 3501 §6.4.5: the empty line ending the header is part of
	 * every header fetch, subsets too. */
	if (mime_header_walk(m, pt, select_field, &fs) != 0 ||
	    ((pt->flags & MIME_P_BLANK) && buf_append(&tmp, "\r\n", 2) != 0)) {
		buf_free(&tmp);
		errno = ENOMEM;
		return -1;
	}
	/* tmp has CRLF line ends: its wire offsets are its offsets. */
	mime_partial(tmp.len, start, count, &off, &len);
	r = mime_wire_copy(
	    out, tmp.data != NULL ? tmp.data : "", tmp.len, off, len, flags);
	buf_free(&tmp);
	return r;
}
