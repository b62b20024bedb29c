/* Chaining subordinate CAs (to an internal parent or an external root),
 * their CSRs and chains, and the public issuer certificates that issued
 * certificates point to (AIA). */
#include <stdlib.h>
#include <string.h>

#include "api/pki/public_file.h"
#include "api/rest/etag.h"
#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "api/rest/request.h"
#include "common/encoding.h"
#include "model/ca/ca.h"
#include "model/lifecycle/renew.h"
#include "model/lifecycle/upload.h"

/* The CA (taken) as a 200, or the problem. */
static void
answer_ca(struct api_call *call, edgeca_err rc, const struct edgeca_msg *msg, struct ca *ca)
{
	if (rc == EDGECA_OK)
		api_json_ca(call, 200, ca);
	else
		api_problem(call->resp, rc, msg, call->path);
	ca_free(ca);
}

static const char *const chain_fields[] = {"parent_ca_id", "validity_days", "not_after", NULL};

void
api_cas_chain(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	const char *parent = NULL;
	long days = CA_FIELD_UNSET;
	bool has_not_after = false;
	time_t not_after = 0;
	struct ca *ca = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = api_json_object(call->req, &j, &msg)) ||
	    (rc = json_only(j, chain_fields, "", &msg)) ||
	    (rc = json_opt_string(j, "parent_ca_id", "", &parent, &msg)) ||
	    (rc = json_opt_long(j, "validity_days", "", &days, &msg)) ||
	    (rc = json_opt_time(j, "not_after", "", &has_not_after, &not_after, &msg)))
		goto out;
	if (parent == NULL) {
		rc = edgeca_fail(&msg, EDGECA_ERR_INVALID, "missing-field",
		                 "parent_ca_id is required: the CA whose key signs this one");
		goto out;
	}
	rc = ca_chain_to_parent(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
	                        parent, days, has_not_after, not_after, &ca, &msg);
out:
	answer_ca(call, rc, &msg, ca);
	json_decref(j);
}

static const char *const renew_fields[] = {"location", NULL};

/* POST .../renew: an empty body renews every active location. */
void
api_cas_renew(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	const char *location = NULL;
	struct ca *ca = NULL;
	json_t *j = NULL;
	edgeca_err rc = EDGECA_OK;

	if (call->req->binary_body_length > 0 &&
	    ((rc = api_json_object(call->req, &j, &msg)) ||
	     (rc = json_only(j, renew_fields, "", &msg)) ||
	     (rc = json_opt_string(j, "location", "", &location, &msg))))
		goto out;
	rc = ca_renew(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"), location, &ca,
	              &msg);
out:
	answer_ca(call, rc, &msg, ca);
	json_decref(j);
}

/* The CA of the path and its location (the path's, or the first active),
 * or a problem answer. */
static const struct ca_location *
path_location(struct api_call *call, struct ca **ca)
{
	const char *name = u_map_get(call->req->map_url, "location");
	const struct ca_location *loc;
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	rc = ca_get(call->ctx, u_map_get(call->req->map_url, "ca_id"), ca, &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return NULL;
	}
	loc = ca_find_location(*ca, name);
	if (loc == NULL && name != NULL)
		api_problem_text(call->resp, EDGECA_ERR_NOT_FOUND, "location-not-found",
		                 "the CA has no such location", call->path);
	else if (loc == NULL)
		api_problem_text(call->resp, EDGECA_ERR_CONFLICT, "ca-not-active",
		                 "the CA has no active location yet", call->path);
	return loc;
}

/* GET .../chain and .../locations/{location}/chain */
void
api_cas_chain_get(struct api_call *call)
{
	static const char *const offers[] = {"application/pem-certificate-chain",
	                                     "application/pkcs7-mime", "application/x-pem-file",
	                                     NULL};
	const struct ca_location *loc;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	char *pem = NULL;
	int pick;

	loc = path_location(call, &ca);
	if (loc == NULL)
		goto out;
	if (loc->cert_der == NULL) {
		api_problem_text(call->resp, EDGECA_ERR_CONFLICT, "ca-not-active",
		                 "this location has no certificate yet", call->path);
		goto out;
	}
	pick = api_negotiate(call->req, offers);
	if (pick == 1) {
		if (ca_chain_pkcs7(loc, &der, &len, &msg) != EDGECA_OK)
			api_problem(call->resp, EDGECA_ERR_INTERNAL, &msg, call->path);
		else
			api_body(call->resp, 200, "application/pkcs7-mime", der, len);
	} else if (pick == 0 || pick == 2) {
		pem = ca_chain_pem(ca, loc);
		if (pem == NULL)
			api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL, "out of memory", call->path);
		else
			api_body(call->resp, 200, offers[pick], pem, strlen(pem));
	} else {
		api_problem_text(call->resp, EDGECA_ERR_FORMAT_UNAVAILABLE, "not-acceptable",
		                 "the chain is available as application/pem-certificate-chain, "
		                 "application/pkcs7-mime or application/x-pem-file", call->path);
	}
out:
	free(pem);
	free(der);
	ca_free(ca);
}

void
api_cas_location_csr(struct api_call *call)
{
	const struct ca_location *loc;
	struct ca *ca = NULL;
	char *pem = NULL;

	loc = path_location(call, &ca);
	if (loc == NULL)
		goto out;
	if (loc->csr_der == NULL) {
		api_problem_text(call->resp, EDGECA_ERR_CONFLICT, "no-csr",
		                 "this location signs itself (a root) and has no CSR", call->path);
		goto out;
	}
	/* a pending renewal's CSR is the one waiting to be signed */
	if (loc->renewal.csr_der != NULL)
		pem = pem_encode("CERTIFICATE REQUEST", loc->renewal.csr_der, loc->renewal.csr_len);
	else
		pem = pem_encode("CERTIFICATE REQUEST", loc->csr_der, loc->csr_len);
	if (pem == NULL)
		api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL, "out of memory", call->path);
	else
		api_body(call->resp, 200, "application/pkcs10", pem, strlen(pem));
out:
	free(pem);
	ca_free(ca);
}

void
api_cas_location_upload(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	edgeca_err rc;

	if (!api_content_type_is(call->req, "application/x-pem-file") &&
	    !api_content_type_is(call->req, "application/pem-certificate-chain")) {
		api_problem_text(call->resp, EDGECA_ERR_FORMAT_UNSUPPORTED, "unsupported-media-type",
		                 "send the signed certificate, optionally followed by its chain, as "
		                 "application/pem-certificate-chain (or application/x-pem-file)",
		                 call->path);
		return;
	}
	rc = ca_upload_certificate(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
	                           u_map_get(call->req->map_url, "location"),
	                           call->req->binary_body, call->req->binary_body_length, &ca, &msg);
	answer_ca(call, rc, &msg, ca);
}

/* GET /ca/{ca_id}/{location}.crt and .../{location}.{generation}.crt: the
 * issuer certificate named by the AIA extension of what each key of the
 * location issued; public, DER. */
void
api_public_ca_certificate(struct api_call *call)
{
	const unsigned char *der = NULL;
	struct edgeca_msg msg = {0};
	struct ca *ca = NULL;
	size_t len = 0;
	edgeca_err rc;

	rc = public_file_ca_certificate(call->ctx, u_map_get(call->req->map_url, "ca_id"),
	                                u_map_get(call->req->map_url, "file"), &ca, &der, &len,
	                                &msg);
	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
	} else {
		/* a URL names one certificate for good */
		u_map_put(call->resp->map_header, "Cache-Control", PUBLIC_CERT_CACHE_CONTROL);
		api_body(call->resp, 200, "application/pkix-cert", der, len);
	}
	ca_free(ca);
}
