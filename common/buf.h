/*
 * buf.h: a growable byte buffer with a hard upper bound.  All string
 * building in yubin goes through it (no strcat/sprintf).
 *
 * The data is always NUL-terminated (the NUL is not counted in len), so
 * buf.data can be handed to functions taking C strings when the content
 * has no NUL of its own.
 */
#ifndef YUBIN_BUF_H
#define YUBIN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* largest len allowed; 0 means no bound but SIZE_MAX/2 */
};

#define BUF_INIT { NULL, 0, 0, 0 }

void	buf_init(struct buf *b, size_t max);
void	buf_free(struct buf *b);
/* Forget the content, keep the memory. */
void	buf_reset(struct buf *b);

/*
 * Each append returns 0, or -1 with errno ENOMEM, or EMSGSIZE when the
 * result would pass b->max (the buffer is then unchanged).
 */
int	buf_append(struct buf *b, const void *p, size_t n);
int	buf_puts(struct buf *b, const char *s);
int	buf_putc(struct buf *b, int c);
/*
 * A word of the text state files (mimap fetch's journal, the queue's
 * envelopes): "%XX" for a space, "%", "-" and octets outside 0x21-0x7e,
 * "-" for the empty string; util_word_decode reverses it.
 */
int	buf_put_word(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Make room for n more bytes without changing len. */
int	buf_reserve(struct buf *b, size_t n);

/*
 * Append everything readable from fd until end of file.  0, or -1 with
 * errno (EMSGSIZE when the content would pass b->max; what was read so
 * far stays in b, for the caller to wipe if it is secret).
 */
int	buf_read_fd(struct buf *b, int fd);

/* Drop the first n bytes (all of them if n >= len). */
void	buf_consume(struct buf *b, size_t n);
/* Cut the content to n bytes (n <= len). */
void	buf_truncate(struct buf *b, size_t n);
/* The content as a C string; "" for an empty buffer. */
const char *buf_cstr(const struct buf *b);
/* Hand the memory to the caller (free(3) it); the buffer becomes empty. */
char	*buf_release(struct buf *b);

#endif
