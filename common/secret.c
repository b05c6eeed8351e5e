/*
 * secret.c: a client's password from passwordeval, .netrc or the
 * terminal (see secret.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "secret.h"
#include "util.h"

/* ------------------------------------------------------- passwordeval */

/* In the child: stdin from /dev/null, stdout to the pipe, then sh. */
static void
eval_child(const char *cmd, int wfd)
{
	int null;

	/* Not our SIG_IGN of SIGPIPE: "cmd | head -1" must work. */
	(void)signal(SIGPIPE, SIG_DFL);
	if (dup2(wfd, 1) == -1 ||
	    (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(null, 0) == -1)
		_exit(127);
	/* dup2 onto itself keeps FD_CLOEXEC: clear it on 0 and 1. */
	if (fcntl(0, F_SETFD, 0) == -1 || fcntl(1, F_SETFD, 0) == -1)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int
secret_eval(const char *cmd, char *out, size_t outlen, char *err, size_t errlen)
{
	char drop[512];
	size_t n = 0, total = 0, room;
	ssize_t r;
	pid_t pid;
	int p[2], st = 0, inout, done = 0, longline = 0, much = 0, ex = 0;
	char *dst;

	if (outlen == 0) {
		util_seterr(err, errlen, "passwordeval: no room for a secret");
		return EX_SOFTWARE;
	}
	if (pipe(p) == -1) {
		util_seterr(
		    err, errlen, "passwordeval: pipe: %s", strerror(errno));
		return EX_OSERR;
	}
	/* Neither end may reach the command (or any other child). */
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	if ((pid = fork()) == -1) {
		util_seterr(
		    err, errlen, "passwordeval: fork: %s", strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		return EX_OSERR;
	}
	if (pid == 0)
		eval_child(cmd, p[1]);
	(void)close(p[1]);
	/*
	 * The first line into out; the rest is read and dropped (so the
	 * command does not die of SIGPIPE) up to SECRET_EVAL_OUT_MAX.
	 */
	for (;;) {
		inout = !done && n < outlen - 1;
		dst = inout ? out + n : drop;
		room = inout ? outlen - 1 - n : sizeof(drop);
		r = read(p[0], dst, room);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if ((total += (size_t)r) > SECRET_EVAL_OUT_MAX) {
			much = 1;
			break;
		}
		if (inout) {
			if (memchr(dst, '\n', (size_t)r) != NULL ||
			    memchr(dst, '\r', (size_t)r) != NULL)
				done = 1;
			n += (size_t)r;
		} else if (!done) {
			/* out is full: the line ends here or is too long. */
			longline = drop[0] != '\n' && drop[0] != '\r';
			done = 1;
		}
	}
	(void)close(p[0]);
	if (much)
		(void)kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	util_wipe(drop, sizeof(drop));
	out[n] = '\0';
	if (much || longline) {
		util_seterr(err, errlen,
		    much ? "passwordeval: output longer than %zu bytes"
			 : "passwordeval: first line longer than %zu bytes",
		    much ? (size_t)SECRET_EVAL_OUT_MAX : outlen - 1);
		ex = EX_CONFIG;
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		util_seterr(err, errlen, "passwordeval: the command %s %d",
		    WIFEXITED(st) ? "exited with" : "was killed by signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		ex = EX_CONFIG;
	} else {
		/* The first line: its line ending is not part of it. */
		out[strcspn(out, "\r\n")] = '\0';
		if (out[0] == '\0') {
			util_seterr(err, errlen,
			    "passwordeval: the command printed nothing");
			ex = EX_CONFIG;
		}
	}
	if (ex != 0)
		util_wipe(out, outlen);
	else
		util_wipe(out + strlen(out), outlen - strlen(out));
	return ex;
}

/* ------------------------------------------------------------- .netrc */

/* The next white-space separated token: 1, or 0 at the end. */
static int
netrc_token(const char *d, size_t len, size_t *off, const char **t, size_t *tl)
{
	size_t i = *off;

	while (i < len &&
	    (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	if (i >= len)
		return 0;
	*t = d + i;
	while (i < len && d[i] != ' ' && d[i] != '\t' && d[i] != '\n' &&
	    d[i] != '\r')
		i++;
	*tl = (size_t)(d + i - *t);
	*off = i;
	return 1;
}

static int
tok_is(const char *t, size_t tl, const char *w)
{
	return w != NULL && tl == strlen(w) && memcmp(t, w, tl) == 0;
}

int
secret_netrc_find(const char *d, size_t len, const char *host, const char *user,
    char *out, size_t outlen)
{
	const char *t, *login = NULL, *pass = NULL;
	size_t off = 0, tl, ll = 0, pl = 0, i;
	int in = 0, match = 0, end, which;

	if (len > SECRET_NETRC_MAX)
		return -1;
	for (;;) {
		end = !netrc_token(d, len, &off, &t, &tl);
		if (end || tok_is(t, tl, "machine") ||
		    tok_is(t, tl, "default")) {
			/* The entry before is complete. */
			if (in && match && pass != NULL &&
			    (login == NULL || user == NULL ||
				tok_is(login, ll, user))) {
				if (pl >= outlen)
					return -1;
				memcpy(out, pass, pl);
				out[pl] = '\0';
				return 1;
			}
			if (end)
				return 0;
			in = 1;
			login = pass = NULL;
			match = tok_is(t, tl, "default");
			if (!match) {
				if (!netrc_token(d, len, &off, &t, &tl))
					return -1;
				match = tok_is(t, tl, host);
			}
			continue;
		}
		if (tok_is(t, tl, "macdef")) {
			/* A macro runs to the next empty line. */
			for (i = off; i + 1 < len; i++)
				if (d[i] == '\n' && d[i + 1] == '\n')
					break;
			off = i + 1 < len ? i + 2 : len;
			continue;
		}
		if (tok_is(t, tl, "login") || tok_is(t, tl, "password") ||
		    tok_is(t, tl, "account")) {
			which = t[0] == 'l' ? 0 : t[0] == 'p' ? 1 : 2;
			if (!netrc_token(d, len, &off, &t, &tl))
				return -1;
			if (which == 0) {
				login = t;
				ll = tl;
			} else if (which == 1) {
				pass = t;
				pl = tl;
			}
		}
		/* Any other word is skipped, as ftp(1) skips it. */
	}
}

int
secret_netrc(const char *host, const char *user, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *path = getenv("NETRC"), *home = getenv("HOME");
	char pbuf[PATH_MAX];
	struct stat st;
	struct buf b;
	int fd, rc = 0;

	if (path == NULL || path[0] == '\0') {
		if (home == NULL ||
		    (size_t)snprintf(pbuf, sizeof(pbuf), "%s/.netrc", home) >=
			sizeof(pbuf))
			return 0;
		path = pbuf;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	/* As ftp(1) and netrc(5): passwords others can read are refused. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		(void)close(fd);
		util_seterr(err, errlen,
		    "%s: mode %04o gives group or others access to "
		    "passwords; chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	buf_init(&b, SECRET_NETRC_MAX);
	if (buf_read_fd(&b, fd) == 0)
		rc = secret_netrc_find(b.data, b.len, host, user, out, outlen);
	(void)close(fd);
	if (b.data != NULL)
		util_wipe(b.data, b.cap);
	buf_free(&b);
	return rc == 1;
}

/* ----------------------------------------------------------- terminal */

int
secret_prompt(const char *host, const char *user, char *out, size_t outlen)
{
	struct termios t, quiet;
	char prompt[600], c;
	size_t n = 0;
	ssize_t r;
	int fd, ok = 0;

	if (outlen == 0)
		return 0;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return 0;
	if (tcgetattr(fd, &t) == -1) {
		(void)close(fd);
		return 0;
	}
	/*
	 * Echo off before the prompt, as getpass(3) does: the flush drops
	 * only what was typed before the question, never the answer.
	 */
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	(void)snprintf(
	    prompt, sizeof(prompt), "password for %s at %s: ", user, host);
	(void)util_write_all(fd, prompt, strlen(prompt));
	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c == '\n' || c == '\r') {
			ok = 1;
			break;
		}
		if (n + 1 < outlen)
			out[n++] = c;
	}
	out[n] = '\0';
	util_wipe(&c, sizeof(c));
	(void)tcsetattr(fd, TCSAFLUSH, &t);
	(void)util_write_all(fd, "\n", 1);
	(void)close(fd);
	if (!ok || n == 0) {
		util_wipe(out, outlen);
		return 0;
	}
	return 1;
}

int
secret_get(const char *cmd, const char *host, const char *user, char *out,
    size_t outlen, char *err, size_t errlen)
{
	int rc;

	if (cmd != NULL)
		return secret_eval(cmd, out, outlen, err, errlen);
	if ((rc = secret_netrc(host, user, out, outlen, err, errlen)) == -1) {
		util_wipe(out, outlen);
		return EX_CONFIG;
	}
	if (rc == 1 || secret_prompt(host, user, out, outlen))
		return 0;
	util_wipe(out, outlen);
	util_seterr(err, errlen,
	    "no password for %s at %s (passwordeval, ~/.netrc, or a "
	    "terminal to ask on)",
	    user, host);
	return EX_CONFIG;
}

/* ------------------------------------------------------- core dumps */

int
secret_no_core_dumps(void)
{
	struct rlimit rl;
	int rc = 0;

	rl.rlim_cur = 0;
	rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		rc = -1;
#ifdef __linux__
	/* Also keeps other processes of the user from ptrace(2) and from
	   /proc/PID/mem; reset by execve(2) in the children we run. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		rc = -1;
#endif
	return rc;
}
