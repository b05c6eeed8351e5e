/*
 * qsite.c: delivery from the queue to one destination site: the
 * smarthost, a --route host, or a set of MX hosts (recipient domains
 * with the same MX hosts are one site, so gmail.com and googlemail.com
 * share connections).  A session carries many messages (RSET between)
 * and many recipients per transaction, up to what the server takes (a
 * 452 on RCPT sends the rest in the next transaction, RFC 5321
 * §4.5.3.1.10).  Each recipient's outcome is appended to its message's
 * journal and synced as soon as the transaction's last reply is read.
 * A connection that cannot be made, a greeting or EHLO refused, a 421
 * or a lost link moves what is left to the next host; when no host is
 * left the rest is deferred with the last reason.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "msend.h"
#include "net.h"
#include "qrun.h"
#include "util.h"

/* ------------------------------------------------------------ message */

struct qsrc {
	int fd;
	off_t off;
	uint64_t size;
};

/* The queued message to the server: CRLF already; dot-stuffed after
   DATA (RFC 5321 §4.5.2), as is in BDAT. */
static int
qsrc_write(void *arg, struct io *io, int dot, char *err, size_t errlen)
{
	const struct qsrc *q = arg;
	char b[65536];
	uint64_t left = q->size;
	off_t at = q->off;
	size_t i, start;
	ssize_t n;
	int bol = 1, last = '\n';

	while (left > 0) {
		n = pread(q->fd, b, left < sizeof(b) ? (size_t)left : sizeof(b),
		    at);
		if (n <= 0) {
			util_seterr(err, errlen, "queue file: %s",
			    n == 0 ? "cut short" : strerror(errno));
			return -1;
		}
		at += n;
		left -= (uint64_t)n;
		if (!dot) {
			if (io_write(io, b, (size_t)n) == -1)
				goto bad;
			continue;
		}
		for (i = start = 0; i < (size_t)n; i++) {
			if (bol && b[i] == '.') {
				if (io_write(io, b + start, i - start) == -1 ||
				    io_write(io, ".", 1) == -1)
					goto bad;
				start = i;
			}
			bol = b[i] == '\n';
		}
		if (io_write(io, b + start, (size_t)n - start) == -1)
			goto bad;
		last = b[n - 1];
	}
	/* DATA ends with CRLF "." CRLF: the text must end in a line end. */
	if (dot && last != '\n' && io_write(io, "\r\n", 2) == -1)
		goto bad;
	return 0;
bad:
	util_seterr(err, errlen, "%s", io->err);
	return -1;
}

/* ------------------------------------------------------------ outcomes */

/* The enhanced status code in a reply's text ("550 5.1.1 ..."). */
static void
reply_status(const char *why, int code, char *out, size_t outlen)
{
	const char *p = why;
	unsigned a, b, c;
	int n = 0;

	out[0] = '\0';
	while (*p != '\0' && !(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' &&
				 p[2] >= '0' && p[3] == ' '))
		p++;
	if (*p != '\0' && sscanf(p + 4, "%u.%u.%u%n", &a, &b, &c, &n) == 3 &&
	    (a == 2 || a == 4 || a == 5) && b < 1000 && c < 1000 &&
	    (p[4 + n] == ' ' || p[4 + n] == '\0'))
		(void)snprintf(out, outlen, "%u.%u.%u", a, b, c);
	else if (code >= 200)
		(void)snprintf(out, outlen, "%d.0.0", code / 100);
}

/* Record recipient i's outcome in e (not yet in the journal). */
static void
outcome(struct qrun *qr, struct queue_env *e, size_t i, int ok, int perm,
    int code, const char *relay, const char *why)
{
	struct queue_rcpt *r = &e->r[i];
	char st[16], delay[32], ea[LOG_ESC_MAX], ew[LOG_ESC_MAX * 2];
	int64_t now = qrun_now();
	const char *what;

	reply_status(why, code, st, sizeof(st));
	/* No reply of the server's: RFC 3463 X.4.1, no answer from host. */
	if (st[0] == '\0')
		(void)util_strlcpy(st, ok ? "2.0.0"
			: code == 0 ? (perm ? "5.4.1" : "4.4.1")
			: perm	    ? "5.0.0"
				    : "4.0.0",
		    sizeof(st));
	r->tries++;
	if (ok) {
		(void)queue_env_set(e, i, QUEUE_SENT, 0, code, st, relay, why);
		what = "sent";
		qr->nsent++;
	} else if (perm) {
		(void)queue_env_set(e, i, QUEUE_FAILED, 0, code, st, relay,
		    why);
		what = "bounced";
		qr->nbounced++;
	} else {
		(void)queue_env_set(e, i, QUEUE_PENDING,
		    now + qrun_backoff(qr->p, r->tries), code, st, relay, why);
		what = "deferred";
		qr->ndeferred++;
		if (code >= 400 && code < 500)
			qr->ntemp++;
		if (code == 421) /* the server is overloaded (RFC 5321 §3.8) */
			qr->n421++;
	}
	qrun_span(now - e->created, delay, sizeof(delay));
	log_info(qr->log,
	    "%s: to=<%s>, site=%s, relay=%s, delay=%s, tries=%u, dsn=%s, "
	    "status=%s (%s)",
	    e->id, log_esc(ea, sizeof(ea), r->addr), qr->site_name,
	    relay != NULL ? relay : "none", delay, r->tries, st, what,
	    log_esc_quoted(ew, sizeof(ew), why));
}

/* Journal the outcomes of recipients idx[0..n) of e.  0 or -1. */
static int
journal(struct qrun *qr, struct queue_env *e, int fd, const size_t *idx,
    size_t n)
{
	char err[ERR_MAX];
	struct buf b;
	size_t i;
	int rc = 0;

	buf_init(&b, QUEUE_JOURNAL_MAX);
	for (i = 0; i < n; i++)
		if (queue_journal_rcpt(e, idx[i], &b) == -1)
			rc = -1;
	if (rc == 0 && queue_append(e, fd, &b, err, sizeof(err)) == -1)
		rc = -1;
	if (rc == -1)
		log_err(qr->log, "%s: %s", e->id,
		    err[0] ? err : "out of memory");
	buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------ session */

/* How TLS goes with one MX host (host_tls). */
struct hosttls {
	int required; /* TLS or no delivery there */
	int verify; /* PKIX, the host's name (MTA-STS) */
	struct tls_tlsa rec[DNS_TLSA_MAX]; /* DANE: the usable records */
	unsigned char *data[DNS_TLSA_MAX];
	const struct tls_tlsa *tlsa;
	int ntlsa;
	const char *names[3]; /* DANE-TA reference identifiers */
	char how[16]; /* "dane", "mta-sts", "" */
};

/* One message of the site over the open session cs.  Returns 0 when the
   session may go on, -1 when it is over (the message's recipients not
   yet answered stay for the next host). */
static int
one_message(struct qrun *qr, struct csession *cs, struct qitem *it,
    const char *relay)
{
	struct smtp_client_rcpt rc[SMTP_RCPT_MAX];
	size_t idx[SMTP_RCPT_MAX], todo[QUEUE_RCPT_MAX];
	struct smtp_client_msg msg;
	struct smtp_client_txn t;
	struct queue_env e;
	struct qsrc src;
	char err[ERR_MAX];
	size_t i, n, ntodo = 0, k;
	int fd, ret = 0, over = 0, retry, anyok;

	queue_env_init(&e);
	if (queue_load(qr->q, it->id, 1, 0, &e, &fd, err, sizeof(err)) ==
	    -1) {
		if (errno != ENOENT && errno != EWOULDBLOCK)
			log_err(qr->log, "%s", err);
		it->done = 1; /* gone, or another runner has it */
		queue_env_free(&e);
		return 0;
	}
	for (i = 0; i < it->nr; i++)
		if (it->r[i] < e.nr && e.r[it->r[i]].state == QUEUE_PENDING)
			todo[ntodo++] = it->r[i];
	src.fd = fd;
	src.off = e.msg_off;
	src.size = e.size;
	memset(&msg, 0, sizeof(msg));
	msg.size = e.size;
	msg.eightbit = e.eightbit;
	msg.write = qsrc_write;
	msg.arg = &src;
	while (ntodo > 0 && !over) {
		if (qr->txns++ > 0 && smtp_client_rset(&cs->c) == -1) {
			ret = -1;
			break;
		}
		n = ntodo < SMTP_RCPT_MAX ? ntodo : SMTP_RCPT_MAX;
		memset(&t, 0, sizeof(t));
		t.from = e.from;
		t.ret = e.ret;
		t.envid = e.envid;
		t.msg = &msg;
		t.rcpt = rc;
		t.nrcpt = (int)n;
		for (i = 0; i < n; i++) {
			memset(&rc[i], 0, sizeof(rc[i]));
			rc[i].addr = e.r[todo[i]].addr;
			rc[i].notify = e.r[todo[i]].notify;
			/* RFC 3461 §5.2.1 (d): an ORCPT as it came (a
			   queue file is checked, not trusted, before
			   it goes into a command). */
			if (e.r[todo[i]].orcpt != NULL &&
			    smtp_orcpt_valid(e.r[todo[i]].orcpt,
				strlen(e.r[todo[i]].orcpt)))
				rc[i].orcpt_param = e.r[todo[i]].orcpt;
		}
		if (smtp_client_txn(&cs->c, &t) == -1)
			over = 1;
		/* Outcomes; a 452 (too many recipients) and, when the
		   session is over, those without a reply of their own go
		   again (next transaction, or next host). */
		retry = 0;
		for (i = 0, anyok = 0; i < n; i++)
			anyok |= rc[i].res.cls == YERR_OK;
		for (i = k = 0; i < n; i++) {
			if (over && rc[i].code == 0) {
				todo[retry++] = todo[i];
				continue;
			}
			if (rc[i].res.cls != YERR_OK && rc[i].code == 452 &&
			    !over && anyok) {
				todo[retry++] = todo[i];
				continue;
			}
			outcome(qr, &e, todo[i], rc[i].res.cls == YERR_OK,
			    !yerr_temporary(rc[i].res.cls) &&
				rc[i].res.cls != YERR_OK,
			    rc[i].code, relay, rc[i].res.msg);
			/* RFC 3461 §5.2.2: a server without DSN got no
			   NOTIFY; when it asked for SUCCESS, we report
			   "relayed" (qrun.c finish), else it reports
			   itself (§5.2.1). */
			e.r[todo[i]].relayed = rc[i].res.cls == YERR_OK &&
			    !cs->c.ehlo.dsn &&
			    (e.r[todo[i]].notify & SMTP_NOTIFY_SUCCESS) != 0;
			idx[k++] = todo[i];
		}
		if (k > 0 && journal(qr, &e, fd, idx, k) == -1) {
			over = 1;
			ret = -1;
		}
		/* Those left behind, then what was never tried. */
		for (i = n; i < ntodo; i++)
			todo[retry++] = todo[i];
		ntodo = (size_t)retry;
		if (k == 0 && !over)
			break; /* nothing moved: do not loop */
	}
	if (over)
		ret = -1;
	/* What is left goes to the next host. */
	it->nr = 0;
	for (i = 0; i < ntodo; i++)
		it->r[it->nr++] = todo[i];
	if (it->nr == 0)
		it->done = 1;
	(void)close(fd);
	queue_env_free(&e);
	return ret;
}

/* Defer what is left of the site's items for a reason of the site's
   (a host that cannot be reached, a greeting refused, DNS). */
void
qsite_defer(struct qrun *qr, struct qsite *s, int perm, const char *why)
{
	struct queue_env e;
	char err[ERR_MAX];
	size_t i, j, idx[QUEUE_RCPT_MAX], k;
	int fd;

	for (i = 0; i < s->nitems; i++) {
		struct qitem *it = &s->items[i];

		if (it->done)
			continue;
		queue_env_init(&e);
		if (queue_load(qr->q, it->id, 1, 0, &e, &fd, err,
			sizeof(err)) == -1) {
			queue_env_free(&e);
			continue;
		}
		for (j = k = 0; j < it->nr; j++)
			if (it->r[j] < e.nr &&
			    e.r[it->r[j]].state == QUEUE_PENDING) {
				outcome(qr, &e, it->r[j], 0, perm, 0,
				    s->last_relay[0] ? s->last_relay : NULL,
				    why);
				idx[k++] = it->r[j];
			}
		if (k > 0)
			(void)journal(qr, &e, fd, idx, k);
		(void)close(fd);
		queue_env_free(&e);
		it->done = 1;
	}
}

/* Every item of the site over one connection to host (in clear text
   when clear), as far as it goes.  0 when the session got through the
   messages it took (the rest may go on another connection), -1 when
   this host is done for (*tls_failed: its STARTTLS handshake failed,
   and opportunistic TLS may try it again in clear, RFC 7435 §3). */
static int
over_connection(struct qrun *qr, struct qsite *s, int fd, const char *host,
    const char *addr, const struct hosttls *ht, int clear, int *tls_failed)
{
	struct session ss = *qr->base;
	struct csession cs;
	size_t i;
	int nmsg = 0, rc = 0;

	*tls_failed = 0;
	ss.host = host;
	if (ht != NULL && ht->required) {
		/* DANE or MTA-STS: TLS, verified as they say, or nothing. */
		ss.tls = TLSM_STARTTLS;
		ss.tls_required = 1;
		ss.tls_verify = ht->verify;
		ss.tlsa = ht->tlsa;
		ss.ntlsa = ht->ntlsa;
		ss.dane_names = ht->names;
	} else if (clear)
		ss.tls = TLSM_OFF;
	(void)snprintf(s->last_relay, sizeof(s->last_relay), "%s[%s]", host,
	    addr);
	if (client_begin(&cs, fd, &ss) == -1) {
		if (cs.c.reply.code == 421)
			qr->n421++;
		(void)util_strlcpy(s->last_why, cs.why, sizeof(s->last_why));
		*tls_failed = cs.tls_failed && !ss.tls_required;
		client_end(&cs);
		return -1;
	}
	qr->txns = 0;
	for (i = 0; i < s->nitems; i++) {
		if (s->items[i].done)
			continue;
		if ((qr->p->msgs_per_conn > 0 &&
			nmsg >= qr->p->msgs_per_conn) ||
		    qsched_stop_requested())
			break;
		nmsg++;
		/* The site's rate: this worker's share of it (bounces, from
		   <>, are not held back). */
		if (s->pace_ms > 0 && s->last_ms > 0 &&
		    !s->items[i].null_sender &&
		    util_now_ms() < s->last_ms + s->pace_ms)
			(void)util_sleep_ms(
			    (int)(s->last_ms + s->pace_ms - util_now_ms()),
			    qsched_stop_requested);
		s->last_ms = util_now_ms();
		if (one_message(qr, &cs, &s->items[i], s->last_relay) == -1) {
			if (cs.c.reply.code == 421)
				qr->n421++;
			(void)snprintf(s->last_why, sizeof(s->last_why),
			    "%s: %s", s->last_relay, cs.c.err.msg);
			rc = -1;
			break;
		}
		qrun_progress(qr);
	}
	client_end(&cs);
	return rc;
}

/* Items of the site still to go. */
static size_t
left(const struct qsite *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nitems; i++)
		if (!s->items[i].done)
			n++;
	return n;
}

/* Connect to name:port by getaddrinfo (a smarthost or a --route host):
   fd or -1 (why in s->last_why). */
static int
connect_host(struct qrun *qr, struct qsite *s, const char *host,
    const char *port, char *addr, size_t addrlen)
{
	struct addrinfo hints, *ai;
	char err[ERR_MAX];
	int rc, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		(void)snprintf(s->last_why, sizeof(s->last_why), "%s: %s",
		    host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	fd = net_connect_ai(ai, qrun_connect_ms(qr), addr, addrlen, err,
	    sizeof(err));
	freeaddrinfo(ai);
	if (fd == -1)
		(void)snprintf(s->last_why, sizeof(s->last_why),
		    "%s port %s: %s", host, port, err);
	return fd;
}

/* Connections to one address (fd from connect, which returns -1 with
   s->last_why set), until nothing is left, the host fails, or a failed
   STARTTLS was tried again in clear. */
static void
over_address(struct qrun *qr, struct qsite *s, const char *host,
    const char *addr, const struct hosttls *ht,
    int (*connect)(struct qrun *, struct qsite *, void *), void *arg)
{
	int fd, clear = 0, tls_failed;

	while (left(s) > 0) {
		if ((fd = connect(qr, s, arg)) == -1)
			return;
		if (over_connection(qr, s, fd, host, addr, ht, clear,
			&tls_failed) == 0)
			continue; /* the per-connection cap: a new one */
		if (!tls_failed || clear || (ht != NULL && ht->required))
			return;
		log_warn(qr->log, "%s [%s]: STARTTLS failed; trying again "
		    "without TLS", host, addr);
		clear = 1;
	}
}

struct named {
	char addr[NET_ADDRSTR_MAX];
};

static int
connect_named(struct qrun *qr, struct qsite *s, void *arg)
{
	struct named *nm = arg;

	return connect_host(qr, s, s->host, s->port, nm->addr,
	    sizeof(nm->addr));
}

/* A named host (smarthost, --route). */
static void
via_named(struct qrun *qr, struct qsite *s)
{
	struct named nm;

	(void)util_strlcpy(nm.addr, s->host, sizeof(nm.addr));
	over_address(qr, s, s->host, nm.addr, NULL, connect_named, &nm);
}

struct mxaddr {
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *host;
	char a[DNS_ADDRSTR_MAX];
};

static int
connect_mx(struct qrun *qr, struct qsite *s, void *arg)
{
	struct mxaddr *m = arg;
	char err[ERR_MAX];
	int fd;

	fd = net_connect_sa((struct sockaddr *)&m->ss, m->sl,
	    qrun_connect_ms(qr), err, sizeof(err));
	if (fd == -1)
		(void)snprintf(s->last_why, sizeof(s->last_why),
		    "%s [%s] port %s: %s", m->host, m->a, qr->rt->port, err);
	return fd;
}

/*
 * How TLS must go with MX host h: DANE when the MX answer and the
 * host's TLSA records are DNSSEC-validated (RFC 7672: TLS required, the
 * certificate matched to the records; a TLSA lookup that fails means
 * the host is not tried now, §2.1.1), else the domain's MTA-STS policy
 * in enforce mode (RFC 8461 §4: only hosts it names, TLS with a
 * certificate valid for the host name), else opportunistic.  DANE wins
 * over MTA-STS (RFC 8461 §2).  0, or -1 when h is not to be tried (why
 * in s->last_why).
 */
static int
host_tls(struct qrun *qr, struct qsite *s, const struct dns_mx_host *h,
    struct hosttls *ht)
{
	struct dns_tlsa_result *tr = NULL;
	int port = atoi(qr->rt->port), i, rc = 0;

	memset(ht, 0, sizeof(*ht));
	if (s->mx->secure && h->secure && qr->dns != NULL &&
	    (tr = calloc(1, sizeof(*tr))) != NULL) {
		(void)dns_tlsa_lookup(qr->dns, h->name, port, tr);
		switch (tr->status) {
		case DNS_TLSA_FOUND:
			ht->required = 1;
			ht->names[0] = h->name;
			ht->names[1] = s->domain[0] ? s->domain : NULL;
			for (i = 0; i < tr->ntlsa && i < DNS_TLSA_MAX; i++) {
				ht->rec[ht->ntlsa].usage = tr->tlsa[i].usage;
				ht->rec[ht->ntlsa].selector =
				    tr->tlsa[i].selector;
				ht->rec[ht->ntlsa].mtype = tr->tlsa[i].mtype;
				ht->rec[ht->ntlsa].len = tr->tlsa[i].len;
				if ((ht->data[ht->ntlsa] = malloc(
					 tr->tlsa[i].len + 1)) == NULL)
					continue;
				memcpy(ht->data[ht->ntlsa], tr->tlsa[i].data,
				    tr->tlsa[i].len);
				ht->rec[ht->ntlsa].data = ht->data[ht->ntlsa];
				if (tls_tlsa_usable(&ht->rec[ht->ntlsa]))
					ht->ntlsa++;
				else
					free(ht->data[ht->ntlsa]);
			}
			/* §2.2: records but none usable: TLS, unchecked. */
			ht->tlsa = ht->ntlsa > 0 ? ht->rec : NULL;
			ht->verify = 0;
			(void)util_strlcpy(ht->how, ht->ntlsa > 0
				? "dane" : "dane-unusable", sizeof(ht->how));
			goto out;
		case DNS_TLSA_TEMPFAIL:
			(void)snprintf(s->last_why, sizeof(s->last_why),
			    "%s: TLSA lookup failed (DANE, RFC 7672 "
			    "§2.1.1): %s", h->name, tr->err);
			rc = -1;
			goto out;
		default:
			break; /* no DANE for this host */
		}
	}
	if (s->sts != NULL && s->sts->mode == MTASTS_ENFORCE) {
		if (!mtasts_policy_match(s->sts, h->name)) {
			(void)snprintf(s->last_why, sizeof(s->last_why),
			    "%s: not an MX host the MTA-STS policy of %s "
			    "names (RFC 8461 §4)", h->name, s->domain);
			rc = -1;
			goto out;
		}
		ht->required = 1;
		ht->verify = 1;
		(void)util_strlcpy(ht->how, "mta-sts", sizeof(ht->how));
	}
out:
	free(tr);
	return rc;
}

static void
hosttls_free(struct hosttls *ht)
{
	int i;

	for (i = 0; i < ht->ntlsa; i++)
		free(ht->data[i]);
	ht->ntlsa = 0;
}

/* The MX hosts in order, each address in order, until nothing is left. */
static void
via_mx(struct qrun *qr, struct qsite *s)
{
	struct dns_mx_host *h;
	struct hosttls ht;
	struct mxaddr m;
	int i, j, port = atoi(qr->rt->port);

	for (i = 0; i < s->mx->nhost && left(s) > 0; i++) {
		h = &s->mx->host[i];
		if (h->naddr == 0) {
			(void)snprintf(s->last_why, sizeof(s->last_why),
			    "%s: %s", h->name, h->err);
			continue;
		}
		if (host_tls(qr, s, h, &ht) == -1)
			continue;
		if (ht.how[0] != '\0')
			log_info(qr->log, "%s: TLS by %s%s", h->name, ht.how,
			    ht.ntlsa > 0 ? " (TLSA records)" : "");
		for (j = 0; j < h->naddr && left(s) > 0; j++) {
			m.sl = dns_addr_sockaddr(&h->addr[j], port, &m.ss);
			dns_addr_str(&h->addr[j], m.a, sizeof(m.a));
			m.host = h->name;
			if (!s->self_ok &&
			    net_addr_is_self((struct sockaddr *)&m.ss)) {
				(void)snprintf(s->last_why,
				    sizeof(s->last_why),
				    "MX %s [%s] is this host: mail would loop "
				    "back to itself",
				    h->name, m.a);
				continue;
			}
			over_address(qr, s, h->name, m.a, &ht, connect_mx,
			    &m);
		}
		hosttls_free(&ht);
	}
}

void
qsite_deliver(struct qrun *qr, struct qsite *s)
{
	s->last_why[0] = '\0';
	s->last_relay[0] = '\0';
	(void)util_strlcpy(qr->site_name, s->name, sizeof(qr->site_name));
	if (s->mx != NULL)
		via_mx(qr, s);
	else
		via_named(qr, s);
	if (left(s) > 0)
		qsite_defer(qr, s, 0,
		    s->last_why[0] ? s->last_why : "no host could be tried");
}
