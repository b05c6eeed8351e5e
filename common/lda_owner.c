/*
 * lda_owner.c: delivery as root (DESIGN.md, "Privilege separation").  No
 * Maildir is opened as root: each target's owner is found first (its
 * passwd-file entry, or the owner of the Maildir's own inode, never
 * through a symbolic link).  With one owner, the process itself drops
 * to it for good and streams as a user's does; unless the caller keeps
 * its privileges, in which case one child does that.  With several, the
 * message is converted once into an unlinked spool, and one child per
 * distinct owner drops to it for good, writes and fsyncs that owner's
 * tmp files and reports ready.  Only when every child is ready does the
 * parent tell them, one after the other, to link their files into new/;
 * when one fails, the others abort or take their links back, and
 * nothing is delivered anywhere.
 *
 * The children are forked, never exec'd, and end with _exit.  Each
 * talks to the parent over a socketpair (send with MSG_NOSIGNAL: a dead
 * peer is an error, not a SIGPIPE).  Child -> parent: READY after the
 * fsyncs, DONE after its links and the fsync of new/, or FAIL with the
 * exit code (one byte) and why (at most ERR_MAX - 1 bytes) as its last
 * words; NOTE and a line when, aborting, it could not take a copy back.
 * Parent -> child: COMMIT, then KEEP once every child is DONE.  End of
 * file (or anything else) means abort: a child not yet DONE removes its
 * tmp files, one DONE takes its files out of new/ again
 * (maildir_revoke).  The parent reads what a child says as it reads
 * anything from a less privileged process: bounded, codes checked, one
 * line.  What stays open: a reader that took a message from new/ in
 * that instant, or a parent killed between two KEEPs, makes the retry
 * give a duplicate, never a loss.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lda_impl.h"
#include "passwd.h"
#include "util.h"

/* Supplementary groups of the caller kept across run_switched. */
#define LDA_GROUPS_MAX 256

#define MSG_READY 'R'
#define MSG_DONE 'D'
#define MSG_FAIL 'E'
#define MSG_NOTE 'W'
#define MSG_COMMIT 'C'
#define MSG_KEEP 'K'
/* Reports read from one child while aborting, at most. */
#define DRAIN_MAX 8

struct child {
	pid_t pid; /* 0 when not started or reaped */
	int sock; /* the parent's end; in the child, its own */
	uid_t uid;
	gid_t gid;
};

/* The owner of t from its Maildir's inode (lstat), or why not. */
static int
owner_from_inode(struct lda_run *r, struct lda_target *t)
{
	struct passwd *pw;
	struct stat st;

	if (lstat(t->root, &st) != 0) {
		if (errno != ENOENT)
			return lda_fail(r, lda_errno_code(errno), "%s: %s",
			    t->root, strerror(errno));
		if (!r->o->create)
			return lda_fail(r,
			    t->from_rcpt ? EX_NOUSER : EX_CANTCREAT,
			    "%s: no such Maildir%s", t->root,
			    t->from_rcpt ? "" : " (--create makes it)");
		if (r->o->allow_root) {
			t->uid = 0; /* --create makes it as root, as asked */
			t->gid = 0;
			return 0;
		}
		if (t->from_rcpt)
			return lda_fail(r, EX_NOUSER,
			    "%s: no such Maildir, and no --passwd-file entry "
			    "to create it for",
			    t->root);
		return lda_fail(r, EX_NOPERM,
		    "%s: no such Maildir; as root, --create needs its owner "
		    "from --passwd-file",
		    t->root);
	}
	if (S_ISLNK(st.st_mode))
		return lda_fail(r, EX_CANTCREAT,
		    "%s: is a symbolic link (refused as root)", t->root);
	if (!S_ISDIR(st.st_mode))
		return lda_fail(
		    r, EX_CANTCREAT, "%s: not a directory", t->root);
	t->uid = st.st_uid;
	pw = getpwuid(st.st_uid);
	t->gid = pw != NULL ? pw->pw_gid : st.st_gid;
	return 0;
}

/* Find every target's owner and give it its group: one per owner. */
static int
find_owners(struct lda_run *r, struct child *kids, size_t *np)
{
	struct lda_target *t;
	size_t i, g, n = 0;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (!t->has_entry && owner_from_inode(r, t) != 0)
			return -1;
		if (t->uid == 0 && !r->o->allow_root)
			return lda_fail(r, EX_NOPERM,
			    "%s: owned by root; refusing to deliver as root "
			    "without --allow-root",
			    t->root);
		for (g = 0; g < n; g++)
			if (kids[g].uid == t->uid && kids[g].gid == t->gid)
				break;
		if (g == n) {
			kids[n].uid = t->uid;
			kids[n].gid = t->gid;
			n++;
		}
		t->group = g;
	}
	*np = n;
	return 0;
}

/* One byte from fd: the byte, or -1 at end of file or error. */
static int
get_byte(int fd)
{
	unsigned char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? c : -1;
}

/* p[0..n) to the socket fd; never SIGPIPE.  0 or -1. */
static int
send_all(int fd, const void *p, size_t n)
{
	const char *q = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, q, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
put_byte(int fd, int c)
{
	unsigned char b = (unsigned char)c;

	return send_all(fd, &b, 1);
}

/* Become the owner of group g for good (root stays root with uid 0). */
static int
become(struct lda_run *r, size_t g, const struct child *k)
{
	char err[ERR_MAX];

	r->group = g;
	if (k->uid != 0 &&
	    passwd_drop_privileges(k->uid, k->gid, err, sizeof(err)) != 0)
		return lda_fail(
		    r, EX_TEMPFAIL, "uid %lu: %s", (unsigned long)k->uid, err);
	return 0;
}

/* Keep each Maildir's fd across the commit, to take the file back. */
static int
hold(struct lda_run *r)
{
	struct lda_target *t;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (t->group == r->group &&
		    (t->keep = fcntl(t->f.dfd, F_DUPFD_CLOEXEC, 0)) < 0)
			return lda_fail(
			    r, EX_TEMPFAIL, "%s: %s", t->dir, strerror(errno));
	}
	return 0;
}

/* In a child: tell the parent type and text (bounded), and end. */
static void __attribute__((noreturn))
last_words(int sock, int type, int code, const char *text)
{
	unsigned char msg[2 + ERR_MAX];
	size_t n = 0, len = strlen(text);

	if (len > ERR_MAX - 1)
		len = ERR_MAX - 1;
	msg[n++] = (unsigned char)type;
	if (type == MSG_FAIL)
		msg[n++] = (unsigned char)code;
	memcpy(msg + n, text, len);
	(void)send_all(sock, msg, n + len);
	(void)close(sock);
	_exit(code);
}

/* In a child: this owner's part failed (and is undone); say why. */
static void __attribute__((noreturn)) child_fail(struct lda_run *r, int sock)
{
	int code = r->res->code != 0 ? r->res->code : EX_TEMPFAIL;

	last_words(sock, MSG_FAIL, code, r->res->why);
}

/* In a child: another owner failed; undo ours quietly and end. */
static void __attribute__((noreturn)) quit(struct lda_run *r, int sock)
{
	char err[ERR_MAX], note[ERR_MAX + 64];
	struct lda_target *t;
	size_t i;

	note[0] = '\0';
	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (t->f.state != MAILDIR_DONE) {
			maildir_abort(&t->f);
			continue;
		}
		if (maildir_revoke(&t->f, t->keep, err, sizeof(err)) != 0 &&
		    note[0] == '\0')
			(void)snprintf(note, sizeof(note),
			    "%s (a copy stays delivered there)", err);
	}
	if (note[0] != '\0')
		last_words(sock, MSG_NOTE, EX_TEMPFAIL, note);
	(void)close(sock);
	_exit(EX_TEMPFAIL);
}

/*
 * The child for kids[g]: become the owner; alone (solo), deliver and
 * report done.  Else write and fsync, report ready; on COMMIT link and
 * report done; on KEEP end.  End of file (the parent gave up, or died)
 * aborts, or takes the links back.
 */
static void __attribute__((noreturn))
child(struct lda_run *r, size_t g, const struct child *k, int solo)
{
	int s = k->sock;

	/* Names made here carry this process's pid. */
	r->namer->pid = (long)getpid();
	if (become(r, g, k) != 0)
		child_fail(r, s);
	if (solo) {
		if (lda_stream_direct(r) != 0)
			child_fail(r, s);
		(void)put_byte(s, MSG_DONE);
		(void)close(s);
		_exit(0);
	}
	if (lda_stream_prepare(r) != 0)
		child_fail(r, s);
	if (put_byte(s, MSG_READY) != 0 || get_byte(s) != MSG_COMMIT)
		quit(r, s);
	if (hold(r) != 0 || lda_stream_commit(r) != 0)
		child_fail(r, s);
	if (put_byte(s, MSG_DONE) != 0 || get_byte(s) != MSG_KEEP)
		quit(r, s);
	(void)close(s);
	_exit(0);
}

/*
 * A child's text after FAIL or NOTE, to the end of file or len - 1
 * bytes: never more, whatever the child sends.
 */
static void
get_text(int fd, char *out, size_t len)
{
	size_t o = 0;
	ssize_t n;

	while (o < len - 1) {
		n = read(fd, out + o, len - 1 - o);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		o += (size_t)n;
	}
	out[o] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
}

/* A note after the failure already recorded: "; NOTE" if it fits. */
static void
add_note(struct lda_run *r, const char *note)
{
	struct lda_result *res = r->res;
	size_t len = strlen(res->why), i;

	if (res->code == 0) {
		(void)lda_fail(r, EX_TEMPFAIL, "%s", note);
		return;
	}
	(void)snprintf(res->why + len, sizeof(res->why) - len, "; %s", note);
	for (i = len; res->why[i] != '\0'; i++)
		if ((unsigned char)res->why[i] < ' ' || res->why[i] == 0x7f)
			res->why[i] = '?';
}

/*
 * What a child says next: its type, or -1 at end of file.  A FAIL is
 * recorded as the failure (unless one is already), a NOTE added to it.
 */
static int
get_report(struct lda_run *r, struct child *k)
{
	char text[ERR_MAX];
	int type, code = EX_TEMPFAIL;

	if (k->sock < 0)
		return -1;
	type = get_byte(k->sock);
	if (type != MSG_FAIL && type != MSG_NOTE)
		return type;
	if (type == MSG_FAIL) {
		code = get_byte(k->sock);
		if (code < EX__BASE || code > EX__MAX)
			code = EX_TEMPFAIL;
	}
	get_text(k->sock, text, sizeof(text));
	if (type == MSG_NOTE)
		add_note(r, text);
	else if (text[0] != '\0')
		(void)lda_fail(r, code, "%s", text);
	else
		(void)lda_fail(r, code, "delivery as uid %lu failed",
		    (unsigned long)k->uid);
	return type;
}

/*
 * Wait for a child; its exit code.  A death by signal is temporary,
 * and recorded as the failure unless one is already.
 */
static int
reap(struct lda_run *r, struct child *k)
{
	int status;

	if (k->pid <= 0)
		return 0;
	while (waitpid(k->pid, &status, 0) < 0)
		if (errno != EINTR) {
			k->pid = 0;
			return EX_TEMPFAIL;
		}
	k->pid = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	(void)lda_fail(r, EX_TEMPFAIL,
	    "delivery as uid %lu: killed by signal %d", (unsigned long)k->uid,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return EX_TEMPFAIL;
}

/* A child that did not say what it should: why, unless it said so. */
static void
failed(struct lda_run *r, struct child *k, int type)
{
	int code;

	if (type == MSG_FAIL)
		return;
	if (k->sock >= 0) {
		(void)close(k->sock);
		k->sock = -1;
	}
	code = reap(r, k);
	if (code == 0)
		(void)lda_fail(r, EX_TEMPFAIL, "delivery as uid %lu stopped",
		    (unsigned long)k->uid);
	else
		(void)lda_fail(r,
		    code >= EX__BASE && code <= EX__MAX ? code : EX_TEMPFAIL,
		    "delivery as uid %lu: exit %d", (unsigned long)k->uid,
		    code);
}

/*
 * Tell every child to abort (end of file on its socket), hear its last
 * words (a copy it could not take back), wait for all.  Returns -1.
 */
static int
abort_all(struct lda_run *r, struct child *kids, size_t n)
{
	size_t i, j;
	int type;

	for (i = 0; i < n; i++)
		if (kids[i].sock >= 0)
			(void)shutdown(kids[i].sock, SHUT_WR);
	for (i = 0; i < n; i++) {
		for (j = 0; j < DRAIN_MAX; j++) {
			type = get_report(r, &kids[i]);
			if (type < 0 || type == MSG_FAIL || type == MSG_NOTE)
				break;
		}
		if (kids[i].sock >= 0)
			(void)close(kids[i].sock);
		kids[i].sock = -1;
	}
	for (i = 0; i < n; i++)
		(void)reap(r, &kids[i]);
	if (r->res->code == 0)
		(void)lda_fail(r, EX_TEMPFAIL, "delivery stopped");
	return -1;
}

/* Fork kids[g]; the child closes what belongs to the others. */
static int
start(struct lda_run *r, struct child *kids, size_t g, int solo)
{
	int sv[2], e;
	size_t i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return lda_fail(
		    r, EX_TEMPFAIL, "socketpair: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		e = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		return lda_fail(r, EX_TEMPFAIL, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		for (i = 0; i < g; i++)
			(void)close(kids[i].sock);
		(void)close(sv[0]);
		kids[g].sock = sv[1];
		child(r, g, &kids[g], solo);
	}
	(void)close(sv[1]);
	kids[g].pid = pid;
	kids[g].sock = sv[0];
	return 0;
}

/* A child that ended its part: close its socket, check its exit. */
static int
finish(struct lda_run *r, struct child *k)
{
	int code;

	if (k->sock >= 0)
		(void)close(k->sock);
	k->sock = -1;
	if ((code = reap(r, k)) == 0)
		return 0;
	return lda_fail(r, EX_TEMPFAIL, "delivery as uid %lu: exit %d",
	    (unsigned long)k->uid, code);
}

/*
 * One owner, the caller stays root and lets us change its effective ids
 * (lda_opts.switch_ids): no child, the message streams in as the owner
 * and the ids come back.  The groups first and back last: setgroups
 * and setegid need euid 0.
 */
static int
run_switched(struct lda_run *r, const struct child *k)
{
	gid_t groups[LDA_GROUPS_MAX], egid = getegid();
	int ng, rc;

	if (k->uid == 0) {
		/* allow_root: nothing to change. */
		r->group = 0;
		return lda_stream_direct(r);
	}
	if ((ng = getgroups(LDA_GROUPS_MAX, groups)) == -1)
		return lda_fail(r, EX_TEMPFAIL, "getgroups: %s",
		    strerror(errno));
	if (setgroups(1, &k->gid) != 0 || setegid(k->gid) != 0 ||
	    seteuid(k->uid) != 0) {
		rc = errno;
		if (seteuid(0) != 0 || setegid(egid) != 0 ||
		    setgroups((size_t)ng, groups) != 0)
			abort();
		return lda_fail(r, EX_TEMPFAIL, "uid %lu: %s",
		    (unsigned long)k->uid, strerror(rc));
	}
	r->group = 0;
	rc = lda_stream_direct(r);
	/* Going on as someone else is the one thing worse than dying. */
	if (seteuid(0) != 0 || setegid(egid) != 0 ||
	    setgroups((size_t)ng, groups) != 0)
		abort();
	return rc;
}

/* One owner, and the caller stays root: one child does it all. */
static int
run_solo(struct lda_run *r, struct child *k)
{
	int type;

	if (start(r, k, 0, 1) != 0)
		return -1;
	if ((type = get_report(r, k)) != MSG_DONE) {
		failed(r, k, type);
		return abort_all(r, k, 1);
	}
	return finish(r, k);
}

/* Several owners: spool, one child each, commit all or none. */
static int
run_owners(struct lda_run *r, struct child *kids, size_t n)
{
	size_t g;
	int type, rc = 0;

	if (lda_stream_spool(r) != 0)
		return -1;
	for (g = 0; g < n; g++)
		if (start(r, kids, g, 0) != 0)
			return abort_all(r, kids, g);
	for (g = 0; g < n; g++)
		if ((type = get_report(r, &kids[g])) != MSG_READY) {
			failed(r, &kids[g], type);
			return abort_all(r, kids, n);
		}
	/* Every tmp file of every owner is on disk: link, owner by owner;
	 * a failure takes back the links the others made. */
	for (g = 0; g < n; g++) {
		type = -1;
		if (put_byte(kids[g].sock, MSG_COMMIT) != 0 ||
		    (type = get_report(r, &kids[g])) != MSG_DONE) {
			failed(r, &kids[g], type);
			return abort_all(r, kids, n);
		}
	}
	for (g = 0; g < n; g++)
		(void)put_byte(kids[g].sock, MSG_KEEP);
	for (g = 0; g < n; g++)
		if (finish(r, &kids[g]) != 0)
			rc = -1;
	return rc;
}

int
lda_owner_deliver(struct lda_run *r)
{
	struct child *kids;
	size_t g, n = 0;
	int rc;

	if ((kids = calloc(LDA_TARGETS_MAX, sizeof(*kids))) == NULL)
		return lda_fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	for (g = 0; g < LDA_TARGETS_MAX; g++)
		kids[g].sock = -1;
	if ((rc = find_owners(r, kids, &n)) != 0)
		;
	else if (n == 1 && !r->o->keep_privileges) {
		/* One owner: nothing is left to do as root, so no child and
		 * no spool; the message streams in as it does for a user. */
		if ((rc = become(r, 0, &kids[0])) == 0)
			rc = lda_stream_direct(r);
	} else if (n == 1 && r->o->switch_ids)
		rc = run_switched(r, &kids[0]);
	else if (n == 1)
		rc = run_solo(r, &kids[0]);
	else
		rc = run_owners(r, kids, n);
	/* Nothing of the children outlives the call. */
	for (g = 0; g < n; g++) {
		if (kids[g].sock >= 0)
			(void)close(kids[g].sock);
		(void)reap(r, &kids[g]);
	}
	free(kids);
	return rc;
}
