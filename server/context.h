/* The server's context: the database and signer pools and the settings
 * every model operation is given (model/core/context.h), opened from the
 * configuration. */
#ifndef EDGECA_SERVER_CONTEXT_H
#define EDGECA_SERVER_CONTEXT_H

#include "model/core/context.h"
#include "server/config.h"

edgeca_err ctx_open(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                    struct edgeca_msg *msg);
void ctx_close(struct edgeca_ctx *ctx);

#endif
