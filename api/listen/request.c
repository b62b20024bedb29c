#include "api/listen/request.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <string.h>

#include "common/encoding.h"

static bool access_log_on = true;

void
listen_request_access_log(bool on)
{
	access_log_on = on;
}

bool
listen_request_id_sane(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");
	return n >= 1 && n <= LOG_REQUEST_ID_MAX && s[n] == '\0';
}

void
listen_request_begin(struct listen_request *r, const char *listener, const char *method,
                     const char *inbound_id)
{
	unsigned char rnd[16];

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->listener = listener;
	snprintf(r->method, sizeof(r->method), "%s", method ? method : "");
	if (listen_request_id_sane(inbound_id)) {
		memcpy(r->id, inbound_id, strlen(inbound_id) + 1);
	} else if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) == 0) {
		hex_encode(rnd, sizeof(rnd), r->id);
	} else {
		/* no randomness: still unique within the process */
		static _Atomic unsigned long fallback;
		snprintf(r->id, sizeof(r->id), "local-%lu-%ld", ++fallback, (long)r->start.tv_nsec);
	}
	listen_request_enter(r);
}

void
listen_request_enter(const struct listen_request *r)
{
	log_context_set(r->id);
	log_context_principal(r->principal);
}

void
listen_request_leave(struct listen_request *r)
{
	snprintf(r->principal, sizeof(r->principal), "%s", log_context_principal_name());
	log_context_clear();
}

void
listen_request_end(const struct listen_request *r, const char *route, int status)
{
	struct timespec now;
	char ms[32], code[16];
	double elapsed;

	if (!access_log_on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
	          (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
	snprintf(ms, sizeof(ms), "%.3f", elapsed < 0 ? 0.0 : elapsed);
	snprintf(code, sizeof(code), "%d", status);
	{
		const struct log_field f[] = {
			{"request_id", r->id, false},
			{"listener", r->listener, false},
			{"method", r->method, false},
			{"route", route ? route : "other", false},
			{"status", code, true},
			{"duration_ms", ms, true},
			{"principal", r->principal[0] ? r->principal : NULL, false},
		};
		log_fields(LOG_LEVEL_INFO, f, sizeof(f) / sizeof(f[0]), "access");
	}
}
