#include "model/ca/ca.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "model/store/audit.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/auth/token.h"
#include "model/auth/token_scope.h"

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->common_name);
	free(ca->friendly_name);
	free(ca->organization);
	free(ca->organizational_unit);
	free(ca->country);
	free(ca->subject);
	strv_free(ca->notification_emails);
	free(ca->webhook_url);
	if (ca->new_webhook_secret != NULL)
		OPENSSL_cleanse(ca->new_webhook_secret, strlen(ca->new_webhook_secret));
	free(ca->new_webhook_secret);
	free(ca->crl_distribution_point);
	strv_free(ca->allowed_templates);
	name_rules_free(ca->name_rules);
	free(ca->est.basic_password_hash);
	for (size_t i = 0; i < ca->est.n_anchors; i++) {
		free(ca->est.anchors[i].subject);
		free(ca->est.anchors[i].der);
	}
	free(ca->est.anchors);
	for (size_t i = 0; i < ca->n_locations; i++) {
		free(ca->locations[i].cert_der);
		free(ca->locations[i].csr_der);
		free(ca->locations[i].chain_pem);
		free(ca->locations[i].renewal.csr_der);
		for (size_t k = 0; k < ca->locations[i].n_previous; k++)
			free(ca->locations[i].previous[k].der);
		free(ca->locations[i].previous);
	}
	free(ca->locations);
	strv_free(ca->warnings);
	free(ca);
}

const struct ca_location *
ca_find_location(const struct ca *ca, const char *name)
{
	for (size_t i = 0; i < ca->n_locations; i++) {
		const struct ca_location *loc = &ca->locations[i];
		if (name != NULL ? strcmp(loc->name, name) == 0 : strcmp(loc->status, "active") == 0)
			return loc;
	}
	return NULL;
}

bool
ca_allows_template(const struct ca *ca, const char *tpl)
{
	for (char **t = ca->allowed_templates; t && *t; t++)
		if (strcmp(*t, tpl) == 0)
			return true;
	return false;
}

/* C, O, OU, CN in this order, as UTF8String (C as PrintableString). */
static X509_NAME *
build_subject(const struct ca *ca)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL)
		return NULL;
	if ((ca->country &&
	     !X509_NAME_add_entry_by_NID(n, NID_countryName, MBSTRING_ASC,
	                                 (const unsigned char *)ca->country, -1, -1, 0)) ||
	    (ca->organization &&
	     !X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8,
	                                 (const unsigned char *)ca->organization, -1, -1, 0)) ||
	    (ca->organizational_unit &&
	     !X509_NAME_add_entry_by_NID(n, NID_organizationalUnitName, MBSTRING_UTF8,
	                                 (const unsigned char *)ca->organizational_unit, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	                                (const unsigned char *)ca->common_name, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

char *
ca_join_templates(char **v)
{
	size_t need = 1;
	char *out;

	for (char **t = v; *t; t++)
		need += strlen(*t) + 1;
	out = calloc(1, need);
	if (out == NULL)
		return NULL;
	for (char **t = v; *t; t++) {
		if (t != v)
			strcat(out, ",");
		strcat(out, *t);
	}
	return out;
}

edgeca_err
ca_location_take_cert(struct ca_location *loc, unsigned char *der, size_t len,
                      struct edgeca_msg *msg)
{
	X509 *x = x509_from_der(der, len);
	edgeca_err rc = EDGECA_OK;

	if (x == NULL || asn1_integer_hex(X509_get0_serialNumber(x), loc->serial) != 0 ||
	    asn1_time_to_time_t(X509_get0_notBefore(x), &loc->not_before) != 0 ||
	    asn1_time_to_time_t(X509_get0_notAfter(x), &loc->not_after) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "a CA certificate cannot be read");
	} else {
		free(loc->cert_der);
		loc->cert_der = der;
		loc->cert_len = len;
	}
	X509_free(x);
	return rc;
}

void
ca_update_status(struct ca *ca)
{
	bool active = false;

	for (size_t i = 0; i < ca->n_locations; i++)
		active = active || strcmp(ca->locations[i].status, "active") == 0;
	snprintf(ca->status, sizeof(ca->status), "%s", active ? "active" : "pending_chaining");
}

/* A key for each location: roots sign their own certificate, subordinates
 * get a CSR each. */
static edgeca_err
make_location_keys(struct edgeca_ctx *ctx, struct ca *ca, const unsigned char *subject_der,
                   size_t subject_len, time_t not_after, struct edgeca_msg *msg)
{
	bool root = strcmp(ca->kind, "root") == 0;
	char *templates = ca_join_templates(ca->allowed_templates);
	char *rules = name_rules_text(ca->name_rules);
	edgeca_err rc = EDGECA_OK;

	if (templates == NULL || (ca->name_rules != NULL && rules == NULL)) {
		free(templates);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < ca->n_locations && rc == EDGECA_OK; i++) {
		struct ca_location *loc = &ca->locations[i];
		unsigned char *der = NULL;
		size_t len = 0;

		rc = signer_key_create(ctx->signer, ca->key_algorithm, templates,
		                       (uint32_t)ca->max_validity_days, ca->path_length, rules,
		                       loc->key_id, msg);
		if (rc != EDGECA_OK)
			break;
		if (root) {
			rc = signer_self_sign(ctx->signer, loc->key_id, subject_der, subject_len,
			                      not_after, &der, &len, msg);
			if (rc == EDGECA_OK && (rc = ca_location_take_cert(loc, der, len, msg)) == EDGECA_OK)
				snprintf(loc->status, sizeof(loc->status), "active");
			else
				free(der);
			if (rc == EDGECA_OK && (loc->chain_pem = strdup("")) == NULL)
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		} else {
			rc = signer_csr_create(ctx->signer, loc->key_id, subject_der, subject_len,
			                       &loc->csr_der, &loc->csr_len, msg);
			if (rc == EDGECA_OK && (loc->chain_pem = strdup("")) == NULL)
				rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		}
	}
	free(templates);
	free(rules);
	return rc;
}

edgeca_err
ca_load_parent(PGconn *c, const char *parent_id, struct ca **parent, struct edgeca_msg *msg)
{
	edgeca_err rc;

	*parent = NULL;
	if (!uuid_valid(parent_id))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "parent-not-found",
		                   "parent_ca_id %s names no CA", parent_id);
	rc = ca_store_load(c, parent_id, parent, msg);
	if (rc == EDGECA_ERR_NOT_FOUND)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "parent-not-found",
		                 "parent_ca_id %s names no CA", parent_id);
	return rc;
}

edgeca_err
ca_create(struct edgeca_ctx *ctx, const struct principal *who, const struct ca_create_req *req,
          struct ca **out, struct edgeca_msg *msg)
{
	struct ca *ca = NULL, *parent = NULL;
	X509_NAME *subject = NULL;
	unsigned char *subject_der = NULL;
	char not_after_s[RFC3339_LEN] = "", locations[CA_MAX_LOCATIONS * 65] = "";
	const char *details[14];
	char *rules = NULL;
	time_t not_after, now = time(NULL);
	bool anchors_given = false;
	PGconn *c = NULL;
	int subject_len;
	edgeca_err rc;

	*out = NULL;
	rc = ca_settings_resolve(req, ctx->cfg->default_location, now, &ca, &not_after, msg);
	if (rc != EDGECA_OK)
		return rc;
	if ((rc = ca_est_resolve(&req->est, ca, true, now, &anchors_given, msg)) != EDGECA_OK)
		goto out;
	snprintf(ca->created_by, sizeof(ca->created_by), "%s", who->actor);
	snprintf(ca->chaining, sizeof(ca->chaining), "%s",
	         strcmp(ca->kind, "root") == 0 ? "self" : "pending");
	subject = build_subject(ca);
	if (subject == NULL || (subject_len = i2d_X509_NAME(subject, &subject_der)) <= 0 ||
	    (ca->subject = x509_name_string(subject)) == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot build the CA subject");
		goto out;
	}
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		goto out;
	if (req->parent_ca_id != NULL &&
	    ((rc = ca_load_parent(c, req->parent_ca_id, &parent, msg)) != EDGECA_OK ||
	     (rc = ca_check_parent(ca, parent, NULL, now, &not_after, msg)) != EDGECA_OK))
		goto out;
	/* Keys and certificates first: nothing is stored unless all exist. */
	rc = make_location_keys(ctx, ca, subject_der, (size_t)subject_len, not_after, msg);
	if (rc == EDGECA_OK && parent != NULL)
		rc = ca_sign_by_parent(ctx, ca, parent, not_after, msg);
	if (rc != EDGECA_OK)
		goto out;
	ca_update_status(ca);
	for (size_t i = 0; i < ca->n_locations; i++)
		snprintf(locations + strlen(locations), sizeof(locations) - strlen(locations), "%s%s",
		         i ? "," : "", ca->locations[i].name);
	if (ca_find_location(ca, NULL) != NULL)
		rfc3339_format(ca_find_location(ca, NULL)->not_after, not_after_s);
	if ((rc = db_begin(c, msg)) != EDGECA_OK || (rc = ca_store_insert(c, ca, msg)) != EDGECA_OK ||
	    (rc = ca_est_store(c, ca, anchors_given, msg)) != EDGECA_OK ||
	    (ca->webhook_url != NULL && (rc = ca_store_webhook(ctx, c, ca, msg)) != EDGECA_OK))
		goto out;
	details[0] = "common_name";
	details[1] = ca->common_name;
	details[2] = "kind";
	details[3] = ca->kind;
	details[4] = "key_algorithm";
	details[5] = ca->key_algorithm;
	details[6] = "not_after";
	details[7] = not_after_s;
	details[8] = "locations";
	details[9] = locations;
	details[10] = "parent_ca_id";
	details[11] = ca->parent_ca_id;
	details[12] = "name_rules";
	details[13] = rules = name_rules_text(ca->name_rules);
	rc = audit_write(c, who->actor, "ca.create", "ca", ca->id, details, rules ? 14 : 12, msg);
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	if (rc != EDGECA_OK)
		goto out;
	log_info("ca_create: ca=%s kind=%s cn=\"%s\" status=%s by %s", ca->id, ca->kind,
	         ca->common_name, ca->status, who->actor);
	ca_first_crls(ctx, c, who->actor, ca);
	*out = ca;
	ca = NULL;
out:
	if (rc != EDGECA_OK && ca != NULL)
		for (size_t i = 0; i < ca->n_locations; i++)
			if (ca->locations[i].key_id[0])
				log_warn("ca_create: signer key %s is left unused: %s",
				         ca->locations[i].key_id, msg ? msg->detail : "");
	if (c != NULL)
		db_release(ctx->db, c);
	OPENSSL_free(subject_der);
	X509_NAME_free(subject);
	free(rules);
	ca_free(parent);
	ca_free(ca);
	return rc;
}

edgeca_err
ca_update(struct edgeca_ctx *ctx, const struct principal *who, const char *ca_id,
          const struct ca_est_req *est, const struct ca_lifecycle_req *lifecycle,
          const struct ca_crl_req *crl, struct ca **out, struct edgeca_msg *msg)
{
	struct db_param p[1] = {{ca_id, 0, false}};
	struct ca *ca = NULL;
	char *secret = NULL;
	PGconn *c = NULL;
	PGresult *r = NULL;
	edgeca_err rc;

	*out = NULL;
	if (!uuid_valid(ca_id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", ca_id);
	if ((rc = db_acquire(ctx->db, &c, msg)) != EDGECA_OK)
		return rc;
	/* The row lock orders concurrent updates of one CA. */
	if ((rc = db_begin(c, msg)) != EDGECA_OK ||
	    (rc = db_exec(c, "SELECT 1 FROM cas WHERE id = $1 FOR UPDATE", p, 1, &r, "lock CA",
	                  msg)) != EDGECA_OK ||
	    (rc = ca_store_load(c, ca_id, &ca, msg)) != EDGECA_OK ||
	    (est != NULL && (rc = ca_est_update_locked(c, who, ca, est, msg)) != EDGECA_OK) ||
	    (lifecycle != NULL &&
	     (rc = ca_lifecycle_update_locked(ctx, c, who, ca, lifecycle, msg)) != EDGECA_OK) ||
	    (crl != NULL && (rc = ca_crl_update_locked(c, who, ca, crl, msg)) != EDGECA_OK) ||
	    (rc = db_commit(c, msg)) != EDGECA_OK)
		goto out;
	log_info("ca_update: ca=%s%s%s%s by %s", ca->id, est ? " est" : "",
	         lifecycle ? " lifecycle" : "", crl ? " crl" : "", who->actor);
	secret = ca->new_webhook_secret;
	ca->new_webhook_secret = NULL;
	/* Read back what is stored, as every other read shows it. */
	if ((rc = ca_store_load_full(c, ca_id, out, msg)) == EDGECA_OK) {
		(*out)->new_webhook_secret = secret;
		secret = NULL;
	}
	if (rc == EDGECA_OK && crl != NULL)
		ca_first_crls(ctx, c, who->actor, *out);
out:
	if (secret != NULL)
		OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	PQclear(r);
	db_release(ctx->db, c);
	ca_free(ca);
	return rc;
}

edgeca_err
ca_get(struct edgeca_ctx *ctx, const char *id, struct ca **out, struct edgeca_msg *msg)
{
	PGconn *c = NULL;
	edgeca_err rc;

	*out = NULL;
	if (!uuid_valid(id))
		return edgeca_fail(msg, EDGECA_ERR_NOT_FOUND, "ca-not-found", "no CA %s", id);
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		return rc;
	rc = ca_store_load_full(c, id, out, msg);
	db_release(ctx->db, c);
	return rc;
}

edgeca_err
ca_list(struct edgeca_ctx *ctx, const struct principal *who, long limit, const char *cursor,
        struct ca_list *out, struct edgeca_msg *msg)
{
	long long after;
	long page;
	bool more = false;
	char *only = NULL;
	PGconn *c = NULL;
	edgeca_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = page_limit(limit, &page, msg)) != EDGECA_OK ||
	    (rc = cursor_decode(cursor, &after, msg)) != EDGECA_OK ||
	    (rc = token_scope_sql(&who->scope, &only, msg)) != EDGECA_OK)
		return rc;
	rc = db_acquire(ctx->db, &c, msg);
	if (rc != EDGECA_OK)
		goto out;
	rc = ca_store_list(c, only, after, page, &out->items, &out->n, &more, msg);
	db_release(ctx->db, c);
	if (rc == EDGECA_OK && more && out->n > 0)
		cursor_encode(out->items[out->n - 1]->seq, out->next_cursor);
out:
	free(only);
	return rc;
}

void
ca_list_free(struct ca_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		ca_free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
