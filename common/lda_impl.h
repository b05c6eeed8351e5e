/*
 * lda_impl.h: what the files of the lda module share; not for programs
 * (they include lda.h).
 *
 *   lda.c         the entry point: checks, the run, failure and cleanup
 *   lda_plan.c    recipients to targets: templates, folders, passwd-file
 *   lda_stream.c  the message stream, opening targets, writing, commit
 *   lda_owner.c   as root: each target's owner, one child per owner
 *
 * A failure is recorded once in the run (the first one wins), undoes
 * every target of this process and makes the function return -1; the
 * callers pass the -1 up to lda_deliver, which cleans up and returns
 * the code.
 */
#ifndef YUBIN_LDA_IMPL_H
#define YUBIN_LDA_IMPL_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "buf.h"
#include "lda.h"
#include "maildir.h"

/* No owner group chosen: every target is ours (not root). */
#define LDA_GROUP_ALL ((size_t)-1)

struct lda_target {
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

struct lda_run {
	const struct lda_opts *o;
	const char *folder; /* o->folder, NULL for INBOX */
	int in; /* the message */
	char *const *rcpts;
	size_t nrcpts;
	int as_root; /* euid 0: no Maildir opened as root */
	struct lda_target *t[LDA_TARGETS_MAX];
	size_t nt;
	size_t group; /* the targets this process writes, or GROUP_ALL */
	int spool; /* as root, several owners: the message, or -1 */
	struct maildir_namer *namer; /* o->namer, or own */
	struct maildir_namer own;
	struct lda_result *res;
};

/* lda.c */
/* Record the failure (unless one is already), undo every target of
 * this process; returns -1. */
int lda_fail(struct lda_run *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The exit code for a failed system call: temporary trouble or not. */
int lda_errno_code(int e);

/* lda_plan.c: fill r->t from recipients, templates and roots. */
int lda_plan(struct lda_run *r);

/* lda_stream.c */
/* Not root, or one owner: open every target, stream r->in, commit. */
int lda_stream_direct(struct lda_run *r);
/* As root, several owners: r->in converted into the spool r->spool. */
int lda_stream_spool(struct lda_run *r);
/* In a child: open, write from the spool and fsync r->group's targets. */
int lda_stream_prepare(struct lda_run *r);
/* Link r->group's synced files into new/. */
int lda_stream_commit(struct lda_run *r);

/* lda_owner.c: as root, find owners, become the one owner or fork one
 * child per owner, commit all or none. */
int lda_owner_deliver(struct lda_run *r);

#endif
