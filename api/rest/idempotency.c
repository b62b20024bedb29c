#include "api/rest/idempotency.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api/rest/problem.h"
#include "common/log.h"

int
api_idem_key_parse(const char *value, char key[IDEM_KEY_MAX + 1])
{
	size_t len = value != NULL ? strlen(value) : 0;
	int rc = -1;

	key[0] = '\0';
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value++;
		len -= 2;
		for (size_t i = 0; i < len; i++)
			if (value[i] == '"' || value[i] == '\\')
				goto out;
	}
	if (len == 0 || len > IDEM_KEY_MAX)
		goto out;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e)
			goto out;
	memcpy(key, value, len);
	key[len] = '\0';
	rc = 0;
out:
	return rc;
}

/* Adds one part and its length, so that no two splits of the same bytes
 * give the same input. */
static int
digest_part(EVP_MD_CTX *md, const void *data, size_t len)
{
	unsigned char n[8];

	for (int i = 0; i < 8; i++)
		n[i] = (unsigned char)((unsigned long long)len >> (56 - 8 * i));
	return EVP_DigestUpdate(md, n, sizeof(n)) == 1 &&
	               (len == 0 || EVP_DigestUpdate(md, data, len) == 1)
	           ? 0
	           : -1;
}

int
api_idem_fingerprint(const char *method, const char *path, const char *query,
                     const char *content_type, const void *body, size_t len,
                     unsigned char out[IDEM_FINGERPRINT_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char media[128] = "";
	size_t n = 0;
	unsigned int out_len = 0;
	int rc = -1;

	if (content_type != NULL) {
		while (*content_type == ' ' || *content_type == '\t')
			content_type++;
		while (content_type[n] != '\0' && content_type[n] != ';' && n + 1 < sizeof(media)) {
			media[n] = (char)tolower((unsigned char)content_type[n]);
			n++;
		}
		while (n > 0 && (media[n - 1] == ' ' || media[n - 1] == '\t'))
			n--;
		media[n] = '\0';
	}
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    digest_part(md, method, strlen(method)) != 0 || digest_part(md, path, strlen(path)) != 0 ||
	    digest_part(md, query != NULL ? query : "", query != NULL ? strlen(query) : 0) != 0 ||
	    digest_part(md, media, n) != 0 || digest_part(md, body, body != NULL ? len : 0) != 0 ||
	    EVP_DigestFinal_ex(md, out, &out_len) != 1 || out_len != IDEM_FINGERPRINT_LEN)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* The answer the handler gave, as it is kept (borrowed members). */
static void
answer_of(const struct _u_response *resp, struct idem_answer *a)
{
	a->status = (int)resp->status;
	a->content_type = (char *)u_map_get_case(resp->map_header, "Content-Type");
	a->location = (char *)u_map_get_case(resp->map_header, "Location");
	a->etag = (char *)u_map_get_case(resp->map_header, "ETag");
	a->body = resp->binary_body_length > 0 ? resp->binary_body : (unsigned char *)"";
	a->body_len = resp->binary_body_length;
}

static void
replay(struct _u_response *resp, const struct idem_answer *a)
{
	if (a->content_type != NULL)
		u_map_put(resp->map_header, "Content-Type", a->content_type);
	if (a->location != NULL)
		u_map_put(resp->map_header, "Location", a->location);
	if (a->etag != NULL)
		u_map_put(resp->map_header, "ETag", a->etag);
	u_map_put(resp->map_header, IDEM_REPLAYED_HEADER, "true");
	if (ulfius_set_binary_body_response(resp, (unsigned)a->status, (const char *)a->body,
	                                    a->body_len) != U_OK)
		api_problem_text(resp, EDGECA_ERR_INTERNAL, NULL, "cannot replay the kept answer",
		                 NULL);
}

/* Runs the reserved request and keeps its answer when 2xx; any other
 * answer changed nothing, so the reservation is released and a retry runs
 * again. A 2xx answer that cannot be kept is still given: what it
 * reports is done and stored (a certificate is in its table), and
 * withholding it would only make the client retry; the reservation then
 * stays running, so retries get 409 until it counts as abandoned. */
static void
run_reserved(struct api_call *call, const struct idem_claim *c,
             void (*run)(struct api_call *, const void *), const void *arg)
{
	struct idem_answer a = {0};
	struct edgeca_msg msg = {0};

	run(call, arg);
	if (call->resp->status < 200 || call->resp->status > 299) {
		if (idem_release(call->ctx->db, c, &msg) != EDGECA_OK)
			log_warn("api_idem_run: %s: reservation not released: %s", call->path,
			         msg.detail);
		return;
	}
	answer_of(call->resp, &a);
	if (idem_finish(call->ctx->db, call->ctx->secrets_key, c, &a, &msg) != EDGECA_OK)
		log_error("api_idem_run: %s: answer given but not kept for replay: %s", call->path,
		          msg.detail);
}

void
api_idem_run(struct api_call *call, void (*run)(struct api_call *, const void *),
             const void *arg)
{
	const struct _u_request *req = call->req;
	const char *value = u_map_get_case(req->map_header, IDEM_HEADER);
	const char *query = req->http_url != NULL ? strchr(req->http_url, '?') : NULL;
	char key[IDEM_KEY_MAX + 1];
	unsigned char fp[IDEM_FINGERPRINT_LEN];
	struct idem_claim c = {call->who.token_id, key, ""};
	struct idem_answer kept = {0};
	enum idem_outcome outcome = IDEM_IN_PROGRESS;
	struct edgeca_msg msg = {0};
	edgeca_err rc;

	if (value == NULL) {
		run(call, arg);
		return;
	}
	if (api_idem_key_parse(value, key) != 0) {
		api_problem_text(call->resp, EDGECA_ERR_MALFORMED, "idempotency-key-invalid",
		                 "Idempotency-Key must be 1 to 255 printable ASCII characters",
		                 call->path);
		return;
	}
	if (api_idem_fingerprint(req->http_verb, req->url_path, query != NULL ? query + 1 : NULL,
	                         u_map_get_case(req->map_header, "Content-Type"),
	                         req->binary_body, req->binary_body_length, fp) != 0) {
		api_problem_text(call->resp, EDGECA_ERR_INTERNAL, NULL,
		                 "cannot fingerprint the request", call->path);
		return;
	}
	rc = idem_reserve(call->ctx->db, call->ctx->secrets_key, &c, fp, &outcome, &kept, &msg);
	if (rc != EDGECA_OK) {
		if (rc == EDGECA_ERR_UNAVAILABLE)
			api_retry_after(call->resp, 0);
		api_problem(call->resp, rc, &msg, call->path);
		return;
	}
	switch (outcome) {
	case IDEM_RESERVED:
		run_reserved(call, &c, run, arg);
		break;
	case IDEM_REPLAY:
		replay(call->resp, &kept);
		break;
	case IDEM_MISMATCH:
		api_problem_text(call->resp, EDGECA_ERR_INVALID, "idempotency-key-reused",
		                 "this Idempotency-Key was used for another request: a retry must "
		                 "repeat the first request exactly, a new request needs a new key",
		                 call->path);
		break;
	case IDEM_IN_PROGRESS:
		api_problem_text(call->resp, EDGECA_ERR_CONFLICT, "idempotency-key-in-use",
		                 "the first request with this Idempotency-Key is still running: "
		                 "retry it later to get its answer",
		                 call->path);
		break;
	}
	idem_answer_clear(&kept);
}
