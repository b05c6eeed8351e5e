/*
 * plan.c: recipients to targets.  A target is one Maildir folder; the
 * recipients that lead to it share one copy with one Delivered-To line
 * each.  Targets come from --maildir-template, from the passwd-file's
 * maildir field, or from --maildir (and $HOME/Maildir).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "mdeliver.h"
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

/* Expand the template for one recipient into out; exits on refusal. */
static void
expand(struct run *r, const char *rcpt, char *out, size_t outlen)
{
	struct rcpt_parts p;
	struct buf b;
	const char *t;
	int bad = 0;

	rcpt_split(rcpt, &p);
	/* Refuse what could leave the directory the template names. */
	if (!part_safe(p.user, p.locallen) || !part_safe(p.user, p.userlen))
		fail(r, EX_NOUSER,
		    "%s: local part not usable as a mailbox name", rcpt);
	buf_init(&b, outlen - 1);
	for (t = r->template; *t != '\0' && !bad; t++) {
		if (*t != '%') {
			bad = buf_putc(&b, *t);
			continue;
		}
		switch (*++t) {
		case 'u': bad = buf_append(&b, p.user, p.userlen); break;
		case 'd':
		case 'a':
			if (!part_safe(p.domain, p.domainlen))
				fail(r, EX_NOUSER,
				    "%s: domain not usable as a mailbox name",
				    rcpt);
			if (*t == 'a')
				bad = buf_append(&b, p.user, p.userlen) ||
				    buf_putc(&b, '@');
			if (!bad)
				bad = buf_append(&b, p.domain, p.domainlen);
			break;
		case '%': bad = buf_putc(&b, '%'); break;
		default:
			buf_free(&b);
			fail(r, EX_USAGE, "--maildir-template: unknown %%%c",
			    *t == '\0' ? ' ' : *t);
		}
	}
	if (bad) {
		buf_free(&b);
		fail(r, EX_NOUSER, "%s: mailbox path too long", rcpt);
	}
	util_strlcpy(out, buf_cstr(&b), outlen);
	buf_free(&b);
}

/*
 * The recipient's passwd-file entry: "user@domain" (without +detail)
 * first, then "user".  1 found, 0 not there; exits on a bad file.
 */
static int
lookup(struct run *r, const char *rcpt, struct passwd_entry *e)
{
	char key[ADDR_MAX + 1], err[ERR_MAX];
	struct rcpt_parts p;
	int rc = 0;

	rcpt_split(rcpt, &p);
	if (p.domainlen > 0) {
		(void)snprintf(key, sizeof(key), "%.*s@%s", (int)p.userlen,
		    p.user, p.domain);
		rc = passwd_lookup(r->passwd_file, key, e, err, sizeof(err));
	}
	if (rc == 0) {
		(void)snprintf(
		    key, sizeof(key), "%.*s", (int)p.userlen, p.user);
		rc = passwd_lookup(r->passwd_file, key, e, err, sizeof(err));
	}
	if (rc < 0)
		fail(r, EX_CONFIG, "--passwd-file %s", err);
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

static struct target *
new_target(struct run *r, const char *root, const char *dir, const char *folder)
{
	struct target *t;

	if (r->nt == TARGETS_MAX)
		fail(r, EX_USAGE, "too many targets (at most %d)", TARGETS_MAX);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	util_strlcpy(t->root, root, sizeof(t->root));
	util_strlcpy(t->dir, dir, sizeof(t->dir));
	util_strlcpy(t->folder, folder, sizeof(t->folder));
	t->f.dfd = -1;
	t->keep = -1;
	t->f.fd = -1;
	buf_init(&t->prefix, 0);
	if (r->sender != NULL &&
	    buf_printf(&t->prefix, "Return-Path: <%s>\n", r->sender) != 0)
		fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	r->t[r->nt++] = t;
	return t;
}

/* Find or add the target for root/folder; adds rcpt's Delivered-To. */
static struct target *
add_target(
    struct run *r, const char *root, const char *folder, const char *rcpt)
{
	char dir[PATH_MAX];
	struct target *t = NULL;
	size_t i;

	if (folder == NULL)
		folder = "INBOX";
	if (maildir_folder_path(root, folder, dir, sizeof(dir)) != 0)
		fail(r, EX_CANTCREAT, "%s: %s", root, strerror(errno));
	for (i = 0; i < r->nt && t == NULL; i++)
		if (strcmp(r->t[i]->dir, dir) == 0)
			t = r->t[i];
	if (t == NULL)
		t = new_target(r, root, dir, folder);
	if (rcpt != NULL &&
	    buf_printf(&t->prefix, "Delivered-To: %s\n", rcpt) != 0)
		fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	return t;
}

/* The entry's uid/gid become t's owner (as root). */
static void
set_owner(struct run *r, struct target *t, const struct passwd_entry *e)
{
	if (!r->as_root)
		return;
	if (e->uid < 0 || e->gid < 0)
		fail(r, EX_CONFIG,
		    "--passwd-file %s:%d: user %s has no uid/gid, and mdeliver "
		    "runs as root",
		    r->passwd_file, e->line, e->user);
	if (t->has_entry &&
	    (t->uid != (uid_t)e->uid || t->gid != (gid_t)e->gid))
		fail(r, EX_CONFIG, "%s: two owners in --passwd-file %s",
		    t->root, r->passwd_file);
	t->has_entry = 1;
	t->uid = (uid_t)e->uid;
	t->gid = (gid_t)e->gid;
}

/* rcpt into root, or into the folder its +detail names there. */
static struct target *
add_rcpt(struct run *r, const char *root, const char *rcpt)
{
	char detail[MAILDIR_NAME_MAX + 1];
	const char *folder = r->folder;

	if (folder == NULL)
		folder = detail_folder(rcpt, root, detail, sizeof(detail));
	return add_target(r, root, folder, rcpt);
}

/* The Maildir of one recipient: the template's, or the entry's. */
static void
plan_rcpt(struct run *r, const char *rcpt, struct passwd_entry *e)
{
	char root[PATH_MAX];
	struct target *t;
	int found = 0;

	if (r->passwd_file != NULL)
		found = lookup(r, rcpt, e);
	if (r->template != NULL)
		expand(r, rcpt, root, sizeof(root));
	else if (!found)
		fail(r, EX_NOUSER, "%s: no such user in %s", rcpt,
		    r->passwd_file);
	else if (e->maildir[0] == '\0')
		fail(r, EX_CONFIG,
		    "--passwd-file %s:%d: user %s has no maildir, and no "
		    "--maildir-template was given",
		    r->passwd_file, e->line, e->user);
	else
		util_strlcpy(root, e->maildir, sizeof(root));
	t = add_rcpt(r, root, rcpt);
	t->from_rcpt = 1;
	if (found)
		set_owner(r, t, e);
}

void
plan(struct run *r)
{
	struct passwd_entry *e;
	size_t i, j;

	if (r->nrcpts == 0) {
		for (j = 0; j < r->nroots; j++)
			(void)add_target(r, r->roots[j], r->folder, NULL);
		return;
	}
	/* struct passwd_entry is large: not on the stack. */
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	for (i = 0; i < r->nrcpts; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(r->rcpts[i], r->rcpts[j]) == 0)
				break;
		if (j < i)
			continue; /* the same recipient twice */
		if (r->template != NULL || r->passwd_file != NULL)
			plan_rcpt(r, r->rcpts[i], e);
		else
			for (j = 0; j < r->nroots; j++)
				(void)add_rcpt(r, r->roots[j], r->rcpts[i]);
	}
	util_wipe(e, sizeof(*e));
	free(e);
}
