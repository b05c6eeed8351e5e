/*
 * msend_conf_fuzz: msend's config file parser (cmd/msend/config.c) and
 * the .netrc parser it relies on (common/secret.c) on hostile bytes.
 * The input is parsed as a config file, the default and a named account
 * are looked up and merged, the merged account's queue settings go
 * through qpolicy_parse (cmd/msend/qpolicy.c: every value within its
 * bounds afterwards), and the same bytes are read as a .netrc.  All in
 * memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <stdlib.h>

#include "../../cmd/msend/msend.h"
#include "../../cmd/msend/qrun.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct conf c;
	static struct qpolicy q;
	struct account a;
	const struct account *p;
	char err[ERR_MAX], pw[SECRET_MAX + 1];

	conf_init(&c);
	if (conf_parse(
		&c, (const char *)d, n, "fuzz", NULL, err, sizeof(err)) == 0) {
		account_init(&a);
		if ((p = conf_account(&c, NULL)) != NULL) {
			(void)account_merge(&a, p);
			(void)account_merge(&a, &c.defaults);
		}
		q = qpolicy_default;
		if (qpolicy_parse(&q, a.qpolicy, err, sizeof(err)) == 0 &&
		    (q.max_age <= 0 || q.retry_first <= 0 ||
			q.retry_factor < 1 || q.jitter < 0 || q.jitter > 1 ||
			q.site_conns < 1 || q.total_conns < 1 ||
			q.site_rate < 0 || q.nsites > QPOLICY_SITES_MAX ||
			qrun_backoff(&q, 1000) < 1))
			abort();
		if ((p = conf_account(&c, "work")) != NULL)
			(void)strlen(p->name);
		account_free(&a);
	}
	conf_free(&c);
	if (secret_netrc_find((const char *)d, n, "smtp.example.org", "me", pw,
		sizeof(pw)) == 1)
		(void)strlen(pw);
	(void)secret_netrc_find(
	    (const char *)d, n, "smtp.example.org", NULL, pw, sizeof(pw));
	return 0;
}
