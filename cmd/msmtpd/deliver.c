/*
 * deliver.c: hand the spooled message to the delivery command (DESIGN:
 * msmtpd -> delivery command).  The command is an argv run with
 * fork/execv, never a shell: "%F" in a word is the envelope sender, a
 * word "%T" becomes one argument per recipient, "%%" is "%".  The
 * message is its stdin; stdout goes to /dev/null (under inetd it would
 * be the client); the first line of its stderr goes to our log.  It gets
 * SENDER RECIPIENT REMOTE_ADDR REMOTE_HOST HELO AUTH_USER TLS_PROTOCOL
 * TLS_CIPHER in its environment, and at most --command-timeout seconds.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "msmtpd.h"
#include "util.h"

/* Expand %F and %% in one word into a new string. */
static char *
expand(const char *w, const char *from)
{
	struct buf b;

	buf_init(&b, 0);
	for (; *w != '\0'; w++) {
		if (w[0] == '%' && w[1] == 'F') {
			buf_puts(&b, from);
			w++;
		} else if (w[0] == '%' && w[1] == '%') {
			buf_putc(&b, '%');
			w++;
		} else
			buf_putc(&b, *w);
	}
	if (b.data == NULL)
		buf_puts(&b, "");
	return buf_release(&b);
}

static void
child(struct session *s, char **argv, const char *path, int errfd)
{
	sigset_t none;
	int fd;

	(void)setpgid(0, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	if (dup2(s->spool, 0) == -1 || dup2(errfd, 2) == -1)
		_exit(EX_TEMPFAIL);
	/* The command gets the pipe once, as its stderr. */
	if (errfd > 2)
		(void)close(errfd);
	if ((fd = open("/dev/null", O_WRONLY)) == -1 || dup2(fd, 1) == -1)
		_exit(EX_TEMPFAIL);
	if (fd > 2)
		close(fd);
	if (setenv("SENDER", s->from, 1) == -1 ||
	    setenv("RECIPIENT", s->nrcpt > 0 ? s->rcpt[0] : "", 1) == -1 ||
	    setenv("REMOTE_ADDR", s->addr, 1) == -1 ||
	    setenv("REMOTE_HOST", s->host, 1) == -1 ||
	    setenv("HELO", s->helo, 1) == -1)
		_exit(EX_TEMPFAIL);
	(void)unsetenv("AUTH_USER");
	(void)unsetenv("TLS_PROTOCOL");
	(void)unsetenv("TLS_CIPHER");
	if (s->authed && setenv("AUTH_USER", s->auth_user, 1) == -1)
		_exit(EX_TEMPFAIL);
	if (s->tls &&
	    (setenv("TLS_PROTOCOL", s->tlsi.protocol, 1) == -1 ||
		setenv("TLS_CIPHER", s->tlsi.cipher, 1) == -1))
		_exit(EX_TEMPFAIL);
	if (strchr(path, '/') != NULL)
		execv(path, argv);
	else
		execvp(path, argv);
	/* Not there or not runnable: our configuration, not the mail's
	   fault, so try again later (DESIGN: nothing lost). */
	dprintf(2, "%s: %s: %s\n", PROG, path, strerror(errno));
	_exit(EX_TEMPFAIL);
}

/* Keep the first line of the command's stderr for the log. */
static void
keep_err(struct session *s, const char *p, size_t n, int *done)
{
	size_t have = strlen(s->cmd_err), i;

	for (i = 0; i < n && !*done && have < MSMTPD_CMD_ERR_MAX; i++) {
		if (p[i] == '\n') {
			*done = have > 0;
			continue;
		}
		s->cmd_err[have++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	}
	s->cmd_err[have] = '\0';
}

/* Wait for pid until deadline (monotonic ms): 0 and its status, -1
   timed out, -2 waitpid failed. */
static int
wait_until(pid_t pid, int64_t deadline, int *status)
{
	struct timespec ts = {0, 100 * 1000};
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -2; /* lost it: not a success */
		if (util_now_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
		/* The command usually exits right after closing stderr:
		   poll fast first, then back off to 10 ms. */
		if (ts.tv_nsec < 10 * 1000 * 1000)
			ts.tv_nsec *= 2;
	}
}

int
deliver_run(struct session *s)
{
	char *const *tmpl = s->relay ? s->c->relay : s->c->command;
	char **argv, found[PATH_MAX], ebuf[512];
	const char *path;
	size_t na = 0, i, j;
	int ep[2], status = 0, rc = EX_TEMPFAIL, open_err = 1, w;
	int err_done = 0, reaped = 0;
	int64_t deadline;
	struct pollfd pfd;
	ssize_t n;
	pid_t pid;

	s->cmd_err[0] = '\0';
	if (data_spool_flush(s) == -1 || lseek(s->spool, 0, SEEK_SET) == -1)
		return EX_TEMPFAIL;
	if (s->c->sink != NULL)
		return s->c->sink(s->c->sink_arg, s->spool);
	for (i = 0; tmpl[i] != NULL; i++)
		;
	if ((argv = calloc(i + s->nrcpt + 1, sizeof(*argv))) == NULL)
		return EX_TEMPFAIL;
	for (i = 0; tmpl[i] != NULL; i++) {
		if (strcmp(tmpl[i], "%T") == 0) {
			for (j = 0; j < s->nrcpt; j++)
				if ((argv[na++] = strdup(s->rcpt[j])) == NULL)
					goto out;
		} else if ((argv[na++] = expand(tmpl[i], s->from)) == NULL)
			goto out;
	}
	path = util_find_prog(argv[0], found, sizeof(found));
	if (pipe(ep) == -1) {
		log_err(s->c->log, "pipe: %s", strerror(errno));
		goto out;
	}
	(void)fcntl(ep[0], F_SETFD, FD_CLOEXEC);
	if ((pid = fork()) == -1) {
		log_err(s->c->log, "fork: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		goto out;
	}
	if (pid == 0)
		child(s, argv, path, ep[1]);
	close(ep[1]);
	deadline = util_now_ms() + (int64_t)s->c->command_timeout * 1000;
	/* Read its stderr until it closes, then wait for the exit. */
	while (open_err) {
		int64_t left = deadline - util_now_ms();

		if (left <= 0)
			break;
		pfd.fd = ep[0];
		pfd.events = POLLIN;
		if ((w = poll(&pfd, 1, left > 500 ? 500 : (int)left)) <= 0) {
			/* It may have exited leaving stderr open in a
			   child of its own: do not wait for that. */
			if (w == 0 && waitpid(pid, &status, WNOHANG) == pid) {
				reaped = 1;
				break;
			}
			continue;
		}
		n = read(ep[0], ebuf, sizeof(ebuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			open_err = 0;
		else
			keep_err(s, ebuf, (size_t)n, &err_done);
	}
	close(ep[0]);
	w = reaped ? 0 : wait_until(pid, deadline, &status);
	if (w == -1) {
		log_err(s->c->log, "%s: %s: timed out after %d s, killed",
		    s->id, path, s->c->command_timeout);
		(void)kill(-pid, SIGTERM);
		(void)kill(pid, SIGTERM);
		if (wait_until(pid, util_now_ms() + 2000, &status) == -1) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
		}
		rc = EX_TEMPFAIL;
	} else if (w == -2) {
		log_err(s->c->log, "%s: waitpid: %s", s->id, strerror(errno));
		rc = EX_TEMPFAIL;
	} else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else {
		/* Killed by a signal: "anything else" of the contract. */
		rc = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
out:
	for (i = 0; i < na; i++)
		free(argv[i]);
	free(argv);
	return rc;
}
