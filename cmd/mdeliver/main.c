/*
 * mdeliver: deliver one message from standard input into one or more
 * Maildirs, durably, to all targets or to none (DESIGN.md, "mdeliver").
 * This file: options, addresses and main; see mdeliver.h for the rest.
 */
#include "config.h"

#include <sys/resource.h>

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "mdeliver.h"
#include "util.h"

/* Descriptors one delivery may hold: a tmp file and a directory per
 * target, the spool, standard streams and pipes. */
#define FDS_WANTED (2 * TARGETS_MAX + 16)

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-f SENDER] [--maildir DIR]... [--maildir-template T]\n"
	    "       [--folder F] [--create] [--max-size N] [--passwd-file "
	    "FILE]\n"
	    "       [--allow-root] [--] [RECIPIENT...]\n"
	    "Deliver one message from standard input into Maildirs.\n"
	    "  -f SENDER              envelope sender, for Return-Path (\"\" "
	    "or <> for none)\n"
	    "  --maildir DIR          deliver into DIR (repeatable; default "
	    "$HOME/Maildir)\n"
	    "  --maildir-template T   one Maildir per RECIPIENT: %%u user, %%d "
	    "domain,\n"
	    "                         %%a user@domain, %%%% a %%\n"
	    "  --folder F             Maildir++ folder instead of INBOX\n"
	    "  --create               create missing Maildirs and folders\n"
	    "  --max-size N           refuse messages over N bytes (K, M, G; "
	    "0: no limit)\n"
	    "  --passwd-file FILE     owners and Maildirs "
	    "(user:HASH:uid:gid:maildir)\n"
	    "  --allow-root           as root, deliver into Maildirs root "
	    "owns\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          version\n"
	    "Exit: 0 delivered, 64 usage, 65 bad message, 67 no such user,\n"
	    "73 cannot create, 75 try again later (nothing delivered),\n"
	    "77 refused as root, 78 configuration.\n",
	    PROG);
}

/*
 * An envelope address: at most ADDR_MAX bytes, no control bytes, space,
 * "<" or ">" (so it cannot break the header line it goes into), and
 * when it has an "@" a non-empty local part and domain within RFC 5321
 * §4.5.3.1.
 */
static int
addr_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t i, len = strlen(a);

	if (len == 0 || len > ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return 0;
	}
	if (at != NULL &&
	    (at == a || at[1] == '\0' ||
		(size_t)(at - a) > SMTP_LOCALPART_MAX ||
		strlen(at + 1) > SMTP_DOMAIN_MAX))
		return 0;
	return 1;
}

/* Strip one pair of angle brackets in place. */
static char *
unbracket(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s[len - 1] = '\0';
		return s + 1;
	}
	return s;
}

/*
 * Room for every target's descriptors: raise the soft limit towards
 * the hard one when it is lower (best effort: past it, open fails with
 * EMFILE and the delivery is tried again later).
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= FDS_WANTED)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FDS_WANTED
	    ? FDS_WANTED
	    : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Options into r; returns optind.  Stops at the first operand. */
static int
options(struct run *r, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"maildir", required_argument, NULL, 'm'},
	    {"maildir-template", required_argument, NULL, 't'},
	    {"folder", required_argument, NULL, 'F'},
	    {"create", no_argument, NULL, 'c'},
	    {"max-size", required_argument, NULL, 's'},
	    {"passwd-file", required_argument, NULL, 'p'},
	    {"allow-root", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	char *s;
	int ch;

	/* "+": no argument after the first operand is an option, so an
	 * address can never be read as one (DESIGN.md). */
	while ((ch = getopt_long(argc, argv, "+f:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			s = unbracket(optarg);
			if (*s == '\0')
				r->sender = "";
			else if (!addr_valid(s))
				fail(NULL, EX_USAGE,
				    "-f %s: not a valid envelope address",
				    optarg);
			else
				r->sender = s;
			break;
		case 'm':
			if (r->nroots == ROOTS_MAX)
				fail(NULL, EX_USAGE,
				    "too many --maildir (at most %d)",
				    ROOTS_MAX);
			if (*optarg == '\0')
				fail(NULL, EX_USAGE, "--maildir: empty path");
			r->roots[r->nroots++] = optarg;
			break;
		case 't': r->template = optarg; break;
		case 'F':
			if (maildir_folder_valid(optarg) != 0)
				fail(NULL, EX_USAGE,
				    "--folder %s: not a valid Maildir++ folder "
				    "name",
				    optarg);
			r->folder =
			    strcasecmp(optarg, "INBOX") == 0 ? NULL : optarg;
			break;
		case 'c': r->create = 1; break;
		case 's':
			if (util_parse_num(
				optarg, 0, LLONG_MAX, 1, &r->max_size) != 0)
				fail(NULL, EX_USAGE,
				    "--max-size %s: not a size", optarg);
			break;
		case 'p': r->passwd_file = optarg; break;
		case 'R': r->allow_root = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': exit(util_version(PROG));
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	return optind;
}

/* Recipients into r: checked, brackets removed, lower-cased. */
static void
recipients(struct run *r, int argc, char **argv)
{
	char *s;
	int i;

	if ((size_t)argc > RCPT_MAX)
		fail(NULL, EX_USAGE, "too many recipients (at most %d)",
		    RCPT_MAX);
	for (i = 0; i < argc; i++) {
		s = unbracket(argv[i]);
		if (!addr_valid(s))
			fail(NULL, EX_NOUSER,
			    "%s: not a valid recipient address", argv[i]);
		util_lower(s);
		r->rcpts[r->nrcpts++] = s;
	}
}

/* Combinations of options that make no sense; $HOME/Maildir default. */
static void
check_targets(struct run *r)
{
	static char home_md[PATH_MAX];
	const char *home;

	if (r->template != NULL && (r->nroots > 0 || r->nrcpts == 0))
		fail(NULL, EX_USAGE,
		    "--maildir-template needs recipients and no --maildir");
	if (r->passwd_file != NULL && (r->nroots > 0 || r->nrcpts == 0))
		fail(NULL, EX_USAGE,
		    "--passwd-file needs recipients and no --maildir");
	if (r->template != NULL || r->passwd_file != NULL || r->nroots > 0)
		return;
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		fail(NULL, EX_CONFIG, "HOME is not set; give --maildir");
	if ((size_t)snprintf(home_md, sizeof(home_md), "%s/Maildir", home) >=
	    sizeof(home_md))
		fail(NULL, EX_CONFIG, "HOME is too long");
	r->roots[r->nroots++] = home_md;
}

int
main(int argc, char **argv)
{
	static struct run run;
	int n;

	run.max_size = MSG_SIZE_DEFAULT;
	run.group = GROUP_ALL;
	run.spool = -1;
	run.as_root = geteuid() == 0;
	if (argc > 0) /* getopt's messages read "prog: why" */
		argv[0] = (char *)PROG;
	n = options(&run, argc, argv);
	recipients(&run, argc - n, argv + n);
	check_targets(&run);
	/* Past a file size limit, write(2) fails with EFBIG (exit 75 and
	 * tmp cleaned) instead of SIGXFSZ killing us midway. */
	(void)signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();
	maildir_namer_init(&run.namer, NULL);
	plan(&run);
	if (run.as_root)
		owner_deliver(&run);
	else
		deliver_direct(&run);
	return 0;
}
