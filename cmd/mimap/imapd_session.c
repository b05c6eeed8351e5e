/*
 * imapd_session.c: one IMAP session (RFC 3501, RFC 9051): reading each
 * command with its literals through common/imap, the command table
 * (common/session: which state allows what), the answers, the untagged
 * updates at command boundaries, and the commands of any state.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd.h"
#include "privsep.h"
#include "server.h"
#include "session.h"
#include "util.h"

/* ---------------------------------------------------------------- answers */

static void
vstatus(struct imapd *s, const char *tag, enum imap_status st,
    const char *code, const char *fmt, va_list ap)
{
	char text[1024];

	(void)vsnprintf(text, sizeof(text), fmt, ap);
	buf_reset(&s->out);
	if (imap_put_status(&s->out, tag, st, code, text) == 0)
		(void)io_write(&s->io, s->out.data, s->out.len);
	buf_reset(&s->out);
}

void
imapd_ok(struct imapd *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstatus(s, s->tag, IMAP_ST_OK, code, fmt, ap);
	va_end(ap);
}

void
imapd_no(struct imapd *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstatus(s, s->tag, IMAP_ST_NO, code, fmt, ap);
	va_end(ap);
}

void
imapd_bad(struct imapd *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	s->errors++;
	va_start(ap, fmt);
	vstatus(s, s->tag, IMAP_ST_BAD, code, fmt, ap);
	va_end(ap);
}

void
imapd_untagged(struct imapd *s, const char *fmt, ...)
{
	va_list ap;

	(void)io_puts(&s->io, "* ");
	va_start(ap, fmt);
	{
		char line[2048];

		(void)vsnprintf(line, sizeof(line), fmt, ap);
		(void)io_puts(&s->io, line);
	}
	va_end(ap);
	(void)io_puts(&s->io, "\r\n");
}

void
imapd_send_out(struct imapd *s)
{
	(void)io_write(&s->io, s->out.data, s->out.len);
	buf_reset(&s->out);
}

const struct imap_value *
imapd_arg(const struct imapd *s, size_t i)
{
	const struct imap_value *v = s->p.args;

	while (v != NULL && i-- > 0)
		v = v->next;
	return v;
}

/* ---------------------------------------------------------------- state */

void
imapd_capabilities(const struct imapd *s, struct buf *b)
{
	(void)buf_puts(b, "IMAP4rev1 IMAP4rev2");
	if (s->state == IMAPD_NOTAUTH) {
		if (s->c->tls != NULL && !s->tls)
			(void)buf_puts(b, " STARTTLS");
		if (!s->tls && !s->c->allow_plain_auth)
			(void)buf_puts(b, " LOGINDISABLED");
		else
			(void)buf_puts(b, " AUTH=PLAIN");
	}
	/* Only what is implemented: a command that gets added says so
	   here too. */
	(void)buf_puts(b, " SASL-IR LITERAL+ IDLE NAMESPACE ID ENABLE "
			  "UNSELECT UIDPLUS MOVE CHILDREN LIST-EXTENDED "
			  "LIST-STATUS SPECIAL-USE ESEARCH SEARCHRES "
			  "STATUS=SIZE BINARY "
			  "SORT THREAD=REFERENCES THREAD=ORDEREDSUBJECT");
	(void)buf_printf(b, " APPENDLIMIT=%lld CONDSTORE QRESYNC",
	    (long long)IMAPD_APPEND_MAX);
	if (s->state != IMAPD_NOTAUTH)
		(void)buf_puts(b, " NOTIFY");
}

void
imapd_unselect(struct imapd *s)
{
	if (s->mb_open)
		mailbox_close(&s->mb);
	imapd_cache_free(s);
	s->mb_open = 0;
	s->readonly = 0;
	s->folder[0] = '\0';
	memset(&s->kw, 0, sizeof(s->kw));
	/* RFC 5182 §2.1: "$" is empty again in a newly selected folder. */
	imap_seqset_free(&s->saved);
	if (s->state == IMAPD_SELECTED)
		s->state = IMAPD_AUTH;
}

int
imapd_put_flags(struct imapd *s, size_t i, struct buf *b)
{
	const struct mailbox_msg *m = &s->mb.msgs[i];
	size_t before;

	(void)buf_putc(b, '(');
	before = b->len;
	(void)keywords_names(&s->kw, m->flags, b);
	if (m->recent) {
		if (b->len > before)
			(void)buf_putc(b, ' ');
		(void)buf_puts(b, "\\Recent");
	}
	return buf_putc(b, ')');
}

void
imapd_examine_recent(struct imapd *s, size_t from)
{
	size_t i;

	for (i = from; i < s->mb.n; i++)
		if (s->mb.msgs[i].sub == MAILBOX_NEW && !s->mb.msgs[i].recent) {
			s->mb.msgs[i].recent = 1;
			s->mb.nrecent++;
		}
}

void
imapd_condstore_on(struct imapd *s)
{
	if (s->condstore)
		return;
	s->condstore = 1;
	if (s->mb_open)
		imapd_untagged(s, "OK [HIGHESTMODSEQ %llu] CONDSTORE on",
		    (unsigned long long)s->mb.highestmodseq);
}

int
imapd_sync(struct imapd *s, int expunges)
{
	struct mailbox_sync_info info;
	char err[ERR_MAX];
	uint32_t *seqs;
	size_t i, n, before;

	if (!s->mb_open)
		return 0;
	before = s->mb.n;
	if (mailbox_sync(&s->mb, &info, err, sizeof(err)) == -1) {
		if (errno == ESTALE) {
			/* RFC 3501 §2.3.1.1: the UIDs are void. */
			imapd_untagged(s, "BYE the folder's UIDVALIDITY changed");
			s->result = "uidvalidity-changed";
			return -1;
		}
		log_warn(s->c->log, "%s: %s", s->user, err);
		return 0;
	}
	if (info.scanned && info.changed > 0) {
		for (i = 0; i < s->mb.n; i++) {
			if (!s->mb.msgs[i].changed || s->mb.msgs[i].expunged)
				continue;
			s->mb.msgs[i].changed = 0;
			buf_reset(&s->out);
			(void)buf_printf(&s->out, "* %zu FETCH (", i + 1);
			if (s->uid || s->qresync)
				(void)buf_printf(&s->out, "UID %u ",
				    s->mb.msgs[i].uid);
			(void)buf_puts(&s->out, "FLAGS ");
			(void)imapd_put_flags(s, i, &s->out);
			if (s->condstore)
				(void)buf_printf(&s->out, " MODSEQ (%llu)",
				    (unsigned long long)s->mb.msgs[i].modseq);
			(void)buf_puts(&s->out, ")\r\n");
			imapd_send_out(s);
		}
	}
	if (expunges && s->mb.nexpunged > 0) {
		if ((seqs = calloc(s->mb.nexpunged, sizeof(*seqs))) == NULL)
			return 0;
		if (s->qresync) {
			/* RFC 7162 §3.2.10: VANISHED instead of EXPUNGE. */
			n = mailbox_take_expunged(&s->mb, NULL, seqs);
			imapd_vanished(s, seqs, n, 0);
		} else {
			n = mailbox_take_expunged(&s->mb, seqs, NULL);
			for (i = 0; i < n; i++)
				imapd_untagged(s, "%u EXPUNGE", seqs[i]);
		}
		free(seqs);
		before -= n < before ? n : before;
	}
	if (s->mb.n != before) {
		if (s->readonly)
			imapd_examine_recent(s, before);
		imapd_untagged(s, "%zu EXISTS", s->mb.n);
		if (!s->rev2)
			imapd_untagged(s, "%zu RECENT", s->mb.nrecent);
	}
	return 0;
}

/* ---------------------------------------------------------------- commands */

int
imapd_capability(struct imapd *s)
{
	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* CAPABILITY ");
	imapd_capabilities(s, &s->out);
	(void)buf_puts(&s->out, "\r\n");
	imapd_send_out(s);
	imapd_ok(s, NULL, "CAPABILITY completed");
	return 0;
}

int
imapd_noop(struct imapd *s)
{
	if (imapd_sync(s, 1) == -1)
		return -1;
	imapd_ok(s, NULL, "%s completed", imap_verb_name(s->p.verb));
	return 0;
}

int
imapd_logout(struct imapd *s)
{
	imapd_untagged(s, "BYE %s IMAP server logging out", s->c->hostname);
	imapd_ok(s, NULL, "LOGOUT completed");
	s->state = IMAPD_LOGOUT;
	s->quit = 1;
	s->result = "logout";
	return 0;
}

/* RFC 2971: the client's ID is only logged; ours is our name. */
int
imapd_id(struct imapd *s)
{
	const struct imap_value *v = imapd_arg(s, 0);

	if (v == NULL || s->p.nargs != 1 ||
	    (v->type != IMAP_LIST && v->type != IMAP_NIL)) {
		imapd_bad(s, NULL, "ID takes a list or NIL");
		return 0;
	}
	imapd_untagged(s, "ID (\"name\" \"yubin mimap\" \"version\" \"%s\")",
	    PACKAGE_VERSION);
	imapd_ok(s, NULL, "ID completed");
	return 0;
}

/* RFC 5161 ENABLE: CONDSTORE, QRESYNC (RFC 7162), IMAP4rev2 (RFC 9051),
   UTF8=ACCEPT (RFC 6855); unknown ones are ignored. */
int
imapd_enable(struct imapd *s)
{
	const struct imap_value *v;
	char on[128] = "";

	if (s->p.nargs == 0) {
		imapd_bad(s, NULL, "ENABLE needs capabilities");
		return 0;
	}
	for (v = s->p.args; v != NULL; v = v->next) {
		if (v->type != IMAP_ATOM) {
			imapd_bad(s, NULL, "ENABLE takes atoms");
			return 0;
		}
		if (imap_is(v, "CONDSTORE") && !s->condstore) {
			s->condstore = 1;
			(void)util_strlcat(on, " CONDSTORE", sizeof(on));
		} else if (imap_is(v, "QRESYNC") && !s->qresync) {
			s->qresync = s->condstore = 1;
			(void)util_strlcat(on, " QRESYNC", sizeof(on));
		} else if (imap_is(v, "IMAP4rev2") && !s->rev2) {
			s->rev2 = s->utf8 = 1;
			(void)util_strlcat(on, " IMAP4rev2", sizeof(on));
		} else if (imap_is(v, "UTF8=ACCEPT") && !s->utf8) {
			s->utf8 = 1;
			(void)util_strlcat(on, " UTF8=ACCEPT", sizeof(on));
		}
	}
	imapd_untagged(s, "ENABLED%s", on);
	imapd_ok(s, NULL, "ENABLE completed");
	return 0;
}

/* ---------------------------------------------------------------- table */

#define NA SESSION_IN(IMAPD_NOTAUTH)
#define AU SESSION_IN(IMAPD_AUTH)
#define SE SESSION_IN(IMAPD_SELECTED)
#define ANY (NA | AU | SE)

typedef int (*handler)(struct imapd *);

static int run_(void *sess, const char *arg, size_t len);

struct cmd {
	enum imap_verb verb;
	unsigned states;
	handler fn;
	int uid;
};

static const struct cmd cmds[] = {
    {IMAP_CMD_CAPABILITY, ANY, imapd_capability, 0},
    {IMAP_CMD_NOOP, ANY, imapd_noop, 0},
    {IMAP_CMD_LOGOUT, ANY, imapd_logout, 0},
    {IMAP_CMD_ID, ANY, imapd_id, 0},
    {IMAP_CMD_STARTTLS, NA, imapd_starttls, 0},
    {IMAP_CMD_LOGIN, NA, imapd_login, 0},
    {IMAP_CMD_AUTHENTICATE, NA, imapd_authenticate, 0},
    {IMAP_CMD_ENABLE, AU | SE, imapd_enable, 0},
    {IMAP_CMD_SELECT, AU | SE, imapd_select, 0},
    {IMAP_CMD_EXAMINE, AU | SE, imapd_select, 0},
    {IMAP_CMD_CREATE, AU | SE, imapd_create, 0},
    {IMAP_CMD_DELETE, AU | SE, imapd_delete, 0},
    {IMAP_CMD_RENAME, AU | SE, imapd_rename, 0},
    {IMAP_CMD_SUBSCRIBE, AU | SE, imapd_subscribe, 0},
    {IMAP_CMD_UNSUBSCRIBE, AU | SE, imapd_subscribe, 0},
    {IMAP_CMD_LIST, AU | SE, imapd_list, 0},
    {IMAP_CMD_LSUB, AU | SE, imapd_lsub, 0},
    {IMAP_CMD_NAMESPACE, AU | SE, imapd_namespace, 0},
    {IMAP_CMD_STATUS, AU | SE, imapd_status, 0},
    {IMAP_CMD_CHECK, SE, imapd_check, 0},
    {IMAP_CMD_CLOSE, SE, imapd_close, 0},
    {IMAP_CMD_UNSELECT, SE, imapd_unselect_cmd, 0},
    {IMAP_CMD_EXPUNGE, SE, imapd_expunge, 0},
    {IMAP_CMD_UID_EXPUNGE, SE, imapd_expunge, 1},
    {IMAP_CMD_FETCH, SE, imapd_fetch, 0},
    {IMAP_CMD_UID_FETCH, SE, imapd_fetch, 1},
    {IMAP_CMD_STORE, SE, imapd_store, 0},
    {IMAP_CMD_UID_STORE, SE, imapd_store, 1},
    {IMAP_CMD_COPY, SE, imapd_copy, 0},
    {IMAP_CMD_UID_COPY, SE, imapd_copy, 1},
    {IMAP_CMD_MOVE, SE, imapd_copy, 0},
    {IMAP_CMD_UID_MOVE, SE, imapd_copy, 1},
    {IMAP_CMD_APPEND, AU | SE, imapd_append, 0},
    {IMAP_CMD_IDLE, AU | SE, imapd_idle, 0},
    {IMAP_CMD_NOTIFY, AU | SE, imapd_notify, 0},
    {IMAP_CMD_SEARCH, SE, imapd_search, 0},
    {IMAP_CMD_UID_SEARCH, SE, imapd_search, 1},
    {IMAP_CMD_SORT, SE, imapd_sort, 0},
    {IMAP_CMD_UID_SORT, SE, imapd_sort, 1},
    {IMAP_CMD_THREAD, SE, imapd_thread, 0},
    {IMAP_CMD_UID_THREAD, SE, imapd_thread, 1},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static struct session_cmd table[NCMDS + 1];

static unsigned
state_of(void *sess)
{
	return (unsigned)((struct imapd *)sess)->state;
}

static void
unknown(void *sess, int verb)
{
	struct imapd *s = sess;

	(void)verb;
	imapd_bad(s, NULL, "unknown command");
}

static void
bad_state(void *sess, const struct session_cmd *c)
{
	struct imapd *s = sess;

	(void)c;
	if (s->state == IMAPD_NOTAUTH)
		imapd_bad(s, NULL, "log in first");
	else if (s->state == IMAPD_AUTH)
		imapd_bad(s, NULL, "select a folder first");
	else
		imapd_bad(s, NULL, "not allowed now");
}

static const struct session_proto proto = {
    table, state_of, unknown, bad_state, NULL};

static int
run_(void *sess, const char *arg, size_t len)
{
	struct imapd *s = sess;
	size_t i;

	(void)arg;
	(void)len;
	for (i = 0; i < NCMDS; i++)
		if (cmds[i].verb == s->p.verb) {
			s->uid = cmds[i].uid;
			return cmds[i].fn(s);
		}
	unknown(s, (int)s->p.verb);
	return 0;
}

static void
table_init(void)
{
	size_t i;

	if (table[0].run != NULL)
		return;
	for (i = 0; i < NCMDS; i++) {
		table[i].verb = (int)cmds[i].verb;
		table[i].states = cmds[i].states;
		table[i].flags = 0;
		table[i].run = run_;
	}
}

/* ---------------------------------------------------------------- reading */

static void on_lost(void *, int);

/* A read in the middle of a command failed (rc: IO_TIMEOUT, IO_EOF,
   ...): the session ends as when the loop's own read fails.  -1. */
static int
lost(struct imapd *s, int rc)
{
	on_lost(s, rc);
	return -1;
}

/* How long a literal of n octets may take to arrive. */
static void
literal_deadline(struct imapd *s, uint64_t n)
{
	io_deadline_in(&s->io,
	    (int64_t)s->c->timeout * 1000 +
		(int64_t)(n / IMAPD_LITERAL_RATE) * 1000,
	    s->end_ms);
}

/*
 * A message literal (APPEND) goes to an unlinked spool file, never into
 * memory.  0, or -1 with the reason in err.
 */
/* The spool in the Maildir's tmp/ (unlinked at once: nothing is left
   there even after a crash), for a user who cannot write $TMPDIR (a
   server started as root keeps root's).  fd or -1. */
static int
spool_in_maildir(struct imapd *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/tmp/%s-spool.XXXXXX", s->root,
	    PROG);
	if (s->root[0] == '\0' || n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if ((fd = mkstemp(path)) == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)unlink(path);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static int
spool_literal(struct imapd *s, uint64_t n, char *err, size_t errlen)
{
	char chunk[16384];
	size_t want;
	int bad = 0, rc;

	if (s->spool == -1 &&
	    (s->spool = util_spool_open(PROG, err, errlen)) == -1 &&
	    (s->spool = spool_in_maildir(s, err, errlen)) == -1)
		bad = 1;
	if (!bad && (ftruncate(s->spool, 0) == -1 ||
			lseek(s->spool, 0, SEEK_SET) == -1)) {
		util_seterr(err, errlen, "spool: %s", strerror(errno));
		bad = 1;
	}
	literal_deadline(s, n);
	/* After a failure the octets are read all the same: the client
	   sends them, and the command goes on after them. */
	while (n > 0) {
		want = n < sizeof(chunk) ? (size_t)n : sizeof(chunk);
		if ((rc = io_read_exact(&s->io, chunk, want)) != IO_OK) {
			util_seterr(err, errlen, "%s", s->io.err);
			(void)lost(s, rc);
			return -2;
		}
		if (!bad && util_write_all(s->spool, chunk, want) == -1) {
			util_seterr(err, errlen, "spool: %s", strerror(errno));
			bad = 1;
		}
		n -= want;
	}
	return bad ? -1 : 0;
}

/* Read and drop n octets (a literal we refused).  0 or -1 (lost). */
static int
skip_literal(struct imapd *s, uint64_t n)
{
	char chunk[4096];
	size_t want;
	int rc;

	literal_deadline(s, n);
	while (n > 0) {
		want = n < sizeof(chunk) ? (size_t)n : sizeof(chunk);
		if ((rc = io_read_exact(&s->io, chunk, want)) != IO_OK)
			return lost(s, rc);
		n -= want;
	}
	return 0;
}

/* Append the next line (with CRLF) to s->cmd.  0, 1 (too long: BAD
   sent), -1 (lost). */
static int
next_line(struct imapd *s)
{
	char line[IMAP_CMD_LINE_MAX + 1];
	size_t len;
	int rc, flags;

	io_deadline_in(&s->io, (int64_t)s->c->timeout * 1000, s->end_ms);
	if ((rc = io_getline_max(&s->io, line, sizeof(line), &len, &flags)) !=
	    IO_OK)
		return lost(s, rc);
	if (flags & IO_LINE_LONG) {
		imapd_bad(s, NULL, "command line too long");
		return 1;
	}
	if (buf_append(&s->cmd, line, len) == -1 ||
	    buf_append(&s->cmd, "\r\n", 2) == -1) {
		imapd_bad(s, NULL, "out of memory");
		return 1;
	}
	util_wipe(line, len);
	return 0;
}

/*
 * The rest of a command we stopped reading: its lines, and the literals
 * they announce (non-synchronizing ones come anyway; for a synchronizing
 * one the client waits for a "+" it will not get, and its next line is a
 * new command).  0, or -1 (lost).
 */
static int
skip_rest(struct imapd *s)
{
	struct imap_lit lit;
	int rc;

	for (;;) {
		buf_reset(&s->cmd);
		if ((rc = next_line(s)) == -1)
			return -1;
		if (rc == 1 || !imap_line_literal(s->cmd.data, s->cmd.len, &lit) ||
		    lit.sync)
			return 0;
		if (skip_literal(s, lit.size) == -1)
			return -1;
	}
}

/* Keep the tag as a C string for the answers ("*" when there is none). */
static void
take_tag(struct imapd *s)
{
	size_t n = s->p.taglen;

	if (s->p.tag == NULL || n == 0 || n > IMAP_TAG_MAX) {
		s->tag = NULL;
		return;
	}
	memcpy(s->tagbuf, s->p.tag, n);
	s->tagbuf[n] = '\0';
	s->tag = s->tagbuf;
}

/*
 * One command, whose first line is line: read its literals and lines,
 * parse, dispatch.  0 to go on, -1 to end the session.
 */
static int
on_line(void *sess, char *line, size_t len, int flags)
{
	struct imapd *s = sess;
	char err[ERR_MAX];
	int rc;

	imap_parser_reset(&s->p);
	s->p.flags = s->utf8 ? IMAP_PF_UTF8 : 0;
	buf_reset(&s->cmd);
	s->tag = NULL;
	if (flags & IO_LINE_LONG) {
		/* The client waits for its tag: take it from what was
		   kept of the line when it is one. */
		size_t n;

		for (n = 0; n < len && n < IMAP_TAG_MAX &&
		     imap_astring_char((unsigned char)line[n]) &&
		     line[n] != '+';
		     n++)
			;
		if (n > 0 && n < len && line[n] == ' ') {
			memcpy(s->tagbuf, line, n);
			s->tagbuf[n] = '\0';
			s->tag = s->tagbuf;
		}
		imapd_bad(s, NULL, "command line too long");
		goto check;
	}
	if (buf_append(&s->cmd, line, len) == -1 ||
	    buf_append(&s->cmd, "\r\n", 2) == -1) {
		imapd_bad(s, NULL, "out of memory");
		goto check;
	}
	for (;;) {
		rc = imap_parse(&s->p, s->cmd.data, s->cmd.len);
		if (rc == IMAP_PARSE_OK || rc < 0)
			break;
		if (rc == IMAP_PARSE_INCOMPLETE) {
			/* A held literal whose octets we read already
			   cannot be short: this is a line without CRLF. */
			imapd_bad(s, NULL, "incomplete command");
			goto check;
		}
		/* NEED_LITERAL */
		take_tag(s);
		if (s->p.lit.message) {
			if ((long long)s->p.lit.size > IMAPD_APPEND_MAX) {
				/* RFC 7889: say so before the octets come. */
				if (s->p.lit.sync) {
					imapd_no(s, "TOOBIG",
					    "message over APPENDLIMIT");
					goto check;
				}
				if (skip_literal(s, s->p.lit.size) == -1 ||
				    skip_rest(s) == -1)
					return -1;
				imapd_no(s, "TOOBIG", "message over APPENDLIMIT");
				goto check;
			}
			if (s->p.lit.sync) {
				(void)io_puts(&s->io, "+ Ready for literal data\r\n");
				if (io_flush(&s->io) == -1)
					return -1;
			}
			if ((rc = spool_literal(s, s->p.lit.size, err,
				 sizeof(err))) != 0) {
				if (rc == -2)
					return -1;
				/* The octets are read; the rest of the
				   command is read past too. */
				log_err(s->c->log, "%s", err);
				if (skip_rest(s) == -1)
					return -1;
				imapd_no(s, "SERVERBUG", "cannot keep the message");
				goto check;
			}
			(void)imap_parser_take(&s->p);
		} else {
			if (s->p.lit.sync) {
				(void)io_puts(&s->io, "+ Ready for literal data\r\n");
				if (io_flush(&s->io) == -1)
					return -1;
			}
			if (buf_reserve(&s->cmd, (size_t)s->p.lit.size) == -1) {
				imapd_bad(s, NULL, "out of memory");
				goto check;
			}
			literal_deadline(s, s->p.lit.size);
			if ((rc = io_read_exact(&s->io, s->cmd.data +
				     s->cmd.len, (size_t)s->p.lit.size)) !=
			    IO_OK)
				return lost(s, rc);
			s->cmd.len += (size_t)s->p.lit.size;
		}
		if ((rc = next_line(s)) == -1)
			return -1;
		if (rc == 1)
			goto check;
	}
	take_tag(s);
	if (rc < 0) {
		if (rc == IMAP_PARSE_LITERAL_BIG) {
			/* RFC 7888 §4: a non-synchronizing literal's
			   octets come anyway: read them past, or, past
			   what is worth reading, say goodbye. */
			if (!s->p.lit.sync &&
			    s->p.lit.size > IMAPD_SKIP_MAX) {
				imapd_untagged(s, "BYE [TOOBIG] literal too "
						  "large");
				s->result = "literal-too-large";
				return -1;
			}
			if (!s->p.lit.sync &&
			    (skip_literal(s, s->p.lit.size) == -1 ||
				skip_rest(s) == -1))
				return -1;
			if (s->tag != NULL)
				imapd_no(s, "TOOBIG", "literal too large");
			else
				imapd_untagged(s, "BAD literal too large");
			goto check;
		}
		if (s->tag == NULL) {
			s->errors++;
			imapd_untagged(s, "BAD %s", imap_parse_text(rc));
		} else
			imapd_bad(s, NULL, "%s", imap_parse_text(rc));
		goto check;
	}
	/* RFC 5465 §1: other folders' news at the command boundaries,
	   before the command's answer and after what it changed. */
	(void)imapd_notify_check(s);
	rc = session_dispatch(&proto, s, (int)s->p.verb, NULL, 0);
	if (rc == -1)
		return -1;
	(void)imapd_notify_check(s);
check:
	buf_reset(&s->cmd);
	if (s->errors >= s->c->max_errors) {
		imapd_untagged(s, "BYE too many errors");
		s->result = "too-many-errors";
		return -1;
	}
	return 0;
}

static void
on_lost(void *sess, int rc)
{
	struct imapd *s = sess;

	if (server_terminating()) {
		imapd_untagged(s, "BYE server shutting down");
		s->result = "shutdown";
	} else if (rc == IO_TIMEOUT) {
		imapd_untagged(s, "BYE autologout; idle for too long");
		s->result = "timeout";
	} else if (s->result == NULL)
		s->result = rc == IO_EOF ? "eof" : "lost";
}

static int
on_done(void *sess)
{
	struct imapd *s = sess;

	return s->quit || s->handoff_fd != -1;
}

/* ---------------------------------------------------------------- session */

static struct imapd *
sess_new(const struct imapd_conf *c, int rfd, int wfd)
{
	struct imapd *s;

	table_init();
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_err(c->log, "session: %s", strerror(errno));
		return NULL;
	}
	s->c = c;
	s->handoff_fd = -1;
	s->spool = -1;
	s->mb.lockfd = -1;
	buf_init(&s->cmd, 0);
	buf_init(&s->out, 0);
	imap_parser_init(&s->p, IMAP_MODE_COMMAND);
	s->end_ms =
	    session_io_init(&s->io, rfd, wfd, c->timeout, c->lifetime, c->log);
	/* RFC 3501 §7.5: "+ " and the base64 challenge; privsep: the
	   parent waits after a wrong password. */
	login_init_server(&s->login, &s->io, c->log, s->host, s->addr, "+ ",
	    c->timeout * 1000, s->end_ms, c->auth_delay_ms, c->privsep,
	    server_terminating);
	return s;
}

static void
loop(struct imapd *s)
{
	struct session_loop l;

	memset(&l, 0, sizeof(l));
	l.io = &s->io;
	l.sess = s;
	l.line_max = IMAP_CMD_LINE_MAX;
	l.line_ms = s->c->timeout * 1000;
	l.end_ms = s->end_ms;
	l.line = on_line;
	l.lost = on_lost;
	l.done = on_done;
	/* NOTIFY: news while the client is quiet between commands. */
	l.wait = imapd_wait_command;
	session_run_loop(&l);
}

static int
sess_end(struct imapd *s)
{
	int quit = s->quit, fails = s->login.fails;

	(void)io_flush(&s->io);
	if (s->handoff_fd != -1) {
		/* The login process: the post-login process takes the
		   client itself (without TLS), or we pass bytes until it
		   ends (with TLS); it logs the session. */
		loginsrv_handoff(&s->io, s->handoff_fd, !s->tls, s->c->timeout,
		    s->c->log, s->addr);
		quit = 1;
	} else
		log_info(s->c->log,
		    "session: peer=%s[%s] user=%s tls=%s fetched=%zu "
		    "appended=%zu end=%s",
		    s->host[0] != '\0' ? s->host : "-",
		    s->addr[0] != '\0' ? s->addr : "local",
		    s->user[0] != '\0' ? s->user : "-",
		    s->tls ? s->tlsi.protocol : "no", s->nfetch, s->nappend,
		    s->result != NULL ? s->result : "dropped");
	io_close(&s->io);
	imapd_notify_end(s);
	imapd_unselect(s);
	if (s->spool != -1)
		(void)close(s->spool);
	imap_parser_free(&s->p);
	buf_free(&s->cmd);
	buf_free(&s->out);
	util_wipe(s, sizeof(*s));
	free(s);
	return server_exit_status(!quit, fails);
}

/* The greeting's code: the capabilities, as clients want them first. */
static void
greet(struct imapd *s, const char *kind, const char *text)
{
	buf_reset(&s->out);
	(void)buf_printf(&s->out, "* %s [CAPABILITY ", kind);
	imapd_capabilities(s, &s->out);
	(void)buf_printf(&s->out, "] %s %s\r\n", s->c->hostname, text);
	imapd_send_out(s);
}

int
imapd_session(const struct imapd_conf *c, int rfd, int wfd)
{
	struct imapd *s;
	int tls;

	if ((s = sess_new(c, rfd, wfd)) == NULL)
		return 1;
	/* RFC 8314 §3.3: TLS from the first byte (port 993). */
	if ((tls = session_accept(&s->io, rfd, c->resolve,
	    c->tls_on_connect ? c->tls : NULL, c->log, s->addr, s->host,
	    &s->tlsi)) == -1) {
		s->result = "tls-failed";
		goto out;
	}
	s->tls = tls;
	if (c->preauth) {
		struct passwd *pw = getpwuid(getuid());
		struct stat st;

		if (stat(c->maildir, &st) == -1 || !S_ISDIR(st.st_mode)) {
			log_err(c->log, "%s: not a Maildir", c->maildir);
			imapd_untagged(s, "BYE no mailbox");
			s->result = "no-maildir";
			goto out;
		}
		util_strlcpy(s->root, c->maildir, sizeof(s->root));
		util_strlcpy(s->user, pw != NULL ? pw->pw_name : "preauth",
		    sizeof(s->user));
		s->state = IMAPD_AUTH;
		greet(s, "PREAUTH", "IMAP server ready, preauthenticated");
	} else
		greet(s, "OK", "IMAP server ready");
	loop(s);
out:
	return sess_end(s);
}

int
imapd_post_login(const struct imapd_conf *c, const struct passwd_entry *e,
    int fd, const struct loginsrv_peer *peer)
{
	struct imapd *s;
	size_t npre;
	int rfd, wfd;

	if ((s = sess_new(c, fd, fd)) == NULL) {
		(void)close(fd);
		return 1;
	}
	/* Without TLS the login process hands the client over (its
	   descriptors, and what it read past the login straight into our
	   input buffer) and ends; with TLS it proxies, and fd is the
	   client. */
	if (peer->tls[0] == '\0') {
		if (privsep_take_client(fd, (c->timeout + 60) * 1000, &rfd,
			&wfd, s->io.rbuf, &npre) == -1) {
			log_err(c->log, "%s: handoff: %s", peer->addr,
			    strerror(errno));
			(void)close(fd);
			s->result = "handoff-failed";
			return sess_end(s);
		}
		(void)close(fd);
		s->io.rfd = rfd;
		s->io.wfd = wfd;
		s->io.rpos = 0;
		s->io.rlen = npre;
	}
	s->tls = loginsrv_peer_take(peer, s->addr, s->host, &s->tlsi,
	    &s->login.fails, &s->end_ms, &s->io);
	/* The LOGIN's tagged answer is ours to give. */
	util_strlcpy(s->tagbuf, peer->tag, sizeof(s->tagbuf));
	s->tag = s->tagbuf;
	if (imapd_enter(s, e) == 0)
		loop(s);
	return sess_end(s);
}
