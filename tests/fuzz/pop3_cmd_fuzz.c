/*
 * pop3_cmd_fuzz: the POP3 parsers and the RETR/TOP encoder on arbitrary
 * bytes.  The input is parsed as a command line, a response line and the
 * listing lines; then encoded as a message body (whole, and in chunks cut
 * where the first byte says, with a TOP count from the second), and the
 * two encodings must agree.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
encode(const char *p, size_t n, long long top, size_t step, struct buf *out,
    long long *octets)
{
	struct pop3_enc e;
	size_t i, k;

	pop3_enc_init(&e, top);
	for (i = 0; i < n; i += k) {
		k = step == 0 || n - i < step ? n - i : step;
		if (pop3_enc_chunk(&e, p + i, k, out) == -1)
			abort();
	}
	if (pop3_enc_end(&e, out) == -1)
		abort();
	*octets = e.octets;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	struct pop3_cmd cmd;
	struct pop3_resp r;
	struct buf a, b;
	char uid[POP3_UIDL_MAX + 1];
	char line[POP3_RESP_LINE_MAX - 1];
	unsigned long m;
	long long sz, oa, ob, top;
	size_t i;
	int skip;

	if (pop3_cmd_parse(p, n, &cmd) == POP3_PARSE_OK) {
		for (i = 0; i < (size_t)cmd.nargs; i++) {
			if (cmd.arg[i] < p ||
			    cmd.arg[i] + cmd.arglen[i] > p + n)
				abort();
			(void)pop3_num_parse(
			    cmd.arg[i], cmd.arglen[i], 1000, &m);
		}
		if (cmd.rest < p || cmd.rest + cmd.restlen > p + n)
			abort();
	}
	if (pop3_resp_parse(p, n, &r) == 0 &&
	    (r.text < p || r.text + r.textlen > p + n))
		abort();
	(void)pop3_list_line_parse(p, n, &m, &sz);
	if (pop3_uidl_line_parse(p, n, &m, uid, sizeof(uid)) == 0 &&
	    !pop3_uidl_valid(uid, strlen(uid)))
		abort();
	(void)pop3_stat_parse(p, n, &m, &sz);
	(void)pop3_multiline_end(p, n, &skip);
	if (pop3_resp_format(line, sizeof(line), n & 1, (enum pop3_code)(n % 6),
		"%.*s", (int)(n > 600 ? 600 : n), p) > POP3_RESP_LINE_MAX - 2)
		abort();

	top = n > 1 ? (long long)(d[1] % 8) - 1 : -1;
	buf_init(&a, 0);
	buf_init(&b, 0);
	encode(p, n, top, 0, &a, &oa);
	encode(p, n, top, n > 0 ? (size_t)d[0] % 17 + 1 : 1, &b, &ob);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0 || oa != ob)
		abort();
	/* The terminator ends the output and nowhere else is a lone ".". */
	if (a.len < 3 || memcmp(a.data + a.len - 3, ".\r\n", 3) != 0)
		abort();
	for (i = 0; i + 3 < a.len; i++)
		if (a.data[i] == '\n' && a.data[i + 1] == '.' &&
		    a.data[i + 2] == '\r' && a.data[i + 3] == '\n' &&
		    i + 4 != a.len)
			abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
