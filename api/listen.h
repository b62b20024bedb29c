/* What the API and EST listeners share: the socket address from
 * EDGECA_BIND_ADDRESS and a port, and the TLS versions they speak. */
#ifndef EDGECA_API_LISTEN_H
#define EDGECA_API_LISTEN_H

#include <sys/socket.h>

#include "common/error.h"

/* TLS 1.3 and 1.2 only (libmicrohttpd over GnuTLS). */
#define LISTEN_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct listen_addr {
	struct sockaddr_storage ss;
	unsigned mhd_flags; /* MHD_USE_DUAL_STACK for an IPv6 address */
};

edgeca_err listen_addr_make(const char *bind_address, unsigned port, struct listen_addr *out,
                            struct edgeca_msg *msg);

#endif
