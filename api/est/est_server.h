/* The EST listener: libmicrohttpd directly (Ulfius does not hand its
 * callbacks the connection, whose TLS session holds the client's
 * certificate chain), a pool of polling threads, TLS 1.2/1.3, a client
 * certificate requested but not required, and the same limits as the API
 * listener. */
#ifndef EDGECA_API_EST_SERVER_H
#define EDGECA_API_EST_SERVER_H

#include "api/listen/deadline.h"
#include "model/core/context.h"
#include "api/listen/listen.h"
#include "api/listen/listen_identity.h"

struct est_server;

edgeca_err est_server_start(struct edgeca_ctx *ctx, const struct listen_settings *ls,
                            const struct tls_material *tls,
                            struct deadline_watch *deadline, struct est_server **out,
                            struct edgeca_msg *msg);
void est_server_stop(struct est_server *s);

#endif
