/*
 * dmarc_test: the pure parts of common/dmarc (RFC 7489): record
 * selection (§6.6.3), tag parsing with its defaults and the §6.6.3 p=
 * fallback, the organizational domain from the Public Suffix List
 * (§3.2), alignment (§3.1), and the verdict for a table of messages
 * (aligned and not, relaxed and strict, p and sp, subdomains, pct 0, 50
 * and 100 with a fixed coin, no record, bad records).  The discovery
 * against a DNS server is tests/cmd/mxlookup_policy_test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "dmarc.h"
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
	    {"v=DMARC1", 1},
	    {"v=DMARC1;", 1},
	    {"v=DMARC1; p=none", 1},
	    {"v = DMARC1 ; p=none", 1},
	    {"v=DMARC1 p=none", 1}, /* selected; the tags then decide */
	    {"v=dmarc1; p=none", 0}, /* §6.4: this case only */
	    {"v=DMARC10; p=none", 0},
	    {"v=DMARC", 0},
	    {" v=DMARC1; p=none", 0},
	    {"p=none; v=DMARC1", 0}, /* v= must be first */
	    {"v=spf1 -all", 0},
	    {"", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(dmarc_is_record(t[i].in, strlen(t[i].in)),
		    t[i].is, "%zu \"%s\"", i, t[i].in);
}

static void
set_txt(struct dns_txt *t, const char *s)
{
	t->len = strlen(s);
	memcpy(t->data, s, t->len + 1);
}

ATF_TC_WITHOUT_HEAD(select_one);
ATF_TC_BODY(select_one, tc)
{
	static struct dns_txt txt[3];
	char err[ERR_MAX];

	set_txt(&txt[0], "v=spf1 -all");
	set_txt(&txt[1], "v=DMARC1; p=reject");
	set_txt(&txt[2], "something else");
	ATF_CHECK_EQ(dmarc_select(txt, 3, err, sizeof(err)), 1);
	ATF_CHECK_EQ(dmarc_select(txt, 1, err, sizeof(err)), -1);
	ATF_CHECK_EQ(dmarc_select(txt, 0, err, sizeof(err)), -1);
	set_txt(&txt[2], "v=DMARC1; p=none");
	ATF_CHECK_EQ(dmarc_select(txt, 3, err, sizeof(err)), -2);
	ATF_CHECK(strstr(err, "2 DMARC records") != NULL);
}

ATF_TC_WITHOUT_HEAD(parse_table);
ATF_TC_BODY(parse_table, tc)
{
	static const struct {
		const char *in;
		int rc;
		int p, sp, adkim, aspf, pct, fo;
		unsigned long ri;
		int nrua, nruf, nwarn, fallback;
		const char *why; /* part of err (rc -1) or of warn[0] */
	} t[] = {
	    /* the defaults */
	    {"v=DMARC1; p=none", 0, DMARC_P_NONE, DMARC_P_NONE, 'r', 'r', 100,
		DMARC_FO_0, 86400, 0, 0, 0, 0, NULL},
	    {"v=DMARC1;p=reject;", 0, DMARC_P_REJECT, DMARC_P_REJECT, 'r', 'r',
		100, DMARC_FO_0, 86400, 0, 0, 0, 0, NULL},
	    /* every tag */
	    {"v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=50; "
	     "rua=mailto:a@example.com,mailto:b@example.net!10m; "
	     "ruf=mailto:f@example.com; fo=1:d:s; rf=afrf; ri=3600",
		0, DMARC_P_QUARANTINE, DMARC_P_REJECT, 's', 's', 50,
		DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S, 3600, 2, 1, 0, 0, NULL},
	    /* case of values and tags, spaces, empty parts */
	    {"v=DMARC1 ;  P = Reject ; ;ADKIM=S;", 0, DMARC_P_REJECT,
		DMARC_P_REJECT, 's', 'r', 100, DMARC_FO_0, 86400, 0, 0, 0, 0,
		NULL},
	    /* unknown tags ignored */
	    {"v=DMARC1; p=none; np=reject; psd=y; t=y", 0, DMARC_P_NONE,
		DMARC_P_NONE, 'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 0, 0,
		NULL},
	    /* bad values: defaults and a warning each */
	    {"v=DMARC1; p=reject; pct=101", 0, DMARC_P_REJECT, DMARC_P_REJECT,
		'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0, "pct=101"},
	    {"v=DMARC1; p=reject; pct=-1", 0, DMARC_P_REJECT, DMARC_P_REJECT,
		'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0, "pct="},
	    {"v=DMARC1; p=reject; pct=0", 0, DMARC_P_REJECT, DMARC_P_REJECT,
		'r', 'r', 0, DMARC_FO_0, 86400, 0, 0, 0, 0, NULL},
	    {"v=DMARC1; p=reject; adkim=x", 0, DMARC_P_REJECT, DMARC_P_REJECT,
		'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0, "adkim=x"},
	    {"v=DMARC1; p=reject; fo=2", 0, DMARC_P_REJECT, DMARC_P_REJECT, 'r',
		'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0, "fo=2"},
	    {"v=DMARC1; p=reject; ri=99999999999", 0, DMARC_P_REJECT,
		DMARC_P_REJECT, 'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0,
		"ri="},
	    {"v=DMARC1; p=reject; rua=dmarc@example.com", 0, DMARC_P_REJECT,
		DMARC_P_REJECT, 'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0,
		"not a valid URI"},
	    {"v=DMARC1; p=reject; rua=mailto:x@example.com!", 0, DMARC_P_REJECT,
		DMARC_P_REJECT, 'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0,
		"not a valid URI"},
	    {"v=DMARC1; p=reject; rua=https://example.com/r", 0, DMARC_P_REJECT,
		DMARC_P_REJECT, 'r', 'r', 100, DMARC_FO_0, 86400, 1, 0, 1, 0,
		"not mailto"},
	    {"v=DMARC1; p=reject; p=none", 0, DMARC_P_REJECT, DMARC_P_REJECT,
		'r', 'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0, "twice"},
	    {"v=DMARC1; p=reject; junk", 0, DMARC_P_REJECT, DMARC_P_REJECT, 'r',
		'r', 100, DMARC_FO_0, 86400, 0, 0, 1, 0, "no tag=value"},
	    /* §6.6.3: no or bad p=, with a valid rua=: p=none */
	    {"v=DMARC1; rua=mailto:d@example.com", 0, DMARC_P_NONE,
		DMARC_P_NONE, 'r', 'r', 100, DMARC_FO_0, 86400, 1, 0, 1, 1,
		"no p= tag"},
	    {"v=DMARC1; p=block; sp=reject; rua=mailto:d@example.com", 0,
		DMARC_P_NONE, DMARC_P_NONE, 'r', 'r', 100, DMARC_FO_0, 86400, 1,
		0, 1, 1, "p= is not"},
	    {"v=DMARC1; p=reject; sp=drop; rua=mailto:d@example.com", 0,
		DMARC_P_NONE, DMARC_P_NONE, 'r', 'r', 100, DMARC_FO_0, 86400, 1,
		0, 1, 1, "sp= is not"},
	    /* ... without: not usable */
	    {"v=DMARC1", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no p= tag"},
	    {"v=DMARC1; p=block", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		"p= is not"},
	    {"v=DMARC1; p=none; sp=x; rua=bad", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, "sp= is not"},
	    {"v=DMARC1 p=none", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		"no p= tag"},
	    {"v=DMARC1 p=none; rua=mailto:d@example.com", 0, DMARC_P_NONE,
		DMARC_P_NONE, 'r', 'r', 100, DMARC_FO_0, 86400, 1, 0, 2, 1,
		"not followed by ';'"},
	    {"v=dmarc1; p=none", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		"not a DMARC record"},
	};
	struct dmarc_record rec;
	char err[ERR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = dmarc_parse(
		    t[i].in, strlen(t[i].in), &rec, err, sizeof(err));
		ATF_CHECK_EQ_MSG(
		    rc, t[i].rc, "%zu \"%s\": %s", i, t[i].in, err);
		if (rc != t[i].rc)
			continue;
		if (rc == -1) {
			ATF_CHECK_MSG(strstr(err, t[i].why) != NULL,
			    "%zu: err \"%s\"", i, err);
			continue;
		}
		ATF_CHECK_EQ_MSG(rec.p, t[i].p, "%zu p", i);
		ATF_CHECK_EQ_MSG(rec.sp, t[i].sp, "%zu sp", i);
		ATF_CHECK_EQ_MSG(rec.adkim, t[i].adkim, "%zu adkim", i);
		ATF_CHECK_EQ_MSG(rec.aspf, t[i].aspf, "%zu aspf", i);
		ATF_CHECK_EQ_MSG(rec.pct, t[i].pct, "%zu pct", i);
		ATF_CHECK_EQ_MSG(rec.fo, t[i].fo, "%zu fo", i);
		ATF_CHECK_EQ_MSG(rec.ri, t[i].ri, "%zu ri", i);
		ATF_CHECK_EQ_MSG(rec.nrua, t[i].nrua, "%zu nrua", i);
		ATF_CHECK_EQ_MSG(rec.nruf, t[i].nruf, "%zu nruf", i);
		ATF_CHECK_EQ_MSG(rec.nwarn, t[i].nwarn, "%zu nwarn %d: %s", i,
		    rec.nwarn, rec.nwarn > 0 ? rec.warn[0] : "");
		ATF_CHECK_EQ_MSG(rec.p_fallback, t[i].fallback, "%zu fb", i);
		if (t[i].why != NULL && rec.nwarn > 0)
			ATF_CHECK_MSG(strstr(rec.warn[0], t[i].why) != NULL,
			    "%zu: warn \"%s\"", i, rec.warn[0]);
	}
}

ATF_TC_WITHOUT_HEAD(parse_fields);
ATF_TC_BODY(parse_fields, tc)
{
	static const char r[] = "v=DMARC1; p=none; rua=mailto:a@example.com; "
				"np=reject";
	struct dmarc_record rec;
	char err[ERR_MAX];

	ATF_REQUIRE_EQ(dmarc_parse(r, strlen(r), &rec, err, sizeof(err)), 0);
	ATF_CHECK_STREQ(rec.rua, "mailto:a@example.com");
	ATF_CHECK_STREQ(rec.ruf, "");
	ATF_CHECK_EQ(rec.nunknown, 1);
	ATF_CHECK_EQ(rec.sp_given, 0);
	ATF_CHECK_EQ(rec.rf_afrf, 1);
	/* a NUL inside: refused, not read past */
	ATF_CHECK_EQ(
	    dmarc_parse("v=DMARC1; p=none\0x", 18, &rec, err, sizeof(err)), -1);
}

ATF_TC_WITHOUT_HEAD(org_domain);
ATF_TC_BODY(org_domain, tc)
{
	static const struct {
		const char *in, *org; /* org NULL: -1 */
	} t[] = {
	    {"example.com", "example.com"},
	    {"mail.example.com", "example.com"},
	    {"A.B.Example.COM.", "example.com"},
	    {"a.b.example.co.uk", "example.co.uk"},
	    {"example.co.uk", "example.co.uk"},
	    {"co.uk", "co.uk"}, /* a public suffix is its own */
	    {"com", "com"},
	    {"x.y.z.kawasaki.jp", "y.z.kawasaki.jp"}, /* *.kawasaki.jp */
	    {"mail.xn--bcher-kva.de", "xn--bcher-kva.de"}, /* A-labels */
	    {"a.b.test", "b.test"}, /* not listed: the "*" rule */
	    {"", NULL},
	    {"a..b", NULL},
	    {"bad name.com", NULL},
	};
	struct dmarc_psl *psl;
	char out[DNS_NAME_MAX + 1];
	size_t i;
	int rc, k;

	psl = dmarc_psl_load();
	ATF_REQUIRE(psl != NULL);
	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			rc = dmarc_org_domain(
			    k ? psl : NULL, t[i].in, out, sizeof(out));
			if (t[i].org == NULL) {
				ATF_CHECK_EQ_MSG(rc, -1, "%zu %s", i, t[i].in);
				continue;
			}
			ATF_CHECK_EQ_MSG(rc, 0, "%zu %s", i, t[i].in);
			if (rc == 0)
				ATF_CHECK_STREQ_MSG(
				    out, t[i].org, "%zu %s", i, t[i].in);
		}
	/* too small a buffer */
	ATF_CHECK_EQ(dmarc_org_domain(psl, "example.com", out, 5), -1);
	dmarc_psl_free(psl);
}

ATF_TC_WITHOUT_HEAD(aligned);
ATF_TC_BODY(aligned, tc)
{
	static const struct {
		const char *a, *b;
		int mode, is;
	} t[] = {
	    {"example.com", "example.com", 's', 1},
	    {"example.com", "EXAMPLE.com.", 's', 1},
	    {"mail.example.com", "example.com", 's', 0},
	    {"mail.example.com", "example.com", 'r', 1},
	    {"a.example.com", "b.example.com", 'r', 1},
	    {"example.com", "example.net", 'r', 0},
	    {"a.example.co.uk", "b.example.co.uk", 'r', 1},
	    {"example.co.uk", "other.co.uk", 'r', 0}, /* not through co.uk */
	    {"co.uk", "example.co.uk", 'r', 0},
	    {"", "example.com", 'r', 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(dmarc_aligned(NULL, t[i].a, t[i].b, t[i].mode),
		    t[i].is, "%zu %s %s %c", i, t[i].a, t[i].b, t[i].mode);
	ATF_CHECK_EQ(dmarc_aligned(NULL, NULL, "example.com", 'r'), 0);
}

/* pct's coin, fixed. */
static int
coin(void *arg)
{
	return *(int *)arg;
}

ATF_TC_WITHOUT_HEAD(evaluate_table);
ATF_TC_BODY(evaluate_table, tc)
{
	static const struct {
		const char *from; /* RFC5322.From domain */
		const char *record; /* NULL: no record found */
		int at_org; /* the record was at the org domain */
		int spf; /* enum spf_result */
		const char *mailfrom; /* its domain */
		const char *d; /* a DKIM d=, NULL: no signature */
		int dkim_pass;
		int coin; /* 0..99 */
		int result, policy, disposition;
	} t[] = {
	    /* aligned SPF, strict and relaxed */
	    {"example.com", "v=DMARC1; p=reject", 0, SPF_PASS, "example.com",
		NULL, 0, 0, DMARC_PASS, DMARC_P_REJECT, DMARC_P_NONE},
	    {"example.com", "v=DMARC1; p=reject", 0, SPF_PASS,
		"bounce.example.com", NULL, 0, 0, DMARC_PASS, DMARC_P_REJECT,
		DMARC_P_NONE},
	    {"example.com", "v=DMARC1; p=reject; aspf=s", 0, SPF_PASS,
		"bounce.example.com", NULL, 0, 0, DMARC_FAIL, DMARC_P_REJECT,
		DMARC_P_REJECT},
	    /* SPF passes for another domain: not aligned */
	    {"example.com", "v=DMARC1; p=quarantine", 0, SPF_PASS,
		"esp.example.net", NULL, 0, 0, DMARC_FAIL, DMARC_P_QUARANTINE,
		DMARC_P_QUARANTINE},
	    /* SPF softfail for the right domain: no pass */
	    {"example.com", "v=DMARC1; p=reject", 0, SPF_SOFTFAIL,
		"example.com", NULL, 0, 0, DMARC_FAIL, DMARC_P_REJECT,
		DMARC_P_REJECT},
	    /* aligned DKIM, relaxed and strict */
	    {"example.com", "v=DMARC1; p=reject", 0, SPF_FAIL,
		"esp.example.net", "mail.example.com", 1, 0, DMARC_PASS,
		DMARC_P_REJECT, DMARC_P_NONE},
	    {"example.com", "v=DMARC1; p=reject; adkim=s", 0, SPF_FAIL,
		"esp.example.net", "mail.example.com", 1, 0, DMARC_FAIL,
		DMARC_P_REJECT, DMARC_P_REJECT},
	    {"example.com", "v=DMARC1; p=reject; adkim=s", 0, SPF_NONE, NULL,
		"EXAMPLE.COM", 1, 0, DMARC_PASS, DMARC_P_REJECT, DMARC_P_NONE},
	    /* a DKIM signature that did not verify */
	    {"example.com", "v=DMARC1; p=reject", 0, SPF_NONE, NULL,
		"example.com", 0, 0, DMARC_FAIL, DMARC_P_REJECT,
		DMARC_P_REJECT},
	    /* DKIM pass for someone else */
	    {"example.com", "v=DMARC1; p=reject", 0, SPF_NONE, NULL,
		"example.net", 1, 0, DMARC_FAIL, DMARC_P_REJECT,
		DMARC_P_REJECT},
	    /* subdomains: sp= applies for a record at the org domain */
	    {"news.example.com", "v=DMARC1; p=reject; sp=quarantine", 1,
		SPF_NONE, NULL, NULL, 0, 0, DMARC_FAIL, DMARC_P_QUARANTINE,
		DMARC_P_QUARANTINE},
	    {"news.example.com", "v=DMARC1; p=none; sp=reject", 1, SPF_NONE,
		NULL, NULL, 0, 0, DMARC_FAIL, DMARC_P_REJECT, DMARC_P_REJECT},
	    /* ... p= when sp= is absent */
	    {"news.example.com", "v=DMARC1; p=quarantine", 1, SPF_NONE, NULL,
		NULL, 0, 0, DMARC_FAIL, DMARC_P_QUARANTINE, DMARC_P_QUARANTINE},
	    /* ... and not for a record of the subdomain itself */
	    {"news.example.com", "v=DMARC1; p=none; sp=reject", 0, SPF_NONE,
		NULL, NULL, 0, 0, DMARC_FAIL, DMARC_P_NONE, DMARC_P_NONE},
	    /* a subdomain aligned with the org domain's SPF (relaxed) */
	    {"a.b.example.co.uk", "v=DMARC1; p=reject", 1, SPF_PASS,
		"example.co.uk", NULL, 0, 0, DMARC_PASS, DMARC_P_REJECT,
		DMARC_P_NONE},
	    {"a.b.example.co.uk", "v=DMARC1; p=reject", 1, SPF_PASS,
		"other.co.uk", NULL, 0, 0, DMARC_FAIL, DMARC_P_REJECT,
		DMARC_P_REJECT},
	    /* pct: 100 always, 0 never (one step down), 50 by the coin */
	    {"example.com", "v=DMARC1; p=reject; pct=100", 0, SPF_NONE, NULL,
		NULL, 0, 99, DMARC_FAIL, DMARC_P_REJECT, DMARC_P_REJECT},
	    {"example.com", "v=DMARC1; p=reject; pct=0", 0, SPF_NONE, NULL,
		NULL, 0, 0, DMARC_FAIL, DMARC_P_REJECT, DMARC_P_QUARANTINE},
	    {"example.com", "v=DMARC1; p=quarantine; pct=0", 0, SPF_NONE, NULL,
		NULL, 0, 0, DMARC_FAIL, DMARC_P_QUARANTINE, DMARC_P_NONE},
	    {"example.com", "v=DMARC1; p=reject; pct=50", 0, SPF_NONE, NULL,
		NULL, 0, 49, DMARC_FAIL, DMARC_P_REJECT, DMARC_P_REJECT},
	    {"example.com", "v=DMARC1; p=reject; pct=50", 0, SPF_NONE, NULL,
		NULL, 0, 50, DMARC_FAIL, DMARC_P_REJECT, DMARC_P_QUARANTINE},
	    {"example.com", "v=DMARC1; p=quarantine; pct=50", 0, SPF_NONE, NULL,
		NULL, 0, 50, DMARC_FAIL, DMARC_P_QUARANTINE, DMARC_P_NONE},
	    /* pct does not touch a pass */
	    {"example.com", "v=DMARC1; p=reject; pct=50", 0, SPF_PASS,
		"example.com", NULL, 0, 50, DMARC_PASS, DMARC_P_REJECT,
		DMARC_P_NONE},
	    /* no record: none */
	    {"example.com", NULL, 0, SPF_FAIL, "example.com", NULL, 0, 0,
		DMARC_NONE, DMARC_P_NONE, DMARC_P_NONE},
	    /* p=none fails with nothing to do */
	    {"example.com", "v=DMARC1; p=none", 0, SPF_FAIL, "example.com",
		NULL, 0, 0, DMARC_FAIL, DMARC_P_NONE, DMARC_P_NONE},
	    /* the §6.6.3 fallback: p=none */
	    {"example.com", "v=DMARC1; p=bogus; rua=mailto:d@example.com", 0,
		SPF_FAIL, "example.com", NULL, 0, 0, DMARC_FAIL, DMARC_P_NONE,
		DMARC_P_NONE},
	};
	struct dmarc_psl *psl;
	struct dmarc_found *f;
	struct dmarc_auth a;
	struct dmarc_dkim dk;
	struct dmarc_verdict v;
	char err[ERR_MAX], org[DNS_NAME_MAX + 1];
	size_t i;
	int c;

	psl = dmarc_psl_load();
	ATF_REQUIRE(psl != NULL);
	f = calloc(1, sizeof(*f));
	ATF_REQUIRE(f != NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(f, 0, sizeof(*f));
		(void)util_strlcpy(f->domain, t[i].from, sizeof(f->domain));
		ATF_REQUIRE(
		    dmarc_org_domain(psl, t[i].from, org, sizeof(org)) == 0);
		(void)util_strlcpy(f->org, org, sizeof(f->org));
		f->at_org = t[i].at_org;
		f->result = DMARC_NONE;
		if (t[i].record != NULL) {
			ATF_REQUIRE_MSG(
			    dmarc_parse(t[i].record, strlen(t[i].record),
				&f->rec, err, sizeof(err)) == 0,
			    "%zu: %s", i, err);
			f->result = DMARC_PASS;
		}
		memset(&a, 0, sizeof(a));
		a.spf_result = t[i].spf;
		a.spf_domain = t[i].mailfrom;
		if (t[i].d != NULL) {
			dk.domain = t[i].d;
			dk.pass = t[i].dkim_pass;
			a.dkim = &dk;
			a.ndkim = 1;
		}
		c = t[i].coin;
		a.random = coin;
		a.random_arg = &c;
		ATF_CHECK_EQ_MSG(dmarc_evaluate(psl, f, &a, &v), t[i].result,
		    "%zu %s: %s", i, t[i].from, v.why);
		ATF_CHECK_EQ_MSG(v.result, t[i].result, "%zu", i);
		if (t[i].result == DMARC_NONE)
			continue;
		ATF_CHECK_EQ_MSG(v.policy, t[i].policy, "%zu policy %s", i,
		    dmarc_policy_str(v.policy));
		ATF_CHECK_EQ_MSG(v.disposition, t[i].disposition,
		    "%zu disposition %s: %s", i,
		    dmarc_policy_str(v.disposition), v.why);
		ATF_CHECK_MSG(v.why[0] != '\0', "%zu why", i);
	}
	free(f);
	dmarc_psl_free(psl);
}

ATF_TC_WITHOUT_HEAD(words);
ATF_TC_BODY(words, tc)
{
	ATF_CHECK_STREQ(dmarc_result_str(DMARC_NONE), "none");
	ATF_CHECK_STREQ(dmarc_result_str(DMARC_PASS), "pass");
	ATF_CHECK_STREQ(dmarc_result_str(DMARC_FAIL), "fail");
	ATF_CHECK_STREQ(dmarc_result_str(DMARC_TEMPERROR), "temperror");
	ATF_CHECK_STREQ(dmarc_result_str(DMARC_PERMERROR), "permerror");
	ATF_CHECK_STREQ(dmarc_policy_str(DMARC_P_QUARANTINE), "quarantine");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, is_record);
	ATF_TP_ADD_TC(tp, select_one);
	ATF_TP_ADD_TC(tp, parse_table);
	ATF_TP_ADD_TC(tp, parse_fields);
	ATF_TP_ADD_TC(tp, org_domain);
	ATF_TP_ADD_TC(tp, aligned);
	ATF_TP_ADD_TC(tp, evaluate_table);
	ATF_TP_ADD_TC(tp, words);
	return atf_no_error();
}
