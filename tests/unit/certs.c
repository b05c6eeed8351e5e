/*
 * certs.c: test certificates made at test time by fork/exec of certtool.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "certs.h"

#define CERTS_PATH_MAX 1024

void
certs_path(const char *dir, const char *file, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, file);

	if (n < 0 || (size_t)n >= outlen)
		out[0] = '\0'; /* too long: a later open fails plainly */
}

static int
write_file(const char *dir, const char *file, const char *text, char *err,
    size_t errlen)
{
	char path[CERTS_PATH_MAX];
	FILE *f;

	certs_path(dir, file, path, sizeof(path));
	if ((f = fopen(path, "w")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)fputs(text, f);
	if (fclose(f) != 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run certtool with argv (argv[0] is "certtool") in dir. */
static int
run(const char *dir, char *const argv[], char *err, size_t errlen)
{
	char log[CERTS_PATH_MAX];
	pid_t pid;
	int status, fd;

	certs_path(dir, "certtool.log", log, sizeof(log));
	if ((pid = fork()) == -1) {
		(void)snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (chdir(dir) == -1)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			(void)dup2(fd, 0);
			(void)close(fd);
		}
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) !=
		    -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			(void)close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			(void)snprintf(
			    err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)snprintf(err, errlen,
		    "certtool %s failed (status %d), "
		    "see %s",
		    argv[1], status, log);
		return -1;
	}
	return 0;
}

static int
genkey(const char *dir, const char *out, char *err, size_t errlen)
{
	char *argv[] = {"certtool", "--generate-privkey", "--key-type=ecdsa",
	    "--outfile", (char *)out, NULL};

	return run(dir, argv, err, errlen);
}

static int
selfsign(const char *dir, const char *key, const char *tmpl, const char *out,
    char *err, size_t errlen)
{
	char *argv[] = {"certtool", "--generate-self-signed", "--load-privkey",
	    (char *)key, "--template", (char *)tmpl, "--outfile", (char *)out,
	    NULL};

	return run(dir, argv, err, errlen);
}

static int
casign(const char *dir, const char *key, const char *tmpl, const char *out,
    char *err, size_t errlen)
{
	char *argv[] = {"certtool", "--generate-certificate", "--load-privkey",
	    (char *)key, "--load-ca-certificate", "ca.pem", "--load-ca-privkey",
	    "ca-key.pem", "--template", (char *)tmpl, "--outfile", (char *)out,
	    NULL};

	return run(dir, argv, err, errlen);
}

int
certs_make(const char *dir, char *err, size_t errlen)
{
	static const char ca[] = "cn = \"yubin test CA\"\n"
				 "ca\n"
				 "cert_signing_key\n"
				 "expiration_days = 2\n";
	static const char server[] = "cn = \"localhost\"\n"
				     "dns_name = \"localhost\"\n"
				     "ip_address = \"127.0.0.1\"\n"
				     "ip_address = \"::1\"\n"
				     "tls_www_server\n"
				     "signing_key\n"
				     "encryption_key\n"
				     "expiration_days = 2\n";
	static const char expired[] =
	    "cn = \"localhost\"\n"
	    "dns_name = \"localhost\"\n"
	    "ip_address = \"127.0.0.1\"\n"
	    "tls_www_server\n"
	    "signing_key\n"
	    "activation_date = \"2020-01-01 00:00:00\"\n"
	    "expiration_date = \"2020-02-01 00:00:00\"\n";
	static const char other[] = "cn = \"localhost\"\n"
				    "organization = \"someone else\"\n"
				    "dns_name = \"localhost\"\n"
				    "ip_address = \"127.0.0.1\"\n"
				    "tls_www_server\n"
				    "signing_key\n"
				    "expiration_days = 2\n";

	if (write_file(dir, "ca.tmpl", ca, err, errlen) == -1 ||
	    write_file(dir, "server.tmpl", server, err, errlen) == -1 ||
	    write_file(dir, "expired.tmpl", expired, err, errlen) == -1 ||
	    write_file(dir, "other.tmpl", other, err, errlen) == -1)
		return -1;
	if (genkey(dir, "ca-key.pem", err, errlen) == -1 ||
	    selfsign(dir, "ca-key.pem", "ca.tmpl", "ca.pem", err, errlen) ==
		-1 ||
	    genkey(dir, "server-key.pem", err, errlen) == -1 ||
	    casign(dir, "server-key.pem", "server.tmpl", "server.pem", err,
		errlen) == -1 ||
	    casign(dir, "server-key.pem", "expired.tmpl", "expired.pem", err,
		errlen) == -1 ||
	    genkey(dir, "other-key.pem", err, errlen) == -1 ||
	    selfsign(dir, "other-key.pem", "other.tmpl", "other.pem", err,
		errlen) == -1)
		return -1;
	return 0;
}

int
certs_fingerprint(const char *dir, const char *file, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char info[CERTS_PATH_MAX], infofile[CERTS_PATH_MAX], line[512];
	char *argv[] = {"certtool", "-i", "--infile", (char *)file, "--outfile",
	    infofile, NULL};
	FILE *f;
	char *p;
	int infp = 0, found = -1;

	if ((size_t)snprintf(infofile, sizeof(infofile), "%s.info", file) >=
	    sizeof(infofile)) {
		(void)snprintf(err, errlen, "%s: name too long", file);
		return -1;
	}
	if (run(dir, argv, err, errlen) == -1)
		return -1;
	certs_path(dir, infofile, info, sizeof(info));
	if ((f = fopen(info, "r")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", info, strerror(errno));
		return -1;
	}
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "Fingerprint:") != NULL)
			infp = 1;
		else if (infp && (p = strstr(line, "sha256:")) != NULL) {
			p += strlen("sha256:");
			p[strcspn(p, " \t\r\n")] = '\0';
			(void)snprintf(out, outlen, "%s", p);
			found = strlen(p) == 64 ? 0 : -1;
			break;
		}
	}
	(void)fclose(f);
	if (found == -1)
		(void)snprintf(err, errlen, "%s: no sha256 fingerprint", info);
	return found;
}
