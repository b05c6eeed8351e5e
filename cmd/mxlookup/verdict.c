/*
 * verdict.c: mxlookup --dmarc FROM [--spf-pass DOMAIN] [--dkim-pass
 * DOMAIN]...: the DMARC result (RFC 7489) a receiver would reach for a
 * message from FROM's domain, given the domain SPF passed for (the MAIL
 * FROM domain) and the d= domains of the DKIM signatures that verified.
 * The record is discovered in the DNS (common/dmarc); the rest is
 * dmarc_evaluate.  Prints the result word, the policy and what to do
 * with the message; the exit code is the result.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bounds.h"
#include "dmarc.h"
#include "mxlookup.h"
#include "spf.h"

/* The exit code of each result, as --spf's: verdicts small, errors
   their <sysexits.h> meaning (the manual's EXIT STATUS says the same). */
static const struct {
	int result;
	int code;
} verdict_exits[] = {
    {DMARC_PASS, 0},
    {DMARC_FAIL, 1},
    {DMARC_NONE, 4},
    {DMARC_PERMERROR, EX_DATAERR},
    {DMARC_TEMPERROR, EX_TEMPFAIL},
};

static int
verdict_exit(int result)
{
	size_t i;

	for (i = 0; i < sizeof(verdict_exits) / sizeof(verdict_exits[0]); i++)
		if (verdict_exits[i].result == result)
			return verdict_exits[i].code;
	return EX_SOFTWARE;
}

int
verdict_main(
    struct dns_resolver *r, const char *from, const struct verdict_opts *o)
{
	struct dmarc_dkim dk[POLICY_SELECTORS_MAX];
	struct dmarc_found *f;
	struct dmarc_verdict v;
	struct dmarc_auth a;
	struct dmarc_psl *psl;
	const char *at;
	int i, ex;

	if ((at = strrchr(from, '@')) != NULL)
		from = at + 1;
	if ((f = malloc(sizeof(*f))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return EX_OSERR;
	}
	psl = dmarc_psl_load();
	memset(&a, 0, sizeof(a));
	a.spf_result = o->spf_pass != NULL ? SPF_PASS : SPF_NONE;
	a.spf_domain = o->spf_pass;
	for (i = 0; i < o->ndkim; i++) {
		dk[i].domain = o->dkim_pass[i];
		dk[i].pass = 1;
	}
	a.dkim = dk;
	a.ndkim = o->ndkim;
	(void)dmarc_lookup(r, psl, from, f);
	(void)dmarc_evaluate(psl, f, &a, &v);
	printf("%s\n", dmarc_result_str(v.result));
	if (f->result == DMARC_PASS) {
		printf("policy: %s (%s= of %s)\n", dmarc_policy_str(v.policy),
		    v.subdomain ? "sp" : "p", f->where);
		if (v.result == DMARC_FAIL)
			printf("disposition: %s%s\n",
			    dmarc_policy_str(v.disposition),
			    v.sampled ? "" : " (not sampled by pct)");
		if (o->verbose) {
			printf("organizational domain: %s\n", f->org);
			printf("why: %s\n", v.why);
		}
	} else
		fprintf(stderr, "%s: %s: DMARC %s: %s\n", PROG,
		    f->domain[0] != '\0' ? f->domain : from,
		    dmarc_result_str(v.result), v.why);
	ex = verdict_exit(v.result);
	dmarc_psl_free(psl);
	free(f);
	return ex;
}
