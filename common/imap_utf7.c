/*
 * imap_utf7.c: modified UTF-7 mailbox names (RFC 3501 §5.1.3); UTF-8
 * itself is checked by util_utf8_char.
 *
 * RFC 3501 §5.1.3 in short: printable US-ASCII (0x20-0x7e) stands for
 * itself, but "&", which is written "&-"; every other character is
 * written as "&", the base64 of its UTF-16BE form with "," in place of
 * "/" and no "=" padding, and "-".  Printable ASCII "MUST NOT" be
 * written in base64, so there is one way to write each name, and this
 * decoder accepts only that one: a name that decodes is the name the
 * encoder would write, and two spellings never name one mailbox.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "imap.h"
#include "util.h"

/* Append code point cp (valid, not a surrogate) as UTF-8. */
static int
put_utf8(struct buf *out, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, u, n);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Fail: cut out back to where it was, errno EILSEQ (bad input) or as
   buf left it. */
static int
fail(struct buf *out, size_t start, int err)
{
	buf_truncate(out, start);
	errno = err;
	return -1;
}

/*
 * One base64 run at s[*i] (after its "&"), through its "-", as UTF-8
 * into out.  0, -1 (errno EILSEQ) for anything but the shortest form.
 */
static int
decode_run(const char *s, size_t len, size_t *i, struct buf *out)
{
	uint32_t bits = 0, hi = 0, u, cp;
	int nbits = 0, v;
	size_t k;

	for (k = *i; k < len && s[k] != '-'; k++) {
		if ((v = b64_value(s[k])) < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (hi != 0) {
			/* A high surrogate needs a low one next. */
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			cp = 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00);
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			hi = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -1;
		} else {
			/* Printable ASCII stands for itself; NUL is
			   no part of a name. */
			if ((u >= 0x20 && u <= 0x7e) || u == 0)
				return -1;
			cp = u;
		}
		if (put_utf8(out, cp) == -1)
			return -2;
	}
	/*
	 * The run must end in "-", must not end inside a surrogate pair,
	 * and its last character must be needed: fewer than 6 bits left,
	 * all zero (RFC 2152's padding rule as RFC 3501 keeps it).
	 */
	if (k >= len || hi != 0 || nbits >= 6 || bits != 0)
		return -1;
	*i = k + 1;
	return 0;
}

int
imap_utf7_decode(const char *s, size_t len, struct buf *out)
{
	size_t start = out->len, i = 0;
	int after_run = 0, rc;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return fail(out, start, EILSEQ);
		if (c != '&') {
			if (buf_putc(out, c) == -1)
				return fail(out, start, errno);
			i++;
			after_run = 0;
			continue;
		}
		i++;
		if (i < len && s[i] == '-') {
			if (buf_putc(out, '&') == -1)
				return fail(out, start, errno);
			i++;
			after_run = 0;
			continue;
		}
		/* "&AAA-&BBB-" is "&AAABBB-" written twice as long. */
		if (after_run)
			return fail(out, start, EILSEQ);
		if ((rc = decode_run(s, len, &i, out)) != 0)
			return fail(out, start, rc == -2 ? errno : EILSEQ);
		after_run = 1;
	}
	return 0;
}

/* Close a base64 run: the bits left, zero-padded to 6, and "-". */
static int
end_run(struct buf *out, uint32_t bits, int nbits)
{
	if (nbits > 0 && buf_putc(out, b64[(bits << (6 - nbits)) & 0x3f]) == -1)
		return -1;
	return buf_putc(out, '-');
}

int
imap_utf7_encode(const char *s, size_t len, struct buf *out)
{
	size_t start = out->len, i = 0, n;
	uint32_t cp, bits = 0, units[2];
	int nbits = 0, in_run = 0, nu, k;

	while (i < len) {
		if ((n = util_utf8_char(s + i, len - i, &cp)) == 0 || cp == 0)
			return fail(out, start, EILSEQ);
		i += n;
		if (cp >= 0x20 && cp <= 0x7e) {
			if (in_run && end_run(out, bits, nbits) == -1)
				return fail(out, start, errno);
			in_run = 0;
			bits = 0;
			nbits = 0;
			if (buf_putc(out, (int)cp) == -1 ||
			    (cp == '&' && buf_putc(out, '-') == -1))
				return fail(out, start, errno);
			continue;
		}
		if (!in_run && buf_putc(out, '&') == -1)
			return fail(out, start, errno);
		in_run = 1;
		/* UTF-16: a pair of surrogates above the BMP. */
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = cp;
			nu = 1;
		}
		for (k = 0; k < nu; k++) {
			bits = (bits << 16) | units[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (buf_putc(
					out, b64[(bits >> nbits) & 0x3f]) == -1)
					return fail(out, start, errno);
			}
			bits &= (1u << nbits) - 1;
		}
	}
	if (in_run && end_run(out, bits, nbits) == -1)
		return fail(out, start, errno);
	return 0;
}
