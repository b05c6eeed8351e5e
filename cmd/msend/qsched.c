/*
 * qsched.c: the runner's connections at once.  Each connection is a
 * forked worker that delivers a chunk of one site's messages (at most
 * messages-per-connection of them) with qsite_deliver and reports its
 * counts on a pipe.  The parent keeps within the limits: connections
 * per site and in total; a rate per site, which each of the site's
 * workers keeps by pacing its messages (rate / connections each); and
 * it slows a site down by itself (one connection, half the rate, for
 * QSCHED_COOL_S seconds) when a worker saw a 421 or temporary failures
 * for most of its recipients (back-pressure).  A message handed to a
 * worker is not handed out again until that worker is done; a second
 * runner on the same queue is kept off by the messages' locks.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msend.h"
#include "qrun.h"
#include "util.h"

/* How long a site stays slowed down after back-pressure, seconds. */
#define QSCHED_COOL_S 600

/* The limits of site s now (its own settings and throttle included). */
static void
limits(struct qsched *sc, const struct qrun *qr, const struct qsite *s,
    int *conns, double *rate, size_t *mpc)
{
	const char *site = s->name;
	size_t i;

	*conns = qr->p->site_conns > 0 ? qr->p->site_conns : 1;
	*rate = qr->p->site_rate;
	*mpc = qr->p->msgs_per_conn > 0 ? (size_t)qr->p->msgs_per_conn : 0;
	if (s->pol != NULL) {
		if (s->pol->conns > 0)
			*conns = s->pol->conns;
		if (s->pol->rate >= 0)
			*rate = s->pol->rate;
		if (s->pol->mpc > 0)
			*mpc = (size_t)s->pol->mpc;
	}
	for (i = 0; i < sc->nthr; i++)
		if (strcmp(sc->thr[i].site, site) == 0 &&
		    sc->thr[i].until > qrun_now()) {
			*conns = 1;
			if (*rate <= 0 || *rate > sc->thr[i].rate)
				*rate = sc->thr[i].rate;
		}
}

static size_t
running_for(const struct qsched *sc, const char *site)
{
	size_t i, n = 0;

	for (i = 0; i < sc->nw; i++)
		if (strcmp(sc->w[i].site, site) == 0)
			n++;
	return n;
}

int
qsched_busy(const struct qsched *sc, const char *id)
{
	size_t i, j;

	for (i = 0; i < sc->nw; i++)
		for (j = 0; j < sc->w[i].nids; j++)
			if (strcmp(sc->w[i].ids[j], id) == 0)
				return 1;
	return 0;
}

/* A worker: deliver the chunk, report, exit. */
static void
worker(struct qrun *qr, struct qsite *chunk, int fd)
{
	char line[128];
	int n;

	/* SIGTERM (qrun.c's handler, kept): the message at hand is
	   finished, the session ends with QUIT. */
	qr->progress = 0;
	qr->nsent = qr->ndeferred = qr->nbounced = qr->ntemp = qr->n421 = 0;
	qsite_deliver(qr, chunk);
	n = snprintf(line, sizeof(line), "%lu %lu %lu %lu %lu\n", qr->nsent,
	    qr->ndeferred, qr->nbounced, qr->ntemp, qr->n421);
	(void)util_write_all(fd, line, (size_t)n);
	_exit(0);
}

/* Start a worker on the next chunk of s (from item *next).  0 started,
   1 no slot now, -1 fork failed. */
static int
start(struct qrun *qr, struct qsched *sc, struct qsite *s, size_t *next)
{
	struct qsite chunk;
	struct qworker *w;
	size_t mpc, i, k;
	double rate;
	int conns, p[2];
	pid_t pid;

	limits(sc, qr, s, &conns, &rate, &mpc);
	if (sc->nw >= QSCHED_WORKERS_MAX ||
	    (qr->p->total_conns > 0 && sc->nw >= (size_t)qr->p->total_conns) ||
	    running_for(sc, s->name) >= (size_t)conns)
		return 1;
	if (mpc == 0)
		mpc = s->nitems;
	chunk = *s;
	chunk.items = s->items + *next;
	chunk.nitems = s->nitems - *next < mpc ? s->nitems - *next : mpc;
	/* The site's rate shared among its connections. */
	chunk.pace_ms = rate > 0 ? (int64_t)(1000.0 * conns / rate) : 0;
	w = &sc->w[sc->nw];
	memset(w, 0, sizeof(*w));
	if ((w->ids = calloc(chunk.nitems, sizeof(*w->ids))) == NULL)
		return -1;
	for (i = k = 0; i < chunk.nitems; i++)
		if ((w->ids[k] = strdup(chunk.items[i].id)) != NULL)
			k++;
	w->nids = k;
	if (pipe(p) == -1) {
		qsched_free_worker(w);
		return -1;
	}
	(void)fflush(NULL);
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		qsched_free_worker(w);
		return -1;
	}
	if (pid == 0) {
		(void)close(p[0]);
		worker(qr, &chunk, p[1]);
	}
	(void)close(p[1]);
	w->pid = pid;
	w->fd = p[0];
	(void)util_strlcpy(w->site, s->name, sizeof(w->site));
	w->rate = rate;
	sc->nw++;
	*next += chunk.nitems;
	return 0;
}

void
qsched_free_worker(struct qworker *w)
{
	size_t i;

	for (i = 0; i < w->nids; i++)
		free(w->ids[i]);
	free(w->ids);
	w->ids = NULL;
	w->nids = 0;
	if (w->fd > 0)
		(void)close(w->fd);
	w->fd = -1;
}

/* A reaped worker's messages go to sc->done (taken from w). */
static void
done_add(struct qsched *sc, struct qworker *w)
{
	size_t i;
	void *np;

	if (sc->ndone + w->nids > sc->capdone) {
		size_t cap = sc->capdone ? sc->capdone : 64;

		while (cap < sc->ndone + w->nids)
			cap *= 2;
		if ((np = reallocarray(sc->done, cap, sizeof(*sc->done))) ==
		    NULL)
			return; /* the next scan finds them */
		sc->done = np;
		sc->capdone = cap;
	}
	for (i = 0; i < w->nids; i++) {
		sc->done[sc->ndone++] = w->ids[i];
		w->ids[i] = NULL;
	}
	w->nids = 0;
}

/* Back-pressure: slow the site down. */
static void
throttle(struct qrun *qr, struct qsched *sc, const char *site, int why421)
{
	struct qthrottle *t = NULL;
	size_t i;
	double rate = qr->p->site_rate > 0 ? qr->p->site_rate : 1.0;

	for (i = 0; i < sc->nw; i++)
		if (strcmp(sc->w[i].site, site) == 0 && sc->w[i].rate > 0)
			rate = sc->w[i].rate;
	for (i = 0; i < sc->nthr; i++)
		if (strcmp(sc->thr[i].site, site) == 0)
			t = &sc->thr[i];
	if (t == NULL) {
		if (sc->nthr == QSCHED_THROTTLE_MAX)
			t = &sc->thr[util_random() % QSCHED_THROTTLE_MAX];
		else
			t = &sc->thr[sc->nthr++];
		memset(t, 0, sizeof(*t));
		(void)util_strlcpy(t->site, site, sizeof(t->site));
		t->rate = rate;
	}
	t->rate = t->rate / 2 > 0.01 ? t->rate / 2 : 0.01;
	t->until = qrun_now() + QSCHED_COOL_S;
	log_warn(qr->log, "site %s: %s; one connection and %.2f messages/s "
	    "for %d minutes", site, why421 ? "421 (server busy)"
				     : "most recipients deferred",
	    t->rate, QSCHED_COOL_S / 60);
}

int
qsched_reap(struct qrun *qr, struct qsched *sc, int block)
{
	unsigned long s, d, b, t, c;
	char line[128];
	ssize_t n;
	size_t i;
	pid_t pid;
	int st, reaped = 0;

	while (sc->nw > 0) {
		pid = waitpid(-1, &st, block && reaped == 0 ? 0 : WNOHANG);
		if (pid == -1 && errno == EINTR) {
			if (qsched_stop_requested())
				block = 0;
			continue;
		}
		if (pid <= 0)
			break;
		for (i = 0; i < sc->nw; i++)
			if (sc->w[i].pid == pid)
				break;
		if (i == sc->nw)
			continue;
		n = read(sc->w[i].fd, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		if (sscanf(line, "%lu %lu %lu %lu %lu", &s, &d, &b, &t, &c) ==
		    5) {
			qr->nsent += s;
			qr->ndeferred += d;
			qr->nbounced += b;
			if (c > 0 || (t >= 5 && t * 2 > s + d + b))
				throttle(qr, sc, sc->w[i].site, c > 0);
		} else
			log_err(qr->log, "site %s: a connection's worker "
			    "ended without a report (%s)", sc->w[i].site,
			    WIFSIGNALED(st) ? "killed" : "exited");
		done_add(sc, &sc->w[i]);
		qsched_free_worker(&sc->w[i]);
		sc->w[i] = sc->w[--sc->nw];
		reaped++;
		qrun_progress(qr);
	}
	return reaped;
}

void
qsched_dispatch(struct qrun *qr, struct qsched *sc, struct qsite *sites,
    size_t nsites, int block)
{
	size_t k;
	int rc, progress;

	do {
		progress = 0;
		for (k = 0; k < nsites; k++) {
			if (qsched_stop_requested())
				return;
			rc = 0;
			while (sites[k].next < sites[k].nitems) {
				rc = start(qr, sc, &sites[k], &sites[k].next);
				if (rc != 0)
					break;
				progress = 1;
			}
			if (rc == -1)
				log_err(qr->log, "fork: %s", strerror(errno));
		}
		for (k = 0; k < nsites; k++)
			if (sites[k].next < sites[k].nitems)
				break;
		if (k == nsites || !block)
			break;
		/* Wait for a slot. */
		if (qsched_reap(qr, sc, 1) == 0 && !progress)
			break;
	} while (1);
}
