/*
 * dkim.h: DomainKeys Identified Mail signatures (RFC 6376), with
 * rsa-sha256 and ed25519-sha256 (RFC 8463); rsa-sha1 and RSA keys under
 * 1024 bits are refused (RFC 8301).
 *
 * The pure parts (tag lists, the DKIM-Signature field and the key
 * record, canonicalization, header selection) need neither crypto nor
 * DNS and are what the tables and the fuzz target exercise.  Signing
 * and verifying use GnuTLS; key records come from a lookup function
 * (dkim_dns_key over common/dns, or the caller's own in tests).
 *
 * Messages are taken as they are: line ends may be CRLF or a bare LF;
 * both canonicalize as CRLF (§3.4.1, §3.4.3), so a message held with
 * LF ends hashes as it will on the wire.  Nothing here prints or
 * exits.
 */
#ifndef YUBIN_DKIM_H
#define YUBIN_DKIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounds.h"
#include "buf.h"

/* A signature's result (RFC 8601 §2.7.1). */
enum dkim_status {
	DKIM_NONE = 0, /* not signed (no signature to check) */
	DKIM_PASS,
	DKIM_FAIL, /* a hash or the signature did not verify */
	DKIM_NEUTRAL,
	DKIM_TEMPERROR, /* the key could not be had now */
	DKIM_PERMERROR /* syntax, no key, revoked, refused, expired */
};

enum dkim_canon { DKIM_SIMPLE = 0, DKIM_RELAXED };

enum dkim_alg {
	DKIM_ALG_NONE = 0,
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256,
	DKIM_RSA_SHA1 /* parsed, to be refused (RFC 8301 §3.1) */
};

/* Key types of k= (§3.6.1, RFC 8463 §4). */
enum dkim_ktype { DKIM_K_RSA = 1, DKIM_K_ED25519 };

/* One tag of a tag-list (§3.2): name and value, FWS around trimmed. */
struct dkim_tag {
	const char *name;
	size_t namelen;
	const char *val;
	size_t vallen;
};

/*
 * Split a tag-list (§3.2) of len bytes into t[0..max).  A trailing ";"
 * is allowed.  The number of tags, or -1 with err set: a tag without
 * "=", a bad tag name, a name twice (§3.2: "MUST NOT occur"), more
 * than max tags.
 */
int dkim_tags_parse(const char *s, size_t len, struct dkim_tag *t, int max,
    char *err, size_t errlen);

/* A parsed DKIM-Signature (§3.5). */
struct dkim_sig {
	int alg; /* enum dkim_alg */
	int hcanon, bcanon; /* enum dkim_canon */
	char d[DNS_NAME_MAX + 1]; /* SDID, lower case */
	char s[DKIM_SELECTOR_MAX + 1];
	char i[DKIM_AUID_MAX + 1]; /* AUID: "@" d when absent */
	int nh;
	char h[DKIM_HEADERS_MAX][DKIM_HNAME_MAX + 1];
	unsigned char bh[32];
	size_t bhlen;
	unsigned char b[DKIM_SIG_BYTES_MAX];
	size_t blen;
	int has_l, has_t, has_x;
	uint64_t l;
	int64_t t, x;
};

/*
 * Parse a DKIM-Signature's value (what follows the colon, folded or
 * not).  0, or -1 with err set (a permerror): v= not 1, a required tag
 * missing (v a b bh d h s), bad base64, an unknown algorithm or
 * canonicalization, h= without From, i= outside d=, x= before t=.
 */
int dkim_sig_parse(
    const char *val, size_t len, struct dkim_sig *s, char *err, size_t errlen);

/* A parsed key record (§3.6.1). */
struct dkim_key {
	int k; /* enum dkim_ktype */
	int sha256; /* h= absent, or lists sha256 */
	int testing; /* t=y */
	int strict; /* t=s: i= must be in d= itself, not a sub-domain */
	int revoked; /* p= empty (§3.6.1) */
	unsigned char p[DKIM_KEY_BYTES_MAX];
	size_t plen;
};

/*
 * Parse a key record (the TXT strings joined).  0, or -1 with err set:
 * v= present but not first or not DKIM1, no p=, an unknown k=, bad
 * base64, a key longer than DKIM_KEY_BYTES_MAX.
 */
int dkim_key_parse(
    const char *txt, size_t len, struct dkim_key *k, char *err, size_t errlen);

/*
 * Header canonicalization (§3.4.1, §3.4.2) of one whole field (name,
 * colon, value, its folds and its line end, LF or CRLF), appended to
 * out with a CRLF.  0, or -1 (ENOMEM, EMSGSIZE).
 */
int dkim_canon_header(int canon, const char *f, size_t len, struct buf *out);

/* Body canonicalization (§3.4.3, §3.4.4), streaming. */
typedef int (*dkim_out_fn)(void *arg, const char *p, size_t n);
struct dkim_body {
	int canon;
	int cr; /* a CR waits to see whether LF follows */
	int wsp; /* relaxed: WSP seen in the line, not written yet */
	uint64_t blanks; /* empty lines not written yet */
	uint64_t linelen; /* bytes written of the current line */
	int wrote; /* some line was written */
};
void dkim_body_init(struct dkim_body *b, int canon);
/* Canonicalize p[0..n) into fn (which returns 0, or -1 to stop). */
int dkim_body_update(
    struct dkim_body *b, const char *p, size_t n, dkim_out_fn fn, void *arg);
/* The end of the body: its last line, the empty body's CRLF (simple). */
int dkim_body_final(struct dkim_body *b, dkim_out_fn fn, void *arg);

/* A header field in a message: the whole field with its line end. */
struct dkim_hdr {
	const char *p;
	size_t len;
};

/*
 * The header fields of msg (up to the empty line or the end), at most
 * max into f.  Their number; *body set to where the body starts (len
 * when there is none).  -1 when there are more than max.
 */
int dkim_split(
    const char *msg, size_t len, struct dkim_hdr *f, int max, size_t *body);

/*
 * §5.4.2: for each name of names[0..n), the last field of f[0..nf) of
 * that name not taken by an earlier instance of the name (from the
 * bottom up); idx[i] is -1 when there is none (it then signs nothing).
 */
void dkim_select(const struct dkim_hdr *f, int nf,
    const char (*names)[DKIM_HNAME_MAX + 1], int n, int *idx);

/*
 * The default signed fields (§5.4.1, never List-*): names of f[0..nf)
 * that are in the list, each as often as it occurs, in order, then
 * From once more (oversigning: a From added later breaks the
 * signature).  Their number, at most DKIM_HEADERS_MAX.
 */
int dkim_default_headers(
    const struct dkim_hdr *f, int nf, char (*names)[DKIM_HNAME_MAX + 1]);

/*
 * The DKIM-Signature field f with the value of its b= tag removed
 * (§3.7), appended to out.  0, or -1 (ENOMEM).
 */
int dkim_strip_b(const char *f, size_t len, struct buf *out);

/* base64 (RFC 4648 §4), FWS inside ignored, as §2.11 allows.  The
   number of octets, or -1 (bad character or padding, past outlen). */
long dkim_base64_decode(
    const char *in, size_t len, unsigned char *out, size_t outlen);
int dkim_base64_encode(const unsigned char *in, size_t len, struct buf *out);

/* ------------------------------------------------------------ crypto */

/* A body hash: canonicalization and SHA-256, at most limit octets of
   the canonical body (-1: all), streaming. */
struct dkim_bh;
struct dkim_bh *dkim_bh_new(int canon, int64_t limit);
int dkim_bh_update(struct dkim_bh *h, const char *p, size_t n);
/* The hash into out; *len (may be NULL) the canonical body's length
   (all of it, past the limit too). */
int dkim_bh_final(struct dkim_bh *h, unsigned char out[32], uint64_t *len);
void dkim_bh_free(struct dkim_bh *h);

/* A private key for signing. */
struct dkim_signer;
/*
 * A key in PEM (PKCS#8 or PKCS#1, as certtool, openssl and
 * opendkim-genkey write it): RSA of at least DKIM_RSA_BITS_MIN bits, or
 * Ed25519.  NULL with err set (never holding the key's text).
 */
struct dkim_signer *dkim_signer_new(
    const char *pem, size_t len, char *err, size_t errlen);
void dkim_signer_free(struct dkim_signer *k);
int dkim_signer_alg(const struct dkim_signer *k); /* enum dkim_alg */
int dkim_signer_bits(const struct dkim_signer *k);
/* The key record to publish: "v=DKIM1; k=rsa; p=...". 0 or -1. */
int dkim_signer_record(const struct dkim_signer *k, struct buf *out);

struct dkim_sign_opts {
	const char *domain; /* d= */
	const char *selector; /* s= */
	const char *auid; /* i=, NULL: none */
	int hcanon, bcanon;
	time_t t; /* t=; 0: none */
	int64_t expire; /* x= is t + expire; 0: none */
	/* l=: the body hash covers only this many canonical octets (bh
	   made so).  RFC 6376 §8.2: it lets others append to the body;
	   for tests only, msend never sets it. */
	int use_l;
	uint64_t l;
	/* h=: NULL for dkim_default_headers */
	const char (*names)[DKIM_HNAME_MAX + 1];
	int nnames;
	/* With the default h=: these fields too, each as often as it
	   occurs and once more (§8.15), so none can be added after
	   signing: msend's List-Unsubscribe and List-Unsubscribe-Post,
	   which RFC 8058 §4 wants signed. */
	const char *const *oversign;
	int noversign;
};

/*
 * Sign: the fields f[0..nf) of the message as it goes out, its body
 * hash bh (dkim_bh, with o->bcanon).  out gets the whole
 * "DKIM-Signature: ..." field, folded, CRLF-ended, to put at the top.
 * 0, or -1 with err set.
 */
int dkim_sign(const struct dkim_signer *k, const struct dkim_sign_opts *o,
    const struct dkim_hdr *f, int nf, const unsigned char bh[32],
    struct buf *out, char *err, size_t errlen);

/* ------------------------------------------------------------ verifying */

/*
 * The key of the parsed record k: its size in bits (the RSA modulus,
 * 256 for Ed25519) into *bits.  0; 1 when an RSA p= is a bare
 * RSAPublicKey (PKCS#1) where §3.6.1 asks for a SubjectPublicKeyInfo
 * (verifiers take it, dkim_verify too); -1 when p= is no key of k's
 * type.
 */
int dkim_key_bits(const struct dkim_key *k, unsigned int *bits);

/*
 * Find the key record name (a TXT lookup): into txt (NUL-terminated,
 * the strings joined), at most txtlen - 1 octets.  Returns an enum
 * dns_status (DNS_OK with the record; DNS_NXDOMAIN/DNS_NODATA: no key;
 * DNS_TEMPFAIL), err set for all but DNS_OK.
 */
typedef int (*dkim_key_fn)(void *arg, const char *name, char *txt,
    size_t txtlen, char *err, size_t errlen);

/* A dkim_key_fn over common/dns: arg is a struct dns_resolver *. */
int dkim_dns_key(void *arg, const char *name, char *txt, size_t txtlen,
    char *err, size_t errlen);

/* One signature's result. */
struct dkim_result {
	int status; /* enum dkim_status */
	int alg; /* enum dkim_alg, when parsed */
	int bits; /* key size, when a key was had */
	int testing; /* the key record says t=y */
	int has_l; /* l= given: only part of the body is signed */
	uint64_t l;
	uint64_t body_len; /* the canonical body's length */
	char d[DNS_NAME_MAX + 1];
	char s[DKIM_SELECTOR_MAX + 1];
	char i[DKIM_AUID_MAX + 1];
	char reason[ERR_MAX]; /* why, for all but PASS; notes for PASS */
};

/*
 * Verify the DKIM-Signature fields of msg (at most max, from the top;
 * their results into res[]), at time now (x= expiry).  Keys through
 * key(arg, ...).  The number of signatures checked: 0 when the message
 * is not signed.
 */
int dkim_verify(const char *msg, size_t len, time_t now, dkim_key_fn key,
    void *arg, struct dkim_result *res, int max);

/*
 * The same, streaming, for a message too big to hold: the header
 * section (the fields and the empty line, or all of hdr when there is
 * none; copied), then the body in pieces of any size, then the
 * results (keys asked here).  dkim_verifier_new is NULL only when out
 * of memory; signatures that are refused before the body (syntax,
 * rsa-sha1, expired) hash nothing.  dkim_verify is these three.
 */
struct dkim_verifier;
struct dkim_verifier *dkim_verifier_new(const char *hdr, size_t len,
    time_t now, dkim_key_fn key, void *arg, int max);
void dkim_verifier_body(struct dkim_verifier *v, const char *p, size_t n);
int dkim_verifier_end(struct dkim_verifier *v, struct dkim_result *res,
    int max);
void dkim_verifier_free(struct dkim_verifier *v);

/* "pass", "fail", ... (RFC 8601 §2.7.1). */
const char *dkim_status_str(int status);
/* "rsa-sha256", ... */
const char *dkim_alg_str(int alg);

#endif
