/* A CA's OCSP settings: written at creation and by the audited change
 * inside ca_update's transaction. Responses signed from now on follow
 * them; certificates issued from now on carry the OCSP URL while OCSP is
 * on. Cached answers are dropped on every server at the commit. */
#include <stdio.h>

#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/store/audit.h"
#include "model/store/db.h"

edgeca_err
ca_store_ocsp(PGconn *c, const struct ca *ca, struct edgeca_msg *msg)
{
	char seconds[16], days[16];
	struct db_param p[5];

	snprintf(seconds, sizeof(seconds), "%d", ca->ocsp_validity_seconds);
	snprintf(days, sizeof(days), "%d", ca->ocsp_responder_validity_days);
	p[0] = (struct db_param){ca->id, 0, false};
	p[1] = (struct db_param){ca->ocsp_enabled ? "true" : "false", 0, false};
	p[2] = (struct db_param){seconds, 0, false};
	p[3] = (struct db_param){ca->ocsp_delegated_responder ? "true" : "false", 0, false};
	p[4] = (struct db_param){days, 0, false};
	return db_exec(c, "UPDATE cas SET ocsp_enabled = $2, ocsp_validity_seconds = $3, "
	                  "ocsp_delegated_responder = $4, ocsp_responder_validity_days = $5 "
	                  "WHERE id = $1",
	               p, 5, NULL, "update OCSP settings", msg);
}

edgeca_err
ca_ocsp_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                      const struct ca_ocsp_req *req, struct edgeca_msg *msg)
{
	char seconds[16], days[16];
	const char *details[8];
	edgeca_err rc;

	/* every server drops its cached OCSP answers at the commit (the
	 * channel and payload of model/ocsp/notify.c: "*" is all) */
	if ((rc = ca_ocsp_apply(req, ca, msg)) != EDGECA_OK ||
	    (rc = ca_store_ocsp(c, ca, msg)) != EDGECA_OK ||
	    (rc = db_exec(c, "SELECT pg_notify('edgeca_ocsp', '*')", NULL, 0, NULL,
	                  "signal the OCSP responders", msg)) != EDGECA_OK)
		return rc;
	snprintf(seconds, sizeof(seconds), "%d", ca->ocsp_validity_seconds);
	snprintf(days, sizeof(days), "%d", ca->ocsp_responder_validity_days);
	details[0] = "enabled";
	details[1] = ca->ocsp_enabled ? "true" : "false";
	details[2] = "validity_seconds";
	details[3] = seconds;
	details[4] = "delegated_responder";
	details[5] = ca->ocsp_delegated_responder ? "true" : "false";
	details[6] = "responder_validity_days";
	details[7] = days;
	return audit_write(c, who->actor, "ca.update_ocsp", "ca", ca->id, details, 8, msg);
}
