/*
 * mailbox_copy.c: messages that arrive through IMAP: APPEND (a message
 * the caller wrote to tmp/), COPY (hard links, or copies across
 * filesystems) and MOVE.  Every message is on disk, fsynced, before it
 * gets its UID under the target's list lock, so an APPENDUID or COPYUID
 * (RFC 4315) names mail that survives a crash.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailbox_int.h"
#include "util.h"

#define COPY_CHUNK 65536
/* Tries for a fresh unique name when the link target exists. */
#define NAME_TRIES 3

/* One message put into a target Maildir, to be numbered. */
struct put {
	char name[MAILDIR_NAME_MAX + 1]; /* its file name there */
	int sub; /* enum mailbox_sub */
	uint64_t flags;
};

/*
 * Give the files v[0..n) of dir their UIDs under the list lock: the
 * UID another process gave one already (it scanned before us), else
 * UIDNEXT on, all at one new MODSEQ.
 */
static int
number(const char *dir, const struct put *v, size_t n, uint32_t *validity,
    uint32_t *uids, char *err, size_t errlen)
{
	struct mailbox_uident *e, *nv;
	struct mb_list l;
	size_t k, add = 0;
	uint64_t m;
	int lfd = -1, rc = -1, saved;

	if (mb_list_begin(dir, 0, &l, &lfd, err, errlen) != 0)
		return -1;
	for (k = 0; k < n; k++) {
		e = mb_list_find(&l, v[k].name, mb_uniq_len(v[k].name));
		uids[k] = e != NULL ? e->uid : 0;
		add += e == NULL;
	}
	*validity = l.u.uidvalidity;
	if (add == 0) {
		rc = 0;
		goto out;
	}
	if ((uint64_t)l.u.uidnext + add > UINT32_MAX ||
	    l.u.highestmodseq >= (uint64_t)MODSEQ_MAX ||
	    l.u.nents + add > MAILBOX_MSGS_MAX) {
		util_seterr(err, errlen, "%s/%s: no UID or MODSEQ left", dir,
		    MAILBOX_UIDLIST);
		errno = ERANGE;
		goto out;
	}
	if ((nv = realloc(l.u.ents, (l.u.nents + add) * sizeof(*nv))) == NULL) {
		(void)mb_fail(err, errlen, dir);
		goto out;
	}
	l.u.ents = nv;
	m = l.u.highestmodseq + 1;
	for (k = 0; k < n; k++) {
		if (uids[k] != 0)
			continue;
		e = &l.u.ents[l.u.nents++];
		memset(e, 0, sizeof(*e));
		e->uniq = v[k].name;
		e->len = mb_uniq_len(v[k].name);
		e->uid = uids[k] = l.u.uidnext++;
		e->size = -1; /* the name has ",W=" */
		e->modseq = m;
		e->flags = v[k].flags;
	}
	l.u.highestmodseq = m;
	if (mb_list_write(dir, &l.u, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	(void)close(lfd);
	mb_list_free(&l);
	errno = saved;
	return rc;
}

/* Take back files put into dir (best effort), then fsync. */
static void
unput(const char *dir, const struct put *v, size_t n)
{
	char p[PATH_MAX];
	size_t k;
	int sub;

	for (k = 0; k < n; k++)
		if (mb_pathf(p, sizeof(p), dir, mb_subname[v[k].sub],
			v[k].name) == 0)
			(void)unlink(p);
	for (sub = MAILBOX_NEW; sub <= MAILBOX_CUR; sub++)
		if (mb_pathf(p, sizeof(p), dir, mb_subname[sub], NULL) == 0)
			(void)util_fsync_dir(p);
}

/* Commit f (SYNCED) into new/, with its flags in the info, and describe
 * it in p: new/ so that it is \Recent (see mailbox.h). */
static int
commit(struct maildir_file *f, uint64_t flags, struct put *p, char *err,
    size_t errlen)
{
	struct maildir_file *one = f;
	char fl[MAILBOX_LETTERS_MAX];

	(void)mailbox_flags_letters(flags, fl);
	if (flags == 0 ? maildir_commit(&one, 1, err, errlen)
		       : maildir_commit_new_info(f, fl, err, errlen))
		return -1;
	util_strlcpy(p->name, f->final, sizeof(p->name));
	p->sub = MAILBOX_NEW;
	p->flags = flags;
	return 0;
}

/* Set the mtime of f's tmp file. */
static int
set_mtime(struct maildir_file *f, const struct timespec *mtime, char *err,
    size_t errlen)
{
	struct timespec ts[2];
	char p[PATH_MAX];

	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = *mtime;
	if (mb_pathf(p, sizeof(p), "tmp", f->name, NULL) != 0 ||
	    utimensat(f->dfd, p, ts, AT_SYMLINK_NOFOLLOW) != 0) {
		util_seterr(err, errlen, "%s/tmp/%s: %s", f->dir, f->name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
mailbox_append(const char *dir, struct maildir_file *f, uint64_t flags,
    const time_t *date, uint32_t *validity, uint32_t *uid, char *err,
    size_t errlen)
{
	struct timespec ts;
	struct put p;

	if (f->state != MAILDIR_SYNCED || f->dfd < 0 ||
	    (flags & ~MAILBOX_FLAGS_ALL) != 0) {
		maildir_abort(f);
		errno = EINVAL;
		return mb_fail(err, errlen, dir);
	}
	if (date != NULL) {
		ts.tv_sec = *date;
		ts.tv_nsec = 0;
		if (set_mtime(f, &ts, err, errlen) != 0) {
			maildir_abort(f);
			return -1;
		}
	}
	if (commit(f, flags, &p, err, errlen) != 0)
		return -1;
	if (number(dir, &p, 1, validity, uid, err, errlen) != 0) {
		/* No UID, no APPENDUID: take it back, the client retries. */
		unput(dir, &p, 1);
		return -1;
	}
	return 0;
}

/* Errors where link(2) cannot work and a copy may. */
static int
link_unsupported(int e)
{
	return e == EXDEV || e == EPERM || e == ENOSYS || e == EOPNOTSUPP ||
	    e == EMLINK;
}

/* Keyword letters of src's file mapped to the target's (see
 * mailbox_copy). */
static uint64_t
translate(uint64_t flags, const unsigned char *kwmap)
{
	uint64_t out;
	int b;

	if (kwmap == NULL)
		return flags;
	out = flags & ~MAILBOX_KEYWORD_FLAGS;
	for (b = 0; b < 26; b++)
		if ((flags & MAILBOX_FLAG('a' + b)) && kwmap[b] < 26)
			out |= MAILBOX_FLAG('a' + kwmap[b]);
	return out;
}

/* Copy the bytes of message i of src into a new file of dstdir (other
 * filesystem), with its mtime. */
static int
copy_bytes(struct mailbox *src, size_t i, const char *dstdir,
    struct maildir_namer *nm, uint64_t flags, struct put *p, char *err,
    size_t errlen)
{
	struct maildir_file f;
	struct stat st;
	char b[COPY_CHUNK];
	ssize_t r;
	int fd;

	if ((fd = mailbox_open_msg(src, i, err, errlen)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		(void)mb_fail(err, errlen, src->dir);
		(void)close(fd);
		return -1;
	}
	if (maildir_open(&f, dstdir, nm, err, errlen) != 0) {
		(void)close(fd);
		return -1;
	}
	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			(void)mb_fail(err, errlen, src->dir);
			goto fail;
		}
		if (r == 0)
			break;
		if (maildir_write(&f, b, (size_t)r, err, errlen) != 0)
			goto fail;
	}
	(void)close(fd);
	fd = -1;
	if (maildir_sync(&f, err, errlen) != 0 ||
	    set_mtime(&f, &st.st_mtim, err, errlen) != 0)
		goto fail;
	return commit(&f, flags, p, err, errlen);
fail:
	if (fd >= 0)
		(void)close(fd);
	maildir_abort(&f);
	return -1;
}

/* Link (or copy) message i of src into dstdir as a new message. */
static int
copy_one(struct mailbox *src, size_t i, const char *dstdir,
    const unsigned char *kwmap, struct maildir_namer *nm, struct put *p,
    char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX], u[MAILDIR_NAME_MAX + 1];
	char fl[MAILBOX_LETTERS_MAX];
	struct stat st;
	long long wire;
	int tries, names = 0, n;

	if (src->msgs[i].expunged) {
		errno = ENOENT;
		util_seterr(err, errlen, "%s: UID %lu expunged", src->dir,
		    (unsigned long)src->msgs[i].uid);
		return -1;
	}
	for (tries = 0;; tries++) {
		if (mailbox_path(src, i, from, sizeof(from)) != 0)
			return mb_fail(err, errlen, src->dir);
		if (lstat(from, &st) == 0)
			break;
		if (errno != ENOENT || tries == MB_RELOCATE_TRIES)
			return mb_fail(err, errlen, from);
		if (mb_relocate(src, i, err, errlen) != 0)
			return -1;
	}
	p->flags = translate(src->msgs[i].flags, kwmap);
	if ((wire = mailbox_size(src, i)) < 0)
		return mb_fail(err, errlen, from);
	/* RFC 3501 §6.4.7: "the \Recent flag SHOULD be set in the copy":
	   new/, with the info when there are flags (see mailbox.h). */
	p->sub = MAILBOX_NEW;
	(void)mailbox_flags_letters(p->flags, fl);
	for (;;) {
		if (maildir_unique(nm, u, sizeof(u)) != 0)
			return mb_fail(err, errlen, dstdir);
		n = snprintf(p->name, sizeof(p->name), "%s,S=%lld,W=%lld%s%s",
		    u, (long long)st.st_size, wire,
		    p->flags != 0 ? ":2," : "", fl);
		if (n < 0 || (size_t)n >= sizeof(p->name) ||
		    n > MAILDIR_NAME_MAX ||
		    mb_pathf(to, sizeof(to), dstdir, mb_subname[p->sub],
			p->name) != 0) {
			errno = ENAMETOOLONG;
			return mb_fail(err, errlen, dstdir);
		}
		if (link(from, to) == 0)
			return 0;
		if (errno == EEXIST && ++names < NAME_TRIES)
			continue;
		if (link_unsupported(errno))
			return copy_bytes(
			    src, i, dstdir, nm, p->flags, p, err, errlen);
		if (errno == ENOENT && tries++ < MB_RELOCATE_TRIES) {
			/* Renamed between the lstat and the link. */
			if (mb_relocate(src, i, err, errlen) != 0 ||
			    mailbox_path(src, i, from, sizeof(from)) != 0)
				return -1;
			continue;
		}
		return mb_fail(err, errlen, to);
	}
}

int
mailbox_copy(struct mailbox *src, const size_t *idx, size_t n,
    const char *dstdir, const unsigned char *kwmap, struct maildir_namer *nm,
    uint32_t *validity, uint32_t *uids, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct put *v;
	size_t k;
	int sub, saved;

	for (k = 0; k < n; k++)
		if (idx[k] >= src->n) {
			errno = EINVAL;
			return mb_fail(err, errlen, src->dir);
		}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return mb_fail(err, errlen, src->dir);
	for (k = 0; k < n; k++)
		if (copy_one(src, idx[k], dstdir, kwmap, nm, &v[k], err,
			errlen) != 0)
			goto undo;
	/* The links durable before any UID is given for them. */
	for (sub = MAILBOX_NEW; sub <= MAILBOX_CUR; sub++)
		if (mb_pathf(p, sizeof(p), dstdir, mb_subname[sub], NULL) !=
			0 ||
		    util_fsync_dir(p) != 0) {
			(void)mb_fail(err, errlen, p);
			goto undo;
		}
	if (number(dstdir, v, n, validity, uids, err, errlen) != 0)
		goto undo;
	free(v);
	return 0;
undo:
	saved = errno;
	unput(dstdir, v, k < n ? k : n);
	free(v);
	errno = saved;
	return -1;
}

int
mailbox_move(struct mailbox *src, const size_t *idx, size_t n,
    const char *dstdir, const unsigned char *kwmap, struct maildir_namer *nm,
    uint32_t *validity, uint32_t *uids, uint64_t *modseq, char *err,
    size_t errlen)
{
	*modseq = 0;
	if (mailbox_copy(src, idx, n, dstdir, kwmap, nm, validity, uids, err,
		errlen) != 0)
		return -1;
	return mailbox_remove(src, idx, n, modseq, err, errlen);
}
