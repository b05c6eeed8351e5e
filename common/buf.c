/*
 * buf.c: growable, bounded byte buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

#define BUF_MIN_CAP 64
#define BUF_HARD_MAX (SIZE_MAX / 2)

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t max = b->max != 0 ? b->max : BUF_HARD_MAX;
	size_t need, cap;
	char *p;

	if (n > max || b->len > max - n) {
		errno = EMSGSIZE;
		return -1;
	}
	need = b->len + n + 1; /* room for the NUL */
	if (need <= b->cap)
		return 0;
	cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (cap < need)
		cap = cap > BUF_HARD_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (buf_reserve(b, (size_t)n) != 0)
		return -1;
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
buf_read_fd(struct buf *b, int fd)
{
	size_t max = b->max != 0 ? b->max : BUF_HARD_MAX, room;
	ssize_t r;
	char c;

	for (;;) {
		if (b->len >= max) {
			/* Full: one more byte means the content is too large.
			 */
			r = read(fd, &c, 1);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == 0)
				return 0;
			if (r > 0)
				errno = EMSGSIZE;
			return -1;
		}
		room = max - b->len < 4096 ? max - b->len : 4096;
		if (buf_reserve(b, room) != 0)
			return -1;
		room = b->cap - b->len - 1; /* keep the NUL */
		if (room > max - b->len)
			room = max - b->len;
		r = read(fd, b->data + b->len, room);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
		b->len += (size_t)r;
		b->data[b->len] = '\0';
	}
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
buf_truncate(struct buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->data[n] = '\0';
	}
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
buf_release(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

int
buf_put_word(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return buf_putc(b, '-');
	for (; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '%' || *p == '-') {
			if (buf_printf(b, "%%%02X", *p) == -1)
				return -1;
		} else if (buf_putc(b, *p) == -1)
			return -1;
	return 0;
}
