/*
 * uidlist_fuzz: the Maildir UID list parser (mailbox_uidlist_parse).
 * Checks its promises, not only the absence of crashes: every entry
 * points inside the input, UIDs are in 1..UIDNEXT-1 and distinct, UNIQs
 * are valid and sorted without duplicates, and since the format is
 * strict, formatting what was parsed (in UID order) gives back the
 * input byte for byte.
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

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	struct mailbox_uident *e, *sorted;
	uint32_t v, next;
	struct buf b;
	size_t ne, i;

	if (mailbox_uidlist_parse(p, n, &v, &next, &e, &ne) != 0) {
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (e != NULL || ne != 0)
			abort();
		return 0;
	}
	if (v == 0 || next == 0 || ne > MAILBOX_MSGS_MAX ||
	    (ne > 0) != (e != NULL))
		abort();
	for (i = 0; i < ne; i++) {
		check_uniq(&e[i], p, n);
		if (e[i].uid == 0 || e[i].uid >= next)
			abort();
		if (i > 0 && by_uniq(&e[i - 1], &e[i]) >= 0)
			abort(); /* sorted, no duplicate UNIQ */
	}
	/* Back to file order: UIDs strictly ascending, and the text the
	 * same as the input. */
	sorted = NULL;
	if (ne > 0) {
		sorted = malloc(ne * sizeof(*sorted));
		if (sorted == NULL)
			abort();
		memcpy(sorted, e, ne * sizeof(*sorted));
		qsort(sorted, ne, sizeof(*sorted), by_uid);
		for (i = 1; i < ne; i++)
			if (sorted[i - 1].uid >= sorted[i].uid)
				abort();
	}
	buf_init(&b, 0);
	if (mailbox_uidlist_format(&b, v, next, sorted, ne) != 0)
		abort();
	if (b.len != n || memcmp(b.data, p, n) != 0)
		abort();
	buf_free(&b);
	free(sorted);
	free(e);
	return 0;
}
