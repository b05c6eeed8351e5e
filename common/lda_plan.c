/*
 * lda_plan.c: recipients to targets.  A target is one Maildir folder;
 * the recipients that lead to it share one copy with one Delivered-To
 * line each.  Targets come from the template, from the passwd-file's
 * maildir field, or from the roots the caller gives.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "lda_impl.h"
#include "passwd.h"
#include "util.h"

/*
 * A lower-cased recipient split: user (local part up to "+"), detail
 * (after the first "+", may be empty) and domain ("" when no "@").
 */
struct rcpt_parts {
	const char *user, *detail, *domain;
	size_t locallen, userlen, detaillen, domainlen;
};

static void
rcpt_split(const char *a, struct rcpt_parts *p)
{
	const char *at = strrchr(a, '@'), *plus;
	size_t locallen = at != NULL ? (size_t)(at - a) : strlen(a);

	memset(p, 0, sizeof(*p));
	p->user = a;
	p->locallen = locallen;
	plus = memchr(a, '+', locallen);
	p->userlen = plus != NULL ? (size_t)(plus - a) : locallen;
	if (plus != NULL) {
		p->detail = plus + 1;
		p->detaillen = locallen - p->userlen - 1;
	}
	p->domain = at != NULL ? at + 1 : "";
	p->domainlen = strlen(p->domain);
}

/* A part of an address that may become a path component (%u, %d). */
static int
part_safe(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '/' || p[i] == '\0')
			return 0;
		if (p[i] == '.' && i + 1 < n && p[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Expand the template for one recipient into out; -1 on refusal. */
static int
expand(struct lda_run *r, const char *rcpt, char *out, size_t outlen)
{
	struct rcpt_parts p;
	struct buf b;
	const char *t;
	int bad = 0;

	rcpt_split(rcpt, &p);
	/* Refuse what could leave the directory the template names. */
	if (!part_safe(p.user, p.locallen) || !part_safe(p.user, p.userlen))
		return lda_fail(r, EX_NOUSER,
		    "%s: local part not usable as a mailbox name", rcpt);
	buf_init(&b, outlen - 1);
	for (t = r->o->template; *t != '\0' && !bad; t++) {
		if (*t != '%') {
			bad = buf_putc(&b, *t);
			continue;
		}
		switch (*++t) {
		case 'u': bad = buf_append(&b, p.user, p.userlen); break;
		case 'd':
		case 'a':
			if (!part_safe(p.domain, p.domainlen)) {
				buf_free(&b);
				return lda_fail(r, EX_NOUSER,
				    "%s: domain not usable as a mailbox name",
				    rcpt);
			}
			if (*t == 'a')
				bad = buf_append(&b, p.user, p.userlen) ||
				    buf_putc(&b, '@');
			if (!bad)
				bad = buf_append(&b, p.domain, p.domainlen);
			break;
		case '%': bad = buf_putc(&b, '%'); break;
		default:
			buf_free(&b);
			return lda_fail(r, EX_USAGE,
			    "--maildir-template: unknown %%%c",
			    *t == '\0' ? ' ' : *t);
		}
	}
	if (bad) {
		buf_free(&b);
		return lda_fail(
		    r, EX_NOUSER, "%s: mailbox path too long", rcpt);
	}
	util_strlcpy(out, buf_cstr(&b), outlen);
	buf_free(&b);
	return 0;
}

/*
 * The recipient's passwd-file entry: "user@domain" (without +detail)
 * first, then "user".  1 found, 0 not there, -1 a bad file.
 */
static int
lookup(struct lda_run *r, const char *rcpt, struct passwd_entry *e)
{
	char key[LDA_ADDR_MAX + 1], err[ERR_MAX];
	struct rcpt_parts p;
	int rc = 0;

	rcpt_split(rcpt, &p);
	if (p.domainlen > 0) {
		(void)snprintf(key, sizeof(key), "%.*s@%s", (int)p.userlen,
		    p.user, p.domain);
		rc = passwd_lookup(r->o->passwd_file, key, e, err, sizeof(err));
	}
	if (rc == 0) {
		(void)snprintf(
		    key, sizeof(key), "%.*s", (int)p.userlen, p.user);
		rc = passwd_lookup(r->o->passwd_file, key, e, err, sizeof(err));
	}
	if (rc < 0)
		return lda_fail(r, EX_CONFIG, "--passwd-file %s", err);
	return rc;
}

/* The folder a recipient's +detail names, when it exists under root. */
static const char *
detail_folder(const char *rcpt, const char *root, char *out, size_t outlen)
{
	struct rcpt_parts p;
	char path[PATH_MAX];
	struct stat st;

	rcpt_split(rcpt, &p);
	if (p.detail == NULL || p.detaillen == 0 || p.detaillen >= outlen)
		return NULL;
	memcpy(out, p.detail, p.detaillen);
	out[p.detaillen] = '\0';
	if (maildir_folder_valid(out) != 0 || strcasecmp(out, "INBOX") == 0)
		return NULL;
	if (maildir_folder_path(root, out, path, sizeof(path)) != 0 ||
	    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return out;
}

static struct lda_target *
new_target(
    struct lda_run *r, const char *root, const char *dir, const char *folder)
{
	struct lda_target *t;

	if (r->nt == LDA_TARGETS_MAX) {
		(void)lda_fail(r, EX_USAGE, "too many targets (at most %d)",
		    LDA_TARGETS_MAX);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		(void)lda_fail(r, EX_TEMPFAIL, "%s", strerror(errno));
		return NULL;
	}
	util_strlcpy(t->root, root, sizeof(t->root));
	util_strlcpy(t->dir, dir, sizeof(t->dir));
	util_strlcpy(t->folder, folder, sizeof(t->folder));
	t->f.dfd = -1;
	t->keep = -1;
	t->f.fd = -1;
	buf_init(&t->prefix, 0);
	/* Kept by the run from here: the cleanup frees it on any path. */
	r->t[r->nt++] = t;
	if (r->o->sender != NULL &&
	    buf_printf(&t->prefix, "Return-Path: <%s>\n", r->o->sender) != 0) {
		(void)lda_fail(r, EX_TEMPFAIL, "%s", strerror(errno));
		return NULL;
	}
	return t;
}

/* Find or add the target for root/folder; adds rcpt's Delivered-To. */
static struct lda_target *
add_target(
    struct lda_run *r, const char *root, const char *folder, const char *rcpt)
{
	char dir[PATH_MAX];
	struct lda_target *t = NULL;
	size_t i;

	if (folder == NULL)
		folder = "INBOX";
	if (maildir_folder_path(root, folder, dir, sizeof(dir)) != 0) {
		(void)lda_fail(
		    r, EX_CANTCREAT, "%s: %s", root, strerror(errno));
		return NULL;
	}
	for (i = 0; i < r->nt && t == NULL; i++)
		if (strcmp(r->t[i]->dir, dir) == 0)
			t = r->t[i];
	if (t == NULL && (t = new_target(r, root, dir, folder)) == NULL)
		return NULL;
	if (rcpt != NULL &&
	    buf_printf(&t->prefix, "Delivered-To: %s\n", rcpt) != 0) {
		(void)lda_fail(r, EX_TEMPFAIL, "%s", strerror(errno));
		return NULL;
	}
	return t;
}

/* The entry's uid/gid become t's owner (as root). */
static int
set_owner(struct lda_run *r, struct lda_target *t, const struct passwd_entry *e)
{
	if (!r->as_root)
		return 0;
	if (e->uid < 0 || e->gid < 0)
		return lda_fail(r, EX_CONFIG,
		    "--passwd-file %s:%d: user %s has no uid/gid, and the "
		    "delivery runs as root",
		    r->o->passwd_file, e->line, e->user);
	if (t->has_entry &&
	    (t->uid != (uid_t)e->uid || t->gid != (gid_t)e->gid))
		return lda_fail(r, EX_CONFIG,
		    "%s: two owners in --passwd-file %s", t->root,
		    r->o->passwd_file);
	t->has_entry = 1;
	t->uid = (uid_t)e->uid;
	t->gid = (gid_t)e->gid;
	return 0;
}

/* rcpt into root, or into the folder its +detail names there. */
static struct lda_target *
add_rcpt(struct lda_run *r, const char *root, const char *rcpt)
{
	char detail[MAILDIR_NAME_MAX + 1];
	const char *folder = r->folder;

	if (folder == NULL)
		folder = detail_folder(rcpt, root, detail, sizeof(detail));
	return add_target(r, root, folder, rcpt);
}

/* The Maildir of one recipient: the template's, or the entry's. */
static int
plan_rcpt(struct lda_run *r, const char *rcpt, struct passwd_entry *e)
{
	char root[PATH_MAX];
	struct lda_target *t;
	int found = 0;

	if (r->o->passwd_file != NULL && (found = lookup(r, rcpt, e)) < 0)
		return -1;
	if (r->o->template != NULL) {
		if (expand(r, rcpt, root, sizeof(root)) != 0)
			return -1;
	} else if (!found)
		return lda_fail(r, EX_NOUSER, "%s: no such user in %s", rcpt,
		    r->o->passwd_file);
	else if (e->maildir[0] == '\0')
		return lda_fail(r, EX_CONFIG,
		    "--passwd-file %s:%d: user %s has no maildir, and no "
		    "--maildir-template was given",
		    r->o->passwd_file, e->line, e->user);
	else
		util_strlcpy(root, e->maildir, sizeof(root));
	if ((t = add_rcpt(r, root, rcpt)) == NULL)
		return -1;
	t->from_rcpt = 1;
	return found ? set_owner(r, t, e) : 0;
}

int
lda_plan(struct lda_run *r)
{
	struct passwd_entry *e;
	size_t i, j;
	int rc = 0;

	if (r->nrcpts == 0) {
		for (j = 0; j < r->o->nroots; j++)
			if (add_target(r, r->o->roots[j], r->folder, NULL) ==
			    NULL)
				return -1;
		return 0;
	}
	/* struct passwd_entry is large: not on the stack. */
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return lda_fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	for (i = 0; i < r->nrcpts && rc == 0; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(r->rcpts[i], r->rcpts[j]) == 0)
				break;
		if (j < i)
			continue; /* the same recipient twice */
		if (r->o->template != NULL || r->o->passwd_file != NULL)
			rc = plan_rcpt(r, r->rcpts[i], e);
		else
			for (j = 0; j < r->o->nroots && rc == 0; j++)
				if (add_rcpt(r, r->o->roots[j], r->rcpts[i]) ==
				    NULL)
					rc = -1;
	}
	util_wipe(e, sizeof(*e));
	free(e);
	return rc;
}
