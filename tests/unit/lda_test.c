/*
 * lda_test: local delivery as a library: Maildirs, templates, folders,
 * --create, the size limit, symbolic links refused, all or nothing,
 * and many calls in one process (distinct names, no descriptor left
 * open).  As root: keep_privileges writes as the owner in a child and
 * leaves the caller root; a child's failure comes back as the result.
 * Each case runs in its own empty directory (Kyua's work directory).
 */
#define _GNU_SOURCE /* unshare(2), CLONE_NEWNS */

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <atf-c.h>

#include "lda.h"
#include "maildir.h"
#include "passwd.h"

/* Entries in dir (not . and ..), -1 when it cannot be read; the last
 * one's name into last. */
static int
count_dir(const char *dir, char *last, size_t lastlen)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (last != NULL)
			snprintf(last, lastlen, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static int
count(const char *dir)
{
	return count_dir(dir, NULL, 0);
}

/* Open descriptors of this process. */
static int
open_fds(void)
{
	return count_dir("/proc/self/fd", NULL, 0);
}

static void
mkmd(const char *dir)
{
	char err[ERR_MAX];

	ATF_REQUIRE_MSG(maildir_create(dir, err, sizeof(err)) == 0, "%s", err);
}

/* The only file in dir/new, read into out. */
static void
only(const char *dir, char *out, size_t outlen)
{
	char path[2 * PATH_MAX], name[MAILDIR_NAME_MAX + 1], sub[PATH_MAX];
	ssize_t n;
	int fd, c;

	snprintf(sub, sizeof(sub), "%s/new", dir);
	c = count_dir(sub, name, sizeof(name));
	ATF_REQUIRE_EQ_MSG(c, 1, "%s holds %d files", sub, c);
	snprintf(path, sizeof(path), "%s/%s", sub, name);
	ATF_REQUIRE((fd = open(path, O_RDONLY)) >= 0);
	n = read(fd, out, outlen - 1);
	ATF_REQUIRE(n >= 0);
	out[n] = '\0';
	close(fd);
}

/* Nothing in dir/new or dir/tmp. */
static void
nothing(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/new", dir);
	ATF_CHECK_EQ_MSG(count(p), 0, "%s not empty", p);
	snprintf(p, sizeof(p), "%s/tmp", dir);
	ATF_CHECK_EQ_MSG(count(p), 0, "%s not empty", p);
}

/* Options for the roots given; as root, the test's own (root-owned)
 * Maildirs need allow_root. */
static void
opts_init(struct lda_opts *o, const char *const *roots, size_t nroots)
{
	memset(o, 0, sizeof(*o));
	o->roots = roots;
	o->nroots = nroots;
	o->allow_root = geteuid() == 0;
}

/* Deliver msg through a pipe (it must fit in the pipe's buffer). */
static int
deliver_pipe(const struct lda_opts *o, const char *msg, char *const *rcpts,
    size_t n, struct lda_result *res)
{
	int p[2], rc;

	if (pipe(p) != 0)
		return -1;
	if (write(p[1], msg, strlen(msg)) != (ssize_t)strlen(msg))
		return -1;
	close(p[1]);
	rc = lda_deliver(o, p[0], rcpts, n, res);
	close(p[0]);
	return rc;
}

/* Deliver len bytes of msg from a regular file, after skip bytes of
 * junk the call must not read (it starts at the current offset). */
static int
deliver_file(const struct lda_opts *o, const char *msg, size_t len, size_t skip,
    char *const *rcpts, size_t n, struct lda_result *res)
{
	char junk[64];
	int fd, rc;

	ATF_REQUIRE(skip <= sizeof(junk));
	memset(junk, 'J', sizeof(junk));
	ATF_REQUIRE((fd = open("in", O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	ATF_REQUIRE(write(fd, junk, skip) == (ssize_t)skip);
	ATF_REQUIRE(write(fd, msg, len) == (ssize_t)len);
	ATF_REQUIRE(lseek(fd, (off_t)skip, SEEK_SET) == (off_t)skip);
	rc = lda_deliver(o, fd, rcpts, n, res);
	close(fd);
	unlink("in");
	return rc;
}

ATF_TC_WITHOUT_HEAD(one_maildir);
ATF_TC_BODY(one_maildir, tc)
{
	static const char *const roots[] = {"M"};
	static const char msg[] = "From s@x Sun Nov 22 18:00:00 2026\r\n"
				  "Subject: hi\r\n\r\nbody\rcr\r\nlast";
	char *rcpts[] = {"u@y.example", "b@y.example", "u@y.example"};
	struct lda_result res;
	struct lda_opts o;
	char got[1024];

	mkmd("M");
	opts_init(&o, roots, 1);
	o.sender = "s@x.example";
	ATF_REQUIRE_EQ(
	    deliver_file(&o, msg, sizeof(msg) - 1, 10, rcpts, 3, &res), 0);
	ATF_CHECK_EQ(res.code, 0);
	ATF_CHECK_STREQ(res.why, "");
	only("M", got, sizeof(got));
	ATF_CHECK_STREQ(got,
	    "Return-Path: <s@x.example>\nDelivered-To: u@y.example\n"
	    "Delivered-To: b@y.example\nSubject: hi\n\nbody\rcr\nlast");
	ATF_CHECK_EQ(count("M/tmp"), 0);
	/* The null sender, and none. */
	o.sender = "";
	ATF_REQUIRE_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), 0);
	o.sender = NULL;
	ATF_REQUIRE_EQ(deliver_pipe(&o, "y\n", NULL, 0, &res), 0);
	ATF_CHECK_EQ(count("M/new"), 3);
}

ATF_TC_WITHOUT_HEAD(two_roots);
ATF_TC_BODY(two_roots, tc)
{
	static const char *const roots[] = {"M", "N"};
	char *rcpts[] = {"a@x.example"};
	struct lda_result res;
	struct lda_opts o;
	char got[256];

	mkmd("M");
	mkmd("N");
	opts_init(&o, roots, 2);
	ATF_REQUIRE_EQ(deliver_pipe(&o, "hi\r\n", rcpts, 1, &res), 0);
	only("M", got, sizeof(got));
	ATF_CHECK_STREQ(got, "Delivered-To: a@x.example\nhi\n");
	only("N", got, sizeof(got));
	ATF_CHECK_STREQ(got, "Delivered-To: a@x.example\nhi\n");
}

ATF_TC_WITHOUT_HEAD(template_rcpts);
ATF_TC_BODY(template_rcpts, tc)
{
	char *rcpts[] = {
	    "bob@example.com", "carol@example.org", "bob+news@example.com"};
	char cwd[PATH_MAX], tpl[PATH_MAX + 16], got[512];
	struct lda_result res;
	struct lda_opts o;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(tpl, sizeof(tpl), "%s/mail/%%d/%%u", cwd);
	mkmd("mail/example.com/bob");
	mkmd("mail/example.org/carol");
	opts_init(&o, NULL, 0);
	o.template = tpl;
	o.sender = "s@x";
	ATF_REQUIRE_EQ(deliver_pipe(&o, "hi\n", rcpts, 3, &res), 0);
	only("mail/example.com/bob", got, sizeof(got));
	ATF_CHECK_STREQ(got,
	    "Return-Path: <s@x>\nDelivered-To: bob@example.com\n"
	    "Delivered-To: bob+news@example.com\nhi\n");
	only("mail/example.org/carol", got, sizeof(got));
	ATF_CHECK_STREQ(
	    got, "Return-Path: <s@x>\nDelivered-To: carol@example.org\nhi\n");
	/* A recipient with no Maildir: 67, and nobody gets a copy. */
	rcpts[1] = "dave@example.org";
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", rcpts, 2, &res), EX_NOUSER);
	ATF_CHECK_MSG(strstr(res.why,
			  "/mail/example.org/dave: no such "
			  "Maildir") != NULL,
	    "%s", res.why);
	ATF_CHECK_EQ(count("mail/example.com/bob/new"), 1);
	/* A local part that would leave the template's directory. */
	rcpts[0] = "..@example.com";
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", rcpts, 1, &res), EX_NOUSER);
	ATF_CHECK_STREQ(
	    res.why, "..@example.com: local part not usable as a mailbox name");
}

ATF_TC_WITHOUT_HEAD(folder);
ATF_TC_BODY(folder, tc)
{
	static const char *const roots[] = {"M"};
	char *rcpts[] = {"u+lists@x.example"};
	char err[ERR_MAX];
	struct lda_result res;
	struct lda_opts o;

	mkmd("M");
	ATF_REQUIRE(maildir_create_folder("M", "lists", err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_create_folder("M", "Work", err, sizeof(err)) == 0);
	opts_init(&o, roots, 1);
	o.folder = "Work";
	ATF_REQUIRE_EQ(deliver_pipe(&o, "a\n", NULL, 0, &res), 0);
	ATF_CHECK_EQ(count("M/.Work/new"), 1);
	/* The folder wins over a +detail; without one, the detail's. */
	ATF_REQUIRE_EQ(deliver_pipe(&o, "b\n", rcpts, 1, &res), 0);
	ATF_CHECK_EQ(count("M/.Work/new"), 2);
	o.folder = NULL;
	ATF_REQUIRE_EQ(deliver_pipe(&o, "c\n", rcpts, 1, &res), 0);
	ATF_CHECK_EQ(count("M/.lists/new"), 1);
	o.folder = "inbox";
	ATF_REQUIRE_EQ(deliver_pipe(&o, "d\n", NULL, 0, &res), 0);
	ATF_CHECK_EQ(count("M/new"), 1);
	/* A missing folder. */
	o.folder = "Gone";
	ATF_CHECK_EQ(deliver_pipe(&o, "e\n", NULL, 0, &res), EX_CANTCREAT);
	/* (As root the folder is opened on its own, without following a
	 * symbolic link: "M/.Gone: ...".) */
	ATF_CHECK_MSG(strncmp(res.why, "M/.Gone", 7) == 0 &&
		strstr(res.why, ": No such file or directory") != NULL,
	    "%s", res.why);
	o.folder = "../x";
	ATF_CHECK_EQ(deliver_pipe(&o, "e\n", NULL, 0, &res), EX_USAGE);
}

ATF_TC_WITHOUT_HEAD(create);
ATF_TC_BODY(create, tc)
{
	static const char *const roots[] = {"new/M"};
	struct lda_result res;
	struct lda_opts o;
	struct stat st;

	opts_init(&o, roots, 1);
	ATF_CHECK_EQ(deliver_pipe(&o, "a\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "new/M: no such Maildir (--create makes it)");
	ATF_CHECK(stat("new", &st) != 0);
	o.create = 1;
	o.folder = "F";
	ATF_REQUIRE_EQ(deliver_pipe(&o, "a\n", NULL, 0, &res), 0);
	ATF_CHECK_EQ(count("new/M/.F/new"), 1);
	ATF_CHECK(stat("new/M/.F/maildirfolder", &st) == 0);
	ATF_CHECK_EQ(count("new/M/new"), 0);
}

ATF_TC_WITHOUT_HEAD(max_size);
ATF_TC_BODY(max_size, tc)
{
	static const char *const roots[] = {"M", "N"};
	struct lda_result res;
	struct lda_opts o;
	char *big;

	mkmd("M");
	mkmd("N");
	opts_init(&o, roots, 2);
	o.max_size = 100;
	ATF_REQUIRE((big = malloc(300000)) != NULL);
	memset(big, 'a', 300000);
	ATF_CHECK_EQ(deliver_file(&o, big, 101, 0, NULL, 0, &res), EX_DATAERR);
	ATF_CHECK_STREQ(res.why, "message larger than 100 bytes");
	nothing("M");
	nothing("N");
	ATF_CHECK_EQ(deliver_file(&o, big, 100, 0, NULL, 0, &res), 0);
	ATF_CHECK_EQ(count("M/new"), 1);
	/* Found after a first part was written. */
	o.max_size = 200000;
	ATF_CHECK_EQ(
	    deliver_file(&o, big, 300000, 0, NULL, 0, &res), EX_DATAERR);
	ATF_CHECK_STREQ(res.why, "message larger than 200000 bytes");
	ATF_CHECK_EQ(count("M/new"), 1);
	ATF_CHECK_EQ(count("M/tmp"), 0);
	ATF_CHECK_EQ(count("N/tmp"), 0);
	o.max_size = 0;
	ATF_CHECK_EQ(deliver_file(&o, big, 300000, 0, NULL, 0, &res), 0);
	ATF_CHECK_EQ(count("M/new"), 2);
	free(big);
}

ATF_TC_WITHOUT_HEAD(symlinked_new);
ATF_TC_BODY(symlinked_new, tc)
{
	static const char *const roots[] = {"A", "M"};
	char cwd[PATH_MAX], target[PATH_MAX + 16];
	struct lda_result res;
	struct lda_opts o;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	mkmd("A");
	mkmd("M");
	ATF_REQUIRE(mkdir("elsewhere", 0700) == 0);
	ATF_REQUIRE(rmdir("M/new") == 0);
	snprintf(target, sizeof(target), "%s/elsewhere", cwd);
	ATF_REQUIRE(symlink(target, "M/new") == 0);
	opts_init(&o, roots, 2);
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "M/new: is a symbolic link (refused)");
	ATF_CHECK_EQ(count("elsewhere"), 0);
	ATF_CHECK_EQ(count("M/tmp"), 0);
	nothing("A");
}

ATF_TC_WITHOUT_HEAD(failure_leaves_nothing);
ATF_TC_BODY(failure_leaves_nothing, tc)
{
	static const char *const roots[] = {"A", "B"};
	static const char nul[] = "Subject: x\n\nab\0cd\n";
	struct lda_result res;
	struct lda_opts o;
	int fd, fds;

	mkmd("A");
	mkmd("B");
	opts_init(&o, roots, 2);
	fds = open_fds();
	ATF_CHECK_EQ(deliver_file(&o, nul, sizeof(nul) - 1, 0, NULL, 0, &res),
	    EX_DATAERR);
	ATF_CHECK_STREQ(res.why, "message contains a NUL byte");
	nothing("A");
	nothing("B");
	ATF_CHECK_EQ(deliver_pipe(&o, "", NULL, 0, &res), EX_DATAERR);
	ATF_CHECK_STREQ(res.why, "message is empty");
	nothing("A");
	/* The second target's tmp/ is a file: it fails before any link. */
	ATF_REQUIRE(rmdir("B/tmp") == 0);
	ATF_REQUIRE((fd = open("B/tmp", O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "B/tmp: Not a directory");
	nothing("A");
	/* Its new/ is missing: found before the first link. */
	ATF_REQUIRE(unlink("B/tmp") == 0 && mkdir("B/tmp", 0700) == 0);
	ATF_REQUIRE(rmdir("B/new") == 0);
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "B/new: No such file or directory");
	nothing("A");
	ATF_CHECK_EQ(count("B/tmp"), 0);
	ATF_CHECK_EQ(open_fds(), fds);
}

ATF_TC_WITHOUT_HEAD(bad_calls);
ATF_TC_BODY(bad_calls, tc)
{
	static const char *const roots[] = {"M"};
	char *rcpts[] = {"a@x", "bad\n@x"};
	struct lda_result res;
	struct lda_opts o;

	mkmd("M");
	opts_init(&o, NULL, 0);
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_USAGE);
	o.template = "/x/%u";
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_USAGE);
	opts_init(&o, roots, 1);
	o.template = "/x/%u";
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", rcpts, 1, &res), EX_USAGE);
	opts_init(&o, roots, LDA_ROOTS_MAX + 1);
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_USAGE);
	opts_init(&o, roots, 1);
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", rcpts, 2, &res), EX_NOUSER);
	ATF_CHECK(strchr(res.why, '\n') == NULL);
	o.sender = "a\nX-Evil: 1";
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_USAGE);
	o.sender = NULL;
	o.max_size = -1;
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", NULL, 0, &res), EX_USAGE);
	o.max_size = 0;
	ATF_CHECK_EQ(lda_deliver(&o, -1, NULL, 0, &res), EX_USAGE);
	opts_init(&o, NULL, 0);
	o.template = "/x/%q";
	ATF_CHECK_EQ(deliver_pipe(&o, "x\n", rcpts, 1, &res), EX_USAGE);
	ATF_CHECK_STREQ(res.why, "--maildir-template: unknown %q");
	nothing("M");
}

ATF_TC_WITHOUT_HEAD(namer_after_fork);
ATF_TC_BODY(namer_after_fork, tc)
{
	static const char *const roots[] = {"M"};
	char name[MAILDIR_NAME_MAX + 1], want[64];
	struct maildir_namer nm;
	struct lda_result res;
	struct lda_opts o;
	int status;
	pid_t pid;

	mkmd("M");
	opts_init(&o, roots, 1);
	maildir_namer_init(&nm, "h");
	o.namer = &nm;
	/* A namer made before a fork: the child's names carry its pid. */
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0)
		_exit(deliver_pipe(&o, "x\n", NULL, 0, &res));
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ATF_REQUIRE_EQ(count_dir("M/new", name, sizeof(name)), 1);
	snprintf(want, sizeof(want), "P%ldQ1.h,", (long)pid);
	ATF_CHECK_MSG(strstr(name, want) != NULL, "%s", name);
	ATF_CHECK_EQ(nm.pid, (long)getpid());
}

/*
 * n deliveries into M through pipes, with the namer nm (NULL: one of
 * the call's own each time): every one 0, n more files, tmp/ empty and
 * not one descriptor more.  The first failure as a line number, or 0.
 */
static int
many(struct maildir_namer *nm, int n)
{
	static const char *const roots[] = {"M"};
	char *rcpts[] = {"u@x.example"};
	struct lda_result res;
	struct lda_opts o;
	char msg[64];
	int i, fds, before;

	opts_init(&o, roots, 1);
	o.namer = nm;
	o.sender = "s@x.example";
	if ((before = count("M/new")) < 0)
		return __LINE__;
	fds = open_fds();
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "Subject: %d\n\nbody %d\n", i, i);
		if (deliver_pipe(&o, msg, rcpts, 1, &res) != 0) {
			fprintf(stderr, "delivery %d: %d %s\n", i, res.code,
			    res.why);
			return __LINE__;
		}
	}
	if (open_fds() != fds)
		return __LINE__;
	if (count("M/new") != before + n || count("M/tmp") != 0)
		return __LINE__;
	return 0;
}

ATF_TC(many_calls);
ATF_TC_HEAD(many_calls, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "1000 deliveries in one process: 1000 distinct files, no "
	    "descriptor left open; as root also as a user in a child");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(many_calls, tc)
{
	struct maildir_namer nm;
	struct passwd *pw;
	char err[ERR_MAX];
	int line, status;
	pid_t pid;

	mkmd("M");
	maildir_namer_init(&nm, NULL);
	line = many(&nm, 1000);
	ATF_REQUIRE_EQ_MSG(line, 0, "failed at line %d", line);
	/* A namer per call: still never the same name twice. */
	line = many(NULL, 200);
	ATF_REQUIRE_EQ_MSG(line, 0, "failed at line %d", line);
	if (geteuid() != 0)
		return;
	/* As root the above wrote as root (allow_root, one owner, no
	 * child): the path of a user's process runs in a child as nobody,
	 * in a Maildir of its own. */
	ATF_REQUIRE((pw = getpwnam("nobody")) != NULL);
	ATF_REQUIRE(chmod(".", 0755) == 0);
	ATF_REQUIRE(mkdir("U", 0755) == 0);
	ATF_REQUIRE(chown("U", pw->pw_uid, pw->pw_gid) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		if (passwd_drop_privileges(
			pw->pw_uid, pw->pw_gid, err, sizeof(err)) != 0 ||
		    chdir("U") != 0 ||
		    maildir_create("M", err, sizeof(err)) != 0)
			_exit(1);
		maildir_namer_init(&nm, NULL);
		_exit(many(&nm, 300) == 0 && many(NULL, 100) == 0 ? 0 : 2);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "as nobody: status %d", status);
	ATF_CHECK_EQ(count("U/M/new"), 400);
}

/* Root, and the users nobody and daemon, or skip. */
static void
need_root(struct passwd *nobody, struct passwd *daemon)
{
	struct passwd *pw;

	if (geteuid() != 0)
		atf_tc_skip("delivery as the owner needs root");
	if ((pw = getpwnam("nobody")) == NULL)
		atf_tc_skip("no user nobody");
	*nobody = *pw;
	if ((pw = getpwnam("daemon")) == NULL)
		atf_tc_skip("no user daemon");
	*daemon = *pw;
	/* The users must reach their Maildirs under the test's directory. */
	ATF_REQUIRE(chmod(".", 0755) == 0);
}

/* A Maildir dir owned by pw, mode 0700. */
static void
usermd(const char *dir, const struct passwd *pw)
{
	static const char *const sub[] = {"", "/tmp", "/new", "/cur"};
	char p[PATH_MAX];
	size_t i;

	mkmd(dir);
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", dir, sub[i]);
		ATF_REQUIRE(chown(p, pw->pw_uid, pw->pw_gid) == 0);
		ATF_REQUIRE(chmod(p, 0700) == 0);
	}
}

/* The owner of the only file in dir/new. */
static uid_t
only_owner(const char *dir)
{
	char sub[PATH_MAX], name[MAILDIR_NAME_MAX + 1], p[PATH_MAX * 2];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/new", dir);
	ATF_REQUIRE_EQ(count_dir(sub, name, sizeof(name)), 1);
	snprintf(p, sizeof(p), "%s/%s", sub, name);
	ATF_REQUIRE(stat(p, &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 0777, 0600);
	return st.st_uid;
}

ATF_TC_WITHOUT_HEAD(root_keep_privileges);
ATF_TC_BODY(root_keep_privileges, tc)
{
	static const char *const roots[] = {"N"};
	static const char *const two[] = {"N", "D"};
	struct passwd nobody, daemon;
	struct lda_result res;
	struct lda_opts o;
	int fds, i;

	need_root(&nobody, &daemon);
	usermd("N", &nobody);
	usermd("D", &daemon);
	memset(&o, 0, sizeof(o));
	o.roots = roots;
	o.nroots = 1;
	o.keep_privileges = 1;
	fds = open_fds();
	ATF_REQUIRE_EQ_MSG(
	    deliver_pipe(&o, "hi\n", NULL, 0, &res), 0, "%s", res.why);
	ATF_CHECK_EQ(only_owner("N"), nobody.pw_uid);
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(getuid(), 0);
	ATF_CHECK_EQ(getegid(), 0);
	ATF_CHECK_EQ(count("N/tmp"), 0);
	/* Again, many times: the caller stays root and nothing leaks. */
	for (i = 0; i < 20; i++)
		ATF_REQUIRE_EQ_MSG(
		    deliver_pipe(&o, "hi\n", NULL, 0, &res), 0, "%s", res.why);
	ATF_CHECK_EQ(count("N/new"), 21);
	/* Two owners: each its copy. */
	o.roots = two;
	o.nroots = 2;
	ATF_REQUIRE_EQ_MSG(
	    deliver_pipe(&o, "hi\n", NULL, 0, &res), 0, "%s", res.why);
	ATF_CHECK_EQ(only_owner("D"), daemon.pw_uid);
	ATF_CHECK_EQ(count("N/new"), 22);
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(open_fds(), fds);
}

/* switch_ids: one owner without a child, and every id back after. */
ATF_TC_WITHOUT_HEAD(root_switch_ids);
ATF_TC_BODY(root_switch_ids, tc)
{
	static const char *const roots[] = {"N"};
	static const char *const two[] = {"N", "D"};
	struct passwd nobody, daemon;
	struct lda_result res;
	struct lda_opts o;
	gid_t g0[64], g1[64];
	int fds, i, n0, n1;

	need_root(&nobody, &daemon);
	usermd("N", &nobody);
	usermd("D", &daemon);
	memset(&o, 0, sizeof(o));
	o.roots = roots;
	o.nroots = 1;
	o.keep_privileges = 1;
	o.switch_ids = 1;
	fds = open_fds();
	ATF_REQUIRE((n0 = getgroups(64, g0)) >= 0);
	ATF_REQUIRE_EQ_MSG(
	    deliver_pipe(&o, "hi\n", NULL, 0, &res), 0, "%s", res.why);
	ATF_CHECK_EQ(only_owner("N"), nobody.pw_uid);
	for (i = 0; i < 9; i++)
		ATF_REQUIRE_EQ_MSG(
		    deliver_pipe(&o, "hi\n", NULL, 0, &res), 0, "%s", res.why);
	ATF_CHECK_EQ(count("N/new"), 10);
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(getuid(), 0);
	ATF_CHECK_EQ(getegid(), 0);
	ATF_REQUIRE((n1 = getgroups(64, g1)) == n0);
	ATF_CHECK(memcmp(g0, g1, (size_t)n0 * sizeof(g0[0])) == 0);
	/* The file system saw the owner: a directory only root could
	   write into refuses, and nothing is left behind. */
	ATF_REQUIRE(chmod("N/new", 0500) == 0);
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "N/new: Permission denied");
	ATF_CHECK_EQ(count("N/tmp"), 0);
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_REQUIRE(chmod("N/new", 0700) == 0);
	/* Two owners: a child each, as without switch_ids. */
	o.roots = two;
	o.nroots = 2;
	ATF_REQUIRE_EQ_MSG(
	    deliver_pipe(&o, "hi\n", NULL, 0, &res), 0, "%s", res.why);
	ATF_CHECK_EQ(only_owner("D"), daemon.pw_uid);
	ATF_CHECK_EQ(count("N/new"), 11);
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(open_fds(), fds);
}

ATF_TC_WITHOUT_HEAD(root_child_failure);
ATF_TC_BODY(root_child_failure, tc)
{
	static const char *const one[] = {"N"};
	static const char *const two[] = {"D", "N"};
	struct passwd nobody, daemon;
	struct lda_result res;
	struct lda_opts o;
	int fds;

	need_root(&nobody, &daemon);
	usermd("N", &nobody);
	usermd("D", &daemon);
	ATF_REQUIRE(chmod("N/new", 0500) == 0);
	memset(&o, 0, sizeof(o));
	o.keep_privileges = 1;
	fds = open_fds();
	/* One owner: its child says why. */
	o.roots = one;
	o.nroots = 1;
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "N/new: Permission denied");
	/* Two owners: the other's copy is not delivered either. */
	o.roots = two;
	o.nroots = 2;
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "N/new: Permission denied");
	nothing("D");
	nothing("N");
	/* Data errors are found before any child. */
	ATF_CHECK_EQ(
	    deliver_file(&o, "a\0b\n", 4, 0, NULL, 0, &res), EX_DATAERR);
	ATF_CHECK_STREQ(res.why, "message contains a NUL byte");
	/* Without keep_privileges, two owners still leave us root. */
	o.keep_privileges = 0;
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "N/new: Permission denied");
	nothing("D");
	/* A Maildir root owns is refused. */
	mkmd("R");
	o.roots = (const char *const[]){"R"};
	o.nroots = 1;
	o.keep_privileges = 1;
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", NULL, 0, &res), EX_NOPERM);
	ATF_CHECK_STREQ(res.why,
	    "R: owned by root; refusing to deliver as "
	    "root without --allow-root");
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(open_fds(), fds);
}

ATF_TC_WITHOUT_HEAD(root_revoke);
ATF_TC_BODY(root_revoke, tc)
{
	static const char *const roots[] = {"D", "N"};
	struct passwd nobody, daemon;
	struct lda_result res;
	struct lda_opts o;
	char data[64];
	int fds;

	need_root(&nobody, &daemon);
	usermd("D", &daemon);
	usermd("N", &nobody);
	/* N/new on a filesystem of its own: N's link (and rename) fails
	 * with EXDEV at the commit, after D's copy is in D/new. */
	snprintf(data, sizeof(data), "mode=0700,uid=%lu,gid=%lu",
	    (unsigned long)nobody.pw_uid, (unsigned long)nobody.pw_gid);
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("yubin-test", "N/new", "tmpfs", 0, data) != 0)
		atf_tc_skip("cannot mount a tmpfs: %s", strerror(errno));
	memset(&o, 0, sizeof(o));
	o.roots = roots;
	o.nroots = 2;
	o.keep_privileges = 1;
	fds = open_fds();
	ATF_CHECK_EQ(deliver_pipe(&o, "hi\n", NULL, 0, &res), EX_CANTCREAT);
	ATF_CHECK_STREQ(res.why, "N/new: Invalid cross-device link");
	/* D's child took its copy back out of D/new. */
	nothing("D");
	nothing("N");
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(open_fds(), fds);
	(void)umount("N/new");
}

/* The first child of ours that is not helper, or 0. */
static pid_t
other_child(pid_t helper)
{
	char path[64], buf[256], *p, *end;
	long pid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)getppid(), (long)getppid());
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf;; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			return 0;
		if (pid != (long)helper)
			return (pid_t)pid;
	}
}

ATF_TC_WITHOUT_HEAD(root_child_killed);
ATF_TC_BODY(root_child_killed, tc)
{
	static const char *const roots[] = {"N"};
	struct passwd nobody, daemon;
	struct lda_result res;
	struct lda_opts o;
	char path[64], want[128];
	pid_t helper, victim;
	int p[2], fds, status, i;

	need_root(&nobody, &daemon);
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)getpid(), (long)getpid());
	if (access(path, R_OK) != 0)
		atf_tc_skip("no %s", path);
	usermd("N", &nobody);
	memset(&o, 0, sizeof(o));
	o.roots = roots;
	o.nroots = 1;
	o.keep_privileges = 1;
	fds = open_fds();
	ATF_REQUIRE(pipe(p) == 0);
	/* The helper holds the message's pipe open, so the delivering
	 * child waits for more, and kills that child. */
	ATF_REQUIRE((helper = fork()) >= 0);
	if (helper == 0) {
		close(p[0]);
		for (i = 0; i < 500; i++) {
			if ((victim = other_child(getpid())) > 0) {
				(void)write(p[1], "Subject: x\n", 11);
				usleep(100000);
				(void)kill(victim, SIGKILL);
				_exit(0);
			}
			usleep(10000);
		}
		_exit(1);
	}
	close(p[1]);
	ATF_CHECK_EQ(lda_deliver(&o, p[0], NULL, 0, &res), EX_TEMPFAIL);
	snprintf(want, sizeof(want), "delivery as uid %lu: killed by signal %d",
	    (unsigned long)nobody.pw_uid, SIGKILL);
	ATF_CHECK_STREQ(res.why, want);
	close(p[0]);
	ATF_REQUIRE(waitpid(helper, &status, 0) == helper);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Killed, it left its tmp file (as Maildir expects), nothing more. */
	ATF_CHECK_EQ(count("N/new"), 0);
	ATF_CHECK_EQ(geteuid(), 0);
	ATF_CHECK_EQ(open_fds(), fds);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, one_maildir);
	ATF_TP_ADD_TC(tp, two_roots);
	ATF_TP_ADD_TC(tp, template_rcpts);
	ATF_TP_ADD_TC(tp, folder);
	ATF_TP_ADD_TC(tp, create);
	ATF_TP_ADD_TC(tp, max_size);
	ATF_TP_ADD_TC(tp, symlinked_new);
	ATF_TP_ADD_TC(tp, failure_leaves_nothing);
	ATF_TP_ADD_TC(tp, bad_calls);
	ATF_TP_ADD_TC(tp, namer_after_fork);
	ATF_TP_ADD_TC(tp, many_calls);
	ATF_TP_ADD_TC(tp, root_keep_privileges);
	ATF_TP_ADD_TC(tp, root_child_failure);
	ATF_TP_ADD_TC(tp, root_switch_ids);
	ATF_TP_ADD_TC(tp, root_child_killed);
	ATF_TP_ADD_TC(tp, root_revoke);
	return 0;
}
