/*
 * mailbox.c: a Maildir opened for reading by POP3 and IMAP servers: the
 * scan of new/ and cur/, the UID list (see mailbox.h for its format and
 * promises), sizes, flag changes and durable deletion.
 *
 * Opening costs two readdir passes, a few sorts and one read of the UID
 * list; the list is written (under its lock) only when it changed, was
 * salvaged from a corrupt one, or learned sizes (mailbox_save_sizes).  The
 * merge of the scan with the list is done on arrays sorted by UNIQ, so
 * it is O(n log n) for any n up to MAILBOX_MSGS_MAX.
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

#include "mailbox.h"
#include "util.h"

#define UIDLIST_MAGIC "yubin-uidlist 1 "
#define UIDLIST_TMP "yubin-uidlist.tmp"
/* The largest UID list we read: a header and MAILBOX_MSGS_MAX lines. */
#define UIDLIST_FILE_MAX ((size_t)(MAILBOX_MSGS_MAX + 1) * UIDLIST_LINE_MAX)
/* The name pool: every name once, plus room for renames found later. */
#define NAMES_MAX ((size_t)MAILBOX_MSGS_MAX * (MAILDIR_NAME_MAX + 1) * 4)
/* Tries at a file renamed under us again and again before giving up. */
#define RELOCATE_TRIES 3
/* Polling for the UID list lock: first and longest sleep, milliseconds. */
#define LOCK_SLEEP_MIN 1
#define LOCK_SLEEP_MAX 50
#define READ_CHUNK 32768
/* The largest size a UID list line records (UIDLIST_SIZE_DIGITS). */
#define UIDLIST_SIZE_MAX 999999999999999999LL

static const char *const subname[] = {"new", "cur"};

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
	uint32_t uid; /* 0: not in the list yet */
	unsigned char sub; /* enum mailbox_sub */
	unsigned char pass; /* scan pass that found it */
};

struct scan {
	struct ent *v;
	size_t n, cap;
};

/* The UID list as read from disk. */
struct list {
	struct buf text;
	struct mailbox_uident *e; /* sorted by UNIQ */
	size_t n;
	uint32_t validity, next;
	int state; /* LIST_* */
	size_t lost; /* LIST_SALVAGED: lines that could not be kept */
};

/* LIST_SALVAGED: corrupt, but the header and the entries in l->e were
 * kept (mailbox_uidlist_salvage). */
enum { LIST_OK, LIST_MISSING, LIST_BAD, LIST_SALVAGED };

static int
fail(char *err, size_t errlen, const char *path)
{
	int saved = errno;

	util_seterr(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

static int
pathf(char *out, size_t outlen, const char *dir, const char *a, const char *b)
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

/* Byte order of two strings of known length (shorter first on a tie). */
static int
ucmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
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
	return ucmp(a, al, b, bl);
}

/*
 * Bytes a UNIQ may hold beyond what maildir_name_parse checks: the list
 * separates fields with a space and lines with LF, so no space and no
 * control byte; and the UNIQ ends before "," and ":".
 */
static int
uniq_bytes_ok(const char *p, size_t len)
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

	return uniq_bytes_ok(p, len) && maildir_name_parse(p, len, &mn) == 0 &&
	    mn.uniq_len == len && mn.base_len == len;
}

/* The UNIQ length of a stored name. */
static size_t
uniq_len(const char *name)
{
	return strcspn(name, ",:");
}

/* ---------------------------------------------------------------- */
/* The UID list text. */

/* 1..UINT32_MAX, decimal, no sign, no leading zero. */
static int
parse_u32(const char *p, size_t n, uint32_t *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 10 || p[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (unsigned long long)(p[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A size: 0, or decimal without a leading zero, at most
 * UIDLIST_SIZE_DIGITS digits (so it fits a long long). */
static int
parse_size(const char *p, size_t n, long long *out)
{
	long long v = 0;
	size_t i;

	if (n == 0 || n > UIDLIST_SIZE_DIGITS || (p[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
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

/* "yubin-uidlist 1 UIDVALIDITY UIDNEXT" at the start of p: 0, or -1 with
 * *validity and *next left 0. */
static int
parse_header(
    const char *p, size_t n, size_t *pos, uint32_t *validity, uint32_t *next)
{
	size_t ml = sizeof(UIDLIST_MAGIC) - 1, len;
	const char *line, *sp;
	uint32_t v, x;

	*validity = 0;
	*next = 0;
	if (next_line(p, n, pos, &line, &len) != 0 || len < ml ||
	    memcmp(line, UIDLIST_MAGIC, ml) != 0)
		return -1;
	line += ml;
	len -= ml;
	sp = memchr(line, ' ', len);
	if (sp == NULL || parse_u32(line, (size_t)(sp - line), &v) != 0 ||
	    parse_u32(sp + 1, len - (size_t)(sp + 1 - line), &x) != 0)
		return -1;
	*validity = v;
	*next = x;
	return 0;
}

/* One "UID UNIQ" or "UID UNIQ W=SIZE" line (without its LF) into e:
 * 0, or -1 when it does not parse. */
static int
parse_entry(const char *line, size_t len, struct mailbox_uident *e)
{
	const char *sp, *u, *w, *end = line + len;
	size_t ulen;

	sp = memchr(line, ' ', len);
	if (sp == NULL || parse_u32(line, (size_t)(sp - line), &e->uid) != 0)
		return -1;
	u = sp + 1;
	w = memchr(u, ' ', (size_t)(end - u));
	ulen = (size_t)((w != NULL ? w : end) - u);
	if (!uniq_ok(u, ulen))
		return -1;
	e->uniq = u;
	e->len = ulen;
	e->size = -1;
	if (w == NULL)
		return 0;
	w++;
	if (end - w < 3 || memcmp(w, "W=", 2) != 0 ||
	    parse_size(w + 2, (size_t)(end - w - 2), &e->size) != 0)
		return -1;
	return 0;
}

static int
uident_cmp(const void *x, const void *y)
{
	const struct mailbox_uident *a = x, *b = y;

	return ucmp(a->uniq, a->len, b->uniq, b->len);
}

/* One entry more in *v (capacity *cap); -1 (ENOMEM) or -2 when
 * MAILBOX_MSGS_MAX entries are there already. */
static int
push(struct mailbox_uident **v, size_t *cnt, size_t *cap,
    const struct mailbox_uident *e)
{
	struct mailbox_uident *nv;
	size_t c;

	if (*cnt == *cap) {
		if (*cnt >= MAILBOX_MSGS_MAX)
			return -2;
		c = *cap == 0 ? 256 : *cap * 2;
		if (c > MAILBOX_MSGS_MAX)
			c = MAILBOX_MSGS_MAX;
		if ((nv = realloc(*v, c * sizeof(**v))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		*v = nv;
		*cap = c;
	}
	(*v)[(*cnt)++] = *e;
	return 0;
}

int
mailbox_uidlist_parse(const char *p, size_t n, uint32_t *uidvalidity,
    uint32_t *uidnext, struct mailbox_uident **ents, size_t *nents)
{
	struct mailbox_uident *v = NULL, e;
	size_t pos = 0, len, cnt = 0, cap = 0, i;
	const char *line;
	uint32_t prev = 0;
	int rc;

	*ents = NULL;
	*nents = 0;
	if (parse_header(p, n, &pos, uidvalidity, uidnext) != 0)
		goto bad;
	while (pos < n) {
		if (next_line(p, n, &pos, &line, &len) != 0 ||
		    parse_entry(line, len, &e) != 0)
			goto bad;
		/* Ascending, and below UIDNEXT (RFC 3501 §2.3.1.1). */
		if (e.uid <= prev || e.uid >= *uidnext)
			goto bad;
		prev = e.uid;
		if ((rc = push(&v, &cnt, &cap, &e)) == -1) {
			free(v);
			return -1;
		}
		if (rc != 0)
			goto bad;
	}
	if (cnt > 1) {
		qsort(v, cnt, sizeof(*v), uident_cmp);
		for (i = 1; i < cnt; i++)
			if (uident_cmp(&v[i - 1], &v[i]) == 0)
				goto bad;
	}
	*ents = v;
	*nents = cnt;
	return 0;
bad:
	free(v);
	errno = EINVAL;
	return -1;
}

/* Keep v[i] (in file order) only when no other entry contradicts its
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

int
mailbox_uidlist_salvage(const char *p, size_t n, uint32_t *uidvalidity,
    uint32_t *uidnext, struct mailbox_uident **ents, size_t *nents,
    size_t *lost)
{
	struct mailbox_uident *v = NULL, e;
	size_t pos = 0, len, cnt = 0, cap = 0, parsed;
	const char *line, *nl;
	uint64_t floor;
	int rc;

	*ents = NULL;
	*nents = 0;
	*lost = 0;
	if (parse_header(p, n, &pos, uidvalidity, uidnext) != 0) {
		errno = EINVAL;
		return -1;
	}
	floor = *uidnext;
	while (pos < n) {
		nl = memchr(p + pos, '\n', n - pos);
		if (nl == NULL) {
			(*lost)++; /* truncated: the last line is cut */
			break;
		}
		line = p + pos;
		len = (size_t)(nl - line);
		pos += len + 1;
		if (len >= UIDLIST_LINE_MAX ||
		    parse_entry(line, len, &e) != 0) {
			(*lost)++;
			continue;
		}
		if (e.uid >= *uidnext) {
			/* Either the line or the header is wrong: keep
			   neither the line nor a UIDNEXT it exceeds. */
			if ((uint64_t)e.uid + 1 > floor)
				floor = (uint64_t)e.uid + 1;
			(*lost)++;
			continue;
		}
		if ((rc = push(&v, &cnt, &cap, &e)) == -1) {
			free(v);
			return -1;
		}
		if (rc != 0)
			(*lost)++;
	}
	parsed = cnt;
	if (drop_disorder(v, &cnt) != 0) {
		free(v);
		return -1;
	}
	drop_twins(v, &cnt);
	*lost += parsed - cnt;
	/* UIDNEXT only grows; past 2^32-1 no UID is left to give. */
	*uidnext = floor > UINT32_MAX ? UINT32_MAX : (uint32_t)floor;
	if (cnt == 0) {
		free(v);
		v = NULL;
	}
	*ents = v;
	*nents = cnt;
	return 0;
}

static int
put_line(
    struct buf *b, uint32_t uid, const char *uniq, size_t len, long long size)
{
	if (len > MAILDIR_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (size < 0 || size > UIDLIST_SIZE_MAX)
		return buf_printf(
		    b, "%lu %.*s\n", (unsigned long)uid, (int)len, uniq);
	return buf_printf(
	    b, "%lu %.*s W=%lld\n", (unsigned long)uid, (int)len, uniq, size);
}

static int
put_header(struct buf *b, uint32_t validity, uint32_t next)
{
	return buf_printf(b, "%s%lu %lu\n", UIDLIST_MAGIC,
	    (unsigned long)validity, (unsigned long)next);
}

int
mailbox_uidlist_format(struct buf *b, uint32_t uidvalidity, uint32_t uidnext,
    const struct mailbox_uident *ents, size_t n)
{
	size_t i;

	if (put_header(b, uidvalidity, uidnext) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (put_line(b, ents[i].uid, ents[i].uniq, ents[i].len,
			ents[i].size) != 0)
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Locks and files. */

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/*
 * An fcntl(2) write lock on DIR/NAME (created when missing), waiting up
 * to wait_s seconds (0: not at all; EWOULDBLOCK then).  fcntl locks die
 * with the process, so a killed holder never leaves a stale lock.
 */
static int
lock_file(const char *dir, const char *name, int wait_s, int *fdp, char *err,
    size_t errlen)
{
	char p[PATH_MAX];
	struct flock fl;
	int64_t deadline;
	long delay = LOCK_SLEEP_MIN;
	int fd, saved;

	*fdp = -1;
	if (pathf(p, sizeof(p), dir, name, NULL) != 0)
		return fail(err, errlen, dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(err, errlen, p);
	deadline = util_now_ms() + (int64_t)wait_s * 1000;
	for (;;) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			*fdp = fd;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EACCES && errno != EAGAIN) {
			(void)fail(err, errlen, p);
			break;
		}
		if (wait_s == 0) {
			util_seterr(
			    err, errlen, "%s: in use by another session", p);
			errno = EWOULDBLOCK;
			break;
		}
		if (util_now_ms() >= deadline) {
			util_seterr(err, errlen, "%s: still locked after %d s",
			    p, wait_s);
			errno = EAGAIN;
			break;
		}
		sleep_ms(delay);
		if (delay < LOCK_SLEEP_MAX)
			delay *= 2;
	}
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static void
list_free(struct list *l)
{
	free(l->e);
	l->e = NULL;
	l->n = 0;
	buf_free(&l->text);
}

/*
 * Read and parse the UID list into l (l->state says how it went).  -1
 * only for trouble that may pass (no memory, no file descriptors), where
 * rebuilding the list would renumber every message for nothing.
 */
static int
list_read(const char *dir, struct list *l, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	int fd, rc;

	list_free(l);
	buf_init(&l->text, UIDLIST_FILE_MAX);
	l->validity = 0;
	l->next = 0;
	l->lost = 0;
	if (pathf(p, sizeof(p), dir, MAILBOX_UIDLIST, NULL) != 0)
		return fail(err, errlen, dir);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT) {
			l->state = LIST_MISSING;
			return 0;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
		    errno == EINTR)
			return fail(err, errlen, p);
		l->state = LIST_BAD;
		return 0;
	}
	/* One read for the whole list when fstat knows its size. */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (uintmax_t)st.st_size < UIDLIST_FILE_MAX)
		(void)buf_reserve(&l->text, (size_t)st.st_size + 1);
	rc = buf_read_fd(&l->text, fd);
	if (rc != 0 && errno == ENOMEM) {
		(void)fail(err, errlen, p);
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	if (rc != 0) {
		l->state = LIST_BAD;
		return 0;
	}
	if (mailbox_uidlist_parse(l->text.data, l->text.len, &l->validity,
		&l->next, &l->e, &l->n) == 0) {
		l->state = LIST_OK;
		return 0;
	}
	if (errno == ENOMEM)
		return fail(err, errlen, p);
	/* Corrupt: keep what can still be proven. */
	if (mailbox_uidlist_salvage(l->text.data, l->text.len, &l->validity,
		&l->next, &l->e, &l->n, &l->lost) == 0) {
		l->state = LIST_SALVAGED;
		return 0;
	}
	if (errno == ENOMEM)
		return fail(err, errlen, p);
	l->state = LIST_BAD;
	return 0;
}

/* Replace the UID list with the text in b (which it frees): temp file in
 * the Maildir root, fsync, rename, fsync of the root. */
static int
list_commit(const char *dir, struct buf *bp, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	struct buf b = *bp;
	int fd = -1, saved;

	if (pathf(tmp, sizeof(tmp), dir, UIDLIST_TMP, NULL) != 0 ||
	    pathf(dst, sizeof(dst), dir, MAILBOX_UIDLIST, NULL) != 0) {
		buf_free(&b);
		return fail(err, errlen, dir);
	}
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	if (util_write_all(fd, b.data, b.len) != 0 || fsync(fd) != 0)
		goto fail_unlink;
	if (close(fd) != 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, dst) != 0)
		goto fail_unlink;
	buf_free(&b);
	if (util_fsync_dir(dir) != 0)
		return fail(err, errlen, dir);
	return 0;
fail_unlink:
	saved = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	buf_free(&b);
	errno = saved;
	return fail(err, errlen, tmp);
}

/* Replace the UID list with v[0..n) (ascending UID). */
static int
list_write(const char *dir, const struct ent *v, size_t n, uint32_t validity,
    uint32_t next, char *err, size_t errlen)
{
	struct buf b;
	size_t i;
	int saved;

	buf_init(&b, UIDLIST_FILE_MAX);
	if (put_header(&b, validity, next) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (put_line(&b, v[i].uid, v[i].p, v[i].ulen, v[i].lsize) != 0)
			goto fail;
	return list_commit(dir, &b, err, errlen);
fail:
	saved = errno;
	buf_free(&b);
	errno = saved;
	return fail(err, errlen, dir);
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
	    !uniq_bytes_ok(de->d_name, mn->uniq_len))
		return 0;
	return regular(dfd, de);
}

/*
 * Call fn for every wanted entry of new/ and then cur/ (new/ first: a
 * message moved in between is seen at least once).  fn returns 0 to go
 * on, -1 with errno set (reported as "DIR/sub: why"), or -2 when it
 * wrote err itself.  0, or -1 with err set.
 */
typedef int walk_fn(void *arg, int sub, const char *name, size_t len,
    const struct maildir_name *mn, char *err, size_t errlen);

static int
walk(struct mailbox *mb, walk_fn *fn, void *arg, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct maildir_name mn;
	struct dirent *de;
	size_t len;
	int sub, rc, saved;
	DIR *d;

	for (sub = MAILBOX_NEW; sub <= MAILBOX_CUR; sub++) {
		if (pathf(p, sizeof(p), mb->dir, subname[sub], NULL) != 0)
			return fail(err, errlen, mb->dir);
		if ((d = opendir(p)) == NULL)
			return fail(err, errlen, p);
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
			return fail(err, errlen, p);
	}
	return 0;
}

struct scan_arg {
	struct mailbox *mb;
	struct scan *s;
	unsigned char pass;
	size_t count;
};

/* walk_fn of scan: one entry more in s. */
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
	e->uid = 0;
	e->sub = (unsigned char)sub;
	e->pass = a->pass;
	s->n++;
	a->count++;
	return 0;
}

/* Every message of new/ then cur/ into s (see walk). */
static int
scan(struct mailbox *mb, struct scan *s, unsigned char pass, char *err,
    size_t errlen)
{
	struct scan_arg a = {mb, s, pass, 0};

	return walk(mb, scan_one, &a, err, errlen);
}

/* UNIQ order; for one UNIQ the entry to keep first: cur/ over new/,
 * a later pass over an earlier one, then the name. */
static int
ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	int c = ucmp(a->p, a->ulen, b->p, b->ulen);

	if (c != 0)
		return c;
	if (a->sub != b->sub)
		return a->sub > b->sub ? -1 : 1;
	if (a->pass != b->pass)
		return a->pass > b->pass ? -1 : 1;
	return ucmp(a->p, a->len, b->p, b->len);
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
		if (ucmp(s->v[i].p, s->v[i].ulen, s->v[o - 1].p,
			s->v[o - 1].ulen) == 0)
			continue;
		s->v[o++] = s->v[i];
	}
	s->n = o;
}

/* Give each scanned entry its UID from the list (0: not there); count
 * the new ones and the list entries no file matched. */
static void
merge(struct scan *s, const struct list *l, size_t *fresh, size_t *dropped)
{
	size_t i = 0, j = 0;
	int c;

	*fresh = 0;
	*dropped = 0;
	while (i < s->n || j < l->n) {
		if (i == s->n)
			c = 1;
		else if (j == l->n)
			c = -1;
		else
			c = ucmp(
			    s->v[i].p, s->v[i].ulen, l->e[j].uniq, l->e[j].len);
		if (c == 0) {
			s->v[i].uid = l->e[j].uid;
			/* A size the name gives needs no line. */
			s->v[i].lsize = s->v[i].size < 0 ? l->e[j].size : -1;
			i++;
			j++;
		} else if (c < 0) {
			s->v[i].lsize = -1;
			s->v[i++].uid = 0;
			(*fresh)++;
		} else {
			j++;
			(*dropped)++;
		}
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
 * is. */
static uint32_t
new_validity(uint32_t old)
{
	uint32_t v = (uint32_t)time(NULL);

	if (v == 0 || v <= old)
		v = old + 1 == 0 ? 1 : old + 1;
	return v;
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
		mb->msgs[i].name_off = s->v[i].off;
		mb->msgs[i].uid = s->v[i].uid;
		mb->msgs[i].sub = s->v[i].sub;
		mb->msgs[i].gone = 0;
		mb->msgs[i].size =
		    s->v[i].size >= 0 ? s->v[i].size : s->v[i].lsize;
		mb->msgs[i].disk = s->v[i].disk;
		mb->msgs[i].learned = 0;
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
		if (pathf(p, sizeof(p), dir, subname[i], NULL) != 0)
			return fail(err, errlen, dir);
		if (stat(p, &st) != 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				goto not ;
			return fail(err, errlen, p);
		}
		if (!S_ISDIR(st.st_mode))
			goto not ;
	}
	return 0;
	not : util_seterr(
		  err, errlen, "%s: not a Maildir (no %s/)", dir, subname[i]);
	errno = ENOENT;
	return -1;
}

/* Bring the scan and the UID list together under the list lock;
 * seen_before: a missing list existed once (its lock file is there). */
static int
sync_locked(struct mailbox *mb, struct scan *s, struct list *l, int lfd,
    int seen_before, char *err, size_t errlen)
{
	struct timespec ts[2];
	struct stat st;
	size_t fresh, dropped, i, kept = 0;
	uint32_t validity, next;
	int changed = 0;
	char why[ERR_MAX];

	why[0] = '\0';
	if (list_read(mb->dir, l, err, errlen) != 0)
		return -1;
	if (l->state == LIST_OK || l->state == LIST_SALVAGED) {
		merge(s, l, &fresh, &dropped);
		if (dropped > 0) {
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
			merge(s, l, &fresh, &dropped);
		}
		validity = l->validity;
		next = l->next;
		changed = fresh > 0 || dropped > 0 || l->state == LIST_SALVAGED;
		kept = s->n - fresh;
		if (assign(s, &next, fresh) != 0) {
			if (errno != ERANGE)
				return fail(err, errlen, mb->dir);
			/* UIDs ran out: start over (RFC 3501 §2.3.1.1). */
			util_strlcpy(why, "UIDs used up", sizeof(why));
			l->state = LIST_BAD;
		}
	}
	if (l->state == LIST_SALVAGED)
		mb->repaired = 1;
	else if (l->state != LIST_OK) {
		/*
		 * The lock file's mtime is the last UIDVALIDITY given (set
		 * below): a deleted list still gets a greater one.
		 */
		if (l->state == LIST_MISSING && seen_before &&
		    fstat(lfd, &st) == 0 && st.st_mtime > 0 &&
		    (uintmax_t)st.st_mtime <= UINT32_MAX)
			l->validity = (uint32_t)st.st_mtime;
		validity = new_validity(l->validity);
		next = 1;
		for (i = 0; i < s->n; i++)
			s->v[i].uid = 0;
		if (assign(s, &next, s->n) != 0)
			return fail(err, errlen, mb->dir);
		changed = 1;
		if (l->state == LIST_BAD) {
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
	mb->uidvalidity = validity;
	mb->uidnext = next;
	if (build(mb, s) != 0)
		return fail(err, errlen, mb->dir);
	if (changed &&
	    list_write(mb->dir, s->v, s->n, validity, next, err, errlen) != 0)
		return -1;
	if (l->state != LIST_OK && l->state != LIST_SALVAGED) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)validity;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(lfd, ts);
	}
	if (mb->reset)
		util_seterr(err, errlen,
		    "%s/%s: %s, rebuilt with UIDVALIDITY %lu", mb->dir,
		    MAILBOX_UIDLIST, why, (unsigned long)validity);
	else if (mb->repaired)
		util_seterr(err, errlen,
		    "%s/%s: corrupt (%zu line%s dropped), repaired: %zu UIDs "
		    "kept, %zu given anew, UIDVALIDITY %lu kept",
		    mb->dir, MAILBOX_UIDLIST, l->lost, l->lost == 1 ? "" : "s",
		    kept, s->n - kept, (unsigned long)validity);
	return 0;
}

int
mailbox_open(
    struct mailbox *mb, const char *dir, int flags, char *err, size_t errlen)
{
	struct scan s = {NULL, 0, 0};
	struct list l;
	size_t fresh, dropped;
	int lfd = -1, rc = -1, saved, seen_before = 0;

	memset(mb, 0, sizeof(*mb));
	memset(&l, 0, sizeof(l));
	mb->lockfd = -1;
	buf_init(&mb->names, NAMES_MAX);
	if (util_strlcpy(mb->dir, dir, sizeof(mb->dir)) >= sizeof(mb->dir)) {
		errno = ENAMETOOLONG;
		(void)fail(err, errlen, dir);
		goto out;
	}
	if (is_maildir(mb->dir, err, errlen) != 0)
		goto out;
	if (flags & MAILBOX_POP3_EXCL) {
		if (lock_file(mb->dir, MAILBOX_POP3_LOCK, 0, &mb->lockfd, err,
			errlen) != 0)
			goto out;
		mb->locked = 1;
	}
	if (scan(mb, &s, 1, err, errlen) != 0)
		goto out;
	dedup(mb, &s);
	/* Most opens change nothing: no lock, no write. */
	if (list_read(mb->dir, &l, err, errlen) != 0)
		goto out;
	if (l.state == LIST_OK) {
		merge(&s, &l, &fresh, &dropped);
		if (fresh == 0 && dropped == 0) {
			mb->uidvalidity = l.validity;
			mb->uidnext = l.next;
			if (build(mb, &s) != 0) {
				(void)fail(err, errlen, mb->dir);
				goto out;
			}
			rc = 0;
			goto out;
		}
	}
	/* A missing list with a lock file beside it was deleted (the lock
	 * is made before the first list is written). */
	if (l.state == LIST_MISSING) {
		char lp[PATH_MAX];
		struct stat st;

		seen_before = pathf(lp, sizeof(lp), mb->dir,
				  MAILBOX_UIDLIST_LOCK, NULL) == 0 &&
		    lstat(lp, &st) == 0;
	}
	/* Another process may be numbering the same files: take the lock
	 * and read the list again, so both agree on every UID. */
	if (lock_file(mb->dir, MAILBOX_UIDLIST_LOCK, MAILBOX_LOCK_WAIT, &lfd,
		err, errlen) != 0)
		goto out;
	rc = sync_locked(mb, &s, &l, lfd, seen_before, err, errlen);
out:
	saved = errno;
	if (lfd >= 0)
		(void)close(lfd);
	list_free(&l);
	free(s.v);
	if (rc != 0)
		mailbox_close(mb);
	errno = saved;
	return rc;
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
	mb->locked = 0;
	mb->lockfd = -1;
}

/* ---------------------------------------------------------------- */
/* Messages. */

const char *
mailbox_name(const struct mailbox *mb, size_t i)
{
	if (i >= mb->n)
		return NULL;
	return mb->names.data + mb->msgs[i].name_off;
}

int
mailbox_path(const struct mailbox *mb, size_t i, char *out, size_t outlen)
{
	if (i >= mb->n) {
		errno = EINVAL;
		return -1;
	}
	return pathf(out, outlen, mb->dir, subname[mb->msgs[i].sub],
	    mailbox_name(mb, i));
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

/* The message with this UNIQ, or (size_t)-1. */
static size_t
find_uniq(const struct mailbox *mb, const char *u, size_t ulen)
{
	size_t lo = 0, hi = mb->n, mid, k;
	const char *name;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = mb->byuniq[mid];
		name = mailbox_name(mb, k);
		c = ucmp(u, ulen, name, uniq_len(name));
		if (c == 0)
			return k;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (size_t)-1;
}

/* Point message k at name in sub (a rename found on disk). */
static int
rename_entry(struct mailbox *mb, size_t k, int sub, const char *name,
    size_t len, const struct maildir_name *mn)
{
	struct mailbox_msg *m = &mb->msgs[k];
	size_t off = mb->names.len;

	if (m->sub == sub && strcmp(mailbox_name(mb, k), name) == 0)
		return 0;
	if (buf_append(&mb->names, name, len + 1) != 0)
		return -1;
	m->name_off = off;
	m->sub = (unsigned char)sub;
	if (m->size < 0)
		m->size = mn->vsize;
	if (m->disk < 0)
		m->disk = mn->size;
	return 0;
}

struct rescan_arg {
	struct mailbox *mb;
	unsigned char *seen;
};

/* walk_fn of rescan: point the message with this UNIQ at name. */
static int
rescan_one(void *arg, int sub, const char *name, size_t len,
    const struct maildir_name *mn, char *err, size_t errlen)
{
	struct rescan_arg *a = arg;
	size_t k = find_uniq(a->mb, name, mn->uniq_len);

	(void)err;
	(void)errlen;
	if (k == (size_t)-1)
		return 0; /* arrived after the open */
	if (rename_entry(a->mb, k, sub, name, len, mn) != 0)
		return -1;
	a->seen[k] = 1;
	return 0;
}

/*
 * Another client renamed files (flags changed, moved to cur/): read
 * new/ then cur/ once and point every message found at its current
 * name; seen[k] (n bytes) says which were found.  0, or -1 on a read
 * error.
 */
static int
rescan(struct mailbox *mb, unsigned char *seen, char *err, size_t errlen)
{
	struct rescan_arg a = {mb, seen};

	memset(seen, 0, mb->n);
	return walk(mb, rescan_one, &a, err, errlen);
}

/* Find message i again after ENOENT: 0 (renamed, entry updated) or -1
 * (ENOENT and gone set when it is truly gone). */
static int
relocate(struct mailbox *mb, size_t i, char *err, size_t errlen)
{
	unsigned char *seen = malloc(mb->n);
	char p[PATH_MAX];

	if (seen == NULL)
		return fail(err, errlen, mb->dir);
	if (rescan(mb, seen, err, errlen) != 0) {
		free(seen);
		return -1;
	}
	if (seen[i]) {
		free(seen);
		return 0;
	}
	free(seen);
	mb->msgs[i].gone = 1;
	if (mailbox_path(mb, i, p, sizeof(p)) != 0)
		util_strlcpy(p, mb->dir, sizeof(p));
	errno = ENOENT;
	return fail(err, errlen, p);
}

int
mailbox_open_msg(struct mailbox *mb, size_t i, char *err, size_t errlen)
{
	char p[PATH_MAX];
	int fd, tries;

	if (i >= mb->n) {
		errno = EINVAL;
		return fail(err, errlen, mb->dir);
	}
	for (tries = 0;; tries++) {
		if (mailbox_path(mb, i, p, sizeof(p)) != 0)
			return fail(err, errlen, mb->dir);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			mb->msgs[i].gone = 0;
			return fd;
		}
		if (errno != ENOENT || tries == RELOCATE_TRIES)
			return fail(err, errlen, p);
		if (relocate(mb, i, err, errlen) != 0)
			return -1;
	}
}

/* Bytes on the wire with CRLF line ends: each LF not after a CR counts
 * two (RFC 1939 §11, RFC 3501 §2.3.4 RFC822.SIZE). */
long long
mailbox_size(struct mailbox *mb, size_t i)
{
	char b[READ_CHUNK];
	long long disk = 0, wire = 0;
	unsigned char last = 0;
	const char *q, *end;
	ssize_t r;
	int fd, saved;

	if (i >= mb->n) {
		errno = EINVAL;
		return -1;
	}
	if (mb->msgs[i].size >= 0)
		return mb->msgs[i].size;
	fd = mailbox_open_msg(mb, i, NULL, 0);
	if (fd < 0)
		return -1;
	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			(void)close(fd);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		disk += r;
		wire += r;
		end = b + r;
		for (q = b; (q = memchr(q, '\n', (size_t)(end - q))) != NULL;
		     q++) {
			unsigned char prev =
			    q == b ? last : (unsigned char)q[-1];

			if (prev != '\r')
				wire++;
		}
		last = (unsigned char)b[r - 1];
	}
	(void)close(fd);
	mb->msgs[i].disk = disk;
	mb->msgs[i].size = wire;
	mb->msgs[i].learned = 1; /* for mailbox_save_sizes */
	return wire;
}

static int
uident_uid_cmp(const void *x, const void *y)
{
	const struct mailbox_uident *a = x, *b = y;

	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

int
mailbox_save_sizes(struct mailbox *mb, char *err, size_t errlen)
{
	struct list l;
	struct buf b;
	size_t i, k, changed = 0;
	int lfd = -1, rc = -1, saved;

	for (i = 0; i < mb->n && !mb->msgs[i].learned; i++)
		;
	if (i == mb->n)
		return 0;
	memset(&l, 0, sizeof(l));
	if (lock_file(mb->dir, MAILBOX_UIDLIST_LOCK, MAILBOX_SAVE_WAIT, &lfd,
		err, errlen) != 0)
		return -1;
	if (list_read(mb->dir, &l, err, errlen) != 0)
		goto out;
	/* Renumbered or damaged since our open: the next open sets the
	 * list right, and sizes are only a cache. */
	if (l.state != LIST_OK || l.validity != mb->uidvalidity) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		k = find_uniq(mb, l.e[i].uniq, l.e[i].len);
		if (k == (size_t)-1 || l.e[i].size >= 0 ||
		    mb->msgs[k].uid != l.e[i].uid || !mb->msgs[k].learned ||
		    mb->msgs[k].gone)
			continue;
		l.e[i].size = mb->msgs[k].size;
		changed++;
	}
	if (changed == 0) {
		rc = 0;
		goto out;
	}
	qsort(l.e, l.n, sizeof(*l.e), uident_uid_cmp);
	buf_init(&b, UIDLIST_FILE_MAX);
	if (mailbox_uidlist_format(&b, l.validity, l.next, l.e, l.n) != 0) {
		saved = errno;
		buf_free(&b);
		errno = saved;
		(void)fail(err, errlen, mb->dir);
		goto out;
	}
	if (list_commit(mb->dir, &b, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (rc == 0)
		for (i = 0; i < mb->n; i++)
			mb->msgs[i].learned = 0;
	(void)close(lfd);
	list_free(&l);
	errno = saved;
	return rc;
}

long long
mailbox_size_quick(struct mailbox *mb, size_t i)
{
	char p[PATH_MAX];
	struct stat st;
	int tries;

	if (i >= mb->n) {
		errno = EINVAL;
		return -1;
	}
	if (mb->msgs[i].size >= 0)
		return mb->msgs[i].size;
	if (mb->msgs[i].disk >= 0)
		return mb->msgs[i].disk;
	for (tries = 0;; tries++) {
		if (mailbox_path(mb, i, p, sizeof(p)) != 0)
			return -1;
		if (stat(p, &st) == 0)
			break;
		if (errno != ENOENT || tries == RELOCATE_TRIES ||
		    relocate(mb, i, NULL, 0) != 0)
			return -1;
		if (mb->msgs[i].size >= 0)
			return mb->msgs[i].size;
		if (mb->msgs[i].disk >= 0)
			return mb->msgs[i].disk;
	}
	mb->msgs[i].disk = (long long)st.st_size;
	return mb->msgs[i].disk;
}

int
mailbox_set_flags(
    struct mailbox *mb, size_t i, const char *flags, char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX], name[MAILDIR_NAME_MAX + 1];
	struct maildir_name mn;
	const char *cur;
	int tries;

	if (i >= mb->n) {
		errno = EINVAL;
		return fail(err, errlen, mb->dir);
	}
	for (tries = 0;; tries++) {
		cur = mailbox_name(mb, i);
		if (maildir_name_with_flags(
			cur, strlen(cur), flags, name, sizeof(name)) != 0) {
			util_seterr(
			    err, errlen, "%s: bad flags \"%s\"", cur, flags);
			return -1;
		}
		if (mb->msgs[i].sub == MAILBOX_CUR && strcmp(cur, name) == 0)
			return 0;
		if (mailbox_path(mb, i, from, sizeof(from)) != 0 ||
		    pathf(to, sizeof(to), mb->dir, "cur", name) != 0)
			return fail(err, errlen, mb->dir);
		if (rename(from, to) == 0)
			break;
		if (errno != ENOENT || tries == RELOCATE_TRIES)
			return fail(err, errlen, from);
		if (relocate(mb, i, err, errlen) != 0)
			return -1;
	}
	if (maildir_name_parse(name, strlen(name), &mn) != 0 ||
	    rename_entry(mb, i, MAILBOX_CUR, name, strlen(name), &mn) != 0)
		return fail(err, errlen, to);
	return 0;
}

const char *
mailbox_flags(const struct mailbox *mb, size_t i, char *out, size_t outlen)
{
	struct maildir_name mn;
	const char *name;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (i >= mb->n || mb->msgs[i].sub != MAILBOX_CUR)
		return out;
	name = mailbox_name(mb, i);
	if (maildir_name_parse(name, strlen(name), &mn) == 0 && mn.info == 2)
		util_strlcpy(out, mn.flags, outlen);
	return out;
}

/* unlink message i; 1 when it was not there (ENOENT). */
static int
unlink_one(struct mailbox *mb, size_t i, char *err, size_t errlen)
{
	char p[PATH_MAX];

	if (mailbox_path(mb, i, p, sizeof(p)) != 0)
		return fail(err, errlen, mb->dir);
	if (unlink(p) == 0) {
		mb->msgs[i].gone = 1;
		return 0;
	}
	if (errno == ENOENT)
		return 1;
	return fail(err, errlen, p);
}

/* Keep the first failure (errno and message) of a batch. */
static void
note(int *rc, int *first, char *err, size_t errlen, const char *why)
{
	if (*rc == 0) {
		*first = errno;
		if (err != NULL && errlen > 0)
			util_strlcpy(err, why, errlen);
	}
	*rc = -1;
}

int
mailbox_expunge(
    struct mailbox *mb, const size_t *idx, size_t n, char *err, size_t errlen)
{
	unsigned char *seen = NULL, *pend = NULL;
	char p[PATH_MAX], why[ERR_MAX];
	size_t k, i, missing;
	int rc = 0, first = 0, sub, tries, r;

	for (tries = 0;; tries++) {
		missing = 0;
		for (k = 0; k < n; k++) {
			i = idx[k];
			if (i >= mb->n) {
				if (tries == 0) {
					errno = EINVAL;
					(void)fail(why, sizeof(why), mb->dir);
					note(&rc, &first, err, errlen, why);
				}
				continue;
			}
			if (mb->msgs[i].gone || (tries > 0 && !pend[i]))
				continue;
			r = unlink_one(mb, i, why, sizeof(why));
			if (r < 0)
				note(&rc, &first, err, errlen, why);
			if (r <= 0) {
				if (pend != NULL)
					pend[i] = 0;
				continue;
			}
			if (pend == NULL) {
				pend = calloc(mb->n, 1);
				seen = malloc(mb->n);
				if (pend == NULL || seen == NULL) {
					errno = ENOMEM;
					(void)fail(why, sizeof(why), mb->dir);
					note(&rc, &first, err, errlen, why);
					goto sync;
				}
			}
			pend[i] = 1;
			missing++;
		}
		if (missing == 0)
			break;
		if (tries == RELOCATE_TRIES) {
			/* Renamed under us again and again: still there. */
			errno = EAGAIN;
			util_seterr(why, sizeof(why),
			    "%s: messages keep being renamed", mb->dir);
			note(&rc, &first, err, errlen, why);
			break;
		}
		/* Renamed by another client?  One pass finds them all; a
		   message not found is already gone, which is fine. */
		if (rescan(mb, seen, why, sizeof(why)) != 0) {
			note(&rc, &first, err, errlen, why);
			break;
		}
		for (k = 0; k < n; k++) {
			i = idx[k];
			if (i < mb->n && pend[i] && !seen[i]) {
				mb->msgs[i].gone = 1;
				pend[i] = 0;
			}
		}
	}
sync:
	/* Make the unlinks durable before the caller says +OK. */
	for (sub = MAILBOX_NEW; sub <= MAILBOX_CUR; sub++) {
		if (pathf(p, sizeof(p), mb->dir, subname[sub], NULL) != 0 ||
		    util_fsync_dir(p) != 0) {
			(void)fail(why, sizeof(why), p);
			note(&rc, &first, err, errlen, why);
		}
	}
	free(seen);
	free(pend);
	if (rc != 0)
		errno = first;
	return rc;
}
