/*
 * mxlookup.h: what the files of mxlookup share.  main.c: options, the
 * MX lookup and --probe, --spf.  policy.c: --policy, a domain's
 * published mail policies checked and explained.  dkimkey.c: a DKIM
 * key record (RFC 6376 §3.6.1) parsed for --policy --selector.
 * verdict.c: --dmarc, the DMARC result for a message.  sender.c:
 * --check-sender, a sender's check-up against the bulk-sender rules.
 */
#ifndef MXLOOKUP_H
#define MXLOOKUP_H

#include <stddef.h>

#include "bounds.h"

#define PROG "mxlookup"

/* --selector: DKIM selectors checked at most. */
#define POLICY_SELECTORS_MAX 16

struct dns_resolver;

/* A record is shown up to this many octets (policy_show). */
#define SHOW_MAX 512

/* What a finding is: said as "ok", "note", "problem", "unknown". */
enum policy_level { L_OK, L_NOTE, L_PROBLEM, L_UNKNOWN, L_UNCHECKED };

struct dns_answer;
struct dns_mx_result;
struct dmarc_psl;

/* The checks of --policy and --check-sender: the domain, scratch
   space, and the findings counted. */
struct policy_ctx {
	struct dns_resolver *r;
	const struct policy_opts *o;
	char domain[DNS_NAME_MAX + 1]; /* ASCII, lower case */
	struct dns_answer *ans;
	struct dns_mx_result *mx;
	struct dmarc_psl *psl;
	/* L_UNCHECKED: said as "unknown", counted in unchecked (what
	   could not be checked for want of an option). */
	int problems, notes, unknown, unchecked;
};

/* One finding, one line: "WHAT: ok|note|problem|unknown: text". */
void policy_say(struct policy_ctx *c, const char *what, int level,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A record's text s[0..n) for one line: control characters as '?',
   cut with "..." to fit out. */
const char *policy_show(const char *s, size_t n, char *out, size_t outlen);

/* TXT records of name into c->ans.  The dns_status; a temporary failure
   is said as unknown, a bad name as a problem. */
int policy_txt(struct policy_ctx *c, const char *what, const char *name);

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

/*
 * --check-sender DOMAIN [--ip ADDR] (sender.c): the bulk-sender
 * requirements (SPF passing for ip, a usable DKIM key of a selector of
 * o, DMARC of at least p=none, alignment possible, forward-confirmed
 * reverse DNS of ip), one line each.  ip may be NULL: SPF and PTR are
 * then said not checked.  Returns the exit code: 0 all met, EX_DATAERR
 * one is not, EX_TEMPFAIL a lookup failed, 1 something could not be
 * checked (no --ip, no --selector), EX_USAGE a bad domain or address.
 */
int sender_main(struct dns_resolver *r, const char *domain, const char *ip,
    const struct policy_opts *o);

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

/*
 * --dkim [FILE]: verify the DKIM signatures of the message in FILE (or
 * on standard input), keys from the DNS through r; one line for the
 * message's result, one for each signature.  The exit code: 0 a
 * signature passed, 1 none did, 4 not signed, 75 none passed and a key
 * could not be had; 66, 65, 74 for a file that cannot be read.
 */
int msgcheck_main(struct dns_resolver *r, const char *path, int verbose);

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
	int pkcs1; /* RSA p= a bare RSAPublicKey, not SubjectPublicKeyInfo */
	int testing; /* t=y */
	int strict; /* t=s */
	int sha1_only; /* h= lists sha1 and not sha256 */
	char flags[32]; /* t= as written, cut */
	char err[256]; /* why the key cannot be used, or "" */
};

/*
 * Parse one key record txt[0..len) (tags of RFC 6376 §3.6.1) and its
 * key as the verifier reads it (dkim_key_bits): RSA keys as
 * SubjectPublicKeyInfo or bare PKCS#1, Ed25519 keys as 32 octets (RFC
 * 8463 §4.2).  0 when the record parses
 * (the key may still be unusable: err), -1 with err when it does not.
 */
int dkimkey_parse(const char *txt, size_t len, struct dkimkey *k);

#endif
