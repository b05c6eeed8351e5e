/*
 * msgcheck.c: mxlookup --dkim [FILE]: verify the DKIM signatures of a
 * message (RFC 6376) as a receiver would, with the keys from the DNS,
 * and say for each what was found and why: what an admin needs when a
 * receiver writes dkim=fail.  The header section is held (at most
 * MSG_HEADER_MAX octets); the body is read in pieces into common/dkim's
 * streaming verifier, so a message's size is not its memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "dkim.h"
#include "dns.h"
#include "msg.h"
#include "mxlookup.h"
#include "util.h"

/* The body is read in pieces of this many octets. */
#define MSGCHECK_CHUNK (64 * 1024)

/*
 * The exit code of the message's DKIM result, as --dmarc's: a pass 0,
 * no pass 1, not signed 4, and when nothing passed but a key could not
 * be had, 75 (try again).  The manual's EXIT STATUS says the same.
 */
static int
msgcheck_exit(const struct dkim_result *res, int n)
{
	int i, temp = 0;

	if (n == 0)
		return 4;
	for (i = 0; i < n; i++) {
		if (res[i].status == DKIM_PASS)
			return 0;
		if (res[i].status == DKIM_TEMPERROR)
			temp = 1;
	}
	return temp ? EX_TEMPFAIL : 1;
}

/* Read fd until its header section is in b (or the end, or too much):
   the section's length, or (size_t)-1 with errno (EFBIG: too big). */
static size_t
read_header(int fd, struct buf *b, int *eof)
{
	char chunk[MSGCHECK_CHUNK];
	size_t hl;
	ssize_t n;

	*eof = 0;
	for (;;) {
		if ((hl = msg_header_len(b->data, b->len)) != (size_t)-1)
			return hl;
		if (b->len > MSG_HEADER_MAX) {
			errno = EFBIG;
			return (size_t)-1;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			return (size_t)-1;
		}
		if (n == 0) {
			*eof = 1;
			return b->len; /* no body: all of it is header */
		}
		if (buf_append(b, chunk, (size_t)n) == -1)
			return (size_t)-1;
	}
}

static void
show(const struct dkim_result *r, int verbose)
{
	printf("d=%s s=%s a=%s: %s", r->d[0] != '\0' ? r->d : "?",
	    r->s[0] != '\0' ? r->s : "?",
	    r->alg != DKIM_ALG_NONE ? dkim_alg_str(r->alg) : "?",
	    dkim_status_str(r->status));
	if (r->reason[0] != '\0')
		printf(": %s", r->reason);
	putchar('\n');
	if (!verbose)
		return;
	if (r->i[0] != '\0')
		printf("  i=%s\n", r->i);
	if (r->bits > 0)
		printf("  key: %d bits%s\n", r->bits,
		    r->testing ? ", testing (t=y)" : "");
	if (r->status == DKIM_PASS || r->status == DKIM_FAIL)
		printf("  canonical body: %llu octets\n",
		    (unsigned long long)r->body_len);
}

int
msgcheck_main(struct dns_resolver *r, const char *path, int verbose)
{
	struct dkim_result res[DKIM_SIGS_MAX];
	struct dkim_verifier *v;
	struct buf b = BUF_INIT;
	char *chunk = NULL;
	const char *name = path != NULL ? path : "standard input";
	size_t hl;
	ssize_t n;
	int fd = 0, eof, nres, i, ex;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, strerror(errno));
		return EX_NOINPUT;
	}
	if ((hl = read_header(fd, &b, &eof)) == (size_t)-1) {
		if (errno == EFBIG)
			fprintf(stderr,
			    "%s: %s: header section over %d octets: no "
			    "receiver reads that far\n",
			    PROG, name, MSG_HEADER_MAX);
		else
			fprintf(stderr, "%s: %s: %s\n", PROG, name,
			    strerror(errno));
		ex = errno == EFBIG ? EX_DATAERR : EX_IOERR;
		goto out;
	}
	if ((v = dkim_verifier_new(b.data, hl, time(NULL), dkim_dns_key, r,
		 DKIM_SIGS_MAX)) == NULL ||
	    (chunk = malloc(MSGCHECK_CHUNK)) == NULL) {
		dkim_verifier_free(v);
		fprintf(stderr, "%s: out of memory\n", PROG);
		ex = EX_OSERR;
		goto out;
	}
	/* The body: what came with the header, then the rest. */
	if (b.len > hl)
		dkim_verifier_body(v, b.data + hl, b.len - hl);
	while (!eof) {
		if ((n = read(fd, chunk, MSGCHECK_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: %s: %s\n", PROG, name,
			    strerror(errno));
			dkim_verifier_free(v);
			ex = EX_IOERR;
			goto out;
		}
		if (n == 0)
			break;
		dkim_verifier_body(v, chunk, (size_t)n);
	}
	nres = dkim_verifier_end(v, res, DKIM_SIGS_MAX);
	dkim_verifier_free(v);
	ex = msgcheck_exit(res, nres);
	printf("%s\n", ex == 0 ? "pass" : ex == 4 ? "none"
	    : ex == EX_TEMPFAIL			      ? "temperror"
						      : "fail");
	if (nres == 0)
		printf("no DKIM-Signature field: the message is not signed\n");
	for (i = 0; i < nres; i++)
		show(&res[i], verbose);
out:
	free(chunk);
	buf_free(&b);
	if (fd > 0)
		(void)close(fd);
	return ex;
}
