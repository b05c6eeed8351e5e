/*
 * client_fetch.h: the parts of `mimap fetch' (client_fetch.c: the
 * session and the delivery; client_state.c: the state journal).
 */
#ifndef MIMAP_CLIENT_FETCH_H
#define MIMAP_CLIENT_FETCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "maildir.h"

#define STATE_MAGIC "yubin-mimap-state 1"
#define WORD_MAX 2048
#define MSGID_MAX 998
#define FOLDER_SUB_MAX 1024

struct sent {
	char *folder;
	char *msgid;
	char *uniq; /* pending: its Maildir name */
	uint32_t uv, uid;
	uint64_t size;
	int pending;
	int dead; /* dropped at the rewrite */
	int seen; /* on the server in this run's listing */
};

/* A folder's CONDSTORE point: what the last run saw of it. */
struct smodseq {
	char *folder;
	uint32_t uv, uidnext;
	uint64_t modseq;
};

struct smsg {
	uint32_t uid;
	uint64_t size;
	char msgid[MSGID_MAX + 1];
};

/* A message of the batch at hand and its tmp file (--maildir). */
struct bfile {
	struct maildir_file mf;
	size_t w; /* its index in run.bw */
	uint64_t wrote;
};

struct run {
	struct cargs *a;
	struct iclient c;
	char path[PATH_MAX];
	int fd, lockfd;
	struct sent *e;
	size_t n, cap;
	/* the folder at hand */
	const char *folder;
	struct smsg *m;
	size_t nm, capm;
	/* one message */
	struct maildir_namer nm_;
	struct maildir_file mf;
	struct maildir_file *cur; /* where the body at hand goes */
	int spool;
	/* the batch at hand (--maildir): what was asked, the files got */
	const struct smsg *bw[CLIENT_FETCH_BATCH];
	size_t nbw;
	struct bfile *bf; /* CLIENT_FETCH_BATCH of them */
	size_t nb;
	int cr, got;
	uint64_t wrote;
	int sinkerr;
	char err[ERR_MAX];
	long long nfetched, ndeleted, bytes;
	int fail_rc;
	int progress; /* stderr is a terminal */
	/* --maildir: where the folder at hand goes */
	char dir[PATH_MAX];
	char sub[FOLDER_SUB_MAX + 1]; /* Maildir++ name, "" for the root */
	char delim; /* the server's hierarchy delimiter, 0: none */
	/* CONDSTORE points ("M" lines), the last per folder counts */
	struct smodseq *ms;
	size_t nms, capms;
	int skipped; /* the folder at hand left a message behind */
	long long nlisted; /* UIDs the listings returned */
	uint32_t *passnext; /* --idle: each folder's UIDNEXT at its SELECT */
	size_t npassnext;
};

/* The live entries of (folder, uv), sorted by UID, for lookups. */
struct fidx {
	uint32_t *uid;
	size_t *at;
	size_t n;
};

/* client_state.c (see the top of client_fetch.c for the format) */

/* A new entry at the end of r->e; NULL when out of memory. */
struct sent *cst_add(struct run *r);
/* Index the live entries of (folder, uv).  0 or -1 (ENOMEM). */
int cst_fidx_build(
    struct run *r, const char *folder, uint32_t uv, struct fidx *fx);
/* The index in r->e of uid's entry, or (size_t)-1. */
size_t cst_fidx_find(const struct fidx *fx, uint32_t uid);
void cst_fidx_free(struct fidx *fx);
/* Append e's "P" or "F" line, fdatasynced when sync.  0 or -1 (r->err). */
int cst_journal(struct run *r, const struct sent *e, int sync);
/* Lock, load and resolve the state file r->path.  0 or an exit code
   with r->err set. */
int cst_load(struct run *r);
/* Rewrite it with what is live (temp, fsync, rename).  0 or -1. */
int cst_rewrite(struct run *r);
/* r->path after $XDG_STATE_HOME, USER@HOST:PORT.  0 or an exit code
   (said). */
int cst_default(struct run *r, const char *user);
/* The CONDSTORE point of folder, or NULL. */
struct smodseq *cst_modseq(struct run *r, const char *folder);
/* Set it and journal an "M" line (not synced).  0 or -1 (r->err). */
int cst_modseq_set(struct run *r, const char *folder, uint32_t uv,
    uint64_t modseq, uint32_t uidnext);
/* fdatasync the journal.  0 or -1 (r->c.err). */
int cst_sync(struct run *r);

#endif
