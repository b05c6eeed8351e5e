/*
 * proc.c: the one process runner (see proc.h).
 */
#ifndef _GNU_SOURCE
/* glibc declares posix_spawn_file_actions_addclosefrom_np (2.34) and
   pipe2 only with it. */
#define _GNU_SOURCE
#endif
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

/* Reads from its pipes after it exited, at most (a child of its own may
   keep writing). */
#define PROC_DRAIN_READS 64
/* Without closefrom in the child: descriptors marked close-on-exec
   when /proc/self/fd cannot be listed. */
#define PROC_FD_SCAN_MAX 65536

void
proc_spec_init(struct proc_spec *sp, char *const *argv)
{
	memset(sp, 0, sizeof(*sp));
	sp->argv = argv;
	sp->in = sp->out = sp->err = PROC_NULL;
	sp->in_fd = sp->out_fd = sp->err_fd = -1;
}

/*
 * Keep stderr: lines joined by " | ", other bytes than printable ASCII
 * as '?', up to max bytes (keep holds one more).  *nl: a line ended
 * last time.
 */
static void
keep_err(char *keep, size_t max, const char *p, size_t n, int *nl)
{
	size_t have = strlen(keep), i;

	for (i = 0; i < n && have < max; i++) {
		if (p[i] == '\n') {
			*nl = 1;
			continue;
		}
		if (*nl && have > 0) {
			if (have + 4 > max)
				break;
			memcpy(keep + have, " | ", 3);
			have += 3;
		}
		*nl = 0;
		keep[have++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	}
	keep[have] = '\0';
}

/* A pipe whose two ends are close-on-exec and above 2 (so that no
   dup2 onto 0, 1 or 2 in the child can clobber one).  0 or -1. */
static int
make_pipe(int p[2])
{
	int i, fd, saved;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		if ((fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3)) == -1) {
			saved = errno;
			(void)close(p[0]);
			(void)close(p[1]);
			p[0] = p[1] = -1;
			errno = saved;
			return -1;
		}
		(void)close(p[i]);
		p[i] = fd;
	}
	return 0;
}

#ifndef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
/* No closefrom in the child: mark every descriptor of ours above 2
   close-on-exec (the known gap of inherited descriptors, closed). */
static void
mark_cloexec(void)
{
	struct dirent *e;
	DIR *d;
	long max, fd;
	int flags;

	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL) {
			fd = strtol(e->d_name, NULL, 10);
			if (fd > 2 && fd != dirfd(d) &&
			    (flags = fcntl((int)fd, F_GETFD)) != -1)
				(void)fcntl(
				    (int)fd, F_SETFD, flags | FD_CLOEXEC);
		}
		(void)closedir(d);
		return;
	}
	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > PROC_FD_SCAN_MAX)
		max = PROC_FD_SCAN_MAX;
	for (fd = 3; fd < max; fd++)
		if ((flags = fcntl((int)fd, F_GETFD)) != -1)
			(void)fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
}
#endif

/*
 * What one of 0, 1, 2 becomes in the child.  src: the descriptor to
 * put there (PROC_FD: a copy above 2 we made; PROC_CAPTURE: the pipe's
 * end).  0 or an errno value.
 */
static int
child_fd(posix_spawn_file_actions_t *fa, enum proc_io how, int src, int to)
{
	switch (how) {
	case PROC_NULL:
		return posix_spawn_file_actions_addopen(
		    fa, to, "/dev/null", to == 0 ? O_RDONLY : O_WRONLY, 0);
	case PROC_FD:
	case PROC_CAPTURE: return posix_spawn_file_actions_adddup2(fa, src, to);
	case PROC_INHERIT: return 0;
	}
	return EINVAL;
}

/*
 * Start it: its own process group, default signals, empty mask, 0/1/2
 * as asked (src[]), nothing else of ours.  0 or an errno value.
 */
static int
spawn(const struct proc_spec *sp, const int src[3], pid_t *pid)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char found[PATH_MAX];
	const char *path;
	int rc;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	if ((rc = posix_spawnattr_init(&at)) != 0)
		return rc;
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&at);
		return rc;
	}
	if ((rc = posix_spawnattr_setflags(&at,
		 POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
		     POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(&at, &def)) != 0 ||
	    (rc = child_fd(&fa, sp->in == PROC_CAPTURE ? PROC_NULL : sp->in,
		 src[0], 0)) != 0 ||
	    (rc = child_fd(&fa, sp->out, src[1], 1)) != 0 ||
	    (rc = child_fd(&fa, sp->err, src[2], 2)) != 0)
		goto out;
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	if ((rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0)
		goto out;
#else
	mark_cloexec();
#endif
	path = util_find_prog(sp->argv[0], found, sizeof(found));
	if (strchr(path, '/') != NULL)
		rc = posix_spawn(pid, path, &fa, &at, sp->argv,
		    sp->envp != NULL ? sp->envp : environ);
	else
		rc = posix_spawnp(pid, path, &fa, &at, sp->argv,
		    sp->envp != NULL ? sp->envp : environ);
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* Wait for pid until deadline (util_now_ms; 0: for ever): 0 and its
   status, -1 timed out, -2 waitpid failed (errno). */
static int
wait_until(pid_t pid, int64_t deadline, int *status)
{
	struct timespec ts = {0, 100 * 1000};
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, deadline == 0 ? 0 : WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -2;
		if (deadline == 0 || r == -1)
			continue;
		if (util_now_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
		/* It usually exits right after closing its pipes: poll
		   fast first, then back off to 10 ms. */
		if (ts.tv_nsec < 10 * 1000 * 1000)
			ts.tv_nsec *= 2;
	}
}

/* SIGTERM to its group, SIGKILL after the grace; reaped. */
static void
terminate(pid_t pid, int grace_ms, int *status)
{
	(void)kill(-pid, SIGTERM);
	(void)kill(pid, SIGTERM);
	if (wait_until(pid, util_now_ms() + grace_ms, status) == 0)
		return;
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	(void)wait_until(pid, 0, status);
}

/* What the loop reads from the child. */
struct reader {
	const struct proc_spec *sp;
	struct proc_result *r;
	struct pollfd pfd[2]; /* stdout, stderr; fd -1: closed */
	size_t total; /* stdout bytes read */
	size_t err_max;
	int err_nl;
	char buf[4096];
};

/* Read what fd i has.  0, or -1 when stdout passed its limit. */
static int
read_one(struct reader *rd, int i)
{
	const struct proc_spec *sp = rd->sp;
	size_t room, take;
	ssize_t n;

	n = read(rd->pfd[i].fd, rd->buf, sizeof(rd->buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		(void)close(rd->pfd[i].fd);
		rd->pfd[i].fd = -1;
		return 0;
	}
	if (i == 1) {
		keep_err(
		    rd->r->err, rd->err_max, rd->buf, (size_t)n, &rd->err_nl);
		return 0;
	}
	room = sp->out_size - rd->r->out_len;
	take = (size_t)n < room ? (size_t)n : room;
	if (take > 0 && sp->out_buf != NULL) {
		memcpy(sp->out_buf + rd->r->out_len, rd->buf, take);
		rd->r->out_len += take;
	}
	rd->total += (size_t)n;
	if (sp->out_limit > 0 && rd->total > sp->out_limit) {
		rd->r->out_over = 1;
		return -1;
	}
	return 0;
}

/* After it exited: what is already in the pipes, without waiting. */
static void
drain(struct reader *rd)
{
	int k, i;

	for (k = 0; k < PROC_DRAIN_READS; k++) {
		if (poll(rd->pfd, 2, 0) <= 0)
			return;
		for (i = 0; i < 2; i++)
			if (rd->pfd[i].fd != -1 &&
			    (rd->pfd[i].revents & (POLLIN | POLLHUP)) &&
			    read_one(rd, i) == -1)
				return;
	}
}

/*
 * Read its pipes until they close, the deadline passes or stdout is
 * over its limit.  1 when it was reaped meanwhile (*status), -1 timed
 * out, -3 over the limit, 0 pipes closed.
 */
static int
read_pipes(struct reader *rd, pid_t pid, int64_t deadline, int *status)
{
	int64_t left;
	int w, i, wait;

	while (rd->pfd[0].fd != -1 || rd->pfd[1].fd != -1) {
		wait = 500;
		if (deadline != 0) {
			if ((left = deadline - util_now_ms()) <= 0)
				return -1;
			if (left < wait)
				wait = (int)left;
		}
		if ((w = poll(rd->pfd, 2, wait)) == -1 && errno != EINTR)
			return 0;
		if (w <= 0) {
			/* It may have exited leaving a pipe open in a
			   child of its own: do not wait for that. */
			if (w == 0 && waitpid(pid, status, WNOHANG) == pid) {
				drain(rd);
				return rd->r->out_over ? -3 : 1;
			}
			continue;
		}
		for (i = 0; i < 2; i++)
			if (rd->pfd[i].fd != -1 &&
			    (rd->pfd[i].revents &
				(POLLIN | POLLHUP | POLLERR)) &&
			    read_one(rd, i) == -1)
				return -3;
	}
	return 0;
}

int
proc_run(const struct proc_spec *sp, struct proc_result *r)
{
	struct reader rdv, *rd = &rdv;
	int src[3] = {-1, -1, -1}, op[2] = {-1, -1}, ep[2] = {-1, -1};
	int status = 0, w, i, e;
	int64_t deadline = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	memset(rd, 0, sizeof(*rd));
	rd->sp = sp;
	rd->r = r;
	rd->pfd[0].fd = rd->pfd[1].fd = -1;
	rd->pfd[0].events = rd->pfd[1].events = POLLIN;
	rd->err_max = sp->err_max == 0 || sp->err_max > PROC_ERR_MAX
	    ? PROC_ERR_MAX
	    : sp->err_max;
	/* Copies above 2, close-on-exec: the dup2 in the child clears it
	   and no order of the three dup2 clobbers another. */
	e = 0;
	if (sp->in == PROC_FD &&
	    (src[0] = fcntl(sp->in_fd, F_DUPFD_CLOEXEC, 3)) == -1)
		e = errno;
	if (e == 0 && sp->out == PROC_FD &&
	    (src[1] = fcntl(sp->out_fd, F_DUPFD_CLOEXEC, 3)) == -1)
		e = errno;
	if (e == 0 && sp->err == PROC_FD &&
	    (src[2] = fcntl(sp->err_fd, F_DUPFD_CLOEXEC, 3)) == -1)
		e = errno;
	if (e == 0 && sp->out == PROC_CAPTURE) {
		if (make_pipe(op) == -1)
			e = errno;
		src[1] = op[1];
	}
	if (e == 0 && sp->err == PROC_CAPTURE) {
		if (make_pipe(ep) == -1)
			e = errno;
		src[2] = ep[1];
	}
	if (e == 0 && (sp->argv == NULL || sp->argv[0] == NULL))
		e = EINVAL;
	if (e == 0)
		e = spawn(sp, src, &pid);
	for (i = 0; i < 3; i++)
		if (src[i] != -1)
			(void)close(src[i]);
	rd->pfd[0].fd = op[0];
	rd->pfd[1].fd = ep[0];
	if (e != 0) {
		for (i = 0; i < 2; i++)
			if (rd->pfd[i].fd != -1)
				(void)close(rd->pfd[i].fd);
		r->how = PROC_NOSTART;
		r->code = e;
		return -1;
	}
	if (sp->timeout_ms > 0)
		deadline = util_now_ms() + sp->timeout_ms;
	w = read_pipes(rd, pid, deadline, &status);
	for (i = 0; i < 2; i++)
		if (rd->pfd[i].fd != -1)
			(void)close(rd->pfd[i].fd);
	/* What went through buf may be a secret (passwordeval). */
	util_wipe(rd->buf, sizeof(rd->buf));
	if (w == 0)
		w = wait_until(pid, deadline, &status);
	else if (w == 1)
		w = 0;
	if (w == -2) {
		/* Someone else reaped it: we cannot tell how it ended. */
		r->how = PROC_NOSTART;
		r->code = errno;
		return -1;
	}
	if (w == -1 || w == -3) {
		/* Timed out, or its output over the limit: the group goes. */
		terminate(pid, sp->grace_ms > 0 ? sp->grace_ms : PROC_GRACE_MS,
		    &status);
		if (w == -1) {
			r->how = PROC_TIMEDOUT;
			return -1;
		}
	}
	if (WIFEXITED(status)) {
		r->how = PROC_EXITED;
		r->code = WEXITSTATUS(status);
	} else {
		r->how = PROC_SIGNALED;
		r->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	return r->how == PROC_EXITED && r->code == 0 && !r->out_over ? 0 : -1;
}

enum yerr_class
proc_class(const struct proc_result *r)
{
	if (r->how != PROC_EXITED)
		return YERR_TEMP;
	if (r->code == 0)
		return YERR_OK;
	return r->code == 75 ? YERR_TEMP : YERR_PERM;
}

const char *
proc_describe(const struct proc_spec *sp, const struct proc_result *r,
    char *out, size_t outlen)
{
	switch (r->how) {
	case PROC_EXITED:
		(void)snprintf(out, outlen, "exited with %d", r->code);
		break;
	case PROC_SIGNALED:
		(void)snprintf(out, outlen, "was killed by signal %d", r->code);
		break;
	case PROC_TIMEDOUT:
		if (sp->timeout_ms % 1000 == 0)
			(void)snprintf(out, outlen,
			    "timed out after %d s, "
			    "killed",
			    sp->timeout_ms / 1000);
		else
			(void)snprintf(out, outlen,
			    "timed out after %d ms, "
			    "killed",
			    sp->timeout_ms);
		break;
	case PROC_NOSTART:
		(void)snprintf(out, outlen, "%s", strerror(r->code));
		break;
	}
	return out;
}
