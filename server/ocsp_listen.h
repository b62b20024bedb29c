/* The LISTEN connection of the OCSP cache: one thread with a database
 * connection of its own that hears revocations (NOTIFY edgeca_ocsp,
 * model/ocsp/notify.c) from every server on the database and drops the
 * answers they make stale. While it is not connected the cache is off
 * (emptied, nothing served from it); it reconnects every second. */
#ifndef EDGECA_SERVER_OCSP_LISTEN_H
#define EDGECA_SERVER_OCSP_LISTEN_H

#include "model/core/context.h"
#include "server/config.h"

struct ocsp_listen;

edgeca_err ocsp_listen_start(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                             struct ocsp_listen **out, struct edgeca_msg *msg);
/* Stops the thread. NULL is fine. */
void ocsp_listen_stop(struct ocsp_listen *l);

#endif
