/*
 * client_fetch.c: `mimap fetch': each message of the folders once into
 * a Maildir or an MDA, durably, as `mpop fetch' does for POP3.
 *
 * The state file is a journal of text lines, keyed by folder,
 * UIDVALIDITY and UID (words are %-encoded: a space, "%", "-" and
 * octets outside 0x21-0x7e; "-" alone is an empty word):
 *
 *	yubin-mimap-state 1
 *	P folder uidvalidity uid size message-id [sub/]uniq
 *		about to be linked into the Maildir (with --all-folders
 *		its Maildir++ folder sub) under the unique name uniq
 *		(fdatasynced before the link)
 *	F folder uidvalidity uid size message-id
 *		delivered
 *
 * Order of the durable steps for one message into a Maildir:
 *   UID FETCH uid BODY.PEEK[] into tmp/NAME; fsync   (maildir_sync)
 *   journal "P ...", fdatasync
 *   link into new/, fsync of new/                     (maildir_commit)
 *   journal "F ..."; fdatasync before any STORE/EXPUNGE
 * At the start of a run a P entry whose NAME is in new/ or cur/ is
 * taken as delivered, any other is forgotten (fetched again): never
 * lost, never twice.  An MDA cannot be asked whether it has a message,
 * so there "F" follows its exit 0 (a crash between the two fetches
 * that message again).  At the end the file is rewritten (temp, fsync,
 * rename, fsync of the directory) with only what the server still has.
 *
 *	M folder uidvalidity highestmodseq uidnext
 *		the folder's CONDSTORE point: written when a run went
 *		through every message the folder had at its SELECT
 *
 * When a folder's UIDVALIDITY changed, the messages are matched with
 * what was fetched before by Message-ID and RFC822.SIZE, recorded under
 * the new UIDVALIDITY, and only the others are fetched.
 *
 * Incremental runs (RFC 7162): when the server offers CONDSTORE and the
 * folder has a point under the same UIDVALIDITY, the run lists only
 * "UID FETCH uidnext:* (...)" (the new messages; nothing at all when
 * HIGHESTMODSEQ and UIDNEXT did not move) instead of every UID.  Not
 * (CHANGEDSINCE modseq): flag changes are no business of a fetch, and
 * a server whose MODSEQ went backwards (a lost index) would hide new
 * mail; HIGHESTMODSEQ below the point means a full listing.  With
 * QRESYNC (ENABLE QRESYNC, SELECT folder (QRESYNC (uv modseq))) the
 * server also names the UIDs expunged since (VANISHED
 * (EARLIER)) and their entries are dropped; with CONDSTORE alone the
 * entries of expunged messages stay until a full listing (a run
 * without a point, e.g. after a UIDVALIDITY change).  A point is not
 * written when a message was left behind (an MDA failure), and is
 * forgotten when a pending delivery is: the next run lists everything.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "client.h"
#include "client_fetch.h"
#include "maildir.h"
#include "mimap.h"
#include "proc.h"
#include "secret.h"
#include "util.h"

/* ---------------------------------------------------------------- listing */

/* The Message-ID in a header block ("Message-ID: <x>" CRLF CRLF). */
static void
msgid_of(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	out[0] = '\0';
	while (i < len && s[i] != ':')
		i++;
	if (i++ >= len)
		return;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
			      s[i] == '\n'))
		i++;
	while (i < len && o + 1 < outlen && (unsigned char)s[i] > 0x20)
		out[o++] = s[i++];
	out[o] = '\0';
}

static int
is_fetch(struct iclient *c)
{
	return c->p.resp.kind == IMAP_RESP_UNTAGGED && c->p.resp.has_number &&
	    c->p.resp.namelen == 5 &&
	    util_casecmp_n(c->p.resp.name, "FETCH", 5) == 0 &&
	    c->p.args != NULL && c->p.args->type == IMAP_LIST;
}

static int
on_listing(struct iclient *c, void *arg)
{
	struct run *r = arg;
	struct imap_value *v;
	struct smsg *m;
	uint64_t size = 0;
	uint32_t uid = 0;
	const char *s;
	size_t len;
	void *np;
	int have = 0;

	if (!is_fetch(c))
		return 0;
	if (r->nm == r->capm) {
		r->capm = r->capm ? r->capm * 2 : 256;
		if ((np = realloc(r->m, r->capm * sizeof(*r->m))) == NULL) {
			yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
			return -1;
		}
		r->m = np;
	}
	m = &r->m[r->nm];
	m->msgid[0] = '\0';
	for (v = c->p.args->child; v != NULL; v = v->next) {
		if (client_word(v, "UID") && v->next != NULL) {
			(void)imap_nz_number(v->next, &uid);
			v = v->next;
		} else if (client_word(v, "RFC822.SIZE") && v->next != NULL) {
			(void)imap_number64(v->next, 1, &size);
			v = v->next;
		} else if ((v->type == IMAP_LITERAL ||
			       v->type == IMAP_QUOTED) &&
		    imap_string(v, &s, &len) == 0) {
			msgid_of(s, len, m->msgid, sizeof(m->msgid));
			have = 1;
		}
	}
	(void)have;
	if (uid == 0)
		return 0; /* a flags change, not ours */
	m->uid = uid;
	m->size = size;
	r->nm++;
	return 0;
}

/* ---------------------------------------------------------------- sink */

/*
 * A body's octets go, as they come, to the spool (--mda) or to a new
 * tmp file of the Maildir: r->cur, the next file of the batch.  Which
 * message it was is known only at the end of its FETCH response (the
 * UID may follow BODY[]): on_batch then files it under its UID.
 */
static int
sink_begin(struct iclient *c, void *arg, uint64_t size)
{
	struct run *r = arg;

	(void)size;
	if (r->got) {
		yerr_set(&c->err, YERR_PROTO, "two bodies for one message");
		return -1;
	}
	r->got = 1;
	r->cr = 0;
	r->wrote = 0;
	if (r->a->maildir != NULL) {
		if (r->nb == r->nbw) {
			yerr_set(&c->err, YERR_PROTO, "more bodies than the "
			    "%zu messages asked for", r->nbw);
			return -1;
		}
		r->cur = &r->bf[r->nb].mf;
		memset(r->cur, 0, sizeof(*r->cur));
		r->cur->fd = r->cur->dfd = -1;
		if (maildir_open(r->cur, r->dir, &r->nm_, r->err,
			sizeof(r->err)) == -1) {
			yerr_set(&c->err, YERR_LOCAL, "%s", r->err);
			r->sinkerr = 1;
			return -1;
		}
	} else if (ftruncate(r->spool, 0) == -1 ||
	    lseek(r->spool, 0, SEEK_SET) == -1) {
		yerr_set(&c->err, YERR_LOCAL, "spool: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
out(struct run *r, struct iclient *c, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	r->wrote += n;
	if (r->a->maildir != NULL) {
		if (maildir_write(r->cur, p, n, r->err, sizeof(r->err)) == 0)
			return 0;
		yerr_set(&c->err, YERR_LOCAL, "%s", r->err);
	} else {
		if (util_write_all(r->spool, p, n) == 0)
			return 0;
		yerr_set(&c->err, YERR_LOCAL, "spool: %s", strerror(errno));
	}
	r->sinkerr = 1;
	return -1;
}

/* CRLF becomes LF (also across chunks); a bare CR stays. */
static int
sink_write(struct iclient *c, void *arg, const char *p, size_t n)
{
	struct run *r = arg;
	char b[16384 + 2];
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (r->cr) {
			r->cr = 0;
			if (p[i] != '\n')
				b[o++] = '\r';
		}
		if (p[i] == '\r') {
			r->cr = 1;
			continue;
		}
		b[o++] = p[i];
		if (o >= sizeof(b) - 2) {
			if (out(r, c, b, o) == -1)
				return -1;
			o = 0;
		}
	}
	return out(r, c, b, o);
}

/* A BODY[] the sink did not see: a quoted string (a server may send a
   small message so), or a literal it held.  Then the body's end: a
   CR left over is written. */
static int
body_end(struct iclient *c, struct run *r)
{
	struct imap_value *v;
	const char *s;
	size_t len;

	for (v = c->p.args->child; !r->got && v != NULL && v->next != NULL;
	     v = v->next) {
		if (!client_word(v, "BODY[]") ||
		    (v->next->flags & IMAP_VF_TAKEN) ||
		    imap_string(v->next, &s, &len) == -1)
			continue;
		if (sink_begin(c, r, len) == -1 ||
		    sink_write(c, r, s, len) == -1)
			return -1;
	}
	if (r->got && r->cr) {
		r->cr = 0;
		return out(r, c, "\r", 1);
	}
	return 0;
}

/* The end of a FETCH response to the one-message UID FETCH (--mda). */
static int
on_body(struct iclient *c, void *arg)
{
	struct run *r = arg;

	if (!is_fetch(c) || r->got)
		return 0;
	return body_end(c, r);
}

/* The end of a FETCH response to a batch's UID FETCH: the body's file
   goes to the message its UID names. */
static int
on_batch(struct iclient *c, void *arg)
{
	struct run *r = arg;
	struct imap_value *v;
	struct bfile *f;
	uint32_t uid = 0;
	size_t i;

	if (!is_fetch(c))
		return 0;
	if (body_end(c, r) == -1)
		return -1;
	if (!r->got)
		return 0; /* a flags change */
	r->got = 0;
	f = &r->bf[r->nb];
	for (v = c->p.args->child; v != NULL && v->next != NULL; v = v->next)
		if (client_word(v, "UID") &&
		    imap_nz_number(v->next, &uid) == 0)
			break;
	for (i = 0; uid != 0 && i < r->nbw; i++)
		if (r->bw[i]->uid == uid)
			break;
	if (uid == 0 || i == r->nbw) {
		yerr_set(&c->err, YERR_PROTO, uid == 0
			? "a FETCH body without its UID"
			: "a body for UID %lu, which was not asked for",
		    (unsigned long)uid);
		return -1;
	}
	for (f = r->bf; f < r->bf + r->nb; f++)
		if (f->w == i) {
			yerr_set(&c->err, YERR_PROTO, "two bodies for UID %lu",
			    (unsigned long)uid);
			return -1;
		}
	f->w = i;
	f->wrote = r->wrote;
	r->nb++;
	return 0;
}

/* Run the MDA on the spool.  0, or the exit code to remember. */
static int
mda(struct run *r)
{
	struct proc_spec sp;
	struct proc_result res;
	char how[128];

	if (lseek(r->spool, 0, SEEK_SET) == -1)
		return EX_IOERR;
	proc_spec_init(&sp, r->a->mda);
	sp.in = PROC_FD;
	sp.in_fd = r->spool;
	sp.out = PROC_INHERIT;
	sp.err = PROC_INHERIT;
	sp.timeout_ms = CLIENT_MDA_TIMEOUT * 1000;
	if (proc_run(&sp, &res) == 0)
		return 0;
	(void)proc_describe(&sp, &res, how, sizeof(how));
	client_complain(&r->a->o, "%s: %s %s", r->folder, r->a->mda[0], how);
	if (res.how == PROC_EXITED && res.code != 0)
		return res.code == EX_TEMPFAIL ? EX_TEMPFAIL : EX_UNAVAILABLE;
	return yerr_exit(proc_class(&res));
}

/* A state entry for m of the folder at hand; NULL (c->err) when out of
   memory. */
static struct sent *
entry(struct run *r, const struct smsg *m, uint32_t uv)
{
	struct sent *e;

	if ((e = cst_add(r)) == NULL ||
	    (e->folder = strdup(r->folder)) == NULL ||
	    (e->msgid = strdup(m->msgid)) == NULL) {
		yerr_set(&r->c.err, YERR_LOCAL, "%s", strerror(ENOMEM));
		return NULL;
	}
	e->uv = uv;
	e->uid = m->uid;
	e->size = m->size;
	e->seen = 1;
	return e;
}

/* Fetch one message for the MDA and run it.  1 delivered, 0 skipped
   (gone, the MDA failed), -1 (session). */
static int
fetch_mda(struct run *r, const struct smsg *m, uint32_t uv)
{
	struct iclient *c = &r->c;
	struct isink sk = {sink_begin, sink_write, r};
	struct sent *e;
	int st, rc;

	r->got = 0;
	r->sinkerr = 0;
	c->sink = &sk;
	st = client_cmdf(c, on_body, r, "UID FETCH %lu (BODY.PEEK[])",
	    (unsigned long)m->uid);
	c->sink = NULL;
	if (st != IMAP_ST_OK)
		return client_refused(c, st, "UID FETCH");
	if (!r->got) /* expunged meanwhile */
		return 0;
	if ((e = entry(r, m, uv)) == NULL)
		return -1;
	if ((rc = mda(r)) != 0) {
		e->dead = 1;
		r->skipped = 1;
		r->fail_rc = yerr_exit_worst(r->fail_rc, rc);
		return 0;
	}
	if (cst_journal(r, e, 1) == -1) {
		e->dead = 1;
		yerr_set(&c->err, YERR_LOCAL, "%s", r->err);
		return -1;
	}
	r->nfetched++;
	r->bytes += (long long)r->wrote;
	return 1;
}

/*
 * Fetch the batch r->bw into the Maildir with one UID FETCH, each body
 * into its own tmp file, then make the batch durable in the order the
 * top of this file gives, each step once for the whole batch: every
 * file fsynced, the "P" lines journaled and synced, every file linked
 * into new/ and new/ fsynced, the "F" lines journaled.  A message the
 * server no longer has is skipped.  The UIDs delivered go into done.
 * 0 or -1 (c->err).
 */
static int
fetch_batch(struct run *r, uint32_t uv, struct imap_seqset *done)
{
	struct iclient *c = &r->c;
	struct isink sk = {sink_begin, sink_write, r};
	struct imap_seqset want = IMAP_SEQSET_INIT;
	struct maildir_file *mfp[CLIENT_FETCH_BATCH];
	char uniq[FOLDER_SUB_MAX + MAILDIR_NAME_MAX + 2];
	size_t ei[CLIENT_FETCH_BATCH]; /* in r->e, which may move */
	struct buf set;
	struct sent *e;
	size_t i, ne = 0;
	int st, rc = -1;

	buf_init(&set, CLIENT_LINE_MAX);
	for (i = 0; i < r->nbw; i++)
		if (imap_seqset_add(&want, r->bw[i]->uid, r->bw[i]->uid) == -1)
			goto nomem;
	if (imap_seqset_format(&want, &set) == -1 ||
	    buf_putc(&set, '\0') == -1)
		goto nomem;
	r->nb = 0;
	r->got = 0;
	r->sinkerr = 0;
	c->sink = &sk;
	st = client_cmdf(c, on_batch, r, "UID FETCH %s (BODY.PEEK[])",
	    set.data);
	c->sink = NULL;
	if (r->got) /* a body cut short: its file is not in r->nb */
		maildir_abort(r->cur);
	if (st != IMAP_ST_OK) {
		(void)client_refused(c, st, "UID FETCH");
		goto out;
	}
	for (i = 0; i < r->nb; i++) {
		if (maildir_sync(&r->bf[i].mf, r->err, sizeof(r->err)) == -1)
			goto local;
		mfp[i] = &r->bf[i].mf;
	}
	for (i = 0; i < r->nb; i++) {
		if ((e = entry(r, r->bw[r->bf[i].w], uv)) == NULL)
			goto out;
		ei[ne++] = (size_t)(e - r->e);
		e->pending = 1;
		(void)snprintf(uniq, sizeof(uniq), "%s%s%s", r->sub,
		    r->sub[0] ? "/" : "", r->bf[i].mf.name);
		e->uniq = uniq;
		st = cst_journal(r, e, i + 1 == r->nb);
		e->uniq = NULL;
		if (st == -1)
			goto local;
	}
	if (r->nb > 0 && maildir_commit(mfp, r->nb, r->err,
			     sizeof(r->err)) == -1)
		goto local;
	for (i = 0; i < r->nb; i++) {
		e = &r->e[ei[i]];
		e->pending = 0;
		if (cst_journal(r, e, 0) == -1)
			goto local;
		if (imap_seqset_add(done, e->uid, e->uid) == -1)
			goto nomem;
		r->nfetched++;
		r->bytes += (long long)r->bf[i].wrote;
	}
	rc = 0;
	goto out;
nomem:
	(void)util_strlcpy(r->err, strerror(ENOMEM), sizeof(r->err));
local:
	yerr_set(&c->err, YERR_LOCAL, "%s", r->err);
	for (i = 0; i < ne; i++)
		r->e[ei[i]].dead = 1;
out:
	for (i = 0; i < r->nb; i++)
		maildir_abort(&r->bf[i].mf);
	r->nb = r->nbw = 0;
	imap_seqset_free(&want);
	buf_free(&set);
	return rc;
}

static int
cmp_msgs(const void *a, const void *b)
{
	const struct smsg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/*
 * Where a folder goes with --maildir: INBOX into the Maildir, others
 * with --all-folders into its Maildir++ folders (the server's delimiter
 * becomes ".", a "." or "/" inside a name "_"), the folders named with
 * --folder into the Maildir itself.  0 or -1 (c->err).
 */
static int
target(struct run *r, const char *folder)
{
	char *q;
	size_t i;

	r->sub[0] = '\0';
	(void)util_strlcpy(r->dir, r->a->maildir, sizeof(r->dir));
	if (!r->a->all_folders || strcasecmp(folder, "INBOX") == 0)
		return 0;
	if (util_strlcpy(r->sub, folder, sizeof(r->sub)) >= sizeof(r->sub))
		goto bad;
	for (q = r->sub; *q != '\0'; q++)
		if (r->delim != '\0' && *q == r->delim)
			*q = '.';
		else if (*q == '.' || *q == '/')
			*q = '_';
	for (i = 0; r->sub[i] != '\0'; i++)
		if ((unsigned char)r->sub[i] < 0x20)
			r->sub[i] = '_';
	if (maildir_folder_path(r->a->maildir, r->sub, r->dir,
		sizeof(r->dir)) == -1)
		goto bad;
	if (maildir_create_folder(r->a->maildir, r->sub, r->err,
		sizeof(r->err)) == -1) {
		yerr_set(&r->c.err, YERR_LOCAL, "%s", r->err);
		return -1;
	}
	return 0;
bad:
	yerr_set(&r->c.err, YERR_LOCAL,
	    "%s: no Maildir++ folder can be named after it", folder);
	return -1;
}

/* --all-folders: every selectable folder the server lists. */
struct flist {
	struct run *r;
	char **name;
	size_t n, cap;
};

static int
on_flist(struct iclient *c, void *arg)
{
	struct flist *fl = arg;
	struct imap_value *v = c->p.args, *f;
	struct buf name;
	const char *s;
	size_t len;
	void *np;

	if (c->p.resp.name == NULL || c->p.resp.namelen != 4 ||
	    util_casecmp_n(c->p.resp.name, "LIST", 4) != 0)
		return 0;
	if (v == NULL || v->type != IMAP_LIST || v->next == NULL ||
	    v->next->next == NULL ||
	    imap_astring(v->next->next, &s, &len) == -1) {
		yerr_set(&c->err, YERR_PROTO, "a LIST response without a name");
		return -1;
	}
	for (f = v->child; f != NULL; f = f->next)
		if (client_word(f, "\\Noselect") ||
		    client_word(f, "\\NonExistent"))
			return 0;
	if (v->next->type == IMAP_QUOTED && v->next->len == 1)
		fl->r->delim = v->next->s[0];
	if (fl->n == fl->cap) {
		fl->cap = fl->cap ? fl->cap * 2 : 16;
		if ((np = realloc(fl->name, fl->cap * sizeof(*fl->name))) ==
		    NULL)
			goto nomem;
		fl->name = np;
	}
	buf_init(&name, 64 * 1024);
	if (imap_utf7_decode(s, len, &name) == -1 ||
	    buf_putc(&name, '\0') == -1) {
		buf_free(&name);
		client_complain(&fl->r->a->o, "%.*s: a folder name that is "
		    "not modified UTF-7: skipped", (int)len, s);
		return 0;
	}
	fl->name[fl->n++] = buf_release(&name);
	return 0;
nomem:
	yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
	return -1;
}

static int
all_folders(struct run *r, struct flist *fl)
{
	int st;

	fl->r = r;
	st = client_cmdf(&r->c, on_flist, fl, "LIST \"\" \"*\"");
	if (st != IMAP_ST_OK)
		return client_refused(&r->c, st, "LIST");
	return 0;
}

/* One folder.  0 or -1 (c->err). */
static int
do_folder(struct run *r, const char *folder)
{
	struct iclient *c = &r->c;
	struct imap_seqset done = IMAP_SEQSET_INIT, gone = IMAP_SEQSET_INIT;
	struct smodseq *pt;
	char params[96];
	struct buf set;
	struct sent *e;
	uint32_t uv, olduv = 0;
	struct fidx fx = {NULL, NULL, 0};
	size_t i, j, k, matched = 0, cur = 0, old = 0, todo, doing = 0;
	uint64_t bbytes = 0;
	int st, got, inc, rc = -1;

	r->folder = folder;
	r->nm = 0;
	if (r->a->maildir != NULL && target(r, folder) == -1)
		return -1;
	buf_init(&set, 64 * 1024 * 1024);
	r->skipped = 0;
	pt = cst_modseq(r, folder);
	if (pt != NULL && pt->modseq == 0)
		pt = NULL;
	params[0] = '\0';
	if (c->qresync_on && pt != NULL)
		(void)snprintf(params, sizeof(params),
		    " (QRESYNC (%lu %llu))", (unsigned long)pt->uv,
		    (unsigned long long)pt->modseq);
	else if (c->caps & CAP_CONDSTORE)
		(void)util_strlcpy(params, " (CONDSTORE)", sizeof(params));
	c->vanished = &gone;
	st = client_select_p(c, folder, r->a->del || r->a->mark_seen,
	    params[0] ? params : NULL);
	c->vanished = NULL;
	if (st == -1)
		goto out;
	uv = c->uidvalidity;
	for (i = 0; i < r->n; i++) {
		e = &r->e[i];
		if (e->dead || strcmp(e->folder, folder) != 0)
			continue;
		if (e->uv == uv)
			cur++;
		else {
			old++;
			olduv = e->uv;
		}
	}
	/* From the point: only what changed since. */
	inc = pt != NULL && pt->uv == uv && old == 0 &&
	    c->highestmodseq >= pt->modseq && (c->caps & CAP_CONDSTORE);
	if (inc && c->highestmodseq == pt->modseq &&
	    (c->uidnext == 0 || c->uidnext == pt->uidnext)) {
		if (r->a->o.verbose)
			fprintf(stderr, "%s: %s: HIGHESTMODSEQ %llu as before: "
			    "nothing to list\n", PROG, folder,
			    (unsigned long long)pt->modseq);
	} else if (inc && c->exists > 0) {
		st = client_cmdf(c, on_listing, r,
		    "UID FETCH %lu:* (UID RFC822.SIZE "
		    "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
		    (unsigned long)pt->uidnext);
		if (st != IMAP_ST_OK) {
			(void)client_refused(c, st, "UID FETCH");
			goto out;
		}
		/* "n:*" holds the last message even below n. */
		for (i = j = 0; i < r->nm; i++)
			if (r->m[i].uid >= pt->uidnext)
				r->m[j++] = r->m[i];
		r->nm = j;
	} else if (c->exists > 0) {
		st = client_cmdf(c, on_listing, r,
		    "UID FETCH 1:* (UID RFC822.SIZE "
		    "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
		if (st != IMAP_ST_OK) {
			(void)client_refused(c, st, "UID FETCH");
			goto out;
		}
	}
	r->nlisted += (long long)r->nm;
	if (r->a->o.verbose)
		fprintf(stderr, "%s: %s: %zu UIDs listed (%s), "
		    "HIGHESTMODSEQ %llu\n", PROG, folder, r->nm,
		    inc ? (c->qresync_on ? "QRESYNC" : "CONDSTORE") : "all",
		    (unsigned long long)c->highestmodseq);
	if (r->nm > 1)
		qsort(r->m, r->nm, sizeof(*r->m), cmp_msgs);
	if (inc)
		for (i = 0; i < r->n; i++) {
			e = &r->e[i];
			if (e->dead || e->uv != uv ||
			    strcmp(e->folder, folder) != 0)
				continue;
			if (imap_seqset_contains(&gone, e->uid))
				e->dead = 1;
			else
				e->seen = 1;
		}
	if (cst_fidx_build(r, folder, uv, &fx) == -1)
		goto nomem;
	/* UIDVALIDITY changed: match by Message-ID and size. */
	if (old > 0) {
		for (j = 0; j < r->nm; j++) {
			if (r->m[j].msgid[0] == '\0' ||
			    cst_fidx_find(&fx, r->m[j].uid) != (size_t)-1)
				continue;
			for (i = 0; i < r->n; i++) {
				e = &r->e[i];
				if (e->dead || e->uv == uv ||
				    e->size != r->m[j].size ||
				    strcmp(e->folder, folder) != 0 ||
				    strcmp(e->msgid, r->m[j].msgid) != 0)
					continue;
				e->uv = uv;
				e->uid = r->m[j].uid;
				if (cst_journal(r, e, 0) == -1) {
					yerr_set(&c->err, YERR_LOCAL, "%s",
					    r->err);
					goto out;
				}
				matched++;
				break;
			}
		}
		for (i = 0; i < r->n; i++) {
			e = &r->e[i];
			if (!e->dead && e->uv != uv &&
			    strcmp(e->folder, folder) == 0)
				e->dead = 1;
		}
		if (cst_sync(r) == -1)
			goto out;
		client_complain(&r->a->o,
		    "%s: UIDVALIDITY changed from %lu to %lu: %zu of %zu "
		    "messages matched what was fetched before (Message-ID "
		    "and size), the others are fetched",
		    folder, (unsigned long)olduv, (unsigned long)uv, matched,
		    r->nm);
		cst_fidx_free(&fx);
		if (cst_fidx_build(r, folder, uv, &fx) == -1)
			goto nomem;
	}
	(void)cur;
	for (j = todo = 0; j < r->nm; j++)
		if (cst_fidx_find(&fx, r->m[j].uid) == (size_t)-1)
			todo++;
	for (j = 0; j < r->nm; j++) {
		if ((k = cst_fidx_find(&fx, r->m[j].uid)) != (size_t)-1) {
			r->e[k].seen = 1;
			if (imap_seqset_add(&done, r->m[j].uid, r->m[j].uid) ==
			    -1)
				goto nomem;
			continue;
		}
		if (r->a->maildir == NULL) {
			if (r->progress)
				fprintf(stderr, "\r%s: %s: %zu/%zu", PROG,
				    folder, ++doing, todo);
			if ((got = fetch_mda(r, &r->m[j], uv)) == -1)
				goto out;
			if (got == 1 && imap_seqset_add(&done, r->m[j].uid,
					    r->m[j].uid) == -1)
				goto nomem;
			continue;
		}
		r->bw[r->nbw++] = &r->m[j];
		bbytes += r->m[j].size;
		if (r->nbw < CLIENT_FETCH_BATCH &&
		    bbytes < CLIENT_FETCH_BATCH_BYTES && j + 1 < r->nm)
			continue;
		doing += r->nbw;
		bbytes = 0;
		if (fetch_batch(r, uv, &done) == -1)
			goto out;
		if (r->progress)
			fprintf(stderr, "\r%s: %s: %zu/%zu", PROG, folder,
			    doing, todo);
	}
	if (r->nbw > 0) {
		doing += r->nbw;
		if (fetch_batch(r, uv, &done) == -1)
			goto out;
		if (r->progress)
			fprintf(stderr, "\r%s: %s: %zu/%zu", PROG, folder,
			    doing, todo);
	}
	/* Drop what the server no longer has. */
	for (i = 0; i < r->n; i++) {
		e = &r->e[i];
		if (!e->dead && !e->seen && strcmp(e->folder, folder) == 0)
			e->dead = 1;
	}
	if ((r->a->del || r->a->mark_seen) && done.n > 0) {
		if (fdatasync(r->fd) == -1) {
			yerr_set(&c->err, YERR_LOCAL, "%s: %s", r->path,
			    strerror(errno));
			goto out;
		}
		if (imap_seqset_format(&done, &set) == -1 ||
		    buf_putc(&set, '\0') == -1)
			goto nomem;
		st = client_cmdf(c, NULL, NULL,
		    "UID STORE %s +FLAGS.SILENT (%s)", set.data,
		    r->a->del ? "\\Deleted" : "\\Seen");
		if (st != IMAP_ST_OK) {
			(void)client_refused(c, st, "UID STORE");
			goto out;
		}
		if (r->a->del) {
			if (c->caps & CAP_UIDPLUS)
				st = client_cmdf(c, NULL, NULL,
				    "UID EXPUNGE %s", set.data);
			else
				st = client_cmdf(c, NULL, NULL, "EXPUNGE");
			if (st != IMAP_ST_OK) {
				(void)client_refused(c, st, "EXPUNGE");
				goto out;
			}
			r->ndeleted += (long long)imap_seqset_count(&done);
			for (i = 0; i < r->n; i++) {
				e = &r->e[i];
				if (!e->dead && e->uv == uv &&
				    strcmp(e->folder, folder) == 0 &&
				    imap_seqset_contains(&done, e->uid))
					e->dead = 1;
			}
		}
	}
	/* The point, once every message up to it is in. */
	if (c->highestmodseq != 0 && c->uidnext != 0 && !r->skipped &&
	    cst_modseq_set(r, folder, uv, c->highestmodseq, c->uidnext) ==
		-1) {
		yerr_set(&c->err, YERR_LOCAL, "%s", r->err);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
out:
	if (doing > 0)
		fputc('\n', stderr);
	cst_fidx_free(&fx);
	imap_seqset_free(&done);
	imap_seqset_free(&gone);
	buf_free(&set);
	return rc;
}

static int
on_enabled(struct iclient *c, void *arg)
{
	struct imap_value *v;

	(void)arg;
	if (c->p.resp.name == NULL || c->p.resp.namelen != 7 ||
	    util_casecmp_n(c->p.resp.name, "ENABLED", 7) != 0)
		return 0;
	for (v = c->p.args; v != NULL; v = v->next)
		if (client_word(v, "QRESYNC"))
			c->qresync_on = 1;
	return 0;
}

/* Capabilities as they are after login; ENABLE QRESYNC when offered.
   0 or -1 (c->err). */
static int
after_login(struct iclient *c)
{
	int st;

	if (!(c->caps & CAP_CONDSTORE)) {
		st = client_cmdf(c, NULL, NULL, "CAPABILITY");
		if (st != IMAP_ST_OK)
			return client_refused(c, st, "CAPABILITY");
	}
	if (c->caps & CAP_QRESYNC) {
		st = client_cmdf(c, on_enabled, NULL, "ENABLE QRESYNC");
		if (st == -1)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- --idle */

/*
 * `mimap fetch --idle': after a pass over the folders, stay connected
 * and wait for a change, then pass again.  One connection: IDLE (RFC
 * 2177) on the first folder (INBOX by default) and, when more folders
 * are watched, a STATUS (UIDNEXT) of each other one every
 * --poll seconds (default 30); NOOP polling where IDLE is not offered.
 * A folder whose UIDNEXT moved since the pass's SELECT of it is news at
 * once (mail that came while the pass went on).
 * One connection rather than one per folder: a server limits them per
 * user (Dovecot: 10 per IP), and most new mail lands in INBOX.  When
 * the server offers NOTIFY (RFC 5465) and takes NOTIFY SET for the
 * folders, an untagged STATUS during the IDLE is news at once (NOTIFY
 * NONE after each wait); the STATUS poll stays as a net, since a server
 * may take NOTIFY SET and say nothing of other folders (Dovecot without
 * mailbox_list_index).  A failure
 * that may pass (the connection) means a new connection after 1 s,
 * doubling up to 60 s, each plus up to half again at random; any other
 * ends the run.  SIGTERM, SIGINT or SIGHUP end it cleanly: at once while
 * waiting, else once the message at hand is delivered.
 */
#define IDLE_BACKOFF_MS 1000
#define IDLE_BACKOFF_CAP_MS 60000
#define IDLE_POLL_S 30
#define IDLE_ROUND_MAX_MS (25 * 60 * 1000)
#define IDLE_NOOP_MS 5000

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int
term_stop(void)
{
	return got_term != 0;
}

struct iwatch {
	uint32_t base; /* EXISTS */
	int got;
	/* STATUS of the other folders */
	uint32_t val;
	int have;
	int notify; /* NOTIFY is set: a STATUS is news */
};

static int
on_iwait(struct iclient *c, void *arg)
{
	struct iwatch *w = arg;
	struct imap_resp *r = &c->p.resp;

	if (r->has_number && r->namelen == 6 &&
	    util_casecmp_n(r->name, "EXISTS", 6) == 0) {
		if (r->number > w->base)
			w->got = 1;
		w->base = r->number;
	} else if (r->has_number && r->namelen == 7 &&
	    util_casecmp_n(r->name, "EXPUNGE", 7) == 0 && w->base > 0)
		w->base--;
	else if (w->notify && !r->has_number && r->name != NULL &&
	    r->namelen == 6 && util_casecmp_n(r->name, "STATUS", 6) == 0)
		w->got = 1; /* NOTIFY: another folder changed */
	return 0;
}

/* NOTIFY SET (RFC 5465): new mail in the selected folder (EXISTS) and
   in the other watched ones (STATUS).  1 set, 0 refused, -1 (c->err). */
static int
notify_set(struct iclient *c, struct iwatch *w, const char *const *f,
    size_t n)
{
	struct buf cmd;
	size_t i;
	int st;

	buf_init(&cmd, 1024 * 1024);
	if (buf_puts(&cmd, "NOTIFY SET (selected (MessageNew "
			   "MessageExpunge))") == -1)
		goto nomem;
	if (n > 1) {
		if (buf_puts(&cmd, " (mailboxes (") == -1)
			goto nomem;
		for (i = 1; i < n; i++)
			if ((i > 1 && buf_putc(&cmd, ' ') == -1) ||
			    imap_put_mailbox(&cmd, f[i], strlen(f[i]),
				c->caps & CAP_LITERALPLUS ? IMAP_ENC_LITPLUS :
							    0) == -1)
				goto nomem;
		if (buf_puts(&cmd, ") (MessageNew MessageExpunge))") == -1)
			goto nomem;
	}
	st = client_cmd(c, on_iwait, w, cmd.data, cmd.len);
	buf_free(&cmd);
	if (st == -1)
		return -1;
	if (c->o->verbose)
		fprintf(stderr, "%s: NOTIFY %s: %s\n", PROG,
		    st == IMAP_ST_OK ? "on" : "refused", c->last);
	return st == IMAP_ST_OK;
nomem:
	buf_free(&cmd);
	yerr_set(&c->err, YERR_LOCAL, "NOTIFY: %s", strerror(ENOMEM));
	return -1;
}

/* "* STATUS name (UIDNEXT n)": w->val = n. */
static int
on_istatus(struct iclient *c, void *arg)
{
	struct iwatch *w = arg;
	struct imap_value *v;
	uint32_t n, un = 0;

	if (c->p.resp.name == NULL || c->p.resp.namelen != 6 ||
	    util_casecmp_n(c->p.resp.name, "STATUS", 6) != 0 ||
	    c->p.args == NULL || c->p.args->next == NULL ||
	    c->p.args->next->type != IMAP_LIST)
		return 0;
	for (v = c->p.args->next->child; v != NULL && v->next != NULL;
	     v = v->next->next) {
		if (imap_number(v->next, &n) == -1)
			continue;
		if (client_word(v, "UIDNEXT"))
			un = n;
	}
	w->val = un;
	w->have = 1;
	return 0;
}

/* The folders watched. */
static const char *const *
watched(struct run *r, struct flist *fl, size_t *n)
{
	static const char *const inbox[] = {"INBOX"};

	if (r->a->all_folders) {
		*n = fl->n;
		return (const char *const *)fl->name;
	}
	if (r->a->nfolders == 0) {
		*n = 1;
		return inbox;
	}
	*n = r->a->nfolders;
	return r->a->folders;
}

/* STATUS of folders 1..n-1 into vals.  0 or -1 (c->err). */
static int
status_all(struct iclient *c, const char *const *f, size_t n, uint32_t *vals)
{
	struct iwatch w;
	struct buf cmd;
	size_t i;
	int st;

	buf_init(&cmd, 64 * 1024);
	for (i = 1; i < n; i++) {
		memset(&w, 0, sizeof(w));
		buf_reset(&cmd);
		if (buf_puts(&cmd, "STATUS ") == -1 ||
		    imap_put_mailbox(&cmd, f[i], strlen(f[i]),
			c->caps & CAP_LITERALPLUS ? IMAP_ENC_LITPLUS : 0) ==
			-1 ||
		    buf_puts(&cmd, " (UIDNEXT)") == -1) {
			yerr_set(&c->err, YERR_LOCAL, "%s: STATUS", f[i]);
			buf_free(&cmd);
			return -1;
		}
		st = client_cmd(c, on_istatus, &w, cmd.data, cmd.len);
		if (st != IMAP_ST_OK) {
			buf_free(&cmd);
			return client_refused(c, st, "STATUS");
		}
		vals[i] = w.val;
	}
	buf_free(&cmd);
	return 0;
}

/* A signal ends the wait of a read (plain or TLS) when stop says so. */
static void
stop_on(struct iclient *c, int (*stop)(void))
{
	c->io.stop = stop;
	if (c->io.tls != NULL)
		tls_set_stop(c->io.tls, stop);
}

/* One IDLE of at most ms on the selected folder.  0 or -1 (c->err; a
   signal: got_term). */
static int
idle_round(struct iclient *c, struct iwatch *w, int64_t ms)
{
	int st;

	if (!(c->caps & CAP_IDLE)) {
		if (ms > IDLE_NOOP_MS)
			ms = IDLE_NOOP_MS;
		if (util_sleep_ms((int)ms, term_stop) == -1 || got_term)
			return 0;
		st = client_cmdf(c, on_iwait, w, "NOOP");
		return st == IMAP_ST_OK ? 0 : client_refused(c, st, "NOOP");
	}
	(void)snprintf(c->tag, sizeof(c->tag), "Y%u", ++c->tagn);
	if (c->o->verbose)
		fprintf(stderr, "%s: > %s IDLE\n", PROG, c->tag);
	if (io_line(&c->io, "%s IDLE", c->tag) == -1 ||
	    io_flush(&c->io) == -1) {
		yerr_set(&c->err, YERR_TEMP, "write: %s", c->io.err);
		return -1;
	}
	for (;;) {
		if (client_read(c) == -1)
			return -1;
		if (c->p.resp.kind == IMAP_RESP_CONT)
			break;
		if (c->p.resp.kind == IMAP_RESP_TAGGED) {
			yerr_set(&c->err, YERR_PROTO, "IDLE refused");
			return -1;
		}
		(void)on_iwait(c, w);
	}
	stop_on(c, term_stop);
	c->io.deadline = util_now_ms() + ms;
	c->io.timeout_ms = (int)ms + 1000;
	while (!w->got) {
		if (client_read(c) == -1) {
			if (got_term ||
			    (util_now_ms() >= c->io.deadline && !c->bye))
				break;
			stop_on(c, NULL);
			return -1;
		}
		if (c->p.resp.kind != IMAP_RESP_UNTAGGED) {
			stop_on(c, NULL);
			yerr_set(&c->err, YERR_PROTO,
			    "IDLE ended by the server");
			return -1;
		}
		(void)on_iwait(c, w);
	}
	stop_on(c, NULL);
	c->io.deadline = 0;
	c->io.timeout_ms = (int)c->o->timeout * 1000;
	yerr_clear(&c->err);
	if (io_line(&c->io, "DONE") == -1 || io_flush(&c->io) == -1) {
		yerr_set(&c->err, YERR_TEMP, "write: %s", c->io.err);
		return -1;
	}
	for (;;) {
		if (client_read(c) == -1)
			return -1;
		if (c->p.resp.kind == IMAP_RESP_TAGGED)
			break;
		(void)on_iwait(c, w);
	}
	return 0;
}

/* Wait for new mail in a watched folder.  1 (there is), 0 (a signal),
   -1 (c->err). */
static int
wait_change(struct run *r, struct flist *fl)
{
	struct iclient *c = &r->c;
	const char *const *f;
	struct iwatch w;
	uint32_t *before, *after;
	size_t n, i;
	int64_t round;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	f = watched(r, fl, &n);
	if (n == 0) {
		yerr_set(&c->err, YERR_CONFIG, "no folder to watch");
		return -1;
	}
	before = calloc(n, sizeof(*before));
	after = calloc(n, sizeof(*after));
	if (before == NULL || after == NULL) {
		yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
		goto out;
	}
	if (client_select(c, f[0], 0) == -1)
		goto out;
	w.base = c->exists;
	/* What came after the pass's SELECTs is news already. */
	if (r->npassnext == n && c->uidnext != 0 &&
	    r->passnext[0] != 0 && c->uidnext != r->passnext[0]) {
		rc = 1;
		goto out;
	}
	if (status_all(c, f, n, before) == -1)
		goto out;
	for (i = 1; r->npassnext == n && i < n; i++)
		if (r->passnext[i] != 0 && before[i] != r->passnext[i]) {
			rc = 1;
			goto out;
		}
	round = n > 1 ? (int64_t)(r->a->poll ? r->a->poll : IDLE_POLL_S) * 1000
		      : IDLE_ROUND_MAX_MS;
	if ((c->caps & CAP_NOTIFY) && (c->caps & CAP_IDLE)) {
		if ((w.notify = notify_set(c, &w, f, n)) == -1)
			goto out;
	}
	for (;;) {
		if (got_term) {
			rc = 0;
			break;
		}
		if (idle_round(c, &w, round) == -1)
			goto out;
		if (w.got) {
			rc = 1;
			break;
		}
		if (got_term) {
			rc = 0;
			break;
		}
		if (status_all(c, f, n, after) == -1)
			goto out;
		for (i = 1; i < n; i++)
			if (after[i] != before[i])
				break;
		if (i < n) {
			rc = 1;
			break;
		}
	}
out:
	/* The passes and the next wait's STATUS take no notifications. */
	if (w.notify && rc != -1 &&
	    client_cmdf(c, NULL, NULL, "NOTIFY NONE") == -1)
		rc = -1;
	free(before);
	free(after);
	return rc;
}

/* Every folder once on r->c.  0 or -1 (c->err). */
static int
pass(struct run *r, struct flist *fl)
{
	const char *const *f;
	size_t i, n;

	for (i = 0; i < r->n; i++)
		r->e[i].seen = 0;
	if (r->a->all_folders)
		f = (const char *const *)fl->name, n = fl->n;
	else
		f = r->a->folders, n = r->a->nfolders;
	if (r->a->idle && r->npassnext != n) {
		free(r->passnext);
		r->npassnext = 0;
		if ((r->passnext = calloc(n ? n : 1, sizeof(uint32_t))) ==
		    NULL) {
			yerr_set(&r->c.err, YERR_LOCAL, "%s", strerror(ENOMEM));
			return -1;
		}
		r->npassnext = n;
	}
	for (i = 0; i < n; i++) {
		if (do_folder(r, f[i]) == -1)
			return -1;
		if (r->a->idle)
			r->passnext[i] = r->c.uidnext;
	}
	return 0;
}

static void
flist_free(struct flist *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		free(fl->name[i]);
	free(fl->name);
	fl->name = NULL;
	fl->n = fl->cap = 0;
}

/* Connect, log in and pass over the folders.  0 or -1 (r->c.err). */
static int
connect_pass(struct run *r, struct flist *fl, const char *user, char *secret)
{
	char copy[SECRET_MAX + 1];
	int rc;

	/* client_open may wipe what it is given. */
	(void)util_strlcpy(copy, secret, sizeof(copy));
	rc = client_open(&r->c, &r->a->o, user, copy);
	util_wipe(copy, sizeof(copy));
	if (rc == 0)
		rc = after_login(&r->c);
	if (rc == 0 && r->a->all_folders) {
		flist_free(fl);
		rc = all_folders(r, fl);
	}
	if (rc == 0)
		rc = pass(r, fl);
	return rc;
}

/* --idle: SIGTERM, SIGINT, SIGHUP set got_term (no SA_RESTART). */
static void
idle_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

/* The --idle loop after the first pass (rc its result).  0 or -1
   (r->c.err: a failure that does not pass). */
static int
idle_loop(struct run *r, struct flist *fl, const char *user, char *secret,
    int rc)
{
	unsigned seed;
	int64_t backoff = IDLE_BACKOFF_MS, ms;
	int w;

	seed = (unsigned)util_now_ms() ^ (unsigned)getpid();
	for (;;) {
		if (rc == -1) {
			if (got_term)
				return 0;
			if (r->c.err.cls != YERR_TEMP &&
			    r->c.err.cls != YERR_PROTO)
				return -1;
			client_complain(&r->a->o, "%s; again in %lld ms",
			    r->c.err.msg, (long long)backoff);
			client_close(&r->c);
			ms = backoff + (int64_t)(rand_r(&seed) %
			    (int)(backoff / 2 + 1));
			if (util_sleep_ms((int)ms, term_stop) == -1 || got_term)
				return 0;
			backoff = backoff * 2 > IDLE_BACKOFF_CAP_MS ?
			    IDLE_BACKOFF_CAP_MS : backoff * 2;
			yerr_clear(&r->c.err);
			if ((rc = connect_pass(r, fl, user, secret)) == -1)
				continue;
			backoff = IDLE_BACKOFF_MS;
		}
		if (got_term)
			return 0;
		if (r->fd != -1 && fdatasync(r->fd) == -1) {
			yerr_set(&r->c.err, YERR_LOCAL, "%s: %s", r->path,
			    strerror(errno));
			return -1;
		}
		if ((w = wait_change(r, fl)) == 0)
			return 0;
		if (w == 1)
			rc = pass(r, fl);
		else
			rc = -1;
	}
}

int
client_fetch(struct cargs *a)
{
	static struct run r;
	struct flist fl = {NULL, NULL, 0, 0};
	char secret[SECRET_MAX + 1];
	const char *user;
	size_t i;
	int rc;

	r.a = a;
	r.fd = r.lockfd = r.spool = -1;
	r.progress = !a->o.quiet && isatty(2);
	maildir_namer_init(&r.nm_, NULL);
	if (a->maildir != NULL) {
		if (maildir_create(a->maildir, r.err, sizeof(r.err)) == -1) {
			fprintf(stderr, "%s: %s\n", PROG, r.err);
			return EX_CANTCREAT;
		}
		if ((r.bf = calloc(CLIENT_FETCH_BATCH, sizeof(*r.bf))) ==
		    NULL) {
			fprintf(stderr, "%s: %s\n", PROG, strerror(ENOMEM));
			return EX_OSERR;
		}
	} else if ((r.spool = util_spool_open("mimap", r.err,
			sizeof(r.err))) == -1) {
		fprintf(stderr, "%s: %s\n", PROG, r.err);
		return EX_CANTCREAT;
	}
	if ((rc = client_login_info(&a->o, &user, secret, sizeof(secret))) !=
	    0)
		return rc;
	if (a->state != NULL) {
		if (util_strlcpy(r.path, a->state, sizeof(r.path)) >=
		    sizeof(r.path)) {
			fprintf(stderr, "%s: --state: too long\n", PROG);
			return EX_USAGE;
		}
	} else if ((rc = cst_default(&r, user)) != 0)
		return rc;
	if ((rc = cst_load(&r)) != 0) {
		util_wipe(secret, sizeof(secret));
		client_complain(&a->o, "%s", r.err);
		return rc;
	}
	if (a->idle)
		idle_signals();
	rc = connect_pass(&r, &fl, user, secret);
	if (a->idle)
		rc = idle_loop(&r, &fl, user, secret, rc);
	util_wipe(secret, sizeof(secret));
	if (rc == -1) {
		rc = yerr_exit(r.c.err.cls);
		client_complain(&a->o, "%s", r.c.err.msg);
	} else
		rc = r.fail_rc;
	client_close(&r.c);
	/* Only folders fully listed may be pruned; on failure keep all. */
	if (rc == 0 && cst_rewrite(&r) == -1) {
		client_complain(&a->o, "%s", r.err);
		rc = EX_IOERR;
	} else if (rc != 0 && fdatasync(r.fd) == -1)
		rc = yerr_exit_worst(rc, EX_IOERR);
	if (!a->o.quiet && (rc == 0 || r.nfetched > 0))
		printf("%s: %lld message%s fetched (%lld bytes), %lld "
		       "deleted\n",
		    a->o.label, r.nfetched, r.nfetched == 1 ? "" : "s",
		    r.bytes, r.ndeleted);
	for (i = 0; i < r.nms; i++)
		free(r.ms[i].folder);
	free(r.ms);
	for (i = 0; i < r.n; i++) {
		free(r.e[i].folder);
		free(r.e[i].msgid);
		free(r.e[i].uniq);
	}
	free(r.e);
	free(r.m);
	free(r.bf);
	flist_free(&fl);
	free(r.passnext);
	if (r.fd != -1)
		(void)close(r.fd);
	if (r.lockfd != -1)
		(void)close(r.lockfd);
	if (r.spool != -1)
		(void)close(r.spool);
	return rc;
}
