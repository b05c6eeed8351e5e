/*
 * msgcache.c: the per-folder message cache of mimap serve.  See
 * msgcache.h for the format and the rules.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "msgcache.h"

struct mc_rec {
	char *uniq;	/* NUL-terminated, owned (with its payload) */
	size_t ulen;
	uint64_t size, disk;
	const char *pay; /* after uniq in the same allocation */
	size_t plen;
};

struct msgcache {
	char dir[PATH_MAX];
	int loaded;
	int dirty;
	struct mc_rec *v; /* records; a slot with uniq NULL is free */
	size_t n, cap;
	size_t *tab; /* open addressing: index + 1, 0 empty */
	size_t tcap; /* a power of two, > 2 n */
};

/* The header fields a record holds: what SEARCH FROM/TO/CC/BCC/SUBJECT
   and SENT*, SORT and THREAD REFERENCES read. */
static const char *const fields[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
	"In-Reply-To", "References"
};

int
msgcache_field_cached(const char *name, size_t n)
{
	size_t k;

	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (strlen(fields[k]) == n &&
		    strncasecmp(fields[k], name, n) == 0)
			return 1;
	return 0;
}

struct msgcache *
msgcache_new(const char *dir)
{
	struct msgcache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (strlen(dir) >= sizeof(c->dir)) {
		free(c);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(c->dir, dir, strlen(dir) + 1);
	return c;
}

void
msgcache_free(struct msgcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].uniq);
	free(c->v);
	free(c->tab);
	free(c);
}

const char *
msgcache_dir(const struct msgcache *c)
{
	return c->dir;
}

int
msgcache_dirty(const struct msgcache *c)
{
	return c->dirty;
}

size_t
msgcache_uniq(const char *name)
{
	return strcspn(name, ",:");
}

/* FNV-1a. */
static size_t
hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The table slot for uniq: holding it, or the empty one it would go. */
static size_t
slot(const struct msgcache *c, const char *uniq, size_t ulen)
{
	size_t h = hash(uniq, ulen) & (c->tcap - 1);
	const struct mc_rec *r;

	while (c->tab[h] != 0) {
		r = &c->v[c->tab[h] - 1];
		if (r->ulen == ulen && memcmp(r->uniq, uniq, ulen) == 0)
			break;
		h = (h + 1) & (c->tcap - 1);
	}
	return h;
}

static int
grow(struct msgcache *c)
{
	size_t ncap, i, *nt, *ot, ocap;
	struct mc_rec *nv;

	if (c->n == c->cap) {
		ncap = c->cap ? c->cap * 2 : 64;
		if ((nv = reallocarray(c->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		c->v = nv;
		c->cap = ncap;
	}
	if ((c->n + 1) * 2 < c->tcap)
		return 0;
	ncap = c->tcap ? c->tcap * 2 : 128;
	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return -1;
	ot = c->tab;
	ocap = c->tcap;
	c->tab = nt;
	c->tcap = ncap;
	for (i = 0; i < c->n; i++)
		c->tab[slot(c, c->v[i].uniq, c->v[i].ulen)] = i + 1;
	(void)ocap;
	free(ot);
	return 0;
}

/* Add (or replace) a record; payload copied.  0 or -1 (ENOMEM). */
static int
add(struct msgcache *c, const char *uniq, size_t ulen, uint64_t size,
    uint64_t disk, const char *pay, size_t plen)
{
	struct mc_rec *r;
	char *m;
	size_t h;

	if (grow(c) == -1)
		return -1;
	if ((m = malloc(ulen + 1 + plen + 1)) == NULL)
		return -1;
	memcpy(m, uniq, ulen);
	m[ulen] = '\0';
	if (plen > 0)
		memcpy(m + ulen + 1, pay, plen);
	m[ulen + 1 + plen] = '\0';
	h = slot(c, uniq, ulen);
	if (c->tab[h] != 0) {
		r = &c->v[c->tab[h] - 1];
		free(r->uniq);
	} else {
		r = &c->v[c->n];
		c->tab[h] = ++c->n;
	}
	r->uniq = m;
	r->ulen = ulen;
	r->size = size;
	r->disk = disk;
	r->pay = m + ulen + 1;
	r->plen = plen;
	return 0;
}

/* A decimal number without leading zeros, at most max, ending at the
   octet end.  Advances *pp; 0 or -1. */
static int
number(const char **pp, const char *e, char end, uint64_t max, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (p >= e || *p < '0' || *p > '9' || (*p == '0' && p + 1 < e &&
	    p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (x > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (p >= e || *p != end)
		return -1;
	*pp = p + 1;
	*v = x;
	return 0;
}

/* A signed decimal number ("-" before a negative one, no leading
   zeros, "-0" refused) at *pp, up to the first octet that is no digit.
   Advances *pp; 0 or -1. */
static int
snumber(const char **pp, const char *e, int64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;
	int neg = 0;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= e || *p < '0' || *p > '9' ||
	    (*p == '0' && (neg || (p + 1 < e && p[1] >= '0' && p[1] <= '9'))))
		return -1;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (x > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*v = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

/* A 'D' item's bytes p[0..n): "T DAY".  0 or -1. */
static int
date_item(const char *p, size_t n, int64_t *t, int64_t *day)
{
	const char *e = p + n;

	if (snumber(&p, e, t) == -1 || p >= e || *p++ != ' ' ||
	    snumber(&p, e, day) == -1 || p != e)
		return -1;
	return 0;
}

/* Is p[0..n) a payload: items TAG LEN ":" BYTES? */
static int
payload_ok(const char *p, size_t n)
{
	const char *e = p + n;
	int64_t dt, dd;
	uint64_t len;
	char t;

	while (p < e) {
		t = *p++;
		if (t != 'E' && t != 'B' && t != 'S' && t != 'H' && t != 'D')
			return 0;
		if (number(&p, e, ':', MSGCACHE_RECORD_MAX, &len) == -1 ||
		    len > (uint64_t)(e - p))
			return 0;
		if (t == 'D' && date_item(p, (size_t)len, &dt, &dd) == -1)
			return 0;
		if (t == 'H' && (len == 0 || memchr(p, ':', (size_t)len) ==
		    NULL || *p == ':'))
			return 0;
		p += len;
	}
	return 1;
}

/* The check of a record: 16 lowercase hex digits of FNV-1a (64 bits)
   over its octets from "R" to the end of its payload. */
#define CHECK_LEN 16

static void
check_hex(const char *p, size_t n, char out[CHECK_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	for (i = 0; i < CHECK_LEN; i++)
		out[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out[CHECK_LEN] = '\0';
}

long
msgcache_parse(struct msgcache *c, const char *p, size_t n)
{
	const char *e = p + n, *u, *ue, *rs;
	uint64_t size, disk, plen;
	char ck[CHECK_LEN + 1];
	long kept = 0;
	size_t k;

	if (n > MSGCACHE_FILE_MAX || n < strlen(MSGCACHE_MAGIC) ||
	    memcmp(p, MSGCACHE_MAGIC, strlen(MSGCACHE_MAGIC)) != 0)
		return 0;
	p += strlen(MSGCACHE_MAGIC);
	while (e - p >= 2 && p[0] == 'R' && p[1] == ' ') {
		rs = p;
		p += 2;
		if (number(&p, e, ' ', INT64_MAX, &size) == -1 ||
		    number(&p, e, ' ', INT64_MAX, &disk) == -1 ||
		    number(&p, e, ' ', MSGCACHE_RECORD_MAX, &plen) == -1)
			break;
		u = p;
		if ((ue = memchr(u, '\n', (size_t)(e - u))) == NULL ||
		    ue == u || (size_t)(ue - u) > MSGCACHE_UNIQ_MAX)
			break;
		for (k = 0; k < (size_t)(ue - u); k++)
			if ((unsigned char)u[k] <= ' ' || u[k] == 0x7f ||
			    u[k] == ',' || u[k] == ':' || u[k] == '/')
				break;
		if (k < (size_t)(ue - u))
			break;
		p = ue + 1;
		if (plen + 2 + CHECK_LEN > (uint64_t)(e - p) ||
		    p[plen] != '#' || p[plen + 1 + CHECK_LEN] != '\n')
			break;
		check_hex(rs, (size_t)(p + plen - rs), ck);
		if (memcmp(p + plen + 1, ck, CHECK_LEN) != 0 ||
		    !payload_ok(p, (size_t)plen))
			break;
		if (add(c, u, (size_t)(ue - u), size, disk, p,
		    (size_t)plen) == -1)
			return -1;
		kept++;
		p += plen + 2 + CHECK_LEN;
	}
	return kept;
}

int
msgcache_load(struct msgcache *c)
{
	char path[PATH_MAX];
	struct buf b;
	int fd, rc = 0;

	if (c->loaded)
		return 0;
	c->loaded = 1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->dir,
	    MSGCACHE_NAME) >= sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	/* One more than the bound: a file past it is not read. */
	buf_init(&b, MSGCACHE_FILE_MAX + 1);
	if (buf_read_fd(&b, fd) == 0 && b.len <= MSGCACHE_FILE_MAX &&
	    msgcache_parse(c, b.data != NULL ? b.data : "", b.len) == -1)
		rc = -1;
	(void)close(fd);
	buf_free(&b);
	return rc;
}

int
msgcache_get(struct msgcache *c, const char *uniq, size_t ulen,
    uint64_t size, uint64_t disk, struct msgcache_rec *out)
{
	const struct mc_rec *r;
	const char *p, *e, *at;
	uint64_t len;
	size_t h;
	char t;

	if (c->tcap == 0)
		return 0;
	h = slot(c, uniq, ulen);
	if (c->tab[h] == 0)
		return 0;
	r = &c->v[c->tab[h] - 1];
	if ((size == MSGCACHE_UNKNOWN && disk == MSGCACHE_UNKNOWN) ||
	    (size != MSGCACHE_UNKNOWN && r->size != size) ||
	    (disk != MSGCACHE_UNKNOWN && r->disk != disk))
		return 0;
	memset(out, 0, sizeof(*out));
	out->size = r->size;
	out->disk = r->disk;
	p = r->pay;
	e = p + r->plen;
	while (p < e) {
		at = p;
		t = *p++;
		if (number(&p, e, ':', MSGCACHE_RECORD_MAX, &len) == -1)
			return 0; /* not reached: checked by payload_ok */
		switch (t) {
		case 'E':
			out->env = p;
			out->envlen = (size_t)len;
			break;
		case 'B':
			out->body = p;
			out->bodylen = (size_t)len;
			break;
		case 'S':
			out->bs = p;
			out->bslen = (size_t)len;
			break;
		case 'D':
			if (!out->have_date &&
			    date_item(p, (size_t)len, &out->date,
				&out->day) == 0)
				out->have_date = 1;
			break;
		case 'H':
			if (out->hdr == NULL)
				out->hdr = at;
			break;
		}
		p += len;
	}
	/* From the first 'H' item to the end (msgcache_fields skips any
	   other item among them). */
	if (out->hdr != NULL)
		out->hdrlen = (size_t)(e - out->hdr);
	return 1;
}

static int
item(struct buf *b, char tag, const char *p, size_t n)
{
	if (buf_putc(b, tag) != 0 || buf_printf(b, "%zu:", n) != 0)
		return -1;
	return n > 0 ? buf_append(b, p, n) : 0;
}

struct hdrs {
	struct buf *b;
	int err;
	int dated; /* the first Date field was seen */
	int have_date;
	int64_t date, day;
};

static int
hdr_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct hdrs *h = arg;

	(void)off;
	(void)end;
	if (!msgcache_field_cached(f->name, f->namelen))
		return 0;
	if (!h->dated && f->namelen == 4 &&
	    strncasecmp(f->name, "Date", 4) == 0) {
		h->dated = 1;
		h->have_date = msg_date_parse(f->value, f->valuelen, &h->date,
		    &h->day) == 0;
	}
	if (buf_putc(h->b, 'H') != 0 ||
	    buf_printf(h->b, "%zu:", f->namelen + 1 + f->valuelen) != 0 ||
	    buf_append(h->b, f->name, f->namelen) != 0 ||
	    buf_putc(h->b, ':') != 0 ||
	    (f->valuelen > 0 && buf_append(h->b, f->value, f->valuelen) != 0))
		h->err = 1;
	return h->err;
}

int
msgcache_put(struct msgcache *c, const char *uniq, size_t ulen,
    const struct mime_msg *m)
{
	struct buf b, t;
	struct hdrs h;
	size_t k;
	int rc = -1;

	if (m->root == NULL || ulen == 0 || ulen > MSGCACHE_UNIQ_MAX)
		return 0;
	for (k = 0; k < ulen; k++)
		if ((unsigned char)uniq[k] <= ' ' || uniq[k] == 0x7f ||
		    uniq[k] == '/')
			return 0;
	buf_init(&b, 0);
	buf_init(&t, 0);
	if (mime_envelope(m, m->root, &t) != 0 ||
	    item(&b, 'E', t.data, t.len) != 0)
		goto done;
	buf_reset(&t);
	if (mime_bodystructure(m, m->root, 0, &t) != 0 ||
	    item(&b, 'B', t.data, t.len) != 0)
		goto done;
	buf_reset(&t);
	if (mime_bodystructure(m, m->root, 1, &t) != 0 ||
	    item(&b, 'S', t.data, t.len) != 0)
		goto done;
	/* The 'H' items into t, then the 'D' item before them. */
	buf_reset(&t);
	memset(&h, 0, sizeof(h));
	h.b = &t;
	if (mime_header_walk(m, m->root, hdr_cb, &h) != 0 || h.err)
		goto done;
	if (h.have_date) {
		char d[48];
		int dn;

		dn = snprintf(d, sizeof(d), "%lld %lld", (long long)h.date,
		    (long long)h.day);
		if (dn < 0 || (size_t)dn >= sizeof(d) ||
		    item(&b, 'D', d, (size_t)dn) != 0)
			goto done;
	}
	if (t.len > 0 && buf_append(&b, t.data, t.len) != 0)
		goto done;
	rc = 0;
	if (b.len > MSGCACHE_RECORD_MAX)
		goto done; /* not cacheable: read from the file each time */
	if (add(c, uniq, ulen, m->size, m->len, b.data, b.len) == -1)
		rc = -1;
	else
		c->dirty = 1;
done:
	buf_free(&b);
	buf_free(&t);
	return rc;
}

int
msgcache_fields(const struct msgcache_rec *r, mime_field_cb cb, void *arg)
{
	struct msg_field f;
	struct buf v;
	const char *p, *e, *colon;
	uint64_t len;
	int rc = 0;
	char t;

	if (r->hdr == NULL)
		return 0;
	buf_init(&v, 0);
	p = r->hdr;
	e = p + r->hdrlen;
	while (p < e && rc == 0) {
		t = *p++;
		if (number(&p, e, ':', MSGCACHE_RECORD_MAX, &len) == -1 ||
		    len > (uint64_t)(e - p))
			break;
		if (t != 'H' || (colon = memchr(p, ':', (size_t)len)) == NULL) {
			p += len;
			continue;
		}
		f.name = p;
		f.namelen = (size_t)(colon - p);
		buf_reset(&v);
		if (buf_append(&v, colon + 1, (size_t)(p + len - colon - 1)) !=
		    0 || buf_putc(&v, '\0') != 0) {
			rc = -1;
			break;
		}
		f.value = v.data;
		f.valuelen = v.len - 1;
		rc = cb(arg, &f, 0, 0);
		p += len;
	}
	buf_free(&v);
	return rc;
}

struct hsearch {
	const char *field;
	const char *needle;
	size_t nn;
	struct buf text;
	int found;
};

static int
search_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct hsearch *h = arg;
	int r;

	(void)off;
	(void)end;
	if (strlen(h->field) != f->namelen ||
	    strncasecmp(f->name, h->field, f->namelen) != 0)
		return 0;
	buf_reset(&h->text);
	if (mime_decode_words(f->value, f->valuelen, &h->text) != 0)
		return -1;
	r = mime_match(h->text.data != NULL ? h->text.data : "",
	    h->text.len, h->needle, h->nn);
	if (r == 1)
		h->found = 1;
	return r;
}

int
msgcache_search_header(const struct msgcache_rec *r, const char *field,
    const char *needle, size_t nn)
{
	struct hsearch h;
	int rc;

	memset(&h, 0, sizeof(h));
	h.field = field;
	h.needle = needle;
	h.nn = nn;
	buf_init(&h.text, 0);
	rc = msgcache_fields(r, search_cb, &h);
	buf_free(&h.text);
	if (rc < 0) {
		errno = ENOMEM;
		return -1;
	}
	return h.found;
}

int
msgcache_write(struct msgcache *c, msgcache_keep_cb keep, void *arg,
    struct buf *out)
{
	const struct mc_rec *r;
	char ck[CHECK_LEN + 1];
	size_t i, start;

	if (buf_puts(out, MSGCACHE_MAGIC) != 0)
		return -1;
	for (i = 0; i < c->n; i++) {
		r = &c->v[i];
		if (keep != NULL && !keep(arg, r->uniq, r->ulen, r->size))
			continue;
		if (out->len + r->ulen + r->plen + 64 > MSGCACHE_FILE_MAX)
			break;
		start = out->len;
		if (buf_printf(out, "R %llu %llu %zu %s\n",
		    (unsigned long long)r->size, (unsigned long long)r->disk,
		    r->plen, r->uniq) != 0 ||
		    buf_append(out, r->pay, r->plen) != 0)
			return -1;
		check_hex(out->data + start, out->len - start, ck);
		if (buf_printf(out, "#%s\n", ck) != 0)
			return -1;
	}
	return 0;
}

/*
 * Remove the temporary files (MSGCACHE_NAME ".PID.tmp") that killed
 * sessions left in dir, those older than MSGCACHE_TMP_STALE seconds.
 * Best effort: a cache is only a cache.
 */
static void
sweep_stale(const char *dir)
{
	static const char pre[] = MSGCACHE_NAME ".", suf[] = ".tmp";
	const size_t np = sizeof(pre) - 1, ns = sizeof(suf) - 1;
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t len;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= np + ns || strncmp(de->d_name, pre, np) != 0 ||
		    strcmp(de->d_name + len - ns, suf) != 0 ||
		    strspn(de->d_name + np, "0123456789") != len - np - ns)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > MSGCACHE_TMP_STALE)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	(void)closedir(d);
}

int
msgcache_save(struct msgcache *c, msgcache_keep_cb keep, void *arg)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct buf b;
	const char *p;
	size_t left;
	ssize_t w;
	int fd, rc = -1, saved;

	c->dirty = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->dir,
	    MSGCACHE_NAME) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s.%ld.tmp", c->dir,
	    MSGCACHE_NAME, (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sweep_stale(c->dir);
	buf_init(&b, 0);
	if (msgcache_write(c, keep, arg, &b) != 0) {
		buf_free(&b);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		buf_free(&b);
		return -1;
	}
	p = b.data;
	left = b.len;
	while (left > 0) {
		w = write(fd, p, left);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	saved = errno;
	if (close(fd) == 0 && left == 0 && rename(tmp, path) == 0)
		rc = 0;
	else
		saved = errno;
	if (rc == -1) {
		(void)unlink(tmp);
		errno = saved;
	}
	buf_free(&b);
	return rc;
}
