/*
 * msend: a sendmail-compatible SMTP client (DESIGN.md, "msend").  It
 * reads one message on stdin and submits it to a smarthost (RFC 6409),
 * or delivers it directly to each recipient domain's MX hosts.  Exit
 * codes are sysexits: 0 only when every recipient was accepted.
 *
 * This file: options (sendmail's and msend's own), the config file,
 * recipients, the report on stderr and the exit code.  The SMTP session
 * itself is the engine common/smtp_client (client.c puts it to work);
 * each recipient's failure has a class (common/err), and the class
 * gives its exit code.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "msend.h"
#include "dkim.h"
#include "dns.h"
#include "net.h"
#include "qrun.h"
#include "queue.h"
#include "secret.h"
#include "util.h"

/* Recipients one message may have (-t lists and arguments together). */
#define RCPTS_MAX 10000

enum {
	OPT_HOST = 256,
	OPT_PORT,
	OPT_TLS,
	OPT_TLS_TRUST,
	OPT_TLS_FP,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_AUTH,
	OPT_USER,
	OPT_PASSEVAL,
	OPT_PLAIN_AUTH,
	OPT_FROM,
	OPT_CONFIG,
	OPT_DIRECT,
	OPT_DNS,
	OPT_ROUTE,
	OPT_SERVERINFO,
	OPT_DOMAIN,
	OPT_TIMEOUT,
	OPT_NO_CHUNKING,
	OPT_QUEUE,
	OPT_BATCH,
	OPT_LIST,
	OPT_FLUSH,
	OPT_RETRY_NOW,
	OPT_RUN,
	OPT_POLL,
	OPT_NO_STS,
	OPT_STS_CA,
	OPT_STS_CONNECT,
	OPT_DKIM_KEY,
	OPT_DKIM_SEL,
	OPT_DKIM_DOMAIN,
	OPT_DKIM_ALG,
	OPT_DKIM_CANON,
	OPT_DKIM_EXPIRE,
	OPT_LIST_UNSUB,
	OPT_HELP,
	OPT_VERSION
};

static const struct option longopts[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"tls", required_argument, NULL, OPT_TLS},
    {"tls-trust-file", required_argument, NULL, OPT_TLS_TRUST},
    {"tls-fingerprint", required_argument, NULL, OPT_TLS_FP},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"user", required_argument, NULL, OPT_USER},
    {"passwordeval", required_argument, NULL, OPT_PASSEVAL},
    {"allow-plain-auth", no_argument, NULL, OPT_PLAIN_AUTH},
    {"from", required_argument, NULL, OPT_FROM},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"account", required_argument, NULL, 'a'},
    {"direct", no_argument, NULL, OPT_DIRECT},
    {"dns-server", required_argument, NULL, OPT_DNS},
    {"route", required_argument, NULL, OPT_ROUTE},
    {"serverinfo", no_argument, NULL, OPT_SERVERINFO},
    {"read-recipients", no_argument, NULL, 't'},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"no-chunking", no_argument, NULL, OPT_NO_CHUNKING},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"list", no_argument, NULL, OPT_LIST},
    {"flush", no_argument, NULL, OPT_FLUSH},
    {"retry-now", no_argument, NULL, OPT_RETRY_NOW},
    {"run", no_argument, NULL, OPT_RUN},
    {"poll", required_argument, NULL, OPT_POLL},
    {"no-mta-sts", no_argument, NULL, OPT_NO_STS},
    {"mta-sts-trust-file", required_argument, NULL, OPT_STS_CA},
    {"mta-sts-connect-to", required_argument, NULL, OPT_STS_CONNECT},
    {"dkim-key", required_argument, NULL, OPT_DKIM_KEY},
    {"dkim-selector", required_argument, NULL, OPT_DKIM_SEL},
    {"dkim-domain", required_argument, NULL, OPT_DKIM_DOMAIN},
    {"dkim-algorithm", required_argument, NULL, OPT_DKIM_ALG},
    {"dkim-canonicalization", required_argument, NULL, OPT_DKIM_CANON},
    {"dkim-expire", required_argument, NULL, OPT_DKIM_EXPIRE},
    {"list-unsubscribe", required_argument, NULL, OPT_LIST_UNSUB},
    {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION}, {NULL, 0, NULL, 0}};

/* sendmail's options, with an argument where it takes one. */
#define SHORTOPTS "A:a:B:b:C:d:e:F:f:Gh:iL:mN:nO:o:q::R:r:tUV:vX:"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [options] [-f FROM] [-t] [-i|-oi] [--] RECIPIENT...\n"
	    "Send the message on stdin by SMTP: to a smarthost, or directly "
	    "to each\nrecipient domain's MX hosts.\n"
	    "  -f, --from ADDR        envelope sender (\"\" or \"<>\": none)\n"
	    "  -F NAME                full name for a From: msend adds\n"
	    "  -t, --read-recipients  recipients from To, Cc, Bcc (Bcc is "
	    "removed)\n"
	    "  -i, -oi                a line with only \".\" does not end "
	    "the message\n"
	    "  -N never|success,failure,delay   DSN notify (RFC 3461)\n"
	    "  -R full|hdrs           DSN return;  -V ENVID  DSN envelope id\n"
	    "  -v, --verbose          protocol transcript on stderr (AUTH "
	    "redacted)\n"
	    "  -a, --account NAME     account from the config file\n"
	    "  -C, --config FILE      config file (default\n"
	    "                         $XDG_CONFIG_HOME/yubin/msend.conf)\n"
	    "      --host HOST        smarthost;  --port PORT (587; 465 "
	    "with\n"
	    "                         --tls=on-connect)\n"
	    "      --tls starttls|on-connect|off   (default: starttls, "
	    "required)\n"
	    "      --tls-trust-file FILE   CA certificates (PEM) instead of "
	    "the system's\n"
	    "      --tls-fingerprint SHA256   pin the server certificate\n"
	    "      --tls-cert FILE --tls-key FILE   client certificate\n"
	    "      --auth on|off|plain|login|xoauth2|oauthbearer\n"
	    "      --user NAME        user for AUTH;  --passwordeval CMD  "
	    "prints the secret\n"
	    "      --allow-plain-auth AUTH without TLS (the password goes "
	    "in clear)\n"
	    "      --direct           deliver to the recipients' MX hosts\n"
	    "      --dns-server ADDR[:PORT]   DNS server for --direct\n"
	    "      --route DOMAIN=HOST[:PORT] send DOMAIN's mail there "
	    "(repeatable)\n"
	    "      --domain NAME      name for EHLO (default: this host)\n"
	    "      --timeout SEC      per connect and reply (default 300)\n"
	    "      --no-chunking      never use BDAT\n"
	    "      --serverinfo       show what the smarthost offers, send "
	    "nothing\n"
	    "      --queue DIR        queue the message in DIR (also "
	    "\"queue\" in msend.conf);\n"
	    "                         with -odq it is only queued, exit 0 "
	    "once on disk\n"
	    "      --batch SOURCE     queue every message of SOURCE: a "
	    "directory's files\n"
	    "                         (a Maildir's), or an mbox (\"-\": "
	    "stdin)\n"
	    "      --list, -bp        what waits in the queue, and why "
	    "(mailq)\n"
	    "      --flush, -q        deliver what is due in the queue, "
	    "once\n"
	    "      --retry-now        with --flush: what waits is due now\n"
	    "      --run              deliver from the queue as mail is due, "
	    "until SIGTERM\n"
	    "      --poll S           --run: look every S s (no inotify: "
	    "NFS)\n"
	    "      --no-mta-sts       the queue's direct delivery ignores "
	    "MTA-STS policies\n"
	    "      --mta-sts-trust-file FILE, --mta-sts-connect-to "
	    "HOST:443:ADDR:PORT\n"
	    "                         how policies are fetched (tests, "
	    "debugging)\n"
	    "      --dkim-key FILE    DKIM-sign with this private key (PEM, "
	    "RSA or Ed25519);\n"
	    "                         repeatable: one signature each, the "
	    "options below\n"
	    "                         apply to the --dkim-key before them\n"
	    "      --dkim-selector S  its selector (S._domainkey.DOMAIN)\n"
	    "      --dkim-domain D    d= (default: the From: address's "
	    "domain)\n"
	    "      --dkim-algorithm rsa|ed25519   what the key must be\n"
	    "      --dkim-canonicalization relaxed/relaxed|simple/simple|..."
	    "  (c=)\n"
	    "      --dkim-expire N[smhd]  x=: the signature expires then "
	    "(default: never)\n"
	    "      --list-unsubscribe URI   add List-Unsubscribe (https:; "
	    "a mailto: if given\n"
	    "                         twice) and List-Unsubscribe-Post "
	    "(RFC 8058), signed\n"
	    "      --help, --version\n"
	    "Exit: 0 all accepted, 75 try again later, 67 unknown user, 68 "
	    "unknown host,\n69 refused for good, 76 protocol error, 64 usage, "
	    "65 bad message, 78 config.\n",
	    PROG);
}

struct run {
	struct msend_opts o;
	struct account cl; /* from the command line */
	struct account a; /* merged */
	struct conf conf;
	struct routing rt;
	const char *config;
	const char *account;
	int serverinfo;
	int queue_only; /* -odq or --queue */
	int list; /* -bp, --list, mailq */
	int flush; /* --flush, -q */
	int retry_now; /* --retry-now: everything waiting is due */
	int run; /* --run */
	int poll; /* --poll S: scan every S s, no inotify */
	const char *batch; /* --batch SOURCE: many messages into the queue */
	const char *owner; /* root became this queue owner, or NULL */
	struct rcpt *r;
	int nr, capr;
	int bad; /* recipients refused by us */
	struct log log;
	struct msend_signer sign[DKIM_SIGNERS_MAX];
	int nsign;
	char err[ERR_MAX];
};

static int
set(char **dst, const char *v)
{
	free(*dst);
	if ((*dst = strdup(v)) == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, strerror(errno));
		exit(EX_OSERR);
	}
	return 0;
}

static void die(int ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
die(int ex, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(ex);
}

/* RFC 3461 §4.1: NEVER alone, or any of SUCCESS, FAILURE, DELAY. */
static int
parse_notify(const char *v)
{
	char tmp[64], *w, *save = NULL;
	int bits = 0;

	if (util_strlcpy(tmp, v, sizeof(tmp)) >= sizeof(tmp))
		return -1;
	for (w = strtok_r(tmp, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save)) {
		if (strcasecmp(w, "never") == 0)
			bits |= SMTP_NOTIFY_NEVER;
		else if (strcasecmp(w, "success") == 0)
			bits |= SMTP_NOTIFY_SUCCESS;
		else if (strcasecmp(w, "failure") == 0)
			bits |= SMTP_NOTIFY_FAILURE;
		else if (strcasecmp(w, "delay") == 0)
			bits |= SMTP_NOTIFY_DELAY;
		else
			return -1;
	}
	if (bits == 0 ||
	    ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER))
		return -1;
	return bits;
}

/*
 * --list-unsubscribe URI: at most one https: (the one-click one, RFC
 * 8058 §3.1) and one mailto:, the field on one line (RFC 5322 §2.1.1).
 */
static void
opt_unsub(struct run *rn, const char *v)
{
	char why[ERR_MAX];
	size_t len = strlen("List-Unsubscribe: <>");
	int i, kind;

	if ((kind = message_unsub_uri(v, why, sizeof(why))) == 0)
		die(EX_USAGE, "--list-unsubscribe %s: %s", v, why);
	if (rn->o.nunsub == LIST_UNSUB_MAX)
		die(EX_USAGE, "--list-unsubscribe: at most %d URIs (one "
		    "https:, one mailto:)", LIST_UNSUB_MAX);
	for (i = 0; i < rn->o.nunsub; i++) {
		if (message_unsub_uri(rn->o.unsub[i], why, sizeof(why)) ==
		    kind)
			die(EX_USAGE, "--list-unsubscribe %s: one %s URI "
			    "only", v, kind == 1 ? "https:" : "mailto:");
		len += strlen(rn->o.unsub[i]) + strlen(", <>");
	}
	if (len + strlen(v) > MSG_LINE_MAX)
		die(EX_USAGE, "--list-unsubscribe %s: too long (the field "
		    "must fit in a line of %d octets)", v, MSG_LINE_MAX);
	rn->o.unsub[rn->o.nunsub++] = v;
}

/* sendmail's -o options: what they ask is what msend does anyway. */
static void
opt_o(struct run *rn, const char *v)
{
	if (strcmp(v, "i") == 0) {
		rn->o.dot_ends = 0;
		return;
	}
	/* -odq: into the queue only (its directory: --queue, or "queue" in
	   msend.conf). */
	if (strcmp(v, "dq") == 0) {
		rn->queue_only = 1;
		return;
	}
	/* -oe* error mode, -odi/-odb deliver now, -om me too: no-ops. */
	if (v[0] == 'e' || strcmp(v, "di") == 0 || strcmp(v, "db") == 0 ||
	    strcmp(v, "m") == 0)
		return;
	fprintf(stderr, "%s: -o%s is not supported (ignored)\n", PROG, v);
}

static void
opt_b(struct run *rn, const char *v)
{
	if (strcmp(v, "m") == 0)
		return;
	if (strcmp(v, "p") == 0) {
		rn->list = 1;
		return;
	}
	if (strcmp(v, "i") == 0) {
		fprintf(
		    stderr, "%s: -bi: no aliases database to rebuild\n", PROG);
		exit(0);
	}
	die(EX_USAGE,
	    "-b%s: only -bm (deliver a message) and -bp (list the queue) "
	    "are supported; msend has no daemon or SMTP-on-stdin mode",
	    v);
}

static void
parse_args(struct run *rn, int argc, char **argv)
{
	long long n;
	int c;

	while ((c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
		case 'r':
		case OPT_FROM: set(&rn->cl.from, optarg); break;
		case 'F': rn->o.fullname = optarg; break;
		case 't': rn->o.read_rcpts = 1; break;
		case 'i': rn->o.dot_ends = 0; break;
		case 'o': opt_o(rn, optarg); break;
		case 'b': opt_b(rn, optarg); break;
		case 'v': rn->o.verbose++; break;
		case 'N':
			if ((rn->o.dsn_notify = parse_notify(optarg)) == -1)
				die(EX_USAGE,
				    "-N %s: expected never, or "
				    "success,failure,delay",
				    optarg);
			break;
		case 'R':
			if (strcasecmp(optarg, "full") == 0)
				rn->o.dsn_ret = SMTP_RET_FULL;
			else if (strcasecmp(optarg, "hdrs") == 0)
				rn->o.dsn_ret = SMTP_RET_HDRS;
			else
				die(EX_USAGE, "-R %s: expected full or hdrs",
				    optarg);
			break;
		case 'V':
			if (strlen(optarg) > SMTP_ENVID_MAX)
				die(EX_USAGE,
				    "-V: an envelope id is at most "
				    "%d characters",
				    SMTP_ENVID_MAX);
			rn->o.dsn_envid = optarg;
			break;
		case 'a': rn->account = optarg; break;
		case 'C':
		case OPT_CONFIG: rn->config = optarg; break;
		case 'q':
			/* -q: one run of the queue; -qINTERVAL (a daemon)
			   is not in this msend. */
			if (optarg != NULL && optarg[0] != '\0')
				die(EX_USAGE, "-q%s: msend has no queue "
					      "daemon (run --flush from cron)",
				    optarg);
			rn->flush = 1;
			break;
		/* Accepted and ignored: nothing to do for us. */
		case 'A':
		case 'B':
		case 'd':
		case 'e':
		case 'G':
		case 'm':
		case 'n':
		case 'U': break;
		case 'h':
		case 'L':
		case 'O':
		case 'X':
			fprintf(stderr, "%s: -%c is not supported (ignored)\n",
			    PROG, c);
			break;
		case OPT_HOST: set(&rn->cl.host, optarg); break;
		case OPT_PORT:
			if (util_parse_num(optarg, 1, 65535, 0, &n) == -1)
				die(EX_USAGE, "--port %s: not a port", optarg);
			set(&rn->cl.port, optarg);
			break;
		case OPT_TLS:
			if (strcmp(optarg, "starttls") == 0)
				rn->cl.tls = TLSM_STARTTLS;
			else if (strcmp(optarg, "on-connect") == 0)
				rn->cl.tls = TLSM_ON_CONNECT;
			else if (strcmp(optarg, "off") == 0)
				rn->cl.tls = TLSM_OFF;
			else
				die(EX_USAGE,
				    "--tls %s: expected starttls, "
				    "on-connect or off",
				    optarg);
			break;
		case OPT_TLS_TRUST: set(&rn->cl.tls_trust_file, optarg); break;
		case OPT_TLS_FP: set(&rn->cl.tls_fingerprint, optarg); break;
		case OPT_TLS_CERT: set(&rn->cl.tls_cert, optarg); break;
		case OPT_TLS_KEY: set(&rn->cl.tls_key, optarg); break;
		case OPT_AUTH: {
			static const char *const names[] = {"off", "on",
			    "plain", "login", "xoauth2", "oauthbearer"};
			static const int modes[] = {AUTHM_OFF, AUTHM_ON,
			    AUTHM_PLAIN, AUTHM_LOGIN, AUTHM_XOAUTH2,
			    AUTHM_OAUTHBEARER};
			size_t i;

			for (i = 0; i < 6; i++)
				if (strcasecmp(optarg, names[i]) == 0)
					break;
			if (i == 6)
				die(EX_USAGE,
				    "--auth %s: expected on, off, "
				    "plain, login, xoauth2 or oauthbearer",
				    optarg);
			rn->cl.auth = modes[i];
			break;
		}
		case OPT_USER: set(&rn->cl.user, optarg); break;
		case OPT_PASSEVAL: set(&rn->cl.passwordeval, optarg); break;
		case OPT_PLAIN_AUTH: rn->cl.allow_plain_auth = 1; break;
		case OPT_DIRECT: rn->rt.direct = 1; break;
		case OPT_DNS: rn->rt.dns_server = optarg; break;
		case OPT_ROUTE:
			if (route_add(&rn->rt, optarg, rn->err,
				sizeof(rn->err)) == -1)
				die(EX_USAGE, "%s", rn->err);
			break;
		case OPT_SERVERINFO: rn->serverinfo = 1; break;
		case OPT_DOMAIN: set(&rn->cl.domain, optarg); break;
		case OPT_TIMEOUT:
			if (util_parse_num(optarg, 1, 3600, 0, &n) == -1)
				die(EX_USAGE, "--timeout %s: 1..3600 seconds",
				    optarg);
			rn->cl.timeout = (long)n;
			break;
		case OPT_NO_CHUNKING: rn->cl.chunking = 0; break;
		case OPT_QUEUE:
			set(&rn->cl.queue, optarg);
			rn->queue_only = 1;
			break;
		case OPT_BATCH:
			rn->batch = optarg;
			rn->queue_only = 1;
			break;
		case OPT_LIST: rn->list = 1; break;
		case OPT_FLUSH: rn->flush = 1; break;
		case OPT_RETRY_NOW: rn->retry_now = 1; break;
		case OPT_RUN: rn->run = 1; break;
		case OPT_NO_STS: rn->rt.mta_sts = 0; break;
		case OPT_STS_CA: rn->rt.mta_sts_ca = optarg; break;
		case OPT_STS_CONNECT:
			rn->rt.mta_sts_connect_to = optarg;
			break;
		case OPT_POLL:
			if (util_parse_num(optarg, 1, 3600, 0, &n) == -1)
				die(EX_USAGE, "--poll %s: 1..3600 seconds",
				    optarg);
			rn->poll = (int)n;
			break;
		case OPT_DKIM_KEY:
			if (rn->cl.ndkim == DKIM_SIGNERS_MAX)
				die(EX_USAGE, "--dkim-key: at most %d "
				    "signatures", DKIM_SIGNERS_MAX);
			set(&rn->cl.dkim[rn->cl.ndkim++].key, optarg);
			break;
		case OPT_DKIM_SEL:
		case OPT_DKIM_DOMAIN:
		case OPT_DKIM_ALG:
		case OPT_DKIM_EXPIRE:
		case OPT_DKIM_CANON: {
			struct dkim_conf *d;

			if (rn->cl.ndkim == 0)
				die(EX_USAGE, "--%s: give it after the "
				    "--dkim-key it is for",
				    c == OPT_DKIM_SEL ? "dkim-selector" :
				    c == OPT_DKIM_DOMAIN ? "dkim-domain" :
				    c == OPT_DKIM_ALG ? "dkim-algorithm" :
				    c == OPT_DKIM_EXPIRE ? "dkim-expire" :
				    "dkim-canonicalization");
			d = &rn->cl.dkim[rn->cl.ndkim - 1];
			if (c == OPT_DKIM_SEL)
				set(&d->selector, optarg);
			else if (c == OPT_DKIM_DOMAIN)
				set(&d->domain, optarg);
			else if (c == OPT_DKIM_ALG &&
			    (d->alg = msend_dkim_alg(optarg)) == -1)
				die(EX_USAGE, "--dkim-algorithm %s: expected "
				    "rsa or ed25519", optarg);
			else if (c == OPT_DKIM_EXPIRE &&
			    (d->expire = msend_dkim_expire(optarg)) == -1)
				die(EX_USAGE, "--dkim-expire %s: expected a "
				    "time from 1m to 3650d (N, Ns, Nm, Nh, Nd)",
				    optarg);
			else if (c == OPT_DKIM_CANON &&
			    (d->canon = msend_dkim_canon(optarg)) == -1)
				die(EX_USAGE, "--dkim-canonicalization %s: "
				    "expected relaxed/relaxed, simple/simple, "
				    "relaxed/simple or simple/relaxed", optarg);
			break;
		}
		case OPT_LIST_UNSUB: opt_unsub(rn, optarg); break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: exit(util_version(PROG));
		default: usage(stderr); exit(EX_USAGE);
		}
	}
}

/*
 * As root, a queue is worked on as its directory's owner: a runner never
 * parses the network as root, and every file in the queue stays its
 * owner's (a root-owned file would lock the runner out of it).  A queue
 * root owns is refused.  Exits on failure.
 */
static const char *
become_queue_owner(const char *dir)
{
	const struct passwd *pw;
	static char owner[64]; /* for messages: the name once */
	char tmp[PATH_MAX];
	struct stat st;
	gid_t gid;

	if (geteuid() != 0)
		return NULL;
	if (stat(dir, &st) == -1)
		die(errno == ENOENT ? EX_CONFIG : EX_TEMPFAIL,
		    "%s: %s (as root msend works a queue as its owner: make "
		    "it as that user first)",
		    dir, strerror(errno));
	if (st.st_uid == 0)
		die(EX_CONFIG, "%s: owned by root; msend works a queue as its "
			       "owner, never as root (chown it to a user)",
		    dir);
	/* The owner's own group (its passwd entry), not the directory's:
	   a queue made with "install -o user" is in root's group. */
	pw = getpwuid(st.st_uid);
	gid = pw != NULL ? pw->pw_gid : st.st_gid;
	if (gid == 0)
		die(EX_CONFIG, "%s: its owner's group is root's (gid 0); "
			       "msend will not run with it",
		    dir);
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
	    setuid(st.st_uid) != 0 || getuid() == 0 || getgid() == 0)
		die(EX_OSERR, "%s: cannot become its owner: %s", dir,
		    strerror(errno));
	/* root's $TMPDIR may not be the owner's to write: a message too
	   big for memory (or an mbox being split) is spooled in the
	   queue's directory, unlinked at once. */
	if (realpath(dir, tmp) != NULL && setenv("TMPDIR", tmp, 1) == -1)
		die(EX_OSERR, "%s", strerror(errno));
	if (pw == NULL)
		return "its owner";
	(void)util_strlcpy(owner, pw->pw_name, sizeof(owner));
	return owner;
}

/* ------------------------------------------------------------ config */

static void
load_config(struct run *rn)
{
	char path[1024];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const struct account *acct;
	struct buf data;
	struct stat st;
	int fd;

	if (rn->config != NULL)
		util_strlcpy(path, rn->config, sizeof(path));
	else if (xdg != NULL && xdg[0] == '/')
		(void)snprintf(path, sizeof(path), "%s/yubin/msend.conf", xdg);
	else if (home != NULL)
		(void)snprintf(
		    path, sizeof(path), "%s/.config/yubin/msend.conf", home);
	else
		path[0] = '\0';
	if (path[0] == '\0' || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (rn->config != NULL)
			die(EX_CONFIG, "%s: %s", path, strerror(errno));
		if (rn->account != NULL)
			die(EX_CONFIG, "-a %s: no config file (%s)",
			    rn->account, path[0] ? path : "no $HOME");
		return;
	}
	if (fstat(fd, &st) == -1)
		die(EX_CONFIG, "%s: %s", path, strerror(errno));
	buf_init(&data, CONF_FILE_MAX);
	if (buf_read_fd(&data, fd) == -1)
		die(EX_CONFIG, "%s: %s", path,
		    errno == EMSGSIZE ? "file too large" : strerror(errno));
	(void)close(fd);
	if (conf_parse(&rn->conf, data.data, data.len, path, &rn->log, rn->err,
		sizeof(rn->err)) == -1)
		die(EX_CONFIG, "%s", rn->err);
	if (data.data != NULL)
		util_wipe(data.data, data.cap);
	buf_free(&data);
	if (rn->conf.has_password && (st.st_mode & 077) != 0)
		log_warn(&rn->log,
		    "%s holds a password but others may read "
		    "it (chmod 600 %s)",
		    path, path);
	/* As msmtp: with -f and neither -a nor --host, the first account
	   whose from is that address (or a pattern it matches). */
	acct = NULL;
	if (rn->account == NULL && rn->cl.host == NULL && rn->cl.from != NULL)
		acct = conf_account_for_from(&rn->conf, rn->cl.from);
	if (acct == NULL)
		acct = conf_account(&rn->conf, rn->account);
	if (acct == NULL && rn->account != NULL)
		die(EX_CONFIG, "%s: no account %s", path, rn->account);
	if (acct != NULL && account_merge(&rn->a, acct) == -1)
		die(EX_OSERR, "%s", strerror(errno));
}

/* ------------------------------------------------------------ recipients */

static int
add_rcpt(void *arg, const char *addr, size_t len)
{
	struct run *rn = arg;
	struct smtp_path p;
	struct rcpt *r, *nr;
	char tmp[SMTP_PATH_MAX + 3];
	size_t used, i;
	int cap, ok;

	if (rn->nr == rn->capr) {
		if (rn->nr >= RCPTS_MAX) {
			fprintf(stderr, "%s: more than %d recipients\n", PROG,
			    RCPTS_MAX);
			return -1;
		}
		cap = rn->capr ? rn->capr * 2 : 16;
		if ((nr = reallocarray(rn->r, (size_t)cap, sizeof(*nr))) ==
		    NULL)
			return -1;
		rn->r = nr;
		rn->capr = cap;
	}
	r = &rn->r[rn->nr];
	memset(r, 0, sizeof(*r));
	ok = len > 0 && len <= SMTP_PATH_MAX;
	if (ok) {
		tmp[0] = '<';
		memcpy(tmp + 1, addr, len);
		tmp[len + 1] = '>';
		ok = smtp_path_parse(tmp, len + 2,
			 SMTP_PATH_FORWARD | SMTP_PATH_UTF8, &p,
			 &used) == SMTP_PARSE_OK &&
		    used == len + 2;
	}
	if (ok) {
		util_strlcpy(r->addr, p.addr, sizeof(r->addr));
	} else if (len > 0 && len <= SMTP_LOCALPART_MAX &&
	    strspn(addr,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789.-_+") >= len) {
		/* A local name ("root"): the smarthost may qualify it. */
		memcpy(r->addr, addr, len);
		r->addr[len] = '\0';
	} else {
		(void)snprintf(r->addr, sizeof(r->addr), "%.*s",
		    (int)(len < 200 ? len : 200), addr);
		for (i = 0; r->addr[i] != '\0'; i++)
			if ((unsigned char)r->addr[i] < 32)
				r->addr[i] = '?';
		r->state = RS_PERM;
		r->cls = YERR_DATA;
		util_strlcpy(r->why, "not a valid address", sizeof(r->why));
	}
	for (i = 0; i < (size_t)rn->nr; i++)
		if (strcmp(rn->r[i].addr, r->addr) == 0)
			return 0; /* once is enough */
	rn->nr++;
	return 0;
}

/* ------------------------------------------------------------ DKIM */

/*
 * Load the DKIM keys of the merged account.  A key file others may
 * read is refused (as ssh and opendkim refuse one): a DKIM key signs
 * for the whole domain.  Messages name the file, never its contents.
 */
static void
load_dkim(struct run *rn)
{
	struct dkim_conf *d;
	struct stat st;
	struct buf b;
	int i, fd, alg;

	for (i = 0; i < rn->a.ndkim; i++) {
		d = &rn->a.dkim[i];
		if (d->selector == NULL)
			die(EX_USAGE, "--dkim-key %s: no --dkim-selector "
			    "(dkim_selector) for it", d->key);
		if (!dns_name_valid(d->selector) ||
		    strlen(d->selector) > DKIM_SELECTOR_MAX)
			die(EX_USAGE, "--dkim-selector %s: not a selector "
			    "(letters, digits, '-', '_', dots)", d->selector);
		if (d->domain != NULL) {
			util_lower(d->domain);
			if (!dns_name_valid(d->domain))
				die(EX_USAGE, "--dkim-domain %s: not a domain "
				    "name", d->domain);
		}
		if ((fd = open(d->key, O_RDONLY | O_CLOEXEC)) == -1)
			die(errno == EACCES ? EX_NOPERM : EX_CONFIG,
			    "--dkim-key %s: %s", d->key, strerror(errno));
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
			die(EX_CONFIG, "--dkim-key %s: not a file", d->key);
		if ((st.st_mode & S_IRWXO) != 0)
			die(EX_CONFIG, "--dkim-key %s: mode %04o lets others "
			    "read the private key (chmod 600 %s, or 640 for a "
			    "group)", d->key, (unsigned)(st.st_mode & 07777),
			    d->key);
		buf_init(&b, DKIM_KEYFILE_MAX);
		if (buf_read_fd(&b, fd) == -1)
			die(EX_CONFIG, "--dkim-key %s: %s", d->key,
			    errno == EMSGSIZE ? "file too large" :
			    strerror(errno));
		(void)close(fd);
		rn->sign[i].k = dkim_signer_new(b.data != NULL ? b.data : "",
		    b.len, rn->err, sizeof(rn->err));
		if (b.data != NULL)
			util_wipe(b.data, b.cap);
		buf_free(&b);
		if (rn->sign[i].k == NULL)
			die(EX_CONFIG, "--dkim-key %s: %s", d->key, rn->err);
		alg = dkim_signer_alg(rn->sign[i].k);
		if (d->alg > 0 && d->alg != alg)
			die(EX_CONFIG, "--dkim-key %s: an %s key, not %s",
			    d->key, alg == DKIM_RSA_SHA256 ? "RSA" :
			    "Ed25519", d->alg == DKIM_RSA_SHA256 ? "rsa" :
			    "ed25519");
		rn->sign[i].selector = d->selector;
		rn->sign[i].domain = d->domain;
		rn->sign[i].file = d->key;
		rn->sign[i].hcanon = d->canon == 0 ? DKIM_RELAXED :
		    (d->canon - 1) / 2;
		rn->sign[i].bcanon = d->canon == 0 ? DKIM_RELAXED :
		    (d->canon - 1) % 2;
		rn->sign[i].expire = d->expire;
		rn->nsign = i + 1;
	}
}

/* The default sender: login@host. */
static void
default_from(char *out, size_t outlen)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");
	char host[SMTP_DOMAIN_MAX + 1];

	if (pw != NULL)
		user = pw->pw_name;
	if (user == NULL || user[0] == '\0')
		user = "nobody";
	util_hostname(host, sizeof(host));
	util_strlcpy(out, user, outlen);
	util_strlcat(out, "@", outlen);
	util_strlcat(out, host, outlen);
}

static int
check_from(const char *from)
{
	struct smtp_path p;
	char tmp[SMTP_PATH_MAX + 3];
	size_t len = strlen(from), used;

	if (len > SMTP_PATH_MAX)
		return -1;
	(void)snprintf(tmp, sizeof(tmp), "<%s>", from);
	return smtp_path_parse(tmp, len + 2, SMTP_PATH_REVERSE | SMTP_PATH_UTF8,
		   &p, &used) == SMTP_PARSE_OK &&
		used == len + 2
	    ? 0
	    : -1;
}

static int
report(struct run *rn)
{
	enum yerr_class cls;
	int i, ex = 0, e;

	for (i = 0; i < rn->nr; i++) {
		struct rcpt *r = &rn->r[i];

		if (r->state == RS_OK) {
			if (rn->o.verbose)
				fprintf(stderr, "%s: %s: accepted: %s\n", PROG,
				    r->addr, r->why);
			continue;
		}
		cls = r->cls != YERR_OK ? r->cls : YERR_TEMP;
		e = yerr_exit(cls);
		fprintf(stderr, "%s: %s: %s (%s: exit %d)\n", PROG, r->addr,
		    r->why[0] ? r->why : "not delivered", yerr_kind(cls), e);
		ex = yerr_exit_worst(ex, e);
	}
	return ex;
}

/* ----------------------------------------------------------------- batch */

/* msend --queue DIR --batch SOURCE: each message queued as -odq would
   queue it, with the command line's recipients or (-t) its own. */
struct batch {
	struct run *rn;
	const char *from;
	const char *ehlo;
	int nr0; /* recipients from the command line */
	unsigned long queued, refused;
	int ex; /* the worst exit code so far */
	struct queue q; /* open, holding (queue_hold) */
	/* the messages held, for the report once committed */
	struct {
		char id[QUEUE_ID_MAX + 1];
		char *name;
	} held[QUEUE_HOLD_MAX];
	size_t nheld;
};

/* Commit the held messages (common/queue's group commit).  0, or -1
   when none of them is queued (said here). */
static int
batch_commit(struct batch *b)
{
	struct run *rn = b->rn;
	size_t i;
	int rc = 0, ex;

	if (b->nheld == 0)
		return 0;
	if (queue_commit(&b->q, rn->err, sizeof(rn->err)) == -1) {
		ex = queue_errno_exit(errno);
		fprintf(stderr, "%s: %s .. %s: %s (these %zu messages not "
		    "queued, nor what follows: exit %d)\n", PROG,
		    b->held[0].name, b->held[b->nheld - 1].name, rn->err,
		    b->nheld, ex);
		b->refused += b->nheld;
		b->ex = yerr_exit_worst(b->ex, ex);
		rc = -1;
	} else
		b->queued += b->nheld;
	for (i = 0; i < b->nheld; i++) {
		if (rc == 0 && rn->o.verbose)
			fprintf(stderr, "%s: %s: queued as %s\n", PROG,
			    b->held[i].name, b->held[i].id);
		free(b->held[i].name);
	}
	b->nheld = 0;
	return rc;
}

static void
batch_refused(struct batch *b, const char *name, const char *why, int ex)
{
	fprintf(stderr, "%s: %s: %s (not queued)\n", PROG, name, why);
	b->refused++;
	b->ex = yerr_exit_worst(b->ex, ex);
}

static int
batch_one(void *arg, int fd, const char *name, const char *why)
{
	struct batch *b = arg;
	struct run *rn = b->rn;
	struct message m;
	char id[QUEUE_ID_MAX + 1];
	int ex, i, e;

	if (fd == -1) {
		char w[ERR_MAX + 128];

		(void)snprintf(w, sizeof(w), "%s%s%s%s", why,
		    rn->owner != NULL ? " (read as the queue's owner, " : "",
		    rn->owner != NULL ? rn->owner : "",
		    rn->owner != NULL ? ")" : "");
		batch_refused(b, name, w, EX_NOINPUT);
		return 0;
	}
	rn->nr = b->nr0;
	for (i = 0; i < rn->nr; i++)
		if (rn->r[i].state == RS_OK) {
			rn->r[i].state = RS_PENDING;
			rn->r[i].why[0] = '\0';
		}
	message_init(&m);
	ex = message_read(&m, fd, &rn->o, add_rcpt, rn, rn->err,
	    sizeof(rn->err));
	if (ex == 0 && rn->nr == 0) {
		ex = EX_DATAERR;
		util_strlcpy(rn->err, "no recipients (none given, and -t "
		    "found none in To, Cc or Bcc)", sizeof(rn->err));
	}
	if (ex == 0)
		ex = message_prepare(&m, b->from, rn->o.fullname, b->ehlo,
		    rn->err, sizeof(rn->err));
	if (ex == 0)
		ex = message_sign(&m, rn->sign, rn->nsign, rn->err,
		    sizeof(rn->err));
	if (ex != 0) {
		batch_refused(b, name, rn->err, ex);
		message_free(&m);
		return 0;
	}
	struct qsubmit qs = {
	    rn->a.queue, &b->q, b->from, rn->r, rn->nr, &rn->o, &m};

	if (b->nheld == QUEUE_HOLD_MAX && batch_commit(b) == -1) {
		message_free(&m);
		return 1;
	}
	id[0] = '\0';
	if ((ex = queue_submit(&qs, id, sizeof(id), rn->err,
		 sizeof(rn->err))) != 0) {
		/* The queue itself failed (a full disk): what is queued
		   stays, the rest waits for another run. */
		fprintf(stderr, "%s: %s: %s (not queued, nor what follows "
		    "it: exit %d)\n", PROG, name, rn->err, ex);
		b->refused++;
		b->ex = yerr_exit_worst(b->ex, ex);
		message_free(&m);
		return 1;
	}
	message_free(&m);
	for (i = 0; i < rn->nr; i++) {
		struct rcpt *r = &rn->r[i];

		if (r->state == RS_OK)
			continue;
		e = yerr_exit(r->cls != YERR_OK ? r->cls : YERR_TEMP);
		fprintf(stderr, "%s: %s: %s: %s (not queued for it)\n", PROG,
		    name, r->addr, r->why[0] ? r->why : "refused");
		b->ex = yerr_exit_worst(b->ex, e);
	}
	if (id[0] == '\0') {
		b->refused++;
		return 0;
	}
	(void)util_strlcpy(b->held[b->nheld].id, id,
	    sizeof(b->held[b->nheld].id));
	if ((b->held[b->nheld].name = strdup(name)) == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, strerror(errno));
		b->ex = yerr_exit_worst(b->ex, EX_OSERR);
		return 1;
	}
	b->nheld++;
	return 0;
}

static int
batch_run(struct run *rn, const char *from, const char *ehlo)
{
	struct batch b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.rn = rn;
	b.from = from;
	b.ehlo = ehlo;
	b.nr0 = rn->nr;
	/* A file is a whole message: a "." line is text. */
	rn->o.dot_ends = 0;
	if (queue_open(&b.q, rn->a.queue, 1, rn->err, sizeof(rn->err)) == -1)
		die(queue_errno_exit(errno), "%s (nothing queued)", rn->err);
	queue_hold(&b.q);
	rc = batch_each(rn->batch, batch_one, &b, rn->err, sizeof(rn->err));
	if (rc == -1) {
		int e = errno;

		/* As root msend reads the batch as the queue's owner. */
		fprintf(stderr, "%s: %s%s%s%s\n", PROG, rn->err,
		    rn->owner != NULL ? " (read as the queue's owner, " : "",
		    rn->owner != NULL ? rn->owner : "",
		    rn->owner != NULL ? ")" : "");
		b.ex = yerr_exit_worst(b.ex,
		    e == ENOENT ? EX_NOINPUT : EX_IOERR);
	}
	/* What was read before a failure of the source is queued. */
	if (batch_commit(&b) == -1 && rc == 0)
		rc = 1;
	queue_close(&b.q);
	if (b.ex != 0 || rn->o.verbose)
		fprintf(stderr, "%s: %s: %lu message%s queued, %lu not%s\n",
		    PROG, strcmp(rn->batch, "-") == 0 ? "standard input" :
		    rn->batch, b.queued, b.queued == 1 ? "" : "s", b.refused,
		    rc == 1 || rc == -1 ? " (stopped there)" : "");
	return b.ex;
}

static void
run_free(struct run *rn)
{
	int i;

	for (i = 0; i < rn->nsign; i++)
		dkim_signer_free(rn->sign[i].k);
	free(rn->r);
	account_free(&rn->a);
	account_free(&rn->cl);
	conf_free(&rn->conf);
}

int
main(int argc, char **argv)
{
	struct run rn;
	struct session s;
	struct message m;
	char from[SMTP_PATH_MAX + 1], ehlo[SMTP_DOMAIN_MAX + 1];
	char port[16];
	const char *p;
	int ex, i;

	(void)secret_no_core_dumps(); /* before any password is read */
	(void)signal(SIGPIPE, SIG_IGN);
	/* A file size limit makes a write fail (EFBIG), not the process. */
	(void)signal(SIGXFSZ, SIG_IGN);
	memset(&rn, 0, sizeof(rn));
	account_init(&rn.cl);
	account_init(&rn.a);
	conf_init(&rn.conf);
	rn.o.dot_ends = 1;
	rn.rt.port = "25";
	rn.rt.mta_sts = 1;
	/* Installed as sendmail, it may be called by its other names. */
	if (argc > 0 && (p = strrchr(argv[0], '/')) != NULL)
		p++;
	else
		p = argc > 0 ? argv[0] : "";
	if (strcmp(p, "newaliases") == 0)
		return 0;
	if (strcmp(p, "mailq") == 0)
		rn.list = 1;
	log_open(&rn.log, PROG, 0, LOG_MAIL);
	rn.log.level = LOG_LVL_WARN;
	if (argc > 0) /* getopt's messages read "prog: why" */
		argv[0] = (char *)PROG;
	parse_args(&rn, argc, argv);
	if (rn.o.verbose) {
		rn.log.level = LOG_LVL_DEBUG;
		rn.log.trace = 1;
		rn.log.trace_time = 1;
	}
	/* Command line, then the account, then its defaults. */
	if (account_merge(&rn.a, &rn.cl) == -1)
		die(EX_OSERR, "%s", strerror(errno));
	load_config(&rn);
	if (account_merge(&rn.a, &rn.conf.defaults) == -1)
		die(EX_OSERR, "%s", strerror(errno));
	if (rn.list && rn.a.queue == NULL) {
		/* mailq on a system where msend only sends at once. */
		printf("%s: no queue (--queue DIR, or \"queue DIR\" in "
		       "msend.conf): nothing waits\n",
		    PROG);
		run_free(&rn);
		return 0;
	}
	if (rn.run)
		rn.flush = 1;
	/* The keys are read before msend becomes the queue's owner (a
	   root-only key file stays root's); --flush and --run send what
	   was signed when queued. */
	if (!rn.list && !rn.flush)
		load_dkim(&rn);
	if (rn.o.nunsub > 0) {
		for (i = 0; i < rn.o.nunsub; i++)
			if (message_unsub_uri(rn.o.unsub[i], rn.err,
				sizeof(rn.err)) == 1)
				break;
		if (i == rn.o.nunsub)
			die(EX_USAGE, "--list-unsubscribe: one-click "
			    "unsubscription needs an https: URI (RFC 8058 "
			    "3.1); a mailto: goes beside it");
		if (rn.nsign == 0 && !rn.list && !rn.flush)
			fprintf(stderr, "%s: warning: --list-unsubscribe "
			    "without --dkim-key: receivers offer one-click "
			    "unsubscription only when a DKIM signature covers "
			    "it (RFC 8058 4)\n", PROG);
	}
	if (rn.list || rn.queue_only || rn.flush) {
		if (rn.a.queue == NULL)
			die(EX_USAGE, "%s: no queue (--queue DIR, or "
				      "\"queue DIR\" in msend.conf)",
			    rn.run ? "--run" : rn.flush ? "--flush" : "-odq");
		if (!rn.list)
			rn.owner = become_queue_owner(rn.a.queue);
		if (rn.list) {
			ex = queue_list(rn.a.queue, stdout);
			run_free(&rn);
			return ex;
		}
	}
	if (rn.a.host == NULL && !rn.rt.direct && rn.serverinfo)
		die(EX_USAGE, "--serverinfo needs a smarthost (--host)");
	if (rn.a.host == NULL)
		rn.rt.direct = 1;
	if (rn.rt.direct && rn.a.port != NULL)
		rn.rt.port = rn.a.port;

	memset(&s, 0, sizeof(s));
	s.host = rn.a.host;
	s.tls = rn.a.tls != TLSM_UNSET ? rn.a.tls : TLSM_STARTTLS;
	s.tls_required = 1;
	s.tls_verify = rn.a.tls_verify != 0;
	s.trust_file = rn.a.tls_trust_file;
	s.fingerprint = rn.a.tls_fingerprint;
	s.cert = rn.a.tls_cert;
	s.key = rn.a.tls_key;
	s.priorities = rn.a.tls_priorities;
	if (rn.a.port != NULL)
		util_strlcpy(port, rn.a.port, sizeof(port));
	else
		util_strlcpy(port, s.tls == TLSM_ON_CONNECT ? "465" : "587",
		    sizeof(port));
	s.port = port;
	if (rn.a.domain != NULL)
		util_strlcpy(ehlo, rn.a.domain, sizeof(ehlo));
	else
		util_hostname(ehlo, sizeof(ehlo));
	if (!smtp_domain_valid(ehlo, strlen(ehlo), 0))
		util_strlcpy(ehlo, "localhost", sizeof(ehlo));
	s.ehlo = ehlo;
	s.acct = &rn.a;
	s.timeout_ms =
	    (int)(rn.a.timeout > 0 ? rn.a.timeout : MSEND_TIMEOUT) * 1000;
	s.final_timeout_ms =
	    rn.a.timeout > 0 ? s.timeout_ms : SMTP_TIMEOUT_DATA_TERM * 1000;
	s.chunking = rn.a.chunking != 0;
	s.o = &rn.o;
	s.log = &rn.log;
	if ((s.cert == NULL) != (s.key == NULL))
		die(EX_USAGE, "--tls-cert and --tls-key go together");

	/* DSN settings of the account, unless -N/-R said otherwise. */
	if (rn.o.dsn_notify == 0 && rn.a.dsn_notify != NULL &&
	    (rn.o.dsn_notify = parse_notify(rn.a.dsn_notify)) == -1)
		die(EX_CONFIG,
		    "dsn_notify %s: expected never, or "
		    "success,failure,delay",
		    rn.a.dsn_notify);
	if (rn.o.dsn_ret == SMTP_RET_NONE && rn.a.dsn_return != NULL) {
		if (strcasecmp(rn.a.dsn_return, "full") == 0)
			rn.o.dsn_ret = SMTP_RET_FULL;
		else if (strcasecmp(rn.a.dsn_return, "hdrs") == 0)
			rn.o.dsn_ret = SMTP_RET_HDRS;
		else
			die(EX_CONFIG, "dsn_return %s: expected full or hdrs",
			    rn.a.dsn_return);
	}
	if (rn.serverinfo) {
		char addr[NET_ADDRSTR_MAX], err[ERR_MAX];
		int fd = net_connect(s.host, s.port, NET_CONNECT_TIMEOUT_MS,
		    addr, sizeof(addr), err, sizeof(err));

		if (fd == -1)
			die(EX_TEMPFAIL, "%s", err);
		s.tls_required = 0;
		ex = client_serverinfo(fd, &s);
		run_free(&rn);
		return ex;
	}

	if (rn.flush) {
		int tty = isatty(2) && !rn.o.verbose;
		struct qpolicy qp = qpolicy_default;

		if (qpolicy_parse(&qp, rn.a.qpolicy, rn.err,
			sizeof(rn.err)) == -1)
			die(EX_CONFIG, "msend.conf: %s", rn.err);

		/* libcurl fetches MTA-STS policies (common/mtasts). */
		(void)curl_global_init(CURL_GLOBAL_DEFAULT);
		if (rn.rt.direct) {
			/* Direct: opportunistic TLS, nothing verified
			   (RFC 7435), no AUTH, as route.c does; an MTA-STS
			   policy or DANE asks for more, host by host. */
			s.tls_required = 0;
			s.tls_verify = 0;
			s.acct = NULL;
		}
		if (!tty && rn.log.level < LOG_LVL_INFO)
			rn.log.level = LOG_LVL_INFO;
		if (rn.run) {
			if (rn.log.level < LOG_LVL_INFO)
				rn.log.level = LOG_LVL_INFO;
			ex = queue_run(rn.a.queue, &rn.rt, &s, &qp, &rn.log,
			    rn.poll);
		} else
			ex = queue_flush(rn.a.queue, &rn.rt, &s, &qp, &rn.log,
			    tty, rn.retry_now);
		run_free(&rn);
		return ex;
	}

	/* The sender: -f, the account's from, or login@host. */
	if (rn.cl.from == NULL && rn.a.from != NULL &&
	    conf_from_is_pattern(rn.a.from))
		die(EX_USAGE, "the account's from %s is a pattern, for "
		    "choosing the account by -f: give -f ADDRESS", rn.a.from);
	if (rn.a.from != NULL)
		util_strlcpy(from, rn.a.from, sizeof(from));
	else
		default_from(from, sizeof(from));
	if (strcmp(from, "<>") == 0)
		from[0] = '\0';
	if (check_from(from) == -1)
		die(EX_USAGE, "-f %s: not a valid sender address", from);

	for (i = optind; i < argc; i++)
		if (add_rcpt(&rn, argv[i], strlen(argv[i])) == -1)
			die(EX_USAGE, "too many recipients");
	if (rn.batch != NULL) {
		if (rn.nr == 0 && !rn.o.read_rcpts)
			die(EX_USAGE, "--batch: no recipients (give them as "
			    "arguments, or use -t for each message's own)");
		ex = batch_run(&rn, from, ehlo);
		run_free(&rn);
		return ex;
	}
	if (rn.nr == 0 && !rn.o.read_rcpts)
		die(EX_USAGE,
		    "no recipients (give them as arguments, or "
		    "use -t)");
	message_init(&m);
	ex = message_read(&m, 0, &rn.o, add_rcpt, &rn, rn.err, sizeof(rn.err));
	if (ex != 0)
		die(ex, "%s", rn.err);
	if (rn.nr == 0)
		die(EX_USAGE,
		    "no recipients (give them as arguments, or "
		    "use -t)");
	ex = message_prepare(
	    &m, from, rn.o.fullname, ehlo, rn.err, sizeof(rn.err));
	if (ex != 0)
		die(ex, "%s", rn.err);
	/* Signed once, here: the queue and the direct send carry the same
	   signatures. */
	ex = message_sign(&m, rn.sign, rn.nsign, rn.err, sizeof(rn.err));
	if (ex != 0)
		die(ex, "%s (nothing sent)", rn.err);
	if (rn.queue_only) {
		struct qsubmit qs = {
		    rn.a.queue, NULL, from, rn.r, rn.nr, &rn.o, &m};
		char id[QUEUE_ID_MAX + 1];

		if ((ex = queue_submit(&qs, id, sizeof(id), rn.err,
			 sizeof(rn.err))) != 0)
			die(ex, "%s (nothing queued: exit %d)", rn.err, ex);
	} else
		route_deliver(&rn.rt, &s, &m, from, rn.r, rn.nr);
	ex = report(&rn);
	message_free(&m);
	run_free(&rn);
	return ex;
}
