/* A CA's CRL settings after creation: the audited change, inside
 * ca_update's transaction (the first CRLs it brings are first_crls.c's).
 * The scheduler reads the settings at each pass: a new validity or overlap
 * applies from the next CRL, and certificates issued from now on carry
 * the distribution point in force when they are issued. */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/x509_cache.h"
#include "model/store/audit.h"
#include "model/ca/internal/ca_internal.h"
#include "model/crl/crl.h"
#include "model/crl/due_sql.h"
#include "model/store/db.h"

static bool
allows_crl_sign(const unsigned char *der, size_t len)
{
	X509 *x = x509_cache_get(der, len);
	bool ok = x != NULL && (X509_get_key_usage(x) & KU_CRL_SIGN);

	X509_free(x);
	return ok;
}

/* CRLs turned on need every key that publishes them to allow cRLSign (an
 * externally signed certificate may not): each location's, and each a
 * renewal replaced while it is valid. */
static edgeca_err
check_crl_sign(PGconn *c, const struct ca *ca, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca->id, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	for (size_t i = 0; i < ca->n_locations; i++) {
		const struct ca_location *loc = &ca->locations[i];
		if (loc->cert_der != NULL && !allows_crl_sign(loc->cert_der, loc->cert_len))
			return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-sign-not-allowed",
			                   "the certificate of location %s does not allow cRLSign: its key "
			                   "cannot sign CRLs", loc->name);
	}
	rc = db_exec(c, "SELECT location, generation, certificate_der FROM ca_location_history "
	                "WHERE ca_id = $1 AND not_after > now()", p, 1, &r,
	             "read the replaced CA certificates", msg);
	for (int i = 0; rc == EDGECA_OK && i < PQntuples(r); i++) {
		unsigned char *der = NULL;
		size_t len = 0;
		bool ok = db_get_bytea(r, i, "certificate_der", &der, &len) == 0 &&
		          allows_crl_sign(der, len);
		free(der);
		if (!ok)
			rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-sign-not-allowed",
			                 "the replaced certificate (generation %s) of location %s does "
			                 "not allow cRLSign: its key cannot sign CRLs",
			                 db_get(r, i, "generation"), db_get(r, i, "location"));
	}
	PQclear(r);
	return rc;
}

/* CRLs turned off while certificates name the CA's distribution point
 * would leave them pointing at nothing, and their revocations unpublished:
 * refused while any certificate the CA issued (devices, subordinate CAs)
 * is still valid. */
static edgeca_err
check_not_in_use(PGconn *c, const struct ca *ca, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca->id, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, "SELECT to_char(greatest((SELECT max(not_after) FROM certificates "
	                "WHERE ca_id = $1 AND not_after > now()), (SELECT max(l.not_after) "
	                "FROM ca_locations l JOIN cas k ON k.id = l.ca_id WHERE k.parent_ca_id = $1 "
	                "AND l.not_after > now())) AT TIME ZONE 'UTC', "
	                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS until",
	             p, 1, &r, "find certificates naming the CRL", msg);
	if (rc == EDGECA_OK && db_get(r, 0, "until") != NULL)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "crl-in-use",
		                 "certificates this CA issued name its CRL distribution point until %s: "
		                 "relying parties need its CRLs until then (a new distribution_point "
		                 "applies to certificates issued from now on)", db_get(r, 0, "until"));
	PQclear(r);
	return rc;
}

edgeca_err
ca_crl_update_locked(PGconn *c, const struct principal *who, struct ca *ca,
                     const struct ca_crl_req *req, struct edgeca_msg *msg)
{
	const bool was_enabled = ca->crl_enabled;
	char days[16], overlap[16], delta[16];
	const char *details[12];
	struct db_param p[7];
	edgeca_err rc;

	if ((rc = ca_crl_apply(req, ca, msg)) != EDGECA_OK ||
	    (!was_enabled && ca->crl_enabled && (rc = check_crl_sign(c, ca, msg)) != EDGECA_OK) ||
	    (was_enabled && !ca->crl_enabled && (rc = check_not_in_use(c, ca, msg)) != EDGECA_OK))
		return rc;
	snprintf(days, sizeof(days), "%d", ca->crl_validity_days);
	snprintf(overlap, sizeof(overlap), "%d", ca->crl_overlap_hours);
	p[0] = (struct db_param){ca->id, 0, false};
	p[1] = (struct db_param){ca->crl_enabled ? "true" : "false", 0, false};
	p[2] = (struct db_param){days, 0, false};
	p[3] = (struct db_param){overlap, 0, false};
	p[4] = (struct db_param){ca->crl_distribution_point, 0, false};
	snprintf(delta, sizeof(delta), "%d", ca->crl_delta_interval_minutes);
	p[5] = (struct db_param){ca->crl_delta_enabled ? "true" : "false", 0, false};
	p[6] = (struct db_param){delta, 0, false};
	rc = db_exec(c, "UPDATE cas SET crl_enabled = $2, crl_validity_days = $3, "
	                "crl_overlap_hours = $4, crl_distribution_point = $5, "
	                "crl_delta_enabled = $6, crl_delta_interval_minutes = $7 WHERE id = $1",
	             p, 7, NULL, "update CRL settings", msg);
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
	details[8] = "delta_enabled";
	details[9] = ca->crl_delta_enabled ? "true" : "false";
	details[10] = "delta_interval_minutes";
	details[11] = delta;
	return audit_write(c, who->actor, "ca.update_crl", "ca", ca->id, details, 12, msg);
}
