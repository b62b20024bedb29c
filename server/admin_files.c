#include "server/admin_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/encoding.h"
#include "common/log.h"

int
admin_spawn(const char *const argv[], int out_fd)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0) {
		log_error("admin_spawn: %s: cannot fork: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (out_fd >= 0 && dup2(out_fd, 1) < 0)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "edgeca-server: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_error("admin_spawn: %s: cannot wait: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("admin_spawn: %s failed (%s %d)", argv[0],
		          WIFEXITED(status) ? "exit status" : "signal",
		          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

int
admin_copy_file(const char *from, const char *to, mode_t mode, uid_t uid, gid_t gid)
{
	char chunk[16384];
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = -1, rc = -1;
	ssize_t n;

	if (in < 0) {
		log_error("admin_copy_file: %s: %s", from, strerror(errno));
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		log_error("admin_copy_file: %s: %s", to, strerror(errno));
		goto out;
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		if (write(out, chunk, (size_t)n) != n) {
			log_error("admin_copy_file: %s: cannot write: %s", to, strerror(errno));
			goto out;
		}
	}
	if (n < 0 || fchmod(out, mode) != 0 || (uid != (uid_t)-1 && fchown(out, uid, gid) != 0) ||
	    fsync(out) != 0) {
		log_error("admin_copy_file: %s to %s: %s", from, to, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	if (rc != 0 && out >= 0)
		unlink(to);
	return rc;
}

int
admin_make_dir(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(dir, mode) != 0 && errno != EEXIST) {
		log_error("admin_make_dir: %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chmod(dir, mode) != 0 || (uid != (uid_t)-1 && chown(dir, uid, gid) != 0)) {
		log_error("admin_make_dir: %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
admin_staging_new(char path[ADMIN_PATH_MAX])
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (!admin_path(path, tmp, "edgeca-admin-XXXXXX") || mkdtemp(path) == NULL) {
		log_error("admin_staging_new: cannot make a directory in %s: %s", tmp, strerror(errno));
		path[0] = '\0';
		return -1;
	}
	return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		log_warn("admin_tree_remove: %s: %s", path, strerror(errno));
	return 0;
}

void
admin_tree_remove(const char *dir)
{
	if (dir != NULL && dir[0] != '\0')
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
admin_kek_id(const char *kek_file, char id[KEK_ID_HEX])
{
	static const char label[] = "edgeca-signer kek id v1";
	unsigned char kek[KEK_BYTES + 1], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int fd = open(kek_file, O_RDONLY | O_CLOEXEC), rc = -1;
	ssize_t n = fd >= 0 ? read(fd, kek, sizeof(kek)) : -1;

	if (n != KEK_BYTES) {
		log_error("admin_kek_id: %s: %s", kek_file,
		          fd < 0 ? strerror(errno) : "not a KEK (32 bytes)");
		goto out;
	}
	if (HMAC(EVP_sha256(), kek, KEK_BYTES, (const unsigned char *)label, strlen(label), md,
	         &md_len) == NULL)
		goto out;
	hex_encode(md, KEK_ID_BYTES, id);
	rc = 0;
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(md, sizeof(md));
	if (fd >= 0)
		close(fd);
	return rc;
}

int
admin_each_file(const char *dir, const char *suffix, int (*fn)(const char *name, void *arg),
                void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(suffix);
	int rc = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error("admin_each_file: %s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		char path[ADMIN_PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.' || nl < sl || strcmp(e->d_name + nl - sl, suffix) != 0)
			continue;
		if (!admin_path(path, dir, e->d_name) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rc = fn(e->d_name, arg);
	}
	closedir(d);
	return rc;
}

bool
admin_path(char out[ADMIN_PATH_MAX], const char *a, const char *b)
{
	int n = snprintf(out, ADMIN_PATH_MAX, "%s/%s", a, b);

	return n > 0 && n < ADMIN_PATH_MAX;
}
