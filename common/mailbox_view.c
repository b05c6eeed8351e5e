/*
 * mailbox_view.c: an IMAP session's view of a mailbox between its
 * command boundaries: the cheap check for changes (stamps), the sync
 * that folds another scan into the view without renumbering what the
 * client knows, reporting expunges, and the UIDs expunged since a
 * MODSEQ for QRESYNC.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailbox_int.h"
#include "util.h"

/* ---------------------------------------------------------------- */
/* Stamps. */

static void
take_stamp(const char *dir, struct mailbox_stamp *st)
{
	static const char *const what[3] = {"new", "cur", MAILBOX_UIDLIST};
	char p[PATH_MAX];
	struct stat sb;
	struct timespec now;
	int64_t age_ms;
	int k;

	memset(st, 0, sizeof(*st));
	st->ok = 1;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	for (k = 0; k < 3; k++) {
		if (mb_pathf(p, sizeof(p), dir, what[k], NULL) != 0 ||
		    stat(p, &sb) != 0) {
			st->ino[k] = -1;
			continue;
		}
		st->sec[k] = (long long)sb.st_mtim.tv_sec;
		st->nsec[k] = (long long)sb.st_mtim.tv_nsec;
		st->csec[k] = (long long)sb.st_ctim.tv_sec;
		st->cnsec[k] = (long long)sb.st_ctim.tv_nsec;
		st->ino[k] = (long long)sb.st_ino;
		st->size[k] = (long long)sb.st_size;
		/* A change within the same clock tick as a later one would
		   leave the same stamp: only old stamps are trusted.  Every
		   change of a directory's entries (and a new list) sets
		   its mtime, so the mtime says how old the stamp is.  Times
		   with a fraction of a second come from a filesystem whose
		   grain is the kernel's tick: MAILBOX_STAMP_SLACK_MS is
		   old enough then (a whole second may be a coarse
		   filesystem's, or chance: the slack in seconds). */
		if (st->nsec[k] != 0 && st->cnsec[k] != 0) {
			age_ms = ((int64_t)now.tv_sec - st->sec[k]) * 1000 +
			    ((int64_t)now.tv_nsec - st->nsec[k]) / 1000000;
			if (age_ms < MAILBOX_STAMP_SLACK_MS)
				st->ok = 0;
		} else if (st->sec[k] >=
		    (long long)now.tv_sec - MAILBOX_STAMP_SLACK)
			st->ok = 0;
	}
}

void
mb_stamp(struct mailbox *mb)
{
	take_stamp(mb->dir, &mb->stamp);
}

static int
stamp_same(const struct mailbox_stamp *a, const struct mailbox_stamp *b)
{
	int k;

	for (k = 0; k < 3; k++)
		if (a->sec[k] != b->sec[k] || a->nsec[k] != b->nsec[k] ||
		    a->csec[k] != b->csec[k] || a->cnsec[k] != b->cnsec[k] ||
		    a->ino[k] != b->ino[k] || a->size[k] != b->size[k])
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- */
/* Sync. */

struct uniqref {
	const char *p;
	size_t len;
	size_t idx;
};

static int
uniqref_cmp(const void *x, const void *y)
{
	const struct uniqref *a = x, *b = y;

	return mb_ucmp(a->p, a->len, b->p, b->len);
}

/* mb->byuniq for mb->msgs anew. */
static int
index_uniq(struct mailbox *mb)
{
	struct uniqref *r;
	const char *name;
	size_t i;

	free(mb->byuniq);
	mb->byuniq = NULL;
	if (mb->n == 0)
		return 0;
	r = calloc(mb->n, sizeof(*r));
	mb->byuniq = calloc(mb->n, sizeof(*mb->byuniq));
	if (r == NULL || mb->byuniq == NULL) {
		free(r);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < mb->n; i++) {
		name = mailbox_name(mb, i);
		r[i].p = name;
		r[i].len = mb_uniq_len(name);
		r[i].idx = i;
	}
	qsort(r, mb->n, sizeof(*r), uniqref_cmp);
	for (i = 0; i < mb->n; i++)
		mb->byuniq[i] = r[i].idx;
	free(r);
	return 0;
}

/* Append message m named name to the new view (v, pool). */
static int
put_msg(struct mailbox_msg *v, size_t *n, struct buf *pool,
    const struct mailbox_msg *m, const char *name)
{
	if (pool->len >= MAILBOX_NAMES_MAX) {
		errno = EFBIG;
		return -1;
	}
	v[*n] = *m;
	v[*n].name_off = (uint32_t)pool->len;
	if (buf_append(pool, name, strlen(name) + 1) != 0)
		return -1;
	(*n)++;
	return 0;
}

/*
 * Fold fresh (a new open of the same Maildir) into the view mb: both
 * are in UID order.  Messages only in mb were expunged; messages only
 * in fresh with UIDs above the view's arrived; common ones take
 * fresh's name, flags and MODSEQ.
 */
static int
fold(struct mailbox *mb, struct mailbox *fresh, struct mailbox_sync_info *in)
{
	struct mailbox_msg *v, m;
	struct buf pool;
	uint32_t top = mb->n > 0 ? mb->msgs[mb->n - 1].uid : 0;
	size_t i = 0, j = 0, n = 0;
	int saved;

	v = calloc(mb->n + fresh->n + 1, sizeof(*v));
	if (v == NULL) {
		errno = ENOMEM;
		return -1;
	}
	buf_init(&pool, mb->names.max);
	while (i < mb->n || j < fresh->n) {
		if (j == fresh->n ||
		    (i < mb->n && mb->msgs[i].uid < fresh->msgs[j].uid)) {
			m = mb->msgs[i];
			if (!m.expunged) {
				m.expunged = 1;
				mb->nexpunged++;
				in->expunged++;
			}
			if (put_msg(v, &n, &pool, &m, mailbox_name(mb, i)) != 0)
				goto fail;
			i++;
		} else if (i == mb->n || fresh->msgs[j].uid < mb->msgs[i].uid) {
			/*
			 * Only UIDs above the view's can be new; a lower
			 * one cannot be shown without renumbering what the
			 * client knows (it cannot happen: UIDs only grow).
			 */
			if (fresh->msgs[j].uid > top) {
				m = fresh->msgs[j];
				m.changed = 0;
				m.expunged = 0;
				if (m.recent)
					mb->nrecent++;
				if (put_msg(v, &n, &pool, &m,
					mailbox_name(fresh, j)) != 0)
					goto fail;
				in->added++;
			}
			j++;
		} else {
			m = fresh->msgs[j];
			m.recent = mb->msgs[i].recent;
			m.expunged = mb->msgs[i].expunged;
			m.changed = mb->msgs[i].changed;
			m.learned = mb->msgs[i].learned;
			if (m.size < 0 || m.learned)
				m.size = mb->msgs[i].size;
			if (m.disk < 0)
				m.disk = mb->msgs[i].disk;
			if (!m.changed &&
			    (m.flags != mb->msgs[i].flags ||
				m.modseq != mb->msgs[i].modseq)) {
				m.changed = 1;
				in->changed++;
			}
			if (put_msg(v, &n, &pool, &m, mailbox_name(fresh, j)) !=
			    0)
				goto fail;
			i++;
			j++;
		}
	}
	free(mb->msgs);
	buf_free(&mb->names);
	mb->msgs = v;
	mb->names = pool;
	mb->n = n;
	return index_uniq(mb);
fail:
	saved = errno;
	free(v);
	buf_free(&pool);
	errno = saved;
	return -1;
}

int
mailbox_sync(struct mailbox *mb, struct mailbox_sync_info *info, char *err,
    size_t errlen)
{
	struct mailbox_sync_info dummy;
	struct mailbox_stamp now;
	struct mailbox fresh;
	int rc;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	take_stamp(mb->dir, &now);
	if (mb->stamp.ok && stamp_same(&mb->stamp, &now))
		return 0;
	info->scanned = 1;
	if (mailbox_open(&fresh, mb->dir, mb->select ? MAILBOX_SELECT : 0, err,
		errlen) != 0)
		return -1;
	if (fresh.uidvalidity != mb->uidvalidity) {
		util_seterr(err, errlen, "%s/%s: UIDVALIDITY changed (%lu)",
		    mb->dir, MAILBOX_UIDLIST, (unsigned long)fresh.uidvalidity);
		mailbox_close(&fresh);
		errno = ESTALE;
		return -1;
	}
	rc = fold(mb, &fresh, info);
	if (rc == 0) {
		mb->stamp = fresh.stamp;
		mb->uidnext = fresh.uidnext;
		mb->modseq = fresh.modseq;
		/* RFC 7162 §3.2.10: a client told a HIGHESTMODSEQ takes
		   every expunge up to it as reported; hold it back while
		   some wait. */
		if (mb->nexpunged == 0)
			mb->highestmodseq = mb->modseq;
	} else
		(void)mb_fail(err, errlen, mb->dir);
	mailbox_close(&fresh);
	return rc;
}

size_t
mailbox_take_expunged(struct mailbox *mb, uint32_t *seqs, uint32_t *uids)
{
	size_t i, o = 0, k = 0, total = mb->nexpunged;

	if (total == 0)
		return 0;
	for (i = 0; i < mb->n; i++) {
		if (!mb->msgs[i].expunged) {
			mb->msgs[o++] = mb->msgs[i];
			continue;
		}
		if (seqs != NULL)
			seqs[total - 1 - k] = (uint32_t)(i + 1);
		if (uids != NULL)
			uids[k] = mb->msgs[i].uid;
		if (mb->msgs[i].recent)
			mb->nrecent--;
		k++;
	}
	mb->n = o;
	mb->nexpunged = 0;
	mb->highestmodseq = mb->modseq;
	if (index_uniq(mb) != 0) {
		/* Only the search for renamed files needs the index; it
		   is rebuilt by the next sync. */
		free(mb->byuniq);
		mb->byuniq = NULL;
	}
	return k;
}

/* ---------------------------------------------------------------- */
/* VANISHED (EARLIER). */

struct ranges {
	struct mailbox_range *v;
	size_t n, cap;
};

static int
range_cmp(const void *x, const void *y)
{
	const struct mailbox_range *a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

/* Add lo..hi at the end (ascending input), joining a touching run. */
static int
push_range(struct ranges *r, uint32_t lo, uint32_t hi)
{
	struct mailbox_range *nv;
	size_t cap;

	if (r->n > 0 && (uint64_t)r->v[r->n - 1].hi + 1 >= lo) {
		if (hi > r->v[r->n - 1].hi)
			r->v[r->n - 1].hi = hi;
		return 0;
	}
	if (r->n == r->cap) {
		cap = r->cap == 0 ? 16 : r->cap * 2;
		if ((nv = realloc(r->v, cap * sizeof(*nv))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->n].lo = lo;
	r->v[r->n].hi = hi;
	r->n++;
	return 0;
}

/* Sort and join v[0..n) into r. */
static int
normalise(struct mailbox_range *v, size_t n, struct ranges *r)
{
	size_t i;

	qsort(v, n, sizeof(*v), range_cmp);
	for (i = 0; i < n; i++)
		if (v[i].lo <= v[i].hi && push_range(r, v[i].lo, v[i].hi) != 0)
			return -1;
	return 0;
}

/* a ∩ b (both normalised) into out. */
static int
intersect(const struct ranges *a, const struct ranges *b, struct ranges *out)
{
	size_t i = 0, j = 0;
	uint32_t lo, hi;

	while (i < a->n && j < b->n) {
		lo = a->v[i].lo > b->v[j].lo ? a->v[i].lo : b->v[j].lo;
		hi = a->v[i].hi < b->v[j].hi ? a->v[i].hi : b->v[j].hi;
		if (lo <= hi && push_range(out, lo, hi) != 0)
			return -1;
		if (a->v[i].hi < b->v[j].hi)
			i++;
		else
			j++;
	}
	return 0;
}

static int
u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* a minus the UIDs in p[0..np) (ascending) into out. */
static int
subtract(
    const struct ranges *a, const uint32_t *p, size_t np, struct ranges *out)
{
	size_t i, j = 0;
	uint32_t lo;

	for (i = 0; i < a->n; i++) {
		lo = a->v[i].lo;
		while (j < np && p[j] < lo)
			j++;
		while (j < np && p[j] <= a->v[i].hi) {
			if (p[j] > lo && push_range(out, lo, p[j] - 1) != 0)
				return -1;
			if (p[j] == a->v[i].hi)
				goto next;
			lo = p[j] + 1;
			j++;
		}
		if (push_range(out, lo, a->v[i].hi) != 0)
			return -1;
	next:;
	}
	return 0;
}

int
mailbox_vanished(struct mailbox *mb, uint64_t since,
    const struct mailbox_range *set, size_t nset, struct mailbox_range **out,
    size_t *nout, char *err, size_t errlen)
{
	struct ranges s = {NULL, 0, 0}, cand = {NULL, 0, 0}, cut = {NULL, 0, 0};
	struct ranges res = {NULL, 0, 0};
	struct mailbox_range *tmp = NULL, all;
	struct mb_list l;
	uint32_t *present = NULL;
	size_t i, np = 0;
	int exact, rc = -1, saved;

	*out = NULL;
	*nout = 0;
	memset(&l, 0, sizeof(l));
	if (mb_list_read(mb->dir, &l, err, errlen) != 0)
		return -1;
	exact = l.state == MB_LIST_OK && l.u.version == 2 &&
	    l.u.uidvalidity == mb->uidvalidity && since >= l.u.floor;
	/* The set, sorted and joined. */
	if ((tmp = malloc((nset + 1) * sizeof(*tmp))) == NULL)
		goto nomem;
	if (nset > 0)
		memcpy(tmp, set, nset * sizeof(*tmp));
	if (normalise(tmp, nset, &s) != 0)
		goto nomem;
	free(tmp);
	tmp = NULL;
	if (exact) {
		/* What the records say, above since. */
		if ((tmp = malloc((l.u.nexp + 1) * sizeof(*tmp))) == NULL)
			goto nomem;
		for (i = 0, np = 0; i < l.u.nexp; i++)
			if (l.u.exp[i].modseq > since) {
				tmp[np].lo = l.u.exp[i].lo;
				tmp[np++].hi = l.u.exp[i].hi;
			}
		if (normalise(tmp, np, &cand) != 0)
			goto nomem;
		np = 0;
	} else {
		/* Anything not here below UIDNEXT (RFC 7162 §3.2.5.1 lets
		   the server send UIDs the client does not know). */
		if (mb->uidnext > 1) {
			all.lo = 1;
			all.hi = mb->uidnext - 1;
			if (push_range(&cand, all.lo, all.hi) != 0)
				goto nomem;
		}
	}
	if (intersect(&s, &cand, &cut) != 0)
		goto nomem;
	/* Never a UID the view has, nor one the list has now. */
	present = malloc((mb->n + l.u.nents + 1) * sizeof(*present));
	if (present == NULL)
		goto nomem;
	for (i = 0; i < mb->n; i++)
		present[np++] = mb->msgs[i].uid;
	if (l.state == MB_LIST_OK || l.state == MB_LIST_SALVAGED)
		for (i = 0; i < l.u.nents; i++)
			present[np++] = l.u.ents[i].uid;
	qsort(present, np, sizeof(*present), u32_cmp);
	if (subtract(&cut, present, np, &res) != 0)
		goto nomem;
	*out = res.v;
	*nout = res.n;
	res.v = NULL;
	rc = 0;
	goto out;
nomem:
	(void)mb_fail(err, errlen, mb->dir);
out:
	saved = errno;
	free(tmp);
	free(present);
	free(s.v);
	free(cand.v);
	free(cut.v);
	free(res.v);
	mb_list_free(&l);
	errno = saved;
	return rc;
}
