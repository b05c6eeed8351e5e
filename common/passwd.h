/*
 * passwd.h: the passwd-file shared by msmtpd AUTH, `mpop serve` and
 * `mimap serve` (DESIGN.md), one user a line:
 *
 *	user:HASH:uid:gid:maildir
 *
 * HASH is a crypt(3) string (yescrypt "$y$", SHA-512-crypt "$6$",
 * bcrypt "$2b$"); uid and gid may be empty when the server does not run
 * as root; '#' starts a comment line; blank lines are skipped.  The
 * maildir is the rest of the line (it may hold ':').
 */
#ifndef YUBIN_PASSWD_H
#define YUBIN_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"

struct passwd_entry {
	char		user[PASSWD_USER_MAX + 1];
	char		hash[PASSWD_HASH_MAX + 1];
	long long	uid;		/* -1 when empty */
	long long	gid;		/* -1 when empty */
	char		maildir[PASSWD_LINE_MAX];
	int		line;		/* line number in the file */
};

/*
 * Find user in the file at path.  The whole file is read and checked:
 * a malformed or over-long line, or a user listed twice, is an error
 * ("FILE:LINE: why").  Returns 1 and fills e when found, 0 when the user
 * is not there, -1 on error (err says why).
 */
int	passwd_lookup(const char *path, const char *user,
	    struct passwd_entry *e, char *err, size_t errlen);

/*
 * Check user's password against the file.  The hash is computed with
 * crypt_rn and compared in constant time; for an unknown user (or a
 * locked hash such as "*" or "!...") one crypt of the same kind still
 * runs (on another entry's setting, or a yescrypt one), so the time
 * taken does not tell whether the user exists.  Returns 1 and fills e
 * when the password is right, 0 when the user or password is wrong
 * (err is the same for both), -1 on error.
 */
int	passwd_check(const char *path, const char *user, const char *pass,
	    struct passwd_entry *e, char *err, size_t errlen);

/*
 * Drop root for good: setgroups to gid alone, setgid, setuid, then
 * check that uid and gid cannot be regained (setuid(0) must fail).
 * Refuses uid 0.  0 or -1 (err says which step failed and why).
 */
int	passwd_drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen);

/*
 * What a server does after a login: when running as root, drop to the
 * entry's uid/gid (an entry without them is an error); otherwise
 * nothing.  0 or -1.
 */
int	passwd_become(const struct passwd_entry *e, char *err, size_t errlen);

/*
 * The Maildir of an entry into out[outlen]: its maildir field, else the
 * template dflt (a server's --maildir, NULL: none) with each "%u"
 * replaced by the user name.  0, or -1 when there is none or it does
 * not fit.
 */
int	passwd_maildir(const struct passwd_entry *e, const char *dflt,
	    char *out, size_t outlen);

#endif
