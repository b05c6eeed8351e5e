/*
 * imapd_search.c: SEARCH and UID SEARCH (RFC 3501 §6.4.4, RFC 9051
 * §6.4.4) with every search key, CHARSET (UTF-8, US-ASCII), MODSEQ
 * (RFC 7162 §3.1.5), ESEARCH's RETURN (MIN MAX ALL COUNT SAVE) (RFC
 * 4731) and the saved result "$" (RFC 5182).  The keys are parsed into
 * a small program (bounded by IMAPD_SEARCH_KEYS_MAX and
 * IMAPD_SEARCH_DEPTH_MAX) and run on each message of the view; a
 * message is read and parsed by common/mime only when a key needs its
 * text, and strings match the decoded text (RFC 2047 words, base64,
 * quoted-printable, charsets) without case.
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
#include "msg.h"
#include "util.h"

enum kind {
	K_ALL,
	K_NONE,		/* a keyword no message can have */
	K_SET,		/* sequence set (or "$") */
	K_UID,		/* UID set */
	K_FLAGS,	/* all of mask set */
	K_UNFLAGS,	/* none of mask set */
	K_RECENT,
	K_NEW,
	K_OLD,
	K_BEFORE,	/* INTERNALDATE */
	K_ON,
	K_SINCE,
	K_SENTBEFORE,
	K_SENTON,
	K_SENTSINCE,
	K_LARGER,
	K_SMALLER,
	K_HEADER,	/* field, str */
	K_BODY,
	K_TEXT,
	K_MODSEQ,
	K_NOT,		/* a */
	K_OR,		/* a, b */
	K_AND		/* a: the first of a list linked by next */
};

struct node {
	enum kind kind;
	struct node *a, *b, *next;
	uint64_t mask;
	int64_t t;
	uint64_t n;
	struct imap_seqset set;
	char field[128];
	int addr; /* FROM, TO, CC, BCC: the addresses match too */
	const char *str;
	size_t len;
};

struct prog {
	struct imapd *s;
	struct node nodes[IMAPD_SEARCH_KEYS_MAX];
	size_t n;
	int modseq; /* a MODSEQ key was used */
	const char *err; /* BAD text */
	int nomem;
	/* The message being looked at. */
	size_t cur;
	int loaded; /* 1: m parsed, -1: gone */
	struct buf msg;
	struct mime_msg m;
	int have_date;
	int64_t date, dateday;
	int cached; /* 1: rec holds its cache record, -1: none, 0: unknown */
	struct msgcache_rec rec;
};

static struct node *
newnode(struct prog *g, enum kind k)
{
	struct node *x;

	if (g->n == IMAPD_SEARCH_KEYS_MAX) {
		g->err = "too many search keys";
		return NULL;
	}
	x = &g->nodes[g->n++];
	memset(x, 0, sizeof(*x));
	x->kind = k;
	return x;
}

static void
prog_free(struct prog *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		imap_seqset_free(&g->nodes[i].set);
	if (g->loaded == 1)
		mime_free(&g->m);
	buf_free(&g->msg);
}

/* A string argument (astring), into x->str/len. */
static int
take_string(struct prog *g, const struct imap_value **vp, struct node *x)
{
	const struct imap_value *v = *vp;

	if (v == NULL || imap_astring(v, &x->str, &x->len) == -1) {
		g->err = "a search key needs a string";
		return -1;
	}
	*vp = v->next;
	return 0;
}

static int
take_date(struct prog *g, const struct imap_value **vp, struct node *x)
{
	const struct imap_value *v = *vp;
	const char *p;
	size_t n;

	if (v == NULL || imap_astring(v, &p, &n) == -1 ||
	    imap_date_parse(p, n, &x->t) == -1) {
		g->err = "a search key needs a date";
		return -1;
	}
	*vp = v->next;
	return 0;
}

static int
take_number(struct prog *g, const struct imap_value **vp, struct node *x)
{
	const struct imap_value *v = *vp;
	uint32_t u;

	if (v == NULL || imap_number(v, &u) == -1) {
		g->err = "a search key needs a number";
		return -1;
	}
	x->n = u;
	*vp = v->next;
	return 0;
}

static uint32_t
maxuid(const struct imapd *s)
{
	return s->mb.n > 0 ? s->mb.msgs[s->mb.n - 1].uid : 0;
}

static int
take_set(struct prog *g, const struct imap_value *v, int uid, struct node *x)
{
	if ((v->type != IMAP_ATOM && v->type != IMAP_NUMBER) ||
	    imap_seqset_parse(v->s, v->len,
		uid ? maxuid(g->s) : (uint32_t)g->s->mb.n, &x->set) == -1) {
		g->err = "bad sequence set";
		return -1;
	}
	return 0;
}

/* A flag or keyword name as the letters of the folder. */
static int
flag_mask(struct prog *g, const struct imap_value *v, uint64_t *mask)
{
	char name[KEYWORD_NAME_MAX + 2];
	const char *names[1];
	char err[ERR_MAX];
	int k;

	if (v == NULL || imap_cstr(v, name, sizeof(name)) == -1) {
		g->err = "KEYWORD needs a flag";
		return -1;
	}
	if (name[0] == '\\') {
		if ((k = keywords_system_letter(name)) == 0) {
			*mask = 0;
			return 0;
		}
		*mask = MAILBOX_FLAG(k);
		return 0;
	}
	names[0] = name;
	if (keywords_mask(&g->s->kw, g->s->mb.dir, names, 1, 0, mask, err,
		sizeof(err)) == -1) {
		*mask = 0;
		return 0;
	}
	return 0;
}

static struct node *parse_key(struct prog *g, const struct imap_value **vp,
    int depth);
static int saved_valid(const struct imapd *s);

/* Keys from v to the end of its list, ANDed. */
static struct node *
parse_list(struct prog *g, const struct imap_value *v, int depth)
{
	struct node *list, *x, **tail;

	if ((list = newnode(g, K_AND)) == NULL)
		return NULL;
	tail = &list->a;
	if (v == NULL) {
		g->err = "no search keys";
		return NULL;
	}
	while (v != NULL) {
		if ((x = parse_key(g, &v, depth + 1)) == NULL)
			return NULL;
		*tail = x;
		tail = &x->next;
	}
	return list;
}

static const struct {
	const char *name;
	enum kind kind;
	int letter; /* flags */
	const char *field; /* header keys */
} simple[] = {
	{"ALL", K_ALL, 0, NULL},
	{"ANSWERED", K_FLAGS, 'R', NULL},
	{"DELETED", K_FLAGS, 'T', NULL},
	{"DRAFT", K_FLAGS, 'D', NULL},
	{"FLAGGED", K_FLAGS, 'F', NULL},
	{"SEEN", K_FLAGS, 'S', NULL},
	{"UNANSWERED", K_UNFLAGS, 'R', NULL},
	{"UNDELETED", K_UNFLAGS, 'T', NULL},
	{"UNDRAFT", K_UNFLAGS, 'D', NULL},
	{"UNFLAGGED", K_UNFLAGS, 'F', NULL},
	{"UNSEEN", K_UNFLAGS, 'S', NULL},
	{"RECENT", K_RECENT, 0, NULL},
	{"NEW", K_NEW, 0, NULL},
	{"OLD", K_OLD, 0, NULL},
	{"BEFORE", K_BEFORE, 0, NULL},
	{"ON", K_ON, 0, NULL},
	{"SINCE", K_SINCE, 0, NULL},
	{"SENTBEFORE", K_SENTBEFORE, 0, NULL},
	{"SENTON", K_SENTON, 0, NULL},
	{"SENTSINCE", K_SENTSINCE, 0, NULL},
	{"LARGER", K_LARGER, 0, NULL},
	{"SMALLER", K_SMALLER, 0, NULL},
	{"BCC", K_HEADER, 0, "Bcc"},
	{"CC", K_HEADER, 0, "Cc"},
	{"FROM", K_HEADER, 0, "From"},
	{"TO", K_HEADER, 0, "To"},
	{"SUBJECT", K_HEADER, 0, "Subject"},
	{"BODY", K_BODY, 0, NULL},
	{"TEXT", K_TEXT, 0, NULL},
};

static struct node *
parse_key(struct prog *g, const struct imap_value **vp, int depth)
{
	const struct imap_value *v = *vp;
	struct node *x;
	size_t i;
	uint64_t mask;

	if (depth > IMAPD_SEARCH_DEPTH_MAX) {
		g->err = "search keys nested too deep";
		return NULL;
	}
	*vp = v->next;
	if (v->type == IMAP_LIST) {
		if (v->child == NULL) {
			g->err = "empty search key list";
			return NULL;
		}
		return parse_list(g, v->child, depth);
	}
	if (v->type != IMAP_ATOM && v->type != IMAP_NUMBER) {
		g->err = "not a search key";
		return NULL;
	}
	if (v->len > 0 && (v->s[0] == '$' || v->s[0] == '*' ||
			      (v->s[0] >= '0' && v->s[0] <= '9'))) {
		if ((x = newnode(g, K_SET)) == NULL ||
		    take_set(g, v, 0, x) == -1)
			return NULL;
		return x;
	}
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (!imap_is(v, simple[i].name))
			continue;
		if ((x = newnode(g, simple[i].kind)) == NULL)
			return NULL;
		if (simple[i].letter != 0)
			x->mask = MAILBOX_FLAG(simple[i].letter);
		switch (x->kind) {
		case K_BEFORE:
		case K_ON:
		case K_SINCE:
		case K_SENTBEFORE:
		case K_SENTON:
		case K_SENTSINCE:
			return take_date(g, vp, x) == -1 ? NULL : x;
		case K_LARGER:
		case K_SMALLER:
			return take_number(g, vp, x) == -1 ? NULL : x;
		case K_HEADER:
			util_strlcpy(x->field, simple[i].field,
			    sizeof(x->field));
			x->addr = strcmp(x->field, "Subject") != 0;
			/* FALLTHROUGH */
		case K_BODY:
		case K_TEXT:
			return take_string(g, vp, x) == -1 ? NULL : x;
		default:
			return x;
		}
	}
	if (imap_is(v, "HEADER")) {
		if ((x = newnode(g, K_HEADER)) == NULL)
			return NULL;
		if (*vp == NULL ||
		    imap_cstr(*vp, x->field, sizeof(x->field)) == -1 ||
		    x->field[0] == '\0') {
			g->err = "HEADER needs a field name";
			return NULL;
		}
		*vp = (*vp)->next;
		return take_string(g, vp, x) == -1 ? NULL : x;
	}
	if (imap_is(v, "KEYWORD") || imap_is(v, "UNKEYWORD")) {
		int un = imap_is(v, "UNKEYWORD");

		if (flag_mask(g, *vp, &mask) == -1)
			return NULL;
		*vp = (*vp)->next;
		if (mask == 0)
			return newnode(g, un ? K_ALL : K_NONE);
		if ((x = newnode(g, un ? K_UNFLAGS : K_FLAGS)) == NULL)
			return NULL;
		x->mask = mask;
		return x;
	}
	if (imap_is(v, "UID")) {
		if ((x = newnode(g, K_UID)) == NULL)
			return NULL;
		if (*vp == NULL || take_set(g, *vp, 1, x) == -1) {
			g->err = "UID needs a set";
			return NULL;
		}
		*vp = (*vp)->next;
		return x;
	}
	if (imap_is(v, "NOT") || imap_is(v, "OR")) {
		int isor = imap_is(v, "OR");

		if ((x = newnode(g, isor ? K_OR : K_NOT)) == NULL)
			return NULL;
		if (*vp == NULL ||
		    (x->a = parse_key(g, vp, depth + 1)) == NULL) {
			if (g->err == NULL)
				g->err = "NOT and OR need keys";
			return NULL;
		}
		if (isor && (*vp == NULL ||
			      (x->b = parse_key(g, vp, depth + 1)) == NULL)) {
			if (g->err == NULL)
				g->err = "OR needs two keys";
			return NULL;
		}
		return x;
	}
	if (imap_is(v, "MODSEQ")) {
		/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer */
		if ((x = newnode(g, K_MODSEQ)) == NULL)
			return NULL;
		v = *vp;
		if (v != NULL && v->type == IMAP_QUOTED) {
			if ((v = v->next) == NULL ||
			    !(imap_is(v, "priv") || imap_is(v, "shared") ||
				imap_is(v, "all")) ||
			    (v = v->next) == NULL) {
				g->err = "bad MODSEQ entry";
				return NULL;
			}
		}
		if (v == NULL || imap_number64(v, 1, &x->n) == -1) {
			g->err = "MODSEQ needs a number";
			return NULL;
		}
		*vp = v->next;
		g->modseq = 1;
		return x;
	}
	g->err = "unknown search key";
	return NULL;
}

/* ---------------------------------------------------------------- dates */

/* ---------------------------------------------------------------- running */

/* Message g->cur read and parsed: 0, or -1 (gone: matches nothing). */
static int
load(struct prog *g)
{
	char err[ERR_MAX];
	int fd, rc;

	if (g->loaded)
		return g->loaded == 1 ? 0 : -1;
	g->loaded = -1;
	if ((fd = mailbox_open_msg(&g->s->mb, g->cur, err, sizeof(err))) ==
	    -1)
		return -1;
	buf_reset(&g->msg);
	rc = buf_read_fd(&g->msg, fd);
	(void)close(fd);
	if (rc == -1 || mime_parse(&g->m, g->msg.data != NULL ? g->msg.data
							     : "",
			    g->msg.len) == -1) {
		g->nomem = 1;
		return -1;
	}
	g->loaded = 1;
	if (g->cached != 1)
		imapd_cache_put(g->s, g->cur, &g->m);
	return 0;
}

/* Message g->cur's cache record: 1 (in g->rec) or 0. */
static int
cached(struct prog *g)
{
	if (g->cached == 0)
		g->cached = imapd_cache_get(g->s, g->cur, &g->rec) ? 1 : -1;
	return g->cached == 1;
}

static int
date_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct prog *g = arg;

	(void)off;
	(void)end;
	if (f->namelen == 4 && strncasecmp(f->name, "Date", 4) == 0) {
		if (msg_date_parse(f->value, f->valuelen, &g->date,
			&g->dateday) == 0)
			g->have_date = 1;
		return 1;
	}
	return 0;
}

/* The INTERNALDATE's day (00:00 UTC of its date in the local zone). */
static int
internal_day(struct prog *g, int64_t *day)
{
	struct timespec ts;
	struct tm tm;
	char err[ERR_MAX];

	if (mailbox_internaldate(&g->s->mb, g->cur, &ts, err, sizeof(err)) ==
	    -1)
		return -1;
	(void)localtime_r(&ts.tv_sec, &tm);
	*day = util_days_from_civil((int64_t)tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday) * 86400;
	return 0;
}

static int
sent_day(struct prog *g, int64_t *day)
{
	if (g->have_date == 0 && g->loaded != 1 && cached(g)) {
		/* The record holds the first Date field parsed. */
		g->have_date = g->rec.have_date ? 1 : -1;
		g->date = g->rec.date;
		g->dateday = g->rec.day;
	}
	if (g->have_date == 0 && load(g) == -1)
		return -1;
	if (g->have_date == 0) {
		g->have_date = -1;
		(void)mime_header_walk(&g->m, g->m.root, date_cb, g);
	}
	if (g->have_date != 1)
		return -1;
	*day = g->dateday;
	return 0;
}

/* An address search: the needle and whether an addr-spec holds it. */
struct addr_search {
	const struct node *x;
	int hit;
};

static int
addr_cb(void *arg, const char *addr, size_t addrlen)
{
	struct addr_search *a = arg;

	if (mime_match(addr, addrlen, a->x->str, a->x->len) == 1)
		a->hit = 1;
	return a->hit;
}

static int
addr_field_cb(void *arg, const struct msg_field *f, size_t off, size_t end)
{
	struct addr_search *a = arg;

	(void)off;
	(void)end;
	if (msg_field_is(f, a->x->field))
		(void)msg_addr_list(f->value, f->valuelen, addr_cb, a);
	return a->hit;
}

/* RFC 3501 §6.4.4: FROM, TO, CC and BCC search the envelope's address
   structure, so an addr-spec written with comments or folding inside
   ("<a (c)@ b.org>") matches "a@b.org" too. */
static int
addr_match(struct prog *g, const struct node *x)
{
	struct addr_search a;

	a.x = x;
	a.hit = 0;
	if (g->loaded == 1)
		(void)mime_header_walk(&g->m, g->m.root, addr_field_cb, &a);
	else /* the message's cache record (cached) */
		(void)msgcache_fields(&g->rec, addr_field_cb, &a);
	return a.hit;
}

static int
eval(struct prog *g, const struct node *x)
{
	const struct mailbox_msg *msg = &g->s->mb.msgs[g->cur];
	const struct node *c;
	int64_t day;
	long long size;
	int r;

	switch (x->kind) {
	case K_ALL:
		return 1;
	case K_NONE:
		return 0;
	case K_SET:
		if (x->set.last)
			return saved_valid(g->s) &&
			    imap_seqset_contains(&g->s->saved, msg->uid);
		return imap_seqset_contains(&x->set, (uint32_t)g->cur + 1);
	case K_UID:
		if (x->set.last)
			return saved_valid(g->s) &&
			    imap_seqset_contains(&g->s->saved, msg->uid);
		return imap_seqset_contains(&x->set, msg->uid);
	case K_FLAGS:
		return (msg->flags & x->mask) == x->mask;
	case K_UNFLAGS:
		return (msg->flags & x->mask) == 0;
	case K_RECENT:
		return msg->recent != 0;
	case K_NEW:
		return msg->recent && !(msg->flags & MAILBOX_FLAG('S'));
	case K_OLD:
		return !msg->recent;
	case K_BEFORE:
	case K_ON:
	case K_SINCE:
		if (internal_day(g, &day) == -1)
			return 0;
		goto cmp;
	case K_SENTBEFORE:
	case K_SENTON:
	case K_SENTSINCE:
		if (sent_day(g, &day) == -1)
			return 0;
	cmp:
		if (x->kind == K_BEFORE || x->kind == K_SENTBEFORE)
			return day < x->t;
		if (x->kind == K_ON || x->kind == K_SENTON)
			return day == x->t;
		return day >= x->t;
	case K_LARGER:
	case K_SMALLER:
		if ((size = mailbox_size(&g->s->mb, g->cur)) < 0)
			return 0;
		return x->kind == K_LARGER ? (uint64_t)size > x->n
					   : (uint64_t)size < x->n;
	case K_HEADER:
		if (g->loaded != 1 &&
		    msgcache_field_cached(x->field, strlen(x->field)) &&
		    cached(g)) {
			r = msgcache_search_header(&g->rec, x->field, x->str,
			    x->len);
			if (r == 0 && x->addr)
				r = addr_match(g, x);
			break;
		}
		if (load(g) == -1)
			return 0;
		r = mime_search_header(&g->m, x->field, x->str, x->len);
		if (r == 0 && x->addr)
			r = addr_match(g, x);
		break;
	case K_BODY:
	case K_TEXT:
		if (load(g) == -1)
			return 0;
		r = mime_search(&g->m,
		    x->kind == K_BODY ? MIME_S_BODY
				      : MIME_S_BODY | MIME_S_HEADER,
		    x->str, x->len);
		break;
	case K_MODSEQ:
		return msg->modseq >= x->n;
	case K_NOT:
		return !eval(g, x->a);
	case K_OR:
		return eval(g, x->a) || eval(g, x->b);
	case K_AND:
		for (c = x->a; c != NULL; c = c->next)
			if (!eval(g, c))
				return 0;
		return 1;
	default:
		return 0;
	}
	if (r == -1) {
		g->nomem = 1;
		return 0;
	}
	return r;
}

int
imapd_search_run(struct imapd *s, const struct imap_value *v, int charset,
    unsigned char *hit, uint64_t *modseq)
{
	struct prog *g;
	struct node *root;
	char cs[64];
	size_t i;

	*modseq = 0;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return -1;
	}
	g->s = s;
	buf_init(&g->msg, 0);
	if (charset && v != NULL && imap_is(v, "CHARSET")) {
		if ((v = v->next) == NULL ||
		    imap_cstr(v, cs, sizeof(cs)) == -1) {
			imapd_bad(s, NULL, "CHARSET needs a name");
			goto fail;
		}
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0) {
			imapd_no(s, "BADCHARSET (UTF-8 US-ASCII)",
			    "unknown charset");
			goto fail;
		}
		v = v->next;
	}
	if ((root = parse_list(g, v, 0)) == NULL) {
		imapd_bad(s, NULL, "%s", g->err != NULL ? g->err
							: "bad search keys");
		goto fail;
	}
	if (g->modseq)
		imapd_condstore_on(s); /* RFC 7162 §3.1 */
	for (i = 0; i < s->mb.n; i++) {
		g->cur = i;
		hit[i] = 0;
		if (s->mb.msgs[i].expunged)
			continue;
		hit[i] = (unsigned char)eval(g, root);
		if (g->loaded == 1)
			mime_free(&g->m);
		g->loaded = 0;
		g->have_date = 0;
		g->cached = 0;
		if (g->nomem) {
			imapd_no(s, "SERVERBUG", "out of memory");
			goto fail;
		}
		if (hit[i] && g->modseq && s->mb.msgs[i].modseq > *modseq)
			*modseq = s->mb.msgs[i].modseq;
	}
	prog_free(g);
	free(g);
	return 0;
fail:
	prog_free(g);
	free(g);
	return -1;
}

/* ---------------------------------------------------------------- SEARCHRES */

static int
saved_valid(const struct imapd *s)
{
	return s->saved_validity == s->mb.uidvalidity &&
	    strcmp(s->saved_dir, s->mb.dir) == 0;
}

int
imapd_search_saved(struct imapd *s, int uid, struct imap_seqset *set)
{
	size_t i;

	imap_seqset_free(set);
	if (!saved_valid(s))
		return 0;
	for (i = 0; i < s->mb.n; i++)
		if (imap_seqset_contains(&s->saved, s->mb.msgs[i].uid) &&
		    imap_seqset_add(set,
			uid ? s->mb.msgs[i].uid : (uint32_t)i + 1,
			uid ? s->mb.msgs[i].uid : (uint32_t)i + 1) == -1)
			return -1;
	return 0;
}

static void
saved_reset(struct imapd *s)
{
	imap_seqset_free(&s->saved);
	util_strlcpy(s->saved_dir, s->mb.dir, sizeof(s->saved_dir));
	s->saved_validity = s->mb.uidvalidity;
}

/* ---------------------------------------------------------------- SEARCH */

#define R_MIN 0x01
#define R_MAX 0x02
#define R_ALL 0x04
#define R_COUNT 0x08
#define R_SAVE 0x10

int
imapd_search(struct imapd *s)
{
	const struct imap_value *v = imapd_arg(s, 0), *o;
	struct imap_seqset res = IMAP_SEQSET_INIT;
	unsigned char *hit = NULL;
	unsigned ret = 0;
	int esearch = 0;
	uint64_t modseq;
	size_t i, first = 0, last = 0, count = 0;
	uint32_t n;

	if (v != NULL && imap_is(v, "RETURN")) {
		esearch = 1;
		if ((o = v->next) == NULL || o->type != IMAP_LIST) {
			imapd_bad(s, NULL, "RETURN needs a list");
			return 0;
		}
		for (o = o->child; o != NULL; o = o->next) {
			if (imap_is(o, "MIN"))
				ret |= R_MIN;
			else if (imap_is(o, "MAX"))
				ret |= R_MAX;
			else if (imap_is(o, "ALL"))
				ret |= R_ALL;
			else if (imap_is(o, "COUNT"))
				ret |= R_COUNT;
			else if (imap_is(o, "SAVE"))
				ret |= R_SAVE;
			else {
				imapd_bad(s, NULL, "unknown RETURN option");
				return 0;
			}
		}
		if ((ret & ~R_SAVE) == 0 && !(ret & R_SAVE))
			ret = R_ALL; /* RFC 4731 §3.1: () is (ALL) */
		v = v->next->next;
	} else if (s->rev2) {
		/* RFC 9051 §6.4.4: SEARCH answers ESEARCH, RETURN (ALL). */
		esearch = 1;
		ret = R_ALL;
	}
	if ((hit = calloc(s->mb.n + 1, 1)) == NULL) {
		imapd_no(s, "SERVERBUG", "out of memory");
		return 0;
	}
	if (imapd_search_run(s, v, 1, hit, &modseq) == -1) {
		imapd_cache_save(s);
		/* RFC 5182 §2.1: a failed SEARCH with SAVE empties $. */
		if (ret & R_SAVE)
			saved_reset(s);
		free(hit);
		return 0;
	}
	imapd_cache_save(s);
	for (i = 0; i < s->mb.n; i++) {
		if (!hit[i])
			continue;
		if (count++ == 0)
			first = i;
		last = i;
	}
#define ID(i) (s->uid ? s->mb.msgs[i].uid : (uint32_t)(i) + 1)
	if (ret & R_SAVE) {
		/* RFC 5182 §2.1: with MIN or MAX (and neither ALL nor
		   COUNT), only those are saved. */
		saved_reset(s);
		for (i = 0; i < s->mb.n && count > 0; i++) {
			if (!hit[i])
				continue;
			if ((ret & (R_MIN | R_MAX)) &&
			    !(ret & (R_ALL | R_COUNT)) &&
			    !((ret & R_MIN) && i == first) &&
			    !((ret & R_MAX) && i == last))
				continue;
			(void)imap_seqset_add(&s->saved, s->mb.msgs[i].uid,
			    s->mb.msgs[i].uid);
		}
	}
	buf_reset(&s->out);
	if (!esearch) {
		(void)buf_puts(&s->out, "* SEARCH");
		for (i = 0; i < s->mb.n; i++) {
			if (!hit[i])
				continue;
			(void)buf_printf(&s->out, " %u", ID(i));
			/* a long line goes out as it is made */
			if (s->out.len > IMAPD_OUT_CHUNK)
				imapd_send_out(s);
		}
		if (modseq > 0)
			(void)buf_printf(&s->out, " (MODSEQ %llu)",
			    (unsigned long long)modseq);
		(void)buf_puts(&s->out, "\r\n");
	} else if (ret != R_SAVE) {
		/* RFC 7162 §3.1.5: with MIN or MAX alone, the highest
		   MODSEQ of the messages returned, not of all that hit. */
		if (modseq > 0 && count > 0 && !(ret & (R_ALL | R_COUNT))) {
			modseq = 0;
			if (ret & R_MIN)
				modseq = s->mb.msgs[first].modseq;
			if ((ret & R_MAX) && s->mb.msgs[last].modseq > modseq)
				modseq = s->mb.msgs[last].modseq;
		}
		(void)buf_printf(&s->out, "* ESEARCH (TAG \"%s\")", s->tag);
		if (s->uid)
			(void)buf_puts(&s->out, " UID");
		if ((ret & R_MIN) && count > 0)
			(void)buf_printf(&s->out, " MIN %u", ID(first));
		if ((ret & R_MAX) && count > 0)
			(void)buf_printf(&s->out, " MAX %u", ID(last));
		if (ret & R_COUNT)
			(void)buf_printf(&s->out, " COUNT %zu", count);
		if ((ret & R_ALL) && count > 0) {
			for (i = 0; i < s->mb.n; i++) {
				if (!hit[i])
					continue;
				n = ID(i);
				if (imap_seqset_add(&res, n, n) == -1)
					break;
			}
			(void)buf_puts(&s->out, " ALL ");
			(void)imap_seqset_format(&res, &s->out);
		}
		if (modseq > 0)
			(void)buf_printf(&s->out, " MODSEQ %llu",
			    (unsigned long long)modseq);
		(void)buf_puts(&s->out, "\r\n");
	}
#undef ID
	imapd_send_out(s);
	imap_seqset_free(&res);
	free(hit);
	/* No EXPUNGE during SEARCH (RFC 3501 §7.4.1). */
	if (imapd_sync(s, 0) == -1)
		return -1;
	imapd_ok(s, NULL, "%s completed", s->uid ? "UID SEARCH" : "SEARCH");
	return 0;
}
