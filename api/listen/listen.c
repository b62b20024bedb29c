#include "api/listen/listen.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

edgeca_err
listen_addr_make(const char *bind_address, unsigned port, struct listen_addr *out,
                 struct edgeca_msg *msg)
{
	memset(out, 0, sizeof(*out));
	if (strchr(bind_address, ':') != NULL) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, bind_address, &a6->sin6_addr) != 1)
			return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
			                   "EDGECA_BIND_ADDRESS is not an IP address");
		out->mhd_flags = MHD_USE_DUAL_STACK;
		return EDGECA_OK;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, bind_address, &a4->sin_addr) != 1)
		return edgeca_fail(msg, EDGECA_ERR_INVALID, NULL,
		                   "EDGECA_BIND_ADDRESS is not an IP address");
	return EDGECA_OK;
}

void
listen_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("%s: %s", (const char *)cls, line);
}

void
listen_body_add(struct buf *body, bool *too_large, size_t max, const char *data, size_t *size)
{
	if (!*too_large &&
	    (body->len + *size > max || buf_append(body, data, *size) != 0)) {
		*too_large = true;
		buf_free(body);
	}
	*size = 0;
}
