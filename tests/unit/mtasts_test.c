/*
 * mtasts_test: the MTA-STS codec (common/mtasts, RFC 8461): TXT records
 * one by one and as a set (§3.1), policies good and bad (§3.2), MX
 * patterns and matching (§4.1), the cache file; and mtasts_get's use of
 * the cache when the DNS does not answer (§5.1).  The fetch over HTTPS
 * and the whole get against a DNS server are in mtasts_fetch_test.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "buf.h"
#include "dns.h"
#include "mtasts.h"
#include "util.h"

ATF_TC_WITHOUT_HEAD(txt_table);
ATF_TC_BODY(txt_table, tc)
{
	static const struct {
		const char *in;
		int rc; /* 1 STSv1 with id, 0 not STSv1, -1 bad STSv1 */
		const char *id;
	} t[] = {
	    {"v=STSv1; id=20160831085700Z;", 1, "20160831085700Z"},
	    {"v=STSv1; id=20160831085700Z", 1, "20160831085700Z"},
	    {"v=STSv1;id=abc", 1, "abc"},
	    {"v=STSv1 ; id=abc ;  ", 1, "abc"},
	    {"v=STSv1;\tid=abc;\t", 1, "abc"},
	    /* other fields ignored, in any place */
	    {"v=STSv1; ext=1; id=X9; a.b_c-d=~!:<>", 1, "X9"},
	    {"v=STSv1; id=12345678901234567890123456789012", 1,
		"12345678901234567890123456789012"},
	    /* not STSv1 at all: discarded */
	    {"v=spf1 -all", 0, ""},
	    {"", 0, ""},
	    {"v=STSv10; id=abc", 0, ""},
	    {"v=stsv1; id=abc", 0, ""},
	    {" v=STSv1; id=abc", 0, ""},
	    {"id=abc; v=STSv1", 0, ""},
	    /* STSv1 but bad */
	    {"v=STSv1", -1, ""},
	    {"v=STSv1;", -1, ""},
	    {"v=STSv1; ext=1", -1, ""},
	    {"v=STSv1; id=", -1, ""},
	    {"v=STSv1; id=a-b", -1, ""},
	    {"v=STSv1; id=123456789012345678901234567890123", -1, ""},
	    {"v=STSv1; id=abc; id=abd", -1, ""},
	    {"v=STSv1; id=abc id2=x", -1, ""},
	    {"v=STSv1; id=abc;;", -1, ""},
	    {"v=STSv1; id==abc", -1, ""},
	    {"v=STSv1; =x; id=abc", -1, ""},
	    {"v=STSv1; -x=1; id=abc", -1, ""},
	    {"v=STSv1; id=abc; x=\x01", -1, ""},
	    {"v=STSv1; id=abc; x=\xc3\xa9", -1, ""},
	};
	char id[MTASTS_ID_MAX + 1], err[ERR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = mtasts_txt_parse(
		    t[i].in, strlen(t[i].in), id, sizeof(id), err, sizeof(err));
		ATF_CHECK_EQ_MSG(
		    rc, t[i].rc, "%zu \"%s\": %d (%s)", i, t[i].in, rc, err);
		if (rc == 1)
			ATF_CHECK_STREQ_MSG(id, t[i].id, "%zu", i);
		if (rc == -1)
			ATF_CHECK_MSG(
			    err[0] != '\0' && strchr(err, '\n') == NULL,
			    "%zu: no error line", i);
	}
	/* Not NUL-terminated: the length is the end. */
	ATF_CHECK_EQ(mtasts_txt_parse("v=STSv1; id=abcdef", 15, id, sizeof(id),
			 err, sizeof(err)),
	    1);
	ATF_CHECK_STREQ(id, "abc");
}

static void
set_txt(struct dns_txt *r, const char *s)
{
	r->len = util_strlcpy(r->data, s, sizeof(r->data));
}

ATF_TC_WITHOUT_HEAD(txt_select);
ATF_TC_BODY(txt_select, tc)
{
	static struct dns_txt r[3];
	char id[MTASTS_ID_MAX + 1], err[ERR_MAX];

	set_txt(&r[0], "v=spf1 -all");
	set_txt(&r[1], "v=STSv1; id=one;");
	set_txt(&r[2], "google-site-verification=x");
	ATF_CHECK_EQ(
	    mtasts_txt_select(r, 3, id, sizeof(id), err, sizeof(err)), 0);
	ATF_CHECK_STREQ(id, "one");
	/* two STSv1 records: none counts (§3.1) */
	set_txt(&r[2], "v=STSv1; id=two;");
	ATF_CHECK_EQ(
	    mtasts_txt_select(r, 3, id, sizeof(id), err, sizeof(err)), -1);
	ATF_CHECK_STREQ(id, "");
	ATF_CHECK(strstr(err, "exactly one") != NULL);
	/* one, but bad */
	set_txt(&r[1], "v=STSv1; id=o_n_e;");
	ATF_CHECK_EQ(
	    mtasts_txt_select(r, 2, id, sizeof(id), err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "o_n_e") != NULL);
	/* none */
	ATF_CHECK_EQ(
	    mtasts_txt_select(r, 1, id, sizeof(id), err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "no STSv1 TXT record");
	ATF_CHECK_EQ(
	    mtasts_txt_select(r, 0, id, sizeof(id), err, sizeof(err)), -1);
}

#define P_HEAD "version: STSv1\n"

ATF_TC_WITHOUT_HEAD(policy_table);
ATF_TC_BODY(policy_table, tc)
{
	static const struct {
		const char *in;
		int ok;
		int mode;
		long max_age;
		int nmx;
		const char *mx0, *mx1; /* first two patterns */
		const char *why; /* in the error */
	} t[] = {
	    /* RFC 8461 §3.2's example, CRLF */
	    {"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	     "mx: *.example.net\r\nmx: backupmx.example.com\r\n"
	     "max_age: 604800\r\n",
		1, MTASTS_ENFORCE, 604800, 3, "mail.example.com",
		"*.example.net", NULL},
	    /* LF, no final line end, fields in any order */
	    {"max_age: 86400\nmx: MX1.Example.ORG.\nmode: testing\n"
	     "version: STSv1",
		1, MTASTS_TESTING, 86400, 1, "mx1.example.org", NULL, NULL},
	    /* unknown keys ignored; spaces around values; empty lines */
	    {P_HEAD "mode:enforce\n\nfoo: bar caf\xc3\xa9\nx.y_z-1:\n"
		    "mx:\t mx.example.net \t\nmax_age: 0\n\n",
		1, MTASTS_ENFORCE, 0, 1, "mx.example.net", NULL, NULL},
	    /* mode none needs no mx */
	    {P_HEAD "mode: none\nmax_age: 86400\n", 1, MTASTS_NONE, 86400, 0,
		NULL, NULL, NULL},
	    {P_HEAD "mode: none\nmx: a.example\nmax_age: 1\n", 1, MTASTS_NONE,
		1, 1, "a.example", NULL, NULL},
	    /* a repeated key but mx: the first counts; mx kept once */
	    {P_HEAD "mode: testing\nmode: bogus\nmax_age: 5\nmax_age: x\n"
		    "version: STSv2\nmx: a.example\nmx: A.example\n"
		    "mx: b.example\n",
		1, MTASTS_TESTING, 5, 2, "a.example", "b.example", NULL},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 31557600\n", 1,
		MTASTS_ENFORCE, 31557600, 1, "a.example", NULL, NULL},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 0000000001\n", 1,
		MTASTS_ENFORCE, 1, 1, "a.example", NULL, NULL},
	    /* bad */
	    {"", 0, 0, 0, 0, NULL, NULL, "no version"},
	    {"mode: enforce\nmx: a.example\nmax_age: 1\n", 0, 0, 0, 0, NULL,
		NULL, "no version"},
	    {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0, 0,
		0, 0, NULL, NULL, "not STSv1"},
	    {P_HEAD "mx: a.example\nmax_age: 1\n", 0, 0, 0, 0, NULL, NULL,
		"no mode"},
	    {P_HEAD "mode: Enforce\nmx: a.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "mode is not"},
	    {P_HEAD "mode: enforce\nmx: a.example\n", 0, 0, 0, 0, NULL, NULL,
		"no max_age"},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 31557601\n", 0, 0,
		0, 0, NULL, NULL, "over 31557600"},
	    /* ten digits: over the bound, and over a 32-bit long */
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 9999999999\n", 0,
		0, 0, 0, NULL, NULL, "over 31557600"},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 12345678901\n", 0,
		0, 0, 0, NULL, NULL, "1 to 10 digits"},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: -1\n", 0, 0, 0, 0,
		NULL, NULL, "1 to 10 digits"},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 1d\n", 0, 0, 0, 0,
		NULL, NULL, "1 to 10 digits"},
	    {P_HEAD "mode: enforce\nmax_age: 1\n", 0, 0, 0, 0, NULL, NULL,
		"no mx"},
	    {P_HEAD "mode: testing\nmx: *.*.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx: a*.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx: *\nmax_age: 1\n", 0, 0, 0, 0, NULL,
		NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx: a..example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx: a_b.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx: -a.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx: a.example b.example\nmax_age: 1\n", 0,
		0, 0, 0, NULL, NULL, "mx is no host"},
	    {P_HEAD "mode: testing\nmx:\nmax_age: 1\n", 0, 0, 0, 0, NULL, NULL,
		"mx is no host"},
	    {P_HEAD "mode: testing\nmx: b\xc3\xbc"
		    "cher.example\nmax_age: 1\n",
		0, 0, 0, 0, NULL, NULL, "mx is no host"},
	    {P_HEAD "mode enforce\nmx: a.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "no \"key: value\""},
	    {P_HEAD ": enforce\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0,
		0, 0, 0, NULL, NULL, "no \"key: value\""},
	    {P_HEAD "mode: enforce\rmx: a.example\nmax_age: 1\n", 0, 0, 0, 0,
		NULL, NULL, "control character"},
	    {P_HEAD "mode: enforce\nmx: a.example\nmax_age: 1\nx: \x1b[2J\n", 0,
		0, 0, 0, NULL, NULL, "control character"},
	};
	struct mtasts_policy p;
	char err[ERR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = mtasts_policy_parse(
		    t[i].in, strlen(t[i].in), &p, err, sizeof(err));
		if (!t[i].ok) {
			ATF_CHECK_EQ_MSG(rc, -1, "%zu: parsed", i);
			ATF_CHECK_MSG(strstr(err, t[i].why) != NULL,
			    "%zu: \"%s\" lacks \"%s\"", i, err, t[i].why);
			ATF_CHECK_MSG(strchr(err, '\n') == NULL &&
				strchr(err, '\x1b') == NULL,
			    "%zu: raw control characters in the error", i);
			ATF_CHECK_EQ(p.nmx, 0);
			ATF_CHECK_EQ(p.mode, MTASTS_NONE);
			continue;
		}
		ATF_CHECK_EQ_MSG(rc, 0, "%zu: %s", i, err);
		if (rc != 0)
			continue;
		ATF_CHECK_EQ_MSG(p.mode, t[i].mode, "%zu", i);
		ATF_CHECK_EQ_MSG(p.max_age, t[i].max_age, "%zu", i);
		ATF_CHECK_EQ_MSG(p.nmx, t[i].nmx, "%zu", i);
		if (t[i].mx0 != NULL && p.nmx > 0)
			ATF_CHECK_STREQ_MSG(p.mx[0], t[i].mx0, "%zu", i);
		if (t[i].mx1 != NULL && p.nmx > 1)
			ATF_CHECK_STREQ_MSG(p.mx[1], t[i].mx1, "%zu", i);
	}
}

ATF_TC_WITHOUT_HEAD(policy_bounds);
ATF_TC_BODY(policy_bounds, tc)
{
	struct mtasts_policy p;
	char err[ERR_MAX];
	struct buf b;
	int i;

	/* MTASTS_MX_MAX patterns pass, one more does not. */
	buf_init(&b, 0);
	ATF_REQUIRE(buf_puts(&b, P_HEAD "mode: enforce\nmax_age: 9\n") == 0);
	for (i = 0; i < MTASTS_MX_MAX; i++)
		ATF_REQUIRE(buf_printf(&b, "mx: mx%d.example\n", i) == 0);
	ATF_CHECK_EQ(
	    mtasts_policy_parse(b.data, b.len, &p, err, sizeof(err)), 0);
	ATF_CHECK_EQ(p.nmx, MTASTS_MX_MAX);
	ATF_REQUIRE(buf_puts(&b, "mx: one.more.example\n") == 0);
	ATF_CHECK_EQ(
	    mtasts_policy_parse(b.data, b.len, &p, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "more than") != NULL);
	/* 64 KiB and no more, even of ignored keys. */
	buf_reset(&b);
	ATF_REQUIRE(buf_puts(&b, P_HEAD "mode: none\nmax_age: 9\n") == 0);
	while (b.len < MTASTS_POLICY_MAX - 20)
		ATF_REQUIRE(buf_puts(&b, "x: y\n") == 0);
	ATF_CHECK_EQ(
	    mtasts_policy_parse(b.data, b.len, &p, err, sizeof(err)), 0);
	while (b.len <= MTASTS_POLICY_MAX)
		ATF_REQUIRE(buf_puts(&b, "x: y\n") == 0);
	ATF_CHECK_EQ(
	    mtasts_policy_parse(b.data, b.len, &p, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "64 KiB") != NULL);
	/* A NUL inside is refused, not a string end. */
	ATF_CHECK_EQ(mtasts_policy_parse(P_HEAD "mode: none\0\nmax_age: 1\n",
			 sizeof(P_HEAD "mode: none\0\nmax_age: 1\n") - 1, &p,
			 err, sizeof(err)),
	    -1);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(match_table);
ATF_TC_BODY(match_table, tc)
{
	static const struct {
		const char *pattern, *host;
		int match;
	} t[] = {
	    {"mx.example.net", "mx.example.net", 1},
	    {"mx.example.net", "MX.Example.NET", 1},
	    {"mx.example.net", "mx.example.net.", 1},
	    {"mx.example.net.", "mx.example.net", 1},
	    {"mx.example.net", "mx2.example.net", 0},
	    {"mx.example.net", "a.mx.example.net", 0},
	    {"mx.example.net", "example.net", 0},
	    {"mx.example.net", "mx.example.net..", 0},
	    {"*.example.net", "mx.example.net", 1},
	    {"*.example.net", "MX.EXAMPLE.NET.", 1},
	    {"*.EXAMPLE.net", "mx.example.NET", 1},
	    /* §4.1: exactly one label */
	    {"*.example.net", "example.net", 0},
	    {"*.example.net", ".example.net", 0},
	    {"*.example.net", "a.b.example.net", 0},
	    {"*.example.net", "mxexample.net", 0},
	    {"*.example.net", "mx.example.org", 0},
	    {"*.example.net", "*.example.net", 1},
	    /* not patterns: never a match (found by mtasts_fuzz) */
	    {"*.", "*", 0},
	    {"*", "*", 0},
	    {"*x.example", "*x.example", 0},
	    {"*..", "*.", 0},
	    {"mx.example.net", "", 0},
	    {"", "mx.example.net", 0},
	    {"", "", 0},
	    {".", ".", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(mtasts_mx_match(t[i].pattern, t[i].host),
		    t[i].match, "%zu: %s ~ %s", i, t[i].pattern, t[i].host);
}

ATF_TC_WITHOUT_HEAD(pattern_valid);
ATF_TC_BODY(pattern_valid, tc)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
	    {"mx.example.net", 1},
	    {"localhost", 1},
	    {"*.example.net", 1},
	    {"*.net", 1},
	    {"a-b.x1.example", 1},
	    {"", 0},
	    {"*", 0},
	    {"*.", 0},
	    {"*.*.net", 0},
	    {"mx.*.net", 0},
	    {"mx.example.net.", 0},
	    {".example.net", 0},
	    {"a-.example", 0},
	    {"-a.example", 0},
	    {"a_b.example", 0},
	    {"a b.example", 0},
	    {"0123456789012345678901234567890123456789012345678901234567890"
	     "12.example",
		1},
	    {"0123456789012345678901234567890123456789012345678901234567890"
	     "123.example",
		0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(mtasts_pattern_valid(t[i].in), t[i].ok,
		    "%zu: %s", i, t[i].in);
}

ATF_TC_WITHOUT_HEAD(cache_codec);
ATF_TC_BODY(cache_codec, tc)
{
	static const char *bad[] = {
	    "",
	    "yubin-mta-sts 1\n",
	    "yubin-mta-sts 2\nid a\nfetched 1\n\nx",
	    "yubin-mta-sts 1\nid a-b\nfetched 1\n\nx",
	    "yubin-mta-sts 1\nid a\nfetched -1\n\nx",
	    "yubin-mta-sts 1\nid a\nfetched 1x\n\nx",
	    "yubin-mta-sts 1\nid a\nfetched 1\nx",
	    "yubin-mta-sts 1\nid a\n\n",
	};
	char id[MTASTS_ID_MAX + 1], err[ERR_MAX];
	size_t off, len, i;
	struct buf b;
	time_t t;

	buf_init(&b, MTASTS_CACHE_MAX);
	ATF_REQUIRE(mtasts_cache_format("abc123", 1764633600,
			"version: STSv1\n", 15, &b, err, sizeof(err)) == 0);
	ATF_CHECK_STREQ(b.data,
	    "yubin-mta-sts 1\nid abc123\n"
	    "fetched 1764633600\n\nversion: STSv1\n");
	ATF_REQUIRE(mtasts_cache_parse(b.data, b.len, id, sizeof(id), &t, &off,
			&len, err, sizeof(err)) == 0);
	ATF_CHECK_STREQ(id, "abc123");
	ATF_CHECK_EQ(t, 1764633600);
	ATF_CHECK_EQ(len, 15);
	ATF_CHECK(memcmp(b.data + off, "version: STSv1\n", 15) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(
		    mtasts_cache_parse(bad[i], strlen(bad[i]), id, sizeof(id),
			&t, &off, &len, err, sizeof(err)),
		    -1, "%zu", i);
	buf_free(&b);
}

/* A cache file for example.net in dir "cache", fetched at t. */
static void
write_cache(const char *id, time_t t, const char *policy)
{
	char err[ERR_MAX];
	struct buf b;
	int fd;

	(void)mkdir("cache", 0700);
	buf_init(&b, 0);
	ATF_REQUIRE(mtasts_cache_format(id, t, policy, strlen(policy), &b, err,
			sizeof(err)) == 0);
	ATF_REQUIRE((fd = open("cache/example.net",
			 O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1);
	ATF_REQUIRE(util_write_all(fd, b.data, b.len) == 0);
	ATF_REQUIRE(close(fd) == 0);
	buf_free(&b);
}

/*
 * §5.1 with the DNS silent (a server on a closed port): an unexpired
 * cached policy stays in force; an expired one, or none, means no
 * MTA-STS; a name that is no domain is refused.
 */
ATF_TC_WITHOUT_HEAD(get_dns_down);
ATF_TC_BODY(get_dns_down, tc)
{
	static const char pol[] = "version: STSv1\nmode: enforce\n"
				  "mx: *.example.net\nmax_age: 86400\n";
	struct mtasts_fetch_opts o = {NULL, NULL, NULL, 2};
	struct mtasts_result *res;
	struct dns_resolver *r;
	char err[ERR_MAX];
	time_t now = 1764633600;

	ATF_REQUIRE((res = malloc(sizeof(*res))) != NULL);
	ATF_REQUIRE(
	    (r = dns_new("127.0.0.1:9", 1, 1, err, sizeof(err))) != NULL);
	/* nothing cached */
	ATF_CHECK_EQ(mtasts_get(r, "example.net", "cache", &o, now, res), 0);
	ATF_CHECK_EQ(res->policy.mode, MTASTS_NONE);
	ATF_CHECK_EQ(res->source, MTASTS_SRC_NONE);
	ATF_CHECK_MSG(
	    strncmp(res->why, "no MTA-STS: _mta-sts.example.net: ", 34) == 0,
	    "%s", res->why);
	/* cached an hour ago */
	write_cache("id1", now - 3600, pol);
	ATF_CHECK_EQ(mtasts_get(r, "Example.NET.", "cache", &o, now, res), 0);
	ATF_CHECK_EQ(res->policy.mode, MTASTS_ENFORCE);
	ATF_CHECK_EQ(res->source, MTASTS_SRC_CACHE);
	ATF_CHECK_STREQ(res->id, "id1");
	ATF_CHECK_EQ(res->policy.nmx, 1);
	ATF_CHECK_STREQ(res->policy.mx[0], "*.example.net");
	ATF_CHECK_EQ(res->fetched, now - 3600);
	ATF_CHECK_EQ(res->expires, now - 3600 + 86400);
	ATF_CHECK_MSG(strstr(res->why, "from cache") != NULL &&
		strstr(res->why, "mode enforce") != NULL &&
		strstr(res->why, "_mta-sts.example.net") != NULL,
	    "%s", res->why);
	ATF_CHECK(mtasts_policy_match(&res->policy, "mx1.example.net"));
	/* expired */
	write_cache("id1", now - 86400, pol);
	ATF_CHECK_EQ(mtasts_get(r, "example.net", "cache", &o, now, res), 0);
	ATF_CHECK_EQ(res->policy.mode, MTASTS_NONE);
	ATF_CHECK_EQ(res->source, MTASTS_SRC_NONE);
	/* a cache file that is not one */
	write_cache("id1", now, "garbage");
	ATF_CHECK_EQ(mtasts_get(r, "example.net", "cache", &o, now, res), 0);
	ATF_CHECK_EQ(res->policy.mode, MTASTS_NONE);
	ATF_CHECK_MSG(
	    strstr(res->why, "; ignored cache/example.net: policy") != NULL,
	    "%s", res->why);
	/* no domain */
	ATF_CHECK_EQ(mtasts_get(r, "a..b", "cache", &o, now, res), -1);
	ATF_CHECK_EQ(res->policy.mode, MTASTS_NONE);
	ATF_CHECK(strncmp(res->why, "no MTA-STS: ", 12) == 0);
	dns_free(r);
	free(res);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, txt_table);
	ATF_TP_ADD_TC(tp, txt_select);
	ATF_TP_ADD_TC(tp, policy_table);
	ATF_TP_ADD_TC(tp, policy_bounds);
	ATF_TP_ADD_TC(tp, match_table);
	ATF_TP_ADD_TC(tp, pattern_valid);
	ATF_TP_ADD_TC(tp, cache_codec);
	ATF_TP_ADD_TC(tp, get_dns_down);
	return atf_no_error();
}
