/*
 * imapd_sort.c: SORT and THREAD, and UID SORT / UID THREAD (RFC 5256):
 * the sort criteria ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO with
 * REVERSE, the base subject of §2.1, and the threading algorithms
 * ORDEREDSUBJECT and REFERENCES of §3.  The messages are those the
 * search keys select (imapd_search_run); each is read once for the
 * header fields the criteria want.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imapd.h"
#include "mime.h"
#include "util.h"

/* Sort criteria of one SORT. */
#define SORT_KEYS_MAX 16
/* Message-IDs a References field gives that we keep (the last ones). */
#define THREAD_REFS_MAX 64
/* Branches of a thread nested deeper are not written. */
#define THREAD_DEPTH_MAX 1000

enum crit {
	C_ARRIVAL,
	C_CC,
	C_DATE,
	C_FROM,
	C_SIZE,
	C_SUBJECT,
	C_TO
};

struct key {
	enum crit crit;
	int reverse;
};

/*
 * What a command wants of each message (want, below): only that is
 * read.  SIZE and ARRIVAL need no message read; DATE comes parsed from
 * the message cache; the others walk the header fields.
 */
#define W_SUBJECT 0x01
#define W_FROM 0x02
#define W_TO 0x04
#define W_CC 0x08
#define W_DATE 0x10
#define W_ARRIVAL 0x20
#define W_SIZE 0x40
#define W_IDS 0x80 /* Message-ID, References, In-Reply-To (THREAD) */
/* What the header fields give. */
#define W_FIELDS (W_SUBJECT | W_FROM | W_TO | W_CC | W_DATE | W_IDS)

/* What a message gives the sort and the threads. */
struct info {
	size_t idx; /* in the view */
	int64_t arrival, date;
	long long size;
	char *subject; /* base subject (W_SUBJECT) */
	char *from, *to, *cc; /* addr-mailbox of the first address */
	char *msgid;
	char **refs; /* THREAD_REFS_MAX slots, NULL without References */
	char *irt; /* In-Reply-To's first id */
	unsigned nrefs;
	unsigned char reply; /* the subject was a reply or forward */
	unsigned char dated; /* the first Date field was looked at */
	unsigned char have_date; /* and it gave date */
};

/* What the command being run wants (W_*). */
static unsigned want;

/* ------------------------------------------------------------ base subject */

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Remove one subj-blob "[...]" *WSP at p; the length taken or 0. */
static size_t
blob(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] != '[')
		return 0;
	for (i = 1; i < n && p[i] != ']'; i++)
		if (p[i] == '[')
			return 0;
	if (i == n)
		return 0;
	for (i++; i < n && is_wsp(p[i]); i++)
		;
	return i;
}

/* subj-refwd: ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"; length or 0. */
static size_t
refwd(const char *p, size_t n)
{
	size_t i;

	if (n >= 2 && strncasecmp(p, "re", 2) == 0)
		i = 2;
	else if (n >= 3 && strncasecmp(p, "fwd", 3) == 0)
		i = 3;
	else if (n >= 2 && strncasecmp(p, "fw", 2) == 0)
		i = 2;
	else
		return 0;
	while (i < n && is_wsp(p[i]))
		i++;
	i += blob(p + i, n - i);
	if (i < n && p[i] == ':')
		return i + 1;
	return 0;
}

/*
 * RFC 5256 §2.1 base subject of a Subject value, as a malloc'd string;
 * *reply when a reply/forward marker was removed.
 */
static char *
base_subject(const char *v, size_t vn, int *reply)
{
	struct buf d, w;
	char *p, *out;
	size_t n, i, k, b;
	int changed;

	*reply = 0;
	buf_init(&d, 0);
	buf_init(&w, 0);
	/* (1) decode, white space runs to one space */
	(void)mime_decode_words(v, vn, &d);
	for (i = 0; i < d.len; i++) {
		int c = d.data[i];

		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c == ' ' && w.len > 0 && w.data[w.len - 1] == ' ')
			continue;
		(void)buf_putc(&w, c);
	}
	buf_free(&d);
	p = w.data != NULL ? w.data : "";
	n = w.len;
	/* leading space */
	while (n > 0 && p[0] == ' ') {
		p++;
		n--;
	}
	for (;;) {
		/* (2) trailers: WSP and "(fwd)" */
		do {
			changed = 0;
			while (n > 0 && is_wsp(p[n - 1])) {
				n--;
				changed = 1;
			}
			if (n >= 5 && strncasecmp(p + n - 5, "(fwd)", 5) == 0) {
				n -= 5;
				*reply = 1;
				changed = 1;
			}
		} while (changed);
		/* (3) leaders, (4) repeat */
		do {
			changed = 0;
			while (n > 0 && is_wsp(p[0])) {
				p++;
				n--;
				changed = 1;
			}
			if ((k = refwd(p, n)) > 0) {
				p += k;
				n -= k;
				*reply = 1;
				changed = 1;
				continue;
			}
			if ((b = blob(p, n)) > 0 && b < n) {
				p += b;
				n -= b;
				changed = 1;
			}
		} while (changed);
		/* (5) "[fwd:" ... "]" */
		if (n >= 6 && strncasecmp(p, "[fwd:", 5) == 0 &&
		    p[n - 1] == ']') {
			p += 5;
			n -= 6;
			*reply = 1;
			continue;
		}
		break;
	}
	out = malloc(n + 1);
	if (out != NULL) {
		memcpy(out, p, n);
		out[n] = '\0';
		/* i;ascii-casemap */
		for (i = 0; i < n; i++)
			if (out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 'a' + 'A');
	}
	buf_free(&w);
	return out;
}

/* ---------------------------------------------------------------- fields */

/* addr-mailbox of the first address in an address list, upper-cased. */
static char *
first_mailbox(const char *v, size_t n)
{
	const char *p = v, *e = v + n, *lt, *s, *t;
	char *out;
	size_t i;

	/* skip a group name "name:" */
	lt = memchr(p, '<', n);
	if (lt != NULL) {
		const char *comma = memchr(p, ',', n);

		if (comma == NULL || comma > lt)
			p = lt + 1;
	}
	while (p < e && (is_wsp(*p) || *p == '"'))
		p++;
	s = p;
	/* A group "name: a@b;" starts with its group marker, whose
	   addr-mailbox is the name (RFC 3501 §7.4.2 ENVELOPE). */
	for (t = s; t < e && *t != '@' && *t != '>' && *t != ',' &&
	     *t != ':' && !is_wsp(*t); t++)
		;
	if ((out = malloc((size_t)(t - s) + 1)) == NULL)
		return NULL;
	memcpy(out, s, (size_t)(t - s));
	out[t - s] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
	return out;
}

/* The msg-ids "<...>" of a field: n of them into ids (malloc'd). */
static size_t
msgids(const char *v, size_t n, char **ids, size_t max)
{
	const char *p = v, *e = v + n, *lt, *gt;
	size_t k = 0;

	while (p < e && (lt = memchr(p, '<', (size_t)(e - p))) != NULL) {
		if ((gt = memchr(lt, '>', (size_t)(e - lt))) == NULL)
			break;
		if (gt > lt + 1) {
			if (k == max) {
				/* keep the last ones: the parent is last */
				free(ids[0]);
				memmove(ids, ids + 1, (max - 1) * sizeof(*ids));
				k--;
			}
			if ((ids[k] = malloc((size_t)(gt - lt) + 2)) == NULL)
				break;
			memcpy(ids[k], lt, (size_t)(gt - lt) + 1);
			ids[k][gt - lt + 1] = '\0';
			k++;
		}
		p = gt + 1;
	}
	return k;
}

static int
field_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct info *x = arg;
	char *ids[1];

	(void)off;
	(void)end;
#define IS(nm) (f->namelen == strlen(nm) && \
	    strncasecmp(f->name, nm, f->namelen) == 0)
	if (IS("Subject")) {
		if ((want & W_SUBJECT) && x->subject == NULL) {
			int reply;

			x->subject = base_subject(f->value, f->valuelen,
			    &reply);
			x->reply = (unsigned char)reply;
		}
	} else if (IS("From")) {
		if ((want & W_FROM) && x->from == NULL)
			x->from = first_mailbox(f->value, f->valuelen);
	} else if (IS("To")) {
		if ((want & W_TO) && x->to == NULL)
			x->to = first_mailbox(f->value, f->valuelen);
	} else if (IS("Cc")) {
		if ((want & W_CC) && x->cc == NULL)
			x->cc = first_mailbox(f->value, f->valuelen);
	} else if (IS("Date")) {
		/* The first Date field (as SEARCH SENT* and the message
		   cache read it). */
		if ((want & W_DATE) && !x->dated) {
			int64_t day;

			x->dated = 1;
			x->have_date = msg_date_parse(f->value, f->valuelen,
			    &x->date, &day) == 0;
		}
	} else if (!(want & W_IDS))
		return 0;
	else if (IS("Message-ID") && x->msgid == NULL) {
		if (msgids(f->value, f->valuelen, ids, 1) == 1)
			x->msgid = ids[0];
	} else if (IS("References") && x->nrefs == 0) {
		if (x->refs == NULL)
			x->refs = calloc(THREAD_REFS_MAX, sizeof(*x->refs));
		if (x->refs != NULL)
			x->nrefs = (unsigned)msgids(f->value, f->valuelen,
			    x->refs, THREAD_REFS_MAX);
	} else if (IS("In-Reply-To") && x->irt == NULL) {
		if (msgids(f->value, f->valuelen, ids, 1) == 1)
			x->irt = ids[0];
	}
#undef IS
	return 0;
}

static void
info_free(struct info *x)
{
	size_t k;

	free(x->subject);
	free(x->from);
	free(x->to);
	free(x->cc);
	free(x->msgid);
	free(x->irt);
	for (k = 0; k < x->nrefs; k++)
		free(x->refs[k]);
	free(x->refs);
}

/* Read message i's fields.  0 or -1 (gone or no memory). */
static int
info_load(struct imapd *s, size_t i, struct info *x, struct buf *b)
{
	struct mime_msg m;
	struct msgcache_rec cr;
	struct timespec ts;
	char err[ERR_MAX];
	int fd, rc;

	memset(x, 0, sizeof(*x));
	x->idx = i;
	if (!(want & W_FIELDS)) {
		/* SIZE and ARRIVAL: the view and a stat(2). */
		if ((want & W_SIZE) &&
		    (x->size = mailbox_size(&s->mb, i)) < 0)
			return -1;
		goto fields;
	}
	if (imapd_cache_get(s, i, &cr)) {
		x->size = (long long)cr.size;
		if (want & W_DATE) {
			x->dated = 1;
			x->have_date = (unsigned char)cr.have_date;
			x->date = cr.date;
		}
		/* DATE alone (with SIZE, ARRIVAL) walks no field. */
		if ((want & W_FIELDS & ~W_DATE) &&
		    msgcache_fields(&cr, field_cb, x) == -1)
			return -1;
		goto fields;
	}
	x->size = mailbox_size(&s->mb, i);
	if ((fd = mailbox_open_msg(&s->mb, i, err, sizeof(err))) == -1)
		return -1;
	buf_reset(b);
	rc = buf_read_fd(b, fd);
	(void)close(fd);
	if (rc == -1)
		return -1;
	memset(&m, 0, sizeof(m));
	if (mime_parse(&m, b->data != NULL ? b->data : "", b->len) == -1)
		return -1;
	(void)mime_header_walk(&m, m.root, field_cb, x);
	imapd_cache_put(s, i, &m);
	mime_free(&m);
fields:
	/* The INTERNALDATE (a stat) only when it counts. */
	if (((want & W_ARRIVAL) || ((want & W_DATE) && !x->have_date)) &&
	    mailbox_internaldate(&s->mb, i, &ts, err, sizeof(err)) == 0)
		x->arrival = (int64_t)ts.tv_sec;
	/* RFC 5256 §2.2: no usable Date: the INTERNALDATE. */
	if (!x->have_date)
		x->date = x->arrival;
	if ((want & W_SUBJECT) && x->subject == NULL &&
	    (x->subject = strdup("")) == NULL)
		return -1;
	return 0;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* ---------------------------------------------------------------- SORT */

static const struct key *sort_keys;
static size_t sort_nkeys;

static int
cmp64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
info_cmp(const void *a_, const void *b_)
{
	const struct info *a = *(const struct info *const *)a_;
	const struct info *b = *(const struct info *const *)b_;
	size_t k;
	int r = 0;

	for (k = 0; k < sort_nkeys && r == 0; k++) {
		switch (sort_keys[k].crit) {
		case C_ARRIVAL:
			r = cmp64(a->arrival, b->arrival);
			break;
		case C_DATE:
			r = cmp64(a->date, b->date);
			break;
		case C_SIZE:
			r = cmp64(a->size, b->size);
			break;
		case C_SUBJECT:
			r = strcmp(nz(a->subject), nz(b->subject));
			break;
		case C_FROM:
			r = strcmp(nz(a->from), nz(b->from));
			break;
		case C_TO:
			r = strcmp(nz(a->to), nz(b->to));
			break;
		case C_CC:
			r = strcmp(nz(a->cc), nz(b->cc));
			break;
		}
		if (sort_keys[k].reverse)
			r = -r;
	}
	/* RFC 5256 §3: ties go by sequence number. */
	return r != 0 ? r : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

/* The hits' infos; *n of them.  NULL after an answer (NO). */
static struct info *
gather(struct imapd *s, const unsigned char *hit, size_t *n)
{
	struct info *v;
	struct buf b;
	size_t i, k = 0;

	if ((v = calloc(s->mb.n + 1, sizeof(*v))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return NULL;
	}
	buf_init(&b, 0);
	for (i = 0; i < s->mb.n; i++) {
		if (!hit[i])
			continue;
		if (info_load(s, i, &v[k], &b) == -1) {
			info_free(&v[k]);
			continue; /* gone meanwhile: left out */
		}
		k++;
	}
	buf_free(&b);
	imapd_cache_save(s);
	*n = k;
	return v;
}

static void
infos_free(struct info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		info_free(&v[i]);
	free(v);
}

/* SORT's and THREAD's charset argument: 0, or -1 (answered). */
static int
charset_ok(struct imapd *s, const struct imap_value *v)
{
	char cs[64];

	if (v == NULL || imap_cstr(v, cs, sizeof(cs)) == -1) {
		imapd_bad(s, NULL, "a charset is needed");
		return -1;
	}
	if (strcasecmp(cs, "UTF-8") != 0 && strcasecmp(cs, "US-ASCII") != 0) {
		imapd_no(s, "BADCHARSET (UTF-8 US-ASCII)", "unknown charset");
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum crit crit;
	unsigned want;
} crits[] = {
	{"ARRIVAL", C_ARRIVAL, W_ARRIVAL}, {"CC", C_CC, W_CC},
	{"DATE", C_DATE, W_DATE}, {"FROM", C_FROM, W_FROM},
	{"SIZE", C_SIZE, W_SIZE}, {"SUBJECT", C_SUBJECT, W_SUBJECT},
	{"TO", C_TO, W_TO},
};

/* " N" at the end of b. */
static void
put_num(struct buf *b, uint32_t n)
{
	char d[12];
	size_t k = sizeof(d);

	do {
		d[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	d[--k] = ' ';
	(void)buf_append(b, d + k, sizeof(d) - k);
}

int
imapd_sort(struct imapd *s)
{
	const struct imap_value *cl = imapd_arg(s, 0), *v;
	struct key keys[SORT_KEYS_MAX];
	struct info *inf, **pv;
	unsigned char *hit;
	unsigned w = 0;
	uint64_t modseq;
	size_t nk = 0, i, n;
	int rev = 0;

	if (cl == NULL || cl->type != IMAP_LIST || cl->child == NULL) {
		imapd_bad(s, NULL, "SORT needs a list of criteria");
		return 0;
	}
	for (v = cl->child; v != NULL; v = v->next) {
		if (imap_is(v, "REVERSE")) {
			rev = 1;
			continue;
		}
		for (i = 0; i < sizeof(crits) / sizeof(crits[0]); i++)
			if (imap_is(v, crits[i].name))
				break;
		if (i == sizeof(crits) / sizeof(crits[0]) ||
		    nk == SORT_KEYS_MAX) {
			imapd_bad(s, NULL, "bad sort criteria");
			return 0;
		}
		keys[nk].crit = crits[i].crit;
		keys[nk].reverse = rev;
		w |= crits[i].want;
		nk++;
		rev = 0;
	}
	if (rev || nk == 0) {
		imapd_bad(s, NULL, "REVERSE needs a criterion");
		return 0;
	}
	if (charset_ok(s, cl->next) == -1)
		return 0;
	if ((hit = calloc(s->mb.n + 1, 1)) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	want = w;
	if (imapd_search_run(s, cl->next->next, 0, hit, &modseq) == -1 ||
	    (inf = gather(s, hit, &n)) == NULL) {
		free(hit);
		return 0;
	}
	free(hit);
	/* Pointers are sorted, not the infos. */
	if ((pv = calloc(n + 1, sizeof(*pv))) == NULL) {
		infos_free(inf, n);
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	for (i = 0; i < n; i++)
		pv[i] = &inf[i];
	sort_keys = keys;
	sort_nkeys = nk;
	qsort(pv, n, sizeof(*pv), info_cmp);
	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* SORT");
	for (i = 0; i < n; i++) {
		put_num(&s->out, s->uid ? s->mb.msgs[pv[i]->idx].uid
					: (uint32_t)pv[i]->idx + 1);
		if (s->out.len > IMAPD_OUT_CHUNK)
			imapd_send_out(s);
	}
	free(pv);
	if (modseq > 0)
		(void)buf_printf(&s->out, " (MODSEQ %llu)",
		    (unsigned long long)modseq);
	(void)buf_puts(&s->out, "\r\n");
	imapd_send_out(s);
	infos_free(inf, n);
	if (imapd_sync(s, 0) == -1)
		return -1;
	imapd_ok(s, NULL, "%s completed", s->uid ? "UID SORT" : "SORT");
	return 0;
}

/* ---------------------------------------------------------------- THREAD */

/* A container of RFC 5256 §3 (REFERENCES): a message or a dummy. */
struct cont {
	struct info *msg; /* NULL: dummy */
	const char *id;
	struct cont *parent, *child, *next;
	struct cont *last; /* the last child: appending is O(1) */
	struct cont *hnext; /* hash chain */
	int64_t date; /* for sorting: the message's, a dummy's first child */
	size_t seq;
};

struct threads {
	struct cont **hash;
	size_t nhash;
	struct cont *all;
	size_t n, cap;
};

static unsigned long
hash_str(const char *s)
{
	unsigned long h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct cont *
cont_new(struct threads *t)
{
	struct cont *c;

	if (t->n == t->cap)
		return NULL;
	c = &t->all[t->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

static struct cont *
cont_find(struct threads *t, const char *id)
{
	struct cont *c;
	unsigned long h = hash_str(id) % t->nhash;

	for (c = t->hash[h]; c != NULL; c = c->hnext)
		if (strcmp(c->id, id) == 0)
			return c;
	if ((c = cont_new(t)) == NULL)
		return NULL;
	c->id = id;
	c->hnext = t->hash[h];
	t->hash[h] = c;
	return c;
}

/* Is a an ancestor of b (or b itself)? */
static int
reachable(const struct cont *a, const struct cont *b)
{
	for (; b != NULL; b = b->parent)
		if (a == b)
			return 1;
	return 0;
}

static void
unlink_child(struct cont *c)
{
	struct cont **pp, *prev = NULL;

	if (c->parent == NULL)
		return;
	for (pp = &c->parent->child; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			if (c->parent->last == c)
				c->parent->last = prev;
			break;
		}
		prev = *pp;
	}
	c->parent = NULL;
	c->next = NULL;
}

static void
add_child(struct cont *p, struct cont *c)
{
	unlink_child(c);
	c->parent = p;
	c->next = NULL;
	if (p->child == NULL)
		p->child = c;
	else
		p->last->next = c;
	p->last = c;
}

static int
cont_cmp(const void *a_, const void *b_)
{
	const struct cont *a = *(struct cont *const *)a_;
	const struct cont *b = *(struct cont *const *)b_;
	int r = cmp64(a->date, b->date);

	return r != 0 ? r : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/*
 * Sort a sibling list by date (a dummy by its first child's), and what
 * lies under them: a chain of only children is walked, not recursed
 * into (a long reply chain is common); branches nested deeper than
 * THREAD_DEPTH_MAX stay as they are.
 */
static struct cont *
sort_list(struct cont *first, int depth)
{
	struct cont **v, *c, *d;
	size_t n = 0, i;

	for (c = first; c != NULL; c = c->next) {
		for (d = c; d->child != NULL && d->child->next == NULL;
		     d = d->child)
			;
		if (d->child != NULL && depth < THREAD_DEPTH_MAX) {
			d->child = sort_list(d->child, depth + 1);
			for (d->last = d->child; d->last->next != NULL;
			     d->last = d->last->next)
				;
		}
		if (c->msg == NULL && c->child != NULL) {
			c->date = c->child->date;
			c->seq = c->child->seq;
		}
		n++;
	}
	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return first;
	for (i = 0, c = first; c != NULL; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cont_cmp);
	for (i = 0; i + 1 < n; i++)
		v[i]->next = v[i + 1];
	v[n - 1]->next = NULL;
	first = v[0];
	free(v);
	return first;
}

/*
 * Write the thread at c (RFC 5256 §4): "(" the message, a chain of only
 * children inline ("(1 2 3)"), where it branches each child as its own
 * "(...)" ")"; a dummy writes no number ("((3)(5))").  Branches nested
 * deeper than THREAD_DEPTH_MAX are left out.
 */
static void
put_thread(struct imapd *s, const struct cont *c, int depth)
{
	const struct cont *k;

	(void)buf_putc(&s->out, '(');
	for (;;) {
		if (c->msg != NULL)
			(void)buf_printf(&s->out, "%u",
			    s->uid ? s->mb.msgs[c->msg->idx].uid
				   : (uint32_t)c->msg->idx + 1);
		if (c->child == NULL)
			break;
		if (c->msg != NULL)
			(void)buf_putc(&s->out, ' ');
		if (c->child->next == NULL) {
			c = c->child;
			continue;
		}
		if (depth < THREAD_DEPTH_MAX)
			for (k = c->child; k != NULL; k = k->next)
				put_thread(s, k, depth + 1);
		break;
	}
	(void)buf_putc(&s->out, ')');
}

/* The root of the subject table entry for a root's subject. */
static const char *
root_subject(const struct cont *c, int *reply)
{
	if (c->msg == NULL)
		c = c->child;
	if (c == NULL || c->msg == NULL) {
		*reply = 0;
		return "";
	}
	*reply = c->msg->reply;
	return c->msg->subject;
}

/* RFC 5256 §3 REFERENCES steps 1-5 over inf[0..n) into roots. */
static struct cont *
references(struct threads *t, struct info *inf, size_t n)
{
	struct cont *c, *p, *prev, *root = NULL, **tail, **tab, **v;
	const char *sub, *sub2;
	size_t i, k, ntab = 0, j, m;
	int rep, rep2;

	for (i = 0; i < n; i++) {
		struct info *x = &inf[i];
		char **refs = x->refs;
		size_t nr = x->nrefs;

		if (nr == 0 && x->irt != NULL) {
			refs = &x->irt;
			nr = 1;
		}
		/* 1.A: link the references */
		prev = NULL;
		for (k = 0; k < nr; k++) {
			if ((c = cont_find(t, refs[k])) == NULL)
				return NULL;
			if (prev != NULL && c->parent == NULL &&
			    !reachable(c, prev))
				add_child(prev, c);
			prev = c;
		}
		/* 1.B: the message's own container */
		c = x->msgid != NULL ? cont_find(t, x->msgid) : NULL;
		if (c != NULL && c->msg != NULL)
			c = NULL; /* a duplicate id: its own container */
		if (c == NULL && (c = cont_new(t)) == NULL)
			return NULL;
		if (c->id == NULL)
			c->id = "";
		c->msg = x;
		c->date = x->date;
		c->seq = x->idx;
		/* 1.C (RFC 5256 §3 1.B): its parent is the last reference
		   (or none): "If the current message already has a parent,
		   then break the current parent link", even when the new
		   one would make a loop and is not made. */
		if (prev != c)
			unlink_child(c);
		if (prev != NULL && prev != c && !reachable(c, prev))
			add_child(prev, c);
	}
	/* 2: the roots */
	tail = &root;
	for (i = 0; i < t->n; i++) {
		c = &t->all[i];
		if (c->parent == NULL) {
			*tail = c;
			tail = &c->next;
			*tail = NULL;
		}
	}
	/* 3: prune dummies, depth first */
	{
		struct cont **pp, *kid;
		int again;

		do {
			again = 0;
			for (i = 0; i < t->n; i++) {
				c = &t->all[i];
				if (c->msg != NULL || c->id == NULL)
					continue;
				if (c->child == NULL) {
					/* an empty dummy goes */
					if (c->parent != NULL)
						unlink_child(c);
					else
						for (pp = &root; *pp != NULL;
						     pp = &(*pp)->next)
							if (*pp == c) {
								*pp = c->next;
								break;
							}
					c->id = NULL;
					again = 1;
					continue;
				}
				if (c->parent == NULL && c->child->next != NULL)
					continue; /* a root with children
						     stays */
				/* promote the children to its place */
				p = c->parent;
				if (p != NULL) {
					while ((kid = c->child) != NULL)
						add_child(p, kid);
					unlink_child(c);
				} else {
					kid = c->child;
					unlink_child(kid);
					for (pp = &root; *pp != NULL;
					     pp = &(*pp)->next)
						if (*pp == c) {
							kid->next = c->next;
							*pp = kid;
							break;
						}
				}
				c->child = NULL;
				c->last = NULL;
				c->id = NULL;
				again = 1;
			}
		} while (again);
	}
	/* 4: sort */
	root = sort_list(root, 0);
	/* 5: group the roots by base subject */
	for (c = root; c != NULL; c = c->next)
		ntab++;
	if ((tab = calloc(ntab + 1, sizeof(*tab))) == NULL ||
	    (v = calloc(ntab + 1, sizeof(*v))) == NULL) {
		free(tab);
		return root;
	}
	for (c = root, m = 0; c != NULL; c = c->next)
		v[m++] = c;
	for (i = 0, j = 0; i < m; i++) {
		c = v[i];
		sub = root_subject(c, &rep);
		if (*sub == '\0')
			continue;
		for (k = 0; k < j; k++)
			if (strcmp(root_subject(tab[k], &rep2), sub) == 0)
				break;
		if (k == j)
			tab[j++] = c;
		else if ((c->msg == NULL && tab[k]->msg != NULL) ||
		    (c->msg != NULL && tab[k]->msg != NULL && !rep &&
			(root_subject(tab[k], &rep2), rep2)))
			tab[k] = c;
	}
	for (i = 0; i < m; i++) {
		c = v[i];
		sub = root_subject(c, &rep);
		p = NULL;
		if (*sub != '\0')
			for (k = 0; k < j; k++) {
				sub2 = root_subject(tab[k], &rep2);
				if (strcmp(sub2, sub) == 0) {
					p = tab[k];
					break;
				}
			}
		if (p == NULL || p == c)
			continue;
		if (p->msg == NULL && c->msg == NULL) {
			struct cont *kid;

			while ((kid = c->child) != NULL)
				add_child(p, kid);
			c->id = NULL; /* empty now: no root */
		} else if (p->msg == NULL)
			add_child(p, c);
		else if (c->msg == NULL) {
			add_child(c, p);
			tab[k] = c;
		} else if (c->msg->reply && !p->msg->reply)
			add_child(p, c);
		else {
			struct cont *d = cont_new(t);

			if (d == NULL)
				continue;
			d->id = "";
			add_child(d, p);
			add_child(d, c);
			tab[k] = d;
		}
	}
	/* the roots now: those left without a parent, and new dummies */
	root = NULL;
	tail = &root;
	for (i = 0; i < t->n; i++) {
		c = &t->all[i];
		if (c->parent != NULL || c->id == NULL ||
		    (c->msg == NULL && c->child == NULL))
			continue;
		*tail = c;
		tail = &c->next;
		*tail = NULL;
	}
	free(v);
	free(tab);
	/* 6: sort again */
	return sort_list(root, 0);
}

/* ORDEREDSUBJECT (RFC 5256 §3): by base subject, then date. */
static int
subj_cmp(const void *a_, const void *b_)
{
	const struct info *a = a_, *b = b_;
	int r = strcmp(a->subject, b->subject);

	if (r == 0)
		r = cmp64(a->date, b->date);
	return r != 0 ? r : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

static struct cont *
ordered_subject(struct threads *t, struct info *inf, size_t n)
{
	struct cont *root = NULL, **tail = &root, *c, *top = NULL;
	size_t i;

	qsort(inf, n, sizeof(*inf), subj_cmp);
	for (i = 0; i < n; i++) {
		if ((c = cont_new(t)) == NULL)
			break;
		c->msg = &inf[i];
		c->date = inf[i].date;
		c->seq = inf[i].idx;
		if (top != NULL && strcmp(top->msg->subject,
				       inf[i].subject) == 0) {
			add_child(top, c);
			continue;
		}
		top = c;
		*tail = c;
		tail = &c->next;
	}
	/* the threads by their first message's date */
	{
		struct cont **v, *k;
		size_t m = 0;

		for (k = root; k != NULL; k = k->next)
			m++;
		if (m > 1 && (v = calloc(m, sizeof(*v))) != NULL) {
			for (i = 0, k = root; k != NULL; k = k->next)
				v[i++] = k;
			qsort(v, m, sizeof(*v), cont_cmp);
			for (i = 0; i + 1 < m; i++)
				v[i]->next = v[i + 1];
			v[m - 1]->next = NULL;
			root = v[0];
			free(v);
		}
	}
	return root;
}

int
imapd_thread(struct imapd *s)
{
	const struct imap_value *alg = imapd_arg(s, 0);
	struct threads t;
	struct info *inf;
	struct cont *root, *c;
	unsigned char *hit;
	uint64_t modseq;
	size_t n, i;
	int refs;

	if (alg == NULL || !(imap_is(alg, "REFERENCES") ||
			       imap_is(alg, "ORDEREDSUBJECT"))) {
		imapd_bad(s, NULL, "unknown threading algorithm");
		return 0;
	}
	refs = imap_is(alg, "REFERENCES");
	if (charset_ok(s, alg->next) == -1)
		return 0;
	if ((hit = calloc(s->mb.n + 1, 1)) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	want = W_SUBJECT | W_DATE | W_IDS;
	if (imapd_search_run(s, alg->next->next, 0, hit, &modseq) == -1 ||
	    (inf = gather(s, hit, &n)) == NULL) {
		free(hit);
		return 0;
	}
	free(hit);
	memset(&t, 0, sizeof(t));
	/* containers: each message, each reference, the dummies of step
	   5 (at most one a root) */
	t.cap = 1;
	for (i = 0; i < n; i++)
		t.cap += inf[i].nrefs + 3;
	t.nhash = 2 * t.cap + 1;
	if ((t.all = calloc(t.cap, sizeof(*t.all))) == NULL ||
	    (t.hash = calloc(t.nhash, sizeof(*t.hash))) == NULL) {
		free(t.all);
		infos_free(inf, n);
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	root = refs ? references(&t, inf, n) : ordered_subject(&t, inf, n);
	buf_reset(&s->out);
	(void)buf_puts(&s->out, "* THREAD");
	if (root != NULL)
		(void)buf_putc(&s->out, ' ');
	for (c = root; c != NULL; c = c->next)
		put_thread(s, c, 0);
	(void)buf_puts(&s->out, "\r\n");
	imapd_send_out(s);
	free(t.all);
	free(t.hash);
	infos_free(inf, n);
	if (imapd_sync(s, 0) == -1)
		return -1;
	imapd_ok(s, NULL, "%s completed", s->uid ? "UID THREAD" : "THREAD");
	return 0;
}
