/*
 * dsn_fuzz: delivery status notifications (dsn_write) about hostile
 * originals.  The first input octet picks RET (bits 0-1), SMTPUTF8 (bit
 * 2) and a delay notice instead of a bounce (bit 3); with bit 4 the
 * original's first line (to the first LF or NUL) is also the remote
 * server's reply, the relay and the ORCPT (hostile texts in parts 1
 * and 2).  The rest is the original, stored at an offset in a file as
 * a queue file holds it.
 * Checks the promises, not only the absence of crashes: the report is
 * written; every line ends in CRLF and is at most 998 octets; the
 * boundary begins exactly three delimiter lines and one close line;
 * common/mime reads it as multipart/report with three parts; part 3
 * holds the original byte for byte when it goes whole (and it goes
 * whole when RET=FULL asks and it can), else a header block within
 * DSN_HEADER_MAX without an empty line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "mime.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Octets before the original in the stored file. */
#define PREFIX "yubin-queue 1\n\n"

static int infd = -1, outfd = -1;

static int
tmpfd(void)
{
	char path[] = "/tmp/dsn_fuzz.XXXXXX";
	int fd = mkstemp(path);

	if (fd == -1)
		abort();
	(void)unlink(path);
	return fd;
}

/* Can the original go whole (no NUL, bare CR or LF, long line)? */
static int
clean(const uint8_t *p, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			return 0;
		if (p[i] == '\r') {
			if (i + 1 == n || p[i + 1] != '\n')
				return 0;
			continue;
		}
		if (p[i] == '\n') {
			if (i == 0 || p[i - 1] != '\r')
				return 0;
			len = 0;
			continue;
		}
		if (++len > MSG_LINE_MAX)
			return 0;
	}
	return 1;
}

static void
check_lines(const char *p, size_t n, const char *bd)
{
	size_t blen = strlen(bd), i = 0, len, delims = 0, closes = 0;
	const char *nl;

	while (i < n) {
		nl = memchr(p + i, '\n', n - i);
		if (nl == NULL || nl == p + i || nl[-1] != '\r')
			abort();
		len = (size_t)(nl - 1 - (p + i));
		if (len > MSG_LINE_MAX || memchr(p + i, '\r', len) != NULL)
			abort();
		if (len >= 2 + blen && p[i] == '-' && p[i + 1] == '-' &&
		    memcmp(p + i + 2, bd, blen) == 0) {
			if (len == 2 + blen)
				delims++;
			else if (len == 4 + blen &&
			    memcmp(p + i + 2 + blen, "--", 2) == 0)
				closes++;
			else
				abort();
		}
		i = (size_t)(nl - p) + 1;
	}
	if (delims != 3 || closes != 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const struct dsn_rcpt r = {"bob@example.net",
	    "rfc822;bob@example.net", 0, DSN_ACT_FAILED, "5.1.1",
	    "mx.example.net[192.0.2.1]", 550, "550 5.1.1 no such user",
	    1764658800, 1765090000};
	const struct mime_part *pt;
	struct dsn ds;
	struct mime_msg m;
	struct buf out;
	struct dsn_rcpt rr = r;
	char err[ERR_MAX], bd[MIME_BOUNDARY_MAX + 1];
	const uint8_t *orig;
	size_t olen, i;
	int full,
	    rets[] = {
		SMTP_RET_NONE, SMTP_RET_FULL, SMTP_RET_HDRS, SMTP_RET_NONE};
	const char *b, *sub;
	char *text = NULL;

	if (n < 1)
		return 0;
	if (infd == -1) {
		infd = tmpfd();
		outfd = tmpfd();
	}
	orig = d + 1;
	olen = n - 1;
	memset(&ds, 0, sizeof(ds));
	ds.host = "mail.example.org";
	ds.from = "alice@example.org";
	ds.arrival = 1764658000;
	ds.now = 1764659000;
	ds.token = "F";
	ds.ret = (enum smtp_ret)rets[d[0] & 3];
	ds.smtputf8 = (d[0] & 4) != 0;
	ds.kind = d[0] & 8 ? DSN_DELAY : DSN_FAILURE;
	if (ds.kind == DSN_DELAY)
		rr.action = DSN_ACT_DELAYED;
	if (d[0] & 16) {
		/* strndup stops at a NUL as well. */
		const uint8_t *lf = memchr(orig, '\n', olen);

		text = strndup((const char *)orig,
		    lf != NULL ? (size_t)(lf - orig) : olen);
		if (text == NULL)
			return 0;
		rr.reply = rr.relay = rr.orcpt = text;
	}
	ds.r = &rr;
	ds.nr = 1;
	if (ftruncate(infd, 0) == -1 || ftruncate(outfd, 0) == -1 ||
	    lseek(outfd, 0, SEEK_SET) == -1 ||
	    pwrite(infd, PREFIX, strlen(PREFIX), 0) !=
		(ssize_t)strlen(PREFIX) ||
	    (olen > 0 &&
		pwrite(infd, orig, olen, (off_t)strlen(PREFIX)) !=
		    (ssize_t)olen))
		abort();
	if (dsn_write(&ds, infd, (off_t)strlen(PREFIX), olen, outfd, NULL, err,
		sizeof(err)) != 0)
		abort();
	buf_init(&out, 0);
	if (lseek(outfd, 0, SEEK_SET) == -1 || buf_read_fd(&out, outfd) == -1)
		abort();

	if (mime_parse(&m, out.data, out.len) == -1)
		abort(); /* ENOMEM only */
	pt = m.root;
	if (pt->kind != MIME_MULTIPART || pt->type == NULL ||
	    strcasecmp(pt->subtype, "report") != 0 || pt->nchild != 3)
		abort();
	b = mime_param(pt->params, pt->nparams, "boundary");
	if (b == NULL || strlen(b) >= sizeof(bd))
		abort();
	util_strlcpy(bd, b, sizeof(bd));
	check_lines(out.data, out.len, bd);

	pt = pt->child->next->next;
	sub = pt->subtype != NULL ? pt->subtype : "";
	full = strcasecmp(sub, "rfc822") == 0 || strcasecmp(sub, "global") == 0;
	if (ds.kind == DSN_FAILURE && ds.ret == SMTP_RET_FULL &&
	    clean(orig, olen) && !full)
		abort();
	if (full) {
		/* The original, byte for byte, then the delimiter. */
		if (pt->body_off + olen + 4 + strlen(bd) > out.len ||
		    (olen > 0 &&
			memcmp(out.data + pt->body_off, orig, olen) != 0) ||
		    memcmp(out.data + pt->body_off + olen, "\r\n--", 4) != 0 ||
		    memcmp(out.data + pt->body_off + olen + 4, bd,
			strlen(bd)) != 0)
			abort();
	} else {
		if (strcasecmp(sub, "rfc822-headers") != 0 &&
		    strcasecmp(sub, "global-headers") != 0)
			abort();
		if (pt->body_len > DSN_HEADER_MAX + 2)
			abort();
		/* A header block: no empty line in it. */
		if (pt->body_len >= 2 &&
		    memcmp(out.data + pt->body_off, "\r\n", 2) == 0)
			abort();
		for (i = 0; i + 4 <= pt->body_len; i++)
			if (memcmp(out.data + pt->body_off + i, "\r\n\r\n",
				4) == 0)
				abort();
	}
	mime_free(&m);
	buf_free(&out);
	free(text);
	return 0;
}
