/*
 * authres_fuzz: common/authres (RFC 8601) on any bytes.  The input is a
 * field value: its authserv-id, when there is one, is non-empty, within
 * its bound and NUL-terminated, and the value claims it (as itself);
 * the input up to its first NUL as an address gives a pvalue without
 * control characters, and as a reason= one quoted-string without them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "bounds.h"
#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *v = (const char *)d;
	char id[AUTHRES_ID_MAX + 1], *a;
	struct buf b;
	size_t i;

	if (authres_servid(v, n, id, sizeof(id)) == 0) {
		if (id[0] == '\0' || strlen(id) > AUTHRES_ID_MAX)
			abort();
		if (!authres_claims(v, n, id))
			abort();
	} else if (authres_claims(v, n, "mx.test") &&
	    authres_servid(v, n, id, sizeof(id)) == -1)
		abort();
	if ((a = malloc(n + 1)) == NULL)
		return 0;
	memcpy(a, d, n);
	a[n] = '\0';
	buf_init(&b, 0);
	if (authres_put_mailbox(&b, a) == 0)
		for (i = 0; i < b.len; i++)
			if ((unsigned char)b.data[i] < 0x20 ||
			    (unsigned char)b.data[i] == 0x7f)
				abort();
	buf_free(&b);
	/* reason=: one quoted-string, no control characters. */
	buf_init(&b, 0);
	if (authres_put_quoted(&b, a, 120) == 0) {
		if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"')
			abort();
		for (i = 0; i < b.len; i++)
			if ((unsigned char)b.data[i] < 0x20 ||
			    (unsigned char)b.data[i] == 0x7f)
				abort();
	}
	buf_free(&b);
	(void)authres_plain(a);
	free(a);
	return 0;
}
