/*
 * client_main.c: the command line of the client commands (`mimap list',
 * `fetch', `append', `idle'), and list, append and idle themselves
 * (fetch is client_fetch.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "client.h"
#include "mimap.h"
#include "secret.h"
#include "util.h"

enum {
	OPT_USER = 256,
	OPT_PASSEVAL,
	OPT_TLS,
	OPT_TRUST,
	OPT_TIMEOUT,
	OPT_FOLDER,
	OPT_MAILDIR,
	OPT_MDA,
	OPT_STATE,
	OPT_DELETE,
	OPT_MARKSEEN,
	OPT_FLAGS,
	OPT_ALLFOLDERS,
	OPT_IDLE,
	OPT_POLL
};

static const struct option longopts[] = {
    {"user", required_argument, NULL, OPT_USER},
    {"passwordeval", required_argument, NULL, OPT_PASSEVAL},
    {"tls", required_argument, NULL, OPT_TLS},
    {"tls-trust-file", required_argument, NULL, OPT_TRUST},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"folder", required_argument, NULL, OPT_FOLDER},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"mda", optional_argument, NULL, OPT_MDA},
    {"state", required_argument, NULL, OPT_STATE},
    {"delete", no_argument, NULL, OPT_DELETE},
    {"mark-seen", no_argument, NULL, OPT_MARKSEEN},
    {"flags", required_argument, NULL, OPT_FLAGS},
    {"all-folders", no_argument, NULL, OPT_ALLFOLDERS},
    {"idle", no_argument, NULL, OPT_IDLE},
    {"poll", required_argument, NULL, OPT_POLL},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};

enum ccmd { C_LIST, C_FETCH, C_APPEND, C_IDLE };

static const char *const cmdname[] = {"list", "fetch", "append", "idle"};

static void
usage(enum ccmd cmd, FILE *fp)
{
	static const char common[] =
	    "  --user U               user name (or in the URL)\n"
	    "  --passwordeval CMD     password from CMD's first line (else "
	    "~/.netrc,\n"
	    "                         else asked on the terminal)\n"
	    "  --tls=starttls|off     imap://: STARTTLS required (default), "
	    "or no TLS\n"
	    "  --tls-trust-file FILE  CA certificates (PEM) to verify the "
	    "server with\n";

	switch (cmd) {
	case C_LIST:
		fprintf(fp,
		    "usage: %s list [options] imap[s]://[USER@]HOST[:PORT]\n"
		    "Folders with their special use and STATUS counts:\n"
		    "NAME<TAB>MESSAGES<TAB>UNSEEN<TAB>SPECIAL-USE (or -).\n"
		    "%s  --timeout S            network idle timeout "
		    "(default %d)\n",
		    PROG, common, CLIENT_TIMEOUT);
		break;
	case C_FETCH:
		fprintf(fp,
		    "usage: %s fetch [options] imap[s]://[USER@]HOST[:PORT]\n"
		    "Pull IMAP folders into a Maildir or an MDA, each message "
		    "once.\n"
		    "  --folder F             a folder to fetch (repeatable; "
		    "default INBOX)\n"
		    "  --all-folders          every folder, each into the "
		    "Maildir++ folder of\n"
		    "                         its name (INBOX: the Maildir)\n"
		    "  --maildir DIR          deliver into this Maildir (made "
		    "when missing)\n"
		    "  --mda ARGV... ';'      or pipe each message to a "
		    "command (no shell);\n"
		    "                         also --mda 'ARGV...'\n"
		    "  --delete               delete each message once it is "
		    "delivered\n"
		    "  --mark-seen            or mark it \\Seen\n"
		    "  --state FILE           what was fetched (default: "
		    "$XDG_STATE_HOME/yubin/\n"
		    "                         mimap/USER@HOST:PORT)\n"
		    "  --idle                 stay connected, fetch as mail "
		    "arrives\n"
		    "  --poll S               --idle: STATUS of the other "
		    "folders every S s\n"
		    "%s  --timeout S            network idle timeout "
		    "(default %d)\n"
		    "  -q, --quiet            no summary\n"
		    "  -v, --verbose          the commands sent, on stderr\n",
		    PROG, common, CLIENT_TIMEOUT);
		break;
	case C_APPEND:
		fprintf(fp,
		    "usage: %s append [options] --folder F "
		    "imap[s]://[USER@]HOST[:PORT] < message\n"
		    "Store the message on stdin into folder F.\n"
		    "  --flags 'F...'         its flags (\\Seen \\Flagged "
		    "$Label...)\n"
		    "%s  --timeout S            network idle timeout "
		    "(default %d)\n",
		    PROG, common, CLIENT_TIMEOUT);
		break;
	case C_IDLE:
		fprintf(fp,
		    "usage: %s idle [options] imap[s]://[USER@]HOST[:PORT]\n"
		    "Wait for new mail in a folder: exit 0 when it comes, 75 "
		    "on timeout.\n"
		    "  --folder F             the folder (default INBOX)\n"
		    "  --timeout S            give up after S seconds "
		    "(default: wait on)\n%s",
		    PROG, common);
		break;
	}
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

static long long
num(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (util_parse_num(s, min, max, 0, &v) == -1)
		die(EX_USAGE, "%s %s: a number from %lld to %lld expected", opt,
		    s, min, max);
	return v;
}

/* Options valid for a command. */
static int
allowed(enum ccmd cmd, int ch)
{
	switch (ch) {
	case OPT_FOLDER: return cmd != C_LIST;
	case OPT_MAILDIR:
	case OPT_MDA:
	case OPT_STATE:
	case OPT_DELETE:
	case OPT_MARKSEEN:
	case OPT_ALLFOLDERS:
	case OPT_IDLE:
	case OPT_POLL: return cmd == C_FETCH;
	case OPT_FLAGS: return cmd == C_APPEND;
	default: return 1;
	}
}

static int
parse(enum ccmd cmd, int argc, char **argv, struct cargs *a)
{
	char err[ERR_MAX], *copy;
	const char *url = NULL, *tls = NULL;
	int ch, i;

	memset(a, 0, sizeof(*a));
	a->o.timeout = CLIENT_TIMEOUT;
	argv[0] = (char *)PROG;
	opterr = 1;
	for (;;) {
		ch = getopt_long(argc, argv, "+qvhV", longopts, NULL);
		if (ch == -1) {
			if (optind >= argc)
				break;
			if (url != NULL)
				die(EX_USAGE, "unexpected argument: %s",
				    argv[optind]);
			url = argv[optind++];
			continue;
		}
		if (ch != '?' && !allowed(cmd, ch)) {
			for (i = 0; longopts[i].name != NULL; i++)
				if (longopts[i].val == ch)
					break;
			die(EX_USAGE, "--%s is not an option of %s",
			    longopts[i].name, cmdname[cmd]);
		}
		switch (ch) {
		case OPT_USER: a->o.user = optarg; break;
		case OPT_PASSEVAL: a->o.passwordeval = optarg; break;
		case OPT_TLS: tls = optarg; break;
		case OPT_TRUST: a->o.trust = optarg; break;
		case OPT_TIMEOUT:
			if (cmd == C_IDLE)
				a->wait = (long)num("--timeout", optarg, 0,
				    86400 * 365);
			else
				a->o.timeout =
				    (long)num("--timeout", optarg, 1, 86400);
			break;
		case OPT_FOLDER:
			if (a->nfolders == CLIENT_FOLDERS_MAX ||
			    (cmd != C_FETCH && a->nfolders == 1))
				die(EX_USAGE, "--folder: too many");
			a->folders[a->nfolders++] = optarg;
			break;
		case OPT_MAILDIR: a->maildir = optarg; break;
		case OPT_MDA:
			if (util_argv_take(optarg, argc, argv, &optind, a->mda,
				CLIENT_ARGV_MAX, &copy, err,
				sizeof(err)) == -1)
				die(EX_USAGE, "--mda: %s", err);
			break;
		case OPT_STATE: a->state = optarg; break;
		case OPT_DELETE: a->del = 1; break;
		case OPT_MARKSEEN: a->mark_seen = 1; break;
		case OPT_ALLFOLDERS: a->all_folders = 1; break;
		case OPT_FLAGS: a->flags = optarg; break;
		case OPT_IDLE: a->idle = 1; break;
		case OPT_POLL:
			a->poll = (long)num("--poll", optarg, 1, 86400);
			break;
		case 'q': a->o.quiet = 1; break;
		case 'v': a->o.verbose = 1; break;
		case 'h': usage(cmd, stdout); exit(0);
		case 'V': exit(util_version(PROG));
		default: usage(cmd, stderr); return EX_USAGE;
		}
	}
	if (url == NULL) {
		usage(cmd, stderr);
		return EX_USAGE;
	}
	if (tls != NULL && strcmp(tls, "off") == 0)
		a->o.tls_off = 1;
	else if (tls != NULL && strcmp(tls, "starttls") != 0)
		die(EX_USAGE, "--tls=%s: starttls or off", tls);
	if (client_url(&a->o, url, err, sizeof(err)) == -1)
		die(EX_USAGE, "%s", err);
	if (a->o.implicit_tls && a->o.tls_off)
		die(EX_USAGE, "--tls=off and an imaps:// URL contradict");
	if (a->del && a->mark_seen)
		die(EX_USAGE, "--delete and --mark-seen: one or the other");
	if (cmd == C_APPEND && a->nfolders == 0)
		die(EX_USAGE, "append: --folder F is needed");
	(void)signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Log in; 0 or an exit code (said). */
static int
open_session(struct iclient *c, struct cargs *a)
{
	char secret[SECRET_MAX + 1];
	const char *user;
	int rc;

	if ((rc = client_login_info(&a->o, &user, secret, sizeof(secret))) !=
	    0)
		return rc;
	rc = client_open(c, &a->o, user, secret);
	util_wipe(secret, sizeof(secret));
	return rc;
}

static int
fail(struct iclient *c, struct cargs *a)
{
	int rc = yerr_exit(c->err.cls);

	client_complain(&a->o, "%s", c->err.msg);
	client_close(c);
	return rc;
}

/* ---------------------------------------------------------------- list */

struct folder {
	char *raw; /* as the server names it (mUTF-7) */
	char special[128];
	int noselect;
};

struct listing {
	struct folder *f;
	size_t n, cap;
	uint32_t messages, unseen;
};

static int
on_list(struct iclient *c, void *arg)
{
	struct listing *l = arg;
	struct imap_value *v = c->p.args, *fl;
	struct folder *f;
	const char *s;
	size_t len, n;
	void *np;

	if (c->p.resp.name == NULL || c->p.resp.namelen != 4 ||
	    util_casecmp_n(c->p.resp.name, "LIST", 4) != 0)
		return 0;
	if (v == NULL || v->type != IMAP_LIST || v->next == NULL ||
	    v->next->next == NULL ||
	    imap_astring(v->next->next, &s, &len) == -1) {
		yerr_set(&c->err, YERR_PROTO, "a LIST response without a name");
		return -1;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((np = realloc(l->f, l->cap * sizeof(*l->f))) == NULL)
			goto nomem;
		l->f = np;
	}
	f = &l->f[l->n];
	memset(f, 0, sizeof(*f));
	if ((f->raw = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(f->raw, s, len);
	f->raw[len] = '\0';
	l->n++;
	for (fl = v->child; fl != NULL; fl = fl->next) {
		if (fl->type != IMAP_ATOM || fl->len < 2 || fl->s[0] != '\\')
			continue;
		s = fl->s;
		len = fl->len;
		if (client_word(fl, "\\Noselect") ||
		    client_word(fl, "\\NonExistent")) {
			f->noselect = 1;
			continue;
		}
		if (client_word(fl, "\\All") || client_word(fl, "\\Archive") ||
		    client_word(fl, "\\Drafts") ||
		    client_word(fl, "\\Flagged") ||
		    client_word(fl, "\\Junk") || client_word(fl, "\\Sent") ||
		    client_word(fl, "\\Trash") ||
		    client_word(fl, "\\Important")) {
			n = strlen(f->special);
			if (n + len + 2 < sizeof(f->special))
				(void)snprintf(f->special + n,
				    sizeof(f->special) - n, "%s%.*s",
				    n ? " " : "", (int)len, s);
		}
	}
	return 0;
nomem:
	yerr_set(&c->err, YERR_LOCAL, "%s", strerror(ENOMEM));
	return -1;
}

static int
on_status(struct iclient *c, void *arg)
{
	struct listing *l = arg;
	struct imap_value *v;
	uint32_t n;

	if (c->p.resp.name == NULL || c->p.resp.namelen != 6 ||
	    util_casecmp_n(c->p.resp.name, "STATUS", 6) != 0 ||
	    c->p.args == NULL || c->p.args->next == NULL ||
	    c->p.args->next->type != IMAP_LIST)
		return 0;
	for (v = c->p.args->next->child; v != NULL && v->next != NULL;
	     v = v->next->next) {
		if (imap_number(v->next, &n) == -1)
			continue;
		if (client_word(v, "MESSAGES"))
			l->messages = n;
		else if (client_word(v, "UNSEEN"))
			l->unseen = n;
	}
	return 0;
}

static int
cmp_folder(const void *a, const void *b)
{
	const struct folder *x = a, *y = b;

	/* INBOX first, then by name. */
	if (strcmp(x->raw, "INBOX") == 0)
		return -1;
	if (strcmp(y->raw, "INBOX") == 0)
		return 1;
	return strcmp(x->raw, y->raw);
}

int
client_list_main(int argc, char **argv)
{
	static struct cargs a;
	struct iclient c;
	struct listing l;
	struct buf cmd, name;
	size_t i;
	int rc, st;

	if ((rc = parse(C_LIST, argc, argv, &a)) != 0)
		return rc;
	if ((rc = open_session(&c, &a)) != 0)
		return rc == -1 ? fail(&c, &a) : rc;
	memset(&l, 0, sizeof(l));
	/* RFC 6154 §5.1: the attributes may need asking for. */
	st = client_cmdf(&c, on_list, &l, "LIST \"\" \"*\"%s",
	    c.caps & CAP_SPECIAL_USE ? " RETURN (SPECIAL-USE)" : "");
	if (st != IMAP_ST_OK) {
		(void)client_refused(&c, st, "LIST");
		return fail(&c, &a);
	}
	if (l.n > 1)
		qsort(l.f, l.n, sizeof(*l.f), cmp_folder);
	buf_init(&cmd, 64 * 1024);
	buf_init(&name, 64 * 1024);
	rc = 0;
	for (i = 0; i < l.n; i++) {
		buf_reset(&name);
		if (imap_utf7_decode(l.f[i].raw, strlen(l.f[i].raw), &name) ==
		    -1) {
			buf_reset(&name);
			(void)buf_puts(&name, l.f[i].raw);
		}
		if (l.f[i].noselect) {
			printf("%s\t-\t-\t%s\n", buf_cstr(&name),
			    l.f[i].special[0] ? l.f[i].special : "-");
			continue;
		}
		buf_reset(&cmd);
		l.messages = l.unseen = 0;
		if (buf_puts(&cmd, "STATUS ") == -1 ||
		    imap_put_astring(&cmd, l.f[i].raw, strlen(l.f[i].raw),
			c.caps & CAP_LITERALPLUS ? IMAP_ENC_LITPLUS : 0) ==
			-1 ||
		    buf_puts(&cmd, " (MESSAGES UNSEEN)") == -1) {
			yerr_set(&c.err, YERR_LOCAL, "%s", strerror(ENOMEM));
			rc = -1;
			break;
		}
		st = client_cmd(&c, on_status, &l, cmd.data, cmd.len);
		if (st != IMAP_ST_OK) {
			if (st == -1) {
				rc = -1;
				break;
			}
			printf("%s\t?\t?\t%s\n", buf_cstr(&name),
			    l.f[i].special[0] ? l.f[i].special : "-");
			continue;
		}
		printf("%s\t%lu\t%lu\t%s\n", buf_cstr(&name),
		    (unsigned long)l.messages, (unsigned long)l.unseen,
		    l.f[i].special[0] ? l.f[i].special : "-");
	}
	for (i = 0; i < l.n; i++)
		free(l.f[i].raw);
	free(l.f);
	buf_free(&cmd);
	buf_free(&name);
	if (fflush(stdout) == EOF && rc == 0) {
		fprintf(stderr, "%s: stdout: %s\n", PROG, strerror(errno));
		client_close(&c);
		return EX_IOERR;
	}
	if (rc == -1)
		return fail(&c, &a);
	client_close(&c);
	return 0;
}

/* ---------------------------------------------------------------- append */

/* The message on stdin with CRLF line ends (a CRLF stays, a bare LF
   gets its CR).  0 or an exit code (said). */
static int
read_message(struct buf *m)
{
	char b[16384];
	ssize_t n, i;
	int last = -1;

	for (;;) {
		n = read(0, b, sizeof(b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die(EX_IOERR, "stdin: %s", strerror(errno));
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (b[i] == '\0')
				die(EX_DATAERR,
				    "the message holds a NUL byte");
			if (b[i] == '\n' && last != '\r' &&
			    buf_putc(m, '\r') == -1)
				goto big;
			if (buf_putc(m, b[i]) == -1)
				goto big;
			last = (unsigned char)b[i];
		}
	}
	if (m->len == 0)
		die(EX_DATAERR, "stdin: no message");
	if (last != '\n' && buf_append(m, "\r\n", 2) == -1)
		goto big;
	return 0;
big:
	die(EX_DATAERR, "the message is larger than %ld bytes",
	    (long)MSG_SIZE_DEFAULT);
	return EX_DATAERR;
}

int
client_append_main(int argc, char **argv)
{
	static struct cargs a;
	struct iclient c;
	struct buf m, cmd;
	const char *s;
	int rc, st;

	if ((rc = parse(C_APPEND, argc, argv, &a)) != 0)
		return rc;
	if (a.flags != NULL)
		for (s = a.flags; *s != '\0'; s++)
			if (*s != ' ' && *s != '\\' &&
			    !imap_atom_char((unsigned char)*s))
				die(EX_USAGE, "--flags %s: not flags",
				    a.flags);
	buf_init(&m, (size_t)MSG_SIZE_DEFAULT);
	(void)read_message(&m);
	if ((rc = open_session(&c, &a)) != 0)
		return rc == -1 ? fail(&c, &a) : rc;
	buf_init(&cmd, (size_t)MSG_SIZE_DEFAULT + 64 * 1024);
	if (buf_puts(&cmd, "APPEND ") == -1 ||
	    imap_put_mailbox(&cmd, a.folders[0], strlen(a.folders[0]),
		c.caps & CAP_LITERALPLUS ? IMAP_ENC_LITPLUS : 0) == -1 ||
	    (a.flags != NULL && buf_printf(&cmd, " (%s)", a.flags) == -1) ||
	    buf_printf(&cmd, " {%zu%s}\r\n", m.len,
		c.caps & CAP_LITERALPLUS ? "+" : "") == -1 ||
	    buf_append(&cmd, m.data, m.len) == -1) {
		yerr_set(&c.err, YERR_USAGE, "%s: cannot be sent",
		    a.folders[0]);
		return fail(&c, &a);
	}
	buf_free(&m);
	st = client_cmd(&c, NULL, NULL, cmd.data, cmd.len);
	buf_free(&cmd);
	if (st != IMAP_ST_OK) {
		(void)client_refused(&c, st, "APPEND");
		if (c.err.cls == YERR_PERM && c.p.resp.code == IMAP_CODE_TOOBIG)
			c.err.cls = YERR_DATA;
		return fail(&c, &a);
	}
	client_close(&c);
	return 0;
}

/* ---------------------------------------------------------------- idle */

/* Re-issue IDLE this often (RFC 2177: servers may log out a client
   idle for 30 minutes). */
#define IDLE_ROUND_MS (25 * 60 * 1000)
/* Without IDLE, NOOP this often. */
#define IDLE_POLL_MS 5000

struct idlewait {
	uint32_t base;
	int got;
};

static int
on_idle(struct iclient *c, void *arg)
{
	struct idlewait *w = arg;
	struct imap_resp *r = &c->p.resp;

	if (r->has_number && r->namelen == 6 &&
	    util_casecmp_n(r->name, "EXISTS", 6) == 0) {
		if (r->number > w->base)
			w->got = 1;
		w->base = r->number;
	} else if (r->has_number && r->namelen == 7 &&
	    util_casecmp_n(r->name, "EXPUNGE", 7) == 0 && w->base > 0)
		w->base--;
	return 0;
}

int
client_idle_main(int argc, char **argv)
{
	static struct cargs a;
	struct iclient c;
	struct idlewait w;
	int64_t end = 0, now, round;
	int rc, st;

	if ((rc = parse(C_IDLE, argc, argv, &a)) != 0)
		return rc;
	if ((rc = open_session(&c, &a)) != 0)
		return rc == -1 ? fail(&c, &a) : rc;
	if (client_select(&c, a.nfolders ? a.folders[0] : "INBOX", 0) == -1)
		return fail(&c, &a);
	w.base = c.exists;
	w.got = 0;
	if (a.wait > 0)
		end = util_now_ms() + (int64_t)a.wait * 1000;
	while (!w.got) {
		now = util_now_ms();
		if (end != 0 && now >= end)
			break;
		round = (c.caps & CAP_IDLE) ? IDLE_ROUND_MS : IDLE_POLL_MS;
		if (end != 0 && end - now < round)
			round = end - now;
		if (!(c.caps & CAP_IDLE)) {
			if (util_sleep_ms((int)round, NULL) == -1)
				break;
			st = client_cmdf(&c, on_idle, &w, "NOOP");
			if (st != IMAP_ST_OK) {
				(void)client_refused(&c, st, "NOOP");
				return fail(&c, &a);
			}
			continue;
		}
		(void)snprintf(c.tag, sizeof(c.tag), "Y%u", ++c.tagn);
		if (io_line(&c.io, "%s IDLE", c.tag) == -1 ||
		    io_flush(&c.io) == -1) {
			yerr_set(&c.err, YERR_TEMP, "write: %s", c.io.err);
			return fail(&c, &a);
		}
		for (;;) {
			if (client_read(&c) == -1)
				return fail(&c, &a);
			if (c.p.resp.kind == IMAP_RESP_CONT)
				break;
			if (c.p.resp.kind == IMAP_RESP_TAGGED) {
				yerr_set(&c.err, YERR_PROTO,
				    "IDLE refused: %.*s",
				    (int)c.p.resp.textlen,
				    c.p.resp.text ? c.p.resp.text : "");
				return fail(&c, &a);
			}
			(void)on_idle(&c, &w);
		}
		c.io.deadline = util_now_ms() + round;
		c.io.timeout_ms = (int)round + 1000;
		while (!w.got) {
			if (client_read(&c) == -1) {
				if (c.io.deadline != 0 &&
				    util_now_ms() >= c.io.deadline &&
				    !c.bye)
					break;
				return fail(&c, &a);
			}
			if (c.p.resp.kind == IMAP_RESP_UNTAGGED)
				(void)on_idle(&c, &w);
			else {
				yerr_set(&c.err, YERR_PROTO,
				    "IDLE ended by the server");
				return fail(&c, &a);
			}
		}
		c.io.deadline = 0;
		c.io.timeout_ms = (int)a.o.timeout * 1000;
		yerr_clear(&c.err);
		if (io_line(&c.io, "DONE") == -1 || io_flush(&c.io) == -1) {
			yerr_set(&c.err, YERR_TEMP, "write: %s", c.io.err);
			return fail(&c, &a);
		}
		/* The tagged OK of IDLE (EXISTS may come before it). */
		for (;;) {
			if (client_read(&c) == -1)
				return fail(&c, &a);
			if (c.p.resp.kind == IMAP_RESP_TAGGED)
				break;
			(void)on_idle(&c, &w);
		}
	}
	client_close(&c);
	if (!w.got) {
		if (!a.o.quiet)
			fprintf(stderr, "%s: %s: no new mail in %ld s\n", PROG,
			    a.o.label, a.wait);
		return EX_TEMPFAIL;
	}
	return 0;
}

int
client_fetch_main(int argc, char **argv)
{
	static struct cargs a;
	int rc;

	if ((rc = parse(C_FETCH, argc, argv, &a)) != 0)
		return rc;
	if ((a.maildir == NULL) == (a.mda[0] == NULL))
		die(EX_USAGE,
		    "one of --maildir DIR and --mda ARGV... is needed");
	if (a.all_folders && a.nfolders > 0)
		die(EX_USAGE, "--all-folders and --folder: one or the other");
	if (a.nfolders == 0)
		a.folders[a.nfolders++] = "INBOX";
	return client_fetch(&a);
}
