/*
 * tls_test: client and server handshakes over a socketpair with a forked
 * peer, certificates made by certtool at test time.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "bounds.h"
#include "certs.h"
#include "tls.h"
#include "util.h"

enum peer_mode {
	PEER_ECHO, /* handshake, then echo until EOF */
	PEER_SILENT, /* never says a word */
	PEER_MUTE /* handshake, then reads and never answers */
};

struct peer {
	pid_t pid;
	int fd; /* our end */
};

static char dir[PATH_MAX];

static void
setup(void)
{
	char err[ERR_MAX];

	if (dir[0] != '\0')
		return;
	(void)signal(SIGPIPE, SIG_IGN);
	ATF_REQUIRE(getcwd(dir, sizeof(dir)) != NULL);
	if (certs_make(dir, err, sizeof(err)) == -1)
		atf_tc_fail("making certificates: %s", err);
}

static void
path(const char *file, char *out, size_t outlen)
{
	certs_path(dir, file, out, outlen);
}

/* Fork a TLS server on one end of a socketpair with cert (and its key). */
static void
peer_start(
    struct peer *p, const char *cert, const char *key, enum peer_mode mode)
{
	char cpath[PATH_MAX], kpath[PATH_MAX], err[ERR_MAX], b[4096];
	struct tls_server *srv;
	struct tls *t;
	ssize_t n;
	int sv[2];

	path(cert, cpath, sizeof(cpath));
	path(key, kpath, sizeof(kpath));
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((p->pid = fork()) != -1);
	if (p->pid == 0) {
		(void)close(sv[0]);
		if (mode == PEER_SILENT) {
			(void)sleep(30);
			_exit(0);
		}
		if ((srv = tls_server_new(cpath, kpath, err, sizeof(err))) ==
		    NULL) {
			(void)fprintf(stderr, "peer: %s\n", err);
			_exit(2);
		}
		if ((t = tls_server(
			 sv[1], sv[1], srv, 5000, err, sizeof(err))) == NULL)
			_exit(1);
		if (mode == PEER_MUTE) {
			(void)sleep(30);
			_exit(0);
		}
		while (
		    (n = tls_read(t, b, sizeof(b), 5000, err, sizeof(err))) > 0)
			if (tls_write(
				t, b, (size_t)n, 5000, err, sizeof(err)) == -1)
				_exit(3);
		tls_close(t);
		tls_server_free(srv);
		_exit(n == 0 ? 0 : 4);
	}
	(void)close(sv[1]);
	p->fd = sv[0];
}

/* Stop the peer; its exit status, or -1 when it had to be killed. */
static int
peer_stop(struct peer *p, int kill_it)
{
	int status;

	(void)close(p->fd);
	if (kill_it)
		(void)kill(p->pid, SIGKILL);
	ATF_REQUIRE(waitpid(p->pid, &status, 0) == p->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static struct tls *
connect_with(
    struct peer *p, struct tls_client_opts *o, char *err, size_t errlen)
{
	return tls_client(p->fd, p->fd, o, 5000, err, errlen);
}

static void
echo_check(struct tls *t)
{
	char err[ERR_MAX], b[64];
	ssize_t n;

	ATF_REQUIRE_MSG(
	    tls_write(t, "hello\r\n", 7, 5000, err, sizeof(err)) == 0, "%s",
	    err);
	n = tls_read(t, b, sizeof(b), 5000, err, sizeof(err));
	ATF_REQUIRE_MSG(n == 7, "read %zd: %s", n, err);
	ATF_CHECK(memcmp(b, "hello\r\n", 7) == 0);
}

ATF_TC_WITHOUT_HEAD(trusted);
ATF_TC_BODY(trusted, tc)
{
	struct tls_client_opts o;
	struct tls_info info;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX], fp[80], want[100];
	size_t i, k;

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "server.pem", "server-key.pem", PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	tls_info(t, &info);
	ATF_CHECK_MSG(
	    strncmp(info.protocol, "TLS1.", 5) == 0, "%s", info.protocol);
	ATF_CHECK(info.cipher[0] != '\0' && strcmp(info.cipher, "?") != 0);
	ATF_CHECK_MSG(
	    strstr(info.subject, "CN=localhost") != NULL, "%s", info.subject);
	ATF_CHECK_MSG(
	    strstr(info.issuer, "CN=yubin test CA") != NULL, "%s", info.issuer);
	ATF_CHECK_EQ(info.verified, 1);
	ATF_CHECK_MSG(
	    strstr(info.not_after, " UTC") != NULL, "%s", info.not_after);
	/* The fingerprint is the one certtool reports, as AB:CD:... */
	ATF_REQUIRE_MSG(certs_fingerprint(dir, "server.pem", fp, sizeof(fp),
			    err, sizeof(err)) == 0,
	    "%s", err);
	for (i = 0, k = 0; fp[i] != '\0'; i += 2) {
		if (i > 0)
			want[k++] = ':';
		want[k++] = (char)(fp[i] >= 'a' ? fp[i] - 'a' + 'A' : fp[i]);
		want[k++] = (char)(fp[i + 1] >= 'a' ? fp[i + 1] - 'a' + 'A'
						    : fp[i + 1]);
	}
	want[k] = '\0';
	ATF_CHECK_STREQ(info.fingerprint, want);
	echo_check(t);
	tls_close(t);
	ATF_CHECK_EQ(peer_stop(&p, 0), 0);
}

/* The address literal is checked against the certificate's IP SANs. */
ATF_TC_WITHOUT_HEAD(trusted_ip);
ATF_TC_BODY(trusted_ip, tc)
{
	struct tls_client_opts o;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX];

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "server.pem", "server-key.pem", PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = "127.0.0.1";
	o.trust_file = ca;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	echo_check(t);
	tls_close(t);
	ATF_CHECK_EQ(peer_stop(&p, 0), 0);
}

static void
expect_fail(const char *cert, const char *key, const char *host,
    const char *trust, const char *pin, const char *want1, const char *want2)
{
	struct tls_client_opts o;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX];

	setup();
	path(trust, ca, sizeof(ca));
	peer_start(&p, cert, key, PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = host;
	o.trust_file = ca;
	o.fingerprint = pin;
	err[0] = '\0';
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t == NULL, "handshake should have failed");
	ATF_CHECK_MSG(strstr(err, want1) != NULL, "error: %s", err);
	if (want2 != NULL)
		ATF_CHECK_MSG(strstr(err, want2) != NULL, "error: %s", err);
	ATF_CHECK(strchr(err, '\n') == NULL);
	/* The server saw the handshake fail too. */
	ATF_CHECK(peer_stop(&p, 0) != 0);
}

ATF_TC_WITHOUT_HEAD(untrusted);
ATF_TC_BODY(untrusted, tc)
{
	expect_fail("other.pem", "other-key.pem", "localhost", "ca.pem", NULL,
	    "certificate signed by unknown authority", "localhost");
}

ATF_TC_WITHOUT_HEAD(wrong_name);
ATF_TC_BODY(wrong_name, tc)
{
	expect_fail("server.pem", "server-key.pem", "mail.example.org",
	    "ca.pem", NULL, "name mismatch: certificate is for localhost",
	    "mail.example.org");
}

ATF_TC_WITHOUT_HEAD(expired);
ATF_TC_BODY(expired, tc)
{
	expect_fail("expired.pem", "server-key.pem", "localhost", "ca.pem",
	    NULL, "expired", "2020-02-01");
}

ATF_TC_WITHOUT_HEAD(pin_ok);
ATF_TC_BODY(pin_ok, tc)
{
	struct tls_client_opts o;
	struct tls_info info;
	struct peer p;
	struct tls *t;
	char err[ERR_MAX], fp[80];

	setup();
	/* The self-signed certificate no CA vouches for: the pin is enough. */
	ATF_REQUIRE_MSG(certs_fingerprint(dir, "other.pem", fp, sizeof(fp), err,
			    sizeof(err)) == 0,
	    "%s", err);
	peer_start(&p, "other.pem", "other-key.pem", PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.fingerprint = fp;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	tls_info(t, &info);
	ATF_CHECK_EQ(info.verified, 1);
	echo_check(t);
	tls_close(t);
	ATF_CHECK_EQ(peer_stop(&p, 0), 0);
}

ATF_TC_WITHOUT_HEAD(pin_wrong);
ATF_TC_BODY(pin_wrong, tc)
{
	char err[ERR_MAX], fp[80];

	/* Pin the CA-signed cert; the peer shows the other one. */
	setup();
	ATF_REQUIRE_MSG(certs_fingerprint(dir, "server.pem", fp, sizeof(fp),
			    err, sizeof(err)) == 0,
	    "%s", err);
	expect_fail("other.pem", "other-key.pem", "localhost", "ca.pem", fp,
	    "fingerprint mismatch", NULL);
}

ATF_TC_WITHOUT_HEAD(pin_malformed);
ATF_TC_BODY(pin_malformed, tc)
{
	struct tls_client_opts o;
	char err[ERR_MAX];

	memset(&o, 0, sizeof(o));
	o.fingerprint = "AB:CD:zz";
	ATF_CHECK(tls_client(-1, -1, &o, 100, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "SHA-256") != NULL, "%s", err);
}

ATF_TC_WITHOUT_HEAD(no_verify);
ATF_TC_BODY(no_verify, tc)
{
	struct tls_client_opts o;
	struct tls_info info;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX];

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "other.pem", "other-key.pem", PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	o.no_verify = 1;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	tls_info(t, &info);
	ATF_CHECK_EQ(info.verified, 0);
	ATF_CHECK_MSG(strstr(info.verify_msg, "unknown authority") != NULL,
	    "%s", info.verify_msg);
	ATF_CHECK_MSG(
	    strstr(info.subject, "someone else") != NULL, "%s", info.subject);
	echo_check(t);
	tls_close(t);
	ATF_CHECK_EQ(peer_stop(&p, 0), 0);
}

/* no_verify against a good certificate reports it as verified. */
ATF_TC_WITHOUT_HEAD(no_verify_good);
ATF_TC_BODY(no_verify_good, tc)
{
	struct tls_client_opts o;
	struct tls_info info;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX];

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "server.pem", "server-key.pem", PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	o.no_verify = 1;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	tls_info(t, &info);
	ATF_CHECK_EQ(info.verified, 1);
	tls_close(t);
	ATF_CHECK_EQ(peer_stop(&p, 0), 0);
}

ATF_TC_WITHOUT_HEAD(handshake_timeout);
ATF_TC_BODY(handshake_timeout, tc)
{
	struct tls_client_opts o;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX];
	int64_t t0, dt;

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "server.pem", "server-key.pem", PEER_SILENT);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	t0 = util_now_ms();
	t = tls_client(p.fd, p.fd, &o, 300, err, sizeof(err));
	dt = util_now_ms() - t0;
	ATF_REQUIRE(t == NULL);
	ATF_CHECK_MSG(strstr(err, "timed out") != NULL, "%s", err);
	ATF_CHECK_MSG(dt >= 250 && dt < 3000, "took %lld ms", (long long)dt);
	(void)peer_stop(&p, 1);
}

ATF_TC_WITHOUT_HEAD(read_timeout);
ATF_TC_BODY(read_timeout, tc)
{
	struct tls_client_opts o;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX], b[16];
	int64_t t0, dt;

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "server.pem", "server-key.pem", PEER_MUTE);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	t0 = util_now_ms();
	ATF_CHECK_EQ(tls_read(t, b, sizeof(b), 300, err, sizeof(err)), -1);
	dt = util_now_ms() - t0;
	ATF_CHECK_MSG(strstr(err, "timed out") != NULL, "%s", err);
	ATF_CHECK_MSG(dt >= 250 && dt < 3000, "took %lld ms", (long long)dt);
	tls_close(t);
	(void)peer_stop(&p, 1);
}

/* A peer that stops reading: the write gives up in time, no SIGPIPE. */
ATF_TC_WITHOUT_HEAD(write_timeout);
ATF_TC_BODY(write_timeout, tc)
{
	enum { BIG = 32 * 1024 * 1024 };
	struct tls_client_opts o;
	struct peer p;
	struct tls *t;
	char ca[PATH_MAX], err[ERR_MAX], *b;
	int64_t t0, dt;

	setup();
	path("ca.pem", ca, sizeof(ca));
	peer_start(&p, "server.pem", "server-key.pem", PEER_MUTE);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	ATF_REQUIRE((b = calloc(1, BIG)) != NULL);
	t0 = util_now_ms();
	ATF_CHECK_EQ(tls_write(t, b, BIG, 300, err, sizeof(err)), -1);
	dt = util_now_ms() - t0;
	ATF_CHECK_MSG(strstr(err, "timed out") != NULL, "%s", err);
	ATF_CHECK_MSG(dt >= 250 && dt < 5000, "took %lld ms", (long long)dt);
	free(b);
	tls_close(t);
	(void)peer_stop(&p, 1);
}

ATF_TC_WITHOUT_HEAD(server_bad_files);
ATF_TC_BODY(server_bad_files, tc)
{
	char err[ERR_MAX], cert[PATH_MAX], key[PATH_MAX];

	ATF_CHECK(tls_server_new("/nonexistent/cert.pem", "/nonexistent/k", err,
		      sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "/nonexistent/cert.pem") != NULL &&
		strstr(err, "No such file") != NULL,
	    "%s", err);
	/* A key that does not belong to the certificate. */
	setup();
	path("server.pem", cert, sizeof(cert));
	path("other-key.pem", key, sizeof(key));
	ATF_CHECK(tls_server_new(cert, key, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(strstr(err, "server.pem") != NULL, "%s", err);
}

ATF_TC_WITHOUT_HEAD(client_bad_trust);
ATF_TC_BODY(client_bad_trust, tc)
{
	struct tls_client_opts o;
	char err[ERR_MAX];

	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = "/nonexistent/ca.pem";
	ATF_CHECK(tls_client(-1, -1, &o, 100, err, sizeof(err)) == NULL);
	ATF_CHECK_MSG(
	    strstr(err, "trust file /nonexistent/ca.pem: No such") != NULL,
	    "%s", err);
}

/*
 * TLS over two pipes (inetd under test, a fuzz harness): GnuTLS's own
 * pull is recv(2), which fails with ENOTSOCK on a pipe.
 */
ATF_TC_WITHOUT_HEAD(over_pipes);
ATF_TC_BODY(over_pipes, tc)
{
	struct tls_client_opts o;
	struct tls_server *srv;
	struct tls *t;
	char ca[PATH_MAX], cpath[PATH_MAX], kpath[PATH_MAX], err[ERR_MAX];
	char b[4096];
	int up[2], down[2], status;
	ssize_t n;
	pid_t pid;

	setup();
	path("ca.pem", ca, sizeof(ca));
	path("server.pem", cpath, sizeof(cpath));
	path("server-key.pem", kpath, sizeof(kpath));
	ATF_REQUIRE(pipe(up) == 0 && pipe(down) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		/* Server: reads up[0], writes down[1]; echoes until EOF. */
		(void)close(up[1]);
		(void)close(down[0]);
		if ((srv = tls_server_new(cpath, kpath, err, sizeof(err))) ==
		    NULL)
			_exit(2);
		if ((t = tls_server(up[0], down[1], srv, 5000, err,
			 sizeof(err))) == NULL) {
			(void)fprintf(stderr, "server: %s\n", err);
			_exit(1);
		}
		while (
		    (n = tls_read(t, b, sizeof(b), 5000, err, sizeof(err))) > 0)
			if (tls_write(
				t, b, (size_t)n, 5000, err, sizeof(err)) == -1)
				_exit(3);
		tls_close(t);
		tls_server_free(srv);
		_exit(n == 0 ? 0 : 4);
	}
	(void)close(up[0]);
	(void)close(down[1]);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	t = tls_client(down[0], up[1], &o, 5000, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "handshake over pipes: %s", err);
	echo_check(t);
	/* A record too big for one pipe buffer read goes through too. */
	memset(b, 'x', sizeof(b));
	ATF_REQUIRE_MSG(
	    tls_write(t, b, sizeof(b), 5000, err, sizeof(err)) == 0, "%s", err);
	for (n = 0; n < (ssize_t)sizeof(b);) {
		ssize_t r = tls_read(t, b, sizeof(b), 5000, err, sizeof(err));

		ATF_REQUIRE_MSG(r > 0, "read: %s", err);
		n += r;
	}
	ATF_CHECK_EQ(n, (ssize_t)sizeof(b));
	tls_close(t);
	(void)close(up[1]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "server status %d", status);
	(void)close(down[0]);
}

/* ------------------------------------------------------------ DANE */

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 2n hex digits into n bytes. */
static void
unhex(const char *h, unsigned char *out, size_t n)
{
	size_t i;

	ATF_REQUIRE(strlen(h) == 2 * n);
	for (i = 0; i < n; i++) {
		ATF_REQUIRE(
		    hexdigit(h[2 * i]) >= 0 && hexdigit(h[2 * i + 1]) >= 0);
		out[i] = (unsigned char)(hexdigit(h[2 * i]) << 4 |
		    hexdigit(h[2 * i + 1]));
	}
}

/*
 * TLSA data for a certificate file, computed by certtool (not by the
 * code under test): selector 0 is the certificate's SHA-256 fingerprint,
 * selector 1 certtool's "Public Key ID" SHA-256, the digest of the
 * SubjectPublicKeyInfo.
 */
static void
tlsa_of(const char *file, int usage, int selector, unsigned char *data,
    struct tls_tlsa *r)
{
	char err[ERR_MAX], fp[80], info[PATH_MAX], infofile[PATH_MAX];
	char line[512], *p;
	FILE *f;
	int inid = 0, found = 0;

	ATF_REQUIRE_MSG(
	    certs_fingerprint(dir, file, fp, sizeof(fp), err, sizeof(err)) == 0,
	    "%s", err);
	if (selector == 1) {
		(void)snprintf(infofile, sizeof(infofile), "%s.info", file);
		path(infofile, info, sizeof(info));
		ATF_REQUIRE((f = fopen(info, "r")) != NULL);
		while (!found && fgets(line, sizeof(line), f) != NULL) {
			if (strstr(line, "Public Key ID:") != NULL)
				inid = 1;
			else if (inid &&
			    (p = strstr(line, "sha256:")) != NULL) {
				p += strlen("sha256:");
				p[strcspn(p, " \t\r\n")] = '\0';
				(void)snprintf(fp, sizeof(fp), "%s", p);
				found = 1;
			}
		}
		(void)fclose(f);
		ATF_REQUIRE_MSG(found, "no Public Key ID in %s", info);
	}
	unhex(fp, data, 32);
	r->usage = usage;
	r->selector = selector;
	r->mtype = 1;
	r->data = data;
	r->len = 32;
}

/* server.pem followed by ca.pem: a server that sends its chain. */
static void
make_chain(const char *leaf, const char *out)
{
	char in[PATH_MAX], o[PATH_MAX], b[8192];
	const char *parts[2];
	size_t n;
	FILE *f, *g;
	int i;

	parts[0] = leaf;
	parts[1] = "ca.pem";
	path(out, o, sizeof(o));
	ATF_REQUIRE((g = fopen(o, "w")) != NULL);
	for (i = 0; i < 2; i++) {
		path(parts[i], in, sizeof(in));
		ATF_REQUIRE((f = fopen(in, "r")) != NULL);
		while ((n = fread(b, 1, sizeof(b), f)) > 0)
			ATF_REQUIRE(fwrite(b, 1, n, g) == n);
		(void)fclose(f);
	}
	ATF_REQUIRE(fclose(g) == 0);
}

/*
 * Connect to a peer showing cert (with key) with the TLSA records r, the
 * host name host and the extra names.  want NULL: must succeed by DANE;
 * else must fail on the certificate with want in the message.
 */
static void
dane_case(const char *cert, const char *key, const struct tls_tlsa *r, int nr,
    const char *host, const char *const *names, const char *want)
{
	struct tls_client_opts o;
	struct tls_info info;
	struct peer p;
	struct tls *t;
	char err[ERR_MAX];
	int fail = -1;

	peer_start(&p, cert, key, PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = host;
	o.tlsa = r;
	o.ntlsa = nr;
	o.dane_names = names;
	o.fail = &fail;
	err[0] = '\0';
	t = connect_with(&p, &o, err, sizeof(err));
	if (want == NULL) {
		ATF_REQUIRE_MSG(t != NULL, "%s", err);
		tls_info(t, &info);
		ATF_CHECK_EQ(info.verified, 1);
		ATF_CHECK_EQ(info.dane, 1);
		ATF_CHECK_MSG(strstr(info.verify_msg, "DANE-") != NULL, "%s",
		    info.verify_msg);
		echo_check(t);
		tls_close(t);
		ATF_CHECK_EQ(peer_stop(&p, 0), 0);
		return;
	}
	ATF_REQUIRE_MSG(t == NULL, "handshake should have failed");
	ATF_CHECK_EQ(fail, TLS_FAIL_CERT);
	ATF_CHECK_MSG(strstr(err, want) != NULL, "error: %s", err);
	ATF_CHECK_MSG(strstr(err, host) != NULL, "error: %s", err);
	ATF_CHECK(strchr(err, '\n') == NULL);
	(void)peer_stop(&p, 0);
}

ATF_TC_WITHOUT_HEAD(tlsa_usable);
ATF_TC_BODY(tlsa_usable, tc)
{
	static const unsigned char d64[64];
	static const struct {
		int usage, selector, mtype;
		size_t len;
		int usable;
	} cases[] = {
	    {3, 1, 1, 32, 1}, {3, 0, 1, 32, 1}, {2, 1, 1, 32, 1},
	    {2, 0, 2, 64, 1}, {3, 1, 0, 40, 1}, /* exact: any length */
	    {0, 1, 1, 32, 0}, /* PKIX-TA: RFC 7672 §3.1.3 */
	    {1, 1, 1, 32, 0}, /* PKIX-EE */
	    {4, 1, 1, 32, 0}, /* unknown usage */
	    {3, 2, 1, 32, 0}, /* unknown selector */
	    {3, 1, 3, 32, 0}, /* unknown matching type */
	    {3, 1, 1, 31, 0}, /* SHA-256 of the wrong length */
	    {3, 1, 2, 32, 0}, /* SHA-512 of the wrong length */
	    {3, 1, 0, 0, 0}, /* no data */
	};
	struct tls_tlsa r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.usage = cases[i].usage;
		r.selector = cases[i].selector;
		r.mtype = cases[i].mtype;
		r.data = d64;
		r.len = cases[i].len;
		ATF_CHECK_EQ_MSG(tls_tlsa_usable(&r), cases[i].usable,
		    "case %zu: %d %d %d len %zu", i, r.usage, r.selector,
		    r.mtype, r.len);
	}
}

/* DANE-EE: a self-signed certificate no CA vouches for, any name. */
ATF_TC_WITHOUT_HEAD(dane_ee);
ATF_TC_BODY(dane_ee, tc)
{
	unsigned char d[2][32];
	struct tls_tlsa r[2];

	setup();
	tlsa_of("other.pem", 3, 1, d[0], &r[0]);
	dane_case(
	    "other.pem", "other-key.pem", r, 1, "mx.example.net", NULL, NULL);
	tlsa_of("other.pem", 3, 0, d[0], &r[0]);
	dane_case(
	    "other.pem", "other-key.pem", r, 1, "mx.example.net", NULL, NULL);
	/* §3.1.1: dates are ignored too; the key is the one that counts. */
	tlsa_of("expired.pem", 3, 1, d[0], &r[0]);
	dane_case(
	    "expired.pem", "server-key.pem", r, 1, "localhost", NULL, NULL);
	/* Any one matching record is enough (rollover: old and new key). */
	tlsa_of("server.pem", 3, 0, d[0], &r[0]);
	tlsa_of("other.pem", 3, 1, d[1], &r[1]);
	dane_case(
	    "other.pem", "other-key.pem", r, 2, "mx.example.net", NULL, NULL);
}

ATF_TC_WITHOUT_HEAD(dane_ee_mismatch);
ATF_TC_BODY(dane_ee_mismatch, tc)
{
	unsigned char d[32];
	struct tls_tlsa r;
	char want[100];

	setup();
	tlsa_of("server.pem", 3, 1, d, &r);
	(void)snprintf(want, sizeof(want),
	    "certificate does not match its TLSA records (3 1 1 "
	    "%02x%02x%02x%02x",
	    d[0], d[1], d[2], d[3]);
	dane_case(
	    "other.pem", "other-key.pem", &r, 1, "mx.example.net", NULL, want);
}

/* DANE-TA: the CA the server sends; the name is checked. */
ATF_TC_WITHOUT_HEAD(dane_ta);
ATF_TC_BODY(dane_ta, tc)
{
	static const char *const names[] = {"localhost", NULL};
	unsigned char d[32];
	struct tls_tlsa r;

	setup();
	make_chain("server.pem", "chain.pem");
	tlsa_of("ca.pem", 2, 1, d, &r);
	dane_case(
	    "chain.pem", "server-key.pem", &r, 1, "localhost", NULL, NULL);
	tlsa_of("ca.pem", 2, 0, d, &r);
	dane_case(
	    "chain.pem", "server-key.pem", &r, 1, "localhost", NULL, NULL);
	/* §3.2.2: the next-hop domain is a reference identifier too. */
	dane_case("chain.pem", "server-key.pem", &r, 1, "mx.example.net", names,
	    NULL);
}

ATF_TC_WITHOUT_HEAD(dane_ta_fail);
ATF_TC_BODY(dane_ta_fail, tc)
{
	static const char *const names[] = {"example.net", NULL};
	unsigned char d[2][32];
	struct tls_tlsa r[2];

	setup();
	make_chain("server.pem", "chain.pem");
	make_chain("expired.pem", "chain-expired.pem");
	tlsa_of("ca.pem", 2, 1, d[0], &r[0]);
	/* The chain verifies, but not for this host. */
	dane_case("chain.pem", "server-key.pem", r, 1, "mx.example.net", names,
	    "but is for localhost, 127.0.0.1, ::1, not mx.example.net or "
	    "example.net");
	/* The chain to the anchor has an expired certificate. */
	dane_case("chain-expired.pem", "server-key.pem", r, 1, "localhost",
	    NULL, "does not verify: expired");
	/* The anchor is not sent (RFC 7672 §3.1.2 says it must be). */
	dane_case("server.pem", "server-key.pem", r, 1, "localhost", NULL,
	    "certificate does not match its TLSA records (2 1 1 ");
	/* A self-signed certificate is no chain to another CA. */
	dane_case("other.pem", "other-key.pem", r, 1, "localhost", NULL,
	    "does not match its TLSA records");
	/* DANE-TA on the end entity's own key is not DANE-EE. */
	tlsa_of("other.pem", 2, 1, d[1], &r[1]);
	dane_case("other.pem", "other-key.pem", &r[1], 1, "localhost", NULL,
	    "does not match its TLSA records");
}

/*
 * PKIX-TA/PKIX-EE records only: not DANE (RFC 7672 §3.1.3), so the
 * other options rule: here the trust file, which the peer fails.
 */
ATF_TC_WITHOUT_HEAD(dane_unusable);
ATF_TC_BODY(dane_unusable, tc)
{
	struct tls_client_opts o;
	struct tls_info info;
	struct peer p;
	struct tls *t;
	unsigned char d[2][32];
	struct tls_tlsa r[2];
	char ca[PATH_MAX], err[ERR_MAX];

	setup();
	path("ca.pem", ca, sizeof(ca));
	tlsa_of("other.pem", 1, 1, d[0], &r[0]);
	tlsa_of("other.pem", 0, 0, d[1], &r[1]);
	peer_start(&p, "other.pem", "other-key.pem", PEER_ECHO);
	memset(&o, 0, sizeof(o));
	o.hostname = "localhost";
	o.trust_file = ca;
	o.tlsa = r;
	o.ntlsa = 2;
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t == NULL, "PKIX-EE should not have been used");
	ATF_CHECK_MSG(strstr(err, "unknown authority") != NULL, "%s", err);
	(void)peer_stop(&p, 0);

	/* And the CA-signed peer passes by the trust file, not by DANE. */
	peer_start(&p, "server.pem", "server-key.pem", PEER_ECHO);
	t = connect_with(&p, &o, err, sizeof(err));
	ATF_REQUIRE_MSG(t != NULL, "%s", err);
	tls_info(t, &info);
	ATF_CHECK_EQ(info.verified, 1);
	ATF_CHECK_EQ(info.dane, 0);
	echo_check(t);
	tls_close(t);
	ATF_CHECK_EQ(peer_stop(&p, 0), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, trusted);
	ATF_TP_ADD_TC(tp, trusted_ip);
	ATF_TP_ADD_TC(tp, untrusted);
	ATF_TP_ADD_TC(tp, wrong_name);
	ATF_TP_ADD_TC(tp, expired);
	ATF_TP_ADD_TC(tp, pin_ok);
	ATF_TP_ADD_TC(tp, pin_wrong);
	ATF_TP_ADD_TC(tp, pin_malformed);
	ATF_TP_ADD_TC(tp, no_verify);
	ATF_TP_ADD_TC(tp, no_verify_good);
	ATF_TP_ADD_TC(tp, handshake_timeout);
	ATF_TP_ADD_TC(tp, read_timeout);
	ATF_TP_ADD_TC(tp, write_timeout);
	ATF_TP_ADD_TC(tp, server_bad_files);
	ATF_TP_ADD_TC(tp, client_bad_trust);
	ATF_TP_ADD_TC(tp, over_pipes);
	ATF_TP_ADD_TC(tp, tlsa_usable);
	ATF_TP_ADD_TC(tp, dane_ee);
	ATF_TP_ADD_TC(tp, dane_ee_mismatch);
	ATF_TP_ADD_TC(tp, dane_ta);
	ATF_TP_ADD_TC(tp, dane_ta_fail);
	ATF_TP_ADD_TC(tp, dane_unusable);
	return atf_no_error();
}
