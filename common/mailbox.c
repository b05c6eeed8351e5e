/*
 * mailbox.c: a Maildir opened by POP3 and IMAP servers: the scan of new/
 * and cur/ and the UID list brought up to date with it (UIDs, MODSEQs,
 * expunge records; see mailbox.h for the format and its promises), the
 * list's lock and its atomic replacement.  One message at a time is in
 * mailbox_msg.c, the IMAP view in mailbox_view.c, changes in
 * mailbox_store.c and mailbox_copy.c, the list text in uidlist.c.
 *
 * Opening costs two readdir passes, a few sorts and one read of the UID
 * list; the list is written (under its lock) only when it changed (new
 * or vanished files, flags that differ from the remembered ones, a
 * version 1 list to upgrade), was salvaged from a corrupt one, or
 * learned sizes (mailbox_save_sizes).  The merge of the scan with the
 * list is done on arrays sorted by UNIQ, so it is O(n log n) for any n
 * up to MAILBOX_MSGS_MAX.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockfile.h"
#include "mailbox_int.h"
#include "util.h"

#define UIDLIST_TMP "yubin-uidlist.tmp"
/* The largest UID list we read: a header, MAILBOX_MSGS_MAX message
 * lines and UIDLIST_EXPUNGED_MAX records. */
#define UIDLIST_FILE_MAX \
	((size_t)(MAILBOX_MSGS_MAX + UIDLIST_EXPUNGED_MAX + 1) * \
	    UIDLIST_LINE_MAX)
/* The name pool: every name once, plus room for renames found later. */
#define NAMES_MAX ((size_t)MAILBOX_MSGS_MAX * (MAILDIR_NAME_MAX + 1) * 4)

const char *const mb_subname[2] = {"new", "cur"};

/* One file found by the scan. */
struct ent {
	const char *p; /* name in the pool; refreshed before each sort */
	size_t off; /* name in mb->names */
	size_t len; /* name length */
	size_t ulen; /* UNIQ length */
	long long size; /* ,W= or -1 */
	long long disk; /* ,S= or -1 */
	long long lsize; /* wire size the UID list records, or -1 */
	size_t rank; /* position in UNIQ order */
	uint64_t flags; /* info letters of the name */
	uint64_t modseq; /* from the list; 0: to be given */
	uint32_t uid; /* 0: not in the list yet */
	unsigned char sub; /* enum mailbox_sub */
	unsigned char pass; /* scan pass that found it */
};

struct scan {
	struct ent *v;
	size_t n, cap;
};

/* What merge found. */
struct counts {
	size_t fresh; /* files the list does not know */
	size_t dropped; /* list entries no file matched */
	size_t diffs; /* files whose flags differ from the list's */
};

int
mb_fail(char *err, size_t errlen, const char *path)
{
	int saved = errno;

	util_seterr(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

int
mb_pathf(
    char *out, size_t outlen, const char *dir, const char *a, const char *b)
{
	int n;

	if (b != NULL)
		n = snprintf(out, outlen, "%s/%s/%s", dir, a, b);
	else
		n = snprintf(out, outlen, "%s/%s", dir, a);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

size_t
mb_uniq_len(const char *name)
{
	return strcspn(name, ",:");
}

uint64_t
mb_name_flags(const char *name)
{
	struct maildir_name mn;
	uint64_t m = 0;

	if (maildir_name_parse(name, strlen(name), &mn) == 0 && mn.info == 2)
		(void)mailbox_flags_parse(mn.flags, strlen(mn.flags), &m);
	return m;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * "Natural" order: runs of digits compare by value, so the names
 * maildir_unique makes ("SECONDS.M<usec>P<pid>Q<n>.host") sort in
 * delivery order.  Ties (leading zeros) fall back to byte order.
 */
static int
natcmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t i = 0, j = 0, si, sj, ei, ej;
	int c;

	while (i < al && j < bl) {
		if (is_digit((unsigned char)a[i]) &&
		    is_digit((unsigned char)b[j])) {
			for (si = i; si < al && a[si] == '0'; si++)
				;
			for (sj = j; sj < bl && b[sj] == '0'; sj++)
				;
			for (ei = si; ei < al && is_digit((unsigned char)a[ei]);
			     ei++)
				;
			for (ej = sj; ej < bl && is_digit((unsigned char)b[ej]);
			     ej++)
				;
			if (ei - si != ej - sj)
				return ei - si < ej - sj ? -1 : 1;
			c = memcmp(a + si, b + sj, ei - si);
			if (c != 0)
				return c;
			i = ei;
			j = ej;
			continue;
		}
		if (a[i] != b[j])
			return (unsigned char)a[i] < (unsigned char)b[j] ? -1
									 : 1;
		i++;
		j++;
	}
	if (i < al || j < bl)
		return i < al ? 1 : -1;
	return mb_ucmp(a, al, b, bl);
}

/* ---------------------------------------------------------------- */
/* The UID list on disk. */

void
mb_list_free(struct mb_list *l)
{
	mailbox_uidlist_free(&l->u);
	free(l->seen);
	l->seen = NULL;
	buf_free(&l->text);
}

static int
list_parsed(struct mb_list *l, int state)
{
	l->state = state;
	if ((l->seen = calloc(l->u.nents + 1, 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
mb_list_read(const char *dir, struct mb_list *l, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	int fd, rc;

	mb_list_free(l);
	memset(&l->u, 0, sizeof(l->u));
	buf_init(&l->text, UIDLIST_FILE_MAX);
	if (mb_pathf(p, sizeof(p), dir, MAILBOX_UIDLIST, NULL) != 0)
		return mb_fail(err, errlen, dir);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT) {
			l->state = MB_LIST_MISSING;
			return 0;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
		    errno == EINTR)
			return mb_fail(err, errlen, p);
		l->state = MB_LIST_BAD;
		return 0;
	}
	/* One read for the whole list when fstat knows its size. */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (uintmax_t)st.st_size < UIDLIST_FILE_MAX)
		(void)buf_reserve(&l->text, (size_t)st.st_size + 1);
	rc = buf_read_fd(&l->text, fd);
	if (rc != 0 && errno == ENOMEM) {
		(void)mb_fail(err, errlen, p);
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	if (rc != 0) {
		l->state = MB_LIST_BAD;
		return 0;
	}
	if (mailbox_uidlist_parse(l->text.data, l->text.len, &l->u) == 0)
		return list_parsed(l, MB_LIST_OK) == 0
		    ? 0
		    : mb_fail(err, errlen, p);
	if (errno == ENOMEM)
		return mb_fail(err, errlen, p);
	/* Corrupt: keep what can still be proven. */
	if (mailbox_uidlist_salvage(l->text.data, l->text.len, &l->u) == 0)
		return list_parsed(l, MB_LIST_SALVAGED) == 0
		    ? 0
		    : mb_fail(err, errlen, p);
	if (errno == ENOMEM)
		return mb_fail(err, errlen, p);
	l->state = MB_LIST_BAD;
	return 0;
}

static int
uident_uid_cmp(const void *x, const void *y)
{
	const struct mailbox_uident *a = x, *b = y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

int
mb_list_write(
    const char *dir, struct mailbox_uidlist *u, char *err, size_t errlen)
{
	struct buf b;
	int saved;

	if (u->nents > 1)
		qsort(u->ents, u->nents, sizeof(*u->ents), uident_uid_cmp);
	buf_init(&b, UIDLIST_FILE_MAX);
	if (mailbox_uidlist_format(&b, u) != 0) {
		saved = errno;
		buf_free(&b);
		errno = saved;
		return mb_fail(err, errlen, dir);
	}
	return lockfile_replace(
	    dir, MAILBOX_UIDLIST, UIDLIST_TMP, &b, err, errlen);
}

struct mailbox_uident *
mb_list_find(struct mb_list *l, const char *uniq, size_t len)
{
	size_t lo = 0, hi = l->u.nents, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = mb_ucmp(uniq, len, l->u.ents[mid].uniq, l->u.ents[mid].len);
		if (c == 0)
			return &l->u.ents[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
mb_list_begin(const char *dir, uint32_t want_validity, struct mb_list *l,
    int *lfd, char *err, size_t errlen)
{
	struct mailbox tmp;
	int saved;

	memset(l, 0, sizeof(*l));
	if (lockfile_lock(dir, MAILBOX_UIDLIST_LOCK, MAILBOX_LOCK_WAIT, lfd,
		err, errlen) != 0)
		return -1;
	if (mb_list_read(dir, l, err, errlen) != 0)
		goto fail;
	if (l->state != MB_LIST_OK || l->u.version != 2) {
		/* Damaged, deleted or old: set it right first. */
		if (mb_open_locked(&tmp, dir, *lfd, err, errlen) != 0)
			goto fail;
		mailbox_close(&tmp);
		if (mb_list_read(dir, l, err, errlen) != 0)
			goto fail;
		if (l->state != MB_LIST_OK || l->u.version != 2) {
			util_seterr(err, errlen, "%s/%s: unreadable", dir,
			    MAILBOX_UIDLIST);
			errno = EIO;
			goto fail;
		}
	}
	if (want_validity != 0 && l->u.uidvalidity != want_validity) {
		util_seterr(err, errlen, "%s/%s: UIDVALIDITY changed (%lu)",
		    dir, MAILBOX_UIDLIST, (unsigned long)l->u.uidvalidity);
		errno = ESTALE;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	(void)close(*lfd);
	*lfd = -1;
	mb_list_free(l);
	errno = saved;
	return -1;
}

/* ---------------------------------------------------------------- */
/* Scanning. */

/* Is the directory entry a regular file?  d_type when the filesystem
 * gives it, else lstat. */
static int
regular(int dfd, const struct dirent *de)
{
	struct stat st;

#ifdef DT_UNKNOWN
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_REG;
#endif
	if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return S_ISREG(st.st_mode);
}

/*
 * One entry of new/ or cur/ worth keeping: a regular file whose name is
 * a valid Maildir name with a UNIQ the list can hold.  Fills mn.
 */
static int
wanted(int dfd, const struct dirent *de, size_t *len, struct maildir_name *mn)
{
	if (de->d_name[0] == '.')
		return 0;
	*len = strlen(de->d_name);
	if (maildir_name_parse(de->d_name, *len, mn) != 0 ||
	    !mb_uniq_bytes_ok(de->d_name, mn->uniq_len))
		return 0;
	return regular(dfd, de);
}

int
mb_walk(const char *dir, mb_walk_fn *fn, void *arg, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct maildir_name mn;
	struct dirent *de;
	size_t len;
	int sub, rc, saved;
	DIR *d;

	for (sub = MAILBOX_NEW; sub <= MAILBOX_CUR; sub++) {
		if (mb_pathf(p, sizeof(p), dir, mb_subname[sub], NULL) != 0)
			return mb_fail(err, errlen, dir);
		if ((d = opendir(p)) == NULL)
			return mb_fail(err, errlen, p);
		for (;;) {
			errno = 0;
			if ((de = readdir(d)) == NULL) {
				rc = errno != 0 ? -1 : 0;
				break;
			}
			if (!wanted(dirfd(d), de, &len, &mn))
				continue;
			rc = fn(arg, sub, de->d_name, len, &mn, err, errlen);
			if (rc != 0)
				break;
		}
		saved = errno;
		if (closedir(d) != 0 && rc == 0) {
			saved = errno;
			rc = -1;
		}
		errno = saved;
		if (rc == -2)
			return -1;
		if (rc != 0)
			return mb_fail(err, errlen, p);
	}
	return 0;
}

struct scan_arg {
	struct mailbox *mb;
	struct scan *s;
	unsigned char pass;
	size_t count;
};

/* mb_walk_fn of scan: one entry more in s. */
static int
scan_one(void *arg, int sub, const char *name, size_t len,
    const struct maildir_name *mn, char *err, size_t errlen)
{
	struct scan_arg *a = arg;
	struct scan *s = a->s;
	struct ent *e;

	if (a->count >= MAILBOX_MSGS_MAX) {
		util_seterr(err, errlen, "%s: more than %d messages",
		    a->mb->dir, MAILBOX_MSGS_MAX);
		errno = EFBIG;
		return -2;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap == 0 ? 1024 : s->cap * 2;
		struct ent *nv = realloc(s->v, cap * sizeof(*nv));

		if (nv == NULL) {
			errno = ENOMEM;
			return -1;
		}
		s->v = nv;
		s->cap = cap;
	}
	e = &s->v[s->n];
	e->off = a->mb->names.len;
	if (buf_append(&a->mb->names, name, len + 1) != 0)
		return -1;
	e->p = NULL;
	e->len = len;
	e->ulen = mn->uniq_len;
	e->size = mn->vsize;
	e->disk = mn->size;
	e->lsize = -1;
	e->rank = 0;
	e->flags = 0;
	if (mn->info == 2)
		(void)mailbox_flags_parse(
		    mn->flags, strlen(mn->flags), &e->flags);
	e->modseq = 0;
	e->uid = 0;
	e->sub = (unsigned char)sub;
	e->pass = a->pass;
	s->n++;
	a->count++;
	return 0;
}

/* Every message of new/ then cur/ into s (see mb_walk). */
static int
scan(struct mailbox *mb, struct scan *s, unsigned char pass, char *err,
    size_t errlen)
{
	struct scan_arg a = {mb, s, pass, 0};

	return mb_walk(mb->dir, scan_one, &a, err, errlen);
}

/* UNIQ order; for one UNIQ the entry to keep first: cur/ over new/,
 * a later pass over an earlier one, then the name. */
static int
ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	int c = mb_ucmp(a->p, a->ulen, b->p, b->ulen);

	if (c != 0)
		return c;
	if (a->sub != b->sub)
		return a->sub > b->sub ? -1 : 1;
	if (a->pass != b->pass)
		return a->pass > b->pass ? -1 : 1;
	return mb_ucmp(a->p, a->len, b->p, b->len);
}

static int
ent_uid_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static int
ent_nat_cmp(const void *x, const void *y)
{
	const struct ent *a = *(const struct ent *const *)x;
	const struct ent *b = *(const struct ent *const *)y;

	return natcmp(a->p, a->ulen, b->p, b->ulen);
}

/* Sort by UNIQ and keep one entry per UNIQ. */
static void
dedup(struct mailbox *mb, struct scan *s)
{
	size_t i, o;

	for (i = 0; i < s->n; i++)
		s->v[i].p = mb->names.data + s->v[i].off;
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), ent_cmp);
	for (i = 1, o = 1; i < s->n; i++) {
		if (mb_ucmp(s->v[i].p, s->v[i].ulen, s->v[o - 1].p,
			s->v[o - 1].ulen) == 0)
			continue;
		s->v[o++] = s->v[i];
	}
	s->n = o;
}

/*
 * Give each scanned entry its UID and MODSEQ from the list (0: not
 * there; MODSEQ 0 also when its flags differ from the remembered ones
 * or the list is of version 1) and mark the list entries a file
 * matched.
 */
static void
merge(struct scan *s, struct mb_list *l, struct counts *n)
{
	const struct mailbox_uident *le;
	struct ent *e;
	size_t i = 0, j = 0;
	int c;

	memset(n, 0, sizeof(*n));
	memset(l->seen, 0, l->u.nents);
	while (i < s->n || j < l->u.nents) {
		if (i == s->n)
			c = 1;
		else if (j == l->u.nents)
			c = -1;
		else
			c = mb_ucmp(s->v[i].p, s->v[i].ulen, l->u.ents[j].uniq,
			    l->u.ents[j].len);
		if (c > 0) {
			j++;
			n->dropped++;
			continue;
		}
		e = &s->v[i++];
		e->lsize = -1;
		e->uid = 0;
		e->modseq = 0;
		if (c < 0) {
			n->fresh++;
			continue;
		}
		le = &l->u.ents[j];
		l->seen[j++] = 1;
		e->uid = le->uid;
		/* A size the name gives needs no line. */
		e->lsize = e->size < 0 ? le->size : -1;
		if (le->modseq != 0 && le->flags == e->flags)
			e->modseq = le->modseq;
		else
			n->diffs++;
	}
}

/* Number the entries without a UID from *next on, in name order;
 * -1 (ERANGE) when the 32-bit UID space would run out. */
static int
assign(struct scan *s, uint32_t *next, size_t fresh)
{
	struct ent **nv;
	size_t i, k;

	if (fresh == 0)
		return 0;
	if ((uint64_t)*next + fresh > UINT32_MAX) {
		errno = ERANGE;
		return -1;
	}
	nv = calloc(fresh, sizeof(*nv));
	if (nv == NULL)
		return -1;
	for (i = 0, k = 0; i < s->n; i++)
		if (s->v[i].uid == 0)
			nv[k++] = &s->v[i];
	qsort(nv, k, sizeof(*nv), ent_nat_cmp);
	for (i = 0; i < k; i++)
		nv[i]->uid = (*next)++;
	free(nv);
	return 0;
}

/* A UIDVALIDITY greater than old (RFC 3501 §2.3.1.1), the time when it
 * is, and at least min. */
static uint32_t
new_validity(uint32_t old, uint32_t min)
{
	uint32_t v = (uint32_t)time(NULL);

	if (v == 0 || v <= old)
		v = old + 1 == 0 ? 1 : old + 1;
	return v < min ? min : v;
}

/* The scan, sorted by UID, becomes mb->msgs (and mb->byuniq). */
static int
build(struct mailbox *mb, struct scan *s)
{
	size_t i;

	if (s->n == 0)
		return 0;
	for (i = 0; i < s->n; i++)
		s->v[i].rank = i; /* s is in UNIQ order */
	qsort(s->v, s->n, sizeof(*s->v), ent_uid_cmp);
	mb->msgs = calloc(s->n, sizeof(*mb->msgs));
	mb->byuniq = calloc(s->n, sizeof(*mb->byuniq));
	if (mb->msgs == NULL || mb->byuniq == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < s->n; i++) {
		struct mailbox_msg *m = &mb->msgs[i];

		if (s->v[i].off >= MAILBOX_NAMES_MAX) {
			errno = EFBIG;
			return -1;
		}
		m->name_off = (uint32_t)s->v[i].off;
		m->uid = s->v[i].uid;
		m->sub = s->v[i].sub;
		m->size = s->v[i].size >= 0 ? s->v[i].size : s->v[i].lsize;
		m->disk = s->v[i].disk;
		m->flags = s->v[i].flags;
		m->modseq = s->v[i].modseq;
		mb->byuniq[s->v[i].rank] = i;
	}
	mb->n = s->n;
	return 0;
}

/* The Maildir has new/ and cur/ (ENOENT otherwise). */
static int
is_maildir(const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		if (mb_pathf(p, sizeof(p), dir, mb_subname[i], NULL) != 0)
			return mb_fail(err, errlen, dir);
		if (stat(p, &st) != 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				goto not_md;
			return mb_fail(err, errlen, p);
		}
		if (!S_ISDIR(st.st_mode))
			goto not_md;
	}
	return 0;
not_md:
	util_seterr(
	    err, errlen, "%s: not a Maildir (no %s/)", dir, mb_subname[i]);
	errno = ENOENT;
	return -1;
}

/* The UIDs of the list entries no file matched, ascending. */
static uint32_t *
dropped_uids(const struct mb_list *l, size_t *n)
{
	uint32_t *v;
	size_t j, k = 0;

	if ((v = malloc((l->u.nents + 1) * sizeof(*v))) == NULL)
		return NULL;
	for (j = 0; j < l->u.nents; j++)
		if (!l->seen[j])
			v[k++] = l->u.ents[j].uid;
	for (j = 1; j < k; j++) {
		/* Insertion sort: usually a handful. */
		uint32_t x = v[j];
		size_t i = j;

		while (i > 0 && v[i - 1] > x) {
			v[i] = v[i - 1];
			i--;
		}
		v[i] = x;
	}
	*n = k;
	return v;
}

/* Write the scan (in UID order, after build) as the list. */
static int
write_scan(struct mailbox *mb, struct scan *s, struct mailbox_uidlist *u,
    char *err, size_t errlen)
{
	struct mailbox_uident *v;
	size_t i;
	int rc, saved;

	if ((v = calloc(s->n + 1, sizeof(*v))) == NULL)
		return mb_fail(err, errlen, mb->dir);
	for (i = 0; i < s->n; i++) {
		v[i].uniq = s->v[i].p;
		v[i].len = s->v[i].ulen;
		v[i].uid = s->v[i].uid;
		v[i].size = s->v[i].lsize;
		v[i].modseq = s->v[i].modseq;
		v[i].flags = s->v[i].flags;
	}
	u->ents = v;
	u->nents = s->n;
	rc = mb_list_write(mb->dir, u, err, errlen);
	saved = errno;
	u->ents = NULL;
	u->nents = 0;
	free(v);
	errno = saved;
	return rc;
}

/*
 * Bring the scan and the UID list together under the list lock;
 * seen_before: a missing list existed once (its lock file is there);
 * min_validity: the least UIDVALIDITY a new list may start with.
 */
static int
sync_locked(struct mailbox *mb, struct scan *s, struct mb_list *l, int lfd,
    int seen_before, uint32_t min_validity, char *err, size_t errlen)
{
	struct mailbox_uidlist out;
	struct timespec ts[2];
	struct counts c;
	struct stat st;
	size_t i, kept = 0, ngone;
	uint32_t *gone;
	uint64_t m;
	int changed = 0, state;
	char why[ERR_MAX];

	why[0] = '\0';
	memset(&out, 0, sizeof(out));
	if (mb_list_read(mb->dir, l, err, errlen) != 0)
		return -1;
	state = l->state;
	if (state == MB_LIST_OK || state == MB_LIST_SALVAGED) {
		merge(s, l, &c);
		if (c.dropped > 0) {
			/*
			 * Files of the list we did not see: deleted, or
			 * renamed while readdir ran (POSIX lets readdir miss
			 * an entry renamed under it) or delivered after our
			 * scan and numbered by another process.  Look again
			 * before forgetting their UIDs.
			 */
			if (scan(mb, s, 2, err, errlen) != 0)
				return -1;
			dedup(mb, s);
			merge(s, l, &c);
		}
		out = l->u;
		out.ents = NULL;
		out.nents = 0;
		changed = c.fresh > 0 || c.dropped > 0 || c.diffs > 0 ||
		    state == MB_LIST_SALVAGED || l->u.version == 1;
		kept = s->n - c.fresh;
		if (assign(s, &out.uidnext, c.fresh) != 0) {
			if (errno != ERANGE)
				return mb_fail(err, errlen, mb->dir);
			/* UIDs ran out: start over (RFC 3501 §2.3.1.1). */
			util_strlcpy(why, "UIDs used up", sizeof(why));
			state = MB_LIST_BAD;
		} else if (changed &&
		    out.highestmodseq >= (uint64_t)MODSEQ_MAX) {
			util_strlcpy(why, "MODSEQs used up", sizeof(why));
			state = MB_LIST_BAD;
		} else if (changed) {
			m = out.highestmodseq + 1;
			for (i = 0; i < s->n; i++)
				if (s->v[i].modseq == 0)
					s->v[i].modseq = m;
			if (state == MB_LIST_SALVAGED || l->u.version == 1) {
				/* Nothing older is exactly known. */
				out.exp = NULL;
				out.nexp = 0;
				out.floor = m;
			} else if (c.dropped > 0) {
				gone = dropped_uids(l, &ngone);
				if (gone == NULL ||
				    mailbox_uidlist_add_expunged(
					&l->u, gone, ngone, m) != 0) {
					free(gone);
					return mb_fail(err, errlen, mb->dir);
				}
				free(gone);
				out.exp = l->u.exp;
				out.nexp = l->u.nexp;
				out.floor = l->u.floor;
			}
			out.highestmodseq = m;
		}
	}
	if (state == MB_LIST_SALVAGED)
		mb->repaired = 1;
	else if (state != MB_LIST_OK) {
		uint32_t old = l->u.uidvalidity;

		/*
		 * The lock file's mtime is the last UIDVALIDITY given (set
		 * below): a deleted list still gets a greater one.
		 */
		if (state == MB_LIST_MISSING && seen_before &&
		    fstat(lfd, &st) == 0 && st.st_mtime > 0 &&
		    (uintmax_t)st.st_mtime <= UINT32_MAX)
			old = (uint32_t)st.st_mtime;
		memset(&out, 0, sizeof(out));
		out.uidvalidity = new_validity(old, min_validity);
		out.uidnext = 1;
		out.highestmodseq = 1;
		for (i = 0; i < s->n; i++) {
			s->v[i].uid = 0;
			s->v[i].modseq = 1;
		}
		if (assign(s, &out.uidnext, s->n) != 0)
			return mb_fail(err, errlen, mb->dir);
		changed = 1;
		if (state == MB_LIST_BAD) {
			mb->reset = 1;
			if (why[0] == '\0')
				util_strlcpy(
				    why, "corrupt or unreadable", sizeof(why));
		} else if (seen_before) {
			/* Deleted: nothing is left to prove a UID with. */
			mb->reset = 1;
			util_strlcpy(why, "missing", sizeof(why));
		}
	}
	mb->uidvalidity = out.uidvalidity;
	mb->uidnext = out.uidnext;
	mb->modseq = mb->highestmodseq = out.highestmodseq;
	if (build(mb, s) != 0)
		return mb_fail(err, errlen, mb->dir);
	if (changed && write_scan(mb, s, &out, err, errlen) != 0)
		return -1;
	if (state != MB_LIST_OK && state != MB_LIST_SALVAGED) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)out.uidvalidity;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(lfd, ts);
	}
	if (mb->reset)
		util_seterr(err, errlen,
		    "%s/%s: %s, rebuilt with UIDVALIDITY %lu", mb->dir,
		    MAILBOX_UIDLIST, why, (unsigned long)out.uidvalidity);
	else if (mb->repaired)
		util_seterr(err, errlen,
		    "%s/%s: corrupt (%zu line%s dropped), repaired: %zu UIDs "
		    "kept, %zu given anew, UIDVALIDITY %lu kept",
		    mb->dir, MAILBOX_UIDLIST, l->u.lost,
		    l->u.lost == 1 ? "" : "s", kept, s->n - kept,
		    (unsigned long)out.uidvalidity);
	return 0;
}

/*
 * mailbox_open and its variants: held_lfd >= 0 when the caller holds
 * the list lock already (mb_list_begin); min_validity as for
 * sync_locked.
 */
static int
open_impl(struct mailbox *mb, const char *dir, int flags, int held_lfd,
    uint32_t min_validity, char *err, size_t errlen)
{
	struct scan s = {NULL, 0, 0};
	struct mb_list l;
	struct counts c;
	int lfd = held_lfd, rc = -1, saved, seen_before = held_lfd >= 0;

	memset(mb, 0, sizeof(*mb));
	memset(&l, 0, sizeof(l));
	mb->lockfd = -1;
	buf_init(&mb->names, NAMES_MAX);
	if (util_strlcpy(mb->dir, dir, sizeof(mb->dir)) >= sizeof(mb->dir)) {
		errno = ENAMETOOLONG;
		(void)mb_fail(err, errlen, dir);
		goto out;
	}
	if (is_maildir(mb->dir, err, errlen) != 0)
		goto out;
	if (flags & MAILBOX_POP3_EXCL) {
		if (lockfile_lock(mb->dir, MAILBOX_POP3_LOCK, 0, &mb->lockfd,
			err, errlen) != 0)
			goto out;
		mb->locked = 1;
	}
	mb->select = (flags & MAILBOX_SELECT) != 0;
	/* Before the scan: a change while we scan makes the next
	   mailbox_sync look again. */
	mb_stamp(mb);
	if (scan(mb, &s, 1, err, errlen) != 0)
		goto out;
	dedup(mb, &s);
	if (held_lfd < 0) {
		/* Most opens change nothing: no lock, no write. */
		if (mb_list_read(mb->dir, &l, err, errlen) != 0)
			goto out;
		if (l.state == MB_LIST_OK && l.u.version == 2) {
			merge(&s, &l, &c);
			if (c.fresh == 0 && c.dropped == 0 && c.diffs == 0) {
				mb->uidvalidity = l.u.uidvalidity;
				mb->uidnext = l.u.uidnext;
				mb->modseq = mb->highestmodseq =
				    l.u.highestmodseq;
				if (build(mb, &s) != 0) {
					(void)mb_fail(err, errlen, mb->dir);
					goto out;
				}
				rc = 0;
				goto out;
			}
		}
		/* A missing list with a lock file beside it was deleted
		   (the lock is made before the first list is written). */
		if (l.state == MB_LIST_MISSING) {
			char lp[PATH_MAX];
			struct stat st;

			seen_before = mb_pathf(lp, sizeof(lp), mb->dir,
					  MAILBOX_UIDLIST_LOCK, NULL) == 0 &&
			    lstat(lp, &st) == 0;
		}
		/* Another process may be numbering the same files: take
		   the lock and read the list again, so both agree on every
		   UID. */
		if (lockfile_lock(mb->dir, MAILBOX_UIDLIST_LOCK,
			MAILBOX_LOCK_WAIT, &lfd, err, errlen) != 0)
			goto out;
	}
	rc = sync_locked(
	    mb, &s, &l, lfd, seen_before, min_validity, err, errlen);
out:
	saved = errno;
	if (lfd >= 0 && lfd != held_lfd)
		(void)close(lfd);
	mb_list_free(&l);
	free(s.v);
	if (rc != 0)
		mailbox_close(mb);
	else if (mb->select)
		mb_claim_recent(mb, 0);
	errno = saved;
	return rc;
}

int
mailbox_open(
    struct mailbox *mb, const char *dir, int flags, char *err, size_t errlen)
{
	return open_impl(mb, dir, flags, -1, 0, err, errlen);
}

int
mb_open_locked(
    struct mailbox *mb, const char *dir, int lfd, char *err, size_t errlen)
{
	return open_impl(mb, dir, 0, lfd, 0, err, errlen);
}

int
mailbox_create_list(const char *dir, uint32_t min_validity, uint32_t *validity,
    char *err, size_t errlen)
{
	struct mailbox mb;

	if (open_impl(&mb, dir, 0, -1, min_validity, err, errlen) != 0)
		return -1;
	*validity = mb.uidvalidity;
	mailbox_close(&mb);
	return 0;
}

void
mailbox_close(struct mailbox *mb)
{
	free(mb->msgs);
	free(mb->byuniq);
	buf_free(&mb->names);
	if (mb->locked)
		(void)close(mb->lockfd);
	mb->msgs = NULL;
	mb->byuniq = NULL;
	mb->n = 0;
	mb->nexpunged = 0;
	mb->nrecent = 0;
	mb->locked = 0;
	mb->lockfd = -1;
}

void
mb_claim_recent(struct mailbox *mb, size_t from)
{
	char from_p[PATH_MAX], to_p[PATH_MAX], name[MAILDIR_NAME_MAX + 1];
	char fl[MAILBOX_LETTERS_MAX];
	const char *cur;
	size_t i;

	for (i = from; i < mb->n; i++) {
		struct mailbox_msg *m = &mb->msgs[i];

		if (m->sub != MAILBOX_NEW || m->expunged)
			continue;
		cur = mailbox_name(mb, i);
		(void)mailbox_flags_letters(m->flags, fl);
		if (maildir_name_with_flags(
			cur, strlen(cur), fl, name, sizeof(name)) != 0 ||
		    mb_pathf(from_p, sizeof(from_p), mb->dir, "new", cur) !=
			0 ||
		    mb_pathf(to_p, sizeof(to_p), mb->dir, "cur", name) != 0)
			continue;
		/* The rename that succeeds is the one session that gets
		   \Recent; a loser finds the file gone (ENOENT) and the
		   entry is relocated when it is next opened. */
		if (rename(from_p, to_p) != 0)
			continue;
		if (mb_rename_entry(mb, i, MAILBOX_CUR, name, strlen(name)) !=
		    0)
			continue;
		m->recent = 1;
		mb->nrecent++;
	}
}

size_t
mailbox_find_uid(const struct mailbox *mb, uint32_t uid)
{
	size_t lo = 0, hi = mb->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mb->msgs[mid].uid == uid)
			return mid;
		if (mb->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}
