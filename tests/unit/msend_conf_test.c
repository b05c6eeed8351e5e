/*
 * msend_conf_test: msend's config file parser (cmd/msend/config.c), one
 * row a case: the file, then the value one field of one account must
 * have, or the exact "FILE:LINE: why" of the error.  Every key of
 * msend.1 CONFIGURATION, quoting, comments, accounts and inheritance,
 * the bounds, the keys of msmtp that are ignored with a warning, and the
 * precedence of account_merge (command line > account > defaults).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "buf.h"
#include "log.h"
#include "msend.h"
#include "qrun.h"

#define NAME "t.conf"

/*
 * One case.  acct: the account to look at (NULL: the one conf_account
 * picks without -a; "+defaults": the defaults section).  merged: with
 * the defaults merged in, as msend does.  want: the field as field_str
 * shows it, "NOACCOUNT" when there is no such account.
 */
struct conf_case {
	const char *in;
	const char *err; /* NULL: parses */
	const char *acct;
	int merged;
	const char *field;
	const char *want;
};

static const char *
tls_name(int t)
{
	switch (t) {
	case TLSM_UNSET: return "unset";
	case TLSM_OFF: return "off";
	case TLSM_STARTTLS: return "starttls";
	case TLSM_ON_CONNECT: return "on-connect";
	}
	return "?";
}

static const char *
auth_name(int m)
{
	switch (m) {
	case AUTHM_UNSET: return "unset";
	case AUTHM_OFF: return "off";
	case AUTHM_ON: return "on";
	case AUTHM_PLAIN: return "plain";
	case AUTHM_LOGIN: return "login";
	case AUTHM_XOAUTH2: return "xoauth2";
	case AUTHM_OAUTHBEARER: return "oauthbearer";
	}
	return "?";
}

/* A field of a, as a string ("NULL" for an unset string). */
static const char *
field_str(const struct account *a, const char *f, char *out, size_t outlen)
{
	static const struct {
		const char *name;
		size_t off;
	} strs[] = {
	    {"host", offsetof(struct account, host)},
	    {"port", offsetof(struct account, port)},
	    {"tls_trust_file", offsetof(struct account, tls_trust_file)},
	    {"tls_fingerprint", offsetof(struct account, tls_fingerprint)},
	    {"tls_cert", offsetof(struct account, tls_cert)},
	    {"tls_key", offsetof(struct account, tls_key)},
	    {"tls_priorities", offsetof(struct account, tls_priorities)},
	    {"user", offsetof(struct account, user)},
	    {"password", offsetof(struct account, password)},
	    {"passwordeval", offsetof(struct account, passwordeval)},
	    {"from", offsetof(struct account, from)},
	    {"domain", offsetof(struct account, domain)},
	    {"dsn_notify", offsetof(struct account, dsn_notify)},
	    {"dsn_return", offsetof(struct account, dsn_return)},
	};
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(f, strs[i].name) == 0) {
			const char *s =
			    *(char *const *)(const void *)((const char *)a +
				strs[i].off);

			return s != NULL ? s : "NULL";
		}
	if (strcmp(f, "name") == 0)
		return a->name;
	if (strcmp(f, "tls") == 0)
		return tls_name(a->tls);
	if (strcmp(f, "auth") == 0)
		return auth_name(a->auth);
	if (strcmp(f, "tls_verify") == 0)
		(void)snprintf(out, outlen, "%d", a->tls_verify);
	else if (strcmp(f, "allow_plain_auth") == 0)
		(void)snprintf(out, outlen, "%d", a->allow_plain_auth);
	else if (strcmp(f, "chunking") == 0)
		(void)snprintf(out, outlen, "%d", a->chunking);
	else if (strcmp(f, "timeout") == 0)
		(void)snprintf(out, outlen, "%ld", a->timeout);
	else if (strcmp(f, "line") == 0)
		(void)snprintf(out, outlen, "%d", a->line);
	else
		(void)snprintf(out, outlen, "no field %s", f);
	return out;
}

#define A "account a\n"

static const struct conf_case conf_cases[] = {
    /* Every key of msend.1, in an account. */
    {A "host smtp.example.org\n", NULL, "a", 0, "host", "smtp.example.org"},
    {A "port 587\n", NULL, "a", 0, "port", "587"},
    {A "port 1\n", NULL, "a", 0, "port", "1"},
    {A "port 65535\n", NULL, "a", 0, "port", "65535"},
    {A "port 0\n", NAME ":2: port: 0 is not a port number", NULL, 0, NULL,
	NULL},
    {A "port 65536\n", NAME ":2: port: 65536 is not a port number", NULL, 0,
	NULL, NULL},
    {A "port -25\n", NAME ":2: port: -25 is not a port number", NULL, 0, NULL,
	NULL},
    {A "port +25\n", NAME ":2: port: +25 is not a port number", NULL, 0, NULL,
	NULL},
    {A "port 25x\n", NAME ":2: port: 25x is not a port number", NULL, 0, NULL,
	NULL},
    {A "port smtp\n", NAME ":2: port: smtp is not a port number", NULL, 0, NULL,
	NULL},
    {A "port\n", NAME ":2: port:  is not a port number", NULL, 0, NULL, NULL},
    {A "tls starttls\n", NULL, "a", 0, "tls", "starttls"},
    {A "tls on-connect\n", NULL, "a", 0, "tls", "on-connect"},
    {A "tls on\n", NULL, "a", 0, "tls", "starttls"},
    {A "tls\n", NULL, "a", 0, "tls", "starttls"},
    {A "tls off\n", NULL, "a", 0, "tls", "off"},
    {A "tls on-connect\ntls on\n", NULL, "a", 0, "tls", "on-connect"},
    {A "tls off\ntls on\n", NULL, "a", 0, "tls", "starttls"},
    {A "tls ON\n", NAME ":2: tls: expected starttls, on-connect, on or off",
	NULL, 0, NULL, NULL},
    {A "tls yes\n", NAME ":2: tls: expected starttls, on-connect, on or off",
	NULL, 0, NULL, NULL},
    {A "host h\n", NULL, "a", 0, "tls", "unset"},
    /* msmtp: "tls on" with "tls_starttls off" is TLS from the start. */
    {A "tls on\ntls_starttls off\n", NULL, "a", 0, "tls", "on-connect"},
    {A "tls_starttls off\ntls on\n", NULL, "a", 0, "tls", "on-connect"},
    {A "tls on-connect\ntls_starttls on\n", NULL, "a", 0, "tls", "starttls"},
    {A "tls off\ntls_starttls off\n", NULL, "a", 0, "tls", "off"},
    {A "tls_starttls on\n", NULL, "a", 0, "tls", "starttls"},
    {A "tls_starttls no\n", NAME ":2: tls_starttls: expected on or off", NULL,
	0, NULL, NULL},
    {A "tls_certcheck off\n", NULL, "a", 0, "tls_verify", "0"},
    {A "tls_certcheck on\n", NULL, "a", 0, "tls_verify", "1"},
    {A "tls_certcheck\n", NULL, "a", 0, "tls_verify", "1"},
    {A "host h\n", NULL, "a", 0, "tls_verify", "-1"},
    {A "tls_certcheck 0\n", NAME ":2: tls_certcheck: expected on or off", NULL,
	0, NULL, NULL},
    {A "tls_trust_file /etc/ssl/ca.pem\n", NULL, "a", 0, "tls_trust_file",
	"/etc/ssl/ca.pem"},
    {A "tls_fingerprint AB:CD\n", NULL, "a", 0, "tls_fingerprint", "AB:CD"},
    {A "tls_cert_file c.pem\n", NULL, "a", 0, "tls_cert", "c.pem"},
    {A "tls_key_file k.pem\n", NULL, "a", 0, "tls_key", "k.pem"},
    {A "tls_priorities NORMAL:-VERS-TLS1.2\n", NULL, "a", 0, "tls_priorities",
	"NORMAL:-VERS-TLS1.2"},
    {A "auth on\n", NULL, "a", 0, "auth", "on"},
    {A "auth\n", NULL, "a", 0, "auth", "on"},
    {A "auth off\n", NULL, "a", 0, "auth", "off"},
    {A "auth plain\n", NULL, "a", 0, "auth", "plain"},
    {A "auth PLAIN\n", NULL, "a", 0, "auth", "plain"},
    {A "auth login\n", NULL, "a", 0, "auth", "login"},
    {A "auth xoauth2\n", NULL, "a", 0, "auth", "xoauth2"},
    {A "auth oauthbearer\n", NULL, "a", 0, "auth", "oauthbearer"},
    {A "auth cram-md5\n",
	NAME ":2: auth: cram-md5 is not on, off, plain, login, xoauth2 or "
	     "oauthbearer",
	NULL, 0, NULL, NULL},
    {A "user me@example.org\n", NULL, "a", 0, "user", "me@example.org"},
    {A "password s3cret\n", NULL, "a", 0, "password", "s3cret"},
    {A "passwordeval \"pass show mail/work\"\n", NULL, "a", 0, "passwordeval",
	"pass show mail/work"},
    {A "passwordeval pass show x\n", NULL, "a", 0, "passwordeval",
	"pass show x"},
    {A "from me@example.org\n", NULL, "a", 0, "from", "me@example.org"},
    {A "domain client.example.org\n", NULL, "a", 0, "domain",
	"client.example.org"},
    {A "allow_plain_auth on\n", NULL, "a", 0, "allow_plain_auth", "1"},
    {A "allow_plain_auth off\n", NULL, "a", 0, "allow_plain_auth", "0"},
    {A "allow_plain_auth\n", NULL, "a", 0, "allow_plain_auth", "1"},
    {A "allow_plain_auth On\n", NAME ":2: allow_plain_auth: expected on or off",
	NULL, 0, NULL, NULL},
    {A "chunking off\n", NULL, "a", 0, "chunking", "0"},
    {A "chunking on\n", NULL, "a", 0, "chunking", "1"},
    {A "host h\n", NULL, "a", 0, "chunking", "-1"},
    {A "chunking maybe\n", NAME ":2: chunking: expected on or off", NULL, 0,
	NULL, NULL},
    {A "timeout 30\n", NULL, "a", 0, "timeout", "30"},
    {A "timeout 1\n", NULL, "a", 0, "timeout", "1"},
    {A "timeout 3600\n", NULL, "a", 0, "timeout", "3600"},
    {A "timeout off\n", NULL, "a", 0, "timeout", "0"},
    {A "host h\n", NULL, "a", 0, "timeout", "-1"},
    {A "timeout 0\n", NAME ":2: timeout: 0 is not 1..3600 seconds", NULL, 0,
	NULL, NULL},
    {A "timeout 3601\n", NAME ":2: timeout: 3601 is not 1..3600 seconds", NULL,
	0, NULL, NULL},
    {A "timeout 10s\n", NAME ":2: timeout: 10s is not 1..3600 seconds", NULL, 0,
	NULL, NULL},
    {A "timeout 1k\n", NAME ":2: timeout: 1k is not 1..3600 seconds", NULL, 0,
	NULL, NULL},
    {A "dsn_notify failure,delay\n", NULL, "a", 0, "dsn_notify",
	"failure,delay"},
    {A "dsn_return hdrs\n", NULL, "a", 0, "dsn_return", "hdrs"},
    {A "host a\nhost b\n", NULL, "a", 0, "host", "b"},

    /* Quoting: "..." with \" and \\; otherwise the rest of the line. */
    {A "host \"a b\"\n", NULL, "a", 0, "host", "a b"},
    {A "host \"  x  \"\n", NULL, "a", 0, "host", "  x  "},
    {A "host \"a\\\"b\"\n", NULL, "a", 0, "host", "a\"b"},
    {A "host \"a\\\\b\"\n", NULL, "a", 0, "host", "a\\b"},
    {A "host \"\\\\\"\n", NULL, "a", 0, "host", "\\"},
    {A "host \"\\x\"\n", NULL, "a", 0, "host", "x"},
    {A "host \"\"\n", NULL, "a", 0, "host", ""},
    {A "host \"a#b\"\n", NULL, "a", 0, "host", "a#b"},
    {A "host \"x\"  \t\n", NULL, "a", 0, "host", "x"},
    {A "host a\"b\"\n", NULL, "a", 0, "host", "a\"b\""},
    {A "host a b\n", NULL, "a", 0, "host", "a b"},
    {A "host a\\\\b\n", NULL, "a", 0, "host", "a\\\\b"},
    {A "host \"abc\n", NAME ":2: missing closing quote", NULL, 0, NULL, NULL},
    {A "host \"a\\\"\n", NAME ":2: missing closing quote", NULL, 0, NULL, NULL},
    {A "host \"\n", NAME ":2: missing closing quote", NULL, 0, NULL, NULL},
    {A "host \"a\" b\n", NAME ":2: text after the closing quote", NULL, 0, NULL,
	NULL},
    {A "host \"a\"\"b\"\n", NAME ":2: text after the closing quote", NULL, 0,
	NULL, NULL},
    {A "port \"587\"\n", NULL, "a", 0, "port", "587"},
    {A "tls \"off\"\n", NULL, "a", 0, "tls", "off"},

    /* Comments, blank lines, white space, line ends. */
    {"# a comment\n" A "host h\n", NULL, "a", 0, "line", "2"},
    {A "# host x\nhost h\n", NULL, "a", 0, "host", "h"},
    {A "   # indented comment\n", NULL, "a", 0, "host", "NULL"},
    {A "\t#\n\n\n   \n\t\nhost h\n", NULL, "a", 0, "host", "h"},
    /* A "#" after a value is part of it (msmtp has no trailing
       comments). */
    {A "host h # not a comment\n", NULL, "a", 0, "host", "h # not a comment"},
    {A "  host   h  \n", NULL, "a", 0, "host", "h"},
    {A "host\th\t\n", NULL, "a", 0, "host", "h"},
    {A "host h\r\n", NULL, "a", 0, "host", "h"},
    {"account a\r\nhost h\r\n", NULL, "a", 0, "host", "h"},
    {A "host h", NULL, "a", 0, "host", "h"},
    {A "host\n", NULL, "a", 0, "host", ""},
    {A "HOST h\n", NAME ":2: unknown key \"HOST\"", NULL, 0, NULL, NULL},
    {"\n\n\n" A "bogus 1\n", NAME ":5: unknown key \"bogus\"", NULL, 0, NULL,
	NULL},
    {A "host h\n\nfoo\n", NAME ":4: unknown key \"foo\"", NULL, 0, NULL, NULL},
    /* Keys of msmtp that msend does not use: a warning (see
       conf_warnings), not an error. */
    {A "logfile ~/.msmtp.log\nhost h\n", NULL, "a", 0, "host", "h"},
    {A "syslog LOG_MAIL\n", NULL, "a", 0, "host", "NULL"},
    {A "auto_from on\nmaildomain x\n", NULL, "a", 0, "from", "NULL"},

    /* defaults */
    {"host d\n" A, NULL, "+defaults", 0, "host", "d"},
    {"defaults\nhost d\n" A, NULL, "+defaults", 0, "host", "d"},
    {"defaults\nhost d\n" A, NULL, "a", 0, "host", "NULL"},
    {"defaults\nhost d\n" A, NULL, "a", 1, "host", "d"},
    {"defaults\nhost d\n" A "host a\n", NULL, "a", 1, "host", "a"},
    {"defaults\ntimeout 30\n" A "timeout off\n", NULL, "a", 1, "timeout", "0"},
    {"defaults\ntls_certcheck on\n" A "tls_certcheck off\n", NULL, "a", 1,
	"tls_verify", "0"},
    {"defaults\nchunking off\n" A, NULL, "a", 1, "chunking", "0"},
    {"defaults\ntls off\n" A "tls on-connect\n", NULL, "a", 1, "tls",
	"on-connect"},
    {"defaults\nauth plain\n" A, NULL, "a", 1, "auth", "plain"},
    /* defaults apply to every account, wherever they are in the file. */
    {A "host a\ndefaults\nport 2525\n", NULL, "a", 1, "port", "2525"},
    {A "defaults\nhost d\n", NULL, "a", 0, "host", "NULL"},
    {"defaults\nport 1\ndefaults\nhost d\n", NULL, "+defaults", 0, "port", "1"},
    {"defaults x\n", NAME ":1: defaults takes no value", NULL, 0, NULL, NULL},
    {"defaults # all accounts\n", NAME ":1: defaults takes no value", NULL, 0,
	NULL, NULL},

    /* Accounts, the default one, inheritance. */
    {A "host h\n", NULL, "a", 0, "name", "a"},
    {A "host h\n", NULL, "a", 0, "line", "1"},
    {"\n#\naccount a\n", NULL, "a", 0, "line", "3"},
    {A "host h\n", NULL, "b", 0, "name", "NOACCOUNT"},
    {"host h\n", NULL, NULL, 0, "name", "NOACCOUNT"},
    {"", NULL, NULL, 0, "name", "NOACCOUNT"},
    {A "account b\n", NULL, NULL, 0, "name", "a"},
    {A "account default\naccount c\n", NULL, NULL, 0, "name", "default"},
    {A "host ha\naccount default : a\n", NULL, NULL, 0, "host", "ha"},
    {A "host ha\naccount default : a\n", NULL, "default", 0, "host", "ha"},
    {A "host ha\naccount default : a\nhost hd\n", NULL, NULL, 0, "host", "hd"},
    {A "host ha\naccount default : a\nhost hd\n", NULL, "a", 0, "host", "ha"},
    {A "host ha\nport 1\naccount b : a\nhost hb\n", NULL, "b", 0, "host", "hb"},
    {A "host ha\nport 1\naccount b : a\nhost hb\n", NULL, "b", 0, "port", "1"},
    {A "tls off\naccount b : a\n", NULL, "b", 0, "tls", "off"},
    {A "timeout off\naccount b : a\n", NULL, "b", 0, "timeout", "0"},
    {A "password p\naccount b : a\n", NULL, "b", 0, "password", "p"},
    {A "account b : a\nhost x\n", NULL, "a", 0, "host", "NULL"},
    /* Several parents: the first that sets a field wins. */
    {A "host ha\naccount b\nhost hb\nport 2\naccount c : a, b\n", NULL, "c", 0,
	"host", "ha"},
    {A "host ha\naccount b\nhost hb\nport 2\naccount c : b,a\n", NULL, "c", 0,
	"host", "hb"},
    {A "host ha\naccount b\nhost hb\nport 2\naccount c:a ,\tb\n", NULL, "c", 0,
	"port", "2"},
    /* A chain: c gets a's host through b. */
    {A "host ha\naccount b : a\naccount c : b\n", NULL, "c", 0, "host", "ha"},
    /* The parent's settings as they are when the child starts. */
    {A "host ha\naccount b : a\n", NULL, "b", 1, "host", "ha"},
    {"defaults\nhost d\n" A "account b : a\n", NULL, "b", 1, "host", "d"},
    {A "account b :\n", NULL, "b", 0, "name", "b"},
    {A "account b : a\n", NULL, "b", 0, "name", "b"},
    {"account b : a\n", NAME ":1: account: no earlier account a", NULL, 0, NULL,
	NULL},
    {A "account a : a\n", NAME ":2: account a: defined twice", NULL, 0, NULL,
	NULL},
    {"account b : b\n", NAME ":1: account: no earlier account b", NULL, 0, NULL,
	NULL},
    {A "account b : a, c\n", NAME ":2: account: no earlier account c", NULL, 0,
	NULL, NULL},
    {A "account b : A\n", NAME ":2: account: no earlier account A", NULL, 0,
	NULL, NULL},
    {A "account b : ab\n", NAME ":2: account: no earlier account ab", NULL, 0,
	NULL, NULL},
    {A "account b : , a\n", NAME ":2: account: empty name after ':'", NULL, 0,
	NULL, NULL},
    {A "account b : a,,a\n", NAME ":2: account: empty name after ':'", NULL, 0,
	NULL, NULL},
    {A "account b : a a\n",
	NAME ":2: account: names after ':' are separated by commas", NULL, 0,
	NULL, NULL},
    {A "host h\naccount a\n", NAME ":3: account a: defined twice", NULL, 0,
	NULL, NULL},
    {"account default\naccount default\n",
	NAME ":2: account default: defined twice", NULL, 0, NULL, NULL},
    {"account\n",
	NAME ":1: account: needs one name (no spaces, at most 64 characters)",
	NULL, 0, NULL, NULL},
    {"account : a\n",
	NAME ":1: account: needs one name (no spaces, at most 64 characters)",
	NULL, 0, NULL, NULL},
    {"account a b\n",
	NAME ":1: account: needs one name (no spaces, at most 64 characters)",
	NULL, 0, NULL, NULL},
    {"account a,b\n",
	NAME ":1: account: needs one name (no spaces, at most 64 characters)",
	NULL, 0, NULL, NULL},
    {"account \"a b\"\n",
	NAME ":1: account: needs one name (no spaces, at most 64 characters)",
	NULL, 0, NULL, NULL},
    {"account \"work\"\n", NULL, "work", 0, "name", "work"},
    {"account a  \t\n", NULL, "a", 0, "name", "a"},
    {"account a\taccount b\n",
	NAME ":1: account: needs one name (no spaces, at most 64 characters)",
	NULL, 0, NULL, NULL},
};

static void
check_case(const struct conf_case *t, size_t idx)
{
	struct conf *c;
	const struct account *a;
	struct account m;
	char err[ERR_MAX], tmp[64];
	const char *got;
	int rc;

	c = malloc(sizeof(*c));
	ATF_REQUIRE(c != NULL);
	conf_init(c);
	err[0] = '\0';
	rc = conf_parse(c, t->in, strlen(t->in), NAME, NULL, err, sizeof(err));
	if (t->err != NULL) {
		ATF_CHECK_EQ_MSG(
		    rc, -1, "row %zu: parsed, not \"%s\"", idx, t->err);
		ATF_CHECK_MSG(strcmp(err, t->err) == 0,
		    "row %zu: error \"%s\", not \"%s\"", idx, err, t->err);
		goto out;
	}
	ATF_CHECK_EQ_MSG(rc, 0, "row %zu: %s", idx, err);
	if (rc != 0)
		goto out;
	if (t->acct != NULL && strcmp(t->acct, "+defaults") == 0)
		a = &c->defaults;
	else
		a = conf_account(c, t->acct);
	if (a == NULL) {
		ATF_CHECK_MSG(strcmp(t->want, "NOACCOUNT") == 0,
		    "row %zu: no account %s", idx,
		    t->acct != NULL ? t->acct : "(default)");
		goto out;
	}
	account_init(&m);
	if (t->merged) {
		ATF_REQUIRE(account_merge(&m, a) == 0);
		ATF_REQUIRE(account_merge(&m, &c->defaults) == 0);
		a = &m;
	}
	got = field_str(a, t->field, tmp, sizeof(tmp));
	ATF_CHECK_MSG(strcmp(got, t->want) == 0,
	    "row %zu: %s is \"%s\", not \"%s\"", idx, t->field, got, t->want);
	account_free(&m);
out:
	conf_free(c);
	free(c);
}

ATF_TC_WITHOUT_HEAD(conf_table);
ATF_TC_BODY(conf_table, tc)
{
	size_t i;

	for (i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]); i++)
		check_case(&conf_cases[i], i);
}

/* Text built at run time: NUL bytes and the bounds. */
static char *
repeat(const char *head, int ch, size_t n, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s;

	ATF_REQUIRE((s = malloc(hl + n + tl + 1)) != NULL);
	memcpy(s, head, hl);
	memset(s + hl, ch, n);
	memcpy(s + hl + n, tail, tl + 1);
	return s;
}

static int
parse(const char *s, size_t len, char *err, size_t errlen, struct conf *c)
{
	conf_init(c);
	err[0] = '\0';
	return conf_parse(c, s, len, NAME, NULL, err, errlen);
}

ATF_TC_WITHOUT_HEAD(conf_nul);
ATF_TC_BODY(conf_nul, tc)
{
	static const struct {
		const char *in;
		size_t len;
		const char *err;
	} rows[] = {
	    {A "host a\0b\n", sizeof(A "host a\0b\n") - 1,
		NAME ":2: NUL byte in the value"},
	    {A "host \"a\0b\"\n", sizeof(A "host \"a\0b\"\n") - 1,
		NAME ":2: NUL byte in the value"},
	    {A "host \0\n", sizeof(A "host \0\n") - 1,
		NAME ":2: NUL byte in the value"},
	    /* Not key "ho", nor key "host" for "host\0x". */
	    {A "ho\0st a\n", sizeof(A "ho\0st a\n") - 1,
		NAME ":2: NUL byte in the key"},
	    {A "host\0x a\n", sizeof(A "host\0x a\n") - 1,
		NAME ":2: NUL byte in the key"},
	    {A "\0 a\n", sizeof(A "\0 a\n") - 1,
		NAME ":2: NUL byte in the key"},
	};
	struct conf *c;
	char err[ERR_MAX];
	size_t i;

	ATF_REQUIRE((c = malloc(sizeof(*c))) != NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ATF_CHECK_EQ_MSG(
		    parse(rows[i].in, rows[i].len, err, sizeof(err), c), -1,
		    "row %zu parsed", i);
		ATF_CHECK_STREQ_MSG(err, rows[i].err, "row %zu", i);
		conf_free(c);
	}
	free(c);
}

ATF_TC_WITHOUT_HEAD(conf_bounds);
ATF_TC_BODY(conf_bounds, tc)
{
	struct conf *c;
	struct buf b;
	char err[ERR_MAX], *s;
	const struct account *a;
	int i;

	ATF_REQUIRE((c = malloc(sizeof(*c))) != NULL);

	/* CONF_LINE_MAX bytes a line, not counting "\n"; "\r" counts. */
	s = repeat(A "host ", 'h', CONF_LINE_MAX - 5, "\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), 0);
	ATF_REQUIRE((a = conf_account(c, "a")) != NULL);
	ATF_CHECK_EQ(strlen(a->host), CONF_LINE_MAX - 5);
	conf_free(c);
	free(s);
	s = repeat(A "host ", 'h', CONF_LINE_MAX - 4, "\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err, NAME ":2: line too long");
	conf_free(c);
	free(s);
	s = repeat(A "host ", 'h', CONF_LINE_MAX - 5, "\r\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err, NAME ":2: line too long");
	conf_free(c);
	free(s);
	/* The last line, without "\n", is bounded too. */
	s = repeat(A "host ", 'h', CONF_LINE_MAX, "");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err, NAME ":2: line too long");
	conf_free(c);
	free(s);
	/* A comment line is a line. */
	s = repeat("#", '#', CONF_LINE_MAX, "\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err, NAME ":1: line too long");
	conf_free(c);
	free(s);

	/* Keys: CONF_NAME_MAX. */
	s = repeat("", 'k', CONF_NAME_MAX, " v\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_MSG(strncmp(err, NAME ":1: unknown key \"kkkk",
			  strlen(NAME ":1: unknown key \"kkkk")) == 0,
	    "%s", err);
	conf_free(c);
	free(s);
	s = repeat("", 'k', CONF_NAME_MAX + 1, " v\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err, NAME ":1: key too long");
	conf_free(c);
	free(s);

	/* Account names: CONF_NAME_MAX. */
	s = repeat("account ", 'n', CONF_NAME_MAX, "\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), 0);
	ATF_REQUIRE((a = conf_account(c, NULL)) != NULL);
	ATF_CHECK_EQ(strlen(a->name), CONF_NAME_MAX);
	conf_free(c);
	free(s);
	s = repeat("account ", 'n', CONF_NAME_MAX + 1, "\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err,
	    NAME ":1: account: needs one name (no spaces, "
		 "at most 64 characters)");
	conf_free(c);
	free(s);
	s = repeat("account ", 'n', CONF_NAME_MAX + 1, " : x\n");
	ATF_CHECK_EQ(parse(s, strlen(s), err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err,
	    NAME ":1: account: needs one name (no spaces, "
		 "at most 64 characters)");
	conf_free(c);
	free(s);

	/* CONF_ACCOUNTS_MAX accounts, then one more. */
	buf_init(&b, 0);
	for (i = 0; i < CONF_ACCOUNTS_MAX; i++)
		ATF_REQUIRE(
		    buf_printf(&b, "account a%d\nport %d\n", i, i + 1) == 0);
	ATF_CHECK_EQ(parse(b.data, b.len, err, sizeof(err), c), 0);
	ATF_CHECK_EQ(c->nacct, CONF_ACCOUNTS_MAX);
	ATF_REQUIRE((a = conf_account(c, "a63")) != NULL);
	ATF_CHECK_STREQ(a->port, "64");
	ATF_REQUIRE((a = conf_account(c, NULL)) != NULL);
	ATF_CHECK_STREQ(a->name, "a0");
	conf_free(c);
	ATF_REQUIRE(buf_puts(&b, "\naccount one-more\n") == 0);
	ATF_CHECK_EQ(parse(b.data, b.len, err, sizeof(err), c), -1);
	(void)snprintf(b.data, b.cap, NAME ":%d: too many accounts",
	    2 * CONF_ACCOUNTS_MAX + 2);
	ATF_CHECK_STREQ(err, b.data);
	conf_free(c);
	buf_free(&b);

	/* CONF_FILE_MAX bytes; one more is refused before any line. */
	s = repeat("", '\n', CONF_FILE_MAX, "");
	ATF_CHECK_EQ(parse(s, CONF_FILE_MAX, err, sizeof(err), c), 0);
	conf_free(c);
	free(s);
	s = repeat("", '\n', CONF_FILE_MAX + 1, "");
	ATF_CHECK_EQ(parse(s, CONF_FILE_MAX + 1, err, sizeof(err), c), -1);
	ATF_CHECK_STREQ(err, NAME ":0: file too large");
	conf_free(c);
	free(s);

	/* The error is cut to errlen, never overrun. */
	ATF_CHECK_EQ(parse("bogus\n", 6, err, 10, c), -1);
	ATF_CHECK_STREQ(err, NAME ":1:");
	conf_free(c);
	free(c);
}

/* "password" anywhere sets has_password (msend then checks the mode). */
ATF_TC_WITHOUT_HEAD(conf_has_password);
ATF_TC_BODY(conf_has_password, tc)
{
	static const struct {
		const char *in;
		int want;
	} rows[] = {
	    {A "passwordeval x\n", 0},
	    {A "password x\n", 1},
	    {"defaults\npassword x\n", 1},
	    {A "# password x\n", 0},
	    {A "user password\n", 0},
	};
	struct conf *c;
	char err[ERR_MAX];
	size_t i;

	ATF_REQUIRE((c = malloc(sizeof(*c))) != NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ATF_CHECK_EQ(
		    parse(rows[i].in, strlen(rows[i].in), err, sizeof(err), c),
		    0);
		ATF_CHECK_EQ_MSG(c->has_password, rows[i].want, "row %zu", i);
		conf_free(c);
	}
	free(c);
}

/* The keys of msmtp msend does not use: one warning each, with FILE:LINE. */
ATF_TC_WITHOUT_HEAD(conf_warnings);
ATF_TC_BODY(conf_warnings, tc)
{
	static const struct {
		const char *in;
		const char *want; /* stderr */
	} rows[] = {
	    {A "logfile ~/.msmtp.log\n",
		"msend: " NAME ":2: logfile is not used by msend (ignored)\n"},
	    {"syslog on\n" A,
		"msend: " NAME ":1: syslog is not used by msend (ignored)\n"},
	    {A "aliases /etc/aliases\nhost h\nauto_from on\n",
		"msend: " NAME ":2: aliases is not used by msend (ignored)\n"
		"msend: " NAME ":4: auto_from is not used by msend "
		"(ignored)\n"},
	    {A "tls_crl_file x\nproxy_host p\n",
		"msend: " NAME ":2: tls_crl_file is not used by msend "
		"(ignored)\n"
		"msend: " NAME ":3: proxy_host is not used by msend "
		"(ignored)\n"},
	    {A "host h\n", ""},
	};
	struct conf *c;
	struct log l;
	char err[ERR_MAX], path[] = "/tmp/msend_conf_test.XXXXXX", got[1024];
	size_t i;
	ssize_t n;
	int fd, saved;

	ATF_REQUIRE((c = malloc(sizeof(*c))) != NULL);
	log_open(&l, "msend", 0, 0);
	l.level = LOG_LVL_WARN;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ATF_REQUIRE((fd = mkstemp(path)) != -1);
		(void)unlink(path);
		(void)memcpy(path + sizeof(path) - 7, "XXXXXX", 6);
		fflush(stderr);
		ATF_REQUIRE((saved = dup(2)) != -1);
		ATF_REQUIRE(dup2(fd, 2) != -1);
		conf_init(c);
		err[0] = '\0';
		ATF_CHECK_EQ_MSG(conf_parse(c, rows[i].in, strlen(rows[i].in),
				     NAME, &l, err, sizeof(err)),
		    0, "row %zu: %s", i, err);
		fflush(stderr);
		ATF_REQUIRE(dup2(saved, 2) != -1);
		(void)close(saved);
		n = pread(fd, got, sizeof(got) - 1, 0);
		ATF_REQUIRE(n >= 0);
		got[n] = '\0';
		ATF_CHECK_STREQ_MSG(got, rows[i].want, "row %zu", i);
		(void)close(fd);
		conf_free(c);
	}
	free(c);
}

/*
 * account_merge: dst keeps what it has, takes what it lacks.  msend
 * merges the command line, then the account, then defaults: each row
 * is one field set (or not: NULL) in each of the three.
 */
ATF_TC_WITHOUT_HEAD(merge_precedence);
ATF_TC_BODY(merge_precedence, tc)
{
	static const struct {
		const char *key, *field;
		const char *cl, *acct, *defs; /* values; NULL: not set */
		const char *want;
	} rows[] = {
	    {"host", "host", "c", "a", "d", "c"},
	    {"host", "host", NULL, "a", "d", "a"},
	    {"host", "host", NULL, NULL, "d", "d"},
	    {"host", "host", NULL, NULL, NULL, "NULL"},
	    {"host", "host", "c", NULL, "d", "c"},
	    {"host", "host", "\"\"", "a", "d", ""},
	    {"port", "port", "1", "2", "3", "1"},
	    {"port", "port", NULL, NULL, "3", "3"},
	    {"user", "user", NULL, "ua", "ud", "ua"},
	    {"password", "password", NULL, NULL, "pd", "pd"},
	    {"passwordeval", "passwordeval", "pc", "pa", NULL, "pc"},
	    {"from", "from", NULL, "fa", NULL, "fa"},
	    {"domain", "domain", NULL, NULL, "dd", "dd"},
	    {"tls_trust_file", "tls_trust_file", NULL, "ta", "td", "ta"},
	    {"tls_fingerprint", "tls_fingerprint", NULL, NULL, "fd", "fd"},
	    {"tls_cert_file", "tls_cert", "cc", "ca", "cd", "cc"},
	    {"tls_key_file", "tls_key", NULL, "ka", "kd", "ka"},
	    {"tls_priorities", "tls_priorities", NULL, NULL, "NORMAL",
		"NORMAL"},
	    {"dsn_notify", "dsn_notify", "never", "success", NULL, "never"},
	    {"dsn_return", "dsn_return", NULL, "full", "hdrs", "full"},
	    {"tls", "tls", "off", "on-connect", "starttls", "off"},
	    {"tls", "tls", NULL, "on-connect", "off", "on-connect"},
	    {"tls", "tls", NULL, NULL, "off", "off"},
	    {"tls", "tls", NULL, NULL, NULL, "unset"},
	    {"tls_certcheck", "tls_verify", "off", "on", "on", "0"},
	    {"tls_certcheck", "tls_verify", NULL, "off", "on", "0"},
	    {"tls_certcheck", "tls_verify", NULL, NULL, "off", "0"},
	    {"tls_certcheck", "tls_verify", NULL, NULL, NULL, "-1"},
	    {"auth", "auth", NULL, "off", "plain", "off"},
	    {"auth", "auth", "login", "off", "plain", "login"},
	    {"auth", "auth", NULL, NULL, "xoauth2", "xoauth2"},
	    {"allow_plain_auth", "allow_plain_auth", NULL, "off", "on", "0"},
	    {"allow_plain_auth", "allow_plain_auth", "on", "off", "off", "1"},
	    {"timeout", "timeout", NULL, "off", "30", "0"},
	    {"timeout", "timeout", "5", "off", "30", "5"},
	    {"timeout", "timeout", NULL, NULL, "30", "30"},
	    {"chunking", "chunking", NULL, "off", "on", "0"},
	    {"chunking", "chunking", NULL, NULL, "off", "0"},
	    {"chunking", "chunking", NULL, NULL, NULL, "-1"},
	};
	struct conf *c;
	struct account m;
	const struct account *cl, *ac;
	struct buf b;
	char err[ERR_MAX], tmp[64];
	const char *got;
	size_t i;

	ATF_REQUIRE((c = malloc(sizeof(*c))) != NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_init(&b, 0);
		ATF_REQUIRE(buf_puts(&b, "defaults\n") == 0);
		if (rows[i].defs != NULL)
			ATF_REQUIRE(buf_printf(&b, "%s %s\n", rows[i].key,
					rows[i].defs) == 0);
		ATF_REQUIRE(buf_puts(&b, "account acct\n") == 0);
		if (rows[i].acct != NULL)
			ATF_REQUIRE(buf_printf(&b, "%s %s\n", rows[i].key,
					rows[i].acct) == 0);
		ATF_REQUIRE(buf_puts(&b, "account cl\n") == 0);
		if (rows[i].cl != NULL)
			ATF_REQUIRE(buf_printf(&b, "%s %s\n", rows[i].key,
					rows[i].cl) == 0);
		ATF_REQUIRE_EQ_MSG(parse(b.data, b.len, err, sizeof(err), c), 0,
		    "row %zu: %s", i, err);
		ATF_REQUIRE((cl = conf_account(c, "cl")) != NULL);
		ATF_REQUIRE((ac = conf_account(c, "acct")) != NULL);
		/* As msend's main: command line, account, defaults. */
		account_init(&m);
		ATF_REQUIRE(account_merge(&m, cl) == 0);
		ATF_REQUIRE(account_merge(&m, ac) == 0);
		ATF_REQUIRE(account_merge(&m, &c->defaults) == 0);
		got = field_str(&m, rows[i].field, tmp, sizeof(tmp));
		ATF_CHECK_MSG(strcmp(got, rows[i].want) == 0,
		    "row %zu: %s is \"%s\", not \"%s\"", i, rows[i].field, got,
		    rows[i].want);
		/* The merge copies: freeing the sources leaves m whole. */
		conf_free(c);
		got = field_str(&m, rows[i].field, tmp, sizeof(tmp));
		ATF_CHECK_MSG(strcmp(got, rows[i].want) == 0,
		    "row %zu after conf_free: %s is \"%s\"", i, rows[i].field,
		    got);
		account_free(&m);
		buf_free(&b);
	}
	free(c);
}

/*
 * The queue's policy (qpolicy.c): msend.conf's queue_* and site_* lines
 * as account_merge leaves them (defaults first, the account's after),
 * then the values qpolicy_parse makes of them, or its error.
 */
ATF_TC_WITHOUT_HEAD(qpolicy_table);
ATF_TC_BODY(qpolicy_table, tc)
{
	static const struct {
		const char *lines;
		const char *want; /* "field=value" or "ERR:text" */
	} t[] = {
	    {"", "max_age=432000"},
	    {"queue_max_age 3d\n", "max_age=259200"},
	    {"queue_max_age 90\n", "max_age=90"},
	    {"queue_max_age 1.5h\n", "max_age=5400"},
	    {"queue_max_age 0\n", "ERR:queue_max_age 0: not a valid value"},
	    {"queue_max_age 5w\n", "ERR:queue_max_age 5w: not a valid value"},
	    {"queue_max_age 1000d\n", "ERR:not a valid value"},
	    {"queue_delay_warn off\n", "delay_warn=0"},
	    {"queue_delay_warn 30m\n", "delay_warn=1800"},
	    {"queue_retry_factor 2.5\n", "retry_factor=2.50"},
	    {"queue_retry_factor 0.5\n", "ERR:not a valid value"},
	    {"queue_retry_first 1m\nqueue_retry_max 2h\n",
		"retry_max=7200"},
	    {"queue_jitter 0.25\n", "jitter=0.25"},
	    {"queue_jitter 2\n", "ERR:not a valid value"},
	    {"queue_connections 5\n", "total_conns=5"},
	    {"site_connections 1\n", "site_conns=1"},
	    {"site_rate 30/m\n", "site_rate=0.50"},
	    {"site_rate 0.5/s\n", "site_rate=0.50"},
	    {"site_rate 7200/h\n", "site_rate=2.00"},
	    {"site_rate off\n", "site_rate=0.00"},
	    {"site_rate 3/d\n", "ERR:not a valid value"},
	    {"site_rate -1\n", "ERR:not a valid value"},
	    {"site_messages_per_connection 20\n", "msgs_per_conn=20"},
	    /* later lines win: the account's after the defaults' */
	    {"site_connections 4\nsite_connections 2\n", "site_conns=2"},
	    {"site google.com connections 2 rate 30/m\n",
		"site0=google.com 2 0.50 0"},
	    {"site example.net messages_per_connection 10\n",
		"site0=example.net 0 -1.00 10"},
	    {"site example.net\n", "ERR:site: expected"},
	    {"site example.net rate\n", "ERR:site: expected"},
	    {"site example.net speed 3\n", "ERR:site: expected"},
	    {"queue_colour blue\n", "ERR:queue_colour: not a queue setting"},
	};
	char err[ERR_MAX], got[512];
	struct qpolicy p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = qpolicy_default;
		err[0] = '\0';
		if (qpolicy_parse(&p, t[i].lines, err, sizeof(err)) == -1) {
			ATF_CHECK_MSG(strncmp(t[i].want, "ERR:", 4) == 0 &&
				strstr(err, t[i].want + 4) != NULL,
			    "row %zu: error %s, want %s", i, err, t[i].want);
			continue;
		}
		if (strncmp(t[i].want, "max_age=", 8) == 0)
			(void)snprintf(got, sizeof(got), "max_age=%lld",
			    (long long)p.max_age);
		else if (strncmp(t[i].want, "delay_warn=", 11) == 0)
			(void)snprintf(got, sizeof(got), "delay_warn=%lld",
			    (long long)p.delay_warn);
		else if (strncmp(t[i].want, "retry_factor=", 13) == 0)
			(void)snprintf(got, sizeof(got), "retry_factor=%.2f",
			    p.retry_factor);
		else if (strncmp(t[i].want, "retry_max=", 10) == 0)
			(void)snprintf(got, sizeof(got), "retry_max=%.0f",
			    p.retry_max);
		else if (strncmp(t[i].want, "jitter=", 7) == 0)
			(void)snprintf(got, sizeof(got), "jitter=%.2f",
			    p.jitter);
		else if (strncmp(t[i].want, "total_conns=", 12) == 0)
			(void)snprintf(got, sizeof(got), "total_conns=%d",
			    p.total_conns);
		else if (strncmp(t[i].want, "site_conns=", 11) == 0)
			(void)snprintf(got, sizeof(got), "site_conns=%d",
			    p.site_conns);
		else if (strncmp(t[i].want, "site_rate=", 10) == 0)
			(void)snprintf(got, sizeof(got), "site_rate=%.2f",
			    p.site_rate);
		else if (strncmp(t[i].want, "msgs_per_conn=", 14) == 0)
			(void)snprintf(got, sizeof(got), "msgs_per_conn=%d",
			    p.msgs_per_conn);
		else if (p.nsites > 0)
			(void)snprintf(got, sizeof(got), "site0=%s %d %.2f %d",
			    p.sites[0].name, p.sites[0].conns,
			    p.sites[0].rate, p.sites[0].mpc);
		else
			(void)snprintf(got, sizeof(got), "nothing");
		ATF_CHECK_STREQ_MSG(got, t[i].want, "row %zu", i);
	}
}

/* Backoff: each wait retry_factor times the last, capped, with jitter;
   and a site entry found by domain or by MX host. */
ATF_TC_WITHOUT_HEAD(qpolicy_backoff_site);
ATF_TC_BODY(qpolicy_backoff_site, tc)
{
	struct qpolicy p = qpolicy_default;
	struct dns_mx_result *mx = calloc(1, sizeof(*mx));
	char err[ERR_MAX];
	int64_t w;
	int i;

	p.jitter = 0;
	ATF_CHECK_EQ(qrun_backoff(&p, 1), 300);
	ATF_CHECK_EQ(qrun_backoff(&p, 2), 450);
	ATF_CHECK_EQ(qrun_backoff(&p, 3), 675);
	ATF_CHECK_EQ(qrun_backoff(&p, 50), 3600);
	p.jitter = 0.1;
	for (i = 0; i < 200; i++) {
		w = qrun_backoff(&p, 2);
		ATF_CHECK_MSG(w >= 405 && w <= 495, "jitter: %lld",
		    (long long)w);
	}
	ATF_REQUIRE(qpolicy_parse(&p, "site google.com connections 1\n"
				      "site example.net rate 1/m\n",
			err, sizeof(err)) == 0);
	ATF_REQUIRE(mx != NULL);
	mx->nhost = 1;
	(void)snprintf(mx->host[0].name, sizeof(mx->host[0].name),
	    "aspmx.l.google.com.");
	ATF_CHECK(qpolicy_site(&p, "gmail.com", mx) == &p.sites[0]);
	ATF_CHECK(qpolicy_site(&p, "mail.example.net", NULL) == &p.sites[1]);
	ATF_CHECK(qpolicy_site(&p, "notexample.net", NULL) == NULL);
	ATF_CHECK(qpolicy_site(&p, "example.org", NULL) == NULL);
	free(mx);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, qpolicy_table);
	ATF_TP_ADD_TC(tp, qpolicy_backoff_site);
	ATF_TP_ADD_TC(tp, conf_table);
	ATF_TP_ADD_TC(tp, conf_nul);
	ATF_TP_ADD_TC(tp, conf_bounds);
	ATF_TP_ADD_TC(tp, conf_has_password);
	ATF_TP_ADD_TC(tp, conf_warnings);
	ATF_TP_ADD_TC(tp, merge_precedence);
	return atf_no_error();
}
