/* Validation and defaults of CA creation requests. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ca/ca.h"
#include "common/email.h"
#include "signer/proto/templates.h"

#define MAX_EMAILS 20
#define MAX_TEMPLATES 8
#define DEFAULT_ROOT_VALIDITY_DAYS 3650
#define DEFAULT_THRESHOLD_PERCENT 80
#define DEFAULT_CRL_VALIDITY_DAYS 7
#define DEFAULT_CRL_DELTA_INTERVAL_MINUTES 60
#define MAX_VALIDITY_DAYS 36500

void
ca_create_req_init(struct ca_create_req *r)
{
	memset(r, 0, sizeof(*r));
	r->validity_days = CA_FIELD_UNSET;
	r->n_notification_emails = -1;
	r->threshold_percent = CA_FIELD_UNSET;
	r->crl_enabled = -1;
	r->crl_validity_days = CA_FIELD_UNSET;
	r->crl_overlap_hours = CA_FIELD_UNSET;
	r->crl_delta_enabled = -1;
	r->crl_delta_interval_minutes = CA_FIELD_UNSET;
	r->n_allowed_templates = -1;
	r->max_validity_days = CA_FIELD_UNSET;
	r->path_length = CA_FIELD_UNSET;
	for (int k = 0; k < NR_LISTS; k++)
		r->n_name_rules[k] = -1;
	r->n_locations = -1;
	ca_est_req_init(&r->est);
	ca_ocsp_req_init(&r->ocsp);
}

static edgeca_err
check_text(const char *field, const char *v, size_t max_chars, struct edgeca_msg *msg)
{
	if (v[0] == '\0' || utf8_length(v) > max_chars)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s must have 1 to %zu characters", field, max_chars);
	if (utf8_has_control(v))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s must not contain control or invisible characters", field);
	if (utf8_has_outer_space(v))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s must not begin or end with white space", field);
	return EDGECA_OK;
}

static edgeca_err
check_range(const char *field, long v, long min, long max, struct edgeca_msg *msg)
{
	if (v < min || v > max)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s must be between %ld and %ld", field, min, max);
	return EDGECA_OK;
}

/* The URLs the signer writes into certificates: plain http(s), at most
 * 1024 characters, no spaces, commas, quotes or backslashes. */
static bool
url_valid(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	if (strlen(u) > 1024 || strlen(u) <= 8)
		return false;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ',' || *p == '"' || *p == '\\')
			return false;
	return true;
}

static char **
strv_copy(const char *const *items, size_t n)
{
	char **v = calloc(n + 1, sizeof(char *));

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(items[i]);
		if (v[i] == NULL) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

static char *
strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static edgeca_err
resolve_subject(const struct ca_create_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (req->common_name == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "missing-field", "common_name is required");
	if ((rc = check_text("common_name", req->common_name, 64, msg)) != EDGECA_OK)
		return rc;
	if (req->friendly_name != NULL &&
	    (rc = check_text("friendly_name", req->friendly_name, 200, msg)) != EDGECA_OK)
		return rc;
	if (req->organization != NULL &&
	    (rc = check_text("organization", req->organization, 64, msg)) != EDGECA_OK)
		return rc;
	if (req->organizational_unit != NULL &&
	    (rc = check_text("organizational_unit", req->organizational_unit, 64, msg)) != EDGECA_OK)
		return rc;
	if (req->country != NULL &&
	    (strlen(req->country) != 2 || !isalpha((unsigned char)req->country[0]) ||
	     !isalpha((unsigned char)req->country[1])))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "country must be a two-letter ISO 3166 code such as \"DE\"");
	ca->common_name = strdup(req->common_name);
	ca->friendly_name = strdup(req->friendly_name ? req->friendly_name : req->common_name);
	ca->organization = strdup_or_null(req->organization);
	ca->organizational_unit = strdup_or_null(req->organizational_unit);
	ca->country = strdup_or_null(req->country);
	if (ca->country != NULL) {
		ca->country[0] = (char)toupper((unsigned char)ca->country[0]);
		ca->country[1] = (char)toupper((unsigned char)ca->country[1]);
	}
	if (ca->common_name == NULL || ca->friendly_name == NULL ||
	    (req->organization && !ca->organization) ||
	    (req->organizational_unit && !ca->organizational_unit) || (req->country && !ca->country))
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return EDGECA_OK;
}

static edgeca_err
resolve_validity(const struct ca_create_req *req, bool root, time_t now, time_t *not_after,
                 struct edgeca_msg *msg)
{
	bool given = req->validity_days != CA_FIELD_UNSET || req->has_not_after;
	edgeca_err rc;

	if (req->validity_days != CA_FIELD_UNSET && req->has_not_after)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "give validity_days or not_after, not both");
	if (!root && given && req->parent_ca_id == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "the external root that signs this CA's requests decides its "
		                   "validity: omit validity_days and not_after (or give parent_ca_id)");
	if (!root && !given) {
		*not_after = 0; /* the longest the parent allows, decided when chained */
		return EDGECA_OK;
	}
	if (req->has_not_after) {
		if (req->not_after <= now + 3600 ||
		    req->not_after > now + (time_t)MAX_VALIDITY_DAYS * 86400)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "not_after must be more than an hour and at most %d days "
			                   "ahead", MAX_VALIDITY_DAYS);
		*not_after = req->not_after;
		return EDGECA_OK;
	}
	if (req->validity_days != CA_FIELD_UNSET &&
	    (rc = check_range("validity_days", req->validity_days, 1, MAX_VALIDITY_DAYS, msg)) !=
	        EDGECA_OK)
		return rc;
	*not_after = now + (time_t)(req->validity_days != CA_FIELD_UNSET
	                                ? req->validity_days : DEFAULT_ROOT_VALIDITY_DAYS) * 86400;
	return EDGECA_OK;
}

void
ca_lifecycle_req_init(struct ca_lifecycle_req *r)
{
	memset(r, 0, sizeof(*r));
	r->n_emails = -1;
	r->threshold_percent = CA_FIELD_UNSET;
}

edgeca_err
ca_lifecycle_apply(const struct ca_lifecycle_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	char **emails;
	edgeca_err rc;

	if (req->n_emails > MAX_EMAILS)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "lifecycle.notification_emails holds at most %d addresses",
		                   MAX_EMAILS);
	for (long i = 0; i < req->n_emails; i++)
		if (!email_valid(req->emails[i]))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "lifecycle.notification_emails[%ld] is not an e-mail address",
			                   i);
	if (req->webhook_url != NULL && !url_valid(req->webhook_url))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "lifecycle.webhook_url must be an http:// or https:// URL of at most "
		                   "1024 characters without spaces, commas, quotes or backslashes");
	if (req->action == NULL && req->action_null)
		ca->lifecycle_action = CA_ACTION_NOTIFY;
	if (req->action != NULL && !ca_lifecycle_action_parse(req->action, &ca->lifecycle_action))
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "lifecycle.action must be notify or auto_renew");
	if (ca->kind == CA_KIND_ROOT && ca->lifecycle_action == CA_ACTION_AUTO_RENEW)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "root-auto-renew",
		                   "a root CA is never renewed automatically: its replacement must be "
		                   "distributed by hand; use lifecycle.action \"notify\"");
	if (req->threshold_percent != CA_FIELD_UNSET)
		ca->threshold_percent = (int)req->threshold_percent;
	else if (req->threshold_null)
		ca->threshold_percent = DEFAULT_THRESHOLD_PERCENT;
	if ((rc = check_range("lifecycle.threshold_percent", ca->threshold_percent, 1, 99, msg)) !=
	    EDGECA_OK)
		return rc;
	if (req->n_emails >= 0 || req->emails_null) {
		emails = strv_copy(req->emails, req->n_emails > 0 ? (size_t)req->n_emails : 0);
		if (emails == NULL)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
		strv_free(ca->notification_emails);
		ca->notification_emails = emails;
	}
	if (req->webhook_url != NULL || req->webhook_url_null) {
		free(ca->webhook_url);
		ca->webhook_url = NULL;
		if (req->webhook_url != NULL && (ca->webhook_url = strdup(req->webhook_url)) == NULL)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	return EDGECA_OK;
}

static edgeca_err
resolve_lifecycle(const struct ca_create_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	struct ca_lifecycle_req r;

	ca_lifecycle_req_init(&r);
	r.emails = req->notification_emails;
	r.n_emails = req->n_notification_emails < 0 ? 0 : req->n_notification_emails;
	r.webhook_url = req->webhook_url;
	r.action = req->lifecycle_action;
	r.action_null = true; /* default notify */
	r.threshold_percent = req->threshold_percent;
	r.threshold_null = true; /* default 80 */
	return ca_lifecycle_apply(&r, ca, msg);
}

void
ca_crl_req_init(struct ca_crl_req *r)
{
	memset(r, 0, sizeof(*r));
	r->enabled = -1;
	r->validity_days = CA_FIELD_UNSET;
	r->overlap_hours = CA_FIELD_UNSET;
	r->delta_enabled = -1;
	r->delta_interval_minutes = CA_FIELD_UNSET;
}

/* Delta CRLs: every 5 minutes to once a day, and only beside the CRLs
 * they complete (CRLs turned off turn them off). */
static edgeca_err
apply_delta(const struct ca_crl_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (req->delta_interval_minutes != CA_FIELD_UNSET) {
		if ((rc = check_range("crl.delta.interval_minutes", req->delta_interval_minutes, 5,
		                      1440, msg)) != EDGECA_OK)
			return rc;
		ca->crl_delta_interval_minutes = (int)req->delta_interval_minutes;
	}
	if (req->delta_enabled >= 0)
		ca->crl_delta_enabled = req->delta_enabled != 0;
	else if (!ca->crl_enabled)
		ca->crl_delta_enabled = false;
	if (ca->crl_delta_enabled && !ca->crl_enabled)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "crl.delta.enabled needs crl.enabled: a delta CRL completes a CRL");
	return EDGECA_OK;
}

edgeca_err
ca_crl_apply(const struct ca_crl_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	char *dp = NULL;
	edgeca_err rc;

	if (req->enabled >= 0)
		ca->crl_enabled = req->enabled != 0;
	if (req->validity_days != CA_FIELD_UNSET) {
		if ((rc = check_range("crl.validity_days", req->validity_days, 1, 365, msg)) !=
		    EDGECA_OK)
			return rc;
		ca->crl_validity_days = (int)req->validity_days;
		if (req->overlap_hours == CA_FIELD_UNSET)
			ca->crl_overlap_hours =
				ca->crl_validity_days * 6 < 24 ? ca->crl_validity_days * 6 : 24;
	}
	if (req->overlap_hours != CA_FIELD_UNSET)
		ca->crl_overlap_hours = (int)req->overlap_hours;
	if ((rc = check_range("crl.overlap_hours", ca->crl_overlap_hours, 0,
	                      ca->crl_validity_days * 24 - 1, msg)) != EDGECA_OK)
		return rc;
	if (req->distribution_point != NULL) {
		if (!url_valid(req->distribution_point))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "crl.distribution_point must be an http:// or https:// URL of at "
			                   "most 1024 characters without spaces, commas, quotes or "
			                   "backslashes");
		if ((dp = strdup(req->distribution_point)) == NULL)
			return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	if (req->distribution_point != NULL || req->distribution_point_null) {
		free(ca->crl_distribution_point);
		ca->crl_distribution_point = dp;
	}
	return apply_delta(req, ca, msg);
}

static edgeca_err
resolve_crl(const struct ca_create_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	struct ca_crl_req r;

	ca_crl_req_init(&r);
	ca->crl_enabled = false;
	ca->crl_validity_days = DEFAULT_CRL_VALIDITY_DAYS;
	ca->crl_overlap_hours = DEFAULT_CRL_VALIDITY_DAYS * 6 < 24 ? DEFAULT_CRL_VALIDITY_DAYS * 6 : 24;
	r.enabled = req->crl_enabled != 0;
	r.validity_days = req->crl_validity_days;
	r.overlap_hours = req->crl_overlap_hours;
	r.distribution_point = req->crl_distribution_point;
	ca->crl_delta_enabled = false;
	ca->crl_delta_interval_minutes = DEFAULT_CRL_DELTA_INTERVAL_MINUTES;
	r.delta_enabled = req->crl_delta_enabled;
	r.delta_interval_minutes = req->crl_delta_interval_minutes;
	return ca_crl_apply(&r, ca, msg);
}

void
ca_ocsp_req_init(struct ca_ocsp_req *r)
{
	r->enabled = -1;
	r->validity_seconds = CA_FIELD_UNSET;
	r->delegated_responder = -1;
	r->responder_validity_days = CA_FIELD_UNSET;
}

edgeca_err
ca_ocsp_apply(const struct ca_ocsp_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	edgeca_err rc;

	if (req->validity_seconds != CA_FIELD_UNSET &&
	    (rc = check_range("ocsp.validity_seconds", req->validity_seconds, 300, 604800, msg)) !=
	        EDGECA_OK)
		return rc;
	if (req->responder_validity_days != CA_FIELD_UNSET &&
	    (rc = check_range("ocsp.responder_validity_days", req->responder_validity_days, 1, 30,
	                      msg)) != EDGECA_OK)
		return rc;
	if (req->enabled >= 0)
		ca->ocsp_enabled = req->enabled != 0;
	if (req->validity_seconds != CA_FIELD_UNSET)
		ca->ocsp_validity_seconds = (int)req->validity_seconds;
	if (req->delegated_responder >= 0)
		ca->ocsp_delegated_responder = req->delegated_responder != 0;
	if (req->responder_validity_days != CA_FIELD_UNSET)
		ca->ocsp_responder_validity_days = (int)req->responder_validity_days;
	return EDGECA_OK;
}

static edgeca_err
resolve_ocsp(const struct ca_create_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	ca->ocsp_enabled = true;
	ca->ocsp_validity_seconds = 3600;
	ca->ocsp_delegated_responder = false;
	ca->ocsp_responder_validity_days = 7;
	return ca_ocsp_apply(&req->ocsp, ca, msg);
}

static edgeca_err
check_template_name(const char *field, const char *name, struct edgeca_msg *msg)
{
	const struct tpl_def *t = tpl_by_name(name);

	if (t == NULL || !t->user_selectable)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s \"%s\" is not a template; use client, ssl, subordinate_ca or "
		                   "iot_edge_ca",
		                   field, name);
	return EDGECA_OK;
}

/* issuance.name_rules: checked and kept in canonical form; an object
 * with no list restricts nothing and is kept as none. They bind the leaf
 * templates, which need a CN: a CA that could then issue nothing is
 * refused rather than made. */
static edgeca_err
resolve_name_rules(const struct ca_create_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	struct name_rules *r = NULL;
	char where[64];
	bool leaf = false;
	edgeca_err rc = EDGECA_OK;

	if (!req->has_name_rules)
		return EDGECA_OK;
	if ((r = name_rules_new()) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	for (int k = 0; k < NR_LISTS && rc == EDGECA_OK; k++) {
		snprintf(where, sizeof(where), "issuance.name_rules.%s", name_rule_keys[k]);
		if (req->n_name_rules[k] >= 0)
			rc = name_rules_set(r, (enum name_rule_list)k, req->name_rules[k],
			                    (size_t)req->n_name_rules[k], where, msg);
	}
	if (rc != EDGECA_OK)
		goto out;
	if (name_rules_empty(r))
		goto out;
	for (char **t = ca->allowed_templates; *t; t++)
		leaf = leaf || strcmp(*t, "client") == 0 || strcmp(*t, "ssl") == 0;
	if (!leaf)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "issuance.name_rules restrict the client and ssl templates, and "
		                 "issuance.allowed_templates names neither");
	else if (!name_rules_allow_attribute(r, "CN"))
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "issuance.name_rules.subject_attributes must include CN: the client "
		                 "and ssl templates need one");
	else if (name_rules_has(r, NR_COMMON_NAME) && name_rules_count(r, NR_COMMON_NAME) == 0)
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "issuance.name_rules.common_name must allow at least one CN: the "
		                 "client and ssl templates need one");
	if (rc == EDGECA_OK) {
		ca->name_rules = r;
		r = NULL;
	}
out:
	name_rules_free(r);
	return rc;
}

static edgeca_err
resolve_issuance(const struct ca_create_req *req, struct ca *ca, struct edgeca_msg *msg)
{
	const char *const *allowed = req->allowed_templates;
	long n = req->n_allowed_templates;
	bool any_ca = false, issues_cas = false;
	const char *tpl;
	edgeca_err rc;

	/* a root signs subordinates, a subordinate devices */
	tpl = req->template ? req->template
	                    : ca->kind == CA_KIND_ROOT ? "subordinate_ca" : "ssl";
	if ((rc = check_template_name("issuance.template", tpl, msg)) != EDGECA_OK)
		return rc;
	snprintf(ca->template, sizeof(ca->template), "%s", tpl);
	if (n < 0) {
		allowed = &tpl;
		n = 1;
	}
	if (n == 0 || n > MAX_TEMPLATES)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "issuance.allowed_templates must list 1 to %d templates",
		                   MAX_TEMPLATES);
	for (long i = 0; i < n; i++) {
		if ((rc = check_template_name("issuance.allowed_templates", allowed[i], msg)) !=
		    EDGECA_OK)
			return rc;
		for (long j = 0; j < i; j++)
			if (strcmp(allowed[i], allowed[j]) == 0)
				return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
				                   "issuance.allowed_templates lists %s twice", allowed[i]);
		if (tpl_by_name(allowed[i])->is_ca)
			any_ca = true;
		if (tpl_by_name(allowed[i])->id == TPL_SUBORDINATE_CA)
			issues_cas = true;
	}
	{
		bool found = false;
		for (long i = 0; i < n; i++)
			found = found || strcmp(allowed[i], tpl) == 0;
		if (!found)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "issuance.template %s must be one of "
			                   "issuance.allowed_templates", tpl);
	}
	ca->max_validity_days = req->max_validity_days == CA_FIELD_UNSET
	                            ? (issues_cas ? 1825 : 365) : (int)req->max_validity_days;
	if ((rc = check_range("issuance.max_validity_days", ca->max_validity_days, 1,
	                      MAX_VALIDITY_DAYS, msg)) != EDGECA_OK)
		return rc;
	ca->path_length = req->path_length == CA_FIELD_UNSET ? -1 : (int)req->path_length;
	if (ca->path_length != -1 &&
	    (rc = check_range("path_length", ca->path_length, 0, 16, msg)) != EDGECA_OK)
		return rc;
	if (ca->path_length == 0 && any_ca)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "path_length 0 forbids issuing CA certificates, but "
		                   "issuance.allowed_templates names a CA template");
	ca->allowed_templates = strv_copy(allowed, (size_t)n);
	if (ca->allowed_templates == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	return resolve_name_rules(req, ca, msg);
}

static bool
location_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

static edgeca_err
resolve_locations(const struct ca_create_req *req, const char *default_location,
                  struct ca *ca, struct edgeca_msg *msg)
{
	const char *const *names = req->locations;
	long n = req->n_locations;

	if (n < 0) {
		names = &default_location;
		n = 1;
	}
	if (n == 0 || n > CA_MAX_LOCATIONS)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "locations must name 1 to %d locations", CA_MAX_LOCATIONS);
	if (n > 1 && ca->kind == CA_KIND_ROOT)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "a root CA has one location: several self-signed roots with one "
		                   "name would be several roots");
	for (long i = 0; i < n; i++) {
		if (!location_name_valid(names[i]))
			return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
			                   "locations[%ld] must be 1 to 63 lower-case letters, digits or "
			                   "dashes, not starting with a dash (e.g. \"westeurope\")", i);
		for (long j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
				                   "locations lists %s twice", names[i]);
	}
	ca->locations = calloc((size_t)n, sizeof(struct ca_location));
	if (ca->locations == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	ca->n_locations = (size_t)n;
	for (long i = 0; i < n; i++) {
		snprintf(ca->locations[i].name, sizeof(ca->locations[i].name), "%s", names[i]);
		ca->locations[i].status = LOCATION_PENDING_CHAINING;
	}
	return EDGECA_OK;
}

edgeca_err
ca_settings_resolve(const struct ca_create_req *req, const char *default_location, time_t now,
                    struct ca **out, time_t *not_after, struct edgeca_msg *msg)
{
	struct ca *ca;
	edgeca_err rc;

	*out = NULL;
	ca = calloc(1, sizeof(*ca));
	if (ca == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	ca->path_length = -1;
	if (!ca_kind_parse(req->kind ? req->kind : "root", &ca->kind)) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "kind must be \"root\" or \"subordinate\"");
		goto fail;
	}
	if (ca->kind == CA_KIND_ROOT && req->parent_ca_id != NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "a root CA has no parent: give kind \"subordinate\" with parent_ca_id");
		goto fail;
	}
	snprintf(ca->key_algorithm, sizeof(ca->key_algorithm), "%s",
	         req->key_algorithm ? req->key_algorithm : "EC-P256");
	if (strcmp(ca->key_algorithm, "EC-P256") != 0 && strcmp(ca->key_algorithm, "EC-P384") != 0 &&
	    strcmp(ca->key_algorithm, "RSA-2048") != 0 && strcmp(ca->key_algorithm, "RSA-3072") != 0 &&
	    strcmp(ca->key_algorithm, "RSA-4096") != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                 "key_algorithm must be EC-P256, EC-P384, RSA-2048, RSA-3072 or "
		                 "RSA-4096");
		goto fail;
	}
	if ((rc = resolve_subject(req, ca, msg)) != EDGECA_OK ||
	    (rc = resolve_validity(req, ca->kind == CA_KIND_ROOT, now, not_after, msg)) !=
	        EDGECA_OK ||
	    (rc = resolve_locations(req, default_location, ca, msg)) != EDGECA_OK ||
	    (rc = resolve_lifecycle(req, ca, msg)) != EDGECA_OK ||
	    (rc = resolve_crl(req, ca, msg)) != EDGECA_OK ||
	    (rc = resolve_ocsp(req, ca, msg)) != EDGECA_OK ||
	    (rc = resolve_issuance(req, ca, msg)) != EDGECA_OK)
		goto fail;
	*out = ca;
	return EDGECA_OK;
fail:
	ca_free(ca);
	return rc;
}
