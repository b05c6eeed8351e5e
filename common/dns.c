/*
 * dns.c: MX, A, AAAA, TXT and TLSA lookups over libresolv, RFC 5321 §5.1
 * MX ordering, implicit and null MX, IDNA, the AD bit for DANE.
 *
 * Queries are built with res_nmkquery and sent with res_nsend on a
 * resolver state the caller owns (res_ninit).  We do not use res_nquery:
 * it is the same two calls followed by an rcode check that throws the
 * response away, and we want the response (its rcode, its CNAMEs, its
 * additional section) in our own total parser, dns_parse.  There is no
 * search list (res_nsearch): mail domains are absolute.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <errno.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>

#include "dns.h"
#include "util.h"

/* RFC 1035 §4.2.1: a query we build fits a UDP message. */
#define DNS_QUERY_MAX 512

struct dns_resolver {
	struct __res_state res;
	int inited;
	int single; /* one explicit server */
	char name[64]; /* for messages */
	unsigned char *msg; /* DNS_MSG_MAX */
	struct dns_answer *tmp; /* CNAME re-queries */
	struct dns_answer *mxans; /* dns_mx_lookup's MX answer */
	struct dns_answer *aans; /* dns_mx_lookup's A/AAAA */
	int nqueries; /* since the last reset */
	/* Every answer since the last reset had AD (see dns.h). */
	int all_ad;
	/* dns_query_any: names of any octets, already escaped. */
	int any_name;
};

/* ------------------------------------------------------------ names */

int
dns_name_valid(const char *name)
{
	size_t len, label = 0;
	const char *p;

	len = strlen(name);
	/* RFC 1035 §2.3.4: 255 octets on the wire is 253 in text. */
	if (len == 0 || len > DNS_NAME_MAX - 2)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
		if (++label > DNS_LABEL_MAX)
			return 0;
	}
	return label > 0;
}

int
dns_to_ascii(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char tmp[4 * (DNS_NAME_MAX + 1)];
	size_t len;
	gnutls_datum_t d = {NULL, 0};
	int rc;

	len = strlen(in);
	if (len >= sizeof(tmp)) {
		util_seterr(err, errlen, "domain name too long");
		return -1;
	}
	memcpy(tmp, in, len + 1);
	/* One trailing dot: the name is absolute anyway. */
	if (len > 1 && tmp[len - 1] == '.')
		tmp[--len] = '\0';
	if (len == 0) {
		util_seterr(err, errlen, "empty domain name");
		return -1;
	}
	if (util_is_ascii(tmp)) {
		if (util_strlcpy(out, tmp, outlen) >= outlen) {
			util_seterr(err, errlen, "domain name too long");
			return -1;
		}
	} else {
		/* IDNA2008 (RFC 5891) with the UTS #46 mapping, by GnuTLS. */
		rc = gnutls_idna_map(tmp, (unsigned)len, &d, 0);
		if (rc < 0) {
			util_seterr(err, errlen, "not a valid IDN: %s",
			    gnutls_strerror(rc));
			return -1;
		}
		if (d.size >= outlen || memchr(d.data, '\0', d.size) != NULL) {
			gnutls_free(d.data);
			util_seterr(err, errlen, "domain name too long");
			return -1;
		}
		memcpy(out, d.data, d.size);
		out[d.size] = '\0';
		gnutls_free(d.data);
	}
	if (!dns_name_valid(out)) {
		util_seterr(err, errlen, "not a valid domain name");
		return -1;
	}
	/* Names are case-insensitive (RFC 4343): ask, and show, lower case. */
	util_lower(out);
	return 0;
}

int
dns_to_unicode(const char *in, char *out, size_t outlen)
{
	gnutls_datum_t d = {NULL, 0};
	char low[DNS_NAME_MAX + 1];
	int rc, same;

	if (util_strlcpy(low, in, sizeof(low)) >= sizeof(low))
		return -1;
	util_lower(low);
	if (strncmp(low, "xn--", 4) != 0 && strstr(low, ".xn--") == NULL)
		return -1;
	rc = gnutls_idna_reverse_map(in, (unsigned)strlen(in), &d, 0);
	if (rc < 0)
		return -1;
	if (d.size >= outlen || memchr(d.data, '\0', d.size) != NULL) {
		gnutls_free(d.data);
		return -1;
	}
	memcpy(out, d.data, d.size);
	out[d.size] = '\0';
	gnutls_free(d.data);
	same = strcasecmp(out, in) == 0;
	return same ? -1 : 0;
}

/* ------------------------------------------------------------ server */

int
dns_parse_server(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    char *err, size_t errlen)
{
	char host[64];
	const char *port = NULL, *end;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	long long p = NS_DEFAULTPORT;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			goto bad;
		hlen = (size_t)(end - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
	} else {
		end = strchr(s, ':');
		if (end != NULL && strchr(end + 1, ':') == NULL) {
			/* One colon: IPv4 with a port. */
			hlen = (size_t)(end - s);
			port = end + 1;
		} else
			hlen = strlen(s); /* no colon, or bare IPv6 */
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	if (port != NULL && util_parse_num(port, 1, 65535, 0, &p) != 0) {
		util_seterr(err, errlen, "%s: bad port", s);
		return -1;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		if (s[0] == '[')
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*sin6);
		return 0;
	}
bad:
	util_seterr(err, errlen,
	    "%s: not a numeric server address (ADDR, ADDR:PORT, [V6ADDR]:PORT)",
	    s);
	return -1;
}

struct dns_resolver *
dns_new(const char *server, int timeout_s, int tries, char *err, size_t errlen)
{
	struct dns_resolver *r;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct sockaddr_in6 *v6;
	char a[DNS_ADDRSTR_MAX];
	int i;

	if (server != NULL &&
	    dns_parse_server(server, &ss, &sslen, err, errlen) != 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->msg = malloc(DNS_MSG_MAX)) == NULL ||
	    (r->tmp = malloc(sizeof(*r->tmp))) == NULL ||
	    (r->mxans = malloc(sizeof(*r->mxans))) == NULL ||
	    (r->aans = malloc(sizeof(*r->aans))) == NULL) {
		util_seterr(err, errlen, "%s", strerror(ENOMEM));
		dns_free(r);
		return NULL;
	}
	if (res_ninit(&r->res) != 0) {
		util_seterr(err, errlen, "cannot set up the resolver");
		dns_free(r);
		return NULL;
	}
	r->inited = 1;
	r->res.retrans = timeout_s > 0 ? timeout_s : DNS_TIMEOUT;
	r->res.retry = tries > 0 ? tries : DNS_TRIES;
	/* No search list, no default domain: names are absolute. */
	r->res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
#ifdef RES_TRUSTAD
	/*
	 * glibc (2.31 and later) clears AD in every answer unless told to
	 * trust it, as resolv.conf's "options trust-ad" does.  We keep it
	 * and report it as "secure"; only the caller's choice of resolver
	 * (a local validating one) makes it mean anything (dns.h).
	 */
	r->res.options |= RES_TRUSTAD;
#endif
	util_strlcpy(r->name, "resolv.conf", sizeof(r->name));
	if (server == NULL)
		return r;

	/*
	 * One explicit server.  glibc keeps IPv4 servers in nsaddr_list
	 * and IPv6 ones in malloc'ed _u._ext.nsaddrs[] (freed by
	 * res_nclose), with the nsaddr_list entry's family set to 0.
	 */
	for (i = 0; i < MAXNS; i++) {
		free(r->res._u._ext.nsaddrs[i]);
		r->res._u._ext.nsaddrs[i] = NULL;
	}
	r->res._u._ext.nscount = 0;
	memset(r->res.nsaddr_list, 0, sizeof(r->res.nsaddr_list));
	if (ss.ss_family == AF_INET) {
		memcpy(&r->res.nsaddr_list[0], &ss, sizeof(struct sockaddr_in));
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a,
		    sizeof(a));
		(void)snprintf(r->name, sizeof(r->name), "%s#%u", a,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	} else {
		if ((v6 = malloc(sizeof(*v6))) == NULL) {
			util_seterr(err, errlen, "%s", strerror(ENOMEM));
			dns_free(r);
			return NULL;
		}
		memcpy(v6, &ss, sizeof(*v6));
		r->res._u._ext.nsaddrs[0] = v6;
		r->res.nsaddr_list[0].sin_family = 0;
		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof(a));
		(void)snprintf(
		    r->name, sizeof(r->name), "%s#%u", a, ntohs(v6->sin6_port));
	}
	r->res.nscount = 1;
	r->single = 1;
	/*
	 * With a single server there is no other to fail over to: have
	 * res_nsend hand back SERVFAIL/REFUSED answers (as it does for dig)
	 * instead of a bare -1, so that we can say which it was.
	 */
	r->res.pfcode = RES_PRF_REPLY;
	return r;
}

void
dns_free(struct dns_resolver *r)
{
	if (r == NULL)
		return;
	if (r->inited)
		res_nclose(&r->res);
	free(r->msg);
	free(r->tmp);
	free(r->mxans);
	free(r->aans);
	free(r);
}

const char *
dns_server_name(const struct dns_resolver *r)
{
	return r->name;
}

/* ------------------------------------------------------------ parser */

/* RFC 2181 §8: a TTL with the top bit set is taken as zero. */
static uint32_t
ttl_of(const ns_rr *rr)
{
	uint32_t t = ns_rr_ttl(*rr);

	return (t & 0x80000000U) ? 0 : t;
}

/* Expand the name at p (inside rdata) into out; the bytes it used or -1. */
static int
expand(const unsigned char *msg, const unsigned char *eom,
    const unsigned char *p, char *out, size_t outlen)
{
	int n;

	if (p < msg || p >= eom)
		return -1;
	n = dn_expand(msg, eom, p, out, (int)outlen);
	if (n < 0 || strlen(out) > DNS_NAME_MAX)
		return -1;
	/* dn_expand writes the root as "" or "." depending on the libc. */
	if (out[0] == '\0')
		util_strlcpy(out, ".", outlen);
	return n;
}

static int
same_name(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static int
parse_addr(const ns_rr *rr, struct dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ns_rr_type(*rr) == ns_t_a && ns_rr_rdlen(*rr) == 4) {
		a->family = AF_INET;
		memcpy(a->addr, ns_rr_rdata(*rr), 4);
	} else if (ns_rr_type(*rr) == ns_t_aaaa && ns_rr_rdlen(*rr) == 16) {
		a->family = AF_INET6;
		memcpy(a->addr, ns_rr_rdata(*rr), 16);
	} else
		return -1;
	a->ttl = ttl_of(rr);
	return 0;
}

/* RFC 1035 §3.3.14: one or more <character-string>s filling the rdata. */
static int
parse_txt(const ns_rr *rr, struct dns_txt *t)
{
	const unsigned char *p = ns_rr_rdata(*rr);
	size_t left = ns_rr_rdlen(*rr), n;

	t->len = 0;
	t->ttl = ttl_of(rr);
	if (left == 0)
		return -1;
	while (left > 0) {
		n = p[0];
		if (n + 1 > left)
			return -1;
		if (t->len + n > DNS_TXT_LEN_MAX)
			return -1;
		memcpy(t->data + t->len, p + 1, n);
		t->len += n;
		p += n + 1;
		left -= n + 1;
	}
	t->data[t->len] = '\0';
	return 0;
}

static int
parse_mx(const unsigned char *msg, const unsigned char *eom, const ns_rr *rr,
    struct dns_mx_rr *mx)
{
	const unsigned char *p = ns_rr_rdata(*rr);
	int n;

	if (ns_rr_rdlen(*rr) < 3)
		return -1;
	mx->pref = (uint16_t)((p[0] << 8) | p[1]);
	mx->ttl = ttl_of(rr);
	n = expand(msg, eom, p + 2, mx->host, sizeof(mx->host));
	if (n < 0 || (size_t)n + 2 != ns_rr_rdlen(*rr))
		return -1;
	return 0;
}

int
dns_tlsa_parse(const unsigned char *rdata, size_t len, struct dns_tlsa *t,
    char *err, size_t errlen)
{
	memset(t, 0, offsetof(struct dns_tlsa, data));
	/* RFC 6698 §2.1: three one-octet fields, then the data. */
	if (len < 4) {
		util_seterr(err, errlen, "TLSA record of %zu bytes", len);
		return -1;
	}
	if (len - 3 > DNS_TLSA_DATA_MAX) {
		util_seterr(err, errlen,
		    "TLSA data of %zu bytes (we keep at most %d)", len - 3,
		    DNS_TLSA_DATA_MAX);
		return -1;
	}
	t->usage = rdata[0];
	t->selector = rdata[1];
	t->mtype = rdata[2];
	t->len = len - 3;
	memcpy(t->data, rdata + 3, t->len);
	return 0;
}

#define PARSE_FAIL(...) \
	do { \
		util_seterr(err, errlen, __VA_ARGS__); \
		return -1; \
	} while (0)

int
dns_parse(const unsigned char *msg, size_t len, struct dns_answer *ans,
    char *err, size_t errlen)
{
	ns_msg h;
	ns_rr rr;
	const unsigned char *eom;
	char target[NS_MAXDNAME];
	int i, n, count, found, hop;

	memset(ans, 0, offsetof(struct dns_answer, txt));
	ans->ntxt = 0;
	ans->nextra = 0;
	ans->dropped = 0;
	ans->ntlsa = 0;
	ans->tlsa_dropped = 0;
	ans->nptr = 0;
	if (len < NS_HFIXEDSZ)
		PARSE_FAIL("short message (%zu bytes)", len);
	if (len > DNS_MSG_MAX)
		PARSE_FAIL("message too long");
	/* ns_initparse checks that every section fits, exactly. */
	if (ns_initparse(msg, (int)len, &h) != 0)
		PARSE_FAIL("malformed message");
	eom = msg + len;
	if (!ns_msg_getflag(h, ns_f_qr))
		PARSE_FAIL("not a response");
	if (ns_msg_getflag(h, ns_f_opcode) != ns_o_query)
		PARSE_FAIL(
		    "unexpected opcode %d", ns_msg_getflag(h, ns_f_opcode));
	ans->rcode = ns_msg_getflag(h, ns_f_rcode);
	ans->aa = ns_msg_getflag(h, ns_f_aa);
	ans->tc = ns_msg_getflag(h, ns_f_tc);
	ans->ad = ns_msg_getflag(h, ns_f_ad);
	if (ns_msg_count(h, ns_s_qd) != 1)
		PARSE_FAIL(
		    "%d questions in the response", ns_msg_count(h, ns_s_qd));
	if (ns_parserr(&h, ns_s_qd, 0, &rr) != 0)
		PARSE_FAIL("malformed question");
	if (ns_rr_class(rr) != ns_c_in)
		PARSE_FAIL("question of class %d", ns_rr_class(rr));
	if (util_strlcpy(ans->qname, ns_rr_name(rr), sizeof(ans->qname)) >=
	    sizeof(ans->qname))
		PARSE_FAIL("question name too long");
	if (ans->qname[0] == '\0')
		util_strlcpy(ans->qname, ".", sizeof(ans->qname));
	ans->qtype = ns_rr_type(rr);
	util_strlcpy(ans->canon, ans->qname, sizeof(ans->canon));

	/*
	 * Follow the CNAME chain from the question's name (RFC 1034 §3.6.2,
	 * RFC 5321 §5.1), in whatever order the records come.
	 */
	count = ns_msg_count(h, ns_s_an);
	for (hop = 0; hop < DNS_CNAME_MAX; hop++) {
		found = 0;
		for (i = 0; i < count; i++) {
			if (ns_parserr(&h, ns_s_an, i, &rr) != 0)
				PARSE_FAIL("malformed answer record");
			if (ns_rr_type(rr) != ns_t_cname ||
			    ns_rr_class(rr) != ns_c_in ||
			    !same_name(ns_rr_name(rr), ans->canon))
				continue;
			n = expand(
			    msg, eom, ns_rr_rdata(rr), target, sizeof(target));
			if (n < 0 || (size_t)n != ns_rr_rdlen(rr))
				PARSE_FAIL("malformed CNAME record");
			/* A CNAME back to a name of the chain: a loop. */
			if (same_name(target, ans->qname))
				PARSE_FAIL("CNAME loop at %s", target);
			util_strlcpy(ans->cname[ans->ncname].target, target,
			    sizeof(ans->cname[0].target));
			ans->cname[ans->ncname].ttl = ttl_of(&rr);
			ans->ncname++;
			util_strlcpy(ans->canon, target, sizeof(ans->canon));
			found = 1;
			break;
		}
		if (!found)
			break;
	}

	/* The records of the type asked for, owned by the canonical name. */
	for (i = 0; i < count; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) != 0)
			PARSE_FAIL("malformed answer record");
		if ((int)ns_rr_type(rr) != ans->qtype ||
		    ns_rr_class(rr) != ns_c_in ||
		    !same_name(ns_rr_name(rr), ans->canon))
			continue;
		switch (ans->qtype) {
		case ns_t_mx:
			if (ans->nmx == DNS_MX_MAX) {
				ans->dropped++;
				break;
			}
			if (parse_mx(msg, eom, &rr, &ans->mx[ans->nmx]) != 0)
				PARSE_FAIL("malformed MX record");
			ans->nmx++;
			break;
		case ns_t_a:
		case ns_t_aaaa:
			if (ans->naddr == DNS_ADDR_MAX) {
				ans->dropped++;
				break;
			}
			if (parse_addr(&rr, &ans->addr[ans->naddr]) != 0)
				PARSE_FAIL("malformed %s record",
				    ans->qtype == ns_t_a ? "A" : "AAAA");
			ans->naddr++;
			break;
		case ns_t_txt:
			if (ans->ntxt == DNS_TXT_MAX) {
				ans->dropped++;
				break;
			}
			if (parse_txt(&rr, &ans->txt[ans->ntxt]) != 0) {
				/* Too long for us, or malformed. */
				ans->dropped++;
				break;
			}
			ans->ntxt++;
			break;
		case ns_t_tlsa:
			/*
			 * A record we cannot keep is dropped, not fatal: the
			 * others may still be usable, and the name still has
			 * TLSA records (RFC 7672 §2.2: TLS stays required).
			 */
			if (ans->ntlsa == DNS_TLSA_MAX ||
			    dns_tlsa_parse(ns_rr_rdata(rr), ns_rr_rdlen(rr),
				&ans->tlsa[ans->ntlsa], NULL, 0) != 0) {
				ans->dropped++;
				ans->tlsa_dropped++;
				break;
			}
			ans->tlsa[ans->ntlsa++].ttl = ttl_of(&rr);
			break;
		case ns_t_ptr:
			if (ans->nptr == DNS_PTR_MAX) {
				ans->dropped++;
				break;
			}
			n = expand(msg, eom, ns_rr_rdata(rr),
			    ans->ptr[ans->nptr], sizeof(ans->ptr[0]));
			if (n < 0 || (size_t)n != ns_rr_rdlen(rr))
				PARSE_FAIL("malformed PTR record");
			ans->nptr++;
			break;
		default: break;
		}
	}

	/* Addresses in the additional section, for the MX hosts. */
	count = ns_msg_count(h, ns_s_ar);
	for (i = 0; i < count; i++) {
		struct dns_extra *x;

		if (ns_parserr(&h, ns_s_ar, i, &rr) != 0)
			PARSE_FAIL("malformed additional record");
		if ((ns_rr_type(rr) != ns_t_a && ns_rr_type(rr) != ns_t_aaaa) ||
		    ns_rr_class(rr) != ns_c_in)
			continue;
		if (ans->nextra == DNS_EXTRA_MAX) {
			ans->dropped++;
			continue;
		}
		x = &ans->extra[ans->nextra];
		if (util_strlcpy(x->name, ns_rr_name(rr), sizeof(x->name)) >=
			sizeof(x->name) ||
		    parse_addr(&rr, &x->a) != 0) {
			ans->dropped++;
			continue;
		}
		ans->nextra++;
	}
	return 0;
}

/* ------------------------------------------------------------ queries */

const char *
dns_rcode_str(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
	    "NOTAUTH", "NOTZONE"};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "unknown rcode";
}

const char *
dns_status_str(int status)
{
	switch (status) {
	case DNS_OK: return "ok";
	case DNS_NODATA: return "no data";
	case DNS_NXDOMAIN: return "no such domain";
	case DNS_TEMPFAIL: return "temporary failure";
	case DNS_BADNAME: return "bad name";
	}
	return "unknown";
}

const char *
dns_mx_status_str(int status)
{
	switch (status) {
	case DNS_MX_FOUND: return "MX found";
	case DNS_MX_IMPLICIT: return "implicit MX";
	case DNS_MX_NULL: return "null MX";
	case DNS_MX_NODATA: return "no MX and no address";
	case DNS_MX_NOADDR: return "no MX host has an address";
	case DNS_MX_NXDOMAIN: return "no such domain";
	case DNS_MX_TEMPFAIL: return "temporary failure";
	case DNS_MX_BADNAME: return "bad name";
	}
	return "unknown";
}

const char *
dns_tlsa_status_str(int status)
{
	switch (status) {
	case DNS_TLSA_FOUND: return "TLSA records (validated)";
	case DNS_TLSA_NONE: return "no TLSA records (validated)";
	case DNS_TLSA_INSECURE: return "not validated (no AD)";
	case DNS_TLSA_TEMPFAIL: return "temporary failure";
	case DNS_TLSA_BADNAME: return "bad name";
	}
	return "unknown";
}

static const char *
type_str(int type)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_CNAME: return "CNAME";
	case DNS_T_TLSA: return "TLSA";
	case DNS_T_PTR: return "PTR";
	}
	return "?";
}

static int
have_records(const struct dns_answer *a)
{
	switch (a->qtype) {
	case ns_t_mx: return a->nmx > 0;
	case ns_t_a:
	case ns_t_aaaa: return a->naddr > 0;
	case ns_t_txt: return a->ntxt > 0;
	case ns_t_tlsa: return a->ntlsa > 0 || a->tlsa_dropped > 0;
	case ns_t_ptr: return a->nptr > 0;
	}
	return 0;
}

/* One query, one response, parsed; no CNAME chasing. */
static int
query_once(struct dns_resolver *r, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen)
{
	unsigned char q[DNS_QUERY_MAX];
	char why[ERR_MAX];
	int n, m, e;

	if (!r->any_name && !dns_name_valid(name)) {
		util_seterr(err, errlen, "%s: not a valid domain name", name);
		return DNS_BADNAME;
	}
	if (r->nqueries >= DNS_QUERIES_MAX) {
		util_seterr(err, errlen,
		    "%s: more than %d queries for one "
		    "lookup",
		    name, DNS_QUERIES_MAX);
		return DNS_TEMPFAIL;
	}
	n = res_nmkquery(&r->res, ns_o_query, name, ns_c_in, type, NULL, 0,
	    NULL, q, sizeof(q));
	if (n < 0) {
		util_seterr(err, errlen, "%s: cannot build a query", name);
		return DNS_BADNAME;
	}
	/*
	 * RFC 6840 §5.7: AD in a query asks the resolver to tell us whether
	 * it validated the answer, without DO and the DNSSEC records.
	 * RES_TRUSTAD does this on glibc; say it ourselves anyway.
	 */
	q[3] |= 0x20;
	r->nqueries++;
	errno = 0;
	m = res_nsend(&r->res, q, n, r->msg, DNS_MSG_MAX);
	if (m < 0) {
		e = errno;
		if (e == ECONNREFUSED)
			util_seterr(err, errlen,
			    "%s %s: no DNS server answers "
			    "at %s (connection refused)",
			    name, type_str(type), r->name);
		else if ((e == ETIMEDOUT || e == 0) && r->single)
			util_seterr(err, errlen,
			    "%s %s: no answer from %s "
			    "(timed out)",
			    name, type_str(type), r->name);
		else if (e == ETIMEDOUT || e == 0)
			/* glibc folds SERVFAIL and REFUSED in here too. */
			util_seterr(err, errlen,
			    "%s %s: no answer from the "
			    "servers of %s (timed out, SERVFAIL or REFUSED)",
			    name, type_str(type), r->name);
		else
			util_seterr(err, errlen, "%s %s: asking %s: %s", name,
			    type_str(type), r->name, strerror(e));
		return DNS_TEMPFAIL;
	}
	if (m > DNS_MSG_MAX)
		m = DNS_MSG_MAX; /* res_nsend may report the full size */
	if (dns_parse(r->msg, (size_t)m, ans, why, sizeof(why)) != 0) {
		util_seterr(err, errlen, "%s %s: bad answer from %s: %s", name,
		    type_str(type), r->name, why);
		return DNS_TEMPFAIL;
	}
	if (ans->qtype != type || !same_name(ans->qname, name)) {
		util_seterr(err, errlen, "%s %s: %s answered another question",
		    name, type_str(type), r->name);
		return DNS_TEMPFAIL;
	}
	if (ans->tc) {
		util_seterr(err, errlen, "%s %s: truncated answer from %s",
		    name, type_str(type), r->name);
		return DNS_TEMPFAIL;
	}
	if (!ans->ad)
		r->all_ad = 0;
	switch (ans->rcode) {
	case ns_r_noerror: return have_records(ans) ? DNS_OK : DNS_NODATA;
	case ns_r_nxdomain:
		util_seterr(
		    err, errlen, "%s: no such domain (NXDOMAIN)", ans->canon);
		return DNS_NXDOMAIN;
	default:
		/*
		 * SERVFAIL, REFUSED, FORMERR, NOTIMP...: the server could not
		 * or would not answer; nothing is known about the name, so
		 * the caller must try again later.
		 */
		util_seterr(err, errlen, "%s %s: %s from %s", name,
		    type_str(type), dns_rcode_str(ans->rcode), r->name);
		return DNS_TEMPFAIL;
	}
}

/* Query, and re-query the end of a CNAME chain the server did not chase. */
static int
query_follow(struct dns_resolver *r, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen)
{
	struct dns_cname chain[DNS_CNAME_MAX];
	int st, nchain, i;

	st = query_once(r, name, type, ans, err, errlen);
	while (st == DNS_NODATA && ans->ncname > 0) {
		if (ans->ncname >= DNS_CNAME_MAX) {
			util_seterr(err, errlen, "%s: more than %d CNAMEs",
			    name, DNS_CNAME_MAX);
			return DNS_TEMPFAIL;
		}
		nchain = ans->ncname;
		memcpy(chain, ans->cname, sizeof(chain[0]) * (size_t)nchain);
		st = query_once(r, ans->canon, type, r->tmp, err, errlen);
		if (st == DNS_TEMPFAIL || st == DNS_BADNAME)
			return st;
		if (nchain + r->tmp->ncname > DNS_CNAME_MAX) {
			util_seterr(err, errlen, "%s: more than %d CNAMEs",
			    name, DNS_CNAME_MAX);
			return DNS_TEMPFAIL;
		}
		for (i = 0; i < nchain; i++)
			if (same_name(chain[i].target, r->tmp->canon) &&
			    r->tmp->ncname > 0) {
				util_seterr(
				    err, errlen, "%s: CNAME loop", name);
				return DNS_TEMPFAIL;
			}
		/* ans = chain so far + the new answer. */
		memcpy(ans, r->tmp, sizeof(*ans));
		memmove(ans->cname + nchain, ans->cname,
		    sizeof(chain[0]) * (size_t)ans->ncname);
		memcpy(ans->cname, chain, sizeof(chain[0]) * (size_t)nchain);
		ans->ncname += nchain;
		util_strlcpy(ans->qname, name, sizeof(ans->qname));
		if (ans->ncname > 0 && st == DNS_NODATA && r->tmp->ncname == 0)
			break;
	}
	if (st == DNS_NODATA)
		util_seterr(err, errlen, "%s: no %s record", ans->canon,
		    type_str(type));
	return st;
}

int
dns_query(struct dns_resolver *r, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen)
{
	r->nqueries = 0;
	r->all_ad = 1;
	return query_follow(r, name, type, ans, err, errlen);
}

int
dns_query_any(struct dns_resolver *r, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen)
{
	int st;

	if (name[0] == '\0' || strlen(name) > DNS_NAME_MAX) {
		util_seterr(err, errlen, "not a valid domain name");
		return DNS_BADNAME;
	}
	r->nqueries = 0;
	r->all_ad = 1;
	r->any_name = 1;
	st = query_follow(r, name, type, ans, err, errlen);
	r->any_name = 0;
	return st;
}

int
dns_name_escape(const char *raw, char *out, size_t outlen)
{
	size_t len, i, o = 0, label = 0;
	unsigned char c;
	char tmp[5];

	len = strlen(raw);
	if (len > 1 && raw[len - 1] == '.')
		len--;
	/* RFC 1035 §2.3.4: 255 octets on the wire is 253 in text. */
	if (len == 0 || len > DNS_NAME_MAX - 2)
		return -1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)raw[i];
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			tmp[0] = '.';
			tmp[1] = '\0';
		} else {
			if (++label > DNS_LABEL_MAX)
				return -1;
			/* As ns_name_ntop writes them, so that the answer's
			   question compares equal. */
			if (strchr("\".;\\()@$", c) != NULL) {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tmp[2] = '\0';
			} else if (c <= 0x20 || c >= 0x7f)
				(void)snprintf(tmp, sizeof(tmp), "\\%03u", c);
			else {
				tmp[0] = (char)c;
				tmp[1] = '\0';
			}
		}
		if (o + strlen(tmp) >= outlen)
			return -1;
		memcpy(out + o, tmp, strlen(tmp));
		o += strlen(tmp);
	}
	if (label == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* ------------------------------------------------------------ MX */

static void
swap_hosts(
    struct dns_mx_host *a, struct dns_mx_host *b, struct dns_mx_host *tmp)
{
	memcpy(tmp, a, sizeof(*tmp));
	memcpy(a, b, sizeof(*a));
	memcpy(b, tmp, sizeof(*b));
}

void
dns_mx_sort(struct dns_mx_host *hosts, int n, int flags)
{
	struct dns_mx_host *tmp;
	int i, j, start, end;

	if (n < 2 || (tmp = malloc(sizeof(*tmp))) == NULL)
		return;
	/* Insertion sort: n <= DNS_MX_MAX; by preference, then by name. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			if (hosts[j - 1].pref < hosts[j].pref ||
			    (hosts[j - 1].pref == hosts[j].pref &&
				strcasecmp(hosts[j - 1].name, hosts[j].name) <=
				    0))
				break;
			swap_hosts(&hosts[j - 1], &hosts[j], tmp);
		}
	/*
	 * RFC 5321 §5.1: "If there are multiple destinations with the same
	 * preference and there is no clear reason to favor one (e.g., by
	 * recognition of an easily reached address), then the sender-SMTP
	 * MUST randomize them to spread the load".
	 */
	if (!(flags & DNS_F_NO_SHUFFLE))
		for (start = 0; start < n; start = end) {
			for (end = start + 1;
			     end < n && hosts[end].pref == hosts[start].pref;
			     end++)
				;
			for (i = end - 1; i > start; i--) {
				j = start +
				    (int)(util_random() %
					(uint32_t)(i - start + 1));
				if (j != i)
					swap_hosts(&hosts[i], &hosts[j], tmp);
			}
		}
	free(tmp);
}

static void
add_addr(struct dns_mx_host *h, const struct dns_addr *a)
{
	int i;

	for (i = 0; i < h->naddr; i++)
		if (h->addr[i].family == a->family &&
		    memcmp(h->addr[i].addr, a->addr, 16) == 0)
			return;
	if (h->naddr < DNS_ADDR_MAX)
		h->addr[h->naddr++] = *a;
}

/*
 * The addresses of one host: IPv6 then IPv4, each from the additional
 * section of the MX answer when it has them (extra may be NULL), else
 * asked for, CNAMEs followed.
 */
static void
host_addrs(struct dns_resolver *r, struct dns_mx_host *h,
    const struct dns_answer *extra)
{
	static const int types[2] = {DNS_T_AAAA, DNS_T_A};
	char err[ERR_MAX];
	int t, i, st, got, any_tmp = 0, any_nx = 0, fam;
	struct dns_answer *a = r->aans;

	h->naddr = 0;
	h->err[0] = '\0';
	h->secure = 1;
	for (t = 0; t < 2; t++) {
		fam = types[t] == DNS_T_A ? AF_INET : AF_INET6;
		got = 0;
		for (i = 0; extra != NULL && i < extra->nextra; i++)
			if (extra->extra[i].a.family == fam &&
			    same_name(extra->extra[i].name, h->name)) {
				add_addr(h, &extra->extra[i].a);
				got = 1;
			}
		if (got) {
			h->from_additional |=
			    fam == AF_INET ? DNS_ADDL_A : DNS_ADDL_AAAA;
			/* AD does not vouch for the additional section. */
			h->secure = 0;
			continue;
		}
		r->all_ad = 1;
		st = query_follow(r, h->name, types[t], a, err, sizeof(err));
		/* A NODATA must be validated too: it says there is no other. */
		if (!r->all_ad || st == DNS_TEMPFAIL || st == DNS_BADNAME)
			h->secure = 0;
		if ((st == DNS_OK || st == DNS_NODATA) && a->ncname > 0 &&
		    h->ncname == 0) {
			h->ncname = a->ncname;
			memcpy(h->cname, a->cname,
			    sizeof(a->cname[0]) * (size_t)a->ncname);
		}
		if (st == DNS_OK)
			for (i = 0; i < a->naddr; i++)
				add_addr(h, &a->addr[i]);
		else if (st == DNS_TEMPFAIL || st == DNS_BADNAME) {
			any_tmp |= st == DNS_TEMPFAIL;
			util_strlcpy(h->err, err, sizeof(h->err));
		} else if (st == DNS_NXDOMAIN) {
			any_nx = 1;
			if (!any_tmp)
				util_strlcpy(h->err, err, sizeof(h->err));
		}
	}
	if (h->naddr == 0)
		h->secure = 0;
	if (h->naddr > 0) {
		h->status = DNS_OK;
		h->err[0] = '\0';
	} else if (any_tmp)
		h->status = DNS_TEMPFAIL;
	else if (any_nx)
		h->status = DNS_NXDOMAIN;
	else if (h->err[0] != '\0')
		h->status = DNS_BADNAME;
	else {
		h->status = DNS_NODATA;
		util_seterr(h->err, sizeof(h->err), "%s: no A or AAAA record",
		    h->ncname > 0 ? h->cname[h->ncname - 1].target : h->name);
	}
}

static int
mx_fail(struct dns_mx_result *res, int status, const char *err)
{
	res->status = status;
	util_strlcpy(res->err, err, sizeof(res->err));
	return status;
}

int
dns_mx_lookup(struct dns_resolver *r, const char *domain, int flags,
    struct dns_mx_result *res)
{
	struct dns_answer *ans = r->mxans;
	struct dns_mx_host *h;
	char err[ERR_MAX];
	int st, i, j, nnull = 0, any_tmp = 0, dup;
	size_t n;

	memset(res, 0, sizeof(*res));
	r->nqueries = 0;
	if (util_strlcpy(res->domain, domain, sizeof(res->domain)) >=
	    sizeof(res->domain))
		return mx_fail(res, DNS_MX_BADNAME, "domain name too long");
	if (dns_to_ascii(
		domain, res->ascii, sizeof(res->ascii), err, sizeof(err)) != 0)
		return mx_fail(res, DNS_MX_BADNAME, err);

	r->all_ad = 1;
	st = query_follow(r, res->ascii, DNS_T_MX, ans, err, sizeof(err));
	res->nqueries = r->nqueries;
	res->secure = r->all_ad && st != DNS_TEMPFAIL && st != DNS_BADNAME;
	if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN) {
		res->ncname = ans->ncname;
		memcpy(res->cname, ans->cname,
		    sizeof(ans->cname[0]) * (size_t)ans->ncname);
	}
	switch (st) {
	case DNS_NXDOMAIN:
		if (res->ncname > 0)
			util_seterr(err, sizeof(err),
			    "CNAME to %s: no such "
			    "domain (NXDOMAIN)",
			    res->cname[res->ncname - 1].target);
		else
			util_seterr(
			    err, sizeof(err), "no such domain (NXDOMAIN)");
		return mx_fail(res, DNS_MX_NXDOMAIN, err);
	case DNS_TEMPFAIL:
		/* "d MX: SERVFAIL from ..." is about d itself: say it once. */
		n = strlen(res->ascii);
		if (strncmp(err, res->ascii, n) == 0 &&
		    strncmp(err + n, " MX: ", 5) == 0)
			memmove(err, err + n + 5, strlen(err + n + 5) + 1);
		return mx_fail(res, DNS_MX_TEMPFAIL, err);
	case DNS_BADNAME: return mx_fail(res, DNS_MX_BADNAME, err);
	case DNS_NODATA:
		/*
		 * RFC 5321 §5.1: no MX, so the domain itself is the implicit
		 * MX with preference 0 (the canonical name after CNAMEs).
		 */
		h = &res->host[0];
		util_strlcpy(h->name, ans->canon, sizeof(h->name));
		host_addrs(r, h, NULL);
		res->nqueries = r->nqueries;
		/* The domain's own CNAMEs were shown already. */
		if (h->naddr > 0) {
			res->nhost = 1;
			res->status = DNS_MX_IMPLICIT;
			return res->status;
		}
		if (h->status == DNS_TEMPFAIL)
			return mx_fail(res, DNS_MX_TEMPFAIL, h->err);
		if (h->status == DNS_NXDOMAIN)
			return mx_fail(
			    res, DNS_MX_NXDOMAIN, "no such domain (NXDOMAIN)");
		return mx_fail(res, DNS_MX_NODATA,
		    "no MX and no address record: accepts no mail");
	default: break;
	}

	/* RFC 7505 §3: a null MX is a single MX with an empty exchange. */
	for (i = 0; i < ans->nmx; i++)
		if (strcmp(ans->mx[i].host, ".") == 0)
			nnull++;
	if (nnull == ans->nmx)
		return mx_fail(
		    res, DNS_MX_NULL, "null MX: accepts no mail (RFC 7505)");

	for (i = 0; i < ans->nmx; i++) {
		const struct dns_mx_rr *mx = &ans->mx[i];

		/*
		 * RFC 7505 §3: a domain with a null MX MUST NOT have other
		 * MX records; when it does, the "." cannot be reached anyway.
		 * Host names that are not host names are dropped too.
		 */
		if (strcmp(mx->host, ".") == 0 || !dns_name_valid(mx->host)) {
			res->dropped++;
			continue;
		}
		for (dup = 0, j = 0; j < res->nhost; j++)
			if (same_name(res->host[j].name, mx->host)) {
				dup = 1;
				if (mx->pref < res->host[j].pref) {
					res->host[j].pref = mx->pref;
					res->host[j].ttl = mx->ttl;
				}
			}
		if (dup)
			continue;
		h = &res->host[res->nhost++];
		util_strlcpy(h->name, mx->host, sizeof(h->name));
		h->pref = mx->pref;
		h->ttl = mx->ttl;
	}
	res->dropped += ans->dropped;
	if (res->nhost == 0)
		return mx_fail(
		    res, DNS_MX_NOADDR, "MX records present, but none usable");
	dns_mx_sort(res->host, res->nhost, flags);
	for (i = 0; i < res->nhost; i++) {
		host_addrs(r, &res->host[i],
		    (flags & DNS_F_NO_ADDITIONAL) ? NULL : ans);
		if (res->host[i].status == DNS_TEMPFAIL)
			any_tmp = 1;
	}
	res->nqueries = r->nqueries;
	for (i = 0; i < res->nhost; i++)
		if (res->host[i].naddr > 0) {
			res->status = DNS_MX_FOUND;
			return res->status;
		}
	/*
	 * RFC 5321 §5.1: MX records but none usable must be reported as an
	 * error: temporary when a lookup failed, else permanent.
	 */
	if (any_tmp) {
		for (i = 0; i < res->nhost; i++)
			if (res->host[i].status == DNS_TEMPFAIL)
				break;
		util_seterr(err, sizeof(err),
		    "no MX host has an address "
		    "yet: %s",
		    res->host[i].err);
		return mx_fail(res, DNS_MX_TEMPFAIL, err);
	}
	/* Keep the hosts in res->host so the caller can show them. */
	res->status = DNS_MX_NOADDR;
	util_strlcpy(res->err, "no MX host has an address", sizeof(res->err));
	return res->status;
}

/* ------------------------------------------------------------ TLSA */

int
dns_tlsa_lookup(struct dns_resolver *r, const char *host, int port,
    struct dns_tlsa_result *res)
{
	struct dns_answer *ans = r->mxans;
	char ascii[DNS_NAME_MAX + 1], err[ERR_MAX];
	int st, n;

	memset(res, 0, offsetof(struct dns_tlsa_result, tlsa));
	res->dropped = 0;
	res->err[0] = '\0';
	res->status = DNS_TLSA_BADNAME;
	r->nqueries = 0;
	r->all_ad = 1;
	if (port < 1 || port > 65535) {
		util_seterr(res->err, sizeof(res->err), "bad port %d", port);
		return res->status;
	}
	if (dns_to_ascii(host, ascii, sizeof(ascii), err, sizeof(err)) != 0) {
		util_seterr(res->err, sizeof(res->err), "%s: %s", host, err);
		return res->status;
	}
	/* RFC 6698 §3: "_" port "._tcp." host. */
	n = snprintf(
	    res->qname, sizeof(res->qname), "_%d._tcp.%s", port, ascii);
	if (n < 0 || (size_t)n >= sizeof(res->qname) ||
	    !dns_name_valid(res->qname)) {
		util_seterr(res->err, sizeof(res->err),
		    "_%d._tcp.%s: name too long", port, ascii);
		return res->status;
	}
	st = query_follow(r, res->qname, DNS_T_TLSA, ans, err, sizeof(err));
	res->secure = r->all_ad;
	if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN) {
		res->ncname = ans->ncname;
		memcpy(res->cname, ans->cname,
		    sizeof(ans->cname[0]) * (size_t)ans->ncname);
	}
	switch (st) {
	case DNS_OK:
		if (!res->secure)
			break;
		res->status = DNS_TLSA_FOUND;
		res->ntlsa = ans->ntlsa;
		memcpy(res->tlsa, ans->tlsa,
		    sizeof(ans->tlsa[0]) * (size_t)ans->ntlsa);
		res->dropped = ans->tlsa_dropped;
		return res->status;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		if (!res->secure)
			break;
		/* RFC 7672 §2.2: validated denial: no DANE. */
		res->status = DNS_TLSA_NONE;
		return res->status;
	case DNS_BADNAME:
		util_strlcpy(res->err, err, sizeof(res->err));
		return res->status;
	default:
		/* RFC 7672 §2.1.1: the caller defers a secure host. */
		res->secure = 0;
		res->status = DNS_TLSA_TEMPFAIL;
		util_strlcpy(res->err, err, sizeof(res->err));
		return res->status;
	}
	res->secure = 0;
	res->status = DNS_TLSA_INSECURE;
	util_seterr(res->err, sizeof(res->err),
	    "%s TLSA: answer from %s not validated (no AD bit): not used",
	    res->qname, r->name);
	return res->status;
}

/* ------------------------------------------------------------ addresses */

void
dns_addr_str(const struct dns_addr *a, char *out, size_t outlen)
{
	if (inet_ntop(a->family, a->addr, out, (socklen_t)outlen) == NULL)
		util_strlcpy(out, "?", outlen);
}

socklen_t
dns_addr_sockaddr(
    const struct dns_addr *a, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a->addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	memcpy(&sin6->sin6_addr, a->addr, 16);
	return sizeof(*sin6);
}
