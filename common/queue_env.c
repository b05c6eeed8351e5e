/*
 * queue_env.c: the queue file's envelope and journal as text (see
 * queue.h for the format): formatting and total parsing, no I/O.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "util.h"

/* Words on one header or journal line, at most. */
#define LINE_WORDS 12

int
queue_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= QUEUE_ID_MAX && id[0] != '.' &&
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789._-") == n;
}

void
queue_env_init(struct queue_env *e)
{
	memset(e, 0, sizeof(*e));
}

void
queue_env_free(struct queue_env *e)
{
	size_t i;

	for (i = 0; i < e->nr; i++) {
		free(e->r[i].addr);
		free(e->r[i].orcpt);
		free(e->r[i].relay);
		free(e->r[i].reply);
	}
	free(e->r);
	free(e->from);
	free(e->envid);
	free(e->origin);
	memset(e, 0, sizeof(*e));
}

int
queue_env_add(
    struct queue_env *e, const char *addr, int notify, const char *orcpt)
{
	struct queue_rcpt *r;
	void *np;
	size_t cap;

	if (e->nr >= QUEUE_RCPT_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (e->nr == e->capr) {
		cap = e->capr ? e->capr * 2 : 8;
		if (cap > QUEUE_RCPT_MAX)
			cap = QUEUE_RCPT_MAX;
		if ((np = realloc(e->r, cap * sizeof(*e->r))) == NULL)
			return -1;
		e->r = np;
		e->capr = cap;
	}
	r = &e->r[e->nr];
	memset(r, 0, sizeof(*r));
	if ((r->addr = strdup(addr)) == NULL)
		return -1;
	if (orcpt != NULL && orcpt[0] != '\0' &&
	    (r->orcpt = strdup(orcpt)) == NULL) {
		free(r->addr);
		return -1;
	}
	r->notify = notify;
	e->nr++;
	return 0;
}

/* *dst = a copy of s (NULL or "" gives NULL).  0 or -1. */
static int
set_str(char **dst, const char *s)
{
	char *c = NULL;

	if (s != NULL && s[0] != '\0' && (c = strdup(s)) == NULL)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

int
queue_env_set(struct queue_env *e, size_t i, enum queue_rstate st,
    int64_t next, int code, const char *status, const char *relay,
    const char *reply)
{
	struct queue_rcpt *r = &e->r[i];
	char cut[QUEUE_REPLY_MAX + 1];

	if (reply != NULL && strlen(reply) > QUEUE_REPLY_MAX) {
		(void)util_strlcpy(cut, reply, sizeof(cut));
		reply = cut;
	}
	if (set_str(&r->relay, relay) == -1 || set_str(&r->reply, reply) == -1)
		return -1;
	r->state = st;
	r->next = next;
	r->code = code;
	(void)util_strlcpy(r->status, status != NULL ? status : "",
	    sizeof(r->status));
	return 0;
}

/* ---------------------------------------------------------------- format */

static int
put_notify(struct buf *b, int n)
{
	if (n == 0)
		return buf_putc(b, '-');
	if ((n & SMTP_NOTIFY_NEVER) && buf_putc(b, 'N') == -1)
		return -1;
	if ((n & SMTP_NOTIFY_SUCCESS) && buf_putc(b, 'S') == -1)
		return -1;
	if ((n & SMTP_NOTIFY_FAILURE) && buf_putc(b, 'F') == -1)
		return -1;
	if ((n & SMTP_NOTIFY_DELAY) && buf_putc(b, 'D') == -1)
		return -1;
	return 0;
}

int
queue_env_format(const struct queue_env *e, uint64_t size, struct buf *b)
{
	char origin[QUEUE_ORIGIN_MAX + 1];
	size_t i;

	/* The origin is for the listing: cut to what the parser takes. */
	(void)util_strlcpy(
	    origin, e->origin != NULL ? e->origin : "", sizeof(origin));

	if (buf_printf(b, "%s\nid %s\ncreated %" PRId64 "\nsize %0*" PRIu64
			  "\nfrom ",
		QUEUE_MAGIC, e->id, e->created, QUEUE_SIZE_DIGITS,
		size) == -1 ||
	    buf_put_word(b, e->from != NULL ? e->from : "") == -1 ||
	    buf_puts(b, "\nenvid ") == -1 ||
	    buf_put_word(b, e->envid != NULL ? e->envid : "") == -1 ||
	    buf_printf(b, "\nret %s\nbody %s\nsmtputf8 %d\norigin ",
		e->ret == SMTP_RET_FULL       ? "full"
		    : e->ret == SMTP_RET_HDRS ? "hdrs"
					      : "-",
		e->eightbit ? "8bitmime" : "7bit", e->smtputf8 ? 1 : 0) ==
		-1 ||
	    buf_put_word(b, origin) == -1 ||
	    buf_putc(b, '\n') == -1)
		return -1;
	for (i = 0; i < e->nr; i++)
		if (buf_puts(b, "rcpt ") == -1 ||
		    buf_put_word(b, e->r[i].addr) == -1 ||
		    buf_putc(b, ' ') == -1 ||
		    put_notify(b, e->r[i].notify) == -1 ||
		    buf_putc(b, ' ') == -1 ||
		    buf_put_word(b, e->r[i].orcpt != NULL ? e->r[i].orcpt : "") ==
			-1 ||
		    buf_putc(b, '\n') == -1)
			return -1;
	return buf_putc(b, '\n');
}

int
queue_journal_rcpt(const struct queue_env *e, size_t i, struct buf *b)
{
	const struct queue_rcpt *r = &e->r[i];
	char st = r->state == QUEUE_SENT ? (r->relayed ? 'T' : 'S')
	    : r->state == QUEUE_FAILED	 ? 'F'
					 : 'P';

	if (buf_printf(b, "R %zu %c %u %" PRId64 " %d ", i, st, r->tries,
		r->next, r->code) == -1 ||
	    buf_put_word(b, r->status) == -1 || buf_putc(b, ' ') == -1 ||
	    buf_put_word(b, r->relay != NULL ? r->relay : "") == -1 ||
	    buf_putc(b, ' ') == -1 ||
	    buf_put_word(b, r->reply != NULL ? r->reply : "") == -1 ||
	    (r->warned && buf_printf(b, "\nW %zu", i) == -1) ||
	    (r->bounced && buf_printf(b, "\nB %zu", i) == -1))
		return -1;
	return buf_putc(b, '\n');
}

/* ---------------------------------------------------------------- parse */

/* Split line (NUL-terminated, changed) into at most LINE_WORDS words
   at single spaces.  The count, or -1 (empty words, too many). */
static int
split(char *line, char **w)
{
	int n = 0;
	char *p = line;

	for (;;) {
		if (n == LINE_WORDS || *p == '\0' || *p == ' ')
			return -1;
		w[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			return n;
		*p++ = '\0';
	}
}

static int
num64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	long long v;

	if (util_parse_num(s, min, max, 0, &v) == -1)
		return -1;
	*out = v;
	return 0;
}

static int
get_notify(const char *s, int *out)
{
	int n = 0;

	if (strcmp(s, "-") == 0) {
		*out = 0;
		return 0;
	}
	for (; *s != '\0'; s++)
		switch (*s) {
		case 'N': n |= SMTP_NOTIFY_NEVER; break;
		case 'S': n |= SMTP_NOTIFY_SUCCESS; break;
		case 'F': n |= SMTP_NOTIFY_FAILURE; break;
		case 'D': n |= SMTP_NOTIFY_DELAY; break;
		default: return -1;
		}
	/* RFC 3461 §4.1: NEVER stands alone. */
	if ((n & SMTP_NOTIFY_NEVER) && n != SMTP_NOTIFY_NEVER)
		return -1;
	*out = n;
	return 0;
}

/* A decoded word that must fit max bytes (0: no bound but the line). */
static int
word(char *s, size_t max)
{
	if (util_word_decode(s) == -1)
		return -1;
	return max > 0 && strlen(s) > max ? -1 : 0;
}

/* The bit of a header line's key in seen (rcpt: 0, any number). */
static unsigned
key_bit(const char *k)
{
	static const char *const keys[] = {"id", "size", "from", "created",
	    "envid", "ret", "body", "smtputf8", "origin"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			return 1u << i;
	return 0;
}

/* One header line into e.  0 or -1 (why in err). */
static int
header_line(struct queue_env *e, char *line, unsigned *seen, char *err,
    size_t errlen)
{
	char *w[LINE_WORDS];
	int n, notify;
	int64_t v;

	if ((n = split(line, w)) < 2)
		goto bad;
	/* Every line but rcpt at most once. */
	if (strcmp(w[0], "rcpt") != 0) {
		unsigned bit = key_bit(w[0]);

		if (bit == 0 || (*seen & bit))
			goto bad;
		*seen |= bit;
	}
	if (strcmp(w[0], "id") == 0 && n == 2) {
		if (word(w[1], QUEUE_ID_MAX) == -1 || !queue_id_valid(w[1]))
			goto bad;
		(void)util_strlcpy(e->id, w[1], sizeof(e->id));
	} else if (strcmp(w[0], "created") == 0 && n == 2) {
		if (num64(w[1], 0, INT64_MAX / 2, &e->created) == -1)
			goto bad;
	} else if (strcmp(w[0], "size") == 0 && n == 2) {
		if (strlen(w[1]) != QUEUE_SIZE_DIGITS ||
		    num64(w[1], 0, INT64_MAX / 2, &v) == -1)
			goto bad;
		e->size = (uint64_t)v;
	} else if (strcmp(w[0], "from") == 0 && n == 2) {
		if (word(w[1], SMTP_PATH_MAX) == -1 ||
		    (e->from = strdup(w[1])) == NULL)
			goto bad;
	} else if (strcmp(w[0], "envid") == 0 && n == 2) {
		if (word(w[1], SMTP_ENVID_MAX) == -1 ||
		    set_str(&e->envid, w[1]) == -1)
			goto bad;
	} else if (strcmp(w[0], "ret") == 0 && n == 2) {
		if (strcmp(w[1], "full") == 0)
			e->ret = SMTP_RET_FULL;
		else if (strcmp(w[1], "hdrs") == 0)
			e->ret = SMTP_RET_HDRS;
		else if (strcmp(w[1], "-") == 0)
			e->ret = SMTP_RET_NONE;
		else
			goto bad;
	} else if (strcmp(w[0], "body") == 0 && n == 2) {
		if (strcmp(w[1], "8bitmime") == 0)
			e->eightbit = 1;
		else if (strcmp(w[1], "7bit") == 0)
			e->eightbit = 0;
		else
			goto bad;
	} else if (strcmp(w[0], "smtputf8") == 0 && n == 2) {
		if (strcmp(w[1], "0") != 0 && strcmp(w[1], "1") != 0)
			goto bad;
		e->smtputf8 = w[1][0] == '1';
	} else if (strcmp(w[0], "origin") == 0 && n == 2) {
		/* Bounded so that it formats back within a line. */
		if (word(w[1], QUEUE_ORIGIN_MAX) == -1 ||
		    set_str(&e->origin, w[1]) == -1)
			goto bad;
	} else if (strcmp(w[0], "rcpt") == 0 && n == 4) {
		if (word(w[1], SMTP_PATH_MAX) == -1 || w[1][0] == '\0' ||
		    get_notify(w[2], &notify) == -1 ||
		    word(w[3], SMTP_ORCPT_MAX) == -1 ||
		    queue_env_add(e, w[1], notify, w[3]) == -1)
			goto bad;
	} else
		goto bad;
	return 0;
bad:
	/* w[0] is set only when split found a first word. */
	if (n < 1)
		util_seterr(err, errlen, "a bad envelope line");
	else
		util_seterr(err, errlen, "a bad envelope line (%s)", w[0]);
	return -1;
}

ssize_t
queue_env_parse(
    struct queue_env *e, const char *p, size_t n, char *err, size_t errlen)
{
	const char *nl, *end = p + n;
	char line[QUEUE_LINE_MAX + 1];
	unsigned seen = 0;
	size_t len, at = 0;
	int first = 1;

	if (n > QUEUE_HEADER_MAX)
		end = p + QUEUE_HEADER_MAX;
	while (p + at < end) {
		if ((nl = memchr(p + at, '\n', (size_t)(end - p - at))) == NULL)
			break;
		len = (size_t)(nl - p - at);
		if (len > QUEUE_LINE_MAX || memchr(p + at, '\0', len) != NULL) {
			util_seterr(err, errlen, "a bad envelope line");
			return -1;
		}
		memcpy(line, p + at, len);
		line[len] = '\0';
		at += len + 1;
		if (first) {
			if (strcmp(line, QUEUE_MAGIC) != 0) {
				util_seterr(err, errlen, "not a queue file "
				    "(no \"%s\" line)", QUEUE_MAGIC);
				return -1;
			}
			first = 0;
			continue;
		}
		if (len == 0) {
			if ((seen & 7) != 7 || e->nr == 0) {
				util_seterr(err, errlen, "an envelope without "
				    "its id, size, from or a rcpt");
				return -1;
			}
			return (ssize_t)at;
		}
		if (header_line(e, line, &seen, err, errlen) == -1)
			return -1;
	}
	if ((size_t)(end - p) >= QUEUE_HEADER_MAX) {
		util_seterr(err, errlen, "an envelope over %d bytes",
		    QUEUE_HEADER_MAX);
		return -1;
	}
	return 0;
}

/* One journal line into e.  0 or -1. */
static int
journal_line(struct queue_env *e, char *line, char *err, size_t errlen)
{
	char *w[LINE_WORDS];
	int n;
	int64_t i, tries, next, code;
	struct queue_rcpt *r;

	if ((n = split(line, w)) < 1)
		goto bad;
	if (strcmp(w[0], "B") == 0 && n == 1) {
		for (i = 0; i < (int64_t)e->nr; i++)
			if (e->r[i].state == QUEUE_FAILED)
				e->r[i].bounced = 1;
		e->bounced = 1;
		return 0;
	}
	if (n < 2 || num64(w[1], 0, (int64_t)e->nr - 1, &i) == -1)
		goto bad;
	r = &e->r[i];
	if (strcmp(w[0], "W") == 0 && n == 2) {
		r->warned = 1;
		return 0;
	}
	if (strcmp(w[0], "B") == 0 && n == 2) {
		r->bounced = 1;
		return 0;
	}
	if (strcmp(w[0], "R") != 0 || n != 9 || w[2][1] != '\0' ||
	    strchr("PSTF", w[2][0]) == NULL ||
	    num64(w[3], 0, UINT32_MAX, &tries) == -1 ||
	    num64(w[4], 0, INT64_MAX / 2, &next) == -1 ||
	    num64(w[5], 0, 999, &code) == -1 ||
	    word(w[6], sizeof(r->status) - 1) == -1 ||
	    word(w[7], SMTP_DOMAIN_MAX + 64) == -1 ||
	    word(w[8], QUEUE_REPLY_MAX) == -1)
		goto bad;
	if (queue_env_set(e, (size_t)i,
		w[2][0] == 'S' || w[2][0] == 'T' ? QUEUE_SENT
		    : w[2][0] == 'F' ? QUEUE_FAILED
				     : QUEUE_PENDING,
		next, (int)code, w[6], w[7], w[8]) == -1) {
		util_seterr(err, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	r->tries = (unsigned)tries;
	r->relayed = w[2][0] == 'T';
	return 0;
bad:
	if (n < 1)
		util_seterr(err, errlen, "a bad journal line");
	else
		util_seterr(err, errlen, "a bad journal line (%s)", w[0]);
	return -1;
}

ssize_t
queue_journal_apply(
    struct queue_env *e, const char *p, size_t n, char *err, size_t errlen)
{
	const char *nl;
	char line[QUEUE_LINE_MAX + 1];
	size_t len, at = 0;

	while (at < n) {
		if ((nl = memchr(p + at, '\n', n - at)) == NULL)
			break; /* torn by a crash: not taken */
		len = (size_t)(nl - p - at);
		if (len > QUEUE_LINE_MAX || len == 0 ||
		    memchr(p + at, '\0', len) != NULL) {
			util_seterr(err, errlen, "a bad journal line at "
			    "offset %zu", at);
			return -1;
		}
		memcpy(line, p + at, len);
		line[len] = '\0';
		if (journal_line(e, line, err, errlen) == -1)
			return -1;
		at += len + 1;
	}
	return (ssize_t)at;
}

size_t
queue_pending(const struct queue_env *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->nr; i++)
		if (e->r[i].state == QUEUE_PENDING)
			n++;
	return n;
}
