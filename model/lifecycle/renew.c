/* Renewal of subordinate CAs: a location gets a new signer key and a new
 * certificate, from its internal parent at once through the chaining path
 * of ca_chain.c, or from an external root after it signed the key's CSR
 * (model/lifecycle/renew_external.c); the generation it replaces is kept in
 * ca_location_history. Called by the API (POST /api/v1/cas/{id}/renew)
 * and the scheduler. */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "model/ca/chain.h"
#include "model/ca/first_crls.h"
#include "model/ca/keys.h"
#include "model/ca/store.h"
#include "model/lifecycle/internal/renew_internal.h"
#include "model/lifecycle/notification.h"
#include "model/lifecycle/renew.h"
#include "model/store/audit.h"
#include "signer/proto/protocol.h"

/* Refuses what is never renewed here; location NULL means all active ones. */
static edgeca_err
check_renewable(const struct ca *ca, const char *location, struct edgeca_msg *msg)
{
	const struct ca_location *loc;

	if (ca->kind == CA_KIND_ROOT)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "root-renewal",
		                   "a root CA is not renewed by edgeca: its replacement must be "
		                   "distributed to relying parties by hand (create a new root)");
	if (ca->status == CA_STATUS_DISABLED)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-disabled",
		                   "CA %s is disabled: enable it before renewing it", ca->id);
	if ((ca->chaining != CA_CHAINING_INTERNAL && ca->chaining != CA_CHAINING_EXTERNAL) ||
	    ca->status != CA_STATUS_ACTIVE)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "CA %s is not active and chained (to a parent or an external "
		                   "root)", ca->id);
	if (location == NULL)
		return EDGECA_OK;
	if ((loc = ca_find_location(ca, location)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                   "CA %s has no location %s", ca->id, location);
	if (loc->status != LOCATION_ACTIVE)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-not-active",
		                   "location %s of CA %s is %s: only an active location is renewed",
		                   location, ca->id, ca_location_status_name(loc->status));
	return EDGECA_OK;
}

/* The location waits for its new certificate like a new subordinate's,
 * and the chaining code has the parent sign it. */
static edgeca_err
renew_location(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who, struct ca *ca,
               const struct ca *parent, struct ca_location *loc, time_t not_after,
               struct edgeca_msg *msg)
{
	char old_key[sizeof(loc->key_id)], old_serial[sizeof(loc->serial)];
	char key_id[SIGNER_KEY_ID_BYTES] = "";
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	edgeca_err rc;

	snprintf(old_key, sizeof(old_key), "%s", loc->key_id);
	snprintf(old_serial, sizeof(old_serial), "%s", loc->serial);
	rc = ca_renewal_key_and_csr(ctx, ca, loc, key_id, &csr, &csr_len, msg);
	if (rc != EDGECA_OK)
		goto out;
	snprintf(loc->key_id, sizeof(loc->key_id), "%s", key_id);
	free(loc->csr_der);
	loc->csr_der = csr;
	loc->csr_len = csr_len;
	csr = NULL;
	loc->status = LOCATION_PENDING_CHAINING;
	if ((rc = ca_sign_by_parent(ctx, ca, parent, not_after, msg)) != EDGECA_OK ||
	    (rc = ca_renewal_store(c, who, ca, loc, old_key, old_serial, msg)) != EDGECA_OK)
		goto out;
	log_info("ca_renew: ca=%s location=%s key=%s serial=%s replaces serial=%s by %s", ca->id,
	         loc->name, loc->key_id, loc->serial, old_serial, who->actor);
out:
	if (rc != EDGECA_OK && key_id[0])
		log_warn("ca_renew: ca=%s location=%s: signer key %s is left unused: %s", ca->id,
		         loc->name, key_id, msg ? msg->detail : "");
	free(csr);
	return rc;
}

/* An automatic renewal of location (expect_key: the key it saw due)
 * happens only if nobody renewed it meanwhile. */
static edgeca_err
check_unchanged(const struct ca *ca, const char *location, const char *expect_key,
                struct edgeca_msg *msg)
{
	const struct ca_location *loc = ca_find_location(ca, location);

	if (loc == NULL || strcmp(loc->key_id, expect_key) != 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "renewal-conflict",
		                   "location %s of CA %s was renewed meanwhile", location, ca->id);
	return EDGECA_OK;
}

/* ... and, from an internal parent, only if it gains validity. */
static edgeca_err
check_gain(const struct ca *ca, const char *location, time_t end, struct edgeca_msg *msg)
{
	const struct ca_location *loc = ca_find_location(ca, location);
	char when[RFC3339_LEN];

	if (loc != NULL && end <= loc->not_after) {
		rfc3339_format(loc->not_after, when);
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "renewal-no-gain",
		                   "the parent allows no certificate beyond the current notAfter %s "
		                   "(its own certificate or policy is the limit): renew the parent "
		                   "first", when);
	}
	return EDGECA_OK;
}

static bool
past_threshold(const struct ca *ca, const struct ca_location *loc, time_t now)
{
	return now >= loc->not_before +
	                  (loc->not_after - loc->not_before) * ca->threshold_percent / 100;
}

/* ... and, when the location is due only because the CA can no longer
 * issue certificates of its full max_validity_days (its threshold is not
 * reached), only if the new certificate can, with a tenth of that to
 * spare. A parent that allows no longer lifetime (e.g. 365 days for a CA
 * issuing 365-day certificates) would otherwise leave the new certificate
 * due at once, and the CA would be renewed at every pass. Such a CA is
 * renewed at its threshold. */
static edgeca_err
check_useful(const struct ca *ca, const struct ca_location *loc, time_t now, time_t end,
             struct edgeca_msg *msg)
{
	const time_t max = (time_t)ca->max_validity_days * 86400;

	if (past_threshold(ca, loc, now) || end - now >= max + max / 10)
		return EDGECA_OK;
	return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "renewal-not-useful",
	                   "the parent allows %ld days, too few for this CA to issue certificates "
	                   "of its max_validity_days (%d) after a renewal; it is renewed at its "
	                   "threshold (%d%%)",
	                   (long)((end - now) / 86400), ca->max_validity_days, ca->threshold_percent);
}

/* Whether a renewal of location (NULL: every active one) renews loc. */
static bool
is_renewed(const struct ca_location *loc, const char *location)
{
	return location != NULL ? strcmp(loc->name, location) == 0
	                        : loc->status == LOCATION_ACTIVE;
}

/* The notAfter of loc's renewal: the longest the parent location that
 * signs it allows; for an automatic renewal only when that gains and is
 * worth it. Before the threshold, a renewal the parent's policy keeps
 * short is merely not useful (not reported); one the parent's own expiry
 * keeps from gaining is a failure to report: the parent needs renewing. */
static edgeca_err
renewal_end(const struct ca *ca, const struct ca *parent, const struct ca_location *loc,
            time_t now, bool automatic, time_t *end, struct edgeca_msg *msg)
{
	edgeca_err rc;

	*end = 0;
	if ((rc = ca_check_parent(ca, parent, loc->name, now, end, msg)) != EDGECA_OK ||
	    !automatic)
		return rc;
	if (!past_threshold(ca, loc, now) && *end < ca_signing_not_after(parent, loc->name))
		return check_useful(ca, loc, now, *end, msg);
	if ((rc = check_gain(ca, loc->name, *end, msg)) != EDGECA_OK)
		return rc;
	return check_useful(ca, loc, now, *end, msg);
}

/* The internal parent signs each location's new key at once, each up to
 * the limit of its own signing location; every location is checked
 * before any is renewed. */
static edgeca_err
renew_internal(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who, struct ca *ca,
               const char *location, bool automatic, struct edgeca_msg *msg)
{
	struct ca *parent = NULL;
	time_t now = time(NULL), end = 0;
	edgeca_err rc;

	if ((rc = ca_load_parent(c, ca->parent_ca_id, &parent, msg)) != EDGECA_OK)
		goto out;
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++)
		if (is_renewed(&ca->locations[i], location))
			rc = renewal_end(ca, parent, &ca->locations[i], now, automatic, &end, msg);
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++) {
		struct ca_location *loc = &ca->locations[i];
		if (is_renewed(loc, location) &&
		    (rc = renewal_end(ca, parent, loc, now, automatic, &end, msg)) == EDGECA_OK)
			rc = renew_location(ctx, c, who, ca, parent, loc, end, msg);
	}
out:
	ca_free(parent);
	return rc;
}

edgeca_err
lifecycle_renew(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                const char *location, const char *expect_key, struct ca **out,
                struct edgeca_msg *msg)
{
	struct ca *ca = NULL;
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if ((rc = db_check_id(ca_id, "ca-not-found", "CA", msg)) != EDGECA_OK)
		return rc;
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK ||
	    (rc = check_renewable(ca, location, msg)) != EDGECA_OK ||
	    (expect_key != NULL && (rc = check_unchanged(ca, location, expect_key, msg)) != EDGECA_OK))
		goto out;
	/* an external root signs outside edgeca: the renewal waits for it */
	if (ca->chaining == CA_CHAINING_EXTERNAL)
		rc = ca_renewal_request_all(ctx, c, who, ca, location, msg);
	else
		rc = renew_internal(ctx, c, who, ca, location, expect_key != NULL, msg);
	if (rc == EDGECA_OK && (rc = ca_store_load_full(c, ca_id, out, msg)) == EDGECA_OK)
		ca_first_crls(ctx, c, who->actor, *out);
out:
	db_release(ctx->db, c);
	ca_free(ca);
	return rc;
}

edgeca_err
ca_renew(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
         const char *location, struct ca **out, struct edgeca_msg *msg)
{
	return lifecycle_renew(ctx, who, ca_id, location, NULL, out, msg);
}
