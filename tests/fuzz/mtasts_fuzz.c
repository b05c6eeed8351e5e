/*
 * mtasts_fuzz: the MTA-STS codec (common/mtasts.c).  The whole input
 * goes through the policy parser, the TXT record parser and the cache
 * file parser; its two halves (split at the first NUL) through the MX
 * matcher.  Checks the promises, not only the absence of crashes: a
 * parsed policy has a known mode, a max_age in range, between 1 and
 * MTASTS_MX_MAX valid lower-case patterns (none only with mode none),
 * each matching a host made from it (upper case, trailing dot) and a
 * wildcard never matching two labels; a refused policy is left empty;
 * an id is 1 to 32 letters and digits; a cache file formats back to the
 * same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
check_id(const char *id)
{
	size_t i, len = strlen(id);

	if (len < 1 || len > MTASTS_ID_MAX)
		abort();
	for (i = 0; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
			(id[i] >= 'A' && id[i] <= 'Z') ||
			(id[i] >= '0' && id[i] <= '9')))
			abort();
}

static void
check_policy(const struct mtasts_policy *p)
{
	char host[DNS_NAME_MAX + 8];
	size_t len, i;
	int k;

	if (p->mode != MTASTS_NONE && p->mode != MTASTS_TESTING &&
	    p->mode != MTASTS_ENFORCE)
		abort();
	if (p->max_age < 0 || p->max_age > MTASTS_MAX_AGE_MAX)
		abort();
	if (p->nmx < 0 || p->nmx > MTASTS_MX_MAX ||
	    (p->nmx == 0 && p->mode != MTASTS_NONE))
		abort();
	for (k = 0; k < p->nmx; k++) {
		const char *m = p->mx[k];

		if (!mtasts_pattern_valid(m))
			abort();
		len = strlen(m);
		for (i = 0; i < len; i++)
			if (m[i] >= 'A' && m[i] <= 'Z')
				abort();
		/* A host the pattern stands for, in upper case with a
		   trailing dot: "*.x.net" -> "A.X.NET.". */
		if (m[0] == '*') {
			host[0] = 'A';
			memcpy(host + 1, m + 1, len - 1);
			host[len] = '\0';
		} else
			memcpy(host, m, len + 1);
		for (i = 0; host[i] != '\0'; i++)
			if (host[i] >= 'a' && host[i] <= 'z')
				host[i] = (char)(host[i] - 'a' + 'A');
		host[i] = '.';
		host[i + 1] = '\0';
		if (!mtasts_mx_match(m, host) || !mtasts_policy_match(p, host))
			abort();
		if (m[0] == '*') {
			/* exactly one label: "B.A.X.NET." must not match */
			memmove(host + 2, host, strlen(host) + 1);
			host[0] = 'B';
			host[1] = '.';
			if (mtasts_mx_match(m, host))
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d;
	char id[MTASTS_ID_MAX + 1], id2[MTASTS_ID_MAX + 1], err[ERR_MAX];
	char *a, *b;
	struct mtasts_policy *p;
	struct dns_txt *txt;
	struct buf out;
	time_t t, t2;
	size_t off, len, off2, len2, half;
	int rc;

	if ((p = malloc(sizeof(*p))) == NULL)
		return 0;
	/* The policy. */
	if (mtasts_policy_parse(s, n, p, err, sizeof(err)) == 0)
		check_policy(p);
	else if (p->nmx != 0 || p->mode != MTASTS_NONE || err[0] == '\0')
		abort();
	free(p);

	/* One TXT record, and the same as the only record of a set. */
	rc = mtasts_txt_parse(s, n, id, sizeof(id), err, sizeof(err));
	if (rc == 1)
		check_id(id);
	else if (rc != 0 && rc != -1)
		abort();
	if (n <= DNS_TXT_LEN_MAX && (txt = calloc(1, sizeof(*txt))) != NULL) {
		memcpy(txt->data, s, n);
		txt->len = n;
		if (mtasts_txt_select(
			txt, 1, id2, sizeof(id2), err, sizeof(err)) == 0) {
			if (rc != 1 || strcmp(id, id2) != 0)
				abort();
		} else if (rc == 1)
			abort();
		free(txt);
	}

	/* The cache file, formatted back. */
	if (mtasts_cache_parse(
		s, n, id, sizeof(id), &t, &off, &len, err, sizeof(err)) == 0) {
		if (off > n || len != n - off)
			abort();
		buf_init(&out, MTASTS_CACHE_MAX);
		if (mtasts_cache_format(
			id, t, s + off, len, &out, err, sizeof(err)) == -1)
			abort();
		if (mtasts_cache_parse(out.data, out.len, id2, sizeof(id2), &t2,
			&off2, &len2, err, sizeof(err)) == -1 ||
		    strcmp(id, id2) != 0 || t != t2 || len != len2 ||
		    memcmp(out.data + off2, s + off, len) != 0)
			abort();
		buf_free(&out);
	}

	/* The matcher on two strings. */
	half = n;
	if (memchr(s, '\0', n) != NULL)
		half = (size_t)((const char *)memchr(s, '\0', n) - s);
	if ((a = malloc(half + 1)) == NULL)
		return 0;
	memcpy(a, s, half);
	a[half] = '\0';
	len = half < n ? n - half - 1 : 0;
	if ((b = malloc(len + 1)) == NULL) {
		free(a);
		return 0;
	}
	memcpy(b, half < n ? s + half + 1 : "", len);
	b[len] = '\0';
	if (mtasts_mx_match(a, b) && a[0] == '*' && a[1] == '.' &&
	    strchr(b, '.') == NULL)
		abort();
	(void)mtasts_pattern_valid(a);
	free(a);
	free(b);
	return 0;
}
