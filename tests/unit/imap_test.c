/*
 * imap_test: the IMAP codec.  Commands and response lines are parsed
 * from tables, each three ways (a line and a literal at a time as a
 * server reads; a byte at a time with the buffer moved between calls;
 * the whole input at once) and the trees compared as text; then literal
 * handling (message literals, taking them, the bounds), sequence sets,
 * modified UTF-7, dates, the value helpers and the writers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "bounds.h"
#include "buf.h"
#include "imap.h"
#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal and its length (NULs inside count). */
#define S(x) x, sizeof(x) - 1

/* ---------------------------------------------------------------- helpers */

/*
 * The tree as text: words as they are, numbers "#12", NIL "<nil>",
 * quoted strings in '"' (content raw), literals "{n}" or "~{n}" or
 * "{n+}" then their octets or "<taken>", lists in "()"; values are
 * separated by " ", or by "^" when IMAP_VF_JOINED.  Octets outside
 * 0x20-0x7e are written "\xNN".
 */
static void
dump_bytes(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, c);
	}
}

static void
dump(struct buf *b, const struct imap_value *v)
{
	int first = 1;

	for (; v != NULL; v = v->next, first = 0) {
		if (!first)
			buf_putc(b, (v->flags & IMAP_VF_JOINED) ? '^' : ' ');
		switch (v->type) {
		case IMAP_ATOM: dump_bytes(b, v->s, v->len); break;
		case IMAP_NUMBER:
			buf_printf(b, "#%llu", (unsigned long long)v->num);
			break;
		case IMAP_NIL: buf_puts(b, "<nil>"); break;
		case IMAP_QUOTED:
			buf_putc(b, '"');
			dump_bytes(b, v->s, v->len);
			buf_putc(b, '"');
			break;
		case IMAP_LITERAL:
			buf_printf(b, "%s{%zu%s}",
			    (v->flags & IMAP_VF_BINARY) ? "~" : "", v->len,
			    (v->flags & IMAP_VF_NONSYNC) ? "+" : "");
			if (v->flags & IMAP_VF_TAKEN)
				buf_puts(b, "<taken>");
			else
				dump_bytes(b, v->s, v->len);
			break;
		case IMAP_LIST:
			buf_putc(b, '(');
			dump(b, v->child);
			buf_putc(b, ')');
			break;
		}
	}
}

/* What one run of the parser gave, as text to compare. */
struct outcome {
	int rc;
	unsigned nlit; /* NEED_LITERAL results */
	char tree[1024];
	char head[256]; /* tag, verb or response fields */
};

static void
describe(const struct imap_parser *p, struct outcome *o)
{
	struct buf b = BUF_INIT;

	dump(&b, p->args);
	snprintf(o->tree, sizeof(o->tree), "%s", buf_cstr(&b));
	buf_reset(&b);
	if (p->tag != NULL)
		dump_bytes(&b, p->tag, p->taglen);
	buf_putc(&b, '|');
	if (p->mode == IMAP_MODE_COMMAND) {
		buf_printf(&b, "%s|", imap_verb_name(p->verb));
		if (p->verb_name != NULL)
			dump_bytes(&b, p->verb_name, p->verb_namelen);
	} else {
		const struct imap_resp *r = &p->resp;

		buf_printf(
		    &b, "%d|%s|", (int)r->kind, imap_status_name(r->status));
		if (r->has_number)
			buf_printf(&b, "%u ", (unsigned)r->number);
		if (r->name != NULL)
			dump_bytes(&b, r->name, r->namelen);
		buf_putc(&b, '|');
		if (r->code == IMAP_CODE_OTHER) {
			buf_putc(&b, '?');
			dump_bytes(&b, r->code_name, r->code_namelen);
		} else
			buf_puts(&b, imap_code_name(r->code));
		buf_putc(&b, '|');
		if (r->code_arg != NULL)
			dump_bytes(&b, r->code_arg, r->code_arglen);
		buf_putc(&b, '|');
		if (r->code_args != NULL) {
			buf_putc(&b, '<');
			dump(&b, r->code_args);
			buf_putc(&b, '>');
		}
		buf_putc(&b, '|');
		if (r->text != NULL)
			dump_bytes(&b, r->text, r->textlen);
	}
	snprintf(o->head, sizeof(o->head), "%s", buf_cstr(&b));
	buf_free(&b);
}

/*
 * Feed in[0..len) as a server reads: a line at a time (through CRLF),
 * and after NEED_LITERAL the literal's octets; into a struct buf that
 * moves as it grows.
 */
static void
run_lines(struct imap_parser *p, const char *in, size_t len, struct outcome *o)
{
	struct buf b = BUF_INIT;
	size_t at = 0, n;
	int rc;

	memset(o, 0, sizeof(*o));
	imap_parser_reset(p);
	for (;;) {
		const char *nl = memchr(in + at, '\n', len - at);

		n = nl != NULL ? (size_t)(nl - (in + at)) + 1 : len - at;
		buf_append(&b, in + at, n);
		at += n;
		rc = imap_parse(p, b.data != NULL ? b.data : "", b.len);
		while (rc == IMAP_PARSE_NEED_LITERAL) {
			o->nlit++;
			n = p->lit.size < len - at ? (size_t)p->lit.size
						   : len - at;
			buf_append(&b, in + at, n);
			at += n;
			rc = imap_parse(p, b.data, b.len);
			if (rc == IMAP_PARSE_INCOMPLETE && at < len)
				break; /* the literal's octets are in: a line */
		}
		if (rc != IMAP_PARSE_INCOMPLETE || at >= len)
			break;
	}
	o->rc = rc;
	describe(p, o);
	buf_free(&b);
}

/*
 * Feed a byte at a time, each call on a fresh copy of the prefix (the
 * buffer moves every time; ASan sees any stale pointer).
 */
static void
run_bytes(struct imap_parser *p, const char *in, size_t len, struct outcome *o)
{
	char *cur = NULL;
	size_t n;
	int rc = IMAP_PARSE_INCOMPLETE;

	memset(o, 0, sizeof(*o));
	imap_parser_reset(p);
	for (n = 1; n <= len; n++) {
		char *next = malloc(n);

		ATF_REQUIRE(next != NULL);
		memcpy(next, in, n);
		free(cur);
		cur = next;
		rc = imap_parse(p, cur, n);
		if (rc == IMAP_PARSE_NEED_LITERAL) {
			o->nlit++;
			rc = imap_parse(p, cur, n);
		}
		if (rc != IMAP_PARSE_INCOMPLETE &&
		    rc != IMAP_PARSE_NEED_LITERAL)
			break;
	}
	o->rc = rc;
	describe(p, o);
	free(cur);
}

/* The whole input in every call. */
static void
run_whole(struct imap_parser *p, const char *in, size_t len, struct outcome *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	imap_parser_reset(p);
	while ((rc = imap_parse(p, in, len)) == IMAP_PARSE_NEED_LITERAL)
		o->nlit++;
	o->rc = rc;
	describe(p, o);
}

/* Run all three ways; they must agree.  The first way's outcome. */
static void
run3(struct imap_parser *p, const char *in, size_t len, struct outcome *o)
{
	struct outcome b, w;

	run_lines(p, in, len, o);
	run_bytes(p, in, len, &b);
	run_whole(p, in, len, &w);
	ATF_CHECK_EQ_MSG(
	    o->rc, b.rc, "%s: rc %d by line, %d by byte", in, o->rc, b.rc);
	ATF_CHECK_EQ_MSG(
	    o->rc, w.rc, "%s: rc %d by line, %d whole", in, o->rc, w.rc);
	if (o->rc < 0)
		return;
	ATF_CHECK_STREQ_MSG(o->tree, b.tree, "%s", in);
	ATF_CHECK_STREQ_MSG(o->tree, w.tree, "%s", in);
	ATF_CHECK_STREQ_MSG(o->head, b.head, "%s", in);
	ATF_CHECK_STREQ_MSG(o->head, w.head, "%s", in);
	ATF_CHECK_EQ_MSG(o->nlit, b.nlit, "%s", in);
	ATF_CHECK_EQ_MSG(o->nlit, w.nlit, "%s", in);
}

/* ---------------------------------------------------------------- commands */

struct cmd_case {
	const char *in;
	size_t len;
	unsigned flags; /* IMAP_PF_* */
	int rc;
	const char *head; /* "tag|VERB|name as sent" */
	const char *tree; /* NULL: not checked */
	unsigned nlit;
};

static const struct cmd_case cmd_cases[] = {
    {S("a1 NOOP\r\n"), 0, 0, "a1|NOOP|NOOP", "", 0},
    {S("a1 noop\r\n"), 0, 0, "a1|NOOP|noop", "", 0},
    {S("A001 LOGIN alice \"pass word\"\r\n"), 0, 0, "A001|LOGIN|LOGIN",
	"alice \"pass word\"", 0},
    {S("A2 login {5}\r\nalice {3}\r\nabc\r\n"), 0, 0, "A2|LOGIN|login",
	"{5}alice {3}abc", 2},
    {S("A3 LOGIN {5+}\r\nalice pw\r\n"), 0, 0, "A3|LOGIN|LOGIN", "{5+}alice pw",
	1},
    {S("A4 APPEND INBOX (\\Seen) \" 2-Dec-2026 03:49:06 +0000\" {11}\r\n"
       "Hello World\r\n"),
	0, 0, "A4|APPEND|APPEND",
	"INBOX (\\Seen) \" 2-Dec-2026 03:49:06 +0000\" {11}Hello World", 1},
    {S("A5 APPEND INBOX ~{3}\r\na\0b\r\n"), 0, 0, "A5|APPEND|APPEND",
	"INBOX ~{3}a\\x00b", 1},
    {S("A5 APPEND INBOX {3}\r\na\0b\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 1},
    {S("A5 APPEND INBOX {0}\r\n\r\n"), 0, 0, "A5|APPEND|APPEND", "INBOX {0}",
	1},
    {S("A6 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)"
       "\r\n"),
	0, 0, "A6|UID FETCH|UID FETCH",
	"1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)^]<0.100>)", 0},
    {S("A6 uid store 1 +FLAGS.SILENT (\\Deleted)\r\n"), 0, 0,
	"A6|UID STORE|uid store", "#1 +FLAGS.SILENT (\\Deleted)", 0},
    {S("A6 UID EXPUNGE 3:5\r\n"), 0, 0, "A6|UID EXPUNGE|UID EXPUNGE", "3:5", 0},
    {S("A6 UID FROB 1\r\n"), 0, 0, "A6||UID FROB", "#1", 0},
    {S("A6 UID\r\n"), 0, 0, "A6||UID", "", 0},
    {S("A7 SEARCH OR (FROM a) (NOT (TO b))\r\n"), 0, 0, "A7|SEARCH|SEARCH",
	"OR (FROM a) (NOT (TO b))", 0},
    {S("A7 SEARCH CHARSET UTF-8 SUBJECT {4}\r\n\xc3\xa9t\xc3\r\n"), 0, 0,
	"A7|SEARCH|SEARCH", "CHARSET UTF-8 SUBJECT {4}\\xc3\\xa9t\\xc3", 1},
    {S("A8 STORE 1 FLAGS ()\r\n"), 0, 0, "A8|STORE|STORE", "#1 FLAGS ()", 0},
    {S("A8 FETCH 12 BODY[]\r\n"), 0, 0, "A8|FETCH|FETCH", "#12 BODY[]", 0},
    {S("A8 SELECT [Gmail]/Sent\r\n"), 0, 0, "A8|SELECT|SELECT", "[Gmail]/Sent",
	0},
    {S("A8 LIST \"\" %\r\n"), 0, 0, "A8|LIST|LIST", "\"\" %", 0},
    {S("A8 SELECT NIL\r\n"), 0, 0, "A8|SELECT|SELECT", "<nil>", 0},
    {S("A8 X 18446744073709551616 9223372036854775807\r\n"), 0, 0, "A8||X",
	"18446744073709551616 #9223372036854775807", 0},
    {S("A8 X 9223372036854775808 007\r\n"), 0, 0, "A8||X",
	"9223372036854775808 #7", 0},
    {S("A9 LOGIN \"a\\\"b\\\\c\" x\r\n"), 0, 0, "A9|LOGIN|LOGIN",
	"\"a\"b\\c\" x", 0},
    {S("A9 LOGIN \"a\tb\" \"\"\r\n"), 0, 0, "A9|LOGIN|LOGIN",
	"\"a\\x09b\" \"\"", 0},
    {S("A9 X \"a\\\"\" {1}\r\n\" \"\\\\\"\r\n"), 0, 0, "A9||X",
	"\"a\"\" {1}\" \"\\\"", 1},
    {S("A9 ID (\"name\" \"x\")(\"y\" NIL)\r\n"), 0, 0, "A9|ID|ID",
	"(\"name\" \"x\")^(\"y\" <nil>)", 0},
    {S("A9 NOTIFY SET (selected MessageNew (uid body.peek[header.fields "
       "(from to)]))\r\n"),
	0, 0, "A9|NOTIFY|NOTIFY",
	"SET (selected MessageNew (uid body.peek[header.fields (from to)^]))",
	0},
    {S("A9 LOGIN \"caf\xc3\xa9\" x\r\n"), IMAP_PF_UTF8, 0, "A9|LOGIN|LOGIN",
	"\"caf\\xc3\\xa9\" x", 0},
    {S("A9 LOGIN \"caf\xc3\xa9\" x\r\n"), IMAP_PF_8BIT, 0, "A9|LOGIN|LOGIN",
	"\"caf\\xc3\\xa9\" x", 0},
    {S("A9 NOOP \r\n"), IMAP_PF_LAX, 0, "A9|NOOP|NOOP", "", 0},
    {S("A9 X a  b (c ) \r\n"), IMAP_PF_LAX, 0, "A9||X", "a b (c)", 0},
    {S("A9 X ( c)\r\n"), IMAP_PF_LAX, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 NOOP\r\nA2 NOOP\r\n"), 0, 0, "A1|NOOP|NOOP", "", 0},
    {S("a]b CAPABILITY\r\n"), 0, 0, "a]b|CAPABILITY|CAPABILITY", "", 0},
    /* Hostile and malformed. */
    {S("\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S(" NOOP\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S("A+1 NOOP\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S("* NOOP\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S("A{1 NOOP\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S("A1\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S("A1\tNOOP\r\n"), 0, IMAP_PARSE_TAG, NULL, NULL, 0},
    {S("A1 \r\n"), 0, IMAP_PARSE_COMMAND, NULL, NULL, 0},
    {S("A1 (NOOP)\r\n"), 0, IMAP_PARSE_COMMAND, NULL, NULL, 0},
    {S("A1 UID \r\n"), 0, IMAP_PARSE_COMMAND, NULL, NULL, 0},
    {S("A1 NOOP(\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 NOOP \r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 SELECT  INBOX\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 FETCH 1 (FLAGS\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 FETCH 1 (FLAGS \r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 FETCH 1 (\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 FETCH 1 FLAGS)\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 FETCH 1 (FLAGS )\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 X (a)b\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 X a(b)\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 X \"a\"b\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 X a{5}\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 0},
    {S("A1 NOOP\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 NO\rOP\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 NOOP\r\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 SELECT a\x01z\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 SELECT a\0z\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 SELECT \x7f\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 LOGIN \"a\0b\" x\r\n"), 0, IMAP_PARSE_CHAR, NULL, NULL, 0},
    {S("A1 SELECT \xc3\xa9\r\n"), 0, IMAP_PARSE_8BIT, NULL, NULL, 0},
    {S("A1 SELECT \xc3\xa9\r\n"), IMAP_PF_UTF8, IMAP_PARSE_8BIT, NULL, NULL, 0},
    {S("A1 LOGIN \"caf\xc3\xa9\" x\r\n"), 0, IMAP_PARSE_8BIT, NULL, NULL, 0},
    {S("A1 LOGIN \"\xc3(\" x\r\n"), IMAP_PF_UTF8, IMAP_PARSE_8BIT, NULL, NULL,
	0},
    {S("A1 LOGIN \"\xed\xa0\x80\" x\r\n"), IMAP_PF_UTF8, IMAP_PARSE_8BIT, NULL,
	NULL, 0},
    {S("A1 LOGIN \"abc\r\n"), 0, IMAP_PARSE_QUOTED, NULL, NULL, 0},
    {S("A1 LOGIN \"abc\\\"\r\n"), 0, IMAP_PARSE_QUOTED, NULL, NULL, 0},
    {S("A1 LOGIN \"a\\b\" x\r\n"), 0, IMAP_PARSE_QUOTED, NULL, NULL, 0},
    {S("A1 LOGIN \"a\\\r\n"), 0, IMAP_PARSE_QUOTED, NULL, NULL, 0},
    {S("A1 LOGIN {5\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {+}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {-1}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {5} x\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {5}}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {5++}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN { 5}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN ~{x}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL, 0},
    {S("A1 LOGIN {99999999999999999999}\r\n"), 0, IMAP_PARSE_LITERAL, NULL,
	NULL, 0},
    {S("A1 LOGIN {9223372036854775808}\r\n"), 0, IMAP_PARSE_LITERAL, NULL, NULL,
	0},
    {S("A1 LOGIN {9223372036854775807}\r\n"), 0, IMAP_PARSE_LITERAL_BIG, NULL,
	NULL, 0},
    {S("A1 APPEND x {9223372036854775807+}\r\n"), 0, IMAP_PARSE_LITERAL_BIG,
	NULL, NULL, 0},
    {S("A1 LOGIN {70000}\r\n"), 0, IMAP_PARSE_LITERAL_BIG, NULL, NULL, 0},
    {S("A1 LOGIN {4097+}\r\n"), 0, IMAP_PARSE_LITERAL_BIG, NULL, NULL, 0},
    {S("A1 LOGIN {4096+}\r\nx\r\n"), 0, IMAP_PARSE_INCOMPLETE, NULL, NULL, 1},
    {S("A1 LOGIN {1}\r\nax\r\n"), 0, IMAP_PARSE_SYNTAX, NULL, NULL, 1},
    {S("A1 LOGIN {1}\r\na"), 0, IMAP_PARSE_INCOMPLETE, NULL, NULL, 1},
    {S("A1 NOOP"), 0, IMAP_PARSE_INCOMPLETE, NULL, NULL, 0},
    {S("A1 NOOP\r"), 0, IMAP_PARSE_INCOMPLETE, NULL, NULL, 0},
};

ATF_TC_WITHOUT_HEAD(cmd_table);
ATF_TC_BODY(cmd_table, tc)
{
	struct imap_parser p;
	struct outcome o;
	size_t i;

	imap_parser_init(&p, IMAP_MODE_COMMAND);
	for (i = 0; i < NELEM(cmd_cases); i++) {
		const struct cmd_case *t = &cmd_cases[i];

		p.flags = t->flags;
		run3(&p, t->in, t->len, &o);
		ATF_CHECK_EQ_MSG(o.rc, t->rc, "case %zu %s: rc %d (%s)", i,
		    t->in, o.rc, imap_parse_text(o.rc));
		if (t->head != NULL)
			ATF_CHECK_STREQ_MSG(
			    o.head, t->head, "case %zu %s", i, t->in);
		if (t->tree != NULL)
			ATF_CHECK_STREQ_MSG(
			    o.tree, t->tree, "case %zu %s", i, t->in);
		ATF_CHECK_EQ_MSG(o.nlit, t->nlit, "case %zu %s: %u literals", i,
		    t->in, o.nlit);
	}
	imap_parser_free(&p);
}

/* ---------------------------------------------------------------- responses */

struct resp_case {
	const char *in;
	size_t len;
	int rc;
	/* "tag|kind|STATUS|[n ]NAME|code:CODENAME|code_arg|<code_args>|text" */
	const char *head;
	const char *tree;
};

static const struct resp_case resp_cases[] = {
    {S("* OK [UIDVALIDITY 3] x\r\n"), 0, "|2|OK|OK|UIDVALIDITY|3|<#3>|x", ""},
    {S("* 12 EXISTS\r\n"), 0, "|2||12 EXISTS||||", ""},
    {S("* 0 RECENT\r\n"), 0, "|2||0 RECENT||||", ""},
    {S("* 4294967295 EXPUNGE\r\n"), 0, "|2||4294967295 EXPUNGE||||", ""},
    {S("A1 OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] done\r\n"), 0,
	"A1|3|OK|OK|CAPABILITY|IMAP4rev1 LITERAL+ AUTH=PLAIN|"
	"<IMAP4rev1 LITERAL+ AUTH=PLAIN>|done",
	""},
    {S("+ SGVsbG8=\r\n"), 0, "|1||||||SGVsbG8=", ""},
    {S("+\r\n"), 0, "|1||||||", ""},
    {S("+ \r\n"), 0, "|1||||||", ""},
    {S("+Ready\r\n"), 0, "|1||||||Ready", ""},
    {S("+ [ALERT] go on\r\n"), 0, "|1|||ALERT|||go on", ""},
    {S("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"), 0,
	"|2|OK|OK|PERMANENTFLAGS|(\\Deleted \\Seen \\*)|"
	"<(\\Deleted \\Seen \\*)>|Limited",
	""},
    {S("* NO [ALERT] Disk full\r\n"), 0, "|2|NO|NO|ALERT|||Disk full", ""},
    {S("* BYE\r\n"), 0, "|2|BYE|BYE||||", ""},
    {S("* bye going\r\n"), 0, "|2|BYE|bye||||going", ""},
    {S("* PREAUTH [CAPABILITY IMAP4rev2] hi\r\n"), 0,
	"|2|PREAUTH|PREAUTH|CAPABILITY|IMAP4rev2|<IMAP4rev2>|hi", ""},
    {S("A2 NO [TRYCREATE] no mailbox\r\n"), 0,
	"A2|3|NO|NO|TRYCREATE|||no mailbox", ""},
    {S("A3 BAD\r\n"), 0, "A3|3|BAD|BAD||||", ""},
    {S("A3 ok [read-write]\r\n"), 0, "A3|3|OK|ok|READ-WRITE|||", ""},
    {S("* OK [XUNKNOWN some free (text] x\r\n"), 0,
	"|2|OK|OK|?XUNKNOWN|some free (text||x", ""},
    {S("* OK [badcode x\r\n"), 0, "|2|OK|OK||||[badcode x", ""},
    {S("* OK [] x\r\n"), 0, "|2|OK|OK||||[] x", ""},
    {S("* OK [ALERT]x\r\n"), 0, "|2|OK|OK|ALERT|||x", ""},
    {S("* OK [BADCHARSET (UTF-8 \"x]y\")] z\r\n"), 0,
	"|2|OK|OK|BADCHARSET|(UTF-8 \"x]y\")|<(UTF-8 \"x]y\")>|z", ""},
    {S("* OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"), 0,
	"|2|OK|OK|COPYUID|38505 304,319:320 3956:3958|"
	"<#38505 304,319:320 3956:3958>|Done",
	""},
    {S("* OK caf\xc3\xa9\r\n"), 0, "|2|OK|OK||||caf\\xc3\\xa9", ""},
    {S("* OK a\tb\r\n"), 0, "|2|OK|OK||||a\\x09b", ""},
    {S("* 3 FETCH (FLAGS (\\Seen) UID 7 BODY[] {5}\r\nhello)\r\n"), 0,
	"|2||3 FETCH||||", "(FLAGS (\\Seen) UID #7 BODY[] {5}hello)"},
    {S("* 1 FETCH (BODY[HEADER.FIELDS (FROM)] {4}\r\nabcd)\r\n"), 0,
	"|2||1 FETCH||||", "(BODY[HEADER.FIELDS (FROM)^] {4}abcd)"},
    {S("* 1 FETCH (BINARY[1] ~{3}\r\na\0b)\r\n"), 0, "|2||1 FETCH||||",
	"(BINARY[1] ~{3}a\\x00b)"},
    {S("* 1 FETCH (BODY[] {3}\r\na\0b)\r\n"), 0, "|2||1 FETCH||||",
	"(BODY[] {3}a\\x00b)"},
    {S("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"), 0, "|2||LIST||||",
	"(\\HasNoChildren) \"/\" INBOX"},
    {S("* LIST () NIL {5}\r\na b c\r\n"), 0, "|2||LIST||||",
	"() <nil> {5}a b c"},
    {S("* SEARCH\r\n"), 0, "|2||SEARCH||||", ""},
    {S("* SEARCH 2 84 882\r\n"), 0, "|2||SEARCH||||", "#2 #84 #882"},
    {S("* SEARCH \r\n"), 0, "|2||SEARCH||||", ""},
    {S("* CAPABILITY IMAP4rev1  IDLE \r\n"), 0, "|2||CAPABILITY||||",
	"IMAP4rev1 IDLE"},
    {S("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"), 0,
	"|2||STATUS||||", "blurdybloop (MESSAGES #231 UIDNEXT #44292)"},
    {S("* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" "
       "3 1)(\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 3 1) \"ALTERNATIVE\"))"
       "\r\n"),
	0, "|2||1 FETCH||||",
	"(BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" <nil> <nil> <nil> \"7BIT\" #3 "
	"#1)^(\"TEXT\" \"HTML\" <nil> <nil> <nil> \"7BIT\" #3 #1) "
	"\"ALTERNATIVE\"))"},
    {S("* 1 FETCH (ENVELOPE (NIL \"caf\xe9\"))\r\n"), 0, "|2||1 FETCH||||",
	"(ENVELOPE (<nil> \"caf\\xe9\"))"},
    {S("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"), 0, "|2||NAMESPACE||||",
	"((\"\" \"/\")) <nil> <nil>"},
    {S("* ESEARCH (TAG \"A1\") UID MIN 1\r\n"), 0, "|2||ESEARCH||||",
	"(TAG \"A1\") UID MIN #1"},
    /* Hostile and malformed. */
    {S("A1 EXISTS\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("A1 PREAUTH\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* 4294967296 EXISTS\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* 12\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* 12 \r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* \r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("*\r\n"), IMAP_PARSE_TAG, NULL, NULL},
    {S("\r\n"), IMAP_PARSE_TAG, NULL, NULL},
    {S("A1\r\n"), IMAP_PARSE_TAG, NULL, NULL},
    {S("* OK(\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* OK x\0y\r\n"), IMAP_PARSE_CHAR, NULL, NULL},
    {S("* OK x\ny\r\n"), IMAP_PARSE_CHAR, NULL, NULL},
    {S("* 1 FETCH (BODY[] {5+}\r\n"), IMAP_PARSE_LITERAL, NULL, NULL},
    {S("* 1 FETCH (BODY[] {5}\r\nhello\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* 1 FETCH (UID 1))\r\n"), IMAP_PARSE_SYNTAX, NULL, NULL},
    {S("* 1 FETCH (X \"unterminated)\r\n"), IMAP_PARSE_QUOTED, NULL, NULL},
};

ATF_TC_WITHOUT_HEAD(resp_table);
ATF_TC_BODY(resp_table, tc)
{
	struct imap_parser p;
	struct outcome o;
	size_t i;

	imap_parser_init(&p, IMAP_MODE_RESPONSE);
	for (i = 0; i < NELEM(resp_cases); i++) {
		const struct resp_case *t = &resp_cases[i];

		run3(&p, t->in, t->len, &o);
		ATF_CHECK_EQ_MSG(o.rc, t->rc, "case %zu %s: rc %d (%s)", i,
		    t->in, o.rc, imap_parse_text(o.rc));
		if (t->head != NULL)
			ATF_CHECK_STREQ_MSG(
			    o.head, t->head, "case %zu %s", i, t->in);
		if (t->tree != NULL)
			ATF_CHECK_STREQ_MSG(
			    o.tree, t->tree, "case %zu %s", i, t->in);
	}
	imap_parser_free(&p);
}

/* ---------------------------------------------------------------- literals */

/* Parse in[0..len) in one buffer; stop at the first result other than
   INCOMPLETE that the caller must act on. */
static int
parse_upto(struct imap_parser *p, const char *in, size_t len)
{
	return imap_parse(p, in, len);
}

struct msg_case {
	enum imap_mode mode;
	const char *in; /* through the first literal header's CRLF */
	int message;
};

static const struct msg_case msg_cases[] = {
    {IMAP_MODE_COMMAND, "A1 APPEND INBOX {5}\r\n", 1},
    {IMAP_MODE_COMMAND, "A1 APPEND INBOX (\\Seen) {5}\r\n", 1},
    {IMAP_MODE_COMMAND,
	"A1 APPEND INBOX (\\Seen) \"02-Dec-2026 03:49:06 +0000\" ~{5}\r\n", 1},
    {IMAP_MODE_COMMAND, "A1 APPEND {5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 append INBOX {5+}\r\n", 1},
    {IMAP_MODE_COMMAND,
	"A1 APPEND Drafts CATENATE (URL \"/Drafts;UID=1\" TEXT {5}\r\n", 1},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts CATENATE (URL {5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts (TEXT {5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts X (TEXT {5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts UTF8 (~{5}\r\n", 1},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts (\\Seen) UTF8 (~{5}\r\n", 1},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts UTF8 (x ~{5}\r\n", 1},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts UTF8 ((~{5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 APPEND Drafts UTF8 () (~{5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 LOGIN {5}\r\n", 0},
    {IMAP_MODE_COMMAND, "A1 SEARCH TEXT {5}\r\n", 0},
    {IMAP_MODE_RESPONSE, "* 1 FETCH (BODY[] {5}\r\n", 1},
    {IMAP_MODE_RESPONSE, "* 1 FETCH (UID 3 BODY[1.2]<0> {5}\r\n", 1},
    {IMAP_MODE_RESPONSE, "* 1 FETCH (BINARY[1] ~{5}\r\n", 1},
    {IMAP_MODE_RESPONSE, "* 1 FETCH (RFC822.TEXT {5}\r\n", 1},
    {IMAP_MODE_RESPONSE, "* 1 FETCH (BODY[HEADER.FIELDS (A)] {5}\r\n", 1},
    {IMAP_MODE_RESPONSE, "* 1 FETCH (ENVELOPE (NIL {5}\r\n", 0},
    {IMAP_MODE_RESPONSE, "* LIST () \"/\" {5}\r\n", 0},
    {IMAP_MODE_RESPONSE, "* 1 FETCH ({5}\r\n", 0},
};

ATF_TC_WITHOUT_HEAD(literal_message);
ATF_TC_BODY(literal_message, tc)
{
	struct imap_parser p;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(msg_cases); i++) {
		const struct msg_case *t = &msg_cases[i];

		imap_parser_init(&p, t->mode);
		rc = parse_upto(&p, t->in, strlen(t->in));
		ATF_CHECK_EQ_MSG(
		    rc, IMAP_PARSE_NEED_LITERAL, "%s: rc %d", t->in, rc);
		ATF_CHECK_EQ_MSG(p.lit.message, t->message, "%s", t->in);
		ATF_CHECK_EQ_MSG(p.lit.size, 5, "%s", t->in);
		ATF_CHECK_EQ_MSG(p.lit.offset, strlen(t->in), "%s", t->in);
		imap_parser_free(&p);
	}
}

/* APPEND of a message larger than any literal held: streamed. */
ATF_TC_WITHOUT_HEAD(literal_take);
ATF_TC_BODY(literal_take, tc)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	struct outcome o;
	const char *l1 = "A1 APPEND INBOX (\\Seen) {10485760}\r\n";
	const char *l2 = " (\\Draft) {3+}\r\n";
	int rc;

	imap_parser_init(&p, IMAP_MODE_COMMAND);
	buf_puts(&b, l1);
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_NEED_LITERAL);
	ATF_CHECK(p.lit.message && p.lit.sync && !p.lit.binary);
	ATF_CHECK(!p.lit.fits);
	ATF_CHECK_EQ(p.lit.size, 10485760);
	ATF_CHECK_EQ(p.lit.index, 0);
	ATF_CHECK_EQ(p.lit.offset, strlen(l1));
	/* The tree so far is there to look at. */
	ATF_CHECK_EQ(p.verb, IMAP_CMD_APPEND);
	ATF_CHECK_EQ(p.nargs, 2);
	/* Taken once only; then the next line (MULTIAPPEND). */
	ATF_CHECK_EQ(imap_parser_take(&p), 0);
	ATF_CHECK_EQ(imap_parser_take(&p), -1);
	buf_puts(&b, l2);
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_NEED_LITERAL);
	ATF_CHECK(p.lit.message && !p.lit.sync && p.lit.fits);
	ATF_CHECK_EQ(p.lit.index, 1);
	ATF_CHECK_EQ(p.lit.offset, strlen(l1) + strlen(l2));
	/* This one is held. */
	buf_puts(&b, "abc\r\n");
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_OK);
	ATF_CHECK_EQ(p.used, b.len);
	ATF_CHECK_EQ(imap_parser_take(&p), -1);
	describe(&p, &o);
	ATF_CHECK_STREQ(o.tree,
	    "INBOX (\\Seen) {10485760}<taken> (\\Draft) "
	    "{3+}abc");
	ATF_CHECK_EQ(p.args->next->next->lit_index, 0);
	ATF_CHECK_EQ(p.args->next->next->off, strlen(l1));
	ATF_CHECK(p.args->next->next->s == NULL);
	/* Called again after OK: misuse until reset. */
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_MISUSE);

	/* Holding a literal that does not fit fails when it arrives. */
	imap_parser_reset(&p);
	p.held_max = 64;
	buf_reset(&b);
	buf_puts(&b, "A1 APPEND INBOX {100}\r\n");
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_NEED_LITERAL);
	ATF_CHECK(p.lit.message && !p.lit.fits);
	rc = imap_parse(&p, b.data, b.len);
	ATF_CHECK_EQ(rc, IMAP_PARSE_LITERAL_BIG);
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_MISUSE);
	/* A held literal that is no message must fit when announced. */
	imap_parser_reset(&p);
	buf_reset(&b);
	buf_puts(&b, "A1 LOGIN {60}\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_LITERAL_BIG);
	ATF_CHECK_EQ(p.lit.size, 60);
	ATF_CHECK(p.lit.sync);
	/* Take is refused with no literal pending. */
	imap_parser_reset(&p);
	ATF_CHECK_EQ(imap_parser_take(&p), -1);

	/* Client side: a FETCH body streamed. */
	imap_parser_free(&p);
	imap_parser_init(&p, IMAP_MODE_RESPONSE);
	buf_reset(&b);
	buf_puts(&b, "* 7 FETCH (UID 9 BODY[] {123456789}\r\n");
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_NEED_LITERAL);
	ATF_CHECK(p.lit.message && p.lit.fits == 0);
	ATF_CHECK_EQ(imap_parser_take(&p), 0);
	buf_puts(&b, " FLAGS (\\Seen))\r\n");
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_OK);
	describe(&p, &o);
	ATF_CHECK_STREQ(o.tree,
	    "(UID #9 BODY[] {123456789}<taken> FLAGS "
	    "(\\Seen))");
	ATF_CHECK_EQ(p.resp.number, 7);
	imap_parser_free(&p);
	buf_free(&b);
}

struct line_lit_case {
	const char *in;
	int rc;
	uint64_t size;
	int sync, binary;
};

static const struct line_lit_case line_lit_cases[] = {
    {"A1 LOGIN {5}\r\n", 1, 5, 1, 0},
    {"A1 LOGIN {5}", 1, 5, 1, 0},
    {"A1 LOGIN {12+}", 1, 12, 0, 0},
    {"A1 APPEND x ~{7}\r\n", 1, 7, 1, 1},
    {"{0}", 1, 0, 1, 0},
    {"A1 LOGIN {}", 0, 0, 0, 0},
    {"A1 LOGIN {+}", 0, 0, 0, 0},
    {"A1 LOGIN 5}", 0, 0, 0, 0},
    {"}", 0, 0, 0, 0},
    {"+}", 0, 0, 0, 0},
    {"A1 NOOP", 0, 0, 0, 0},
    {"{99999999999999999999}", 0, 0, 0, 0},
};

ATF_TC_WITHOUT_HEAD(line_literal);
ATF_TC_BODY(line_literal, tc)
{
	struct imap_lit l;
	size_t i;

	for (i = 0; i < NELEM(line_lit_cases); i++) {
		const struct line_lit_case *t = &line_lit_cases[i];
		int rc = imap_line_literal(t->in, strlen(t->in), &l);

		ATF_CHECK_EQ_MSG(rc, t->rc, "%s", t->in);
		if (rc != 1)
			continue;
		ATF_CHECK_EQ_MSG(l.size, t->size, "%s", t->in);
		ATF_CHECK_EQ_MSG(l.sync, t->sync, "%s", t->in);
		ATF_CHECK_EQ_MSG(l.binary, t->binary, "%s", t->in);
	}
}

/* ---------------------------------------------------------------- bounds */

/* "tag X " then n "(" then n ")" and CRLF. */
static int
nest(enum imap_mode mode, size_t n)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	buf_puts(&b, mode == IMAP_MODE_COMMAND ? "A1 X " : "* X ");
	for (i = 0; i < n; i++)
		buf_putc(&b, '(');
	for (i = 0; i < n; i++)
		buf_putc(&b, ')');
	buf_puts(&b, "\r\n");
	imap_parser_init(&p, mode);
	rc = imap_parse(&p, b.data, b.len);
	imap_parser_free(&p);
	buf_free(&b);
	return rc;
}

ATF_TC_WITHOUT_HEAD(bounds);
ATF_TC_BODY(bounds, tc)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	size_t i;

	ATF_CHECK_EQ(nest(IMAP_MODE_COMMAND, IMAP_LIST_DEPTH_MAX), 0);
	ATF_CHECK_EQ(
	    nest(IMAP_MODE_COMMAND, IMAP_LIST_DEPTH_MAX + 1), IMAP_PARSE_DEPTH);
	ATF_CHECK_EQ(nest(IMAP_MODE_RESPONSE, IMAP_LIST_DEPTH_MAX), 0);
	ATF_CHECK_EQ(nest(IMAP_MODE_RESPONSE, 5000), IMAP_PARSE_DEPTH);

	/* A depth_max above the stack is cut to it. */
	imap_parser_init(&p, IMAP_MODE_COMMAND);
	p.depth_max = 100000;
	buf_puts(&b, "A1 X ");
	for (i = 0; i < 200; i++)
		buf_putc(&b, '(');
	buf_puts(&b, "\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_DEPTH);
	ATF_CHECK_EQ(p.err_off, 5 + IMAP_LIST_DEPTH_MAX);

	/* The line: IMAP_CMD_LINE_MAX octets with the CRLF. */
	imap_parser_reset(&p);
	buf_reset(&b);
	buf_puts(&b, "A1 X ");
	while (b.len < IMAP_CMD_LINE_MAX - 2)
		buf_putc(&b, 'a');
	buf_puts(&b, "\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), 0);
	imap_parser_reset(&p);
	buf_truncate(&b, b.len - 2);
	buf_puts(&b, "a\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_TOOLONG);
	/* ... known before the CRLF comes: one octet short of it, the
	   line is still fine, at the bound it cannot be. */
	imap_parser_reset(&p);
	buf_truncate(&b, b.len - 3);
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_INCOMPLETE);
	buf_putc(&b, 'a');
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_TOOLONG);
	/* ... and counted over the lines of one command, not literals. */
	imap_parser_reset(&p);
	buf_reset(&b);
	buf_puts(&b, "A1 X {3}\r\n");
	ATF_REQUIRE_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_NEED_LITERAL);
	buf_puts(&b, "abc ");
	while (b.len < IMAP_CMD_LINE_MAX + 3 - 2)
		buf_putc(&b, 'a');
	buf_puts(&b, "\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), 0);
	imap_parser_reset(&p);
	buf_truncate(&b, b.len - 2);
	buf_puts(&b, "a\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, 10), IMAP_PARSE_NEED_LITERAL);
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_TOOLONG);

	/* Items: IMAP_CMD_ITEMS_MAX values, but a lowered bound holds. */
	imap_parser_reset(&p);
	p.items_max = 10;
	buf_reset(&b);
	buf_puts(&b, "A1 X a b c d e f g h i j\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), 0);
	imap_parser_reset(&p);
	buf_reset(&b);
	buf_puts(&b, "A1 X a b c d e f g h i (j)\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_ITEMS);
	imap_parser_free(&p);

	/* A response's values are bounded too (many chunks of the arena). */
	imap_parser_init(&p, IMAP_MODE_RESPONSE);
	p.items_max = 1000;
	buf_reset(&b);
	buf_puts(&b, "* SEARCH");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, " %zu", i + 1);
	buf_puts(&b, "\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), 0);
	ATF_CHECK_EQ(p.nargs, 1000);
	imap_parser_reset(&p);
	buf_truncate(&b, b.len - 2);
	buf_puts(&b, " 1001\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), IMAP_PARSE_ITEMS);
	imap_parser_free(&p);

	/* A code's arguments past the bound are left as text. */
	imap_parser_init(&p, IMAP_MODE_RESPONSE);
	p.items_max = 3;
	buf_reset(&b);
	buf_puts(&b, "* OK [PERMANENTFLAGS (\\Seen \\Draft \\*)] x\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), 0);
	ATF_CHECK_EQ(p.resp.code, IMAP_CODE_PERMANENTFLAGS);
	ATF_CHECK(p.resp.code_args == NULL && p.resp.code_arglen == 17);
	ATF_CHECK(p.resp.textlen == 1 && p.resp.text[0] == 'x');
	imap_parser_free(&p);

	/* The spool for unescaped strings counts against held_max. */
	imap_parser_init(&p, IMAP_MODE_COMMAND);
	buf_reset(&b);
	buf_puts(&b, "A1 X \"\\\\\\\\\"\r\n");
	ATF_CHECK_EQ(imap_parse(&p, b.data, b.len), 0);
	ATF_CHECK(p.args->len == 2 && memcmp(p.args->s, "\\\\", 2) == 0);
	imap_parser_free(&p);

	/* Every rc has words. */
	for (i = 0; i <= 16; i++) {
		ATF_CHECK(imap_parse_text(-(int)i)[0] != '\0');
		ATF_CHECK(imap_parse_text((int)i)[0] != '\0');
	}
	buf_free(&b);
}

/* ---------------------------------------------------------------- seqset */

struct seq_case {
	const char *in;
	uint32_t max;
	int rc;
	const char *out; /* imap_seqset_format */
	uint32_t highest;
	int star;
};

static const struct seq_case seq_cases[] = {
    {"1:*", 10, 0, "1:10", 1, 1},
    {"1,3,5:7", 10, 0, "1,3,5:7", 7, 0},
    {"5:3", 10, 0, "3:5", 5, 0},
    {"*", 10, 0, "10", 0, 1},
    {"*", 0, 0, "", 0, 1},
    {"2,5:*", 0, 0, "2", 5, 1},
    {"*:4", 3, 0, "3:4", 4, 1},
    {"9:*", 5, 0, "5:9", 9, 1},
    {"*:*", 5, 0, "5", 0, 1},
    {"$", 10, 0, "$", 0, 0},
    {"1:3,2:6,8,7", 10, 0, "1:8", 8, 0},
    {"7,1,3,2", 10, 0, "1:3,7", 7, 0},
    {"4294967295,1:4294967294", 0, 0, "1:4294967295", 4294967295u, 0},
    {"4294967295:4294967295,4294967295", 0, 0, "4294967295", 4294967295u, 0},
    {"4294967295:1", 0, 0, "1:4294967295", 4294967295u, 0},
    {"007", 0, 0, "7", 7, 0},
    {"0", 10, -1, "", 0, 0},
    {"1:0", 10, -1, "", 0, 0},
    {"0:*", 10, -1, "", 0, 0},
    {"4294967296", 10, -1, "", 0, 0},
    {"99999999999999999999", 10, -1, "", 0, 0},
    {"1,,2", 10, -1, "", 0, 0},
    {"1:", 10, -1, "", 0, 0},
    {":1", 10, -1, "", 0, 0},
    {",", 10, -1, "", 0, 0},
    {"1,", 10, -1, "", 0, 0},
    {",1", 10, -1, "", 0, 0},
    {"", 10, -1, "", 0, 0},
    {"1:2:3", 10, -1, "", 0, 0},
    {"a", 10, -1, "", 0, 0},
    {"$,1", 10, -1, "", 0, 0},
    {"1,$", 10, -1, "", 0, 0},
    {"$$", 10, -1, "", 0, 0},
    {" 1", 10, -1, "", 0, 0},
    {"1 ", 10, -1, "", 0, 0},
    {"+1", 10, -1, "", 0, 0},
    {"-1", 10, -1, "", 0, 0},
    {"**", 10, -1, "", 0, 0},
    {"1:*:", 10, -1, "", 0, 0},
};

ATF_TC_WITHOUT_HEAD(seqset_table);
ATF_TC_BODY(seqset_table, tc)
{
	struct imap_seqset set = IMAP_SEQSET_INIT;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < NELEM(seq_cases); i++) {
		const struct seq_case *t = &seq_cases[i];
		int rc = imap_seqset_parse(t->in, strlen(t->in), t->max, &set);

		ATF_CHECK_EQ_MSG(rc, t->rc, "%s: rc %d", t->in, rc);
		if (rc != 0) {
			ATF_CHECK_EQ_MSG(set.n, 0, "%s", t->in);
			ATF_CHECK_EQ(errno, EINVAL);
			continue;
		}
		buf_reset(&b);
		ATF_CHECK_EQ(imap_seqset_format(&set, &b), 0);
		ATF_CHECK_STREQ_MSG(buf_cstr(&b), t->out, "%s", t->in);
		ATF_CHECK_EQ_MSG(set.highest, t->highest, "%s: highest %u",
		    t->in, (unsigned)set.highest);
		ATF_CHECK_EQ_MSG(set.star, t->star, "%s", t->in);
		ATF_CHECK_EQ_MSG(
		    set.last, strcmp(t->in, "$") == 0, "%s", t->in);
	}
	imap_seqset_free(&set);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(seqset_ops);
ATF_TC_BODY(seqset_ops, tc)
{
	struct imap_seqset set = IMAP_SEQSET_INIT;
	struct buf b = BUF_INIT;
	static const uint32_t in[] = {1, 3, 5, 6, 7, 10, 4294967295u};
	static const uint32_t out[] = {0, 2, 4, 8, 9, 11, 4294967294u};
	size_t i, n = 2 * IMAP_SEQSET_RANGES_MAX + 1;
	char *big = malloc(n);

	ATF_REQUIRE_EQ(
	    imap_seqset_parse(S("1,3,5:7,10,4294967295"), 0, &set), 0);
	for (i = 0; i < NELEM(in); i++)
		ATF_CHECK_MSG(
		    imap_seqset_contains(&set, in[i]), "%u", (unsigned)in[i]);
	for (i = 0; i < NELEM(out); i++)
		ATF_CHECK_MSG(!imap_seqset_contains(&set, out[i]), "%u",
		    (unsigned)out[i]);
	ATF_CHECK_EQ(imap_seqset_count(&set), 7);
	/* The whole 32-bit range counts past 2^32 - 1 members. */
	ATF_REQUIRE_EQ(imap_seqset_parse(S("1:*"), 4294967295u, &set), 0);
	ATF_CHECK_EQ(imap_seqset_count(&set), 4294967295ULL);

	/* A builder, in order and out of it. */
	imap_seqset_free(&set);
	ATF_CHECK_EQ(imap_seqset_add(&set, 5, 5), 0);
	ATF_CHECK_EQ(imap_seqset_add(&set, 6, 8), 0);
	ATF_CHECK_EQ(imap_seqset_add(&set, 12, 10), 0);
	ATF_CHECK_EQ(imap_seqset_add(&set, 1, 2), 0);
	ATF_CHECK_EQ(imap_seqset_add(&set, 3, 3), 0);
	ATF_CHECK_EQ(imap_seqset_add(&set, 4294967295u, 4294967295u), 0);
	ATF_CHECK_EQ(imap_seqset_add(&set, 4294967294u, 4294967295u), 0);
	buf_reset(&b);
	imap_seqset_format(&set, &b);
	ATF_CHECK_STREQ(buf_cstr(&b), "1:3,5:8,10:12,4294967294:4294967295");

	/* Too many parts: "1,1,...,1" with one part over the bound. */
	ATF_REQUIRE(big != NULL);
	for (i = 0; i < n; i++)
		big[i] = i % 2 == 0 ? '1' : ',';
	ATF_CHECK_EQ(imap_seqset_parse(big, n, 5, &set), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	/* At the bound, all merged into one. */
	ATF_CHECK_EQ(imap_seqset_parse(big, n - 2, 5, &set), 0);
	ATF_CHECK_EQ(set.n, 1);
	free(big);
	imap_seqset_free(&set);
	buf_free(&b);
}

/* ---------------------------------------------------------------- mUTF-7 */

struct utf7_case {
	const char *utf8;
	const char *mutf7;
};

static const struct utf7_case utf7_cases[] = {
    /* RFC 3501 §5.1.3's example. */
    {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	"~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"", ""},
    {"INBOX", "INBOX"},
    {"&", "&-"},
    {"a&b&&", "a&-b&-&-"},
    {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"},
    {"\xc3\xa9\xc3\xa9", "&AOkA6Q-"},
    {"\x01", "&AAE-"},
    {"\x7f", "&AH8-"},
    {"a\xf0\x9f\x98\x80"
     "b\xe2\x82\xac",
	"a&2D3eAA-b&IKw-"},
    {"\xef\xbf\xbf", "&,,8-"},
    {"\xf4\x8f\xbf\xbf", "&2,,f,w-"},
    {" ~-", " ~-"},
};

static const char *const utf7_bad[] = {
    "&U,BTFw", /* unterminated */
    "&", /* unterminated */
    "a&", /* unterminated */
    "&AGE-", /* "a" in base64 */
    "&ACA-", /* " " in base64 */
    "&AH4-", /* "~" in base64 */
    "&ACY-", /* "&" in base64 */
    "&AAA-", /* NUL */
    "&U,BTFw-&ZeVnLIqe-", /* two runs where one would do */
    "&2D0-", /* lone high surrogate at the end */
    "&2D3YPQ-", /* high surrogate, then another high one */
    "&2D0AYQ-", /* high surrogate, then "a" */
    "&3gA-", /* lone low surrogate */
    "&3gDYPQ-", /* low before high */
    "&AOl-", /* non-zero padding bits */
    "&AOkA-", /* a character more than needed */
    "&A-", /* 6 bits: no character */
    "&AO-", /* 12 bits: no character */
    "&A/k-", /* "/" is "," here */
    "&AOk=-", /* no "=" padding */
    "&AO k-", /* space in base64 */
    "\xc3\xa9", /* 8-bit */
    "\x01", /* control */
    "\x7f", /* DEL */
    "a\tb", /* TAB */
};

static const char *const utf8_bad[] = {
    "\xc3", /* cut short */
    "\xc0\xaf", /* overlong */
    "\xe0\x80\xaf", /* overlong */
    "\xf0\x80\x80\xaf", /* overlong */
    "\xed\xa0\x80", /* surrogate */
    "\xf4\x90\x80\x80", /* above U+10FFFF */
    "\xf8\x88\x80\x80\x80", "\x80", /* lone continuation */
    "\xe2\x82", /* cut short */
    "\xe2(\xac", /* not a continuation */
};

ATF_TC_WITHOUT_HEAD(utf7);
ATF_TC_BODY(utf7, tc)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < NELEM(utf7_cases); i++) {
		const struct utf7_case *t = &utf7_cases[i];

		buf_reset(&b);
		ATF_CHECK_EQ_MSG(imap_utf7_encode(t->utf8, strlen(t->utf8), &b),
		    0, "%s", t->mutf7);
		ATF_CHECK_STREQ_MSG(
		    buf_cstr(&b), t->mutf7, "encode %s", t->mutf7);
		buf_reset(&b);
		ATF_CHECK_EQ_MSG(
		    imap_utf7_decode(t->mutf7, strlen(t->mutf7), &b), 0, "%s",
		    t->mutf7);
		ATF_CHECK_STREQ_MSG(
		    buf_cstr(&b), t->utf8, "decode %s", t->mutf7);
	}
	for (i = 0; i < NELEM(utf7_bad); i++) {
		/* A failure leaves what was in the buffer. */
		buf_reset(&b);
		buf_puts(&b, "keep");
		errno = 0;
		ATF_CHECK_EQ_MSG(
		    imap_utf7_decode(utf7_bad[i], strlen(utf7_bad[i]), &b), -1,
		    "%s decoded to %s", utf7_bad[i], buf_cstr(&b));
		ATF_CHECK_EQ(errno, EILSEQ);
		ATF_CHECK_STREQ(buf_cstr(&b), "keep");
	}
	for (i = 0; i < NELEM(utf8_bad); i++) {
		buf_reset(&b);
		ATF_CHECK_EQ_MSG(
		    imap_utf7_encode(utf8_bad[i], strlen(utf8_bad[i]), &b), -1,
		    "case %zu", i);
		ATF_CHECK_EQ(b.len, 0);
		ATF_CHECK(!util_utf8_valid(utf8_bad[i], strlen(utf8_bad[i])));
	}
	buf_reset(&b);
	ATF_CHECK_EQ(imap_utf7_encode(S("a\0b"), &b), -1);
	ATF_CHECK_EQ(imap_utf7_decode(S("a\0b"), &b), -1);
	ATF_CHECK(util_utf8_valid(S("a\0b")));
	/* A bounded buffer: the encoder stops, and leaves nothing. */
	buf_free(&b);
	buf_init(&b, 8);
	ATF_CHECK_EQ(imap_utf7_encode(S("\xe5\x8f\xb0\xe5\x8c\x97"), &b), 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "&U,BTFw-");
	buf_reset(&b);
	ATF_CHECK_EQ(imap_utf7_encode(S("\xe5\x8f\xb0\xe5\x8c\x97x"), &b), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	ATF_CHECK_EQ(b.len, 0);
	buf_free(&b);
}

/* Every BMP code point but the surrogates, and some above, round trip. */
ATF_TC_WITHOUT_HEAD(utf7_all);
ATF_TC_BODY(utf7_all, tc)
{
	struct buf u = BUF_INIT, m = BUF_INIT, d = BUF_INIT;
	uint32_t cp;
	char c[4];

	for (cp = 1; cp < 0x110000; cp += cp < 0x10000 ? 1 : 257) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		buf_reset(&u);
		buf_reset(&m);
		buf_reset(&d);
		/* "x<cp>y<cp><cp>" */
		if (cp < 0x80) {
			c[0] = (char)cp;
			buf_append(&u, c, 1);
		} else if (cp < 0x800) {
			c[0] = (char)(0xc0 | (cp >> 6));
			c[1] = (char)(0x80 | (cp & 0x3f));
			buf_append(&u, c, 2);
		} else if (cp < 0x10000) {
			c[0] = (char)(0xe0 | (cp >> 12));
			c[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			c[2] = (char)(0x80 | (cp & 0x3f));
			buf_append(&u, c, 3);
		} else {
			c[0] = (char)(0xf0 | (cp >> 18));
			c[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			c[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
			c[3] = (char)(0x80 | (cp & 0x3f));
			buf_append(&u, c, 4);
		}
		buf_puts(&m, "x");
		buf_append(&m, u.data, u.len);
		buf_puts(&m, "y");
		buf_append(&m, u.data, u.len);
		buf_append(&m, u.data, u.len);
		buf_reset(&u);
		buf_append(&u, m.data, m.len);
		buf_reset(&m);
		if (imap_utf7_encode(u.data, u.len, &m) != 0 ||
		    imap_utf7_decode(m.data, m.len, &d) != 0 ||
		    d.len != u.len || memcmp(d.data, u.data, u.len) != 0) {
			ATF_CHECK_MSG(
			    0, "U+%04X: %s", (unsigned)cp, buf_cstr(&m));
			break;
		}
	}
	buf_free(&u);
	buf_free(&m);
	buf_free(&d);
}

/* ---------------------------------------------------------------- dates */

struct dt_case {
	const char *in;
	int rc;
	int64_t t;
	int zone;
	const char *out; /* imap_datetime_format(t, zone); NULL: in */
};

static const struct dt_case dt_cases[] = {
    {"02-Dec-2026 03:49:06 +0000", 0, 1796183346, 0, NULL},
    {" 2-Dec-2026 03:49:06 +0000", 0, 1796183346, 0,
	"02-Dec-2026 03:49:06 +0000"},
    {"02-dec-2026 03:49:06 +0000", 0, 1796183346, 0,
	"02-Dec-2026 03:49:06 +0000"},
    {"17-Jul-1996 02:44:25 -0700", 0, 837596665, -420, NULL},
    {"18-Jul-1996 01:14:25 +1530", 0, 837596665, 930, NULL},
    {"29-Feb-2024 23:59:59 +0000", 0, 1709251199, 0, NULL},
    {"01-Jan-1970 00:00:00 +0000", 0, 0, 0, NULL},
    {"01-Jan-1970 00:00:00 +0100", 0, -3600, 60, NULL},
    {"31-Dec-1969 23:59:59 +0000", 0, -1, 0, NULL},
    {"01-Jan-0001 00:00:00 +0000", 0, -62135596800LL, 0, NULL},
    {"31-Dec-9999 00:00:00 +0000", 0, 253402214400LL, 0,
	"31-Dec-9999 00:00:00 +0000"},
    {"29-Feb-2000 12:00:00 +0000", 0, 951825600, 0, NULL},
    {"31-Dec-2026 23:59:60 +0000", 0, 1798761600, 0,
	"01-Jan-2027 00:00:00 +0000"},
    {"29-Feb-2023 00:00:00 +0000", -1, 0, 0, NULL},
    {"29-Feb-1900 00:00:00 +0000", -1, 0, 0, NULL},
    {"31-Apr-2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"00-Jan-2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"32-Jan-2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026 24:00:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026 00:60:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026 00:00:61 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026 00:00:00 +2400", -1, 0, 0, NULL},
    {"01-Jan-2026 00:00:00 +0060", -1, 0, 0, NULL},
    {"01-Jan-2026 00:00:00 0000", -1, 0, 0, NULL},
    {"01-Jan-2026 00:00:00  0000", -1, 0, 0, NULL},
    {"1-Jan-2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"01-Foo-2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-26 00:00:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026 00:00:00 +00000", -1, 0, 0, NULL},
    {"01 Jan 2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026T00:00:00 +0000", -1, 0, 0, NULL},
    {"01-Jan-2026 0:00:00 +0000", -1, 0, 0, NULL},
    {"0x-Jan-2026 00:00:00 +0000", -1, 0, 0, NULL},
    {"", -1, 0, 0, NULL},
};

ATF_TC_WITHOUT_HEAD(datetime);
ATF_TC_BODY(datetime, tc)
{
	char out[IMAP_DATETIME_LEN + 1];
	struct buf b = BUF_INIT;
	int64_t t;
	size_t i;
	int zone;

	for (i = 0; i < NELEM(dt_cases); i++) {
		const struct dt_case *c = &dt_cases[i];
		int rc = imap_datetime_parse(c->in, strlen(c->in), &t, &zone);

		ATF_CHECK_EQ_MSG(rc, c->rc, "%s", c->in);
		if (rc != 0)
			continue;
		ATF_CHECK_EQ_MSG(t, c->t, "%s: %lld", c->in, (long long)t);
		ATF_CHECK_EQ_MSG(zone, c->zone, "%s: %d", c->in, zone);
		ATF_CHECK_EQ(
		    imap_datetime_format(t, zone, out, sizeof(out)), 0);
		ATF_CHECK_STREQ_MSG(
		    out, c->out != NULL ? c->out : c->in, "%s", c->in);
	}
	ATF_CHECK_EQ(imap_datetime_format(0, 24 * 60, out, sizeof(out)), -1);
	ATF_CHECK_EQ(imap_datetime_format(0, 0, out, IMAP_DATETIME_LEN), -1);
	ATF_CHECK_EQ(
	    imap_datetime_format(-62200000000LL, 0, out, sizeof(out)), -1);
	ATF_CHECK_EQ(
	    imap_datetime_format(253402300800LL, 0, out, sizeof(out)), -1);
	ATF_CHECK_EQ(imap_datetime_format(INT64_MAX, 0, out, sizeof(out)), -1);
	ATF_CHECK_EQ(imap_datetime_format(INT64_MIN, 0, out, sizeof(out)), -1);
	ATF_CHECK_EQ(imap_put_datetime(&b, 1796183346, 0), 0);
	ATF_CHECK_STREQ(buf_cstr(&b), "\"02-Dec-2026 03:49:06 +0000\"");
	buf_free(&b);

	/* date (SEARCH): 1 or 2 digits of day, no time. */
	ATF_CHECK(imap_date_parse(S("1-Feb-1994"), &t) == 0 && t == 760060800);
	ATF_CHECK(imap_date_parse(S("01-Feb-1994"), &t) == 0 && t == 760060800);
	ATF_CHECK(imap_date_parse(S("01-jan-2000"), &t) == 0 && t == 946684800);
	ATF_CHECK_EQ(imap_date_parse(S("1-Feb-94"), &t), -1);
	ATF_CHECK_EQ(imap_date_parse(S("001-Feb-1994"), &t), -1);
	ATF_CHECK_EQ(imap_date_parse(S(" 1-Feb-1994"), &t), -1);
	ATF_CHECK_EQ(imap_date_parse(S("30-Feb-1994"), &t), -1);
	ATF_CHECK_EQ(imap_date_parse(S("0-Feb-1994"), &t), -1);
	ATF_CHECK_EQ(imap_date_parse(S(""), &t), -1);
}

/* ---------------------------------------------------------------- values */

/* Parse "A1 X <args>" CRLF in b; the first argument. */
static const struct imap_value *
arg1n(struct imap_parser *p, struct buf *b, const char *args, size_t len)
{
	buf_reset(b);
	buf_puts(b, "A1 X ");
	buf_append(b, args, len);
	buf_puts(b, "\r\n");
	imap_parser_reset(p);
	while (imap_parse(p, b->data, b->len) == IMAP_PARSE_NEED_LITERAL)
		;
	return p->args;
}

static const struct imap_value *
arg1(struct imap_parser *p, struct buf *b, const char *args)
{
	return arg1n(p, b, args, strlen(args));
}

ATF_TC_WITHOUT_HEAD(values);
ATF_TC_BODY(values, tc)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	const struct imap_value *v, *kw[4];
	const char *s;
	size_t len, nkw;
	uint32_t n;
	uint64_t n64;
	unsigned bits;
	char c[8];

	/* The character classes. */
	ATF_CHECK(imap_atom_char('a') && imap_atom_char('[') &&
	    imap_atom_char('~') && imap_atom_char('+'));
	ATF_CHECK(!imap_atom_char(']') && !imap_atom_char('%') &&
	    !imap_atom_char('*') && !imap_atom_char('\\') &&
	    !imap_atom_char('"') && !imap_atom_char('{') &&
	    !imap_atom_char(' ') && !imap_atom_char(0) &&
	    !imap_atom_char(0x7f) && !imap_atom_char(0x80) &&
	    !imap_atom_char(-1));
	ATF_CHECK(imap_astring_char(']') && !imap_astring_char('%') &&
	    !imap_astring_char(')'));

	imap_parser_init(&p, IMAP_MODE_COMMAND);
	/* astring, string, nstring */
	v = arg1(&p, &b, "INBOX");
	ATF_CHECK(imap_astring(v, &s, &len) == 0 && len == 5);
	ATF_CHECK_EQ(imap_string(v, &s, &len), -1);
	ATF_CHECK_EQ(imap_nstring(v, &s, &len), -1);
	ATF_CHECK(imap_is(v, "inbox") && !imap_is(v, "INBO"));
	v = arg1(&p, &b, "\"a b\"");
	ATF_CHECK(imap_astring(v, &s, &len) == 0 && len == 3);
	ATF_CHECK(imap_string(v, &s, &len) == 0 && memcmp(s, "a b", 3) == 0);
	ATF_CHECK(!imap_is(v, "a b"));
	v = arg1(&p, &b, "{3}\r\nx y");
	ATF_CHECK(imap_string(v, &s, &len) == 0 && memcmp(s, "x y", 3) == 0);
	v = arg1(&p, &b, "nil");
	ATF_CHECK(imap_nstring(v, &s, &len) == 0 && s == NULL && len == 0);
	ATF_CHECK(imap_astring(v, &s, &len) == 0 && len == 3);
	ATF_CHECK_EQ(imap_string(v, &s, &len), -1);
	v = arg1(&p, &b, "\"NIL\"");
	ATF_CHECK(imap_nstring(v, &s, &len) == 0 && s != NULL && len == 3);
	v = arg1(&p, &b, "[Gmail]/All");
	ATF_CHECK_EQ(imap_astring(v, &s, &len), 0);
	ATF_CHECK_EQ(imap_cstr(v, c, sizeof(c)), -1);
	v = arg1(&p, &b, "a%");
	ATF_CHECK_EQ(imap_astring(v, &s, &len), -1);
	ATF_CHECK_EQ(imap_list_mailbox(v, &s, &len), 0);
	v = arg1(&p, &b, "*");
	ATF_CHECK_EQ(imap_list_mailbox(v, &s, &len), 0);
	v = arg1(&p, &b, "\\Seen");
	ATF_CHECK_EQ(imap_astring(v, &s, &len), -1);
	ATF_CHECK_EQ(imap_list_mailbox(v, &s, &len), -1);
	v = arg1(&p, &b, "()");
	ATF_CHECK_EQ(imap_astring(v, &s, &len), -1);
	ATF_CHECK_EQ(imap_cstr(v, c, sizeof(c)), -1);
	ATF_CHECK_EQ(imap_astring(NULL, &s, &len), -1);
	v = arg1(&p, &b, "1234567");
	ATF_CHECK(imap_cstr(v, c, sizeof(c)) == 0 && strcmp(c, "1234567") == 0);
	v = arg1(&p, &b, "12345678");
	ATF_CHECK_EQ(imap_cstr(v, c, sizeof(c)), -1);
	v = arg1n(&p, &b, S("~{3}\r\na\0b"));
	ATF_CHECK_EQ(imap_string(v, &s, &len), 0);
	ATF_CHECK_EQ(imap_cstr(v, c, sizeof(c)), -1);

	/* Numbers. */
	v = arg1(&p, &b, "4294967295");
	ATF_CHECK(imap_number(v, &n) == 0 && n == 4294967295u);
	ATF_CHECK(imap_nz_number(v, &n) == 0);
	v = arg1(&p, &b, "4294967296");
	ATF_CHECK_EQ(imap_number(v, &n), -1);
	ATF_CHECK(imap_number64(v, 0, &n64) == 0 && n64 == 4294967296ULL);
	v = arg1(&p, &b, "0");
	ATF_CHECK(imap_number(v, &n) == 0 && n == 0);
	ATF_CHECK_EQ(imap_nz_number(v, &n), -1);
	ATF_CHECK_EQ(imap_number64(v, 0, &n64), -1);
	ATF_CHECK(imap_number64(v, 1, &n64) == 0 && n64 == 0);
	v = arg1(&p, &b, "9223372036854775807");
	ATF_CHECK(
	    imap_number64(v, 0, &n64) == 0 && n64 == 9223372036854775807ULL);
	v = arg1(&p, &b, "9223372036854775808");
	ATF_CHECK_EQ(imap_number64(v, 0, &n64), -1);
	v = arg1(&p, &b, "\"5\"");
	ATF_CHECK_EQ(imap_number(v, &n), -1);
	v = arg1(&p, &b, "5a");
	ATF_CHECK_EQ(imap_number(v, &n), -1);
	ATF_CHECK(imap_parse_number(S("42"), 100, &n64) == 0 && n64 == 42);
	ATF_CHECK_EQ(imap_parse_number(S("101"), 100, &n64), -1);
	ATF_CHECK_EQ(imap_parse_number(S(""), 100, &n64), -1);
	ATF_CHECK_EQ(
	    imap_parse_number(S("18446744073709551616"), UINT64_MAX, &n64), -1);
	ATF_CHECK(imap_parse_number(
		      S("18446744073709551615"), UINT64_MAX, &n64) == 0 &&
	    n64 == UINT64_MAX);

	/* Flags. */
	v = arg1(&p, &b, "(\\Seen \\answered $Forwarded \\Draft Junk)");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), 0);
	ATF_CHECK_EQ(
	    bits, IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED | IMAP_FLAG_DRAFT);
	ATF_CHECK(
	    nkw == 2 && imap_is(kw[0], "$Forwarded") && imap_is(kw[1], "junk"));
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 1, &nkw), -1);
	v = arg1(&p, &b, "(\\Deleted \\*)");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), -1);
	ATF_CHECK(imap_flag_list(v, 1, 0, &bits, kw, 4, &nkw) == 0 &&
	    bits == (IMAP_FLAG_DELETED | IMAP_FLAG_STAR) && nkw == 0);
	v = arg1(&p, &b, "(\\Foo)");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), -1);
	ATF_CHECK(imap_flag_list(v, 0, 1, &bits, kw, 4, &nkw) == 0 &&
	    bits == 0 && nkw == 0);
	v = arg1(&p, &b, "()");
	ATF_CHECK(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw) == 0 &&
	    bits == 0 && nkw == 0);
	v = arg1(&p, &b, "(\"\\\\Seen\")");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), -1);
	v = arg1(&p, &b, "(a]b)");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), -1);
	v = arg1(&p, &b, "(\\)");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), -1);
	v = arg1(&p, &b, "(\\Se\\en)");
	ATF_CHECK_EQ(imap_flag_list(v, 0, 1, &bits, kw, 4, &nkw), -1);
	v = arg1(&p, &b, "\\Recent");
	ATF_CHECK(imap_flag(v, 0, &bits) == IMAP_FLAGK_SYSTEM &&
	    bits == IMAP_FLAG_RECENT);
	ATF_CHECK_EQ(imap_flag_list(v, 0, 0, &bits, kw, 4, &nkw), -1);
	imap_parser_free(&p);
	buf_free(&b);
}

/* ---------------------------------------------------------------- names */

ATF_TC_WITHOUT_HEAD(names);
ATF_TC_BODY(names, tc)
{
	ATF_CHECK_STREQ(imap_verb_name(IMAP_CMD_UID_FETCH), "UID FETCH");
	ATF_CHECK_STREQ(imap_verb_name(IMAP_CMD_IDLE), "IDLE");
	ATF_CHECK_STREQ(imap_verb_name(IMAP_CMD_NONE), "");
	ATF_CHECK_STREQ(imap_code_name(IMAP_CODE_READ_WRITE), "READ-WRITE");
	ATF_CHECK_STREQ(imap_code_name(IMAP_CODE_UNSEEN), "UNSEEN");
	ATF_CHECK_STREQ(imap_code_name(IMAP_CODE_OTHER), "");
	ATF_CHECK_STREQ(imap_code_name((enum imap_code)999), "");
	ATF_CHECK_STREQ(imap_status_name(IMAP_ST_PREAUTH), "PREAUTH");
	ATF_CHECK_STREQ(imap_status_name((enum imap_status)99), "");
}

/* ---------------------------------------------------------------- writing */

enum { AST, STR, NSTR, MBOX };

struct enc_case {
	int fn;
	const char *in;
	size_t len;
	unsigned flags;
	int form; /* or -1 */
	const char *out;
	size_t outlen;
};

#define E(fn, in, flags, form, out) \
	{ \
		fn, S(in), flags, form, S(out) \
	}

static const struct enc_case enc_cases[] = {
    E(AST, "INBOX", 0, IMAP_FORM_ATOM, "INBOX"),
    E(AST, "[Gmail]/Sent", 0, IMAP_FORM_ATOM, "[Gmail]/Sent"),
    E(AST, "", 0, IMAP_FORM_QUOTED, "\"\""),
    E(AST, "NIL", 0, IMAP_FORM_QUOTED, "\"NIL\""),
    E(AST, "nil", 0, IMAP_FORM_QUOTED, "\"nil\""),
    E(AST, "NILS", 0, IMAP_FORM_ATOM, "NILS"),
    E(AST, "a b", 0, IMAP_FORM_QUOTED, "\"a b\""),
    E(AST, "%", 0, IMAP_FORM_QUOTED, "\"%\""),
    E(AST, "a*", 0, IMAP_FORM_QUOTED, "\"a*\""),
    E(AST, "\\Seen", 0, IMAP_FORM_QUOTED, "\"\\\\Seen\""),
    E(AST, "a{1}", 0, IMAP_FORM_QUOTED, "\"a{1}\""),
    E(AST, "(x)", 0, IMAP_FORM_QUOTED, "\"(x)\""),
    E(AST, "a\"b\\c", 0, IMAP_FORM_QUOTED, "\"a\\\"b\\\\c\""),
    E(AST, "a\tb", 0, IMAP_FORM_QUOTED, "\"a\tb\""),
    E(AST, "a\r\nb", 0, IMAP_FORM_LITERAL, "{4}\r\na\r\nb"),
    E(AST, "a\rb", 0, IMAP_FORM_LITERAL, "{3}\r\na\rb"),
    E(AST, "caf\xc3\xa9", 0, IMAP_FORM_LITERAL, "{5}\r\ncaf\xc3\xa9"),
    E(AST, "caf\xc3\xa9", IMAP_ENC_UTF8, IMAP_FORM_QUOTED, "\"caf\xc3\xa9\""),
    E(AST, "\xff", IMAP_ENC_UTF8, IMAP_FORM_LITERAL, "{1}\r\n\xff"),
    E(AST, "a\nb", IMAP_ENC_LITPLUS, IMAP_FORM_LITERAL_NONSYNC, "{3+}\r\na\nb"),
    E(AST, "a\0b", 0, -1, ""),
    E(AST, "a\0b", IMAP_ENC_BINARY, IMAP_FORM_LITERAL8, "~{3}\r\na\0b"),
    E(STR, "INBOX", 0, IMAP_FORM_QUOTED, "\"INBOX\""),
    E(STR, "", 0, IMAP_FORM_QUOTED, "\"\""),
    E(NSTR, "x", 0, IMAP_FORM_QUOTED, "\"x\""),
    E(MBOX, "INBOX", 0, IMAP_FORM_ATOM, "INBOX"),
    E(MBOX, "&", 0, IMAP_FORM_ATOM, "&-"),
    E(MBOX, "Entw\xc3\xbcrfe", 0, IMAP_FORM_ATOM, "Entw&APw-rfe"),
    E(MBOX, "Entw\xc3\xbcrfe", IMAP_ENC_UTF8, IMAP_FORM_QUOTED,
	"\"Entw\xc3\xbcrfe\""),
    E(MBOX, "a b/\xe5\x8f\xb0", 0, IMAP_FORM_QUOTED, "\"a b/&U,A-\""),
    E(MBOX, "\xc3", 0, -1, ""),
    E(MBOX, "\xc3", IMAP_ENC_UTF8, -1, ""),
    E(MBOX, "a\0b", IMAP_ENC_UTF8, -1, ""),
};

ATF_TC_WITHOUT_HEAD(writing);
ATF_TC_BODY(writing, tc)
{
	struct buf b = BUF_INIT;
	char big[IMAP_QUOTED_MAX + 2];
	size_t i;
	int form;

	for (i = 0; i < NELEM(enc_cases); i++) {
		const struct enc_case *t = &enc_cases[i];

		buf_reset(&b);
		buf_puts(&b, "<");
		switch (t->fn) {
		case AST:
			form = imap_put_astring(&b, t->in, t->len, t->flags);
			break;
		case STR:
			form = imap_put_string(&b, t->in, t->len, t->flags);
			break;
		case NSTR:
			form = imap_put_nstring(&b, t->in, t->len, t->flags);
			break;
		default:
			form = imap_put_mailbox(&b, t->in, t->len, t->flags);
			break;
		}
		ATF_CHECK_EQ_MSG(
		    form, t->form, "case %zu %s: form %d", i, t->in, form);
		ATF_CHECK_MSG(b.len == t->outlen + 1 &&
			memcmp(b.data + 1, t->out, t->outlen) == 0,
		    "case %zu %s: %s", i, t->in, buf_cstr(&b));
	}
	buf_reset(&b);
	ATF_CHECK_EQ(imap_put_nstring(&b, NULL, 0, 0), IMAP_FORM_NIL);
	ATF_CHECK_STREQ(buf_cstr(&b), "NIL");

	/* IMAP_QUOTED_MAX octets quoted, one more a literal. */
	memset(big, 'a', sizeof(big));
	big[0] = ' ';
	buf_reset(&b);
	ATF_CHECK_EQ(
	    imap_put_string(&b, big, IMAP_QUOTED_MAX, 0), IMAP_FORM_QUOTED);
	ATF_CHECK_EQ(b.len, IMAP_QUOTED_MAX + 2);
	buf_reset(&b);
	ATF_CHECK_EQ(imap_put_string(&b, big, IMAP_QUOTED_MAX + 1, 0),
	    IMAP_FORM_LITERAL);
	ATF_CHECK(strncmp(b.data, "{1025}\r\n", 8) == 0);

	/* A bounded buffer: nothing is left of a failed write. */
	buf_free(&b);
	buf_init(&b, 6);
	buf_puts(&b, "ab");
	ATF_CHECK_EQ(imap_put_string(&b, S("x\"y"), 0), -1);
	ATF_CHECK_STREQ(buf_cstr(&b), "ab");
	ATF_CHECK_EQ(imap_put_string(&b, S("a\r\n"), 0), -1);
	ATF_CHECK_STREQ(buf_cstr(&b), "ab");
	ATF_CHECK_EQ(imap_put_status(&b, "A1", IMAP_ST_OK, NULL, "x"), -1);
	ATF_CHECK_STREQ(buf_cstr(&b), "ab");
	buf_free(&b);

	/* Status lines. */
	buf_init(&b, 0);
	imap_put_status(&b, "A1", IMAP_ST_OK, "READ-WRITE", "SELECT completed");
	ATF_CHECK_STREQ(
	    buf_cstr(&b), "A1 OK [READ-WRITE] SELECT completed\r\n");
	buf_reset(&b);
	imap_put_status(&b, NULL, IMAP_ST_OK, "UIDVALIDITY 3", "UIDs valid");
	ATF_CHECK_STREQ(buf_cstr(&b), "* OK [UIDVALIDITY 3] UIDs valid\r\n");
	buf_reset(&b);
	imap_put_status(&b, "A2", IMAP_ST_NO, NULL, "[x] bad\r\nA3 OK y");
	ATF_CHECK_STREQ(buf_cstr(&b), "A2 NO (x] bad??A3 OK y\r\n");
	buf_reset(&b);
	imap_put_status(&b, NULL, IMAP_ST_BYE, "", "");
	ATF_CHECK_STREQ(buf_cstr(&b), "* BYE\r\n");
	buf_reset(&b);
	imap_put_status(&b, NULL, IMAP_ST_BAD, "X\n", NULL);
	ATF_CHECK_STREQ(buf_cstr(&b), "* BAD [X?]\r\n");
	buf_free(&b);
}

/*
 * What the writers produce, the parser reads back as the same string
 * (both sides of the codec agree), for strings of every octet.
 */
ATF_TC_WITHOUT_HEAD(write_read);
ATF_TC_BODY(write_read, tc)
{
	struct imap_parser p;
	struct buf b = BUF_INIT;
	char s[300];
	const char *got;
	size_t i, len, glen;
	int rc, form;

	imap_parser_init(&p, IMAP_MODE_COMMAND);
	for (i = 0; i < 256 + 40; i++) {
		/* One octet, then runs of mixed content. */
		if (i < 256) {
			s[0] = (char)i;
			len = 1;
		} else {
			size_t k;

			len = (i - 256) * 7 + 1;
			for (k = 0; k < len; k++)
				s[k] = (char)(" a\"\\{}()%*]\r\n\x01\xc3"
					[(k * 31 + i) % 16]);
		}
		buf_reset(&b);
		buf_puts(&b, "A1 LOGIN ");
		form = imap_put_astring(&b, s, len, IMAP_ENC_BINARY);
		ATF_REQUIRE(form >= 0);
		buf_puts(&b, "\r\n");
		imap_parser_reset(&p);
		while ((rc = imap_parse(&p, b.data, b.len)) ==
		    IMAP_PARSE_NEED_LITERAL)
			;
		ATF_CHECK_EQ_MSG(
		    rc, 0, "octet %zu: %s", i, imap_parse_text(rc));
		if (rc != 0)
			continue;
		ATF_CHECK_MSG(imap_astring(p.args, &got, &glen) == 0 &&
			glen == len && memcmp(got, s, len) == 0,
		    "case %zu", i);
	}
	imap_parser_free(&p);
	buf_free(&b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cmd_table);
	ATF_TP_ADD_TC(tp, resp_table);
	ATF_TP_ADD_TC(tp, literal_message);
	ATF_TP_ADD_TC(tp, literal_take);
	ATF_TP_ADD_TC(tp, line_literal);
	ATF_TP_ADD_TC(tp, bounds);
	ATF_TP_ADD_TC(tp, seqset_table);
	ATF_TP_ADD_TC(tp, seqset_ops);
	ATF_TP_ADD_TC(tp, utf7);
	ATF_TP_ADD_TC(tp, utf7_all);
	ATF_TP_ADD_TC(tp, datetime);
	ATF_TP_ADD_TC(tp, values);
	ATF_TP_ADD_TC(tp, names);
	ATF_TP_ADD_TC(tp, writing);
	ATF_TP_ADD_TC(tp, write_read);
	return atf_no_error();
}
