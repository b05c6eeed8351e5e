/*
 * secret.c: a client's password from passwordeval, .netrc or the
 * terminal (see secret.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "proc.h"
#include "secret.h"
#include "util.h"

/* ------------------------------------------------------- passwordeval */

int
secret_eval(const char *cmd, char *out, size_t outlen, char *err, size_t errlen)
{
	return secret_eval_timed(
	    cmd, SECRET_EVAL_TIMEOUT * 1000, out, outlen, err, errlen);
}

int
secret_eval_timed(const char *cmd, int timeout_ms, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	struct proc_spec sp;
	struct proc_result r;
	char how[128];
	size_t len;
	int ex = 0;

	if (outlen == 0) {
		util_seterr(err, errlen, "passwordeval: no room for a secret");
		return EX_SOFTWARE;
	}
	/*
	 * Its output straight into out, one byte more than the room: a
	 * first line that fills the room is told from a longer one.  The
	 * rest is read and dropped (so the command does not die of
	 * SIGPIPE) up to SECRET_EVAL_OUT_MAX.  stderr is the user's.
	 */
	proc_spec_init(&sp, argv);
	sp.out = PROC_CAPTURE;
	sp.out_buf = out;
	sp.out_size = outlen;
	sp.out_limit = SECRET_EVAL_OUT_MAX;
	sp.err = PROC_INHERIT;
	sp.timeout_ms = timeout_ms;
	(void)proc_run(&sp, &r);
	(void)proc_describe(&sp, &r, how, sizeof(how));
	for (len = 0; len < r.out_len && out[len] != '\n' && out[len] != '\r';
	     len++)
		;
	if (r.how == PROC_NOSTART) {
		util_seterr(err, errlen, "passwordeval: /bin/sh: %s", how);
		ex = EX_OSERR;
	} else if (r.how == PROC_TIMEDOUT) {
		/* A hanging command (an agent waiting for a prompt no one
		   sees) must not hang us: try again later. */
		util_seterr(err, errlen, "passwordeval: the command %s", how);
		ex = yerr_exit(proc_class(&r));
	} else if (r.out_over) {
		util_seterr(err, errlen,
		    "passwordeval: output longer than %zu bytes",
		    (size_t)SECRET_EVAL_OUT_MAX);
		ex = EX_CONFIG;
	} else if (len > outlen - 1) {
		util_seterr(err, errlen,
		    "passwordeval: first line longer than %zu bytes",
		    outlen - 1);
		ex = EX_CONFIG;
	} else if (r.how != PROC_EXITED || r.code != 0) {
		util_seterr(err, errlen, "passwordeval: the command %s", how);
		ex = EX_CONFIG;
	} else if (len == 0) {
		util_seterr(
		    err, errlen, "passwordeval: the command printed nothing");
		ex = EX_CONFIG;
	}
	if (ex != 0)
		util_wipe(out, outlen);
	else {
		/* The first line: its line ending is not part of it. */
		out[len] = '\0';
		util_wipe(out + len, outlen - len);
	}
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
