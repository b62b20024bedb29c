/* The CA and its locations as values: freeing, finding a location, the
 * policy tests and the state a CA takes from its locations. Pure. */
#include "model/ca/ca.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/timeutil.h"
#include "model/ca/internal/ca_internal.h"
#include "model/core/names.h"
#include "signer/proto/templates.h"

static const char *const kind_names[] = {[CA_KIND_ROOT] = "root",
                                         [CA_KIND_SUBORDINATE] = "subordinate"};
static const char *const status_names[] = {
	[CA_STATUS_ACTIVE] = "active", [CA_STATUS_PENDING_CHAINING] = "pending_chaining",
	[CA_STATUS_DISABLED] = "disabled", [CA_STATUS_REVOKED] = "revoked"};
static const char *const location_status_names[] = {
	[LOCATION_ACTIVE] = "active", [LOCATION_PENDING_CHAINING] = "pending_chaining",
	[LOCATION_REVOKED] = "revoked"};
static const char *const chaining_names[] = {
	[CA_CHAINING_SELF] = "self", [CA_CHAINING_INTERNAL] = "internal",
	[CA_CHAINING_EXTERNAL] = "external", [CA_CHAINING_PENDING] = "pending"};

EDGECA_NAMES(ca_kind, enum ca_kind, kind_names)
EDGECA_NAMES(ca_status, enum ca_status, status_names)
EDGECA_NAMES(ca_location_status, enum ca_location_status, location_status_names)
static const char *const action_names[] = {[CA_ACTION_NOTIFY] = "notify",
                                           [CA_ACTION_AUTO_RENEW] = "auto_renew"};

EDGECA_NAMES(ca_chaining, enum ca_chaining, chaining_names)
EDGECA_NAMES(ca_lifecycle_action, enum ca_lifecycle_action, action_names)

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
	free(ca->disabled_reason);
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
		if (name != NULL ? strcmp(loc->name, name) == 0 : loc->status == LOCATION_ACTIVE)
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

	if (ca->status == CA_STATUS_DISABLED)
		return; /* ended by ca_enable only */
	for (size_t i = 0; i < ca->n_locations; i++)
		active = active || ca->locations[i].status == LOCATION_ACTIVE;
	ca->status = active ? CA_STATUS_ACTIVE : CA_STATUS_PENDING_CHAINING;
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

long
ca_child_path_length(const struct ca *child)
{
	if (child->path_length >= 0)
		return child->path_length;
	for (char **t = child->allowed_templates; t && *t; t++)
		if (tpl_by_name(*t) != NULL && tpl_by_name(*t)->is_ca)
			return -1;
	return 0;
}
