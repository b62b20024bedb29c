/* What the API and EST listeners share: the socket address from
 * EDGECA_BIND_ADDRESS and a port, how libmicrohttpd runs them, the TLS
 * they speak and the transport security header they send. */
#ifndef EDGECA_API_LISTEN_H
#define EDGECA_API_LISTEN_H

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "api/listen/cors.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/netaddr.h"

/* A pool of threads, each waiting with poll(2) on its connections. Not
 * epoll: with libmicrohttpd 0.9.75's epoll loop, a thread whose TLS
 * handshake waits for the client's next flight keeps the connection
 * marked ready, calls recv (EAGAIN) and epoll_wait with a zero timeout
 * over and over until the client answers. Every handshake then burns a
 * core while it waits; at 16 concurrent enrollments it cost edgeca a
 * third of its EST throughput (docs/benchmarks.md). The poll loop sleeps
 * until the socket is readable. */
#define LISTEN_MHD_FLAGS (MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG)

/* The TLS both listeners speak (libmicrohttpd over GnuTLS), in this one
 * place. TLS 1.3, and TLS 1.2 with ECDHE key exchange only (forward
 * secrecy also with an RSA certificate from EDGECA_TLS_CERT: no static
 * RSA, no finite-field DHE) and AEAD ciphers only: AES-GCM and
 * ChaCha20-Poly1305. No CBC suites with HMAC-SHA1, and no AES-CCM either
 * (TLS 1.3's TLS_AES_128_CCM_SHA256 included): no client edgeca serves
 * needs it, and one cipher family less is one less to keep an eye on.
 * No SHA-1 signature algorithms, so the EST certificate request never
 * offers a client to sign with SHA-1. TLS 1.0 and 1.1 stay off, and
 * GnuTLS refuses a client's renegotiation as before. `gnutls-cli
 * --priority '<this>' --list` shows what it enables. */
#define LISTEN_TLS_PRIORITIES                                                                  \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"          \
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:-MAC-ALL:+AEAD:"             \
	"-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1"

/* Strict-Transport-Security on every answer of both listeners: two
 * years, this host only (edgeca does not speak for other names under
 * its host's domain). */
#define LISTEN_HSTS "max-age=63072000"

/* A listener's settings, filled by the server from its configuration
 * (docs/configuration.md); the strings are borrowed for the listener's
 * life. */
struct listen_settings {
	const char *bind_address;
	unsigned port;
	unsigned threads;
	unsigned max_connections;
	unsigned connection_timeout_s;
	size_t max_body_bytes;
	unsigned signer_max_waiting; /* 0: from the threads */
	unsigned signer_timeout_s;
	/* EST: peers that may forward the client certificate in
	 * client_cert_header, and the URL devices use (for the log) */
	const struct net_addr *trusted_proxies;
	size_t n_trusted_proxies;
	const char *client_cert_header;
	const char *public_url;
	const struct cors_origins *cors_origins; /* the API listener's; NULL: no CORS */
};

struct listen_addr {
	struct sockaddr_storage ss;
	unsigned mhd_flags; /* MHD_USE_DUAL_STACK for an IPv6 address */
};

edgeca_err listen_addr_make(const char *bind_address, unsigned port, struct listen_addr *out,
                            struct edgeca_msg *msg);

/* A chunk of a request body arrived (libmicrohttpd's upload_data):
 * appended to body while the whole stays within max, else body is
 * dropped and *too_large set (the rest is read and dropped too).
 * *size becomes 0: the chunk is consumed. */
void listen_body_add(struct buf *body, bool *too_large, size_t max, const char *data,
                     size_t *size);

/* libmicrohttpd's logger for both listeners (MHD_OPTION_EXTERNAL_LOGGER):
 * one line at debug level after the prefix cls, a const char *. */
void listen_mhd_log(void *cls, const char *fmt, va_list ap);

#endif
