/*
 * spf_test: the pure parts of common/spf (RFC 7208): record selection
 * (§4.5), the record parser and its syntax checks (§4.6, §5, §6), the
 * domain-spec grammar (§7.1), macro expansion with the examples of §7.4,
 * the domain cut of §7.3, the identities check_host() refuses (§4.3),
 * and dns_name_escape, which SPF's names go through.  check_host()
 * against a DNS server is tests/cmd/mxlookup_spf_test (the RFC 7208 test
 * suite).
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <atf-c.h>

#include "dns.h"
#include "spf.h"
#include "util.h"

ATF_TC_WITHOUT_HEAD(is_record);
ATF_TC_BODY(is_record, tc)
{
	static const struct {
		const char *in;
		int is;
	} t[] = {
	    {"v=spf1", 1},
	    {"v=spf1 -all", 1},
	    {"V=SpF1 ~all", 1},
	    {"v=spf1  ", 1},
	    {"v=spf10", 0},
	    {"v=spf1mx", 0}, /* strings joined with no space (§3.3) */
	    {"v=spf1\t-all", 0},
	    {" v=spf1", 0},
	    {"v=spf", 0},
	    {"spf2.0/pra -all", 0},
	    {"", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(spf_is_record(t[i].in, strlen(t[i].in)),
		    t[i].is, "%zu \"%s\"", i, t[i].in);
}

ATF_TC_WITHOUT_HEAD(parse_table);
ATF_TC_BODY(parse_table, tc)
{
	static const struct {
		const char *in;
		int rc; /* 0 parsed, -1 permerror */
		int nterms;
		const char *err; /* a part of the reason, for -1 */
	} t[] = {
	    {"v=spf1", 0, 0, NULL},
	    {"v=spf1 -all", 0, 1, NULL},
	    {"v=spf1  a  -all ", 0, 2, NULL}, /* §4.6.1: 1*SP */
	    {"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all", 0, 3, NULL},
	    {"v=spf1 a mx ptr a:x.example a/24 a//64 a:x.example/24//64 "
	     "mx:x.example//0 ptr:x.example exists:%{ir}.x.example "
	     "include:x.example ?all",
		0, 12, NULL},
	    /* modifiers: not terms */
	    {"v=spf1 redirect=x.example", 0, 0, NULL},
	    {"v=spf1 -all exp=e.%{d}", 0, 1, NULL},
	    {"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 0, 2, NULL},
	    {"v=spf1 default=+ foo=%{l}", 0, 0, NULL},
	    {"v=spf1 a:foo:bar/baz.example.com", 0, 1, NULL},
	    {"v=spf1 a:foo.example.xn--zckzah", 0, 1, NULL},
	    {"v=spf1 A:X.EXAMPLE -ALL", 0, 2, NULL},
	    {"v=spf1 exists:%{l}.%{d}", 0, 1, NULL},
	    {"v=spf1 ip6:::FFFF:1.2.3.4 ip6:::1.1.1.1/0", 0, 2, NULL},
	    /* §4.6: syntax errors anywhere */
	    {"v=spf1 ip4:1.2.3.4 -all moo", -1, 0, "unknown mechanism"},
	    {"v=spf1 moo.cow/far_out=man:dog/cat", -1, 0, "unknown"},
	    {"v=spf1 1up=foo", -1, 0, "unknown"},
	    {"v=spf1 =all", -1, 0, "unknown"},
	    {"v=spf1 redirect:x.example", -1, 0, "unknown"},
	    {"v=spf1 -all.", -1, 0, "all"},
	    {"v=spf1 -all:foo", -1, 0, "all"},
	    {"v=spf1 -all/8", -1, 0, "all"},
	    {"v=spf1 ptr/0", -1, 0, "domain"},
	    {"v=spf1 ptr:", -1, 0, "empty"},
	    {"v=spf1 include", -1, 0, "domain"},
	    {"v=spf1 include:", -1, 0, "empty"},
	    {"v=spf1 include:x.example/24", -1, 0, "top label"},
	    {"v=spf1 exists", -1, 0, "domain"},
	    {"v=spf1 a:", -1, 0, "empty"},
	    {"v=spf1 mx: -all", -1, 0, "empty"},
	    {"v=spf1 a/33", -1, 0, "prefix"},
	    {"v=spf1 a//129", -1, 0, "prefix"},
	    {"v=spf1 a/24/64", -1, 0, "prefix"},
	    {"v=spf1 a/032", -1, 0, "prefix"},
	    {"v=spf1 a:foo-bar", -1, 0, "top label"},
	    {"v=spf1 a:111.222.33.44", -1, 0, "top label"},
	    {"v=spf1 a:abc.123", -1, 0, "top label"},
	    {"v=spf1 a:museum", -1, 0, "top label"},
	    {"v=spf1 a:museum.", -1, 0, "top label"},
	    {"v=spf1 a:example.-com", -1, 0, "top label"},
	    {"v=spf1 a:example.com:8080", -1, 0, "top label"},
	    {"v=spf1 ip4", -1, 0, "network"},
	    {"v=spf1 ip4:1.2.3", -1, 0, "network"},
	    {"v=spf1 ip4:1.2.3.4:8080", -1, 0, "network"},
	    {"v=spf1 ip4:1.2.3.4/33", -1, 0, "network"},
	    {"v=spf1 ip4:1.2.3.4/032", -1, 0, "network"},
	    {"v=spf1 ip4:1.2.3.4//32", -1, 0, "network"},
	    {"v=spf1 ip4:01.2.3.4", -1, 0, "network"},
	    {"v=spf1 ip6::CAFE::BABE", -1, 0, "network"},
	    {"v=spf1 ip6:::1.1.1.1/129", -1, 0, "network"},
	    {"v=spf1 ip6:::1.1.1.1//33", -1, 0, "network"},
	    {"v=spf1 -all exp=", -1, 0, "empty"},
	    {"v=spf1 exp=-all", -1, 0, "top label"},
	    {"v=spf1 redirect=", -1, 0, "empty"},
	    {"v=spf1 redirect=a.example redirect=b.example", -1, 0,
		"more than once"},
	    {"v=spf1 exp=a.example exp=b.example", -1, 0, "more than once"},
	    {"v=spf1 -all foo=%abc", -1, 0, "'%' followed"},
	    {"v=spf1 exp=%{r}.example.com", -1, 0, "only for exp"},
	    {"v=spf1 a:%{a}.example.com", -1, 0, "macro letter"},
	    {"v=spf1 -exists:%(ir).sbl.example.com", -1, 0, "followed"},
	    /* control characters and 8-bit octets are not separators */
	    {"v=spf1 a:ctrl.example.com\rptr -all", -1, 0, "0x0d"},
	    {"v=spf1 ip4:192.0.2.5\n include:x.example", -1, 0, "network"},
	    {"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all", -1, 0, "0xef"},
	    {"v=spf1 \x80"
	     "a:example.net",
		-1, 0, "unknown"},
	    {"v=spf1 -al\tl", -1, 0, "unknown"},
	    {"v=spf", -1, 0, "not an SPF record"},
	};
	struct spf_record *rec;
	char err[ERR_MAX];
	size_t i, k;
	int rc;

	rec = malloc(sizeof(*rec));
	ATF_REQUIRE(rec != NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = spf_parse(t[i].in, strlen(t[i].in), rec, err, sizeof(err));
		ATF_CHECK_EQ_MSG(
		    rc, t[i].rc, "%zu \"%s\": %d (%s)", i, t[i].in, rc, err);
		if (rc == 0)
			ATF_CHECK_EQ_MSG(rec->nterms, t[i].nterms,
			    "%zu \"%s\": %d terms", i, t[i].in, rec->nterms);
		if (rc == -1 && t[i].err != NULL)
			ATF_CHECK_MSG(strstr(err, t[i].err) != NULL,
			    "%zu \"%s\": \"%s\" has no \"%s\"", i, t[i].in, err,
			    t[i].err);
		/* one line a person can read: no control characters */
		for (k = 0; rc == -1 && err[k] != '\0'; k++)
			ATF_CHECK_MSG((unsigned char)err[k] >= 0x20 &&
				(unsigned char)err[k] < 0x7f,
			    "%zu: raw byte in \"%s\"", i, err);
	}
	/* A NUL is an octet like another: the length is the end. */
	ATF_CHECK_EQ(
	    spf_parse("v=spf1 a:foo.example.com\0", 25, rec, err, sizeof(err)),
	    -1);
	ATF_CHECK_EQ(
	    spf_parse("v=spf1 -all moo", 11, rec, err, sizeof(err)), 0);
	free(rec);
}

ATF_TC_WITHOUT_HEAD(parse_fields);
ATF_TC_BODY(parse_fields, tc)
{
	static const char in[] = "v=spf1 +a ~mx:m.example/24//64 ?ptr "
				 "-ip4:192.0.2.0/24 ip6:2001:db8::/32 "
				 "exists:%{i}.x.example include:i.example all "
				 "redirect=r.example exp=e.example x-y=z";
	struct spf_record *rec;
	const struct spf_term *t;
	char err[ERR_MAX];
	unsigned char v4[4] = {192, 0, 2, 0};

	rec = malloc(sizeof(*rec));
	ATF_REQUIRE(rec != NULL);
	ATF_REQUIRE_EQ_MSG(
	    spf_parse(in, strlen(in), rec, err, sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ(rec->nterms, 8);
	t = rec->term;
	ATF_CHECK(t[0].mech == SPF_M_A && t[0].qual == SPF_PASS &&
	    t[0].spec == NULL && t[0].cidr4 == 32 && t[0].cidr6 == 128);
	ATF_CHECK(t[1].mech == SPF_M_MX && t[1].qual == SPF_SOFTFAIL &&
	    t[1].cidr4 == 24 && t[1].cidr6 == 64);
	ATF_CHECK(t[1].speclen == 9 && memcmp(t[1].spec, "m.example", 9) == 0);
	ATF_CHECK(t[2].mech == SPF_M_PTR && t[2].qual == SPF_NEUTRAL);
	ATF_CHECK(t[3].mech == SPF_M_IP4 && t[3].qual == SPF_FAIL &&
	    t[3].cidr4 == 24 && memcmp(t[3].net, v4, 4) == 0);
	ATF_CHECK(t[4].mech == SPF_M_IP6 && t[4].cidr6 == 32 &&
	    t[4].net[0] == 0x20 && t[4].net[1] == 0x01);
	ATF_CHECK(t[5].mech == SPF_M_EXISTS && t[5].speclen == 14);
	ATF_CHECK(t[6].mech == SPF_M_INCLUDE && t[6].speclen == 9);
	ATF_CHECK(t[7].mech == SPF_M_ALL && t[7].qual == SPF_PASS);
	ATF_CHECK(t[7].textlen == 3 && memcmp(t[7].text, "all", 3) == 0);
	ATF_CHECK(rec->redirectlen == 9 &&
	    memcmp(rec->redirect, "r.example", 9) == 0);
	ATF_CHECK(rec->explen == 9 && memcmp(rec->exp, "e.example", 9) == 0);
	ATF_CHECK_EQ(rec->nunknown, 1);
	free(rec);
}

ATF_TC_WITHOUT_HEAD(domain_spec);
ATF_TC_BODY(domain_spec, tc)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
	    {"example.com", 1},
	    {"example.com.", 1},
	    {"%{d}", 1},
	    {"%{d2}.trusted-domains.example.net", 1},
	    {"x.%{d}", 1},
	    {"x.%%", 1}, /* ends in a macro-expand */
	    {"foo:bar/baz.example.com", 1},
	    {"a.xn--zckzah", 1},
	    {"a.123-456", 1},
	    {".com", 1},
	    {"", 0},
	    {"example", 0},
	    {"example.", 0},
	    {"example.com..", 0},
	    {"example.123", 0},
	    {"example.-com", 0},
	    {"example.com-", 0},
	    {"%{d}.", 0},
	    {"exa mple.com", 0},
	    {"example.com%", 0},
	    {"%{c}.example.com", 0},
	    {"%{d0}.example.com", 0},
	    {"%{dx}.example.com", 0},
	    {"%{d", 0},
	};
	char err[ERR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = spf_domain_spec_valid(
		    t[i].in, strlen(t[i].in), err, sizeof(err));
		ATF_CHECK_EQ_MSG(rc == 0, t[i].ok, "%zu \"%s\": %d (%s)", i,
		    t[i].in, rc, err);
		if (rc != 0)
			ATF_CHECK_MSG(err[0] != '\0', "%zu: no reason", i);
	}
}

/* RFC 7208 §7.4's context, IPv4 or IPv6. */
static void
example_macro(struct spf_macro *m, int v6)
{
	memset(m, 0, sizeof(*m));
	m->s = "strong-bad@email.example.com";
	m->l = "strong-bad";
	m->o = "email.example.com";
	m->d = "email.example.com";
	m->h = "mx.example.org";
	m->p = "mx.example.org";
	m->r = "mx.example.net";
	m->t = 1234567890;
	m->family = v6 ? AF_INET6 : AF_INET;
	ATF_REQUIRE(inet_pton(m->family, v6 ? "2001:db8::cb01" : "192.0.2.3",
			m->ip) == 1);
}

ATF_TC_WITHOUT_HEAD(expand_rfc7208_examples);
ATF_TC_BODY(expand_rfc7208_examples, tc)
{
	/* RFC 7208 §7.4, word for word. */
	static const struct {
		const char *in;
		const char *out;
	} t[] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		"bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		"3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net",
		"example.com.trusted-domains.example.net"},
	};
	struct spf_macro m;
	char out[SPF_EXPAND_MAX], err[ERR_MAX];
	size_t i;

	example_macro(&m, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		ATF_CHECK_EQ_MSG(spf_expand(t[i].in, strlen(t[i].in), 0, &m,
				     out, sizeof(out), err, sizeof(err)),
		    0, "%zu \"%s\": %s", i, t[i].in, err);
		ATF_CHECK_STREQ_MSG(out, t[i].out, "%zu \"%s\"", i, t[i].in);
	}
	/*
	 * The IPv6 example.  §7.4 writes the nibbles in lower case; we
	 * write them in upper case, as pyspf does and the OpenSPF suite's
	 * v-macro-ip6 expects.  DNS names compare without case (RFC 4343).
	 */
	example_macro(&m, 1);
	ATF_REQUIRE_EQ(spf_expand("%{ir}.%{v}._spf.%{d2}", 21, 0, &m, out,
			   sizeof(out), err, sizeof(err)),
	    0);
	ATF_CHECK_MSG(strcasecmp(out,
			  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
			  "8.b.d.0.1.0.0.2.ip6._spf.example.com") == 0,
	    "%s", out);
	ATF_CHECK(strncmp(out, "1.0.B.C.", 8) == 0);
}

ATF_TC_WITHOUT_HEAD(expand_table);
ATF_TC_BODY(expand_table, tc)
{
	static const struct {
		const char *in;
		int exp; /* explanation text */
		int v6;
		const char *out; /* NULL: a syntax error */
	} t[] = {
	    /* §7.1 escapes */
	    {"%%", 0, 0, "%"},
	    {"%_", 0, 0, " "},
	    {"%-", 0, 0, "%20"},
	    {"macro%%percent%_%_space%-url-space.example.com", 0, 0,
		"macro%percent  space%20url-space.example.com"},
	    /* §7.3: upper case letters are URL-escaped */
	    {"%{S}", 0, 0, "strong-bad%40email.example.com"},
	    {"%{L}", 0, 0, "strong-bad"},
	    {"%{D2R}", 0, 0, "example.email"},
	    /* the other letters */
	    {"%{h}", 0, 0, "mx.example.org"},
	    {"%{p}", 0, 0, "mx.example.org"},
	    {"%{v}", 0, 0, "in-addr"},
	    {"%{v}", 0, 1, "ip6"},
	    {"%{i}", 0, 0, "192.0.2.3"},
	    {"%{i}", 0, 1,
		"2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		"C.B.0.1"},
	    {"%{c}", 1, 0, "192.0.2.3"},
	    {"%{c}", 1, 1, "2001:db8::cb01"},
	    {"%{r}", 1, 0, "mx.example.net"},
	    {"%{t}", 1, 0, "1234567890"},
	    /* spaces only in explanations */
	    {"%{c} is not one of %{d}'s", 1, 0,
		"192.0.2.3 is not one of email.example.com's"},
	    {"a b", 0, 0, NULL},
	    /* several delimiters; more parts asked for than there are */
	    {"%{l-+}", 0, 0, "strong.bad"},
	    {"%{s-.}", 0, 0, "strong.bad@email.example.com"},
	    {"%{s.@}", 0, 0, NULL}, /* '@' is no delimiter (§7.1) */
	    {"%{d99}", 0, 0, "email.example.com"},
	    {"%{d99999999999}", 0, 0, "email.example.com"},
	    {"%{dR}", 0, 0, "com.example.email"},
	    /* syntax errors */
	    {"%", 0, 0, NULL},
	    {"x%", 0, 0, NULL},
	    {"%a", 0, 0, NULL},
	    {"%(ir)", 0, 0, NULL},
	    {"%{x}", 0, 0, NULL},
	    {"%{a}", 0, 0, NULL},
	    {"%{d0}", 0, 0, NULL},
	    {"%{d2", 0, 0, NULL},
	    {"%{d2x}", 0, 0, NULL},
	    {"%{", 0, 0, NULL},
	    {"%{c}", 0, 0, NULL},
	    {"%{r}", 0, 0, NULL},
	    {"%{t}", 0, 0, NULL},
	    {"\x7f", 0, 0, NULL},
	    {"\xc3\xa9", 1, 0, NULL},
	    {"tab\there", 1, 0, NULL},
	};
	struct spf_macro m;
	char out[SPF_EXPAND_MAX], err[ERR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		example_macro(&m, t[i].v6);
		err[0] = '\0';
		rc = spf_expand(t[i].in, strlen(t[i].in), t[i].exp, &m, out,
		    sizeof(out), err, sizeof(err));
		ATF_CHECK_EQ_MSG(rc == 0, t[i].out != NULL, "%zu \"%s\": %s", i,
		    t[i].in, err);
		if (rc == 0 && t[i].out != NULL)
			ATF_CHECK_STREQ_MSG(
			    out, t[i].out, "%zu \"%s\"", i, t[i].in);
		/* syntax only: the same verdict */
		ATF_CHECK_EQ_MSG(spf_expand(t[i].in, strlen(t[i].in), t[i].exp,
				     NULL, NULL, 0, err, sizeof(err)) == 0,
		    t[i].out != NULL, "%zu \"%s\" (check only)", i, t[i].in);
	}
}

/* %{p} asked for only when used, and only once per expansion call. */
static int p_calls;

static void
fake_p(void *arg, char *out, size_t outlen)
{
	(void)arg;
	p_calls++;
	util_strlcpy(out, "mx.example.org", outlen);
}

ATF_TC_WITHOUT_HEAD(expand_p_and_bounds);
ATF_TC_BODY(expand_p_and_bounds, tc)
{
	struct spf_macro m;
	char out[64], big[SPF_EXPAND_MAX], err[ERR_MAX];
	char *in;
	size_t i;

	example_macro(&m, 0);
	m.p = NULL;
	m.get_p = fake_p;
	ATF_CHECK_EQ(
	    spf_expand("%{d}", 4, 0, &m, out, sizeof(out), err, sizeof(err)),
	    0);
	ATF_CHECK_EQ(p_calls, 0);
	ATF_CHECK_EQ(spf_expand("%{p}.x.example", 14, 0, &m, out, sizeof(out),
			 err, sizeof(err)),
	    0);
	ATF_CHECK_EQ(p_calls, 1);
	ATF_CHECK_STREQ(out, "mx.example.org.x.example");
	/* no get_p, no p: "unknown" (§7.3) */
	m.get_p = NULL;
	ATF_CHECK_EQ(
	    spf_expand("%{p}", 4, 0, &m, out, sizeof(out), err, sizeof(err)),
	    0);
	ATF_CHECK_STREQ(out, "unknown");
	/* an expansion past the buffer is an error, never a cut */
	ATF_CHECK_EQ(spf_expand("%{s}%{s}%{s}", 12, 0, &m, out, sizeof(out),
			 err, sizeof(err)),
	    -1);
	ATF_CHECK(strstr(err, "longer than") != NULL);
	in = malloc(4 * 4096);
	ATF_REQUIRE(in != NULL);
	for (i = 0; i < 4096; i++)
		memcpy(in + 4 * i, "%{S}", 4);
	ATF_CHECK_EQ(
	    spf_expand(in, 4 * 4096, 0, &m, big, sizeof(big), err, sizeof(err)),
	    -1);
	free(in);
}

ATF_TC_WITHOUT_HEAD(domain_cut);
ATF_TC_BODY(domain_cut, tc)
{
	static const char long_o[] = "somewhat.long.exp.example.com";
	char in[1024], out[SPF_DOMAIN_MAX + 2], want[300];
	size_t i;

	ATF_CHECK_EQ(spf_domain_cut("example.com.", out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "example.com");
	ATF_CHECK_EQ(spf_domain_cut("example.com", out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "example.com");
	ATF_CHECK_EQ(
	    spf_domain_cut("mail.example...com", out, sizeof(out)), -1);
	ATF_CHECK_EQ(spf_domain_cut(".", out, sizeof(out)), -1);
	ATF_CHECK_EQ(spf_domain_cut("", out, sizeof(out)), -1);
	ATF_CHECK_EQ(spf_domain_cut("a1234567890123456789012345678901234567890"
				    "12345678901234567890123.example.com",
			 out, sizeof(out)),
	    -1);
	/* §7.3: from the left, whole labels, to at most 253 octets (the
	   suite's domain-name-truncation case) */
	util_strlcpy(in, "foobar", sizeof(in));
	util_strlcpy(want, "", sizeof(want));
	for (i = 0; i < 8; i++) {
		util_strlcat(in, ".", sizeof(in));
		util_strlcat(in, long_o, sizeof(in));
		util_strlcat(want, long_o, sizeof(want));
		util_strlcat(want, ".", sizeof(want));
	}
	util_strlcat(in, ".example.com", sizeof(in));
	util_strlcat(want, "example.com", sizeof(want));
	ATF_CHECK_EQ(spf_domain_cut(in, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, want);
	ATF_CHECK(strlen(out) <= SPF_DOMAIN_MAX);
	/* one label of 300 octets: nothing left to cut to */
	memset(in, 'a', 300);
	in[300] = '\0';
	ATF_CHECK_EQ(spf_domain_cut(in, out, sizeof(out)), -1);
}

ATF_TC_WITHOUT_HEAD(domain_valid);
ATF_TC_BODY(domain_valid, tc)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
	    {"example.com", 1},
	    {"example.com.", 1},
	    {"a.b.c.example.museum", 1},
	    {"A12345678901234567890123456789012345678901234567890123456789012."
	     "example.com",
		1},
	    {"A123456789012345678901234567890123456789012345678901234567890123."
	     "example.com",
		0},
	    {"A...example.com", 0},
	    {"A2345678", 0},
	    {"[1.2.3.5]", 0},
	    {"example.123", 0},
	    {"", 0},
	    {".", 0},
	    {"exa mple.com", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(spf_domain_valid(t[i].in), t[i].ok,
		    "%zu \"%s\"", i, t[i].in);
}

ATF_TC_WITHOUT_HEAD(name_escape);
ATF_TC_BODY(name_escape, tc)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: -1 */
	} t[] = {
	    {"example.com", "example.com"},
	    {"example.com.", "example.com"},
	    {"foo:bar/baz.example.com", "foo:bar/baz.example.com"},
	    /* as ns_name_ntop writes them */
	    {"macro%percent  space%20url-space.example.com",
		"macro%percent\\032\\032space%20url-space.example.com"},
	    {"a;b(c)d@e$f\"g\\h.example",
		"a\\;b\\(c\\)d\\@e\\$f\\\"g\\\\h.example"},
	    {"\x7f\xff.example", "\\127\\255.example"},
	    {"a..b", NULL},
	    {".a", NULL},
	    {"", NULL},
	    {"a1234567890123456789012345678901234567890123456789012345678901"
	     "23.example",
		NULL},
	};
	char out[DNS_NAME_MAX * 4 + 1];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = dns_name_escape(t[i].in, out, sizeof(out));
		ATF_CHECK_EQ_MSG(
		    rc == 0, t[i].out != NULL, "%zu \"%s\"", i, t[i].in);
		if (rc == 0 && t[i].out != NULL)
			ATF_CHECK_STREQ_MSG(out, t[i].out, "%zu", i);
	}
	/* too small an output is -1, never a cut name */
	ATF_CHECK_EQ(dns_name_escape("example.com", out, 5), -1);
}

/* check_host() without a DNS answer: §4.3's none, and temperror. */
ATF_TC_WITHOUT_HEAD(check_no_dns);
ATF_TC_BODY(check_no_dns, tc)
{
	struct dns_resolver *r;
	struct spf_request req;
	struct spf_outcome *out;
	char err[ERR_MAX];

	out = malloc(sizeof(*out));
	ATF_REQUIRE(out != NULL);
	/* port 1 on loopback: refused at once */
	r = dns_new("127.0.0.1:1", 1, 1, err, sizeof(err));
	ATF_REQUIRE_MSG(r != NULL, "%s", err);
	memset(&req, 0, sizeof(req));
	req.family = AF_INET;
	ATF_REQUIRE(inet_pton(AF_INET, "192.0.2.1", req.ip) == 1);

	req.sender = "";
	req.helo = "[192.0.2.1]";
	ATF_CHECK_EQ(spf_check(r, &req, out), SPF_NONE);
	ATF_CHECK_STREQ(out->sender, "postmaster@[192.0.2.1]");
	ATF_CHECK(strstr(out->why, "§4.3") != NULL);
	ATF_CHECK_EQ(out->queries, 0);

	req.sender = "a@b..example";
	ATF_CHECK_EQ(spf_check(r, &req, out), SPF_NONE);
	req.sender = "nodomain";
	ATF_CHECK_EQ(spf_check(r, &req, out), SPF_NONE);

	req.sender = "@example.org";
	ATF_CHECK_EQ(spf_check(r, &req, out), SPF_TEMPERROR);
	ATF_CHECK_STREQ(out->domain, "example.org");
	ATF_CHECK_EQ(out->queries, 1);
	ATF_CHECK(out->why[0] != '\0');
	ATF_CHECK_STREQ(out->exp, "");
	/* §4.3: a UTF-8 domain is asked for as A-labels */
	req.sender = "a@b\xc3\xbc"
		     "cher.example";
	ATF_CHECK_EQ(spf_check(r, &req, out), SPF_TEMPERROR);
	ATF_CHECK_STREQ(out->domain, "xn--bcher-kva.example");
	dns_free(r);
	free(out);
}

ATF_TC_WITHOUT_HEAD(result_words);
ATF_TC_BODY(result_words, tc)
{
	ATF_CHECK_STREQ(spf_result_str(SPF_NONE), "none");
	ATF_CHECK_STREQ(spf_result_str(SPF_NEUTRAL), "neutral");
	ATF_CHECK_STREQ(spf_result_str(SPF_PASS), "pass");
	ATF_CHECK_STREQ(spf_result_str(SPF_FAIL), "fail");
	ATF_CHECK_STREQ(spf_result_str(SPF_SOFTFAIL), "softfail");
	ATF_CHECK_STREQ(spf_result_str(SPF_TEMPERROR), "temperror");
	ATF_CHECK_STREQ(spf_result_str(SPF_PERMERROR), "permerror");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, is_record);
	ATF_TP_ADD_TC(tp, parse_table);
	ATF_TP_ADD_TC(tp, parse_fields);
	ATF_TP_ADD_TC(tp, domain_spec);
	ATF_TP_ADD_TC(tp, expand_rfc7208_examples);
	ATF_TP_ADD_TC(tp, expand_table);
	ATF_TP_ADD_TC(tp, expand_p_and_bounds);
	ATF_TP_ADD_TC(tp, domain_cut);
	ATF_TP_ADD_TC(tp, domain_valid);
	ATF_TP_ADD_TC(tp, name_escape);
	ATF_TP_ADD_TC(tp, check_no_dns);
	ATF_TP_ADD_TC(tp, result_words);
	return atf_no_error();
}
