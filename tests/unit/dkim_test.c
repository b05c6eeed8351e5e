/*
 * dkim_test: common/dkim (RFC 6376, RFC 8463, RFC 8301).  The pure
 * parts in tables: tag lists (§3.2), the DKIM-Signature field (§3.5),
 * key records (§3.6.1), canonicalization with the example of §3.4.5,
 * header selection (§5.4.2), b= removal (§3.7).  Then the crypto: the
 * RFC 8463 Appendix A message verifies (Ed25519 and RSA), and RSA-2048
 * and Ed25519 keys generated here (never committed) sign and verify,
 * with tampered, expired, revoked and missing-key cases; l= is
 * verified and reported; RSA under 1024 bits and rsa-sha1 are refused
 * (RFC 8301).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "util.h"

ATF_TC_WITHOUT_HEAD(tags);
ATF_TC_BODY(tags, tc)
{
	static const struct {
		const char *in;
		int n; /* -1: refused */
		const char *last; /* name=value of the last tag */
	} t[] = {
	    {"", 0, NULL},
	    {"a=1", 1, "a=1"},
	    {"a=1;", 1, "a=1"},
	    {" a = 1 ; b=2 ;  ", 2, "b=2"},
	    {"a=1;\r\n\tb=x y", 2, "b=x y"},
	    {"v=1; a=rsa-sha256; b=", 3, "b="},
	    {"a_b1=z", 1, "a_b1=z"},
	    {"a=1;;b=2", -1, NULL},
	    {"a", -1, NULL},
	    {"=1", -1, NULL},
	    {"1a=1", -1, NULL},
	    {"a-b=1", -1, NULL},
	    {"a=1; a=2", -1, NULL},
	};
	struct dkim_tag tg[8];
	char err[ERR_MAX], got[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = dkim_tags_parse(
		    t[i].in, strlen(t[i].in), tg, 8, err, sizeof(err));
		ATF_CHECK_EQ_MSG(n, t[i].n, "%zu \"%s\": %d %s", i, t[i].in, n,
		    n == -1 ? err : "");
		if (n > 0 && t[i].last != NULL) {
			(void)snprintf(got, sizeof(got), "%.*s=%.*s",
			    (int)tg[n - 1].namelen, tg[n - 1].name,
			    (int)tg[n - 1].vallen, tg[n - 1].val);
			ATF_CHECK_STREQ_MSG(got, t[i].last, "%zu", i);
		}
	}
}

static int
collect(void *arg, const char *p, size_t n)
{
	return buf_append(arg, p, n);
}

static void
body_canon(int canon, const char *in, size_t len, struct buf *out, int split)
{
	struct dkim_body b;
	size_t i;

	buf_reset(out);
	dkim_body_init(&b, canon);
	if (split) /* a byte at a time: the state machine across calls */
		for (i = 0; i < len; i++)
			ATF_REQUIRE(
			    dkim_body_update(&b, in + i, 1, collect, out) == 0);
	else
		ATF_REQUIRE(dkim_body_update(&b, in, len, collect, out) == 0);
	ATF_REQUIRE(dkim_body_final(&b, collect, out) == 0);
}

ATF_TC_WITHOUT_HEAD(canon_body);
ATF_TC_BODY(canon_body, tc)
{
	static const struct {
		const char *in, *simple, *relaxed;
	} t[] = {
	    /* RFC 6376 §3.4.5 */
	    {" C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n"},
	    /* the same with bare LF: hashed as CRLF */
	    {" C \nD \t E\n\n\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n"},
	    /* empty bodies: simple is one CRLF, relaxed nothing */
	    {"", "\r\n", ""},
	    {"\r\n\r\n", "\r\n", ""},
	    {"\n", "\r\n", ""},
	    {" \t\r\n", " \t\r\n", ""},
	    /* a last line without its end gets one */
	    {"abc", "abc\r\n", "abc\r\n"},
	    {"a\r\n\r\nb", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
	    /* empty lines inside stay */
	    {"a\n\n \nb\n\n", "a\r\n\r\n \r\nb\r\n", "a\r\n\r\n\r\nb\r\n"},
	    /* a lone CR is a byte of the line */
	    {"a\rb\r\n", "a\rb\r\n", "a\rb\r\n"},
	    {"a\r", "a\r\r\n", "a\r\r\n"},
	    /* 8-bit bytes as they are */
	    {"\xe6\x97\xa5 \xe6\x9c\xac\n", "\xe6\x97\xa5 \xe6\x9c\xac\r\n",
		"\xe6\x97\xa5 \xe6\x9c\xac\r\n"},
	};
	struct buf out = BUF_INIT;
	size_t i;
	int split;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (split = 0; split < 2; split++) {
			body_canon(
			    DKIM_SIMPLE, t[i].in, strlen(t[i].in), &out, split);
			ATF_CHECK_MSG(out.len == strlen(t[i].simple) &&
				memcmp(out.data, t[i].simple, out.len) == 0,
			    "%zu simple split=%d", i, split);
			body_canon(DKIM_RELAXED, t[i].in, strlen(t[i].in), &out,
			    split);
			ATF_CHECK_MSG(out.len == strlen(t[i].relaxed) &&
				(out.len == 0 ||
				    memcmp(out.data, t[i].relaxed, out.len) ==
					0),
			    "%zu relaxed split=%d", i, split);
		}
	buf_free(&out);
}

ATF_TC_WITHOUT_HEAD(canon_header);
ATF_TC_BODY(canon_header, tc)
{
	static const struct {
		const char *in, *simple, *relaxed;
	} t[] = {
	    /* RFC 6376 §3.4.5 */
	    {"A: X\r\n", "A: X\r\n", "a:X\r\n"},
	    {"B : Y\t\r\n\tZ  \r\n", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n"},
	    /* bare LF, folded */
	    {"Subject: a\n  b\n", "Subject: a\r\n  b\r\n", "subject:a b\r\n"},
	    {"X:\r\n", "X:\r\n", "x:\r\n"},
	    {"X-Y:   \t v  \r\n", "X-Y:   \t v  \r\n", "x-y:v\r\n"},
	    {"X: \xc3\xa9  t", "X: \xc3\xa9  t\r\n", "x:\xc3\xa9 t\r\n"},
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&out);
		ATF_REQUIRE(dkim_canon_header(DKIM_SIMPLE, t[i].in,
				strlen(t[i].in), &out) == 0);
		ATF_CHECK_STREQ_MSG(buf_cstr(&out), t[i].simple, "%zu", i);
		buf_reset(&out);
		ATF_REQUIRE(dkim_canon_header(DKIM_RELAXED, t[i].in,
				strlen(t[i].in), &out) == 0);
		ATF_CHECK_STREQ_MSG(buf_cstr(&out), t[i].relaxed, "%zu", i);
	}
	buf_free(&out);
}

#define SIG_OK_TAIL "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA"

ATF_TC_WITHOUT_HEAD(sig_parse);
ATF_TC_BODY(sig_parse, tc)
{
	static const struct {
		const char *in;
		int rc;
		const char *err; /* part of the reason */
	} t[] = {
	    {"v=1; a=rsa-sha256; d=Example.COM; s=sel; h=from:to; " SIG_OK_TAIL,
		0, NULL},
	    {"v=1; a=ed25519-sha256; c=relaxed; d=x.example; s=s; "
	     "h=To : FROM; i=joe@sub.x.example; t=100; x=200; l=5; "
	     "q=dns/txt; " SIG_OK_TAIL,
		0, NULL},
	    {"v=1; a=rsa-sha1; d=x.example; s=s; h=from; " SIG_OK_TAIL, 0,
		NULL},
	    {"a=rsa-sha256; d=x.example; s=s; h=from; " SIG_OK_TAIL, -1, "v="},
	    {"v=2; a=rsa-sha256; d=x.example; s=s; h=from; " SIG_OK_TAIL, -1,
		"v="},
	    {"v=1; a=rsa-md5; d=x.example; s=s; h=from; " SIG_OK_TAIL, -1,
		"algorithm"},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=to:subject; " SIG_OK_TAIL,
		-1, "From"},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
	     "i=a@other.example; " SIG_OK_TAIL,
		-1, "i="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
	     "i=a@badx.example; " SIG_OK_TAIL,
		-1, "i="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; t=200; "
	     "x=100; " SIG_OK_TAIL,
		-1, "x="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
	     "c=fancy; " SIG_OK_TAIL,
		-1, "c="},
	    {"v=1; a=rsa-sha256; d=x.example; h=from; " SIG_OK_TAIL, -1, "s="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=!!; b=AAAA", -1,
		"bh="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
	     "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=",
		-1, "b="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; l=x; " SIG_OK_TAIL,
		-1, "l="},
	    {"v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
	     "q=http; " SIG_OK_TAIL,
		-1, "q="},
	    {"v=1; v=1; a=rsa-sha256; d=x.example; s=s; h=from; " SIG_OK_TAIL,
		-1, "twice"},
	};
	struct dkim_sig *s;
	char err[ERR_MAX];
	size_t i;
	int rc;

	s = malloc(sizeof(*s));
	ATF_REQUIRE(s != NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = dkim_sig_parse(
		    t[i].in, strlen(t[i].in), s, err, sizeof(err));
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "%zu: %s", i, err);
		if (rc == -1 && t[i].err != NULL)
			ATF_CHECK_MSG(strstr(err, t[i].err) != NULL,
			    "%zu: \"%s\" lacks \"%s\"", i, err, t[i].err);
	}
	/* the second in detail */
	ATF_REQUIRE(
	    dkim_sig_parse(t[1].in, strlen(t[1].in), s, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(s->alg, DKIM_ED25519_SHA256);
	ATF_CHECK_EQ(s->hcanon, DKIM_RELAXED);
	ATF_CHECK_EQ(s->bcanon, DKIM_SIMPLE); /* c=relaxed: body simple */
	ATF_CHECK_STREQ(s->d, "x.example");
	ATF_CHECK_EQ(s->nh, 2);
	ATF_CHECK_STREQ(s->h[0], "To");
	ATF_CHECK_STREQ(s->h[1], "FROM");
	ATF_CHECK(s->has_l && s->l == 5);
	ATF_CHECK(s->has_t && s->t == 100 && s->has_x && s->x == 200);
	ATF_CHECK_EQ(s->bhlen, 32);
	ATF_CHECK_EQ(s->blen, 3);
	ATF_REQUIRE(
	    dkim_sig_parse(t[0].in, strlen(t[0].in), s, err, sizeof(err)) == 0);
	ATF_CHECK_STREQ(s->d, "example.com");
	ATF_CHECK_STREQ(s->i, "@example.com");
	free(s);
}

ATF_TC_WITHOUT_HEAD(key_parse);
ATF_TC_BODY(key_parse, tc)
{
	static const struct {
		const char *in;
		int rc, k, revoked, testing, strict, sha256;
	} t[] = {
	    {"v=DKIM1; k=rsa; p=AAAA", 0, DKIM_K_RSA, 0, 0, 0, 1},
	    {"p=AAAA", 0, DKIM_K_RSA, 0, 0, 0, 1},
	    {"v=DKIM1; k=ed25519; "
	     "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		0, DKIM_K_ED25519, 0, 0, 0, 1},
	    {"v=DKIM1; p=", 0, DKIM_K_RSA, 1, 0, 0, 1},
	    {"v=DKIM1; t=y:s; p=AAAA", 0, DKIM_K_RSA, 0, 1, 1, 1},
	    {"v=DKIM1; h=sha1; p=AAAA", 0, DKIM_K_RSA, 0, 0, 0, 0},
	    {"v=DKIM1; h=sha1:sha256; p=AA AA", 0, DKIM_K_RSA, 0, 0, 0, 1},
	    {"v=DKIM1; k=dsa; p=AAAA", -1, 0, 0, 0, 0, 0},
	    {"k=rsa; v=DKIM1; p=AAAA", -1, 0, 0, 0, 0, 0},
	    {"v=DKIM2; p=AAAA", -1, 0, 0, 0, 0, 0},
	    {"v=DKIM1; k=rsa", -1, 0, 0, 0, 0, 0},
	    {"v=DKIM1; p=@@@@", -1, 0, 0, 0, 0, 0},
	    {"v=spf1 -all", -1, 0, 0, 0, 0, 0},
	    {"v=DKIM1; s=email; p=AAAA", 0, DKIM_K_RSA, 0, 0, 0, 1},
	    {"v=DKIM1; s=* ; p=AAAA", 0, DKIM_K_RSA, 0, 0, 0, 1},
	    {"v=DKIM1; s=tlsrpt:email; p=AAAA", 0, DKIM_K_RSA, 0, 0, 0, 1},
	    {"v=DKIM1; s=tlsrpt; p=AAAA", -1, 0, 0, 0, 0, 0},
	};
	struct dkim_key *k;
	char err[ERR_MAX];
	size_t i;
	int rc;

	k = malloc(sizeof(*k));
	ATF_REQUIRE(k != NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = dkim_key_parse(
		    t[i].in, strlen(t[i].in), k, err, sizeof(err));
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "%zu \"%s\": %s", i, t[i].in,
		    rc == -1 ? err : "");
		if (rc != 0 || t[i].rc != 0)
			continue;
		ATF_CHECK_EQ_MSG(k->k, t[i].k, "%zu", i);
		ATF_CHECK_EQ_MSG(k->revoked, t[i].revoked, "%zu", i);
		ATF_CHECK_EQ_MSG(k->testing, t[i].testing, "%zu", i);
		ATF_CHECK_EQ_MSG(k->strict, t[i].strict, "%zu", i);
		ATF_CHECK_EQ_MSG(k->sha256, t[i].sha256, "%zu", i);
	}
	free(k);
}

ATF_TC_WITHOUT_HEAD(select);
ATF_TC_BODY(select, tc)
{
	static const char msg[] = "Received: a\r\nFrom: x\r\nTo: y\r\n"
				  "Subject: 1\r\n\tfolded\r\nsubject: 2\n"
				  "List-Id: l\r\n\r\nbody\r\n";
	char names[5][DKIM_HNAME_MAX + 1] = {
	    "from", "Subject", "subject", "SUBJECT", "cc"};
	char defs[DKIM_HEADERS_MAX][DKIM_HNAME_MAX + 1];
	struct dkim_hdr f[10];
	size_t body;
	int idx[5], n;

	n = dkim_split(msg, sizeof(msg) - 1, f, 10, &body);
	ATF_REQUIRE_EQ(n, 6);
	ATF_CHECK_EQ(f[3].len, strlen("Subject: 1\r\n\tfolded\r\n"));
	ATF_CHECK_STREQ(msg + body, "body\r\n");
	dkim_select(f, n, (const char(*)[DKIM_HNAME_MAX + 1]) names, 5, idx);
	ATF_CHECK_EQ(idx[0], 1);
	ATF_CHECK_EQ(idx[1], 4); /* bottom up */
	ATF_CHECK_EQ(idx[2], 3);
	ATF_CHECK_EQ(idx[3], -1); /* none left: signs nothing */
	ATF_CHECK_EQ(idx[4], -1);
	ATF_CHECK_EQ(dkim_split(msg, sizeof(msg) - 1, f, 3, &body), -1);
	/* defaults: From, To, Subject twice, From once more; no List-* */
	n = dkim_split(msg, sizeof(msg) - 1, f, 10, &body);
	ATF_REQUIRE_EQ(dkim_default_headers(f, n, defs), 5);
	ATF_CHECK_STREQ(defs[0], "from");
	ATF_CHECK_STREQ(defs[1], "to");
	ATF_CHECK_STREQ(defs[2], "subject");
	ATF_CHECK_STREQ(defs[3], "subject");
	ATF_CHECK_STREQ(defs[4], "from");
}

ATF_TC_WITHOUT_HEAD(strip_b);
ATF_TC_BODY(strip_b, tc)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"DKIM-Signature: v=1; b=abc; bh=xyz",
		"DKIM-Signature: v=1; b=; bh=xyz"},
	    {"DKIM-Signature: v=1; bh=xyz;\r\n b=ab\r\n cd\r\n",
		"DKIM-Signature: v=1; bh=xyz;\r\n b="},
	    {"DKIM-Signature: b = a b ;v=1", "DKIM-Signature: b =;v=1"},
	    {"DKIM-Signature: v=1", "DKIM-Signature: v=1"},
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&out);
		ATF_REQUIRE(dkim_strip_b(t[i].in, strlen(t[i].in), &out) == 0);
		ATF_CHECK_STREQ_MSG(buf_cstr(&out), t[i].out, "%zu", i);
	}
	buf_free(&out);
}

ATF_TC_WITHOUT_HEAD(base64);
ATF_TC_BODY(base64, tc)
{
	unsigned char out[16];
	struct buf b = BUF_INIT;

	ATF_CHECK_EQ(dkim_base64_decode("Zm9v", 4, out, sizeof(out)), 3);
	ATF_CHECK_EQ(
	    dkim_base64_decode("Zm9 v\r\n\tYg==", 12, out, sizeof(out)), 4);
	ATF_CHECK(memcmp(out, "foob", 4) == 0);
	ATF_CHECK_EQ(dkim_base64_decode("Zm9vYmE=", 8, out, sizeof(out)), 5);
	ATF_CHECK_EQ(dkim_base64_decode("Zm9vY", 5, out, sizeof(out)), -1);
	ATF_CHECK_EQ(dkim_base64_decode("Zg=a", 4, out, sizeof(out)), -1);
	ATF_CHECK_EQ(dkim_base64_decode("Zh==", 4, out, sizeof(out)), -1);
	ATF_CHECK_EQ(dkim_base64_decode("Zm9vYmFy", 8, out, 5), -1);
	ATF_REQUIRE(
	    dkim_base64_encode((const unsigned char *)"fooba", 5, &b) == 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "Zm9vYmE=");
	buf_free(&b);
}

/* ------------------------------------------------------------ crypto */

/* Keys by name, for dkim_verify. */
struct keys {
	const char *name[4];
	const char *rec[4];
	int tempfail;
};

static int
key_fn(void *arg, const char *name, char *txt, size_t txtlen, char *err,
    size_t errlen)
{
	struct keys *k = arg;
	int i;

	if (k->tempfail) {
		util_seterr(err, errlen, "SERVFAIL");
		return DNS_TEMPFAIL;
	}
	for (i = 0; i < 4 && k->name[i] != NULL; i++)
		if (strcmp(k->name[i], name) == 0) {
			util_strlcpy(txt, k->rec[i], txtlen);
			return DNS_OK;
		}
	util_seterr(err, errlen, "NXDOMAIN");
	return DNS_NXDOMAIN;
}

/* RFC 8463 Appendix A.2 and A.3 (with LF line ends: verified as CRLF). */
static const char rfc8463_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\n"
    " subject : date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\n"
    " date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\n"
    "From: Joe SixPack <joe@football.example.com>\n"
    "To: Suzie Q <suzie@shopping.example.net>\n"
    "Subject: Is dinner ready?\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\n"
    "\n"
    "Hi.\n"
    "\n"
    "We lost the game.  Are you hungry yet?\n"
    "\n"
    "Joe.\n";

static struct keys rfc8463_keys = {
    {"brisbane._domainkey.football.example.com",
	"test._domainkey.football.example.com", NULL, NULL},
    {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
	"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
	"Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
	NULL, NULL},
    0};

ATF_TC_WITHOUT_HEAD(rfc8463);
ATF_TC_BODY(rfc8463, tc)
{
	struct dkim_result res[4];
	char *tampered, *p;
	int n;

	n = dkim_verify(rfc8463_msg, sizeof(rfc8463_msg) - 1, 1528637909 + 60,
	    key_fn, &rfc8463_keys, res, 4);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK_EQ_MSG(
	    res[0].status, DKIM_PASS, "ed25519: %s", res[0].reason);
	ATF_CHECK_EQ(res[0].alg, DKIM_ED25519_SHA256);
	ATF_CHECK_STREQ(res[0].d, "football.example.com");
	ATF_CHECK_STREQ(res[0].s, "brisbane");
	ATF_CHECK_EQ_MSG(res[1].status, DKIM_PASS, "rsa: %s", res[1].reason);
	ATF_CHECK_EQ(res[1].bits, 1024);
	/* The body changed: both fail on the body hash. */
	tampered = strdup(rfc8463_msg);
	ATF_REQUIRE(tampered != NULL);
	p = strstr(tampered, "hungry");
	p[0] = 'H';
	n = dkim_verify(tampered, strlen(tampered), 1528637909 + 60, key_fn,
	    &rfc8463_keys, res, 4);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_FAIL);
	ATF_CHECK(strstr(res[0].reason, "body hash") != NULL);
	p[0] = 'h';
	p = strstr(tampered, "dinner");
	p[0] = 'D';
	n = dkim_verify(tampered, strlen(tampered), 1528637909 + 60, key_fn,
	    &rfc8463_keys, res, 4);
	ATF_CHECK_EQ(res[0].status, DKIM_FAIL);
	ATF_CHECK_EQ(res[1].status, DKIM_FAIL);
	ATF_CHECK(strstr(res[1].reason, "signature") != NULL);
	free(tampered);
}

/*
 * The streaming verifier: the RFC 8463 message (LF and CRLF) with its
 * body given in pieces of every size from 1 (a CR and its LF apart) to
 * all of it, and the header section given without the empty line too,
 * verifies as it does whole; its last character changed, it fails.
 */
ATF_TC_WITHOUT_HEAD(streaming);
ATF_TC_BODY(streaming, tc)
{
	struct dkim_verifier *v;
	struct dkim_result res[4];
	struct buf m = BUF_INIT;
	const char *body;
	size_t i, hlen, blen, step, pos;
	int crlf, tamper, n;

	for (crlf = 0; crlf < 2; crlf++) {
		buf_reset(&m);
		for (i = 0; i < sizeof(rfc8463_msg) - 1; i++) {
			if (rfc8463_msg[i] == '\n' && crlf)
				ATF_REQUIRE(buf_putc(&m, '\r') == 0);
			ATF_REQUIRE(buf_putc(&m, rfc8463_msg[i]) == 0);
		}
		body = strstr(m.data, crlf ? "\r\n\r\n" : "\n\n");
		ATF_REQUIRE(body != NULL);
		hlen = (size_t)(body - m.data) + (crlf ? 4 : 2);
		body = m.data + hlen;
		blen = m.len - hlen;
		for (tamper = 0; tamper < 2; tamper++)
			for (step = 1; step <= blen; step++) {
				/* without the empty line when step is odd */
				v = dkim_verifier_new(m.data,
				    step % 2 ? hlen - (crlf ? 2 : 1) : hlen,
				    1528637909 + 60, key_fn, &rfc8463_keys, 4);
				ATF_REQUIRE(v != NULL);
				/* the body's last character */
				m.data[m.len - (crlf ? 3 : 2)] ^= tamper;
				for (pos = 0; pos < blen; pos += step)
					dkim_verifier_body(v, body + pos,
					    blen - pos < step ? blen - pos
							      : step);
				m.data[m.len - (crlf ? 3 : 2)] ^= tamper;
				n = dkim_verifier_end(v, res, 4);
				dkim_verifier_free(v);
				ATF_REQUIRE_EQ(n, 2);
				ATF_CHECK_EQ_MSG(res[0].status,
				    tamper ? DKIM_FAIL : DKIM_PASS,
				    "crlf=%d step=%zu: %s", crlf, step,
				    res[0].reason);
				ATF_CHECK_EQ_MSG(res[1].status,
				    tamper ? DKIM_FAIL : DKIM_PASS,
				    "crlf=%d step=%zu: %s", crlf, step,
				    res[1].reason);
			}
	}
	/* Unsigned, or no header at all: nothing to say. */
	v = dkim_verifier_new("Subject: x\n\n", 12, 0, key_fn,
	    &rfc8463_keys, 4);
	ATF_REQUIRE(v != NULL);
	dkim_verifier_body(v, "hi\n", 3);
	ATF_CHECK_EQ(dkim_verifier_end(v, res, 4), 0);
	dkim_verifier_free(v);
	v = dkim_verifier_new("", 0, 0, key_fn, &rfc8463_keys, 4);
	ATF_REQUIRE(v != NULL);
	ATF_CHECK_EQ(dkim_verifier_end(v, res, 4), 0);
	dkim_verifier_free(v);
	buf_free(&m);
}

/* A new key (RSA-2048 or Ed25519) in PEM: made here, never stored. */
static char *
gen_key(int ed25519, size_t *len)
{
	gnutls_x509_privkey_t k;
	gnutls_datum_t out;
	char *pem;

	ATF_REQUIRE(gnutls_x509_privkey_init(&k) >= 0);
	ATF_REQUIRE(
	    gnutls_x509_privkey_generate(k,
		ed25519 ? GNUTLS_PK_EDDSA_ED25519 : GNUTLS_PK_RSA,
		ed25519 ? GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519) : 2048,
		0) >= 0);
	ATF_REQUIRE(gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_PEM,
			NULL, GNUTLS_PKCS_PLAIN, &out) >= 0);
	pem = malloc(out.size + 1);
	ATF_REQUIRE(pem != NULL);
	memcpy(pem, out.data, out.size);
	pem[out.size] = '\0';
	*len = out.size;
	gnutls_free(out.data);
	gnutls_x509_privkey_deinit(k);
	return pem;
}

static const char plain_msg[] =
    "From: Joe <joe@example.org>\n"
    "To: Sue <sue@example.net>\n"
    "Subject: a long subject that goes on and on, folded once\n"
    " onto a second line\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700\n"
    "Message-ID: <1@example.org>\n"
    "List-Id: not signed by default\n"
    "\n"
    "Hello  there, \t\n"
    "\xe6\x97\xa5\xe6\x9c\xac\n"
    "\n\n";

/* Sign plain_msg (LF ends) with k; the signed message into out, with
   CRLF ends when crlf. */
static void
sign_msg(const struct dkim_signer *k, int hc, int bc, int64_t expire, int crlf,
    struct buf *out)
{
	struct dkim_sign_opts o;
	struct dkim_hdr f[16];
	struct dkim_bh *bh;
	unsigned char hash[32];
	char err[ERR_MAX];
	size_t body, i;
	int nf;

	nf = dkim_split(plain_msg, sizeof(plain_msg) - 1, f, 16, &body);
	ATF_REQUIRE(nf == 6);
	ATF_REQUIRE((bh = dkim_bh_new(bc, -1)) != NULL);
	ATF_REQUIRE(dkim_bh_update(bh, plain_msg + body,
			sizeof(plain_msg) - 1 - body) == 0);
	ATF_REQUIRE(dkim_bh_final(bh, hash, NULL) == 0);
	dkim_bh_free(bh);
	memset(&o, 0, sizeof(o));
	o.domain = "example.org";
	o.selector = "sel";
	o.hcanon = hc;
	o.bcanon = bc;
	o.t = 1700000000;
	o.expire = expire;
	buf_reset(out);
	ATF_REQUIRE_MSG(
	    dkim_sign(k, &o, f, nf, hash, out, err, sizeof(err)) == 0, "%s",
	    err);
	/* every line of the field at most 78 + CRLF */
	for (i = 0; i < out->len;) {
		const char *nl = memchr(out->data + i, '\n', out->len - i);

		ATF_REQUIRE(nl != NULL);
		ATF_CHECK((size_t)(nl - (out->data + i)) <= 79);
		i = (size_t)(nl - out->data) + 1;
	}
	for (i = 0; i < sizeof(plain_msg) - 1; i++) {
		if (plain_msg[i] == '\n' && crlf)
			ATF_REQUIRE(buf_putc(out, '\r') == 0);
		ATF_REQUIRE(buf_putc(out, plain_msg[i]) == 0);
	}
}

static void
round_trip(int ed25519)
{
	struct dkim_signer *k;
	struct dkim_result res[2];
	struct buf rec = BUF_INIT, m = BUF_INIT, rec2 = BUF_INIT;
	struct keys keys;
	char err[ERR_MAX], *pem, *p;
	size_t len;
	int hc, bc, crlf, n;

	pem = gen_key(ed25519, &len);
	k = dkim_signer_new(pem, len, err, sizeof(err));
	ATF_REQUIRE_MSG(k != NULL, "%s", err);
	ATF_CHECK_EQ(dkim_signer_alg(k),
	    ed25519 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256);
	ATF_REQUIRE(dkim_signer_record(k, &rec) == 0);
	memset(&keys, 0, sizeof(keys));
	keys.name[0] = "sel._domainkey.example.org";
	keys.rec[0] = rec.data;
	for (hc = 0; hc < 2; hc++)
		for (bc = 0; bc < 2; bc++)
			for (crlf = 0; crlf < 2; crlf++) {
				sign_msg(k, hc, bc, 0, crlf, &m);
				n = dkim_verify(m.data, m.len, 1700000100,
				    key_fn, &keys, res, 2);
				ATF_REQUIRE_EQ(n, 1);
				ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS,
				    "c=%d/%d crlf=%d: %s", hc, bc, crlf,
				    res[0].reason);
			}
	/* List-Id is not signed: changing it keeps the pass */
	sign_msg(k, DKIM_RELAXED, DKIM_RELAXED, 3600, 0, &m);
	p = strstr(m.data, "not signed");
	p[0] = 'N';
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS, "%s", res[0].reason);
	/* a From added on top breaks it (From oversigned) */
	buf_reset(&rec2);
	ATF_REQUIRE(buf_puts(&rec2, "From: x@evil\n") == 0);
	ATF_REQUIRE(buf_append(&rec2, m.data, m.len) == 0);
	n = dkim_verify(rec2.data, rec2.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_FAIL);
	/* expired: x = t + 3600 */
	n = dkim_verify(
	    m.data, m.len, 1700000000 + 3601, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_PERMERROR);
	ATF_CHECK(strstr(res[0].reason, "expired") != NULL);
	/* tampered header, tampered body */
	p = strstr(m.data, "Sue");
	p[0] = 's';
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_FAIL);
	p[0] = 'S';
	p = strstr(m.data, "Hello");
	p[0] = 'J';
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_FAIL);
	ATF_CHECK(strstr(res[0].reason, "body hash") != NULL);
	p[0] = 'H';
	/* revoked, missing, DNS trouble, the other key type */
	keys.rec[0] = "v=DKIM1; p=";
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_PERMERROR);
	ATF_CHECK(strstr(res[0].reason, "revoked") != NULL);
	keys.name[0] = "other._domainkey.example.org";
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_PERMERROR);
	ATF_CHECK(strstr(res[0].reason, "no key") != NULL);
	keys.tempfail = 1;
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_TEMPERROR);
	keys.tempfail = 0;
	keys.name[0] = "sel._domainkey.example.org";
	keys.rec[0] = ed25519 ? rfc8463_keys.rec[1] : rfc8463_keys.rec[0];
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ(res[0].status, DKIM_PERMERROR);
	/* a key with t=s and h=sha256 still verifies */
	buf_reset(&rec2);
	ATF_REQUIRE(buf_printf(&rec2, "v=DKIM1; h=sha256; t=s:y; %s",
			strstr(rec.data, "k=")) == 0);
	keys.rec[0] = rec2.data;
	n = dkim_verify(m.data, m.len, 1700000100, key_fn, &keys, res, 2);
	ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS, "%s", res[0].reason);
	ATF_CHECK(res[0].testing);
	dkim_signer_free(k);
	util_wipe(pem, len);
	free(pem);
	buf_free(&rec);
	buf_free(&rec2);
	buf_free(&m);
}

ATF_TC_WITHOUT_HEAD(sign_rsa);
ATF_TC_BODY(sign_rsa, tc)
{
	round_trip(0);
}

ATF_TC_WITHOUT_HEAD(sign_ed25519);
ATF_TC_BODY(sign_ed25519, tc)
{
	round_trip(1);
}

/* An Ed25519 signer made now (its PEM in *pem), its record in rec,
   keys answering for sel._domainkey.example.org with it. */
static struct dkim_signer *
ed_signer(char **pem, size_t *len, struct buf *rec, struct keys *keys)
{
	struct dkim_signer *k;
	char err[ERR_MAX];

	*pem = gen_key(1, len);
	ATF_REQUIRE_MSG((k = dkim_signer_new(*pem, *len, err, sizeof(err))) !=
		NULL,
	    "%s", err);
	ATF_REQUIRE(dkim_signer_record(k, rec) == 0);
	memset(keys, 0, sizeof(*keys));
	keys->name[0] = "sel._domainkey.example.org";
	keys->rec[0] = rec->data;
	return k;
}

ATF_TC_WITHOUT_HEAD(body_length);
ATF_TC_BODY(body_length, tc)
{
	static const char msg[] = "From: joe@example.org\r\n"
				  "Subject: l=\r\n\r\n"
				  "signed part\r\n";
	struct dkim_signer *k;
	struct dkim_sign_opts o;
	struct dkim_result res[1];
	struct dkim_hdr f[4];
	struct dkim_bh *bh;
	struct buf m = BUF_INIT, rec = BUF_INIT;
	struct keys keys;
	unsigned char hash[32];
	char err[ERR_MAX], *pem;
	size_t len, body;
	int nf, l;

	k = ed_signer(&pem, &len, &rec, &keys);
	nf = dkim_split(msg, sizeof(msg) - 1, f, 4, &body);
	ATF_REQUIRE_EQ(nf, 2);
	for (l = 0; l < 2; l++) {
		/* l= the whole body ("signed part\r\n", 13), or 4 */
		ATF_REQUIRE(
		    (bh = dkim_bh_new(DKIM_RELAXED, l ? 4 : 13)) != NULL);
		ATF_REQUIRE(dkim_bh_update(
				bh, msg + body, sizeof(msg) - 1 - body) == 0);
		ATF_REQUIRE(dkim_bh_final(bh, hash, NULL) == 0);
		dkim_bh_free(bh);
		memset(&o, 0, sizeof(o));
		o.domain = "example.org";
		o.selector = "sel";
		o.hcanon = o.bcanon = DKIM_RELAXED;
		o.use_l = 1;
		o.l = l ? 4 : 13;
		buf_reset(&m);
		ATF_REQUIRE(
		    dkim_sign(k, &o, f, nf, hash, &m, err, sizeof(err)) == 0);
		ATF_REQUIRE(buf_append(&m, msg, sizeof(msg) - 1) == 0);
		/* text appended after signing: still a pass, said so */
		ATF_REQUIRE(buf_puts(&m, "appended by someone else\r\n") == 0);
		ATF_REQUIRE_EQ(dkim_verify(m.data, m.len, time(NULL), key_fn,
				   &keys, res, 1),
		    1);
		ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS, "%s", res[0].reason);
		ATF_CHECK(res[0].has_l && res[0].l == (l ? 4u : 13u));
		ATF_CHECK_EQ(res[0].body_len, 39);
		ATF_CHECK(strstr(res[0].reason, "l=") != NULL);
	}
	/* l= longer than the body: fail */
	buf_truncate(&m,
	    m.len - strlen("appended by someone else\r\n") -
		strlen("signed part\r\n"));
	ATF_REQUIRE(buf_puts(&m, "s\r\n") == 0); /* 3 < l=4 */
	ATF_REQUIRE_EQ(
	    dkim_verify(m.data, m.len, time(NULL), key_fn, &keys, res, 1), 1);
	ATF_CHECK_EQ(res[0].status, DKIM_FAIL);
	ATF_CHECK(strstr(res[0].reason, "longer than the body") != NULL);
	dkim_signer_free(k);
	util_wipe(pem, len);
	free(pem);
	buf_free(&m);
	buf_free(&rec);
}

/*
 * RFC 8301: a signature by an RSA key under 1024 bits, or with
 * rsa-sha1, is refused by the verifier.  Made here by hand (dkim_sign
 * refuses such keys): the From field and the signature field with b=
 * empty, relaxed, signed with GnuTLS directly.
 */
static void
sign_by_hand(const char *alg, int bits, struct buf *m, struct buf *rec)
{
	static const char from[] = "From: joe@example.org\r\n";
	static const char body[] = "\r\nhi\r\n";
	gnutls_x509_privkey_t xk;
	gnutls_privkey_t k;
	gnutls_pubkey_t pub;
	gnutls_datum_t d, sig, spki;
	struct buf data = BUF_INIT, f = BUF_INIT;
	struct dkim_bh *bh;
	unsigned char hash[32];

	ATF_REQUIRE(gnutls_x509_privkey_init(&xk) >= 0);
	ATF_REQUIRE(gnutls_x509_privkey_generate(
			xk, GNUTLS_PK_RSA, (unsigned)bits, 0) >= 0);
	ATF_REQUIRE(gnutls_privkey_init(&k) >= 0);
	ATF_REQUIRE(gnutls_privkey_import_x509(k, xk, 0) >= 0);
	ATF_REQUIRE((bh = dkim_bh_new(DKIM_RELAXED, -1)) != NULL);
	ATF_REQUIRE(dkim_bh_update(bh, body + 2, strlen(body) - 2) == 0);
	ATF_REQUIRE(dkim_bh_final(bh, hash, NULL) == 0);
	dkim_bh_free(bh);
	ATF_REQUIRE(buf_printf(&f,
			"DKIM-Signature: v=1; a=%s; "
			"c=relaxed/relaxed; d=example.org; s=sel; h=from; bh=",
			alg) == 0);
	ATF_REQUIRE(dkim_base64_encode(hash, 32, &f) == 0);
	ATF_REQUIRE(buf_puts(&f, "; b=") == 0);
	ATF_REQUIRE(
	    dkim_canon_header(DKIM_RELAXED, from, strlen(from), &data) == 0);
	ATF_REQUIRE(dkim_canon_header(DKIM_RELAXED, f.data, f.len, &data) == 0);
	buf_truncate(&data, data.len - 2);
	d.data = (unsigned char *)data.data;
	d.size = (unsigned)data.len;
	ATF_REQUIRE(gnutls_privkey_sign_data2(k,
			strcmp(alg, "rsa-sha1") == 0 ? GNUTLS_SIGN_RSA_SHA1
						     : GNUTLS_SIGN_RSA_SHA256,
			0, &d, &sig) >= 0);
	ATF_REQUIRE(dkim_base64_encode(sig.data, sig.size, &f) == 0);
	gnutls_free(sig.data);
	buf_reset(m);
	ATF_REQUIRE(buf_append(m, f.data, f.len) == 0);
	ATF_REQUIRE(buf_puts(m, "\r\n") == 0);
	ATF_REQUIRE(buf_puts(m, from) == 0);
	ATF_REQUIRE(buf_puts(m, body) == 0);
	ATF_REQUIRE(gnutls_pubkey_init(&pub) >= 0);
	ATF_REQUIRE(gnutls_pubkey_import_privkey(pub, k, 0, 0) >= 0);
	ATF_REQUIRE(
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) >= 0);
	buf_reset(rec);
	ATF_REQUIRE(buf_puts(rec, "v=DKIM1; k=rsa; p=") == 0);
	ATF_REQUIRE(dkim_base64_encode(spki.data, spki.size, rec) == 0);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(k);
	gnutls_x509_privkey_deinit(xk);
	buf_free(&data);
	buf_free(&f);
}

/* The h= of the signature field sig, unfolded, into out. */
static void
h_tag(const char *sig, char *out, size_t outlen)
{
	const char *p = strstr(sig, "h=");
	size_t o = 0;

	ATF_REQUIRE(p != NULL);
	for (p += 2; *p != '\0' && *p != ';' && o + 1 < outlen; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			out[o++] = *p;
	out[o] = '\0';
}

ATF_TC_WITHOUT_HEAD(oversign);
ATF_TC_BODY(oversign, tc)
{
	static const char msg[] =
	    "From: news@example.org\r\n"
	    "Subject: news\r\n"
	    "List-Unsubscribe: <https://example.org/u/1>\r\n"
	    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
	    "List-Id: <news.example.org>\r\n\r\n"
	    "body\r\n";
	static const char *const lu[] = {
	    "list-unsubscribe", "list-unsubscribe-post"};
	struct dkim_signer *k;
	struct dkim_sign_opts o;
	struct dkim_result res[1];
	struct dkim_hdr f[8];
	struct dkim_bh *bh;
	struct buf m = BUF_INIT, rec = BUF_INIT, m2 = BUF_INIT;
	struct keys keys;
	unsigned char hash[32];
	char err[ERR_MAX], h[512], *pem, *p;
	size_t len, body;
	int nf, with;

	k = ed_signer(&pem, &len, &rec, &keys);
	nf = dkim_split(msg, sizeof(msg) - 1, f, 8, &body);
	ATF_REQUIRE_EQ(nf, 5);
	ATF_REQUIRE((bh = dkim_bh_new(DKIM_RELAXED, -1)) != NULL);
	ATF_REQUIRE(
	    dkim_bh_update(bh, msg + body, sizeof(msg) - 1 - body) == 0);
	ATF_REQUIRE(dkim_bh_final(bh, hash, NULL) == 0);
	dkim_bh_free(bh);
	for (with = 0; with < 2; with++) {
		memset(&o, 0, sizeof(o));
		o.domain = "example.org";
		o.selector = "sel";
		o.hcanon = o.bcanon = DKIM_RELAXED;
		if (with) {
			o.oversign = lu;
			o.noversign = 2;
		}
		buf_reset(&m);
		ATF_REQUIRE(
		    dkim_sign(k, &o, f, nf, hash, &m, err, sizeof(err)) == 0);
		h_tag(m.data, h, sizeof(h));
		/* By default no List-* (a list may add its own); asked
		   for, each as often as it is there and once more. */
		ATF_CHECK_STREQ(h, with ? "from:subject:from:list-unsubscribe:"
					  "list-unsubscribe:list-unsubscribe-"
					  "post:list-unsubscribe-post"
					: "from:subject:from");
		ATF_REQUIRE(buf_append(&m, msg, sizeof(msg) - 1) == 0);
		ATF_REQUIRE_EQ(dkim_verify(m.data, m.len, time(NULL), key_fn,
				   &keys, res, 1),
		    1);
		ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS, "%s", res[0].reason);
		/* Another URL in the field, or a second field on top:
		   a pass only where List-Unsubscribe is not signed. */
		buf_reset(&m2);
		ATF_REQUIRE(buf_append(&m2, m.data, m.len) == 0);
		ATF_REQUIRE((p = strstr(m2.data, "/u/1")) != NULL);
		p[3] = '2';
		ATF_REQUIRE_EQ(dkim_verify(m2.data, m2.len, time(NULL), key_fn,
				   &keys, res, 1),
		    1);
		ATF_CHECK_EQ(res[0].status, with ? DKIM_FAIL : DKIM_PASS);
		buf_reset(&m2);
		ATF_REQUIRE(buf_puts(&m2, "List-Unsubscribe-Post: "
					  "List-Unsubscribe=One-Click\r\n") ==
		    0);
		ATF_REQUIRE(buf_append(&m2, m.data, m.len) == 0);
		ATF_REQUIRE_EQ(dkim_verify(m2.data, m2.len, time(NULL), key_fn,
				   &keys, res, 1),
		    1);
		ATF_CHECK_EQ(res[0].status, with ? DKIM_FAIL : DKIM_PASS);
	}
	dkim_signer_free(k);
	util_wipe(pem, len);
	free(pem);
	buf_free(&m);
	buf_free(&m2);
	buf_free(&rec);
}

ATF_TC_WITHOUT_HEAD(rfc8301);
ATF_TC_BODY(rfc8301, tc)
{
	struct buf m = BUF_INIT, rec = BUF_INIT;
	struct dkim_result res[1];
	struct keys keys;

	memset(&keys, 0, sizeof(keys));
	keys.name[0] = "sel._domainkey.example.org";
	/* the hand-made signature is right: 1024 bits pass */
	sign_by_hand("rsa-sha256", 1024, &m, &rec);
	keys.rec[0] = rec.data;
	ATF_REQUIRE_EQ(
	    dkim_verify(m.data, m.len, time(NULL), key_fn, &keys, res, 1), 1);
	ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS, "%s", res[0].reason);
	ATF_CHECK_EQ(res[0].bits, 1024);
	/* 768 bits: refused */
	sign_by_hand("rsa-sha256", 768, &m, &rec);
	keys.rec[0] = rec.data;
	ATF_REQUIRE_EQ(
	    dkim_verify(m.data, m.len, time(NULL), key_fn, &keys, res, 1), 1);
	ATF_CHECK_EQ(res[0].status, DKIM_PERMERROR);
	ATF_CHECK_MSG(strstr(res[0].reason, "768 bits refused") != NULL, "%s",
	    res[0].reason);
	/* rsa-sha1: refused, whatever the key */
	sign_by_hand("rsa-sha1", 1024, &m, &rec);
	keys.rec[0] = rec.data;
	ATF_REQUIRE_EQ(
	    dkim_verify(m.data, m.len, time(NULL), key_fn, &keys, res, 1), 1);
	ATF_CHECK_EQ(res[0].status, DKIM_PERMERROR);
	ATF_CHECK_MSG(
	    strstr(res[0].reason, "rsa-sha1") != NULL, "%s", res[0].reason);
	buf_free(&m);
	buf_free(&rec);
}

/*
 * Key records from DNS (dkim_dns_key over common/dns): a responder on
 * a loopback UDP port answers TXT for NAME._domainkey.example.org:
 * "split" with the record cut in strings of at most 200 octets (RFC
 * 6376 §3.6.2.2: joined), "nx" with NXDOMAIN, anything else SERVFAIL.
 */
static const char *dns_record;

static void
dns_respond(int fd)
{
	unsigned char q[512], a[1024];
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;
	size_t qend, o, i, rl, len, chunk;
	char name[256];

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(
		    fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		if (n < 12)
			_exit(0);
		/* the question's name, as text */
		name[0] = '\0';
		for (o = 12, i = 0;
		     o < (size_t)n && q[o] != 0 && i + q[o] + 2 < sizeof(name);
		     o += q[o] + 1) {
			memcpy(name + i, q + o + 1, q[o]);
			i += q[o];
			name[i++] = '.';
			name[i] = '\0';
		}
		qend = o + 5; /* the root label, type, class */
		if (qend > (size_t)n)
			continue;
		memcpy(a, q, qend);
		a[2] = 0x84 | (q[2] & 0x01); /* QR, AA, RD as asked */
		a[3] = 0x80;
		a[6] = a[7] = a[8] = a[9] = a[10] = a[11] = 0;
		o = qend;
		if (strncmp(name, "split.", 6) == 0) {
			a[7] = 1;
			len = strlen(dns_record);
			rl = len + (len + 199) / 200;
			memcpy(a + o,
			    "\xc0\x0c\x00\x10\x00\x01\x00\x00\x0e\x10", 10);
			o += 10;
			a[o++] = (unsigned char)(rl >> 8);
			a[o++] = (unsigned char)rl;
			for (i = 0; i < len; i += chunk) {
				chunk = len - i > 200 ? 200 : len - i;
				a[o++] = (unsigned char)chunk;
				memcpy(a + o, dns_record + i, chunk);
				o += chunk;
			}
		} else if (strncmp(name, "nx.", 3) == 0)
			a[3] |= 3;
		else
			a[3] |= 2;
		(void)sendto(fd, a, o, 0, (struct sockaddr *)&from, fl);
	}
}

ATF_TC_WITHOUT_HEAD(dns_key);
ATF_TC_BODY(dns_key, tc)
{
	static const char *const sel[] = {"split", "nx", "fail"};
	static const int want[] = {DKIM_PASS, DKIM_PERMERROR, DKIM_TEMPERROR};
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct dkim_signer *k;
	struct dkim_result res[1];
	struct dkim_sign_opts o;
	struct dkim_hdr f[16];
	struct dkim_bh *bh;
	struct dns_resolver *r;
	struct buf rec = BUF_INIT, m = BUF_INIT;
	unsigned char hash[32];
	char server[64], err[ERR_MAX], *pem;
	size_t len, body;
	pid_t pid;
	int fd, nf, i, status;

	pem = gen_key(0, &len);
	ATF_REQUIRE((k = dkim_signer_new(pem, len, err, sizeof(err))) != NULL);
	ATF_REQUIRE(dkim_signer_record(k, &rec) == 0);
	ATF_REQUIRE(rec.len > 255); /* needs more than one string */
	dns_record = rec.data;
	ATF_REQUIRE((fd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ATF_REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		dns_respond(fd);
	(void)close(fd);
	(void)snprintf(
	    server, sizeof(server), "127.0.0.1:%u", ntohs(sin.sin_port));
	r = dns_new(server, 2, 1, err, sizeof(err));
	ATF_REQUIRE_MSG(r != NULL, "%s", err);
	nf = dkim_split(plain_msg, sizeof(plain_msg) - 1, f, 16, &body);
	ATF_REQUIRE((bh = dkim_bh_new(DKIM_RELAXED, -1)) != NULL);
	ATF_REQUIRE(dkim_bh_update(bh, plain_msg + body,
			sizeof(plain_msg) - 1 - body) == 0);
	ATF_REQUIRE(dkim_bh_final(bh, hash, NULL) == 0);
	dkim_bh_free(bh);
	for (i = 0; i < 3; i++) {
		memset(&o, 0, sizeof(o));
		o.domain = "example.org";
		o.selector = sel[i];
		o.hcanon = o.bcanon = DKIM_RELAXED;
		buf_reset(&m);
		ATF_REQUIRE(
		    dkim_sign(k, &o, f, nf, hash, &m, err, sizeof(err)) == 0);
		ATF_REQUIRE(
		    buf_append(&m, plain_msg, sizeof(plain_msg) - 1) == 0);
		ATF_REQUIRE_EQ(dkim_verify(m.data, m.len, time(NULL),
				   dkim_dns_key, r, res, 1),
		    1);
		ATF_CHECK_EQ_MSG(res[0].status, want[i], "%s: %s: %s", sel[i],
		    dkim_status_str(res[0].status), res[0].reason);
	}
	dns_free(r);
	(void)kill(pid, SIGTERM);
	(void)waitpid(pid, &status, 0);
	dkim_signer_free(k);
	util_wipe(pem, len);
	free(pem);
	buf_free(&rec);
	buf_free(&m);
}

ATF_TC_WITHOUT_HEAD(signer_refuses);
ATF_TC_BODY(signer_refuses, tc)
{
	gnutls_x509_privkey_t k;
	gnutls_datum_t out;
	char err[ERR_MAX];

	ATF_CHECK(dkim_signer_new("not a key", 9, err, sizeof(err)) == NULL);
	ATF_CHECK(strstr(err, "not a key") == NULL); /* no key text */
	/* RFC 8301 §3.2: RSA under 1024 bits */
	ATF_REQUIRE(gnutls_x509_privkey_init(&k) >= 0);
	if (gnutls_x509_privkey_generate(k, GNUTLS_PK_RSA, 768, 0) >= 0) {
		ATF_REQUIRE(
		    gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_PEM,
			NULL, GNUTLS_PKCS_PLAIN, &out) >= 0);
		ATF_CHECK(dkim_signer_new((char *)out.data, out.size, err,
			      sizeof(err)) == NULL);
		ATF_CHECK(strstr(err, "1024") != NULL);
		gnutls_free(out.data);
	}
	gnutls_x509_privkey_deinit(k);
}

/*
 * dkim_key_bits: an RSA key as SubjectPublicKeyInfo (0) and as the
 * bare RSAPublicKey inside it (PKCS#1: 1, and a signature verifies
 * with that record too), an Ed25519 key, and keys that are none.
 */
ATF_TC_WITHOUT_HEAD(key_bits);
ATF_TC_BODY(key_bits, tc)
{
	struct dkim_signer *k;
	struct dkim_result res[1];
	struct dkim_key *key, *bare;
	struct buf rec = BUF_INIT, rec1 = BUF_INIT, m = BUF_INIT;
	struct keys keys;
	char err[ERR_MAX], *pem;
	unsigned int bits;
	size_t len;

	ATF_REQUIRE((key = calloc(1, sizeof(*key))) != NULL);
	ATF_REQUIRE((bare = calloc(1, sizeof(*bare))) != NULL);
	pem = gen_key(0, &len);
	ATF_REQUIRE((k = dkim_signer_new(pem, len, err, sizeof(err))) != NULL);
	ATF_REQUIRE(dkim_signer_record(k, &rec) == 0);
	ATF_REQUIRE_MSG(dkim_key_parse(rec.data, rec.len, key, err,
			    sizeof(err)) == 0,
	    "%s", err);
	ATF_CHECK_EQ(dkim_key_bits(key, &bits), 0);
	ATF_CHECK_EQ(bits, 2048);
	/* SPKI of RSA-2048: SEQUENCE (4), the algorithm (15), BIT
	   STRING (4) and its 0 (1), then the RSAPublicKey. */
	ATF_REQUIRE(key->plen > 24 && key->p[19] == 0x03 && key->p[23] == 0);
	*bare = *key;
	memmove(bare->p, key->p + 24, key->plen - 24);
	bare->plen = key->plen - 24;
	ATF_CHECK_EQ(dkim_key_bits(bare, &bits), 1);
	ATF_CHECK_EQ(bits, 2048);
	ATF_REQUIRE(buf_puts(&rec1, "v=DKIM1; k=rsa; p=") == 0);
	ATF_REQUIRE(dkim_base64_encode(bare->p, bare->plen, &rec1) == 0);
	memset(&keys, 0, sizeof(keys));
	keys.name[0] = "sel._domainkey.example.org";
	keys.rec[0] = buf_cstr(&rec1);
	sign_msg(k, DKIM_RELAXED, DKIM_RELAXED, 0, 0, &m);
	ATF_CHECK_EQ(dkim_verify(m.data, m.len, 1700000100, key_fn, &keys,
			 res, 1),
	    1);
	ATF_CHECK_EQ_MSG(res[0].status, DKIM_PASS, "%s", res[0].reason);
	/* Not a key; an Ed25519 key said to be RSA; Ed25519. */
	bare->plen = 40;
	memset(bare->p, 'x', bare->plen);
	ATF_CHECK_EQ(dkim_key_bits(bare, &bits), -1);
	dkim_signer_free(k);
	free(pem);
	buf_reset(&rec);
	k = ed_signer(&pem, &len, &rec, &keys);
	ATF_REQUIRE(dkim_key_parse(rec.data, rec.len, key, err,
			sizeof(err)) == 0);
	ATF_CHECK_EQ(dkim_key_bits(key, &bits), 0);
	ATF_CHECK_EQ(bits, 256);
	key->k = DKIM_K_RSA;
	ATF_CHECK_EQ(dkim_key_bits(key, &bits), -1);
	dkim_signer_free(k);
	free(pem);
	free(key);
	free(bare);
	buf_free(&rec);
	buf_free(&rec1);
	buf_free(&m);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tags);
	ATF_TP_ADD_TC(tp, canon_body);
	ATF_TP_ADD_TC(tp, canon_header);
	ATF_TP_ADD_TC(tp, sig_parse);
	ATF_TP_ADD_TC(tp, key_parse);
	ATF_TP_ADD_TC(tp, select);
	ATF_TP_ADD_TC(tp, strip_b);
	ATF_TP_ADD_TC(tp, base64);
	ATF_TP_ADD_TC(tp, rfc8463);
	ATF_TP_ADD_TC(tp, streaming);
	ATF_TP_ADD_TC(tp, sign_rsa);
	ATF_TP_ADD_TC(tp, sign_ed25519);
	ATF_TP_ADD_TC(tp, body_length);
	ATF_TP_ADD_TC(tp, rfc8301);
	ATF_TP_ADD_TC(tp, dns_key);
	ATF_TP_ADD_TC(tp, signer_refuses);
	ATF_TP_ADD_TC(tp, key_bits);
	ATF_TP_ADD_TC(tp, oversign);
	return atf_no_error();
}
