/*
 * sasl.h: SASL for SMTP AUTH (RFC 4954) and its cousins: base64, the
 * client responses for PLAIN (RFC 4616), LOGIN, XOAUTH2 and OAUTHBEARER
 * (RFC 7628), and a server state machine for PLAIN and LOGIN that hands
 * (user, password) to the caller to check.
 *
 * The caller owns every struct; secrets in them are wiped by
 * sasl_client_clear / sasl_server_clear.
 */
#ifndef YUBIN_SASL_H
#define YUBIN_SASL_H

#include <stddef.h>

#include "bounds.h"
#include "buf.h"

/*
 * Base64 (RFC 4648 §4).  sasl_b64_encode appends the encoding of n
 * bytes to out.  sasl_b64_decode is strict: length a multiple of 4,
 * only the alphabet, padding only at the end, zero pad bits (§3.5), no
 * whitespace; it writes at most cap bytes and fails if more are needed.
 * Both return 0 or -1.
 */
int	sasl_b64_encode(const void *in, size_t n, struct buf *out);
int	sasl_b64_decode(const char *in, size_t n, void *out, size_t cap,
	    size_t *outlen);

enum sasl_mech {
	SASL_MECH_NONE = 0,
	SASL_MECH_PLAIN,
	SASL_MECH_LOGIN,
	SASL_MECH_XOAUTH2,
	SASL_MECH_OAUTHBEARER
};
/* "PLAIN" (any case) to SASL_MECH_PLAIN...; SASL_MECH_NONE if unknown. */
enum sasl_mech sasl_mech_parse(const char *name, size_t len);
const char *sasl_mech_name(enum sasl_mech m);

/*
 * Results of the state machines.  The server answers SASL_FAIL with
 * 535 5.7.8, SASL_ERR_SYNTAX with 501 5.5.2, SASL_ERR_CANCEL with
 * 501 5.0.0 (RFC 4954 §4), SASL_ERR_MECH with 504 5.5.4.
 */
enum sasl_rc {
	SASL_DONE = 0,		/* server: user and pass are ready */
	SASL_CONTINUE = 1,	/* send the challenge / response in out */
	SASL_FAIL = -1,		/* authentication fails (authzid) */
	SASL_ERR_SYNTAX = -2,	/* not base64, bad message, too long */
	SASL_ERR_CANCEL = -3,	/* the client sent "*" */
	SASL_ERR_MECH = -4	/* mechanism not supported */
};

/* Client side.  Set authzid, host and port (or zero them) before start. */
struct sasl_client {
	enum sasl_mech	 mech;
	int		 step;
	const char	*user;		/* authcid; the caller keeps these */
	const char	*secret;	/* password or OAuth 2.0 token */
	const char	*authzid;	/* PLAIN/OAUTHBEARER, NULL: none */
	const char	*host;		/* OAUTHBEARER host=, NULL: none */
	int		 port;		/* OAUTHBEARER port=, 0: none */
};

/*
 * Start: out gets the base64 initial response to put after "AUTH MECH "
 * (RFC 4954 §4), or stays empty for LOGIN (which waits for its
 * prompts).  SASL_CONTINUE, or SASL_ERR_MECH / SASL_ERR_SYNTAX (a field
 * too long or with a NUL, err says which).
 */
int	sasl_client_start(struct sasl_client *c, enum sasl_mech mech,
	    const char *user, const char *secret, struct buf *out, char *err,
	    size_t errlen);
/*
 * Answer a 334 challenge (its base64 text): LOGIN sends the user, then
 * the password; XOAUTH2 answers an error challenge with an empty line,
 * OAUTHBEARER with %x01 (RFC 7628 §3.2.3); PLAIN has nothing more.
 * out gets the base64 line.  SASL_CONTINUE or an error.
 */
int	sasl_client_step(struct sasl_client *c, const char *chal, size_t n,
	    struct buf *out, char *err, size_t errlen);
void	sasl_client_clear(struct sasl_client *c);

/* Server side. */
struct sasl_server {
	enum sasl_mech	mech;
	int		step;
	char		user[SASL_FIELD_MAX + 1];
	char		pass[SASL_FIELD_MAX + 1];
};

/*
 * Start with the argument of AUTH: "MECH [initial-response]" (RFC 4954
 * §4; "=" is an empty initial response).  Only PLAIN and LOGIN.  On
 * SASL_CONTINUE, out holds the base64 challenge to send after "334 "
 * (may be empty); on SASL_DONE, s->user and s->pass are filled.
 */
int	sasl_server_start(struct sasl_server *s, const char *arg, size_t len,
	    struct buf *out, char *err, size_t errlen);
/* Feed one client line (base64, or "*" to cancel). */
int	sasl_server_step(struct sasl_server *s, const char *line, size_t len,
	    struct buf *out, char *err, size_t errlen);
/* Wipe the credentials and reset the state. */
void	sasl_server_clear(struct sasl_server *s);

#endif
