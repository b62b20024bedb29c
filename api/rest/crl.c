/* CRL endpoints: the public distribution point certificates name (and the
 * delta CRLs' Freshest CRL URLs), the CRL for API clients, and a forced
 * CRL for admins. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/pki/public_file.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "common/encoding.h"
#include "model/core/context.h"
#include "model/crl/crl.h"

/* RFC 9110 13.2.2 with the request's If-None-Match and If-Modified-Since. */
static bool
not_modified(const struct _u_request *req, const char *etag, time_t last_modified)
{
	return public_not_modified(u_map_get_case(req->map_header, "If-None-Match"),
	                           u_map_get_case(req->map_header, "If-Modified-Since"), etag,
	                           last_modified);
}

/* public: the distribution point, for every cache; otherwise private (an
 * answer to a request with a token) and varying with Accept. */
static void
caching_headers(struct _u_response *resp, const struct crl *crl, const char *etag, bool public)
{
	char date[40], cc[64];
	long age = public_crl_max_age(crl->next_update, time(NULL));

	public_http_date(crl->this_update, date);
	snprintf(cc, sizeof(cc), "%s, max-age=%ld", public ? "public" : "private", age);
	if (!public)
		u_map_put(resp->map_header, "Vary", "Accept");
	u_map_put(resp->map_header, "ETag", etag);
	u_map_put(resp->map_header, "Last-Modified", date);
	u_map_put(resp->map_header, "Cache-Control", cc);
	public_http_date(crl->next_update, date);
	u_map_put(resp->map_header, "Expires", date);
}

static edgeca_err
get_crl(struct api_call *call, const char *ca_id, const char *location, int generation,
        bool delta, bool with_der, struct crl *crl, struct edgeca_msg *msg)
{
	return delta ? crl_get_delta(call->ctx, ca_id, location, generation, with_der, crl, msg)
	             : crl_get(call->ctx, ca_id, location, generation, with_der, crl, msg);
}

/* The CRL (or delta CRL) as DER or PEM with caching headers, or 304. */
static void
send_crl(struct api_call *call, const char *ca_id, const char *location, int generation,
         bool delta, bool pem, bool public)
{
	struct edgeca_msg msg = {0};
	struct crl crl = {0};
	char etag[80], *text = NULL;
	edgeca_err rc;

	rc = get_crl(call, ca_id, location, generation, delta, false, &crl, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		goto out;
	}
	snprintf(etag, sizeof(etag), "\"%s%s\"", crl.sha256, pem ? "-pem" : "");
	if (not_modified(call->req, etag, crl.this_update)) {
		caching_headers(call->resp, &crl, etag, public);
		call->resp->status = 304; /* no body */
		goto out;
	}
	crl_clear(&crl);
	rc = get_crl(call, ca_id, location, generation, delta, true, &crl, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		goto out;
	}
	snprintf(etag, sizeof(etag), "\"%s%s\"", crl.sha256, pem ? "-pem" : ""); /* may be newer */
	caching_headers(call->resp, &crl, etag, public);
	if (!pem) {
		api_body(call->resp, 200, "application/pkix-crl", crl.der, crl.der_len);
		goto out;
	}
	text = pem_encode("X509 CRL", crl.der, crl.der_len);
	if (text == NULL)
		api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL, "out of memory", call->path);
	else
		api_body(call->resp, 200, "application/x-pem-file", text, strlen(text));
out:
	free(text);
	crl_clear(&crl);
}

/* GET /crl/{ca_id}/{location}.crl and .../{location}.{generation}.crl:
 * the distribution points written into certificates, one per key the
 * location has had, and the same names ending .delta.crl for their delta
 * CRLs (Freshest CRL); public, DER. */
void
api_public_crl(struct api_call *call)
{
	const char *file = u_map_get(call->req->map_url, "file");
	char name[64];
	int generation = public_file_generation(file, ".delta.crl", name);
	bool delta = generation > 0;

	if (!delta)
		generation = public_file_generation(file, ".crl", name);
	if (generation == 0) {
		api_problem_text(call->resp, EDGECA_ERR_NOT_FOUND, "not-found",
		                 "no such CRL: /crl/{ca_id}/{location}.crl, "
		                 "/crl/{ca_id}/{location}.{generation}.crl or the same ending "
		                 ".delta.crl", call->path);
		return;
	}
	send_crl(call, u_map_get(call->req->map_url, "ca_id"), name, generation, delta, false,
	         true);
}

/* GET /api/v1/cas/{ca_id}/crl[?location=][&delta=true]: DER, or PEM when
 * the Accept header prefers it. */
void
api_cas_crl_get(struct api_call *call)
{
	static const char *const offers[] = {"application/pkix-crl", "application/x-pem-file",
	                                     NULL};
	int pick = api_negotiate(call->req, offers);
	const char *delta = api_query(call->req, "delta");

	if (pick < 0) {
		api_problem_text(call->resp, EDGECA_ERR_FORMAT_UNAVAILABLE, "not-acceptable",
		                 "this resource is application/pkix-crl or application/x-pem-file",
		                 call->path);
		return;
	}
	if (delta != NULL && strcmp(delta, "true") != 0 && strcmp(delta, "false") != 0) {
		api_problem_text(call->resp, EDGECA_ERR_INVALID, "invalid-field",
		                 "delta must be true or false", call->path);
		return;
	}
	send_crl(call, u_map_get(call->req->map_url, "ca_id"), api_query(call->req, "location"), 0,
	         delta != NULL && strcmp(delta, "true") == 0, pick == 1, false);
}

static json_t *
render_crl(const struct crl *crl, const struct model_settings *settings)
{
	json_t *j = json_object();
	char url[PUBLIC_URL_BYTES];

	if (j == NULL)
		return NULL;
	if (crl->base_number > 0)
		crl_delta_url(settings, crl->ca_id, crl->location, crl->generation, url);
	else
		crl_public_url(settings, crl->ca_id, crl->location, crl->generation, url);
	json_object_set_new(j, "ca_id", json_string(crl->ca_id));
	json_object_set_new(j, "location", json_string(crl->location));
	json_object_set_new(j, "crl_number", json_integer(crl->number));
	json_object_set_new(j, "this_update", render_time(crl->this_update));
	json_object_set_new(j, "next_update", render_time(crl->next_update));
	json_object_set_new(j, "entries", json_integer(crl->entries));
	json_object_set_new(j, "sha256", json_string(crl->sha256));
	json_object_set_new(j, "url", json_string(url));
	if (crl->base_number > 0)
		json_object_set_new(j, "delta_base", json_integer(crl->base_number));
	return j;
}

/* POST /api/v1/cas/{ca_id}/crl {"location"?, "delta"?}: a new CRL (or
 * delta CRL) now. */
void
api_cas_crl_generate(struct api_call *call)
{
	static const char *const allowed[] = {"location", "delta", NULL};
	struct edgeca_msg msg = {0};
	const char *location = NULL;
	json_t *body = NULL;
	struct crl crl = {0};
	int delta = -1;
	edgeca_err rc = EDGECA_OK;

	if (call->req->binary_body_length > 0 &&
	    ((rc = api_json_object(call->req, &body, &msg)) != EDGECA_OK ||
	     (rc = json_only(body, allowed, "request", &msg)) != EDGECA_OK ||
	     (rc = json_opt_string(body, "location", "request", &location, &msg)) != EDGECA_OK ||
	     (rc = json_opt_bool(body, "delta", "request", &delta, &msg)) != EDGECA_OK))
		goto out;
	rc = delta > 0 ? crl_force_delta(call->ctx, call->who.actor,
	                                 u_map_get(call->req->map_url, "ca_id"), location, &crl, &msg)
	               : crl_force(call->ctx, call->who.actor, u_map_get(call->req->map_url, "ca_id"),
	                           location, &crl, &msg);
	if (rc == EDGECA_OK)
		api_json(call->resp, 201, render_crl(&crl, &call->ctx->settings));
out:
	if (rc != EDGECA_OK)
		api_problem(call->resp, rc, &msg, call->path);
	json_decref(body);
	crl_clear(&crl);
}
