/*
 * lda.h: local delivery, the engine of mdeliver as a library (DESIGN.md,
 * "mdeliver" and "Privilege separation"): one message into one or more
 * Maildirs, durably, to every target or to none.
 *
 * The message is read from a descriptor to its end: a leading mbox
 * "From " line is dropped, CRLF becomes LF, a NUL byte refuses it, and
 * each target's copy starts with Return-Path (when there is a sender)
 * and one Delivered-To per recipient that leads there.  Every tmp file
 * is written and fsynced before the first link into new/; when one
 * target fails, the others are undone and nothing is delivered.
 *
 * Targets come from recipients through a template (%u user, %d domain,
 * %a user@domain, %% a %) or a passwd-file's maildir field, or are the
 * given Maildirs (each recipient's Delivered-To in each).  A recipient's
 * "+detail" files into the Maildir++ folder ".detail" when it exists
 * and no folder is given.
 *
 * As root (euid 0), no Maildir is opened as root: each target's owner
 * is its passwd-file entry's uid/gid or the owner of the Maildir's own
 * inode (lstat: never through a symbolic link); a Maildir root owns is
 * refused unless allow_root.  Each owner's targets are written by a
 * process running as that owner, which opens the Maildir with
 * O_NOFOLLOW from a directory descriptor and checks it is still the
 * owner's.  With several owners, the message is converted once into an
 * unlinked spool and one forked child (no exec) per owner writes and
 * fsyncs its part; only when all are ready do they link, one after the
 * other, and a failure makes the others take their links back.  With
 * one owner and without keep_privileges, the calling process itself
 * drops to that owner FOR GOOD (setgroups, setgid, setuid), as the
 * program mdeliver does: a caller that must stay root (a server's
 * privileged parent, which delivers the next message too) sets
 * keep_privileges, and every owner, even a single one, gets a child.
 *
 * Nothing here prints or exits (children it forks end with _exit).
 * Every descriptor opened and every byte allocated during a call is
 * released before it returns, on every path; nothing is kept between
 * calls but what the caller owns (the namer).  The children are waited
 * for by their pid: the caller must not reap them (waitpid(-1, ...) in
 * a SIGCHLD handler) while lda_deliver runs, nor set SIGCHLD to SIG_IGN
 * (their exit status is part of the answer).  They inherit the caller's
 * descriptors and signal handlers for their short life, and end without
 * running atexit handlers or flushing stdio.
 *
 * What the caller should set up, as the process's own business (mdeliver
 * does it in main):
 *   - SIGXFSZ ignored, so that past a file size limit write(2) fails
 *     with EFBIG (exit 75, tmp files removed) instead of the signal
 *     killing the process with tmp files left behind;
 *   - RLIMIT_NOFILE at least LDA_FDS_WANTED, when many targets are
 *     possible (past it, open fails with EMFILE: 75, try again later).
 * SIGPIPE need not be ignored: the children are talked to with
 * send(MSG_NOSIGNAL).
 */
#ifndef YUBIN_LDA_H
#define YUBIN_LDA_H

#include <stddef.h>

#include "bounds.h"
#include "maildir.h"

/* Recipients and Maildirs one call takes, and the targets (Maildir
 * folders) they may make; each target holds an open tmp file and its
 * directory while the message streams in. */
#define LDA_RCPT_MAX MDELIVER_RCPT_MAX /* bounds.h */
#define LDA_ROOTS_MAX 64
#define LDA_TARGETS_MAX 512
/* An address as it stands in the envelope, without the angle brackets
 * (RFC 5321 §4.5.3.1.3: 256 octets with them). */
#define LDA_ADDR_MAX (SMTP_PATH_MAX - 2)
/* Descriptors one call may hold: a tmp file and a directory per target,
 * the spool, a socket per owner, and the caller's standard streams. */
#define LDA_FDS_WANTED (2 * LDA_TARGETS_MAX + 16)

struct lda_opts {
	const char *sender; /* NULL: no Return-Path; "": the null sender */
	const char *template; /* one Maildir per recipient, or NULL */
	const char *folder; /* Maildir++ folder; NULL or "INBOX": none */
	const char *passwd_file; /* owners and Maildirs, or NULL */
	const char *const *roots; /* Maildirs (the --maildir DIRs) */
	size_t nroots;
	int create; /* create missing Maildirs and folders */
	int allow_root; /* as root: deliver into Maildirs root owns */
	long long max_size; /* bytes read, at most; 0: no limit */
	/*
	 * As root: never change this process's ids; one forked child (no
	 * exec) per owner writes, even when there is only one owner.  For
	 * a caller that must stay root.  Without root, nothing changes.
	 */
	int keep_privileges;
	/*
	 * With keep_privileges and one owner: no child either; this
	 * process changes only its effective ids (supplementary groups,
	 * egid, euid) to the owner's for the call and back after it, as
	 * Dovecot's LMTP does.  Its real and saved uid stay 0 meanwhile,
	 * so the owner can neither signal nor trace it (kill(2), ptrace(2)
	 * want the target's real or saved uid), and the file system sees
	 * the owner (no capability is effective while euid is not 0).  For
	 * a server's privileged parent that delivers many messages: a
	 * fork per message is what makes delivery as root slow.  Should
	 * the ids not come back, the process aborts rather than go on as
	 * someone else.  Several owners still get a child each.
	 */
	int switch_ids;
	/*
	 * Unique names in tmp/ and new/ (maildir.h).  A caller that
	 * delivers more than once keeps one namer (maildir_namer_init once)
	 * and passes it every time: its counter makes every name unique
	 * within the process whatever the clock does.  Its pid is renewed
	 * when the process is no longer the one that made it (after a
	 * fork), and each child uses its own pid.  NULL: a namer for this
	 * call, its counter started from the monotonic clock so that
	 * successive calls still never repeat a name.
	 */
	struct maildir_namer *namer;
};

struct lda_result {
	int code; /* 0 delivered, else an exit code from <sysexits.h> */
	/* Why not, in one line without the program's name; "" when 0. */
	char why[ERR_MAX];
};

/*
 * Deliver the message readable on fd (from its current offset to the
 * end: a pipe or a regular file; not closed) to rcpts, or to o->roots.
 * rcpts are envelope addresses without angle brackets, lower-cased and
 * valid (lda_addr_valid); there may be none when roots are given.  A
 * template or a passwd_file needs recipients and no roots.  Returns
 * res->code: 0 delivered everywhere; 75 (EX_TEMPFAIL) nothing was
 * delivered and a retry may succeed; 65 bad message (empty, a NUL,
 * over max_size); 67 no such user or Maildir; 73 cannot create (a
 * symbolic link refused, a permission); 77 refused as root; 78 bad
 * passwd-file; 64 options that make no sense.
 */
int lda_deliver(const struct lda_opts *o, int fd, char *const *rcpts,
    size_t nrcpts, struct lda_result *res);

/*
 * An envelope address as lda takes it: 1 to LDA_ADDR_MAX bytes, no
 * control byte, space, "<" or ">" (it goes into a header line), and
 * when it has an "@" a non-empty local part and domain within RFC 5321
 * §4.5.3.1.  1 valid, 0 not.
 */
int lda_addr_valid(const char *a);

#endif
