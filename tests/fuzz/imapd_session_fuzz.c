/*
 * imapd_session_fuzz: the whole `mimap serve' session (cmd/mimap/
 * imapd_*.c) fed arbitrary bytes as a client would send them, over a
 * small Maildir++ tree in a temp dir: the input is a file on the read
 * side, answers go to /dev/null.  Each input runs twice: preauthenticated
 * (the session starts in the authenticated state), and with a
 * passwd-file (user "fuzz", password "secret", a cheap SHA-256-crypt
 * hash; LOGIN and AUTHENTICATE PLAIN allowed in the clear).  Run as root,
 * a right password ends that session (no uid/gid in the line: the fuzzer
 * must not give up root for good).
 *
 * The tree is made again before each input (CREATE, DELETE, RENAME and
 * EXPUNGE change it), so an input found crashing replays the same way
 * alone: INBOX with four messages (one new, a multipart, flags and a
 * keyword), the folders "Sent" and "A/B" (A only a level), a
 * dovecot-keywords file and a subscriptions file.
 */
#include "config.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapd.h"
#include "sessfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static struct imapd_conf conf, pwconf;
static struct log lg;
static char dir[64], pwfile[96], pwline[160];

/* (folder dir below the root, "" for INBOX; sub; name; text) */
static const struct {
	const char *folder, *sub, *name, *text;
} msgs[] = {
    {"", "new", "1000.M1P1.fuzz,S=47",
	"From: a@example.org\nSubject: one\n\nbody\n.\nlast"},
    {"", "cur", "1001.M2P1.fuzz,S=62:2,FS",
	"From: b@example.org\r\nSubject: two\r\n\r\nl1\r\nl2\r\nl3\r\n"},
    {"", "cur", "1002.M3P1.fuzz:2,Sa",
	"From: =?UTF-8?B?w6k=?= <c@example.org>\n"
	"To: d@example.org, (group) e@example.org\n"
	"Date: Mon, 1 Dec 2025 10:00:00 +0100\n"
	"Message-ID: <m3@example.org>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	"pre\n--b\nContent-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: quoted-printable\n\nh=C3=A9\n"
	"--b\nContent-Type: message/rfc822\n\nSubject: in\n\ninner\n"
	"--b--\nepilogue\n"},
    {"", "cur", "1003.M4P1.fuzz:2,T", "no header at all\n"},
    {".Sent", "cur", "1004.M5P1.fuzz:2,S", "Subject: sent\n\nsent\n"},
    {".A.B", "new", "1005.M6P1.fuzz", ""},
};

static void
put(const char *path, const char *text)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
}

static void
maildir(const char *folder)
{
	const char *sub[] = {"", "/tmp", "/new", "/cur"};
	char path[256];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, folder, sub[i]);
		if (mkdir(path, 0700) == -1 && i > 0)
			abort();
	}
	if (folder[0] != '\0') {
		snprintf(
		    path, sizeof(path), "%s/%s/maildirfolder", dir, folder);
		put(path, "");
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	if (f->level == 0)
		return 0; /* keep dir itself */
	(void)remove(path);
	return 0;
}

/* Empty dir and make the tree again. */
static void
fill(void)
{
	char path[512];
	size_t i;

	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	maildir("");
	maildir(".Sent");
	maildir(".A.B");
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s/%s", dir, msgs[i].folder,
		    msgs[i].sub, msgs[i].name);
		put(path, msgs[i].text);
	}
	snprintf(path, sizeof(path), "%s/dovecot-keywords", dir);
	put(path, "0 $Label1\n1 Junk\n");
	snprintf(path, sizeof(path), "%s/subscriptions", dir);
	put(path, "V\t2\n\nSent\nA\tB\nGone\n");
	snprintf(path, sizeof(path), "%s/passwd", dir);
	put(path, pwline);
}

/* Remove the tree at exit (the replay in `make check' runs often). */
static void
cleanup(void)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	(void)rmdir(dir);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/imapd_fuzz.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(pwfile, sizeof(pwfile), "%s/passwd", dir);
	sessfuzz_pwline(pwline, sizeof(pwline), "");
	atexit(cleanup);
	log_open(&lg, "imapd_session_fuzz", 0, 0);
	lg.level = -1; /* quiet */
	conf.preauth = 1;
	conf.maildir = dir;
	conf.timeout = 1;
	conf.max_errors = 30;
	conf.auth_delay_ms = 0;
	conf.resolve = 0;
	conf.hostname = "imap.fuzz.example";
	conf.log = &lg;
	pwconf = conf;
	pwconf.preauth = 0;
	pwconf.maildir = dir; /* the passwd line has none */
	pwconf.allow_plain_auth = 1;
	pwconf.passwd_file = pwfile;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int ready;
	char path[] = "/tmp/imapd_fuzz_in.XXXXXX";
	int in, out, k;

	if (!ready) {
		setup();
		ready = 1;
	}
	sessfuzz_fds(d, n, path, &in, &out);
	for (k = 0; k < 2; k++) {
		fill();
		lseek(in, 0, SEEK_SET);
		(void)imapd_session(k == 0 ? &conf : &pwconf, in, out);
	}
	close(in);
	close(out);
	return 0;
}
