/*
 * queue_test: the outbound queue (common/queue): the envelope and
 * journal codec (a table of good and bad inputs), and the store: enqueue
 * durably with nothing left in tmp/, the listing, load, journal appends,
 * a torn last line, compaction, removal, the lock between two runners.
 * Each case runs in its own empty directory (Kyua's work directory).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "queue.h"
#include "util.h"

#define HDR                                                             \
	"yubin-queue 1\nid Q1\ncreated 1733130000\n"                    \
	"size 00000000000000000000\nfrom alice@example.org\nenvid -\n" \
	"ret -\nbody 7bit\nsmtputf8 0\norigin -\n"

ATF_TC_WITHOUT_HEAD(env_table);
ATF_TC_BODY(env_table, tc)
{
	static const struct {
		const char *in;
		int ok; /* 1 parses, 0 needs more, -1 refused */
		size_t nr;
	} t[] = {
	    {HDR "rcpt bob@example.net - -\n\n", 1, 1},
	    {HDR "rcpt bob@example.net FD rfc822;bob%40x\n"
		 "rcpt c@example.com S -\n\nMESSAGE",
		1, 2},
	    {HDR "rcpt bob@example.net - -\n", 0, 0}, /* no blank line */
	    {HDR "\n", -1, 0}, /* no recipient */
	    {"yubin-queue 2\n", -1, 0},
	    {HDR "rcpt a@b NF -\n\n", -1, 0}, /* NEVER with FAILURE */
	    {HDR "rcpt a@b X -\n\n", -1, 0},
	    {HDR "rcpt - - -\n\n", -1, 0}, /* empty forward-path */
	    {HDR "rcpt a@b -\n\n", -1, 0}, /* a word short */
	    {HDR "rcpt a@b - - x\n\n", -1, 0}, /* a word over */
	    {HDR "rcpt a%00b - -\n\n", -1, 0}, /* an encoded NUL */
	    {HDR "rcpt a%4 - -\n\n", -1, 0}, /* a bad escape */
	    {HDR "rcpt a@b  - -\n\n", -1, 0}, /* two spaces */
	    {HDR "unknown x\nrcpt a@b - -\n\n", -1, 0},
	    {HDR "from b@example.org\nrcpt a@b - -\n\n", -1, 0}, /* twice */
	    {"yubin-queue 1\nid Q%201\nfrom -\n"
	     "size 00000000000000000000\nrcpt a@b - -\n\n",
		-1, 0}, /* an ID with a space */
	    {HDR "origin x\nrcpt a@b - -\n\n", -1, 0}, /* twice */
	    {"yubin-queue 1\nid Q1\nsize 00000000000000000000\n"
	     "rcpt a@b - -\n\n",
		-1, 0}, /* no from */
	    {"yubin-queue 1\nid Q1\nfrom -\nsize 12\nrcpt a@b - -\n\n", -1,
		0}, /* size not 20 digits */
	    {"yubin-queue 1\nid ../x\nfrom -\n"
	     "size 00000000000000000000\nrcpt a@b - -\n\n",
		-1, 0}, /* an ID with a slash */
	    {HDR " rcpt a@b - -\n\n", -1, 0}, /* a leading space */
	};
	struct queue_env e;
	char err[ERR_MAX];
	size_t i;
	ssize_t h;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		queue_env_init(&e);
		h = queue_env_parse(&e, t[i].in, strlen(t[i].in), err,
		    sizeof(err));
		if (t[i].ok == 1) {
			ATF_CHECK_MSG(h > 0, "row %zu: %zd %s", i, h, err);
			ATF_CHECK_EQ_MSG(e.nr, t[i].nr, "row %zu", i);
			ATF_CHECK_MSG(h > 0 && t[i].in[h - 1] == '\n' &&
				t[i].in[h - 2] == '\n',
			    "row %zu: length %zd", i, h);
		} else
			ATF_CHECK_EQ_MSG(h, t[i].ok, "row %zu: %zd", i, h);
		/* A refusal says why, never with a word it did not find. */
		if (h == -1)
			ATF_CHECK_MSG(err[0] != '\0' &&
				strstr(err, "(null)") == NULL,
			    "row %zu: %s", i, err);
		queue_env_free(&e);
	}
	/* The origin: QUEUE_ORIGIN_MAX octets, all '-' (each written as
	   %2D), parse and format back within a line; one more is refused. */
	for (i = 0; i <= 1; i++) {
		static const char head[] = "yubin-queue 1\nid Q1\nfrom -\n"
					   "size 00000000000000000000\norigin ";
		static const char tail[] = "\nrcpt a@b - -\n\n";
		size_t olen = QUEUE_ORIGIN_MAX + i;
		struct queue_env f;
		struct buf in, out;

		buf_init(&in, 0);
		buf_init(&out, 0);
		ATF_REQUIRE(buf_puts(&in, head) == 0);
		while (olen-- > 0)
			ATF_REQUIRE(buf_putc(&in, '-') == 0);
		ATF_REQUIRE(buf_puts(&in, tail) == 0);
		queue_env_init(&e);
		queue_env_init(&f);
		h = queue_env_parse(&e, in.data, in.len, err, sizeof(err));
		if (i == 1)
			ATF_CHECK_EQ_MSG(h, -1, "origin over the bound: %zd", h);
		else {
			ATF_CHECK_EQ_MSG(h, (ssize_t)in.len, "%s", err);
			ATF_REQUIRE(queue_env_format(&e, 0, &out) == 0);
			ATF_CHECK_EQ_MSG(queue_env_parse(&f, out.data, out.len,
					     err, sizeof(err)),
			    (ssize_t)out.len, "formatted back: %s", err);
			ATF_CHECK(e.origin != NULL && f.origin != NULL &&
			    strcmp(f.origin, e.origin) == 0);
		}
		queue_env_free(&e);
		queue_env_free(&f);
		buf_free(&in);
		buf_free(&out);
	}
	/* The fields of row 1. */
	queue_env_init(&e);
	ATF_REQUIRE(queue_env_parse(&e, t[1].in, strlen(t[1].in), err,
			sizeof(err)) > 0);
	ATF_CHECK_STREQ(e.id, "Q1");
	ATF_CHECK_STREQ(e.from, "alice@example.org");
	ATF_CHECK_STREQ(e.r[0].addr, "bob@example.net");
	ATF_CHECK_EQ(e.r[0].notify, SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY);
	ATF_CHECK_STREQ(e.r[0].orcpt, "rfc822;bob@x");
	ATF_CHECK(e.r[1].orcpt == NULL);
	ATF_CHECK_EQ(e.r[1].notify, SMTP_NOTIFY_SUCCESS);
	queue_env_free(&e);
}

ATF_TC_WITHOUT_HEAD(journal_table);
ATF_TC_BODY(journal_table, tc)
{
	static const struct {
		const char *in;
		ssize_t taken; /* -1: refused */
	} t[] = {
	    {"", 0},
	    {"R 0 P 1 1733130600 451 4.7.1 mx[192.0.2.1] grey%20listed\n",
		57},
	    {"R 1 S 1 0 250 2.0.0 - ok\nB\n", 27},
	    {"R 0 S 1 0 250 - - -\nR 1 F", 20}, /* a torn last line */
	    {"W 1\n", 4},
	    {"R 2 S 1 0 250 - - -\n", -1}, /* no such recipient */
	    {"R 0 X 1 0 250 - - -\n", -1},
	    {"R 0 S 1 0 1000 - - -\n", -1}, /* code over 999 */
	    {"R 0 S -1 0 250 - - -\n", -1},
	    {"R 0 S 1 0 250 - -\n", -1}, /* a word short */
	    /* T: sent to a server without DSN, a "relayed" report owed;
	       B IDX: that report is queued. */
	    {"R 1 T 1 0 250 2.0.0 mx[1] ok\nB 1\n", 33},
	    {"R 1 TS 1 0 250 - - -\n", -1},
	    {"R 1 t 1 0 250 - - -\n", -1},
	    {"\n", -1},
	    {"Z\n", -1},
	    {" 0 W\n", -1}, /* a leading space */
	};
	static const char env[] = HDR "rcpt a@b - -\nrcpt c@d - -\n\n";
	static const char j[] = "R 0 P 1 99 451 4.7.1 mx[1] grey\nW 0\n"
				"R 0 S 2 0 250 2.0.0 mx[1] queued%20as%20X\n";
	struct queue_env e;
	char err[ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		queue_env_init(&e);
		ATF_REQUIRE(queue_env_parse(&e, env, strlen(env), err,
				sizeof(err)) > 0);
		ATF_CHECK_EQ_MSG(queue_journal_apply(&e, t[i].in,
				     strlen(t[i].in), err, sizeof(err)),
		    t[i].taken, "row %zu: %s", i, err);
		if (t[i].taken == -1)
			ATF_CHECK_MSG(err[0] != '\0' &&
				strstr(err, "(null)") == NULL,
			    "row %zu: %s", i, err);
		queue_env_free(&e);
	}
	/* The last line for a recipient wins. */
	queue_env_init(&e);
	ATF_REQUIRE(
	    queue_env_parse(&e, env, strlen(env), err, sizeof(err)) > 0);
	ATF_REQUIRE(queue_journal_apply(&e, j, strlen(j), err, sizeof(err)) ==
	    (ssize_t)strlen(j));
	ATF_CHECK_EQ(e.r[0].state, QUEUE_SENT);
	ATF_CHECK_EQ(e.r[0].tries, 2);
	ATF_CHECK_EQ(e.r[0].code, 250);
	ATF_CHECK(e.r[0].warned);
	ATF_CHECK_STREQ(e.r[0].reply, "queued as X");
	ATF_CHECK_STREQ(e.r[0].relay, "mx[1]");
	ATF_CHECK_EQ(queue_pending(&e), 1);
	ATF_CHECK(!e.r[0].relayed);
	queue_env_free(&e);

	/* T is sent and relayed; it formats back as T, with its B; a
	   later S (a compacted file rewritten) clears it. */
	{
		static const char jt[] = "R 1 T 1 0 250 2.0.0 mx[1] ok\n"
					 "B 1\n";
		struct buf b;

		queue_env_init(&e);
		ATF_REQUIRE(queue_env_parse(&e, env, strlen(env), err,
				sizeof(err)) > 0);
		ATF_REQUIRE(queue_journal_apply(&e, jt, strlen(jt), err,
				sizeof(err)) == (ssize_t)strlen(jt));
		ATF_CHECK_EQ(e.r[1].state, QUEUE_SENT);
		ATF_CHECK(e.r[1].relayed);
		ATF_CHECK(e.r[1].bounced);
		ATF_CHECK(!e.r[0].relayed);
		buf_init(&b, 0);
		ATF_REQUIRE(queue_journal_rcpt(&e, 1, &b) == 0);
		ATF_CHECK_STREQ(buf_cstr(&b), jt);
		buf_free(&b);
		ATF_REQUIRE(queue_journal_apply(&e, "R 1 S 1 0 250 - - -\n",
				20, err, sizeof(err)) == 20);
		ATF_CHECK(!e.r[1].relayed);
		queue_env_free(&e);
	}
}

/* A message as a writer for queue_add. */
static int
write_msg(void *arg, int fd, char *err, size_t errlen)
{
	const char *m = arg;

	if (util_write_all(fd, m, strlen(m)) == -1) {
		util_seterr(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
write_fail(void *arg, int fd, char *err, size_t errlen)
{
	(void)arg;
	(void)fd;
	util_seterr(err, errlen, "no more");
	errno = ENOSPC;
	return -1;
}

static size_t
count(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	ATF_REQUIRE((d = opendir(dir)) != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
enqueue(struct queue *q, char *id, size_t idlen, const char *msg)
{
	struct queue_env e;
	char err[ERR_MAX];

	queue_env_init(&e);
	e.from = strdup("alice@example.org");
	e.origin = strdup("queue_test");
	ATF_REQUIRE(queue_env_add(&e, "bob@example.net",
			SMTP_NOTIFY_FAILURE, "rfc822;bob@example.net") == 0);
	ATF_REQUIRE(queue_env_add(&e, "carol@example.com", 0, NULL) == 0);
	ATF_REQUIRE_MSG(queue_add(q, &e, write_msg, (void *)msg, err,
			    sizeof(err)) == 0,
	    "%s", err);
	(void)util_strlcpy(id, e.id, idlen);
	queue_env_free(&e);
}

ATF_TC_WITHOUT_HEAD(store);
ATF_TC_BODY(store, tc)
{
	static const char msg[] = "Subject: hi\r\n\r\nbody\r\n";
	struct queue q;
	struct queue_env e;
	char err[ERR_MAX], id[QUEUE_ID_MAX + 1], id2[QUEUE_ID_MAX + 1];
	char got[64], **ids;
	struct buf b;
	size_t n;
	int fd;

	ATF_REQUIRE_MSG(queue_open(&q, "qd", 1, err, sizeof(err)) == 0, "%s",
	    err);
	enqueue(&q, id, sizeof(id), msg);
	enqueue(&q, id2, sizeof(id2), msg);
	ATF_CHECK(strcmp(id, id2) != 0);
	ATF_CHECK_EQ(count("qd/tmp"), 0);
	ATF_CHECK_EQ(count("qd/q"), 2);
	ATF_REQUIRE(queue_ids(&q, &ids, &n, err, sizeof(err)) == 0);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK(strcmp(ids[0], ids[1]) < 0);
	queue_ids_free(ids, n);
	/* A failed writer leaves nothing. */
	queue_env_init(&e);
	e.from = strdup("");
	ATF_REQUIRE(queue_env_add(&e, "x@example.org", 0, NULL) == 0);
	ATF_CHECK(queue_add(&q, &e, write_fail, NULL, err, sizeof(err)) ==
	    -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	queue_env_free(&e);
	ATF_CHECK_EQ(count("qd/tmp"), 0);
	ATF_CHECK_EQ(count("qd/q"), 2);
	/* Load: the envelope, the message where it says. */
	queue_env_init(&e);
	ATF_REQUIRE_MSG(queue_load(&q, id, 1, 0, &e, &fd, err, sizeof(err)) ==
		0,
	    "%s", err);
	ATF_CHECK_STREQ(e.from, "alice@example.org");
	ATF_CHECK_STREQ(e.origin, "queue_test");
	ATF_CHECK_EQ(e.nr, 2);
	ATF_CHECK_EQ(e.size, strlen(msg));
	ATF_REQUIRE(pread(fd, got, e.size, e.msg_off) == (ssize_t)e.size);
	ATF_CHECK(memcmp(got, msg, e.size) == 0);
	ATF_CHECK_EQ(queue_pending(&e), 2);
	/* Journal: one deferred, one sent. */
	buf_init(&b, 65536);
	ATF_REQUIRE(queue_env_set(&e, 0, QUEUE_PENDING, 1733130600, 451,
			"4.7.1", "mx.example.net[192.0.2.1]",
			"451 4.7.1 greylisted, try again") == 0);
	e.r[0].tries = 1;
	ATF_REQUIRE(queue_env_set(&e, 1, QUEUE_SENT, 0, 250, "2.0.0",
			"mx.example.com[192.0.2.2]", "250 ok") == 0);
	e.r[1].tries = 1;
	ATF_REQUIRE(queue_journal_rcpt(&e, 0, &b) == 0);
	ATF_REQUIRE(queue_journal_rcpt(&e, 1, &b) == 0);
	ATF_REQUIRE_MSG(queue_append(&e, fd, &b, err, sizeof(err)) == 0, "%s",
	    err);
	buf_free(&b);
	close(fd);
	queue_env_free(&e);
	/* A torn line (a crash mid-append) is ignored, then cut off. */
	ATF_REQUIRE((fd = open("qd/q/", O_RDONLY)) >= 0);
	close(fd);
	{
		char path[256];
		int afd;

		(void)snprintf(path, sizeof(path), "qd/q/%s", id);
		ATF_REQUIRE((afd = open(path, O_WRONLY | O_APPEND)) >= 0);
		ATF_REQUIRE(write(afd, "R 0 S 2 0 25", 12) == 12);
		close(afd);
	}
	queue_env_init(&e);
	ATF_REQUIRE_MSG(queue_load(&q, id, 1, 0, &e, &fd, err, sizeof(err)) ==
		0,
	    "%s", err);
	ATF_CHECK_EQ(e.r[0].state, QUEUE_PENDING);
	ATF_CHECK_EQ(e.r[0].next, 1733130600);
	ATF_CHECK_STREQ(e.r[0].reply, "451 4.7.1 greylisted, try again");
	ATF_CHECK_EQ(e.r[1].state, QUEUE_SENT);
	ATF_CHECK_EQ(queue_pending(&e), 1);
	buf_init(&b, 65536);
	e.r[0].warned = 1;
	ATF_REQUIRE(queue_journal_rcpt(&e, 0, &b) == 0);
	ATF_REQUIRE(queue_append(&e, fd, &b, err, sizeof(err)) == 0);
	buf_free(&b);
	/* Compaction keeps the state and the message. */
	ATF_REQUIRE_MSG(queue_compact(&q, &e, &fd, err, sizeof(err)) == 0,
	    "%s", err);
	ATF_CHECK_EQ(count("qd/tmp"), 0);
	close(fd);
	queue_env_free(&e);
	queue_env_init(&e);
	ATF_REQUIRE_MSG(queue_load(&q, id, 0, 0, &e, &fd, err, sizeof(err)) ==
		0,
	    "%s", err);
	ATF_CHECK(e.r[0].warned);
	ATF_CHECK_EQ(e.r[0].state, QUEUE_PENDING);
	ATF_CHECK_EQ(e.r[0].tries, 1);
	ATF_CHECK_EQ(e.r[1].state, QUEUE_SENT);
	ATF_REQUIRE(pread(fd, got, e.size, e.msg_off) == (ssize_t)e.size);
	ATF_CHECK(memcmp(got, msg, e.size) == 0);
	close(fd);
	queue_env_free(&e);
	/* Removal. */
	ATF_CHECK(queue_remove(&q, id, err, sizeof(err)) == 0);
	ATF_CHECK(queue_remove(&q, id, err, sizeof(err)) == 0);
	queue_env_init(&e);
	ATF_CHECK(queue_load(&q, id, 1, 0, &e, &fd, err, sizeof(err)) == -1);
	ATF_CHECK_EQ(errno, ENOENT);
	queue_env_free(&e);
	ATF_CHECK(queue_load(&q, "../x", 0, 0, &e, &fd, err, sizeof(err)) ==
	    -1);
	ATF_CHECK_EQ(count("qd/q"), 1);
	queue_close(&q);
}

/* Group commit: held messages are whole in tmp/ and not in q/ until
   queue_commit; closing without a commit leaves nothing; more than
   QUEUE_HOLD_MAX held is refused. */
ATF_TC_WITHOUT_HEAD(hold);
ATF_TC_BODY(hold, tc)
{
	static const char msg[] = "Subject: held\r\n\r\nbody\r\n";
	struct queue q;
	struct queue_env e;
	char err[ERR_MAX], id[QUEUE_ID_MAX + 1];
	int i, fd;

	ATF_REQUIRE_MSG(queue_open(&q, "qd", 1, err, sizeof(err)) == 0, "%s",
	    err);
	queue_hold(&q);
	for (i = 0; i < 3; i++)
		enqueue(&q, id, sizeof(id), msg);
	ATF_CHECK_EQ(count("qd/tmp"), 3);
	ATF_CHECK_EQ(count("qd/q"), 0);
	ATF_REQUIRE_MSG(queue_commit(&q, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(count("qd/tmp"), 0);
	ATF_CHECK_EQ(count("qd/q"), 3);
	queue_env_init(&e);
	ATF_REQUIRE_MSG(queue_load(&q, id, 1, 0, &e, &fd, err, sizeof(err)) ==
		0,
	    "%s", err);
	ATF_CHECK_EQ(e.size, strlen(msg));
	(void)close(fd);
	queue_env_free(&e);
	/* A commit with nothing held is a no-op. */
	ATF_CHECK(queue_commit(&q, err, sizeof(err)) == 0);
	/* Up to the limit, then EAGAIN. */
	for (i = 0; i < QUEUE_HOLD_MAX; i++)
		enqueue(&q, id, sizeof(id), msg);
	queue_env_init(&e);
	e.from = strdup("");
	ATF_REQUIRE(queue_env_add(&e, "x@example.org", 0, NULL) == 0);
	ATF_CHECK(queue_add(&q, &e, write_fail, NULL, err, sizeof(err)) ==
	    -1);
	ATF_CHECK_EQ(errno, EAGAIN);
	queue_env_free(&e);
	ATF_CHECK_EQ(count("qd/tmp"), QUEUE_HOLD_MAX);
	/* Closed without a commit: nothing of them stays. */
	queue_close(&q);
	ATF_CHECK_EQ(count("qd/tmp"), 0);
	ATF_CHECK_EQ(count("qd/q"), 3);
}

ATF_TC_WITHOUT_HEAD(lock);
ATF_TC_BODY(lock, tc)
{
	struct queue q;
	struct queue_env e;
	char err[ERR_MAX], id[QUEUE_ID_MAX + 1];
	int fd, fd2, st, p[2];
	pid_t pid;
	char c;

	ATF_REQUIRE(queue_open(&q, "qd", 1, err, sizeof(err)) == 0);
	enqueue(&q, id, sizeof(id), "x\r\n");
	queue_env_init(&e);
	ATF_REQUIRE(queue_load(&q, id, 1, 0, &e, &fd, err, sizeof(err)) == 0);
	ATF_REQUIRE(pipe(p) == 0);
	/* Another runner: refused while we hold it; after a compaction
	   (rename over) it waits, then gets the new file. */
	if ((pid = fork()) == 0) {
		queue_env_free(&e);
		queue_env_init(&e);
		if (queue_load(&q, id, 1, 0, &e, &fd2, err, sizeof(err)) !=
			-1 ||
		    errno != EWOULDBLOCK)
			_exit(1);
		queue_env_free(&e);
		(void)write(p[1], "x", 1);
		queue_env_init(&e);
		if (queue_load(&q, id, 1, 1, &e, &fd2, err, sizeof(err)) != 0)
			_exit(2);
		if (e.r[1].state != QUEUE_SENT)
			_exit(3);
		_exit(0);
	}
	ATF_REQUIRE(read(p[0], &c, 1) == 1);
	e.r[1].state = QUEUE_SENT;
	usleep(200000); /* the child waits on the old file's lock */
	ATF_REQUIRE_MSG(queue_compact(&q, &e, &fd, err, sizeof(err)) == 0,
	    "%s", err);
	usleep(100000);
	close(fd);
	queue_env_free(&e);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d",
	    WEXITSTATUS(st));
	queue_close(&q);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, env_table);
	ATF_TP_ADD_TC(tp, journal_table);
	ATF_TP_ADD_TC(tp, store);
	ATF_TP_ADD_TC(tp, hold);
	ATF_TP_ADD_TC(tp, lock);
	return atf_no_error();
}
