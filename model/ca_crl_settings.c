/* A CA's CRL settings after creation: the audited change, inside
 * ca_update's transaction. The scheduler reads them at each pass: a CA
 * that turns CRLs on gets its first CRLs at the next one, a new validity
 * or overlap applies from the next CRL, and certificates issued from now
 * on carry the distribution point in force when they are issued. */
#include <stdio.h>
#include <string.h>

#include "model/audit.h"
#include "model/ca_internal.h"
#include "model/db.h"

edgeca_err
ca_crl_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                     const struct ca_crl_req *req, struct edgeca_msg *msg)
{
	char days[16], overlap[16];
	const char *details[8];
	struct db_param p[5];
	edgeca_err rc;

	if ((rc = ca_crl_apply(req, ca, msg)) != EDGECA_OK)
		return rc;
	snprintf(days, sizeof(days), "%d", ca->crl_validity_days);
	snprintf(overlap, sizeof(overlap), "%d", ca->crl_overlap_hours);
	p[0] = (struct db_param){ca->id, 0, false};
	p[1] = (struct db_param){ca->crl_enabled ? "true" : "false", 0, false};
	p[2] = (struct db_param){days, 0, false};
	p[3] = (struct db_param){overlap, 0, false};
	p[4] = (struct db_param){ca->crl_distribution_point, 0, false};
	rc = db_exec(c, "UPDATE cas SET crl_enabled = $2, crl_validity_days = $3, "
	                "crl_overlap_hours = $4, crl_distribution_point = $5 WHERE id = $1",
	             p, 5, NULL, "update CRL settings", msg);
	if (rc != EDGECA_OK)
		return rc;
	details[0] = "enabled";
	details[1] = ca->crl_enabled ? "true" : "false";
	details[2] = "validity_days";
	details[3] = days;
	details[4] = "overlap_hours";
	details[5] = overlap;
	details[6] = "distribution_point";
	details[7] = ca->crl_distribution_point ? ca->crl_distribution_point : "";
	return audit_write(c, who->actor, "ca.update_crl", "ca", ca->id, details, 8, msg);
}
