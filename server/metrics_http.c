/* The /metrics listener: plain HTTP on EDGECA_METRICS_LISTEN, one
 * libmicrohttpd thread of its own, GET (and HEAD) /metrics only. It is
 * for the monitoring system on an internal address: no TLS, no token. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api/listen/listen.h"
#include "common/log.h"
#include "common/metrics.h"
#include "server/metrics.h"

#define METRICS_PATH "/metrics"
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_CONNECTIONS 16
#define METRICS_CONNECTION_TIMEOUT_S 10

struct metrics_server {
	struct MHD_Daemon *daemon;
	struct metrics_page *page;
	struct listen_addr addr;
};

static enum MHD_Result
answer(struct MHD_Connection *con, unsigned status, const char *content_type, void *body,
       size_t len, enum MHD_ResponseMemoryMode mode, const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ok;

	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ok = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
answer_text(struct MHD_Connection *con, unsigned status, const char *text, const char *allow)
{
	return answer(con, status, "text/plain; charset=utf-8", (void *)text, strlen(text),
	              MHD_RESPMEM_PERSISTENT, allow);
}

/* Answers at once, on the request's first call: a body, which no
 * request here should have, is not read. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
	struct metrics_server *s = cls;
	struct buf page = {0};
	unsigned char *body;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(url, METRICS_PATH) != 0)
		return answer_text(con, 404, "not found; metrics are at /metrics\n", NULL);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer_text(con, 405, "/metrics takes GET\n", "GET, HEAD");
	if (metrics_page_render(s->page, &page) != 0) {
		buf_free(&page);
		return answer_text(con, 500, "out of memory\n", NULL);
	}
	body = buf_take(&page, &len);
	return answer(con, 200, METRICS_CONTENT_TYPE, body, len, MHD_RESPMEM_MUST_FREE, NULL);
}

edgeca_err
metrics_server_start(struct edgeca_ctx *ctx, const struct edgeca_config *cfg,
                     struct metrics_server **out, struct edgeca_msg *msg)
{
	struct metrics_server *s;
	edgeca_err rc;

	*out = NULL;
	if (cfg->metrics_host == NULL)
		return EDGECA_OK;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->page = metrics_page_new(ctx)) == NULL) {
		free(s);
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	}
	if ((rc = listen_addr_make(cfg->metrics_host, cfg->metrics_port, &s->addr, msg)) !=
	    EDGECA_OK)
		goto fail;
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | s->addr.mhd_flags,
		(uint16_t)cfg->metrics_port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		&s->addr.ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_CONNECTION_TIMEOUT_S,
		MHD_OPTION_EXTERNAL_LOGGER, listen_mhd_log, "metrics libmicrohttpd", MHD_OPTION_END);
	if (s->daemon == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                 "cannot listen for metrics on %s port %u (EDGECA_METRICS_LISTEN)",
		                 cfg->metrics_host, cfg->metrics_port);
		goto fail;
	}
	metrics_enable();
	log_info("metrics_server_start: metrics on http://%s%s%s:%u%s",
	         strchr(cfg->metrics_host, ':') ? "[" : "", cfg->metrics_host,
	         strchr(cfg->metrics_host, ':') ? "]" : "", cfg->metrics_port, METRICS_PATH);
	*out = s;
	return EDGECA_OK;
fail:
	metrics_server_stop(s);
	return rc;
}

void
metrics_server_stop(struct metrics_server *s)
{
	if (s == NULL)
		return;
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	metrics_page_free(s->page);
	free(s);
}
