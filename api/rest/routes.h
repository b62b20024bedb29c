/* The route table of the API listener and the one dispatcher every route
 * goes through: body-size limit, authentication and role checks happen
 * there, before any handler runs, so no endpoint can forget them; so does
 * the signer gate of the routes that need the signer. */
#ifndef EDGECA_API_ROUTES_H
#define EDGECA_API_ROUTES_H

#include <stdbool.h>
#include <ulfius.h>

#include "api/listen/cors.h"
#include "api/listen/gate.h"
#include "model/auth/principal.h"
#include "model/auth/session.h"
#include "model/core/context.h"

enum api_access {
	ACCESS_PUBLIC = 0,  /* no token */
	ACCESS_READ,        /* any role */
	ACCESS_REQUEST,     /* requester or pki_admin */
	ACCESS_ADMIN,       /* pki_admin */
	ACCESS_OVERSEE,     /* pki_admin or auditor */
};

/* What a handler gets: the request, the response to fill, the model
 * context and the authenticated caller. */
struct api_call {
	const struct _u_request *req;
	struct _u_response *resp;
	struct edgeca_ctx *ctx;
	struct principal who;
	const char *path;
	bool by_session;             /* authenticated by the session cookie */
	struct session_info session; /* the session, when by_session */
};

typedef void (*api_handler)(struct api_call *call);

/* The query parameters a route's operation reads with api_query,
 * api_query_long, api_query_time or u_map_get on map_url (path parameters
 * aside); the dispatcher refuses any other (api/rest/query.h). */
struct api_query_params {
	const char *const *names; /* NULL-terminated */
	const char *const *lists; /* of names, those that may repeat; NULL: none */
};

/* What the dispatcher does around a route's handler, beyond access. */
enum api_route_prop {
	/* needs the signer: passes the listener's signer gate
	 * (api/listen/gate.h), so that a stalled signer never holds every
	 * thread */
	ROUTE_SIGNER = 1u << 0,
	/* creates or changes state once: honours Idempotency-Key
	 * (api/rest/idempotency.h) */
	ROUTE_IDEMPOTENT = 1u << 1,
	/* the answer's format is chosen by Accept (api_negotiate): Vary: Accept */
	ROUTE_NEGOTIATED = 1u << 2,
	/* public files (/ca/, /crl/, /ui/): any query is ignored, as relying
	 * parties and browsers add cache-busting ones */
	ROUTE_ANY_QUERY = 1u << 3,
};

/* One route and its properties: a new route states them all here. */
struct api_route {
	const char *method;
	const char *path; /* ulfius format: /api/v1/cas/:ca_id */
	enum api_access access;
	api_handler handler;
	unsigned props;                       /* of enum api_route_prop */
	const struct api_query_params *query; /* NULL: takes no query parameter */
};

struct api_router {
	struct edgeca_ctx *ctx;
	struct signer_gate *gate; /* the listener's (borrowed); NULL: none */
	unsigned gate_wait_ms;    /* how long a request may wait for a place */
	size_t max_body;
	const struct cors_origins *cors; /* borrowed; NULL: no CORS */
	const struct api_route *routes;
	size_t n_routes;
	void *bindings; /* owned, per-route callback data */
};

/* Registers every route of r->routes and the 404/405 default on inst. */
int api_routes_register(struct _u_instance *inst, struct api_router *r);
void api_routes_free(struct api_router *r);

/* The route table of the API listener. */
extern const struct api_route api_routes[];
extern const size_t api_routes_count;

/* The pattern of the route that serves method on path (HEAD as GET), or
 * NULL when none does: a label for the metrics, never the raw path. */
const char *api_route_pattern(const char *method, const char *path);

/* True when path matches the ulfius-style pattern. */
int api_path_matches(const char *pattern, const char *path);

#endif
