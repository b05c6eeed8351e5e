/*
 * msend_msg_fuzz: msend reading a message (cmd/msend/message.c) from
 * hostile bytes: header split into fields, -t address lists, Bcc
 * removal, the "." line that ends input without -i, line endings
 * measured, then the message written out both ways (dot-stuffed for
 * DATA, plain for BDAT).  The plain form must be exactly the size the
 * measurement announced (SIZE=, BDAT n): otherwise the target aborts.
 * The first byte picks the options; the rest is the message.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../cmd/msend/msend.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
count(void *arg, const char *addr, size_t len)
{
	(void)addr;
	(void)len;
	++*(int *)arg;
	return 0;
}

/* A temp file holding p, positioned at 0; -1 on failure. */
static int
tmpfd(const void *p, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	if (f == NULL)
		return -1;
	fd = dup(fileno(f));
	fclose(f);
	if (fd == -1)
		return -1;
	if ((n > 0 && write(fd, p, n) != (ssize_t)n) ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct msend_opts o = {0};
	struct message m;
	struct io io;
	struct stat st;
	char err[ERR_MAX];
	int in, out, nr = 0, dot;

	if (n < 1)
		return 0;
	o.read_rcpts = d[0] & 1;
	o.dot_ends = (d[0] >> 1) & 1;
	if ((in = tmpfd(d + 1, n - 1)) == -1)
		return 0;
	message_init(&m);
	if (message_read(&m, in, &o, count, &nr, err, sizeof(err)) != 0 ||
	    message_prepare(&m, (d[0] & 4) ? "a@example.org" : "",
		(d[0] & 8) ? "A \"B\" (C)" : NULL, "example.org", err,
		sizeof(err)) != 0)
		goto out;
	for (dot = 0; dot < 2; dot++) {
		if ((out = tmpfd(NULL, 0)) == -1)
			goto out;
		io_init(&io, -1, out, 1000);
		if (message_send(&m, &io, dot, err, sizeof(err)) == 0 &&
		    io_flush(&io) == 0 && fstat(out, &st) == 0 && !dot &&
		    (uint64_t)st.st_size != m.size)
			abort(); /* BDAT/SIZE would lie */
		io_close(&io);
		close(out);
	}
out:
	message_free(&m);
	close(in);
	return 0;
}
