/*
 * keywords_test: IMAP flags as Maildir info letters: the system flags,
 * keyword names (atoms), the Dovecot keyword file read and written, 26
 * keywords at most, names to masks and back, the map COPY uses.
 * Each case runs in its own empty directory (Kyua's work directory).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "keywords.h"
#include "maildir.h"
#include "uidlist.h"
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

static void
mkmd(const char *dir)
{
	char err[ERR_MAX];

	ATF_REQUIRE_MSG(maildir_create(dir, err, sizeof(err)) == 0, "%s", err);
}

ATF_TC_WITHOUT_HEAD(system_flags);
ATF_TC_BODY(system_flags, tc)
{
	static const struct {
		const char *name;
		int letter;
	} t[] = {
	    {"\\Seen", 'S'},
	    {"\\seen", 'S'},
	    {"\\Answered", 'R'},
	    {"\\Flagged", 'F'},
	    {"\\Deleted", 'T'},
	    {"\\Draft", 'D'},
	    {"\\DRAFT", 'D'},
	    {"\\Recent", 0}, /* not stored */
	    {"\\Passed", 0},
	    {"Seen", 0},
	    {"", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(keywords_system_letter(t[i].name), t[i].letter,
		    "%s", t[i].name);
	ATF_CHECK_STREQ(keywords_system_name('S'), "\\Seen");
	ATF_CHECK_STREQ(keywords_system_name('T'), "\\Deleted");
	ATF_CHECK(keywords_system_name('P') == NULL);
}

/* RFC 3501 §9 flag-keyword: an atom. */
ATF_TC_WITHOUT_HEAD(valid_names);
ATF_TC_BODY(valid_names, tc)
{
	static const struct {
		const char *name;
		int ok;
	} t[] = {
	    {"$Forwarded", 1},
	    {"$MDNSent", 1},
	    {"Junk", 1},
	    {"a-b_c.d+e~!#&'`=?^|", 1},
	    {"[tag", 1},
	    {"", 0},
	    {"two words", 0},
	    {"(x", 0},
	    {"x)", 0},
	    {"{3}", 0},
	    {"100%", 0},
	    {"a*", 0},
	    {"\"q\"", 0},
	    {"\\Seen", 0},
	    {"tag]", 0},
	    {"tab\tx", 0},
	    {"nl\n", 0},
	    {"del\x7f", 0},
	    {"8bit\xc3\xa9", 0},
	};
	char longname[KEYWORD_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(
		    keywords_valid(t[i].name), t[i].ok, "\"%s\"", t[i].name);
	memset(longname, 'k', sizeof(longname) - 1);
	longname[KEYWORD_NAME_MAX] = '\0';
	ATF_CHECK_EQ(keywords_valid(longname), 1);
	longname[KEYWORD_NAME_MAX] = 'k';
	longname[KEYWORD_NAME_MAX + 1] = '\0';
	ATF_CHECK_EQ(keywords_valid(longname), 0);
}

/* Dovecot's "dovecot-keywords": read leniently, written back the way
 * Dovecot writes it. */
ATF_TC_WITHOUT_HEAD(file_format);
ATF_TC_BODY(file_format, tc)
{
	static const char text[] = "0 $Forwarded\n"
				   "3 Junk\n"
				   "25 last\n"
				   "26 beyond\n" /* no letter */
				   "3 again\n" /* number taken */
				   "4 junk\n" /* name taken (case) */
				   "5 two words\n" /* not an atom */
				   "x bad\n" /* no number */
				   "007 zeros\n" /* three digits */
				   "\n" /* empty */
				   "1 $label1\r\n" /* CR: not an atom */
				   "2 NonJunk"; /* last line, no LF */
	struct keywords kw;
	struct buf b;

	keywords_parse(text, strlen(text), &kw);
	ATF_CHECK_EQ(kw.count, 4);
	ATF_CHECK_STREQ(kw.name[0], "$Forwarded");
	ATF_CHECK_STREQ(kw.name[1], "");
	ATF_CHECK_STREQ(kw.name[2], "NonJunk");
	ATF_CHECK_STREQ(kw.name[3], "Junk");
	ATF_CHECK_STREQ(kw.name[25], "last");
	ATF_CHECK_EQ(keywords_find(&kw, "junk"), 3);
	ATF_CHECK_EQ(keywords_find(&kw, "JUNK"), 3);
	ATF_CHECK_EQ(keywords_find(&kw, "nope"), -1);
	buf_init(&b, 0);
	ATF_REQUIRE(keywords_format(&kw, &b) == 0);
	ATF_CHECK_STREQ(
	    buf_cstr(&b), "0 $Forwarded\n2 NonJunk\n3 Junk\n25 last\n");
	buf_free(&b);
	/* From a folder; none when there is no file. */
	mkmd("M");
	ATF_REQUIRE(keywords_load(&kw, "M", NULL, 0) == 0);
	ATF_CHECK_EQ(kw.count, 0);
	put("M/dovecot-keywords", text);
	ATF_REQUIRE(keywords_load(&kw, "M", NULL, 0) == 0);
	ATF_CHECK_EQ(kw.count, 4);
	ATF_CHECK_EQ(keywords_full(&kw), 0);
}

/* New keywords take the lowest free letters, under the lock, and the
 * file is replaced whole; another session's additions are kept. */
ATF_TC_WITHOUT_HEAD(add_round_trip);
ATF_TC_BODY(add_round_trip, tc)
{
	struct keywords kw, other;
	const char *names[3] = {"$Junk", "Work", "$junk"};
	char text[512], err[ERR_MAX];
	struct stat st, st2;

	mkmd("M");
	put("M/dovecot-keywords", "1 Old\n");
	ATF_REQUIRE(keywords_load(&kw, "M", NULL, 0) == 0);
	/* Someone adds one meanwhile: our add reads the file again. */
	put("M/dovecot-keywords", "1 Old\n0 Theirs\n");
	ATF_REQUIRE_MSG(
	    keywords_add(&kw, "M", names, 3, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(kw.count, 4);
	ATF_CHECK_EQ(keywords_find(&kw, "Theirs"), 0);
	ATF_CHECK_EQ(keywords_find(&kw, "$Junk"), 2);
	ATF_CHECK_EQ(keywords_find(&kw, "Work"), 3);
	read_text("M/dovecot-keywords", text, sizeof(text));
	ATF_CHECK_STREQ(text, "0 Theirs\n1 Old\n2 $Junk\n3 Work\n");
	ATF_CHECK(access("M/dovecot-keywords.yubin-tmp", F_OK) == -1);
	ATF_REQUIRE(keywords_load(&other, "M", NULL, 0) == 0);
	ATF_CHECK_EQ(memcmp(&other, &kw, sizeof(kw)), 0);
	/* Nothing new: not written (the file keeps its inode). */
	ATF_REQUIRE(stat("M/dovecot-keywords", &st) == 0);
	ATF_REQUIRE(
	    keywords_add(&kw, "M", names + 1, 1, err, sizeof(err)) == 0);
	ATF_REQUIRE(stat("M/dovecot-keywords", &st2) == 0);
	ATF_CHECK_EQ(st.st_ino, st2.st_ino);
	/* Not a keyword: refused before anything is written. */
	names[0] = "bad name";
	ATF_CHECK(keywords_add(&kw, "M", names, 1, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
}

/* 26 letters: the 27th keyword is refused (ENOSPC) and the folder is
 * full (PERMANENTFLAGS without \*); those that fit are kept. */
ATF_TC_WITHOUT_HEAD(twenty_seventh);
ATF_TC_BODY(twenty_seventh, tc)
{
	struct keywords kw;
	char names[28][16], err[ERR_MAX];
	const char *p[28];
	int i;

	mkmd("M");
	for (i = 0; i < 28; i++) {
		snprintf(names[i], sizeof(names[i]), "k%d", i);
		p[i] = names[i];
	}
	ATF_REQUIRE(keywords_load(&kw, "M", NULL, 0) == 0);
	ATF_REQUIRE(keywords_add(&kw, "M", p, 25, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(keywords_full(&kw), 0);
	/* 26th fits, 27th and 28th do not. */
	ATF_CHECK(keywords_add(&kw, "M", p + 25, 3, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	ATF_CHECK_MSG(strstr(err, "all 26 keywords in use") != NULL, "%s", err);
	ATF_CHECK_EQ(kw.count, 26);
	ATF_CHECK_EQ(keywords_find(&kw, "k25"), 25);
	ATF_CHECK_EQ(keywords_find(&kw, "k26"), -1);
	ATF_CHECK_EQ(keywords_full(&kw), 1);
	ATF_REQUIRE(keywords_load(&kw, "M", NULL, 0) == 0);
	ATF_CHECK_EQ(kw.count, 26);
	/* Old names still work in a full folder. */
	ATF_CHECK(keywords_add(&kw, "M", p, 3, err, sizeof(err)) == 0);
}

/* IMAP names to letters and back, as STORE and FETCH FLAGS use them. */
ATF_TC_WITHOUT_HEAD(masks);
ATF_TC_BODY(masks, tc)
{
	struct keywords kw;
	const char *names[4] = {"\\Seen", "\\deleted", "Work", "$Junk"};
	const char *bad[2] = {"\\Recent", "a b"};
	char err[ERR_MAX];
	uint64_t m;
	struct buf b;

	mkmd("M");
	put("M/dovecot-keywords", "0 $Junk\n");
	ATF_REQUIRE(keywords_load(&kw, "M", NULL, 0) == 0);
	/* Without create, an unknown keyword is simply no letter. */
	ATF_REQUIRE(
	    keywords_mask(&kw, "M", names, 4, 0, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(
	    m, MAILBOX_FLAG('S') | MAILBOX_FLAG('T') | MAILBOX_FLAG('a'));
	ATF_REQUIRE(
	    keywords_mask(&kw, "M", names, 4, 1, &m, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(m,
	    MAILBOX_FLAG('S') | MAILBOX_FLAG('T') | MAILBOX_FLAG('a') |
		MAILBOX_FLAG('b'));
	ATF_CHECK_EQ(keywords_find(&kw, "Work"), 1);
	ATF_CHECK(
	    keywords_mask(&kw, "M", bad, 1, 1, &m, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, EINVAL);
	ATF_CHECK(
	    keywords_mask(&kw, "M", bad + 1, 1, 1, &m, err, sizeof(err)) == -1);
	/* Back to names: system flags first, unnamed letters left out. */
	buf_init(&b, 0);
	ATF_REQUIRE(
	    keywords_names(&kw,
		MAILBOX_FLAG('S') | MAILBOX_FLAG('D') | MAILBOX_FLAG('P') |
		    MAILBOX_FLAG('b') | MAILBOX_FLAG('z') | MAILBOX_FLAG('a'),
		&b) == 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "\\Draft \\Seen $Junk Work");
	buf_free(&b);
	/* The scope of STORE FLAGS: system flags and named keywords. */
	ATF_CHECK_EQ(keywords_scope(&kw),
	    MAILBOX_FLAG('D') | MAILBOX_FLAG('F') | MAILBOX_FLAG('R') |
		MAILBOX_FLAG('S') | MAILBOX_FLAG('T') | MAILBOX_FLAG('a') |
		MAILBOX_FLAG('b'));
}

/* COPY between folders: letters mapped by name, allocated in the
 * target as needed; unnamed letters dropped. */
ATF_TC_WITHOUT_HEAD(map);
ATF_TC_BODY(map, tc)
{
	struct keywords src, dst;
	unsigned char map[KEYWORDS_N];
	char err[ERR_MAX], text[256];

	mkmd("S");
	mkmd("D");
	put("S/dovecot-keywords", "0 Work\n1 $Junk\n2 Home\n");
	put("D/dovecot-keywords", "0 $junk\n");
	ATF_REQUIRE(keywords_load(&src, "S", NULL, 0) == 0);
	ATF_REQUIRE(keywords_load(&dst, "D", NULL, 0) == 0);
	ATF_REQUIRE(
	    keywords_map(&src,
		MAILBOX_FLAG('a') | MAILBOX_FLAG('b') | MAILBOX_FLAG('e'), &dst,
		"D", map, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(map[0], 1); /* Work, new in D */
	ATF_CHECK_EQ(map[1], 0); /* $Junk is D's $junk */
	ATF_CHECK_EQ(map[2], 0xff); /* Home: not used, not added */
	ATF_CHECK_EQ(map[4], 0xff); /* 'e' has no name in S */
	read_text("D/dovecot-keywords", text, sizeof(text));
	ATF_CHECK_STREQ(text, "0 $junk\n1 Work\n");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, system_flags);
	ATF_TP_ADD_TC(tp, valid_names);
	ATF_TP_ADD_TC(tp, file_format);
	ATF_TP_ADD_TC(tp, add_round_trip);
	ATF_TP_ADD_TC(tp, twenty_seventh);
	ATF_TP_ADD_TC(tp, masks);
	ATF_TP_ADD_TC(tp, map);
	return atf_no_error();
}
