/* GET /api/v1/audit: the events of real actions (a CA made, certificates
 * issued and revoked, tokens made) read back with their actor, action,
 * object and details; filters narrow; pages chain newest first without
 * repeats or gaps; an auditor reads, a requester is refused; bad
 * parameters answer 400 naming the parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define N_ISSUED 3

static struct instance in;
static char requester[128], auditor[128];
static char root_id[64], other_id[64], limited[128];
static char serials[N_ISSUED][80];

static void
fixture_ready(void)
{
	for (int i = 0; i < N_ISSUED; i++) {
		char cn[32];
		struct http_response r;

		snprintf(cn, sizeof(cn), "audit-device-%d", i);
		r = http_issue(&in, root_id, NULL, cn);
		snprintf(serials[i], sizeof(serials[i]), "%s", http_json_str(&r, "serial_number"));
		http_response_free(&r);
	}
	http_revoke(&in, root_id, serials[1], "keyCompromise");
	/* another CA, and an auditor limited to the first */
	http_create_ca(&in, "{\"common_name\": \"Other Root\"}", other_id);
	{
		char *body;

		xasprintf(&body, "{\"name\": \"aud-limited\", \"role\": \"auditor\", "
		          "\"ca_ids\": [\"%s\"]}", root_id);
		http_token_create(&in, body, limited, NULL);
		free(body);
	}
}

static const struct fixture fx = {
	.in = &in,
	.name = "audit_api",
	.tokens = {
		{"requester", "req1", requester, sizeof(requester)},
		{"auditor", "aud1", auditor, sizeof(auditor)},
	},
	.ca_json = "{\"common_name\": \"Audit Root\", \"issuance\": {\"template\": \"client\"}}",
	.ca_id = root_id,
	.ready = fixture_ready,
};

/* GETs /api/v1/audit with query as token; expects 200 and returns the
 * items (a new reference). */
static json_t *
audit_get(const char *token, const char *query)
{
	struct http_response r;
	char *path;
	json_t *items;

	xasprintf(&path, "/api/v1/audit%s", query);
	assert_int_equal(http_get(&in, path, token, &r), 200);
	free(path);
	assert_non_null(r.json);
	items = json_object_get(r.json, "items");
	assert_true(json_is_array(items));
	json_incref(items);
	http_response_free(&r);
	return items;
}

static const char *
member(const json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

static const char *
object_member(const json_t *e, const char *key)
{
	return json_string_value(json_object_get(json_object_get(e, "object"), key));
}

static long long
event_id(const json_t *e)
{
	return strtoll(member(e, "id"), NULL, 10);
}

static void
test_events_from_actions(void **state)
{
	json_t *items = audit_get(in.admin_token, "?action=certificate.issue"), *e;
	char *q, object[160];
	size_t i;

	(void)state;
	/* newest first: the last certificate issued comes first */
	assert_int_equal(json_array_size(items), N_ISSUED);
	json_array_foreach(items, i, e) {
		const char *serial = serials[N_ISSUED - 1 - i];

		snprintf(object, sizeof(object), "%s/%s", root_id, serial);
		assert_string_equal(member(e, "actor"), "token:admin");
		assert_string_equal(member(e, "action"), "certificate.issue");
		assert_string_equal(object_member(e, "type"), "certificate");
		assert_string_equal(object_member(e, "id"), object);
		assert_string_equal(json_string_value(json_object_get(json_object_get(e, "details"),
		                                                      "serial")), serial);
		assert_non_null(member(e, "at"));
		if (i > 0)
			assert_true(event_id(e) < event_id(json_array_get(items, i - 1)));
	}
	json_decref(items);

	/* the revocation, found by its object */
	xasprintf(&q, "?object_type=certificate&object_id=%s/%s", root_id, serials[1]);
	items = audit_get(in.admin_token, q);
	free(q);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(member(json_array_get(items, 0), "action"), "certificate.revoke");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(items, 0), "details"), "reason")),
	                    "keyCompromise");
	assert_string_equal(member(json_array_get(items, 1), "action"), "certificate.issue");
	json_decref(items);

	/* the CA's creation */
	xasprintf(&q, "?object_type=ca&object_id=%s&action=ca.create", root_id);
	items = audit_get(in.admin_token, q);
	free(q);
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(member(json_array_get(items, 0), "actor"), "token:admin");
	assert_string_equal(object_member(json_array_get(items, 0), "id"), root_id);
	json_decref(items);
}

/* Whether the event e is among those at its own rendered time (since and
 * until both that second). */
static int
found_at_own_time(const json_t *e)
{
	json_t *some, *o;
	char *q;
	size_t i;
	int found = 0;

	xasprintf(&q, "?since=%s&until=%s&limit=1000", member(e, "at"), member(e, "at"));
	some = audit_get(in.admin_token, q);
	free(q);
	json_array_foreach(some, i, o)
		found |= strcmp(member(o, "id"), member(e, "id")) == 0;
	json_decref(some);
	return found;
}

/* The number of events in items no newer than the event newest: the
 * scheduler writes events of its own (crl.generate after the fixture's
 * revocation) at any time, and they must not enter a comparison of two
 * reads made one after the other. */
static size_t
count_upto(const json_t *items, long long newest)
{
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(items, i, e)
		n += event_id(e) <= newest;
	return n;
}

static void
test_filters_narrow(void **state)
{
	json_t *all = audit_get(in.admin_token, "?limit=1000"), *some, *e;
	size_t i, admin = 0, other = 0;
	long long newest;

	(void)state;
	assert_true(json_array_size(all) > 0);
	newest = event_id(json_array_get(all, 0));
	/* the fixture's tokens were made by the command line, the rest by
	 * the admin token: both actors are in the trail */
	json_array_foreach(all, i, e) {
		if (strcmp(member(e, "actor"), "token:admin") == 0)
			admin++;
		else
			other++;
	}
	assert_true(admin >= N_ISSUED + 2 && other >= 2);
	some = audit_get(in.admin_token, "?actor=token:admin&limit=1000");
	assert_int_equal(count_upto(some, newest), admin);
	json_array_foreach(some, i, e)
		assert_string_equal(member(e, "actor"), "token:admin");
	json_decref(some);

	some = audit_get(in.admin_token, "?object_type=token&action=token.create");
	assert_true(json_array_size(some) >= 2);
	json_array_foreach(some, i, e)
		assert_string_equal(object_member(e, "type"), "token");
	json_decref(some);

	/* time ranges: all of it, none before, none after */
	some = audit_get(in.admin_token, "?since=2000-01-01T00:00:00Z"
	                 "&until=2999-01-01T00:00:00%2B01:00&limit=1000");
	assert_int_equal(count_upto(some, newest), json_array_size(all));
	json_decref(some);
	some = audit_get(in.admin_token, "?until=2000-01-01T00:00:00Z");
	assert_int_equal(json_array_size(some), 0);
	json_decref(some);
	some = audit_get(in.admin_token, "?since=2999-01-01T00:00:00Z");
	assert_int_equal(json_array_size(some), 0);
	json_decref(some);
	/* each event's own time, as since and until, finds it */
	json_array_foreach(all, i, e)
		assert_true(found_at_own_time(e));
	json_decref(all);
}

static void
test_pages_chain(void **state)
{
	json_t *all = audit_get(in.admin_token, "?limit=1000"), *e;
	struct http_pages pages;
	char *q;
	size_t i;

	(void)state;
	assert_true(json_array_size(all) > 4);
	/* the trail up to its newest event now: the scheduler may add events
	 * (a CRL's refresh) while the pages are read */
	xasprintf(&q, "/api/v1/audit?limit=2&until=%s", member(json_array_get(all, 0), "at"));
	http_pages(&in, q, auditor, &pages);
	free(q);
	assert_true(pages.fewest >= 1 && pages.most <= 2);
	assert_int_equal(json_array_size(pages.items), json_array_size(all));
	json_array_foreach(pages.items, i, e)
		assert_string_equal(member(e, "id"), member(json_array_get(all, i), "id"));
	assert_int_equal(pages.pages, (json_array_size(all) + 1) / 2);
	http_pages_free(&pages);
	json_decref(all);
}

static void
test_roles(void **state)
{
	struct http_response r;
	json_t *items;

	(void)state;
	items = audit_get(auditor, "?action=certificate.revoke");
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	http_expect(403, "forbidden", http_get(&in, "/api/v1/audit", requester, &r), &r);
	http_expect(401, NULL, http_get(&in, "/api/v1/audit", NULL, &r), &r);
}

/* A token limited to a CA reads the events about that CA and its
 * certificates only: not the other CA's, not the tokens'. */
static void
test_limited_token(void **state)
{
	json_t *items = audit_get(limited, "?limit=1000"), *e;
	char *q;
	size_t i, issued = 0;

	(void)state;
	assert_true(json_array_size(items) > 0);
	json_array_foreach(items, i, e) {
		const char *ca = json_string_value(json_object_get(json_object_get(e, "details"),
		                                                   "ca_id"));

		assert_string_not_equal(object_member(e, "type"), "token");
		if (strcmp(object_member(e, "type"), "ca") == 0)
			assert_string_equal(object_member(e, "id"), root_id);
		else
			assert_string_equal(ca, root_id);
		issued += strcmp(member(e, "action"), "certificate.issue") == 0;
	}
	assert_int_equal(issued, N_ISSUED);
	json_decref(items);
	/* the admin sees the other CA's creation, the limited token does not */
	xasprintf(&q, "?object_type=ca&object_id=%s&action=ca.create", other_id);
	items = audit_get(in.admin_token, q);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	items = audit_get(limited, q);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	free(q);
}

/* 400 invalid-parameter (or slug) with the parameter named in detail. */
static void
bad(const char *query, const char *slug, const char *named)
{
	struct http_response r;
	char *path;

	xasprintf(&path, "/api/v1/audit%s", query);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 400);
	free(path);
	assert_string_equal(http_problem_type(&r), slug);
	assert_non_null(strstr(http_json_str(&r, "detail"), named));
	http_expect(400, slug, r.status, &r);
}

static void
test_bad_parameters(void **state)
{
	(void)state;
	bad("?objekt=ca", "invalid-parameter", "objekt");
	bad("?action=ca.create&comon_name=x", "invalid-parameter", "comon_name");
	bad("?since=yesterday", "invalid-parameter", "since");
	bad("?until=2026-13-01T00:00:00Z", "invalid-parameter", "until");
	bad("?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "invalid-parameter", "until");
	bad("?limit=0", "invalid-parameter", "limit");
	bad("?limit=1001", "invalid-parameter", "limit");
	bad("?limit=-1", "invalid-parameter", "limit");
	bad("?cursor=bm90LWEtY3Vyc29y", "invalid-cursor", "cursor");
	{
		char q[400] = "?actor=";

		memset(q + 7, 'a', 300);
		q[307] = '\0';
		bad(q, "invalid-parameter", "actor");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_from_actions),
		cmocka_unit_test(test_filters_narrow),
		cmocka_unit_test(test_pages_chain),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_limited_token),
		cmocka_unit_test(test_bad_parameters),
	};

	return fixture_run_tests(tests, &fx);
}
