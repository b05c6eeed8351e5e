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

/*
 * One TLSA record for DANE (RFC 6698 §2.1), as dns_tlsa_lookup gives
 * it; data points into the caller's storage.
 */
struct tls_tlsa {
	/* 2 DANE-TA, 3 DANE-EE; 0 PKIX-TA and 1 PKIX-EE are unusable for
	   SMTP (RFC 7672 §3.1.3) */
	int			 usage;
	int			 selector;	/* 0 certificate, 1 SPKI */
	int			 mtype;		/* 0 exact, 1 SHA-256,
						   2 SHA-512 */
	const unsigned char	*data;
	size_t			 len;
};

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
	/*
	 * DANE (RFC 7672 §3): TLSA records of the host, to be given only
	 * when the lookup was DNSSEC-validated (DNS_TLSA_FOUND).  With at
	 * least one usable record they are the only check: DANE-EE(3)
	 * matches the server's own certificate or key whatever its names
	 * and dates; DANE-TA(2) a certificate of the chain the server sent,
	 * which must then verify up to it and be for hostname or one of
	 * dane_names.  trust_file, fingerprint and no_verify are ignored.
	 * With none usable, as if not given (RFC 7672 §2.2: the caller
	 * must still insist on TLS).
	 */
	const struct tls_tlsa *tlsa;
	int		 ntlsa;
	/* More reference identifiers for DANE-TA (RFC 7672 §3.2.2): the
	   next-hop domain, the TLSA base domain after CNAMEs.  NULL, or a
	   NULL-terminated list. */
	const char *const *dane_names;
};

/* Is the record usable for SMTP DANE (RFC 7672 §3.1): DANE-TA or DANE-EE,
   a known selector and matching type, data of the digest's length? */
int	tls_tlsa_usable(const struct tls_tlsa *r);

/* What a failed client handshake was about, for the caller's class. */
enum tls_fail {
	TLS_FAIL_HANDSHAKE = 0,	/* the link or the peer: may pass */
	TLS_FAIL_CERT,		/* the peer's certificate: not trusted,
				   wrong name, pin or TLSA mismatch */
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
	int	verified;		/* 1 trusted and name matches (or pin,
					   or TLSA records) */
	int	dane;			/* 1 verified by TLSA records */
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
