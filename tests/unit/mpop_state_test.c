/*
 * mpop_state_test: the state journal of `mpop fetch' (cmd/mpop/state.c)
 * and the parsers of the server's UIDL and LIST listings, one row a
 * case: the bytes, then what the parser must hold or the exact error.
 * Then state_resolve against a Maildir, and state_rewrite read back.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "buf.h"
#include "state.h"

#define M STATE_MAGIC "\n"
#define U10 "0123456789"
#define U70 U10 U10 U10 U10 U10 U10 U10
#define S(s) s, sizeof(s) - 1

/* The entries of st, sorted by unique-id: "F:uidl", "P:uidl:uniq" or
   "-:uidl" (neither), separated by spaces. */
static int
by_uidl(const void *a, const void *b)
{
	const struct state_ent *const *x = a, *const *y = b;

	return strcmp((*x)->uidl, (*y)->uidl);
}

static void
render(const struct state *st, struct buf *out)
{
	const struct state_ent **v;
	size_t i, n = 0;

	buf_reset(out);
	ATF_REQUIRE(buf_puts(out, "") == 0);
	if (st->n == 0)
		return;
	ATF_REQUIRE((v = calloc(st->n, sizeof(*v))) != NULL);
	for (i = 0; i < st->cap; i++)
		if (st->tab[i].uidl != NULL) {
			ATF_REQUIRE(n < st->n);
			v[n++] = &st->tab[i];
		}
	ATF_REQUIRE_EQ(n, st->n);
	qsort(v, n, sizeof(*v), by_uidl);
	for (i = 0; i < n; i++) {
		const struct state_ent *e = v[i];

		if (i > 0)
			ATF_REQUIRE(buf_puts(out, " ") == 0);
		if (e->flags & ST_PENDING)
			ATF_REQUIRE(
			    buf_printf(out, "P:%s:%s", e->uidl,
				e->uniq != NULL ? e->uniq : "NULL") == 0);
		else if (e->flags & ST_FETCHED)
			ATF_REQUIRE(buf_printf(out, "F:%s", e->uidl) == 0);
		else
			ATF_REQUIRE(buf_printf(out, "-:%s", e->uidl) == 0);
	}
	free(v);
}

struct parse_case {
	const char *in;
	size_t len;
	const char *err; /* NULL: parses */
	const char *want; /* render() */
	size_t npending;
	int torn;
};

#define OK(in, want, np, torn) \
	{ \
		S(in), NULL, want, np, torn \
	}
#define BAD(in, err) \
	{ \
		S(in), err, NULL, 0, 0 \
	}

static const struct parse_case parse_cases[] = {
    /* Empty, new, and what a crash leaves of the first line. */
    OK("", "", 0, 0),
    OK(M, "", 0, 0),
    OK("yubin-mpop-state 1", "", 0, 1),
    OK("yubin-mpop", "", 0, 1),
    OK("y", "", 0, 1),
    OK("\0\0\0\0\0\0\0\0", "", 0, 1),
    OK("yubin-mpop-st\0\0\0\0", "", 0, 1),
    BAD("yubin-mpop-state 2\n",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" expected)"),
    BAD("yubin-mpop-state 1 \n",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" expected)"),
    BAD("yubin-mpop-state 1\r\nF a\r\n",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" expected)"),
    BAD("F a\n",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" expected)"),
    BAD("\n",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" "
	"expected)"),
    /* Not the start of a state file, and no newline: not a torn
       first line but some other file (it must not be taken as empty
       and overwritten). */
    BAD("hello",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" "
	"expected)"),
    BAD("yubin-mpop-state 1x",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" expected)"),
    BAD("yubin\0mpop",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" expected)"),
    BAD("\0\0\0x",
	"line 1: not a mpop state file (\"yubin-mpop-state 1\" "
	"expected)"),

    /* F and P records. */
    OK(M "F a\n", "F:a", 0, 0),
    OK(M "F a\nF b\nF c\n", "F:a F:b F:c", 0, 0),
    OK(M "P a 1700000000.M1P2.host\n", "P:a:1700000000.M1P2.host", 1, 0),
    OK(M "P a u1\nP b u2\n", "P:a:u1 P:b:u2", 2, 0),
    OK(M "F !~\n", "F:!~", 0, 0),
    OK(M "F " U70 "\n", "F:" U70, 0, 0),
    OK(M "P " U70 " u\n", "P:" U70 ":u", 1, 0),
    /* A P then an F for the same unique-id: delivered. */
    OK(M "P a u1\nF a\n", "F:a", 0, 0),
    /* An F then a P: still delivered (the P is stale). */
    OK(M "F a\nP a u1\n", "F:a", 0, 0),
    OK(M "P a u1\nP a u2\n", "P:a:u2", 1, 0),
    OK(M "P a u1\nF a\nP a u2\n", "F:a", 0, 0),
    OK(M "F a\nF a\nF a\n", "F:a", 0, 0),
    OK(M "P a u1\nP b u2\nF a\n", "F:a P:b:u2", 1, 0),
    /* Unique-ids are case-sensitive. */
    OK(M "F a\nF A\n", "F:A F:a", 0, 0),

    /* A last line without its newline: a write cut short. */
    OK(M "F a\nF b", "F:a", 0, 1),
    OK(M "F a\nF", "F:a", 0, 1),
    OK(M "F a\nP b u2", "F:a", 0, 1),
    OK(M "F a\nhello", "F:a", 0, 1),
    OK(M "P a u1\nF a", "P:a:u1", 1, 1),
    /* NUL blocks at the end after a crash end the journal. */
    OK(M "F a\n\0\0\0\0", "F:a", 0, 1),
    OK(M "F a\n\0\0\0\n\0\0\n", "F:a", 0, 1),
    OK(M "F a\n\0\n", "F:a", 0, 1),
    BAD(M "F a\n\0\0\nF b\n", "line 3: not an F or P record"),

    /* Garbage lines. */
    BAD(M "\n", "line 2: not an F or P record"),
    BAD(M "F a\n\nF b\n", "line 3: not an F or P record"),
    BAD(M "X a\n", "line 2: not an F or P record"),
    BAD(M "f a\n", "line 2: not an F or P record"),
    BAD(M "p a u\n", "line 2: not an F or P record"),
    BAD(M "F\n", "line 2: not an F or P record"),
    BAD(M "F \n", "line 2: not an F or P record"),
    BAD(M "Fa\n", "line 2: not an F or P record"),
    BAD(M "F\ta\n", "line 2: not an F or P record"),
    BAD(M " F a\n", "line 2: not an F or P record"),
    BAD(M "F a\nF b\nhello world\nF c\n", "line 4: not an F or P record"),
    BAD(M M, "line 2: not an F or P record"),
    /* Unique-ids: RFC 1939 §7, 1 to 70 characters 0x21..0x7e. */
    BAD(M "F  a\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F " U70 "x\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "P " U70 "x u\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F a\r\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F a\tb\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F \x7f\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F \xc3\xa9\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F a\0b\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F \x01\n", "line 2: not a unique-id (RFC 1939 §7)"),
    BAD(M "F a b\n", "line 2: text after the unique-id"),
    BAD(M "F a \n", "line 2: text after the unique-id"),
    /* The unique name of a P record: a safe file name. */
    BAD(M "P a\n", "line 2: P record without a unique name"),
    BAD(M "P a \n", "line 2: P record without a unique name"),
    BAD(M "P a u b\n", "line 2: P record without a unique name"),
    BAD(M "P a .u\n", "line 2: P record without a unique name"),
    BAD(M "P a ../u\n", "line 2: P record without a unique name"),
    BAD(M "P a x/y\n", "line 2: P record without a unique name"),
    BAD(M "P a u:2,S\n", "line 2: P record without a unique name"),
    BAD(M "P a u,S=10\n", "line 2: P record without a unique name"),
    BAD(M "P a u\x7f\n", "line 2: P record without a unique name"),
    BAD(M "P a u\r\n", "line 2: P record without a unique name"),
    BAD(M "P a u\0\n", "line 2: P record without a unique name"),
    /* The bad P is refused even when the F makes it moot. */
    BAD(M "F a\nP a\n", "line 3: P record without a unique name"),
};

ATF_TC_WITHOUT_HEAD(parse_table);
ATF_TC_BODY(parse_table, tc)
{
	struct state st;
	struct buf got;
	char err[ERR_MAX];
	size_t i;
	int rc;

	buf_init(&got, 0);
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];

		state_init(&st);
		err[0] = '\0';
		rc = state_parse(&st, t->in, t->len, err, sizeof(err));
		if (t->err != NULL) {
			ATF_CHECK_EQ_MSG(rc, -1, "row %zu: parsed", i);
			ATF_CHECK_MSG(strcmp(err, t->err) == 0,
			    "row %zu: \"%s\", not \"%s\"", i, err, t->err);
			state_free(&st);
			continue;
		}
		ATF_CHECK_EQ_MSG(rc, 0, "row %zu: %s", i, err);
		render(&st, &got);
		ATF_CHECK_MSG(strcmp(got.data, t->want) == 0,
		    "row %zu: \"%s\", not \"%s\"", i, got.data, t->want);
		ATF_CHECK_EQ_MSG(st.npending, t->npending,
		    "row %zu: npending %zu", i, st.npending);
		ATF_CHECK_EQ_MSG(
		    st.torn, t->torn, "row %zu: torn %d", i, st.torn);
		state_free(&st);
	}
	buf_free(&got);
}

/* Lines longer than STATE_LINE_MAX; parsing adds to what st holds. */
ATF_TC_WITHOUT_HEAD(parse_bounds);
ATF_TC_BODY(parse_bounds, tc)
{
	struct state st;
	struct buf b, got;
	char err[ERR_MAX], want[64];
	size_t i;

	buf_init(&b, 0);
	buf_init(&got, 0);
	/* A P line as long as it may be: the longest uidl and name. */
	ATF_REQUIRE(buf_puts(&b, M "P " U70 " ") == 0);
	for (i = 0; i < MAILDIR_NAME_MAX; i++)
		ATF_REQUIRE(buf_puts(&b, "n") == 0);
	ATF_REQUIRE(buf_puts(&b, "\n") == 0);
	state_init(&st);
	ATF_CHECK_EQ(state_parse(&st, b.data, b.len, err, sizeof(err)), 0);
	ATF_CHECK_EQ(st.npending, 1);
	ATF_CHECK_EQ(strlen(state_find(&st, U70)->uniq), MAILDIR_NAME_MAX);
	state_free(&st);
	/* One more byte in the name: not a unique name. */
	b.len--;
	ATF_REQUIRE(buf_puts(&b, "n\n") == 0);
	state_init(&st);
	ATF_CHECK_EQ(state_parse(&st, b.data, b.len, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "line 2: P record without a unique name");
	state_free(&st);
	/* Far longer: refused by length before it is looked at. */
	buf_reset(&b);
	ATF_REQUIRE(buf_puts(&b, M "F a\nF ") == 0);
	for (i = 0; i < STATE_LINE_MAX; i++)
		ATF_REQUIRE(buf_puts(&b, "x") == 0);
	ATF_REQUIRE(buf_puts(&b, "\n") == 0);
	state_init(&st);
	ATF_CHECK_EQ(state_parse(&st, b.data, b.len, err, sizeof(err)), -1);
	(void)snprintf(
	    want, sizeof(want), "line 3: longer than %d bytes", STATE_LINE_MAX);
	ATF_CHECK_STREQ(err, want);
	state_free(&st);

	/* A second parse adds to the first. */
	state_init(&st);
	ATF_REQUIRE(
	    state_parse(&st, S(M "F a\nP b u\n"), err, sizeof(err)) == 0);
	ATF_REQUIRE(state_parse(&st, S(M "F b\nF c\n"), err, sizeof(err)) == 0);
	render(&st, &got);
	ATF_CHECK_STREQ(got.data, "F:a F:b F:c");
	ATF_CHECK_EQ(st.npending, 0);
	ATF_CHECK_EQ(st.n, 3);
	state_free(&st);

	/* Many entries: the table grows and finds them all. */
	buf_reset(&b);
	ATF_REQUIRE(buf_puts(&b, M) == 0);
	for (i = 0; i < 5000; i++)
		ATF_REQUIRE(buf_printf(&b, "%c u%zu%s\n", i % 3 ? 'F' : 'P', i,
				i % 3 ? "" : " n") == 0);
	state_init(&st);
	ATF_REQUIRE(state_parse(&st, b.data, b.len, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(st.n, 5000);
	ATF_CHECK_EQ(st.npending, 1667);
	for (i = 0; i < 5000; i++) {
		char u[32];
		const struct state_ent *e;

		(void)snprintf(u, sizeof(u), "u%zu", i);
		e = state_find(&st, u);
		ATF_CHECK_MSG(
		    e != NULL && e->flags == (i % 3 ? ST_FETCHED : ST_PENDING),
		    "%s", u);
	}
	ATF_CHECK(state_find(&st, "u5000") == NULL);
	state_free(&st);
	buf_free(&b);
	buf_free(&got);
}

static void
touch(const char *path)
{
	int fd;

	ATF_REQUIRE_MSG(
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1,
	    "%s: %s", path, strerror(errno));
	ATF_REQUIRE(close(fd) == 0);
}

static void
mkmaildir(const char *dir)
{
	char p[256];

	ATF_REQUIRE(mkdir(dir, 0700) == 0);
	(void)snprintf(p, sizeof(p), "%s/tmp", dir);
	ATF_REQUIRE(mkdir(p, 0700) == 0);
	(void)snprintf(p, sizeof(p), "%s/new", dir);
	ATF_REQUIRE(mkdir(p, 0700) == 0);
	(void)snprintf(p, sizeof(p), "%s/cur", dir);
	ATF_REQUIRE(mkdir(p, 0700) == 0);
}

/*
 * state_resolve: each row is one pending entry and the files the
 * Maildir holds; the entry ends fetched or forgotten, and its tmp/
 * file is gone either way.
 */
ATF_TC_WITHOUT_HEAD(resolve_table);
ATF_TC_BODY(resolve_table, tc)
{
	static const struct {
		const char *uniq;
		const char *files[3]; /* under the Maildir */
		int fetched;
	} rows[] = {
	    {"1700.M1P1.h", {"new/1700.M1P1.h"}, 1},
	    {"1700.M1P1.h", {"new/1700.M1P1.h,S=120"}, 1},
	    {"1700.M1P1.h", {"cur/1700.M1P1.h:2,S"}, 1},
	    {"1700.M1P1.h", {"cur/1700.M1P1.h,S=120:2,RS"}, 1},
	    {"1700.M1P1.h", {"cur/1700.M1P1.h:2,"}, 1},
	    {"1700.M1P1.h", {"new/1700.M1P1.h", "tmp/1700.M1P1.h"}, 1},
	    {"1700.M1P1.h", {"tmp/1700.M1P1.h"}, 0},
	    {"1700.M1P1.h", {NULL}, 0},
	    /* Other names: a longer or shorter unique part, another case. */
	    {"1700.M1P1.h", {"new/1700.M1P1.hx"}, 0},
	    {"1700.M1P1.h", {"new/1700.M1P1"}, 0},
	    {"1700.M1P1.h", {"cur/1700.M1P1.H:2,S"}, 0},
	    {"1700.M1P1.h", {"new/x1700.M1P1.h"}, 0},
	    {"1700.M1P1.h", {"new/.1700.M1P1.h"}, 0},
	    {"1700.M1P1.h", {"tmp/x", "new/y"}, 0},
	};
	struct state st;
	char err[ERR_MAX], dir[64], p[256];
	const struct state_ent *e;
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		(void)snprintf(dir, sizeof(dir), "md%zu", i);
		mkmaildir(dir);
		for (j = 0; j < 3 && rows[i].files[j] != NULL; j++) {
			(void)snprintf(
			    p, sizeof(p), "%s/%s", dir, rows[i].files[j]);
			touch(p);
		}
		state_init(&st);
		(void)snprintf(p, sizeof(p), M "F old\nP a %s\n", rows[i].uniq);
		ATF_REQUIRE(
		    state_parse(&st, p, strlen(p), err, sizeof(err)) == 0);
		ATF_CHECK_EQ_MSG(state_resolve(&st, dir, err, sizeof(err)), 0,
		    "row %zu: %s", i, err);
		ATF_CHECK_EQ_MSG(st.npending, 0, "row %zu", i);
		e = state_find(&st, "a");
		ATF_REQUIRE(e != NULL);
		ATF_CHECK_EQ_MSG(e->flags, rows[i].fetched ? ST_FETCHED : 0,
		    "row %zu: flags %u", i, e->flags);
		ATF_CHECK_MSG(e->uniq == NULL, "row %zu: uniq kept", i);
		e = state_find(&st, "old");
		ATF_CHECK_MSG(e != NULL && e->flags == ST_FETCHED,
		    "row %zu: F old lost", i);
		(void)snprintf(p, sizeof(p), "%s/tmp/%s", dir, rows[i].uniq);
		ATF_CHECK_MSG(access(p, F_OK) == -1 && errno == ENOENT,
		    "row %zu: %s left", i, p);
		/* What new/ and cur/ hold is never touched. */
		for (j = 0; j < 3 && rows[i].files[j] != NULL; j++) {
			if (strncmp(rows[i].files[j], "tmp/", 4) == 0)
				continue;
			(void)snprintf(
			    p, sizeof(p), "%s/%s", dir, rows[i].files[j]);
			ATF_CHECK_MSG(
			    access(p, F_OK) == 0, "row %zu: %s gone", i, p);
		}
		state_free(&st);
	}
}

/* Several pending entries at once, no Maildir, and no directory. */
ATF_TC_WITHOUT_HEAD(resolve_many);
ATF_TC_BODY(resolve_many, tc)
{
	struct state st;
	struct buf got;
	char err[ERR_MAX];

	buf_init(&got, 0);
	mkmaildir("md");
	touch("md/new/u1");
	touch("md/cur/u3:2,S");
	touch("md/tmp/u2");
	state_init(&st);
	ATF_REQUIRE(
	    state_parse(&st, S(M "P a u1\nP b u2\nP c u3\nP d u4\nF e\n"), err,
		sizeof(err)) == 0);
	ATF_REQUIRE_EQ(st.npending, 4);
	ATF_CHECK_EQ(state_resolve(&st, "md", err, sizeof(err)), 0);
	render(&st, &got);
	ATF_CHECK_STREQ(got.data, "F:a -:b F:c -:d F:e");
	ATF_CHECK_EQ(st.npending, 0);
	ATF_CHECK(access("md/tmp/u2", F_OK) == -1);
	state_free(&st);

	/* dir NULL: all forgotten, fetched again. */
	state_init(&st);
	ATF_REQUIRE(
	    state_parse(&st, S(M "P a u1\nF e\n"), err, sizeof(err)) == 0);
	ATF_CHECK_EQ(state_resolve(&st, NULL, err, sizeof(err)), 0);
	render(&st, &got);
	ATF_CHECK_STREQ(got.data, "-:a F:e");
	state_free(&st);

	/* A Maildir that is not there (yet): nothing was delivered. */
	state_init(&st);
	ATF_REQUIRE(state_parse(&st, S(M "P a u1\n"), err, sizeof(err)) == 0);
	ATF_CHECK_EQ(state_resolve(&st, "nowhere", err, sizeof(err)), 0);
	render(&st, &got);
	ATF_CHECK_STREQ(got.data, "-:a");
	state_free(&st);

	/* Nothing pending: the directory is not even looked at. */
	state_init(&st);
	ATF_REQUIRE(state_parse(&st, S(M "F a\n"), err, sizeof(err)) == 0);
	ATF_CHECK_EQ(state_resolve(&st, "nowhere", err, sizeof(err)), 0);
	state_free(&st);
	buf_free(&got);
}

static void
slurp(const char *path, struct buf *b)
{
	int fd;

	buf_reset(b);
	ATF_REQUIRE_MSG(
	    (fd = open(path, O_RDONLY)) != -1, "%s: %s", path, strerror(errno));
	ATF_REQUIRE(buf_read_fd(b, fd) == 0);
	ATF_REQUIRE(buf_puts(b, "") == 0);
	(void)close(fd);
}

static void
spit(const char *path, const char *p, size_t len)
{
	int fd;

	ATF_REQUIRE(
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	ATF_REQUIRE(write(fd, p, len) == (ssize_t)len);
	ATF_REQUIRE(close(fd) == 0);
}

/* The state as a fresh parse of the file sees it. */
static void
reparse(const char *path, struct buf *got)
{
	struct state st;
	struct buf b;
	char err[ERR_MAX];

	buf_init(&b, 0);
	slurp(path, &b);
	state_init(&st);
	ATF_REQUIRE_MSG(
	    state_parse(&st, b.data, b.len, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(st.torn, 0);
	render(&st, got);
	state_free(&st);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(rewrite_roundtrip);
ATF_TC_BODY(rewrite_roundtrip, tc)
{
	struct state st, st2;
	struct buf got, b;
	char err[ERR_MAX];
	struct state_ent *e;

	buf_init(&got, 0);
	buf_init(&b, 0);
	/* A new file (and its directory) starts with the magic line. */
	state_init(&st);
	ATF_REQUIRE_EQ_MSG(
	    state_open(&st, "d/e/state", err, sizeof(err)), 0, "%s", err);
	slurp("d/e/state", &b);
	ATF_CHECK_STREQ(b.data, M);
	/* The journal: records appended as they come. */
	ATF_REQUIRE(state_put_pending(&st, "a", "u1", err, sizeof(err)) == 0);
	ATF_REQUIRE(state_put_fetched(&st, "a", err, sizeof(err)) == 0);
	ATF_REQUIRE(state_put_pending(&st, "b", "u2", err, sizeof(err)) == 0);
	ATF_REQUIRE(state_put_fetched(&st, "c", err, sizeof(err)) == 0);
	ATF_REQUIRE(state_put_fetched(&st, U70, err, sizeof(err)) == 0);
	ATF_REQUIRE(state_sync(&st, err, sizeof(err)) == 0);
	ATF_CHECK_EQ(st.appended, 5);
	slurp("d/e/state", &b);
	ATF_CHECK_STREQ(b.data, M "P a u1\nF a\nP b u2\nF c\nF " U70 "\n");
	reparse("d/e/state", &got);
	ATF_CHECK_STREQ(got.data, "F:" U70 " F:a P:b:u2 F:c");
	/* Bad unique names are refused before anything is written. */
	ATF_CHECK_EQ(state_put_pending(&st, "x", "a/b", err, sizeof(err)), -1);
	ATF_CHECK_EQ(state_put_pending(&st, "x", "", err, sizeof(err)), -1);
	ATF_CHECK_EQ(state_put_pending(&st, "x", ".u", err, sizeof(err)), -1);
	ATF_CHECK(state_find(&st, "x") == NULL);

	/* Rewrite without pruning: the same state, one line each. */
	ATF_REQUIRE_EQ_MSG(
	    state_rewrite(&st, 0, err, sizeof(err)), 0, "%s", err);
	ATF_CHECK_EQ(st.appended, 0);
	reparse("d/e/state", &got);
	ATF_CHECK_STREQ(got.data, "F:" U70 " F:a P:b:u2 F:c");
	slurp("d/e/state", &b);
	ATF_CHECK_EQ(b.len, strlen(M "F a\nP b u2\nF c\nF " U70 "\n"));
	ATF_CHECK(access("d/e/state.tmp", F_OK) == -1);
	/* Appends go on to the new file. */
	ATF_REQUIRE(state_put_fetched(&st, "d", err, sizeof(err)) == 0);
	reparse("d/e/state", &got);
	ATF_CHECK_STREQ(got.data, "F:" U70 " F:a P:b:u2 F:c F:d");

	/* Pruned: only what the server still has (and the pending). */
	ATF_REQUIRE((e = state_find(&st, "a")) != NULL);
	e->flags |= ST_ONSERVER;
	ATF_REQUIRE((e = state_find(&st, "d")) != NULL);
	e->flags |= ST_ONSERVER;
	ATF_CHECK_EQ(state_prunable(&st), 2); /* c and U70 */
	ATF_REQUIRE(state_rewrite(&st, 1, err, sizeof(err)) == 0);
	reparse("d/e/state", &got);
	ATF_CHECK_STREQ(got.data, "F:a P:b:u2 F:d");
	ATF_CHECK_EQ(state_prunable(&st), 0);
	/* A second open of the same file waits for the first. */
	state_init(&st2);
	ATF_CHECK_EQ(
	    state_open(&st2, "d/e/state", err, sizeof(err)), EX_TEMPFAIL);
	state_close(&st2);
	state_free(&st2);
	state_close(&st);
	state_free(&st);

	/* Opened again: the same state, resolved against a Maildir. */
	mkmaildir("md");
	touch("md/new/u2");
	state_init(&st);
	ATF_REQUIRE_EQ_MSG(
	    state_open(&st, "d/e/state", err, sizeof(err)), 0, "%s", err);
	render(&st, &got);
	ATF_CHECK_STREQ(got.data, "F:a P:b:u2 F:d");
	ATF_REQUIRE(state_resolve(&st, "md", err, sizeof(err)) == 0);
	ATF_REQUIRE(state_rewrite(&st, 0, err, sizeof(err)) == 0);
	state_close(&st);
	state_free(&st);
	reparse("d/e/state", &got);
	ATF_CHECK_STREQ(got.data, "F:a F:b F:d");
	buf_free(&got);
	buf_free(&b);
}

/* state_open on what is there: torn files are cleaned, others refused
   and left alone. */
ATF_TC_WITHOUT_HEAD(open_table);
ATF_TC_BODY(open_table, tc)
{
	static const struct {
		const char *in;
		size_t len;
		int rc;
		const char *after; /* the file afterwards */
		const char *err; /* the end of err */
	} rows[] = {
	    {S(M "F a\n"), 0, M "F a\n", NULL},
	    {S(M "F a\nF b"), 0, M "F a\n", NULL},
	    {S(M "F a\n\0\0\0"), 0, M "F a\n", NULL},
	    {S("yubin-mpop-st"), 0, M, NULL},
	    {S("\0\0\0\0"), 0, M, NULL},
	    {S(""), 0, M, NULL},
	    {S("hello"), EX_CONFIG, "hello",
		": damaged state file: line 1: not a mpop state file "
		"(\"yubin-mpop-state 1\" expected) (move it away to start "
		"afresh; `--all' fetches everything again)"},
	    {S("account a\nhost h\n"), EX_CONFIG, "account a\nhost h\n",
		": damaged state file: line 1: not a mpop state file "
		"(\"yubin-mpop-state 1\" expected) (move it away to start "
		"afresh; `--all' fetches everything again)"},
	    {S(M "F a\nF  b\n"), EX_CONFIG, M "F a\nF  b\n",
		": damaged state file: line 3: not a unique-id (RFC 1939 §7) "
		"(move it away to start afresh; `--all' fetches everything "
		"again)"},
	};
	struct state st;
	struct buf b;
	char err[ERR_MAX], path[64];
	size_t i, el;
	int rc;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		(void)snprintf(path, sizeof(path), "s%zu", i);
		spit(path, rows[i].in, rows[i].len);
		state_init(&st);
		err[0] = '\0';
		rc = state_open(&st, path, err, sizeof(err));
		ATF_CHECK_EQ_MSG(rc, rows[i].rc, "row %zu: %d %s", i, rc, err);
		state_close(&st);
		state_free(&st);
		slurp(path, &b);
		ATF_CHECK_MSG(b.len == strlen(rows[i].after) &&
			memcmp(b.data, rows[i].after, b.len) == 0,
		    "row %zu: file now \"%s\"", i, b.data);
		if (rows[i].err == NULL)
			continue;
		el = strlen(rows[i].err);
		ATF_CHECK_MSG(strncmp(err, path, strlen(path)) == 0 &&
			strlen(err) == strlen(path) + el &&
			strcmp(err + strlen(path), rows[i].err) == 0,
		    "row %zu: %s", i, err);
	}
	buf_free(&b);
}

/* The UIDL listing: "num:uidl" in message order. */
static void
render_listing(const struct listing *l, struct buf *out)
{
	size_t i;

	buf_reset(out);
	ATF_REQUIRE(buf_puts(out, "") == 0);
	for (i = 0; i < l->n; i++) {
		ATF_REQUIRE(buf_printf(out, "%s%lu:%s", i > 0 ? " " : "",
				l->item[i].num, l->item[i].uidl) == 0);
		if (l->item[i].size != -1)
			ATF_REQUIRE(
			    buf_printf(out, ":%lld", l->item[i].size) == 0);
	}
}

struct listing_case {
	const char *in;
	size_t len;
	const char *err;
	const char *want;
};

#define LOK(in, want) \
	{ \
		S(in), NULL, want \
	}
#define LBAD(in, err) \
	{ \
		S(in), err, NULL \
	}
#define UIDL_BAD(n) "UIDL: line " #n ": not \"msg unique-id\" (RFC 1939 §7)"

static const struct listing_case uidl_cases[] = {
    LOK("", ""),
    /* libcurl leaves the CRLF before the final ".". */
    LOK("\r\n", ""),
    LOK("1 a\r\n", "1:a"),
    LOK("1 a\r\n2 b\r\n3 c\r\n", "1:a 2:b 3:c"),
    LOK("1 a\n2 b\n", "1:a 2:b"),
    LOK("1 a", "1:a"),
    LOK("1 a\r\n2 b", "1:a 2:b"),
    /* Any order in, message order out. */
    LOK("3 c\r\n1 a\r\n2 b\r\n", "1:a 2:b 3:c"),
    LOK("10 j\r\n9 i\r\n", "9:i 10:j"),
    /* Gaps: deleted messages are not listed. */
    LOK("2 b\r\n7 g\r\n", "2:b 7:g"),
    LOK("1 a\r\n\r\n2 b\r\n", "1:a 2:b"),
    LOK("  1   a  \r\n", "1:a"),
    LOK("1 !~\r\n", "1:!~"),
    LOK("1 " U70 "\r\n", "1:" U70),
    LOK("4294967295 a\r\n", "4294967295:a"),
    LOK("9999999999 a\r\n", "9999999999:a"),
    LOK("01 a\r\n", "1:a"),
    /* The same unique-id twice is fetch's to refuse (it knows the
       state); the parser keeps both. */
    LOK("1 a\r\n2 a\r\n", "1:a 2:a"),
    LBAD("1 a\r\n1 b\r\n", "UIDL: message 1 listed twice"),
    LBAD("1 a\r\n2 b\r\n1 a\r\n", "UIDL: message 1 listed twice"),
    LBAD("5 a\r\n3 b\r\n5 c\r\n", "UIDL: message 5 listed twice"),
    LBAD("0 a\r\n", UIDL_BAD(1)),
    LBAD("-1 a\r\n", UIDL_BAD(1)),
    LBAD("+1 a\r\n", UIDL_BAD(1)),
    LBAD("x a\r\n", UIDL_BAD(1)),
    LBAD("1\r\n", UIDL_BAD(1)),
    LBAD("1 \r\n", UIDL_BAD(1)),
    LBAD("1\ta\r\n", UIDL_BAD(1)),
    LBAD("1 a b\r\n", UIDL_BAD(1)),
    LBAD("1 a\tb\r\n", UIDL_BAD(1)),
    LBAD("1a\r\n", UIDL_BAD(1)),
    LBAD("12345678901 a\r\n", UIDL_BAD(1)),
    LBAD("1 " U70 "x\r\n", UIDL_BAD(1)),
    LBAD("1 \x7f\r\n", UIDL_BAD(1)),
    LBAD("1 \xc3\xa9\r\n", UIDL_BAD(1)),
    LBAD("1 a\0\r\n", UIDL_BAD(1)),
    LBAD("1 a\r\r\n", UIDL_BAD(1)),
    LBAD("+OK\r\n1 a\r\n", UIDL_BAD(1)),
    LBAD("1 a\r\n.\r\n", UIDL_BAD(2)),
    LBAD("1 a\r\n\r\nbad\r\n", UIDL_BAD(3)),
};

#define LIST_BAD(n) "LIST: line " #n ": not \"msg size\" (RFC 1939 §5)"

static const struct listing_case list_cases[] = {
    LOK("", "1:a 2:b 3:c"),
    LOK("\r\n", "1:a 2:b 3:c"),
    LOK("1 100\r\n2 200\r\n3 300\r\n", "1:a:100 2:b:200 3:c:300"),
    LOK("3 300\r\n1 100\r\n", "1:a:100 2:b 3:c:300"),
    LOK("2 0\r\n", "1:a 2:b:0 3:c"),
    LOK("1 100 extra words\r\n", "1:a:100 2:b 3:c"),
    LOK("  1   100\r\n", "1:a:100 2:b 3:c"),
    LOK("1 999999999999999999\r\n", "1:a:999999999999999999 2:b 3:c"),
    /* Messages the UIDL listing did not name are ignored. */
    LOK("4 400\r\n7 700\r\n", "1:a 2:b 3:c"),
    /* Named twice: the last one holds. */
    LOK("1 100\r\n1 150\r\n", "1:a:150 2:b 3:c"),
    LBAD("1 x\r\n", LIST_BAD(1)),
    LBAD("1 -5\r\n", LIST_BAD(1)),
    LBAD("0 5\r\n", LIST_BAD(1)),
    LBAD("1\r\n", LIST_BAD(1)),
    LBAD("1 \r\n", LIST_BAD(1)),
    LBAD("1\t100\r\n", LIST_BAD(1)),
    LBAD("1 100\t\r\n", LIST_BAD(1)),
    LBAD("1 1000000000000000000\r\n", LIST_BAD(1)),
    LBAD("12345678901 1\r\n", LIST_BAD(1)),
    LBAD("1 100\r\n2 b\r\n", LIST_BAD(2)),
    LBAD("1 100\r\n\r\n.\r\n", LIST_BAD(3)),
};

ATF_TC_WITHOUT_HEAD(listing_table);
ATF_TC_BODY(listing_table, tc)
{
	struct listing l;
	struct buf got;
	char err[ERR_MAX];
	size_t i;
	int rc;

	buf_init(&got, 0);
	for (i = 0; i < sizeof(uidl_cases) / sizeof(uidl_cases[0]); i++) {
		const struct listing_case *t = &uidl_cases[i];

		memset(&l, 0, sizeof(l));
		err[0] = '\0';
		rc = listing_parse_uidl(&l, t->in, t->len, err, sizeof(err));
		if (t->err != NULL) {
			ATF_CHECK_EQ_MSG(rc, -1, "uidl row %zu: parsed", i);
			ATF_CHECK_MSG(strcmp(err, t->err) == 0,
			    "uidl row %zu: \"%s\"", i, err);
		} else {
			ATF_CHECK_EQ_MSG(rc, 0, "uidl row %zu: %s", i, err);
			render_listing(&l, &got);
			ATF_CHECK_MSG(strcmp(got.data, t->want) == 0,
			    "uidl row %zu: \"%s\", not \"%s\"", i, got.data,
			    t->want);
		}
		listing_free(&l);
	}
	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct listing_case *t = &list_cases[i];

		memset(&l, 0, sizeof(l));
		ATF_REQUIRE(listing_parse_uidl(&l, S("1 a\r\n2 b\r\n3 c\r\n"),
				err, sizeof(err)) == 0);
		err[0] = '\0';
		rc = listing_parse_sizes(&l, t->in, t->len, err, sizeof(err));
		if (t->err != NULL) {
			ATF_CHECK_EQ_MSG(rc, -1, "list row %zu: parsed", i);
			ATF_CHECK_MSG(strcmp(err, t->err) == 0,
			    "list row %zu: \"%s\"", i, err);
		} else {
			ATF_CHECK_EQ_MSG(rc, 0, "list row %zu: %s", i, err);
			render_listing(&l, &got);
			ATF_CHECK_MSG(strcmp(got.data, t->want) == 0,
			    "list row %zu: \"%s\", not \"%s\"", i, got.data,
			    t->want);
		}
		listing_free(&l);
	}
	/* Sizes on an empty listing: nothing to fill in. */
	memset(&l, 0, sizeof(l));
	ATF_CHECK_EQ(
	    listing_parse_sizes(&l, S("1 100\r\n"), err, sizeof(err)), 0);
	ATF_CHECK_EQ(l.n, 0);
	/* A second UIDL parse replaces the first. */
	ATF_REQUIRE(
	    listing_parse_uidl(&l, S("1 a\r\n2 b\r\n"), err, sizeof(err)) == 0);
	ATF_REQUIRE(
	    listing_parse_uidl(&l, S("5 e\r\n"), err, sizeof(err)) == 0);
	render_listing(&l, &got);
	ATF_CHECK_STREQ(got.data, "5:e");
	listing_free(&l);
	buf_free(&got);
}

/* LISTING_MAX messages, and one more. */
ATF_TC_WITHOUT_HEAD(listing_bounds);
ATF_TC_BODY(listing_bounds, tc)
{
	struct listing l;
	struct buf b;
	char err[ERR_MAX], want[64];
	size_t i;

	buf_init(&b, 0);
	for (i = 1; i <= LISTING_MAX; i++)
		ATF_REQUIRE(buf_printf(&b, "%zu u%zu\r\n", i, i) == 0);
	memset(&l, 0, sizeof(l));
	ATF_REQUIRE_EQ_MSG(
	    listing_parse_uidl(&l, b.data, b.len, err, sizeof(err)), 0, "%s",
	    err);
	ATF_CHECK_EQ(l.n, LISTING_MAX);
	ATF_CHECK_EQ(l.item[LISTING_MAX - 1].num, LISTING_MAX);
	ATF_CHECK_STREQ(l.item[LISTING_MAX - 1].uidl, "u1000000");
	ATF_REQUIRE(buf_printf(&b, "%d u0\r\n", LISTING_MAX + 1) == 0);
	ATF_CHECK_EQ(
	    listing_parse_uidl(&l, b.data, b.len, err, sizeof(err)), -1);
	(void)snprintf(
	    want, sizeof(want), "UIDL: more than %d messages", LISTING_MAX);
	ATF_CHECK_STREQ(err, want);
	listing_free(&l);
	buf_free(&b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_table);
	ATF_TP_ADD_TC(tp, parse_bounds);
	ATF_TP_ADD_TC(tp, resolve_table);
	ATF_TP_ADD_TC(tp, resolve_many);
	ATF_TP_ADD_TC(tp, rewrite_roundtrip);
	ATF_TP_ADD_TC(tp, open_table);
	ATF_TP_ADD_TC(tp, listing_table);
	ATF_TP_ADD_TC(tp, listing_bounds);
	return atf_no_error();
}
