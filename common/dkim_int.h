/*
 * dkim_int.h: what dkim.c (pure) gives dkim_crypto.c; not for others.
 */
#ifndef YUBIN_DKIM_INT_H
#define YUBIN_DKIM_INT_H

#include "dkim.h"

/* The length of field f's name (before the colon, WSP dropped); 0 when
   it has no colon. */
size_t dkim_field_name(const struct dkim_hdr *f);
/* Is f the field name (nl octets), case-insensitively? */
int dkim_field_is(const struct dkim_hdr *f, const char *name, size_t nl);
/* The fields of h= (names[0..n)) selected from f[0..nf) (§5.4.2),
   canonicalized, appended to data (§3.7).  0 or -1. */
int dkim_canon_fields(int canon, const struct dkim_hdr *f, int nf,
    const char (*names)[DKIM_HNAME_MAX + 1], int n, struct buf *data);
/* The signature field f (b= emptied already) canonicalized, without
   its CRLF (§3.7). 0 or -1. */
int dkim_canon_sig(int canon, const char *f, size_t len, struct buf *data);

#endif
