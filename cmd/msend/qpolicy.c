/*
 * qpolicy.c: the queue's policy: defaults, the msend.conf settings that
 * change them, and the per-site overrides.
 *
 *	queue_max_age DURATION		then the message bounces (5d)
 *	queue_delay_warn DURATION|off	a delay notice after (4h)
 *	queue_retry_first DURATION	the first wait (5m)
 *	queue_retry_factor REAL		each wait that many times the last
 *					(1.5)
 *	queue_retry_max DURATION	the longest wait (1h)
 *	queue_jitter REAL		each wait off by up to this part of
 *					itself (0.1)
 *	queue_connections N		connections at once in all (20)
 *	site_connections N		to one site at once (3)
 *	site_rate RATE|off		messages to one site (10/s)
 *	site_messages_per_connection N	(100)
 *	site NAME KEY VALUE [KEY VALUE]...
 *		for one site: KEY connections, rate or
 *		messages_per_connection; NAME is a recipient domain (and
 *		its subdomains) or the domain of its MX hosts
 *		("google.com" for aspmx.l.google.com)
 *
 * DURATION is a number of seconds or a number with s, m, h or d; RATE
 * is a number of messages a second, or "N/s", "N/m", "N/h" (fractions
 * allowed: "0.5/s", "30/m").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qrun.h"
#include "util.h"

const struct qpolicy qpolicy_default = {
    .max_age = 5 * 86400, /* RFC 5321 §4.5.4.1: give up after 4-5 days */
    .delay_warn = 4 * 3600, /* a delay notice after 4 hours */
    .retry_first = 300.0,
    .retry_factor = 1.5,
    .retry_max = 3600.0,
    .jitter = 0.1,
    .msgs_per_conn = 100,
    .site_conns = 3,
    .total_conns = 20,
    .site_rate = 10.0,
};

int64_t
qrun_backoff(const struct qpolicy *p, unsigned tries)
{
	double w = p->retry_first, u;
	unsigned i;

	for (i = 1; i < tries && w < p->retry_max; i++)
		w *= p->retry_factor;
	if (w > p->retry_max)
		w = p->retry_max;
	/* u in [-1, 1]. */
	u = (double)(util_random() % 20001) / 10000.0 - 1.0;
	w += w * p->jitter * u;
	return w < 1.0 ? 1 : (int64_t)(w + 0.5);
}

/* A decimal number, fractions allowed, in [min, max].  0 or -1. */
static int
real(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s))
		return -1;
	v = strtod(s, &end);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
duration(const char *s, int64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	double v, unit = 1;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': unit = 1; num[--n] = '\0'; break;
	case 'm': unit = 60; num[--n] = '\0'; break;
	case 'h': unit = 3600; num[--n] = '\0'; break;
	case 'd': unit = 86400; num[--n] = '\0'; break;
	}
	if (real(num, 0, 1e9, &v) == -1 || v * unit > 400.0 * 86400)
		return -1;
	*out = (int64_t)(v * unit + 0.5);
	return 0;
}

static int
rate(const char *s, double *out)
{
	char num[32];
	const char *sl = strchr(s, '/');
	size_t n = sl != NULL ? (size_t)(sl - s) : strlen(s);
	double v, per = 1;

	if (strcmp(s, "off") == 0) {
		*out = 0;
		return 0;
	}
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (sl != NULL) {
		if (strcmp(sl, "/s") == 0)
			per = 1;
		else if (strcmp(sl, "/m") == 0)
			per = 60;
		else if (strcmp(sl, "/h") == 0)
			per = 3600;
		else
			return -1;
	}
	if (real(num, 0.0001, 1e6, &v) == -1)
		return -1;
	*out = v / per;
	return 0;
}

static int
count(const char *s, int min, int max, int *out)
{
	long long v;

	if (util_parse_num(s, min, max, 0, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

/* One KEY VALUE of a site line into sp.  0 or -1. */
static int
site_kv(struct qsitepol *sp, const char *k, const char *v)
{
	if (strcmp(k, "connections") == 0)
		return count(v, 1, QSCHED_WORKERS_MAX, &sp->conns);
	if (strcmp(k, "rate") == 0)
		return rate(v, &sp->rate);
	if (strcmp(k, "messages_per_connection") == 0)
		return count(v, 1, 100000, &sp->mpc);
	return -1;
}

static int
site_line(struct qpolicy *p, char *v, char *err, size_t errlen)
{
	struct qsitepol *sp;
	char *w[1 + 2 * 3], *save = NULL, *t;
	int n = 0, i;

	for (t = strtok_r(v, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == (int)(sizeof(w) / sizeof(w[0])))
			goto bad;
		w[n++] = t;
	}
	if (n < 3 || n % 2 == 0 || strlen(w[0]) > SMTP_DOMAIN_MAX)
		goto bad;
	if (p->nsites == QPOLICY_SITES_MAX) {
		util_seterr(err, errlen, "site: at most %d", QPOLICY_SITES_MAX);
		return -1;
	}
	sp = &p->sites[p->nsites];
	memset(sp, 0, sizeof(*sp));
	sp->rate = -1;
	(void)util_strlcpy(sp->name, w[0], sizeof(sp->name));
	for (i = 1; i < n; i += 2)
		if (site_kv(sp, w[i], w[i + 1]) == -1)
			goto bad;
	p->nsites++;
	return 0;
bad:
	util_seterr(err, errlen, "site: expected NAME connections N | rate "
	    "RATE | messages_per_connection N ...");
	return -1;
}

int
qpolicy_parse(struct qpolicy *p, const char *lines, char *err, size_t errlen)
{
	char line[CONF_LINE_MAX * 2], *v;
	const char *nl;
	size_t len;
	int ok;

	while (lines != NULL && *lines != '\0') {
		nl = strchr(lines, '\n');
		len = nl != NULL ? (size_t)(nl - lines) : strlen(lines);
		if (len >= sizeof(line)) {
			util_seterr(err, errlen, "a queue setting too long");
			return -1;
		}
		memcpy(line, lines, len);
		line[len] = '\0';
		lines += len + (nl != NULL);
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "queue_max_age") == 0)
			ok = duration(v, &p->max_age) == 0 && p->max_age > 0;
		else if (strcmp(line, "queue_delay_warn") == 0)
			ok = strcmp(v, "off") == 0
			    ? (p->delay_warn = 0, 1)
			    : duration(v, &p->delay_warn) == 0;
		else if (strcmp(line, "queue_retry_first") == 0) {
			int64_t d;

			ok = duration(v, &d) == 0 && d > 0;
			p->retry_first = (double)d;
		} else if (strcmp(line, "queue_retry_max") == 0) {
			int64_t d;

			ok = duration(v, &d) == 0 && d > 0;
			p->retry_max = (double)d;
		} else if (strcmp(line, "queue_retry_factor") == 0)
			ok = real(v, 1.0, 100.0, &p->retry_factor) == 0;
		else if (strcmp(line, "queue_jitter") == 0)
			ok = real(v, 0.0, 1.0, &p->jitter) == 0;
		else if (strcmp(line, "queue_connections") == 0)
			ok = count(v, 1, QSCHED_WORKERS_MAX, &p->total_conns) ==
			    0;
		else if (strcmp(line, "site_connections") == 0)
			ok = count(v, 1, QSCHED_WORKERS_MAX, &p->site_conns) ==
			    0;
		else if (strcmp(line, "site_rate") == 0)
			ok = rate(v, &p->site_rate) == 0;
		else if (strcmp(line, "site_messages_per_connection") == 0)
			ok = count(v, 1, 100000, &p->msgs_per_conn) == 0;
		else if (strcmp(line, "site") == 0) {
			if (site_line(p, v, err, errlen) == -1)
				return -1;
			ok = 1;
		} else {
			util_seterr(err, errlen, "%s: not a queue setting",
			    line);
			return -1;
		}
		if (!ok) {
			util_seterr(err, errlen, "%s %s: not a valid value",
			    line, v);
			return -1;
		}
	}
	return 0;
}

/* Does name end with the domain d (d itself, or "x.d")? */
static int
in_domain(const char *name, const char *d)
{
	size_t n = strlen(name), k = strlen(d);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (k > n)
		return 0;
	if (strncasecmp(name + n - k, d, k) != 0)
		return 0;
	return k == n || name[n - k - 1] == '.';
}

const struct qsitepol *
qpolicy_site(const struct qpolicy *p, const char *domain,
    const struct dns_mx_result *mx)
{
	size_t i;
	int h;

	for (i = 0; i < p->nsites; i++) {
		if (domain != NULL && in_domain(domain, p->sites[i].name))
			return &p->sites[i];
		for (h = 0; mx != NULL && h < mx->nhost; h++)
			if (in_domain(mx->host[h].name, p->sites[i].name))
				return &p->sites[i];
	}
	return NULL;
}
