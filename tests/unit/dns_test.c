/*
 * dns_test: the raw response parser on hand-built messages (MX, CNAME
 * chains, compression pointers, TXT, the additional section, and
 * truncated or malicious buffers rejected cleanly), MX ordering and
 * shuffling, explicit-server strings, IDNA and name checks.  Lookups
 * against a real server are in tests/cmd/mxlookup_test.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "dns.h"

/* ------------------------------------------------------------ builder */

struct mb {
	unsigned char b[4096];
	size_t n;
};

#define QR 0x8000
#define AA 0x0400
#define TC 0x0200
#define RD 0x0100

static void
put8(struct mb *m, unsigned v)
{
	ATF_REQUIRE(m->n < sizeof(m->b));
	m->b[m->n++] = (unsigned char)v;
}

static void
put16(struct mb *m, unsigned v)
{
	put8(m, (v >> 8) & 0xff);
	put8(m, v & 0xff);
}

static void
put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* An uncompressed name ("" is the root), or one ending in a pointer. */
static void
putname_ptr(struct mb *m, const char *name, int ptr)
{
	const char *p = name, *dot;
	size_t len;

	while (*p != '\0') {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		put8(m, (unsigned)len);
		memcpy(m->b + m->n, p, len);
		m->n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	if (ptr >= 0)
		put16(m, 0xc000 | (unsigned)ptr);
	else
		put8(m, 0);
}

static void
putname(struct mb *m, const char *name)
{
	putname_ptr(m, name, -1);
}

static void
header(struct mb *m, unsigned flags, int qd, int an, int ns, int ar)
{
	m->n = 0;
	put16(m, 0x4242);
	put16(m, flags);
	put16(m, (unsigned)qd);
	put16(m, (unsigned)an);
	put16(m, (unsigned)ns);
	put16(m, (unsigned)ar);
}

/* Question; returns the offset of its name (for pointers). */
static size_t
question(struct mb *m, const char *name, unsigned type)
{
	size_t off = m->n;

	putname(m, name);
	put16(m, type);
	put16(m, 1);
	return off;
}

/* Start a record with an uncompressed owner (ptr < 0) or a pointer. */
static size_t
rr_begin(struct mb *m, const char *owner, int ptr, unsigned type, uint32_t ttl)
{
	size_t rdlen_at;

	if (owner != NULL)
		putname_ptr(m, owner, ptr);
	else
		put16(m, 0xc000 | (unsigned)ptr);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	rdlen_at = m->n;
	put16(m, 0);
	return rdlen_at;
}

static void
rr_end(struct mb *m, size_t rdlen_at)
{
	size_t len = m->n - rdlen_at - 2;

	m->b[rdlen_at] = (unsigned char)(len >> 8);
	m->b[rdlen_at + 1] = (unsigned char)(len & 0xff);
}

static void
rr_mx(struct mb *m, const char *owner, int ptr, unsigned pref, const char *host,
    int hostptr)
{
	size_t at = rr_begin(m, owner, ptr, DNS_T_MX, 3600);

	put16(m, pref);
	putname_ptr(m, host, hostptr);
	rr_end(m, at);
}

static void
rr_a(struct mb *m, const char *owner, int ptr, uint32_t ttl, unsigned a,
    unsigned b, unsigned c, unsigned d)
{
	size_t at = rr_begin(m, owner, ptr, DNS_T_A, ttl);

	put8(m, a);
	put8(m, b);
	put8(m, c);
	put8(m, d);
	rr_end(m, at);
}

static void
rr_cname(struct mb *m, const char *owner, const char *target)
{
	size_t at = rr_begin(m, owner, -1, DNS_T_CNAME, 300);

	putname(m, target);
	rr_end(m, at);
}

static struct dns_answer *
parse_ok(const struct mb *m)
{
	static char err[ERR_MAX];
	struct dns_answer *a = malloc(sizeof(*a));

	ATF_REQUIRE(a != NULL);
	if (dns_parse(m->b, m->n, a, err, sizeof(err)) != 0)
		atf_tc_fail("dns_parse rejected a good message: %s", err);
	return a;
}

static int
parse_rc(const unsigned char *p, size_t n)
{
	struct dns_answer *a = malloc(sizeof(*a));
	char err[ERR_MAX] = "";
	unsigned char *copy;
	int rc;

	ATF_REQUIRE(a != NULL);
	/* An exact-size copy so that ASan sees any read past the end. */
	copy = malloc(n ? n : 1);
	ATF_REQUIRE(copy != NULL);
	memcpy(copy, p, n);
	rc = dns_parse(copy, n, a, err, sizeof(err));
	if (rc != 0)
		ATF_CHECK_MSG(err[0] != '\0', "rejection without a reason");
	free(copy);
	free(a);
	return rc;
}

/* The pref.test answer: three MX, compressed, out of order. */
static void
build_mx(struct mb *m)
{
	size_t q;

	header(m, QR | AA | RD, 1, 3, 0, 2);
	q = question(m, "pref.test", DNS_T_MX);
	/* owner = pointer to the question; hosts "mxN" + pointer to "test" */
	rr_mx(m, NULL, (int)q, 20, "mx2", (int)q + 5);
	rr_mx(m, NULL, (int)q, 10, "mx1.test", -1);
	rr_mx(m, NULL, (int)q, 30, "mx3", (int)q + 5);
	rr_a(m, "mx1", (int)q + 5, 300, 192, 0, 2, 1);
	rr_a(m, "mx2.test", -1, 0x80000001U, 192, 0, 2, 2);
}

/* ------------------------------------------------------------ parser */

ATF_TC_WITHOUT_HEAD(parse_mx);
ATF_TC_BODY(parse_mx, tc)
{
	struct mb m;
	struct dns_answer *a;
	char s[DNS_ADDRSTR_MAX];

	build_mx(&m);
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->rcode, 0);
	ATF_CHECK_EQ(a->aa, 1);
	ATF_CHECK_EQ(a->qtype, DNS_T_MX);
	ATF_CHECK_STREQ(a->qname, "pref.test");
	ATF_CHECK_STREQ(a->canon, "pref.test");
	ATF_CHECK_EQ(a->ncname, 0);
	ATF_REQUIRE_EQ(a->nmx, 3);
	ATF_CHECK_EQ(a->mx[0].pref, 20);
	ATF_CHECK_STREQ(a->mx[0].host, "mx2.test");
	ATF_CHECK_EQ(a->mx[0].ttl, 3600);
	ATF_CHECK_EQ(a->mx[1].pref, 10);
	ATF_CHECK_STREQ(a->mx[1].host, "mx1.test");
	ATF_CHECK_STREQ(a->mx[2].host, "mx3.test");
	ATF_REQUIRE_EQ(a->nextra, 2);
	ATF_CHECK_STREQ(a->extra[0].name, "mx1.test");
	ATF_CHECK_EQ(a->extra[0].a.ttl, 300);
	dns_addr_str(&a->extra[0].a, s, sizeof(s));
	ATF_CHECK_STREQ(s, "192.0.2.1");
	/* RFC 2181 §8: a TTL with the top bit set is zero. */
	ATF_CHECK_EQ(a->extra[1].a.ttl, 0);
	free(a);
}

ATF_TC_WITHOUT_HEAD(parse_null_mx);
ATF_TC_BODY(parse_null_mx, tc)
{
	struct mb m;
	struct dns_answer *a;
	size_t q;

	header(&m, QR | AA, 1, 1, 0, 0);
	q = question(&m, "nullmx.test", DNS_T_MX);
	rr_mx(&m, NULL, (int)q, 0, "", -1);
	a = parse_ok(&m);
	ATF_REQUIRE_EQ(a->nmx, 1);
	ATF_CHECK_EQ(a->mx[0].pref, 0);
	ATF_CHECK_STREQ(a->mx[0].host, ".");
	free(a);
}

ATF_TC_WITHOUT_HEAD(parse_cname_chain);
ATF_TC_BODY(parse_cname_chain, tc)
{
	struct mb m;
	struct dns_answer *a;
	char s[DNS_ADDRSTR_MAX];

	/* Records out of order, and a decoy A for another owner. */
	header(&m, QR | RD, 1, 4, 0, 0);
	question(&m, "Alias.Test", DNS_T_A);
	rr_a(&m, "real.test", -1, 60, 192, 0, 2, 7);
	rr_cname(&m, "middle.test", "real.test");
	rr_a(&m, "decoy.test", -1, 60, 192, 0, 2, 66);
	rr_cname(&m, "alias.test", "middle.test");
	a = parse_ok(&m);
	ATF_REQUIRE_EQ(a->ncname, 2);
	ATF_CHECK_STREQ(a->cname[0].target, "middle.test");
	ATF_CHECK_EQ(a->cname[0].ttl, 300);
	ATF_CHECK_STREQ(a->cname[1].target, "real.test");
	ATF_CHECK_STREQ(a->canon, "real.test");
	ATF_REQUIRE_EQ(a->naddr, 1);
	dns_addr_str(&a->addr[0], s, sizeof(s));
	ATF_CHECK_STREQ(s, "192.0.2.7");
	free(a);
}

ATF_TC_WITHOUT_HEAD(parse_cname_loop);
ATF_TC_BODY(parse_cname_loop, tc)
{
	struct mb m;
	struct dns_answer *a;
	int i;
	char o[32], t[32];

	/* a -> b -> a: rejected. */
	header(&m, QR, 1, 2, 0, 0);
	question(&m, "a.test", DNS_T_A);
	rr_cname(&m, "a.test", "b.test");
	rr_cname(&m, "b.test", "a.test");
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* A chain longer than DNS_CNAME_MAX stops at the bound. */
	header(&m, QR, 1, DNS_CNAME_MAX + 4, 0, 0);
	question(&m, "c0.test", DNS_T_A);
	for (i = 0; i < DNS_CNAME_MAX + 4; i++) {
		snprintf(o, sizeof(o), "c%d.test", i);
		snprintf(t, sizeof(t), "c%d.test", i + 1);
		rr_cname(&m, o, t);
	}
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->ncname, DNS_CNAME_MAX);
	ATF_CHECK_EQ(a->naddr, 0);
	free(a);
}

ATF_TC_WITHOUT_HEAD(parse_aaaa_txt);
ATF_TC_BODY(parse_aaaa_txt, tc)
{
	struct mb m;
	struct dns_answer *a;
	char s[DNS_ADDRSTR_MAX];
	size_t at, q;
	int i;

	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "v6.test", DNS_T_AAAA);
	at = rr_begin(&m, NULL, (int)q, DNS_T_AAAA, 77);
	put16(&m, 0x2001);
	put16(&m, 0x0db8);
	for (i = 0; i < 5; i++)
		put16(&m, 0);
	put16(&m, 3);
	rr_end(&m, at);
	a = parse_ok(&m);
	ATF_REQUIRE_EQ(a->naddr, 1);
	ATF_CHECK_EQ(a->addr[0].family, AF_INET6);
	ATF_CHECK_EQ(a->addr[0].ttl, 77);
	dns_addr_str(&a->addr[0], s, sizeof(s));
	ATF_CHECK_STREQ(s, "2001:db8::3");
	free(a);

	/* TXT: strings joined (RFC 7208 §3.3); an empty rdata dropped. */
	header(&m, QR, 1, 2, 0, 0);
	q = question(&m, "txt.test", DNS_T_TXT);
	at = rr_begin(&m, NULL, (int)q, DNS_T_TXT, 5);
	put8(&m, 7);
	memcpy(m.b + m.n, "v=spf1 ", 7);
	m.n += 7;
	put8(&m, 4);
	memcpy(m.b + m.n, "-all", 4);
	m.n += 4;
	rr_end(&m, at);
	at = rr_begin(&m, NULL, (int)q, DNS_T_TXT, 5);
	rr_end(&m, at);
	a = parse_ok(&m);
	ATF_REQUIRE_EQ(a->ntxt, 1);
	ATF_CHECK_EQ(a->txt[0].len, 11);
	ATF_CHECK_STREQ(a->txt[0].data, "v=spf1 -all");
	ATF_CHECK_EQ(a->dropped, 1);
	free(a);
}

ATF_TC_WITHOUT_HEAD(parse_rcodes);
ATF_TC_BODY(parse_rcodes, tc)
{
	struct mb m;
	struct dns_answer *a;

	header(&m, QR | AA | 3, 1, 0, 0, 0);
	question(&m, "nx.test", DNS_T_MX);
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->rcode, 3);
	ATF_CHECK_STREQ(dns_rcode_str(a->rcode), "NXDOMAIN");
	free(a);
	header(&m, QR | 2, 1, 0, 0, 0);
	question(&m, "x.servfail", DNS_T_MX);
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->rcode, 2);
	ATF_CHECK_STREQ(dns_rcode_str(a->rcode), "SERVFAIL");
	free(a);
	header(&m, QR | TC, 1, 0, 0, 0);
	question(&m, "big.test", DNS_T_MX);
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->tc, 1);
	free(a);
}

ATF_TC_WITHOUT_HEAD(parse_truncated);
ATF_TC_BODY(parse_truncated, tc)
{
	struct mb m;
	size_t n;

	build_mx(&m);
	ATF_REQUIRE_EQ(parse_rc(m.b, m.n), 0);
	/* Every proper prefix of a good message is rejected. */
	for (n = 0; n < m.n; n++)
		ATF_CHECK_MSG(parse_rc(m.b, n) == -1, "prefix %zu accepted", n);
	/* So is trailing garbage. */
	m.b[m.n++] = 0;
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);
}

ATF_TC_WITHOUT_HEAD(parse_malicious);
ATF_TC_BODY(parse_malicious, tc)
{
	struct mb m;
	size_t q, at;

	/* Not a response. */
	header(&m, RD, 1, 0, 0, 0);
	question(&m, "x.test", DNS_T_MX);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);
	/* No question, and two questions. */
	header(&m, QR, 0, 0, 0, 0);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);
	header(&m, QR, 2, 0, 0, 0);
	question(&m, "x.test", DNS_T_MX);
	question(&m, "y.test", DNS_T_MX);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);
	/* Counts far larger than the message. */
	header(&m, QR, 1, 0xffff, 0xffff, 0xffff);
	question(&m, "x.test", DNS_T_MX);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* A compression pointer to itself (a loop). */
	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "x.test", DNS_T_MX);
	at = rr_begin(&m, NULL, (int)q, DNS_T_MX, 1);
	put16(&m, 10);
	put16(&m, 0xc000 | (unsigned)m.n);
	rr_end(&m, at);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* A pointer past the end of the message. */
	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "x.test", DNS_T_MX);
	at = rr_begin(&m, NULL, (int)q, DNS_T_MX, 1);
	put16(&m, 10);
	put16(&m, 0xc000 | 0x3fff);
	rr_end(&m, at);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* A label running past the rdata and the message. */
	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "x.test", DNS_T_MX);
	at = rr_begin(&m, NULL, (int)q, DNS_T_MX, 1);
	put16(&m, 10);
	put8(&m, 60);
	put8(&m, 'a');
	rr_end(&m, at);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* MX rdata longer than its name (bytes after the exchange). */
	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "x.test", DNS_T_MX);
	at = rr_begin(&m, NULL, (int)q, DNS_T_MX, 1);
	put16(&m, 10);
	putname(&m, "mx.test");
	put8(&m, 0);
	rr_end(&m, at);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* MX rdata of two bytes (no exchange at all). */
	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "x.test", DNS_T_MX);
	at = rr_begin(&m, NULL, (int)q, DNS_T_MX, 1);
	put16(&m, 10);
	rr_end(&m, at);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* An A record of five bytes. */
	header(&m, QR, 1, 1, 0, 0);
	q = question(&m, "x.test", DNS_T_A);
	at = rr_begin(&m, NULL, (int)q, DNS_T_A, 1);
	put32(&m, 0x7f000001);
	put8(&m, 1);
	rr_end(&m, at);
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* A name of more than 255 octets (five labels of 63). */
	header(&m, QR, 1, 0, 0, 0);
	{
		int i;

		for (i = 0; i < 5; i++) {
			put8(&m, 63);
			memset(m.b + m.n, 'a', 63);
			m.n += 63;
		}
		put8(&m, 0);
		put16(&m, DNS_T_MX);
		put16(&m, 1);
	}
	ATF_CHECK_EQ(parse_rc(m.b, m.n), -1);

	/* Empty and absurd inputs. */
	ATF_CHECK_EQ(parse_rc((const unsigned char *)"", 0), -1);
	ATF_CHECK_EQ(parse_rc((const unsigned char *)"\x80", 1), -1);
}

ATF_TC_WITHOUT_HEAD(parse_bounds);
ATF_TC_BODY(parse_bounds, tc)
{
	struct mb m;
	struct dns_answer *a;
	size_t q;
	int i;

	/* More MX records than DNS_MX_MAX: the rest counted as dropped. */
	header(&m, QR, 1, DNS_MX_MAX + 3, 0, 0);
	q = question(&m, "many.test", DNS_T_MX);
	for (i = 0; i < DNS_MX_MAX + 3; i++) {
		char h[16];

		snprintf(h, sizeof(h), "mx%d", i);
		rr_mx(&m, NULL, (int)q, (unsigned)i, h, (int)q + 5);
	}
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->nmx, DNS_MX_MAX);
	ATF_CHECK_EQ(a->dropped, 3);
	ATF_CHECK_STREQ(a->mx[DNS_MX_MAX - 1].host, "mx31.test");
	free(a);
}

/* ------------------------------------------------------------ sorting */

static void
set_host(struct dns_mx_host *h, const char *name, unsigned pref)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pref = (uint16_t)pref;
}

ATF_TC_WITHOUT_HEAD(sort_no_shuffle);
ATF_TC_BODY(sort_no_shuffle, tc)
{
	struct dns_mx_host *h = calloc(6, sizeof(*h));

	ATF_REQUIRE(h != NULL);
	set_host(&h[0], "d.test", 10);
	set_host(&h[1], "z.test", 5);
	set_host(&h[2], "b.test", 10);
	set_host(&h[3], "x.test", 20);
	set_host(&h[4], "a.test", 10);
	set_host(&h[5], "c.test", 10);
	dns_mx_sort(h, 6, DNS_F_NO_SHUFFLE);
	ATF_CHECK_STREQ(h[0].name, "z.test");
	ATF_CHECK_STREQ(h[1].name, "a.test");
	ATF_CHECK_STREQ(h[2].name, "b.test");
	ATF_CHECK_STREQ(h[3].name, "c.test");
	ATF_CHECK_STREQ(h[4].name, "d.test");
	ATF_CHECK_STREQ(h[5].name, "x.test");
	free(h);
}

ATF_TC_WITHOUT_HEAD(sort_shuffle);
ATF_TC_BODY(sort_shuffle, tc)
{
	struct dns_mx_host *h = calloc(6, sizeof(*h));
	int first[4] = {0, 0, 0, 0}, run, i;

	ATF_REQUIRE(h != NULL);
	for (run = 0; run < 400; run++) {
		set_host(&h[0], "x.test", 20);
		set_host(&h[1], "d.test", 10);
		set_host(&h[2], "z.test", 5);
		set_host(&h[3], "b.test", 10);
		set_host(&h[4], "a.test", 10);
		set_host(&h[5], "c.test", 10);
		dns_mx_sort(h, 6, 0);
		/* Preferences are never reordered... */
		ATF_REQUIRE_STREQ(h[0].name, "z.test");
		ATF_REQUIRE_STREQ(h[5].name, "x.test");
		for (i = 1; i < 5; i++)
			ATF_REQUIRE_EQ(h[i].pref, 10);
		/* ...and the group of four holds each host once. */
		ATF_REQUIRE(h[1].name[0] != h[2].name[0] &&
		    h[1].name[0] != h[3].name[0] &&
		    h[1].name[0] != h[4].name[0] &&
		    h[2].name[0] != h[3].name[0] &&
		    h[2].name[0] != h[4].name[0] &&
		    h[3].name[0] != h[4].name[0]);
		first[h[1].name[0] - 'a']++;
	}
	/* Each of the four comes first often (100 expected of 400). */
	for (i = 0; i < 4; i++)
		ATF_CHECK_MSG(first[i] > 40, "%c.test first only %d times",
		    'a' + i, first[i]);
	free(h);
}

/* ------------------------------------------------------------ servers */

ATF_TC_WITHOUT_HEAD(parse_server);
ATF_TC_BODY(parse_server, tc)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char err[ERR_MAX];

	ATF_REQUIRE(
	    dns_parse_server("127.0.0.1", &ss, &len, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(ss.ss_family, AF_INET);
	ATF_CHECK_EQ(ntohs(sin->sin_port), 53);
	ATF_CHECK_EQ(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	ATF_CHECK_EQ(len, sizeof(struct sockaddr_in));

	ATF_REQUIRE(dns_parse_server(
			"192.0.2.1:5353", &ss, &len, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(ntohs(sin->sin_port), 5353);

	ATF_REQUIRE(
	    dns_parse_server("[::1]:5300", &ss, &len, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(ss.ss_family, AF_INET6);
	ATF_CHECK_EQ(ntohs(sin6->sin6_port), 5300);
	ATF_CHECK(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	ATF_CHECK_EQ(len, sizeof(struct sockaddr_in6));

	ATF_REQUIRE(
	    dns_parse_server("2001:db8::1", &ss, &len, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(ss.ss_family, AF_INET6);
	ATF_CHECK_EQ(ntohs(sin6->sin6_port), 53);
	ATF_REQUIRE(
	    dns_parse_server("[::1]", &ss, &len, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(ntohs(sin6->sin6_port), 53);

	ATF_CHECK(dns_parse_server("", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(
	    dns_parse_server("ns.example", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(strstr(err, "ns.example") != NULL);
	ATF_CHECK(
	    dns_parse_server("127.0.0.1:", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(
	    dns_parse_server("127.0.0.1:0", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(dns_parse_server(
		      "127.0.0.1:65536", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(dns_parse_server(
		      "127.0.0.1:53x", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(dns_parse_server(
		      "[127.0.0.1]:53", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(dns_parse_server("[::1", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(
	    dns_parse_server("[::1]x", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(dns_parse_server("[]:53", &ss, &len, err, sizeof(err)) == -1);
	ATF_CHECK(
	    dns_parse_server("1.2.3.4.5", &ss, &len, err, sizeof(err)) == -1);
}

ATF_TC_WITHOUT_HEAD(resolver_new);
ATF_TC_BODY(resolver_new, tc)
{
	struct dns_resolver *r;
	char err[ERR_MAX];

	r = dns_new("127.0.0.1:5353", 1, 1, err, sizeof(err));
	ATF_REQUIRE(r != NULL);
	ATF_CHECK_STREQ(dns_server_name(r), "127.0.0.1#5353");
	dns_free(r);
	r = dns_new("[::1]:5353", 1, 1, err, sizeof(err));
	ATF_REQUIRE(r != NULL);
	ATF_CHECK_STREQ(dns_server_name(r), "::1#5353");
	dns_free(r);
	ATF_CHECK(dns_new("nonsense", 1, 1, err, sizeof(err)) == NULL);
	ATF_CHECK(strstr(err, "nonsense") != NULL);
}

/* ------------------------------------------------------------ names */

ATF_TC_WITHOUT_HEAD(idna);
ATF_TC_BODY(idna, tc)
{
	char out[DNS_NAME_MAX + 1], u[4 * (DNS_NAME_MAX + 1)];
	char err[ERR_MAX];

	ATF_REQUIRE(dns_to_ascii("b\xc3\xbc"
				 "cher.test",
			out, sizeof(out), err, sizeof(err)) == 0);
	ATF_CHECK_STREQ(out, "xn--bcher-kva.test");
	/* UTS #46 maps upper case; one trailing dot is dropped. */
	ATF_REQUIRE(dns_to_ascii("B\xc3\x9c"
				 "CHER.test.",
			out, sizeof(out), err, sizeof(err)) == 0);
	ATF_CHECK_STREQ(out, "xn--bcher-kva.test");
	ATF_REQUIRE(dns_to_ascii("Example.ORG.", out, sizeof(out), err,
			sizeof(err)) == 0);
	ATF_CHECK_STREQ(out, "example.org");
	ATF_REQUIRE(dns_to_ascii("\xe9\x83\xb5\xe4\xbe\xbf.test", out,
			sizeof(out), err, sizeof(err)) == 0);
	ATF_CHECK(strncmp(out, "xn--", 4) == 0);

	ATF_REQUIRE(dns_to_unicode("xn--bcher-kva.test", u, sizeof(u)) == 0);
	ATF_CHECK_STREQ(u,
	    "b\xc3\xbc"
	    "cher.test");
	ATF_CHECK(dns_to_unicode("plain.test", u, sizeof(u)) == -1);

	ATF_CHECK(dns_to_ascii("", out, sizeof(out), err, sizeof(err)) == -1);
	ATF_CHECK(
	    dns_to_ascii("a..b", out, sizeof(out), err, sizeof(err)) == -1);
	ATF_CHECK(
	    dns_to_ascii("a b.test", out, sizeof(out), err, sizeof(err)) == -1);
	/* Invalid UTF-8. */
	ATF_CHECK(dns_to_ascii("\xff\xfe.test", out, sizeof(out), err,
		      sizeof(err)) == -1);
	ATF_CHECK(err[0] != '\0');
}

ATF_TC_WITHOUT_HEAD(name_valid);
ATF_TC_BODY(name_valid, tc)
{
	char n[300];

	ATF_CHECK(dns_name_valid("mx1.example.org"));
	ATF_CHECK(dns_name_valid("a"));
	ATF_CHECK(dns_name_valid("_dmarc.example.org"));
	ATF_CHECK(dns_name_valid("xn--bcher-kva.test"));
	ATF_CHECK(!dns_name_valid(""));
	ATF_CHECK(!dns_name_valid("."));
	ATF_CHECK(!dns_name_valid("a..b"));
	ATF_CHECK(!dns_name_valid(".a"));
	ATF_CHECK(!dns_name_valid("a."));
	ATF_CHECK(!dns_name_valid("a\\032b.test"));
	ATF_CHECK(!dns_name_valid("a b.test"));
	memset(n, 'a', 63);
	memcpy(n + 63, ".test", 6);
	ATF_CHECK(dns_name_valid(n));
	memset(n, 'a', 64);
	memcpy(n + 64, ".test", 6);
	ATF_CHECK(!dns_name_valid(n));
	/* 253 octets is the longest text name (255 on the wire). */
	memset(n, 'a', 253);
	n[253] = '\0';
	for (int i = 63; i < 253; i += 64)
		n[i] = '.';
	ATF_CHECK(dns_name_valid(n));
	n[253] = 'a';
	n[254] = '\0';
	ATF_CHECK(!dns_name_valid(n));
}

ATF_TC_WITHOUT_HEAD(addr_sockaddr);
ATF_TC_BODY(addr_sockaddr, tc)
{
	struct dns_addr a;
	struct sockaddr_storage ss;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.addr[0] = 127;
	a.addr[3] = 1;
	ATF_CHECK_EQ(
	    dns_addr_sockaddr(&a, 2525, &ss), sizeof(struct sockaddr_in));
	ATF_CHECK_EQ(ntohs(((struct sockaddr_in *)&ss)->sin_port), 2525);
	ATF_CHECK_EQ(
	    ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
	ATF_CHECK_STREQ(dns_mx_status_str(DNS_MX_NULL), "null MX");
	ATF_CHECK_STREQ(dns_status_str(DNS_NXDOMAIN), "no such domain");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_mx);
	ATF_TP_ADD_TC(tp, parse_null_mx);
	ATF_TP_ADD_TC(tp, parse_cname_chain);
	ATF_TP_ADD_TC(tp, parse_cname_loop);
	ATF_TP_ADD_TC(tp, parse_aaaa_txt);
	ATF_TP_ADD_TC(tp, parse_rcodes);
	ATF_TP_ADD_TC(tp, parse_truncated);
	ATF_TP_ADD_TC(tp, parse_malicious);
	ATF_TP_ADD_TC(tp, parse_bounds);
	ATF_TP_ADD_TC(tp, sort_no_shuffle);
	ATF_TP_ADD_TC(tp, sort_shuffle);
	ATF_TP_ADD_TC(tp, parse_server);
	ATF_TP_ADD_TC(tp, resolver_new);
	ATF_TP_ADD_TC(tp, idna);
	ATF_TP_ADD_TC(tp, name_valid);
	ATF_TP_ADD_TC(tp, addr_sockaddr);
	return atf_no_error();
}
