/*
 * uidlist_fuzz: the Maildir UID list parser (mailbox_uidlist_parse), the
 * salvage of a corrupt list (mailbox_uidlist_salvage) and the formatter,
 * for version 1 lists and version 2 lists with MODSEQs, flags and
 * expunge records.  Checks their promises, not only the absence of
 * crashes: every entry points inside the input, UIDs are in
 * 1..UIDNEXT-1 and distinct, UNIQs are valid and sorted without
 * duplicates, MODSEQs lie in 1..HIGHESTMODSEQ and records in
 * (FLOOR, HIGHESTMODSEQ] without touching a message's UID; since the
 * format is strict, formatting a parsed version 2 list (in UID order)
 * gives back the input byte for byte, and a version 1 list upgraded the
 * way an open upgrades it formats into a list that parses back; the
 * salvage agrees with the parse on a valid list, and what it keeps
 * always formats into a list the strict parse accepts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
by_uid(const void *x, const void *y)
{
	const struct mailbox_uident *a = x, *b = y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static int
by_uniq(const struct mailbox_uident *a, const struct mailbox_uident *b)
{
	size_t m = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->uniq, b->uniq, m);

	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static void
check_uniq(const struct mailbox_uident *e, const char *p, size_t n)
{
	size_t i;

	if (e->uniq < p || e->len == 0 || e->len > MAILDIR_NAME_MAX ||
	    (size_t)(e->uniq - p) + e->len > n)
		abort();
	if (e->uniq[0] == '.')
		abort();
	for (i = 0; i < e->len; i++) {
		unsigned char c = (unsigned char)e->uniq[i];

		if (c <= ' ' || c == 0x7f || c == ',' || c == ':' || c == '/')
			abort();
	}
}

/* The list's promises; returns its entries in UID order (malloc'ed). */
static struct mailbox_uident *
check_list(const struct mailbox_uidlist *l, const char *p, size_t n)
{
	struct mailbox_uident *sorted;
	const struct mailbox_uident *e = l->ents;
	size_t i;

	if (l->uidvalidity == 0 || l->uidnext == 0 ||
	    l->nents > MAILBOX_MSGS_MAX || (l->nents > 0) != (e != NULL) ||
	    l->nexp > UIDLIST_EXPUNGED_MAX || (l->nexp > 0) != (l->exp != NULL))
		abort();
	if (l->version != 1 && l->version != 2)
		abort();
	if (l->version == 2 &&
	    (l->highestmodseq == 0 || l->highestmodseq > (uint64_t)MODSEQ_MAX))
		abort();
	if (l->floor > l->highestmodseq || (l->version == 1 && l->nexp > 0))
		abort();
	for (i = 0; i < l->nents; i++) {
		check_uniq(&e[i], p, n);
		if (e[i].uid == 0 || e[i].uid >= l->uidnext || e[i].size < -1)
			abort();
		if (e[i].modseq > l->highestmodseq ||
		    (l->version == 2) != (e[i].modseq != 0) ||
		    (e[i].flags & ~MAILBOX_FLAGS_ALL) != 0)
			abort();
		if (i > 0 && by_uniq(&e[i - 1], &e[i]) >= 0)
			abort(); /* sorted, no duplicate UNIQ */
	}
	for (i = 0; i < l->nexp; i++) {
		const struct mailbox_expunged *x = &l->exp[i];

		if (x->modseq <= l->floor || x->modseq > l->highestmodseq ||
		    x->lo == 0 || x->lo > x->hi || x->hi >= l->uidnext)
			abort();
		if (i > 0 && x->modseq < x[-1].modseq)
			abort();
	}
	if ((sorted = malloc(l->nents > 0 ? l->nents * sizeof(*sorted) : 1)) ==
	    NULL)
		abort();
	if (l->nents > 0)
		memcpy(sorted, e, l->nents * sizeof(*sorted));
	qsort(sorted, l->nents, sizeof(*sorted), by_uid);
	for (i = 1; i < l->nents; i++)
		if (sorted[i - 1].uid >= sorted[i].uid)
			abort();
	return sorted;
}

/* What an open does to a version 1 list: MODSEQ 1 for all, FLOOR 1. */
static void
upgrade(struct mailbox_uidlist *l, struct mailbox_uident *sorted)
{
	size_t i;

	if (l->version == 2)
		return;
	l->highestmodseq = 1;
	l->floor = 1;
	for (i = 0; i < l->nents; i++)
		sorted[i].modseq = 1;
}

/* Format l (entries as sorted), parse the text back: it must parse,
 * with the same header and counts.  Returns the text for the caller to
 * compare (free it with buf_free). */
static void
round_trip(
    struct mailbox_uidlist *l, struct mailbox_uident *sorted, struct buf *b)
{
	struct mailbox_uidlist in = *l, back;

	in.ents = sorted;
	buf_init(b, 0);
	if (mailbox_uidlist_format(b, &in) != 0)
		abort();
	if (mailbox_uidlist_parse(b->data, b->len, &back) != 0) {
		if (errno != ENOMEM)
			abort();
		return;
	}
	if (back.version != 2 || back.uidvalidity != in.uidvalidity ||
	    back.uidnext != in.uidnext ||
	    back.highestmodseq != in.highestmodseq || back.floor != in.floor ||
	    back.nents != in.nents || back.nexp != in.nexp)
		abort();
	mailbox_uidlist_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	struct mailbox_uidlist pl, sl;
	struct mailbox_uident *sorted;
	struct buf b;
	size_t i;
	int prc, src, perr = 0;

	prc = mailbox_uidlist_parse(p, n, &pl);
	if (prc != 0) {
		perr = errno;
		if (perr != EINVAL && perr != ENOMEM)
			abort();
		if (pl.ents != NULL || pl.nents != 0 || pl.exp != NULL ||
		    pl.nexp != 0)
			abort();
	}
	src = mailbox_uidlist_salvage(p, n, &sl);
	if (src != 0) {
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (sl.ents != NULL || sl.nents != 0 || sl.exp != NULL ||
		    (errno == EINVAL && sl.uidvalidity != 0))
			abort();
		if (prc == 0 && errno == EINVAL)
			abort(); /* the parse took a header the salvage lost */
	}
	if (prc == 0) {
		sorted = check_list(&pl, p, n);
		if (pl.version == 2) {
			/* Valid: format gives back the input, byte for
			   byte. */
			round_trip(&pl, sorted, &b);
			if (b.len != n || memcmp(b.data, p, n) != 0)
				abort();
		} else {
			upgrade(&pl, sorted);
			round_trip(&pl, sorted, &b);
		}
		buf_free(&b);
		free(sorted);
		/* The salvage keeps it all. */
		if (src == 0) {
			if (sl.uidvalidity != pl.uidvalidity ||
			    sl.uidnext != pl.uidnext || sl.nents != pl.nents ||
			    sl.nexp != pl.nexp || sl.lost != 0 ||
			    sl.floor != (pl.version == 2 ? pl.floor : 0))
				abort();
			for (i = 0; i < sl.nents; i++)
				if (sl.ents[i].uniq != pl.ents[i].uniq ||
				    sl.ents[i].uid != pl.ents[i].uid ||
				    sl.ents[i].size != pl.ents[i].size ||
				    sl.ents[i].modseq != pl.ents[i].modseq ||
				    sl.ents[i].flags != pl.ents[i].flags)
					abort();
			for (i = 0; i < sl.nexp; i++)
				if (memcmp(&sl.exp[i], &pl.exp[i],
					sizeof(sl.exp[i])) != 0)
					abort();
		}
		mailbox_uidlist_free(&pl);
	}
	if (src == 0) {
		/* What the salvage keeps is a valid list with no UID at or
		 * above a UIDNEXT no lower than the header's. */
		sorted = check_list(&sl, p, n);
		if (sl.lost > 0 &&
		    (sl.nexp != 0 || sl.floor != sl.highestmodseq))
			abort(); /* a repaired list forgets its records */
		upgrade(&sl, sorted);
		round_trip(&sl, sorted, &b);
		buf_free(&b);
		free(sorted);
		mailbox_uidlist_free(&sl);
	}
	return 0;
}
