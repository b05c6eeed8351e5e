/*
 * mdeliver: deliver one message from standard input into one or more
 * Maildirs, durably, to all targets or to none (DESIGN.md, "mdeliver").
 * This file is the program: options, addresses, the $HOME/Maildir
 * default and the process's own settings; the delivery itself is
 * common/lda (lda.h), which this prints the result of.
 */
#include "config.h"

#include <sys/resource.h>

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "lda.h"
#include "maildir.h"
#include "util.h"

#define PROG "mdeliver"

/* What the command line asks for. */
struct args {
	struct lda_opts o;
	const char *roots[LDA_ROOTS_MAX];
	char *rcpts[LDA_RCPT_MAX];
	size_t nrcpts;
	char home_md[PATH_MAX];
};

/* "mdeliver: WHY (will retry: exit 75)" or "(exit N)" on stderr. */
static void
report(int code, const char *why)
{
	if (code == EX_TEMPFAIL)
		fprintf(
		    stderr, "%s: %s (will retry: exit %d)\n", PROG, why, code);
	else
		fprintf(stderr, "%s: %s (exit %d)\n", PROG, why, code);
}

/* A usage or configuration error, before any delivery: report, exit. */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	char why[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	report(code, why);
	exit(code);
}

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
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= LDA_FDS_WANTED)
		return;
	rl.rlim_cur =
	    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > LDA_FDS_WANTED
	    ? LDA_FDS_WANTED
	    : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Options into a; returns optind.  Stops at the first operand. */
static int
options(struct args *a, int argc, char **argv)
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
	struct lda_opts *o = &a->o;
	char *s;
	int ch;

	/* "+": no argument after the first operand is an option, so an
	 * address can never be read as one (DESIGN.md). */
	while ((ch = getopt_long(argc, argv, "+f:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			s = unbracket(optarg);
			if (*s == '\0')
				o->sender = "";
			else if (!lda_addr_valid(s))
				die(EX_USAGE,
				    "-f %s: not a valid envelope address",
				    optarg);
			else
				o->sender = s;
			break;
		case 'm':
			if (o->nroots == LDA_ROOTS_MAX)
				die(EX_USAGE, "too many --maildir (at most %d)",
				    LDA_ROOTS_MAX);
			if (*optarg == '\0')
				die(EX_USAGE, "--maildir: empty path");
			a->roots[o->nroots++] = optarg;
			break;
		case 't': o->template = optarg; break;
		case 'F':
			if (maildir_folder_valid(optarg) != 0)
				die(EX_USAGE,
				    "--folder %s: not a valid Maildir++ folder "
				    "name",
				    optarg);
			o->folder =
			    strcasecmp(optarg, "INBOX") == 0 ? NULL : optarg;
			break;
		case 'c': o->create = 1; break;
		case 's':
			if (util_parse_num(
				optarg, 0, LLONG_MAX, 1, &o->max_size) != 0)
				die(EX_USAGE, "--max-size %s: not a size",
				    optarg);
			break;
		case 'p': o->passwd_file = optarg; break;
		case 'R': o->allow_root = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': exit(util_version(PROG));
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	return optind;
}

/* Recipients into a: checked, brackets removed, lower-cased. */
static void
recipients(struct args *a, int argc, char **argv)
{
	char *s;
	int i;

	if ((size_t)argc > LDA_RCPT_MAX)
		die(EX_USAGE, "too many recipients (at most %d)", LDA_RCPT_MAX);
	for (i = 0; i < argc; i++) {
		s = unbracket(argv[i]);
		if (!lda_addr_valid(s))
			die(EX_NOUSER, "%s: not a valid recipient address",
			    argv[i]);
		util_lower(s);
		a->rcpts[a->nrcpts++] = s;
	}
}

/* Combinations of options that make no sense; $HOME/Maildir default. */
static void
check_targets(struct args *a)
{
	struct lda_opts *o = &a->o;
	const char *home;

	if (o->template != NULL && (o->nroots > 0 || a->nrcpts == 0))
		die(EX_USAGE,
		    "--maildir-template needs recipients and no --maildir");
	if (o->passwd_file != NULL && (o->nroots > 0 || a->nrcpts == 0))
		die(EX_USAGE,
		    "--passwd-file needs recipients and no --maildir");
	if (o->template != NULL || o->passwd_file != NULL || o->nroots > 0)
		return;
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		die(EX_CONFIG, "HOME is not set; give --maildir");
	if ((size_t)snprintf(a->home_md, sizeof(a->home_md), "%s/Maildir",
		home) >= sizeof(a->home_md))
		die(EX_CONFIG, "HOME is too long");
	a->roots[o->nroots++] = a->home_md;
}

int
main(int argc, char **argv)
{
	static struct args args;
	struct maildir_namer namer;
	struct lda_result res;
	int n;

	args.o.max_size = MSG_SIZE_DEFAULT;
	args.o.roots = args.roots;
	if (argc > 0) /* getopt's messages read "prog: why" */
		argv[0] = (char *)PROG;
	n = options(&args, argc, argv);
	recipients(&args, argc - n, argv + n);
	check_targets(&args);
	/* Past a file size limit, write(2) fails with EFBIG (exit 75 and
	 * tmp cleaned) instead of SIGXFSZ killing us midway. */
	(void)signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();
	maildir_namer_init(&namer, NULL);
	args.o.namer = &namer;
	/* As root with one owner, this process becomes that owner: it has
	 * nothing else to do (no keep_privileges). */
	n = lda_deliver(&args.o, STDIN_FILENO, args.rcpts, args.nrcpts, &res);
	if (n != 0)
		report(n, res.why);
	return n;
}
