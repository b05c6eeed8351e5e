/*
 * mpop_state_fuzz: the state file of `mpop fetch' (journal of F and P
 * records) and the server listings it is compared with (UIDL, LIST).
 * Checks the parsers' promises, not only the absence of crashes: every
 * entry is findable, flags are consistent, unique-ids are valid, only a
 * torn first line stands for a missing magic line, the listing is sorted
 * without repeats.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
check_state(const struct state *st)
{
	size_t i, found = 0, pending = 0;

	for (i = 0; i < st->cap; i++) {
		const struct state_ent *e = &st->tab[i];

		if (e->uidl == NULL)
			continue;
		found++;
		if (!pop3_uidl_valid(e->uidl, strlen(e->uidl)))
			abort();
		if (state_find(st, e->uidl) != e)
			abort();
		if ((e->flags & ST_PENDING) != 0) {
			pending++;
			if (e->uniq == NULL || (e->flags & ST_FETCHED))
				abort();
		} else if (e->uniq != NULL)
			abort();
	}
	if (found != st->n || pending != st->npending)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	struct state st;
	struct listing l;
	char err[ERR_MAX];
	size_t i, half, ml;

	state_init(&st);
	if (state_parse(&st, p, n, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
	} else {
		check_state(&st);
		/* Without the magic line, only a torn first line parses: a
		   prefix of it, then NUL bytes, and nothing in it. */
		ml = strlen(STATE_MAGIC);
		if (n > 0 &&
		    (n <= ml || memcmp(p, STATE_MAGIC, ml) != 0 ||
			p[ml] != '\n')) {
			for (i = 0; i < n && i < ml && p[i] == STATE_MAGIC[i];
			     i++)
				;
			while (i < n && p[i] == '\0')
				i++;
			if (i != n || !st.torn || st.n != 0)
				abort();
		}
		if (state_resolve(&st, NULL, err, sizeof(err)) == -1 ||
		    st.npending != 0)
			abort();
		check_state(&st);
	}
	state_free(&st);

	/* A UIDL listing, then a LIST listing from the second half. */
	memset(&l, 0, sizeof(l));
	half = n / 2;
	if (listing_parse_uidl(&l, p, n, err, sizeof(err)) == 0) {
		for (i = 0; i < l.n; i++) {
			if (l.item[i].num == 0 || l.item[i].size != -1 ||
			    !pop3_uidl_valid(
				l.item[i].uidl, strlen(l.item[i].uidl)))
				abort();
			if (i > 0 && l.item[i - 1].num >= l.item[i].num)
				abort();
		}
		(void)listing_parse_sizes(
		    &l, p + half, n - half, err, sizeof(err));
		for (i = 0; i < l.n; i++)
			if (l.item[i].size < -1)
				abort();
	}
	listing_free(&l);
	return 0;
}
