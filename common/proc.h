/*
 * proc.h: the one process runner (DESIGN.md, common/ "proc"): msmtpd's
 * delivery command, mpop fetch's --mda and passwordeval all run here.
 *
 * A program is an argv, never a shell string (a caller that wants a
 * shell says so: {"/bin/sh", "-c", cmd}).  A name without "/" is looked
 * for first beside our own executable (util_find_prog), then in PATH.
 * It is started with posix_spawn(3) in its own process group, with the
 * signals our programs change (SIGPIPE, SIGCHLD, SIGTERM, SIGINT) at
 * their default, an empty signal mask, and no descriptor of ours but 0,
 * 1 and 2 (closed in the child where the C library can, else marked
 * close-on-exec here first).
 * Each of stdin, stdout and stderr is /dev/null, a descriptor of the
 * caller, the caller's own, or (stdout, stderr) a pipe read into a
 * bounded buffer.  After the timeout the whole group gets SIGTERM and,
 * PROC_GRACE_MS later, SIGKILL.  The library never prints or exits.
 */
#ifndef YUBIN_PROC_H
#define YUBIN_PROC_H

#include <stddef.h>

#include "err.h"

/* The most of a command's stderr a result keeps (a log line's worth). */
#define PROC_ERR_MAX 1024
/* From SIGTERM to SIGKILL after a timeout, milliseconds. */
#define PROC_GRACE_MS 2000

enum proc_io {
	PROC_NULL = 0, /* /dev/null */
	PROC_FD, /* the caller's descriptor (in_fd, out_fd, err_fd) */
	PROC_INHERIT, /* ours, as it is */
	PROC_CAPTURE /* stdout, stderr: read into the result */
};

struct proc_spec {
	char *const *argv; /* argv[0] names the program */
	char *const *envp; /* NULL: the caller's environment */
	enum proc_io in, out, err;
	int in_fd, out_fd, err_fd; /* for PROC_FD */
	/*
	 * stdout PROC_CAPTURE: the first out_size bytes go into out_buf;
	 * the rest is read and dropped up to out_limit bytes in all
	 * (0: no limit); past that the group is killed (out_over).
	 */
	char *out_buf;
	size_t out_size, out_limit;
	/* stderr PROC_CAPTURE: up to err_max (<= PROC_ERR_MAX) bytes. */
	size_t err_max;
	int timeout_ms; /* 0: none */
	int grace_ms; /* SIGTERM to SIGKILL; 0: PROC_GRACE_MS */
};

enum proc_how {
	PROC_EXITED = 0, /* code: its exit status */
	PROC_SIGNALED, /* code: the signal that killed it */
	PROC_TIMEDOUT, /* killed after the timeout */
	PROC_NOSTART /* code: the errno why it did not start (or,
			ECHILD, could not be waited for) */
};

struct proc_result {
	enum proc_how how;
	int code;
	size_t out_len; /* bytes in spec->out_buf */
	int out_over; /* it wrote more than out_limit: killed */
	/*
	 * What it wrote to stderr (PROC_CAPTURE): lines joined by " | ",
	 * bytes other than printable ASCII as '?', at most err_max bytes.
	 */
	char err[PROC_ERR_MAX + 1];
};

/* A spec with everything at /dev/null, no timeout. */
void proc_spec_init(struct proc_spec *sp, char *const *argv);

/*
 * Run sp to its end.  Returns 0 when it exited with 0, else -1; r says
 * how it ended.  Nothing is printed.
 */
int proc_run(const struct proc_spec *sp, struct proc_result *r);

/*
 * The error class of an outcome, for callers that need an exit code
 * (yerr_exit): exit 0 is YERR_OK; exit 75, a signal (a crash is not the
 * input's fault), a timeout and a failure to start (nothing was done)
 * are YERR_TEMP; any other exit status is YERR_PERM.
 */
enum yerr_class proc_class(const struct proc_result *r);

/*
 * Its outcome in words for an error message: "exited with 3", "was
 * killed by signal 9", "timed out after 60 s, killed", or for one that
 * did not start strerror's text ("No such file or directory").
 * Returns out.
 */
const char *proc_describe(const struct proc_spec *sp,
    const struct proc_result *r, char *out, size_t outlen);

#endif
