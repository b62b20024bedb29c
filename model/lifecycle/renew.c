/* Renewal of subordinate CAs: a location gets a new signer key and a new
 * certificate, from its internal parent at once through the chaining path
 * of ca_chain.c, or from an external root after it signed the key's CSR
 * (model/ca_renew_external.c); the generation it replaces is kept in
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
#include "model/store/audit.h"
#include "model/ca/internal/ca_internal.h"
#include "model/lifecycle/renew.h"
#include "model/ca/store.h"
#include "model/lifecycle/notification.h"
#include "model/auth/token.h"

/* Refuses what is never renewed here; location NULL means all active ones. */
static edgeca_err
check_renewable(const struct ca *ca, const char *location, struct edgeca_msg *msg)
{
	const struct ca_location *loc;

	if (strcmp(ca->kind, "root") == 0)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "root-renewal",
		                   "a root CA is not renewed by edgeca: its replacement must be "
		                   "distributed to relying parties by hand (create a new root)");
	if ((strcmp(ca->chaining, "internal") != 0 && strcmp(ca->chaining, "external") != 0) ||
	    strcmp(ca->status, "active") != 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "ca-not-active",
		                   "CA %s is not active and chained (to a parent or an external "
		                   "root)", ca->id);
	if (location == NULL)
		return EDGECA_OK;
	if ((loc = ca_find_location(ca, location)) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                   "CA %s has no location %s", ca->id, location);
	if (strcmp(loc->status, "active") != 0)
		return edgeca_fail(msg, EDGECA_ERR_CONFLICT, "location-not-active",
		                   "location %s of CA %s is %s: only an active location is renewed",
		                   location, ca->id, loc->status);
	return EDGECA_OK;
}

edgeca_err
ca_renewal_key_and_csr(struct edgeca_ctx *ctx, const struct ca *ca, const struct ca_location *loc,
                       char key_id[65], unsigned char **csr, size_t *csr_len,
                       struct edgeca_msg *msg)
{
	X509 *cert = x509_from_der(loc->cert_der, loc->cert_len);
	char *templates = ca_join_templates(ca->allowed_templates);
	char *rules = name_rules_text(ca->name_rules);
	unsigned char *subject = NULL;
	int subject_len = 0;
	edgeca_err rc;

	if (cert == NULL || templates == NULL || (ca->name_rules != NULL && rules == NULL) ||
	    (subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &subject)) <= 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read location %s's subject",
		                 loc->name);
		goto out;
	}
	/* the new key gets the CA's policy, its name rules included */
	rc = signer_key_create(ctx->signer, ca->key_algorithm, templates,
	                       (uint32_t)ca->max_validity_days, ca->path_length, rules, key_id,
	                       msg);
	if (rc == EDGECA_OK)
		rc = signer_csr_create(ctx->signer, key_id, subject, (size_t)subject_len, csr, csr_len,
		                       msg);
out:
	ERR_clear_error();
	OPENSSL_free(subject);
	free(templates);
	free(rules);
	X509_free(cert);
	return rc;
}

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

/* The location waits for its new certificate like a new subordinate's,
 * and the chaining code has the parent sign it. */
static edgeca_err
renew_location(struct edgeca_ctx *ctx, PGconn *c, const struct principal *who, struct ca *ca,
               const struct ca *parent, struct ca_location *loc, time_t not_after,
               struct edgeca_msg *msg)
{
	char old_key[sizeof(loc->key_id)], old_serial[sizeof(loc->serial)], key_id[65] = "";
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
	snprintf(loc->status, sizeof(loc->status), "pending_chaining");
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
	                        : strcmp(loc->status, "active") == 0;
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

/* ca_renew, and for the scheduler (expect_key not NULL) only when worth it. */
static edgeca_err
renew(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
      const char *location, const char *expect_key, struct ca **out, struct edgeca_msg *msg)
{
	struct ca *ca = NULL;
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	if ((rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK ||
	    (rc = check_renewable(ca, location, msg)) != EDGECA_OK ||
	    (expect_key != NULL && (rc = check_unchanged(ca, location, expect_key, msg)) != EDGECA_OK))
		goto out;
	/* an external root signs outside edgeca: the renewal waits for it */
	if (strcmp(ca->chaining, "external") == 0)
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
	return renew(ctx, who, ca_id, location, NULL, out, msg);
}

/* Locations of subordinates set to auto_renew, chained to a CA of edgeca
 * or to an external root, past their threshold or unable to issue a
 * certificate of the CA's full max_validity_days any more, with what
 * their notifications need. A renewal waiting for the external root is
 * due again only while its renewal_requested notification is missing (a
 * request whose notification failed). Past their threshold first, then
 * the soonest to expire: locations a renewal would not help (left due
 * until their threshold) never crowd out the ones that need it. */
static const char renew_due_sql[] =
	"SELECT l.ca_id, l.name, l.signer_key_id, c.chaining, "
	"extract(epoch FROM l.not_after)::bigint AS not_after, c.lifecycle_notification_emails, "
	"c.lifecycle_webhook_url "
	"FROM ca_locations l JOIN cas c ON c.id = l.ca_id "
	"WHERE l.status = 'active' AND c.status = 'active' AND c.kind = 'subordinate' "
	"AND c.chaining IN ('internal', 'external') "
	"AND (l.renewal_signer_key_id IS NULL OR NOT EXISTS (SELECT 1 FROM notifications n "
	"WHERE n.ca_id = l.ca_id AND n.location = l.name AND n.kind = 'renewal_requested' "
	"AND n.not_after = l.not_after)) "
	"AND c.lifecycle_action = 'auto_renew' "
	"AND (now() >= l.not_before + (l.not_after - l.not_before) "
	"* (c.lifecycle_threshold_percent / 100.0) "
	"OR l.not_after < now() + make_interval(days => c.issuance_max_validity_days)) "
	"ORDER BY now() >= l.not_before + (l.not_after - l.not_before) "
	"* (c.lifecycle_threshold_percent / 100.0) DESC, l.not_after, c.seq, l.position LIMIT 100";

/* One due location, under its renewal lock (one instance at a time). An
 * internal renewal or its failure is notified once per certificate it
 * concerns; an external one is notified by its request (renewal_requested)
 * and, failing, tried again at the next pass. */
static edgeca_err
renew_one(struct edgeca_ctx *ctx, PGconn *c, const PGresult *r, int i, bool *renewed,
          struct edgeca_msg *msg)
{
	static const struct principal scheduler = {.role = ROLE_PKI_ADMIN, .actor = "scheduler"};
	const char *ca_id = db_get(r, i, "ca_id"), *name = db_get(r, i, "name");
	const bool external = strcmp(db_get(r, i, "chaining"), "external") == 0;
	struct db_param p[2] = {{ca_id, 0, false}, {name, 0, false}};
	struct edgeca_msg why = {{0}, {0}, 0};
	struct ca *ca = NULL;
	PGresult *lock = NULL;
	const char *kind;
	bool made = false;
	edgeca_err rc, done;

	*renewed = false;
	rc = db_exec(c, "SELECT pg_try_advisory_lock(hashtextextended('edgeca-renew:' || $1 || "
	                "'/' || $2, 0)) AS got", p, 2, &lock, "lock the renewal", msg);
	if (rc != EDGECA_OK || strcmp(db_get(lock, 0, "got"), "t") != 0)
		goto out; /* another instance is renewing it */
	done = renew(ctx, &scheduler, ca_id, name, db_get(r, i, "signer_key_id"), &ca, &why);
	if (done == EDGECA_ERR_CONFLICT && strcmp(why.type, "renewal-conflict") == 0)
		goto unlock; /* renewed by another instance meanwhile */
	if (done == EDGECA_ERR_CONFLICT && strcmp(why.type, "renewal-not-useful") == 0) {
		log_debug("ca_renew_due: ca=%s location=%s: %s", ca_id, name, why.detail);
		goto unlock; /* waits for its threshold */
	}
	*renewed = done == EDGECA_OK;
	if (external) {
		if (done != EDGECA_OK)
			log_warn("ca_renew_due: ca=%s location=%s: renewal not requested: %s", ca_id,
			         name, why.detail);
		goto unlock;
	}
	kind = done == EDGECA_OK ? "renewed" : "renewal_failed";
	if (done != EDGECA_OK)
		log_warn("ca_renew_due: ca=%s location=%s: %s", ca_id, name, why.detail);
	rc = notification_create_event(c, ctx->cfg, r, i, kind, time(NULL), &made, msg);
	if (rc == EDGECA_OK && made)
		log_info("ca_renew_due: ca=%s location=%s: %s notified", ca_id, name, kind);
unlock:
	PQclear(lock);
	lock = NULL;
	if (db_exec(c, "SELECT pg_advisory_unlock(hashtextextended('edgeca-renew:' || $1 || "
	               "'/' || $2, 0))", p, 2, &lock, "unlock the renewal", NULL) != EDGECA_OK)
		log_warn("ca_renew_due: ca=%s location=%s: cannot release the renewal lock", ca_id,
		         name);
out:
	PQclear(lock);
	ca_free(ca);
	return rc;
}

/* Automatic renewals of the last week whose renewed notification is
 * missing: the renewal is committed before its notification is made, and
 * an instance that stopped in between (killed, database gone) would leave
 * it unnotified, the location no longer due. With renew_due_sql's
 * columns, not_after being the replaced certificate's; making one twice
 * (another instance's renewal just committed) makes it once. */
static const char unnotified_sql[] =
	"SELECT h.ca_id, h.location AS name, extract(epoch FROM h.not_after)::bigint AS not_after, "
	"extract(epoch FROM h.replaced_at)::bigint AS replaced_at, "
	"c.lifecycle_notification_emails, c.lifecycle_webhook_url "
	"FROM ca_location_history h JOIN cas c ON c.id = h.ca_id "
	"WHERE h.replaced_by = 'scheduler' AND h.replaced_at > now() - interval '7 days' "
	"AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.ca_id = h.ca_id "
	"AND n.location = h.location AND n.kind = 'renewed' AND n.not_after = h.not_after) "
	"ORDER BY h.replaced_at LIMIT 100";

static edgeca_err
notify_unnotified(struct edgeca_ctx *ctx, PGconn *c, struct edgeca_msg *msg)
{
	PGresult *r = NULL;
	edgeca_err rc;

	rc = db_exec(c, unnotified_sql, NULL, 0, &r, "find unnotified renewals", msg);
	for (int i = 0; rc == EDGECA_OK && i < PQntuples(r); i++) {
		bool made = false;
		rc = notification_create_event(c, ctx->cfg, r, i, "renewed",
		                               (time_t)db_get_ll(r, i, "replaced_at"), &made, msg);
		if (rc == EDGECA_OK && made)
			log_info("ca_renew_due: ca=%s location=%s: renewed notified late",
			         db_get(r, i, "ca_id"), db_get(r, i, "name"));
	}
	PQclear(r);
	return rc;
}

edgeca_err
ca_renew_due(struct edgeca_ctx *ctx, PGconn *c, size_t *renewed, struct edgeca_msg *msg)
{
	PGresult *r = NULL;
	edgeca_err rc;

	*renewed = 0;
	rc = db_exec(c, renew_due_sql, NULL, 0, &r, "find due renewals", msg);
	for (int i = 0; rc == EDGECA_OK && i < PQntuples(r); i++) {
		bool one = false;
		rc = renew_one(ctx, c, r, i, &one, msg);
		*renewed += one ? 1 : 0;
	}
	PQclear(r);
	if (rc == EDGECA_OK)
		rc = notify_unnotified(ctx, c, msg);
	return rc;
}
