#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

edgeca_err
edgeca_fail(struct edgeca_msg *msg, edgeca_err code, const char *type, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL)
		return code;
	snprintf(msg->type, sizeof(msg->type), "%s", type ? type : "");
	msg->type_internal = false;
	va_start(ap, fmt);
	vsnprintf(msg->detail, sizeof(msg->detail), fmt, ap);
	va_end(ap);
	return code;
}

void
edgeca_msg_clear(struct edgeca_msg *msg)
{
	if (msg == NULL)
		return;
	msg->type[0] = '\0';
	msg->detail[0] = '\0';
	msg->retry_after = 0;
	msg->type_internal = false;
}

const char *
edgeca_err_slug(edgeca_err code)
{
	switch (code) {
	case EDGECA_OK: return "ok";
	case EDGECA_ERR_MALFORMED: return "malformed-request";
	case EDGECA_ERR_INVALID: return "invalid-request";
	case EDGECA_ERR_UNAUTHENTICATED: return "unauthorized";
	case EDGECA_ERR_NOT_PERMITTED: return "forbidden";
	case EDGECA_ERR_NOT_FOUND: return "not-found";
	case EDGECA_ERR_CONFLICT: return "conflict";
	case EDGECA_ERR_OVERSIZED: return "payload-too-large";
	case EDGECA_ERR_FORMAT_UNSUPPORTED: return "unsupported-media-type";
	case EDGECA_ERR_FORMAT_UNAVAILABLE: return "not-acceptable";
	case EDGECA_ERR_THROTTLED: return "too-many-requests";
	case EDGECA_ERR_UNAVAILABLE: return "service-unavailable";
	case EDGECA_ERR_PRECONDITION: return "precondition-failed";
	case EDGECA_ERR_INTERNAL: return "internal-error";
	}
	return "internal-error";
}

const char *
edgeca_msg_slug(const struct edgeca_msg *msg, edgeca_err code)
{
	return msg != NULL && msg->type[0] ? msg->type : edgeca_err_slug(code);
}
