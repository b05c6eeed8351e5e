/*
 * sender.c: mxlookup --check-sender DOMAIN [--selector S]... [--ip
 * ADDR].  A sender's check-up against the requirements the big mailbox
 * providers publish for bulk senders (Gmail and Yahoo, 2024): SPF that
 * passes for the sending address, a usable DKIM key, a DMARC record of
 * at least p=none, an identifier that can align, and a PTR of the
 * sending address that resolves back to it (forward-confirmed reverse
 * DNS).  One line a requirement, as --policy's (policy_say), each
 * problem with what to fix.  The checks are common/'s (spf_check,
 * dmarc_lookup) and dkimkey_parse's.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "dmarc.h"
#include "dns.h"
#include "mxlookup.h"
#include "spf.h"
#include "util.h"

/* What the requirements found, for the alignment line. */
struct found {
	int spf_pass; /* SPF passed for ADDR */
	int dkim_ok; /* a usable key: its selector */
	char dkim_sel[DNS_NAME_MAX + 1];
	int dmarc; /* a usable DMARC record */
	int adkim, aspf; /* its alignment modes, 'r' or 's' */
	char dmarc_where[DNS_NAME_MAX + 1];
};

/* The address, as spf_check takes it; family 0 when there is none. */
struct addr {
	const char *text;
	int family;
	unsigned char ip[16];
};

/* ---------------------------------------------------------------- SPF */

static void
sender_spf(struct policy_ctx *c, const struct addr *a, struct found *fd)
{
	struct spf_request req;
	struct spf_outcome *out;
	char sender[DNS_NAME_MAX + 16];
	const char *mech;

	if (a->family == 0) {
		policy_say(c, "SPF", L_UNCHECKED,
		    "no --ip given: cannot tell whether your sending address "
		    "may send as %s; run again with --ip ADDRESS",
		    c->domain);
		return;
	}
	if ((out = malloc(sizeof(*out))) == NULL) {
		policy_say(c, "SPF", L_UNKNOWN, "out of memory");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.family = a->family;
	memcpy(req.ip, a->ip, sizeof(req.ip));
	(void)snprintf(sender, sizeof(sender), "postmaster@%s", c->domain);
	req.sender = sender;
	req.helo = c->domain;
	(void)spf_check(c->r, &req, out);
	mech = a->family == AF_INET ? "ip4" : "ip6";
	switch (out->result) {
	case SPF_PASS:
		fd->spf_pass = 1;
		policy_say(c, "SPF", L_OK, "%s may send as %s (pass, by %s)",
		    a->text, c->domain, out->mech);
		break;
	case SPF_NONE:
		policy_say(c, "SPF", L_PROBLEM,
		    "%s: receivers cannot tell that %s may send its mail; "
		    "publish TXT \"v=spf1 %s:%s -all\" at %s",
		    out->why, a->text, mech, a->text, c->domain);
		break;
	case SPF_TEMPERROR:
		policy_say(c, "SPF", L_UNKNOWN,
		    "checking %s for %s gives temperror: %s (try again later)",
		    a->text, c->domain, out->why);
		break;
	case SPF_PERMERROR:
		policy_say(c, "SPF", L_PROBLEM,
		    "the SPF record of %s gives permerror: %s; receivers take "
		    "it as no SPF: fix the record",
		    c->domain, out->why);
		break;
	default:
		policy_say(c, "SPF", L_PROBLEM,
		    "%s may not send as %s (%s%s%s): add %s:%s to the SPF "
		    "record of %s",
		    a->text, c->domain, spf_result_str(out->result),
		    out->mech[0] != '\0' ? ", by " : "", out->mech, mech,
		    a->text, c->domain);
		break;
	}
	free(out);
}

/* ---------------------------------------------------------------- DKIM */

/*
 * The key of selector sel: 1 when it is usable for bulk mail (RFC 8301
 * sizes, not revoked, not in testing mode), else 0 with why it is not
 * in why.  *lvl is L_NOTE for a usable key worth changing, else L_OK;
 * what is said of a usable key goes in why too.
 */
static int
dkim_key(
    struct policy_ctx *c, const char *sel, char *why, size_t whylen, int *lvl)
{
	struct dkimkey k;
	char name[2 * DNS_NAME_MAX + 16], what[DNS_NAME_MAX + 8];
	int st;

	*lvl = L_OK;
	(void)snprintf(what, sizeof(what), "DKIM %s", sel);
	(void)snprintf(name, sizeof(name), "%s._domainkey.%s", sel, c->domain);
	if (strlen(name) > DNS_NAME_MAX - 2 || !dns_name_valid(name)) {
		(void)snprintf(why, whylen,
		    "%s is not a name that can be looked up: a selector is "
		    "labels of letters, digits and '-'",
		    name);
		return 0;
	}
	st = policy_txt(c, what, name);
	if (st == DNS_TEMPFAIL || st == DNS_BADNAME) {
		why[0] = '\0'; /* said */
		return 0;
	}
	if (st != DNS_OK || c->ans->ntxt == 0) {
		(void)snprintf(why, whylen,
		    "no key at %s: publish the public key of selector %s "
		    "there as TXT \"v=DKIM1; k=rsa; p=...\"",
		    name, sel);
		return 0;
	}
	if (c->ans->ntxt > 1) {
		(void)snprintf(why, whylen,
		    "%d TXT records at %s: verifiers may take either; keep "
		    "one",
		    c->ans->ntxt, name);
		return 0;
	}
	if (dkimkey_parse(c->ans->txt[0].data, c->ans->txt[0].len, &k) != 0 ||
	    (k.err[0] != '\0' && !k.revoked)) {
		(void)snprintf(why, whylen, "%s: %s", name, k.err);
		return 0;
	}
	if (k.version_bad)
		(void)snprintf(why, whylen,
		    "%s: v= is not DKIM1 or not the first tag, so verifiers "
		    "ignore the record: write v=DKIM1 first",
		    name);
	else if (k.revoked)
		(void)snprintf(why, whylen,
		    "%s: p= is empty: the key is revoked; publish a new key",
		    name);
	else if (k.sha1_only)
		(void)snprintf(why, whylen,
		    "%s: h= allows only sha1, which verifiers refuse: write "
		    "h=sha256 or leave h= out",
		    name);
	else if (k.testing)
		(void)snprintf(why, whylen,
		    "%s: t=y (testing): verifiers may treat its signatures "
		    "as absent; remove t=y once signing works",
		    name);
	else if (k.algo == 1 && k.bits < DKIMKEY_RSA_MIN)
		(void)snprintf(why, whylen,
		    "%s: RSA key of %u bits: verifiers refuse keys under "
		    "%d bits (RFC 8301); make a 2048-bit key",
		    name, k.bits, DKIMKEY_RSA_MIN);
	else {
		if (k.algo == 2)
			(void)snprintf(why, whylen,
			    "%s: Ed25519 key (sign with an RSA key too: some "
			    "verifiers know only RSA)",
			    name);
		else {
			(void)snprintf(why, whylen, "%s: RSA key of %u bits%s",
			    name, k.bits,
			    k.bits < DKIMKEY_RSA_GOOD
				? ": enough, but 2048 bits is recommended"
			    : k.pkcs1 ? ", bare PKCS#1: most verifiers take "
					"it, RFC 6376 asks for "
					"SubjectPublicKeyInfo"
				      : "");
			if (k.bits < DKIMKEY_RSA_GOOD || k.pkcs1)
				*lvl = L_NOTE;
		}
		return 1;
	}
	return 0;
}

static void
sender_dkim(struct policy_ctx *c, struct found *fd)
{
	char why[POLICY_SELECTORS_MAX][ERR_MAX + 2 * DNS_NAME_MAX];
	char what[DNS_NAME_MAX + 8];
	int ok[POLICY_SELECTORS_MAX], lvl[POLICY_SELECTORS_MAX];
	int i, n = c->o->nselector;

	if (n == 0) {
		policy_say(c, "DKIM", L_UNCHECKED,
		    "no --selector given: DKIM keys are at "
		    "SELECTOR._domainkey.%s and cannot be listed; name the "
		    "selector you sign with (s= of your signatures)",
		    c->domain);
		return;
	}
	for (i = 0; i < n; i++) {
		ok[i] = dkim_key(
		    c, c->o->selector[i], why[i], sizeof(why[i]), &lvl[i]);
		if (ok[i] && !fd->dkim_ok) {
			fd->dkim_ok = 1;
			(void)util_strlcpy(fd->dkim_sel, c->o->selector[i],
			    sizeof(fd->dkim_sel));
		}
	}
	/* A broken selector beside a usable one is a note: fine as long
	   as nothing is signed with it. */
	for (i = 0; i < n; i++) {
		(void)snprintf(
		    what, sizeof(what), "DKIM %s", c->o->selector[i]);
		if (ok[i])
			policy_say(c, what, lvl[i], "usable key at %s", why[i]);
		else if (why[i][0] != '\0')
			policy_say(c, what, fd->dkim_ok ? L_NOTE : L_PROBLEM,
			    "%s%s", why[i],
			    fd->dkim_ok ? " (do not sign with this selector)"
					: "");
	}
	/* Only lookups that failed: said as unknown already. */
	for (i = 0; i < n && (ok[i] || why[i][0] == '\0'); i++)
		;
	if (!fd->dkim_ok && i < n)
		policy_say(c, "DKIM", L_PROBLEM,
		    "no usable DKIM key for %s: bulk mail must be signed; "
		    "sign with a 2048-bit RSA key and publish it",
		    c->domain);
}

/* ---------------------------------------------------------------- DMARC */

static void
sender_dmarc(struct policy_ctx *c, struct found *fd)
{
	struct dmarc_found *f;
	char s[SHOW_MAX];

	if ((f = malloc(sizeof(*f))) == NULL) {
		policy_say(c, "DMARC", L_UNKNOWN, "out of memory");
		return;
	}
	(void)dmarc_lookup(c->r, c->psl, c->domain, f);
	switch (f->result) {
	case DMARC_PASS:
		fd->dmarc = 1;
		fd->adkim = f->rec.adkim;
		fd->aspf = f->rec.aspf;
		(void)util_strlcpy(
		    fd->dmarc_where, f->where, sizeof(fd->dmarc_where));
		policy_say(c, "DMARC", L_OK, "record at %s: \"%s\"%s%s%s",
		    f->where,
		    policy_show(f->text, strlen(f->text), s, sizeof(s)),
		    f->at_org ? " (of the organizational domain " : "",
		    f->at_org ? f->org : "", f->at_org ? ")" : "");
		break;
	case DMARC_NONE:
		policy_say(c, "DMARC", L_PROBLEM,
		    "%s: bulk mail needs a DMARC record; publish TXT "
		    "\"v=DMARC1; p=none; rua=mailto:dmarc@%s\" at _dmarc.%s",
		    f->why, f->org[0] != '\0' ? f->org : c->domain,
		    f->org[0] != '\0' ? f->org : c->domain);
		break;
	case DMARC_TEMPERROR:
		policy_say(
		    c, "DMARC", L_UNKNOWN, "%s (try again later)", f->why);
		break;
	default:
		policy_say(c, "DMARC", L_PROBLEM,
		    "%s: receivers take it as no DMARC record; fix it", f->why);
		break;
	}
	free(f);
}

/* ---------------------------------------------------------------- alignment */

/*
 * DMARC passes only when SPF or DKIM passes for a domain aligned with
 * the From domain (RFC 7489 §3.1).  The SPF identity checked is
 * postmaster@DOMAIN and the keys are DOMAIN's (d=DOMAIN): both align
 * in either mode, so alignment is possible when one of them works.
 */
static void
sender_align(struct policy_ctx *c, const struct addr *a, const struct found *fd)
{
	int spf, dkim;

	spf = fd->spf_pass &&
	    dmarc_aligned(
		c->psl, c->domain, c->domain, fd->aspf ? fd->aspf : 'r');
	dkim = fd->dkim_ok &&
	    dmarc_aligned(
		c->psl, c->domain, c->domain, fd->adkim ? fd->adkim : 'r');
	if (spf || dkim)
		policy_say(c, "alignment", L_OK, "%s%s%s%s%s %s with From: %s",
		    spf ? "SPF (MAIL FROM at " : "", spf ? c->domain : "",
		    spf ? ")" : "", spf && dkim ? " and " : "",
		    dkim ? "DKIM (d= of the selector's key)" : "",
		    spf && dkim ? "align" : "aligns", c->domain);
	else if (a->family == 0 && !fd->dkim_ok)
		policy_say(c, "alignment", L_UNCHECKED,
		    "cannot be checked without --ip or a usable --selector");
	else if (c->unknown > 0)
		policy_say(c, "alignment", L_UNKNOWN,
		    "cannot be told: a lookup failed (try again later)");
	else
		policy_say(c, "alignment", L_PROBLEM,
		    "neither SPF nor DKIM passes for %s, so DMARC fails for "
		    "mail From: %s; use MAIL FROM addresses at %s (or a "
		    "subdomain) and sign with d=%s",
		    c->domain, c->domain, c->domain, c->domain);
}

/* ---------------------------------------------------------------- PTR */

/* The reverse name of a: "4.3.2.1.in-addr.arpa", nibbles for IPv6. */
static void
reverse_name(const struct addr *a, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;
	int i;

	out[0] = '\0';
	if (a->family == AF_INET) {
		(void)snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa",
		    a->ip[3], a->ip[2], a->ip[1], a->ip[0]);
		return;
	}
	for (i = 15; i >= 0 && j + 4 < outlen; i--) {
		out[j++] = hex[a->ip[i] & 0xf];
		out[j++] = '.';
		out[j++] = hex[a->ip[i] >> 4];
		out[j++] = '.';
	}
	out[j] = '\0';
	(void)util_strlcat(out, "ip6.arpa", outlen);
}

/* Does name have the address a (A or AAAA)?  1, 0, or -1 tempfail. */
static int
forward_has(struct policy_ctx *c, const char *name, const struct addr *a)
{
	char err[ERR_MAX];
	int st, i, len = a->family == AF_INET ? 4 : 16;

	st = dns_query_any(c->r, name,
	    a->family == AF_INET ? DNS_T_A : DNS_T_AAAA, c->ans, err,
	    sizeof(err));
	if (st == DNS_TEMPFAIL)
		return -1;
	if (st != DNS_OK)
		return 0;
	for (i = 0; i < c->ans->naddr; i++)
		if (c->ans->addr[i].family == a->family &&
		    memcmp(c->ans->addr[i].addr, a->ip, (size_t)len) == 0)
			return 1;
	return 0;
}

static void
sender_ptr(struct policy_ctx *c, const struct addr *a)
{
	char rev[80], err[ERR_MAX];
	char names[DNS_PTR_MAX][DNS_NAME_MAX + 1];
	int st, i, n, r, temp = 0;

	if (a->family == 0) {
		policy_say(c, "PTR", L_UNCHECKED,
		    "no --ip given: cannot check the reverse DNS of your "
		    "sending address; run again with --ip ADDRESS");
		return;
	}
	reverse_name(a, rev, sizeof(rev));
	st = dns_query_any(c->r, rev, DNS_T_PTR, c->ans, err, sizeof(err));
	if (st == DNS_TEMPFAIL) {
		policy_say(c, "PTR", L_UNKNOWN, "%s (try again later)", err);
		return;
	}
	if (st != DNS_OK || c->ans->nptr == 0) {
		policy_say(c, "PTR", L_PROBLEM,
		    "%s has no PTR record (%s): receivers refuse or distrust "
		    "mail from addresses without reverse DNS; ask whoever "
		    "runs the address to set a PTR to your mail host's name, "
		    "and give that name an address record for %s",
		    a->text, rev, a->text);
		return;
	}
	n = c->ans->nptr;
	for (i = 0; i < n; i++)
		(void)util_strlcpy(names[i], c->ans->ptr[i], sizeof(names[i]));
	for (i = 0; i < n; i++) {
		r = forward_has(c, names[i], a);
		if (r == 1) {
			policy_say(c, "PTR", L_OK,
			    "%s is %s, which resolves back to %s", a->text,
			    names[i], a->text);
			return;
		}
		if (r < 0)
			temp = 1;
	}
	if (temp)
		policy_say(c, "PTR", L_UNKNOWN,
		    "%s is %s, whose address lookup failed (try again later)",
		    a->text, names[0]);
	else
		policy_say(c, "PTR", L_PROBLEM,
		    "%s is %s, which does not resolve back to %s (the "
		    "forward-confirmed reverse DNS fails): give %s an %s "
		    "record for %s, or change the PTR",
		    a->text, names[0], a->text, names[0],
		    a->family == AF_INET ? "A" : "AAAA", a->text);
}

/* ---------------------------------------------------------------- main */

int
sender_main(struct dns_resolver *r, const char *domain, const char *ip,
    const struct policy_opts *o)
{
	struct policy_ctx c;
	struct found fd;
	struct addr a;
	char err[ERR_MAX];
	int ex;

	memset(&c, 0, sizeof(c));
	memset(&fd, 0, sizeof(fd));
	memset(&a, 0, sizeof(a));
	if (ip != NULL) {
		a.text = ip;
		if (inet_pton(AF_INET, ip, a.ip) == 1)
			a.family = AF_INET;
		else if (inet_pton(AF_INET6, ip, a.ip) == 1)
			a.family = AF_INET6;
		else {
			fprintf(stderr,
			    "%s: --ip %s: not an IPv4 or IPv6 address\n", PROG,
			    ip);
			return EX_USAGE;
		}
	}
	c.r = r;
	c.o = o;
	if (dns_to_ascii(
		domain, c.domain, sizeof(c.domain), err, sizeof(err)) != 0) {
		fprintf(
		    stderr, "%s: --check-sender %s: %s\n", PROG, domain, err);
		return EX_USAGE;
	}
	util_lower(c.domain);
	c.ans = malloc(sizeof(*c.ans));
	c.psl = dmarc_psl_load();
	if (c.ans == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		dmarc_psl_free(c.psl);
		return EX_OSERR;
	}
	printf("%s: bulk-sender check-up%s%s (DNS: %s)\n", c.domain,
	    ip != NULL ? " for " : "", ip != NULL ? ip : "",
	    o->server != NULL ? o->server : "resolv.conf");
	sender_spf(&c, &a, &fd);
	sender_dkim(&c, &fd);
	sender_dmarc(&c, &fd);
	sender_align(&c, &a, &fd);
	sender_ptr(&c, &a);
	/* The one requirement the DNS cannot show: said, not counted. */
	printf("List-Unsubscribe: in each message, not the DNS: bulk mail "
	       "needs one-click unsubscription (List-Unsubscribe with an "
	       "https: URI and List-Unsubscribe-Post, both covered by the "
	       "DKIM signature, RFC 8058); msend --list-unsubscribe adds "
	       "them\n");
	if (c.problems > 0)
		printf("%s: %d problem%s: fix %s before sending bulk mail\n",
		    c.domain, c.problems, c.problems == 1 ? "" : "s",
		    c.problems == 1 ? "it" : "them");
	else if (c.unknown > 0)
		printf("%s: no problem found, but some lookups failed (try "
		       "again later)\n",
		    c.domain);
	else if (c.unchecked > 0)
		printf("%s: no problem found, but not everything could be "
		       "checked (give --ip and --selector)\n",
		    c.domain);
	else
		printf("%s: meets the bulk-sender requirements\n", c.domain);
	ex = c.problems > 0   ? EX_DATAERR
	    : c.unknown > 0   ? EX_TEMPFAIL
	    : c.unchecked > 0 ? 1
			      : 0;
	free(c.ans);
	dmarc_psl_free(c.psl);
	return ex;
}
