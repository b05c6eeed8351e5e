/*
 * msg.c: RFC 5322 header scanning, unfolding, address lists, Date and
 * Message-ID.  See msg.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg.h"
#include "util.h"

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

void
msg_scan_init(struct msg_scan *s)
{
	memset(s, 0, sizeof(*s));
	/* A field is at most the whole header, plus the NUL buf keeps. */
	buf_init(&s->cur, MSG_HEADER_MAX);
	buf_init(&s->ready, MSG_HEADER_MAX);
}

void
msg_scan_free(struct msg_scan *s)
{
	buf_free(&s->cur);
	buf_free(&s->ready);
	memset(s, 0, sizeof(*s));
}

/* The field being collected is complete: hand it to ready. */
static void
complete(struct msg_scan *s)
{
	struct buf tmp;

	if (s->cur.len == 0)
		return;
	tmp = s->ready;
	s->ready = s->cur;
	s->cur = tmp;
	buf_reset(&s->cur);
	s->ready_namelen = s->cur_namelen;
	s->cur_namelen = 0;
	s->has_ready = 1;
}

int
msg_scan_line(struct msg_scan *s, const char *line, size_t len)
{
	size_t i, j;

	if (s->done)
		return MSG_LINE_BODY;
	if (len > MSG_HEADER_MAX - s->total) {
		errno = EMSGSIZE;
		return MSG_LINE_ERROR;
	}
	s->total += len;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		complete(s);
		s->done = 1;
		return MSG_LINE_END;
	}
	if (is_wsp((unsigned char)line[0])) {
		/* RFC 5322 §2.2.3: a folded line continues the field; the
		 * unfolded value keeps the white space, drops the break. */
		if (s->cur.len == 0)
			goto body;
		if (buf_append(&s->cur, line, len) != 0)
			return MSG_LINE_ERROR;
		return MSG_LINE_HEADER;
	}
	/* RFC 5322 §3.6.8: ftext is %d33-57 / %d59-126. */
	for (i = 0; i < len && line[i] > 32 && line[i] < 127 && line[i] != ':';
	     i++)
		;
	for (j = i; j < len && is_wsp((unsigned char)line[j]); j++)
		;
	if (i == 0 || j == len || line[j] != ':')
		goto body;
	if (i > MSG_NAME_MAX) {
		errno = EMSGSIZE;
		return MSG_LINE_ERROR;
	}
	complete(s);
	if (buf_append(&s->cur, line, i) != 0 || buf_putc(&s->cur, ':') != 0 ||
	    buf_append(&s->cur, line + j + 1, len - j - 1) != 0)
		return MSG_LINE_ERROR;
	s->cur_namelen = i;
	return MSG_LINE_HEADER;
body:
	complete(s);
	s->done = 1;
	return MSG_LINE_BODY;
}

void
msg_scan_eof(struct msg_scan *s)
{
	complete(s);
	s->done = 1;
}

int
msg_scan_field(struct msg_scan *s, struct msg_field *f)
{
	char *v, *end;

	if (!s->has_ready)
		return 0;
	s->has_ready = 0;
	f->name = s->ready.data;
	f->namelen = s->ready_namelen;
	v = s->ready.data + s->ready_namelen + 1;
	end = s->ready.data + s->ready.len;
	while (v < end && is_wsp((unsigned char)*v))
		v++;
	while (end > v && is_wsp((unsigned char)end[-1]))
		end--;
	*end = '\0';
	f->value = v;
	f->valuelen = (size_t)(end - v);
	return 1;
}

void
msg_iter_init(struct msg_iter *it, const char *p, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	it->len = len;
	msg_scan_init(&it->scan);
}

void
msg_iter_free(struct msg_iter *it)
{
	msg_scan_free(&it->scan);
}

int
msg_iter_next(struct msg_iter *it, struct msg_field *f)
{
	const char *nl;
	size_t end;

	for (;;) {
		if (it->state < 0)
			return -1;
		if (msg_scan_field(&it->scan, f))
			return 1;
		if (it->state > 0)
			return 0;
		if (it->off >= it->len) {
			msg_scan_eof(&it->scan);
			it->body = it->len;
			it->state = 1;
			continue;
		}
		nl = memchr(it->p + it->off, '\n', it->len - it->off);
		end = nl != NULL ? (size_t)(nl - it->p) + 1 : it->len;
		switch (
		    msg_scan_line(&it->scan, it->p + it->off, end - it->off)) {
		case MSG_LINE_HEADER: it->off = end; break;
		case MSG_LINE_END:
			it->off = end;
			it->body = end;
			it->state = 1;
			break;
		case MSG_LINE_BODY:
			it->body = it->off;
			it->state = 1;
			break;
		default: it->state = -1; break;
		}
	}
}

int
msg_field_is(const struct msg_field *f, const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}

/* States of msg_hops_feed. */
enum { HOPS_BOL, HOPS_BOL_CR, HOPS_NAME, HOPS_WSP, HOPS_LINE, HOPS_DONE };

void
msg_hops_init(struct msg_hops *h)
{
	memset(h, 0, sizeof(*h));
	h->state = HOPS_BOL;
}

int
msg_hops_feed(struct msg_hops *h, const char *p, size_t n)
{
	static const char name[] = "received";
	size_t i;
	int c;

	for (i = 0; i < n && h->state != HOPS_DONE; i++, h->seen++) {
		c = (unsigned char)p[i];
		if (h->seen >= MSG_HEADER_MAX) {
			h->state = HOPS_DONE;
			break;
		}
		switch (h->state) {
		case HOPS_BOL:
			if (c == '\n')
				h->state = HOPS_DONE;
			else if (c == '\r')
				h->state = HOPS_BOL_CR;
			else if (tolower(c) == name[0]) {
				h->state = HOPS_NAME;
				h->idx = 1;
			} else
				h->state = HOPS_LINE;
			break;
		case HOPS_BOL_CR:
			h->state = c == '\n' ? HOPS_DONE : HOPS_LINE;
			break;
		case HOPS_NAME:
			if (h->idx < sizeof(name) - 1 &&
			    tolower(c) == name[h->idx])
				h->idx++;
			else if (h->idx == sizeof(name) - 1 && c == ':') {
				h->count++;
				h->state = HOPS_LINE;
			} else if (h->idx == sizeof(name) - 1 && is_wsp(c))
				h->state = HOPS_WSP;
			else
				h->state = c == '\n' ? HOPS_BOL : HOPS_LINE;
			break;
		case HOPS_WSP:
			if (c == ':') {
				h->count++;
				h->state = HOPS_LINE;
			} else if (!is_wsp(c))
				h->state = c == '\n' ? HOPS_BOL : HOPS_LINE;
			break;
		default: /* HOPS_LINE */
			if (c == '\n')
				h->state = HOPS_BOL;
			break;
		}
	}
	return h->state == HOPS_DONE;
}

size_t
msg_header_len(const char *m, size_t len)
{
	const char *nl;
	size_t pos = 0;

	while (pos < len) {
		if (m[pos] == '\n')
			return pos + 1;
		if (m[pos] == '\r' && pos + 1 < len && m[pos + 1] == '\n')
			return pos + 2;
		if ((nl = memchr(m + pos, '\n', len - pos)) == NULL)
			break;
		pos = (size_t)(nl - m) + 1;
	}
	return (size_t)-1;
}

int
msg_unfold(const char *in, size_t len, struct buf *out)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		size_t brk = 0;

		if (in[i] == '\r' && i + 2 < len && in[i + 1] == '\n' &&
		    is_wsp((unsigned char)in[i + 2]))
			brk = 2;
		else if (in[i] == '\n' && i + 1 < len &&
		    is_wsp((unsigned char)in[i + 1]))
			brk = 1;
		if (brk == 0)
			continue;
		if (buf_append(out, in + start, i - start) != 0)
			return -1;
		i += brk - 1;
		start = i + 1;
	}
	return buf_append(out, in + start, len - start);
}

static const char *const days[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int
msg_date(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	long off;
	int n;

	if (localtime_r(&t, &tm) == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* RFC 5322 §3.3: a 4-digit year, zone "+hhmm"/"-hhmm". */
	if (tm.tm_year + 1900 < 1900 || tm.tm_year + 1900 > 9999 ||
	    tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11) {
		errno = ERANGE;
		return -1;
	}
	off = tm.tm_gmtoff / 60;
	n = snprintf(out, outlen, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Reading a Date field. */

static const char *
skip_cfws(const char *p, const char *e)
{
	int depth = 0;

	for (; p < e; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '\n' && *p != ',')
			break;
	}
	return p;
}

static int
date_num(const char **pp, const char *e, int maxdig, long *out)
{
	const char *p = *pp;
	long v = 0;
	int n = 0;

	while (p < e && *p >= '0' && *p <= '9' && n < maxdig) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

int
msg_date_parse(const char *s, size_t n, int64_t *t, int64_t *day)
{
	const char *p = s, *e = s + n;
	long d, y, hh = 0, mm = 0, ss = 0, z = 0;
	int mon, sign = 1;
	size_t k;

	p = skip_cfws(p, e);
	/* [day-of-week ","] */
	if (e - p >= 3 && !(*p >= '0' && *p <= '9')) {
		while (p < e && *p != ',' && *p != ' ')
			p++;
		p = skip_cfws(p, e);
	}
	if (date_num(&p, e, 2, &d) == -1 || d < 1 || d > 31)
		return -1;
	p = skip_cfws(p, e);
	if (e - p < 3)
		return -1;
	for (mon = -1, k = 0; k < 12; k++) {
		if (strncasecmp(p, months[k], 3) == 0) {
			mon = (int)k + 1;
			break;
		}
	}
	if (mon == -1)
		return -1;
	p += 3;
	if (p < e && *p == '-')
		p++;
	p = skip_cfws(p, e);
	if (p < e && *p == '-')
		p++;
	if (date_num(&p, e, 4, &y) == -1)
		return -1;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	*day = util_days_from_civil(y, mon, d) * 86400;
	p = skip_cfws(p, e);
	if (date_num(&p, e, 2, &hh) == 0 && p < e && *p == ':') {
		p++;
		if (date_num(&p, e, 2, &mm) == -1)
			mm = 0;
		if (p < e && *p == ':') {
			p++;
			if (date_num(&p, e, 2, &ss) == -1)
				ss = 0;
		}
		p = skip_cfws(p, e);
		if (p < e && (*p == '+' || *p == '-')) {
			sign = *p == '-' ? -1 : 1;
			p++;
			if (date_num(&p, e, 4, &z) == -1)
				z = 0;
		}
	}
	if (hh > 23 || mm > 59 || ss > 60)
		hh = mm = ss = 0;
	*t = *day + hh * 3600 + mm * 60 + ss -
	    sign * ((z / 100) * 3600 + (z % 100) * 60);
	return 0;
}

/* RFC 5322 §3.2.3 atext. */
static int
is_atext(int c)
{
	if (c >= 0x80)
		return 1; /* RFC 6532: UTF-8 */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

int
msg_message_id(const char *domain, char *out, size_t outlen)
{
	struct tm tm;
	time_t now = time(NULL);
	size_t i, len = strlen(domain);
	int n;

	/* RFC 5322 §3.6.4: id-right is a dot-atom-text (or a literal). */
	if (len == 0 || len > SMTP_DOMAIN_MAX || domain[0] == '.' ||
	    domain[len - 1] == '.')
		goto bad;
	for (i = 0; i < len; i++) {
		if (domain[i] == '.' ? domain[i + 1] == '.'
				     : !is_atext((unsigned char)domain[i]))
			goto bad;
	}
	if (gmtime_r(&now, &tm) == NULL)
		goto bad;
	n = snprintf(out, outlen, "<%04d%02d%02d%02d%02d%02d.%08x%08x@%s>",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)util_random(), (unsigned)util_random(),
	    domain);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ERANGE;
		return -1;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* ---------------------------------------------------------------- lists */

struct lex {
	const char *s;
	size_t len;
	size_t i;
};

enum tok {
	T_END,
	T_WORD, /* atom, quoted-string or domain-literal */
	T_SPECIAL, /* one of ()<>[]:;@\,." not starting a word */
	T_ERR
};

/* Skip CFWS (RFC 5322 §3.2.2): white space and nested comments. */
static int
lex_cfws(struct lex *lx)
{
	size_t depth = 0;

	while (lx->i < lx->len) {
		char c = lx->s[lx->i];

		if (depth > 0 && c == '\\') {
			lx->i += 2;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
		    c != '\n')
			return 0;
		lx->i++;
	}
	if (lx->i > lx->len)
		lx->i = lx->len;
	return depth == 0 ? 0 : -1;
}

/* Next token after CFWS; (*tp, *tn) is its text, quotes kept. */
static enum tok
lex_next(struct lex *lx, const char **tp, size_t *tn)
{
	size_t start;
	char c, close;

	if (lex_cfws(lx) != 0)
		return T_ERR;
	if (lx->i >= lx->len)
		return T_END;
	start = lx->i;
	c = lx->s[lx->i];
	*tp = lx->s + start;
	if (c == '"' || c == '[') {
		close = c == '"' ? '"' : ']';
		for (lx->i++; lx->i < lx->len; lx->i++) {
			unsigned char q = (unsigned char)lx->s[lx->i];

			/* §3.2.4 qtext, §3.2.1 quoted-pair: no NUL, CR,
			 * LF or other controls but HTAB, escaped or not. */
			if ((q < 0x20 && q != '\t') || q == 0x7f)
				return T_ERR;
			/* RFC 5321 §4.1.3: no white space in a literal. */
			if (close == ']' && (q == ' ' || q == '\t'))
				return T_ERR;
			if (q == '\\') {
				if (lx->i + 1 < lx->len) {
					q = (unsigned char)lx->s[lx->i + 1];
					if ((q < 0x20 && q != '\t') ||
					    q == 0x7f)
						return T_ERR;
				}
				lx->i++;
				continue;
			}
			if (q == (unsigned char)close)
				break;
		}
		if (lx->i >= lx->len)
			return T_ERR; /* unterminated */
		lx->i++;
		*tn = lx->i - start;
		return T_WORD;
	}
	if (is_atext((unsigned char)c)) {
		while (lx->i < lx->len && is_atext((unsigned char)lx->s[lx->i]))
			lx->i++;
		*tn = lx->i - start;
		return T_WORD;
	}
	if (c == '\0' || strchr("()<>]:;@\\,.", c) == NULL)
		return T_ERR; /* control bytes and the like */
	lx->i++;
	*tn = 1;
	return T_SPECIAL;
}

/* An address being put together from its tokens. */
struct addr {
	char a[SMTP_PATH_MAX + 1];
	size_t n;
	int over;
	int last_word; /* the last token was a word */
	int phrase; /* two words in a row: not an addr-spec */
};

static void
addr_add(struct addr *ad, const char *p, size_t n, int word)
{
	if (word && ad->last_word)
		ad->phrase = 1;
	ad->last_word = word;
	if (ad->over || n > SMTP_PATH_MAX - ad->n) {
		ad->over = 1;
		return;
	}
	memcpy(ad->a + ad->n, p, n);
	ad->n += n;
	ad->a[ad->n] = '\0';
}

struct alist {
	int (*cb)(void *, const char *, size_t);
	void *arg;
	int count;
	int stop;
};

static int
emit(struct alist *al, struct addr *ad)
{
	if (ad->over) {
		errno = EMSGSIZE;
		return -1;
	}
	if (ad->n == 0)
		return 0;
	/* An addr-spec needs a local part and, with an "@", a domain. */
	if (ad->phrase || ad->a[0] == '@' || ad->a[ad->n - 1] == '@' ||
	    ad->a[0] == '.') {
		errno = EINVAL;
		return -1;
	}
	if (ad->n > SMTP_PATH_MAX - 2 || al->count >= MSG_ADDR_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	al->count++;
	if (!al->stop && al->cb != NULL && al->cb(al->arg, ad->a, ad->n) != 0)
		al->stop = 1;
	return 0;
}

/* Inside "<...>", after the "<": [obs-route] addr-spec ">". */
static int
angle_addr(struct lex *lx, struct alist *al)
{
	struct addr ad;
	const char *t;
	size_t tn;
	enum tok k;
	int route;

	memset(&ad, 0, sizeof(ad));
	/* RFC 5322 §4.4 obs-route: "@a,@b:" before the address. */
	(void)lex_cfws(lx);
	route = lx->i < lx->len && lx->s[lx->i] == '@';
	for (;;) {
		k = lex_next(lx, &t, &tn);
		if (k == T_ERR || k == T_END)
			goto bad;
		if (route) {
			if (k == T_SPECIAL && *t == ':') {
				route = 0;
				memset(&ad, 0, sizeof(ad));
			} else if (k == T_SPECIAL && *t == '>')
				goto bad;
			continue;
		}
		if (k == T_SPECIAL && *t == '>')
			break;
		if (k == T_SPECIAL && *t != '.' && *t != '@')
			goto bad;
		addr_add(&ad, t, tn, k == T_WORD);
	}
	return emit(al, &ad);
bad:
	errno = EINVAL;
	return -1;
}

/*
 * One list: elements separated by ","; in a group it ends at ";".
 * Each element is "phrase <addr>", "phrase: group;" (top level only) or
 * an addr-spec.
 */
static int
list(struct lex *lx, struct alist *al, int group)
{
	struct addr ad;
	const char *t;
	size_t tn;
	enum tok k;

	memset(&ad, 0, sizeof(ad));
	for (;;) {
		k = lex_next(lx, &t, &tn);
		if (k == T_ERR)
			goto bad;
		if (k == T_END) {
			if (group)
				goto bad; /* a group needs its ";" */
			return emit(al, &ad);
		}
		if (k == T_WORD) {
			addr_add(&ad, t, tn, 1);
			continue;
		}
		switch (*t) {
		case '.':
		case '@': addr_add(&ad, t, tn, 0); break;
		case ',':
			if (emit(al, &ad) != 0)
				return -1;
			memset(&ad, 0, sizeof(ad));
			break;
		case ';':
			if (!group)
				goto bad;
			return emit(al, &ad);
		case '<':
			/* What came before was a display name. */
			if (angle_addr(lx, al) != 0)
				return -1;
			memset(&ad, 0, sizeof(ad));
			k = lex_next(lx, &t, &tn);
			if (k == T_END && !group)
				return 0;
			if (k == T_SPECIAL && *t == ',')
				break;
			if (k == T_SPECIAL && *t == ';' && group)
				return 0;
			goto bad;
		case ':':
			if (group)
				goto bad; /* groups do not nest */
			memset(&ad, 0, sizeof(ad));
			if (list(lx, al, 1) != 0)
				return -1;
			k = lex_next(lx, &t, &tn);
			if (k == T_END)
				return 0;
			if (k == T_SPECIAL && *t == ',')
				break;
			goto bad;
		default: goto bad;
		}
	}
bad:
	errno = EINVAL;
	return -1;
}

int
msg_addr_list(const char *s, size_t len,
    int (*cb)(void *arg, const char *addr, size_t addrlen), void *arg)
{
	struct lex lx = {s, len, 0};
	struct alist al = {cb, arg, 0, 0};

	if (len > MSG_HEADER_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (list(&lx, &al, 0) != 0)
		return -1;
	return al.count;
}
