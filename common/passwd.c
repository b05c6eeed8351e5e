/*
 * passwd.c: the passwd-file, password checks with crypt(3) (libxcrypt's
 * crypt_rn: no static state), the privilege drop servers do before
 * they touch a mailbox, and the Maildir of a user.
 */
#include "config.h"

#include <sys/types.h>

#include <crypt.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "passwd.h"
#include "util.h"

/* RFC 4616 §2: a password up to 255 octets; longer ones are refused. */
#define PASSWD_PASS_MAX SASL_FIELD_MAX
/* Largest uid/gid we accept (uid_t is 32 bits; (uid_t)-1 is special). */
#define PASSWD_ID_MAX 2147483647LL

/* crypt(3) strings: the setting and hash alphabets and '$' ',' '='. */
static int
hash_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '$' ||
	    c == ',' || c == '=' || c == '*' || c == '!' || c == '-';
}

static int
parse_id(const char *s, size_t n, long long *out)
{
	char tmp[16];
	size_t i;

	if (n == 0) {
		*out = -1;
		return 0;
	}
	if (n >= sizeof(tmp))
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return util_parse_num(tmp, 0, PASSWD_ID_MAX, 0, out);
}

/*
 * Parse one line (no newline, len bytes).  Returns 1 for an entry, 0
 * for a blank or comment line, -1 with why set.
 */
static int
parse_line(const char *l, size_t len, struct passwd_entry *e, const char **why)
{
	const char *f[4];
	size_t fl[4], i, k, start;

	if (len > 0 && l[len - 1] == '\r')
		len--;
	for (i = 0; i < len && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	if (i == len || l[i] == '#')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f) {
			*why = "control character in line";
			return -1;
		}
	/* user:HASH:uid:gid: then the maildir (the rest). */
	start = 0;
	for (k = 0; k < 4; k++) {
		for (i = start; i < len && l[i] != ':'; i++)
			;
		if (i == len) {
			*why = "expected user:HASH:uid:gid:maildir";
			return -1;
		}
		f[k] = l + start;
		fl[k] = i - start;
		start = i + 1;
	}
	if (fl[0] == 0 || fl[0] > PASSWD_USER_MAX) {
		*why = fl[0] == 0 ? "empty user name" : "user name too long";
		return -1;
	}
	for (i = 0; i < fl[0]; i++)
		if (f[0][i] == ' ' || f[0][i] == '\t') {
			*why = "space in user name";
			return -1;
		}
	if (fl[1] == 0 || fl[1] > PASSWD_HASH_MAX) {
		*why = fl[1] == 0 ? "empty password hash"
				  : "password hash too long";
		return -1;
	}
	for (i = 0; i < fl[1]; i++)
		if (!hash_char((unsigned char)f[1][i])) {
			*why = "password hash is not a crypt(3) string";
			return -1;
		}
	if (parse_id(f[2], fl[2], &e->uid) == -1) {
		*why = "uid is not a number";
		return -1;
	}
	if (parse_id(f[3], fl[3], &e->gid) == -1) {
		*why = "gid is not a number";
		return -1;
	}
	if ((e->uid == -1) != (e->gid == -1)) {
		*why = "uid and gid must both be given or both be empty";
		return -1;
	}
	memcpy(e->user, f[0], fl[0]);
	e->user[fl[0]] = '\0';
	memcpy(e->hash, f[1], fl[1]);
	e->hash[fl[1]] = '\0';
	memcpy(e->maildir, l + start, len - start);
	e->maildir[len - start] = '\0';
	return 1;
}

/*
 * Read the whole file; find user.  dummy (PASSWD_HASH_MAX+1) gets the
 * hash of the first usable entry, for the timing-safe miss.
 */
static int
scan(const char *path, const char *user, struct passwd_entry *e, char *dummy,
    char *err, size_t errlen)
{
	struct passwd_entry *cur;
	FILE *fp;
	char *line;
	const char *why = NULL;
	size_t n, ul = strlen(user);
	int c, lineno = 0, found = 0, rc = -1, r;

	if (dummy != NULL)
		dummy[0] = '\0';
	if ((fp = fopen(path, "re")) == NULL) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = malloc(PASSWD_LINE_MAX + 1);
	cur = malloc(sizeof(*cur));
	if (line == NULL || cur == NULL) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		n = 0;
		while ((c = getc(fp)) != EOF && c != '\n') {
			if (n >= PASSWD_LINE_MAX) {
				util_seterr(err, errlen,
				    "%s:%d: line longer than %d bytes", path,
				    lineno + 1, PASSWD_LINE_MAX);
				goto out;
			}
			if (c == '\0') {
				util_seterr(err, errlen,
				    "%s:%d: NUL byte in line", path,
				    lineno + 1);
				goto out;
			}
			line[n++] = (char)c;
		}
		if (c == EOF && ferror(fp)) {
			util_seterr(
			    err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (c == EOF && n == 0)
			break;
		lineno++;
		line[n] = '\0';
		r = parse_line(line, n, cur, &why);
		if (r == -1) {
			util_seterr(
			    err, errlen, "%s:%d: %s", path, lineno, why);
			goto out;
		}
		if (r == 1) {
			cur->line = lineno;
			if (dummy != NULL && dummy[0] == '\0' &&
			    cur->hash[0] == '$')
				util_strlcpy(
				    dummy, cur->hash, PASSWD_HASH_MAX + 1);
			if (strlen(cur->user) == ul &&
			    strcmp(cur->user, user) == 0) {
				if (found) {
					util_seterr(err, errlen,
					    "%s:%d: user %s listed twice "
					    "(first on line %d)",
					    path, lineno, cur->user, e->line);
					goto out;
				}
				found = 1;
				*e = *cur;
			}
		}
		if (c == EOF)
			break;
	}
	rc = found;
out:
	(void)fclose(fp);
	if (line != NULL)
		util_wipe(line, PASSWD_LINE_MAX + 1);
	free(line);
	if (cur != NULL)
		util_wipe(cur, sizeof(*cur));
	free(cur);
	return rc;
}

int
passwd_lookup(const char *path, const char *user, struct passwd_entry *e,
    char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	return scan(path, user, e, NULL, err, errlen);
}

/* Compare two NUL-terminated strings in time that depends only on a's
   length. */
static int
ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = (unsigned char)(la != lb);

	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ (lb > 0 ? b[i < lb ? i : 0] : 0));
	return d == 0;
}

int
passwd_check(const char *path, const char *user, const char *pass,
    struct passwd_entry *e, char *err, size_t errlen)
{
	struct crypt_data *cd;
	char dummy[PASSWD_HASH_MAX + 1], gen[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *setting, *out;
	int found, ok = 0;

	memset(e, 0, sizeof(*e));
	if (strlen(pass) > PASSWD_PASS_MAX) {
		util_seterr(err, errlen, "authentication failed");
		return 0;
	}
	found = scan(path, user, e, dummy, err, errlen);
	if (found == -1)
		return -1;
	/* struct crypt_data is large (about 32 KB): not on the stack. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		util_seterr(err, errlen, "crypt: %s", strerror(errno));
		return -1;
	}
	if (found && e->hash[0] == '$')
		setting = e->hash;
	else if (dummy[0] != '\0')
		setting = dummy;
	else {
		/* No usable entry to borrow from: a fresh yescrypt one. */
		if (crypt_gensalt_rn("$y$", 0, NULL, 0, gen, sizeof(gen)) ==
		    NULL)
			util_strlcpy(gen, "$6$yubin.dummy.salt", sizeof(gen));
		setting = gen;
	}
	out = crypt_rn(pass, setting, cd, (int)sizeof(*cd));
	if (found && setting == e->hash && out != NULL &&
	    ct_streq(out, e->hash))
		ok = 1;
	util_wipe(cd, sizeof(*cd));
	free(cd);
	util_wipe(dummy, sizeof(dummy));
	if (!ok) {
		memset(e, 0, sizeof(*e));
		util_seterr(err, errlen, "authentication failed");
		return 0;
	}
	return 1;
}

int
passwd_drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (uid == 0) {
		util_seterr(
		    err, errlen, "refusing to run as root (uid 0) for a user");
		return -1;
	}
	/* Supplementary groups first, while we still may. */
	if (setgroups(1, &gid) == -1) {
		util_seterr(err, errlen, "setgroups(%lu): %s",
		    (unsigned long)gid, strerror(errno));
		return -1;
	}
	if (setgid(gid) == -1) {
		util_seterr(err, errlen, "setgid(%lu): %s", (unsigned long)gid,
		    strerror(errno));
		return -1;
	}
	if (setuid(uid) == -1) {
		util_seterr(err, errlen, "setuid(%lu): %s", (unsigned long)uid,
		    strerror(errno));
		return -1;
	}
	/* As root, setuid sets real, effective and saved IDs: check. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		util_seterr(err, errlen, "privilege drop did not take");
		return -1;
	}
	if (setuid(0) != -1 || (gid != 0 && setgid(0) != -1)) {
		util_seterr(
		    err, errlen, "privilege drop failed: root can be regained");
		return -1;
	}
	return 0;
}

int
passwd_become(const struct passwd_entry *e, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	if (e->uid < 0 || e->gid < 0) {
		util_seterr(err, errlen,
		    "user %s has no uid/gid in the passwd-file, and the "
		    "server runs as root",
		    e->user);
		return -1;
	}
	return passwd_drop_privileges(
	    (uid_t)e->uid, (gid_t)e->gid, err, errlen);
}

int
passwd_maildir(
    const struct passwd_entry *e, const char *dflt, char *out, size_t outlen)
{
	const char *t = e->maildir[0] != '\0' ? e->maildir : dflt;
	struct buf b;
	int rc = 0;

	if (t == NULL || t[0] == '\0')
		return -1;
	buf_init(&b, outlen - 1);
	for (; *t != '\0' && rc == 0; t++) {
		if (t[0] == '%' && t[1] == 'u' && e->maildir[0] == '\0') {
			rc = buf_puts(&b, e->user);
			t++;
		} else
			rc = buf_putc(&b, *t);
	}
	if (rc == 0)
		util_strlcpy(out, buf_cstr(&b), outlen);
	buf_free(&b);
	return rc;
}
