/* The PKI listener's answers as handlers build them: bodies, problem
 * details (RFC 9457, as the REST API writes them) and headers. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/listen/status.h"
#include "api/pki/pki.h"
#include "common/log.h"

/* The prefix of problem types, as the REST API's (api/rest/problem.h). */
#define PKI_PROBLEM_TYPE_PREFIX "urn:edgeca:problem:"

void
pki_response_clear(struct pki_response *resp)
{
	if (resp == NULL)
		return;
	if (resp->release != NULL)
		resp->release(resp->owner);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

void
pki_answer_body(struct pki_response *resp, int status, const char *content_type,
                const void *body, size_t len)
{
	free(resp->body);
	resp->body = malloc(len > 0 ? len : 1);
	resp->body_len = 0;
	resp->content_type = content_type;
	resp->status = status;
	if (resp->body == NULL) {
		resp->status = 500;
		resp->content_type = NULL;
		return;
	}
	if (len > 0)
		memcpy(resp->body, body, len);
	resp->body_len = len;
}

void
pki_answer_shared(struct pki_response *resp, int status, const char *content_type,
                  const void *data, size_t len, void (*release)(void *owner), void *owner)
{
	free(resp->body);
	resp->body = NULL;
	if (resp->release != NULL)
		resp->release(resp->owner);
	resp->status = status;
	resp->content_type = content_type;
	resp->shared = data;
	resp->body_len = len;
	resp->release = release;
	resp->owner = owner;
}

void
pki_answer_header(struct pki_response *resp, const char *name, const char *fmt, ...)
{
	struct pki_header_line *h;
	va_list ap;

	if (resp->n_headers == PKI_MAX_HEADERS)
		return;
	h = &resp->headers[resp->n_headers++];
	h->name = name;
	va_start(ap, fmt);
	vsnprintf(h->value, sizeof(h->value), fmt, ap);
	va_end(ap);
}

void
pki_answer_problem_status(struct pki_response *resp, int status, const char *title,
                          const char *slug, const char *detail, const char *path)
{
	char type[128], *text = NULL;
	json_t *j;

	snprintf(type, sizeof(type), PKI_PROBLEM_TYPE_PREFIX "%s", slug);
	j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status,
	              "detail", detail ? detail : title);
	/* the path is the client's: dropped when it is not UTF-8 */
	if (j != NULL && path != NULL && json_object_set_new(j, "instance", json_string(path)) != 0)
		json_object_del(j, "instance");
	if (j != NULL && log_context_request_id()[0] != '\0' &&
	    json_object_set_new(j, "request_id", json_string(log_context_request_id())) != 0)
		json_object_del(j, "request_id");
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		pki_answer_body(resp, 500, "text/plain", "internal error", 14);
	else
		pki_answer_body(resp, status, "application/problem+json", text, strlen(text));
	free(text);
	if (status >= 500)
		log_error("pki: %d %s at %s", status, detail ? detail : "", path ? path : "");
}

void
pki_answer_problem(struct pki_response *resp, edgeca_err code, const char *slug,
                   const char *detail, const char *path)
{
	pki_answer_problem_status(resp, api_status_of(code), api_status_title(code),
	                          slug ? slug : edgeca_err_slug(code), detail, path);
}

void
pki_answer_failure(struct pki_response *resp, edgeca_err code, const struct edgeca_msg *msg,
                   const char *path)
{
	pki_answer_problem(resp, code, api_slug_of(msg, code),
	                   msg != NULL && msg->detail[0] ? msg->detail : NULL, path);
}
