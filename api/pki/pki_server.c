/* The PKI listener on libmicrohttpd: reads a request, finds its route
 * (routes.c), reads a POST body up to the limit, calls the handler and
 * sends its answer. A small dispatcher rather than Ulfius: a cached OCSP
 * answer is a few hundred bytes, and what a framework adds per request
 * (maps of headers, copies of every value) halved what this listener
 * answers per second (docs/pki-urls.md, "Throughput"). */
#include "api/pki/pki_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/listen/gate.h"
#include "api/listen/request.h"
#include "api/listen/request_end.h"
#include "api/pki/pki.h"
#include "common/buf.h"
#include "common/log.h"

/* Bodies up to this many times the limit are read (and dropped) before
 * the 413, 404 or 405; one far over it is refused at once. Answering
 * while the client still sends would close the connection with its upload
 * unread, and the reset could reach the client before the answer. */
#define DISCARD_FACTOR 16

struct pki_server {
	struct MHD_Daemon *daemon;
	struct edgeca_ctx *ctx;
	struct signer_gate *gate;
	struct deadline_watch *deadline;
	struct listen_addr addr;
	struct listen_settings ls; /* its strings borrowed from the server */
};

/* One request from its line to its end: the request's *con_cls. */
struct exchange {
	char *target;  /* as received */
	char *scratch; /* the path cut into its parameters */
	const struct pki_route *route;
	struct buf body;
	size_t dropped; /* bytes of the body of a refused request, read and dropped */
	bool started, answered, too_large;
	int refusal;      /* 404 or 405 decided at the headers, answered at the end */
	unsigned allowed; /* the methods of a 405 */
	int status;       /* of the answer; 0: none yet */
	struct pki_request req; /* its route's parameters from the headers on */
	struct listen_request lr;
};

static enum MHD_Result
send_answer(struct MHD_Connection *con, struct exchange *x, struct pki_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	x->answered = true;
	if (r->status == 0)
		pki_answer_problem(r, EDGECA_ERR_INTERNAL, NULL, "no answer", NULL);
	/* the body passes to libmicrohttpd, which frees it */
	if (r->release != NULL)
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			r->body_len, (void *)r->shared, r->release, r->owner);
	else
		resp = MHD_create_response_from_buffer(r->body_len,
		                                       r->body != NULL ? r->body : (void *)"",
		                                       r->body != NULL ? MHD_RESPMEM_MUST_FREE
		                                                       : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	r->body = NULL;
	r->release = NULL;
	if (r->content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (size_t i = 0; i < r->n_headers; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	if (r->status >= 400)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, LISTEN_REQUEST_ID_HEADER, x->lr.id);
	x->status = r->status;
	ok = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Answers a refusal made before any handler: 404, 405, 413. */
static enum MHD_Result
refuse(struct MHD_Connection *con, struct exchange *x, const char *path, unsigned allowed,
       int status)
{
	struct pki_response r = {0};
	char allow[32] = "";
	enum MHD_Result ok;

	if (status == 405) {
		snprintf(allow, sizeof(allow), "%s%s%s", allowed & PKI_GET ? "GET, " : "",
		         allowed & PKI_HEAD ? "HEAD, " : "", allowed & PKI_POST ? "POST, " : "");
		if (strlen(allow) >= 2)
			allow[strlen(allow) - 2] = '\0'; /* the last ", " */
		pki_answer_header(&r, "Allow", "%s", allow);
		pki_answer_problem_status(&r, 405, "Method Not Allowed", "method-not-allowed",
		                          "this resource answers only the methods in Allow", path);
	} else if (status == 413) {
		pki_answer_problem(&r, EDGECA_ERR_OVERSIZED, NULL, "the request body exceeds the limit",
		                   path);
	} else {
		pki_answer_problem(&r, EDGECA_ERR_NOT_FOUND, "not-found",
		                   "this listener serves /crl/{ca_id}/{file} and /ca/{ca_id}/{file}",
		                   path);
	}
	ok = send_answer(con, x, &r);
	pki_response_clear(&r);
	return ok;
}

/* libmicrohttpd's URI log callback: the request target as received;
 * the exchange made here is the request's *con_cls. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct exchange *x = calloc(1, sizeof(*x));

	(void)cls;
	deadline_request_begun(con);
	if (x != NULL && (x->target = strdup(uri != NULL ? uri : "")) == NULL) {
		free(x);
		x = NULL;
	}
	return x;
}

/* The request's headers are in: its route, or the refusal. */
static enum MHD_Result
at_headers(struct pki_server *s, struct MHD_Connection *con, struct exchange *x,
           const char *method, const char *url)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned allowed = 0;

	if ((x->scratch = malloc(strlen(url) + 1)) == NULL)
		return MHD_NO;
	/* a decoded path ends at an encoded NUL: "/crl/a/b.crl%00x" is not "/crl/a/b.crl" */
	if (strstr(x->target, "%00") == NULL)
		x->route = pki_route_match(method, url, x->scratch, &x->req, &allowed);
	if (x->route == NULL) {
		/* The answer waits for the request's end, its body read and
		 * dropped, which keeps the connection open for the next one. */
		x->refusal = allowed != 0 ? 405 : 404;
		x->allowed = allowed;
		if (cl != NULL && strtoull(cl, NULL, 10) > s->ls.max_body_bytes * DISCARD_FACTOR)
			return refuse(con, x, url, allowed, x->refusal);
		return MHD_YES;
	}
	if (cl != NULL && strtoull(cl, NULL, 10) > s->ls.max_body_bytes * DISCARD_FACTOR)
		return refuse(con, x, url, 0, 413);
	if (cl != NULL && strtoull(cl, NULL, 10) > s->ls.max_body_bytes)
		x->too_large = true;
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
	struct pki_server *s = cls;
	struct exchange *x = *con_cls;
	struct pki_request *req = x != NULL ? &x->req : NULL;
	struct pki_response resp = {0};
	enum MHD_Result ok;

	(void)version;
	if (x == NULL) /* on_uri found no memory */
		return MHD_NO;
	if (!x->started) {
		x->started = true;
		listen_request_begin(&x->lr, "pki", method,
		                     MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		                                                 LISTEN_REQUEST_ID_HEADER));
		ok = at_headers(s, con, x, method, url);
		listen_request_leave(&x->lr);
		return ok;
	}
	if (*upload_data_size > 0) {
		if (x->refusal != 0 && !x->answered) {
			x->dropped += *upload_data_size;
			*upload_data_size = 0;
			if (x->dropped <= s->ls.max_body_bytes * DISCARD_FACTOR)
				return MHD_YES;
			listen_request_enter(&x->lr); /* a chunked body far over the limit */
			ok = refuse(con, x, url, x->allowed, x->refusal);
			listen_request_leave(&x->lr);
			return ok;
		}
		if (x->answered)
			*upload_data_size = 0;
		else
			listen_body_add(&x->body, &x->too_large, s->ls.max_body_bytes, upload_data,
			                upload_data_size);
		return MHD_YES;
	}
	if (x->answered)
		return MHD_YES;
	listen_request_enter(&x->lr);
	if (x->refusal != 0 || x->too_large) {
		ok = refuse(con, x, url, x->allowed, x->too_large ? 413 : x->refusal);
		listen_request_leave(&x->lr);
		return ok;
	}
	req->ctx = s->ctx;
	req->con = con;
	req->method = method;
	req->path = url;
	req->target = x->target;
	req->gate = s->gate;
	req->gate_wait_ms = s->ls.signer_timeout_s * 1000;
	req->body = x->body.len > 0 ? x->body.data : NULL;
	req->body_len = x->body.len;
	x->route->handler(req, &resp);
	log_debug("pki: %s %s -> %d", method, url, resp.status);
	ok = send_answer(con, x, &resp);
	pki_response_clear(&resp);
	listen_request_leave(&x->lr);
	return ok;
}

static void
on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct exchange *x = *con_cls;

	(void)cls;
	(void)toe;
	listen_request_done(con, "pki", x != NULL && x->route != NULL ? x->route->pattern : NULL);
	if (x != NULL) {
		if (x->status != 0)
			listen_request_end(&x->lr, x->route != NULL ? x->route->pattern : NULL,
			                   x->status);
		buf_free(&x->body);
		free(x->scratch);
		free(x->target);
		free(x);
		*con_cls = NULL;
	}
}

edgeca_err
pki_server_start(struct edgeca_ctx *ctx, const struct listen_settings *ls,
                 struct deadline_watch *deadline, struct pki_server **out,
                 struct edgeca_msg *msg)
{
	/* epoll, unlike the TLS listeners (listen.h): without TLS no
	 * handshake spins the loop, and epoll does not walk every
	 * connection on each wake-up */
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct pki_server *s;
	edgeca_err rc;

	*out = NULL;
	if (ls->port == 0)
		return EDGECA_OK;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	s->ctx = ctx;
	s->ls = *ls;
	s->deadline = deadline;
	if ((rc = listen_addr_make(ls->bind_address, ls->port, &s->addr, msg)) != EDGECA_OK ||
	    (rc = gate_new(gate_capacity(ls->threads, ls->signer_max_waiting),
	                   gate_signer_stalled, ctx->signer, &s->gate, msg)) != EDGECA_OK)
		goto fail;
	s->daemon = MHD_start_daemon(
		flags | s->addr.mhd_flags, (uint16_t)ls->port, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, &s->addr.ss, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)ls->threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)ls->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)ls->connection_timeout_s, MHD_OPTION_LISTEN_BACKLOG_SIZE,
		(unsigned int)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, deadline_on_connection, deadline,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, listen_mhd_log, "pki libmicrohttpd", MHD_OPTION_END);
	if (s->daemon == NULL) {
		rc = edgeca_fail(msg, EDGECA_ERR_UNAVAILABLE, NULL,
		                 "cannot listen for plain HTTP (PKI) on %s port %u (in use?)",
		                 ls->bind_address, ls->port);
		goto fail;
	}
	log_info("pki_server_start: CRLs and CA certificates on http://%s:%u (%u threads); "
	         "certificates name %s", ls->bind_address, ls->port, ls->threads, ls->public_url);
	*out = s;
	return EDGECA_OK;
fail:
	gate_free(s->gate);
	free(s);
	return rc;
}

void
pki_server_stop(struct pki_server *s)
{
	if (s == NULL)
		return;
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	gate_free(s->gate);
	free(s);
}
