/*
 * mailbox_store.c: the IMAP changes to messages that are already there:
 * STORE of flags and keywords with MODSEQs and UNCHANGEDSINCE (RFC 7162
 * §3.1.3), and EXPUNGE recorded in the UID list for QRESYNC.  Both run
 * under the list lock from the first file touched to the list written,
 * so no other session's sync sees half of one.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailbox_int.h"
#include "util.h"

static int
uidp_cmp(const void *x, const void *y)
{
	const struct mailbox_uident *a = *(struct mailbox_uident *const *)x;
	const struct mailbox_uident *b = *(struct mailbox_uident *const *)y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

/* The list's entries in UID order (pointers into l->u.ents). */
static struct mailbox_uident **
by_uid(struct mb_list *l)
{
	struct mailbox_uident **v;
	size_t i;

	if ((v = malloc((l->u.nents + 1) * sizeof(*v))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < l->u.nents; i++)
		v[i] = &l->u.ents[i];
	qsort(v, l->u.nents, sizeof(*v), uidp_cmp);
	return v;
}

static struct mailbox_uident *
find_uid(struct mailbox_uident **v, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid]->uid == uid)
			return v[mid];
		if (v[mid]->uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Find message i's file (relocating it when renamed): 0 and its flags
 * in msgs[i].flags, 1 when it is gone, -1 on trouble. */
static int
locate(struct mailbox *mb, size_t i, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	int tries;

	for (tries = 0;; tries++) {
		if (mailbox_path(mb, i, p, sizeof(p)) != 0)
			return mb_fail(err, errlen, mb->dir);
		if (lstat(p, &st) == 0)
			return 0;
		if (errno != ENOENT || tries == MB_RELOCATE_TRIES)
			return mb_fail(err, errlen, p);
		if (mb_relocate(mb, i, err, errlen) != 0)
			return errno == ENOENT ? 1 : -1;
	}
}

static uint64_t
apply(const struct mailbox_store *st, uint64_t cur)
{
	switch (st->op) {
	case MAILBOX_STORE_ADD: return cur | st->flags;
	case MAILBOX_STORE_REMOVE: return cur & ~st->flags;
	case MAILBOX_STORE_REPLACE: break;
	}
	return (cur & ~st->scope) | st->flags;
}

/* fsync new/ and/or cur/ as flagged in subs (bit 0 new/, bit 1 cur/). */
static int
sync_subs(struct mailbox *mb, int subs, char *err, size_t errlen)
{
	char p[PATH_MAX];
	int sub;

	for (sub = MAILBOX_NEW; sub <= MAILBOX_CUR; sub++) {
		if (!(subs & (1 << sub)))
			continue;
		if (mb_pathf(p, sizeof(p), mb->dir, mb_subname[sub], NULL) !=
			0 ||
		    util_fsync_dir(p) != 0)
			return mb_fail(err, errlen, p);
	}
	return 0;
}

int
mailbox_store(struct mailbox *mb, const size_t *idx, size_t n,
    const struct mailbox_store *st, unsigned char *result, uint64_t *modseq,
    char *err, size_t errlen)
{
	struct mailbox_uident **byu = NULL, *le;
	struct mb_list l;
	char fl[MAILBOX_LETTERS_MAX];
	uint64_t m, cur, want;
	size_t k, i;
	int lfd = -1, rc = -1, saved, listed = 0, subs = 0, outsider, r;

	*modseq = 0;
	for (k = 0; k < n; k++)
		if (idx[k] >= mb->n) {
			errno = EINVAL;
			return mb_fail(err, errlen, mb->dir);
		}
	if ((st->flags & ~MAILBOX_FLAGS_ALL) != 0) {
		errno = EINVAL;
		return mb_fail(err, errlen, mb->dir);
	}
	if (mb_list_begin(mb->dir, mb->uidvalidity, &l, &lfd, err, errlen) != 0)
		return -1;
	if (l.u.highestmodseq >= (uint64_t)MODSEQ_MAX) {
		errno = EOVERFLOW;
		(void)mb_fail(err, errlen, mb->dir);
		goto out;
	}
	m = l.u.highestmodseq + 1;
	if ((byu = by_uid(&l)) == NULL) {
		(void)mb_fail(err, errlen, mb->dir);
		goto out;
	}
	for (k = 0; k < n; k++) {
		i = idx[k];
		result[k] = MAILBOX_STORE_GONE;
		if (mb->msgs[i].expunged)
			continue;
		le = find_uid(byu, l.u.nents, mb->msgs[i].uid);
		if (le == NULL)
			continue; /* expunged by another session */
		if ((r = locate(mb, i, err, errlen)) < 0)
			goto out;
		if (r > 0)
			continue;
		cur = mb->msgs[i].flags;
		/* Renamed by anyone since the list last saw it: a change
		   newer than any MODSEQ a client holds. */
		outsider = le->flags != cur;
		if (outsider) {
			le->flags = cur;
			le->modseq = m;
			listed = 1;
			/* The client has not been told: report it. */
			mb->msgs[i].changed = 1;
			mb->msgs[i].modseq = m;
		}
		if (st->conditional && le->modseq > st->unchangedsince) {
			result[k] = MAILBOX_STORE_MODIFIED;
			continue;
		}
		want = apply(st, cur);
		if (want == cur) {
			result[k] = MAILBOX_STORE_SAME;
			mb->msgs[i].modseq = le->modseq;
			continue;
		}
		if (mb->msgs[i].sub == MAILBOX_NEW)
			subs |= 1 << MAILBOX_NEW;
		(void)mailbox_flags_letters(want, fl);
		if (mailbox_set_flags(mb, i, fl, err, errlen) != 0) {
			if (errno != ENOENT)
				goto out;
			continue; /* gone in between */
		}
		subs |= 1 << MAILBOX_CUR;
		le->flags = mb->msgs[i].flags;
		le->modseq = m;
		mb->msgs[i].modseq = m;
		result[k] = MAILBOX_STORED;
		listed = 1;
	}
	/* The renames on disk before the MODSEQ that reports them. */
	if (subs != 0 && sync_subs(mb, subs, err, errlen) != 0)
		goto out;
	if (listed) {
		l.u.highestmodseq = m;
		if (mb_list_write(mb->dir, &l.u, err, errlen) != 0)
			goto out;
		*modseq = m;
		mb->modseq = m;
		if (mb->nexpunged == 0)
			mb->highestmodseq = m;
	}
	rc = 0;
out:
	saved = errno;
	(void)close(lfd);
	free(byu);
	mb_list_free(&l);
	errno = saved;
	return rc;
}

static int
u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

int
mailbox_remove(struct mailbox *mb, const size_t *idx, size_t n,
    uint64_t *modseq, char *err, size_t errlen)
{
	struct mailbox_uident **byu = NULL;
	struct mb_list l;
	uint32_t *gone = NULL;
	size_t k, i, o, ng = 0;
	int lfd = -1, rc = -1, saved, xrc, first = 0;
	char why[ERR_MAX];

	*modseq = 0;
	why[0] = '\0';
	if (mb_list_begin(mb->dir, mb->uidvalidity, &l, &lfd, err, errlen) != 0)
		return -1;
	/* The unlinks, durable; a failure is kept for the end. */
	xrc = mailbox_expunge(mb, idx, n, why, sizeof(why));
	if (xrc != 0)
		first = errno;
	if ((gone = malloc((n + 1) * sizeof(*gone))) == NULL ||
	    (byu = by_uid(&l)) == NULL) {
		(void)mb_fail(err, errlen, mb->dir);
		goto out;
	}
	for (k = 0; k < n; k++) {
		i = idx[k];
		if (i >= mb->n || !mb->msgs[i].gone)
			continue;
		if (!mb->msgs[i].expunged) {
			mb->msgs[i].expunged = 1;
			mb->nexpunged++;
		}
		/* Not in the list: another session recorded it already. */
		if (find_uid(byu, l.u.nents, mb->msgs[i].uid) != NULL)
			gone[ng++] = mb->msgs[i].uid;
	}
	if (ng > 0) {
		qsort(gone, ng, sizeof(*gone), u32_cmp);
		for (k = 1, o = 1; k < ng; k++)
			if (gone[k] != gone[o - 1])
				gone[o++] = gone[k];
		ng = o;
		if (l.u.highestmodseq >= (uint64_t)MODSEQ_MAX) {
			errno = EOVERFLOW;
			(void)mb_fail(err, errlen, mb->dir);
			goto out;
		}
		for (k = 0, o = 0; k < l.u.nents; k++)
			if (bsearch(&l.u.ents[k].uid, gone, ng, sizeof(*gone),
				u32_cmp) == NULL)
				l.u.ents[o++] = l.u.ents[k];
		l.u.nents = o;
		l.u.highestmodseq++;
		if (mailbox_uidlist_add_expunged(
			&l.u, gone, ng, l.u.highestmodseq) != 0) {
			(void)mb_fail(err, errlen, mb->dir);
			goto out;
		}
		if (mb_list_write(mb->dir, &l.u, err, errlen) != 0)
			goto out;
		*modseq = mb->modseq = l.u.highestmodseq;
	}
	if (xrc != 0) {
		if (err != NULL && errlen > 0)
			util_strlcpy(err, why, errlen);
		errno = first;
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	(void)close(lfd);
	free(byu);
	free(gone);
	mb_list_free(&l);
	errno = saved;
	return rc;
}
