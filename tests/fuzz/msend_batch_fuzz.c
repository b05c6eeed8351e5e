/*
 * msend_batch_fuzz: `msend --batch MBOX' splitting hostile bytes into
 * messages (cmd/msend/batch.c): "From " lines, mboxrd unquoting, the
 * separating empty line, CR, LF and CRLF line ends, lines longer than
 * a read.  Every message handed out must be readable to its end, no
 * message may be longer than the input, and there are never more
 * messages than "From " lines.  The input goes through a temp file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/msend/msend.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

struct seen {
	size_t n; /* the input's length */
	size_t msgs;
	size_t bytes;
};

static int
one(void *arg, int fd, const char *name, const char *why)
{
	struct seen *s = arg;
	char b[4096];
	ssize_t r;
	size_t len = 0;

	(void)why;
	if (fd == -1 || name == NULL)
		abort();
	while ((r = read(fd, b, sizeof(b))) > 0)
		len += (size_t)r;
	if (r == -1 || len > s->n)
		abort();
	s->msgs++;
	s->bytes += len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char path[] = "/tmp/msend_batch_fuzz.XXXXXX", err[ERR_MAX];
	struct seen s = {n, 0, 0};
	size_t froms = 0, i;
	int fd;

	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (n > 0 && write(fd, d, n) != (ssize_t)n) {
		(void)close(fd);
		(void)unlink(path);
		return 0;
	}
	(void)close(fd);
	for (i = 0; i + 5 <= n; i++)
		if ((i == 0 || d[i - 1] == '\n' || d[i - 1] == '\r') &&
		    memcmp(d + i, "From ", 5) == 0)
			froms++;
	(void)batch_each(path, one, &s, err, sizeof(err));
	(void)unlink(path);
	if (s.msgs > froms || s.bytes > n)
		abort();
	return 0;
}
