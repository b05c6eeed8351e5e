/*
 * smtp_reply_fuzz: SMTP reply lines and EHLO capabilities from a hostile
 * server.  The input is split at LF (a CR before it is dropped) and each
 * line goes through smtp_reply_parse_line and smtp_reply_add; every
 * complete reply is also read as an EHLO reply and printed for people.
 * All in memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
use_reply(struct smtp_reply *r)
{
	struct smtp_ehlo e;
	char s[SMTP_REPLY_LINE_MAX];
	int i;

	smtp_ehlo_parse(r, &e);
	(void)smtp_ehlo_has_auth(&e, "PLAIN");
	(void)smtp_ehlo_has_auth(&e, "XOAUTH2");
	smtp_reply_str(r, s, sizeof(s));
	for (i = -1; i <= r->nlines; i++)
		(void)strlen(smtp_reply_text(r, i));
	/* Lines are NUL-separated in text, within its length. */
	if (r->nlines > 0 && r->off[r->nlines - 1] >= r->text.len)
		__builtin_trap();
	if (r->enh[0] != '\0' && r->enh[0] != '0' + r->code / 100)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct smtp_reply r;
	struct smtp_reply_line l;
	const char *p = (const char *)d, *end = p + n, *nl;
	size_t len;
	int rc;

	smtp_reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (smtp_reply_parse_line(p, len, &l) == 0) {
			if (l.text < p || l.text + l.textlen > p + len)
				__builtin_trap();
			rc = smtp_reply_add(&r, &l);
			if (rc != 0) {
				if (rc == 1)
					use_reply(&r);
				smtp_reply_free(&r);
				smtp_reply_init(&r);
			}
		}
		p = nl != NULL ? nl + 1 : end;
	}
	use_reply(&r);
	smtp_reply_free(&r);
	return 0;
}
