/* The TLS identity of edgeca's own listeners. Unless EDGECA_TLS_CERT and
 * EDGECA_TLS_KEY name files, edgeca creates a service CA in the signer on
 * first run (its certificate in <data dir>/tls/ca.pem, for clients'
 * --cacert) and issues the listener certificate from it, with the public
 * host, localhost, 127.0.0.1, ::1 and the machine's host name as SANs. The
 * listener's private key is generated here and stays in the server. */
#ifndef EDGECA_SERVER_SERVICE_TLS_H
#define EDGECA_SERVER_SERVICE_TLS_H

#include "api/listen/listen_identity.h"
#include "model/core/context.h"
#include "server/config.h"


edgeca_err service_tls_prepare(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                               struct tls_material *out,
                               struct edgeca_msg *msg);

#endif
