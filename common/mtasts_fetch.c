/*
 * mtasts_fetch.c: fetch an MTA-STS policy over HTTPS with libcurl
 * (RFC 8461 §3.3): https://mta-sts.DOMAIN/.well-known/mta-sts.txt, the
 * certificate verified (PKIX) for mta-sts.DOMAIN, no redirect
 * followed, only "200 OK" with a text/plain body, bounded in size and
 * time, no proxy unless one is given.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "dns.h"
#include "mtasts.h"
#include "util.h"

struct sink {
	struct buf *body;
	int toolong; /* the body passed MTASTS_POLICY_MAX */
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	n *= size; /* size is always 1 (CURLOPT_WRITEFUNCTION) */
	if (n > MTASTS_POLICY_MAX - s->body->len) {
		s->toolong = 1;
		return 0; /* ends the transfer: CURLE_WRITE_ERROR */
	}
	if (buf_append(s->body, p, n) == -1) {
		s->toolong = errno == EMSGSIZE;
		return 0; /* ends the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

/* §3.3: "Content-Type: text/plain", parameters (charset) allowed. */
static int
content_type_ok(const char *ct)
{
	size_t n = strlen("text/plain");

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (util_casecmp_n(ct, "text/plain", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static int
setup(CURL *c, const char *url, const struct mtasts_fetch_opts *o,
    struct curl_slist *to, struct sink *s, char *curlerr)
{
	long timeout = o->timeout_s > 0 ? o->timeout_s : MTASTS_FETCH_TIMEOUT;
	long connect_ms = NET_CONNECT_TIMEOUT_MS;

	if (connect_ms > timeout * 1000)
		connect_ms = timeout * 1000;
#if LIBCURL_VERSION_NUM >= 0x075500
	if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https"))
		return -1;
#else
	if (curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS) ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS))
		return -1;
#endif
	if (curl_easy_setopt(c, CURLOPT_URL, url) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    /* §3.3: "HTTP 3xx redirects MUST NOT be followed" */
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    /* the environment's http(s)_proxy is not ours to follow */
	    curl_easy_setopt(
		c, CURLOPT_PROXY, o->proxy != NULL ? o->proxy : "") ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)MTASTS_POLICY_MAX) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "yubin/" PACKAGE_VERSION) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, s))
		return -1;
	if (o->cafile != NULL && curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile))
		return -1;
	if (to != NULL && curl_easy_setopt(c, CURLOPT_CONNECT_TO, to))
		return -1;
	return 0;
}

int
mtasts_fetch(const char *domain, const struct mtasts_fetch_opts *o,
    struct buf *body, char *err, size_t errlen)
{
	static const struct mtasts_fetch_opts none;
	char host[DNS_NAME_MAX + 1], url[DNS_NAME_MAX + 64];
	char curlerr[CURL_ERROR_SIZE];
	struct curl_slist *to = NULL;
	struct sink s = {body, 0};
	const char *ct = NULL;
	long code = 0;
	CURLcode rc;
	CURL *c;
	int ret = -1, n;

	if (o == NULL)
		o = &none;
	buf_reset(body);
	n = snprintf(host, sizeof(host), "mta-sts.%s", domain);
	if (n < 0 || (size_t)n >= sizeof(host) || !dns_name_valid(host)) {
		util_seterr(
		    err, errlen, "mta-sts.%.200s: not a host name", domain);
		return -1;
	}
	util_lower(host);
	(void)snprintf(
	    url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
	if (o->connect_to != NULL &&
	    (to = curl_slist_append(NULL, o->connect_to)) == NULL) {
		util_seterr(err, errlen, "%s: out of memory", url);
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		util_seterr(err, errlen, "%s: libcurl: cannot start", url);
		curl_slist_free_all(to);
		return -1;
	}
	curlerr[0] = '\0';
	if (setup(c, url, o, to, &s, curlerr) == -1) {
		util_seterr(err, errlen,
		    "%s: libcurl refuses an option (too old?)", url);
		goto out;
	}
	rc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_FILESIZE_EXCEEDED ||
	    (rc == CURLE_WRITE_ERROR && s.toolong)) {
		util_seterr(err, errlen,
		    "%s: policy larger than %d bytes (RFC 8461 §3.3)", url,
		    MTASTS_POLICY_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		util_seterr(err, errlen, "%s: %s", url,
		    curlerr[0] != '\0' ? curlerr : curl_easy_strerror(rc));
		goto out;
	}
	if (code >= 300 && code < 400) {
		util_seterr(err, errlen,
		    "%s: HTTP %ld: a redirect, not followed (RFC 8461 §3.3)",
		    url, code);
		goto out;
	}
	if (code != 200) {
		util_seterr(err, errlen, "%s: HTTP %ld, not 200", url, code);
		goto out;
	}
	(void)curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (!content_type_ok(ct)) {
		char sn[48];
		size_t i;

		/* The header is the server's: show it printable. */
		(void)util_strlcpy(sn, ct != NULL ? ct : "none", sizeof(sn));
		for (i = 0; sn[i] != '\0'; i++)
			if (sn[i] < 0x20 || sn[i] > 0x7e)
				sn[i] = '?';
		util_seterr(err, errlen,
		    "%s: Content-Type %s, not text/plain (RFC 8461 §3.3)", url,
		    sn);
		goto out;
	}
	ret = 0;
out:
	if (ret == -1)
		buf_reset(body);
	curl_easy_cleanup(c);
	curl_slist_free_all(to);
	return ret;
}
