/*
 * dsn_test: delivery status notifications (common/dsn): the NOTIFY
 * rules and xtext tables, then reports written from an original that
 * sits inside a queue-like file (envelope before, journal after) and
 * read back with common/mime: three parts of the right types, the
 * delivery-status fields, the original whole (RET=FULL, small without
 * RET) or its header only (RET=HDRS, large, or not fit to go whole),
 * a boundary the original tries to take, hostile reply texts, UTF-8.
 * Every report is also checked line by line: CRLF only, no line over
 * 998 octets, the boundary where it belongs and nowhere else.
 * Each case runs in its own empty directory (Kyua's work directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <atf-c.h>

#include "buf.h"
#include "dsn.h"
#include "mime.h"
#include "util.h"

#define ENV_PREFIX "yubin-queue 1\nid Q1\nrcpt bob@example.net - -\n\n"
#define JOURNAL "R 0 F 1 0 550 5.1.1 mx.example.net[192.0.2.1] x\n"

#define ORIG_HDR \
	"Received: from client by host\r\n" \
	"\tfor <bob@example.net>; Tue, 2 Dec 2025 07:00:00 +0000\r\n" \
	"From: Alice <alice@example.org>\r\n" \
	"To: Bob <bob@example.net>\r\n" \
	"Subject: lunch\r\n" \
	"Message-ID: <1@example.org>\r\n"
#define ORIG ORIG_HDR "\r\nShall we?\r\n-- \r\nAlice\r\n"

struct report {
	struct buf out; /* the report as written */
	unsigned needs;
	int rc, err_no;
	char err[ERR_MAX];
	struct mime_msg m;
	const struct mime_part *p[3];
	char boundary[128];
	char *status; /* part 2's body, a C string */
};

static const struct dsn_rcpt bob_550 = {"bob@example.net",
    "rfc822;bob+2Bx@example.net", 0, DSN_ACT_FAILED, "5.1.1",
    "mx.example.net[192.0.2.1]", 550,
    "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown",
    1764658800, 0};

static void
dsn_init(struct dsn *d, const struct dsn_rcpt *r, size_t nr)
{
	memset(d, 0, sizeof(*d));
	d->host = "mail.example.org";
	d->envid = "QQ314159";
	d->arrival = 1764658000;
	d->from = "alice@example.org";
	d->ret = SMTP_RET_NONE;
	d->kind = DSN_FAILURE;
	d->r = r;
	d->nr = nr;
	d->now = 1764659000;
	d->token = "T";
}

/* Check every line of the report: CRLF, at most 998 octets; lines
   starting with "--" + boundary are the delimiters only. */
static void
check_lines(struct report *rp)
{
	const char *p = rp->out.data, *e = p + rp->out.len, *nl;
	size_t blen = strlen(rp->boundary), n, delims = 0, closes = 0;

	ATF_REQUIRE(rp->out.len >= 2);
	ATF_CHECK_MSG(p[rp->out.len - 2] == '\r' && p[rp->out.len - 1] == '\n',
	    "the report ends without CRLF");
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		ATF_REQUIRE_MSG(nl != NULL, "a last line without LF");
		ATF_REQUIRE_MSG(nl > p && nl[-1] == '\r', "a bare LF at %zu",
		    (size_t)(nl - rp->out.data));
		n = (size_t)(nl - 1 - p);
		ATF_CHECK_MSG(memchr(p, '\r', n) == NULL, "a bare CR at %zu",
		    (size_t)(p - rp->out.data));
		ATF_CHECK_MSG(n <= MSG_LINE_MAX, "a line of %zu octets", n);
		if (n >= 2 + blen && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, rp->boundary, blen) == 0) {
			if (n == 2 + blen)
				delims++;
			else if (n == 4 + blen && p[n - 1] == '-' &&
			    p[n - 2] == '-')
				closes++;
			else
				atf_tc_fail("a line starts with the boundary");
		}
		p = nl + 1;
	}
	ATF_CHECK_EQ(delims, 3);
	ATF_CHECK_EQ(closes, 1);
}

/* Write the report of d about orig (stored between an envelope and a
   journal, as in a queue file) and parse it. */
static void
run(struct report *rp, const struct dsn *d, const char *orig, size_t olen)
{
	const struct mime_part *pt;
	const char *bd;
	int in, out;
	size_t i;

	memset(rp, 0, sizeof(*rp));
	buf_init(&rp->out, 0);
	in = open("queued", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(in >= 0);
	ATF_REQUIRE(util_write_all(in, ENV_PREFIX, strlen(ENV_PREFIX)) == 0);
	ATF_REQUIRE(util_write_all(in, orig, olen) == 0);
	ATF_REQUIRE(util_write_all(in, JOURNAL, strlen(JOURNAL)) == 0);
	out = open("report", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(out >= 0);
	rp->rc = dsn_write(d, in, (off_t)strlen(ENV_PREFIX), olen, out,
	    &rp->needs, rp->err, sizeof(rp->err));
	rp->err_no = errno;
	close(in);
	ATF_REQUIRE(lseek(out, 0, SEEK_SET) == 0);
	ATF_REQUIRE(buf_read_fd(&rp->out, out) == 0);
	close(out);
	if (rp->rc != 0)
		return;
	ATF_REQUIRE_EQ_MSG(mime_parse(&rp->m, rp->out.data, rp->out.len), 0,
	    "mime_parse: %s", strerror(errno));
	pt = rp->m.root;
	ATF_REQUIRE(pt->kind == MIME_MULTIPART);
	ATF_CHECK(strcasecmp(pt->type, "multipart") == 0 &&
	    strcasecmp(pt->subtype, "report") == 0);
	ATF_CHECK_STREQ(mime_param(pt->params, pt->nparams, "report-type"),
	    "delivery-status");
	bd = mime_param(pt->params, pt->nparams, "boundary");
	ATF_REQUIRE(bd != NULL && strlen(bd) < sizeof(rp->boundary));
	ATF_CHECK(strlen(bd) <= MIME_BOUNDARY_MAX);
	util_strlcpy(rp->boundary, bd, sizeof(rp->boundary));
	ATF_REQUIRE_EQ_MSG(pt->nchild, 3, "%zu parts", pt->nchild);
	for (i = 0, pt = pt->child; i < 3; i++, pt = pt->next)
		rp->p[i] = pt;
	ATF_CHECK(strcasecmp(rp->p[0]->type, "text") == 0 &&
	    strcasecmp(rp->p[0]->subtype, "plain") == 0);
	ATF_CHECK(strcasecmp(rp->p[1]->type, "message") == 0);
	rp->status =
	    strndup(rp->out.data + rp->p[1]->body_off, rp->p[1]->body_len);
	ATF_REQUIRE(rp->status != NULL);
	check_lines(rp);
}

static void
report_free(struct report *rp)
{
	if (rp->m.root != NULL)
		mime_free(&rp->m);
	buf_free(&rp->out);
	free(rp->status);
}

static int
has(const struct report *rp, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= rp->out.len; i++)
		if (memcmp(rp->out.data + i, s, n) == 0)
			return 1;
	return 0;
}

/* Part 3's type, and whether its body is exactly want[0..n). */
static void
check_part3(
    const struct report *rp, const char *subtype, const char *want, size_t n)
{
	const struct mime_part *p = rp->p[2];

	const char *b = rp->out.data + p->body_off;
	size_t blen = strlen(rp->boundary);

	ATF_CHECK_MSG(strcasecmp(p->subtype, subtype) == 0, "part 3 is %s/%s",
	    p->type, p->subtype);
	/* The bytes, then the delimiter's CRLF (RFC 2046 §5.1.1).  mime
	   gives an encapsulated header without its empty line the
	   delimiter's CRLF as well. */
	ATF_CHECK_MSG(p->body_len == n ||
		(p->body_len == n + 2 && strstr(want, "\r\n\r\n") == NULL),
	    "part 3: %zu octets, want %zu", p->body_len, n);
	ATF_REQUIRE(p->body_off + n + 4 + blen <= rp->out.len);
	ATF_CHECK_MSG(memcmp(b, want, n) == 0, "part 3 is not the original");
	ATF_CHECK(memcmp(b + n, "\r\n--", 4) == 0 &&
	    memcmp(b + n + 4, rp->boundary, blen) == 0);
}

ATF_TC_WITHOUT_HEAD(wanted);
ATF_TC_BODY(wanted, tc)
{
	static const struct {
		int notify, fail, delay, success;
	} t[] = {
	    {0, 1, 1, 0}, /* RFC 3461 §4.1: no NOTIFY */
	    {SMTP_NOTIFY_NEVER, 0, 0, 0},
	    {SMTP_NOTIFY_FAILURE, 1, 0, 0},
	    {SMTP_NOTIFY_DELAY, 0, 1, 0},
	    {SMTP_NOTIFY_SUCCESS, 0, 0, 1},
	    {SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE, 1, 0, 1},
	    {SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, 1, 1, 0},
	    {SMTP_NOTIFY_NEVER | SMTP_NOTIFY_FAILURE, 0, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK_EQ_MSG(dsn_wanted(t[i].notify, DSN_FAILURE),
		    t[i].fail, "row %zu", i);
		ATF_CHECK_EQ_MSG(dsn_wanted(t[i].notify, DSN_DELAY), t[i].delay,
		    "row %zu", i);
		ATF_CHECK_EQ_MSG(dsn_wanted(t[i].notify, DSN_SUCCESS),
		    t[i].success, "row %zu", i);
	}
	ATF_CHECK_EQ(dsn_action_kind(DSN_ACT_FAILED), DSN_FAILURE);
	ATF_CHECK_EQ(dsn_action_kind(DSN_ACT_DELAYED), DSN_DELAY);
	ATF_CHECK_EQ(dsn_action_kind(DSN_ACT_RELAYED), DSN_SUCCESS);
}

ATF_TC_WITHOUT_HEAD(xtext);
ATF_TC_BODY(xtext, tc)
{
	static const struct {
		const char *in;
		int utf8;
		const char *out; /* NULL: refused */
	} t[] = {
	    {"bob@example.net", 0, "bob@example.net"},
	    {"bob+2Bx@example.net", 0, "bob+x@example.net"},
	    {"a+20b", 0, "a b"},
	    {"a+3db", 0, "a=b"}, /* lower case hex: liberal */
	    {"a+00b", 0, NULL}, /* an encoded NUL */
	    {"a+2", 0, NULL},
	    {"a+zzb", 0, NULL},
	    {"a=b", 0, NULL}, /* "=" must be encoded */
	    {"a b", 0, NULL},
	    {"\xc3\xa9@x", 0, NULL},
	    {"\xc3\xa9@x", 1, "\xc3\xa9@x"},
	    {"", 0, ""},
	};
	char out[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = dsn_xtext_decode(
		    t[i].in, strlen(t[i].in), t[i].utf8, out, sizeof(out));
		if (t[i].out == NULL)
			ATF_CHECK_EQ_MSG(rc, -1, "row %zu", i);
		else {
			ATF_CHECK_EQ_MSG(rc, 0, "row %zu", i);
			ATF_CHECK_STREQ_MSG(out, t[i].out, "row %zu", i);
		}
	}
	/* No room. */
	ATF_CHECK_EQ(dsn_xtext_decode("abcdef", 6, 0, out, 4), -1);
}

/* The original in part 3: whole or header, by RET and by what it is. */
ATF_TC_WITHOUT_HEAD(original_table);
ATF_TC_BODY(original_table, tc)
{
	static const char nul_orig[] = ORIG_HDR "\r\nbody\0with a NUL\r\n";
	static const char nul_hdr[] = "A: 1\0"
				      "2\r\n\r\nx";
	static const struct {
		const char *name;
		enum smtp_ret ret;
		const char *orig;
		size_t olen; /* 0: strlen */
		int full;
		const char *hdr; /* the header part wanted when not full */
	} t[] = {
	    {"RET=FULL", SMTP_RET_FULL, ORIG, 0, 1, NULL},
	    {"no RET, small", SMTP_RET_NONE, ORIG, 0, 1, NULL},
	    {"RET=HDRS", SMTP_RET_HDRS, ORIG, 0, 0, ORIG_HDR},
	    {"bare LF", SMTP_RET_FULL, ORIG_HDR "\r\nbody\nmore\r\n", 0, 0,
		ORIG_HDR},
	    {"bare CR", SMTP_RET_FULL, ORIG_HDR "\r\nbody\rmore\r\n", 0, 0,
		ORIG_HDR},
	    {"a NUL", SMTP_RET_FULL, nul_orig, sizeof(nul_orig) - 1, 0,
		ORIG_HDR},
	    {"no body", SMTP_RET_FULL, ORIG_HDR, 0, 1, NULL},
	    {"no line end", SMTP_RET_FULL, ORIG_HDR "\r\nlast", 0, 1, NULL},
	    {"header only, HDRS", SMTP_RET_HDRS, ORIG_HDR, 0, 0, ORIG_HDR},
	    {"no header", SMTP_RET_HDRS, "\r\nbody\r\n", 0, 0, ""},
	    {"not a header", SMTP_RET_HDRS, "hello world\r\n\r\nx\r\n", 0, 0,
		""},
	    {"header without blank line, bare LF", SMTP_RET_FULL,
		"A: 1\nB: 2\n", 0, 0, "A: 1\r\nB: 2\r\n"},
	    {"a NUL in the header", SMTP_RET_HDRS, nul_hdr, sizeof(nul_hdr) - 1,
		0, "A: 12\r\n"},
	    {"continuation first", SMTP_RET_HDRS, " x: 1\r\n\r\n", 0, 0, ""},
	    {"empty", SMTP_RET_FULL, "", 0, 1, NULL},
	};
	struct dsn d;
	struct report rp;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = t[i].olen ? t[i].olen : strlen(t[i].orig);
		dsn_init(&d, &bob_550, 1);
		d.ret = t[i].ret;
		run(&rp, &d, t[i].orig, n);
		ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s: %s", t[i].name, rp.err);
		if (t[i].full)
			check_part3(&rp, "rfc822", t[i].orig, n);
		else
			check_part3(
			    &rp, "rfc822-headers", t[i].hdr, strlen(t[i].hdr));
		ATF_CHECK_MSG(
		    rp.needs == 0, "%s: needs %u", t[i].name, rp.needs);
		report_free(&rp);
	}
}

/* Without RET, an original over DSN_FULL_MAX goes as its header; with
   RET=FULL it goes whole, streamed. */
ATF_TC_WITHOUT_HEAD(huge);
ATF_TC_BODY(huge, tc)
{
	struct dsn d;
	struct report rp;
	struct buf o;
	size_t i;

	buf_init(&o, 0);
	ATF_REQUIRE(buf_puts(&o, ORIG_HDR "\r\n") == 0);
	for (i = 0; o.len <= DSN_FULL_MAX + 1000; i++)
		ATF_REQUIRE(buf_printf(&o,
				"line %zu of a long message, "
				"long enough to matter\r\n",
				i) == 0);
	dsn_init(&d, &bob_550, 1);
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	check_part3(&rp, "rfc822-headers", ORIG_HDR, strlen(ORIG_HDR));
	ATF_CHECK(has(&rp, "The header of your message is attached"));
	report_free(&rp);

	d.ret = SMTP_RET_FULL;
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	check_part3(&rp, "rfc822", o.data, o.len);
	ATF_CHECK(has(&rp, "A copy of your message is attached"));
	report_free(&rp);
	buf_free(&o);
}

/* A header over DSN_HEADER_MAX is cut at a line; a line over
   MSG_LINE_MAX is cut. */
ATF_TC_WITHOUT_HEAD(header_bounds);
ATF_TC_BODY(header_bounds, tc)
{
	struct dsn d;
	struct report rp;
	struct buf o;
	size_t i;

	buf_init(&o, 0);
	ATF_REQUIRE(buf_puts(&o, "X-Long: ") == 0);
	for (i = 0; i < 3000; i++)
		ATF_REQUIRE(buf_putc(&o, 'a') == 0);
	ATF_REQUIRE(buf_puts(&o, "\r\n") == 0);
	for (i = 0; o.len < DSN_HEADER_MAX * 2; i++)
		ATF_REQUIRE(
		    buf_printf(&o, "X-Filler-%zu: some value\r\n", i) == 0);
	ATF_REQUIRE(buf_puts(&o, "\r\nbody\r\n") == 0);
	dsn_init(&d, &bob_550, 1);
	d.ret = SMTP_RET_FULL; /* the long line forbids it */
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(strcasecmp(rp.p[2]->subtype, "rfc822-headers") == 0);
	ATF_CHECK(rp.p[2]->body_len <= DSN_HEADER_MAX);
	ATF_CHECK(rp.p[2]->body_len > DSN_HEADER_MAX - 100);
	ATF_CHECK(memcmp(rp.out.data + rp.p[2]->body_off, o.data,
		      8 + MSG_LINE_MAX - 8) == 0);
	ATF_CHECK(memcmp(rp.out.data + rp.p[2]->body_off + MSG_LINE_MAX,
		      "\r\nX-Filler-0: ", 14) == 0);
	report_free(&rp);
	buf_free(&o);
}

/* The original holds the first boundary candidate (and then every
   candidate of the first pass): the report takes another. */
ATF_TC_WITHOUT_HEAD(boundary);
ATF_TC_BODY(boundary, tc)
{
	static const char tricky[] = "A: 1\r\n--=_YUBIN-T-000x\r\n"
				     "B: 2\r--=_yubin-T-001\r\n"
				     "\0--=_yubin-T-002\r\n\r\n";
	struct dsn d;
	struct report rp, first;
	struct buf o;
	size_t i;

	/* What the report takes for a harmless original. */
	dsn_init(&d, &bob_550, 1);
	d.ret = SMTP_RET_FULL;
	run(&first, &d, ORIG, strlen(ORIG));
	ATF_REQUIRE_EQ_MSG(first.rc, 0, "%s", first.err);
	ATF_CHECK_STREQ(first.boundary, "=_yubin-T-000");

	buf_init(&o, 0);
	ATF_REQUIRE(buf_printf(&o,
			ORIG_HDR "\r\nbefore\r\n--%s\r\n"
				 "Content-Type: text/plain\r\n\r\nfake\r\n"
				 "--%s--\r\n",
			first.boundary, first.boundary) == 0);
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK_STREQ(rp.boundary, "=_yubin-T-001");
	check_part3(&rp, "rfc822", o.data, o.len);
	report_free(&rp);

	/* A candidate in upper case, after a bare CR, or with a NUL in
	   front of it counts as well (RET=HDRS: header lines). */
	buf_reset(&o);
	ATF_REQUIRE(buf_append(&o, tricky, sizeof(tricky) - 1) == 0);
	d.ret = SMTP_RET_HDRS;
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK_STREQ(rp.boundary, "=_yubin-T-003");
	report_free(&rp);

	/* Anywhere, not only at a line's start: the original's own
	   boundary parameter. */
	buf_reset(&o);
	ATF_REQUIRE(buf_puts(&o,
			"Content-Type: multipart/mixed;\r\n"
			" boundary=\"=_yubin-T-000\"\r\n\r\n"
			"no parts\r\n") == 0);
	d.ret = SMTP_RET_FULL;
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK_STREQ(rp.boundary, "=_yubin-T-001");
	check_part3(&rp, "rfc822", o.data, o.len);
	report_free(&rp);

	/* Every candidate of the first pass: a random token then. */
	buf_reset(&o);
	ATF_REQUIRE(buf_puts(&o, ORIG_HDR "\r\n") == 0);
	for (i = 0; i < 256; i++)
		ATF_REQUIRE(buf_printf(&o, "--=_yubin-T-0%02zx\r\n", i) == 0);
	d.ret = SMTP_RET_FULL;
	run(&rp, &d, o.data, o.len);
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(strncmp(rp.boundary, "=_yubin-T-0", 11) != 0);
	ATF_CHECK(strncmp(rp.boundary, "=_yubin-", 8) == 0);
	check_part3(&rp, "rfc822", o.data, o.len);
	report_free(&rp);
	report_free(&first);
	buf_free(&o);
}

/* The header of the report and the delivery-status fields. */
ATF_TC_WITHOUT_HEAD(fields);
ATF_TC_BODY(fields, tc)
{
	static const char *const want[] = {
	    "From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\r\n",
	    "\r\nTo: <alice@example.org>\r\n",
	    "\r\nSubject: Undelivered Mail Returned to Sender\r\n",
	    "\r\nDate: Tue, 02 Dec 2025 07:03:20 +0000\r\n",
	    "\r\nAuto-Submitted: auto-replied\r\n",
	    "\r\nMIME-Version: 1.0\r\n",
	    "\r\nMessage-ID: <1764659000.",
	    ".T.dsn@mail.example.org>\r\n",
	};
	static const char *const status[] = {
	    "Reporting-MTA: dns; mail.example.org\r\n",
	    "Original-Envelope-Id: QQ314159\r\n",
	    "Arrival-Date: Tue, 02 Dec 2025 06:46:40 +0000\r\n",
	    "\r\n\r\nOriginal-Recipient: rfc822; bob+x@example.net\r\n"
	    "Final-Recipient: rfc822; bob@example.net\r\n"
	    "Action: failed\r\nStatus: 5.1.1\r\n"
	    "Remote-MTA: dns; mx.example.net\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient "
	    "address\r\n rejected: User unknown\r\n"
	    "Last-Attempt-Date: Tue, 02 Dec 2025 07:00:00 +0000\r\n",
	    /* the second: no reply text with its code; no ORCPT */
	    "\r\n\r\nFinal-Recipient: rfc822; carol@example.com\r\n"
	    "Action: failed\r\nStatus: 5.2.2\r\n"
	    "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n",
	    /* the fourth, our own reason: no Diagnostic-Code */
	    "\r\n\r\nFinal-Recipient: rfc822; erin@example.com\r\n"
	    "Action: failed\r\nStatus: 5.4.7\r\n",
	};
	struct dsn_rcpt r[5];
	struct dsn d;
	struct report rp;
	size_t i;

	r[0] = bob_550;
	memset(&r[1], 0, sizeof(r[1]));
	r[1].addr = "carol@example.com";
	r[1].action = DSN_ACT_FAILED;
	r[1].code = 552;
	r[1].reply = "5.2.2 mailbox full";
	r[2] = r[1];
	r[2].addr = "dave@example.com"; /* NOTIFY=SUCCESS: not reported */
	r[2].notify = SMTP_NOTIFY_SUCCESS;
	memset(&r[3], 0, sizeof(r[3]));
	r[3].addr = "erin@example.com";
	r[3].action = DSN_ACT_FAILED;
	r[3].status = "5.4.7";
	r[3].reply = "delivery time expired";
	r[4] = r[3];
	r[4].addr = "frank@example.com"; /* NOTIFY=NEVER */
	r[4].notify = SMTP_NOTIFY_NEVER;
	dsn_init(&d, r, 5);
	ATF_CHECK_EQ(dsn_count(&d), 3);
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ATF_CHECK_MSG(has(&rp, want[i]), "no %s", want[i]);
	ATF_CHECK(strncmp(rp.out.data, want[0], strlen(want[0])) == 0);
	ATF_CHECK(strcasecmp(rp.p[1]->subtype, "delivery-status") == 0);
	for (i = 0; i < sizeof(status) / sizeof(status[0]); i++)
		ATF_CHECK_MSG(strstr(rp.status, status[i]) != NULL,
		    "no %s in:\n%s", status[i], rp.status);
	ATF_CHECK(strstr(rp.status, "dave@") == NULL);
	ATF_CHECK(strstr(rp.status, "frank@") == NULL);
	ATF_CHECK(!has(&rp, "dave@") && !has(&rp, "frank@"));
	/* For a person: the address, the server, its words, what to do. */
	ATF_CHECK(has(&rp,
	    "\r\n<bob@example.net>\r\n"
	    "    The receiving server mx.example.net[192.0.2.1] "
	    "said:\r\n        550 5.1.1 <bob@example.net>: "));
	ATF_CHECK(has(&rp,
	    "<carol@example.com>\r\n    The receiving server "
	    "said:\r\n        552 5.2.2 mailbox full\r\n"));
	ATF_CHECK(has(&rp,
	    "<erin@example.com>\r\n    Reason:\r\n"
	    "        delivery time expired\r\n"));
	ATF_CHECK(has(&rp, "What you can do:"));
	ATF_CHECK(has(&rp, "Content-Type: text/plain; charset=utf-8\r\n"));
	ATF_CHECK_EQ(rp.needs, 0);
	report_free(&rp);
}

/* A delay notice: Subject, Action delayed, Will-Retry-Until; failed
   recipients are not in it. */
ATF_TC_WITHOUT_HEAD(delay);
ATF_TC_BODY(delay, tc)
{
	struct dsn_rcpt r[4];
	struct dsn d;
	struct report rp;

	memset(r, 0, sizeof(r));
	r[3] = bob_550;
	r[3].addr = "erin@example.net"; /* failed: not in a delay notice */
	r[0].addr = "bob@example.net";
	r[0].action = DSN_ACT_DELAYED;
	r[0].code = 451;
	r[0].reply = "451 4.7.1 greylisted, try again later";
	r[0].relay = "mx.example.net[192.0.2.1]";
	r[0].last_attempt = 1764658800;
	r[0].retry_until = 1765090000;
	r[1] = r[0];
	r[1].addr = "carol@example.net";
	r[1].notify = SMTP_NOTIFY_FAILURE; /* no DELAY */
	r[2] = r[0];
	r[2].addr = "dave@example.net";
	r[2].notify = SMTP_NOTIFY_DELAY | SMTP_NOTIFY_FAILURE;
	dsn_init(&d, r, 4);
	d.kind = DSN_DELAY;
	d.envid = NULL;
	d.ret = SMTP_RET_FULL; /* about failed DSNs only: the header */
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(has(&rp,
	    "\r\nSubject: Delayed Mail (still being retried)"
	    "\r\n"));
	ATF_CHECK(strstr(rp.status, "Action: delayed\r\nStatus: 4.7.1\r\n"));
	ATF_CHECK(strstr(rp.status,
	    "Will-Retry-Until: Sun, 07 Dec 2025 "
	    "06:46:40 +0000\r\n"));
	ATF_CHECK(strstr(rp.status, "Original-Envelope-Id") == NULL);
	ATF_CHECK(strstr(rp.status, "dave@example.net"));
	ATF_CHECK(!has(&rp, "carol@"));
	ATF_CHECK(!has(&rp, "erin@"));
	ATF_CHECK(has(&rp, "not need to send the message again"));
	ATF_CHECK(has(&rp, "    Will be retried until Sun, 07 Dec 2025 "));
	check_part3(&rp, "rfc822-headers", ORIG_HDR, strlen(ORIG_HDR));
	report_free(&rp);
}

/* A success report (NOTIFY=SUCCESS): delivered and relayed. */
ATF_TC_WITHOUT_HEAD(success);
ATF_TC_BODY(success, tc)
{
	struct dsn_rcpt r[3];
	struct dsn d;
	struct report rp;

	memset(r, 0, sizeof(r));
	r[0].addr = "bob@example.net";
	r[0].notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	r[0].action = DSN_ACT_RELAYED;
	r[0].code = 250;
	r[0].reply = "250 2.0.0 Ok: queued as 4Xyz";
	r[0].relay = "mx.example.net[192.0.2.1]";
	r[1] = r[0];
	r[1].addr = "carol@example.net";
	r[1].action = DSN_ACT_DELIVERED;
	r[2] = r[0];
	r[2].addr = "dave@example.net";
	r[2].notify = 0; /* no NOTIFY: no success report */
	dsn_init(&d, r, 3);
	d.kind = DSN_SUCCESS;
	ATF_CHECK_EQ(dsn_count(&d), 2);
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(has(&rp, "\r\nSubject: Successful Mail Delivery Report\r\n"));
	ATF_CHECK(strstr(rp.status,
	    "Final-Recipient: rfc822; bob@example.net"
	    "\r\nAction: relayed\r\nStatus: 2.0.0\r\n"));
	ATF_CHECK(strstr(rp.status,
	    "Final-Recipient: rfc822; carol@example."
	    "net\r\nAction: delivered\r\n"));
	ATF_CHECK(!has(&rp, "dave@"));
	/* Nothing was undelivered. */
	ATF_CHECK(has(&rp, "\r\nContent-Description: Message Headers\r\n"));
	ATF_CHECK(!has(&rp, "Undelivered"));
	check_part3(&rp, "rfc822-headers", ORIG_HDR, strlen(ORIG_HDR));
	report_free(&rp);
}

/* Refusals: the null sender (RFC 3461 §6.1, RFC 5321 §4.5.5), nobody
   to tell, a bad host, a short original. */
ATF_TC_WITHOUT_HEAD(refused);
ATF_TC_BODY(refused, tc)
{
	struct dsn_rcpt r = bob_550;
	struct dsn d;
	struct report rp;

	dsn_init(&d, &r, 1);
	d.from = "";
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.err_no, EINVAL);
	ATF_CHECK(strstr(rp.err, "null sender") != NULL);
	ATF_CHECK_EQ(rp.out.len, 0);
	report_free(&rp);

	d.from = "<>";
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.out.len, 0);
	report_free(&rp);

	d.from = "a\r\nBcc: x@y";
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	report_free(&rp);

	dsn_init(&d, &r, 1);
	d.host = "bad host";
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.err_no, EINVAL);
	report_free(&rp);

	dsn_init(&d, &r, 1);
	r.notify = SMTP_NOTIFY_NEVER;
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.err_no, ENOENT);
	report_free(&rp);
	r.notify = SMTP_NOTIFY_DELAY; /* a failure, no FAILURE */
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.err_no, ENOENT);
	report_free(&rp);
	r.notify = 0;

	d.kind = DSN_SUCCESS; /* bob failed: not in a success report */
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.err_no, ENOENT);
	report_free(&rp);

	d.kind = (enum dsn_kind)7;
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_EQ(rp.err_no, EINVAL);
	report_free(&rp);
}

/* A hostile reply: line ends, controls, a fake boundary, a very long
   word: nothing of it starts a line or passes the line bound. */
ATF_TC_WITHOUT_HEAD(hostile_reply);
ATF_TC_BODY(hostile_reply, tc)
{
	struct dsn_rcpt r = bob_550;
	struct dsn d;
	struct report rp;
	struct buf reply, relay;
	size_t i;

	buf_init(&reply, 0);
	buf_init(&relay, 0);
	ATF_REQUIRE(buf_puts(&reply,
			"550 5.1.1 no\r\n--=_yubin-T-000\r\n"
			"Content-Type: text/html\r\n\r\n"
			"<b>x</b>\x1b[2J\xff\xfe ") == 0);
	for (i = 0; i < 1500; i++)
		ATF_REQUIRE(buf_putc(&reply, 'w') == 0);
	r.reply = reply.data;
	ATF_REQUIRE(buf_puts(&relay, "evil\r\nX-Injected: 1") == 0);
	for (i = 0; i < 1500; i++)
		ATF_REQUIRE(buf_putc(&relay, 'r') == 0);
	ATF_REQUIRE(buf_puts(&relay, "[192.0.2.9]") == 0);
	r.relay = relay.data;
	r.orcpt = "rfc822;a+0D+0AX-Injected:+201@b";
	dsn_init(&d, &r, 1);
	run(&rp, &d, ORIG, strlen(ORIG));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(!has(&rp, "\nX-Injected"));
	ATF_CHECK(!has(&rp, "\n--=_yubin-T-000\r\nContent-Type: text/html"));
	ATF_CHECK(strstr(rp.status, "Original-Recipient") == NULL);
	ATF_CHECK(
	    strstr(rp.status, "Diagnostic-Code: smtp; 550 5.1.1 no --=_"));
	ATF_CHECK(strstr(rp.status, "??") != NULL); /* not UTF-8 */
	ATF_CHECK(rp.needs == 0);
	report_free(&rp);
	buf_free(&reply);
	buf_free(&relay);
}

/* UTF-8: an SMTPUTF8 recipient makes the report's status global (RFC
   6533), an 8-bit original asks for 8BITMIME, a UTF-8 sender for
   SMTPUTF8. */
ATF_TC_WITHOUT_HEAD(utf8);
ATF_TC_BODY(utf8, tc)
{
	static const char orig8[] = "From: J\xc3\xb6rg <j@example.org>\r\n"
				    "Subject: gr\xc3\xbc\xc3\x9f\x65\r\n\r\n"
				    "caf\xc3\xa9\r\n";
	struct dsn_rcpt r = bob_550;
	struct dsn d;
	struct report rp;

	/* An 8-bit original, not SMTPUTF8, ASCII addresses. */
	dsn_init(&d, &r, 1);
	d.eightbit = 1;
	run(&rp, &d, orig8, strlen(orig8));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	check_part3(&rp, "rfc822", orig8, strlen(orig8));
	ATF_CHECK(has(&rp,
	    "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"));
	ATF_CHECK_EQ(rp.needs, DSN_NEED_8BITMIME);
	ATF_CHECK(strcasecmp(rp.p[1]->subtype, "delivery-status") == 0);
	report_free(&rp);

	/* SMTPUTF8: a UTF-8 recipient and sender. */
	r.addr = "b\xc3\xb6"
		 "b@example.net";
	r.orcpt = "utf-8;b\xc3\xb6"
		  "b@example.net";
	d.smtputf8 = 1;
	d.from = "\xc3\xa4lice@example.org";
	d.ret = SMTP_RET_HDRS;
	run(&rp, &d, orig8, strlen(orig8));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(strcasecmp(rp.p[1]->subtype, "global-delivery-status") == 0);
	ATF_CHECK(strstr(rp.status,
	    "Original-Recipient: utf-8; b\xc3\xb6"
	    "b@example.net\r\n"
	    "Final-Recipient: utf-8; b\xc3\xb6"
	    "b@example.net\r\n"));
	ATF_CHECK(strcasecmp(rp.p[2]->subtype, "global-headers") == 0);
	ATF_CHECK(has(&rp, "To: <\xc3\xa4lice@example.org>\r\n"));
	ATF_CHECK_EQ(rp.needs, DSN_NEED_8BITMIME | DSN_NEED_SMTPUTF8);
	report_free(&rp);

	/* Ill-formed UTF-8 past the first character: no Original-Recipient
	   (the whole address is checked, not its first character), and
	   no report to such a sender. */
	r.orcpt = "utf-8;b\xc3\xb6"
		  "b\xff@example.net";
	run(&rp, &d, orig8, strlen(orig8));
	ATF_REQUIRE_EQ_MSG(rp.rc, 0, "%s", rp.err);
	ATF_CHECK(strstr(rp.status, "Original-Recipient") == NULL);
	report_free(&rp);
	d.from = "al\xc3ice@example.org";
	run(&rp, &d, orig8, strlen(orig8));
	ATF_CHECK_EQ(rp.rc, -1);
	ATF_CHECK_MSG(strstr(rp.err, "no address") != NULL, "%s", rp.err);
	report_free(&rp);
}

/* The original is read where it lies: a file shorter than its size is
   an error, not a short report. */
ATF_TC_WITHOUT_HEAD(short_file);
ATF_TC_BODY(short_file, tc)
{
	struct dsn d;
	char err[ERR_MAX];
	int in, out;

	in = open("queued", O_RDWR | O_CREAT | O_TRUNC, 0600);
	out = open("report", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(in >= 0 && out >= 0);
	ATF_REQUIRE(util_write_all(in, ORIG, strlen(ORIG)) == 0);
	dsn_init(&d, &bob_550, 1);
	ATF_CHECK_EQ(
	    dsn_write(&d, in, 10, strlen(ORIG), out, NULL, err, sizeof(err)),
	    -1);
	ATF_CHECK_EQ(errno, EIO);
	ATF_CHECK(strstr(err, "shorter") != NULL);
	close(in);
	close(out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, wanted);
	ATF_TP_ADD_TC(tp, xtext);
	ATF_TP_ADD_TC(tp, original_table);
	ATF_TP_ADD_TC(tp, huge);
	ATF_TP_ADD_TC(tp, header_bounds);
	ATF_TP_ADD_TC(tp, boundary);
	ATF_TP_ADD_TC(tp, fields);
	ATF_TP_ADD_TC(tp, delay);
	ATF_TP_ADD_TC(tp, success);
	ATF_TP_ADD_TC(tp, refused);
	ATF_TP_ADD_TC(tp, hostile_reply);
	ATF_TP_ADD_TC(tp, utf8);
	ATF_TP_ADD_TC(tp, short_file);
	return atf_no_error();
}
