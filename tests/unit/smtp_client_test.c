/*
 * smtp_client_test: the SMTP client engine over a socketpair against a
 * scripted fake server in a forked child.  Each case is a script (what
 * the client must send, what the server answers), the transactions the
 * client runs, and the class each outcome must carry.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "certs.h"
#include "err.h"
#include "io.h"
#include "smtp_client.h"
#include "util.h"

/*
 * Script steps: ">TEXT" the client's next line starts with TEXT;
 * "<TEXT" the server sends TEXT and CRLF; "=BODY" the server reads the
 * message after 354 up to "." and checks it; "=BDAT" reads "BDAT n
 * LAST" and n bytes; "=LONG" sends a reply line longer than the bound;
 * "=CLOSE" closes the connection; "=TLS" runs the server's side of the
 * handshake, "=TLS?" too but a failure ends the script.
 */
#define MAXRCPT 4
#define MAXTXN 2

/* The message, and as it must arrive after DATA (dot-stuffed). */
static const char *const body[] = {"Subject: test", "", "hello", ".dot", NULL};
static const char *const stuffed[] = {
    "Subject: test", "", "hello", "..dot", NULL};
#define BODY_SIZE 30 /* the lines above with CRLF, unstuffed */

struct tcase {
	const char *name;
	const char *const *script;
	int tls; /* enum smtp_client_tls, STARTTLS required */
	int chunking;
	int auth;
	int open_rc;
	enum yerr_class open_cls; /* of c.err when open or auth failed */
	int helo; /* the session fell back to HELO */
	int ntxn;
	const char *rcpt[MAXTXN][MAXRCPT + 1];
	int txn_rc[MAXTXN];
	enum yerr_class want[MAXTXN][MAXRCPT];
	enum yerr_class txn_cls[MAXTXN]; /* c.err after a txn that ended it */
	const char *trust; /* CA file for STARTTLS (in the certs dir) */
	int tls_failed; /* the handshake must fail */
	const char *msg0; /* the first recipient's result starts so */
};

/* For the STARTTLS cases: the certificates and the server's side. */
static char certdir[PATH_MAX];
static struct tls_server *srv;

#define GREET "<220 fake ESMTP"

static const char *const s_pipelined[] = {GREET, ">EHLO client.test",
    "<250-fake", "<250-PIPELINING", "<250-SIZE 1000", "<250 DSN",
    ">MAIL FROM:<a@x.test> SIZE=30", "<250 2.1.0 ok", ">RCPT TO:<ok@y.test>",
    "<250 2.1.5 ok", ">RCPT TO:<gone@y.test>", "<550 5.1.1 no such user",
    ">RCPT TO:<later@y.test>", "<450 4.2.0 try later", ">DATA", "<354 go",
    "=BODY", "<250 2.0.0 queued", ">QUIT", "<221 bye", NULL};

static const char *const s_mail_4xx[] = {GREET, ">EHLO", "<250 fake",
    ">MAIL FROM:<a@x.test>", "<451 4.3.0 busy", ">QUIT", "<221 bye", NULL};

static const char *const s_mail_4xx_pipe[] = {GREET, ">EHLO", "<250-fake",
    "<250 PIPELINING", ">MAIL FROM:<a@x.test>", "<451 4.3.0 busy",
    ">RCPT TO:<ok@y.test>", "<503 5.5.1 MAIL first", ">RCPT TO:<two@y.test>",
    "<503 5.5.1 MAIL first", ">DATA", "<503 5.5.1 no valid recipients", ">QUIT",
    "<221 bye", NULL};

static const char *const s_mail_421_pipe[] = {GREET, ">EHLO", "<250-fake",
    "<250 PIPELINING", ">MAIL FROM:<a@x.test>", "<421 4.3.2 going down",
    "=CLOSE", NULL};

static const char *const s_data_5xx[] = {GREET, ">EHLO", "<250 fake",
    ">MAIL FROM:", "<250 ok", ">RCPT TO:<ok@y.test>", "<250 ok",
    ">RCPT TO:<two@y.test>", "<250 ok", ">DATA", "<554 5.6.0 content rejected",
    ">QUIT", "<221 bye", NULL};

static const char *const s_421[] = {GREET, ">EHLO", "<250 fake",
    ">MAIL FROM:", "<250 ok", ">RCPT TO:<ok@y.test>",
    "<421 4.3.2 shutting down", "=CLOSE", NULL};

static const char *const s_no_pipelining[] = {GREET, ">EHLO", "<250 fake",
    ">MAIL FROM:<a@x.test>", "<250 ok", ">RCPT TO:<ok@y.test>", "<250 ok",
    ">RCPT TO:<bad@y.test>", "<553 5.1.3 bad address",
    ">RCPT TO:<nohost@y.test>", "<550 5.1.2 no such host", ">DATA", "<354 go",
    "=BODY", "<250 queued", ">QUIT", "<221 bye", NULL};

static const char *const s_bdat[] = {GREET, ">EHLO", "<250-fake",
    "<250-PIPELINING", "<250 CHUNKING", ">MAIL FROM:<a@x.test>", "<250 ok",
    ">RCPT TO:<ok@y.test>", "<250 ok", "=BDAT", "<250 2.0.0 queued", ">QUIT",
    "<221 bye", NULL};

static const char *const s_bdat_off[] = {GREET, ">EHLO", "<250-fake",
    "<250-PIPELINING", "<250 CHUNKING", ">MAIL FROM:<a@x.test>", "<250 ok",
    ">RCPT TO:<ok@y.test>", "<250 ok", ">DATA", "<354 go", "=BODY",
    "<250 queued", ">QUIT", "<221 bye", NULL};

static const char *const s_helo[] = {GREET, ">EHLO client.test",
    "<502 5.5.1 what?", ">HELO client.test", "<250 hello",
    ">MAIL FROM:<a@x.test>", "<250 ok", ">RCPT TO:<ok@y.test>", "<250 ok",
    ">DATA", "<354 go", "=BODY", "<250 queued", ">QUIT", "<221 bye", NULL};

static const char *const s_no_starttls[] = {
    GREET, ">EHLO", "<250-fake", "<250 PIPELINING", ">QUIT", "<221 bye", NULL};

static const char *const s_rset[] = {GREET, ">EHLO", "<250-fake",
    "<250 PIPELINING", ">MAIL FROM:<a@x.test>", "<250 ok",
    ">RCPT TO:<one@y.test>", "<250 ok", ">DATA", "<354 go", "=BODY",
    "<250 first", ">RSET", "<250 reset", ">MAIL FROM:<a@x.test>", "<250 ok",
    ">RCPT TO:<two@y.test>", "<550 5.7.1 refused", ">RCPT TO:<three@y.test>",
    "<250 ok", ">DATA", "<354 go", "=BODY", "<250 second", ">QUIT", "<221 bye",
    NULL};

static const char *const s_long[] = {GREET, ">EHLO", "=LONG", "=CLOSE", NULL};

static const char *const s_malformed[] = {
    GREET, ">EHLO", "<250-fake", "<251 changed code", "=CLOSE", NULL};

static const char *const s_greeting_554[] = {
    "<554 5.3.2 go away", ">QUIT", "<221 bye", NULL};

static const char *const s_auth_535[] = {GREET, ">EHLO", "<250-fake",
    "<250 AUTH PLAIN LOGIN", ">AUTH PLAIN ", "<535 5.7.8 credentials invalid",
    ">QUIT", "<221 bye", NULL};

static const char *const s_auth_cancel[] = {GREET, ">EHLO", "<250-fake",
    "<250 AUTH PLAIN", ">AUTH PLAIN ", "<334 more?", ">*",
    "<501 5.0.0 cancelled", ">QUIT", "<221 bye", NULL};

static const char *const s_auth_ok[] = {GREET, ">EHLO", "<250-fake",
    "<250 AUTH LOGIN", ">AUTH LOGIN", "<334 VXNlcm5hbWU6",
    ">dXNlcg==", "<334 UGFzc3dvcmQ6", ">c2VjcmV0", "<235 2.7.0 ok",
    ">MAIL FROM:", "<250 ok", ">RCPT TO:", "<250 ok", ">DATA", "<354 go",
    "=BODY", "<250 queued", ">QUIT", "<221 bye", NULL};

static const char *const s_starttls[] = {GREET, ">EHLO", "<250-fake",
    "<250 STARTTLS", ">STARTTLS", "<220 go ahead", "=TLS", ">EHLO client.test",
    "<250-fake", "<250 PIPELINING", ">MAIL FROM:<a@x.test>", "<250 ok",
    ">RCPT TO:<ok@y.test>", "<250 ok", ">DATA", "<354 go", "=BODY",
    "<250 queued", ">QUIT", "<221 bye", NULL};

static const char *const s_starttls_fails[] = {GREET, ">EHLO", "<250-fake",
    "<250 STARTTLS", ">STARTTLS", "<220 go ahead", "=TLS?", NULL};

static const struct tcase tls_cases[] = {
    {"STARTTLS, EHLO again, a transaction", s_starttls,
	SMTP_CLIENT_TLS_STARTTLS, 1, 0, 0, YERR_OK, 0, 1, {{"ok@y.test"}}, {0},
	{{YERR_OK}}, {YERR_OK}, "ca.pem", 0, NULL},
    {"STARTTLS, certificate not trusted", s_starttls_fails,
	SMTP_CLIENT_TLS_STARTTLS, 1, 0, -1, YERR_TLS, 0, 0, {{NULL}}, {0},
	{{YERR_OK}}, {YERR_OK}, "other.pem", 1, NULL},
    {"STARTTLS, trust file missing", s_starttls_fails, SMTP_CLIENT_TLS_STARTTLS,
	1, 0, -1, YERR_CONFIG, 0, 0, {{NULL}}, {0}, {{YERR_OK}}, {YERR_OK},
	"no-such-ca.pem", 1, NULL},
};

static const struct tcase cases[] = {
    {"pipelined, mixed RCPT results", s_pipelined, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "gone@y.test", "later@y.test"}}, {0},
	{{YERR_OK, YERR_NOUSER, YERR_TEMP}}, {YERR_OK}, NULL, 0,
	"250 2.0.0 queued"},
    {"4xx on MAIL", s_mail_4xx, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "two@y.test"}}, {0}, {{YERR_TEMP, YERR_TEMP}}, {YERR_OK},
	NULL, 0, NULL},
    {"4xx on MAIL, pipelined", s_mail_4xx_pipe, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "two@y.test"}}, {0}, {{YERR_TEMP, YERR_TEMP}}, {YERR_OK},
	NULL, 0, "451 4.3.0 busy"},
    {"421 on MAIL, pipelined", s_mail_421_pipe, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "two@y.test"}}, {-1}, {{YERR_TEMP, YERR_TEMP}},
	{YERR_TEMP}, NULL, 0, "421 4.3.2 going down"},
    {"5xx on DATA", s_data_5xx, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "two@y.test"}}, {0}, {{YERR_PERM, YERR_PERM}}, {YERR_OK},
	NULL, 0, "554 5.6.0 content rejected"},
    {"421 mid-session", s_421, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "two@y.test"}}, {-1}, {{YERR_TEMP, YERR_TEMP}},
	{YERR_TEMP}, NULL, 0, "421 4.3.2 shutting down"},
    {"no PIPELINING", s_no_pipelining, 0, 1, 0, 0, YERR_OK, 0, 1,
	{{"ok@y.test", "bad@y.test", "nohost@y.test"}}, {0},
	{{YERR_OK, YERR_PERM, YERR_NOHOST}}, {YERR_OK}, NULL, 0, NULL},
    {"BDAT", s_bdat, 0, 1, 0, 0, YERR_OK, 0, 1, {{"ok@y.test"}}, {0},
	{{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"CHUNKING offered, not wanted: DATA", s_bdat_off, 0, 0, 0, 0, YERR_OK, 0,
	1, {{"ok@y.test"}}, {0}, {{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"HELO fallback", s_helo, 0, 1, 0, 0, YERR_OK, 1, 1, {{"ok@y.test"}}, {0},
	{{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"STARTTLS required, not offered", s_no_starttls, SMTP_CLIENT_TLS_STARTTLS,
	1, 0, -1, YERR_TLS, 0, 0, {{NULL}}, {0}, {{YERR_OK}}, {YERR_OK}, NULL,
	0, ""},
    {"two transactions, RSET between", s_rset, 0, 1, 0, 0, YERR_OK, 0, 2,
	{{"one@y.test"}, {"two@y.test", "three@y.test"}}, {0, 0},
	{{YERR_OK}, {YERR_PERM, YERR_OK}}, {YERR_OK, YERR_OK}, NULL, 0, NULL},
    {"reply line over the bound", s_long, 0, 1, 0, -1, YERR_PROTO, 0, 0,
	{{NULL}}, {0}, {{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"code changed within a reply", s_malformed, 0, 1, 0, -1, YERR_PROTO, 0, 0,
	{{NULL}}, {0}, {{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"greeting 554", s_greeting_554, 0, 1, 0, -1, YERR_PERM, 0, 0, {{NULL}},
	{0}, {{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"AUTH refused", s_auth_535, 0, 1, 1, -1, YERR_AUTH, 0, 0, {{NULL}}, {0},
	{{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
    {"AUTH, a challenge PLAIN cannot answer: cancelled", s_auth_cancel, 0, 1, 1,
	-1, YERR_PROTO, 0, 0, {{NULL}}, {0}, {{YERR_OK}}, {YERR_OK}, NULL, 0,
	NULL},
    {"AUTH LOGIN, then a transaction", s_auth_ok, 0, 1, 1, 0, YERR_OK, 0, 1,
	{{"ok@y.test"}}, {0}, {{YERR_OK}}, {YERR_OK}, NULL, 0, NULL},
};

/* ---------------------------------------------------------- the server */

static void
srv_fail(int step, const char *what, const char *got)
{
	(void)fprintf(
	    stderr, "server step %d: %s (got \"%.80s\")\n", step, what, got);
	_exit(10 + step);
}

static void
srv_read(struct io *io, char *line, size_t cap, int step)
{
	size_t len;
	int eol;

	if (io_getline(io, line, cap, &len, &eol) != IO_OK ||
	    eol != IO_EOL_CRLF)
		srv_fail(step, "no line from the client", "");
}

static void
srv_send(struct io *io, const char *text, int step)
{
	if (io_line(io, "%s", text) == -1 || io_flush(io) == -1)
		srv_fail(step, "cannot send", text);
}

static void
serve(int fd, const char *const *script)
{
	char line[8192], data[BODY_SIZE + 1], want[64];
	struct io io;
	int i, k;

	io_init(&io, fd, fd, 5000);
	for (i = 0; script[i] != NULL; i++) {
		const char *s = script[i];

		if (s[0] == '>') {
			srv_read(&io, line, sizeof(line), i);
			if (strncmp(line, s + 1, strlen(s + 1)) != 0)
				srv_fail(i, s, line);
		} else if (s[0] == '<')
			srv_send(&io, s + 1, i);
		else if (strcmp(s, "=BODY") == 0) {
			for (k = 0; stuffed[k] != NULL; k++) {
				srv_read(&io, line, sizeof(line), i);
				if (strcmp(line, stuffed[k]) != 0)
					srv_fail(i, stuffed[k], line);
			}
			srv_read(&io, line, sizeof(line), i);
			if (strcmp(line, ".") != 0)
				srv_fail(i, "the final dot", line);
		} else if (strcmp(s, "=BDAT") == 0) {
			(void)snprintf(
			    want, sizeof(want), "BDAT %d LAST", BODY_SIZE);
			srv_read(&io, line, sizeof(line), i);
			if (strcmp(line, want) != 0)
				srv_fail(i, want, line);
			if (io_read_exact(&io, data, BODY_SIZE) != IO_OK)
				srv_fail(i, "the chunk", "");
			data[BODY_SIZE] = '\0';
			if (strcmp(data,
				"Subject: test\r\n\r\nhello\r\n.dot\r\n") != 0)
				srv_fail(i, "the chunk as is", data);
		} else if (strcmp(s, "=LONG") == 0) {
			memset(line, 'x', sizeof(line));
			memcpy(line, "250 ", 4);
			line[SMTP_REPLY_LINE_READ_MAX + 100] = '\0';
			srv_send(&io, line, i);
		} else if (strcmp(s, "=TLS") == 0) {
			if (io_starttls_server(&io, srv) == -1)
				srv_fail(i, "TLS handshake", io.err);
		} else if (strcmp(s, "=TLS?") == 0) {
			if (io_starttls_server(&io, srv) == -1)
				break;
		} else if (strcmp(s, "=CLOSE") == 0)
			break;
	}
	io_close(&io);
	(void)close(fd);
	_exit(0);
}

/* ---------------------------------------------------------- the client */

static int
msg_write(void *arg, struct io *io, int dot, char *err, size_t errlen)
{
	int i;

	(void)arg;
	for (i = 0; body[i] != NULL; i++) {
		if (dot ? smtp_dotstuff_line(io, body[i], strlen(body[i]))
			: (io_puts(io, body[i]) || io_puts(io, "\r\n"))) {
			util_seterr(err, errlen, "%s", io->err);
			return -1;
		}
	}
	return 0;
}

static int
secret(void *arg, char *out, size_t outlen, struct yerr *e)
{
	(void)arg;
	(void)e;
	util_strlcpy(out, "secret", outlen);
	return 0;
}

static int
child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Fork the fake server on a socketpair; the client's end. */
static int
start_server(const char *const *script, pid_t *pid)
{
	int sv[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((*pid = fork()) != -1);
	if (*pid == 0) {
		(void)close(sv[0]);
		serve(sv[1], script);
	}
	(void)close(sv[1]);
	return sv[0];
}

static void
run_case(const struct tcase *tc)
{
	struct smtp_client_opts o;
	struct smtp_client_msg msg;
	struct smtp_client_rcpt r[MAXRCPT];
	struct smtp_client_txn t;
	struct smtp_client c;
	char ca[PATH_MAX];
	int fd, rc, i, k, n, st;
	pid_t pid;

	fd = start_server(tc->script, &pid);
	memset(&o, 0, sizeof(o));
	o.host = "fake.test";
	o.ehlo = "client.test";
	o.tls = tc->tls;
	o.chunking = tc->chunking;
	o.auth = tc->auth;
	o.user = "user";
	o.allow_plain_auth = 1;
	o.secret = secret;
	o.timeout_ms = 5000;
	memset(&msg, 0, sizeof(msg));
	msg.size = BODY_SIZE;
	msg.write = msg_write;
	if (tc->trust != NULL) {
		certs_path(certdir, tc->trust, ca, sizeof(ca));
		o.tlso.trust_file = ca;
		o.tlso.hostname = "localhost";
	}
	smtp_client_init(&c, fd, &o);
	rc = smtp_client_open(&c);
	if (rc == 0)
		rc = smtp_client_auth(&c);
	ATF_CHECK_EQ_MSG(
	    rc, tc->open_rc, "%s: open: %d (%s)", tc->name, rc, c.err.msg);
	if (rc == -1)
		ATF_CHECK_EQ_MSG(c.err.cls, tc->open_cls,
		    "%s: open: class %d "
		    "(%s)",
		    tc->name, (int)c.err.cls, c.err.msg);
	ATF_CHECK_EQ_MSG(c.helo, tc->helo, "%s: helo", tc->name);
	ATF_CHECK_EQ_MSG(
	    c.tls_failed, tc->tls_failed, "%s: tls_failed", tc->name);
	if (tc->tls == SMTP_CLIENT_TLS_STARTTLS && tc->open_rc == -1 &&
	    tc->trust == NULL)
		ATF_CHECK_EQ_MSG(c.stop, SMTP_CLIENT_STOP_NO_STARTTLS,
		    "%s: stop %d", tc->name, (int)c.stop);
	if (tc->trust != NULL && !tc->tls_failed)
		ATF_CHECK_MSG(c.io.tls != NULL, "%s: no TLS", tc->name);
	for (k = 0; rc == 0 && k < tc->ntxn; k++) {
		if (k > 0)
			ATF_REQUIRE_EQ_MSG(smtp_client_rset(&c), 0, "%s: %s",
			    tc->name, c.err.msg);
		memset(&t, 0, sizeof(t));
		memset(r, 0, sizeof(r));
		for (n = 0; tc->rcpt[k][n] != NULL; n++)
			r[n].addr = tc->rcpt[k][n];
		t.from = "a@x.test";
		t.msg = &msg;
		t.rcpt = r;
		t.nrcpt = n;
		ATF_CHECK_EQ_MSG(smtp_client_txn(&c, &t), tc->txn_rc[k],
		    "%s: txn %d: %s", tc->name, k, c.err.msg);
		if (k == 0 && tc->msg0 != NULL && tc->msg0[0] != '\0')
			ATF_CHECK_MSG(strncmp(r[0].res.msg, tc->msg0,
					  strlen(tc->msg0)) == 0,
			    "%s: %s", tc->name, r[0].res.msg);
		for (i = 0; i < n; i++)
			ATF_CHECK_EQ_MSG(r[i].res.cls, tc->want[k][i],
			    "%s: txn %d: %s: class %d (%s)", tc->name, k,
			    r[i].addr, (int)r[i].res.cls, r[i].res.msg);
		if (tc->txn_rc[k] == -1)
			ATF_CHECK_EQ_MSG(c.err.cls, tc->txn_cls[k],
			    "%s: txn %d: session class %d (%s)", tc->name, k,
			    (int)c.err.cls, c.err.msg);
	}
	(void)smtp_client_quit(&c);
	smtp_client_close(&c);
	(void)close(fd);
	st = child_status(pid);
	ATF_CHECK_EQ_MSG(
	    st, 0, "%s: the server's script failed at %d", tc->name, st - 10);
}

ATF_TC_WITHOUT_HEAD(scripted_sessions);
ATF_TC_BODY(scripted_sessions, tc)
{
	size_t i;

	(void)signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/*
 * MAIL and RCPT parameters (SIZE, RET, ENVID, NOTIFY, ORCPT), and what
 * is refused before MAIL: a UTF-8 address without SMTPUTF8, a message
 * over the server's SIZE.
 */
static const char *const s_params[] = {GREET, ">EHLO", "<250-fake",
    "<250-SIZE 1000", "<250-8BITMIME", "<250 DSN",
    ">MAIL FROM:<a@x.test> SIZE=30 BODY=8BITMIME RET=HDRS ENVID=id+2B1",
    "<250 ok",
    ">RCPT TO:<ok@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig@y.test",
    "<250 ok", ">DATA", "<354 go", "=BODY", "<250 queued", ">RSET", "<250 ok",
    ">RSET", "<250 ok", ">RSET", "<250 ok",
    ">MAIL FROM:<a@x.test> SIZE=30 BODY=8BITMIME RET=HDRS ENVID=id+2B1",
    "<250 ok", ">RCPT TO:<ok@y.test> ORCPT=rfc822;Orig+2Bx@y.test",
    "<250 ok", ">DATA", "<354 go", "=BODY", "<250 queued",
    ">QUIT", "<221 bye", NULL};

ATF_TC_WITHOUT_HEAD(mail_params);
ATF_TC_BODY(mail_params, tc)
{
	struct smtp_client_opts o;
	struct smtp_client_msg msg;
	struct smtp_client_rcpt r;
	struct smtp_client_txn t;
	struct smtp_client c;
	pid_t pid;
	int fd;

	(void)signal(SIGPIPE, SIG_IGN);
	fd = start_server(s_params, &pid);
	memset(&o, 0, sizeof(o));
	o.host = "fake.test";
	o.ehlo = "client.test";
	o.timeout_ms = 5000;
	memset(&msg, 0, sizeof(msg));
	msg.size = BODY_SIZE;
	msg.eightbit = 1;
	msg.write = msg_write;
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	t.from = "a@x.test";
	t.ret = SMTP_RET_HDRS;
	t.envid = "id+1";
	t.msg = &msg;
	t.rcpt = &r;
	t.nrcpt = 1;
	r.addr = "ok@y.test";
	r.orcpt = "orig@y.test";
	r.notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	smtp_client_init(&c, fd, &o);
	ATF_REQUIRE_MSG(smtp_client_open(&c) == 0, "%s", c.err.msg);
	ATF_CHECK_EQ(smtp_client_txn(&c, &t), 0);
	ATF_CHECK_EQ_MSG(r.res.cls, YERR_OK, "%s", r.res.msg);
	/* Nothing goes out for these two: the server said it would
	   refuse them. */
	ATF_REQUIRE_EQ(smtp_client_rset(&c), 0);
	t.from = "\xc3\xbc@x.test";
	ATF_CHECK_EQ(smtp_client_txn(&c, &t), 0);
	ATF_CHECK_EQ(r.res.cls, YERR_PERM);
	ATF_CHECK_MSG(strstr(r.res.msg, "SMTPUTF8") != NULL, "%s", r.res.msg);
	ATF_REQUIRE_EQ(smtp_client_rset(&c), 0);
	t.from = "a@x.test";
	msg.size = 2000;
	ATF_CHECK_EQ(smtp_client_txn(&c, &t), 0);
	ATF_CHECK_EQ(r.res.cls, YERR_PERM);
	ATF_CHECK_MSG(
	    strstr(r.res.msg, "at most 1000") != NULL, "%s", r.res.msg);
	/* An ORCPT as received goes on as it is, without NOTIFY too (RFC
	   3461 §5.2.1 (d)). */
	ATF_REQUIRE_EQ(smtp_client_rset(&c), 0);
	msg.size = BODY_SIZE;
	r.notify = 0;
	r.orcpt = NULL;
	r.orcpt_param = "rfc822;Orig+2Bx@y.test";
	ATF_CHECK_EQ(smtp_client_txn(&c, &t), 0);
	ATF_CHECK_EQ_MSG(r.res.cls, YERR_OK, "%s", r.res.msg);
	ATF_CHECK_EQ(smtp_client_quit(&c), 0);
	smtp_client_close(&c);
	(void)close(fd);
	ATF_CHECK_EQ(child_status(pid), 0);
}

ATF_TC_WITHOUT_HEAD(starttls_sessions);
ATF_TC_BODY(starttls_sessions, tc)
{
	char cert[PATH_MAX], key[PATH_MAX], err[ERR_MAX];
	size_t i;

	(void)signal(SIGPIPE, SIG_IGN);
	ATF_REQUIRE(getcwd(certdir, sizeof(certdir)) != NULL);
	if (certs_make(certdir, err, sizeof(err)) == -1)
		atf_tc_fail("making certificates: %s", err);
	certs_path(certdir, "server.pem", cert, sizeof(cert));
	certs_path(certdir, "server-key.pem", key, sizeof(key));
	if ((srv = tls_server_new(cert, key, err, sizeof(err))) == NULL)
		atf_tc_fail("%s", err);
	for (i = 0; i < sizeof(tls_cases) / sizeof(tls_cases[0]); i++)
		run_case(&tls_cases[i]);
	tls_server_free(srv);
}

/* What a reply means, as a class (RFC 3463 for the 5xx subclasses). */
ATF_TC_WITHOUT_HEAD(reply_class);
ATF_TC_BODY(reply_class, tc)
{
	static const struct {
		int code;
		const char *enh;
		enum yerr_class cls;
	} t[] = {
	    {421, "4.3.2", YERR_TEMP},
	    {450, "", YERR_TEMP},
	    {550, "5.1.1", YERR_NOUSER},
	    {550, "5.1.2", YERR_NOHOST},
	    {550, "5.7.1", YERR_PERM},
	    {554, "", YERR_PERM},
	    {354, "", YERR_PROTO},
	    {0, "", YERR_PROTO},
	};
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		smtp_reply_init(&r);
		r.code = t[i].code;
		util_strlcpy(r.enh, t[i].enh, sizeof(r.enh));
		ATF_CHECK_EQ_MSG(smtp_client_reply_class(&r), t[i].cls, "%d %s",
		    t[i].code, t[i].enh);
		smtp_reply_free(&r);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, scripted_sessions);
	ATF_TP_ADD_TC(tp, mail_params);
	ATF_TP_ADD_TC(tp, starttls_sessions);
	ATF_TP_ADD_TC(tp, reply_class);
	return atf_no_error();
}
