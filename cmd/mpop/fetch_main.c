/*
 * fetch_main.c: `mpop fetch': options, the account (URL, user, state
 * file, password), then the run (fetch.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "fetch.h"
#include "mpop.h"
#include "secret.h"
#include "state.h"
#include "util.h"

enum {
	OPT_USER = 256,
	OPT_PASSEVAL,
	OPT_MAILDIR,
	OPT_MDA,
	OPT_STATE,
	OPT_DELETE,
	OPT_ALL,
	OPT_ONLYNEW,
	OPT_LIMIT,
	OPT_TLS,
	OPT_TRUST,
	OPT_MAXSIZE,
	OPT_TIMEOUT
};

static const struct option longopts[] = {
    {"user", required_argument, NULL, OPT_USER},
    {"passwordeval", required_argument, NULL, OPT_PASSEVAL},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"mda", optional_argument, NULL, OPT_MDA},
    {"state", required_argument, NULL, OPT_STATE},
    {"delete", no_argument, NULL, OPT_DELETE},
    {"all", no_argument, NULL, OPT_ALL},
    {"only-new", no_argument, NULL, OPT_ONLYNEW},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"tls", required_argument, NULL, OPT_TLS},
    {"tls-trust-file", required_argument, NULL, OPT_TRUST},
    {"max-size", required_argument, NULL, OPT_MAXSIZE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s fetch [options] pop3[s]://[USER@]HOST[:PORT]\n"
	    "Pull a POP3 mailbox into a Maildir or an MDA.\n"
	    "  --maildir DIR          deliver into this Maildir (made when "
	    "missing)\n"
	    "  --mda ARGV... ';'      or pipe each message to a command "
	    "(no shell;\n"
	    "                         %%F: the Return-Path address); also "
	    "--mda 'ARGV...'\n"
	    "  --user U               user name (or in the URL)\n"
	    "  --passwordeval CMD     password from CMD's first line "
	    "(else ~/.netrc,\n"
	    "                         else asked on the terminal)\n"
	    "  --state FILE           what was fetched (default: "
	    "$XDG_STATE_HOME/yubin/\n"
	    "                         mpop/USER@HOST:PORT)\n"
	    "  --delete               delete each message once it is "
	    "delivered\n"
	    "  --all                  fetch also what was fetched before\n"
	    "  --only-new             only what was not fetched before "
	    "(default)\n"
	    "  --limit N              at most N messages this run\n"
	    "  --tls=starttls|off     pop3://: STLS required (default), or "
	    "no TLS\n"
	    "  --tls-trust-file FILE  CA certificates (PEM) to verify the "
	    "server with\n"
	    "  --max-size N           skip messages larger than N bytes "
	    "(default %ld)\n"
	    "  --timeout S            network idle timeout (default %d)\n"
	    "  -q, --quiet            no summary\n",
	    PROG, MSG_SIZE_DEFAULT, FETCH_TIMEOUT);
}

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* --mda: the words up to an argument ";" or the end, or one word with
   spaces split at white space (no quoting, no shell), as msmtpd's
   --command. */
static void
take_mda(struct fetch *f, const char *arg, int argc, char **argv)
{
	char err[ERR_MAX], *copy;

	/* copy holds the words for the life of the program. */
	if (util_argv_take(arg, argc, argv, &optind, f->mda, FETCH_ARGV_MAX,
		&copy, err, sizeof(err)) == -1)
		die(EX_USAGE, "--mda: %s", err);
}

static long long
num(const char *opt, const char *s, long long min, long long max, int suf)
{
	long long v;

	if (util_parse_num(s, min, max, suf, &v) == -1)
		die(EX_USAGE, "%s %s: a number from %lld to %lld expected", opt,
		    s, min, max);
	return v;
}

/* The URL: scheme, host, port, user; no password, path or query. */
static void
parse_url(struct fetch *f, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *pass = NULL, *path = NULL, *query = NULL, *base = NULL;

	if (u == NULL)
		die(EX_OSERR, "%s", strerror(ENOMEM));
	if (strncmp(url, "pop3://", 7) != 0 && strncmp(url, "pop3s://", 8))
		die(EX_USAGE, "%s: not a pop3:// or pop3s:// URL", url);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		CURLUE_OK)
		die(EX_USAGE, "%s: not a valid URL", url);
	(void)curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
	(void)curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	(void)curl_url_get(u, CURLUPART_PATH, &path, 0);
	(void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
	if (pass != NULL)
		die(EX_USAGE,
		    "a password in the URL would show in ps(1): use "
		    "--passwordeval or ~/.netrc");
	if ((path != NULL && strcmp(path, "/") != 0 && path[0] != '\0') ||
	    query != NULL)
		die(EX_USAGE, "%s: a mailbox URL has no path or query", url);
	f->implicit_tls = strcmp(scheme, "pop3s") == 0;
	if (user != NULL && user[0] != '\0')
		(void)util_strlcpy(f->urluser, user, sizeof(f->urluser));
	(void)util_strlcpy(f->host, host, sizeof(f->host));
	(void)snprintf(
	    f->label, sizeof(f->label), "%s://%s:%s", scheme, host, port);
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PATH, "/", 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PORT, port, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &base, 0) != CURLUE_OK ||
	    util_strlcpy(f->base, base, sizeof(f->base)) >= sizeof(f->base))
		die(EX_USAGE, "%s: not a valid URL", url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(path);
	curl_free(query);
	curl_free(base);
	curl_url_cleanup(u);
}

/* $XDG_STATE_HOME/yubin/mpop/USER@HOST:PORT, or ~/.local/state/... */
static void
default_state(struct fetch *f, char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	const char *hp = strstr(f->label, "://") + 3;
	struct passwd *pw;
	int n;

	if (home == NULL || home[0] == '\0')
		home = (pw = getpwuid(getuid())) != NULL ? pw->pw_dir : NULL;
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(
		    out, outlen, "%s/yubin/mpop/%s@%s", xdg, f->user, hp);
	else if (home != NULL)
		n = snprintf(out, outlen, "%s/.local/state/yubin/mpop/%s@%s",
		    home, f->user, hp);
	else
		die(EX_CONFIG,
		    "no HOME to keep the state file in: use --state");
	if (n < 0 || (size_t)n >= outlen || strchr(f->user, '/') != NULL)
		die(EX_USAGE,
		    "--user %s: cannot name a state file after it "
		    "(use --state)",
		    f->user);
}

int
fetch_main(int argc, char **argv)
{
	static struct fetch f;
	char secret[SECRET_MAX + 1], statepath[PATH_MAX], err[ERR_MAX];
	const char *url = NULL, *tls = NULL;
	int ch, rc;
	size_t i;

	f.max_size = MSG_SIZE_DEFAULT;
	f.timeout = FETCH_TIMEOUT;
	f.sink.spool = -1;
	argv[0] = (char *)PROG;
	opterr = 1;
	/* "+": options stop at the URL, so --mda's words are not taken for
	   options; the loop goes on after the URL. */
	for (;;) {
		ch = getopt_long(argc, argv, "+qhV", longopts, NULL);
		if (ch == -1) {
			if (optind >= argc)
				break;
			if (url != NULL)
				die(EX_USAGE, "unexpected argument: %s",
				    argv[optind]);
			url = argv[optind++];
			continue;
		}
		switch (ch) {
		case OPT_USER: f.user = optarg; break;
		case OPT_PASSEVAL: f.passwordeval = optarg; break;
		case OPT_MAILDIR: f.maildir = optarg; break;
		case OPT_MDA: take_mda(&f, optarg, argc, argv); break;
		case OPT_STATE: f.state_path = optarg; break;
		case OPT_DELETE: f.del = 1; break;
		case OPT_ALL: f.all = 1; break;
		case OPT_ONLYNEW: f.all = 0; break;
		case OPT_LIMIT:
			f.limit = num("--limit", optarg, 1, LISTING_MAX, 0);
			break;
		case OPT_TLS: tls = optarg; break;
		case OPT_TRUST: f.trust = optarg; break;
		case OPT_MAXSIZE:
			f.max_size =
			    num("--max-size", optarg, 0, (long long)1 << 50, 1);
			break;
		case OPT_TIMEOUT:
			f.timeout = (long)num("--timeout", optarg, 1, 86400, 0);
			break;
		case 'q': f.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': return util_version(PROG);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (url == NULL) {
		usage(stderr);
		return EX_USAGE;
	}
	if (tls != NULL && strcmp(tls, "off") == 0)
		f.tls_off = 1;
	else if (tls != NULL && strcmp(tls, "starttls") != 0)
		die(EX_USAGE, "--tls=%s: starttls or off", tls);
	if ((f.maildir == NULL) == (f.mda[0] == NULL))
		die(EX_USAGE,
		    "one of --maildir DIR and --mda ARGV... is needed");
	parse_url(&f, url);
	if (f.implicit_tls && f.tls_off)
		die(EX_USAGE, "--tls=off and a pop3s:// URL contradict");
	if (f.user == NULL)
		f.user = f.urluser[0] != '\0' ? f.urluser : NULL;
	if (f.user == NULL || f.user[0] == '\0')
		die(EX_USAGE, "no user name: --user U or pop3://U@%s", f.host);
	if (f.state_path == NULL) {
		default_state(&f, statepath, sizeof(statepath));
		f.state_path = statepath;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die(EX_SOFTWARE, "libcurl: cannot initialise");
	(void)signal(SIGPIPE, SIG_IGN);
	buf_init(&f.body, FETCH_LISTING_MAX);
	state_init(&f.st);
	maildir_namer_init(&f.nm, NULL);
	if (f.maildir != NULL) {
		f.sink.use_maildir = 1;
		if (maildir_create(f.maildir, err, sizeof(err)) == -1)
			die(EX_CANTCREAT, "%s", err);
		if ((f.batch = calloc(FETCH_BATCH, sizeof(*f.batch))) == NULL)
			die(EX_OSERR, "%s", strerror(errno));
	} else if (sink_spool_open(&f.sink, err, sizeof(err)) == -1)
		die(EX_CANTCREAT, "%s", err);
	f.sink.max = f.max_size;
	if ((rc = secret_get(f.passwordeval, f.host, f.user, secret,
		 sizeof(secret), err, sizeof(err))) != 0) {
		fetch_complain(&f, "%s", err);
		return rc;
	}
	rc = fetch_run(&f, f.user, secret);
	util_wipe(secret, sizeof(secret));
	if (!f.quiet && (rc == 0 || f.nfetched > 0))
		printf("%s: %lld message%s fetched (%lld bytes), %lld "
		       "deleted\n",
		    f.label, f.nfetched, f.nfetched == 1 ? "" : "s", f.bytes,
		    f.ndeleted);
	state_close(&f.st);
	state_free(&f.st);
	listing_free(&f.l);
	buf_free(&f.body);
	free(f.batch);
	for (i = 0; i < f.nskip; i++)
		free(f.skip[i]);
	if (f.sink.spool != -1)
		(void)close(f.sink.spool);
	curl_global_cleanup();
	return rc;
}
