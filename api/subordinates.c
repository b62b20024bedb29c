/* POST /api/v1/cas/{ca_id}/subordinate-certificates: a pki_admin has the
 * CA sign an external subordinate CA's CSR, always with a path length. */
#include "api/handlers.h"
#include "api/problem.h"
#include "model/cert_subordinate.h"

static const char *const subordinate_fields[] = {"csr", "path_length", "validity_days",
                                                 "not_after", "location", NULL};

void
api_cas_sign_subordinate(struct api_call *call)
{
	struct cert_subordinate_req r;
	struct edgeca_msg msg = {0};
	struct certificate *cert = NULL;
	json_t *j = NULL;
	edgeca_err rc;

	cert_subordinate_req_init(&r);
	rc = api_parse_csr_request(call->req, subordinate_fields, &r.issue, &r.path_length, &j,
	                           &msg);
	if (rc == EDGECA_OK)
		rc = cert_sign_subordinate(call->ctx, &call->who, u_map_get(call->req->map_url, "ca_id"),
		                           &r, &cert, &msg);
	if (rc == EDGECA_OK)
		api_answer_issued(call, cert);
	else
		api_problem(call->resp, rc, &msg, call->path);
	json_decref(j);
	cert_free(cert);
}
