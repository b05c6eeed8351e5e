/*
 * keywords.c: IMAP flags and keywords as Maildir info letters, and the
 * folder's Dovecot-compatible keyword file (see keywords.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "keywords.h"
#include "lockfile.h"
#include "uidlist.h"
#include "util.h"

#define KEYWORDS_TMP "dovecot-keywords.yubin-tmp"
/* Seconds to wait for the keyword lock. */
#define KEYWORDS_LOCK_WAIT 30

static const struct {
	const char *name;
	char letter;
} sysflags[] = {
    {"\\Draft", 'D'},
    {"\\Flagged", 'F'},
    {"\\Answered", 'R'},
    {"\\Seen", 'S'},
    {"\\Deleted", 'T'},
};
#define NSYS (sizeof(sysflags) / sizeof(sysflags[0]))

static int
fail(char *err, size_t errlen, const char *path)
{
	int saved = errno;

	util_seterr(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

/* "bad flag "NAME"" with its control bytes shown as "?"; EINVAL. */
static int
bad_name(char *err, size_t errlen, const char *name)
{
	char shown[KEYWORD_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < KEYWORD_NAME_MAX && name[i] != '\0'; i++)
		shown[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f
		    ? '?'
		    : name[i];
	shown[i] = '\0';
	util_seterr(err, errlen, "bad flag \"%s\"", shown);
	errno = EINVAL;
	return -1;
}

int
keywords_system_letter(const char *name)
{
	size_t i;

	for (i = 0; i < NSYS; i++)
		if (strcasecmp(name, sysflags[i].name) == 0)
			return sysflags[i].letter;
	return 0;
}

const char *
keywords_system_name(int letter)
{
	size_t i;

	for (i = 0; i < NSYS; i++)
		if (sysflags[i].letter == letter)
			return sysflags[i].name;
	return NULL;
}

/* An ATOM-CHAR of RFC 3501 §9 (also RFC 9051 §9). */
static int
atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\]", c) == NULL;
}

static int
valid_n(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > KEYWORD_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!atom_char((unsigned char)p[i]))
			return 0;
	return 1;
}

int
keywords_valid(const char *name)
{
	return valid_n(name, strnlen(name, KEYWORD_NAME_MAX + 1));
}

static int
find_n(const struct keywords *kw, const char *p, size_t n)
{
	int k;

	for (k = 0; k < KEYWORDS_N; k++)
		if (kw->name[k][0] != '\0' && strlen(kw->name[k]) == n &&
		    strncasecmp(kw->name[k], p, n) == 0)
			return k;
	return -1;
}

int
keywords_find(const struct keywords *kw, const char *name)
{
	return find_n(kw, name, strnlen(name, KEYWORD_NAME_MAX + 1));
}

void
keywords_parse(const char *p, size_t n, struct keywords *kw)
{
	const char *line, *end = p + n, *nl, *sp;
	size_t len, nlen;
	unsigned k;

	memset(kw, 0, sizeof(*kw));
	for (line = p; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end; /* a last line without LF still counts */
		len = (size_t)(nl - line);
		sp = memchr(line, ' ', len);
		if (sp == NULL || sp == line || sp - line > 2)
			continue;
		if (line[0] < '0' || line[0] > '9' ||
		    (sp - line == 2 && (line[1] < '0' || line[1] > '9')))
			continue;
		k = (unsigned)(line[0] - '0');
		if (sp - line == 2)
			k = k * 10 + (unsigned)(line[1] - '0');
		nlen = len - (size_t)(sp + 1 - line);
		if (k >= KEYWORDS_N || kw->name[k][0] != '\0' ||
		    !valid_n(sp + 1, nlen) || find_n(kw, sp + 1, nlen) >= 0)
			continue;
		memcpy(kw->name[k], sp + 1, nlen);
		kw->name[k][nlen] = '\0';
		kw->count++;
	}
}

int
keywords_format(const struct keywords *kw, struct buf *b)
{
	int k;

	for (k = 0; k < KEYWORDS_N; k++)
		if (kw->name[k][0] != '\0' &&
		    buf_printf(b, "%d %s\n", k, kw->name[k]) != 0)
			return -1;
	return 0;
}

int
keywords_load(struct keywords *kw, const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct buf b;
	int fd, rc, n;

	memset(kw, 0, sizeof(*kw));
	n = snprintf(p, sizeof(p), "%s/%s", dir, KEYWORDS_FILE);
	if (n < 0 || (size_t)n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return fail(err, errlen, dir);
	}
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, p);
	buf_init(&b, KEYWORDS_FILE_MAX);
	rc = buf_read_fd(&b, fd);
	(void)close(fd);
	if (rc != 0) {
		buf_free(&b);
		return fail(err, errlen, p);
	}
	keywords_parse(b.data != NULL ? b.data : "", b.len, kw);
	buf_free(&b);
	return 0;
}

int
keywords_full(const struct keywords *kw)
{
	return kw->count >= KEYWORDS_N;
}

uint64_t
keywords_scope(const struct keywords *kw)
{
	uint64_t m = 0;
	size_t i;
	int k;

	for (i = 0; i < NSYS; i++)
		m |= MAILBOX_FLAG(sysflags[i].letter);
	for (k = 0; k < KEYWORDS_N; k++)
		if (kw->name[k][0] != '\0')
			m |= MAILBOX_FLAG('a' + k);
	return m;
}

int
keywords_add(struct keywords *kw, const char *dir, const char *const *names,
    size_t n, char *err, size_t errlen)
{
	struct buf b;
	size_t i;
	int lfd, k, added = 0, full = 0, saved, rc = -1;

	for (i = 0; i < n; i++)
		if (!keywords_valid(names[i]))
			return bad_name(err, errlen, names[i]);
	if (lockfile_lock(
		dir, KEYWORDS_LOCK, KEYWORDS_LOCK_WAIT, &lfd, err, errlen) != 0)
		return -1;
	if (keywords_load(kw, dir, err, errlen) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (keywords_find(kw, names[i]) >= 0)
			continue;
		for (k = 0; k < KEYWORDS_N && kw->name[k][0] != '\0'; k++)
			;
		if (k == KEYWORDS_N) {
			full = 1;
			continue;
		}
		util_strlcpy(kw->name[k], names[i], sizeof(kw->name[k]));
		kw->count++;
		added = 1;
	}
	if (added) {
		buf_init(&b, KEYWORDS_FILE_MAX);
		if (keywords_format(kw, &b) != 0) {
			saved = errno;
			buf_free(&b);
			errno = saved;
			(void)fail(err, errlen, dir);
			goto out;
		}
		if (lockfile_replace(
			dir, KEYWORDS_FILE, KEYWORDS_TMP, &b, err, errlen) != 0)
			goto out;
	}
	if (full) {
		util_seterr(
		    err, errlen, "%s: all %d keywords in use", dir, KEYWORDS_N);
		errno = ENOSPC;
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	(void)close(lfd);
	errno = saved;
	return rc;
}

int
keywords_mask(struct keywords *kw, const char *dir, const char *const *names,
    size_t n, int create, uint64_t *mask, char *err, size_t errlen)
{
	const char *missing[KEYWORDS_N + 1];
	size_t i, nm = 0;
	uint64_t m = 0;
	int c, k, again = 0;

	for (i = 0; i < n; i++) {
		if (names[i][0] == '\\') {
			if ((c = keywords_system_letter(names[i])) == 0)
				goto bad;
			m |= MAILBOX_FLAG(c);
			continue;
		}
		if (!keywords_valid(names[i]))
			goto bad;
		if ((k = keywords_find(kw, names[i])) >= 0) {
			m |= MAILBOX_FLAG('a' + k);
			continue;
		}
		if (!create)
			continue;
		/* More than 26 new names cannot all fit: stop collecting. */
		if (nm < KEYWORDS_N + 1)
			missing[nm++] = names[i];
		again = 1;
	}
	if (again) {
		if (keywords_add(kw, dir, missing, nm, err, errlen) != 0)
			return -1;
		for (i = 0; i < n; i++)
			if (names[i][0] != '\\' &&
			    (k = keywords_find(kw, names[i])) >= 0)
				m |= MAILBOX_FLAG('a' + k);
	}
	*mask = m;
	return 0;
bad:
	return bad_name(err, errlen, names[i]);
}

int
keywords_names(const struct keywords *kw, uint64_t mask, struct buf *b)
{
	size_t i;
	int k, first = 1;

	for (i = 0; i < NSYS; i++) {
		if (!(mask & MAILBOX_FLAG(sysflags[i].letter)))
			continue;
		if ((!first && buf_putc(b, ' ') != 0) ||
		    buf_puts(b, sysflags[i].name) != 0)
			return -1;
		first = 0;
	}
	for (k = 0; k < KEYWORDS_N; k++) {
		if (!(mask & MAILBOX_FLAG('a' + k)) || kw->name[k][0] == '\0')
			continue;
		if ((!first && buf_putc(b, ' ') != 0) ||
		    buf_puts(b, kw->name[k]) != 0)
			return -1;
		first = 0;
	}
	return 0;
}

int
keywords_map(const struct keywords *src, uint64_t used, struct keywords *dst,
    const char *dstdir, unsigned char map[KEYWORDS_N], char *err, size_t errlen)
{
	const char *need[KEYWORDS_N];
	size_t nn = 0;
	int k, t;

	for (k = 0; k < KEYWORDS_N; k++) {
		map[k] = 0xff;
		if ((used & MAILBOX_FLAG('a' + k)) && src->name[k][0] != '\0' &&
		    keywords_find(dst, src->name[k]) < 0)
			need[nn++] = src->name[k];
	}
	/* A full target keeps what fits: the rest are dropped. */
	if (nn > 0 && keywords_add(dst, dstdir, need, nn, err, errlen) != 0 &&
	    errno != ENOSPC)
		return -1;
	for (k = 0; k < KEYWORDS_N; k++)
		if ((used & MAILBOX_FLAG('a' + k)) && src->name[k][0] != '\0' &&
		    (t = keywords_find(dst, src->name[k])) >= 0)
			map[k] = (unsigned char)t;
	return 0;
}
