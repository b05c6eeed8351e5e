/*
 * mime_priv.h: what mime.c, mime_imap.c and mime_decode.c share and
 * nothing else uses: the per-message arena and an RFC 5322 §3.2 lexer
 * for structured field values (Content-*, addresses).
 */
#ifndef YUBIN_MIME_PRIV_H
#define YUBIN_MIME_PRIV_H

#include <stddef.h>

#include "buf.h"
#include "mime.h"

/* Zeroed memory that lives as long as m; NULL with errno ENOMEM. */
void *mime_alloc(struct mime_msg *m, size_t n);
/* A NUL-terminated copy of s[0..n) in m's arena, NULs as 0x80. */
char *mime_strdup(struct mime_msg *m, const char *s, size_t n);

/* A structured field value being read. */
struct mime_lex {
	const char *s;
	size_t n;
	size_t i;
};

/* Skip white space, line breaks and (nested) comments.  When comment is
 * not NULL it is set to the text of the last comment skipped. */
void mime_lex_cfws(struct mime_lex *lx, struct buf *comment);
/* At a '"': append the quoted string's content (quoted pairs undone,
 * line breaks dropped) to out and step past it; an unterminated one
 * runs to the end.  0 or -1 (errno from buf). */
int mime_lex_quoted(struct mime_lex *lx, struct buf *out);

/* RFC 2045 §5.1 token character. */
int mime_is_token(int c);
/* 1 when the n bytes at s are name, ASCII case-insensitive. */
int mime_name_is(const char *s, size_t n, const char *name);

/* Append s[0..n) as valid UTF-8: invalid sequences become U+FFFD. */
int mime_utf8_sanitize(struct buf *out, const char *s, size_t n);

#endif
