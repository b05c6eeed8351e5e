/*
 * client_state.c: the state journal of `mimap fetch' (its format and
 * the order of the durable steps are at the top of client_fetch.c).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "client_fetch.h"
#include "maildir.h"
#include "mimap.h"
#include "util.h"

/* ---------------------------------------------------------------- state */

struct sent *
cst_add(struct run *r)
{
	void *np;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		if ((np = realloc(r->e, r->cap * sizeof(*r->e))) == NULL)
			return NULL;
		r->e = np;
	}
	memset(&r->e[r->n], 0, sizeof(r->e[0]));
	return &r->e[r->n++];
}

struct smodseq *
cst_modseq(struct run *r, const char *folder)
{
	size_t i;

	for (i = 0; i < r->nms; i++)
		if (strcmp(r->ms[i].folder, folder) == 0)
			return &r->ms[i];
	return NULL;
}

/* Remember (no journal); 0 or -1 (ENOMEM). */
static int
modseq_put(struct run *r, const char *folder, uint32_t uv, uint64_t modseq,
    uint32_t uidnext)
{
	struct smodseq *m;
	void *np;

	if ((m = cst_modseq(r, folder)) == NULL) {
		if (r->nms == r->capms) {
			r->capms = r->capms ? r->capms * 2 : 16;
			if ((np = realloc(r->ms, r->capms * sizeof(*r->ms))) ==
			    NULL)
				return -1;
			r->ms = np;
		}
		m = &r->ms[r->nms];
		if ((m->folder = strdup(folder)) == NULL)
			return -1;
		r->nms++;
	}
	m->uv = uv;
	m->modseq = modseq;
	m->uidnext = uidnext;
	return 0;
}

static int
put_modseq(struct buf *b, const struct smodseq *m)
{
	if (m->modseq == 0)
		return 0; /* forgotten */
	if (buf_puts(b, "M ") == -1 || buf_put_word(b, m->folder) == -1 ||
	    buf_printf(b, " %lu %llu %lu\n", (unsigned long)m->uv,
		(unsigned long long)m->modseq, (unsigned long)m->uidnext) == -1)
		return -1;
	return 0;
}

int
cst_modseq_set(struct run *r, const char *folder, uint32_t uv,
    uint64_t modseq, uint32_t uidnext)
{
	struct buf b;
	int rc = -1;

	if (modseq_put(r, folder, uv, modseq, uidnext) == -1) {
		util_seterr(r->err, sizeof(r->err), "%s", strerror(ENOMEM));
		return -1;
	}
	buf_init(&b, WORD_MAX + 256);
	if (put_modseq(&b, cst_modseq(r, folder)) == -1)
		goto out;
	if (util_write_all(r->fd, b.data, b.len) == -1) {
		util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* "M folder uidvalidity highestmodseq uidnext" */
static int
parse_m(struct run *r, char **w, size_t n)
{
	long long uv, ms, un;

	if (n != 5 || util_word_decode(w[1]) == -1 ||
	    util_parse_num(w[2], 1, UINT32_MAX, 0, &uv) == -1 ||
	    util_parse_num(w[3], 1, INT64_MAX, 0, &ms) == -1 ||
	    util_parse_num(w[4], 1, UINT32_MAX, 0, &un) == -1)
		return -1;
	return modseq_put(r, w[1], (uint32_t)uv, (uint64_t)ms, (uint32_t)un);
}

static int
parse_line(struct run *r, char *line)
{
	char *w[8], *save = NULL, *t;
	struct sent *e;
	long long v;
	size_t n = 0;

	for (t = strtok_r(line, " ", &save); t != NULL && n < 8;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (n >= 1 && strcmp(w[0], "M") == 0)
		return parse_m(r, w, n);
	if (n < 1 || strlen(w[0]) != 1 ||
	    (w[0][0] == 'P' && n != 7) || (w[0][0] == 'F' && n != 6) ||
	    (w[0][0] != 'P' && w[0][0] != 'F'))
		return -1;
	for (n = 1; n < (w[0][0] == 'P' ? 7u : 6u); n++)
		if (util_word_decode(w[n]) == -1)
			return -1;
	if ((e = cst_add(r)) == NULL)
		return -1;
	if ((e->folder = strdup(w[1])) == NULL ||
	    (e->msgid = strdup(w[5])) == NULL)
		return -1;
	if (util_parse_num(w[2], 1, UINT32_MAX, 0, &v) == -1)
		return -1;
	e->uv = (uint32_t)v;
	if (util_parse_num(w[3], 1, UINT32_MAX, 0, &v) == -1)
		return -1;
	e->uid = (uint32_t)v;
	if (util_parse_num(w[4], 0, INT64_MAX, 0, &v) == -1)
		return -1;
	e->size = (uint64_t)v;
	if (w[0][0] == 'P') {
		e->pending = 1;
		if ((e->uniq = strdup(w[6])) == NULL)
			return -1;
	}
	return 0;
}

static struct sent *sort_base;

/* By folder, UIDVALIDITY, UID, then the order of the lines. */
static int
cmp_key(const void *a, const void *b)
{
	const struct sent *x = &sort_base[*(const size_t *)a];
	const struct sent *y = &sort_base[*(const size_t *)b];
	int c;

	if ((c = strcmp(x->folder, y->folder)) != 0)
		return c;
	if (x->uv != y->uv)
		return x->uv < y->uv ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Of the lines about one message, the last wins (P, then F). */
static int
dedupe(struct run *r)
{
	size_t *ix, i;

	if (r->n < 2)
		return 0;
	if ((ix = calloc(r->n, sizeof(*ix))) == NULL)
		return -1;
	for (i = 0; i < r->n; i++)
		ix[i] = i;
	sort_base = r->e;
	qsort(ix, r->n, sizeof(*ix), cmp_key);
	for (i = 0; i + 1 < r->n; i++) {
		struct sent *x = &r->e[ix[i]], *y = &r->e[ix[i + 1]];

		if (x->uid == y->uid && x->uv == y->uv &&
		    strcmp(x->folder, y->folder) == 0)
			x->dead = 1;
	}
	free(ix);
	return 0;
}


static int
cmp_u32at(const void *a, const void *b)
{
	const struct sent *x = &sort_base[*(const size_t *)a];
	const struct sent *y = &sort_base[*(const size_t *)b];

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

int
cst_fidx_build(struct run *r, const char *folder, uint32_t uv, struct fidx *fx)
{
	size_t i;

	fx->n = 0;
	fx->uid = NULL;
	if ((fx->at = calloc(r->n + 1, sizeof(*fx->at))) == NULL ||
	    (fx->uid = calloc(r->n + 1, sizeof(*fx->uid))) == NULL)
		return -1;
	for (i = 0; i < r->n; i++)
		if (!r->e[i].dead && !r->e[i].pending && r->e[i].uv == uv &&
		    strcmp(r->e[i].folder, folder) == 0)
			fx->at[fx->n++] = i;
	sort_base = r->e;
	qsort(fx->at, fx->n, sizeof(*fx->at), cmp_u32at);
	for (i = 0; i < fx->n; i++)
		fx->uid[i] = r->e[fx->at[i]].uid;
	return 0;
}

/* The entry index of uid, or (size_t)-1. */
size_t
cst_fidx_find(const struct fidx *fx, uint32_t uid)
{
	size_t lo = 0, hi = fx->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fx->uid[mid] == uid)
			return fx->at[mid];
		if (fx->uid[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

void
cst_fidx_free(struct fidx *fx)
{
	free(fx->uid);
	free(fx->at);
	fx->uid = NULL;
	fx->at = NULL;
}

int
cst_journal(struct run *r, const struct sent *e, int sync)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, 3 * WORD_MAX + 256);
	if (buf_puts(&b, e->pending ? "P " : "F ") == -1 ||
	    buf_put_word(&b, e->folder) == -1 ||
	    buf_printf(&b, " %lu %lu %llu ", (unsigned long)e->uv,
		(unsigned long)e->uid, (unsigned long long)e->size) == -1 ||
	    buf_put_word(&b, e->msgid) == -1 ||
	    (e->pending && (buf_putc(&b, ' ') == -1 ||
			       buf_put_word(&b, e->uniq) == -1)) ||
	    buf_putc(&b, '\n') == -1)
		goto out;
	if (util_write_all(r->fd, b.data, b.len) == -1 ||
	    (sync && fdatasync(r->fd) == -1)) {
		util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* Is a name with unique part uniq in dir/sub? */
static int
in_maildir(const char *dir, const char *sub, const char *uniq)
{
	char p[PATH_MAX + 16];
	struct dirent *d;
	size_t n = strlen(uniq);
	DIR *dp;
	int found = 0;

	(void)snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if ((dp = opendir(p)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL)
		if (strncmp(d->d_name, uniq, n) == 0 &&
		    (d->d_name[n] == '\0' || d->d_name[n] == ',' ||
			d->d_name[n] == ':')) {
			found = 1;
			break;
		}
	(void)closedir(dp);
	return found;
}

int
cst_load(struct run *r)
{
	struct buf b;
	char *p, *nl, tmp[PATH_MAX + 16], dir[PATH_MAX], *slash;
	const char *uniq;
	struct smodseq *m;
	size_t i, lineno = 1;
	int fd;

	if (util_mkparents(r->path) == -1) {
		util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	(void)snprintf(tmp, sizeof(tmp), "%s.lock", r->path);
	if ((r->lockfd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
	    -1) {
		util_seterr(r->err, sizeof(r->err), "%s: %s", tmp,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (flock(r->lockfd, LOCK_EX | LOCK_NB) == -1) {
		util_seterr(r->err, sizeof(r->err),
		    "%s: another run holds it", tmp);
		return EX_TEMPFAIL;
	}
	if ((fd = open(r->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
		 0600)) == -1) {
		util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	r->fd = fd;
	buf_init(&b, (size_t)1 << 31);
	if (buf_read_fd(&b, fd) == -1 || buf_putc(&b, '\0') == -1) {
		util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
		    strerror(errno));
		buf_free(&b);
		return EX_IOERR;
	}
	if (b.len == 1) {
		(void)util_strlcpy(tmp, r->path, sizeof(tmp));
		if ((p = strrchr(tmp, '/')) != NULL && p != tmp)
			*p = '\0';
		if (util_write_all(fd, STATE_MAGIC "\n",
			sizeof(STATE_MAGIC)) == -1 ||
		    fsync(fd) == -1 ||
		    (p != NULL && util_fsync_dir(tmp) == -1)) {
			util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
			    strerror(errno));
			buf_free(&b);
			return EX_IOERR;
		}
		buf_free(&b);
		return 0;
	}
	p = b.data;
	if (strncmp(p, STATE_MAGIC "\n", sizeof(STATE_MAGIC)) != 0) {
		util_seterr(r->err, sizeof(r->err),
		    "%s: not a mimap state file", r->path);
		buf_free(&b);
		return EX_CONFIG;
	}
	p += sizeof(STATE_MAGIC);
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		lineno++;
		*nl = '\0';
		if (parse_line(r, p) == -1) {
			util_seterr(r->err, sizeof(r->err),
			    "%s: line %zu: damaged", r->path, lineno);
			buf_free(&b);
			return EX_CONFIG;
		}
	}
	/* What follows the last newline is a write cut short: ignored. */
	buf_free(&b);
	if (dedupe(r) == -1) {
		util_seterr(r->err, sizeof(r->err), "%s", strerror(ENOMEM));
		return EX_OSERR;
	}
	for (i = 0; i < r->n; i++) {
		struct sent *e = &r->e[i];

		if (e->dead || !e->pending)
			continue;
		if (r->a->maildir == NULL) {
			e->dead = 1;
			continue;
		}
		/* "SUB/uniq": delivered into the Maildir++ folder SUB. */
		uniq = e->uniq;
		(void)util_strlcpy(dir, r->a->maildir, sizeof(dir));
		if ((slash = strrchr(e->uniq, '/')) != NULL) {
			*slash = '\0';
			uniq = slash + 1;
			if (maildir_folder_path(r->a->maildir, e->uniq, dir,
				sizeof(dir)) == -1) {
				e->dead = 1;
				continue;
			}
		}
		if (in_maildir(dir, "new", uniq) ||
		    in_maildir(dir, "cur", uniq)) {
			e->pending = 0;
			continue;
		}
		(void)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, uniq);
		(void)unlink(tmp);
		e->dead = 1;
		/* fetched again: by a full listing, not from a point */
		if ((m = cst_modseq(r, e->folder)) != NULL)
			m->modseq = 0;
	}
	return 0;
}

int
cst_rewrite(struct run *r)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX], *s;
	struct buf b;
	size_t i;
	int fd = -1, rc = -1;

	(void)snprintf(tmp, sizeof(tmp), "%s.new", r->path);
	buf_init(&b, (size_t)1 << 31);
	if (buf_puts(&b, STATE_MAGIC "\n") == -1)
		goto out;
	for (i = 0; i < r->n; i++) {
		struct sent *e = &r->e[i];

		if (e->dead || e->pending)
			continue;
		if (buf_put_word(&b, "F") == -1 || buf_putc(&b, ' ') == -1 ||
		    buf_put_word(&b, e->folder) == -1 ||
		    buf_printf(&b, " %lu %lu %llu ", (unsigned long)e->uv,
			(unsigned long)e->uid,
			(unsigned long long)e->size) == -1 ||
		    buf_put_word(&b, e->msgid) == -1 || buf_putc(&b, '\n') == -1)
			goto out;
	}
	for (i = 0; i < r->nms; i++)
		if (put_modseq(&b, &r->ms[i]) == -1)
			goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
		-1 ||
	    util_write_all(fd, b.data, b.len) == -1 || fsync(fd) == -1 ||
	    rename(tmp, r->path) == -1)
		goto out;
	(void)util_strlcpy(dir, r->path, sizeof(dir));
	if ((s = strrchr(dir, '/')) != NULL && s != dir)
		*s = '\0';
	(void)util_fsync_dir(dir);
	rc = 0;
out:
	if (rc == -1)
		util_seterr(r->err, sizeof(r->err), "%s: %s", r->path,
		    strerror(errno));
	if (fd != -1)
		(void)close(fd);
	buf_free(&b);
	return rc;
}

int
cst_default(struct run *r, const char *user)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	const char *hp = strstr(r->a->o.label, "://") + 3;
	struct passwd *pw;
	int n;

	if (home == NULL || home[0] == '\0')
		home = (pw = getpwuid(getuid())) != NULL ? pw->pw_dir : NULL;
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(r->path, sizeof(r->path), "%s/yubin/mimap/%s@%s",
		    xdg, user, hp);
	else if (home != NULL)
		n = snprintf(r->path, sizeof(r->path),
		    "%s/.local/state/yubin/mimap/%s@%s", home, user, hp);
	else {
		fprintf(stderr,
		    "%s: no HOME to keep the state file in: use --state\n",
		    PROG);
		return EX_CONFIG;
	}
	if (n < 0 || (size_t)n >= sizeof(r->path) || strchr(user, '/')) {
		fprintf(stderr,
		    "%s: --user %s: cannot name a state file after it (use "
		    "--state)\n",
		    PROG, user);
		return EX_USAGE;
	}
	return 0;
}

int
cst_sync(struct run *r)
{
	if (fdatasync(r->fd) == 0)
		return 0;
	yerr_set(&r->c.err, YERR_LOCAL, "%s: %s", r->path, strerror(errno));
	return -1;
}

