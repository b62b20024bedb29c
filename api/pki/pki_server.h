/* The plain-HTTP PKI listener (EDGECA_PKI_HTTP_PORT): public, signed
 * objects only (CRLs, CA certificates, OCSP), no TLS, no authentication,
 * on libmicrohttpd directly (docs/pki-urls.md says why). The same bind
 * address, connection limits, timeouts, request ids, access log and
 * metrics as the other listeners. Started and stopped by server/main.c. */
#ifndef EDGECA_API_PKI_SERVER_H
#define EDGECA_API_PKI_SERVER_H

#include "api/listen/deadline.h"
#include "api/listen/listen.h"
#include "common/error.h"
#include "model/core/context.h"

struct pki_server;

/* Listens on ls->bind_address, ls->port; ls->port 0: nothing started,
 * *out NULL. Ownership: *out is the caller's (pki_server_stop). */
edgeca_err pki_server_start(struct edgeca_ctx *ctx, const struct listen_settings *ls,
                            struct deadline_watch *deadline, struct pki_server **out,
                            struct edgeca_msg *msg);
/* Stops it; NULL is fine. */
void pki_server_stop(struct pki_server *s);

#endif
