/*
 * srvopt_test: the options every server has: each option through
 * getopt_long with the merged table, the bounds and error texts, the
 * cross-checks, the usage text and the listener's settings.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <atf-c.h>

#include "srvopt.h"

#define OWN_X 256

static const struct option own[] = {
    {"own-x", required_argument, NULL, OWN_X}, {NULL, 0, NULL, 0}};

/*
 * Run args (NULL-terminated, without argv[0]) through getopt_long and
 * srvopt_take as a server does.  0 all taken, 1 one was not srvopt's
 * (*notmine: the character), -1 srvopt_take refused one (err).
 */
static int
parse(struct srvopt *so, const char *const *args, int *notmine, char *err,
    size_t errlen)
{
	struct option lo[SRVOPT_LONGOPTS_MAX];
	char *argv[32];
	int argc = 0, ch, r;

	argv[argc++] = "srvopt_test";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ATF_REQUIRE(srvopt_longopts(so, own, lo, SRVOPT_LONGOPTS_MAX) == 0);
	optind = 0; /* glibc: start afresh */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hV", lo, NULL)) != -1) {
		if ((r = srvopt_take(so, ch, optarg, err, errlen)) == -1)
			return -1;
		if (r == 0) {
			*notmine = ch;
			return 1;
		}
	}
	return 0;
}

/* One number option: its field, its bounds, the message's name. */
static const struct numcase {
	const char *opt;
	size_t off;
	long long min, max;
} nums[] = {
    {"--max-clients", offsetof(struct srvopt, max_clients), 1, 1024},
    {"--max-per-address", offsetof(struct srvopt, max_per_addr), 1, 1024},
    {"--max-errors", offsetof(struct srvopt, max_errors), 1, 1000},
    {"--timeout", offsetof(struct srvopt, timeout), 1, 86400},
    {"--max-session-time", offsetof(struct srvopt, lifetime), 0, 86400},
    {"--auth-delay", offsetof(struct srvopt, auth_delay_ms), 0, 60000},
    {"--grace", offsetof(struct srvopt, grace), 0, 3600},
};

static int
field(const struct srvopt *so, size_t off)
{
	return *(const int *)(const void *)((const char *)so + off);
}

ATF_TC_WITHOUT_HEAD(defaults);
ATF_TC_BODY(defaults, tc)
{
	struct srvopt so;

	srvopt_init(&so, 300, 0);
	ATF_CHECK_EQ(so.timeout, 300);
	ATF_CHECK_EQ(so.max_clients, SRVOPT_CLIENTS_DEFAULT);
	ATF_CHECK_EQ(so.max_per_addr, SERVER_PER_ADDR_DEFAULT);
	ATF_CHECK_EQ(so.max_errors, SRVOPT_ERRORS_DEFAULT);
	ATF_CHECK_EQ(so.lifetime, SESSION_LIFETIME_DEFAULT);
	ATF_CHECK_EQ(so.auth_delay_ms, SRVOPT_AUTH_DELAY_DEFAULT);
	ATF_CHECK_EQ(so.grace, SRVOPT_GRACE_DEFAULT);
	ATF_CHECK_EQ(so.resolve, 1);
	ATF_CHECK(so.listen == NULL && so.cert == NULL && so.user == NULL);
	srvopt_init(&so, 600, 0);
	ATF_CHECK_EQ(so.timeout, 600);
}

ATF_TC_WITHOUT_HEAD(numbers);
ATF_TC_BODY(numbers, tc)
{
	struct srvopt so;
	char err[256], want[256], v[32];
	const char *args[3];
	size_t i;
	int nm;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		const struct numcase *n = &nums[i];
		long long ok[2] = {n->min, n->max};
		long long bad[2] = {n->min - 1, n->max + 1};
		size_t j;

		args[0] = n->opt;
		args[1] = v;
		args[2] = NULL;
		for (j = 0; j < 2; j++) {
			srvopt_init(&so, 300, 0);
			(void)snprintf(v, sizeof(v), "%lld", ok[j]);
			ATF_CHECK_MSG(parse(&so, args, &nm, err, sizeof(err)) ==
			    0, "%s %s", n->opt, v);
			ATF_CHECK_EQ_MSG(field(&so, n->off), ok[j], "%s %s",
			    n->opt, v);
		}
		for (j = 0; j < 2; j++) {
			srvopt_init(&so, 300, 0);
			(void)snprintf(v, sizeof(v), "%lld", bad[j]);
			ATF_CHECK(parse(&so, args, &nm, err, sizeof(err)) == -1);
			(void)snprintf(want, sizeof(want),
			    "%s %s: not a number in [%lld, %lld]", n->opt, v,
			    n->min, n->max);
			ATF_CHECK_STREQ(err, want);
		}
		/* No suffixes, no words, no trailing junk. */
		for (j = 0; j < 3; j++) {
			const char *junk[] = {"1k", "ten", "5 "};

			srvopt_init(&so, 300, 0);
			(void)snprintf(v, sizeof(v), "%s", junk[j]);
			ATF_CHECK_MSG(parse(&so, args, &nm, err, sizeof(err)) ==
			    -1, "%s %s", n->opt, v);
		}
	}
}

ATF_TC_WITHOUT_HEAD(num_suffix);
ATF_TC_BODY(num_suffix, tc)
{
	char err[128];
	long long v;

	ATF_CHECK(srvopt_num("--max-size", "2K", 0, 1LL << 40, 1, &v, err,
	    sizeof(err)) == 0 && v == 2048);
	ATF_CHECK(srvopt_num("--max-size", "3M", 0, 1LL << 40, 1, &v, err,
	    sizeof(err)) == 0 && v == 3LL << 20);
	ATF_CHECK(srvopt_num("--max-recipients", "2K", 1, 10000, 0, &v, err,
	    sizeof(err)) == -1);
	ATF_CHECK_STREQ(err, "--max-recipients 2K: not a number in [1, 10000]");
	ATF_CHECK(srvopt_num("--max-size", "-1", 0, 10, 1, &v, err,
	    sizeof(err)) == -1);
	ATF_CHECK_STREQ(err, "--max-size -1: not a number in [0, 10]");
}

ATF_TC_WITHOUT_HEAD(strings_and_flags);
ATF_TC_BODY(strings_and_flags, tc)
{
	static const char *const args[] = {"--listen", "127.0.0.1:2525",
	    "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-on-connect",
	    "--allow-plain-auth", "--passwd-file", "pw", "--log", "stderr",
	    "--no-resolve", "--user", "nobody", "--hostname", "mx.test",
	    NULL};
	struct srvopt so;
	char err[128];
	int nm;

	srvopt_init(&so, 300, 0);
	ATF_REQUIRE(parse(&so, args, &nm, err, sizeof(err)) == 0);
	ATF_CHECK_STREQ(so.listen, "127.0.0.1:2525");
	ATF_CHECK_STREQ(so.cert, "c.pem");
	ATF_CHECK_STREQ(so.key, "k.pem");
	ATF_CHECK_EQ(so.tls_on_connect, 1);
	ATF_CHECK_EQ(so.allow_plain_auth, 1);
	ATF_CHECK_STREQ(so.passwd_file, "pw");
	ATF_CHECK_STREQ(so.log, "stderr");
	ATF_CHECK_EQ(so.resolve, 0);
	ATF_CHECK_STREQ(so.user, "nobody");
	ATF_CHECK_STREQ(so.hostname, "mx.test");
	ATF_CHECK_EQ(so.inetd, 0);
	ATF_CHECK_EQ(srvopt_syslog(&so, 1), 0);
	so.log = "syslog";
	ATF_CHECK_EQ(srvopt_syslog(&so, 0), 1);
	so.log = NULL;
	ATF_CHECK_EQ(srvopt_syslog(&so, 1), 1);
	ATF_CHECK_EQ(srvopt_syslog(&so, 0), 0);
}

ATF_TC_WITHOUT_HEAD(bad_values);
ATF_TC_BODY(bad_values, tc)
{
	static const struct {
		const char *opt, *val, *err;
	} t[] = {
	    {"--log", "file", "--log file: stderr or syslog"},
	    {"--log", "", "--log : stderr or syslog"},
	    {"--hostname", "a b", "--hostname a b: not a domain"},
	    {"--hostname", "", "--hostname : not a domain"},
	    {"--hostname", "-x.test", "--hostname -x.test: not a domain"},
	};
	struct srvopt so;
	char err[128];
	const char *args[3];
	size_t i;
	int nm;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		srvopt_init(&so, 300, 0);
		args[0] = t[i].opt;
		args[1] = t[i].val;
		args[2] = NULL;
		ATF_CHECK(parse(&so, args, &nm, err, sizeof(err)) == -1);
		ATF_CHECK_STREQ(err, t[i].err);
	}
}

ATF_TC_WITHOUT_HEAD(not_mine);
ATF_TC_BODY(not_mine, tc)
{
	static const char *const own_x[] = {"--inetd", "--own-x", "1", NULL};
	static const char *const help[] = {"--help", NULL};
	static const char *const version[] = {"-V", NULL};
	static const char *const unknown[] = {"--no-such", NULL};
	static const char *const lifetime[] = {"--max-session-time", "5",
	    NULL};
	struct srvopt so;
	struct option lo[4];
	char err[128];
	int nm = 0;

	srvopt_init(&so, 300, 0);
	ATF_CHECK(parse(&so, own_x, &nm, err, sizeof(err)) == 1);
	ATF_CHECK_EQ(nm, OWN_X);
	ATF_CHECK_EQ(so.inetd, 1);
	ATF_CHECK(parse(&so, help, &nm, err, sizeof(err)) == 1 && nm == 'h');
	ATF_CHECK(parse(&so, version, &nm, err, sizeof(err)) == 1 &&
	    nm == 'V');
	ATF_CHECK(parse(&so, unknown, &nm, err, sizeof(err)) == 1 &&
	    nm == '?');
	ATF_CHECK_EQ(srvopt_take(&so, 'x', "1", err, sizeof(err)), 0);
	ATF_CHECK_EQ(srvopt_take(&so, SRVOPT_END, "1", err, sizeof(err)), 0);
	/* A program that leaves an option out does not get it. */
	so.omit = SRVOPT_BIT(SRVOPT_LIFETIME);
	ATF_CHECK(parse(&so, lifetime, &nm, err, sizeof(err)) == 1 &&
	    nm == '?');
	/* Too small a table is said, not overrun. */
	ATF_CHECK_EQ(srvopt_longopts(&so, own, lo, 4), -1);
}

ATF_TC_WITHOUT_HEAD(cross_checks);
ATF_TC_BODY(cross_checks, tc)
{
	static const struct {
		unsigned int flags;
		const char *args[8];
		int rc;
		const char *err;
	} t[] = {
	    {0, {NULL}, 0, NULL},
	    {SRVOPT_MODE_REQUIRED, {NULL}, EX_USAGE,
		"give one of --inetd or --listen ADDR:PORT"},
	    {SRVOPT_MODE_REQUIRED, {"--inetd", NULL}, 0, NULL},
	    {SRVOPT_MODE_REQUIRED, {"--listen", "127.0.0.1:1", NULL}, 0,
		NULL},
	    {0, {"--inetd", "--listen", "127.0.0.1:1", NULL}, EX_USAGE,
		"--inetd and --listen exclude each other"},
	    {0, {"--tls-cert", "c", NULL}, EX_USAGE,
		"--tls-cert and --tls-key go together"},
	    {0, {"--tls-key", "k", NULL}, EX_USAGE,
		"--tls-cert and --tls-key go together"},
	    {0, {"--tls-on-connect", NULL}, EX_USAGE,
		"--tls-on-connect needs --tls-cert and --tls-key"},
	    {0, {"--tls-on-connect", "--tls-cert", "c", "--tls-key", "k",
		NULL}, 0, NULL},
	    {0, {"--passwd-file", "/nonexistent/pw", NULL}, EX_CONFIG,
		"/nonexistent/pw: No such file or directory"},
	    {0, {"--passwd-file", "/dev/null", NULL}, 0, NULL},
	};
	struct srvopt so;
	char err[128];
	size_t i;
	int nm, rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		srvopt_init(&so, 300, t[i].flags);
		err[0] = '\0';
		ATF_REQUIRE(parse(&so, t[i].args, &nm, err, sizeof(err)) == 0);
		rc = srvopt_check(&so, err, sizeof(err));
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu", i);
		if (t[i].err != NULL)
			ATF_CHECK_STREQ(err, t[i].err);
	}
}

ATF_TC_WITHOUT_HEAD(usage_text);
ATF_TC_BODY(usage_text, tc)
{
	struct srvopt so;
	char u[SRVOPT_USAGE_MAX], small[64];
	const char *p, *nl;

	srvopt_init(&so, 300, 0);
	ATF_REQUIRE(srvopt_usage(&so, u, sizeof(u)) == u);
	ATF_CHECK(strstr(u, "  --timeout S            idle seconds before "
			    "disconnect (default 300)\n") != NULL);
	ATF_CHECK(strstr(u, "--max-per-address N") != NULL);
	ATF_CHECK(strstr(u, "--max-session-time S") != NULL);
	ATF_CHECK(strstr(u, "--tls-on-connect") != NULL);
	/* All of it fits: the last line is there. */
	ATF_CHECK(strstr(u, "-h, --help  -V, --version\n") != NULL);
	/* Every line fits a terminal. */
	for (p = u; *p != '\0'; p = nl + 1) {
		ATF_REQUIRE((nl = strchr(p, '\n')) != NULL);
		ATF_CHECK_MSG(nl - p <= 80, "%.*s", (int)(nl - p), p);
	}
	/* Too small a buffer: whole lines, still a string. */
	ATF_CHECK(srvopt_usage(&so, small, sizeof(small)) == small);
	ATF_CHECK(strlen(small) < sizeof(small));
	/* The defaults, not what was given. */
	so.timeout = 5;
	so.max_clients = 7;
	(void)srvopt_usage(&so, u, sizeof(u));
	ATF_CHECK(strstr(u, "disconnect (default 300)") != NULL);
	ATF_CHECK(strstr(u, "sessions at once (default 20)") != NULL);
	/* The protocol's timeout, and what is left out is not listed. */
	srvopt_init(&so, 600, 0);
	so.omit = SRVOPT_BIT(SRVOPT_LIFETIME);
	(void)srvopt_usage(&so, u, sizeof(u));
	ATF_CHECK(strstr(u, "(default 600)") != NULL);
	ATF_CHECK(strstr(u, "--max-session-time") == NULL);
}

ATF_TC_WITHOUT_HEAD(listener);
ATF_TC_BODY(listener, tc)
{
	static const char *const args[] = {"--listen", "[::1]:110",
	    "--max-clients", "7", "--max-per-address", "3", "--grace", "0",
	    NULL};
	struct srvopt so;
	struct server srv;
	char err[128];
	int nm;

	srvopt_init(&so, 600, 0);
	ATF_REQUIRE(parse(&so, args, &nm, err, sizeof(err)) == 0);
	memset(&srv, 0xff, sizeof(srv));
	srvopt_server(&so, &srv, "busy\r\n", "addr\r\n", "banned\r\n");
	ATF_CHECK_STREQ(srv.hostport, "[::1]:110");
	ATF_CHECK_EQ(srv.max_children, 7);
	ATF_CHECK_EQ(srv.max_per_addr, 3);
	ATF_CHECK_EQ(srv.grace, 0);
	ATF_CHECK_STREQ(srv.busy_line, "busy\r\n");
	ATF_CHECK_STREQ(srv.busy_addr_line, "addr\r\n");
	ATF_CHECK_STREQ(srv.banned_line, "banned\r\n");
	/* The rest is the caller's, and cleared. */
	ATF_CHECK(srv.log == NULL && srv.ready == NULL && srv.serve == NULL &&
	    srv.arg == NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, defaults);
	ATF_TP_ADD_TC(tp, numbers);
	ATF_TP_ADD_TC(tp, num_suffix);
	ATF_TP_ADD_TC(tp, strings_and_flags);
	ATF_TP_ADD_TC(tp, bad_values);
	ATF_TP_ADD_TC(tp, not_mine);
	ATF_TP_ADD_TC(tp, cross_checks);
	ATF_TP_ADD_TC(tp, usage_text);
	ATF_TP_ADD_TC(tp, listener);
	return atf_no_error();
}
