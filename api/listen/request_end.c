#include "api/listen/request_end.h"

#include "api/listen/deadline.h"
#include "common/metrics.h"

void
listen_request_done(struct MHD_Connection *con, const char *listener, const char *route)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_HTTP_STATUS);
	double seconds = deadline_request_done(con);

	metrics_http_done(listener, route, ci != NULL ? ci->http_status : 0, seconds);
}
