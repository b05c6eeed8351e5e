/*
 * spf.c: RFC 7208 check_host().  The record parser, the domain-spec
 * grammar and macro expansion first (pure, table-tested and fuzzed),
 * then the evaluation over common/dns.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dns.h"
#include "spf.h"
#include "util.h"

/* ------------------------------------------------------------ chars */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* §7.1 delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" */
static int
is_delim(int c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/* Case-insensitive: is s[0..len) the word w? */
static int
word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

/*
 * §7.1 toplabel = ( *alphanum ALPHA *alphanum ) /
 *                 ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static int
toplabel_valid(const char *s, size_t len)
{
	size_t i;
	int alpha = 0, dash = 0;

	if (len == 0 || !is_alnum((unsigned char)s[0]) ||
	    !is_alnum((unsigned char)s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			dash = 1;
		else if (is_alpha((unsigned char)s[i]))
			alpha = 1;
		else if (!is_digit((unsigned char)s[i]))
			return 0;
	}
	return alpha || dash;
}

static void printable(const char *s, size_t len, char *out, size_t outlen);

/* ------------------------------------------------------------ macros */

#define EXPAND_FAIL(...) \
	do { \
		util_seterr(err, errlen, __VA_ARGS__); \
		return -1; \
	} while (0)

/* A macro's value (§7.2): an address, a domain, a sender, a time. */
#define MACRO_VALUE_MAX 1024

/* Append n bytes to out (o: its length so far); -1 past outlen - 1. */
static int
put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (out == NULL)
		return 0;
	if (*o + n >= outlen)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/*
 * The value of macro letter c (lower case) into v.  "i" of an IPv6
 * address is its 32 nibbles with dots (§7.3), in upper case: DNS names
 * compare without case (RFC 4343), §7.4's example writes them in lower
 * case, and the OpenSPF test suite (v-macro-ip6) wants upper case in
 * explanations, as pyspf writes them.
 */
static void
macro_value(int c, const struct spf_macro *m, char *v, size_t vlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o;

	v[0] = '\0';
	switch (c) {
	case 's': util_strlcpy(v, m->s != NULL ? m->s : "", vlen); break;
	case 'l': util_strlcpy(v, m->l != NULL ? m->l : "", vlen); break;
	case 'o': util_strlcpy(v, m->o != NULL ? m->o : "", vlen); break;
	case 'd': util_strlcpy(v, m->d != NULL ? m->d : "", vlen); break;
	case 'h': util_strlcpy(v, m->h != NULL ? m->h : "unknown", vlen); break;
	case 'r': util_strlcpy(v, m->r != NULL ? m->r : "unknown", vlen); break;
	case 't': (void)snprintf(v, vlen, "%lld", m->t); break;
	case 'v':
		util_strlcpy(
		    v, m->family == AF_INET6 ? "ip6" : "in-addr", vlen);
		break;
	case 'p':
		if (m->p != NULL)
			util_strlcpy(v, m->p, vlen);
		else if (m->get_p != NULL)
			m->get_p(m->arg, v, vlen);
		else
			util_strlcpy(v, "unknown", vlen);
		break;
	case 'c':
	case 'i':
		if (m->family != AF_INET6 || c == 'c') {
			if (inet_ntop(
				m->family == AF_INET6 ? AF_INET6 : AF_INET,
				m->ip, v, (socklen_t)vlen) == NULL)
				v[0] = '\0';
			break;
		}
		for (i = 0, o = 0; i < 16 && o + 4 < vlen; i++) {
			v[o++] = hex[m->ip[i] >> 4];
			v[o++] = '.';
			v[o++] = hex[m->ip[i] & 15];
			if (i < 15)
				v[o++] = '.';
		}
		v[o] = '\0';
		break;
	}
}

/*
 * §7.3 transformers: split v on the delimiters (default "."), reverse
 * if asked, keep the rightmost n parts (0: all), join with ".", and
 * URL-escape for an upper-case letter (§7.3: all but unreserved, RFC
 * 3986 §2.3).  Into out at *o.
 */
static int
transform(const char *v, const char *delims, size_t ndelims, int rev, long n,
    int escape, char *out, size_t outlen, size_t *o)
{
	const char *part[MACRO_VALUE_MAX];
	size_t plen[MACRO_VALUE_MAX];
	size_t np = 0, i, first, k, start = 0, len = strlen(v);
	char esc[4];

	for (i = 0; i <= len; i++) {
		if (i < len &&
		    (ndelims == 0 ? v[i] != '.'
				  : memchr(delims, v[i], ndelims) == NULL))
			continue;
		if (np == sizeof(part) / sizeof(part[0]))
			return -1;
		part[np] = v + start;
		plen[np++] = i - start;
		start = i + 1;
	}
	if (rev)
		for (i = 0; i < np / 2; i++) {
			const char *tp = part[i];
			size_t tl = plen[i];

			part[i] = part[np - 1 - i];
			plen[i] = plen[np - 1 - i];
			part[np - 1 - i] = tp;
			plen[np - 1 - i] = tl;
		}
	first = (n > 0 && (size_t)n < np) ? np - (size_t)n : 0;
	for (i = first; i < np; i++) {
		if (i > first && put(out, outlen, o, ".", 1) != 0)
			return -1;
		for (k = 0; k < plen[i]; k++) {
			unsigned char ch = (unsigned char)part[i][k];

			if (!escape || is_alnum(ch) || ch == '-' || ch == '.' ||
			    ch == '_' || ch == '~') {
				if (put(out, outlen, o, (const char *)&ch, 1) !=
				    0)
					return -1;
				continue;
			}
			(void)snprintf(esc, sizeof(esc), "%%%02X", ch);
			if (put(out, outlen, o, esc, 3) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Expand, or (m NULL) only check.  last_macro, when not NULL, says
 * whether the string ends with a macro-expand, and tail where the
 * literal characters after the last one start (for §7.1 domain-end).
 */
static int
expand(const char *in, size_t len, int exp, const struct spf_macro *m,
    char *out, size_t outlen, int *last_macro, size_t *tail, char *err,
    size_t errlen)
{
	char v[MACRO_VALUE_MAX];
	char delims[16];
	size_t i = 0, j, o = 0, nd;
	long n;
	int c, letter, upper, rev, ndig;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (last_macro != NULL)
		*last_macro = 0;
	if (tail != NULL)
		*tail = 0;
	while (i < len) {
		c = (unsigned char)in[i];
		if (c != '%') {
			/* §7.1 macro-literal = %x21-24 / %x26-7E; the
			   explanation-string (§6.2) allows SP too. */
			if (c < 0x21 || c > 0x7e) {
				if (!(exp && c == ' '))
					EXPAND_FAIL("character 0x%02x not "
						    "allowed",
					    c);
			}
			if (m != NULL && put(out, outlen, &o, in + i, 1) != 0)
				EXPAND_FAIL("expansion longer than %zu octets",
				    outlen - 1);
			if (last_macro != NULL)
				*last_macro = 0;
			i++;
			continue;
		}
		if (i + 1 >= len)
			EXPAND_FAIL("'%%' at the end");
		c = in[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			/* §7.1: "%%" "%", "%_" a space, "%-" "%20" */
			const char *lit = c == '%' ? "%"
			    : c == '_'		   ? " "
						   : "%20";

			if (m != NULL &&
			    put(out, outlen, &o, lit, strlen(lit)) != 0)
				EXPAND_FAIL("expansion longer than %zu octets",
				    outlen - 1);
			i += 2;
		} else if (c == '{') {
			j = i + 2;
			if (j >= len)
				EXPAND_FAIL("unterminated macro");
			letter = lower((unsigned char)in[j]);
			upper = in[j] >= 'A' && in[j] <= 'Z';
			if (letter == '\0' ||
			    strchr("slodiphcrtv", letter) == NULL)
				EXPAND_FAIL("unknown macro letter '%c'",
				    in[j] >= 0x21 && in[j] < 0x7f ? in[j]
								  : '?');
			/* §7.2: c, r and t only in explanations. */
			if (!exp && strchr("crt", letter) != NULL)
				EXPAND_FAIL("macro letter '%c' is only for "
					    "exp= text",
				    in[j]);
			j++;
			n = 0;
			ndig = 0;
			while (j < len && is_digit((unsigned char)in[j])) {
				if (n < 100000)
					n = n * 10 + (in[j] - '0');
				ndig++;
				j++;
			}
			/* §7.3: a DIGIT transformer must not be zero. */
			if (ndig > 0 && n == 0)
				EXPAND_FAIL("macro transformer of 0 parts");
			rev = 0;
			if (j < len && (in[j] == 'r' || in[j] == 'R')) {
				rev = 1;
				j++;
			}
			nd = 0;
			while (j < len && is_delim(in[j])) {
				if (nd < sizeof(delims))
					delims[nd++] = in[j];
				j++;
			}
			if (j >= len || in[j] != '}') {
				char show[100];
				size_t k = (j < len ? j + 1 : len) - i;

				printable(in + i, k > 20 ? 20 : k, show,
				    sizeof(show));
				EXPAND_FAIL("bad macro \"%s\"", show);
			}
			if (m != NULL) {
				macro_value(letter, m, v, sizeof(v));
				if (transform(v, delims, nd, rev, n, upper, out,
					outlen, &o) != 0)
					EXPAND_FAIL("expansion longer than %zu "
						    "octets",
					    outlen - 1);
			}
			i = j + 1;
		} else
			/* §7.1: '%' followed by anything else. */
			EXPAND_FAIL("'%%' followed by '%c'",
			    c >= 0x21 && c < 0x7f ? c : '?');
		if (last_macro != NULL)
			*last_macro = 1;
		if (tail != NULL)
			*tail = i;
	}
	return 0;
}

int
spf_expand(const char *in, size_t len, int exp, const struct spf_macro *m,
    char *out, size_t outlen, char *err, size_t errlen)
{
	if (m != NULL && (out == NULL || outlen == 0)) {
		util_seterr(err, errlen, "no room for the expansion");
		return -1;
	}
	return expand(in, len, exp, m, out, outlen, NULL, NULL, err, errlen);
}

int
spf_domain_spec_valid(const char *in, size_t len, char *err, size_t errlen)
{
	size_t tail, end, dot;
	int last_macro;

	if (len == 0) {
		util_seterr(err, errlen, "empty domain-spec");
		return -1;
	}
	if (expand(in, len, 0, NULL, NULL, 0, &last_macro, &tail, err,
		errlen) != 0)
		return -1;
	if (last_macro)
		return 0;
	/* domain-end = "." toplabel [ "." ], in the literal tail */
	end = len;
	if (end > tail && in[end - 1] == '.')
		end--;
	for (dot = end; dot > tail && in[dot - 1] != '.'; dot--)
		;
	if (dot == tail || !toplabel_valid(in + dot, end - dot)) {
		util_seterr(err, errlen,
		    "\"%.*s\": a domain must end in a macro or a top label",
		    (int)(len > 80 ? 80 : len), in);
		return -1;
	}
	return 0;
}

int
spf_domain_cut(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in), i, label = 0;
	const char *p = in;

	if (len > 0 && in[len - 1] == '.')
		len--;
	/* §7.3: labels off the left until 253 octets or fewer. */
	while (len > SPF_DOMAIN_MAX) {
		const char *dot = memchr(p, '.', len);

		if (dot == NULL)
			return -1;
		len -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	if (len == 0 || len >= outlen)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (++label > DNS_LABEL_MAX)
			return -1;
	}
	if (label == 0)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int
spf_domain_valid(const char *domain)
{
	size_t len = strlen(domain), i, label = 0, nlabels = 0, last = 0;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_DOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)domain[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			last = i + 1;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f)
			return 0;
		if (label++ == 0)
			nlabels++;
		if (label > DNS_LABEL_MAX)
			return 0;
	}
	return label > 0 && nlabels >= 2 &&
	    toplabel_valid(domain + last, len - last);
}

/* ------------------------------------------------------------ records */

int
spf_is_record(const char *rec, size_t len)
{
	return len >= 6 && strncasecmp(rec, "v=spf1", 6) == 0 &&
	    (len == 6 || rec[6] == ' ');
}

/* ip4-cidr-length / ip6-cidr-length: "0" or no leading zero, <= max. */
static int
cidr_parse(const char *s, size_t len, int max, int *out)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* The start of a trailing "/" 1*DIGIT in s[0..len), or len if none. */
static size_t
trailing_slash_digits(const char *s, size_t len)
{
	size_t i = len;

	while (i > 0 && is_digit((unsigned char)s[i - 1]))
		i--;
	if (i == len || i == 0 || s[i - 1] != '/')
		return len;
	return i - 1;
}

/*
 * "a" and "mx" (§5.3, §5.4): [ ":" domain-spec ] [ dual-cidr-length ].
 * The domain-spec may hold '/' itself ("a:foo/bar.example.com"), so the
 * lengths are taken off the end.
 */
static int
parse_dual(
    struct spf_term *t, const char *s, size_t len, char *err, size_t errlen)
{
	size_t end = len, k;

	k = trailing_slash_digits(s, end);
	if (k < end) {
		if (k > 0 && s[k - 1] == '/') {
			/* "//N": the IPv6 length */
			if (cidr_parse(
				s + k + 1, end - k - 1, 128, &t->cidr6) != 0)
				goto bad;
			end = k - 1;
			k = trailing_slash_digits(s, end);
			if (k < end) {
				if (cidr_parse(s + k + 1, end - k - 1, 32,
					&t->cidr4) != 0)
					goto bad;
				end = k;
			}
		} else {
			if (cidr_parse(s + k + 1, end - k - 1, 32, &t->cidr4) !=
			    0)
				goto bad;
			end = k;
		}
	}
	if (end == 0)
		return 0;
	if (s[0] != ':')
		goto bad;
	t->spec = s + 1;
	t->speclen = end - 1;
	return spf_domain_spec_valid(t->spec, t->speclen, err, errlen);
bad:
	util_seterr(err, errlen, "\"%.*s\": bad prefix length",
	    (int)(t->textlen > 80 ? 80 : t->textlen), t->text);
	return -1;
}

/* "ip4:" / "ip6:" network [ "/" length ] (§5.6). */
static int
parse_ip(
    struct spf_term *t, const char *s, size_t len, char *err, size_t errlen)
{
	char a[64];
	const char *slash;
	size_t alen;
	int v6 = t->mech == SPF_M_IP6;

	if (len < 2 || s[0] != ':')
		goto bad;
	s++;
	len--;
	slash = memchr(s, '/', len);
	alen = slash != NULL ? (size_t)(slash - s) : len;
	if (alen == 0 || alen >= sizeof(a))
		goto bad;
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a, t->net) != 1)
		goto bad;
	if (slash != NULL &&
	    cidr_parse(slash + 1, len - alen - 1, v6 ? 128 : 32,
		v6 ? &t->cidr6 : &t->cidr4) != 0)
		goto bad;
	return 0;
bad:
	util_seterr(err, errlen, "\"%.*s\": not a network",
	    (int)(t->textlen > 80 ? 80 : t->textlen), t->text);
	return -1;
}

static int
parse_term(
    struct spf_record *rec, const char *s, size_t len, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int mech;
	} mechs[] = {{"all", SPF_M_ALL}, {"include", SPF_M_INCLUDE},
	    {"a", SPF_M_A}, {"mx", SPF_M_MX}, {"ptr", SPF_M_PTR},
	    {"ip4", SPF_M_IP4}, {"ip6", SPF_M_IP6}, {"exists", SPF_M_EXISTS}};
	struct spf_term *t;
	size_t i, n, q;

	/* §4.6.1 modifier: name "=" ..., name = ALPHA *( ALPHA / DIGIT /
	   "-" / "_" / "." ) */
	if (is_alpha((unsigned char)s[0])) {
		for (n = 1; n < len &&
		     (is_alnum((unsigned char)s[n]) || s[n] == '-' ||
			 s[n] == '_' || s[n] == '.');
		     n++)
			;
		if (n < len && s[n] == '=') {
			const char *v = s + n + 1;
			size_t vlen = len - n - 1;

			if (word_is(s, n, "redirect") || word_is(s, n, "exp")) {
				int isredir = word_is(s, n, "redirect");

				/* §6: each at most once */
				if (isredir ? rec->redirect != NULL
					    : rec->exp != NULL) {
					util_seterr(err, errlen,
					    "%s= more than once",
					    isredir ? "redirect" : "exp");
					return -1;
				}
				if (spf_domain_spec_valid(
					v, vlen, err, errlen) != 0)
					return -1;
				if (isredir) {
					rec->redirect = v;
					rec->redirectlen = vlen;
				} else {
					rec->exp = v;
					rec->explen = vlen;
				}
				return 0;
			}
			/* §6: unknown modifiers are ignored, but must be a
			   macro-string (§A unknown-modifier). */
			if (spf_expand(
				v, vlen, 1, NULL, NULL, 0, err, errlen) != 0)
				return -1;
			rec->nunknown++;
			return 0;
		}
	}
	if (rec->nterms == SPF_TERMS_MAX) {
		util_seterr(err, errlen, "more than %d terms", SPF_TERMS_MAX);
		return -1;
	}
	t = &rec->term[rec->nterms];
	memset(t, 0, sizeof(*t));
	t->text = s;
	t->textlen = len;
	t->cidr4 = 32;
	t->cidr6 = 128;
	t->qual = SPF_PASS;
	q = 1;
	switch (s[0]) {
	case '+': t->qual = SPF_PASS; break;
	case '-': t->qual = SPF_FAIL; break;
	case '~': t->qual = SPF_SOFTFAIL; break;
	case '?': t->qual = SPF_NEUTRAL; break;
	default: q = 0; break;
	}
	for (n = q; n < len && is_alnum((unsigned char)s[n]); n++)
		;
	for (t->mech = 0, i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (word_is(s + q, n - q, mechs[i].name))
			t->mech = mechs[i].mech;
	if (t->mech == 0) {
		util_seterr(err, errlen, "unknown mechanism \"%.*s\"",
		    (int)(len > 80 ? 80 : len), s);
		return -1;
	}
	s += n;
	len -= n;
	switch (t->mech) {
	case SPF_M_ALL:
		if (len != 0) {
			util_seterr(err, errlen, "\"%.*s\": all takes nothing",
			    (int)(t->textlen > 80 ? 80 : t->textlen), t->text);
			return -1;
		}
		break;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
	case SPF_M_PTR:
		if (len == 0 && t->mech == SPF_M_PTR)
			break;
		if (len < 1 || s[0] != ':') {
			util_seterr(err, errlen,
			    "\"%.*s\": a ':' and a domain must follow",
			    (int)(t->textlen > 80 ? 80 : t->textlen), t->text);
			return -1;
		}
		t->spec = s + 1;
		t->speclen = len - 1;
		if (spf_domain_spec_valid(t->spec, t->speclen, err, errlen) !=
		    0)
			return -1;
		break;
	case SPF_M_A:
	case SPF_M_MX:
		if (parse_dual(t, s, len, err, errlen) != 0)
			return -1;
		break;
	case SPF_M_IP4:
	case SPF_M_IP6:
		if (parse_ip(t, s, len, err, errlen) != 0)
			return -1;
		break;
	}
	rec->nterms++;
	return 0;
}

int
spf_parse(const char *rec, size_t len, struct spf_record *out, char *err,
    size_t errlen)
{
	size_t i, start;

	out->nterms = 0;
	out->redirect = out->exp = NULL;
	out->redirectlen = out->explen = 0;
	out->nunknown = 0;
	if (!spf_is_record(rec, len)) {
		util_seterr(err, errlen, "not an SPF record (no \"v=spf1\")");
		return -1;
	}
	/* §4.6.1: terms are separated by one or more SP, nothing else. */
	for (i = 6; i < len;) {
		if (rec[i] == ' ') {
			i++;
			continue;
		}
		for (start = i; i < len && rec[i] != ' '; i++)
			;
		if (parse_term(out, rec + start, i - start, err, errlen) != 0) {
			/* The record's own octets may be in the message. */
			for (i = 0; err != NULL && i < errlen && err[i] != '\0';
			     i++)
				if ((unsigned char)err[i] < 0x20 ||
				    (unsigned char)err[i] >= 0x7f)
					err[i] = '?';
			return -1;
		}
	}
	return 0;
}

const char *
spf_result_str(int result)
{
	switch (result) {
	case SPF_NONE: return "none";
	case SPF_NEUTRAL: return "neutral";
	case SPF_PASS: return "pass";
	case SPF_FAIL: return "fail";
	case SPF_SOFTFAIL: return "softfail";
	case SPF_TEMPERROR: return "temperror";
	case SPF_PERMERROR: return "permerror";
	}
	return "unknown";
}

/* ------------------------------------------------------------ check_host */

struct ctx {
	struct dns_resolver *r;
	const struct spf_request *req;
	struct spf_outcome *out;
	struct dns_answer *ans; /* the term's own query */
	struct dns_answer *ans2; /* addresses of MX hosts and PTR names */
	int64_t deadline;
	int family;
	unsigned char ip[16];
	char local[SMTP_PATH_MAX + 16];
	char helo[DNS_NAME_MAX + 1];
	long long now;
	/* %{p}, once found */
	int have_p;
	char p[DNS_NAME_MAX + 1];
	const char *pdomain; /* the <domain> %{p} was wanted for */
};

/* One record being evaluated. */
struct level {
	char domain[DNS_NAME_MAX + 1];
	char text[DNS_TXT_LEN_MAX + 1];
	size_t len;
	struct spf_record rec;
};

enum { NOMATCH = 0, MATCH = 1 };

static void trace(struct ctx *c, int kind, int depth, const char *domain,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
trace(struct ctx *c, int kind, int depth, const char *domain, const char *fmt,
    ...)
{
	struct spf_event ev;
	char line[1024];
	va_list ap;
	size_t i;

	if (c->req->trace == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Names and records come escaped; our own words may hold UTF-8
	   ("§"); no control character gets through. */
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	ev.kind = kind;
	ev.depth = depth;
	ev.domain = domain;
	ev.text = line;
	ev.lookups = c->out->lookups;
	ev.voids = c->out->voids;
	c->req->trace(c->req->trace_arg, &ev);
}

/* s[0..len) printable, into out, for traces and messages. */
static void
printable(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(
			    out + o, outlen - o, "\\x%02x", ch);
	}
	if (i < len && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Append to line[0..size) at *o, cut at its end (for traces). */
static void append(char *line, size_t size, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *line, size_t size, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + *o, size - *o, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*o += (size_t)n;
	if (*o >= size)
		*o = size - 1;
}

static const char *
type_name(int type)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_PTR: return "PTR";
	}
	return "?";
}

/* One query, timed and counted, its answer traced. */
static int
query(struct ctx *c, int depth, const char *domain, const char *name, int type,
    struct dns_answer *ans, char *err, size_t errlen)
{
	char line[900], a[DNS_ADDRSTR_MAX];
	size_t o;
	int st, i;

	if (util_now_ms() > c->deadline) {
		util_seterr(err, errlen,
		    "%s %s: past the %d s allowed for the whole check "
		    "(RFC 7208 §4.6.4)",
		    name, type_name(type), SPF_TIME_MAX);
		trace(c, SPF_EV_DNS, depth, domain, "%s", err);
		return DNS_TEMPFAIL;
	}
	c->out->queries++;
	st = dns_query_any(c->r, name, type, ans, err, errlen);
	if (c->req->trace == NULL)
		return st;
	if (st != DNS_OK) {
		trace(c, SPF_EV_DNS, depth, domain, "  DNS %s %s: %s", name,
		    type_name(type),
		    st == DNS_NODATA	     ? "no records (NOERROR)"
			: st == DNS_NXDOMAIN ? "no such domain (NXDOMAIN)"
					     : err);
		return st;
	}
	o = 0;
	line[0] = '\0';
	for (i = 0; i < ans->ncname; i++)
		append(
		    line, sizeof(line), &o, "CNAME %s, ", ans->cname[i].target);
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		for (i = 0; i < ans->naddr; i++) {
			dns_addr_str(&ans->addr[i], a, sizeof(a));
			append(line, sizeof(line), &o, "%s%s", i > 0 ? " " : "",
			    a);
		}
		break;
	case DNS_T_MX:
		for (i = 0; i < ans->nmx; i++)
			append(line, sizeof(line), &o, "%s%u %s",
			    i > 0 ? ", " : "", ans->mx[i].pref,
			    ans->mx[i].host);
		break;
	case DNS_T_PTR:
		for (i = 0; i < ans->nptr; i++)
			append(line, sizeof(line), &o, "%s%s", i > 0 ? " " : "",
			    ans->ptr[i]);
		break;
	case DNS_T_TXT:
		append(line, sizeof(line), &o, "%d record%s", ans->ntxt,
		    ans->ntxt == 1 ? "" : "s");
		break;
	}
	if (ans->dropped > 0)
		append(line, sizeof(line), &o, " (+%d not kept)", ans->dropped);
	trace(c, SPF_EV_DNS, depth, domain, "  DNS %s %s: %s", name,
	    type_name(type), line);
	return st;
}

/* Does address a (of family fam) fall in the client's prefix? */
static int
addr_match(const struct ctx *c, int fam, const unsigned char *a, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;

	if (fam != c->family)
		return 0;
	if (memcmp(a, c->ip, (size_t)bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((a[bytes] ^ c->ip[bytes]) & (0xff << (8 - bits)) & 0xff) == 0;
}

static void fill_macro(struct ctx *c, struct spf_macro *m, const char *d);

/*
 * Expand a term's domain-spec (or take the current domain) into name,
 * ready for dns_query_any.  1 ok, 0 not a name (no match, §4.8), -1
 * permerror (why in err).
 */
static int
target(struct ctx *c, const char *spec, size_t speclen, const char *domain,
    char *raw, size_t rawlen, char *name, size_t namelen, char *err,
    size_t errlen)
{
	struct spf_macro m;
	char *x;

	if (spec == NULL)
		util_strlcpy(raw, domain, rawlen);
	else {
		if ((x = malloc(SPF_EXPAND_MAX)) == NULL) {
			util_seterr(err, errlen, "out of memory");
			return -1;
		}
		fill_macro(c, &m, domain);
		if (spf_expand(spec, speclen, 0, &m, x, SPF_EXPAND_MAX, err,
			errlen) != 0) {
			free(x);
			return -1;
		}
		if (spf_domain_cut(x, raw, rawlen) != 0) {
			util_strlcpy(raw, x, rawlen);
			free(x);
			return 0;
		}
		free(x);
	}
	return dns_name_escape(raw, name, namelen) == 0 ? 1 : 0;
}

/* Count a void lookup (§4.6.4); -1 past the limit. */
static int
void_lookup(
    struct ctx *c, int depth, const char *domain, char *err, size_t errlen)
{
	if (++c->out->voids > SPF_VOID_MAX) {
		util_seterr(err, errlen,
		    "more than %d void lookups (RFC 7208 §4.6.4)",
		    SPF_VOID_MAX);
		return -1;
	}
	trace(c, SPF_EV_NOTE, depth, domain, "  void lookup %d of %d",
	    c->out->voids, SPF_VOID_MAX);
	return 0;
}

/*
 * The first SPF_PTR_NAMES_MAX names of the client's PTR records (§5.5)
 * into names (escaped text form); their number, or -1 on a DNS error.
 */
static int
ptr_names(struct ctx *c, int depth, const char *domain,
    char names[][DNS_NAME_MAX + 1], int *nvoid)
{
	char rev[80], err[ERR_MAX];
	size_t o = 0;
	int i, n, st;

	*nvoid = 0;
	if (c->family == AF_INET)
		(void)snprintf(rev, sizeof(rev), "%u.%u.%u.%u.in-addr.arpa",
		    c->ip[3], c->ip[2], c->ip[1], c->ip[0]);
	else {
		for (i = 15; i >= 0; i--)
			o += (size_t)snprintf(rev + o, sizeof(rev) - o,
			    "%x.%x.", c->ip[i] & 15, c->ip[i] >> 4);
		util_strlcpy(rev + o, "ip6.arpa", sizeof(rev) - o);
	}
	st = query(c, depth, domain, rev, DNS_T_PTR, c->ans, err, sizeof(err));
	if (st == DNS_NXDOMAIN || st == DNS_NODATA) {
		*nvoid = 1;
		return 0;
	}
	if (st != DNS_OK)
		return -1;
	n = c->ans->nptr < SPF_PTR_NAMES_MAX ? c->ans->nptr : SPF_PTR_NAMES_MAX;
	if (c->ans->nptr + c->ans->dropped > SPF_PTR_NAMES_MAX)
		trace(c, SPF_EV_NOTE, depth, domain,
		    "only the first %d PTR names are used (RFC 7208 §4.6.4)",
		    SPF_PTR_NAMES_MAX);
	for (i = 0; i < n; i++)
		util_strlcpy(names[i], c->ans->ptr[i], sizeof(names[i]));
	return n;
}

/* Does name have an address record equal to the client's (§5.5)? */
static int
validated(struct ctx *c, int depth, const char *domain, const char *name)
{
	char err[ERR_MAX];
	int i, st;

	st = query(c, depth, domain, name,
	    c->family == AF_INET ? DNS_T_A : DNS_T_AAAA, c->ans2, err,
	    sizeof(err));
	if (st != DNS_OK)
		return 0; /* §5.5: an error skips the name */
	for (i = 0; i < c->ans2->naddr; i++)
		if (addr_match(c, c->ans2->addr[i].family,
			c->ans2->addr[i].addr, c->family == AF_INET ? 32 : 128))
			return 1;
	return 0;
}

/* Is name (escaped text, maybe with a trailing dot) dom or below it? */
static int
name_within(const char *name, const char *dom)
{
	size_t nl = strlen(name), dl = strlen(dom);

	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (dl > 0 && dom[dl - 1] == '.')
		dl--;
	if (nl < dl || strncasecmp(name + nl - dl, dom, dl) != 0)
		return 0;
	return nl == dl || name[nl - dl - 1] == '.';
}

/* %{p} (§7.3): the validated name, preferring <domain>, then below it. */
static void
get_p(void *arg, char *out, size_t outlen)
{
	struct ctx *c = arg;
	char names[SPF_PTR_NAMES_MAX][DNS_NAME_MAX + 1];
	char dom[DNS_NAME_MAX * 4 + 1];
	int n, i, pass, nvoid;

	if (c->have_p) {
		util_strlcpy(out, c->p, outlen);
		return;
	}
	util_strlcpy(c->p, "unknown", sizeof(c->p));
	c->have_p = 1;
	if (dns_name_escape(c->pdomain, dom, sizeof(dom)) != 0)
		dom[0] = '\0';
	n = ptr_names(c, 0, c->pdomain, names, &nvoid);
	for (pass = 0; pass < 3 && n > 0; pass++)
		for (i = 0; i < n; i++) {
			size_t len = strlen(names[i]);

			if (len > 0 && names[i][len - 1] == '.')
				names[i][len - 1] = '\0';
			if (pass == 0 && strcasecmp(names[i], dom) != 0)
				continue;
			if (pass == 1 && !name_within(names[i], dom))
				continue;
			if (validated(c, 0, c->pdomain, names[i])) {
				util_strlcpy(c->p, names[i], sizeof(c->p));
				goto done;
			}
		}
done:
	util_strlcpy(out, c->p, outlen);
}

static void
fill_macro(struct ctx *c, struct spf_macro *m, const char *d)
{
	memset(m, 0, sizeof(*m));
	m->s = c->out->sender;
	m->l = c->local;
	m->o = c->out->domain;
	m->d = d;
	m->h = c->helo;
	m->r = c->req->receiver;
	m->t = c->now;
	m->family = c->family;
	memcpy(m->ip, c->ip, 16);
	if (c->have_p)
		m->p = c->p;
	else {
		m->get_p = get_p;
		m->arg = c;
		c->pdomain = d;
	}
}

static int check_host(
    struct ctx *c, const char *domain, int depth, char *why, size_t whylen);

/*
 * One mechanism: MATCH, NOMATCH, or SPF_TEMPERROR / SPF_PERMERROR with
 * why set.
 */
static int
mechanism(struct ctx *c, const struct spf_term *t, const char *domain,
    int depth, char *why, size_t whylen)
{
	char raw[SPF_DOMAIN_MAX + 2], name[DNS_NAME_MAX * 4 + 1];
	char hosts[SPF_MX_NAMES_MAX][DNS_NAME_MAX + 1];
	char names[SPF_PTR_NAMES_MAX][DNS_NAME_MAX + 1];
	char err[ERR_MAX], mech[sizeof(c->out->mech)];
	int st, i, k, n, res, type, nvoid;
	int prefix = c->family == AF_INET ? t->cidr4 : t->cidr6;

	type = c->family == AF_INET ? DNS_T_A : DNS_T_AAAA;
	switch (t->mech) {
	case SPF_M_ALL: return MATCH;
	case SPF_M_IP4:
		return c->family == AF_INET &&
			addr_match(c, AF_INET, t->net, t->cidr4)
		    ? MATCH
		    : NOMATCH;
	case SPF_M_IP6:
		return c->family == AF_INET6 &&
			addr_match(c, AF_INET6, t->net, t->cidr6)
		    ? MATCH
		    : NOMATCH;
	default: break;
	}

	/* §4.6.4: the terms that query the DNS, at most 10 per check. */
	if (c->out->lookups >= SPF_LOOKUPS_MAX) {
		util_seterr(why, whylen,
		    "more than %d DNS-querying terms (RFC 7208 §4.6.4)",
		    SPF_LOOKUPS_MAX);
		return SPF_PERMERROR;
	}
	c->out->lookups++;
	st = target(c, t->spec, t->speclen, domain, raw, sizeof(raw), name,
	    sizeof(name), why, whylen);
	if (st < 0)
		return SPF_PERMERROR;
	if (st == 0) {
		/* §4.8: a target that is no domain name matches nothing. */
		if (t->mech == SPF_M_INCLUDE) {
			util_seterr(why, whylen,
			    "include:%.60s: not a domain name", raw);
			return SPF_PERMERROR;
		}
		trace(c, SPF_EV_NOTE, depth, domain,
		    "  \"%.60s\" is not a domain name", raw);
		return NOMATCH;
	}

	switch (t->mech) {
	case SPF_M_INCLUDE:
		/* §5.2: the included check's result decides. */
		util_strlcpy(mech, c->out->mech, sizeof(mech));
		res = check_host(c, raw, depth + 1, why, whylen);
		c->out->exp[0] = '\0'; /* §6.2: never its exp= */
		util_strlcpy(c->out->mech, mech, sizeof(c->out->mech));
		switch (res) {
		case SPF_PASS: return MATCH;
		case SPF_FAIL:
		case SPF_SOFTFAIL:
		case SPF_NEUTRAL: return NOMATCH;
		case SPF_TEMPERROR: return SPF_TEMPERROR;
		case SPF_NONE:
			util_seterr(why, whylen,
			    "include:%s: no SPF record there (RFC 7208 §5.2)",
			    raw);
			return SPF_PERMERROR;
		default: return SPF_PERMERROR;
		}
	case SPF_M_A:
	case SPF_M_EXISTS:
		if (t->mech == SPF_M_EXISTS)
			type = DNS_T_A; /* §5.7: A even for IPv6 */
		st = query(
		    c, depth, domain, name, type, c->ans, err, sizeof(err));
		if (st == DNS_TEMPFAIL) {
			util_strlcpy(why, err, whylen);
			return SPF_TEMPERROR;
		}
		if (st != DNS_OK) {
			if (st != DNS_BADNAME &&
			    void_lookup(c, depth, domain, why, whylen) != 0)
				return SPF_PERMERROR;
			return NOMATCH;
		}
		if (t->mech == SPF_M_EXISTS)
			return c->ans->naddr > 0 ? MATCH : NOMATCH;
		for (i = 0; i < c->ans->naddr; i++)
			if (addr_match(c, c->ans->addr[i].family,
				c->ans->addr[i].addr, prefix))
				return MATCH;
		return NOMATCH;
	case SPF_M_MX:
		st = query(
		    c, depth, domain, name, DNS_T_MX, c->ans, err, sizeof(err));
		if (st == DNS_TEMPFAIL) {
			util_strlcpy(why, err, whylen);
			return SPF_TEMPERROR;
		}
		if (st != DNS_OK) {
			if (st != DNS_BADNAME &&
			    void_lookup(c, depth, domain, why, whylen) != 0)
				return SPF_PERMERROR;
			return NOMATCH;
		}
		/* §4.6.4: more than 10 MX names is a permerror. */
		if (c->ans->nmx + c->ans->dropped > SPF_MX_NAMES_MAX) {
			util_seterr(why, whylen,
			    "%s has %d MX records, more than %d (RFC 7208 "
			    "§4.6.4)",
			    raw, c->ans->nmx + c->ans->dropped,
			    SPF_MX_NAMES_MAX);
			return SPF_PERMERROR;
		}
		for (n = 0, i = 0; i < c->ans->nmx; i++)
			util_strlcpy(
			    hosts[n++], c->ans->mx[i].host, sizeof(hosts[0]));
		for (i = 0; i < n; i++) {
			/* A null MX (RFC 7505) has no addresses. */
			if (strcmp(hosts[i], ".") == 0 || hosts[i][0] == '\0')
				continue;
			st = query(c, depth, domain, hosts[i], type, c->ans2,
			    err, sizeof(err));
			if (st == DNS_TEMPFAIL) {
				util_strlcpy(why, err, whylen);
				return SPF_TEMPERROR;
			}
			if (st != DNS_OK)
				continue;
			for (k = 0; k < c->ans2->naddr; k++)
				if (addr_match(c, c->ans2->addr[k].family,
					c->ans2->addr[k].addr, prefix))
					return MATCH;
		}
		return NOMATCH;
	case SPF_M_PTR:
		/* §5.5: a DNS error on the PTR query is no match. */
		n = ptr_names(c, depth, domain, names, &nvoid);
		if (nvoid && void_lookup(c, depth, domain, why, whylen) != 0)
			return SPF_PERMERROR;
		for (i = 0; i < n; i++)
			if (name_within(names[i], name) &&
			    validated(c, depth, domain, names[i]))
				return MATCH;
		return NOMATCH;
	}
	return NOMATCH;
}

/*
 * §6.2: the explanation for a fail, into c->out->exp; any trouble and
 * there is none (the default is the caller's).
 */
static void
explain(struct ctx *c, const struct level *lv, int depth)
{
	struct spf_macro m;
	char raw[SPF_DOMAIN_MAX + 2], name[DNS_NAME_MAX * 4 + 1];
	char err[ERR_MAX], *text;
	size_t i, len;
	int st;

	c->out->exp[0] = '\0';
	if (lv->rec.exp == NULL)
		return;
	st = target(c, lv->rec.exp, lv->rec.explen, lv->domain, raw,
	    sizeof(raw), name, sizeof(name), err, sizeof(err));
	if (st != 1) {
		trace(c, SPF_EV_NOTE, depth, lv->domain,
		    "exp=: no explanation: %s",
		    st < 0 ? err : "not a domain name");
		return;
	}
	st = query(
	    c, depth, lv->domain, name, DNS_T_TXT, c->ans, err, sizeof(err));
	if (st != DNS_OK || c->ans->ntxt != 1 || c->ans->dropped != 0) {
		trace(c, SPF_EV_NOTE, depth, lv->domain,
		    "exp=%s: no explanation: %s", raw,
		    st != DNS_OK ? "no TXT record"
				 : "not exactly one TXT record");
		return;
	}
	if ((text = malloc(DNS_TXT_LEN_MAX + 1)) == NULL)
		return;
	len = c->ans->txt[0].len;
	memcpy(text, c->ans->txt[0].data, len);
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] >= 0x80)
			break;
	fill_macro(c, &m, lv->domain);
	if (i < len ||
	    spf_expand(text, len, 1, &m, c->out->exp, sizeof(c->out->exp), err,
		sizeof(err)) != 0) {
		c->out->exp[0] = '\0';
		trace(c, SPF_EV_NOTE, depth, lv->domain,
		    "exp=%s: no explanation: %s", raw,
		    i < len ? "not ASCII" : err);
	}
	free(text);
}

/*
 * The record of domain (§4.4, §4.5) into lv: SPF_PASS when found (any
 * value but NONE, TEMPERROR, PERMERROR would do), else the result.
 */
static int
find_record(
    struct ctx *c, struct level *lv, int depth, char *why, size_t whylen)
{
	char name[DNS_NAME_MAX * 4 + 1], show[300];
	int st, i, found = -1, n = 0;

	if (dns_name_escape(lv->domain, name, sizeof(name)) != 0) {
		util_seterr(why, whylen, "%s: not a domain name", lv->domain);
		return SPF_NONE;
	}
	st = query(c, depth, lv->domain, name, DNS_T_TXT, c->ans, why, whylen);
	switch (st) {
	case DNS_OK: break;
	case DNS_TEMPFAIL: return SPF_TEMPERROR;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		util_seterr(why, whylen, "%s: no SPF record (%s)", lv->domain,
		    st == DNS_NXDOMAIN ? "no such domain" : "no TXT record");
		return SPF_NONE;
	default: return SPF_NONE;
	}
	for (i = 0; i < c->ans->ntxt; i++)
		if (spf_is_record(c->ans->txt[i].data, c->ans->txt[i].len)) {
			found = i;
			n++;
		}
	if (n == 0) {
		/* Records past DNS_TXT_MAX (or too long) are not kept: say
		   so, the record may have been one of them. */
		if (c->ans->dropped > 0)
			util_seterr(why, whylen,
			    "%s: no SPF record among the %d TXT records kept "
			    "(%d more not kept: past %d, or over %d octets)",
			    lv->domain, c->ans->ntxt, c->ans->dropped,
			    DNS_TXT_MAX, DNS_TXT_LEN_MAX);
		else
			util_seterr(why, whylen,
			    "%s: no SPF record among %d TXT record%s",
			    lv->domain, c->ans->ntxt,
			    c->ans->ntxt == 1 ? "" : "s");
		return SPF_NONE;
	}
	if (n > 1) {
		/* §4.5: more than one is a permerror. */
		util_seterr(why, whylen,
		    "%s: %d SPF records, there must be one (RFC 7208 §4.5)",
		    lv->domain, n);
		return SPF_PERMERROR;
	}
	lv->len = c->ans->txt[found].len;
	memcpy(lv->text, c->ans->txt[found].data, lv->len);
	lv->text[lv->len] = '\0';
	printable(lv->text, lv->len, show, sizeof(show));
	trace(c, SPF_EV_RECORD, depth, lv->domain, "record \"%s\"", show);
	return SPF_PASS;
}

static int
check_host(
    struct ctx *c, const char *domain, int depth, char *why, size_t whylen)
{
	struct level *lv;
	const struct spf_term *t;
	char raw[SPF_DOMAIN_MAX + 2], name[DNS_NAME_MAX * 4 + 1], show[100];
	int i, res, st;

	if ((lv = malloc(sizeof(*lv))) == NULL) {
		util_seterr(why, whylen, "out of memory");
		return SPF_TEMPERROR;
	}
	util_strlcpy(lv->domain, domain, sizeof(lv->domain));
	trace(c, SPF_EV_CHECK, depth, lv->domain, "check_host(%s, %s)",
	    lv->domain, c->out->sender);
	res = find_record(c, lv, depth, why, whylen);
	if (res != SPF_PASS)
		goto out;
	if (spf_parse(lv->text, lv->len, &lv->rec, why, whylen) != 0) {
		res = SPF_PERMERROR;
		goto out;
	}
	for (i = 0; i < lv->rec.nterms; i++) {
		t = &lv->rec.term[i];
		printable(t->text, t->textlen, show, sizeof(show));
		if (t->mech == SPF_M_ALL || t->mech == SPF_M_IP4 ||
		    t->mech == SPF_M_IP6)
			trace(c, SPF_EV_TERM, depth, lv->domain, "%s", show);
		else
			trace(c, SPF_EV_TERM, depth, lv->domain,
			    "%s (DNS lookup %d of %d)", show,
			    c->out->lookups + 1, SPF_LOOKUPS_MAX);
		res = mechanism(c, t, lv->domain, depth, why, whylen);
		if (res == MATCH) {
			trace(c, SPF_EV_TERM, depth, lv->domain, "  match: %s",
			    spf_result_str(t->qual));
			res = t->qual;
			util_strlcpy(c->out->mech, show, sizeof(c->out->mech));
			if (res == SPF_FAIL)
				explain(c, lv, depth);
			goto out;
		}
		if (res != NOMATCH) {
			trace(c, SPF_EV_TERM, depth, lv->domain, "  %s: %s",
			    spf_result_str(res), why);
			goto out;
		}
		trace(c, SPF_EV_TERM, depth, lv->domain, "  no match");
	}
	if (lv->rec.redirect != NULL) {
		/* §6.1: after all mechanisms, counted as a DNS term. */
		if (c->out->lookups >= SPF_LOOKUPS_MAX) {
			util_seterr(why, whylen,
			    "more than %d DNS-querying terms (RFC 7208 "
			    "§4.6.4)",
			    SPF_LOOKUPS_MAX);
			res = SPF_PERMERROR;
			goto out;
		}
		c->out->lookups++;
		st =
		    target(c, lv->rec.redirect, lv->rec.redirectlen, lv->domain,
			raw, sizeof(raw), name, sizeof(name), why, whylen);
		if (st <= 0) {
			if (st == 0)
				util_seterr(why, whylen,
				    "redirect=%.60s: not a domain name", raw);
			res = SPF_PERMERROR;
			goto out;
		}
		trace(c, SPF_EV_TERM, depth, lv->domain,
		    "redirect=%s (DNS lookup %d of %d)", raw, c->out->lookups,
		    SPF_LOOKUPS_MAX);
		res = check_host(c, raw, depth + 1, why, whylen);
		if (res == SPF_NONE) {
			/* §6.1: no record there is a permerror. */
			util_seterr(why, whylen,
			    "redirect=%s: no SPF record there (RFC 7208 "
			    "§6.1)",
			    raw);
			res = SPF_PERMERROR;
		}
		goto out;
	}
	/* §4.7: nothing matched, no redirect: neutral. */
	res = SPF_NEUTRAL;
	trace(c, SPF_EV_NOTE, depth, lv->domain,
	    "no term matched: neutral (RFC 7208 §4.7)");
out:
	trace(c, SPF_EV_RESULT, depth, lv->domain, "%s: %s", lv->domain,
	    spf_result_str(res));
	free(lv);
	return res;
}

int
spf_check(struct dns_resolver *r, const struct spf_request *req,
    struct spf_outcome *out)
{
	struct ctx c;
	const char *at, *dom;
	char *why;
	size_t n;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.req = req;
	c.out = out;
	c.family = req->family;
	memcpy(c.ip, req->ip, 16);
	/* §5: an IPv4-mapped IPv6 address is the IPv4 address. */
	if (c.family == AF_INET6 &&
	    memcmp(c.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		c.family = AF_INET;
		memmove(c.ip, c.ip + 12, 4);
		memset(c.ip + 4, 0, 12);
	}
	c.now = req->now != 0 ? req->now : (long long)time(NULL);
	util_strlcpy(
	    c.helo, req->helo != NULL ? req->helo : "unknown", sizeof(c.helo));
	why = out->why;

	/* §2.4: an empty MAIL FROM is checked as postmaster@HELO. */
	if (req->sender == NULL || req->sender[0] == '\0')
		(void)snprintf(
		    out->sender, sizeof(out->sender), "postmaster@%s", c.helo);
	else
		util_strlcpy(out->sender, req->sender, sizeof(out->sender));
	/* §4.3: no local-part is "postmaster"; no '@': all domain. */
	at = strrchr(out->sender, '@');
	dom = at != NULL ? at + 1 : out->sender;
	n = at != NULL ? (size_t)(at - out->sender) : 0;
	if (n == 0 || n >= sizeof(c.local))
		util_strlcpy(c.local, "postmaster", sizeof(c.local));
	else {
		memcpy(c.local, out->sender, n);
		c.local[n] = '\0';
	}
	util_strlcpy(out->domain, dom, sizeof(out->domain));
	/* §4.3: an internationalized domain is looked up as A-labels. */
	if (!util_is_ascii(dom) &&
	    dns_to_ascii(dom, out->domain, sizeof(out->domain), why, ERR_MAX) !=
		0)
		util_strlcpy(out->domain, dom, sizeof(out->domain));
	why[0] = '\0';
	dom = out->domain;
	n = strlen(out->domain);
	if (n > 1 && out->domain[n - 1] == '.')
		out->domain[n - 1] = '\0';

	if (!spf_domain_valid(dom)) {
		util_seterr(why, ERR_MAX,
		    "\"%.80s\" is not a domain that can be checked (RFC "
		    "7208 §4.3)",
		    dom);
		out->result = SPF_NONE;
		return out->result;
	}
	if (c.family != AF_INET && c.family != AF_INET6) {
		util_seterr(why, ERR_MAX, "no client address");
		out->result = SPF_PERMERROR;
		return out->result;
	}
	if ((c.ans = malloc(sizeof(*c.ans))) == NULL ||
	    (c.ans2 = malloc(sizeof(*c.ans2))) == NULL) {
		free(c.ans);
		util_seterr(why, ERR_MAX, "out of memory");
		out->result = SPF_TEMPERROR;
		return out->result;
	}
	c.deadline = util_now_ms() + (int64_t)SPF_TIME_MAX * 1000;
	out->result = check_host(&c, out->domain, 0, why, ERR_MAX);
	if (out->result != SPF_FAIL)
		out->exp[0] = '\0';
	if (out->result != SPF_NONE && out->result != SPF_TEMPERROR &&
	    out->result != SPF_PERMERROR)
		out->why[0] = '\0';
	free(c.ans);
	free(c.ans2);
	return out->result;
}
