/*
 * qrun.c: `msend --flush DIR': one pass over the queue.  Every message
 * is read (without its lock: a listing); a message past --max-age has
 * its waiting recipients failed; the recipients whose next try is due
 * are grouped by destination site (qsite.c delivers to each).  Then
 * each message that has nothing left waiting is finished: its bounces
 * owed are queued, and it is removed.
 *
 * Retries wait retry_first seconds, then each wait retry_factor times
 * the one before, never more than retry_max, each off by up to
 * +-jitter of itself so that messages queued together do not come back
 * together.
 */
#include "config.h"

#include <sys/stat.h>

#ifdef __linux__
#include <sys/inotify.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "msend.h"
#include "qrun.h"
#include "util.h"

/* --run: seconds between scans when nothing tells it to look (with
   inotify, only a safety net; without, how soon new mail is seen), and
   how long a burst of new messages may settle before a scan. */
#define QRUN_IDLE_S 300
#define QRUN_POLL_S 5
#define QRUN_SETTLE_MS 200
/* A bounce that could not be queued is tried again after this. */
#define QRUN_OWED_S 60
/* --run: a kept pass forgets the items it handed out once a site has
   this many, and is rebuilt from a scan once it has seen this many
   messages (so a long stream of new mail does not grow it). */
#define QRUN_HANDED_MAX 1024
#define QRUN_SEEN_MAX 100000
/* Sites one pass keeps apart; domains whose MX it remembers. */
#define QRUN_SITES_MAX 4096
#define QRUN_DOMAINS_MAX 16384

int64_t
qrun_now(void)
{
	return (int64_t)time(NULL);
}

void
qrun_span(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		(void)snprintf(out, len, "%" PRId64 "s", s);
	else if (s < 3600)
		(void)snprintf(out, len, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		(void)snprintf(out, len, "%" PRId64 "h%02" PRId64 "m",
		    s / 3600, s % 3600 / 60);
	else
		(void)snprintf(out, len, "%" PRId64 "d%02" PRId64 "h",
		    s / 86400, s % 86400 / 3600);
}

int
qrun_connect_ms(const struct qrun *qr)
{
	return qr->base->timeout_ms > 0 &&
		qr->base->timeout_ms < NET_CONNECT_TIMEOUT_MS
	    ? qr->base->timeout_ms
	    : NET_CONNECT_TIMEOUT_MS;
}

void
qrun_progress(struct qrun *qr)
{
	unsigned long done = qr->nsent + qr->ndeferred + qr->nbounced;
	double secs = (double)(util_now_ms() - qr->start_ms) / 1000.0;
	double rate = secs > 0 ? (double)done / secs : 0;
	char eta[32];

	if (!qr->progress)
		return;
	if (rate > 0 && qr->total > done)
		qrun_span((int64_t)((double)(qr->total - done) / rate), eta,
		    sizeof(eta));
	else
		(void)util_strlcpy(eta, "-", sizeof(eta));
	fprintf(stderr,
	    "\r%s: sent %lu, deferred %lu, bounced %lu, %.1f/s, ETA %s   ",
	    PROG, qr->nsent, qr->ndeferred, qr->nbounced, rate, eta);
}

/* ------------------------------------------------------------ sites */

struct dom {
	char *name;
	size_t site; /* index, or (size_t)-1 with why */
	int perm;
	char why[ERR_MAX + 64];
};

struct pass {
	struct qrun *qr;
	struct dns_resolver *res;
	struct qsite *sites;
	size_t nsites, capsites;
	struct dom *doms;
	size_t ndoms, capdoms;
	char **touched;
	size_t ntouched, captouched;
	/* The messages this pass has looked at (a hash set): --run adds
	   new ones to a pass it keeps, each once. */
	char **seen;
	size_t nseen, capseen;
};

static uint32_t
id_hash(const char *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

/* Add id to the pass's set: 1 added, 0 there already, -1 no memory. */
static int
seen_add(struct pass *ps, const char *id)
{
	size_t i, mask;
	char **ns, *c;

	if ((ps->nseen + 1) * 2 > ps->capseen) {
		size_t cap = ps->capseen ? ps->capseen * 2 : 1024, k;

		if ((ns = calloc(cap, sizeof(*ns))) == NULL)
			return -1;
		for (k = 0; k < ps->capseen; k++) {
			if ((c = ps->seen[k]) == NULL)
				continue;
			for (i = id_hash(c) & (cap - 1); ns[i] != NULL;
			    i = (i + 1) & (cap - 1))
				;
			ns[i] = c;
		}
		free(ps->seen);
		ps->seen = ns;
		ps->capseen = cap;
	}
	mask = ps->capseen - 1;
	for (i = id_hash(id) & mask; ps->seen[i] != NULL; i = (i + 1) & mask)
		if (strcmp(ps->seen[i], id) == 0)
			return 0;
	if ((ps->seen[i] = strdup(id)) == NULL)
		return -1;
	ps->nseen++;
	return 1;
}

static struct qsite *
site_add(struct pass *ps, const char *name)
{
	struct qsite *s;
	void *np;
	size_t i;

	for (i = 0; i < ps->nsites; i++)
		if (strcmp(ps->sites[i].name, name) == 0)
			return &ps->sites[i];
	if (ps->nsites == QRUN_SITES_MAX)
		return NULL;
	if (ps->nsites == ps->capsites) {
		ps->capsites = ps->capsites ? ps->capsites * 2 : 16;
		if ((np = realloc(ps->sites,
			 ps->capsites * sizeof(*ps->sites))) == NULL)
			return NULL;
		ps->sites = np;
	}
	s = &ps->sites[ps->nsites++];
	memset(s, 0, sizeof(*s));
	(void)util_strlcpy(s->name, name, sizeof(s->name));
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcasecmp(((const struct dns_mx_host *)a)->name,
	    ((const struct dns_mx_host *)b)->name);
}

/* The site of an MX result: its host names, sorted ("mx a,b:25"). */
static void
mx_site_name(const struct dns_mx_result *mx, const char *port, char *out,
    size_t outlen)
{
	struct dns_mx_host *h;
	int i;

	(void)util_strlcpy(out, "mx ", outlen);
	if ((h = calloc((size_t)mx->nhost, sizeof(*h))) == NULL) {
		(void)util_strlcat(out, mx->ascii, outlen);
		return;
	}
	memcpy(h, mx->host, (size_t)mx->nhost * sizeof(*h));
	qsort(h, (size_t)mx->nhost, sizeof(*h), cmp_names);
	for (i = 0; i < mx->nhost; i++) {
		if (i > 0)
			(void)util_strlcat(out, ",", outlen);
		(void)util_strlcat(out, h[i].name, outlen);
	}
	free(h);
	(void)util_strlcat(out, ":", outlen);
	(void)util_strlcat(out, port, outlen);
}

/* Where mail for domain goes: d->site, or why not. */
static void
resolve(struct pass *ps, struct dom *d)
{
	const struct routing *rt = ps->qr->rt;
	const struct session *b = ps->qr->base;
	struct dns_mx_result *mx;
	struct mtasts_result *sts = NULL;
	struct qsite *s;
	char name[512], err[ERR_MAX];
	const struct route *rte;
	int self_ok = 0;

	d->site = (size_t)-1;
	if (!rt->direct) {
		(void)snprintf(name, sizeof(name), "smarthost %s:%s", b->host,
		    b->port);
		if ((s = site_add(ps, name)) == NULL)
			goto nomem;
		(void)util_strlcpy(s->host, b->host, sizeof(s->host));
		(void)util_strlcpy(s->port, b->port, sizeof(s->port));
		if (s->pol == NULL)
			s->pol = qpolicy_site(ps->qr->p, b->host, NULL);
		d->site = (size_t)(s - ps->sites);
		return;
	}
	if (d->name[0] == '\0') {
		d->perm = 1;
		(void)util_strlcpy(d->why, "no domain: direct delivery needs "
		    "user@domain", sizeof(d->why));
		return;
	}
	rte = route_find(rt, d->name);
	self_ok = rte != NULL && rte->self_ok;
	if ((rte != NULL && !self_ok) || d->name[0] == '[') {
		const char *h = rte != NULL ? rte->host : d->name;
		const char *p = rte != NULL ? rte->port : rt->port;
		size_t hl = strlen(h);

		(void)snprintf(name, sizeof(name), "route %s:%s", h, p);
		if ((s = site_add(ps, name)) == NULL)
			goto nomem;
		/* An address literal "[192.0.2.1]" (RFC 5321 §4.1.3). */
		if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
			(void)snprintf(s->host, sizeof(s->host), "%.*s",
			    (int)(hl - 2), h + 1);
			if (strncasecmp(s->host, "IPv6:", 5) == 0)
				memmove(s->host, s->host + 5,
				    strlen(s->host + 5) + 1);
		} else
			(void)util_strlcpy(s->host, h, sizeof(s->host));
		(void)util_strlcpy(s->port, p, sizeof(s->port));
		if (s->pol == NULL)
			s->pol = qpolicy_site(ps->qr->p, d->name, NULL);
		d->site = (size_t)(s - ps->sites);
		return;
	}
	if (ps->res == NULL && (ps->res = dns_new(rt->dns_server, 0, 0, err,
				    sizeof(err))) == NULL) {
		(void)snprintf(d->why, sizeof(d->why), "DNS: %s", err);
		return;
	}
	ps->qr->dns = ps->res;
	if ((mx = calloc(1, sizeof(*mx))) == NULL)
		goto nomem;
	/* Addresses by query, not from the additional section: DANE
	   needs to know each host's answer was validated (RFC 7672 §2.2). */
	switch (dns_mx_lookup(ps->res, d->name, DNS_F_NO_ADDITIONAL, mx)) {
	case DNS_MX_FOUND:
	case DNS_MX_IMPLICIT: break;
	case DNS_MX_TEMPFAIL:
		(void)snprintf(d->why, sizeof(d->why), "%s: %s", d->name,
		    mx->err);
		free(mx);
		return;
	case DNS_MX_NULL:
		/* RFC 7505 §4.2: 556 5.1.10 for a null MX. */
		d->perm = 1;
		(void)snprintf(d->why, sizeof(d->why), "556 5.1.10 %s: %s",
		    d->name, mx->err);
		free(mx);
		return;
	default:
		d->perm = 1;
		(void)snprintf(d->why, sizeof(d->why), "550 5.1.2 %s: %s",
		    d->name, mx->err);
		free(mx);
		return;
	}
	mx_site_name(mx, rt->port, name, sizeof(name));
	/* MTA-STS (RFC 8461): domains share a site only under the same
	   policy. */
	if (ps->qr->sts_opts != NULL &&
	    (sts = calloc(1, sizeof(*sts))) != NULL) {
		(void)mtasts_get(ps->res, d->name, ps->qr->sts_dir,
		    ps->qr->sts_opts, time(NULL), sts);
		if (sts->policy.mode != MTASTS_NONE) {
			(void)util_strlcat(name, " mta-sts=", sizeof(name));
			(void)util_strlcat(name, d->name, sizeof(name));
		}
		log_info(ps->qr->log, "%s: MTA-STS: %s", d->name, sts->why);
	}
	if ((s = site_add(ps, name)) == NULL) {
		free(mx);
		free(sts);
		goto nomem;
	}
	if (s->sts == NULL && sts != NULL &&
	    sts->policy.mode != MTASTS_NONE) {
		if ((s->sts = malloc(sizeof(*s->sts))) != NULL)
			*s->sts = sts->policy;
	}
	free(sts);
	if (s->domain[0] == '\0')
		(void)util_strlcpy(s->domain, d->name, sizeof(s->domain));
	if (s->pol == NULL)
		s->pol = qpolicy_site(ps->qr->p, d->name, mx);
	if (s->mx == NULL)
		s->mx = mx;
	else
		free(mx);
	s->self_ok |= self_ok;
	d->site = (size_t)(s - ps->sites);
	return;
nomem:
	(void)util_strlcpy(d->why, "out of memory (or too many sites)",
	    sizeof(d->why));
}

static struct dom *
domain_of(struct pass *ps, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *name = at != NULL ? at + 1 : "";
	struct dom *d;
	void *np;
	size_t i;

	for (i = 0; i < ps->ndoms; i++)
		if (strcasecmp(ps->doms[i].name, name) == 0)
			return &ps->doms[i];
	if (ps->ndoms == QRUN_DOMAINS_MAX)
		return NULL;
	if (ps->ndoms == ps->capdoms) {
		ps->capdoms = ps->capdoms ? ps->capdoms * 2 : 64;
		if ((np = realloc(ps->doms, ps->capdoms * sizeof(*ps->doms))) ==
		    NULL)
			return NULL;
		ps->doms = np;
	}
	d = &ps->doms[ps->ndoms];
	memset(d, 0, sizeof(*d));
	if ((d->name = strdup(name)) == NULL)
		return NULL;
	ps->ndoms++;
	resolve(ps, d);
	return d;
}

/* Recipient i of message id goes to site s.  0 or -1. */
static int
item_add(struct qsite *s, const struct queue_env *e, size_t i)
{
	const char *id = e->id;
	size_t nr = e->nr;
	struct qitem *it;
	void *np;

	if (s->nitems > 0 && strcmp(s->items[s->nitems - 1].id, id) == 0)
		it = &s->items[s->nitems - 1];
	else {
		if (s->nitems == s->capitems) {
			s->capitems = s->capitems ? s->capitems * 2 : 16;
			if ((np = realloc(s->items,
				 s->capitems * sizeof(*s->items))) == NULL)
				return -1;
			s->items = np;
		}
		it = &s->items[s->nitems];
		memset(it, 0, sizeof(*it));
		(void)util_strlcpy(it->id, id, sizeof(it->id));
		it->null_sender = e->from[0] == '\0';
		if ((it->r = calloc(nr, sizeof(*it->r))) == NULL)
			return -1;
		s->nitems++;
	}
	it->r[it->nr++] = i;
	return 0;
}

static void
touch(struct pass *ps, const char *id)
{
	void *np;

	if (ps->ntouched == ps->captouched) {
		ps->captouched = ps->captouched ? ps->captouched * 2 : 64;
		if ((np = realloc(ps->touched,
			 ps->captouched * sizeof(*ps->touched))) == NULL)
			return;
		ps->touched = np;
	}
	if ((ps->touched[ps->ntouched] = strdup(id)) != NULL)
		ps->ntouched++;
}

/* ------------------------------------------------------------ messages */

/* Fail every waiting recipient of a message too old to keep trying
   (RFC 3464 status 4.4.7 "delivery time expired", given as 5.4.7 in a
   failure report). */
static void
expire(struct pass *ps, const char *id)
{
	struct qrun *qr = ps->qr;
	struct queue_env e;
	char err[ERR_MAX], why[QUEUE_REPLY_MAX + 128], age[32];
	char ea[LOG_ESC_MAX], ew[LOG_ESC_MAX * 2];
	struct buf b;
	size_t i;
	int fd;

	queue_env_init(&e);
	if (queue_load(qr->q, id, 1, 0, &e, &fd, err, sizeof(err)) == -1) {
		queue_env_free(&e);
		return;
	}
	buf_init(&b, QUEUE_JOURNAL_MAX);
	qrun_span(qrun_now() - e.created, age, sizeof(age));
	for (i = 0; i < e.nr; i++) {
		struct queue_rcpt *r = &e.r[i];

		if (r->state != QUEUE_PENDING)
			continue;
		(void)snprintf(why, sizeof(why),
		    "gave up after %s in the queue%s%s", age,
		    r->reply != NULL ? "; the last reply: " : "",
		    r->reply != NULL ? r->reply : "");
		(void)queue_env_set(&e, i, QUEUE_FAILED, 0, r->code, "5.4.7",
		    r->relay, why);
		log_info(qr->log, "%s: to=<%s>, delay=%s, tries=%u, "
		    "dsn=5.4.7, status=expired (%s)", e.id,
		    log_esc(ea, sizeof(ea), r->addr), age, r->tries,
		    log_esc_quoted(ew, sizeof(ew), why));
		qr->nbounced++;
		(void)queue_journal_rcpt(&e, i, &b);
	}
	if (b.len > 0 && queue_append(&e, fd, &b, err, sizeof(err)) == -1)
		log_err(qr->log, "%s", err);
	buf_free(&b);
	(void)close(fd);
	queue_env_free(&e);
	touch(ps, id);
}

/* Recipients waiting for longer than queue_delay_warn get a delay
   notice (once: "W").  Under the message's lock. */
static void
warn_delays(struct pass *ps, const char *id)
{
	struct qrun *qr = ps->qr;
	struct queue_env e;
	char err[ERR_MAX];
	struct buf b;
	size_t i, k = 0, *idx;
	int fd;

	queue_env_init(&e);
	if (queue_load(qr->q, id, 1, 0, &e, &fd, err, sizeof(err)) == -1) {
		queue_env_free(&e);
		return;
	}
	if ((idx = calloc(e.nr, sizeof(*idx))) == NULL)
		goto out;
	for (i = 0; i < e.nr; i++)
		if (e.r[i].state == QUEUE_PENDING && e.r[i].tries > 0 &&
		    !e.r[i].warned)
			idx[k++] = i;
	if (k > 0 && qbounce_send(qr, &e, fd, DSN_DELAY, idx, k) == 0) {
		buf_init(&b, QUEUE_JOURNAL_MAX);
		for (i = 0; i < k; i++)
			(void)buf_printf(&b, "W %zu\n", idx[i]);
		if (queue_append(&e, fd, &b, err, sizeof(err)) == -1)
			log_err(qr->log, "%s", err);
		buf_free(&b);
	}
	free(idx);
out:
	(void)close(fd);
	queue_env_free(&e);
}

/* Does recipient r owe its sender a report not yet queued: a bounce
   (failed), or a "relayed" DSN (RFC 3461 §5.2.2 (b))? */
static int
report_owed(const struct queue_rcpt *r, enum dsn_kind kind)
{
	if (r->bounced)
		return 0;
	return kind == DSN_FAILURE ? r->state == QUEUE_FAILED
				   : r->state == QUEUE_SENT && r->relayed;
}

static int
any_owed(const struct queue_env *e)
{
	size_t i;

	for (i = 0; i < e->nr; i++)
		if (report_owed(&e->r[i], DSN_FAILURE) ||
		    report_owed(&e->r[i], DSN_SUCCESS))
			return 1;
	return 0;
}

/* The reports of one kind owed for e: queued, then "B IDX" for each
   in the journal (a crash between the two sends one twice, never not
   at all). */
static void
reports(struct qrun *qr, struct queue_env *e, int fd, enum dsn_kind kind,
    size_t *idx)
{
	char err[ERR_MAX];
	struct buf b;
	size_t i, k = 0;

	for (i = 0; i < e->nr; i++)
		if (report_owed(&e->r[i], kind))
			idx[k++] = i;
	/* RFC 5321 §4.5.5 and RFC 3461 §6.1: never a report to <>
	   (qbounce_send sends none and says done). */
	if (k == 0 || qbounce_send(qr, e, fd, kind, idx, k) == -1)
		return;
	buf_init(&b, QUEUE_JOURNAL_MAX);
	for (i = 0; i < k; i++)
		(void)buf_printf(&b, "B %zu\n", idx[i]);
	if (queue_append(e, fd, &b, err, sizeof(err)) == -1)
		log_err(qr->log, "%s", err);
	else
		for (i = 0; i < k; i++)
			e->r[idx[i]].bounced = 1;
	buf_free(&b);
	if (e->from[0] == '\0')
		log_info(qr->log, "%s: from=<>: %s", e->id,
		    kind == DSN_FAILURE ? "no bounce for a bounce"
					: "no report to <>");
}

/*
 * A message whose recipients failed for good gets its bounce at once,
 * even while others still wait (one report for those failed so far),
 * and those relayed to a server without DSN that asked for it their
 * "relayed" report; one with nothing waiting and nothing owed leaves
 * the queue.
 */
static int64_t
finish(struct qrun *qr, const char *id)
{
	struct queue_env e;
	char err[ERR_MAX];
	size_t i, *idx = NULL;
	int64_t due = 0;
	int fd;

	queue_env_init(&e);
	if (queue_load(qr->q, id, 1, 0, &e, &fd, err, sizeof(err)) == -1) {
		queue_env_free(&e);
		return 0;
	}
	if ((idx = calloc(e.nr, sizeof(*idx))) == NULL)
		goto out;
	reports(qr, &e, fd, DSN_FAILURE, idx);
	reports(qr, &e, fd, DSN_SUCCESS, idx);
	if (queue_pending(&e) > 0) {
		/* The first next try, or the age limit if sooner. */
		due = e.created + qr->p->max_age;
		for (i = 0; i < e.nr; i++)
			if (e.r[i].state == QUEUE_PENDING && e.r[i].next < due)
				due = e.r[i].next;
		if (due <= 0)
			due = 1;
		goto out;
	}
	if (any_owed(&e)) {
		due = qrun_now() + QRUN_OWED_S;
		goto out; /* owed: the next pass tries again */
	}
	if (queue_remove(qr->q, id, err, sizeof(err)) == -1)
		log_err(qr->log, "%s", err);
	else
		log_info(qr->log, "%s: removed", id);
out:
	free(idx);
	(void)close(fd);
	queue_env_free(&e);
	return due;
}

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int
qsched_stop_requested(void)
{
	return stop_flag != 0;
}

/* Read the queue into ps: what is due, by site; what is finished (or
   expires) into ps->touched.  Messages with a worker are left out. */
/*
 * Look at message id (unless the pass has, or a worker has it): its
 * recipients due now go to their sites' items; *next_due (0: none yet)
 * becomes the soonest other due time.
 */
static void
pass_add(struct pass *ps, struct qsched *sc, const char *id, int now_all,
    int64_t now, int64_t *next_due)
{
	struct qrun *qr = ps->qr;
	struct queue_env e;
	struct dom *d;
	char err[ERR_MAX];
	size_t j;
	int fd;

	if (seen_add(ps, id) == 0 || qsched_busy(sc, id))
		return;
	queue_env_init(&e);
	if (queue_load(qr->q, id, 0, 0, &e, &fd, err, sizeof(err)) == -1) {
		if (errno != ENOENT)
			log_err(qr->log, "%s", err);
		queue_env_free(&e);
		return;
	}
	(void)close(fd);
	qr->nmsgs++;
	if (any_owed(&e) || queue_pending(&e) == 0)
		touch(ps, e.id);
	if (queue_pending(&e) == 0) {
		queue_env_free(&e);
		return;
	}
	if (now - e.created >= qr->p->max_age) {
		expire(ps, e.id);
		queue_env_free(&e);
		return;
	}
	if (qr->p->delay_warn > 0 && now - e.created >= qr->p->delay_warn)
		for (j = 0; j < e.nr; j++)
			if (e.r[j].state == QUEUE_PENDING && e.r[j].tries > 0 &&
			    !e.r[j].warned) {
				warn_delays(ps, e.id);
				break;
			}
	for (j = 0; j < e.nr; j++) {
		if (e.r[j].state != QUEUE_PENDING)
			continue;
		if (e.r[j].next > now && !now_all) {
			if (*next_due == 0 || e.r[j].next < *next_due)
				*next_due = e.r[j].next;
			continue;
		}
		if ((d = domain_of(ps, e.r[j].addr)) == NULL) {
			log_err(qr->log, "%s: out of memory", e.id);
			continue;
		}
		qr->total++;
		if (d->site == (size_t)-1) {
			/* A site of its own, to defer or fail with the
			   domain's reason. */
			struct qsite *s;
			char nm[600];

			(void)snprintf(nm, sizeof(nm), "unresolved %s",
			    d->name);
			if ((s = site_add(ps, nm)) != NULL)
				(void)item_add(s, &e, j);
			continue;
		}
		if (item_add(&ps->sites[d->site], &e, j) == -1)
			log_err(qr->log, "%s: out of memory", e.id);
	}
	/* The message's age limit is a due time too. */
	if (*next_due == 0 || e.created + qr->p->max_age < *next_due)
		*next_due = e.created + qr->p->max_age;
	queue_env_free(&e);
}

static void
pass_scan(struct pass *ps, struct qsched *sc, int now_all, int64_t *next_due)
{
	struct qrun *qr = ps->qr;
	char err[ERR_MAX], **ids;
	size_t n, i;
	int64_t now = qrun_now();

	*next_due = 0;
	if (queue_ids(qr->q, &ids, &n, err, sizeof(err)) == -1) {
		log_err(qr->log, "%s", err);
		return;
	}
	for (i = 0; i < n; i++)
		pass_add(ps, sc, ids[i], now_all, now, next_due);
	queue_ids_free(ids, n);
}

/* The unresolved sites: their recipients deferred or failed now. */
static void
pass_unresolved(struct pass *ps)
{
	struct qrun *qr = ps->qr;
	size_t k, j;

	for (k = 0; k < ps->nsites; k++) {
		struct qsite *s = &ps->sites[k];

		if (strncmp(s->name, "unresolved ", 11) != 0)
			continue;
		for (j = 0; j < ps->ndoms; j++)
			if (strcasecmp(ps->doms[j].name, s->name + 11) == 0)
				break;
		(void)util_strlcpy(qr->site_name, s->name,
		    sizeof(qr->site_name));
		qsite_defer(qr, s, j < ps->ndoms && ps->doms[j].perm,
		    j < ps->ndoms ? ps->doms[j].why : "unresolved");
		for (j = 0; j < s->nitems; j++) {
			touch(ps, s->items[j].id); /* bounces, at once */
			free(s->items[j].r);
		}
		s->nitems = 0; /* nothing for the workers */
	}
}

/* The items workers have had since long: freed (their IDs stay seen). */
static void
pass_forget_handed(struct pass *ps)
{
	struct qsite *s;
	size_t k, i;

	for (k = 0; k < ps->nsites; k++) {
		s = &ps->sites[k];
		if (s->next < QRUN_HANDED_MAX)
			continue;
		for (i = 0; i < s->next; i++)
			free(s->items[i].r);
		memmove(s->items, s->items + s->next,
		    (s->nitems - s->next) * sizeof(*s->items));
		s->nitems -= s->next;
		s->next = 0;
	}
}

static void
pass_free(struct pass *ps)
{
	size_t i, k;

	for (k = 0; k < ps->nsites; k++) {
		for (i = 0; i < ps->sites[k].nitems; i++)
			free(ps->sites[k].items[i].r);
		free(ps->sites[k].items);
		free(ps->sites[k].mx);
		free(ps->sites[k].sts);
	}
	free(ps->sites);
	for (i = 0; i < ps->ndoms; i++)
		free(ps->doms[i].name);
	free(ps->doms);
	for (i = 0; i < ps->ntouched; i++)
		free(ps->touched[i]);
	free(ps->touched);
	for (i = 0; i < ps->capseen; i++)
		free(ps->seen[i]);
	free(ps->seen);
	if (ps->res != NULL) {
		if (ps->qr->dns == ps->res)
			ps->qr->dns = NULL;
		dns_free(ps->res);
	}
	memset(ps, 0, sizeof(*ps));
}

/* MTA-STS for direct delivery: policies cached in DIR/mta-sts. */
static void
sts_setup(struct qrun *qr, const char *dir, struct mtasts_fetch_opts *o)
{
	qr->sts_opts = NULL;
	if (!qr->rt->direct || !qr->rt->mta_sts)
		return;
	(void)snprintf(qr->sts_dir, sizeof(qr->sts_dir), "%s/mta-sts", dir);
	if (mkdir(qr->sts_dir, 0700) == -1 && errno != EEXIST) {
		log_warn(qr->log, "%s: %s: MTA-STS policies are not cached",
		    qr->sts_dir, strerror(errno));
	}
	memset(o, 0, sizeof(*o));
	o->cafile = qr->rt->mta_sts_ca;
	o->connect_to = qr->rt->mta_sts_connect_to;
	qr->sts_opts = o;
}

static void
stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
}

/* The reaped workers' messages, forgotten. */
static void
done_free(struct qsched *sc)
{
	size_t i;

	for (i = 0; i < sc->ndone; i++)
		free(sc->done[i]);
	free(sc->done);
	sc->done = NULL;
	sc->ndone = sc->capdone = 0;
}

int
queue_flush(const char *dir, const struct routing *rt,
    const struct session *base, const struct qpolicy *p, struct log *log,
    int progress, int now_all)
{
	struct queue q;
	struct qrun qr;
	struct pass ps;
	struct qsched *sc;
	struct mtasts_fetch_opts stso;
	char err[ERR_MAX];
	int64_t next_due;
	size_t i, k;

	if (queue_open(&q, dir, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return errno == EACCES ? 77 : 78;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		queue_close(&q);
		return 71;
	}
	stop_signals();
	memset(&qr, 0, sizeof(qr));
	qr.q = &q;
	qr.p = p;
	qr.rt = rt;
	qr.base = base;
	qr.log = log;
	sts_setup(&qr, dir, &stso);
	qr.progress = progress;
	qr.start_ms = util_now_ms();
	memset(&ps, 0, sizeof(ps));
	ps.qr = &qr;
	pass_scan(&ps, sc, now_all, &next_due);
	pass_unresolved(&ps);
	for (k = 0; k < ps.nsites; k++)
		for (i = 0; i < ps.sites[k].nitems; i++)
			touch(&ps, ps.sites[k].items[i].id);
	qsched_dispatch(&qr, sc, ps.sites, ps.nsites, 1);
	while (qsched_reap(&qr, sc, 1) > 0)
		;
	for (i = 0; i < ps.ntouched; i++)
		(void)finish(&qr, ps.touched[i]);
	done_free(sc);
	if (qr.progress)
		fputc('\n', stderr);
	log_info(log, "flush %s: %lu message%s, %lu sent, %lu deferred, "
	    "%lu bounced, in %.1f s", dir, qr.nmsgs, qr.nmsgs == 1 ? "" : "s",
	    qr.nsent,
	    qr.ndeferred, qr.nbounced,
	    (double)(util_now_ms() - qr.start_ms) / 1000.0);
	pass_free(&ps);
	free(sc);
	queue_close(&q);
	return 0;
}

/* ------------------------------------------------------------ --run */

static int wake_fd = -1; /* the self-pipe's write end */

static void
on_child(int sig)
{
	int saved = errno;

	(void)sig;
	if (wake_fd != -1)
		(void)write(wake_fd, "c", 1);
	errno = saved;
}

/* inotify on DIR/q: a descriptor that becomes readable when a message
   is linked in, or -1 (then the runner polls). */
static int
watch_queue(const char *dir)
{
#ifdef __linux__
	char path[QUEUE_PATH_MAX + 4];
	int fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/q", dir);
	if (inotify_add_watch(fd, path, IN_CREATE | IN_MOVED_TO) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
#else
	(void)dir;
	return -1;
#endif
}

/*
 * The messages inotify says were linked into q/ since the last look:
 * each added to the pass ps (when it has not seen it).  0, or -1 when
 * the events overflowed (a scan must find what they lost).
 */
static int
new_names(int fd, struct pass *ps, struct qsched *sc, int64_t now,
    int64_t *next_due)
{
#ifdef __linux__
	char b[64 * 1024]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n, off;
	int rc = 0;

	if (fd == -1)
		return 0;
	while ((n = read(fd, b, sizeof(b))) > 0) {
		for (off = 0; off + (ssize_t)sizeof(*ev) <= n;
		    off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(b + off);
			if (ev->mask & IN_Q_OVERFLOW)
				rc = -1;
			else if (ev->len > 0 && ps->qr != NULL &&
			    queue_id_valid(ev->name))
				pass_add(ps, sc, ev->name, 0, now, next_due);
		}
	}
	return rc;
#else
	(void)fd;
	(void)ps;
	(void)sc;
	(void)now;
	(void)next_due;
	return 0;
#endif
}

static void
drain(int fd)
{
	char b[4096];

	while (fd != -1 && read(fd, b, sizeof(b)) > 0)
		;
}

int
queue_run(const char *dir, const struct routing *rt,
    const struct session *base, const struct qpolicy *p, struct log *log,
    int poll_s)
{
	struct queue q;
	struct qrun qr;
	struct pass ps;
	struct qsched *sc;
	struct sigaction sa;
	struct mtasts_fetch_opts stso;
	struct pollfd pf[2];
	char err[ERR_MAX];
	int64_t next_due, wait_ms, now, last_scan, due;
	size_t i;
	int wp[2], ino, npf, rescan;

	if (queue_open(&q, dir, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return errno == EACCES ? 77 : 78;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL || pipe(wp) == -1) {
		free(sc);
		queue_close(&q);
		return 71;
	}
	(void)fcntl(wp[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(wp[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(wp[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(wp[1], F_SETFD, FD_CLOEXEC);
	wake_fd = wp[1];
	stop_signals();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	(void)sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NOCLDSTOP;
	(void)sigaction(SIGCHLD, &sa, NULL);
	ino = poll_s > 0 ? -1 : watch_queue(dir);
	if (poll_s <= 0)
		poll_s = ino == -1 ? QRUN_POLL_S : QRUN_IDLE_S;
	log_info(log, "run %s: started (%s)", dir,
	    ino != -1 ? "inotify" : "polling");
	memset(&qr, 0, sizeof(qr));
	qr.q = &q;
	qr.p = p;
	qr.rt = rt;
	qr.base = base;
	qr.log = log;
	sts_setup(&qr, dir, &stso);
	/*
	 * A pass is kept between wake-ups: a worker that ends frees a slot
	 * for the items the pass still holds, and a message linked in
	 * (inotify names it) is added to it.  The whole queue is scanned
	 * again only when something is due, when inotify lost count, and
	 * every poll_s seconds.  So a wake-up costs what changed, not the
	 * size of the queue.
	 */
	memset(&ps, 0, sizeof(ps));
	rescan = 1;
	last_scan = 0;
	next_due = 0;
	while (!qsched_stop_requested()) {
		(void)qsched_reap(&qr, sc, 0);
		drain(wp[0]);
		now = qrun_now();
		/* What the workers had: finished, or due again later. */
		for (i = 0; i < sc->ndone; i++) {
			due = finish(&qr, sc->done[i]);
			if (due > 0 && (next_due == 0 || due < next_due))
				next_due = due;
		}
		done_free(sc);
		if (new_names(ino, &ps, sc, now, &next_due) == -1)
			rescan = 1;
		if (rescan || (next_due > 0 && next_due <= now) ||
		    now - last_scan >= poll_s) {
			pass_free(&ps);
			ps.qr = &qr;
			qr.total = 0;
			pass_scan(&ps, sc, 0, &next_due);
			last_scan = now;
			rescan = 0;
			for (i = 0; i < ps.ntouched; i++)
				if (!qsched_busy(sc, ps.touched[i]))
					(void)finish(&qr, ps.touched[i]);
		}
		pass_unresolved(&ps);
		/* Items a site had no slot for wait in the pass. */
		qsched_dispatch(&qr, sc, ps.sites, ps.nsites, 0);
		pass_forget_handed(&ps);
		if (ps.nseen > QRUN_SEEN_MAX)
			rescan = 1;
		now = qrun_now();
		wait_ms = (int64_t)(last_scan + poll_s - now) * 1000;
		if (next_due > 0 && (next_due - now) * 1000 < wait_ms)
			wait_ms = next_due > now ? (next_due - now) * 1000 : 0;
		if (wait_ms < 100)
			wait_ms = 100; /* never spin */
		npf = 0;
		pf[npf].fd = wp[0];
		pf[npf++].events = POLLIN;
		if (ino != -1) {
			pf[npf].fd = ino;
			pf[npf++].events = POLLIN;
		}
		if (poll(pf, (nfds_t)npf, (int)wait_ms) > 0 && ino != -1 &&
		    (pf[npf - 1].revents & POLLIN))
			/* Let a burst of new messages settle. */
			(void)util_sleep_ms(QRUN_SETTLE_MS,
			    qsched_stop_requested);
	}
	pass_free(&ps);
	log_info(log, "run %s: stopping; %zu connection%s to finish", dir,
	    sc->nw, sc->nw == 1 ? "" : "s");
	while (sc->nw > 0)
		(void)qsched_reap(&qr, sc, 1);
	/* What the last workers had (reaped here, or in the pass the stop
	   cut short): finished now, not at the next start. */
	for (i = 0; i < sc->ndone; i++)
		(void)finish(&qr, sc->done[i]);
	done_free(sc);
	log_info(log, "run %s: stopped: %lu sent, %lu deferred, %lu bounced",
	    dir, qr.nsent, qr.ndeferred, qr.nbounced);
	wake_fd = -1;
	(void)close(wp[0]);
	(void)close(wp[1]);
	if (ino != -1)
		(void)close(ino);
	free(sc);
	queue_close(&q);
	return 0;
}
