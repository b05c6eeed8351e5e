/*
 * route.c: where msend sends a message.  To a smarthost (one session for
 * every recipient), or directly: recipients grouped by domain, each
 * domain's MX hosts from the dns module (RFC 5321 §5.1 order, implicit
 * MX, null MX of RFC 7505), tried in order until every recipient has a
 * final answer; a connection that fails or a 4xx moves on to the next.
 * --route DOMAIN=HOST:PORT overrides the MX of a domain.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns.h"
#include "msend.h"
#include "net.h"
#include "util.h"

int
route_add(struct routing *rt, const char *arg, char *err, size_t errlen)
{
	struct route *r;
	const char *eq = strchr(arg, '=');
	size_t n;

	if (rt->nroutes == ROUTES_MAX) {
		util_seterr(err, errlen, "--route: at most %d", ROUTES_MAX);
		return -1;
	}
	r = &rt->routes[rt->nroutes];
	memset(r, 0, sizeof(*r));
	n = eq != NULL ? (size_t)(eq - arg) : 0;
	if (n > 0 && n < sizeof(r->domain) && strcmp(eq + 1, "[mx]") == 0) {
		/* Not a host: the domain's own MX, loopback allowed. */
		r->self_ok = 1;
		memcpy(r->domain, arg, n);
		r->domain[n] = '\0';
		rt->nroutes++;
		return 0;
	}
	if (n == 0 || n >= sizeof(r->domain) ||
	    net_split_hostport(eq + 1, "25", r->host, sizeof(r->host), r->port,
		sizeof(r->port)) == -1 ||
	    r->host[0] == '\0') {
		util_seterr(err, errlen,
		    "--route %s: expected "
		    "DOMAIN=HOST[:PORT]",
		    arg);
		return -1;
	}
	memcpy(r->domain, arg, n);
	r->domain[n] = '\0';
	rt->nroutes++;
	return 0;
}

/*
 * The route for domain: one naming it exactly, else the longest
 * "*.PARENT" it is under (a subdomain, not PARENT itself).  NULL: none.
 */
const struct route *
route_find(const struct routing *rt, const char *domain)
{
	const struct route *best = NULL;
	size_t dl = strlen(domain), pl, bl = 0;
	int k;

	for (k = 0; k < rt->nroutes; k++) {
		const char *rd = rt->routes[k].domain;

		if (strcasecmp(rd, domain) == 0)
			return &rt->routes[k];
		if (rd[0] != '*' || rd[1] != '.')
			continue;
		pl = strlen(rd + 1); /* ".PARENT" */
		if (dl > pl && strcasecmp(domain + dl - pl, rd + 1) == 0 &&
		    pl > bl) {
			best = &rt->routes[k];
			bl = pl;
		}
	}
	return best;
}

static const char *
rcpt_domain(const struct rcpt *r)
{
	const char *at = strrchr(r->addr, '@');

	return at != NULL ? at + 1 : "";
}

/* Connect to host:port by name; -1 with state set on the recipients. */
static int
connect_name(const char *host, const char *port, int timeout_ms,
    struct rcpt **r, int n, char *addr, size_t addrlen)
{
	struct addrinfo hints, *ai;
	char err[ERR_MAX];
	int rc, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	/* No AI_ADDRCONFIG: with only loopback up it finds nothing. */
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		/* Only "no such name" is final; the rest may pass. */
		rcpts_fail(r, n, rc == EAI_NONAME ? YERR_NOHOST : YERR_TEMP,
		    "%s: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	fd = net_connect_ai(ai, timeout_ms, addr, addrlen, err, sizeof(err));
	freeaddrinfo(ai);
	if (fd == -1)
		rcpts_fail(r, n, YERR_TEMP, "%s: %s", host, err);
	return fd;
}

static int
connect_timeout(const struct session *s)
{
	return s->timeout_ms > 0 && s->timeout_ms < NET_CONNECT_TIMEOUT_MS
	    ? s->timeout_ms
	    : NET_CONNECT_TIMEOUT_MS;
}

static void
say_connect(const struct session *s, const char *host, const char *addr,
    const char *port)
{
	if (s->log != NULL && s->log->trace)
		log_info(
		    s->log, "connected to %s (%s) port %s", host, addr, port);
}

/* The pending recipients of a group: those that still need a try. */
static int
pending(struct rcpt **all, int n, struct rcpt **out)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (all[i]->state == RS_PENDING || all[i]->state == RS_TEMP)
			out[k++] = all[i];
	return k;
}

/*
 * RFC 7435 §3: opportunistic TLS that fails to start falls back to
 * clear text rather than not delivering at all.
 */
static int
fallback(const struct session *s, struct session *clear)
{
	if (s->tls_required || s->tls != TLSM_STARTTLS)
		return 0;
	*clear = *s;
	clear->tls = TLSM_OFF;
	if (s->log != NULL)
		log_warn(s->log,
		    "%s: STARTTLS failed; trying again without "
		    "TLS",
		    s->host);
	return 1;
}

static void
via_host(const struct session *base, const char *host, const char *port,
    struct message *m, const char *from, struct rcpt **r, int n)
{
	struct session s = *base, clear;
	char addr[NET_ADDRSTR_MAX];
	int fd, tries;

	s.host = host;
	for (tries = 0; tries < 2; tries++) {
		fd = connect_name(host, port, connect_timeout(base), r, n, addr,
		    sizeof(addr));
		if (fd == -1)
			return;
		say_connect(base, host, addr, port);
		if (client_deliver(fd, &s, m, from, r, n) == 0 ||
		    !fallback(&s, &clear))
			return;
		s = clear;
	}
}

/* What a recipient hears when its MX is this host (RFC 5321 §5.1). */
static void
loops_back(struct rcpt **grp, int ng, const char *domain, const char *what)
{
	rcpts_fail(grp, ng, YERR_PERM,
	    "%s: %s is this host: mail would loop back to itself "
	    "(--route %s=[mx] sends there all the same)",
	    domain, what, domain);
}

/* Direct delivery to the MX hosts of one domain.  self_ok: a host that
   is this machine (loopback, our own address) is tried too; else it is
   passed over, and when every host was, the mail loops. */
static void
via_mx(struct dns_resolver **res, const struct routing *rt,
    const struct session *base, const char *domain, struct message *m,
    const char *from, struct rcpt **grp, int ng, int self_ok)
{
	char self[SMTP_DOMAIN_MAX + DNS_ADDRSTR_MAX + 8];
	int tried = 0;
	struct dns_mx_result *mx;
	struct dns_mx_host *h;
	struct sockaddr_storage ss;
	struct session s = *base, clear;
	struct rcpt **p;
	char err[ERR_MAX], a[DNS_ADDRSTR_MAX];
	int i, j, np, fd, port = atoi(rt->port);
	socklen_t sl;

	self[0] = '\0';
	if (*res == NULL &&
	    (*res = dns_new(rt->dns_server, 0, 0, err, sizeof(err))) == NULL) {
		rcpts_fail(grp, ng, YERR_TEMP, "DNS: %s", err);
		return;
	}
	if ((mx = calloc(1, sizeof(*mx))) == NULL ||
	    (p = calloc((size_t)ng, sizeof(*p))) == NULL) {
		free(mx);
		rcpts_fail(grp, ng, YERR_LOCAL, "out of memory");
		return;
	}
	switch (dns_mx_lookup(*res, domain, 0, mx)) {
	case DNS_MX_FOUND:
	case DNS_MX_IMPLICIT: break;
	case DNS_MX_TEMPFAIL:
		rcpts_fail(grp, ng, YERR_TEMP, "%s: %s", domain, mx->err);
		goto out;
	case DNS_MX_NULL:
	case DNS_MX_NODATA:
		rcpts_fail(grp, ng, YERR_PERM, "%s: %s", domain, mx->err);
		goto out;
	default:
		rcpts_fail(grp, ng, YERR_NOHOST, "%s: %s", domain, mx->err);
		goto out;
	}
	for (i = 0; i < mx->nhost; i++) {
		h = &mx->host[i];
		s.tls = base->tls;
		if (h->naddr == 0) {
			rcpts_fail(grp, ng, YERR_TEMP, "%s: %s", h->name,
			    h->err);
			continue;
		}
		for (j = 0; j < h->naddr; j++) {
			if ((np = pending(grp, ng, p)) == 0)
				goto out;
			sl = dns_addr_sockaddr(&h->addr[j], port, &ss);
			dns_addr_str(&h->addr[j], a, sizeof(a));
			if (!self_ok &&
			    net_addr_is_self((struct sockaddr *)&ss)) {
				(void)snprintf(self, sizeof(self),
				    "MX %s [%s]", h->name, a);
				continue;
			}
			tried++;
			fd = net_connect_sa((struct sockaddr *)&ss, sl,
			    connect_timeout(base), err, sizeof(err));
			if (fd == -1) {
				rcpts_fail(p, np, YERR_TEMP,
				    "%s [%s] port %s: %s", h->name, a, rt->port,
				    err);
				continue;
			}
			say_connect(base, h->name, a, rt->port);
			s.host = h->name;
			if (client_deliver(fd, &s, m, from, p, np) == -1 &&
			    fallback(&s, &clear)) {
				/* The same address again, without TLS. */
				s = clear;
				j--;
				continue;
			}
			s.tls = base->tls;
			break; /* next host for whatever is left */
		}
	}
	if (tried == 0 && self[0] != '\0' && (np = pending(grp, ng, p)) > 0)
		loops_back(p, np, domain, self);
out:
	free(p);
	free(mx);
}

/* RFC 5321 §5.1: an address literal is where the mail goes. */
static void
via_literal(const struct session *base, const struct routing *rt, const char *d,
    struct message *m, const char *from, struct rcpt **grp, int ng,
    int self_ok)
{
	struct addrinfo hints, *ai;
	char lit[SMTP_DOMAIN_MAX + 1];
	const char *dom = d;
	size_t n = strlen(d);
	int self;

	if (n < 3 || d[n - 1] != ']' || n - 2 >= sizeof(lit)) {
		rcpts_fail(grp, ng, YERR_NOHOST,
		    "%s: not an address "
		    "literal",
		    d);
		return;
	}
	d++;
	n -= 2;
	if (n > 5 && util_casecmp_n(d, "IPv6:", 5) == 0) {
		d += 5;
		n -= 5;
	}
	memcpy(lit, d, n);
	lit[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	if (!self_ok && getaddrinfo(lit, rt->port, &hints, &ai) == 0) {
		self = net_addr_is_self(ai->ai_addr);
		freeaddrinfo(ai);
		if (self) {
			loops_back(grp, ng, dom, "the address");
			return;
		}
	}
	via_host(base, lit, rt->port, m, from, grp, ng);
}

void
route_deliver(const struct routing *rt, const struct session *base,
    struct message *m, const char *from, struct rcpt *r, int n)
{
	struct dns_resolver *res = NULL;
	struct session s = *base;
	struct rcpt **grp;
	const struct route *rte;
	const char *d;
	int i, j, ng, self_ok;

	if ((grp = calloc((size_t)n, sizeof(*grp))) == NULL) {
		for (i = 0; i < n; i++) {
			r[i].state = RS_TEMP;
			r[i].cls = YERR_LOCAL;
			util_strlcpy(
			    r[i].why, "out of memory", sizeof(r[i].why));
		}
		return;
	}
	if (!rt->direct) {
		for (i = 0, ng = 0; i < n; i++)
			if (r[i].state == RS_PENDING)
				grp[ng++] = &r[i];
		if (ng > 0)
			via_host(
			    base, base->host, base->port, m, from, grp, ng);
		free(grp);
		return;
	}
	/* Direct: opportunistic TLS, nothing verified (RFC 7435), no AUTH. */
	s.tls_required = 0;
	s.tls_verify = 0;
	s.acct = NULL;
	for (i = 0; i < n; i++) {
		if (r[i].state != RS_PENDING)
			continue;
		d = rcpt_domain(&r[i]);
		ng = 0;
		for (j = i; j < n; j++)
			if (r[j].state == RS_PENDING &&
			    strcasecmp(rcpt_domain(&r[j]), d) == 0)
				grp[ng++] = &r[j];
		if (d[0] == '\0') {
			rcpts_fail(grp, ng, YERR_NOHOST,
			    "no domain: direct delivery needs user@domain");
			continue;
		}
		rte = route_find(rt, d);
		self_ok = rte != NULL && rte->self_ok;
		if (rte != NULL && !self_ok)
			via_host(&s, rte->host, rte->port, m, from, grp, ng);
		else if (d[0] == '[')
			via_literal(&s, rt, d, m, from, grp, ng, self_ok);
		else
			via_mx(&res, rt, &s, d, m, from, grp, ng, self_ok);
		/* Whatever is still pending failed on every host. */
		for (j = 0; j < ng; j++)
			if (grp[j]->state == RS_PENDING)
				grp[j]->state = RS_TEMP;
	}
	if (res != NULL)
		dns_free(res);
	free(grp);
}
