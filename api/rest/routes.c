#include "api/rest/routes.h"

#include <stdlib.h>
#include <string.h>

#include "api/rest/auth.h"
#include "api/rest/cors.h"
#include "api/rest/handlers.h"
#include "api/rest/idempotency.h"
#include "api/listen/listen.h"
#include "api/listen/request.h"
#include "api/rest/problem.h"
#include "api/rest/query.h"
#include "common/log.h"
#include "common/x509util.h"

/* The query parameters of the operations that read any. */
static const char *const page[] = {"limit", "cursor", NULL};
static const char *const cert_filters[] = {"status", "common_name", "expires_before", "limit",
                                           "cursor", NULL};
static const char *const audit[] = {"actor", "action", "object_type", "object_id",
                                    "since", "until", "limit", "cursor", NULL};
/* a raw CSR's options (as the JSON body's members): a certificate's, a
 * subordinate CA's */
static const char *const issue_options[] = {"validity_days", "not_after", "template",
                                            "location", NULL};
static const char *const subordinate_options[] = {"path_length", "validity_days", "not_after",
                                                  "location", NULL};
static const char *const cert_search[] = {
	"ca_id", "common_name_prefix", "san", "serial", "status", "template", "requester",
	"issued_after", "issued_before", "expires_after", "expires_before", "sort", "total",
	"limit", "cursor", NULL};
/* list parameters that may be repeated (?ca_id=a&ca_id=b, the OpenAPI
 * default for a query array, which generated clients send): Ulfius joins
 * the values with commas, the same as ?ca_id=a,b */
static const char *const cert_search_lists[] = {"ca_id", NULL};
static const char *const ca_crl[] = {"location", "delta", NULL};
static const char *const iotedge[] = {"registration_id", "id_scope", "location", NULL};

static const struct api_query_params q_page = {page, NULL};
static const struct api_query_params q_cert_filters = {cert_filters, NULL};
static const struct api_query_params q_audit = {audit, NULL};
static const struct api_query_params q_issue = {issue_options, NULL};
static const struct api_query_params q_subordinate = {subordinate_options, NULL};
static const struct api_query_params q_search = {cert_search, cert_search_lists};
static const struct api_query_params q_crl = {ca_crl, NULL};
static const struct api_query_params q_iotedge = {iotedge, NULL};

#define SIGNER ROUTE_SIGNER
#define IDEM ROUTE_IDEMPOTENT
#define NEGOTIATED ROUTE_NEGOTIATED
#define ANY_QUERY ROUTE_ANY_QUERY

/* method, path, access, handler, properties, query parameters */
const struct api_route api_routes[] = {
	{"GET", "/healthz", ACCESS_PUBLIC, api_health_healthz, 0, NULL},
	{"GET", "/readyz", ACCESS_PUBLIC, api_health_readyz, 0, NULL},
	{"GET", "/openapi.yaml", ACCESS_PUBLIC, api_health_openapi, 0, NULL},
	{"POST", "/api/v1/cas", ACCESS_ADMIN, api_cas_create, SIGNER | IDEM, NULL},
	{"GET", "/api/v1/cas", ACCESS_READ, api_cas_list, 0, &q_page},
	{"GET", "/api/v1/cas/:ca_id", ACCESS_READ, api_cas_get, 0, NULL},
	{"PATCH", "/api/v1/cas/:ca_id", ACCESS_ADMIN, api_cas_update, 0, NULL},
	{"GET", "/api/v1/cas/:ca_id/est", ACCESS_READ, api_cas_est_urls, 0, NULL},
	{"GET", "/api/v1/cas/:ca_id/notifications", ACCESS_OVERSEE, api_notifications_list, 0,
	 &q_page},
	{"GET", "/api/v1/notifications", ACCESS_OVERSEE, api_notifications_list, 0, &q_page},
	{"GET", "/api/v1/audit", ACCESS_OVERSEE, api_audit_list, 0, &q_audit},
	{"POST", "/api/v1/cas/:ca_id/verification-certificate", ACCESS_ADMIN,
	 api_cas_verification_certificate, SIGNER | IDEM, NULL},
	{"GET", "/api/v1/cas/:ca_id/iotedge-config", ACCESS_ADMIN, api_cas_iotedge_config, 0,
	 &q_iotedge},
	{"GET", "/api/v1/cas/:ca_id/certificate", ACCESS_READ, api_cas_certificate, NEGOTIATED,
	 NULL},
	{"POST", "/api/v1/cas/:ca_id/chain", ACCESS_ADMIN, api_cas_chain, SIGNER, NULL},
	{"POST", "/api/v1/cas/:ca_id/renew", ACCESS_ADMIN, api_cas_renew, SIGNER | IDEM, NULL},
	{"GET", "/api/v1/cas/:ca_id/chain", ACCESS_READ, api_cas_chain_get, NEGOTIATED, NULL},
	{"GET", "/api/v1/cas/:ca_id/locations/:location/chain", ACCESS_READ, api_cas_chain_get,
	 NEGOTIATED, NULL},
	{"GET", "/api/v1/cas/:ca_id/locations/:location/csr", ACCESS_READ, api_cas_location_csr, 0,
	 NULL},
	{"POST", "/api/v1/cas/:ca_id/locations/:location/certificate", ACCESS_ADMIN,
	 api_cas_location_upload, SIGNER, NULL},
	{"GET", "/ca/:ca_id/:file", ACCESS_PUBLIC, api_public_ca_certificate, ANY_QUERY, NULL},
	{"POST", "/api/v1/cas/:ca_id/certificates", ACCESS_REQUEST, api_certificates_issue,
	 SIGNER | IDEM, &q_issue},
	{"POST", "/api/v1/cas/:ca_id/subordinate-certificates", ACCESS_ADMIN,
	 api_cas_sign_subordinate, IDEM, &q_subordinate},
	{"GET", "/api/v1/cas/:ca_id/certificates", ACCESS_READ, api_certificates_list, 0,
	 &q_cert_filters},
	{"GET", "/api/v1/certificates", ACCESS_READ, api_cert_search, 0, &q_search},
	{"GET", "/api/v1/cas/:ca_id/certificates/:serial", ACCESS_READ, api_certificates_get,
	 NEGOTIATED, NULL},
	/* requesters revoke their own certificates only: checked by the model */
	{"POST", "/api/v1/cas/:ca_id/certificates/:serial/revoke", ACCESS_REQUEST,
	 api_certificates_revoke, IDEM, NULL},
	{"POST", "/api/v1/cas/:ca_id/certificates/:serial/unrevoke", ACCESS_REQUEST,
	 api_certificates_unrevoke, IDEM, NULL},
	{"POST", "/api/v1/cas/:ca_id/locations/:location/revoke", ACCESS_ADMIN,
	 api_cas_revoke_location, IDEM, NULL},
	{"POST", "/api/v1/cas/:ca_id/revoke", ACCESS_ADMIN, api_cas_revoke, IDEM, NULL},
	{"POST", "/api/v1/cas/:ca_id/disable", ACCESS_ADMIN, api_cas_disable, 0, NULL},
	{"POST", "/api/v1/cas/:ca_id/enable", ACCESS_ADMIN, api_cas_enable, 0, NULL},
	{"DELETE", "/api/v1/cas/:ca_id", ACCESS_ADMIN, api_cas_delete, 0, NULL},
	{"GET", "/api/v1/cas/:ca_id/crl", ACCESS_READ, api_cas_crl_get, NEGOTIATED, &q_crl},
	{"POST", "/api/v1/cas/:ca_id/crl", ACCESS_ADMIN, api_cas_crl_generate, SIGNER, NULL},
	{"GET", "/crl/:ca_id/:file", ACCESS_PUBLIC, api_public_crl, ANY_QUERY, NULL},
	{"POST", "/api/v1/tokens", ACCESS_ADMIN, api_tokens_create, IDEM, NULL},
	{"GET", "/api/v1/tokens", ACCESS_ADMIN, api_tokens_list, 0, &q_page},
	{"GET", "/api/v1/tokens/:token_id", ACCESS_ADMIN, api_tokens_get, 0, NULL},
	{"PATCH", "/api/v1/tokens/:token_id", ACCESS_ADMIN, api_tokens_update, 0, NULL},
	{"DELETE", "/api/v1/tokens/:token_id", ACCESS_ADMIN, api_tokens_delete, 0, NULL},
	/* the portal: sign-in sessions and its files (api/rest/auth.c: the cookie) */
	{"POST", "/api/v1/sessions", ACCESS_PUBLIC, api_sessions_create, 0, NULL},
	{"GET", "/api/v1/sessions/current", ACCESS_READ, api_sessions_current, 0, NULL},
	{"DELETE", "/api/v1/sessions/current", ACCESS_READ, api_sessions_end, 0, NULL},
	{"GET", "/ui", ACCESS_PUBLIC, api_ui_file, ANY_QUERY, NULL},
	{"GET", "/ui/*", ACCESS_PUBLIC, api_ui_file, ANY_QUERY, NULL},
};
const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
#undef SIGNER
#undef IDEM
#undef NEGOTIATED
#undef ANY_QUERY

struct binding {
	struct api_router *router;
	const struct api_route *route;
	bool signer; /* ROUTE_SIGNER, and the listener has a signer gate */
};

static void
common_headers(struct _u_response *resp)
{
	u_map_put(resp->map_header, LISTEN_REQUEST_ID_HEADER, log_context_request_id());
	u_map_put(resp->map_header, "Cache-Control", "no-store");
	u_map_put(resp->map_header, "X-Content-Type-Options", "nosniff");
	u_map_put(resp->map_header, "Strict-Transport-Security", LISTEN_HSTS);
}

/* 413 when the declared or received body exceeds the limit; ulfius reads
 * at most limit + 1 bytes, so a longer body always shows here. */
static int
body_too_large(const struct _u_request *req, size_t max)
{
	const char *cl = u_map_get_case(req->map_header, "Content-Length");

	if (cl != NULL) {
		char *end;
		unsigned long long v = strtoull(cl, &end, 10);
		if (*end == '\0' && v > max)
			return 1;
	}
	return req->binary_body_length > max;
}

/* A request with both Content-Length and Transfer-Encoding says two
 * different things about where its body ends: libmicrohttpd reads it as
 * chunked, while a proxy in front of edgeca may have gone by the length,
 * and the two would then disagree on where the next request starts
 * (request smuggling; RFC 9112 section 6.3). It is refused (400) with
 * Connection: close, so nothing that follows it on the connection is read
 * as a request. Ulfius calls edgeca only once the body is in, so this is
 * the first place to see it. */
static int
framing_refused(const struct _u_request *req, struct _u_response *resp, const char *path)
{
	if (!u_map_has_key_case(req->map_header, "Content-Length") ||
	    !u_map_has_key_case(req->map_header, "Transfer-Encoding"))
		return 0;
	u_map_put(resp->map_header, "Connection", "close");
	api_problem_text(resp, EDGECA_ERR_MALFORMED, "malformed-request",
	                 "a request may not have both Content-Length and Transfer-Encoding", path);
	return 1;
}

/* Query and path values must be UTF-8 text without NUL, control or
 * invisible characters; a value that is not is refused, never silently
 * dropped. A NUL is looked for in the raw request target (Ulfius keeps it
 * in http_url, as libmicrohttpd received it): decoded, a value would end
 * at its NUL and pass for its first part ("?limit=1%00000" as 1). */
static int
query_invalid(const struct _u_request *req, char *detail, size_t len)
{
	const char **keys = u_map_enum_keys(req->map_url);

	if (req->http_url == NULL || strstr(req->http_url, "%00") != NULL) {
		snprintf(detail, len, "the request target holds an encoded NUL (%%00)");
		return 1;
	}

	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		const char *v = u_map_get(req->map_url, keys[i]);
		ssize_t n = u_map_get_length(req->map_url, keys[i]);
		if (v == NULL)
			continue;
		if (n < 0 || (size_t)n != strlen(v) + 1 || !utf8_valid(v) || utf8_has_control(v) ||
		    !utf8_valid(keys[i])) {
			snprintf(detail, len, "a query or path parameter is not valid UTF-8 text");
			return 1;
		}
	}
	return 0;
}

/* Enters the listener's signer gate, or answers 503 signer-unavailable
 * with Retry-After at once (stalled signer) or after the wait (full). */
static bool
gate_admits(const struct api_router *r, struct _u_response *resp, const char *path)
{
	unsigned retry_after = 0, silent = 0;
	enum gate_verdict v = gate_enter(r->gate, r->gate_wait_ms, &retry_after, &silent);
	char detail[128];

	if (v == GATE_ADMITTED)
		return true;
	gate_refusal_text(v, silent, detail, sizeof(detail));
	api_retry_after(resp, retry_after);
	api_problem_text(resp, EDGECA_ERR_UNAVAILABLE, "signer-unavailable", detail, path);
	return false;
}

/* The route's handler, behind the signer gate when it is signer-bound
 * (arg: the route's binding). */
static void
run_handler(struct api_call *call, const void *arg)
{
	const struct binding *b = arg;

	if (b->signer && !gate_admits(b->router, call->resp, call->path))
		return;
	b->route->handler(call);
	if (b->signer)
		gate_leave(b->router->gate);
}

/* The checks every route's request passes, then its handler (arg: the
 * route's binding). */
static void
serve(const struct _u_request *req, struct _u_response *resp, const void *arg)
{
	const struct binding *b = arg;
	struct api_call call;
	char detail[128];

	memset(&call, 0, sizeof(call));
	call.req = req;
	call.resp = resp;
	call.ctx = b->router->ctx;
	call.path = req->url_path;
	if (framing_refused(req, resp, call.path))
		return;
	if (body_too_large(req, b->router->max_body)) {
		snprintf(detail, sizeof(detail), "the request body exceeds the limit of %zu bytes",
		         b->router->max_body);
		api_problem_text(resp, EDGECA_ERR_OVERSIZED, "payload-too-large", detail, call.path);
		return;
	}
	if (query_invalid(req, detail, sizeof(detail))) {
		api_problem_text(resp, EDGECA_ERR_MALFORMED, "invalid-parameter", detail, call.path);
		return;
	}
	if (api_authorize(&call, b->route) != 0)
		return;
	if (api_query_refused(req->http_url, b->route, detail, sizeof(detail))) {
		api_problem_text(resp, EDGECA_ERR_MALFORMED, "invalid-parameter", detail, call.path);
		return;
	}
	if (b->route->props & ROUTE_NEGOTIATED)
		api_vary_add(resp, "Accept");
	if (b->route->props & ROUTE_IDEMPOTENT)
		api_idem_run(&call, run_handler, b);
	else
		run_handler(&call, b);
}

/* One request of the API listener, once Ulfius has all of it: its
 * request id, the common headers, fn, the CORS headers of r, and its
 * access-log line under route (NULL: none matched; api/listen/request.h). */
static int
answer_request(const struct api_router *r, const struct _u_request *req,
               struct _u_response *resp, const char *route,
               void (*fn)(const struct _u_request *, struct _u_response *, const void *),
               const void *arg)
{
	struct listen_request lr;

	listen_request_begin(&lr, "api", req->http_verb,
	                     u_map_get_case(req->map_header, LISTEN_REQUEST_ID_HEADER));
	common_headers(resp);
	fn(req, resp, arg);
	api_cors_answer(r->cors, req, resp);
	listen_request_leave(&lr);
	listen_request_end(&lr, route, (int)resp->status);
	return U_CALLBACK_COMPLETE;
}

static int
dispatch(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
	const struct binding *b = user_data;

	return answer_request(b->router, req, resp, b->route->path, serve, b);
}

int
api_path_matches(const char *pattern, const char *path)
{
	const char *p = pattern, *q = path;

	for (;;) {
		size_t pl, ql;
		while (*p == '/')
			p++;
		while (*q == '/')
			q++;
		if (p[0] == '*' && p[1] == '\0')
			return 1; /* a final "*" matches the rest, as Ulfius's does */
		if (*p == '\0' || *q == '\0')
			return *p == '\0' && *q == '\0';
		pl = strcspn(p, "/");
		ql = strcspn(q, "/?");
		if (*p != ':' && (pl != ql || strncmp(p, q, pl) != 0))
			return 0;
		p += pl;
		q += ql;
		if (*q == '?')
			q += strlen(q);
	}
}

const char *
api_route_pattern(const char *method, const char *path)
{
	if (method == NULL || path == NULL)
		return NULL;
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (size_t i = 0; i < api_routes_count; i++)
		if (strcmp(api_routes[i].method, method) == 0 &&
		    api_path_matches(api_routes[i].path, path))
			return api_routes[i].path;
	return NULL;
}

/* 405 for a path some route matches with another method, 404 else
 * (arg: the router). */
static void
no_route(const struct _u_request *req, struct _u_response *resp, const void *arg)
{
	const struct api_router *r = arg;
	char allow[128] = "";

	if (framing_refused(req, resp, req->url_path))
		return;
	for (size_t i = 0; i < r->n_routes; i++) {
		if (!api_path_matches(r->routes[i].path, req->url_path))
			continue;
		if (allow[0] != '\0')
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, r->routes[i].method, sizeof(allow) - strlen(allow) - 1);
		if (strcmp(r->routes[i].method, "GET") == 0)
			strncat(allow, ", HEAD", sizeof(allow) - strlen(allow) - 1);
	}
	if (allow[0] != '\0' && api_cors_is_preflight(req)) {
		api_cors_preflight(r->cors, req, resp, allow);
		return;
	}
	if (allow[0] != '\0') {
		char detail[192];
		u_map_put(resp->map_header, "Allow", allow);
		snprintf(detail, sizeof(detail), "%s is not allowed here; allowed: %s",
		         req->http_verb, allow);
		api_problem_raw(resp, 405, "Method Not Allowed", "method-not-allowed", detail,
		                req->url_path);
		return;
	}
	api_problem_text(resp, EDGECA_ERR_NOT_FOUND, "not-found", "no such resource",
	                 req->url_path);
}

static int
not_found(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
	return answer_request(user_data, req, resp, NULL, no_route, user_data);
}

int
api_routes_register(struct _u_instance *inst, struct api_router *r)
{
	struct binding *bindings = calloc(r->n_routes, sizeof(*bindings));

	if (bindings == NULL)
		return -1;
	r->bindings = bindings;
	for (size_t i = 0; i < r->n_routes; i++) {
		bool get = strcmp(r->routes[i].method, "GET") == 0;
		bindings[i].router = r;
		bindings[i].route = &r->routes[i];
		bindings[i].signer = r->gate != NULL && (r->routes[i].props & ROUTE_SIGNER) != 0;
		/* HEAD answers like GET; libmicrohttpd leaves the body out. */
		if (ulfius_add_endpoint_by_val(inst, r->routes[i].method, NULL, r->routes[i].path, 0,
		                               dispatch, &bindings[i]) != U_OK ||
		    (get && ulfius_add_endpoint_by_val(inst, "HEAD", NULL, r->routes[i].path, 0,
		                                       dispatch, &bindings[i]) != U_OK)) {
			log_error("api_routes_register: cannot add %s %s", r->routes[i].method,
			          r->routes[i].path);
			return -1;
		}
	}
	return ulfius_set_default_endpoint(inst, not_found, r) == U_OK ? 0 : -1;
}

void
api_routes_free(struct api_router *r)
{
	free(r->bindings);
	r->bindings = NULL;
}
