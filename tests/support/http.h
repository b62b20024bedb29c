/* HTTPS client for the integration tests (libcurl). Every exchange is also
 * appended to $EDGECA_TEST_EXCHANGES/<test>.jsonl for the OpenAPI
 * conformance check. */
#ifndef EDGECA_TEST_HTTP_H
#define EDGECA_TEST_HTTP_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>

#include "tests/support/harness.h"

#define HTTP_MAX_HEADERS 32

struct http_response {
	long status;
	char content_type[160];
	char names[HTTP_MAX_HEADERS][64];    /* lower case */
	char values[HTTP_MAX_HEADERS][512];
	int nheaders;
	unsigned char *body;
	size_t body_len;
	json_t *json; /* parsed when the body is JSON */
};

/* Sets how long an exchange may take (seconds; 120 unless set) before it
 * is given up as unanswered (status 0). */
void http_set_timeout(long seconds);
/* Names the exchange log file of this test program. */
void http_set_test_name(const char *name);

/* method, path (with query), bearer token or NULL, content type or NULL.
 * extra_headers: NULL-terminated "Name: value" list or NULL. Returns the
 * status (0 when no answer came). */
long http_call(struct instance *in, const char *method, const char *path, const char *token,
               const char *content_type, const void *body, size_t len,
               struct http_response *out);
long http_call_h(struct instance *in, const char *method, const char *path, const char *token,
                 const char *content_type, const void *body, size_t len,
                 const char *const *extra_headers, struct http_response *out);

/* An exchange with the instance's plain-HTTP PKI listener
 * (http://localhost:<pki_port><path>), not recorded: the OpenAPI
 * description is of the HTTPS listeners. */
long http_pki_call(struct instance *in, const char *method, const char *path,
                   const char *content_type, const void *body, size_t len,
                   const char *const *extra_headers, struct http_response *out);

/* The same, not recorded: for threads, whose records could interleave in
 * the log; one thread records the answers afterwards (http_record). */
long http_call_unrecorded(struct instance *in, const char *method, const char *path,
                          const char *token, const char *content_type, const void *body,
                          size_t len, struct http_response *out);
/* The same with extra_headers (NULL-terminated "Name: value" list). */
long http_call_h_unrecorded(struct instance *in, const char *method, const char *path,
                            const char *token, const char *content_type, const void *body,
                            size_t len, const char *const *extra_headers,
                            struct http_response *out);

/* A CORS preflight as a browser sends it: OPTIONS path with Origin and
 * Access-Control-Request-Method (and -Headers when not NULL), not
 * recorded: OpenAPI has no way to describe preflights. */
long http_preflight(struct instance *in, const char *path, const char *origin,
                    const char *method, const char *headers, struct http_response *out);
long http_get(struct instance *in, const char *path, const char *token,
              struct http_response *out);
long http_post_json(struct instance *in, const char *path, const char *token, const char *json,
                    struct http_response *out);

/* Fails the test unless got == want and, when slug is given, the problem
 * type is that slug; error answers must be problem documents whose status
 * member equals the HTTP status. Frees r. */
void http_expect(long want, const char *slug, long got, struct http_response *r);
/* POSTs a JSON body as the admin; fails unless the status is want.
 * Returns the answer (the caller frees it). */
struct http_response http_post_expect(struct instance *in, const char *path, const char *json,
                                      long want);
/* Creates an API token from json as the admin (201 or the test fails);
 * its secret into token and, when id is not NULL, its id. */
void http_token_create(struct instance *in, const char *json, char token[128], char id[64]);
/* The location name of a CA answer, and its certificate (fails if absent). */
const json_t *http_location(const struct http_response *r, const char *name);
X509 *http_location_cert(const struct http_response *r, const char *name);
/* Issues a certificate for a new EC P-256 key with CN cn from location
 * (NULL: the CA's first active one) of ca_id as the admin; fails unless
 * 201. Returns the answer (the caller frees it). */
struct http_response http_issue(struct instance *in, const char *ca_id, const char *location,
                                const char *cn);
/* The same for a device: a raw application/pkcs10 request (as a factory
 * script sends it) for a new EC P-256 key, returned in *key; the issued
 * certificate, its serial in serial when not NULL. */
X509 *http_issue_cert(struct instance *in, const char *ca_id, const char *cn, EVP_PKEY **key,
                      char serial[80]);
/* Revokes a certificate of ca_id for reason as the admin; expects 200. */
void http_revoke(struct instance *in, const char *ca_id, const char *serial, const char *reason);
/* Creates a CA from a JSON body as the admin (expects 201); id receives
 * its id. */
void http_create_ca(struct instance *in, const char *body, char id[64]);

/* The pages of a list answer, followed through next_cursor. */
struct http_pages {
	json_t *items;       /* every page's items, in order */
	size_t pages;        /* pages fetched */
	size_t fewest, most; /* items on the smallest and the largest page */
};
/* GETs path (with a query: "&cursor=<next_cursor>" is appended) as token,
 * then each following page, until next_cursor is not a string. Fails the
 * test unless every page answers 200 with an items array, or after 10,000
 * pages. Ownership: out->items is the caller's (http_pages_free). */
void http_pages(struct instance *in, const char *path, const char *token,
                struct http_pages *out);
void http_pages_free(struct http_pages *p);

const char *http_header(const struct http_response *r, const char *name);
/* Appends one exchange with a listener ("api" or "est") to the test's
 * exchange log (OpenAPI conformance); for answers obtained without
 * http_call (the EST client). */
void http_record(const char *listener, const char *method, const char *path,
                 const struct http_response *r);
/* A string member of the JSON body, or NULL. */
const char *http_json_str(const struct http_response *r, const char *key);
/* The slug of a problem answer ("csr-weak-key"), or "" when none. */
const char *http_problem_type(const struct http_response *r);
void http_response_free(struct http_response *r);

#endif
