/*
 * dns_fuzz: the raw DNS response parser (dns_parse) on arbitrary bytes,
 * then what mxlookup and msend do with a parsed answer: names checked
 * and shown (IDNA reverse mapping), addresses printed, MX hosts sorted,
 * TLSA records within their bounds; the bytes are also taken as one
 * TLSA rdata (dns_tlsa_parse).  Any broken invariant aborts.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
check_name(const char *s)
{
	if (memchr(s, '\0', DNS_NAME_MAX + 1) == NULL || s[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct dns_answer *ans;
	struct dns_mx_host *hosts;
	char err[ERR_MAX], a[DNS_ADDRSTR_MAX], u[4 * (DNS_NAME_MAX + 1)];
	int i, nh = 0;

	if ((ans = malloc(sizeof(*ans))) == NULL)
		return 0;
	/* The same bytes as TLSA rdata: kept whole, or refused with a why. */
	err[0] = '\0';
	if (dns_tlsa_parse(d, n, &ans->tlsa[0], err, sizeof(err)) == 0) {
		if (n < 4 || ans->tlsa[0].len != n - 3 ||
		    ans->tlsa[0].usage != d[0] ||
		    memcmp(ans->tlsa[0].data, d + 3, n - 3) != 0)
			abort();
	} else if (err[0] == '\0' || (n >= 4 && n - 3 <= DNS_TLSA_DATA_MAX))
		abort();
	if (dns_parse(d, n, ans, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort(); /* a rejection always says why */
		free(ans);
		return 0;
	}
	if (ans->ncname < 0 || ans->ncname > DNS_CNAME_MAX || ans->nmx < 0 ||
	    ans->nmx > DNS_MX_MAX || ans->naddr < 0 ||
	    ans->naddr > DNS_ADDR_MAX || ans->ntxt < 0 ||
	    ans->ntxt > DNS_TXT_MAX || ans->nextra < 0 ||
	    ans->nextra > DNS_EXTRA_MAX || ans->rcode < 0 || ans->rcode > 15 ||
	    ans->ntlsa < 0 || ans->ntlsa > DNS_TLSA_MAX ||
	    ans->tlsa_dropped < 0 || ans->tlsa_dropped > ans->dropped ||
	    (ans->ad != 0 && ans->ad != 1))
		abort();
	for (i = 0; i < ans->ntlsa; i++)
		if (ans->tlsa[i].len < 1 ||
		    ans->tlsa[i].len > DNS_TLSA_DATA_MAX)
			abort();
	check_name(ans->qname);
	check_name(ans->canon);
	(void)dns_to_unicode(ans->canon, u, sizeof(u));
	for (i = 0; i < ans->ncname; i++)
		check_name(ans->cname[i].target);
	for (i = 0; i < ans->naddr; i++) {
		if (ans->addr[i].family != AF_INET &&
		    ans->addr[i].family != AF_INET6)
			abort();
		dns_addr_str(&ans->addr[i], a, sizeof(a));
	}
	for (i = 0; i < ans->ntxt; i++)
		if (ans->txt[i].len > DNS_TXT_LEN_MAX ||
		    ans->txt[i].data[ans->txt[i].len] != '\0')
			abort();
	for (i = 0; i < ans->nextra; i++) {
		check_name(ans->extra[i].name);
		dns_addr_str(&ans->extra[i].a, a, sizeof(a));
	}
	if (ans->nmx > 0 &&
	    (hosts = calloc((size_t)ans->nmx, sizeof(*hosts))) != NULL) {
		for (i = 0; i < ans->nmx; i++) {
			check_name(ans->mx[i].host);
			if (!dns_name_valid(ans->mx[i].host))
				continue;
			memcpy(hosts[nh].name, ans->mx[i].host,
			    sizeof(hosts[nh].name));
			hosts[nh].pref = ans->mx[i].pref;
			nh++;
		}
		dns_mx_sort(hosts, nh, (n & 1) ? DNS_F_NO_SHUFFLE : 0);
		for (i = 1; i < nh; i++)
			if (hosts[i - 1].pref > hosts[i].pref)
				abort();
		free(hosts);
	}
	free(ans);
	return 0;
}
