/*
 * sessfuzz.c: the server session fuzz targets' shared set-up (see
 * sessfuzz.h).
 */
#include "config.h"

#include <crypt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sessfuzz.h"

void
sessfuzz_fds(const uint8_t *d, size_t n, char *tmpl, int *in, int *out)
{
	if ((*in = mkstemp(tmpl)) == -1)
		abort();
	unlink(tmpl);
	if (n > 0 && write(*in, d, n) != (ssize_t)n)
		abort();
	lseek(*in, 0, SEEK_SET);
	if ((*out = open("/dev/null", O_WRONLY)) == -1)
		abort();
}

void
sessfuzz_pwline(char *buf, size_t len, const char *md)
{
	const char *h;

	h = crypt("secret", "$5$rounds=1000$fuzzsalt$");
	if (h == NULL || h[0] == '*')
		abort();
	if ((size_t)snprintf(buf, len, "fuzz:%s:::%s\n", h, md) >= len)
		abort();
}
