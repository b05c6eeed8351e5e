/*
 * mpop: POP3 both ways.  `mpop serve' serves a Maildir, `mpop fetch'
 * pulls a POP3 mailbox into one.  This file picks the half.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "mpop.h"
#include "secret.h"
#include "util.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s serve [options]      POP3 server over a Maildir "
	    "(inetd, --listen)\n"
	    "       %s fetch [options] URL  pull a POP3 mailbox into a "
	    "Maildir or an MDA\n"
	    "       %s --help | --version\n"
	    "`%s serve --help' and `%s fetch --help' list the options; "
	    "see mpop(1).\n",
	    PROG, PROG, PROG, PROG, PROG);
}

int
main(int argc, char **argv)
{
	/* Both halves hold passwords (fetch's own, serve's clients'). */
	(void)secret_no_core_dumps();
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "fetch") == 0)
		return fetch_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return util_version(PROG);
	fprintf(stderr, "%s: %s: unknown command (serve or fetch)\n", PROG,
	    argv[1]);
	usage(stderr);
	return EX_USAGE;
}
