/*
 * mime_decode.c: RFC 2047 encoded words, base64 and quoted-printable
 * bodies, charsets to UTF-8 (iconv(3) where the system has it), the text
 * of a part, and the case folding and matching SEARCH uses.  See mime.h.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef HAVE_ICONV
#include <iconv.h>
#endif

#include "mime.h"
#include "mime_priv.h"
#include "msg.h"
#include "util.h"

/* A small output staging area: appending byte by byte to a buf costs a
 * call each. */
struct out {
	struct buf *b;
	size_t n;
	int err;
	char tmp[1024];
};

static void
out_flush(struct out *o)
{
	if (o->n > 0 && !o->err && buf_append(o->b, o->tmp, o->n) != 0)
		o->err = 1;
	o->n = 0;
}

static void
out_put(struct out *o, int c)
{
	if (o->n == sizeof(o->tmp))
		out_flush(o);
	o->tmp[o->n++] = (char)c;
}

static int
out_end(struct out *o)
{
	out_flush(o);
	return o->err ? -1 : 0;
}

/* ----------------------------------------------------------------- UTF-8 */

static void
utf8_put(struct out *o, uint32_t c)
{
	if (c < 0x80)
		out_put(o, (int)c);
	else if (c < 0x800) {
		out_put(o, (int)(0xc0 | (c >> 6)));
		out_put(o, (int)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		out_put(o, (int)(0xe0 | (c >> 12)));
		out_put(o, (int)(0x80 | ((c >> 6) & 0x3f)));
		out_put(o, (int)(0x80 | (c & 0x3f)));
	} else {
		out_put(o, (int)(0xf0 | (c >> 18)));
		out_put(o, (int)(0x80 | ((c >> 12) & 0x3f)));
		out_put(o, (int)(0x80 | ((c >> 6) & 0x3f)));
		out_put(o, (int)(0x80 | (c & 0x3f)));
	}
}

#define REPLACEMENT 0xfffd

/* Copy s as valid UTF-8; skip CR and LF when nolf. */
static void
sanitize(struct out *o, const char *s, size_t n, int nolf)
{
	size_t i = 0, l;
	uint32_t c;

	while (i < n) {
		if ((l = util_utf8_char(s + i, n - i, &c)) == 0) {
			utf8_put(o, REPLACEMENT);
			i++;
			continue;
		}
		if (!nolf || (c != '\r' && c != '\n'))
			utf8_put(o, c);
		i += l;
	}
}

int
mime_utf8_sanitize(struct buf *b, const char *s, size_t n)
{
	struct out o = {b, 0, 0, {0}};

	sanitize(&o, s, n, 0);
	return out_end(&o);
}

/* -------------------------------------------------------------- charsets */

enum cs_kind { CS_UTF8, CS_LATIN1, CS_OTHER, CS_BAD };

/*
 * Classify charset name cs and copy what iconv should be asked for into
 * name.  RFC 2978 §2.3: at most 40 characters; only letters, digits and
 * "-_.:+" pass, so nothing of iconv's own syntax ("//TRANSLIT", paths)
 * comes from mail.
 */
static enum cs_kind
charset(const char *cs, size_t n, char *name)
{
	static const struct {
		const char *alias, *name;
	} aliases[] = {
	    /* Names mailers use that iconv spells otherwise. */
	    {"ks_c_5601-1987", "CP949"},
	    {"x-sjis", "SHIFT_JIS"},
	    {"gb2312", "GBK"},
	    {"x-gbk", "GBK"},
	    {"iso-8859-8-i", "ISO-8859-8"},
	    {"unicode-1-1-utf-7", "UTF-7"},
	    {"x-mac-roman", "MACINTOSH"},
	};
	size_t i;
	char c;

	while (n > 0 && (*cs == ' ' || *cs == '"')) {
		cs++;
		n--;
	}
	while (n > 0 && (cs[n - 1] == ' ' || cs[n - 1] == '"'))
		n--;
	if (n == 0)
		return CS_UTF8; /* none: us-ascii by RFC 2045 §5.2 */
	if (n > MIME_CHARSET_MAX)
		return CS_BAD;
	for (i = 0; i < n; i++) {
		c = cs[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr("-_.:+", c) != NULL))
			return CS_BAD;
		name[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	name[n] = '\0';
	/* us-ascii is read as UTF-8: 8-bit text labelled ascii is UTF-8
	 * far more often than anything else. */
	if (strcmp(name, "utf-8") == 0 || strcmp(name, "utf8") == 0 ||
	    strcmp(name, "us-ascii") == 0 || strcmp(name, "ascii") == 0 ||
	    strcmp(name, "ansi_x3.4-1968") == 0 ||
	    strcmp(name, "iso-646-us") == 0)
		return CS_UTF8;
	if (strcmp(name, "iso-8859-1") == 0 || strcmp(name, "iso8859-1") == 0 ||
	    strcmp(name, "iso_8859-1") == 0 || strcmp(name, "latin1") == 0 ||
	    strcmp(name, "l1") == 0)
		return CS_LATIN1;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(name, aliases[i].alias) == 0) {
			(void)util_strlcpy(
			    name, aliases[i].name, MIME_CHARSET_MAX + 1);
			break;
		}
	return CS_OTHER;
}

#ifdef HAVE_ICONV
/* Convert through iconv: 0, 1 when iconv does not know the charset. */
static int
conv_iconv(const char *name, const char *in, size_t n, struct out *o)
{
	iconv_t cd;
	char obuf[1024], *ip = (char *)(uintptr_t)in, *op;
	size_t il = n, ol, r;

	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return 1;
	while (il > 0) {
		op = obuf;
		ol = sizeof(obuf);
		r = iconv(cd, &ip, &il, &op, &ol);
		out_flush(o);
		if (op > obuf && !o->err &&
		    buf_append(o->b, obuf, (size_t)(op - obuf)) != 0)
			o->err = 1;
		if (r != (size_t)-1 || (errno == E2BIG && op > obuf))
			continue;
		/* EILSEQ, EINVAL (cut short at the end), or no progress:
		 * one byte becomes U+FFFD and the rest goes on. */
		utf8_put(o, REPLACEMENT);
		ip++;
		il--;
	}
	op = obuf;
	ol = sizeof(obuf);
	(void)iconv(cd, NULL, NULL, &op, &ol);
	out_flush(o);
	if (op > obuf && !o->err &&
	    buf_append(o->b, obuf, (size_t)(op - obuf)) != 0)
		o->err = 1;
	(void)iconv_close(cd);
	return 0;
}
#endif

/* Convert in from cs to UTF-8 into o: 0, or 1 when the charset is
 * unknown (nothing written unless copy). */
static int
conv(const char *cs, size_t csn, const char *in, size_t n, struct out *o,
    int copy)
{
	char name[MIME_CHARSET_MAX + 1];
	size_t i;

	switch (charset(cs, csn, name)) {
	case CS_UTF8: sanitize(o, in, n, 0); return 0;
	case CS_LATIN1:
		for (i = 0; i < n; i++)
			utf8_put(o, (unsigned char)in[i]);
		return 0;
	case CS_OTHER:
#ifdef HAVE_ICONV
		if (conv_iconv(name, in, n, o) == 0)
			return 0;
#endif
		/* FALLTHROUGH */
	default:
		if (copy)
			sanitize(o, in, n, 0);
		return 1;
	}
}

int
mime_to_utf8(
    const char *cs, size_t csn, const char *in, size_t n, struct buf *out)
{
	struct out o = {out, 0, 0, {0}};
	int r = conv(cs != NULL ? cs : "", cs != NULL ? csn : 0, in, n, &o, 1);

	return out_end(&o) != 0 ? -1 : r;
}

/* -------------------------------------------------------- base64 and QP */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void
mime_b64_init(struct mime_b64 *st)
{
	memset(st, 0, sizeof(*st));
}

static void
b64_feed(struct mime_b64 *st, const char *in, size_t n, struct out *o)
{
	size_t i;
	int v;

	for (i = 0; i < n; i++) {
		if (in[i] == '=') {
			/* Padding ends a quantum; a partial byte is lost. */
			st->acc = 0;
			st->bits = 0;
			continue;
		}
		if ((v = b64val((unsigned char)in[i])) < 0)
			continue; /* white space, line ends, garbage */
		st->acc = (st->acc << 6) | (uint32_t)v;
		st->bits += 6;
		if (st->bits >= 8) {
			st->bits -= 8;
			out_put(o, (int)((st->acc >> st->bits) & 0xff));
			st->acc &= (1u << st->bits) - 1;
		}
	}
}

int
mime_b64_feed(struct mime_b64 *st, const char *in, size_t n, struct buf *out)
{
	struct out o = {out, 0, 0, {0}};

	b64_feed(st, in, n, &o);
	return out_end(&o);
}

enum { QP_TEXT, QP_CR, QP_EQ, QP_EQ1, QP_EQWS, QP_EQCR };

void
mime_qp_init(struct mime_qp *st)
{
	memset(st, 0, sizeof(*st));
}

static void
qp_flush_wsp(struct mime_qp *st, struct out *o)
{
	size_t i;

	for (i = 0; i < st->nwsp; i++)
		out_put(o, st->wsp[i]);
	st->nwsp = 0;
}

static void
qp_feed(struct mime_qp *st, const char *in, size_t n, struct out *o)
{
	size_t i;
	int c, h;

	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
	again:
		switch (st->state) {
		case QP_TEXT:
			if (c == ' ' || c == '\t') {
				/* Held: rule 3 drops it before a line end. */
				if (st->nwsp == MIME_QP_WSP_MAX)
					qp_flush_wsp(st, o);
				st->wsp[st->nwsp++] = (char)c;
			} else if (c == '\r')
				st->state = QP_CR;
			else if (c == '\n') {
				st->nwsp = 0;
				out_put(o, '\n');
			} else {
				qp_flush_wsp(st, o);
				if (c == '=')
					st->state = QP_EQ;
				else
					out_put(o, c);
			}
			break;
		case QP_CR:
			st->state = QP_TEXT;
			if (c == '\n') {
				st->nwsp = 0;
				out_put(o, '\r');
				out_put(o, '\n');
				break;
			}
			qp_flush_wsp(st, o);
			out_put(o, '\r');
			goto again;
		case QP_EQ:
			if (util_hexval(c) >= 0) {
				st->hex = (char)c;
				st->state = QP_EQ1;
			} else if (c == '\r')
				st->state = QP_EQCR;
			else if (c == '\n')
				st->state = QP_TEXT; /* soft line break */
			else if (c == ' ' || c == '\t') {
				st->wsp[0] = (char)c;
				st->nwsp = 1;
				st->state = QP_EQWS;
			} else {
				/* RFC 2045 §6.7 (1): a broken "=" stays. */
				out_put(o, '=');
				st->state = QP_TEXT;
				goto again;
			}
			break;
		case QP_EQ1:
			st->state = QP_TEXT;
			if ((h = util_hexval(c)) >= 0) {
				out_put(
				    o, util_hexval((unsigned char)st->hex) * 16 + h);
				break;
			}
			out_put(o, '=');
			out_put(o, (unsigned char)st->hex);
			goto again;
		case QP_EQWS:
			/* "=" then white space: a soft line break if the
			 * line ends here (padding a mailer added). */
			if ((c == ' ' || c == '\t') &&
			    st->nwsp < MIME_QP_WSP_MAX) {
				st->wsp[st->nwsp++] = (char)c;
				break;
			}
			if (c == '\r' || c == '\n') {
				st->nwsp = 0;
				st->state = c == '\r' ? QP_EQCR : QP_TEXT;
				break;
			}
			out_put(o, '=');
			qp_flush_wsp(st, o);
			st->state = QP_TEXT;
			goto again;
		case QP_EQCR:
			/* "=" CR: a soft line break, LF or not. */
			st->state = QP_TEXT;
			if (c == '\n')
				break;
			goto again;
		}
	}
}

static void
qp_end(struct mime_qp *st, struct out *o)
{
	switch (st->state) {
	case QP_CR: out_put(o, '\r'); break;
	case QP_EQ1:
		out_put(o, '=');
		out_put(o, (unsigned char)st->hex);
		break;
	default: break;
	}
	/* A last "=" is a soft line break: a part's last line end belongs
	 * to the boundary after it (RFC 2046 §5.1.1).  White space at the
	 * very end is trailing too. */
	mime_qp_init(st);
}

int
mime_qp_feed(struct mime_qp *st, const char *in, size_t n, struct buf *out)
{
	struct out o = {out, 0, 0, {0}};

	qp_feed(st, in, n, &o);
	return out_end(&o);
}

int
mime_qp_end(struct mime_qp *st, struct buf *out)
{
	struct out o = {out, 0, 0, {0}};

	qp_end(st, &o);
	return out_end(&o);
}

int
mime_decode_body(enum mime_cte cte, const char *in, size_t n, struct buf *out)
{
	struct mime_b64 b;
	struct mime_qp q;
	struct out o = {out, 0, 0, {0}};

	switch (cte) {
	case MIME_CTE_BASE64:
		mime_b64_init(&b);
		b64_feed(&b, in, n, &o);
		return out_end(&o);
	case MIME_CTE_QP:
		mime_qp_init(&q);
		qp_feed(&q, in, n, &o);
		qp_end(&q, &o);
		return out_end(&o);
	default: return buf_append(out, in, n);
	}
}

/* -------------------------------------------------------------- RFC 2047 */

/* An encoded word "=?charset[*lang]?B|Q?text?=" (RFC 2047 §2, RFC 2231
 * §5) at s[i]. */
struct eword {
	const char *cs;
	size_t csn;
	int enc; /* 'B' or 'Q' */
	const char *text;
	size_t tn;
	size_t end; /* the offset after "?=" */
};

static int
eword(const char *s, size_t n, size_t i, struct eword *w)
{
	size_t j = i + 2, k;
	char c;

	if (i + 2 > n || s[i] != '=' || s[i + 1] != '?')
		return 0;
	for (k = j; k < n && s[k] != '?'; k++) {
		c = s[k];
		if (c <= ' ' || c >= 0x7f || k - j > MIME_CHARSET_MAX + 32)
			return 0;
	}
	if (k == j || k + 3 > n)
		return 0;
	w->cs = s + j;
	w->csn = k - j;
	for (j = 0; j < w->csn; j++)
		if (w->cs[j] == '*') {
			w->csn = j; /* RFC 2231 §5: "*language" */
			break;
		}
	c = s[k + 1];
	if ((c != 'B' && c != 'b' && c != 'Q' && c != 'q') || s[k + 2] != '?')
		return 0;
	w->enc = c == 'B' || c == 'b' ? 'B' : 'Q';
	w->text = s + k + 3;
	for (k += 3; k + 1 < n; k++) {
		c = s[k];
		if (c == '?' && s[k + 1] == '=')
			break;
		/* §5: no white space in an encoded word. */
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return 0;
	}
	if (k + 1 >= n)
		return 0;
	w->tn = (size_t)(s + k - w->text);
	w->end = k + 2;
	return 1;
}

/* Append the bytes an encoded word's text stands for. */
static void
eword_bytes(const struct eword *w, struct out *o)
{
	struct mime_b64 b;
	size_t i;
	int hi, lo;

	if (w->enc == 'B') {
		mime_b64_init(&b);
		b64_feed(&b, w->text, w->tn, o);
		return;
	}
	/* RFC 2047 §4.2: "_" is a space, "=XX" a byte. */
	for (i = 0; i < w->tn; i++) {
		if (w->text[i] == '_')
			out_put(o, ' ');
		else if (w->text[i] == '=' && i + 2 < w->tn &&
		    (hi = util_hexval((unsigned char)w->text[i + 1])) >= 0 &&
		    (lo = util_hexval((unsigned char)w->text[i + 2])) >= 0) {
			out_put(o, hi * 16 + lo);
			i += 2;
		} else
			out_put(o, w->text[i]);
	}
}

static int
all_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

/* A run of adjacent encoded words in one charset, bytes joined. */
struct run {
	const char *cs;
	size_t csn;
	size_t start, end; /* raw extent */
	struct buf bytes;
	int on;
};

static void
run_flush(struct run *r, const char *s, struct out *o)
{
	if (!r->on)
		return;
	r->on = 0;
	out_flush(o);
	if (conv(r->cs, r->csn, r->bytes.data != NULL ? r->bytes.data : "",
		r->bytes.len, o, 0) == 1)
		sanitize(o, s + r->start, r->end - r->start, 1); /* as is */
	buf_reset(&r->bytes);
}

int
mime_decode_words(const char *s, size_t n, struct buf *out)
{
	struct out o = {out, 0, 0, {0}};
	struct out ob;
	struct run r;
	struct eword w;
	size_t i = 0, lit = 0;

	memset(&r, 0, sizeof(r));
	buf_init(&r.bytes, 0);
	ob.b = &r.bytes;
	ob.n = 0;
	ob.err = 0;
	while (i < n) {
		if (s[i] != '=' || !eword(s, n, i, &w)) {
			i++;
			continue;
		}
		if (r.on && all_wsp(s + lit, i - lit) && w.csn == r.csn &&
		    strncasecmp(w.cs, r.cs, w.csn) == 0) {
			/* §6.2: the white space between goes; the bytes
			 * join (a character may be split between words). */
			r.end = w.end;
		} else {
			if (!(r.on && all_wsp(s + lit, i - lit))) {
				run_flush(&r, s, &o);
				sanitize(&o, s + lit, i - lit, 1);
			} else
				run_flush(&r, s, &o);
			r.on = 1;
			r.cs = w.cs;
			r.csn = w.csn;
			r.start = i;
			r.end = w.end;
		}
		eword_bytes(&w, &ob);
		out_flush(&ob);
		if (ob.err)
			o.err = 1;
		i = lit = w.end;
	}
	run_flush(&r, s, &o);
	sanitize(&o, s + lit, n - lit, 1);
	buf_free(&r.bytes);
	return out_end(&o);
}

/* ------------------------------------------------------------ parameters */

int
mime_param_utf8(const struct mime_param *params, size_t n, const char *name,
    struct buf *out)
{
	struct out o = {out, 0, 0, {0}};
	struct buf raw;
	const char *v, *q1, *q2;
	size_t i, nl = strlen(name);
	int hi, lo;

	/* RFC 2231 §4: the extended "name*" wins over a plain fallback. */
	for (i = 0; i < n; i++) {
		if (strlen(params[i].name) != nl + 1 ||
		    strncasecmp(params[i].name, name, nl) != 0 ||
		    params[i].name[nl] != '*')
			continue;
		v = params[i].value;
		q1 = strchr(v, '\'');
		q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
		buf_init(&raw, 0);
		for (v = q2 != NULL ? q2 + 1 : v; *v != '\0'; v++) {
			if (*v == '%' &&
			    (hi = util_hexval((unsigned char)v[1])) >= 0 &&
			    (lo = util_hexval((unsigned char)v[2])) >= 0) {
				if (buf_putc(&raw, hi * 16 + lo) != 0)
					goto fail;
				v += 2;
			} else if (buf_putc(&raw, *v) != 0)
				goto fail;
		}
		(void)conv(params[i].value,
		    q2 != NULL ? (size_t)(q1 - params[i].value) : 0,
		    raw.data != NULL ? raw.data : "", raw.len, &o, 1);
		buf_free(&raw);
		return out_end(&o) != 0 ? -1 : 1;
	fail:
		buf_free(&raw);
		return -1;
	}
	if ((v = mime_param(params, n, name)) == NULL)
		return 0;
	return mime_decode_words(v, strlen(v), out) != 0 ? -1 : 1;
}

/* --------------------------------------------------------- part text */

int
mime_part_text(
    const struct mime_msg *m, const struct mime_part *pt, struct buf *out)
{
	struct buf raw;
	const char *cs;
	int r;

	if (pt->kind != MIME_LEAF || !(pt->flags & MIME_P_TEXT))
		return 0;
	cs = mime_param(pt->params, pt->nparams, "charset");
	if (cs == NULL)
		cs = "us-ascii";
	if (pt->cte != MIME_CTE_BASE64 && pt->cte != MIME_CTE_QP)
		return mime_to_utf8(cs, strlen(cs), m->p + pt->body_off,
			   pt->body_len, out) < 0
		    ? -1
		    : 1;
	buf_init(&raw, 0);
	if (mime_decode_body(
		pt->cte, m->p + pt->body_off, pt->body_len, &raw) != 0) {
		buf_free(&raw);
		return -1;
	}
	r = mime_to_utf8(
	    cs, strlen(cs), raw.data != NULL ? raw.data : "", raw.len, out);
	buf_free(&raw);
	return r < 0 ? -1 : 1;
}

/* -------------------------------------------------------------- SEARCH */

/* Simple case folding (Unicode CaseFolding.txt, status C and S) for the
 * blocks mime.h lists. */
static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c == 0xb5)
		return 0x3bc; /* micro sign: Greek mu */
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f) {
		if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149)
			return c; /* no simple folding */
		if (c == 0x178)
			return 0xff;
		if (c == 0x17f)
			return 's';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x386 && c <= 0x3ab) {
		if (c == 0x386)
			return 0x3ac;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c == 0x38c)
			return 0x3cc;
		if (c == 0x38e || c == 0x38f)
			return c + 63;
		if (c >= 0x391 && c != 0x3a2)
			return c + 32;
		return c;
	}
	if (c == 0x3c2)
		return 0x3c3; /* final sigma */
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	return c;
}

static void
fold(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t c;

	while (i < n) {
		if (u[i] < 0x80) {
			out_put(
			    o, u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
			i++;
		} else if ((l = util_utf8_char(s + i, n - i, &c)) == 0) {
			out_put(o, u[i]);
			i++;
		} else {
			utf8_put(o, fold_cp(c));
			i += l;
		}
	}
}

int
mime_fold(const char *s, size_t n, struct buf *out)
{
	struct out o = {out, 0, 0, {0}};

	fold(&o, s, n);
	return out_end(&o);
}

/*
 * 1 when nd is in h, 0 when not, -1 (ENOMEM).  Knuth-Morris-Pratt: linear
 * in hn + nn whatever the text, as mail may be built to be slow.
 */
static int
contains(const char *h, size_t hn, const char *nd, size_t nn)
{
	size_t *fail, i, k;
	int r = 0;

	if (nn == 0)
		return 1;
	if (hn < nn)
		return 0;
	if (nn == 1)
		return memchr(h, nd[0], hn) != NULL;
	if ((fail = calloc(nn, sizeof(*fail))) == NULL)
		return -1;
	for (i = 1, k = 0; i < nn; i++) {
		while (k > 0 && nd[i] != nd[k])
			k = fail[k - 1];
		if (nd[i] == nd[k])
			k++;
		fail[i] = k;
	}
	for (i = 0, k = 0; i < hn; i++) {
		while (k > 0 && h[i] != nd[k])
			k = fail[k - 1];
		if (h[i] == nd[k] && ++k == nn) {
			r = 1;
			break;
		}
	}
	free(fail);
	return r;
}

int
mime_match(const char *hay, size_t hn, const char *needle, size_t nn)
{
	struct buf fh, fn;
	int r = -1;

	buf_init(&fh, 0);
	buf_init(&fn, 0);
	if (mime_fold(hay, hn, &fh) == 0 && mime_fold(needle, nn, &fn) == 0)
		r = contains(fh.data, fh.len, fn.data, fn.len);
	buf_free(&fh);
	buf_free(&fn);
	return r;
}

struct hsearch {
	const char *field; /* NULL: every field, "Name: value" a line */
	const struct buf *needle; /* folded */
	struct buf text, folded;
	int found;
};

static int
search_field(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct hsearch *h = arg;

	if (h->field != NULL && !mime_name_is(f->name, f->namelen, h->field))
		return 0;
	buf_reset(&h->text);
	buf_reset(&h->folded);
	if ((h->field == NULL &&
		(buf_append(&h->text, f->name, f->namelen) != 0 ||
		    buf_append(&h->text, ": ", 2) != 0)) ||
	    mime_decode_words(f->value, f->valuelen, &h->text) != 0 ||
	    mime_fold(h->text.data, h->text.len, &h->folded) != 0)
		return -1;
	switch (contains(
	    h->folded.data, h->folded.len, h->needle->data, h->needle->len)) {
	case 0: return 0;
	case 1: h->found = 1; return 1;
	default: return -1;
	}
}

static int
search_hdr(const struct mime_msg *m, const char *field, const struct buf *fn)
{
	struct hsearch h;
	int r;

	memset(&h, 0, sizeof(h));
	h.field = field;
	h.needle = fn;
	buf_init(&h.text, 0);
	buf_init(&h.folded, 0);
	r = mime_header_walk(m, m->root, search_field, &h);
	buf_free(&h.text);
	buf_free(&h.folded);
	if (r < 0) {
		errno = ENOMEM;
		return -1;
	}
	return h.found;
}

int
mime_search_header(
    const struct mime_msg *m, const char *field, const char *needle, size_t nn)
{
	struct buf fn;
	int r = -1;

	if (m->root == NULL)
		return 0;
	buf_init(&fn, 0);
	if (mime_fold(needle, nn, &fn) == 0)
		r = search_hdr(m, field, &fn);
	buf_free(&fn);
	return r;
}

/* The next part in a depth-first walk of the tree. */
static const struct mime_part *
walk_next(const struct mime_part *pt)
{
	if (pt->child != NULL)
		return pt->child;
	while (pt != NULL && pt->next == NULL)
		pt = pt->parent;
	return pt != NULL ? pt->next : NULL;
}

int
mime_search(
    const struct mime_msg *m, unsigned int where, const char *needle, size_t nn)
{
	const struct mime_part *pt;
	struct buf fn, text, folded;
	int r = 0;

	if (m->root == NULL)
		return 0;
	buf_init(&fn, 0);
	buf_init(&text, 0);
	buf_init(&folded, 0);
	if (mime_fold(needle, nn, &fn) != 0)
		goto fail;
	if ((where & MIME_S_HEADER) && (r = search_hdr(m, NULL, &fn)) != 0)
		goto done;
	if (!(where & MIME_S_BODY))
		goto done;
	for (pt = m->root; pt != NULL; pt = walk_next(pt)) {
		buf_reset(&text);
		buf_reset(&folded);
		if ((r = mime_part_text(m, pt, &text)) < 0)
			goto fail;
		if (r == 0)
			continue;
		if (mime_fold(text.data, text.len, &folded) != 0)
			goto fail;
		if ((r = contains(folded.data, folded.len, fn.data, fn.len)) <
		    0)
			goto fail;
		if (r == 1)
			goto done;
	}
	r = 0;
	goto done;
fail:
	r = -1;
	errno = ENOMEM;
done:
	buf_free(&fn);
	buf_free(&text);
	buf_free(&folded);
	return r;
}
