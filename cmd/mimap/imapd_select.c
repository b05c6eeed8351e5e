/*
 * imapd_select.c: opening and closing a folder (RFC 3501 §6.3.1-2,
 * §6.4; RFC 9051; UNSELECT RFC 3691; UID EXPUNGE RFC 4315): SELECT,
 * EXAMINE, CLOSE, UNSELECT, CHECK, EXPUNGE, UID EXPUNGE.  The view is a
 * struct mailbox (common/mailbox): SELECT moves new/ to cur/ and gets
 * \Recent, EXAMINE moves nothing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folders.h"
#include "imapd.h"
#include "util.h"

int
imapd_folder_dir(struct imapd *s, const struct imap_value *v, char *name,
    size_t namelen, char *dir, size_t dirlen)
{
	char err[ERR_MAX];
	const char *p;
	size_t len;
	struct buf b;

	if (imap_astring(v, &p, &len) == -1) {
		imapd_bad(s, NULL, "a folder name is an astring");
		return -1;
	}
	/* On the wire modified UTF-7, unless the client took UTF-8
	   (RFC 9051 §5.1, RFC 6855). */
	buf_init(&b, FOLDER_NAME_MAX);
	if ((s->utf8 ? (imap_utf8_valid(p, len) ? buf_append(&b, p, len) : -1)
		     : imap_utf7_decode(p, len, &b)) == -1 ||
	    memchr(buf_cstr(&b), '\0', b.len) != NULL) {
		buf_free(&b);
		imapd_no(s, "CANNOT", "not a valid folder name");
		return -1;
	}
	if (folder_name_check(buf_cstr(&b), name, namelen, err, sizeof(err)) ==
		-1 ||
	    folder_path(s->root, name, dir, dirlen, err, sizeof(err)) == -1) {
		buf_free(&b);
		imapd_no(s, "CANNOT", "%s", err);
		return -1;
	}
	buf_free(&b);
	return 0;
}

/* The FLAGS and PERMANENTFLAGS answers for the folder's keywords. */
static void
flags_answers(struct imapd *s)
{
	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* FLAGS (\\Answered \\Flagged \\Deleted "
				"\\Seen \\Draft");
	if (s->kw.count > 0)
		(void)buf_putc(&s->out, ' ');
	(void)keywords_names(&s->kw, MAILBOX_KEYWORD_FLAGS, &s->out);
	(void)buf_puts(&s->out, ")\r\n");
	if (s->readonly)
		(void)buf_puts(&s->out, "* OK [PERMANENTFLAGS ()] read-only\r\n");
	else {
		(void)buf_puts(&s->out, "* OK [PERMANENTFLAGS (\\Answered "
					"\\Flagged \\Deleted \\Seen \\Draft");
		if (s->kw.count > 0)
			(void)buf_putc(&s->out, ' ');
		(void)keywords_names(&s->kw, MAILBOX_KEYWORD_FLAGS, &s->out);
		/* RFC 3501 §7.1: \* when new keywords can be made. */
		(void)buf_puts(&s->out, keywords_full(&s->kw) ? ")] flags\r\n"
							     : " \\*)] flags\r\n");
	}
	imapd_send_out(s);
}

int
imapd_select(struct imapd *s)
{
	const struct imap_value *v = imapd_arg(s, 0);
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];
	int examine = s->p.verb == IMAP_CMD_EXAMINE;
	size_t i;

	if (v == NULL) {
		imapd_bad(s, NULL, "%s takes a folder name",
		    imap_verb_name(s->p.verb));
		return 0;
	}
	/* RFC 3501 §6.3.1: a SELECT closes the selected folder first,
	   without expunging; RFC 7162 §3.2.11 says CLOSED with QRESYNC. */
	if (s->state == IMAPD_SELECTED) {
		imapd_unselect(s);
		if (s->qresync)
			imapd_untagged(s, "OK [CLOSED] previous folder closed");
	}
	if (imapd_folder_dir(s, v, name, sizeof(name), dir, sizeof(dir)) ==
	    -1)
		return 0;
	if (mailbox_open(&s->mb, dir, examine ? 0 : MAILBOX_SELECT, err,
		sizeof(err)) == -1) {
		if (errno == ENOENT)
			imapd_no(s, "NONEXISTENT", "no such folder");
		else {
			log_err(s->c->log, "%s: %s", s->user, err);
			imapd_no(s, "SERVERBUG", "cannot open the folder");
		}
		return 0;
	}
	s->mb_open = 1;
	if (s->mb.reset || s->mb.repaired)
		log_warn(s->c->log, "%s: %s", s->user, err);
	if (keywords_load(&s->kw, dir, err, sizeof(err)) == -1)
		log_warn(s->c->log, "%s: %s", s->user, err);
	s->readonly = examine;
	util_strlcpy(s->folder, name, sizeof(s->folder));
	s->state = IMAPD_SELECTED;
	flags_answers(s);
	imapd_untagged(s, "%zu EXISTS", s->mb.n);
	if (!s->rev2)
		imapd_untagged(s, "%zu RECENT", s->mb.nrecent);
	if (!s->rev2)
		for (i = 0; i < s->mb.n; i++)
			if (!(s->mb.msgs[i].flags & MAILBOX_FLAG('S'))) {
				imapd_untagged(s,
				    "OK [UNSEEN %zu] first unseen", i + 1);
				break;
			}
	imapd_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", s->mb.uidvalidity);
	imapd_untagged(s, "OK [UIDNEXT %u] predicted next UID", s->mb.uidnext);
	if (s->condstore)
		imapd_untagged(s, "OK [HIGHESTMODSEQ %llu] highest",
		    (unsigned long long)s->mb.highestmodseq);
	imapd_ok(s, examine ? "READ-ONLY" : "READ-WRITE", "%s completed",
	    examine ? "EXAMINE" : "SELECT");
	return 0;
}

/* Expunge what has \Deleted (uids: only those in the set as well). */
static int
expunge_deleted(struct imapd *s, const struct imap_seqset *uids, char *err,
    size_t errlen)
{
	size_t *idx, n = 0, i;
	uint64_t modseq;
	int rc;

	if (s->mb.n == 0)
		return 0;
	if ((idx = calloc(s->mb.n, sizeof(*idx))) == NULL)
		return -1;
	for (i = 0; i < s->mb.n; i++)
		if ((s->mb.msgs[i].flags & MAILBOX_FLAG('T')) &&
		    !s->mb.msgs[i].expunged &&
		    (uids == NULL ||
			imap_seqset_contains(uids, s->mb.msgs[i].uid)))
			idx[n++] = i;
	rc = n > 0 ? mailbox_remove(&s->mb, idx, n, &modseq, err, errlen) : 0;
	free(idx);
	return rc;
}

int
imapd_close(struct imapd *s)
{
	char err[ERR_MAX];

	/* RFC 3501 §6.4.2: expunge silently unless read-only. */
	if (s->p.nargs != 0) {
		imapd_bad(s, NULL, "CLOSE takes no arguments");
		return 0;
	}
	if (!s->readonly && expunge_deleted(s, NULL, err, sizeof(err)) == -1)
		log_warn(s->c->log, "%s: %s", s->user, err);
	imapd_unselect(s);
	imapd_ok(s, NULL, "CLOSE completed");
	return 0;
}

int
imapd_unselect_cmd(struct imapd *s)
{
	if (s->p.nargs != 0) {
		imapd_bad(s, NULL, "UNSELECT takes no arguments");
		return 0;
	}
	imapd_unselect(s);
	imapd_ok(s, NULL, "UNSELECT completed");
	return 0;
}

int
imapd_check(struct imapd *s)
{
	return imapd_noop(s);
}

int
imapd_expunge(struct imapd *s)
{
	struct imap_seqset set = IMAP_SEQSET_INIT;
	const struct imap_value *v = imapd_arg(s, 0);
	char err[ERR_MAX];
	int rc;

	if (s->readonly) {
		imapd_no(s, "READ-ONLY", "folder is read-only");
		return 0;
	}
	if (s->uid) {
		if (s->p.nargs != 1 || (v->type != IMAP_ATOM && v->type != IMAP_NUMBER) ||
		    imap_seqset_parse(v->s, v->len, s->mb.uidnext - 1, &set) ==
			-1 ||
		    set.last) {
			imap_seqset_free(&set);
			imapd_bad(s, NULL, "UID EXPUNGE takes a UID set");
			return 0;
		}
	} else if (s->p.nargs != 0) {
		imapd_bad(s, NULL, "EXPUNGE takes no arguments");
		return 0;
	}
	rc = expunge_deleted(s, s->uid ? &set : NULL, err, sizeof(err));
	imap_seqset_free(&set);
	if (rc == -1) {
		log_err(s->c->log, "%s: %s", s->user, err);
		imapd_no(s, "SERVERBUG", "cannot expunge");
		return 0;
	}
	if (imapd_sync(s, 1) == -1)
		return -1;
	imapd_ok(s, NULL, "%s completed", imap_verb_name(s->p.verb));
	return 0;
}
