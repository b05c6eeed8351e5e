/*
 * mxlookup.h: what the files of mxlookup share.  main.c: options, the
 * MX lookup and --probe, --spf.  policy.c: --policy, a domain's
 * published mail policies checked and explained.  dkimkey.c: a DKIM
 * key record (RFC 6376 §3.6.1) parsed for --policy --selector.
 * verdict.c: --dmarc, the DMARC result for a message.
 */
#ifndef MXLOOKUP_H
#define MXLOOKUP_H

#include <stddef.h>

#define PROG "mxlookup"

/* --selector: DKIM selectors checked at most. */
#define POLICY_SELECTORS_MAX 16

struct dns_resolver;

struct policy_opts {
	const char *server; /* --server, for the heading */
	int verbose;
	int nselector;
	const char *selector[POLICY_SELECTORS_MAX];
	/* MTA-STS policy fetch: a CA file and a libcurl CONNECT_TO, for
	   tests and debugging (as msend's). */
	const char *sts_cafile;
	const char *sts_connect_to;
	int timeout; /* seconds; 0: defaults */
};

/*
 * --policy DOMAIN: SPF, DMARC, MTA-STS, TLS-RPT, the MX hosts' TLSA and
 * the DKIM keys of the selectors, one finding a line.  Returns the exit
 * code: 0 nothing wrong, EX_DATAERR something published is missing or
 * broken, EX_TEMPFAIL a lookup failed (and nothing is known broken),
 * EX_USAGE for a domain that is no domain name.
 */
int policy_main(
    struct dns_resolver *r, const char *domain, const struct policy_opts *o);

/* --dmarc: what authenticated the message (verdict.c). */
struct verdict_opts {
	const char *spf_pass; /* --spf-pass: SPF passed for this domain */
	int ndkim;
	const char *dkim_pass[POLICY_SELECTORS_MAX]; /* --dkim-pass d= */
	int verbose;
};

/*
 * --dmarc FROM: RFC 7489 for a message whose RFC5322.From domain is
 * FROM's, given what SPF and DKIM found: the record discovered in the
 * DNS, the result, the policy and what to do with the message.  Returns
 * the exit code (0 pass, 1 fail, 4 none, EX_DATAERR permerror,
 * EX_TEMPFAIL temperror).
 */
int verdict_main(
    struct dns_resolver *r, const char *from, const struct verdict_opts *o);

/* RFC 8301 §3.2: verifiers refuse RSA keys under 1024 bits; 2048 is
   what signers should use. */
#define DKIMKEY_RSA_MIN 1024
#define DKIMKEY_RSA_GOOD 2048

/* A DKIM key record, parsed (dkimkey_parse). */
struct dkimkey {
	int version_bad; /* v= present but not DKIM1, or not first */
	char k[16]; /* key type as written ("rsa" when absent) */
	int revoked; /* p= empty (RFC 6376 §3.6.1) */
	int has_p; /* p= present */
	int algo; /* 0 unknown, 1 RSA, 2 Ed25519 */
	unsigned int bits; /* key size: RSA modulus, 256 for Ed25519 */
	int testing; /* t=y */
	int strict; /* t=s */
	int sha1_only; /* h= lists sha1 and not sha256 */
	char flags[32]; /* t= as written, cut */
	char err[256]; /* why the key cannot be used, or "" */
};

/*
 * Parse one key record txt[0..len) (tags of RFC 6376 §3.6.1) and its
 * key: RSA keys as SubjectPublicKeyInfo through GnuTLS for their size,
 * Ed25519 keys as 32 octets (RFC 8463 §4.2).  0 when the record parses
 * (the key may still be unusable: err), -1 with err when it does not.
 */
int dkimkey_parse(const char *txt, size_t len, struct dkimkey *k);

#endif
