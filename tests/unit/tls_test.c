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
	return atf_no_error();
}
