/*
 * smtpd_session_fuzz: the whole msmtpd session (cmd/msmtpd/session.c,
 * data.c, policy.c, deliver.c) fed arbitrary bytes as a client would
 * send them, as under --inetd: the input is a file on fd "0", replies go
 * to /dev/null.  Delivery goes to an in-process sink that reads the
 * spool and answers 0, 75 or 1 by its size, so the 250/451/554 paths
 * all run.  AUTH runs against a passwd-file made at start-up (user
 * "fuzz", password "secret", a cheap SHA-256-crypt hash).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msmtpd.h"
#include "sessfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int
sink(void *arg, int fd)
{
	char b[4096];
	ssize_t r;
	size_t total = 0;

	(void)arg;
	while ((r = read(fd, b, sizeof(b))) > 0)
		total += (size_t)r;
	return total % 3 == 0 ? 0 : total % 3 == 1 ? 75 : 1;
}

static struct msmtpd_conf conf;
static struct log lg;
static char pwfile[64];

static void
setup(void)
{
	char line[256];
	FILE *fp;
	int fd;

	log_open(&lg, "smtpd_session_fuzz", 0, 0);
	lg.level = -1; /* quiet */
	conf.hostname = "mx.fuzz.example";
	conf.domains[0] = "fuzz.example";
	conf.ndomains = 1;
	conf.max_size = 2048;
	conf.max_rcpt = 4;
	conf.max_errors = 30;
	conf.timeout = 1;
	conf.data_timeout = 1;
	conf.command_timeout = 1;
	conf.auth_delay_ms = 0;
	conf.resolve = 0;
	conf.allow_plain_auth = 1;
	conf.log = &lg;
	conf.sink = sink;
	conf.command[0] = "true";
	conf.relay[0] = "true";
	snprintf(pwfile, sizeof(pwfile), "/tmp/smtpd_fuzz_pw.XXXXXX");
	if ((fd = mkstemp(pwfile)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	sessfuzz_pwline(line, sizeof(line), "/nonexistent");
	fputs(line, fp);
	fclose(fp);
	conf.passwd_file = pwfile;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int ready;
	char path[] = "/tmp/smtpd_fuzz_in.XXXXXX";
	int in, out;

	if (!ready) {
		setup();
		ready = 1;
	}
	sessfuzz_fds(d, n, path, &in, &out);
	(void)session_run(&conf, in, out);
	close(in);
	close(out);
	return 0;
}
