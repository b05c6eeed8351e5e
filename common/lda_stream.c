/*
 * lda_stream.c: the message stream and the targets it goes into.
 *
 * The message is streamed: read in chunks, a leading mbox "From " line
 * dropped, CRLF turned into LF, NUL bytes refused, and written to every
 * target's tmp file with that target's Return-Path and Delivered-To
 * lines in front (one write with the first chunk).  Then every tmp file
 * is fsynced and only then linked into new/ (maildir_commit).
 *
 * As root with several owners the converted stream goes to an unlinked
 * spool file first; each owner's child then copies it into that
 * owner's targets.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lda_impl.h"
#include "util.h"

/* Bytes read at a time, and output kept before a write. */
#define IN_CHUNK (64 * 1024)
#define FLUSH_AT (128 * 1024)

/* Scanner state for the stream: see convert(). */
enum { ST_START, ST_SKIP, ST_BODY };

typedef int (*sink_fn)(struct lda_run *, char *, size_t);

/* Is t one of the targets this process writes? */
static int
mine(const struct lda_run *r, const struct lda_target *t)
{
	return r->group == LDA_GROUP_ALL || t->group == r->group;
}

/*
 * The Maildir directory of t as root, after the drop to its owner: the
 * Maildir itself never through a symbolic link, and still owned by the
 * owner found before (when that came from its inode), then the folder.
 * -1 with errno and err set.
 */
static int
open_dir_nofollow(struct lda_target *t, char *err, size_t errlen)
{
	char name[MAILDIR_NAME_MAX + 2];
	struct stat st;
	int rfd, dfd, e;

	rfd = open(t->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0) {
		e = errno;
		if (lstat(t->root, &st) == 0 && S_ISLNK(st.st_mode)) {
			util_seterr(err, errlen,
			    "%s: is a symbolic link (refused as root)",
			    t->root);
			e = ELOOP;
		} else
			util_seterr(
			    err, errlen, "%s: %s", t->root, strerror(e));
		errno = e;
		return -1;
	}
	if (!t->has_entry && (fstat(rfd, &st) != 0 || st.st_uid != t->uid)) {
		(void)close(rfd);
		util_seterr(
		    err, errlen, "%s: owner changed during delivery", t->root);
		errno = EPERM;
		return -1;
	}
	if (strcmp(t->dir, t->root) == 0)
		return rfd;
	(void)snprintf(name, sizeof(name), ".%s", t->folder);
	dfd =
	    openat(rfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	(void)close(rfd);
	if (dfd < 0) {
		util_seterr(err, errlen, "%s: %s", t->dir,
		    e == ELOOP ? "is a symbolic link (refused)" : strerror(e));
		errno = e;
	}
	return dfd;
}

/* Open t's tmp file: through its path, or as root without symlinks. */
static int
open_one(struct lda_run *r, struct lda_target *t, char *err, size_t errlen)
{
	int dfd, rc, e;

	if (!r->as_root)
		return maildir_open(&t->f, t->dir, r->namer, err, errlen);
	if ((dfd = open_dir_nofollow(t, err, errlen)) < 0)
		return -1;
	rc = maildir_open_at(&t->f, dfd, t->dir, r->namer, err, errlen);
	e = errno;
	(void)close(dfd);
	errno = e;
	return rc;
}

/* Open t's tmp file, creating the Maildir when asked. */
static int
open_target(struct lda_run *r, struct lda_target *t)
{
	char err[ERR_MAX];
	struct stat st;
	int e;

	if (open_one(r, t, err, sizeof(err)) == 0)
		goto check;
	e = errno;
	if (e == ENOENT && r->o->create) {
		if (maildir_create_folder(
			t->root, t->folder, err, sizeof(err)) != 0)
			return lda_fail(r, lda_errno_code(errno), "%s", err);
		if (open_one(r, t, err, sizeof(err)) == 0)
			goto check;
		e = errno;
	} else if (e == ENOENT && lstat(t->root, &st) != 0) {
		return lda_fail(r, t->from_rcpt ? EX_NOUSER : EX_CANTCREAT,
		    "%s: no such Maildir%s", t->root,
		    t->from_rcpt ? "" : " (--create makes it)");
	}
	return lda_fail(r, lda_errno_code(e), "%s", err);
check:
	/* A missing or symlinked new/ fails now, before any link. */
	if (maildir_check_new(&t->f, err, sizeof(err)) != 0)
		return lda_fail(r, lda_errno_code(errno), "%s", err);
	return 0;
}

static int
open_targets(struct lda_run *r)
{
	size_t i;

	for (i = 0; i < r->nt; i++)
		if (mine(r, r->t[i]) && open_target(r, r->t[i]) != 0)
			return -1;
	return 0;
}

/*
 * Convert in[0..n) into out (which has room for n more bytes): drop a
 * leading "From " line, CRLF -> LF.  Returns the bytes consumed (a CR
 * at the end, or a short start, waits for more unless eof), or -1 when
 * a NUL byte is found.
 */
static long
convert(
    int *state, const char *in, size_t n, int eof, char *out, size_t *outlen)
{
	const char *cr, *nl;
	size_t i = 0, o = *outlen, seg;

	if (*state == ST_START) {
		if (n < 5 && !eof && memchr(in, '\n', n) == NULL)
			return 0;
		*state =
		    n >= 5 && memcmp(in, "From ", 5) == 0 ? ST_SKIP : ST_BODY;
	}
	if (*state == ST_SKIP) {
		if ((nl = memchr(in, '\n', n)) == NULL)
			return (long)n;
		i = (size_t)(nl - in) + 1;
		*state = ST_BODY;
	}
	if (memchr(in + i, '\0', n - i) != NULL)
		return -1;
	while (i < n) {
		cr = memchr(in + i, '\r', n - i);
		seg = cr != NULL ? (size_t)(cr - in) - i : n - i;
		memcpy(out + o, in + i, seg);
		o += seg;
		i += seg;
		if (cr == NULL)
			break;
		if (i + 1 < n) {
			/* RFC 5322 §2.3: CRLF ends a line; a bare CR stays. */
			if (in[i + 1] == '\n') {
				out[o++] = '\n';
				i += 2;
			} else
				out[o++] = in[i++];
		} else if (eof)
			out[o++] = in[i++];
		else
			break;
	}
	*outlen = o;
	return (long)i;
}

/* Write out[0..len) (with headroom before it) to every target. */
static int
flush(struct lda_run *r, char *out, size_t len)
{
	char err[ERR_MAX];
	struct lda_target *t;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (!mine(r, t))
			continue;
		if (!t->written) {
			/* The prefix goes in the same write as the data. */
			if (t->prefix.len > 0)
				memcpy(out - t->prefix.len, t->prefix.data,
				    t->prefix.len);
			if (maildir_write(&t->f, out - t->prefix.len,
				t->prefix.len + len, err, sizeof(err)) != 0)
				return lda_fail(
				    r, lda_errno_code(errno), "%s", err);
			t->written = 1;
		} else if (len > 0 &&
		    maildir_write(&t->f, out, len, err, sizeof(err)) != 0)
			return lda_fail(r, lda_errno_code(errno), "%s", err);
	}
	return 0;
}

/* The spool as a sink: the converted message, no prefix. */
static int
spool_sink(struct lda_run *r, char *out, size_t len)
{
	if (util_write_all(r->spool, out, len) != 0)
		return lda_fail(r, EX_TEMPFAIL, "spool: %s", strerror(errno));
	return 0;
}

/*
 * One allocation for the input chunk (when in is not NULL) and the
 * output, with room for the longest prefix before the output; *base is
 * what to free.  NULL after a failure.
 */
static char *
buffers(struct lda_run *r, char **in, char **base)
{
	size_t i, head = 0, inlen = in != NULL ? IN_CHUNK : 0;

	for (i = 0; i < r->nt; i++)
		if (mine(r, r->t[i]) && r->t[i]->prefix.len > head)
			head = r->t[i]->prefix.len;
	if ((*base = malloc(inlen + head + FLUSH_AT + IN_CHUNK)) == NULL) {
		(void)lda_fail(r, EX_TEMPFAIL, "%s", strerror(errno));
		return NULL;
	}
	if (in != NULL)
		*in = *base;
	return *base + inlen + head;
}

/* Read r->in to its end, convert it and hand it to sink in pieces. */
static int
stream(struct lda_run *r, sink_fn sink)
{
	char *base, *in, *out;
	size_t inlen = 0, outlen = 0;
	long long total = 0, body = 0;
	int state = ST_START, eof = 0, rc = -1;
	long used;
	ssize_t n;

	if ((out = buffers(r, &in, &base)) == NULL)
		return -1;
	while (!eof) {
		n = read(r->in, in + inlen, IN_CHUNK - inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)lda_fail(r, EX_TEMPFAIL,
			    "reading the message: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			eof = 1;
		inlen += (size_t)n;
		total += n;
		if (r->o->max_size > 0 && total > r->o->max_size) {
			(void)lda_fail(r, EX_DATAERR,
			    "message larger than %lld bytes", r->o->max_size);
			goto out;
		}
		used = convert(&state, in, inlen, eof, out, &outlen);
		if (used < 0) {
			(void)lda_fail(
			    r, EX_DATAERR, "message contains a NUL byte");
			goto out;
		}
		memmove(in, in + used, inlen - (size_t)used);
		inlen -= (size_t)used;
		if (outlen >= FLUSH_AT || (eof && outlen > 0)) {
			if (sink(r, out, outlen) != 0)
				goto out;
			body += (long long)outlen;
			outlen = 0;
		}
	}
	if (body == 0)
		(void)lda_fail(r, EX_DATAERR, "message is empty");
	else
		rc = 0;
out:
	free(base);
	return rc;
}

/* fsync every tmp file of ours: after this only links are left. */
static int
sync_targets(struct lda_run *r)
{
	char err[ERR_MAX];
	size_t i;

	for (i = 0; i < r->nt; i++)
		if (mine(r, r->t[i]) &&
		    maildir_sync(&r->t[i]->f, err, sizeof(err)) != 0)
			return lda_fail(r, lda_errno_code(errno), "%s", err);
	return 0;
}

int
lda_stream_commit(struct lda_run *r)
{
	struct maildir_file *files[LDA_TARGETS_MAX];
	char err[ERR_MAX];
	size_t i, n = 0;

	for (i = 0; i < r->nt; i++)
		if (mine(r, r->t[i]))
			files[n++] = &r->t[i]->f;
	/* All tmp files are on disk: now link them all, or none. */
	if (maildir_commit(files, n, err, sizeof(err)) != 0)
		return lda_fail(r, lda_errno_code(errno), "%s", err);
	return 0;
}

int
lda_stream_direct(struct lda_run *r)
{
	if (open_targets(r) != 0 || stream(r, flush) != 0 ||
	    sync_targets(r) != 0)
		return -1;
	return lda_stream_commit(r);
}

int
lda_stream_spool(struct lda_run *r)
{
	char err[ERR_MAX];

	if ((r->spool = util_spool_open("lda", err, sizeof(err))) < 0)
		return lda_fail(r, lda_errno_code(errno), "spool %s", err);
	return stream(r, spool_sink);
}

int
lda_stream_prepare(struct lda_run *r)
{
	char *base, *out;
	off_t off = 0;
	ssize_t n;
	int rc = -1;

	if (open_targets(r) != 0 || (out = buffers(r, NULL, &base)) == NULL)
		return -1;
	for (;;) {
		n = pread(r->spool, out, FLUSH_AT, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)lda_fail(
			    r, EX_TEMPFAIL, "spool: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (flush(r, out, (size_t)n) != 0)
			goto out;
		off += n;
	}
	rc = sync_targets(r);
out:
	free(base);
	return rc;
}
