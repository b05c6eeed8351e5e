/*
 * dns.h: where mail for a domain goes.  MX, A, AAAA and TXT lookups over
 * libresolv with a resolver state the caller owns, RFC 5321 §5.1 MX
 * ordering, implicit MX, null MX (RFC 7505), CNAMEs followed and
 * reported, IDNA for UTF-8 domains, and an explicit server "ADDR[:PORT]"
 * for tests and debugging.  TLSA lookups for DANE (RFC 6698, RFC 7672)
 * with the resolver's word on whether the answers were DNSSEC-validated.
 *
 * "secure" below is the AD bit of the answers (RFC 4035 §3.2.3, asked
 * for with AD set in the query, RFC 6840 §5.7).  We do not validate
 * DNSSEC ourselves: AD is only as trustworthy as the resolver that set
 * it and the path to it, so it means something only when that resolver
 * is a validating one on the same host (127.0.0.1 in resolv.conf) or
 * reached over a secured channel (RFC 7672 §1.3, §2.1; RFC 6698 §4.1).
 *
 * Names handed to and returned by this module are in text form without
 * the trailing dot ("mx1.example.org"); the root is ".".
 */
#ifndef YUBIN_DNS_H
#define YUBIN_DNS_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/* RR types we ask for (RFC 1035 §3.2.2, RFC 3596). */
#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_TLSA 52 /* RFC 6698 §7.1 */

/* Outcome of one query (dns_query) or of one host's address lookup. */
enum dns_status {
	DNS_OK = 0, /* records of the type asked for */
	DNS_NODATA, /* the name exists, no record of that type */
	DNS_NXDOMAIN, /* the name does not exist */
	/* SERVFAIL, REFUSED, timeout, bad answer: try again later */
	DNS_TEMPFAIL,
	DNS_BADNAME /* not a valid domain name (IDNA, syntax) */
};

/* Outcome of an MX lookup (dns_mx_lookup). */
enum dns_mx_status {
	DNS_MX_FOUND = 0, /* MX hosts, in delivery order */
	/* no MX but A/AAAA: the domain itself, preference 0 (RFC 5321 §5.1) */
	DNS_MX_IMPLICIT,
	DNS_MX_NULL, /* null MX: accepts no mail (RFC 7505) */
	DNS_MX_NODATA, /* neither MX nor A/AAAA: no mail either */
	/* MX hosts, none with an address (or none usable): RFC 5321 §5.1
	   says this must be reported as an error */
	DNS_MX_NOADDR,
	DNS_MX_NXDOMAIN, /* the domain does not exist */
	DNS_MX_TEMPFAIL, /* try again later */
	DNS_MX_BADNAME /* not a valid domain name */
};

/* Outcome of a TLSA lookup (dns_tlsa_lookup), RFC 7672 §2.2. */
enum dns_tlsa_status {
	/* A validated answer holding TLSA records: DANE applies.  Some
	   (or all) may be unusable or dropped: RFC 7672 §2.2 then still
	   wants TLS, unauthenticated. */
	DNS_TLSA_FOUND = 0,
	/* A validated NXDOMAIN or NODATA: no TLSA records, no DANE
	   (opportunistic TLS). */
	DNS_TLSA_NONE,
	/* An answer without AD, whatever it held: its records must not be
	   used (RFC 7672 §2.1); no DANE. */
	DNS_TLSA_INSECURE,
	/* SERVFAIL, timeout, bad answer: when the host's address (and the
	   MX RRset) was secure, delivery to it must be deferred, not made
	   without DANE (RFC 7672 §2.1.1). */
	DNS_TLSA_TEMPFAIL,
	DNS_TLSA_BADNAME /* not a valid host name or port */
};

/* Flags for dns_mx_lookup. */
/* Equal preferences sorted by name instead of shuffled. */
#define DNS_F_NO_SHUFFLE 0x01
/* Ignore the additional section: always query A and AAAA. */
#define DNS_F_NO_ADDITIONAL 0x02

/* dns_mx_host.from_additional bits. */
#define DNS_ADDL_A 0x01
#define DNS_ADDL_AAAA 0x02

/* One address with its TTL. */
struct dns_addr {
	int family; /* AF_INET or AF_INET6 */
	uint32_t ttl;
	unsigned char addr[16]; /* 4 or 16 bytes, network order */
};

#define DNS_ADDRSTR_MAX 46 /* INET6_ADDRSTRLEN */

/* A chain of CNAMEs: name -> target[0] -> target[1] ... */
struct dns_cname {
	char target[DNS_NAME_MAX + 1];
	uint32_t ttl;
};

struct dns_mx_rr {
	uint16_t pref;
	uint32_t ttl;
	char host[DNS_NAME_MAX + 1]; /* "." for a null MX */
};

/* One TLSA record (RFC 6698 §2.1). */
struct dns_tlsa {
	uint8_t usage; /* 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
	uint8_t selector; /* 0 full certificate, 1 SubjectPublicKeyInfo */
	uint8_t mtype; /* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	uint32_t ttl;
	size_t len; /* of data: 1..DNS_TLSA_DATA_MAX */
	unsigned char data[DNS_TLSA_DATA_MAX];
};

struct dns_txt {
	size_t len; /* the strings joined (RFC 7208 §3.3) */
	uint32_t ttl;
	char data[DNS_TXT_LEN_MAX + 1]; /* NUL-terminated too */
};

/* An address from the additional section, with the name it belongs to. */
struct dns_extra {
	char name[DNS_NAME_MAX + 1];
	struct dns_addr a;
};

/*
 * One DNS response, parsed (dns_parse).  The records kept are those of
 * the question's type owned by the name the CNAME chain from the
 * question's name ends at (canon).
 */
struct dns_answer {
	/* RFC 1035 §4.1.1: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED */
	int rcode;
	int aa, tc; /* header flags */
	int ad; /* authentic data: see "secure" at the top */
	int qtype;
	char qname[DNS_NAME_MAX + 1];
	char canon[DNS_NAME_MAX + 1];
	int ncname;
	struct dns_cname cname[DNS_CNAME_MAX];
	int nmx;
	struct dns_mx_rr mx[DNS_MX_MAX];
	int naddr;
	struct dns_addr addr[DNS_ADDR_MAX];
	int ntxt;
	struct dns_txt txt[DNS_TXT_MAX];
	int nextra;
	struct dns_extra extra[DNS_EXTRA_MAX];
	/* Records not kept: past a bound, a TXT too long for us, an
	   additional-section address that does not parse. */
	int dropped;
	int ntlsa;
	struct dns_tlsa tlsa[DNS_TLSA_MAX];
	/* TLSA records not kept (past the bounds, malformed): counted in
	   dropped too; they still say that the name has TLSA records. */
	int tlsa_dropped;
	/* PTR names (RFC 1035 §3.3.12) in answer order, in the text form
	   dn_expand gives (special characters escaped, as dns_name_escape
	   does); those past DNS_PTR_MAX counted in dropped. */
	int nptr;
	char ptr[DNS_PTR_MAX][DNS_NAME_MAX + 1];
};

/* One MX host (or the implicit MX) with its addresses. */
struct dns_mx_host {
	char name[DNS_NAME_MAX + 1]; /* as in the MX record */
	uint16_t pref;
	uint32_t ttl; /* of the MX record (0: implicit) */
	int ncname; /* CNAMEs from name to its addresses */
	struct dns_cname cname[DNS_CNAME_MAX];
	/* enum dns_status of the address lookup: DNS_OK when naddr > 0. */
	int status;
	/* DNS_ADDL_*: which addresses came from the MX answer's additional
	   section instead of a query. */
	int from_additional;
	char err[ERR_MAX]; /* why there is no address */
	int naddr;
	struct dns_addr addr[DNS_ADDR_MAX]; /* IPv6 first, then IPv4 */
	/* Every address answer (and CNAME hop) had AD, and none of the
	   addresses came from an additional section (AD does not cover it,
	   RFC 4035 §3.2.3): where RFC 7672 §2.2 allows a TLSA lookup.
	   A DANE client asks with DNS_F_NO_ADDITIONAL. */
	int secure;
};

struct dns_mx_result {
	int status; /* enum dns_mx_status */
	char domain[DNS_NAME_MAX + 1]; /* as given (maybe UTF-8) */
	char ascii[DNS_NAME_MAX + 1]; /* IDNA A-label form */
	int ncname; /* CNAMEs of the domain itself */
	struct dns_cname cname[DNS_CNAME_MAX];
	int nhost;
	struct dns_mx_host host[DNS_MX_MAX];
	/* MX records not kept: bounds, "." beside other MX, bad names. */
	int dropped;
	int nqueries; /* queries sent for this lookup */
	/* The MX answer (with its CNAMEs) had AD; for an implicit MX, the
	   denial of MX did.  RFC 7672 §2.2: DANE applies only to MX hosts
	   of a secure MX RRset (and only when the host's addresses are
	   secure too: dns_mx_host.secure). */
	int secure;
	/* Why, for every status but FOUND and IMPLICIT. */
	char err[ERR_MAX];
};

/* A TLSA lookup (dns_tlsa_lookup). */
struct dns_tlsa_result {
	int status; /* enum dns_tlsa_status */
	int secure; /* every answer of the lookup had AD */
	char qname[DNS_NAME_MAX + 1]; /* "_25._tcp.mx.example.net" */
	int ncname; /* CNAMEs of qname (RFC 7672 §2.2.3) */
	struct dns_cname cname[DNS_CNAME_MAX];
	/* The records: only with DNS_TLSA_FOUND; never to be used without
	   it. */
	int ntlsa;
	struct dns_tlsa tlsa[DNS_TLSA_MAX];
	int dropped; /* TLSA records past the bounds or malformed */
	char err[ERR_MAX]; /* why, for every status but FOUND and NONE */
};

/*
 * The resolver: a libresolv state the caller owns.  Opaque contents;
 * allocate with dns_new and free with dns_free.
 */
struct dns_resolver;

/*
 * A resolver reading /etc/resolv.conf, or asking only server
 * ("ADDR[:PORT]", "[V6ADDR]:PORT"; NULL for resolv.conf).  timeout_s
 * and tries are per query (0 for DNS_TIMEOUT / DNS_TRIES).  NULL with
 * err set on failure.
 */
struct dns_resolver *dns_new(
    const char *server, int timeout_s, int tries, char *err, size_t errlen);
void dns_free(struct dns_resolver *r);
/* Who is asked, for messages: "127.0.0.1#5353" or "resolv.conf". */
const char *dns_server_name(const struct dns_resolver *r);

/*
 * Parse "ADDR[:PORT]": "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53",
 * "2001:db8::1" (no port), "[::1]".  Numeric addresses only; the port is
 * 53 when absent.  0, or -1 with err set.
 */
int dns_parse_server(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errlen);

/*
 * A domain as a user gives it (UTF-8 allowed, one trailing dot allowed)
 * into the ASCII form we query (IDNA2008 A-labels through GnuTLS), then
 * checked by dns_name_valid.  0, or -1 with err set.
 */
int dns_to_ascii(
    const char *in, char *out, size_t outlen, char *err, size_t errlen);
/*
 * The Unicode form of a name holding "xn--" labels, for display.  0 and
 * out set when there is one different from the input; -1 otherwise.
 */
int dns_to_unicode(const char *in, char *out, size_t outlen);
/*
 * Is name (text form, no trailing dot) a host name we may look up:
 * 1..253 octets, labels of 1..63 letters, digits, '-' or '_'?
 */
int dns_name_valid(const char *name);

/*
 * Parse one raw DNS response (len bytes) into ans.  Total: any buffer
 * is either parsed or rejected.  0 when the message is well formed
 * (whatever its rcode), -1 with err set when it is not.
 */
int dns_parse(const unsigned char *msg, size_t len, struct dns_answer *ans,
    char *err, size_t errlen);

/*
 * Ask r for name/type, follow CNAMEs the server did not chase (at most
 * DNS_CNAME_MAX in all) and fill ans.  Returns an enum dns_status; err
 * says why for anything but DNS_OK.
 */
int dns_query(struct dns_resolver *r, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen);

/*
 * A name of any octets (RFC 2181 §11: the DNS itself allows them; SPF
 * builds names from macros, RFC 7208 §7) into the text form libresolv
 * and dn_expand use: '.' separates labels; the characters
 *	" . ; \ ( ) @ $
 * get a backslash before them, and octets outside 0x21-0x7e are written
 * as a backslash and three decimal digits.  One trailing dot is dropped.
 * 0, or -1 when a label is empty or longer than 63 octets or the name
 * longer than 253 (RFC 1035 §2.3.4).
 */
int dns_name_escape(const char *raw, char *out, size_t outlen);

/*
 * dns_query for a name already in that text form (dns_name_escape, or
 * as an answer gave it: an MX host, a PTR name), whatever its octets:
 * no host-name syntax check.  For SPF's A, AAAA, MX, TXT and PTR
 * lookups (RFC 7208 §5).
 */
int dns_query_any(struct dns_resolver *r, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen);

/*
 * Where mail for domain goes (RFC 5321 §5.1): MX hosts by preference,
 * random among equal preferences (sorted by name with DNS_F_NO_SHUFFLE),
 * each with its A/AAAA addresses; implicit MX, null MX (RFC 7505),
 * NXDOMAIN, no data and temporary failure told apart in res->status.
 * domain may be UTF-8.  Returns res->status.
 */
int dns_mx_lookup(struct dns_resolver *r, const char *domain, int flags,
    struct dns_mx_result *res);

/*
 * The TLSA records of host's TCP port (RFC 6698 §3: the owner
 * "_PORT._tcp.HOST"), asked for with AD set; CNAMEs followed.  host may
 * be UTF-8.  res->status tells DANE, no DANE, or defer (RFC 7672 §2.2,
 * §2.1.1).  Only a host whose address records were secure should be
 * looked up (dns_mx_host.secure).  Returns res->status.
 */
int dns_tlsa_lookup(struct dns_resolver *r, const char *host, int port,
    struct dns_tlsa_result *res);

/*
 * The TLSA rdata (RFC 6698 §2.1: usage, selector, matching type, data)
 * of len bytes into t (ttl left 0).  0, or -1 with err set: shorter
 * than 4 bytes, or data longer than DNS_TLSA_DATA_MAX.
 */
int dns_tlsa_parse(const unsigned char *rdata, size_t len, struct dns_tlsa *t,
    char *err, size_t errlen);

/*
 * Order hosts[0..n) by preference; among equal preferences shuffle
 * (util_random) or, with DNS_F_NO_SHUFFLE, sort by name.
 */
void dns_mx_sort(struct dns_mx_host *hosts, int n, int flags);

/* The address as text ("192.0.2.1", "2001:db8::1"). */
void dns_addr_str(const struct dns_addr *a, char *out, size_t outlen);
/* The address as a sockaddr with port, for connect(2).  Returns its size. */
socklen_t dns_addr_sockaddr(
    const struct dns_addr *a, int port, struct sockaddr_storage *ss);

/* Words for statuses and rcodes: "NXDOMAIN", "null MX", ... */
const char *dns_status_str(int status);
const char *dns_mx_status_str(int status);
const char *dns_tlsa_status_str(int status);
const char *dns_rcode_str(int rcode);

#endif
