/*
 * mailbox_test: the Maildir as POP3/IMAP servers see it: scan order and
 * UID assignment, the UID list (stable across reopen and renames,
 * rebuilt when corrupt, agreed on by concurrent openers), the POP3 lock,
 * sizes, renamed files, flags, expunge and a large mailbox; the version
 * 2 list (MODSEQs, flags, expunge records) and version 1 lists read and
 * upgraded; for IMAP: MODSEQs on new mail, on renames by others and on
 * STORE, UNCHANGEDSINCE, \Recent in one session only, the view's sync,
 * VANISHED, APPEND, COPY and MOVE.
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
	    "yubin-uidlist 2 %lu 5 1 0\n1 999.M5P1Q1.h M=1\n"
	    "2 1000.M9P1Q1.h M=1\n3 1000.M10P1Q1.h M=1\n"
	    "4 1001.M1P1Q1.h M=1 F=S\n",
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
 * client; an unchanged mailbox does not rewrite the list (flags that
 * changed do: their MODSEQs are recorded). */
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
	/* The flags changed: recorded once, then nothing changes. */
	ATF_CHECK(inode("M/yubin-uidlist") != ino);
	ino = inode("M/yubin-uidlist");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(uid_of(&mb, "3.M1P1Q1.h"), c);
	mailbox_close(&mb);
	ATF_CHECK_EQ(inode("M/yubin-uidlist"), ino);
	/* new/ -> cur/ without flags is no change at all. */
	ATF_REQUIRE(
	    rename("M/new/2.M1P1Q1.h,S=2", "M/cur/2.M1P1Q1.h,S=2:2,") == 0);
	open_ok(&mb, "M", 0);
	mailbox_close(&mb);
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
	/* Both remembered as expunged at MODSEQ 2 (QRESYNC). */
	snprintf(want, sizeof(want),
	    "yubin-uidlist 2 %lu 4 2 0\n2 2.M1P1Q1.h M=1\nX 2 1\nX 2 3\n",
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
	struct mailbox_uidlist l;
	struct buf b;

	/* A version 1 list (before MODSEQs) is read as it is. */
	ATF_REQUIRE(mailbox_uidlist_parse(t, strlen(t), &l) == 0);
	ATF_CHECK_EQ(l.version, 1);
	ATF_CHECK_EQ(l.uidvalidity, 42);
	ATF_CHECK_EQ(l.uidnext, 10);
	ATF_CHECK_EQ(l.highestmodseq, 0);
	ATF_REQUIRE_EQ(l.nents, 3);
	/* Sorted by UNIQ. */
	ATF_CHECK(l.ents[0].len == 3 && memcmp(l.ents[0].uniq, "a.y", 3) == 0);
	ATF_CHECK_EQ(l.ents[0].uid, 5);
	ATF_CHECK_EQ(l.ents[0].modseq, 0);
	ATF_CHECK(l.ents[2].len == 1 && l.ents[2].uniq[0] == 'c' &&
	    l.ents[2].uid == 9);
	mailbox_uidlist_free(&l);
	/* Empty list; a parse of a prefix never reads past it. */
	ATF_REQUIRE(mailbox_uidlist_parse(t, 22, &l) == 0);
	ATF_CHECK_EQ(l.nents, 0);
	mailbox_uidlist_free(&l);
	ATF_CHECK(mailbox_uidlist_parse(t, 21, &l) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK_EQ(l.uidvalidity, 0);
	ATF_CHECK(l.ents == NULL);
	/* Corrupt after a good header: the header's values are kept. */
	ATF_CHECK(mailbox_uidlist_parse(t, 30, &l) == -1);
	ATF_CHECK(l.uidvalidity == 42 && l.uidnext == 10);
	/* A line longer than UIDLIST_LINE_MAX is refused. */
	buf_init(&b, 0);
	ATF_REQUIRE(buf_puts(&b, "yubin-uidlist 1 1 2\n1 ") == 0);
	while (b.len < 22 + UIDLIST_LINE_MAX)
		ATF_REQUIRE(buf_putc(&b, 'x') == 0);
	ATF_REQUIRE(buf_putc(&b, '\n') == 0);
	ATF_CHECK(mailbox_uidlist_parse(b.data, b.len, &l) == -1);
	/* Format (version 2), then parse back. */
	buf_reset(&b);
	{
		struct mailbox_uident in[2] = {
		    {"1.a", 3, 3, -1, 7, MAILBOX_FLAG('S') | MAILBOX_FLAG('a')},
		    {"0.b", 3, 4294967294U, 12, 9, 0}};
		struct mailbox_expunged x[2] = {{8, 1, 2}, {9, 5, 5}};
		struct mailbox_uidlist o;

		memset(&o, 0, sizeof(o));
		o.uidvalidity = 4294967295U;
		o.uidnext = 4294967295U;
		o.highestmodseq = 9;
		o.floor = 4;
		o.ents = in;
		o.nents = 2;
		o.exp = x;
		o.nexp = 2;
		ATF_REQUIRE(mailbox_uidlist_format(&b, &o) == 0);
		ATF_CHECK_STREQ(buf_cstr(&b),
		    "yubin-uidlist 2 4294967295 4294967295 9 4\n"
		    "3 1.a M=7 F=Sa\n4294967294 0.b W=12 M=9\n"
		    "X 8 1:2\nX 9 5\n");
		ATF_REQUIRE(mailbox_uidlist_parse(b.data, b.len, &l) == 0);
		ATF_CHECK(l.version == 2 && l.highestmodseq == 9 &&
		    l.floor == 4 && l.nexp == 2);
		ATF_CHECK(l.nents == 2 && l.ents[0].uid == 4294967294U &&
		    l.ents[1].uid == 3);
		ATF_CHECK(l.ents[0].size == 12 && l.ents[1].size == -1);
		ATF_CHECK(l.ents[1].modseq == 7 &&
		    l.ents[1].flags == (MAILBOX_FLAG('S') | MAILBOX_FLAG('a')));
		ATF_CHECK(l.exp[0].lo == 1 && l.exp[0].hi == 2 &&
		    l.exp[1].modseq == 9);
		mailbox_uidlist_free(&l);
		/* What would not parse back is not written. */
		in[0].modseq = 10;
		buf_reset(&b);
		ATF_CHECK(mailbox_uidlist_format(&b, &o) == -1);
		ATF_CHECK_EQ(errno, EINVAL);
		in[0].modseq = 7;
		x[0].hi = 3; /* UID 3 is a message */
		ATF_CHECK(mailbox_uidlist_format(&b, &o) == -1);
	}
	buf_free(&b);
}

/*
 * Version 2 lines, one table: each text is a header and lines, with
 * whether the strict parse takes it and, for the salvage, the lines it
 * drops, the HIGHESTMODSEQ and FLOOR it gives and the records it keeps.
 */
struct v2case {
	const char *what;
	const char *text;
	int parses;
	size_t lost;
	uint64_t hms, floor;
	size_t nents, nexp;
};

#define V2 "yubin-uidlist 2 42 10 20 5\n"

static const struct v2case v2cases[] = {
    {"minimal", V2 "1 a M=1\n", 1, 0, 20, 5, 1, 0},
    {"all fields", V2 "1 a W=5 M=20 F=DFRSTab\n", 1, 0, 20, 5, 1, 0},
    {"records", V2 "1 a M=3\nX 6 2:4\nX 6 7\nX 9 5\n", 1, 0, 20, 5, 1, 3},
    {"no messages", V2 "X 6 2\n", 1, 0, 20, 5, 0, 1},
    {"floor 0", "yubin-uidlist 2 42 10 20 0\n1 a M=1\n", 1, 0, 20, 0, 1, 0},
    {"M missing", V2 "1 a\n2 b M=1\n", 0, 1, 20, 20, 1, 0},
    {"M zero", V2 "1 a M=0\n", 0, 1, 20, 20, 0, 0},
    {"M above HIGHESTMODSEQ", V2 "1 a M=21\n2 b M=1\n", 0, 1, 21, 21, 1, 0},
    {"fields out of order", V2 "1 a M=1 W=5\n", 0, 1, 20, 20, 0, 0},
    {"F empty", V2 "1 a M=1 F=\n", 0, 1, 20, 20, 0, 0},
    {"F unsorted", V2 "1 a M=1 F=SR\n", 0, 1, 20, 20, 0, 0},
    {"F repeated", V2 "1 a M=1 F=SS\n", 0, 1, 20, 20, 0, 0},
    {"F not a letter", V2 "1 a M=1 F=S1\n", 0, 1, 20, 20, 0, 0},
    {"unknown field", V2 "1 a M=1 Z=1\n", 0, 1, 20, 20, 0, 0},
    {"M 2^63", V2 "1 a M=9223372036854775808\n", 0, 1, 20, 20, 0, 0},
    {"record at floor", V2 "1 a M=1\nX 5 2\n", 0, 1, 20, 20, 1, 0},
    {"record above HIGHESTMODSEQ", V2 "1 a M=1\nX 25 2\n", 0, 1, 25, 25, 1, 0},
    {"record on a message", V2 "1 a M=1\nX 6 1\n", 0, 1, 20, 20, 1, 0},
    {"records overlap", V2 "X 6 2:4\nX 7 4\n", 0, 1, 20, 20, 0, 0},
    {"records touch", V2 "X 6 2:4\nX 6 5\n", 0, 1, 20, 20, 0, 0},
    {"records out of order", V2 "X 7 2\nX 6 4\n", 0, 0, 20, 5, 0, 2},
    {"record range backwards", V2 "X 6 4:2\n", 0, 1, 20, 20, 0, 0},
    {"record range of one", V2 "X 6 4:4\n", 0, 1, 20, 20, 0, 0},
    {"record at UIDNEXT", V2 "X 6 10\n", 0, 1, 20, 20, 0, 0},
    {"record before a message", V2 "X 6 2\n1 a M=1\n", 0, 0, 20, 5, 1, 1},
    {"X in version 1", "yubin-uidlist 1 42 10\nX 6 2\n", 0, 1, 0, 0, 0, 0},
    {"version 1 with M", "yubin-uidlist 1 42 10\n1 a M=1\n", 0, 1, 0, 0, 0, 0},
    {"header: floor above", "yubin-uidlist 2 42 10 20 21\n", 0, 0, 0, 0, 0, 0},
    {"header: HIGHESTMODSEQ 0", "yubin-uidlist 2 42 10 0 0\n", 0, 0, 0, 0, 0,
	0},
    {"header: fields missing", "yubin-uidlist 2 42 10 20\n", 0, 0, 0, 0, 0, 0},
    {"header: version 3", "yubin-uidlist 3 42 10 20 5\n", 0, 0, 0, 0, 0, 0},
};

ATF_TC_WITHOUT_HEAD(uidlist_v2);
ATF_TC_BODY(uidlist_v2, tc)
{
	const struct v2case *c;
	struct mailbox_uidlist l;
	size_t i;
	int rc, header_ok;

	for (i = 0; i < sizeof(v2cases) / sizeof(v2cases[0]); i++) {
		c = &v2cases[i];
		rc = mailbox_uidlist_parse(c->text, strlen(c->text), &l);
		ATF_CHECK_EQ_MSG(rc == 0, c->parses, "%s: parse", c->what);
		mailbox_uidlist_free(&l);
		header_ok = strncmp(c->what, "header", 6) != 0;
		rc = mailbox_uidlist_salvage(c->text, strlen(c->text), &l);
		ATF_CHECK_EQ_MSG(rc == 0, header_ok, "%s: salvage", c->what);
		if (rc != 0) {
			ATF_CHECK_EQ(errno, EINVAL);
			continue;
		}
		ATF_CHECK_EQ_MSG(
		    l.lost, c->lost, "%s: lost %zu", c->what, l.lost);
		ATF_CHECK_EQ_MSG(l.highestmodseq, c->hms, "%s: hms %llu",
		    c->what, (unsigned long long)l.highestmodseq);
		ATF_CHECK_EQ_MSG(l.floor, c->floor, "%s: floor %llu", c->what,
		    (unsigned long long)l.floor);
		ATF_CHECK_EQ_MSG(
		    l.nents, c->nents, "%s: ents %zu", c->what, l.nents);
		ATF_CHECK_EQ_MSG(
		    l.nexp, c->nexp, "%s: exp %zu", c->what, l.nexp);
		mailbox_uidlist_free(&l);
	}
}

/* The records stay bounded: the oldest MODSEQs go, and the floor says
 * what is still exactly known. */
ATF_TC_WITHOUT_HEAD(uidlist_expunged_bound);
ATF_TC_BODY(uidlist_expunged_bound, tc)
{
	struct mailbox_uidlist l;
	uint32_t u[3];
	uint64_t m;
	size_t i;

	memset(&l, 0, sizeof(l));
	l.version = 2;
	l.uidvalidity = 1;
	l.uidnext = 4000000000U;
	/* Runs become one record; a gap starts another. */
	u[0] = 1;
	u[1] = 2;
	u[2] = 4;
	ATF_REQUIRE(mailbox_uidlist_add_expunged(&l, u, 3, 2) == 0);
	ATF_REQUIRE_EQ(l.nexp, 2);
	ATF_CHECK(l.exp[0].lo == 1 && l.exp[0].hi == 2 && l.exp[1].lo == 4);
	/* Not above the last MODSEQ: refused. */
	u[0] = 10;
	ATF_CHECK(mailbox_uidlist_add_expunged(&l, u, 1, 2) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	for (i = 0, m = 3; l.floor == 0; i++, m++) {
		u[0] = (uint32_t)(100 + 2 * i);
		ATF_REQUIRE(mailbox_uidlist_add_expunged(&l, u, 1, m) == 0);
		ATF_REQUIRE(l.nexp <= UIDLIST_EXPUNGED_MAX);
	}
	/* The first to go was MODSEQ 2, both its records at once. */
	ATF_CHECK_EQ(l.floor, 2);
	ATF_CHECK_EQ(l.nexp, UIDLIST_EXPUNGED_MAX - 1);
	ATF_CHECK_EQ(l.exp[0].modseq, 3);
	mailbox_uidlist_free(&l);
}

/* The salvage on its own: what it keeps, how many lines it drops, and
 * the UIDNEXT it gives; on a valid list exactly what the parse gives. */
ATF_TC_WITHOUT_HEAD(uidlist_salvage);
ATF_TC_BODY(uidlist_salvage, tc)
{
	static const char ok[] = "yubin-uidlist 1 42 10\n2 b.x W=0\n5 a.y\n"
				 "9 c W=123456789012345678\n";
	const char *t;
	struct mailbox_uidlist l;

	ATF_REQUIRE(mailbox_uidlist_salvage(ok, strlen(ok), &l) == 0);
	ATF_CHECK(l.uidvalidity == 42 && l.uidnext == 10 && l.nents == 3 &&
	    l.lost == 0);
	ATF_CHECK(l.ents[0].uid == 5 && l.ents[0].size == -1);
	ATF_CHECK(l.ents[1].uid == 2 && l.ents[1].size == 0);
	ATF_CHECK(l.ents[2].uid == 9 && l.ents[2].size == 123456789012345678LL);
	mailbox_uidlist_free(&l);
	/* 19 size digits, a size with a sign, a cut tail: each line is
	   dropped alone. */
	t = "yubin-uidlist 1 42 10\n2 b.x W=1234567890123456789\n"
	    "3 c W=-1\n4 d\n5 e W=1\n6 f W";
	ATF_REQUIRE(mailbox_uidlist_salvage(t, strlen(t), &l) == 0);
	ATF_CHECK(l.nents == 2 && l.lost == 3 && l.uidnext == 10);
	ATF_CHECK(
	    l.ents[0].uid == 4 && l.ents[1].uid == 5 && l.ents[1].size == 1);
	mailbox_uidlist_free(&l);
	/* The highest UID a line claims raises UIDNEXT (to 2^32-1 at most):
	   no UID seen in the file is given again. */
	t = "yubin-uidlist 1 42 10\n3 a\n4294967295 b\n";
	ATF_REQUIRE(mailbox_uidlist_salvage(t, strlen(t), &l) == 0);
	ATF_CHECK(l.nents == 1 && l.lost == 1 && l.uidnext == 4294967295U);
	mailbox_uidlist_free(&l);
	/* So does a record's. */
	t = "yubin-uidlist 2 42 10 3 0\n3 a M=1\nX 3 12:15\n";
	ATF_REQUIRE(mailbox_uidlist_salvage(t, strlen(t), &l) == 0);
	ATF_CHECK(l.nents == 1 && l.lost == 1 && l.uidnext == 16 &&
	    l.nexp == 0 && l.floor == 3);
	mailbox_uidlist_free(&l);
	/* Header lost: nothing. */
	t = "yubin-uidlist 1 42\n3 a\n";
	ATF_CHECK(mailbox_uidlist_salvage(t, strlen(t), &l) == -1);
	ATF_CHECK(errno == EINVAL && l.uidvalidity == 0 && l.ents == NULL &&
	    l.nents == 0);
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
			  "\n1 1700000000.M1P1.host W=14 M=1\n"
			  "2 1700000001.M2P2.host W=11 M=1 F=S\n"
			  "3 1700000002.M3P3.host M=1\n") != NULL,
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

/* ---------------------------------------------------------------- */
/* MODSEQs, the IMAP view, STORE, EXPUNGE, APPEND, COPY. */

/* Make new/, cur/ and the list look old, so that mailbox_sync trusts
 * its stamp (MAILBOX_STAMP_SLACK) when nothing changes. */
static void
age(const char *dir)
{
	static const char *const what[] = {"new", "cur", "yubin-uidlist"};
	struct timespec ts[2];
	char p[PATH_MAX];
	size_t i;

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 100;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, what[i]);
		ATF_REQUIRE(utimensat(AT_FDCWD, p, ts, 0) == 0);
	}
}

static void
sync_ok(struct mailbox *mb, struct mailbox_sync_info *in)
{
	char err[ERR_MAX];

	err[0] = '\0';
	ATF_REQUIRE_MSG(mailbox_sync(mb, in, err, sizeof(err)) == 0,
	    "mailbox_sync: %s", err);
}

static void
read_list(const char *dir, struct mailbox_uidlist *l, struct buf *text)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/yubin-uidlist", dir);
	buf_init(text, 0);
	ATF_REQUIRE((fd = open(p, O_RDONLY)) >= 0);
	ATF_REQUIRE(buf_read_fd(text, fd) == 0);
	close(fd);
	ATF_REQUIRE_MSG(mailbox_uidlist_parse(text->data, text->len, l) == 0,
	    "list: %s", buf_cstr(text));
	ATF_REQUIRE_EQ(l->version, 2);
}

/* The MODSEQ the list on disk gives UID uid (0: not there). */
static uint64_t
list_modseq(const char *dir, uint32_t uid, uint64_t *hms)
{
	struct mailbox_uidlist l;
	struct buf t;
	uint64_t m = 0;
	size_t i;

	read_list(dir, &l, &t);
	for (i = 0; i < l.nents; i++)
		if (l.ents[i].uid == uid)
			m = l.ents[i].modseq;
	if (hms != NULL)
		*hms = l.highestmodseq;
	mailbox_uidlist_free(&l);
	buf_free(&t);
	return m;
}

/* New mail gets a MODSEQ above all before it; a reopen that finds
 * nothing new gives none. */
ATF_TC_WITHOUT_HEAD(modseq_new_mail);
ATF_TC_BODY(modseq_new_mail, tc)
{
	struct mailbox mb;
	uint64_t hms;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.msgs[0].modseq, 1);
	ATF_CHECK_EQ(mb.highestmodseq, 1);
	mailbox_close(&mb);
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	putf("M", "new", "3.M1P1Q1.h", "c\n");
	open_ok(&mb, "M", 0);
	ATF_REQUIRE_EQ(mb.n, 3);
	ATF_CHECK_EQ(mb.msgs[0].modseq, 1);
	/* One pass, one MODSEQ for all it found. */
	ATF_CHECK_EQ(mb.msgs[1].modseq, 2);
	ATF_CHECK_EQ(mb.msgs[2].modseq, 2);
	ATF_CHECK_EQ(mb.highestmodseq, 2);
	mailbox_close(&mb);
	ATF_CHECK_EQ(list_modseq("M", 3, &hms), 2);
	ATF_CHECK_EQ(hms, 2);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.highestmodseq, 2);
	mailbox_close(&mb);
}

/* A rename by someone else (a MUA, mpop serve) is a flag change: the
 * next open records it with a new MODSEQ, for that message alone. */
ATF_TC_WITHOUT_HEAD(modseq_outsider_rename);
ATF_TC_BODY(modseq_outsider_rename, tc)
{
	struct mailbox mb;
	uint64_t hms;

	mkmd("M");
	putf("M", "cur", "1.M1P1Q1.h:2,", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,S", "b\n");
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.msgs[1].flags, MAILBOX_FLAG('S'));
	mailbox_close(&mb);
	ATF_REQUIRE(
	    rename("M/cur/2.M1P1Q1.h:2,S", "M/cur/2.M1P1Q1.h:2,FS") == 0);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.msgs[0].modseq, 1);
	ATF_CHECK_EQ(mb.msgs[1].modseq, 2);
	ATF_CHECK_EQ(mb.msgs[1].flags, MAILBOX_FLAG('F') | MAILBOX_FLAG('S'));
	mailbox_close(&mb);
	ATF_CHECK_EQ(list_modseq("M", 2, &hms), 2);
	/* POP3's own flag change is recorded by the next open too. */
	open_ok(&mb, "M", 0);
	ATF_REQUIRE(mailbox_set_flags(&mb, 0, "S", NULL, 0) == 0);
	mailbox_close(&mb);
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.msgs[0].modseq, 3);
	ATF_CHECK_EQ(mb.msgs[1].modseq, 2);
	mailbox_close(&mb);
}

/* STORE: +FLAGS, -FLAGS and FLAGS rename within cur/ (new/ -> cur/),
 * give one new MODSEQ, keep letters IMAP does not show, and write
 * nothing when nothing changes. */
ATF_TC_WITHOUT_HEAD(store_flags);
ATF_TC_BODY(store_flags, tc)
{
	struct mailbox mb;
	struct mailbox_store st;
	char err[ERR_MAX];
	unsigned char res[2];
	size_t idx[2] = {0, 1};
	uint64_t m, hms;
	ino_t ino;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h,S=2", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,P", "b\n");
	open_ok(&mb, "M", MAILBOX_SELECT);
	memset(&st, 0, sizeof(st));
	st.op = MAILBOX_STORE_ADD;
	st.flags = MAILBOX_FLAG('S') | MAILBOX_FLAG('a');
	ATF_REQUIRE_MSG(
	    mailbox_store(&mb, idx, 2, &st, res, &m, err, sizeof(err)) == 0,
	    "%s", err);
	ATF_CHECK(res[0] == MAILBOX_STORED && res[1] == MAILBOX_STORED);
	ATF_CHECK_EQ(m, 2);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,Sa"));
	ATF_CHECK(exists("M/cur/2.M1P1Q1.h:2,PSa"));
	ATF_CHECK_EQ(mb.msgs[0].modseq, 2);
	ATF_CHECK_EQ(mb.highestmodseq, 2);
	ATF_CHECK_EQ(list_modseq("M", 1, &hms), 2);
	ATF_CHECK_EQ(hms, 2);
	/* FLAGS (\Flagged) over the IMAP letters: P stays. */
	st.op = MAILBOX_STORE_REPLACE;
	st.flags = MAILBOX_FLAG('F');
	st.scope = MAILBOX_FLAG('S') | MAILBOX_FLAG('F') | MAILBOX_FLAG('a');
	ATF_REQUIRE(mailbox_store(
			&mb, idx + 1, 1, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(res[0], MAILBOX_STORED);
	ATF_CHECK_EQ(m, 3);
	ATF_CHECK(exists("M/cur/2.M1P1Q1.h:2,FP"));
	/* Nothing to change: SAME, no MODSEQ, no write. */
	ino = inode("M/yubin-uidlist");
	ATF_REQUIRE(mailbox_store(
			&mb, idx + 1, 1, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(res[0], MAILBOX_STORE_SAME);
	ATF_CHECK_EQ(m, 0);
	ATF_CHECK_EQ(inode("M/yubin-uidlist"), ino);
	/* -FLAGS. */
	st.op = MAILBOX_STORE_REMOVE;
	st.flags = MAILBOX_FLAG('S');
	ATF_REQUIRE(
	    mailbox_store(&mb, idx, 1, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK(res[0] == MAILBOX_STORED && m == 4);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h,S=2:2,a"));
	/* Gone under us: GONE, the rest goes on. */
	ATF_REQUIRE(unlink("M/cur/2.M1P1Q1.h:2,FP") == 0);
	st.op = MAILBOX_STORE_ADD;
	st.flags = MAILBOX_FLAG('T');
	ATF_REQUIRE(
	    mailbox_store(&mb, idx, 2, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK(res[0] == MAILBOX_STORED && res[1] == MAILBOX_STORE_GONE);
	mailbox_close(&mb);
	/* The next open agrees with what STORE recorded. */
	open_ok(&mb, "M", 0);
	ATF_CHECK_EQ(mb.msgs[0].modseq, 5);
	ATF_CHECK_EQ(mb.msgs[0].flags, MAILBOX_FLAG('T') | MAILBOX_FLAG('a'));
	mailbox_close(&mb);
}

/* UNCHANGEDSINCE (RFC 7162 §3.1.3): a message changed after the given
 * MODSEQ is not touched and reported MODIFIED; 0 always fails; a rename
 * nobody recorded yet counts as newer than anything. */
ATF_TC_WITHOUT_HEAD(store_unchangedsince);
ATF_TC_BODY(store_unchangedsince, tc)
{
	struct mailbox a, b;
	struct mailbox_store st;
	char err[ERR_MAX];
	unsigned char res[2];
	size_t idx[2] = {0, 1};
	uint64_t m;

	mkmd("M");
	putf("M", "cur", "1.M1P1Q1.h:2,", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,", "b\n");
	open_ok(&a, "M", MAILBOX_SELECT);
	open_ok(&b, "M", MAILBOX_SELECT);
	memset(&st, 0, sizeof(st));
	st.op = MAILBOX_STORE_ADD;
	st.flags = MAILBOX_FLAG('S');
	/* b changes message 1; a, holding MODSEQ 1, may not. */
	ATF_REQUIRE(
	    mailbox_store(&b, idx, 1, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(m, 2);
	st.flags = MAILBOX_FLAG('F');
	st.conditional = 1;
	st.unchangedsince = 1;
	ATF_REQUIRE(
	    mailbox_store(&a, idx, 2, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(res[0], MAILBOX_STORE_MODIFIED);
	ATF_CHECK_EQ(res[1], MAILBOX_STORED);
	ATF_CHECK_EQ(m, 3);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h:2,S"));
	ATF_CHECK(exists("M/cur/2.M1P1Q1.h:2,F"));
	/* With the MODSEQ it now has, it works. */
	st.unchangedsince = 2;
	ATF_REQUIRE(
	    mailbox_store(&a, idx, 1, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(res[0], MAILBOX_STORED);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h:2,FS"));
	/* 0 always fails (every MODSEQ is at least 1). */
	st.unchangedsince = 0;
	ATF_REQUIRE(
	    mailbox_store(&a, idx, 2, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK(res[0] == MAILBOX_STORE_MODIFIED &&
	    res[1] == MAILBOX_STORE_MODIFIED && m == 0);
	/* A MUA renames message 2; nothing recorded it: even the newest
	   MODSEQ a client could hold is too old, and the change gets one. */
	ATF_REQUIRE(
	    rename("M/cur/2.M1P1Q1.h:2,F", "M/cur/2.M1P1Q1.h:2,FR") == 0);
	st.unchangedsince = a.highestmodseq;
	st.flags = MAILBOX_FLAG('T');
	ATF_REQUIRE(
	    mailbox_store(&a, idx + 1, 1, &st, res, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(res[0], MAILBOX_STORE_MODIFIED);
	ATF_CHECK_EQ(m, 5);
	ATF_CHECK_EQ(a.msgs[1].changed, 1);
	ATF_CHECK(exists("M/cur/2.M1P1Q1.h:2,FR"));
	mailbox_close(&a);
	mailbox_close(&b);
}

/* \Recent: the first SELECT moves new/ to cur/ and has them; a second
 * SELECT and an EXAMINE have none; mail arriving later goes to the one
 * session whose sync moves it first. */
ATF_TC_WITHOUT_HEAD(recent_once);
ATF_TC_BODY(recent_once, tc)
{
	struct mailbox a, b, e;
	struct mailbox_sync_info in;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "new", "2.M1P1Q1.h", "b\n");
	putf("M", "cur", "3.M1P1Q1.h:2,S", "c\n");
	open_ok(&e, "M", 0);
	ATF_CHECK_EQ(e.nrecent, 0);
	ATF_CHECK(exists("M/new/1.M1P1Q1.h")); /* EXAMINE moves nothing */
	open_ok(&a, "M", MAILBOX_SELECT);
	ATF_CHECK_EQ(a.nrecent, 2);
	ATF_CHECK(a.msgs[0].recent && a.msgs[1].recent && !a.msgs[2].recent);
	ATF_CHECK(exists("M/cur/1.M1P1Q1.h:2,"));
	ATF_CHECK(!exists("M/new/1.M1P1Q1.h"));
	open_ok(&b, "M", MAILBOX_SELECT);
	ATF_CHECK_EQ(b.nrecent, 0);
	/* The EXAMINE view still reads its (moved) messages. */
	{
		int fd = mailbox_open_msg(&e, 0, NULL, 0);

		ATF_CHECK(fd >= 0);
		close(fd);
	}
	putf("M", "new", "4.M1P1Q1.h", "d\n");
	sync_ok(&b, &in);
	ATF_CHECK_EQ(in.added, 1);
	ATF_CHECK_EQ(b.nrecent, 1);
	ATF_CHECK(b.msgs[3].recent);
	sync_ok(&a, &in);
	ATF_CHECK_EQ(in.added, 1);
	ATF_CHECK_EQ(a.nrecent, 2);
	ATF_CHECK(!a.msgs[3].recent);
	mailbox_close(&a);
	mailbox_close(&b);
	mailbox_close(&e);
}

/* Two processes SELECT at once while mail is in new/: each message is
 * recent in exactly one of them. */
ATF_TC_WITHOUT_HEAD(recent_race);
ATF_TC_BODY(recent_race, tc)
{
	enum { N = 300, KIDS = 2 };
	struct mailbox mb;
	char name[64], out[16], line[64];
	unsigned long uid, seen[N + 1];
	int k, st, pfd[KIDS][2], total = 0;
	pid_t pid[KIDS];
	FILE *f;
	size_t i;

	mkmd("M");
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%zu.M1P1Q1.h", 1000 + i);
		putf("M", "new", name, "x\n");
	}
	open_ok(&mb, "M", 0); /* number them first */
	mailbox_close(&mb);
	for (k = 0; k < KIDS; k++) {
		ATF_REQUIRE(pipe(pfd[k]) == 0);
		pid[k] = fork();
		ATF_REQUIRE(pid[k] >= 0);
		if (pid[k] == 0) {
			char c;

			close(pfd[k][1]);
			if (read(pfd[k][0], &c, 1) != 1 ||
			    mailbox_open(&mb, "M", MAILBOX_SELECT, NULL, 0) !=
				0)
				_exit(1);
			snprintf(out, sizeof(out), "r%d", k);
			if ((f = fopen(out, "w")) == NULL)
				_exit(1);
			for (i = 0; i < mb.n; i++)
				if (mb.msgs[i].recent)
					fprintf(f, "%lu\n",
					    (unsigned long)mb.msgs[i].uid);
			_exit(fclose(f) == 0 ? 0 : 1);
		}
		close(pfd[k][0]);
	}
	for (k = 0; k < KIDS; k++) {
		ATF_REQUIRE(write(pfd[k][1], "g", 1) == 1);
		close(pfd[k][1]);
	}
	for (k = 0; k < KIDS; k++) {
		ATF_REQUIRE(waitpid(pid[k], &st, 0) == pid[k]);
		ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	memset(seen, 0, sizeof(seen));
	for (k = 0; k < KIDS; k++) {
		snprintf(out, sizeof(out), "r%d", k);
		ATF_REQUIRE((f = fopen(out, "r")) != NULL);
		while (fgets(line, sizeof(line), f) != NULL) {
			uid = strtoul(line, NULL, 10);
			ATF_REQUIRE(uid >= 1 && uid <= N);
			ATF_CHECK_EQ_MSG(seen[uid], 0, "UID %lu twice", uid);
			seen[uid]++;
			total++;
		}
		fclose(f);
	}
	ATF_CHECK_EQ(total, N);
}

/* A session's sync: new mail (EXISTS), another session's flag change
 * (FETCH) and expunge (kept in the view until reported, then EXPUNGE
 * by sequence number, highest first); nothing when nothing changed. */
ATF_TC_WITHOUT_HEAD(sync_changes);
ATF_TC_BODY(sync_changes, tc)
{
	struct mailbox a, b;
	struct mailbox_sync_info in;
	struct mailbox_store st;
	char err[ERR_MAX];
	unsigned char res[1];
	uint32_t seqs[4], uids[4];
	size_t idx[2];
	uint64_t m;

	mkmd("M");
	putf("M", "cur", "1.M1P1Q1.h:2,", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,", "b\n");
	putf("M", "cur", "3.M1P1Q1.h:2,", "c\n");
	putf("M", "cur", "4.M1P1Q1.h:2,", "d\n");
	open_ok(&a, "M", MAILBOX_SELECT);
	open_ok(&b, "M", MAILBOX_SELECT);
	age("M");
	sync_ok(&a, &in); /* the stamps changed: a scan that finds nothing */
	ATF_CHECK(in.scanned == 1 && in.added + in.expunged + in.changed == 0);
	sync_ok(&a, &in);
	ATF_CHECK_EQ(in.scanned, 0); /* old stamps, unchanged: no scan */
	/* b: \Seen on 3, expunges 2 and 4; new mail arrives. */
	memset(&st, 0, sizeof(st));
	st.op = MAILBOX_STORE_ADD;
	st.flags = MAILBOX_FLAG('S');
	idx[0] = 2;
	ATF_REQUIRE(
	    mailbox_store(&b, idx, 1, &st, res, &m, err, sizeof(err)) == 0);
	idx[0] = 1;
	idx[1] = 3;
	ATF_REQUIRE_MSG(
	    mailbox_remove(&b, idx, 2, &m, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(m, 3);
	ATF_CHECK_EQ(b.nexpunged, 2);
	ATF_CHECK_EQ(b.highestmodseq, 2); /* held back until reported */
	putf("M", "new", "5.M1P1Q1.h", "e\n");
	sync_ok(&a, &in);
	ATF_CHECK(in.scanned == 1 && in.added == 1 && in.expunged == 2 &&
	    in.changed == 1);
	/* Sequence numbers stay as the client knows them. */
	ATF_REQUIRE_EQ(a.n, 5);
	ATF_CHECK(a.msgs[1].expunged && a.msgs[3].expunged);
	ATF_CHECK(a.msgs[2].changed && a.msgs[2].flags == MAILBOX_FLAG('S') &&
	    a.msgs[2].modseq == 2);
	ATF_CHECK_EQ(a.msgs[4].uid, 5);
	ATF_CHECK(a.msgs[4].recent);
	/* Fetching an expunged message: a clean ENOENT. */
	ATF_CHECK(mailbox_open_msg(&a, 1, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	ATF_CHECK(a.highestmodseq < 3);
	ATF_CHECK_EQ(mailbox_take_expunged(&a, seqs, uids), 2);
	ATF_CHECK(seqs[0] == 4 && seqs[1] == 2);
	ATF_CHECK(uids[0] == 2 && uids[1] == 4);
	ATF_REQUIRE_EQ(a.n, 3);
	ATF_CHECK(
	    a.msgs[0].uid == 1 && a.msgs[1].uid == 3 && a.msgs[2].uid == 5);
	ATF_CHECK_EQ(a.highestmodseq, a.modseq);
	ATF_CHECK(a.highestmodseq >= 3);
	/* b reports its own the same way. */
	ATF_CHECK_EQ(mailbox_take_expunged(&b, seqs, NULL), 2);
	ATF_CHECK(seqs[0] == 4 && seqs[1] == 2);
	ATF_CHECK_EQ(b.highestmodseq, 3);
	mailbox_close(&a);
	mailbox_close(&b);
}

/* VANISHED (EARLIER): exact above the floor, every UID not present
 * below it; never a UID the view has. */
ATF_TC_WITHOUT_HEAD(vanished);
ATF_TC_BODY(vanished, tc)
{
	struct mailbox mb;
	struct mailbox_range set[2], *out;
	char err[ERR_MAX], name[32];
	size_t idx[3], n, i;
	uint64_t m1, m2;

	mkmd("M");
	for (i = 1; i <= 8; i++) {
		snprintf(name, sizeof(name), "%zu.M1P1Q1.h:2,", i);
		putf("M", "cur", name, "x\n");
	}
	open_ok(&mb, "M", MAILBOX_SELECT);
	idx[0] = 1; /* UID 2 */
	idx[1] = 2; /* UID 3 */
	ATF_REQUIRE(mailbox_remove(&mb, idx, 2, &m1, err, sizeof(err)) == 0);
	idx[0] = 5; /* UID 6 */
	ATF_REQUIRE(mailbox_remove(&mb, idx, 1, &m2, err, sizeof(err)) == 0);
	ATF_CHECK(m1 == 2 && m2 == 3);
	/* The view still has them: nothing vanished for this session. */
	set[0].lo = 1;
	set[0].hi = 100;
	ATF_REQUIRE(
	    mailbox_vanished(&mb, 1, set, 1, &out, &n, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(n, 0);
	free(out);
	(void)mailbox_take_expunged(&mb, NULL, NULL);
	/* Since 1: 2:3 and 6; since 2: 6 only; within a set. */
	ATF_REQUIRE(
	    mailbox_vanished(&mb, 1, set, 1, &out, &n, err, sizeof(err)) == 0);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK(out[0].lo == 2 && out[0].hi == 3 && out[1].lo == 6 &&
	    out[1].hi == 6);
	free(out);
	ATF_REQUIRE(
	    mailbox_vanished(&mb, 2, set, 1, &out, &n, err, sizeof(err)) == 0);
	ATF_CHECK(n == 1 && out[0].lo == 6 && out[0].hi == 6);
	free(out);
	set[0].lo = 3;
	set[0].hi = 5;
	set[1].lo = 1; /* unsorted, overlapping: fine */
	set[1].hi = 3;
	ATF_REQUIRE(
	    mailbox_vanished(&mb, 1, set, 2, &out, &n, err, sizeof(err)) == 0);
	ATF_CHECK(n == 1 && out[0].lo == 2 && out[0].hi == 3);
	free(out);
	/* Below the floor (a version 1 list forgot its past): every UID
	   of the set below UIDNEXT that is no message. */
	mailbox_close(&mb);
	{
		struct mailbox_uidlist l;
		struct buf t, o;

		read_list("M", &l, &t);
		l.floor = 2;
		l.exp[0] = l.exp[l.nexp - 1];
		l.nexp = 1; /* only MODSEQ 3 kept */
		buf_init(&o, 0);
		ATF_REQUIRE(mailbox_uidlist_format(&o, &l) == 0);
		put("M/yubin-uidlist", buf_cstr(&o));
		buf_free(&o);
		buf_free(&t);
		mailbox_uidlist_free(&l);
	}
	open_ok(&mb, "M", 0);
	set[0].lo = 1;
	set[0].hi = 100;
	ATF_REQUIRE(
	    mailbox_vanished(&mb, 1, set, 1, &out, &n, err, sizeof(err)) == 0);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK(out[0].lo == 2 && out[0].hi == 3 && out[1].lo == 6 &&
	    out[1].hi == 6);
	free(out);
	ATF_REQUIRE(
	    mailbox_vanished(&mb, 2, set, 1, &out, &n, err, sizeof(err)) == 0);
	ATF_CHECK(n == 1 && out[0].lo == 6);
	free(out);
	mailbox_close(&mb);
}

/* An old (version 1) list keeps its UIDs and UIDVALIDITY and is
 * upgraded at the next open; mpop serve's path reads it the same. */
ATF_TC_WITHOUT_HEAD(old_list_upgraded);
ATF_TC_BODY(old_list_upgraded, tc)
{
	struct mailbox mb;
	struct mailbox_uidlist l;
	struct buf t;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	putf("M", "cur", "2.M1P1Q1.h:2,RS", "b\n");
	putf("M", "cur", "3.M1P1Q1.h:2,", "c\n");
	put("M/yubin-uidlist",
	    "yubin-uidlist 1 77 40\n17 1.M1P1Q1.h W=2\n23 2.M1P1Q1.h\n");
	open_ok(&mb, "M", MAILBOX_POP3_EXCL);
	ATF_CHECK_EQ(mb.uidvalidity, 77);
	ATF_CHECK_EQ(mb.reset + mb.repaired, 0);
	ATF_CHECK_EQ(uid_of(&mb, "1.M1P1Q1.h"), 17);
	ATF_CHECK_EQ(uid_of(&mb, "2.M1P1Q1.h"), 23);
	ATF_CHECK_EQ(uid_of(&mb, "3.M1P1Q1.h"), 40);
	ATF_CHECK_EQ(mailbox_size(&mb, 0), 2);
	ATF_CHECK_EQ(mb.highestmodseq, 1);
	mailbox_close(&mb);
	read_list("M", &l, &t);
	ATF_CHECK_STREQ(buf_cstr(&t),
	    "yubin-uidlist 2 77 41 1 1\n17 1.M1P1Q1.h W=2 M=1\n"
	    "23 2.M1P1Q1.h M=1 F=RS\n40 3.M1P1Q1.h M=1\n");
	mailbox_uidlist_free(&l);
	buf_free(&t);
}

/* APPEND: the date becomes the mtime (INTERNALDATE), flags go into the
 * new/ name's info (recent for a SELECT, RFC 3501 §6.3.11), the UID is
 * given at once (APPENDUID). */
ATF_TC_WITHOUT_HEAD(append);
ATF_TC_BODY(append, tc)
{
	struct maildir_namer nm;
	struct maildir_file f;
	struct mailbox mb;
	struct timespec ts;
	char err[ERR_MAX];
	uint32_t v, uid;
	time_t date = 1234567890;

	mkmd("M");
	putf("M", "new", "1.M1P1Q1.h", "a\n");
	open_ok(&mb, "M", 0);
	mailbox_close(&mb);
	maildir_namer_init(&nm, "host");
	ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_write(
			&f, "Subject: x\n\nbody\n", 17, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	ATF_REQUIRE_MSG(
	    mailbox_append("M", &f, MAILBOX_FLAG('S') | MAILBOX_FLAG('b'),
		&date, &v, &uid, err, sizeof(err)) == 0,
	    "%s", err);
	ATF_CHECK_EQ(uid, 2);
	ATF_CHECK_EQ(v, mb.uidvalidity);
	open_ok(&mb, "M", MAILBOX_SELECT);
	ATF_REQUIRE_EQ(mb.n, 2);
	ATF_CHECK_EQ(mb.msgs[1].uid, 2);
	ATF_CHECK_EQ(mb.msgs[1].sub, MAILBOX_CUR);
	ATF_CHECK_EQ(mb.msgs[1].flags, MAILBOX_FLAG('S') | MAILBOX_FLAG('b'));
	ATF_CHECK_EQ(mb.msgs[1].recent, 1); /* new/ with flags, claimed */
	ATF_CHECK_EQ(mb.msgs[1].modseq, 2);
	ATF_CHECK_EQ(mailbox_size(&mb, 1), 20);
	ATF_REQUIRE(mailbox_internaldate(&mb, 1, &ts, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(ts.tv_sec, date);
	mailbox_close(&mb);
	/* No flags, no date: new/, the time now, recent for a SELECT. */
	ATF_REQUIRE(maildir_open(&f, "M", &nm, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_write(&f, "x\n", 2, err, sizeof(err)) == 0);
	ATF_REQUIRE(maildir_sync(&f, err, sizeof(err)) == 0);
	ATF_REQUIRE(
	    mailbox_append("M", &f, 0, NULL, &v, &uid, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(uid, 3);
	open_ok(&mb, "M", MAILBOX_SELECT);
	ATF_CHECK(mb.msgs[2].recent);
	ATF_REQUIRE(mailbox_internaldate(&mb, 2, &ts, err, sizeof(err)) == 0);
	ATF_CHECK(ts.tv_sec > date);
	mailbox_close(&mb);
	/* A file not written is refused (and nothing is left in tmp/). */
	memset(&f, 0, sizeof(f));
	f.dfd = -1;
	ATF_CHECK(
	    mailbox_append("M", &f, 0, NULL, &v, &uid, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
}

/* COPY: new UIDs in the target, in order (COPYUID), hard links, flags
 * kept and keywords translated; a message gone fails it all; MOVE
 * expunges the originals. */
ATF_TC_WITHOUT_HEAD(copy_move);
ATF_TC_BODY(copy_move, tc)
{
	struct maildir_namer nm;
	struct mailbox s, d;
	unsigned char kwmap[26];
	char err[ERR_MAX], p[PATH_MAX], q[PATH_MAX];
	uint32_t v, uids[3];
	size_t idx[3];
	uint64_t m;

	mkmd("S");
	mkmd("D");
	putf("S", "new", "1.M1P1Q1.h", "a\n");
	putf("S", "cur", "2.M1P1Q1.h:2,Sb", "b\n");
	putf("S", "cur", "3.M1P1Q1.h:2,T", "c\n");
	putf("D", "cur", "9.M1P1Q1.h:2,", "z\n");
	open_ok(&d, "D", 0);
	mailbox_close(&d);
	maildir_namer_init(&nm, "host");
	open_ok(&s, "S", 0);
	memset(kwmap, 0xff, sizeof(kwmap));
	kwmap[1] = 4; /* b -> e */
	idx[0] = 2;
	idx[1] = 0;
	idx[2] = 1;
	ATF_REQUIRE_MSG(mailbox_copy(&s, idx, 3, "D", kwmap, &nm, &v, uids, err,
			    sizeof(err)) == 0,
	    "%s", err);
	open_ok(&d, "D", 0);
	ATF_CHECK_EQ(v, d.uidvalidity);
	ATF_CHECK(uids[0] == 2 && uids[1] == 3 && uids[2] == 4);
	ATF_REQUIRE_EQ(d.n, 4);
	ATF_CHECK_EQ(d.msgs[1].flags, MAILBOX_FLAG('T'));
	ATF_CHECK_EQ(d.msgs[2].sub, MAILBOX_NEW); /* unflagged new/ mail */
	ATF_CHECK_EQ(d.msgs[3].flags, MAILBOX_FLAG('S') | MAILBOX_FLAG('e'));
	ATF_CHECK_EQ(mailbox_size(&d, 3), 3);
	ATF_REQUIRE(mailbox_path(&s, 1, p, sizeof(p)) == 0);
	ATF_REQUIRE(mailbox_path(&d, 3, q, sizeof(q)) == 0);
	ATF_CHECK_EQ(inode(p), inode(q)); /* a link, not a copy */
	mailbox_close(&d);
	/* Gone at the source: the copies made before it are taken back. */
	ATF_REQUIRE(unlink("S/cur/3.M1P1Q1.h:2,T") == 0);
	idx[0] = 0;
	idx[1] = 1;
	idx[2] = 2;
	ATF_CHECK(mailbox_copy(&s, idx, 3, "D", NULL, &nm, &v, uids, err,
		      sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	open_ok(&d, "D", 0);
	ATF_CHECK_EQ(d.n, 4);
	mailbox_close(&d);
	/* MOVE: copied, then expunged from the source view and disk. */
	idx[0] = 0;
	idx[1] = 1;
	ATF_REQUIRE_MSG(mailbox_move(&s, idx, 2, "D", NULL, &nm, &v, uids, &m,
			    err, sizeof(err)) == 0,
	    "%s", err);
	ATF_CHECK(uids[0] == 5 && uids[1] == 6);
	ATF_CHECK(m > 0 && s.nexpunged == 2);
	ATF_CHECK(!exists("S/new/1.M1P1Q1.h"));
	mailbox_close(&s);
	open_ok(&s, "S", 0);
	ATF_CHECK_EQ(s.n, 0);
	mailbox_close(&s);
	open_ok(&d, "D", 0);
	ATF_CHECK_EQ(d.n, 6);
	ATF_CHECK_EQ(d.msgs[5].flags, MAILBOX_FLAG('S') | MAILBOX_FLAG('b'));
	mailbox_close(&d);
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
	ATF_TP_ADD_TC(tp, uidlist_v2);
	ATF_TP_ADD_TC(tp, uidlist_expunged_bound);
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
	ATF_TP_ADD_TC(tp, modseq_new_mail);
	ATF_TP_ADD_TC(tp, modseq_outsider_rename);
	ATF_TP_ADD_TC(tp, store_flags);
	ATF_TP_ADD_TC(tp, store_unchangedsince);
	ATF_TP_ADD_TC(tp, recent_once);
	ATF_TP_ADD_TC(tp, recent_race);
	ATF_TP_ADD_TC(tp, sync_changes);
	ATF_TP_ADD_TC(tp, vanished);
	ATF_TP_ADD_TC(tp, old_list_upgraded);
	ATF_TP_ADD_TC(tp, append);
	ATF_TP_ADD_TC(tp, copy_move);
	return atf_no_error();
}
