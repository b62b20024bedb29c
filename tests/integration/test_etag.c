/* Entity tags of single resources and conditional requests: the ETag of
 * a CA, a certificate and a token is stable across reads and across two
 * servers on one database, changes with what the representation shows
 * (a PATCH, a location's certificate installed, a revocation);
 * If-None-Match answers 304; If-Match on PATCH refuses a lost update with
 * 412 and changes nothing, and of two concurrent PATCHes with one tag
 * exactly one wins. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define TAG_BYTES 64

static struct instance in, peer;
static char root_id[64];

static void
start_peer(void)
{
	instance_start_peer(&peer, &in);
}

static void
stop_peer(void)
{
	instance_destroy_peer(&peer);
}

static const struct fixture fx = {
	.in = &in,
	.name = "etag",
	/* the EST URLs a CA shows are the same whichever server answers */
	.env = {"EDGECA_PUBLIC_EST_URL=https://est.example.test"},
	.ca_json = "{\"common_name\": \"ETag Root\"}",
	.ca_id = root_id,
	.ready = start_peer,
	.done = stop_peer,
};

/* ---- helpers ----------------------------------------------------------- */

/* GETs path from inst with an optional extra header; the answer's ETag
 * into tag (a strong tag: a quoted run of 32 hex digits). */
static long
get_tagged(struct instance *inst, const char *path, const char *header, char tag[TAG_BYTES],
           struct http_response *r)
{
	const char *const hdrs[] = {header, NULL};
	const char *etag;
	long status = http_call_h(inst, "GET", path, in.admin_token, NULL, NULL, 0,
	                          header ? hdrs : NULL, r);

	tag[0] = '\0';
	etag = http_header(r, "etag");
	if (etag != NULL) {
		assert_int_equal(strlen(etag), 34);
		assert_int_equal(etag[0], '"');
		assert_int_equal(etag[33], '"');
		assert_int_equal(strspn(etag + 1, "0123456789abcdef"), 32);
		snprintf(tag, TAG_BYTES, "%s", etag);
	}
	return status;
}

/* The ETag of a 200 GET of path on inst. */
static void
tag_of(struct instance *inst, const char *path, char tag[TAG_BYTES])
{
	struct http_response r;

	assert_int_equal(get_tagged(inst, path, NULL, tag, &r), 200);
	assert_true(tag[0] != '\0');
	http_response_free(&r);
}

/* PATCHes path with body and an If-Match field (NULL: none); the status,
 * the answer in *r. */
static long
patch(const char *path, const char *if_match, const char *body, struct http_response *r)
{
	char line[128];
	const char *const hdrs[] = {line, NULL};

	snprintf(line, sizeof(line), "If-Match: %s", if_match ? if_match : "");
	return http_call_h(&in, "PATCH", path, in.admin_token, "application/json", body,
	                   strlen(body), if_match ? hdrs : NULL, r);
}

static long
threshold_of(const char *path)
{
	struct http_response r;
	long v;

	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	v = (long)json_integer_value(
		json_object_get(json_object_get(r.json, "lifecycle"), "threshold_percent"));
	http_response_free(&r);
	return v;
}

/* ---- tests ------------------------------------------------------------- */

/* One CA, one certificate, one token: the same tag on every read, from
 * either server; 304 on If-None-Match with it (also as a weak tag, and
 * in a list), 200 with another. */
static void
test_tags_stable_and_304(void **state)
{
	char paths[3][160], tag[TAG_BYTES], again[TAG_BYTES], other[TAG_BYTES], line[160],
		devices[64];
	struct http_response r;

	(void)state;
	snprintf(paths[0], sizeof(paths[0]), "/api/v1/cas/%s", root_id);
	http_create_ca(&in, "{\"common_name\": \"ETag Devices\", \"issuance\": "
	                    "{\"template\": \"client\"}}", devices);
	r = http_issue(&in, devices, NULL, "etag-device-1");
	snprintf(paths[1], sizeof(paths[1]), "/api/v1/cas/%s/certificates/%s", devices,
	         http_json_str(&r, "serial_number"));
	http_response_free(&r);
	r = http_post_expect(&in, "/api/v1/tokens", "{\"name\": \"etag-portal\", \"role\": \"auditor\"}",
	                     201);
	snprintf(paths[2], sizeof(paths[2]), "/api/v1/tokens/%s", http_json_str(&r, "id"));
	http_response_free(&r);

	for (int i = 0; i < 3; i++) {
		tag_of(&in, paths[i], tag);
		tag_of(&in, paths[i], again);
		assert_string_equal(tag, again);
		tag_of(&peer, paths[i], again);
		assert_string_equal(tag, again);

		snprintf(line, sizeof(line), "If-None-Match: %s", tag);
		assert_int_equal(get_tagged(&in, paths[i], line, other, &r), 304);
		assert_string_equal(other, tag);
		assert_int_equal(r.body_len, 0);
		http_response_free(&r);
		snprintf(line, sizeof(line), "If-None-Match: \"0\", W/%s", tag);
		assert_int_equal(get_tagged(&peer, paths[i], line, other, &r), 304);
		http_response_free(&r);
		assert_int_equal(get_tagged(&in, paths[i], "If-None-Match: \"0123\"", other, &r), 200);
		assert_string_equal(other, tag);
		assert_non_null(r.json);
		http_response_free(&r);
	}
}

/* A PATCH answers the new tag, which the next GET repeats; a stale
 * If-Match is 412 and changes nothing; "*", the current tag and a list
 * holding it pass; a weak tag never does; garbage is 400. */
static void
test_patch_if_match(void **state)
{
	char path[128], before[TAG_BYTES], after[TAG_BYTES], now[TAG_BYTES], weak[TAG_BYTES + 2],
		list[2 * TAG_BYTES];
	struct http_response r;

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s", root_id);
	tag_of(&in, path, before);
	assert_int_equal(patch(path, before, "{\"lifecycle\": {\"threshold_percent\": 71}}", &r),
	                 200);
	snprintf(after, sizeof(after), "%s", http_header(&r, "etag"));
	http_response_free(&r);
	assert_string_not_equal(before, after);
	tag_of(&peer, path, now);
	assert_string_equal(now, after);

	/* the lost update: written against the first read */
	assert_int_equal(patch(path, before, "{\"lifecycle\": {\"threshold_percent\": 72}}", &r),
	                 412);
	assert_string_equal(http_problem_type(&r), "precondition-failed");
	http_response_free(&r);
	assert_int_equal(threshold_of(path), 71);
	tag_of(&in, path, now);
	assert_string_equal(now, after);

	snprintf(weak, sizeof(weak), "W/%s", after);
	assert_int_equal(patch(path, weak, "{\"lifecycle\": {\"threshold_percent\": 73}}", &r), 412);
	http_expect(412, "precondition-failed", r.status, &r);
	assert_int_equal(patch(path, "abc", "{\"lifecycle\": {\"threshold_percent\": 73}}", &r), 400);
	http_expect(400, NULL, r.status, &r);
	assert_int_equal(patch(path, "\"unterminated", "{\"crl\": {\"overlap_hours\": 5}}", &r), 400);
	http_expect(400, NULL, r.status, &r);
	assert_int_equal(threshold_of(path), 71);

	snprintf(list, sizeof(list), "\"stale\", %s", after);
	assert_int_equal(patch(path, list, "{\"lifecycle\": {\"threshold_percent\": 74}}", &r), 200);
	snprintf(now, sizeof(now), "%s", http_header(&r, "etag"));
	http_response_free(&r);
	assert_int_equal(patch(path, "*", "{\"lifecycle\": {\"threshold_percent\": 75}}", &r), 200);
	assert_string_not_equal(http_header(&r, "etag"), now);
	http_response_free(&r);
	/* without If-Match, as before */
	assert_int_equal(patch(path, NULL, "{\"lifecycle\": {\"threshold_percent\": 80}}", &r), 200);
	http_response_free(&r);
	assert_int_equal(threshold_of(path), 80);
}

/* A token's PATCH: the same rules. */
static void
test_token_if_match(void **state)
{
	char path[128], before[TAG_BYTES], after[TAG_BYTES];
	struct http_response r;

	(void)state;
	r = http_post_expect(&in, "/api/v1/tokens", "{\"name\": \"etag-line\", \"role\": \"requester\"}",
	                     201);
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", http_json_str(&r, "id"));
	http_response_free(&r);
	tag_of(&in, path, before);
	assert_int_equal(patch(path, before, "{\"email\": \"line@example.test\"}", &r), 200);
	snprintf(after, sizeof(after), "%s", http_header(&r, "etag"));
	http_response_free(&r);
	assert_string_not_equal(before, after);
	assert_int_equal(patch(path, before, "{\"email\": \"other@example.test\"}", &r), 412);
	http_expect(412, "precondition-failed", r.status, &r);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 200);
	assert_string_equal(http_json_str(&r, "email"), "line@example.test");
	assert_string_equal(http_header(&r, "etag"), after);
	http_response_free(&r);
	assert_int_equal(patch(path, "*", "{\"email\": null}", &r), 200);
	http_response_free(&r);
	assert_int_equal(patch("/api/v1/tokens/00000000-0000-4000-8000-000000000000", "*",
	                       "{\"email\": null}", &r), 404);
	http_expect(404, NULL, r.status, &r);
}

/* What the representation shows changes the tag without a PATCH: a
 * location's certificate installed (chaining), a revocation. */
static void
test_tag_follows_state(void **state)
{
	char path[128], chain[160], pending[TAG_BYTES], chained[TAG_BYTES], now[TAG_BYTES],
		body[160];
	struct http_response r;

	(void)state;
	r = http_post_expect(&in, "/api/v1/cas",
	                     "{\"kind\": \"subordinate\", \"common_name\": \"ETag Issuing CA\"}", 201);
	snprintf(path, sizeof(path), "/api/v1/cas/%s", http_json_str(&r, "id"));
	assert_string_equal(http_json_str(&r, "status"), "pending_chaining");
	assert_non_null(http_header(&r, "etag"));
	snprintf(pending, sizeof(pending), "%s", http_header(&r, "etag"));
	http_response_free(&r);
	tag_of(&in, path, now);
	assert_string_equal(now, pending);

	snprintf(chain, sizeof(chain), "%s/chain", path);
	snprintf(body, sizeof(body), "{\"parent_ca_id\": \"%s\"}", root_id);
	r = http_post_expect(&in, chain, body, 200);
	snprintf(chained, sizeof(chained), "%s", http_header(&r, "etag"));
	http_response_free(&r);
	assert_string_not_equal(chained, pending);
	tag_of(&peer, path, now);
	assert_string_equal(now, chained);

	snprintf(chain, sizeof(chain), "%s/revoke", path);
	r = http_post_expect(&in, chain, "{\"reason\": \"cessationOfOperation\"}", 200);
	http_response_free(&r);
	tag_of(&in, path, now);
	assert_string_not_equal(now, chained);
}

struct racer {
	const char *path;
	const char *tag;
	const char *body;
	struct instance *inst;
	struct http_response r;
};

static void *
race(void *arg)
{
	struct racer *x = arg;
	char line[128];
	const char *const hdrs[] = {line, NULL};

	snprintf(line, sizeof(line), "If-Match: %s", x->tag);
	http_call_h_unrecorded(x->inst, "PATCH", x->path, in.admin_token, "application/json",
	                       x->body, strlen(x->body), hdrs, &x->r);
	return NULL;
}

/* Two admins, one on each server, PATCH the CA they both read: one 200,
 * one 412, whatever the timing, and the CA holds the winner's value. */
static void
test_concurrent_patches(void **state)
{
	char path[128], tag[TAG_BYTES];

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/cas/%s", root_id);
	for (int round = 0; round < 5; round++) {
		struct racer x[2] = {
			{path, tag, "{\"lifecycle\": {\"threshold_percent\": 61}}", &in, {0}},
			{path, tag, "{\"lifecycle\": {\"threshold_percent\": 62}}", &peer, {0}},
		};
		pthread_t t[2];
		int wins = 0, refused = 0;

		tag_of(&in, path, tag);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, race, &x[i]), 0);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(pthread_join(t[i], NULL), 0);
			http_record("api", "PATCH", path, &x[i].r);
			wins += x[i].r.status == 200;
			refused += x[i].r.status == 412 &&
			           strcmp(http_problem_type(&x[i].r), "precondition-failed") == 0;
		}
		assert_int_equal(wins, 1);
		assert_int_equal(refused, 1);
		assert_int_equal(threshold_of(path), x[0].r.status == 200 ? 61 : 62);
		for (int i = 0; i < 2; i++)
			http_response_free(&x[i].r);
		/* back to a value neither racer writes, for the next round */
		assert_int_equal(patch(path, NULL, "{\"lifecycle\": {\"threshold_percent\": 80}}",
		                       &x[0].r),
		                 200);
		http_response_free(&x[0].r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_stable_and_304),
		cmocka_unit_test(test_patch_if_match),
		cmocka_unit_test(test_token_if_match),
		cmocka_unit_test(test_tag_follows_state),
		cmocka_unit_test(test_concurrent_patches),
	};

	return fixture_run_tests(tests, &fx);
}
