/* /healthz, /readyz and /openapi.yaml: no token needed. */
#include <stdio.h>
#include <string.h>

#include "api/rest/handlers.h"
#include "api/rest/problem.h"
#include "common/embedded.h"
#include "model/store/db.h"

/* How long /readyz waits for each of the database and the signer, on
 * connections of its own: a probe never queues behind busy pools. */
#define READY_TIMEOUT_MS 1000

void
api_health_healthz(struct api_call *call)
{
	api_json(call->resp, 200, json_pack("{s:s}", "status", "ok"));
}

void
api_health_readyz(struct api_call *call)
{
	char database[96], signer[96], detail[256];
	unsigned retry_after = 0;
	edgeca_err db_rc, signer_rc;

	db_rc = db_check(call->ctx->db, READY_TIMEOUT_MS, database, sizeof(database));
	signer_rc = signer_check(call->ctx->signer, READY_TIMEOUT_MS, signer, sizeof(signer),
	                         &retry_after);
	if (db_rc == EDGECA_OK && signer_rc == EDGECA_OK) {
		api_json(call->resp, 200, json_pack("{s:s, s:s, s:s}", "status", "ready", "database",
		                                    "ok", "signer", "ok"));
		return;
	}
	snprintf(detail, sizeof(detail), "database: %s; signer: %s", database, signer);
	if (retry_after > 0)
		api_retry_after(call->resp, retry_after);
	api_problem_members(call->resp, EDGECA_ERR_UNAVAILABLE, "not-ready", detail, call->path,
	                    json_pack("{s:s, s:s}", "database", database, "signer", signer));
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
