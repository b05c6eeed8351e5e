/*
 * msgcache_test: the per-folder message cache.  A record round-trips
 * (put, write, parse, get) and holds what mime writes; the keys (UNIQ,
 * wire size, disk size) are checked; header SEARCH on a record answers
 * as mime_search_header; and the rules of "never the truth": a
 * missing, foreign-version, truncated or corrupt file, or a record over
 * its bound, is ignored (a table of broken files); save is atomic (temp
 * file and rename) and keeps only what the caller wants.
 */
#include <sys/stat.h>

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "buf.h"
#include "mime.h"
#include "msgcache.h"

static const char msg1[] =
    "Date: Tue, 1 Dec 2026 10:00:00 +0100\n"
    "From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\n"
    "To: a@example.org,\n"
    " b@example.org\n"
    "Subject: =?iso-8859-1?q?caf=E9?= menu\n"
    "Message-ID: <1@example.org>\n"
    "X-Other: not kept\n"
    "References: <0@example.org>\n"
    "\n"
    "Hello.\n";

static struct msgcache *
fresh(const char *dir)
{
	struct msgcache *c = msgcache_new(dir);

	ATF_REQUIRE(c != NULL);
	return c;
}

static void
put(struct msgcache *c, const char *uniq, const char *s)
{
	struct mime_msg m;

	ATF_REQUIRE_EQ(mime_parse(&m, s, strlen(s)), 0);
	ATF_REQUIRE_EQ(msgcache_put(c, uniq, strlen(uniq), &m), 0);
	mime_free(&m);
}

static char *
mimestr(const char *s, int what)
{
	struct mime_msg m;
	struct buf b;

	buf_init(&b, 0);
	ATF_REQUIRE_EQ(mime_parse(&m, s, strlen(s)), 0);
	if (what == 'E')
		ATF_REQUIRE_EQ(mime_envelope(&m, m.root, &b), 0);
	else
		ATF_REQUIRE_EQ(mime_bodystructure(&m, m.root, what == 'S',
		    &b), 0);
	mime_free(&m);
	ATF_REQUIRE_EQ(buf_putc(&b, '\0'), 0);
	return buf_release(&b);
}

static int
names_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct buf *b = arg;

	(void)off;
	(void)end;
	ATF_REQUIRE_EQ(f->value[f->valuelen], '\0');
	(void)buf_append(b, f->name, f->namelen);
	(void)buf_putc(b, '=');
	(void)buf_append(b, f->value, f->valuelen);
	(void)buf_putc(b, '|');
	return 0;
}

ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	struct msgcache *c = fresh("."), *d;
	struct msgcache_rec r;
	struct mime_msg m;
	struct buf w, f;
	char *e, *b, *s;

	put(c, "1700000000.M1P2.host", msg1);
	ATF_REQUIRE(msgcache_dirty(c));
	ATF_REQUIRE_EQ(mime_parse(&m, msg1, strlen(msg1)), 0);
	buf_init(&w, 0);
	ATF_REQUIRE_EQ(msgcache_write(c, NULL, NULL, &w), 0);
	d = fresh(".");
	ATF_REQUIRE_EQ(msgcache_parse(d, w.data, w.len), 1);
	/* Wire size, disk size, either alone; neither: no answer. */
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20, m.size,
	    m.len, &r), 1);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20, m.size,
	    MSGCACHE_UNKNOWN, &r), 1);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20,
	    MSGCACHE_UNKNOWN, m.len, &r), 1);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20,
	    MSGCACHE_UNKNOWN, MSGCACHE_UNKNOWN, &r), 0);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20, m.size + 1,
	    MSGCACHE_UNKNOWN, &r), 0);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20,
	    MSGCACHE_UNKNOWN, m.len - 1, &r), 0);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.hos", 19, m.size,
	    m.len, &r), 0);
	ATF_REQUIRE_EQ(msgcache_get(d, "1700000000.M1P2.host", 20, m.size,
	    m.len, &r), 1);
	ATF_REQUIRE_EQ(r.size, m.size);
	ATF_REQUIRE_EQ(r.disk, strlen(msg1));
	/* The Date parsed: 2026-12-01 09:00:00 UTC, that day 00:00. */
	ATF_REQUIRE(r.have_date);
	ATF_REQUIRE_EQ(r.date, 1796115600LL);
	ATF_REQUIRE_EQ(r.day, 1796083200LL);
	e = mimestr(msg1, 'E');
	b = mimestr(msg1, 'B');
	s = mimestr(msg1, 'S');
	ATF_REQUIRE_EQ(r.envlen, strlen(e));
	ATF_REQUIRE(memcmp(r.env, e, r.envlen) == 0);
	ATF_REQUIRE_EQ(r.bodylen, strlen(b));
	ATF_REQUIRE(memcmp(r.body, b, r.bodylen) == 0);
	ATF_REQUIRE_EQ(r.bslen, strlen(s));
	ATF_REQUIRE(memcmp(r.bs, s, r.bslen) == 0);
	/* The kept fields, unfolded, in message order. */
	buf_init(&f, 0);
	ATF_REQUIRE_EQ(msgcache_fields(&r, names_cb, &f), 0);
	ATF_REQUIRE_EQ(buf_putc(&f, '\0'), 0);
	ATF_REQUIRE_STREQ(f.data,
	    "Date=Tue, 1 Dec 2026 10:00:00 +0100|"
	    "From==?utf-8?q?J=C3=B6rg?= <jorg@example.org>|"
	    "To=a@example.org, b@example.org|"
	    "Subject==?iso-8859-1?q?caf=E9?= menu|"
	    "Message-ID=<1@example.org>|References=<0@example.org>|");
	/* A second write is byte for byte the first. */
	buf_free(&f);
	buf_init(&f, 0);
	ATF_REQUIRE_EQ(msgcache_write(d, NULL, NULL, &f), 0);
	ATF_REQUIRE_EQ(f.len, w.len);
	ATF_REQUIRE(memcmp(f.data, w.data, w.len) == 0);
	free(e);
	free(b);
	free(s);
	buf_free(&f);
	buf_free(&w);
	mime_free(&m);
	msgcache_free(c);
	msgcache_free(d);
}

ATF_TC_WITHOUT_HEAD(search);
ATF_TC_BODY(search, tc)
{
	static const struct {
		const char *field, *needle;
	} t[] = {
		{ "From", "jörg" }, { "From", "JÖRG" }, { "from", "example" },
		{ "From", "=?utf-8" }, { "Subject", "CAFÉ" },
		{ "Subject", "menu" }, { "Subject", "tea" },
		{ "To", "b@example" }, { "Cc", "" }, { "Cc", "x" },
		{ "Subject", "" }, { "Message-ID", "1@" },
	};
	struct msgcache *c = fresh(".");
	struct msgcache_rec r;
	struct mime_msg m;
	size_t k;

	put(c, "u1", msg1);
	ATF_REQUIRE_EQ(mime_parse(&m, msg1, strlen(msg1)), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "u1", 2, m.size, m.len, &r), 1);
	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
		ATF_CHECK_EQ_MSG(msgcache_search_header(&r, t[k].field,
		    t[k].needle, strlen(t[k].needle)),
		    mime_search_header(&m, t[k].field, t[k].needle,
		    strlen(t[k].needle)), "%s %s", t[k].field, t[k].needle);
	ATF_REQUIRE(msgcache_field_cached("SUBJECT", 7));
	ATF_REQUIRE(msgcache_field_cached("in-reply-to", 11));
	ATF_REQUIRE(!msgcache_field_cached("X-Other", 7));
	ATF_REQUIRE(!msgcache_field_cached("", 0));
	mime_free(&m);
	msgcache_free(c);
}

/*
 * A cache file from a template: "#@" after a payload becomes "#" and
 * the record's check (FNV-1a 64 from its "R"), "#!" a wrong check.
 * Records start at "R " after a line end.  Free the result.
 */
static char *
seal(const char *t, size_t *n)
{
	static const char hex[] = "0123456789abcdef";
	struct buf b;
	size_t start = 0, i;
	uint64_t h;
	int k;

	buf_init(&b, 0);
	for (; *t != '\0'; t++) {
		if (*t == 'R' && t[1] == ' ' && b.len > 0 &&
		    b.data[b.len - 1] == '\n')
			start = b.len;
		if (t[0] == '#' && (t[1] == '@' || t[1] == '!')) {
			h = 14695981039346656037ULL;
			for (i = start; i < b.len; i++) {
				h ^= (unsigned char)b.data[i];
				h *= 1099511628211ULL;
			}
			if (t[1] == '!')
				h ^= 1;
			ATF_REQUIRE_EQ(buf_putc(&b, '#'), 0);
			for (k = 0; k < 16; k++)
				ATF_REQUIRE_EQ(buf_putc(&b,
				    hex[(h >> (60 - 4 * k)) & 0xf]), 0);
			t++;
			continue;
		}
		ATF_REQUIRE_EQ(buf_putc(&b, *t), 0);
	}
	*n = b.len;
	ATF_REQUIRE_EQ(buf_putc(&b, '\0'), 0);
	return buf_release(&b);
}

/* A table of files and how many records each keeps. */
ATF_TC_WITHOUT_HEAD(broken);
ATF_TC_BODY(broken, tc)
{
	static const struct {
		const char *name, *file;
		long kept;
	} t[] = {
		{ "empty", "", 0 },
		{ "magic only", "yubin-cache 2\n", 0 },
		{ "other version", "yubin-cache 1\nR 1 1 0 a\n#@\n", 0 },
		{ "foreign", "dovecot.index\n", 0 },
		{ "one", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\n", 1 },
		{ "no items", "yubin-cache 2\nR 10 9 0 a\n#@\n", 1 },
		{ "two", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\n"
		    "R 1 1 4 b\nS1:y#@\n", 2 },
		{ "bad check", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\n"
		    "R 1 1 4 b\nS1:y#!\n", 1 },
		{ "no check", "yubin-cache 2\nR 10 9 4 a\nE1:x\n", 0 },
		{ "truncated payload", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\n"
		    "R 1 1 4 b\nS1:", 1 },
		{ "truncated check", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\n"
		    "R 1 1 4 b\nS1:y#0123", 1 },
		{ "truncated line", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\nR 1 1",
		    1 },
		{ "no final LF", "yubin-cache 2\nR 10 9 4 a\nE1:x#@", 0 },
		{ "leading zero", "yubin-cache 2\nR 010 9 4 a\nE1:x#@\n", 0 },
		{ "negative", "yubin-cache 2\nR -1 9 4 a\nE1:x#@\n", 0 },
		{ "overflow", "yubin-cache 2\nR 99999999999999999999 9 4 a\n"
		    "E1:x#@\n", 0 },
		{ "length short", "yubin-cache 2\nR 10 9 3 a\nE1:x#@\n", 0 },
		{ "length long", "yubin-cache 2\nR 10 9 5 a\nE1:x#@\n", 0 },
		{ "item past end", "yubin-cache 2\nR 10 9 4 a\nE2:x#@\n", 0 },
		{ "unknown tag", "yubin-cache 2\nR 10 9 4 a\nZ1:x#@\n", 0 },
		{ "H without colon", "yubin-cache 2\nR 10 9 4 a\nH1:x#@\n", 0 },
		{ "H empty name", "yubin-cache 2\nR 10 9 4 a\nH1::#@\n", 0 },
		{ "no uniq", "yubin-cache 2\nR 10 9 4 \nE1:x#@\n", 0 },
		{ "uniq with space", "yubin-cache 2\nR 10 9 4 a b\nE1:x#@\n",
		    0 },
		{ "uniq with slash", "yubin-cache 2\nR 10 9 4 ../a\nE1:x#@\n",
		    0 },
		{ "uniq with colon", "yubin-cache 2\nR 10 9 4 a:2,S\nE1:x#@\n",
		    0 },
		{ "record over bound",
		    "yubin-cache 2\nR 10 9 65537 a\nE1:x#@\n", 0 },
		{ "garbage after", "yubin-cache 2\nR 10 9 4 a\nE1:x#@\nxyz",
		    1 },
		{ "date", "yubin-cache 2\nR 10 9 6 a\nD3:1 0#@\n", 1 },
		{ "date negative", "yubin-cache 2\nR 10 9 15 a\n"
		    "D11:-100 -86400#@\n", 1 },
		{ "date and fields", "yubin-cache 2\nR 10 9 15 a\n"
		    "D3:1 0H6:Date:x#@\n", 1 },
		{ "date one number", "yubin-cache 2\nR 10 9 4 a\nD1:1#@\n",
		    0 },
		{ "date no second", "yubin-cache 2\nR 10 9 5 a\nD2:1 #@\n",
		    0 },
		{ "date not a number", "yubin-cache 2\nR 10 9 6 a\n"
		    "D3:1 x#@\n", 0 },
		{ "date leading zero", "yubin-cache 2\nR 10 9 7 a\n"
		    "D4:01 0#@\n", 0 },
		{ "date minus zero", "yubin-cache 2\nR 10 9 7 a\n"
		    "D4:-0 0#@\n", 0 },
		{ "date three numbers", "yubin-cache 2\nR 10 9 8 a\n"
		    "D5:1 0 0#@\n", 0 },
		{ "date overflow", "yubin-cache 2\nR 10 9 25 a\n"
		    "D21:9223372036854775808 0#@\n", 0 },
		{ "duplicate: last wins",
		    "yubin-cache 2\nR 10 9 4 a\nE1:x#@\nR 11 9 4 a\nE1:y#@\n",
		    2 },
	};
	struct msgcache *c;
	struct msgcache_rec r;
	size_t k, n;
	char *f;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		c = fresh(".");
		f = seal(t[k].file, &n);
		ATF_CHECK_EQ_MSG(msgcache_parse(c, f, n), t[k].kept, "%s",
		    t[k].name);
		free(f);
		msgcache_free(c);
	}
	c = fresh(".");
	f = seal(t[sizeof(t) / sizeof(t[0]) - 1].file, &n);
	ATF_REQUIRE_EQ(msgcache_parse(c, f, n), 2);
	free(f);
	ATF_REQUIRE_EQ(msgcache_get(c, "a", 1, 10, 9, &r), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "a", 1, 11, 9, &r), 1);
	ATF_REQUIRE(r.env != NULL && r.envlen == 1 && r.env[0] == 'y');
	ATF_REQUIRE(r.bs == NULL && r.body == NULL && r.hdr == NULL);
	msgcache_free(c);
}

static int
keep_b(void *arg, const char *uniq, size_t ulen, uint64_t size)
{
	(void)arg;
	(void)size;
	return ulen == 1 && uniq[0] == 'b';
}

static char *
slurp(const char *path, size_t *n)
{
	struct buf b;
	int fd;

	ATF_REQUIRE((fd = open(path, O_RDONLY)) != -1);
	buf_init(&b, 0);
	ATF_REQUIRE_EQ(buf_read_fd(&b, fd), 0);
	(void)close(fd);
	*n = b.len;
	ATF_REQUIRE_EQ(buf_putc(&b, '\0'), 0);
	return buf_release(&b);
}

ATF_TC_WITHOUT_HEAD(save_load);
ATF_TC_BODY(save_load, tc)
{
	struct msgcache *c;
	struct msgcache_rec r;
	struct stat st;
	char *p, *two, *one, *bad;
	size_t n, ntwo, none, nbad;
	FILE *fp;
	DIR *dp;
	struct dirent *de;

	/* Missing file: an empty cache. */
	c = fresh(".");
	ATF_REQUIRE_EQ(msgcache_load(c), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "a", 1, 10, 9, &r), 0);
	msgcache_free(c);
	two = seal("yubin-cache 2\nR 10 9 4 a\nE1:x#@\nR 1 1 4 b\nS1:y#@\n",
	    &ntwo);
	one = seal("yubin-cache 2\nR 1 1 4 b\nS1:y#@\n", &none);
	bad = seal("yubin-cache 2\nR 1 1 4 b\nS1:y#!\n", &nbad);
	/* Save keeps what keep() wants, in a file of its own (renamed). */
	c = fresh(".");
	ATF_REQUIRE_EQ(msgcache_parse(c, two, ntwo), 2);
	ATF_REQUIRE_EQ(msgcache_save(c, keep_b, NULL), 0);
	ATF_REQUIRE(!msgcache_dirty(c));
	msgcache_free(c);
	p = slurp(MSGCACHE_NAME, &n);
	ATF_REQUIRE_EQ(n, none);
	ATF_REQUIRE_STREQ(p, one);
	free(p);
	ATF_REQUIRE_EQ(stat(MSGCACHE_NAME, &st), 0);
	ATF_REQUIRE_EQ(st.st_mode & 0777, 0600);
	/* No temp file is left. */
	ATF_REQUIRE((dp = opendir(".")) != NULL);
	while ((de = readdir(dp)) != NULL)
		ATF_REQUIRE_MSG(strncmp(de->d_name, MSGCACHE_NAME ".",
		    strlen(MSGCACHE_NAME) + 1) != 0, "%s", de->d_name);
	(void)closedir(dp);
	c = fresh(".");
	ATF_REQUIRE_EQ(msgcache_load(c), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "b", 1, 1, 1, &r), 1);
	ATF_REQUIRE_EQ(msgcache_load(c), 0); /* once */
	msgcache_free(c);
	/* A corrupt file: ignored, then rewritten whole. */
	ATF_REQUIRE((fp = fopen(MSGCACHE_NAME, "w")) != NULL);
	ATF_REQUIRE_EQ(fwrite(bad, 1, nbad, fp), nbad);
	ATF_REQUIRE_EQ(fclose(fp), 0);
	c = fresh(".");
	ATF_REQUIRE_EQ(msgcache_load(c), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "b", 1, 1, 1, &r), 0);
	put(c, "m", msg1);
	ATF_REQUIRE_EQ(msgcache_save(c, NULL, NULL), 0);
	msgcache_free(c);
	c = fresh(".");
	ATF_REQUIRE_EQ(msgcache_load(c), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "m", 1, MSGCACHE_UNKNOWN,
	    strlen(msg1), &r), 1);
	msgcache_free(c);
	free(one);
	free(two);
	free(bad);
	/* A directory that cannot be written: save fails, nothing else. */
	c = fresh("./no-such-dir");
	ATF_REQUIRE_EQ(msgcache_load(c), 0);
	put(c, "m", msg1);
	ATF_REQUIRE_EQ(msgcache_save(c, NULL, NULL), -1);
	msgcache_free(c);
}

/* The 'D' item: the first Date field, parsed; none when it is missing
   or does not parse (a later good one does not count). */
ATF_TC_WITHOUT_HEAD(dates);
ATF_TC_BODY(dates, tc)
{
	static const struct {
		const char *msg;
		int have;
		long long t, day;
	} v[] = {
		{ "Date: 1 Jan 1960 00:00:00 +0000\nSubject: old\n\nx\n", 1,
		    -315619200LL, -315619200LL },
		{ "Subject: no date\n\nx\n", 0, 0, 0 },
		{ "Date: soon\nSubject: bad\n\nx\n", 0, 0, 0 },
		{ "Date: soon\nDate: 1 Jan 1960 00:00:00 +0000\n\nx\n", 0, 0,
		    0 },
		{ "Date: 1 Dec 2026 10:00:00 +0100\nDate: soon\n\nx\n", 1,
		    1796115600LL, 1796083200LL },
	};
	struct msgcache *c = fresh("."), *d;
	struct msgcache_rec r;
	struct mime_msg m;
	struct buf w;
	char u[16];
	size_t k;

	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		(void)snprintf(u, sizeof(u), "d%zu", k);
		put(c, u, v[k].msg);
	}
	buf_init(&w, 0);
	ATF_REQUIRE_EQ(msgcache_write(c, NULL, NULL, &w), 0);
	d = fresh(".");
	ATF_REQUIRE_EQ(msgcache_parse(d, w.data, w.len),
	    (long)(sizeof(v) / sizeof(v[0])));
	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		(void)snprintf(u, sizeof(u), "d%zu", k);
		ATF_REQUIRE_EQ(mime_parse(&m, v[k].msg, strlen(v[k].msg)), 0);
		ATF_REQUIRE_EQ(msgcache_get(d, u, strlen(u), m.size, m.len,
		    &r), 1);
		mime_free(&m);
		ATF_CHECK_EQ_MSG(r.have_date, v[k].have, "%zu", k);
		if (!v[k].have)
			continue;
		ATF_CHECK_EQ_MSG((long long)r.date, v[k].t, "%zu", k);
		ATF_CHECK_EQ_MSG((long long)r.day, v[k].day, "%zu", k);
	}
	buf_free(&w);
	msgcache_free(c);
	msgcache_free(d);
}

/* A record over MSGCACHE_RECORD_MAX is not kept (the message is read
   each time); put still succeeds. */
ATF_TC_WITHOUT_HEAD(bounds);
ATF_TC_BODY(bounds, tc)
{
	struct msgcache *c = fresh(".");
	struct msgcache_rec r;
	struct mime_msg m;
	struct buf b;
	size_t k;

	buf_init(&b, 0);
	ATF_REQUIRE_EQ(buf_puts(&b, "To: "), 0);
	for (k = 0; k < 5000; k++)
		ATF_REQUIRE_EQ(buf_printf(&b, "%sperson%zu@example.org",
		    k ? ", " : "", k), 0);
	ATF_REQUIRE_EQ(buf_puts(&b, "\nSubject: big\n\nbody\n"), 0);
	ATF_REQUIRE(b.len > MSGCACHE_RECORD_MAX);
	ATF_REQUIRE_EQ(mime_parse(&m, b.data, b.len), 0);
	ATF_REQUIRE_EQ(msgcache_put(c, "big", 3, &m), 0);
	ATF_REQUIRE_EQ(msgcache_get(c, "big", 3, m.size, m.len, &r), 0);
	ATF_REQUIRE(!msgcache_dirty(c));
	/* A bad UNIQ is not cached either. */
	ATF_REQUIRE_EQ(msgcache_put(c, "a b", 3, &m), 0);
	ATF_REQUIRE_EQ(msgcache_put(c, "", 0, &m), 0);
	ATF_REQUIRE(!msgcache_dirty(c));
	ATF_REQUIRE_EQ(msgcache_uniq("1700.M1P2.h,S=12:2,S"), 11);
	ATF_REQUIRE_EQ(msgcache_uniq("1700.M1P2.h:2,"), 11);
	ATF_REQUIRE_EQ(msgcache_uniq("plain"), 5);
	mime_free(&m);
	buf_free(&b);
	msgcache_free(c);
}

/* Many records: the table grows and every record is found again. */
ATF_TC_WITHOUT_HEAD(many);
ATF_TC_BODY(many, tc)
{
	struct msgcache *c = fresh("."), *d;
	struct msgcache_rec r;
	struct mime_msg m;
	struct buf w;
	char u[32];
	size_t k;

	ATF_REQUIRE_EQ(mime_parse(&m, msg1, strlen(msg1)), 0);
	for (k = 0; k < 3000; k++) {
		(void)snprintf(u, sizeof(u), "%zu.M%zuP1.h", k, k * 7);
		ATF_REQUIRE_EQ(msgcache_put(c, u, strlen(u), &m), 0);
	}
	buf_init(&w, 0);
	ATF_REQUIRE_EQ(msgcache_write(c, NULL, NULL, &w), 0);
	d = fresh(".");
	ATF_REQUIRE_EQ(msgcache_parse(d, w.data, w.len), 3000);
	for (k = 0; k < 3000; k++) {
		(void)snprintf(u, sizeof(u), "%zu.M%zuP1.h", k, k * 7);
		ATF_REQUIRE_EQ(msgcache_get(d, u, strlen(u), m.size, m.len,
		    &r), 1);
	}
	buf_free(&w);
	mime_free(&m);
	msgcache_free(c);
	msgcache_free(d);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, search);
	ATF_TP_ADD_TC(tp, broken);
	ATF_TP_ADD_TC(tp, save_load);
	ATF_TP_ADD_TC(tp, dates);
	ATF_TP_ADD_TC(tp, bounds);
	ATF_TP_ADD_TC(tp, many);
	return atf_no_error();
}
