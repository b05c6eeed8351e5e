/*
 * mimap: IMAP.  `mimap serve' serves a Maildir++ tree over IMAP.  This
 * file picks the command.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "mimap.h"
#include "secret.h"
#include "util.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s serve [options]      IMAP server over a Maildir++ "
	    "tree (inetd, or --listen)\n"
	    "       %s --help | --version\n"
	    "`%s serve --help' lists the options; see mimap(1).\n",
	    PROG, PROG, PROG);
}

int
main(int argc, char **argv)
{
	/* The server holds its clients' passwords. */
	(void)secret_no_core_dumps();
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return util_version(PROG);
	fprintf(stderr, "%s: %s: unknown command (serve)\n", PROG,
	    argv[1]);
	usage(stderr);
	return EX_USAGE;
}
