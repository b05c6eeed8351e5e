/*
 * dmarc.c: RFC 7489 policy records, the organizational domain through
 * libpsl, alignment and the verdict.  See dmarc.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "dmarc.h"
#include "dns.h"
#include "spf.h"
#include "util.h"

struct dmarc_psl {
	psl_ctx_t *ctx;
};

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* p[0..*len) without the spaces around it. */
static const char *
trim(const char *p, size_t *len)
{
	size_t n = *len;

	while (n > 0 && is_wsp((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_wsp((unsigned char)p[n - 1]))
		n--;
	*len = n;
	return p;
}

/* Is s[0..n) the word w, in any case? */
static int
word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && util_casecmp_n(s, w, n) == 0;
}

/* Printable ASCII copy of s[0..n), for messages, cut to fit out. */
static void
show(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, j = 0;

	if (outlen == 0)
		return;
	for (i = 0; i < n && j + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		out[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[j] = '\0';
}

static void warn(struct dmarc_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(struct dmarc_record *rec, const char *fmt, ...)
{
	va_list ap;

	if (rec->nwarn >= DMARC_WARN_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(rec->warn[rec->nwarn], DMARC_WARN_LEN, fmt, ap);
	va_end(ap);
	rec->nwarn++;
}

int
dmarc_is_record(const char *txt, size_t len)
{
	size_t i = 0;

	if (len == 0 || txt[0] != 'v')
		return 0;
	for (i = 1; i < len && is_wsp((unsigned char)txt[i]); i++)
		;
	if (i >= len || txt[i] != '=')
		return 0;
	for (i++; i < len && is_wsp((unsigned char)txt[i]); i++)
		;
	/* §6.4: %x44 %x4d %x41 %x52 %x43 %x31, this case only */
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	return i == len || is_wsp((unsigned char)txt[i]) || txt[i] == ';';
}

int
dmarc_select(const struct dns_txt *txt, int ntxt, char *err, size_t errlen)
{
	int i, found = -1, n = 0;

	for (i = 0; i < ntxt; i++)
		if (dmarc_is_record(txt[i].data, txt[i].len)) {
			if (found < 0)
				found = i;
			n++;
		}
	if (n > 1) {
		util_seterr(err, errlen,
		    "%d DMARC records where there must be one: no DMARC "
		    "processing (RFC 7489 §6.6.3); keep one v=DMARC1 record",
		    n);
		return -2;
	}
	return found;
}

static int
parse_policy(const char *v, size_t n, int *out)
{
	if (word_is(v, n, "none"))
		*out = DMARC_P_NONE;
	else if (word_is(v, n, "quarantine"))
		*out = DMARC_P_QUARANTINE;
	else if (word_is(v, n, "reject"))
		*out = DMARC_P_REJECT;
	else
		return -1;
	return 0;
}

/* A decimal number of 1 to maxdigits digits, at most max. */
static int
parse_uint(const char *v, size_t n, size_t maxdigits, unsigned long max,
    unsigned long *out)
{
	unsigned long x = 0;
	size_t i;

	if (n == 0 || n > maxdigits)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		if (x > (max - (unsigned long)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/*
 * One dmarc-uri (§6.4): an absolute URI (RFC 3986 scheme ":" and no
 * space, comma or semicolon), then optionally "!" size with a k, m, g
 * or t unit.  1 valid, 0 not; *mailto set for a mailto: URI.
 */
static int
uri_valid(const char *u, size_t n, int *mailto)
{
	const char *bang, *at;
	size_t i, body;

	*mailto = 0;
	if (n == 0 || !isalpha((unsigned char)u[0]))
		return 0;
	for (i = 1; i < n && u[i] != ':'; i++)
		if (!isalnum((unsigned char)u[i]) && u[i] != '+' &&
		    u[i] != '-' && u[i] != '.')
			return 0;
	if (i >= n)
		return 0;
	for (body = 0; body < n; body++) {
		unsigned char c = (unsigned char)u[body];

		if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';')
			return 0;
	}
	/* the size limit: after the last '!' */
	body = n;
	bang = NULL;
	for (body = n; body > i; body--)
		if (u[body - 1] == '!') {
			bang = u + body - 1;
			break;
		}
	if (bang != NULL) {
		size_t k = (size_t)(bang - u) + 1, d = 0;

		while (k < n && isdigit((unsigned char)u[k])) {
			k++;
			d++;
		}
		if (d == 0)
			return 0;
		if (k < n && strchr("kmgt", u[k]) != NULL && u[k] != '\0')
			k++;
		if (k != n)
			return 0;
		body = (size_t)(bang - u);
	} else
		body = n;
	if (body <= i + 1)
		return 0; /* nothing after the scheme */
	if (i == 6 && util_casecmp_n(u, "mailto", 6) == 0) {
		*mailto = 1;
		at = memchr(u + 7, '@', body - 7);
		if (at == NULL || at == u + 7 || at + 1 >= u + body)
			return 0;
	}
	return 1;
}

/* rua= or ruf=: the number of valid URIs; warnings for the others. */
static int
parse_uris(struct dmarc_record *rec, const char *tag, const char *v, size_t n)
{
	char s[80];
	size_t i = 0, j, ulen;
	const char *u;
	int valid = 0, mailto;

	if (n == 0) {
		warn(rec, "%s= is empty: give mailto:ADDRESS or remove the tag",
		    tag);
		return 0;
	}
	while (i <= n) {
		for (j = i; j < n && v[j] != ','; j++)
			;
		ulen = j - i;
		u = trim(v + i, &ulen);
		if (uri_valid(u, ulen, &mailto)) {
			valid++;
			if (!mailto) {
				show(u, ulen, s, sizeof(s));
				warn(rec,
				    "%s= URI %s is not mailto: receivers "
				    "send reports by mail; use "
				    "mailto:ADDRESS",
				    tag, s);
			}
		} else {
			show(u, ulen, s, sizeof(s));
			warn(rec,
			    "%s= URI \"%s\" is not a valid URI: write "
			    "mailto:ADDRESS (and an optional !SIZE), "
			    "several separated by commas",
			    tag, s);
		}
		i = j + 1;
	}
	return valid;
}

/* fo=: 0, 1, d, s separated by ':'.  0 or -1. */
static int
parse_fo(const char *v, size_t n, int *fo)
{
	size_t i = 0, j, len;
	const char *w;
	int f = 0;

	while (i <= n) {
		for (j = i; j < n && v[j] != ':'; j++)
			;
		len = j - i;
		w = trim(v + i, &len);
		if (len != 1)
			return -1;
		switch (tolower((unsigned char)w[0])) {
		case '0': f |= DMARC_FO_0; break;
		case '1': f |= DMARC_FO_1; break;
		case 'd': f |= DMARC_FO_D; break;
		case 's': f |= DMARC_FO_S; break;
		default: return -1;
		}
		i = j + 1;
	}
	*fo = f;
	return 0;
}

/* rf=: keywords separated by ':'; 1 when afrf is one, 0 not, -1 bad. */
static int
parse_rf(const char *v, size_t n)
{
	size_t i = 0, j, k, len;
	const char *w;
	int afrf = 0;

	while (i <= n) {
		for (j = i; j < n && v[j] != ':'; j++)
			;
		len = j - i;
		w = trim(v + i, &len);
		if (len == 0)
			return -1;
		for (k = 0; k < len; k++)
			if (!isalnum((unsigned char)w[k]) && w[k] != '-')
				return -1;
		if (word_is(w, len, "afrf"))
			afrf = 1;
		i = j + 1;
	}
	return afrf;
}

/* The tags we know, for duplicate detection. */
static const char *const known_tags[] = {
    "v",
    "p",
    "sp",
    "adkim",
    "aspf",
    "pct",
    "rua",
    "ruf",
    "fo",
    "rf",
    "ri",
};
#define NKNOWN (sizeof(known_tags) / sizeof(known_tags[0]))

int
dmarc_parse(const char *txt, size_t len, struct dmarc_record *rec, char *err,
    size_t errlen)
{
	char s[80];
	unsigned int seen = 0;
	size_t i, j, k, tlen, vlen;
	const char *t, *v, *eq;
	int p_bad = 0, sp_bad = 0, p_seen = 0, first = 1, rc;
	unsigned long ul;

	memset(rec, 0, sizeof(*rec));
	rec->p = DMARC_P_NONE;
	rec->sp = DMARC_P_NONE;
	rec->adkim = 'r';
	rec->aspf = 'r';
	rec->pct = DMARC_PCT_MAX;
	rec->fo = DMARC_FO_0;
	rec->rf_afrf = 1;
	rec->ri = DMARC_RI_DEFAULT;
	if (!dmarc_is_record(txt, len)) {
		util_seterr(err, errlen,
		    "not a DMARC record: it must begin with v=DMARC1");
		return -1;
	}
	for (i = 0; i <= len; i = j + 1) {
		for (j = i; j < len && txt[j] != ';'; j++)
			;
		tlen = j - i;
		t = trim(txt + i, &tlen);
		if (tlen == 0)
			continue; /* ";;" or a final ';' */
		if (memchr(t, '\0', tlen) != NULL) {
			util_seterr(err, errlen,
			    "the record holds a NUL octet: publish it as "
			    "plain text");
			return -1;
		}
		eq = memchr(t, '=', tlen);
		if (eq == NULL) {
			show(t, tlen, s, sizeof(s));
			warn(rec,
			    "\"%s\" is no tag=value pair and is ignored: "
			    "separate tags with ';'",
			    s);
			continue;
		}
		vlen = tlen - (size_t)(eq + 1 - t);
		v = trim(eq + 1, &vlen);
		tlen = (size_t)(eq - t);
		t = trim(t, &tlen);
		if (first) {
			first = 0; /* v=DMARC1, dmarc_is_record said */
			seen |= 1;
			if (vlen != 6)
				warn(rec,
				    "v=DMARC1 is not followed by ';': what "
				    "follows it is ignored; separate tags "
				    "with ';'");
			continue;
		}
		for (k = 0; k < NKNOWN; k++)
			if (word_is(t, tlen, known_tags[k]))
				break;
		if (k == NKNOWN) {
			rec->nunknown++;
			continue; /* §6.3: unknown tags are ignored */
		}
		if (seen & (1U << k)) {
			warn(rec,
			    "%s= is given twice: the first is used; remove "
			    "the other",
			    known_tags[k]);
			continue;
		}
		seen |= 1U << k;
		show(v, vlen, s, sizeof(s));
		switch (k) {
		case 0:
			warn(rec,
			    "v= must be the first tag only; remove the "
			    "second");
			break;
		case 1:
			p_seen = 1;
			if (parse_policy(v, vlen, &rec->p) != 0)
				p_bad = 1;
			break;
		case 2:
			if (parse_policy(v, vlen, &rec->sp) != 0)
				sp_bad = 1;
			else
				rec->sp_given = 1;
			break;
		case 3:
		case 4:
			if (vlen == 1 &&
			    (tolower((unsigned char)v[0]) == 'r' ||
				tolower((unsigned char)v[0]) == 's')) {
				*(k == 3 ? &rec->adkim : &rec->aspf) =
				    tolower((unsigned char)v[0]);
			} else
				warn(rec,
				    "%s=%s is neither r (relaxed) nor s "
				    "(strict): relaxed is used",
				    known_tags[k], s);
			break;
		case 5:
			if (parse_uint(v, vlen, 3, DMARC_PCT_MAX, &ul) == 0)
				rec->pct = (int)ul;
			else
				warn(rec,
				    "pct=%s is not a number from 0 to 100: "
				    "100 is used",
				    s);
			break;
		case 6:
			rec->nrua = parse_uris(rec, "rua", v, vlen);
			show(v, vlen, rec->rua, sizeof(rec->rua));
			break;
		case 7:
			rec->nruf = parse_uris(rec, "ruf", v, vlen);
			show(v, vlen, rec->ruf, sizeof(rec->ruf));
			break;
		case 8:
			if (parse_fo(v, vlen, &rec->fo) != 0)
				warn(rec,
				    "fo=%s is not a list of 0, 1, d and s "
				    "separated by ':': fo=0 is used",
				    s);
			break;
		case 9:
			rc = parse_rf(v, vlen);
			if (rc < 0)
				warn(rec,
				    "rf=%s is not a list of report formats: "
				    "afrf is used",
				    s);
			else if (rc == 0) {
				rec->rf_afrf = 0;
				warn(rec,
				    "rf=%s does not list afrf, the only "
				    "failure report format: write rf=afrf",
				    s);
			}
			break;
		case 10:
			if (parse_uint(v, vlen, 10, DMARC_RI_MAX, &ul) == 0)
				rec->ri = ul;
			else
				warn(rec,
				    "ri=%s is not a number of seconds: 86400 "
				    "is used",
				    s);
			break;
		}
	}
	if (!p_seen || p_bad || sp_bad) {
		const char *what = !p_seen ? "there is no p= tag"
		    : p_bad ? "p= is not none, quarantine or reject"
			    : "sp= is not none, quarantine or "
			      "reject";

		/* §6.6.3: with a valid rua=, act as if p=none */
		if (rec->nrua == 0) {
			util_seterr(err, errlen,
			    "%s, and no valid rua=: the record is ignored "
			    "(RFC 7489 §6.6.3); write p=none, p=quarantine "
			    "or p=reject",
			    what);
			return -1;
		}
		rec->p = rec->sp = DMARC_P_NONE;
		rec->sp_given = 0;
		rec->p_fallback = 1;
		warn(rec,
		    "%s: taken as p=none because rua= is valid (RFC 7489 "
		    "§6.6.3); write p=none, p=quarantine or p=reject",
		    what);
	}
	if (!rec->sp_given)
		rec->sp = rec->p;
	return 0;
}

/* ------------------------------------------------ organizational domain */

struct dmarc_psl *
dmarc_psl_load(void)
{
	struct dmarc_psl *psl;

	if ((psl = calloc(1, sizeof(*psl))) == NULL)
		return NULL;
	/* The newer of the built-in list and the system's file. */
	psl->ctx = psl_latest(NULL);
	if (psl->ctx == NULL && psl_builtin() == NULL) {
		free(psl);
		return NULL;
	}
	return psl;
}

void
dmarc_psl_free(struct dmarc_psl *psl)
{
	if (psl == NULL)
		return;
	if (psl->ctx != NULL)
		psl_free(psl->ctx);
	free(psl);
}

/* domain in lower case without a trailing dot; 0, or -1. */
static int
lower_name(const char *domain, char *out, size_t outlen)
{
	size_t n = strlen(domain);

	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen || n > DNS_NAME_MAX)
		return -1;
	memcpy(out, domain, n);
	out[n] = '\0';
	util_lower(out);
	return dns_name_valid(out) ? 0 : -1;
}

int
dmarc_org_domain(
    const struct dmarc_psl *psl, const char *domain, char *out, size_t outlen)
{
	char name[DNS_NAME_MAX + 1];
	const psl_ctx_t *ctx;
	const char *reg;

	ctx = psl != NULL && psl->ctx != NULL ? psl->ctx : psl_builtin();
	if (ctx == NULL || lower_name(domain, name, sizeof(name)) != 0)
		return -1;
	/* §3.2 steps 3-5: the longest public suffix and one label more;
	   a public suffix itself has nothing more and stays itself. */
	reg = psl_registrable_domain(ctx, name);
	if (reg == NULL)
		reg = name;
	if (strlen(reg) >= outlen)
		return -1;
	(void)util_strlcpy(out, reg, outlen);
	return 0;
}

int
dmarc_aligned(
    const struct dmarc_psl *psl, const char *a, const char *b, int mode)
{
	char la[DNS_NAME_MAX + 1], lb[DNS_NAME_MAX + 1];
	char oa[DNS_NAME_MAX + 1], ob[DNS_NAME_MAX + 1];

	if (a == NULL || b == NULL || lower_name(a, la, sizeof(la)) != 0 ||
	    lower_name(b, lb, sizeof(lb)) != 0)
		return 0;
	if (strcmp(la, lb) == 0)
		return 1;
	if (mode == 's')
		return 0;
	if (dmarc_org_domain(psl, la, oa, sizeof(oa)) != 0 ||
	    dmarc_org_domain(psl, lb, ob, sizeof(ob)) != 0)
		return 0;
	return strcmp(oa, ob) == 0;
}

/* ---------------------------------------------------------------- DNS */

/*
 * The DMARC record at _dmarc.<name>: 1 found (f->text, f->where set),
 * 0 none, or a final result (DMARC_TEMPERROR, DMARC_PERMERROR) as its
 * negative.
 */
static int
lookup_at(struct dns_resolver *r, const char *name, struct dns_answer *ans,
    struct dmarc_found *f)
{
	char q[DNS_NAME_MAX + 8], err[ERR_MAX];
	int st, i;

	(void)snprintf(q, sizeof(q), "_dmarc.%s", name);
	f->nqueries++;
	st = dns_query(r, q, DNS_T_TXT, ans, err, sizeof(err));
	switch (st) {
	case DNS_OK: break;
	case DNS_TEMPFAIL:
		util_seterr(f->why, sizeof(f->why), "%s: %s", q, err);
		return -DMARC_TEMPERROR;
	default: return 0; /* NODATA, NXDOMAIN, a name too long */
	}
	i = dmarc_select(ans->txt, ans->ntxt, err, sizeof(err));
	if (i == -1)
		return 0;
	(void)util_strlcpy(f->where, q, sizeof(f->where));
	if (i == -2) {
		util_seterr(f->why, sizeof(f->why), "%s: %s", q, err);
		return -DMARC_PERMERROR;
	}
	memcpy(f->text, ans->txt[i].data, ans->txt[i].len);
	f->text[ans->txt[i].len] = '\0';
	return 1;
}

int
dmarc_lookup(struct dns_resolver *r, const struct dmarc_psl *psl,
    const char *domain, struct dmarc_found *f)
{
	struct dns_answer *ans;
	char err[ERR_MAX];
	int rc;

	memset(f, 0, sizeof(*f));
	f->result = DMARC_NONE;
	if (dns_to_ascii(
		domain, f->domain, sizeof(f->domain), err, sizeof(err)) != 0) {
		util_seterr(f->why, sizeof(f->why), "%s", err);
		return f->result;
	}
	util_lower(f->domain);
	if (dmarc_org_domain(psl, f->domain, f->org, sizeof(f->org)) != 0) {
		util_seterr(f->why, sizeof(f->why),
		    "%s: no organizational domain (Public Suffix List)",
		    f->domain);
		return f->result;
	}
	if ((ans = malloc(sizeof(*ans))) == NULL) {
		util_seterr(f->why, sizeof(f->why), "out of memory");
		return f->result = DMARC_TEMPERROR;
	}
	rc = lookup_at(r, f->domain, ans, f);
	if (rc == 0 && strcmp(f->domain, f->org) != 0) {
		rc = lookup_at(r, f->org, ans, f);
		f->at_org = 1;
	}
	free(ans);
	if (rc < 0)
		return f->result = -rc;
	if (rc == 0) {
		f->at_org = 0;
		if (strcmp(f->domain, f->org) != 0)
			util_seterr(f->why, sizeof(f->why),
			    "no DMARC record at _dmarc.%s nor at _dmarc.%s",
			    f->domain, f->org);
		else
			util_seterr(f->why, sizeof(f->why),
			    "no DMARC record at _dmarc.%s", f->domain);
		return f->result = DMARC_NONE;
	}
	if (dmarc_parse(f->text, strlen(f->text), &f->rec, err, sizeof(err)) !=
	    0) {
		util_seterr(f->why, sizeof(f->why), "%s: %s", f->where, err);
		return f->result = DMARC_PERMERROR;
	}
	return f->result = DMARC_PASS;
}

/* ---------------------------------------------------------------- verdict */

int
dmarc_evaluate(const struct dmarc_psl *psl, const struct dmarc_found *f,
    const struct dmarc_auth *a, struct dmarc_verdict *v)
{
	const struct dmarc_record *rec = &f->rec;
	const char *dkim_d = NULL;
	int i, coin;

	memset(v, 0, sizeof(*v));
	if (f->result != DMARC_PASS) {
		v->result = f->result;
		(void)util_strlcpy(v->why, f->why, sizeof(v->why));
		return v->result;
	}
	v->subdomain = f->at_org && strcmp(f->domain, f->org) != 0;
	v->policy = v->subdomain ? rec->sp : rec->p;
	v->spf_aligned = a->spf_result == SPF_PASS && a->spf_domain != NULL &&
	    dmarc_aligned(psl, a->spf_domain, f->domain, rec->aspf);
	for (i = 0; i < a->ndkim && a->dkim != NULL; i++)
		if (a->dkim[i].pass &&
		    dmarc_aligned(
			psl, a->dkim[i].domain, f->domain, rec->adkim)) {
			v->dkim_aligned = 1;
			dkim_d = a->dkim[i].domain;
			break;
		}
	v->sampled = 1;
	if (v->spf_aligned || v->dkim_aligned) {
		v->result = DMARC_PASS;
		v->disposition = DMARC_P_NONE;
		if (v->dkim_aligned)
			util_seterr(v->why, sizeof(v->why),
			    "%s: DKIM d=%s passed and is aligned (%s)",
			    f->domain, dkim_d,
			    rec->adkim == 's' ? "strict" : "relaxed");
		else
			util_seterr(v->why, sizeof(v->why),
			    "%s: SPF passed for %s, aligned (%s)", f->domain,
			    a->spf_domain,
			    rec->aspf == 's' ? "strict" : "relaxed");
		return v->result;
	}
	v->result = DMARC_FAIL;
	/* §6.6.4 and pct (§6.3): at most pct percent of the failing mail
	   gets the policy; the rest gets the next one down. */
	if (rec->pct <= 0)
		v->sampled = 0;
	else if (rec->pct < DMARC_PCT_MAX) {
		if (a->random != NULL)
			coin = a->random(a->random_arg) % DMARC_PCT_MAX;
		else
			coin = (int)(util_random() % DMARC_PCT_MAX);
		if (coin < 0)
			coin += DMARC_PCT_MAX;
		v->sampled = coin < rec->pct;
	}
	v->disposition = v->policy;
	if (!v->sampled)
		v->disposition = v->policy == DMARC_P_REJECT
		    ? DMARC_P_QUARANTINE
		    : DMARC_P_NONE;
	util_seterr(v->why, sizeof(v->why),
	    "%s: no aligned SPF or DKIM pass (SPF %s%s%s%s, %d DKIM "
	    "signature%s); %s=%s%s",
	    f->domain, spf_result_str(a->spf_result),
	    a->spf_domain != NULL ? " for " : "",
	    a->spf_domain != NULL ? a->spf_domain : "",
	    a->spf_result == SPF_PASS ? " not aligned" : "", a->ndkim,
	    a->ndkim == 1 ? "" : "s", v->subdomain ? "sp" : "p",
	    dmarc_policy_str(v->policy),
	    v->sampled ? "" : ", not sampled by pct");
	return v->result;
}

const char *
dmarc_result_str(int result)
{
	switch (result) {
	case DMARC_NONE: return "none";
	case DMARC_PASS: return "pass";
	case DMARC_FAIL: return "fail";
	case DMARC_TEMPERROR: return "temperror";
	case DMARC_PERMERROR: return "permerror";
	default: return "unknown";
	}
}

const char *
dmarc_policy_str(int policy)
{
	switch (policy) {
	case DMARC_P_NONE: return "none";
	case DMARC_P_QUARANTINE: return "quarantine";
	case DMARC_P_REJECT: return "reject";
	default: return "unknown";
	}
}
