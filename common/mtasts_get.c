/*
 * mtasts_get.c: the MTA-STS policy a sender applies to a domain (RFC
 * 8461 §5.1): the id from _mta-sts.DOMAIN, the policy from the cache
 * while it is unexpired and its id unchanged, else fetched and cached;
 * a failed refresh keeps an unexpired cached policy in force.
 *
 * The cache is a directory the caller owns with one file per domain
 * (its A-label form, lower case), written to a temporary file, fsynced
 * and renamed into place, so a reader sees the old file or the new one.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "mtasts.h"
#include "util.h"

#define MTASTS_PATH_MAX 1024

int
mtasts_lookup_id(struct dns_resolver *r, const char *domain, char *id,
    size_t idlen, char *err, size_t errlen)
{
	char name[DNS_NAME_MAX + 1], e[ERR_MAX];
	struct dns_answer *a;
	int st, n;

	if (idlen > 0)
		id[0] = '\0';
	n = snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	if (n < 0 || (size_t)n >= sizeof(name) || !dns_name_valid(name)) {
		util_seterr(
		    err, errlen, "_mta-sts.%.200s: not a domain name", domain);
		return MTASTS_ID_NONE;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		util_seterr(err, errlen, "%s: %s", name, strerror(errno));
		return MTASTS_ID_TEMPFAIL;
	}
	e[0] = '\0';
	st = dns_query(r, name, DNS_T_TXT, a, e, sizeof(e));
	switch (st) {
	case DNS_OK:
		if (mtasts_txt_select(
			a->txt, a->ntxt, id, idlen, e, sizeof(e)) == 0) {
			free(a);
			return MTASTS_ID_FOUND;
		}
		util_seterr(err, errlen, "%s: %s", name, e);
		st = MTASTS_ID_NONE;
		break;
	case DNS_TEMPFAIL:
		util_seterr(err, errlen, "%s: %s", name,
		    e[0] != '\0' ? e : dns_status_str(st));
		st = MTASTS_ID_TEMPFAIL;
		break;
	default:
		util_seterr(err, errlen, "%s: %s", name,
		    st == DNS_NODATA ? "no TXT record" : dns_status_str(st));
		st = MTASTS_ID_NONE;
		break;
	}
	free(a);
	return st;
}

/* ------------------------------------------------------------ cache */

static int
cache_path(char *out, size_t outlen, const char *dir, const char *pre,
    const char *domain, const char *post)
{
	int n = snprintf(out, outlen, "%s/%s%s%s", dir, pre, domain, post);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/*
 * The cached policy of domain: 1 and p, id, *fetched set; 0 when there
 * is none; -1 with err when the file is there but unusable.
 */
static int
cache_load(const char *dir, const char *domain, struct mtasts_policy *p,
    char *id, size_t idlen, time_t *fetched, char *err, size_t errlen)
{
	char path[MTASTS_PATH_MAX], e[ERR_MAX];
	struct buf b;
	size_t off, len;
	int fd, ret = -1;

	if (cache_path(path, sizeof(path), dir, "", domain, "") == -1) {
		util_seterr(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b, MTASTS_CACHE_MAX);
	if (buf_read_fd(&b, fd) == -1) {
		util_seterr(err, errlen, "%s: %s", path,
		    errno == EMSGSIZE ? "too large" : strerror(errno));
		goto out;
	}
	if (mtasts_cache_parse(b.data != NULL ? b.data : "", b.len, id, idlen,
		fetched, &off, &len, e, sizeof(e)) == -1 ||
	    mtasts_policy_parse(b.data + off, len, p, e, sizeof(e)) == -1) {
		util_seterr(err, errlen, "%s: %s", path, e);
		goto out;
	}
	ret = 1;
out:
	buf_free(&b);
	(void)close(fd);
	return ret;
}

static int
cache_store(const char *dir, const char *domain, const char *id, time_t fetched,
    const struct buf *text, char *err, size_t errlen)
{
	char path[MTASTS_PATH_MAX], tmp[MTASTS_PATH_MAX], post[32];
	struct buf b;
	int fd = -1, ret = -1;

	(void)snprintf(post, sizeof(post), ".%ld.tmp", (long)getpid());
	if (cache_path(path, sizeof(path), dir, "", domain, "") == -1 ||
	    cache_path(tmp, sizeof(tmp), dir, ".", domain, post) == -1) {
		util_seterr(err, errlen, "%s: path too long", dir);
		return -1;
	}
	buf_init(&b, MTASTS_CACHE_MAX);
	if (mtasts_cache_format(id, fetched,
		text->data != NULL ? text->data : "", text->len, &b, err,
		errlen) == -1)
		goto out;
	if ((fd = open(tmp,
		 O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		 0644)) == -1 ||
	    util_write_all(fd, b.data, b.len) == -1 || fsync(fd) == -1) {
		util_seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		util_seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (util_fsync_dir(dir) == -1) {
		util_seterr(err, errlen, "%s: %s", dir, strerror(errno));
		ret = -1; /* the file is in place, maybe not durably */
		goto out;
	}
	ret = 0;
out:
	if (fd != -1)
		(void)close(fd);
	if (ret == -1)
		(void)unlink(tmp);
	buf_free(&b);
	return ret;
}

/* ------------------------------------------------------------ get */

static const char *
when(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, outlen, "@%lld", (long long)t);
	return out;
}

/* res takes policy p with id, fetched at t, from src. */
static void
take(struct mtasts_result *res, const struct mtasts_policy *p, const char *id,
    time_t t, enum mtasts_source src)
{
	res->policy = *p;
	res->source = src;
	(void)util_strlcpy(res->id, id, sizeof(res->id));
	res->fetched = t;
	res->expires = t + p->max_age;
}

/* res says there is no MTA-STS, because of why. */
static void
nothing(struct mtasts_result *res, const char *why)
{
	memset(&res->policy, 0, sizeof(res->policy));
	res->policy.mode = MTASTS_NONE;
	res->source = MTASTS_SRC_NONE;
	res->id[0] = '\0';
	res->fetched = res->expires = 0;
	util_seterr(res->why, sizeof(res->why), "no MTA-STS: %s", why);
}

/* "policy id X, mode M, N mx, from cache, expires T" into res->why,
   with a note (or none) after it. */
static void
explain(struct mtasts_result *res, const char *domain, const char *note)
{
	char t[32];

	util_seterr(res->why, sizeof(res->why),
	    "%s: MTA-STS policy id %s, mode %s, %d mx pattern%s, %s, "
	    "expires %s%s%s%s",
	    domain, res->id, mtasts_mode_str(res->policy.mode), res->policy.nmx,
	    res->policy.nmx == 1 ? "" : "s",
	    res->source == MTASTS_SRC_FETCHED ? "fetched now" : "from cache",
	    when(res->expires, t, sizeof(t)),
	    res->policy.mode == MTASTS_NONE ? " (mode none: no MTA-STS)" : "",
	    note != NULL ? "; " : "", note != NULL ? note : "");
}

int
mtasts_get(struct dns_resolver *r, const char *domain, const char *cachedir,
    const struct mtasts_fetch_opts *o, time_t now, struct mtasts_result *res)
{
	char ascii[DNS_NAME_MAX + 1], id[MTASTS_ID_MAX + 1];
	char cid[MTASTS_ID_MAX + 1], e[ERR_MAX], ce[ERR_MAX], note[ERR_MAX];
	struct mtasts_policy *cp = NULL, *fp = NULL;
	time_t cfetched = 0;
	int cached = 0, valid = 0, st;
	struct buf body;

	memset(res, 0, sizeof(*res));
	buf_init(&body, MTASTS_POLICY_MAX);
	if (dns_to_ascii(domain, ascii, sizeof(ascii), e, sizeof(e)) == -1) {
		nothing(res, e);
		return -1;
	}
	util_lower(ascii);
	if ((cp = calloc(1, sizeof(*cp))) == NULL ||
	    (fp = calloc(1, sizeof(*fp))) == NULL) {
		util_seterr(e, sizeof(e), "%s", strerror(errno));
		nothing(res, e);
		free(cp);
		return -1;
	}
	ce[0] = cid[0] = '\0';
	if (cachedir != NULL)
		cached = cache_load(cachedir, ascii, cp, cid, sizeof(cid),
		    &cfetched, ce, sizeof(ce));
	/* §5.1: a cached policy is good until max_age after its fetch. */
	valid = cached == 1 && now < cfetched + cp->max_age;

	st = mtasts_lookup_id(r, ascii, id, sizeof(id), e, sizeof(e));
	if (st == MTASTS_ID_FOUND && valid && strcmp(id, cid) == 0) {
		take(res, cp, cid, cfetched, MTASTS_SRC_CACHE);
		explain(res, ascii, NULL);
		goto out;
	}
	if (st != MTASTS_ID_FOUND) {
		/* §5.1: no (valid) record now does not end a policy that
		   is cached and unexpired; only its expiry does. */
		if (valid) {
			take(res, cp, cid, cfetched, MTASTS_SRC_CACHE);
			util_seterr(note, sizeof(note), "%s", e);
			explain(res, ascii, note);
		} else {
			/* a cache file that is not one is worth a word */
			if (cached == -1)
				util_seterr(note, sizeof(note),
				    "%s; ignored %s", e, ce);
			nothing(res, cached == -1 ? note : e);
		}
		goto out;
	}
	/* A new id, an expired policy or none cached: fetch (§3.3). */
	if (mtasts_fetch(ascii, o, &body, e, sizeof(e)) == 0 &&
	    mtasts_policy_parse(body.data, body.len, fp, e, sizeof(e)) == 0) {
		take(res, fp, id, now, MTASTS_SRC_FETCHED);
		note[0] = '\0';
		if (cachedir != NULL &&
		    cache_store(
			cachedir, ascii, id, now, &body, ce, sizeof(ce)) == -1)
			util_seterr(note, sizeof(note), "not cached: %s", ce);
		explain(res, ascii, note[0] != '\0' ? note : NULL);
		goto out;
	}
	/* §5.1: a failed refresh keeps the unexpired cached policy. */
	if (valid) {
		take(res, cp, cid, cfetched, MTASTS_SRC_CACHE);
		util_seterr(
		    note, sizeof(note), "policy id %s not fetched: %s", id, e);
		explain(res, ascii, note);
	} else {
		util_seterr(
		    note, sizeof(note), "%s: policy id %s: %s", ascii, id, e);
		nothing(res, note);
	}
out:
	buf_free(&body);
	free(cp);
	free(fp);
	return 0;
}
