/*
 * floor: the least a durable Maildir delivery can do, used by
 * bench/mdeliver.sh as the lower bound for one delivery per process.
 *
 *	floor MAILDIR < message
 *
 * Copies stdin into MAILDIR/tmp/UNIQUE, fsyncs the file, links it into
 * MAILDIR/new/, unlinks the tmp name and fsyncs MAILDIR/new/.  Nothing
 * else: no header added, no line-ending conversion, no size limit, no
 * cleanup of tmp/ on failure.  It is a yardstick, not a delivery agent.
 * Exit 0 when the message is durably in new/, 75 on any failure.
 */

#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FLOOR_EXIT_TEMPFAIL 75

static int
fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return FLOOR_EXIT_TEMPFAIL;
}

static int
copy(int in, int out)
{
	static char buf[65536];
	ssize_t n, w, off;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				return -1;
			}
		}
	}
}

int
main(int argc, char *argv[])
{
	char host[256], name[512], tmp[PATH_MAX], new[PATH_MAX];
	struct timeval tv;
	int fd, dfd;

	if (argc != 2) {
		fputs("usage: floor MAILDIR < message\n", stderr);
		return 64;
	}
	if (gethostname(host, sizeof(host)) == -1)
		return fail("gethostname");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, "/:")] = '\0';
	if (gettimeofday(&tv, NULL) == -1)
		return fail("gettimeofday");
	snprintf(name, sizeof(name), "%lld.M%ldP%ld.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), host);
	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s", argv[1], name) >=
		(int)sizeof(tmp) ||
	    snprintf(new, sizeof(new), "%s/new/%s", argv[1], name) >=
		(int)sizeof(new)) {
		fputs("floor: path too long\n", stderr);
		return 64;
	}

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return fail(tmp);
	if (copy(STDIN_FILENO, fd) == -1)
		return fail("copy");
	if (fsync(fd) == -1)
		return fail("fsync");
	if (close(fd) == -1)
		return fail("close");
	if (link(tmp, new) == -1)
		return fail(new);
	if (unlink(tmp) == -1)
		return fail(tmp);

	snprintf(new, sizeof(new), "%s/new", argv[1]);
	dfd = open(new, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return fail(new);
	if (fsync(dfd) == -1)
		return fail("fsync new/");
	close(dfd);
	return 0;
}
