/*
 * mtasts_prog: common/mtasts's fetch and get from the command line, for
 * tests/unit/mtasts_fetch_test (built only for `make check').
 *
 *   mtasts_prog fetch [-c CAFILE] [-t CONNECT_TO] [-T SECONDS] DOMAIN
 *	the policy body on stdout; exit 1 and the error on stderr
 *   mtasts_prog get -d DNS -C CACHEDIR [-n NOW] [-c ...] [-t ...] DOMAIN
 *	"mode M", "source S", "id I", "mx P" (each), "why W" on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "mtasts.h"

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: mtasts_prog fetch|get [-c cafile] "
	    "[-t connect-to] [-T timeout] [-d dns] "
	    "[-C cachedir] [-n now] domain\n");
	exit(2);
}

static int
get(const char *dns, const char *dir, time_t now, const char *domain,
    const struct mtasts_fetch_opts *o)
{
	static const char *src[] = {"none", "cache", "fetched"};
	struct mtasts_result *res;
	struct dns_resolver *r;
	char err[ERR_MAX];
	int i, rc;

	if ((r = dns_new(dns, 2, 1, err, sizeof(err))) == NULL) {
		(void)fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((res = malloc(sizeof(*res))) == NULL)
		return 1;
	rc = mtasts_get(r, domain, dir, o, now, res);
	(void)printf("mode %s\nsource %s\nid %s\n",
	    mtasts_mode_str(res->policy.mode), src[res->source], res->id);
	for (i = 0; i < res->policy.nmx; i++)
		(void)printf("mx %s\n", res->policy.mx[i]);
	(void)printf("why %s\n", res->why);
	free(res);
	dns_free(r);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct mtasts_fetch_opts o = {NULL, NULL, NULL, 0};
	const char *cmd, *dns = NULL, *dir = NULL;
	char err[ERR_MAX];
	time_t now = time(NULL);
	struct buf b;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "c:C:d:n:t:T:")) != -1)
		switch (c) {
		case 'c': o.cafile = optarg; break;
		case 'C': dir = optarg; break;
		case 'd': dns = optarg; break;
		case 'n': now = (time_t)strtoll(optarg, NULL, 10); break;
		case 't': o.connect_to = optarg; break;
		case 'T': o.timeout_s = atoi(optarg); break;
		default: usage();
		}
	if (optind != argc - 1)
		usage();
	if (strcmp(cmd, "get") == 0) {
		if (dns == NULL)
			usage();
		return get(dns, dir, now, argv[optind], &o);
	}
	if (strcmp(cmd, "fetch") != 0)
		usage();
	buf_init(&b, 0);
	if (mtasts_fetch(argv[optind], &o, &b, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "%s\n", err);
		return 1;
	}
	(void)fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	return 0;
}
