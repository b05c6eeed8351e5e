/*
 * imapd_notify.c: NOTIFY (RFC 5465), after Dovecot's imap-notify and
 * mox: a client names folders (SELECTED, SELECTED-DELAYED, INBOXES,
 * PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES) and the events it wants of
 * them; changes to folders other than the selected one come as
 * untagged STATUS (MESSAGES UIDNEXT UIDVALIDITY, UNSEEN with
 * FlagChange), folder creation and removal as LIST (MailboxName),
 * subscription changes as LIST (SubscriptionChange).  The selected
 * folder keeps its EXISTS/EXPUNGE/FETCH through imapd_sync.
 *
 * Changes are found cheaply: each watched folder keeps a signature
 * (mtime, size and inode of new/, cur/ and the UID list) and its last
 * STATUS; only a folder whose signature moved is opened (as STATUS
 * does, read-only) and compared.  The folder list is re-read when the
 * root's signature moves, the subscriptions when their file's does.
 * inotify(7) on the root and on new/ and cur/ of up to
 * IMAPD_NOTIFY_WATCH_MAX / 2 folders wakes an IDLE at once; the rest is
 * polled (imapd_idle), and everything with --idle-poll (NFS).  The same
 * goes while the session waits for a command (imapd_wait_command, the
 * session loop's wait hook).  At
 * command boundaries (imapd_notify_check from the session loop) the
 * folders are looked at when inotify said something, when some folder
 * has no watch, or every NOTIFY_SAFETY_MS.
 *
 * A rename is told from a delete and a create by the folder's
 * directory inode: a name gone and a name come with the same inode is
 * LIST with OLDNAME (RFC 5465 §5.4); the others are LIST (\NonExistent)
 * and LIST ().
 * MessageNew's fetch-att list (SELECTED) is kept as text and answered
 * as an untagged FETCH with UID for each message past the highest UID
 * reported so far (imapd_fetch_notify), after imapd_sync's EXISTS.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "folders.h"
#include "imapd.h"
#include "util.h"

/* With every folder watched, a check that inotify has nothing for is
   skipped, but not for longer than this (a Maildir on NFS: another
   host's changes raise no event). */
#define NOTIFY_SAFETY_MS 30000

#define EV_NEW 0x01
#define EV_EXPUNGE 0x02
#define EV_FLAG 0x04
#define EV_NAME 0x08
#define EV_SUBS 0x10

#define SUPPORTED "(MessageNew MessageExpunge FlagChange MailboxName " \
		  "SubscriptionChange)"

/* From the widest to the narrowest: a folder named by several filters
   takes the narrowest one's events, so (MAILBOXES Spam NONE) keeps
   Spam out of (PERSONAL (MessageNew MessageExpunge)). */
enum kind {
	K_PERSONAL,
	K_SUBSCRIBED,
	K_INBOXES,
	K_SUBTREE,
	K_MAILBOXES
};

struct filter {
	enum kind kind;
	unsigned ev;
	char **names; /* SUBTREE, MAILBOXES */
	size_t nnames;
};

struct watched {
	char name[FOLDER_NAME_MAX + 1];
	char dir[PATH_MAX];
	unsigned ev;
	uint64_t sig;
	int known; /* the counts below are set */
	size_t messages, unseen;
	uint64_t highestmodseq; /* for STATUS with CONDSTORE on */
	uint32_t uidnext, uidvalidity;
	int wd[2]; /* new/ and cur/, or -1 */
	int fresh; /* new to the set: watch and count it */
};

struct imapd_notify {
	unsigned sel_ev; /* SELECTED's events */
	char *fetch; /* MessageNew's "(fetch-att...)", or NULL */
	char sel_dir[PATH_MAX]; /* the folder sel_uid is of */
	uint32_t sel_validity, sel_uid; /* highest UID reported */
	struct filter *f;
	size_t nf;
	struct watched *w;
	size_t nw;
	struct folder_list names; /* as last seen, for MailboxName */
	ino_t *ino; /* of each names.v[i]'s directory, 0: unknown */
	struct folder_list subs; /* for SubscriptionChange */
	uint64_t root_sig, subs_sig;
	int ifd; /* inotify, or -1 */
	int root_wd; /* its watch on the root, or -1 */
	int nwatch;
	int polled; /* some folder has no watch */
	int woken; /* the watch said something since the last check */
	int64_t last_ms; /* the last full check */
};

/* ---------------------------------------------------------------- state */

static void
filters_free(struct filter *f, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < f[i].nnames; j++)
			free(f[i].names[j]);
		free(f[i].names);
	}
	free(f);
}

static void
notify_free(struct imapd_notify *nt)
{
	if (nt == NULL)
		return;
	filters_free(nt->f, nt->nf);
	free(nt->fetch);
	free(nt->ino);
	free(nt->w);
	folders_free(&nt->names);
	folders_free(&nt->subs);
	if (nt->ifd != -1)
		(void)close(nt->ifd);
	free(nt);
}

void
imapd_notify_end(struct imapd *s)
{
	notify_free(s->notify);
	s->notify = NULL;
}

int
imapd_notify_fd(const struct imapd *s)
{
	return s->notify != NULL ? s->notify->ifd : -1;
}

int
imapd_notify_selected(const struct imapd *s)
{
	return s->notify != NULL && (s->notify->sel_ev & EV_NEW);
}

int
imapd_notify_polled(const struct imapd *s)
{
	return s->notify != NULL &&
	    (s->notify->polled || s->notify->root_wd == -1);
}

/* A cheap fingerprint of a path's stat (0 when it is not there). */
static uint64_t
stat_sig(const char *dir, const char *sub)
{
	char p[PATH_MAX];
	struct stat st;
	int n;

	n = snprintf(p, sizeof(p), "%s%s", dir, sub);
	if (n < 0 || (size_t)n >= sizeof(p) || stat(p, &st) == -1)
		return 0;
	return (uint64_t)st.st_mtim.tv_sec * 1000000007u ^
	    (uint64_t)st.st_mtim.tv_nsec * 31u ^ (uint64_t)st.st_size << 20 ^
	    (uint64_t)st.st_ino << 40 ^ (uint64_t)st.st_ino;
}

static uint64_t
folder_sig(const char *dir)
{
	uint64_t a = stat_sig(dir, "/new"), b = stat_sig(dir, "/cur"),
		 c = stat_sig(dir, "/" MAILBOX_UIDLIST);

	return a ^ (b * 0x9e3779b97f4a7c15ull) ^ (c * 0xc2b2ae3d27d4eb4full);
}

/* Does a filter name this folder? */
static int
filter_has(const struct imapd_notify *nt, const struct filter *f,
    const char *name)
{
	size_t i, len;

	switch (f->kind) {
	case K_INBOXES:
		return strcmp(name, "INBOX") == 0;
	case K_PERSONAL:
		return 1;
	case K_SUBSCRIBED:
		for (i = 0; i < nt->subs.n; i++)
			if (strcmp(nt->subs.v[i].name, name) == 0)
				return 1;
		return 0;
	case K_SUBTREE:
		for (i = 0; i < f->nnames; i++) {
			len = strlen(f->names[i]);
			if (strncmp(name, f->names[i], len) == 0 &&
			    (name[len] == '\0' || name[len] == '/'))
				return 1;
		}
		return 0;
	case K_MAILBOXES:
		for (i = 0; i < f->nnames; i++)
			if (strcmp(name, f->names[i]) == 0)
				return 1;
		return 0;
	}
	return 0;
}

/* The events asked for a folder: the narrowest filter naming it wins
   (of two as narrow, the first). */
static unsigned
events_of(const struct imapd_notify *nt, const char *name)
{
	const struct filter *best = NULL;
	size_t i;

	for (i = 0; i < nt->nf; i++)
		if ((best == NULL || nt->f[i].kind > best->kind) &&
		    filter_has(nt, &nt->f[i], name))
			best = &nt->f[i];
	return best != NULL ? best->ev : 0;
}

/* Count a folder (read-only, as STATUS).  0 or -1. */
static int
count(struct imapd *s, struct watched *w)
{
	struct mailbox mb;
	char err[ERR_MAX];
	size_t i;

	memset(&mb, 0, sizeof(mb));
	mb.lockfd = -1;
	if (mailbox_open(&mb, w->dir, 0, err, sizeof(err)) == -1) {
		if (errno != ENOENT)
			log_warn(s->c->log, "%s: %s", s->user, err);
		return -1;
	}
	w->messages = mb.n;
	w->uidnext = mb.uidnext;
	w->uidvalidity = mb.uidvalidity;
	w->highestmodseq = mb.highestmodseq;
	for (i = w->unseen = 0; i < mb.n; i++)
		w->unseen += !(mb.msgs[i].flags & MAILBOX_FLAG('S'));
	mailbox_close(&mb);
	w->known = 1;
	return 0;
}

static void
send_status(struct imapd *s, const struct watched *w)
{
	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* STATUS ");
	(void)imap_put_mailbox(&s->out, w->name, strlen(w->name),
	    s->utf8 ? IMAP_ENC_UTF8 : 0);
	(void)buf_printf(&s->out, " (MESSAGES %zu UIDNEXT %u UIDVALIDITY %u",
	    w->messages, w->uidnext, w->uidvalidity);
	if (w->ev & EV_FLAG)
		(void)buf_printf(&s->out, " UNSEEN %zu", w->unseen);
	/* RFC 5465 §5.3: a flag change shows in STATUS as the
	   HIGHESTMODSEQ of CONDSTORE (RFC 7162), which we always keep. */
	if (w->ev & EV_FLAG)
		(void)buf_printf(&s->out, " HIGHESTMODSEQ %llu",
		    (unsigned long long)w->highestmodseq);
	(void)buf_puts(&s->out, ")\r\n");
	imapd_send_out(s);
}

static void
send_list(struct imapd *s, const char *attrs, const char *name)
{
	buf_reset(&s->out);
	(void)buf_printf(&s->out, "* LIST (%s) \"/\" ", attrs);
	(void)imap_put_mailbox(
	    &s->out, name, strlen(name), s->utf8 ? IMAP_ENC_UTF8 : 0);
	(void)buf_puts(&s->out, "\r\n");
	imapd_send_out(s);
}

static int
is_selected(const struct imapd *s, const char *name)
{
	return s->mb_open && strcmp(s->folder, name) == 0;
}

/* Watch new/ and cur/ of w while there is room. */
static void
watch_add(struct imapd_notify *nt, struct watched *w)
{
#ifdef __linux__
	static const char *const sub[] = {"/new", "/cur"};
	char p[PATH_MAX];
	size_t k;
	int n;

	for (k = 0; k < 2; k++) {
		w->wd[k] = -1;
		if (nt->ifd == -1 || nt->nwatch >= IMAPD_NOTIFY_WATCH_MAX)
			continue;
		n = snprintf(p, sizeof(p), "%s%s", w->dir, sub[k]);
		if (n < 0 || (size_t)n >= sizeof(p))
			continue;
		if ((w->wd[k] = inotify_add_watch(nt->ifd, p,
			 IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
			     IN_ATTRIB | IN_ONLYDIR)) != -1)
			nt->nwatch++;
	}
	if (w->wd[0] == -1 || w->wd[1] == -1)
		nt->polled = 1;
#else
	w->wd[0] = w->wd[1] = -1;
	nt->polled = 1;
#endif
}

static void
watch_remove(struct imapd_notify *nt, struct watched *w)
{
	size_t k;

	for (k = 0; k < 2; k++)
		if (w->wd[k] != -1) {
#ifdef __linux__
			(void)inotify_rm_watch(nt->ifd, w->wd[k]);
#endif
			nt->nwatch--;
			w->wd[k] = -1;
		}
}

/*
 * Rebuild the watched set from nt->names, keeping what is known of the
 * folders that stay.  A folder new to the set is counted silently
 * (report: send its STATUS, for NOTIFY SET STATUS).
 */
static int
rebuild(struct imapd *s, int report)
{
	struct imapd_notify *nt = s->notify;
	struct watched *w, *old = nt->w;
	size_t i, j, n = 0, nold = nt->nw;
	char err[ERR_MAX];
	unsigned ev;

	if ((w = calloc(nt->names.n + 1, sizeof(*w))) == NULL)
		return -1;
	nt->polled = 0;
	for (i = 0; i < nt->names.n; i++) {
		if (nt->names.v[i].attrs &
		    (FOLDER_NOSELECT | FOLDER_NONEXISTENT))
			continue;
		ev = events_of(nt, nt->names.v[i].name) &
		    (EV_NEW | EV_EXPUNGE | EV_FLAG);
		if (ev == 0)
			continue;
		for (j = 0; j < nold; j++)
			if (strcmp(old[j].name, nt->names.v[i].name) == 0)
				break;
		if (j < nold) {
			w[n] = old[j];
			old[j].wd[0] = old[j].wd[1] = -1;
			w[n].ev = ev;
			if (w[n].wd[0] == -1 || w[n].wd[1] == -1)
				nt->polled = 1;
			n++;
			continue;
		}
		util_strlcpy(w[n].name, nt->names.v[i].name, sizeof(w[n].name));
		if (folder_path(s->root, w[n].name, w[n].dir, sizeof(w[n].dir),
			err, sizeof(err)) == -1)
			continue;
		w[n].ev = ev;
		w[n].fresh = 1;
		n++;
	}
	/* The old watches go first: a renamed folder's directory is the
	   same inode, and inotify gives its new name the same watch. */
	for (j = 0; j < nold; j++)
		watch_remove(nt, &old[j]);
	free(old);
	for (i = 0; i < n; i++) {
		if (!w[i].fresh)
			continue;
		w[i].fresh = 0;
		w[i].sig = folder_sig(w[i].dir);
		watch_add(nt, &w[i]);
		if (count(s, &w[i]) == 0 && report &&
		    !is_selected(s, w[i].name))
			send_status(s, &w[i]);
	}
	nt->w = w;
	nt->nw = n;
	return 0;
}

/* The directory inodes of fl's folders (0 where unknown), or NULL. */
static ino_t *
inodes(const struct imapd *s, const struct folder_list *fl)
{
	char dir[PATH_MAX], err[ERR_MAX];
	struct stat st;
	ino_t *ino;
	size_t i;

	if ((ino = calloc(fl->n + 1, sizeof(*ino))) == NULL)
		return NULL;
	for (i = 0; i < fl->n; i++)
		if (strcmp(fl->v[i].name, "INBOX") != 0 &&
		    folder_path(s->root, fl->v[i].name, dir, sizeof(dir), err,
			sizeof(err)) == 0 &&
		    stat(dir, &st) == 0)
			ino[i] = st.st_ino;
	return ino;
}

/* The order of folders_list and folders_subscriptions: INBOX first,
   then bytes. */
static int
name_cmp(const char *a, const char *b)
{
	int ia = strcmp(a, "INBOX") == 0, ib = strcmp(b, "INBOX") == 0;

	if (ia != ib)
		return ia ? -1 : 1;
	return strcmp(a, b);
}

/* "* LIST () "/" to ("OLDNAME" ("from"))" (RFC 5465 §5.4). */
static void
send_rename(struct imapd *s, const char *from, const char *to)
{
	unsigned enc = s->utf8 ? IMAP_ENC_UTF8 : 0;

	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* LIST () \"/\" ");
	(void)imap_put_mailbox(&s->out, to, strlen(to), enc);
	(void)buf_puts(&s->out, " (\"OLDNAME\" (");
	(void)imap_put_mailbox(&s->out, from, strlen(from), enc);
	(void)buf_puts(&s->out, "))\r\n");
	imapd_send_out(s);
}

/* Report folders renamed, gone and come (MailboxName); both lists are
   sorted.  wino, nino: their inodes (NULL: unknown). */
static void
names_diff(struct imapd *s, const struct folder_list *was,
    const ino_t *wino, const struct folder_list *now, const ino_t *nino)
{
	struct imapd_notify *nt = s->notify;
	unsigned char *gone, *come;
	size_t i = 0, j = 0;
	int c;

	gone = calloc(was->n + 1, 1);
	come = calloc(now->n + 1, 1);
	if (gone == NULL || come == NULL) {
		free(gone);
		free(come);
		return;
	}
	while (i < was->n || j < now->n) {
		if (i == was->n)
			c = 1;
		else if (j == now->n)
			c = -1;
		else
			c = name_cmp(was->v[i].name, now->v[j].name);
		if (c < 0)
			gone[i++] = 1;
		else if (c > 0)
			come[j++] = 1;
		else {
			i++;
			j++;
		}
	}
	/* A directory that changed its name was renamed. */
	for (i = 0; i < was->n; i++) {
		if (!gone[i] || wino == NULL || nino == NULL || wino[i] == 0)
			continue;
		for (j = 0; j < now->n; j++)
			if (come[j] && nino[j] == wino[i])
				break;
		if (j == now->n)
			continue;
		gone[i] = come[j] = 0;
		if ((events_of(nt, was->v[i].name) |
			events_of(nt, now->v[j].name)) &
		    EV_NAME)
			send_rename(s, was->v[i].name, now->v[j].name);
	}
	for (i = 0; i < was->n; i++)
		if (gone[i] && (events_of(nt, was->v[i].name) & EV_NAME))
			send_list(s, "\\NonExistent", was->v[i].name);
	for (j = 0; j < now->n; j++)
		if (come[j] && (events_of(nt, now->v[j].name) & EV_NAME))
			send_list(s, "", now->v[j].name);
	free(gone);
	free(come);
}

/* Report subscriptions gone and come (SubscriptionChange); both lists
   are sorted. */
static void
subs_diff(struct imapd *s, const struct folder_list *was,
    const struct folder_list *now)
{
	struct imapd_notify *nt = s->notify;
	size_t i = 0, j = 0;
	int c;

	while (i < was->n || j < now->n) {
		if (i == was->n)
			c = 1;
		else if (j == now->n)
			c = -1;
		else
			c = name_cmp(was->v[i].name, now->v[j].name);
		if (c < 0) {
			if (events_of(nt, was->v[i].name) & EV_SUBS)
				send_list(s, "", was->v[i].name);
			i++;
		} else if (c > 0) {
			if (events_of(nt, now->v[j].name) & EV_SUBS)
				send_list(s, "\\Subscribed", now->v[j].name);
			j++;
		} else {
			i++;
			j++;
		}
	}
}

static void
drain(struct imapd_notify *nt)
{
	char ev[4096];

	if (nt->ifd == -1)
		return;
	while (read(nt->ifd, ev, sizeof(ev)) > 0)
		nt->woken = 1;
}

/* The highest UID of the view, 0 when empty. */
static uint32_t
last_uid(const struct imapd *s)
{
	return s->mb.n > 0 ? s->mb.msgs[s->mb.n - 1].uid : 0;
}

/*
 * MessageNew's fetch-att for the selected folder's messages the client
 * has had no FETCH for.  The list is parsed anew from its text; the
 * section items want their octets in s->cmd, which is lent for it.
 */
static void
fetch_new(struct imapd *s)
{
	struct imapd_notify *nt = s->notify;
	struct imap_parser p;
	struct buf cmd, keep;
	const struct imap_value *v;
	size_t from;

	if (nt->fetch == NULL || !s->mb_open)
		return;
	if (strcmp(nt->sel_dir, s->mb.dir) != 0 ||
	    nt->sel_validity != s->mb.uidvalidity) {
		/* Another folder: what it holds now the client has. */
		util_strlcpy(nt->sel_dir, s->mb.dir, sizeof(nt->sel_dir));
		nt->sel_validity = s->mb.uidvalidity;
		nt->sel_uid = last_uid(s);
		return;
	}
	if (last_uid(s) <= nt->sel_uid)
		return;
	for (from = s->mb.n; from > 0; from--)
		if (s->mb.msgs[from - 1].uid <= nt->sel_uid)
			break;
	nt->sel_uid = last_uid(s);
	buf_init(&cmd, 0);
	if (buf_printf(&cmd, "n FETCH 1 %s\r\n", nt->fetch) == -1) {
		buf_free(&cmd);
		return;
	}
	imap_parser_init(&p, IMAP_MODE_COMMAND);
	if (imap_parse(&p, cmd.data, cmd.len) == IMAP_PARSE_OK &&
	    (v = p.args) != NULL && (v = v->next) != NULL) {
		keep = s->cmd;
		s->cmd = cmd;
		(void)imapd_fetch_notify(s, v, from);
		cmd = s->cmd;
		s->cmd = keep;
	}
	imap_parser_free(&p);
	buf_free(&cmd);
}

int
imapd_notify_check(struct imapd *s)
{
	struct imapd_notify *nt = s->notify;
	struct folder_list fl;
	char err[ERR_MAX];
	struct watched *w;
	ino_t *ino;
	uint64_t sig;
	int64_t now;
	size_t i, was_messages, was_unseen;
	uint32_t was_next, was_validity;
	int refilter = 0;

	if (nt == NULL || s->state == IMAPD_LOGOUT || s->quit)
		return 0;
	fetch_new(s);
	drain(nt);
	now = util_now_ms();
	if (nt->root_wd != -1 && !nt->polled && !nt->woken &&
	    now - nt->last_ms < NOTIFY_SAFETY_MS)
		return 0;
	nt->last_ms = now;
	nt->woken = 0;
	sig = stat_sig(s->root, "/" FOLDERS_SUBSCRIPTIONS);
	if (sig != nt->subs_sig) {
		nt->subs_sig = sig;
		memset(&fl, 0, sizeof(fl));
		if (folders_subscriptions(s->root, &fl, err, sizeof(err)) ==
		    0) {
			subs_diff(s, &nt->subs, &fl);
			folders_free(&nt->subs);
			nt->subs = fl;
			refilter = 1;
		}
	}
	sig = stat_sig(s->root, "");
	if (sig != nt->root_sig) {
		nt->root_sig = sig;
		memset(&fl, 0, sizeof(fl));
		if (folders_list(s->root, &fl, err, sizeof(err)) == 0) {
			ino = inodes(s, &fl);
			names_diff(s, &nt->names, nt->ino, &fl, ino);
			folders_free(&nt->names);
			free(nt->ino);
			nt->names = fl;
			nt->ino = ino;
			refilter = 1;
		}
	}
	if (refilter && rebuild(s, 0) == -1)
		return 0;
	for (i = 0; i < nt->nw; i++) {
		w = &nt->w[i];
		if ((sig = folder_sig(w->dir)) == w->sig && w->known)
			continue;
		w->sig = sig;
		was_messages = w->messages;
		was_unseen = w->unseen;
		was_next = w->uidnext;
		was_validity = w->uidvalidity;
		if (count(s, w) == -1)
			continue;
		/* The UID list a count may have written moves the
		   signature once more: take it now. */
		w->sig = folder_sig(w->dir);
		if (is_selected(s, w->name))
			continue;
		if (w->messages != was_messages || w->uidnext != was_next ||
		    w->uidvalidity != was_validity ||
		    (w->unseen != was_unseen && (w->ev & EV_FLAG)))
			send_status(s, w);
	}
	return 0;
}

/* ---------------------------------------------------------------- parsing */

/* An event list (or NONE) into *ev.  0, or -1 with BAD or NO sent. */
/* The text of list v in the command ("(" to its ")"), or NULL. */
static char *
list_text(const struct imapd *s, const struct imap_value *v)
{
	size_t i, depth = 0;
	const char *d = s->cmd.data;

	if (v->off >= s->cmd.len || d[v->off] != '(')
		return NULL;
	for (i = v->off; i < s->cmd.len; i++) {
		if (d[i] == '(')
			depth++;
		else if (d[i] == ')' && --depth == 0)
			return strndup(d + v->off, i + 1 - v->off);
		else if (d[i] == '"' || d[i] == '{' || d[i] == '\r')
			return NULL; /* no strings or literals here */
	}
	return NULL;
}

static int
parse_events(struct imapd *s, const struct imap_value *v, int selected,
    unsigned *ev, char **fetch)
{
	const struct imap_value *e;

	*ev = 0;
	if (imap_is(v, "NONE"))
		return 0;
	if (v->type != IMAP_LIST || v->count == 0) {
		imapd_bad(s, NULL, "events are a list or NONE");
		return -1;
	}
	for (e = v->child; e != NULL; e = e->next) {
		if (imap_is(e, "MessageNew")) {
			*ev |= EV_NEW;
			if (e->next != NULL && e->next->type == IMAP_LIST) {
				/* RFC 5465 §5.2: fetch-att only for the
				   selected folder. */
				if (!selected) {
					imapd_bad(s, NULL,
					    "fetch attributes only with "
					    "SELECTED");
					return -1;
				}
				e = e->next;
				if (imapd_fetch_notify(s, e, SIZE_MAX) == -1 ||
				    (*fetch = list_text(s, e)) == NULL) {
					imapd_bad(s, NULL,
					    "bad fetch attributes (BODY.PEEK, "
					    "not BODY)");
					return -1;
				}
			}
		} else if (imap_is(e, "MessageExpunge"))
			*ev |= EV_EXPUNGE;
		else if (imap_is(e, "FlagChange"))
			*ev |= EV_FLAG;
		else if (imap_is(e, "MailboxName"))
			*ev |= EV_NAME;
		else if (imap_is(e, "SubscriptionChange"))
			*ev |= EV_SUBS;
		else if (e->type == IMAP_ATOM) {
			/* AnnotationChange, MailboxMetadataChange,
			   ServerMetadataChange and unknown ones. */
			imapd_no(s, "BADEVENT " SUPPORTED,
			    "event not supported");
			return -1;
		} else {
			imapd_bad(s, NULL, "an event is an atom");
			return -1;
		}
	}
	/* RFC 5465 §5: for the selected folder MessageNew and
	   MessageExpunge go together and FlagChange needs them (sequence
	   numbers must stay right); other folders get STATUS, where
	   either alone makes sense (Dovecot takes it so too). */
	if (selected && (!(*ev & EV_NEW) != !(*ev & EV_EXPUNGE) ||
			    ((*ev & EV_FLAG) && !(*ev & EV_NEW)))) {
		imapd_bad(s, NULL,
		    "MessageNew and MessageExpunge go together; FlagChange "
		    "needs them");
		return -1;
	}
	if (selected && (*ev & (EV_NAME | EV_SUBS))) {
		imapd_bad(s, NULL, "mailbox events not for SELECTED");
		return -1;
	}
	return 0;
}

/* One mailbox or a list of them into f->names.  0 or -1 (answered). */
static int
parse_names(struct imapd *s, const struct imap_value *v, struct filter *f)
{
	char name[FOLDER_NAME_MAX + 1], dir[PATH_MAX];
	const struct imap_value *m;
	size_t n;

	if (v->type == IMAP_LIST) {
		m = v->child;
		n = v->count;
	} else {
		m = v;
		n = 1;
	}
	if (n == 0) {
		imapd_bad(s, NULL, "no mailbox named");
		return -1;
	}
	if ((f->names = calloc(n, sizeof(*f->names))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return -1;
	}
	for (; m != NULL && n > 0; m = m->next, n--) {
		if (imapd_folder_dir(s, m, name, sizeof(name), dir,
			sizeof(dir)) == -1)
			return -1;
		if ((f->names[f->nnames] = strdup(name)) == NULL) {
			imapd_no(s, "SERVERBUG", "out of memory");
			return -1;
		}
		f->nnames++;
	}
	return 0;
}

int
imapd_notify(struct imapd *s)
{
	const struct imap_value *v = imapd_arg(s, 0), *a, *k, *rest;
	struct imapd_notify *nt;
	char err[ERR_MAX];
	int status = 0, sel = 0;
	unsigned ev;
	size_t n = 0;

	if (v != NULL && imap_is(v, "NONE") && v->next == NULL) {
		imapd_notify_end(s);
		imapd_ok(s, NULL, "NOTIFY completed");
		return 0;
	}
	if (v == NULL || !imap_is(v, "SET")) {
		imapd_bad(s, NULL, "NOTIFY SET or NOTIFY NONE");
		return 0;
	}
	a = v->next;
	if (a != NULL && imap_is(a, "STATUS")) {
		status = 1;
		a = a->next;
	}
	if (a == NULL) {
		imapd_bad(s, NULL, "NOTIFY SET needs an event group");
		return 0;
	}
	if ((nt = calloc(1, sizeof(*nt))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	nt->ifd = nt->root_wd = -1;
	for (rest = a; rest != NULL; rest = rest->next)
		n++;
	if ((nt->f = calloc(n, sizeof(*nt->f))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		goto fail;
	}
	for (; a != NULL; a = a->next) {
		struct filter *f = &nt->f[nt->nf];

		if (a->type != IMAP_LIST || a->count < 2 ||
		    (k = a->child)->type != IMAP_ATOM) {
			imapd_bad(s, NULL, "an event group is (filter events)");
			goto fail;
		}
		if (imap_is(k, "SELECTED") || imap_is(k, "SELECTED-DELAYED")) {
			if (sel++ || a->count != 2) {
				imapd_bad(s, NULL, "one SELECTED filter");
				goto fail;
			}
			if (parse_events(s, k->next, 1, &ev, &nt->fetch) ==
			    -1)
				goto fail;
			nt->sel_ev = ev;
			continue;
		}
		if (imap_is(k, "INBOXES"))
			f->kind = K_INBOXES;
		else if (imap_is(k, "PERSONAL"))
			f->kind = K_PERSONAL;
		else if (imap_is(k, "SUBSCRIBED"))
			f->kind = K_SUBSCRIBED;
		else if (imap_is(k, "SUBTREE"))
			f->kind = K_SUBTREE;
		else if (imap_is(k, "MAILBOXES"))
			f->kind = K_MAILBOXES;
		else {
			imapd_bad(s, NULL, "unknown filter");
			goto fail;
		}
		nt->nf++;
		rest = k->next;
		if (f->kind == K_SUBTREE || f->kind == K_MAILBOXES) {
			if (a->count != 3) {
				imapd_bad(s, NULL, "SUBTREE and MAILBOXES "
						   "take mailboxes and events");
				goto fail;
			}
			if (parse_names(s, rest, f) == -1)
				goto fail;
			rest = rest->next;
		} else if (a->count != 2) {
			imapd_bad(s, NULL, "an event group is (filter events)");
			goto fail;
		}
		if (parse_events(s, rest, 0, &f->ev, NULL) == -1)
			goto fail;
	}
#ifdef __linux__
	/* --idle-poll: no inotify (NFS), every folder is polled. */
	if (s->c->idle_poll == 0)
		nt->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* The root: folders come and go, subscriptions change. */
	if (nt->ifd != -1 &&
	    (nt->root_wd = inotify_add_watch(nt->ifd, s->root,
		 IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
		     IN_CLOSE_WRITE | IN_ONLYDIR)) != -1)
		nt->nwatch++;
#endif
	imapd_notify_end(s);
	s->notify = nt;
	nt->root_sig = stat_sig(s->root, "");
	nt->subs_sig = stat_sig(s->root, "/" FOLDERS_SUBSCRIPTIONS);
	if (folders_list(s->root, &nt->names, err, sizeof(err)) == -1 ||
	    folders_subscriptions(s->root, &nt->subs, err, sizeof(err)) ==
		-1) {
		log_warn(s->c->log, "%s: %s", s->user, err);
		imapd_notify_end(s);
		imapd_no(s, "SERVERBUG", "cannot list the folders");
		return 0;
	}
	nt->ino = inodes(s, &nt->names);
	if (s->mb_open) {
		util_strlcpy(nt->sel_dir, s->mb.dir, sizeof(nt->sel_dir));
		nt->sel_validity = s->mb.uidvalidity;
		nt->sel_uid = last_uid(s);
	}
	nt->last_ms = util_now_ms();
	if (rebuild(s, status) == -1) {
		imapd_notify_end(s);
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	imapd_ok(s, NULL, "NOTIFY completed");
	return 0;
fail:
	notify_free(nt);
	return 0;
}
