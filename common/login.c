/*
 * login.c: the login path every server shares (see login.h).
 */
#include "config.h"

#include <string.h>

#include "login.h"
#include "util.h"

int
login_backoff_ms(int base, int fails)
{
	int shift;

	if (fails < 1 || base <= 0)
		return 0;
	shift = fails - 1 < LOGIN_BACKOFF_SHIFT_MAX ? fails - 1
						     : LOGIN_BACKOFF_SHIFT_MAX;
	/* --auth-delay is at most a minute: no overflow. */
	return base << shift;
}

/* The mechanism word of "MECH [initial-response]" is offered. */
static int
mech_offered(const struct login *l, const char *arg, size_t len)
{
	enum sasl_mech m;
	size_t ml;

	for (ml = 0; ml < len && arg[ml] != ' '; ml++)
		;
	m = sasl_mech_parse(arg, ml);
	return m != SASL_MECH_NONE && (l->mechs & (1u << m)) != 0;
}

int
login_exchange(struct login *l, const char *arg, size_t len,
    struct sasl_server *sasl)
{
	struct buf out;
	char line[SASL_LINE_MAX + 1], err[ERR_MAX];
	size_t n;
	int rc, flags, ret;

	memset(sasl, 0, sizeof(*sasl));
	l->user[0] = '\0';
	if (!mech_offered(l, arg, len))
		return LOGIN_MECH;
	buf_init(&out, SASL_LINE_MAX);
	rc = sasl_server_start(sasl, arg, len, &out, err, sizeof(err));
	while (rc == SASL_CONTINUE) {
		(void)io_line(l->io, "%s%s", l->prompt, buf_cstr(&out));
		buf_reset(&out);
		if (io_flush(l->io) == -1) {
			l->io_rc = IO_ERR;
			ret = LOGIN_LOST;
			goto out;
		}
		io_deadline_in(l->io, l->line_ms, l->end_ms);
		rc = io_getline_max(l->io, line, sizeof(line), &n, &flags);
		if (rc != IO_OK) {
			l->io_rc = rc;
			ret = LOGIN_LOST;
			goto out;
		}
		/* The trace redacts the SASL lines (log_redact). */
		if (l->trace && l->io->log != NULL)
			log_trace(l->io->log, 1, line, n);
		if (flags & IO_LINE_LONG) {
			util_wipe(line, n);
			ret = LOGIN_TOOLONG;
			goto out;
		}
		rc = sasl_server_step(sasl, line, n, &out, err, sizeof(err));
		util_wipe(line, n);
	}
	switch (rc) {
	case SASL_DONE:
		util_strlcpy(l->user, sasl->user, sizeof(l->user));
		ret = LOGIN_OK;
		break;
	case SASL_ERR_MECH: ret = LOGIN_MECH; break;
	case SASL_ERR_CANCEL: ret = LOGIN_CANCEL; break;
	case SASL_ERR_SYNTAX: ret = LOGIN_SYNTAX; break;
	default: ret = LOGIN_FAILED; break;
	}
out:
	/* What is left of the command lives within the session. */
	io_deadline_in(l->io, -1, l->end_ms);
	buf_free(&out);
	return ret;
}

void
login_fail(struct login *l, const char *user, int waited)
{
	char esc[LOG_ESC_MAX];

	l->fails++;
	/* The line for fail2ban, the same in every server. */
	log_info(l->log, "%s[%s]: authentication failed for user=%s",
	    l->host, l->addr,
	    user != NULL && user[0] != '\0' ? log_esc(esc, sizeof(esc), user)
					    : "-");
	if (!waited)
		(void)util_sleep_ms(login_backoff_ms(l->delay_ms, l->fails),
		    l->stop);
}

int
login_check(struct login *l, const char *user, const char *pass)
{
	char err[ERR_MAX];
	int rc;

	if (user != l->user)
		util_strlcpy(l->user, user, sizeof(l->user));
	/* The same answer after the same time whether the user exists or
	   not: passwd_check takes as long for both. */
	rc = l->check(l->arg, user, pass, err, sizeof(err));
	if (rc == 1)
		return LOGIN_OK;
	if (rc == 0) {
		login_fail(l, user, l->check_waits);
		return LOGIN_FAILED;
	}
	log_err(l->log, "%s[%s]: cannot check the password: %s", l->host,
	    l->addr, err);
	return LOGIN_TEMP;
}

int
login_sasl(struct login *l, const char *arg, size_t len)
{
	struct sasl_server sasl;
	int rc;

	rc = login_exchange(l, arg, len, &sasl);
	if (rc == LOGIN_OK)
		rc = login_check(l, sasl.user, sasl.pass);
	else if (rc == LOGIN_FAILED)
		/* Refused by the mechanism (an authzid): no password
		   checked, but the same delay, here even under privsep. */
		login_fail(l, sasl.user, 0);
	sasl_server_clear(&sasl);
	return rc;
}

int
login_exhausted(const struct login *l)
{
	return l->fails_max > 0 && l->fails >= l->fails_max;
}

void
login_init_server(struct login *l, struct io *io, struct log *log,
    const char *host, const char *addr, const char *prompt, int line_ms,
    int64_t end_ms, int delay_ms, int check_waits, int (*stop)(void))
{
	l->io = io;
	l->log = log;
	l->host = host;
	l->addr = addr;
	l->prompt = prompt;
	l->mechs = 1u << SASL_MECH_PLAIN;
	l->trace = log != NULL && log->trace;
	l->line_ms = line_ms;
	l->end_ms = end_ms;
	l->delay_ms = delay_ms;
	l->fails_max = LOGIN_FAILS_MAX;
	l->check_waits = check_waits;
	l->stop = stop;
}
