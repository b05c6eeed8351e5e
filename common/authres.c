/*
 * authres.c: the Authentication-Results header field (RFC 8601): its
 * authserv-id and a mailbox as a pvalue.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "bounds.h"

/* Past CFWS (RFC 5322 §3.2.2): white space, line ends and comments,
   nested, with quoted pairs.  Where it ends, or NULL (a comment not
   closed, nested too deep). */
static const char *
skip_cfws(const char *p, const char *e)
{
	int depth = 0;

	while (p < e) {
		if (depth == 0 &&
		    (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			p++;
			continue;
		}
		if (*p == '(') {
			if (++depth > AUTHRES_COMMENT_DEPTH)
				return NULL;
			p++;
			continue;
		}
		if (depth == 0)
			return p;
		if (*p == ')')
			depth--;
		else if (*p == '\\' && p + 1 < e)
			p++;
		p++;
	}
	return depth == 0 ? p : NULL;
}

int
authres_servid(const char *val, size_t len, char *out, size_t outlen)
{
	const char *p = val, *e = val + len;
	size_t n = 0;

	if (outlen == 0 || (p = skip_cfws(p, e)) == NULL || p == e)
		return -1;
	if (*p == '"') {
		for (p++; p < e && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < e)
				p++;
			/* RFC 5322 §3.2.4: no NUL or other control
			   character in an id (obsolete qtext aside). */
			if ((unsigned char)*p < 0x20 || *p == 0x7f ||
			    n + 1 >= outlen)
				return -1;
			out[n++] = *p;
		}
		if (p == e)
			return -1;
	} else
		/* RFC 2045 token: no CTLs, SPACE or tspecials. */
		for (; p < e && (unsigned char)*p > 0x20 && *p != 0x7f &&
		     strchr("()<>@,;:\\\"/[]?=", *p) == NULL;
		     p++) {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *p;
		}
	out[n] = '\0';
	return n == 0 ? -1 : 0;
}

int
authres_claims(const char *val, size_t len, const char *id)
{
	char got[AUTHRES_ID_MAX + 1];
	size_t n, k = strlen(id);

	if (authres_servid(val, len, got, sizeof(got)) == -1)
		return 0;
	n = strlen(got);
	if (n > 0 && got[n - 1] == '.')
		n--;
	if (k > 0 && id[k - 1] == '.')
		k--;
	return n == k && strncasecmp(got, id, n) == 0;
}

int
authres_put_mailbox(struct buf *b, const char *addr)
{
	const char *at = strrchr(addr, '@'), *p;
	int atom = at != NULL && at != addr && addr[0] != '"', rc = 0;

	for (p = addr; atom && p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || (unsigned char)*p >= 0x80 ||
			strchr("!#$%&'*+-/=?^_`{|}~.", *p) != NULL))
			atom = 0;
	if (atom || at == NULL || addr[0] == '"')
		at = addr; /* as it is */
	else {
		rc |= buf_putc(b, '"');
		for (p = addr; p < at; p++) {
			if (*p == '"' || *p == '\\')
				rc |= buf_putc(b, '\\');
			rc |= buf_putc(b,
			    (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
		}
		rc |= buf_putc(b, '"');
	}
	for (p = at; *p != '\0'; p++)
		rc |= buf_putc(
		    b, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	return rc == 0 ? 0 : -1;
}

int
authres_put_quoted(struct buf *b, const char *s, size_t max)
{
	size_t i;
	int rc = 0;

	rc |= buf_putc(b, '"');
	for (i = 0; s[i] != '\0' && i < max; i++) {
		/* Our reasons cite "§N": ASCII in a header (RFC 5322 §3.2.4
		   qtext; UTF-8 only under SMTPUTF8, RFC 6532). */
		if (s[i] == '\xc2' && s[i + 1] == '\xa7') {
			rc |= buf_puts(b, "section ");
			i++;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\')
			rc |= buf_putc(b, '\\');
		rc |= buf_putc(b,
		    (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ?
			'?' :
			s[i]);
	}
	if (s[i] != '\0')
		rc |= buf_puts(b, "...");
	rc |= buf_putc(b, '"');
	return rc == 0 ? 0 : -1;
}

int
authres_plain(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
			*s == '_'))
			return 0;
	return 1;
}
