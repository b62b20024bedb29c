#include "api/listen/status.h"

static const struct {
	edgeca_err code;
	int status;
	const char *title;
} statuses[] = {
	{EDGECA_OK, 200, "OK"},
	{EDGECA_ERR_MALFORMED, 400, "Bad Request"},
	{EDGECA_ERR_INVALID, 422, "Unprocessable Content"},
	{EDGECA_ERR_UNAUTHORIZED, 401, "Unauthorized"},
	{EDGECA_ERR_FORBIDDEN, 403, "Forbidden"},
	{EDGECA_ERR_NOT_FOUND, 404, "Not Found"},
	{EDGECA_ERR_CONFLICT, 409, "Conflict"},
	{EDGECA_ERR_TOO_LARGE, 413, "Content Too Large"},
	{EDGECA_ERR_UNSUPPORTED_MEDIA, 415, "Unsupported Media Type"},
	{EDGECA_ERR_NOT_ACCEPTABLE, 406, "Not Acceptable"},
	{EDGECA_ERR_TOO_MANY, 429, "Too Many Requests"},
	{EDGECA_ERR_UNAVAILABLE, 503, "Service Unavailable"},
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
