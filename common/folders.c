/*
 * folders.c: Maildir++ folders under their IMAP names (see folders.h):
 * name checks, LIST, CREATE, DELETE, RENAME, subscriptions.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "folders.h"
#include "keywords.h"
#include "lockfile.h"
#include "mailbox.h"
#include "maildir.h"
#include "util.h"

#define SUBS_TMP "subscriptions.yubin-tmp"
#define SUBS_V2 "V\t2\n\n"
#define TRASH_PREFIX "..yubin-trash."
/* Seconds to wait for the folders lock. */
#define FOLDERS_LOCK_WAIT 30
/* Directory levels a deleted folder is emptied to (folder/cur/file). */
#define REMOVE_DEPTH 3
/* The longest LIST pattern matched. */
#define PATTERN_MAX 1024

static int
fail(char *err, size_t errlen, const char *path)
{
	int saved = errno;

	util_seterr(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

/* "NAME": why, with NAME's control bytes shown as "?" (one line for a
 * log, whatever the client sent). */
static int
bad(char *err, size_t errlen, int e, const char *name, const char *why)
{
	char shown[FOLDER_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < FOLDER_NAME_MAX && name[i] != '\0'; i++)
		shown[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f
		    ? '?'
		    : name[i];
	shown[i] = '\0';
	util_seterr(err, errlen, "\"%s\": %s", shown, why);
	errno = e;
	return -1;
}

/* ---------------------------------------------------------------- */
/* Names. */

/* One UTF-8 character at p (n bytes left): its length, or 0 when it is
 * not valid (overlong, surrogate, above U+10FFFF, cut) or a control
 * character (C0, DEL, C1). */
static size_t
utf8_char(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	if ((len = util_utf8_char((const char *)p, n, &c)) == 0 ||
	    (c >= 0x80 && c <= 0x9f))
		return 0;
	return len;
}

int
folder_name_check(
    const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strnlen(name, FOLDER_NAME_MAX + 1), i, cl;

	if (len == 0)
		return bad(err, errlen, EINVAL, name, "empty folder name");
	if (len > FOLDER_NAME_MAX)
		return bad(err, errlen, EINVAL, name, "folder name too long");
	for (i = 0; i < len; i += cl) {
		if ((cl = utf8_char(p + i, len - i)) == 0)
			return bad(err, errlen, EINVAL, name,
			    "control character or bad UTF-8 in folder name");
		if (p[i] == '%' || p[i] == '*')
			return bad(err, errlen, EINVAL, name,
			    "\"%\" or \"*\" in folder name");
		if (p[i] == '.')
			return bad(err, errlen, EINVAL, name,
			    "\".\" in folder name (not possible in Maildir++)");
		if (p[i] == '/' && (i == 0 || i + 1 == len || p[i + 1] == '/'))
			return bad(err, errlen, EINVAL, name,
			    "empty level in folder name");
	}
	if (len + 1 > outlen) {
		errno = ENAMETOOLONG;
		return fail(err, errlen, name);
	}
	memcpy(out, name, len + 1);
	if (len >= 5 && strncasecmp(out, "INBOX", 5) == 0 &&
	    (len == 5 || out[5] == '/'))
		memcpy(out, "INBOX", 5);
	return 0;
}

static int
is_inbox(const char *canon)
{
	return strcmp(canon, "INBOX") == 0;
}

/* The directory entry of a canonical name: ".A.B". */
static void
disk_name(const char *canon, char *out)
{
	size_t i;

	out[0] = '.';
	for (i = 0; canon[i] != '\0'; i++)
		out[i + 1] = canon[i] == '/' ? '.' : canon[i];
	out[i + 1] = '\0';
}

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

/* root and a canonical name: its Maildir. */
static int
canon_path(const char *root, const char *canon, char *out, size_t outlen)
{
	char d[FOLDER_NAME_MAX + 2];

	if (is_inbox(canon)) {
		if (util_strlcpy(out, root, outlen) >= outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return 0;
	}
	disk_name(canon, d);
	return join(out, outlen, root, d);
}

int
folder_path(const char *root, const char *name, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char c[FOLDER_NAME_MAX + 1];

	if (folder_name_check(name, c, sizeof(c), err, errlen) != 0)
		return -1;
	if (canon_path(root, c, out, outlen) != 0)
		return fail(err, errlen, root);
	return 0;
}

unsigned
folder_special_use(const char *name)
{
	static const struct {
		const char *name;
		unsigned attr;
	} uses[] = {
	    {"Sent", FOLDER_SENT},
	    {"Sent Messages", FOLDER_SENT},
	    {"Sent Items", FOLDER_SENT},
	    {"Drafts", FOLDER_DRAFTS},
	    {"Trash", FOLDER_TRASH},
	    {"Deleted Messages", FOLDER_TRASH},
	    {"Deleted Items", FOLDER_TRASH},
	    {"Junk", FOLDER_JUNK},
	    {"Spam", FOLDER_JUNK},
	    {"Archive", FOLDER_ARCHIVE},
	    {"Archives", FOLDER_ARCHIVE},
	};
	size_t i;

	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if (strcasecmp(name, uses[i].name) == 0)
			return uses[i].attr;
	return 0;
}

int
folders_match(const char *pattern, const char *name)
{
	unsigned char cur[FOLDER_NAME_MAX + 1], nxt[FOLDER_NAME_MAX + 1];
	char pat[PATTERN_MAX + 1];
	size_t n = strnlen(name, FOLDER_NAME_MAX + 1), plen, i, j;

	plen = strnlen(pattern, PATTERN_MAX + 1);
	if (n > FOLDER_NAME_MAX || plen > PATTERN_MAX)
		return 0;
	memcpy(pat, pattern, plen + 1);
	/* INBOX in any case, for INBOX and its children only. */
	if (strncmp(name, "INBOX", 5) == 0 &&
	    (name[5] == '\0' || name[5] == '/') && plen >= 5 &&
	    strncasecmp(pat, "INBOX", 5) == 0)
		memcpy(pat, "INBOX", 5);
	/* cur[j]: the pattern so far matches name[0..j). */
	memset(cur, 0, n + 1);
	cur[0] = 1;
	for (i = 0; i < plen; i++) {
		if (pat[i] == '*') {
			nxt[0] = cur[0];
			for (j = 1; j <= n; j++)
				nxt[j] = cur[j] || nxt[j - 1];
		} else if (pat[i] == '%') {
			nxt[0] = cur[0];
			for (j = 1; j <= n; j++)
				nxt[j] = cur[j] ||
				    (nxt[j - 1] && name[j - 1] != '/');
		} else {
			nxt[0] = 0;
			for (j = 1; j <= n; j++)
				nxt[j] = cur[j - 1] && name[j - 1] == pat[i];
		}
		memcpy(cur, nxt, n + 1);
	}
	return cur[n];
}

/* ---------------------------------------------------------------- */
/* The folder list. */

struct names {
	struct folder *v;
	size_t n, cap;
};

static struct folder *
add_name(struct names *s, const char *name, unsigned attrs)
{
	struct folder *nv;
	size_t cap;

	if (s->n == s->cap) {
		if (s->n >= FOLDERS_MAX) {
			errno = EFBIG;
			return NULL;
		}
		cap = s->cap == 0 ? 64 : s->cap * 2;
		if (cap > FOLDERS_MAX)
			cap = FOLDERS_MAX;
		if ((nv = realloc(s->v, cap * sizeof(*nv))) == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		s->v = nv;
		s->cap = cap;
	}
	util_strlcpy(s->v[s->n].name, name, sizeof(s->v[s->n].name));
	s->v[s->n].attrs = attrs;
	return &s->v[s->n++];
}

static int
folder_cmp(const void *x, const void *y)
{
	const struct folder *a = x, *b = y;

	/* INBOX first, then bytes. */
	if (is_inbox(a->name) != is_inbox(b->name))
		return is_inbox(a->name) ? -1 : 1;
	return strcmp(a->name, b->name);
}

static struct folder *
lookup(struct names *s, const char *name)
{
	struct folder key;

	util_strlcpy(key.name, name, sizeof(key.name));
	return bsearch(&key, s->v, s->n, sizeof(*s->v), folder_cmp);
}

#define PLACEHOLDER (FOLDER_NOSELECT | FOLDER_NONEXISTENT)

/* Sort and keep one of equal names: a folder over a placeholder, else
 * the attributes of both. */
static void
sort_unique(struct names *s)
{
	size_t i, o;
	unsigned a;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), folder_cmp);
	for (i = 1, o = 1; i < s->n; i++) {
		if (strcmp(s->v[i].name, s->v[o - 1].name) == 0) {
			a = s->v[i].attrs;
			if (s->v[o - 1].attrs == PLACEHOLDER)
				s->v[o - 1].attrs = a;
			else if (a != PLACEHOLDER)
				s->v[o - 1].attrs |= a;
			continue;
		}
		s->v[o++] = s->v[i];
	}
	s->n = o;
}

/* A Maildir: cur/ and new/ are directories. */
static int
selectable(int rootfd, const char *d)
{
	char p[FOLDER_NAME_MAX + 8];
	struct stat st;
	int k;

	for (k = 0; k < 2; k++) {
		if (snprintf(p, sizeof(p), "%s/%s", d, k ? "cur" : "new") < 0 ||
		    fstatat(rootfd, p, &st, 0) != 0 || !S_ISDIR(st.st_mode))
			return 0;
	}
	return 1;
}

/* The directory entries of root that are folders, as canonical names. */
static int
scan_root(const char *root, struct names *s, char *err, size_t errlen)
{
	char c[FOLDER_NAME_MAX + 1], w[FOLDER_NAME_MAX + 1];
	struct dirent *de;
	struct stat st;
	size_t len, i;
	DIR *d;
	int rc = 0;

	if ((d = opendir(root)) == NULL)
		return fail(err, errlen, root);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = fail(err, errlen, root);
			break;
		}
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len < 2 || de->d_name[1] == '.' ||
		    len - 1 > FOLDER_NAME_MAX ||
		    strcmp(de->d_name, ".DOVECOT-TRASH") == 0)
			continue;
		for (i = 1; i <= len; i++)
			w[i - 1] = de->d_name[i] == '.' ? '/' : de->d_name[i];
		/* One spelling per folder: ".inbox.x" is not "INBOX/x". */
		if (folder_name_check(w, c, sizeof(c), NULL, 0) != 0 ||
		    is_inbox(c) || strcmp(w, c) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
			0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (add_name(s, c,
			selectable(dirfd(d), de->d_name)
			    ? 0
			    : FOLDER_NOSELECT) == NULL) {
			rc = fail(err, errlen, root);
			break;
		}
	}
	(void)closedir(d);
	return rc;
}

void
folders_free(struct folder_list *fl)
{
	free(fl->v);
	fl->v = NULL;
	fl->n = 0;
}

int
folders_list(const char *root, struct folder_list *fl, char *err, size_t errlen)
{
	struct names s = {NULL, 0, 0};
	struct folder_list subs = {NULL, 0};
	struct folder *f;
	char parent[FOLDER_NAME_MAX + 1];
	size_t i, n0;
	char *slash;

	fl->v = NULL;
	fl->n = 0;
	if (add_name(&s, "INBOX", 0) == NULL ||
	    scan_root(root, &s, err, errlen) != 0)
		goto fail;
	/* The levels above each folder; placeholders where missing. */
	n0 = s.n;
	for (i = 0; i < n0; i++) {
		util_strlcpy(parent, s.v[i].name, sizeof(parent));
		while ((slash = strrchr(parent, '/')) != NULL) {
			*slash = '\0';
			if (add_name(&s, parent,
				is_inbox(parent) ? 0 : PLACEHOLDER) == NULL)
				goto fail_errno;
		}
	}
	sort_unique(&s);
	for (i = 0; i < s.n; i++) {
		/* Children: every entry so far is a folder or stands for
		   one below it. */
		util_strlcpy(parent, s.v[i].name, sizeof(parent));
		if ((slash = strrchr(parent, '/')) != NULL) {
			*slash = '\0';
			if ((f = lookup(&s, parent)) != NULL)
				f->attrs |= FOLDER_HASCHILDREN;
		}
	}
	/* Subscriptions: a name that does not exist is listed as such and
	   has no children (it would be a placeholder if it had). */
	if (folders_subscriptions(root, &subs, err, errlen) != 0)
		goto fail;
	n0 = s.n;
	for (i = 0; i < subs.n; i++) {
		struct names head = {s.v, n0, n0};

		if ((f = lookup(&head, subs.v[i].name)) != NULL)
			f->attrs |= FOLDER_SUBSCRIBED;
		else if (add_name(&s, subs.v[i].name,
			     FOLDER_SUBSCRIBED | FOLDER_NOSELECT |
				 FOLDER_NONEXISTENT) == NULL)
			goto fail_errno;
	}
	folders_free(&subs);
	sort_unique(&s);
	for (i = 0; i < s.n; i++) {
		if (!(s.v[i].attrs & FOLDER_HASCHILDREN))
			s.v[i].attrs |= FOLDER_HASNOCHILDREN;
		if (strchr(s.v[i].name, '/') == NULL)
			s.v[i].attrs |= folder_special_use(s.v[i].name);
	}
	fl->v = s.v;
	fl->n = s.n;
	return 0;
fail_errno:
	(void)fail(err, errlen, root);
fail:
	folders_free(&subs);
	free(s.v);
	return -1;
}

/* ---------------------------------------------------------------- */
/* Subscriptions. */

/* One subscriptions line (version 1 or 2) as a canonical name; 0 or
 * -1 when it is not a valid name. */
static int
subs_line(const char *p, size_t n, int v2, char *out, size_t outlen)
{
	char w[FOLDER_NAME_MAX + 1];
	size_t i, o = 0;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (v2 && c == '\t')
			c = '/';
		else if (v2 && c == '\001') {
			if (++i == n)
				return -1;
			switch (p[i]) {
			case '1': c = '\001'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			default: c = p[i]; break;
			}
		} else if (!v2 && c == '.')
			c = '/';
		if (o == FOLDER_NAME_MAX)
			return -1;
		w[o++] = c;
	}
	w[o] = '\0';
	if (o == 0 || memchr(w, '\0', o) != NULL)
		return -1;
	return folder_name_check(w, out, outlen, NULL, 0);
}

/* Read root's subscriptions into s (canonical names). */
static int
subs_read(const char *root, struct names *s, char *err, size_t errlen)
{
	char p[PATH_MAX], c[FOLDER_NAME_MAX + 1];
	const char *line, *end, *nl;
	struct buf b;
	int fd, rc, v2 = 0;

	if (join(p, sizeof(p), root, FOLDERS_SUBSCRIPTIONS) != 0)
		return fail(err, errlen, root);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, p);
	buf_init(&b, SUBSCRIPTIONS_FILE_MAX);
	rc = buf_read_fd(&b, fd);
	(void)close(fd);
	if (rc != 0) {
		buf_free(&b);
		return fail(err, errlen, p);
	}
	line = b.data != NULL ? b.data : "";
	end = line + b.len;
	if (b.len >= sizeof(SUBS_V2) - 1 &&
	    memcmp(line, SUBS_V2, sizeof(SUBS_V2) - 1) == 0) {
		v2 = 1;
		line += sizeof(SUBS_V2) - 1;
	}
	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (subs_line(line, (size_t)(nl - line), v2, c, sizeof(c)) != 0)
			continue;
		if (add_name(s, c, 0) == NULL) {
			rc = fail(err, errlen, p);
			break;
		}
	}
	buf_free(&b);
	return rc;
}

int
folders_subscriptions(
    const char *root, struct folder_list *fl, char *err, size_t errlen)
{
	struct names s = {NULL, 0, 0};

	fl->v = NULL;
	fl->n = 0;
	if (subs_read(root, &s, err, errlen) != 0) {
		free(s.v);
		return -1;
	}
	sort_unique(&s);
	fl->v = s.v;
	fl->n = s.n;
	return 0;
}

int
folder_subscribe(
    const char *root, const char *name, int on, char *err, size_t errlen)
{
	char c[FOLDER_NAME_MAX + 1];
	struct names s = {NULL, 0, 0};
	struct buf b;
	size_t i, o;
	int lfd, rc = -1, saved, found = 0;

	if (folder_name_check(name, c, sizeof(c), err, errlen) != 0)
		return -1;
	if (lockfile_lock(
		root, FOLDERS_LOCK, FOLDERS_LOCK_WAIT, &lfd, err, errlen) != 0)
		return -1;
	if (subs_read(root, &s, err, errlen) != 0)
		goto out;
	for (i = 0, o = 0; i < s.n; i++) {
		if (strcmp(s.v[i].name, c) == 0) {
			found = 1;
			if (!on)
				continue;
		}
		s.v[o++] = s.v[i];
	}
	s.n = o;
	if (on == found) {
		rc = 0; /* nothing to change */
		goto out;
	}
	if (on && add_name(&s, c, 0) == NULL) {
		(void)fail(err, errlen, root);
		goto out;
	}
	buf_init(&b, SUBSCRIPTIONS_FILE_MAX);
	if (buf_puts(&b, SUBS_V2) != 0)
		goto nomem;
	for (i = 0; i < s.n; i++) {
		char *q;

		/* Valid names hold no control byte: nothing to escape. */
		for (q = s.v[i].name; *q != '\0'; q++)
			if (buf_putc(&b, *q == '/' ? '\t' : *q) != 0)
				goto nomem;
		if (buf_putc(&b, '\n') != 0)
			goto nomem;
	}
	rc = lockfile_replace(
	    root, FOLDERS_SUBSCRIPTIONS, SUBS_TMP, &b, err, errlen);
	goto out;
nomem:
	saved = errno;
	buf_free(&b);
	errno = saved;
	(void)fail(err, errlen, root);
out:
	saved = errno;
	(void)close(lfd);
	free(s.v);
	errno = saved;
	return rc;
}

/* ---------------------------------------------------------------- */
/* CREATE, DELETE, RENAME. */

/*
 * Make the Maildir for canonical name c (not INBOX) when missing, with
 * a UID list whose UIDVALIDITY is above any this tree gave (the lock
 * file's mtime).  *made: it was created.  Under the folders lock lfd.
 */
static int
make_one(const char *root, const char *c, int lfd, int *made, char *err,
    size_t errlen)
{
	char d[FOLDER_NAME_MAX + 2], p[PATH_MAX];
	struct timespec ts[2];
	struct stat st;
	uint32_t hw = 0, v;

	*made = 0;
	disk_name(c, d);
	if (join(p, sizeof(p), root, d) != 0)
		return fail(err, errlen, root);
	if (lstat(p, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return fail(err, errlen, p);
	/* maildir_create_folder takes the name without its first dot. */
	if (maildir_create_folder(root, d + 1, err, errlen) != 0)
		return -1;
	*made = 1;
	if (fstat(lfd, &st) == 0 && st.st_mtime > 0 &&
	    (uintmax_t)st.st_mtime < UINT32_MAX)
		hw = (uint32_t)st.st_mtime;
	if (mailbox_create_list(p, hw + 1, &v, err, errlen) != 0)
		return -1;
	if (v > hw) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)v;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(lfd, ts);
	}
	return 0;
}

/* Create c and the levels above it (not INBOX); EEXIST when c was
 * there.  Under the folders lock. */
static int
make_all(const char *root, const char *c, int lfd, char *err, size_t errlen)
{
	char part[FOLDER_NAME_MAX + 1];
	size_t i;
	int made = 0;

	for (i = 0;; i++) {
		if (c[i] != '/' && c[i] != '\0')
			continue;
		memcpy(part, c, i);
		part[i] = '\0';
		if (!is_inbox(part) &&
		    make_one(root, part, lfd, &made, err, errlen) != 0)
			return -1;
		if (c[i] == '\0')
			break;
	}
	if (!made) {
		util_seterr(err, errlen, "%s: folder exists", c);
		errno = EEXIST;
		return -1;
	}
	return 0;
}

int
folder_create(const char *root, const char *name, char *err, size_t errlen)
{
	char c[FOLDER_NAME_MAX + 1];
	int lfd, rc, saved;

	if (folder_name_check(name, c, sizeof(c), err, errlen) != 0)
		return -1;
	if (is_inbox(c))
		return bad(err, errlen, EEXIST, c, "INBOX always exists");
	if (lockfile_lock(
		root, FOLDERS_LOCK, FOLDERS_LOCK_WAIT, &lfd, err, errlen) != 0)
		return -1;
	rc = make_all(root, c, lfd, err, errlen);
	saved = errno;
	(void)close(lfd);
	errno = saved;
	return rc;
}

/* The directory entries of root below disk name d (".A" has ".A.x"):
 * appended to s without their first dot ("A.x"). */
static int
children(
    const char *root, const char *d, struct names *s, char *err, size_t errlen)
{
	struct dirent *de;
	size_t dl = strlen(d);
	DIR *dir;
	int rc = 0;

	if ((dir = opendir(root)) == NULL)
		return fail(err, errlen, root);
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			if (errno != 0)
				rc = fail(err, errlen, root);
			break;
		}
		if (strncmp(de->d_name, d, dl) == 0 && de->d_name[dl] == '.' &&
		    de->d_name[dl + 1] != '\0' &&
		    add_name(s, de->d_name + 1, 0) == NULL) {
			rc = fail(err, errlen, root);
			break;
		}
	}
	(void)closedir(dir);
	return rc;
}

/* Empty and remove the directory fd refers to, depth levels deep at
 * most, never following a symbolic link.  Best effort. */
static void
remove_tree(int fd, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int sub;

	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			0 &&
		    S_ISDIR(st.st_mode)) {
			if (depth > 1 &&
			    (sub = openat(dirfd(d), de->d_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				     O_CLOEXEC)) >= 0) {
				remove_tree(sub, depth - 1);
				(void)unlinkat(
				    dirfd(d), de->d_name, AT_REMOVEDIR);
			}
			continue;
		}
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	(void)closedir(d);
}

int
folder_delete(const char *root, const char *name, char *err, size_t errlen)
{
	char c[FOLDER_NAME_MAX + 1], d[FOLDER_NAME_MAX + 2], p[PATH_MAX];
	char t[PATH_MAX], tn[64];
	struct names kids = {NULL, 0, 0};
	struct stat st;
	int lfd, rc = -1, saved, fd;

	if (folder_name_check(name, c, sizeof(c), err, errlen) != 0)
		return -1;
	if (is_inbox(c))
		return bad(err, errlen, EPERM, c, "INBOX cannot be deleted");
	disk_name(c, d);
	if (join(p, sizeof(p), root, d) != 0)
		return fail(err, errlen, root);
	if (lockfile_lock(
		root, FOLDERS_LOCK, FOLDERS_LOCK_WAIT, &lfd, err, errlen) != 0)
		return -1;
	if (lstat(p, &st) != 0) {
		(void)bad(err, errlen, errno, c,
		    errno == ENOENT ? "no such folder" : strerror(errno));
		goto out;
	}
	if (children(root, d, &kids, err, errlen) != 0)
		goto out;
	if (kids.n > 0) {
		(void)bad(err, errlen, ENOTEMPTY, c,
		    "folder has children: delete them first");
		goto out;
	}
	/* Gone from every LIST in one step, then emptied. */
	(void)snprintf(tn, sizeof(tn), "%s%lld.%ld.%lu", TRASH_PREFIX,
	    (long long)time(NULL), (long)getpid(),
	    (unsigned long)util_random());
	if (join(t, sizeof(t), root, tn) != 0 || rename(p, t) != 0) {
		(void)fail(err, errlen, p);
		goto out;
	}
	(void)util_fsync_dir(root);
	if ((fd = open(t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >=
	    0) {
		remove_tree(fd, REMOVE_DEPTH);
		(void)rmdir(t);
	} else
		(void)unlink(t); /* a symbolic link: only the link goes */
	rc = 0;
out:
	saved = errno;
	(void)close(lfd);
	free(kids.v);
	errno = saved;
	return rc;
}

/* Move every message file of INBOX (root) into dst, keeping names. */
static int
move_inbox(const char *root, const char *dst, char *err, size_t errlen)
{
	static const char *const subs[2] = {"new", "cur"};
	char from[PATH_MAX], to[PATH_MAX], p[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int k, rc = 0;

	for (k = 0; k < 2 && rc == 0; k++) {
		if (join(p, sizeof(p), root, subs[k]) != 0)
			return fail(err, errlen, root);
		if ((d = opendir(p)) == NULL)
			return fail(err, errlen, p);
		for (;;) {
			errno = 0;
			if ((de = readdir(d)) == NULL) {
				if (errno != 0)
					rc = fail(err, errlen, p);
				break;
			}
			if (de->d_name[0] == '.')
				continue;
			if (join(from, sizeof(from), p, de->d_name) != 0 ||
			    snprintf(to, sizeof(to), "%s/%s/%s", dst, subs[k],
				de->d_name) >= (int)sizeof(to) ||
			    (rename(from, to) != 0 && errno != ENOENT)) {
				rc = fail(err, errlen, from);
				break;
			}
		}
		(void)closedir(d);
	}
	for (k = 0; k < 2; k++) {
		if (join(p, sizeof(p), dst, subs[k]) == 0)
			(void)util_fsync_dir(p);
		if (join(p, sizeof(p), root, subs[k]) == 0)
			(void)util_fsync_dir(p);
	}
	return rc;
}

/* Copy INBOX's keyword file to dst (the letters in the moved names). */
static int
copy_keywords(const char *root, const char *dst, char *err, size_t errlen)
{
	struct keywords kw;
	struct buf b;
	int lfd, rc;

	if (keywords_load(&kw, root, err, errlen) != 0)
		return -1;
	if (kw.count == 0)
		return 0;
	buf_init(&b, KEYWORDS_FILE_MAX);
	if (keywords_format(&kw, &b) != 0) {
		buf_free(&b);
		return fail(err, errlen, dst);
	}
	if (lockfile_lock(dst, KEYWORDS_LOCK, FOLDERS_LOCK_WAIT, &lfd, err,
		errlen) != 0) {
		buf_free(&b);
		return -1;
	}
	rc = lockfile_replace(
	    dst, KEYWORDS_FILE, "dovecot-keywords.yubin-tmp", &b, err, errlen);
	(void)close(lfd);
	return rc;
}

static int
rename_inbox(
    const char *root, const char *to, int lfd, char *err, size_t errlen)
{
	char p[PATH_MAX];

	if (make_all(root, to, lfd, err, errlen) != 0)
		return -1;
	if (canon_path(root, to, p, sizeof(p)) != 0)
		return fail(err, errlen, root);
	if (copy_keywords(root, p, err, errlen) != 0)
		return -1;
	return move_inbox(root, p, err, errlen);
}

int
folder_rename(const char *root, const char *from, const char *to, char *err,
    size_t errlen)
{
	char f[FOLDER_NAME_MAX + 1], t[FOLDER_NAME_MAX + 1];
	char fd_[FOLDER_NAME_MAX + 2], td[FOLDER_NAME_MAX + 2];
	char a[PATH_MAX], b[PATH_MAX], nt[FOLDER_NAME_MAX + 2];
	char parent[FOLDER_NAME_MAX + 1], *slash;
	struct names kids = {NULL, 0, 0};
	struct stat st;
	size_t fl, i;
	int lfd, rc = -1, saved;

	if (folder_name_check(from, f, sizeof(f), err, errlen) != 0 ||
	    folder_name_check(to, t, sizeof(t), err, errlen) != 0)
		return -1;
	if (is_inbox(t))
		return bad(err, errlen, EEXIST, t, "INBOX always exists");
	fl = strlen(f);
	if (strncmp(t, f, fl) == 0 && (t[fl] == '/' || t[fl] == '\0'))
		return bad(err, errlen, EINVAL, t,
		    "cannot rename a folder below itself");
	if (lockfile_lock(
		root, FOLDERS_LOCK, FOLDERS_LOCK_WAIT, &lfd, err, errlen) != 0)
		return -1;
	if (canon_path(root, t, b, sizeof(b)) != 0) {
		(void)fail(err, errlen, root);
		goto out;
	}
	if (lstat(b, &st) == 0) {
		(void)bad(err, errlen, EEXIST, t, "folder exists");
		goto out;
	}
	if (is_inbox(f)) {
		rc = rename_inbox(root, t, lfd, err, errlen);
		goto out;
	}
	disk_name(f, fd_);
	disk_name(t, td);
	if (join(a, sizeof(a), root, fd_) != 0) {
		(void)fail(err, errlen, root);
		goto out;
	}
	if (lstat(a, &st) != 0) {
		(void)bad(err, errlen, errno, f,
		    errno == ENOENT ? "no such folder" : strerror(errno));
		goto out;
	}
	if (children(root, fd_, &kids, err, errlen) != 0)
		goto out;
	/* Every target free before the first rename ("A.x" is the child
	   of ".A"; its new name is TD + ".x"). */
	for (i = 0; i < kids.n; i++) {
		if (strlen(td) + strlen(kids.v[i].name) + 1 - strlen(fd_) >
		    FOLDER_NAME_MAX + 1) {
			(void)bad(
			    err, errlen, EINVAL, t, "folder name too long");
			goto out;
		}
		(void)snprintf(nt, sizeof(nt), "%s%s", td,
		    kids.v[i].name + strlen(fd_) - 1);
		if (join(b, sizeof(b), root, nt) == 0 && lstat(b, &st) == 0) {
			(void)bad(err, errlen, EEXIST, nt + 1, "folder exists");
			goto out;
		}
	}
	/* The levels above the new name. */
	util_strlcpy(parent, t, sizeof(parent));
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		if (!is_inbox(parent) &&
		    make_all(root, parent, lfd, err, errlen) != 0 &&
		    errno != EEXIST)
			goto out;
	}
	if (join(b, sizeof(b), root, td) != 0 || rename(a, b) != 0) {
		(void)fail(err, errlen, a);
		goto out;
	}
	for (i = 0; i < kids.n; i++) {
		(void)snprintf(nt, sizeof(nt), "%s%s", td,
		    kids.v[i].name + strlen(fd_) - 1);
		if (snprintf(a, sizeof(a), "%s/.%s", root, kids.v[i].name) >=
			(int)sizeof(a) ||
		    join(b, sizeof(b), root, nt) != 0 || rename(a, b) != 0) {
			(void)fail(err, errlen, a);
			goto out;
		}
	}
	(void)util_fsync_dir(root);
	rc = 0;
out:
	saved = errno;
	(void)close(lfd);
	free(kids.v);
	errno = saved;
	return rc;
}
