#include "api/rest/server.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/listen/listen.h"
#include "api/listen/listen_identity.h"
#include "api/listen/request_end.h"
#include "api/rest/routes.h"
#include "common/log.h"

struct api_server {
	struct _u_instance inst;
	struct api_router router;
	struct signer_gate *gate;
	struct listen_addr addr;
	bool started;
};

/* Ulfius's own completion callback, after the request's end (the
 * connection's deadline, the metrics) under its route's pattern. */
static void
request_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                  enum MHD_RequestTerminationCode toe)
{
	const struct connection_info_struct *ci = *con_cls;
	const struct _u_request *req = ci != NULL ? ci->request : NULL;

	listen_request_done(con, "api",
	                   req != NULL ? api_route_pattern(req->http_verb, req->url_path) : NULL);
	mhd_request_completed(cls, con, con_cls, toe);
}

/* Ulfius's URI logger, once the request's start is noted. */
static void *
request_begun(void *cls, const char *uri, struct MHD_Connection *con)
{
	deadline_request_begun(con);
	return ulfius_uri_logger(cls, uri);
}

edgeca_err
api_server_start(struct edgeca_ctx *ctx, const struct listen_settings *ls,
                 const struct tls_material *tls,
                 struct deadline_watch *deadline, struct api_server **out,
                 struct edgeca_msg *msg)
{
	struct api_server *s;
	unsigned int flags = LISTEN_MHD_FLAGS;
	edgeca_err rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	if (ulfius_init_instance(&s->inst, ls->port, NULL, NULL) != U_OK) {
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot initialise ulfius");
	}
	if ((rc = listen_addr_make(ls->bind_address, ls->port, &s->addr, msg)) != EDGECA_OK)
		goto fail;
	flags |= s->addr.mhd_flags;
	/* ulfius keeps at most this many body bytes: one more than the limit
	 * lets the dispatcher tell an oversized body from a full one. */
	s->inst.max_post_body_size = ls->max_body_bytes + 1;
	s->inst.allowed_post_processor = U_POST_PROCESS_NONE;
	/* With the check on, ulfius drops non-UTF-8 values without a word;
	 * the dispatcher refuses them instead. */
	s->inst.check_utf8 = 0;
	if ((rc = gate_new(gate_capacity(ls->threads, ls->signer_max_waiting),
	                   gate_signer_stalled, ctx->signer, &s->gate, msg)) != EDGECA_OK)
		goto fail;
	s->router.ctx = ctx;
	s->router.gate = s->gate;
	s->router.gate_wait_ms = ls->signer_timeout_s * 1000;
	s->router.max_body = ls->max_body_bytes;
	s->router.cors = ls->cors_origins;
	s->router.routes = api_routes;
	s->router.n_routes = api_routes_count;
	if (api_routes_register(&s->inst, &s->router) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot register routes");
		goto fail;
	}
	{
		struct MHD_OptionItem ops[] = {
			{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL},
			{MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)deadline_on_connection, deadline},
			{MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)request_begun, NULL},
			{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)listen_mhd_log, (void *)"libmicrohttpd"},
			{MHD_OPTION_SOCK_ADDR, 0, &s->addr.ss},
			/* the current listen identity, asked for at each handshake */
			{MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)listen_identity_retrieve},
			{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)LISTEN_TLS_PRIORITIES},
			{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)ls->threads, NULL},
			{MHD_OPTION_CONNECTION_LIMIT, (intptr_t)ls->max_connections, NULL},
			{MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)ls->connection_timeout_s, NULL},
			{MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
			{MHD_OPTION_END, 0, NULL},
		};
		if (ulfius_start_framework_with_mhd_options(&s->inst, flags, ops) != U_OK) {
			rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
			                 "cannot listen on %s port %u (in use, or TLS material invalid)",
			                 ls->bind_address, ls->port);
			goto fail;
		}
	}
	s->started = true;
	if (ls->cors_origins != NULL)
		log_info("api_server_start: CORS: browser pages of %s may call the API",
		         ls->cors_origins->any ? "every origin (*)" : "the EDGECA_CORS_ORIGINS origins");
	log_info("api_server_start: listening on https://%s:%u (%u threads, %u of them for the "
	         "signer at most, %u connections max)", ls->bind_address, ls->port,
	         ls->threads, gate_capacity(ls->threads, ls->signer_max_waiting),
	         ls->max_connections);
	*out = s;
	return EDGECA_OK;
fail:
	api_server_stop(s);
	return rc;
}

void
api_server_stop(struct api_server *s)
{
	if (s == NULL)
		return;
	if (s->started)
		ulfius_stop_framework(&s->inst);
	ulfius_clean_instance(&s->inst);
	api_routes_free(&s->router);
	gate_free(s->gate);
	free(s);
}
