/*
 * imap_enc.c: writing IMAP strings and lines.  Every string goes out in
 * the lightest form the grammar lets carry it exactly (RFC 3501 §4.3,
 * §9): an atom when it is all ASTRING-CHARs, a quoted string when it is
 * short 7-bit text (UTF-8 too with IMAP4rev2 or UTF8=ACCEPT), else a
 * literal.  Each writer appends to a struct buf and, when it fails,
 * leaves the buffer as it found it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "imap.h"
#include "util.h"

/* May s[0..len) go as a quoted string? */
static int
quotable(const char *s, size_t len, unsigned flags)
{
	size_t i, n;
	uint32_t cp;

	if (len > IMAP_QUOTED_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* TEXT-CHAR: CHAR but CR and LF; NUL is no CHAR. */
		if (c == '\0' || c == '\r' || c == '\n')
			return 0;
		if (c < 0x80)
			continue;
		if (!(flags & IMAP_ENC_UTF8) ||
		    (n = util_utf8_char(s + i, len - i, &cp)) == 0)
			return 0;
		i += n - 1;
	}
	return 1;
}

static int
put_literal(struct buf *b, const char *s, size_t len, unsigned flags)
{
	size_t start = b->len;
	int form, rc;

	if (len > 0 && memchr(s, '\0', len) != NULL) {
		/* RFC 3516 §4.2: only literal8 carries a NUL. */
		if (!(flags & IMAP_ENC_BINARY)) {
			errno = EINVAL;
			return -1;
		}
		form = IMAP_FORM_LITERAL8;
		rc = buf_printf(b, "~{%zu}\r\n", len);
	} else if (flags & IMAP_ENC_LITPLUS) {
		form = IMAP_FORM_LITERAL_NONSYNC;
		rc = buf_printf(b, "{%zu+}\r\n", len);
	} else {
		form = IMAP_FORM_LITERAL;
		rc = buf_printf(b, "{%zu}\r\n", len);
	}
	if (rc == -1 || buf_append(b, s, len) == -1) {
		buf_truncate(b, start);
		return -1;
	}
	return form;
}

int
imap_put_string(struct buf *b, const char *s, size_t len, unsigned flags)
{
	size_t start = b->len, i, j;

	if (s == NULL)
		s = "";
	if (!quotable(s, len, flags))
		return put_literal(b, s, len, flags);
	if (buf_reserve(b, len + 2) == -1 || buf_putc(b, '"') == -1)
		return -1;
	/* Runs without quoted-specials in one append each. */
	for (i = 0; i < len; i = j) {
		for (j = i; j < len && s[j] != '"' && s[j] != '\\'; j++)
			;
		if (buf_append(b, s + i, j - i) == -1)
			goto fail;
		if (j < len) {
			char esc[2] = {'\\', s[j]};

			if (buf_append(b, esc, 2) == -1)
				goto fail;
			j++;
		}
	}
	if (buf_putc(b, '"') == -1)
		goto fail;
	return IMAP_FORM_QUOTED;
fail:
	buf_truncate(b, start);
	return -1;
}

int
imap_put_astring(struct buf *b, const char *s, size_t len, unsigned flags)
{
	size_t i;

	if (s == NULL)
		s = "";
	/* Never the atom NIL: a reader of an nstring would take it for
	   nil; and an atom is never empty. */
	if (len == 0 || (len == 3 && util_casecmp_n(s, "NIL", 3) == 0))
		return imap_put_string(b, s, len, flags);
	for (i = 0; i < len; i++)
		if (!imap_astring_char((unsigned char)s[i]))
			return imap_put_string(b, s, len, flags);
	return buf_append(b, s, len) == -1 ? -1 : IMAP_FORM_ATOM;
}

int
imap_put_nstring(struct buf *b, const char *s, size_t len, unsigned flags)
{
	if (s == NULL)
		return buf_puts(b, "NIL") == -1 ? -1 : IMAP_FORM_NIL;
	return imap_put_string(b, s, len, flags);
}

int
imap_put_mailbox(struct buf *b, const char *s, size_t len, unsigned flags)
{
	struct buf u = BUF_INIT;
	int rc;

	if (flags & IMAP_ENC_UTF8) {
		/* RFC 9051 §5.1, RFC 6855 §3: names go as UTF-8. */
		if (!util_utf8_valid(s, len) || memchr(s, '\0', len) != NULL) {
			errno = EILSEQ;
			return -1;
		}
		return imap_put_astring(b, s, len, flags);
	}
	buf_init(&u, b->max);
	if (imap_utf7_encode(s, len, &u) == -1) {
		buf_free(&u);
		return -1;
	}
	rc = imap_put_astring(b, u.data != NULL ? u.data : "", u.len, flags);
	buf_free(&u);
	return rc;
}

int
imap_put_datetime(struct buf *b, int64_t t, int zone)
{
	char dt[IMAP_DATETIME_LEN + 1];

	if (imap_datetime_format(t, zone, dt, sizeof(dt)) == -1) {
		errno = EINVAL;
		return -1;
	}
	return buf_printf(b, "\"%s\"", dt);
}

/* Append s with controls as "?" (a response line is one line). */
static int
put_text(struct buf *b, const char *s, int first)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			c = '?';
		else if (first && i == 0 && c == '[')
			c = '(';
		if (buf_putc(b, c) == -1)
			return -1;
	}
	return 0;
}

int
imap_put_status(struct buf *b, const char *tag, enum imap_status st,
    const char *code, const char *text)
{
	size_t start = b->len;

	if (buf_puts(b, tag != NULL ? tag : "*") == -1 ||
	    buf_putc(b, ' ') == -1 || buf_puts(b, imap_status_name(st)) == -1)
		goto fail;
	if (code != NULL && code[0] != '\0' &&
	    (buf_puts(b, " [") == -1 || put_text(b, code, 0) == -1 ||
		buf_putc(b, ']') == -1))
		goto fail;
	if (text != NULL && text[0] != '\0' &&
	    (buf_putc(b, ' ') == -1 || put_text(b, text, 1) == -1))
		goto fail;
	if (buf_append(b, "\r\n", 2) == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(b, start);
	return -1;
}
