/*
 * msg_fuzz: the RFC 5322 header scanner (in memory and line by line must
 * agree), unfolding, the address-list parser, and the Received counter
 * (in one piece and byte by byte must agree; at most one a line), and
 * the header section's length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* msg_hops_feed: the same count in one piece and byte by byte, and never
   more Received fields than lines. */
static void
check_hops(const char *p, size_t n)
{
	struct msg_hops whole, bytes;
	size_t i, lines = 1;
	int done1, done2 = 0;

	msg_hops_init(&whole);
	done1 = msg_hops_feed(&whole, p, n);
	msg_hops_init(&bytes);
	for (i = 0; i < n; i++)
		done2 = msg_hops_feed(&bytes, p + i, 1);
	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			lines++;
	if (whole.count != bytes.count || done1 != done2 || whole.count < 0 ||
	    (size_t)whole.count > lines)
		abort();
	/* Once done, more bytes change nothing. */
	if (done1 &&
	    (msg_hops_feed(&whole, "Received: x\n", 12) != 1 ||
		whole.count != bytes.count))
		abort();
}

/* msg_header_len: the section ends with an empty line and holds no
   other; a prefix that holds it gives the same length. */
static void
check_header_len(const char *p, size_t n)
{
	size_t hl = msg_header_len(p, n), i;

	if (hl == (size_t)-1) {
		for (i = 0; i < n; i++)
			if (p[i] == '\n' && (i == 0 || p[i - 1] == '\n' ||
				(p[i - 1] == '\r' && (i == 1 || p[i - 2] == '\n'))))
				abort();
		return;
	}
	if (hl == 0 || hl > n || p[hl - 1] != '\n' ||
	    !(hl == 1 || p[hl - 2] == '\n' ||
		(p[hl - 2] == '\r' && (hl == 2 || p[hl - 3] == '\n'))) ||
	    msg_header_len(p, hl) != hl)
		abort();
}

static int
count_addr(void *arg, const char *a, size_t len)
{
	size_t *total = arg, i;

	if (len == 0 || len > SMTP_PATH_MAX || strlen(a) != len)
		abort();
	/* Nothing that could break an SMTP command line. */
	for (i = 0; i < len; i++)
		if (((unsigned char)a[i] < 0x20 && a[i] != '\t') ||
		    a[i] == 0x7f)
			abort();
	*total += len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	struct msg_iter it;
	struct msg_scan sc;
	struct msg_field f, g;
	struct buf b;
	size_t off = 0, fields = 0, fields2 = 0, total = 0;
	int r;

	/* In memory. */
	msg_iter_init(&it, p, n);
	while ((r = msg_iter_next(&it, &f)) == 1) {
		fields++;
		if (f.namelen == 0 || f.namelen > MSG_NAME_MAX ||
		    memchr(f.name, ':', f.namelen) != NULL ||
		    f.value[f.valuelen] != '\0')
			abort();
		(void)msg_addr_list(f.value, f.valuelen, count_addr, &total);
	}
	if (r == 0 && it.body > n)
		abort();

	/* Line by line: the same fields. */
	msg_scan_init(&sc);
	while (off < n) {
		const char *nl = memchr(p + off, '\n', n - off);
		size_t end = nl != NULL ? (size_t)(nl - p) + 1 : n;
		int k = msg_scan_line(&sc, p + off, end - off);

		if (k == MSG_LINE_ERROR)
			break;
		while (msg_scan_field(&sc, &g))
			fields2++;
		if (k != MSG_LINE_HEADER)
			break;
		off = end;
	}
	msg_scan_eof(&sc);
	while (msg_scan_field(&sc, &g))
		fields2++;
	if (r >= 0 && fields != fields2)
		abort();
	msg_scan_free(&sc);
	msg_iter_free(&it);

	/* Unfolding never grows the text. */
	buf_init(&b, 0);
	if (msg_unfold(p, n, &b) == 0 && b.len > n)
		abort();
	buf_free(&b);

	/* The whole input as one address list. */
	(void)msg_addr_list(p, n, count_addr, &total);

	check_hops(p, n);
	check_header_len(p, n);
	return 0;
}
