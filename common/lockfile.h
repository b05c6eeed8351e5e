/*
 * lockfile.h: the two file disciplines every per-folder file of the
 * store uses (the UID list, the keyword file, the subscriptions file):
 * an fcntl(2) lock on a lock file beside it, and replacement by a
 * temporary file, fsync, rename(2) and fsync of the directory, so a
 * reader sees the old file or the new one, whole, and a crash loses
 * neither.
 *
 * fcntl(2) locks belong to the process and die with it (never stale);
 * they do not exclude the same process, and closing ANY descriptor of
 * the file drops the lock: never take one lock twice in a process.
 */
#ifndef YUBIN_LOCKFILE_H
#define YUBIN_LOCKFILE_H

#include <stddef.h>

#include "buf.h"

/*
 * Write-lock DIR/NAME (created 0600 when missing, never through a
 * symbolic link), waiting up to wait_s seconds (0: not at all;
 * EWOULDBLOCK then; EAGAIN when the wait ran out).  0 with the
 * descriptor in *fdp (close it to unlock), or -1 with err set.
 */
int lockfile_lock(const char *dir, const char *name, int wait_s, int *fdp,
    char *err, size_t errlen);
/*
 * Replace DIR/NAME with the bytes of b: DIR/TMPNAME (0600), fsync,
 * rename(2), fsync of DIR.  b is freed (and left empty) in any case.
 * Call it under the file's lock: TMPNAME is shared.
 */
int lockfile_replace(const char *dir, const char *name, const char *tmpname,
    struct buf *b, char *err, size_t errlen);

#endif
