/*
 * mimap: IMAP.  `mimap serve' serves a Maildir++ tree over IMAP.  This
 * file picks the command.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "client.h"
#include "mimap.h"
#include "secret.h"
#include "util.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s serve [options]      IMAP server over a Maildir++ "
	    "tree\n"
	    "       %s list URL                 folders, special use, "
	    "STATUS counts\n"
	    "       %s fetch URL [--folder F]... (--maildir DIR | --mda "
	    "ARGV... ';')\n"
	    "             [--delete | --mark-seen] [--state FILE]\n"
	    "       %s append URL --folder F [--flags 'F...'] < message\n"
	    "       %s idle URL [--folder F] [--timeout S]  exit 0: new "
	    "mail, 75: none\n"
	    "       %s --help | --version\n"
	    "URL: imap[s]://[USER@]HOST[:PORT].  `%s CMD --help' lists "
	    "the options;\nsee mimap(1).\n",
	    PROG, PROG, PROG, PROG, PROG, PROG, PROG);
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
	if (strcmp(argv[1], "list") == 0)
		return client_list_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "fetch") == 0)
		return client_fetch_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "append") == 0)
		return client_append_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "idle") == 0)
		return client_idle_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return util_version(PROG);
	fprintf(stderr,
	    "%s: %s: unknown command (serve, list, fetch, append, idle)\n",
	    PROG, argv[1]);
	usage(stderr);
	return EX_USAGE;
}
