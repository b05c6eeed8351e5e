/*
 * tls.h: the one wrapper over GnuTLS for both sides.  Nothing outside
 * tls.c includes gnutls headers (except for base64/hash/IDNA utilities).
 *
 * A session runs over a read fd and a write fd (the same socket, or fd
 * 0/1 under inetd).  Reads and writes are blocking but bounded: the
 * caller gives a timeout; tls_pending() tells whether decrypted bytes
 * wait in GnuTLS so that poll(2) on the fd is not needed.
 */
#ifndef YUBIN_TLS_H
#define YUBIN_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls;		/* one session */
struct tls_server;	/* server credentials, shared by sessions */

struct tls_client_opts {
	const char	*hostname;	/* SNI and certificate name check */
	const char	*trust_file;	/* PEM CA file; NULL: system store */
	const char	*fingerprint;	/* SHA-256 of the cert, hex with or
					   without colons; when set it is the
					   only check (pinning) */
	const char	*cert_file;	/* client certificate (optional) */
	const char	*key_file;
	int		 no_verify;	/* accept any certificate (opportunistic
					   TLS); the result is still reported */
	const char	*priorities;	/* GnuTLS priority string; NULL default */
	int		*fail;		/* optional: when tls_client fails, it
					   gets an enum tls_fail */
};

/* What a failed client handshake was about, for the caller's class. */
enum tls_fail {
	TLS_FAIL_HANDSHAKE = 0,	/* the link or the peer: may pass */
	TLS_FAIL_CERT,		/* the peer's certificate: not trusted,
				   wrong name, pin mismatch */
	TLS_FAIL_SETUP		/* ours: trust file, client certificate,
				   priorities, memory */
};

struct tls_info {
	char	protocol[32];		/* "TLS1.3" */
	char	cipher[128];		/* "AES-256-GCM" (kx-cipher-mac name) */
	char	subject[256];		/* peer certificate DN, "" if none */
	char	issuer[256];
	char	fingerprint[3 * 32];	/* SHA-256, "AB:CD:..." */
	char	not_after[32];		/* "2027-01-01 00:00:00 UTC" */
	int	verified;		/* 1 trusted and name matches (or pin) */
	char	verify_msg[256];	/* why not, in words */
};

/* Server credentials from PEM files.  NULL with err set on failure. */
struct tls_server *tls_server_new(const char *cert_file, const char *key_file,
	    char *err, size_t errlen);
void	tls_server_free(struct tls_server *srv);

/*
 * Handshakes.  The fds stay owned by the caller.  On failure: NULL, and
 * err says why ("certificate not trusted", "name mismatch: wanted X",
 * "handshake timed out", the GnuTLS error text).
 */
struct tls *tls_client(int rfd, int wfd, const struct tls_client_opts *o,
	    int timeout_ms, char *err, size_t errlen);
struct tls *tls_server(int rfd, int wfd, struct tls_server *srv,
	    int timeout_ms, char *err, size_t errlen);

/*
 * Read up to n bytes: >0 bytes, 0 clean close by the peer, -1 error
 * (err set; "timed out" when no byte came within timeout_ms).
 */
ssize_t	tls_read(struct tls *t, void *p, size_t n, int timeout_ms, char *err,
	    size_t errlen);
/* Write all n bytes or fail: 0 or -1 with err set. */
int	tls_write(struct tls *t, const void *p, size_t n, int timeout_ms,
	    char *err, size_t errlen);
/*
 * Optional: when a signal interrupts a wait inside tls_read or
 * tls_write and stop() returns non-zero, give up: -1 with errno EINTR
 * (a server's SIGTERM).  NULL (the default): resume the wait.
 */
void	tls_set_stop(struct tls *t, int (*stop)(void));
/* Decrypted bytes buffered inside the session. */
size_t	tls_pending(struct tls *t);
void	tls_info(struct tls *t, struct tls_info *info);
/* Send close_notify (best effort, bounded) and free the session. */
void	tls_close(struct tls *t);

#endif
