#include "tests/support/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "tests/support/pki.h"

static char test_name[64] = "unnamed";

void
http_set_test_name(const char *name)
{
	snprintf(test_name, sizeof(test_name), "%s", name);
}

static size_t
on_body(char *ptr, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;

	return buf_append(b, ptr, size * n) == 0 ? size * n : 0;
}

static size_t
on_header(char *ptr, size_t size, size_t n, void *userdata)
{
	struct http_response *r = userdata;
	size_t len = size * n, name_len;
	char *colon = memchr(ptr, ':', len);
	const char *v;

	if (colon == NULL || r->nheaders == HTTP_MAX_HEADERS)
		return len;
	name_len = (size_t)(colon - ptr);
	if (name_len >= sizeof(r->names[0]))
		return len;
	for (size_t i = 0; i < name_len; i++)
		r->names[r->nheaders][i] = (char)tolower((unsigned char)ptr[i]);
	r->names[r->nheaders][name_len] = '\0';
	v = colon + 1;
	while (v < ptr + len && *v == ' ')
		v++;
	snprintf(r->values[r->nheaders], sizeof(r->values[0]), "%.*s", (int)(ptr + len - v), v);
	r->values[r->nheaders][strcspn(r->values[r->nheaders], "\r\n")] = '\0';
	r->nheaders++;
	return len;
}

const char *
http_header(const struct http_response *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->names[i], name) == 0)
			return r->values[i];
	return NULL;
}

void
http_record(const char *listener, const char *method, const char *path,
            const struct http_response *r)
{
	const char *dir = getenv("EDGECA_TEST_EXCHANGES");
	const char *q = strchr(path, '?');
	char file[600], *line;
	json_t *j, *headers;
	FILE *f;

	if (dir == NULL || r->status == 0)
		return;
	mkdir(dir, 0755);
	headers = json_object();
	for (int i = 0; i < r->nheaders; i++)
		json_object_set_new(headers, r->names[i], json_string(r->values[i]));
	j = json_pack("{s:s, s:s, s:s%, s:s, s:i, s:o, s:o, s:s}", "listener", listener, "method",
	              method, "path", path,
	              q ? (size_t)(q - path) : strlen(path), "query", q ? q + 1 : "", "status",
	              (int)r->status, "content_type",
	              r->content_type[0] ? json_string(r->content_type) : json_null(), "headers",
	              headers, "test", test_name);
	if (j == NULL)
		return;
	if (r->json != NULL) {
		json_object_set(j, "json", r->json);
	} else if (r->body_len > 0) {
		char *b64 = base64_encode(r->body, r->body_len, 0);
		json_object_set_new(j, "body_b64", json_string(b64 ? b64 : ""));
		free(b64);
	}
	line = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(file, sizeof(file), "%s/%s.jsonl", dir, test_name);
	f = fopen(file, "a");
	if (f != NULL && line != NULL)
		fprintf(f, "%s\n", line);
	if (f != NULL)
		fclose(f);
	free(line);
}

/* Seconds an exchange may take before it counts as unanswered. */
static _Atomic long timeout_s = 120;

void
http_set_timeout(long seconds)
{
	timeout_s = seconds;
}

/* One exchange with base (https://..., http://...) + path, not recorded. */
static long
perform(struct instance *in, const char *base, const char *method, const char *path,
        const char *token,
        const char *content_type, const void *body, size_t len,
        const char *const *extra_headers, struct http_response *out)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = {0};
	char url[2048], line[1024];
	CURL *c;
	char *ct = NULL;

	memset(out, 0, sizeof(*out));
	c = curl_easy_init();
	if (c == NULL)
		return 0;
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, in->ca_file);
	if (strcmp(method, "HEAD") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	if (token != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	/* curl adds "Expect: 100-continue" to large bodies; devices do not. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (int i = 0; extra_headers && extra_headers[i]; i++)
		hdrs = curl_slist_append(hdrs, extra_headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	}
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	buf_terminate(&b);
	out->body = buf_take(&b, &out->body_len);
	if (strstr(out->content_type, "json") != NULL)
		out->json = json_loadb((const char *)out->body, out->body_len, 0, NULL);
	return out->status;
}

long
http_call_h(struct instance *in, const char *method, const char *path, const char *token,
            const char *content_type, const void *body, size_t len,
            const char *const *extra_headers, struct http_response *out)
{
	long status = perform(in, in->base_url, method, path, token, content_type, body, len,
	                      extra_headers, out);

	http_record("api", method, path, out);
	return status;
}

long
http_pki_call(struct instance *in, const char *method, const char *path,
              const char *content_type, const void *body, size_t len,
              const char *const *extra_headers, struct http_response *out)
{
	char base[64];

	instance_pki_url(in, "", base, sizeof(base));
	return perform(in, base, method, path, NULL, content_type, body, len, extra_headers, out);
}

long
http_call_unrecorded(struct instance *in, const char *method, const char *path,
                     const char *token, const char *content_type, const void *body, size_t len,
                     struct http_response *out)
{
	return perform(in, in->base_url, method, path, token, content_type, body, len, NULL, out);
}

long
http_preflight(struct instance *in, const char *path, const char *origin, const char *method,
               const char *headers, struct http_response *out)
{
	char o[512], m[128], h[512];
	const char *extra[] = {o, m, headers != NULL ? h : NULL, NULL};

	snprintf(o, sizeof(o), "Origin: %s", origin);
	snprintf(m, sizeof(m), "Access-Control-Request-Method: %s", method);
	snprintf(h, sizeof(h), "Access-Control-Request-Headers: %s", headers != NULL ? headers : "");
	return perform(in, in->base_url, "OPTIONS", path, NULL, NULL, NULL, 0, extra, out);
}

long
http_call_h_unrecorded(struct instance *in, const char *method, const char *path,
                       const char *token, const char *content_type, const void *body,
                       size_t len, const char *const *extra_headers, struct http_response *out)
{
	return perform(in, in->base_url, method, path, token, content_type, body, len,
	               extra_headers, out);
}

long
http_call(struct instance *in, const char *method, const char *path, const char *token,
          const char *content_type, const void *body, size_t len, struct http_response *out)
{
	return http_call_h(in, method, path, token, content_type, body, len, NULL, out);
}

long
http_get(struct instance *in, const char *path, const char *token, struct http_response *out)
{
	return http_call(in, "GET", path, token, NULL, NULL, 0, out);
}

long
http_post_json(struct instance *in, const char *path, const char *token, const char *json,
               struct http_response *out)
{
	return http_call(in, "POST", path, token, "application/json", json, strlen(json), out);
}

const char *
http_json_str(const struct http_response *r, const char *key)
{
	json_t *v = r->json ? json_object_get(r->json, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
http_problem_type(const struct http_response *r)
{
	const char *t = http_json_str(r, "type");
	const char *prefix = "urn:edgeca:problem:";

	if (t == NULL || strncmp(t, prefix, strlen(prefix)) != 0)
		return "";
	return t + strlen(prefix);
}

void
http_expect(long want, const char *slug, long got, struct http_response *r)
{
	if (got != want || (slug != NULL && strcmp(http_problem_type(r), slug) != 0))
		fail_msg("expected %ld %s, got %ld %s: %.*s", want, slug ? slug : "", got,
		         http_problem_type(r), (int)r->body_len, r->body);
	if (want >= 400 && r->body_len > 0) {
		if (strcmp(r->content_type, "application/problem+json") != 0)
			fail_msg("a %ld answer of type %s, not a problem document", got, r->content_type);
		if (json_integer_value(json_object_get(r->json, "status")) != want)
			fail_msg("the problem's status member differs from %ld", want);
	}
	http_response_free(r);
}

struct http_response
http_post_expect(struct instance *in, const char *path, const char *json, long want)
{
	struct http_response r;
	long got = http_post_json(in, path, in->admin_token, json, &r);

	if (got != want)
		fail_msg("POST %s: expected %ld, got %ld: %.*s", path, want, got, (int)r.body_len,
		         r.body);
	return r;
}

void
http_token_create(struct instance *in, const char *json, char token[128], char id[64])
{
	struct http_response r = http_post_expect(in, "/api/v1/tokens", json, 201);
	const char *secret = http_json_str(&r, "token"), *token_id = http_json_str(&r, "id");

	if (secret == NULL || token_id == NULL)
		fail_msg("POST /api/v1/tokens: no token or id in the answer");
	snprintf(token, 128, "%s", secret);
	if (id != NULL)
		snprintf(id, 64, "%s", token_id);
	http_response_free(&r);
}

const json_t *
http_location(const struct http_response *r, const char *name)
{
	const json_t *loc;
	size_t i;

	json_array_foreach(json_object_get(r->json, "locations"), i, loc)
		if (strcmp(json_string_value(json_object_get(loc, "name")), name) == 0)
			return loc;
	fail_msg("no location %s", name);
	return NULL;
}

X509 *
http_location_cert(const struct http_response *r, const char *name)
{
	return pem_cert(json_string_value(json_object_get(http_location(r, name),
	                                                  "certificate_pem")));
}

struct http_response
http_issue(struct instance *in, const char *ca_id, const char *location, const char *cn)
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, NULL), *text;
	json_t *j = location ? json_pack("{s:s, s:s}", "csr", csr, "location", location)
	                     : json_pack("{s:s}", "csr", csr);
	struct http_response r;

	assert_non_null(j);
	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	text = json_dumps(j, 0);
	r = http_post_expect(in, path, text, 201);
	if (location != NULL)
		assert_string_equal(http_json_str(&r, "location"), location);
	json_decref(j);
	free(text);
	free(csr);
	return r;
}

X509 *
http_issue_cert(struct instance *in, const char *ca_id, const char *cn, EVP_PKEY **key,
                char serial[80])
{
	char path[128], *csr = make_csr("EC-P256", cn, NULL, key);
	struct http_response r;
	X509 *x;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates", ca_id);
	assert_int_equal(http_call(in, "POST", path, in->admin_token, "application/pkcs10", csr,
	                           strlen(csr), &r), 201);
	x = pem_cert(http_json_str(&r, "certificate_pem"));
	assert_non_null(x);
	if (serial != NULL)
		snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	http_response_free(&r);
	free(csr);
	return x;
}

void
http_revoke(struct instance *in, const char *ca_id, const char *serial, const char *reason)
{
	char path[200], body[128];
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/cas/%s/certificates/%s/revoke", ca_id, serial);
	snprintf(body, sizeof(body), "{\"reason\": \"%s\"}", reason);
	r = http_post_expect(in, path, body, 200);
	http_response_free(&r);
}

void
http_create_ca(struct instance *in, const char *body, char id[64])
{
	struct http_response r = http_post_expect(in, "/api/v1/cas", body, 201);

	snprintf(id, 64, "%s", http_json_str(&r, "id"));
	http_response_free(&r);
}

/* Ends a walk that a server answering cursors forever would never end. */
#define HTTP_MAX_PAGES 10000

void
http_pages(struct instance *in, const char *path, const char *token, struct http_pages *out)
{
	struct http_response r = {0};
	char *url = NULL, *next = NULL;
	const json_t *items, *cur;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->items = json_array();
	assert_non_null(out->items);
	do {
		free(url);
		xasprintf(&url, "%s%s%s", path, next != NULL ? "&cursor=" : "",
		          next != NULL ? next : "");
		if (http_get(in, url, token, &r) != 200)
			fail_msg("GET %s: %ld %.*s", url, r.status, (int)r.body_len,
			         r.body != NULL ? (const char *)r.body : "");
		items = json_object_get(r.json, "items");
		if (!json_is_array(items))
			fail_msg("GET %s: the answer has no items array", url);
		assert_int_equal(json_array_extend(out->items, (json_t *)items), 0);
		n = json_array_size(items);
		if (out->pages == 0 || n < out->fewest)
			out->fewest = n;
		if (n > out->most)
			out->most = n;
		out->pages++;
		free(next);
		next = NULL;
		cur = json_object_get(r.json, "next_cursor");
		if (json_is_string(cur) && json_string_length(cur) > 0) {
			next = strdup(json_string_value(cur));
			assert_non_null(next);
		}
		http_response_free(&r);
		if (next != NULL && out->pages >= HTTP_MAX_PAGES)
			fail_msg("GET %s: a next_cursor still after %d pages", path,
			         HTTP_MAX_PAGES);
	} while (next != NULL);
	free(url);
}

void
http_pages_free(struct http_pages *p)
{
	if (p == NULL)
		return;
	json_decref(p->items);
	p->items = NULL;
}

void
http_response_free(struct http_response *r)
{
	free(r->body);
	json_decref(r->json);
	r->body = NULL;
	r->json = NULL;
}
