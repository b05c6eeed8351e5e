/*
 * imap_seq.c: IMAP sequence sets (RFC 3501 §9, RFC 9051 §9):
 *
 *   sequence-set = (seq-number / seq-range) ["," sequence-set]
 *   seq-range    = seq-number ":" seq-number
 *   seq-number   = nz-number / "*"
 *   sequence-set =/ "$"                       (RFC 5182 §2.1)
 *
 * kept as sorted, merged ranges, so that membership is a binary search
 * and a set written back is as short as it can be.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

/* Room for n ranges.  0 or -1 (ENOMEM, EMSGSIZE). */
static int
reserve(struct imap_seqset *set, size_t n)
{
	struct imap_range *r;
	size_t cap;

	if (n <= set->cap)
		return 0;
	if (n > IMAP_SEQSET_RANGES_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	cap = set->cap < 8 ? 8 : set->cap;
	while (cap < n)
		cap *= 2;
	if (cap > IMAP_SEQSET_RANGES_MAX)
		cap = IMAP_SEQSET_RANGES_MAX;
	if ((r = realloc(set->r, cap * sizeof(*r))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	set->r = r;
	set->cap = cap;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort the ranges and merge those that overlap or touch. */
static void
normalize(struct imap_seqset *set)
{
	size_t i, j = 0;

	if (set->n < 2)
		return;
	qsort(set->r, set->n, sizeof(set->r[0]), range_cmp);
	for (i = 1; i < set->n; i++) {
		struct imap_range *last = &set->r[j];

		/* hi + 1 may wrap at UINT32_MAX: compare without it. */
		if (set->r[i].lo <= last->hi || set->r[i].lo - last->hi == 1) {
			if (set->r[i].hi > last->hi)
				last->hi = set->r[i].hi;
		} else
			set->r[++j] = set->r[i];
	}
	set->n = j + 1;
}

int
imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	struct imap_range *last;

	if (lo > hi) {
		uint32_t t = lo;

		lo = hi;
		hi = t;
	}
	/* In order, as a builder adds: extend or append in place. */
	last = set->n > 0 ? &set->r[set->n - 1] : NULL;
	if (last != NULL && lo >= last->lo &&
	    (lo <= last->hi || lo - last->hi == 1)) {
		if (hi > last->hi)
			last->hi = hi;
		return 0;
	}
	if (reserve(set, set->n + 1) == -1)
		return -1;
	set->r[set->n].lo = lo;
	set->r[set->n].hi = hi;
	set->n++;
	if (last != NULL && lo < last->lo)
		normalize(set);
	return 0;
}

/* A seq-number at s[0..len): "*" (*star set, *v max) or an nz-number. */
static int
seq_number(const char *s, size_t len, uint32_t max, uint32_t *v, int *star)
{
	uint64_t n;

	*star = 0;
	if (len == 1 && s[0] == '*') {
		*star = 1;
		*v = max;
		return 0;
	}
	if (imap_parse_number(s, len, UINT32_MAX, &n) == -1 || n == 0)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int
imap_seqset_parse(
    const char *s, size_t len, uint32_t max, struct imap_seqset *set)
{
	size_t i, j, k, parts = 1;
	uint32_t a, b;
	int sa, sb;

	set->n = 0;
	set->last = set->star = 0;
	set->highest = 0;
	if (len == 1 && s[0] == '$') {
		set->last = 1;
		return 0;
	}
	if (len == 0)
		goto bad;
	for (i = 0; i < len; i++)
		if (s[i] == ',')
			parts++;
	if (parts > IMAP_SEQSET_RANGES_MAX) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (reserve(set, parts) == -1)
		goto fail;
	for (i = 0; i <= len; i = j + 1) {
		/* One part: s[i..j), its ":" at k (or j). */
		for (j = i; j < len && s[j] != ','; j++)
			;
		for (k = i; k < j && s[k] != ':'; k++)
			;
		if (seq_number(s + i, k - i, max, &a, &sa) == -1)
			goto bad;
		if (k == j) {
			b = a;
			sb = sa;
		} else if (seq_number(s + k + 1, j - k - 1, max, &b, &sb) == -1)
			goto bad;
		if (!sa && a > set->highest)
			set->highest = a;
		if (!sb && b > set->highest)
			set->highest = b;
		if (sa || sb) {
			set->star = 1;
			/* No last message in an empty mailbox. */
			if (max == 0)
				continue;
		}
		set->r[set->n].lo = a < b ? a : b;
		set->r[set->n].hi = a < b ? b : a;
		set->n++;
	}
	normalize(set);
	return 0;
bad:
	errno = EINVAL;
fail:
	set->n = 0;
	set->last = set->star = 0;
	set->highest = 0;
	return -1;
}

int
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n < set->r[mid].lo)
			hi = mid;
		else if (n > set->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

uint64_t
imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t c = 0;
	size_t i;

	for (i = 0; i < set->n; i++)
		c += (uint64_t)set->r[i].hi - set->r[i].lo + 1;
	return c;
}

int
imap_seqset_format(const struct imap_seqset *set, struct buf *out)
{
	size_t start = out->len, i;
	int rc = 0;

	if (set->last)
		return buf_putc(out, '$');
	for (i = 0; i < set->n && rc == 0; i++) {
		const struct imap_range *r = &set->r[i];

		if (r->lo == r->hi)
			rc = buf_printf(
			    out, "%s%u", i > 0 ? "," : "", (unsigned)r->lo);
		else
			rc = buf_printf(out, "%s%u:%u", i > 0 ? "," : "",
			    (unsigned)r->lo, (unsigned)r->hi);
	}
	if (rc != 0)
		buf_truncate(out, start);
	return rc;
}
