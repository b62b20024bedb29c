/* The plain-HTTP PKI listener's requests and answers as its handlers see
 * them, and its route table (routes.c). The listener serves public,
 * signed objects only (CRLs, CA certificates, OCSP), unauthenticated and
 * read-only; its handlers are thin: read the request, call model/, fill
 * the answer. Called by api/pki only. */
#ifndef EDGECA_API_PKI_H
#define EDGECA_API_PKI_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/listen/gate.h"
#include "common/error.h"
#include "model/core/context.h"

/* Methods a route answers (a bit each). */
#define PKI_GET 1u
#define PKI_HEAD 2u
#define PKI_POST 4u

/* Path parameters a route may name (":name" segments, and a last "*"
 * for the rest of the path). */
#define PKI_MAX_PARAMS 4
/* Headers a handler may add to its answer. */
#define PKI_MAX_HEADERS 8

struct pki_request {
	struct edgeca_ctx *ctx;
	struct MHD_Connection *con; /* for pki_header */
	const char *method;         /* "GET", "HEAD" or "POST" */
	const char *path;           /* decoded by libmicrohttpd */
	const char *target;         /* the request target as received (percent-encoded) */
	char names[PKI_MAX_PARAMS][32];
	const char *values[PKI_MAX_PARAMS];
	size_t n_params;
	const unsigned char *body; /* POST only; NULL when empty */
	size_t body_len;
	/* for handlers that call the signer (signer/client) */
	struct signer_gate *gate;
	unsigned gate_wait_ms;
};

struct pki_header_line {
	const char *name; /* static text */
	char value[128];
};

/* An answer: the handler sets status and, with pki_answer_body or
 * pki_answer_problem, the body; HEAD answers drop the body on the wire. */
struct pki_response {
	int status;
	const char *content_type; /* static text */
	unsigned char *body;      /* owned: malloc'ed */
	size_t body_len;
	struct pki_header_line headers[PKI_MAX_HEADERS];
	size_t n_headers;
	/* instead of body: bytes someone else owns, passed to libmicrohttpd
	 * as they are and released by release(owner) once sent */
	const void *shared;
	void (*release)(void *owner);
	void *owner;
};

/* The value of the path parameter name (":ca_id", "*" as "rest"), or NULL. */
const char *pki_param(const struct pki_request *r, const char *name);
/* The value of the request header name (any case), or NULL. */
const char *pki_header(const struct pki_request *r, const char *name);

/* Answers status with a copy of body (content_type static text). */
void pki_answer_body(struct pki_response *resp, int status, const char *content_type,
                     const void *body, size_t len);
/* Answers an RFC 9457 problem: status and title from code, the slug
 * (NULL: the code's), detail (NULL: the title), the path as instance. */
void pki_answer_problem(struct pki_response *resp, edgeca_err code, const char *slug,
                        const char *detail, const char *path);
/* Answers a model function's failure: code and msg as the REST API shows them. */
void pki_answer_failure(struct pki_response *resp, edgeca_err code, const struct edgeca_msg *msg,
                        const char *path);
/* The same with a status of its own (405, 413). */
void pki_answer_problem_status(struct pki_response *resp, int status, const char *title,
                               const char *slug, const char *detail, const char *path);
/* Answers status with len bytes at data that owner keeps alive until
 * release(owner) is called (once, after sending or on clearing). */
void pki_answer_shared(struct pki_response *resp, int status, const char *content_type,
                       const void *data, size_t len, void (*release)(void *owner), void *owner);
/* Adds a header (printf format) to the answer; dropped past PKI_MAX_HEADERS. */
void pki_answer_header(struct pki_response *resp, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pki_response_clear(struct pki_response *resp);

typedef void pki_handler(const struct pki_request *req, struct pki_response *resp);

struct pki_route {
	const char *pattern; /* "/crl/:ca_id/:file"; a last "*" matches the rest */
	unsigned methods;    /* PKI_GET | PKI_HEAD ... */
	pki_handler *handler;
};

extern const struct pki_route pki_routes[];
extern const size_t pki_routes_count;

/* The route for method on path, its parameters in r (values point into
 * scratch, a copy of path the caller owns, at least strlen(path) + 1
 * bytes). NULL when none: *allowed then holds the methods of the routes
 * the path matches (0: none, a 404; else a 405). */
const struct pki_route *pki_route_match(const char *method, const char *path, char *scratch,
                                        struct pki_request *r, unsigned *allowed);

/* The handlers of the public objects (objects.c). */
void pki_crl_get(const struct pki_request *req, struct pki_response *resp);
void pki_ca_certificate_get(const struct pki_request *req, struct pki_response *resp);
/* The OCSP responder (ocsp.c). */
void pki_ocsp_get(const struct pki_request *req, struct pki_response *resp);
void pki_ocsp_post(const struct pki_request *req, struct pki_response *resp);

#endif
