/*
 * dmarc.h: Domain-based Message Authentication, Reporting and
 * Conformance, RFC 7489.  The policy record (§6.3, §6.4), its discovery
 * (§6.6.3: _dmarc.<From domain>, then _dmarc.<organizational domain>),
 * the organizational domain from the Public Suffix List through libpsl
 * (§3.2), identifier alignment (§3.1) and the result with the policy to
 * apply (§6.6.2, §6.6.4, pct and sp of §6.3).
 *
 * The pure parts have no I/O and no DNS: record selection and parsing
 * (dmarc_is_record, dmarc_select, dmarc_parse), the organizational
 * domain (dmarc_org_domain), alignment (dmarc_aligned) and the
 * evaluation given a record and the SPF and DKIM outcomes
 * (dmarc_evaluate).  dmarc_lookup asks the DNS.  Nothing here prints
 * or exits.
 *
 * Domains handed to this module are ASCII (A-labels for IDNs,
 * dns_to_ascii), without the trailing dot, in any case.
 */
#ifndef YUBIN_DMARC_H
#define YUBIN_DMARC_H

#include <stddef.h>

#include "bounds.h"

struct dns_resolver;
struct dns_txt;

/* §6.3 p= and sp= (and a disposition: the policy applied). */
enum dmarc_policy { DMARC_P_NONE = 0, DMARC_P_QUARANTINE, DMARC_P_REJECT };

/* The result (RFC 8601 §2.7.1's words). */
enum dmarc_result {
	DMARC_NONE = 0, /* no policy record: DMARC does not apply */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR, /* the DNS did not answer: try again later */
	DMARC_PERMERROR /* a record, but none usable (several, broken) */
};

/* §6.3 fo= options. */
#define DMARC_FO_0 0x01 /* report when all mechanisms fail (default) */
#define DMARC_FO_1 0x02 /* report when any mechanism fails */
#define DMARC_FO_D 0x04 /* report DKIM failures */
#define DMARC_FO_S 0x08 /* report SPF failures */

/* One policy record, parsed (dmarc_parse). */
struct dmarc_record {
	int p; /* enum dmarc_policy */
	int sp; /* enum dmarc_policy: p when sp= is absent */
	int sp_given; /* sp= was in the record */
	/* §6.6.3: p= missing or invalid (or sp= invalid) but a valid rua=:
	   taken as p=none. */
	int p_fallback;
	int adkim, aspf; /* 'r' relaxed (default) or 's' strict */
	int pct; /* 0..100, default 100 */
	int fo; /* DMARC_FO_* (default DMARC_FO_0) */
	int rf_afrf; /* rf= lists afrf (the default) */
	unsigned long ri; /* seconds, default 86400 */
	int nrua, nruf; /* syntactically valid URIs in rua=, ruf= */
	/* rua= and ruf= as written, cut to fit, for display ("" none). */
	char rua[DMARC_SHOW_MAX];
	char ruf[DMARC_SHOW_MAX];
	int nunknown; /* unknown tags, ignored (§6.3) */
	/* What is wrong but does not stop the record (a tag's value that
	   does not parse, so its default is used; an unusable URI), in
	   plain words with how to fix it: one line each. */
	int nwarn;
	char warn[DMARC_WARN_MAX][DMARC_WARN_LEN];
};

/*
 * Does txt[0..len) begin with the version tag "v=DMARC1" (§6.4: "v",
 * optional spaces, "=", optional spaces, "DMARC1" in that case), then
 * the end, spaces or ';'?  1 or 0.  Records that do not are discarded
 * (§6.6.3 step 2).
 */
int dmarc_is_record(const char *txt, size_t len);

/*
 * §6.6.3 steps 2 and 4: among the TXT records of one _dmarc name, the
 * one DMARC record.  Its index; -1 when there is none; -2 (err set)
 * when there are several: no DMARC processing.
 */
int dmarc_select(const struct dns_txt *txt, int ntxt, char *err, size_t errlen);

/*
 * Parse a record (§6.3, §6.4): "v=DMARC1" first, then tag=value pairs
 * separated by ';', spaces around them allowed.  Unknown tags are
 * ignored; a known tag whose value does not parse gets its default and
 * a warning (§6.3: "syntax errors in the remainder of the record
 * SHOULD be discarded in favor of default values").  p= missing or
 * invalid, or sp= invalid: with a valid rua= the record is taken as
 * p=none (p_fallback); without, the record is not usable (§6.6.3).
 * 0, or -1 with err set (no DMARC record, or not usable).
 */
int dmarc_parse(const char *txt, size_t len, struct dmarc_record *rec,
    char *err, size_t errlen);

/*
 * The Public Suffix List (libpsl): the newest of libpsl's built-in list
 * and the system's (Debian's publicsuffix package).  Opaque; a NULL
 * list below means libpsl's built-in one.
 */
struct dmarc_psl;
struct dmarc_psl *dmarc_psl_load(void);
void dmarc_psl_free(struct dmarc_psl *psl);

/*
 * §3.2: the organizational domain of domain (ASCII, any case, one
 * trailing dot allowed): the public suffix and one label more, in lower
 * case ("a.b.example.co.uk" -> "example.co.uk").  A public suffix
 * itself ("co.uk") is its own.  0, or -1 (not a domain name, too long,
 * no list).
 */
int dmarc_org_domain(
    const struct dmarc_psl *psl, const char *domain, char *out, size_t outlen);

/*
 * §3.1: are a and b aligned: relaxed ('r', the same organizational
 * domain) or strict ('s', the same name)?  Case-insensitive.  1 or 0.
 */
int dmarc_aligned(
    const struct dmarc_psl *psl, const char *a, const char *b, int mode);

/* A DMARC policy looked up for a domain (dmarc_lookup). */
struct dmarc_found {
	int result; /* DMARC_NONE, DMARC_PASS (a usable record),
		       DMARC_TEMPERROR, DMARC_PERMERROR */
	char domain[DNS_NAME_MAX + 1]; /* the From domain, lower case */
	char org[DNS_NAME_MAX + 1]; /* its organizational domain */
	/* The record was found at _dmarc.<org>, not _dmarc.<domain>:
	   sp= applies when domain is not org (§6.3). */
	int at_org;
	char where[DNS_NAME_MAX + 1]; /* "_dmarc.example.com" */
	char text[DNS_TXT_LEN_MAX + 1]; /* the record as published */
	struct dmarc_record rec;
	char why[ERR_MAX]; /* why not, for none and the errors */
	int nqueries;
};

/*
 * §6.6.3: the policy record for the RFC5322.From domain: TXT at
 * _dmarc.<domain>, and when there is none (no record, or none that is
 * DMARC) and domain is not its organizational domain, at
 * _dmarc.<org>.  Fills f and returns f->result: DMARC_PASS here means
 * "a usable record was found".  A failure of the DNS is
 * DMARC_TEMPERROR; several records or an unusable one DMARC_PERMERROR.
 */
int dmarc_lookup(struct dns_resolver *r, const struct dmarc_psl *psl,
    const char *domain, struct dmarc_found *f);

/* One DKIM signature's outcome, for the evaluation. */
struct dmarc_dkim {
	const char *domain; /* its d= */
	int pass; /* it verified */
};

/* What SPF and DKIM found about a message. */
struct dmarc_auth {
	int spf_result; /* enum spf_result (spf.h) */
	const char *spf_domain; /* the MAIL FROM domain checked (§4.1) */
	int ndkim;
	const struct dmarc_dkim *dkim;
	/* pct's coin (§6.6.4): a number 0..99; NULL for util_random. */
	int (*random)(void *arg);
	void *random_arg;
};

/* The verdict (dmarc_evaluate). */
struct dmarc_verdict {
	int result; /* enum dmarc_result */
	int policy; /* enum dmarc_policy: what the record asks (p or sp) */
	int subdomain; /* sp= was the one that applied */
	/* enum dmarc_policy: what to do with the message: DMARC_P_NONE on
	   pass; on fail the policy, one step lower when pct did not pick
	   the message (§6.3 pct). */
	int disposition;
	int sampled; /* pct picked the message (1 when pct is 100) */
	int spf_aligned, dkim_aligned; /* an aligned pass of each */
	char why[ERR_MAX]; /* one line: what passed or why it failed */
};

/*
 * §6.6.2, §6.6.4: the verdict for a message whose From domain had f
 * looked up, given what SPF and DKIM found.  Pure: no DNS.  f->result
 * other than DMARC_PASS gives that result (none, temperror, permerror)
 * with no policy applied.  Returns v->result.
 */
int dmarc_evaluate(const struct dmarc_psl *psl, const struct dmarc_found *f,
    const struct dmarc_auth *a, struct dmarc_verdict *v);

/* "none", "pass", "fail", "temperror", "permerror". */
const char *dmarc_result_str(int result);
/* "none", "quarantine", "reject". */
const char *dmarc_policy_str(int policy);

#endif
