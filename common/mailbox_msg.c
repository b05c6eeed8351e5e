/*
 * mailbox_msg.c: one message of an open mailbox: its name and path,
 * finding it again after another client renamed it, reading it, its
 * sizes and internal date, POP3's flag change and deletion.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockfile.h"
#include "mailbox_int.h"
#include "util.h"

#define READ_CHUNK 32768

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
	return mb_pathf(out, outlen, mb->dir, mb_subname[mb->msgs[i].sub],
	    mailbox_name(mb, i));
}

size_t
mb_find_uniq(const struct mailbox *mb, const char *u, size_t ulen)
{
	size_t lo = 0, hi = mb->n, mid, k;
	const char *name;
	int c;

	if (mb->byuniq == NULL)
		return (size_t)-1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = mb->byuniq[mid];
		name = mailbox_name(mb, k);
		c = mb_ucmp(u, ulen, name, mb_uniq_len(name));
		if (c == 0)
			return k;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (size_t)-1;
}

int
mb_rename_entry(
    struct mailbox *mb, size_t k, int sub, const char *name, size_t len)
{
	struct mailbox_msg *m = &mb->msgs[k];
	struct maildir_name mn;
	size_t off = mb->names.len;

	if (m->sub == sub && strcmp(mailbox_name(mb, k), name) == 0)
		return 0;
	if (maildir_name_parse(name, len, &mn) != 0)
		return -1;
	if (off >= MAILBOX_NAMES_MAX) {
		errno = EFBIG;
		return -1;
	}
	if (buf_append(&mb->names, name, len + 1) != 0)
		return -1;
	m->name_off = (uint32_t)off;
	m->sub = (unsigned char)sub;
	if (m->size < 0)
		m->size = mn.vsize;
	if (m->disk < 0)
		m->disk = mn.size;
	m->flags = 0;
	if (mn.info == 2)
		(void)mailbox_flags_parse(
		    mn.flags, strlen(mn.flags), &m->flags);
	return 0;
}

struct rescan_arg {
	struct mailbox *mb;
	unsigned char *seen;
};

/* mb_walk_fn of rescan: point the message with this UNIQ at name. */
static int
rescan_one(void *arg, int sub, const char *name, size_t len,
    const struct maildir_name *mn, char *err, size_t errlen)
{
	struct rescan_arg *a = arg;
	size_t k = mb_find_uniq(a->mb, name, mn->uniq_len);

	(void)err;
	(void)errlen;
	if (k == (size_t)-1)
		return 0; /* arrived after the open */
	if (mb_rename_entry(a->mb, k, sub, name, len) != 0)
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
	return mb_walk(mb->dir, rescan_one, &a, err, errlen);
}

int
mb_relocate(struct mailbox *mb, size_t i, char *err, size_t errlen)
{
	unsigned char *seen = malloc(mb->n);
	char p[PATH_MAX];

	if (seen == NULL)
		return mb_fail(err, errlen, mb->dir);
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
	return mb_fail(err, errlen, p);
}

int
mailbox_open_msg(struct mailbox *mb, size_t i, char *err, size_t errlen)
{
	char p[PATH_MAX];
	int fd, tries;

	if (i >= mb->n) {
		errno = EINVAL;
		return mb_fail(err, errlen, mb->dir);
	}
	for (tries = 0;; tries++) {
		if (mailbox_path(mb, i, p, sizeof(p)) != 0)
			return mb_fail(err, errlen, mb->dir);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			mb->msgs[i].gone = 0;
			return fd;
		}
		if (errno != ENOENT || tries == MB_RELOCATE_TRIES)
			return mb_fail(err, errlen, p);
		if (mb_relocate(mb, i, err, errlen) != 0)
			return -1;
	}
}

int
mailbox_internaldate(
    struct mailbox *mb, size_t i, struct timespec *ts, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	int tries;

	if (i >= mb->n) {
		errno = EINVAL;
		return mb_fail(err, errlen, mb->dir);
	}
	for (tries = 0;; tries++) {
		if (mailbox_path(mb, i, p, sizeof(p)) != 0)
			return mb_fail(err, errlen, mb->dir);
		if (stat(p, &st) == 0)
			break;
		if (errno != ENOENT || tries == MB_RELOCATE_TRIES)
			return mb_fail(err, errlen, p);
		if (mb_relocate(mb, i, err, errlen) != 0)
			return -1;
	}
	*ts = st.st_mtim;
	return 0;
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

int
mailbox_save_sizes(struct mailbox *mb, char *err, size_t errlen)
{
	struct mb_list l;
	size_t i, k, changed = 0;
	int lfd = -1, rc = -1, saved;

	for (i = 0; i < mb->n && !mb->msgs[i].learned; i++)
		;
	if (i == mb->n)
		return 0;
	memset(&l, 0, sizeof(l));
	if (lockfile_lock(mb->dir, MAILBOX_UIDLIST_LOCK, MAILBOX_SAVE_WAIT,
		&lfd, err, errlen) != 0)
		return -1;
	if (mb_list_read(mb->dir, &l, err, errlen) != 0)
		goto out;
	/* Renumbered, damaged or old since our open: the next open sets
	   the list right, and sizes are only a cache. */
	if (l.state != MB_LIST_OK || l.u.version != 2 ||
	    l.u.uidvalidity != mb->uidvalidity) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < l.u.nents; i++) {
		struct mailbox_uident *e = &l.u.ents[i];

		k = mb_find_uniq(mb, e->uniq, e->len);
		if (k == (size_t)-1 || e->size >= 0 ||
		    mb->msgs[k].uid != e->uid || !mb->msgs[k].learned ||
		    mb->msgs[k].gone)
			continue;
		e->size = mb->msgs[k].size;
		changed++;
	}
	if (changed == 0) {
		rc = 0;
		goto out;
	}
	if (mb_list_write(mb->dir, &l.u, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (rc == 0)
		for (i = 0; i < mb->n; i++)
			mb->msgs[i].learned = 0;
	(void)close(lfd);
	mb_list_free(&l);
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
		if (errno != ENOENT || tries == MB_RELOCATE_TRIES ||
		    mb_relocate(mb, i, NULL, 0) != 0)
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
	const char *cur;
	int tries;

	if (i >= mb->n) {
		errno = EINVAL;
		return mb_fail(err, errlen, mb->dir);
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
		    mb_pathf(to, sizeof(to), mb->dir, "cur", name) != 0)
			return mb_fail(err, errlen, mb->dir);
		if (rename(from, to) == 0)
			break;
		if (errno != ENOENT || tries == MB_RELOCATE_TRIES)
			return mb_fail(err, errlen, from);
		if (mb_relocate(mb, i, err, errlen) != 0)
			return -1;
	}
	if (mb_rename_entry(mb, i, MAILBOX_CUR, name, strlen(name)) != 0)
		return mb_fail(err, errlen, to);
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
		return mb_fail(err, errlen, mb->dir);
	if (unlink(p) == 0) {
		mb->msgs[i].gone = 1;
		return 0;
	}
	if (errno == ENOENT)
		return 1;
	return mb_fail(err, errlen, p);
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
					(void)mb_fail(
					    why, sizeof(why), mb->dir);
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
					(void)mb_fail(
					    why, sizeof(why), mb->dir);
					note(&rc, &first, err, errlen, why);
					goto sync;
				}
			}
			pend[i] = 1;
			missing++;
		}
		if (missing == 0)
			break;
		if (tries == MB_RELOCATE_TRIES) {
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
		if (mb_pathf(p, sizeof(p), mb->dir, mb_subname[sub], NULL) !=
			0 ||
		    util_fsync_dir(p) != 0) {
			(void)mb_fail(why, sizeof(why), p);
			note(&rc, &first, err, errlen, why);
		}
	}
	free(seen);
	free(pend);
	if (rc != 0)
		errno = first;
	return rc;
}
