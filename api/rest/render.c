#include "api/rest/render.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/timeutil.h"

json_t *
render_time(time_t t)
{
	char s[RFC3339_LEN];

	if (t == 0)
		return json_null();
	rfc3339_format(t, s);
	return json_string(s);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Appends item to array, taking it; a NULL item (a failed rendering) or a
 * failed append makes the whole array NULL, so the answer becomes a 500
 * instead of silently missing an element. */
static json_t *
append_or_drop(json_t *array, json_t *item)
{
	if (array == NULL || item == NULL || json_array_append_new(array, item) != 0) {
		json_decref(array);
		return NULL;
	}
	return array;
}

static json_t *
strv_json(char **v)
{
	json_t *a = json_array();

	for (char **p = v; a && p && *p; p++)
		a = append_or_drop(a, json_string(*p));
	return a;
}

json_t *
render_page(json_t *items, const char *next_cursor)
{
	if (items == NULL)
		return NULL;
	return json_pack("{s:o, s:o}", "items", items, "next_cursor",
	                 next_cursor[0] ? json_string(next_cursor) : json_null());
}

json_t *
render_append(json_t *array, json_t *item)
{
	return append_or_drop(array, item);
}

static json_t *
pem_or_null(const unsigned char *der, size_t len)
{
	char *pem;
	json_t *j;

	if (der == NULL)
		return json_null();
	pem = pem_encode("CERTIFICATE", der, len);
	j = pem ? json_string(pem) : json_null();
	free(pem);
	return j;
}

/* The certificates renewals replaced, newest first. */
static json_t *
render_previous(const struct ca_location *loc)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < loc->n_previous; i++) {
		const struct ca_prev_cert *p = &loc->previous[i];
		a = append_or_drop(a, json_pack("{s:i, s:s, s:o, s:o, s:o}", "generation",
		                                p->generation, "serial_number", p->serial,
		                                "not_before", render_time(p->not_before), "not_after",
		                                render_time(p->not_after), "certificate_pem",
		                                pem_or_null(p->der, p->der_len)));
	}
	return a;
}

/* null, or the renewal waiting for the external root's certificate. */
static json_t *
render_renewal(const struct ca_location *loc)
{
	const struct ca_renewal *rn = &loc->renewal;
	char *csr;
	json_t *j;

	if (rn->key_id[0] == '\0')
		return json_null();
	if ((csr = pem_encode("CERTIFICATE REQUEST", rn->csr_der, rn->csr_len)) == NULL)
		return NULL;
	j = json_pack("{s:s, s:o, s:s, s:s}", "status", "pending", "requested_at",
	              render_time(rn->requested_at), "requested_by", rn->requested_by, "csr", csr);
	free(csr);
	return j;
}

/* null, or {"reason", "revoked_at", "revoked_by"} of a CA location or CA
 * (revoked_by null when edgeca did not record it). */
static json_t *
render_ca_revocation(const struct ca_revocation *r)
{
	if (r == NULL || r->reason[0] == '\0')
		return json_null();
	return json_pack("{s:s, s:o, s:o}", "reason", r->reason, "revoked_at",
	                 render_time(r->revoked_at), "revoked_by",
	                 r->revoked_by[0] ? json_string(r->revoked_by) : json_null());
}

/* A revoked CA's revocation: the one that revoked the last of its
 * locations (a whole CA's revocation revokes all of them at once). NULL
 * while the CA is not revoked. */
static const struct ca_revocation *
ca_revocation(const struct ca *ca)
{
	const struct ca_revocation *last = NULL;

	if (ca->status != CA_STATUS_REVOKED)
		return NULL;
	for (size_t i = 0; i < ca->n_locations; i++) {
		const struct ca_revocation *r = &ca->locations[i].revocation;
		if (r->reason[0] != '\0' && (last == NULL || r->revoked_at >= last->revoked_at))
			last = r;
	}
	return last;
}

static json_t *
render_location(const struct ca_location *loc)
{
	bool pending = loc->status == LOCATION_PENDING_CHAINING && loc->csr_der != NULL;
	char *csr = pending ? pem_encode("CERTIFICATE REQUEST", loc->csr_der, loc->csr_len) : NULL;
	json_t *j = json_pack(
		"{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", loc->name,
		"status", ca_location_status_name(loc->status), "revocation", render_ca_revocation(&loc->revocation),
		"previous_certificates", render_previous(loc),
		"serial_number", loc->serial[0] ? json_string(loc->serial) : json_null(),
		"not_before", loc->cert_der ? render_time(loc->not_before) : json_null(),
		"not_after", loc->cert_der ? render_time(loc->not_after) : json_null(),
		"certificate_pem", pem_or_null(loc->cert_der, loc->cert_len),
		"csr_pem", csr ? json_string(csr) : json_null(),
		"parent_location", loc->parent_location[0] ? json_string(loc->parent_location)
		                                           : json_null(),
		"renewal", render_renewal(loc));

	free(csr);
	return j;
}

json_t *
render_est_urls(const struct ca *ca, const struct model_settings *settings)
{
	char url[EST_URL_MAX];
	json_t *locations = json_array();

	for (size_t i = 0; locations && i < ca->n_locations; i++) {
		ca_est_url(settings, ca, &ca->locations[i], url);
		locations = append_or_drop(locations,
		                           json_pack("{s:s, s:s, s:s}", "location",
		                                     ca->locations[i].name, "status",
		                                     ca_location_status_name(ca->locations[i].status),
		                                     "url", url));
	}
	if (locations == NULL)
		return NULL;
	ca_est_label_url(settings, ca, url);
	{
		json_t *label_url = url[0] ? json_string(url) : json_null();
		ca_est_default_url(settings, ca, url);
		return json_pack("{s:b, s:o, s:o, s:o}", "enabled", ca->est.enabled, "locations",
		                 locations, "label_url", label_url, "default_url",
		                 url[0] ? json_string(url) : json_null());
	}
}

static json_t *
render_est(const struct ca *ca, const struct model_settings *settings)
{
	const struct ca_est *e = &ca->est;
	json_t *anchors = json_array(), *urls = render_est_urls(ca, settings), *j;

	for (size_t i = 0; anchors && i < e->n_anchors; i++)
		anchors = append_or_drop(anchors,
		                         json_pack("{s:s, s:s, s:o}", "subject", e->anchors[i].subject,
		                                   "sha256", e->anchors[i].sha256, "not_after",
		                                   render_time(e->anchors[i].not_after)));
	if (anchors == NULL || urls == NULL) {
		json_decref(anchors);
		json_decref(urls);
		return NULL;
	}
	j = json_pack(
		"{s:b, s:o, s:b, s:s, s:o, s:s, s:o, s:o, s:o, s:O, s:O, s:O}", "enabled", e->enabled,
		"label", e->label[0] ? json_string(e->label) : json_null(), "default", e->is_default,
		"template", e->template, "validity_days",
		json_integer(e->validity_days > 0 ? e->validity_days : ca->max_validity_days),
		"subject_policy", e->subject_policy, "key_algorithm",
		e->key_algorithm[0] ? json_string(e->key_algorithm) : json_null(), "basic_auth",
		e->basic_username[0] ? json_pack("{s:s}", "username", e->basic_username) : json_null(),
		"bootstrap_trust", anchors, "urls", json_object_get(urls, "locations"), "label_url",
		json_object_get(urls, "label_url"), "default_url", json_object_get(urls, "default_url"));
	json_decref(urls);
	if (j != NULL && json_object_set_new(j, "require_pop_linking",
	                                     json_boolean(e->require_pop_linking)) != 0) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* The webhook secret appears only in the answer that made it. */
static json_t *
render_lifecycle(const struct ca *ca)
{
	json_t *j = json_pack("{s:o, s:o, s:s, s:i}", "notification_emails",
	                      strv_json(ca->notification_emails), "webhook_url",
	                      str_or_null(ca->webhook_url), "action",
	                      ca_lifecycle_action_name(ca->lifecycle_action),
	                      "threshold_percent", ca->threshold_percent);

	if (j != NULL && ca->new_webhook_secret != NULL &&
	    json_object_set_new(j, "webhook_secret", json_string(ca->new_webhook_secret)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* null, or {"subject_attributes", "common_name", "dns_names",
 * "ip_ranges"}: each null (anything) or the list in canonical form. */
static json_t *
render_name_rules(const struct name_rules *r)
{
	json_t *j, *list;

	if (r == NULL)
		return json_null();
	j = json_object();
	for (int k = 0; j != NULL && k < NR_LISTS; k++) {
		list = name_rules_has(r, k) ? json_array() : json_null();
		for (size_t i = 0; list != NULL && i < name_rules_count(r, k); i++)
			list = render_append(list, json_string(name_rules_item(r, k, i)));
		if (list == NULL || json_object_set_new(j, name_rule_keys[k], list) != 0) {
			json_decref(j);
			j = NULL;
		}
	}
	return j;
}

/* {"at", "by", "reason"} of a disabled CA; at and by null for a CA
 * disabled with no record of it, reason null when none was given. */
static json_t *
render_disabled(const struct ca *ca)
{
	return json_pack("{s:o, s:o, s:o}", "at", render_time(ca->disabled_at), "by",
	                 ca->disabled_by[0] ? json_string(ca->disabled_by) : json_null(), "reason",
	                 str_or_null(ca->disabled_reason));
}

json_t *
render_ca(const struct ca *ca, const struct model_settings *settings)
{
	const struct ca_location *primary = ca_find_location(ca, NULL);
	json_t *locations = json_array(), *est = render_est(ca, settings), *j;

	for (size_t i = 0; locations && i < ca->n_locations; i++)
		locations = append_or_drop(locations, render_location(&ca->locations[i]));
	j = json_pack(
		"{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o,"
		" s:o, s:o, s:{s:b, s:i, s:i, s:o, s:{s:b, s:i}}, s:{s:s, s:o, s:i}, s:o, s:o, s:s, s:o}",
		"id", ca->id, "kind", ca_kind_name(ca->kind), "status", ca_status_name(ca->status),
		"revocation", render_ca_revocation(ca_revocation(ca)),
		"chaining", ca_chaining_name(ca->chaining),
		"parent_ca_id", ca->parent_ca_id[0] ? json_string(ca->parent_ca_id) : json_null(),
		"common_name", ca->common_name,
		"friendly_name", ca->friendly_name, "organization", str_or_null(ca->organization),
		"organizational_unit", str_or_null(ca->organizational_unit), "country",
		str_or_null(ca->country), "subject", ca->subject, "key_algorithm", ca->key_algorithm,
		"serial_number", primary ? json_string(primary->serial) : json_null(),
		"not_before", primary ? render_time(primary->not_before) : json_null(),
		"not_after", primary ? render_time(primary->not_after) : json_null(),
		"certificate_pem", primary ? pem_or_null(primary->cert_der, primary->cert_len)
		                           : json_null(),
		"locations", locations,
		"lifecycle", render_lifecycle(ca),
		"crl", "enabled", ca->crl_enabled, "validity_days", ca->crl_validity_days,
		"overlap_hours", ca->crl_overlap_hours, "distribution_point",
		str_or_null(ca->crl_distribution_point), "delta", "enabled", ca->crl_delta_enabled,
		"interval_minutes", ca->crl_delta_interval_minutes,
		"issuance", "template", ca->template, "allowed_templates",
		strv_json(ca->allowed_templates), "max_validity_days", ca->max_validity_days,
		"path_length", ca->path_length >= 0 ? json_integer(ca->path_length) : json_null(),
		"created_at", render_time(ca->created_at), "created_by", ca->created_by, "est", est);
	if (j != NULL && json_object_set_new(json_object_get(j, "issuance"), "name_rules",
	                                     render_name_rules(ca->name_rules)) != 0) {
		json_decref(j);
		return NULL;
	}
	if (j != NULL &&
	    json_object_set_new(j, "ocsp", json_pack("{s:b, s:i, s:b, s:i}", "enabled",
	                                             ca->ocsp_enabled, "validity_seconds",
	                                             ca->ocsp_validity_seconds, "delegated_responder",
	                                             ca->ocsp_delegated_responder,
	                                             "responder_validity_days",
	                                             ca->ocsp_responder_validity_days)) != 0) {
		json_decref(j);
		return NULL;
	}
	if (j != NULL && ca->status == CA_STATUS_DISABLED &&
	    json_object_set_new(j, "disabled", render_disabled(ca)) != 0) {
		json_decref(j);
		return NULL;
	}
	if (j != NULL && ca->warnings != NULL &&
	    json_object_set_new(j, "warnings", strv_json(ca->warnings)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* null, or {"reason", "revoked_at", "invalidity_date", "revoked_by"}. */

static json_t *
render_revocation(const struct cert_revocation *r)
{
	if (r->reason[0] == '\0')
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:s}", "reason", r->reason, "revoked_at",
	                 render_time(r->revoked_at), "invalidity_date",
	                 render_time(r->invalidity_date), "revoked_by", r->revoked_by);
}

json_t *
render_certificate(const struct certificate *c, int full)
{
	json_t *j = json_pack(
		"{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}",
		"serial_number", c->serial, "ca_id", c->ca_id, "location", c->location, "subject",
		c->subject, "common_name", str_or_null(c->common_name), "subject_alt_names",
		strv_json(c->sans), "key_algorithm", c->key_algorithm, "template", c->template,
		"status", cert_status_name(c->status), "not_before", render_time(c->not_before), "not_after",
		render_time(c->not_after), "requester", c->requester, "created_at",
		render_time(c->created_at), "revocation", render_revocation(&c->revocation),
		"issuer_revocation", render_ca_revocation(&c->issuer_revocation));

	if (j != NULL && full) {
		json_object_set_new(j, "certificate_pem", pem_or_null(c->der, c->der_len));
		json_object_set_new(j, "chain_pem", str_or_null(c->chain_pem));
	}
	if (j != NULL && c->warnings != NULL)
		json_object_set_new(j, "warnings", strv_json(c->warnings));
	return j;
}

/* null (every CA), or the ids of the CAs a token is limited to. */
static json_t *
render_scope(const struct ca_scope *s)
{
	json_t *a;

	if (!s->limited)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < s->n; i++)
		a = append_or_drop(a, json_string(s->ids[i]));
	return a;
}

json_t *
render_token(const struct token_info *t)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o}", "id", t->id, "name", t->name,
	                 "role", role_name(t->role), "created_at", render_time(t->created_at),
	                 "expires_at", render_time(t->expires_at), "created_by", t->created_by,
	                 "email", t->email[0] ? json_string(t->email) : json_null(), "ca_ids",
	                 render_scope(&t->scope));
}
