#include "model/lifecycle/notification.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/email.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/x509util.h"
#include "model/auth/token_scope.h"
#include "model/store/db.h"

/* Every active location with what its notifications need and the kinds
 * already created for its current certificate. */
static const char due_sql[] =
	"SELECT l.ca_id, l.name, extract(epoch FROM l.not_before)::bigint AS not_before, "
	"extract(epoch FROM l.not_after)::bigint AS not_after, c.lifecycle_threshold_percent, "
	"c.issuance_max_validity_days, c.lifecycle_notification_emails, c.lifecycle_webhook_url, "
	"array(SELECT n.kind FROM notifications n WHERE n.ca_id = l.ca_id AND "
	"n.location = l.name AND n.not_after = l.not_after) AS created "
	"FROM ca_locations l JOIN cas c ON c.id = l.ca_id "
	"WHERE l.status = 'active' AND c.status IN ('active', 'disabled') ORDER BY c.seq, l.position";

static bool
strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* The addresses of pki_admin tokens that authenticate now and may act on
 * the CA $1 (every CA, or $1 among theirs), oldest token first; other
 * roles are never mailed. */
static const char admin_emails_sql[] =
	"SELECT coalesce(array_agg(email ORDER BY seq), '{}') AS emails FROM api_tokens "
	"WHERE role = 'pki_admin' AND email IS NOT NULL AND deleted_at IS NULL "
	"AND (expires_at IS NULL OR expires_at > now()) AND (NOT ca_scoped OR EXISTS "
	"(SELECT 1 FROM api_token_cas s WHERE s.token_id = api_tokens.id AND s.ca_id = $1))";

/* The e-mail recipients of row i's notification as an array literal: the
 * CA's addresses, then the pki_admins'; NULL in *out when nobody. */
static edgeca_err
email_recipients(PGconn *c, const PGresult *r, int i, char **out, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{db_get(r, i, "ca_id"), 0, false}};
	char **ca = NULL, **admins = NULL, **all = NULL;
	PGresult *a = NULL;
	size_t n = 0;
	edgeca_err rc;

	*out = NULL;
	rc = db_exec(c, admin_emails_sql, p, 1, &a, "read pki_admin e-mails", msg);
	if (rc != EDGECA_OK)
		goto out;
	if (db_get_text_array(r, i, "lifecycle_notification_emails", &ca) != 0 ||
	    db_get_text_array(a, 0, "emails", &admins) != 0 ||
	    (all = email_recipients_merge(ca, admins)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	while (all[n] != NULL)
		n++;
	if (n > 0 && (*out = db_text_array_literal((const char *const *)all, n)) == NULL)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
out:
	strv_free(ca);
	strv_free(admins);
	strv_free(all);
	PQclear(a);
	return rc;
}

/* One notification (csr: the request a renewal_requested one carries,
 * else NULL) and its deliveries, in one transaction; *made tells whether
 * this call created it (another instance may have). */
static edgeca_err
create_one(PGconn *c, const PGresult *r, int i, enum notification_kind kind, time_t due_at,
           const unsigned char *csr, size_t csr_len, bool smtp, bool *made,
           struct edgeca_msg *msg)
{
	const char *url = db_get(r, i, "lifecycle_webhook_url");
	char due[24], *emails = NULL;
	struct db_param p[9];
	PGresult *ins = NULL;
	edgeca_err rc;

	*made = false;
	snprintf(due, sizeof(due), "%lld", (long long)due_at);
	p[0] = (struct db_param){db_get(r, i, "ca_id"), 0, false};
	p[1] = (struct db_param){db_get(r, i, "name"), 0, false};
	p[2] = (struct db_param){notification_kind_name(kind), 0, false};
	p[3] = (struct db_param){db_get(r, i, "not_after"), 0, false};
	p[4] = (struct db_param){due, 0, false};
	p[5] = (struct db_param){(const char *)csr, (int)csr_len, csr != NULL};
	/* the details of a crl_generation_failed, NULL for other kinds */
	p[6] = (struct db_param){db_get(r, i, "generation"), 0, false};
	p[7] = (struct db_param){db_get(r, i, "error"), 0, false};
	p[8] = (struct db_param){db_get(r, i, "crl_next_update"), 0, false};
	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	rc = db_exec(c, "INSERT INTO notifications (ca_id, location, kind, not_after, due_at, "
	                "csr_der, generation, error, crl_next_update) "
	                "VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($5), $6, $7, $8, "
	                "to_timestamp($9)) "
	                "ON CONFLICT DO NOTHING RETURNING id", p, 9, &ins, "create notification", msg);
	if (rc != EDGECA_OK || PQntuples(ins) != 1)
		goto out;
	if ((rc = email_recipients(c, r, i, &emails, msg)) != EDGECA_OK)
		goto out;
	p[0] = (struct db_param){db_get(ins, 0, "id"), 0, false};
	p[1] = (struct db_param){emails, 0, false};
	p[2] = (struct db_param){
		delivery_state_name(smtp ? DELIVERY_PENDING : DELIVERY_NOT_CONFIGURED), 0, false};
	if (emails != NULL &&
	    (rc = db_exec(c, "INSERT INTO notification_deliveries (notification_id, channel, "
	                     "recipients, state) VALUES ($1, 'email', $2::text[], $3)", p, 3, NULL,
	                  "create e-mail delivery", msg)) != EDGECA_OK)
		goto out;
	p[1] = (struct db_param){url, 0, false};
	if (url != NULL &&
	    (rc = db_exec(c, "INSERT INTO notification_deliveries (notification_id, channel, url, "
	                     "state) VALUES ($1, 'webhook', $2, 'pending')", p, 2, NULL,
	                  "create webhook delivery", msg)) != EDGECA_OK)
		goto out;
	*made = true;
out:
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	else
		db_rollback(c);
	free(emails);
	PQclear(ins);
	return rc;
}

edgeca_err
notification_create_event(PGconn *c, const struct model_settings *settings, const PGresult *r, int i,
                          enum notification_kind kind, time_t due_at, bool *made,
                          struct edgeca_msg *msg)
{
	return create_one(c, r, i, kind, due_at, NULL, 0, settings->email_configured, made, msg);
}

edgeca_err
notification_create_renewal_request(PGconn *c, const struct model_settings *settings,
                                    const char *ca_id, const char *location, bool *made,
                                    struct edgeca_msg *msg)
{
	struct db_param p[2] = {{ca_id, 0, false}, {location, 0, false}};
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	PGresult *r = NULL;
	edgeca_err rc;

	*made = false;
	rc = db_exec(c, "SELECT l.ca_id, l.name, extract(epoch FROM l.not_after)::bigint AS "
	                "not_after, extract(epoch FROM l.renewal_requested_at)::bigint AS "
	                "requested_at, l.renewal_csr_der, c.lifecycle_notification_emails, "
	                "c.lifecycle_webhook_url FROM ca_locations l JOIN cas c ON c.id = l.ca_id "
	                "WHERE l.ca_id = $1 AND l.name = $2 AND l.status = 'active' "
	                "AND l.renewal_signer_key_id IS NOT NULL", p, 2, &r,
	             "find the requested renewal", msg);
	if (rc != EDGECA_OK || PQntuples(r) != 1)
		goto out; /* none pending (any more): nothing to notify */
	if (db_get_bytea(r, 0, "renewal_csr_der", &csr, &csr_len) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the renewal's CSR");
		goto out;
	}
	rc = create_one(c, r, 0, NOTIFY_RENEWAL_REQUESTED, (time_t)db_get_ll(r, 0, "requested_at"),
	                csr, csr_len, settings->email_configured, made, msg);
out:
	free(csr);
	PQclear(r);
	return rc;
}

edgeca_err
notification_create_due(PGconn *c, const struct model_settings *settings, time_t now, size_t *created,
                        struct edgeca_msg *msg)
{
	PGresult *r = NULL;
	char **done = NULL;
	edgeca_err rc;

	*created = 0;
	if ((rc = db_exec(c, due_sql, NULL, 0, &r, "find due notifications", msg)) != EDGECA_OK)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == EDGECA_OK; i++) {
		const time_t nb = (time_t)db_get_ll(r, i, "not_before"),
		             na = (time_t)db_get_ll(r, i, "not_after");
		time_t due_at, shortened_at;
		enum notification_kind kinds[2];
		size_t n = 0;

		n += lifecycle_due_kind(nb, na, (int)db_get_ll(r, i, "lifecycle_threshold_percent"), now,
		                        &kinds[n], &due_at);
		if (lifecycle_issuance_shortened(nb, na, (int)db_get_ll(r, i, "issuance_max_validity_days"),
		                                 now, &shortened_at))
			kinds[n++] = NOTIFY_ISSUANCE_SHORTENED;
		if (n == 0)
			continue;
		strv_free(done);
		done = NULL;
		if (db_get_text_array(r, i, "created", &done) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			break;
		}
		for (size_t k = 0; k < n && rc == EDGECA_OK; k++) {
			bool made = false;
			if (strv_has(done, notification_kind_name(kinds[k])))
				continue;
			rc = create_one(c, r, i, kinds[k],
			                kinds[k] == NOTIFY_ISSUANCE_SHORTENED ? shortened_at : due_at,
			                NULL, 0, settings->email_configured, &made, msg);
			if (rc == EDGECA_OK && made) {
				(*created)++;
				log_info("notification_create_due: ca=%s location=%s kind=%s",
				         db_get(r, i, "ca_id"), db_get(r, i, "name"),
				         notification_kind_name(kinds[k]));
			}
		}
	}
	strv_free(done);
	PQclear(r);
	return rc;
}

static const char claim_sql[] =
	"WITH claimed AS (UPDATE notification_deliveries SET state = 'sending', claimed_by = $1, "
	"claim_expires_at = now() + make_interval(secs => $2::int) WHERE id IN ("
	"SELECT id FROM notification_deliveries WHERE (state = 'pending' AND "
	"next_attempt_at <= now()) OR (state = 'sending' AND claim_expires_at < now()) "
	"ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *) "
	"SELECT d.id, d.channel, d.recipients, d.url, d.attempts, n.id AS notification_id, "
	"n.kind, n.ca_id, n.location, extract(epoch FROM n.not_after)::bigint AS not_after, "
	"extract(epoch FROM n.due_at)::bigint AS due_at, "
	"extract(epoch FROM n.created_at)::bigint AS created_at, c.friendly_name, c.kind AS ca_kind, "
	"c.subject, c.chaining, c.lifecycle_action, c.lifecycle_threshold_percent, "
	"c.status = 'disabled' AS ca_disabled, c.lifecycle_webhook_secret, n.csr_der, n.generation, "
	"n.error, "
	"extract(epoch FROM n.crl_next_update)::bigint AS crl_next_update "
	"FROM claimed d JOIN notifications n ON n.id = d.notification_id "
	"JOIN cas c ON c.id = n.ca_id ORDER BY d.id";

/* The CSR a renewal_requested notice carries, as PEM. */
static int
csr_pem_of(const PGresult *r, int i, struct notice *n)
{
	unsigned char *der = NULL;
	size_t len = 0;

	if (db_get_bytea(r, i, "csr_der", &der, &len) != 0)
		return -1;
	n->csr_pem = pem_encode("CERTIFICATE REQUEST", der, len);
	free(der);
	return n->csr_pem != NULL ? 0 : -1;
}

/* The times of a notification's event, as a claimed delivery and a
 * listed notification both read them. */
static void
read_times(const PGresult *r, int i, time_t *not_after, time_t *due_at, time_t *created_at,
           int *generation, time_t *crl_next_update)
{
	*not_after = (time_t)db_get_ll(r, i, "not_after");
	*due_at = (time_t)db_get_ll(r, i, "due_at");
	*created_at = (time_t)db_get_ll(r, i, "created_at");
	*generation = (int)db_get_ll(r, i, "generation");
	*crl_next_update = (time_t)db_get_ll(r, i, "crl_next_update");
}

/* Fills n from row i: 0, -1 out of memory, -2 a name edgeca does not
 * know (the schema's CHECK constraints keep it from happening). */
static int
fill_notice(const PGresult *r, int i, struct notice *n)
{
	n->delivery_id = db_get_ll(r, i, "id");
	n->attempts = (int)db_get_ll(r, i, "attempts");
	snprintf(n->notification_id, sizeof(n->notification_id), "%s",
	         db_get(r, i, "notification_id"));
	snprintf(n->ca_id, sizeof(n->ca_id), "%s", db_get(r, i, "ca_id"));
	if (!delivery_channel_parse(db_get(r, i, "channel"), &n->channel) ||
	    !notification_kind_parse(db_get(r, i, "kind"), &n->kind) ||
	    !ca_kind_parse(db_get(r, i, "ca_kind"), &n->ca_kind) ||
	    !ca_lifecycle_action_parse(db_get(r, i, "lifecycle_action"), &n->action) ||
	    !ca_chaining_parse(db_get(r, i, "chaining"), &n->chaining))
		return -2;
	snprintf(n->location, sizeof(n->location), "%s", db_get(r, i, "location"));
	n->ca_disabled = strcmp(db_get(r, i, "ca_disabled"), "t") == 0;
	n->threshold_percent = (int)db_get_ll(r, i, "lifecycle_threshold_percent");
	read_times(r, i, &n->not_after, &n->due_at, &n->created_at, &n->generation,
	           &n->crl_next_update);
	n->ca_name = strdup(db_get(r, i, "friendly_name"));
	n->subject = strdup(db_get(r, i, "subject"));
	if (n->ca_name == NULL || n->subject == NULL)
		return -1;
	if (db_get(r, i, "url") != NULL && (n->url = strdup(db_get(r, i, "url"))) == NULL)
		return -1;
	if (db_get(r, i, "error") != NULL && (n->error = strdup(db_get(r, i, "error"))) == NULL)
		return -1;
	if (db_get(r, i, "recipients") != NULL &&
	    db_get_text_array(r, i, "recipients", &n->recipients) != 0)
		return -1;
	if (db_get(r, i, "lifecycle_webhook_secret") != NULL &&
	    db_get_bytea(r, i, "lifecycle_webhook_secret", &n->sealed_secret, &n->sealed_len) != 0)
		return -1;
	return db_get(r, i, "csr_der") != NULL ? csr_pem_of(r, i, n) : 0;
}

edgeca_err
notification_claim(PGconn *c, const char *me, unsigned claim_s, size_t max, struct notice **out,
                   size_t *n, struct edgeca_msg *msg)
{
	char secs[16], limit[16];
	struct db_param p[3] = {{me, 0, false}, {secs, 0, false}, {limit, 0, false}};
	struct notice *v = NULL;
	PGresult *r = NULL;
	size_t got = 0;
	edgeca_err rc;

	*out = NULL;
	*n = 0;
	snprintf(secs, sizeof(secs), "%u", claim_s);
	snprintf(limit, sizeof(limit), "%zu", max);
	if ((rc = db_exec(c, claim_sql, p, 3, &r, "claim deliveries", msg)) != EDGECA_OK)
		return rc;
	if (PQntuples(r) == 0)
		goto out;
	if ((v = calloc((size_t)PQntuples(r), sizeof(*v))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++, got++) {
		int filled = fill_notice(r, i, &v[i]);

		if (filled != 0) {
			notice_free(&v[i]);
			rc = filled == -2 ? edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
			                                "delivery %s has a name edgeca does not know",
			                                db_get(r, i, "id"))
			                  : edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
			break;
		}
	}
	if (rc != EDGECA_OK) {
		for (size_t i = 0; i < got; i++)
			notice_free(&v[i]);
		free(v);
		v = NULL;
		got = 0;
	}
out:
	PQclear(r);
	*out = v;
	*n = got;
	return rc;
}

edgeca_err
notification_record(PGconn *c, const char *me, const struct notice *n, const char *error,
                    unsigned base_ms, struct edgeca_msg *msg)
{
	char id[24], delay[24];
	struct db_param p[4] = {{id, 0, false}, {me, 0, false}, {error, 0, false}, {delay, 0, false}};
	int attempt = n->attempts + 1;

	snprintf(id, sizeof(id), "%lld", n->delivery_id);
	if (error == NULL)
		return db_exec(c, "UPDATE notification_deliveries SET state = 'delivered', "
		                  "attempts = attempts + 1, delivered_at = now(), last_error = NULL, "
		                  "claimed_by = NULL, claim_expires_at = NULL "
		                  "WHERE id = $1 AND claimed_by = $2", p, 2, NULL, "record delivery", msg);
	if (attempt >= LIFECYCLE_MAX_ATTEMPTS)
		return db_exec(c, "UPDATE notification_deliveries SET state = 'failed', "
		                  "attempts = attempts + 1, last_error = $3, claimed_by = NULL, "
		                  "claim_expires_at = NULL WHERE id = $1 AND claimed_by = $2", p, 3, NULL,
		               "record failed delivery", msg);
	snprintf(delay, sizeof(delay), "%lld", lifecycle_backoff_ms(base_ms, attempt));
	return db_exec(c, "UPDATE notification_deliveries SET state = 'pending', "
	                  "attempts = attempts + 1, last_error = $3, claimed_by = NULL, "
	                  "claim_expires_at = NULL, next_attempt_at = now() + "
	                  "make_interval(secs => $4::double precision / 1000) "
	                  "WHERE id = $1 AND claimed_by = $2", p, 4, NULL, "record delivery retry",
	               msg);
}

static void
delivery_view_free(struct delivery_view *d)
{
	strv_free(d->recipients);
	free(d->url);
	free(d->last_error);
}

edgeca_err
notification_release(PGconn *c, const char *me, const struct notice *n, struct edgeca_msg *msg)
{
	char id[24];
	struct db_param p[2] = {{id, 0, false}, {me, 0, false}};

	snprintf(id, sizeof(id), "%lld", n->delivery_id);
	return db_exec(c, "UPDATE notification_deliveries SET state = 'pending', claimed_by = NULL, "
	                  "claim_expires_at = NULL WHERE id = $1 AND claimed_by = $2 AND "
	                  "state = 'sending'", p, 2, NULL, "release delivery", msg);
}

static const char list_sql[] =
	"SELECT n.id, n.seq, n.kind, n.ca_id, n.location, "
	"extract(epoch FROM n.not_after)::bigint AS not_after, "
	"extract(epoch FROM n.due_at)::bigint AS due_at, "
	"extract(epoch FROM n.created_at)::bigint AS created_at, n.generation, n.error, "
	"extract(epoch FROM n.crl_next_update)::bigint AS crl_next_update, d.channel, d.recipients, d.url, "
	"d.state, d.attempts, extract(epoch FROM d.next_attempt_at)::bigint AS next_attempt_at, "
	"d.last_error, extract(epoch FROM d.delivered_at)::bigint AS delivered_at "
	"FROM (SELECT * FROM notifications WHERE seq > $1 AND ($2::uuid IS NULL OR ca_id = $2) "
	"AND ($4::uuid[] IS NULL OR ca_id = ANY ($4::uuid[])) "
	"ORDER BY seq LIMIT $3) n LEFT JOIN notification_deliveries d ON d.notification_id = n.id "
	"ORDER BY n.seq, d.channel";

/* Fills d from row i: 0, -1 out of memory, -2 a name edgeca does not
 * know. */
static int
fill_delivery(const PGresult *r, int i, struct delivery_view *d)
{
	if (!delivery_channel_parse(db_get(r, i, "channel"), &d->channel) ||
	    !delivery_state_parse(db_get(r, i, "state"), &d->state))
		return -2;
	d->attempts = (int)db_get_ll(r, i, "attempts");
	if (d->state == DELIVERY_PENDING)
		d->next_attempt_at = (time_t)db_get_ll(r, i, "next_attempt_at");
	if (db_get(r, i, "delivered_at") != NULL)
		d->delivered_at = (time_t)db_get_ll(r, i, "delivered_at");
	if (db_get(r, i, "last_error") != NULL &&
	    (d->last_error = strdup(db_get(r, i, "last_error"))) == NULL)
		return -1;
	if (db_get(r, i, "url") != NULL && (d->url = strdup(db_get(r, i, "url"))) == NULL)
		return -1;
	if (db_get(r, i, "recipients") != NULL &&
	    db_get_text_array(r, i, "recipients", &d->recipients) != 0)
		return -1;
	return 0;
}

static edgeca_err
unknown_name(const PGresult *r, int i, struct edgeca_msg *msg)
{
	return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL,
	                   "notification %s has a name edgeca does not know", db_get(r, i, "id"));
}

/* Groups the rows (one per delivery, or one without for a notification
 * that has none) into l->items. */
static edgeca_err
fill_list(const PGresult *r, struct notification_list *l, struct edgeca_msg *msg)
{
	int rows = PQntuples(r);

	if (rows == 0)
		return EDGECA_OK;
	if ((l->items = calloc((size_t)rows, sizeof(*l->items))) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < rows; i++) {
		struct notification_view *v = l->n ? &l->items[l->n - 1] : NULL;
		if (v == NULL || v->seq != db_get_ll(r, i, "seq")) {
			v = &l->items[l->n++];
			snprintf(v->id, sizeof(v->id), "%s", db_get(r, i, "id"));
			v->seq = db_get_ll(r, i, "seq");
			if (!notification_kind_parse(db_get(r, i, "kind"), &v->kind))
				return unknown_name(r, i, msg);
			snprintf(v->ca_id, sizeof(v->ca_id), "%s", db_get(r, i, "ca_id"));
			snprintf(v->location, sizeof(v->location), "%s", db_get(r, i, "location"));
			read_times(r, i, &v->not_after, &v->due_at, &v->created_at, &v->generation,
			           &v->crl_next_update);
			if (db_get(r, i, "error") != NULL &&
			    (v->error = strdup(db_get(r, i, "error"))) == NULL)
				return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		}
		if (db_get(r, i, "channel") == NULL || v->n_deliveries == 2)
			continue;
		switch (fill_delivery(r, i, &v->deliveries[v->n_deliveries++])) {
		case 0:
			break;
		case -2:
			return unknown_name(r, i, msg);
		default:
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		}
	}
	return EDGECA_OK;
}

edgeca_err
notification_list(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
                  long limit, const char *cursor, struct notification_list *out,
                  struct edgeca_msg *msg)
{
	char *only = NULL;
	struct page_sql pg;
	struct db_param p[4] = {{pg.after, 0, false}, {ca_id, 0, false}, {pg.rows, 0, false},
	                        {NULL, 0, false}};
	struct db_param q[1] = {{ca_id, 0, false}};
	PGconn *c = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_sql_read(limit, cursor, &pg, msg)) != EDGECA_OK)
		return rc;
	if (ca_id != NULL && !uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if ((rc = token_scope_sql(&who->scope, &only, msg)) != EDGECA_OK)
		return rc;
	p[3].value = only;
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		goto out;
	if (ca_id != NULL) {
		rc = db_exec(c, "SELECT 1 FROM cas WHERE id = $1", q, 1, &r, "find CA", msg);
		if (rc == EDGECA_OK && PQntuples(r) == 0)
			rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
		PQclear(r);
		r = NULL;
		if (rc != EDGECA_OK)
			goto out;
	}
	if ((rc = db_exec(c, list_sql, p, 4, &r, "list notifications", msg)) != EDGECA_OK ||
	    (rc = fill_list(r, out, msg)) != EDGECA_OK)
		goto out;
	if (out->n > (size_t)pg.page) {
		for (size_t k = 0; k < out->items[pg.page].n_deliveries; k++)
			delivery_view_free(&out->items[pg.page].deliveries[k]);
		free(out->items[pg.page].error);
		out->n = (size_t)pg.page;
		cursor_encode(out->items[out->n - 1].seq, out->next_cursor);
	}
out:
	PQclear(r);
	db_release(ctx->db, c);
	free(only);
	if (rc != EDGECA_OK)
		notification_list_free(out);
	return rc;
}

void
notification_list_free(struct notification_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; l->items && i < l->n; i++) {
		for (size_t k = 0; k < l->items[i].n_deliveries; k++)
			delivery_view_free(&l->items[i].deliveries[k]);
		free(l->items[i].error);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
