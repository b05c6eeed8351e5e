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
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
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
	if ((s->utf8 ? (util_utf8_valid(p, len) ? buf_append(&b, p, len) : -1)
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
void
imapd_flags_answers(struct imapd *s)
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

void
imapd_vanished(struct imapd *s, const uint32_t *uids, size_t n, int earlier)
{
	struct imap_seqset set = IMAP_SEQSET_INIT;
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		(void)imap_seqset_add(&set, uids[i], uids[i]);
	buf_reset(&s->out);
	(void)buf_puts(&s->out, earlier ? "* VANISHED (EARLIER) "
					: "* VANISHED ");
	(void)imap_seqset_format(&set, &s->out);
	(void)buf_puts(&s->out, "\r\n");
	imapd_send_out(s);
	imap_seqset_free(&set);
}

/* SELECT's QRESYNC parameter (RFC 7162 §3.2.5). */
struct qresync {
	int on;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known; /* empty: all */
};

/*
 * The select-params (RFC 4466 §2.1): "(CONDSTORE)", "(QRESYNC (uv
 * modseq [known-uids [seq-match-data]]))".  0, or -1 with BAD sent.
 */
static int
select_params(struct imapd *s, const struct imap_value *l, struct qresync *q)
{
	const struct imap_value *v, *a;
	uint32_t n;

	for (v = l->child; v != NULL; v = v->next) {
		if (imap_is(v, "CONDSTORE")) {
			/* RFC 7162 §3.1.8: a CONDSTORE enabling command. */
			s->condstore = 1;
			continue;
		}
		if (!imap_is(v, "QRESYNC") || v->next == NULL ||
		    v->next->type != IMAP_LIST)
			goto bad;
		if (!s->qresync) {
			imapd_bad(s, "CLIENTBUG", "ENABLE QRESYNC first");
			return -1;
		}
		v = v->next;
		a = v->child;
		if (a == NULL || imap_nz_number(a, &q->uidvalidity) == -1 ||
		    a->next == NULL ||
		    imap_number64(a->next, 0, &q->modseq) == -1 ||
		    q->modseq == 0)
			goto bad;
		a = a->next->next;
		if (a != NULL && a->type != IMAP_LIST) {
			if ((a->type != IMAP_ATOM &&
				a->type != IMAP_NUMBER) ||
			    imap_seqset_parse(a->s, a->len, UINT32_MAX,
				&q->known) == -1 ||
			    q->known.star || q->known.last)
				goto bad;
			a = a->next;
		}
		/* seq-match-data: a hint this server does not need
		   (its expunge records go back far enough or it answers
		   with every UID it no longer has). */
		if (a != NULL && (a->type != IMAP_LIST || a->count != 2 ||
				     a->next != NULL ||
				     imap_number(a->child, &n) == -1))
			goto bad;
		q->on = 1;
	}
	return 0;
bad:
	imapd_bad(s, NULL, "bad SELECT parameters");
	return -1;
}

/* RFC 7162 §3.2.5.1: what changed since q->modseq, for the client. */
static void
qresync_answers(struct imapd *s, struct qresync *q)
{
	struct mailbox_range all, *set = &all, *out = NULL;
	char err[ERR_MAX];
	size_t nset = 1, nout = 0, i;
	uint32_t u;

	if (q->uidvalidity != s->mb.uidvalidity)
		return;
	all.lo = 1;
	all.hi = s->mb.uidnext > 1 ? s->mb.uidnext - 1 : 1;
	if (q->known.n > 0) {
		/* struct imap_range and struct mailbox_range are alike,
		   but copy rather than cast. */
		if ((set = calloc(q->known.n, sizeof(*set))) == NULL)
			return;
		for (i = 0; i < q->known.n; i++) {
			set[i].lo = q->known.r[i].lo;
			set[i].hi = q->known.r[i].hi;
		}
		nset = q->known.n;
	}
	if (s->mb.uidnext > 1 &&
	    mailbox_vanished(&s->mb, q->modseq, set, nset, &out, &nout, err,
		sizeof(err)) == -1)
		log_warn(s->c->log, "%s: %s", s->user, err);
	else if (nout > 0) {
		struct imap_seqset vs = IMAP_SEQSET_INIT;

		for (i = 0; i < nout; i++)
			(void)imap_seqset_add(&vs, out[i].lo, out[i].hi);
		buf_reset(&s->out);
		(void)buf_puts(&s->out, "* VANISHED (EARLIER) ");
		(void)imap_seqset_format(&vs, &s->out);
		(void)buf_puts(&s->out, "\r\n");
		imapd_send_out(s);
		imap_seqset_free(&vs);
	}
	free(out);
	if (set != &all)
		free(set);
	for (i = 0; i < s->mb.n; i++) {
		u = s->mb.msgs[i].uid;
		if (s->mb.msgs[i].modseq <= q->modseq ||
		    (q->known.n > 0 && !imap_seqset_contains(&q->known, u)))
			continue;
		buf_reset(&s->out);
		(void)buf_printf(
		    &s->out, "* %zu FETCH (UID %u FLAGS ", i + 1, u);
		(void)imapd_put_flags(s, i, &s->out);
		(void)buf_printf(&s->out, " MODSEQ (%llu))\r\n",
		    (unsigned long long)s->mb.msgs[i].modseq);
		imapd_send_out(s);
	}
}

int
imapd_select(struct imapd *s)
{
	const struct imap_value *v = imapd_arg(s, 0);
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];
	int examine = s->p.verb == IMAP_CMD_EXAMINE;
	struct qresync q;
	size_t i;

	memset(&q, 0, sizeof(q));
	if (v == NULL || (v->next != NULL && (v->next->type != IMAP_LIST ||
						 v->next->next != NULL))) {
		imapd_bad(s, NULL, "%s takes a folder name [and options]",
		    imap_verb_name(s->p.verb));
		return 0;
	}
	if (v->next != NULL && select_params(s, v->next, &q) == -1) {
		imap_seqset_free(&q.known);
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
	    -1) {
		imap_seqset_free(&q.known);
		return 0;
	}
	if (mailbox_open(&s->mb, dir, examine ? 0 : MAILBOX_SELECT, err,
		sizeof(err)) == -1) {
		if (errno == ENOENT)
			imapd_no(s, "NONEXISTENT", "no such folder");
		else {
			log_err(s->c->log, "%s: %s", s->user, err);
			imapd_no(s, "SERVERBUG", "cannot open the folder");
		}
		imap_seqset_free(&q.known);
		return 0;
	}
	s->mb_open = 1;
#ifdef HAVE_MALLOC_TRIM
	/* The scan, the UID list and the renames of a large folder used
	   heap the view no longer needs: give it back (glibc keeps freed
	   memory below its moving trim threshold). */
	(void)malloc_trim(0);
#endif
	if (s->mb.reset || s->mb.repaired)
		log_warn(s->c->log, "%s: %s", s->user, err);
	if (keywords_load(&s->kw, dir, err, sizeof(err)) == -1)
		log_warn(s->c->log, "%s: %s", s->user, err);
	s->readonly = examine;
	/* EXAMINE claims nothing, but shows what a SELECT would find
	   recent: what is still in new/ (RFC 3501 §6.3.2: RECENT). */
	if (examine)
		imapd_examine_recent(s, 0);
	util_strlcpy(s->folder, name, sizeof(s->folder));
	s->state = IMAPD_SELECTED;
	imapd_flags_answers(s);
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
	if (q.on)
		qresync_answers(s, &q);
	imap_seqset_free(&q.known);
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
