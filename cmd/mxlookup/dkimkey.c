/*
 * dkimkey.c: a DKIM key record (RFC 6376 §3.6.1) for --policy
 * --selector: its tags, its key type and size.  Only what a person
 * checking their DNS needs; signing and verifying are common/dkim's.
 * The tag list, the base64 and the key's reading (its size, and
 * whether the verifier takes it) are common/dkim's.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "dkim.h"
#include "mxlookup.h"
#include "util.h"

/* RFC 8463 §4.2: an Ed25519 key is 32 octets. */
#define ED25519_KEY_LEN 32

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* p[0..*n) without the white space around it. */
static const char *
trim(const char *p, size_t *n)
{
	while (*n > 0 && is_fws((unsigned char)*p)) {
		p++;
		(*n)--;
	}
	while (*n > 0 && is_fws((unsigned char)p[*n - 1]))
		(*n)--;
	return p;
}

static int
word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && util_casecmp_n(s, w, n) == 0;
}

/* Read the key p[0..n) (base64, white space allowed) of type k:
   common/dkim's reading, the one the verifier uses. */
static void
read_key(struct dkimkey *k, const char *p, size_t n)
{
	struct dkim_key *dk;
	long got;
	int rc;

	if ((dk = calloc(1, sizeof(*dk))) == NULL) {
		(void)util_strlcpy(k->err, "out of memory", sizeof(k->err));
		return;
	}
	/* common/dkim's base64: FWS inside allowed (RFC 6376 §2.11). */
	if ((got = dkim_base64_decode(p, n, dk->p, sizeof(dk->p))) < 0) {
		(void)util_strlcpy(k->err,
		    "p= is not valid base64: publish the key as base64 "
		    "without quotes or line breaks inside",
		    sizeof(k->err));
		goto out;
	}
	dk->plen = (size_t)got;
	dk->k = k->algo == 2 ? DKIM_K_ED25519 : DKIM_K_RSA;
	if (k->algo == 2 && dk->plen != ED25519_KEY_LEN) {
		(void)snprintf(k->err, sizeof(k->err),
		    "p= holds %zu octets, an Ed25519 key is 32 "
		    "(RFC 8463 §4.2): publish the raw public key, "
		    "not its SubjectPublicKeyInfo",
		    dk->plen);
		goto out;
	}
	if ((rc = dkim_key_bits(dk, &k->bits)) == -1)
		(void)util_strlcpy(k->err,
		    k->algo == 2
			? "p= is not an Ed25519 public key"
			: "p= is not an RSA public key (a DER "
			  "SubjectPublicKeyInfo in base64): publish the "
			  "output of \"openssl rsa -pubout -outform der | "
			  "base64\"",
		    sizeof(k->err));
	k->pkcs1 = rc == 1;
out:
	free(dk);
}

int
dkimkey_parse(const char *txt, size_t len, struct dkimkey *k)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	const char *t, *v, *p = NULL;
	size_t tlen, vlen, plen = 0, a, b, wl;
	const char *w;
	int n, i;

	memset(k, 0, sizeof(*k));
	(void)util_strlcpy(k->k, "rsa", sizeof(k->k));
	k->algo = 1;
	/* common/dkim's tag-list splitter (§3.2). */
	if ((n = dkim_tags_parse(txt, len, tags, DKIM_TAGS_MAX, k->err,
		 sizeof(k->err))) < 0) {
		(void)util_strlcat(k->err, ": the record is a list of "
		    "tag=value separated by ';', each tag once",
		    sizeof(k->err));
		return -1;
	}
	for (i = 0; i < n; i++) {
		t = tags[i].name;
		tlen = tags[i].namelen;
		v = tags[i].val;
		vlen = tags[i].vallen;
		if (word_is(t, tlen, "v")) {
			/* §3.6.1: if present, first, and DKIM1 */
			if (i != 0 ||
			    !(vlen == 5 && memcmp(v, "DKIM1", 5) == 0))
				k->version_bad = 1;
		} else if (word_is(t, tlen, "k")) {
			if (vlen >= sizeof(k->k))
				vlen = sizeof(k->k) - 1;
			memcpy(k->k, v, vlen);
			k->k[vlen] = '\0';
			util_lower(k->k);
			k->algo = strcmp(k->k, "rsa") == 0 ? 1
			    : strcmp(k->k, "ed25519") == 0 ? 2
							   : 0;
		} else if (word_is(t, tlen, "p")) {
			k->has_p = 1;
			p = v;
			plen = vlen;
		} else if (word_is(t, tlen, "t")) {
			if (vlen >= sizeof(k->flags))
				vlen = sizeof(k->flags) - 1;
			memcpy(k->flags, v, vlen);
			k->flags[vlen] = '\0';
			for (a = 0; a < vlen; a = b + 1) {
				for (b = a; b < vlen && v[b] != ':'; b++)
					;
				wl = b - a;
				w = trim(v + a, &wl);
				if (word_is(w, wl, "y"))
					k->testing = 1;
				else if (word_is(w, wl, "s"))
					k->strict = 1;
			}
		} else if (word_is(t, tlen, "h")) {
			int sha1 = 0, sha256 = 0;

			for (a = 0; a < vlen; a = b + 1) {
				for (b = a; b < vlen && v[b] != ':'; b++)
					;
				wl = b - a;
				w = trim(v + a, &wl);
				if (word_is(w, wl, "sha1"))
					sha1 = 1;
				else if (word_is(w, wl, "sha256"))
					sha256 = 1;
			}
			k->sha1_only = sha1 && !sha256;
		}
	}
	if (!k->has_p) {
		(void)util_strlcpy(k->err,
		    "there is no p= tag (RFC 6376 §3.6.1 requires it): "
		    "publish p=<the public key in base64>",
		    sizeof(k->err));
		return -1;
	}
	if (plen == 0) {
		k->revoked = 1;
		return 0;
	}
	if (k->algo == 0) {
		(void)snprintf(k->err, sizeof(k->err),
		    "k=%s is no key type verifiers know: use k=rsa or "
		    "k=ed25519",
		    k->k);
		return 0;
	}
	read_key(k, p, plen);
	return 0;
}
