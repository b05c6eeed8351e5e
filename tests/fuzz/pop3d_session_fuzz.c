/*
 * pop3d_session_fuzz: the whole `mpop serve' session
 * (cmd/mpop/serve_session.c) fed arbitrary bytes as a client would send
 * them, over a small Maildir made at the first call: the input is a
 * file on the read side, answers go to /dev/null.  Each input runs twice:
 * in --preauth mode, and with a passwd-file (user "fuzz", password
 * "secret", a cheap SHA-256-crypt hash; USER/PASS and AUTH PLAIN allowed
 * in the clear).  Run as root, a right password ends that session (no
 * uid/gid in the line: the fuzzer must not give up root for good).  The
 * Maildir is rebuilt when a session deleted its messages, so RETR, TOP,
 * DELE and QUIT keep finding something to work on.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpop.h"
#include "serve.h"
#include "sessfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static struct serve_conf conf, pwconf;
static struct log lg;
static char dir[64], pwfile[96];

static const char *const msgs[] = {
    "From: a@example.org\nSubject: one\n\nbody\n.\n..dots\nlast",
    "From: b@example.org\r\nSubject: two\r\n\r\nl1\r\nl2\r\nl3\r\n",
    "no header at all\n",
    "",
};

static void
put(const char *sub, const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
}

static size_t
count(const char *sub)
{
	char path[128];
	struct dirent *de;
	DIR *d;
	size_t k = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			k++;
	closedir(d);
	return k;
}

static void
fill(void)
{
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		snprintf(name, sizeof(name), "100%zu.M%zuP1.fuzz,S=%zu", i, i,
		    strlen(msgs[i]));
		put(i % 2 ? "cur" : "new", i % 2 ? strcat(name, ":2,F") : name,
		    msgs[i]);
	}
}

/* Remove the Maildir at exit (the replay in `make check' runs often). */
static void
cleanup(void)
{
	const char *sub[] = {"tmp", "new", "cur", ""};
	char path[512];
	struct dirent *de;
	DIR *d;
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char f[768];

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
			(void)unlink(f);
		}
		closedir(d);
		if (i < 3)
			(void)rmdir(path);
	}
	(void)rmdir(dir);
}

static void
setup(void)
{
	char path[128];
	const char *sub[] = {"tmp", "new", "cur"};
	char line[256];
	FILE *fp;
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/pop3d_fuzz.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (mkdir(path, 0700) == -1)
			abort();
	}
	fill();
	atexit(cleanup);
	log_open(&lg, "pop3d_session_fuzz", 0, 0);
	lg.level = -1; /* quiet */
	conf.preauth = 1;
	conf.maildir = dir;
	conf.timeout = 1;
	conf.max_errors = 30;
	conf.auth_delay_ms = 0;
	conf.resolve = 0;
	conf.hostname = "pop.fuzz.example";
	conf.log = &lg;
	pwconf = conf;
	pwconf.preauth = 0;
	pwconf.maildir = NULL;
	pwconf.allow_plain_auth = 1;
	snprintf(pwfile, sizeof(pwfile), "%s/passwd", dir);
	if ((fp = fopen(pwfile, "w")) == NULL)
		abort();
	sessfuzz_pwline(line, sizeof(line), dir);
	fputs(line, fp);
	fclose(fp);
	pwconf.passwd_file = pwfile;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int ready;
	char path[] = "/tmp/pop3d_fuzz_in.XXXXXX";
	int in, out, k;

	if (!ready) {
		setup();
		ready = 1;
	}
	sessfuzz_fds(d, n, path, &in, &out);
	for (k = 0; k < 2; k++) {
		if (count("new") + count("cur") < 2)
			fill();
		lseek(in, 0, SEEK_SET);
		(void)serve_session(k == 0 ? &conf : &pwconf, in, out);
	}
	close(in);
	close(out);
	return 0;
}
