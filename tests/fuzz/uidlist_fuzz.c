/*
 * uidlist_fuzz: the Maildir UID list parser (mailbox_uidlist_parse) and
 * the salvage of a corrupt list (mailbox_uidlist_salvage).  Checks their
 * promises, not only the absence of crashes: every entry points inside
 * the input, UIDs are in 1..UIDNEXT-1 and distinct, UNIQs are valid and
 * sorted without duplicates; since the format is strict, formatting what
 * was parsed (in UID order) gives back the input byte for byte; the
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

/* The entries' promises; returns them in UID order (malloc'ed). */
static struct mailbox_uident *
check_ents(const struct mailbox_uident *e, size_t ne, uint32_t v, uint32_t next,
    const char *p, size_t n)
{
	struct mailbox_uident *sorted;
	size_t i;

	if (v == 0 || next == 0 || ne > MAILBOX_MSGS_MAX ||
	    (ne > 0) != (e != NULL))
		abort();
	for (i = 0; i < ne; i++) {
		check_uniq(&e[i], p, n);
		if (e[i].uid == 0 || e[i].uid >= next || e[i].size < -1)
			abort();
		if (i > 0 && by_uniq(&e[i - 1], &e[i]) >= 0)
			abort(); /* sorted, no duplicate UNIQ */
	}
	if ((sorted = malloc(ne > 0 ? ne * sizeof(*sorted) : 1)) == NULL)
		abort();
	if (ne > 0)
		memcpy(sorted, e, ne * sizeof(*sorted));
	qsort(sorted, ne, sizeof(*sorted), by_uid);
	for (i = 1; i < ne; i++)
		if (sorted[i - 1].uid >= sorted[i].uid)
			abort();
	return sorted;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	struct mailbox_uident *e, *sorted, *s, *e2;
	uint32_t v, next, sv, snext, v2, next2;
	struct buf b;
	size_t ne, ns, lost, ne2, i;
	int prc, src;

	prc = mailbox_uidlist_parse(p, n, &v, &next, &e, &ne);
	if (prc != 0) {
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (e != NULL || ne != 0)
			abort();
	}
	src = mailbox_uidlist_salvage(p, n, &sv, &snext, &s, &ns, &lost);
	if (src != 0) {
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (s != NULL || ns != 0 || (errno == EINVAL && sv != 0))
			abort();
		if (prc == 0 && errno == EINVAL)
			abort(); /* the parse took a header the salvage lost */
	}
	if (prc == 0) {
		/* Valid: format gives back the input, byte for byte. */
		sorted = check_ents(e, ne, v, next, p, n);
		buf_init(&b, 0);
		if (mailbox_uidlist_format(&b, v, next, sorted, ne) != 0)
			abort();
		if (b.len != n || memcmp(b.data, p, n) != 0)
			abort();
		buf_free(&b);
		free(sorted);
		/* The salvage keeps it all. */
		if (src == 0 &&
		    (sv != v || snext != next || ns != ne || lost != 0))
			abort();
		for (i = 0; src == 0 && i < ns; i++)
			if (s[i].uniq != e[i].uniq || s[i].uid != e[i].uid ||
			    s[i].size != e[i].size)
				abort();
		free(e);
	}
	if (src == 0) {
		/* What the salvage keeps is a valid list with no UID at or
		 * above a UIDNEXT no lower than the header's. */
		sorted = check_ents(s, ns, sv, snext, p, n);
		buf_init(&b, 0);
		if (mailbox_uidlist_format(&b, sv, snext, sorted, ns) != 0)
			abort();
		if (mailbox_uidlist_parse(
			b.data, b.len, &v2, &next2, &e2, &ne2) != 0) {
			if (errno != ENOMEM)
				abort();
		} else {
			if (v2 != sv || next2 != snext || ne2 != ns)
				abort();
			free(e2);
		}
		buf_free(&b);
		free(sorted);
		free(s);
	}
	return 0;
}
