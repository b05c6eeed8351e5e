/*
 * imapd_idle.c: IDLE (RFC 2177, RFC 9051 §6.3.13).  After "+ idling"
 * the session waits for either the client's "DONE" or a change in the
 * selected folder, and sends the untagged updates (imapd_sync, expunges
 * allowed) as they come.  Changes are seen through inotify(7) on the
 * folder's directory, new/ and cur/ (Linux), so new mail is reported
 * within a second; where inotify is not there (or cannot be set up) the
 * folder is polled every IMAPD_IDLE_POLL_MS, and even with inotify it is
 * looked at every IMAPD_IDLE_SAFETY_MS, for a Maildir on NFS where
 * another host's changes raise no event.  With `mimap serve --idle-poll
 * N' (c->idle_poll) inotify is never used, for IDLE nor NOTIFY: on NFS
 * it "works" but stays silent about other clients' changes, so the
 * folders are looked at every N seconds instead.  An IDLE lasts at most
 * the autologout timeout (RFC 2177: clients re-issue it well before),
 * and while it runs nothing but "DONE" is read.
 *
 * With NOTIFY (imapd_notify.c) an IDLE also watches the other folders:
 * their inotify descriptor is polled too, and each wake-up (or poll
 * round, faster when some folder has no watch) sends their STATUS and
 * LIST news after the selected folder's.  imapd_wait_command does the
 * same between commands while NOTIFY is set.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "imapd.h"
#include "server.h"
#include "util.h"

/* Polling without inotify (a Maildir on NFS): about every 2 s. */
#define IMAPD_IDLE_POLL_MS 2000
/* With inotify, a look anyway now and then (NFS: remote changes). */
#define IMAPD_IDLE_SAFETY_MS 30000

/* An inotify descriptor watching dir, dir/new and dir/cur, or -1
   (also with --idle-poll: polling only). */
static int
watch_open(const struct imapd *s, const char *dir)
{
#ifdef __linux__
	static const char *const sub[] = {"", "/new", "/cur"};
	char p[PATH_MAX];
	size_t k;
	int fd, n;

	if (s->c->idle_poll > 0 ||
	    (fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	for (k = 0; k < sizeof(sub) / sizeof(sub[0]); k++) {
		n = snprintf(p, sizeof(p), "%s%s", dir, sub[k]);
		if (n < 0 || (size_t)n >= sizeof(p) ||
		    inotify_add_watch(fd, p,
			IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
			    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
			    IN_ONLYDIR) == -1) {
			(void)close(fd);
			return -1;
		}
	}
	return fd;
#else
	(void)s;
	(void)dir;
	return -1;
#endif
}

/*
 * Milliseconds between looks without an event: --idle-poll's; else a
 * safety look now and then when inotify watches all there is to watch
 * (watched), or the polling interval when something goes unwatched.
 */
static int
look_every(const struct imapd *s, int watched)
{
	if (s->c->idle_poll > 0)
		return s->c->idle_poll * 1000;
	return watched ? IMAPD_IDLE_SAFETY_MS : IMAPD_IDLE_POLL_MS;
}

/* Read and drop what the watch says (it only wakes us). */
static void
watch_drain(int fd)
{
	char ev[4096];

	while (read(fd, ev, sizeof(ev)) > 0)
		;
}

/* Is input waiting in io's buffers (plain or TLS)? */
static int
input_buffered(struct imapd *s)
{
	if (io_buffered(&s->io) > 0)
		return 1;
	return s->io.tls != NULL && tls_pending(s->io.tls) > 0;
}

/* Read the line that ends the IDLE.  0 to go on, -1 to end the session. */
static int
read_done(struct imapd *s)
{
	char line[IMAP_CMD_LINE_MAX + 1];
	size_t len;
	int rc, flags;

	io_deadline_in(&s->io, (int64_t)s->c->timeout * 1000, s->end_ms);
	if ((rc = io_getline_max(&s->io, line, sizeof(line), &len, &flags)) !=
	    IO_OK) {
		if (server_terminating()) {
			imapd_untagged(s, "BYE server shutting down");
			s->result = "shutdown";
		} else if (rc == IO_TIMEOUT) {
			imapd_untagged(s, "BYE autologout; idle for too long");
			s->result = "timeout";
		} else
			s->result = rc == IO_EOF ? "eof" : "lost";
		return -1;
	}
	if (!(flags & IO_LINE_LONG) && len == 4 &&
	    strncasecmp(line, "DONE", 4) == 0)
		imapd_ok(s, NULL, "IDLE terminated");
	else
		imapd_bad(s, NULL, "expected DONE");
	return 0;
}

int
imapd_idle(struct imapd *s)
{
	struct pollfd pfd[3];
	int64_t now, until, next;
	int wfd = -1, nfd, ms, r, rc = 0, every, woke;
	nfds_t np;

	if (s->p.nargs != 0) {
		imapd_bad(s, NULL, "IDLE takes no arguments");
		return 0;
	}
	if (s->mb_open)
		wfd = watch_open(s, s->mb.dir);
	nfd = imapd_notify_fd(s);
	every = look_every(s, (wfd != -1 || !s->mb_open) &&
	    !imapd_notify_polled(s) && (s->notify == NULL || nfd != -1));
	/* What happened before the IDLE first. */
	if (imapd_sync(s, 1) == -1)
		return -1;
	(void)imapd_notify_check(s);
	(void)io_puts(&s->io, "+ idling\r\n");
	if (io_flush(&s->io) == -1) {
		s->result = "lost";
		rc = -1;
		goto out;
	}
	/* RFC 2177 §3: bounded by the autologout timer. */
	until = util_now_ms() + (int64_t)s->c->timeout * 1000;
	if (s->end_ms > 0 && s->end_ms < until)
		until = s->end_ms;
	next = util_now_ms() + every;
	for (;;) {
		if (input_buffered(s)) {
			rc = read_done(s);
			break;
		}
		now = util_now_ms();
		if (now >= until) {
			imapd_untagged(s, "BYE autologout; idle for too long");
			s->result = "timeout";
			rc = -1;
			break;
		}
		if (server_terminating()) {
			imapd_untagged(s, "BYE server shutting down");
			s->result = "shutdown";
			rc = -1;
			break;
		}
		ms = (int)((next < until ? next : until) - now);
		if (ms < 0)
			ms = 0;
		pfd[0].fd = s->io.rfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		np = 1;
		if (wfd != -1) {
			pfd[np].fd = wfd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		if (nfd != -1) {
			pfd[np].fd = nfd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		r = poll(pfd, np, ms);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			s->result = "lost";
			rc = -1;
			break;
		}
		if (pfd[0].revents != 0) {
			rc = read_done(s);
			break;
		}
		woke = 0;
		if (r > 0 && wfd != -1 && pfd[1].revents != 0) {
			watch_drain(wfd);
			woke = 1;
		}
		if (r > 0 && nfd != -1 && pfd[np - 1].revents != 0)
			woke = 1; /* imapd_notify_check drains it */
		if (!woke && util_now_ms() < next)
			continue;
		next = util_now_ms() + every;
		if (imapd_sync(s, 1) == -1) {
			rc = -1;
			break;
		}
		(void)imapd_notify_check(s);
		if (io_flush(&s->io) == -1) {
			s->result = "lost";
			rc = -1;
			break;
		}
	}
out:
	if (wfd != -1)
		(void)close(wfd);
	return rc;
}

/*
 * Between commands, with NOTIFY set (RFC 5465 §1: notifications may
 * come at any time no command is in progress): wait for the next
 * command while sending the watched folders' news, and the selected
 * folder's EXISTS/EXPUNGE/FETCH when SELECTED asks for MessageNew.
 * Bounded by the read's deadline (s->io.deadline): once it passes the
 * read that follows times out as it would have without the wait.
 */
int
imapd_wait_command(void *sess)
{
	struct imapd *s = sess;
	struct pollfd pfd[3];
	int64_t now, until, next;
	int wfd = -1, nfd, sel, ms, r, rc = 0, every, woke;
	nfds_t np, wi = 0, ni = 0;

	if (s->notify == NULL || input_buffered(s))
		return 0;
	nfd = imapd_notify_fd(s);
	sel = s->mb_open && imapd_notify_selected(s);
	if (sel)
		wfd = watch_open(s, s->mb.dir);
	every = look_every(s,
	    (wfd != -1 || !sel) && nfd != -1 && !imapd_notify_polled(s));
	until = s->io.deadline;
	next = util_now_ms() + every;
	for (;;) {
		now = util_now_ms();
		if (server_terminating() || (until > 0 && now >= until))
			break;
		ms = (int)((until > 0 && until < next ? until : next) - now);
		if (ms < 0)
			ms = 0;
		np = 0;
		pfd[np].fd = s->io.rfd;
		pfd[np].events = POLLIN;
		pfd[np++].revents = 0;
		if (wfd != -1) {
			wi = np;
			pfd[np].fd = wfd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		if (nfd != -1) {
			ni = np;
			pfd[np].fd = nfd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		r = poll(pfd, np, ms);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			break; /* the read says what went wrong */
		}
		if (pfd[0].revents != 0)
			break;
		woke = 0;
		if (r > 0 && wfd != -1 && pfd[wi].revents != 0) {
			watch_drain(wfd);
			woke = 1;
		}
		if (r > 0 && nfd != -1 && pfd[ni].revents != 0)
			woke = 1;
		if (!woke && util_now_ms() < next)
			continue;
		next = util_now_ms() + every;
		if (sel && imapd_sync(s, 1) == -1) {
			rc = -1;
			break;
		}
		(void)imapd_notify_check(s);
		if (io_flush(&s->io) == -1) {
			s->result = "lost";
			rc = -1;
			break;
		}
	}
	if (wfd != -1)
		(void)close(wfd);
	return rc;
}
