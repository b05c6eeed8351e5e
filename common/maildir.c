/*
 * maildir.c: Maildir creation, unique names, durable delivery into new/,
 * and name/info parsing.  See maildir.h and
 * https://cr.yp.to/proto/maildir.html (delivery protocol, unique names,
 * the ":2," info) and Courier's Maildir++ (folders as ".Name").
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "maildir.h"
#include "util.h"

/* Tries for a fresh tmp name when one already exists (it should not). */
#define OPEN_TRIES 3

void
maildir_host_escape(const char *host, char *out, size_t outlen)
{
	size_t o = 0, lim;
	const char *esc;

	if (outlen == 0)
		return;
	lim = outlen - 1 < MAILDIR_HOST_MAX ? outlen - 1 : MAILDIR_HOST_MAX;
	for (; *host != '\0'; host++) {
		switch (*host) {
		case '/': esc = "\\057"; break;
		case ':': esc = "\\072"; break;
		case '\\': esc = "\\134"; break;
		default: esc = NULL; break;
		}
		if (esc != NULL) {
			if (o + 4 > lim)
				break;
			memcpy(out + o, esc, 4);
			o += 4;
		} else {
			if (o + 1 > lim)
				break;
			/* Keep names printable: no control bytes, no space. */
			out[o++] = (unsigned char)*host <= ' ' || *host == 0x7f
			    ? '_'
			    : *host;
		}
	}
	if (o == 0 && lim >= 9) {
		memcpy(out, "localhost", 9);
		o = 9;
	}
	out[o] = '\0';
}

void
maildir_namer_init(struct maildir_namer *nm, const char *host)
{
	char h[256];

	if (host == NULL) {
		util_hostname(h, sizeof(h));
		host = h;
	}
	maildir_host_escape(host, nm->host, sizeof(nm->host));
	nm->pid = (long)getpid();
	nm->seq = 0;
}

int
maildir_unique(struct maildir_namer *nm, char *out, size_t outlen)
{
	struct timeval tv;
	int n;

	(void)gettimeofday(&tv, NULL);
	nm->seq++;
	n = snprintf(out, outlen, "%lld.M%ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, nm->pid, nm->seq, nm->host);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* a + "/" + b into out; -1 ENAMETOOLONG. */
static int
join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
fail(char *err, size_t errlen, const char *path)
{
	int saved = errno;

	util_seterr(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

int
maildir_create(const char *dir, char *err, size_t errlen)
{
	static const char *const sub[] = {"tmp", "new", "cur"};
	char p[PATH_MAX];
	int made = 0;
	size_t i;

	if (util_mkdirs(dir, &made) != 0)
		return fail(err, errlen, dir);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (join(p, sizeof(p), dir, sub[i]) != 0)
			return fail(err, errlen, dir);
		if (mkdir(p, 0700) == 0)
			made = 1;
		else if (errno != EEXIST)
			return fail(err, errlen, p);
	}
	if (made) {
		/* Make the new directories survive a crash. */
		if (util_fsync_dir(dir) != 0)
			return fail(err, errlen, dir);
		if (join(p, sizeof(p), dir, "..") != 0 ||
		    util_fsync_dir(p) != 0)
			return fail(err, errlen, dir);
	}
	return 0;
}

int
maildir_folder_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > MAILDIR_NAME_MAX - 1)
		return -1;
	if (strcasecmp(name, "INBOX") == 0)
		return 0;
	if (name[0] == '.' || name[len - 1] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
		if (c == '.' && name[i + 1] == '.')
			return -1;
	}
	return 0;
}

int
maildir_folder_path(
    const char *root, const char *name, char *out, size_t outlen)
{
	size_t rlen = strlen(root);
	int n;

	if (maildir_folder_valid(name) != 0) {
		errno = EINVAL;
		return -1;
	}
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (rlen > INT_MAX)
		rlen = INT_MAX;
	if (strcasecmp(name, "INBOX") == 0)
		n = snprintf(out, outlen, "%.*s", (int)rlen, root);
	else
		n = snprintf(out, outlen, "%.*s/.%s", (int)rlen, root, name);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
maildir_create_folder(
    const char *root, const char *name, char *err, size_t errlen)
{
	char dir[PATH_MAX], marker[PATH_MAX];
	int fd;

	if (maildir_folder_path(root, name, dir, sizeof(dir)) != 0) {
		if (errno == EINVAL)
			util_seterr(err, errlen, "%s: bad folder name", name);
		else
			(void)fail(err, errlen, root);
		return -1;
	}
	if (maildir_create(root, err, errlen) != 0)
		return -1;
	if (strcmp(dir, root) == 0)
		return 0;
	if (maildir_create(dir, err, errlen) != 0)
		return -1;
	if (join(marker, sizeof(marker), dir, "maildirfolder") != 0)
		return fail(err, errlen, dir);
	fd = open(marker, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, errlen, marker);
	(void)close(fd);
	return 0;
}

/* Report "DIR/SUB: why". */
static int
fail_sub(char *err, size_t errlen, const char *dir, const char *sub)
{
	int saved = errno;

	util_seterr(err, errlen, "%s/%s: %s", dir, sub, strerror(saved));
	errno = saved;
	return -1;
}

/*
 * Open DIR/SUB (tmp or new) from the Maildir's directory fd, never
 * through a symbolic link.  A symbolic link is ELOOP with its own
 * message: it is refused, not a passing trouble.
 */
static int
sub_open(
    const struct maildir_file *f, const char *sub, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = openat(
	    f->dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (fstatat(f->dfd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		util_seterr(err, errlen, "%s/%s: is a symbolic link (refused)",
		    f->dir, sub);
		errno = ELOOP;
		return -1;
	}
	return fail_sub(err, errlen, f->dir, sub);
}

/* unlinkat(DIR/SUB, name), errors ignored (undoing is best effort). */
static void
sub_unlink(const struct maildir_file *f, const char *sub, const char *name)
{
	int fd;

	if ((fd = sub_open(f, sub, NULL, 0)) < 0)
		return;
	(void)unlinkat(fd, name, 0);
	(void)close(fd);
}

static void
reset(struct maildir_file *f)
{
	f->dfd = -1;
	f->fd = -1;
	f->size = 0;
	f->wire = 0;
	f->last = -1;
	f->state = MAILDIR_NONE;
	f->in_cur = 0;
	f->name[0] = '\0';
	f->final[0] = '\0';
}

/* Release the directory fd; the state is left as it is. */
static void
release(struct maildir_file *f)
{
	if (f->dfd >= 0)
		(void)close(f->dfd);
	f->dfd = -1;
}

int
maildir_open(struct maildir_file *f, const char *dir, struct maildir_namer *nm,
    char *err, size_t errlen)
{
	int dfd, rc, saved;

	reset(f);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail_sub(err, errlen, dir, "tmp");
	rc = maildir_open_at(f, dfd, dir, nm, err, errlen);
	saved = errno;
	(void)close(dfd);
	errno = saved;
	return rc;
}

int
maildir_open_at(struct maildir_file *f, int dfd, const char *dir,
    struct maildir_namer *nm, char *err, size_t errlen)
{
	int tfd, tries, saved;

	reset(f);
	if (util_strlcpy(f->dir, dir, sizeof(f->dir)) >= sizeof(f->dir)) {
		errno = ENAMETOOLONG;
		return fail(err, errlen, dir);
	}
	if ((f->dfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return fail(err, errlen, dir);
	if ((tfd = sub_open(f, "tmp", err, errlen)) < 0)
		goto bad;
	for (tries = 0; tries < OPEN_TRIES; tries++) {
		if (maildir_unique(nm, f->name, sizeof(f->name)) != 0)
			break;
		f->fd = openat(tfd, f->name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd >= 0) {
			(void)close(tfd);
			f->state = MAILDIR_OPEN;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	(void)fail_sub(err, errlen, dir, "tmp");
	(void)close(tfd);
bad:
	saved = errno;
	release(f);
	errno = saved;
	return -1;
}

int
maildir_check_new(const struct maildir_file *f, char *err, size_t errlen)
{
	int fd;

	if (f->dfd < 0) {
		errno = EBADF;
		return fail_sub(err, errlen, f->dir, "new");
	}
	if ((fd = sub_open(f, "new", err, errlen)) < 0)
		return -1;
	(void)close(fd);
	/* Not a guarantee, but the usual failure found before any link. */
	if (faccessat(f->dfd, "new", W_OK | X_OK, AT_EACCESS) != 0)
		return fail_sub(err, errlen, f->dir, "new");
	return 0;
}

int
maildir_write(
    struct maildir_file *f, const void *p, size_t n, char *err, size_t errlen)
{
	const unsigned char *q, *end;

	if (f->state != MAILDIR_OPEN) {
		errno = EBADF;
		return fail_sub(err, errlen, f->dir, "tmp");
	}
	if (util_write_all(f->fd, p, n) != 0)
		return fail_sub(err, errlen, f->dir, "tmp");
	f->size += (off_t)n;
	f->wire += (off_t)n;
	if (n == 0)
		return 0;
	/* A bare LF goes on the wire as CRLF: one byte more. */
	for (q = p, end = q + n;
	     (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		if ((q == (const unsigned char *)p ? f->last : q[-1]) != '\r')
			f->wire++;
	f->last = end[-1];
	return 0;
}

int
maildir_sync(struct maildir_file *f, char *err, size_t errlen)
{
	int rc;

	if (f->state != MAILDIR_OPEN) {
		errno = EBADF;
		return fail_sub(err, errlen, f->dir, "tmp");
	}
	if (fsync(f->fd) != 0) {
		rc = errno;
		(void)close(f->fd);
		f->fd = -1;
		f->state = MAILDIR_SYNCED; /* so abort unlinks it */
		errno = rc;
		return fail_sub(err, errlen, f->dir, "tmp");
	}
	rc = close(f->fd);
	f->fd = -1;
	f->state = MAILDIR_SYNCED;
	if (rc != 0)
		return fail_sub(err, errlen, f->dir, "tmp");
	return 0;
}

void
maildir_abort(struct maildir_file *f)
{
	int saved = errno;

	switch (f->state) {
	case MAILDIR_OPEN:
		(void)close(f->fd);
		f->fd = -1;
		/* FALLTHROUGH */
	case MAILDIR_SYNCED: sub_unlink(f, "tmp", f->name); break;
	case MAILDIR_LINKED:
		sub_unlink(f, f->in_cur ? "cur" : "new", f->final);
		sub_unlink(f, "tmp", f->name);
		break;
	case MAILDIR_MOVED:
		sub_unlink(f, f->in_cur ? "cur" : "new", f->final);
		break;
	case MAILDIR_DONE: release(f); /* FALLTHROUGH */
	case MAILDIR_NONE: errno = saved; return;
	}
	release(f);
	f->state = MAILDIR_NONE;
	errno = saved;
}

/* Errors where link(2) is not supported and rename(2) may still work. */
static int
link_unsupported(int e)
{
	return e == EXDEV || e == EPERM || e == ENOSYS || e == EOPNOTSUPP ||
	    e == EMLINK;
}

/* tmp/NAME -> new/NAME,S=SIZE,W=WIRESIZE for one file, or (flags not
 * NULL: normalised letters) cur/NAME,S=SIZE,W=WIRESIZE:2,FLAGS (new/
 * when in_new). */
static int
commit_one(struct maildir_file *f, const char *flags, int in_new, char *err,
    size_t errlen)
{
	const char *sub = flags != NULL && !in_new ? "cur" : "new";
	int n, tfd, nfd = -1, rc = -1, saved;

	n = snprintf(f->final, sizeof(f->final), "%s,S=%lld,W=%lld%s%s",
	    f->name, (long long)f->size, (long long)f->wire,
	    flags != NULL ? ":2," : "", flags != NULL ? flags : "");
	if (n < 0 || (size_t)n >= sizeof(f->final) || n > MAILDIR_NAME_MAX) {
		errno = ENAMETOOLONG;
		return fail_sub(err, errlen, f->dir, sub);
	}
	f->in_cur = flags != NULL && !in_new;
	if ((tfd = sub_open(f, "tmp", err, errlen)) < 0)
		return -1;
	if ((nfd = sub_open(f, sub, err, errlen)) < 0)
		goto out;
	if (linkat(tfd, f->name, nfd, f->final, 0) == 0) {
		f->state = MAILDIR_LINKED;
		rc = 0;
	} else if (!link_unsupported(errno) ||
	    renameat(tfd, f->name, nfd, f->final) != 0)
		(void)fail_sub(err, errlen, f->dir, sub);
	else {
		f->state = MAILDIR_MOVED;
		rc = 0;
	}
out:
	saved = errno;
	(void)close(tfd);
	if (nfd >= 0)
		(void)close(nfd);
	errno = saved;
	return rc;
}

static int commit_info(
    struct maildir_file *, const char *, int, char *, size_t);

/* fsync DIR/SUB. */
static int
sync_sub(
    const struct maildir_file *f, const char *sub, char *err, size_t errlen)
{
	int fd, rc, saved;

	if ((fd = sub_open(f, sub, err, errlen)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	(void)close(fd);
	errno = saved;
	/* Some filesystems refuse fsync on directories: no data loss. */
	if (rc != 0 && errno != EINVAL && errno != EROFS)
		return fail_sub(err, errlen, f->dir, sub);
	return 0;
}

static int
sync_new(const struct maildir_file *f, char *err, size_t errlen)
{
	return sync_sub(f, "new", err, errlen);
}

int
maildir_commit(
    struct maildir_file *const *files, size_t n, char *err, size_t errlen)
{
	size_t i, j;
	int saved;

	for (i = 0; i < n; i++) {
		if (files[i]->state != MAILDIR_SYNCED) {
			errno = EINVAL;
			util_seterr(err, errlen, "%s: message not written",
			    files[i]->dir);
			goto undo;
		}
	}
	for (i = 0; i < n; i++)
		if (commit_one(files[i], NULL, 0, err, errlen) != 0)
			goto undo;
	/* One fsync per distinct new/, after all links. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(files[j]->dir, files[i]->dir) == 0)
				break;
		if (j == i && sync_new(files[i], err, errlen) != 0)
			goto undo;
	}
	for (i = 0; i < n; i++) {
		if (files[i]->state == MAILDIR_LINKED)
			sub_unlink(files[i], "tmp", files[i]->name);
		release(files[i]);
		files[i]->state = MAILDIR_DONE;
	}
	return 0;
undo:
	saved = errno;
	for (i = 0; i < n; i++)
		maildir_abort(files[i]);
	errno = saved;
	return -1;
}

int
maildir_commit_cur(
    struct maildir_file *f, const char *flags, char *err, size_t errlen)
{
	return commit_info(f, flags, 0, err, errlen);
}

int
maildir_commit_new_info(
    struct maildir_file *f, const char *flags, char *err, size_t errlen)
{
	return commit_info(f, flags, 1, err, errlen);
}

/* maildir_commit_cur, or into new/ with the info when in_new. */
static int
commit_info(struct maildir_file *f, const char *flags, int in_new, char *err,
    size_t errlen)
{
	char fl[MAILDIR_FLAGS_MAX + 1];

	if (f->state != MAILDIR_SYNCED || strlen(flags) > MAILDIR_FLAGS_MAX) {
		errno = EINVAL;
		util_seterr(err, errlen, "%s: message not written", f->dir);
		goto undo;
	}
	memcpy(fl, flags, strlen(flags) + 1);
	if (maildir_flags_normalise(fl) != 0) {
		util_seterr(err, errlen, "%s: bad flags \"%s\"", f->dir, flags);
		goto undo;
	}
	if (commit_one(f, fl, in_new, err, errlen) != 0 ||
	    sync_sub(f, in_new ? "new" : "cur", err, errlen) != 0)
		goto undo;
	if (f->state == MAILDIR_LINKED)
		sub_unlink(f, "tmp", f->name);
	release(f);
	f->state = MAILDIR_DONE;
	return 0;
undo:
	maildir_abort(f);
	return -1;
}

int
maildir_revoke(struct maildir_file *f, int dfd, char *err, size_t errlen)
{
	int rc = 0, fd;

	if (f->state != MAILDIR_DONE || dfd < 0) {
		errno = EINVAL;
		util_seterr(err, errlen, "%s: nothing to take back", f->dir);
		return -1;
	}
	f->dfd = dfd; /* borrowed: not closed here */
	if ((fd = sub_open(f, "new", err, errlen)) < 0)
		rc = -1;
	else {
		if (unlinkat(fd, f->final, 0) != 0 && errno != ENOENT)
			rc = fail_sub(err, errlen, f->dir, "new");
		(void)close(fd);
	}
	if (rc == 0)
		rc = sync_new(f, err, errlen);
	f->dfd = -1;
	f->state = MAILDIR_NONE;
	return rc;
}

/* Decimal digits [p, p+n) as a size; -1 when empty, not digits or huge. */
static long long
parse_size(const char *p, size_t n)
{
	long long v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int
is_letter(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Flags [p, p+n) sorted and unique into out (MAILDIR_FLAGS_MAX + 1). */
static int
flags_collect(const char *p, size_t n, char *out)
{
	unsigned char seen[128];
	size_t i, o = 0;
	int c;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		if (!is_letter((unsigned char)p[i]))
			return -1;
		seen[(unsigned char)p[i]] = 1;
	}
	/* ASCII order, as the Maildir spec asks: upper case first. */
	for (c = 'A'; c <= 'z'; c++)
		if (seen[c])
			out[o++] = (char)c;
	out[o] = '\0';
	return 0;
}

int
maildir_flags_normalise(char *flags)
{
	char tmp[MAILDIR_FLAGS_MAX + 1];

	if (flags_collect(flags, strlen(flags), tmp) != 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(flags, tmp, strlen(tmp) + 1);
	return 0;
}

int
maildir_name_parse(const char *name, size_t len, struct maildir_name *out)
{
	const char *colon, *f, *end;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->size = -1;
	out->vsize = -1;
	if (len == 0 || len > MAILDIR_NAME_MAX || name[0] == '.')
		goto bad;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\0')
			goto bad;
	colon = memchr(name, ':', len);
	out->base_len = colon != NULL ? (size_t)(colon - name) : len;
	for (i = 0; i < out->base_len && name[i] != ','; i++)
		;
	out->uniq_len = i;
	if (out->uniq_len == 0)
		goto bad;
	/* Fields: ",KEY=VALUE" between the unique part and the info. */
	end = name + out->base_len;
	for (f = name + out->uniq_len; f < end;) {
		const char *next;

		f++; /* the ',' */
		next = memchr(f, ',', (size_t)(end - f));
		if (next == NULL)
			next = end;
		if (next - f >= 2 && f[1] == '=') {
			if (f[0] == 'S')
				out->size =
				    parse_size(f + 2, (size_t)(next - f - 2));
			else if (f[0] == 'W')
				out->vsize =
				    parse_size(f + 2, (size_t)(next - f - 2));
		}
		f = next;
	}
	if (colon == NULL)
		return 0;
	f = colon + 1;
	end = name + len;
	if (end - f >= 2 && f[0] == '2' && f[1] == ',') {
		out->info = 2;
		if (flags_collect(f + 2, (size_t)(end - f - 2), out->flags) !=
		    0)
			goto bad;
	} else if (end - f >= 2 && f[0] == '1' && f[1] == ',')
		out->info = 1;
	else
		out->info = 3;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
maildir_name_with_flags(
    const char *name, size_t len, const char *flags, char *out, size_t outlen)
{
	struct maildir_name mn;
	char fl[MAILDIR_FLAGS_MAX + 1];
	int n;

	if (maildir_name_parse(name, len, &mn) != 0)
		return -1;
	if (flags_collect(flags, strlen(flags), fl) != 0) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(out, outlen, "%.*s:2,%s", (int)mn.base_len, name, fl);
	if (n < 0 || (size_t)n >= outlen || n > MAILDIR_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
