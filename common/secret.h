/*
 * secret.h: where a client's password comes from, as msmtp and mpop
 * look for it: the first line printed by a command the user configured
 * (passwordeval), the .netrc entry for the host, or a question on the
 * terminal.  Shared by msend, mpop fetch and mimap fetch.  A secret
 * stays in the caller's buffer: never in argv, a log line or an error.
 */
#ifndef YUBIN_SECRET_H
#define YUBIN_SECRET_H

#include <stddef.h>

/* A password or an OAuth 2.0 token (RFC 6750 sets no limit; 8 KiB is
   more than any provider issues). */
#define SECRET_MAX 8192
/* A .netrc is small; it is read whole up to this size. */
#define SECRET_NETRC_MAX (64 * 1024)
/* What passwordeval's command may print in all (only its first line
   is the secret; the rest is read and dropped up to this much). */
#define SECRET_EVAL_OUT_MAX (64 * 1024)

/* How long passwordeval's command may run, seconds (a password
   manager that asks for its own passphrase has time for an answer). */
#define SECRET_EVAL_TIMEOUT 60

/*
 * passwordeval: run cmd by /bin/sh -c (the user's own configuration,
 * never mail data) through common/proc: stdin from /dev/null, SIGPIPE
 * at its default, no descriptor of ours but stdout (a pipe) and stderr
 * (ours), at most SECRET_EVAL_TIMEOUT seconds, then its process group
 * is killed.  The first line of its output goes into out.  0, or an
 * exit code from <sysexits.h> with err set ("passwordeval: why") and
 * out wiped: EX_OSERR when the command could not be started,
 * EX_TEMPFAIL when it timed out, EX_CONFIG when it failed (exit status
 * not 0, a signal), printed nothing, or a first line longer than
 * outlen - 1.
 */
int secret_eval(
    const char *cmd, char *out, size_t outlen, char *err, size_t errlen);
/* The same with a timeout of timeout_ms (0: none). */
int secret_eval_timed(const char *cmd, int timeout_ms, char *out,
    size_t outlen, char *err, size_t errlen);

/*
 * The password of the first .netrc entry ("machine host", or "default")
 * whose login is user, or that names no login (a NULL user takes any
 * login).  Tokens are separated by white space; "account" values and
 * "macdef" macros (to the next empty line) are skipped, unknown words
 * too, as ftp(1) does.  Total over data[0..len): 1 found with out set,
 * 0 not found, -1 malformed, longer than SECRET_NETRC_MAX, or a
 * password longer than outlen - 1.
 */
int secret_netrc_find(const char *data, size_t len, const char *host,
    const char *user, char *out, size_t outlen);

/*
 * Look host and user up in $NETRC, or in ~/.netrc when NETRC is unset
 * or empty.  1 found with out set; -1 when the file gives its group or
 * others any access (as ftp(1) refuses it), with err naming the file,
 * its mode and the fix; 0 otherwise (no file, unreadable, too large,
 * malformed, no entry).
 */
int secret_netrc(const char *host, const char *user, char *out, size_t outlen,
    char *err, size_t errlen);

/*
 * Ask "password for USER at HOST: " on /dev/tty with echo off (turned
 * off before the question is written) and read one line.  1 when a
 * non-empty line was read; 0 (out wiped) without a terminal or an
 * answer.
 */
int secret_prompt(const char *host, const char *user, char *out, size_t outlen);

/*
 * The whole search: passwordeval when cmd is not NULL, else the .netrc
 * entry, else the terminal.  0, or an exit code with err set and out
 * wiped (EX_CONFIG for a .netrc others can read).
 */
int secret_get(const char *cmd, const char *host, const char *user, char *out,
    size_t outlen, char *err, size_t errlen);

/*
 * For every program that holds a password: no core file (RLIMIT_CORE 0,
 * soft and hard) and, on Linux, not dumpable (PR_SET_DUMPABLE 0: no
 * core through a pipe handler either, no ptrace or /proc/PID/mem by
 * other processes of the user).  Call it first thing in main().  0, or
 * -1 with errno set when a step failed (the rest is still done).
 */
int secret_no_core_dumps(void);

#endif
