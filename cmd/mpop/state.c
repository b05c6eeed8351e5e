/*
 * state.c: the per-account state of `mpop fetch' (see state.h for the
 * file format and the crash rules) and the parsers for the server's
 * UIDL and LIST listings.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "pop3.h"
#include "state.h"
#include "util.h"

void
state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->fd = -1;
	st->lockfd = -1;
}

void
state_free(struct state *st)
{
	size_t i;

	for (i = 0; i < st->cap; i++) {
		free(st->tab[i].uidl);
		free(st->tab[i].uniq);
	}
	free(st->tab);
	st->tab = NULL;
	st->cap = st->n = st->npending = 0;
}

/* FNV-1a. */
static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct state_ent *
slot(const struct state_ent *tab, size_t cap, const char *uidl)
{
	size_t i = hash(uidl) & (cap - 1);

	while (tab[i].uidl != NULL && strcmp(tab[i].uidl, uidl) != 0)
		i = (i + 1) & (cap - 1);
	return (struct state_ent *)&tab[i];
}

struct state_ent *
state_find(const struct state *st, const char *uidl)
{
	struct state_ent *e;

	if (st->cap == 0)
		return NULL;
	e = slot(st->tab, st->cap, uidl);
	return e->uidl != NULL ? e : NULL;
}

static int
grow(struct state *st)
{
	struct state_ent *tab, *e;
	size_t cap = st->cap == 0 ? 64 : st->cap * 2, i;

	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < st->cap; i++)
		if (st->tab[i].uidl != NULL) {
			e = slot(tab, cap, st->tab[i].uidl);
			*e = st->tab[i];
		}
	free(st->tab);
	st->tab = tab;
	st->cap = cap;
	return 0;
}

struct state_ent *
state_add(struct state *st, const char *uidl)
{
	struct state_ent *e;

	if ((e = state_find(st, uidl)) != NULL)
		return e;
	if (st->n >= STATE_ENTRIES_MAX) {
		errno = EMSGSIZE;
		return NULL;
	}
	/* Load factor at most 1/2. */
	if ((st->n + 1) * 2 > st->cap && grow(st) == -1)
		return NULL;
	e = slot(st->tab, st->cap, uidl);
	if ((e->uidl = strdup(uidl)) == NULL)
		return NULL;
	e->uniq = NULL;
	e->flags = 0;
	st->n++;
	return e;
}

static void
set_pending(struct state *st, struct state_ent *e, char *uniq)
{
	free(e->uniq);
	e->uniq = uniq;
	if (!(e->flags & ST_PENDING))
		st->npending++;
	e->flags |= ST_PENDING;
}

static void
clear_pending(struct state *st, struct state_ent *e)
{
	free(e->uniq);
	e->uniq = NULL;
	if (e->flags & ST_PENDING)
		st->npending--;
	e->flags &= ~(unsigned)ST_PENDING;
}

/* A unique name as maildir_unique makes it, or any safe file name. */
static int
uniq_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAILDIR_NAME_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '/' || s[i] == ':' ||
		    s[i] == ',')
			return 0;
	return 1;
}

/* One line (without its "\n"). */
static int
parse_line(
    struct state *st, const char *l, size_t len, char *err, size_t errlen)
{
	char uidl[POP3_UIDL_MAX + 1], *uniq;
	struct state_ent *e;
	const char *sp;
	size_t ulen;

	if (len < 3 || l[1] != ' ' || (l[0] != 'F' && l[0] != 'P')) {
		util_seterr(err, errlen, "not an F or P record");
		return -1;
	}
	sp = memchr(l + 2, ' ', len - 2);
	ulen = sp != NULL ? (size_t)(sp - (l + 2)) : len - 2;
	if (!pop3_uidl_valid(l + 2, ulen)) {
		util_seterr(err, errlen, "not a unique-id (RFC 1939 §7)");
		return -1;
	}
	memcpy(uidl, l + 2, ulen);
	uidl[ulen] = '\0';
	if (l[0] == 'F') {
		if (sp != NULL) {
			util_seterr(err, errlen, "text after the unique-id");
			return -1;
		}
		if ((e = state_add(st, uidl)) == NULL)
			goto nomem;
		clear_pending(st, e);
		e->flags |= ST_FETCHED;
		return 0;
	}
	if (sp == NULL || !uniq_valid(sp + 1, len - (size_t)(sp + 1 - l))) {
		util_seterr(err, errlen, "P record without a unique name");
		return -1;
	}
	if ((e = state_add(st, uidl)) == NULL)
		goto nomem;
	if (e->flags & ST_FETCHED)
		return 0;
	if ((uniq = strndup(sp + 1, len - (size_t)(sp + 1 - l))) == NULL)
		goto nomem;
	set_pending(st, e, uniq);
	return 0;
nomem:
	util_seterr(err, errlen, "%s", strerror(errno));
	return -1;
}

int
state_parse(
    struct state *st, const char *p, size_t len, char *err, size_t errlen)
{
	char why[ERR_MAX];
	const char *nl;
	size_t off, lineno = 1, i, l;

	st->torn = 0;
	if (len == 0)
		return 0;
	if (len > STATE_FILE_MAX) {
		util_seterr(err, errlen, "larger than %zu bytes",
		    (size_t)STATE_FILE_MAX);
		return -1;
	}
	l = strlen(STATE_MAGIC);
	if (len < l + 1 || memcmp(p, STATE_MAGIC, l) != 0 || p[l] != '\n') {
		/* A crash while the first line was written: a prefix of it
		   (maybe empty), then only NUL bytes.  Anything else is some
		   other file, which must not be taken for an empty state
		   and overwritten. */
		for (i = 0; i < len && i < l && p[i] == STATE_MAGIC[i]; i++)
			;
		while (i < len && p[i] == '\0')
			i++;
		if (i == len) {
			st->torn = 1;
			return 0;
		}
		util_seterr(err, errlen,
		    "line 1: not a mpop state file (\"%s\" expected)",
		    STATE_MAGIC);
		return -1;
	}
	for (off = l + 1; off < len; off = (size_t)(nl - p) + 1) {
		lineno++;
		nl = memchr(p + off, '\n', len - off);
		if (nl == NULL) {
			/* A record cut short by a crash. */
			st->torn = 1;
			return 0;
		}
		l = (size_t)(nl - (p + off));
		if (l > STATE_LINE_MAX) {
			util_seterr(err, errlen,
			    "line %zu: longer than %d bytes", lineno,
			    STATE_LINE_MAX);
			return -1;
		}
		/* NUL blocks after a crash end the journal too, when nothing
		   but NUL and newlines follows. */
		if (l > 0 && p[off] == '\0') {
			for (i = off; i < len && (p[i] == '\0' || p[i] == '\n');
			     i++)
				;
			if (i == len) {
				st->torn = 1;
				return 0;
			}
		}
		if (parse_line(st, p + off, l, why, sizeof(why)) == -1) {
			util_seterr(err, errlen, "line %zu: %s", lineno, why);
			return -1;
		}
	}
	return 0;
}

static int
dir_of(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return util_strlcpy(out, ".", outlen) < outlen ? 0 : -1;
	if (slash == path)
		return util_strlcpy(out, "/", outlen) < outlen ? 0 : -1;
	if ((size_t)(slash - path) >= outlen)
		return -1;
	memcpy(out, path, (size_t)(slash - path));
	out[slash - path] = '\0';
	return 0;
}

int
state_open(struct state *st, const char *path, char *err, size_t errlen)
{
	char lock[PATH_MAX + 8], why[ERR_MAX];
	struct buf b = BUF_INIT;
	int rc;

	if (util_strlcpy(st->path, path, sizeof(st->path)) >=
		sizeof(st->path) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
		sizeof(lock)) {
		util_seterr(err, errlen, "%s: path too long", path);
		return EX_USAGE;
	}
	if (util_mkparents(path) == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	if ((st->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
	    -1) {
		util_seterr(err, errlen, "%s: %s", lock, strerror(errno));
		return EX_CANTCREAT;
	}
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) == -1) {
		util_seterr(err, errlen,
		    "%s: in use by another mpop fetch (%s)", path,
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	st->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (st->fd == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	buf_init(&b, STATE_FILE_MAX);
	if (buf_read_fd(&b, st->fd) == -1) {
		util_seterr(err, errlen, "%s: %s", path,
		    errno == EMSGSIZE ? "state file too large"
				      : strerror(errno));
		buf_free(&b);
		return errno == EMSGSIZE ? EX_CONFIG : EX_IOERR;
	}
	rc = state_parse(st, b.data, b.len, why, sizeof(why));
	buf_free(&b);
	if (rc == -1) {
		util_seterr(err, errlen,
		    "%s: damaged state file: %s (move it away to start "
		    "afresh; `--all' fetches everything again)",
		    path, why);
		return EX_CONFIG;
	}
	/* A new or torn file gets a clean start now, so appends land on
	   whole lines. */
	if ((b.len == 0 || st->torn) && state_rewrite(st, 0, err, errlen))
		return EX_IOERR;
	return 0;
}

static int
append(struct state *st, const char *line, size_t len, char *err, size_t errlen)
{
	if (util_write_all(st->fd, line, len) == -1) {
		util_seterr(err, errlen, "%s: %s", st->path, strerror(errno));
		return -1;
	}
	st->appended++;
	return 0;
}

int
state_put_pending(struct state *st, const char *uidl, const char *uniq,
    char *err, size_t errlen)
{
	char line[STATE_LINE_MAX + 2], *u;
	struct state_ent *e;
	int n;

	n = snprintf(line, sizeof(line), "P %s %s\n", uidl, uniq);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    !uniq_valid(uniq, strlen(uniq))) {
		util_seterr(err, errlen, "%s: bad unique name", st->path);
		return -1;
	}
	if ((e = state_add(st, uidl)) == NULL || (u = strdup(uniq)) == NULL) {
		util_seterr(err, errlen, "%s", strerror(errno));
		return -1;
	}
	set_pending(st, e, u);
	return append(st, line, (size_t)n, err, errlen);
}

int
state_put_fetched(struct state *st, const char *uidl, char *err, size_t errlen)
{
	char line[STATE_LINE_MAX + 2];
	struct state_ent *e;
	int n;

	n = snprintf(line, sizeof(line), "F %s\n", uidl);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		util_seterr(err, errlen, "%s: bad unique-id", st->path);
		return -1;
	}
	if ((e = state_add(st, uidl)) == NULL) {
		util_seterr(err, errlen, "%s", strerror(errno));
		return -1;
	}
	clear_pending(st, e);
	e->flags |= ST_FETCHED;
	return append(st, line, (size_t)n, err, errlen);
}

int
state_sync(struct state *st, char *err, size_t errlen)
{
	if (fdatasync(st->fd) == -1) {
		util_seterr(err, errlen, "%s: %s", st->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
by_uniq(const void *a, const void *b)
{
	const struct state_ent *const *x = a, *const *y = b;

	return strcmp((*x)->uniq, (*y)->uniq);
}

/* Pending entries whose unique name new/ or cur/ holds become fetched. */
static int
scan_sub(const char *dir, const char *sub, struct state_ent **pend,
    size_t npend, char *err, size_t errlen)
{
	char path[PATH_MAX], key[MAILDIR_NAME_MAX + 1];
	struct state_ent k, *kp = &k, **hit;
	struct dirent *de;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    sizeof(path)) {
		util_seterr(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	k.uniq = key;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* The unique part: up to ",S=..." or ":2,FLAGS". */
		(void)util_strlcpy(key, de->d_name, sizeof(key));
		key[strcspn(key, ",:")] = '\0';
		hit = bsearch(&kp, pend, npend, sizeof(*pend), by_uniq);
		if (hit != NULL)
			(*hit)->flags |= ST_FETCHED;
	}
	(void)closedir(d);
	return 0;
}

int
state_resolve(struct state *st, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct state_ent **pend;
	size_t i, n = 0;
	int rc = 0;

	if (st->npending == 0)
		return 0;
	if ((pend = calloc(st->npending, sizeof(*pend))) == NULL) {
		util_seterr(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (i = 0; i < st->cap && n < st->npending; i++)
		if (st->tab[i].uidl != NULL && (st->tab[i].flags & ST_PENDING))
			pend[n++] = &st->tab[i];
	qsort(pend, n, sizeof(*pend), by_uniq);
	if (dir != NULL &&
	    (scan_sub(dir, "new", pend, n, err, errlen) == -1 ||
		scan_sub(dir, "cur", pend, n, err, errlen) == -1))
		rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		/* Its tmp file, if any, is debris now: never linked, or a
		   second name of what new/ holds (maildir_commit links,
		   then unlinks the tmp name). */
		if (dir != NULL &&
		    (size_t)snprintf(path, sizeof(path), "%s/tmp/%s", dir,
			pend[i]->uniq) < sizeof(path))
			(void)unlink(path);
		clear_pending(st, pend[i]);
	}
	free(pend);
	return rc;
}

size_t
state_prunable(const struct state *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->cap; i++)
		if (st->tab[i].uidl != NULL &&
		    (st->tab[i].flags & (ST_FETCHED | ST_ONSERVER)) ==
			ST_FETCHED)
			n++;
	return n;
}

int
state_rewrite(struct state *st, int prune, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	struct buf b;
	size_t i;
	int fd = -1;

	buf_init(&b, 0);
	if (buf_puts(&b, STATE_MAGIC "\n") == -1)
		goto fail;
	for (i = 0; i < st->cap; i++) {
		const struct state_ent *e = &st->tab[i];

		if (e->uidl == NULL)
			continue;
		/* A pending record stays until a start resolves it. */
		if ((e->flags & ST_PENDING) &&
		    buf_printf(&b, "P %s %s\n", e->uidl, e->uniq) == -1)
			goto fail;
		if (!(e->flags & ST_FETCHED) ||
		    (prune && !(e->flags & ST_ONSERVER)))
			continue;
		if (buf_printf(&b, "F %s\n", e->uidl) == -1)
			goto fail;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", st->path) >=
		sizeof(tmp) ||
	    dir_of(st->path, dir, sizeof(dir)) == -1) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || util_write_all(fd, b.data, b.len) == -1 ||
	    fsync(fd) == -1 || rename(tmp, st->path) == -1 ||
	    util_fsync_dir(dir) == -1)
		goto fail;
	buf_free(&b);
	/* Appends go on to the new file (fd was opened O_WRONLY; reopen
	   it for appending). */
	(void)close(fd);
	fd = open(st->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd == -1)
		goto fail;
	if (st->fd != -1)
		(void)close(st->fd);
	st->fd = fd;
	st->appended = 0;
	st->torn = 0;
	if (prune)
		for (i = 0; i < st->cap; i++) {
			struct state_ent *e = &st->tab[i];

			if (e->uidl != NULL && !(e->flags & ST_ONSERVER))
				e->flags &= ~(unsigned)ST_FETCHED;
		}
	return 0;
fail:
	util_seterr(err, errlen, "%s: %s", st->path, strerror(errno));
	if (fd != -1) {
		(void)close(fd);
		(void)unlink(tmp);
	}
	buf_free(&b);
	return -1;
}

void
state_close(struct state *st)
{
	if (st->fd != -1)
		(void)close(st->fd);
	if (st->lockfd != -1)
		(void)close(st->lockfd);
	st->fd = st->lockfd = -1;
}

/* ---------------------------------------------------------------- listings */

void
listing_free(struct listing *l)
{
	free(l->item);
	memset(l, 0, sizeof(*l));
}

/* Next line of p[*off..len): its start and length without CRLF/LF. */
static int
next_line(
    const char *p, size_t len, size_t *off, const char **line, size_t *linelen)
{
	const char *nl;
	size_t l;

	if (*off >= len)
		return 0;
	*line = p + *off;
	nl = memchr(*line, '\n', len - *off);
	l = nl != NULL ? (size_t)(nl - *line) : len - *off;
	*off += l + (nl != NULL);
	if (l > 0 && (*line)[l - 1] == '\r')
		l--;
	*linelen = l;
	return 1;
}

static int
by_num(const void *a, const void *b)
{
	const struct listing_item *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

int
listing_parse_uidl(
    struct listing *l, const char *p, size_t len, char *err, size_t errlen)
{
	const char *line;
	size_t off = 0, ll, i, lineno = 0;
	struct listing_item *it;

	l->n = 0;
	while (next_line(p, len, &off, &line, &ll)) {
		lineno++;
		/* libcurl hands over the CRLF before the final "." too:
		   an empty listing arrives as one empty line. */
		if (ll == 0)
			continue;
		if (l->n == LISTING_MAX) {
			util_seterr(err, errlen, "UIDL: more than %d messages",
			    LISTING_MAX);
			return -1;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap == 0 ? 256 : l->cap * 2;

			if ((it = reallocarray(l->item, cap, sizeof(*it))) ==
			    NULL) {
				util_seterr(err, errlen, "%s", strerror(errno));
				return -1;
			}
			l->item = it;
			l->cap = cap;
		}
		it = &l->item[l->n];
		if (pop3_uidl_line_parse(
			line, ll, &it->num, it->uidl, sizeof(it->uidl)) == -1) {
			util_seterr(err, errlen,
			    "UIDL: line %zu: not \"msg unique-id\" "
			    "(RFC 1939 §7)",
			    lineno);
			return -1;
		}
		it->size = -1;
		l->n++;
	}
	if (l->n > 1)
		qsort(l->item, l->n, sizeof(*l->item), by_num);
	for (i = 1; i < l->n; i++)
		if (l->item[i].num == l->item[i - 1].num) {
			util_seterr(err, errlen,
			    "UIDL: message %lu listed twice", l->item[i].num);
			return -1;
		}
	return 0;
}

int
listing_parse_sizes(
    struct listing *l, const char *p, size_t len, char *err, size_t errlen)
{
	struct listing_item key, *it;
	const char *line;
	size_t off = 0, ll, lineno = 0;
	unsigned long num;
	long long size;

	while (next_line(p, len, &off, &line, &ll)) {
		lineno++;
		if (ll == 0)
			continue;
		if (pop3_list_line_parse(line, ll, &num, &size) == -1) {
			util_seterr(err, errlen,
			    "LIST: line %zu: not \"msg size\" (RFC 1939 §5)",
			    lineno);
			return -1;
		}
		key.num = num;
		it = l->n == 0
		    ? NULL
		    : bsearch(&key, l->item, l->n, sizeof(*it), by_num);
		if (it != NULL)
			it->size = size;
	}
	return 0;
}
