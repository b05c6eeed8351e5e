/*
 * sessfuzz.h: what the fuzz targets of whole server sessions
 * (smtpd_session_fuzz, pop3d_session_fuzz, imapd_session_fuzz) share:
 * the input as the file a session reads, the sink its answers go to,
 * and the passwd-file line of their user.  Every failure aborts: a
 * fuzz target has no one to tell.
 */
#ifndef YUBIN_SESSFUZZ_H
#define YUBIN_SESSFUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * The input d[n] into a temp file made from tmpl (".../NAME.XXXXXX",
 * changed in place) and unlinked at once: *in, read from its start;
 * *out is /dev/null.  The caller closes both.
 */
void	sessfuzz_fds(const uint8_t *d, size_t n, char *tmpl, int *in,
	    int *out);

/*
 * The passwd-file line of the user "fuzz" with the password "secret"
 * (a cheap SHA-256-crypt hash), no uid or gid (run as root, a right
 * password must not give up root for good), maildir md ("" for none)
 * and the newline, into buf[len].
 */
void	sessfuzz_pwline(char *buf, size_t len, const char *md);

#endif
