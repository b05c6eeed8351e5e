/*
 * util_test: string copies, number parsing, full writes, sleeping,
 * finding a program beside our own.
 */
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "util.h"

ATF_TC_WITHOUT_HEAD(strlcpy_truncates);
ATF_TC_BODY(strlcpy_truncates, tc)
{
	char b[6];

	ATF_CHECK_EQ(util_strlcpy(b, "hello world", sizeof(b)), 11);
	ATF_CHECK_STREQ(b, "hello");
	ATF_CHECK_EQ(util_strlcpy(b, "hi", sizeof(b)), 2);
	ATF_CHECK_STREQ(b, "hi");
	ATF_CHECK_EQ(util_strlcat(b, "abcdef", sizeof(b)), 8);
	ATF_CHECK_STREQ(b, "hiabc");
}

ATF_TC_WITHOUT_HEAD(parse_num);
ATF_TC_BODY(parse_num, tc)
{
	long long v;

	ATF_CHECK(util_parse_num("42", 0, 100, 0, &v) == 0 && v == 42);
	ATF_CHECK(
	    util_parse_num("10K", 0, 1LL << 40, 1, &v) == 0 && v == 10240);
	ATF_CHECK(util_parse_num("3m", 0, 1LL << 40, 1, &v) == 0 &&
	    v == 3LL * 1024 * 1024);
	ATF_CHECK(
	    util_parse_num("2G", 0, 1LL << 40, 1, &v) == 0 && v == 2LL << 30);
	ATF_CHECK(util_parse_num("10K", 0, 1LL << 40, 0, &v) == -1);
	ATF_CHECK(util_parse_num("101", 0, 100, 0, &v) == -1);
	ATF_CHECK(util_parse_num("-1", 0, 100, 0, &v) == -1);
	ATF_CHECK(util_parse_num("", 0, 100, 0, &v) == -1);
	ATF_CHECK(util_parse_num(" 1", 0, 100, 0, &v) == -1);
	ATF_CHECK(util_parse_num("+1", 0, 100, 0, &v) == -1);
	ATF_CHECK(util_parse_num("1x", 0, 100, 0, &v) == -1);
	ATF_CHECK(util_parse_num("99999999999999999999", 0, 100, 0, &v) == -1);
	ATF_CHECK(
	    util_parse_num("9999999999999999G", 0, 1LL << 62, 1, &v) == -1);
}

ATF_TC_WITHOUT_HEAD(write_all_pipe);
ATF_TC_BODY(write_all_pipe, tc)
{
	int fds[2];
	char out[100000], in[100000];
	size_t got = 0;
	pid_t pid;

	memset(out, 'x', sizeof(out));
	ATF_REQUIRE(pipe(fds) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		_exit(util_write_all(fds[1], out, sizeof(out)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	while (got < sizeof(in)) {
		ssize_t n = read(fds[0], in + got, sizeof(in) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	ATF_CHECK_EQ(got, sizeof(out));
	ATF_CHECK(memcmp(in, out, sizeof(out)) == 0);
	close(fds[0]);
}

ATF_TC_WITHOUT_HEAD(lower_and_misc);
ATF_TC_BODY(lower_and_misc, tc)
{
	char s[] = "MiXeD.Example.ORG";
	char host[256];
	int64_t a, b;

	util_lower(s);
	ATF_CHECK_STREQ(s, "mixed.example.org");
	ATF_CHECK(util_is_ascii(s));
	ATF_CHECK(util_is_ascii(""));
	ATF_CHECK(!util_is_ascii("b\xc3\xbc" "cher.example"));
	util_hostname(host, sizeof(host));
	ATF_CHECK(host[0] != '\0');
	a = util_now_ms();
	b = util_now_ms();
	ATF_CHECK(b >= a);
	ATF_CHECK(util_fsync_dir(".") == 0);
	ATF_CHECK(util_fsync_dir("./no-such-dir") == -1);
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static int
alarmed(void)
{
	return alarms > 0;
}

/* A 20 ms interval timer, so signals fall into the sleep. */
static void
tick(void)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	ATF_REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 20000;
	it.it_interval.tv_usec = 20000;
	alarms = 0;
	ATF_REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

static void
untick(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	ATF_REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

ATF_TC_WITHOUT_HEAD(sleep_ms);
ATF_TC_BODY(sleep_ms, tc)
{
	int64_t t0;

	t0 = util_now_ms();
	ATF_CHECK_EQ(util_sleep_ms(0, NULL), 0);
	ATF_CHECK_EQ(util_sleep_ms(-5, NULL), 0);
	ATF_CHECK(util_now_ms() - t0 < 20);
	t0 = util_now_ms();
	ATF_CHECK_EQ(util_sleep_ms(60, NULL), 0);
	ATF_CHECK(util_now_ms() - t0 >= 60);
	/* Signals do not cut the sleep short without a stop function. */
	tick();
	t0 = util_now_ms();
	ATF_CHECK_EQ(util_sleep_ms(250, NULL), 0);
	ATF_CHECK(util_now_ms() - t0 >= 250);
	ATF_CHECK(alarms >= 2);
	untick();
	/* Nor when stop says go on. */
	tick();
	alarms = -1000;
	t0 = util_now_ms();
	ATF_CHECK_EQ(util_sleep_ms(150, alarmed), 0);
	ATF_CHECK(util_now_ms() - t0 >= 150);
	untick();
	/* Stop ends it at the first signal. */
	tick();
	t0 = util_now_ms();
	ATF_CHECK_EQ(util_sleep_ms(2000, alarmed), -1);
	ATF_CHECK(util_now_ms() - t0 < 1000);
	untick();
}

ATF_TC_WITHOUT_HEAD(expand_sender);
ATF_TC_BODY(expand_sender, tc)
{
	static const struct {
		const char *word, *from, *want;
	} t[] = {
	    {"-f", "a@b", "-f"},
	    {"%F", "a@b", "a@b"},
	    {"-f%F", "a@b", "-fa@b"},
	    {"%F%F", "x", "xx"},
	    {"%%F", "a@b", "%F"},
	    {"100%%", "a@b", "100%"},
	    {"%T", "a@b", "%T"},
	    {"%", "a@b", "%"},
	    {"end%", "a@b", "end%"},
	    {"%F", "", ""},
	    {"", "a@b", ""},
	};
	size_t i;
	char *got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = util_expand_sender(t[i].word, t[i].from);
		ATF_REQUIRE(got != NULL);
		ATF_CHECK_STREQ_MSG(t[i].want, got, "word \"%s\"", t[i].word);
		free(got);
	}
}

ATF_TC_WITHOUT_HEAD(find_prog);
ATF_TC_BODY(find_prog, tc)
{
	char self[PATH_MAX], out[PATH_MAX], tiny[4];
	const char *p;
	ssize_t n;

	/* A name with a slash is left as it is. */
	ATF_CHECK_STREQ(util_find_prog("./x", out, sizeof(out)), "./x");
	ATF_CHECK_STREQ(util_find_prog("/bin/sh", out, sizeof(out)), "/bin/sh");
	/* Beside our own binary: this test program itself. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ATF_REQUIRE(n > 0);
	self[n] = '\0';
	p = util_find_prog(strrchr(self, '/') + 1, out, sizeof(out));
	ATF_CHECK(p == out);
	ATF_CHECK_STREQ(p, self);
	/* Not there: left to execvp's PATH search. */
	ATF_CHECK_STREQ(util_find_prog("sh", out, sizeof(out)), "sh");
	ATF_CHECK_STREQ(util_find_prog("no-such-prog-here", out, sizeof(out)),
	    "no-such-prog-here");
	/* No room for the path: the name. */
	p = util_find_prog(strrchr(self, '/') + 1, tiny, sizeof(tiny));
	ATF_CHECK_STREQ(p, strrchr(self, '/') + 1);
}

/* The argv an option like --command takes, every form. */
ATF_TC_WITHOUT_HEAD(argv_take);
ATF_TC_BODY(argv_take, tc)
{
	static const struct {
		const char *arg; /* --opt=VALUE, or NULL */
		const char *words; /* argv after the option, "|"-separated */
		size_t max;
		int n; /* words taken, -1 error */
		const char *got; /* "|"-joined */
		int next; /* optind after */
	} t[] = {
	    {NULL, "a|b|;|x", 8, 2, "a|b", 3},
	    {NULL, "a|b", 8, 2, "a|b", 2},
	    {NULL, "a b  c|;|x", 8, 3, "a|b|c", 1},
	    {"p q", "x|y", 8, 2, "p|q", 0},
	    {NULL, ";|x", 8, -1, "", 1},
	    {NULL, "", 8, -1, "", 0},
	    {NULL, "a|b|c", 2, -1, "", 2},
	    {"  ", "x", 8, -1, "", 0},
	};
	char words[64], *argv[16], *out[16], *copy, err[128], got[64];
	size_t i, k;
	int argc, oi, n;
	char *w, *save;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		util_strlcpy(words, t[i].words, sizeof(words));
		argc = 0;
		for (w = strtok_r(words, "|", &save); w != NULL;
		     w = strtok_r(NULL, "|", &save))
			argv[argc++] = w;
		argv[argc] = NULL;
		oi = 0;
		n = util_argv_take(t[i].arg, argc, argv, &oi, out, t[i].max,
		    &copy, err, sizeof(err));
		ATF_CHECK_EQ_MSG(n, t[i].n, "case %zu: %d (%s)", i, n, err);
		ATF_CHECK_EQ_MSG(oi, t[i].next, "case %zu: optind %d", i, oi);
		got[0] = '\0';
		for (k = 0; n > 0 && out[k] != NULL; k++) {
			if (k > 0)
				util_strlcat(got, "|", sizeof(got));
			util_strlcat(got, out[k], sizeof(got));
		}
		ATF_CHECK_STREQ_MSG(got, t[i].got, "case %zu", i);
		free(copy);
	}
}

ATF_TC_WITHOUT_HEAD(spool_open);
ATF_TC_BODY(spool_open, tc)
{
	char err[256], dir[PATH_MAX];
	struct stat st;
	int fd;

	ATF_REQUIRE(getcwd(dir, sizeof(dir)) != NULL);
	ATF_REQUIRE(setenv("TMPDIR", dir, 1) == 0);
	ATF_REQUIRE((fd = util_spool_open("t", err, sizeof(err))) != -1);
	ATF_CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0);
	ATF_CHECK((st.st_mode & 0777) == 0600);
	ATF_CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	ATF_CHECK(write(fd, "x", 1) == 1);
	(void)close(fd);
	ATF_REQUIRE(setenv("TMPDIR", "/nonexistent/dir", 1) == 0);
	ATF_CHECK_EQ(util_spool_open("t", err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "/nonexistent/dir/t.") != NULL, "%s", err);
}

/*
 * util_file_move as memmove: up and down by less and more than its
 * piece (64 KiB), over a range of several pieces and one not a
 * multiple of it, checked against memmove on a copy; a range past the
 * end is EIO.
 */
ATF_TC_WITHOUT_HEAD(file_move);
ATF_TC_BODY(file_move, tc)
{
	static const struct {
		off_t from, to, n;
	} t[] = {
	    {0, 1, 200000}, {0, 100, 200000}, {0, 70000, 150000},
	    {1, 0, 200000}, {5000, 3, 190000}, {90000, 0, 100000},
	    {10, 10, 5000}, {0, 7, 0}, {100, 50, 65536}, {0, 65536, 65537},
	};
	enum { SIZE = 300000 };
	char err[256], dir[PATH_MAX];
	unsigned char *want, *got;
	size_t i, j;
	int fd;

	ATF_REQUIRE(getcwd(dir, sizeof(dir)) != NULL);
	ATF_REQUIRE(setenv("TMPDIR", dir, 1) == 0);
	ATF_REQUIRE((want = malloc(SIZE)) != NULL);
	ATF_REQUIRE((got = malloc(SIZE)) != NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE((fd = util_spool_open("t", err, sizeof(err))) !=
		    -1);
		for (j = 0; j < SIZE; j++)
			want[j] = (unsigned char)(j * 7 + j / 251);
		ATF_REQUIRE(util_write_all(fd, want, SIZE) == 0);
		ATF_REQUIRE(util_file_move(fd, t[i].from, t[i].to, t[i].n) ==
		    0);
		memmove(want + t[i].to, want + t[i].from, (size_t)t[i].n);
		ATF_REQUIRE_EQ(util_pread_all(fd, got, SIZE, 0), SIZE);
		ATF_CHECK_MSG(memcmp(got, want, SIZE) == 0,
		    "from %lld to %lld, %lld octets", (long long)t[i].from,
		    (long long)t[i].to, (long long)t[i].n);
		/* util_pread_all: short at the end only */
		ATF_CHECK_EQ(util_pread_all(fd, got, 100, SIZE - 10), 10);
		ATF_CHECK_EQ(util_pread_all(fd, got, 100, SIZE + 10), 0);
		(void)close(fd);
	}
	ATF_REQUIRE((fd = util_spool_open("t", err, sizeof(err))) != -1);
	ATF_REQUIRE(util_write_all(fd, want, 1000) == 0);
	errno = 0;
	ATF_CHECK_EQ(util_file_move(fd, 500, 600, 501), -1);
	ATF_CHECK_EQ(errno, EIO);
	(void)close(fd);
	free(want);
	free(got);
}

/* util_utf8_char: RFC 3629 §4's table, its edges and what it rules
   out; util_utf8_valid over whole strings. */
ATF_TC_WITHOUT_HEAD(utf8);
ATF_TC_BODY(utf8, tc)
{
	static const struct {
		const char *s;
		size_t len; /* 0: ill-formed */
		uint32_t cp;
	} t[] = {
	    {"A", 1, 0x41},
	    {"\x7f", 1, 0x7f},
	    {"\xc2\x80", 2, 0x80},
	    {"\xdf\xbf", 2, 0x7ff},
	    {"\xe0\xa0\x80", 3, 0x800},
	    {"\xed\x9f\xbf", 3, 0xd7ff},
	    {"\xee\x80\x80", 3, 0xe000},
	    {"\xef\xbf\xbf", 3, 0xffff},
	    {"\xf0\x90\x80\x80", 4, 0x10000},
	    {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
	    {"\x80", 0, 0},		    /* a continuation alone */
	    {"\xc0\x80", 0, 0},	    /* overlong NUL */
	    {"\xc1\xbf", 0, 0},	    /* overlong */
	    {"\xe0\x9f\xbf", 0, 0},	    /* overlong */
	    {"\xf0\x8f\xbf\xbf", 0, 0}, /* overlong */
	    {"\xed\xa0\x80", 0, 0},	    /* a surrogate */
	    {"\xed\xbf\xbf", 0, 0},	    /* a surrogate */
	    {"\xf4\x90\x80\x80", 0, 0}, /* above U+10FFFF */
	    {"\xf5\x80\x80\x80", 0, 0},
	    {"\xff", 0, 0},
	    {"\xc3", 0, 0},		    /* cut */
	    {"\xe2\x82", 0, 0},	    /* cut */
	    {"\xc3\x28", 0, 0},	    /* not a continuation */
	    {"\xe2\x28\xa1", 0, 0},
	};
	uint32_t cp;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cp = 0xdead;
		ATF_CHECK_EQ_MSG(util_utf8_char(t[i].s, strlen(t[i].s), &cp),
		    t[i].len, "case %zu", i);
		if (t[i].len > 0)
			ATF_CHECK_EQ_MSG(cp, t[i].cp, "case %zu", i);
		ATF_CHECK_EQ(util_utf8_char(t[i].s, strlen(t[i].s), NULL),
		    t[i].len);
		ATF_CHECK_EQ(
		    util_utf8_valid(t[i].s, strlen(t[i].s)), t[i].len > 0);
	}
	ATF_CHECK_EQ(util_utf8_char("", 0, &cp), 0);
	ATF_CHECK_EQ(util_utf8_char("\xc3\xa9", 1, &cp), 0); /* len cuts */
	ATF_CHECK(util_utf8_valid("", 0));
	ATF_CHECK(util_utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9));
	ATF_CHECK(!util_utf8_valid("caf\xc3\xa9 \xe2\x82", 8));
	ATF_CHECK(!util_utf8_valid("ab\xff" "cd", 5));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, strlcpy_truncates);
	ATF_TP_ADD_TC(tp, parse_num);
	ATF_TP_ADD_TC(tp, write_all_pipe);
	ATF_TP_ADD_TC(tp, lower_and_misc);
	ATF_TP_ADD_TC(tp, sleep_ms);
	ATF_TP_ADD_TC(tp, expand_sender);
	ATF_TP_ADD_TC(tp, find_prog);
	ATF_TP_ADD_TC(tp, argv_take);
	ATF_TP_ADD_TC(tp, spool_open);
	ATF_TP_ADD_TC(tp, file_move);
	ATF_TP_ADD_TC(tp, utf8);
	return atf_no_error();
}
