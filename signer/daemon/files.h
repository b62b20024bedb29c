/* The signer's state files: whole-file reads with a size bound and
 * atomic replacement (temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves either the old or the new content. */
#ifndef EDGECA_SIGNER_FILES_H
#define EDGECA_SIGNER_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* Writes data to path (in directory dir) atomically with mode. Returns 0
 * or -1. */
int file_write_atomic(const char *dir, const char *path, const void *data, size_t len,
                      mode_t mode);

/* Reads the whole file (not following a symlink), at most max bytes, into
 * a malloc'ed, NUL-terminated buffer. Returns 0 or -1; when the file does
 * not exist, errno is ENOENT. */
int file_read(const char *path, size_t max, unsigned char **out, size_t *len);

#endif
