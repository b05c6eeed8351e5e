/*
 * imapd_store.c: changing messages of the selected folder: STORE and
 * UID STORE (RFC 3501 §6.4.6, RFC 9051 §6.4.6, UNCHANGEDSINCE of RFC
 * 7162 §3.1.3), COPY and UID COPY (RFC 3501 §6.4.7, COPYUID of RFC
 * 4315), MOVE and UID MOVE (RFC 6851).  The work is common/mailbox's
 * (mailbox_store, mailbox_copy, mailbox_move) and common/keywords'
 * (keyword names to letters); here are the arguments and the answers.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folders.h"
#include "imapd.h"
#include "util.h"

int
imapd_msgset(
    struct imapd *s, const struct imap_value *v, size_t **idxp, size_t *np)
{
	struct imap_seqset ss = IMAP_SEQSET_INIT;
	uint32_t max;
	size_t *idx, i, n = 0;

	*idxp = NULL;
	*np = 0;
	max = s->uid ? (s->mb.n > 0 ? s->mb.msgs[s->mb.n - 1].uid : 0)
		     : (uint32_t)s->mb.n;
	if (v == NULL || (v->type != IMAP_ATOM && v->type != IMAP_NUMBER) ||
	    imap_seqset_parse(v->s, v->len, max, &ss) == -1 ||
	    (ss.last && imapd_search_saved(s, s->uid, &ss) == -1)) {
		imap_seqset_free(&ss);
		imapd_bad(s, NULL, "bad message set");
		return -1;
	}
	/* RFC 9051 §6.4.5: a sequence number past the last is an error;
	   UIDs that do not exist are simply not there. */
	if (!s->uid && ss.highest > s->mb.n) {
		imap_seqset_free(&ss);
		imapd_bad(s, NULL, "no such message sequence number");
		return -1;
	}
	if ((idx = calloc(s->mb.n + 1, sizeof(*idx))) == NULL) {
		imap_seqset_free(&ss);
		imapd_no(s, "SERVERBUG", "out of memory");
		return -1;
	}
	for (i = 0; i < s->mb.n; i++)
		if (imap_seqset_contains(
			&ss, s->uid ? s->mb.msgs[i].uid : (uint32_t)(i + 1)))
			idx[n++] = i;
	imap_seqset_free(&ss);
	*idxp = idx;
	*np = n;
	return 0;
}

int
imapd_flag_names(struct imapd *s, const struct imap_value *v, int list,
    char names[][KEYWORD_NAME_MAX + 2], const char **ptrs, size_t max,
    size_t *np)
{
	const struct imap_value *c;
	size_t n = 0;

	c = list ? v->child : v;
	for (; c != NULL; c = c->next) {
		/* RFC 3501 §9: flag-keyword = atom, and NIL and digits
		   are atoms too: the parser's IMAP_NIL and IMAP_NUMBER
		   are the keywords "NIL" and "1" here. */
		if ((c->type != IMAP_ATOM && c->type != IMAP_NIL &&
			c->type != IMAP_NUMBER) || c->len == 0 ||
		    c->len > KEYWORD_NAME_MAX + 1 || n == max) {
			imapd_bad(s, NULL, "bad flag");
			return -1;
		}
		memcpy(names[n], c->s, c->len);
		names[n][c->len] = '\0';
		ptrs[n] = names[n];
		n++;
	}
	*np = n;
	return 0;
}

/* ---------------------------------------------------------------- STORE */

/* "* N FETCH (UID u FLAGS (...) MODSEQ (m))" for message i. */
static void
store_answer(struct imapd *s, size_t i, int flags, int modseq)
{
	buf_reset(&s->out);
	(void)buf_printf(&s->out, "* %zu FETCH (", i + 1);
	if (s->uid)
		(void)buf_printf(&s->out, "UID %u", s->mb.msgs[i].uid);
	if (flags) {
		(void)buf_puts(&s->out, s->uid ? " FLAGS " : "FLAGS ");
		(void)imapd_put_flags(s, i, &s->out);
	}
	if (modseq)
		(void)buf_printf(&s->out, "%sMODSEQ (%llu)",
		    s->uid || flags ? " " : "",
		    (unsigned long long)s->mb.msgs[i].modseq);
	(void)buf_puts(&s->out, ")\r\n");
	imapd_send_out(s);
}

int
imapd_store(struct imapd *s)
{
	char names[IMAPD_FLAGS_MAX][KEYWORD_NAME_MAX + 2];
	const char *ptrs[IMAPD_FLAGS_MAX];
	const struct imap_value *set = imapd_arg(s, 0), *v, *mod;
	struct mailbox_store st;
	struct imap_seqset modified = IMAP_SEQSET_INIT;
	struct buf code;
	unsigned char *res = NULL;
	char item[32], err[ERR_MAX];
	size_t *idx = NULL, n, k, nnames, i, gone = 0;
	uint64_t mask, modseq;
	int silent = 0, rc = 0;
	unsigned nkw;

	memset(&st, 0, sizeof(st));
	v = set != NULL ? set->next : NULL;
	/* RFC 7162 §3.1.3: "(UNCHANGEDSINCE n)" before the item. */
	if (v != NULL && v->type == IMAP_LIST) {
		mod = v->child;
		if (v->count != 2 || !imap_is(mod, "UNCHANGEDSINCE") ||
		    imap_number64(mod->next, 1, &st.unchangedsince) == -1) {
			imapd_bad(s, NULL, "bad STORE modifier");
			return 0;
		}
		st.conditional = 1;
		v = v->next;
	}
	if (v == NULL || v->type != IMAP_ATOM || v->len >= sizeof(item) ||
	    v->next == NULL) {
		imapd_bad(s, NULL, "STORE takes a set, an item and flags");
		return 0;
	}
	memcpy(item, v->s, v->len);
	item[v->len] = '\0';
	if (strcasecmp(item, "FLAGS") == 0 ||
	    strcasecmp(item, "FLAGS.SILENT") == 0)
		st.op = MAILBOX_STORE_REPLACE;
	else if (strcasecmp(item, "+FLAGS") == 0 ||
	    strcasecmp(item, "+FLAGS.SILENT") == 0)
		st.op = MAILBOX_STORE_ADD;
	else if (strcasecmp(item, "-FLAGS") == 0 ||
	    strcasecmp(item, "-FLAGS.SILENT") == 0)
		st.op = MAILBOX_STORE_REMOVE;
	else {
		imapd_bad(s, NULL, "unknown STORE item");
		return 0;
	}
	silent = v->len > 7 && strcasecmp(item + v->len - 7, ".SILENT") == 0;
	v = v->next;
	/* flag-list, or flags without parentheses (RFC 3501 §9). */
	if (imapd_flag_names(s, v, v->type == IMAP_LIST && v->next == NULL,
		names, ptrs, IMAPD_FLAGS_MAX, &nnames) == -1)
		return 0;
	if (imapd_msgset(s, set, &idx, &n) == -1)
		return 0;
	if (s->readonly) {
		imapd_no(s, "READ-ONLY", "folder is read-only");
		goto out;
	}
	/* An UNCHANGEDSINCE is a CONDSTORE enabling command. */
	if (st.conditional)
		imapd_condstore_on(s);
	nkw = s->kw.count;
	if (keywords_mask(&s->kw, s->mb.dir, ptrs, nnames,
		st.op != MAILBOX_STORE_REMOVE, &mask, err, sizeof(err)) == -1) {
		if (errno == EINVAL)
			imapd_bad(s, NULL, "%s", err);
		else if (errno == ENOSPC)
			imapd_no(s, "LIMIT", "no room for more keywords");
		else {
			log_err(s->c->log, "%s: %s", s->user, err);
			imapd_no(s, "SERVERBUG", "cannot store the keywords");
		}
		goto out;
	}
	/* RFC 3501 §7.2.6: new keywords are new FLAGS. */
	if (s->kw.count != nkw)
		imapd_flags_answers(s);
	st.flags = mask;
	st.scope = keywords_scope(&s->kw);
	if (n > 0 && (res = calloc(n, 1)) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		goto out;
	}
	if (n > 0 &&
	    mailbox_store(
		&s->mb, idx, n, &st, res, &modseq, err, sizeof(err)) == -1) {
		if (errno == ESTALE) {
			imapd_untagged(
			    s, "BYE the folder's UIDVALIDITY changed");
			s->result = "uidvalidity-changed";
			rc = -1;
			goto out;
		}
		log_err(s->c->log, "%s: %s", s->user, err);
		imapd_no(s, "SERVERBUG", "cannot store the flags");
		goto out;
	}
	for (k = 0; k < n; k++) {
		i = idx[k];
		switch (res[k]) {
		case MAILBOX_STORED:
		case MAILBOX_STORE_SAME:
			if (!silent || s->mb.msgs[i].changed) {
				/* RFC 3501 §6.4.6; with .SILENT only what
				   another session changed as well. */
				store_answer(s, i, 1, s->condstore);
				s->mb.msgs[i].changed = 0;
			} else if (s->condstore && res[k] == MAILBOX_STORED)
				/* RFC 7162 §3.1.3: the new MODSEQ even
				   with .SILENT. */
				store_answer(s, i, 0, 1);
			break;
		case MAILBOX_STORE_MODIFIED:
			(void)imap_seqset_add(&modified,
			    s->uid ? s->mb.msgs[i].uid : (uint32_t)(i + 1),
			    s->uid ? s->mb.msgs[i].uid : (uint32_t)(i + 1));
			break;
		default: gone++; break;
		}
	}
	/* No EXPUNGE during STORE (RFC 3501 §7.4.1). */
	if (imapd_sync(s, 0) == -1) {
		rc = -1;
		goto out;
	}
	if (modified.n > 0) {
		buf_init(&code, 0);
		(void)buf_puts(&code, "MODIFIED ");
		(void)imap_seqset_format(&modified, &code);
		imapd_ok(s, buf_cstr(&code), "conditional STORE failed");
		buf_free(&code);
	} else if (gone > 0 && !s->uid)
		/* RFC 2180 §4.2.1: the others stored, a tagged OK (§4.2.3
		   allows a NO without .SILENT; Dovecot says OK too), and
		   RFC 5530's code to tell why some have no FETCH. */
		imapd_ok(s, "EXPUNGEISSUED",
		    "%s completed, some messages were expunged meanwhile",
		    imap_verb_name(s->p.verb));
	else
		imapd_ok(s, NULL, "%s completed", imap_verb_name(s->p.verb));
out:
	imap_seqset_free(&modified);
	free(res);
	free(idx);
	return rc;
}

/* ---------------------------------------------------------------- COPY */

/* Is dir a Maildir (new/ and cur/)?  1 or 0. */
int
imapd_folder_exists(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;
	int n;

	n = snprintf(p, sizeof(p), "%s/cur", dir);
	if (n < 0 || (size_t)n >= sizeof(p) || stat(p, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	n = snprintf(p, sizeof(p), "%s/new", dir);
	if (n < 0 || (size_t)n >= sizeof(p) || stat(p, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	return 1;
}

struct maildir_namer *
imapd_namer(void)
{
	static struct maildir_namer nm;
	static long pid;

	/* One per process: a --listen server forks a session each. */
	if (pid != (long)getpid()) {
		maildir_namer_init(&nm, NULL);
		pid = (long)getpid();
	}
	return &nm;
}

int
imapd_copy(struct imapd *s)
{
	const struct imap_value *set = imapd_arg(s, 0), *mbox = imapd_arg(s, 1);
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];
	int move = s->p.verb == IMAP_CMD_MOVE || s->p.verb == IMAP_CMD_UID_MOVE;
	struct imap_seqset su = IMAP_SEQSET_INIT, du = IMAP_SEQSET_INIT;
	unsigned char map[KEYWORDS_N];
	struct keywords dkw;
	struct buf code;
	uint32_t validity = 0, *uids = NULL;
	uint64_t used = 0, modseq;
	size_t *idx = NULL, n = 0, k;
	int rc = 0, r;

	if (set == NULL || mbox == NULL || s->p.nargs != 2) {
		imapd_bad(s, NULL, "%s takes a set and a folder",
		    imap_verb_name(s->p.verb));
		return 0;
	}
	if (imapd_msgset(s, set, &idx, &n) == -1)
		return 0;
	if (move && s->readonly) {
		imapd_no(s, "READ-ONLY", "folder is read-only");
		goto out;
	}
	if (imapd_folder_dir(s, mbox, name, sizeof(name), dir, sizeof(dir)) ==
	    -1)
		goto out;
	if (!imapd_folder_exists(dir)) {
		/* RFC 3501 §6.4.7 */
		imapd_no(s, "TRYCREATE", "no such folder");
		goto out;
	}
	/* Expunged ones (not yet reported) are gone: RFC 3501 §7.4.1. */
	for (k = 0; k < n; k++)
		if (s->mb.msgs[idx[k]].expunged) {
			imapd_no(s, "EXPUNGEISSUED",
			    "some messages were expunged meanwhile");
			goto out;
		}
	if (n == 0) {
		if (imapd_sync(s, 1) == -1) {
			rc = -1;
			goto out;
		}
		imapd_ok(s, NULL, "%s completed, nothing to do",
		    imap_verb_name(s->p.verb));
		goto out;
	}
	for (k = 0; k < n; k++)
		used |= s->mb.msgs[idx[k]].flags & MAILBOX_KEYWORD_FLAGS;
	memset(&dkw, 0, sizeof(dkw));
	if (keywords_load(&dkw, dir, err, sizeof(err)) == -1 ||
	    keywords_map(&s->kw, used, &dkw, dir, map, err, sizeof(err)) == -1)
		log_warn(s->c->log, "%s: %s", s->user, err);
	if ((uids = calloc(n, sizeof(*uids))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		goto out;
	}
	r = move ? mailbox_move(&s->mb, idx, n, dir, map, imapd_namer(),
		       &validity, uids, &modseq, err, sizeof(err))
		 : mailbox_copy(&s->mb, idx, n, dir, map, imapd_namer(),
		       &validity, uids, err, sizeof(err));
	if (r == -1) {
		if (errno == ENOENT) {
			imapd_no(s, "EXPUNGEISSUED",
			    "some messages were expunged meanwhile");
			goto out;
		}
		log_err(s->c->log, "%s: %s", s->user, err);
		if (errno == ENOSPC || errno == EDQUOT)
			imapd_no(s, "OVERQUOTA", "no room for the copies");
		else
			imapd_no(s, "SERVERBUG", "cannot copy the messages");
		goto out;
	}
	for (k = 0; k < n; k++) {
		(void)imap_seqset_add(
		    &su, s->mb.msgs[idx[k]].uid, s->mb.msgs[idx[k]].uid);
		(void)imap_seqset_add(&du, uids[k], uids[k]);
	}
	buf_init(&code, 0);
	(void)buf_printf(&code, "COPYUID %u ", validity);
	(void)imap_seqset_format(&su, &code);
	(void)buf_putc(&code, ' ');
	(void)imap_seqset_format(&du, &code);
	if (move) {
		/* RFC 6851 §4.3: COPYUID untagged, before the expunges. */
		buf_reset(&s->out);
		if (imap_put_status(&s->out, NULL, IMAP_ST_OK, buf_cstr(&code),
			"moved") == 0)
			imapd_send_out(s);
		buf_reset(&s->out);
		if (imapd_sync(s, 1) == -1) {
			buf_free(&code);
			rc = -1;
			goto out;
		}
		imapd_ok(s, NULL, "%s completed", imap_verb_name(s->p.verb));
	} else {
		if (imapd_sync(s, 1) == -1) {
			buf_free(&code);
			rc = -1;
			goto out;
		}
		imapd_ok(s, buf_cstr(&code), "%s completed",
		    imap_verb_name(s->p.verb));
	}
	buf_free(&code);
out:
	imap_seqset_free(&su);
	imap_seqset_free(&du);
	free(uids);
	free(idx);
	return rc;
}
