/* Writes of a CA's and its locations' state after creation: renewals (the
 * replaced generation kept in ca_location_history), renewal requests,
 * revocations. */
#include "model/ca/store.h"

#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"
#include "model/store/audit.h"
#include "model/store/db.h"

edgeca_err
ca_renewal_store(PGconn *c, const struct principal *who, const struct ca *ca,
                 const struct ca_location *loc, const char *old_key, const char *old_serial,
                 struct edgeca_msg *msg)
{
	struct db_param p[4] = {{ca->id, 0, false}, {loc->name, 0, false}, {old_key, 0, false},
	                        {who->actor, 0, false}};
	char not_after[RFC3339_LEN];
	const char *details[8] = {"location", loc->name, "previous_serial", old_serial,
	                          "serial", loc->serial, "not_after", not_after};
	PGresult *r = NULL;
	edgeca_err rc;

	rfc3339_format(loc->not_after, not_after);
	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	/* the row lock makes a concurrent renewal of the location wait, then
	 * find the key changed */
	rc = db_exec(c, "SELECT 1 FROM ca_locations WHERE ca_id = $1 AND name = $2 "
	                "AND signer_key_id = $3 AND status = 'active' FOR NO KEY UPDATE",
	             p, 3, &r, "lock the renewed location", msg);
	if (rc == EDGECA_OK && PQntuples(r) != 1)
		rc = EDGECA_ERR_CONFLICT;
	PQclear(r);
	r = NULL;
	if (rc == EDGECA_OK)
		rc = db_exec(c, "INSERT INTO ca_location_history (ca_id, location, generation, "
		                "signer_key_id, certificate_der, serial, not_before, not_after, "
		                "replaced_by) SELECT l.ca_id, l.name, l.generation, l.signer_key_id, "
		                "l.certificate_der, l.serial, l.not_before, l.not_after, $4 "
		                "FROM ca_locations l WHERE l.ca_id = $1 AND l.name = $2 "
		                "AND l.signer_key_id = $3 AND l.status = 'active'",
		             p, 4, &r, "keep the replaced CA certificate", msg);
	if (rc == EDGECA_OK && strcmp(PQcmdTuples(r), "1") != 0)
		rc = EDGECA_ERR_CONFLICT;
	if (rc == EDGECA_ERR_CONFLICT)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "renewal-conflict",
		                 "location %s of CA %s changed while it was renewed", loc->name, ca->id);
	/* the pending renewal (external chaining) is done: cleared before the
	 * key changes, since it may never name the location's key */
	if (rc == EDGECA_OK)
		rc = db_exec(c, "UPDATE ca_locations SET generation = generation + 1, "
		                "renewal_signer_key_id = NULL, renewal_csr_der = NULL, "
		                "renewal_requested_at = NULL, renewal_requested_by = NULL "
		                "WHERE ca_id = $1 AND name = $2", p, 2, NULL, "count the generation",
		             msg);
	if (rc == EDGECA_OK)
		rc = ca_store_update_location(c, ca->id, loc, msg);
	if (rc == EDGECA_OK)
		rc = audit_write(c, who->actor, "ca.renew", "ca", ca->id, details, 8, msg);
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	if (rc != EDGECA_OK)
		db_rollback(c);
	PQclear(r);
	return rc;
}

edgeca_err
ca_store_renewal_request(PGconn *c, const char *ca_id, const char *location, const char *key_id,
                         const char *renewal_key_id, const unsigned char *csr, size_t csr_len,
                         const char *actor, struct edgeca_msg *msg)
{
	struct db_param p[6] = {{ca_id, 0, false},          {location, 0, false},
	                        {key_id, 0, false},         {renewal_key_id, 0, false},
	                        {(const char *)csr, (int)csr_len, true}, {actor, 0, false}};

	return db_exec(c, "UPDATE ca_locations SET renewal_signer_key_id = $4, renewal_csr_der = $5, "
	                  "renewal_requested_at = now(), renewal_requested_by = $6 "
	                  "WHERE ca_id = $1 AND name = $2 AND signer_key_id = $3",
	               p, 6, NULL, "store the requested renewal", msg);
}

edgeca_err
ca_store_location_revoked(PGconn *c, const char *ca_id, const char *location, const char *reason,
                          const char *actor, struct edgeca_msg *msg)
{
	struct db_param p[4] = {{ca_id, 0, false}, {location, 0, false}, {reason, 0, false},
	                        {actor, 0, false}};

	/* a renewal waiting for its certificate is dropped with the location */
	return db_exec(c, "UPDATE ca_locations SET status = 'revoked', revoked_at = now(), "
	                  "revocation_reason = $3, revoked_by = $4, renewal_signer_key_id = NULL, "
	                  "renewal_csr_der = NULL, renewal_requested_at = NULL, "
	                  "renewal_requested_by = NULL WHERE ca_id = $1 AND name = $2",
	               p, 4, NULL, "revoke CA location", msg);
}

edgeca_err
ca_store_status(PGconn *c, const char *ca_id, enum ca_status status, struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {ca_status_name(status), 0, false}};

	/* a disabled CA with an active location stays disabled: only
	 * ca_enable makes it issue again */
	return db_exec(c, "UPDATE cas SET " CA_STATUS_SET_SQL " WHERE id = $1", p, 2, NULL,
	               "update CA status", msg);
}

edgeca_err
ca_store_key_in_use(PGconn *c, const char *key_id, bool *in_use, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{key_id, 0, false}};
	PGresult *r = NULL;
	edgeca_err rc;

	*in_use = false;
	rc = db_exec(c,
	             "SELECT 1 FROM ca_locations WHERE signer_key_id = $1 "
	             "OR renewal_signer_key_id = $1 "
	             "UNION ALL SELECT 1 FROM ca_location_history WHERE signer_key_id = $1",
	             p, 1, &r, "look for the signer key's CA", msg);
	if (rc == EDGECA_OK)
		*in_use = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}
