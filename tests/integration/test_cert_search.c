/* GET /api/v1/certificates: certificates issued under two CAs found by
 * each filter and by combinations, counted with total=true, sorted by
 * every key both ways with small pages that stitch together into the one
 * big page; a token limited to a CA sees that CA's only; bad parameters
 * (cursors, limits, sort keys, times, serials, statuses) answer 400 naming
 * the parameter, and the server goes on serving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/fixture.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/pki.h"

#define N_ALPHA 5
#define N_BETA 3

static struct instance in;
static char requester[128], auditor[128], limited[128];
static char a_id[64], b_id[64];
static char alpha[N_ALPHA][80], beta[N_BETA][80];
static char san_serial[80], short_serial[80], req_serial[80], req_actor[96];

/* Issues a raw CSR (subject, SANs) under ca_id with the query options as
 * token; returns the serial into serial, and the requester into actor. */
static void
issue_raw(const char *ca_id, const char *token, const char *subject, const char *sans,
          const char *options, char serial[80], char *actor, size_t actor_len)
{
	char *pem = make_csr_subject(subject, sans, NULL), *path;
	struct http_response r;

	xasprintf(&path, "/api/v1/cas/%s/certificates%s", ca_id, options);
	assert_int_equal(http_call(&in, "POST", path, token, "application/pkcs10", pem,
	                           strlen(pem), &r), 201);
	snprintf(serial, 80, "%s", http_json_str(&r, "serial_number"));
	if (actor != NULL)
		snprintf(actor, actor_len, "%s", http_json_str(&r, "requester"));
	http_response_free(&r);
	free(path);
	free(pem);
}

static void
fixture_ready(void)
{
	char *body;
	struct http_response r;

	http_create_ca(&in, "{\"common_name\": \"Search Beta\", \"issuance\": {\"template\": "
	               "\"client\", \"allowed_templates\": [\"client\", \"ssl\"]}}", b_id);
	for (int i = 0; i < N_ALPHA; i++) {
		char cn[32];

		snprintf(cn, sizeof(cn), "alpha-%d", i);
		r = http_issue(&in, a_id, NULL, cn);
		snprintf(alpha[i], sizeof(alpha[i]), "%s", http_json_str(&r, "serial_number"));
		http_response_free(&r);
	}
	for (int i = 0; i < N_BETA; i++) {
		char cn[32];

		snprintf(cn, sizeof(cn), "beta-%d", i);
		r = http_issue(&in, b_id, NULL, cn);
		snprintf(beta[i], sizeof(beta[i]), "%s", http_json_str(&r, "serial_number"));
		http_response_free(&r);
	}
	http_revoke(&in, a_id, alpha[1], "keyCompromise");
	issue_raw(b_id, in.admin_token, "/CN=search-san.example.com",
	          "DNS:search-san.example.com,IP:192.0.2.7", "?template=ssl", san_serial, NULL, 0);
	issue_raw(a_id, in.admin_token, "/CN=Short-lived", NULL, "?validity_days=10",
	          short_serial, NULL, 0);
	issue_raw(a_id, requester, "/CN=alpha-by-requester", NULL, "", req_serial, req_actor,
	          sizeof(req_actor));
	xasprintf(&body, "{\"name\": \"search-limited\", \"role\": \"requester\", "
	          "\"ca_ids\": [\"%s\"]}", a_id);
	http_token_create(&in, body, limited, NULL);
	free(body);
}

static const struct fixture fx = {
	.in = &in,
	.name = "cert_search",
	.tokens = {
		{"requester", "req1", requester, sizeof(requester)},
		{"auditor", "aud1", auditor, sizeof(auditor)},
	},
	.ca_json = "{\"common_name\": \"Search Alpha\", \"issuance\": {\"template\": \"client\", "
	           "\"allowed_templates\": [\"client\", \"ssl\"]}}",
	.ca_id = a_id,
	.ready = fixture_ready,
};

/* GETs path as token, expects 200; returns the whole answer (a new
 * reference). */
static json_t *
get_page(const char *token, const char *path)
{
	struct http_response r;
	json_t *j;

	if (http_get(&in, path, token, &r) != 200)
		fail_msg("GET %s: %ld %s", path, r.status, r.body ? (char *)r.body : "");
	j = json_incref(r.json);
	assert_non_null(j);
	http_response_free(&r);
	return j;
}

/* The items of /api/v1/certificates?query (one page, limit 1000). */
static json_t *
search(const char *token, const char *query)
{
	char *path;
	json_t *page, *items;

	xasprintf(&path, "/api/v1/certificates?limit=1000%s%s", query[0] ? "&" : "", query);
	page = get_page(token, path);
	free(path);
	assert_true(json_is_null(json_object_get(page, "next_cursor")));
	items = json_incref(json_object_get(page, "items"));
	assert_true(json_is_array(items));
	json_decref(page);
	return items;
}

static const char *
str(const json_t *item, const char *key)
{
	const char *v = json_string_value(json_object_get(item, key));

	return v != NULL ? v : "";
}

/* How many certificates the per-CA list shows for ca_id. */
static size_t
per_ca_count(const char *ca_id)
{
	char *path;
	json_t *page;
	size_t n;

	xasprintf(&path, "/api/v1/cas/%s/certificates?limit=1000", ca_id);
	page = get_page(in.admin_token, path);
	n = json_array_size(json_object_get(page, "items"));
	json_decref(page);
	free(path);
	return n;
}

/* The number of items of a search, each checked by ok when given. */
static size_t
count(const char *token, const char *query, int (*ok)(const json_t *item))
{
	json_t *items = search(token, query), *e;
	size_t i, n = json_array_size(items);

	json_array_foreach(items, i, e)
		if (ok != NULL && !ok(e))
			fail_msg("%s: %s/%s does not match", query, str(e, "ca_id"),
			         str(e, "serial_number"));
	json_decref(items);
	return n;
}

static int in_b(const json_t *e) { return strcmp(str(e, "ca_id"), b_id) == 0; }
static int alpha_cn(const json_t *e) { return strncmp(str(e, "common_name"), "alpha-", 6) == 0; }
static int revoked(const json_t *e) { return strcmp(str(e, "status"), "revoked") == 0; }
static int valid(const json_t *e) { return strcmp(str(e, "status"), "valid") == 0; }
static int ssl(const json_t *e) { return strcmp(str(e, "template"), "ssl") == 0; }
static int by_req(const json_t *e) { return strcmp(str(e, "requester"), req_actor) == 0; }
static int
a_valid_alpha(const json_t *e)
{
	return strcmp(str(e, "ca_id"), a_id) == 0 && alpha_cn(e) && valid(e);
}

/* The one certificate a query finds has serial. */
static void
finds_one(const char *query, const char *serial)
{
	json_t *items = search(in.admin_token, query);

	if (json_array_size(items) != 1)
		fail_msg("%s: %zu certificates", query, json_array_size(items));
	assert_string_equal(str(json_array_get(items, 0), "serial_number"), serial);
	json_decref(items);
}

static void
test_filters(void **state)
{
	size_t all_a = per_ca_count(a_id), all_b = per_ca_count(b_id);
	char q[512];

	(void)state;
	assert_int_equal(all_a, N_ALPHA + 2);
	assert_int_equal(all_b, N_BETA + 1);
	assert_int_equal(count(in.admin_token, "", NULL), all_a + all_b);
	/* ca_id: one, a comma list, the parameter repeated (a query array as
	 * generated clients send it) */
	snprintf(q, sizeof(q), "ca_id=%s", b_id);
	assert_int_equal(count(in.admin_token, q, in_b), all_b);
	snprintf(q, sizeof(q), "ca_id=%s,%s", a_id, b_id);
	assert_int_equal(count(in.admin_token, q, NULL), all_a + all_b);
	snprintf(q, sizeof(q), "ca_id=%s&ca_id=%s", b_id, a_id);
	assert_int_equal(count(in.admin_token, q, NULL), all_a + all_b);
	/* a CA nobody knows: nothing */
	assert_int_equal(count(in.admin_token, "ca_id=00000000-0000-4000-8000-000000000000", NULL),
	                 0);
	/* common name prefix: case-sensitive, wildcards are plain characters */
	assert_int_equal(count(in.admin_token, "common_name_prefix=alpha-", alpha_cn), N_ALPHA + 1);
	assert_int_equal(count(in.admin_token, "common_name_prefix=alpha-by", NULL), 1);
	assert_int_equal(count(in.admin_token, "common_name_prefix=Alpha-", NULL), 0);
	assert_int_equal(count(in.admin_token, "common_name_prefix=alpha_", NULL), 0);
	assert_int_equal(count(in.admin_token, "common_name_prefix=alpha%25", NULL), 0);
	finds_one("common_name_prefix=Short", short_serial);
	/* SAN: typed exactly, or the value as any type; never a part */
	finds_one("san=DNS:search-san.example.com", san_serial);
	finds_one("san=search-san.example.com", san_serial);
	finds_one("san=192.0.2.7", san_serial);
	finds_one("san=IP:192.0.2.7", san_serial);
	assert_int_equal(count(in.admin_token, "san=DNS:192.0.2.7", NULL), 0);
	assert_int_equal(count(in.admin_token, "san=search-san.example", NULL), 0);
	/* serial: as shown, upper case, with leading zeros */
	snprintf(q, sizeof(q), "serial=%s", beta[2]);
	finds_one(q, beta[2]);
	snprintf(q, sizeof(q), "serial=00%s", beta[2]);
	for (char *p = q + 7; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
	finds_one(q, beta[2]);
	/* status, template, requester */
	assert_int_equal(count(in.admin_token, "status=revoked", revoked), 1);
	finds_one("status=revoked", alpha[1]);
	assert_int_equal(count(in.admin_token, "status=valid", valid), all_a + all_b - 1);
	assert_int_equal(count(in.admin_token, "status=expired", NULL), 0);
	finds_one("template=ssl", san_serial);
	assert_int_equal(count(in.admin_token, "template=client", NULL), all_a + all_b - 1);
	snprintf(q, sizeof(q), "requester=%s", req_actor);
	assert_int_equal(count(in.admin_token, q, by_req), 1);
	finds_one(q, req_serial);
	/* times */
	assert_int_equal(count(in.admin_token, "issued_after=2999-01-01T00:00:00Z", NULL), 0);
	assert_int_equal(count(in.admin_token, "issued_before=2000-01-01T00:00:00Z", NULL), 0);
	assert_int_equal(count(in.admin_token, "issued_after=2000-01-01T00:00:00Z&"
	                       "issued_before=2999-01-01T00:00:00%2B01:00", NULL), all_a + all_b);
	{
		char when[32];
		time_t t = time(NULL) + 30 * 86400;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		snprintf(q, sizeof(q), "expires_before=%s", when);
		finds_one(q, short_serial);
		snprintf(q, sizeof(q), "expires_after=%s", when);
		assert_int_equal(count(in.admin_token, q, NULL), all_a + all_b - 1);
		/* a window with both ends (searched as the ids in it), in each
		 * order and with another filter */
		{
			char from[32];
			time_t t0 = time(NULL) - 86400;

			strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t0));
			snprintf(q, sizeof(q), "expires_after=%s&expires_before=%s", from, when);
			finds_one(q, short_serial);
			snprintf(q, sizeof(q), "expires_after=%s&expires_before=%s&sort=expires_at", from,
			         when);
			finds_one(q, short_serial);
			snprintf(q, sizeof(q), "expires_after=%s&expires_before=%s&sort=common_name", from,
			         when);
			finds_one(q, short_serial);
			snprintf(q, sizeof(q), "expires_after=%s&expires_before=%s&status=revoked", from,
			         when);
			assert_int_equal(count(in.admin_token, q, NULL), 0);
		}
	}
	/* combinations: AND */
	snprintf(q, sizeof(q), "ca_id=%s&common_name_prefix=alpha-&status=valid", a_id);
	assert_int_equal(count(in.admin_token, q, a_valid_alpha), N_ALPHA);
	snprintf(q, sizeof(q), "ca_id=%s&template=ssl", a_id);
	assert_int_equal(count(in.admin_token, q, ssl), 0);
	snprintf(q, sizeof(q), "ca_id=%s&template=ssl&san=192.0.2.7", b_id);
	assert_int_equal(count(in.admin_token, q, ssl), 1);
}

static void
test_total(void **state)
{
	json_t *page;
	char *path;

	(void)state;
	page = get_page(in.admin_token, "/api/v1/certificates?limit=2&total=true");
	assert_int_equal(json_array_size(json_object_get(page, "items")), 2);
	assert_int_equal(json_integer_value(json_object_get(page, "total")),
	                 per_ca_count(a_id) + per_ca_count(b_id));
	assert_true(json_is_string(json_object_get(page, "next_cursor")));
	json_decref(page);
	xasprintf(&path, "/api/v1/certificates?total=true&ca_id=%s&status=valid", a_id);
	page = get_page(in.admin_token, path);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), per_ca_count(a_id) - 1);
	json_decref(page);
	free(path);
	/* without total=true, no count */
	page = get_page(in.admin_token, "/api/v1/certificates?total=false");
	assert_null(json_object_get(page, "total"));
	json_decref(page);
}

/* Compares two items under a sort key (ascending): the rendered value,
 * then nothing (ties keep issuance order, checked by stitching). */
static int
key_cmp(const char *key, const json_t *x, const json_t *y)
{
	if (strcmp(key, "serial") == 0) {
		size_t lx = strlen(str(x, "serial_number")), ly = strlen(str(y, "serial_number"));

		return lx != ly ? (lx < ly ? -1 : 1)
		                : strcmp(str(x, "serial_number"), str(y, "serial_number"));
	}
	if (strcmp(key, "issued_at") == 0)
		return strcmp(str(x, "created_at"), str(y, "created_at"));
	if (strcmp(key, "expires_at") == 0)
		return strcmp(str(x, "not_after"), str(y, "not_after"));
	return strcmp(str(x, "common_name"), str(y, "common_name"));
}

/* Follows the pages of limit 2 of a search and checks they are the big
 * page, item for item. */
static void
stitch(const char *query, const json_t *big)
{
	struct http_pages pages;
	const json_t *e;
	char *path;
	size_t i;

	xasprintf(&path, "/api/v1/certificates?limit=2&%s", query);
	http_pages(&in, path, in.admin_token, &pages);
	free(path);
	assert_int_equal(json_array_size(pages.items), json_array_size(big));
	json_array_foreach(pages.items, i, e) {
		assert_string_equal(str(e, "serial_number"),
		                    str(json_array_get(big, i), "serial_number"));
		assert_string_equal(str(e, "ca_id"), str(json_array_get(big, i), "ca_id"));
	}
	http_pages_free(&pages);
}

static void
test_sorts(void **state)
{
	static const char *const keys[] = {"issued_at", "expires_at", "common_name", "serial"};
	char q[256];

	(void)state;
	for (size_t k = 0; k < 4; k++)
		for (int desc = 0; desc < 2; desc++) {
			json_t *big, *e;
			size_t i;

			snprintf(q, sizeof(q), "sort=%s%s", desc ? "-" : "", keys[k]);
			big = search(in.admin_token, q);
			assert_int_equal(json_array_size(big), per_ca_count(a_id) + per_ca_count(b_id));
			json_array_foreach(big, i, e) {
				int c = i > 0 ? key_cmp(keys[k], json_array_get(big, i - 1), e) : 0;

				if (desc ? c < 0 : c > 0)
					fail_msg("%s: item %zu out of order", q, i);
			}
			stitch(q, big);
			json_decref(big);
		}
	/* the default is newest first; with a filter, pages stitch too */
	{
		json_t *dflt = search(in.admin_token, ""), *newest = search(in.admin_token,
		                                                            "sort=-issued_at"), *e;
		size_t i;

		json_array_foreach(dflt, i, e)
			assert_string_equal(str(e, "serial_number"),
			                    str(json_array_get(newest, i), "serial_number"));
		json_decref(dflt);
		json_decref(newest);
		snprintf(q, sizeof(q), "sort=common_name&ca_id=%s&common_name_prefix=alpha", a_id);
		dflt = search(in.admin_token, q);
		assert_int_equal(json_array_size(dflt), N_ALPHA + 1);
		assert_string_equal(str(json_array_get(dflt, 0), "common_name"), "alpha-0");
		stitch(q, dflt);
		json_decref(dflt);
	}
}

/* A token limited to a CA searches that CA only, as its per-CA list
 * does; any role reads. */
static void
test_visibility(void **state)
{
	struct http_response r;
	char *path;

	(void)state;
	assert_int_equal(count(limited, "", NULL), per_ca_count(a_id));
	xasprintf(&path, "/api/v1/certificates?ca_id=%s", b_id);
	http_expect(403, "ca-out-of-scope", http_get(&in, path, limited, &r), &r);
	free(path);
	xasprintf(&path, "/api/v1/cas/%s/certificates", b_id);
	http_expect(403, "ca-out-of-scope", http_get(&in, path, limited, &r), &r);
	free(path);
	assert_int_equal(count(limited, "san=192.0.2.7", NULL), 0);
	assert_int_equal(count(auditor, "", NULL), per_ca_count(a_id) + per_ca_count(b_id));
	assert_int_equal(count(requester, "", NULL), per_ca_count(a_id) + per_ca_count(b_id));
	http_expect(401, NULL, http_get(&in, "/api/v1/certificates", NULL, &r), &r);
}

/* 400 with slug and the parameter named in detail. */
static void
bad(const char *query, const char *slug, const char *named)
{
	struct http_response r;
	char *path;

	xasprintf(&path, "/api/v1/certificates?%s", query);
	assert_int_equal(http_get(&in, path, in.admin_token, &r), 400);
	free(path);
	assert_string_equal(http_problem_type(&r), slug);
	if (strstr(http_json_str(&r, "detail"), named) == NULL)
		fail_msg("%s: \"%s\" does not name %s", query, http_json_str(&r, "detail"), named);
	http_expect(400, slug, r.status, &r);
}

static void
test_hostile(void **state)
{
	json_t *page;
	char cursor[128], *q;

	(void)state;
	page = get_page(in.admin_token, "/api/v1/certificates?limit=1&sort=serial");
	snprintf(cursor, sizeof(cursor), "%s", str(page, "next_cursor"));
	json_decref(page);
	assert_true(strlen(cursor) > 4);
	/* the cursor works where it came from */
	xasprintf(&q, "/api/v1/certificates?limit=1&sort=serial&cursor=%s", cursor);
	json_decref(get_page(in.admin_token, q));
	free(q);
	/* a parameter that is not a list given twice, an unknown one */
	bad("sort=serial&sort=-serial", "invalid-parameter", "sort");
	bad("comon_name_prefix=alpha", "invalid-parameter", "comon_name_prefix");
	/* and nowhere else: another sort, other filters, truncated, garbage */
	xasprintf(&q, "sort=-serial&cursor=%s", cursor);
	bad(q, "invalid-cursor", "cursor");
	free(q);
	xasprintf(&q, "cursor=%s", cursor);
	bad(q, "invalid-cursor", "cursor");
	free(q);
	xasprintf(&q, "sort=serial&status=valid&cursor=%s", cursor);
	bad(q, "invalid-cursor", "cursor");
	free(q);
	xasprintf(&q, "sort=serial&cursor=%.*s", (int)strlen(cursor) - 2, cursor);
	bad(q, "invalid-cursor", "cursor");
	free(q);
	bad("cursor=bm90LWEtY3Vyc29y", "invalid-cursor", "cursor");
	bad("cursor=djE6NDI", "invalid-cursor", "cursor");
	bad("cursor=%25%25%25", "invalid-cursor", "cursor");
	bad("limit=0", "invalid-parameter", "limit");
	bad("limit=1001", "invalid-parameter", "limit");
	bad("limit=100000000", "invalid-parameter", "limit");
	bad("limit=99999999999999999999999", "invalid-parameter", "limit");
	bad("limit=-1", "invalid-parameter", "limit");
	bad("limit=-100000", "invalid-parameter", "limit");
	bad("sort=bogus", "invalid-parameter", "sort");
	bad("sort=-id", "invalid-parameter", "sort");
	bad("issued_after=yesterday", "invalid-parameter", "issued_after");
	bad("issued_before=2026-13-01T00:00:00Z", "invalid-parameter", "issued_before");
	bad("expires_after=2026-01-01", "invalid-parameter", "expires_after");
	bad("expires_before=now", "invalid-parameter", "expires_before");
	bad("issued_after=2026-02-01T00:00:00Z&issued_before=2026-01-01T00:00:00Z",
	    "invalid-parameter", "issued_before");
	bad("serial=xyz", "invalid-parameter", "serial");
	bad("serial=12-34", "invalid-parameter", "serial");
	bad("status=bogus", "invalid-parameter", "status");
	bad("ca_id=not-a-uuid", "invalid-parameter", "ca_id");
	bad("ca_id=,", "invalid-parameter", "ca_id");
	bad("total=yes", "invalid-parameter", "total");
	{
		char big[400] = "common_name_prefix=";

		memset(big + 19, 'a', 300);
		big[319] = '\0';
		bad(big, "invalid-parameter", "common_name_prefix");
	}
	/* still serving */
	assert_int_equal(count(in.admin_token, "", NULL), per_ca_count(a_id) + per_ca_count(b_id));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_sorts),
		cmocka_unit_test(test_visibility),
		cmocka_unit_test(test_hostile),
	};

	return fixture_run_tests(tests, &fx);
}
