/* Entity tags and the If-Match / If-None-Match rules of RFC 9110 (8.8.3,
 * 13.1.1, 13.1.2) for the REST API's single resources. */
#include "api/rest/etag.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "api/rest/problem.h"
#include "api/rest/render.h"
#include "common/digests.h"
#include "common/encoding.h"

/* 128 bits: collisions between two versions of one resource are out of
 * reach, and the tag stays short in headers. */
#define ETAG_DIGEST_BYTES 16

int
api_etag_json(const json_t *j, char tag[API_ETAG_BYTES])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = -1;

	tag[0] = '\0';
	if (text == NULL ||
	    EVP_Digest(text, strlen(text), md, &md_len, digest_sha256(), NULL) != 1 ||
	    md_len < ETAG_DIGEST_BYTES)
		goto out;
	tag[0] = '"';
	hex_encode(md, ETAG_DIGEST_BYTES, tag + 1);
	tag[1 + 2 * ETAG_DIGEST_BYTES] = '"';
	tag[2 + 2 * ETAG_DIGEST_BYTES] = '\0';
	rc = 0;
out:
	free(text);
	return rc;
}

int
api_etag_ca(const struct ca *ca, const struct model_settings *settings,
            char tag[API_ETAG_BYTES])
{
	struct ca view = *ca; /* shallow: render_ca only reads */
	json_t *j;
	int rc;

	view.new_webhook_secret = NULL;
	view.warnings = NULL;
	j = render_ca(&view, settings);
	rc = api_etag_json(j, tag);
	json_decref(j);
	return rc;
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool
is_etagc(char c)
{
	unsigned char u = (unsigned char)c;

	return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

enum api_etag_match
api_etag_match(const char *field, const char *tag, bool weak)
{
	size_t tag_len = strlen(tag), n = 0;
	const char *p, *start;
	bool found = false, is_weak;

	if (field == NULL)
		return API_ETAG_MALFORMED;
	p = skip_ows(field);
	if (*p == '*')
		return *skip_ows(p + 1) == '\0' ? API_ETAG_MATCH : API_ETAG_MALFORMED;
	while (*p != '\0') {
		if (*p == ',') { /* empty list elements are allowed (RFC 9110 5.6.1) */
			p = skip_ows(p + 1);
			continue;
		}
		is_weak = p[0] == 'W' && p[1] == '/';
		if (is_weak)
			p += 2;
		if (*p != '"')
			return API_ETAG_MALFORMED;
		for (start = p++; is_etagc(*p); p++)
			;
		if (*p++ != '"')
			return API_ETAG_MALFORMED;
		n++;
		if ((size_t)(p - start) == tag_len && memcmp(start, tag, tag_len) == 0 &&
		    (weak || !is_weak))
			found = true;
		p = skip_ows(p);
		if (*p != '\0' && *p != ',')
			return API_ETAG_MALFORMED;
	}
	if (n == 0)
		return API_ETAG_MALFORMED;
	return found ? API_ETAG_MATCH : API_ETAG_NO_MATCH;
}

edgeca_err
api_if_match(const struct _u_request *req, const char **field, struct edgeca_msg *msg)
{
	const char *v = u_map_get_case(req->map_header, "If-Match");

	*field = NULL;
	if (v == NULL)
		return EDGECA_OK;
	/* against the empty tag, which no entity-tag equals: only "*" matches */
	switch (api_etag_match(v, "", false)) {
	case API_ETAG_MATCH:
		return EDGECA_OK;
	case API_ETAG_NO_MATCH:
		*field = v;
		return EDGECA_OK;
	default:
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, NULL,
		                   "If-Match must be \"*\" or a list of entity tags (\"...\")");
	}
}

bool
api_etag_ca_holds(const struct ca *current, const void *arg)
{
	const struct api_ca_match *m = arg;
	char tag[API_ETAG_BYTES];

	return api_etag_ca(current, m->settings, tag) == 0 &&
	       api_etag_match(m->field, tag, false) == API_ETAG_MATCH;
}

bool
api_etag_token_holds(const struct token_info *current, const void *arg)
{
	const char *field = arg;
	char tag[API_ETAG_BYTES];
	json_t *j = render_token(current);
	bool holds = api_etag_json(j, tag) == 0 && api_etag_match(field, tag, false) == API_ETAG_MATCH;

	json_decref(j);
	return holds;
}

void
api_answer_tagged(struct api_call *call, json_t *j)
{
	const char *inm = u_map_get_case(call->req->map_header, "If-None-Match");
	char tag[API_ETAG_BYTES];

	if (api_etag_json(j, tag) != 0) {
		api_json(call->resp, 200, j); /* NULL: the 500 api_json gives */
		return;
	}
	u_map_put(call->resp->map_header, "ETag", tag);
	if (inm != NULL && api_etag_match(inm, tag, true) == API_ETAG_MATCH) {
		json_decref(j);
		call->resp->status = 304;
		return;
	}
	api_json(call->resp, 200, j);
}

void
api_json_tagged(struct _u_response *resp, int status, json_t *j)
{
	char tag[API_ETAG_BYTES];

	if (api_etag_json(j, tag) == 0)
		u_map_put(resp->map_header, "ETag", tag);
	api_json(resp, status, j);
}

void
api_json_ca(struct api_call *call, int status, const struct ca *ca)
{
	char tag[API_ETAG_BYTES];

	if (api_etag_ca(ca, &call->ctx->settings, tag) == 0)
		u_map_put(call->resp->map_header, "ETag", tag);
	api_json(call->resp, status, render_ca(ca, &call->ctx->settings));
}
