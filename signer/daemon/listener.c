#include "signer/daemon/listener.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

struct conn {
	int fd;
	struct signer_service *svc;
	struct conn *next;
};

struct conn_set {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct conn *list;
	unsigned count;
};

struct conn_arg {
	struct conn_set *set;
	struct conn *c;
};

/* The socket is bound under a temporary name beside path, listens, and is
 * then renamed to path: a client that finds the file can connect (its
 * connection waits in the backlog until the signer serves), so whoever
 * waits for the file to appear (scripts/run, the tests, a service
 * manager) never meets a socket that refuses connections. */
int
listener_bind(const char *path, uid_t owner, gid_t group)
{
	static const char tmp_suffix[] = ".new";
	struct sockaddr_un sa;
	mode_t old_mask;
	int fd, bound = 0;

	if (strlen(path) + sizeof(tmp_suffix) > sizeof(sa.sun_path)) {
		log_error("listener_bind: socket path %s is longer than %zu bytes", path,
		          sizeof(sa.sun_path) - sizeof(tmp_suffix));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s%s", path, tmp_suffix);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* The socket is created as its owner with mode 0600 in one step: no
	 * chmod or chown by name afterwards, which the owner of the directory
	 * could redirect with a symlink. As root, only the file system ids
	 * change, and only for these calls. */
	if (geteuid() == 0) {
		setfsgid(group);
		setfsuid(owner);
		if ((uid_t)setfsuid(owner) != owner || (gid_t)setfsgid(group) != group) {
			log_error("listener_bind: cannot act as uid %d for the socket", (int)owner);
			goto fail;
		}
	}
	old_mask = umask(0177);
	/* A socket left by an earlier run would make bind fail; unlink never
	 * follows a symlink, nor does rename (it replaces the name itself). */
	if (unlink(sa.sun_path) != 0 && errno != ENOENT)
		log_error("listener_bind: cannot remove stale %s: %s", sa.sun_path, strerror(errno));
	else if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		log_error("listener_bind: bind %s: %s", sa.sun_path, strerror(errno));
	else if (listen(fd, 128) != 0)
		log_error("listener_bind: listen %s: %s", sa.sun_path, strerror(errno));
	else if (rename(sa.sun_path, path) != 0)
		log_error("listener_bind: rename %s to %s: %s", sa.sun_path, path, strerror(errno));
	else
		bound = 1;
	if (!bound)
		(void)unlink(sa.sun_path);
	umask(old_mask);
	if (geteuid() == 0) {
		setfsuid(0);
		setfsgid(0);
	}
	if (!bound)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
listener_uid_allowed(const struct listener_config *cfg, uid_t uid)
{
	for (size_t i = 0; i < cfg->n_allowed; i++)
		if (cfg->allowed_uids[i] == uid)
			return 1;
	return 0;
}

static void
conn_remove(struct conn_set *set, struct conn *c)
{
	pthread_mutex_lock(&set->lock);
	for (struct conn **pp = &set->list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	set->count--;
	if (set->count == 0)
		pthread_cond_broadcast(&set->idle);
	pthread_mutex_unlock(&set->lock);
}

static void
reply_internal(struct signer_writer *w)
{
	signer_writer_free(w);
	signer_writer_init(w, SIGNER_REPLY_ERROR);
	signer_put_u32(w, SIGNER_TAG_ERROR_CODE, SIGNER_E_INTERNAL);
	signer_put_str(w, SIGNER_TAG_ERROR_MESSAGE, "the signer could not encode its reply");
	signer_writer_finish(w);
}

static void *
conn_main(void *arg)
{
	struct conn_arg *a = arg;
	struct conn *c = a->c;
	struct conn_set *set = a->set;
	struct signer_session session = {NULL};

	free(a);
	for (;;) {
		struct signer_msg m;
		struct signer_writer w;
		int r = signer_read_msg(c->fd, &m);

		if (r == 1)
			break; /* peer closed */
		if (r != 0) {
			log_debug("conn_main: fd=%d: malformed frame, timeout or reset: closing", c->fd);
			break;
		}
		if (signer_service_handle(c->svc, &session, &m, &w) != 0) {
			log_warn("conn_main: fd=%d: request type %u breaks its schema: closing", c->fd,
			         m.type);
			signer_msg_free(&m);
			signer_writer_free(&w);
			break;
		}
		signer_msg_free(&m);
		if (signer_writer_finish(&w) != 0)
			reply_internal(&w);
		r = signer_write_all(c->fd, w.b.data, w.b.len);
		signer_writer_free(&w);
		if (r != 0)
			break;
	}
	signer_session_end(&session); /* a CRL left unfinished is dropped */
	/* This thread's OpenSSL state (its DRBGs, error queue) goes now, not
	 * at thread exit: once the connection is off the list, the signer may
	 * exit before a detached thread has finished exiting. */
	OPENSSL_thread_stop();
	{
		/* Off the list before the fd is closed, so shutdown at exit never
		 * touches a closed (or reused) descriptor. */
		int fd = c->fd;
		conn_remove(set, c);
		free(c);
		close(fd);
	}
	return NULL;
}

static void
conn_start(struct conn_set *set, int fd, const struct listener_config *cfg,
           struct signer_service *svc)
{
	struct timeval idle = {cfg->idle_timeout_s, 0}, send_to = {10, 0};
	struct conn *c = NULL;
	struct conn_arg *a = NULL;
	pthread_attr_t attr;
	pthread_t th;

	pthread_mutex_lock(&set->lock);
	if (set->count >= cfg->max_connections) {
		pthread_mutex_unlock(&set->lock);
		log_warn("conn_start: %u connections open, refusing another", cfg->max_connections);
		close(fd);
		return;
	}
	pthread_mutex_unlock(&set->lock);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_to, sizeof(send_to));
	c = calloc(1, sizeof(*c));
	a = calloc(1, sizeof(*a));
	if (c == NULL || a == NULL)
		goto fail;
	c->fd = fd;
	c->svc = svc;
	a->set = set;
	a->c = c;
	pthread_mutex_lock(&set->lock);
	c->next = set->list;
	set->list = c;
	set->count++;
	pthread_mutex_unlock(&set->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, conn_main, a) != 0) {
		pthread_attr_destroy(&attr);
		a = NULL; /* c is on the list: take it off */
		conn_remove(set, c);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	return;
fail:
	log_error("conn_start: cannot start a connection thread");
	free(a);
	free(c);
	close(fd);
}

int
listener_run(int listen_fd, int wake_fd, const struct listener_config *cfg,
             struct signer_service *svc)
{
	struct conn_set set = {.list = NULL, .count = 0};
	struct pollfd pfd[2] = {{listen_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};

	pthread_mutex_init(&set.lock, NULL);
	pthread_cond_init(&set.idle, NULL);
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("listener_run: poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* out of descriptors: the pending peer stays queued; wait
			 * for connections to end instead of spinning */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				usleep(50000);
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
		    !listener_uid_allowed(cfg, cred.uid)) {
			log_warn("listener_run: refused a peer with uid %d pid %d",
			         len == sizeof(cred) ? (int)cred.uid : -1,
			         len == sizeof(cred) ? (int)cred.pid : -1);
			close(fd);
			continue;
		}
		conn_start(&set, fd, cfg, svc);
	}
	/* Unblock every connection thread and wait for them. */
	pthread_mutex_lock(&set.lock);
	for (struct conn *c = set.list; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (set.count > 0)
		pthread_cond_wait(&set.idle, &set.lock);
	pthread_mutex_unlock(&set.lock);
	pthread_cond_destroy(&set.idle);
	pthread_mutex_destroy(&set.lock);
	return 0;
}
