/* Entity tags of the REST API's single resources (CAs, certificates,
 * tokens) and the conditional requests on them (RFC 9110 8.8.3, 13.1):
 * If-None-Match on their GETs (304) and If-Match on their PATCHes (412).
 * Handlers call it; the tag is a digest of the JSON representation, so
 * every instance on one database gives the same tag for the same content. */
#ifndef EDGECA_API_ETAG_H
#define EDGECA_API_ETAG_H

#include <jansson.h>
#include <stdbool.h>

#include "api/rest/routes.h"
#include "model/auth/token.h"
#include "model/ca/ca.h"

/* '"', 32 lower-case hex digits (128 bits of SHA-256), '"' and the NUL. */
#define API_ETAG_BYTES 35

/* The strong entity tag of a JSON representation: a digest of its
 * canonical text (members sorted, compact). Returns 0; -1 when out of
 * memory (tag is then ""). */
int api_etag_json(const json_t *j, char tag[API_ETAG_BYTES]);

/* The entity tag of a CA's representation (render_ca) as every GET shows
 * it: without the members only one answer carries (a new webhook secret,
 * warnings). Returns 0; -1 when out of memory. */
int api_etag_ca(const struct ca *ca, const struct model_settings *settings,
                char tag[API_ETAG_BYTES]);

enum api_etag_match {
	API_ETAG_MALFORMED = -1, /* not "*" nor a list of entity-tags */
	API_ETAG_NO_MATCH = 0,
	API_ETAG_MATCH = 1,
};

/* Whether field, the value of If-Match or If-None-Match, lists tag:
 * "*" matches any tag; weak false is the strong comparison of If-Match
 * (a W/ tag never matches), weak true the weak one of If-None-Match. */
enum api_etag_match api_etag_match(const char *field, const char *tag, bool weak);

/* A PATCH's If-Match, checked: *field is NULL when there is none or it is
 * "*" (the resource must only exist, as any PATCH asks), else the field
 * for api_etag_*_holds. Returns: EDGECA_OK; EDGECA_ERR_MALFORMED. */
edgeca_err api_if_match(const struct _u_request *req, const char **field,
                        struct edgeca_msg *msg);

/* What api_etag_ca_holds needs: the If-Match field and the settings the
 * representation is rendered with. */
struct api_ca_match {
	const char *field;
	const struct model_settings *settings;
};
/* struct ca_precondition's holds: arg is a struct api_ca_match. */
bool api_etag_ca_holds(const struct ca *current, const void *arg);
/* struct token_precondition's holds: arg is the If-Match field. */
bool api_etag_token_holds(const struct token_info *current, const void *arg);

/* A GET of a single resource: 200 with j (taken) and its ETag, or 304
 * without a body when the request's If-None-Match lists that tag (weak
 * comparison; a malformed If-None-Match is ignored). */
void api_answer_tagged(struct api_call *call, json_t *j);

/* Sets status, j (taken) and its ETag: the answers of changes that
 * return the resource (PATCH, revocation), whose tag a later GET repeats. */
void api_json_tagged(struct _u_response *resp, int status, json_t *j);
/* The same for a CA: its representation, the ETag of api_etag_ca. */
void api_json_ca(struct api_call *call, int status, const struct ca *ca);

#endif
