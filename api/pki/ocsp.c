/* The OCSP responder on the PKI listener (RFC 6960; RFC 5019 for GET):
 * POST /ocsp with an application/ocsp-request body and GET /ocsp/{base64
 * request}. OCSP's own errors are answers (HTTP 200, the
 * OCSPResponseStatus); only HTTP's are problems (415 for another media
 * type, 413 from the listener for a body past its limit). Cached answers
 * leave here without a copy and with RFC 5019's caching headers. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/pki/pki.h"
#include "api/pki/public_file.h"
#include "common/encoding.h"
#include "model/ocsp/ocsp.h"

#define OCSP_RESPONSE_TYPE "application/ocsp-response"
#define OCSP_REQUEST_TYPE "application/ocsp-request"
/* base64 of OCSP_REQUEST_MAX bytes, with padding */
#define OCSP_GET_MAX (4 * ((OCSP_REQUEST_MAX + 2) / 3))

static void
release(void *owner)
{
	ocsp_answer_release(owner);
}

/* Takes a (its reference passes to the answer). */
static void
answer(const struct pki_request *req, struct pki_response *resp, struct ocsp_answer *a)
{
	time_t now = time(NULL);
	char date[40];

	if (a == NULL) {
		pki_answer_problem(resp, EDGECA_ERR_INTERNAL, NULL, "out of memory", req->path);
		return;
	}
	if (!a->cacheable) {
		pki_answer_header(resp, "Cache-Control", "no-cache, no-store");
		pki_answer_shared(resp, 200, OCSP_RESPONSE_TYPE, a->der, a->len, release, a);
		return;
	}
	pki_answer_header(resp, "ETag", "%s", a->etag);
	public_http_date(a->this_update, date);
	pki_answer_header(resp, "Last-Modified", "%s", date);
	public_http_date(a->next_update, date);
	pki_answer_header(resp, "Expires", "%s", date);
	pki_answer_header(resp, "Cache-Control", "max-age=%lld, public, no-transform, must-revalidate",
	                  (long long)(a->next_update > now ? a->next_update - now : 0));
	if (public_not_modified(pki_header(req, "If-None-Match"), NULL, a->etag, a->this_update)) {
		pki_answer_shared(resp, 304, NULL, "", 0, release, a);
		return;
	}
	pki_answer_shared(resp, 200, OCSP_RESPONSE_TYPE, a->der, a->len, release, a);
}

/* From the cache, else through the signer gate (tryLater when the
 * signer is stalled or saturated). */
static void
respond(const struct pki_request *req, struct pki_response *resp, const unsigned char *der,
        size_t len)
{
	struct ocsp_answer *a = ocsp_respond_cached(req->ctx, der, len);
	unsigned retry_after = 0, silent = 0;

	if (a == NULL) {
		if (gate_enter(req->gate, req->gate_wait_ms, &retry_after, &silent) != GATE_ADMITTED) {
			a = ocsp_answer_new(OCSP_TRY_LATER, NULL, 0);
		} else {
			a = ocsp_respond(req->ctx, der, len);
			gate_leave(req->gate);
		}
	}
	answer(req, resp, a);
}

static int
pct_digit(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* The request of a GET: the target after "/ocsp/", percent-decoded
 * (clients escape '/', '+' and '=', or not), base64 or base64url, with
 * or without padding. Returns 0, or -1 when it is not base64 or too
 * long (malformedRequest). */
static int
get_request(const char *target, unsigned char **der, size_t *len)
{
	const char *p = target + strlen("/ocsp/");
	char text[OCSP_GET_MAX + 4];
	size_t n = 0;

	for (; *p != '\0' && *p != '?'; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int hi = pct_digit((unsigned char)p[1]), lo = hi < 0 ? -1 : pct_digit((unsigned char)p[2]);
			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			p += 2;
		}
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		if (n == OCSP_GET_MAX)
			return -1;
		text[n++] = (char)c;
	}
	while (n % 4 != 0 && n < sizeof(text) - 1)
		text[n++] = '=';
	text[n] = '\0';
	return n == 0 || base64_decode(text, n, false, der, len) != 0 ? -1 : 0;
}

/* GET /ocsp/{base64}: RFC 5019's form, the one caches keep. */
void
pki_ocsp_get(const struct pki_request *req, struct pki_response *resp)
{
	unsigned char *der = NULL;
	size_t len = 0;

	if (strncmp(req->target, "/ocsp/", 6) != 0 || get_request(req->target, &der, &len) != 0)
		answer(req, resp, ocsp_answer_new(OCSP_MALFORMED, NULL, 0));
	else
		respond(req, resp, der, len);
	free(der);
}

/* POST /ocsp with an application/ocsp-request body. */
void
pki_ocsp_post(const struct pki_request *req, struct pki_response *resp)
{
	const char *type = pki_header(req, "Content-Type");
	size_t tl = strlen(OCSP_REQUEST_TYPE);

	if (type == NULL || strncasecmp(type, OCSP_REQUEST_TYPE, tl) != 0 ||
	    (type[tl] != '\0' && type[tl] != ';' && type[tl] != ' ')) {
		pki_answer_problem(resp, EDGECA_ERR_FORMAT_UNSUPPORTED, "unsupported-media-type",
		                   "OCSP requests are POSTed as application/ocsp-request", req->path);
		return;
	}
	if (req->body == NULL || req->body_len > OCSP_REQUEST_MAX)
		answer(req, resp, ocsp_answer_new(OCSP_MALFORMED, NULL, 0));
	else
		respond(req, resp, req->body, req->body_len);
}
