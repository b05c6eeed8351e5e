/*
 * secret_test: where a client's password comes from: passwordeval,
 * .netrc (parser and file lookup), the terminal (on a pseudo-terminal).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <atf-c.h>

#include "secret.h"
#include "util.h"

/* secret_netrc_find over an exact-size heap copy (ASan sees overreads). */
static int
find(const char *text, const char *host, const char *user, char *out,
    size_t outlen)
{
	size_t n = strlen(text);
	char *d = malloc(n > 0 ? n : 1);
	int rc;

	ATF_REQUIRE(d != NULL);
	memcpy(d, text, n);
	rc = secret_netrc_find(d, n, host, user, out, outlen);
	free(d);
	return rc;
}

ATF_TC_WITHOUT_HEAD(netrc_entries);
ATF_TC_BODY(netrc_entries, tc)
{
	const char *n = "machine a.example login ann password pa\n"
			"machine b.example\n\tlogin bob password pb1\n"
			"machine b.example login bea password pb2\n"
			"default login any password pd\n";
	char pw[64];

	ATF_CHECK_EQ(find(n, "a.example", "ann", pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "pa");
	/* The first entry whose login matches. */
	ATF_CHECK_EQ(find(n, "b.example", "bea", pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "pb2");
	ATF_CHECK_EQ(find(n, "b.example", "bob", pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "pb1");
	/* A NULL user takes the first entry for the host. */
	ATF_CHECK_EQ(find(n, "b.example", NULL, pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "pb1");
	/* No machine entry: default, when its login matches. */
	ATF_CHECK_EQ(find(n, "c.example", "any", pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "pd");
	ATF_CHECK_EQ(find(n, "c.example", "ann", pw, sizeof(pw)), 0);
	/* Host names compare whole. */
	ATF_CHECK_EQ(find(n, "a.exampl", "ann", pw, sizeof(pw)), 0);
	/* An entry without a login serves any user; one without a
	   password serves none. */
	ATF_CHECK_EQ(find("machine h password x", "h", "u", pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "x");
	ATF_CHECK_EQ(find("machine h login u", "h", "u", pw, sizeof(pw)), 0);
	ATF_CHECK_EQ(find("", "h", "u", pw, sizeof(pw)), 0);
	ATF_CHECK_EQ(find(" \n\t\r\n", "h", "u", pw, sizeof(pw)), 0);
}

ATF_TC_WITHOUT_HEAD(netrc_skips);
ATF_TC_BODY(netrc_skips, tc)
{
	char pw[64];

	/* An account value is a value, even when it reads "machine". */
	ATF_CHECK_EQ(find("machine h account machine login u password p", "h",
			 "u", pw, sizeof(pw)),
	    1);
	ATF_CHECK_STREQ(pw, "p");
	/* A macro runs to the next empty line; its words are not
	   entries. */
	ATF_CHECK_EQ(find("macdef init\nmachine h password evil\n\n"
			  "machine h login u password good\n",
			 "h", "u", pw, sizeof(pw)),
	    1);
	ATF_CHECK_STREQ(pw, "good");
	/* A macro to the end of the file hides the rest. */
	ATF_CHECK_EQ(find("macdef init\nmachine h login u password p\n", "h",
			 "u", pw, sizeof(pw)),
	    0);
	/* Unknown words are skipped, as ftp(1) does. */
	ATF_CHECK_EQ(find("machine h port 25 login u password p", "h", "u", pw,
			 sizeof(pw)),
	    1);
	ATF_CHECK_STREQ(pw, "p");
}

ATF_TC_WITHOUT_HEAD(netrc_malformed);
ATF_TC_BODY(netrc_malformed, tc)
{
	char pw[8], *big;

	ATF_CHECK_EQ(find("machine", "h", "u", pw, sizeof(pw)), -1);
	ATF_CHECK_EQ(find("machine h login", "h", "u", pw, sizeof(pw)), -1);
	ATF_CHECK_EQ(find("machine h password", "h", "u", pw, sizeof(pw)), -1);
	ATF_CHECK_EQ(find("machine h account\n", "h", "u", pw, sizeof(pw)), -1);
	/* A password that does not fit out. */
	ATF_CHECK_EQ(
	    find("machine h password 1234567", "h", "u", pw, sizeof(pw)), 1);
	ATF_CHECK_STREQ(pw, "1234567");
	ATF_CHECK_EQ(
	    find("machine h password 12345678", "h", "u", pw, sizeof(pw)), -1);
	/* Longer than SECRET_NETRC_MAX: refused unread. */
	ATF_REQUIRE((big = malloc(SECRET_NETRC_MAX + 1)) != NULL);
	memset(big, ' ', SECRET_NETRC_MAX + 1);
	memcpy(big, "machine h password p", 20);
	ATF_CHECK_EQ(secret_netrc_find(
			 big, SECRET_NETRC_MAX + 1, "h", "u", pw, sizeof(pw)),
	    -1);
	ATF_CHECK_EQ(
	    secret_netrc_find(big, SECRET_NETRC_MAX, "h", "u", pw, sizeof(pw)),
	    1);
	free(big);
}

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE(util_write_all(fd, text, strlen(text)) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

ATF_TC_WITHOUT_HEAD(netrc_file);
ATF_TC_BODY(netrc_file, tc)
{
	char pw[64], cwd[1024];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	write_file(".netrc", "machine h login u password fromhome\n");
	write_file("other", "machine h login u password fromenv\n");
	/* $NETRC first. */
	ATF_REQUIRE(setenv("HOME", cwd, 1) == 0);
	ATF_REQUIRE(setenv("NETRC", "other", 1) == 0);
	ATF_CHECK_EQ(secret_netrc("h", "u", pw, sizeof(pw), NULL, 0), 1);
	ATF_CHECK_STREQ(pw, "fromenv");
	/* An empty NETRC counts as unset: ~/.netrc. */
	ATF_REQUIRE(setenv("NETRC", "", 1) == 0);
	ATF_CHECK_EQ(secret_netrc("h", "u", pw, sizeof(pw), NULL, 0), 1);
	ATF_CHECK_STREQ(pw, "fromhome");
	ATF_REQUIRE(unsetenv("NETRC") == 0);
	ATF_CHECK_EQ(secret_netrc("h", "u", pw, sizeof(pw), NULL, 0), 1);
	ATF_CHECK_STREQ(pw, "fromhome");
	ATF_CHECK_EQ(secret_netrc("h", "v", pw, sizeof(pw), NULL, 0), 0);
	/* No file, a malformed one: not found. */
	ATF_REQUIRE(setenv("NETRC", "missing", 1) == 0);
	ATF_CHECK_EQ(secret_netrc("h", "u", pw, sizeof(pw), NULL, 0), 0);
	write_file("bad", "machine h login u password");
	ATF_REQUIRE(setenv("NETRC", "bad", 1) == 0);
	ATF_CHECK_EQ(secret_netrc("h", "u", pw, sizeof(pw), NULL, 0), 0);
	ATF_REQUIRE(unsetenv("NETRC") == 0);
	ATF_REQUIRE(unsetenv("HOME") == 0);
	ATF_CHECK_EQ(secret_netrc("h", "u", pw, sizeof(pw), NULL, 0), 0);
}

/* A .netrc its group or others may read is refused, in one line that
 * names the file, the mode and the fix; secret_get makes it EX_CONFIG. */
ATF_TC_WITHOUT_HEAD(netrc_mode);
ATF_TC_BODY(netrc_mode, tc)
{
	static const struct {
		mode_t mode;
		int rc;
	} cases[] = {
	    {0600, 1},
	    {0400, 1},
	    {0700, 1},
	    {0644, -1},
	    {0640, -1},
	    {0604, -1},
	    {0620, -1},
	    {0666, -1},
	};
	char pw[64], err[256], want[256];
	size_t i;

	write_file("nrc", "machine h login u password secret\n");
	ATF_REQUIRE(setenv("NETRC", "nrc", 1) == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ATF_REQUIRE(chmod("nrc", cases[i].mode) == 0);
		err[0] = '\0';
		pw[0] = 'x';
		ATF_CHECK_EQ_MSG(
		    secret_netrc("h", "u", pw, sizeof(pw), err, sizeof(err)),
		    cases[i].rc, "mode %04o", (unsigned)cases[i].mode);
		if (cases[i].rc == 1) {
			ATF_CHECK_STREQ(pw, "secret");
			continue;
		}
		(void)snprintf(want, sizeof(want),
		    "nrc: mode %04o gives group or others access to "
		    "passwords; chmod 600 nrc",
		    (unsigned)cases[i].mode);
		ATF_CHECK_STREQ(err, want);
		ATF_CHECK(strstr(err, "secret") == NULL);
		ATF_CHECK_EQ(secret_get(NULL, "h", "u", pw, sizeof(pw), err,
				 sizeof(err)),
		    EX_CONFIG);
		ATF_CHECK_STREQ(err, want);
		ATF_CHECK_EQ(pw[0], '\0');
	}
	ATF_REQUIRE(unsetenv("NETRC") == 0);
}

/* No core dumps: RLIMIT_CORE 0 (soft and hard) and, on Linux, not
 * dumpable; a child started with execve(2) is dumpable again. */
ATF_TC_WITHOUT_HEAD(no_core_dumps);
ATF_TC_BODY(no_core_dumps, tc)
{
	pid_t pid;
	int st;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		struct rlimit rl;

		if (secret_no_core_dumps() != 0)
			_exit(1);
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(2);
#ifdef __linux__
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(3);
		/* Our own /proc entries stay ours to read. */
		if (access("/proc/self/fd", R_OK) != 0 &&
		    access("/proc", F_OK) == 0)
			_exit(4);
		/* After exec the child is dumpable (and its limit 0). */
		execl("/bin/sh", "sh", "-c",
		    "grep -q '^Max core file size *0 *0 ' /proc/self/limits",
		    (char *)NULL);
		_exit(5);
#else
		_exit(0);
#endif
	}
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

ATF_TC_WITHOUT_HEAD(eval_first_line);
ATF_TC_BODY(eval_first_line, tc)
{
	char pw[64], err[256];

	ATF_CHECK_EQ(
	    secret_eval("echo s3cret", pw, sizeof(pw), err, sizeof(err)), 0);
	ATF_CHECK_STREQ(pw, "s3cret");
	/* The first line, without its CRLF; blanks inside are kept. */
	ATF_CHECK_EQ(secret_eval("printf 'a b\\r\\nsecond\\n'", pw, sizeof(pw),
			 err, sizeof(err)),
	    0);
	ATF_CHECK_STREQ(pw, "a b");
	/* No newline at all. */
	ATF_CHECK_EQ(
	    secret_eval("printf tok", pw, sizeof(pw), err, sizeof(err)), 0);
	ATF_CHECK_STREQ(pw, "tok");
	/* Exactly the room there is, then a newline and more lines. */
	ATF_CHECK_EQ(secret_eval("echo 1234567; echo more; echo more", pw, 8,
			 err, sizeof(err)),
	    0);
	ATF_CHECK_STREQ(pw, "1234567");
	/* stdin is /dev/null: cat ends at once and prints nothing. */
	ATF_CHECK_EQ(
	    secret_eval("cat", pw, sizeof(pw), err, sizeof(err)), EX_CONFIG);
	ATF_CHECK(
	    strstr(err, "passwordeval: the command printed nothing") != NULL);
}

ATF_TC_WITHOUT_HEAD(eval_failures);
ATF_TC_BODY(eval_failures, tc)
{
	char pw[64], err[256];
	size_t i;

	ATF_CHECK_EQ(secret_eval("echo partial; exit 3", pw, sizeof(pw), err,
			 sizeof(err)),
	    EX_CONFIG);
	ATF_CHECK_STREQ(err, "passwordeval: the command exited with 3");
	/* What it printed before failing is wiped, and not in err. */
	for (i = 0; i < sizeof(pw); i++)
		ATF_CHECK_EQ(pw[i], 0);
	ATF_CHECK_EQ(
	    secret_eval("kill -9 $$", pw, sizeof(pw), err, sizeof(err)),
	    EX_CONFIG);
	ATF_CHECK_STREQ(
	    err, "passwordeval: the command was killed by signal 9");
	ATF_CHECK_EQ(
	    secret_eval("echo", pw, sizeof(pw), err, sizeof(err)), EX_CONFIG);
	/* A first line longer than the room. */
	ATF_CHECK_EQ(
	    secret_eval("echo 12345678", pw, 8, err, sizeof(err)), EX_CONFIG);
	ATF_CHECK_STREQ(err, "passwordeval: first line longer than 7 bytes");
	for (i = 0; i < 8; i++)
		ATF_CHECK_EQ(pw[i], 0);
	/* Endless output: bounded, and the command is stopped. */
	ATF_CHECK_EQ(
	    secret_eval("echo p; yes", pw, sizeof(pw), err, sizeof(err)),
	    EX_CONFIG);
	ATF_CHECK(strstr(err, "output longer than") != NULL);
}

/* The command's own view of its SIGPIPE disposition and descriptors. */
ATF_TC_WITHOUT_HEAD(eval_child_env);
ATF_TC_BODY(eval_child_env, tc)
{
	char pw[256], err[256], want[64] = "";
	unsigned long long mask;
	int fd, flags;

	/* We ignore SIGPIPE (as msend does); the command must not. */
	(void)signal(SIGPIPE, SIG_IGN);
	ATF_CHECK_EQ(secret_eval("awk '/^SigIgn/ { print $2 }' "
				 "/proc/self/status",
			 pw, sizeof(pw), err, sizeof(err)),
	    0);
	mask = strtoull(pw, NULL, 16);
	ATF_CHECK_MSG((mask & (1ULL << (SIGPIPE - 1))) == 0,
	    "SIGPIPE ignored in the command: SigIgn %s", pw);
	/* A pipeline that closes early works. */
	ATF_CHECK_EQ(secret_eval("yes tok | head -n 1", pw, sizeof(pw), err,
			 sizeof(err)),
	    0);
	ATF_CHECK_STREQ(pw, "tok");
	/* Descriptors 3..19 the shell has: none, not even one we left
	   open without FD_CLOEXEC ourselves (common/proc closes them). */
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY)) != -1);
	ATF_REQUIRE(fd < 20 && (flags = fcntl(fd, F_GETFD)) != -1 &&
	    !(flags & FD_CLOEXEC));
	util_strlcat(want, "|", sizeof(want));
	ATF_CHECK_EQ(secret_eval("i=3; while [ $i -lt 20 ]; do "
				 "[ -e /proc/$$/fd/$i ] && printf '%s ' $i; "
				 "i=$((i + 1)); done; echo '|'",
			 pw, sizeof(pw), err, sizeof(err)),
	    0);
	ATF_CHECK_STREQ(pw, want);
	(void)close(fd);
}

/* A command that never ends (and ignores SIGTERM, with a child of its
   own) fails in time with a clear message, and nothing of it stays. */
ATF_TC(eval_timeout);
ATF_TC_HEAD(eval_timeout, tc)
{
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(eval_timeout, tc)
{
	char pw[64], err[256];
	int64_t t0, took;
	size_t i;

	t0 = util_now_ms();
	ATF_CHECK_EQ(secret_eval_timed("echo partial; trap '' TERM; "
				       "sleep 60 & while :; do sleep 60; done",
			 500, pw, sizeof(pw), err, sizeof(err)),
	    EX_TEMPFAIL);
	took = util_now_ms() - t0;
	ATF_CHECK_MSG(
	    took >= 500 && took < 10000, "took %lld ms", (long long)took);
	ATF_CHECK_STREQ(
	    err, "passwordeval: the command timed out after 500 ms, killed");
	for (i = 0; i < sizeof(pw); i++)
		ATF_CHECK_EQ(pw[i], 0);
	/* The default is SECRET_EVAL_TIMEOUT, in seconds. */
	ATF_CHECK(SECRET_EVAL_TIMEOUT > 0 && SECRET_EVAL_TIMEOUT <= 600);
}

/* Run secret_prompt in a child whose terminal is a new pty. */
ATF_TC_WITHOUT_HEAD(prompt_pty);
ATF_TC_BODY(prompt_pty, tc)
{
	const char *want = "password for u@x at mail.example: ";
	char seen[512], res[128];
	struct pollfd pfd;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	int m, p[2], st, sent = 0;

	ATF_REQUIRE((m = posix_openpt(O_RDWR | O_NOCTTY)) != -1);
	ATF_REQUIRE(grantpt(m) == 0 && unlockpt(m) == 0);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		char out[64];
		struct termios t;
		int s, ok;

		(void)close(p[0]);
		/* A new session; the pty becomes its terminal. */
		if (setsid() == -1 || (s = open(ptsname(m), O_RDWR)) == -1)
			_exit(2);
		ok = secret_prompt("mail.example", "u@x", out, sizeof(out));
		if (tcgetattr(s, &t) == -1)
			_exit(3);
		(void)dprintf(p[1], "%d %s %s", ok,
		    (t.c_lflag & ECHO) ? "echo" : "noecho", ok ? out : "-");
		_exit(0);
	}
	(void)close(p[1]);
	/* Answer once the question is there; the answer must not echo. */
	for (;;) {
		pfd.fd = m;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		r = read(m, seen + n, sizeof(seen) - 1 - n);
		if (r <= 0)
			break; /* EIO: the child closed the terminal */
		n += (size_t)r;
		seen[n] = '\0';
		if (!sent && strstr(seen, want) != NULL) {
			ATF_REQUIRE(util_write_all(m, "hunter2\n", 8) == 0);
			sent = 1;
		}
		if (n == sizeof(seen) - 1)
			break;
	}
	seen[n] = '\0';
	/* A child still waiting for an answer gets end of file; one
	   stuck anyway is killed. */
	(void)close(m);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		(void)kill(pid, SIGKILL);
	r = read(p[0], res, sizeof(res) - 1);
	res[r > 0 ? r : 0] = '\0';
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_CHECK_MSG(sent, "no prompt seen: \"%s\"", seen);
	ATF_CHECK_STREQ(res, "1 echo hunter2");
	ATF_CHECK_MSG(strstr(seen, "hunter2") == NULL,
	    "the password was echoed: \"%s\"", seen);
	(void)close(p[0]);
}

/* Without a terminal (a new session has none) there is no prompt. */
ATF_TC_WITHOUT_HEAD(get_order);
ATF_TC_BODY(get_order, tc)
{
	char pw[64], err[256], cwd[1024];
	pid_t pid;
	int st;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	write_file("nrc", "machine h login u password fromnetrc\n");
	ATF_REQUIRE(setenv("NETRC", "nrc", 1) == 0);
	/* passwordeval first, even with a .netrc entry. */
	ATF_CHECK_EQ(secret_get("echo fromeval", "h", "u", pw, sizeof(pw), err,
			 sizeof(err)),
	    0);
	ATF_CHECK_STREQ(pw, "fromeval");
	ATF_CHECK_EQ(
	    secret_get(NULL, "h", "u", pw, sizeof(pw), err, sizeof(err)), 0);
	ATF_CHECK_STREQ(pw, "fromnetrc");
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (setsid() == -1)
			_exit(2);
		if (secret_get(NULL, "h", "v", pw, sizeof(pw), err,
			sizeof(err)) != EX_CONFIG ||
		    strcmp(err,
			"no password for v at h (passwordeval, ~/.netrc, "
			"or a terminal to ask on)") != 0 ||
		    pw[0] != '\0')
			_exit(1);
		_exit(0);
	}
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, netrc_entries);
	ATF_TP_ADD_TC(tp, netrc_skips);
	ATF_TP_ADD_TC(tp, netrc_malformed);
	ATF_TP_ADD_TC(tp, netrc_file);
	ATF_TP_ADD_TC(tp, netrc_mode);
	ATF_TP_ADD_TC(tp, no_core_dumps);
	ATF_TP_ADD_TC(tp, eval_first_line);
	ATF_TP_ADD_TC(tp, eval_failures);
	ATF_TP_ADD_TC(tp, eval_child_env);
	ATF_TP_ADD_TC(tp, eval_timeout);
	ATF_TP_ADD_TC(tp, prompt_pty);
	ATF_TP_ADD_TC(tp, get_order);
	return atf_no_error();
}
