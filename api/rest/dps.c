/* Azure DPS onboarding helpers: the verification certificate for DPS's
 * proof of possession, and a device's config.toml. */
#include <stdlib.h>
#include <string.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "api/rest/request.h"
#include "common/encoding.h"
#include "model/est/dps.h"

static const char *const verification_fields[] = {"verification_code", "location", NULL};

void
api_cas_verification_certificate(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct certificate *cert = NULL;
	const char *code = NULL, *location = NULL;
	char *pem = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	if ((rc = api_json_object(call->req, &j, &msg)) != EDGECA_OK ||
	    (rc = json_only(j, verification_fields, "", &msg)) != EDGECA_OK ||
	    (rc = json_opt_string(j, "verification_code", "", &code, &msg)) != EDGECA_OK ||
	    (rc = json_opt_string(j, "location", "", &location, &msg)) != EDGECA_OK ||
	    (rc = dps_verification_certificate(call->ctx, &call->who,
	                                       u_map_get(call->req->map_url, "ca_id"), code,
	                                       location, &cert, &msg)) != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		goto out;
	}
	pem = pem_encode("CERTIFICATE", cert->der, cert->der_len);
	if (pem == NULL) {
		api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL, "out of memory", call->path);
		goto out;
	}
	/* PEM, as DPS's upload takes it: curl ... -o verification.pem */
	api_body(call->resp, 201, "application/x-pem-file", pem, strlen(pem));
out:
	free(pem);
	json_decref(j);
	cert_free(cert);
}

void
api_cas_iotedge_config(struct api_call *call)
{
	struct edgeca_msg msg = {0};
	struct dps_config_req req = {
		u_map_get(call->req->map_url, "ca_id"), api_query(call->req, "registration_id"),
		api_query(call->req, "id_scope"), api_query(call->req, "location")};
	char *text = NULL;
	edgeca_err rc = dps_iotedge_config(call->ctx, &req, &text, &msg);

	if (rc != EDGECA_OK) {
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	api_body(call->resp, 200, "text/plain; charset=utf-8", text, strlen(text));
	free(text);
}
