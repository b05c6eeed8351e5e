/*
 * certs.h: test certificates made at test time with certtool(1), so no
 * key is ever committed.
 */
#ifndef CERTS_H
#define CERTS_H

#include <stddef.h>

/*
 * In dir, create (all PEM):
 *   ca.pem, ca-key.pem          a CA ("yubin test CA")
 *   server.pem, server-key.pem  signed by the CA, for "localhost",
 *                               127.0.0.1 and ::1
 *   expired.pem                 like server.pem (same key), expired in 2020
 *   other.pem, other-key.pem    self-signed for "localhost" (untrusted)
 * certtool's output goes to dir/certtool.log.  0, or -1 with err set.
 */
int certs_make(const char *dir, char *err, size_t errlen);

/*
 * The SHA-256 fingerprint of certificate file (in dir) as certtool -i
 * shows it: 64 lower-case hex digits.  0, or -1 with err set.
 */
int certs_fingerprint(const char *dir, const char *file, char *out,
    size_t outlen, char *err, size_t errlen);

/* Path of a file in dir, in out. */
void certs_path(const char *dir, const char *file, char *out, size_t outlen);

#endif
