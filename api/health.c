/* /healthz, /readyz and /openapi.yaml: no token needed. */
#include <string.h>

#include "api/handlers.h"
#include "api/problem.h"
#include "common/embedded.h"
#include "model/db.h"

void
api_health_healthz(struct api_call *call)
{
	api_json(call->resp, 200, json_pack("{s:s}", "status", "ok"));
}

void
api_health_readyz(struct api_call *call)
{
	struct edgeca_msg db_msg = {0}, signer_msg = {0};
	edgeca_err db_rc, signer_rc;
	PGconn *c = NULL;
	char detail[600];

	db_rc = db_acquire(call->ctx->db, &c, &db_msg);
	if (db_rc == EDGECA_OK) {
		db_rc = db_exec(c, "SELECT 1", NULL, 0, NULL, "readiness", &db_msg);
		db_release(call->ctx->db, c);
	}
	signer_rc = signer_ping(call->ctx->signer, &signer_msg);
	if (db_rc == EDGECA_OK && signer_rc == EDGECA_OK) {
		api_json(call->resp, 200, json_pack("{s:s, s:s, s:s}", "status", "ready", "database",
		                                    "ok", "signer", "ok"));
		return;
	}
	snprintf(detail, sizeof(detail), "database: %s; signer: %s",
	         db_rc == EDGECA_OK ? "ok" : "unreachable",
	         signer_rc == EDGECA_OK ? "ok" : "unreachable");
	api_problem_text(call->resp, EDGECA_ERR_UNAVAILABLE, "not-ready", detail, call->path);
}

void
api_health_openapi(struct api_call *call)
{
	for (const struct edgeca_embedded_file *f = edgeca_openapi; f->name; f++) {
		if (strcmp(f->name, "openapi.yaml") == 0) {
			u_map_put(call->resp->map_header, "Cache-Control", "public, max-age=300");
			api_body(call->resp, 200, "application/yaml", f->data, f->len);
			return;
		}
	}
	api_problem_text(call->resp, EDGECA_ERR_NOT_FOUND, "not-found",
	                 "this build carries no API description", call->path);
}
