/* The scheduler's automatic renewal of subordinate CAs set to
 * auto_renew (see renew.h), and the renewed notifications an instance
 * stopped before it could make. */
#include "model/lifecycle/renew.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "model/lifecycle/internal/renew_internal.h"
#include "model/lifecycle/notification.h"
#include "model/store/db.h"

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
	enum ca_chaining chaining = CA_CHAINING_PENDING;
	const bool external = ca_chaining_parse(db_get(r, i, "chaining"), &chaining) &&
	                      chaining == CA_CHAINING_EXTERNAL;
	struct db_param p[2] = {{ca_id, 0, false}, {name, 0, false}};
	struct edgeca_msg why = {0};
	struct ca *ca = NULL;
	PGresult *lock = NULL;
	enum notification_kind kind;
	bool made = false;
	edgeca_err rc, done;

	*renewed = false;
	rc = db_exec(c, "SELECT pg_try_advisory_lock(hashtextextended('edgeca-renew:' || $1 || "
	                "'/' || $2, 0)) AS got", p, 2, &lock, "lock the renewal", msg);
	if (rc != EDGECA_OK || strcmp(db_get(lock, 0, "got"), "t") != 0)
		goto out; /* another instance is renewing it */
	done = lifecycle_renew(ctx, &scheduler, ca_id, name, db_get(r, i, "signer_key_id"), &ca,
	                       &why);
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
	kind = done == EDGECA_OK ? NOTIFY_RENEWED : NOTIFY_RENEWAL_FAILED;
	if (done != EDGECA_OK)
		log_warn("ca_renew_due: ca=%s location=%s: %s", ca_id, name, why.detail);
	rc = notification_create_event(c, &ctx->settings, r, i, kind, time(NULL), &made, msg);
	if (rc == EDGECA_OK && made)
		log_info("ca_renew_due: ca=%s location=%s: %s notified", ca_id, name,
		         notification_kind_name(kind));
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
		rc = notification_create_event(c, &ctx->settings, r, i, NOTIFY_RENEWED,
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
