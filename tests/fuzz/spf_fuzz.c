/*
 * spf_fuzz: the pure parts of common/spf (RFC 7208).  The input goes
 * through record selection and the record parser, through macro
 * expansion (as a domain-spec and as explanation text) and the syntax
 * check alone, through the domain cut, and (up to its first NUL) through
 * spf_domain_valid and dns_name_escape.  Checks the promises, not only
 * the absence of crashes: a parsed record's terms lie inside the input
 * with known mechanisms and qualifiers, prefix lengths in range and
 * domain-specs that pass the grammar on their own; the syntax check
 * agrees with expansion; an expansion holds only printable ASCII (and
 * spaces); a cut domain has no empty label, no label over 63 octets and
 * at most 253 octets; an escaped name holds only 0x21-0x7e.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Does p[0..len) lie inside s[0..n)? */
static int
inside(const char *s, size_t n, const char *p, size_t len)
{
	return p >= s && len <= n && (size_t)(p - s) <= n - len;
}

static void
check_record(const char *s, size_t n, const struct spf_record *rec)
{
	char err[ERR_MAX];
	int i;

	if (rec->nterms < 0 || rec->nterms > SPF_TERMS_MAX || rec->nunknown < 0)
		abort();
	for (i = 0; i < rec->nterms; i++) {
		const struct spf_term *t = &rec->term[i];

		if (t->mech < SPF_M_ALL || t->mech > SPF_M_EXISTS)
			abort();
		if (t->qual != SPF_PASS && t->qual != SPF_FAIL &&
		    t->qual != SPF_SOFTFAIL && t->qual != SPF_NEUTRAL)
			abort();
		if (t->cidr4 < 0 || t->cidr4 > 32 || t->cidr6 < 0 ||
		    t->cidr6 > 128)
			abort();
		if (t->textlen == 0 || !inside(s, n, t->text, t->textlen) ||
		    memchr(t->text, ' ', t->textlen) != NULL)
			abort();
		if (t->spec != NULL &&
		    (!inside(t->text, t->textlen, t->spec, t->speclen) ||
			spf_domain_spec_valid(
			    t->spec, t->speclen, err, sizeof(err)) != 0))
			abort();
		/* these need a domain, the others may go without */
		if ((t->mech == SPF_M_INCLUDE || t->mech == SPF_M_EXISTS) &&
		    t->spec == NULL)
			abort();
		if ((t->mech == SPF_M_ALL || t->mech == SPF_M_IP4 ||
			t->mech == SPF_M_IP6) &&
		    t->spec != NULL)
			abort();
	}
	if (rec->redirect != NULL &&
	    (!inside(s, n, rec->redirect, rec->redirectlen) ||
		spf_domain_spec_valid(
		    rec->redirect, rec->redirectlen, err, sizeof(err)) != 0))
		abort();
	if (rec->exp != NULL &&
	    (!inside(s, n, rec->exp, rec->explen) ||
		spf_domain_spec_valid(
		    rec->exp, rec->explen, err, sizeof(err)) != 0))
		abort();
}

static void
check_cut(const char *x)
{
	char cut[SPF_DOMAIN_MAX + 2];
	size_t i, len, label = 0;

	if (spf_domain_cut(x, cut, sizeof(cut)) != 0)
		return;
	len = strlen(cut);
	if (len == 0 || len > SPF_DOMAIN_MAX || cut[len - 1] == '.')
		abort();
	for (i = 0; i < len; i++) {
		if (cut[i] == '.') {
			if (label == 0)
				abort();
			label = 0;
		} else if (++label > DNS_LABEL_MAX)
			abort();
	}
}

static void
check_expand(const char *s, size_t n, int exp)
{
	static const unsigned char ip6[16] = {
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01};
	struct spf_macro m;
	char *out, err[ERR_MAX];
	size_t i, len;
	int rc, only;

	memset(&m, 0, sizeof(m));
	m.s = "strong-bad@email.example.com";
	m.l = "strong-bad";
	m.o = "email.example.com";
	m.d = "email.example.com";
	m.h = "mx.example.org";
	m.t = 1234567890;
	m.family = (n & 1) ? AF_INET6 : AF_INET;
	memcpy(m.ip, ip6, sizeof(ip6));
	if ((out = malloc(SPF_EXPAND_MAX)) == NULL)
		return;
	rc = spf_expand(s, n, exp, &m, out, SPF_EXPAND_MAX, err, sizeof(err));
	only = spf_expand(s, n, exp, NULL, NULL, 0, err, sizeof(err));
	/* a syntax error is one either way; only expansion can run out of
	   room */
	if (only != 0 && rc == 0)
		abort();
	if (rc == 0) {
		len = strlen(out);
		if (len >= SPF_EXPAND_MAX)
			abort();
		for (i = 0; i < len; i++)
			if ((unsigned char)out[i] < 0x20 ||
			    (unsigned char)out[i] > 0x7e)
				abort();
		if (!exp)
			check_cut(out);
	} else if (err[0] == '\0')
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d;
	struct spf_record *rec;
	char err[ERR_MAX], *str, esc[DNS_NAME_MAX * 4 + 1];
	size_t i, slen;

	if (n > 65536)
		return 0;
	/* The record. */
	if ((rec = malloc(sizeof(*rec))) == NULL)
		return 0;
	err[0] = '\0';
	if (spf_parse(s, n, rec, err, sizeof(err)) == 0) {
		if (!spf_is_record(s, n))
			abort();
		check_record(s, n, rec);
	} else {
		if (err[0] == '\0')
			abort();
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] >= 0x7f)
				abort();
	}
	free(rec);

	/* Macros, as a domain-spec and as explanation text. */
	check_expand(s, n, 0);
	check_expand(s, n, 1);
	(void)spf_domain_spec_valid(s, n, err, sizeof(err));

	/* As a C string: a domain to check, a name to escape. */
	slen = memchr(s, '\0', n) != NULL
	    ? (size_t)((const char *)memchr(s, '\0', n) - s)
	    : n;
	if ((str = malloc(slen + 1)) == NULL)
		return 0;
	memcpy(str, s, slen);
	str[slen] = '\0';
	(void)spf_domain_valid(str);
	check_cut(str);
	if (dns_name_escape(str, esc, sizeof(esc)) == 0)
		for (i = 0; esc[i] != '\0'; i++)
			if ((unsigned char)esc[i] < 0x21 ||
			    (unsigned char)esc[i] > 0x7e)
				abort();
	free(str);
	return 0;
}
