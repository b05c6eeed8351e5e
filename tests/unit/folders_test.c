/*
 * folders_test: Maildir++ folders under their IMAP names: name checks
 * (hostile names never leave the tree), paths, LIST patterns, CREATE
 * with parents, LIST attributes, DELETE, RENAME (with children, and of
 * INBOX), Dovecot's subscriptions file, special use, and UIDVALIDITY
 * across DELETE and CREATE.  Each case runs in its own empty directory
 * (Kyua's work directory).
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

#include "folders.h"
#include "keywords.h"
#include "mailbox.h"
#include "maildir.h"
#include "util.h"

static void
put(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ATF_REQUIRE_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
	ATF_REQUIRE(util_write_all(fd, content, strlen(content)) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

static void
read_text(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	ATF_REQUIRE_MSG(fd >= 0, "open %s", path);
	r = read(fd, out, outlen - 1);
	ATF_REQUIRE(r >= 0);
	out[r] = '\0';
	close(fd);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
mkroot(void)
{
	char err[ERR_MAX];

	ATF_REQUIRE_MSG(maildir_create("R", err, sizeof(err)) == 0, "%s", err);
}

static void
create_ok(const char *name)
{
	char err[ERR_MAX];

	err[0] = '\0';
	ATF_REQUIRE_MSG(folder_create("R", name, err, sizeof(err)) == 0,
	    "create %s: %s", name, err);
}

/* The attributes LIST gives name (-1: not listed). */
static long
attrs(const struct folder_list *fl, const char *name)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		if (strcmp(fl->v[i].name, name) == 0)
			return (long)fl->v[i].attrs;
	return -1;
}

static void
list_ok(struct folder_list *fl)
{
	char err[ERR_MAX];

	err[0] = '\0';
	ATF_REQUIRE_MSG(
	    folders_list("R", fl, err, sizeof(err)) == 0, "%s", err);
}

/* Hostile and odd names: what is refused, what a valid one becomes. */
ATF_TC_WITHOUT_HEAD(names);
ATF_TC_BODY(names, tc)
{
	static const struct {
		const char *name;
		const char *canon; /* NULL: refused */
		const char *disk; /* the path under R */
	} t[] = {
	    {"INBOX", "INBOX", "R"},
	    {"inbox", "INBOX", "R"},
	    {"InBoX/sub", "INBOX/sub", "R/.INBOX.sub"},
	    {"inboxes", "inboxes", "R/.inboxes"},
	    {"Sent", "Sent", "R/.Sent"},
	    {"A/B/C", "A/B/C", "R/.A.B.C"},
	    {"with space", "with space", "R/.with space"},
	    {"caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac",
		"caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac",
		"R/.caf\xc3\xa9.\xe6\x97\xa5\xe6\x9c\xac"},
	    {"~user", "~user", "R/.~user"},
	    {"a\\b", "a\\b", "R/.a\\b"},
	    {"", NULL, NULL},
	    {"..", NULL, NULL},
	    {"../etc", NULL, NULL},
	    {"a/../b", NULL, NULL},
	    {".hidden", NULL, NULL},
	    {"a.b", NULL, NULL},
	    {"trailing.", NULL, NULL},
	    {"/abs", NULL, NULL},
	    {"end/", NULL, NULL},
	    {"a//b", NULL, NULL},
	    {"/", NULL, NULL},
	    {"a*", NULL, NULL},
	    {"50%", NULL, NULL},
	    {"tab\tname", NULL, NULL},
	    {"nl\nname", NULL, NULL},
	    {"del\x7f", NULL, NULL},
	    {"c1\xc2\x85", NULL, NULL},
	    {"bad\xff", NULL, NULL},
	    {"overlong\xc0\xaf", NULL, NULL},
	    {"surrogate\xed\xa0\x80", NULL, NULL},
	    {"cut\xe6\x97", NULL, NULL},
	    {"above\xf4\x90\x80\x80", NULL, NULL},
	};
	char c[FOLDER_NAME_MAX + 1], p[PATH_MAX], err[ERR_MAX];
	char longname[FOLDER_NAME_MAX + 2];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = folder_name_check(
		    t[i].name, c, sizeof(c), err, sizeof(err));
		ATF_CHECK_EQ_MSG(
		    rc == 0, t[i].canon != NULL, "\"%s\": %s", t[i].name, err);
		if (rc != 0) {
			ATF_CHECK_EQ(errno, EINVAL);
			ATF_CHECK(folder_path("R", t[i].name, p, sizeof(p),
				      NULL, 0) == -1);
			continue;
		}
		ATF_CHECK_STREQ(c, t[i].canon);
		ATF_REQUIRE(
		    folder_path("R", t[i].name, p, sizeof(p), NULL, 0) == 0);
		ATF_CHECK_STREQ(p, t[i].disk);
	}
	/* The error is one line, whatever the name held. */
	ATF_CHECK(
	    folder_name_check("a\nb", c, sizeof(c), err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strncmp(err, "\"a?b\": ", 7) == 0, "%s", err);
	/* FOLDER_NAME_MAX bytes fit one directory entry with its dot. */
	memset(longname, 'x', FOLDER_NAME_MAX);
	longname[FOLDER_NAME_MAX] = '\0';
	ATF_CHECK(folder_name_check(longname, c, sizeof(c), NULL, 0) == 0);
	longname[FOLDER_NAME_MAX] = 'x';
	longname[FOLDER_NAME_MAX + 1] = '\0';
	ATF_CHECK(folder_name_check(longname, c, sizeof(c), NULL, 0) == -1);
}

ATF_TC_WITHOUT_HEAD(match);
ATF_TC_BODY(match, tc)
{
	static const struct {
		const char *pattern, *name;
		int match;
	} t[] = {
	    {"*", "INBOX", 1},
	    {"*", "A/B/C", 1},
	    {"%", "A", 1},
	    {"%", "A/B", 0},
	    {"A/%", "A/B", 1},
	    {"A/%", "A/B/C", 0},
	    {"A/*", "A/B/C", 1},
	    {"A*", "A", 1},
	    {"A*", "AB/C", 1},
	    {"A%", "AB/C", 0},
	    {"%/%", "A/B", 1},
	    {"*C", "A/B/C", 1},
	    {"*/B/*", "A/B/C", 1},
	    {"a", "A", 0},
	    {"inbox", "INBOX", 1},
	    {"Inbox/%", "INBOX/x", 1},
	    {"inbox*", "inboxes", 1},
	    {"INBOX*", "inboxes", 0},
	    {"", "A", 0},
	    {"%%%*%%", "A/B", 1},
	    {"Sent", "Sent", 1},
	    {"Sent", "Sent/x", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(folders_match(t[i].pattern, t[i].name),
		    t[i].match, "%s ~ %s", t[i].pattern, t[i].name);
}

/* CREATE makes the levels above as real folders, each a Maildir++
 * folder with a UID list; LIST shows children, placeholders for levels
 * that have no directory, \Noselect for a directory that is no Maildir,
 * special use. */
ATF_TC_WITHOUT_HEAD(create_list);
ATF_TC_BODY(create_list, tc)
{
	struct folder_list fl;
	char err[ERR_MAX];

	mkroot();
	create_ok("Work/2024/Q1");
	ATF_CHECK(exists("R/.Work/maildirfolder"));
	ATF_CHECK(exists("R/.Work.2024/cur"));
	ATF_CHECK(exists("R/.Work.2024.Q1/yubin-uidlist"));
	create_ok("Sent");
	create_ok("inbox/Lists");
	ATF_CHECK(exists("R/.INBOX.Lists/new"));
	/* Exists already; INBOX always does; bad names. */
	ATF_CHECK(folder_create("R", "Work", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK(folder_create("R", "Work/2024/Q1", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK(folder_create("R", "INBOX", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK(folder_create("R", "../x", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK(!exists("x") && !exists("R/..x"));
	/* Made by others: a level with no directory, a dir without cur/,
	   a symbolic link, files and odd names: none are folders. */
	ATF_REQUIRE(maildir_create("R/.Far.Away", err, sizeof(err)) == 0);
	ATF_REQUIRE(mkdir("R/.Empty", 0700) == 0);
	ATF_REQUIRE(symlink(".Sent", "R/.Link") == 0);
	put("R/.file", "x");
	ATF_REQUIRE(mkdir("R/..hidden", 0700) == 0);
	ATF_REQUIRE(mkdir("R/.a..b", 0700) == 0);
	ATF_REQUIRE(mkdir("R/.inbox.lower", 0700) == 0);
	list_ok(&fl);
	ATF_CHECK_STREQ(fl.v[0].name, "INBOX");
	ATF_CHECK_EQ(attrs(&fl, "INBOX"), FOLDER_HASCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "INBOX/Lists"), FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "Work"), FOLDER_HASCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "Work/2024"), FOLDER_HASCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "Work/2024/Q1"), FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "Sent"), FOLDER_HASNOCHILDREN | FOLDER_SENT);
	ATF_CHECK_EQ(attrs(&fl, "Far"),
	    FOLDER_NOSELECT | FOLDER_NONEXISTENT | FOLDER_HASCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "Far/Away"), FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(
	    attrs(&fl, "Empty"), FOLDER_NOSELECT | FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "Link"), -1);
	ATF_CHECK_EQ(attrs(&fl, "file"), -1);
	ATF_CHECK_EQ(attrs(&fl, "a//b"), -1);
	ATF_CHECK_EQ(attrs(&fl, "INBOX/lower"), -1);
	ATF_CHECK_EQ(fl.n, 9);
	folders_free(&fl);
	ATF_CHECK_EQ(folder_special_use("trash"), FOLDER_TRASH);
	ATF_CHECK_EQ(folder_special_use("Sent Items"), FOLDER_SENT);
	ATF_CHECK_EQ(folder_special_use("Spam"), FOLDER_JUNK);
	ATF_CHECK_EQ(folder_special_use("Archive"), FOLDER_ARCHIVE);
	ATF_CHECK_EQ(folder_special_use("Drafts"), FOLDER_DRAFTS);
	ATF_CHECK_EQ(folder_special_use("Work"), 0);
}

/* DELETE: not INBOX, not with children; the folder is gone whole, its
 * subscription stays. */
ATF_TC_WITHOUT_HEAD(delete);
ATF_TC_BODY(delete, tc)
{
	struct folder_list fl;
	char err[ERR_MAX];

	mkroot();
	create_ok("A/B");
	put("R/.A.B/cur/1.M1P1Q1.h:2,S", "x\n");
	ATF_REQUIRE(folder_subscribe("R", "A/B", 1, err, sizeof(err)) == 0);
	ATF_CHECK(folder_delete("R", "INBOX", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EPERM);
	ATF_CHECK(folder_delete("R", "A", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOTEMPTY);
	ATF_CHECK(folder_delete("R", "Nope", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK(folder_delete("R", "..", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_REQUIRE_MSG(
	    folder_delete("R", "A/B", err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(!exists("R/.A.B"));
	ATF_REQUIRE_MSG(
	    folder_delete("R", "A", err, sizeof(err)) == 0, "%s", err);
	list_ok(&fl);
	ATF_CHECK_EQ(attrs(&fl, "A"), -1);
	ATF_CHECK_EQ(attrs(&fl, "A/B"),
	    FOLDER_SUBSCRIBED | FOLDER_NOSELECT | FOLDER_NONEXISTENT |
		FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(fl.n, 2);
	folders_free(&fl);
	/* Nothing of them left in the root. */
	{
		struct dirent *de;
		DIR *d = opendir("R");

		ATF_REQUIRE(d != NULL);
		while ((de = readdir(d)) != NULL)
			ATF_CHECK_MSG(strstr(de->d_name, "trash") == NULL &&
				strncmp(de->d_name, ".A", 2) != 0,
			    "left: %s", de->d_name);
		closedir(d);
	}
}

/* A folder deleted and created again gets a greater UIDVALIDITY, even
 * within the same second (RFC 3501 §2.3.1.1). */
ATF_TC_WITHOUT_HEAD(uidvalidity_after_delete);
ATF_TC_BODY(uidvalidity_after_delete, tc)
{
	struct mailbox mb;
	uint32_t v[4];
	int i;

	mkroot();
	for (i = 0; i < 4; i++) {
		create_ok("X");
		ATF_REQUIRE(mailbox_open(&mb, "R/.X", 0, NULL, 0) == 0);
		v[i] = mb.uidvalidity;
		mailbox_close(&mb);
		ATF_REQUIRE(folder_delete("R", "X", NULL, 0) == 0);
		if (i > 0)
			ATF_CHECK_MSG(v[i] > v[i - 1], "%lu after %lu",
			    (unsigned long)v[i], (unsigned long)v[i - 1]);
	}
}

/* RENAME moves a folder with its children and its UIDs. */
ATF_TC_WITHOUT_HEAD(rename_tree);
ATF_TC_BODY(rename_tree, tc)
{
	struct folder_list fl;
	struct mailbox mb;
	char err[ERR_MAX];
	uint32_t v;

	mkroot();
	create_ok("A/B");
	create_ok("A/C");
	create_ok("AB"); /* not a child of A */
	create_ok("Z");
	put("R/.A/new/1.M1P1Q1.h", "x\n");
	ATF_REQUIRE(mailbox_open(&mb, "R/.A", 0, NULL, 0) == 0);
	v = mb.uidvalidity;
	mailbox_close(&mb);
	/* Refused: a target that exists, INBOX, below itself, no source. */
	ATF_CHECK(folder_rename("R", "A", "Z", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK(folder_rename("R", "A", "INBOX", err, sizeof(err)) == -1);
	ATF_CHECK(folder_rename("R", "A", "A/B/D", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK(folder_rename("R", "Nope", "Y", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK(folder_rename("R", "A", "a.b", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	/* A child's target taken (".Q.C" without ".Q"): nothing moves. */
	ATF_REQUIRE(maildir_create("R/.Q.C", err, sizeof(err)) == 0);
	ATF_CHECK(folder_rename("R", "A", "Q", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK(exists("R/.A") && !exists("R/.Q"));
	ATF_CHECK(folder_rename("R", "A", "P", err, sizeof(err)) == 0);
	ATF_CHECK(exists("R/.P") && exists("R/.P.B") && exists("R/.P.C"));
	ATF_CHECK(!exists("R/.A") && !exists("R/.A.B"));
	ATF_CHECK(exists("R/.AB"));
	ATF_REQUIRE(mailbox_open(&mb, "R/.P", 0, NULL, 0) == 0);
	ATF_CHECK_EQ(mb.uidvalidity, v);
	ATF_CHECK(mb.n == 1 && mb.msgs[0].uid == 1);
	mailbox_close(&mb);
	/* Into a new hierarchy: the levels above are made. */
	ATF_REQUIRE_MSG(
	    folder_rename("R", "P/B", "New/Deep/B", err, sizeof(err)) == 0,
	    "%s", err);
	list_ok(&fl);
	ATF_CHECK_EQ(attrs(&fl, "New"), FOLDER_HASCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "New/Deep/B"), FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "P"), FOLDER_HASCHILDREN);
	folders_free(&fl);
}

/* RENAME INBOX: a new folder gets INBOX's messages (and keyword file);
 * INBOX stays, empty, with its children. */
ATF_TC_WITHOUT_HEAD(rename_inbox);
ATF_TC_BODY(rename_inbox, tc)
{
	struct mailbox mb;
	struct keywords kw;
	char err[ERR_MAX];

	mkroot();
	create_ok("INBOX/Kept");
	put("R/new/1.M1P1Q1.h", "a\n");
	put("R/cur/2.M1P1Q1.h:2,Sa", "b\n");
	put("R/dovecot-keywords", "0 Work\n");
	ATF_REQUIRE(mailbox_open(&mb, "R", 0, NULL, 0) == 0);
	ATF_CHECK_EQ(mb.n, 2);
	mailbox_close(&mb);
	ATF_REQUIRE_MSG(
	    folder_rename("R", "inbox", "Old/Mail", err, sizeof(err)) == 0,
	    "%s", err);
	ATF_REQUIRE(mailbox_open(&mb, "R", 0, NULL, 0) == 0);
	ATF_CHECK_EQ(mb.n, 0);
	mailbox_close(&mb);
	ATF_REQUIRE(mailbox_open(&mb, "R/.Old.Mail", 0, NULL, 0) == 0);
	ATF_CHECK_EQ(mb.n, 2);
	ATF_CHECK(exists("R/.Old.Mail/cur/2.M1P1Q1.h:2,Sa"));
	mailbox_close(&mb);
	ATF_REQUIRE(keywords_load(&kw, "R/.Old.Mail", NULL, 0) == 0);
	ATF_CHECK_EQ(keywords_find(&kw, "Work"), 0);
	ATF_CHECK(exists("R/.INBOX.Kept/cur"));
}

/* Dovecot's subscriptions file: version 1 and 2 read, version 2
 * written; names that are not valid ignored. */
ATF_TC_WITHOUT_HEAD(subscriptions);
ATF_TC_BODY(subscriptions, tc)
{
	struct folder_list fl;
	char err[ERR_MAX], text[512];

	mkroot();
	/* Version 1, as Dovecot writes it for a Maildir++ tree. */
	put("R/subscriptions", "INBOX\nSent\nLists.yubin\n../evil\n\nTrash");
	ATF_REQUIRE(folders_subscriptions("R", &fl, err, sizeof(err)) == 0);
	ATF_REQUIRE_EQ(fl.n, 4);
	ATF_CHECK_STREQ(fl.v[0].name, "INBOX");
	ATF_CHECK_STREQ(fl.v[1].name, "Lists/yubin");
	ATF_CHECK_STREQ(fl.v[2].name, "Sent");
	ATF_CHECK_STREQ(fl.v[3].name, "Trash");
	folders_free(&fl);
	/* Any change writes version 2: levels split by TAB. */
	ATF_REQUIRE(
	    folder_subscribe("R", "Lists/other", 1, err, sizeof(err)) == 0);
	ATF_REQUIRE(folder_subscribe("R", "Sent", 0, err, sizeof(err)) == 0);
	read_text("R/subscriptions", text, sizeof(text));
	ATF_CHECK_STREQ(
	    text, "V\t2\n\nINBOX\nLists\tyubin\nTrash\nLists\tother\n");
	/* Twice, or not there: nothing to do. */
	ATF_REQUIRE(folder_subscribe("R", "Trash", 1, err, sizeof(err)) == 0);
	ATF_REQUIRE(folder_subscribe("R", "Nope", 0, err, sizeof(err)) == 0);
	read_text("R/subscriptions", text, sizeof(text));
	ATF_CHECK_STREQ(
	    text, "V\t2\n\nINBOX\nLists\tyubin\nTrash\nLists\tother\n");
	ATF_CHECK(folder_subscribe("R", "a*b", 1, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	/* Version 2 with Dovecot's escapes. */
	put("R/subscriptions",
	    "V\t2\n\nA\tB\nC\001t\nD\001\061x\nINBOX\tKid\nE\001xF\n");
	ATF_REQUIRE(folders_subscriptions("R", &fl, err, sizeof(err)) == 0);
	ATF_REQUIRE_EQ(fl.n, 3);
	ATF_CHECK_STREQ(fl.v[0].name, "A/B");
	ATF_CHECK_STREQ(fl.v[1].name, "ExF");
	ATF_CHECK_STREQ(fl.v[2].name, "INBOX/Kid");
	folders_free(&fl);
	/* LIST marks them; an existing folder is \Subscribed, a missing
	   one \NonExistent too. */
	create_ok("A/B");
	list_ok(&fl);
	ATF_CHECK_EQ(
	    attrs(&fl, "A/B"), FOLDER_SUBSCRIBED | FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "ExF"),
	    FOLDER_SUBSCRIBED | FOLDER_NOSELECT | FOLDER_NONEXISTENT |
		FOLDER_HASNOCHILDREN);
	ATF_CHECK_EQ(attrs(&fl, "INBOX"), FOLDER_HASNOCHILDREN);
	folders_free(&fl);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, names);
	ATF_TP_ADD_TC(tp, match);
	ATF_TP_ADD_TC(tp, create_list);
	ATF_TP_ADD_TC(tp, delete);
	ATF_TP_ADD_TC(tp, uidvalidity_after_delete);
	ATF_TP_ADD_TC(tp, rename_tree);
	ATF_TP_ADD_TC(tp, rename_inbox);
	ATF_TP_ADD_TC(tp, subscriptions);
	return atf_no_error();
}
