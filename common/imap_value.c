/*
 * imap_value.c: reading parsed values as the grammar's types (RFC 3501
 * §9, RFC 9051 §9): the character classes, astring, string, nstring,
 * list-mailbox, number, nz-number, mod-sequence and flags.
 */
#include "config.h"

#include <string.h>

#include "imap.h"
#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- chars */

/*
 * RFC 3501 §9: ATOM-CHAR is any CHAR but atom-specials: "(" ")" "{" SP
 * CTL list-wildcards ("%" "*") quoted-specials ('"' "\") and
 * resp-specials ("]").
 */
int
imap_atom_char(int c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\]", c) == NULL;
}

/* ASTRING-CHAR = ATOM-CHAR / resp-specials. */
int
imap_astring_char(int c)
{
	return imap_atom_char(c) || c == ']';
}

/* ---------------------------------------------------------------- values */

/* Is s[0..len) the word name, in any case? */
static int
word_is(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len == n && util_casecmp_n(s, name, n) == 0;
}

int
imap_parse_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
is_word(const struct imap_value *v)
{
	return v != NULL &&
	    (v->type == IMAP_ATOM || v->type == IMAP_NUMBER ||
		v->type == IMAP_NIL);
}

int
imap_is(const struct imap_value *v, const char *name)
{
	return is_word(v) && word_is(v->s, v->len, name);
}

int
imap_string(const struct imap_value *v, const char **s, size_t *len)
{
	if (v == NULL || (v->type != IMAP_QUOTED && v->type != IMAP_LITERAL) ||
	    (v->flags & IMAP_VF_TAKEN))
		return -1;
	*s = v->s;
	*len = v->len;
	return 0;
}

int
imap_astring(const struct imap_value *v, const char **s, size_t *len)
{
	size_t i;

	if (!is_word(v))
		return imap_string(v, s, len);
	for (i = 0; i < v->len; i++)
		if (!imap_astring_char((unsigned char)v->s[i]))
			return -1;
	*s = v->s;
	*len = v->len;
	return 0;
}

int
imap_nstring(const struct imap_value *v, const char **s, size_t *len)
{
	if (v != NULL && v->type == IMAP_NIL) {
		*s = NULL;
		*len = 0;
		return 0;
	}
	return imap_string(v, s, len);
}

int
imap_list_mailbox(const struct imap_value *v, const char **s, size_t *len)
{
	size_t i;

	if (!is_word(v))
		return imap_string(v, s, len);
	/* list-char = ATOM-CHAR / list-wildcards / resp-specials */
	for (i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];

		if (!imap_astring_char(c) && c != '%' && c != '*')
			return -1;
	}
	*s = v->s;
	*len = v->len;
	return 0;
}

int
imap_cstr(const struct imap_value *v, char *out, size_t outlen)
{
	const char *s;
	size_t len;

	if (imap_astring(v, &s, &len) == -1 || len >= outlen ||
	    memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
imap_number(const struct imap_value *v, uint32_t *out)
{
	if (v == NULL || v->type != IMAP_NUMBER || v->num > UINT32_MAX)
		return -1;
	*out = (uint32_t)v->num;
	return 0;
}

int
imap_nz_number(const struct imap_value *v, uint32_t *out)
{
	uint32_t n;

	if (imap_number(v, &n) == -1 || n == 0)
		return -1;
	*out = n;
	return 0;
}

int
imap_number64(const struct imap_value *v, int zero, uint64_t *out)
{
	/* The tokenizer types only values below 2^63 as numbers. */
	if (v == NULL || v->type != IMAP_NUMBER || (v->num == 0 && !zero))
		return -1;
	*out = v->num;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} sysflags[] = {
    {"\\Seen", IMAP_FLAG_SEEN},
    {"\\Answered", IMAP_FLAG_ANSWERED},
    {"\\Flagged", IMAP_FLAG_FLAGGED},
    {"\\Deleted", IMAP_FLAG_DELETED},
    {"\\Draft", IMAP_FLAG_DRAFT},
    {"\\Recent", IMAP_FLAG_RECENT},
};

enum imap_flag_kind
imap_flag(const struct imap_value *v, int perm, unsigned *bit)
{
	size_t i, start;

	*bit = 0;
	if (!is_word(v) || v->len == 0)
		return IMAP_FLAGK_BAD;
	/* RFC 3501 §9: flag-perm = flag / "\*" */
	if (v->len == 2 && v->s[0] == '\\' && v->s[1] == '*') {
		if (!perm)
			return IMAP_FLAGK_BAD;
		*bit = IMAP_FLAG_STAR;
		return IMAP_FLAGK_SYSTEM;
	}
	/* flag-keyword and flag-extension ("\" atom) are atoms. */
	start = v->s[0] == '\\' ? 1 : 0;
	if (start == v->len)
		return IMAP_FLAGK_BAD;
	for (i = start; i < v->len; i++)
		if (!imap_atom_char((unsigned char)v->s[i]))
			return IMAP_FLAGK_BAD;
	if (start == 0)
		return IMAP_FLAGK_KEYWORD;
	for (i = 0; i < NELEM(sysflags); i++)
		if (word_is(v->s, v->len, sysflags[i].name)) {
			*bit = sysflags[i].bit;
			return IMAP_FLAGK_SYSTEM;
		}
	return IMAP_FLAGK_EXTENSION;
}

int
imap_flag_list(const struct imap_value *list, int perm, int ext, unsigned *bits,
    const struct imap_value **kw, size_t kwmax, size_t *nkw)
{
	const struct imap_value *v;
	unsigned bit;

	*bits = 0;
	*nkw = 0;
	if (list == NULL || list->type != IMAP_LIST)
		return -1;
	for (v = list->child; v != NULL; v = v->next) {
		switch (imap_flag(v, perm, &bit)) {
		case IMAP_FLAGK_SYSTEM: *bits |= bit; break;
		case IMAP_FLAGK_KEYWORD:
			if (*nkw >= kwmax)
				return -1;
			kw[(*nkw)++] = v;
			break;
		case IMAP_FLAGK_EXTENSION:
			if (!ext)
				return -1;
			break;
		default: return -1;
		}
	}
	return 0;
}
