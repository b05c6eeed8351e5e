/*
 * mdeliver.h: what the files of mdeliver share (DESIGN.md, "mdeliver").
 *
 *   main.c     options, addresses, main
 *   plan.c     recipients to targets: templates, folders, passwd-file
 *   deliver.c  the message stream, opening targets, writing, commit
 *   owner.c    as root: each target's owner, one child per owner
 */
#ifndef MDELIVER_H
#define MDELIVER_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "bounds.h"
#include "buf.h"
#include "maildir.h"

#define PROG "mdeliver"
/* Recipients and --maildir options, and the targets they make: each
 * target holds an open tmp file and its Maildir's directory while the
 * message streams in. */
#define RCPT_MAX 512
#define ROOTS_MAX 64
#define TARGETS_MAX 512
/* An address as it stands in the envelope, without the angle brackets
 * (RFC 5321 §4.5.3.1.3: 256 octets with them). */
#define ADDR_MAX (SMTP_PATH_MAX - 2)
/* No owner group chosen: every target is ours (not root). */
#define GROUP_ALL ((size_t)-1)

struct target {
	char root[PATH_MAX]; /* the user's Maildir */
	char dir[PATH_MAX]; /* root or root/.FOLDER */
	char folder[MAILDIR_NAME_MAX + 1]; /* "INBOX" or F */
	int from_rcpt; /* named by a recipient: missing means no user */
	int written; /* prefix written */
	struct buf prefix; /* Return-Path, Delivered-To */
	struct maildir_file f;
	/* As root: the owner the delivery runs as. */
	int has_entry; /* uid/gid from the passwd-file */
	uid_t uid;
	gid_t gid;
	size_t group; /* index of its owner among the distinct ones */
	int keep; /* the Maildir's fd kept across the commit, or -1 */
};

struct run {
	const char *sender; /* NULL: no -f */
	const char *template;
	const char *folder;
	const char *passwd_file;
	const char *roots[ROOTS_MAX];
	size_t nroots;
	int create;
	int allow_root;
	int as_root; /* euid 0: one child per owner */
	long long max_size; /* 0: no limit */
	char *rcpts[RCPT_MAX];
	size_t nrcpts;
	struct target *t[TARGETS_MAX];
	size_t nt;
	size_t group; /* the targets this process writes, or GROUP_ALL */
	int spool; /* as root: the converted message, or -1 */
	struct maildir_namer namer;
};

/* Undo every target and exit with code, after "mdeliver: MSG" on
 * stderr ("(will retry: exit 75)" or "(exit N)" added). */
void fail(struct run *r, int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* The exit code for a failed system call: temporary trouble or not. */
int errno_code(int e);

/* plan.c: fill r->t from recipients, templates and --maildir. */
void plan(struct run *r);

/* deliver.c */
/* Not root: open every target, stream stdin into them, commit. */
void deliver_direct(struct run *r);
/* As root, in the parent: stdin converted into the spool r->spool. */
void deliver_spool(struct run *r);
/* In a child: open, write from the spool and fsync r->group's targets. */
void deliver_prepare(struct run *r);
/* Link r->group's synced files into new/ (exits on failure). */
void deliver_commit(struct run *r);

/* owner.c: as root, find owners, fork one child per owner, commit all
 * or none; exits with the code of the first failure. */
void owner_deliver(struct run *r);

#endif
