/*
 * dns_test: the raw response parser on hand-built messages (MX, CNAME
 * chains, compression pointers, TXT, the additional section, and
 * truncated or malicious buffers rejected cleanly), MX ordering and
 * shuffling, explicit-server strings, IDNA and name checks; TLSA
 * records and the AD bit, parsed and looked up from a forked responder
 * that sets AD only where the table says so.  Lookups against a real
 * server are in tests/cmd/mxlookup_test.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "dns.h"
#include "tls.h"

/* ------------------------------------------------------------ builder */

struct mb {
	unsigned char b[4096];
	size_t n;
};

#define QR 0x8000
#define AA 0x0400
#define TC 0x0200
#define RD 0x0100
#define AD 0x0020

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

/* ------------------------------------------------------------ TLSA */

static void
rr_tlsa(struct mb *m, const char *owner, int ptr, unsigned usage,
    unsigned selector, unsigned mtype, const unsigned char *d, size_t n)
{
	size_t at = rr_begin(m, owner, ptr, DNS_T_TLSA, 600);

	put8(m, usage);
	put8(m, selector);
	put8(m, mtype);
	ATF_REQUIRE(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, d, n);
	m->n += n;
	rr_end(m, at);
}

ATF_TC_WITHOUT_HEAD(tlsa_rdata);
ATF_TC_BODY(tlsa_rdata, tc)
{
	static const struct {
		const char *rdata; /* hex */
		int ok, usage, selector, mtype;
		size_t len;
	} cases[] = {
	    {"030101"
	     "00112233445566778899aabbccddeeff"
	     "00112233445566778899aabbccddeeff",
		1, 3, 1, 1, 32},
	    {"020002"
	     "ab",
		1, 2, 0, 2, 1}, /* lengths: tls's business */
	    {"ffffff"
	     "00",
		1, 255, 255, 255, 1}, /* unknown: kept */
	    {"030101", 0, 0, 0, 0, 0}, /* no data */
	    {"0301", 0, 0, 0, 0, 0},
	    {"", 0, 0, 0, 0, 0},
	};
	unsigned char b[80], *big;
	struct dns_tlsa *t = malloc(sizeof(*t));
	char err[ERR_MAX];
	size_t i, j, n;
	unsigned v;

	ATF_REQUIRE(t != NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].rdata) / 2;
		for (j = 0; j < n; j++) {
			ATF_REQUIRE(
			    sscanf(cases[i].rdata + 2 * j, "%2x", &v) == 1);
			b[j] = (unsigned char)v;
		}
		err[0] = '\0';
		if (!cases[i].ok) {
			ATF_CHECK_MSG(
			    dns_tlsa_parse(b, n, t, err, sizeof(err)) == -1,
			    "case %zu accepted", i);
			ATF_CHECK(err[0] != '\0');
			continue;
		}
		ATF_REQUIRE_MSG(dns_tlsa_parse(b, n, t, err, sizeof(err)) == 0,
		    "case %zu: %s", i, err);
		ATF_CHECK_EQ(t->usage, cases[i].usage);
		ATF_CHECK_EQ(t->selector, cases[i].selector);
		ATF_CHECK_EQ(t->mtype, cases[i].mtype);
		ATF_CHECK_EQ(t->len, cases[i].len);
		ATF_CHECK(memcmp(t->data, b + 3, t->len) == 0);
	}
	/* Data at the bound is kept, one byte past it is refused. */
	ATF_REQUIRE((big = calloc(1, DNS_TLSA_DATA_MAX + 4)) != NULL);
	big[0] = 3;
	ATF_CHECK(dns_tlsa_parse(
		      big, DNS_TLSA_DATA_MAX + 3, t, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(t->len, DNS_TLSA_DATA_MAX);
	ATF_CHECK(dns_tlsa_parse(
		      big, DNS_TLSA_DATA_MAX + 4, t, err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "TLSA data") != NULL, "%s", err);
	free(big);
	free(t);
}

ATF_TC_WITHOUT_HEAD(parse_tlsa);
ATF_TC_BODY(parse_tlsa, tc)
{
	unsigned char d32[32], d64[64];
	struct mb m;
	struct dns_answer *a;
	size_t q;
	int i;

	for (i = 0; i < 64; i++)
		d64[i] = (unsigned char)i;
	memcpy(d32, d64, sizeof(d32));
	/* AD set; a good record, a malformed one, a SHA-512 one, another
	   owner's, and a CNAME in front. */
	header(&m, QR | RD | AD, 1, 5, 0, 0);
	q = question(&m, "_25._tcp.mx.test", DNS_T_TLSA);
	rr_cname(&m, "_25._tcp.mx.test", "_25._tcp.real.test");
	rr_tlsa(&m, "_25._tcp.real.test", -1, 3, 1, 1, d32, sizeof(d32));
	rr_tlsa(&m, "_25._tcp.real.test", -1, 3, 1, 1, d32, 0);
	rr_tlsa(&m, "_25._tcp.real.test", -1, 2, 0, 2, d64, sizeof(d64));
	rr_tlsa(&m, "_25._tcp.other.test", -1, 3, 0, 1, d32, sizeof(d32));
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->ad, 1);
	ATF_CHECK_EQ(a->qtype, DNS_T_TLSA);
	ATF_CHECK_STREQ(a->canon, "_25._tcp.real.test");
	ATF_REQUIRE_EQ(a->ntlsa, 2);
	ATF_CHECK_EQ(a->tlsa_dropped, 1);
	ATF_CHECK_EQ(a->dropped, 1);
	ATF_CHECK_EQ(a->tlsa[0].usage, 3);
	ATF_CHECK_EQ(a->tlsa[0].selector, 1);
	ATF_CHECK_EQ(a->tlsa[0].mtype, 1);
	ATF_CHECK_EQ(a->tlsa[0].ttl, 600);
	ATF_CHECK_EQ(a->tlsa[0].len, 32);
	ATF_CHECK(memcmp(a->tlsa[0].data, d32, 32) == 0);
	ATF_CHECK_EQ(a->tlsa[1].usage, 2);
	ATF_CHECK_EQ(a->tlsa[1].mtype, 2);
	ATF_CHECK_EQ(a->tlsa[1].len, 64);
	ATF_CHECK(memcmp(a->tlsa[1].data, d64, 64) == 0);
	free(a);

	/* Without AD; past DNS_TLSA_MAX the rest are dropped. */
	header(&m, QR | RD, 1, DNS_TLSA_MAX + 2, 0, 0);
	q = question(&m, "_25._tcp.mx.test", DNS_T_TLSA);
	for (i = 0; i < DNS_TLSA_MAX + 2; i++)
		rr_tlsa(&m, NULL, (int)q, 3, 1, 1, d32, sizeof(d32));
	a = parse_ok(&m);
	ATF_CHECK_EQ(a->ad, 0);
	ATF_CHECK_EQ(a->ntlsa, DNS_TLSA_MAX);
	ATF_CHECK_EQ(a->tlsa_dropped, 2);
	free(a);
}

/*
 * A forked DNS responder on a loopback UDP port.  Each rule: a name it
 * answers for, how, and whether it sets AD (only ever when the query
 * asked with AD: RFC 6840 §5.7).
 */
enum how { H_TLSA, H_NODATA, H_NXDOMAIN, H_SERVFAIL, H_CNAME, H_A };

static const struct rule {
	const char *name;
	enum how how;
	int ad;
	const char *target; /* H_CNAME */
} rules[] = {
    {"_25._tcp.dane.test", H_TLSA, 1, NULL},
    {"_25._tcp.plain.test", H_TLSA, 0, NULL},
    {"_25._tcp.none.test", H_NODATA, 1, NULL},
    {"_25._tcp.nx.test", H_NXDOMAIN, 1, NULL},
    {"_25._tcp.nxplain.test", H_NXDOMAIN, 0, NULL},
    {"_25._tcp.fail.test", H_SERVFAIL, 0, NULL},
    {"_25._tcp.alias.test", H_CNAME, 1, "_25._tcp.dane.test"},
    {"_25._tcp.badalias.test", H_CNAME, 0, "_25._tcp.dane.test"},
    {"_465._tcp.dane.test", H_TLSA, 1, NULL},
    {"mx.test", H_A, 1, NULL},
};

static const unsigned char tlsa_data[32] = {0xde, 0xad, 0xbe, 0xef};

static void
respond(int fd)
{
	unsigned char in[512];
	char name[DNS_NAME_MAX + 1];
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct mb m;
	size_t i, o, len, qend;
	ssize_t n;
	unsigned flags, qflags, type;
	const struct rule *r;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(
		    fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 12)
			_exit(n < 0 ? 0 : 1);
		/* The question's name, in text. */
		for (i = 12, o = 0; i < (size_t)n && in[i] != 0; i += len + 1) {
			len = in[i];
			if (len > 63 || i + 1 + len >= (size_t)n ||
			    o + len + 2 > sizeof(name))
				_exit(1);
			if (o > 0)
				name[o++] = '.';
			memcpy(name + o, in + i + 1, len);
			o += len;
		}
		name[o] = '\0';
		qend = i + 5;
		if (qend > (size_t)n)
			_exit(1);
		type = (unsigned)in[i + 1] << 8 | in[i + 2];
		qflags = (unsigned)in[2] << 8 | in[3];
		r = NULL;
		for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
			if (strcasecmp(rules[i].name, name) == 0)
				r = &rules[i];
		flags = QR | AA | (qflags & RD);
		if (r != NULL && r->ad && (qflags & AD))
			flags |= AD;
		m.n = 0;
		memcpy(m.b, in, qend);
		m.n = qend;
		m.b[2] = (unsigned char)(flags >> 8);
		m.b[3] = (unsigned char)(flags & 0xff);
		memset(m.b + 6, 0, 6); /* an, ns, ar */
		m.b[7] = 0;
		if (r == NULL || r->how == H_NXDOMAIN)
			m.b[3] |= 3;
		else if (r->how == H_SERVFAIL)
			m.b[3] |= 2;
		else if (r->how == H_TLSA && type == DNS_T_TLSA) {
			m.b[7] = 2;
			rr_tlsa(&m, NULL, 12, 3, 1, 1, tlsa_data,
			    sizeof(tlsa_data));
			rr_tlsa(&m, NULL, 12, 1, 1, 1, tlsa_data,
			    sizeof(tlsa_data));
		} else if (r->how == H_CNAME) {
			m.b[7] = 1;
			rr_cname(&m, name, r->target);
		} else if (r->how == H_A && type == DNS_T_A) {
			m.b[7] = 1;
			rr_a(&m, NULL, 12, 300, 127, 0, 0, 1);
		}
		(void)sendto(
		    fd, m.b, m.n, 0, (struct sockaddr *)&from, fromlen);
	}
}

static pid_t
responder_start(char *server, size_t len)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct timeval tv = {30, 0};
	pid_t pid;
	int fd;

	ATF_REQUIRE((fd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ATF_REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	ATF_REQUIRE(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		respond(fd);
	(void)close(fd);
	(void)snprintf(server, len, "127.0.0.1:%u", ntohs(sin.sin_port));
	return pid;
}

static void
responder_stop(pid_t pid)
{
	int status;

	(void)kill(pid, SIGTERM);
	(void)waitpid(pid, &status, 0);
}

ATF_TC_WITHOUT_HEAD(tlsa_lookup);
ATF_TC_BODY(tlsa_lookup, tc)
{
	static const struct {
		const char *host;
		int port, status, secure, ntlsa, ncname;
	} cases[] = {
	    /* validated records: DANE */
	    {"dane.test", 25, DNS_TLSA_FOUND, 1, 2, 0},
	    {"DANE.test.", 465, DNS_TLSA_FOUND, 1, 2, 0},
	    /* the same records without AD: never used */
	    {"plain.test", 25, DNS_TLSA_INSECURE, 0, 0, 0},
	    /* validated denial: no DANE */
	    {"none.test", 25, DNS_TLSA_NONE, 1, 0, 0},
	    {"nx.test", 25, DNS_TLSA_NONE, 1, 0, 0},
	    {"nxplain.test", 25, DNS_TLSA_INSECURE, 0, 0, 0},
	    /* the lookup failed: defer (RFC 7672 §2.1.1) */
	    {"fail.test", 25, DNS_TLSA_TEMPFAIL, 0, 0, 0},
	    /* a CNAME: secure only when every hop is */
	    {"alias.test", 25, DNS_TLSA_FOUND, 1, 2, 1},
	    {"badalias.test", 25, DNS_TLSA_INSECURE, 0, 0, 1},
	    {"dane.test", 0, DNS_TLSA_BADNAME, 0, 0, 0},
	    {"bad name.test", 25, DNS_TLSA_BADNAME, 0, 0, 0},
	};
	struct dns_tlsa_result *res = malloc(sizeof(*res));
	struct dns_mx_result *mx = malloc(sizeof(*mx));
	struct dns_resolver *r;
	char server[64], err[ERR_MAX];
	size_t i;
	pid_t pid;

	ATF_REQUIRE(res != NULL && mx != NULL);
	pid = responder_start(server, sizeof(server));
	r = dns_new(server, 2, 1, err, sizeof(err));
	ATF_REQUIRE_MSG(r != NULL, "%s", err);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = dns_tlsa_lookup(r, cases[i].host, cases[i].port, res);

		ATF_CHECK_EQ_MSG(st, res->status, "%s", cases[i].host);
		ATF_CHECK_EQ_MSG(st, cases[i].status, "%s:%d: %s (%s)",
		    cases[i].host, cases[i].port, dns_tlsa_status_str(st),
		    res->err);
		ATF_CHECK_EQ_MSG(
		    res->secure, cases[i].secure, "%s", cases[i].host);
		ATF_CHECK_EQ_MSG(
		    res->ntlsa, cases[i].ntlsa, "%s", cases[i].host);
		ATF_CHECK_EQ_MSG(
		    res->ncname, cases[i].ncname, "%s", cases[i].host);
		if (st == DNS_TLSA_INSECURE || st == DNS_TLSA_TEMPFAIL ||
		    st == DNS_TLSA_BADNAME)
			ATF_CHECK_MSG(res->err[0] != '\0', "%s: no reason",
			    cases[i].host);
		if (st == DNS_TLSA_FOUND) {
			/* Both records kept; PKIX-EE is tls's to refuse. */
			ATF_CHECK_EQ(res->tlsa[0].usage, 3);
			ATF_CHECK_EQ(res->tlsa[1].usage, 1);
			ATF_CHECK_EQ(res->tlsa[0].len, 32);
			ATF_CHECK(
			    memcmp(res->tlsa[0].data, tlsa_data, 32) == 0);
		}
	}
	dns_tlsa_lookup(r, "dane.test", 25, res);
	ATF_CHECK_STREQ(res->qname, "_25._tcp.dane.test");
	dns_tlsa_lookup(r, "plain.test", 25, res);
	ATF_CHECK_MSG(strstr(res->err, "no AD") != NULL, "%s", res->err);

	/* The MX answer's AD reaches the result; addresses' AD the host. */
	ATF_CHECK_EQ(
	    dns_mx_lookup(r, "mx.test", DNS_F_NO_SHUFFLE, mx), DNS_MX_IMPLICIT);
	ATF_CHECK_EQ(mx->host[0].naddr, 1);
	/* mx.test has AD; its NODATA for MX too (same rule). */
	ATF_CHECK_EQ(mx->secure, 1);
	/* AAAA comes back NODATA with AD, A with AD. */
	ATF_CHECK_EQ(mx->host[0].secure, 1);
	ATF_CHECK_EQ(dns_mx_lookup(r, "nxplain.test", 0, mx), DNS_MX_NXDOMAIN);
	ATF_CHECK_EQ(mx->secure, 0);
	dns_free(r);
	responder_stop(pid);
	free(res);
	free(mx);
}

/*
 * The whole path on loopback: NSD serving a zone with a TLSA record made
 * from a certificate at test time, reached straight or through
 * tests/lib/dns_ad.py, which sets AD as a validating resolver would (or
 * clears it, or fails TLSA lookups); then the records the lookup gave
 * against a TLS server with that certificate and with another.
 */

/* The source tree: this file's path, taken from the build tree. */
static void
top_srcdir(const atf_tc_t *tc, char *out, size_t outlen)
{
	const char *bin = atf_tc_get_config_var(tc, "srcdir");
	const char *file = __FILE__, *tail = "/tests/unit/dns_test.c";
	char p[PATH_MAX];
	size_t n;

	if (file[0] == '/')
		(void)snprintf(p, sizeof(p), "%s", file);
	else
		(void)snprintf(p, sizeof(p), "%s/../../%s", bin, file);
	n = strlen(p);
	ATF_REQUIRE_MSG(
	    n > strlen(tail) && strcmp(p + n - strlen(tail), tail) == 0,
	    "cannot tell the source tree from %s", p);
	p[n - strlen(tail)] = '\0';
	(void)snprintf(out, outlen, "%s", p);
}

/* sh SRCDIR/tests/lib/dane.sh what SRCDIR: its exit status. */
static int
dane_sh(const char *src, const char *what)
{
	char script[PATH_MAX];
	char *argv[5];
	pid_t pid;
	int status;

	(void)snprintf(script, sizeof(script), "%s/tests/lib/dane.sh", src);
	argv[0] = "sh";
	argv[1] = script;
	argv[2] = (char *)what;
	argv[3] = (char *)src;
	argv[4] = NULL;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execv("/bin/sh", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A TLS server for one handshake on a socketpair; our end. */
static pid_t
tls_peer(const char *cert, const char *key, int *fd)
{
	char err[ERR_MAX], b[64];
	struct tls_server *srv;
	struct tls *t;
	int sv[2];
	pid_t pid;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(sv[0]);
		if ((srv = tls_server_new(cert, key, err, sizeof(err))) ==
		    NULL) {
			(void)fprintf(stderr, "peer: %s\n", err);
			_exit(2);
		}
		if ((t = tls_server(
			 sv[1], sv[1], srv, 5000, err, sizeof(err))) == NULL)
			_exit(1);
		(void)tls_read(t, b, sizeof(b), 5000, err, sizeof(err));
		tls_close(t);
		_exit(0);
	}
	(void)close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* The handshake with the records of res: NULL on success, else why. */
static const char *
dane_handshake(const struct dns_tlsa_result *res, const char *cert,
    const char *key, int *fail)
{
	static char err[ERR_MAX];
	struct tls_tlsa t[DNS_TLSA_MAX];
	struct tls_client_opts o;
	struct tls_info info;
	struct tls *s;
	int i, fd, status;
	pid_t pid;

	for (i = 0; i < res->ntlsa; i++) {
		t[i].usage = res->tlsa[i].usage;
		t[i].selector = res->tlsa[i].selector;
		t[i].mtype = res->tlsa[i].mtype;
		t[i].data = res->tlsa[i].data;
		t[i].len = res->tlsa[i].len;
	}
	pid = tls_peer(cert, key, &fd);
	memset(&o, 0, sizeof(o));
	o.hostname = "mx.test";
	o.tlsa = t;
	o.ntlsa = res->ntlsa;
	o.fail = fail;
	s = tls_client(fd, fd, &o, 5000, err, sizeof(err));
	if (s != NULL) {
		tls_info(s, &info);
		ATF_CHECK_EQ(info.dane, 1);
		ATF_CHECK(tls_write(s, "x", 1, 5000, err, sizeof(err)) == 0);
		tls_close(s);
	}
	(void)close(fd);
	(void)waitpid(pid, &status, 0);
	return s != NULL ? NULL : err;
}

ATF_TC_WITH_CLEANUP(tlsa_nsd);
ATF_TC_HEAD(tlsa_nsd, tc)
{
	atf_tc_set_md_var(tc, "require.progs", "certtool python3");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(tlsa_nsd, tc)
{
	struct dns_tlsa_result *res = malloc(sizeof(*res));
	struct dns_mx_result *mx = malloc(sizeof(*mx));
	struct dns_resolver *r;
	char src[PATH_MAX], server[64], err[ERR_MAX], line[256];
	const char *why;
	unsigned nsd, ad, noad, sf;
	unsigned char want[32];
	FILE *f;
	char *p;
	int i, fail;
	unsigned v;

	ATF_REQUIRE(res != NULL && mx != NULL);
	top_srcdir(tc, src, sizeof(src));
	ATF_REQUIRE_MSG(
	    dane_sh(src, "start") == 0, "tests/lib/dane.sh start failed");
	ATF_REQUIRE((f = fopen("ports", "r")) != NULL);
	ATF_REQUIRE(fscanf(f, "%u %u %u %u", &nsd, &ad, &noad, &sf) == 4);
	(void)fclose(f);
	/* The record's data as the zone has it (certtool made it). */
	ATF_REQUIRE((f = fopen("test.extra", "r")) != NULL);
	p = NULL;
	while (fgets(line, sizeof(line), f) != NULL)
		if ((p = strstr(line, "TLSA\t3 1 1 ")) != NULL)
			break;
	(void)fclose(f);
	ATF_REQUIRE(p != NULL);
	p += strlen("TLSA\t3 1 1 ");
	for (i = 0; i < 32; i++) {
		ATF_REQUIRE(sscanf(p + 2 * i, "%2x", &v) == 1);
		want[i] = (unsigned char)v;
	}

	/* Through the validating stand-in: the records, and DANE. */
	(void)snprintf(server, sizeof(server), "127.0.0.1:%u", ad);
	ATF_REQUIRE_MSG(
	    (r = dns_new(server, 2, 1, err, sizeof(err))) != NULL, "%s", err);
	ATF_CHECK_EQ(dns_mx_lookup(r, "dane.test", DNS_F_NO_ADDITIONAL, mx),
	    DNS_MX_FOUND);
	ATF_CHECK_EQ(mx->secure, 1);
	ATF_CHECK_EQ(mx->host[0].secure, 1);
	ATF_CHECK_STREQ(mx->host[0].name, "mx.test");
	/* NSD puts mx.test's A in the additional section: not covered. */
	ATF_CHECK_EQ(dns_mx_lookup(r, "dane.test", 0, mx), DNS_MX_FOUND);
	ATF_CHECK_EQ(mx->secure, 1);
	ATF_CHECK_EQ(mx->host[0].secure, 0);
	ATF_CHECK_EQ_MSG(dns_tlsa_lookup(r, "mx.test", 25, res), DNS_TLSA_FOUND,
	    "%s", res->err);
	ATF_REQUIRE_EQ(res->ntlsa, 1);
	ATF_CHECK_EQ(res->secure, 1);
	ATF_CHECK_EQ(res->tlsa[0].usage, 3);
	ATF_CHECK_EQ(res->tlsa[0].selector, 1);
	ATF_CHECK_EQ(res->tlsa[0].mtype, 1);
	ATF_CHECK(
	    res->tlsa[0].len == 32 && memcmp(res->tlsa[0].data, want, 32) == 0);
	why =
	    dane_handshake(res, "certs/server.pem", "certs/server.key", &fail);
	ATF_CHECK_MSG(why == NULL, "%s", why);
	fail = -1;
	why = dane_handshake(res, "certs/other.pem", "certs/other.key", &fail);
	ATF_CHECK(why != NULL &&
	    strstr(why,
		"certificate does not match "
		"its TLSA records (3 1 1 ") != NULL);
	ATF_CHECK_EQ(fail, TLS_FAIL_CERT);
	/* A host without TLSA records: a validated no. */
	ATF_CHECK_EQ(dns_tlsa_lookup(r, "mx1.test", 25, res), DNS_TLSA_NONE);
	ATF_CHECK_EQ(res->secure, 1);
	dns_free(r);

	/* Straight from NSD, or through a proxy that clears AD: ignored. */
	for (i = 0; i < 2; i++) {
		(void)snprintf(server, sizeof(server), "127.0.0.1:%u",
		    i == 0 ? nsd : noad);
		ATF_REQUIRE(
		    (r = dns_new(server, 2, 1, err, sizeof(err))) != NULL);
		ATF_CHECK_EQ(
		    dns_mx_lookup(r, "dane.test", 0, mx), DNS_MX_FOUND);
		ATF_CHECK_EQ(mx->secure, 0);
		ATF_CHECK_EQ_MSG(dns_tlsa_lookup(r, "mx.test", 25, res),
		    DNS_TLSA_INSECURE, "%s", server);
		ATF_CHECK_EQ(res->ntlsa, 0);
		ATF_CHECK_EQ(res->secure, 0);
		ATF_CHECK_MSG(
		    strstr(res->err, "no AD") != NULL, "%s", res->err);
		dns_free(r);
	}

	/* A TLSA lookup that fails: temporary (RFC 7672 §2.1.1). */
	(void)snprintf(server, sizeof(server), "127.0.0.1:%u", sf);
	ATF_REQUIRE((r = dns_new(server, 2, 1, err, sizeof(err))) != NULL);
	ATF_CHECK_EQ(dns_mx_lookup(r, "dane.test", DNS_F_NO_ADDITIONAL, mx),
	    DNS_MX_FOUND);
	ATF_CHECK_EQ(mx->secure, 1);
	ATF_CHECK_EQ(dns_tlsa_lookup(r, "mx.test", 25, res), DNS_TLSA_TEMPFAIL);
	ATF_CHECK_MSG(strstr(res->err, "SERVFAIL") != NULL, "%s", res->err);
	dns_free(r);
	free(res);
	free(mx);
}
ATF_TC_CLEANUP(tlsa_nsd, tc)
{
	char src[PATH_MAX];

	top_srcdir(tc, src, sizeof(src));
	(void)dane_sh(src, "stop");
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
	ATF_TP_ADD_TC(tp, tlsa_rdata);
	ATF_TP_ADD_TC(tp, parse_tlsa);
	ATF_TP_ADD_TC(tp, tlsa_lookup);
	ATF_TP_ADD_TC(tp, tlsa_nsd);
	return atf_no_error();
}
