/* CA creation: a request resolved to settings, signer keys (and, with a
 * parent, certificates) made for every location, then the CA stored with
 * its audit row; nothing is stored unless every key exists. */
#include "model/ca/ca.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "model/auth/token_scope.h"
#include "model/ca/chain.h"
#include "model/ca/first_crls.h"
#include "model/ca/internal/ca_internal.h"
#include "model/ca/store.h"
#include "model/store/audit.h"

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

edgeca_err
ca_create(struct edgeca_ctx *ctx, const struct principal *who, const struct ca_create_req *req,
          struct ca **out, struct edgeca_msg *msg)
{
	struct ca *ca = NULL, *parent = NULL;
	X509_NAME *subject = NULL;
	unsigned char *subject_der = NULL;
	char not_after_s[RFC3339_LEN] = "", locations[CA_MAX_LOCATIONS * 65] = "";
	char *rules = NULL;
	time_t not_after, now = time(NULL);
	bool anchors_given = false;
	PGconn *c = NULL;
	int subject_len;
	edgeca_err rc;

	*out = NULL;
	if (req->import != NULL)
		return ca_import(ctx, who, req, out, msg);
	rc = ca_settings_resolve(req, ctx->settings.default_location, now, &ca, &not_after, msg);
	if (rc != EDGECA_OK)
		return rc;
	if ((rc = ca_est_resolve(&req->est, ca, true, now, &anchors_given, msg)) != EDGECA_OK)
		goto out;
	snprintf(ca->created_by, sizeof(ca->created_by), "%s", who->actor);
	ca->chaining = ca->kind == CA_KIND_ROOT ? CA_CHAINING_SELF : CA_CHAINING_PENDING;
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
	rc = ca_keys_for_locations(ctx, ca, subject_der, (size_t)subject_len, not_after, msg);
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
	rules = name_rules_text(ca->name_rules);
	{
		const char *details[] = {"common_name", ca->common_name, "kind",
		                         ca_kind_name(ca->kind), "key_algorithm", ca->key_algorithm,
		                         "not_after", not_after_s, "locations", locations,
		                         "parent_ca_id", ca->parent_ca_id, "name_rules", rules};
		rc = audit_write(c, who->actor, "ca.create", "ca", ca->id, details, rules ? 14 : 12,
		                 msg);
	}
	if (rc == EDGECA_OK)
		rc = db_commit(c, msg);
	if (rc != EDGECA_OK)
		goto out;
	log_info("ca_create: ca=%s kind=%s cn=\"%s\" status=%s by %s", ca->id,
	         ca_kind_name(ca->kind), ca->common_name, ca_status_name(ca->status), who->actor);
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
