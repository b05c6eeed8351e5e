/*
 * serve_maildrop.c: the maildrop of a `mpop serve' session and the
 * TRANSACTION and UPDATE states (RFC 1939 §5, §6): STAT, LIST, UIDL,
 * RETR, TOP, DELE, RSET and QUIT.
 *
 * Maildir semantics: the message list is fixed when the maildrop is
 * opened (and locked: a second session gets [IN-USE]); RETR moves a
 * message from new/ to cur/ and adds the S flag; DELE only marks, RSET
 * unmarks; QUIT in TRANSACTION unlinks the marked messages and answers
 * +OK only after the directories are fsynced.  A dropped connection, a
 * timeout or SIGTERM deletes nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"
#include "server.h"
#include "util.h"

/* Bytes of a message read and encoded at a time for RETR and TOP. */
#define RETR_CHUNK 65536

long long
maildrop_total(struct sess *s, size_t *count)
{
	long long total = 0, sz;
	size_t i;

	*count = 0;
	for (i = 0; i < s->mb.n; i++) {
		if (s->deleted[i])
			continue;
		(*count)++;
		/* STAT without reading bodies (the wire size when known,
		   else the size on disk): a large maildrop logs in fast. */
		if ((sz = mailbox_size_quick(&s->mb, i)) > 0)
			total += sz;
	}
	return total;
}

/*
 * Open and lock the maildrop and enter TRANSACTION.  Answers the
 * client either way.  Returns 0, or -1 when the session must end.
 */
int
maildrop_open(struct sess *s, const char *dir)
{
	char e[ERR_MAX];
	size_t count;
	long long total;

	if (mailbox_open(&s->mb, dir, MAILBOX_POP3_EXCL, e, sizeof(e)) == -1) {
		int saved = errno;

		if (saved == EWOULDBLOCK || saved == EAGAIN) {
			/* RFC 2449 §8.1.2. */
			log_info(s->c->log, "%s: maildrop in use", dir);
			sess_resp(s, 0, POP3_CODE_IN_USE,
			    "maildrop is locked by another session");
			s->result = "in-use";
		} else {
			log_err(s->c->log, "%s", e);
			sess_resp(s, 0,
			    saved == ENOENT || saved == ENOTDIR ||
				    saved == EACCES || saved == EFBIG
				? POP3_CODE_SYS_PERM
				: POP3_CODE_SYS_TEMP,
			    "cannot open maildrop");
			s->result = "maildrop-error";
		}
		s->errors++;
		return -1;
	}
	s->mb_open = 1;
	if (s->mb.reset || s->mb.repaired)
		log_warn(s->c->log, "%s", e);
	if ((s->deleted = calloc(s->mb.n ? s->mb.n : 1, 1)) == NULL) {
		sess_resp(s, 0, POP3_CODE_SYS_TEMP, "out of memory");
		s->result = "out-of-memory";
		return -1;
	}
	s->state = ST_TRANS;
	total = maildrop_total(s, &count);
	sess_resp(s, 1, POP3_CODE_NONE,
	    "maildrop has %zu message%s (%lld octets)", count,
	    count == 1 ? "" : "s", total);
	return 0;
}

/* ---------------------------------------------------------------- transaction
 */

/*
 * A message-number argument: its index, or (size_t)-1 after an -ERR
 * (RFC 1939 §5: deleted messages may not be referred to).
 */
static size_t
msg_arg(struct sess *s, const char *a, size_t len)
{
	unsigned long n;

	if (pop3_num_parse(a, len, (unsigned long)-1 / 2, &n) == -1) {
		sess_err(s, POP3_CODE_NONE, "invalid message number");
		return (size_t)-1;
	}
	if (n == 0 || n > s->mb.n) {
		sess_err(s, POP3_CODE_NONE, "no such message");
		return (size_t)-1;
	}
	if (s->deleted[n - 1]) {
		sess_err(s, POP3_CODE_NONE, "message %lu is deleted", n);
		return (size_t)-1;
	}
	return n - 1;
}

void
drop_stat(struct sess *s)
{
	size_t count;
	long long total = maildrop_total(s, &count);

	sess_resp(s, 1, POP3_CODE_NONE, "%zu %lld", count, total);
}

/*
 * The size LIST gives (RFC 1939 §5: exact, as fetchmail and getmail
 * check it): ",W=" from the name or the size the UID list remembers;
 * a file another MDA wrote is read once and its bare LFs counted, and
 * the count is kept in the UID list when the session ends.  0 when
 * unreadable.
 */
static long long
msg_size(struct sess *s, size_t i)
{
	long long sz = mailbox_size(&s->mb, i);

	return sz < 0 ? 0 : sz;
}

int
drop_list(struct sess *s, const struct pop3_cmd *cmd, int uidl)
{
	char u[POP3_UIDL_LEN + 1];
	size_t i;

	if (cmd->nargs == 1) {
		if ((i = msg_arg(s, cmd->arg[0], cmd->arglen[0])) == (size_t)-1)
			return 0;
		if (uidl) {
			pop3_uidl_make(
			    s->mb.uidvalidity, s->mb.msgs[i].uid, u, sizeof(u));
			sess_resp(s, 1, POP3_CODE_NONE, "%zu %s", i + 1, u);
		} else
			sess_resp(s, 1, POP3_CODE_NONE, "%zu %lld", i + 1,
			    msg_size(s, i));
		return 0;
	}
	sess_resp(s, 1, POP3_CODE_NONE, "%s listing follows",
	    uidl ? "unique-id" : "scan");
	for (i = 0; i < s->mb.n; i++) {
		if (s->deleted[i])
			continue;
		if (uidl) {
			pop3_uidl_make(
			    s->mb.uidvalidity, s->mb.msgs[i].uid, u, sizeof(u));
			(void)io_printf(&s->io, "%zu %s\r\n", i + 1, u);
		} else
			(void)io_printf(
			    &s->io, "%zu %lld\r\n", i + 1, msg_size(s, i));
		/* Keep the output queue bounded on a large maildrop. */
		if (s->io.wbuf.len >= RETR_CHUNK && io_flush(&s->io) == -1)
			return -1;
	}
	(void)io_puts(&s->io, ".\r\n");
	return 0;
}

/* Mark message i seen: new/ -> cur/ with S added (Maildir flags are
   kept in ASCII order). */
static void
mark_seen(struct sess *s, size_t i)
{
	char flags[64], nf[64], e[ERR_MAX];
	size_t k, j = 0;
	int added = 0;

	mailbox_flags(&s->mb, i, flags, sizeof(flags));
	if (s->c->no_seen) {
		if (s->mb.msgs[i].sub == MAILBOX_CUR)
			return;
		util_strlcpy(nf, flags, sizeof(nf));
	} else {
		if (strchr(flags, 'S') != NULL &&
		    s->mb.msgs[i].sub == MAILBOX_CUR)
			return;
		for (k = 0; flags[k] != '\0' && j + 2 < sizeof(nf); k++) {
			if (!added && flags[k] > 'S') {
				nf[j++] = 'S';
				added = 1;
			}
			if (flags[k] == 'S')
				added = 1;
			nf[j++] = flags[k];
		}
		if (!added && j + 1 < sizeof(nf))
			nf[j++] = 'S';
		nf[j] = '\0';
	}
	if (mailbox_set_flags(&s->mb, i, nf, e, sizeof(e)) == -1)
		log_warn(s->c->log, "%s", e);
}

/*
 * RETR (top < 0) and TOP: "+OK", the encoded message, ".".  -1 when
 * the connection must close (a read error after "+OK" cannot be told
 * to the client any other way).
 */
int
drop_retr(struct sess *s, const struct pop3_cmd *cmd, int top)
{
	struct pop3_enc e;
	char *chunk, er[ERR_MAX];
	unsigned long lines = 0;
	size_t i;
	ssize_t r;
	int fd, rc = 0;

	if ((i = msg_arg(s, cmd->arg[0], cmd->arglen[0])) == (size_t)-1)
		return 0;
	if (top &&
	    pop3_num_parse(cmd->arg[1], cmd->arglen[1], (unsigned long)1 << 40,
		&lines) == -1) {
		sess_err(s, POP3_CODE_NONE, "invalid number of lines");
		return 0;
	}
	if ((fd = mailbox_open_msg(&s->mb, i, er, sizeof(er))) == -1) {
		if (errno == ENOENT) {
			sess_resp(s, 0, POP3_CODE_NONE,
			    "message %zu was removed by another client", i + 1);
			return 0;
		}
		log_err(s->c->log, "%s", er);
		sess_resp(
		    s, 0, POP3_CODE_SYS_TEMP, "cannot read message %zu", i + 1);
		return 0;
	}
	if ((chunk = malloc(RETR_CHUNK)) == NULL) {
		close(fd);
		sess_resp(s, 0, POP3_CODE_SYS_TEMP, "out of memory");
		return 0;
	}
	if (top)
		sess_resp(s, 1, POP3_CODE_NONE, "top of message follows");
	else if (s->mb.msgs[i].size >= 0) /* exact: name, list or LIST */
		sess_resp(s, 1, POP3_CODE_NONE, "%lld octets", msg_size(s, i));
	else
		sess_resp(s, 1, POP3_CODE_NONE, "message follows");
	pop3_enc_init(&e, top ? (long long)lines : -1);
	while (!e.done) {
		r = read(fd, chunk, RETR_CHUNK);
		if (r == -1 && errno == EINTR && !server_terminating())
			continue;
		if (r == -1) {
			log_err(s->c->log, "message %zu: read: %s", i + 1,
			    strerror(errno));
			s->result = "read-error";
			rc = -1;
			break;
		}
		if (r == 0)
			break;
		buf_reset(&s->enc);
		/* io_write sends whenever enough is queued; the end goes
		   out with the final ".", in one write for a small message. */
		if (pop3_enc_chunk(&e, chunk, (size_t)r, &s->enc) == -1 ||
		    io_write(&s->io, s->enc.data, s->enc.len) == -1) {
			rc = -1;
			break;
		}
	}
	free(chunk);
	close(fd);
	if (rc == -1)
		return -1;
	buf_reset(&s->enc);
	if (pop3_enc_end(&e, &s->enc) == -1 ||
	    io_write(&s->io, s->enc.data, s->enc.len) == -1)
		return -1;
	if (!top) {
		s->nretr++;
		s->bytes += e.octets;
		mark_seen(s, i);
	}
	return 0;
}

void
drop_dele(struct sess *s, const struct pop3_cmd *cmd)
{
	size_t i;

	if ((i = msg_arg(s, cmd->arg[0], cmd->arglen[0])) == (size_t)-1)
		return;
	s->deleted[i] = 1;
	s->ndeleted++;
	sess_resp(s, 1, POP3_CODE_NONE, "message %zu deleted", i + 1);
}

void
drop_rset(struct sess *s)
{
	size_t count;
	long long total;

	memset(s->deleted, 0, s->mb.n);
	s->ndeleted = 0;
	total = maildrop_total(s, &count);
	sess_resp(s, 1, POP3_CODE_NONE,
	    "maildrop has %zu message%s (%lld octets)", count,
	    count == 1 ? "" : "s", total);
}

/* QUIT in TRANSACTION: the UPDATE state (RFC 1939 §6). */
void
drop_update(struct sess *s)
{
	size_t *idx, i, n = 0;
	char e[ERR_MAX];

	s->state = ST_UPDATE;
	s->quit = 1;
	if (s->ndeleted == 0) {
		sess_resp(s, 1, POP3_CODE_NONE, "bye");
		s->result = "quit";
		return;
	}
	if ((idx = calloc(s->ndeleted, sizeof(*idx))) == NULL) {
		sess_resp(
		    s, 0, POP3_CODE_SYS_TEMP, "out of memory, nothing deleted");
		s->result = "out-of-memory";
		return;
	}
	for (i = 0; i < s->mb.n && n < s->ndeleted; i++)
		if (s->deleted[i])
			idx[n++] = i;
	/* +OK only once the unlinks are fsynced. */
	if (mailbox_expunge(&s->mb, idx, n, e, sizeof(e)) == -1) {
		log_err(s->c->log, "%s", e);
		sess_resp(s, 0, POP3_CODE_SYS_TEMP,
		    "some deleted messages not removed");
		s->result = "expunge-error";
	} else {
		s->ndele = n;
		sess_resp(s, 1, POP3_CODE_NONE, "bye, %zu message%s deleted", n,
		    n == 1 ? "" : "s");
		s->result = "quit";
	}
	free(idx);
}
