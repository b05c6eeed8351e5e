/*
 * imapd_append.c: APPEND (RFC 3501 §6.3.11, RFC 9051 §6.3.12) with
 * APPENDUID (RFC 4315), APPENDLIMIT (RFC 7889) and the UTF8 form (RFC
 * 6855 §4).  The message literal was spooled by the session into an
 * unlinked file (s->spool) while the command was read, so a client that
 * dies mid-literal leaves nothing in any folder; here it is copied into
 * the target's tmp/ through common/maildir (fsync), and mailbox_append
 * moves it into new/ or cur/ durably and gives its UID.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "folders.h"
#include "imapd.h"
#include "maildir.h"
#include "util.h"

/* The spooled message (len octets) into f.  0 or -1 with err set. */
static int
spool_to(struct imapd *s, struct maildir_file *f, uint64_t len, char *err,
    size_t errlen)
{
	char chunk[16384];
	ssize_t r;
	size_t want;

	if (lseek(s->spool, 0, SEEK_SET) == -1) {
		util_seterr(err, errlen, "spool: %s", strerror(errno));
		return -1;
	}
	while (len > 0) {
		want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		if ((r = read(s->spool, chunk, want)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			util_seterr(err, errlen, "spool: %s",
			    r == 0 ? "short" : strerror(errno));
			if (r == 0)
				errno = EIO;
			return -1;
		}
		if (maildir_write(f, chunk, (size_t)r, err, errlen) == -1)
			return -1;
		len -= (uint64_t)r;
	}
	return 0;
}

int
imapd_append(struct imapd *s)
{
	char names[IMAPD_FLAGS_MAX][KEYWORD_NAME_MAX + 2];
	const char *ptrs[IMAPD_FLAGS_MAX];
	const struct imap_value *mbox = imapd_arg(s, 0), *v, *msg = NULL;
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX], err[ERR_MAX];
	char date[IMAP_DATETIME_LEN + 1], code[64];
	struct maildir_file f;
	struct keywords kwbuf, *kw;
	const struct imap_value *flags = NULL, *dt = NULL;
	size_t nnames = 0;
	uint64_t mask = 0;
	uint32_t validity, uid;
	int64_t t;
	time_t when;
	int zone, same;
	unsigned nkw;

	v = mbox != NULL ? mbox->next : NULL;
	if (v != NULL && v->type == IMAP_LIST) {
		flags = v;
		v = v->next;
	}
	if (v != NULL && v->type == IMAP_QUOTED) {
		dt = v;
		v = v->next;
	}
	if (v != NULL && v->type == IMAP_LITERAL)
		msg = v;
	else if (v != NULL && imap_is(v, "UTF8") && v->next != NULL &&
	    v->next->type == IMAP_LIST && v->next->count == 1 &&
	    v->next->child->type == IMAP_LITERAL &&
	    (v->next->child->flags & IMAP_VF_BINARY)) {
		/* RFC 6855 §4: "UTF8 (~{n}...)". */
		msg = v->next->child;
		v = v->next;
	}
	if (mbox == NULL || msg == NULL || v->next != NULL) {
		/* MULTIAPPEND (RFC 3502) and CATENATE (RFC 4469) are not
		   offered. */
		imapd_bad(s, NULL,
		    "APPEND takes a folder, [flags], "
		    "[date-time] and a message literal");
		return 0;
	}
	if (msg != v && !s->utf8) {
		/* RFC 6855 §4: only after ENABLE UTF8=ACCEPT. */
		imapd_bad(s, NULL, "ENABLE UTF8=ACCEPT first");
		return 0;
	}
	if (!(msg->flags & IMAP_VF_TAKEN) || s->spool == -1) {
		imapd_bad(s, NULL, "the message must be a literal");
		return 0;
	}
	if (flags != NULL &&
	    imapd_flag_names(
		s, flags, 1, names, ptrs, IMAPD_FLAGS_MAX, &nnames) == -1)
		return 0;
	when = 0;
	if (dt != NULL) {
		if (dt->len >= sizeof(date) ||
		    imap_datetime_parse(dt->s, dt->len, &t, &zone) == -1 ||
		    (int64_t)(time_t)t != t) {
			imapd_bad(s, NULL, "bad date-time");
			return 0;
		}
		when = (time_t)t;
	}
	if (msg->len == 0) {
		imapd_no(s, NULL, "an empty message is not appended");
		return 0;
	}
	if ((long long)msg->len > IMAPD_APPEND_MAX) {
		imapd_no(s, "TOOBIG", "message over APPENDLIMIT");
		return 0;
	}
	if (imapd_folder_dir(s, mbox, name, sizeof(name), dir, sizeof(dir)) ==
	    -1)
		return 0;
	if (!imapd_folder_exists(dir)) {
		/* RFC 3501 §6.3.11 */
		imapd_no(s, "TRYCREATE", "no such folder");
		return 0;
	}
	same = s->mb_open && strcmp(dir, s->mb.dir) == 0;
	if (same)
		kw = &s->kw;
	else {
		kw = &kwbuf;
		memset(kw, 0, sizeof(*kw));
		if (keywords_load(kw, dir, err, sizeof(err)) == -1)
			log_warn(s->c->log, "%s: %s", s->user, err);
	}
	nkw = kw->count;
	if (nnames > 0 &&
	    keywords_mask(kw, dir, ptrs, nnames, 1, &mask, err, sizeof(err)) ==
		-1) {
		if (errno == EINVAL)
			imapd_bad(s, NULL, "%s", err);
		else if (errno == ENOSPC)
			imapd_no(s, "LIMIT", "no room for more keywords");
		else {
			log_err(s->c->log, "%s: %s", s->user, err);
			imapd_no(s, "SERVERBUG", "cannot store the keywords");
		}
		return 0;
	}
	if (same && s->kw.count != nkw)
		imapd_flags_answers(s);
	memset(&f, 0, sizeof(f));
	f.fd = f.dfd = -1;
	if (maildir_open(&f, dir, imapd_namer(), err, sizeof(err)) == -1)
		goto fail;
	if (spool_to(s, &f, msg->len, err, sizeof(err)) == -1 ||
	    maildir_sync(&f, err, sizeof(err)) == -1) {
		maildir_abort(&f);
		goto fail;
	}
	if (mailbox_append(dir, &f, mask, dt != NULL ? &when : NULL, &validity,
		&uid, err, sizeof(err)) == -1)
		goto fail;
	s->nappend++;
	/* RFC 3501 §6.3.11: the selected folder's EXISTS if it was it. */
	if (imapd_sync(s, 1) == -1)
		return -1;
	(void)snprintf(code, sizeof(code), "APPENDUID %u %u", validity, uid);
	imapd_ok(s, code, "APPEND completed");
	return 0;
fail:
	log_err(s->c->log, "%s: %s", s->user, err);
	if (errno == ENOSPC || errno == EDQUOT)
		imapd_no(s, "OVERQUOTA", "no room for the message");
	else
		imapd_no(s, "SERVERBUG", "cannot save the message");
	return 0;
}
