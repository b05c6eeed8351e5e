/*
 * mdeliver: deliver one message from standard input into one or more
 * Maildirs, durably, to all targets or to none (DESIGN.md, "mdeliver").
 *
 * The message is streamed: read in chunks, a leading mbox "From " line
 * dropped, CRLF turned into LF, NUL bytes refused, and written to every
 * target's tmp file with that target's Return-Path and Delivered-To
 * lines in front (one write with the first chunk).  Then every tmp file
 * is fsynced and only then linked into new/ (maildir_commit).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
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

#include "bounds.h"
#include "buf.h"
#include "maildir.h"
#include "util.h"

#define PROG "mdeliver"
/* Bytes read from stdin at a time, and output kept before a write. */
#define IN_CHUNK (64 * 1024)
#define FLUSH_AT (128 * 1024)
/* Room kept before the output for a target's prefix lines; longer
 * prefixes (hundreds of recipients) get a buffer from malloc. */
#define HEAD_STATIC (8 * 1024)
/* Recipients and --maildir options, and the targets they make: each
 * target holds an open tmp file while the message streams in. */
#define RCPT_MAX 512
#define ROOTS_MAX 64
#define TARGETS_MAX 512
/* An address as it stands in the envelope, without the angle brackets
 * (RFC 5321 §4.5.3.1.3: 256 octets with them). */
#define ADDR_MAX (SMTP_PATH_MAX - 2)

struct target {
	char root[PATH_MAX]; /* the user's Maildir */
	char dir[PATH_MAX]; /* root or root/.FOLDER */
	char folder[MAILDIR_NAME_MAX + 1]; /* "INBOX" or F */
	int from_template; /* missing root: no such user */
	int written; /* prefix written */
	struct buf prefix; /* Return-Path, Delivered-To */
	struct maildir_file f;
};

struct run {
	const char *sender; /* NULL: no -f */
	const char *template;
	const char *folder;
	const char *roots[ROOTS_MAX];
	size_t nroots;
	int create;
	long long max_size; /* 0: no limit */
	char *rcpts[RCPT_MAX];
	size_t nrcpts;
	struct target *t[TARGETS_MAX];
	size_t nt;
	struct maildir_namer namer;
};

/* Scanner state for the stream: see convert(). */
enum { ST_START, ST_SKIP, ST_BODY };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-f SENDER] [--maildir DIR]... [--maildir-template T]\n"
	    "       [--folder F] [--create] [--max-size N] [RECIPIENT...]\n"
	    "Deliver one message from standard input into Maildirs.\n"
	    "  -f SENDER              envelope sender, for Return-Path "
	    "(\"\" or <> for none)\n"
	    "  --maildir DIR          deliver into DIR (repeatable; default "
	    "$HOME/Maildir)\n"
	    "  --maildir-template T   one Maildir per RECIPIENT: %%u user, "
	    "%%d domain,\n"
	    "                         %%a user@domain, %%%% a %%\n"
	    "  --folder F             Maildir++ folder instead of INBOX\n"
	    "  --create               create missing Maildirs and folders\n"
	    "  --max-size N           refuse messages over N bytes (K, M, G; "
	    "0: no limit)\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          version\n"
	    "Exit: 0 delivered, 64 usage, 65 bad message, 67 no such user,\n"
	    "73 cannot create, 75 try again later (nothing delivered).\n",
	    PROG);
}

/* Undo every target and exit with code, after "mdeliver: MSG" on stderr. */
static void __attribute__((noreturn, format(printf, 3, 4)))
fail(struct run *r, int code, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	for (i = 0; r != NULL && i < r->nt; i++)
		maildir_abort(&r->t[i]->f);
	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (code == EX_TEMPFAIL)
		fprintf(stderr, " (will retry: exit %d)\n", code);
	else
		fprintf(stderr, " (exit %d)\n", code);
	exit(code);
}

/* The exit code for a failed system call: temporary trouble or not. */
static int
errno_code(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG: /* a file size limit: quota-like */
	case EAGAIN:
	case EINTR:
	case EIO:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case EBUSY:
	case ETIMEDOUT:
	case ESTALE:
	case ENOLCK:
	case EEXIST: return EX_TEMPFAIL;
	default: return EX_CANTCREAT;
	}
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

/* A part of an address that may become a path component (%u, %d). */
static int
part_safe(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '/' || p[i] == '\0')
			return 0;
		if (p[i] == '.' && i + 1 < n && p[i + 1] == '.')
			return 0;
	}
	return 1;
}

/*
 * Split a lower-cased recipient: user (local part up to "+"), detail
 * (after the first "+", may be empty) and domain ("" when no "@").
 */
struct rcpt_parts {
	const char *user, *detail, *domain;
	size_t locallen, userlen, detaillen, domainlen;
};

static void
rcpt_split(const char *a, struct rcpt_parts *p)
{
	const char *at = strrchr(a, '@'), *plus;
	size_t locallen = at != NULL ? (size_t)(at - a) : strlen(a);

	memset(p, 0, sizeof(*p));
	p->user = a;
	p->locallen = locallen;
	plus = memchr(a, '+', locallen);
	p->userlen = plus != NULL ? (size_t)(plus - a) : locallen;
	if (plus != NULL) {
		p->detail = plus + 1;
		p->detaillen = locallen - p->userlen - 1;
	}
	p->domain = at != NULL ? at + 1 : "";
	p->domainlen = strlen(p->domain);
}

/* Expand the template for one recipient into out; exits on refusal. */
static void
expand(struct run *r, const char *rcpt, char *out, size_t outlen)
{
	struct rcpt_parts p;
	struct buf b;
	const char *t;
	int bad = 0;

	rcpt_split(rcpt, &p);
	/* Refuse what could leave the directory the template names. */
	if (!part_safe(p.user, p.locallen) || !part_safe(p.user, p.userlen))
		fail(r, EX_NOUSER,
		    "%s: local part not usable as a mailbox "
		    "name",
		    rcpt);
	buf_init(&b, outlen - 1);
	for (t = r->template; *t != '\0' && !bad; t++) {
		if (*t != '%') {
			bad = buf_putc(&b, *t);
			continue;
		}
		switch (*++t) {
		case 'u': bad = buf_append(&b, p.user, p.userlen); break;
		case 'd':
		case 'a':
			if (!part_safe(p.domain, p.domainlen))
				fail(r, EX_NOUSER,
				    "%s: domain not usable as "
				    "a mailbox name",
				    rcpt);
			if (*t == 'a')
				bad = buf_append(&b, p.user, p.userlen) ||
				    buf_putc(&b, '@');
			if (!bad)
				bad = buf_append(&b, p.domain, p.domainlen);
			break;
		case '%': bad = buf_putc(&b, '%'); break;
		default:
			buf_free(&b);
			fail(r, EX_USAGE, "--maildir-template: unknown %%%c",
			    *t == '\0' ? ' ' : *t);
		}
	}
	if (bad) {
		buf_free(&b);
		fail(r, EX_NOUSER, "%s: mailbox path too long", rcpt);
	}
	util_strlcpy(out, buf_cstr(&b), outlen);
	buf_free(&b);
}

/* The folder a recipient's +detail names, when it exists under root. */
static const char *
detail_folder(const char *rcpt, const char *root, char *out, size_t outlen)
{
	struct rcpt_parts p;
	char path[PATH_MAX];
	struct stat st;

	rcpt_split(rcpt, &p);
	if (p.detail == NULL || p.detaillen == 0 || p.detaillen >= outlen)
		return NULL;
	memcpy(out, p.detail, p.detaillen);
	out[p.detaillen] = '\0';
	if (maildir_folder_valid(out) != 0 || strcasecmp(out, "INBOX") == 0)
		return NULL;
	if (maildir_folder_path(root, out, path, sizeof(path)) != 0 ||
	    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return out;
}

/* Find or add the target for dir; adds rcpt's Delivered-To line. */
static void
add_target(struct run *r, const char *root, const char *folder,
    int from_template, const char *rcpt)
{
	char dir[PATH_MAX];
	struct target *t = NULL;
	size_t i;

	if (maildir_folder_path(
		root, folder != NULL ? folder : "INBOX", dir, sizeof(dir)) != 0)
		fail(r, EX_CANTCREAT, "%s: %s", root, strerror(errno));
	for (i = 0; i < r->nt; i++)
		if (strcmp(r->t[i]->dir, dir) == 0)
			t = r->t[i];
	if (t == NULL) {
		if (r->nt == TARGETS_MAX)
			fail(r, EX_USAGE, "too many targets (at most %d)",
			    TARGETS_MAX);
		if ((t = calloc(1, sizeof(*t))) == NULL)
			fail(r, EX_TEMPFAIL, "%s", strerror(errno));
		util_strlcpy(t->root, root, sizeof(t->root));
		util_strlcpy(t->dir, dir, sizeof(t->dir));
		util_strlcpy(t->folder, folder != NULL ? folder : "INBOX",
		    sizeof(t->folder));
		t->from_template = from_template;
		buf_init(&t->prefix, 0);
		if (r->sender != NULL &&
		    buf_printf(&t->prefix, "Return-Path: <%s>\n", r->sender) !=
			0)
			fail(r, EX_TEMPFAIL, "%s", strerror(errno));
		r->t[r->nt++] = t;
	}
	if (rcpt != NULL &&
	    buf_printf(&t->prefix, "Delivered-To: %s\n", rcpt) != 0)
		fail(r, EX_TEMPFAIL, "%s", strerror(errno));
}

static void
plan(struct run *r)
{
	char detail[MAILDIR_NAME_MAX + 1], root[PATH_MAX];
	const char *folder;
	size_t i, j;

	if (r->nrcpts == 0) {
		for (j = 0; j < r->nroots; j++)
			add_target(r, r->roots[j], r->folder, 0, NULL);
		return;
	}
	for (i = 0; i < r->nrcpts; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(r->rcpts[i], r->rcpts[j]) == 0)
				break;
		if (j < i)
			continue; /* the same recipient twice */
		for (j = 0; j < (r->template != NULL ? 1 : r->nroots); j++) {
			if (r->template != NULL)
				expand(r, r->rcpts[i], root, sizeof(root));
			else
				util_strlcpy(root, r->roots[j], sizeof(root));
			folder = r->folder;
			if (folder == NULL)
				folder = detail_folder(
				    r->rcpts[i], root, detail, sizeof(detail));
			add_target(
			    r, root, folder, r->template != NULL, r->rcpts[i]);
		}
	}
}

/* Open every target's tmp file, creating Maildirs when asked. */
static void
open_targets(struct run *r)
{
	char err[ERR_MAX];
	struct target *t;
	struct stat st;
	size_t i;
	int e;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (maildir_open(&t->f, t->dir, &r->namer, err, sizeof(err)) ==
		    0)
			continue;
		e = errno;
		if (e == ENOENT && r->create) {
			if (maildir_create_folder(
				t->root, t->folder, err, sizeof(err)) != 0)
				fail(r, errno_code(errno), "%s", err);
			if (maildir_open(&t->f, t->dir, &r->namer, err,
				sizeof(err)) == 0)
				continue;
			e = errno;
		} else if (e == ENOENT && stat(t->root, &st) != 0) {
			fail(r, t->from_template ? EX_NOUSER : EX_CANTCREAT,
			    "%s: no such Maildir%s", t->root,
			    t->from_template ? "" : " (--create makes it)");
		}
		fail(r, errno_code(e), "%s", err);
	}
}

/*
 * Convert in[0..n) into out (which has room for n more bytes): drop a
 * leading "From " line, CRLF -> LF.  Returns the bytes consumed (a CR
 * at the end, or a short start, waits for more unless eof), or -1 when
 * a NUL byte is found.
 */
static long
convert(
    int *state, const char *in, size_t n, int eof, char *out, size_t *outlen)
{
	const char *cr, *nl;
	size_t i = 0, o = *outlen, seg;

	if (*state == ST_START) {
		if (n < 5 && !eof && memchr(in, '\n', n) == NULL)
			return 0;
		*state =
		    n >= 5 && memcmp(in, "From ", 5) == 0 ? ST_SKIP : ST_BODY;
	}
	if (*state == ST_SKIP) {
		if ((nl = memchr(in, '\n', n)) == NULL)
			return (long)n;
		i = (size_t)(nl - in) + 1;
		*state = ST_BODY;
	}
	if (memchr(in + i, '\0', n - i) != NULL)
		return -1;
	while (i < n) {
		cr = memchr(in + i, '\r', n - i);
		seg = cr != NULL ? (size_t)(cr - in) - i : n - i;
		memcpy(out + o, in + i, seg);
		o += seg;
		i += seg;
		if (cr == NULL)
			break;
		if (i + 1 < n) {
			/* RFC 5322 §2.3: CRLF ends a line; a bare CR stays. */
			if (in[i + 1] == '\n') {
				out[o++] = '\n';
				i += 2;
			} else
				out[o++] = in[i++];
		} else if (eof)
			out[o++] = in[i++];
		else
			break;
	}
	*outlen = o;
	return (long)i;
}

/* Write out[0..len) (with headroom before it) to every target. */
static void
flush(struct run *r, char *out, size_t len)
{
	char err[ERR_MAX];
	struct target *t;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		t = r->t[i];
		if (!t->written) {
			/* The prefix goes in the same write as the data. */
			if (t->prefix.len > 0)
				memcpy(out - t->prefix.len, t->prefix.data,
				    t->prefix.len);
			if (maildir_write(&t->f, out - t->prefix.len,
				t->prefix.len + len, err, sizeof(err)) != 0)
				fail(r, errno_code(errno), "%s", err);
			t->written = 1;
		} else if (len > 0 &&
		    maildir_write(&t->f, out, len, err, sizeof(err)) != 0)
			fail(r, errno_code(errno), "%s", err);
	}
}

static void
deliver(struct run *r)
{
	static char in[IN_CHUNK], outbuf[HEAD_STATIC + FLUSH_AT + IN_CHUNK];
	struct maildir_file *files[TARGETS_MAX];
	char *base = NULL, *out, err[ERR_MAX];
	size_t i, head = 0, inlen = 0, outlen = 0;
	long long total = 0, body = 0;
	int state = ST_START, eof = 0;
	long used;
	ssize_t n;

	for (i = 0; i < r->nt; i++)
		if (r->t[i]->prefix.len > head)
			head = r->t[i]->prefix.len;
	if (head <= HEAD_STATIC)
		out = outbuf + HEAD_STATIC;
	else if ((base = malloc(head + FLUSH_AT + IN_CHUNK)) == NULL)
		fail(r, EX_TEMPFAIL, "%s", strerror(errno));
	else
		out = base + head;
	while (!eof) {
		n = read(STDIN_FILENO, in + inlen, sizeof(in) - inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(r, EX_TEMPFAIL, "standard input: %s",
			    strerror(errno));
		if (n == 0)
			eof = 1;
		inlen += (size_t)n;
		total += n;
		if (r->max_size > 0 && total > r->max_size)
			fail(r, EX_DATAERR, "message larger than %lld bytes",
			    r->max_size);
		used = convert(&state, in, inlen, eof, out, &outlen);
		if (used < 0)
			fail(r, EX_DATAERR, "message contains a NUL byte");
		memmove(in, in + used, inlen - (size_t)used);
		inlen -= (size_t)used;
		if (outlen >= FLUSH_AT || (eof && outlen > 0)) {
			flush(r, out, outlen);
			body += (long long)outlen;
			outlen = 0;
		}
	}
	free(base);
	if (body == 0)
		fail(r, EX_DATAERR, "message is empty");
	for (i = 0; i < r->nt; i++) {
		if (maildir_sync(&r->t[i]->f, err, sizeof(err)) != 0)
			fail(r, errno_code(errno), "%s", err);
		files[i] = &r->t[i]->f;
	}
	/* All tmp files are on disk: now link them all, or none. */
	if (maildir_commit(files, r->nt, err, sizeof(err)) != 0)
		fail(r, errno_code(errno), "%s", err);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"maildir", required_argument, NULL, 'm'},
	    {"maildir-template", required_argument, NULL, 't'},
	    {"folder", required_argument, NULL, 'F'},
	    {"create", no_argument, NULL, 'c'},
	    {"max-size", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	static struct run run;
	static char home_md[PATH_MAX];
	char *s;
	const char *home;
	size_t i;
	int ch;

	run.max_size = MSG_SIZE_DEFAULT;
	if (argc > 0) /* getopt's messages read "prog: why" */
		argv[0] = (char *)PROG;
	while ((ch = getopt_long(argc, argv, "f:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			s = unbracket(optarg);
			if (*s == '\0')
				run.sender = "";
			else if (!addr_valid(s))
				fail(NULL, EX_USAGE,
				    "-f %s: not a valid "
				    "envelope address",
				    optarg);
			else
				run.sender = s;
			break;
		case 'm':
			if (run.nroots == ROOTS_MAX)
				fail(NULL, EX_USAGE,
				    "too many --maildir "
				    "(at most %d)",
				    ROOTS_MAX);
			if (*optarg == '\0')
				fail(NULL, EX_USAGE, "--maildir: empty path");
			run.roots[run.nroots++] = optarg;
			break;
		case 't': run.template = optarg; break;
		case 'F':
			if (maildir_folder_valid(optarg) != 0)
				fail(NULL, EX_USAGE,
				    "--folder %s: not a valid "
				    "Maildir++ folder name",
				    optarg);
			run.folder =
			    strcasecmp(optarg, "INBOX") == 0 ? NULL : optarg;
			break;
		case 'c': run.create = 1; break;
		case 's':
			if (util_parse_num(
				optarg, 0, LLONG_MAX, 1, &run.max_size) != 0)
				fail(NULL, EX_USAGE,
				    "--max-size %s: not a "
				    "size",
				    optarg);
			break;
		case 'h': usage(stdout); return 0;
		case 'V': return util_version(PROG);
		default: usage(stderr); return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (run.template != NULL && (run.nroots > 0 || argc == 0))
		fail(NULL, EX_USAGE,
		    "--maildir-template needs recipients and "
		    "no --maildir");
	if ((size_t)argc > RCPT_MAX)
		fail(NULL, EX_USAGE, "too many recipients (at most %d)",
		    RCPT_MAX);
	for (i = 0; i < (size_t)argc; i++) {
		s = unbracket(argv[i]);
		if (!addr_valid(s))
			fail(NULL, EX_NOUSER,
			    "%s: not a valid recipient "
			    "address",
			    argv[i]);
		util_lower(s);
		run.rcpts[run.nrcpts++] = s;
	}
	if (run.template == NULL && run.nroots == 0) {
		if ((home = getenv("HOME")) == NULL || *home == '\0')
			fail(
			    NULL, EX_CONFIG, "HOME is not set; give --maildir");
		if ((size_t)snprintf(home_md, sizeof(home_md), "%s/Maildir",
			home) >= sizeof(home_md))
			fail(NULL, EX_CONFIG, "HOME is too long");
		run.roots[run.nroots++] = home_md;
	}
	/* Past a file size limit, write(2) fails with EFBIG (exit 75 and
	 * tmp cleaned) instead of SIGXFSZ killing us midway. */
	(void)signal(SIGXFSZ, SIG_IGN);
	maildir_namer_init(&run.namer, NULL);
	plan(&run);
	open_targets(&run);
	deliver(&run);
	return 0;
}
