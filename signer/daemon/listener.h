/* The signer's Unix socket: binding, peer checks with SO_PEERCRED and one
 * thread per connection up to a limit. */
#ifndef EDGECA_SIGNER_LISTENER_H
#define EDGECA_SIGNER_LISTENER_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "signer/daemon/service.h"

#define LISTENER_MAX_ALLOWED_UIDS 8

struct listener_config {
	uid_t allowed_uids[LISTENER_MAX_ALLOWED_UIDS];
	size_t n_allowed;
	unsigned max_connections;
	int idle_timeout_s; /* a connection idle this long is closed */
};

/* Creates the listening socket at path, mode 0600, owned by owner:group
 * when running as root (else by the caller); the file appears at path
 * only once the socket listens. Returns the fd or -1. */
int listener_bind(const char *path, uid_t owner, gid_t group);

/* Accepts and serves until a byte arrives on wake_fd; then closes every
 * connection and returns 0 once all connection threads have ended. */
int listener_run(int listen_fd, int wake_fd, const struct listener_config *cfg,
                 struct signer_service *svc);

/* True when uid is in cfg's allowed list. */
int listener_uid_allowed(const struct listener_config *cfg, uid_t uid);

#endif
