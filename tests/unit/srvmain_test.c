/*
 * srvmain_test: the options and checks mpop serve and mimap serve
 * share: srvmain's own options next to srvopt's and a program's, the
 * usage callback for -h and a bad option, the usage text's lines
 * (srvmain_usage), each refusal's text and exit code, and a good
 * --preauth set-up.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <atf-c.h>

#include "srvmain.h"

#define OWN_X 256

static const struct option own[] = {
    {"own-x", required_argument, NULL, OWN_X}, {NULL, 0, NULL, 0}};

/* What the callbacks saw. */
static FILE *usage_fp;
static int usage_calls;
static const char *own_val;

static void
usage(FILE *fp, const struct srvopt *so)
{
	(void)so;
	usage_fp = fp;
	usage_calls++;
}

static int
own_option(void *arg, int ch, const char *val, char *err, size_t errlen)
{
	(void)arg;
	if (ch != OWN_X)
		return 0;
	if (strcmp(val, "bad") == 0) {
		(void)snprintf(err, errlen, "--own-x %s: bad", val);
		return -1;
	}
	own_val = val;
	return 1;
}

/* srvmain_start over args (NULL-terminated, without argv[0]). */
static int
start(struct srvmain *m, const char *const *args, int *code, char *err,
    size_t errlen)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "serve";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	srvmain_init(m, "srvmain_test", 600);
	m->own = own;
	m->option = own_option;
	m->usage = usage;
	usage_fp = NULL;
	usage_calls = 0;
	own_val = NULL;
	*code = -1;
	return srvmain_start(m, argc, argv, code, err, errlen);
}

ATF_TC_WITHOUT_HEAD(refusals);
ATF_TC_BODY(refusals, tc)
{
	static const struct {
		const char *args[8];
		int code;
		const char *err;
	} cases[] = {
	    {{"--preauth", NULL}, EX_USAGE, "--preauth needs --maildir DIR"},
	    {{"--preauth", "--maildir", "d", "--passwd-file", "p", NULL},
		EX_USAGE, "--preauth and --passwd-file exclude each other"},
	    {{NULL}, EX_USAGE,
		"give --passwd-file FILE, or --preauth --maildir DIR"},
	    {{"--preauth", "--maildir", "d", "--listen", "127.0.0.1:1",
		 NULL},
		EX_USAGE,
		"--preauth is for one session on stdin/stdout, not --listen"},
	    {{"--preauth", "--maildir", "d", "--user", "nobody", NULL},
		EX_USAGE,
		"--user is for the login with --passwd-file, not --preauth"},
	    {{"--preauth", "--maildir", "d", "extra", NULL}, EX_USAGE,
		"serve: unexpected argument: extra"},
	    {{"extra", NULL}, EX_USAGE, "serve: unexpected argument: extra"},
	    {{"--timeout", "0", NULL}, EX_USAGE,
		"--timeout 0: not a number in [1, 86400]"},
	    {{"--own-x", "bad", NULL}, EX_USAGE, "--own-x bad: bad"},
	};
	struct srvmain m;
	char err[ERR_MAX];
	size_t i;
	int code;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ATF_CHECK_EQ_MSG(start(&m, cases[i].args, &code, err,
				     sizeof(err)),
		    -1, "case %zu", i);
		ATF_CHECK_EQ_MSG(code, cases[i].code, "case %zu", i);
		ATF_CHECK_STREQ_MSG(err, cases[i].err, "case %zu", i);
		ATF_CHECK_EQ_MSG(usage_calls, 0, "case %zu", i);
	}
}

ATF_TC_WITHOUT_HEAD(usage_text);
ATF_TC_BODY(usage_text, tc)
{
	static const char *const help[] = {"-h", "--own-x", "1", NULL};
	static const char *const bad[] = {"--bogus", NULL};
	static const char *const noarg[] = {"--preauth", "--maildir", NULL};
	struct srvmain m;
	char err[ERR_MAX];
	int code;

	/* -h: the usage on stdout, exit 0 and nothing to say. */
	ATF_CHECK_EQ(start(&m, help, &code, err, sizeof(err)), -1);
	ATF_CHECK_EQ(code, 0);
	ATF_CHECK_STREQ(err, "");
	ATF_CHECK(usage_fp == stdout && usage_calls == 1);
	/* An unknown option: the usage on stderr, then the line. */
	ATF_CHECK_EQ(start(&m, bad, &code, err, sizeof(err)), -1);
	ATF_CHECK_EQ(code, EX_USAGE);
	ATF_CHECK_STREQ(err, "serve: --bogus: unknown option or missing "
			     "argument");
	ATF_CHECK(usage_fp == stderr && usage_calls == 1);
	ATF_CHECK_EQ(start(&m, noarg, &code, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "serve: --maildir: unknown option or missing "
			     "argument");
}

/* srvmain_usage's lines around the server's own. */
#define USAGE_HEAD \
	"usage: srvmain_test serve --passwd-file FILE [options]\n" \
	"       srvmain_test serve --preauth --maildir DIR [options]\n"
#define USAGE_MAIN \
	"  --preauth              no login: serve --maildir as the " \
	"invoking user\n" \
	"  --maildir DIR          the Maildir (--preauth), or the " \
	"default for\n" \
	"                         passwd lines without one (%u: the " \
	"user)\n"
#define USAGE_OWN "  --x                    x\n  --y   y\n"
#define USAGE_TAIL \
	"  -v                     protocol trace on stderr (passwords " \
	"hidden)\n" \
	"Options every server takes:\n"

ATF_TC_WITHOUT_HEAD(usage_lines);
ATF_TC_BODY(usage_lines, tc)
{
	static const struct {
		const char *what, *own;
		const char *want; /* what comes before srvopt's lines */
	} t[] = {
	    {"A server.", "", USAGE_HEAD "A server.\n" USAGE_MAIN USAGE_TAIL},
	    {"IMAP, 100%.", USAGE_OWN,
		USAGE_HEAD "IMAP, 100%.\n" USAGE_MAIN USAGE_OWN USAGE_TAIL},
	};
	char buf[SRVMAIN_USAGE_MAX], so_usage[SRVOPT_USAGE_MAX];
	struct srvopt so;
	size_t i, n;

	srvopt_init(&so, 600, 0);
	(void)srvopt_usage(&so, so_usage, sizeof(so_usage));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK(srvmain_usage(&so, "srvmain_test", t[i].what,
			      t[i].own, buf, sizeof(buf)) == buf);
		n = strlen(t[i].want);
		ATF_CHECK_MSG(
		    strncmp(buf, t[i].want, n) == 0, "case %zu: %s", i, buf);
		ATF_CHECK_STREQ_MSG(buf + n, so_usage, "case %zu", i);
	}
}

ATF_TC_WITHOUT_HEAD(preauth_setup);
ATF_TC_BODY(preauth_setup, tc)
{
	static const char *const args[] = {"--preauth", "--maildir", "md",
	    "--own-x", "7", "-v", "--timeout", "5", "--hostname",
	    "imap.test", NULL};
	struct srvmain m;
	char err[ERR_MAX];
	int code, rc;

	ATF_REQUIRE(mkdir("md", 0700) == 0);
	rc = start(&m, args, &code, err, sizeof(err));
	/* Parsed alike either way. */
	ATF_CHECK(m.preauth == 1 && m.trace == 1);
	ATF_CHECK_STREQ(m.maildir, "md");
	ATF_CHECK_STREQ(own_val, "7");
	ATF_CHECK_EQ(m.so.timeout, 5);
	if (geteuid() == 0) {
		/* As root --preauth serves a Maildir as its owner: here
		   root, which it refuses. */
		ATF_CHECK_EQ(rc, -1);
		ATF_CHECK_EQ(code, EX_NOPERM);
		ATF_CHECK(strstr(err, "md: owned by root") == err);
		return;
	}
	ATF_REQUIRE_MSG(rc == 0, "%d %s", code, err);
	ATF_CHECK_STREQ(m.hostname, "imap.test");
	ATF_CHECK_STREQ(m.log.prog, "srvmain_test");
	ATF_CHECK_EQ(m.log.use_syslog, 0); /* --preauth: the invoker's */
	ATF_CHECK_EQ(m.log.trace, 1);
	ATF_CHECK(m.tls == NULL && m.privsep == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, refusals);
	ATF_TP_ADD_TC(tp, usage_text);
	ATF_TP_ADD_TC(tp, usage_lines);
	ATF_TP_ADD_TC(tp, preauth_setup);
	return atf_no_error();
}
