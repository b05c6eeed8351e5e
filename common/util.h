/*
 * util.h: small helpers every module needs: safe string copies, number
 * parsing, full writes, directory fsync, time.
 */
#ifndef YUBIN_UTIL_H
#define YUBIN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"


/* Copy src into dst (dstsize bytes), always NUL-terminated; strlen(src). */
size_t	util_strlcpy(char *dst, const char *src, size_t dstsize);
/* Append src to dst; returns the length it tried to create. */
size_t	util_strlcat(char *dst, const char *src, size_t dstsize);
/* snprintf into err; a convenience for the "what: why" error strings. */
void	util_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Parse a decimal number in [min, max].  Accepts an optional K, M or G
 * suffix (powers of 1024) when suffix is non-zero.  Returns 0 or -1.
 */
int	util_parse_num(const char *s, long long min, long long max, int suffix,
	    long long *out);

/* ASCII lower-case in place / case-insensitive compare of n bytes. */
void	util_lower(char *s);
int	util_casecmp_n(const char *a, const char *b, size_t n);
/* 1 when every byte of s is below 0x80 (no UTF-8), else 0. */
int	util_is_ascii(const char *s);
/* Days since 1970-01-01 of the proleptic Gregorian y-m-d (m 1-12), after
   H. Hinnant's days_from_civil. */
int64_t	util_days_from_civil(int64_t y, int m, int d);
/* The value of a hex digit, or -1. */
int	util_hexval(int c);
/*
 * Decode in place a word of the text state files (buf_put_word: "%XX"
 * for a space, "%", "-", and octets outside 0x21-0x7e; "-" alone is the
 * empty word).  0, or -1 for a bad escape or an encoded NUL.
 */
int	util_word_decode(char *s);

/*
 * The UTF-8 character at s[0..len): its length (1-4) with *cp (may be
 * NULL) its code point, or 0 when ill-formed (RFC 3629 §4: an overlong
 * form, a surrogate, above U+10FFFF, cut short) or len is 0.
 */
size_t	util_utf8_char(const char *s, size_t len, uint32_t *cp);
/* Is s[0..len) well-formed UTF-8 (RFC 3629) all through?  1 or 0. */
int	util_utf8_valid(const char *s, size_t len);

/* write(2) until done; retries EINTR and short writes.  0 or -1 (errno). */
int	util_write_all(int fd, const void *p, size_t n);
/* pread(2) n octets from off until done or the end; retries EINTR and
   short reads.  The number read (short only at the end) or -1. */
ssize_t	util_pread_all(int fd, void *p, size_t n, off_t off);
/* Move the n octets at from to to within the file fd (as memmove: the
   ranges may overlap), in pieces, without holding them.  0 or -1
   (errno; EIO when the file is shorter than from + n). */
int	util_file_move(int fd, off_t from, off_t to, off_t n);
/* fsync(2) a directory by path.  0 or -1 (errno). */
int	util_fsync_dir(const char *path);
/* mkdir -p, mode 0700 for what it makes; *made (may
   be NULL) set when something was created.  0 or -1 with errno. */
int	util_mkdirs(const char *dir, int *made);
/* The same for the directory part of a file's path ("a/b/f": a, a/b). */
int	util_mkparents(const char *path);
/* Monotonic milliseconds, for timeouts and timings. */
int64_t	util_now_ms(void);
/* The host name, for Maildir names and Received headers; never fails. */
void	util_hostname(char *buf, size_t len);
/* Wipe a secret so the compiler cannot drop the store. */
void	util_wipe(void *p, size_t n);
/* Random 32-bit number from getrandom(2) (time and pid if it fails). */
uint32_t util_random(void);

/*
 * Sleep ms milliseconds.  A signal does not cut the sleep short unless
 * stop (when not NULL) then returns non-zero.  0 when the whole time
 * was slept, -1 when stop ended it early.
 */
int	util_sleep_ms(int ms, int (*stop)(void));
/*
 * Where to exec a program: a name with a "/" as it is; else the file
 * of that name beside our own binary (/proc/self/exe: a build or
 * install tree keeps its programs together) when it is executable,
 * written into out; else name itself, for execvp's PATH search.
 */
const char *util_find_prog(const char *name, char *out, size_t outlen);
/*
 * One word of a command template (msmtpd --command, mpop fetch --mda)
 * with "%F" replaced by the envelope sender and "%%" by "%"; other
 * text, "%T" included, is copied.  A new string, NULL when out of
 * memory.
 */
char	*util_expand_sender(const char *word, const char *from);

/*
 * A spool for a message: a new file in $TMPDIR (when it is an absolute
 * path, else /tmp), unlinked at
 * once, mode 0600, close-on-exec; prefix names it while it exists
 * ("msmtpd").  The fd, or -1 with err "PATH: why".
 */
int	util_spool_open(const char *prefix, char *err, size_t errlen);
/*
 * A command given to an option, as msmtpd --command and mpop fetch
 * --mda take it: the words after the option up to an argument ";" (as
 * find -exec), or, when the option's own value (arg, from --opt=VALUE)
 * or the next word holds a space or tab, that one word split at spaces
 * and tabs: no quoting, no shell.  *optind is stepped over the words
 * taken (getopt must run in "+" mode).  out gets at most max words and
 * a NULL; *copy is what to free() after.  The number of words, or -1
 * with err set (none, too many, out of memory).
 */
int	util_argv_take(const char *arg, int argc, char **argv, int *optind,
	    char **out, size_t max, char **copy, char *err, size_t errlen);

/* Print the standard --version line for prog and return 0. */
int	util_version(const char *prog);

#endif
