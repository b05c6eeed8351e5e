/*
 * config.c: the msend config file, in msmtp's syntax so that an msmtprc
 * mostly works as it is:
 *
 *	# comment
 *	defaults
 *	tls starttls
 *	account work
 *	host smtp.example.org
 *	port 587
 *	auth on
 *	user me@example.org
 *	passwordeval "pass show mail/work"
 *	account default : work
 *
 * One "key value" a line; a value may be in double quotes (with \" and
 * \\ escapes).  "account NAME : A, B" starts an account with the
 * settings of A and B; the account called "default", else the first, is
 * used when no -a is given.  "defaults" holds what every account gets
 * unless it says otherwise.
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msend.h"
#include "util.h"

void
account_init(struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls = TLSM_UNSET;
	a->tls_verify = -1;
	a->auth = AUTHM_UNSET;
	a->allow_plain_auth = -1;
	a->timeout = -1;
	a->chunking = -1;
}

/* The string fields of an account, for merging and freeing. */
static const size_t str_offs[] = {
    offsetof(struct account, host),
    offsetof(struct account, port),
    offsetof(struct account, tls_trust_file),
    offsetof(struct account, tls_fingerprint),
    offsetof(struct account, tls_cert),
    offsetof(struct account, tls_key),
    offsetof(struct account, tls_priorities),
    offsetof(struct account, user),
    offsetof(struct account, password),
    offsetof(struct account, passwordeval),
    offsetof(struct account, from),
    offsetof(struct account, domain),
    offsetof(struct account, dsn_notify),
    offsetof(struct account, dsn_return),
    offsetof(struct account, queue),
};
#define NSTR (sizeof(str_offs) / sizeof(str_offs[0]))

static char **
str_field(struct account *a, size_t i)
{
	return (char **)(void *)((char *)a + str_offs[i]);
}

static char *const *
str_field_c(const struct account *a, size_t i)
{
	return (char *const *)(const void *)((const char *)a + str_offs[i]);
}

void
account_free(struct account *a)
{
	size_t i;
	char **s;

	for (i = 0; i < NSTR; i++) {
		s = str_field(a, i);
		if (*s != NULL) {
			util_wipe(*s, strlen(*s));
			free(*s);
		}
	}
	free(a->qpolicy);
	for (i = 0; i < (size_t)a->ndkim; i++) {
		free(a->dkim[i].key);
		free(a->dkim[i].selector);
		free(a->dkim[i].domain);
	}
	account_init(a);
}

static int
dup_or_null(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return 0;
	}
	return (*dst = strdup(src)) == NULL ? -1 : 0;
}

int
account_merge(struct account *dst, const struct account *src)
{
	size_t i;
	char **d;
	char *const *s;

	for (i = 0; i < NSTR; i++) {
		d = str_field(dst, i);
		s = str_field_c(src, i);
		if (*d == NULL && *s != NULL && (*d = strdup(*s)) == NULL)
			return -1;
	}
	if (dst->tls == TLSM_UNSET)
		dst->tls = src->tls;
	if (dst->tls_verify == -1)
		dst->tls_verify = src->tls_verify;
	if (dst->auth == AUTHM_UNSET)
		dst->auth = src->auth;
	if (dst->allow_plain_auth == -1)
		dst->allow_plain_auth = src->allow_plain_auth;
	if (dst->timeout == -1)
		dst->timeout = src->timeout;
	if (dst->chunking == -1)
		dst->chunking = src->chunking;
	if (dst->ndkim == 0) {
		/* The signatures go as a whole: the first that has some. */
		for (i = 0; i < (size_t)src->ndkim; i++) {
			struct dkim_conf *dd = &dst->dkim[i];
			const struct dkim_conf *sc = &src->dkim[i];

			if (dup_or_null(&dd->key, sc->key) == -1 ||
			    dup_or_null(&dd->selector, sc->selector) == -1 ||
			    dup_or_null(&dd->domain, sc->domain) == -1)
				return -1;
			dd->alg = sc->alg;
			dd->canon = sc->canon;
			dd->expire = sc->expire;
			dst->ndkim++;
		}
	}
	if (src->qpolicy != NULL) {
		/* src's lines first: dst's (the account's) come later and
		   win. */
		size_t a = strlen(src->qpolicy);
		size_t b = dst->qpolicy != NULL ? strlen(dst->qpolicy) : 0;
		char *m = malloc(a + b + 1);

		if (m == NULL)
			return -1;
		memcpy(m, src->qpolicy, a);
		if (b > 0)
			memcpy(m + a, dst->qpolicy, b);
		m[a + b] = '\0';
		free(dst->qpolicy);
		dst->qpolicy = m;
	}
	return 0;
}


void
conf_init(struct conf *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	account_init(&c->defaults);
	for (i = 0; i < CONF_ACCOUNTS_MAX; i++)
		account_init(&c->acct[i]);
}

void
conf_free(struct conf *c)
{
	int i;

	account_free(&c->defaults);
	for (i = 0; i < c->nacct; i++)
		account_free(&c->acct[i]);
	c->nacct = 0;
}

const struct account *
conf_account(const struct conf *c, const char *name)
{
	int i;

	if (name == NULL)
		name = c->default_name[0] != '\0' ? c->default_name : "default";
	for (i = 0; i < c->nacct; i++)
		if (strcmp(c->acct[i].name, name) == 0)
			return &c->acct[i];
	if (c->default_name[0] == '\0' && strcmp(name, "default") == 0 &&
	    c->nacct > 0)
		return &c->acct[0];
	return NULL;
}

/* A from that is a pattern (msmtp 1.8.16): for choosing, not sending. */
int
conf_from_is_pattern(const char *from)
{
	return strpbrk(from, "*?[") != NULL;
}

const struct account *
conf_account_for_from(const struct conf *c, const char *from)
{
	char a[SMTP_PATH_MAX + 1], pat[SMTP_PATH_MAX + 1];
	int i;

	if (util_strlcpy(a, from, sizeof(a)) >= sizeof(a))
		return NULL;
	util_lower(a);
	for (i = 0; i < c->nacct; i++) {
		if (c->acct[i].from == NULL ||
		    util_strlcpy(pat, c->acct[i].from, sizeof(pat)) >=
			sizeof(pat))
			continue;
		util_lower(pat);
		if (fnmatch(pat, a, 0) == 0)
			return &c->acct[i];
	}
	return NULL;
}

/* ------------------------------------------------------------ parsing */

struct pstate {
	struct conf *c;
	struct account *cur;
	const char *name;
	int line;
	struct log *log;
	char *err;
	size_t errlen;
};

static int perr(struct pstate *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct pstate *ps, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	util_seterr(ps->err, ps->errlen, "%s:%d: %s", ps->name, ps->line, what);
	return -1;
}

/*
 * The value after the key: a double-quoted string (escapes \" and \\)
 * or the rest of the line as it is.  Into out (outlen); 0 or -1.
 */
static int
value(struct pstate *ps, const char *v, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (n == 0 || v[0] != '"') {
		if (n >= outlen)
			return perr(ps, "%s", "value too long");
		memcpy(out, v, n);
		out[n] = '\0';
		if (memchr(out, '\0', n) != NULL)
			return perr(ps, "%s", "NUL byte in the value");
		return 0;
	}
	for (i = 1; i < n && v[i] != '"'; i++) {
		if (v[i] == '\\' && i + 1 < n)
			i++;
		if (v[i] == '\0')
			return perr(ps, "%s", "NUL byte in the value");
		if (o + 1 >= outlen)
			return perr(ps, "%s", "value too long");
		out[o++] = v[i];
	}
	if (i >= n)
		return perr(ps, "%s", "missing closing quote");
	for (i++; i < n; i++)
		if (v[i] != ' ' && v[i] != '\t')
			return perr(ps, "%s", "text after the closing quote");
	out[o] = '\0';
	return 0;
}

static int
onoff(struct pstate *ps, const char *key, const char *v, int *out)
{
	if (v[0] == '\0' || strcmp(v, "on") == 0)
		*out = 1;
	else if (strcmp(v, "off") == 0)
		*out = 0;
	else
		return perr(ps, "%s: expected on or off", key);
	return 0;
}

static int
set_str(struct pstate *ps, char **dst, const char *v)
{
	char *s;

	if ((s = strdup(v)) == NULL)
		return perr(ps, "%s", strerror(errno));
	if (*dst != NULL) {
		util_wipe(*dst, strlen(*dst));
		free(*dst);
	}
	*dst = s;
	return 0;
}

/* "account NAME [: PARENT[, PARENT...]]" */
static int
new_account(struct pstate *ps, const char *v)
{
	struct conf *c = ps->c;
	struct account *a;
	const struct account *p;
	char name[CONF_NAME_MAX + 1];
	const char *colon, *s, *e;
	size_t n;
	int i;

	colon = strchr(v, ':');
	n = colon != NULL ? (size_t)(colon - v) : strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n > CONF_NAME_MAX || strcspn(v, " \t,") < n)
		return perr(ps, "%s",
		    "account: needs one name (no spaces, "
		    "at most 64 characters)");
	memcpy(name, v, n);
	name[n] = '\0';
	for (i = 0; i < c->nacct; i++)
		if (strcmp(c->acct[i].name, name) == 0)
			return perr(ps, "account %s: defined twice", name);
	if (c->nacct == CONF_ACCOUNTS_MAX)
		return perr(ps, "%s", "too many accounts");
	a = &c->acct[c->nacct++];
	account_init(a);
	util_strlcpy(a->name, name, sizeof(a->name));
	a->line = ps->line;
	ps->cur = a;
	for (s = colon != NULL ? colon + 1 : NULL; s != NULL && *s != '\0';
	     s = *e == ',' ? e + 1 : e) {
		s += strspn(s, " \t");
		e = s + strcspn(s, ", \t");
		if (e == s)
			return perr(ps, "%s", "account: empty name after ':'");
		n = (size_t)(e - s);
		for (i = 0; i < c->nacct - 1; i++)
			if (strlen(c->acct[i].name) == n &&
			    strncmp(c->acct[i].name, s, n) == 0)
				break;
		if (i == c->nacct - 1)
			return perr(
			    ps, "account: no earlier account %.*s", (int)n, s);
		p = &c->acct[i];
		if (account_merge(a, p) == -1)
			return perr(ps, "%s", strerror(errno));
		e += strspn(e, " \t");
		if (*e != ',' && *e != '\0')
			return perr(ps, "%s",
			    "account: names after ':' are "
			    "separated by commas");
	}
	if (strcmp(name, "default") == 0 && c->default_name[0] == '\0')
		util_strlcpy(c->default_name, name, sizeof(c->default_name));
	return 0;
}

/* Keys of msmtp that msend does not use: a warning, not an error. */
static const char *const ignored[] = {"logfile", "logfile_time_format",
    "syslog", "aliases", "auto_from", "maildomain", "set_from_header",
    "set_date_header", "set_msgid_header", "undisclosed_recipients",
    "remove_bcc_headers", "source_ip", "proxy_host", "proxy_port", "socket",
    "tls_crl_file", "tls_min_dh_prime_bits", "tls_host_override", "ntlmdomain",
    "add_missing_from_header", "add_missing_date_header", NULL};

/* A queue policy line for the account at hand ("key value\n"). */
static int
add_qpolicy(struct pstate *ps, const char *key, const char *v)
{
	struct account *a = ps->cur;
	size_t old = a->qpolicy != NULL ? strlen(a->qpolicy) : 0;
	size_t add = strlen(key) + strlen(v) + 2;
	char *m;

	if (old + add > CONF_QPOLICY_MAX)
		return perr(ps, "too many queue policy settings");
	if ((m = realloc(a->qpolicy, old + add + 1)) == NULL)
		return perr(ps, "%s", strerror(errno));
	(void)snprintf(m + old, add + 1, "%s %s\n", key, v);
	a->qpolicy = m;
	return 0;
}

/* "dkim_key FILE" starts a signature; dkim_selector, dkim_domain and
   dkim_algorithm that follow are its. */
static int
conf_dkim(struct pstate *ps, const char *key, const char *v)
{
	struct account *a = ps->cur;
	struct dkim_conf *d;
	int alg;

	if (strcmp(key, "dkim_key") == 0) {
		if (a->ndkim == DKIM_SIGNERS_MAX)
			return perr(ps, "dkim_key: at most %d signatures",
			    DKIM_SIGNERS_MAX);
		d = &a->dkim[a->ndkim++];
		return set_str(ps, &d->key, v);
	}
	if (a->ndkim == 0)
		return perr(ps, "%s: comes after the dkim_key it is for", key);
	d = &a->dkim[a->ndkim - 1];
	if (strcmp(key, "dkim_selector") == 0)
		return set_str(ps, &d->selector, v);
	if (strcmp(key, "dkim_domain") == 0)
		return set_str(ps, &d->domain, v);
	if (strcmp(key, "dkim_algorithm") == 0) {
		if ((alg = msend_dkim_alg(v)) == -1)
			return perr(ps, "dkim_algorithm: %s is not rsa or "
			    "ed25519", v);
		d->alg = alg;
		return 0;
	}
	if (strcmp(key, "dkim_expire") == 0) {
		if ((d->expire = msend_dkim_expire(v)) == -1)
			return perr(ps, "dkim_expire: %s is not a time from 1m "
			    "to 3650d", v);
		return 0;
	}
	if (strcmp(key, "dkim_canonicalization") == 0) {
		if ((alg = msend_dkim_canon(v)) == -1)
			return perr(ps, "dkim_canonicalization: %s is not "
			    "relaxed/relaxed, simple/simple, relaxed/simple "
			    "or simple/relaxed", v);
		d->canon = alg;
		return 0;
	}
	return perr(ps, "unknown key \"%s\"", key);
}

long
msend_dkim_expire(const char *v)
{
	long long n;
	size_t len = strlen(v);
	long unit = 1;
	char num[32];

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, v, len + 1);
	switch (num[len - 1]) {
	case 's': unit = 1; num[--len] = '\0'; break;
	case 'm': unit = 60; num[--len] = '\0'; break;
	case 'h': unit = 3600; num[--len] = '\0'; break;
	case 'd': unit = 86400; num[--len] = '\0'; break;
	}
	if (util_parse_num(num, 1, 3650L * 86400, 0, &n) == -1 ||
	    n * unit < 60 || n * unit > 3650LL * 86400)
		return -1;
	return (long)(n * unit);
}

int
msend_dkim_canon(const char *v)
{
	const char *slash = strchr(v, '/');
	size_t hl = slash != NULL ? (size_t)(slash - v) : strlen(v);
	const char *b = slash != NULL ? slash + 1 : "simple";
	int h, bc;

	if (hl == 7 && strncmp(v, "relaxed", 7) == 0)
		h = DKIM_RELAXED;
	else if (hl == 6 && strncmp(v, "simple", 6) == 0)
		h = DKIM_SIMPLE;
	else
		return -1;
	if (strcmp(b, "relaxed") == 0)
		bc = DKIM_RELAXED;
	else if (strcmp(b, "simple") == 0)
		bc = DKIM_SIMPLE;
	else
		return -1;
	return 1 + h * 2 + bc;
}

int
msend_dkim_alg(const char *v)
{
	if (strcmp(v, "rsa") == 0 || strcmp(v, "rsa-sha256") == 0)
		return DKIM_RSA_SHA256;
	if (strcmp(v, "ed25519") == 0 || strcmp(v, "ed25519-sha256") == 0)
		return DKIM_ED25519_SHA256;
	return -1;
}

static int
key_value(struct pstate *ps, const char *key, const char *v)
{
	struct account *a = ps->cur;
	int b, i;

	if (strcmp(key, "host") == 0)
		return set_str(ps, &a->host, v);
	if (strcmp(key, "port") == 0) {
		long long p;

		if (util_parse_num(v, 1, 65535, 0, &p) == -1)
			return perr(ps, "port: %s is not a port number", v);
		return set_str(ps, &a->port, v);
	}
	if (strcmp(key, "tls") == 0) {
		if (strcmp(v, "starttls") == 0)
			a->tls = TLSM_STARTTLS;
		else if (strcmp(v, "on-connect") == 0)
			a->tls = TLSM_ON_CONNECT;
		else if (strcmp(v, "on") == 0 || v[0] == '\0')
			a->tls = a->tls == TLSM_ON_CONNECT ? TLSM_ON_CONNECT
							   : TLSM_STARTTLS;
		else if (strcmp(v, "off") == 0)
			a->tls = TLSM_OFF;
		else
			return perr(ps, "%s",
			    "tls: expected starttls, "
			    "on-connect, on or off");
		return 0;
	}
	if (strcmp(key, "tls_starttls") == 0) {
		/* msmtp: "tls on" with "tls_starttls off" is TLS at once. */
		if (onoff(ps, key, v, &b) == -1)
			return -1;
		if (a->tls != TLSM_OFF)
			a->tls = b ? TLSM_STARTTLS : TLSM_ON_CONNECT;
		return 0;
	}
	if (strcmp(key, "tls_certcheck") == 0) {
		if (onoff(ps, key, v, &b) == -1)
			return -1;
		a->tls_verify = b;
		return 0;
	}
	if (strcmp(key, "tls_trust_file") == 0)
		return set_str(ps, &a->tls_trust_file, v);
	if (strcmp(key, "tls_fingerprint") == 0)
		return set_str(ps, &a->tls_fingerprint, v);
	if (strcmp(key, "tls_cert_file") == 0)
		return set_str(ps, &a->tls_cert, v);
	if (strcmp(key, "tls_key_file") == 0)
		return set_str(ps, &a->tls_key, v);
	if (strcmp(key, "tls_priorities") == 0)
		return set_str(ps, &a->tls_priorities, v);
	if (strcmp(key, "auth") == 0) {
		static const struct {
			const char *name;
			int mode;
		} m[] = {
		    {"", AUTHM_ON},
		    {"on", AUTHM_ON},
		    {"off", AUTHM_OFF},
		    {"plain", AUTHM_PLAIN},
		    {"login", AUTHM_LOGIN},
		    {"xoauth2", AUTHM_XOAUTH2},
		    {"oauthbearer", AUTHM_OAUTHBEARER},
		};

		for (i = 0; i < (int)(sizeof(m) / sizeof(m[0])); i++)
			if (strcasecmp(v, m[i].name) == 0) {
				a->auth = m[i].mode;
				return 0;
			}
		return perr(ps,
		    "auth: %s is not on, off, plain, login, "
		    "xoauth2 or oauthbearer",
		    v);
	}
	if (strcmp(key, "user") == 0)
		return set_str(ps, &a->user, v);
	if (strcmp(key, "password") == 0) {
		ps->c->has_password = 1;
		return set_str(ps, &a->password, v);
	}
	if (strcmp(key, "passwordeval") == 0)
		return set_str(ps, &a->passwordeval, v);
	if (strcmp(key, "from") == 0)
		return set_str(ps, &a->from, v);
	if (strcmp(key, "domain") == 0)
		return set_str(ps, &a->domain, v);
	if (strcmp(key, "allow_plain_auth") == 0)
		return onoff(ps, key, v, &a->allow_plain_auth);
	if (strcmp(key, "chunking") == 0)
		return onoff(ps, key, v, &a->chunking);
	if (strcmp(key, "timeout") == 0) {
		long long t;

		if (strcmp(v, "off") == 0)
			t = 0;
		else if (util_parse_num(v, 1, 3600, 0, &t) == -1)
			return perr(
			    ps, "timeout: %s is not 1..3600 seconds", v);
		a->timeout = (long)t;
		return 0;
	}
	if (strcmp(key, "dsn_notify") == 0)
		return set_str(ps, &a->dsn_notify, v);
	if (strcmp(key, "dsn_return") == 0)
		return set_str(ps, &a->dsn_return, v);
	if (strcmp(key, "queue") == 0)
		return set_str(ps, &a->queue, v);
	if (strncmp(key, "dkim_", 5) == 0)
		return conf_dkim(ps, key, v);
	if (strncmp(key, "queue_", 6) == 0 || strncmp(key, "site_", 5) == 0 ||
	    strcmp(key, "site") == 0)
		return add_qpolicy(ps, key, v);
	for (i = 0; ignored[i] != NULL; i++)
		if (strcmp(key, ignored[i]) == 0) {
			if (ps->log != NULL)
				log_warn(ps->log,
				    "%s:%d: %s is not used by "
				    "msend (ignored)",
				    ps->name, ps->line, key);
			return 0;
		}
	return perr(ps, "unknown key \"%s\"", key);
}

static int
conf_line(struct pstate *ps, const char *l, size_t n)
{
	char key[CONF_NAME_MAX + 1], v[CONF_LINE_MAX + 1];
	size_t k, i;

	while (n > 0 && (l[0] == ' ' || l[0] == '\t')) {
		l++;
		n--;
	}
	while (
	    n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
		n--;
	if (n == 0 || l[0] == '#')
		return 0;
	for (k = 0; k < n && l[k] != ' ' && l[k] != '\t'; k++)
		;
	if (k > CONF_NAME_MAX)
		return perr(ps, "%s", "key too long");
	if (memchr(l, '\0', k) != NULL)
		return perr(ps, "%s", "NUL byte in the key");
	memcpy(key, l, k);
	key[k] = '\0';
	for (i = k; i < n && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	if (value(ps, l + i, n - i, v, sizeof(v)) == -1)
		return -1;
	if (strcmp(key, "defaults") == 0) {
		if (v[0] != '\0')
			return perr(ps, "%s", "defaults takes no value");
		ps->cur = &ps->c->defaults;
		return 0;
	}
	if (strcmp(key, "account") == 0)
		return new_account(ps, v);
	return key_value(ps, key, v);
}

int
conf_parse(struct conf *c, const char *data, size_t len, const char *name,
    struct log *log, char *err, size_t errlen)
{
	struct pstate ps;
	const char *nl;
	size_t off = 0, n;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.cur = &c->defaults;
	ps.name = name;
	ps.log = log;
	ps.err = err;
	ps.errlen = errlen;
	if (len > CONF_FILE_MAX) {
		ps.line = 0;
		return perr(&ps, "%s", "file too large");
	}
	while (off < len) {
		ps.line++;
		nl = memchr(data + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (data + off)) : len - off;
		if (n > CONF_LINE_MAX)
			return perr(&ps, "%s", "line too long");
		if (conf_line(&ps, data + off, n) == -1)
			return -1;
		off += n + (nl != NULL);
	}
	return 0;
}
