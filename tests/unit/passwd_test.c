/*
 * passwd_test: the passwd-file (lookup, malformed and over-long lines,
 * comments, empty uid/gid, duplicates, missing file), password checks
 * with hashes made here by crypt_gensalt_rn + crypt_rn (yescrypt,
 * SHA-512-crypt, bcrypt), the privilege drop (as root, in a child),
 * and the Maildir of an entry (its field, or the "%u" template).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "passwd.h"

/* A fresh hash of pass with the method prefix ("$y$", "$6$", "$2b$"). */
static void
make_hash(const char *prefix, const char *pass, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;

	ATF_REQUIRE(
	    crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof(salt)) != NULL);
	cd = calloc(1, sizeof(*cd));
	ATF_REQUIRE(cd != NULL);
	h = crypt_rn(pass, salt, cd, (int)sizeof(*cd));
	ATF_REQUIRE(h != NULL && h[0] == '$');
	ATF_REQUIRE(strlen(h) < outlen);
	memcpy(out, h, strlen(h) + 1);
	free(cd);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(fputs(text, f) >= 0);
	ATF_REQUIRE(fclose(f) == 0);
}

ATF_TC_WITHOUT_HEAD(lookup);
ATF_TC_BODY(lookup, tc)
{
	struct passwd_entry e;
	char err[ERR_MAX];

	write_file("pw",
	    "# yubin users\n"
	    "\n"
	    "   \n"
	    "alice:$6$salt$abc:1001:1001:/home/alice/Maildir\n"
	    "  # indented comment\n"
	    "bob:$y$j9T$x$y:::/var/mail/bob\n"
	    "carol:*:5:6:/srv/mail/c:with:colons\r\n"
	    "dave:$2b$05$abc:7:8:");
	ATF_CHECK_EQ(passwd_lookup("pw", "alice", &e, err, sizeof(err)), 1);
	ATF_CHECK_STREQ(e.user, "alice");
	ATF_CHECK_STREQ(e.hash, "$6$salt$abc");
	ATF_CHECK_EQ(e.uid, 1001);
	ATF_CHECK_EQ(e.gid, 1001);
	ATF_CHECK_STREQ(e.maildir, "/home/alice/Maildir");
	ATF_CHECK_EQ(e.line, 4);
	ATF_CHECK_EQ(passwd_lookup("pw", "bob", &e, err, sizeof(err)), 1);
	ATF_CHECK_EQ(e.uid, -1);
	ATF_CHECK_EQ(e.gid, -1);
	ATF_CHECK_STREQ(e.maildir, "/var/mail/bob");
	ATF_CHECK_EQ(passwd_lookup("pw", "carol", &e, err, sizeof(err)), 1);
	ATF_CHECK_STREQ(e.maildir, "/srv/mail/c:with:colons");
	ATF_CHECK_EQ(passwd_lookup("pw", "dave", &e, err, sizeof(err)), 1);
	ATF_CHECK_STREQ(e.maildir, "");
	ATF_CHECK_EQ(e.uid, 7);
	ATF_CHECK_EQ(passwd_lookup("pw", "eve", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_lookup("pw", "Alice", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_lookup("pw", "alic", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_lookup("pw", "", &e, err, sizeof(err)), 0);
}

struct bad_case {
	const char *text;
	const char *why; /* part of the error */
};

static const struct bad_case bad_cases[] = {
    {"alice\n", "pw:1: expected"},
    {"alice:$6$x$y:1:1\n", "pw:1: expected"},
    {"ok:$6$x$y:1:1:/m\n:$6$x$y:1:1:/m\n", "pw:2: empty user"},
    {"alice::1:1:/m\n", "empty password hash"},
    {"alice:$6$x y:1:1:/m\n", "not a crypt(3) string"},
    {"alice:$6$x$y:one:1:/m\n", "uid is not a number"},
    {"alice:$6$x$y:1:-1:/m\n", "gid is not a number"},
    {"alice:$6$x$y:99999999999:1:/m\n", "uid is not a number"},
    {"alice:$6$x$y:1::/m\n", "both be given"},
    {"al ice:$6$x$y:1:1:/m\n", "space in user"},
    {"alice:$6$x$y:1:1:/m\tx\n", "control character"},
    {"alice:$6$x$y:1:1:/a\n#\nalice:$6$x$y:1:1:/b\n",
	"pw:3: user alice listed twice (first on line 1)"},
};

ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	struct passwd_entry e;
	char err[ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		write_file("pw", bad_cases[i].text);
		err[0] = '\0';
		ATF_CHECK_EQ_MSG(
		    passwd_lookup("pw", "alice", &e, err, sizeof(err)), -1,
		    "case %zu accepted", i);
		ATF_CHECK_MSG(strstr(err, bad_cases[i].why) != NULL,
		    "case %zu: \"%s\" lacks \"%s\"", i, err, bad_cases[i].why);
	}
	/* A NUL byte in a line. */
	{
		FILE *f = fopen("pw", "w");

		ATF_REQUIRE(f != NULL);
		ATF_REQUIRE(fwrite("alice:$6$x\0y:1:1:/m\n", 1, 20, f) == 20);
		ATF_REQUIRE(fclose(f) == 0);
		ATF_CHECK_EQ(
		    passwd_lookup("pw", "alice", &e, err, sizeof(err)), -1);
		ATF_CHECK(strstr(err, "NUL") != NULL);
	}
}

ATF_TC_WITHOUT_HEAD(long_lines);
ATF_TC_BODY(long_lines, tc)
{
	struct passwd_entry e;
	char err[ERR_MAX], *line;
	FILE *f;
	size_t pre;

	/* A line of exactly PASSWD_LINE_MAX bytes passes; one more byte
	   is refused with the line number. */
	line = malloc(PASSWD_LINE_MAX + 2);
	ATF_REQUIRE(line != NULL);
	pre = (size_t)snprintf(line, PASSWD_LINE_MAX, "alice:$6$x$y:1:1:/");
	memset(line + pre, 'm', PASSWD_LINE_MAX - pre);
	line[PASSWD_LINE_MAX] = '\0';
	f = fopen("pw", "w");
	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(fprintf(f, "# ok\n%s\n", line) > 0);
	ATF_REQUIRE(fclose(f) == 0);
	ATF_CHECK_EQ(passwd_lookup("pw", "alice", &e, err, sizeof(err)), 1);
	ATF_CHECK_EQ(strlen(e.maildir), PASSWD_LINE_MAX - pre + 1);
	f = fopen("pw", "w");
	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(fprintf(f, "# ok\n%sm\n", line) > 0);
	ATF_REQUIRE(fclose(f) == 0);
	ATF_CHECK_EQ(passwd_lookup("pw", "alice", &e, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "pw:2: line longer than") != NULL, "%s", err);
	/* An over-long user name and hash. */
	memset(line, 'u', 300);
	memcpy(line + 300, ":$6$x$y:1:1:/m\n", 16);
	write_file("pw", line);
	ATF_CHECK_EQ(passwd_lookup("pw", "u", &e, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "user name too long") != NULL);
	memcpy(line, "u:$6$", 5);
	memset(line + 5, 'h', 400);
	memcpy(line + 405, ":1:1:/m\n", 9);
	write_file("pw", line);
	ATF_CHECK_EQ(passwd_lookup("pw", "u", &e, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "hash too long") != NULL);
	free(line);
}

ATF_TC_WITHOUT_HEAD(missing_file);
ATF_TC_BODY(missing_file, tc)
{
	struct passwd_entry e;
	char err[ERR_MAX];

	ATF_CHECK_EQ(
	    passwd_lookup("nonexistent", "alice", &e, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "nonexistent: No such file or directory");
	ATF_CHECK_EQ(
	    passwd_check("nonexistent", "alice", "pw", &e, err, sizeof(err)),
	    -1);
	ATF_CHECK_STREQ(err, "nonexistent: No such file or directory");
}

/* Check each method: right password, wrong one, unknown user. */
static void
check_method(const char *prefix)
{
	struct passwd_entry e;
	char h1[CRYPT_OUTPUT_SIZE], h2[CRYPT_OUTPUT_SIZE], text[1024];
	char err[ERR_MAX], err2[ERR_MAX];

	make_hash(prefix, "correct horse", h1, sizeof(h1));
	make_hash(prefix, "pässwörd", h2, sizeof(h2));
	ATF_REQUIRE(strncmp(h1, prefix, strlen(prefix)) == 0);
	(void)snprintf(text, sizeof(text),
	    "alice:%s:1001:1002:/home/alice/Maildir\nbob:%s:::/m/bob\n", h1,
	    h2);
	write_file("pw", text);
	ATF_CHECK_EQ(
	    passwd_check("pw", "alice", "correct horse", &e, err, sizeof(err)),
	    1);
	ATF_CHECK_STREQ(e.user, "alice");
	ATF_CHECK_EQ(e.uid, 1001);
	ATF_CHECK_EQ(e.gid, 1002);
	ATF_CHECK_STREQ(e.maildir, "/home/alice/Maildir");
	ATF_CHECK_EQ(
	    passwd_check("pw", "bob", "pässwörd", &e, err, sizeof(err)), 1);
	ATF_CHECK_EQ(e.uid, -1);
	/* Wrong password, another user's password, near misses. */
	ATF_CHECK_EQ(
	    passwd_check("pw", "alice", "correct horsE", &e, err, sizeof(err)),
	    0);
	ATF_CHECK_EQ(e.user[0], '\0');
	ATF_CHECK_EQ(
	    passwd_check("pw", "alice", "pässwörd", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_check("pw", "alice", "", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(
	    passwd_check("pw", "alice", "correct horse ", &e, err, sizeof(err)),
	    0);
	/* Unknown user: the same answer and the same message. */
	ATF_CHECK_EQ(passwd_check("pw", "mallory", "correct horse", &e, err2,
			 sizeof(err2)),
	    0);
	ATF_CHECK_STREQ(err, err2);
	ATF_CHECK(strstr(err, "mallory") == NULL);
	/* A stored hash is not a password. */
	ATF_CHECK_EQ(passwd_check("pw", "alice", h1, &e, err, sizeof(err)), 0);
}

ATF_TC_WITHOUT_HEAD(check_yescrypt);
ATF_TC_BODY(check_yescrypt, tc)
{
	check_method("$y$");
}

ATF_TC_WITHOUT_HEAD(check_sha512);
ATF_TC_BODY(check_sha512, tc)
{
	check_method("$6$");
}

ATF_TC_WITHOUT_HEAD(check_bcrypt);
ATF_TC_BODY(check_bcrypt, tc)
{
	check_method("$2b$");
}

ATF_TC_WITHOUT_HEAD(check_locked);
ATF_TC_BODY(check_locked, tc)
{
	struct passwd_entry e;
	char err[ERR_MAX], pw[512];

	/* Locked entries never match, whatever is typed. */
	write_file("pw", "alice:*:1:1:/m\nbob:!$6$x$y:1:1:/m\n");
	ATF_CHECK_EQ(passwd_check("pw", "alice", "*", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_check("pw", "alice", "", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_check("pw", "bob", "x", &e, err, sizeof(err)), 0);
	ATF_CHECK_EQ(passwd_check("pw", "carol", "x", &e, err, sizeof(err)), 0);
	/* A password past the bound is refused before any crypt. */
	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	ATF_CHECK_EQ(passwd_check("pw", "alice", pw, &e, err, sizeof(err)), 0);
	/* A malformed file is an error, not a failed login. */
	write_file("pw", "alice:*:1:1\n");
	ATF_CHECK_EQ(
	    passwd_check("pw", "alice", "x", &e, err, sizeof(err)), -1);
}

/*
 * The unknown-user path runs a crypt of the file's kind: an unknown
 * user costs about what a known one does (a loose bound, so a loaded
 * machine does not make it flaky, but a skipped crypt fails it: the
 * bcrypt cost here is far above file reading).
 */
ATF_TC_WITHOUT_HEAD(timing_unknown_user);
ATF_TC_BODY(timing_unknown_user, tc)
{
	struct passwd_entry e;
	char h[CRYPT_OUTPUT_SIZE], salt[CRYPT_GENSALT_OUTPUT_SIZE], text[1024],
	    err[ERR_MAX];
	struct crypt_data *cd;
	struct timespec a, b;
	double known = 1e9, unknown = 1e9, t;
	int i;

	ATF_REQUIRE(
	    crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof(salt)) != NULL);
	cd = calloc(1, sizeof(*cd));
	ATF_REQUIRE(cd != NULL);
	ATF_REQUIRE(crypt_rn("pw", salt, cd, (int)sizeof(*cd)) != NULL);
	memcpy(h, cd->output, strlen(cd->output) + 1);
	free(cd);
	(void)snprintf(text, sizeof(text), "alice:%s:::/m\n", h);
	write_file("pw", text);
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		ATF_CHECK_EQ(
		    passwd_check("pw", "alice", "wrong", &e, err, sizeof(err)),
		    0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		known = t < known ? t : known;
		clock_gettime(CLOCK_MONOTONIC, &a);
		ATF_CHECK_EQ(
		    passwd_check("pw", "nobody", "wrong", &e, err, sizeof(err)),
		    0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		unknown = t < unknown ? t : unknown;
	}
	ATF_CHECK_MSG(unknown > known / 3 && unknown < known * 3,
	    "known user %.4fs, unknown user %.4fs", known, unknown);
}

ATF_TC_WITHOUT_HEAD(drop_privileges);
ATF_TC_BODY(drop_privileges, tc)
{
	struct passwd_entry e;
	char err[ERR_MAX];
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		/* Not root: passwd_become does nothing, and a drop fails. */
		memset(&e, 0, sizeof(e));
		e.uid = e.gid = -1;
		ATF_CHECK_EQ(passwd_become(&e, err, sizeof(err)), 0);
		atf_tc_skip("privilege drop needs root");
	}
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		/* Exit codes say which check failed. */
		if (passwd_drop_privileges(0, 0, err, sizeof(err)) != -1)
			_exit(10);
		if (passwd_drop_privileges(65534, 65534, err, sizeof(err)) !=
		    0) {
			fprintf(stderr, "%s\n", err);
			_exit(11);
		}
		if (getuid() != 65534 || geteuid() != 65534 ||
		    getgid() != 65534 || getegid() != 65534)
			_exit(12);
		if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
			_exit(13);
		if (getgroups(0, NULL) > 1)
			_exit(14);
		_exit(0);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* passwd_become: as root, an entry without uid/gid is refused. */
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		memset(&e, 0, sizeof(e));
		e.uid = e.gid = -1;
		memcpy(e.user, "bob", 4);
		if (passwd_become(&e, err, sizeof(err)) != -1 ||
		    strstr(err, "bob") == NULL)
			_exit(20);
		e.uid = e.gid = 65534;
		if (passwd_become(&e, err, sizeof(err)) != 0)
			_exit(21);
		if (geteuid() != 65534 || setuid(0) != -1)
			_exit(22);
		_exit(0);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

ATF_TC_WITHOUT_HEAD(maildir);
ATF_TC_BODY(maildir, tc)
{
	static const struct {
		const char *field, *dflt; /* the entry's maildir, --maildir */
		size_t outlen;
		int rc;
		const char *want;
	} t[] = {
	    {"/srv/mail/bob", "/home/%u/Maildir", 64, 0, "/srv/mail/bob"},
	    {"/srv/%u/mail", NULL, 64, 0, "/srv/%u/mail"},
	    {"", "/home/%u/Maildir", 64, 0, "/home/bob/Maildir"},
	    {"", "/m/%u/%u", 64, 0, "/m/bob/bob"},
	    {"", "/m/%x%", 64, 0, "/m/%x%"},
	    {"", "/var/mail", 64, 0, "/var/mail"},
	    {"", NULL, 64, -1, NULL},
	    {"", "", 64, -1, NULL},
	    {"", "/home/%u", 10, 0, "/home/bob"},
	    {"", "/home/%u", 9, -1, NULL},
	    {"/srv/mail/bob", NULL, 13, -1, NULL},
	};
	struct passwd_entry e;
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&e, 0, sizeof(e));
		memcpy(e.user, "bob", 4);
		memcpy(e.maildir, t[i].field, strlen(t[i].field) + 1);
		memset(out, 'x', sizeof(out));
		out[sizeof(out) - 1] = '\0';
		ATF_CHECK_EQ_MSG(
		    passwd_maildir(&e, t[i].dflt, out, t[i].outlen), t[i].rc,
		    "case %zu", i);
		if (t[i].want != NULL)
			ATF_CHECK_STREQ_MSG(out, t[i].want, "case %zu", i);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, lookup);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, long_lines);
	ATF_TP_ADD_TC(tp, missing_file);
	ATF_TP_ADD_TC(tp, check_yescrypt);
	ATF_TP_ADD_TC(tp, check_sha512);
	ATF_TP_ADD_TC(tp, check_bcrypt);
	ATF_TP_ADD_TC(tp, check_locked);
	ATF_TP_ADD_TC(tp, timing_unknown_user);
	ATF_TP_ADD_TC(tp, drop_privileges);
	ATF_TP_ADD_TC(tp, maildir);
	return atf_no_error();
}
