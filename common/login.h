/*
 * login.h: the one login path of every server (DESIGN.md, "session"),
 * after Dovecot's login-common/client-common-auth.c: the SASL server
 * exchange (PLAIN, LOGIN) over io, the credential check through a
 * function the server gives (passwd_check, or the privileged parent's
 * answer), and the failure bookkeeping: a count per session, a delay
 * that doubles with each failure up to LOGIN_BACKOFF_SHIFT_MAX
 * doublings, the limit after which the session ends, the count handed
 * to the listener (server_exit_status), and the one log line for
 * fail2ban:
 *
 *	HOST[ADDR]: authentication failed for user=NAME
 *
 * with NAME escaped by log_esc ("-" when none was given).  The protocol
 * words its own replies from what these functions return.
 */
#ifndef YUBIN_LOGIN_H
#define YUBIN_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "io.h"
#include "log.h"
#include "sasl.h"

/* Failed logins after which a session ends. */
#define LOGIN_FAILS_MAX 3
/* The delay doubles at most this many times (8 times the first). */
#define LOGIN_BACKOFF_SHIFT_MAX 3

enum login_rc {
	LOGIN_OK = 0,	/* credentials good (l->user holds the name) */
	LOGIN_FAILED,	/* wrong: counted, logged, delayed */
	LOGIN_TEMP,	/* the check could not be made */
	LOGIN_MECH,	/* mechanism not offered */
	LOGIN_CANCEL,	/* the client sent "*" */
	LOGIN_SYNTAX,	/* a response that does not decode */
	LOGIN_TOOLONG,	/* a response line over SASL_LINE_MAX */
	LOGIN_LOST	/* reading or writing failed: l->io_rc */
};

struct login {
	struct io *io;
	struct log *log;
	const char *host, *addr; /* the peer, for the log line */
	const char *prompt; /* before a challenge: "334 " or "+ " */
	unsigned mechs; /* 1u << SASL_MECH_PLAIN | ... offered */
	int trace; /* trace the client's lines (redacted) on io->log */
	int line_ms; /* each response line must come within this */
	int64_t end_ms; /* the session's deadline, 0: none */
	int delay_ms; /* after the first failure; doubles with each */
	int fails_max; /* 0: no limit */
	/*
	 * Check user and pass: 1 good, 0 wrong, -1 could not (err says
	 * why, logged here).  check_waits: check() already waited the
	 * delay after a wrong password (the privileged parent keeps it,
	 * so an unprivileged process cannot guess faster).
	 */
	int (*check)(void *arg, const char *user, const char *pass,
	    char *err, size_t errlen);
	void *arg;
	int check_waits;
	int (*stop)(void); /* ends a delay early (SIGTERM), may be NULL */
	/* Results. */
	int fails; /* failed logins of the session */
	int io_rc; /* LOGIN_LOST: IO_EOF, IO_TIMEOUT or IO_ERR */
	char user[SASL_FIELD_MAX + 1]; /* the name of the last attempt */
};

/*
 * A server session's login, as every server sets it up: PLAIN offered,
 * LOGIN_FAILS_MAX failures, the trace when log traces, the rest as
 * given (the fields are those of struct login).
 */
void	login_init_server(struct login *l, struct io *io, struct log *log,
	    const char *host, const char *addr, const char *prompt,
	    int line_ms, int64_t end_ms, int delay_ms, int check_waits,
	    int (*stop)(void));

/* The delay after the fails-th failure: base doubled fails - 1 times,
   at most LOGIN_BACKOFF_SHIFT_MAX; 0 when fails < 1. */
int	login_backoff_ms(int base, int fails);

/*
 * The SASL exchange for "AUTH arg" ("MECH [initial-response]"): send
 * each challenge after l->prompt, read each response with
 * io_getline_max under l->line_ms and l->end_ms.  LOGIN_OK with the
 * credentials in sasl (the caller clears it), LOGIN_FAILED when the
 * mechanism refused them (not counted: see login_fail), or LOGIN_MECH,
 * LOGIN_CANCEL, LOGIN_SYNTAX, LOGIN_TOOLONG, LOGIN_LOST.
 */
int	login_exchange(struct login *l, const char *arg, size_t len,
	    struct sasl_server *sasl);
/* Check user and pass: LOGIN_OK, LOGIN_FAILED (login_fail done) or
   LOGIN_TEMP (logged). */
int	login_check(struct login *l, const char *user, const char *pass);
/* The exchange, then the check: what either returns. */
int	login_sasl(struct login *l, const char *arg, size_t len);
/* A failed login of user (NULL: none given): count, log, and wait the
   delay unless waited (the check did). */
void	login_fail(struct login *l, const char *user, int waited);
/* Has the session used up its failed logins? */
int	login_exhausted(const struct login *l);

#endif
