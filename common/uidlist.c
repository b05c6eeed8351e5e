/*
 * uidlist.c: the UID list text (see uidlist.h, and mailbox.h for the
 * format): the strict parse, the salvage of a damaged list, the
 * formatter, and the expunge records.  No I/O.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox_int.h"
#include "uidlist.h"

#define UIDLIST_MAGIC "yubin-uidlist "
/* The largest size a UID list line records (UIDLIST_SIZE_DIGITS). */
#define UIDLIST_SIZE_MAX 999999999999999999LL

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_letter(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int
mailbox_flags_parse(const char *letters, size_t n, uint64_t *mask)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_letter((unsigned char)letters[i])) {
			errno = EINVAL;
			return -1;
		}
		m |= MAILBOX_FLAG(letters[i]);
	}
	*mask = m;
	return 0;
}

size_t
mailbox_flags_letters(uint64_t mask, char *out)
{
	size_t o = 0;
	int b;

	for (b = 0; b < 52; b++)
		if (mask & ((uint64_t)1 << b))
			out[o++] = (char)(b < 26 ? 'A' + b : 'a' + b - 26);
	out[o] = '\0';
	return o;
}

int
mb_ucmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

int
mb_uniq_bytes_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > MAILDIR_NAME_MAX || p[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == 0x7f || c == ',' || c == ':' || c == '/')
			return 0;
	}
	return 1;
}

static int
uniq_ok(const char *p, size_t len)
{
	struct maildir_name mn;

	return mb_uniq_bytes_ok(p, len) &&
	    maildir_name_parse(p, len, &mn) == 0 && mn.uniq_len == len &&
	    mn.base_len == len;
}

/* ---------------------------------------------------------------- */
/* Numbers and lines. */

/* Decimal digits without a leading zero (but "0" when zero_ok), at most
 * maxd of them and at most max: 0 or -1. */
static int
parse_num(const char *p, size_t n, size_t maxd, unsigned long long max,
    int zero_ok, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > maxd)
		return -1;
	if (p[0] == '0' && (n > 1 || !zero_ok))
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (unsigned long long)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* 1..UINT32_MAX. */
static int
parse_u32(const char *p, size_t n, uint32_t *out)
{
	unsigned long long v;

	if (parse_num(p, n, 10, UINT32_MAX, 0, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A MODSEQ: 1..MODSEQ_MAX, or 0..MODSEQ_MAX when zero_ok. */
static int
parse_modseq(const char *p, size_t n, int zero_ok, uint64_t *out)
{
	unsigned long long v;

	if (parse_num(p, n, MODSEQ_DIGITS, MODSEQ_MAX, zero_ok, &v) != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* A size: 0, or decimal without a leading zero, at most
 * UIDLIST_SIZE_DIGITS digits (so it fits a long long). */
static int
parse_size(const char *p, size_t n, long long *out)
{
	unsigned long long v;

	if (parse_num(p, n, UIDLIST_SIZE_DIGITS, UIDLIST_SIZE_MAX, 1, &v) != 0)
		return -1;
	*out = (long long)v;
	return 0;
}

/* The next line at *pos (without its LF), bounded; -1 when there is no
 * complete line within UIDLIST_LINE_MAX bytes. */
static int
next_line(const char *p, size_t n, size_t *pos, const char **line, size_t *len)
{
	size_t room = n - *pos;
	const char *nl;

	if (room > UIDLIST_LINE_MAX)
		room = UIDLIST_LINE_MAX;
	nl = memchr(p + *pos, '\n', room);
	if (nl == NULL)
		return -1;
	*line = p + *pos;
	*len = (size_t)(nl - *line);
	*pos += *len + 1;
	return 0;
}

/* Split line[0..len) at its spaces into at most max fields; -1 when
 * there are more, or an empty one. */
static int
fields(const char *line, size_t len, const char **f, size_t *fl, size_t max,
    size_t *nf)
{
	const char *end = line + len, *sp;
	size_t k = 0;

	for (;;) {
		if (k == max)
			return -1;
		sp = memchr(line, ' ', (size_t)(end - line));
		f[k] = line;
		fl[k] = (size_t)((sp != NULL ? sp : end) - line);
		if (fl[k] == 0)
			return -1;
		k++;
		if (sp == NULL)
			break;
		line = sp + 1;
	}
	*nf = k;
	return 0;
}

static void
header_reset(struct mailbox_uidlist *l)
{
	l->version = 0;
	l->uidvalidity = 0;
	l->uidnext = 0;
	l->highestmodseq = 0;
	l->floor = 0;
}

/*
 * The header at the start of p: "yubin-uidlist 1 UIDVALIDITY UIDNEXT"
 * or "yubin-uidlist 2 UIDVALIDITY UIDNEXT HIGHESTMODSEQ FLOOR" with
 * FLOOR <= HIGHESTMODSEQ.  0, or -1 with the header fields left 0.
 */
static int
parse_header(const char *p, size_t n, size_t *pos, struct mailbox_uidlist *l)
{
	size_t ml = sizeof(UIDLIST_MAGIC) - 1, len, nf, fl[5];
	const char *line, *f[5];
	uint32_t v, x;
	uint64_t m = 0, e = 0;

	header_reset(l);
	if (next_line(p, n, pos, &line, &len) != 0 || len < ml ||
	    memcmp(line, UIDLIST_MAGIC, ml) != 0 ||
	    fields(line + ml, len - ml, f, fl, 5, &nf) != 0)
		return -1;
	if (fl[0] != 1 || (f[0][0] != '1' && f[0][0] != '2'))
		return -1;
	if (nf != (f[0][0] == '1' ? 3 : 5))
		return -1;
	if (parse_u32(f[1], fl[1], &v) != 0 || parse_u32(f[2], fl[2], &x) != 0)
		return -1;
	if (nf == 5 &&
	    (parse_modseq(f[3], fl[3], 0, &m) != 0 ||
		parse_modseq(f[4], fl[4], 1, &e) != 0 || e > m))
		return -1;
	l->version = f[0][0] - '0';
	l->uidvalidity = v;
	l->uidnext = x;
	l->highestmodseq = m;
	l->floor = e;
	return 0;
}

/* " F=" letters: ASCII order, each once, at least one. */
static int
parse_flags(const char *p, size_t n, uint64_t *out)
{
	size_t i;

	if (n == 0 || n > 52)
		return -1;
	for (i = 1; i < n; i++)
		if ((unsigned char)p[i] <= (unsigned char)p[i - 1])
			return -1;
	return mailbox_flags_parse(p, n, out);
}

/*
 * One message line (without its LF) into e: "UID UNIQ[ W=SIZE]" in a
 * version 1 list, "UID UNIQ[ W=SIZE] M=MODSEQ[ F=FLAGS]" in version 2.
 * 0, or -1 when it does not parse.
 */
static int
parse_entry(const char *line, size_t len, int version, struct mailbox_uident *e)
{
	const char *f[5];
	size_t fl[5], nf, k;

	if (fields(line, len, f, fl, 5, &nf) != 0 || nf < 2 ||
	    parse_u32(f[0], fl[0], &e->uid) != 0 || !uniq_ok(f[1], fl[1]))
		return -1;
	e->uniq = f[1];
	e->len = fl[1];
	e->size = -1;
	e->modseq = 0;
	e->flags = 0;
	k = 2;
	if (k < nf && fl[k] >= 2 && memcmp(f[k], "W=", 2) == 0) {
		if (parse_size(f[k] + 2, fl[k] - 2, &e->size) != 0)
			return -1;
		k++;
	}
	if (version == 1)
		return k == nf ? 0 : -1;
	if (k == nf || fl[k] < 2 || memcmp(f[k], "M=", 2) != 0 ||
	    parse_modseq(f[k] + 2, fl[k] - 2, 0, &e->modseq) != 0)
		return -1;
	k++;
	if (k < nf && fl[k] >= 2 && memcmp(f[k], "F=", 2) == 0) {
		if (parse_flags(f[k] + 2, fl[k] - 2, &e->flags) != 0)
			return -1;
		k++;
	}
	return k == nf ? 0 : -1;
}

/* "X MODSEQ LO" or "X MODSEQ LO:HI" (LO < HI): 0 or -1. */
static int
parse_expunged(const char *line, size_t len, struct mailbox_expunged *x)
{
	const char *f[3], *colon;
	size_t fl[3], nf;

	if (fields(line, len, f, fl, 3, &nf) != 0 || nf != 3 || fl[0] != 1 ||
	    f[0][0] != 'X' || parse_modseq(f[1], fl[1], 0, &x->modseq) != 0)
		return -1;
	colon = memchr(f[2], ':', fl[2]);
	if (colon == NULL) {
		if (parse_u32(f[2], fl[2], &x->lo) != 0)
			return -1;
		x->hi = x->lo;
		return 0;
	}
	if (parse_u32(f[2], (size_t)(colon - f[2]), &x->lo) != 0 ||
	    parse_u32(colon + 1, fl[2] - (size_t)(colon + 1 - f[2]), &x->hi) !=
		0 ||
	    x->lo >= x->hi)
		return -1;
	return 0;
}

static int
uident_cmp(const void *x, const void *y)
{
	const struct mailbox_uident *a = x, *b = y;

	return mb_ucmp(a->uniq, a->len, b->uniq, b->len);
}

static int
uid_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* One element of size sz more in *v (count *cnt, capacity *cap), at
 * most max: 0, -1 (ENOMEM) or -2 when max are there already. */
static int
grow(void **v, size_t *cnt, size_t *cap, size_t sz, size_t max)
{
	void *nv;
	size_t c;

	if (*cnt < *cap)
		return 0;
	if (*cnt >= max)
		return -2;
	c = *cap == 0 ? 64 : *cap * 2;
	if (c > max)
		c = max;
	if ((nv = realloc(*v, c * sz)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*v = nv;
	*cap = c;
	return 0;
}

static int
push_ent(struct mailbox_uidlist *l, size_t *cap, const struct mailbox_uident *e)
{
	void *v = l->ents;
	int rc = grow(&v, &l->nents, cap, sizeof(*e), MAILBOX_MSGS_MAX);

	l->ents = v;
	if (rc == 0)
		l->ents[l->nents++] = *e;
	return rc;
}

static int
push_exp(
    struct mailbox_uidlist *l, size_t *cap, const struct mailbox_expunged *x)
{
	void *v = l->exp;
	int rc = grow(&v, &l->nexp, cap, sizeof(*x), UIDLIST_EXPUNGED_MAX);

	l->exp = v;
	if (rc == 0)
		l->exp[l->nexp++] = *x;
	return rc;
}

void
mailbox_uidlist_free(struct mailbox_uidlist *l)
{
	free(l->ents);
	free(l->exp);
	l->ents = NULL;
	l->exp = NULL;
	l->nents = 0;
	l->nexp = 0;
}

static int
exp_lo_cmp(const void *x, const void *y)
{
	const struct mailbox_expunged *a = x, *b = y;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/*
 * The expunge records' promises: canonical order (MODSEQ, then UID; runs
 * of one MODSEQ neither touching nor overlapping), MODSEQs in
 * (floor, HIGHESTMODSEQ], UIDs below UIDNEXT, every UID recorded once
 * and none a message's.  uids: the messages' UIDs, ascending.  1 when
 * they hold, 0 when not, -1 (ENOMEM).
 */
static int
exp_valid(const struct mailbox_uidlist *l, const uint32_t *uids, size_t nuids)
{
	struct mailbox_expunged *s;
	size_t i, j;
	int ok = 1;

	for (i = 0; i < l->nexp; i++) {
		const struct mailbox_expunged *x = &l->exp[i];

		if (x->modseq <= l->floor || x->modseq > l->highestmodseq ||
		    x->lo == 0 || x->lo > x->hi || x->hi >= l->uidnext)
			return 0;
		if (i > 0 &&
		    (x->modseq < x[-1].modseq ||
			(x->modseq == x[-1].modseq &&
			    (uint64_t)x[-1].hi + 1 >= x->lo)))
			return 0;
	}
	if (l->nexp == 0)
		return 1;
	if ((s = malloc(l->nexp * sizeof(*s))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(s, l->exp, l->nexp * sizeof(*s));
	qsort(s, l->nexp, sizeof(*s), exp_lo_cmp);
	for (i = 1; i < l->nexp && ok; i++)
		if (s[i].lo <= s[i - 1].hi)
			ok = 0;
	/* No message UID inside a record: one merge of two sorted lists. */
	for (i = 0, j = 0; ok && i < nuids && j < l->nexp;) {
		if (uids[i] < s[j].lo)
			i++;
		else if (uids[i] > s[j].hi)
			j++;
		else
			ok = 0;
	}
	free(s);
	return ok;
}

/* The UIDs of l->ents, ascending (malloc'ed; NULL with n 0 is fine). */
static uint32_t *
ent_uids(const struct mailbox_uidlist *l)
{
	uint32_t *u;
	size_t i;

	if ((u = malloc((l->nents + 1) * sizeof(*u))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < l->nents; i++)
		u[i] = l->ents[i].uid;
	qsort(u, l->nents, sizeof(*u), uid_cmp);
	return u;
}

int
mailbox_uidlist_parse(const char *p, size_t n, struct mailbox_uidlist *l)
{
	struct mailbox_uident e;
	struct mailbox_expunged x;
	size_t pos = 0, len, cap = 0, xcap = 0, i;
	const char *line;
	uint32_t prev = 0, *uids;
	int rc;

	memset(l, 0, sizeof(*l));
	if (parse_header(p, n, &pos, l) != 0)
		goto bad;
	while (pos < n) {
		if (next_line(p, n, &pos, &line, &len) != 0)
			goto bad;
		if (len > 0 && line[0] == 'X' && l->version == 2) {
			if (parse_expunged(line, len, &x) != 0)
				goto bad;
			if ((rc = push_exp(l, &xcap, &x)) == -1)
				goto nomem;
			if (rc != 0)
				goto bad;
			continue;
		}
		/* Message lines, ascending and below UIDNEXT (RFC 3501
		   §2.3.1.1), all before the expunge lines. */
		if (l->nexp > 0 ||
		    parse_entry(line, len, l->version, &e) != 0 ||
		    e.uid <= prev || e.uid >= l->uidnext ||
		    e.modseq > l->highestmodseq)
			goto bad;
		prev = e.uid;
		if ((rc = push_ent(l, &cap, &e)) == -1)
			goto nomem;
		if (rc != 0)
			goto bad;
	}
	if (l->nexp > 0) {
		if ((uids = ent_uids(l)) == NULL)
			goto nomem;
		rc = exp_valid(l, uids, l->nents);
		free(uids);
		if (rc < 0)
			goto nomem;
		if (rc == 0)
			goto bad;
	}
	if (l->nents > 1) {
		qsort(l->ents, l->nents, sizeof(*l->ents), uident_cmp);
		for (i = 1; i < l->nents; i++)
			if (uident_cmp(&l->ents[i - 1], &l->ents[i]) == 0)
				goto bad;
	}
	return 0;
nomem:
	mailbox_uidlist_free(l);
	errno = ENOMEM;
	return -1;
bad:
	mailbox_uidlist_free(l);
	errno = EINVAL;
	return -1;
}

/* Keep ents[i] (in file order) only when no other entry contradicts its
 * UID: every UID before it is lower, every UID after it higher.  Both
 * sides of a conflict go, since either may be the damaged one. */
static int
drop_disorder(struct mailbox_uident *v, size_t *cnt)
{
	uint32_t *sufmin, premax = 0;
	size_t i, o = 0, n = *cnt;

	if (n < 2)
		return 0;
	if ((sufmin = malloc((n + 1) * sizeof(*sufmin))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	sufmin[n] = UINT32_MAX;
	for (i = n; i-- > 0;)
		sufmin[i] = v[i].uid < sufmin[i + 1] ? v[i].uid : sufmin[i + 1];
	for (i = 0; i < n; i++) {
		uint32_t uid = v[i].uid;

		if (premax < uid && (i + 1 == n || uid < sufmin[i + 1]))
			v[o++] = v[i];
		if (uid > premax)
			premax = uid;
	}
	free(sufmin);
	*cnt = o;
	return 0;
}

/* Sort by UNIQ and drop every entry whose UNIQ appears twice. */
static void
drop_twins(struct mailbox_uident *v, size_t *cnt)
{
	size_t i = 0, j, o = 0, n = *cnt;

	if (n > 1)
		qsort(v, n, sizeof(*v), uident_cmp);
	while (i < n) {
		for (j = i + 1; j < n && uident_cmp(&v[i], &v[j]) == 0; j++)
			;
		if (j == i + 1)
			v[o++] = v[i];
		i = j;
	}
	*cnt = o;
}

static int
exp_order_cmp(const void *x, const void *y)
{
	const struct mailbox_expunged *a = x, *b = y;

	if (a->modseq != b->modseq)
		return a->modseq < b->modseq ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

int
mailbox_uidlist_salvage(const char *p, size_t n, struct mailbox_uidlist *l)
{
	struct mailbox_uident e;
	struct mailbox_expunged x;
	size_t pos = 0, len, cap = 0, xcap = 0, parsed;
	const char *line, *nl;
	uint64_t floor, mfloor;
	uint32_t *uids;
	int rc;

	memset(l, 0, sizeof(*l));
	if (parse_header(p, n, &pos, l) != 0) {
		errno = EINVAL;
		return -1;
	}
	floor = l->uidnext;
	mfloor = l->highestmodseq;
	while (pos < n) {
		nl = memchr(p + pos, '\n', n - pos);
		if (nl == NULL) {
			l->lost++; /* truncated: the last line is cut */
			break;
		}
		line = p + pos;
		len = (size_t)(nl - line);
		pos += len + 1;
		if (len >= UIDLIST_LINE_MAX) {
			l->lost++;
			continue;
		}
		if (len > 0 && line[0] == 'X' && l->version == 2) {
			/* A record claims its UIDs were given and its
			   MODSEQ reached: neither may be given again. */
			if (parse_expunged(line, len, &x) != 0) {
				l->lost++;
				continue;
			}
			if (x.hi >= l->uidnext || x.modseq > l->highestmodseq) {
				/* The record or the header is wrong, as
				   for a message line below. */
				if ((uint64_t)x.hi + 1 > floor)
					floor = (uint64_t)x.hi + 1;
				if (x.modseq > mfloor)
					mfloor = x.modseq;
				l->lost++;
				continue;
			}
			rc = push_exp(l, &xcap, &x);
			if (rc == -1)
				goto nomem;
			if (rc != 0)
				l->lost++;
			continue;
		}
		if (parse_entry(line, len, l->version, &e) != 0) {
			l->lost++;
			continue;
		}
		if (e.uid >= l->uidnext || e.modseq > l->highestmodseq) {
			/* Either the line or the header is wrong: keep
			   neither the line nor a UIDNEXT or HIGHESTMODSEQ
			   it exceeds. */
			if ((uint64_t)e.uid + 1 > floor)
				floor = (uint64_t)e.uid + 1;
			if (e.modseq > mfloor)
				mfloor = e.modseq;
			l->lost++;
			continue;
		}
		if ((rc = push_ent(l, &cap, &e)) == -1)
			goto nomem;
		if (rc != 0)
			l->lost++;
	}
	parsed = l->nents;
	if (drop_disorder(l->ents, &l->nents) != 0)
		goto nomem;
	drop_twins(l->ents, &l->nents);
	l->lost += parsed - l->nents;
	/* UIDNEXT and HIGHESTMODSEQ only grow; past 2^32-1 no UID is left
	   to give. */
	l->uidnext = floor > UINT32_MAX ? UINT32_MAX : (uint32_t)floor;
	l->highestmodseq = mfloor;
	if (l->nexp > 1)
		qsort(l->exp, l->nexp, sizeof(*l->exp), exp_order_cmp);
	rc = 0;
	if (l->lost == 0 && l->nexp > 0) {
		if ((uids = ent_uids(l)) == NULL)
			goto nomem;
		rc = exp_valid(l, uids, l->nents);
		free(uids);
		if (rc < 0)
			goto nomem;
		rc = !rc;
	}
	if (l->lost > 0 || rc != 0) {
		/* What was lost may have been a record, or a message whose
		   UID now vanishes unrecorded: nothing older is exact. */
		l->lost += rc;
		free(l->exp);
		l->exp = NULL;
		l->nexp = 0;
		l->floor = l->highestmodseq;
	}
	if (l->nents == 0) {
		free(l->ents);
		l->ents = NULL;
	}
	return 0;
nomem:
	mailbox_uidlist_free(l);
	errno = ENOMEM;
	return -1;
}

int
mailbox_uidlist_format(struct buf *b, const struct mailbox_uidlist *l)
{
	char fl[MAILBOX_LETTERS_MAX];
	uint32_t *uids = NULL, prev = 0;
	size_t i;
	int rc;

	if (l->uidvalidity == 0 || l->uidnext == 0 || l->highestmodseq == 0 ||
	    l->highestmodseq > (uint64_t)MODSEQ_MAX ||
	    l->floor > l->highestmodseq || l->nexp > UIDLIST_EXPUNGED_MAX ||
	    l->nents > MAILBOX_MSGS_MAX)
		goto bad;
	for (i = 0; i < l->nents; i++) {
		const struct mailbox_uident *e = &l->ents[i];

		if (e->uid <= prev || e->uid >= l->uidnext || e->modseq == 0 ||
		    e->modseq > l->highestmodseq ||
		    (e->flags & ~MAILBOX_FLAGS_ALL) != 0 ||
		    !uniq_ok(e->uniq, e->len) || e->size > UIDLIST_SIZE_MAX)
			goto bad;
		prev = e->uid;
	}
	if (l->nexp > 0) {
		/* Entries are in UID order here, as the file wants. */
		if ((uids = malloc(l->nents * sizeof(*uids) + 1)) == NULL)
			return -1;
		for (i = 0; i < l->nents; i++)
			uids[i] = l->ents[i].uid;
		rc = exp_valid(l, uids, l->nents);
		free(uids);
		if (rc < 0)
			return -1;
		if (rc == 0)
			goto bad;
	}
	if (buf_printf(b, "%s2 %lu %lu %llu %llu\n", UIDLIST_MAGIC,
		(unsigned long)l->uidvalidity, (unsigned long)l->uidnext,
		(unsigned long long)l->highestmodseq,
		(unsigned long long)l->floor) != 0)
		return -1;
	for (i = 0; i < l->nents; i++) {
		const struct mailbox_uident *e = &l->ents[i];

		if (buf_printf(b, "%lu %.*s", (unsigned long)e->uid,
			(int)e->len, e->uniq) != 0)
			return -1;
		if (e->size >= 0 && buf_printf(b, " W=%lld", e->size) != 0)
			return -1;
		if (buf_printf(b, " M=%llu", (unsigned long long)e->modseq) !=
		    0)
			return -1;
		if (e->flags != 0) {
			(void)mailbox_flags_letters(e->flags, fl);
			if (buf_printf(b, " F=%s", fl) != 0)
				return -1;
		}
		if (buf_putc(b, '\n') != 0)
			return -1;
	}
	for (i = 0; i < l->nexp; i++) {
		const struct mailbox_expunged *x = &l->exp[i];

		rc = x->lo == x->hi
		    ? buf_printf(b, "X %llu %lu\n",
			  (unsigned long long)x->modseq, (unsigned long)x->lo)
		    : buf_printf(b, "X %llu %lu:%lu\n",
			  (unsigned long long)x->modseq, (unsigned long)x->lo,
			  (unsigned long)x->hi);
		if (rc != 0)
			return -1;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
mailbox_uidlist_add_expunged(
    struct mailbox_uidlist *l, const uint32_t *uids, size_t n, uint64_t modseq)
{
	struct mailbox_expunged x, *nv;
	size_t i, need, drop, keep;

	if (n == 0)
		return 0;
	if (modseq <= l->floor ||
	    (l->nexp > 0 && modseq <= l->exp[l->nexp - 1].modseq)) {
		errno = EINVAL;
		return -1;
	}
	/* Runs of consecutive UIDs, one record each. */
	for (i = 1, need = 1; i < n; i++) {
		if (uids[i] <= uids[i - 1]) {
			errno = EINVAL;
			return -1;
		}
		if (uids[i] != uids[i - 1] + 1)
			need++;
	}
	nv = realloc(l->exp, (l->nexp + need) * sizeof(*nv));
	if (nv == NULL) {
		errno = ENOMEM;
		return -1;
	}
	l->exp = nv;
	x.modseq = modseq;
	x.lo = x.hi = uids[0];
	for (i = 1; i <= n; i++) {
		if (i < n && uids[i] == x.hi + 1) {
			x.hi = uids[i];
			continue;
		}
		l->exp[l->nexp++] = x;
		if (i < n)
			x.lo = x.hi = uids[i];
	}
	if (l->nexp <= UIDLIST_EXPUNGED_MAX)
		return 0;
	/* Forget the oldest, a whole MODSEQ at a time, so the floor says
	   exactly what is still known. */
	drop = l->nexp - UIDLIST_EXPUNGED_MAX;
	while (drop < l->nexp && l->exp[drop].modseq == l->exp[drop - 1].modseq)
		drop++;
	l->floor = l->exp[drop - 1].modseq;
	keep = l->nexp - drop;
	memmove(l->exp, l->exp + drop, keep * sizeof(*l->exp));
	l->nexp = keep;
	return 0;
}
