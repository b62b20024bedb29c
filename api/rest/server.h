/* The HTTPS listener of the REST API: Ulfius on libmicrohttpd with a pool
 * of polling threads, connection and time limits (the deadline watch),
 * and TLS 1.2/1.3 only. */
#ifndef EDGECA_API_SERVER_H
#define EDGECA_API_SERVER_H

#include "api/listen/deadline.h"
#include "model/core/context.h"
#include "api/listen/listen.h"
#include "api/listen/listen_identity.h"

struct api_server;

edgeca_err api_server_start(struct edgeca_ctx *ctx, const struct listen_settings *ls,
                            const struct tls_material *tls,
                            struct deadline_watch *deadline, struct api_server **out,
                            struct edgeca_msg *msg);
void api_server_stop(struct api_server *s);

#endif
