/*
 * batch.c: the messages of `msend --queue DIR --batch SOURCE', one at a
 * time: every file of a directory (a Maildir's new/ and cur/), or every
 * message of an mbox file ("-": the standard input).
 *
 * An mbox is read the mboxrd way: a line starting "From " begins a
 * message and is not part of it; a line ">From ", ">>From "... loses
 * one ">"; the empty line a writer puts before the next "From " line is
 * not part of the message.  Lines are taken as they are (LF or CRLF);
 * message_read makes them CRLF.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "io.h"
#include "msend.h"
#include "util.h"

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir (not dot files), sorted, appended to *names. */
static int
list_dir(const char *dir, char ***names, size_t *n, size_t *cap, char *err,
    size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX], **nn;
	struct stat st;
	size_t first = *n;

	if ((d = opendir(dir)) == NULL) {
		util_seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			de->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (*n >= BATCH_FILES_MAX) {
			util_seterr(err, errlen, "%s: more than %d files", dir,
			    BATCH_FILES_MAX);
			errno = E2BIG;
			(void)closedir(d);
			return -1;
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			if ((nn = reallocarray(*names, *cap, sizeof(*nn))) ==
			    NULL)
				goto nomem;
			*names = nn;
		}
		if (((*names)[*n] = strdup(path)) == NULL)
			goto nomem;
		(*n)++;
	}
	(void)closedir(d);
	qsort(*names + first, *n - first, sizeof(**names), cmpstr);
	return 0;
nomem:
	util_seterr(err, errlen, "%s: %s", dir, strerror(ENOMEM));
	(void)closedir(d);
	return -1;
}

static int
is_dir(const char *dir, const char *sub)
{
	char path[PATH_MAX];
	struct stat st;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
each_file(const char *dir, batch_fn fn, void *arg, char *err, size_t errlen)
{
	char **names = NULL, sub[PATH_MAX];
	size_t n = 0, cap = 0, i;
	int fd, rc = 0;

	if (is_dir(dir, "new") && is_dir(dir, "cur")) {
		/* A Maildir: what is new first, then what was seen. */
		(void)snprintf(sub, sizeof(sub), "%s/new", dir);
		rc = list_dir(sub, &names, &n, &cap, err, errlen);
		(void)snprintf(sub, sizeof(sub), "%s/cur", dir);
		if (rc == 0)
			rc = list_dir(sub, &names, &n, &cap, err, errlen);
	} else
		rc = list_dir(dir, &names, &n, &cap, err, errlen);
	for (i = 0; rc == 0 && i < n; i++) {
		if ((fd = open(names[i], O_RDONLY | O_CLOEXEC)) == -1) {
			if (errno == ENOENT)
				continue; /* taken away meanwhile */
			char why[ERR_MAX];

			util_seterr(why, sizeof(why), "%s", strerror(errno));
			rc = fn(arg, -1, names[i], why);
		} else {
			rc = fn(arg, fd, names[i], NULL);
			(void)close(fd);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---------------------------------------------------------------- mbox */

struct mbox {
	struct io in;
	int spool; /* the message being read, rewound for fn */
	char name[PATH_MAX + 64];
	const char *path;
	unsigned long lineno, msgno, start;
	int have; /* a message has begun */
	int blank; /* the last line given was empty, held back */
	int blank_eol; /* ... and how it ended */
};

static int
spool_put(struct mbox *mb, const char *p, size_t n, char *err, size_t errlen)
{
	if (util_write_all(mb->spool, p, n) == -1) {
		util_seterr(err, errlen, "temp file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A line's ending as it was. */
static int
spool_eol(struct mbox *mb, int eol, char *err, size_t errlen)
{
	switch (eol) {
	case IO_EOL_CRLF: return spool_put(mb, "\r\n", 2, err, errlen);
	case IO_EOL_LF: return spool_put(mb, "\n", 1, err, errlen);
	case IO_EOL_CR: return spool_put(mb, "\r", 1, err, errlen);
	default: return 0;
	}
}

/* The message read so far to fn; the spool emptied for the next. */
static int
mbox_give(struct mbox *mb, batch_fn fn, void *arg, char *err, size_t errlen)
{
	int rc;

	if (!mb->have)
		return 0;
	(void)snprintf(mb->name, sizeof(mb->name), "%s: message %lu (line %lu)",
	    mb->path, mb->msgno, mb->start);
	if (lseek(mb->spool, 0, SEEK_SET) == -1) {
		util_seterr(err, errlen, "temp file: %s", strerror(errno));
		return -1;
	}
	rc = fn(arg, mb->spool, mb->name, NULL);
	if (ftruncate(mb->spool, 0) == -1 || lseek(mb->spool, 0, SEEK_SET) ==
	    -1) {
		util_seterr(err, errlen, "temp file: %s", strerror(errno));
		return -1;
	}
	mb->have = 0;
	mb->blank = 0;
	return rc;
}

static int
each_mbox(const char *path, batch_fn fn, void *arg, char *err, size_t errlen)
{
	struct mbox mb;
	char line[BATCH_LINE_MAX + 2];
	size_t len, q;
	int fd, eol, rc = 0, r, cont = 0, whole;

	memset(&mb, 0, sizeof(mb));
	mb.path = strcmp(path, "-") == 0 ? "standard input" : path;
	if (strcmp(path, "-") == 0)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((mb.spool = util_spool_open(PROG, err, errlen)) == -1) {
		if (fd != 0)
			(void)close(fd);
		return -1;
	}
	io_init(&mb.in, fd, -1, 0);
	for (;;) {
		r = io_getline(&mb.in, line, sizeof(line) - 2, &len, &eol);
		if (r == IO_EOF)
			break;
		if (r != IO_OK) {
			util_seterr(err, errlen, "%s: %s", mb.path,
			    mb.in.err);
			rc = -1;
			break;
		}
		whole = eol != IO_EOL_NONE;
		if (cont) {
			/* The rest of a long line: as it is. */
			rc = spool_put(&mb, line, len, err, errlen);
			if (rc == 0 && whole)
				rc = spool_eol(&mb, eol, err, errlen);
			cont = !whole;
			if (rc != 0)
				break;
			continue;
		}
		mb.lineno++;
		if (len >= 5 && memcmp(line, "From ", 5) == 0) {
			if ((rc = mbox_give(&mb, fn, arg, err, errlen)) != 0)
				break;
			mb.have = 1;
			mb.msgno++;
			mb.start = mb.lineno + 1;
			/* The rest of a long "From " line goes with it. */
			while (eol == IO_EOL_NONE &&
			    io_getline(&mb.in, line, sizeof(line) - 2, &len,
				&eol) == IO_OK)
				;
			continue;
		}
		if (!mb.have) {
			util_seterr(err, errlen,
			    "%s: line %lu: not an mbox (a message starts "
			    "with a \"From \" line)",
			    mb.path, mb.lineno);
			errno = EINVAL;
			rc = -1;
			break;
		}
		/* An empty line is held back: if a "From " line follows,
		   it was the separator. */
		if (mb.blank) {
			rc = spool_eol(&mb, mb.blank_eol, err, errlen);
			mb.blank = 0;
			if (rc != 0)
				break;
		}
		if (len == 0 && (eol == IO_EOL_CRLF || eol == IO_EOL_LF)) {
			mb.blank = 1;
			mb.blank_eol = eol;
			continue;
		}
		/* mboxrd: ">From " quoted with one more '>'. */
		q = strspn(line, ">");
		if (q > 0 && len >= q + 5 && memcmp(line + q, "From ", 5) == 0)
			rc = spool_put(&mb, line + 1, len - 1, err, errlen);
		else
			rc = spool_put(&mb, line, len, err, errlen);
		if (rc == 0 && whole)
			rc = spool_eol(&mb, eol, err, errlen);
		cont = !whole;
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = mbox_give(&mb, fn, arg, err, errlen);
	io_close(&mb.in);
	(void)close(mb.spool);
	if (fd != 0)
		(void)close(fd);
	return rc;
}

int
batch_each(const char *path, batch_fn fn, void *arg, char *err, size_t errlen)
{
	struct stat st;

	err[0] = '\0';
	if (strcmp(path, "-") != 0 && stat(path, &st) == -1) {
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (strcmp(path, "-") != 0 && S_ISDIR(st.st_mode))
		return each_file(path, fn, arg, err, errlen);
	return each_mbox(path, fn, arg, err, errlen);
}
