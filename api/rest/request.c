#include "api/rest/request.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/timeutil.h"

bool
api_content_type_is(const struct _u_request *req, const char *type)
{
	const char *ct = u_map_get_case(req->map_header, "Content-Type");
	size_t n = strlen(type);

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, type, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

edgeca_err
api_json_object(const struct _u_request *req, json_t **out, struct edgeca_msg *msg)
{
	json_error_t err;
	json_t *j;

	*out = NULL;
	if (!api_content_type_is(req, "application/json"))
		return edgeca_fail(msg, EDGECA_ERR_FORMAT_UNSUPPORTED, "unsupported-media-type",
		                   "the body must be application/json");
	if (req->binary_body_length == 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "malformed-json", "the body is empty");
	j = json_loadb(req->binary_body, req->binary_body_length, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "malformed-json",
		                   "the body is not valid JSON: %s at line %d, column %d", err.text,
		                   err.line, err.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "malformed-json",
		                   "the body must be a JSON object");
	}
	*out = j;
	return EDGECA_OK;
}

edgeca_err
json_only(const json_t *obj, const char *const *allowed, const char *where,
          struct edgeca_msg *msg)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		const char *const *a;
		(void)v;
		for (a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL)
			return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "unknown-field",
			                   "unknown field \"%s%.64s\"", where, key);
	}
	return EDGECA_OK;
}

edgeca_err
json_patch_nonempty(const json_t *obj, const char *const *fields, bool null_is_value,
                    struct edgeca_msg *msg)
{
	char names[256] = "";
	size_t used = 0;

	for (const char *const *f = fields; *f != NULL; f++) {
		const json_t *v = json_object_get(obj, *f);
		int n;

		if (v != NULL && (null_is_value || !json_is_null(v)))
			return EDGECA_OK;
		n = snprintf(names + used, sizeof(names) - used, "%s%s", used > 0 ? ", " : "", *f);
		if (n > 0 && (size_t)n < sizeof(names) - used)
			used += (size_t)n;
	}
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "empty-patch",
	                   "the body changes nothing: give at least one of %s", names);
}

static edgeca_err
wrong_type(const char *where, const char *key, const char *want, struct edgeca_msg *msg)
{
	return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-field-type", "%s%s must be %s",
	                   where, key, want);
}

edgeca_err
json_opt_string(const json_t *obj, const char *key, const char *where, const char **out,
                struct edgeca_msg *msg)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return EDGECA_OK;
	if (!json_is_string(v))
		return wrong_type(where, key, "a string", msg);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-field-type",
		                   "%s%s must not contain NUL characters", where, key);
	*out = json_string_value(v);
	return EDGECA_OK;
}

edgeca_err
json_opt_long(const json_t *obj, const char *key, const char *where, long *out,
              struct edgeca_msg *msg)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return EDGECA_OK;
	if (!json_is_integer(v))
		return wrong_type(where, key, "an integer", msg);
	if (json_integer_value(v) < -1000000000LL || json_integer_value(v) > 1000000000LL)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field", "%s%s is out of range",
		                   where, key);
	*out = (long)json_integer_value(v);
	return EDGECA_OK;
}

edgeca_err
json_opt_bool(const json_t *obj, const char *key, const char *where, int *out,
              struct edgeca_msg *msg)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return EDGECA_OK;
	if (!json_is_boolean(v))
		return wrong_type(where, key, "true or false", msg);
	*out = json_is_true(v) ? 1 : 0;
	return EDGECA_OK;
}

edgeca_err
json_opt_time(const json_t *obj, const char *key, const char *where, bool *has, time_t *out,
              struct edgeca_msg *msg)
{
	const char *s = NULL;
	edgeca_err rc = json_opt_string(obj, key, where, &s, msg);

	if (rc != EDGECA_OK || s == NULL)
		return rc;
	if (rfc3339_parse(s, out) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-field-type",
		                   "%s%s must be an RFC 3339 timestamp such as 2030-01-31T12:00:00Z",
		                   where, key);
	*has = true;
	return EDGECA_OK;
}

edgeca_err
json_opt_strings(const json_t *obj, const char *key, const char *where, const char ***items,
                 long *n, struct edgeca_msg *msg)
{
	json_t *v = json_object_get(obj, key), *e;
	const char **out;
	size_t i;

	if (v == NULL || json_is_null(v))
		return EDGECA_OK;
	if (!json_is_array(v))
		return wrong_type(where, key, "an array of strings", msg);
	if (json_array_size(v) > 100)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, "invalid-field",
		                   "%s%s holds more than 100 items", where, key);
	out = calloc(json_array_size(v) + 1, sizeof(char *));
	if (out == NULL)
		return edgeca_fail(msg, EDGECA_ERR_INTERNAL, NULL, "out of memory");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
			free(out);
			return wrong_type(where, key, "an array of strings", msg);
		}
		out[i] = json_string_value(e);
	}
	*items = out;
	*n = (long)json_array_size(v);
	return EDGECA_OK;
}

edgeca_err
json_opt_object(const json_t *obj, const char *key, const char *where, const json_t **out,
                struct edgeca_msg *msg)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return EDGECA_OK;
	if (!json_is_object(v))
		return wrong_type(where, key, "an object", msg);
	*out = v;
	return EDGECA_OK;
}

const char *
api_query(const struct _u_request *req, const char *name)
{
	const char *v = u_map_get(req->map_url, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

edgeca_err
api_query_long(const struct _u_request *req, const char *name, long *out,
               struct edgeca_msg *msg)
{
	const char *v = api_query(req, name);
	char *end;
	long n;

	if (v == NULL)
		return EDGECA_OK;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end != '\0' || !isdigit((unsigned char)v[0]))
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter %s must be a non-negative integer", name);
	*out = n;
	return EDGECA_OK;
}

edgeca_err
api_query_time(const struct _u_request *req, const char *name, bool *has, time_t *out,
               struct edgeca_msg *msg)
{
	const char *v = api_query(req, name);
	char copy[64];

	if (v == NULL)
		return EDGECA_OK;
	/* A '+' of an offset arrives as a space when the client did not
	 * percent-encode it. */
	snprintf(copy, sizeof(copy), "%s", v);
	for (char *p = copy + (strlen(copy) > 19 ? 19 : strlen(copy)); *p; p++)
		if (*p == ' ')
			*p = '+';
	if (strlen(v) >= sizeof(copy) || rfc3339_parse(copy, out) != 0)
		return edgeca_fail(msg, EDGECA_ERR_MALFORMED, "invalid-parameter",
		                   "the query parameter %s must be an RFC 3339 timestamp", name);
	*has = true;
	return EDGECA_OK;
}

/* The q of the most specific range of accept matching offer: exact type
 * over "type/ *" over "* / *"; -1 when no range matches. */
static double
offer_quality(const char *accept, const char *offer)
{
	const char *slash = strchr(offer, '/');
	size_t type_len = slash ? (size_t)(slash - offer) : strlen(offer);
	double best_q = -1;
	int best_rank = -1;

	for (const char *p = accept; *p;) {
		const char *end = p + strcspn(p, ","), *params;
		size_t range_len;
		double q = 1;
		int rank = -1;

		while (*p == ' ')
			p++;
		params = memchr(p, ';', (size_t)(end - p));
		range_len = (size_t)((params ? params : end) - p);
		while (range_len > 0 && p[range_len - 1] == ' ')
			range_len--;
		if (range_len == strlen(offer) && strncasecmp(p, offer, range_len) == 0)
			rank = 2;
		else if (range_len == type_len + 2 && strncasecmp(p, offer, type_len) == 0 &&
		         strncmp(p + type_len, "/*", 2) == 0)
			rank = 1;
		else if (range_len == 3 && strncmp(p, "*/*", 3) == 0)
			rank = 0;
		for (const char *a = params; a != NULL && a < end; a = memchr(a + 1, ';', (size_t)(end - a - 1))) {
			const char *v = a + 1;
			while (*v == ' ')
				v++;
			if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
				q = strtod(v + 2, NULL);
		}
		if (rank > best_rank) {
			best_rank = rank;
			best_q = q;
		}
		p = *end ? end + 1 : end;
	}
	return best_q;
}

int
api_negotiate(const struct _u_request *req, const char *const *offers)
{
	const char *accept = u_map_get_case(req->map_header, "Accept");
	double best = 0;
	int pick = -1;

	if (accept == NULL || accept[0] == '\0')
		return 0;
	for (int i = 0; offers[i] != NULL; i++) {
		double q = offer_quality(accept, offers[i]);
		if (q > best) {
			best = q;
			pick = i;
		}
	}
	return pick;
}
