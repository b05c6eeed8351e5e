/*
 * lda.c: local delivery's entry point (see lda.h): the checks that keep
 * the module safe whoever calls it, the run, failures as a result, and
 * the cleanup every path goes through.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lda_impl.h"
#include "util.h"

int
lda_addr_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t i, len = strlen(a);

	if (len == 0 || len > LDA_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return 0;
	}
	if (at != NULL &&
	    (at == a || at[1] == '\0' ||
		(size_t)(at - a) > SMTP_LOCALPART_MAX ||
		strlen(at + 1) > SMTP_DOMAIN_MAX))
		return 0;
	return 1;
}

/* Record code and why in res, one line. */
static int
set_result(struct lda_result *res, int code, const char *fmt, va_list ap)
{
	char *p;

	res->code = code;
	(void)vsnprintf(res->why, sizeof(res->why), fmt, ap);
	for (p = res->why; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return -1;
}

static int refuse(struct lda_result *res, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct lda_result *res, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)set_result(res, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
lda_fail(struct lda_run *r, int code, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	for (i = 0; i < r->nt; i++)
		maildir_abort(&r->t[i]->f);
	if (r->res->code != 0)
		return -1;
	va_start(ap, fmt);
	(void)set_result(r->res, code != 0 ? code : EX_SOFTWARE, fmt, ap);
	va_end(ap);
	return -1;
}

int
lda_errno_code(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG: /* a file size limit: quota-like */
	case EAGAIN:
	case EINTR:
	case EIO:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case EBUSY:
	case ETIMEDOUT:
	case ESTALE:
	case ENOLCK:
	case EEXIST: return EX_TEMPFAIL;
	default: return EX_CANTCREAT; /* ELOOP (a symbolic link) too */
	}
}

/*
 * What the module needs of its caller, whoever it is: bounds and
 * combinations that make sense, addresses that cannot break a header.
 * (mdeliver checks the same first, with its options' names.)
 */
static int
check(const struct lda_opts *o, int fd, char *const *rcpts, size_t nrcpts,
    struct lda_result *res)
{
	size_t i;

	if (fd < 0)
		return refuse(res, EX_USAGE, "no message to deliver");
	if (nrcpts > LDA_RCPT_MAX)
		return refuse(res, EX_USAGE, "too many recipients (at most %d)",
		    LDA_RCPT_MAX);
	if (o->nroots > LDA_ROOTS_MAX)
		return refuse(res, EX_USAGE, "too many Maildirs (at most %d)",
		    LDA_ROOTS_MAX);
	if ((nrcpts > 0 && rcpts == NULL) ||
	    (o->nroots > 0 && o->roots == NULL))
		return refuse(res, EX_USAGE, "recipients or Maildirs missing");
	if (o->template != NULL && (o->nroots > 0 || nrcpts == 0))
		return refuse(res, EX_USAGE,
		    "a Maildir template needs recipients and no Maildirs");
	if (o->passwd_file != NULL && (o->nroots > 0 || nrcpts == 0))
		return refuse(res, EX_USAGE,
		    "a passwd-file needs recipients and no Maildirs");
	if (o->template == NULL && o->passwd_file == NULL && o->nroots == 0)
		return refuse(res, EX_USAGE, "no Maildir to deliver to");
	for (i = 0; i < o->nroots; i++)
		if (o->roots[i] == NULL || o->roots[i][0] == '\0')
			return refuse(res, EX_USAGE, "empty Maildir path");
	if (o->folder != NULL && maildir_folder_valid(o->folder) != 0)
		return refuse(
		    res, EX_USAGE, "folder: not a valid Maildir++ folder name");
	if (o->max_size < 0)
		return refuse(res, EX_USAGE, "negative maximum size");
	if (o->sender != NULL && o->sender[0] != '\0' &&
	    !lda_addr_valid(o->sender))
		return refuse(res, EX_USAGE, "not a valid envelope sender");
	for (i = 0; i < nrcpts; i++)
		if (rcpts[i] == NULL || !lda_addr_valid(rcpts[i]))
			return refuse(res, EX_NOUSER,
			    "recipient %zu: not a valid address", i + 1);
	return 0;
}

/*
 * A namer of the run's own: its counter starts from the monotonic
 * clock, so that calls one after the other in one process never make
 * the same name even when the wall clock steps back.
 */
static void
own_namer(struct lda_run *r)
{
	struct timespec ts;

	maildir_namer_init(&r->own, NULL);
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		r->own.seq = (unsigned long)ts.tv_sec * 1000000000UL +
		    (unsigned long)ts.tv_nsec;
	r->namer = &r->own;
}

/* Undo what is not delivered, close and free everything of the run. */
static void
cleanup(struct lda_run *r)
{
	struct lda_target *t;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		maildir_abort(&t->f);
		if (t->keep >= 0)
			(void)close(t->keep);
		buf_free(&t->prefix);
		free(t);
	}
	if (r->spool >= 0)
		(void)close(r->spool);
	free(r);
}

int
lda_deliver(const struct lda_opts *o, int fd, char *const *rcpts, size_t nrcpts,
    struct lda_result *res)
{
	struct lda_run *r;
	int rc;

	if (res == NULL)
		return EX_SOFTWARE;
	res->code = 0;
	res->why[0] = '\0';
	if (o == NULL) {
		(void)refuse(res, EX_SOFTWARE, "no options");
		return res->code;
	}
	if (check(o, fd, rcpts, nrcpts, res) != 0)
		return res->code;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		(void)refuse(res, EX_TEMPFAIL, "%s", strerror(errno));
		return res->code;
	}
	r->o = o;
	r->folder = o->folder != NULL && strcasecmp(o->folder, "INBOX") != 0
	    ? o->folder
	    : NULL;
	r->in = fd;
	r->rcpts = rcpts;
	r->nrcpts = nrcpts;
	r->as_root = geteuid() == 0;
	r->group = LDA_GROUP_ALL;
	r->spool = -1;
	r->res = res;
	if (o->namer == NULL)
		own_namer(r);
	else {
		r->namer = o->namer;
		if (r->namer->pid != (long)getpid())
			r->namer->pid = (long)getpid();
	}
	if ((rc = lda_plan(r)) == 0 && r->nt == 0)
		rc = lda_fail(r, EX_SOFTWARE, "no target to deliver to");
	if (rc == 0)
		rc = r->as_root ? lda_owner_deliver(r) : lda_stream_direct(r);
	if (rc != 0 && res->code == 0)
		(void)refuse(res, EX_TEMPFAIL, "delivery failed");
	cleanup(r);
	return res->code;
}
