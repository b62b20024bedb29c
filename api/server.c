#include "api/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/routes.h"
#include "common/log.h"

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct api_server {
	struct _u_instance inst;
	struct api_router router;
	struct sockaddr_in6 addr6;
	struct sockaddr_in addr4;
	bool started;
};

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

edgeca_err
api_server_start(struct edgeca_ctx *ctx, const struct tls_material *tls, struct api_server **out,
                 struct edgeca_msg *msg)
{
	const struct edgeca_config *cfg = ctx->cfg;
	struct api_server *s;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG;
	struct sockaddr *sa;
	edgeca_err rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	if (ulfius_init_instance(&s->inst, cfg->api_port, NULL, NULL) != U_OK) {
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot initialise ulfius");
	}
	if (strchr(cfg->bind_address, ':') != NULL) {
		s->addr6.sin6_family = AF_INET6;
		s->addr6.sin6_port = htons((uint16_t)cfg->api_port);
		if (inet_pton(AF_INET6, cfg->bind_address, &s->addr6.sin6_addr) != 1) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
			                 "EDGECA_BIND_ADDRESS is not an IP address");
			goto fail;
		}
		sa = (struct sockaddr *)&s->addr6;
		flags |= MHD_USE_DUAL_STACK;
	} else {
		s->addr4.sin_family = AF_INET;
		s->addr4.sin_port = htons((uint16_t)cfg->api_port);
		if (inet_pton(AF_INET, cfg->bind_address, &s->addr4.sin_addr) != 1) {
			rc = edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
			                 "EDGECA_BIND_ADDRESS is not an IP address");
			goto fail;
		}
		sa = (struct sockaddr *)&s->addr4;
	}
	/* ulfius keeps at most this many body bytes: one more than the limit
	 * lets the dispatcher tell an oversized body from a full one. */
	s->inst.max_post_body_size = cfg->max_body_bytes + 1;
	s->inst.allowed_post_processor = U_POST_PROCESS_NONE;
	/* With the check on, ulfius drops non-UTF-8 values without a word;
	 * the dispatcher refuses them instead. */
	s->inst.check_utf8 = 0;
	s->router.ctx = ctx;
	s->router.max_body = cfg->max_body_bytes;
	s->router.routes = api_routes;
	s->router.n_routes = api_routes_count;
	if (api_routes_register(&s->inst, &s->router) != 0) {
		rc = edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "cannot register routes");
		goto fail;
	}
	{
		struct MHD_OptionItem ops[] = {
			{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL},
			{MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)ulfius_uri_logger, NULL},
			{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
			{MHD_OPTION_SOCK_ADDR, 0, sa},
			{MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key_pem},
			{MHD_OPTION_HTTPS_MEM_CERT, 0, tls->cert_pem},
			{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
			{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->http_threads, NULL},
			{MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
			{MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->connection_timeout_s, NULL},
			{MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
			{MHD_OPTION_END, 0, NULL},
		};
		if (ulfius_start_framework_with_mhd_options(&s->inst, flags, ops) != U_OK) {
			rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
			                 "cannot listen on %s port %u (in use, or TLS material invalid)",
			                 cfg->bind_address, cfg->api_port);
			goto fail;
		}
	}
	s->started = true;
	log_info("api_server_start: listening on https://%s:%u (%u threads, %u connections max)",
	         cfg->bind_address, cfg->api_port, cfg->http_threads, cfg->max_connections);
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
	free(s);
}
