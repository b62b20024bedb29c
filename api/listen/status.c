#include "api/listen/status.h"

#include <string.h>

static const struct {
	edgeca_err code;
	int status;
	const char *title;
} statuses[] = {
	{EDGECA_OK, 200, "OK"},
	{EDGECA_ERR_MALFORMED, 400, "Bad Request"},
	{EDGECA_ERR_INVALID, 422, "Unprocessable Content"},
	{EDGECA_ERR_UNAUTHENTICATED, 401, "Unauthorized"},
	{EDGECA_ERR_NOT_PERMITTED, 403, "Forbidden"},
	{EDGECA_ERR_NOT_FOUND, 404, "Not Found"},
	{EDGECA_ERR_CONFLICT, 409, "Conflict"},
	{EDGECA_ERR_OVERSIZED, 413, "Content Too Large"},
	{EDGECA_ERR_FORMAT_UNSUPPORTED, 415, "Unsupported Media Type"},
	{EDGECA_ERR_FORMAT_UNAVAILABLE, 406, "Not Acceptable"},
	{EDGECA_ERR_THROTTLED, 429, "Too Many Requests"},
	{EDGECA_ERR_UNAVAILABLE, 503, "Service Unavailable"},
	{EDGECA_ERR_PRECONDITION, 412, "Precondition Failed"},
	{EDGECA_ERR_INTERNAL, 500, "Internal Server Error"},
};

static size_t
status_index(edgeca_err code)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return i;
	return sizeof(statuses) / sizeof(statuses[0]) - 1;
}

int
api_status_of(edgeca_err code)
{
	return statuses[status_index(code)].status;
}

const char *
api_status_title(edgeca_err code)
{
	return statuses[status_index(code)].title;
}

/* The signer's slugs callers may see: those the API documents as problem
 * types (openapi/openapi.yaml, docs/), and the codes' default slugs.
 * Any other (crl-session, key-not-found, policy-invalid, ...: what the
 * signer says of edgeca's own requests) becomes the code's default slug;
 * the detail is kept. */
static const char *const signer_slugs_shown[] = {
	"ca-certificate-no-ski",    "ca-expired",                "ca-not-active",
	"certificate-key-mismatch", "certificate-malformed",     "crl-sign-not-allowed",
	"csr-bad-signature",        "csr-common-name-too-long",  "csr-invalid-common-name",
	"csr-invalid-san",          "csr-invalid-subject",       "csr-malformed",
	"csr-missing-common-name",  "csr-multiple-common-names", "csr-no-host-name",
	"csr-too-large",            "csr-unsupported-key",       "csr-unsupported-signature",
	"csr-weak-key",             "csr-weak-signature",        "invalid-field",
	"invalid-subject",          "invalid-url",               "key-already-certified",
	"key-damaged",              "key-limit-reached",         "key-record-damaged",
	"key-record-malformed",     "key-record-mismatch",       "key-record-other-kek",
	"name-not-allowed",
	"not-a-ca-certificate",     "path-length-exceeded",      "template-not-allowed",
	"validity-exceeds-issuer",  "validity-exceeds-policy",   "validity-invalid",
};

const char *
api_slug_of(const struct edgeca_msg *msg, edgeca_err code)
{
	if (msg == NULL || msg->type[0] == '\0')
		return edgeca_err_slug(code);
	if (!msg->type_internal)
		return msg->type;
	for (size_t i = 0; i < sizeof(signer_slugs_shown) / sizeof(signer_slugs_shown[0]); i++)
		if (strcmp(msg->type, signer_slugs_shown[i]) == 0)
			return msg->type;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(msg->type, edgeca_err_slug(statuses[i].code)) == 0)
			return msg->type;
	return edgeca_err_slug(code);
}
