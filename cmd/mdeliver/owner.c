/*
 * owner.c: mdeliver as root (DESIGN.md, "Privilege separation").  No
 * Maildir is opened as root: each target's owner is found first (its
 * passwd-file entry, or the owner of the Maildir's own inode, never
 * through a symbolic link), the message is converted once into an
 * unlinked spool, and one child per distinct owner drops to it for good,
 * writes and fsyncs that owner's tmp files and reports ready (with one
 * owner, the process itself drops to it and streams as a user's does).
 * Only when every child is ready does the parent tell them, one after
 * the other, to link their files into new/; when one fails, the others
 * abort or take their links back, and nothing is delivered anywhere.
 *
 * The pipe protocol: child -> parent READY after the fsyncs and DONE
 * after its links and the fsync of new/; parent -> child COMMIT, then
 * KEEP once every child is DONE.  End of file (or anything else) means
 * abort: a child not yet DONE removes its tmp files, one DONE takes its
 * files out of new/ again (maildir_revoke).  A child that fails prints
 * its own one line and exits with its code, which the parent exits
 * with.  What stays open: a reader that took a message from new/ in
 * that instant, or a parent killed between two KEEPs, makes the retry
 * give a duplicate, never a loss.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "mdeliver.h"
#include "passwd.h"
#include "util.h"

#define MSG_READY 'R'
#define MSG_DONE 'D'
#define MSG_COMMIT 'C'
#define MSG_KEEP 'K'

struct child {
	pid_t pid;
	int up; /* child -> parent */
	int down; /* parent -> child */
	uid_t uid;
	gid_t gid;
};

/* The owner of t from its Maildir's inode (lstat), or why not. */
static void
owner_from_inode(struct run *r, struct target *t)
{
	struct passwd *pw;
	struct stat st;

	if (lstat(t->root, &st) != 0) {
		if (errno != ENOENT)
			fail(r, errno_code(errno), "%s: %s", t->root,
			    strerror(errno));
		if (!r->create)
			fail(r, t->from_rcpt ? EX_NOUSER : EX_CANTCREAT,
			    "%s: no such Maildir%s", t->root,
			    t->from_rcpt ? "" : " (--create makes it)");
		if (r->allow_root) {
			t->uid = 0; /* --create makes it as root, as asked */
			t->gid = 0;
			return;
		}
		if (t->from_rcpt)
			fail(r, EX_NOUSER,
			    "%s: no such Maildir, and no --passwd-file entry "
			    "to create it for",
			    t->root);
		fail(r, EX_NOPERM,
		    "%s: no such Maildir; as root, --create needs its owner "
		    "from --passwd-file",
		    t->root);
	}
	if (S_ISLNK(st.st_mode))
		fail(r, EX_CANTCREAT,
		    "%s: is a symbolic link (refused as root)", t->root);
	if (!S_ISDIR(st.st_mode))
		fail(r, EX_CANTCREAT, "%s: not a directory", t->root);
	t->uid = st.st_uid;
	pw = getpwuid(st.st_uid);
	t->gid = pw != NULL ? pw->pw_gid : st.st_gid;
}

/* Find every target's owner and give it its group: one per owner. */
static size_t
find_owners(struct run *r, struct child *kids)
{
	struct target *t;
	size_t i, g, n = 0;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (!t->has_entry)
			owner_from_inode(r, t);
		if (t->uid == 0 && !r->allow_root)
			fail(r, EX_NOPERM,
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
	return n;
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

static int
put_byte(int fd, int c)
{
	unsigned char b = (unsigned char)c;

	return util_write_all(fd, &b, 1);
}

/* Become the owner of group g for good (root stays root with uid 0). */
static void
become(struct run *r, size_t g, const struct child *k)
{
	char err[ERR_MAX];

	r->group = g;
	if (k->uid != 0 &&
	    passwd_drop_privileges(k->uid, k->gid, err, sizeof(err)) != 0)
		fail(r, EX_TEMPFAIL, "uid %lu: %s", (unsigned long)k->uid, err);
}

/* Keep each Maildir's fd across the commit, to take the file back. */
static void
hold(struct run *r)
{
	struct target *t;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (t->group == r->group &&
		    (t->keep = fcntl(t->f.dfd, F_DUPFD_CLOEXEC, 0)) < 0)
			fail(r, EX_TEMPFAIL, "%s: %s", t->dir, strerror(errno));
	}
}

/* Another owner failed and said why: undo ours quietly and exit. */
static void __attribute__((noreturn)) quit(struct run *r)
{
	char err[ERR_MAX];
	struct target *t;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (t->f.state != MAILDIR_DONE)
			maildir_abort(&t->f);
		else if (maildir_revoke(&t->f, t->keep, err, sizeof(err)) != 0)
			fprintf(stderr,
			    "%s: %s (a copy stays delivered there)\n", PROG,
			    err);
	}
	_exit(EX_TEMPFAIL);
}

/*
 * The child for kids[g]: become the owner, write and fsync, report
 * ready; on COMMIT link and report done; on KEEP exit 0.  End of file
 * (the parent gave up, or died) aborts, or takes the links back.
 */
static void __attribute__((noreturn))
child(struct run *r, size_t g, const struct child *k)
{
	become(r, g, k);
	deliver_prepare(r);
	if (put_byte(k->up, MSG_READY) != 0 || get_byte(k->down) != MSG_COMMIT)
		quit(r);
	hold(r);
	deliver_commit(r);
	if (put_byte(k->up, MSG_DONE) != 0 || get_byte(k->down) != MSG_KEEP)
		quit(r);
	_exit(0);
}

/* Wait for a child; its exit code (a death by signal is temporary). */
static int
reap(struct child *k)
{
	int status;

	if (k->pid <= 0)
		return 0;
	while (waitpid(k->pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_TEMPFAIL;
	k->pid = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr,
	    "%s: delivery as uid %lu: killed by signal %d (will retry: exit "
	    "%d)\n",
	    PROG, (unsigned long)k->uid,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, EX_TEMPFAIL);
	return EX_TEMPFAIL;
}

/* Tell every child still waiting to abort, wait for all, exit code. */
static void __attribute__((noreturn))
abort_all(struct child *kids, size_t n, int code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kids[i].down >= 0) {
			(void)close(kids[i].down);
			kids[i].down = -1;
		}
	for (i = 0; i < n; i++)
		(void)reap(&kids[i]);
	exit(code != 0 ? code : EX_TEMPFAIL);
}

/* A failed child: its code, with a line of ours if it said nothing. */
static int
failed(struct child *k)
{
	int code = reap(k);

	if (code == 0) {
		fprintf(stderr,
		    "%s: delivery as uid %lu stopped (will retry: exit %d)\n",
		    PROG, (unsigned long)k->uid, EX_TEMPFAIL);
		code = EX_TEMPFAIL;
	}
	return code;
}

/* Fork kids[g]; the child closes what belongs to the others. */
static void
start(struct run *r, struct child *kids, size_t g)
{
	int up[2], down[2];
	size_t i;

	if (pipe(up) != 0 || pipe(down) != 0) {
		fprintf(stderr, "%s: pipe: %s (will retry: exit %d)\n", PROG,
		    strerror(errno), EX_TEMPFAIL);
		abort_all(kids, g, EX_TEMPFAIL);
	}
	if ((kids[g].pid = fork()) < 0) {
		fprintf(stderr, "%s: fork: %s (will retry: exit %d)\n", PROG,
		    strerror(errno), EX_TEMPFAIL);
		abort_all(kids, g, EX_TEMPFAIL);
	}
	if (kids[g].pid == 0) {
		for (i = 0; i < g; i++) {
			(void)close(kids[i].up);
			(void)close(kids[i].down);
		}
		(void)close(up[0]);
		(void)close(down[1]);
		kids[g].up = up[1];
		kids[g].down = down[0];
		child(r, g, &kids[g]);
	}
	(void)close(up[1]);
	(void)close(down[0]);
	kids[g].up = up[0];
	kids[g].down = down[1];
}

void
owner_deliver(struct run *r)
{
	static struct child kids[TARGETS_MAX];
	size_t g, n;

	n = find_owners(r, kids);
	if (n == 1) {
		/* One owner: nothing is left to do as root, so no child and
		 * no spool; the message streams in as it does for a user. */
		become(r, 0, &kids[0]);
		deliver_direct(r);
		return;
	}
	deliver_spool(r);
	/* A child that died must not kill us with SIGPIPE. */
	(void)signal(SIGPIPE, SIG_IGN);
	for (g = 0; g < n; g++)
		start(r, kids, g);
	for (g = 0; g < n; g++)
		if (get_byte(kids[g].up) != MSG_READY)
			abort_all(kids, n, failed(&kids[g]));
	/* Every tmp file of every owner is on disk: link, owner by owner;
	 * a failure takes back the links the others made. */
	for (g = 0; g < n; g++)
		if (put_byte(kids[g].down, MSG_COMMIT) != 0 ||
		    get_byte(kids[g].up) != MSG_DONE)
			abort_all(kids, n, failed(&kids[g]));
	for (g = 0; g < n; g++) {
		(void)put_byte(kids[g].down, MSG_KEEP);
		(void)close(kids[g].down);
		kids[g].down = -1;
	}
	for (g = 0; g < n; g++)
		if (reap(&kids[g]) != 0)
			abort_all(kids, n, EX_TEMPFAIL);
}
