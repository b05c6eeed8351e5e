/*
 * msgcache_fuzz: any bytes as a cache file (msgcache_parse), and as a
 * message put into a cache.  Checks the promises, not only the absence
 * of crashes: what a parse kept writes out as a file that parses back
 * to as many records and writes out again byte for byte; every record
 * written is found again by its UNIQ and sizes, and its header fields
 * walk and search without harm; a message put into a cache comes back
 * with mime's own ENVELOPE, BODY and BODYSTRUCTURE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "mime.h"
#include "msgcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
field_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	size_t *count = arg;

	(void)off;
	(void)end;
	if (f->namelen == 0 || f->value[f->valuelen] != '\0' ||
	    !msgcache_field_cached(f->name, f->namelen))
		abort();
	(*count)++;
	return 0;
}

/* Every record of file w (as msgcache_write makes it) is in c. */
static long
check_written(struct msgcache *c, const char *w, size_t n)
{
	const char *p = w + strlen(MSGCACHE_MAGIC), *e = w + n, *u, *ue;
	unsigned long long size, disk;
	struct msgcache_rec r;
	size_t plen, count;
	long recs = 0;
	char *end;

	while (p < e) {
		if (e - p < 2 || p[0] != 'R' || p[1] != ' ')
			abort();
		size = strtoull(p + 2, &end, 10);
		disk = strtoull(end + 1, &end, 10);
		plen = (size_t)strtoull(end + 1, &end, 10);
		u = end + 1;
		if ((ue = memchr(u, '\n', (size_t)(e - u))) == NULL)
			abort();
		if (msgcache_get(c, u, (size_t)(ue - u), size, disk, &r) != 1 ||
		    msgcache_get(c, u, (size_t)(ue - u), size,
			MSGCACHE_UNKNOWN, &r) != 1 ||
		    r.size != size || r.disk != disk)
			abort();
		count = 0;
		if (msgcache_fields(&r, field_cb, &count) != 0)
			abort();
		if (msgcache_search_header(&r, "From", "a", 1) < 0 ||
		    msgcache_search_header(&r, "Subject", "", 0) < 0)
			abort();
		p = ue + 1 + plen + 1 + 16 + 1;
		recs++;
	}
	return recs;
}

static void
as_file(const char *p, size_t n)
{
	struct msgcache *c, *d;
	struct buf w1, w2;
	long kept, again;

	if ((c = msgcache_new(".")) == NULL || (d = msgcache_new(".")) == NULL)
		abort();
	buf_init(&w1, 0);
	buf_init(&w2, 0);
	if ((kept = msgcache_parse(c, p, n)) < 0 ||
	    msgcache_write(c, NULL, NULL, &w1) != 0)
		abort();
	/* Duplicates collapse: what is written is at most what was kept. */
	if ((again = msgcache_parse(d, w1.data, w1.len)) < 0 || again > kept)
		abort();
	if (check_written(d, w1.data, w1.len) != again)
		abort();
	if (msgcache_write(d, NULL, NULL, &w2) != 0 || w1.len != w2.len ||
	    memcmp(w1.data, w2.data, w1.len) != 0)
		abort();
	buf_free(&w1);
	buf_free(&w2);
	msgcache_free(c);
	msgcache_free(d);
}

static void
as_message(const char *p, size_t n)
{
	struct msgcache *c;
	struct msgcache_rec r;
	struct mime_msg m;
	struct buf b;

	if ((c = msgcache_new(".")) == NULL || mime_parse(&m, p, n) != 0)
		abort();
	if (msgcache_put(c, "1.M1P1.fuzz", 11, &m) != 0)
		abort();
	if (msgcache_get(c, "1.M1P1.fuzz", 11, m.size, m.len, &r) == 1) {
		buf_init(&b, 0);
		if (mime_envelope(&m, m.root, &b) != 0 || r.env == NULL ||
		    r.envlen != b.len || memcmp(r.env, b.data, b.len) != 0)
			abort();
		buf_reset(&b);
		if (mime_bodystructure(&m, m.root, 0, &b) != 0 ||
		    r.body == NULL || r.bodylen != b.len ||
		    memcmp(r.body, b.data, b.len) != 0)
			abort();
		buf_reset(&b);
		if (mime_bodystructure(&m, m.root, 1, &b) != 0 ||
		    r.bs == NULL || r.bslen != b.len ||
		    memcmp(r.bs, b.data, b.len) != 0)
			abort();
		/* SEARCH on the record answers as on the message. */
		if (msgcache_search_header(&r, "Subject", "re", 2) !=
		    mime_search_header(&m, "Subject", "re", 2) ||
		    msgcache_search_header(&r, "From", "@", 1) !=
		    mime_search_header(&m, "From", "@", 1))
			abort();
		buf_reset(&b);
		if (msgcache_write(c, NULL, NULL, &b) != 0)
			abort();
		as_file(b.data, b.len);
		buf_free(&b);
	}
	mime_free(&m);
	msgcache_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	as_file((const char *)d, n);
	if (n <= 65536)
		as_message((const char *)d, n);
	return 0;
}
