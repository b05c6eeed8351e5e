/*
 * queue_fuzz: the queue file's codec (queue_env_parse and
 * queue_journal_apply).  The input is an envelope; when it parses, the
 * rest of the input after the header is taken as the journal (the
 * message being empty).  Checks the promises, not only the absence of
 * crashes: the header length lies within the input and ends in a blank
 * line; a parsed envelope formats into one that parses back to the same
 * recipients; the journal's taken length ends at a LF; every state is
 * one of the three; a recipient's line written by queue_journal_rcpt
 * applies back to the same outcome.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
check_same(const struct queue_env *a, const struct queue_env *b)
{
	size_t i;

	if (!same_str(a->envid, b->envid) || !same_str(a->origin, b->origin))
		abort();
	if (a->nr != b->nr || strcmp(a->id, b->id) != 0 ||
	    strcmp(a->from, b->from) != 0 || a->ret != b->ret ||
	    a->eightbit != b->eightbit || a->smtputf8 != b->smtputf8 ||
	    a->created != b->created)
		abort();
	for (i = 0; i < a->nr; i++)
		if (strcmp(a->r[i].addr, b->r[i].addr) != 0 ||
		    a->r[i].notify != b->r[i].notify ||
		    (a->r[i].orcpt == NULL) != (b->r[i].orcpt == NULL) ||
		    (a->r[i].orcpt != NULL &&
			strcmp(a->r[i].orcpt, b->r[i].orcpt) != 0))
			abort();
}

/* A refusal says why, and a word it quotes, "... (word)", is one it
   read: some of the input. */
static void
check_err(const char *err, const uint8_t *d, size_t n)
{
	static const char *const pre[] = {
	    "a bad envelope line (", "a bad journal line ("};
	const char *o = NULL;
	size_t len, i;

	if (err[0] == '\0')
		abort();
	for (i = 0; i < 2 && o == NULL; i++)
		if (strncmp(err, pre[i], strlen(pre[i])) == 0)
			o = err + strlen(pre[i]);
	if (o == NULL)
		return;
	len = strlen(o);
	if (len > 0 && o[len - 1] == ')')
		len--;
	for (i = 0; len > 0 && i + len <= n; i++)
		if (memcmp(d + i, o, len) == 0)
			return;
	if (len > 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct queue_env e, f;
	char err[ERR_MAX];
	struct buf b;
	ssize_t h, j;
	size_t i;

	queue_env_init(&e);
	queue_env_init(&f);
	buf_init(&b, QUEUE_HEADER_MAX + QUEUE_JOURNAL_MAX);
	err[0] = '\0';
	h = queue_env_parse(&e, (const char *)d, n, err, sizeof(err));
	if (h < 0)
		check_err(err, d, n);
	if (h <= 0)
		goto out;
	if ((size_t)h > n || h < 2 || d[h - 1] != '\n' || d[h - 2] != '\n')
		abort();
	/* Format and parse back. */
	if (queue_env_format(&e, 0, &b) == -1)
		goto out;
	if (queue_env_parse(&f, b.data, b.len, err, sizeof(err)) !=
	    (ssize_t)b.len)
		abort();
	check_same(&e, &f);
	/* The journal. */
	err[0] = '\0';
	j = queue_journal_apply(&e, (const char *)d + h, n - (size_t)h, err,
	    sizeof(err));
	if (j < 0) {
		check_err(err, d + h, n - (size_t)h);
		goto out;
	}
	if ((size_t)j > n - (size_t)h || (j > 0 && d[h + j - 1] != '\n'))
		abort();
	buf_reset(&b);
	for (i = 0; i < e.nr; i++) {
		if (e.r[i].state != QUEUE_PENDING &&
		    e.r[i].state != QUEUE_SENT && e.r[i].state != QUEUE_FAILED)
			abort();
		if (queue_journal_rcpt(&e, i, &b) == -1)
			goto out;
	}
	if (queue_journal_apply(&f, b.data, b.len, err, sizeof(err)) !=
	    (ssize_t)b.len)
		abort();
	for (i = 0; i < e.nr; i++)
		if (e.r[i].state != f.r[i].state ||
		    e.r[i].tries != f.r[i].tries ||
		    e.r[i].next != f.r[i].next ||
		    e.r[i].code != f.r[i].code ||
		    e.r[i].warned != f.r[i].warned ||
		    strcmp(e.r[i].status, f.r[i].status) != 0 ||
		    (e.r[i].reply == NULL) != (f.r[i].reply == NULL) ||
		    (e.r[i].reply != NULL &&
			strcmp(e.r[i].reply, f.r[i].reply) != 0))
			abort();
out:
	buf_free(&b);
	queue_env_free(&e);
	queue_env_free(&f);
	return 0;
}
