/*
 * spf.h: Sender Policy Framework, RFC 7208.  check_host() (§4) with
 * every mechanism (§5: all, include, a, mx, ptr, ip4, ip6, exists), the
 * modifiers redirect= and exp= (§6), macros (§7) and the processing
 * limits of §4.6.4 (SPF_* in bounds.h), over common/dns.
 *
 * The pure parts are apart from the DNS and have no I/O: record
 * selection (spf_is_record), the record parser (spf_parse: the whole
 * record is checked before anything is evaluated, §4.6), the domain-spec
 * grammar (spf_domain_spec_valid, §7.1) and macro expansion (spf_expand,
 * §7.3).  spf_check never prints: what it tries and what the DNS answers
 * go to a trace callback, for a person asking why (mxlookup -v).
 */
#ifndef YUBIN_SPF_H
#define YUBIN_SPF_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

struct dns_resolver;

/* §2.6: the results.  SPF_NONE is 0 so that a zeroed outcome says none. */
enum spf_result {
	SPF_NONE = 0,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR
};

/* §5: the mechanisms. */
enum spf_mech {
	SPF_M_ALL = 1,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS
};

/* One mechanism of a record; the pointers are into the record's text. */
struct spf_term {
	int mech; /* enum spf_mech */
	int qual; /* §4.6.2: SPF_PASS +, FAIL -, SOFTFAIL ~, NEUTRAL ? */
	const char *text; /* the term as written, for traces */
	size_t textlen;
	const char *spec; /* its domain-spec (§7.1); NULL when none given */
	size_t speclen;
	int cidr4, cidr6; /* prefix lengths, 32 and 128 when not given */
	unsigned char net[16]; /* ip4: 4 bytes, ip6: 16 */
};

/* One record, parsed (spf_parse). */
struct spf_record {
	int nterms;
	struct spf_term term[SPF_TERMS_MAX];
	const char *redirect; /* domain-spec of redirect= (§6.1), or NULL */
	size_t redirectlen;
	const char *exp; /* domain-spec of exp= (§6.2), or NULL */
	size_t explen;
	int nunknown; /* unknown modifiers, ignored (§6) */
};

/*
 * §4.5: is rec[0..len) an SPF record: "v=spf1" in any case, then a space
 * or the end?
 */
int spf_is_record(const char *rec, size_t len);

/*
 * Parse and check a whole record (§4.6, §5, §6).  0, or -1 with err set:
 * check_host() gives permerror.  Any octets are taken: len is the end.
 */
int spf_parse(const char *rec, size_t len, struct spf_record *out, char *err,
    size_t errlen);

/* What the macro letters (§7.2) stand for. */
struct spf_macro {
	const char *s; /* <sender> */
	const char *l; /* its local-part ("postmaster" when empty) */
	const char *o; /* its domain */
	const char *d; /* <domain>, the one being checked now */
	const char *h; /* HELO/EHLO domain */
	const char *r; /* receiving host (exp only); NULL: "unknown" */
	long long t; /* current time (exp only) */
	int family; /* AF_INET or AF_INET6: "i", "c", "v" */
	unsigned char ip[16];
	/* "p": the validated name, or NULL to ask get_p (which fills out
	   and never fails: "unknown" when there is none). */
	const char *p;
	void (*get_p)(void *arg, char *out, size_t outlen);
	void *arg;
};

/*
 * §7.3: expand the macro-string in[0..len).  exp: it is explanation
 * text (§6.2: spaces and the letters c, r and t allowed).  m NULL:
 * check the syntax only.  0, or -1 with err set (a syntax error, or an
 * expansion longer than outlen - 1).
 */
int spf_expand(const char *in, size_t len, int exp, const struct spf_macro *m,
    char *out, size_t outlen, char *err, size_t errlen);

/*
 * §7.1: is in[0..len) a domain-spec: a macro-string whose end is a
 * macro or "." and a toplabel (with one dot allowed after it), with no
 * letter but those of §7.2 outside explanations?  0, or -1 with err.
 */
int spf_domain_spec_valid(const char *in, size_t len, char *err, size_t errlen);

/*
 * An expanded domain-spec as a name to look up (§7.3, §4.8): one
 * trailing dot dropped, labels taken off the left until it is at most
 * SPF_DOMAIN_MAX octets.  0, or -1 when the rest is no domain name (an
 * empty or too long label): it is then taken as one that does not exist.
 */
int spf_domain_cut(const char *in, char *out, size_t outlen);

/*
 * §4.3: may the domain of MAIL FROM or HELO be checked at all (else the
 * result is none): at least two labels of 1 to 63 octets, at most 253,
 * and the last a toplabel (§7.1, which also turns away "[192.0.2.1]")?
 */
int spf_domain_valid(const char *domain);

/* A trace event, for a person reading why (mxlookup -v). */
enum spf_event_kind {
	SPF_EV_CHECK, /* check_host() starts for a domain */
	SPF_EV_RECORD, /* the record found */
	SPF_EV_TERM, /* a term tried, and its outcome */
	SPF_EV_DNS, /* a DNS answer */
	SPF_EV_RESULT, /* check_host() ends for a domain */
	SPF_EV_NOTE /* anything else worth saying */
};

struct spf_event {
	int kind; /* enum spf_event_kind */
	int depth; /* 0 for the domain checked, 1 in its include/redirect */
	const char *domain; /* the domain being checked */
	const char *text; /* one line, no control characters */
	int lookups; /* DNS-querying terms so far (§4.6.4) */
	int voids; /* void lookups so far (§4.6.4) */
};

/* One check (§4.1's arguments, and the context macros need). */
struct spf_request {
	int family; /* AF_INET or AF_INET6 (IPv4-mapped is taken as IPv4) */
	unsigned char ip[16];
	const char *sender; /* MAIL FROM's address; "" for the null path */
	const char *helo; /* HELO/EHLO domain; NULL: "unknown" */
	const char *receiver; /* for %{r}; NULL: "unknown" */
	long long now; /* for %{t}; 0: time(NULL) */
	void (*trace)(void *arg, const struct spf_event *ev);
	void *trace_arg;
};

struct spf_outcome {
	int result; /* enum spf_result */
	/* The identity checked: MAIL FROM, or postmaster@HELO when MAIL FROM
	   is empty (§2.4), and its domain. */
	char sender[SMTP_PATH_MAX + DNS_NAME_MAX + 16];
	char domain[DNS_NAME_MAX + 1];
	char mech[256]; /* the term that decided, "" when none did */
	char exp[SPF_EXPAND_MAX]; /* §6.2 explanation on fail, or "" */
	char why[ERR_MAX]; /* for none, temperror, permerror */
	int lookups, voids, queries;
};

/*
 * check_host() (§4) for req: the domain of its sender, or of HELO when
 * the sender is empty, asked through r.  Fills out and returns its
 * result.
 */
int spf_check(struct dns_resolver *r, const struct spf_request *req,
    struct spf_outcome *out);

/* "pass", "fail", ... (§2.6, as in Received-SPF). */
const char *spf_result_str(int result);

#endif
