/*
 * lockfile.c: fcntl(2) lock files and atomic replacement of small
 * files (see lockfile.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockfile.h"
#include "util.h"

/* Polling for a lock: first and longest sleep, milliseconds. */
#define LOCK_SLEEP_MIN 1
#define LOCK_SLEEP_MAX 50

static int
fail(char *err, size_t errlen, const char *path)
{
	int saved = errno;

	util_seterr(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

static int
pathf(char *out, size_t outlen, const char *dir, const char *a)
{
	int n = snprintf(out, outlen, "%s/%s", dir, a);

	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

int
lockfile_lock(const char *dir, const char *name, int wait_s, int *fdp,
    char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct flock fl;
	int64_t deadline;
	long delay = LOCK_SLEEP_MIN;
	int fd, saved;

	*fdp = -1;
	if (pathf(p, sizeof(p), dir, name) != 0)
		return fail(err, errlen, dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(err, errlen, p);
	deadline = util_now_ms() + (int64_t)wait_s * 1000;
	for (;;) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			*fdp = fd;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EACCES && errno != EAGAIN) {
			(void)fail(err, errlen, p);
			break;
		}
		if (wait_s == 0) {
			util_seterr(
			    err, errlen, "%s: in use by another session", p);
			errno = EWOULDBLOCK;
			break;
		}
		if (util_now_ms() >= deadline) {
			util_seterr(err, errlen, "%s: still locked after %d s",
			    p, wait_s);
			errno = EAGAIN;
			break;
		}
		sleep_ms(delay);
		if (delay < LOCK_SLEEP_MAX)
			delay *= 2;
	}
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

int
lockfile_replace(const char *dir, const char *name, const char *tmpname,
    struct buf *bp, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	struct buf b = *bp;
	int fd = -1, saved;

	buf_init(bp, 0);
	if (pathf(tmp, sizeof(tmp), dir, tmpname) != 0 ||
	    pathf(dst, sizeof(dst), dir, name) != 0) {
		buf_free(&b);
		return fail(err, errlen, dir);
	}
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	if (util_write_all(fd, b.data, b.len) != 0 || fsync(fd) != 0)
		goto fail_unlink;
	if (close(fd) != 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, dst) != 0)
		goto fail_unlink;
	buf_free(&b);
	if (util_fsync_dir(dir) != 0)
		return fail(err, errlen, dir);
	return 0;
fail_unlink:
	saved = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	buf_free(&b);
	errno = saved;
	return fail(err, errlen, tmp);
}
