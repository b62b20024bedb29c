/* Invalidation across servers: a revocation's transaction signals the
 * change on the edgeca_ocsp channel; every server's LISTEN connection
 * (server/ocsp_listen.c) hears it at the commit and drops the answers. */
#include <stdio.h>

#include "model/ocsp/ocsp.h"

edgeca_err
ocsp_notify(PGconn *c, const char *key_id, const char *serial, struct edgeca_msg *msg)
{
	char payload[SIGNER_KEY_ID_BYTES + SERIAL_HEX_MAX + 1];
	struct db_param p[1] = {{payload, 0, false}};

	if (key_id == NULL)
		snprintf(payload, sizeof(payload), "*");
	else
		snprintf(payload, sizeof(payload), "%s%s%s", key_id, serial ? " " : "",
		         serial ? serial : "");
	return db_exec(c, "SELECT pg_notify('" OCSP_CHANNEL "', $1)", p, 1, NULL,
	               "signal the OCSP responders", msg);
}
