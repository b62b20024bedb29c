/* The EST endpoint (RFC 7030 with RFC 8951's clarifications) on its own
 * listener. api/est/est_server.c reads a request off libmicrohttpd (body, TLS
 * client chain, peer address); est_handle() decides the answer through
 * model/est/est.h; the answer goes back exactly as built here (status,
 * Content-Type, Content-Transfer-Encoding, exact Content-Length). Errors
 * are a short text/plain reason, as RFC 7030 clients expect. */
#ifndef EDGECA_API_EST_H
#define EDGECA_API_EST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "api/listen/gate.h"
#include "model/core/context.h"
#include "model/est/est.h"

struct est_http_request {
	struct edgeca_ctx *ctx;
	const char *method;
	const char *path;
	const char *content_type;   /* NULL when absent (header names match in any case) */
	const char *authorization;
	/* from a trusted proxy: the header holding the client's certificate
	 * (URL-encoded PEM, as nginx's $ssl_client_escaped_cert); NULL when
	 * absent or when the peer is not a trusted proxy */
	const char *forwarded_cert;
	bool from_trusted_proxy;
	const unsigned char *body;
	size_t body_len;
	bool body_too_large;
	size_t max_body;
	struct est_client tls;      /* the TLS client chain (Basic fields unset) */
	const struct sockaddr *peer; /* the TCP peer; NULL when unknown */
	/* from a trusted proxy: its last X-Forwarded-For line (the client's
	 * address is the last element); NULL otherwise */
	const char *forwarded_for;
	/* the TLS channel binding of this connection (RFC 7030 3.5):
	 * tls-unique under TLS 1.2, tls-exporter under TLS 1.3 */
	unsigned char binding[64];
	size_t binding_len;         /* 0 when unavailable */
	const char *binding_type;   /* static string */
	struct signer_gate *gate;   /* the listener's signer gate; NULL: none */
	unsigned gate_wait_ms;      /* how long an enrollment may wait for a place */
};

struct est_http_response {
	int status;
	const char *content_type;   /* static string */
	bool base64;                /* Content-Transfer-Encoding: base64 */
	char *body;                 /* malloc'ed, may be NULL when body_len is 0 */
	size_t body_len;
	const char *allow;          /* for 405 */
	unsigned retry_after;       /* Retry-After in seconds; 0: none, but a 503 gets
	                             * API_RETRY_AFTER_S */
};

void est_handle(const struct est_http_request *req, struct est_http_response *resp);
void est_http_response_free(struct est_http_response *resp);

/* The pattern of the EST operation path serves ("/.well-known/est/:label/
 * simpleenroll", ...), or NULL when none of the operations edgeca offers:
 * a label for the metrics and the access log, never the path with its CA
 * label or id. */
const char *est_route_pattern(const char *path);

/* Where an EST request goes: the operation and the CA location, as
 * /est/{ca_id}/{location}/.well-known/est/{op},
 * /.well-known/est/{label}/{op} or /.well-known/est/{op}. Returns 0, or
 * -1 when path has none of these forms. */
struct est_route {
	char ca_id[64];
	char location[64];
	char label[64];
	char op[32];
	struct est_target target; /* points into this struct */
};
int est_route_parse(const char *path, struct est_route *r);

/* HTTP Basic credentials from an Authorization header: 1 when the scheme
 * is Basic and user and password decode (malloc'ed, free both), 0 when
 * the header is another scheme, -1 when it is a malformed Basic header. */
int est_basic_parse(const char *authorization, char **user, char **password);

/* The DER of the certificate in a URL-encoded PEM header value; 0 or -1. */
int est_forwarded_cert(const char *value, unsigned char **der, size_t *len);

/* The client's address as text in addr, and in proxy the trusted proxy's
 * it came through or "" (both INET6_ADDRSTRLEN bytes; IPv4 for an
 * IPv4-mapped peer). Direct: the peer's. Through a trusted proxy: the
 * last element of forwarded_for, the one the proxy wrote, when it is an
 * IP address, else the proxy's own. "unknown" without a peer. */
void est_client_address(const struct sockaddr *peer, bool from_trusted_proxy,
                        const char *forwarded_for, char *addr, char *proxy);

#endif
