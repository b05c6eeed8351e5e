/*
 * mtasts.c: the MTA-STS codec (RFC 8461): the _mta-sts TXT record
 * (§3.1), the policy body (§3.2), MX patterns and matching (§4.1), and
 * the cache file.  No I/O: every function takes bytes and a length and
 * either parses them or says why not.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "mtasts.h"
#include "util.h"

#define MTASTS_KEY_MAX 32 /* §3.1, §3.2: ext names of 1 to 32 octets */
#define MTASTS_CACHE_MAGIC "yubin-mta-sts 1"

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* §3.1 sts-ext-name, §3.2 sts-policy-ext-name: (ALPHA / DIGIT)
 *31(ALPHA / DIGIT / "_" / "-" / "."). */
static size_t
key_span(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len && i < MTASTS_KEY_MAX; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			break;
	return i;
}

static int
key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

/* At most 40 octets of s (n long) for a message, anything outside
   printable ASCII as '?': hostile input never breaks the line. */
static const char *
snip(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i;

	if (n > 40)
		n = 40;
	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = (s[i] < 0x20 || s[i] > 0x7e) ? '?' : s[i];
	out[n] = '\0';
	return out;
}

/* ------------------------------------------------------------ TXT */

int
mtasts_txt_parse(const char *txt, size_t len, char *id, size_t idlen, char *err,
    size_t errlen)
{
	static const char ver[] = "v=STSv1";
	size_t i, k, v;
	int haveid = 0;
	char sn[48];

	if (idlen > 0)
		id[0] = '\0';
	/* §3.1: records that do not begin with "v=STSv1;" are discarded;
	 *WSP may come before the ";" (sts-field-delim). */
	if (len < sizeof(ver) - 1 || memcmp(txt, ver, sizeof(ver) - 1) != 0)
		return 0;
	i = sizeof(ver) - 1;
	if (i < len && txt[i] != ';' && !is_wsp((unsigned char)txt[i]))
		return 0;
	for (;;) {
		/* sts-field-delim = *WSP ";" *WSP */
		while (i < len && is_wsp((unsigned char)txt[i]))
			i++;
		if (i == len)
			break;
		if (txt[i] != ';') {
			util_seterr(err, errlen,
			    "STSv1 record: \"%s\" where \";\" belongs",
			    snip(sn, sizeof(sn), txt + i, len - i));
			return -1;
		}
		i++;
		while (i < len && is_wsp((unsigned char)txt[i]))
			i++;
		if (i == len)
			break; /* [sts-field-delim] at the end */
		if ((k = key_span(txt + i, len - i)) == 0 || i + k >= len ||
		    txt[i + k] != '=') {
			util_seterr(err, errlen,
			    "STSv1 record: \"%s\" is no name=value field",
			    snip(sn, sizeof(sn), txt + i, len - i));
			return -1;
		}
		/* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
		for (v = i + k + 1; v < len; v++) {
			unsigned char c = (unsigned char)txt[v];

			if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
				break;
		}
		if (v == i + k + 1) {
			util_seterr(err, errlen,
			    "STSv1 record: field \"%s\" has no value",
			    snip(sn, sizeof(sn), txt + i, k));
			return -1;
		}
		if (key_is(txt + i, k, "id")) {
			size_t j, n = v - (i + k + 1);

			if (haveid) {
				util_seterr(err, errlen,
				    "STSv1 record: more than one id");
				return -1;
			}
			for (j = i + k + 1; j < v; j++)
				if (!is_alnum((unsigned char)txt[j]))
					break;
			if (j < v || n > MTASTS_ID_MAX) {
				util_seterr(err, errlen,
				    "STSv1 record: id \"%s\" is not 1 to "
				    "%d letters and digits",
				    snip(sn, sizeof(sn), txt + i + k + 1, n),
				    MTASTS_ID_MAX);
				return -1;
			}
			if (n >= idlen) {
				util_seterr(
				    err, errlen, "STSv1 record: id too long");
				return -1;
			}
			memcpy(id, txt + i + k + 1, n);
			id[n] = '\0';
			haveid = 1;
		}
		i = v;
	}
	if (!haveid) {
		util_seterr(err, errlen, "STSv1 record without an id");
		return -1;
	}
	return 1;
}

int
mtasts_txt_select(const struct dns_txt *txt, int ntxt, char *id, size_t idlen,
    char *err, size_t errlen)
{
	char e[ERR_MAX];
	int i, n = 0, bad = 0, rc;

	if (idlen > 0)
		id[0] = '\0';
	e[0] = '\0';
	for (i = 0; i < ntxt; i++) {
		char tmp[MTASTS_ID_MAX + 1];

		rc = mtasts_txt_parse(
		    txt[i].data, txt[i].len, tmp, sizeof(tmp), e, sizeof(e));
		if (rc == 0)
			continue;
		n++;
		if (rc == -1)
			bad = 1;
		else if (util_strlcpy(id, tmp, idlen) >= idlen) {
			util_seterr(err, errlen, "STSv1 record: id too long");
			return -1;
		}
	}
	if (n == 0) {
		util_seterr(err, errlen, "no STSv1 TXT record");
		return -1;
	}
	if (n > 1) {
		if (idlen > 0)
			id[0] = '\0';
		util_seterr(err, errlen,
		    "%d STSv1 TXT records: there must be exactly one", n);
		return -1;
	}
	if (bad) {
		util_seterr(err, errlen, "%s", e);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ MX */

/* RFC 5321 §4.1.2 Domain: labels of letters, digits and inner '-',
   1..63 octets each, 253 in all; no trailing dot. */
static int
domain_valid(const char *s, size_t len)
{
	size_t i, lab = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!is_alnum(c) && !(c == '-' && lab > 0))
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0 && s[len - 1] != '-';
}

int
mtasts_pattern_valid(const char *pattern)
{
	size_t len = strlen(pattern);

	if (len >= 2 && pattern[0] == '*' && pattern[1] == '.')
		return domain_valid(pattern + 2, len - 2);
	return domain_valid(pattern, len);
}

int
mtasts_mx_match(const char *pattern, const char *host)
{
	size_t plen = strlen(pattern), hlen = strlen(host), slen, i;

	if (plen > 0 && pattern[plen - 1] == '.')
		plen--;
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (plen == 0 || hlen == 0)
		return 0;
	if (pattern[0] == '*') {
		/* "*." and a domain, or no pattern at all: not "*" */
		if (plen < 3 || pattern[1] != '.')
			return 0;
		/* §4.1: the wildcard stands for exactly one label. */
		slen = plen - 1; /* ".example.net" */
		if (hlen <= slen ||
		    util_casecmp_n(host + hlen - slen, pattern + 1, slen) != 0)
			return 0;
		for (i = 0; i < hlen - slen; i++)
			if (host[i] == '.')
				return 0;
		return 1;
	}
	return plen == hlen && util_casecmp_n(host, pattern, plen) == 0;
}

int
mtasts_policy_match(const struct mtasts_policy *p, const char *host)
{
	int i;

	for (i = 0; i < p->nmx; i++)
		if (mtasts_mx_match(p->mx[i], host))
			return 1;
	return 0;
}

const char *
mtasts_mode_str(int mode)
{
	switch (mode) {
	case MTASTS_TESTING: return "testing";
	case MTASTS_ENFORCE: return "enforce";
	default: return "none";
	}
}

/* ------------------------------------------------------------ policy */

static int
policy_fail(struct mtasts_policy *p, char *err, size_t errlen, unsigned line,
    const char *why, const char *v, size_t vlen)
{
	char sn[48];

	p->mode = MTASTS_NONE;
	p->nmx = 0;
	p->max_age = 0;
	if (line > 0)
		util_seterr(err, errlen, "policy line %u: %s \"%s\"", line, why,
		    snip(sn, sizeof(sn), v, vlen));
	else
		util_seterr(err, errlen, "policy: %s", why);
	return -1;
}

/* One "mx" value into p: lower case, one trailing dot dropped. */
static int
add_mx(struct mtasts_policy *p, const char *v, size_t vlen)
{
	char pat[DNS_NAME_MAX + 1];
	int i;

	if (vlen > 0 && v[vlen - 1] == '.')
		vlen--;
	if (vlen == 0 || vlen > DNS_NAME_MAX)
		return -1;
	memcpy(pat, v, vlen);
	pat[vlen] = '\0';
	util_lower(pat);
	if (!mtasts_pattern_valid(pat))
		return -1;
	for (i = 0; i < p->nmx; i++)
		if (strcmp(p->mx[i], pat) == 0)
			return 0;
	if (p->nmx == MTASTS_MX_MAX)
		return -2;
	memcpy(p->mx[p->nmx++], pat, vlen + 1);
	return 0;
}

int
mtasts_policy_parse(const char *text, size_t len, struct mtasts_policy *p,
    char *err, size_t errlen)
{
	int have_ver = 0, have_mode = 0, have_age = 0, rc;
	size_t i = 0, eol, end, k, v;
	unsigned line = 0;

	memset(p, 0, sizeof(*p));
	p->mode = MTASTS_NONE;
	if (len > MTASTS_POLICY_MAX)
		return policy_fail(p, err, errlen, 0,
		    "longer than 64 KiB (RFC 8461 §3.3)", NULL, 0);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);

		line++;
		eol = nl != NULL ? (size_t)(nl - text) : len;
		end = eol;
		/* sts-policy-term = LF / CRLF */
		if (end > i && text[end - 1] == '\r')
			end--;
		/* trailing *WSP */
		while (end > i && is_wsp((unsigned char)text[end - 1]))
			end--;
		/* sts-policy-vchar is %x21-7E and UTF-8: no controls */
		for (k = i; k < end; k++)
			if (((unsigned char)text[k] < 0x20 &&
				text[k] != '\t') ||
			    text[k] == 0x7f)
				return policy_fail(p, err, errlen, line,
				    "control character in", text + i, end - i);
		if (end == i)
			goto next; /* an empty line: nothing to say */
		if ((k = key_span(text + i, end - i)) == 0 || i + k >= end ||
		    text[i + k] != ':')
			return policy_fail(p, err, errlen, line,
			    "no \"key: value\" in", text + i, end - i);
		/* sts-policy-field-delim = ":" *WSP */
		for (v = i + k + 1; v < end && is_wsp((unsigned char)text[v]);
		     v++)
			;
		if (key_is(text + i, k, "version")) {
			if (have_ver++)
				goto next;
			if (end - v != 5 || memcmp(text + v, "STSv1", 5) != 0)
				return policy_fail(p, err, errlen, line,
				    "version is not STSv1:", text + v, end - v);
		} else if (key_is(text + i, k, "mode")) {
			if (have_mode++)
				goto next;
			if (end - v == 7 && memcmp(text + v, "enforce", 7) == 0)
				p->mode = MTASTS_ENFORCE;
			else if (end - v == 7 &&
			    memcmp(text + v, "testing", 7) == 0)
				p->mode = MTASTS_TESTING;
			else if (end - v == 4 &&
			    memcmp(text + v, "none", 4) == 0)
				p->mode = MTASTS_NONE;
			else
				return policy_fail(p, err, errlen, line,
				    "mode is not enforce, testing or none:",
				    text + v, end - v);
		} else if (key_is(text + i, k, "max_age")) {
			long age = 0;
			size_t j;

			if (have_age++)
				goto next;
			/* sts-policy-max-age-value = 1*10(DIGIT); ten
			   digits overflow a 32-bit long, so the sum stops
			   growing once it is over the bound. */
			for (j = v; j < end && j - v < 10 && text[j] >= '0' &&
			     text[j] <= '9';
			     j++)
				if (age <= MTASTS_MAX_AGE_MAX)
					age = age * 10 + (text[j] - '0');
			if (j == v || j != end)
				return policy_fail(p, err, errlen, line,
				    "max_age is not 1 to 10 digits:", text + v,
				    end - v);
			if (age > MTASTS_MAX_AGE_MAX)
				return policy_fail(p, err, errlen, line,
				    "max_age is over 31557600 (RFC 8461 "
				    "§3.2):",
				    text + v, end - v);
			p->max_age = age;
		} else if (key_is(text + i, k, "mx")) {
			if ((rc = add_mx(p, text + v, end - v)) == -2)
				return policy_fail(p, err, errlen, line,
				    "more than 64 mx patterns at", text + v,
				    end - v);
			if (rc == -1)
				return policy_fail(p, err, errlen, line,
				    "mx is no host name or *.domain:", text + v,
				    end - v);
		}
		/* §3.2: unknown keys are ignored. */
	next:
		i = nl != NULL ? eol + 1 : len;
	}
	if (!have_ver)
		return policy_fail(p, err, errlen, 0, "no version", NULL, 0);
	if (!have_mode)
		return policy_fail(p, err, errlen, 0, "no mode", NULL, 0);
	if (!have_age)
		return policy_fail(p, err, errlen, 0, "no max_age", NULL, 0);
	if (p->mode != MTASTS_NONE && p->nmx == 0)
		return policy_fail(p, err, errlen, 0,
		    "no mx pattern (required unless mode is none)", NULL, 0);
	return 0;
}

/* ------------------------------------------------------------ cache */

int
mtasts_cache_format(const char *id, time_t fetched, const char *text,
    size_t len, struct buf *out, char *err, size_t errlen)
{
	if (len > MTASTS_POLICY_MAX || strlen(id) > MTASTS_ID_MAX ||
	    fetched < 0) {
		util_seterr(err, errlen, "mta-sts cache: policy too large");
		return -1;
	}
	if (buf_printf(out, MTASTS_CACHE_MAGIC "\nid %s\nfetched %lld\n\n",
		id[0] != '\0' ? id : "-", (long long)fetched) == -1 ||
	    buf_append(out, text, len) == -1) {
		util_seterr(err, errlen, "mta-sts cache: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The next line of data from *pos (without its LF) into line. */
static int
cache_line(
    const char *data, size_t len, size_t *pos, char *line, size_t linelen)
{
	const char *nl;
	size_t n;

	if (*pos >= len || (nl = memchr(data + *pos, '\n', len - *pos)) == NULL)
		return -1;
	n = (size_t)(nl - (data + *pos));
	if (n >= linelen || memchr(data + *pos, '\0', n) != NULL)
		return -1;
	memcpy(line, data + *pos, n);
	line[n] = '\0';
	*pos += n + 1;
	return 0;
}

int
mtasts_cache_parse(const char *data, size_t len, char *id, size_t idlen,
    time_t *fetched, size_t *off, size_t *textlen, char *err, size_t errlen)
{
	char line[64];
	size_t pos = 0, i;
	long long t;

	if (len > MTASTS_CACHE_MAX)
		goto bad;
	if (cache_line(data, len, &pos, line, sizeof(line)) == -1 ||
	    strcmp(line, MTASTS_CACHE_MAGIC) != 0)
		goto bad;
	if (cache_line(data, len, &pos, line, sizeof(line)) == -1 ||
	    strncmp(line, "id ", 3) != 0)
		goto bad;
	if (strcmp(line + 3, "-") == 0)
		line[3] = '\0';
	for (i = 3; line[i] != '\0'; i++)
		if (!is_alnum((unsigned char)line[i]))
			goto bad;
	if (i - 3 > MTASTS_ID_MAX || util_strlcpy(id, line + 3, idlen) >= idlen)
		goto bad;
	if (cache_line(data, len, &pos, line, sizeof(line)) == -1 ||
	    strncmp(line, "fetched ", 8) != 0 || line[8] < '0' ||
	    line[8] > '9' ||
	    util_parse_num(line + 8, 0, INT64_MAX / 2, 0, &t) == -1)
		goto bad;
	if (cache_line(data, len, &pos, line, sizeof(line)) == -1 ||
	    line[0] != '\0')
		goto bad;
	if (len - pos > MTASTS_POLICY_MAX)
		goto bad;
	*fetched = (time_t)t;
	*off = pos;
	*textlen = len - pos;
	return 0;
bad:
	if (idlen > 0)
		id[0] = '\0';
	util_seterr(err, errlen, "not a yubin MTA-STS cache file");
	return -1;
}
