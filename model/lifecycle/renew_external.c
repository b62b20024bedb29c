/* Renewal of subordinate CAs chained to an external root. edgeca cannot
 * have that root sign, so a renewal is first requested: a new signer key
 * per location and its CSR, kept as the location's pending renewal while
 * the current key keeps issuing, and notified (renewal_requested) with
 * the CSR. It completes when the certificate the root signed is uploaded:
 * the location then rolls over to the new key as an internal renewal
 * does. Called by model/lifecycle/renew.c and model/ca/chain_internal.c only. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digests.h"
#include "common/encoding.h"
#include "common/log.h"
#include "model/ca/chain.h"
#include "model/ca/keys.h"
#include "model/ca/store.h"
#include "model/lifecycle/internal/renew_internal.h"
#include "model/lifecycle/notification.h"
#include "model/store/audit.h"
#include "signer/proto/protocol.h"

/* The hex SHA-256 of a CSR, which names it in the audit trail. */
static int
csr_sha256(const unsigned char *der, size_t len, char hex[SHA256_HEX_BYTES])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (EVP_Digest(der, len, md, &md_len, digest_sha256(), NULL) != 1 || md_len != 32)
		return -1;
	hex_encode(md, md_len, hex);
	return 0;
}

/* Requests loc's renewal in one transaction, the location's row locked
 * so that a concurrent request waits and then finds this one: a new
 * signer key and its CSR become the pending renewal, audited
 * ca.renew.request. *made is false when a renewal was pending already. */
static edgeca_err
request_location(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                 const struct ca *ca, const struct ca_location *loc, bool *made,
                 struct edgeca_msg *msg)
{
	char key_id[SIGNER_KEY_ID_BYTES] = "", digest[SHA256_HEX_BYTES];
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	struct db_param p[3] = {{ca->id, 0, false}, {loc->name, 0, false}, {loc->key_id, 0, false}};
	const char *details[8] = {"location", loc->name, "serial", loc->serial,
	                          "renewal_key_id", key_id, "csr_sha256", digest};
	PGresult *r = NULL;
	edgeca_err rc;

	*made = false;
	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	rc = db_exec(c, "SELECT renewal_signer_key_id FROM ca_locations WHERE ca_id = $1 AND "
	                "name = $2 AND signer_key_id = $3 AND status = 'active' FOR NO KEY UPDATE",
	             p, 3, &r, "lock the location to renew", msg);
	if (rc == EDGECA_OK && PQntuples(r) != 1)
		rc = edgeca_fail(msg, EDGECA_ERR_CONFLICT, "renewal-conflict",
		                 "location %s of CA %s changed while its renewal was requested",
		                 loc->name, ca->id);
	if (rc != EDGECA_OK || db_get(r, 0, "renewal_signer_key_id") != NULL)
		goto out; /* pending already: kept, with its CSR */
	rc = ca_renewal_key_and_csr(ctx, ca, loc, key_id, &csr, &csr_len, msg);
	if (rc == EDGECA_OK && csr_sha256(csr, csr_len, digest) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot digest the CSR");
	if (rc != EDGECA_OK)
		goto out;
	rc = ca_store_renewal_request(c, ca->id, loc->name, loc->key_id, key_id, csr, csr_len,
	                              who->actor, msg);
	if (rc == EDGECA_OK)
		rc = audit_write(c, who->actor, "ca.renew.request", "ca", ca->id, details, 8, msg);
	if (rc == EDGECA_OK && (rc = db_commit(c, msg)) == EDGECA_OK) {
		*made = true;
		log_info("ca_renew: ca=%s location=%s: renewal key=%s requested by %s, CSR sha256=%s",
		         ca->id, loc->name, key_id, who->actor, digest);
	}
out:
	if (rc == EDGECA_OK && !*made)
		rc = db_commit(c, msg);
	else if (rc != EDGECA_OK)
		db_rollback(c);
	if (rc != EDGECA_OK && key_id[0])
		log_warn("ca_renew: ca=%s location=%s: signer key %s is left unused: %s", ca->id,
		         loc->name, key_id, msg ? msg->detail : "");
	PQclear(r);
	free(csr);
	return rc;
}

edgeca_err
ca_renewal_request_all(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                       const struct ca *ca, const char *location, struct edgeca_msg *msg)
{
	edgeca_err rc = EDGECA_OK;

	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++) {
		const struct ca_location *loc = &ca->locations[i];
		bool made = false, notified = false;

		if (location != NULL ? strcmp(loc->name, location) != 0
		                     : loc->status != LOCATION_ACTIVE)
			continue;
		/* notified also when pending already: a request whose
		 * notification failed is notified by its repetition */
		rc = request_location(ctx, c, who, ca, loc, &made, msg);
		if (rc == EDGECA_OK)
			rc = notification_create_renewal_request(c, &ctx->settings, ca->id, loc->name, &notified,
			                                         msg);
		if (rc == EDGECA_OK && notified)
			log_info("ca_renew: ca=%s location=%s: renewal_requested notified", ca->id,
			         loc->name);
	}
	return rc;
}

edgeca_err
ca_renewal_complete(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who,
                    const struct ca *ca, struct ca_location *loc, X509 *cert,
                    STACK_OF(X509) *chain, struct edgeca_msg *msg)
{
	char old_key[sizeof(loc->key_id)], old_serial[sizeof(loc->serial)];
	edgeca_err rc;

	snprintf(old_key, sizeof(old_key), "%s", loc->key_id);
	snprintf(old_serial, sizeof(old_serial), "%s", loc->serial);
	rc = ca_take_uploaded(ctx, ca, loc, loc->renewal.key_id, loc->renewal.csr_der,
	                      loc->renewal.csr_len, cert, chain, msg);
	if (rc != EDGECA_OK)
		return rc;
	/* the location's key, and the request of its certificate, are now the
	 * renewal's */
	snprintf(loc->key_id, sizeof(loc->key_id), "%s", loc->renewal.key_id);
	free(loc->csr_der);
	loc->csr_der = loc->renewal.csr_der;
	loc->csr_len = loc->renewal.csr_len;
	loc->renewal.csr_der = NULL;
	loc->renewal.csr_len = 0;
	loc->renewal.key_id[0] = '\0';
	rc = ca_renewal_store(c, who, ca, loc, old_key, old_serial, msg);
	if (rc == EDGECA_OK)
		log_info("ca_renew: ca=%s location=%s key=%s serial=%s replaces serial=%s by %s "
		         "(signed by the external root)", ca->id, loc->name, loc->key_id, loc->serial,
		         old_serial, who->actor);
	return rc;
}
