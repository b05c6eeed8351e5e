/*
 * auth.c: SMTP AUTH (RFC 4954) for msend: which mechanism, where the
 * secret comes from (password, passwordeval, ~/.netrc, a prompt on the
 * terminal), and the exchange itself through the sasl module.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "msend.h"
#include "sasl.h"
#include "util.h"

/*
 * passwordeval: a command the user configured (never mail data), run
 * by /bin/sh -c as msmtp does; its first line of output is the secret.
 */
static int
secret_eval(const char *cmd, char *out, size_t outlen, char *err, size_t errlen)
{
	int p[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(p) == -1) {
		util_seterr(
		    err, errlen, "passwordeval: pipe: %s", strerror(errno));
		return EX_OSERR;
	}
	if ((pid = fork()) == -1) {
		util_seterr(
		    err, errlen, "passwordeval: fork: %s", strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		return EX_OSERR;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Not the message on stdin: the command gets nothing. */
		(void)close(p[0]);
		if (null == -1 || dup2(null, 0) == -1 || dup2(p[1], 1) == -1)
			_exit(127);
		(void)close(p[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	(void)close(p[1]);
	while (n < outlen - 1) {
		r = read(p[0], out + n, outlen - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	out[n] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		util_wipe(out, outlen);
		util_seterr(err, errlen, "passwordeval: the command %s %d",
		    WIFEXITED(st) ? "exited with" : "was killed by signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return EX_CONFIG;
	}
	if (n == outlen - 1) {
		util_wipe(out, outlen);
		util_seterr(err, errlen,
		    "passwordeval: output longer than "
		    "%d bytes",
		    SECRET_MAX);
		return EX_CONFIG;
	}
	/* The first line: a trailing newline is not part of it. */
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		util_seterr(err, errlen,
		    "passwordeval: the command printed "
		    "nothing");
		return EX_CONFIG;
	}
	return 0;
}

static int
secret_netrc(const char *host, const char *user, char *out, size_t outlen)
{
	const char *home = getenv("HOME");
	char path[1024];
	struct buf b;
	int fd, rc = 0;

	if (home == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/.netrc", home) >=
		sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	buf_init(&b, NETRC_MAX);
	if (buf_read_fd(&b, fd) == 0)
		rc = netrc_find(b.data, b.len, host, user, out, outlen);
	(void)close(fd);
	if (b.data != NULL)
		util_wipe(b.data, b.cap);
	buf_free(&b);
	return rc == 1;
}

/* Ask on the terminal with echo off; 1 when read. */
static int
secret_prompt(const char *host, const char *user, char *out, size_t outlen)
{
	struct termios t, quiet;
	char prompt[600];
	size_t n = 0;
	ssize_t r;
	char c;
	int fd, ok = 0;

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
	(void)tcsetattr(fd, TCSAFLUSH, &t);
	(void)util_write_all(fd, "\n", 1);
	(void)close(fd);
	return ok && n > 0;
}

/* Pick the mechanism: what was asked, or PLAIN/LOGIN for "on". */
static int
pick_mech(const struct smtp_ehlo *e, int mode, enum sasl_mech *m, char *err,
    size_t errlen)
{
	static const struct {
		int mode;
		enum sasl_mech mech;
	} map[] = {
	    {AUTHM_PLAIN, SASL_MECH_PLAIN},
	    {AUTHM_LOGIN, SASL_MECH_LOGIN},
	    {AUTHM_XOAUTH2, SASL_MECH_XOAUTH2},
	    {AUTHM_OAUTHBEARER, SASL_MECH_OAUTHBEARER},
	};
	size_t i;

	if (e->auth[0] == '\0') {
		util_seterr(err, errlen, "the server offers no AUTH");
		return -1;
	}
	if (mode == AUTHM_ON) {
		/* PLAIN is one round trip; LOGIN is the fallback. */
		if (smtp_ehlo_has_auth(e, "PLAIN"))
			*m = SASL_MECH_PLAIN;
		else if (smtp_ehlo_has_auth(e, "LOGIN"))
			*m = SASL_MECH_LOGIN;
		else {
			util_seterr(err, errlen,
			    "the server offers AUTH %s; "
			    "msend knows PLAIN and LOGIN (and XOAUTH2, "
			    "OAUTHBEARER when asked for)",
			    e->auth);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].mode == mode) {
			*m = map[i].mech;
			if (!smtp_ehlo_has_auth(e, sasl_mech_name(*m))) {
				util_seterr(err, errlen,
				    "the server does not "
				    "offer AUTH %s (it offers %s)",
				    sasl_mech_name(*m), e->auth);
				return -1;
			}
			return 0;
		}
	util_seterr(err, errlen, "no AUTH mechanism chosen");
	return -1;
}

static int
auth_exchange(struct io *io, struct sasl_client *c, enum sasl_mech mech,
    const char *user, const char *secret, char *err, size_t errlen)
{
	struct smtp_reply r;
	struct buf out = BUF_INIT;
	char line[SMTP_REPLY_LINE_MAX];
	const char *t;
	int rc, steps = 0, ex = 0;

	smtp_reply_init(&r);
	buf_init(&out, SASL_LINE_MAX);
	rc = sasl_client_start(c, mech, user, secret, &out, err, errlen);
	if (rc != SASL_CONTINUE) {
		ex = EX_CONFIG;
		goto out;
	}
	/* RFC 4954 §4: an initial response that makes the line too long
	 * waits for the server's empty challenge. */
	if (out.len == 0 ||
	    out.len + 6 + strlen(sasl_mech_name(mech)) > SMTP_CMD_LINE_MAX - 2)
		rc = io_line(io, "AUTH %s", sasl_mech_name(mech));
	else {
		rc = io_line(io, "AUTH %s %s", sasl_mech_name(mech), out.data);
		util_wipe(out.data, out.len);
		buf_reset(&out);
	}
	if (rc == -1 || io_flush(io) == -1) {
		util_seterr(err, errlen, "AUTH: %s", io->err);
		ex = EX_TEMPFAIL;
		goto out;
	}
	for (;;) {
		if (smtp_read_reply(io, &r, err, errlen) == -1) {
			ex = strncmp(err, "malformed", 9) == 0 ? EX_PROTOCOL
							       : EX_TEMPFAIL;
			goto out;
		}
		if (r.code == 235)
			break;
		if (r.code != 334 || ++steps > 4) {
			smtp_reply_str(&r, line, sizeof(line));
			util_seterr(err, errlen, "AUTH %s failed: %s",
			    sasl_mech_name(mech), line);
			ex = r.code >= 400 && r.code < 500 ? EX_TEMPFAIL
							   : EX_NOPERM;
			goto out;
		}
		if (out.len == 0) {
			t = smtp_reply_text(&r, 0);
			rc = sasl_client_step(
			    c, t, strlen(t), &out, err, errlen);
			if (rc != SASL_CONTINUE) {
				/* RFC 4954 §4: "*" cancels the exchange. */
				(void)io_line(io, "*");
				(void)io_flush(io);
				ex = EX_PROTOCOL;
				goto out;
			}
		}
		rc = io_line(io, "%s", out.data != NULL ? out.data : "");
		util_wipe(out.data, out.len);
		buf_reset(&out);
		if (rc == -1 || io_flush(io) == -1) {
			util_seterr(err, errlen, "AUTH: %s", io->err);
			ex = EX_TEMPFAIL;
			goto out;
		}
	}
out:
	if (out.data != NULL)
		util_wipe(out.data, out.cap);
	buf_free(&out);
	smtp_reply_free(&r);
	return ex;
}

int
auth_run(struct io *io, const struct smtp_ehlo *e, const struct account *a,
    const char *host, int port, char *err, size_t errlen)
{
	struct sasl_client c;
	enum sasl_mech mech;
	char secret[SECRET_MAX + 1];
	int mode = a->auth, ex;

	if (mode == AUTHM_UNSET)
		mode = a->user != NULL ? AUTHM_ON : AUTHM_OFF;
	if (mode == AUTHM_OFF)
		return 0;
	if (io->tls == NULL && a->allow_plain_auth != 1) {
		util_seterr(err, errlen,
		    "refusing to authenticate over an "
		    "unencrypted connection (use TLS, or "
		    "--allow-plain-auth)");
		return EX_UNAVAILABLE;
	}
	if (a->user == NULL || a->user[0] == '\0') {
		util_seterr(err, errlen,
		    "AUTH needs a user name (--user, or "
		    "user in the config file)");
		return EX_CONFIG;
	}
	if (pick_mech(e, mode, &mech, err, errlen) == -1)
		return EX_UNAVAILABLE;
	if (a->password != NULL)
		util_strlcpy(secret, a->password, sizeof(secret));
	else if (a->passwordeval != NULL) {
		if ((ex = secret_eval(a->passwordeval, secret, sizeof(secret),
			 err, errlen)) != 0)
			return ex;
	} else if (!secret_netrc(host, a->user, secret, sizeof(secret)) &&
	    !secret_prompt(host, a->user, secret, sizeof(secret))) {
		util_seterr(err, errlen,
		    "no password for %s at %s "
		    "(passwordeval, ~/.netrc, or a terminal to ask on)",
		    a->user, host);
		return EX_CONFIG;
	}
	memset(&c, 0, sizeof(c));
	c.host = host;
	c.port = port;
	ex = auth_exchange(io, &c, mech, a->user, secret, err, errlen);
	sasl_client_clear(&c);
	util_wipe(secret, sizeof(secret));
	return ex;
}
