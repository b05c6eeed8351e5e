/*
 * proc_test: the process runner: how a command ended and its error
 * class, a timeout that kills the whole process group, the bounds on
 * stderr and stdout, stdin from a file, the environment, and no
 * descriptor of ours in the child.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <atf-c.h>

#include "proc.h"
#include "util.h"

/* Run "sh -c script" with sp's other settings. */
static int
run_sh(struct proc_spec *sp, const char *script, struct proc_result *r)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};

	sp->argv = argv;
	return proc_run(sp, r);
}

ATF_TC_WITHOUT_HEAD(outcomes);
ATF_TC_BODY(outcomes, tc)
{
	static const struct {
		const char *prog, *script;
		int rc;
		enum proc_how how;
		int code;
		enum yerr_class cls;
		const char *words;
	} t[] = {
	    {"/bin/sh", "exit 0", 0, PROC_EXITED, 0, YERR_OK, "exited with 0"},
	    {"/bin/sh", "exit 3", -1, PROC_EXITED, 3, YERR_PERM,
		"exited with 3"},
	    {"/bin/sh", "exit 75", -1, PROC_EXITED, 75, YERR_TEMP,
		"exited with 75"},
	    {"/bin/sh", "kill -9 $$", -1, PROC_SIGNALED, SIGKILL, YERR_TEMP,
		"was killed by signal 9"},
	    {"/bin/sh", "kill -SEGV $$", -1, PROC_SIGNALED, SIGSEGV, YERR_TEMP,
		NULL},
	    {"/nonexistent/prog", NULL, -1, PROC_NOSTART, ENOENT, YERR_TEMP,
		"No such file or directory"},
	    /* No "/": looked for beside us, then in PATH. */
	    {"yubin-proc-test-no-such-program", NULL, -1, PROC_NOSTART, ENOENT,
		YERR_TEMP, NULL},
	    {"true", NULL, 0, PROC_EXITED, 0, YERR_OK, NULL},
	    /* Not executable. */
	    {"/etc/passwd", NULL, -1, PROC_NOSTART, EACCES, YERR_TEMP, NULL},
	};
	struct proc_spec sp;
	struct proc_result r;
	char words[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *argv[] = {
		    (char *)t[i].prog, "-c", (char *)t[i].script, NULL};

		if (t[i].script == NULL)
			argv[1] = NULL;
		proc_spec_init(&sp, argv);
		ATF_CHECK_EQ_MSG(proc_run(&sp, &r), t[i].rc, "case %zu", i);
		ATF_CHECK_EQ_MSG(
		    r.how, t[i].how, "case %zu: how %d", i, (int)r.how);
		ATF_CHECK_EQ_MSG(
		    r.code, t[i].code, "case %zu: code %d", i, r.code);
		ATF_CHECK_EQ_MSG(proc_class(&r), t[i].cls, "case %zu", i);
		if (t[i].words != NULL)
			ATF_CHECK_STREQ(
			    proc_describe(&sp, &r, words, sizeof(words)),
			    t[i].words);
	}
}

/* Is pid gone (or a zombie nobody has reaped yet)? */
static int
gone(pid_t pid)
{
	char path[64], st[256];
	FILE *f;
	int i, z;

	for (i = 0; i < 50; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r")) != NULL) {
			z = fgets(st, sizeof(st), f) != NULL &&
			    strstr(st, ") Z ") != NULL;
			(void)fclose(f);
			if (z)
				return 1;
		}
		(void)usleep(20 * 1000);
	}
	return 0;
}

/*
 * A command that ignores SIGTERM, with a child of its own that ignores
 * it too and holds stdout and stderr open: after the timeout and the
 * grace, SIGKILL takes the whole group, and the runner does not wait
 * for the pipes to close.
 */
ATF_TC(timeout_group);
ATF_TC_HEAD(timeout_group, tc)
{
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(timeout_group, tc)
{
	struct proc_spec sp;
	struct proc_result r;
	char out[64], words[64];
	int64_t t0, took;
	long gpid;

	proc_spec_init(&sp, NULL);
	sp.out = PROC_CAPTURE;
	sp.out_buf = out;
	sp.out_size = sizeof(out) - 1;
	sp.err = PROC_CAPTURE;
	sp.timeout_ms = 500;
	sp.grace_ms = 300;
	t0 = util_now_ms();
	ATF_CHECK_EQ(run_sh(&sp,
			 "trap '' TERM; sleep 60 & echo $!; echo started >&2; "
			 "wait; wait; sleep 60",
			 &r),
	    -1);
	took = util_now_ms() - t0;
	ATF_CHECK_EQ(r.how, PROC_TIMEDOUT);
	ATF_CHECK_EQ(proc_class(&r), YERR_TEMP);
	ATF_CHECK_MSG(
	    took >= 500 && took < 5000, "took %lld ms", (long long)took);
	ATF_CHECK_STREQ(r.err, "started");
	ATF_CHECK_STREQ(proc_describe(&sp, &r, words, sizeof(words)),
	    "timed out after 500 ms, killed");
	out[r.out_len] = '\0';
	gpid = strtol(out, NULL, 10);
	ATF_REQUIRE_MSG(gpid > 1, "no pid in \"%s\"", out);
	ATF_CHECK_MSG(gone((pid_t)gpid), "its child %ld survived", gpid);
	if (!gone((pid_t)gpid))
		(void)kill((pid_t)gpid, SIGKILL);
}

/* The command's stderr: lines joined by " | ", bounded, made safe. */
ATF_TC_WITHOUT_HEAD(stderr_kept);
ATF_TC_BODY(stderr_kept, tc)
{
	static const struct {
		const char *script;
		size_t max;
		const char *want;
	} t[] = {
	    {"echo one >&2", 0, "one"},
	    {"printf 'a\\nb\\n\\nc' >&2", 0, "a | b | c"},
	    {"printf '\\n\\nfirst\\n' >&2", 0, "first"},
	    {"printf 'x\\001y\\tz\\n' >&2", 0, "x?y?z"},
	    {"printf '0123456789abc' >&2", 10, "0123456789"},
	    /* No room for " | " and a byte: the line is not begun. */
	    {"printf 'abcdefg\\nhij' >&2", 10, "abcdefg"},
	    {"printf 'abcdef\\nhij' >&2", 10, "abcdef | h"},
	    /* stdout is not kept with it. */
	    {"echo out; echo err >&2", 0, "err"},
	    {"true", 0, ""},
	};
	struct proc_spec sp;
	struct proc_result r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		proc_spec_init(&sp, NULL);
		sp.err = PROC_CAPTURE;
		sp.err_max = t[i].max;
		ATF_CHECK_EQ(run_sh(&sp, t[i].script, &r), 0);
		ATF_CHECK_STREQ_MSG(r.err, t[i].want, "case %zu", i);
	}
	/* The default and the most: PROC_ERR_MAX. */
	proc_spec_init(&sp, NULL);
	sp.err = PROC_CAPTURE;
	ATF_CHECK_EQ(run_sh(&sp, "yes 0123456789 | head -c 5000 >&2", &r), 0);
	ATF_CHECK_EQ(strlen(r.err), PROC_ERR_MAX);
}

/* stdout into a bounded buffer; past the limit the command is stopped. */
ATF_TC(stdout_bound);
ATF_TC_HEAD(stdout_bound, tc)
{
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(stdout_bound, tc)
{
	struct proc_spec sp;
	struct proc_result r;
	char out[8];
	int64_t t0;

	proc_spec_init(&sp, NULL);
	sp.out = PROC_CAPTURE;
	sp.out_buf = out;
	sp.out_size = 4;
	ATF_CHECK_EQ(run_sh(&sp, "printf 123456789", &r), 0);
	ATF_CHECK_EQ(r.out_len, 4);
	ATF_CHECK(memcmp(out, "1234", 4) == 0);
	ATF_CHECK_EQ(r.out_over, 0);
	/* Within the limit: all read, the rest dropped. */
	sp.out_limit = 9;
	ATF_CHECK_EQ(run_sh(&sp, "printf 123456789", &r), 0);
	ATF_CHECK_EQ(r.out_over, 0);
	/* Endless: stopped once over the limit, in time. */
	sp.out_limit = 64 * 1024;
	t0 = util_now_ms();
	ATF_CHECK_EQ(run_sh(&sp, "exec yes", &r), -1);
	ATF_CHECK_EQ(r.out_over, 1);
	ATF_CHECK(r.how != PROC_EXITED);
	ATF_CHECK(util_now_ms() - t0 < 5000);
	ATF_CHECK(memcmp(out, "y\ny\n", 4) == 0);
	/* Captured with nowhere to put it: read and dropped. */
	proc_spec_init(&sp, NULL);
	sp.out = PROC_CAPTURE;
	ATF_CHECK_EQ(run_sh(&sp, "yes | head -c 100000", &r), 0);
	ATF_CHECK_EQ(r.out_len, 0);
}

/* stdin from a file of ours, stdout into another. */
ATF_TC_WITHOUT_HEAD(stdin_stdout_fd);
ATF_TC_BODY(stdin_stdout_fd, tc)
{
	struct proc_spec sp;
	struct proc_result r;
	char *argv[] = {"cat", NULL}, got[64];
	ssize_t n;
	int in, out;

	ATF_REQUIRE((in = open("in", O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	ATF_REQUIRE(write(in, "hello\nworld\n", 12) == 12);
	ATF_REQUIRE(lseek(in, 0, SEEK_SET) == 0);
	ATF_REQUIRE(
	    (out = open("out", O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	proc_spec_init(&sp, argv);
	sp.in = PROC_FD;
	sp.in_fd = in;
	sp.out = PROC_FD;
	sp.out_fd = out;
	ATF_CHECK_EQ(proc_run(&sp, &r), 0);
	ATF_REQUIRE((n = pread(out, got, sizeof(got) - 1, 0)) >= 0);
	got[n] = '\0';
	ATF_CHECK_STREQ(got, "hello\nworld\n");
	/* Ours are still open and ours. */
	ATF_CHECK(fcntl(in, F_GETFD) != -1 && fcntl(out, F_GETFD) != -1);
	(void)close(in);
	(void)close(out);
	/* The default: /dev/null, so cat ends at once. */
	proc_spec_init(&sp, argv);
	sp.out = PROC_CAPTURE;
	sp.out_buf = got;
	sp.out_size = sizeof(got);
	ATF_CHECK_EQ(proc_run(&sp, &r), 0);
	ATF_CHECK_EQ(r.out_len, 0);
}

/* envp as given, or ours when NULL. */
ATF_TC_WITHOUT_HEAD(environment);
ATF_TC_BODY(environment, tc)
{
	char *argv[] = {"env", NULL};
	char *envp[] = {"FOO=bar", "EMPTY=", NULL};
	struct proc_spec sp;
	struct proc_result r;
	char out[4096];

	proc_spec_init(&sp, argv);
	sp.envp = envp;
	sp.out = PROC_CAPTURE;
	sp.out_buf = out;
	sp.out_size = sizeof(out) - 1;
	ATF_CHECK_EQ(proc_run(&sp, &r), 0);
	out[r.out_len] = '\0';
	ATF_CHECK_STREQ(out, "FOO=bar\nEMPTY=\n");
	ATF_REQUIRE(setenv("YUBIN_PROC_TEST", "ours", 1) == 0);
	sp.envp = NULL;
	ATF_CHECK_EQ(proc_run(&sp, &r), 0);
	out[r.out_len] = '\0';
	ATF_CHECK(strstr(out, "\nYUBIN_PROC_TEST=ours\n") != NULL ||
	    strncmp(out, "YUBIN_PROC_TEST=ours\n", 21) == 0);
}

/*
 * A descriptor of ours opened without O_CLOEXEC, and the runner's own
 * pipes, do not reach the command: it has 0, 1 and 2 only.  Its
 * signal mask is empty and SIGPIPE, which we ignore, is at its default.
 */
ATF_TC_WITHOUT_HEAD(child_state);
ATF_TC_BODY(child_state, tc)
{
	struct proc_spec sp;
	struct proc_result r;
	char *grep[] = {
	    "grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status", NULL};
	char out[512];
	sigset_t block, old;
	int fd, fd2;

	if (access("/proc/self/fd", F_OK) != 0)
		atf_tc_skip("no /proc/self/fd");
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY)) != -1);
	ATF_REQUIRE((fd2 = dup2(fd, 40)) == 40);
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ATF_REQUIRE(sigprocmask(SIG_BLOCK, &block, &old) == 0);
	proc_spec_init(&sp, NULL);
	sp.out = PROC_CAPTURE;
	sp.out_buf = out;
	sp.out_size = sizeof(out) - 1;
	sp.err = PROC_CAPTURE;
	ATF_CHECK_EQ(run_sh(&sp,
			 "for i in $(seq 3 64); do [ -e /proc/$$/fd/$i ] && "
			 "printf '%s ' $i; done; echo .",
			 &r),
	    0);
	out[r.out_len] = '\0';
	ATF_CHECK_STREQ_MSG(out, ".\n", "fds: %s", out);
	/* The program's own view (a shell blocks signals of its own). */
	sp.argv = grep;
	ATF_CHECK_EQ(proc_run(&sp, &r), 0);
	out[r.out_len] = '\0';
	ATF_CHECK_MSG(
	    strstr(out, "SigBlk:\t0000000000000000\n") != NULL, "%s", out);
	/* SIGPIPE is 13: bit 12 of the last hex digits (0x1000). */
	ATF_CHECK_MSG(strstr(out, "SigIgn:") != NULL &&
		(strtoull(strstr(out, "SigIgn:") + 7, NULL, 16) &
		    (1ULL << (SIGPIPE - 1))) == 0,
	    "%s", out);
	ATF_REQUIRE(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	(void)close(fd);
	(void)close(fd2);
}

/* Its own process group. */
ATF_TC_WITHOUT_HEAD(process_group);
ATF_TC_BODY(process_group, tc)
{
	struct proc_spec sp;
	struct proc_result r;
	char out[128];
	long pid, pgid;

	proc_spec_init(&sp, NULL);
	sp.out = PROC_CAPTURE;
	sp.out_buf = out;
	sp.out_size = sizeof(out) - 1;
	ATF_CHECK_EQ(run_sh(&sp, "echo $$ $(ps -o pgid= -p $$)", &r), 0);
	out[r.out_len] = '\0';
	if (sscanf(out, "%ld %ld", &pid, &pgid) != 2)
		atf_tc_skip("no ps: %s", out);
	ATF_CHECK_EQ(pid, pgid);
	ATF_CHECK(pgid != (long)getpgrp());
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, outcomes);
	ATF_TP_ADD_TC(tp, timeout_group);
	ATF_TP_ADD_TC(tp, stderr_kept);
	ATF_TP_ADD_TC(tp, stdout_bound);
	ATF_TP_ADD_TC(tp, stdin_stdout_fd);
	ATF_TP_ADD_TC(tp, environment);
	ATF_TP_ADD_TC(tp, child_state);
	ATF_TP_ADD_TC(tp, process_group);
	return atf_no_error();
}
