/*
 * imapd_list.c: the folder tree (RFC 3501 §6.3.3-6.3.10, RFC 9051,
 * LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, CHILDREN RFC 3348,
 * NAMESPACE RFC 2342, STATUS=SIZE RFC 8438): LIST, LSUB, STATUS,
 * NAMESPACE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE over
 * common/folders.  Names are UTF-8 inside, modified UTF-7 on the wire
 * unless the client enabled UTF-8.
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

/* The wire form of a name for answers. */
static unsigned
enc_flags(const struct imapd *s)
{
	return s->utf8 ? IMAP_ENC_UTF8 : 0;
}

/* One "* LIST (attrs) "/" name" answer; childinfo: with RFC 5258
   §3.5's (CHILDINFO ("SUBSCRIBED")). */
static void
list_line(struct imapd *s, const char *verb, const struct folder *f,
    int special, int subscribed_only, int childinfo)
{
	static const struct {
		unsigned bit;
		const char *name;
	} attrs[] = {{FOLDER_NOSELECT, "\\Noselect"},
	    {FOLDER_NONEXISTENT, "\\NonExistent"},
	    {FOLDER_HASCHILDREN, "\\HasChildren"},
	    {FOLDER_HASNOCHILDREN, "\\HasNoChildren"},
	    {FOLDER_SUBSCRIBED, "\\Subscribed"}, {FOLDER_SENT, "\\Sent"},
	    {FOLDER_DRAFTS, "\\Drafts"}, {FOLDER_TRASH, "\\Trash"},
	    {FOLDER_JUNK, "\\Junk"}, {FOLDER_ARCHIVE, "\\Archive"}};
	size_t i, before;

	buf_reset(&s->out);
	(void)buf_printf(&s->out, "* %s (", verb);
	before = s->out.len;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (!(f->attrs & attrs[i].bit))
			continue;
		if (!special && (attrs[i].bit & FOLDER_SPECIAL_USE))
			continue;
		if (subscribed_only && attrs[i].bit == FOLDER_SUBSCRIBED)
			continue;
		if (s->out.len > before)
			(void)buf_putc(&s->out, ' ');
		(void)buf_puts(&s->out, attrs[i].name);
	}
	(void)buf_puts(&s->out, ") \"/\" ");
	(void)imap_put_mailbox(&s->out, f->name, strlen(f->name), enc_flags(s));
	if (childinfo)
		(void)buf_puts(&s->out, " (CHILDINFO (\"SUBSCRIBED\"))");
	(void)buf_puts(&s->out, "\r\n");
	imapd_send_out(s);
}

/* A pattern argument (list-mailbox) decoded to UTF-8 into b. */
static int
pattern(struct imapd *s, const struct imap_value *v, struct buf *b)
{
	const char *p;
	size_t len;

	if (imap_list_mailbox(v, &p, &len) == -1)
		return -1;
	if (s->utf8)
		return util_utf8_valid(p, len) ? buf_append(b, p, len) : -1;
	return imap_utf7_decode(p, len, b);
}

/* Whether name matches one of the patterns (one, or a list of them,
   RFC 5258 §3) after the reference ref. */
static int
match_any(struct imapd *s, const struct imap_value *pats,
    const struct buf *ref, const char *name)
{
	const struct imap_value *q;
	struct buf pat, full;
	int matched = 0;

	buf_init(&pat, FOLDER_NAME_MAX);
	buf_init(&full, 2 * FOLDER_NAME_MAX + 2);
	for (q = pats->type == IMAP_LIST ? pats->child : pats;
	     q != NULL && !matched;
	     q = pats->type == IMAP_LIST ? q->next : NULL) {
		buf_reset(&pat);
		buf_reset(&full);
		/* A pattern no name can be spelt as (bad modified
		   UTF-7) matches nothing. */
		if (pattern(s, q, &pat) == -1)
			continue;
		(void)buf_append(&full, ref->data, ref->len);
		if (ref->len > 0 && ref->data[ref->len - 1] != '/' &&
		    pat.len > 0 && pat.data[0] != '/')
			(void)buf_putc(&full, '/');
		(void)buf_append(&full, pat.data, pat.len);
		matched = folders_match(buf_cstr(&full), name);
	}
	buf_free(&pat);
	buf_free(&full);
	return matched;
}

/* RFC 3501 §6.3.9: a name LSUB gives as \Noselect because a subscribed
   name below it is one the pattern does not reach ("%"); the same names
   get RFC 5258 §3.5's CHILDINFO with (SUBSCRIBED RECURSIVEMATCH). */
static int
lsub_parent(struct imapd *s, const struct folder_list *fl, size_t i,
    const struct imap_value *pats, const struct buf *ref)
{
	size_t j, len = strlen(fl->v[i].name);

	for (j = 0; j < fl->n; j++)
		if ((fl->v[j].attrs & FOLDER_SUBSCRIBED) &&
		    strncmp(fl->v[j].name, fl->v[i].name, len) == 0 &&
		    fl->v[j].name[len] == '/' &&
		    !match_any(s, pats, ref, fl->v[j].name))
			return 1;
	return 0;
}

/*
 * LIST [(selection)] reference patterns [RETURN (options)] (RFC 5258).
 * Selection SUBSCRIBED, SPECIAL-USE; return SUBSCRIBED, CHILDREN,
 * SPECIAL-USE (children and special use are always given).
 */
static int status_items_ok(const struct imap_value *);
static int status_line(struct imapd *, const char *, const char *,
    const struct imap_value *, char *, size_t);

static int
do_list(struct imapd *s, int lsub)
{
	const struct imap_value *v = s->p.args, *pats, *q;
	struct folder_list fl, subs;
	struct buf ref, pat, full;
	char err[ERR_MAX];
	const struct imap_value *ret_status = NULL;
	char dir[PATH_MAX];
	int sel_sub = lsub, sel_special = 0, ret_sub = 0, recursive = 0;
	size_t i, j;

	memset(&fl, 0, sizeof(fl));
	memset(&subs, 0, sizeof(subs));
	if (!lsub && v != NULL && v->type == IMAP_LIST) {
		for (q = v->child; q != NULL; q = q->next) {
			if (imap_is(q, "SUBSCRIBED"))
				sel_sub = 1;
			else if (imap_is(q, "SPECIAL-USE"))
				sel_special = 1;
			else if (imap_is(q, "RECURSIVEMATCH"))
				recursive = 1;
			else if (!imap_is(q, "REMOTE")) {
				imapd_bad(s, NULL, "unknown selection option");
				return 0;
			}
		}
		/* RFC 5258 §3: RECURSIVEMATCH alone (or with REMOTE) is
		   a BAD. */
		if (recursive && !sel_sub && !sel_special) {
			imapd_bad(s, NULL, "RECURSIVEMATCH needs SUBSCRIBED");
			return 0;
		}
		v = v->next;
	}
	if (v == NULL || (pats = v->next) == NULL) {
		imapd_bad(s, NULL, "%s takes a reference and a pattern",
		    lsub ? "LSUB" : "LIST");
		return 0;
	}
	if (pats->next != NULL) {
		q = pats->next;
		if (lsub || !imap_is(q, "RETURN") || q->next == NULL ||
		    q->next->type != IMAP_LIST || q->next->next != NULL) {
			imapd_bad(s, NULL, "bad LIST arguments");
			return 0;
		}
		for (q = q->next->child; q != NULL; q = q->next)
			if (imap_is(q, "SUBSCRIBED"))
				ret_sub = 1;
			else if (imap_is(q, "STATUS")) {
				/* RFC 5819: STATUS (items) after each
				   selectable folder's LIST line. */
				if (!status_items_ok(q->next)) {
					imapd_bad(s, NULL, "RETURN (STATUS "
					    "(items)): unknown STATUS item");
					return 0;
				}
				ret_status = q = q->next;
			} else if (!imap_is(q, "CHILDREN") &&
			    !imap_is(q, "SPECIAL-USE")) {
				imapd_bad(s, NULL, "unknown return option");
				return 0;
			}
	}
	buf_init(&ref, FOLDER_NAME_MAX);
	buf_init(&pat, FOLDER_NAME_MAX);
	buf_init(&full, 2 * FOLDER_NAME_MAX + 2);
	if (pattern(s, v, &ref) == -1) {
		imapd_bad(s, NULL, "bad reference name");
		goto out;
	}
	/* RFC 3501 §6.3.8: an empty pattern asks for the delimiter. */
	if (pats->type != IMAP_LIST) {
		if (imap_list_mailbox(pats, &(const char *){NULL},
			&(size_t){0}) == -1) {
			imapd_bad(s, NULL, "bad pattern");
			goto out;
		}
		if (pattern(s, pats, &pat) == 0 && pat.len == 0 && !lsub) {
			imapd_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
			imapd_ok(s, NULL, "LIST completed");
			goto out;
		}
	}
	if (folders_list(s->root, &fl, err, sizeof(err)) == -1) {
		log_err(s->c->log, "%s: %s", s->user, err);
		imapd_no(s, "SERVERBUG", "cannot list folders");
		goto out;
	}
	for (i = 0; i < fl.n; i++) {
		const struct folder *f = &fl.v[i];

		if (!match_any(s, pats, &ref, f->name))
			continue;
		if (lsub && !(f->attrs & FOLDER_SUBSCRIBED) &&
		    lsub_parent(s, &fl, i, pats, &ref)) {
			struct folder g = *f;

			g.attrs = FOLDER_NOSELECT;
			list_line(s, "LSUB", &g, 0, 1, 0);
			continue;
		}
		if (sel_sub && !(f->attrs & FOLDER_SUBSCRIBED)) {
			if (!lsub && recursive &&
			    lsub_parent(s, &fl, i, pats, &ref))
				list_line(s, "LIST", f, 1, 1, 1);
			continue;
		}
		if (sel_special && !(f->attrs & FOLDER_SPECIAL_USE))
			continue;
		/* A plain LIST leaves out names that are not there, but
		   for levels above real folders. */
		if (!sel_sub && (f->attrs & FOLDER_NONEXISTENT) &&
		    !(f->attrs & FOLDER_HASCHILDREN))
			continue;
		if (lsub) {
			struct folder g = *f;

			/* LSUB: no \Subscribed, \Noselect for what is
			   not there (RFC 3501 §6.3.9). */
			if (g.attrs & FOLDER_NONEXISTENT)
				g.attrs |= FOLDER_NOSELECT;
			g.attrs &= ~FOLDER_NONEXISTENT;
			list_line(s, "LSUB", &g, 0, 1, 0);
		} else {
			struct folder g = *f;

			/* RFC 5258 §3: \NonExistent implies \Noselect; a
			   name with neither folder nor children (a
			   subscription left behind) says only that. */
			if ((g.attrs & FOLDER_NONEXISTENT) &&
			    !(g.attrs & FOLDER_HASCHILDREN))
				g.attrs &= ~FOLDER_NOSELECT;
			list_line(s, "LIST", &g, 1, !(sel_sub || ret_sub), 0);
			/* RFC 5819 §1: a folder that cannot be opened just
			   has no STATUS. */
			if (ret_status != NULL &&
			    !(g.attrs & (FOLDER_NOSELECT |
					    FOLDER_NONEXISTENT)) &&
			    folder_path(s->root, g.name, dir, sizeof(dir), err,
				sizeof(err)) == 0)
				(void)status_line(s, g.name, dir, ret_status,
				    err, sizeof(err));
		}
	}
	(void)j;
	imapd_ok(s, NULL, "%s completed", lsub ? "LSUB" : "LIST");
out:
	folders_free(&fl);
	folders_free(&subs);
	buf_free(&ref);
	buf_free(&pat);
	buf_free(&full);
	return 0;
}

int
imapd_list(struct imapd *s)
{
	return do_list(s, 0);
}

int
imapd_lsub(struct imapd *s)
{
	return do_list(s, 1);
}

int
imapd_namespace(struct imapd *s)
{
	if (s->p.nargs != 0) {
		imapd_bad(s, NULL, "NAMESPACE takes no arguments");
		return 0;
	}
	/* RFC 2342: one personal namespace, no others. */
	imapd_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imapd_ok(s, NULL, "NAMESPACE completed");
	return 0;
}

/* Are the STATUS items of list all known?  1 or 0. */
static int
status_items_ok(const struct imap_value *items)
{
	const struct imap_value *q;

	if (items == NULL || items->type != IMAP_LIST || items->count == 0)
		return 0;
	for (q = items->child; q != NULL; q = q->next)
		if (!imap_is(q, "MESSAGES") && !imap_is(q, "RECENT") &&
		    !imap_is(q, "UIDNEXT") && !imap_is(q, "UIDVALIDITY") &&
		    !imap_is(q, "UNSEEN") && !imap_is(q, "SIZE") &&
		    !imap_is(q, "DELETED") && !imap_is(q, "HIGHESTMODSEQ"))
			return 0;
	return 1;
}

/* "* STATUS name (items)" for the folder in dir, read as EXAMINE would
   (nothing moves, nothing becomes un-recent).  0, or -1 (errno; err). */
static int
status_line(struct imapd *s, const char *name, const char *dir,
    const struct imap_value *items, char *err, size_t errlen)
{
	const struct imap_value *q;
	struct mailbox mb;
	size_t i, unseen = 0, before;
	long long size = 0, one;

	memset(&mb, 0, sizeof(mb));
	mb.lockfd = -1;
	if (mailbox_open(&mb, dir, 0, err, errlen) == -1)
		return -1;
	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* STATUS ");
	(void)imap_put_mailbox(&s->out, name, strlen(name),
	    s->utf8 ? IMAP_ENC_UTF8 : 0);
	(void)buf_puts(&s->out, " (");
	before = s->out.len;
	for (q = items->child; q != NULL; q = q->next) {
		if (s->out.len > before)
			(void)buf_putc(&s->out, ' ');
		if (imap_is(q, "MESSAGES"))
			(void)buf_printf(&s->out, "MESSAGES %zu", mb.n);
		else if (imap_is(q, "RECENT")) {
			/* Only a SELECT makes a message recent: what a
			   SELECT would find in new/. */
			size_t r = 0;

			for (i = 0; i < mb.n; i++)
				r += mb.msgs[i].sub == MAILBOX_NEW;
			(void)buf_printf(&s->out, "RECENT %zu", r);
		} else if (imap_is(q, "UIDNEXT"))
			(void)buf_printf(&s->out, "UIDNEXT %u", mb.uidnext);
		else if (imap_is(q, "UIDVALIDITY"))
			(void)buf_printf(
			    &s->out, "UIDVALIDITY %u", mb.uidvalidity);
		else if (imap_is(q, "UNSEEN")) {
			for (i = unseen = 0; i < mb.n; i++)
				unseen += !(mb.msgs[i].flags &
				    MAILBOX_FLAG('S'));
			(void)buf_printf(&s->out, "UNSEEN %zu", unseen);
		} else if (imap_is(q, "DELETED")) {
			size_t d = 0;

			for (i = 0; i < mb.n; i++)
				d += (mb.msgs[i].flags & MAILBOX_FLAG('T')) != 0;
			(void)buf_printf(&s->out, "DELETED %zu", d);
		} else if (imap_is(q, "SIZE")) {
			for (i = 0, size = 0; i < mb.n; i++)
				if ((one = mailbox_size_quick(&mb, i)) > 0)
					size += one;
			(void)buf_printf(&s->out, "SIZE %lld", size);
		} else
			(void)buf_printf(&s->out, "HIGHESTMODSEQ %llu",
			    (unsigned long long)mb.highestmodseq);
	}
	(void)buf_puts(&s->out, ")\r\n");
	imapd_send_out(s);
	mailbox_close(&mb);
	return 0;
}

int
imapd_status(struct imapd *s)
{
	const struct imap_value *v = imapd_arg(s, 0), *items;
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];

	if (v == NULL || (items = v->next) == NULL ||
	    items->type != IMAP_LIST || items->next != NULL ||
	    items->count == 0) {
		imapd_bad(s, NULL, "STATUS takes a folder and a list of items");
		return 0;
	}
	if (!status_items_ok(items)) {
		imapd_bad(s, NULL, "unknown STATUS item");
		return 0;
	}
	if (imapd_folder_dir(s, v, name, sizeof(name), dir, sizeof(dir)) ==
	    -1)
		return 0;
	if (status_line(s, name, dir, items, err, sizeof(err)) == -1) {
		if (errno == ENOENT)
			imapd_no(s, "NONEXISTENT", "no such folder");
		else {
			log_err(s->c->log, "%s: %s", s->user, err);
			imapd_no(s, "SERVERBUG", "cannot open the folder");
		}
		return 0;
	}
	imapd_ok(s, NULL, "STATUS completed");
	return 0;
}

/* The one folder argument of CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE. */
static int
one_name(struct imapd *s, char *name, size_t namelen, char *dir,
    size_t dirlen)
{
	const struct imap_value *v = imapd_arg(s, 0);

	if (v == NULL || s->p.nargs != 1) {
		imapd_bad(s, NULL, "%s takes a folder name",
		    imap_verb_name(s->p.verb));
		return -1;
	}
	return imapd_folder_dir(s, v, name, namelen, dir, dirlen);
}

static void
folder_error(struct imapd *s, const char *err)
{
	switch (errno) {
	case EEXIST: imapd_no(s, "ALREADYEXISTS", "folder exists"); break;
	case ENOENT: imapd_no(s, "NONEXISTENT", "no such folder"); break;
	case ENOTEMPTY:
		imapd_no(s, "HASCHILDREN", "delete the subfolders first");
		break;
	case EPERM: imapd_no(s, "CANNOT", "INBOX cannot be deleted"); break;
	case EINVAL: imapd_no(s, "CANNOT", "%s", err); break;
	default:
		log_err(s->c->log, "%s: %s", s->user, err);
		imapd_no(s, "SERVERBUG", "cannot change the folders");
	}
}

int
imapd_create(struct imapd *s)
{
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];
	const struct imap_value *v = imapd_arg(s, 0);
	struct imap_value w;

	if (v == NULL || s->p.nargs != 1) {
		imapd_bad(s, NULL, "CREATE takes a folder name");
		return 0;
	}
	/* RFC 3501 §6.3.3: a trailing delimiter only says the client
	   means to create names under it: the folder is made all the
	   same. */
	w = *v;
	if (w.s != NULL && w.len > 1 && w.s[w.len - 1] == '/')
		w.len--;
	if (imapd_folder_dir(s, &w, name, sizeof(name), dir, sizeof(dir)) ==
	    -1)
		return 0;
	if (folder_create(s->root, name, err, sizeof(err)) == -1)
		folder_error(s, err);
	else
		imapd_ok(s, NULL, "CREATE completed");
	return 0;
}

int
imapd_delete(struct imapd *s)
{
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];

	if (one_name(s, name, sizeof(name), dir, sizeof(dir)) == -1)
		return 0;
	/* The selected folder goes away: close it first. */
	if (s->state == IMAPD_SELECTED && strcmp(name, s->folder) == 0)
		imapd_unselect(s);
	if (folder_delete(s->root, name, err, sizeof(err)) == -1)
		folder_error(s, err);
	else
		imapd_ok(s, NULL, "DELETE completed");
	return 0;
}

int
imapd_rename(struct imapd *s)
{
	const struct imap_value *a = imapd_arg(s, 0), *b = imapd_arg(s, 1);
	char from[FOLDER_NAME_MAX + 1], to[FOLDER_NAME_MAX + 1];
	char dir[PATH_MAX], err[ERR_MAX];

	if (s->p.nargs != 2) {
		imapd_bad(s, NULL, "RENAME takes two folder names");
		return 0;
	}
	if (imapd_folder_dir(s, a, from, sizeof(from), dir, sizeof(dir)) ==
		-1 ||
	    imapd_folder_dir(s, b, to, sizeof(to), dir, sizeof(dir)) == -1)
		return 0;
	if (folder_rename(s->root, from, to, err, sizeof(err)) == -1)
		folder_error(s, err);
	else
		imapd_ok(s, NULL, "RENAME completed");
	return 0;
}

int
imapd_subscribe(struct imapd *s)
{
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];
	int on = s->p.verb == IMAP_CMD_SUBSCRIBE;

	if (one_name(s, name, sizeof(name), dir, sizeof(dir)) == -1)
		return 0;
	if (folder_subscribe(s->root, name, on, err, sizeof(err)) == -1)
		folder_error(s, err);
	else
		imapd_ok(s, NULL, "%s completed", on ? "SUBSCRIBE"
						     : "UNSUBSCRIBE");
	return 0;
}
