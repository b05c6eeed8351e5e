/*
 * tls.c: the one wrapper over GnuTLS (3.7) for both sides.
 *
 * gnutls_global_init() is implicit in modern GnuTLS (a library
 * constructor runs it), so nothing here keeps global state: credentials
 * and sessions live in structs the caller owns.
 *
 * Client verification has three modes:
 *   - default: the chain must verify against the trust file or the system
 *     store, and the certificate must be for the hostname (RFC 6125, done
 *     by GnuTLS through gnutls_session_set_verify_cert);
 *   - pin: the SHA-256 fingerprint of the end-entity certificate must be
 *     the given one; this replaces CA verification (like DANE-EE);
 *   - no_verify: anything is accepted, but the outcome of the default
 *     check is still recorded for tls_info (opportunistic TLS);
 *   - DANE (RFC 7672 §3): validated TLSA records replace all of the
 *     above.  Done with GnuTLS's own certificate functions, not
 *     libgnutls-dane: that library fetches its own records through
 *     libunbound (we have ours, and their DNSSEC status, from dns.c),
 *     would honour PKIX-TA/PKIX-EE, which SMTP must not (§3.1.3), and
 *     leaves the DANE-TA name check (§3.2) to the caller anyway.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "tls.h"
#include "util.h"

#define TLS_SHA256_LEN 32
#define TLS_SHA512_LEN 64
/* TLSA records named in a mismatch message, and their data bytes shown. */
#define TLS_TLSA_SHOW 3
#define TLS_TLSA_SHOW_BYTES 8
/* How long tls_close waits to send close_notify. */
#define TLS_BYE_TIMEOUT_MS 1000

struct tls_server {
	gnutls_certificate_credentials_t cred;
};

struct tls {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred; /* client: ours to free */
	int rfd, wfd;
	int rfd_plain; /* rfd is not a socket (a pipe): read(2) */
	int (*stop)(void); /* see tls_set_stop */
	int server;
	int broken; /* fatal error: no close_notify */
	int no_verify;
	int cert_failed; /* the handshake failed on the certificate */
	int has_pin;
	unsigned char pin[TLS_SHA256_LEN];
	char hostname[DNS_NAME_MAX + 1];
	/* DANE: the caller's records and names, during tls_client only. */
	const struct tls_tlsa *tlsa;
	int ntlsa;
	const char *const *dane_names;
	int dane;
	int verified;
	char verify_msg[256];
};

static void
gterr(char *err, size_t errlen, const char *what, int rc)
{
	util_seterr(err, errlen, "%s: %s", what, gnutls_strerror(rc));
}

/* Is the file there and readable?  Gives the errno text GnuTLS hides. */
static int
check_file(const char *what, const char *path, char *err, size_t errlen)
{
	if (access(path, R_OK) == -1) {
		util_seterr(
		    err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * poll(2) one fd; timeout_ms <= 0 waits without end.  A signal resumes
 * the wait unless stop says to give up (then -1 with errno EINTR).
 */
static int
wait_fd(int fd, short events, int timeout_ms, int (*stop)(void))
{
	struct pollfd pfd;
	int64_t deadline = util_now_ms() + timeout_ms;
	int rc, wait;

	for (;;) {
		wait = -1;
		if (timeout_ms > 0) {
			int64_t left = deadline - util_now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, wait);
		if (rc == -1 && errno == EINTR) {
			if (stop != NULL && stop()) {
				errno = EINTR;
				return -1;
			}
			continue;
		}
		return rc;
	}
}

/* "AB:CD:.." or "abcd..": 32 bytes.  0 or -1. */
static int
parse_fingerprint(const char *s, unsigned char *out)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0') {
		if (*s == ':') {
			s++;
			continue;
		}
		if ((hi = util_hexval((unsigned char)s[0])) == -1 ||
		    (lo = util_hexval((unsigned char)s[1])) == -1 ||
		    n == TLS_SHA256_LEN)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return n == TLS_SHA256_LEN ? 0 : -1;
}

static void
hex_colons(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (outlen == 0)
		return;
	for (i = 0; i < n; i++) {
		if (o + (i > 0) + 2 >= outlen)
			break;
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 15];
	}
	out[o] = '\0';
}

static int
is_ip_literal(const char *s)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, s, tmp) == 1 ||
	    inet_pton(AF_INET6, s, tmp) == 1;
}

/* The peer's end-entity certificate, or -1. */
static int
peer_cert(gnutls_session_t s, gnutls_x509_crt_t *crt)
{
	const gnutls_datum_t *list;
	unsigned int n = 0;

	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
		return -1;
	if ((list = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return -1;
	if (gnutls_x509_crt_init(crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(*crt, &list[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*crt);
		return -1;
	}
	return 0;
}

static int
cert_sha256(gnutls_x509_crt_t crt, unsigned char *md)
{
	size_t len = TLS_SHA256_LEN;

	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &len) <
		0 ||
	    len != TLS_SHA256_LEN)
		return -1;
	return 0;
}

/* The names a certificate is for: its DNS and IP SANs, else its CN. */
static void
cert_names(gnutls_x509_crt_t crt, char *out, size_t outlen)
{
	char name[256], ip[64];
	size_t len;
	unsigned int critical, i;
	int type, n = 0;

	out[0] = '\0';
	for (i = 0; n < 4; i++) {
		len = sizeof(name) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(
		    crt, i, name, &len, &critical);
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			name[len < sizeof(name) ? len : sizeof(name) - 1] =
			    '\0';
		} else if (type == GNUTLS_SAN_IPADDRESS &&
		    (len == 4 || len == 16)) {
			if (inet_ntop(len == 4 ? AF_INET : AF_INET6, name, ip,
				sizeof(ip)) == NULL)
				continue;
			util_strlcpy(name, ip, sizeof(name));
		} else
			continue;
		if (n++ > 0)
			util_strlcat(out, ", ", outlen);
		util_strlcat(out, name, outlen);
	}
	if (n == 0) {
		len = sizeof(name);
		if (gnutls_x509_crt_get_dn_by_oid(crt,
			GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &len) == 0)
			util_strlcpy(out, name, outlen);
		else
			util_strlcpy(out, "no name", outlen);
	}
}

static void
fmt_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		util_strlcpy(out, "?", outlen);
}

/* A verification status in words a person can act on. */
static void
status_words(gnutls_session_t s, unsigned int status, char *out, size_t outlen)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	char tmp[256];
	int have = peer_cert(s, &crt) == 0;

	out[0] = '\0';
#define ADD(str) \
	do { \
		if (out[0] != '\0') \
			util_strlcat(out, "; ", outlen); \
		util_strlcat(out, (str), outlen); \
	} while (0)
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		ADD("certificate signed by unknown authority");
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		ADD("certificate issuer is not a CA");
	if (status & GNUTLS_CERT_REVOKED)
		ADD("certificate revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		ADD("certificate uses an insecure algorithm");
	if (status & GNUTLS_CERT_EXPIRED) {
		if (have) {
			char when[32];

			fmt_time(gnutls_x509_crt_get_expiration_time(crt), when,
			    sizeof(when));
			(void)snprintf(tmp, sizeof(tmp),
			    "expired: not valid after %s", when);
			ADD(tmp);
		} else
			ADD("expired");
	}
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		ADD("certificate not yet valid");
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		char names[200];

		if (have)
			cert_names(crt, names, sizeof(names));
		else
			util_strlcpy(names, "another name", sizeof(names));
		(void)snprintf(tmp, sizeof(tmp),
		    "name mismatch: certificate is for %s", names);
		ADD(tmp);
	}
	if (out[0] == '\0' && status != 0) {
		if (gnutls_certificate_verification_status_print(
			status, GNUTLS_CRT_X509, &d, 0) == 0) {
			ADD((const char *)d.data);
			gnutls_free(d.data);
		} else
			ADD("certificate not trusted");
	}
#undef ADD
	if (have)
		gnutls_x509_crt_deinit(crt);
}

/* ------------------------------------------------------------ DANE */

int
tls_tlsa_usable(const struct tls_tlsa *r)
{
	/* RFC 7672 §3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable. */
	if (r->usage != 2 && r->usage != 3)
		return 0;
	if (r->selector != 0 && r->selector != 1)
		return 0;
	if (r->data == NULL || r->len == 0)
		return 0;
	switch (r->mtype) {
	case 0: return 1;
	case 1: return r->len == TLS_SHA256_LEN;
	case 2: return r->len == TLS_SHA512_LEN;
	}
	return 0;
}

/*
 * Does the certificate (DER) match the record (RFC 6698 §2.1.2-2.1.3)?
 * 1 yes, 0 no.  A certificate we cannot take apart matches nothing.
 */
static int
tlsa_match(const gnutls_datum_t *der, const struct tls_tlsa *r)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pk = NULL;
	gnutls_datum_t spki = {NULL, 0};
	const gnutls_datum_t *d = der;
	unsigned char md[TLS_SHA512_LEN];
	int m = 0;

	if (r->selector == 1) {
		if (gnutls_x509_crt_init(&crt) < 0)
			return 0;
		if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_pubkey_init(&pk) < 0 ||
		    gnutls_pubkey_import_x509(pk, crt, 0) < 0 ||
		    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki) < 0)
			goto out;
		d = &spki;
	}
	switch (r->mtype) {
	case 0:
		m = d->size == r->len && memcmp(d->data, r->data, r->len) == 0;
		break;
	case 1:
		m = r->len == TLS_SHA256_LEN &&
		    gnutls_hash_fast(GNUTLS_DIG_SHA256, d->data, d->size, md) ==
			0 &&
		    memcmp(md, r->data, TLS_SHA256_LEN) == 0;
		break;
	case 2:
		m = r->len == TLS_SHA512_LEN &&
		    gnutls_hash_fast(GNUTLS_DIG_SHA512, d->data, d->size, md) ==
			0 &&
		    memcmp(md, r->data, TLS_SHA512_LEN) == 0;
		break;
	}
out:
	gnutls_free(spki.data);
	if (pk != NULL)
		gnutls_pubkey_deinit(pk);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return m;
}

/* "3 1 1 0A1B2C3D4E5F6071..." */
static void
tlsa_words(const struct tls_tlsa *r, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char data[2 * TLS_TLSA_SHOW_BYTES + 4];
	size_t i, o = 0;

	for (i = 0; i < r->len && i < TLS_TLSA_SHOW_BYTES; i++) {
		data[o++] = hex[r->data[i] >> 4];
		data[o++] = hex[r->data[i] & 15];
	}
	if (r->len > TLS_TLSA_SHOW_BYTES) {
		memcpy(data + o, "...", 3);
		o += 3;
	}
	data[o] = '\0';
	(void)snprintf(
	    out, outlen, "%d %d %d %s", r->usage, r->selector, r->mtype, data);
}

/* The usable records, listed for a message: "3 1 1 ab..., 2 1 1 cd...". */
static void
tlsa_list(const struct tls *t, char *out, size_t outlen)
{
	char one[64];
	int i, n = 0;

	out[0] = '\0';
	for (i = 0; i < t->ntlsa; i++) {
		if (!tls_tlsa_usable(&t->tlsa[i]))
			continue;
		if (n++ == TLS_TLSA_SHOW) {
			util_strlcat(out, ", ...", outlen);
			break;
		}
		tlsa_words(&t->tlsa[i], one, sizeof(one));
		if (n > 1)
			util_strlcat(out, ", ", outlen);
		util_strlcat(out, one, outlen);
	}
}

/*
 * RFC 7672 §3.2: a certificate verified through DANE-TA must be for the
 * MX host name or one of the other reference identifiers.  1 yes.
 */
static int
dane_name_ok(const struct tls *t, gnutls_x509_crt_t crt)
{
	int i;

	if (t->hostname[0] != '\0' &&
	    gnutls_x509_crt_check_hostname2(crt, t->hostname, 0) != 0)
		return 1;
	for (i = 0; t->dane_names != NULL && t->dane_names[i] != NULL; i++)
		if (t->dane_names[i][0] != '\0' &&
		    gnutls_x509_crt_check_hostname2(crt, t->dane_names[i], 0) !=
			0)
			return 1;
	return 0;
}

/*
 * DANE-TA: the chain list[0..ta] must verify with list[ta] as the one
 * trust anchor (dates checked, as for any CA-issued chain), and the end
 * entity must have one of our names.  0, or -1 with t->verify_msg set.
 */
static int
dane_ta_check(struct tls *t, gnutls_session_t s, const gnutls_datum_t *list,
    unsigned int ta, const struct tls_tlsa *r)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t chain[16], anchor = NULL;
	unsigned int n = 0, i, status = 0;
	char rec[64], why[200], names[200];
	int rc = -1;

	tlsa_words(r, rec, sizeof(rec));
	if (ta + 1 > sizeof(chain) / sizeof(chain[0])) {
		util_seterr(t->verify_msg, sizeof(t->verify_msg),
		    "certificate chain too long for TLSA %s", rec);
		return -1;
	}
	for (i = 0; i <= ta; i++) {
		if (gnutls_x509_crt_init(&chain[i]) < 0)
			goto out;
		n++;
		if (gnutls_x509_crt_import(
			chain[i], &list[i], GNUTLS_X509_FMT_DER) < 0)
			goto out;
	}
	if (gnutls_x509_crt_init(&anchor) < 0 ||
	    gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto out;
	if (gnutls_x509_crt_import(anchor, &list[ta], GNUTLS_X509_FMT_DER) < 0)
		goto out;
	/* The list owns the anchor from here on. */
	if (gnutls_x509_trust_list_add_cas(tl, &anchor, 1, 0) != 1)
		goto out;
	anchor = NULL;
	if (gnutls_x509_trust_list_verify_crt2(
		tl, chain, ta + 1, NULL, 0, 0, &status, NULL) < 0)
		goto out;
	if (status != 0) {
		status_words(s, status, why, sizeof(why));
		util_seterr(t->verify_msg, sizeof(t->verify_msg),
		    "chain to the TLSA %s trust anchor does not verify: %s",
		    rec, why);
		goto out;
	}
	if (!dane_name_ok(t, chain[0])) {
		cert_names(chain[0], names, sizeof(names));
		if (t->dane_names != NULL && t->dane_names[0] != NULL)
			util_seterr(t->verify_msg, sizeof(t->verify_msg),
			    "certificate chains to TLSA %s but is for %s, "
			    "not %s or %s",
			    rec, names, t->hostname, t->dane_names[0]);
		else
			util_seterr(t->verify_msg, sizeof(t->verify_msg),
			    "certificate chains to TLSA %s but is for %s, "
			    "not %s",
			    rec, names, t->hostname);
		goto out;
	}
	util_seterr(t->verify_msg, sizeof(t->verify_msg),
	    "DANE-TA: chain verifies to TLSA %s", rec);
	rc = 0;
out:
	if (rc == -1 && t->verify_msg[0] == '\0')
		util_seterr(t->verify_msg, sizeof(t->verify_msg),
		    "cannot check the certificate chain against TLSA %s", rec);
	if (anchor != NULL)
		gnutls_x509_crt_deinit(anchor);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(chain[i]);
	return rc;
}

/*
 * RFC 7672 §3.1: any one usable record that matches will do.  DANE-EE
 * matches the end-entity certificate, names and dates ignored (§3.1.1);
 * DANE-TA matches a certificate the server sent above it (§3.1.2:
 * servers must send the trust anchor), then dane_ta_check.  0 or -1.
 */
static int
dane_check(struct tls *t, gnutls_session_t s)
{
	const gnutls_datum_t *list;
	unsigned int n = 0, i;
	char rec[64], all[256], why[sizeof(t->verify_msg)];
	int k;

	why[0] = '\0';
	t->verified = 0;
	t->verify_msg[0] = '\0';
	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509 ||
	    (list = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0) {
		util_strlcpy(t->verify_msg, "no certificate to match TLSA",
		    sizeof(t->verify_msg));
		return -1;
	}
	for (k = 0; k < t->ntlsa; k++) {
		if (!tls_tlsa_usable(&t->tlsa[k]) || t->tlsa[k].usage != 3 ||
		    !tlsa_match(&list[0], &t->tlsa[k]))
			continue;
		tlsa_words(&t->tlsa[k], rec, sizeof(rec));
		util_seterr(t->verify_msg, sizeof(t->verify_msg),
		    "DANE-EE: certificate matches TLSA %s", rec);
		t->verified = 1;
		return 0;
	}
	for (k = 0; k < t->ntlsa; k++) {
		if (!tls_tlsa_usable(&t->tlsa[k]) || t->tlsa[k].usage != 2)
			continue;
		for (i = 1; i < n; i++) {
			if (!tlsa_match(&list[i], &t->tlsa[k]))
				continue;
			if (dane_ta_check(t, s, list, i, &t->tlsa[k]) == 0) {
				t->verified = 1;
				return 0;
			}
			/* Keep the first reason; another record may match. */
			if (why[0] == '\0')
				util_strlcpy(why, t->verify_msg, sizeof(why));
			t->verify_msg[0] = '\0';
			break;
		}
	}
	if (why[0] != '\0') {
		util_strlcpy(t->verify_msg, why, sizeof(t->verify_msg));
		return -1;
	}
	tlsa_list(t, all, sizeof(all));
	util_seterr(t->verify_msg, sizeof(t->verify_msg),
	    "certificate does not match its TLSA records (%s)", all);
	return -1;
}

/*
 * Pin and no_verify modes: GnuTLS calls this during the handshake once
 * the peer's certificate is in.  Non-zero aborts the handshake.
 */
static int
verify_cb(gnutls_session_t s)
{
	struct tls *t = gnutls_session_get_ptr(s);
	gnutls_x509_crt_t crt;
	unsigned char md[TLS_SHA256_LEN];
	char fp[3 * TLS_SHA256_LEN];
	unsigned int status = 0;

	if (t->dane)
		return dane_check(t, s);
	if (t->has_pin) {
		t->verified = 0;
		if (peer_cert(s, &crt) == -1) {
			util_strlcpy(t->verify_msg, "no certificate to pin",
			    sizeof(t->verify_msg));
			return -1;
		}
		if (cert_sha256(crt, md) == -1) {
			gnutls_x509_crt_deinit(crt);
			util_strlcpy(t->verify_msg, "cannot hash certificate",
			    sizeof(t->verify_msg));
			return -1;
		}
		gnutls_x509_crt_deinit(crt);
		if (memcmp(md, t->pin, sizeof(md)) != 0) {
			hex_colons(md, sizeof(md), fp, sizeof(fp));
			util_seterr(t->verify_msg, sizeof(t->verify_msg),
			    "fingerprint mismatch: certificate is %s", fp);
			return -1;
		}
		t->verified = 1;
		util_strlcpy(t->verify_msg, "fingerprint matches the pin",
		    sizeof(t->verify_msg));
		return 0;
	}
	/* no_verify: judge as the default mode would, accept anyway. */
	if (gnutls_certificate_verify_peers3(
		s, t->hostname[0] ? t->hostname : NULL, &status) < 0) {
		t->verified = 0;
		util_strlcpy(t->verify_msg, "no certificate to verify",
		    sizeof(t->verify_msg));
	} else if (status != 0) {
		t->verified = 0;
		status_words(s, status, t->verify_msg, sizeof(t->verify_msg));
	} else {
		t->verified = 1;
		util_strlcpy(t->verify_msg, "ok", sizeof(t->verify_msg));
	}
	return 0;
}

static void
handshake_err(struct tls *t, int rc, int timeout_ms, char *err, size_t errlen)
{
	const char *who = t->hostname[0] ? t->hostname : "peer";

	switch (rc) {
	case GNUTLS_E_TIMEDOUT:
		util_seterr(err, errlen,
		    "TLS handshake with %s timed out "
		    "after %d ms",
		    who, timeout_ms);
		break;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		t->cert_failed = 1;
		status_words(t->s, gnutls_session_get_verify_cert_status(t->s),
		    t->verify_msg, sizeof(t->verify_msg));
		util_seterr(err, errlen,
		    "TLS certificate of %s not trusted: "
		    "%s",
		    who, t->verify_msg);
		break;
	case GNUTLS_E_CERTIFICATE_ERROR:
		t->cert_failed = 1;
		util_seterr(err, errlen,
		    "TLS certificate of %s not accepted: "
		    "%s",
		    who,
		    t->verify_msg[0] ? t->verify_msg : gnutls_strerror(rc));
		break;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		util_seterr(err, errlen,
		    "TLS handshake with %s: peer sent "
		    "alert: %s",
		    who, gnutls_alert_get_name(gnutls_alert_get(t->s)));
		break;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		util_seterr(err, errlen,
		    "TLS handshake with %s: connection "
		    "closed or failed (%s)",
		    who, gnutls_strerror(rc));
		break;
	default:
		util_seterr(err, errlen, "TLS handshake with %s: %s", who,
		    gnutls_strerror(rc));
		break;
	}
}

/*
 * The transport: the session's struct tls is GnuTLS's transport pointer.
 *
 * GnuTLS's own push blocks in send(2) until the whole record is out, so
 * a peer that stops reading would hang us past any timeout.  This one
 * never blocks on a socket (EAGAIN goes back to tls_write's poll and its
 * timeout) and never raises SIGPIPE.  A pipe (inetd under test, a pipe
 * pair) gets a plain write(2).
 */
static ssize_t
push_fd(gnutls_transport_ptr_t ptr, const void *p, size_t n)
{
	struct tls *t = ptr;
	ssize_t w;

	w = send(t->wfd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w == -1 && errno == ENOTSOCK)
		w = write(t->wfd, p, n);
	return w;
}

/* GnuTLS's own pull is recv(2), which fails on a pipe (ENOTSOCK). */
static ssize_t
pull_fd(gnutls_transport_ptr_t ptr, void *p, size_t n)
{
	struct tls *t = ptr;
	ssize_t r;

	if (!t->rfd_plain) {
		r = recv(t->rfd, p, n, 0);
		if (r != -1 || errno != ENOTSOCK)
			return r;
		t->rfd_plain = 1;
	}
	return read(t->rfd, p, n);
}

/*
 * A replaced pull needs its own "wait for input": 1 ready, 0 timed out,
 * -1 error.  ms 0 only looks; GNUTLS_INDEFINITE_TIMEOUT waits on.
 */
static int
pull_timeout_fd(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls *t = ptr;
	struct pollfd pfd;
	int64_t deadline = util_now_ms() + (ms > INT_MAX ? 0 : (int64_t)ms);
	int rc, wait;

	for (;;) {
		if (ms == GNUTLS_INDEFINITE_TIMEOUT || ms > INT_MAX)
			wait = -1;
		else {
			int64_t left = deadline - util_now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		pfd.fd = t->rfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, wait);
		if (rc == -1 && errno == EINTR &&
		    !(t->stop != NULL && t->stop()))
			continue;
		return rc > 0 ? 1 : rc;
	}
}

void
tls_set_stop(struct tls *t, int (*stop)(void))
{
	if (t != NULL)
		t->stop = stop;
}

/* Did a signal interrupt us, and does the owner want to give up? */
static int
stopped(const struct tls *t, ssize_t rc)
{
	return rc == GNUTLS_E_INTERRUPTED && t->stop != NULL && t->stop();
}

static int
handshake(struct tls *t, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = util_now_ms() + timeout_ms;
	int rc, left;

	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_push_function(t->s, push_fd);
	gnutls_transport_set_pull_function(t->s, pull_fd);
	gnutls_transport_set_pull_timeout_function(t->s, pull_timeout_fd);
	gnutls_handshake_set_timeout(
	    t->s, timeout_ms > 0 ? (unsigned int)timeout_ms : 0);
	for (;;) {
		rc = gnutls_handshake(t->s);
		if (rc >= 0 || gnutls_error_is_fatal(rc) != 0 || stopped(t, rc))
			break;
		if (rc != GNUTLS_E_AGAIN)
			continue;
		/* Our push found the socket full: wait until it drains. */
		left = -1;
		if (timeout_ms > 0) {
			int64_t l = deadline - util_now_ms();

			if (l <= 0) {
				rc = GNUTLS_E_TIMEDOUT;
				break;
			}
			left = (int)l;
		}
		if (gnutls_record_get_direction(t->s) == 1)
			(void)wait_fd(t->wfd, POLLOUT, left, t->stop);
		else
			(void)wait_fd(t->rfd, POLLIN, left, t->stop);
	}
	if (rc < 0) {
		t->broken = 1;
		handshake_err(t, rc, timeout_ms, err, errlen);
		return -1;
	}
	return 0;
}

static int
set_priorities(gnutls_session_t s, const char *prio, char *err, size_t errlen)
{
	const char *pos = NULL;
	int rc;

	if (prio == NULL)
		rc = gnutls_set_default_priority(s);
	else
		rc = gnutls_priority_set_direct(s, prio, &pos);
	if (rc < 0) {
		if (prio != NULL && pos != NULL)
			util_seterr(err, errlen,
			    "TLS priority string \"%s\": "
			    "%s at \"%s\"",
			    prio, gnutls_strerror(rc), pos);
		else
			gterr(err, errlen, "TLS priorities", rc);
		return -1;
	}
	return 0;
}

static void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->s != NULL)
		gnutls_deinit(t->s);
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	free(t);
}

static int
client_creds(
    struct tls *t, const struct tls_client_opts *o, char *err, size_t errlen)
{
	int rc;

	if ((rc = gnutls_certificate_allocate_credentials(&t->cred)) < 0) {
		gterr(err, errlen, "TLS credentials", rc);
		return -1;
	}
	if (o->trust_file != NULL) {
		if (check_file("trust file", o->trust_file, err, errlen) == -1)
			return -1;
		rc = gnutls_certificate_set_x509_trust_file(
		    t->cred, o->trust_file, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			util_seterr(err, errlen, "trust file %s: %s",
			    o->trust_file, gnutls_strerror(rc));
			return -1;
		}
		if (rc == 0) {
			util_seterr(err, errlen,
			    "trust file %s: no PEM "
			    "certificate in it",
			    o->trust_file);
			return -1;
		}
	} else if (!t->has_pin && !t->dane) {
		rc = gnutls_certificate_set_x509_system_trust(t->cred);
		if (rc < 0 && !t->no_verify) {
			util_seterr(err, errlen,
			    "system trust store: %s "
			    "(give a trust file instead)",
			    gnutls_strerror(rc));
			return -1;
		}
	}
	if (o->cert_file != NULL || o->key_file != NULL) {
		if (o->cert_file == NULL || o->key_file == NULL) {
			util_seterr(err, errlen,
			    "client certificate: give "
			    "both the certificate and the key file");
			return -1;
		}
		if (check_file("client certificate", o->cert_file, err,
			errlen) == -1 ||
		    check_file("client key", o->key_file, err, errlen) == -1)
			return -1;
		rc = gnutls_certificate_set_x509_key_file(
		    t->cred, o->cert_file, o->key_file, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			util_seterr(err, errlen,
			    "client certificate %s with "
			    "key %s: %s",
			    o->cert_file, o->key_file, gnutls_strerror(rc));
			return -1;
		}
	}
	return 0;
}

struct tls *
tls_client(int rfd, int wfd, const struct tls_client_opts *o, int timeout_ms,
    char *err, size_t errlen)
{
	struct tls *t;
	int rc, i;

	if (o->fail != NULL)
		*o->fail = TLS_FAIL_SETUP;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		util_seterr(err, errlen, "TLS: %s", strerror(errno));
		return NULL;
	}
	t->rfd = rfd;
	t->wfd = wfd;
	t->no_verify = o->no_verify;
	if (o->hostname != NULL) {
		if (strlen(o->hostname) > DNS_NAME_MAX) {
			util_seterr(err, errlen, "TLS: host name too long");
			goto fail;
		}
		util_strlcpy(t->hostname, o->hostname, sizeof(t->hostname));
	}
	if (o->fingerprint != NULL) {
		if (parse_fingerprint(o->fingerprint, t->pin) == -1) {
			util_seterr(err, errlen,
			    "fingerprint \"%s\": want a "
			    "SHA-256 as 64 hex digits, colons allowed",
			    o->fingerprint);
			goto fail;
		}
		t->has_pin = 1;
	}
	if (o->tlsa != NULL)
		for (i = 0; i < o->ntlsa; i++)
			if (tls_tlsa_usable(&o->tlsa[i])) {
				t->dane = 1;
				t->tlsa = o->tlsa;
				t->ntlsa = o->ntlsa;
				t->dane_names = o->dane_names;
				break;
			}
	if (client_creds(t, o, err, errlen) == -1)
		goto fail;
	if ((rc = gnutls_init(&t->s, GNUTLS_CLIENT)) < 0) {
		gterr(err, errlen, "TLS session", rc);
		goto fail;
	}
	gnutls_session_set_ptr(t->s, t);
	if (set_priorities(t->s, o->priorities, err, errlen) == -1)
		goto fail;
	if ((rc = gnutls_credentials_set(
		 t->s, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0) {
		gterr(err, errlen, "TLS credentials", rc);
		goto fail;
	}
	/* RFC 6066 §3: SNI carries host names, never address literals. */
	if (t->hostname[0] != '\0' && !is_ip_literal(t->hostname) &&
	    (rc = gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, t->hostname,
		 strlen(t->hostname))) < 0) {
		gterr(err, errlen, "TLS server name", rc);
		goto fail;
	}
	if (t->dane || t->has_pin || t->no_verify)
		gnutls_session_set_verify_function(t->s, verify_cb);
	else
		gnutls_session_set_verify_cert(
		    t->s, t->hostname[0] ? t->hostname : NULL, 0);
	rc = handshake(t, timeout_ms, err, errlen);
	/* The caller's records are not ours to keep. */
	t->tlsa = NULL;
	t->ntlsa = 0;
	t->dane_names = NULL;
	if (rc == -1) {
		if (o->fail != NULL)
			*o->fail = t->cert_failed ? TLS_FAIL_CERT
						  : TLS_FAIL_HANDSHAKE;
		goto fail;
	}
	if (!t->dane && !t->has_pin && !t->no_verify) {
		t->verified = 1;
		util_strlcpy(t->verify_msg, "ok", sizeof(t->verify_msg));
	}
	return t;
fail:
	tls_free(t);
	return NULL;
}

struct tls_server *
tls_server_new(
    const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	struct tls_server *srv;
	int rc;

	if (check_file("certificate", cert_file, err, errlen) == -1 ||
	    check_file("key", key_file, err, errlen) == -1)
		return NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		util_seterr(err, errlen, "TLS: %s", strerror(errno));
		return NULL;
	}
	if ((rc = gnutls_certificate_allocate_credentials(&srv->cred)) < 0) {
		gterr(err, errlen, "TLS credentials", rc);
		free(srv);
		return NULL;
	}
	rc = gnutls_certificate_set_x509_key_file(
	    srv->cred, cert_file, key_file, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		util_seterr(err, errlen, "certificate %s with key %s: %s",
		    cert_file, key_file, gnutls_strerror(rc));
		tls_server_free(srv);
		return NULL;
	}
	return srv;
}

void
tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	gnutls_certificate_free_credentials(srv->cred);
	free(srv);
}

struct tls *
tls_server(int rfd, int wfd, struct tls_server *srv, int timeout_ms, char *err,
    size_t errlen)
{
	struct tls *t;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		util_seterr(err, errlen, "TLS: %s", strerror(errno));
		return NULL;
	}
	t->rfd = rfd;
	t->wfd = wfd;
	t->server = 1;
	if ((rc = gnutls_init(&t->s, GNUTLS_SERVER)) < 0) {
		gterr(err, errlen, "TLS session", rc);
		goto fail;
	}
	gnutls_session_set_ptr(t->s, t);
	if (set_priorities(t->s, NULL, err, errlen) == -1)
		goto fail;
	if ((rc = gnutls_credentials_set(
		 t->s, GNUTLS_CRD_CERTIFICATE, srv->cred)) < 0) {
		gterr(err, errlen, "TLS credentials", rc);
		goto fail;
	}
	gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_IGNORE);
	if (handshake(t, timeout_ms, err, errlen) == -1)
		goto fail;
	return t;
fail:
	tls_free(t);
	return NULL;
}

ssize_t
tls_read(
    struct tls *t, void *p, size_t n, int timeout_ms, char *err, size_t errlen)
{
	ssize_t rc;
	int w;

	for (;;) {
		if (gnutls_record_check_pending(t->s) == 0) {
			w = wait_fd(t->rfd, POLLIN, timeout_ms, t->stop);
			if (w == 0) {
				util_seterr(err, errlen,
				    "timed out after %d ms", timeout_ms);
				errno = ETIMEDOUT;
				return -1;
			}
			if (w == -1) {
				int e = errno;

				util_seterr(
				    err, errlen, "poll: %s", strerror(e));
				errno = e;
				return -1;
			}
		}
		/* A record may arrive in pieces: bound the wait for the rest.
		 */
		gnutls_record_set_timeout(
		    t->s, timeout_ms > 0 ? (unsigned int)timeout_ms : 0);
		rc = gnutls_record_recv(t->s, p, n);
		if (rc >= 0)
			return rc;
		if (stopped(t, rc)) {
			util_seterr(err, errlen, "interrupted");
			errno = EINTR;
			return -1;
		}
		switch (rc) {
		case GNUTLS_E_AGAIN:
		case GNUTLS_E_INTERRUPTED:
		case GNUTLS_E_REHANDSHAKE: /* refused: we go on reading */
			continue;
		case GNUTLS_E_PREMATURE_TERMINATION:
			/*
			 * Closed without close_notify.  The protocols on top
			 * frame their own data (CRLF.CRLF, octet counts), so
			 * a truncation is seen there: report a plain EOF.
			 */
			t->broken = 1;
			return 0;
		case GNUTLS_E_TIMEDOUT:
			util_seterr(
			    err, errlen, "timed out after %d ms", timeout_ms);
			errno = ETIMEDOUT;
			return -1;
		default:
			if (gnutls_error_is_fatal((int)rc) == 0)
				continue;
			t->broken = 1;
			util_seterr(err, errlen, "TLS read: %s",
			    gnutls_strerror((int)rc));
			errno = EIO;
			return -1;
		}
	}
}

int
tls_write(struct tls *t, const void *p, size_t n, int timeout_ms, char *err,
    size_t errlen)
{
	const char *c = p;
	ssize_t rc;
	int w;

	while (n > 0) {
		w = wait_fd(t->wfd, POLLOUT, timeout_ms, t->stop);
		if (w == 0) {
			util_seterr(
			    err, errlen, "timed out after %d ms", timeout_ms);
			errno = ETIMEDOUT;
			return -1;
		}
		if (w == -1) {
			int e = errno;

			util_seterr(err, errlen, "poll: %s", strerror(e));
			errno = e;
			return -1;
		}
		rc = gnutls_record_send(t->s, c, n);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			continue;
		if (rc < 0) {
			t->broken = 1;
			util_seterr(err, errlen, "TLS write: %s",
			    gnutls_strerror((int)rc));
			errno = EIO;
			return -1;
		}
		c += rc;
		n -= (size_t)rc;
	}
	return 0;
}

size_t
tls_pending(struct tls *t)
{
	return t == NULL ? 0 : gnutls_record_check_pending(t->s);
}

void
tls_info(struct tls *t, struct tls_info *info)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	unsigned char md[TLS_SHA256_LEN];
	const char *name;

	memset(info, 0, sizeof(*info));
	name = gnutls_protocol_get_name(gnutls_protocol_get_version(t->s));
	util_strlcpy(info->protocol, name ? name : "?", sizeof(info->protocol));
	name = gnutls_cipher_get_name(gnutls_cipher_get(t->s));
	util_strlcpy(info->cipher, name ? name : "?", sizeof(info->cipher));
	info->verified = t->verified;
	info->dane = t->dane && t->verified;
	util_strlcpy(info->verify_msg, t->verify_msg, sizeof(info->verify_msg));
	if (peer_cert(t->s, &crt) == -1) {
		if (info->verify_msg[0] == '\0')
			util_strlcpy(info->verify_msg, "no certificate",
			    sizeof(info->verify_msg));
		return;
	}
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) == 0) {
		util_strlcpy(
		    info->subject, (const char *)d.data, sizeof(info->subject));
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) == 0) {
		util_strlcpy(
		    info->issuer, (const char *)d.data, sizeof(info->issuer));
		gnutls_free(d.data);
	}
	if (cert_sha256(crt, md) == 0)
		hex_colons(md, sizeof(md), info->fingerprint,
		    sizeof(info->fingerprint));
	fmt_time(gnutls_x509_crt_get_expiration_time(crt), info->not_after,
	    sizeof(info->not_after));
	gnutls_x509_crt_deinit(crt);
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	/* Bounded: only when the peer can take the alert right now. */
	if (!t->broken &&
	    wait_fd(t->wfd, POLLOUT, TLS_BYE_TIMEOUT_MS, NULL) > 0)
		(void)gnutls_bye(t->s, GNUTLS_SHUT_WR);
	tls_free(t);
}
