/*
 * fetch_deliver.c: one retrieved message into the Maildir (through the
 * maildir module: tmp file, fsync, link into new/, fsync of new/) or
 * into a spool file that an MDA then reads on its stdin (run by
 * common/proc, at most FETCH_MDA_TIMEOUT seconds).
 *
 * libcurl hands over the message with the POP3 byte-stuffing and the
 * final "." removed (RFC 1939 §3); lines end in CRLF on the wire and
 * in LF on disk, as mdeliver writes them.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "fetch.h"
#include "mpop.h"
#include "msg.h"
#include "proc.h"
#include "util.h"

int
sink_spool_open(struct sink *s, char *err, size_t errlen)
{
	s->spool = util_spool_open(PROG, err, errlen);
	return s->spool == -1 ? -1 : 0;
}

int
sink_start(struct sink *s, const char *maildir, struct maildir_namer *nm,
    char *err, size_t errlen)
{
	s->cr = 0;
	s->size = 0;
	s->raw = 0;
	s->tail[0] = s->tail[1] = '\0';
	s->too_big = 0;
	s->err_no = 0;
	s->err[0] = '\0';
	if (s->use_maildir)
		return maildir_open(&s->mf, maildir, nm, err, errlen);
	if (ftruncate(s->spool, 0) == -1 ||
	    lseek(s->spool, 0, SEEK_SET) == -1) {
		util_seterr(err, errlen, "spool: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
out(struct sink *s, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (s->max > 0 && s->size + (long long)n > s->max) {
		s->too_big = 1;
		util_seterr(s->err, sizeof(s->err),
		    "larger than the --max-size of %lld bytes", s->max);
		return -1;
	}
	s->size += (long long)n;
	if (s->use_maildir) {
		if (maildir_write(&s->mf, p, n, s->err, sizeof(s->err)) == -1) {
			s->err_no = errno;
			return -1;
		}
		return 0;
	}
	if (util_write_all(s->spool, p, n) == -1) {
		s->err_no = errno;
		util_seterr(
		    s->err, sizeof(s->err), "spool: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sink_write(struct sink *s, const char *p, size_t n)
{
	char b[16384];
	size_t i, o = 0;

	if (n >= 2) {
		s->tail[0] = p[n - 2];
		s->tail[1] = p[n - 1];
	} else if (n == 1) {
		s->tail[0] = s->tail[1];
		s->tail[1] = p[0];
	}
	s->raw += (long long)n;
	for (i = 0; i < n; i++) {
		if (s->cr) {
			s->cr = 0;
			/* CRLF -> LF; a bare CR stays. */
			if (p[i] != '\n')
				b[o++] = '\r';
		}
		if (p[i] == '\r') {
			s->cr = 1;
			continue;
		}
		b[o++] = p[i];
		if (o >= sizeof(b) - 1) {
			if (out(s, b, o) == -1)
				return -1;
			o = 0;
		}
	}
	return out(s, b, o);
}

int
sink_end(struct sink *s, char *err, size_t errlen)
{
	if (s->cr) {
		s->cr = 0;
		if (out(s, "\r", 1) == -1) {
			util_strlcpy(err, s->err, errlen);
			return -1;
		}
	}
	/* The Maildir file is synced with its batch (see flush_batch). */
	return 0;
}

void
sink_abort(struct sink *s)
{
	if (s->use_maildir)
		maildir_abort(&s->mf);
}

void
mda_sender(int spool, char *out, size_t outlen)
{
	struct msg_iter it;
	struct msg_field f;
	char *head;
	ssize_t n;
	size_t a, b;

	out[0] = '\0';
	if ((head = malloc(FETCH_HEADER_PEEK)) == NULL)
		return;
	n = pread(spool, head, FETCH_HEADER_PEEK, 0);
	if (n <= 0) {
		free(head);
		return;
	}
	msg_iter_init(&it, head, (size_t)n);
	while (msg_iter_next(&it, &f) == 1) {
		if (!msg_field_is(&f, "Return-Path"))
			continue;
		/* RFC 5322 §3.6.7: "<" [addr-spec] ">"; take what is
		   between the brackets, refuse what no address holds. */
		for (a = 0; a < f.valuelen && f.value[a] != '<'; a++)
			;
		for (b = a; b < f.valuelen && f.value[b] != '>'; b++)
			;
		if (a < f.valuelen && b < f.valuelen &&
		    b - a - 1 <= SMTP_PATH_MAX && b - a - 1 < outlen) {
			size_t i, l = b - a - 1;

			for (i = 0; i < l; i++)
				if ((unsigned char)f.value[a + 1 + i] <= 0x20 ||
				    f.value[a + 1 + i] == 0x7f)
					break;
			if (i == l) {
				memcpy(out, f.value + a + 1, l);
				out[l] = '\0';
			}
		}
		break;
	}
	msg_iter_free(&it);
	free(head);
}

int
mda_run(char *const *tmpl, int spool, char *err, size_t errlen)
{
	char *argv[FETCH_ARGV_MAX + 1], from[SMTP_PATH_MAX + 1], how[128];
	struct proc_spec sp;
	struct proc_result r;
	size_t n, i;
	int rc = -1;

	mda_sender(spool, from, sizeof(from));
	for (n = 0; tmpl[n] != NULL && n < FETCH_ARGV_MAX; n++)
		if ((argv[n] = util_expand_sender(tmpl[n], from)) == NULL) {
			util_seterr(err, errlen, "%s", strerror(errno));
			goto out;
		}
	argv[n] = NULL;
	if (lseek(spool, 0, SEEK_SET) == -1) {
		util_seterr(err, errlen, "%s: %s", argv[0], strerror(errno));
		goto out;
	}
	/* The message on stdin; stdout and stderr are ours, as a
	   command's run by hand. */
	proc_spec_init(&sp, argv);
	sp.in = PROC_FD;
	sp.in_fd = spool;
	sp.out = PROC_INHERIT;
	sp.err = PROC_INHERIT;
	sp.timeout_ms = FETCH_MDA_TIMEOUT * 1000;
	if (proc_run(&sp, &r) == 0) {
		rc = 0;
		goto out;
	}
	(void)proc_describe(&sp, &r, how, sizeof(how));
	switch (r.how) {
	case PROC_EXITED:
		rc = r.code;
		util_seterr(err, errlen, "%s %s%s", argv[0], how,
		    rc == EX_TEMPFAIL ? " (try again later)" : "");
		break;
	case PROC_SIGNALED:
		util_seterr(err, errlen, "%s %s", argv[0], how);
		break;
	case PROC_TIMEDOUT:
	case PROC_NOSTART:
		/* Nothing was delivered: try again later. */
		rc = yerr_exit(proc_class(&r));
		util_seterr(err, errlen, "%s%s %s (try again later)", argv[0],
		    r.how == PROC_NOSTART ? ":" : "", how);
		break;
	}
out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	return rc;
}
