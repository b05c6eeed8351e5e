/*
 * queue.c: the queue directory (see queue.h): enqueue the Maildir way,
 * list, load under a lock, append to the journal, compact, remove.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "util.h"

/* Tries to find a free ID, and to lock a file that is still in q/. */
#define QUEUE_NAME_TRIES 100
#define QUEUE_LOCK_TRIES 100

/* Fail with "dir/sub/name: why" (errno kept). */
static int
fail(const struct queue *q, const char *sub, const char *name, char *err,
    size_t errlen)
{
	int saved = errno;

	util_seterr(err, errlen, "%s%s%s%s%s: %s", q->dir, sub ? "/" : "",
	    sub ? sub : "", name ? "/" : "", name ? name : "",
	    strerror(saved));
	errno = saved;
	return -1;
}

/* A directory under dfd (made when create), opened O_DIRECTORY. */
static int
subdir(int dfd, const char *name, int create)
{
	int fd;

	if ((fd = openat(dfd, name,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1 ||
	    !create || errno != ENOENT)
		return fd;
	if (mkdirat(dfd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
}

int
queue_open(struct queue *q, const char *dir, int create, char *err,
    size_t errlen)
{
	memset(q, 0, sizeof(*q));
	q->dfd = q->tfd = q->qfd = -1;
	if (util_strlcpy(q->dir, dir, sizeof(q->dir)) >= sizeof(q->dir)) {
		errno = ENAMETOOLONG;
		return fail(q, NULL, NULL, err, errlen);
	}
	if (create && util_mkdirs(q->dir, NULL) == -1)
		return fail(q, NULL, NULL, err, errlen);
	if ((q->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return fail(q, NULL, NULL, err, errlen);
	if ((q->tfd = subdir(q->dfd, "tmp", create)) == -1) {
		(void)fail(q, "tmp", NULL, err, errlen);
		goto bad;
	}
	if ((q->qfd = subdir(q->dfd, "q", create)) == -1) {
		(void)fail(q, "q", NULL, err, errlen);
		goto bad;
	}
	if (create && fsync(q->dfd) == -1) {
		(void)fail(q, NULL, NULL, err, errlen);
		goto bad;
	}
	return 0;
bad:
	queue_close(q);
	return -1;
}

/* Forget the held messages: closed, their tmp/ files removed. */
static void
drop_held(struct queue *q, size_t linked)
{
	size_t i;

	for (i = 0; i < q->nheld; i++) {
		if (q->held[i].fd != -1)
			(void)close(q->held[i].fd);
		if (i < linked)
			(void)unlinkat(q->qfd, q->held[i].id, 0);
		(void)unlinkat(q->tfd, q->held[i].id, 0);
	}
	q->nheld = 0;
}

void
queue_hold(struct queue *q)
{
	q->hold = 1;
}

int
queue_commit(struct queue *q, char *err, size_t errlen)
{
	size_t i, linked = 0;
	int e;

	/* The first sync writes them all (one journal commit); the
	   others find little left to do. */
	for (i = 0; i < q->nheld; i++) {
		if (fsync(q->held[i].fd) == -1 || close(q->held[i].fd) == -1) {
			q->held[i].fd = -1;
			(void)fail(q, "tmp", q->held[i].id, err, errlen);
			goto bad;
		}
		q->held[i].fd = -1;
	}
	for (; linked < q->nheld; linked++)
		if (linkat(q->tfd, q->held[linked].id, q->qfd,
			q->held[linked].id, 0) == -1) {
			(void)fail(q, "q", q->held[linked].id, err, errlen);
			goto bad;
		}
	if (q->nheld > 0 && fsync(q->qfd) == -1) {
		(void)fail(q, "q", NULL, err, errlen);
		goto bad;
	}
	for (i = 0; i < q->nheld; i++)
		(void)unlinkat(q->tfd, q->held[i].id, 0);
	q->nheld = 0;
	return 0;
bad:
	e = errno;
	drop_held(q, linked);
	errno = e;
	return -1;
}

void
queue_close(struct queue *q)
{
	int saved = errno;

	drop_held(q, 0);
	if (q->dfd != -1)
		(void)close(q->dfd);
	if (q->tfd != -1)
		(void)close(q->tfd);
	if (q->qfd != -1)
		(void)close(q->qfd);
	q->dfd = q->tfd = q->qfd = -1;
	errno = saved;
}

/* A new ID: the time (so IDs sort by age), the process, chance. */
static void
new_id(struct queue *q, char *id, size_t len)
{
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	q->seq++;
	(void)snprintf(id, len, "%09llX%05lX%06lX%04X",
	    (unsigned long long)tv.tv_sec, (unsigned long)tv.tv_usec,
	    (unsigned long)getpid() & 0xffffffUL,
	    (unsigned)((util_random() ^ q->seq) & 0xffff));
}

/* Write the size, fixed width, at off. */
static int
patch_size(int fd, off_t off, uint64_t size)
{
	char d[QUEUE_SIZE_DIGITS + 1];

	(void)snprintf(d, sizeof(d), "%0*llu", QUEUE_SIZE_DIGITS,
	    (unsigned long long)size);
	return pwrite(fd, d, QUEUE_SIZE_DIGITS, off) == QUEUE_SIZE_DIGITS
	    ? 0
	    : -1;
}

int
queue_add(struct queue *q, struct queue_env *e,
    int (*write)(void *arg, int fd, char *err, size_t errlen), void *arg,
    char *err, size_t errlen)
{
	struct buf h;
	const char *sz;
	off_t end;
	int fd = -1, i, linked = 0;

	buf_init(&h, QUEUE_HEADER_MAX);
	if (e->created == 0)
		e->created = (int64_t)time(NULL);
	if (q->hold && q->nheld == QUEUE_HOLD_MAX) {
		errno = EAGAIN;
		util_seterr(err, errlen, "%s: %d messages held: commit first",
		    q->dir, QUEUE_HOLD_MAX);
		goto out;
	}
	for (i = 0; i < QUEUE_NAME_TRIES; i++) {
		new_id(q, e->id, sizeof(e->id));
		fd = openat(q->tfd, e->id,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		(void)fail(q, "tmp", e->id, err, errlen);
		goto out;
	}
	if (queue_env_format(e, 0, &h) == -1 ||
	    (sz = strstr(h.data, "\nsize ")) == NULL) {
		errno = ENOMEM;
		(void)fail(q, "tmp", e->id, err, errlen);
		goto bad;
	}
	if (util_write_all(fd, h.data, h.len) == -1) {
		(void)fail(q, "tmp", e->id, err, errlen);
		goto bad;
	}
	if (write(arg, fd, err, errlen) == -1)
		goto bad;
	if ((end = lseek(fd, 0, SEEK_CUR)) == -1 ||
	    patch_size(fd, (off_t)(sz - h.data) + 6,
		(uint64_t)(end - (off_t)h.len)) == -1 ||
	    (!q->hold && fsync(fd) == -1)) {
		(void)fail(q, "tmp", e->id, err, errlen);
		goto bad;
	}
	if (q->hold) {
		/* queue_commit syncs and links it. */
		(void)util_strlcpy(q->held[q->nheld].id, e->id,
		    sizeof(q->held[q->nheld].id));
		q->held[q->nheld++].fd = fd;
		buf_free(&h);
		return 0;
	}
	if (close(fd) == -1) {
		fd = -1;
		(void)fail(q, "tmp", e->id, err, errlen);
		goto bad;
	}
	fd = -1;
	if (linkat(q->tfd, e->id, q->qfd, e->id, 0) == -1) {
		(void)fail(q, "q", e->id, err, errlen);
		goto bad;
	}
	linked = 1;
	if (fsync(q->qfd) == -1) {
		(void)fail(q, "q", NULL, err, errlen);
		goto bad;
	}
	(void)unlinkat(q->tfd, e->id, 0);
	buf_free(&h);
	return 0;
bad:
	i = errno;
	if (fd != -1)
		(void)close(fd);
	if (linked)
		(void)unlinkat(q->qfd, e->id, 0);
	(void)unlinkat(q->tfd, e->id, 0);
	errno = i;
out:
	buf_free(&h);
	return -1;
}

static int
cmp_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
queue_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int
queue_ids(struct queue *q, char ***idsp, size_t *np, char *err, size_t errlen)
{
	struct dirent *de;
	char **ids = NULL;
	size_t n = 0, cap = 0;
	void *p;
	DIR *d;
	int fd;

	*idsp = NULL;
	*np = 0;
	if ((fd = dup(q->qfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return fail(q, "q", NULL, err, errlen);
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) > QUEUE_ID_MAX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(ids, cap * sizeof(*ids))) == NULL)
				goto nomem;
			ids = p;
		}
		if ((ids[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
		errno = 0;
	}
	if (errno != 0) {
		(void)fail(q, "q", NULL, err, errlen);
		goto bad;
	}
	(void)closedir(d);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_ids);
	*idsp = ids;
	*np = n;
	return 0;
nomem:
	errno = ENOMEM;
	(void)fail(q, "q", NULL, err, errlen);
bad:
	(void)closedir(d);
	queue_ids_free(ids, n);
	return -1;
}

/* Read the envelope and the journal of fd into e.  0 or -1. */
static int
load(struct queue *q, const char *id, int fd, struct queue_env *e, char *err,
    size_t errlen)
{
	char perr[ERR_MAX];
	struct buf b;
	struct stat st;
	ssize_t got, hlen = 0;
	size_t want;
	uint64_t jlen;
	off_t jat;
	int rc = -1;

	buf_init(&b, QUEUE_HEADER_MAX > QUEUE_JOURNAL_MAX ? QUEUE_HEADER_MAX
							  : QUEUE_JOURNAL_MAX);
	if (fstat(fd, &st) == -1) {
		(void)fail(q, "q", id, err, errlen);
		goto out;
	}
	/* The envelope: read until its blank line. */
	while (hlen == 0) {
		/* Doubling: a long envelope is parsed a few times, not
		   once per chunk. */
		want = b.len < 16384 ? 16384 : b.len;
		if (b.len + want > QUEUE_HEADER_MAX)
			want = QUEUE_HEADER_MAX - b.len;
		if (want == 0 || buf_reserve(&b, want) == -1) {
			errno = want == 0 ? EFBIG : ENOMEM;
			(void)fail(q, "q", id, err, errlen);
			goto out;
		}
		got = pread(fd, b.data + b.len, want, (off_t)b.len);
		if (got == -1) {
			(void)fail(q, "q", id, err, errlen);
			goto out;
		}
		b.len += (size_t)got;
		hlen = queue_env_parse(e, b.data, b.len, perr, sizeof(perr));
		if (hlen == -1 || (hlen == 0 && got == 0)) {
			util_seterr(err, errlen, "%s/q/%s: %s", q->dir, id,
			    hlen == -1 ? perr : "the envelope is cut short");
			errno = EINVAL;
			goto out;
		}
		if (hlen == 0) {
			/* The parse starts over with more bytes. */
			queue_env_free(e);
			queue_env_init(e);
		}
	}
	if (strcmp(e->id, id) != 0) {
		util_seterr(err, errlen, "%s/q/%s: the envelope says id %s",
		    q->dir, id, e->id);
		errno = EINVAL;
		goto out;
	}
	e->msg_off = (off_t)hlen;
	jat = (off_t)hlen + (off_t)e->size;
	if (jat < (off_t)hlen || st.st_size < jat) {
		util_seterr(err, errlen, "%s/q/%s: the message is cut short "
		    "(%lld of %llu bytes)", q->dir, id,
		    (long long)(st.st_size - hlen),
		    (unsigned long long)e->size);
		errno = EINVAL;
		goto out;
	}
	jlen = (uint64_t)(st.st_size - jat);
	if (jlen > QUEUE_JOURNAL_MAX) {
		util_seterr(err, errlen, "%s/q/%s: a journal over %d bytes",
		    q->dir, id, QUEUE_JOURNAL_MAX);
		errno = EFBIG;
		goto out;
	}
	buf_reset(&b);
	if (jlen > 0) {
		if (buf_reserve(&b, (size_t)jlen) == -1) {
			(void)fail(q, "q", id, err, errlen);
			goto out;
		}
		if ((got = pread(fd, b.data, (size_t)jlen, jat)) !=
		    (ssize_t)jlen) {
			if (got >= 0)
				errno = EIO;
			(void)fail(q, "q", id, err, errlen);
			goto out;
		}
		b.len = (size_t)jlen;
	}
	if ((got = queue_journal_apply(e, b.data, b.len, perr,
		 sizeof(perr))) == -1) {
		util_seterr(err, errlen, "%s/q/%s: %s", q->dir, id, perr);
		errno = EINVAL;
		goto out;
	}
	e->end = jat + (off_t)got;
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

int
queue_load(struct queue *q, const char *id, int lock, int wait,
    struct queue_env *e, int *fdp, char *err, size_t errlen)
{
	struct flock fl;
	struct stat a, b;
	int fd, i;

	*fdp = -1;
	if (!queue_id_valid(id)) {
		errno = EINVAL;
		util_seterr(err, errlen, "%s: not a queue ID", id);
		return -1;
	}
	for (i = 0; i < QUEUE_LOCK_TRIES; i++) {
		fd = openat(q->qfd, id,
		    (lock ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			return fail(q, "q", id, err, errlen);
		if (!lock)
			break;
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) == -1) {
			if (errno == EACCES || errno == EAGAIN)
				errno = EWOULDBLOCK;
			(void)fail(q, "q", id, err, errlen);
			(void)close(fd);
			return -1;
		}
		/* Compacted (renamed over) or removed while we waited? */
		if (fstat(fd, &a) == 0 &&
		    fstatat(q->qfd, id, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		i = errno;
		(void)close(fd);
		fd = -1;
		if (i == ENOENT) {
			errno = ENOENT;
			return fail(q, "q", id, err, errlen);
		}
	}
	if (fd == -1) {
		errno = EAGAIN;
		return fail(q, "q", id, err, errlen);
	}
	if (load(q, id, fd, e, err, errlen) == -1) {
		i = errno;
		(void)close(fd);
		errno = i;
		return -1;
	}
	*fdp = fd;
	return 0;
}

int
queue_append(struct queue_env *e, int fd, const struct buf *b, char *err,
    size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		goto bad;
	/* A line torn by a crash goes before anything follows it. */
	if (st.st_size > e->end && ftruncate(fd, e->end) == -1)
		goto bad;
	if (b->len > 0) {
		if (pwrite(fd, b->data, b->len, e->end) != (ssize_t)b->len) {
			if (errno == 0)
				errno = ENOSPC;
			goto bad;
		}
	}
	if (fdatasync(fd) == -1)
		goto bad;
	e->end += (off_t)b->len;
	return 0;
bad:
	util_seterr(err, errlen, "queue file %s: %s", e->id, strerror(errno));
	/* What was half written is cut at the next append. */
	return -1;
}

/* Copy len bytes at off of fd to the end of out. */
static int
copy(int fd, off_t off, uint64_t len, int out)
{
	char chunk[65536];
	ssize_t n;
	size_t want;

	while (len > 0) {
		want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		if ((n = pread(fd, chunk, want, off)) <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		if (util_write_all(out, chunk, (size_t)n) == -1)
			return -1;
		off += n;
		len -= (uint64_t)n;
	}
	return 0;
}

int
queue_compact(struct queue *q, struct queue_env *e, int *fdp, char *err,
    size_t errlen)
{
	char tmp[QUEUE_ID_MAX + 16];
	struct flock fl;
	struct buf b;
	off_t end;
	size_t i;
	int fd = -1, saved;

	buf_init(&b, QUEUE_HEADER_MAX + QUEUE_JOURNAL_MAX);
	(void)snprintf(tmp, sizeof(tmp), "%s.compact", e->id);
	(void)unlinkat(q->tfd, tmp, 0);
	if ((fd = openat(q->tfd, tmp,
		 O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) ==
	    -1) {
		(void)fail(q, "tmp", tmp, err, errlen);
		goto out;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == -1 ||
	    queue_env_format(e, e->size, &b) == -1 ||
	    util_write_all(fd, b.data, b.len) == -1 ||
	    copy(*fdp, e->msg_off, e->size, fd) == -1) {
		(void)fail(q, "tmp", tmp, err, errlen);
		goto bad;
	}
	end = (off_t)b.len + (off_t)e->size;
	buf_reset(&b);
	for (i = 0; i < e->nr; i++)
		if ((e->r[i].state != QUEUE_PENDING || e->r[i].tries > 0 ||
			e->r[i].warned) &&
		    queue_journal_rcpt(e, i, &b) == -1) {
			errno = ENOMEM;
			(void)fail(q, "tmp", tmp, err, errlen);
			goto bad;
		}
	if (util_write_all(fd, b.data, b.len) == -1 || fsync(fd) == -1) {
		(void)fail(q, "tmp", tmp, err, errlen);
		goto bad;
	}
	if (renameat(q->tfd, tmp, q->qfd, e->id) == -1) {
		(void)fail(q, "q", e->id, err, errlen);
		goto bad;
	}
	if (fsync(q->qfd) == -1) {
		/* The rename happened; the new file is the one now. */
		(void)fail(q, "q", NULL, err, errlen);
		(void)close(*fdp);
		*fdp = fd;
		e->msg_off = end - (off_t)e->size;
		e->end = end + (off_t)b.len;
		goto out;
	}
	(void)close(*fdp);
	*fdp = fd;
	e->msg_off = end - (off_t)e->size;
	e->end = end + (off_t)b.len;
	buf_free(&b);
	return 0;
bad:
	saved = errno;
	(void)close(fd);
	(void)unlinkat(q->tfd, tmp, 0);
	errno = saved;
out:
	buf_free(&b);
	return -1;
}

int
queue_remove(struct queue *q, const char *id, char *err, size_t errlen)
{
	if (!queue_id_valid(id)) {
		errno = EINVAL;
		util_seterr(err, errlen, "%s: not a queue ID", id);
		return -1;
	}
	/* No fsync of q/: the journal that says every recipient is done
	   is synced already, so a removal a crash forgets only brings
	   back a file the next runner removes again, sending nothing. */
	if (unlinkat(q->qfd, id, 0) == -1 && errno != ENOENT)
		return fail(q, "q", id, err, errlen);
	return 0;
}
