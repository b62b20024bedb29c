/* JSON views of model objects, as described in openapi/openapi.yaml. */
#ifndef EDGECA_API_RENDER_H
#define EDGECA_API_RENDER_H

#include <jansson.h>

#include "model/ca/ca.h"
#include "model/cert/certificate.h"
#include "model/auth/token.h"

json_t *render_ca(const struct ca *ca, const struct model_settings *settings);
/* {"enabled", "locations": [{"location", "status", "url"}], "label_url",
 * "default_url"}: the EST URLs devices are configured with. */
json_t *render_est_urls(const struct ca *ca, const struct model_settings *settings);
/* full: with certificate_pem and chain_pem (single-certificate views). */
json_t *render_certificate(const struct certificate *c, int full);
json_t *render_token(const struct token_info *t);
json_t *render_time(time_t t); /* RFC 3339 string, or null for 0 */
/* Appends item (taken) to array; NULL (and array released) when either is
 * NULL or the append fails. */
json_t *render_append(json_t *array, json_t *item);
/* {"items": items, "next_cursor": ...}; takes items; NULL when items is. */
json_t *render_page(json_t *items, const char *next_cursor);

#endif
