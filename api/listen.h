/* What the API and EST listeners share: the socket address from
 * EDGECA_BIND_ADDRESS and a port, how libmicrohttpd runs them, and the TLS
 * versions they speak. */
#ifndef EDGECA_API_LISTEN_H
#define EDGECA_API_LISTEN_H

#include <microhttpd.h>
#include <sys/socket.h>

#include "common/error.h"

/* A pool of threads, each waiting with poll(2) on its connections. Not
 * epoll: with libmicrohttpd 0.9.75's epoll loop, a thread whose TLS
 * handshake waits for the client's next flight keeps the connection
 * marked ready, calls recv (EAGAIN) and epoll_wait with a zero timeout
 * over and over until the client answers. Every handshake then burns a
 * core while it waits; at 16 concurrent enrollments it cost edgeca a
 * third of its EST throughput (docs/benchmarks.md). The poll loop sleeps
 * until the socket is readable. */
#define LISTEN_MHD_FLAGS (MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG)

/* TLS 1.3 and 1.2 only (libmicrohttpd over GnuTLS). */
#define LISTEN_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct listen_addr {
	struct sockaddr_storage ss;
	unsigned mhd_flags; /* MHD_USE_DUAL_STACK for an IPv6 address */
};

edgeca_err listen_addr_make(const char *bind_address, unsigned port, struct listen_addr *out,
                            struct edgeca_msg *msg);

#endif
