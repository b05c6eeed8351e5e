/*
 * policy.c: mxlookup --policy DOMAIN.  The mail policies a domain
 * publishes, each checked and explained, one finding a line:
 *
 *	WHAT: ok|note|problem|unknown: text
 *
 * SPF (RFC 7208: the record parsed by common/spf, then check_host() for
 * an address it does not list, to count its lookups), DMARC (RFC 7489,
 * common/dmarc: the record and the organizational domain it came
 * from), MTA-STS (RFC 8461, common/mtasts: the _mta-sts record, the
 * policy fetched over HTTPS and the MX hosts against it), TLS-RPT (RFC
 * 8460: _smtp._tls), the MX hosts' TLSA records (RFC 7672) and whether
 * the answers were DNSSEC-validated, and the DKIM keys of the
 * selectors asked for (dkimkey.c).  A problem is something published
 * that receivers or senders will find missing or broken; a note is
 * something a person may want to change.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <curl/curl.h>

#include "bounds.h"
#include "buf.h"
#include "dmarc.h"
#include "dns.h"
#include "mtasts.h"
#include "mxlookup.h"
#include "spf.h"
#include "util.h"

/* RFC 8461 §3.2: max_age should be weeks; under a day we say so. */
#define STS_MAX_AGE_LOW 86400L

void
policy_say(
    struct policy_ctx *c, const char *what, int level, const char *fmt, ...)
{
	static const char *const words[] = {
	    "ok", "note", "problem", "unknown", "unknown"};
	va_list ap;

	switch (level) {
	case L_NOTE: c->notes++; break;
	case L_PROBLEM: c->problems++; break;
	case L_UNKNOWN: c->unknown++; break;
	case L_UNCHECKED: c->unchecked++; break;
	default: break;
	}
	printf("%s: %s: ", what, words[level]);
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *
policy_show(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, j = 0;

	for (i = 0; i < n && j + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[j++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (i < n) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

int
policy_txt(struct policy_ctx *c, const char *what, const char *name)
{
	char err[ERR_MAX];
	int st;

	st = dns_query(c->r, name, DNS_T_TXT, c->ans, err, sizeof(err));
	if (st == DNS_TEMPFAIL)
		policy_say(
		    c, what, L_UNKNOWN, "%s: %s (try again later)", name, err);
	else if (st == DNS_BADNAME)
		policy_say(c, what, L_PROBLEM, "%s: %s", name, err);
	return st;
}

/* ---------------------------------------------------------------- SPF */

static void
check_spf(struct policy_ctx *c)
{
	char s[SHOW_MAX], err[ERR_MAX];
	struct spf_record *rec;
	struct spf_request req;
	struct spf_outcome *out;
	const struct spf_term *all = NULL;
	char sender[DNS_NAME_MAX + 16];
	int i, n = 0, idx = -1, ptr = 0;

	if (policy_txt(c, "SPF", c->domain) == DNS_TEMPFAIL)
		return;
	for (i = 0; i < c->ans->ntxt; i++)
		if (spf_is_record(c->ans->txt[i].data, c->ans->txt[i].len)) {
			n++;
			idx = i;
		}
	if (n == 0) {
		policy_say(c, "SPF", L_PROBLEM,
		    "no SPF record at %s: receivers cannot tell which hosts "
		    "may send its mail; publish a TXT record such as "
		    "\"v=spf1 mx -all\" listing your sending hosts",
		    c->domain);
		return;
	}
	if (n > 1) {
		policy_say(c, "SPF", L_PROBLEM,
		    "%d SPF records at %s: receivers give permerror (RFC 7208 "
		    "§4.5); merge them into one",
		    n, c->domain);
		return;
	}
	policy_say(c, "SPF", L_OK, "record at %s: \"%s\"", c->domain,
	    policy_show(
		c->ans->txt[idx].data, c->ans->txt[idx].len, s, sizeof(s)));
	if ((rec = malloc(sizeof(*rec))) == NULL ||
	    (out = malloc(sizeof(*out))) == NULL) {
		free(rec);
		policy_say(c, "SPF", L_UNKNOWN, "out of memory");
		return;
	}
	if (spf_parse(c->ans->txt[idx].data, c->ans->txt[idx].len, rec, err,
		sizeof(err)) != 0) {
		policy_say(c, "SPF", L_PROBLEM,
		    "the record does not parse: %s; receivers give permerror "
		    "for all its mail: fix the record",
		    err);
		free(rec);
		free(out);
		return;
	}
	for (i = 0; i < rec->nterms; i++) {
		if (rec->term[i].mech == SPF_M_ALL && all == NULL)
			all = &rec->term[i];
		if (rec->term[i].mech == SPF_M_PTR)
			ptr = 1;
	}
	if (all == NULL && rec->redirect == NULL)
		policy_say(c, "SPF", L_NOTE,
		    "no \"all\" term: mail from hosts not listed gets "
		    "neutral; end the record with -all (or ~all while "
		    "testing)");
	else if (all != NULL && all->qual == SPF_PASS)
		policy_say(c, "SPF", L_PROBLEM,
		    "+all lets any host on the Internet send as %s: end the "
		    "record with -all",
		    c->domain);
	else if (all != NULL && all->qual == SPF_NEUTRAL)
		policy_say(c, "SPF", L_NOTE,
		    "?all: mail from hosts not listed gets neutral, which "
		    "protects nothing; end the record with -all or ~all");
	else if (all != NULL && all->qual == SPF_SOFTFAIL)
		policy_say(c, "SPF", L_NOTE,
		    "~all: mail from hosts not listed is only marked "
		    "(softfail); -all has it refused once you are sure the "
		    "record lists every sending host");
	else if (all != NULL)
		policy_say(
		    c, "SPF", L_OK, "-all: mail from hosts not listed fails");
	if (ptr)
		policy_say(c, "SPF", L_NOTE,
		    "the ptr mechanism is slow and unreliable and should not "
		    "be used (RFC 7208 §5.5): list ip4:, ip6:, a or mx "
		    "instead");
	/* check_host() for an address no record lists: every term and
	   include is tried, and the lookups counted (§4.6.4). */
	memset(&req, 0, sizeof(req));
	req.family = AF_INET; /* 0.0.0.0 */
	(void)snprintf(sender, sizeof(sender), "postmaster@%s", c->domain);
	req.sender = sender;
	req.helo = c->domain;
	(void)spf_check(c->r, &req, out);
	if (out->result == SPF_PERMERROR)
		policy_say(c, "SPF", L_PROBLEM,
		    "checking it gives permerror: %s; receivers then treat "
		    "its mail as having no valid SPF: fix the record",
		    out->why);
	else if (out->result == SPF_TEMPERROR)
		policy_say(c, "SPF", L_UNKNOWN,
		    "checking it gives temperror: %s (try again later)",
		    out->why);
	else
		policy_say(c, "SPF",
		    out->lookups > SPF_LOOKUPS_MAX - 2 ? L_NOTE : L_OK,
		    "%d of %d DNS-querying terms, %d of %d void lookups "
		    "(includes and redirects counted)%s",
		    out->lookups, SPF_LOOKUPS_MAX, out->voids, SPF_VOID_MAX,
		    out->lookups > SPF_LOOKUPS_MAX - 2
			? ": close to the limit; one more include may "
			  "give permerror"
			: "");
	free(rec);
	free(out);
}

/* ---------------------------------------------------------------- DMARC */

static void
check_dmarc(struct policy_ctx *c)
{
	struct dmarc_found *f;
	const struct dmarc_record *rec;
	char s[SHOW_MAX];
	int i;

	if ((f = malloc(sizeof(*f))) == NULL) {
		policy_say(c, "DMARC", L_UNKNOWN, "out of memory");
		return;
	}
	(void)dmarc_lookup(c->r, c->psl, c->domain, f);
	switch (f->result) {
	case DMARC_NONE:
		policy_say(c, "DMARC", L_PROBLEM,
		    "%s: receivers apply no policy and send no reports; "
		    "publish TXT \"v=DMARC1; p=none; rua=mailto:dmarc@%s\" "
		    "at _dmarc.%s, then move to p=quarantine or p=reject",
		    f->why, f->org[0] != '\0' ? f->org : c->domain,
		    f->org[0] != '\0' ? f->org : c->domain);
		free(f);
		return;
	case DMARC_TEMPERROR:
		policy_say(
		    c, "DMARC", L_UNKNOWN, "%s (try again later)", f->why);
		free(f);
		return;
	case DMARC_PERMERROR:
		policy_say(c, "DMARC", L_PROBLEM, "%s", f->why);
		free(f);
		return;
	default: break;
	}
	rec = &f->rec;
	policy_say(c, "DMARC", L_OK, "record at %s: \"%s\"", f->where,
	    policy_show(f->text, strlen(f->text), s, sizeof(s)));
	if (f->at_org)
		policy_say(c, "DMARC", L_OK,
		    "%s has no record of its own: the one of its "
		    "organizational domain %s applies, with sp=%s",
		    f->domain, f->org, dmarc_policy_str(rec->sp));
	else if (strcmp(f->domain, f->org) != 0)
		policy_say(c, "DMARC", L_OK,
		    "the record is %s's own (its organizational domain is "
		    "%s)",
		    f->domain, f->org);
	else
		policy_say(c, "DMARC", L_OK,
		    "%s is an organizational domain (Public Suffix List): "
		    "p=%s for it, sp=%s for its subdomains",
		    f->domain, dmarc_policy_str(rec->p),
		    dmarc_policy_str(rec->sp));
	for (i = 0; i < rec->nwarn; i++)
		policy_say(c, "DMARC", L_PROBLEM, "%s", rec->warn[i]);
	if ((f->at_org ? rec->sp : rec->p) == DMARC_P_NONE && !rec->p_fallback)
		policy_say(c, "DMARC", L_NOTE,
		    "%s=none only monitors: failing mail is delivered as "
		    "usual; once the reports show all your mail passes, "
		    "move to quarantine, then reject",
		    f->at_org ? "sp" : "p");
	if (rec->pct < DMARC_PCT_MAX)
		policy_say(c, "DMARC", L_NOTE,
		    "pct=%d: the policy is applied to %d%% of failing mail, "
		    "the rest gets the next milder one; raise it to 100 "
		    "when ready",
		    rec->pct, rec->pct);
	if (rec->nrua == 0)
		policy_say(c, "DMARC", L_NOTE,
		    "no rua=: you get no aggregate reports and cannot see "
		    "who sends as you; add rua=mailto:dmarc@%s",
		    f->org);
	if (rec->adkim == 's' || rec->aspf == 's')
		policy_say(c, "DMARC", L_NOTE,
		    "strict alignment (%s%s%s): a subdomain in MAIL FROM or "
		    "DKIM d= does not align; relaxed is usual",
		    rec->adkim == 's' ? "adkim=s" : "",
		    rec->adkim == 's' && rec->aspf == 's' ? ", " : "",
		    rec->aspf == 's' ? "aspf=s" : "");
	free(f);
}

/* ---------------------------------------------------------------- MTA-STS */

static void
check_mtasts(struct policy_ctx *c)
{
	struct mtasts_fetch_opts fo;
	struct mtasts_policy *pol;
	struct buf body;
	char name[DNS_NAME_MAX + 16], id[MTASTS_ID_MAX + 1], err[ERR_MAX];
	char s[SHOW_MAX], pats[SHOW_MAX];
	int st, i, rc, shown = 0, bad = 0;

	(void)snprintf(name, sizeof(name), "_mta-sts.%s", c->domain);
	st = policy_txt(c, "MTA-STS", name);
	if (st == DNS_TEMPFAIL || st == DNS_BADNAME)
		return;
	for (i = 0; st == DNS_OK && i < c->ans->ntxt; i++) {
		rc = mtasts_txt_parse(c->ans->txt[i].data, c->ans->txt[i].len,
		    id, sizeof(id), err, sizeof(err));
		if (rc != 0) {
			policy_say(c, "MTA-STS", rc == 1 ? L_OK : L_PROBLEM,
			    "record at %s: \"%s\"%s%s", name,
			    policy_show(c->ans->txt[i].data, c->ans->txt[i].len,
				s, sizeof(s)),
			    rc == 1 ? "" : ": ", rc == 1 ? "" : err);
			shown++;
		}
	}
	if (shown == 0) {
		policy_say(c, "MTA-STS", L_NOTE,
		    "no MTA-STS record at %s: senders use TLS only when it "
		    "happens to work; to require it, publish a policy "
		    "(RFC 8461)",
		    name);
		return;
	}
	if (mtasts_txt_select(c->ans->txt, c->ans->ntxt, id, sizeof(id), err,
		sizeof(err)) != 0) {
		policy_say(c, "MTA-STS", L_PROBLEM,
		    "%s: senders take it as no MTA-STS; keep one valid "
		    "\"v=STSv1; id=...;\" record",
		    err);
		return;
	}
	memset(&fo, 0, sizeof(fo));
	fo.cafile = c->o->sts_cafile;
	fo.connect_to = c->o->sts_connect_to;
	fo.timeout_s = c->o->timeout;
	buf_init(&body, MTASTS_POLICY_MAX);
	if (mtasts_fetch(c->domain, &fo, &body, err, sizeof(err)) != 0) {
		policy_say(c, "MTA-STS", L_PROBLEM,
		    "the policy https://mta-sts.%s/.well-known/mta-sts.txt "
		    "cannot be fetched: %s; senders then apply no MTA-STS: "
		    "serve it over HTTPS with a certificate for mta-sts.%s",
		    c->domain, err, c->domain);
		buf_free(&body);
		return;
	}
	if ((pol = malloc(sizeof(*pol))) == NULL) {
		policy_say(c, "MTA-STS", L_UNKNOWN, "out of memory");
		buf_free(&body);
		return;
	}
	if (mtasts_policy_parse(body.data, body.len, pol, err, sizeof(err)) !=
	    0) {
		policy_say(c, "MTA-STS", L_PROBLEM,
		    "the policy at https://mta-sts.%s/.well-known/"
		    "mta-sts.txt does not parse: %s; senders then apply no "
		    "MTA-STS: fix it",
		    c->domain, err);
		goto out;
	}
	pats[0] = '\0';
	for (i = 0; i < pol->nmx; i++) {
		if (i > 0)
			(void)util_strlcat(pats, " ", sizeof(pats));
		(void)util_strlcat(pats, pol->mx[i], sizeof(pats));
	}
	policy_say(c, "MTA-STS", L_OK, "policy: mode %s, max_age %ld, mx %s",
	    mtasts_mode_str(pol->mode), pol->max_age,
	    pol->nmx > 0 ? pats : "(none)");
	if (pol->mode == MTASTS_NONE)
		policy_say(c, "MTA-STS", L_NOTE,
		    "mode none: the policy is withdrawn; senders stop "
		    "applying it");
	else if (pol->mode == MTASTS_TESTING)
		policy_say(c, "MTA-STS", L_NOTE,
		    "mode testing: failures are only reported; switch to "
		    "enforce once the TLS-RPT reports are clean");
	if (pol->max_age < STS_MAX_AGE_LOW)
		policy_say(c, "MTA-STS", L_NOTE,
		    "max_age %ld is under a day: RFC 8461 §3.2 suggests "
		    "weeks (such as 1209600), so that an attacker cannot "
		    "wait the policy out",
		    pol->max_age);
	if (pol->mode == MTASTS_NONE)
		goto out;
	if (c->mx->status != DNS_MX_FOUND) {
		policy_say(c, "MTA-STS", L_PROBLEM,
		    "%s has no MX records: MTA-STS applies to MX hosts only "
		    "(RFC 8461 §4)",
		    c->domain);
		goto out;
	}
	for (i = 0; i < c->mx->nhost; i++)
		if (!mtasts_policy_match(pol, c->mx->host[i].name)) {
			bad++;
			policy_say(c, "MTA-STS",
			    pol->mode == MTASTS_ENFORCE ? L_PROBLEM : L_NOTE,
			    "MX host %s matches no mx pattern of the policy: "
			    "senders %s; add \"mx: %s\" to the policy",
			    c->mx->host[i].name,
			    pol->mode == MTASTS_ENFORCE
				? "will not deliver to it"
				: "report it",
			    c->mx->host[i].name);
		}
	if (bad == 0)
		policy_say(
		    c, "MTA-STS", L_OK, "every MX host matches the policy");
out:
	free(pol);
	buf_free(&body);
}

/* ---------------------------------------------------------------- TLS-RPT */

/* RFC 8460 §3: "v=TLSRPTv1" first, then ';'. */
static int
tlsrpt_is_record(const char *t, size_t n)
{
	size_t i = 10;

	if (n < 10 || memcmp(t, "v=TLSRPTv1", 10) != 0)
		return 0;
	while (i < n && (t[i] == ' ' || t[i] == '\t'))
		i++;
	return i == n || t[i] == ';';
}

/* One rua URI of TLS-RPT (§3): mailto:ADDR or https://HOST... */
static int
tlsrpt_uri_ok(const char *u, size_t n)
{
	const char *at;

	if (n > 7 && util_casecmp_n(u, "mailto:", 7) == 0) {
		at = memchr(u + 7, '@', n - 7);
		return at != NULL && at > u + 7 && at < u + n - 1;
	}
	return n > 8 && util_casecmp_n(u, "https://", 8) == 0;
}

static void
check_tlsrpt(struct policy_ctx *c)
{
	char name[DNS_NAME_MAX + 16], s[SHOW_MAX];
	const char *t, *v;
	size_t n, i, j, k, tl, vl;
	int st, idx = -1, cnt = 0, nuri = 0, rua = 0, bad = 0;

	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", c->domain);
	st = policy_txt(c, "TLS-RPT", name);
	if (st == DNS_TEMPFAIL || st == DNS_BADNAME)
		return;
	for (i = 0; st == DNS_OK && i < (size_t)c->ans->ntxt; i++)
		if (tlsrpt_is_record(c->ans->txt[i].data, c->ans->txt[i].len)) {
			cnt++;
			idx = (int)i;
		}
	if (cnt == 0) {
		policy_say(c, "TLS-RPT", L_NOTE,
		    "no TLS-RPT record at %s: you get no reports of senders "
		    "failing to reach you over TLS; publish "
		    "\"v=TLSRPTv1; rua=mailto:tlsrpt@%s\" (RFC 8460)",
		    name, c->domain);
		return;
	}
	if (cnt > 1) {
		policy_say(c, "TLS-RPT", L_PROBLEM,
		    "%d TLS-RPT records at %s: senders take it as none (RFC "
		    "8460 §3); keep one",
		    cnt, name);
		return;
	}
	t = c->ans->txt[idx].data;
	n = c->ans->txt[idx].len;
	policy_say(c, "TLS-RPT", L_OK, "record at %s: \"%s\"", name,
	    policy_show(t, n, s, sizeof(s)));
	for (i = 0; i <= n; i = j + 1) {
		for (j = i; j < n && t[j] != ';'; j++)
			;
		for (k = i; k < j && t[k] != '='; k++)
			;
		if (k >= j)
			continue;
		tl = k - i;
		while (tl > 0 && (t[i] == ' ' || t[i] == '\t')) {
			i++;
			tl--;
		}
		while (
		    tl > 0 && (t[i + tl - 1] == ' ' || t[i + tl - 1] == '\t'))
			tl--;
		if (!(tl == 3 && util_casecmp_n(t + i, "rua", 3) == 0))
			continue;
		rua = 1;
		for (v = t + k + 1; v < t + j; v += vl + 1) {
			const char *e = memchr(v, ',', (size_t)(t + j - v));

			vl =
			    (e != NULL ? (size_t)(e - v) : (size_t)(t + j - v));
			while (vl > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (
			    vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (tlsrpt_uri_ok(v, vl))
				nuri++;
			else {
				bad++;
				policy_say(c, "TLS-RPT", L_PROBLEM,
				    "rua= URI \"%s\" is neither mailto:ADDRESS "
				    "nor https://...: reports cannot be sent "
				    "there; fix it",
				    policy_show(v, vl, s, sizeof(s)));
			}
			if (e == NULL)
				break;
		}
		break;
	}
	if (!rua)
		policy_say(c, "TLS-RPT", L_PROBLEM,
		    "the record has no rua= (RFC 8460 §3 requires it): add "
		    "rua=mailto:tlsrpt@%s",
		    c->domain);
	else if (nuri > 0 && bad == 0)
		policy_say(c, "TLS-RPT", L_OK, "reports go to %d address%s",
		    nuri, nuri == 1 ? "" : "es");
	else if (nuri == 0 && bad == 0)
		policy_say(c, "TLS-RPT", L_PROBLEM,
		    "rua= is empty: add rua=mailto:tlsrpt@%s", c->domain);
}

/* ---------------------------------------------------------------- TLSA */

static void
check_tlsa_host(struct policy_ctx *c, const struct dns_mx_host *h)
{
	struct dns_tlsa_result *tr;
	char q[DNS_NAME_MAX + 16], err[ERR_MAX];
	int i, n, unusable = 0;

	if ((tr = malloc(sizeof(*tr))) == NULL) {
		policy_say(c, "TLSA", L_UNKNOWN, "out of memory");
		return;
	}
	(void)dns_tlsa_lookup(c->r, h->name, 25, tr);
	switch (tr->status) {
	case DNS_TLSA_FOUND:
		for (i = 0; i < tr->ntlsa; i++)
			if (tr->tlsa[i].usage < 2)
				unusable++;
		policy_say(c, "TLSA", L_OK,
		    "%s: %d TLSA record%s, DNSSEC-validated: DANE applies "
		    "to %s",
		    tr->qname, tr->ntlsa, tr->ntlsa == 1 ? "" : "s", h->name);
		if (!c->mx->secure || !h->secure)
			policy_say(c, "TLSA", L_NOTE,
			    "%s: but the %s answer was not DNSSEC-validated: "
			    "senders do not look for its TLSA records (RFC "
			    "7672 §2.2); sign the zone",
			    h->name, !c->mx->secure ? "MX" : "address");
		if (unusable > 0)
			policy_say(c, "TLSA", L_PROBLEM,
			    "%s: %d record%s with usage 0 or 1 (PKIX), which "
			    "SMTP senders take as unusable (RFC 7672 §3.1.3): "
			    "publish usage 3 (DANE-EE) or 2 (DANE-TA)",
			    tr->qname, unusable, unusable == 1 ? "" : "s");
		break;
	case DNS_TLSA_NONE:
		policy_say(c, "TLSA", L_NOTE,
		    "%s: no TLSA records (validated denial): no DANE for "
		    "%s; senders use TLS only when it happens to work",
		    tr->qname, h->name);
		break;
	case DNS_TLSA_INSECURE:
		(void)snprintf(q, sizeof(q), "_25._tcp.%s", h->name);
		n = 0;
		if (dns_query(c->r, q, DNS_T_TLSA, c->ans, err, sizeof(err)) ==
		    DNS_OK)
			n = c->ans->ntlsa + c->ans->tlsa_dropped;
		if (n > 0)
			policy_say(c, "TLSA", L_NOTE,
			    "%s: %d TLSA record%s, but the answer was not "
			    "DNSSEC-validated: senders ignore them (RFC 7672 "
			    "§2.1); sign the zone (or ask a validating "
			    "resolver)",
			    tr->qname, n, n == 1 ? "" : "s");
		else
			policy_say(c, "TLSA", L_NOTE,
			    "%s: no TLSA records (the answer was not "
			    "DNSSEC-validated): no DANE for %s",
			    tr->qname, h->name);
		break;
	case DNS_TLSA_TEMPFAIL:
		policy_say(c, "TLSA", h->secure ? L_PROBLEM : L_UNKNOWN,
		    "%s: %s%s", tr->qname, tr->err,
		    h->secure ? ": senders using DANE defer mail to this "
				"host (RFC 7672 §2.1.1); the TLSA answer must "
				"not fail"
			      : " (try again later)");
		break;
	default:
		policy_say(c, "TLSA", L_NOTE, "%s: %s", h->name, tr->err);
		break;
	}
	free(tr);
}

static void
check_tlsa(struct policy_ctx *c)
{
	int i;

	switch (c->mx->status) {
	case DNS_MX_FOUND:
	case DNS_MX_IMPLICIT:
	case DNS_MX_NOADDR: break;
	case DNS_MX_NULL:
		policy_say(c, "TLSA", L_OK,
		    "null MX: %s takes no mail; no MX host to check",
		    c->domain);
		return;
	case DNS_MX_TEMPFAIL:
		policy_say(c, "TLSA", L_UNKNOWN,
		    "MX of %s: %s (try again later)", c->domain, c->mx->err);
		return;
	default:
		policy_say(
		    c, "TLSA", L_NOTE, "MX of %s: %s", c->domain, c->mx->err);
		return;
	}
	for (i = 0; i < c->mx->nhost; i++)
		check_tlsa_host(c, &c->mx->host[i]);
}

/* ---------------------------------------------------------------- DKIM */

static void
check_dkim(struct policy_ctx *c, const char *sel)
{
	struct dkimkey k;
	char name[2 * DNS_NAME_MAX + 16], what[DNS_NAME_MAX + 8];
	char s[SHOW_MAX];
	int st, lvl;

	(void)snprintf(what, sizeof(what), "DKIM %s", sel);
	(void)snprintf(name, sizeof(name), "%s._domainkey.%s", sel, c->domain);
	if (strlen(name) > DNS_NAME_MAX - 2 || !dns_name_valid(name)) {
		policy_say(c, what, L_PROBLEM,
		    "%s: not a name that can be looked up: a selector is "
		    "one or more labels of letters, digits and '-'",
		    name);
		return;
	}
	st = policy_txt(c, what, name);
	if (st == DNS_TEMPFAIL || st == DNS_BADNAME)
		return;
	if (st != DNS_OK || c->ans->ntxt == 0) {
		policy_say(c, what, L_PROBLEM,
		    "no key at %s: mail signed with s=%s fails DKIM; "
		    "publish its public key there as TXT "
		    "\"v=DKIM1; k=rsa; p=...\"",
		    name, sel);
		return;
	}
	if (c->ans->ntxt > 1) {
		policy_say(c, what, L_PROBLEM,
		    "%d TXT records at %s: verifiers may take either "
		    "(RFC 6376 §3.6.2.2); keep one",
		    c->ans->ntxt, name);
		return;
	}
	policy_say(c, what, L_OK, "record at %s: \"%s\"", name,
	    policy_show(c->ans->txt[0].data, c->ans->txt[0].len, s, sizeof(s)));
	if (dkimkey_parse(c->ans->txt[0].data, c->ans->txt[0].len, &k) != 0) {
		policy_say(c, what, L_PROBLEM, "%s", k.err);
		return;
	}
	if (k.version_bad)
		policy_say(c, what, L_PROBLEM,
		    "v= is not DKIM1 or not the first tag: verifiers ignore "
		    "the record; write v=DKIM1 first, or leave v= out");
	if (k.revoked)
		policy_say(c, what, L_PROBLEM,
		    "p= is empty: the key is revoked and signatures with "
		    "s=%s fail (fine only for a retired selector)",
		    sel);
	else if (k.err[0] != '\0')
		policy_say(c, what, L_PROBLEM, "%s", k.err);
	else if (k.algo == 2)
		policy_say(c, what, L_OK,
		    "Ed25519 key (RFC 8463); verifiers that know only RSA "
		    "ignore it: sign with an RSA key too");
	else {
		lvl = k.bits < DKIMKEY_RSA_MIN	? L_PROBLEM
		    : k.bits < DKIMKEY_RSA_GOOD ? L_NOTE
						: L_OK;
		policy_say(c, what, lvl, "RSA key of %u bits%s", k.bits,
		    lvl == L_PROBLEM
			? ": verifiers refuse keys under 1024 bits (RFC "
			  "8301 §3.2); make a 2048-bit key"
			: lvl == L_NOTE ? ": the minimum (RFC 8301 §3.2); "
					  "2048 bits is usual now"
					: "");
	}
	if (k.pkcs1)
		policy_say(c, what, L_NOTE,
		    "p= is a bare RSAPublicKey (PKCS#1), not the "
		    "SubjectPublicKeyInfo RFC 6376 §3.6.1 asks for: most "
		    "verifiers take it, a strict one may not; publish the "
		    "output of \"openssl rsa -pubout -outform der | "
		    "base64\"");
	if (k.sha1_only)
		policy_say(c, what, L_PROBLEM,
		    "h= allows only sha1, which verifiers refuse (RFC 8301 "
		    "§3.1): write h=sha256 or leave h= out");
	if (k.testing)
		policy_say(c, what, L_NOTE,
		    "t=y: testing mode: verifiers may treat failing "
		    "signatures as no signature (RFC 6376 §3.6.1); remove "
		    "t=y once signing works");
	if (k.strict)
		policy_say(c, what, L_NOTE,
		    "t=s: the i= of a signature must be in d= itself, not a "
		    "subdomain");
}

/* ---------------------------------------------------------------- main */

int
policy_main(
    struct dns_resolver *r, const char *domain, const struct policy_opts *o)
{
	struct policy_ctx c;
	char err[ERR_MAX];
	int i, ex;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.o = o;
	if (dns_to_ascii(
		domain, c.domain, sizeof(c.domain), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: --policy %s: %s\n", PROG, domain, err);
		return EX_USAGE;
	}
	util_lower(c.domain);
	c.ans = malloc(sizeof(*c.ans));
	c.mx = malloc(sizeof(*c.mx));
	c.psl = dmarc_psl_load();
	if (c.ans == NULL || c.mx == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		free(c.ans);
		free(c.mx);
		dmarc_psl_free(c.psl);
		return EX_OSERR;
	}
	/* libcurl fetches the MTA-STS policy (common/mtasts). */
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("%s: mail policies (DNS: %s)\n", c.domain,
	    o->server != NULL ? o->server : "resolv.conf");
	(void)dns_mx_lookup(
	    r, c.domain, DNS_F_NO_SHUFFLE | DNS_F_NO_ADDITIONAL, c.mx);
	check_spf(&c);
	check_dmarc(&c);
	check_mtasts(&c);
	check_tlsrpt(&c);
	check_tlsa(&c);
	for (i = 0; i < o->nselector; i++)
		check_dkim(&c, o->selector[i]);
	if (o->nselector == 0)
		policy_say(&c, "DKIM", L_NOTE,
		    "no selector given: keys are at SELECTOR._domainkey.%s "
		    "and cannot be listed; name them with --selector",
		    c.domain);
	printf("%s: %d problem%s, %d note%s%s\n", c.domain, c.problems,
	    c.problems == 1 ? "" : "s", c.notes, c.notes == 1 ? "" : "s",
	    c.unknown > 0 ? ", some lookups failed (try again later)" : "");
	ex = c.problems > 0 ? EX_DATAERR : c.unknown > 0 ? EX_TEMPFAIL : 0;
	curl_global_cleanup();
	free(c.ans);
	free(c.mx);
	dmarc_psl_free(c.psl);
	return ex;
}
