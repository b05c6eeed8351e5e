/*
 * dkim_crypto.c: DKIM's crypto and key lookup (RFC 6376 §3.7, §6.1;
 * RFC 8463; RFC 8301): body hashes, signing and verifying with GnuTLS
 * (RSA and Ed25519), key records over common/dns.  The pure part is
 * dkim.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "dkim.h"
#include "dkim_int.h"
#include "dns.h"
#include "util.h"

/* ------------------------------------------------------------ body hash */

struct dkim_bh {
	struct dkim_body b;
	gnutls_hash_hd_t h;
	int64_t limit;
	uint64_t len;
	/* The canonical body comes a byte or a line at a time: it goes to
	   the hash in blocks (a call per byte cost a quarter of the time). */
	char pend[4096];
	size_t npend;
};

static int
bh_flush(struct dkim_bh *h)
{
	if (h->npend > 0 && gnutls_hash(h->h, h->pend, h->npend) < 0)
		return -1;
	h->npend = 0;
	return 0;
}

static int
bh_out(void *arg, const char *p, size_t n)
{
	struct dkim_bh *h = arg;
	size_t take = n;

	if (h->limit >= 0) {
		if (h->len >= (uint64_t)h->limit)
			take = 0;
		else if ((uint64_t)h->limit - h->len < n)
			take = (size_t)((uint64_t)h->limit - h->len);
	}
	h->len += n;
	if (take == 0)
		return 0;
	if (h->npend + take > sizeof(h->pend) && bh_flush(h) == -1)
		return -1;
	if (take > sizeof(h->pend))
		return gnutls_hash(h->h, p, take) < 0 ? -1 : 0;
	memcpy(h->pend + h->npend, p, take);
	h->npend += take;
	return 0;
}

struct dkim_bh *
dkim_bh_new(int canon, int64_t limit)
{
	struct dkim_bh *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if (gnutls_hash_init(&h->h, GNUTLS_DIG_SHA256) < 0) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	dkim_body_init(&h->b, canon);
	h->limit = limit;
	return h;
}

int
dkim_bh_update(struct dkim_bh *h, const char *p, size_t n)
{
	return dkim_body_update(&h->b, p, n, bh_out, h);
}

int
dkim_bh_final(struct dkim_bh *h, unsigned char out[32], uint64_t *len)
{
	if (dkim_body_final(&h->b, bh_out, h) == -1 || bh_flush(h) == -1)
		return -1;
	gnutls_hash_output(h->h, out);
	if (len != NULL)
		*len = h->len;
	return 0;
}

void
dkim_bh_free(struct dkim_bh *h)
{
	unsigned char junk[32];

	if (h == NULL)
		return;
	gnutls_hash_deinit(h->h, junk);
	free(h);
}

/* ------------------------------------------------------------ signing */

struct dkim_signer {
	gnutls_privkey_t k;
	int alg;
	unsigned int bits;
};

struct dkim_signer *
dkim_signer_new(const char *pem, size_t len, char *err, size_t errlen)
{
	struct dkim_signer *s;
	gnutls_datum_t d;
	int pk, rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		util_seterr(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	d.data = (unsigned char *)(uintptr_t)pem;
	d.size = (unsigned int)len;
	if (len > DKIM_KEYFILE_MAX || gnutls_privkey_init(&s->k) < 0) {
		util_seterr(err, errlen, "not a private key");
		free(s);
		return NULL;
	}
	if ((rc = gnutls_privkey_import_x509_raw(
		 s->k, &d, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		/* GnuTLS's words only: the key's text never in a message. */
		util_seterr(err, errlen, "not a PEM private key (%s)",
		    gnutls_strerror(rc));
		goto fail;
	}
	pk = gnutls_privkey_get_pk_algorithm(s->k, &s->bits);
	if (pk == GNUTLS_PK_RSA) {
		s->alg = DKIM_RSA_SHA256;
		if (s->bits < DKIM_RSA_BITS_MIN ||
		    s->bits > DKIM_RSA_BITS_MAX) {
			util_seterr(err, errlen,
			    "an RSA key of %u bits (RFC "
			    "8301 §3.2: at least %d; 2048 is usual)",
			    s->bits, DKIM_RSA_BITS_MIN);
			goto fail;
		}
	} else if (pk == GNUTLS_PK_EDDSA_ED25519) {
		s->alg = DKIM_ED25519_SHA256;
	} else {
		util_seterr(err, errlen,
		    "a %s key: DKIM signs with RSA or "
		    "Ed25519",
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)pk));
		goto fail;
	}
	return s;
fail:
	gnutls_privkey_deinit(s->k);
	free(s);
	return NULL;
}

void
dkim_signer_free(struct dkim_signer *k)
{
	if (k == NULL)
		return;
	gnutls_privkey_deinit(k->k);
	free(k);
}

int
dkim_signer_alg(const struct dkim_signer *k)
{
	return k->alg;
}

int
dkim_signer_bits(const struct dkim_signer *k)
{
	return (int)k->bits;
}

int
dkim_signer_record(const struct dkim_signer *k, struct buf *out)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t d = {NULL, 0};
	gnutls_ecc_curve_t curve;
	int rc = -1;

	if (gnutls_pubkey_init(&pub) < 0)
		return -1;
	if (gnutls_pubkey_import_privkey(pub, k->k, 0, 0) < 0)
		goto out;
	if (k->alg == DKIM_ED25519_SHA256) {
		/* RFC 8463 §4.2: the bare 32-octet public key. */
		if (gnutls_pubkey_export_ecc_raw2(pub, &curve, &d, NULL, 0) < 0)
			goto out;
	} else if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d) < 0)
		goto out;
	if (buf_printf(out, "v=DKIM1; k=%s; p=",
		k->alg == DKIM_ED25519_SHA256 ? "ed25519" : "rsa") == -1 ||
	    dkim_base64_encode(d.data, d.size, out) == -1)
		goto out;
	rc = 0;
out:
	gnutls_free(d.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}

/* Append s to the field, folding before it when the line would pass
   DKIM_FOLD_WIDTH; sep is put before s when there is no fold. */
static int
put_folded(struct buf *b, size_t *col, const char *sep, const char *s, size_t n)
{
	size_t sl = strlen(sep);

	if (*col + sl + n > DKIM_FOLD_WIDTH && *col > 8) {
		if (buf_append(b, "\r\n\t", 3) == -1)
			return -1;
		*col = 8;
		/* The separator's WSP is the fold's now. */
		while (sl > 0 && *sep == ' ') {
			sep++;
			sl--;
		}
	}
	if (buf_append(b, sep, sl) == -1 || buf_append(b, s, n) == -1)
		return -1;
	*col += sl + n;
	return 0;
}

/* name into names[n..] as often as f holds it and once more (§8.15),
   as far as DKIM_HEADERS_MAX allows; the new count. */
static int
oversign(const struct dkim_hdr *f, int nf, const char *name,
    char (*names)[DKIM_HNAME_MAX + 1], int n)
{
	size_t nl = strlen(name);
	int j, k = 1;

	for (j = 0; j < nf; j++)
		if (dkim_field_is(&f[j], name, nl))
			k++;
	while (k-- > 0 && n < DKIM_HEADERS_MAX)
		util_strlcpy(names[n++], name, DKIM_HNAME_MAX + 1);
	return n;
}

int
dkim_sign(const struct dkim_signer *k, const struct dkim_sign_opts *o,
    const struct dkim_hdr *f, int nf, const unsigned char bh[32],
    struct buf *out, char *err, size_t errlen)
{
	char names[DKIM_HEADERS_MAX][DKIM_HNAME_MAX + 1];
	const char(*nm)[DKIM_HNAME_MAX + 1];
	struct buf sig = BUF_INIT, data = BUF_INIT, tmp = BUF_INIT;
	unsigned char hash[32];
	gnutls_datum_t d, sd = {NULL, 0};
	size_t col, i, chunk;
	int n, rc = -1, r;

	if (o->names != NULL) {
		nm = o->names;
		n = o->nnames;
	} else {
		n = dkim_default_headers(f, nf, names);
		for (i = 0; i < (size_t)o->noversign; i++)
			n = oversign(f, nf, o->oversign[i], names, n);
		nm = (const char(*)[DKIM_HNAME_MAX + 1]) names;
	}
	if (buf_puts(&sig, "DKIM-Signature: v=1;") == -1)
		goto nomem;
	col = sig.len;
	buf_reset(&tmp);
	if (buf_printf(&tmp, "a=%s;", dkim_alg_str(k->alg)) == -1 ||
	    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
		goto nomem;
	buf_reset(&tmp);
	if (buf_printf(&tmp, "c=%s/%s;",
		o->hcanon == DKIM_RELAXED ? "relaxed" : "simple",
		o->bcanon == DKIM_RELAXED ? "relaxed" : "simple") == -1 ||
	    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
		goto nomem;
	buf_reset(&tmp);
	if (buf_printf(&tmp, "d=%s;", o->domain) == -1 ||
	    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
		goto nomem;
	buf_reset(&tmp);
	if (buf_printf(&tmp, "s=%s;", o->selector) == -1 ||
	    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
		goto nomem;
	if (o->auid != NULL) {
		buf_reset(&tmp);
		if (buf_printf(&tmp, "i=%s;", o->auid) == -1 ||
		    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
			goto nomem;
	}
	if (o->t != 0) {
		buf_reset(&tmp);
		if (buf_printf(&tmp, "t=%lld;", (long long)o->t) == -1 ||
		    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
			goto nomem;
		if (o->expire > 0) {
			buf_reset(&tmp);
			if (buf_printf(&tmp, "x=%lld;",
				(long long)o->t + (long long)o->expire) == -1 ||
			    put_folded(&sig, &col, " ", tmp.data, tmp.len) ==
				-1)
				goto nomem;
		}
	}
	if (o->use_l) {
		buf_reset(&tmp);
		if (buf_printf(&tmp, "l=%llu;", (unsigned long long)o->l) ==
			-1 ||
		    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1)
			goto nomem;
	}
	for (r = 0; r < n; r++) {
		buf_reset(&tmp);
		if (buf_printf(&tmp, "%s%s%s", r == 0 ? "h=" : "", nm[r],
			r == n - 1 ? ";" : "") == -1 ||
		    put_folded(&sig, &col, r == 0 ? " " : ":", tmp.data,
			tmp.len) == -1)
			goto nomem;
	}
	buf_reset(&tmp);
	if (buf_puts(&tmp, "bh=") == -1 ||
	    dkim_base64_encode(bh, 32, &tmp) == -1 || buf_putc(&tmp, ';') ||
	    put_folded(&sig, &col, " ", tmp.data, tmp.len) == -1 ||
	    put_folded(&sig, &col, " ", "b=", 2) == -1)
		goto nomem;
	/* §3.7: the fields of h=, then this one with b= empty. */
	if (dkim_canon_fields(o->hcanon, f, nf, nm, n, &data) == -1 ||
	    dkim_canon_sig(o->hcanon, sig.data, sig.len, &data) == -1)
		goto nomem;
	if (k->alg == DKIM_ED25519_SHA256) {
		/* RFC 8463 §3: Ed25519 signs the SHA-256 of the data. */
		if (gnutls_hash_fast(
			GNUTLS_DIG_SHA256, data.data, data.len, hash) < 0)
			goto crypto;
		d.data = hash;
		d.size = sizeof(hash);
		r = gnutls_privkey_sign_data2(
		    k->k, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &sd);
	} else {
		d.data = (unsigned char *)data.data;
		d.size = (unsigned int)data.len;
		r = gnutls_privkey_sign_data2(
		    k->k, GNUTLS_SIGN_RSA_SHA256, 0, &d, &sd);
	}
	if (r < 0) {
		util_seterr(err, errlen, "signing: %s", gnutls_strerror(r));
		goto out;
	}
	buf_reset(&tmp);
	if (dkim_base64_encode(sd.data, sd.size, &tmp) == -1)
		goto nomem;
	/* b= in pieces, folded (§3.5: FWS may go anywhere in it). */
	for (i = 0; i < tmp.len; i += chunk) {
		chunk = col < DKIM_FOLD_WIDTH ? DKIM_FOLD_WIDTH - col : 0;
		if (chunk == 0) {
			if (buf_append(&sig, "\r\n\t", 3) == -1)
				goto nomem;
			col = 8;
			chunk = DKIM_FOLD_WIDTH - col;
		}
		if (chunk > tmp.len - i)
			chunk = tmp.len - i;
		if (buf_append(&sig, tmp.data + i, chunk) == -1)
			goto nomem;
		col += chunk;
	}
	if (buf_append(&sig, "\r\n", 2) == -1 ||
	    buf_append(out, sig.data, sig.len) == -1)
		goto nomem;
	rc = 0;
	goto out;
crypto:
	util_seterr(err, errlen, "signing: the hash failed");
	goto out;
nomem:
	util_seterr(err, errlen, "signing: %s", strerror(errno));
out:
	gnutls_free(sd.data);
	buf_free(&sig);
	buf_free(&data);
	buf_free(&tmp);
	return rc;
}

/* ------------------------------------------------------------ verifying */

static int
der_len(struct buf *b, size_t n)
{
	unsigned char l[4];

	if (n < 128)
		return buf_putc(b, (int)n);
	if (n < 256) {
		l[0] = 0x81;
		l[1] = (unsigned char)n;
		return buf_append(b, l, 2);
	}
	l[0] = 0x82;
	l[1] = (unsigned char)(n >> 8);
	l[2] = (unsigned char)n;
	return buf_append(b, l, 3);
}

/*
 * §3.6.1 says p= is a SubjectPublicKeyInfo; some publish the bare
 * RSAPublicKey (PKCS#1) and verifiers take it: wrap it in one.
 */
static int
spki_wrap(const unsigned char *p, size_t n, struct buf *b)
{
	static const unsigned char alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
	size_t bits = n + 1, blen = 1 + (bits < 128 ? 1 : bits < 256 ? 2 : 3);
	int rc = 0;

	rc |= buf_putc(b, 0x30);
	rc |= der_len(b, sizeof(alg) + blen + bits);
	rc |= buf_append(b, alg, sizeof(alg));
	rc |= buf_putc(b, 0x03);
	rc |= der_len(b, bits);
	rc |= buf_putc(b, 0);
	rc |= buf_append(b, p, n);
	return rc ? -1 : 0;
}

/* k's p= into pub; *pkcs1 (may be NULL) set when it took the wrap. */
static int
import_key(const struct dkim_key *k, gnutls_pubkey_t pub, unsigned int *bits,
    int *pkcs1)
{
	gnutls_datum_t d;
	struct buf w = BUF_INIT;
	int rc;

	if (pkcs1 != NULL)
		*pkcs1 = 0;

	d.data = (unsigned char *)(uintptr_t)k->p;
	d.size = (unsigned int)k->plen;
	if (k->k == DKIM_K_ED25519) {
		if (k->plen != 32)
			return -1;
		rc = gnutls_pubkey_import_ecc_raw(
		    pub, GNUTLS_ECC_CURVE_ED25519, &d, NULL);
	} else {
		rc = gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_DER);
		if (rc < 0 && spki_wrap(k->p, k->plen, &w) == 0) {
			d.data = (unsigned char *)w.data;
			d.size = (unsigned int)w.len;
			rc = gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_DER);
			if (rc >= 0 && pkcs1 != NULL)
				*pkcs1 = 1;
		}
		buf_free(&w);
		if (rc >= 0 &&
		    gnutls_pubkey_get_pk_algorithm(pub, NULL) != GNUTLS_PK_RSA)
			return -1;
	}
	if (rc < 0)
		return -1;
	*bits = 0;
	(void)gnutls_pubkey_get_pk_algorithm(pub, bits);
	return 0;
}

int
dkim_key_bits(const struct dkim_key *k, unsigned int *bits)
{
	gnutls_pubkey_t pub;
	int rc, pkcs1 = 0;

	*bits = 0;
	if (gnutls_pubkey_init(&pub) < 0)
		return -1;
	rc = import_key(k, pub, bits, &pkcs1);
	gnutls_pubkey_deinit(pub);
	return rc == -1 ? -1 : pkcs1;
}

#define SETR(r, st, ...) \
	do { \
		(r)->status = (st); \
		util_seterr((r)->reason, sizeof((r)->reason), __VA_ARGS__); \
	} while (0)

/* One signature being verified. */
struct vsig {
	int fi; /* its field in v->f */
	int decided; /* res already says (before the body) */
	struct dkim_sig sig;
	struct dkim_bh *bh;
	struct dkim_result res;
};

struct dkim_verifier {
	char *hdr; /* the header section, copied */
	struct dkim_hdr *f;
	int nf;
	time_t now;
	dkim_key_fn key;
	void *arg;
	int n;
	struct vsig *s;
	/* big things off the stack */
	struct dkim_key k;
	char txt[DNS_TXT_LEN_MAX + 1];
};

/* Before the body: parse the signature and refuse what needs no key. */
static void
sig_start(struct dkim_verifier *v, struct vsig *vs)
{
	const struct dkim_hdr *sf = &v->f[vs->fi];
	struct dkim_sig *s = &vs->sig;
	struct dkim_result *r = &vs->res;
	char why[ERR_MAX];
	const char *colon;

	vs->decided = 1;
	colon = memchr(sf->p, ':', sf->len);
	if (colon == NULL ||
	    dkim_sig_parse(colon + 1, sf->len - (size_t)(colon + 1 - sf->p), s,
		why, sizeof(why)) == -1) {
		SETR(r, DKIM_PERMERROR, "bad signature: %s", why);
		return;
	}
	r->alg = s->alg;
	util_strlcpy(r->d, s->d, sizeof(r->d));
	util_strlcpy(r->s, s->s, sizeof(r->s));
	util_strlcpy(r->i, s->i, sizeof(r->i));
	r->has_l = s->has_l;
	r->l = s->l;
	if (s->alg == DKIM_RSA_SHA1) {
		SETR(r, DKIM_PERMERROR, "rsa-sha1 is refused (RFC 8301 §3.1)");
		return;
	}
	if (s->has_x && (int64_t)v->now > s->x) {
		SETR(r, DKIM_PERMERROR, "signature expired (x=%lld)",
		    (long long)s->x);
		return;
	}
	/* The body (§3.7), up to l= when given, as it comes. */
	if ((vs->bh = dkim_bh_new(s->bcanon, s->has_l ? (int64_t)s->l : -1)) ==
	    NULL) {
		SETR(r, DKIM_TEMPERROR, "body hash: out of memory");
		return;
	}
	vs->decided = 0;
}

/* After the body: the key, the body hash, the header hash. */
static void
sig_finish(struct dkim_verifier *v, struct vsig *vs)
{
	const struct dkim_hdr *sf = &v->f[vs->fi];
	struct dkim_sig *s = &vs->sig;
	struct dkim_result *r = &vs->res;
	struct buf data = BUF_INIT, stripped = BUF_INIT;
	char name[DNS_NAME_MAX + 2], why[ERR_MAX];
	const char *at;
	unsigned char hash[32], bh[32];
	unsigned int bits = 0;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d, sd;
	int st, rc;

	if (dkim_bh_final(vs->bh, bh, &r->body_len) == -1) {
		SETR(r, DKIM_TEMPERROR, "body hash: out of memory");
		return;
	}
	if (snprintf(name, sizeof(name), "%s._domainkey.%s", s->s, s->d) >=
	    (int)sizeof(name) - 1) {
		SETR(r, DKIM_PERMERROR, "the key's name is too long");
		return;
	}
	st = v->key(v->arg, name, v->txt, sizeof(v->txt), why, sizeof(why));
	if (st == DNS_TEMPFAIL) {
		SETR(r, DKIM_TEMPERROR, "key %s: %s", name, why);
		return;
	}
	if (st != DNS_OK) {
		SETR(r, DKIM_PERMERROR, "no key for the signature (%s: %s)",
		    name, why);
		return;
	}
	if (dkim_key_parse(v->txt, strlen(v->txt), &v->k, why, sizeof(why)) ==
	    -1) {
		SETR(r, DKIM_PERMERROR, "key %s: %s", name, why);
		return;
	}
	r->testing = v->k.testing;
	if (v->k.revoked) {
		SETR(r, DKIM_PERMERROR, "key %s revoked (p= empty)", name);
		return;
	}
	if ((v->k.k == DKIM_K_ED25519) != (s->alg == DKIM_ED25519_SHA256)) {
		SETR(r, DKIM_PERMERROR, "key %s is not of a=%s", name,
		    dkim_alg_str(s->alg));
		return;
	}
	if (!v->k.sha256) {
		SETR(r, DKIM_PERMERROR, "key %s: h= does not allow sha256",
		    name);
		return;
	}
	at = strrchr(s->i, '@');
	if (v->k.strict && at != NULL && strcasecmp(at + 1, s->d) != 0) {
		SETR(r, DKIM_PERMERROR,
		    "key %s has t=s: i= must be in d= "
		    "itself",
		    name);
		return;
	}
	if (gnutls_pubkey_init(&pub) < 0) {
		SETR(r, DKIM_TEMPERROR, "out of memory");
		return;
	}
	if (import_key(&v->k, pub, &bits, NULL) == -1) {
		SETR(r, DKIM_PERMERROR, "key %s: p= is not a %s public key",
		    name, v->k.k == DKIM_K_ED25519 ? "Ed25519" : "RSA");
		goto out;
	}
	r->bits = (int)bits;
	if (v->k.k == DKIM_K_RSA &&
	    (bits < DKIM_RSA_BITS_MIN || bits > DKIM_RSA_BITS_MAX)) {
		SETR(r, DKIM_PERMERROR,
		    "key %s: RSA of %u bits refused (RFC "
		    "8301 §3.2: at least %d)",
		    name, bits, DKIM_RSA_BITS_MIN);
		goto out;
	}
	if (s->has_l && s->l > r->body_len) {
		SETR(r, DKIM_FAIL, "l=%llu is longer than the body (%llu)",
		    (unsigned long long)s->l, (unsigned long long)r->body_len);
		goto out;
	}
	if (s->bhlen != 32 || memcmp(bh, s->bh, 32) != 0) {
		SETR(r, DKIM_FAIL, "body hash did not verify");
		goto out;
	}
	if (dkim_canon_fields(s->hcanon, v->f, v->nf,
		(const char(*)[DKIM_HNAME_MAX + 1]) s->h, s->nh, &data) == -1 ||
	    dkim_strip_b(sf->p, sf->len, &stripped) == -1 ||
	    dkim_canon_sig(s->hcanon, stripped.data, stripped.len, &data) ==
		-1) {
		SETR(r, DKIM_TEMPERROR, "out of memory");
		goto out;
	}
	sd.data = s->b;
	sd.size = (unsigned int)s->blen;
	if (s->alg == DKIM_ED25519_SHA256) {
		(void)gnutls_hash_fast(
		    GNUTLS_DIG_SHA256, data.data, data.len, hash);
		d.data = hash;
		d.size = sizeof(hash);
		rc = gnutls_pubkey_verify_data2(
		    pub, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &sd);
	} else {
		d.data = (unsigned char *)data.data;
		d.size = (unsigned int)data.len;
		rc = gnutls_pubkey_verify_data2(
		    pub, GNUTLS_SIGN_RSA_SHA256, 0, &d, &sd);
	}
	if (rc < 0) {
		SETR(r, DKIM_FAIL, "signature did not verify");
		goto out;
	}
	r->status = DKIM_PASS;
	if (s->has_l)
		util_seterr(r->reason, sizeof(r->reason),
		    "only the first "
		    "%llu of %llu body octets are signed (l=)",
		    (unsigned long long)s->l, (unsigned long long)r->body_len);
	else if (r->testing)
		util_seterr(r->reason, sizeof(r->reason),
		    "the key is in testing mode (t=y)");
out:
	buf_free(&data);
	buf_free(&stripped);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
}

struct dkim_verifier *
dkim_verifier_new(const char *hdr, size_t len, time_t now, dkim_key_fn key,
    void *arg, int max)
{
	struct dkim_verifier *v;
	size_t body;
	int nf, i, n = 0;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->now = now;
	v->key = key;
	v->arg = arg;
	nf = dkim_split(hdr, len, NULL,
	    len > 0 ? (int)(len > INT32_MAX ? INT32_MAX : len) : 1, &body);
	if (nf <= 0 || max <= 0)
		return v; /* not signed */
	if ((v->hdr = malloc(body)) == NULL ||
	    (v->f = calloc((size_t)nf, sizeof(*v->f))) == NULL)
		goto nomem;
	memcpy(v->hdr, hdr, body);
	(void)dkim_split(v->hdr, body, v->f, nf, &body);
	v->nf = nf;
	for (i = 0; i < nf; i++)
		if (dkim_field_is(&v->f[i], "DKIM-Signature", 14))
			n++;
	if (n == 0)
		return v;
	if ((v->s = calloc((size_t)(n < max ? n : max), sizeof(*v->s))) ==
	    NULL)
		goto nomem;
	for (i = 0; i < nf && v->n < max; i++)
		if (dkim_field_is(&v->f[i], "DKIM-Signature", 14)) {
			v->s[v->n].fi = i;
			sig_start(v, &v->s[v->n++]);
		}
	return v;
nomem:
	dkim_verifier_free(v);
	return NULL;
}

void
dkim_verifier_body(struct dkim_verifier *v, const char *p, size_t n)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (!v->s[i].decided &&
		    dkim_bh_update(v->s[i].bh, p, n) == -1) {
			SETR(&v->s[i].res, DKIM_TEMPERROR,
			    "body hash: out of memory");
			v->s[i].decided = 1;
		}
}

int
dkim_verifier_end(struct dkim_verifier *v, struct dkim_result *res, int max)
{
	int i;

	for (i = 0; i < v->n && i < max; i++) {
		if (!v->s[i].decided) {
			sig_finish(v, &v->s[i]);
			v->s[i].decided = 1;
		}
		res[i] = v->s[i].res;
	}
	return i;
}

void
dkim_verifier_free(struct dkim_verifier *v)
{
	int i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		dkim_bh_free(v->s[i].bh);
	free(v->s);
	free(v->f);
	free(v->hdr);
	free(v);
}

int
dkim_verify(const char *msg, size_t len, time_t now, dkim_key_fn key, void *arg,
    struct dkim_result *res, int max)
{
	struct dkim_verifier *v;
	size_t body;
	int i, n;

	(void)dkim_split(msg, len, NULL,
	    len > 0 ? (int)(len > INT32_MAX ? INT32_MAX : len) : 1, &body);
	if ((v = dkim_verifier_new(msg, len, now, key, arg, max)) == NULL) {
		for (i = 0; i < max; i++)
			memset(&res[i], 0, sizeof(res[i]));
		if (max > 0) {
			SETR(&res[0], DKIM_TEMPERROR, "out of memory");
			return 1;
		}
		return 0;
	}
	dkim_verifier_body(v, msg + body, len - body);
	n = dkim_verifier_end(v, res, max);
	dkim_verifier_free(v);
	return n;
}

int
dkim_dns_key(void *arg, const char *name, char *txt, size_t txtlen, char *err,
    size_t errlen)
{
	struct dns_answer *ans;
	int st, i, pick = 0;

	if ((ans = malloc(sizeof(*ans))) == NULL) {
		util_seterr(err, errlen, "%s", strerror(errno));
		return DNS_TEMPFAIL;
	}
	st = dns_query(
	    (struct dns_resolver *)arg, name, DNS_T_TXT, ans, err, errlen);
	if (st == DNS_BADNAME)
		st = DNS_NXDOMAIN;
	if (st == DNS_OK && ans->ntxt == 0) {
		util_seterr(err, errlen, "no TXT record");
		st = DNS_NODATA;
	}
	if (st == DNS_OK) {
		/* Several records: the one that says v=DKIM1. */
		for (i = 0; i < ans->ntxt; i++)
			if (ans->txt[i].len >= 7 &&
			    memcmp(ans->txt[i].data, "v=DKIM1", 7) == 0) {
				pick = i;
				break;
			}
		util_strlcpy(txt, ans->txt[pick].data, txtlen);
	}
	free(ans);
	return st;
}

const char *
dkim_status_str(int status)
{
	switch (status) {
	case DKIM_PASS: return "pass";
	case DKIM_FAIL: return "fail";
	case DKIM_NEUTRAL: return "neutral";
	case DKIM_TEMPERROR: return "temperror";
	case DKIM_PERMERROR: return "permerror";
	default: return "none";
	}
}

const char *
dkim_alg_str(int alg)
{
	switch (alg) {
	case DKIM_RSA_SHA256: return "rsa-sha256";
	case DKIM_ED25519_SHA256: return "ed25519-sha256";
	case DKIM_RSA_SHA1: return "rsa-sha1";
	default: return "unknown";
	}
}
