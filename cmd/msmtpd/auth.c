/*
 * auth.c: --check-sender, who really sent the message, checked in the
 * unprivileged session over the DNS: SPF at MAIL FROM (RFC 7208; the
 * HELO identity for the null path, §2.4, and beside it the HELO name as
 * an identity of its own, §2.3), iprev of the client (RFC 8601
 * §2.7.3: its PTR names, each confirmed by an A/AAAA holding the
 * address), and after the data DKIM (RFC 6376) and DMARC (RFC 7489).
 * The results go into one Authentication-Results field (RFC 8601) at
 * the top of the spooled message, where any such field already claiming
 * our authserv-id (--hostname) is removed (§5), and into the delivery
 * command's environment (deliver.c).  Results are kept for the session:
 * iprev once, SPF once per HELO and MAIL FROM, DKIM key records and the
 * last From domain's DMARC record once (answers, not failures of the
 * DNS).  The lookups that do not wait on each other run at once: iprev
 * and the HELO name's SPF beside the sender's, the DMARC record beside
 * the DKIM keys, and the keys of several signatures together, each in a
 * thread with a resolver of its own (par_start).
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "authres.h"
#include "dkim.h"
#include "dmarc.h"
#include "dns.h"
#include "msg.h"
#include "msmtpd.h"
#include "spf.h"
#include "util.h"

/* iprev: PTR names tried at most (as SPF's ptr, RFC 7208 §4.6.4). */
#define IPREV_NAMES_MAX SPF_PTR_NAMES_MAX

/* Octets of a reason= (RFC 8601 §2.2) kept: one folded line. */
#define AR_REASON_MAX 120

/* DKIM key records kept a session: a session's messages mostly come
   from the same signers. */
#define AUTH_KEYS_MAX DKIM_SIGS_MAX

/* RFC 8601 §2.7: the result words. */
enum { AR_NONE = 0, AR_PASS, AR_FAIL, AR_TEMPERROR, AR_PERMERROR };

struct auth_state {
	struct dns_resolver *res;
	struct dmarc_psl *psl;
	int psl_tried;
	int family;
	unsigned char ip[16];
	int have_ip;
	/* iprev, once a session */
	int iprev_done;
	int iprev; /* AR_* */
	/* SPF for spf_helo/spf_from */
	int spf_done;
	char spf_helo[SMTP_DOMAIN_MAX + 1];
	char spf_from[SMTP_PATH_MAX + 1];
	struct spf_outcome spf;
	/* SPF of the HELO name as an identity of its own (RFC 7208 §2.3),
	   once per HELO name */
	int helo_done;
	char helo_name[SMTP_DOMAIN_MAX + 1];
	struct spf_outcome helo;
	/* the message's */
	char dkim[16], dmarc[16], disposition[16];
	/* kept for the session: DKIM key records (answers, not failures
	   of the DNS), the last From domain's DMARC record */
	struct key_rec *keys;
	int nkeys, keynext;
	int dmarc_kept;
	struct dmarc_found *dmarc_rec;
};

/* A DKIM key record as dkim_dns_key found it. */
struct key_rec {
	char name[DNS_NAME_MAX + 1];
	int st; /* enum dns_status */
	char txt[DNS_TXT_LEN_MAX + 1];
	char err[ERR_MAX];
};

static const char *
ar_str(int r)
{
	static const char *const w[] = {
	    "none", "pass", "fail", "temperror", "permerror"};

	return w[r];
}

/* in as one line of ASCII for a reply (RFC 5321 §4.2: text is
   printable US-ASCII): control characters and 8-bit octets as '?', cut
   to fit (with "..."). */
static void
clean_copy(char *out, size_t outlen, const char *in)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (unsigned char)in[i] < 0x20 ||
			(unsigned char)in[i] >= 0x7f ?
		    '?' :
		    in[i];
	out[i] = '\0';
	if (in[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
}

static struct auth_state *
state(struct session *s)
{
	struct auth_state *a;
	char err[ERR_MAX];

	if (s->auth != NULL)
		return s->auth;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->keys = calloc(AUTH_KEYS_MAX, sizeof(*a->keys))) == NULL ||
	    (a->dmarc_rec = calloc(1, sizeof(*a->dmarc_rec))) == NULL) {
		free(a->keys);
		free(a);
		return NULL;
	}
	a->res =
	    dns_new(s->c->dns_server, s->c->dns_timeout, 0, err, sizeof(err));
	if (a->res == NULL) {
		log_err(s->c->log, "DNS: %s", err);
		free(a->keys);
		free(a->dmarc_rec);
		free(a);
		return NULL;
	}
	if (inet_pton(AF_INET, s->addr, a->ip) == 1) {
		a->family = AF_INET;
		a->have_ip = 1;
	} else if (inet_pton(AF_INET6, s->addr, a->ip) == 1) {
		a->family = AF_INET6;
		a->have_ip = 1;
		/* An IPv4-mapped address is the IPv4 client. */
		if (memcmp(a->ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(a->ip, a->ip + 12, 4);
			a->family = AF_INET;
		}
	}
	s->auth = a;
	return a;
}

void
auth_free(struct session *s)
{
	struct auth_state *a = s->auth;

	if (a == NULL)
		return;
	if (a->res != NULL)
		dns_free(a->res);
	if (a->psl != NULL)
		dmarc_psl_free(a->psl);
	free(a->keys);
	free(a->dmarc_rec);
	free(a);
	s->auth = NULL;
}

/*
 * A lookup beside the session's own: a thread with a resolver of its own
 * (a resolver's sockets and state are not to be shared), writing its
 * result where the caller said and touching nothing else of the
 * session's.  A fork each cost more than the lookups themselves with a
 * resolver nearby (bench/auth.sh); a thread costs little either way.
 */
struct par {
	pthread_t t;
	const struct msmtpd_conf *c;
	void (*fn)(struct dns_resolver *, void *, void *);
	void *arg, *out;
	int done; /* it had a resolver and ran */
};

static void *
par_main(void *v)
{
	struct par *p = v;
	struct dns_resolver *r;
	char err[ERR_MAX];

	if ((r = dns_new(p->c->dns_server, p->c->dns_timeout, 0, err,
		 sizeof(err))) == NULL)
		return NULL;
	p->fn(r, p->arg, p->out);
	dns_free(r);
	p->done = 1;
	return NULL;
}

/* Start fn(resolver, arg, out) in a thread.  0, or -1: run it here. */
static int
par_start(struct par *p, const struct msmtpd_conf *c,
    void (*fn)(struct dns_resolver *, void *, void *), void *arg, void *out)
{
	p->c = c;
	p->fn = fn;
	p->arg = arg;
	p->out = out;
	p->done = 0;
	return pthread_create(&p->t, NULL, par_main, p) == 0 ? 0 : -1;
}

/* Wait for it: 0 with its result in out, or -1 (no result). */
static int
par_wait(struct par *p)
{
	(void)pthread_join(p->t, NULL);
	return p->done ? 0 : -1;
}

/* RFC 8601 §2.7.3: forward-confirmed reverse DNS of the client. */
static int
iprev(struct dns_resolver *res, const struct auth_state *a)
{
	struct dns_answer *ans;
	char rev[80], err[ERR_MAX];
	char names[IPREV_NAMES_MAX][DNS_NAME_MAX + 1];
	size_t o = 0;
	int i, j, n, st, temp = 0, alen = a->family == AF_INET ? 4 : 16;

	if (a->family == AF_INET)
		(void)snprintf(rev, sizeof(rev), "%u.%u.%u.%u.in-addr.arpa",
		    a->ip[3], a->ip[2], a->ip[1], a->ip[0]);
	else {
		for (i = 15; i >= 0; i--)
			o += (size_t)snprintf(rev + o, sizeof(rev) - o,
			    "%x.%x.", a->ip[i] & 15, a->ip[i] >> 4);
		util_strlcpy(rev + o, "ip6.arpa", sizeof(rev) - o);
	}
	if ((ans = malloc(sizeof(*ans))) == NULL)
		return AR_TEMPERROR;
	st = dns_query(res, rev, DNS_T_PTR, ans, err, sizeof(err));
	if (st != DNS_OK) {
		free(ans);
		return st == DNS_TEMPFAIL ? AR_TEMPERROR : AR_FAIL;
	}
	n = ans->nptr < IPREV_NAMES_MAX ? ans->nptr : IPREV_NAMES_MAX;
	for (i = 0; i < n; i++)
		util_strlcpy(names[i], ans->ptr[i], sizeof(names[i]));
	for (i = 0; i < n; i++) {
		st = dns_query(res, names[i],
		    a->family == AF_INET ? DNS_T_A : DNS_T_AAAA, ans, err,
		    sizeof(err));
		if (st == DNS_TEMPFAIL)
			temp = 1;
		if (st != DNS_OK)
			continue;
		for (j = 0; j < ans->naddr; j++)
			if (ans->addr[j].family == a->family &&
			    memcmp(ans->addr[j].addr, a->ip, (size_t)alen) ==
				0) {
				free(ans);
				return AR_PASS;
			}
	}
	free(ans);
	return temp ? AR_TEMPERROR : AR_FAIL;
}

static void
iprev_par(struct dns_resolver *r, void *arg, void *out)
{
	*(int *)out = iprev(r, arg);
}

static void
spf_par(struct dns_resolver *r, void *arg, void *out)
{
	(void)spf_check(r, arg, out);
}

/*
 * Is the HELO name checked as an identity of its own?  Not for the null
 * sender (MAIL FROM's check is then the HELO name's, §2.4), nor for an
 * address literal, which has no SPF record (§2.3).
 */
static int
helo_checked(const struct session *s)
{
	return s->from[0] != '\0' && s->helo[0] != '\0' && s->helo[0] != '[';
}

int
auth_mail(struct session *s)
{
	const struct msmtpd_conf *c = s->c;
	struct auth_state *a;
	struct spf_request rq, hrq;
	struct par par, hpar;
	const char *w;
	char exp[AR_REASON_MAX + 4];
	int ipar = 0, hpar_on = 0, helo;

	if (!c->check_sender)
		return 0;
	/* Unchecked mail is not taken (auth_data would refuse it). */
	if ((a = state(s)) == NULL) {
		reply(s, 0, 451, "4.3.0", "Local error, try again later");
		return -1;
	}
	/* An authenticated client sends our own users' mail: its
	   address is not the sender domain's to vouch for. */
	if (!a->have_ip || s->authed)
		return 0;
	/* iprev beside SPF. */
	if (!a->iprev_done)
		ipar = par_start(&par, c, iprev_par, a, &a->iprev) == 0;
	/* and the HELO name's SPF beside both */
	helo = helo_checked(s) &&
	    (!a->helo_done || strcmp(a->helo_name, s->helo) != 0);
	if (helo) {
		memset(&hrq, 0, sizeof(hrq));
		hrq.family = a->family;
		memcpy(hrq.ip, a->ip, sizeof(hrq.ip));
		hrq.sender = "";
		hrq.helo = s->helo;
		hrq.receiver = c->hostname;
		hpar_on = par_start(&hpar, c, spf_par, &hrq, &a->helo) == 0;
	}
	if (!a->spf_done || strcmp(a->spf_helo, s->helo) != 0 ||
	    strcmp(a->spf_from, s->from) != 0) {
		memset(&rq, 0, sizeof(rq));
		rq.family = a->family;
		memcpy(rq.ip, a->ip, sizeof(rq.ip));
		rq.sender = s->from;
		rq.helo = s->helo[0] != '\0' ? s->helo : NULL;
		rq.receiver = c->hostname;
		(void)spf_check(a->res, &rq, &a->spf);
		util_strlcpy(a->spf_helo, s->helo, sizeof(a->spf_helo));
		util_strlcpy(a->spf_from, s->from, sizeof(a->spf_from));
		a->spf_done = 1;
	}
	if (!a->iprev_done) {
		if (!ipar || par_wait(&par) == -1)
			a->iprev = iprev(a->res, a);
		if (a->iprev < AR_NONE || a->iprev > AR_PERMERROR)
			a->iprev = AR_TEMPERROR;
		a->iprev_done = 1;
	}
	if (helo) {
		if (!hpar_on || par_wait(&hpar) == -1)
			(void)spf_check(a->res, &hrq, &a->helo);
		util_strlcpy(a->helo_name, s->helo, sizeof(a->helo_name));
		a->helo_done = 1;
	}
	if (helo_checked(s) && a->helo.result == SPF_FAIL &&
	    c->reject_spf_fail) {
		/* §2.3: a HELO name that fails may be refused; RFC 7372
		   §3.2: X.7.23. */
		clean_copy(exp, sizeof(exp), a->helo.exp);
		reply(s, 1, 550, "5.7.23",
		    "SPF of HELO name %s does not allow %s%s%s", s->helo,
		    s->addr, exp[0] != '\0' ? ": " : "", exp);
		log_info(c->log, "refused <%s> from [%s]: spf(helo %s)=fail",
		    s->from, s->addr, s->helo);
		return -1;
	}
	w = spf_result_str(a->spf.result);
	if (a->spf.result == SPF_FAIL && c->reject_spf_fail) {
		/* RFC 7372 §3.2: X.7.23 SPF validation failed. */
		/* exp= is the domain's text: one line, bounded. */
		clean_copy(exp, sizeof(exp), a->spf.exp);
		reply(s, 1, 550, "5.7.23", "SPF of %s does not allow %s%s%s",
		    a->spf.domain, s->addr, exp[0] != '\0' ? ": " : "", exp);
		log_info(c->log, "refused <%s> from [%s]: spf=%s", s->from,
		    s->addr, w);
		return -1;
	}
	if (a->spf.result == SPF_TEMPERROR && c->defer_temperror) {
		/* RFC 7372 §3.2: X.7.24 SPF validation error. */
		reply(s, 0, 451, "4.7.24",
		    "SPF of %s could not be checked now, try again later",
		    a->spf.domain);
		return -1;
	}
	if (a->iprev == AR_TEMPERROR && c->defer_temperror) {
		/* RFC 7372 §3.3: X.7.25 reverse DNS validation failed. */
		reply(s, 0, 451, "4.7.25",
		    "Reverse DNS of %s could not be checked now, try again "
		    "later",
		    s->addr);
		return -1;
	}
	return 0;
}

/* The domain of the message's one From address (RFC 7489 §6.6.1). */
struct from_dom {
	char dom[DNS_NAME_MAX + 1];
	int n;
};

static int
from_cb(void *arg, const char *addr, size_t len)
{
	struct from_dom *f = arg;
	const char *at = NULL;
	size_t dl, i;

	f->n++;
	for (i = 0; i < len; i++)
		if (addr[i] == '@')
			at = addr + i;
	if (at == NULL)
		return 0;
	dl = len - (size_t)(at + 1 - addr);
	if (dl == 0 || dl > DNS_NAME_MAX)
		return 0;
	memcpy(f->dom, at + 1, dl);
	f->dom[dl] = '\0';
	return 0;
}

/* The fields of a message looked at, at most. */
#define AUTH_FIELDS_MAX 4096

/*
 * Is h[0..len) (a whole field) named name (white space allowed before
 * the colon, RFC 5322 §4.5)?  Where its value starts, or NULL.
 */
static const char *
field_value(const char *h, size_t len, const char *name)
{
	size_t n = strlen(name), i;

	if (len <= n || strncasecmp(h, name, n) != 0)
		return NULL;
	for (i = n; i < len && (h[i] == ' ' || h[i] == '\t'); i++)
		;
	return i < len && h[i] == ':' ? h + i + 1 : NULL;
}

/* Is this field an Authentication-Results claiming authserv-id id? */
static int
ours(const struct dkim_hdr *h, const char *id)
{
	const char *v;

	if ((v = field_value(h->p, h->len, "Authentication-Results")) == NULL)
		return 0;
	return authres_claims(v, h->len - (size_t)(v - h->p), id);
}

/* A header value: no CR, LF or other control characters from the
   peer (they were already refused in the path; keep it so). */
static void
put_clean(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++)
		buf_putc(b, (unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v);
}

/* ";spf=RESULT [reason=...] " of an SPF outcome, its property next. */
static void
ar_spf(struct buf *ar, const struct spf_outcome *o)
{
	buf_printf(ar, ";\n\tspf=%s", spf_result_str(o->result));
	/* Our words about the DNS, not the domain's exp=. */
	if ((o->result == SPF_TEMPERROR || o->result == SPF_PERMERROR) &&
	    o->why[0] != '\0') {
		buf_puts(ar, "\n\treason=");
		(void)authres_put_quoted(ar, o->why, AR_REASON_MAX);
	}
	buf_putc(ar, ' ');
}

/* The value of the field f (ours, folded with LF TAB) on one line. */
static void
unfold_value(const char *f, char *out, size_t outlen)
{
	const char *p = strchr(f, ':');
	size_t o = 0;

	for (p = p != NULL ? p + 1 : f; *p == ' '; p++)
		;
	for (; *p != '\0' && o + 1 < outlen; p++) {
		if (*p == '\n')
			continue;
		out[o++] = *p == '\t' ? ' ' : *p;
	}
	out[o] = '\0';
}

/* ------------------------------------------------------ DKIM key records */

static struct key_rec *
key_find(struct auth_state *a, const char *name)
{
	int i;

	for (i = 0; i < a->nkeys; i++)
		if (strcasecmp(a->keys[i].name, name) == 0)
			return &a->keys[i];
	return NULL;
}

/* Keep k for the session (the oldest goes); a failure of the DNS is
   asked again next time. */
static void
key_keep(struct auth_state *a, const struct key_rec *k)
{
	int slot;

	if (k->st == DNS_TEMPFAIL || key_find(a, k->name) != NULL)
		return;
	if (a->nkeys < AUTH_KEYS_MAX)
		slot = a->nkeys++;
	else
		slot = a->keynext++ % AUTH_KEYS_MAX;
	a->keys[slot] = *k;
}

static void
key_fetch(struct dns_resolver *r, const char *name, struct key_rec *k)
{
	memset(k, 0, sizeof(*k));
	util_strlcpy(k->name, name, sizeof(k->name));
	k->st = dkim_dns_key(
	    r, name, k->txt, sizeof(k->txt), k->err, sizeof(k->err));
}

static void
key_par(struct dns_resolver *r, void *arg, void *out)
{
	key_fetch(r, arg, out);
}

/* dkim_key_fn: the session's record, else asked (and kept). */
static int
session_key(void *arg, const char *name, char *txt, size_t txtlen, char *err,
    size_t errlen)
{
	struct auth_state *a = arg;
	struct key_rec *k, *got = NULL;
	int st;

	if ((k = key_find(a, name)) == NULL) {
		if ((got = malloc(sizeof(*got))) == NULL)
			return dkim_dns_key(a->res, name, txt, txtlen, err,
			    errlen);
		key_fetch(a->res, name, got);
		key_keep(a, got);
		k = got;
	}
	if ((st = k->st) == DNS_OK)
		util_strlcpy(txt, k->txt, txtlen);
	else
		util_strlcpy(err, k->err, errlen);
	free(got);
	return st;
}

/*
 * The key records of the message's signatures (its first DKIM_SIGS_MAX
 * fields, as dkim_verify takes them) that the session does not hold,
 * asked at once: each but the first in a child.  What does not come
 * back dkim_verify asks itself, through session_key.
 */
static void
keys_prefetch(struct session *s, struct auth_state *a,
    const struct dkim_hdr *hs, int nh)
{
	char names[DKIM_SIGS_MAX][DNS_NAME_MAX + 1], err[ERR_MAX];
	struct par par[DKIM_SIGS_MAX];
	int on[DKIM_SIGS_MAX];
	struct key_rec *got = NULL;
	struct dkim_sig *sig;
	const char *v;
	int i, j, n = 0, seen = 0;

	if ((sig = malloc(sizeof(*sig))) == NULL)
		return;
	for (i = 0; i < nh && seen < DKIM_SIGS_MAX; i++) {
		if ((v = field_value(hs[i].p, hs[i].len, "DKIM-Signature")) ==
		    NULL)
			continue;
		seen++;
		if (dkim_sig_parse(v, hs[i].len - (size_t)(v - hs[i].p), sig,
			err, sizeof(err)) == -1 ||
		    (size_t)snprintf(names[n], sizeof(names[n]),
			"%s._domainkey.%s", sig->s, sig->d) >=
			sizeof(names[n]) ||
		    key_find(a, names[n]) != NULL)
			continue;
		for (j = 0; j < n; j++)
			if (strcasecmp(names[j], names[n]) == 0)
				break;
		if (j == n)
			n++;
	}
	free(sig);
	/* One record: dkim_verify asks it, beside the DMARC child. */
	if (n < 2 || (got = calloc((size_t)n, sizeof(*got))) == NULL)
		return;
	for (i = 1; i < n; i++)
		on[i] = par_start(&par[i], s->c, key_par, names[i], &got[i]) ==
		    0;
	key_fetch(a->res, names[0], &got[0]);
	key_keep(a, &got[0]);
	for (i = 1; i < n; i++) {
		if (on[i] && par_wait(&par[i]) == 0)
			key_keep(a, &got[i]);
	}
	free(got);
}

/* The body is read (for DKIM) in pieces of this many octets. */
#define AUTH_CHUNK (64 * 1024)

/* The DMARC record of a domain (in a thread: par_start). */
struct dmarc_job {
	const struct dmarc_psl *psl;
	const char *domain;
};

static void
dmarc_par(struct dns_resolver *r, void *arg, void *out)
{
	const struct dmarc_job *j = arg;

	(void)dmarc_lookup(r, j->psl, j->domain, out);
}

int
auth_data(struct session *s, size_t rcvd_len, int *code, const char **enh,
    char *text, size_t textlen)
{
	const struct msmtpd_conf *c = s->c;
	struct auth_state *a;
	struct dkim_result *dr = NULL;
	struct dmarc_dkim dd[DKIM_SIGS_MAX];
	struct dmarc_found *df = NULL;
	struct dmarc_verdict dv;
	struct dmarc_auth da;
	struct from_dom fd;
	struct dkim_hdr *hs = NULL;
	struct dmarc_job job;
	struct par par;
	struct dkim_verifier *dv_ctx;
	struct buf ar, out;
	char rwhy[AR_REASON_MAX * 2];
	char *msg = NULL, *chunk = NULL;
	const char *m;
	off_t end, at;
	ssize_t got = 0;
	size_t len, pos, mlen, body, want;
	int i, nh, nd = 0, dmarc = AR_NONE, rc = 0, dkimtemp = 0, k;
	int single, dpar = 0, dkept = 0, spf, hspf;

	*code = 0;
	s->auth_env[0] = s->auth_ar[0] = '\0';
	if (!c->check_sender)
		return 0;
	/* Unchecked, a forged field of ours would go through: 451. */
	if ((a = state(s)) == NULL)
		goto local;
	/* SPF as checked at this transaction's MAIL FROM (none when
	   authenticated or no address). */
	spf = a->spf_done && !s->authed && strcmp(a->spf_helo, s->helo) == 0 &&
	    strcmp(a->spf_from, s->from) == 0;
	hspf = !s->authed && helo_checked(s) && a->helo_done &&
	    strcmp(a->helo_name, s->helo) == 0;
	/* In memory: our Received and the header section, at most
	   MSG_HEADER_MAX octets of it (the body is read in pieces). */
	if (data_spool_flush(s) == -1 ||
	    (end = lseek(s->spool, 0, SEEK_END)) == -1 ||
	    (uint64_t)end < rcvd_len)
		goto local;
	len = (size_t)end;
	want = len - rcvd_len > MSG_HEADER_MAX ? rcvd_len + MSG_HEADER_MAX
					       : len;
	if ((msg = malloc(want + 1)) == NULL ||
	    util_pread_all(s->spool, msg, want, 0) != (ssize_t)want)
		goto local;
	m = msg + rcvd_len;
	mlen = msg_header_len(m, want - rcvd_len);
	if (mlen == (size_t)-1 && want == len)
		mlen = len - rcvd_len; /* no body */
	if (mlen == (size_t)-1) {
		free(msg);
		*code = 554;
		*enh = "5.6.0";
		(void)snprintf(text, textlen,
		    "Message refused: header section over %d octets",
		    MSG_HEADER_MAX);
		return 1;
	}

	if ((dr = calloc(DKIM_SIGS_MAX, sizeof(*dr))) == NULL ||
	    (df = calloc(1, sizeof(*df))) == NULL ||
	    (hs = calloc(AUTH_FIELDS_MAX, sizeof(*hs))) == NULL)
		goto local;
	/* DMARC: the From domain (exactly one From with one address). */
	memset(&fd, 0, sizeof(fd));
	k = 0;
	/* Every field must be seen, or a forged field of ours could hide
	   past the bound. */
	if ((nh = dkim_split(m, mlen, hs, AUTH_FIELDS_MAX, &body)) < 0) {
		free(msg);
		free(dr);
		free(df);
		free(hs);
		/* RFC 3463 X.6.0: other or undefined media error. */
		*code = 554;
		*enh = "5.6.0";
		(void)snprintf(text, textlen,
		    "Message refused: more than %d header fields",
		    AUTH_FIELDS_MAX);
		return 1;
	}
	for (i = 0; i < nh; i++) {
		const char *v = field_value(hs[i].p, hs[i].len, "From");
		struct buf u;
		size_t vl;

		if (v == NULL)
			continue;
		k++;
		vl = hs[i].len - (size_t)(v - hs[i].p);
		while (vl > 0 && (v[vl - 1] == '\n' || v[vl - 1] == '\r'))
			vl--;
		buf_init(&u, 0);
		if (msg_unfold(v, vl, &u) == 0)
			(void)msg_addr_list(buf_cstr(&u), u.len, from_cb, &fd);
		buf_free(&u);
	}
	/* The DMARC record (§6.6.3) beside the DKIM keys. */
	single = k == 1 && fd.n == 1 && fd.dom[0] != '\0';
	if (single) {
		if (!a->psl_tried) {
			a->psl = dmarc_psl_load();
			a->psl_tried = 1;
		}
		job.psl = a->psl;
		job.domain = fd.dom;
		/* The session's record for this domain, or asked. */
		if (a->dmarc_kept &&
		    strcasecmp(a->dmarc_rec->domain, fd.dom) == 0) {
			*df = *a->dmarc_rec;
			dkept = 1;
		} else
			dpar = par_start(&par, c, dmarc_par, &job, df) == 0;
	}

	/* DKIM: every signature, up to the bound, the keys asked at
	   once. */
	keys_prefetch(s, a, hs, nh);
	/* The body: what was read with the header, then the spool's. */
	at = (off_t)want;
	if ((dv_ctx = dkim_verifier_new(m, mlen, time(NULL), session_key, a,
		 DKIM_SIGS_MAX)) != NULL) {
		dkim_verifier_body(dv_ctx, m + mlen, want - rcvd_len - mlen);
		for (; at < end; at += got) {
			if (chunk == NULL &&
			    (chunk = malloc(AUTH_CHUNK)) == NULL)
				break;
			if ((got = util_pread_all(
				 s->spool, chunk, AUTH_CHUNK, at)) <= 0)
				break;
			dkim_verifier_body(dv_ctx, chunk, (size_t)got);
		}
		if (at == end)
			nd = dkim_verifier_end(dv_ctx, dr, DKIM_SIGS_MAX);
		dkim_verifier_free(dv_ctx);
	}
	if (dv_ctx == NULL || at < end) {
		/* The DMARC thread writes into df: done before it goes. */
		if (dpar)
			(void)par_wait(&par);
		goto local;
	}
	for (i = 0; i < nd; i++) {
		dd[i].domain = dr[i].d;
		dd[i].pass = dr[i].status == DKIM_PASS;
		if (dr[i].status == DKIM_TEMPERROR)
			dkimtemp = 1;
	}
	util_strlcpy(a->dkim, "none", sizeof(a->dkim));
	for (i = 0; i < nd; i++)
		if (dr[i].status == DKIM_PASS)
			break;
	if (i < nd)
		util_strlcpy(a->dkim, "pass", sizeof(a->dkim));
	else if (nd > 0)
		util_strlcpy(
		    a->dkim, dkim_status_str(dr[0].status), sizeof(a->dkim));

	memset(&dv, 0, sizeof(dv));
	util_strlcpy(a->disposition, "none", sizeof(a->disposition));
	if (!single)
		dmarc = AR_PERMERROR; /* §6.6.1: no single From domain */
	else {
		if (!dkept && !(dpar && par_wait(&par) == 0))
			(void)dmarc_lookup(a->res, a->psl, fd.dom, df);
		/* Kept unless the DNS failed. */
		if (!dkept && df->result != DMARC_TEMPERROR &&
		    strcasecmp(df->domain, fd.dom) == 0) {
			*a->dmarc_rec = *df;
			a->dmarc_kept = 1;
		}
		memset(&da, 0, sizeof(da));
		da.spf_result = spf ? a->spf.result : SPF_NONE;
		da.spf_domain = spf ? a->spf.domain : NULL;
		da.ndkim = nd;
		da.dkim = dd;
		switch (dmarc_evaluate(a->psl, df, &da, &dv)) {
		case DMARC_PASS: dmarc = AR_PASS; break;
		case DMARC_FAIL: dmarc = AR_FAIL; break;
		case DMARC_TEMPERROR: dmarc = AR_TEMPERROR; break;
		case DMARC_PERMERROR: dmarc = AR_PERMERROR; break;
		default: dmarc = AR_NONE; break;
		}
		if (dmarc == AR_FAIL)
			util_strlcpy(a->disposition,
			    dmarc_policy_str(dv.disposition),
			    sizeof(a->disposition));
	}
	util_strlcpy(a->dmarc, ar_str(dmarc), sizeof(a->dmarc));

	/* The field, folded: one method a line (RFC 8601 §2.2). */
	buf_init(&ar, 0);
	buf_printf(&ar, "Authentication-Results: %s", c->hostname);
	if (spf) {
		ar_spf(&ar, &a->spf);
		if (s->from[0] != '\0') {
			buf_puts(&ar, "smtp.mailfrom=");
			(void)authres_put_mailbox(&ar, s->from);
		} else {
			buf_puts(&ar, "smtp.helo=");
			put_clean(&ar, s->helo);
		}
	}
	/* The HELO name's own (RFC 8601 §2.7.2: smtp.helo). */
	if (hspf) {
		ar_spf(&ar, &a->helo);
		buf_puts(&ar, "smtp.helo=");
		put_clean(&ar, s->helo);
	}
	if (nd == 0)
		buf_puts(&ar, ";\n\tdkim=none");
	for (i = 0; i < nd; i++) {
		buf_printf(&ar, ";\n\tdkim=%s", dkim_status_str(dr[i].status));
		if (dr[i].status != DKIM_PASS && dr[i].reason[0] != '\0') {
			buf_puts(&ar, "\n\treason=");
			(void)authres_put_quoted(
			    &ar, dr[i].reason, AR_REASON_MAX);
		}
		/* From the message: only what parsed as a name. */
		if (authres_plain(dr[i].d))
			buf_printf(&ar, " header.d=%s", dr[i].d);
		if (authres_plain(dr[i].s))
			buf_printf(&ar, " header.s=%s", dr[i].s);
		if (dr[i].alg != DKIM_ALG_NONE)
			buf_printf(
			    &ar, " header.a=%s", dkim_alg_str(dr[i].alg));
	}
	buf_printf(&ar, ";\n\tdmarc=%s", a->dmarc);
	if (dmarc == AR_FAIL)
		buf_printf(&ar, " (p=%s dis=%s)", dmarc_policy_str(dv.policy),
		    a->disposition);
	if ((dmarc == AR_FAIL && dv.why[0] != '\0') ||
	    ((dmarc == AR_TEMPERROR || dmarc == AR_PERMERROR) && single &&
		df->why[0] != '\0')) {
		buf_puts(&ar, "\n\treason=");
		(void)authres_put_quoted(
		    &ar, dmarc == AR_FAIL ? dv.why : df->why, AR_REASON_MAX);
	}
	if (fd.dom[0] != '\0' && k == 1 && fd.n == 1) {
		buf_puts(&ar, " header.from=");
		put_clean(&ar, fd.dom);
	}
	if (a->iprev_done)
		buf_printf(&ar, ";\n\tiprev=%s policy.iprev=%s",
		    ar_str(a->iprev), s->addr);
	/* RFC 8601 §2.7.4: SMTP AUTH. */
	if (s->authed && s->relay)
		/* Going out: the user's name stays here (RFC 8601 §7). */
		buf_puts(&ar, ";\n\tauth=pass");
	else if (s->authed) {
		buf_puts(&ar, ";\n\tauth=pass smtp.auth=");
		if (authres_plain(s->auth_user))
			buf_puts(&ar, s->auth_user);
		else
			(void)authres_put_quoted(
			    &ar, s->auth_user, SASL_FIELD_MAX);
	}
	buf_putc(&ar, '\n');

	/* The environment's: the words and the field unfolded. */
	(void)snprintf(s->auth_env, sizeof(s->auth_env),
	    "%s %s %s %s %s %s", spf ? spf_result_str(a->spf.result) : "none",
	    a->dkim, a->dmarc, a->iprev_done ? ar_str(a->iprev) : "none",
	    a->disposition,
	    hspf ? spf_result_str(a->helo.result)
		 : spf && s->from[0] == '\0' ? spf_result_str(a->spf.result)
					    : "none");
	unfold_value(buf_cstr(&ar), s->auth_ar, sizeof(s->auth_ar));

	/* The spool again, in place (privsep's parent holds the file
	   too): our field, the Received, the header section without the
	   fields claiming our authserv-id, then the body moved to follow
	   it. */
	buf_init(&out, rcvd_len + mlen + ar.len);
	buf_append(&out, ar.data, ar.len);
	buf_append(&out, msg, rcvd_len);
	pos = 0;
	for (i = 0; i < nh; i++)
		if (ours(&hs[i], c->hostname)) {
			buf_append(&out, m + pos, (size_t)(hs[i].p - m) - pos);
			pos = (size_t)(hs[i].p - m) + hs[i].len;
		}
	buf_append(&out, m + pos, mlen - pos);
	buf_free(&ar);
	if (out.len == 0 ||
	    util_file_move(s->spool, (off_t)(rcvd_len + mlen), (off_t)out.len,
		end - (off_t)(rcvd_len + mlen)) == -1 ||
	    lseek(s->spool, 0, SEEK_SET) == -1 ||
	    util_write_all(s->spool, out.data, out.len) == -1 ||
	    ftruncate(s->spool,
		end - (off_t)(rcvd_len + mlen) + (off_t)out.len) == -1 ||
	    lseek(s->spool, 0, SEEK_END) == -1) {
		buf_free(&out);
		goto local;
	}
	buf_free(&out);

	log_info(c->log, "%s: spf=%s helo-spf=%s dkim=%s dmarc=%s iprev=%s",
	    s->id, spf ? spf_result_str(a->spf.result) : "none",
	    hspf ? spf_result_str(a->helo.result) : "none", a->dkim, a->dmarc,
	    a->iprev_done ? ar_str(a->iprev) : "none");
	if (s->authed)
		; /* our own user's: no policy */
	else if (dmarc == AR_FAIL && c->reject_dmarc &&
	    dv.disposition == DMARC_P_REJECT) {
		*code = 550;
		*enh = "5.7.1";
		clean_copy(rwhy, sizeof(rwhy), dv.why);
		(void)snprintf(text, textlen,
		    "DMARC policy of %s says reject: %s", fd.dom, rwhy);
		rc = 1;
	} else if (c->defer_temperror && (dmarc == AR_TEMPERROR || dkimtemp)) {
		/* RFC 3463 X.7.0: other security status. */
		*code = 451;
		*enh = "4.7.0";
		(void)snprintf(text, textlen,
		    "%s could not be checked now, try again later",
		    dkimtemp ? "DKIM" : "DMARC");
		rc = 1;
	}
	free(msg);
	free(chunk);
	free(dr);
	free(df);
	free(hs);
	return rc;
local:
	free(msg);
	free(chunk);
	free(dr);
	free(df);
	free(hs);
	*code = 451;
	*enh = "4.3.0";
	util_strlcpy(text, "Local error, try again later", textlen);
	log_err(c->log, "%s: spool: %s", s->id, strerror(errno));
	return 1;
}
