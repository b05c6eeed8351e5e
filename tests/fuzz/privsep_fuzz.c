/*
 * privsep_fuzz: the privileged side's reader of messages from the
 * unprivileged one (common/privsep.c), fed hostile datagrams.  The
 * input is sent as one datagram over a SOCK_SEQPACKET socketpair and
 * read back with privsep_recv.  Checks the promises, not only the
 * absence of crashes: a message taken has at most PRIVSEP_FIELDS_MAX
 * fields, each NUL-terminated at its length with no NUL inside, all
 * within the message; privsep_field bounds them; a message sent with
 * privsep_send from those fields reads back the same.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void
check(const struct privsep_msg *m)
{
	size_t i;

	if (m->n > PRIVSEP_FIELDS_MAX || m->fd != -1)
		abort();
	for (i = 0; i < m->n; i++) {
		if (m->field[i] < m->buf ||
		    m->field[i] + m->len[i] >= m->buf + sizeof(m->buf))
			abort();
		if (m->field[i][m->len[i]] != '\0' ||
		    memchr(m->field[i], '\0', m->len[i]) != NULL)
			abort();
		if (privsep_field(m, i, m->len[i]) != m->field[i])
			abort();
		if (m->len[i] > 0 &&
		    privsep_field(m, i, m->len[i] - 1) != NULL)
			abort();
	}
	if (privsep_field(m, m->n, PRIVSEP_MSG_MAX) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct privsep_msg m, again;
	const char *f[PRIVSEP_FIELDS_MAX];
	int sv[2], rc;
	size_t i;

	if (n > PRIVSEP_MSG_MAX + 16)
		return 0;
	if (privsep_socketpair(sv) == -1)
		abort();
	if (n > 0 && send(sv[1], d, n, 0) != (ssize_t)n)
		abort();
	if (n == 0)
		(void)shutdown(sv[1], SHUT_WR);
	rc = privsep_recv(sv[0], &m, 1000);
	if (rc == 1) {
		check(&m);
		/* What was taken goes out and comes back the same. */
		for (i = 0; i < m.n; i++)
			f[i] = m.field[i];
		if (privsep_send(sv[1], m.type, -1, m.n, f) == 0) {
			if (privsep_recv(sv[0], &again, 1000) != 1 ||
			    again.type != m.type || again.n != m.n)
				abort();
			for (i = 0; i < m.n; i++)
				if (again.len[i] != m.len[i] ||
				    memcmp(again.field[i], m.field[i],
					m.len[i]) != 0)
					abort();
		}
	} else if (rc == -1 && errno != EBADMSG)
		abort();
	(void)close(sv[0]);
	(void)close(sv[1]);
	return 0;
}
