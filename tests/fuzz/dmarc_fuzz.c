/*
 * dmarc_fuzz: the pure parts of common/dmarc (RFC 7489).  The input's
 * first byte picks pct's coin and the SPF outcome; the rest goes through
 * record selection and the tag parser, and (up to its first NUL) through
 * the organizational domain and alignment, and a verdict is made from
 * the record.  Checks the promises, not only the absence of crashes: a
 * parsed record has its values in range (policies, r or s, pct 0-100),
 * its warnings and shown URIs are lines without control characters
 * within their bounds (the input's octets are shown as ASCII);
 * a record the selection refuses does not parse; an organizational
 * domain is a suffix of the lower-cased name; a name is aligned with
 * itself in both modes; a verdict's disposition is never harsher than
 * the policy, and a pass applies none.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "dns.h"
#include "spf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			abort();
	if (i >= max)
		abort();
}

static int
fixed_coin(void *arg)
{
	return *(int *)arg;
}

static void
check_record(const struct dmarc_record *rec)
{
	int i;

	if (rec->p < DMARC_P_NONE || rec->p > DMARC_P_REJECT ||
	    rec->sp < DMARC_P_NONE || rec->sp > DMARC_P_REJECT)
		abort();
	if ((rec->adkim != 'r' && rec->adkim != 's') ||
	    (rec->aspf != 'r' && rec->aspf != 's'))
		abort();
	if (rec->pct < 0 || rec->pct > DMARC_PCT_MAX)
		abort();
	if (rec->ri > DMARC_RI_MAX || rec->nrua < 0 || rec->nruf < 0)
		abort();
	if (rec->p_fallback && (rec->nrua == 0 || rec->p != DMARC_P_NONE))
		abort();
	if (!rec->sp_given && rec->sp != rec->p)
		abort();
	if (rec->nwarn < 0 || rec->nwarn > DMARC_WARN_MAX)
		abort();
	for (i = 0; i < rec->nwarn; i++)
		printable(rec->warn[i], DMARC_WARN_LEN);
	printable(rec->rua, DMARC_SHOW_MAX);
	printable(rec->ruf, DMARC_SHOW_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct dmarc_found f;
	static struct dns_txt txt[2];
	struct dmarc_auth a;
	struct dmarc_dkim dk;
	struct dmarc_verdict v;
	char err[ERR_MAX], org[DNS_NAME_MAX + 1], low[DNS_NAME_MAX + 1];
	const char *s;
	size_t slen, ol;
	int rc, c;

	if (n == 0)
		return 0;
	c = d[0] % 100;
	s = (const char *)d + 1;
	n--;

	memset(&f, 0, sizeof(f));
	rc = dmarc_parse(s, n, &f.rec, err, sizeof(err));
	if (rc == 0) {
		if (!dmarc_is_record(s, n))
			abort();
		check_record(&f.rec);
	} else {
		if (rc != -1)
			abort();
		printable(err, sizeof(err));
	}

	/* selection: the input as one record, and twice */
	if (n <= DNS_TXT_LEN_MAX) {
		memcpy(txt[0].data, s, n);
		txt[0].data[n] = '\0';
		txt[0].len = n;
		txt[1] = txt[0];
		rc = dmarc_select(txt, 1, err, sizeof(err));
		if (rc != (dmarc_is_record(s, n) ? 0 : -1))
			abort();
		rc = dmarc_select(txt, 2, err, sizeof(err));
		if (rc != (dmarc_is_record(s, n) ? -2 : -1))
			abort();
	}

	/* the name: up to the first NUL */
	slen = strnlen(s, n);
	if (slen > DNS_NAME_MAX)
		slen = DNS_NAME_MAX;
	memcpy(low, s, slen);
	low[slen] = '\0';
	if (dmarc_org_domain(NULL, low, org, sizeof(org)) == 0) {
		util_lower(low);
		if (slen > 0 && low[slen - 1] == '.')
			low[--slen] = '\0';
		ol = strlen(org);
		if (ol == 0 || ol > slen || strcmp(low + slen - ol, org) != 0 ||
		    (ol < slen && low[slen - ol - 1] != '.'))
			abort();
		if (!dmarc_aligned(NULL, low, low, 's') ||
		    !dmarc_aligned(NULL, low, org, 'r'))
			abort();
	}

	/* a verdict from the record, the name as From and DKIM d= */
	if (f.rec.nwarn >= 0 && dmarc_is_record(s, n) &&
	    dmarc_parse(s, n, &f.rec, err, sizeof(err)) == 0) {
		f.result = DMARC_PASS;
		(void)util_strlcpy(
		    f.domain, "mail.example.com", sizeof(f.domain));
		(void)util_strlcpy(f.org, "example.com", sizeof(f.org));
		f.at_org = c & 1;
		memset(&a, 0, sizeof(a));
		a.spf_result = c % 7;
		a.spf_domain = (c & 2) ? "example.com" : "example.net";
		dk.domain = low;
		dk.pass = (c & 4) != 0;
		a.dkim = &dk;
		a.ndkim = 1;
		a.random = fixed_coin;
		a.random_arg = &c;
		rc = dmarc_evaluate(NULL, &f, &a, &v);
		if (rc != DMARC_PASS && rc != DMARC_FAIL)
			abort();
		if (v.disposition > v.policy ||
		    (rc == DMARC_PASS && v.disposition != DMARC_P_NONE))
			abort();
		printable(v.why, sizeof(v.why));
	}
	return 0;
}
