/*
 * mtasts.h: SMTP MTA Strict Transport Security (RFC 8461).
 *
 * A pure codec (mtasts.c: the _mta-sts TXT record, the policy body, MX
 * patterns and their matching, the cache file), a thin fetch of the
 * policy over HTTPS with libcurl (mtasts_fetch.c) and the policy a
 * sender applies to a domain: cached, refreshed when its id changes or
 * it expires, kept through a failed refresh (mtasts_get.c).
 *
 * Only mtasts_fetch and mtasts_get need libcurl: a program that calls
 * them links $(LIBCURL_LIBS); the codec needs nothing but libyubin.
 * Nothing here prints or exits.
 */
#ifndef YUBIN_MTASTS_H
#define YUBIN_MTASTS_H

#include <stddef.h>
#include <time.h>

#include "bounds.h"
#include "dns.h"

/* §5: the policy modes. */
enum mtasts_mode {
	MTASTS_NONE = 0, /* no policy (or "mode: none"): plain MX rules */
	MTASTS_TESTING, /* check, report, deliver anyway */
	MTASTS_ENFORCE /* deliver only to matching MX with verified TLS */
};

/* One policy (§3.2), parsed. */
struct mtasts_policy {
	enum mtasts_mode mode;
	long max_age; /* seconds, 0..MTASTS_MAX_AGE_MAX */
	int nmx;
	/* Lower case, no trailing dot: "mx.example.net" or "*.example.net". */
	char mx[MTASTS_MX_MAX][DNS_NAME_MAX + 1];
};

/*
 * One TXT record's text (§3.1).  1 and id set (MTASTS_ID_MAX + 1
 * bytes) for a valid "v=STSv1; id=...;" record; 0 when it is no STSv1
 * record at all (it does not begin with "v=STSv1", so it is discarded);
 * -1 with err set when it is one but does not parse.
 */
int mtasts_txt_parse(const char *txt, size_t len, char *id, size_t idlen,
    char *err, size_t errlen);

/*
 * The id from the TXT records of _mta-sts.DOMAIN (§3.1): records that
 * are not STSv1 are discarded; exactly one may remain and it must
 * parse.  0 and id set, or -1 with err saying why not.
 */
int mtasts_txt_select(const struct dns_txt *txt, int ntxt, char *id,
    size_t idlen, char *err, size_t errlen);

/* Outcome of mtasts_lookup_id. */
enum mtasts_id_status {
	MTASTS_ID_FOUND = 0, /* one valid STSv1 record */
	MTASTS_ID_NONE, /* no record, no valid one, or several */
	MTASTS_ID_TEMPFAIL /* the DNS did not answer: try later */
};

/*
 * Look up _mta-sts.DOMAIN with r and select its id (mtasts_txt_select).
 * Returns an enum mtasts_id_status; err says why for anything but
 * MTASTS_ID_FOUND.
 */
int mtasts_lookup_id(struct dns_resolver *r, const char *domain, char *id,
    size_t idlen, char *err, size_t errlen);

/*
 * A policy body (§3.2), at most MTASTS_POLICY_MAX bytes, lines ended by
 * LF or CRLF.  version STSv1, a mode and a max_age are required, and at
 * least one mx pattern unless the mode is none; unknown keys are
 * ignored, a repeated key but mx counts once (the first).  0, or -1
 * with err set (p is then left with mode MTASTS_NONE and no patterns).
 */
int mtasts_policy_parse(const char *text, size_t len, struct mtasts_policy *p,
    char *err, size_t errlen);

/*
 * Is pattern an mx pattern (§3.2, §4.1): a host name ("mx.example.net")
 * or "*." and a host name, labels of letters, digits and inner '-' (RFC
 * 5321 Domain), no trailing dot?  1 or 0.
 */
int mtasts_pattern_valid(const char *pattern);

/*
 * Does host match pattern (§4.1)?  Case-insensitive, a trailing dot on
 * either tolerated; "*.example.net" matches exactly one more label on
 * the left ("mx.example.net", not "example.net", not "a.b.example.net").
 * 1 or 0.
 */
int mtasts_mx_match(const char *pattern, const char *host);
/* Does host match one of p's patterns?  1 or 0. */
int mtasts_policy_match(const struct mtasts_policy *p, const char *host);

/* "none", "testing", "enforce". */
const char *mtasts_mode_str(int mode);

/*
 * The cache file (one per domain): "yubin-mta-sts 1", "id ID",
 * "fetched SECONDS", an empty line, then the policy text as fetched.
 * mtasts_cache_format appends it to out (at most MTASTS_CACHE_MAX
 * bytes): 0, or -1 with err.  mtasts_cache_parse: 0 with id, *fetched
 * and the policy's offset and length in data, or -1 with err.
 */
struct buf;
int mtasts_cache_format(const char *id, time_t fetched, const char *text,
    size_t len, struct buf *out, char *err, size_t errlen);
int mtasts_cache_parse(const char *data, size_t len, char *id, size_t idlen,
    time_t *fetched, size_t *off, size_t *textlen, char *err, size_t errlen);

/* How to fetch a policy. */
struct mtasts_fetch_opts {
	/* PEM file of trusted CAs; NULL for the system's trust store. */
	const char *cafile;
	/* libcurl CONNECT_TO ("mta-sts.example.net:443:127.0.0.1:8443"):
	   connect there instead of the policy host's address (tests,
	   debugging); the certificate is still checked for the policy
	   host.  NULL for none. */
	const char *connect_to;
	/* A proxy URL; NULL for none, whatever the environment says. */
	const char *proxy;
	/* Seconds for the whole fetch; 0 for MTASTS_FETCH_TIMEOUT. */
	int timeout_s;
};

/*
 * Fetch https://mta-sts.DOMAIN/.well-known/mta-sts.txt (§3.3): HTTPS
 * only, the certificate verified for mta-sts.DOMAIN, no redirect
 * followed, only 200 with Content-Type text/plain, at most
 * MTASTS_POLICY_MAX bytes, within the timeout.  domain is in ASCII
 * (A-labels).  The body goes into body (reset first): 0, or -1 with err
 * set.
 */
int mtasts_fetch(const char *domain, const struct mtasts_fetch_opts *o,
    struct buf *body, char *err, size_t errlen);

/* Where the policy of mtasts_get came from. */
enum mtasts_source {
	MTASTS_SRC_NONE = 0, /* no policy */
	MTASTS_SRC_CACHE, /* the cache, unexpired */
	MTASTS_SRC_FETCHED /* fetched now */
};

/* The policy a sender applies to a domain. */
struct mtasts_result {
	/* The policy; mode MTASTS_NONE means no MTA-STS (no policy, a
	   "mode: none" policy, or nothing usable). */
	struct mtasts_policy policy;
	enum mtasts_source source;
	char id[MTASTS_ID_MAX + 1]; /* the policy's id ("" when none) */
	time_t fetched; /* when it was fetched (0 when none) */
	time_t expires; /* fetched + max_age */
	/* One line for an administrator: what was found and why it is
	   (not) used: "example.net: MTA-STS policy id 2026a, mode
	   enforce, 2 mx patterns, from cache, expires
	   2026-12-09T07:00:00Z", "no MTA-STS: _mta-sts.example.net: no
	   such domain", ... */
	char why[ERR_MAX];
};

/*
 * The MTA-STS policy for domain (§5.1) at time now: look up the id in
 * the DNS; use the policy cached in cachedir (a directory the caller
 * owns; NULL for no cache) while it is unexpired and its id is the one
 * in the DNS; fetch it when the id changed, it expired or none is
 * cached, and cache what was fetched (written to a temporary file,
 * fsynced and renamed).  A DNS failure, a missing record or a failed
 * fetch keep an unexpired cached policy in use; with nothing cached
 * they mean no MTA-STS.  Fills res; 0, or -1 with res->why set when
 * domain is not a domain name.  A cache that cannot be written is said
 * in res->why and is no failure.
 */
int mtasts_get(struct dns_resolver *r, const char *domain, const char *cachedir,
    const struct mtasts_fetch_opts *o, time_t now, struct mtasts_result *res);

#endif
