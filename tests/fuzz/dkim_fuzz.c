/*
 * dkim_fuzz: common/dkim on hostile bytes.  The input goes through the
 * tag-list parser, as a DKIM-Signature value and as a key record,
 * through header and body canonicalization (simple and relaxed; the
 * body whole and in two pieces), through the header split, the
 * default field list and the selection, through b= removal, and as a
 * whole message through dkim_verify (keys from a fixed table: no DNS)
 * and through the streaming verifier, its body in pieces.
 * Checks the promises, not only the absence of crashes: tags lie
 * inside the input; a parsed signature has From in h=, a valid d= and
 * hashes of the right size; canonical forms end in CRLF, relaxed ones
 * have no WSP runs and none before a line end; the body's result does
 * not depend on how it is cut; selected fields exist; results are in
 * range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
collect(void *arg, const char *p, size_t n)
{
	return buf_append(arg, p, n);
}

static void
body(int canon, const char *s, size_t n, size_t cut, struct buf *out)
{
	struct dkim_body b;

	dkim_body_init(&b, canon);
	if (dkim_body_update(&b, s, cut, collect, out) == -1 ||
	    dkim_body_update(&b, s + cut, n - cut, collect, out) == -1 ||
	    dkim_body_final(&b, collect, out) == -1)
		abort();
}

static void
check_relaxed_line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] == ' ' && (p[i + 1] == ' ' || p[i + 1] == '\t'))
			abort();
		if (p[i] == '\t')
			abort();
		if (p[i] == ' ' && p[i + 1] == '\r' && i + 2 < n &&
		    p[i + 2] == '\n')
			abort();
	}
}

static void
canon(const char *s, size_t n)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	int c;

	for (c = DKIM_SIMPLE; c <= DKIM_RELAXED; c++) {
		buf_reset(&a);
		if (dkim_canon_header(c, s, n, &a) == -1)
			abort();
		if (a.len < 2 || memcmp(a.data + a.len - 2, "\r\n", 2) != 0)
			abort();
		if (c == DKIM_RELAXED) {
			check_relaxed_line(a.data, a.len);
			if (memchr(a.data, '\n', a.len - 1) != NULL)
				abort();
		}
		buf_reset(&a);
		buf_reset(&b);
		body(c, s, n, n, &a);
		body(c, s, n, n / 2, &b);
		if (a.len != b.len ||
		    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
			abort();
		if (a.len > 0 &&
		    (a.len < 2 || memcmp(a.data + a.len - 2, "\r\n", 2) != 0))
			abort();
		if (c == DKIM_SIMPLE && a.len == 0)
			abort();
		if (c == DKIM_RELAXED)
			check_relaxed_line(a.data, a.len);
	}
	buf_free(&a);
	buf_free(&b);
}

static void
parse(const char *s, size_t n)
{
	static struct dkim_sig sig;
	static struct dkim_key key;
	struct dkim_tag t[DKIM_TAGS_MAX];
	char err[ERR_MAX];
	int nt, i, from = 0;

	nt = dkim_tags_parse(s, n, t, DKIM_TAGS_MAX, err, sizeof(err));
	if (nt < -1 || nt > DKIM_TAGS_MAX)
		abort();
	for (i = 0; i < nt; i++)
		if (t[i].name < s || t[i].name + t[i].namelen > s + n ||
		    t[i].namelen == 0 ||
		    (t[i].vallen > 0 &&
			(t[i].val < s || t[i].val + t[i].vallen > s + n)))
			abort();
	if (dkim_sig_parse(s, n, &sig, err, sizeof(err)) == 0) {
		if (sig.nh < 1 || sig.nh > DKIM_HEADERS_MAX || sig.bhlen > 32 ||
		    sig.blen == 0 || sig.blen > DKIM_SIG_BYTES_MAX ||
		    !dns_name_valid(sig.d) || sig.s[0] == '\0' ||
		    strchr(sig.i, '@') == NULL)
			abort();
		for (i = 0; i < sig.nh; i++)
			if (strcasecmp(sig.h[i], "from") == 0)
				from = 1;
		if (!from || (sig.has_x && sig.has_t && sig.x <= sig.t))
			abort();
	}
	if (dkim_key_parse(s, n, &key, err, sizeof(err)) == 0 &&
	    (key.plen > DKIM_KEY_BYTES_MAX || (key.revoked && key.plen != 0) ||
		(key.k != DKIM_K_RSA && key.k != DKIM_K_ED25519)))
		abort();
}

static int
key_fn(void *arg, const char *name, char *txt, size_t txtlen, char *err,
    size_t errlen)
{
	(void)arg;
	if (strncmp(name, "t", 1) == 0) {
		util_seterr(err, errlen, "SERVFAIL");
		return DNS_TEMPFAIL;
	}
	if (strncmp(name, "r", 1) == 0)
		util_strlcpy(txt,
		    "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ"
		    "KBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J1"
		    "6JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lH"
		    "vqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4"
		    "w3QIDAQAB",
		    txtlen);
	else
		util_strlcpy(txt,
		    "v=DKIM1; k=ed25519; "
		    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		    txtlen);
	return DNS_OK;
}

/* The streaming verifier, the body in pieces of a size the input
   picks, says what dkim_verify said. */
static void
streamed(const char *s, size_t n, const struct dkim_result *whole, int nw)
{
	struct dkim_result res[DKIM_SIGS_MAX];
	struct dkim_verifier *v;
	size_t bodyoff, step = n % 13 + 1, pos;
	int nf, i;

	(void)dkim_split(s, n, NULL, n > 0 ? (int)n : 1, &bodyoff);
	if ((v = dkim_verifier_new(s, bodyoff, 1528637909, key_fn, NULL,
		 DKIM_SIGS_MAX)) == NULL)
		return;
	for (pos = bodyoff; pos < n; pos += step)
		dkim_verifier_body(v, s + pos, n - pos < step ? n - pos : step);
	nf = dkim_verifier_end(v, res, DKIM_SIGS_MAX);
	dkim_verifier_free(v);
	if (nf != nw)
		abort();
	for (i = 0; i < nf; i++)
		if (res[i].status != whole[i].status ||
		    strcmp(res[i].reason, whole[i].reason) != 0 ||
		    res[i].body_len != whole[i].body_len)
			abort();
}

static void
message(const char *s, size_t n)
{
	char names[DKIM_HEADERS_MAX][DKIM_HNAME_MAX + 1];
	struct dkim_result res[DKIM_SIGS_MAX];
	struct dkim_hdr f[64];
	struct buf b = BUF_INIT;
	size_t bodyoff;
	int nf, nn, idx[DKIM_HEADERS_MAX], i;

	nf = dkim_split(s, n, f, 64, &bodyoff);
	if (nf < -1 || nf > 64 || bodyoff > n)
		abort();
	if (nf > 0) {
		nn = dkim_default_headers(f, nf, names);
		if (nn < 1 || nn > DKIM_HEADERS_MAX)
			abort();
		dkim_select(
		    f, nf, (const char(*)[DKIM_HNAME_MAX + 1]) names, nn, idx);
		for (i = 0; i < nn; i++)
			if (idx[i] < -1 || idx[i] >= nf)
				abort();
		for (i = 0; i < nf; i++) {
			buf_reset(&b);
			if (f[i].p < s || f[i].p + f[i].len > s + n ||
			    dkim_strip_b(f[i].p, f[i].len, &b) == -1 ||
			    b.len > f[i].len)
				abort();
		}
	}
	buf_free(&b);
	nf = dkim_verify(s, n, 1528637909, key_fn, NULL, res, DKIM_SIGS_MAX);
	if (nf < 0 || nf > DKIM_SIGS_MAX)
		abort();
	for (i = 0; i < nf; i++)
		if (res[i].status < DKIM_PASS ||
		    res[i].status > DKIM_PERMERROR ||
		    (res[i].status != DKIM_PASS && res[i].reason[0] == '\0'))
			abort();
	streamed(s, n, res, nf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d;

	if (n > 64 * 1024)
		return 0;
	parse(s, n);
	canon(s, n);
	message(s, n);
	return 0;
}
