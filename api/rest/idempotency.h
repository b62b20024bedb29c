/* Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on the
 * API's POSTs that create: the key is reserved before the handler runs,
 * a 2xx answer is kept for 24 hours and replayed to a retry with the same
 * key and request, marked with IDEM_REPLAYED_HEADER. Called by the
 * dispatcher (api/rest/routes.c) for the handlers it lists. */
#ifndef EDGECA_API_IDEMPOTENCY_H
#define EDGECA_API_IDEMPOTENCY_H

#include <stddef.h>

#include "api/rest/routes.h"
#include "model/store/idempotency.h"

#define IDEM_HEADER "Idempotency-Key"
#define IDEM_REPLAYED_HEADER "Idempotency-Replayed"

/* Reads an Idempotency-Key value into key: 1 to IDEM_KEY_MAX printable
 * ASCII characters (space to tilde), bare or as a structured-field string
 * in double quotes (without '"' or '\' inside). Returns 0, or -1 when the
 * value is not a valid key. */
int api_idem_key_parse(const char *value, char key[IDEM_KEY_MAX + 1]);

/* The fingerprint of a request: SHA-256 over its method, path, query
 * string (raw CSR uploads carry their options there), media type
 * (lower-cased, parameters left out) and body, each part delimited.
 * query and content_type may be NULL. Returns 0, or -1 (OpenSSL failed). */
int api_idem_fingerprint(const char *method, const char *path, const char *query,
                         const char *content_type, const void *body, size_t len,
                         unsigned char out[IDEM_FINGERPRINT_LEN]);

/* Runs run(call, arg) under the request's Idempotency-Key: without the
 * header, just runs it; with a key, answers 400 idempotency-key-invalid,
 * 409 idempotency-key-in-use, 422 idempotency-key-reused, 503 (database)
 * or the kept answer, or runs it and keeps its answer when 2xx. */
void api_idem_run(struct api_call *call, void (*run)(struct api_call *, const void *),
                  const void *arg);

#endif
