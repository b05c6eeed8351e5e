/*
 * dkim.c: DKIM signing and verifying (RFC 6376, RFC 8463, RFC 8301).
 * See dkim.h.  This file is the pure part (tag lists, the signature
 * field, key records, canonicalization, header selection): no crypto,
 * no DNS.  dkim_crypto.c signs and verifies.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "sasl.h"
#include "dkim_int.h"
#include "dns.h"
#include "util.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')
#define IS_FWS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* ------------------------------------------------------------ tag lists */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && IS_FWS((unsigned char)**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && IS_FWS((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

int
dkim_tags_parse(const char *s, size_t len, struct dkim_tag *t, int max,
    char *err, size_t errlen)
{
	const char *p = s, *end = s + len, *semi, *eq, *nm, *v;
	size_t nl, vl, i;
	int n = 0, j;

	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		nm = p;
		nl = (size_t)(semi - p);
		trim(&nm, &nl);
		if (nl == 0) {
			/* §3.2: the last tag may end with ";"; an empty
			   list is allowed too. */
			if (semi != end) {
				for (v = semi + 1;
				     v < end && IS_FWS((unsigned char)*v); v++)
					;
				if (v != end) {
					util_seterr(err, errlen,
					    "an empty tag in the tag list");
					return -1;
				}
			}
			break;
		}
		if ((eq = memchr(nm, '=', nl)) == NULL) {
			util_seterr(err, errlen, "a tag without \"=\"");
			return -1;
		}
		v = eq + 1;
		vl = nl - (size_t)(v - nm);
		nl = (size_t)(eq - nm);
		trim(&nm, &nl);
		trim(&v, &vl);
		/* tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC: alnum or "_") */
		if (nl == 0 || !is_alpha((unsigned char)nm[0])) {
			util_seterr(err, errlen, "a bad tag name");
			return -1;
		}
		for (i = 1; i < nl; i++)
			if (!is_alnum((unsigned char)nm[i]) && nm[i] != '_') {
				util_seterr(err, errlen, "a bad tag name");
				return -1;
			}
		for (j = 0; j < n; j++)
			if (t[j].namelen == nl &&
			    memcmp(t[j].name, nm, nl) == 0) {
				util_seterr(err, errlen, "tag %.*s= twice",
				    (int)(nl < 32 ? nl : 32), nm);
				return -1;
			}
		if (n == max) {
			util_seterr(err, errlen, "more than %d tags", max);
			return -1;
		}
		t[n].name = nm;
		t[n].namelen = nl;
		t[n].val = v;
		t[n].vallen = vl;
		n++;
		p = semi == end ? end : semi + 1;
	}
	return n;
}

static const struct dkim_tag *
tag(const struct dkim_tag *t, int n, const char *name)
{
	size_t nl = strlen(name);
	int i;

	for (i = 0; i < n; i++)
		if (t[i].namelen == nl && memcmp(t[i].name, name, nl) == 0)
			return &t[i];
	return NULL;
}

static int
tag_is(const struct dkim_tag *t, const char *v)
{
	return t->vallen == strlen(v) &&
	    util_casecmp_n(t->val, v, t->vallen) == 0;
}

/* ------------------------------------------------------------ base64 */

/* common/sasl's base64 (strict RFC 4648), with the FWS RFC 6376 §2.11
   allows inside a value taken out first. */
long
dkim_base64_decode(
    const char *in, size_t len, unsigned char *out, size_t outlen)
{
	char *s;
	size_t i, n = 0, got;
	long r = -1;

	if ((s = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		if (!IS_FWS((unsigned char)in[i]))
			s[n++] = in[i];
	if (sasl_b64_decode(s, n, out, outlen, &got) == 0)
		r = (long)got;
	free(s);
	return r;
}

int
dkim_base64_encode(const unsigned char *in, size_t len, struct buf *out)
{
	return sasl_b64_encode(in, len, out);
}

/* ------------------------------------------------------------ the signature */

static int
copy_val(const struct dkim_tag *t, char *dst, size_t dstlen, int lower)
{
	size_t i;

	if (t->vallen >= dstlen || memchr(t->val, '\0', t->vallen) != NULL)
		return -1;
	for (i = 0; i < t->vallen; i++) {
		if ((unsigned char)t->val[i] <= ' ' ||
		    (unsigned char)t->val[i] == 0x7f)
			return -1;
		dst[i] = t->val[i];
	}
	dst[i] = '\0';
	if (lower)
		util_lower(dst);
	return 0;
}

static int
parse_u64(const struct dkim_tag *t, int digits, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	/* §3.5: 1*12DIGIT (t, x), 1*76DIGIT (l); we take what fits. */
	if (t->vallen == 0 || t->vallen > (size_t)digits)
		return -1;
	for (i = 0; i < t->vallen; i++) {
		if (t->val[i] < '0' || t->val[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->val[i] - '0');
	}
	*out = v;
	return 0;
}

/* A domain name ends (case-insensitively) with d (equal, or a
   sub-domain). */
static int
domain_within(const char *name, const char *d)
{
	size_t nl = strlen(name), dl = strlen(d);

	if (nl < dl || util_casecmp_n(name + nl - dl, d, dl) != 0)
		return 0;
	return nl == dl || name[nl - dl - 1] == '.';
}

static int
parse_h(const struct dkim_tag *t, struct dkim_sig *s, char *err, size_t errlen)
{
	const char *p = t->val, *end = t->val + t->vallen, *c, *nm;
	size_t nl, i;
	int from = 0;

	s->nh = 0;
	while (p <= end) {
		c = memchr(p, ':', (size_t)(end - p));
		if (c == NULL)
			c = end;
		nm = p;
		nl = (size_t)(c - p);
		trim(&nm, &nl);
		if (nl == 0 || nl > DKIM_HNAME_MAX) {
			util_seterr(err, errlen, "h=: a bad field name");
			return -1;
		}
		for (i = 0; i < nl; i++)
			if ((unsigned char)nm[i] <= ' ' ||
			    (unsigned char)nm[i] >= 0x7f || nm[i] == ':') {
				util_seterr(
				    err, errlen, "h=: a bad field name");
				return -1;
			}
		if (s->nh == DKIM_HEADERS_MAX) {
			util_seterr(err, errlen, "h=: more than %d fields",
			    DKIM_HEADERS_MAX);
			return -1;
		}
		memcpy(s->h[s->nh], nm, nl);
		s->h[s->nh][nl] = '\0';
		if (nl == 4 && util_casecmp_n(nm, "from", 4) == 0)
			from = 1;
		s->nh++;
		p = c + 1;
	}
	if (!from) {
		/* §5.4: From MUST be signed; §6.1.1: else PERMFAIL. */
		util_seterr(err, errlen, "h= does not include From");
		return -1;
	}
	return 0;
}

int
dkim_sig_parse(
    const char *val, size_t len, struct dkim_sig *s, char *err, size_t errlen)
{
	struct dkim_tag t[DKIM_TAGS_MAX];
	const struct dkim_tag *x;
	const char *slash;
	uint64_t u;
	long n;
	int nt;

	memset(s, 0, sizeof(*s));
	if ((nt = dkim_tags_parse(val, len, t, DKIM_TAGS_MAX, err, errlen)) ==
	    -1)
		return -1;
	if ((x = tag(t, nt, "v")) == NULL || !tag_is(x, "1")) {
		util_seterr(
		    err, errlen, x == NULL ? "no v= tag" : "v= is not 1");
		return -1;
	}
	if ((x = tag(t, nt, "a")) == NULL) {
		util_seterr(err, errlen, "no a= tag");
		return -1;
	}
	if (tag_is(x, "rsa-sha256"))
		s->alg = DKIM_RSA_SHA256;
	else if (tag_is(x, "ed25519-sha256"))
		s->alg = DKIM_ED25519_SHA256;
	else if (tag_is(x, "rsa-sha1"))
		s->alg = DKIM_RSA_SHA1;
	else {
		util_seterr(err, errlen, "a=%.*s: an unknown algorithm",
		    (int)(x->vallen < 32 ? x->vallen : 32), x->val);
		return -1;
	}
	s->hcanon = s->bcanon = DKIM_SIMPLE;
	if ((x = tag(t, nt, "c")) != NULL) {
		struct dkim_tag h = *x, b = *x;

		slash = memchr(x->val, '/', x->vallen);
		if (slash != NULL) {
			h.vallen = (size_t)(slash - x->val);
			b.val = slash + 1;
			b.vallen = x->vallen - h.vallen - 1;
		}
		if (tag_is(&h, "relaxed"))
			s->hcanon = DKIM_RELAXED;
		else if (!tag_is(&h, "simple"))
			goto badc;
		if (slash != NULL) {
			if (tag_is(&b, "relaxed"))
				s->bcanon = DKIM_RELAXED;
			else if (!tag_is(&b, "simple"))
				goto badc;
		}
	}
	if ((x = tag(t, nt, "d")) == NULL || x->vallen == 0 ||
	    copy_val(x, s->d, sizeof(s->d), 1) == -1 || !dns_name_valid(s->d)) {
		util_seterr(err, errlen, "d=: %s",
		    x == NULL ? "missing" : "not a domain name");
		return -1;
	}
	if ((x = tag(t, nt, "s")) == NULL || x->vallen == 0 ||
	    copy_val(x, s->s, sizeof(s->s), 0) == -1) {
		util_seterr(err, errlen, "s=: %s",
		    x == NULL ? "missing" : "not a selector");
		return -1;
	}
	if ((x = tag(t, nt, "h")) == NULL) {
		util_seterr(err, errlen, "no h= tag");
		return -1;
	}
	if (parse_h(x, s, err, errlen) == -1)
		return -1;
	if ((x = tag(t, nt, "bh")) == NULL ||
	    (n = dkim_base64_decode(x->val, x->vallen, s->bh, sizeof(s->bh))) ==
		-1) {
		util_seterr(err, errlen, "bh=: %s",
		    x == NULL ? "missing" : "not base64 of a SHA-256 hash");
		return -1;
	}
	s->bhlen = (size_t)n;
	if ((x = tag(t, nt, "b")) == NULL ||
	    (n = dkim_base64_decode(x->val, x->vallen, s->b, sizeof(s->b))) ==
		-1 ||
	    n == 0) {
		util_seterr(err, errlen, "b=: %s",
		    x == NULL ? "missing"
			      : "not base64, or empty, or too long");
		return -1;
	}
	s->blen = (size_t)n;
	if ((x = tag(t, nt, "i")) != NULL) {
		const char *at;

		if (copy_val(x, s->i, sizeof(s->i), 0) == -1 ||
		    (at = strrchr(s->i, '@')) == NULL) {
			util_seterr(err, errlen, "i=: not an identity");
			return -1;
		}
		/* §3.5: the AUID's domain is d= or a sub-domain of it. */
		if (!domain_within(at + 1, s->d)) {
			util_seterr(
			    err, errlen, "i=%s is not within d=%s", s->i, s->d);
			return -1;
		}
	} else
		(void)snprintf(s->i, sizeof(s->i), "@%s", s->d);
	if ((x = tag(t, nt, "l")) != NULL) {
		if (parse_u64(x, 18, &s->l) == -1) {
			util_seterr(err, errlen, "l=: not a number");
			return -1;
		}
		s->has_l = 1;
	}
	if ((x = tag(t, nt, "q")) != NULL) {
		/* §3.5: "dns/txt" is the only method; a list may name
		   others as long as dns/txt is there. */
		if (x->vallen < 7 || util_casecmp_n(x->val, "dns/txt", 7)) {
			util_seterr(err, errlen, "q=: no dns/txt");
			return -1;
		}
	}
	if ((x = tag(t, nt, "t")) != NULL) {
		if (parse_u64(x, 12, &u) == -1) {
			util_seterr(err, errlen, "t=: not a time");
			return -1;
		}
		s->t = (int64_t)u;
		s->has_t = 1;
	}
	if ((x = tag(t, nt, "x")) != NULL) {
		if (parse_u64(x, 12, &u) == -1) {
			util_seterr(err, errlen, "x=: not a time");
			return -1;
		}
		s->x = (int64_t)u;
		s->has_x = 1;
		/* §3.5: x= MUST be greater than t=. */
		if (s->has_t && s->x <= s->t) {
			util_seterr(err, errlen, "x= is not after t=");
			return -1;
		}
	}
	return 0;
badc:
	util_seterr(err, errlen, "c=: an unknown canonicalization");
	return -1;
}

/* ------------------------------------------------------------ key records */

int
dkim_key_parse(
    const char *txt, size_t len, struct dkim_key *k, char *err, size_t errlen)
{
	struct dkim_tag t[DKIM_TAGS_MAX];
	const struct dkim_tag *x;
	const char *p, *end, *c;
	size_t n;
	long bl;
	int nt;

	memset(k, 0, sizeof(*k));
	if ((nt = dkim_tags_parse(txt, len, t, DKIM_TAGS_MAX, err, errlen)) ==
	    -1)
		return -1;
	/* §3.6.1: v= is optional, but if there it MUST be first. */
	if ((x = tag(t, nt, "v")) != NULL &&
	    (x != &t[0] || !(x->vallen == 5 && !memcmp(x->val, "DKIM1", 5)))) {
		util_seterr(err, errlen, "not a DKIM1 key record");
		return -1;
	}
	k->k = DKIM_K_RSA;
	if ((x = tag(t, nt, "k")) != NULL) {
		if (tag_is(x, "rsa"))
			k->k = DKIM_K_RSA;
		else if (tag_is(x, "ed25519"))
			k->k = DKIM_K_ED25519;
		else {
			util_seterr(err, errlen, "k=%.*s: an unknown key type",
			    (int)(x->vallen < 32 ? x->vallen : 32), x->val);
			return -1;
		}
	}
	k->sha256 = 1;
	if ((x = tag(t, nt, "h")) != NULL) {
		/* A colon-separated list of hash algorithms. */
		k->sha256 = 0;
		for (p = x->val, end = x->val + x->vallen; p <= end;
		     p = c + 1) {
			const char *nm = p;

			if ((c = memchr(p, ':', (size_t)(end - p))) == NULL)
				c = end;
			n = (size_t)(c - p);
			trim(&nm, &n);
			if (n == 6 && util_casecmp_n(nm, "sha256", 6) == 0)
				k->sha256 = 1;
		}
	}
	if ((x = tag(t, nt, "t")) != NULL) {
		for (p = x->val, end = x->val + x->vallen; p <= end;
		     p = c + 1) {
			const char *nm = p;

			if ((c = memchr(p, ':', (size_t)(end - p))) == NULL)
				c = end;
			n = (size_t)(c - p);
			trim(&nm, &n);
			if (n == 1 && (nm[0] == 'y' || nm[0] == 'Y'))
				k->testing = 1;
			if (n == 1 && (nm[0] == 's' || nm[0] == 'S'))
				k->strict = 1;
		}
	}
	if ((x = tag(t, nt, "s")) != NULL) {
		/* §3.6.1: a key for other services than "email" ("*" is
		   all) is not to be used for mail. */
		int ok = 0;

		for (p = x->val, end = x->val + x->vallen; p <= end;
		     p = c + 1) {
			const char *nm = p;

			if ((c = memchr(p, ':', (size_t)(end - p))) == NULL)
				c = end;
			n = (size_t)(c - p);
			trim(&nm, &n);
			if ((n == 1 && nm[0] == '*') ||
			    (n == 5 && util_casecmp_n(nm, "email", 5) == 0))
				ok = 1;
		}
		if (!ok) {
			util_seterr(err, errlen, "s=: not a key for email");
			return -1;
		}
	}
	if ((x = tag(t, nt, "p")) == NULL) {
		util_seterr(err, errlen, "no p= tag");
		return -1;
	}
	if (x->vallen == 0) {
		k->revoked = 1;
		return 0;
	}
	if ((bl = dkim_base64_decode(x->val, x->vallen, k->p, sizeof(k->p))) <=
	    0) {
		util_seterr(err, errlen, "p=: not base64, or too long");
		return -1;
	}
	k->plen = (size_t)bl;
	return 0;
}

/* ------------------------------------------------------------ canonicalization
 */

int
dkim_canon_header(int canon, const char *f, size_t len, struct buf *out)
{
	size_t i, colon, start;
	int wsp = 0, rc = 0;

	if (canon == DKIM_SIMPLE) {
		/* As it is, but every line end a CRLF. */
		for (i = 0; i < len; i++) {
			if (f[i] == '\n' && (i == 0 || f[i - 1] != '\r'))
				rc |= buf_putc(out, '\r');
			rc |= buf_putc(out, f[i]);
		}
		if (len == 0 || f[len - 1] != '\n')
			rc |= buf_append(out, "\r\n", 2);
		return rc ? -1 : 0;
	}
	/* §3.4.2: the name in lower case, no WSP before the colon. */
	for (colon = 0; colon < len && f[colon] != ':'; colon++)
		;
	for (i = colon; i > 0 && IS_FWS((unsigned char)f[i - 1]); i--)
		;
	for (start = 0; start < i; start++) {
		char c = f[start];

		/* RFC 5322 §2.2: a name is printable ASCII; what else a
		   broken field holds before its colon goes. */
		if (IS_FWS((unsigned char)c))
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		rc |= buf_putc(out, c);
	}
	rc |= buf_putc(out, ':');
	/* The value unfolded, WSP runs as one SP, none at either end. */
	start = out->len;
	for (i = colon + 1; i < len; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c == '\r' || c == '\n')
			continue;
		if (IS_WSP(c)) {
			wsp = 1;
			continue;
		}
		if (wsp && out->len > start)
			rc |= buf_putc(out, ' ');
		wsp = 0;
		rc |= buf_putc(out, (char)c);
	}
	rc |= buf_append(out, "\r\n", 2);
	return rc ? -1 : 0;
}

void
dkim_body_init(struct dkim_body *b, int canon)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
}

/* One content byte of the current line (not a line end). */
static int
body_byte(struct dkim_body *b, char c, dkim_out_fn fn, void *arg)
{
	static const char crlf[] = "\r\n";

	if (b->canon == DKIM_RELAXED && IS_WSP((unsigned char)c)) {
		b->wsp = 1;
		return 0;
	}
	if (b->linelen == 0)
		for (; b->blanks > 0; b->blanks--)
			if (fn(arg, crlf, 2) == -1)
				return -1;
	if (b->wsp) {
		/* A run of WSP, also at the line's start, is one SP. */
		b->wsp = 0;
		if (fn(arg, " ", 1) == -1)
			return -1;
		b->linelen++;
	}
	b->linelen++;
	b->wrote = 1;
	return fn(arg, &c, 1);
}

static int
body_eol(struct dkim_body *b, dkim_out_fn fn, void *arg)
{
	b->wsp = 0; /* relaxed: WSP at a line's end goes */
	if (b->linelen == 0) {
		b->blanks++;
		return 0;
	}
	b->linelen = 0;
	return fn(arg, "\r\n", 2);
}

int
dkim_body_update(
    struct dkim_body *b, const char *p, size_t n, dkim_out_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b->cr) {
			b->cr = 0;
			if (p[i] == '\n') {
				if (body_eol(b, fn, arg) == -1)
					return -1;
				continue;
			}
			/* A lone CR is a byte of the line. */
			if (body_byte(b, '\r', fn, arg) == -1)
				return -1;
		}
		if (p[i] == '\r')
			b->cr = 1;
		else if (p[i] == '\n') {
			if (body_eol(b, fn, arg) == -1)
				return -1;
		} else if (body_byte(b, p[i], fn, arg) == -1)
			return -1;
	}
	return 0;
}

int
dkim_body_final(struct dkim_body *b, dkim_out_fn fn, void *arg)
{
	if (b->cr) {
		b->cr = 0;
		if (body_byte(b, '\r', fn, arg) == -1)
			return -1;
	}
	/* A last line without its line end gets one (§3.4.3, §3.4.4);
	   empty lines at the end go. */
	if (b->linelen > 0 && body_eol(b, fn, arg) == -1)
		return -1;
	/* §3.4.3: the simple empty body is one CRLF; relaxed's is empty
	   (§3.4.4, erratum 1384 made simple and relaxed agree on a body
	   of empty lines only: relaxed hashes nothing). */
	if (b->canon == DKIM_SIMPLE && !b->wrote && fn(arg, "\r\n", 2) == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ header fields */

int
dkim_split(
    const char *msg, size_t len, struct dkim_hdr *f, int max, size_t *body)
{
	const char *nl;
	size_t pos = 0, end;
	int n = 0;

	*body = len;
	while (pos < len) {
		nl = memchr(msg + pos, '\n', len - pos);
		end = nl == NULL ? len : (size_t)(nl - msg) + 1;
		if (msg[pos] == '\n' ||
		    (msg[pos] == '\r' && pos + 1 < len &&
			msg[pos + 1] == '\n')) {
			*body = end;
			return n;
		}
		if (n > 0 && IS_WSP((unsigned char)msg[pos])) {
			/* A fold: the line belongs to the field above. */
			if (f != NULL)
				f[n - 1].len = end - (size_t)(f[n - 1].p - msg);
		} else {
			if (n == max)
				return -1;
			if (f != NULL) {
				f[n].p = msg + pos;
				f[n].len = end - pos;
			}
			n++;
		}
		pos = end;
	}
	return n;
}

/* The name of field f (before the colon, WSP before it dropped). */
size_t
dkim_field_name(const struct dkim_hdr *f)
{
	const char *c = memchr(f->p, ':', f->len);
	size_t n;

	if (c == NULL)
		return 0;
	n = (size_t)(c - f->p);
	while (n > 0 && IS_WSP((unsigned char)f->p[n - 1]))
		n--;
	return n;
}

int
dkim_field_is(const struct dkim_hdr *f, const char *name, size_t nl)
{
	return dkim_field_name(f) == nl && nl > 0 &&
	    util_casecmp_n(f->p, name, nl) == 0;
}

void
dkim_select(const struct dkim_hdr *f, int nf,
    const char (*names)[DKIM_HNAME_MAX + 1], int n, int *idx)
{
	int i, j, k, seen;
	size_t nl;

	for (i = 0; i < n; i++) {
		idx[i] = -1;
		nl = strlen(names[i]);
		/* The earlier instances of this name took fields from the
		   bottom up: skip as many. */
		for (seen = 0, k = 0; k < i; k++)
			if (strlen(names[k]) == nl &&
			    util_casecmp_n(names[k], names[i], nl) == 0)
				seen++;
		for (j = nf - 1; j >= 0; j--) {
			if (!dkim_field_is(&f[j], names[i], nl))
				continue;
			if (seen-- == 0) {
				idx[i] = j;
				break;
			}
		}
	}
}

/* §5.4.1's list, with the fields of the message itself that every
   signer signs (Message-ID, MIME), and without List-*: a mailing list
   that adds its own must not break the signature. */
static const char *const default_names[] = {"from", "sender", "reply-to",
    "subject", "date", "to", "cc", "resent-date", "resent-from",
    "resent-sender", "resent-to", "resent-cc", "in-reply-to", "references",
    "message-id", "mime-version", "content-type", "content-transfer-encoding",
    "content-id", "content-description"};

int
dkim_default_headers(
    const struct dkim_hdr *f, int nf, char (*names)[DKIM_HNAME_MAX + 1])
{
	size_t i, nl;
	int j, n = 0;

	for (j = 0; j < nf && n < DKIM_HEADERS_MAX - 1; j++) {
		for (i = 0; i < sizeof(default_names) / sizeof(*default_names);
		     i++) {
			nl = strlen(default_names[i]);
			if (dkim_field_is(&f[j], default_names[i], nl)) {
				util_strlcpy(names[n++], default_names[i],
				    DKIM_HNAME_MAX + 1);
				break;
			}
		}
	}
	/* Oversign From (§8.15): one more than there are. */
	util_strlcpy(names[n++], "from", DKIM_HNAME_MAX + 1);
	return n;
}

int
dkim_strip_b(const char *f, size_t len, struct buf *out)
{
	const char *p, *end = f + len, *semi, *eq, *nm;
	size_t nl;
	int rc = 0;

	if ((p = memchr(f, ':', len)) == NULL)
		return buf_append(out, f, len);
	p++;
	rc |= buf_append(out, f, (size_t)(p - f));
	while (p < end) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		nm = p;
		nl = eq != NULL ? (size_t)(eq - p) : 0;
		trim(&nm, &nl);
		if (eq != NULL && nl == 1 && nm[0] == 'b')
			rc |= buf_append(out, p, (size_t)(eq + 1 - p));
		else
			rc |= buf_append(out, p, (size_t)(semi - p));
		if (semi < end)
			rc |= buf_putc(out, ';');
		p = semi + 1;
	}
	return rc ? -1 : 0;
}

/* The selected fields of h=, canonicalized, into data (§3.7). */
int
dkim_canon_fields(int canon, const struct dkim_hdr *f, int nf,
    const char (*names)[DKIM_HNAME_MAX + 1], int n, struct buf *data)
{
	int idx[DKIM_HEADERS_MAX], i;

	dkim_select(f, nf, names, n, idx);
	for (i = 0; i < n; i++)
		if (idx[i] != -1 &&
		    dkim_canon_header(
			canon, f[idx[i]].p, f[idx[i]].len, data) == -1)
			return -1;
	return 0;
}

/* The signature field (b= empty) canonicalized, without its CRLF. */
int
dkim_canon_sig(int canon, const char *f, size_t len, struct buf *data)
{
	if (dkim_canon_header(canon, f, len, data) == -1)
		return -1;
	buf_truncate(data, data->len - 2);
	return 0;
}
