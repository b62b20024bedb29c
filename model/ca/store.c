#include "model/ca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/store/audit.h"
#include "model/store/db.h"

#define CA_COLUMNS                                                                             \
	"cas.id, seq, kind, cas.status, common_name, friendly_name, organization, "             \
	"organizational_unit, "                                                                  \
	"country, subject, key_algorithm, lifecycle_notification_emails, lifecycle_action, "     \
	"lifecycle_threshold_percent, lifecycle_webhook_url, crl_enabled, crl_validity_days, crl_overlap_hours, "       \
	"crl_delta_enabled, crl_delta_interval_minutes, "                                         \
	"crl_distribution_point, issuance_template, issuance_allowed_templates, "                \
	"issuance_max_validity_days, path_length, issuance_name_rules, chaining, parent_ca_id, " \
	"extract(epoch FROM cas.created_at)::bigint AS created_at, created_by, "                 \
	"extract(epoch FROM disabled_at)::bigint AS disabled_at, disabled_by, disabled_reason, " \
	"est_enabled, est_label, est_default, est_template, est_validity_days, "                  \
	"est_subject_policy, est_key_algorithm, est_basic_username, est_basic_password_hash, "    \
	"est_require_pop_linking, "                                                               \
	"ocsp_enabled, ocsp_validity_seconds, ocsp_delegated_responder, ocsp_responder_validity_days, " \
	"array(SELECT encode(a.sha256, 'hex') FROM ca_est_anchors a WHERE a.ca_id = cas.id "      \
	"ORDER BY a.position) AS est_anchor_sha256, "                                             \
	"array(SELECT a.subject FROM ca_est_anchors a WHERE a.ca_id = cas.id "                    \
	"ORDER BY a.position) AS est_anchor_subject, "                                            \
	"array(SELECT extract(epoch FROM a.not_after)::bigint::text FROM ca_est_anchors a "      \
	"WHERE a.ca_id = cas.id ORDER BY a.position) AS est_anchor_not_after"

#define LOCATION_COLUMNS                                                                       \
	"ca_id, name, status, signer_key_id, certificate_der, serial, csr_der, chain_pem, "      \
	"parent_location, generation, extract(epoch FROM not_before)::bigint AS not_before, "    \
	"extract(epoch FROM not_after)::bigint AS not_after, renewal_signer_key_id, "           \
	"renewal_csr_der, extract(epoch FROM renewal_requested_at)::bigint AS "                  \
	"renewal_requested_at, renewal_requested_by, revocation_reason, "                        \
	"extract(epoch FROM revoked_at)::bigint AS revoked_at, revoked_by"

/* The statements every issuance runs, prepared once per connection. */
/* A CA and its locations in one round trip: one row per location, the
 * location's columns prefixed with loc_ (a CA always has one). */
static const struct db_stmt load_ca_stmt = {
	STMT_LOAD_CA, "SELECT " CA_COLUMNS ", l.name AS loc_name, l.status AS loc_status, "
	   "l.signer_key_id AS loc_signer_key_id, l.certificate_der AS loc_certificate_der, "
	   "l.serial AS loc_serial, l.csr_der AS loc_csr_der, l.chain_pem AS loc_chain_pem, "
	   "l.parent_location AS loc_parent_location, l.generation AS loc_generation, "
	   "extract(epoch FROM l.not_before)::bigint AS loc_not_before, "
	   "extract(epoch FROM l.not_after)::bigint AS loc_not_after, "
	   "l.renewal_signer_key_id AS loc_renewal_signer_key_id, "
	   "l.renewal_csr_der AS loc_renewal_csr_der, "
	   "extract(epoch FROM l.renewal_requested_at)::bigint AS loc_renewal_requested_at, "
	   "l.renewal_requested_by AS loc_renewal_requested_by, "
	   "l.revocation_reason AS loc_revocation_reason, "
	   "extract(epoch FROM l.revoked_at)::bigint AS loc_revoked_at, "
	   "l.revoked_by AS loc_revoked_by "
	   "FROM cas JOIN ca_locations l ON l.ca_id = cas.id WHERE cas.id = $1 "
	   "ORDER BY l.position"};
static const struct db_stmt load_locations_stmt = {
	STMT_LOAD_LOCATIONS, "SELECT " LOCATION_COLUMNS " FROM ca_locations WHERE ca_id = ANY($1::uuid[]) "
	   "ORDER BY ca_id, position"};

static char *
dup_col(const PGresult *r, int i, const char *col)
{
	const char *v = db_get(r, i, col);

	return v ? strdup(v) : NULL;
}

static bool
col_true(const PGresult *r, int i, const char *col)
{
	const char *v = db_get(r, i, col);

	return v != NULL && strcmp(v, "t") == 0;
}

static void
copy_col(const PGresult *r, int i, const char *col, char *out, size_t len)
{
	const char *v = db_get(r, i, col);

	snprintf(out, len, "%s", v ? v : "");
}

/* The EST columns, with the anchors' summary from three parallel arrays. */
static int
est_from_row(const PGresult *r, int i, struct ca_est *est)
{
	char **sha = NULL, **subject = NULL, **not_after = NULL;
	size_t n = 0;
	int rc = -1;

	est->enabled = col_true(r, i, "est_enabled");
	est->is_default = col_true(r, i, "est_default");
	est->require_pop_linking = col_true(r, i, "est_require_pop_linking");
	copy_col(r, i, "est_label", est->label, sizeof(est->label));
	copy_col(r, i, "est_template", est->template, sizeof(est->template));
	copy_col(r, i, "est_subject_policy", est->subject_policy, sizeof(est->subject_policy));
	copy_col(r, i, "est_key_algorithm", est->key_algorithm, sizeof(est->key_algorithm));
	copy_col(r, i, "est_basic_username", est->basic_username, sizeof(est->basic_username));
	est->validity_days = db_get(r, i, "est_validity_days") ? (int)db_get_ll(r, i,
	                                                                        "est_validity_days")
	                                                       : 0;
	if (db_get(r, i, "est_basic_password_hash") != NULL &&
	    (est->basic_password_hash = strdup(db_get(r, i, "est_basic_password_hash"))) == NULL)
		return -1;
	if (db_get_text_array(r, i, "est_anchor_sha256", &sha) != 0 ||
	    db_get_text_array(r, i, "est_anchor_subject", &subject) != 0 ||
	    db_get_text_array(r, i, "est_anchor_not_after", &not_after) != 0)
		goto out;
	while (sha[n] != NULL && subject[n] != NULL && not_after[n] != NULL)
		n++;
	est->anchors = calloc(n ? n : 1, sizeof(*est->anchors));
	if (est->anchors == NULL)
		goto out;
	for (size_t k = 0; k < n; k++) {
		snprintf(est->anchors[k].sha256, sizeof(est->anchors[k].sha256), "%s", sha[k]);
		est->anchors[k].not_after = (time_t)strtoll(not_after[k], NULL, 10);
		est->anchors[k].subject = subject[k]; /* taken */
	}
	est->n_anchors = n;
	free(subject);
	subject = NULL;
	rc = 0;
out:
	strv_free(sha);
	strv_free(subject);
	strv_free(not_after);
	return rc;
}

static int
ca_from_row(const PGresult *r, int i, struct ca *ca)
{
	const char *pl = db_get(r, i, "path_length");

	snprintf(ca->id, sizeof(ca->id), "%s", db_get(r, i, "id"));
	ca->seq = db_get_ll(r, i, "seq");
	if (!ca_kind_parse(db_get(r, i, "kind"), &ca->kind) ||
	    !ca_status_parse(db_get(r, i, "status"), &ca->status) ||
	    !ca_chaining_parse(db_get(r, i, "chaining"), &ca->chaining) ||
	    !ca_lifecycle_action_parse(db_get(r, i, "lifecycle_action"), &ca->lifecycle_action))
		return -1;
	ca->common_name = dup_col(r, i, "common_name");
	ca->friendly_name = dup_col(r, i, "friendly_name");
	ca->organization = dup_col(r, i, "organization");
	ca->organizational_unit = dup_col(r, i, "organizational_unit");
	ca->country = dup_col(r, i, "country");
	ca->subject = dup_col(r, i, "subject");
	snprintf(ca->key_algorithm, sizeof(ca->key_algorithm), "%s", db_get(r, i, "key_algorithm"));
	ca->threshold_percent = (int)db_get_ll(r, i, "lifecycle_threshold_percent");
	ca->webhook_url = dup_col(r, i, "lifecycle_webhook_url");
	ca->crl_enabled = strcmp(db_get(r, i, "crl_enabled"), "t") == 0;
	ca->crl_validity_days = (int)db_get_ll(r, i, "crl_validity_days");
	ca->crl_overlap_hours = (int)db_get_ll(r, i, "crl_overlap_hours");
	ca->crl_distribution_point = dup_col(r, i, "crl_distribution_point");
	ca->ocsp_enabled = strcmp(db_get(r, i, "ocsp_enabled"), "t") == 0;
	ca->ocsp_validity_seconds = (int)db_get_ll(r, i, "ocsp_validity_seconds");
	ca->ocsp_delegated_responder = strcmp(db_get(r, i, "ocsp_delegated_responder"), "t") == 0;
	ca->ocsp_responder_validity_days = (int)db_get_ll(r, i, "ocsp_responder_validity_days");
	ca->crl_delta_enabled = strcmp(db_get(r, i, "crl_delta_enabled"), "t") == 0;
	ca->crl_delta_interval_minutes = (int)db_get_ll(r, i, "crl_delta_interval_minutes");
	snprintf(ca->template, sizeof(ca->template), "%s", db_get(r, i, "issuance_template"));
	ca->max_validity_days = (int)db_get_ll(r, i, "issuance_max_validity_days");
	ca->path_length = pl ? atoi(pl) : -1;
	ca->created_at = (time_t)db_get_time(r, i, "created_at");
	snprintf(ca->created_by, sizeof(ca->created_by), "%s", db_get(r, i, "created_by"));
	ca->disabled_at = (time_t)db_get_time(r, i, "disabled_at");
	copy_col(r, i, "disabled_by", ca->disabled_by, sizeof(ca->disabled_by));
	ca->disabled_reason = dup_col(r, i, "disabled_reason");
	snprintf(ca->parent_ca_id, sizeof(ca->parent_ca_id), "%s",
	         db_get(r, i, "parent_ca_id") ? db_get(r, i, "parent_ca_id") : "");
	if (ca->common_name == NULL || ca->friendly_name == NULL || ca->subject == NULL ||
	    (db_get(r, i, "lifecycle_webhook_url") != NULL && ca->webhook_url == NULL) ||
	    (db_get(r, i, "disabled_reason") != NULL && ca->disabled_reason == NULL))
		return -1;
	if (db_get(r, i, "issuance_name_rules") != NULL &&
	    name_rules_parse(db_get(r, i, "issuance_name_rules"), &ca->name_rules, NULL) != EDGECA_OK)
		return -1;
	if (db_get_text_array(r, i, "lifecycle_notification_emails", &ca->notification_emails) != 0 ||
	    db_get_text_array(r, i, "issuance_allowed_templates", &ca->allowed_templates) != 0 ||
	    est_from_row(r, i, &ca->est) != 0)
		return -1;
	return 0;
}

/* Column pre + name. */
static const char *
col(const char *pre, const char *name, char buf[64])
{
	snprintf(buf, 64, "%s%s", pre, name);
	return buf;
}

/* The pending renewal of the location in row i, if any (all its columns
 * or none are set: a CHECK of the table). */
static int
renewal_from_row(const PGresult *r, int i, const char *pre, struct ca_renewal *rn)
{
	char b[64];
	const char *key = db_get(r, i, col(pre, "renewal_signer_key_id", b));

	if (key == NULL)
		return 0;
	snprintf(rn->key_id, sizeof(rn->key_id), "%s", key);
	snprintf(rn->requested_by, sizeof(rn->requested_by), "%s",
	         db_get(r, i, col(pre, "renewal_requested_by", b)));
	rn->requested_at = (time_t)db_get_time(r, i, col(pre, "renewal_requested_at", b));
	return db_get_bytea(r, i, col(pre, "renewal_csr_der", b), &rn->csr_der, &rn->csr_len);
}

/* A location from row i; its columns are named pre + the table's names. */
static int
location_from_row(const PGresult *r, int i, const char *pre, struct ca_location *loc)
{
	char b[64];
	const char *serial = db_get(r, i, col(pre, "serial", b));
	const char *parent = db_get(r, i, col(pre, "parent_location", b));

	memset(loc, 0, sizeof(*loc));
	snprintf(loc->parent_location, sizeof(loc->parent_location), "%s", parent ? parent : "");
	loc->chain_pem = strdup(db_get(r, i, col(pre, "chain_pem", b)));
	if (loc->chain_pem == NULL)
		return -1;
	if (db_get(r, i, col(pre, "csr_der", b)) != NULL &&
	    db_get_bytea(r, i, b, &loc->csr_der, &loc->csr_len) != 0)
		return -1;
	snprintf(loc->name, sizeof(loc->name), "%s", db_get(r, i, col(pre, "name", b)));
	if (!ca_location_status_parse(db_get(r, i, col(pre, "status", b)), &loc->status))
		return -1;
	snprintf(loc->key_id, sizeof(loc->key_id), "%s", db_get(r, i, col(pre, "signer_key_id", b)));
	snprintf(loc->serial, sizeof(loc->serial), "%s", serial ? serial : "");
	loc->not_before = (time_t)db_get_time(r, i, col(pre, "not_before", b));
	loc->not_after = (time_t)db_get_time(r, i, col(pre, "not_after", b));
	loc->generation = (int)db_get_ll(r, i, col(pre, "generation", b));
	if (db_get(r, i, col(pre, "certificate_der", b)) != NULL &&
	    db_get_bytea(r, i, b, &loc->cert_der, &loc->cert_len) != 0)
		return -1;
	copy_col(r, i, col(pre, "revocation_reason", b), loc->revocation.reason,
	         sizeof(loc->revocation.reason));
	copy_col(r, i, col(pre, "revoked_by", b), loc->revocation.revoked_by,
	         sizeof(loc->revocation.revoked_by));
	loc->revocation.revoked_at = (time_t)db_get_time(r, i, col(pre, "revoked_at", b));
	return renewal_from_row(r, i, pre, &loc->renewal);
}

/* Attaches the locations in r (ordered by ca_id, position) to cas. */
static int
attach_locations(const PGresult *r, struct ca **cas, size_t n)
{
	int rows = PQntuples(r);

	for (size_t k = 0; k < n; k++) {
		size_t count = 0, j = 0;
		for (int i = 0; i < rows; i++)
			if (strcmp(db_get(r, i, "ca_id"), cas[k]->id) == 0)
				count++;
		cas[k]->locations = calloc(count ? count : 1, sizeof(struct ca_location));
		if (cas[k]->locations == NULL)
			return -1;
		for (int i = 0; i < rows; i++) {
			if (strcmp(db_get(r, i, "ca_id"), cas[k]->id) != 0)
				continue;
			if (location_from_row(r, i, "", &cas[k]->locations[j]) != 0)
				return -1;
			j++;
			cas[k]->n_locations = j;
		}
	}
	return 0;
}

static edgeca_err
load_locations(PGconn *c, struct ca **cas, size_t n, struct edgeca_msg *msg)
{
	const char **ids;
	char *literal;
	struct db_param p[1];
	PGresult *r = NULL;
	edgeca_err rc;

	if (n == 0)
		return EDGECA_OK;
	ids = calloc(n, sizeof(char *));
	if (ids == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		ids[i] = cas[i]->id;
	literal = db_text_array_literal(ids, n);
	free(ids);
	if (literal == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	p[0] = (struct db_param){literal, 0, false};
	rc = db_exec_prepared(c, &load_locations_stmt, p, 1, &r, "load CA locations", msg);
	free(literal);
	if (rc == EDGECA_OK && attach_locations(r, cas, n) != 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read CA locations");
	PQclear(r);
	return rc;
}

/* Appends history row i to the location it belongs to among cas. */
static int
attach_previous(const PGresult *r, int i, struct ca *const *cas, size_t n)
{
	const char *ca_id = db_get(r, i, "ca_id"), *name = db_get(r, i, "location");
	struct ca_location *loc = NULL;
	struct ca_prev_cert *grown, *p;

	for (size_t k = 0; k < n && loc == NULL; k++)
		for (size_t j = 0; strcmp(cas[k]->id, ca_id) == 0 && j < cas[k]->n_locations; j++)
			if (strcmp(cas[k]->locations[j].name, name) == 0)
				loc = &cas[k]->locations[j];
	if (loc == NULL)
		return 0; /* a location added since the CAs were read */
	grown = realloc(loc->previous, (loc->n_previous + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	loc->previous = grown;
	p = &grown[loc->n_previous];
	memset(p, 0, sizeof(*p));
	p->generation = (int)db_get_ll(r, i, "generation");
	snprintf(p->serial, sizeof(p->serial), "%s", db_get(r, i, "serial"));
	p->not_before = (time_t)db_get_time(r, i, "not_before");
	p->not_after = (time_t)db_get_time(r, i, "not_after");
	if (db_get_bytea(r, i, "certificate_der", &p->der, &p->der_len) != 0)
		return -1;
	loc->n_previous++;
	return 0;
}

edgeca_err
ca_store_load_history(PGconn *c, struct ca *const *cas, size_t n, struct edgeca_msg *msg)
{
	const char **ids = NULL;
	char *literal = NULL;
	struct db_param p[1];
	PGresult *r = NULL;
	edgeca_err rc = EDGECA_OK;

	if (n == 0)
		return EDGECA_OK;
	if ((ids = calloc(n, sizeof(char *))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = cas[i]->id;
	if ((literal = db_text_array_literal(ids, n)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	p[0] = (struct db_param){literal, 0, false};
	rc = db_exec(c, "SELECT ca_id, location, generation, certificate_der, serial, "
	                "extract(epoch FROM not_before)::bigint AS not_before, "
	                "extract(epoch FROM not_after)::bigint AS not_after "
	                "FROM ca_location_history WHERE ca_id = ANY($1::uuid[]) "
	                "ORDER BY ca_id, location, generation DESC",
	             p, 1, &r, "load CA location history", msg);
	for (int i = 0; rc == EDGECA_OK && i < PQntuples(r); i++)
		if (attach_previous(r, i, cas, n) != 0)
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the CA's history");
out:
	PQclear(r);
	free(literal);
	free(ids);
	return rc;
}

edgeca_err
ca_store_load(PGconn *c, const char *id, struct ca **out, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{id, 0, false}};
	struct ca *ca = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	*out = NULL;
	rc = db_exec_prepared(c, &load_ca_stmt, p, 1, &r, "load CA", msg);
	if (rc != EDGECA_OK)
		return rc;
	if (PQntuples(r) < 1) {
		rc = edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", id);
		goto out;
	}
	ca = calloc(1, sizeof(*ca));
	if (ca == NULL || ca_from_row(r, 0, ca) != 0 ||
	    (ca->locations = calloc((size_t)PQntuples(r), sizeof(struct ca_location))) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the CA");
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		if (location_from_row(r, i, "loc_", &ca->locations[i]) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read the CA's locations");
			goto out;
		}
		ca->n_locations = (size_t)i + 1;
	}
	*out = ca;
	ca = NULL;
out:
	ca_free(ca);
	PQclear(r);
	return rc;
}

edgeca_err
ca_store_list(PGconn *c, const char *only, long long after, long limit, struct ca ***items,
              size_t *n, bool *more, struct edgeca_msg *msg)
{
	char after_s[32], limit_s[32];
	struct db_param p[3];
	struct ca **cas = NULL;
	PGresult *r = NULL;
	size_t count = 0;
	int rows;
	edgeca_err rc;

	*items = NULL;
	*n = 0;
	*more = false;
	snprintf(after_s, sizeof(after_s), "%lld", after);
	snprintf(limit_s, sizeof(limit_s), "%ld", limit + 1);
	p[0] = (struct db_param){after_s, 0, false};
	p[1] = (struct db_param){limit_s, 0, false};
	p[2] = (struct db_param){only, 0, false};
	/* filtered before the limit: pages and cursors stay whole */
	rc = db_exec(c, "SELECT " CA_COLUMNS " FROM cas WHERE seq > $1 AND ($3::uuid[] IS NULL "
	                "OR id = ANY ($3::uuid[])) ORDER BY seq LIMIT $2", p, 3, &r, "list CAs",
	             msg);
	if (rc != EDGECA_OK)
		return rc;
	rows = PQntuples(r);
	*more = rows > limit;
	count = (size_t)(rows > limit ? limit : rows);
	cas = calloc(count + 1, sizeof(struct ca *));
	if (cas == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		cas[i] = calloc(1, sizeof(struct ca));
		if (cas[i] == NULL || ca_from_row(r, (int)i, cas[i]) != 0) {
			rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot read CAs");
			goto out;
		}
	}
	rc = load_locations(c, cas, count, msg);
	if (rc == EDGECA_OK)
		rc = ca_store_load_history(c, cas, count, msg);
	if (rc != EDGECA_OK)
		goto out;
	*items = cas;
	*n = count;
	cas = NULL;
out:
	if (cas != NULL) {
		for (size_t i = 0; i < count; i++)
			ca_free(cas[i]);
		free(cas);
	}
	PQclear(r);
	return rc;
}

/* Inserts (position >= 0) or updates (position < 0) a location row. */
static edgeca_err
location_write(PGconn *c, const char *ca_id, const struct ca_location *loc, long position,
               struct edgeca_msg *msg)
{
	char pos[32], nb[32], na[32];
	struct db_param lp[12];
	bool has_cert = loc->cert_der != NULL;

	snprintf(pos, sizeof(pos), "%ld", position);
	snprintf(nb, sizeof(nb), "%lld", (long long)loc->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)loc->not_after);
	lp[0] = (struct db_param){ca_id, 0, false};
	lp[1] = (struct db_param){loc->name, 0, false};
	lp[2] = (struct db_param){ca_location_status_name(loc->status), 0, false};
	lp[3] = (struct db_param){loc->key_id, 0, false};
	lp[4] = (struct db_param){has_cert ? (const char *)loc->cert_der : NULL, (int)loc->cert_len,
	                          has_cert};
	lp[5] = (struct db_param){loc->serial[0] ? loc->serial : NULL, 0, false};
	lp[6] = (struct db_param){has_cert ? nb : NULL, 0, false};
	lp[7] = (struct db_param){has_cert ? na : NULL, 0, false};
	lp[8] = (struct db_param){loc->csr_der ? (const char *)loc->csr_der : NULL,
	                          (int)loc->csr_len, loc->csr_der != NULL};
	lp[9] = (struct db_param){loc->chain_pem ? loc->chain_pem : "", 0, false};
	lp[10] = (struct db_param){loc->parent_location[0] ? loc->parent_location : NULL, 0, false};
	lp[11] = (struct db_param){pos, 0, false};
	if (position >= 0)
		return db_exec(c, "INSERT INTO ca_locations (ca_id, name, status, signer_key_id, "
		                  "certificate_der, serial, not_before, not_after, csr_der, chain_pem, "
		                  "parent_location, position) VALUES ($1, $2, $3, $4, $5, $6, "
		                  "to_timestamp($7), to_timestamp($8), $9, $10, $11, $12)",
		               lp, 12, NULL, "insert CA location", msg);
	return db_exec(c, "UPDATE ca_locations SET status = $3, signer_key_id = $4, "
	                  "certificate_der = $5, serial = $6, not_before = to_timestamp($7), "
	                  "not_after = to_timestamp($8), csr_der = $9, chain_pem = $10, "
	                  "parent_location = $11 WHERE ca_id = $1 AND name = $2",
	               lp, 11, NULL, "update CA location", msg);
}

edgeca_err
ca_store_update_location(PGconn *c, const char *ca_id, const struct ca_location *loc,
                         struct edgeca_msg *msg)
{
	return location_write(c, ca_id, loc, -1, msg);
}

edgeca_err
ca_store_update_chaining(PGconn *c, const struct ca *ca, struct edgeca_msg *msg)
{
	struct db_param p[4] = {{ca->id, 0, false}, {ca_status_name(ca->status), 0, false},
	                        {ca_chaining_name(ca->chaining), 0, false},
	                        {ca->parent_ca_id[0] ? ca->parent_ca_id : NULL, 0, false}};

	/* a disabled CA chaining another location stays disabled */
	return db_exec(c, "UPDATE cas SET " CA_STATUS_SET_SQL ", chaining = $3, parent_ca_id = $4 "
	                  "WHERE id = $1", p, 4, NULL, "update CA chaining", msg);
}

edgeca_err
ca_store_insert(PGconn *c, struct ca *ca, struct edgeca_msg *msg)
{
	char threshold[16], crl_days[16], crl_overlap[16], max_days[16], pathlen[16], delta[16];
	char *emails = NULL, *allowed = NULL, *rules = name_rules_text(ca->name_rules);
	struct db_param p[26];
	PGresult *r = NULL;
	size_t n_emails = 0, n_allowed = 0;
	edgeca_err rc;

	while (ca->notification_emails && ca->notification_emails[n_emails])
		n_emails++;
	while (ca->allowed_templates && ca->allowed_templates[n_allowed])
		n_allowed++;
	emails = db_text_array_literal((const char *const *)ca->notification_emails, n_emails);
	allowed = db_text_array_literal((const char *const *)ca->allowed_templates, n_allowed);
	if (emails == NULL || allowed == NULL || (ca->name_rules != NULL && rules == NULL)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	snprintf(threshold, sizeof(threshold), "%d", ca->threshold_percent);
	snprintf(crl_days, sizeof(crl_days), "%d", ca->crl_validity_days);
	snprintf(crl_overlap, sizeof(crl_overlap), "%d", ca->crl_overlap_hours);
	snprintf(max_days, sizeof(max_days), "%d", ca->max_validity_days);
	snprintf(pathlen, sizeof(pathlen), "%d", ca->path_length);
	p[0] = (struct db_param){ca_kind_name(ca->kind), 0, false};
	p[1] = (struct db_param){ca_status_name(ca->status), 0, false};
	p[2] = (struct db_param){ca->common_name, 0, false};
	p[3] = (struct db_param){ca->friendly_name, 0, false};
	p[4] = (struct db_param){ca->organization, 0, false};
	p[5] = (struct db_param){ca->organizational_unit, 0, false};
	p[6] = (struct db_param){ca->country, 0, false};
	p[7] = (struct db_param){ca->subject, 0, false};
	p[8] = (struct db_param){ca->key_algorithm, 0, false};
	p[9] = (struct db_param){emails, 0, false};
	p[10] = (struct db_param){ca_lifecycle_action_name(ca->lifecycle_action), 0, false};
	p[11] = (struct db_param){threshold, 0, false};
	p[12] = (struct db_param){ca->crl_enabled ? "true" : "false", 0, false};
	p[13] = (struct db_param){crl_days, 0, false};
	p[14] = (struct db_param){crl_overlap, 0, false};
	p[15] = (struct db_param){ca->crl_distribution_point, 0, false};
	p[16] = (struct db_param){ca->template, 0, false};
	p[17] = (struct db_param){allowed, 0, false};
	p[18] = (struct db_param){max_days, 0, false};
	p[19] = (struct db_param){ca->path_length >= 0 ? pathlen : NULL, 0, false};
	p[20] = (struct db_param){ca->created_by, 0, false};
	p[21] = (struct db_param){ca_chaining_name(ca->chaining), 0, false};
	p[22] = (struct db_param){ca->parent_ca_id[0] ? ca->parent_ca_id : NULL, 0, false};
	p[23] = (struct db_param){rules, 0, false};
	snprintf(delta, sizeof(delta), "%d", ca->crl_delta_interval_minutes);
	p[24] = (struct db_param){ca->crl_delta_enabled ? "true" : "false", 0, false};
	p[25] = (struct db_param){delta, 0, false};
	rc = db_exec(c, "INSERT INTO cas (kind, status, common_name, friendly_name, organization, "
	                "organizational_unit, country, subject, key_algorithm, "
	                "lifecycle_notification_emails, lifecycle_action, lifecycle_threshold_percent, "
	                "crl_enabled, crl_validity_days, crl_overlap_hours, crl_distribution_point, "
	                "issuance_template, issuance_allowed_templates, issuance_max_validity_days, "
	                "path_length, created_by, chaining, parent_ca_id, issuance_name_rules, "
	                "crl_delta_enabled, crl_delta_interval_minutes) "
	                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
	                "$16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) "
	                "RETURNING id, seq, extract(epoch FROM created_at)::bigint AS created_at",
	             p, 26, &r, "insert CA", msg);
	if (rc != EDGECA_OK)
		goto out;
	snprintf(ca->id, sizeof(ca->id), "%s", db_get(r, 0, "id"));
	ca->seq = db_get_ll(r, 0, "seq");
	ca->created_at = (time_t)db_get_time(r, 0, "created_at");
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++)
		rc = location_write(c, ca->id, &ca->locations[i], (long)i, msg);
	if (rc == EDGECA_OK)
		rc = ca_store_ocsp(c, ca, msg);
out:
	PQclear(r);
	free(emails);
	free(allowed);
	free(rules);
	return rc;
}

edgeca_err
ca_store_load_full(PGconn *c, const char *id, struct ca **out, struct edgeca_msg *msg)
{
	edgeca_err rc = ca_store_load(c, id, out, msg);

	if (rc == EDGECA_OK && (rc = ca_store_load_history(c, out, 1, msg)) != EDGECA_OK) {
		ca_free(*out);
		*out = NULL;
	}
	return rc;
}

edgeca_err
ca_store_chaining(PGconn *c, const struct principal *who, const struct ca *ca,
                  const char *action, const char *detail_key, const char *detail_value,
                  struct edgeca_msg *msg)
{
	const char *details[4] = {"status", ca_status_name(ca->status), detail_key,
	                          detail_value};
	edgeca_err rc;

	if ((rc = db_begin(c, msg)) != EDGECA_OK)
		return rc;
	rc = ca_store_update_chaining(c, ca, msg);
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++)
		rc = ca_store_update_location(c, ca->id, &ca->locations[i], msg);
	if (rc == EDGECA_OK)
		rc = audit_write(c, who->actor, action, "ca", ca->id, details, 4, msg);
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	if (rc != EDGECA_OK)
		db_rollback(c);
	return rc;
}
