/*
 * util.c: small helpers shared by every module.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

size_t
util_strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);

	if (dstsize > 0) {
		size_t n = len < dstsize - 1 ? len : dstsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
util_strlcat(char *dst, const char *src, size_t dstsize)
{
	size_t dlen = strnlen(dst, dstsize);

	if (dlen == dstsize)
		return dlen + strlen(src);
	return dlen + util_strlcpy(dst + dlen, src, dstsize - dlen);
}

void
util_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
util_parse_num(
    const char *s, long long min, long long max, int suffix, long long *out)
{
	char *end;
	long long v, mult = 1;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s) || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (suffix && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k':
		case 'K': mult = 1024LL; break;
		case 'm':
		case 'M': mult = 1024LL * 1024; break;
		case 'g':
		case 'G': mult = 1024LL * 1024 * 1024; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0')
		return -1;
	if (mult > 1) {
		if (v > LLONG_MAX / mult || v < LLONG_MIN / mult)
			return -1;
		v *= mult;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
util_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
util_casecmp_n(const char *a, const char *b, size_t n)
{
	return strncasecmp(a, b, n);
}

int
util_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int
util_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

size_t
util_utf8_char(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;
	uint32_t c;

	if (len == 0)
		return 0;
	if (u[0] < 0x80) {
		if (cp != NULL)
			*cp = u[0];
		return 1;
	}
	/* RFC 3629 §4: C0, C1 and F5-FF never appear; the second octet's
	   range rules out overlong forms, surrogates and > U+10FFFF. */
	if (u[0] < 0xc2)
		return 0;
	if (u[0] < 0xe0) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] < 0xf0) {
		n = 3;
		c = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;
		else if (u[0] == 0xed)
			hi = 0x9f;
	} else if (u[0] < 0xf5) {
		n = 4;
		c = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;
		else if (u[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || u[1] < lo || u[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (cp != NULL)
		*cp = c;
	return n;
}

int
util_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = util_utf8_char(s + i, len - i, NULL)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

ssize_t
util_pread_all(int fd, void *p, size_t n, off_t off)
{
	char *c = p;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, c + got, n - got, off + (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* util_file_move's piece. */
#define FILE_MOVE_CHUNK (64 * 1024)

int
util_file_move(int fd, off_t from, off_t to, off_t n)
{
	char *b;
	off_t done = 0, k, at;
	ssize_t r;
	int rc = -1;

	if (from == to || n <= 0)
		return 0;
	if ((b = malloc(FILE_MOVE_CHUNK)) == NULL)
		return -1;
	/* Forward when moving down, backward when moving up: no piece is
	   overwritten before it is read. */
	while (done < n) {
		k = n - done < FILE_MOVE_CHUNK ? n - done : FILE_MOVE_CHUNK;
		at = to < from ? done : n - done - k;
		if ((r = util_pread_all(fd, b, (size_t)k, from + at)) == -1)
			goto out;
		if (r != k) {
			errno = EIO;
			goto out;
		}
		if (lseek(fd, to + at, SEEK_SET) == -1 ||
		    util_write_all(fd, b, (size_t)k) == -1)
			goto out;
		done += k;
	}
	rc = 0;
out:
	free(b);
	return rc;
}

int
util_fsync_dir(const char *path)
{
	int fd, rc, saved;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	(void)close(fd);
	errno = saved;
	/* Some filesystems refuse fsync on directories; that is not data loss.
	 */
	if (rc < 0 && (errno == EINVAL || errno == EROFS))
		rc = 0;
	return rc;
}

int64_t
util_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
util_hostname(char *buf, size_t len)
{
	if (len == 0)
		return;
	if (gethostname(buf, len) != 0 || buf[0] == '\0')
		util_strlcpy(buf, "localhost", len);
	buf[len - 1] = '\0';
}

void
util_wipe(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
#endif
}

uint32_t
util_random(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		return r;
	/* getrandom cannot fail for 4 bytes once the pool is ready. */
	return (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
}

int
util_sleep_ms(int ms, int (*stop)(void))
{
	struct timespec ts;

	if (ms <= 0)
		return 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1) {
		if (errno != EINTR)
			return 0;
		if (stop != NULL && stop())
			return -1;
	}
	return 0;
}

const char *
util_find_prog(const char *name, char *out, size_t outlen)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (strchr(name, '/') != NULL)
		return name;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(out, outlen, "%s/%s", self, name) <
				outlen &&
			    access(out, X_OK) == 0)
				return out;
		}
	}
	return name;
}

int
util_version(const char *prog)
{
	printf("%s (yubin) %s\n", prog, PACKAGE_VERSION);
	return 0;
}

char *
util_expand_sender(const char *w, const char *from)
{
	size_t n = 0, flen = strlen(from), i;
	char *out, *o;

	/* Two passes: the length, then the copy (no buf: util is below
	   it in DESIGN's layers). */
	for (i = 0; w[i] != '\0'; i++) {
		if (w[i] == '%' && w[i + 1] == 'F') {
			n += flen;
			i++;
		} else if (w[i] == '%' && w[i + 1] == '%') {
			n++;
			i++;
		} else
			n++;
	}
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (o = out, i = 0; w[i] != '\0'; i++) {
		if (w[i] == '%' && w[i + 1] == 'F') {
			memcpy(o, from, flen);
			o += flen;
			i++;
		} else if (w[i] == '%' && w[i + 1] == '%') {
			*o++ = '%';
			i++;
		} else
			*o++ = w[i];
	}
	*o = '\0';
	return out;
}

int
util_spool_open(const char *prefix, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir != '/')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.XXXXXX", dir,
		prefix) >= sizeof(path)) {
		util_seterr(err, errlen, "%s: name too long", dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)unlink(path);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int
util_argv_take(const char *arg, int argc, char **argv, int *optind,
    char **out, size_t max, char **copy, char *err, size_t errlen)
{
	size_t n = 0;
	char *w, *save;

	*copy = NULL;
	if (arg == NULL && *optind < argc &&
	    strpbrk(argv[*optind], " \t") != NULL)
		arg = argv[(*optind)++];
	if (arg != NULL) {
		if ((*copy = strdup(arg)) == NULL) {
			util_seterr(err, errlen, "%s", strerror(errno));
			return -1;
		}
		for (w = strtok_r(*copy, " \t", &save); w != NULL;
		     w = strtok_r(NULL, " \t", &save)) {
			if (n == max)
				goto toomany;
			out[n++] = w;
		}
	} else {
		while (*optind < argc && strcmp(argv[*optind], ";") != 0) {
			if (n == max)
				goto toomany;
			out[n++] = argv[(*optind)++];
		}
		if (*optind < argc)
			(*optind)++; /* the ";" */
	}
	if (n == 0) {
		util_seterr(err, errlen, "no command given");
		return -1;
	}
	out[n] = NULL;
	return (int)n;
toomany:
	util_seterr(err, errlen, "more than %zu words", max);
	return -1;
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
util_word_decode(char *s)
{
	char *o = s;
	int hi, lo;

	if (strcmp(s, "-") == 0) {
		s[0] = '\0';
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if ((hi = util_hexval((unsigned char)s[1])) < 0 ||
		    (lo = util_hexval((unsigned char)s[2])) < 0 ||
		    hi * 16 + lo == 0)
			return -1;
		*o++ = (char)(hi * 16 + lo);
		s += 2;
	}
	*o = '\0';
	return 0;
}

int64_t
util_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
util_mkdirs(const char *dir, int *made)
{
	char p[PATH_MAX];
	size_t i, len;

	len = util_strlcpy(p, dir, sizeof(p));
	if (len >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i - 1] == '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == 0) {
			if (made != NULL)
				*made = 1;
		} else if (errno != EEXIST)
			return -1;
		p[i] = i == len ? '\0' : '/';
	}
	return 0;
}

int
util_mkparents(const char *path)
{
	char d[PATH_MAX];
	char *slash;

	if (util_strlcpy(d, path, sizeof(d)) >= sizeof(d)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((slash = strrchr(d, '/')) == NULL || slash == d)
		return 0;
	*slash = '\0';
	return util_mkdirs(d, NULL);
}
