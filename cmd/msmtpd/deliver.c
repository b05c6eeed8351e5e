/*
 * deliver.c: hand the spooled message to the delivery command (DESIGN:
 * msmtpd -> delivery command).  The command is an argv run with
 * posix_spawn, never a shell: "%F" in a word is the envelope sender, a
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
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "msmtpd.h"
#include "util.h"

/* Names of the variables msmtpd sets for the command (DESIGN). */
static const char *const env_ours[] = {"SENDER", "RECIPIENT", "REMOTE_ADDR",
    "REMOTE_HOST", "HELO", "AUTH_USER", "TLS_PROTOCOL", "TLS_CIPHER", NULL};

static int
env_is_ours(const char *kv)
{
	size_t i, n;

	for (i = 0; env_ours[i] != NULL; i++) {
		n = strlen(env_ours[i]);
		if (strncmp(kv, env_ours[i], n) == 0 && kv[n] == '=')
			return 1;
	}
	return 0;
}

static int
env_add(char **envp, size_t *n, const char *name, const char *value)
{
	struct buf b;

	buf_init(&b, 0);
	if (buf_puts(&b, name) == -1 || buf_putc(&b, '=') == -1 ||
	    buf_puts(&b, value) == -1) {
		buf_free(&b);
		return -1;
	}
	envp[(*n)++] = buf_release(&b);
	return 0;
}

/*
 * The command's environment: ours without any SENDER etc. it may have
 * had, then the session's values.  NULL when out of memory; the strings
 * from index *own on are allocated.
 */
static char **
make_env(const struct session *s, size_t *own)
{
	extern char **environ;
	char **envp;
	size_t n = 0, i;
	int rc = 0;

	for (i = 0; environ[i] != NULL; i++)
		;
	if ((envp = calloc(i + 9, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; environ[i] != NULL; i++)
		if (!env_is_ours(environ[i]))
			envp[n++] = environ[i];
	*own = n;
	rc |= env_add(envp, &n, "SENDER", s->from);
	rc |= env_add(envp, &n, "RECIPIENT", s->nrcpt > 0 ? s->rcpt[0] : "");
	rc |= env_add(envp, &n, "REMOTE_ADDR", s->addr);
	rc |= env_add(envp, &n, "REMOTE_HOST", s->host);
	rc |= env_add(envp, &n, "HELO", s->helo);
	if (s->authed)
		rc |= env_add(envp, &n, "AUTH_USER", s->auth_user);
	if (s->tls) {
		rc |= env_add(envp, &n, "TLS_PROTOCOL", s->tlsi.protocol);
		rc |= env_add(envp, &n, "TLS_CIPHER", s->tlsi.cipher);
	}
	if (rc != 0) {
		for (i = *own; i < n; i++)
			free(envp[i]);
		free(envp);
		return NULL;
	}
	return envp;
}

/*
 * Start the command with posix_spawn(3): glibc runs it with vfork
 * semantics, so msmtpd's page tables are not copied for every message
 * (fork per message was a tenth of msmtpd's CPU in bench/smtp.sh).
 * The child gets its own process group (killed as a whole on timeout),
 * default signals and an empty mask; the spool as stdin, /dev/null as
 * stdout, errfd as stderr; every other descriptor of ours is
 * close-on-exec.  Returns 0 or an errno value.
 */
static int
spawn(const struct session *s, char **argv, const char *path, int errfd,
    pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char **envp;
	size_t own = 0, i;
	int rc;

	if ((envp = make_env(s, &own)) == NULL)
		return ENOMEM;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	if ((rc = posix_spawnattr_init(&at)) != 0)
		goto out_env;
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto out_attr;
	if ((rc = posix_spawnattr_setflags(&at,
		 POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
		     POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(&at, &def)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, s->spool, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, errfd, 2)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(
		 &fa, 1, "/dev/null", O_WRONLY, 0)) != 0)
		goto out_fa;
	if (errfd > 2 &&
	    (rc = posix_spawn_file_actions_addclose(&fa, errfd)) != 0)
		goto out_fa;
	if (strchr(path, '/') != NULL)
		rc = posix_spawn(pid, path, &fa, &at, argv, envp);
	else
		rc = posix_spawnp(pid, path, &fa, &at, argv, envp);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
out_attr:
	posix_spawnattr_destroy(&at);
out_env:
	for (i = own; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
	return rc;
}

/* Keep the command's stderr for the log, its lines joined by " | ",
   up to MSMTPD_CMD_ERR_MAX bytes.  *nl: a line ended last time. */
static void
keep_err(struct session *s, const char *p, size_t n, int *nl)
{
	size_t have = strlen(s->cmd_err), i;

	for (i = 0; i < n && have < MSMTPD_CMD_ERR_MAX; i++) {
		if (p[i] == '\n') {
			*nl = 1;
			continue;
		}
		if (*nl && have > 0) {
			if (have + 4 > MSMTPD_CMD_ERR_MAX)
				break;
			memcpy(s->cmd_err + have, " | ", 3);
			have += 3;
		}
		*nl = 0;
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
	int ep[2], status = 0, rc = EX_TEMPFAIL, open_err = 1, w, e;
	int err_nl = 0, reaped = 0;
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
		} else if ((argv[na++] = util_expand_sender(
				tmpl[i], s->from)) == NULL)
			goto out;
	}
	path = util_find_prog(argv[0], found, sizeof(found));
	if (pipe(ep) == -1) {
		log_err(s->c->log, "pipe: %s", strerror(errno));
		goto out;
	}
	(void)fcntl(ep[0], F_SETFD, FD_CLOEXEC);
	if (ep[1] > 2) /* dup2 onto 2 in the child clears it */
		(void)fcntl(ep[1], F_SETFD, FD_CLOEXEC);
	if ((e = spawn(s, argv, path, ep[1], &pid)) != 0) {
		/* Not there or not runnable: our configuration, not the
		   mail's fault, so try again later (DESIGN: nothing lost). */
		(void)snprintf(s->cmd_err, sizeof(s->cmd_err), "%s: %s: %s",
		    PROG, path, strerror(e));
		log_err(s->c->log, "%s: %s: %s", s->id, path, strerror(e));
		close(ep[0]);
		close(ep[1]);
		goto out;
	}
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
			keep_err(s, ebuf, (size_t)n, &err_nl);
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
