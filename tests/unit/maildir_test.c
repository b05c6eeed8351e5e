/*
 * maildir_test: unique names, Maildir and Maildir++ creation, durable
 * delivery (one and many files, all or none) and name/info parsing.
 * Each case runs in its own empty directory (Kyua's work directory).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "maildir.h"

/* Entries in dir (not . and ..); the last one's name into last. */
static int
count_dir(const char *dir, char *last, size_t lastlen)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	ATF_REQUIRE_MSG((d = opendir(dir)) != NULL, "opendir %s", dir);
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
is_dir_0700(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700;
}

static void
read_file(const char *p, char *out, size_t outlen)
{
	FILE *f = fopen(p, "r");
	size_t n;

	ATF_REQUIRE_MSG(f != NULL, "fopen %s", p);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
}

ATF_TC_WITHOUT_HEAD(host_escape);
ATF_TC_BODY(host_escape, tc)
{
	char out[MAILDIR_HOST_MAX + 1], in[200];

	maildir_host_escape("mx.example", out, sizeof(out));
	ATF_CHECK_STREQ(out, "mx.example");
	maildir_host_escape("a/b:c", out, sizeof(out));
	ATF_CHECK_STREQ(out, "a\\057b\\072c");
	maildir_host_escape("back\\slash", out, sizeof(out));
	ATF_CHECK_STREQ(out, "back\\134slash");
	maildir_host_escape("", out, sizeof(out));
	ATF_CHECK_STREQ(out, "localhost");
	/* Cut at a whole escape, never inside one. */
	memset(in, 'h', 62);
	memcpy(in + 62, "/x", 3);
	maildir_host_escape(in, out, sizeof(out));
	ATF_CHECK_EQ(strlen(out), 62);
	memset(in, ':', 100);
	in[100] = '\0';
	maildir_host_escape(in, out, sizeof(out));
	ATF_CHECK_EQ(strlen(out), 64);
	ATF_CHECK(strncmp(out, "\\072\\072", 8) == 0);
}

ATF_TC_WITHOUT_HEAD(unique_names);
ATF_TC_BODY(unique_names, tc)
{
	struct maildir_namer nm;
	char a[MAILDIR_NAME_MAX + 1], b[MAILDIR_NAME_MAX + 1], want[64];
	long long sec;
	long usec, pid;
	unsigned long q;
	char host[100];

	maildir_namer_init(&nm, "mx:1/x");
	ATF_REQUIRE(maildir_unique(&nm, a, sizeof(a)) == 0);
	ATF_REQUIRE(maildir_unique(&nm, b, sizeof(b)) == 0);
	ATF_CHECK(strcmp(a, b) != 0);
	ATF_REQUIRE_EQ(
	    sscanf(a, "%lld.M%ldP%ldQ%lu.%99s", &sec, &usec, &pid, &q, host),
	    5);
	ATF_CHECK(sec > 1000000000LL);
	ATF_CHECK(usec >= 0 && usec < 1000000);
	ATF_CHECK_EQ(pid, (long)getpid());
	ATF_CHECK_EQ(q, 1);
	ATF_CHECK_STREQ(host, "mx\\0721\\057x");
	snprintf(want, sizeof(want), "P%ldQ2.mx", (long)getpid());
	ATF_CHECK(strstr(b, want) != NULL);
	/* Too small a buffer is an error, not a cut name. */
	ATF_CHECK(maildir_unique(&nm, a, 10) == -1);
	ATF_CHECK_EQ(errno, ENAMETOOLONG);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

ATF_TC_WITHOUT_HEAD(unique_many);
ATF_TC_BODY(unique_many, tc)
{
	enum { N = 20000 };
	struct maildir_namer nm;
	char(*names)[MAILDIR_NAME_MAX + 1];
	int i;

	/* Successive names of one namer, most within one second and many
	 * within one microsecond: the counter keeps them apart. */
	ATF_REQUIRE((names = calloc(N, sizeof(*names))) != NULL);
	maildir_namer_init(&nm, "h");
	for (i = 0; i < N; i++)
		ATF_REQUIRE(
		    maildir_unique(&nm, names[i], sizeof(names[i])) == 0);
	qsort(names, N, sizeof(*names), cmp_name);
	for (i = 1; i < N; i++)
		ATF_REQUIRE_MSG(
		    strcmp(names[i - 1], names[i]) != 0, "%s twice", names[i]);
	free(names);
}

ATF_TC_WITHOUT_HEAD(create);
ATF_TC_BODY(create, tc)
{
	char err[ERR_MAX];

	ATF_REQUIRE_MSG(
	    maildir_create("a/b/Maildir", err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(is_dir_0700("a/b/Maildir"));
	ATF_CHECK(is_dir_0700("a/b/Maildir/tmp"));
	ATF_CHECK(is_dir_0700("a/b/Maildir/new"));
	ATF_CHECK(is_dir_0700("a/b/Maildir/cur"));
	/* Again: nothing to do, no error. */
	ATF_CHECK(maildir_create("a/b/Maildir/", err, sizeof(err)) == 0);
	/* A file in the way. */
	ATF_REQUIRE(close(open("file", O_CREAT | O_WRONLY, 0600)) == 0);
	ATF_CHECK(maildir_create("file/Maildir", err, sizeof(err)) == -1);
	ATF_CHECK(strstr(err, "file") != NULL);
}

ATF_TC_WITHOUT_HEAD(folders);
ATF_TC_BODY(folders, tc)
{
	char p[PATH_MAX], err[ERR_MAX];
	struct stat st;

	ATF_CHECK(maildir_folder_valid("Lists") == 0);
	ATF_CHECK(maildir_folder_valid("Lists.yubin") == 0);
	ATF_CHECK(maildir_folder_valid("inbox") == 0);
	ATF_CHECK(maildir_folder_valid("") == -1);
	ATF_CHECK(maildir_folder_valid(".x") == -1);
	ATF_CHECK(maildir_folder_valid("x.") == -1);
	ATF_CHECK(maildir_folder_valid("a..b") == -1);
	ATF_CHECK(maildir_folder_valid("a/b") == -1);
	ATF_CHECK(maildir_folder_valid("..") == -1);
	ATF_CHECK(maildir_folder_valid("a\nb") == -1);

	ATF_CHECK(maildir_folder_path("/m/", "INBOX", p, sizeof(p)) == 0);
	ATF_CHECK_STREQ(p, "/m");
	ATF_CHECK(maildir_folder_path("/m//", "Work", p, sizeof(p)) == 0);
	ATF_CHECK_STREQ(p, "/m/.Work");
	ATF_CHECK(maildir_folder_path("/m", "../x", p, sizeof(p)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK(maildir_folder_path("/m", "Work", p, 6) == -1);
	ATF_CHECK_EQ(errno, ENAMETOOLONG);

	ATF_REQUIRE_MSG(
	    maildir_create_folder("M", "Lists.yubin", err, sizeof(err)) == 0,
	    "%s", err);
	ATF_CHECK(is_dir_0700("M/cur"));
	ATF_CHECK(is_dir_0700("M/.Lists.yubin/new"));
	ATF_CHECK(stat("M/.Lists.yubin/maildirfolder", &st) == 0 &&
	    S_ISREG(st.st_mode));
	ATF_CHECK(maildir_create_folder("M", "a/b", err, sizeof(err)) == -1);
	ATF_CHECK(strstr(err, "bad folder name") != NULL);
	/* INBOX creates the Maildir and no marker. */
	ATF_CHECK(maildir_create_folder("N", "INBOX", err, sizeof(err)) == 0);
	ATF_CHECK(is_dir_0700("N/tmp"));
	ATF_CHECK(stat("N/maildirfolder", &st) == -1);
}

ATF_TC_WITHOUT_HEAD(deliver_one);
ATF_TC_BODY(deliver_one, tc)
{
	struct maildir_namer nm;
	struct maildir_file f, *fp = &f;
	char err[ERR_MAX], name[300], p[PATH_MAX], data[100];
	struct stat st;

	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	maildir_namer_init(&nm, "host");
	ATF_REQUIRE_MSG(
	    maildir_open(&f, "M", &nm, err, sizeof(err)) == 0, "%s", err);
	snprintf(p, sizeof(p), "M/tmp/%s", f.name);
	ATF_REQUIRE(stat(p, &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 0777, 0600);
	ATF_REQUIRE(
	    maildir_write(&f, "Subject: x\n\n", 12, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_write(&f, "body\n", 5, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(f.size, 17);
	ATF_CHECK_EQ(f.wire, 20);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 0);
	ATF_REQUIRE_MSG(
	    maildir_commit(&fp, 1, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(f.state, MAILDIR_DONE);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 0);
	ATF_REQUIRE_EQ(count_dir("M/new", name, sizeof(name)), 1);
	ATF_CHECK_STREQ(name, f.final);
	snprintf(p, sizeof(p), "%s,S=17,W=20", f.name);
	ATF_CHECK_STREQ(name, p);
	snprintf(p, sizeof(p), "M/new/%s", name);
	read_file(p, data, sizeof(data));
	ATF_CHECK_STREQ(data, "Subject: x\n\nbody\n");
	/* Abort after done leaves the message alone. */
	maildir_abort(&f);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 1);
}

ATF_TC_WITHOUT_HEAD(abort_cleans_tmp);
ATF_TC_BODY(abort_cleans_tmp, tc)
{
	struct maildir_namer nm;
	struct maildir_file f;
	char err[ERR_MAX];

	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	maildir_namer_init(&nm, NULL);
	ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_write(&f, "x", 1, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 1);
	maildir_abort(&f);
	ATF_CHECK_EQ(f.state, MAILDIR_NONE);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 0);
	/* After sync too. */
	ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	maildir_abort(&f);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 0);
	/* Writing after abort is refused. */
	ATF_CHECK(maildir_write(&f, "x", 1, err, sizeof(err)) == -1);
}

ATF_TC_WITHOUT_HEAD(open_errors);
ATF_TC_BODY(open_errors, tc)
{
	struct maildir_namer nm;
	struct maildir_file f;
	char err[ERR_MAX];

	maildir_namer_init(&nm, NULL);
	ATF_CHECK(maildir_open(&f, "nope", &nm, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK_STREQ(err, "nope/tmp: No such file or directory");
	ATF_CHECK_EQ(f.state, MAILDIR_NONE);
	/* tmp is a file, not a directory. */
	ATF_REQUIRE(mkdir("M", 0700) == 0);
	ATF_REQUIRE(close(open("M/tmp", O_CREAT | O_WRONLY, 0600)) == 0);
	ATF_CHECK(maildir_open(&f, "M", &nm, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOTDIR);
}

/* Two Maildirs; the second has no new/, so its link fails after the
 * first one's succeeded: the first must be undone. */
ATF_TC_WITHOUT_HEAD(commit_all_or_none);
ATF_TC_BODY(commit_all_or_none, tc)
{
	struct maildir_namer nm;
	struct maildir_file f[3], *fp[3] = {&f[0], &f[1], &f[2]};
	char err[ERR_MAX];
	int i;

	ATF_REQUIRE(maildir_create("A", err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_create("B", err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_create("C", err, sizeof(err)) == 0);
	ATF_REQUIRE(rmdir("C/new") == 0);
	maildir_namer_init(&nm, NULL);
	ATF_REQUIRE(maildir_open(&f[0], "A", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_open(&f[1], "B", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_open(&f[2], "C", &nm, err, sizeof(err)) == 0);
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE(
		    maildir_write(&f[i], "m\n", 2, err, sizeof(err)) == 0);
		ATF_REQUIRE(maildir_sync(&f[i], err, sizeof(err)) == 0);
	}
	ATF_CHECK(maildir_commit(fp, 3, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK_STREQ(err, "C/new: No such file or directory");
	ATF_CHECK_EQ(count_dir("A/new", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("B/new", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("A/tmp", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("B/tmp", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("C/tmp", NULL, 0), 0);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ(f[i].state, MAILDIR_NONE);
}

/* Several files into one Maildir in one commit: distinct names, all in. */
ATF_TC_WITHOUT_HEAD(commit_many_same_dir);
ATF_TC_BODY(commit_many_same_dir, tc)
{
	struct maildir_namer nm;
	struct maildir_file f[5], *fp[5];
	char err[ERR_MAX];
	int i;

	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	maildir_namer_init(&nm, NULL);
	for (i = 0; i < 5; i++) {
		fp[i] = &f[i];
		ATF_REQUIRE(
		    maildir_open(&f[i], "M", &nm, err, sizeof(err)) == 0);
		ATF_REQUIRE(maildir_write(&f[i], "abc", (size_t)i % 4, err,
				sizeof(err)) == 0);
		ATF_REQUIRE(maildir_sync(&f[i], err, sizeof(err)) == 0);
	}
	ATF_REQUIRE(maildir_commit(fp, 5, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 5);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 0);
	ATF_CHECK(strstr(f[3].final, ",S=3,W=3") != NULL);
}

/* The wire size counts a bare LF as CRLF, a CRLF once, even when the CR
 * and the LF come in two writes; bare CRs are one byte. */
ATF_TC_WITHOUT_HEAD(wire_size);
ATF_TC_BODY(wire_size, tc)
{
	static const struct {
		const char *const parts[4];
		long long size, wire;
	} t[] = {
	    {{"", NULL}, 0, 0},
	    {{"\n", NULL}, 1, 2},
	    {{"a\r\nb\n", NULL}, 5, 6},
	    {{"a\r", "\nb", NULL}, 4, 4},
	    {{"a\r", "", "\n", NULL}, 3, 3},
	    {{"\n\n", "\n", NULL}, 3, 6},
	    {{"x\ry\rz", NULL}, 5, 5},
	    {{"\r\r\n\n", NULL}, 4, 5},
	    {{"ab", "\n", "\r", "\n"}, 5, 6},
	};
	struct maildir_namer nm;
	struct maildir_file f, *fp = &f;
	struct maildir_name mn;
	char err[ERR_MAX];
	size_t i, j;

	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	maildir_namer_init(&nm, "h");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
		for (j = 0; j < 4 && t[i].parts[j] != NULL; j++)
			ATF_REQUIRE(
			    maildir_write(&f, t[i].parts[j],
				strlen(t[i].parts[j]), err, sizeof(err)) == 0);
		ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
		ATF_REQUIRE(maildir_commit(&fp, 1, err, sizeof(err)) == 0);
		ATF_CHECK_EQ_MSG(f.size, t[i].size, "case %zu", i);
		ATF_CHECK_EQ_MSG(f.wire, t[i].wire, "case %zu", i);
		/* The name says the same, and parses back. */
		ATF_REQUIRE(
		    maildir_name_parse(f.final, strlen(f.final), &mn) == 0);
		ATF_CHECK_EQ_MSG(mn.size, t[i].size, "case %zu", i);
		ATF_CHECK_EQ_MSG(mn.vsize, t[i].wire, "case %zu", i);
	}
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), (int)i);
}

/* A tmp/ or new/ that is a symbolic link is refused, and nothing is
 * written through it: not at open, not at the link into new/. */
ATF_TC_WITHOUT_HEAD(symlinks_refused);
ATF_TC_BODY(symlinks_refused, tc)
{
	struct maildir_namer nm;
	struct maildir_file f, *fp = &f;
	char err[ERR_MAX];

	maildir_namer_init(&nm, NULL);
	ATF_REQUIRE(mkdir("elsewhere", 0700) == 0);
	ATF_REQUIRE(maildir_create("T", err, sizeof(err)) == 0);
	ATF_REQUIRE(rmdir("T/tmp") == 0);
	ATF_REQUIRE(symlink("../elsewhere", "T/tmp") == 0);
	ATF_CHECK(maildir_open(&f, "T", &nm, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ELOOP);
	ATF_CHECK_STREQ(err, "T/tmp: is a symbolic link (refused)");
	ATF_CHECK_EQ(f.state, MAILDIR_NONE);
	ATF_CHECK_EQ(f.dfd, -1);
	ATF_CHECK_EQ(count_dir("elsewhere", NULL, 0), 0);

	ATF_REQUIRE(maildir_create("N", err, sizeof(err)) == 0);
	ATF_REQUIRE(rmdir("N/new") == 0);
	ATF_REQUIRE(symlink("../elsewhere", "N/new") == 0);
	ATF_REQUIRE_MSG(
	    maildir_open(&f, "N", &nm, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(maildir_check_new(&f, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ELOOP);
	ATF_CHECK_STREQ(err, "N/new: is a symbolic link (refused)");
	ATF_REQUIRE(maildir_write(&f, "x\n", 2, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	ATF_CHECK(maildir_commit(&fp, 1, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ELOOP);
	ATF_CHECK_EQ(f.state, MAILDIR_NONE);
	ATF_CHECK_EQ(count_dir("elsewhere", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("N/tmp", NULL, 0), 0);
}

/* The directory fd is what counts: a Maildir renamed after the open
 * still gets the message, and the path now there gets nothing. */
ATF_TC_WITHOUT_HEAD(open_at_fd);
ATF_TC_BODY(open_at_fd, tc)
{
	struct maildir_namer nm;
	struct maildir_file f, *fp = &f;
	char err[ERR_MAX];
	int dfd;

	maildir_namer_init(&nm, NULL);
	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	ATF_REQUIRE((dfd = open("M", O_RDONLY | O_DIRECTORY)) >= 0);
	ATF_REQUIRE_MSG(
	    maildir_open_at(&f, dfd, "M", &nm, err, sizeof(err)) == 0, "%s",
	    err);
	ATF_REQUIRE(close(dfd) == 0);
	ATF_REQUIRE(rename("M", "M2") == 0);
	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	ATF_CHECK(maildir_check_new(&f, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_write(&f, "x\n", 2, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	ATF_REQUIRE_MSG(
	    maildir_commit(&fp, 1, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(f.dfd, -1);
	ATF_CHECK_EQ(count_dir("M2/new", NULL, 0), 1);
	ATF_CHECK_EQ(count_dir("M2/tmp", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 0);
}

/* A committed file taken back: new/ empty again, the kept fd open. */
ATF_TC_WITHOUT_HEAD(revoke);
ATF_TC_BODY(revoke, tc)
{
	struct maildir_namer nm;
	struct maildir_file f, *fp = &f;
	char err[ERR_MAX];
	int keep;

	maildir_namer_init(&nm, NULL);
	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE((keep = fcntl(f.dfd, F_DUPFD_CLOEXEC, 0)) >= 0);
	ATF_CHECK(maildir_revoke(&f, keep, err, sizeof(err)) == -1);
	ATF_REQUIRE(maildir_write(&f, "x\n", 2, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_commit(&fp, 1, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 1);
	ATF_REQUIRE_MSG(
	    maildir_revoke(&f, keep, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(f.state, MAILDIR_NONE);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 0);
	ATF_CHECK(fcntl(keep, F_GETFD) != -1);
	ATF_CHECK(close(keep) == 0);
}

ATF_TC_WITHOUT_HEAD(commit_needs_sync);
ATF_TC_BODY(commit_needs_sync, tc)
{
	struct maildir_namer nm;
	struct maildir_file f, *fp = &f;
	char err[ERR_MAX];

	ATF_REQUIRE(maildir_create("M", err, sizeof(err)) == 0);
	maildir_namer_init(&nm, NULL);
	ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
	ATF_CHECK(maildir_commit(&fp, 1, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(count_dir("M/new", NULL, 0), 0);
	ATF_CHECK_EQ(count_dir("M/tmp", NULL, 0), 0);
}

static int
parse(const char *s, struct maildir_name *mn)
{
	return maildir_name_parse(s, strlen(s), mn);
}

ATF_TC_WITHOUT_HEAD(name_parse);
ATF_TC_BODY(name_parse, tc)
{
	struct maildir_name mn;
	const char *s;

	s = "1795372031.M98393P1642Q2.vm,S=69";
	ATF_REQUIRE(parse(s, &mn) == 0);
	ATF_CHECK_EQ(mn.uniq_len, strlen("1795372031.M98393P1642Q2.vm"));
	ATF_CHECK_EQ(mn.base_len, strlen(s));
	ATF_CHECK_EQ(mn.size, 69);
	ATF_CHECK_EQ(mn.vsize, -1);
	ATF_CHECK_EQ(mn.info, 0);
	ATF_CHECK_STREQ(mn.flags, "");

	s = "1.M1P1Q1.h,S=1234,W=1260,X=y:2,SRF";
	ATF_REQUIRE(parse(s, &mn) == 0);
	ATF_CHECK_EQ(mn.uniq_len, 10);
	ATF_CHECK_EQ(mn.base_len, strlen(s) - 6);
	ATF_CHECK_EQ(mn.size, 1234);
	ATF_CHECK_EQ(mn.vsize, 1260);
	ATF_CHECK_EQ(mn.info, 2);
	ATF_CHECK_STREQ(mn.flags, "FRS");

	/* Duplicates go, lower-case keywords sort after upper case. */
	ATF_REQUIRE(parse("x:2,baSSa", &mn) == 0);
	ATF_CHECK_STREQ(mn.flags, "Sab");
	ATF_REQUIRE(parse("x:2,", &mn) == 0);
	ATF_CHECK_EQ(mn.info, 2);
	ATF_CHECK_STREQ(mn.flags, "");
	ATF_REQUIRE(parse("x:1,whatever", &mn) == 0);
	ATF_CHECK_EQ(mn.info, 1);
	ATF_REQUIRE(parse("x:", &mn) == 0);
	ATF_CHECK_EQ(mn.info, 3);
	/* Escaped host, unreadable sizes are "unknown", not errors. */
	ATF_REQUIRE(parse("1.M1P1Q1.a\\072b,S=,W=1x", &mn) == 0);
	ATF_CHECK_EQ(mn.size, -1);
	ATF_CHECK_EQ(mn.vsize, -1);
	ATF_REQUIRE(parse("x,S=9999999999999999999", &mn) == 0);
	ATF_CHECK_EQ(mn.size, -1);

	ATF_CHECK(parse("", &mn) == -1);
	ATF_CHECK(parse(".x", &mn) == -1);
	ATF_CHECK(parse("a/b", &mn) == -1);
	ATF_CHECK(parse(",S=1", &mn) == -1);
	ATF_CHECK(parse(":2,S", &mn) == -1);
	ATF_CHECK(parse("x:2,S1", &mn) == -1);
	ATF_CHECK(parse("x:2,S ", &mn) == -1);
	ATF_CHECK(maildir_name_parse("a\0b", 3, &mn) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	{
		char longname[MAILDIR_NAME_MAX + 2];

		memset(longname, 'x', sizeof(longname));
		ATF_CHECK(
		    maildir_name_parse(longname, MAILDIR_NAME_MAX, &mn) == 0);
		ATF_CHECK(maildir_name_parse(
			      longname, MAILDIR_NAME_MAX + 1, &mn) == -1);
	}
}

ATF_TC_WITHOUT_HEAD(name_flags);
ATF_TC_BODY(name_flags, tc)
{
	char out[MAILDIR_NAME_MAX + 1], fl[16];
	const char *s = "1.M1P1Q1.h,S=5:2,S";

	ATF_REQUIRE(maildir_name_with_flags(
			s, strlen(s), "TSR", out, sizeof(out)) == 0);
	ATF_CHECK_STREQ(out, "1.M1P1Q1.h,S=5:2,RST");
	ATF_REQUIRE(
	    maildir_name_with_flags("abc,S=1", 7, "", out, sizeof(out)) == 0);
	ATF_CHECK_STREQ(out, "abc,S=1:2,");
	ATF_CHECK(maildir_name_with_flags(
		      s, strlen(s), "S!", out, sizeof(out)) == -1);
	ATF_CHECK(maildir_name_with_flags(s, strlen(s), "S", out, 8) == -1);
	ATF_CHECK_EQ(errno, ENAMETOOLONG);

	memcpy(fl, "TSSDa", 6);
	ATF_CHECK(maildir_flags_normalise(fl) == 0);
	ATF_CHECK_STREQ(fl, "DSTa");
	memcpy(fl, "S-", 3);
	ATF_CHECK(maildir_flags_normalise(fl) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, host_escape);
	ATF_TP_ADD_TC(tp, unique_names);
	ATF_TP_ADD_TC(tp, unique_many);
	ATF_TP_ADD_TC(tp, create);
	ATF_TP_ADD_TC(tp, folders);
	ATF_TP_ADD_TC(tp, deliver_one);
	ATF_TP_ADD_TC(tp, abort_cleans_tmp);
	ATF_TP_ADD_TC(tp, open_errors);
	ATF_TP_ADD_TC(tp, commit_all_or_none);
	ATF_TP_ADD_TC(tp, commit_many_same_dir);
	ATF_TP_ADD_TC(tp, commit_needs_sync);
	ATF_TP_ADD_TC(tp, symlinks_refused);
	ATF_TP_ADD_TC(tp, open_at_fd);
	ATF_TP_ADD_TC(tp, revoke);
	ATF_TP_ADD_TC(tp, wire_size);
	ATF_TP_ADD_TC(tp, name_parse);
	ATF_TP_ADD_TC(tp, name_flags);
	return atf_no_error();
}
