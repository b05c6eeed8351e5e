/*
 * imapd_cache.c: the selected folder's message cache (common/msgcache)
 * in the session: read when a command first needs it, kept until the
 * folder is left, written at most once per command and only when the
 * command learnt a record.  A failure to read or write it is no error:
 * it is only a cache, and the message files answer.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "imapd.h"

static struct msgcache *
cache(struct imapd *s)
{
	if (!s->mb_open)
		return NULL;
	if (s->mc != NULL && strcmp(msgcache_dir(s->mc), s->mb.dir) != 0)
		imapd_cache_free(s);
	if (s->mc == NULL) {
		if ((s->mc = msgcache_new(s->mb.dir)) == NULL)
			return NULL;
		(void)msgcache_load(s->mc);
	}
	return s->mc;
}

int
imapd_cache_get(struct imapd *s, size_t i, struct msgcache_rec *r)
{
	struct msgcache *c;
	const char *name;
	char path[PATH_MAX];
	struct stat st;
	uint64_t wire = MSGCACHE_UNKNOWN, disk = MSGCACHE_UNKNOWN;

	if (i >= s->mb.n || (c = cache(s)) == NULL)
		return 0;
	/* The wire size when the folder knows it (",W=", the UID list),
	   else the size on disk (",S=", or stat: no read). */
	if (s->mb.msgs[i].size >= 0)
		wire = (uint64_t)s->mb.msgs[i].size;
	else if (s->mb.msgs[i].disk >= 0)
		disk = (uint64_t)s->mb.msgs[i].disk;
	else if (mailbox_path(&s->mb, i, path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0)
		disk = (uint64_t)st.st_size;
	else
		return 0;
	name = mailbox_name(&s->mb, i);
	return msgcache_get(c, name, msgcache_uniq(name), wire, disk, r);
}

void
imapd_cache_put(struct imapd *s, size_t i, const struct mime_msg *m)
{
	struct msgcache *c;
	const char *name;

	if (i >= s->mb.n || (c = cache(s)) == NULL)
		return;
	name = mailbox_name(&s->mb, i);
	(void)msgcache_put(c, name, msgcache_uniq(name), m);
}

/* The folder's (UNIQ, size) pairs, sorted, for keep(). */
struct live {
	const char **names;
	size_t n;
};

static int
uniqcmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r != 0 ? r : (an > bn) - (an < bn);
}

static int
namecmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return uniqcmp(x, msgcache_uniq(x), y, msgcache_uniq(y));
}

static int
keep(void *arg, const char *uniq, size_t ulen, uint64_t size)
{
	const struct live *l = arg;
	size_t lo = 0, hi = l->n, mid;
	int r;

	(void)size;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = uniqcmp(uniq, ulen, l->names[mid],
		    msgcache_uniq(l->names[mid]));
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

void
imapd_cache_save(struct imapd *s)
{
	struct live l;
	size_t i;

	if (s->mc == NULL || !msgcache_dirty(s->mc) || !s->mb_open ||
	    strcmp(msgcache_dir(s->mc), s->mb.dir) != 0)
		return;
	/* Only the records of messages still in the folder. */
	if ((l.names = calloc(s->mb.n + 1, sizeof(*l.names))) == NULL)
		return;
	for (i = 0; i < s->mb.n; i++)
		l.names[i] = mailbox_name(&s->mb, i);
	l.n = s->mb.n;
	qsort(l.names, l.n, sizeof(*l.names), namecmp);
	(void)msgcache_save(s->mc, keep, &l);
	free(l.names);
}

void
imapd_cache_free(struct imapd *s)
{
	msgcache_free(s->mc);
	s->mc = NULL;
}
