/*
 * mailbox_test: the Maildir as POP3/IMAP servers see it: scan order and
 * UID assignment, the UID list (stable across reopen and renames,
 * rebuilt when corrupt, agreed on by concurrent openers), the POP3 lock,
 * sizes, renamed files, flags, expunge and a large mailbox.
 * Each case runs in its own empty directory (Kyua's work directory).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "mailbox.h"
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
putf(const char *dir, const char *sub, const char *name, const char *content)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	put(p, content);
}

/* Many files fast: hard links to one file (creating inodes is slow on
 * a busy disk; links are not). */
static void
linkf(const char *src, const char *dir, const char *sub, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	ATF_REQUIRE_MSG(link(src, p) == 0, "link %s: %s", p, strerror(errno));
}

static void
mkmd(const char *dir)
{
	char err[ERR_MAX];

	ATF_REQUIRE_MSG(maildir_create(dir, err, sizeof(err)) == 0, "%s", err);
}

static void
open_ok(struct mailbox *mb, const char *dir, int flags)
{
	char err[ERR_MAX];

	err[0] = '\0';
	ATF_REQUIRE_MSG(mailbox_open(mb, dir, flags, err, sizeof(err)) == 0,
	    "mailbox_open: %s", err);
}

/* The UID of the message whose name starts with uniq (0: none). */
static uint32_t
uid_of(const struct mailbox *mb, const char *uniq)
{
	size_t i, n = strlen(uniq);
	const char *name;

	for (i = 0; i < mb->n; i++) {
		name = mailbox_name(mb, i);
		if (strncmp(name, uniq, n) == 0 &&
		    (name[n] == '\0' || name[n] == ',' || name[n] == ':'))
			return mb->msgs[i].uid;
	}
	return 0;
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

static ino_t
inode(const char *path)
{
	struct stat st;

	ATF_REQUIRE_MSG(stat(path, &st) == 0, "stat %s", path);
	return st.st_ino;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
check_ascending(const struct mailbox *mb)
{
	size_t i;

	for (i = 0; i < mb->n; i++) {
		ATF_REQUIRE(
		    mb->msgs[i].uid >= 1 && mb->msgs[i].uid < mb->uidnext);
		if (i > 0)
			ATF_REQUIRE(mb->msgs[i - 1].uid < mb->msgs[i].uid);
	}
}

ATF_TC_WITHOUT_HEAD(scan_order);
ATF_TC_BODY(scan_order, tc)
{
	struct mailbox mb;
	char text[1024], want[1024];
	time_t now = time(NULL);

	mkmd("M");
	/* Delivery order: by the numbers in the names, not their bytes. */
	putf("M", "new", "1000.M10P1Q1.h,S=2", "b\n");
	putf("M", "cur", "1001.M1P1Q1.h,S=2:2,S", "c\n");
	putf("M", "new", "1000.M9P1Q1.h,S=2", "a\n");
	putf("M", "new", "999.M5P1Q1.h", "0\n");
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 4);
	ATF_CHECK_STREQ(mailbox_name(&mb, 0), "999.M5P1Q1.h");
	ATF_CHECK_STREQ(mailbox_name(&mb, 1), "1000.M9P1Q1.h,S=2");
	ATF_CHECK_STREQ(mailbox_name(&mb, 2), "1000.M10P1Q1.h,S=2");
	ATF_CHECK_STREQ(mailbox_name(&mb, 3), "1001.M1P1Q1.h,S=2:2,S");
	ATF_CHECK_EQ(mb.msgs[0].uid, 1);
	ATF_CHECK_EQ(mb.msgs[3].uid, 4);
	ATF_CHECK_EQ(mb.msgs[0].sub, MAILBOX_NEW);
	ATF_CHECK_EQ(mb.msgs[3].sub, MAILBOX_CUR);
	ATF_CHECK_EQ(mb.uidnext, 5);
	ATF_CHECK(mb.uidvalidity >= (uint32_t)now - 5 &&
	    mb.uidvalidity <= (uint32_t)now + 5);
	ATF_CHECK_EQ(mb.reset, 0);
	ATF_CHECK_EQ(mailbox_find_uid(&mb, 3), 2);
	ATF_CHECK_EQ(mailbox_find_uid(&mb, 5), (size_t)-1);
	ATF_CHECK_EQ(mailbox_find_uid(&mb, 0), (size_t)-1);
	ATF_CHECK(mailbox_name(&mb, 4) == NULL);
	/* The list on disk, exactly; no temp file left. */
	read_text("M/yubin-uidlist", text, sizeof(text));
	snprintf(want, sizeof(want),
	    "yubin-uidlist 1 %lu 5\n1 999.M5P1Q1.h\n2 1000.M9P1Q1.h\n"
	    "3 1000.M10P1Q1.h\n4 1001.M1P1Q1.h\n",
	    (unsigned long)mb.uidvalidity);
	ATF_CHECK_STREQ(text, want);
	ATF_CHECK(!exists("M/yubin-uidlist.tmp"));
	mailbox_close(&mb);
	mailbox_close(&mb); /* twice is fine */
}

ATF_TC_WITHOUT_HEAD(empty_and_zeroed);
ATF_TC_BODY(empty_and_zeroed, tc)
{
	struct mailbox mb;

	int fd = open("/dev/null", O_RDONLY);

	/* Zeroed (lockfd 0) or not locked: no descriptor is closed. */
	ATF_REQUIRE(fd >= 0);
	memset(&mb, 0, sizeof(mb));
	mb.lockfd = fd;
	mailbox_close(&mb);
	ATF_CHECK(fcntl(fd, F_GETFD) != -1);
	close(fd);
	mkmd("M");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.n, 0);
	ATF_CHECK_EQ(mb.uidnext, 1);
	ATF_CHECK(exists("M/yubin-uidlist"));
	ATF_CHECK(mailbox_open_msg(&mb, 0, NULL, 0) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	mailbox_close(&mb);
}

/* UIDs and UIDVALIDITY survive reopen, new->cur, flag changes by another
 * client; an unchanged mailbox does not rewrite the list. */
ATF_TC_WITHOUT_HEAD(stable_uids);
ATF_TC_BODY(stable_uids, tc)
{
	struct mailbox mb;
	uint32_t v, a, b, c;
	ino_t ino;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h,S=2", "a\n");
	putf("M", "new", "2.M1P1Q1.h,S=2", "b\n");
	putf("M", "cur", "3.M1P1Q1.h,S=2:2,", "c\n");
	open_ok(&mb, "M", 0);
	v = mb.uidvalidity;
	a = uid_of(&mb, "1.M1P1Q1.h");
	b = uid_of(&mb, "2.M1P1Q1.h");
	c = uid_of(&mb, "3.M1P1Q1.h");
	ATF_CHECK(a == 1 && b == 2 && c == 3);
	mailbox_close(&mb);
	ino = inode("M/yubin-uidlist");
	/* Another client moves one to cur/ and flags another. */
	ATF_REQUIRE(
	    rename("M/new/1.M1P1Q1.h,S=2", "M/cur/1.M1P1Q1.h,S=2:2,S") == 0);
	ATF_REQUIRE(rename("M/cur/3.M1P1Q1.h,S=2:2,",
			"M/cur/3.M1P1Q1.h,S=2:2,FRS") == 0);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.uidvalidity, v);
	ATF_CHECK_EQ(uid_of(&mb, "1.M1P1Q1.h"), a);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), b);
	ATF_CHECK_EQ(uid_of(&mb, "3.M1P1Q1.h"), c);
	ATF_CHECK_EQ(mb.uidnext, 4);
	ATF_CHECK_EQ(mb.msgs[0].sub, MAILBOX_CUR);
	mailbox_close(&mb);
	/* Nothing changed in the list: not rewritten. */
	ATF_CHECK_EQ(inode("M/yubin-uidlist"), ino);
}

/* Deleted files leave the list; new ones get UIDNEXT on, never an old
 * UID again. */
ATF_TC_WITHOUT_HEAD(deleted_and_new);
ATF_TC_BODY(deleted_and_new, tc)
{
	struct mailbox mb;
	char text[1024], want[1024];
	uint32_t v;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	putf("M", "new", "3.M1P1Q1.h", "c\n");
	open_ok(&mb, "M", 0);
	v = mb.uidvalidity;
	mailbox_close(&mb);
	ATF_REQUIRE(unlink("M/new/3.M1P1Q1.h") == 0);
	ATF_REQUIRE(unlink("M/new/1.M1P1Q1.h") == 0);
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 1);
	ATF_CHECK_EQ(mb.msgs[0].uid, 2);
	ATF_CHECK_EQ(mb.uidnext, 4);
	mailbox_close(&mb);
	read_text("M/yubin-uidlist", text, sizeof(text));
	snprintf(want, sizeof(want), "yubin-uidlist 1 %lu 4\n2 2.M1P1Q1.h\n",
	    (unsigned long)v);
	ATF_CHECK_STREQ(text, want);
	/* New files, one sorting before the survivor. */
	putf("M", "new", "0.M1P1Q1.h", "z\n");
	putf("M", "cur", "4.M1P1Q1.h:2,S", "d\n");
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 3);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 2);
	ATF_CHECK_EQ(uid_of(&mb, "0.M1P1Q1.h"), 4);
	ATF_CHECK_EQ(uid_of(&mb, "4.M1P1Q1.h"), 5);
	ATF_CHECK_EQ(mb.uidnext, 6);
	ATF_CHECK_EQ(mb.uidvalidity, v);
	check_ascending(&mb);
	mailbox_close(&mb);
}

/* One UNIQ in both new/ and cur/ (moved while we read): once, cur/. */
ATF_TC_WITHOUT_HEAD(same_uniq_twice);
ATF_TC_BODY(same_uniq_twice, tc)
{
	struct mailbox mb;

	mkmd("M");
	putf("M", "new", "5.M1P1Q1.h,S=2", "a\n");
	putf("M", "cur", "5.M1P1Q1.h,S=2:2,S", "a\n");
	putf("M", "new", "6.M1P1Q1.h", "b\n");
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 2);
	ATF_CHECK_STREQ(mailbox_name(&mb, 0), "5.M1P1Q1.h,S=2:2,S");
	ATF_CHECK_EQ(mb.msgs[0].sub, MAILBOX_CUR);
	mailbox_close(&mb);
}

/*
 * A damaged UID list over three messages (1 and 2 in new/, 3 in cur/):
 * which UIDs survive, whether UIDVALIDITY (100) changed and what the
 * open reported.  uid[] of 0: a reset (new UIDVALIDITY, UIDs 1, 2, 3).
 */
struct ccase {
	const char *what;
	const char *text;
	int repaired;
	uint32_t uid[3], next;
};

#define H "yubin-uidlist 1 100 50\n"
#define L1 "7 1.M1P1Q1.h\n"
#define L2 "8 2.M1P1Q1.h\n"
#define L3 "9 3.M1P1Q1.h\n"

static const struct ccase ccases[] = {
    {"intact", H L1 L2 L3, 0, {7, 8, 9}, 50},
    {"intact, sizes", H "7 1.M1P1Q1.h W=3\n" L2 "9 3.M1P1Q1.h W=0\n", 0,
	{7, 8, 9}, 50},
    {"truncated last line", H L1 L2 "9 3.M1P", 1, {7, 8, 50}, 51},
    {"last LF lost", H L1 L2 "9 3.M1P1Q1.h", 1, {7, 8, 50}, 51},
    {"garbage middle line", H L1 "x\x01\xff garbage\n" L3, 1, {7, 50, 9}, 51},
    {"empty middle line", H L1 "\n" L2 L3, 1, {7, 8, 9}, 50},
    {"CRLF line", H L1 "8 2.M1P1Q1.h\r\n" L3, 1, {7, 50, 9}, 51},
    {"bad size field", H L1 "8 2.M1P1Q1.h W=08\n" L3, 1, {7, 50, 9}, 51},
    {"duplicate UID", H "7 1.M1P1Q1.h\n7 2.M1P1Q1.h\n" L3, 1, {50, 51, 9}, 52},
    {"decreasing UIDs", H "8 1.M1P1Q1.h\n7 2.M1P1Q1.h\n" L3, 1, {50, 51, 9},
	52},
    /* Each line contradicts another: none is proven. */
    {"one UID out of order", H "40 1.M1P1Q1.h\n" L2 L3, 1, {50, 51, 52}, 53},
    {"out of order, apart", H L1 L2 L3 "8 4.M1P1Q1.h\n", 1, {7, 50, 51}, 52},
    {"duplicate UNIQ", H L1 "8 1.M1P1Q1.h\n" L3, 1, {50, 51, 9}, 52},
    {"UID at UIDNEXT", H L1 L2 "50 3.M1P1Q1.h\n", 1, {7, 8, 51}, 52},
    {"UID above UIDNEXT", H L1 L2 "60 3.M1P1Q1.h\n", 1, {7, 8, 61}, 62},
    {"not a UNIQ", H L1 "8 2.M1P1Q1.h,S=1\n" L3, 1, {7, 50, 9}, 51},
    {"all lines bad", H "x\ny\n", 1, {50, 51, 52}, 53},
    {"header garbage", "garbage\n" L1 L2 L3, 0, {0}, 4},
    {"header version", "yubin-uidlist 2 100 50\n" L1 L2 L3, 0, {0}, 4},
    {"header CRLF", "yubin-uidlist 1 100 50\r\n" L1, 0, {0}, 4},
    {"header leading zero", "yubin-uidlist 1 100 050\n" L1, 0, {0}, 4},
    {"header over 32 bits", "yubin-uidlist 1 100 4294967296\n", 0, {0}, 4},
    {"header cut", "yubin-uidlist 1 100", 0, {0}, 4},
    {"empty file", "", 0, {0}, 4},
};

static void
corrupt_case(const struct ccase *c)
{
	static const char *const names[3] = {
	    "1.M1P1Q1.h", "2.M1P1Q1.h", "3.M1P1Q1.h"};
	struct mailbox mb;
	char err[ERR_MAX];
	int reset = c->uid[0] == 0, i;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	putf("M", "cur", "3.M1P1Q1.h:2,S", "c\n");
	put("M/yubin-uidlist", c->text);
	err[0] = '\0';
	ATF_REQUIRE_MSG(
	    mailbox_open(&mb, "M", 0, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ_MSG(mb.reset, reset, "%s: reset", c->what);
	ATF_CHECK_EQ_MSG(mb.repaired, c->repaired, "%s: repaired", c->what);
	if (reset)
		ATF_CHECK_MSG(strstr(err, "M/yubin-uidlist: ") == err &&
			strstr(err, "rebuilt with UIDVALIDITY") != NULL &&
			mb.uidvalidity != 100,
		    "%s: err %s", c->what, err);
	else
		ATF_CHECK_EQ_MSG(mb.uidvalidity, 100, "%s", c->what);
	if (c->repaired)
		ATF_CHECK_MSG(strstr(err, "M/yubin-uidlist: corrupt") == err &&
			strstr(err, "UIDVALIDITY 100 kept") != NULL,
		    "%s: err %s", c->what, err);
	ATF_CHECK_EQ(mb.n, 3);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ_MSG(uid_of(&mb, names[i]),
		    reset ? (uint32_t)i + 1 : c->uid[i], "%s: %s", c->what,
		    names[i]);
	ATF_CHECK_EQ_MSG(mb.uidnext, c->next, "%s: uidnext", c->what);
	check_ascending(&mb);
	mailbox_close(&mb);
	/* The list written is good: the next open keeps every UID. */
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.reset, 0);
	ATF_CHECK_EQ(mb.repaired, 0);
	ATF_CHECK(mb.uidvalidity == 100 || reset);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ_MSG(uid_of(&mb, names[i]),
		    reset ? (uint32_t)i + 1 : c->uid[i], "%s: again", c->what);
	mailbox_close(&mb);
	ATF_REQUIRE(system("rm -rf M") == 0);
}

ATF_TC_WITHOUT_HEAD(corrupt_list);
ATF_TC_BODY(corrupt_list, tc)
{
	size_t i;

	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++)
		corrupt_case(&ccases[i]);
}

/* A missing list: a first open numbers afresh without a "reset"; a
 * list deleted later proves nothing, so a new UIDVALIDITY is the only
 * answer RFC 3501 allows, and the open says so. */
ATF_TC_WITHOUT_HEAD(missing_list);
ATF_TC_BODY(missing_list, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];
	uint32_t old;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	err[0] = '\0';
	ATF_REQUIRE(mailbox_open(&mb, "M", 0, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(mb.reset, 0);
	ATF_CHECK_STREQ(err, "");
	old = mb.uidvalidity;
	mailbox_close(&mb);
	ATF_REQUIRE(unlink("M/yubin-uidlist") == 0);
	ATF_REQUIRE(mailbox_open(&mb, "M", 0, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(mb.reset, 1);
	ATF_CHECK_EQ(mb.repaired, 0);
	ATF_CHECK(mb.uidvalidity != old);
	ATF_CHECK_MSG(strstr(err,
			  "M/yubin-uidlist: missing, rebuilt with "
			  "UIDVALIDITY") == err,
	    "err: %s", err);
	ATF_CHECK_EQ(uid_of(&mb, "1.M1P1Q1.h"), 1);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 2);
	mailbox_close(&mb);
}

/* A list rebuilt while its header is readable (UIDs used up) gets a
 * UIDVALIDITY that differs from the old one, even within a second. */
ATF_TC_WITHOUT_HEAD(corrupt_keeps_validity_apart);
ATF_TC_BODY(corrupt_keeps_validity_apart, tc)
{
	struct mailbox mb;
	char text[128];
	uint32_t now = (uint32_t)time(NULL);

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	/* Header with this very second as validity, no UID left. */
	snprintf(text, sizeof(text), "yubin-uidlist 1 %lu 4294967295\n",
	    (unsigned long)now);
	put("M/yubin-uidlist", text);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.reset, 1);
	ATF_CHECK(mb.uidvalidity != now);
	mailbox_close(&mb);
}

/* UIDs used up: start over with a new UIDVALIDITY (RFC 3501 §2.3.1.1). */
ATF_TC_WITHOUT_HEAD(uids_used_up);
ATF_TC_BODY(uids_used_up, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	put("M/yubin-uidlist",
	    "yubin-uidlist 1 7 4294967295\n4294967294 1.M1P1Q1.h\n");
	ATF_REQUIRE(mailbox_open(&mb, "M", 0, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(mb.reset, 1);
	ATF_CHECK(strstr(err, "UIDs used up") != NULL);
	ATF_CHECK(mb.uidvalidity != 7);
	ATF_CHECK_EQ(uid_of(&mb, "1.M1P1Q1.h"), 1);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 2);
	mailbox_close(&mb);
	/* The last UID itself is fine. */
	ATF_REQUIRE(system("rm -rf M") == 0);
	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	put("M/yubin-uidlist",
	    "yubin-uidlist 1 7 4294967294\n4294967293 1.M1P1Q1.h\n");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.reset, 0);
	ATF_CHECK_EQ(mb.uidvalidity, 7);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 4294967294U);
	ATF_CHECK_EQ(mb.uidnext, 4294967295U);
	mailbox_close(&mb);
}

ATF_TC_WITHOUT_HEAD(uidlist_parse);
ATF_TC_BODY(uidlist_parse, tc)
{
	const char *t = "yubin-uidlist 1 42 10\n2 b.x\n5 a.y\n9 c\n";
	struct mailbox_uident *e;
	struct buf b;
	size_t n;
	uint32_t v, next;

	ATF_REQUIRE(
	    mailbox_uidlist_parse(t, strlen(t), &v, &next, &e, &n) == 0);
	ATF_CHECK_EQ(v, 42);
	ATF_CHECK_EQ(next, 10);
	ATF_REQUIRE_EQ(n, 3);
	/* Sorted by UNIQ. */
	ATF_CHECK(e[0].len == 3 && memcmp(e[0].uniq, "a.y", 3) == 0);
	ATF_CHECK_EQ(e[0].uid, 5);
	ATF_CHECK(e[2].len == 1 && e[2].uniq[0] == 'c' && e[2].uid == 9);
	free(e);
	/* Empty list; a parse of a prefix never reads past it. */
	ATF_REQUIRE(mailbox_uidlist_parse(t, 22, &v, &next, &e, &n) == 0);
	ATF_CHECK_EQ(n, 0);
	free(e);
	ATF_CHECK(mailbox_uidlist_parse(t, 21, &v, &next, &e, &n) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK_EQ(v, 0);
	ATF_CHECK(e == NULL);
	/* Corrupt after a good header: the header's values are kept. */
	ATF_CHECK(mailbox_uidlist_parse(t, 30, &v, &next, &e, &n) == -1);
	ATF_CHECK(v == 42 && next == 10);
	/* A line longer than UIDLIST_LINE_MAX is refused. */
	buf_init(&b, 0);
	ATF_REQUIRE(buf_puts(&b, "yubin-uidlist 1 1 2\n1 ") == 0);
	while (b.len < 22 + UIDLIST_LINE_MAX)
		ATF_REQUIRE(buf_putc(&b, 'x') == 0);
	ATF_REQUIRE(buf_putc(&b, '\n') == 0);
	ATF_CHECK(
	    mailbox_uidlist_parse(b.data, b.len, &v, &next, &e, &n) == -1);
	/* Format, then parse back. */
	buf_reset(&b);
	{
		struct mailbox_uident in[2] = {
		    {"1.a", 3, 3, -1}, {"0.b", 3, 4294967294U, 12}};

		ATF_REQUIRE(mailbox_uidlist_format(
				&b, 4294967295U, 4294967295U, in, 2) == 0);
		ATF_CHECK_STREQ(buf_cstr(&b),
		    "yubin-uidlist 1 4294967295 4294967295\n3 1.a\n"
		    "4294967294 0.b W=12\n");
		ATF_REQUIRE(mailbox_uidlist_parse(
				b.data, b.len, &v, &next, &e, &n) == 0);
		ATF_CHECK(n == 2 && e[0].uid == 4294967294U && e[1].uid == 3);
		ATF_CHECK(e[0].size == 12 && e[1].size == -1);
		free(e);
	}
	buf_free(&b);
}

/* The salvage on its own: what it keeps, how many lines it drops, and
 * the UIDNEXT it gives; on a valid list exactly what the parse gives. */
ATF_TC_WITHOUT_HEAD(uidlist_salvage);
ATF_TC_BODY(uidlist_salvage, tc)
{
	static const char ok[] = "yubin-uidlist 1 42 10\n2 b.x W=0\n5 a.y\n"
				 "9 c W=123456789012345678\n";
	const char *t;
	struct mailbox_uident *e;
	size_t n, lost;
	uint32_t v, next;

	ATF_REQUIRE(mailbox_uidlist_salvage(
			ok, strlen(ok), &v, &next, &e, &n, &lost) == 0);
	ATF_CHECK(v == 42 && next == 10 && n == 3 && lost == 0);
	ATF_CHECK(e[0].uid == 5 && e[0].size == -1);
	ATF_CHECK(e[1].uid == 2 && e[1].size == 0);
	ATF_CHECK(e[2].uid == 9 && e[2].size == 123456789012345678LL);
	free(e);
	/* 19 size digits, a size with a sign, a cut tail: each line is
	   dropped alone. */
	t = "yubin-uidlist 1 42 10\n2 b.x W=1234567890123456789\n"
	    "3 c W=-1\n4 d\n5 e W=1\n6 f W";
	ATF_REQUIRE(mailbox_uidlist_salvage(
			t, strlen(t), &v, &next, &e, &n, &lost) == 0);
	ATF_CHECK(n == 2 && lost == 3 && next == 10);
	ATF_CHECK(e[0].uid == 4 && e[1].uid == 5 && e[1].size == 1);
	free(e);
	/* The highest UID a line claims raises UIDNEXT (to 2^32-1 at most):
	   no UID seen in the file is given again. */
	t = "yubin-uidlist 1 42 10\n3 a\n4294967295 b\n";
	ATF_REQUIRE(mailbox_uidlist_salvage(
			t, strlen(t), &v, &next, &e, &n, &lost) == 0);
	ATF_CHECK(n == 1 && lost == 1 && next == 4294967295U);
	free(e);
	/* Header lost: nothing. */
	t = "yubin-uidlist 1 42\n3 a\n";
	ATF_CHECK(mailbox_uidlist_salvage(
		      t, strlen(t), &v, &next, &e, &n, &lost) == -1);
	ATF_CHECK(errno == EINVAL && v == 0 && e == NULL && n == 0);
}

/*
 * Sizes of files another MDA wrote are counted once and kept in the UID
 * list: a second open answers without reading the file (changing the
 * file, which Maildir never does, shows it is not read again).
 */
ATF_TC_WITHOUT_HEAD(sizes_remembered);
ATF_TC_BODY(sizes_remembered, tc)
{
	struct mailbox mb;
	char err[ERR_MAX], text[1024];
	size_t a, b, c;

	mkmd("M");
	putf("M", "new", "1700000000.M1P1.host", "A: b\n\nbody\n");
	putf("M", "cur", "1700000001.M2P2.host:2,S", "A: b\r\n\r\nx\r\n");
	putf("M", "new", "1700000002.M3P3.host,W=99", "A: b\n");
	open_ok(&mb, "M", 0);
	a = mailbox_find_uid(&mb, 1);
	b = mailbox_find_uid(&mb, 2);
	c = mailbox_find_uid(&mb, 3);
	ATF_CHECK_EQ(mailbox_size(&mb, a), 14);
	ATF_CHECK_EQ(mailbox_size(&mb, b), 11);
	ATF_CHECK_EQ(mailbox_size(&mb, c), 99);
	ATF_REQUIRE_MSG(
	    mailbox_save_sizes(&mb, err, sizeof(err)) == 0, "%s", err);
	/* Nothing new to save: no write (the list keeps its inode). */
	{
		ino_t ino = inode("M/yubin-uidlist");

		ATF_REQUIRE(mailbox_save_sizes(&mb, err, sizeof(err)) == 0);
		ATF_CHECK_EQ(inode("M/yubin-uidlist"), ino);
	}
	mailbox_close(&mb);
	read_text("M/yubin-uidlist", text, sizeof(text));
	ATF_CHECK_MSG(strstr(text,
			  "\n1 1700000000.M1P1.host W=14\n"
			  "2 1700000001.M2P2.host W=11\n"
			  "3 1700000002.M3P3.host\n") != NULL,
	    "list: %s", text);
	putf("M", "new", "1700000000.M1P1.host", "changed\n");
	putf("M", "cur", "1700000001.M2P2.host:2,S", "");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mailbox_size_quick(&mb, mailbox_find_uid(&mb, 1)), 14);
	ATF_CHECK_EQ(mailbox_size(&mb, mailbox_find_uid(&mb, 1)), 14);
	ATF_CHECK_EQ(mailbox_size(&mb, mailbox_find_uid(&mb, 2)), 11);
	/* A rename (flags) keeps the size with the UNIQ. */
	ATF_REQUIRE(mailbox_set_flags(&mb, mailbox_find_uid(&mb, 1), "S", err,
			sizeof(err)) == 0);
	mailbox_close(&mb);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mailbox_size(&mb, mailbox_find_uid(&mb, 1)), 14);
	mailbox_close(&mb);
	/* A list renumbered since the open is left alone. */
	putf("M", "new", "1700000003.M4P4.host", "new\n");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mailbox_size(&mb, mailbox_find_uid(&mb, 4)), 5);
	put("M/yubin-uidlist", "yubin-uidlist 1 5 9\n8 1700000003.M4P4.host\n");
	ATF_REQUIRE(mailbox_save_sizes(&mb, err, sizeof(err)) == 0);
	mailbox_close(&mb);
	read_text("M/yubin-uidlist", text, sizeof(text));
	ATF_CHECK_STREQ(text, "yubin-uidlist 1 5 9\n8 1700000003.M4P4.host\n");
}

/* Children that open the same mailbox at once write what they saw:
 * "VALIDITY" then "UNIQ UID" lines. */
static void
opener(const char *out, int go)
{
	struct mailbox mb;
	char err[ERR_MAX], c;
	FILE *f;
	size_t i;

	if (read(go, &c, 1) != 1)
		_exit(2);
	if (mailbox_open(&mb, "M", 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "child: %s\n", err);
		_exit(1);
	}
	f = fopen(out, "w");
	if (f == NULL)
		_exit(1);
	fprintf(f, "%lu\n", (unsigned long)mb.uidvalidity);
	for (i = 0; i < mb.n; i++)
		fprintf(f, "%.*s %lu\n",
		    (int)strcspn(mailbox_name(&mb, i), ",:"),
		    mailbox_name(&mb, i), (unsigned long)mb.msgs[i].uid);
	if (fclose(f) != 0)
		_exit(1);
	mailbox_close(&mb);
	_exit(0);
}

struct seen {
	char uniq[64];
	unsigned long uid;
};

static int
seen_cmp(const void *x, const void *y)
{
	return strcmp(
	    ((const struct seen *)x)->uniq, ((const struct seen *)y)->uniq);
}

/* Load a child's output, sorted by UNIQ. */
static struct seen *
load(const char *path, unsigned long *validity, size_t *n)
{
	struct seen *v = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(fscanf(f, "%lu", validity) == 1);
	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			ATF_REQUIRE(v != NULL);
		}
		if (fscanf(f, "%63s %lu", v[*n].uniq, &v[*n].uid) != 2)
			break;
		(*n)++;
	}
	fclose(f);
	qsort(v, *n, sizeof(*v), seen_cmp);
	return v;
}

/* Every UNIQ both saw has the same UID in both; UIDs are distinct. */
static size_t
agree(const struct seen *a, size_t na, const struct seen *b, size_t nb)
{
	size_t i = 0, j = 0, common = 0;
	int c;

	while (i < na && j < nb) {
		c = strcmp(a[i].uniq, b[j].uniq);
		if (c == 0) {
			ATF_REQUIRE_MSG(a[i].uid == b[j].uid,
			    "%s: UID %lu and %lu", a[i].uniq, a[i].uid,
			    b[j].uid);
			common++;
			i++;
			j++;
		} else if (c < 0)
			i++;
		else
			j++;
	}
	return common;
}

/*
 * Several processes open at once while mail keeps arriving, with names
 * that sort before the ones already there (other hosts, clocks): each
 * may see a different set, but a UNIQ seen by two has one UID, and the
 * list on disk agrees with all of them.
 */
ATF_TC_WITHOUT_HEAD(concurrent_open);
ATF_TC_BODY(concurrent_open, tc)
{
	enum { KIDS = 3, ROUNDS = 4, PER_ROUND = 1500, LATE = 6 };
	struct seen *got[KIDS + 1];
	size_t n[KIDS + 1], common = 0;
	unsigned long validity[KIDS + 1];
	char name[64], out[32];
	struct mailbox mb;
	int round, k, i, st, pfd[KIDS][2], late = 0, lfd;
	struct flock fl;
	pid_t pid[KIDS];
	FILE *f;

	mkmd("M");
	put("src", "x\n");
	for (round = 0; round < ROUNDS; round++) {
		/* New mail, and (after the first round) one deleted. */
		for (i = 0; i < PER_ROUND; i++) {
			snprintf(name, sizeof(name), "%d.M%dP%dQ1.h,S=2",
			    1700000000 + round, i, 100 + i % 13);
			linkf("src", "M", i % 3 ? "new" : "cur", name);
		}
		if (round > 0) {
			snprintf(name, sizeof(name), "M/cur/%d.M0P100Q1.h,S=2",
			    1700000000 + round - 1);
			ATF_REQUIRE(unlink(name) == 0);
		}
		for (k = 0; k < KIDS; k++) {
			ATF_REQUIRE(pipe(pfd[k]) == 0);
			snprintf(out, sizeof(out), "out%d", k);
			pid[k] = fork();
			ATF_REQUIRE(pid[k] >= 0);
			if (pid[k] == 0) {
				close(pfd[k][1]);
				opener(out, pfd[k][0]);
			}
			close(pfd[k][0]);
		}
		/*
		 * Release them one after the other, a few deliveries apart,
		 * so their views differ; while we hold the list lock, so
		 * they all read the old list and then wait for the lock (at
		 * least those that got that far in time: the test is no less
		 * valid when one did not, only less sharp).
		 */
		lfd = open("M/yubin-uidlist.lock", O_RDWR | O_CREAT, 0600);
		ATF_REQUIRE(lfd >= 0);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		ATF_REQUIRE(fcntl(lfd, F_SETLK, &fl) == 0);
		for (k = 0; k < KIDS; k++) {
			ATF_REQUIRE(write(pfd[k][1], "g", 1) == 1);
			close(pfd[k][1]);
			usleep(60 * 1000); /* its scan is done by now */
			for (i = 0; i < LATE / KIDS; i++, late++) {
				snprintf(name, sizeof(name),
				    "%d.M1P1Q1.late,S=2", 1600000000 - late);
				linkf("src", "M", "new", name);
			}
		}
		usleep(100 * 1000);
		close(lfd);
		for (k = 0; k < KIDS; k++) {
			ATF_REQUIRE(waitpid(pid[k], &st, 0) == pid[k]);
			ATF_REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "child %d failed", k);
		}
		/* The list on disk, as one more opener sees it. */
		f = fopen("out3", "w");
		ATF_REQUIRE(f != NULL);
		open_ok(&mb, "M", 0);
		check_ascending(&mb);
		fprintf(f, "%lu\n", (unsigned long)mb.uidvalidity);
		for (i = 0; i < (int)mb.n; i++)
			fprintf(f, "%.*s %lu\n",
			    (int)strcspn(mailbox_name(&mb, i), ",:"),
			    mailbox_name(&mb, i),
			    (unsigned long)mb.msgs[i].uid);
		ATF_CHECK_EQ(
		    mb.n, (size_t)((round + 1) * (PER_ROUND + LATE) - round));
		mailbox_close(&mb);
		ATF_REQUIRE(fclose(f) == 0);
		for (k = 0; k <= KIDS; k++) {
			snprintf(out, sizeof(out), "out%d", k);
			got[k] = load(out, &validity[k], &n[k]);
		}
		for (k = 0; k < KIDS; k++) {
			ATF_CHECK_EQ(validity[k], validity[KIDS]);
			common += agree(got[k], n[k], got[KIDS], n[KIDS]);
			common += agree(got[k], n[k], got[(k + 1) % KIDS],
			    n[(k + 1) % KIDS]);
		}
		for (k = 0; k <= KIDS; k++)
			free(got[k]);
	}
	ATF_CHECK(common > 0);
}

/* The list lock is waited for (bounded), not failed at once. */
ATF_TC_WITHOUT_HEAD(uidlist_lock_waits);
ATF_TC_BODY(uidlist_lock_waits, tc)
{
	struct mailbox mb;
	struct flock fl;
	int fd, st, pfd[2];
	char c;
	pid_t pid;
	int64_t t0;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	ATF_REQUIRE(pipe(pfd) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		fd = open("M/yubin-uidlist.lock", O_RDWR | O_CREAT, 0600);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0)
			_exit(1);
		(void)write(pfd[1], "l", 1);
		usleep(800 * 1000);
		_exit(0);
	}
	close(pfd[1]);
	ATF_REQUIRE(read(pfd[0], &c, 1) == 1);
	t0 = util_now_ms();
	open_ok(&mb, "M", 0);
	ATF_CHECK_MSG(util_now_ms() - t0 >= 300, "did not wait for the lock");
	ATF_CHECK_EQ(mb.n, 1);
	mailbox_close(&mb);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

ATF_TC_WITHOUT_HEAD(pop3_lock);
ATF_TC_BODY(pop3_lock, tc)
{
	struct mailbox mb;
	char err[ERR_MAX], c;
	int pfd[2], st;
	pid_t pid;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	ATF_REQUIRE(pipe(pfd) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		if (mailbox_open(
			&mb, "M", MAILBOX_POP3_EXCL, err, sizeof(err)) != 0)
			_exit(1);
		(void)write(pfd[1], "l", 1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ATF_REQUIRE(read(pfd[0], &c, 1) == 1);
	ATF_CHECK(
	    mailbox_open(&mb, "M", MAILBOX_POP3_EXCL, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EWOULDBLOCK);
	ATF_CHECK_STREQ(err, "M/yubin-pop3.lock: in use by another session");
	ATF_CHECK_EQ(mb.lockfd, -1);
	/* Reading without the POP3 lock still works (IMAP, tools). */
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.n, 1);
	mailbox_close(&mb);
	/* The holder dies hard: the lock goes with it, nothing stale. */
	ATF_REQUIRE(kill(pid, SIGKILL) == 0);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK(WIFSIGNALED(st));
	open_ok(&mb, "M", MAILBOX_POP3_EXCL);
	ATF_CHECK(mb.lockfd >= 0);
	mailbox_close(&mb);
	ATF_CHECK_EQ(mb.lockfd, -1);
	/* Closed: free again for the next session. */
	open_ok(&mb, "M", MAILBOX_POP3_EXCL);
	mailbox_close(&mb);
}

ATF_TC_WITHOUT_HEAD(sizes);
ATF_TC_BODY(sizes, tc)
{
	struct mailbox mb;
	size_t a, b, c, d;

	mkmd("M");
	/* The names lie on purpose: only a read would see the truth. */
	putf("M", "new", "1.M1P1Q1.h,S=5,W=7", "nonsense\n\n");
	putf("M", "new", "2.M1P1Q1.h,S=5", "ab\ncd");
	putf("M", "cur", "3.M1P1Q1.h:2,S", "x\r\ny\n\r\n");
	putf("M", "cur", "4.M1P1Q1.h,W=x:2,", "\n\n");
	open_ok(&mb, "M", 0);
	a = mailbox_find_uid(&mb, 1);
	b = mailbox_find_uid(&mb, 2);
	c = mailbox_find_uid(&mb, 3);
	d = mailbox_find_uid(&mb, 4);
	ATF_REQUIRE(a != (size_t)-1 && d != (size_t)-1);
	/* ,W= is the wire size, for LIST and STAT alike. */
	ATF_CHECK_EQ(mailbox_size_quick(&mb, a), 7);
	ATF_CHECK_EQ(mailbox_size(&mb, a), 7);
	/* ,S= only: quick says S, the exact one reads the file. */
	ATF_CHECK_EQ(mb.msgs[b].size, -1);
	ATF_CHECK_EQ(mailbox_size_quick(&mb, b), 5);
	ATF_CHECK_EQ(mailbox_size(&mb, b), 6);
	ATF_CHECK_EQ(mb.msgs[b].size, 6);
	ATF_CHECK_EQ(mailbox_size_quick(&mb, b), 6); /* now known */
	/* Nothing in the name: stat, then a read (CRLF counted once). */
	ATF_CHECK_EQ(mailbox_size_quick(&mb, c), 7);
	ATF_CHECK_EQ(mb.msgs[c].disk, 7);
	ATF_CHECK_EQ(mailbox_size(&mb, c), 8);
	ATF_CHECK_EQ(mailbox_size(&mb, d), 4);
	/* Cached: the file changing under us does not matter... */
	putf("M", "cur", "3.M1P1Q1.h:2,S", "");
	ATF_CHECK_EQ(mailbox_size(&mb, c), 8);
	mailbox_close(&mb);
	/* ... and a file gone is -1 with ENOENT. */
	open_ok(&mb, "M", 0);
	ATF_REQUIRE(unlink("M/cur/4.M1P1Q1.h,W=x:2,") == 0);
	ATF_CHECK_EQ(mailbox_size(&mb, mailbox_find_uid(&mb, 4)), -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK_EQ(mb.msgs[mailbox_find_uid(&mb, 4)].gone, 1);
	ATF_CHECK_EQ(mailbox_size_quick(&mb, mailbox_find_uid(&mb, 4)), -1);
	mailbox_close(&mb);
}

ATF_TC_WITHOUT_HEAD(open_msg_renamed);
ATF_TC_BODY(open_msg_renamed, tc)
{
	struct mailbox mb;
	char err[ERR_MAX], buf[16], p[PATH_MAX];
	size_t a, b, c;
	ssize_t r;
	int fd;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h,S=2", "a\n");
	putf("M", "new", "2.M1P1Q1.h,S=2", "b\n");
	putf("M", "cur", "3.M1P1Q1.h,S=2:2,", "c\n");
	open_ok(&mb, "M", 0);
	a = mailbox_find_uid(&mb, 1);
	b = mailbox_find_uid(&mb, 2);
	c = mailbox_find_uid(&mb, 3);
	/* Another client: 1 to cur/, 2 to cur/ too, 3 gets flags. */
	ATF_REQUIRE(
	    rename("M/new/1.M1P1Q1.h,S=2", "M/cur/1.M1P1Q1.h,S=2:2,S") == 0);
	ATF_REQUIRE(
	    rename("M/new/2.M1P1Q1.h,S=2", "M/cur/2.M1P1Q1.h,S=2:2,") == 0);
	ATF_REQUIRE(
	    rename("M/cur/3.M1P1Q1.h,S=2:2,", "M/cur/3.M1P1Q1.h,S=2:2,T") == 0);
	fd = mailbox_open_msg(&mb, a, err, sizeof(err));
	ATF_REQUIRE_MSG(fd >= 0, "%s", err);
	r = read(fd, buf, sizeof(buf));
	ATF_CHECK(r == 2 && memcmp(buf, "a\n", 2) == 0);
	close(fd);
	ATF_CHECK_EQ(mb.msgs[a].sub, MAILBOX_CUR);
	ATF_CHECK_STREQ(mailbox_name(&mb, a), "1.M1P1Q1.h,S=2:2,S");
	ATF_REQUIRE(mailbox_path(&mb, a, p, sizeof(p)) == 0);
	ATF_CHECK_STREQ(p, "M/cur/1.M1P1Q1.h,S=2:2,S");
	/* One search found the others too. */
	ATF_CHECK_STREQ(mailbox_name(&mb, b), "2.M1P1Q1.h,S=2:2,");
	ATF_CHECK_STREQ(mailbox_name(&mb, c), "3.M1P1Q1.h,S=2:2,T");
	fd = mailbox_open_msg(&mb, c, err, sizeof(err));
	ATF_REQUIRE(fd >= 0);
	close(fd);
	/* Truly gone. */
	ATF_REQUIRE(unlink("M/cur/2.M1P1Q1.h,S=2:2,") == 0);
	ATF_CHECK(mailbox_open_msg(&mb, b, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK_EQ(mb.msgs[b].gone, 1);
	ATF_CHECK_STREQ(
	    err, "M/cur/2.M1P1Q1.h,S=2:2,: No such file or directory");
	mailbox_close(&mb);
}

ATF_TC_WITHOUT_HEAD(set_flags);
ATF_TC_BODY(set_flags, tc)
{
	struct mailbox mb;
	char err[ERR_MAX], fl[MAILDIR_FLAGS_MAX + 1];
	size_t a;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h,S=2", "a\n");
	open_ok(&mb, "M", 0);
	a = 0;
	ATF_CHECK_STREQ(mailbox_flags(&mb, a, fl, sizeof(fl)), "");
	/* Retrieved: new/ -> cur/ with no flags. */
	ATF_REQUIRE_MSG(
	    mailbox_set_flags(&mb, a, "", err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,"));
	ATF_CHECK(!exists("M/new/1.M1P1Q1.h,S=2"));
	ATF_CHECK_EQ(mb.msgs[a].sub, MAILBOX_CUR);
	ATF_CHECK_STREQ(mailbox_flags(&mb, a, fl, sizeof(fl)), "");
	/* Flags replaced within cur/, normalised. */
	ATF_REQUIRE(mailbox_set_flags(&mb, a, "SRS", err, sizeof(err)) == 0);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,RS"));
	ATF_CHECK_STREQ(mailbox_flags(&mb, a, fl, sizeof(fl)), "RS");
	/* The same again: nothing to do. */
	ATF_REQUIRE(mailbox_set_flags(&mb, a, "RS", err, sizeof(err)) == 0);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,RS"));
	/* Bad flags are refused, nothing renamed. */
	ATF_CHECK(mailbox_set_flags(&mb, a, "S1", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,RS"));
	/* Renamed by someone else meanwhile: found and renamed again. */
	ATF_REQUIRE(rename("M/cur/1.M1P1Q1.h,S=2:2,RS",
			"M/cur/1.M1P1Q1.h,S=2:2,FRS") == 0);
	ATF_REQUIRE(mailbox_set_flags(&mb, a, "T", err, sizeof(err)) == 0);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,T"));
	ATF_CHECK(!exists("M/cur/1.M1P1Q1.h,S=2:2,FRS"));
	/* Gone: ENOENT. */
	ATF_REQUIRE(unlink("M/cur/1.M1P1Q1.h,S=2:2,T") == 0);
	ATF_CHECK(mailbox_set_flags(&mb, a, "S", err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	mailbox_close(&mb);
}

/* Flags set through the API keep the UID across a reopen. */
ATF_TC_WITHOUT_HEAD(set_flags_keeps_uid);
ATF_TC_BODY(set_flags_keeps_uid, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	open_ok(&mb, "M", 0);
	ATF_REQUIRE(mailbox_set_flags(&mb, 1, "S", err, sizeof(err)) == 0);
	mailbox_close(&mb);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 2);
	ATF_CHECK_STREQ(mailbox_name(&mb, 1), "2.M1P1Q1.h:2,S");
	mailbox_close(&mb);
}

ATF_TC_WITHOUT_HEAD(expunge);
ATF_TC_BODY(expunge, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];
	size_t idx[4];

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	putf("M", "cur", "3.M1P1Q1.h:2,", "c\n");
	putf("M", "cur", "4.M1P1Q1.h:2,", "d\n");
	open_ok(&mb, "M", 0);
	/* 1 as is, 2 renamed by another client, 3 already deleted. */
	ATF_REQUIRE(rename("M/new/2.M1P1Q1.h", "M/cur/2.M1P1Q1.h:2,S") == 0);
	ATF_REQUIRE(unlink("M/cur/3.M1P1Q1.h:2,") == 0);
	idx[0] = mailbox_find_uid(&mb, 1);
	idx[1] = mailbox_find_uid(&mb, 2);
	idx[2] = mailbox_find_uid(&mb, 3);
	ATF_REQUIRE_MSG(
	    mailbox_expunge(&mb, idx, 3, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(!exists("M/new/1.M1P1Q1.h"));
	ATF_CHECK(!exists("M/cur/2.M1P1Q1.h:2,S"));
	ATF_CHECK(exists("M/cur/4.M1P1Q1.h:2,"));
	ATF_CHECK(mb.msgs[idx[0]].gone && mb.msgs[idx[1]].gone &&
	    mb.msgs[idx[2]].gone);
	ATF_CHECK(!mb.msgs[mailbox_find_uid(&mb, 4)].gone);
	/* Again: all gone already, still fine; a bad index is not. */
	ATF_CHECK(mailbox_expunge(&mb, idx, 3, err, sizeof(err)) == 0);
	idx[3] = 99;
	ATF_CHECK(mailbox_expunge(&mb, idx, 4, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	mailbox_close(&mb);
	/* The survivor keeps its UID; the list forgets the others. */
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 1);
	ATF_CHECK_EQ(mb.msgs[0].uid, 4);
	mailbox_close(&mb);
}

/* An unlink that fails (not ENOENT) is reported; the others still go. */
ATF_TC_WITHOUT_HEAD(expunge_error);
ATF_TC_BODY(expunge_error, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];
	size_t idx[2];

	if (geteuid() == 0)
		atf_tc_skip("root ignores directory permissions");
	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,", "b\n");
	open_ok(&mb, "M", 0);
	ATF_REQUIRE(chmod("M/new", 0500) == 0);
	idx[0] = 0;
	idx[1] = 1;
	ATF_CHECK(mailbox_expunge(&mb, idx, 2, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EACCES);
	ATF_CHECK_STREQ(err, "M/new/1.M1P1Q1.h: Permission denied");
	ATF_CHECK(!exists("M/cur/2.M1P1Q1.h:2,"));
	ATF_CHECK(!mb.msgs[0].gone && mb.msgs[1].gone);
	ATF_REQUIRE(chmod("M/new", 0700) == 0);
	mailbox_close(&mb);
}

/* Dot files, directories, symlinks and names that are not Maildir
 * names are no messages. */
ATF_TC_WITHOUT_HEAD(ignored_entries);
ATF_TC_BODY(ignored_entries, tc)
{
	struct mailbox mb;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,S", "b\n");
	putf("M", "new", ".hidden", "x\n");
	putf("M", "cur", ".2.M1P1Q1.h:2,S", "x\n");
	putf("M", "cur", ",S=1", "x\n"); /* empty UNIQ */
	putf("M", "cur", "5.M1P1Q1.h:2,S1", "x\n"); /* bad flags */
	putf("M", "cur", "6 space:2,S", "x\n"); /* no space in a UNIQ */
	putf("M", "cur", "7\tx", "x\n");
	ATF_REQUIRE(mkdir("M/cur/8.M1P1Q1.h", 0700) == 0);
	ATF_REQUIRE(symlink("1.M1P1Q1.h", "M/new/9.M1P1Q1.h") == 0);
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 2);
	ATF_CHECK_EQ(uid_of(&mb, "1.M1P1Q1.h"), 1);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 2);
	mailbox_close(&mb);
}

ATF_TC_WITHOUT_HEAD(not_a_maildir);
ATF_TC_BODY(not_a_maildir, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];

	ATF_CHECK(mailbox_open(&mb, "nope", 0, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK_STREQ(err, "nope: not a Maildir (no new/)");
	ATF_REQUIRE(mkdir("M", 0700) == 0);
	ATF_REQUIRE(mkdir("M/new", 0700) == 0);
	ATF_CHECK(mailbox_open(&mb, "M", 0, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK_STREQ(err, "M: not a Maildir (no cur/)");
	put("M/cur", "file\n");
	ATF_CHECK(
	    mailbox_open(&mb, "M", MAILBOX_POP3_EXCL, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	/* No lock file left behind by a refused open. */
	ATF_CHECK(!exists("M/yubin-pop3.lock"));
	mailbox_close(&mb);
}

/* A list that cannot be written is an error, not silent unstable UIDs. */
ATF_TC_WITHOUT_HEAD(readonly_maildir);
ATF_TC_BODY(readonly_maildir, tc)
{
	struct mailbox mb;
	char err[ERR_MAX];

	if (geteuid() == 0)
		atf_tc_skip("root ignores directory permissions");
	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	ATF_REQUIRE(chmod("M", 0500) == 0);
	ATF_CHECK(mailbox_open(&mb, "M", 0, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EACCES);
	ATF_REQUIRE(chmod("M", 0700) == 0);
	/* With the list in place a read-only Maildir opens fine. */
	open_ok(&mb, "M", 0);
	mailbox_close(&mb);
	ATF_REQUIRE(chmod("M", 0500) == 0);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.n, 1);
	mailbox_close(&mb);
	ATF_REQUIRE(chmod("M", 0700) == 0);
}

/* A large mailbox: every file numbered once, in order, reopened via the
 * fast path with the same UIDs. */
ATF_TC_WITHOUT_HEAD(many);
ATF_TC_BODY(many, tc)
{
	enum { N = 10000 };
	struct mailbox mb;
	char name[64];
	ino_t ino;
	int64_t t0, t1;
	size_t i;

	mkmd("M");
	put("src", "x\n");
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%zu.M%zuP1Q1.h,S=2,W=3%s",
		    (size_t)1700000000 + i / 7, i, i % 2 ? ":2,S" : "");
		linkf("src", "M", i % 2 ? "cur" : "new", name);
	}
	t0 = util_now_ms();
	open_ok(&mb, "M", 0);
	t1 = util_now_ms();
	ATF_REQUIRE_EQ(mb.n, N);
	for (i = 0; i < N; i++) {
		/* Delivery order: the i-th name has UID i+1. */
		snprintf(name, sizeof(name), "%zu.M%zuP1Q1.h",
		    (size_t)1700000000 + i / 7, i);
		ATF_REQUIRE_MSG(mb.msgs[i].uid == i + 1 &&
			strncmp(mailbox_name(&mb, i), name, strlen(name)) == 0,
		    "%zu: %s", i, mailbox_name(&mb, i));
		ATF_REQUIRE(mailbox_size_quick(&mb, i) == 3);
	}
	mailbox_close(&mb);
	ino = inode("M/yubin-uidlist");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.n, N);
	ATF_CHECK_EQ(mb.msgs[N - 1].uid, N);
	mailbox_close(&mb);
	ATF_CHECK_EQ(inode("M/yubin-uidlist"), ino);
	printf("first open of %d messages: %lld ms\n", N, (long long)(t1 - t0));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, scan_order);
	ATF_TP_ADD_TC(tp, empty_and_zeroed);
	ATF_TP_ADD_TC(tp, stable_uids);
	ATF_TP_ADD_TC(tp, deleted_and_new);
	ATF_TP_ADD_TC(tp, same_uniq_twice);
	ATF_TP_ADD_TC(tp, corrupt_list);
	ATF_TP_ADD_TC(tp, missing_list);
	ATF_TP_ADD_TC(tp, uidlist_salvage);
	ATF_TP_ADD_TC(tp, sizes_remembered);
	ATF_TP_ADD_TC(tp, corrupt_keeps_validity_apart);
	ATF_TP_ADD_TC(tp, uids_used_up);
	ATF_TP_ADD_TC(tp, uidlist_parse);
	ATF_TP_ADD_TC(tp, concurrent_open);
	ATF_TP_ADD_TC(tp, uidlist_lock_waits);
	ATF_TP_ADD_TC(tp, pop3_lock);
	ATF_TP_ADD_TC(tp, sizes);
	ATF_TP_ADD_TC(tp, open_msg_renamed);
	ATF_TP_ADD_TC(tp, set_flags);
	ATF_TP_ADD_TC(tp, set_flags_keeps_uid);
	ATF_TP_ADD_TC(tp, expunge);
	ATF_TP_ADD_TC(tp, expunge_error);
	ATF_TP_ADD_TC(tp, ignored_entries);
	ATF_TP_ADD_TC(tp, not_a_maildir);
	ATF_TP_ADD_TC(tp, readonly_maildir);
	ATF_TP_ADD_TC(tp, many);
	return atf_no_error();
}
