#include "signer/daemon/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "common/buf.h"

/* Writes data to path atomically: temporary file, fsync, rename, fsync dir. */
int
file_write_atomic(const char *dir, const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_BYTES];
	int fd = -1, dfd = -1, rc = -1;
	size_t done = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		goto out;
	while (done < len) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int
file_read(const char *path, size_t max, unsigned char **out, size_t *len)
{
	struct buf b = {0};
	unsigned char chunk[4096];
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (b.len + (size_t)r > max || buf_append(&b, chunk, (size_t)r) != 0)
			goto out;
	}
	if (buf_terminate(&b) != 0)
		goto out;
	*out = buf_take(&b, len);
	rc = 0;
out:
	close(fd);
	buf_free(&b);
	return rc;
}
