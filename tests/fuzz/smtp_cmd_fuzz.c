/*
 * smtp_cmd_fuzz: SMTP command lines from a hostile client.  The input is
 * split at LF (a CR before it is dropped); each line goes through
 * smtp_cmd_parse, and MAIL/RCPT arguments through smtp_mail_parse (with
 * and without SMTPUTF8), HELO/EHLO through smtp_domain_valid, BDAT
 * through smtp_bdat_parse, AUTH through the SASL server (later lines
 * feed it while it asks for more).  Results are checked for
 * consistency.  All in memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sasl.h"
#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
check_path(const struct smtp_path *p)
{
	/* Every output is NUL-terminated inside its array and bounded. */
	if (strnlen(p->local, sizeof(p->local)) == sizeof(p->local) ||
	    strnlen(p->domain, sizeof(p->domain)) == sizeof(p->domain) ||
	    strnlen(p->addr, sizeof(p->addr)) == sizeof(p->addr))
		__builtin_trap();
	if (strlen(p->local) > SMTP_LOCALPART_MAX ||
	    strlen(p->domain) > SMTP_DOMAIN_MAX)
		__builtin_trap();
	if (p->null && p->addr[0] != '\0')
		__builtin_trap();
	if (!p->null && !p->postmaster &&
	    (p->local[0] == '\0' || p->domain[0] == '\0' ||
		!smtp_domain_valid(p->domain, strlen(p->domain), 1)))
		__builtin_trap();
}

static void
one_path(const char *arg, size_t len, enum smtp_verb verb, int utf8)
{
	struct smtp_path p, p2;
	struct smtp_params pa;
	size_t used;
	char again[SMTP_PATH_MAX + 3];
	int rc, code, n;
	const char *enh, *text;

	rc = smtp_mail_parse(arg, len, verb, utf8, &p, &pa);
	smtp_parse_reply(rc, verb, &code, &enh, &text);
	if (code < 200 || code > 599 || enh == NULL || text == NULL)
		__builtin_trap();
	if (rc == SMTP_PARSE_OK) {
		check_path(&p);
		if (pa.count > SMTP_PARAMS_MAX)
			__builtin_trap();
		if (!utf8 && verb == SMTP_CMD_RCPT && p.utf8)
			__builtin_trap();
		if (verb == SMTP_CMD_MAIL && p.utf8 && !pa.smtputf8)
			__builtin_trap();
		/* The normalised address parses again to itself. */
		if (!p.null && !p.postmaster) {
			n = snprintf(again, sizeof(again), "<%s>", p.addr);
			if (n < 0 || (size_t)n >= sizeof(again))
				__builtin_trap();
			rc = smtp_path_parse(
			    again, (size_t)n, SMTP_PATH_UTF8, &p2, &used);
			if (rc != SMTP_PARSE_OK || used != (size_t)n ||
			    strcmp(p2.addr, p.addr) != 0)
				__builtin_trap();
		}
	}
}

/* The SASL server's results: user and password bounded, no NUL. */
static void
check_sasl(const struct sasl_server *s, int rc)
{
	if (rc == SASL_DONE &&
	    (s->user[0] == '\0' || s->pass[0] == '\0' ||
		strnlen(s->user, sizeof(s->user)) == sizeof(s->user) ||
		strnlen(s->pass, sizeof(s->pass)) == sizeof(s->pass)))
		__builtin_trap();
}

static void
one_line(const char *line, size_t len, struct sasl_server *sasl, int *insasl)
{
	struct smtp_cmd c;
	struct buf out;
	char err[256];
	long long size;
	int last, rc;

	if (*insasl) {
		buf_init(&out, SASL_LINE_MAX);
		rc = sasl_server_step(sasl, line, len, &out, err, sizeof(err));
		check_sasl(sasl, rc);
		*insasl = rc == SASL_CONTINUE;
		buf_free(&out);
		return;
	}
	rc = smtp_cmd_parse(line, len, &c);
	if (c.arg < line || c.arg + c.arglen > line + len)
		__builtin_trap();
	if (rc != SMTP_PARSE_OK)
		return;
	switch (c.verb) {
	case SMTP_CMD_MAIL:
	case SMTP_CMD_RCPT:
		one_path(c.arg, c.arglen, c.verb, 0);
		one_path(c.arg, c.arglen, c.verb, 1);
		break;
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		(void)smtp_domain_valid(c.arg, c.arglen, 0);
		(void)smtp_domain_valid(c.arg, c.arglen, 1);
		break;
	case SMTP_CMD_AUTH:
		buf_init(&out, SASL_LINE_MAX);
		rc = sasl_server_start(
		    sasl, c.arg, c.arglen, &out, err, sizeof(err));
		check_sasl(sasl, rc);
		*insasl = rc == SASL_CONTINUE;
		buf_free(&out);
		break;
	case SMTP_CMD_BDAT:
		if (smtp_bdat_parse(c.arg, c.arglen, &size, &last) == 0 &&
		    (size < 0 || size > SMTP_BDAT_MAX))
			__builtin_trap();
		break;
	default: break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d, *end = p + n, *nl;
	struct sasl_server sasl;
	size_t len;
	int insasl = 0;

	sasl_server_clear(&sasl);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		one_line(p, len, &sasl, &insasl);
		p = nl != NULL ? nl + 1 : end;
	}
	sasl_server_clear(&sasl);
	return 0;
}
